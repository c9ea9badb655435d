/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __GST_EVIDENCE_MUX_H__
#define __GST_EVIDENCE_MUX_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_EVIDENCE_MUX (gst_evidence_mux_get_type ())
G_DECLARE_FINAL_TYPE (GstEvidenceMux, gst_evidence_mux, GST, EVIDENCE_MUX,
    GstElement)

GST_ELEMENT_REGISTER_DECLARE (evidencemux);

G_END_DECLS

#endif /* __GST_EVIDENCE_MUX_H__ */
