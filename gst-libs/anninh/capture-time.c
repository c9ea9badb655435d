/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "capture-time.h"

static GstCaps *
capture_time_caps (void)
{
  static GstCaps *caps;

  if (g_once_init_enter (&caps)) {
    GstCaps *c = gst_caps_from_string (ANNINH_CAPTURE_TIME_CAPS);
    /* Lives for the whole process, like the caps of a pad template. */
    GST_MINI_OBJECT_FLAG_SET (c, GST_MINI_OBJECT_FLAG_MAY_BE_LEAKED);
    g_once_init_leave (&caps, c);
  }
  return caps;
}

/**
 * anninh_buffer_add_capture_time:
 * @buffer: a writable buffer
 * @utc_ns: capture time, nanoseconds since the Unix epoch (UTC)
 *
 * Attaches the capture time; a buffer carries at most one, so an existing
 * capture time is replaced.
 */
void
anninh_buffer_add_capture_time (GstBuffer * buffer, guint64 utc_ns)
{
  GstCaps *caps = capture_time_caps ();
  GstReferenceTimestampMeta *meta;

  g_return_if_fail (gst_buffer_is_writable (buffer));

  meta = gst_buffer_get_reference_timestamp_meta (buffer, caps);
  if (meta != NULL) {
    meta->timestamp = utc_ns;
    return;
  }
  gst_buffer_add_reference_timestamp_meta (buffer, caps, utc_ns,
      GST_CLOCK_TIME_NONE);
}

/**
 * anninh_buffer_get_capture_time:
 * @buffer: a buffer
 * @utc_ns: (out): capture time in nanoseconds since the Unix epoch (UTC)
 *
 * Returns: %TRUE if @buffer carries a capture time.
 */
gboolean
anninh_buffer_get_capture_time (GstBuffer * buffer, guint64 * utc_ns)
{
  GstReferenceTimestampMeta *meta =
      gst_buffer_get_reference_timestamp_meta (buffer, capture_time_caps ());

  if (meta == NULL)
    return FALSE;
  if (utc_ns != NULL)
    *utc_ns = meta->timestamp;
  return TRUE;
}
