/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A mount of policeshare: the media factory that builds one *shared* media
 * per mount (appsrc ! rtph26Xpay), the fan-out of the element's buffers
 * into the appsrc of that media, the cache that lets a new media start at a
 * keyframe at once, and the book-keeping of viewers (health registry, bus
 * messages, audit log).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/app/gstappsrc.h>
#include <anninh/health-registry.h>
#include <anninh/evidence-events.h>

#include "policeshare-mount.h"

GST_DEBUG_CATEGORY_EXTERN (policeshare_debug);
#define GST_CAT_DEFAULT policeshare_debug

/* Bounds of the cache of the current GOP; past them the cache is dropped
 * until the next keyframe (a new media then waits for the camera). */
#define GOP_CACHE_MAX_BYTES (8 * 1024 * 1024)
#define GOP_CACHE_MAX_BUFFERS 600
/* Queue of each media's appsrc: a stalled media drops its oldest data
 * instead of blocking the pipeline. */
#define APPSRC_MAX_BYTES (2 * 1024 * 1024)
/* Minimum spacing of the timestamps of a burst of cached frames. */
#define BURST_SPACING (GST_MSECOND)
/* Frames waiting in a media's appsrc beyond which the media is too slow
 * (its viewers' connections cannot keep up): rather than let the delay
 * grow, the mount skips to the next keyframe for that media. The cached
 * GOP pushed at the start is exempt for BURST_GRACE. */
#define MAX_QUEUED_FRAMES 12
#define BURST_GRACE (2 * G_USEC_PER_SEC)

static GQuark skip_quark;       /* on an appsrc: skipping to a keyframe */
static GQuark grace_quark;      /* on an appsrc: gint64 end of the grace */

typedef struct
{
  gchar *user;
  gchar *groups;                /* comma-separated */
  gchar *address;
  gint64 start;                 /* µs UTC */
  guint64 bytes_at_start;
} Viewer;

struct _PoliceshareMount
{
  gint refcount;                /* atomic */
  PoliceshareMountConfig config;        /* fixed after _new */
  AnninhViewerAccounts *accounts;       /* NULL: open mount; own lock */
  AnninhAuditLog *audit;        /* NULL: no audit log; own lock */
  GstRTSPMediaFactory *factory; /* fixed after _new */

  GMutex lock;                  /* guards everything below */
  GstElement *element;          /* not reffed; NULL once detached */
  gchar *address;               /* host:port, for the health registry */
  GstCaps *caps;
  GPtrArray *gop;               /* GstBuffer: last keyframe and followers */
  gsize gop_bytes;
  GstBuffer *param_sets[3];     /* last SPS, PPS, VPS seen */
  GPtrArray *sources;           /* GstAppSrc of the live media */
  GHashTable *viewers;          /* GstRTSPClient * -> Viewer */
  guint64 bytes_pushed;         /* video bytes given to the media */
  guint64 bytes_sent;           /* summed over viewers */
  guint64 refusals;
  gboolean audit_error_reported;
  gboolean accounts_error_reported;
};

/* ------------------------------------------------------------------ */
/* the media factory */

#define POLICESHARE_TYPE_FACTORY (policeshare_factory_get_type ())
G_DECLARE_FINAL_TYPE (PoliceshareFactory, policeshare_factory,
    POLICESHARE, FACTORY, GstRTSPMediaFactory);

struct _PoliceshareFactory
{
  GstRTSPMediaFactory parent;
  PoliceshareMount *mount;      /* not reffed: the mount owns the factory */
};

G_DEFINE_TYPE (PoliceshareFactory, policeshare_factory,
    GST_TYPE_RTSP_MEDIA_FACTORY);

static const gchar MEDIA_MOUNT_KEY[] = "policeshare-mount";

static GstElement *
factory_create_element (GstRTSPMediaFactory * factory, const GstRTSPUrl * url)
{
  PoliceshareMount *mount = POLICESHARE_FACTORY (factory)->mount;
  GstElement *bin, *src, *pay;
  const gchar *payname = NULL;
  GstCaps *caps = NULL;

  g_mutex_lock (&mount->lock);
  /* without a cached GOP the media prerolls on the next keyframe */
  if (mount->caps) {
    const gchar *name =
        gst_structure_get_name (gst_caps_get_structure (mount->caps, 0));
    caps = gst_caps_ref (mount->caps);
    if (g_str_equal (name, "video/x-h264"))
      payname = "rtph264pay";
    else if (g_str_equal (name, "video/x-h265"))
      payname = "rtph265pay";
  }
  g_mutex_unlock (&mount->lock);

  if (payname == NULL) {
    GST_INFO ("mount %s: no video yet, refusing the media", mount->config.path);
    if (caps)
      gst_caps_unref (caps);
    return NULL;
  }

  bin = gst_bin_new (NULL);
  src = gst_element_factory_make ("appsrc", "src");
  pay = gst_element_factory_make (payname, "pay0");
  if (!src || !pay) {
    GST_ERROR ("cannot create appsrc or %s: is gst-plugins-good installed?",
        payname);
    gst_clear_object (&src);
    gst_clear_object (&pay);
    gst_object_unref (bin);
    gst_caps_unref (caps);
    return NULL;
  }
  g_object_set (src, "is-live", TRUE, "format", GST_FORMAT_TIME,
      "do-timestamp", TRUE, "caps", caps, "max-bytes",
      (guint64) APPSRC_MAX_BYTES, "block", FALSE, NULL);
  gst_app_src_set_leaky_type (GST_APP_SRC (src), GST_APP_LEAKY_TYPE_DOWNSTREAM);
  /* Parameter sets before every keyframe: viewers joining a running
   * media can start decoding at the next keyframe. */
  g_object_set (pay, "config-interval", -1, "pt", 96, NULL);
  gst_bin_add_many (GST_BIN (bin), src, pay, NULL);
  gst_element_link (src, pay);
  gst_caps_unref (caps);
  return bin;
}

/* Spreads the timestamps of a burst of cached frames (all pushed at once)
 * so that every frame has its own RTP timestamp. */
static GstPadProbeReturn
space_timestamps (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstClockTime *last = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime ts = GST_BUFFER_PTS (buf);

  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return GST_PAD_PROBE_OK;
  if (GST_CLOCK_TIME_IS_VALID (*last) && ts < *last + BURST_SPACING) {
    buf = gst_buffer_make_writable (buf);
    ts = *last + BURST_SPACING;
    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = ts;
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  }
  *last = ts;
  return GST_PAD_PROBE_OK;
}

static GstBuffer *
copy_for_media (GstBuffer * buffer)
{
  GstBuffer *copy = gst_buffer_copy (buffer);

  /* appsrc stamps it with the media pipeline's running time */
  GST_BUFFER_PTS (copy) = GST_BUFFER_DTS (copy) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (copy) = GST_CLOCK_TIME_NONE;
  return copy;
}

static gboolean buffer_has_nal (GstBuffer * buf, gboolean h265, guint type);

static void
media_unprepared (GstRTSPMedia * media, GstAppSrc * src)
{
  PoliceshareMount *mount = policeshare_mount_from_media (media);

  if (mount == NULL)
    return;
  g_mutex_lock (&mount->lock);
  if (g_ptr_array_remove (mount->sources, src))
    GST_DEBUG ("mount %s: media %p gone", mount->config.path, media);
  g_mutex_unlock (&mount->lock);
}

static void
factory_configure (GstRTSPMediaFactory * factory, GstRTSPMedia * media)
{
  PoliceshareMount *mount = POLICESHARE_FACTORY (factory)->mount;
  GstElement *element, *src;
  GstPad *pad;
  guint i;

  GST_RTSP_MEDIA_FACTORY_CLASS (policeshare_factory_parent_class)->configure
      (factory, media);

  g_object_set_data_full (G_OBJECT (media), MEDIA_MOUNT_KEY,
      policeshare_mount_ref (mount), (GDestroyNotify) policeshare_mount_unref);

  element = gst_rtsp_media_get_element (media);
  src = gst_bin_get_by_name (GST_BIN (element), "src");
  gst_object_unref (element);
  if (src == NULL)
    return;

  pad = gst_element_get_static_pad (src, "src");
  {
    GstClockTime *last = g_new (GstClockTime, 1);

    *last = GST_CLOCK_TIME_NONE;
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, space_timestamps,
        last, g_free);
  }
  gst_object_unref (pad);

  /* handlers hold the src; released with the media */
  g_signal_connect_data (media, "unprepared", G_CALLBACK (media_unprepared),
      gst_object_ref (src), (GClosureNotify) (void (*)(void)) gst_object_unref,
      0);

  g_mutex_lock (&mount->lock);
  if (mount->gop->len > 0) {
    GstBuffer *first = g_ptr_array_index (mount->gop, 0);
    gboolean h265 = mount->caps && g_str_equal ("video/x-h265",
        gst_structure_get_name (gst_caps_get_structure (mount->caps, 0)));
    GstBuffer *headers = NULL;

    /* a keyframe without its parameter sets cannot be decoded alone */
    if (!buffer_has_nal (first, h265, h265 ? 33 : 7)) {
      for (i = 0; i < 3; i++)
        if (mount->param_sets[i]) {
          headers = headers ? gst_buffer_append (headers,
              gst_buffer_ref (mount->param_sets[i])) :
              gst_buffer_ref (mount->param_sets[i]);
        }
    }
    for (i = 0; i < mount->gop->len; i++) {
      GstBuffer *b = copy_for_media (g_ptr_array_index (mount->gop, i));

      if (i == 0 && headers) {
        b = gst_buffer_append (headers, b);
        headers = NULL;
      }
      gst_app_src_push_buffer (GST_APP_SRC (src), b);
    }
    GST_DEBUG ("mount %s: new media %p starts with %u cached frames",
        mount->config.path, media, mount->gop->len);
  }
  {
    gint64 *grace = g_new (gint64, 1);

    *grace = g_get_monotonic_time () + BURST_GRACE;
    g_object_set_qdata_full (G_OBJECT (src), grace_quark, grace, g_free);
  }
  g_ptr_array_add (mount->sources, src);        /* takes the ref */
  g_mutex_unlock (&mount->lock);
}

static void
policeshare_factory_class_init (PoliceshareFactoryClass * klass)
{
  GstRTSPMediaFactoryClass *fclass = GST_RTSP_MEDIA_FACTORY_CLASS (klass);

  skip_quark = g_quark_from_static_string ("policeshare-skip");
  grace_quark = g_quark_from_static_string ("policeshare-grace");
  fclass->create_element = factory_create_element;
  fclass->configure = factory_configure;
}

static void
policeshare_factory_init (PoliceshareFactory * self)
{
  GstRTSPMediaFactory *f = GST_RTSP_MEDIA_FACTORY (self);

  gst_rtsp_media_factory_set_shared (f, TRUE);
  gst_rtsp_media_factory_set_suspend_mode (f, GST_RTSP_SUSPEND_MODE_NONE);
  gst_rtsp_media_factory_set_eos_shutdown (f, FALSE);
  gst_rtsp_media_factory_set_stop_on_disconnect (f, TRUE);
}

/* ------------------------------------------------------------------ */
/* NAL units */

/* Calls @func for each NAL unit of an Annex B byte-stream buffer with its
 * offset and size including the start code. */
typedef void (*NalFunc) (const guint8 * data, gsize offset, gsize size,
    guint type, gpointer user_data);

static void
for_each_nal (GstBuffer * buf, gboolean h265, NalFunc func, gpointer user_data)
{
  GstMapInfo map;
  gsize i, start = G_MAXSIZE, hdr = 0;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return;
  for (i = 0; i + 3 <= map.size; i++) {
    if (map.data[i] == 0 && map.data[i + 1] == 0 && map.data[i + 2] == 1) {
      gsize sc = (i > 0 && map.data[i - 1] == 0) ? i - 1 : i;

      if (start != G_MAXSIZE && hdr < map.size) {
        guint8 b = map.data[hdr];
        func (map.data, start, sc - start, h265 ? (b >> 1) & 0x3f : b & 0x1f,
            user_data);
      }
      start = sc;
      hdr = i + 3;
      i += 2;
    }
  }
  if (start != G_MAXSIZE && hdr < map.size) {
    guint8 b = map.data[hdr];
    func (map.data, start, map.size - start,
        h265 ? (b >> 1) & 0x3f : b & 0x1f, user_data);
  }
  gst_buffer_unmap (buf, &map);
}

typedef struct
{
  guint type;
  gboolean found;
} FindNal;

static void
find_nal (const guint8 * data, gsize offset, gsize size, guint type,
    gpointer user_data)
{
  FindNal *f = user_data;

  if (type == f->type)
    f->found = TRUE;
}

static gboolean
buffer_has_nal (GstBuffer * buf, gboolean h265, guint type)
{
  FindNal f = { type, FALSE };

  for_each_nal (buf, h265, find_nal, &f);
  return f.found;
}

typedef struct
{
  PoliceshareMount *mount;
  gboolean h265;
} ParamScan;

static void
keep_param_set (const guint8 * data, gsize offset, gsize size, guint type,
    gpointer user_data)
{
  ParamScan *s = user_data;
  gint slot = -1;

  if (s->h265)
    slot = type == 33 ? 0 : type == 34 ? 1 : type == 32 ? 2 : -1;
  else
    slot = type == 7 ? 0 : type == 8 ? 1 : -1;
  if (slot < 0)
    return;
  if (s->mount->param_sets[slot])
    gst_buffer_unref (s->mount->param_sets[slot]);
  s->mount->param_sets[slot] = gst_buffer_new_memdup (data + offset, size);
}

/* ------------------------------------------------------------------ */
/* the mount */

static void
publish_health_locked (PoliceshareMount * mount)
{
  GstStructure *s;
  guint n = g_hash_table_size (mount->viewers);

  s = gst_structure_new (ANNINH_HEALTH_KIND_SHARE,
      "id", G_TYPE_STRING, mount->config.path,
      "state", G_TYPE_STRING, n > 0 ? "serving" : "idle",
      "viewers", G_TYPE_UINT, n,
      "refusals", G_TYPE_UINT64, mount->refusals,
      "bytes-sent", G_TYPE_UINT64, mount->bytes_sent, NULL);
  if (mount->address)
    gst_structure_set (s, "address", G_TYPE_STRING, mount->address, NULL);
  anninh_health_registry_publish (s);
  gst_structure_free (s);
}

static void
viewer_free (Viewer * v)
{
  g_free (v->user);
  g_free (v->groups);
  g_free (v->address);
  g_free (v);
}

/**
 * policeshare_mount_new:
 *
 * Opens the audit log and reads the accounts of @config. Errors are
 * sentences for the technician.
 */
PoliceshareMount *
policeshare_mount_new (GstElement * element,
    const PoliceshareMountConfig * config, GError ** error)
{
  PoliceshareMount *mount = g_new0 (PoliceshareMount, 1);

  mount->refcount = 1;
  g_mutex_init (&mount->lock);
  mount->element = element;
  mount->config = *config;
  mount->config.path = g_strdup (config->path);
  mount->config.realm = g_strdup (config->realm);
  mount->config.htdigest = g_strdup (config->htdigest);
  mount->config.groups_file = g_strdup (config->groups_file);
  mount->config.allow_groups = g_strdupv (config->allow_groups);
  mount->config.audit_log = g_strdup (config->audit_log);
  mount->gop = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  mount->sources = g_ptr_array_new_with_free_func (gst_object_unref);
  mount->viewers = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) viewer_free);

  if (config->htdigest) {
    GError *err = NULL;

    mount->accounts = anninh_viewer_accounts_new (config->htdigest,
        config->groups_file);
    if (!anninh_viewer_accounts_refresh (mount->accounts, NULL, &err)) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
          "Cannot read the officers' accounts for %s: %s", config->path,
          err->message);
      g_clear_error (&err);
      goto failed;
    }
  }
  if (config->audit_log) {
    GError *err = NULL;

    mount->audit = anninh_audit_log_open (config->audit_log, &err);
    if (!mount->audit) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE,
          "%s", err->message);
      g_clear_error (&err);
      goto failed;
    }
  }

  mount->factory = g_object_new (POLICESHARE_TYPE_FACTORY, NULL);
  POLICESHARE_FACTORY (mount->factory)->mount = mount;
  gst_rtsp_media_factory_set_protocols (mount->factory, config->protocols);
  if (config->tls)
    gst_rtsp_media_factory_set_profiles (mount->factory,
        GST_RTSP_PROFILE_AVP | GST_RTSP_PROFILE_SAVP);
  /* The auth object decides; these permissions only stop the stock check
   * from refusing clients that carry no stock token. */
  {
    GstRTSPPermissions *perms = gst_rtsp_permissions_new ();

    gst_rtsp_permissions_add_role (perms, "anninh-viewer",
        GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
        GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, NULL);
    gst_rtsp_media_factory_set_permissions (mount->factory, perms);
    gst_rtsp_permissions_unref (perms);
  }

  g_mutex_lock (&mount->lock);
  publish_health_locked (mount);
  g_mutex_unlock (&mount->lock);
  return mount;

failed:
  mount->element = NULL;
  policeshare_mount_unref (mount);
  return NULL;
}

PoliceshareMount *
policeshare_mount_ref (PoliceshareMount * mount)
{
  g_atomic_int_inc (&mount->refcount);
  return mount;
}

void
policeshare_mount_unref (PoliceshareMount * mount)
{
  guint i;

  if (!g_atomic_int_dec_and_test (&mount->refcount))
    return;
  if (mount->factory) {
    POLICESHARE_FACTORY (mount->factory)->mount = NULL;
    g_object_unref (mount->factory);
  }
  anninh_viewer_accounts_free (mount->accounts);
  if (mount->audit)
    anninh_audit_log_unref (mount->audit);
  g_hash_table_unref (mount->viewers);
  g_ptr_array_unref (mount->sources);
  g_ptr_array_unref (mount->gop);
  for (i = 0; i < 3; i++)
    gst_clear_buffer (&mount->param_sets[i]);
  gst_clear_caps (&mount->caps);
  g_free (mount->address);
  g_free (mount->config.path);
  g_free (mount->config.realm);
  g_free (mount->config.htdigest);
  g_free (mount->config.groups_file);
  g_strfreev (mount->config.allow_groups);
  g_free (mount->config.audit_log);
  g_mutex_clear (&mount->lock);
  g_free (mount);
}

const PoliceshareMountConfig *
policeshare_mount_get_config (PoliceshareMount * mount)
{
  return &mount->config;
}

AnninhViewerAccounts *
policeshare_mount_get_accounts (PoliceshareMount * mount)
{
  return mount->accounts;
}

void
policeshare_mount_set_address (PoliceshareMount * mount,
    const gchar * host_port)
{
  g_mutex_lock (&mount->lock);
  g_free (mount->address);
  mount->address = g_strdup (host_port);
  publish_health_locked (mount);
  g_mutex_unlock (&mount->lock);
}

GstRTSPMediaFactory *
policeshare_mount_get_factory (PoliceshareMount * mount)
{
  return mount->factory;
}

PoliceshareMount *
policeshare_mount_from_media (GstRTSPMedia * media)
{
  return media ? g_object_get_data (G_OBJECT (media), MEDIA_MOUNT_KEY) : NULL;
}

PoliceshareMount *
policeshare_mount_from_factory (GstRTSPMediaFactory * factory)
{
  if (factory == NULL || !POLICESHARE_IS_FACTORY (factory))
    return NULL;
  return POLICESHARE_FACTORY (factory)->mount;
}

void
policeshare_mount_set_caps (PoliceshareMount * mount, GstCaps * caps)
{
  guint i;

  g_mutex_lock (&mount->lock);
  gst_caps_replace (&mount->caps, caps);
  for (i = 0; i < mount->sources->len; i++)
    g_object_set (g_ptr_array_index (mount->sources, i), "caps", caps, NULL);
  g_mutex_unlock (&mount->lock);
}

void
policeshare_mount_push (PoliceshareMount * mount, GstBuffer * buffer)
{
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  gsize size = gst_buffer_get_size (buffer);
  guint i;

  g_mutex_lock (&mount->lock);
  if (key) {
    ParamScan scan = { mount, mount->caps && g_str_equal ("video/x-h265",
          gst_structure_get_name (gst_caps_get_structure (mount->caps, 0)))
    };

    for_each_nal (buffer, scan.h265, keep_param_set, &scan);
    g_ptr_array_set_size (mount->gop, 0);
    mount->gop_bytes = 0;
  }
  if (key || mount->gop->len > 0) {
    if (mount->gop_bytes + size > GOP_CACHE_MAX_BYTES ||
        mount->gop->len >= GOP_CACHE_MAX_BUFFERS) {
      GST_DEBUG ("mount %s: GOP too long to cache", mount->config.path);
      g_ptr_array_set_size (mount->gop, 0);
      mount->gop_bytes = 0;
    } else {
      g_ptr_array_add (mount->gop, gst_buffer_ref (buffer));
      mount->gop_bytes += size;
    }
  }

  for (i = 0; i < mount->sources->len; i++) {
    GstAppSrc *src = g_ptr_array_index (mount->sources, i);

    if (g_object_get_qdata (G_OBJECT (src), skip_quark)) {
      if (!key)
        continue;
      g_object_set_qdata (G_OBJECT (src), skip_quark, NULL);
    } else if (!key && gst_app_src_get_current_level_buffers (src) >
        MAX_QUEUED_FRAMES) {
      gint64 *grace = g_object_get_qdata (G_OBJECT (src), grace_quark);

      if (!grace || g_get_monotonic_time () > *grace) {
        GST_DEBUG ("mount %s: viewers too slow, skipping to a keyframe",
            mount->config.path);
        g_object_set_qdata (G_OBJECT (src), skip_quark, GINT_TO_POINTER (1));
        continue;
      }
    }
    gst_app_src_push_buffer (src, copy_for_media (buffer));
  }
  if (mount->sources->len > 0) {
    mount->bytes_pushed += size;
    mount->bytes_sent += (guint64) size *g_hash_table_size (mount->viewers);
  }
  g_mutex_unlock (&mount->lock);
}

gboolean
policeshare_mount_has_video (PoliceshareMount * mount)
{
  gboolean ret;

  g_mutex_lock (&mount->lock);
  ret = mount->caps != NULL;
  g_mutex_unlock (&mount->lock);
  return ret;
}

guint
policeshare_mount_n_viewers (PoliceshareMount * mount)
{
  guint n;

  g_mutex_lock (&mount->lock);
  n = g_hash_table_size (mount->viewers);
  g_mutex_unlock (&mount->lock);
  return n;
}

guint64
policeshare_mount_get_refusals (PoliceshareMount * mount)
{
  guint64 n;

  g_mutex_lock (&mount->lock);
  n = mount->refusals;
  g_mutex_unlock (&mount->lock);
  return n;
}

static gchar *
client_address (GstRTSPClient * client)
{
  GstRTSPConnection *conn = client ? gst_rtsp_client_get_connection (client) :
      NULL;
  const gchar *ip = conn ? gst_rtsp_connection_get_ip (conn) : NULL;

  return g_strdup (ip ? ip : "unknown");
}

static gchar *
iso8601 (gint64 us)
{
  GDateTime *base = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  GDateTime *dt = g_date_time_add (base, us % G_USEC_PER_SEC);
  gchar *s = g_date_time_format_iso8601 (dt);

  g_date_time_unref (dt);
  g_date_time_unref (base);
  return s;
}

static void
add_groups_array (JsonObject * obj, const gchar * groups)
{
  JsonArray *arr = json_array_new ();
  gchar **g = g_strsplit (groups ? groups : "", ",", -1), **p;

  for (p = g; *p; p++)
    if (**p)
      json_array_add_string_element (arr, *p);
  g_strfreev (g);
  json_object_set_array_member (obj, "groups", arr);
}

/* Writes one audit record; reports a failure once on the bus. Called
 * without the mount lock (the write is flushed to disk). */
static void
audit (PoliceshareMount * mount, JsonObject * record)
{
  GError *err = NULL;
  GstElement *element = NULL;

  if (mount->audit == NULL)
    return;
  if (anninh_audit_log_append (mount->audit, record, &err))
    return;

  g_mutex_lock (&mount->lock);
  if (!mount->audit_error_reported && mount->element) {
    mount->audit_error_reported = TRUE;
    element = gst_object_ref (mount->element);
  }
  g_mutex_unlock (&mount->lock);
  GST_WARNING ("audit log: %s", err->message);
  if (element) {
    GST_ELEMENT_WARNING (element, RESOURCE, WRITE,
        ("Viewings of %s can no longer be written to the audit log.",
            mount->config.path), ("%s", err->message));
    gst_object_unref (element);
  }
  g_clear_error (&err);
}

void
policeshare_mount_viewer_joined (PoliceshareMount * mount,
    GstRTSPClient * client)
{
  Viewer *v;
  guint n;
  GstElement *element;
  GstMessage *msg;
  const gchar *user, *groups;

  g_mutex_lock (&mount->lock);
  if (g_hash_table_contains (mount->viewers, client)) {
    g_mutex_unlock (&mount->lock);
    return;                     /* PLAY after PAUSE: same viewing */
  }
  user = g_object_get_data (G_OBJECT (client), POLICESHARE_CLIENT_USER);
  groups = g_object_get_data (G_OBJECT (client), POLICESHARE_CLIENT_GROUPS);
  v = g_new0 (Viewer, 1);
  v->user = g_strdup (user ? user : "");
  v->groups = g_strdup (groups ? groups : "");
  v->address = client_address (client);
  v->start = g_get_real_time ();
  v->bytes_at_start = mount->bytes_pushed;
  g_hash_table_insert (mount->viewers, client, v);
  n = g_hash_table_size (mount->viewers);
  publish_health_locked (mount);
  element = mount->element ? gst_object_ref (mount->element) : NULL;
  GST_INFO ("mount %s: viewer '%s' from %s joined (%u watching)",
      mount->config.path, v->user, v->address, n);

  msg = element ? gst_message_new_element (GST_OBJECT (element),
      gst_structure_new ("policeshare-viewer-joined",
          "mount", G_TYPE_STRING, mount->config.path,
          "user", G_TYPE_STRING, v->user,
          "groups", G_TYPE_STRING, v->groups,
          "client-address", G_TYPE_STRING, v->address,
          "viewers", G_TYPE_UINT, n, NULL)) : NULL;
  g_mutex_unlock (&mount->lock);

  if (element) {
    GstPad *sinkpad = gst_element_get_static_pad (element, "sink");

    gst_element_post_message (element, msg);
    /* a signed stream repeats its certificate for the new viewer */
    if (sinkpad) {
      gst_pad_push_event (sinkpad,
          anninh_certificate_request_event_new ("viewer"));
      gst_object_unref (sinkpad);
    }
    gst_object_unref (element);
  }
}

void
policeshare_mount_viewer_left (PoliceshareMount * mount,
    GstRTSPClient * client, const gchar * reason)
{
  Viewer *v;
  guint n;
  guint64 bytes;
  gint64 end = g_get_real_time ();
  GstElement *element;
  JsonObject *rec;
  gchar *s;

  g_mutex_lock (&mount->lock);
  if (!g_hash_table_steal_extended (mount->viewers, client, NULL,
          (gpointer *) & v)) {
    g_mutex_unlock (&mount->lock);
    return;
  }
  bytes = mount->bytes_pushed - v->bytes_at_start;
  n = g_hash_table_size (mount->viewers);
  publish_health_locked (mount);
  element = mount->element ? gst_object_ref (mount->element) : NULL;
  g_mutex_unlock (&mount->lock);

  GST_INFO ("mount %s: viewer '%s' from %s left (%s), %" G_GUINT64_FORMAT
      " bytes", mount->config.path, v->user, v->address, reason, bytes);

  rec = json_object_new ();
  json_object_set_string_member (rec, "event", "view");
  json_object_set_string_member (rec, "outcome", "viewed");
  json_object_set_string_member (rec, "user", v->user);
  add_groups_array (rec, v->groups);
  json_object_set_string_member (rec, "client", v->address);
  json_object_set_string_member (rec, "mount", mount->config.path);
  s = iso8601 (v->start);
  json_object_set_string_member (rec, "start", s);
  g_free (s);
  s = iso8601 (end);
  json_object_set_string_member (rec, "end", s);
  g_free (s);
  json_object_set_int_member (rec, "bytes", (gint64) bytes);
  json_object_set_string_member (rec, "end-reason", reason);
  audit (mount, rec);
  json_object_unref (rec);

  if (element) {
    gst_element_post_message (element,
        gst_message_new_element (GST_OBJECT (element),
            gst_structure_new ("policeshare-viewer-left",
                "mount", G_TYPE_STRING, mount->config.path,
                "user", G_TYPE_STRING, v->user,
                "client-address", G_TYPE_STRING, v->address,
                "bytes-sent", G_TYPE_UINT64, bytes,
                "duration", G_TYPE_DOUBLE,
                (end - v->start) / (gdouble) G_USEC_PER_SEC,
                "reason", G_TYPE_STRING, reason,
                "viewers", G_TYPE_UINT, n, NULL)));
    gst_object_unref (element);
  }
  viewer_free (v);
}

void
policeshare_mount_refused (PoliceshareMount * mount, GstRTSPClient * client,
    const gchar * user, guint status, const gchar * reason)
{
  GstElement *element;
  JsonObject *rec;
  gchar *address = client_address (client), *s;
  guint64 refusals;

  g_mutex_lock (&mount->lock);
  refusals = ++mount->refusals;
  publish_health_locked (mount);
  element = mount->element ? gst_object_ref (mount->element) : NULL;
  g_mutex_unlock (&mount->lock);

  GST_INFO ("mount %s: refused '%s' from %s: %u %s", mount->config.path,
      user ? user : "", address, status, reason);

  rec = json_object_new ();
  json_object_set_string_member (rec, "event", "refused");
  json_object_set_string_member (rec, "outcome", reason);
  json_object_set_int_member (rec, "status", status);
  json_object_set_string_member (rec, "user", user ? user : "");
  if (user && mount->accounts) {
    gchar **g = anninh_viewer_accounts_get_groups (mount->accounts, user);
    gchar *joined = g_strjoinv (",", g);

    add_groups_array (rec, joined);
    g_free (joined);
    g_strfreev (g);
  } else {
    add_groups_array (rec, NULL);
  }
  json_object_set_string_member (rec, "client", address);
  json_object_set_string_member (rec, "mount", mount->config.path);
  s = iso8601 (g_get_real_time ());
  json_object_set_string_member (rec, "start", s);
  json_object_set_string_member (rec, "end", s);
  g_free (s);
  json_object_set_int_member (rec, "bytes", 0);
  audit (mount, rec);
  json_object_unref (rec);

  if (element) {
    gst_element_post_message (element,
        gst_message_new_element (GST_OBJECT (element),
            gst_structure_new ("policeshare-viewer-refused",
                "mount", G_TYPE_STRING, mount->config.path,
                "user", G_TYPE_STRING, user ? user : "",
                "client-address", G_TYPE_STRING, address,
                "status", G_TYPE_UINT, status,
                "reason", G_TYPE_STRING, reason,
                "refusals", G_TYPE_UINT64, refusals, NULL)));
    gst_object_unref (element);
  }
  g_free (address);
}

void
policeshare_mount_report_accounts_error (PoliceshareMount * mount,
    const GError * error)
{
  GstElement *element = NULL;

  g_mutex_lock (&mount->lock);
  if (!mount->accounts_error_reported && mount->element) {
    mount->accounts_error_reported = TRUE;
    element = gst_object_ref (mount->element);
  }
  g_mutex_unlock (&mount->lock);
  if (element) {
    GST_ELEMENT_WARNING (element, RESOURCE, READ,
        ("The officers' accounts file of %s cannot be read: nobody can "
            "watch this camera until it is fixed.", mount->config.path),
        ("%s", error->message));
    gst_object_unref (element);
  }
}

/* Ends every viewing still open (audited as ended by the share stopping)
 * and cuts the link to the element. The server has closed the clients
 * before. */
void
policeshare_mount_detach (PoliceshareMount * mount)
{
  GList *clients, *l;
  guint i;

  g_mutex_lock (&mount->lock);
  clients = g_hash_table_get_keys (mount->viewers);
  g_mutex_unlock (&mount->lock);
  for (l = clients; l; l = l->next)
    policeshare_mount_viewer_left (mount, l->data, "share stopped");
  g_list_free (clients);

  g_mutex_lock (&mount->lock);
  for (i = 0; i < mount->sources->len; i++)
    gst_app_src_end_of_stream (g_ptr_array_index (mount->sources, i));
  g_ptr_array_set_size (mount->sources, 0);
  mount->element = NULL;
  g_mutex_unlock (&mount->lock);
  anninh_health_registry_withdraw (ANNINH_HEALTH_KIND_SHARE,
      mount->config.path);
}
