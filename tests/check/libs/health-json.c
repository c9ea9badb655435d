/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /health JSON document and the counts by state behind it. */
#include <gst/check/gstcheck.h>
#include <anninh/health-json.h>
#include <anninh/health-registry.h>
#include <anninh/health-summary.h>

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

static JsonObject *
parse_object (const gchar * text, JsonParser ** parser)
{
  GError *err = NULL;

  *parser = json_parser_new ();
  fail_unless (json_parser_load_from_data (*parser, text, -1, &err), "%s",
      err ? err->message : "");
  return json_node_get_object (json_parser_get_root (*parser));
}

GST_START_TEST (test_sample_exact)
{
  GPtrArray *snap = snapshot_of ("camera, id=cam-1, state=stalled, "
      "site=\"Xã An Bình\", link=wifi, fps=12.5, frames=(guint64)300, "
      "since=(gint64)1699999990250000, ok=true, clock-offset=nan",
      "recorder, id=cam-1, state=disk-full, free-bytes=(guint64)1024", NULL);
  gchar *text = anninh_health_snapshot_to_json (snap, 42, NOW_US, FALSE);

  fail_unless_equals_string (text,
      "{\"generation\":42,\"time\":\"2023-11-14T22:13:20.500Z\","
      "\"summary\":{\"text\":\"Cameras: 1 stalled. Recorders: 1 disk full.\","
      "\"cameras\":{\"states\":{\"streaming\":0,\"connecting\":0,"
      "\"reconnecting\":0,\"stalled\":1,\"awaiting-repair\":0,\"stopped\":0},"
      "\"total\":1,\"text\":\"1 stalled\"},"
      "\"recorders\":{\"states\":{\"recording\":0,\"stopped\":0,"
      "\"disk-full\":1,\"error\":0},\"total\":1,\"text\":\"1 disk full\"},"
      "\"shares\":{\"states\":{\"serving\":0,\"idle\":0},\"total\":0,"
      "\"text\":\"none\"}},"
      "\"cameras\":[{\"id\":\"cam-1\",\"state\":\"stalled\","
      "\"site\":\"Xã An Bình\",\"link\":\"wifi\",\"fps\":12.5,\"frames\":300,"
      "\"since\":\"2023-11-14T22:13:10.250Z\",\"ok\":true,"
      "\"clock-offset\":null}],"
      "\"recorders\":[{\"id\":\"cam-1\",\"state\":\"disk-full\","
      "\"free-bytes\":1024}],\"shares\":[]}\n");
  g_free (text);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

/* The district's sentence, from the issue. */
GST_START_TEST (test_counts_sentence)
{
  GPtrArray *snap =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  GstStructure *counts;
  gchar *sentence;
  guint i, n = 0;

  for (i = 0; i < 382; i++)
    g_ptr_array_add (snap, gst_structure_new (ANNINH_HEALTH_KIND_CAMERA,
            "id", G_TYPE_STRING, "x", "state", G_TYPE_STRING,
            i < 309 ? "streaming" : "awaiting-repair", NULL));
  g_ptr_array_add (snap, gst_structure_new (ANNINH_HEALTH_KIND_RECORDER,
          "id", G_TYPE_STRING, "x", "state", G_TYPE_STRING, "recording", NULL));
  counts = anninh_health_count_states (snap, ANNINH_HEALTH_KIND_CAMERA);
  fail_unless (gst_structure_get_uint (counts, "streaming", &n));
  fail_unless_equals_int (n, 309);
  fail_unless (gst_structure_get_uint (counts, "stalled", &n));
  fail_unless_equals_int (n, 0);
  sentence = anninh_health_summary_sentence (counts);
  fail_unless_equals_string (sentence, "309 streaming, 73 awaiting repair");
  g_free (sentence);
  gst_structure_free (counts);

  sentence = anninh_health_summary_text (snap);
  fail_unless_equals_string (sentence,
      "Cameras: 309 streaming, 73 awaiting repair. Recorders: 1 recording.");
  g_free (sentence);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

/* Whatever a publisher puts in (quotes, control characters, markup, huge
 * counters, infinities, caps, kinds we do not know) comes out as valid
 * JSON. (GstStructure itself refuses strings that are not UTF-8.) */
GST_START_TEST (test_awkward_values)
{
  GPtrArray *snap =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  JsonParser *parser;
  JsonObject *root, *cam, *other;
  JsonArray *others;
  gchar *text;

  g_ptr_array_add (snap, gst_structure_new (ANNINH_HEALTH_KIND_CAMERA,
          "id", G_TYPE_STRING, "cổng \"chính\"</script>\n\t",
          "state", G_TYPE_STRING, "streaming",
          "last-error", G_TYPE_STRING, "bad \x01 byte",
          "bytes", G_TYPE_UINT64, G_MAXUINT64,
          "fps", G_TYPE_DOUBLE, INFINITY, "caps", GST_TYPE_CAPS, NULL, NULL));
  g_ptr_array_add (snap, gst_structure_new ("radio", "id", G_TYPE_STRING,
          "r1", "state", G_TYPE_STRING, "on", NULL));
  text = anninh_health_snapshot_to_json (snap, 3, NOW_US, TRUE);
  fail_unless (g_utf8_validate (text, -1, NULL));

  root = parse_object (text, &parser);
  cam = json_array_get_object_element (json_object_get_array_member (root,
          "cameras"), 0);
  fail_unless_equals_string (json_object_get_string_member (cam, "id"),
      "cổng \"chính\"</script>\n\t");
  fail_unless (g_str_has_prefix (json_object_get_string_member (cam,
              "last-error"), "bad "));
  fail_unless (json_object_get_null_member (cam, "fps"));
  fail_unless (json_object_get_double_member (cam, "bytes") > 1.8e19);
  others = json_object_get_array_member (root, "others");
  fail_unless_equals_int (json_array_get_length (others), 1);
  other = json_array_get_object_element (others, 0);
  fail_unless_equals_string (json_object_get_string_member (other, "kind"),
      "radio");
  fail_unless_equals_string (json_object_get_string_member
      (json_object_get_object_member (root, "summary"), "text"),
      "Cameras: 1 streaming. Radio: 1 on.");
  g_object_unref (parser);
  g_free (text);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

/* Through the real registry: what is published is what /health shows. */
GST_START_TEST (test_registry_round_trip)
{
  GstStructure *e = gst_structure_new (ANNINH_HEALTH_KIND_SHARE,
      "id", G_TYPE_STRING, "/cam7", "state", G_TYPE_STRING, "serving",
      "viewers", G_TYPE_UINT, 3, NULL);
  JsonParser *parser;
  JsonObject *root, *share;
  GPtrArray *snap;
  gchar *text;
  gint64 before = g_get_real_time ();

  anninh_health_registry_publish (e);
  gst_structure_free (e);
  snap = anninh_health_registry_snapshot ();
  text = anninh_health_snapshot_to_json (snap,
      anninh_health_registry_generation (), g_get_real_time (), TRUE);
  root = parse_object (text, &parser);
  fail_unless_equals_int (json_object_get_int_member (root, "generation"),
      anninh_health_registry_generation ());
  share = json_array_get_object_element (json_object_get_array_member (root,
          "shares"), 0);
  fail_unless_equals_string (json_object_get_string_member (share, "id"),
      "/cam7");
  fail_unless_equals_int (json_object_get_int_member (share, "viewers"), 3);
  {
    GDateTime *updated =
        g_date_time_new_from_iso8601 (json_object_get_string_member (share,
            "updated"), NULL);
    fail_unless (updated != NULL);
    fail_unless (g_date_time_to_unix (updated) >= before / G_USEC_PER_SEC);
    g_date_time_unref (updated);
  }
  g_object_unref (parser);
  g_free (text);
  g_ptr_array_unref (snap);
  anninh_health_registry_withdraw (ANNINH_HEALTH_KIND_SHARE, "/cam7");
}

GST_END_TEST;

GST_START_TEST (test_format_time)
{
  gchar *s = anninh_health_format_time (0);

  fail_unless_equals_string (s, "1970-01-01T00:00:00.000Z");
  g_free (s);
  s = anninh_health_format_time (G_GINT64_CONSTANT (1700000000999999));
  fail_unless_equals_string (s, "2023-11-14T22:13:20.999Z");
  g_free (s);
}

GST_END_TEST;

static Suite *
health_json_suite (void)
{
  Suite *s = suite_create ("health-json");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sample_exact);
  tcase_add_test (tc, test_counts_sentence);
  tcase_add_test (tc, test_awkward_values);
  tcase_add_test (tc, test_registry_round_trip);
  tcase_add_test (tc, test_format_time);
  return s;
}

GST_CHECK_MAIN (health_json);
