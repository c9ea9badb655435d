/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_MEDIA_SIGNING_WRITER_H__
#define __ANNINH_MEDIA_SIGNING_WRITER_H__

#include <glib.h>

#include <anninh/nal-units.h>
#include <anninh/signing-key.h>

G_BEGIN_DECLS

/**
 * SECTION:media-signing-writer
 * @title: Media Signing writer
 * @short_description: signs an H.264/H.265 byte stream the ONVIF Media
 *   Signing way, access unit by access unit
 *
 * Feed access units in decoding order with
 * anninh_media_signing_writer_push_au(); it tells where to insert which
 * SEI NAL units (all at one offset: before the first picture NAL unit of
 * the access unit). The picture NAL units are never modified.
 *
 * What it writes (see docs/elements/evidencemux.md for the byte layout):
 *
 * - a certificate SEI (crypto info, vendor info, certificate chain,
 *   signed) in the first access unit and again before the next keyframe
 *   after anninh_media_signing_writer_request_certificate();
 * - at each IDR/IRAP picture, the SEI of the GOP that just ended (general
 *   info, hash list, arbitrary data, signature), prepended to that
 *   keyframe; with gops-per-signature N > 1 only every Nth is signed, the
 *   others are unsigned, placed in the next access unit and hashed into
 *   the GOP they are in; a partial GOP SEI (always signed) when a GOP
 *   lasts longer than the maximum partial duration.
 *
 * The arbitrary data TLV of each GOP SEI holds the attribution document
 * of that (partial) GOP, JSON: camera id, location, capture time of its
 * first frame and of the next one, and the side data added with
 * anninh_media_signing_writer_add_side_data() meanwhile. It sits in the
 * signed GOP SEI, as the ONVIF reference implementation writes it: the
 * reference validator (r25.12.3) takes any Media Signing SEI for a GOP
 * SEI, so a separate arbitrary-data SEI as the spec text describes makes
 * it report the stream not authentic.
 *
 * Frames before the first keyframe are not signed.
 *
 * Not thread safe: one streaming thread at a time.
 */

typedef struct _AnninhMediaSigningWriter AnninhMediaSigningWriter;

AnninhMediaSigningWriter *anninh_media_signing_writer_new (AnninhNalCodec codec,
                                                           AnninhSigningKey * key);

void     anninh_media_signing_writer_free (AnninhMediaSigningWriter * writer);

void     anninh_media_signing_writer_set_gops_per_signature (AnninhMediaSigningWriter * writer,
                                                             guint gops);

void     anninh_media_signing_writer_set_max_partial_duration (AnninhMediaSigningWriter * writer,
                                                               guint64 duration_ns);

void     anninh_media_signing_writer_set_vendor_info (AnninhMediaSigningWriter * writer,
                                                      const gchar * firmware,
                                                      const gchar * serial,
                                                      const gchar * manufacturer);

void     anninh_media_signing_writer_set_attribution (AnninhMediaSigningWriter * writer,
                                                      const gchar * camera_id,
                                                      gdouble latitude,
                                                      gdouble longitude,
                                                      const gchar * address);

void     anninh_media_signing_writer_request_certificate (AnninhMediaSigningWriter * writer);

void     anninh_media_signing_writer_add_side_data (AnninhMediaSigningWriter * writer,
                                                    const gchar * json);

gboolean anninh_media_signing_writer_push_au (AnninhMediaSigningWriter * writer,
                                              const guint8 * au,
                                              gsize size,
                                              guint64 capture_time_ns,
                                              gsize * insert_offset,
                                              GPtrArray * seis,
                                              GError ** error);

gboolean anninh_media_signing_writer_finish (AnninhMediaSigningWriter * writer,
                                             GPtrArray * seis,
                                             GError ** error);

void     anninh_media_signing_writer_reset (AnninhMediaSigningWriter * writer);

guint64  anninh_media_signing_writer_get_signatures (AnninhMediaSigningWriter * writer);

guint64  anninh_media_signing_writer_get_certificates (AnninhMediaSigningWriter * writer);

G_END_DECLS

#endif /* __ANNINH_MEDIA_SIGNING_WRITER_H__ */
