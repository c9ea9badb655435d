/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stock-district: the district pipeline built from stock GStreamer only,
 * the baseline of tests/bench/district (not part of gst-anninh).
 *
 *   stock-district serve --store DIR --port PORT URL...
 *     one process, one pipeline: per camera
 *       rtspsrc ! rtph264depay ! h264parse ! tee
 *         tee. ! queue ! splitmuxsink muxer=mp4mux (fragmented, 1 s)
 *         tee. ! queue ! appsink  --> appsrc of a shared gst-rtsp-server
 *                                     mount /stock/camN (one pull, any
 *                                     number of viewers)
 *     SIGINT: EOS through the pipeline, then exit 0.
 *
 *   stock-district probe --seconds S DIRECT_URL VIA_URL
 *     pulls the same camera directly and through a district pipeline,
 *     matches access units by a hash of their picture NAL units (signing
 *     SEI inserted on the way does not change them), and prints the
 *     latency the district pipeline added (arrival time through it minus
 *     arrival time direct): "probe matched=N median_ms=X p95_ms=Y". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtsp-server/rtsp-server.h>

/* ------------------------------------------------------------------ serve */

static int exit_status = 0;

typedef struct
{
  guint index;
  GMutex lock;
  GstAppSrc *appsrc;            /* of the shared media, when one exists */
  gboolean need_keyframe;
  GstClockTimeDiff offset;      /* recording timeline -> media timeline */
  gboolean have_offset;
  GstCaps *caps;
} StockCamera;

static GstFlowReturn
on_sample (GstAppSink * sink, gpointer user_data)
{
  StockCamera *cam = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf;
  GstAppSrc *src = NULL;

  if (!sample)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);
  g_mutex_lock (&cam->lock);
  if (!cam->caps)
    cam->caps = gst_caps_ref (gst_sample_get_caps (sample));
  if (cam->appsrc) {
    if (cam->need_keyframe
        && !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
      cam->need_keyframe = FALSE;
    if (!cam->need_keyframe)
      src = gst_object_ref (cam->appsrc);
  }
  g_mutex_unlock (&cam->lock);

  if (src) {
    GstBuffer *out = gst_buffer_copy (buf);
    GstClockTime now = gst_element_get_current_running_time (GST_ELEMENT
        (src));

    g_mutex_lock (&cam->lock);
    if (!cam->have_offset && GST_BUFFER_PTS_IS_VALID (out)
        && GST_CLOCK_TIME_IS_VALID (now)) {
      cam->offset = GST_CLOCK_DIFF (GST_BUFFER_PTS (out), now);
      cam->have_offset = TRUE;
    }
    if (cam->have_offset) {
      if (GST_BUFFER_PTS_IS_VALID (out))
        GST_BUFFER_PTS (out) = MAX (0, (gint64) GST_BUFFER_PTS (out)
            + cam->offset);
      if (GST_BUFFER_DTS_IS_VALID (out))
        GST_BUFFER_DTS (out) = MAX (0, (gint64) GST_BUFFER_DTS (out)
            + cam->offset);
    }
    g_mutex_unlock (&cam->lock);
    gst_app_src_push_buffer (src, out);
    gst_object_unref (src);
  }
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static void
on_media_unprepared (GstRTSPMedia * media, gpointer user_data)
{
  StockCamera *cam = user_data;

  g_mutex_lock (&cam->lock);
  gst_clear_object (&cam->appsrc);
  g_mutex_unlock (&cam->lock);
}

static void
on_media_configure (GstRTSPMediaFactory * factory, GstRTSPMedia * media,
    gpointer user_data)
{
  StockCamera *cam = user_data;
  GstElement *bin = gst_rtsp_media_get_element (media);
  GstElement *src = gst_bin_get_by_name (GST_BIN (bin), "src");

  g_mutex_lock (&cam->lock);
  if (cam->caps)
    gst_app_src_set_caps (GST_APP_SRC (src), cam->caps);
  gst_clear_object (&cam->appsrc);
  cam->appsrc = GST_APP_SRC (gst_object_ref (src));
  cam->need_keyframe = TRUE;
  cam->have_offset = FALSE;
  g_mutex_unlock (&cam->lock);
  g_signal_connect (media, "unprepared", G_CALLBACK (on_media_unprepared),
      cam);
  gst_object_unref (src);
  gst_object_unref (bin);
}

static gboolean
on_sigint (gpointer user_data)
{
  static gboolean again = FALSE;
  GstElement *pipeline = user_data;

  if (again)
    exit (1);
  again = TRUE;
  gst_element_send_event (pipeline, gst_event_new_eos ());
  return G_SOURCE_CONTINUE;
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  GMainLoop *loop = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      g_main_loop_quit (loop);
      break;
    case GST_MESSAGE_ERROR:{
      GError *err;
      gchar *dbg;
      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("stock-district: error from %s: %s\n",
          GST_OBJECT_NAME (msg->src), err->message);
      g_error_free (err);
      g_free (dbg);
      /* The baseline must not fail silently: stop, exit non-zero. */
      exit_status = 1;
      g_main_loop_quit (loop);
      break;
    }
    default:
      break;
  }
  return TRUE;
}

static int
serve (const gchar * store, const gchar * port, gchar ** urls)
{
  GString *desc = g_string_new (NULL);
  GstElement *pipeline;
  GstRTSPServer *server;
  GstRTSPMountPoints *mounts;
  GMainLoop *loop;
  GError *err = NULL;
  guint n = g_strv_length (urls), i;
  StockCamera *cams = g_new0 (StockCamera, n);
  /* e.g. "buffer-mode=none": rtspsrc tuning, reported with the results */
  const gchar *rtspsrc_opts = g_getenv ("STOCK_RTSPSRC_OPTIONS");

  if (!rtspsrc_opts)
    rtspsrc_opts = "";

  for (i = 0; i < n; i++) {
    g_string_append_printf (desc,
        "rtspsrc location=%s protocols=tcp latency=200 %s "
        "! rtph264depay "
        "! h264parse config-interval=-1 ! tee name=t%u "
        "t%u. ! queue ! splitmuxsink muxer-factory=mp4mux "
        "muxer-properties=\"properties,fragment-duration=1000,"
        "fragment-mode=first-moov-then-finalise\" "
        "location=%s/stock-cam%u-%%05d.mp4 max-size-time=60000000000 "
        "t%u. ! queue leaky=downstream max-size-buffers=100 "
        "! appsink name=share%u sync=false max-buffers=100 drop=true ",
        urls[i], rtspsrc_opts, i, i, store, i, i, i);
  }
  pipeline = gst_parse_launch (desc->str, &err);
  g_string_free (desc, TRUE);
  if (!pipeline) {
    g_printerr ("stock-district: %s\n", err->message);
    return 1;
  }

  server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (server, "127.0.0.1");
  gst_rtsp_server_set_service (server, port);
  mounts = gst_rtsp_server_get_mount_points (server);
  for (i = 0; i < n; i++) {
    GstRTSPMediaFactory *f = gst_rtsp_media_factory_new ();
    GstElement *sink;
    GstAppSinkCallbacks cb = { NULL, NULL, on_sample };
    gchar *path = g_strdup_printf ("/stock/cam%u", i);
    gchar *name = g_strdup_printf ("share%u", i);

    cams[i].index = i;
    g_mutex_init (&cams[i].lock);
    gst_rtsp_media_factory_set_launch (f,
        "( appsrc name=src is-live=true format=time "
        "! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )");
    gst_rtsp_media_factory_set_shared (f, TRUE);
    g_signal_connect (f, "media-configure", G_CALLBACK (on_media_configure),
        &cams[i]);
    gst_rtsp_mount_points_add_factory (mounts, path, f);
    sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
    gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, &cams[i], NULL);
    gst_object_unref (sink);
    g_free (path);
    g_free (name);
  }
  g_object_unref (mounts);
  if (gst_rtsp_server_attach (server, NULL) == 0) {
    g_printerr ("stock-district: cannot listen on port %s\n", port);
    return 1;
  }

  loop = g_main_loop_new (NULL, FALSE);
  gst_bus_add_watch (GST_ELEMENT_BUS (pipeline), on_bus, loop);
  g_unix_signal_add (SIGINT, on_sigint, pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  printf ("stock-district ready cameras=%u rtsp=127.0.0.1:%s\n", n, port);
  fflush (stdout);
  g_main_loop_run (loop);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return exit_status;
}

/* ------------------------------------------------------------------ probe */

typedef struct
{
  GMutex lock;
  GHashTable *direct;           /* hash -> arrival (gint64 µs, boxed) */
  GArray *latencies;            /* gdouble ms */
  gint frames[2];
} Probe;

/* A hash of the picture NAL units of an access unit (byte-stream): slices
 * only (H.264 types 1..5, H.265 types 0..31), so that SEI, AUD and
 * parameter sets inserted or repeated on the way do not matter. */
static guint64
picture_hash (GstBuffer * buf, gboolean h265)
{
  GstMapInfo map;
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize len = sizeof digest, i, start = 0;
  guint64 h = 0;
  gboolean in_nal = FALSE;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_checksum_free (sum);
    return 0;
  }
  for (i = 0; i + 3 <= map.size; i++) {
    gboolean sc = map.data[i] == 0 && map.data[i + 1] == 0
        && map.data[i + 2] == 1;
    if (sc || i + 3 == map.size) {
      if (in_nal) {
        gsize end = sc ? i : map.size;
        guint8 t = map.data[start];
        gboolean slice = h265 ? ((t >> 1) & 0x3f) < 32 : ((t & 0x1f) >= 1
            && (t & 0x1f) <= 5);
        /* trailing zero of a 4-byte start code belongs to the next NAL */
        while (end > start && map.data[end - 1] == 0)
          end--;
        if (slice)
          g_checksum_update (sum, map.data + start, end - start);
      }
      if (sc) {
        start = i + 3;
        in_nal = TRUE;
        i += 2;
      }
    }
  }
  gst_buffer_unmap (buf, &map);
  g_checksum_get_digest (sum, digest, &len);
  memcpy (&h, digest, sizeof h);
  g_checksum_free (sum);
  return h;
}

typedef struct
{
  Probe *probe;
  gint which;                   /* 0 direct, 1 through the district */
  gboolean h265;
} ProbeSide;

static GstFlowReturn
on_probe_sample (GstAppSink * sink, gpointer user_data)
{
  ProbeSide *side = user_data;
  Probe *p = side->probe;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  gint64 now = g_get_monotonic_time ();
  guint64 h;

  if (!sample)
    return GST_FLOW_EOS;
  h = picture_hash (gst_sample_get_buffer (sample), side->h265);
  g_mutex_lock (&p->lock);
  p->frames[side->which]++;
  if (side->which == 0) {
    g_hash_table_insert (p->direct, g_memdup2 (&h, sizeof h),
        g_memdup2 (&now, sizeof now));
  } else {
    gint64 *t = g_hash_table_lookup (p->direct, &h);
    if (t) {
      gdouble ms = (now - *t) / 1000.0;
      g_array_append_val (p->latencies, ms);
      g_hash_table_remove (p->direct, &h);
    }
  }
  g_mutex_unlock (&p->lock);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return x < y ? -1 : x > y;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static int
probe (gint seconds, const gchar * direct, const gchar * via, gboolean h265)
{
  Probe p;
  ProbeSide sides[2] = { {&p, 0, h265}, {&p, 1, h265} };
  const gchar *urls[2] = { direct, via };
  GstElement *pipes[2];
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  gint i;

  g_mutex_init (&p.lock);
  p.direct = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      g_free);
  p.latencies = g_array_new (FALSE, FALSE, sizeof (gdouble));
  p.frames[0] = p.frames[1] = 0;
  for (i = 0; i < 2; i++) {
    GError *err = NULL;
    gchar *d = g_strdup_printf ("rtspsrc location=%s protocols=tcp "
        "latency=0 ! %s ! %s ! video/x-%s,stream-format=byte-stream,"
        "alignment=au ! appsink name=s sync=false", urls[i],
        h265 ? "rtph265depay" : "rtph264depay",
        h265 ? "h265parse" : "h264parse", h265 ? "h265" : "h264");
    GstElement *s;
    GstAppSinkCallbacks cb = { NULL, NULL, on_probe_sample };

    pipes[i] = gst_parse_launch (d, &err);
    g_free (d);
    if (!pipes[i]) {
      g_printerr ("probe: %s\n", err->message);
      return 1;
    }
    s = gst_bin_get_by_name (GST_BIN (pipes[i]), "s");
    gst_app_sink_set_callbacks (GST_APP_SINK (s), &cb, &sides[i], NULL);
    gst_object_unref (s);
    gst_element_set_state (pipes[i], GST_STATE_PLAYING);
  }
  g_timeout_add_seconds (seconds, quit_loop, loop);
  g_main_loop_run (loop);
  for (i = 0; i < 2; i++) {
    gst_element_set_state (pipes[i], GST_STATE_NULL);
    gst_object_unref (pipes[i]);
  }
  g_array_sort (p.latencies, cmp_double);
  if (p.latencies->len == 0) {
    printf ("probe matched=0 direct_frames=%d via_frames=%d\n", p.frames[0],
        p.frames[1]);
    return 1;
  }
  printf ("probe matched=%u direct_frames=%d via_frames=%d median_ms=%.1f "
      "p95_ms=%.1f\n", p.latencies->len, p.frames[0], p.frames[1],
      g_array_index (p.latencies, gdouble, p.latencies->len / 2),
      g_array_index (p.latencies, gdouble, p.latencies->len * 95 / 100));
  return 0;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc >= 6 && !strcmp (argv[1], "serve") && !strcmp (argv[2], "--store")
      && !strcmp (argv[4], "--port"))
    return serve (argv[3], argv[5], argv + 6);
  if (argc >= 6 && !strcmp (argv[1], "probe")
      && !strcmp (argv[2], "--seconds")) {
    gboolean h265 = argc >= 7 && !strcmp (argv[6], "h265");
    return probe (atoi (argv[3]), argv[4], argv[5], h265);
  }
  g_printerr ("usage: stock-district serve --store DIR --port PORT URL...\n"
      "       stock-district probe --seconds S DIRECT_URL VIA_URL [h265]\n");
  return 2;
}
