/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One simulated camera: the media factory mounted at /camN and the faults
 * applied to what it sends.
 *
 * Every camera has one shared media (one pipeline however many clients).
 * Link faults (freeze, lossy, slow) are a pad probe on the payloader's source
 * pad, so they hit every client of the camera alike, the way a bad uplink
 * would. Drop and reboot unmount the factory, close the clients and remove
 * the sessions of the camera; a reboot mounts a new factory afterwards, so
 * the camera comes back with a new pipeline: new SSRC, sequence numbers and
 * timestamps. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "camsim.h"

GST_DEBUG_CATEGORY_EXTERN (camsim_debug);
#define GST_CAT_DEFAULT camsim_debug

#define CAMSIM_QUARK_CAMERA "camsim-camera"

/* videotestsrc patterns */
#define PATTERN_SMPTE 0
#define PATTERN_BLACK 2

CamsimCamera *
camsim_camera_new (Camsim * sim, guint index, const gchar * codec)
{
  CamsimCamera *cam = g_new0 (CamsimCamera, 1);

  cam->sim = sim;
  cam->index = index;
  cam->name = g_strdup_printf ("cam%u", index);
  cam->path = g_strdup_printf ("/cam%u", index);
  cam->codec = g_strdup (codec);
  g_atomic_int_set (&cam->state, CAMSIM_CAMERA_UP);
  g_mutex_init (&cam->lock);
  cam->rand = g_rand_new ();
  return cam;
}

static void
weak_ref_free (gpointer data)
{
  GWeakRef *ref = data;

  g_weak_ref_clear (ref);
  g_free (ref);
}

void
camsim_camera_free (CamsimCamera * cam)
{
  if (cam->reboot_source)
    g_source_remove (cam->reboot_source);
  g_clear_object (&cam->factory);
  g_list_free_full (cam->overlays, weak_ref_free);
  g_rand_free (cam->rand);
  g_mutex_clear (&cam->lock);
  g_free (cam->name);
  g_free (cam->path);
  g_free (cam->codec);
  g_free (cam);
}

CamsimCamera *
camsim_find_camera (Camsim * sim, const gchar * name)
{
  guint i;

  for (i = 0; i < sim->n_cameras; i++)
    if (!g_strcmp0 (sim->cameras[i]->name, name))
      return sim->cameras[i];
  return NULL;
}

/* Maps a request path ("/cam3", "/cam3/stream=0") to its camera. */
CamsimCamera *
camsim_camera_for_path (Camsim * sim, const gchar * path)
{
  guint i;

  if (path == NULL)
    return NULL;
  for (i = 0; i < sim->n_cameras; i++) {
    CamsimCamera *cam = sim->cameras[i];
    gsize len = strlen (cam->path);

    if (!strncmp (path, cam->path, len)
        && (path[len] == '\0' || path[len] == '/'))
      return cam;
  }
  return NULL;
}

const gchar *
camsim_camera_state_name (CamsimCameraState state)
{
  switch (state) {
    case CAMSIM_CAMERA_UP:
      return "up";
    case CAMSIM_CAMERA_DROPPED:
      return "dropped";
    case CAMSIM_CAMERA_REBOOTING:
      return "rebooting";
  }
  return "unknown";
}

gchar **
camsim_camera_fault_names (CamsimCamera * cam)
{
  GPtrArray *names = g_ptr_array_new ();

  if (cam->state == CAMSIM_CAMERA_DROPPED)
    g_ptr_array_add (names, g_strdup ("drop"));
  if (cam->state == CAMSIM_CAMERA_REBOOTING)
    g_ptr_array_add (names, g_strdup ("reboot"));
  g_mutex_lock (&cam->lock);
  if (cam->faults.frozen)
    g_ptr_array_add (names, g_strdup ("freeze"));
  if (cam->faults.black)
    g_ptr_array_add (names, g_strdup ("black"));
  if (cam->faults.lossy_percent)
    g_ptr_array_add (names, g_strdup_printf ("lossy=%u",
            cam->faults.lossy_percent));
  if (cam->faults.slow_kbps)
    g_ptr_array_add (names, g_strdup_printf ("slow=%u",
            cam->faults.slow_kbps));
  g_mutex_unlock (&cam->lock);
  g_ptr_array_add (names, NULL);
  return (gchar **) g_ptr_array_free (names, FALSE);
}

/* --- link faults: the probe on pay0's source pad ---------------------- */

/* Called with cam->lock held; TRUE when the packet goes out. */
static gboolean
camsim_camera_pass_packet (CamsimCamera * cam, GstBuffer * buf, gint64 now)
{
  if (cam->faults.frozen)
    return FALSE;
  if (cam->faults.lossy_percent
      && (guint) g_rand_int_range (cam->rand, 0, 100) <
      cam->faults.lossy_percent)
    return FALSE;
  if (cam->faults.slow_kbps) {
    /* A token-bucket policer: what exceeds the rate is lost, as on an
     * overloaded household uplink. The bucket holds 200 ms of tokens. */
    gdouble rate = cam->faults.slow_kbps * 1000.0 / 8.0;
    gdouble depth = MAX (rate * 0.2, 3000.0);
    gsize size = gst_buffer_get_size (buf);

    cam->bucket_bytes += (now - cam->bucket_time) * rate / G_USEC_PER_SEC;
    cam->bucket_bytes = MIN (cam->bucket_bytes, depth);
    cam->bucket_time = now;
    if (cam->bucket_bytes < size)
      return FALSE;
    cam->bucket_bytes -= size;
  }
  return TRUE;
}

static gboolean
camsim_camera_filter_list (GstBuffer ** buf, guint idx, gpointer user_data)
{
  gpointer *args = user_data;
  CamsimCamera *cam = args[0];
  gint64 now = *(gint64 *) args[1];

  if (!camsim_camera_pass_packet (cam, *buf, now))
    gst_clear_buffer (buf);
  return TRUE;
}

static GstPadProbeReturn
camsim_camera_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  CamsimCamera *cam = user_data;
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&cam->lock);
  if (!cam->faults.frozen && !cam->faults.lossy_percent
      && !cam->faults.slow_kbps) {
    g_mutex_unlock (&cam->lock);
    return GST_PAD_PROBE_OK;
  }
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    if (!camsim_camera_pass_packet (cam, GST_PAD_PROBE_INFO_BUFFER (info),
            now))
      ret = GST_PAD_PROBE_DROP;
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    gpointer args[2] = { cam, &now };

    list = gst_buffer_list_make_writable (list);
    gst_buffer_list_foreach (list, camsim_camera_filter_list, args);
    GST_PAD_PROBE_INFO_DATA (info) = list;
    if (gst_buffer_list_length (list) == 0)
      ret = GST_PAD_PROBE_DROP;
  }
  g_mutex_unlock (&cam->lock);
  return ret;
}

/* --- picture faults (test-pattern mode) ------------------------------- */

static void
camsim_camera_apply_black (GstElement * pipeline, gboolean black)
{
  GstElement *pattern, *label, *clock;

  pattern = gst_bin_get_by_name (GST_BIN (pipeline), "pattern");
  label = gst_bin_get_by_name (GST_BIN (pipeline), "label");
  clock = gst_bin_get_by_name (GST_BIN (pipeline), "clock");
  if (pattern)
    g_object_set (pattern, "pattern", black ? PATTERN_BLACK : PATTERN_SMPTE,
        NULL);
  /* A covered lens shows no overlay either. */
  if (label)
    g_object_set (label, "silent", black, NULL);
  if (clock)
    g_object_set (clock, "silent", black, NULL);
  gst_clear_object (&pattern);
  gst_clear_object (&label);
  gst_clear_object (&clock);
}

gboolean
camsim_camera_set_black (CamsimCamera * cam, gboolean black, GError ** error)
{
  GList *l, *next;

  if (cam->sim->clip) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "black needs the test-pattern mode: %s serves --source without "
        "re-encoding", cam->name);
    return FALSE;
  }
  g_mutex_lock (&cam->lock);
  cam->faults.black = black;
  for (l = cam->overlays; l; l = next) {
    GWeakRef *ref = l->data;
    GstElement *pipeline = g_weak_ref_get (ref);

    next = l->next;
    if (pipeline == NULL) {
      weak_ref_free (ref);
      cam->overlays = g_list_delete_link (cam->overlays, l);
      continue;
    }
    camsim_camera_apply_black (pipeline, black);
    gst_object_unref (pipeline);
  }
  g_mutex_unlock (&cam->lock);
  return TRUE;
}

void
camsim_camera_set_frozen (CamsimCamera * cam, gboolean frozen)
{
  g_mutex_lock (&cam->lock);
  cam->faults.frozen = frozen;
  g_mutex_unlock (&cam->lock);
}

void
camsim_camera_set_lossy (CamsimCamera * cam, guint percent)
{
  g_mutex_lock (&cam->lock);
  cam->faults.lossy_percent = MIN (percent, 100);
  g_mutex_unlock (&cam->lock);
}

void
camsim_camera_set_slow (CamsimCamera * cam, guint kbps)
{
  g_mutex_lock (&cam->lock);
  cam->faults.slow_kbps = kbps;
  cam->bucket_time = g_get_monotonic_time ();
  cam->bucket_bytes = MAX (kbps * 1000.0 / 8.0 * 0.2, 3000.0);
  g_mutex_unlock (&cam->lock);
}

/* --- the media factory ------------------------------------------------ */

static void
camsim_camera_media_configure (GstRTSPMediaFactory * factory,
    GstRTSPMedia * media, gpointer user_data)
{
  CamsimCamera *cam = user_data;
  GstElement *element = gst_rtsp_media_get_element (media);
  GstElement *pay, *src;

  g_object_set_data (G_OBJECT (media), CAMSIM_QUARK_CAMERA, cam);

  pay = gst_bin_get_by_name (GST_BIN (element), "pay0");
  if (pay) {
    GstPad *pad = gst_element_get_static_pad (pay, "src");

    gst_pad_add_probe (pad,
        GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
        camsim_camera_probe, cam, NULL);
    gst_object_unref (pad);
    gst_object_unref (pay);
  }

  if (cam->sim->clip) {
    src = gst_bin_get_by_name (GST_BIN (element), "src");
    if (src) {
      GST_DEBUG ("%s: appsrc %p", cam->name, src);
      camsim_clip_attach (cam->sim->clip, src);
      gst_object_unref (src);
    }
  } else {
    GWeakRef *ref = g_new0 (GWeakRef, 1);

    g_weak_ref_init (ref, element);
    g_mutex_lock (&cam->lock);
    cam->overlays = g_list_prepend (cam->overlays, ref);
    if (cam->faults.black)
      camsim_camera_apply_black (element, TRUE);
    g_mutex_unlock (&cam->lock);
  }
  GST_DEBUG ("%s: new media %p (boot %u)", cam->name, media, cam->boots);
  gst_object_unref (element);
}

static gchar *
camsim_camera_launch_line (CamsimCamera * cam)
{
  Camsim *sim = cam->sim;
  gboolean h265 = !g_strcmp0 (cam->codec, "h265");
  const gchar *pay = h265 ? "rtph265pay" : "rtph264pay";
  gchar *encoder, *line;
  gint keyint = MAX (sim->fps * 2, 1);

  if (sim->clip) {
    /* Leaky, bounded queue: a stalled pipeline loses frames, never grows. */
    return g_strdup_printf ("( appsrc name=src is-live=true format=time "
        "max-bytes=8000000 leaky-type=downstream "
        "! %s name=pay0 pt=96 config-interval=-1 )", pay);
  }

  if (h265)
    encoder = g_strdup_printf ("x265enc tune=zerolatency "
        "speed-preset=ultrafast key-int-max=%d bitrate=%d "
        "option-string=\"pools=1:frame-threads=1:lookahead-slices=0\"",
        keyint, sim->bitrate);
  else
    encoder = g_strdup_printf ("x264enc tune=zerolatency "
        "speed-preset=ultrafast key-int-max=%d bitrate=%d threads=1 "
        "! video/x-h264,profile=constrained-baseline", keyint, sim->bitrate);

  line = g_strdup_printf ("( videotestsrc name=pattern is-live=true "
      "pattern=smpte ! video/x-raw,width=%d,height=%d,framerate=%d/1 "
      "! timeoverlay name=label text=\"%s\" halignment=left "
      "valignment=bottom shaded-background=true font-desc=\"Sans 16\" "
      "! clockoverlay name=clock halignment=right valignment=top "
      "shaded-background=true font-desc=\"Sans 16\" "
      "time-format=\"%%Y-%%m-%%d %%H:%%M:%%S\" "
      "! videoconvert ! %s ! %s name=pay0 pt=96 config-interval=-1 )",
      sim->width, sim->height, sim->fps, cam->name, encoder, pay);
  g_free (encoder);
  return line;
}

void
camsim_camera_mount (CamsimCamera * cam)
{
  Camsim *sim = cam->sim;
  gchar *launch;

  if (cam->factory)
    return;
  cam->factory = gst_rtsp_media_factory_new ();
  launch = camsim_camera_launch_line (cam);
  GST_DEBUG ("%s: %s", cam->name, launch);
  gst_rtsp_media_factory_set_launch (cam->factory, launch);
  g_free (launch);
  gst_rtsp_media_factory_set_shared (cam->factory, TRUE);
  /* No eos-shutdown: with it, a client arriving while the last one leaves
   * gets the still-unpreparing shared media and a 503 (gst-rtsp-server
   * 1.22). */
  if (sim->auth)
    gst_rtsp_media_factory_add_role (cam->factory, "camsim-user",
        GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
        GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, NULL);
  g_signal_connect (cam->factory, "media-configure",
      G_CALLBACK (camsim_camera_media_configure), cam);
  gst_rtsp_mount_points_add_factory (sim->mounts, cam->path,
      g_object_ref (cam->factory));
  cam->boots++;
}

void
camsim_camera_unmount (CamsimCamera * cam)
{
  if (cam->factory == NULL)
    return;
  gst_rtsp_mount_points_remove_factory (cam->sim->mounts, cam->path);
  g_clear_object (&cam->factory);
}

/* --- sessions of a camera --------------------------------------------- */

typedef struct
{
  CamsimCamera *cam;
  guint found;
} CamsimMatch;

static GstRTSPFilterResult
match_session_media (GstRTSPSession * session, GstRTSPSessionMedia * sm,
    gpointer user_data)
{
  CamsimMatch *match = user_data;
  GstRTSPMedia *media = gst_rtsp_session_media_get_media (sm);

  if (media
      && g_object_get_data (G_OBJECT (media), CAMSIM_QUARK_CAMERA) ==
      match->cam)
    match->found++;
  return GST_RTSP_FILTER_KEEP;
}

static gboolean
session_uses_camera (GstRTSPSession * session, CamsimCamera * cam)
{
  CamsimMatch match = { cam, 0 };

  g_list_free_full (gst_rtsp_session_filter (session, match_session_media,
          &match), g_object_unref);
  return match.found > 0;
}

static GstRTSPFilterResult
client_session_uses_camera (GstRTSPClient * client, GstRTSPSession * session,
    gpointer user_data)
{
  CamsimMatch *match = user_data;

  if (session_uses_camera (session, match->cam))
    match->found++;
  return GST_RTSP_FILTER_KEEP;
}

static GstRTSPFilterResult
close_client_of_camera (GstRTSPServer * server, GstRTSPClient * client,
    gpointer user_data)
{
  CamsimMatch match = { user_data, 0 };

  g_list_free_full (gst_rtsp_client_session_filter (client,
          client_session_uses_camera, &match), g_object_unref);
  return match.found ? GST_RTSP_FILTER_REMOVE : GST_RTSP_FILTER_KEEP;
}

static GstRTSPFilterResult
remove_session_of_camera (GstRTSPSessionPool * pool, GstRTSPSession * session,
    gpointer user_data)
{
  return session_uses_camera (session, user_data) ? GST_RTSP_FILTER_REMOVE :
      GST_RTSP_FILTER_KEEP;
}

static GstRTSPFilterResult
count_session_of_camera (GstRTSPSessionPool * pool, GstRTSPSession * session,
    gpointer user_data)
{
  CamsimMatch *match = user_data;

  if (session_uses_camera (session, match->cam))
    match->found++;
  return GST_RTSP_FILTER_KEEP;
}

guint
camsim_camera_count_clients (CamsimCamera * cam)
{
  CamsimMatch match = { cam, 0 };

  g_list_free_full (gst_rtsp_session_pool_filter (cam->sim->pool,
          count_session_of_camera, &match), g_object_unref);
  return match.found;
}

/* Takes the camera off the network: no mount, no clients, no sessions. */
static void
camsim_camera_kick (CamsimCamera * cam)
{
  Camsim *sim = cam->sim;

  camsim_camera_unmount (cam);
  g_list_free_full (gst_rtsp_server_client_filter (sim->server,
          close_client_of_camera, cam), g_object_unref);
  g_list_free_full (gst_rtsp_session_pool_filter (sim->pool,
          remove_session_of_camera, cam), g_object_unref);
}

void
camsim_camera_drop (CamsimCamera * cam)
{
  if (cam->reboot_source) {
    g_source_remove (cam->reboot_source);
    cam->reboot_source = 0;
  }
  camsim_camera_kick (cam);
  g_atomic_int_set (&cam->state, CAMSIM_CAMERA_DROPPED);
}

static void
camsim_camera_come_up (CamsimCamera * cam)
{
  g_atomic_int_set (&cam->state, CAMSIM_CAMERA_UP);
  camsim_camera_mount (cam);
}

static gboolean
camsim_camera_reboot_done (gpointer user_data)
{
  CamsimCamera *cam = user_data;

  cam->reboot_source = 0;
  GST_INFO ("%s: back from reboot", cam->name);
  camsim_camera_come_up (cam);
  return G_SOURCE_REMOVE;
}

void
camsim_camera_reboot (CamsimCamera * cam, guint seconds)
{
  camsim_camera_drop (cam);
  /* A reboot cures what was wrong inside the camera; the link stays as
   * it was. */
  g_mutex_lock (&cam->lock);
  cam->faults.frozen = FALSE;
  cam->faults.black = FALSE;
  g_mutex_unlock (&cam->lock);
  g_atomic_int_set (&cam->state, CAMSIM_CAMERA_REBOOTING);
  cam->reboot_source = g_timeout_add (seconds * 1000,
      camsim_camera_reboot_done, cam);
}

void
camsim_camera_restore (CamsimCamera * cam)
{
  if (cam->reboot_source) {
    g_source_remove (cam->reboot_source);
    cam->reboot_source = 0;
  }
  camsim_camera_set_frozen (cam, FALSE);
  camsim_camera_set_lossy (cam, 0);
  camsim_camera_set_slow (cam, 0);
  if (cam->sim->clip == NULL)
    camsim_camera_set_black (cam, FALSE, NULL);
  if (cam->state != CAMSIM_CAMERA_UP)
    camsim_camera_come_up (cam);
}
