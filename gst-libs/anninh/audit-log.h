/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_AUDIT_LOG_H__
#define __ANNINH_AUDIT_LOG_H__

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * SECTION:audit-log
 * @title: Viewer audit log
 * @short_description: append-only, hash-chained JSON lines of who watched
 *
 * One JSON object per line. The log adds to every record, in this order
 * after the caller's members: `seq` (1, 2, ...), `logged` (UTC, ISO 8601),
 * `prev` (the `hash` of the previous line, or %ANNINH_AUDIT_GENESIS for the
 * first line) and, last, `hash`: the SHA-256 (lowercase hex) of the line's
 * text up to, but not including, the `,"hash":` member that ends it.
 *
 * So an edited line no longer matches its own hash, a removed or moved
 * line breaks the `prev` link and the `seq` sequence of the line after it.
 * What a chain alone cannot show: lines cut off at the end of the file
 * (compare the last `seq` with a copy kept elsewhere).
 *
 * Every line is written with one write() and flushed to disk with
 * fdatasync() before append returns. Logs are shared: every open of the
 * same path in a process returns the same object, guarded by one mutex.
 */

/* 64 zeros: what the first line of every log chains to. */
#define ANNINH_AUDIT_GENESIS \
  "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct _AnninhAuditLog AnninhAuditLog;

/**
 * AnninhAuditVerdict:
 * @ANNINH_AUDIT_OK: every line chains to the previous one
 * @ANNINH_AUDIT_BROKEN: a line was edited, removed, reordered or damaged
 * @ANNINH_AUDIT_UNREADABLE: the file could not be read
 */
typedef enum
{
  ANNINH_AUDIT_OK,
  ANNINH_AUDIT_BROKEN,
  ANNINH_AUDIT_UNREADABLE,
} AnninhAuditVerdict;

AnninhAuditLog *   anninh_audit_log_open    (const gchar * path,
                                             GError ** error);

AnninhAuditLog *   anninh_audit_log_ref     (AnninhAuditLog * log);

void               anninh_audit_log_unref   (AnninhAuditLog * log);

const gchar *      anninh_audit_log_get_path (AnninhAuditLog * log);

gboolean           anninh_audit_log_append  (AnninhAuditLog * log,
                                             JsonObject * record,
                                             GError ** error);

AnninhAuditVerdict anninh_audit_log_verify  (const gchar * path,
                                             guint64 * n_lines,
                                             guint64 * bad_line,
                                             gchar ** reason);

G_END_DECLS

#endif /* __ANNINH_AUDIT_LOG_H__ */
