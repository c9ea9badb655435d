/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh verify: check the ONVIF Media Signing evidence of a recording (raw
 * H.264/H.265, MP4, MKV, MPEG-TS) or of a live RTSP stream, with the
 * validator of gst-libs/anninh (its own reader, independent of the signer). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <math.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <json-glib/json-glib.h>

#include <anninh/media-signing-validator.h>
#include "anninh-commands.h"

/* Exit codes of this subcommand (documented in --help). */
#define EXIT_AUTHENTIC          0
#define EXIT_AUTHENTIC_MISSING  10
#define EXIT_NOT_AUTHENTIC      11
#define EXIT_NOT_SIGNED         12

typedef struct
{
  GstElement *pipeline;
  AnninhMsValidator *validator;
  GPtrArray *gops;              /* of AnninhMsGopResult*, all GOPs */
  gchar *codec;
  guint length_size;            /* of the NAL unit length prefix */
  const gchar *ca;
  gboolean linked;
} VerifyJob;

static void
on_pad_added_src (GstElement * src, GstPad * pad, gpointer user_data)
{
  GstElement *parsebin = user_data;
  GstPad *sinkpad = gst_element_get_static_pad (parsebin, "sink");

  if (!gst_pad_is_linked (sinkpad))
    gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

static GstFlowReturn
on_new_sample (GstAppSink * sink, gpointer user_data)
{
  VerifyJob *job = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf;
  GstMapInfo map;
  GPtrArray *res;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);
  if (job->length_size == 0) {
    /* avcC: byte 4, hvcC: byte 21, low two bits: length size - 1 */
    GstCaps *caps = gst_sample_get_caps (sample);
    const GValue *cd = caps ? gst_structure_get_value (
        gst_caps_get_structure (caps, 0), "codec_data") : NULL;
    GstBuffer *cdb = cd ? gst_value_get_buffer (cd) : NULL;
    guint idx = job->codec && strcmp (job->codec, "H.264") == 0 ? 4 : 21;
    guint8 b;

    job->length_size = 4;
    if (cdb && gst_buffer_extract (cdb, idx, &b, 1) == 1)
      job->length_size = (b & 3) + 1;
  }
  if (buf && gst_buffer_map (buf, &map, GST_MAP_READ)) {
    GstClockTime ts = GST_BUFFER_PTS (buf);

    if (!GST_CLOCK_TIME_IS_VALID (ts))
      ts = GST_BUFFER_DTS (buf);
    anninh_ms_validator_push_au_length_prefixed (job->validator, map.data,
        map.size, job->length_size,
        GST_CLOCK_TIME_IS_VALID (ts) ? (gint64) ts : -1);
    gst_buffer_unmap (buf, &map);
  }
  gst_sample_unref (sample);
  res = anninh_ms_validator_take_results (job->validator);
  g_ptr_array_extend_and_steal (job->gops, res);
  return GST_FLOW_OK;
}

static void
on_pad_added (GstElement * parsebin, GstPad * pad, gpointer user_data)
{
  VerifyJob *job = user_data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name;
  GstElement *parse = NULL, *filter, *sink;
  GstCaps *want;
  GstPad *sinkpad;
  AnninhMsCodec codec;
  GstAppSinkCallbacks cb = { NULL, NULL, on_new_sample };

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (job->linked || (strcmp (name, "video/x-h264") != 0
          && strcmp (name, "video/x-h265") != 0)) {
    GstElement *fake = gst_element_factory_make ("fakesink", NULL);

    g_object_set (fake, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (job->pipeline), fake);
    gst_element_sync_state_with_parent (fake);
    sinkpad = gst_element_get_static_pad (fake, "sink");
    gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
    gst_caps_unref (caps);
    return;
  }
  job->linked = TRUE;
  if (strcmp (name, "video/x-h264") == 0) {
    codec = ANNINH_MS_CODEC_H264;
    job->codec = g_strdup ("H.264");
    parse = gst_element_factory_make ("h264parse", NULL);
    want = gst_caps_from_string ("video/x-h264,stream-format=avc,"
        "alignment=au");
  } else {
    codec = ANNINH_MS_CODEC_H265;
    job->codec = g_strdup ("H.265");
    parse = gst_element_factory_make ("h265parse", NULL);
    want = gst_caps_from_string ("video/x-h265,stream-format=hvc1,"
        "alignment=au");
  }
  gst_caps_unref (caps);
  job->validator = anninh_ms_validator_new (codec);
  /* Readable: checked before the pipeline started. */
  if (job->ca)
    anninh_ms_validator_set_ca_file (job->validator, job->ca, NULL);
  g_object_set (parse, "config-interval", 0, NULL);
  filter = gst_element_factory_make ("capsfilter", NULL);
  g_object_set (filter, "caps", want, NULL);
  gst_caps_unref (want);
  sink = gst_element_factory_make ("appsink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, "emit-signals", FALSE,
      NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, job, NULL);
  gst_bin_add_many (GST_BIN (job->pipeline), parse, filter, sink, NULL);
  gst_element_link_many (parse, filter, sink, NULL);
  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (filter);
  gst_element_sync_state_with_parent (parse);
  sinkpad = gst_element_get_static_pad (parse, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

static gchar *
format_utc (gint64 us)
{
  GDateTime *dt;
  gchar *s;

  if (us < 0)
    return g_strdup ("unknown");
  dt = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  if (dt == NULL)
    return g_strdup ("unknown");
  s = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
  g_date_time_unref (dt);
  return s;
}

static gchar *
format_pts (gint64 pts)
{
  if (pts < 0)
    return g_strdup ("?");
  return g_strdup_printf ("%.3f", pts / 1e9);
}

static const gchar *
verdict_words (AnninhMsVerdict v)
{
  switch (v) {
    case ANNINH_MS_VERDICT_AUTHENTIC:
      return "AUTHENTIC";
    case ANNINH_MS_VERDICT_AUTHENTIC_MISSING:
      return "AUTHENTIC, WITH MISSING FRAMES";
    case ANNINH_MS_VERDICT_NOT_AUTHENTIC:
      return "NOT AUTHENTIC";
    default:
      return "NOT SIGNED";
  }
}

static void
print_human (const gchar * input, const gchar * ca, const gchar * codec,
    AnninhMsSummary * s, GPtrArray * gops)
{
  gchar *a, *b;

  printf ("File:      %s%s%s\n", input, codec ? "  " : "", codec ? codec : "");
  printf ("Verdict:   %s\n", verdict_words (s->verdict));
  if (s->reason && s->verdict != ANNINH_MS_VERDICT_AUTHENTIC)
    printf ("Why:       %s\n", s->reason);
  printf ("Frames:    %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
      " not covered by any signature); signed GOPs: %u authentic, "
      "%u with missing frames, %u not authentic\n", s->frames,
      s->frames_unsigned, s->n_gops_authentic, s->n_gops_missing,
      s->n_gops_not_authentic);
  printf ("Ranges:\n");
  for (guint i = 0; i < s->ranges->len; i++) {
    AnninhMsRange *r = &g_array_index (s->ranges, AnninhMsRange, i);
    a = format_pts (r->first_pts);
    b = format_pts (r->last_pts);
    printf ("  frames %6" G_GINT64_FORMAT " - %-6" G_GINT64_FORMAT
        "  (%s s - %s s)  %s\n", r->first_frame, r->last_frame, a, b,
        anninh_ms_verdict_to_string (r->verdict));
    g_free (a);
    g_free (b);
  }
  for (guint i = 0; i < gops->len; i++) {
    AnninhMsGopResult *g = g_ptr_array_index (gops, i);
    if (g->verdict == ANNINH_MS_VERDICT_AUTHENTIC)
      continue;
    printf ("  GOP %u, frames %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT
        ": %s: %s", g->gop_counter, g->first_frame, g->last_frame,
        anninh_ms_verdict_to_string (g->verdict),
        g->reason ? g->reason : "");
    if (g->bad_first_frame >= 0)
      printf (" (altered frames %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT ")",
          g->bad_first_frame, g->bad_last_frame);
    if (g->missing_after_frame >= -1 && g->n_nalus_missing > 0)
      printf (" (gap after frame %" G_GINT64_FORMAT ")",
          g->missing_after_frame);
    printf ("\n");
  }
  a = format_utc (s->start_utc_us);
  b = format_utc (s->end_utc_us);
  printf ("Recorded:  %s .. %s (signed UTC time span)\n", a, b);
  g_free (a);
  g_free (b);
  printf ("Camera:    %s\n", s->camera_id ? s->camera_id : "(not stated)");
  printf ("Location:  %s", s->location ? s->location : "(not stated)");
  if (!isnan (s->latitude) && !isnan (s->longitude))
    printf ("  (%.6f, %.6f)", s->latitude, s->longitude);
  printf ("\n");
  printf ("Signer:    %s\n", s->signer_subject ? s->signer_subject :
      "(no certificate in the stream)");
  if (s->signer_issuer)
    printf ("Issuer:    %s\n", s->signer_issuer);
  if (!s->certificate_checked) {
    printf ("Trust:     NOT CHECKED: no --ca given; the signatures were "
        "checked with the key the recording itself carries\n");
  } else if (s->certificate_trusted) {
    a = format_utc (s->certificate_checked_at_us);
    printf ("Trust:     certificate chain verified against %s at %s\n", ca, a);
    g_free (a);
  } else {
    printf ("Trust:     FAILED against %s: %s\n", ca,
        s->certificate_error ? s->certificate_error : "no certificate");
  }
  if (s->manufacturer || s->serial || s->firmware)
    printf ("Device:    %s, serial %s, firmware %s\n",
        s->manufacturer && *s->manufacturer ? s->manufacturer : "?",
        s->serial && *s->serial ? s->serial : "?",
        s->firmware && *s->firmware ? s->firmware : "?");
  for (guint i = 0; i < s->attribution->len; i++)
    printf ("Signed data: %s\n", (gchar *) g_ptr_array_index (s->attribution,
            i));
}

static void
add_nullable (JsonBuilder * b, const gchar * key, const gchar * val)
{
  json_builder_set_member_name (b, key);
  if (val)
    json_builder_add_string_value (b, val);
  else
    json_builder_add_null_value (b);
}

static void
add_time (JsonBuilder * b, const gchar * key, gint64 us)
{
  json_builder_set_member_name (b, key);
  if (us < 0) {
    json_builder_add_null_value (b);
  } else {
    gchar *s = format_utc (us);
    json_builder_add_string_value (b, s);
    g_free (s);
  }
}

static void
add_pts (JsonBuilder * b, const gchar * key, gint64 pts)
{
  json_builder_set_member_name (b, key);
  if (pts < 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, pts / 1e9);
}

static void
print_json (const gchar * input, const gchar * ca, const gchar * codec,
    AnninhMsSummary * s, GPtrArray * gops)
{
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *gen;
  JsonNode *root;
  gchar *out;

  json_builder_begin_object (b);
  add_nullable (b, "input", input);
  add_nullable (b, "codec", codec);
  add_nullable (b, "verdict", anninh_ms_verdict_to_string (s->verdict));
  add_nullable (b, "reason", s->reason);
  json_builder_set_member_name (b, "frames");
  json_builder_add_int_value (b, s->frames);
  json_builder_set_member_name (b, "frames-unsigned");
  json_builder_add_int_value (b, s->frames_unsigned);
  json_builder_set_member_name (b, "gops-authentic");
  json_builder_add_int_value (b, s->n_gops_authentic);
  json_builder_set_member_name (b, "gops-missing");
  json_builder_add_int_value (b, s->n_gops_missing);
  json_builder_set_member_name (b, "gops-not-authentic");
  json_builder_add_int_value (b, s->n_gops_not_authentic);
  add_time (b, "start", s->start_utc_us);
  add_time (b, "end", s->end_utc_us);
  add_nullable (b, "camera-id", s->camera_id);
  add_nullable (b, "location", s->location);
  json_builder_set_member_name (b, "latitude");
  if (isnan (s->latitude))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, s->latitude);
  json_builder_set_member_name (b, "longitude");
  if (isnan (s->longitude))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, s->longitude);
  add_nullable (b, "signer", s->signer_subject);
  add_nullable (b, "issuer", s->signer_issuer);
  add_nullable (b, "ca-file", ca);
  json_builder_set_member_name (b, "certificate");
  json_builder_add_string_value (b, !s->certificate_checked ? "not-checked" :
      s->certificate_trusted ? "trusted" : "not-trusted");
  add_nullable (b, "certificate-error", s->certificate_error);
  add_time (b, "certificate-checked-at", s->certificate_checked_at_us);
  add_nullable (b, "manufacturer", s->manufacturer);
  add_nullable (b, "serial", s->serial);
  add_nullable (b, "firmware", s->firmware);
  json_builder_set_member_name (b, "signed-data");
  json_builder_begin_array (b);
  for (guint i = 0; i < s->attribution->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (s->attribution, i));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "ranges");
  json_builder_begin_array (b);
  for (guint i = 0; i < s->ranges->len; i++) {
    AnninhMsRange *r = &g_array_index (s->ranges, AnninhMsRange, i);
    json_builder_begin_object (b);
    add_nullable (b, "verdict", anninh_ms_verdict_to_string (r->verdict));
    json_builder_set_member_name (b, "first-frame");
    json_builder_add_int_value (b, r->first_frame);
    json_builder_set_member_name (b, "last-frame");
    json_builder_add_int_value (b, r->last_frame);
    add_pts (b, "first-pts", r->first_pts);
    add_pts (b, "last-pts", r->last_pts);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "gops");
  json_builder_begin_array (b);
  for (guint i = 0; i < gops->len; i++) {
    AnninhMsGopResult *g = g_ptr_array_index (gops, i);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "counter");
    json_builder_add_int_value (b, g->gop_counter);
    add_nullable (b, "verdict", anninh_ms_verdict_to_string (g->verdict));
    json_builder_set_member_name (b, "partial");
    json_builder_add_boolean_value (b, g->partial);
    json_builder_set_member_name (b, "first-frame");
    json_builder_add_int_value (b, g->first_frame);
    json_builder_set_member_name (b, "last-frame");
    json_builder_add_int_value (b, g->last_frame);
    add_pts (b, "first-pts", g->first_pts);
    add_pts (b, "last-pts", g->last_pts);
    add_time (b, "start", g->start_utc_us);
    add_time (b, "end", g->end_utc_us);
    json_builder_set_member_name (b, "altered-first-frame");
    json_builder_add_int_value (b, g->bad_first_frame);
    json_builder_set_member_name (b, "altered-last-frame");
    json_builder_add_int_value (b, g->bad_last_frame);
    json_builder_set_member_name (b, "missing-after-frame");
    json_builder_add_int_value (b, g->n_nalus_missing > 0 ?
        g->missing_after_frame : -1);
    json_builder_set_member_name (b, "nalus-signed");
    json_builder_add_int_value (b, g->n_nalus_signed);
    json_builder_set_member_name (b, "nalus-missing");
    json_builder_add_int_value (b, g->n_nalus_missing);
    json_builder_set_member_name (b, "nalus-altered");
    json_builder_add_int_value (b, g->n_nalus_bad);
    add_nullable (b, "reason", g->reason);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, root);
  out = json_generator_to_data (gen, NULL);
  printf ("%s\n", out);
  g_free (out);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
}

static const gchar *summary_text =
    "Checks the ONVIF Media Signing evidence of a recording (raw H.264/H.265,\n"
    "MP4, Matroska, MPEG-TS) or of a live rtsp:// stream: every signed GOP,\n"
    "the order of GOPs, the signer's certificate against the CA file at the\n"
    "recording time.\n\n"
    "Exit codes:\n"
    "  0   authentic: every signed GOP verified, nothing missing\n"
    "  10  authentic with missing frames: what is there is authentic, but\n"
    "      frames or whole GOPs the camera signed are missing\n"
    "  11  not authentic: altered, reordered, inserted or spliced frames, a\n"
    "      bad signature, or a certificate the CA does not vouch for\n"
    "  12  not signed: no Media Signing data in the video\n"
    "  1   error: the input cannot be read\n"
    "  2   usage error\n\n"
    "Frames no signature covers (before the first signed GOP, after the last\n"
    "SEI) are listed as not-signed ranges without changing the verdict.";

int
anninh_cmd_verify (int argc, char **argv)
{
  gchar *ca = NULL;
  gboolean json = FALSE, quiet = FALSE;
  gdouble duration = 10.0;
  gchar **rest = NULL;
  GOptionEntry entries[] = {
    {"ca", 0, 0, G_OPTION_ARG_FILENAME, &ca,
        "Trusted CA certificate(s), PEM (district CA)", "FILE"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json,
        "Print the result as JSON on stdout", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
        "Print nothing; the exit code tells the verdict", NULL},
    {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration,
        "For rtsp:// URLs: seconds of the live stream to check (default 10)",
        "SECONDS"},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL,
        NULL},
    {NULL}
  };
  GOptionContext *octx;
  GError *err = NULL;
  VerifyJob job = { 0 };
  GstElement *src, *parsebin;
  gchar *uri;
  const gchar *input;
  GstBus *bus;
  GstMessage *msg = NULL;
  AnninhMsSummary *summary;
  int ret = ANNINH_EXIT_FAILURE;
  gboolean live;
  gboolean failed = FALSE;

  octx = g_option_context_new ("FILE|URL");
  g_option_context_set_summary (octx, summary_text);
  g_option_context_add_main_entries (octx, entries, NULL);
  g_option_context_add_group (octx, gst_init_get_option_group ());
  if (!g_option_context_parse (octx, &argc, &argv, &err)) {
    fprintf (stderr, "anninh verify: %s\n", err->message);
    g_clear_error (&err);
    g_option_context_free (octx);
    return ANNINH_EXIT_USAGE;
  }
  g_option_context_free (octx);
  if (rest == NULL || rest[0] == NULL || rest[1] != NULL || duration <= 0) {
    fprintf (stderr, "Usage: anninh verify [--ca FILE] [--json] [--quiet] "
        "[--duration SECONDS] FILE|URL\n");
    g_strfreev (rest);
    g_free (ca);
    return ANNINH_EXIT_USAGE;
  }
  input = rest[0];
  gst_init (NULL, NULL);

  if (ca) {
    AnninhMsValidator *probe = anninh_ms_validator_new (ANNINH_MS_CODEC_H264);
    gboolean ok = anninh_ms_validator_set_ca_file (probe, ca, &err);

    anninh_ms_validator_free (probe);
    if (!ok) {
      fprintf (stderr, "anninh verify: %s\n", err->message);
      g_clear_error (&err);
      g_strfreev (rest);
      g_free (ca);
      return ANNINH_EXIT_FAILURE;
    }
  }
  job.ca = ca;
  job.gops = g_ptr_array_new_with_free_func (
      (GDestroyNotify) anninh_ms_gop_result_free);

  live = g_str_has_prefix (input, "rtsp://") || g_str_has_prefix (input,
      "rtsps://");
  if (gst_uri_is_valid (input)) {
    uri = g_strdup (input);
  } else {
    if (!g_file_test (input, G_FILE_TEST_IS_REGULAR)) {
      fprintf (stderr, "anninh verify: cannot read %s: no such file\n",
          input);
      goto done;
    }
    uri = gst_filename_to_uri (input, NULL);
  }

  job.pipeline = gst_pipeline_new ("verify");
  src = gst_element_factory_make ("urisourcebin", NULL);
  parsebin = gst_element_factory_make ("parsebin", NULL);
  g_object_set (src, "uri", uri, NULL);
  g_free (uri);
  gst_bin_add_many (GST_BIN (job.pipeline), src, parsebin, NULL);
  g_signal_connect (src, "pad-added", G_CALLBACK (on_pad_added_src),
      parsebin);
  g_signal_connect (parsebin, "pad-added", G_CALLBACK (on_pad_added), &job);

  bus = gst_element_get_bus (job.pipeline);
  if (gst_element_set_state (job.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    failed = TRUE;
  } else {
    GstClockTime timeout = live ? (GstClockTime) (duration * GST_SECOND) :
        GST_CLOCK_TIME_NONE;
    msg = gst_bus_timed_pop_filtered (bus, timeout,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *e = NULL;
      gst_message_parse_error (msg, &e, NULL);
      fprintf (stderr, "anninh verify: cannot read %s: %s\n", input,
          e->message);
      g_clear_error (&e);
      failed = TRUE;
    }
    if (msg)
      gst_message_unref (msg);
  }
  gst_element_set_state (job.pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (job.pipeline);

  if (failed)
    goto done;
  if (!job.linked) {
    fprintf (stderr, "anninh verify: %s holds no H.264 or H.265 video\n",
        input);
    goto done;
  }

  summary = anninh_ms_validator_finish (job.validator);
  g_ptr_array_extend_and_steal (job.gops,
      anninh_ms_validator_take_results (job.validator));
  if (json)
    print_json (input, ca, job.codec, summary, job.gops);
  else if (!quiet)
    print_human (input, ca, job.codec, summary, job.gops);
  switch (summary->verdict) {
    case ANNINH_MS_VERDICT_AUTHENTIC:
      ret = EXIT_AUTHENTIC;
      break;
    case ANNINH_MS_VERDICT_AUTHENTIC_MISSING:
      ret = EXIT_AUTHENTIC_MISSING;
      break;
    case ANNINH_MS_VERDICT_NOT_AUTHENTIC:
      ret = EXIT_NOT_AUTHENTIC;
      break;
    default:
      ret = EXIT_NOT_SIGNED;
      break;
  }
  anninh_ms_summary_free (summary);

done:
  anninh_ms_validator_free (job.validator);
  g_ptr_array_unref (job.gops);
  g_free (job.codec);
  g_strfreev (rest);
  g_free (ca);
  return ret;
}
