/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: evidencewatermark, visible camera/place/time burn-in. */
#ifndef __GST_EVIDENCE_WATERMARK_H__
#define __GST_EVIDENCE_WATERMARK_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_EVIDENCE_WATERMARK (gst_evidence_watermark_get_type ())
G_DECLARE_FINAL_TYPE (GstEvidenceWatermark, gst_evidence_watermark, GST,
    EVIDENCE_WATERMARK, GstBin)

#define GST_TYPE_EVIDENCE_WATERMARK_POSITION \
  (gst_evidence_watermark_position_get_type ())
GType gst_evidence_watermark_position_get_type (void);

typedef enum
{
  GST_EVIDENCE_WATERMARK_TOP_LEFT,
  GST_EVIDENCE_WATERMARK_TOP_RIGHT,
  GST_EVIDENCE_WATERMARK_BOTTOM_LEFT,
  GST_EVIDENCE_WATERMARK_BOTTOM_RIGHT,
} GstEvidenceWatermarkPosition;

GST_ELEMENT_REGISTER_DECLARE (evidencewatermark);

G_END_DECLS

#endif /* __GST_EVIDENCE_WATERMARK_H__ */
