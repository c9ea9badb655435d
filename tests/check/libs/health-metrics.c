/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Prometheus rendering of health registry snapshots, byte for byte. */
#include <gst/check/gstcheck.h>
#include <anninh/health-metrics.h>
#include <anninh/health-registry.h>

#include <math.h>

#define NOW_US G_GINT64_CONSTANT (1700000000500000)

static GPtrArray *
snapshot_of (const gchar * first, ...)
{
  GPtrArray *snap =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  const gchar *s;
  va_list args;

  va_start (args, first);
  for (s = first; s != NULL; s = va_arg (args, const gchar *))
  {
    GstStructure *e = gst_structure_from_string (s, NULL);
    fail_unless (e != NULL, "bad structure %s", s);
    g_ptr_array_add (snap, e);
  }
  va_end (args);
  return snap;
}

/* One camera, one recorder and one share, each missing some fields. */
static const gchar expected_sample[] =
    "# HELP anninh_cameras Cameras by state.\n"
    "# TYPE anninh_cameras gauge\n"
    "anninh_cameras{state=\"streaming\"} 0\n"
    "anninh_cameras{state=\"connecting\"} 0\n"
    "anninh_cameras{state=\"reconnecting\"} 0\n"
    "anninh_cameras{state=\"stalled\"} 1\n"
    "anninh_cameras{state=\"awaiting-repair\"} 0\n"
    "anninh_cameras{state=\"stopped\"} 0\n"
    "# HELP anninh_camera_up 1 when the camera is streaming, else 0.\n"
    "# TYPE anninh_camera_up gauge\n"
    "anninh_camera_up{camera=\"cam-1\",site=\"Xã An Bình\",link=\"wifi\"} 0\n"
    "# HELP anninh_camera_state Camera state; 1 for the current state, 0 for "
    "the others.\n"
    "# TYPE anninh_camera_state gauge\n"
    "anninh_camera_state{camera=\"cam-1\",site=\"Xã An Bình\",link=\"wifi\","
    "state=\"streaming\"} 0\n"
    "anninh_camera_state{camera=\"cam-1\",site=\"Xã An Bình\",link=\"wifi\","
    "state=\"connecting\"} 0\n"
    "anninh_camera_state{camera=\"cam-1\",site=\"Xã An Bình\",link=\"wifi\","
    "state=\"reconnecting\"} 0\n"
    "anninh_camera_state{camera=\"cam-1\",site=\"Xã An Bình\",link=\"wifi\","
    "state=\"stalled\"} 1\n"
    "anninh_camera_state{camera=\"cam-1\",site=\"Xã An Bình\",link=\"wifi\","
    "state=\"awaiting-repair\"} 0\n"
    "anninh_camera_state{camera=\"cam-1\",site=\"Xã An Bình\",link=\"wifi\","
    "state=\"stopped\"} 0\n"
    "# HELP anninh_camera_info Camera description; the value is always 1.\n"
    "# TYPE anninh_camera_info gauge\n"
    "anninh_camera_info{camera=\"cam-1\",site=\"Xã An Bình\",link=\"wifi\","
    "codec=\"\",location=\"\"} 1\n"
    "# HELP anninh_camera_frames_per_second Frame rate the camera delivers, "
    "frames per second.\n"
    "# TYPE anninh_camera_frames_per_second gauge\n"
    "anninh_camera_frames_per_second{camera=\"cam-1\",site=\"Xã An Bình\","
    "link=\"wifi\"} 12.5\n"
    "# HELP anninh_camera_data_rate_bytes_per_second Data rate the camera "
    "delivers (its bit rate / 8), bytes per second.\n"
    "# TYPE anninh_camera_data_rate_bytes_per_second gauge\n"
    "anninh_camera_data_rate_bytes_per_second{camera=\"cam-1\",site=\"Xã An "
    "Bình\",link=\"wifi\"} 250000\n"
    "# HELP anninh_camera_frames_total Frames received from the camera.\n"
    "# TYPE anninh_camera_frames_total counter\n"
    "anninh_camera_frames_total{camera=\"cam-1\",site=\"Xã An Bình\","
    "link=\"wifi\"} 300\n"
    "# HELP anninh_camera_last_frame_age_seconds Time since the last frame "
    "arrived, seconds.\n"
    "# TYPE anninh_camera_last_frame_age_seconds gauge\n"
    "anninh_camera_last_frame_age_seconds{camera=\"cam-1\",site=\"Xã An Bình\","
    "link=\"wifi\"} 7.25\n"
    "# HELP anninh_camera_reconnects_total Times the camera was reconnected.\n"
    "# TYPE anninh_camera_reconnects_total counter\n"
    "anninh_camera_reconnects_total{camera=\"cam-1\",site=\"Xã An Bình\","
    "link=\"wifi\"} 3\n"
    "# HELP anninh_recorders Recorders by state.\n"
    "# TYPE anninh_recorders gauge\n"
    "anninh_recorders{state=\"recording\"} 0\n"
    "anninh_recorders{state=\"stopped\"} 0\n"
    "anninh_recorders{state=\"disk-full\"} 1\n"
    "anninh_recorders{state=\"error\"} 0\n"
    "# HELP anninh_recorder_up 1 when the recorder is recording, else 0.\n"
    "# TYPE anninh_recorder_up gauge\n"
    "anninh_recorder_up{camera=\"cam-1\"} 0\n"
    "# HELP anninh_recorder_state Recorder state; 1 for the current state, 0 "
    "for the others.\n"
    "# TYPE anninh_recorder_state gauge\n"
    "anninh_recorder_state{camera=\"cam-1\",state=\"recording\"} 0\n"
    "anninh_recorder_state{camera=\"cam-1\",state=\"stopped\"} 0\n"
    "anninh_recorder_state{camera=\"cam-1\",state=\"disk-full\"} 1\n"
    "anninh_recorder_state{camera=\"cam-1\",state=\"error\"} 0\n"
    "# HELP anninh_recorder_free_bytes Free space on the store's disk, bytes.\n"
    "# TYPE anninh_recorder_free_bytes gauge\n"
    "anninh_recorder_free_bytes{camera=\"cam-1\"} 1024\n"
    "# HELP anninh_shares Police shares by state.\n"
    "# TYPE anninh_shares gauge\n"
    "anninh_shares{state=\"serving\"} 0\n"
    "anninh_shares{state=\"idle\"} 1\n"
    "# HELP anninh_share_state Share state; 1 for the current state, 0 for the "
    "others.\n"
    "# TYPE anninh_share_state gauge\n"
    "anninh_share_state{share=\"/cam-1\",state=\"serving\"} 0\n"
    "anninh_share_state{share=\"/cam-1\",state=\"idle\"} 1\n"
    "# HELP anninh_share_info Share description; the value is always 1.\n"
    "# TYPE anninh_share_info gauge\n"
    "anninh_share_info{share=\"/cam-1\",address=\"\"} 1\n"
    "# HELP anninh_share_viewers Viewers watching the share now.\n"
    "# TYPE anninh_share_viewers gauge\n"
    "anninh_share_viewers{share=\"/cam-1\"} 0\n"
    "# HELP anninh_health_entries Entries in the health registry, by kind.\n"
    "# TYPE anninh_health_entries gauge\n"
    "anninh_health_entries{kind=\"camera\"} 1\n"
    "anninh_health_entries{kind=\"recorder\"} 1\n"
    "anninh_health_entries{kind=\"share\"} 1\n"
    "# HELP anninh_health_registry_changes_total Publications and withdrawals "
    "in the health registry since start.\n"
    "# TYPE anninh_health_registry_changes_total counter\n"
    "anninh_health_registry_changes_total 42\n"
    "# HELP anninh_health_time_seconds Server time when this page was made, "
    "Unix time in seconds.\n"
    "# TYPE anninh_health_time_seconds gauge\n"
    "anninh_health_time_seconds 1700000000.5\n";

GST_START_TEST (test_sample_exact)
{
  GPtrArray *snap = snapshot_of ("camera, id=cam-1, state=stalled, "
      "site=\"Xã An Bình\", link=wifi, fps=12.5, bitrate=2000000.0, "
      "frames=(guint64)300, reconnects=(uint)3, last-frame-age=7.25",
      "recorder, id=cam-1, state=disk-full, free-bytes=(guint64)1024",
      "share, id=/cam-1, state=idle, viewers=(uint)0", NULL);
  gchar *text = anninh_health_snapshot_to_metrics (snap, 42, NOW_US);

  fail_unless_equals_string (text, expected_sample);
  g_free (text);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

GST_START_TEST (test_label_escaping)
{
  gchar *e;

  e = anninh_health_metrics_escape_label ("a\"b\\c\nd");
  fail_unless_equals_string (e, "a\\\"b\\\\c\\nd");
  g_free (e);
  e = anninh_health_metrics_escape_label (NULL);
  fail_unless_equals_string (e, "");
  g_free (e);
  /* invalid UTF-8 must not reach a scraper */
  e = anninh_health_metrics_escape_label ("x\xff y");
  fail_unless (g_utf8_validate (e, -1, NULL));
  g_free (e);
}

GST_END_TEST;

GST_START_TEST (test_escaped_in_samples)
{
  GstStructure *cam = gst_structure_new (ANNINH_HEALTH_KIND_CAMERA,
      "id", G_TYPE_STRING, "cổng \"chính\"\n\\1", "state", G_TYPE_STRING,
      "streaming", NULL);
  GPtrArray *snap =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  gchar *text;

  g_ptr_array_add (snap, cam);
  text = anninh_health_snapshot_to_metrics (snap, 1, NOW_US);
  fail_unless (strstr (text, "anninh_camera_up{camera=\"cổng \\\"chính\\\""
          "\\n\\\\1\",site=\"\",link=\"\"} 1\n") != NULL, "%s", text);
  g_free (text);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

/* Counts include every known state (zeros too) and any unknown one; an
 * unknown state is its own sample in the state set. */
GST_START_TEST (test_counts_and_unknown_state)
{
  GPtrArray *snap = snapshot_of ("camera, id=a, state=streaming",
      "camera, id=b, state=streaming", "camera, id=c, state=awaiting-repair",
      "camera, id=d, state=rebooting", NULL);
  gchar *text = anninh_health_snapshot_to_metrics (snap, 4, NOW_US);

  fail_unless (strstr (text, "anninh_cameras{state=\"streaming\"} 2\n"));
  fail_unless (strstr (text, "anninh_cameras{state=\"stalled\"} 0\n"));
  fail_unless (strstr (text, "anninh_cameras{state=\"awaiting-repair\"} 1\n"));
  fail_unless (strstr (text, "anninh_cameras{state=\"rebooting\"} 1\n"));
  fail_unless (strstr (text, "anninh_camera_state{camera=\"d\",site=\"\","
          "link=\"\",state=\"rebooting\"} 1\n"));
  fail_unless (strstr (text, "anninh_camera_state{camera=\"d\",site=\"\","
          "link=\"\",state=\"streaming\"} 0\n"));
  fail_unless (strstr (text, "anninh_camera_up{camera=\"c\",site=\"\","
          "link=\"\"} 0\n"));
  g_free (text);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

/* Every family once, HELP and TYPE before its samples, samples together. */
GST_START_TEST (test_families_grouped)
{
  GPtrArray *snap = snapshot_of ("camera, id=a, state=streaming, fps=25.0, "
      "picture=frozen, since=(gint64)1699999999000000",
      "camera, id=b, state=stopped, fps=0.0",
      "recorder, id=a, state=recording, bytes=(guint64)10, "
      "oldest=(gint64)1600000000000000",
      "share, id=/a, state=serving, bytes-sent=(guint64)5",
      "share, id=/b, state=idle", "other, id=z, state=x", NULL);
  gchar *text = anninh_health_snapshot_to_metrics (snap, 9, NOW_US);
  gchar **lines = g_strsplit (text, "\n", -1);
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  gchar *current = NULL;
  guint i;

  fail_unless (g_str_has_suffix (text, "\n"));
  for (i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    if (g_str_has_prefix (lines[i], "# HELP ")) {
      gchar **w = g_strsplit (lines[i] + 7, " ", 2);
      fail_if (g_hash_table_contains (seen, w[0]), "%s twice", w[0]);
      g_hash_table_add (seen, g_strdup (w[0]));
      g_free (current);
      current = g_strdup (w[0]);
      g_strfreev (w);
      fail_unless (g_str_has_prefix (lines[i + 1], "# TYPE "));
      fail_unless (g_str_has_prefix (lines[i + 1] + 7, current));
      i++;
    } else {
      gsize n = strlen (current);
      fail_unless (current != NULL);
      fail_unless (strncmp (lines[i], current, n) == 0
          && (lines[i][n] == '{' || lines[i][n] == ' '),
          "sample %s outside its family %s", lines[i], current);
    }
  }
  fail_unless (strstr (text, "anninh_camera_picture{camera=\"a\",site=\"\","
          "link=\"\",picture=\"frozen\"} 1\n"));
  fail_unless (strstr (text, "anninh_camera_state_change_timestamp_seconds"
          "{camera=\"a\",site=\"\",link=\"\"} 1699999999\n"));
  fail_unless (strstr (text, "anninh_recorder_oldest_timestamp_seconds"
          "{camera=\"a\"} 1600000000\n"));
  fail_unless (strstr (text, "anninh_health_entries{kind=\"other\"} 1\n"));
  fail_unless (strstr (text, "# TYPE anninh_share_sent_bytes_total "
          "counter\n"));
  g_free (current);
  g_hash_table_unref (seen);
  g_strfreev (lines);
  g_free (text);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

GST_START_TEST (test_special_values)
{
  GstStructure *cam = gst_structure_new (ANNINH_HEALTH_KIND_CAMERA,
      "id", G_TYPE_STRING, "a", "state", G_TYPE_STRING, "stalled",
      "last-frame-age", G_TYPE_DOUBLE, INFINITY,
      "clock-offset", G_TYPE_DOUBLE, NAN,
      "uptime-ratio", G_TYPE_DOUBLE, 0.1,
      "fps", G_TYPE_STRING, "not a number", NULL);
  GPtrArray *snap =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  gchar *text;

  g_ptr_array_add (snap, cam);
  text = anninh_health_snapshot_to_metrics (snap, 1, NOW_US);
  fail_unless (strstr (text, "anninh_camera_last_frame_age_seconds{camera="
          "\"a\",site=\"\",link=\"\"} +Inf\n"));
  fail_unless (strstr (text, "anninh_camera_clock_offset_seconds{camera="
          "\"a\",site=\"\",link=\"\"} NaN\n"));
  fail_unless (strstr (text, "anninh_camera_uptime_ratio{camera="
          "\"a\",site=\"\",link=\"\"} 0.1\n"));
  fail_if (strstr (text, "anninh_camera_frames_per_second"));
  g_free (text);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

static Suite *
health_metrics_suite (void)
{
  Suite *s = suite_create ("health-metrics");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sample_exact);
  tcase_add_test (tc, test_label_escaping);
  tcase_add_test (tc, test_escaped_in_samples);
  tcase_add_test (tc, test_counts_and_unknown_state);
  tcase_add_test (tc, test_families_grouped);
  tcase_add_test (tc, test_special_values);
  return s;
}

GST_CHECK_MAIN (health_metrics);
