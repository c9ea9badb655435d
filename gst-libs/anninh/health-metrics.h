/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_HEALTH_METRICS_H__
#define __ANNINH_HEALTH_METRICS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * SECTION:health-metrics
 * @title: Health as Prometheus metrics
 * @short_description: a health registry snapshot in the Prometheus text
 *   exposition format 0.0.4, as healthserver serves it on /metrics
 *
 * Every family has `# HELP` and `# TYPE` lines and appears once, its
 * samples together. Cameras carry the labels `camera`, `site` and `link`
 * (empty when unknown), recorders `camera`, shares `share`. States are
 * state sets: one sample per known state, 1 for the current state, 0 for
 * the others. The metric names are listed in docs/metrics.md.
 */

/**
 * ANNINH_HEALTH_METRICS_CONTENT_TYPE:
 *
 * The Content-Type of the text exposition format this module writes.
 */
#define ANNINH_HEALTH_METRICS_CONTENT_TYPE \
  "text/plain; version=0.0.4; charset=utf-8"

gchar * anninh_health_snapshot_to_metrics (GPtrArray * snapshot,
                                           guint64 generation,
                                           gint64 now_us);

gchar * anninh_health_metrics_escape_label (const gchar * value);

G_END_DECLS

#endif /* __ANNINH_HEALTH_METRICS_H__ */
