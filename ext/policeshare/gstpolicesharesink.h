/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __GST_POLICE_SHARE_H__
#define __GST_POLICE_SHARE_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_POLICE_SHARE (gst_police_share_get_type ())
G_DECLARE_FINAL_TYPE (GstPoliceShare, gst_police_share, GST, POLICE_SHARE,
    GstBaseSink);

GST_ELEMENT_REGISTER_DECLARE (policeshare);

G_END_DECLS

#endif /* __GST_POLICE_SHARE_H__ */
