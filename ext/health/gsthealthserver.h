/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __GST_HEALTH_SERVER_H__
#define __GST_HEALTH_SERVER_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_HEALTH_SERVER (gst_health_server_get_type ())
G_DECLARE_FINAL_TYPE (GstHealthServer, gst_health_server, GST, HEALTH_SERVER,
    GstElement);

GST_ELEMENT_REGISTER_DECLARE (healthserver);

G_END_DECLS

#endif /* __GST_HEALTH_SERVER_H__ */
