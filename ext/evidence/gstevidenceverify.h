/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: evidenceverify, ONVIF Media Signing verifier filter. */
#ifndef __GST_EVIDENCE_VERIFY_H__
#define __GST_EVIDENCE_VERIFY_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_EVIDENCE_VERIFY (gst_evidence_verify_get_type ())
G_DECLARE_FINAL_TYPE (GstEvidenceVerify, gst_evidence_verify, GST,
    EVIDENCE_VERIFY, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (evidenceverify);

G_END_DECLS

#endif /* __GST_EVIDENCE_VERIFY_H__ */
