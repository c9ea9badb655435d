/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_CAPTURE_TIME_H__
#define __ANNINH_CAPTURE_TIME_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * SECTION:capture-time
 * @title: Capture time
 * @short_description: the wall-clock time a frame was captured, on the buffer
 *
 * ipcamsrc puts the UTC capture time of every frame on its buffer as a
 * #GstReferenceTimestampMeta whose reference caps are
 * %ANNINH_CAPTURE_TIME_CAPS ("timestamp/x-unix": nanoseconds since
 * 1970-01-01 00:00:00 UTC). evidencemux signs it, retentionsink names and
 * indexes segments by it.
 */
#define ANNINH_CAPTURE_TIME_CAPS "timestamp/x-unix"

void     anninh_buffer_add_capture_time (GstBuffer * buffer, guint64 utc_ns);

gboolean anninh_buffer_get_capture_time (GstBuffer * buffer,
                                         guint64 * utc_ns);

G_END_DECLS

#endif /* __ANNINH_CAPTURE_TIME_H__ */
