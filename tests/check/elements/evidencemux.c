/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* evidencemux with GstHarness: SEIs where they belong, picture bytes
 * untouched, certificate on request, key errors, caps refusal, EOS. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <anninh/capture-time.h>
#include <anninh/evidence-events.h>
#include <anninh/media-signing-tlv.h>
#include <anninh/nal-units.h>

#include "../signing-test-util.h"

#define H264_CAPS "video/x-h264, stream-format=byte-stream, alignment=au, " \
  "width=320, height=240, framerate=25/1"

static TestKeys keys;

static void
setup (void)
{
  test_keys_init (&keys);
}

static void
teardown (void)
{
  test_keys_clear (&keys);
}

static GstHarness *
new_harness (void)
{
  GstElement *e = gst_element_factory_make ("evidencemux", NULL);
  GstHarness *h;

  g_object_set (e, "private-key", keys.key, "certificate-chain",
      keys.chain, "camera-id", "cam-01", "latitude", 21.0285, "longitude",
      105.8542, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, H264_CAPS);
  return h;
}

static GstBuffer *
au_buffer (gboolean idr, guint n)
{
  GByteArray *au = make_h264_au (idr, n);
  GstBuffer *b = gst_buffer_new_memdup (au->data, au->len);

  GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = n * 40 * GST_MSECOND;
  GST_BUFFER_DURATION (b) = 40 * GST_MSECOND;
  if (!idr)
    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);
  g_byte_array_unref (au);
  return b;
}

/* The NAL units of @buf that are not SEIs, concatenated with start codes,
 * and its Media Signing SEIs. */
static GByteArray *
split_output (GstBuffer * buf, GPtrArray * seis)
{
  GstMapInfo map;
  GArray *units = g_array_new (FALSE, FALSE, sizeof (AnninhNalUnit));
  GByteArray *rest = g_byte_array_new ();

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  anninh_nal_units_split (map.data, map.size, units);
  for (guint i = 0; i < units->len; i++) {
    AnninhNalUnit *u = &g_array_index (units, AnninhNalUnit, i);
    if ((map.data[u->offset] & 0x1f) == 6) {
      TestSei *s = g_new0 (TestSei, 1);
      fail_unless (test_parse_sei (map.data + u->offset, u->size, 1, s));
      if (seis)
        g_ptr_array_add (seis, s);
      else {
        test_sei_clear (s);
        g_free (s);
      }
    } else {
      append_nal (rest, map.data + u->offset, u->size);
    }
  }
  gst_buffer_unmap (buf, &map);
  g_array_unref (units);
  return rest;
}

static void
free_sei (TestSei * s)
{
  test_sei_clear (s);
  g_free (s);
}

static GPtrArray *
sei_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) free_sei);
}

GST_START_TEST (test_sei_placement_and_untouched_pictures)
{
  GstHarness *h = new_harness ();
  guint n = 0;

  for (guint g = 0; g < 3; g++) {
    for (guint f = 0; f < 4; f++, n++) {
      GByteArray *in = make_h264_au (f == 0, n);
      GstBuffer *out;
      GByteArray *rest;
      GPtrArray *seis = sei_array ();

      fail_unless_equals_int (gst_harness_push (h, au_buffer (f == 0, n)),
          GST_FLOW_OK);
      out = gst_harness_pull (h);
      fail_unless_equals_uint64 (GST_BUFFER_PTS (out), n * 40 * GST_MSECOND);
      rest = split_output (out, seis);
      /* every byte that is not one of our SEIs is exactly the input */
      fail_unless_equals_int (rest->len, in->len);
      fail_unless (memcmp (rest->data, in->data, in->len) == 0);
      if (n == 0) {
        fail_unless_equals_int (seis->len, 1);
        fail_unless_equals_int (((TestSei *) seis->pdata[0])->reserved, 0x80);
        fail_unless (test_verify_sei (seis->pdata[0], keys.pkey));
      } else if (f == 0) {
        TestSei *s = seis->pdata[0];
        fail_unless_equals_int (seis->len, 1);
        fail_unless_equals_int (s->reserved, 0x00);
        fail_unless (s->tlv[1] && s->tlv[2] && s->tlv[3] && s->tlv[7]);
        fail_unless (test_verify_sei (s, keys.pkey));
      } else {
        fail_unless_equals_int (seis->len, 0);
        /* nothing inserted: the very same buffer went through */
      }
      g_ptr_array_unref (seis);
      g_byte_array_unref (rest);
      g_byte_array_unref (in);
      gst_buffer_unref (out);
    }
  }

  /* EOS: the last GOP is signed in an access unit of its own */
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  {
    GstBuffer *last = gst_harness_pull (h);
    GPtrArray *seis = sei_array ();
    GByteArray *rest = split_output (last, seis);
    guint64 sigs = 0;

    fail_unless_equals_int (rest->len, 0);
    fail_unless_equals_int (seis->len, 1);
    fail_unless (test_verify_sei (seis->pdata[0], keys.pkey));
    fail_unless_equals_uint64 (GST_BUFFER_PTS (last), n * 40 * GST_MSECOND);
    g_object_get (h->element, "signatures", &sigs, NULL);
    fail_unless_equals_uint64 (sigs, 4);        /* certificate + 3 GOPs */
    g_ptr_array_unref (seis);
    g_byte_array_unref (rest);
    gst_buffer_unref (last);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

static gboolean
has_certificate (GstBuffer * out)
{
  GPtrArray *seis = sei_array ();
  GByteArray *rest = split_output (out, seis);
  gboolean found = FALSE;

  for (guint i = 0; i < seis->len; i++)
    if (((TestSei *) seis->pdata[i])->reserved == 0x80)
      found = TRUE;
  g_ptr_array_unref (seis);
  g_byte_array_unref (rest);
  return found;
}

GST_START_TEST (test_certificate_request)
{
  GstHarness *h = new_harness ();
  GstBuffer *out;

  gst_harness_push (h, au_buffer (TRUE, 0));
  out = gst_harness_pull (h);
  fail_unless (has_certificate (out));
  gst_buffer_unref (out);
  gst_harness_push (h, au_buffer (FALSE, 1));
  out = gst_harness_pull (h);
  fail_if (has_certificate (out));
  gst_buffer_unref (out);

  /* a new viewer asks: not on the next P frame, on the next keyframe */
  fail_unless (gst_harness_push_upstream_event (h,
          anninh_certificate_request_event_new ("viewer 10.0.0.7")));
  gst_harness_push (h, au_buffer (FALSE, 2));
  out = gst_harness_pull (h);
  fail_if (has_certificate (out));
  gst_buffer_unref (out);
  gst_harness_push (h, au_buffer (TRUE, 3));
  out = gst_harness_pull (h);
  fail_unless (has_certificate (out));
  gst_buffer_unref (out);
  gst_harness_push (h, au_buffer (TRUE, 4));
  out = gst_harness_pull (h);
  fail_if (has_certificate (out));
  gst_buffer_unref (out);

  /* and after a flush */
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  }
  gst_harness_push (h, au_buffer (TRUE, 5));
  out = gst_harness_pull (h);
  fail_unless (has_certificate (out));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
expect_key_error (const gchar * key, const gchar * pass, const gchar * chain,
    GQuark domain, gint code, const gchar * text)
{
  GstElement *e = gst_element_factory_make ("evidencemux", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;

  gst_element_set_bus (e, bus);
  g_object_set (e, "private-key", key, "certificate-chain", chain, NULL);
  if (pass)
    g_object_set (e, "private-key-passphrase", pass, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, domain, code), "%s", err->message);
  fail_unless (strstr (err->message, text) != NULL, "'%s' lacks '%s'",
      err->message, text);
  if (pass)
    fail_if (strstr (err->message, pass) != NULL);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

GST_START_TEST (test_key_errors)
{
  gchar *missing = g_build_filename (keys.dir, "missing.key", NULL);

  expect_key_error (NULL, NULL, keys.chain, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND, "No private key file");
  expect_key_error (missing, NULL, keys.chain, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND, "missing.key");
  expect_key_error (keys.cert, NULL, keys.chain, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "not a PEM private key");
  expect_key_error (keys.other_key, NULL, keys.chain, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "does not belong to the private key");
  expect_key_error (keys.enc_key, "Wr0ngPass", keys.chain,
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "passphrase does not open");
  expect_key_error (keys.enc_key, NULL, keys.chain, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "no passphrase is set");
  expect_key_error (keys.p384_key, NULL, keys.chain, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "only P-256");
  expect_key_error (keys.key, NULL, missing, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND, "certificate chain");

  {
    /* and the right passphrase works */
    GstElement *e = gst_element_factory_make ("evidencemux", NULL);
    g_object_set (e, "private-key", keys.enc_key, "private-key-passphrase",
        "s3cret", "certificate-chain", keys.chain, NULL);
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_object_unref (e);
  }
  g_free (missing);
}

GST_END_TEST;

GST_START_TEST (test_refuse_caps)
{
  GstHarness *h = new_harness ();
  GstPad *sink = gst_element_get_static_pad (h->element, "sink");
  const gchar *refused[] = {
    "video/x-raw, format=I420, width=320, height=240",
    "video/x-h264, stream-format=avc, alignment=au",
    "video/x-h264, stream-format=byte-stream, alignment=nal",
    "video/x-vp8",
    "image/jpeg",
  };
  const gchar *accepted[] = { H264_CAPS,
    "video/x-h265, stream-format=byte-stream, alignment=au"
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++) {
    GstCaps *caps = gst_caps_from_string (refused[i]);
    fail_if (gst_pad_query_accept_caps (sink, caps), "%s", refused[i]);
    gst_caps_unref (caps);
  }
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++) {
    GstCaps *caps = gst_caps_from_string (accepted[i]);
    fail_unless (gst_pad_query_accept_caps (sink, caps), "%s", accepted[i]);
    gst_caps_unref (caps);
  }
  gst_object_unref (sink);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_meta_pad)
{
  GstHarness *h = new_harness ();
  GstHarness *m = gst_harness_new_with_element (h->element, "meta_%u", NULL);
  GstBuffer *b, *out;
  GPtrArray *seis = sei_array ();
  GByteArray *rest;
  gsize n;
  const guint8 *v;
  gchar *json;

  gst_harness_set_src_caps_str (m, "application/x-json");
  b = gst_buffer_new_memdup ("{\"plate\":\"29A-123.45\"}", 22);
  GST_BUFFER_PTS (b) = 60 * GST_MSECOND;
  fail_unless_equals_int (gst_harness_push (m, b), GST_FLOW_OK);

  for (guint i = 0; i < 4; i++) {
    gst_harness_push (h, au_buffer (i == 0 || i == 3, i));
    out = gst_harness_pull (h);
    rest = split_output (out, i == 3 ? seis : NULL);
    g_byte_array_unref (rest);
    gst_buffer_unref (out);
  }
  /* the GOP SEI closing frames 0..2 carries the record */
  fail_unless_equals_int (seis->len, 1);
  v = g_bytes_get_data (((TestSei *) seis->pdata[0])->tlv[7], &n);
  json = g_strndup ((const gchar *) v + 1, n - 1);
  fail_unless (strstr (json, "\"plate\":\"29A-123.45\""), "%s", json);
  fail_unless (strstr (json, "\"pad\":\"meta_0\""), "%s", json);
  fail_unless (strstr (json, "\"running-time-ns\":60000000"), "%s", json);
  fail_unless (test_verify_sei (seis->pdata[0], keys.pkey));
  g_free (json);
  g_ptr_array_unref (seis);
  gst_harness_teardown (m);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The signed start and end times are the capture times from the
 * reference timestamp meta, not the buffer timestamps. */
GST_START_TEST (test_capture_time_from_meta)
{
  GstHarness *h = new_harness ();
  const guint64 t0 = G_GUINT64_CONSTANT (1795357893000000000);
  GPtrArray *seis = sei_array ();
  const guint8 *gen;
  gint64 start = 0, end = 0;

  for (guint i = 0; i < 5; i++) {
    GstBuffer *b = au_buffer (i % 2 == 0, i), *out;
    GByteArray *rest;

    anninh_buffer_add_capture_time (b, t0 + i * 333 * GST_MSECOND);
    gst_harness_push (h, b);
    out = gst_harness_pull (h);
    /* the capture time meta travels on */
    fail_unless (anninh_buffer_get_capture_time (out, &(guint64) {
            0}));
    rest = split_output (out, i == 4 ? seis : NULL);
    g_byte_array_unref (rest);
    gst_buffer_unref (out);
  }
  /* the SEI at frame 4 closes the GOP of frames 2 and 3 */
  fail_unless_equals_int (seis->len, 1);
  gen = g_bytes_get_data (((TestSei *) seis->pdata[0])->tlv[1], NULL);
  for (guint i = 0; i < 8; i++) {
    start = (start << 8) | gen[5 + i];
    end = (end << 8) | gen[13 + i];
  }
  fail_unless_equals_int64 (start,
      anninh_media_signing_time_from_unix_ns (t0 + 2 * 333 * GST_MSECOND));
  fail_unless_equals_int64 (end,
      anninh_media_signing_time_from_unix_ns (t0 + 4 * 333 * GST_MSECOND));
  g_ptr_array_unref (seis);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
evidencemux_suite (void)
{
  Suite *s = suite_create ("evidencemux");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_sei_placement_and_untouched_pictures);
  tcase_add_test (tc, test_certificate_request);
  tcase_add_test (tc, test_key_errors);
  tcase_add_test (tc, test_refuse_caps);
  tcase_add_test (tc, test_meta_pad);
  tcase_add_test (tc, test_capture_time_from_meta);
  return s;
}

GST_CHECK_MAIN (evidencemux);
