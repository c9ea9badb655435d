/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "health-page.h"
#include "health-registry.h"
#include "health-summary.h"

#include <math.h>
#include <string.h>

static const gchar page_style[] =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:1em 1.5em;"
    "color:#222;background:#fafafa;font-size:15px}"
    "h1{margin:0 0 .2em;font-size:1.8em}"
    "h2{margin:1.2em 0 .3em;font-size:1.3em}"
    ".time{color:#555;margin:0 0 .8em}"
    ".tiles{display:flex;flex-wrap:wrap;gap:.6em;margin:.5em 0}"
    ".tile{min-width:9em;padding:.5em .8em;border-radius:6px;color:#fff}"
    ".tile b{display:block;font-size:2.2em;line-height:1.1}"
    ".tile.zero{opacity:.3}"
    ".summary{font-size:1.1em;font-weight:bold}"
    "table{border-collapse:collapse;margin:.3em 0 1em;background:#fff;"
    "font-size:.9em}"
    "caption{text-align:left;font-weight:bold;padding:.3em 0}"
    "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;"
    "vertical-align:top}"
    "th{background:#eee}td.n{text-align:right;white-space:nowrap}"
    "td.err{max-width:24em}td.loc{color:#777;font-size:.9em}"
    ".badge{display:inline-block;padding:.1em .5em;border-radius:4px;"
    "color:#fff;white-space:nowrap;font-weight:bold}"
    "small[lang=vi]{display:block;color:#555;white-space:nowrap}"
    /* strong colours on badges and tiles only */
    ".badge.s-streaming,.badge.s-recording,.badge.s-serving,"
    ".tile.s-streaming{background:#2e7d32}"
    ".badge.s-connecting,.badge.s-reconnecting,.tile.s-connecting,"
    ".tile.s-reconnecting{background:#1565c0}"
    ".badge.s-stalled,.tile.s-stalled{background:#ef6c00}"
    ".badge.s-awaiting-repair,.badge.s-disk-full,.badge.s-error,"
    ".tile.s-awaiting-repair{background:#c62828}"
    ".badge.s-stopped,.badge.s-idle,.badge.s-other,.tile.s-stopped,"
    ".tile.s-other{background:#616161}"
    /* a light tint on the rows that need someone */
    "tr.s-awaiting-repair td,tr.s-disk-full td,tr.s-error td{"
    "background:#fdecea}"
    "tr.s-stalled td{background:#fff3e0}"
    "tr.s-connecting td,tr.s-reconnecting td{background:#e8f0fb}"
    ".warn{color:#c62828;font-weight:bold}.muted{color:#777}";

/**
 * anninh_health_state_label_vi:
 * @state: a state of a camera, recorder or share
 *
 * Returns: (transfer none) (nullable): the state in Vietnamese, for the
 * status page, or %NULL for a state without a translation.
 */
const gchar *
anninh_health_state_label_vi (const gchar * state)
{
  static const gchar *const labels[][2] = {
    {"streaming", "Đang hoạt động"},
    {"connecting", "Đang kết nối"},
    {"reconnecting", "Đang kết nối lại"},
    {"stalled", "Mất tín hiệu"},
    {"awaiting-repair", "Chờ sửa chữa"},
    {"stopped", "Đã dừng"},
    {"recording", "Đang ghi"},
    {"disk-full", "Đầy ổ đĩa"},
    {"error", "Lỗi"},
    {"serving", "Đang chia sẻ"},
    {"idle", "Không có người xem"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (labels); i++)
    if (g_strcmp0 (labels[i][0], state) == 0)
      return labels[i][1];
  return NULL;
}

/* A CSS class for a state: the state itself if it is one the style sheet
 * knows (all of them are plain [a-z-]), else "other". */
static const gchar *
state_class (const gchar * state)
{
  static const gchar *const known[] = { "streaming", "connecting",
    "reconnecting", "stalled", "awaiting-repair", "stopped", "recording",
    "disk-full", "error", "serving", "idle", NULL
  };
  return (state && g_strv_contains (known, state)) ? state : "other";
}

static void
append_escaped (GString * out, const gchar * text)
{
  gchar *valid, *esc;

  if (text == NULL)
    return;
  valid = g_utf8_make_valid (text, -1);
  esc = g_markup_escape_text (valid, -1);
  g_string_append (out, esc);
  g_free (esc);
  g_free (valid);
}

static const gchar *
entry_state (const GstStructure * e)
{
  const gchar *s = gst_structure_get_string (e, "state");
  return (s && *s) ? s : "unknown";
}

static void
append_badge (GString * out, const gchar * state)
{
  const gchar *vi = anninh_health_state_label_vi (state);

  g_string_append_printf (out, "<span class=\"badge s-%s\">",
      state_class (state));
  append_escaped (out, state);
  g_string_append (out, "</span>");
  if (vi)
    g_string_append_printf (out, "<small lang=\"vi\">%s</small>", vi);
}

static void
append_duration (GString * out, gdouble seconds)
{
  guint64 s;

  if (!isfinite (seconds) || seconds < 0) {
    g_string_append (out, "–");
    return;
  }
  s = (guint64) seconds;
  if (s < 60)
    g_string_append_printf (out, "%" G_GUINT64_FORMAT " s", s);
  else if (s < 3600)
    g_string_append_printf (out, "%" G_GUINT64_FORMAT " min", s / 60);
  else if (s < 86400)
    g_string_append_printf (out, "%" G_GUINT64_FORMAT " h %02" G_GUINT64_FORMAT
        " min", s / 3600, s / 60 % 60);
  else
    g_string_append_printf (out, "%" G_GUINT64_FORMAT " d %" G_GUINT64_FORMAT
        " h", s / 86400, s / 3600 % 24);
}

static gboolean
get_double (const GstStructure * e, const gchar * field, gdouble * out)
{
  const GValue *v = gst_structure_get_value (e, field);
  GValue d = G_VALUE_INIT;
  gboolean ok;

  if (v == NULL || G_VALUE_TYPE (v) == G_TYPE_STRING
      || !g_value_type_transformable (G_VALUE_TYPE (v), G_TYPE_DOUBLE))
    return FALSE;
  g_value_init (&d, G_TYPE_DOUBLE);
  ok = g_value_transform (v, &d);
  *out = g_value_get_double (&d);
  g_value_unset (&d);
  return ok && isfinite (*out);
}

static void
append_cell_time_since (GString * out, const GstStructure * e,
    const gchar * field, gint64 now_us)
{
  gdouble us;

  g_string_append (out, "<td class=\"n\">");
  if (get_double (e, field, &us))
    append_duration (out, (now_us - us) / G_USEC_PER_SEC);
  else
    g_string_append (out, "–");
  g_string_append (out, "</td>");
}

/* A right-aligned number cell: printf @format of the field times @scale. */
static void
append_cell_number (GString * out, const GstStructure * e,
    const gchar * field, const gchar * format, gdouble scale)
{
  gdouble v;

  g_string_append (out, "<td class=\"n\">");
  if (get_double (e, field, &v))
    g_string_append_printf (out, format, v * scale);
  else
    g_string_append (out, "–");
  g_string_append (out, "</td>");
}

static void
append_cell_text (GString * out, const gchar * text, const gchar * klass)
{
  if (klass)
    g_string_append_printf (out, "<td class=\"%s\">", klass);
  else
    g_string_append (out, "<td>");
  append_escaped (out, text);
  g_string_append (out, "</td>");
}

static void
append_bytes (GString * out, gdouble bytes)
{
  gchar *s = g_format_size ((guint64) MAX (bytes, 0));
  g_string_append (out, s);
  g_free (s);
}

static void
append_tiles (GString * out, GPtrArray * snap, const gchar * kind)
{
  GstStructure *counts = anninh_health_count_states (snap, kind);
  gint i;

  g_string_append (out, "<section class=\"tiles\">\n");
  for (i = 0; i < gst_structure_n_fields (counts); i++) {
    const gchar *state = gst_structure_nth_field_name (counts, i);
    const gchar *vi = anninh_health_state_label_vi (state);
    guint c = 0;

    gst_structure_get_uint (counts, state, &c);
    g_string_append_printf (out, "<div class=\"tile s-%s%s\"><b>%u</b>",
        state_class (state), c ? "" : " zero", c);
    append_escaped (out, state);
    if (vi)
      g_string_append_printf (out, "<br><span lang=\"vi\">%s</span>", vi);
    g_string_append (out, "</div>\n");
  }
  g_string_append (out, "</section>\n");
  gst_structure_free (counts);
}

static gint
link_rank (const gchar * link)
{
  static const gchar *const order[] = { "fiber", "wifi", "4g", "other" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (order); i++)
    if (g_strcmp0 (link, order[i]) == 0)
      return i;
  return G_N_ELEMENTS (order);
}

static const gchar *
str_field (const GstStructure * e, const gchar * field)
{
  const gchar *s = gst_structure_get_string (e, field);
  return s ? s : "";
}

/* Cameras by site (sites by name, cameras without a site last), then by
 * link, then by id. */
static gint
compare_cameras (gconstpointer a, gconstpointer b)
{
  const GstStructure *ea = *(const GstStructure **) a;
  const GstStructure *eb = *(const GstStructure **) b;
  const gchar *sa = str_field (ea, "site"), *sb = str_field (eb, "site");
  gint c;

  if ((*sa == '\0') != (*sb == '\0'))
    return *sa == '\0' ? 1 : -1;
  if ((c = g_utf8_collate (sa, sb)) != 0)
    return c;
  c = link_rank (str_field (ea, "link")) - link_rank (str_field (eb, "link"));
  if (c != 0)
    return c;
  if ((c = g_strcmp0 (str_field (ea, "link"), str_field (eb, "link"))) != 0)
    return c;
  return g_strcmp0 (str_field (ea, "id"), str_field (eb, "id"));
}

static void
append_camera_table_head (GString * out, GPtrArray * group)
{
  const GstStructure *first = g_ptr_array_index (group, 0);
  const gchar *link = str_field (first, "link");
  GstStructure *counts = anninh_health_count_states (group,
      ANNINH_HEALTH_KIND_CAMERA);
  gchar *sentence = anninh_health_summary_sentence (counts);

  g_string_append (out, "<table>\n<caption>Link: ");
  append_escaped (out, *link ? link : "unknown");
  g_string_append_printf (out, " — %u camera%s: ", group->len,
      group->len == 1 ? "" : "s");
  append_escaped (out, sentence);
  g_string_append (out, "</caption>\n<tr><th>Camera</th><th>State</th>"
      "<th>Since</th><th>Frames/s</th><th>Bit rate</th><th>Last frame</th>"
      "<th>Reconnects</th><th>Uptime</th><th>Picture</th><th>Location</th>"
      "<th>Last error</th></tr>\n");
  g_free (sentence);
  gst_structure_free (counts);
}

static void
append_camera_row (GString * out, const GstStructure * e, gint64 now_us)
{
  const gchar *state = entry_state (e);
  const gchar *picture = gst_structure_get_string (e, "picture");
  gdouble age;

  g_string_append_printf (out, "<tr class=\"s-%s\">", state_class (state));
  append_cell_text (out, gst_structure_get_string (e, "id"), NULL);
  g_string_append (out, "<td class=\"st\">");
  append_badge (out, state);
  g_string_append (out, "</td>");
  append_cell_time_since (out, e, "since", now_us);
  append_cell_number (out, e, "fps", "%.1f", 1);
  append_cell_number (out, e, "bitrate", "%.2f Mb/s", 1e-6);
  g_string_append (out, "<td class=\"n\">");
  if (get_double (e, "last-frame-age", &age))
    append_duration (out, age);
  else
    g_string_append (out, "–");
  g_string_append (out, "</td>");
  append_cell_number (out, e, "reconnects", "%.0f", 1);
  append_cell_number (out, e, "uptime-ratio", "%.1f %%", 100);
  append_cell_text (out, picture, (picture && !g_str_equal (picture, "ok")
          && !g_str_equal (picture, "unknown")) ? "warn" : NULL);
  append_cell_text (out, gst_structure_get_string (e, "location"), "loc");
  append_cell_text (out, gst_structure_get_string (e, "last-error"), "err");
  g_string_append (out, "</tr>\n");
}

static void
append_site_heading (GString * out, const gchar * site, GPtrArray * cams,
    guint from, guint to)
{
  GPtrArray *sub = g_ptr_array_new ();
  GstStructure *counts;
  gchar *sentence;
  guint i;

  for (i = from; i < to; i++)
    g_ptr_array_add (sub, g_ptr_array_index (cams, i));
  counts = anninh_health_count_states (sub, ANNINH_HEALTH_KIND_CAMERA);
  sentence = anninh_health_summary_sentence (counts);
  g_string_append (out, "<h2>");
  if (*site)
    append_escaped (out, site);
  else
    g_string_append (out, "No site given");
  g_string_append (out, " <span class=\"muted\">(");
  append_escaped (out, sentence);
  g_string_append (out, ")</span></h2>\n");
  g_free (sentence);
  gst_structure_free (counts);
  g_ptr_array_unref (sub);
}

static void
append_cameras (GString * out, GPtrArray * snap, gint64 now_us)
{
  GPtrArray *cams = g_ptr_array_new ();
  const gchar *site = NULL, *link = NULL;
  gboolean table_open = FALSE;
  guint i, j;

  for (i = 0; i < snap->len; i++)
    if (gst_structure_has_name (g_ptr_array_index (snap, i),
            ANNINH_HEALTH_KIND_CAMERA))
      g_ptr_array_add (cams, g_ptr_array_index (snap, i));
  g_ptr_array_sort (cams, compare_cameras);

  for (i = 0; i < cams->len; i++) {
    const GstStructure *e = g_ptr_array_index (cams, i);
    const gchar *s = str_field (e, "site"), *l = str_field (e, "link");

    if (site == NULL || !g_str_equal (s, site)) {
      if (table_open)
        g_string_append (out, "</table>\n");
      table_open = FALSE;
      for (j = i; j < cams->len
          && g_str_equal (str_field (g_ptr_array_index (cams, j), "site"), s);
          j++);
      append_site_heading (out, s, cams, i, j);
      site = s;
      link = NULL;
    }
    if (link == NULL || !g_str_equal (l, link)) {
      GPtrArray *group = g_ptr_array_new ();

      if (table_open)
        g_string_append (out, "</table>\n");
      for (j = i; j < cams->len; j++) {
        const GstStructure *f = g_ptr_array_index (cams, j);
        if (!g_str_equal (str_field (f, "site"), s)
            || !g_str_equal (str_field (f, "link"), l))
          break;
        g_ptr_array_add (group, (gpointer) f);
      }
      append_camera_table_head (out, group);
      g_ptr_array_unref (group);
      table_open = TRUE;
      link = l;
    }
    append_camera_row (out, e, now_us);
  }
  if (table_open)
    g_string_append (out, "</table>\n");
  if (cams->len == 0)
    g_string_append (out, "<p class=\"muted\">No cameras registered.</p>\n");
  g_ptr_array_unref (cams);
}

static void
append_recorders (GString * out, GPtrArray * snap, gint64 now_us)
{
  gboolean any = FALSE;
  guint i;

  for (i = 0; i < snap->len; i++) {
    const GstStructure *e = g_ptr_array_index (snap, i);
    const gchar *state = entry_state (e);
    gdouble v;

    if (!gst_structure_has_name (e, ANNINH_HEALTH_KIND_RECORDER))
      continue;
    if (!any) {
      g_string_append (out, "<h2>Recorders <span lang=\"vi\" "
          "class=\"muted\">(Ghi hình)</span></h2>\n<table>\n<tr>"
          "<th>Camera</th><th>State</th><th>Stored</th><th>Segments</th>"
          "<th>Free disk</th><th>Oldest kept</th><th>Newest</th>"
          "<th>Gaps</th></tr>\n");
      any = TRUE;
    }
    g_string_append_printf (out, "<tr class=\"s-%s\">", state_class (state));
    append_cell_text (out, gst_structure_get_string (e, "id"), NULL);
    g_string_append (out, "<td class=\"st\">");
    append_badge (out, state);
    g_string_append (out, "</td><td class=\"n\">");
    if (get_double (e, "bytes", &v))
      append_bytes (out, v);
    else
      g_string_append (out, "–");
    g_string_append (out, "</td>");
    append_cell_number (out, e, "segments", "%.0f", 1);
    g_string_append (out, "<td class=\"n\">");
    if (get_double (e, "free-bytes", &v))
      append_bytes (out, v);
    else
      g_string_append (out, "–");
    g_string_append (out, "</td>");
    append_cell_time_since (out, e, "oldest", now_us);
    append_cell_time_since (out, e, "newest", now_us);
    append_cell_number (out, e, "gaps", "%.0f", 1);
    g_string_append (out, "</tr>\n");
  }
  if (any)
    g_string_append (out, "</table>\n");
}

static void
append_shares (GString * out, GPtrArray * snap)
{
  gboolean any = FALSE;
  guint i;

  for (i = 0; i < snap->len; i++) {
    const GstStructure *e = g_ptr_array_index (snap, i);
    const gchar *state = entry_state (e);
    gdouble v;

    if (!gst_structure_has_name (e, ANNINH_HEALTH_KIND_SHARE))
      continue;
    if (!any) {
      g_string_append (out, "<h2>Police shares <span lang=\"vi\" "
          "class=\"muted\">(Chia sẻ cho công an)</span></h2>\n<table>\n<tr>"
          "<th>Mount</th><th>State</th><th>Viewers</th><th>Refused</th>"
          "<th>Sent</th><th>Address</th></tr>\n");
      any = TRUE;
    }
    g_string_append_printf (out, "<tr class=\"s-%s\">", state_class (state));
    append_cell_text (out, gst_structure_get_string (e, "id"), NULL);
    g_string_append (out, "<td class=\"st\">");
    append_badge (out, state);
    g_string_append (out, "</td>");
    append_cell_number (out, e, "viewers", "%.0f", 1);
    append_cell_number (out, e, "refusals", "%.0f", 1);
    g_string_append (out, "<td class=\"n\">");
    if (get_double (e, "bytes-sent", &v))
      append_bytes (out, v);
    else
      g_string_append (out, "–");
    g_string_append (out, "</td>");
    append_cell_text (out, gst_structure_get_string (e, "address"), NULL);
    g_string_append (out, "</tr>\n");
  }
  if (any)
    g_string_append (out, "</table>\n");
}

/**
 * anninh_health_snapshot_to_html:
 * @snapshot: (element-type GstStructure): from
 *   anninh_health_registry_snapshot()
 * @generation: the registry generation the snapshot was taken at
 * @now_us: server time, microseconds since the epoch (UTC)
 * @title: (nullable): the page heading, e.g. the district's name
 * @refresh_seconds: how often the page reloads itself; 0 = never
 *
 * Returns: (transfer full): the status page, UTF-8 HTML.
 */
gchar *
anninh_health_snapshot_to_html (GPtrArray * snapshot, guint64 generation,
    gint64 now_us, const gchar * title, guint refresh_seconds)
{
  GString *out = g_string_new (NULL);
  GDateTime *local;
  GstStructure *counts;
  gchar *when, *summary;
  guint up = 0, total = 0;
  gint i;

  if (title == NULL || *title == '\0')
    title = "Camera health";

  counts = anninh_health_count_states (snapshot, ANNINH_HEALTH_KIND_CAMERA);
  for (i = 0; i < gst_structure_n_fields (counts); i++) {
    guint c = 0;
    gst_structure_get_uint (counts, gst_structure_nth_field_name (counts, i),
        &c);
    total += c;
  }
  gst_structure_get_uint (counts, "streaming", &up);
  gst_structure_free (counts);

  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
      "<meta charset=\"utf-8\">\n");
  if (refresh_seconds > 0)
    g_string_append_printf (out,
        "<meta http-equiv=\"refresh\" content=\"%u\">\n", refresh_seconds);
  g_string_append (out, "<meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\">\n<title>");
  g_string_append_printf (out, "%u/%u streaming — ", up, total);
  append_escaped (out, title);
  g_string_append_printf (out, "</title>\n<style>%s</style>\n</head>\n"
      "<body>\n<h1>", page_style);
  append_escaped (out, title);
  g_string_append (out, "</h1>\n");

  local = g_date_time_new_from_unix_local (now_us / G_USEC_PER_SEC);
  when = local ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S (UTC%:z)")
      : g_strdup ("?");
  g_string_append_printf (out, "<p class=\"time\">Updated %s · registry "
      "generation %" G_GUINT64_FORMAT, when, generation);
  if (refresh_seconds > 0)
    g_string_append_printf (out, " · reloads every %u s", refresh_seconds);
  g_string_append (out, "</p>\n");
  g_free (when);
  if (local)
    g_date_time_unref (local);

  g_string_append_printf (out, "<p class=\"summary\">%u of %u camera%s "
      "streaming. ", up, total, total == 1 ? "" : "s");
  summary = anninh_health_summary_text (snapshot);
  append_escaped (out, summary);
  g_free (summary);
  g_string_append (out, "</p>\n");

  append_tiles (out, snapshot, ANNINH_HEALTH_KIND_CAMERA);
  append_cameras (out, snapshot, now_us);
  append_recorders (out, snapshot, now_us);
  append_shares (out, snapshot);

  g_string_append (out, "<p class=\"muted\">Machine-readable: "
      "<a href=\"health\">/health</a> (JSON) · "
      "<a href=\"metrics\">/metrics</a> (Prometheus)</p>\n</body>\n</html>\n");
  return g_string_free (out, FALSE);
}
