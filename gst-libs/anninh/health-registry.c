/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:health-registry
 *
 * The registry is a table keyed by "kind/id", guarded by one mutex. Entries
 * are copied in and copied out, so publishers and readers never share a
 * structure.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "health-registry.h"

/* Guards registry and generation. */
static GMutex registry_lock;
static GHashTable *registry;    /* "kind/id" -> GstStructure */
static guint64 generation;

static gchar *
entry_key (const gchar * kind, const gchar * id)
{
  return g_strdup_printf ("%s/%s", kind, id);
}

/**
 * anninh_health_registry_publish:
 * @entry: the entry; its name is the kind and it must have a string `id`
 *
 * Adds @entry to the registry, or replaces the entry of the same kind and
 * id. The registry keeps a copy and stamps it with `updated`.
 */
void
anninh_health_registry_publish (const GstStructure * entry)
{
  const gchar *id;
  GstStructure *copy;

  g_return_if_fail (entry != NULL);
  id = gst_structure_get_string (entry, "id");
  g_return_if_fail (id != NULL);

  copy = gst_structure_copy (entry);
  gst_structure_set (copy, "updated", G_TYPE_INT64, g_get_real_time (), NULL);

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        (GDestroyNotify) gst_structure_free);
  g_hash_table_replace (registry,
      entry_key (gst_structure_get_name (entry), id), copy);
  generation++;
  g_mutex_unlock (&registry_lock);
}

/**
 * anninh_health_registry_withdraw:
 * @kind: the entry's kind
 * @id: the entry's id
 *
 * Removes an entry, e.g. when its element is disposed. Unknown entries are
 * ignored.
 */
void
anninh_health_registry_withdraw (const gchar * kind, const gchar * id)
{
  gchar *key;

  g_return_if_fail (kind != NULL && id != NULL);

  key = entry_key (kind, id);
  g_mutex_lock (&registry_lock);
  if (registry != NULL && g_hash_table_remove (registry, key))
    generation++;
  g_mutex_unlock (&registry_lock);
  g_free (key);
}

static gint
compare_entries (gconstpointer a, gconstpointer b)
{
  const GstStructure *sa = *(const GstStructure **) a;
  const GstStructure *sb = *(const GstStructure **) b;
  gint c = g_strcmp0 (gst_structure_get_name (sa), gst_structure_get_name (sb));

  if (c != 0)
    return c;
  return g_strcmp0 (gst_structure_get_string (sa, "id"),
      gst_structure_get_string (sb, "id"));
}

/**
 * anninh_health_registry_snapshot:
 *
 * Returns: (transfer full) (element-type GstStructure): copies of every
 * entry, sorted by kind then id. Free with g_ptr_array_unref().
 */
GPtrArray *
anninh_health_registry_snapshot (void)
{
  GPtrArray *out =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&registry_lock);
  if (registry != NULL) {
    g_hash_table_iter_init (&iter, registry);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      g_ptr_array_add (out, gst_structure_copy (value));
  }
  g_mutex_unlock (&registry_lock);

  g_ptr_array_sort (out, compare_entries);
  return out;
}

/**
 * anninh_health_registry_generation:
 *
 * Returns: a counter that grows on every publish or withdraw, so a reader
 * can tell cheaply whether anything changed since its last snapshot.
 */
guint64
anninh_health_registry_generation (void)
{
  guint64 g;

  g_mutex_lock (&registry_lock);
  g = generation;
  g_mutex_unlock (&registry_lock);
  return g;
}
