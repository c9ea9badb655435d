/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: ONVIF Media Signing reader (verifier side), written from the
 * specification text, independent of the signer's code. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "media-signing-reader.h"

const guint8 anninh_ms_uuid[16] = {
  0x00, 0x5b, 0xc9, 0x3f, 0x2d, 0x71, 0x5e, 0x95,
  0xad, 0xa4, 0x79, 0x6f, 0x90, 0x87, 0x7a, 0x6f
};

G_DEFINE_QUARK (anninh-media-signing-reader-error-quark,
    anninh_ms_reader_error);

#define NO_START_CODE G_MAXSIZE

/* Returns the offset of the first byte after the next start code at or after
 * @from, or NO_START_CODE if none. */
static gsize
find_start_code_end (const guint8 * data, gsize size, gsize from)
{
  gsize i = from;

  while (i + 3 <= size) {
    const guint8 *p = memchr (data + i + 2, 0x01, size - i - 2);
    gsize pos;

    if (p == NULL)
      return NO_START_CODE;
    pos = p - data;
    if (data[pos - 1] == 0 && data[pos - 2] == 0)
      return pos + 1;
    i = pos - 1;
  }
  return NO_START_CODE;
}

gboolean
anninh_ms_next_nal (const guint8 * data, gsize size, gsize * offset,
    const guint8 ** nal_data, gsize * nal_size)
{
  gsize start, next, end;

  g_return_val_if_fail (offset != NULL, FALSE);

  if (data == NULL || *offset >= size)
    return FALSE;

  start = *offset;
  /* At the very beginning (or after data without start code) look for one. */
  if (start == 0 || !(start >= 3 && data[start - 1] == 1 && data[start - 2] == 0
          && data[start - 3] == 0)) {
    start = find_start_code_end (data, size, start);
    if (start == NO_START_CODE || start >= size) {
      *offset = size;
      return FALSE;
    }
  }

  next = find_start_code_end (data, size, start);
  if (next == NO_START_CODE) {
    end = size;
    *offset = size;
  } else {
    end = next - 3;
    *offset = next;
  }
  /* Trailing zero bytes belong to the next start code (or are
   * trailing_zero_8bits), never to the NAL unit. */
  while (end > start && data[end - 1] == 0x00)
    end--;

  if (end == start)
    return anninh_ms_next_nal (data, size, offset, nal_data, nal_size);

  *nal_data = data + start;
  *nal_size = end - start;
  return TRUE;
}

gsize
anninh_ms_remove_emulation_prevention (const guint8 * in, gsize in_size,
    guint8 * out, gsize * raw_offsets)
{
  gsize i, o = 0;
  guint zeros = 0;

  for (i = 0; i < in_size; i++) {
    guint8 b = in[i];

    if (zeros >= 2 && b == 0x03) {
      /* emulation_prevention_three_byte: dropped. */
      zeros = 0;
      continue;
    }
    if (raw_offsets)
      raw_offsets[o] = i;
    out[o++] = b;
    zeros = (b == 0) ? zeros + 1 : 0;
  }
  return o;
}

static AnninhMsNalKind
h264_kind (guint8 type)
{
  switch (type) {
    case 1:
      return ANNINH_MS_NAL_SLICE_P;
    case 5:
      return ANNINH_MS_NAL_SLICE_I;
    case 6:
      return ANNINH_MS_NAL_SEI;
    case 7:
    case 8:
    case 13:
    case 15:
      return ANNINH_MS_NAL_PARAMETER_SET;
    case 9:
      return ANNINH_MS_NAL_AUD;
    default:
      return ANNINH_MS_NAL_OTHER;
  }
}

static AnninhMsNalKind
h265_kind (guint8 type)
{
  if (type <= 1)
    return ANNINH_MS_NAL_SLICE_P;
  if (type >= 16 && type <= 21)
    return ANNINH_MS_NAL_SLICE_I;
  switch (type) {
    case 32:
    case 33:
    case 34:
      return ANNINH_MS_NAL_PARAMETER_SET;
    case 35:
      return ANNINH_MS_NAL_AUD;
    case 39:
    case 40:
      return ANNINH_MS_NAL_SEI;
    default:
      /* TSA, STSA, RADL, RASL and reserved types: not hashed, as the
       * reference implementation does. */
      return ANNINH_MS_NAL_OTHER;
  }
}

/* Reads the SEI payload type and size starting at @p (NAL header skipped);
 * returns the offset of the payload in @d or 0 on truncation. */
static gsize
sei_payload_start (const guint8 * d, gsize n, gsize p, guint * type,
    gsize * payload_size)
{
  guint t = 0;
  gsize s = 0;

  while (p < n && d[p] == 0xff) {
    t += 255;
    p++;
  }
  if (p >= n)
    return 0;
  t += d[p++];
  while (p < n && d[p] == 0xff) {
    s += 255;
    p++;
  }
  if (p >= n)
    return 0;
  s += d[p++];
  *type = t;
  *payload_size = s;
  return p;
}

gboolean
anninh_ms_nal_parse (AnninhMsCodec codec, const guint8 * data, gsize size,
    AnninhMsNal * nal)
{
  guint hdr = codec == ANNINH_MS_CODEC_H264 ? 1 : 2;

  memset (nal, 0, sizeof (*nal));
  nal->data = data;
  nal->size = size;
  if (data == NULL || size < hdr)
    return FALSE;

  if (codec == ANNINH_MS_CODEC_H264) {
    nal->nal_type = data[0] & 0x1f;
    nal->kind = h264_kind (nal->nal_type);
  } else {
    nal->nal_type = (data[0] >> 1) & 0x3f;
    nal->kind = h265_kind (nal->nal_type);
  }

  if (nal->kind == ANNINH_MS_NAL_SLICE_I || nal->kind == ANNINH_MS_NAL_SLICE_P) {
    /* H.264 first_mb_in_slice == 0 is ue(v) '1'; H.265
     * first_slice_segment_in_pic_flag: both are the top bit. */
    nal->primary = size > hdr && (data[hdr] & 0x80);
  } else if (nal->kind == ANNINH_MS_NAL_SEI) {
    guint type;
    gsize psize, p;

    /* The UUID sits right after type and size bytes; emulation prevention
     * cannot occur in them (no two zero bytes before it matter here except
     * the UUID's first byte 0x00 which cannot form 0x000003 with a size
     * byte of zero only if the size is zero). Parse on a small unescaped
     * prefix to be safe. */
    guint8 head[32];
    gsize raw = MIN (size, sizeof (head));
    gsize n = anninh_ms_remove_emulation_prevention (data, raw, head, NULL);

    p = sei_payload_start (head, n, hdr, &type, &psize);
    if (p != 0 && type == 5 && p + 16 <= n
        && memcmp (head + p, anninh_ms_uuid, 16) == 0)
      nal->is_ms_sei = TRUE;
  }
  return TRUE;
}

static gboolean
fail (GError ** error, const gchar * what)
{
  g_set_error (error, ANNINH_MS_READER_ERROR, 0, "malformed signing SEI: %s",
      what);
  return FALSE;
}

static gboolean
parse_tlv_value (AnninhMsSei * sei, const AnninhMsTlv * t, GError ** error)
{
  const guint8 *v = t->value;
  gsize n = t->length;

  switch (t->tag) {
    case ANNINH_MS_TAG_GENERAL:{
      gsize fixed;

      if (n < 1)
        return fail (error, "empty general TLV");
      sei->general_version = v[0];
      /* version(1) spec(3) partial(1) [start(8) end(8)] counter(4) n(2) */
      fixed = v[0] >= 2 ? 27 : 19;
      if (n < fixed + 2 || ((n - fixed) % 2) != 0)
        return fail (error, "general TLV has a wrong length");
      memcpy (sei->spec_version, v + 1, 3);
      sei->partial_gop = v[4] != 0;
      v += 5;
      sei->start_ts_raw = 0;
      for (guint i = 0; i < 8; i++)
        sei->start_ts_raw = (sei->start_ts_raw << 8) | v[i];
      v += 8;
      if (t->value[0] >= 2) {
        sei->end_ts_raw = 0;
        for (guint i = 0; i < 8; i++)
          sei->end_ts_raw = (sei->end_ts_raw << 8) | v[i];
        v += 8;
      } else {
        sei->end_ts_raw = sei->start_ts_raw;
      }
      sei->gop_counter = ((guint32) v[0] << 24) | ((guint32) v[1] << 16) |
          ((guint32) v[2] << 8) | v[3];
      sei->n_nalus = ((guint16) v[4] << 8) | v[5];
      v += 6;
      sei->hash_size = (n - fixed) / 2;
      if (sei->hash_size > 64)
        return fail (error, "hash longer than 64 bytes");
      sei->gop_hash = v;
      sei->linked_hash = v + sei->hash_size;
      sei->has_general = TRUE;
      break;
    }
    case ANNINH_MS_TAG_HASH_LIST:
      if (n < 1)
        return fail (error, "empty hash list TLV");
      sei->hash_list = v + 1;
      sei->hash_list_size = n - 1;
      break;
    case ANNINH_MS_TAG_SIGNATURE:{
      gsize actual;

      if (n < 3)
        return fail (error, "short signature TLV");
      actual = ((gsize) v[1] << 8) | v[2];
      if (actual > n - 3)
        return fail (error, "signature longer than its TLV");
      sei->signature = v + 3;
      sei->signature_size = actual;
      break;
    }
    case ANNINH_MS_TAG_CRYPTO_INFO:{
      gsize p = 1, l;

      if (n < 2)
        return fail (error, "short cryptographic information TLV");
      l = v[p++];
      if (p + l + 1 > n)
        return fail (error, "truncated hash algorithm OID");
      sei->hash_oid = v + p;
      sei->hash_oid_size = l;
      p += l;
      l = v[p++];
      if (p + l > n)
        return fail (error, "truncated signing algorithm OID");
      sei->sign_oid = v + p;
      sei->sign_oid_size = l;
      break;
    }
    case ANNINH_MS_TAG_VENDOR_INFO:{
      gsize p = 1, l;
      const gchar **str[3] = { &sei->firmware, &sei->serial,
        &sei->manufacturer
      };
      gsize *len[3] = { &sei->firmware_size, &sei->serial_size,
        &sei->manufacturer_size
      };

      if (n < 1)
        return fail (error, "empty vendor information TLV");
      for (guint i = 0; i < 3; i++) {
        if (p >= n)
          return fail (error, "truncated vendor information TLV");
        l = v[p++];
        if (p + l > n)
          return fail (error, "truncated vendor information string");
        *str[i] = (const gchar *) v + p;
        *len[i] = l;
        p += l;
      }
      sei->has_vendor = TRUE;
      break;
    }
    case ANNINH_MS_TAG_CERTIFICATES:
      if (n < 3)
        return fail (error, "short certificate chain TLV");
      if (sei->n_certs >= 2)
        return fail (error, "more than two certificate chains");
      sei->cert_user_provisioned[sei->n_certs] = v[1] != 0;
      sei->cert_pem[sei->n_certs] = (const gchar *) v + 2;
      sei->cert_pem_size[sei->n_certs] = n - 2;
      sei->n_certs++;
      break;
    case ANNINH_MS_TAG_ARBITRARY_DATA:
      g_ptr_array_add (sei->arbitrary, g_bytes_new (v, n));
      break;
    default:
      /* Unknown tags are kept in the list and otherwise ignored. */
      break;
  }
  return TRUE;
}

gboolean
anninh_ms_sei_parse (AnninhMsCodec codec, const guint8 * nal, gsize nal_size,
    AnninhMsSei * sei, GError ** error)
{
  guint hdr = codec == ANNINH_MS_CODEC_H264 ? 1 : 2;
  gsize *offsets, p, payload_size, payload_end, tlv_start, sig_tag = 0;
  guint type;
  gboolean have_sig = FALSE;

  memset (sei, 0, sizeof (*sei));
  sei->tlvs = g_array_new (FALSE, FALSE, sizeof (AnninhMsTlv));
  sei->arbitrary = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_bytes_unref);

  if (nal == NULL || nal_size < hdr + 2)
    return fail (error, "too short");

  sei->rbsp = g_malloc (nal_size);
  offsets = g_new (gsize, nal_size);
  /* A SEI whose size is exactly what its payload size field says was
   * written without emulation prevention (the reference implementation's
   * default, possible in length-prefixed containers): take it as it is. */
  p = sei_payload_start (nal, nal_size, hdr, &type, &payload_size);
  if (p != 0 && (p + payload_size + 1 == nal_size
          || p + payload_size == nal_size)) {
    memcpy (sei->rbsp, nal, nal_size);
    for (gsize i = 0; i < nal_size; i++)
      offsets[i] = i;
    sei->rbsp_size = nal_size;
  } else {
    sei->rbsp_size = anninh_ms_remove_emulation_prevention (nal, nal_size,
        sei->rbsp, offsets);
  }

  p = sei_payload_start (sei->rbsp, sei->rbsp_size, hdr, &type,
      &payload_size);
  if (p == 0 || type != 5) {
    g_free (offsets);
    return fail (error, "not a user data unregistered SEI");
  }
  if (payload_size < 17 || p + payload_size > sei->rbsp_size) {
    g_free (offsets);
    return fail (error, "payload size beyond the NAL unit");
  }
  if (memcmp (sei->rbsp + p, anninh_ms_uuid, 16) != 0) {
    g_free (offsets);
    return fail (error, "not a Media Signing UUID");
  }
  payload_end = p + payload_size;
  sei->flags = sei->rbsp[p + 16];
  tlv_start = p + 17;

  for (p = tlv_start; p < payload_end;) {
    AnninhMsTlv t;

    if (p + 3 > payload_end) {
      g_free (offsets);
      return fail (error, "truncated TLV header");
    }
    t.tag = sei->rbsp[p];
    t.length = ((guint16) sei->rbsp[p + 1] << 8) | sei->rbsp[p + 2];
    if (p + 3 + t.length > payload_end) {
      g_free (offsets);
      return fail (error, "TLV longer than the payload");
    }
    t.value = sei->rbsp + p + 3;
    if (t.tag == ANNINH_MS_TAG_SIGNATURE && !have_sig) {
      have_sig = TRUE;
      sig_tag = p;
    } else if (have_sig) {
      g_free (offsets);
      return fail (error, "a TLV follows the signature");
    }
    g_array_append_val (sei->tlvs, t);
    p += 3 + t.length;
  }

  for (guint i = 0; i < sei->tlvs->len; i++) {
    if (!parse_tlv_value (sei, &g_array_index (sei->tlvs, AnninhMsTlv, i),
            error)) {
      g_free (offsets);
      return FALSE;
    }
  }

  sei->is_signed = have_sig;
  if (!have_sig) {
    sei->document = nal;
    sei->document_size = nal_size;
  } else if (sei->flags & ANNINH_MS_FLAG_EP_BEFORE_HASH) {
    /* Hashed as transmitted: the raw bytes up to the signature tag. */
    sei->document = nal;
    sei->document_size = offsets[sig_tag];
  } else {
    sei->document = sei->rbsp;
    sei->document_size = sig_tag;
  }
  g_free (offsets);
  return TRUE;
}

void
anninh_ms_sei_clear (AnninhMsSei * sei)
{
  if (sei == NULL)
    return;
  g_free (sei->rbsp);
  if (sei->tlvs)
    g_array_unref (sei->tlvs);
  if (sei->arbitrary)
    g_ptr_array_unref (sei->arbitrary);
  memset (sei, 0, sizeof (*sei));
}
