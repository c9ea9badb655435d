/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: the recording store's index (SQLite, WAL): segments, gaps,
 * holds and the audit trail. retentionsink writes it; `anninh export`,
 * `anninh hold` and applications read it and add holds and audit rows.
 *
 * A store is a directory:
 *   ROOT/index.sqlite            the index (rebuilt from the files when
 *                                missing or corrupt, with a warning)
 *   ROOT/CAMERA/...              that camera's segments (fragmented MP4)
 * All times are UTC, microseconds since the Unix epoch (gint64).
 */
#ifndef __ANNINH_STORE_INDEX_H__
#define __ANNINH_STORE_INDEX_H__

#include <glib.h>

G_BEGIN_DECLS

#define ANNINH_STORE_INDEX_NAME "index.sqlite"

#define ANNINH_STORE_ERROR (anninh_store_error_quark ())
GQuark anninh_store_error_quark (void);

typedef enum
{
  ANNINH_STORE_ERROR_IO,        /* root missing, unreadable, read-only... */
  ANNINH_STORE_ERROR_INDEX,     /* SQLite refused (after a rebuild attempt) */
  ANNINH_STORE_ERROR_NOT_FOUND, /* no such camera, segment or hold */
  ANNINH_STORE_ERROR_INVALID    /* bad argument: empty range, no case... */
} AnninhStoreError;

typedef enum
{
  ANNINH_SEGMENT_OPEN,          /* being written (or cut by a crash) */
  ANNINH_SEGMENT_CLOSED,        /* finalised; sha256 set */
  ANNINH_SEGMENT_DELETED        /* removed by retention; row kept */
} AnninhSegmentState;

typedef struct
{
  gint64 id;
  gchar *camera_id;
  gint64 start_us;
  gint64 end_us;                /* last known end (open: last fragment) */
  guint64 bytes;
  gchar *path;                  /* relative to the store root */
  AnninhSegmentState state;
  gchar *sha256;                /* lowercase hex, NULL unless closed */
} AnninhSegment;

typedef struct
{
  gchar *camera_id;
  gint64 start_us;
  gint64 end_us;
  gchar *reason;                /* "camera", "disk-slow", "disk-full", ... */
} AnninhGap;

typedef struct
{
  gint64 id;
  gchar *case_number;
  gchar *officer;
  gchar *reason;
  gchar *camera_id;             /* NULL: every camera of the store */
  gint64 from_us;
  gint64 to_us;
  gint64 created_us;
  gint64 released_us;           /* 0 while the hold is active */
  gchar *released_by;
} AnninhHold;

typedef struct _AnninhStore AnninhStore;

/* Opens the store at @root (created when @create). Checks the index and
 * rebuilds it from the segment files when it is missing or corrupt. */
AnninhStore *anninh_store_open (const gchar * root, gboolean create,
    GError ** error);
void anninh_store_close (AnninhStore * store);
const gchar *anninh_store_get_root (AnninhStore * store);

/* Segments of @camera_id overlapping [from_us, to_us), oldest first,
 * deleted ones excluded. Element type AnninhSegment (freed with the
 * array). */
GPtrArray *anninh_store_list_segments (AnninhStore * store,
    const gchar * camera_id, gint64 from_us, gint64 to_us, GError ** error);
/* Recorded gaps of @camera_id overlapping the range (AnninhGap). */
GPtrArray *anninh_store_list_gaps (AnninhStore * store,
    const gchar * camera_id, gint64 from_us, gint64 to_us, GError ** error);
/* Cameras that have (or had) segments in this store, sorted. */
gchar **anninh_store_list_cameras (AnninhStore * store, GError ** error);
/* Oldest and newest retained footage of @camera_id; FALSE when none. */
gboolean anninh_store_get_span (AnninhStore * store, const gchar * camera_id,
    gint64 * oldest_us, gint64 * newest_us, GError ** error);

/* Holds: footage they cover is never deleted by retention. Returns the new
 * hold's id, or 0 with @error set. */
gint64 anninh_store_add_hold (AnninhStore * store, const AnninhHold * hold,
    GError ** error);
GPtrArray *anninh_store_list_holds (AnninhStore * store,
    gboolean include_released, GError ** error);
gboolean anninh_store_release_hold (AnninhStore * store, gint64 hold_id,
    const gchar * released_by, GError ** error);
/* TRUE when an active hold covers any part of the range of @camera_id. */
gboolean anninh_store_is_held (AnninhStore * store, const gchar * camera_id,
    gint64 from_us, gint64 to_us);

/* Audit trail: one row per hold, release, export, deletion, rebuild.
 * @details: a short JSON object or NULL. */
gboolean anninh_store_audit (AnninhStore * store, const gchar * action,
    const gchar * actor, const gchar * camera_id, gint64 from_us,
    gint64 to_us, const gchar * details, GError ** error);

void anninh_segment_free (AnninhSegment * segment);
void anninh_gap_free (AnninhGap * gap);
void anninh_hold_free (AnninhHold * hold);

G_END_DECLS

#endif /* __ANNINH_STORE_INDEX_H__ */
