/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh camsim: simulated RTSP cameras with faults on command.
 *
 * camsim-camera.c   one simulated camera: its media factory and its faults
 * camsim-clip.c     --source: a clip held in memory, paced into every camera
 * camsim-control.c  the TCP control port and its line protocol
 * anninh-camsim.c   command line, RTSP server, main loop
 */
#ifndef __CAMSIM_H__
#define __CAMSIM_H__

#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtsp-server/rtsp-server.h>

G_BEGIN_DECLS

typedef struct _Camsim Camsim;
typedef struct _CamsimCamera CamsimCamera;
typedef struct _CamsimClip CamsimClip;

typedef enum
{
  CAMSIM_CAMERA_UP,             /* serving */
  CAMSIM_CAMERA_DROPPED,        /* refusing until restore */
  CAMSIM_CAMERA_REBOOTING,      /* refusing until the reboot timer fires */
} CamsimCameraState;

/* Picture and link faults, read by streaming threads under
 * CamsimCamera.lock. */
typedef struct
{
  gboolean frozen;
  gboolean black;
  guint lossy_percent;          /* 0 = no loss */
  guint slow_kbps;              /* 0 = unlimited */
} CamsimFaults;

struct _CamsimCamera
{
  Camsim *sim;
  guint index;
  gchar *name;                  /* "cam3" */
  gchar *path;                  /* "/cam3" */
  gchar *codec;                 /* "h264" or "h265" */

  /* written on the main context only; read by client threads with
   * g_atomic_int_get */
  gint state;                   /* CamsimCameraState */
  /* main context only */
  guint reboot_source;
  GstRTSPMediaFactory *factory; /* mounted factory, NULL while down */
  guint boots;                  /* how many times the camera came up */

  GMutex lock;                  /* guards everything below */
  CamsimFaults faults;
  GRand *rand;
  gint64 bucket_time;           /* µs, monotonic, last token refill */
  gdouble bucket_bytes;         /* tokens of the --slow policer */
  GList *overlays;              /* GstElement refs of live pipelines, for
                                 * black: (videotestsrc and overlays) */
};

struct _Camsim
{
  /* options */
  gchar *address;
  gchar *control_address;
  gint port;
  gint control_port;
  guint n_cameras;
  gchar **codecs;
  gint width, height, fps, bitrate;
  gchar *source;
  gchar *user, *password;

  GMainLoop *loop;
  GstRTSPServer *server;
  GstRTSPMountPoints *mounts;
  GstRTSPSessionPool *pool;
  GstRTSPAuth *auth;
  CamsimCamera **cameras;
  CamsimClip *clip;             /* NULL in test-pattern mode */
  GSocketService *control;
  guint bound_port, bound_control_port;
  gint exit_code;
};

/* camsim-camera.c */
CamsimCamera *camsim_camera_new (Camsim * sim, guint index,
    const gchar * codec);
void camsim_camera_free (CamsimCamera * cam);
void camsim_camera_mount (CamsimCamera * cam);
void camsim_camera_unmount (CamsimCamera * cam);
CamsimCamera *camsim_find_camera (Camsim * sim, const gchar * name);
CamsimCamera *camsim_camera_for_path (Camsim * sim, const gchar * path);
gboolean camsim_camera_set_black (CamsimCamera * cam, gboolean black,
    GError ** error);
void camsim_camera_set_frozen (CamsimCamera * cam, gboolean frozen);
void camsim_camera_set_lossy (CamsimCamera * cam, guint percent);
void camsim_camera_set_slow (CamsimCamera * cam, guint kbps);
void camsim_camera_drop (CamsimCamera * cam);
void camsim_camera_reboot (CamsimCamera * cam, guint seconds);
void camsim_camera_restore (CamsimCamera * cam);
guint camsim_camera_count_clients (CamsimCamera * cam);
const gchar *camsim_camera_state_name (CamsimCameraState state);
gchar **camsim_camera_fault_names (CamsimCamera * cam);

/* camsim-clip.c */
CamsimClip *camsim_clip_load (const gchar * path, gint fallback_fps,
    GError ** error);
void camsim_clip_free (CamsimClip * clip);
const gchar *camsim_clip_codec (CamsimClip * clip);
gchar *camsim_clip_describe (CamsimClip * clip);
void camsim_clip_attach (CamsimClip * clip, GstElement * appsrc);
gboolean camsim_make_clip (const gchar * out, const gchar * codec,
    gint width, gint height, gint fps, gint bitrate, gint seconds,
    GError ** error);

/* camsim-control.c */
gboolean camsim_control_start (Camsim * sim, GError ** error);
void camsim_control_stop (Camsim * sim);
gchar *camsim_control_execute (Camsim * sim, const gchar * line,
    gboolean * quit);

G_END_DECLS

#endif /* __CAMSIM_H__ */
