/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <anninh/capture-time.h>
#include <anninh/evidence-events.h>

GST_START_TEST (test_capture_time_roundtrip)
{
  GstBuffer *buf = gst_buffer_new ();
  guint64 t = 0;

  fail_if (anninh_buffer_get_capture_time (buf, &t));
  anninh_buffer_add_capture_time (buf, 1763820000123456789ULL);
  fail_unless (anninh_buffer_get_capture_time (buf, &t));
  fail_unless_equals_uint64 (t, 1763820000123456789ULL);

  /* a second add replaces, never stacks */
  anninh_buffer_add_capture_time (buf, 42);
  fail_unless (anninh_buffer_get_capture_time (buf, &t));
  fail_unless_equals_uint64 (t, 42);
  fail_unless_equals_int (gst_buffer_get_n_meta (buf,
          GST_REFERENCE_TIMESTAMP_META_API_TYPE), 1);
  gst_buffer_unref (buf);
}

GST_END_TEST;

GST_START_TEST (test_other_reference_caps_ignored)
{
  GstBuffer *buf = gst_buffer_new ();
  GstCaps *ntp = gst_caps_from_string ("timestamp/x-ntp");

  gst_buffer_add_reference_timestamp_meta (buf, ntp, 7, GST_CLOCK_TIME_NONE);
  fail_if (anninh_buffer_get_capture_time (buf, NULL));
  gst_caps_unref (ntp);
  gst_buffer_unref (buf);
}

GST_END_TEST;

GST_START_TEST (test_certificate_request_event)
{
  GstEvent *ev = anninh_certificate_request_event_new ("segment");
  GstEvent *other = gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
      gst_structure_new_empty ("something-else"));

  fail_unless (anninh_event_is_certificate_request (ev));
  fail_unless_equals_string (gst_structure_get_string
      (gst_event_get_structure (ev), "reason"), "segment");
  fail_if (anninh_event_is_certificate_request (other));
  gst_event_unref (ev);
  gst_event_unref (other);
}

GST_END_TEST;

static Suite *
capture_time_suite (void)
{
  Suite *s = suite_create ("capture-time");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_capture_time_roundtrip);
  tcase_add_test (tc, test_other_reference_caps_ignored);
  tcase_add_test (tc, test_certificate_request_event);
  return s;
}

GST_CHECK_MAIN (capture_time);
