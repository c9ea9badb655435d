/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <anninh/health-registry.h>

static GstStructure *
camera (const gchar * id, const gchar * state)
{
  return gst_structure_new (ANNINH_HEALTH_KIND_CAMERA, "id", G_TYPE_STRING,
      id, "state", G_TYPE_STRING, state, NULL);
}

static guint
count_kind (GPtrArray * snap, const gchar * kind)
{
  guint i, n = 0;

  for (i = 0; i < snap->len; i++)
    if (gst_structure_has_name (g_ptr_array_index (snap, i), kind))
      n++;
  return n;
}

GST_START_TEST (test_publish_replace_withdraw)
{
  GstStructure *e = camera ("cam1", "connecting");
  guint64 gen0 = anninh_health_registry_generation ();
  GPtrArray *snap;
  const GstStructure *got;

  anninh_health_registry_publish (e);
  gst_structure_set (e, "state", G_TYPE_STRING, "streaming", NULL);
  anninh_health_registry_publish (e);
  gst_structure_free (e);
  fail_unless (anninh_health_registry_generation () == gen0 + 2);

  snap = anninh_health_registry_snapshot ();
  fail_unless_equals_int (count_kind (snap, ANNINH_HEALTH_KIND_CAMERA), 1);
  got = g_ptr_array_index (snap, 0);
  fail_unless_equals_string (gst_structure_get_string (got, "state"),
      "streaming");
  fail_unless (gst_structure_has_field_typed (got, "updated", G_TYPE_INT64));
  g_ptr_array_unref (snap);

  anninh_health_registry_withdraw (ANNINH_HEALTH_KIND_CAMERA, "cam1");
  anninh_health_registry_withdraw (ANNINH_HEALTH_KIND_CAMERA, "unknown");
  fail_unless (anninh_health_registry_generation () == gen0 + 3);
  snap = anninh_health_registry_snapshot ();
  fail_unless_equals_int (snap->len, 0);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

GST_START_TEST (test_snapshot_sorted_by_kind_then_id)
{
  const gchar *ids[] = { "cam3", "cam1", "cam2" };
  GstStructure *rec = gst_structure_new (ANNINH_HEALTH_KIND_RECORDER, "id",
      G_TYPE_STRING, "cam1", "state", G_TYPE_STRING, "recording", NULL);
  GPtrArray *snap;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (ids); i++) {
    GstStructure *e = camera (ids[i], "streaming");
    anninh_health_registry_publish (e);
    gst_structure_free (e);
  }
  anninh_health_registry_publish (rec);
  gst_structure_free (rec);

  snap = anninh_health_registry_snapshot ();
  fail_unless_equals_int (snap->len, 4);
  fail_unless_equals_string (gst_structure_get_string
      (g_ptr_array_index (snap, 0), "id"), "cam1");
  fail_unless_equals_string (gst_structure_get_string
      (g_ptr_array_index (snap, 2), "id"), "cam3");
  fail_unless (gst_structure_has_name (g_ptr_array_index (snap, 3),
          ANNINH_HEALTH_KIND_RECORDER));
  g_ptr_array_unref (snap);

  for (i = 0; i < G_N_ELEMENTS (ids); i++)
    anninh_health_registry_withdraw (ANNINH_HEALTH_KIND_CAMERA, ids[i]);
  anninh_health_registry_withdraw (ANNINH_HEALTH_KIND_RECORDER, "cam1");
}

GST_END_TEST;

static gpointer
publisher (gpointer data)
{
  guint i;
  gchar *id = g_strdup_printf ("thread%u", GPOINTER_TO_UINT (data));

  for (i = 0; i < 2000; i++) {
    GstStructure *e = camera (id, (i % 2) ? "streaming" : "stalled");
    anninh_health_registry_publish (e);
    gst_structure_free (e);
    if (i % 100 == 0)
      g_ptr_array_unref (anninh_health_registry_snapshot ());
  }
  anninh_health_registry_withdraw (ANNINH_HEALTH_KIND_CAMERA, id);
  g_free (id);
  return NULL;
}

GST_START_TEST (test_concurrent_publishers)
{
  GThread *threads[4];
  GPtrArray *snap;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("pub", publisher, GUINT_TO_POINTER (i));
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  snap = anninh_health_registry_snapshot ();
  fail_unless_equals_int (snap->len, 0);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

static Suite *
health_registry_suite (void)
{
  Suite *s = suite_create ("health-registry");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_publish_replace_withdraw);
  tcase_add_test (tc, test_snapshot_sorted_by_kind_then_id);
  tcase_add_test (tc, test_concurrent_publishers);
  return s;
}

GST_CHECK_MAIN (health_registry);
