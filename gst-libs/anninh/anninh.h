/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: umbrella header for libgstanninh-1.0. */
#ifndef __ANNINH_H__
#define __ANNINH_H__

#include <anninh/health-registry.h>
#include <anninh/capture-time.h>
#include <anninh/evidence-events.h>
#include <anninh/health-summary.h>
#include <anninh/health-json.h>
#include <anninh/health-metrics.h>
#include <anninh/health-page.h>
#include <anninh/nal-units.h>
#include <anninh/signing-key.h>
#include <anninh/media-signing-tlv.h>
#include <anninh/media-signing-writer.h>
#include <anninh/media-signing-reader.h>
#include <anninh/media-signing-validator.h>
#include <anninh/audit-log.h>
#include <anninh/viewer-accounts.h>

#endif /* __ANNINH_H__ */
