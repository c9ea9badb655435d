/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "health-metrics.h"
#include "health-registry.h"
#include "health-summary.h"

#include <math.h>
#include <string.h>

/* A metric family read from one numeric field of every entry of a kind. */
typedef struct
{
  const gchar *kind;
  const gchar *field;
  const gchar *name;
  const gchar *type;
  const gchar *help;
  /* the field is a UTC time in microseconds, exported in seconds */
  gboolean time_us;
  /* multiplier to the base unit, 0 = 1 */
  gdouble scale;
} FieldMetric;

static const FieldMetric field_metrics[] = {
  {"camera", "since", "anninh_camera_state_change_timestamp_seconds", "gauge",
        "When the camera entered its current state, Unix time in seconds.",
      TRUE},
  {"camera", "fps", "anninh_camera_frames_per_second", "gauge",
      "Frame rate the camera delivers, frames per second.", FALSE},
  /* Prometheus wants bytes as the base unit, so the bit rate is divided by
   * 8 (promtool flags *_bits_per_second) */
  {"camera", "bitrate", "anninh_camera_data_rate_bytes_per_second", "gauge",
        "Data rate the camera delivers (its bit rate / 8), bytes per second.",
      FALSE, 0.125},
  {"camera", "frames", "anninh_camera_frames_total", "counter",
      "Frames received from the camera.", FALSE},
  {"camera", "bytes", "anninh_camera_received_bytes_total", "counter",
      "Bytes of video received from the camera.", FALSE},
  {"camera", "keyframe-interval", "anninh_camera_keyframe_interval_seconds",
      "gauge", "Time between two keyframes, seconds.", FALSE},
  {"camera", "last-frame-age", "anninh_camera_last_frame_age_seconds",
        "gauge",
      "Time since the last frame arrived, seconds.", FALSE},
  {"camera", "reconnects", "anninh_camera_reconnects_total", "counter",
      "Times the camera was reconnected.", FALSE},
  {"camera", "uptime-ratio", "anninh_camera_uptime_ratio", "gauge",
      "Share of the time the camera was streaming, 0 to 1.", FALSE},
  {"camera", "clock-offset", "anninh_camera_clock_offset_seconds", "gauge",
      "Camera clock minus server clock, seconds.", FALSE},
  {"camera", "width", "anninh_camera_width_pixels", "gauge",
      "Picture width, pixels.", FALSE},
  {"camera", "height", "anninh_camera_height_pixels", "gauge",
      "Picture height, pixels.", FALSE},
  {"recorder", "bytes", "anninh_recorder_stored_bytes", "gauge",
      "Bytes of this camera's recordings in the store.", FALSE},
  {"recorder", "segments", "anninh_recorder_segments", "gauge",
      "Segments of this camera in the store.", FALSE},
  {"recorder", "free-bytes", "anninh_recorder_free_bytes", "gauge",
      "Free space on the store's disk, bytes.", FALSE},
  {"recorder", "oldest", "anninh_recorder_oldest_timestamp_seconds", "gauge",
      "Start of the oldest recording kept, Unix time in seconds.", TRUE},
  {"recorder", "newest", "anninh_recorder_newest_timestamp_seconds", "gauge",
      "End of the newest recording, Unix time in seconds.", TRUE},
  {"recorder", "gaps", "anninh_recorder_gaps", "gauge",
      "Gaps in this camera's recordings.", FALSE},
  {"share", "viewers", "anninh_share_viewers", "gauge",
      "Viewers watching the share now.", FALSE},
  {"share", "refusals", "anninh_share_refusals_total", "counter",
      "Viewers refused (authentication, permission or viewer limit).", FALSE},
  {"share", "bytes-sent", "anninh_share_sent_bytes_total", "counter",
      "Bytes sent to viewers.", FALSE},
};

/* Picture check results, a state set of its own. */
static const gchar *const picture_states[] = {
  "ok", "frozen", "black", "moved", "unknown", NULL
};

/**
 * anninh_health_metrics_escape_label:
 * @value: (nullable): a label value, UTF-8
 *
 * Returns: (transfer full): @value with backslash, double quote and line
 * feed escaped as the text exposition format requires; invalid UTF-8 is
 * replaced. %NULL gives "".
 */
gchar *
anninh_health_metrics_escape_label (const gchar * value)
{
  GString *s = g_string_new (NULL);
  gchar *valid;
  const gchar *p;

  if (value == NULL)
    return g_string_free (s, FALSE);
  valid = g_utf8_make_valid (value, -1);
  for (p = valid; *p; p++) {
    switch (*p) {
      case '\\':
        g_string_append (s, "\\\\");
        break;
      case '"':
        g_string_append (s, "\\\"");
        break;
      case '\n':
        g_string_append (s, "\\n");
        break;
      default:
        g_string_append_c (s, *p);
    }
  }
  g_free (valid);
  return g_string_free (s, FALSE);
}

static void
append_value (GString * out, gdouble v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    g_string_append (out, "NaN");
  else if (isinf (v))
    g_string_append (out, v > 0 ? "+Inf" : "-Inf");
  else if (v == floor (v) && fabs (v) < 1e15)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) v);
  else {
    /* the shortest of %.15g and %.17g that reads back as the same double,
     * so 0.04 stays 0.04 */
    g_ascii_formatd (buf, sizeof (buf), "%.15g", v);
    if (g_ascii_strtod (buf, NULL) != v)
      g_ascii_formatd (buf, sizeof (buf), "%.17g", v);
    g_string_append (out, buf);
  }
}

static void
append_header (GString * out, const gchar * name, const gchar * type,
    const gchar * help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
      name, type);
}

/* Appends `name{labels} value` where labels are name/value pairs. */
static void
append_sample (GString * out, const gchar * name, const gchar * const *labels,
    gdouble value)
{
  guint i;

  g_string_append (out, name);
  if (labels != NULL && labels[0] != NULL) {
    g_string_append_c (out, '{');
    for (i = 0; labels[i] != NULL; i += 2) {
      gchar *v = anninh_health_metrics_escape_label (labels[i + 1]);
      g_string_append_printf (out, "%s%s=\"%s\"", i ? "," : "", labels[i], v);
      g_free (v);
    }
    g_string_append_c (out, '}');
  }
  g_string_append_c (out, ' ');
  append_value (out, value);
  g_string_append_c (out, '\n');
}

/* Label pairs identifying an entry, plus room for two extra pairs. */
typedef struct
{
  const gchar *v[12];
  guint n;
} Labels;

static void
entry_labels (const GstStructure * e, Labels * l)
{
  const gchar *kind = gst_structure_get_name (e);
  const gchar *id = gst_structure_get_string (e, "id");

  l->n = 0;
  if (g_str_equal (kind, ANNINH_HEALTH_KIND_CAMERA)) {
    const gchar *site = gst_structure_get_string (e, "site");
    const gchar *link = gst_structure_get_string (e, "link");
    l->v[l->n++] = "camera";
    l->v[l->n++] = id;
    l->v[l->n++] = "site";
    l->v[l->n++] = site ? site : "";
    l->v[l->n++] = "link";
    l->v[l->n++] = link ? link : "";
  } else if (g_str_equal (kind, ANNINH_HEALTH_KIND_RECORDER)) {
    l->v[l->n++] = "camera";
    l->v[l->n++] = id;
  } else {
    l->v[l->n++] = "share";
    l->v[l->n++] = id;
  }
  l->v[l->n] = NULL;
}

static void
labels_push (Labels * l, const gchar * name, const gchar * value)
{
  l->v[l->n] = name;
  l->v[l->n + 1] = value ? value : "";
  l->v[l->n + 2] = NULL;
}

static gboolean
get_number (const GstStructure * e, const gchar * field, gboolean time_us,
    gdouble * out)
{
  const GValue *v = gst_structure_get_value (e, field);
  GValue d = G_VALUE_INIT;

  if (v == NULL)
    return FALSE;
  if (G_VALUE_TYPE (v) == G_TYPE_BOOLEAN) {
    *out = g_value_get_boolean (v) ? 1 : 0;
    return TRUE;
  }
  g_value_init (&d, G_TYPE_DOUBLE);
  if (!g_value_type_transformable (G_VALUE_TYPE (v), G_TYPE_DOUBLE)
      || G_VALUE_TYPE (v) == G_TYPE_STRING || !g_value_transform (v, &d)) {
    g_value_unset (&d);
    return FALSE;
  }
  *out = g_value_get_double (&d);
  if (time_us)
    *out /= G_USEC_PER_SEC;
  g_value_unset (&d);
  return TRUE;
}

static const gchar *
entry_state (const GstStructure * e)
{
  const gchar *s = gst_structure_get_string (e, "state");
  return (s && *s) ? s : "unknown";
}

/* A state set: one sample per state the kind knows (and the entry's own
 * state if it is not among them), 1 for the current one. */
static void
append_state_set (GString * out, GPtrArray * snap, const gchar * kind,
    const gchar * name, const gchar * label, const gchar * field,
    const gchar * const *states, const gchar * help)
{
  gboolean header = FALSE;
  guint i, j;

  for (i = 0; i < snap->len; i++) {
    const GstStructure *e = g_ptr_array_index (snap, i);
    const gchar *cur;
    Labels l;

    if (!gst_structure_has_name (e, kind))
      continue;
    cur = field ? gst_structure_get_string (e, field) : entry_state (e);
    if (cur == NULL)
      continue;
    if (!header) {
      append_header (out, name, "gauge", help);
      header = TRUE;
    }
    entry_labels (e, &l);
    for (j = 0; states[j] != NULL; j++) {
      labels_push (&l, label, states[j]);
      append_sample (out, name, l.v, g_str_equal (states[j], cur) ? 1 : 0);
    }
    if (!g_strv_contains (states, cur)) {
      labels_push (&l, label, cur);
      append_sample (out, name, l.v, 1);
    }
  }
}

static void
append_up (GString * out, GPtrArray * snap, const gchar * kind,
    const gchar * name, const gchar * up_state, const gchar * help)
{
  gboolean header = FALSE;
  guint i;

  for (i = 0; i < snap->len; i++) {
    const GstStructure *e = g_ptr_array_index (snap, i);
    Labels l;

    if (!gst_structure_has_name (e, kind))
      continue;
    if (!header) {
      append_header (out, name, "gauge", help);
      header = TRUE;
    }
    entry_labels (e, &l);
    append_sample (out, name, l.v, g_str_equal (entry_state (e), up_state));
  }
}

static void
append_counts (GString * out, GPtrArray * snap, const gchar * kind,
    const gchar * name, const gchar * help)
{
  GstStructure *counts = anninh_health_count_states (snap, kind);
  gint i;

  append_header (out, name, "gauge", help);
  for (i = 0; i < gst_structure_n_fields (counts); i++) {
    const gchar *state = gst_structure_nth_field_name (counts, i);
    const gchar *labels[] = { "state", state, NULL };
    guint c = 0;

    gst_structure_get_uint (counts, state, &c);
    append_sample (out, name, labels, c);
  }
  gst_structure_free (counts);
}

static void
append_camera_info (GString * out, GPtrArray * snap)
{
  gboolean header = FALSE;
  guint i;

  for (i = 0; i < snap->len; i++) {
    const GstStructure *e = g_ptr_array_index (snap, i);
    const gchar *codec, *location;
    Labels l;

    if (!gst_structure_has_name (e, ANNINH_HEALTH_KIND_CAMERA))
      continue;
    if (!header) {
      append_header (out, "anninh_camera_info", "gauge",
          "Camera description; the value is always 1.");
      header = TRUE;
    }
    codec = gst_structure_get_string (e, "codec");
    location = gst_structure_get_string (e, "location");
    entry_labels (e, &l);
    l.v[l.n++] = "codec";
    l.v[l.n++] = codec ? codec : "";
    l.v[l.n++] = "location";
    l.v[l.n++] = location ? location : "";
    l.v[l.n] = NULL;
    append_sample (out, "anninh_camera_info", l.v, 1);
  }
}

static void
append_share_info (GString * out, GPtrArray * snap)
{
  gboolean header = FALSE;
  guint i;

  for (i = 0; i < snap->len; i++) {
    const GstStructure *e = g_ptr_array_index (snap, i);
    Labels l;

    if (!gst_structure_has_name (e, ANNINH_HEALTH_KIND_SHARE))
      continue;
    if (!header) {
      append_header (out, "anninh_share_info", "gauge",
          "Share description; the value is always 1.");
      header = TRUE;
    }
    entry_labels (e, &l);
    labels_push (&l, "address", gst_structure_get_string (e, "address"));
    append_sample (out, "anninh_share_info", l.v, 1);
  }
}

static void
append_field_metric (GString * out, GPtrArray * snap, const FieldMetric * m)
{
  gboolean header = FALSE;
  guint i;

  for (i = 0; i < snap->len; i++) {
    const GstStructure *e = g_ptr_array_index (snap, i);
    gdouble v;
    Labels l;

    if (!gst_structure_has_name (e, m->kind)
        || !get_number (e, m->field, m->time_us, &v))
      continue;
    if (m->scale != 0)
      v *= m->scale;
    if (!header) {
      append_header (out, m->name, m->type, m->help);
      header = TRUE;
    }
    entry_labels (e, &l);
    append_sample (out, m->name, l.v, v);
  }
}

static void
append_kind_fields (GString * out, GPtrArray * snap, const gchar * kind)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (field_metrics); i++)
    if (g_str_equal (field_metrics[i].kind, kind))
      append_field_metric (out, snap, &field_metrics[i]);
}

/**
 * anninh_health_snapshot_to_metrics:
 * @snapshot: (element-type GstStructure): from
 *   anninh_health_registry_snapshot()
 * @generation: the registry generation the snapshot was taken at
 * @now_us: server time, microseconds since the epoch (UTC)
 *
 * Returns: (transfer full): the snapshot in the Prometheus text exposition
 * format 0.0.4 (%ANNINH_HEALTH_METRICS_CONTENT_TYPE). Fields that are
 * missing from an entry give no sample; entries of unknown kinds are only
 * counted in `anninh_health_entries`.
 */
gchar *
anninh_health_snapshot_to_metrics (GPtrArray * snapshot, guint64 generation,
    gint64 now_us)
{
  GString *out = g_string_new (NULL);
  GHashTable *kinds = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *names;
  guint i;

  /* cameras */
  append_counts (out, snapshot, ANNINH_HEALTH_KIND_CAMERA, "anninh_cameras",
      "Cameras by state.");
  append_up (out, snapshot, ANNINH_HEALTH_KIND_CAMERA, "anninh_camera_up",
      "streaming", "1 when the camera is streaming, else 0.");
  append_state_set (out, snapshot, ANNINH_HEALTH_KIND_CAMERA,
      "anninh_camera_state", "state", NULL,
      anninh_health_known_states (ANNINH_HEALTH_KIND_CAMERA),
      "Camera state; 1 for the current state, 0 for the others.");
  append_state_set (out, snapshot, ANNINH_HEALTH_KIND_CAMERA,
      "anninh_camera_picture", "picture", "picture", picture_states,
      "Picture check result; 1 for the current result, 0 for the others.");
  append_camera_info (out, snapshot);
  append_kind_fields (out, snapshot, ANNINH_HEALTH_KIND_CAMERA);

  /* recorders */
  append_counts (out, snapshot, ANNINH_HEALTH_KIND_RECORDER,
      "anninh_recorders", "Recorders by state.");
  append_up (out, snapshot, ANNINH_HEALTH_KIND_RECORDER, "anninh_recorder_up",
      "recording", "1 when the recorder is recording, else 0.");
  append_state_set (out, snapshot, ANNINH_HEALTH_KIND_RECORDER,
      "anninh_recorder_state", "state", NULL,
      anninh_health_known_states (ANNINH_HEALTH_KIND_RECORDER),
      "Recorder state; 1 for the current state, 0 for the others.");
  append_kind_fields (out, snapshot, ANNINH_HEALTH_KIND_RECORDER);

  /* shares */
  append_counts (out, snapshot, ANNINH_HEALTH_KIND_SHARE, "anninh_shares",
      "Police shares by state.");
  append_state_set (out, snapshot, ANNINH_HEALTH_KIND_SHARE,
      "anninh_share_state", "state", NULL,
      anninh_health_known_states (ANNINH_HEALTH_KIND_SHARE),
      "Share state; 1 for the current state, 0 for the others.");
  append_share_info (out, snapshot);
  append_kind_fields (out, snapshot, ANNINH_HEALTH_KIND_SHARE);

  /* the registry itself: known kinds first, then the others in snapshot
   * order (sorted by kind) */
  names = g_ptr_array_new ();
  g_ptr_array_add (names, (gpointer) ANNINH_HEALTH_KIND_CAMERA);
  g_ptr_array_add (names, (gpointer) ANNINH_HEALTH_KIND_RECORDER);
  g_ptr_array_add (names, (gpointer) ANNINH_HEALTH_KIND_SHARE);
  for (i = 0; i < snapshot->len; i++) {
    const gchar *k = gst_structure_get_name (g_ptr_array_index (snapshot, i));
    guint n = GPOINTER_TO_UINT (g_hash_table_lookup (kinds, k));
    g_hash_table_insert (kinds, (gpointer) k, GUINT_TO_POINTER (n + 1));
    if (!g_ptr_array_find_with_equal_func (names, k, g_str_equal, NULL))
      g_ptr_array_add (names, (gpointer) k);
  }
  append_header (out, "anninh_health_entries", "gauge",
      "Entries in the health registry, by kind.");
  for (i = 0; i < names->len; i++) {
    const gchar *labels[] = { "kind", g_ptr_array_index (names, i), NULL };
    append_sample (out, "anninh_health_entries", labels,
        GPOINTER_TO_UINT (g_hash_table_lookup (kinds, labels[1])));
  }
  g_ptr_array_unref (names);
  g_hash_table_unref (kinds);

  append_header (out, "anninh_health_registry_changes_total", "counter",
      "Publications and withdrawals in the health registry since start.");
  append_sample (out, "anninh_health_registry_changes_total", NULL,
      (gdouble) generation);
  append_header (out, "anninh_health_time_seconds", "gauge",
      "Server time when this page was made, Unix time in seconds.");
  append_sample (out, "anninh_health_time_seconds", NULL,
      now_us / (gdouble) G_USEC_PER_SEC);

  return g_string_free (out, FALSE);
}
