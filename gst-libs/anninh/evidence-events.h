/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_EVIDENCE_EVENTS_H__
#define __ANNINH_EVIDENCE_EVENTS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * SECTION:evidence-events
 * @title: Evidence events
 * @short_description: asking the signer upstream to repeat its certificate
 *
 * A signed stream can only be verified from a point where its certificate
 * SEI has been seen. An element downstream of evidencemux that starts
 * something new (retentionsink: a new segment; policeshare: a new viewer)
 * sends this custom upstream event; evidencemux answers by inserting the
 * certificate SEI again before the next keyframe. Elements that do not know
 * the event pass it upstream untouched.
 *
 * Structure name: %ANNINH_CERTIFICATE_REQUEST ("anninh-certificate-request"),
 * optional field `reason` (string: "segment", "viewer", ...).
 */
#define ANNINH_CERTIFICATE_REQUEST "anninh-certificate-request"

GstEvent * anninh_certificate_request_event_new (const gchar * reason);

gboolean   anninh_event_is_certificate_request (GstEvent * event);

G_END_DECLS

#endif /* __ANNINH_EVIDENCE_EVENTS_H__ */
