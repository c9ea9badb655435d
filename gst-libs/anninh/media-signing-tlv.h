/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_MEDIA_SIGNING_TLV_H__
#define __ANNINH_MEDIA_SIGNING_TLV_H__

#include <glib.h>

#include <anninh/nal-units.h>

G_BEGIN_DECLS

/**
 * SECTION:media-signing-tlv
 * @title: Media Signing TLV
 * @short_description: encoders of the ONVIF Media Signing SEI payload
 *
 * The TLV tags of ONVIF Media Signing (onvif/specs doc/MediaSigning.xml,
 * "SEI format"): each is one tag byte, a 16-bit big-endian length and the
 * value. All multi-byte integers are written big-endian (most significant
 * byte first), as the ONVIF reference implementation writes and reads
 * them (the spec text says little endian for the timestamps and the
 * counter; interoperability with the reference validator decides).
 *
 * These functions write the bytes without emulation prevention; the SEI is
 * escaped as a whole once complete.
 */

/**
 * ANNINH_MEDIA_SIGNING_UUID:
 *
 * The user_data_unregistered UUID of Media Signing,
 * 005bc93f-2d71-5e95-ada4-796f90877a6f, as 16 bytes.
 */
#define ANNINH_MEDIA_SIGNING_UUID \
  "\x00\x5b\xc9\x3f\x2d\x71\x5e\x95\xad\xa4\x79\x6f\x90\x87\x7a\x6f"

/**
 * ANNINH_MEDIA_SIGNING_SHA256_OID:
 *
 * DER encoding of the OID 2.16.840.1.101.3.4.2.1 (SHA-256), 11 bytes.
 */
#define ANNINH_MEDIA_SIGNING_SHA256_OID \
  "\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01"

/**
 * ANNINH_MEDIA_SIGNING_RSASSA_PSS_OID:
 *
 * DER encoding of the OID 1.2.840.113549.1.1.10 (RSASSA-PSS), 11 bytes.
 */
#define ANNINH_MEDIA_SIGNING_RSASSA_PSS_OID \
  "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a"

/**
 * AnninhMediaSigningTag:
 * @ANNINH_MEDIA_SIGNING_TAG_GENERAL: general (partial) GOP information
 * @ANNINH_MEDIA_SIGNING_TAG_HASH_LIST: list of NAL unit hashes
 * @ANNINH_MEDIA_SIGNING_TAG_SIGNATURE: the signature, always last
 * @ANNINH_MEDIA_SIGNING_TAG_CRYPTO_INFO: hash and signing algorithms
 * @ANNINH_MEDIA_SIGNING_TAG_VENDOR_INFO: firmware, serial, manufacturer
 * @ANNINH_MEDIA_SIGNING_TAG_CERTIFICATES: the certificate chain (PEM)
 * @ANNINH_MEDIA_SIGNING_TAG_ARBITRARY_DATA: vendor data, alone in an
 *   unsigned SEI
 */
typedef enum
{
  ANNINH_MEDIA_SIGNING_TAG_GENERAL = 1,
  ANNINH_MEDIA_SIGNING_TAG_HASH_LIST = 2,
  ANNINH_MEDIA_SIGNING_TAG_SIGNATURE = 3,
  ANNINH_MEDIA_SIGNING_TAG_CRYPTO_INFO = 4,
  ANNINH_MEDIA_SIGNING_TAG_VENDOR_INFO = 5,
  ANNINH_MEDIA_SIGNING_TAG_CERTIFICATES = 6,
  ANNINH_MEDIA_SIGNING_TAG_ARBITRARY_DATA = 7,
} AnninhMediaSigningTag;

/**
 * ANNINH_MEDIA_SIGNING_RESERVED_CERTIFICATE_SEI:
 *
 * Bit of the reserved byte marking a certificate SEI.
 */
#define ANNINH_MEDIA_SIGNING_RESERVED_CERTIFICATE_SEI 0x80

/**
 * ANNINH_MEDIA_SIGNING_RESERVED_HASHED_WITH_EPB:
 *
 * Bit of the reserved byte saying the document was hashed after emulation
 * prevention. gst-anninh never sets it: it hashes the unescaped bytes.
 */
#define ANNINH_MEDIA_SIGNING_RESERVED_HASHED_WITH_EPB 0x40

/**
 * AnninhMediaSigningGeneral:
 * @partial: signing was triggered before the end of the GOP
 * @start_time: UTC of the frame leading the (partial) GOP, 100 ns units
 *   since 1601-01-01
 * @end_time: UTC of the frame leading the next (partial) GOP, same units
 * @counter: running (partial) GOP counter
 * @n_nalus: number of NAL unit hashes in the (partial) GOP hash
 * @gop_hash: the (partial) GOP hash, hash size bytes
 * @linked_hash: hash of the first hashed NAL unit of the previous
 *   (partial) GOP, zeros for the first one
 *
 * The values of the general GOP information TLV (version 2).
 */
typedef struct
{
  gboolean partial;
  gint64 start_time;
  gint64 end_time;
  guint32 counter;
  guint16 n_nalus;
  const guint8 *gop_hash;
  const guint8 *linked_hash;
} AnninhMediaSigningGeneral;

gint64 anninh_media_signing_time_from_unix_ns (guint64 unix_ns);

void   anninh_media_signing_tlv_append_header (GByteArray * out,
                                               AnninhMediaSigningTag tag,
                                               gsize length);

void   anninh_media_signing_tlv_append_general (GByteArray * out,
                                                const AnninhMediaSigningGeneral * general,
                                                gsize hash_size);

void   anninh_media_signing_tlv_append_hash_list (GByteArray * out,
                                                  const guint8 * hashes,
                                                  gsize size);

void   anninh_media_signing_tlv_append_crypto_info (GByteArray * out,
                                                    const guint8 * hash_oid,
                                                    gsize hash_oid_size,
                                                    const guint8 * sign_oid,
                                                    gsize sign_oid_size,
                                                    guint16 rsa_bits);

void   anninh_media_signing_tlv_append_vendor_info (GByteArray * out,
                                                    const gchar * firmware,
                                                    const gchar * serial,
                                                    const gchar * manufacturer);

void   anninh_media_signing_tlv_append_certificates (GByteArray * out,
                                                     gboolean user_provisioned,
                                                     const gchar * pem,
                                                     gsize size);

void   anninh_media_signing_tlv_append_arbitrary_data (GByteArray * out,
                                                       const guint8 * data,
                                                       gsize size);

gsize  anninh_media_signing_tlv_signature_size (gsize max_signature_size);

void   anninh_media_signing_tlv_append_signature (GByteArray * out,
                                                  const guint8 * signature,
                                                  gsize size,
                                                  gsize max_size);

void   anninh_media_signing_sei_append_header (GByteArray * out,
                                               AnninhNalCodec codec,
                                               gsize payload_size);

G_END_DECLS

#endif /* __ANNINH_MEDIA_SIGNING_TLV_H__ */
