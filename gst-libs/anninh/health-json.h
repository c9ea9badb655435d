/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_HEALTH_JSON_H__
#define __ANNINH_HEALTH_JSON_H__

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * SECTION:health-json
 * @title: Health as JSON
 * @short_description: a health registry snapshot as the JSON document
 *   healthserver serves on /health
 *
 * The document:
 * |[
 * {
 *   "generation": 42,                       registry generation
 *   "time": "2026-11-22T14:20:00.000Z",     server time, UTC
 *   "summary": {
 *     "text": "Cameras: 2 streaming, 1 awaiting repair. Recorders: ...",
 *     "cameras": { "total": 3, "text": "2 streaming, 1 awaiting repair",
 *                  "states": { "streaming": 2, "connecting": 0, ... } },
 *     "recorders": { ... }, "shares": { ... }
 *   },
 *   "cameras": [ { "id": "cam1", "state": "streaming", ... } ],
 *   "recorders": [ ... ], "shares": [ ... ],
 *   "others": [ { "kind": "...", "id": ..., ... } ]   only if any
 * }
 * ]|
 * Each entry object carries every field of the registry entry under its own
 * name. Times of the registry contract (`since`, `updated`, `oldest`,
 * `newest`: microseconds since the epoch) become ISO 8601 UTC strings;
 * doubles that are not finite become null; any other non-basic value is
 * written in its GStreamer serialisation.
 */

JsonNode * anninh_health_entry_to_json_node (const GstStructure * entry);

JsonNode * anninh_health_snapshot_to_json_node (GPtrArray * snapshot,
                                                guint64 generation,
                                                gint64 now_us);

gchar *    anninh_health_snapshot_to_json (GPtrArray * snapshot,
                                           guint64 generation,
                                           gint64 now_us,
                                           gboolean pretty);

gchar *    anninh_health_format_time (gint64 utc_us);

G_END_DECLS

#endif /* __ANNINH_HEALTH_JSON_H__ */
