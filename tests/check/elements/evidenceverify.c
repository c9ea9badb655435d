/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* evidenceverify: passthrough, per-GOP and summary messages, bad CA file. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include "../ms-test-stream.h"

#define CAPS "video/x-h264,stream-format=byte-stream,alignment=au"

static MsTestKeys keys;
static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("evidenceverify-XXXXXX", NULL);
  ms_test_keys_init (&keys, tmpdir);
}

static void
teardown (void)
{
  ms_test_keys_clear (&keys);
  g_rmdir (tmpdir);
  g_free (tmpdir);
}

/* Runs the access units through the element; returns the element messages
 * (GstStructure copies) posted. */
static GList *
run (GPtrArray * aus, const gchar * ca)
{
  GstElement *e = gst_element_factory_make ("evidenceverify", NULL);
  GstHarness *h;
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GList *out = NULL;

  /* before the harness starts it: the CA file is read at start */
  if (ca)
    g_object_set (e, "ca-file", ca, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, CAPS);
  for (guint i = 0; i < aus->len; i++) {
    GByteArray *au = g_ptr_array_index (aus, i);
    GstBuffer *in = gst_buffer_new_memdup (au->data, au->len), *outb;

    GST_BUFFER_PTS (in) = i * 40 * GST_MSECOND;
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    outb = gst_harness_pull (h);
    /* passthrough: the very same bytes */
    fail_unless (gst_buffer_memcmp (outb, 0, au->data, au->len) == 0);
    gst_buffer_unref (outb);
    gst_buffer_unref (in);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    out = g_list_append (out,
        gst_structure_copy (gst_message_get_structure (msg)));
    gst_message_unref (msg);
  }
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  return out;
}

GST_START_TEST (test_authentic)
{
  GPtrArray *aus = ms_test_stream (&keys, 3, 5);
  GList *msgs = run (aus, keys.ca_path), *l;
  guint gops = 0;
  GstStructure *sum = NULL;
  gint64 ff = -1, lf = -1;

  for (l = msgs; l; l = l->next) {
    GstStructure *s = l->data;

    if (gst_structure_has_name (s, "evidenceverify-gop")) {
      gops++;
      fail_unless_equals_string (gst_structure_get_string (s, "verdict"),
          "authentic");
      fail_unless (gst_structure_get_int64 (s, "first-frame", &ff));
      fail_unless (gst_structure_get_int64 (s, "last-frame", &lf));
      fail_unless_equals_int64 (ff, (gops - 1) * 5);
      fail_unless_equals_int64 (lf, gops * 5 - 1);
    } else if (gst_structure_has_name (s, "evidenceverify-summary")) {
      sum = s;
    }
  }
  fail_unless_equals_int (gops, 3);
  fail_unless (sum != NULL);
  fail_unless_equals_string (gst_structure_get_string (sum, "verdict"),
      "authentic");
  fail_unless_equals_string (gst_structure_get_string (sum, "certificate"),
      "trusted");
  fail_unless_equals_string (gst_structure_get_string (sum, "signer"),
      "CN=cam-test");
  g_list_free_full (msgs, (GDestroyNotify) gst_structure_free);
  g_ptr_array_unref (aus);
}

GST_END_TEST;

GST_START_TEST (test_tampered)
{
  GPtrArray *aus = ms_test_stream (&keys, 3, 5);
  GByteArray *au = g_ptr_array_index (aus, 7);
  GList *msgs, *l;
  gboolean seen_bad = FALSE;

  au->data[au->len - 20] ^= 0x08;
  msgs = run (aus, keys.ca_path);
  for (l = msgs; l; l = l->next) {
    GstStructure *s = l->data;
    gint64 bf = -1;

    if (gst_structure_has_name (s, "evidenceverify-gop")
        && g_strcmp0 (gst_structure_get_string (s, "verdict"),
            "not-authentic") == 0) {
      gst_structure_get_int64 (s, "altered-first-frame", &bf);
      fail_unless_equals_int64 (bf, 7);
      seen_bad = TRUE;
    }
    if (gst_structure_has_name (s, "evidenceverify-summary"))
      fail_unless_equals_string (gst_structure_get_string (s, "verdict"),
          "not-authentic");
  }
  fail_unless (seen_bad);
  g_list_free_full (msgs, (GDestroyNotify) gst_structure_free);
  g_ptr_array_unref (aus);
}

GST_END_TEST;

GST_START_TEST (test_not_signed)
{
  GPtrArray *aus = ms_test_stream (&keys, 2, 5);
  GPtrArray *plain = g_ptr_array_new ();
  GList *msgs;
  GstStructure *last;

  /* keep only access units without a SEI */
  for (guint i = 0; i < aus->len; i++) {
    GByteArray *au = g_ptr_array_index (aus, i);
    if ((au->data[4] & 0x1f) != 6)
      g_ptr_array_add (plain, au);
  }
  msgs = run (plain, NULL);
  fail_unless_equals_int (g_list_length (msgs), 1);
  last = msgs->data;
  fail_unless (gst_structure_has_name (last, "evidenceverify-summary"));
  fail_unless_equals_string (gst_structure_get_string (last, "verdict"),
      "not-signed");
  fail_unless_equals_string (gst_structure_get_string (last, "certificate"),
      "not-checked");
  g_list_free_full (msgs, (GDestroyNotify) gst_structure_free);
  g_ptr_array_unref (plain);
  g_ptr_array_unref (aus);
}

GST_END_TEST;

GST_START_TEST (test_bad_ca_file)
{
  GstElement *e = gst_element_factory_make ("evidenceverify", NULL);

  g_object_set (e, "ca-file", "/nonexistent/ca.pem", NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_object_unref (e);
}

GST_END_TEST;

static Suite *
evidenceverify_suite (void)
{
  Suite *s = suite_create ("evidenceverify");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_authentic);
  tcase_add_test (tc, test_tampered);
  tcase_add_test (tc, test_not_signed);
  tcase_add_test (tc, test_bad_ca_file);
  return s;
}

GST_CHECK_MAIN (evidenceverify);
