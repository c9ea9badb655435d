/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --source: the access units of a clip, loaded once into memory and paced
 * into every camera's appsrc by one thread, without re-encoding.
 *
 * Each camera plays the clip from its first keyframe at live pace and loops
 * forever; timestamps are the running time of the camera's pipeline when the
 * access unit is pushed (plus the clip's PTS-DTS offset), so they continue
 * across loops. Buffers pushed share the clip's memory: a camera costs a
 * payloader, not a copy of the clip. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>

#include "camsim.h"

GST_DEBUG_CATEGORY_EXTERN (camsim_debug);
#define GST_CAT_DEFAULT camsim_debug

/* A clip beyond this is refused: it would all sit in memory. */
#define CAMSIM_CLIP_MAX_BYTES (512 * 1024 * 1024)
#define CAMSIM_PACER_TICK_US 4000
/* A feed whose appsrc refused everything for this long is forgotten. */
#define CAMSIM_FEED_DEAD_US (10 * G_USEC_PER_SEC)

typedef struct
{
  GWeakRef appsrc;
  gboolean started;
  gint64 start_us;              /* monotonic time of AU 0 of loop 0 */
  GstClockTime start_rt;        /* running time of AU 0 of loop 0 */
  gint64 flushing_since;        /* monotonic µs of the last FLUSHING, 0 */
  guint idx;                    /* next AU to push */
  guint64 loop;
} CamsimFeed;

struct _CamsimClip
{
  gchar *path;
  gchar *codec;                 /* "h264" or "h265" */
  GstCaps *caps;                /* byte-stream, au */
  GPtrArray *aus;               /* GstBuffer, from the first keyframe */
  GArray *due_us;               /* gint64: DTS from the clip start, µs */
  GArray *pts_offset;           /* GstClockTimeDiff: PTS - DTS, ns */
  gint64 loop_us;               /* length of one loop */
  gsize bytes;

  GThread *pacer;
  GMutex lock;                  /* guards feeds and stop */
  GCond cond;
  GPtrArray *feeds;             /* CamsimFeed */
  gboolean stop;
};

const gchar *
camsim_clip_codec (CamsimClip * clip)
{
  return clip->codec;
}

gchar *
camsim_clip_describe (CamsimClip * clip)
{
  GstStructure *s = gst_caps_get_structure (clip->caps, 0);
  gint w = 0, h = 0;

  gst_structure_get_int (s, "width", &w);
  gst_structure_get_int (s, "height", &h);
  return g_strdup_printf ("%s %dx%d, %u access units, %.2f s per loop, "
      "%.1f MB in memory, %.0f kbit/s", clip->codec, w, h, clip->aus->len,
      clip->loop_us / 1e6, clip->bytes / 1e6,
      clip->loop_us ? clip->bytes * 8.0 / (clip->loop_us / 1e6) / 1000 : 0);
}

static void
camsim_feed_free (gpointer data)
{
  CamsimFeed *feed = data;

  g_weak_ref_clear (&feed->appsrc);
  g_free (feed);
}

/* Pushes AU feed->idx of loop feed->loop, stamped from the schedule (not
 * from the moment of the push, so a late wake-up makes no jitter). Called
 * with clip->lock held. */
static GstFlowReturn
camsim_clip_push (CamsimClip * clip, CamsimFeed * feed, GstElement * appsrc)
{
  GstBuffer *au = g_ptr_array_index (clip->aus, feed->idx);
  GstBuffer *buf = gst_buffer_copy (au);        /* shares the memory */
  GstClockTime dts;

  dts = feed->start_rt + (feed->loop * clip->loop_us +
      g_array_index (clip->due_us, gint64, feed->idx)) * GST_USECOND;
  GST_BUFFER_DTS (buf) = dts;
  GST_BUFFER_PTS (buf) = dts + g_array_index (clip->pts_offset,
      GstClockTimeDiff, feed->idx);
  return gst_app_src_push_buffer (GST_APP_SRC (appsrc), buf);
}

static gpointer
camsim_clip_pacer (gpointer user_data)
{
  CamsimClip *clip = user_data;

  g_mutex_lock (&clip->lock);
  while (!clip->stop) {
    gint64 now = g_get_monotonic_time ();
    gint64 next = now + 100 * 1000;
    guint i;

    for (i = 0; i < clip->feeds->len;) {
      CamsimFeed *feed = g_ptr_array_index (clip->feeds, i);
      GstElement *appsrc = g_weak_ref_get (&feed->appsrc);
      gboolean gone = FALSE;

      if (appsrc == NULL) {
        gone = TRUE;
      } else if (!feed->started && feed->flushing_since
          && now - feed->flushing_since > CAMSIM_FEED_DEAD_US) {
        gone = TRUE;
      } else if (!feed->started) {
        /* Not started until the pipeline runs (it has a clock) and appsrc
         * takes the first keyframe. */
        /* Only in PLAYING is the base time right: before that the
         * "running time" is the clock's absolute time. */
        feed->start_rt = GST_STATE (appsrc) == GST_STATE_PLAYING ?
            gst_element_get_current_running_time (appsrc) :
            GST_CLOCK_TIME_NONE;
        if (GST_CLOCK_TIME_IS_VALID (feed->start_rt)
            && camsim_clip_push (clip, feed, appsrc) == GST_FLOW_OK) {
          feed->started = TRUE;
          feed->start_us = now;
          feed->loop = 0;
          feed->idx = 1;
          feed->flushing_since = 0;
          GST_DEBUG ("appsrc %p: feed started at running time %"
              GST_TIME_FORMAT, appsrc, GST_TIME_ARGS (feed->start_rt));
        }
        next = MIN (next, now + CAMSIM_PACER_TICK_US * 5);
      } else {
        for (;;) {
          gint64 due;

          if (feed->idx >= clip->aus->len) {
            feed->idx = 0;
            feed->loop++;
          }
          due = feed->start_us + feed->loop * clip->loop_us +
              g_array_index (clip->due_us, gint64, feed->idx);
          if (due > now) {
            next = MIN (next, due);
            break;
          }
          if (camsim_clip_push (clip, feed, appsrc) == GST_FLOW_FLUSHING) {
            /* A flush (seek) or the pipeline shutting down: start again at
             * the first keyframe; a pipeline that stays down goes away
             * with its appsrc (weak ref) or after CAMSIM_FEED_DEAD_US. */
            feed->started = FALSE;
            feed->flushing_since = now;
            GST_DEBUG_OBJECT (appsrc, "flushing: feed restarts");
            break;
          }
          feed->idx++;
        }
      }
      gst_clear_object (&appsrc);
      if (gone)
        g_ptr_array_remove_index_fast (clip->feeds, i);
      else
        i++;
    }
    next = MAX (next, now + CAMSIM_PACER_TICK_US / 4);
    g_cond_wait_until (&clip->cond, &clip->lock, next);
  }
  g_mutex_unlock (&clip->lock);
  return NULL;
}

void
camsim_clip_attach (CamsimClip * clip, GstElement * appsrc)
{
  CamsimFeed *feed = g_new0 (CamsimFeed, 1);

  g_object_set (appsrc, "caps", clip->caps, NULL);
  g_weak_ref_init (&feed->appsrc, appsrc);
  g_mutex_lock (&clip->lock);
  g_ptr_array_add (clip->feeds, feed);
  g_cond_signal (&clip->cond);
  g_mutex_unlock (&clip->lock);
}

void
camsim_clip_free (CamsimClip * clip)
{
  if (clip == NULL)
    return;
  if (clip->pacer) {
    g_mutex_lock (&clip->lock);
    clip->stop = TRUE;
    g_cond_signal (&clip->cond);
    g_mutex_unlock (&clip->lock);
    g_thread_join (clip->pacer);
  }
  g_ptr_array_unref (clip->feeds);
  g_ptr_array_unref (clip->aus);
  g_array_unref (clip->due_us);
  g_array_unref (clip->pts_offset);
  gst_clear_caps (&clip->caps);
  g_mutex_clear (&clip->lock);
  g_cond_clear (&clip->cond);
  g_free (clip->codec);
  g_free (clip->path);
  g_free (clip);
}

/* --- loading ---------------------------------------------------------- */

typedef struct
{
  GstElement *pipeline;
  GstElement *sink;
  gchar *codec;
} CamsimLoader;

static void
camsim_loader_pad_added (GstElement * parsebin, GstPad * pad,
    gpointer user_data)
{
  CamsimLoader *loader = user_data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name;
  const gchar *codec = NULL;
  GstElement *parse, *filter;
  GstCaps *filter_caps;
  GstPad *sinkpad;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (!strcmp (name, "video/x-h264"))
    codec = "h264";
  else if (!strcmp (name, "video/x-h265"))
    codec = "h265";
  gst_caps_unref (caps);
  if (codec == NULL || loader->codec)
    return;                     /* not video we serve, or a second track */

  loader->codec = g_strdup (codec);
  parse = gst_element_factory_make (!strcmp (codec, "h264") ? "h264parse" :
      "h265parse", NULL);
  filter = gst_element_factory_make ("capsfilter", NULL);
  /* SPS/PPS(/VPS) before every keyframe: a client may join at any one. */
  g_object_set (parse, "config-interval", -1, NULL);
  filter_caps = gst_caps_new_simple (!strcmp (codec, "h264") ?
      "video/x-h264" : "video/x-h265", "stream-format", G_TYPE_STRING,
      "byte-stream", "alignment", G_TYPE_STRING, "au", NULL);
  g_object_set (filter, "caps", filter_caps, NULL);
  gst_caps_unref (filter_caps);
  gst_bin_add_many (GST_BIN (loader->pipeline), parse, filter, NULL);
  gst_element_link_many (parse, filter, loader->sink, NULL);
  gst_element_sync_state_with_parent (filter);
  gst_element_sync_state_with_parent (parse);
  sinkpad = gst_element_get_static_pad (parse, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

static gboolean
camsim_clip_collect (CamsimClip * clip, CamsimLoader * loader,
    gint fallback_fps, GError ** error)
{
  GstBus *bus = gst_element_get_bus (loader->pipeline);
  GstClockTime first_dts = GST_CLOCK_TIME_NONE, frame_dur, last_dur = 0;
  gboolean ok = TRUE;
  guint count = 0;
  gint fps_n = 0, fps_d = 1;

  for (;;) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK
        (loader->sink), 100 * GST_MSECOND);
    GstMessage *msg;
    GstBuffer *buf;
    GstClockTime dts, pts;

    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "cannot read %s: %s", clip->path, err->message);
      g_clear_error (&err);
      gst_message_unref (msg);
      if (sample)
        gst_sample_unref (sample);
      ok = FALSE;
      break;
    }
    if (sample == NULL) {
      if (gst_app_sink_is_eos (GST_APP_SINK (loader->sink)))
        break;
      continue;
    }

    if (clip->caps == NULL) {
      GstStructure *s;

      clip->caps = gst_caps_copy (gst_sample_get_caps (sample));
      s = gst_caps_get_structure (clip->caps, 0);
      if (!gst_structure_get_fraction (s, "framerate", &fps_n, &fps_d)
          || fps_n <= 0 || fps_d <= 0) {
        fps_n = fallback_fps;
        fps_d = 1;
      }
    }
    frame_dur = gst_util_uint64_scale_int (GST_SECOND, fps_d, fps_n);
    buf = gst_sample_get_buffer (sample);
    if (clip->aus->len == 0 && GST_BUFFER_FLAG_IS_SET (buf,
            GST_BUFFER_FLAG_DELTA_UNIT)) {
      gst_sample_unref (sample);        /* start at a keyframe */
      continue;
    }
    dts = GST_BUFFER_DTS_IS_VALID (buf) ? GST_BUFFER_DTS (buf) :
        GST_BUFFER_PTS (buf);
    pts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) : dts;
    if (!GST_CLOCK_TIME_IS_VALID (dts)) {
      dts = pts = count * frame_dur;
    }
    if (!GST_CLOCK_TIME_IS_VALID (first_dts))
      first_dts = dts;
    {
      gint64 due = (gint64) (MAX (dts, first_dts) - first_dts) / GST_USECOND;
      GstClockTimeDiff off = pts > dts ? (GstClockTimeDiff) (pts - dts) : 0;

      if (clip->due_us->len)    /* never backwards */
        due = MAX (due, g_array_index (clip->due_us, gint64,
                clip->due_us->len - 1));
      g_array_append_val (clip->due_us, due);
      g_array_append_val (clip->pts_offset, off);
    }
    last_dur = GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf)
        : frame_dur;
    clip->bytes += gst_buffer_get_size (buf);
    g_ptr_array_add (clip->aus, gst_buffer_ref (buf));
    gst_sample_unref (sample);
    count++;
    if (clip->bytes > CAMSIM_CLIP_MAX_BYTES) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
          "%s is too big to hold in memory (more than %d MB of video); "
          "cut a shorter clip, e.g. with anninh camsim --make-clip",
          clip->path, CAMSIM_CLIP_MAX_BYTES / (1024 * 1024));
      ok = FALSE;
      break;
    }
  }
  gst_object_unref (bus);
  if (ok && clip->aus->len < 2) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s holds no H.264 or H.265 video starting with a keyframe",
        clip->path);
    ok = FALSE;
  }
  if (ok)
    clip->loop_us = g_array_index (clip->due_us, gint64, clip->due_us->len - 1)
        + last_dur / GST_USECOND;
  return ok;
}

CamsimClip *
camsim_clip_load (const gchar * path, gint fallback_fps, GError ** error)
{
  CamsimClip *clip;
  CamsimLoader loader = { NULL, };
  GstElement *src, *parsebin;
  FILE *f;
  gboolean ok;

  f = g_fopen (path, "rb");
  if (f == NULL) {
    int saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
        "cannot read --source %s: %s", path, g_strerror (saved));
    return NULL;
  }
  fclose (f);

  clip = g_new0 (CamsimClip, 1);
  clip->path = g_strdup (path);
  clip->aus = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  clip->due_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  clip->pts_offset = g_array_new (FALSE, FALSE, sizeof (GstClockTimeDiff));
  clip->feeds = g_ptr_array_new_with_free_func (camsim_feed_free);
  g_mutex_init (&clip->lock);
  g_cond_init (&clip->cond);

  loader.pipeline = gst_pipeline_new ("camsim-loader");
  src = gst_element_factory_make ("filesrc", NULL);
  parsebin = gst_element_factory_make ("parsebin", NULL);
  loader.sink = gst_element_factory_make ("appsink", NULL);
  if (!src || !parsebin || !loader.sink) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "filesrc, parsebin or appsink is missing: install "
        "gstreamer1.0-plugins-base");
    gst_clear_object (&src);
    gst_clear_object (&parsebin);
    gst_clear_object (&loader.sink);
    gst_object_unref (loader.pipeline);
    camsim_clip_free (clip);
    return NULL;
  }
  g_object_set (src, "location", path, NULL);
  g_object_set (loader.sink, "sync", FALSE, "max-buffers", 0, NULL);
  gst_bin_add_many (GST_BIN (loader.pipeline), src, parsebin, loader.sink,
      NULL);
  gst_element_link (src, parsebin);
  g_signal_connect (parsebin, "pad-added",
      G_CALLBACK (camsim_loader_pad_added), &loader);

  gst_element_set_state (loader.pipeline, GST_STATE_PLAYING);
  ok = camsim_clip_collect (clip, &loader, fallback_fps, error);
  gst_element_set_state (loader.pipeline, GST_STATE_NULL);
  gst_object_unref (loader.pipeline);
  clip->codec = loader.codec;

  if (!ok) {
    camsim_clip_free (clip);
    return NULL;
  }
  clip->pacer = g_thread_new ("camsim-pacer", camsim_clip_pacer, clip);
  return clip;
}

/* --- --make-clip ------------------------------------------------------ */

gboolean
camsim_make_clip (const gchar * out, const gchar * codec, gint width,
    gint height, gint fps, gint bitrate, gint seconds, GError ** error)
{
  gboolean h265 = !g_strcmp0 (codec, "h265");
  gchar *desc, *encoder, *tmp;
  GstElement *pipeline, *sink;
  GstBus *bus;
  GstMessage *msg;
  gboolean ok = FALSE;

  /* Encoded once, at camera-like settings: no B-frames, a keyframe every
   * two seconds, scrolling picture so the bitrate is spent. */
  if (h265)
    encoder = g_strdup_printf ("x265enc speed-preset=superfast bitrate=%d "
        "key-int-max=%d option-string=\"bframes=0\" ! h265parse",
        bitrate, fps * 2);
  else
    encoder = g_strdup_printf ("x264enc speed-preset=superfast bitrate=%d "
        "key-int-max=%d bframes=0 ! h264parse", bitrate, fps * 2);
  desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=smpte "
      "horizontal-speed=4 ! video/x-raw,width=%d,height=%d,framerate=%d/1 "
      "! timeoverlay text=\"anninh camsim clip\" font-desc=\"Sans 24\" "
      "shaded-background=true ! videoconvert ! %s ! mp4mux "
      "! filesink name=sink", seconds * fps, width, height, fps, encoder);
  g_free (encoder);
  pipeline = gst_parse_launch (desc, error);
  g_free (desc);
  if (pipeline == NULL)
    return FALSE;

  /* write to OUT.part, rename when complete */
  tmp = g_strconcat (out, ".part", NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "location", tmp, NULL);
  gst_object_unref (sink);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot make the clip %s: %s", out, err->message);
    g_clear_error (&err);
  } else {
    ok = TRUE;
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  if (ok && g_rename (tmp, out) != 0) {
    int saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
        "cannot rename %s to %s: %s", tmp, out, g_strerror (saved));
    ok = FALSE;
  }
  if (!ok)
    g_unlink (tmp);
  g_free (tmp);
  return ok;
}
