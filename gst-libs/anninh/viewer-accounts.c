/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:viewer-accounts
 *
 * Parser and cache of the users (htdigest) and groups files. A refresh
 * costs two stat() calls when nothing changed, so callers refresh before
 * every authentication.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "viewer-accounts.h"

#include <string.h>
#include <glib/gstdio.h>

typedef struct
{
  gchar *path;
  gint64 mtime;                 /* µs; -1: never read */
  goffset size;
  gboolean readable;
} WatchedFile;

struct _AnninhViewerAccounts
{
  GMutex lock;                  /* guards everything below */
  WatchedFile users_file;
  WatchedFile groups_file;
  GHashTable *ha1;              /* "user:realm" -> HA1 hex */
  GHashTable *groups;           /* user -> GPtrArray of group names */
};

static void
watched_init (WatchedFile * f, const gchar * path)
{
  f->path = g_strdup (path);
  f->mtime = -1;
  f->size = -1;
  f->readable = FALSE;
}

/* TRUE if the file changed since it was last read (or could not be
 * stat'ed, which is a change when it was readable before). */
static gboolean
watched_changed (WatchedFile * f)
{
  GStatBuf st;

  if (f->path == NULL)
    return FALSE;
  if (g_stat (f->path, &st) != 0)
    return f->readable || f->mtime == -1;
  return f->mtime != (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC +
      st.st_mtim.tv_nsec / 1000 || f->size != st.st_size || !f->readable;
}

static void
watched_stamp (WatchedFile * f)
{
  GStatBuf st;

  if (g_stat (f->path, &st) == 0) {
    f->mtime = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC +
        st.st_mtim.tv_nsec / 1000;
    f->size = st.st_size;
  } else {
    f->mtime = 0;
    f->size = -1;
  }
}

/**
 * anninh_viewer_accounts_new:
 * @users_file: (nullable): the htdigest file
 * @groups_file: (nullable): the groups file
 *
 * Creates the accounts; nothing is read until the first refresh.
 *
 * Returns: (transfer full): new accounts, free with
 *   anninh_viewer_accounts_free().
 */
AnninhViewerAccounts *
anninh_viewer_accounts_new (const gchar * users_file, const gchar * groups_file)
{
  AnninhViewerAccounts *a = g_new0 (AnninhViewerAccounts, 1);

  g_mutex_init (&a->lock);
  watched_init (&a->users_file, users_file);
  watched_init (&a->groups_file, groups_file);
  a->ha1 = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  a->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_ptr_array_unref);
  return a;
}

/**
 * anninh_viewer_accounts_free:
 * @accounts: (transfer full): accounts
 */
void
anninh_viewer_accounts_free (AnninhViewerAccounts * accounts)
{
  if (accounts == NULL)
    return;
  g_hash_table_unref (accounts->ha1);
  g_hash_table_unref (accounts->groups);
  g_free (accounts->users_file.path);
  g_free (accounts->groups_file.path);
  g_mutex_clear (&accounts->lock);
  g_free (accounts);
}

static gboolean
load_users (AnninhViewerAccounts * a, GError ** error)
{
  gchar *contents;
  gchar **lines, **l;
  guint lineno = 0;

  g_hash_table_remove_all (a->ha1);
  a->users_file.readable = FALSE;
  watched_stamp (&a->users_file);
  if (!g_file_get_contents (a->users_file.path, &contents, NULL, error))
    return FALSE;

  lines = g_strsplit (contents, "\n", -1);
  g_free (contents);
  for (l = lines; *l; l++) {
    gchar **f;
    gchar *s = g_strstrip (*l);

    lineno++;
    if (*s == '\0' || *s == '#')
      continue;
    f = g_strsplit (s, ":", 3);
    if (g_strv_length (f) == 3 && *f[0] && strlen (f[2]) == 32) {
      g_hash_table_replace (a->ha1, g_strdup_printf ("%s:%s", f[0], f[1]),
          g_ascii_strdown (f[2], -1));
    } else {
      g_debug ("%s:%u: not a 'user:realm:HA1' line, ignored",
          a->users_file.path, lineno);
    }
    g_strfreev (f);
  }
  g_strfreev (lines);
  a->users_file.readable = TRUE;
  return TRUE;
}

static gboolean
load_groups (AnninhViewerAccounts * a, GError ** error)
{
  gchar *contents;
  gchar **lines, **l;

  g_hash_table_remove_all (a->groups);
  a->groups_file.readable = FALSE;
  watched_stamp (&a->groups_file);
  if (!g_file_get_contents (a->groups_file.path, &contents, NULL, error))
    return FALSE;

  lines = g_strsplit (contents, "\n", -1);
  g_free (contents);
  for (l = lines; *l; l++) {
    gchar *s = g_strstrip (*l);
    gchar *colon, **users, **u;

    if (*s == '\0' || *s == '#' || !(colon = strchr (s, ':')))
      continue;
    *colon = '\0';
    g_strstrip (s);
    if (*s == '\0')
      continue;
    users = g_strsplit_set (colon + 1, " \t,", -1);
    for (u = users; *u; u++) {
      GPtrArray *g;

      if (**u == '\0')
        continue;
      g = g_hash_table_lookup (a->groups, *u);
      if (g == NULL) {
        g = g_ptr_array_new_with_free_func (g_free);
        g_hash_table_insert (a->groups, g_strdup (*u), g);
      }
      g_ptr_array_add (g, g_strdup (s));
    }
    g_strfreev (users);
  }
  g_strfreev (lines);
  a->groups_file.readable = TRUE;
  return TRUE;
}

/**
 * anninh_viewer_accounts_refresh:
 * @accounts: accounts
 * @reloaded: (out) (optional): set to %TRUE when a file was (re)read
 * @error: a #GError
 *
 * Re-reads the files that changed since they were last read.
 *
 * Returns: %FALSE with @error set if a file cannot be read; lookups then
 *   fail until it can.
 */
gboolean
anninh_viewer_accounts_refresh (AnninhViewerAccounts * accounts,
    gboolean * reloaded, GError ** error)
{
  gboolean ok = TRUE, any = FALSE;

  g_return_val_if_fail (accounts != NULL, FALSE);

  g_mutex_lock (&accounts->lock);
  if (watched_changed (&accounts->users_file)) {
    any = TRUE;
    ok = load_users (accounts, error);
  }
  if (ok && watched_changed (&accounts->groups_file)) {
    any = TRUE;
    ok = load_groups (accounts, error);
  }
  if (ok && accounts->users_file.path && !accounts->users_file.readable)
    ok = FALSE, g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "Users file %s could not be read", accounts->users_file.path);
  g_mutex_unlock (&accounts->lock);

  if (reloaded)
    *reloaded = any;
  return ok;
}

static gboolean
usable (AnninhViewerAccounts * a)
{
  return a->users_file.readable &&
      (a->groups_file.path == NULL || a->groups_file.readable);
}

/**
 * anninh_viewer_accounts_lookup_ha1:
 * @accounts: accounts
 * @user: user name
 * @realm: realm
 *
 * Returns: (transfer full) (nullable): the user's HA1 in @realm, lowercase
 *   hex, or %NULL if there is no such account.
 */
gchar *
anninh_viewer_accounts_lookup_ha1 (AnninhViewerAccounts * accounts,
    const gchar * user, const gchar * realm)
{
  gchar *key, *ha1 = NULL;

  g_return_val_if_fail (accounts != NULL, NULL);
  if (user == NULL || realm == NULL)
    return NULL;

  key = g_strdup_printf ("%s:%s", user, realm);
  g_mutex_lock (&accounts->lock);
  if (usable (accounts))
    ha1 = g_strdup (g_hash_table_lookup (accounts->ha1, key));
  g_mutex_unlock (&accounts->lock);
  g_free (key);
  return ha1;
}

/**
 * anninh_viewer_accounts_make_ha1:
 * @user: user name
 * @realm: realm
 * @password: password
 *
 * Returns: (transfer full): MD5("user:realm:password") in lowercase hex,
 *   as htdigest stores it.
 */
gchar *
anninh_viewer_accounts_make_ha1 (const gchar * user, const gchar * realm,
    const gchar * password)
{
  gchar *s, *ha1;

  s = g_strdup_printf ("%s:%s:%s", user, realm, password);
  ha1 = g_compute_checksum_for_string (G_CHECKSUM_MD5, s, -1);
  memset (s, 0, strlen (s));
  g_free (s);
  return ha1;
}

/**
 * anninh_viewer_accounts_check_password:
 * @accounts: accounts
 * @user: user name
 * @realm: realm
 * @password: a password in clear (Basic authentication over TLS)
 *
 * Returns: %TRUE if @password is @user's password in @realm.
 */
gboolean
anninh_viewer_accounts_check_password (AnninhViewerAccounts * accounts,
    const gchar * user, const gchar * realm, const gchar * password)
{
  gchar *want, *got;
  gboolean ok;

  if (password == NULL)
    return FALSE;
  want = anninh_viewer_accounts_lookup_ha1 (accounts, user, realm);
  if (want == NULL)
    return FALSE;
  got = anninh_viewer_accounts_make_ha1 (user, realm, password);
  ok = strcmp (want, got) == 0;
  g_free (want);
  g_free (got);
  return ok;
}

/**
 * anninh_viewer_accounts_get_groups:
 * @accounts: accounts
 * @user: user name
 *
 * Returns: (transfer full): the groups of @user, possibly empty.
 */
gchar **
anninh_viewer_accounts_get_groups (AnninhViewerAccounts * accounts,
    const gchar * user)
{
  GStrvBuilder *b = g_strv_builder_new ();
  GPtrArray *g;
  gchar **out;

  g_mutex_lock (&accounts->lock);
  if (user && usable (accounts) &&
      (g = g_hash_table_lookup (accounts->groups, user))) {
    guint i;

    for (i = 0; i < g->len; i++)
      g_strv_builder_add (b, g_ptr_array_index (g, i));
  }
  g_mutex_unlock (&accounts->lock);
  out = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return out;
}

/**
 * anninh_viewer_accounts_count:
 * @accounts: accounts
 *
 * Returns: the number of user:realm entries read.
 */
guint
anninh_viewer_accounts_count (AnninhViewerAccounts * accounts)
{
  guint n;

  g_mutex_lock (&accounts->lock);
  n = usable (accounts) ? g_hash_table_size (accounts->ha1) : 0;
  g_mutex_unlock (&accounts->lock);
  return n;
}
