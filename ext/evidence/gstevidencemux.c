/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-evidencemux
 * @title: evidencemux
 * @short_description: signs H.264/H.265 with ONVIF Media Signing SEIs
 *
 * evidencemux makes a video stream tamper-evident and attributable. It
 * inserts ONVIF Media Signing (onvif/specs, doc/MediaSigning.xml) SEI NAL
 * units into a parsed H.264 or H.265 byte stream, leaving every picture
 * NAL unit byte for byte as it was:
 *
 * - a certificate SEI (signing key's certificate chain, algorithms, vendor
 *   info with the camera id) first, and again before the next keyframe
 *   after a new segment, a flush, or an upstream
 *   "anninh-certificate-request" event (sent by retentionsink for each new
 *   file and by policeshare for each new viewer);
 * - a signed SEI per GOP (or per #GstEvidenceMux:gops-per-signature GOPs)
 *   with the hash of every picture NAL unit, the GOP hash, the link to the
 *   previous GOP and the UTC start and end time; a signed partial-GOP SEI
 *   when a GOP runs longer than #GstEvidenceMux:max-gop-duration;
 * - after each keyframe, an attribution record (JSON: camera id, latitude,
 *   longitude, address, capture time) in an arbitrary-data SEI, which the
 *   next signature covers;
 * - the side data arriving on the `meta_%u` request pads (events, plate
 *   reads, GPS: text, JSON or bytes), one arbitrary-data SEI per buffer,
 *   placed in the first video access unit whose running time is at or
 *   after the side data's, also covered by the next signature;
 * - at EOS, a last signed SEI for the last GOP, in an access unit of its
 *   own.
 *
 * Capture time comes from the buffers' #GstReferenceTimestampMeta
 * (timestamp/x-unix, set by ipcamsrc), else from the system clock at the
 * first buffer plus running time.
 *
 * The key and certificate chain are read when going from NULL to READY; a
 * missing, unreadable, wrongly typed or mismatched key or certificate, or
 * a wrong passphrase, fails that state change with an error message
 * saying which file and what is wrong. No file is read afterwards.
 *
 * See docs/elements/evidencemux.md for the byte layout and
 * docs/keys-and-certificates.md for making keys.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e videotestsrc num-buffers=250 ! x264enc key-int-max=25 !
 *   h264parse ! evidencemux private-key=cam.key certificate-chain=cam.pem
 *   camera-id=cam-01 latitude=21.0285 longitude=105.8542 !
 *   h264parse ! mp4mux ! filesink location=signed.mp4
 * ]|
 *
 * ## Bus messages
 *
 * `evidencemux-certificate` (element message), each time the certificate
 * SEI goes out:
 * - `reason` (string): "start", "segment", "flush" or the reason string of
 *   the certificate request event
 * - `subject` (string): subject of the signing certificate (RFC 2253)
 * - `running-time` (guint64): running time of the access unit carrying it
 *
 * Errors (`GST_MESSAGE_ERROR`): RESOURCE/NOT_FOUND (key or certificate file
 * missing), RESOURCE/OPEN_READ (unreadable), RESOURCE/SETTINGS (wrong type,
 * wrong passphrase, key and certificate do not match), STREAM/FAILED
 * (signing failed).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include <anninh/capture-time.h>
#include <anninh/evidence-events.h>
#include <anninh/media-signing-writer.h>
#include <anninh/signing-key.h>

#include "gstevidencemux.h"

GST_DEBUG_CATEGORY_STATIC (gst_evidence_mux_debug);
#define GST_CAT_DEFAULT gst_evidence_mux_debug

#define DEFAULT_PRIVATE_KEY NULL
#define DEFAULT_CERTIFICATE_CHAIN NULL
#define DEFAULT_CAMERA_ID NULL
#define DEFAULT_LATITUDE 0.0
#define DEFAULT_LONGITUDE 0.0
#define DEFAULT_ADDRESS NULL
#define DEFAULT_MANUFACTURER "gst-anninh"
#define DEFAULT_GOPS_PER_SIGNATURE 1
#define DEFAULT_MAX_GOP_DURATION (5 * GST_SECOND)
#define DEFAULT_FINAL_SEI TRUE
/* side data kept while no video flows; the oldest is dropped beyond */
#define MAX_PENDING_META 1000

enum
{
  PROP_0,
  PROP_PRIVATE_KEY,
  PROP_PRIVATE_KEY_PASSPHRASE,
  PROP_CERTIFICATE_CHAIN,
  PROP_CAMERA_ID,
  PROP_LATITUDE,
  PROP_LONGITUDE,
  PROP_ADDRESS,
  PROP_MANUFACTURER,
  PROP_GOPS_PER_SIGNATURE,
  PROP_MAX_GOP_DURATION,
  PROP_FINAL_SEI,
  PROP_SIGNATURES,
};

typedef struct
{
  GstClockTime running_time;
  gchar *record;                /* JSON */
} PendingMeta;

struct _GstEvidenceMux
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties, GST_OBJECT_LOCK */
  gchar *private_key;
  gchar *passphrase;
  gchar *certificate_chain;
  gchar *camera_id;
  gdouble latitude, longitude;
  gchar *address;
  gchar *manufacturer;
  guint gops_per_signature;
  GstClockTime max_gop_duration;
  gboolean final_sei;

  /* GST_OBJECT_LOCK */
  AnninhSigningKey *key;        /* loaded NULL -> READY */
  GQueue pending_meta;          /* PendingMeta, in arrival order */
  gchar *certificate_reason;    /* set by the upstream request event */
  guint64 signatures;
  guint meta_pad_count;

  /* streaming thread only */
  AnninhMediaSigningWriter *writer;
  AnninhNalCodec codec;
  gboolean have_codec;
  GstSegment segment;
  gint64 clock_offset_ns;       /* UTC - running time, when no meta */
  gboolean have_clock_offset;
  GstClockTime last_pts, last_duration;
  gchar *pending_reason;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h264, stream-format=(string)byte-stream, "
        "alignment=(string)au; "
        "video/x-h265, stream-format=(string)byte-stream, "
        "alignment=(string)au"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h264, stream-format=(string)byte-stream, "
        "alignment=(string)au; "
        "video/x-h265, stream-format=(string)byte-stream, "
        "alignment=(string)au"));

static GstStaticPadTemplate meta_template = GST_STATIC_PAD_TEMPLATE ("meta_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("text/x-raw; application/x-json; "
        "application/octet-stream"));

#define gst_evidence_mux_parent_class parent_class
G_DEFINE_TYPE (GstEvidenceMux, gst_evidence_mux, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (evidencemux, "evidencemux", GST_RANK_NONE,
    GST_TYPE_EVIDENCE_MUX);

static void
pending_meta_free (PendingMeta * m)
{
  g_free (m->record);
  g_free (m);
}

static void
clear_pending_meta (GstEvidenceMux * self)
{
  g_queue_clear_full (&self->pending_meta, (GDestroyNotify) pending_meta_free);
}

static void
set_pending_reason (GstEvidenceMux * self, const gchar * reason)
{
  GST_OBJECT_LOCK (self);
  if (self->certificate_reason == NULL)
    self->certificate_reason = g_strdup (reason);
  GST_OBJECT_UNLOCK (self);
}

/* Capture time of @buf in ns since 1970: the reference timestamp meta, else
 * the wall clock at the first buffer plus running time. */
static guint64
capture_time (GstEvidenceMux * self, GstBuffer * buf)
{
  guint64 utc = 0;
  GstClockTime rt;

  if (anninh_buffer_get_capture_time (buf, &utc))
    return utc;

  rt = gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    rt = 0;
  if (!self->have_clock_offset) {
    self->clock_offset_ns = g_get_real_time () * 1000 - (gint64) rt;
    self->have_clock_offset = TRUE;
  }
  return (guint64) (self->clock_offset_ns + (gint64) rt);
}

static gboolean
ensure_writer (GstEvidenceMux * self)
{
  AnninhSigningKey *key;
  gchar *camera_id, *address, *manufacturer;
  gdouble lat, lon;
  guint gops;
  GstClockTime max_dur;

  if (self->writer)
    return TRUE;
  if (!self->have_codec)
    return FALSE;

  GST_OBJECT_LOCK (self);
  key = self->key ? anninh_signing_key_ref (self->key) : NULL;
  camera_id = g_strdup (self->camera_id);
  address = g_strdup (self->address);
  manufacturer = g_strdup (self->manufacturer);
  lat = self->latitude;
  lon = self->longitude;
  gops = self->gops_per_signature;
  max_dur = self->max_gop_duration;
  GST_OBJECT_UNLOCK (self);

  if (key == NULL) {
    g_free (camera_id);
    g_free (address);
    g_free (manufacturer);
    return FALSE;
  }
  self->writer = anninh_media_signing_writer_new (self->codec, key);
  anninh_media_signing_writer_set_gops_per_signature (self->writer, gops);
  anninh_media_signing_writer_set_max_partial_duration (self->writer,
      max_dur);
  anninh_media_signing_writer_set_vendor_info (self->writer, NULL, camera_id,
      manufacturer);
  if (lat == 0.0 && lon == 0.0)
    lat = lon = NAN;
  anninh_media_signing_writer_set_attribution (self->writer, camera_id, lat,
      lon, address);
  anninh_signing_key_unref (key);
  g_free (camera_id);
  g_free (address);
  g_free (manufacturer);
  return TRUE;
}

static void
drop_writer (GstEvidenceMux * self)
{
  g_clear_pointer (&self->writer, anninh_media_signing_writer_free);
}

/* Hands the side data due by @rt (all of it when @rt is NONE) to the
 * writer. */
static void
feed_meta (GstEvidenceMux * self, GstClockTime rt)
{
  GQueue due = G_QUEUE_INIT;
  GList *l;

  GST_OBJECT_LOCK (self);
  for (l = self->pending_meta.head; l;) {
    PendingMeta *m = l->data;
    GList *next = l->next;

    if (!GST_CLOCK_TIME_IS_VALID (rt) || !GST_CLOCK_TIME_IS_VALID
        (m->running_time) || m->running_time <= rt) {
      g_queue_unlink (&self->pending_meta, l);
      g_queue_push_tail_link (&due, l);
    }
    l = next;
  }
  GST_OBJECT_UNLOCK (self);

  while (!g_queue_is_empty (&due)) {
    PendingMeta *m = g_queue_pop_head (&due);

    anninh_media_signing_writer_add_side_data (self->writer, m->record);
    pending_meta_free (m);
  }
}

static GstBuffer *
buffer_with_seis (GstBuffer * in, gsize offset, GPtrArray * seis)
{
  GstBuffer *out = gst_buffer_new ();
  gsize size = gst_buffer_get_size (in);

  gst_buffer_copy_into (out, in, GST_BUFFER_COPY_METADATA, 0, -1);
  if (offset > 0)
    gst_buffer_copy_into (out, in, GST_BUFFER_COPY_MEMORY, 0, offset);
  for (guint i = 0; i < seis->len; i++) {
    GBytes *b = g_ptr_array_index (seis, i);
    gsize len;
    gconstpointer data = g_bytes_get_data (b, &len);

    gst_buffer_append_memory (out,
        gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, (gpointer) data,
            len, 0, len, g_bytes_ref (b), (GDestroyNotify) g_bytes_unref));
  }
  if (offset < size) {
    GstBuffer *tail = gst_buffer_copy_region (in, GST_BUFFER_COPY_MEMORY,
        offset, size - offset);
    out = gst_buffer_append (out, tail);
  }
  return out;
}

static void
post_certificate_message (GstEvidenceMux * self, const gchar * reason,
    GstClockTime rt)
{
  const gchar *subject = "";

  GST_OBJECT_LOCK (self);
  if (self->key)
    subject = anninh_signing_key_get_subject (self->key);
  GST_OBJECT_UNLOCK (self);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("evidencemux-certificate",
              "reason", G_TYPE_STRING, reason,
              "subject", G_TYPE_STRING, subject,
              "running-time", G_TYPE_UINT64, rt, NULL)));
}

static GstFlowReturn
gst_evidence_mux_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstEvidenceMux *self = GST_EVIDENCE_MUX (parent);
  GPtrArray *seis;
  GstMapInfo map;
  gsize offset = 0;
  GError *err = NULL;
  gboolean ok;
  guint64 utc;
  gchar *reason;
  GstClockTime rt;
  guint64 before;

  if (!ensure_writer (self)) {
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("evidencemux received video before its caps or without a key"),
        (NULL));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  GST_OBJECT_LOCK (self);
  reason = g_steal_pointer (&self->certificate_reason);
  GST_OBJECT_UNLOCK (self);
  if (reason) {
    anninh_media_signing_writer_request_certificate (self->writer);
    g_free (self->pending_reason);
    self->pending_reason = reason;
  }

  rt = gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf));
  feed_meta (self, GST_CLOCK_TIME_IS_VALID (rt) ? rt : 0);

  utc = capture_time (self, buf);
  if (GST_BUFFER_PTS_IS_VALID (buf))
    self->last_pts = GST_BUFFER_PTS (buf);
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    self->last_duration = GST_BUFFER_DURATION (buf);

  seis = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  before = anninh_media_signing_writer_get_certificates (self->writer);
  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_ptr_array_unref (seis);
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Cannot read a video buffer"),
        (NULL));
    return GST_FLOW_ERROR;
  }
  ok = anninh_media_signing_writer_push_au (self->writer, map.data, map.size,
      utc, &offset, seis, &err);
  gst_buffer_unmap (buf, &map);
  if (!ok) {
    g_ptr_array_unref (seis);
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Signing the video failed: %s", err->message), (NULL));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }

  if (seis->len > 0) {
    GstBuffer *out = buffer_with_seis (buf, offset, seis);
    GST_LOG_OBJECT (self, "inserted %u SEIs at offset %" G_GSIZE_FORMAT,
        seis->len, offset);
    gst_buffer_unref (buf);
    buf = out;
  }
  g_ptr_array_unref (seis);

  GST_OBJECT_LOCK (self);
  self->signatures = anninh_media_signing_writer_get_signatures (self->writer);
  GST_OBJECT_UNLOCK (self);
  if (self->pending_reason
      && anninh_media_signing_writer_get_certificates (self->writer) > before) {
    post_certificate_message (self, self->pending_reason, rt);
    g_clear_pointer (&self->pending_reason, g_free);
  }

  return gst_pad_push (self->srcpad, buf);
}

static void
push_final (GstEvidenceMux * self)
{
  GPtrArray *seis;
  GError *err = NULL;
  GstBuffer *out;

  gboolean final_sei;

  if (self->writer == NULL)
    return;
  GST_OBJECT_LOCK (self);
  final_sei = self->final_sei;
  GST_OBJECT_UNLOCK (self);
  if (!final_sei) {
    anninh_media_signing_writer_reset (self->writer);
    return;
  }
  feed_meta (self, GST_CLOCK_TIME_NONE);
  seis = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  if (!anninh_media_signing_writer_finish (self->writer, seis, &err)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Signing the last GOP failed: %s", err->message), (NULL));
    g_clear_error (&err);
  } else if (seis->len > 0) {
    GstBuffer *empty = gst_buffer_new ();
    out = buffer_with_seis (empty, 0, seis);
    gst_buffer_unref (empty);
    if (GST_CLOCK_TIME_IS_VALID (self->last_pts)) {
      GST_BUFFER_PTS (out) = self->last_pts +
          (GST_CLOCK_TIME_IS_VALID (self->last_duration) ?
          self->last_duration : 0);
      GST_BUFFER_DTS (out) = GST_BUFFER_PTS (out);
    }
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DELTA_UNIT);
    GST_OBJECT_LOCK (self);
    self->signatures =
        anninh_media_signing_writer_get_signatures (self->writer);
    GST_OBJECT_UNLOCK (self);
    GST_DEBUG_OBJECT (self, "pushing %u final SEIs", seis->len);
    gst_pad_push (self->srcpad, out);
  }
  g_ptr_array_unref (seis);
}

static gboolean
set_codec_from_caps (GstEvidenceMux * self, GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  AnninhNalCodec codec;

  if (gst_structure_has_name (s, "video/x-h264"))
    codec = ANNINH_NAL_CODEC_H264;
  else if (gst_structure_has_name (s, "video/x-h265"))
    codec = ANNINH_NAL_CODEC_H265;
  else
    return FALSE;
  if (self->writer && codec != self->codec) {
    push_final (self);
    drop_writer (self);
  }
  self->codec = codec;
  self->have_codec = TRUE;
  return TRUE;
}

static gboolean
gst_evidence_mux_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstEvidenceMux *self = GST_EVIDENCE_MUX (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gst_event_parse_caps (event, &caps);
      if (!set_codec_from_caps (self, caps)) {
        gst_event_unref (event);
        return FALSE;
      }
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &self->segment);
      if (self->writer)
        set_pending_reason (self, "segment");
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_segment_init (&self->segment, GST_FORMAT_TIME);
      if (self->writer)
        anninh_media_signing_writer_reset (self->writer);
      set_pending_reason (self, "flush");
      GST_OBJECT_LOCK (self);
      clear_pending_meta (self);
      GST_OBJECT_UNLOCK (self);
      break;
    case GST_EVENT_EOS:
      push_final (self);
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_evidence_mux_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstEvidenceMux *self = GST_EVIDENCE_MUX (parent);

  if (anninh_event_is_certificate_request (event)) {
    const GstStructure *s = gst_event_get_structure (event);
    const gchar *reason = gst_structure_get_string (s, "reason");

    GST_DEBUG_OBJECT (self, "certificate requested (%s)",
        reason ? reason : "no reason");
    GST_OBJECT_LOCK (self);
    g_free (self->certificate_reason);
    self->certificate_reason = g_strdup (reason ? reason : "request");
    GST_OBJECT_UNLOCK (self);
    gst_event_unref (event);
    return TRUE;
  }
  return gst_pad_event_default (pad, parent, event);
}

/* Side data: one JSON record per buffer, kept until video reaches its
 * running time. */
static GstFlowReturn
gst_evidence_mux_meta_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf)
{
  GstEvidenceMux *self = GST_EVIDENCE_MUX (parent);
  GstSegment *segment = gst_pad_get_element_private (pad);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *media = caps ?
      gst_structure_get_name (gst_caps_get_structure (caps, 0)) :
      "application/octet-stream";
  GstMapInfo map;
  JsonBuilder *b;
  JsonNode *root;
  gchar *json, *name;
  PendingMeta *m;
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  guint64 utc = 0;

  if (GST_BUFFER_PTS_IS_VALID (buf))
    rt = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    gst_clear_caps (&caps);
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  name = gst_pad_get_name (pad);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "anninh-meta");
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "pad");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "caps");
  json_builder_add_string_value (b, media);
  if (GST_CLOCK_TIME_IS_VALID (rt)) {
    json_builder_set_member_name (b, "running-time-ns");
    json_builder_add_int_value (b, (gint64) rt);
  }
  if (anninh_buffer_get_capture_time (buf, &utc)) {
    json_builder_set_member_name (b, "capture-time-ns");
    json_builder_add_int_value (b, (gint64) utc);
  }
  if (g_str_equal (media, "application/x-json")) {
    gchar *text = g_strndup ((const gchar *) map.data, map.size);
    JsonNode *node = json_from_string (text, NULL);
    g_free (text);
    if (node) {
      json_builder_set_member_name (b, "json");
      json_builder_add_value (b, node);
    } else {
      gchar *text = g_utf8_make_valid ((const gchar *) map.data, map.size);
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, text);
      g_free (text);
    }
  } else if (g_str_equal (media, "text/x-raw")) {
    gchar *text = g_utf8_make_valid ((const gchar *) map.data, map.size);
    json_builder_set_member_name (b, "text");
    json_builder_add_string_value (b, text);
    g_free (text);
  } else {
    gchar *b64 = g_base64_encode (map.data, map.size);
    json_builder_set_member_name (b, "base64");
    json_builder_add_string_value (b, b64);
    g_free (b64);
  }
  json_builder_end_object (b);
  gst_buffer_unmap (buf, &map);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  json_node_unref (root);
  g_object_unref (b);
  g_free (name);
  gst_clear_caps (&caps);
  gst_buffer_unref (buf);

  m = g_new0 (PendingMeta, 1);
  m->running_time = rt;
  m->record = json;
  GST_LOG_OBJECT (pad, "side data at %" GST_TIME_FORMAT, GST_TIME_ARGS (rt));
  GST_OBJECT_LOCK (self);
  g_queue_push_tail (&self->pending_meta, m);
  while (g_queue_get_length (&self->pending_meta) > MAX_PENDING_META)
    pending_meta_free (g_queue_pop_head (&self->pending_meta));
  GST_OBJECT_UNLOCK (self);
  return GST_FLOW_OK;
}

static gboolean
gst_evidence_mux_meta_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstSegment *segment = gst_pad_get_element_private (pad);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, segment);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_segment_init (segment, GST_FORMAT_TIME);
      break;
    case GST_EVENT_CAPS:
      /* accepted as they come: the media type is recorded per buffer */
      break;
    case GST_EVENT_EOS:
    case GST_EVENT_STREAM_START:
    case GST_EVENT_GAP:
      gst_event_unref (event);
      return TRUE;
    default:
      break;
  }
  if (GST_EVENT_IS_SERIALIZED (event)
      && GST_EVENT_TYPE (event) != GST_EVENT_CAPS) {
    gst_event_unref (event);
    return TRUE;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_evidence_mux_meta_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS) {
    GstCaps *filter, *templ = gst_pad_get_pad_template_caps (pad);
    gst_query_parse_caps (query, &filter);
    if (filter) {
      GstCaps *res = gst_caps_intersect_full (filter, templ,
          GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref (templ);
      templ = res;
    }
    gst_query_set_caps_result (query, templ);
    gst_caps_unref (templ);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static GstPad *
gst_evidence_mux_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstEvidenceMux *self = GST_EVIDENCE_MUX (element);
  GstPad *pad;
  gchar *pad_name;
  GstSegment *segment;

  GST_OBJECT_LOCK (self);
  pad_name = name ? g_strdup (name) :
      g_strdup_printf ("meta_%u", self->meta_pad_count);
  self->meta_pad_count++;
  GST_OBJECT_UNLOCK (self);

  pad = gst_pad_new_from_template (templ, pad_name);
  g_free (pad_name);
  segment = g_new0 (GstSegment, 1);
  gst_segment_init (segment, GST_FORMAT_TIME);
  gst_pad_set_element_private (pad, segment);
  g_object_set_data_full (G_OBJECT (pad), "anninh-segment", segment, g_free);
  gst_pad_set_chain_function (pad, gst_evidence_mux_meta_chain);
  gst_pad_set_event_function (pad, gst_evidence_mux_meta_event);
  gst_pad_set_query_function (pad, gst_evidence_mux_meta_query);
  gst_pad_set_active (pad, TRUE);
  if (!gst_element_add_pad (element, pad)) {
    gst_object_unref (pad);
    return NULL;
  }
  return pad;
}

static void
gst_evidence_mux_release_pad (GstElement * element, GstPad * pad)
{
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
}

static gboolean
load_key (GstEvidenceMux * self)
{
  gchar *key_path, *pass, *chain_path;
  AnninhSigningKey *key;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  key_path = g_strdup (self->private_key);
  pass = g_strdup (self->passphrase);
  chain_path = g_strdup (self->certificate_chain);
  GST_OBJECT_UNLOCK (self);

  key = anninh_signing_key_load (key_path, pass, chain_path, &err);
  if (pass) {
    memset (pass, 0, strlen (pass));
    g_free (pass);
  }
  if (key == NULL) {
    switch (err->code) {
      case ANNINH_SIGNING_KEY_ERROR_MISSING:
        GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
            ("Cannot sign video: %s", err->message),
            ("set the private-key and certificate-chain properties to PEM "
                "files"));
        break;
      case ANNINH_SIGNING_KEY_ERROR_UNREADABLE:
        GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
            ("Cannot sign video: %s", err->message), (NULL));
        break;
      default:
        GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
            ("Cannot sign video: %s", err->message), (NULL));
        break;
    }
    g_clear_error (&err);
    g_free (key_path);
    g_free (chain_path);
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "signing key from %s, certificate %s", key_path,
      anninh_signing_key_get_subject (key));
  GST_OBJECT_LOCK (self);
  if (self->key)
    anninh_signing_key_unref (self->key);
  self->key = key;
  GST_OBJECT_UNLOCK (self);
  g_free (key_path);
  g_free (chain_path);
  return TRUE;
}

static GstStateChangeReturn
gst_evidence_mux_change_state (GstElement * element, GstStateChange transition)
{
  GstEvidenceMux *self = GST_EVIDENCE_MUX (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!load_key (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_segment_init (&self->segment, GST_FORMAT_TIME);
      self->have_clock_offset = FALSE;
      self->last_pts = self->last_duration = GST_CLOCK_TIME_NONE;
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      drop_writer (self);
      self->have_codec = FALSE;
      g_clear_pointer (&self->pending_reason, g_free);
      GST_OBJECT_LOCK (self);
      clear_pending_meta (self);
      g_clear_pointer (&self->certificate_reason, g_free);
      GST_OBJECT_UNLOCK (self);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      GST_OBJECT_LOCK (self);
      g_clear_pointer (&self->key, anninh_signing_key_unref);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      break;
  }
  return ret;
}

static void
gst_evidence_mux_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstEvidenceMux *self = GST_EVIDENCE_MUX (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PRIVATE_KEY:
      g_free (self->private_key);
      self->private_key = g_value_dup_string (value);
      break;
    case PROP_PRIVATE_KEY_PASSPHRASE:
      if (self->passphrase) {
        memset (self->passphrase, 0, strlen (self->passphrase));
        g_free (self->passphrase);
      }
      self->passphrase = g_value_dup_string (value);
      break;
    case PROP_CERTIFICATE_CHAIN:
      g_free (self->certificate_chain);
      self->certificate_chain = g_value_dup_string (value);
      break;
    case PROP_CAMERA_ID:
      g_free (self->camera_id);
      self->camera_id = g_value_dup_string (value);
      break;
    case PROP_LATITUDE:
      self->latitude = g_value_get_double (value);
      break;
    case PROP_LONGITUDE:
      self->longitude = g_value_get_double (value);
      break;
    case PROP_ADDRESS:
      g_free (self->address);
      self->address = g_value_dup_string (value);
      break;
    case PROP_MANUFACTURER:
      g_free (self->manufacturer);
      self->manufacturer = g_value_dup_string (value);
      break;
    case PROP_GOPS_PER_SIGNATURE:
      self->gops_per_signature = g_value_get_uint (value);
      break;
    case PROP_MAX_GOP_DURATION:
      self->max_gop_duration = g_value_get_uint64 (value);
      break;
    case PROP_FINAL_SEI:
      self->final_sei = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_evidence_mux_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstEvidenceMux *self = GST_EVIDENCE_MUX (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PRIVATE_KEY:
      g_value_set_string (value, self->private_key);
      break;
    case PROP_CERTIFICATE_CHAIN:
      g_value_set_string (value, self->certificate_chain);
      break;
    case PROP_CAMERA_ID:
      g_value_set_string (value, self->camera_id);
      break;
    case PROP_LATITUDE:
      g_value_set_double (value, self->latitude);
      break;
    case PROP_LONGITUDE:
      g_value_set_double (value, self->longitude);
      break;
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_MANUFACTURER:
      g_value_set_string (value, self->manufacturer);
      break;
    case PROP_GOPS_PER_SIGNATURE:
      g_value_set_uint (value, self->gops_per_signature);
      break;
    case PROP_MAX_GOP_DURATION:
      g_value_set_uint64 (value, self->max_gop_duration);
      break;
    case PROP_FINAL_SEI:
      g_value_set_boolean (value, self->final_sei);
      break;
    case PROP_SIGNATURES:
      g_value_set_uint64 (value, self->signatures);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_evidence_mux_finalize (GObject * object)
{
  GstEvidenceMux *self = GST_EVIDENCE_MUX (object);

  drop_writer (self);
  clear_pending_meta (self);
  g_clear_pointer (&self->key, anninh_signing_key_unref);
  g_free (self->private_key);
  if (self->passphrase) {
    memset (self->passphrase, 0, strlen (self->passphrase));
    g_free (self->passphrase);
  }
  g_free (self->certificate_chain);
  g_free (self->camera_id);
  g_free (self->address);
  g_free (self->manufacturer);
  g_free (self->certificate_reason);
  g_free (self->pending_reason);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_evidence_mux_class_init (GstEvidenceMuxClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = gst_evidence_mux_set_property;
  gobject_class->get_property = gst_evidence_mux_get_property;
  gobject_class->finalize = gst_evidence_mux_finalize;

  /**
   * GstEvidenceMux:private-key:
   *
   * PEM file with the camera's private signing key (EC P-256 or RSA of
   * 2048 bits or more), read when the element goes to READY.
   */
  g_object_class_install_property (gobject_class, PROP_PRIVATE_KEY,
      g_param_spec_string ("private-key", "Private key",
          "PEM file of the private signing key (EC P-256 or RSA >= 2048 bits)",
          DEFAULT_PRIVATE_KEY, rw));
  /**
   * GstEvidenceMux:private-key-passphrase:
   *
   * Passphrase of an encrypted private key. Write-only; never logged.
   */
  g_object_class_install_property (gobject_class, PROP_PRIVATE_KEY_PASSPHRASE,
      g_param_spec_string ("private-key-passphrase", "Private key passphrase",
          "Passphrase of an encrypted private key (write-only, never logged)",
          NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstEvidenceMux:certificate-chain:
   *
   * PEM file with the certificate of the key first, then intermediate CA
   * certificates; a trailing self-signed root is not put into the stream.
   */
  g_object_class_install_property (gobject_class, PROP_CERTIFICATE_CHAIN,
      g_param_spec_string ("certificate-chain", "Certificate chain",
          "PEM file of the key's certificate followed by intermediate CAs",
          DEFAULT_CERTIFICATE_CHAIN, rw));
  /**
   * GstEvidenceMux:camera-id:
   *
   * Camera id carried in the signed attribution record and as serial
   * number in the certificate SEI's vendor info.
   */
  g_object_class_install_property (gobject_class, PROP_CAMERA_ID,
      g_param_spec_string ("camera-id", "Camera id",
          "Camera id carried in the signed data (NULL: none)",
          DEFAULT_CAMERA_ID, rw));
  /**
   * GstEvidenceMux:latitude:
   *
   * WGS 84 latitude of the camera in degrees; latitude and longitude both
   * 0 mean unknown.
   */
  g_object_class_install_property (gobject_class, PROP_LATITUDE,
      g_param_spec_double ("latitude", "Latitude",
          "WGS 84 latitude of the camera in degrees (0 and longitude 0: "
          "unknown)", -90.0, 90.0, DEFAULT_LATITUDE, rw));
  /**
   * GstEvidenceMux:longitude:
   *
   * WGS 84 longitude of the camera in degrees.
   */
  g_object_class_install_property (gobject_class, PROP_LONGITUDE,
      g_param_spec_double ("longitude", "Longitude",
          "WGS 84 longitude of the camera in degrees (0 and latitude 0: "
          "unknown)", -180.0, 180.0, DEFAULT_LONGITUDE, rw));
  /**
   * GstEvidenceMux:address:
   *
   * Where the camera is, in words (street, ward, commune).
   */
  g_object_class_install_property (gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
          "Where the camera is, in words (NULL: none)", DEFAULT_ADDRESS, rw));
  /**
   * GstEvidenceMux:manufacturer:
   *
   * Manufacturer field of the vendor info: who signs, so that a verifier
   * knows whose CA certificate to ask for (e.g. the district).
   */
  g_object_class_install_property (gobject_class, PROP_MANUFACTURER,
      g_param_spec_string ("manufacturer", "Manufacturer",
          "Signer named in the vendor info, where to get the CA certificate",
          DEFAULT_MANUFACTURER, rw));
  /**
   * GstEvidenceMux:gops-per-signature:
   *
   * Sign every N GOPs; the GOP SEIs in between are unsigned and covered by
   * the next signature.
   */
  g_object_class_install_property (gobject_class, PROP_GOPS_PER_SIGNATURE,
      g_param_spec_uint ("gops-per-signature", "GOPs per signature",
          "Sign every N GOPs (1: every GOP)", 1, 1000,
          DEFAULT_GOPS_PER_SIGNATURE, rw));
  /**
   * GstEvidenceMux:max-gop-duration:
   *
   * A GOP running longer than this (capture time) is signed in parts.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_GOP_DURATION,
      g_param_spec_uint64 ("max-gop-duration", "Maximum GOP duration",
          "Sign a partial GOP when a GOP runs longer than this, in ns "
          "(0: never)", 0, G_MAXUINT64, DEFAULT_MAX_GOP_DURATION, rw));
  /**
   * GstEvidenceMux:final-sei:
   *
   * At EOS, sign the last GOP with an SEI in an access unit of its own.
   * That access unit has no picture: GStreamer decoders ignore it, ffmpeg
   * logs "missing picture in access unit" for it. FALSE leaves the frames
   * since the last keyframe unsigned.
   */
  g_object_class_install_property (gobject_class, PROP_FINAL_SEI,
      g_param_spec_boolean ("final-sei", "Final SEI",
          "At EOS, sign the last GOP in an access unit without picture",
          DEFAULT_FINAL_SEI, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstEvidenceMux:signatures:
   *
   * Signatures made since the element went to PAUSED.
   */
  g_object_class_install_property (gobject_class, PROP_SIGNATURES,
      g_param_spec_uint64 ("signatures", "Signatures",
          "Number of signatures made (certificate and GOP SEIs)", 0,
          G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class, &meta_template);
  gst_element_class_set_static_metadata (element_class,
      "Evidence signing muxer", "Codec/Muxer/Video",
      "Inserts ONVIF Media Signing SEIs (signed hashes, certificate, camera "
      "id, location, capture time, side data) into H.264/H.265",
      "gst-anninh developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_evidence_mux_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_evidence_mux_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_evidence_mux_release_pad);

  GST_DEBUG_CATEGORY_INIT (gst_evidence_mux_debug, "evidencemux", 0,
      "ONVIF Media Signing muxer");
}

static void
gst_evidence_mux_init (GstEvidenceMux * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_evidence_mux_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_evidence_mux_sink_event));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_event_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_evidence_mux_src_event));
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->latitude = DEFAULT_LATITUDE;
  self->longitude = DEFAULT_LONGITUDE;
  self->manufacturer = g_strdup (DEFAULT_MANUFACTURER);
  self->gops_per_signature = DEFAULT_GOPS_PER_SIGNATURE;
  self->max_gop_duration = DEFAULT_MAX_GOP_DURATION;
  self->final_sei = DEFAULT_FINAL_SEI;
  self->last_pts = self->last_duration = GST_CLOCK_TIME_NONE;
  g_queue_init (&self->pending_meta);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
}
