/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __POLICESHARE_SERVER_H__
#define __POLICESHARE_SERVER_H__

#include "policeshare-mount.h"

G_BEGIN_DECLS

/* The RTSP servers of the process, one per address:service, each on its
 * own GMainContext thread, shared by the policeshare elements that name
 * the same address and service. */
typedef struct _PoliceshareServer PoliceshareServer;

PoliceshareServer * policeshare_server_acquire (const gchar * address,
                                                const gchar * service,
                                                const gchar * tls_cert,
                                                const gchar * tls_key,
                                                GError ** error);
void                policeshare_server_release (PoliceshareServer * server);
gint                policeshare_server_get_port (PoliceshareServer * server);
gboolean            policeshare_server_add_mount (PoliceshareServer * server,
                                                  PoliceshareMount * mount,
                                                  GError ** error);
void                policeshare_server_remove_mount (PoliceshareServer * server,
                                                  PoliceshareMount * mount);

G_END_DECLS

#endif /* __POLICESHARE_SERVER_H__ */
