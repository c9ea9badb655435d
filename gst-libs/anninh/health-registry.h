/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_HEALTH_REGISTRY_H__
#define __ANNINH_HEALTH_REGISTRY_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * SECTION:health-registry
 * @title: Health registry
 * @short_description: what every camera, recorder and share of a process
 *   reports about itself
 *
 * One registry per process. Every element of gst-anninh publishes an entry
 * (a #GstStructure) under a kind and an id, and replaces it whenever its
 * state changes; healthserver and applications read snapshots of it.
 *
 * An entry's structure name is its kind. Kinds in use:
 * %ANNINH_HEALTH_KIND_CAMERA (ipcamsrc), %ANNINH_HEALTH_KIND_RECORDER
 * (retentionsink), %ANNINH_HEALTH_KIND_SHARE (policeshare).
 * Every entry has at least the string fields `id` and `state`; the registry
 * adds `updated` (UTC, microseconds since the epoch, #gint64). Other fields
 * are the publisher's; numbers should be plain integers, doubles or
 * booleans so that they can be exported as metrics.
 */

#define ANNINH_HEALTH_KIND_CAMERA   "camera"
#define ANNINH_HEALTH_KIND_RECORDER "recorder"
#define ANNINH_HEALTH_KIND_SHARE    "share"

void        anninh_health_registry_publish  (const GstStructure * entry);

void        anninh_health_registry_withdraw (const gchar * kind,
                                             const gchar * id);

GPtrArray * anninh_health_registry_snapshot (void);

guint64     anninh_health_registry_generation (void);

G_END_DECLS

#endif /* __ANNINH_HEALTH_REGISTRY_H__ */
