/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The status page: counts, grouping by site and link, escaping. */
#include <gst/check/gstcheck.h>
#include <anninh/health-page.h>
#include <anninh/health-registry.h>

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

static guint
count (const gchar * haystack, const gchar * needle)
{
  guint n = 0;
  const gchar *p = haystack;

  while ((p = strstr (p, needle)) != NULL) {
    n++;
    p += strlen (needle);
  }
  return n;
}

GST_START_TEST (test_escapes_everything)
{
  GstStructure *cam = gst_structure_new (ANNINH_HEALTH_KIND_CAMERA,
      "id", G_TYPE_STRING, "<script>alert(1)</script>",
      "state", G_TYPE_STRING, "\"><img src=x onerror=alert(2)>",
      "site", G_TYPE_STRING, "Xã <b>An</b> & Bình",
      "link", G_TYPE_STRING, "wifi' onclick='x",
      "last-error", G_TYPE_STRING, "401 <Unauthorized>", NULL);
  GPtrArray *snap =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  gchar *html;

  g_ptr_array_add (snap, cam);
  html = anninh_health_snapshot_to_html (snap, 1, NOW_US, "<i>Huyện</i>", 5);
  fail_unless (g_utf8_validate (html, -1, NULL));
  fail_if (strstr (html, "<script"), "%s", html);
  fail_if (strstr (html, "<img"));
  fail_if (strstr (html, "<b>An"));
  fail_if (strstr (html, "<i>"));
  fail_if (strstr (html, "' onclick"));
  fail_unless (strstr (html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  fail_unless (strstr (html, "Xã &lt;b&gt;An&lt;/b&gt; &amp; Bình"));
  fail_unless (strstr (html, "401 &lt;Unauthorized&gt;"));
  /* an unknown state never becomes a CSS class of its own */
  fail_unless (strstr (html, "class=\"badge s-other\""));
  g_free (html);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

GST_START_TEST (test_tables_per_site_and_link)
{
  GPtrArray *snap =
      snapshot_of
      ("camera, id=a1, state=streaming, site=\"Xã An Bình\", link=wifi",
      "camera, id=a2, state=awaiting-repair, site=\"Xã An Bình\", link=wifi",
      "camera, id=a3, state=streaming, site=\"Xã An Bình\", link=fiber",
      "camera, id=b1, state=stalled, site=\"Phường 3\", link=4g",
      "camera, id=c1, state=streaming",
      "recorder, id=a1, state=recording, bytes=(guint64)1000000",
      "share, id=/a1, state=serving, viewers=(uint)2", NULL);
  gchar *html = anninh_health_snapshot_to_html (snap, 7, NOW_US, NULL, 10);
  const gchar *an_binh, *phuong, *none;

  fail_unless (strstr (html, "<meta charset=\"utf-8\">"));
  fail_unless (strstr (html, "<meta http-equiv=\"refresh\" content=\"10\">"));
  fail_unless (strstr (html, "<p class=\"summary\">3 of 5 cameras "
          "streaming. Cameras: 3 streaming, 1 stalled, 1 awaiting repair. "
          "Recorders: 1 recording. Shares: 1 serving.</p>"), "%s", html);
  /* sites by name, the camera without a site last */
  phuong = strstr (html, "<h2>Phường 3");
  an_binh = strstr (html, "<h2>Xã An Bình");
  none = strstr (html, "<h2>No site given");
  fail_unless (phuong && an_binh && none);
  fail_unless (phuong < an_binh && an_binh < none);
  /* Xã An Bình has two tables, fiber before wifi */
  fail_unless_equals_int (count (html, "<table>"), 4 + 2);
  fail_unless_equals_int (count (html, "<table>"), count (html, "</table>"));
  fail_unless (strstr (an_binh, "Link: fiber") < strstr (an_binh,
          "Link: wifi"));
  fail_unless (strstr (html, "Link: wifi — 2 cameras: 1 streaming, "
          "1 awaiting repair"));
  fail_unless (strstr (html, "<tr class=\"s-awaiting-repair\"><td>a2</td>"));
  fail_unless (strstr (html, "Chờ sửa chữa"));
  fail_unless (strstr (html, "<b>1</b>stalled"));
  fail_unless (strstr (html, "<div class=\"tile s-stopped zero\"><b>0</b>"));
  g_free (html);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

GST_START_TEST (test_no_refresh_and_empty)
{
  GPtrArray *snap =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  gchar *html = anninh_health_snapshot_to_html (snap, 0, NOW_US, "T", 0);

  fail_if (strstr (html, "http-equiv=\"refresh\""));
  fail_unless (strstr (html, "No cameras registered."));
  fail_unless (g_str_has_suffix (html, "</html>\n"));
  g_free (html);
  g_ptr_array_unref (snap);
}

GST_END_TEST;

static Suite *
health_page_suite (void)
{
  Suite *s = suite_create ("health-page");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_escapes_everything);
  tcase_add_test (tc, test_tables_per_site_and_link);
  tcase_add_test (tc, test_no_refresh_and_empty);
  return s;
}

GST_CHECK_MAIN (health_page);
