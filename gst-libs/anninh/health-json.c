/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "health-json.h"
#include "health-registry.h"
#include "health-summary.h"

#include <math.h>

/* Fields of the registry contract that hold a UTC time in microseconds. */
static const gchar *const time_fields[] = {
  "since", "updated", "oldest", "newest", NULL
};

/**
 * anninh_health_format_time:
 * @utc_us: microseconds since 1970-01-01 00:00:00 UTC
 *
 * Returns: (transfer full): ISO 8601 UTC with milliseconds,
 * "2026-11-22T14:20:00.123Z".
 */
gchar *
anninh_health_format_time (gint64 utc_us)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (utc_us / G_USEC_PER_SEC);
  gchar *base, *out;

  if (dt == NULL)
    return g_strdup ("invalid");
  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  out = g_strdup_printf ("%s.%03dZ", base,
      (gint) ((utc_us % G_USEC_PER_SEC + G_USEC_PER_SEC) % G_USEC_PER_SEC
          / 1000));
  g_free (base);
  g_date_time_unref (dt);
  return out;
}

static void
add_double (JsonBuilder * b, gdouble d)
{
  if (isfinite (d))
    json_builder_add_double_value (b, d);
  else
    json_builder_add_null_value (b);
}

static void
add_value (JsonBuilder * b, const gchar * field, const GValue * v)
{
  GType t = G_VALUE_TYPE (v);

  if (g_strv_contains (time_fields, field) && (t == G_TYPE_INT64
          || t == G_TYPE_UINT64)) {
    gint64 us = (t == G_TYPE_INT64) ? g_value_get_int64 (v)
        : (gint64) g_value_get_uint64 (v);
    gchar *iso = anninh_health_format_time (us);
    json_builder_add_string_value (b, iso);
    g_free (iso);
  } else if (t == G_TYPE_STRING) {
    const gchar *s = g_value_get_string (v);
    if (s == NULL)
      json_builder_add_null_value (b);
    else if (g_utf8_validate (s, -1, NULL))
      json_builder_add_string_value (b, s);
    else {
      gchar *fixed = g_utf8_make_valid (s, -1);
      json_builder_add_string_value (b, fixed);
      g_free (fixed);
    }
  } else if (t == G_TYPE_BOOLEAN) {
    json_builder_add_boolean_value (b, g_value_get_boolean (v));
  } else if (t == G_TYPE_INT) {
    json_builder_add_int_value (b, g_value_get_int (v));
  } else if (t == G_TYPE_UINT) {
    json_builder_add_int_value (b, g_value_get_uint (v));
  } else if (t == G_TYPE_INT64) {
    json_builder_add_int_value (b, g_value_get_int64 (v));
  } else if (t == G_TYPE_UINT64) {
    guint64 u = g_value_get_uint64 (v);
    /* JSON numbers past 2^63 would wrap in json-glib's gint64 */
    if (u > G_MAXINT64)
      json_builder_add_double_value (b, (gdouble) u);
    else
      json_builder_add_int_value (b, (gint64) u);
  } else if (t == G_TYPE_DOUBLE) {
    add_double (b, g_value_get_double (v));
  } else if (t == G_TYPE_FLOAT) {
    add_double (b, g_value_get_float (v));
  } else if (G_TYPE_IS_ENUM (t)) {
    GEnumValue *ev = g_enum_get_value (g_type_class_peek (t),
        g_value_get_enum (v));
    if (ev != NULL)
      json_builder_add_string_value (b, ev->value_nick);
    else
      json_builder_add_int_value (b, g_value_get_enum (v));
  } else {
    gchar *s = gst_value_serialize (v);
    if (s != NULL)
      json_builder_add_string_value (b, s);
    else
      json_builder_add_null_value (b);
    g_free (s);
  }
}

static gboolean
add_field (GQuark field, const GValue * value, gpointer user_data)
{
  JsonBuilder *b = user_data;
  const gchar *name = g_quark_to_string (field);

  json_builder_set_member_name (b, name);
  add_value (b, name, value);
  return TRUE;
}

static void
build_entry (JsonBuilder * b, const GstStructure * entry, gboolean with_kind)
{
  json_builder_begin_object (b);
  if (with_kind) {
    json_builder_set_member_name (b, "kind");
    json_builder_add_string_value (b, gst_structure_get_name (entry));
  }
  gst_structure_foreach (entry, add_field, b);
  json_builder_end_object (b);
}

/**
 * anninh_health_entry_to_json_node:
 * @entry: a registry entry
 *
 * Returns: (transfer full): @entry as a JSON object, fields converted as
 * described in the section documentation.
 */
JsonNode *
anninh_health_entry_to_json_node (const GstStructure * entry)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *node;

  build_entry (b, entry, FALSE);
  node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}

static void
build_summary (JsonBuilder * b, GPtrArray * snapshot, const gchar * kind)
{
  GstStructure *counts = anninh_health_count_states (snapshot, kind);
  gchar *sentence = anninh_health_summary_sentence (counts);
  guint total = 0;
  gint i;

  json_builder_set_member_name (b, anninh_health_kind_plural (kind));
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "states");
  json_builder_begin_object (b);
  for (i = 0; i < gst_structure_n_fields (counts); i++) {
    const gchar *state = gst_structure_nth_field_name (counts, i);
    guint c = 0;

    gst_structure_get_uint (counts, state, &c);
    total += c;
    json_builder_set_member_name (b, state);
    json_builder_add_int_value (b, c);
  }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "total");
  json_builder_add_int_value (b, total);
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, sentence);
  json_builder_end_object (b);
  g_free (sentence);
  gst_structure_free (counts);
}

static gboolean
is_known_kind (const gchar * kind)
{
  return g_str_equal (kind, ANNINH_HEALTH_KIND_CAMERA)
      || g_str_equal (kind, ANNINH_HEALTH_KIND_RECORDER)
      || g_str_equal (kind, ANNINH_HEALTH_KIND_SHARE);
}

/**
 * anninh_health_snapshot_to_json_node:
 * @snapshot: (element-type GstStructure): from
 *   anninh_health_registry_snapshot()
 * @generation: the registry generation the snapshot was taken at
 * @now_us: the server time to report, microseconds since the epoch (UTC)
 *
 * Returns: (transfer full): the /health document described in the section
 * documentation.
 */
JsonNode *
anninh_health_snapshot_to_json_node (GPtrArray * snapshot, guint64 generation,
    gint64 now_us)
{
  static const gchar *const kinds[] = { ANNINH_HEALTH_KIND_CAMERA,
    ANNINH_HEALTH_KIND_RECORDER, ANNINH_HEALTH_KIND_SHARE
  };
  JsonBuilder *b = json_builder_new ();
  JsonNode *node;
  gchar *s;
  guint i, k;
  gboolean others = FALSE;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "generation");
  json_builder_add_int_value (b, (gint64) generation);
  json_builder_set_member_name (b, "time");
  s = anninh_health_format_time (now_us);
  json_builder_add_string_value (b, s);
  g_free (s);

  json_builder_set_member_name (b, "summary");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "text");
  s = anninh_health_summary_text (snapshot);
  json_builder_add_string_value (b, s);
  g_free (s);
  for (k = 0; k < G_N_ELEMENTS (kinds); k++)
    build_summary (b, snapshot, kinds[k]);
  json_builder_end_object (b);

  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    json_builder_set_member_name (b, anninh_health_kind_plural (kinds[k]));
    json_builder_begin_array (b);
    for (i = 0; i < snapshot->len; i++) {
      const GstStructure *e = g_ptr_array_index (snapshot, i);
      if (gst_structure_has_name (e, kinds[k]))
        build_entry (b, e, FALSE);
    }
    json_builder_end_array (b);
  }

  for (i = 0; i < snapshot->len; i++) {
    const GstStructure *e = g_ptr_array_index (snapshot, i);
    if (is_known_kind (gst_structure_get_name (e)))
      continue;
    if (!others) {
      json_builder_set_member_name (b, "others");
      json_builder_begin_array (b);
      others = TRUE;
    }
    build_entry (b, e, TRUE);
  }
  if (others)
    json_builder_end_array (b);

  json_builder_end_object (b);
  node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}

/**
 * anninh_health_snapshot_to_json:
 * @snapshot: (element-type GstStructure): a registry snapshot
 * @generation: the registry generation
 * @now_us: server time, microseconds since the epoch (UTC)
 * @pretty: indent the output for people
 *
 * Returns: (transfer full): the /health document as UTF-8 text, ending in a
 * newline.
 */
gchar *
anninh_health_snapshot_to_json (GPtrArray * snapshot, guint64 generation,
    gint64 now_us, gboolean pretty)
{
  JsonNode *node = anninh_health_snapshot_to_json_node (snapshot, generation,
      now_us);
  JsonGenerator *gen = json_generator_new ();
  gchar *text, *out;

  json_generator_set_pretty (gen, pretty);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  out = g_strconcat (text, "\n", NULL);
  g_free (text);
  g_object_unref (gen);
  json_node_unref (node);
  return out;
}
