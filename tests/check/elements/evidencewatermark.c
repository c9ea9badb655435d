/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* evidencewatermark: the text follows the capture-time meta of each buffer
 * (the picture itself is checked by OCR in tests/integration). */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <anninh/capture-time.h>

static gchar *
overlay_text (GstElement * bin)
{
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (bin));
  GValue v = G_VALUE_INIT;
  gchar *text = NULL;

  fail_unless_equals_int (gst_iterator_next (it, &v), GST_ITERATOR_OK);
  g_object_get (g_value_get_object (&v), "text", &text, NULL);
  g_value_unset (&v);
  gst_iterator_free (it);
  return text;
}

GST_START_TEST (test_capture_time_meta)
{
  GstHarness *h = gst_harness_new ("evidencewatermark");
  GstBuffer *buf;
  gchar *text;

  g_object_set (h->element, "camera-id", "cam-07", "location-text",
      "Cong chao, Phuong 1", "latitude", 10.7769, "longitude", 106.7009,
      "time-zone", "UTC", NULL);
  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=I420,width=320,height=240,framerate=25/1");

  buf = gst_harness_create_buffer (h, 320 * 240 * 3 / 2);
  gst_buffer_memset (buf, 0, 0x10, 320 * 240 * 3 / 2);
  /* 2020-01-02 03:04:05 UTC */
  anninh_buffer_add_capture_time (buf,
      G_GUINT64_CONSTANT (1577934245) * GST_SECOND);
  GST_BUFFER_PTS (buf) = 0;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));

  text = overlay_text (h->element);
  fail_unless_equals_string (text, "cam-07\nCong chao, Phuong 1\n"
      "10.77690N 106.70090E\n2020-01-02 03:04:05 UTC+00:00");
  g_free (text);

  g_object_set (h->element, "time-zone", "Asia/Ho_Chi_Minh", NULL);
  buf = gst_harness_create_buffer (h, 320 * 240 * 3 / 2);
  anninh_buffer_add_capture_time (buf,
      G_GUINT64_CONSTANT (1577934245) * GST_SECOND);
  GST_BUFFER_PTS (buf) = 40 * GST_MSECOND;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  text = overlay_text (h->element);
  fail_unless (g_str_has_suffix (text, "2020-01-02 10:04:05 UTC+07:00"),
      "%s", text);
  g_free (text);

  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
evidencewatermark_suite (void)
{
  Suite *s = suite_create ("evidencewatermark");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_capture_time_meta);
  return s;
}

GST_CHECK_MAIN (evidencewatermark);
