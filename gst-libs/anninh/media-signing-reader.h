/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: ONVIF Media Signing reader (verifier side).
 *
 * An independent reader of H.264/H.265 byte-streams carrying ONVIF Media
 * Signing SEI NAL units (spec: onvif/specs doc/MediaSigning.xml): a NAL unit
 * splitter, emulation prevention removal, NAL unit classification and the
 * TLV parser of the signing SEI. It never trusts a length field: malformed or
 * truncated input yields an error, never a read out of bounds.
 */
#ifndef __ANNINH_MEDIA_SIGNING_READER_H__
#define __ANNINH_MEDIA_SIGNING_READER_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  ANNINH_MS_CODEC_H264,
  ANNINH_MS_CODEC_H265,
} AnninhMsCodec;

typedef enum
{
  ANNINH_MS_NAL_OTHER,          /* ignored by Media Signing */
  ANNINH_MS_NAL_SLICE_I,        /* IDR / IRAP slice: starts a GOP */
  ANNINH_MS_NAL_SLICE_P,        /* any other picture slice */
  ANNINH_MS_NAL_SEI,
  ANNINH_MS_NAL_PARAMETER_SET,
  ANNINH_MS_NAL_AUD,
} AnninhMsNalKind;

/* The UUID of the Media Signing user data unregistered SEI. */
extern const guint8 anninh_ms_uuid[16];

/* Flags of the reserved byte after the UUID. */
#define ANNINH_MS_FLAG_CERTIFICATE_SEI 0x80
#define ANNINH_MS_FLAG_EP_BEFORE_HASH  0x40

/* TLV tags of the signing SEI. */
typedef enum
{
  ANNINH_MS_TAG_GENERAL = 1,
  ANNINH_MS_TAG_HASH_LIST = 2,
  ANNINH_MS_TAG_SIGNATURE = 3,
  ANNINH_MS_TAG_CRYPTO_INFO = 4,
  ANNINH_MS_TAG_VENDOR_INFO = 5,
  ANNINH_MS_TAG_CERTIFICATES = 6,
  ANNINH_MS_TAG_ARBITRARY_DATA = 7,
} AnninhMsTag;

typedef struct
{
  AnninhMsNalKind kind;
  guint8 nal_type;              /* codec NAL unit type */
  gboolean primary;             /* first slice of its picture */
  gboolean is_ms_sei;           /* a Media Signing SEI (UUID matched) */
  /* The NAL unit as in the stream, header to stop bit, start code and
   * trailing zero bytes removed (what Media Signing hashes). */
  const guint8 *data;
  gsize size;
} AnninhMsNal;

/* Splits an Annex B byte-stream: starting at *offset, finds the next NAL unit
 * and returns it in @nal_data/@nal_size (start code and trailing zero bytes
 * excluded); advances *offset. Returns FALSE when no NAL unit is left. Data
 * before the first start code is skipped. */
gboolean anninh_ms_next_nal (const guint8 * data, gsize size, gsize * offset,
    const guint8 ** nal_data, gsize * nal_size);

/* Removes emulation prevention bytes (0x000003 -> 0x0000) from @in into @out
 * (at least @in_size bytes). Returns the number of bytes written. If
 * @raw_offsets is not NULL it receives, for each output byte, the offset of
 * that byte in @in (array of at least @in_size entries). */
gsize anninh_ms_remove_emulation_prevention (const guint8 * in, gsize in_size,
    guint8 * out, gsize * raw_offsets);

/* Classifies a NAL unit (header, primary slice, Media Signing SEI). Returns
 * FALSE if the NAL unit is too short to have a header. */
gboolean anninh_ms_nal_parse (AnninhMsCodec codec, const guint8 * data,
    gsize size, AnninhMsNal * nal);

typedef struct
{
  guint8 tag;
  guint16 length;
  const guint8 *value;          /* points into AnninhMsSei.rbsp */
} AnninhMsTlv;

typedef struct
{
  /* Owned copy of the NAL unit with emulation prevention removed. */
  guint8 *rbsp;
  gsize rbsp_size;
  guint8 flags;                 /* the reserved byte */
  GArray *tlvs;                 /* of AnninhMsTlv, in stream order */

  /* The document: the bytes that were hashed for signing (NAL header up to,
   * excluding, the signature tag), either in @rbsp or in the raw NAL unit
   * according to ANNINH_MS_FLAG_EP_BEFORE_HASH. Points into memory owned by
   * this struct or by the caller's NAL unit. For an unsigned SEI: the whole
   * NAL unit. */
  const guint8 *document;
  gsize document_size;
  gboolean is_signed;

  /* Signature TLV, if present. */
  const guint8 *signature;
  gsize signature_size;

  /* General GOP information TLV, if present. */
  gboolean has_general;
  guint8 general_version;
  guint8 spec_version[3];
  gboolean partial_gop;
  guint64 start_ts_raw;         /* as written, big-endian read */
  guint64 end_ts_raw;
  guint32 gop_counter;
  guint16 n_nalus;
  gsize hash_size;
  const guint8 *gop_hash;
  const guint8 *linked_hash;

  /* Hash list TLV, if present (n_hashes * hash_size bytes). */
  const guint8 *hash_list;
  gsize hash_list_size;

  /* Cryptographic information TLV. */
  const guint8 *hash_oid;
  gsize hash_oid_size;
  const guint8 *sign_oid;
  gsize sign_oid_size;

  /* Vendor info TLV (not NUL-terminated: use the sizes). */
  gboolean has_vendor;
  const gchar *firmware;
  gsize firmware_size;
  const gchar *serial;
  gsize serial_size;
  const gchar *manufacturer;
  gsize manufacturer_size;

  /* Certificate chain TLVs (up to two: manufacturer, user provisioned). */
  guint n_certs;
  const gchar *cert_pem[2];
  gsize cert_pem_size[2];
  gboolean cert_user_provisioned[2];

  /* Arbitrary data TLVs. */
  GPtrArray *arbitrary;         /* of GBytes */
} AnninhMsSei;

/* Parses a Media Signing SEI NAL unit (as returned by anninh_ms_next_nal,
 * anninh_ms_nal_parse must have said is_ms_sei). Fills @sei, which must be
 * cleared with anninh_ms_sei_clear() whatever the result. Returns FALSE and
 * sets @error when the SEI is malformed. */
gboolean anninh_ms_sei_parse (AnninhMsCodec codec, const guint8 * nal,
    gsize nal_size, AnninhMsSei * sei, GError ** error);
void anninh_ms_sei_clear (AnninhMsSei * sei);

#define ANNINH_MS_READER_ERROR (anninh_ms_reader_error_quark ())
GQuark anninh_ms_reader_error_quark (void);

G_END_DECLS

#endif /* __ANNINH_MEDIA_SIGNING_READER_H__ */
