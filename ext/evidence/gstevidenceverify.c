/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-evidenceverify
 * @title: evidenceverify
 *
 * Verifies, on the fly, the ONVIF Media Signing evidence of a parsed H.264
 * or H.265 stream (`stream-format=byte-stream, alignment=au`), as written by
 * evidencemux or by any camera that follows the specification. The stream
 * passes through untouched. The validator is the one of `anninh verify`
 * (gst-libs/anninh media-signing-validator), with its own NAL unit reader,
 * independent of the signer's code.
 *
 * For every signed (partial) GOP it posts an `evidenceverify-gop` element
 * message, and at EOS an `evidenceverify-summary` message with the verdict
 * of the whole stream. Without #GstEvidenceVerify:ca-file the signatures are
 * checked with the key the stream carries, and the summary says the
 * certificate was not checked.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=signed.mp4 ! qtdemux ! h264parse !
 *   video/x-h264,stream-format=byte-stream,alignment=au !
 *   evidenceverify ca-file=district-ca.pem ! fakesink
 * ]|
 *
 * ## Bus messages
 *
 * `evidenceverify-gop`, once per signed (partial) GOP, when its SEI has been
 * checked:
 * - `verdict` (string): `authentic`, `authentic-with-missing-frames`,
 *   `not-authentic` or `not-signed`
 * - `gop-counter` (uint): the GOP counter the SEI carries
 * - `partial` (boolean): the SEI signs a part of a long GOP
 * - `first-frame`, `last-frame` (int64): frames judged (pictures counted
 *   from 0 since the element started), -1 unknown
 * - `first-pts`, `last-pts` (uint64): their PTS in ns, GST_CLOCK_TIME_NONE
 *   unknown
 * - `start-utc`, `end-utc` (int64): the signed capture time span of the
 *   GOP, microseconds since the Unix epoch, -1 unknown
 * - `altered-first-frame`, `altered-last-frame` (int64): the frames found
 *   altered, inserted, duplicated or reordered, -1 none
 * - `missing-after-frame` (int64): frames are missing after this one, -1
 *   none
 * - `nalus-signed`, `nalus-missing`, `nalus-altered` (uint): NAL unit counts
 * - `reason` (string, may be NULL): why the GOP is not authentic or
 *   incomplete, in words
 *
 * `evidenceverify-summary`, at EOS:
 * - `verdict` (string): as above, for the whole stream
 * - `reason` (string, may be NULL): the first problem found
 * - `frames`, `frames-unsigned` (uint64): pictures seen, and those no
 *   signature covers (before the first signed GOP, after the last SEI)
 * - `gops-authentic`, `gops-missing`, `gops-not-authentic` (uint)
 * - `start-utc`, `end-utc` (int64): signed time span, µs since the Unix
 *   epoch, -1 unknown
 * - `camera-id`, `location` (string, may be NULL): attribution carried in
 *   the signed data
 * - `latitude`, `longitude` (double): NaN when absent
 * - `signer`, `issuer` (string, may be NULL): subject and issuer of the
 *   signing certificate
 * - `certificate` (string): `not-checked` (no ca-file), `trusted` or
 *   `not-trusted`
 * - `certificate-error` (string, may be NULL)
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <anninh/media-signing-validator.h>
#include "gstevidenceverify.h"

GST_DEBUG_CATEGORY_STATIC (gst_evidence_verify_debug);
#define GST_CAT_DEFAULT gst_evidence_verify_debug

#define DEFAULT_CA_FILE NULL
#define DEFAULT_POST_GOPS TRUE

enum
{
  PROP_0,
  PROP_CA_FILE,
  PROP_POST_GOPS,
};

struct _GstEvidenceVerify
{
  GstBaseTransform parent;

  /* GST_OBJECT_LOCK */
  gchar *ca_file;
  gboolean post_gops;

  /* streaming thread only */
  AnninhMsValidator *validator;
  AnninhMsCodec codec;
  gboolean have_codec;
  gchar *ca_in_use;
  gboolean post_gops_in_use;
};

#define CAPS_STR \
  "video/x-h264, stream-format=(string)byte-stream, alignment=(string)au; " \
  "video/x-h265, stream-format=(string)byte-stream, alignment=(string)au"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPS_STR));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPS_STR));

#define gst_evidence_verify_parent_class parent_class
G_DEFINE_TYPE (GstEvidenceVerify, gst_evidence_verify,
    GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (evidenceverify, "evidenceverify",
    GST_RANK_NONE, GST_TYPE_EVIDENCE_VERIFY,
    GST_DEBUG_CATEGORY_INIT (gst_evidence_verify_debug, "evidenceverify", 0,
        "ONVIF Media Signing verifier"));

static void
post_results (GstEvidenceVerify * self)
{
  GPtrArray *res;

  if (self->validator == NULL)
    return;
  res = anninh_ms_validator_take_results (self->validator);
  for (guint i = 0; i < res->len && self->post_gops_in_use; i++) {
    AnninhMsGopResult *g = g_ptr_array_index (res, i);
    GstStructure *s = gst_structure_new ("evidenceverify-gop",
        "verdict", G_TYPE_STRING, anninh_ms_verdict_to_string (g->verdict),
        "gop-counter", G_TYPE_UINT, g->gop_counter,
        "partial", G_TYPE_BOOLEAN, g->partial,
        "first-frame", G_TYPE_INT64, g->first_frame,
        "last-frame", G_TYPE_INT64, g->last_frame,
        "first-pts", G_TYPE_UINT64, g->first_pts < 0 ? GST_CLOCK_TIME_NONE :
        (guint64) g->first_pts,
        "last-pts", G_TYPE_UINT64, g->last_pts < 0 ? GST_CLOCK_TIME_NONE :
        (guint64) g->last_pts,
        "start-utc", G_TYPE_INT64, g->start_utc_us,
        "end-utc", G_TYPE_INT64, g->end_utc_us,
        "altered-first-frame", G_TYPE_INT64, g->bad_first_frame,
        "altered-last-frame", G_TYPE_INT64, g->bad_last_frame,
        "missing-after-frame", G_TYPE_INT64, g->n_nalus_missing > 0 ?
        g->missing_after_frame : -1,
        "nalus-signed", G_TYPE_UINT, g->n_nalus_signed,
        "nalus-missing", G_TYPE_UINT, g->n_nalus_missing,
        "nalus-altered", G_TYPE_UINT, g->n_nalus_bad,
        "reason", G_TYPE_STRING, g->reason, NULL);

    GST_DEBUG_OBJECT (self, "GOP %u: %s", g->gop_counter,
        anninh_ms_verdict_to_string (g->verdict));
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
  }
  g_ptr_array_unref (res);
}

static void
post_summary (GstEvidenceVerify * self)
{
  AnninhMsSummary *sum;
  GstStructure *s;

  if (self->validator == NULL)
    return;
  sum = anninh_ms_validator_finish (self->validator);
  post_results (self);
  anninh_ms_validator_free (self->validator);
  self->validator = NULL;

  s = gst_structure_new ("evidenceverify-summary",
      "verdict", G_TYPE_STRING, anninh_ms_verdict_to_string (sum->verdict),
      "reason", G_TYPE_STRING, sum->reason,
      "frames", G_TYPE_UINT64, sum->frames,
      "frames-unsigned", G_TYPE_UINT64, sum->frames_unsigned,
      "gops-authentic", G_TYPE_UINT, sum->n_gops_authentic,
      "gops-missing", G_TYPE_UINT, sum->n_gops_missing,
      "gops-not-authentic", G_TYPE_UINT, sum->n_gops_not_authentic,
      "start-utc", G_TYPE_INT64, sum->start_utc_us,
      "end-utc", G_TYPE_INT64, sum->end_utc_us,
      "camera-id", G_TYPE_STRING, sum->camera_id,
      "location", G_TYPE_STRING, sum->location,
      "latitude", G_TYPE_DOUBLE, sum->latitude,
      "longitude", G_TYPE_DOUBLE, sum->longitude,
      "signer", G_TYPE_STRING, sum->signer_subject,
      "issuer", G_TYPE_STRING, sum->signer_issuer,
      "certificate", G_TYPE_STRING, !sum->certificate_checked ?
      "not-checked" : sum->certificate_trusted ? "trusted" : "not-trusted",
      "certificate-error", G_TYPE_STRING, sum->certificate_error, NULL);
  GST_INFO_OBJECT (self, "stream verdict: %s",
      anninh_ms_verdict_to_string (sum->verdict));
  anninh_ms_summary_free (sum);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static gboolean
ensure_validator (GstEvidenceVerify * self)
{
  GError *err = NULL;

  if (self->validator || !self->have_codec)
    return TRUE;
  self->validator = anninh_ms_validator_new (self->codec);
  if (self->ca_in_use && !anninh_ms_validator_set_ca_file (self->validator,
          self->ca_in_use, &err)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Cannot read the CA certificate file \"%s\" needed to check the "
            "camera's signing certificate.", self->ca_in_use),
        ("%s", err->message));
    g_clear_error (&err);
    return FALSE;
  }
  return TRUE;
}

static gboolean
gst_evidence_verify_start (GstBaseTransform * trans)
{
  GstEvidenceVerify *self = GST_EVIDENCE_VERIFY (trans);
  AnninhMsValidator *probe;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  g_free (self->ca_in_use);
  self->ca_in_use = g_strdup (self->ca_file);
  self->post_gops_in_use = self->post_gops;
  GST_OBJECT_UNLOCK (self);

  if (self->ca_in_use) {
    /* Tell a bad CA file before PLAYING, not at the first buffer. */
    probe = anninh_ms_validator_new (ANNINH_MS_CODEC_H264);
    if (!anninh_ms_validator_set_ca_file (probe, self->ca_in_use, &err)) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Cannot read the CA certificate file \"%s\" needed to check the "
              "camera's signing certificate.", self->ca_in_use),
          ("%s", err->message));
      g_clear_error (&err);
      anninh_ms_validator_free (probe);
      return FALSE;
    }
    anninh_ms_validator_free (probe);
  }
  return TRUE;
}

static gboolean
gst_evidence_verify_stop (GstBaseTransform * trans)
{
  GstEvidenceVerify *self = GST_EVIDENCE_VERIFY (trans);

  anninh_ms_validator_free (self->validator);
  self->validator = NULL;
  self->have_codec = FALSE;
  g_clear_pointer (&self->ca_in_use, g_free);
  return TRUE;
}

static gboolean
gst_evidence_verify_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstEvidenceVerify *self = GST_EVIDENCE_VERIFY (trans);
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (incaps,
          0));
  AnninhMsCodec codec = g_str_equal (name, "video/x-h265") ?
      ANNINH_MS_CODEC_H265 : ANNINH_MS_CODEC_H264;

  if (self->have_codec && codec != self->codec) {
    /* A different codec is a different stream: close the previous one. */
    post_summary (self);
  }
  self->codec = codec;
  self->have_codec = TRUE;
  GST_DEBUG_OBJECT (self, "verifying %s", name);
  return TRUE;
}

static gboolean
gst_evidence_verify_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstEvidenceVerify *self = GST_EVIDENCE_VERIFY (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    post_summary (self);
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static GstFlowReturn
gst_evidence_verify_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstEvidenceVerify *self = GST_EVIDENCE_VERIFY (trans);
  GstMapInfo map;
  GstClockTime ts;

  if (!ensure_validator (self))
    return GST_FLOW_ERROR;
  if (self->validator == NULL)
    return GST_FLOW_OK;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  ts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf);
  GST_LOG_OBJECT (self, "access unit of %" G_GSIZE_FORMAT " bytes", map.size);
  anninh_ms_validator_push_au (self->validator, map.data, map.size,
      GST_CLOCK_TIME_IS_VALID (ts) ? (gint64) ts : -1);
  gst_buffer_unmap (buf, &map);
  post_results (self);
  return GST_FLOW_OK;
}

static void
gst_evidence_verify_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstEvidenceVerify *self = GST_EVIDENCE_VERIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CA_FILE:
      g_free (self->ca_file);
      self->ca_file = g_value_dup_string (value);
      break;
    case PROP_POST_GOPS:
      self->post_gops = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_evidence_verify_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstEvidenceVerify *self = GST_EVIDENCE_VERIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;
    case PROP_POST_GOPS:
      g_value_set_boolean (value, self->post_gops);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_evidence_verify_finalize (GObject * object)
{
  GstEvidenceVerify *self = GST_EVIDENCE_VERIFY (object);

  g_free (self->ca_file);
  g_free (self->ca_in_use);
  anninh_ms_validator_free (self->validator);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_evidence_verify_class_init (GstEvidenceVerifyClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = gst_evidence_verify_set_property;
  gobject_class->get_property = gst_evidence_verify_get_property;
  gobject_class->finalize = gst_evidence_verify_finalize;

  /**
   * GstEvidenceVerify:ca-file:
   *
   * PEM file of the trusted CA certificate(s) (the district CA). The
   * signer's certificate chain carried in the stream must lead to it, valid
   * at the recording time. NULL: certificates are not checked.
   */
  g_object_class_install_property (gobject_class, PROP_CA_FILE,
      g_param_spec_string ("ca-file", "CA file",
          "PEM file of the trusted CA certificate(s); NULL = do not check "
          "the signer's certificate", DEFAULT_CA_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstEvidenceVerify:post-gops:
   *
   * Post an `evidenceverify-gop` message for every signed GOP (the summary
   * at EOS is always posted).
   */
  g_object_class_install_property (gobject_class, PROP_POST_GOPS,
      g_param_spec_boolean ("post-gops", "Post GOP messages",
          "Post an evidenceverify-gop element message per signed GOP",
          DEFAULT_POST_GOPS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Media Signing verifier", "Filter/Video/Analyzer",
      "Verifies ONVIF Media Signing (signed H.264/H.265) on the fly and "
      "posts a verdict per GOP and for the stream",
      "gst-anninh developers");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_evidence_verify_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_evidence_verify_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_evidence_verify_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_evidence_verify_sink_event);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_evidence_verify_transform_ip);
  trans_class->passthrough_on_same_caps = FALSE;
}

static void
gst_evidence_verify_init (GstEvidenceVerify * self)
{
  self->ca_file = DEFAULT_CA_FILE;
  self->post_gops = DEFAULT_POST_GOPS;
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  /* Read-only: transform_ip still sees every buffer in passthrough. */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}
