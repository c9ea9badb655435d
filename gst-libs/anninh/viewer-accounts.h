/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_VIEWER_ACCOUNTS_H__
#define __ANNINH_VIEWER_ACCOUNTS_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * SECTION:viewer-accounts
 * @title: Viewer accounts
 * @short_description: officers' accounts from an htdigest file and their
 *   groups from a groups file
 *
 * The users file is the one Apache's `htdigest` tool writes: one account
 * per line, `user:realm:HA1`, HA1 being MD5("user:realm:password") in hex.
 * No password is ever held in memory, only HA1.
 *
 * The groups file (optional) has one group per line, like Apache's
 * AuthGroupFile: `group: user1 user2 ...`; blank lines and lines starting
 * with `#` are ignored. A user may be in several groups.
 *
 * Both files are re-read by anninh_viewer_accounts_refresh() when their
 * modification time or size changed, so accounts can be added and removed
 * without a restart. If a file cannot be read, every lookup fails (no one
 * gets in) until it can be read again.
 */

typedef struct _AnninhViewerAccounts AnninhViewerAccounts;

AnninhViewerAccounts *anninh_viewer_accounts_new (const gchar * users_file,
    const gchar * groups_file);

void      anninh_viewer_accounts_free (AnninhViewerAccounts * accounts);

gboolean  anninh_viewer_accounts_refresh (AnninhViewerAccounts * accounts,
    gboolean * reloaded, GError ** error);

gchar *   anninh_viewer_accounts_lookup_ha1 (AnninhViewerAccounts * accounts,
    const gchar * user, const gchar * realm);

gboolean  anninh_viewer_accounts_check_password
    (AnninhViewerAccounts * accounts, const gchar * user,
    const gchar * realm, const gchar * password);

gchar **  anninh_viewer_accounts_get_groups (AnninhViewerAccounts * accounts,
    const gchar * user);

guint     anninh_viewer_accounts_count (AnninhViewerAccounts * accounts);

gchar *   anninh_viewer_accounts_make_ha1 (const gchar * user,
    const gchar * realm, const gchar * password);

G_END_DECLS

#endif /* __ANNINH_VIEWER_ACCOUNTS_H__ */
