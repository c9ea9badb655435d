/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every element of gst-anninh: complete metadata, and it survives a
 * NULL -> READY -> PAUSED -> PLAYING -> NULL cycle with default properties
 * (a failing state change is allowed, a crash, warning or leak is not). */
#include <gst/check/gstcheck.h>

static const gchar *anninh_plugins[] = {
  "ipcam", "evidence", "retention", "policeshare", "health"
};

static GList *
anninh_element_factories (void)
{
  GList *out = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (anninh_plugins); i++) {
    GList *features = gst_registry_get_feature_list_by_plugin
        (gst_registry_get (), anninh_plugins[i]);
    GList *l;

    for (l = features; l; l = l->next)
      if (GST_IS_ELEMENT_FACTORY (l->data))
        out = g_list_prepend (out, gst_object_ref (l->data));
    gst_plugin_feature_list_free (features);
  }
  return out;
}

GST_START_TEST (test_plugins_load)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (anninh_plugins); i++) {
    GstPlugin *p = gst_registry_find_plugin (gst_registry_get (),
        anninh_plugins[i]);

    fail_unless (p != NULL, "plugin %s not found", anninh_plugins[i]);
    fail_unless_equals_string (gst_plugin_get_license (p), "LGPL");
    gst_object_unref (p);
  }
}

GST_END_TEST;

GST_START_TEST (test_metadata_complete)
{
  GList *factories = anninh_element_factories (), *l;

  for (l = factories; l; l = l->next) {
    GstElementFactory *f = l->data;
    const gchar *keys[] = { GST_ELEMENT_METADATA_LONGNAME,
      GST_ELEMENT_METADATA_KLASS, GST_ELEMENT_METADATA_DESCRIPTION,
      GST_ELEMENT_METADATA_AUTHOR
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (keys); i++) {
      const gchar *v = gst_element_factory_get_metadata (f, keys[i]);
      fail_unless (v != NULL && *v != '\0', "%s has no %s",
          GST_OBJECT_NAME (f), keys[i]);
    }
  }
  g_list_free_full (factories, gst_object_unref);
}

GST_END_TEST;

static void
cycle (GstElement * e, GstState target)
{
  gst_element_set_state (e, target);
  gst_element_get_state (e, NULL, NULL, 5 * GST_SECOND);
}

GST_START_TEST (test_state_cycles)
{
  GList *factories = anninh_element_factories (), *l;

  for (l = factories; l; l = l->next) {
    GstElement *e = gst_element_factory_create (l->data, NULL);
    GstState s;

    fail_unless (e != NULL, "cannot create %s", GST_OBJECT_NAME (l->data));
    GST_INFO ("cycling %s", GST_OBJECT_NAME (l->data));
    for (s = GST_STATE_READY; s <= GST_STATE_PLAYING; s++)
      cycle (e, s);
    for (s = GST_STATE_PAUSED; s >= GST_STATE_NULL; s--)
      cycle (e, s);
    /* and straight up and down again */
    cycle (e, GST_STATE_PLAYING);
    cycle (e, GST_STATE_NULL);
    gst_object_unref (e);
  }
  g_list_free_full (factories, gst_object_unref);
}

GST_END_TEST;

static Suite *
states_suite (void)
{
  Suite *s = suite_create ("states");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_plugins_load);
  tcase_add_test (tc, test_metadata_complete);
  tcase_add_test (tc, test_state_cycles);
  return s;
}

GST_CHECK_MAIN (states);
