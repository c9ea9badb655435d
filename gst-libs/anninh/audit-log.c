/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:audit-log
 *
 * Writer and verifier of the viewer audit log; the format is described in
 * audit-log.h. The writer keeps the file open with O_APPEND and remembers
 * the last line's seq and hash, read back from the file when it is opened,
 * so a restarted process continues the same chain.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "audit-log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* ,"hash":" + 64 hex digits + "} */
#define HASH_MEMBER_PREFIX ",\"hash\":\""
#define HASH_SUFFIX_LEN (sizeof (HASH_MEMBER_PREFIX) - 1 + 64 + 2)

struct _AnninhAuditLog
{
  gint refcount;                /* atomic */
  gchar *path;

  GMutex lock;                  /* guards the fields below */
  int fd;
  guint64 seq;                  /* of the last line written */
  gchar last_hash[65];
};

/* Guards open_logs: path -> AnninhAuditLog (not owned). */
static GMutex open_logs_lock;
static GHashTable *open_logs;

static gchar *
sha256_hex (const gchar * data, gsize len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
      (const guchar *) data, len);
}

static gboolean
is_lower_hex (const gchar * s, gsize len)
{
  gsize i;

  for (i = 0; i < len; i++)
    if (!g_ascii_isxdigit (s[i]) || g_ascii_isupper (s[i]))
      return FALSE;
  return TRUE;
}

/* Checks one line on its own: its shape, its own hash and its JSON. Fills
 * @hash (65 bytes), @prev (65 bytes) and @seq. Returns NULL or the reason. */
static gchar *
check_line (const gchar * line, gsize len, gchar * hash, gchar * prev,
    gint64 * seq)
{
  const gchar *suffix;
  gchar *body, *computed;
  JsonParser *parser;
  JsonNode *root;
  JsonObject *obj;
  const gchar *p;
  gchar *reason = NULL;

  if (len <= HASH_SUFFIX_LEN)
    return g_strdup ("line too short to carry a hash");
  suffix = line + len - HASH_SUFFIX_LEN;
  if (strncmp (suffix, HASH_MEMBER_PREFIX, sizeof (HASH_MEMBER_PREFIX) - 1)
      || strcmp (line + len - 2, "\"}") != 0 ||
      !is_lower_hex (suffix + sizeof (HASH_MEMBER_PREFIX) - 1, 64))
    return g_strdup ("line does not end with its \"hash\" member");
  memcpy (hash, suffix + sizeof (HASH_MEMBER_PREFIX) - 1, 64);
  hash[64] = '\0';

  body = g_strdup_printf ("%.*s}", (int) (suffix - line), line);
  computed = sha256_hex (body, strlen (body));
  if (strcmp (computed, hash) != 0) {
    reason = g_strdup ("line was changed: its content does not match its "
        "hash");
    goto out;
  }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, body, -1, NULL) ||
      !(root = json_parser_get_root (parser))
      || !JSON_NODE_HOLDS_OBJECT (root)) {
    reason = g_strdup ("line is not a JSON object");
    g_object_unref (parser);
    goto out;
  }
  obj = json_node_get_object (root);
  p = json_object_has_member (obj, "prev") ?
      json_object_get_string_member_with_default (obj, "prev", NULL) : NULL;
  if (!p || strlen (p) != 64) {
    reason = g_strdup ("line has no valid \"prev\" member");
  } else if (!json_object_has_member (obj, "seq")) {
    reason = g_strdup ("line has no \"seq\" member");
  } else {
    memcpy (prev, p, 65);
    *seq = json_object_get_int_member (obj, "seq");
  }
  g_object_unref (parser);

out:
  g_free (computed);
  g_free (body);
  return reason;
}

/**
 * anninh_audit_log_verify:
 * @path: the log file
 * @n_lines: (out) (optional): number of lines checked
 * @bad_line: (out) (optional): 1-based number of the first bad line, 0 if
 *   none
 * @reason: (out) (optional) (transfer full): why that line is bad, or why
 *   the file could not be read
 *
 * Checks the whole chain of @path. An empty file is a valid log.
 *
 * Returns: the verdict.
 */
AnninhAuditVerdict
anninh_audit_log_verify (const gchar * path, guint64 * n_lines,
    guint64 * bad_line, gchar ** reason)
{
  gchar *contents = NULL, *line, *next;
  gsize length;
  GError *err = NULL;
  gchar prev_hash[65] = ANNINH_AUDIT_GENESIS;
  gint64 prev_seq = 0;
  guint64 n = 0;
  gchar *why = NULL;

  if (n_lines)
    *n_lines = 0;
  if (bad_line)
    *bad_line = 0;
  if (reason)
    *reason = NULL;

  if (!g_file_get_contents (path, &contents, &length, &err)) {
    if (reason)
      *reason = g_strdup (err->message);
    g_clear_error (&err);
    return ANNINH_AUDIT_UNREADABLE;
  }

  line = contents;
  while (line < contents + length) {
    gchar hash[65], prev[65];
    gint64 seq = 0;

    n++;
    next = memchr (line, '\n', contents + length - line);
    if (next == NULL) {
      why = g_strdup ("last line is incomplete (no end of line): the "
          "writer stopped in the middle of it, or it was cut");
      break;
    }
    if (memchr (line, '\0', next - line)) {
      why = g_strdup ("line contains a NUL byte");
      break;
    }
    *next = '\0';
    why = check_line (line, next - line, hash, prev, &seq);
    if (why)
      break;
    if (strcmp (prev, prev_hash) != 0) {
      why = g_strdup_printf ("line does not chain to the line before it "
          "(a line was removed, inserted or moved here)");
      break;
    }
    if (seq != prev_seq + 1) {
      why = g_strdup_printf ("sequence number %" G_GINT64_FORMAT
          " follows %" G_GINT64_FORMAT, seq, prev_seq);
      break;
    }
    memcpy (prev_hash, hash, 65);
    prev_seq = seq;
    line = next + 1;
  }
  g_free (contents);

  if (why) {
    if (bad_line)
      *bad_line = n;
    if (n_lines)
      *n_lines = n;
    if (reason)
      *reason = why;
    else
      g_free (why);
    return ANNINH_AUDIT_BROKEN;
  }
  if (n_lines)
    *n_lines = n;
  return ANNINH_AUDIT_OK;
}

/* Reads the last line of an existing log so appending continues its
 * chain. A damaged tail is refused: appending after it would hide it. */
static gboolean
read_tail (AnninhAuditLog * log, GError ** error)
{
  gchar *contents = NULL;
  gsize length;
  const gchar *start;
  gchar prev[65];
  gint64 seq = 0;
  gchar *why;

  if (!g_file_get_contents (log->path, &contents, &length, error))
    return FALSE;

  if (length == 0) {
    g_free (contents);
    return TRUE;
  }
  if (contents[length - 1] != '\n') {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "Audit log %s ends with an incomplete line; check it with "
        "'anninh audit verify' and start a new log file", log->path);
    g_free (contents);
    return FALSE;
  }
  contents[length - 1] = '\0';
  start = strrchr (contents, '\n');
  start = start ? start + 1 : contents;
  why = check_line (start, strlen (start), log->last_hash, prev, &seq);
  g_free (contents);
  if (why) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "The last line of audit log %s is damaged (%s); check it with "
        "'anninh audit verify' and start a new log file", log->path, why);
    g_free (why);
    return FALSE;
  }
  log->seq = seq;
  return TRUE;
}

/**
 * anninh_audit_log_open:
 * @path: the log file, created if missing
 * @error: a #GError
 *
 * Opens @path for appending, or returns the log already open on it in
 * this process (with a new reference).
 *
 * Returns: (transfer full) (nullable): the log, or %NULL with @error set.
 */
AnninhAuditLog *
anninh_audit_log_open (const gchar * path, GError ** error)
{
  AnninhAuditLog *log;

  g_return_val_if_fail (path != NULL, NULL);

  g_mutex_lock (&open_logs_lock);
  if (open_logs == NULL)
    open_logs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  log = g_hash_table_lookup (open_logs, path);
  if (log) {
    anninh_audit_log_ref (log);
    g_mutex_unlock (&open_logs_lock);
    return log;
  }

  log = g_new0 (AnninhAuditLog, 1);
  log->refcount = 1;
  log->path = g_strdup (path);
  g_mutex_init (&log->lock);
  memcpy (log->last_hash, ANNINH_AUDIT_GENESIS, 65);

  log->fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (log->fd < 0) {
    int e = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "Cannot open audit log %s for writing: %s", path, g_strerror (e));
    goto failed;
  }
  if (!read_tail (log, error))
    goto failed;

  g_hash_table_insert (open_logs, g_strdup (path), log);
  g_mutex_unlock (&open_logs_lock);
  return log;

failed:
  g_mutex_unlock (&open_logs_lock);
  if (log->fd >= 0)
    close (log->fd);
  g_mutex_clear (&log->lock);
  g_free (log->path);
  g_free (log);
  return NULL;
}

/**
 * anninh_audit_log_ref:
 * @log: a log
 *
 * Returns: (transfer full): @log
 */
AnninhAuditLog *
anninh_audit_log_ref (AnninhAuditLog * log)
{
  g_return_val_if_fail (log != NULL, NULL);
  g_atomic_int_inc (&log->refcount);
  return log;
}

/**
 * anninh_audit_log_unref:
 * @log: (transfer full): a log
 *
 * Drops a reference; the last one closes the file.
 */
void
anninh_audit_log_unref (AnninhAuditLog * log)
{
  g_return_if_fail (log != NULL);

  g_mutex_lock (&open_logs_lock);
  if (!g_atomic_int_dec_and_test (&log->refcount)) {
    g_mutex_unlock (&open_logs_lock);
    return;
  }
  g_hash_table_remove (open_logs, log->path);
  if (g_hash_table_size (open_logs) == 0)
    g_clear_pointer (&open_logs, g_hash_table_unref);
  g_mutex_unlock (&open_logs_lock);

  if (log->fd >= 0)
    close (log->fd);
  g_mutex_clear (&log->lock);
  g_free (log->path);
  g_free (log);
}

/**
 * anninh_audit_log_get_path:
 * @log: a log
 *
 * Returns: the file name @log was opened with.
 */
const gchar *
anninh_audit_log_get_path (AnninhAuditLog * log)
{
  g_return_val_if_fail (log != NULL, NULL);
  return log->path;
}

/**
 * anninh_audit_log_append:
 * @log: a log
 * @record: the caller's members (not modified; `seq`, `logged`, `prev`
 *   and `hash` are added to a copy)
 * @error: a #GError
 *
 * Appends one line and flushes it to disk.
 *
 * Returns: %TRUE once the line is on disk.
 */
gboolean
anninh_audit_log_append (AnninhAuditLog * log, JsonObject * record,
    GError ** error)
{
  JsonObject *obj;
  JsonNode *node;
  JsonGenerator *gen;
  GDateTime *now;
  gchar *stamp, *body, *hash, *line;
  GList *members, *l;
  gsize len, done = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (log != NULL, FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  g_mutex_lock (&log->lock);

  obj = json_object_new ();
  members = json_object_get_members (record);
  for (l = members; l; l = l->next) {
    const gchar *name = l->data;

    if (!g_strcmp0 (name, "seq") || !g_strcmp0 (name, "logged") ||
        !g_strcmp0 (name, "prev") || !g_strcmp0 (name, "hash"))
      continue;
    json_object_set_member (obj, name,
        json_node_copy (json_object_get_member (record, name)));
  }
  g_list_free (members);

  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format_iso8601 (now);
  g_date_time_unref (now);
  json_object_set_int_member (obj, "seq", (gint64) log->seq + 1);
  json_object_set_string_member (obj, "logged", stamp);
  json_object_set_string_member (obj, "prev", log->last_hash);
  g_free (stamp);

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, obj);
  gen = json_generator_new ();
  json_generator_set_pretty (gen, FALSE);
  json_generator_set_root (gen, node);
  body = json_generator_to_data (gen, NULL);
  g_object_unref (gen);
  json_node_unref (node);

  hash = sha256_hex (body, strlen (body));
  len = strlen (body);
  body[len - 1] = '\0';         /* drop the closing brace */
  line = g_strdup_printf ("%s" HASH_MEMBER_PREFIX "%s\"}\n", body, hash);
  len = strlen (line);

  while (done < len) {
    gssize w = write (log->fd, line + done, len - done);

    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      int e = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
          "Cannot write to audit log %s: %s", log->path, g_strerror (e));
      ok = FALSE;
      break;
    }
    done += w;
  }
  if (ok && fdatasync (log->fd) < 0) {
    int e = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "Cannot flush audit log %s to disk: %s", log->path, g_strerror (e));
    ok = FALSE;
  }
  if (ok) {
    log->seq++;
    memcpy (log->last_hash, hash, 65);
  }
  g_mutex_unlock (&log->lock);

  g_free (line);
  g_free (hash);
  g_free (body);
  return ok;
}
