/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: NAL unit splitting, classification, emulation prevention. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "nal-units.h"

/* Returns the offset of the next 00 00 01 at or after @from, or @size. */
static gsize
find_start_code (const guint8 * data, gsize size, gsize from)
{
  gsize i = from;

  while (i + 3 <= size) {
    const guint8 *p = memchr (data + i, 0x01, size - i);
    gsize at;

    if (p == NULL)
      return size;
    at = p - data;
    if (at >= i + 2 && at >= 2 && data[at - 1] == 0 && data[at - 2] == 0)
      return at - 2;
    i = at + 1;
  }
  return size;
}

/**
 * anninh_nal_units_split:
 * @data: an access unit in byte-stream format (Annex B)
 * @size: its size in bytes
 * @units: (element-type AnninhNalUnit): array the NAL units are appended to
 *
 * Splits an Annex B access unit at its start codes (3 or 4 bytes). Bytes
 * before the first start code, if any, are ignored. Malformed input never
 * reads out of bounds; a NAL unit of zero bytes is skipped.
 */
void
anninh_nal_units_split (const guint8 * data, gsize size, GArray * units)
{
  gsize sc;

  g_return_if_fail (units != NULL);
  if (data == NULL || size < 3)
    return;

  sc = find_start_code (data, size, 0);
  while (sc < size) {
    AnninhNalUnit u;
    gsize next, last;

    /* a zero byte right before 00 00 01 makes it a 4-byte start code */
    u.start = (sc > 0 && data[sc - 1] == 0) ? sc - 1 : sc;
    u.offset = sc + 3;
    next = find_start_code (data, size, u.offset);
    last = next;
    while (last > u.offset && data[last - 1] == 0)
      last--;
    u.size = last - u.offset;
    u.end = next;
    if (next < size && data[next - 1] == 0 && next - 1 >= last)
      u.end = next - 1;
    if (u.size > 0)
      g_array_append_val (units, u);
    sc = next;
  }
}

/**
 * anninh_nal_header_size:
 * @codec: the codec
 *
 * Returns: 1 for H.264, 2 for H.265.
 */
guint
anninh_nal_header_size (AnninhNalCodec codec)
{
  return codec == ANNINH_NAL_CODEC_H264 ? 1 : 2;
}

/**
 * anninh_nal_unit_type:
 * @codec: the codec
 * @nal: the NAL unit, from its header
 * @size: its size
 *
 * Returns: nal_unit_type (5 bits for H.264, 6 bits for H.265), or 0xff when
 *   @size is 0.
 */
guint
anninh_nal_unit_type (AnninhNalCodec codec, const guint8 * nal, gsize size)
{
  if (nal == NULL || size == 0)
    return 0xff;
  if (codec == ANNINH_NAL_CODEC_H264)
    return nal[0] & 0x1f;
  return (nal[0] >> 1) & 0x3f;
}

/**
 * anninh_nal_unit_classify:
 * @codec: the codec
 * @nal: the NAL unit, from its header
 * @size: its size
 *
 * Returns: the #AnninhNalClass of the NAL unit; a NAL unit with the
 *   forbidden_zero_bit set or too short for its header is
 *   %ANNINH_NAL_CLASS_OTHER.
 */
AnninhNalClass
anninh_nal_unit_classify (AnninhNalCodec codec, const guint8 * nal,
    gsize size)
{
  guint type;

  if (nal == NULL || size < anninh_nal_header_size (codec) || nal[0] & 0x80)
    return ANNINH_NAL_CLASS_OTHER;

  type = anninh_nal_unit_type (codec, nal, size);
  if (codec == ANNINH_NAL_CODEC_H264) {
    switch (type) {
      case 1:
        return ANNINH_NAL_CLASS_INTER;
      case 5:
        return ANNINH_NAL_CLASS_INTRA;
      case 6:
        return ANNINH_NAL_CLASS_SEI;
      case 7:
      case 8:
      case 13:
      case 15:
        return ANNINH_NAL_CLASS_PARAMETER_SET;
      case 9:
        return ANNINH_NAL_CLASS_AUD;
      default:
        return ANNINH_NAL_CLASS_OTHER;
    }
  }

  switch (type) {
    case 0:
    case 1:
      return ANNINH_NAL_CLASS_INTER;
    case 16:
    case 17:
    case 18:
    case 19:
    case 20:
    case 21:
      return ANNINH_NAL_CLASS_INTRA;
    case 32:
    case 33:
    case 34:
      return ANNINH_NAL_CLASS_PARAMETER_SET;
    case 35:
      return ANNINH_NAL_CLASS_AUD;
    case 39:
    case 40:
      return ANNINH_NAL_CLASS_SEI;
    default:
      return ANNINH_NAL_CLASS_OTHER;
  }
}

/**
 * anninh_nal_unit_is_first_slice:
 * @codec: the codec
 * @nal: a slice NAL unit, from its header
 * @size: its size
 *
 * Whether this is the first slice of its picture: H.264 first_mb_in_slice
 * is 0 (its ue(v) code is the single bit 1), H.265
 * first_slice_segment_in_pic_flag is 1.
 *
 * Returns: %TRUE for the first (primary) slice of a picture.
 */
gboolean
anninh_nal_unit_is_first_slice (AnninhNalCodec codec, const guint8 * nal,
    gsize size)
{
  guint h = anninh_nal_header_size (codec);

  if (nal == NULL || size <= h)
    return FALSE;
  return (nal[h] & 0x80) != 0;
}

/**
 * anninh_nal_add_emulation_prevention:
 * @rbsp: bytes without emulation prevention
 * @size: their number
 * @out: array the escaped bytes are appended to
 *
 * Inserts an emulation_prevention_three_byte (0x03) wherever two zero
 * bytes are followed by a byte of 0x03 or less (H.264 7.4.1, H.265 7.4.2).
 * The zero counter starts afresh at @rbsp: call it on a whole NAL unit.
 */
void
anninh_nal_add_emulation_prevention (const guint8 * rbsp, gsize size,
    GByteArray * out)
{
  guint zeros = 0;
  gsize run = 0;

  g_return_if_fail (out != NULL);

  for (gsize i = 0; i < size; i++) {
    if (zeros >= 2 && rbsp[i] <= 0x03) {
      static const guint8 epb = 0x03;
      g_byte_array_append (out, rbsp + run, i - run);
      g_byte_array_append (out, &epb, 1);
      run = i;
      zeros = 0;
    }
    zeros = rbsp[i] == 0 ? zeros + 1 : 0;
  }
  g_byte_array_append (out, rbsp + run, size - run);
}

/**
 * anninh_nal_remove_emulation_prevention:
 * @ebsp: bytes of a NAL unit as transmitted
 * @size: their number
 * @out: array the unescaped bytes are appended to
 *
 * Drops every 0x03 that follows two zero bytes: the inverse of
 * anninh_nal_add_emulation_prevention().
 */
void
anninh_nal_remove_emulation_prevention (const guint8 * ebsp, gsize size,
    GByteArray * out)
{
  guint zeros = 0;
  gsize run = 0;

  g_return_if_fail (out != NULL);

  for (gsize i = 0; i < size; i++) {
    if (zeros >= 2 && ebsp[i] == 0x03) {
      g_byte_array_append (out, ebsp + run, i - run);
      run = i + 1;
      zeros = 0;
      continue;
    }
    zeros = ebsp[i] == 0 ? zeros + 1 : 0;
  }
  g_byte_array_append (out, ebsp + run, size - run);
}
