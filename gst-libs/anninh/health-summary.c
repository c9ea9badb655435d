/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "health-summary.h"
#include "health-registry.h"

#include <string.h>

/* States in the order a reader wants them: working first, then the ones
 * that need someone's attention, worst last. */
static const gchar *const camera_states[] = {
  "streaming", "connecting", "reconnecting", "stalled", "awaiting-repair",
  "stopped", NULL
};

static const gchar *const recorder_states[] = {
  "recording", "stopped", "disk-full", "error", NULL
};

static const gchar *const share_states[] = {
  "serving", "idle", NULL
};

static const gchar *const no_states[] = { NULL };

/**
 * anninh_health_known_states:
 * @kind: an entry kind, e.g. %ANNINH_HEALTH_KIND_CAMERA
 *
 * Returns: (transfer none) (array zero-terminated=1): the states the
 * publishers of @kind use, in display order; an empty array for a kind this
 * library does not know.
 */
const gchar *const *
anninh_health_known_states (const gchar * kind)
{
  if (g_strcmp0 (kind, ANNINH_HEALTH_KIND_CAMERA) == 0)
    return camera_states;
  if (g_strcmp0 (kind, ANNINH_HEALTH_KIND_RECORDER) == 0)
    return recorder_states;
  if (g_strcmp0 (kind, ANNINH_HEALTH_KIND_SHARE) == 0)
    return share_states;
  return no_states;
}

/**
 * anninh_health_kind_plural:
 * @kind: an entry kind
 *
 * Returns: (transfer none): "cameras", "recorders", "shares", or "others"
 * for a kind this library does not know. Used as JSON member names.
 */
const gchar *
anninh_health_kind_plural (const gchar * kind)
{
  if (g_strcmp0 (kind, ANNINH_HEALTH_KIND_CAMERA) == 0)
    return "cameras";
  if (g_strcmp0 (kind, ANNINH_HEALTH_KIND_RECORDER) == 0)
    return "recorders";
  if (g_strcmp0 (kind, ANNINH_HEALTH_KIND_SHARE) == 0)
    return "shares";
  return "others";
}

/**
 * anninh_health_count_states:
 * @snapshot: (element-type GstStructure): from
 *   anninh_health_registry_snapshot()
 * @kind: the kind to count
 *
 * Returns: (transfer full): a structure named @kind with one #guint field
 * per state: every known state of @kind first (zero included, display
 * order), then any other state seen, in order of first appearance.
 */
GstStructure *
anninh_health_count_states (GPtrArray * snapshot, const gchar * kind)
{
  const gchar *const *known = anninh_health_known_states (kind);
  GstStructure *counts = gst_structure_new_empty (kind);
  guint i;

  for (i = 0; known[i] != NULL; i++)
    gst_structure_set (counts, known[i], G_TYPE_UINT, 0, NULL);

  for (i = 0; i < snapshot->len; i++) {
    const GstStructure *e = g_ptr_array_index (snapshot, i);
    const gchar *state;
    guint n = 0;

    if (!gst_structure_has_name (e, kind))
      continue;
    state = gst_structure_get_string (e, "state");
    if (state == NULL || *state == '\0')
      state = "unknown";
    gst_structure_get_uint (counts, state, &n);
    gst_structure_set (counts, state, G_TYPE_UINT, n + 1, NULL);
  }
  return counts;
}

/**
 * anninh_health_summary_sentence:
 * @counts: from anninh_health_count_states()
 *
 * Returns: (transfer full): the non-zero counts in display order, dashes
 * read as spaces: "309 streaming, 73 awaiting repair"; "none" when every
 * count is zero.
 */
gchar *
anninh_health_summary_sentence (const GstStructure * counts)
{
  GString *s = g_string_new (NULL);
  gint i, n = gst_structure_n_fields (counts);

  for (i = 0; i < n; i++) {
    const gchar *state = gst_structure_nth_field_name (counts, i);
    guint count = 0;
    gchar *words;

    gst_structure_get_uint (counts, state, &count);
    if (count == 0)
      continue;
    words = g_strdelimit (g_strdup (state), "-_", ' ');
    g_string_append_printf (s, "%s%u %s", s->len ? ", " : "", count, words);
    g_free (words);
  }
  if (s->len == 0)
    g_string_append (s, "none");
  return g_string_free (s, FALSE);
}

/**
 * anninh_health_summary_text:
 * @snapshot: (element-type GstStructure): a registry snapshot
 *
 * Returns: (transfer full): one line for the whole snapshot, e.g.
 * "Cameras: 309 streaming, 73 awaiting repair. Recorders: 309 recording.
 * Shares: 2 serving." Kinds without entries are left out; "No entries."
 * for an empty snapshot.
 */
gchar *
anninh_health_summary_text (GPtrArray * snapshot)
{
  GString *s = g_string_new (NULL);
  GPtrArray *kinds = g_ptr_array_new ();
  guint i, k;

  /* snapshots are sorted by kind, so each kind's first entry is easy to
   * spot; known kinds still come first, in their usual order */
  g_ptr_array_add (kinds, (gpointer) ANNINH_HEALTH_KIND_CAMERA);
  g_ptr_array_add (kinds, (gpointer) ANNINH_HEALTH_KIND_RECORDER);
  g_ptr_array_add (kinds, (gpointer) ANNINH_HEALTH_KIND_SHARE);
  for (i = 0; i < snapshot->len; i++) {
    const gchar *name = gst_structure_get_name (g_ptr_array_index (snapshot,
            i));
    if (!g_ptr_array_find_with_equal_func (kinds, name, g_str_equal, NULL))
      g_ptr_array_add (kinds, (gpointer) name);
  }

  for (k = 0; k < kinds->len; k++) {
    const gchar *kind = g_ptr_array_index (kinds, k);
    GstStructure *counts;
    gchar *sentence, *label;
    guint total = 0;
    gint f;

    counts = anninh_health_count_states (snapshot, kind);
    for (f = 0; f < gst_structure_n_fields (counts); f++) {
      guint c = 0;
      gst_structure_get_uint (counts, gst_structure_nth_field_name (counts,
              f), &c);
      total += c;
    }
    if (total > 0) {
      sentence = anninh_health_summary_sentence (counts);
      label = g_strdup (anninh_health_kind_plural (kind));
      if (g_str_equal (label, "others"))
        g_free (label), label = g_strdup (kind);
      label[0] = g_ascii_toupper (label[0]);
      g_string_append_printf (s, "%s%s: %s.", s->len ? " " : "", label,
          sentence);
      g_free (label);
      g_free (sentence);
    }
    gst_structure_free (counts);
  }
  g_ptr_array_unref (kinds);
  if (s->len == 0)
    g_string_append (s, "No entries.");
  return g_string_free (s, FALSE);
}
