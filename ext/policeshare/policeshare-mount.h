/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __POLICESHARE_MOUNT_H__
#define __POLICESHARE_MOUNT_H__

#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <anninh/audit-log.h>
#include <anninh/viewer-accounts.h>

G_BEGIN_DECLS

/* One mount of a shared server: its configuration (fixed while it is
 * served), the fan-out of the element's stream to the media of the mount,
 * and its viewers. Shared by the element, the media factory, the auth
 * object and the server's client handlers; refcounted. */
typedef struct _PoliceshareMount PoliceshareMount;

typedef struct
{
  gchar *path;
  gchar *realm;
  gchar *htdigest;              /* NULL: no authentication */
  gchar *groups_file;
  gchar **allow_groups;         /* NULL or empty: any authenticated user */
  guint max_viewers;            /* 0: unlimited */
  guint max_auth_failures;      /* 0: no rate limiting */
  guint block_time;             /* seconds */
  gboolean tls;
  GstRTSPLowerTrans protocols;
  gchar *audit_log;             /* NULL: none */
} PoliceshareMountConfig;

/* Refusal statuses used besides the standard RTSP ones. */
#define POLICESHARE_STS_TOO_MANY_REQUESTS 429

PoliceshareMount *policeshare_mount_new (GstElement * element,
    const PoliceshareMountConfig * config, GError ** error);
PoliceshareMount *policeshare_mount_ref (PoliceshareMount * mount);
void policeshare_mount_unref (PoliceshareMount * mount);

const PoliceshareMountConfig *policeshare_mount_get_config
    (PoliceshareMount * mount);
AnninhViewerAccounts *policeshare_mount_get_accounts
    (PoliceshareMount * mount);
void policeshare_mount_set_address (PoliceshareMount * mount,
    const gchar * host_port);

GstRTSPMediaFactory *policeshare_mount_get_factory (PoliceshareMount * mount);
PoliceshareMount *policeshare_mount_from_media (GstRTSPMedia * media);
PoliceshareMount *policeshare_mount_from_factory
    (GstRTSPMediaFactory * factory);

/* streaming thread */
void policeshare_mount_set_caps (PoliceshareMount * mount, GstCaps * caps);
void policeshare_mount_push (PoliceshareMount * mount, GstBuffer * buffer);

/* server threads */
guint policeshare_mount_n_viewers (PoliceshareMount * mount);
gboolean policeshare_mount_has_video (PoliceshareMount * mount);
void policeshare_mount_viewer_joined (PoliceshareMount * mount,
    GstRTSPClient * client);
void policeshare_mount_viewer_left (PoliceshareMount * mount,
    GstRTSPClient * client, const gchar * reason);
void policeshare_mount_refused (PoliceshareMount * mount,
    GstRTSPClient * client, const gchar * user, guint status,
    const gchar * reason);
void policeshare_mount_report_accounts_error (PoliceshareMount * mount,
    const GError * error);

/* element thread */
void policeshare_mount_detach (PoliceshareMount * mount);
guint64 policeshare_mount_get_refusals (PoliceshareMount * mount);

/* What the auth object stores on a client once it authenticated. */
#define POLICESHARE_CLIENT_USER   "policeshare-user"
#define POLICESHARE_CLIENT_GROUPS "policeshare-groups"

G_END_DECLS

#endif /* __POLICESHARE_MOUNT_H__ */
