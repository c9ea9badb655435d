/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The viewer audit log: a chain written by the library verifies; an edited,
 * removed, reordered or cut line is found, at the right line; reopening
 * continues the chain; viewer accounts read htdigest and groups files. */
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <anninh/audit-log.h>
#include <anninh/viewer-accounts.h>

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("anninh-audit-XXXXXX", NULL);
  fail_unless (tmpdir != NULL);
}

static void
teardown (void)
{
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  const gchar *name;

  while ((name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (tmpdir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static gchar *
write_log (const gchar * name, guint n)
{
  gchar *path = g_build_filename (tmpdir, name, NULL);
  AnninhAuditLog *log;
  GError *err = NULL;
  guint i;

  log = anninh_audit_log_open (path, &err);
  fail_unless (log != NULL, "%s", err ? err->message : "");
  for (i = 0; i < n; i++) {
    JsonObject *rec = json_object_new ();
    gchar *user = g_strdup_printf ("officer%u", i);

    json_object_set_string_member (rec, "event", "view");
    json_object_set_string_member (rec, "user", user);
    json_object_set_string_member (rec, "note", "quote \" and \\ and ü");
    json_object_set_int_member (rec, "bytes", 1000 * i);
    fail_unless (anninh_audit_log_append (log, rec, &err));
    json_object_unref (rec);
    g_free (user);
  }
  anninh_audit_log_unref (log);
  return path;
}

static gchar **
read_lines (const gchar * path)
{
  gchar *contents;
  gchar **lines;

  fail_unless (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  g_free (contents);
  return lines;                 /* last element is "" */
}

static void
write_lines (const gchar * path, gchar ** lines)
{
  gchar *joined = g_strjoinv ("\n", lines);

  fail_unless (g_file_set_contents (path, joined, -1, NULL));
  g_free (joined);
}

static void
assert_verdict (const gchar * path, AnninhAuditVerdict want, guint64 bad)
{
  guint64 n = 0, bad_line = 0;
  gchar *reason = NULL;
  AnninhAuditVerdict v;

  v = anninh_audit_log_verify (path, &n, &bad_line, &reason);
  fail_unless_equals_int (v, want);
  fail_unless_equals_uint64 (bad_line, bad);
  if (want != ANNINH_AUDIT_OK)
    fail_unless (reason != NULL && *reason);
  g_free (reason);
}

GST_START_TEST (test_chain_verifies)
{
  gchar *path = write_log ("ok.jsonl", 5);
  guint64 n = 0;

  fail_unless_equals_int (anninh_audit_log_verify (path, &n, NULL, NULL),
      ANNINH_AUDIT_OK);
  fail_unless_equals_uint64 (n, 5);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_reopen_continues_chain)
{
  gchar *path = write_log ("re.jsonl", 3);
  gchar *again = write_log ("re.jsonl", 2);
  gchar **lines;
  guint64 n = 0;

  fail_unless_equals_int (anninh_audit_log_verify (path, &n, NULL, NULL),
      ANNINH_AUDIT_OK);
  fail_unless_equals_uint64 (n, 5);
  lines = read_lines (path);
  fail_unless (strstr (lines[4], "\"seq\":5,") != NULL);
  g_strfreev (lines);
  g_free (again);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_edited_line_detected)
{
  gchar *path = write_log ("edit.jsonl", 5);
  gchar **lines = read_lines (path);
  gchar *p = strstr (lines[2], "officer2");

  fail_unless (p != NULL);
  p[0] = 'O';                   /* a one-letter edit of line 3 */
  write_lines (path, lines);
  assert_verdict (path, ANNINH_AUDIT_BROKEN, 3);
  g_strfreev (lines);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_deleted_line_detected)
{
  gchar *path = write_log ("del.jsonl", 5);
  gchar **lines = read_lines (path);

  g_free (lines[1]);
  memmove (&lines[1], &lines[2], sizeof (gchar *) * 5); /* drop line 2 */
  write_lines (path, lines);
  assert_verdict (path, ANNINH_AUDIT_BROKEN, 2);
  g_strfreev (lines);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_reordered_lines_detected)
{
  gchar *path = write_log ("swap.jsonl", 5);
  gchar **lines = read_lines (path);
  gchar *t = lines[3];

  lines[3] = lines[2];
  lines[2] = t;
  write_lines (path, lines);
  assert_verdict (path, ANNINH_AUDIT_BROKEN, 3);
  g_strfreev (lines);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_cut_line_and_bad_tail)
{
  gchar *path = write_log ("cut.jsonl", 3);
  gchar *contents;
  gsize len;
  GError *err = NULL;
  AnninhAuditLog *log;

  fail_unless (g_file_get_contents (path, &contents, &len, NULL));
  fail_unless (g_file_set_contents (path, contents, len - 20, NULL));
  assert_verdict (path, ANNINH_AUDIT_BROKEN, 3);
  /* appending after a damaged tail would hide it: refused */
  log = anninh_audit_log_open (path, &err);
  fail_unless (log == NULL);
  fail_unless (err != NULL);
  g_clear_error (&err);
  g_free (contents);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_unreadable_and_empty)
{
  gchar *path = g_build_filename (tmpdir, "missing.jsonl", NULL);
  gchar *empty = g_build_filename (tmpdir, "empty.jsonl", NULL);

  assert_verdict (path, ANNINH_AUDIT_UNREADABLE, 0);
  fail_unless (g_file_set_contents (empty, "", 0, NULL));
  assert_verdict (empty, ANNINH_AUDIT_OK, 0);
  g_free (path);
  g_free (empty);
}

GST_END_TEST;

GST_START_TEST (test_viewer_accounts)
{
  gchar *users = g_build_filename (tmpdir, "users", NULL);
  gchar *groups = g_build_filename (tmpdir, "groups", NULL);
  gchar *ha1 = anninh_viewer_accounts_make_ha1 ("alice", "anninh", "pw");
  gchar *content = g_strdup_printf ("alice:anninh:%s\nbroken line\n", ha1);
  AnninhViewerAccounts *acc;
  gchar **g, *got;
  gboolean reloaded;

  fail_unless (g_file_set_contents (users, content, -1, NULL));
  fail_unless (g_file_set_contents (groups,
          "# units\nhoatien: alice bob\nxa2:alice\n", -1, NULL));
  acc = anninh_viewer_accounts_new (users, groups);
  fail_unless (anninh_viewer_accounts_refresh (acc, &reloaded, NULL));
  fail_unless (reloaded);
  got = anninh_viewer_accounts_lookup_ha1 (acc, "alice", "anninh");
  fail_unless_equals_string (got, ha1);
  g_free (got);
  fail_unless (anninh_viewer_accounts_lookup_ha1 (acc, "alice", "x") == NULL);
  fail_unless (anninh_viewer_accounts_check_password (acc, "alice", "anninh",
          "pw"));
  fail_unless (!anninh_viewer_accounts_check_password (acc, "alice",
          "anninh", "wrong"));
  g = anninh_viewer_accounts_get_groups (acc, "alice");
  fail_unless_equals_int (g_strv_length (g), 2);
  g_strfreev (g);
  fail_unless (anninh_viewer_accounts_refresh (acc, &reloaded, NULL));
  fail_unless (!reloaded);

  /* a file that cannot be read: nobody gets in */
  g_unlink (users);
  fail_unless (!anninh_viewer_accounts_refresh (acc, NULL, NULL));
  fail_unless (anninh_viewer_accounts_lookup_ha1 (acc, "alice",
          "anninh") == NULL);
  /* and it comes back */
  fail_unless (g_file_set_contents (users, content, -1, NULL));
  fail_unless (anninh_viewer_accounts_refresh (acc, NULL, NULL));
  fail_unless_equals_int (anninh_viewer_accounts_count (acc), 1);

  anninh_viewer_accounts_free (acc);
  g_free (content);
  g_free (ha1);
  g_free (users);
  g_free (groups);
}

GST_END_TEST;

static Suite *
audit_log_suite (void)
{
  Suite *s = suite_create ("audit-log");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_chain_verifies);
  tcase_add_test (tc, test_reopen_continues_chain);
  tcase_add_test (tc, test_edited_line_detected);
  tcase_add_test (tc, test_deleted_line_detected);
  tcase_add_test (tc, test_reordered_lines_detected);
  tcase_add_test (tc, test_cut_line_and_bad_tail);
  tcase_add_test (tc, test_unreadable_and_empty);
  tcase_add_test (tc, test_viewer_accounts);
  return s;
}

GST_CHECK_MAIN (audit_log);
