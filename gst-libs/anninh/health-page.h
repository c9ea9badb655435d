/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_HEALTH_PAGE_H__
#define __ANNINH_HEALTH_PAGE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * SECTION:health-page
 * @title: Health status page
 * @short_description: a health registry snapshot as the HTML page a duty
 *   officer reads at a glance
 *
 * One self-contained UTF-8 HTML page (no scripts, no external resources):
 * camera counts by state at the top, then a table per site (commune or
 * ward) and link, one row per camera coloured by state, then the recorders
 * and the police shares. Every text from the registry is escaped. The page
 * reloads itself with a meta refresh.
 */

gchar * anninh_health_snapshot_to_html (GPtrArray * snapshot,
                                        guint64 generation,
                                        gint64 now_us,
                                        const gchar * title,
                                        guint refresh_seconds);

const gchar * anninh_health_state_label_vi (const gchar * state);

G_END_DECLS

#endif /* __ANNINH_HEALTH_PAGE_H__ */
