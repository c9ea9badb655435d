/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __POLICESHARE_AUTH_H__
#define __POLICESHARE_AUTH_H__

#include <gst/rtsp-server/rtsp-server.h>

G_BEGIN_DECLS

#define POLICESHARE_TYPE_AUTH (policeshare_auth_get_type ())
G_DECLARE_FINAL_TYPE (PoliceshareAuth, policeshare_auth, POLICESHARE, AUTH,
    GstRTSPAuth);

PoliceshareAuth * policeshare_auth_new (GstRTSPMountPoints * mounts,
                                        gboolean tls);

G_END_DECLS

#endif /* __POLICESHARE_AUTH_H__ */
