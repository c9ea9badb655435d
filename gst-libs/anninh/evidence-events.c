/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "evidence-events.h"

/**
 * anninh_certificate_request_event_new:
 * @reason: (nullable): why, e.g. "segment" or "viewer"
 *
 * Returns: (transfer full): an upstream event asking evidencemux to repeat
 * its certificate SEI before the next keyframe.
 */
GstEvent *
anninh_certificate_request_event_new (const gchar * reason)
{
  GstStructure *s = gst_structure_new_empty (ANNINH_CERTIFICATE_REQUEST);

  if (reason != NULL)
    gst_structure_set (s, "reason", G_TYPE_STRING, reason, NULL);
  return gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s);
}

/**
 * anninh_event_is_certificate_request:
 * @event: an event
 *
 * Returns: %TRUE if @event is a certificate request.
 */
gboolean
anninh_event_is_certificate_request (GstEvent * event)
{
  return GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM
      && gst_event_has_name (event, ANNINH_CERTIFICATE_REQUEST);
}
