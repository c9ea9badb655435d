/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: plugin evidence. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstevidencemux.h"
#include "gstevidenceverify.h"
#include "gstevidencewatermark.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (evidencemux, plugin);
  ret |= GST_ELEMENT_REGISTER (evidenceverify, plugin);
  ret |= GST_ELEMENT_REGISTER (evidencewatermark, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, evidence,
    "Tamper-evident video: ONVIF Media Signing mux, verifier and visible watermark",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
