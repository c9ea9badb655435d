/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: ONVIF Media Signing TLV and SEI header encoders. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "media-signing-tlv.h"

/* Seconds from 1601-01-01 to 1970-01-01. */
#define EPOCH_1601_TO_1970_S G_GINT64_CONSTANT (11644473600)

/* The spec revision whose general TLV layout we write: [major, minor, patch];
 * patch is reserved for the reference implementation, 0 for everyone else. */
static const guint8 spec_version[3] = { 25, 12, 0 };

static void
put_u8 (GByteArray * out, guint8 v)
{
  g_byte_array_append (out, &v, 1);
}

static void
put_be (GByteArray * out, guint64 v, guint bytes)
{
  guint8 b[8];

  for (guint i = 0; i < bytes; i++)
    b[i] = (v >> (8 * (bytes - 1 - i))) & 0xff;
  g_byte_array_append (out, b, bytes);
}

/**
 * anninh_media_signing_time_from_unix_ns:
 * @unix_ns: nanoseconds since 1970-01-01 00:00:00 UTC
 *
 * Returns: the same instant as 100-nanosecond intervals since
 *   1601-01-01 00:00:00 UTC, the unit of the general TLV timestamps.
 */
gint64
anninh_media_signing_time_from_unix_ns (guint64 unix_ns)
{
  return (gint64) (unix_ns / 100) + EPOCH_1601_TO_1970_S * 10000000;
}

/**
 * anninh_media_signing_tlv_append_header:
 * @out: array to append to
 * @tag: the tag
 * @length: length of the value in bytes (at most 65535)
 *
 * Appends the tag byte and the 16-bit big-endian length.
 */
void
anninh_media_signing_tlv_append_header (GByteArray * out,
    AnninhMediaSigningTag tag, gsize length)
{
  g_return_if_fail (length <= G_MAXUINT16);
  put_u8 (out, tag);
  put_be (out, length, 2);
}

/**
 * anninh_media_signing_tlv_append_general:
 * @out: array to append to
 * @general: the values
 * @hash_size: size of @general's hashes (32 for SHA-256)
 *
 * Appends the general GOP information TLV, version 2: version, spec version
 * (3 bytes), partial flag, start and end time (8 bytes each), counter
 * (4 bytes), number of NAL units (2 bytes), GOP hash, linked hash. The
 * value is 27 + 2 * @hash_size bytes.
 */
void
anninh_media_signing_tlv_append_general (GByteArray * out,
    const AnninhMediaSigningGeneral * general, gsize hash_size)
{
  anninh_media_signing_tlv_append_header (out,
      ANNINH_MEDIA_SIGNING_TAG_GENERAL, 27 + 2 * hash_size);
  put_u8 (out, 2);
  g_byte_array_append (out, spec_version, 3);
  put_u8 (out, general->partial ? 1 : 0);
  put_be (out, (guint64) general->start_time, 8);
  put_be (out, (guint64) general->end_time, 8);
  put_be (out, general->counter, 4);
  put_be (out, general->n_nalus, 2);
  g_byte_array_append (out, general->gop_hash, hash_size);
  g_byte_array_append (out, general->linked_hash, hash_size);
}

/**
 * anninh_media_signing_tlv_append_hash_list:
 * @out: array to append to
 * @hashes: the NAL unit hashes, back to back
 * @size: their total size (at most 65534)
 *
 * Appends the hash list TLV, version 1.
 */
void
anninh_media_signing_tlv_append_hash_list (GByteArray * out,
    const guint8 * hashes, gsize size)
{
  anninh_media_signing_tlv_append_header (out,
      ANNINH_MEDIA_SIGNING_TAG_HASH_LIST, 1 + size);
  put_u8 (out, 1);
  g_byte_array_append (out, hashes, size);
}

/**
 * anninh_media_signing_tlv_append_crypto_info:
 * @out: array to append to
 * @hash_oid: DER encoded OID of the NAL unit hash algorithm
 * @hash_oid_size: its size
 * @sign_oid: (nullable): DER encoded OID of the signing algorithm, %NULL
 *   for ECDSA (the spec says it is not needed for EC)
 * @sign_oid_size: its size, 0 with %NULL
 * @rsa_bits: RSA key size in bits, 0 when RSA is not used
 *
 * Appends the cryptographic information TLV, version 1.
 */
void
anninh_media_signing_tlv_append_crypto_info (GByteArray * out,
    const guint8 * hash_oid, gsize hash_oid_size, const guint8 * sign_oid,
    gsize sign_oid_size, guint16 rsa_bits)
{
  anninh_media_signing_tlv_append_header (out,
      ANNINH_MEDIA_SIGNING_TAG_CRYPTO_INFO,
      1 + 1 + hash_oid_size + 1 + sign_oid_size + 2);
  put_u8 (out, 1);
  put_u8 (out, hash_oid_size);
  g_byte_array_append (out, hash_oid, hash_oid_size);
  put_u8 (out, sign_oid_size);
  if (sign_oid_size)
    g_byte_array_append (out, sign_oid, sign_oid_size);
  put_be (out, rsa_bits, 2);
}

static void
put_short_string (GByteArray * out, const gchar * s)
{
  gsize len = s ? MIN (strlen (s), 255) : 0;

  put_u8 (out, len);
  g_byte_array_append (out, (const guint8 *) s, len);
}

/**
 * anninh_media_signing_tlv_append_vendor_info:
 * @out: array to append to
 * @firmware: (nullable): firmware (software) version
 * @serial: (nullable): serial number or similar (gst-anninh: camera id)
 * @manufacturer: (nullable): who signs, i.e. where to get the CA
 *
 * Appends the ONVIF vendor information TLV, version 1; each string is
 * prefixed by its length and cut at 255 bytes.
 */
void
anninh_media_signing_tlv_append_vendor_info (GByteArray * out,
    const gchar * firmware, const gchar * serial, const gchar * manufacturer)
{
  gsize len = 1 + 3;

  len += firmware ? MIN (strlen (firmware), 255) : 0;
  len += serial ? MIN (strlen (serial), 255) : 0;
  len += manufacturer ? MIN (strlen (manufacturer), 255) : 0;
  anninh_media_signing_tlv_append_header (out,
      ANNINH_MEDIA_SIGNING_TAG_VENDOR_INFO, len);
  put_u8 (out, 1);
  put_short_string (out, firmware);
  put_short_string (out, serial);
  put_short_string (out, manufacturer);
}

/**
 * anninh_media_signing_tlv_append_certificates:
 * @out: array to append to
 * @user_provisioned: whether this is a user provisioned chain
 * @pem: the chain in PEM, without its CA certificate
 * @size: its size without a terminating NUL
 *
 * Appends the certificate chain TLV, version 1.
 */
void
anninh_media_signing_tlv_append_certificates (GByteArray * out,
    gboolean user_provisioned, const gchar * pem, gsize size)
{
  anninh_media_signing_tlv_append_header (out,
      ANNINH_MEDIA_SIGNING_TAG_CERTIFICATES, 2 + size);
  put_u8 (out, 1);
  put_u8 (out, user_provisioned ? 1 : 0);
  g_byte_array_append (out, (const guint8 *) pem, size);
}

/**
 * anninh_media_signing_tlv_append_arbitrary_data:
 * @out: array to append to
 * @data: the vendor data
 * @size: its size (at most 65534)
 *
 * Appends the arbitrary data TLV, version 1.
 */
void
anninh_media_signing_tlv_append_arbitrary_data (GByteArray * out,
    const guint8 * data, gsize size)
{
  anninh_media_signing_tlv_append_header (out,
      ANNINH_MEDIA_SIGNING_TAG_ARBITRARY_DATA, 1 + size);
  put_u8 (out, 1);
  g_byte_array_append (out, data, size);
}

/**
 * anninh_media_signing_tlv_signature_size:
 * @max_signature_size: the largest signature of the key
 *
 * Returns: the size of the whole signature TLV: it is fixed, so that the
 *   SEI payload size can be written before the document is signed.
 */
gsize
anninh_media_signing_tlv_signature_size (gsize max_signature_size)
{
  return 3 + 1 + 2 + max_signature_size;
}

/**
 * anninh_media_signing_tlv_append_signature:
 * @out: array to append to
 * @signature: the signature
 * @size: its actual size
 * @max_size: the reserved size; the unused bytes are 0x01
 *
 * Appends the signature TLV, version 1: version, actual size (2 bytes),
 * signature padded to @max_size.
 */
void
anninh_media_signing_tlv_append_signature (GByteArray * out,
    const guint8 * signature, gsize size, gsize max_size)
{
  g_return_if_fail (size <= max_size);
  anninh_media_signing_tlv_append_header (out,
      ANNINH_MEDIA_SIGNING_TAG_SIGNATURE, 1 + 2 + max_size);
  put_u8 (out, 1);
  put_be (out, size, 2);
  g_byte_array_append (out, signature, size);
  for (gsize i = size; i < max_size; i++)
    put_u8 (out, 0x01);
}

/**
 * anninh_media_signing_sei_append_header:
 * @out: array to append to
 * @codec: the codec
 * @payload_size: UUID + reserved byte + all TLVs, without emulation
 *   prevention and without the stop byte
 *
 * Appends the SEI NAL unit header (H.264 0x06; H.265 0x4e 0x01), the
 * payload type user_data_unregistered (5), the payload size (0xff bytes
 * then the rest) and the Media Signing UUID.
 */
void
anninh_media_signing_sei_append_header (GByteArray * out,
    AnninhNalCodec codec, gsize payload_size)
{
  if (codec == ANNINH_NAL_CODEC_H264) {
    put_u8 (out, 0x06);
  } else {
    put_u8 (out, 0x4e);
    put_u8 (out, 0x01);
  }
  put_u8 (out, 0x05);
  while (payload_size >= 0xff) {
    put_u8 (out, 0xff);
    payload_size -= 0xff;
  }
  put_u8 (out, payload_size);
  g_byte_array_append (out, (const guint8 *) ANNINH_MEDIA_SIGNING_UUID, 16);
}
