/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_HEALTH_SUMMARY_H__
#define __ANNINH_HEALTH_SUMMARY_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * SECTION:health-summary
 * @title: Health summary
 * @short_description: counts by state of a health registry snapshot, and
 *   the sentence a district reports ("309 streaming, 73 awaiting repair")
 *
 * The renderers (JSON, Prometheus, status page) share these so that every
 * view of a snapshot counts the same way and lists states in the same order.
 */

const gchar * const * anninh_health_known_states (const gchar * kind);

const gchar * anninh_health_kind_plural (const gchar * kind);

GstStructure * anninh_health_count_states (GPtrArray * snapshot,
                                           const gchar * kind);

gchar *        anninh_health_summary_sentence (const GstStructure * counts);

gchar *        anninh_health_summary_text (GPtrArray * snapshot);

G_END_DECLS

#endif /* __ANNINH_HEALTH_SUMMARY_H__ */
