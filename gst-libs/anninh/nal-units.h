/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_NAL_UNITS_H__
#define __ANNINH_NAL_UNITS_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * SECTION:nal-units
 * @title: NAL units
 * @short_description: split H.264/H.265 byte-stream access units, classify
 *   NAL units the way ONVIF Media Signing does, emulation prevention
 *
 * Everything the Media Signing writer needs to know about NAL units, and
 * nothing more. It does not parse slice headers beyond the first bit
 * (whether a slice is the first slice of its picture).
 */

/**
 * AnninhNalCodec:
 * @ANNINH_NAL_CODEC_H264: ITU-T H.264 (1-byte NAL unit header)
 * @ANNINH_NAL_CODEC_H265: ITU-T H.265 (2-byte NAL unit header)
 */
typedef enum
{
  ANNINH_NAL_CODEC_H264,
  ANNINH_NAL_CODEC_H265,
} AnninhNalCodec;

/**
 * AnninhNalClass:
 * @ANNINH_NAL_CLASS_OTHER: anything else (not hashed)
 * @ANNINH_NAL_CLASS_INTRA: a slice of an intra random access picture
 *   (H.264 IDR; H.265 BLA, IDR, CRA): it starts a GOP (hashed)
 * @ANNINH_NAL_CLASS_INTER: a slice of a non-IRAP picture (H.264 type 1;
 *   H.265 TRAIL_N/TRAIL_R) (hashed)
 * @ANNINH_NAL_CLASS_SEI: an SEI NAL unit (hashed only when it is an
 *   unsigned Media Signing SEI)
 * @ANNINH_NAL_CLASS_PARAMETER_SET: SPS, PPS, VPS (not hashed)
 * @ANNINH_NAL_CLASS_AUD: access unit delimiter (not hashed)
 *
 * The classes follow the ONVIF Media Signing reference implementation
 * (onvif/media-signing-framework), so that its validator and ours hash the
 * very same NAL units. H.264 slice data partitions and the H.265 TSA, STSA,
 * RADL and RASL slices are %ANNINH_NAL_CLASS_OTHER there, hence here.
 */
typedef enum
{
  ANNINH_NAL_CLASS_OTHER,
  ANNINH_NAL_CLASS_INTRA,
  ANNINH_NAL_CLASS_INTER,
  ANNINH_NAL_CLASS_SEI,
  ANNINH_NAL_CLASS_PARAMETER_SET,
  ANNINH_NAL_CLASS_AUD,
} AnninhNalClass;

/**
 * AnninhNalUnit:
 * @start: offset of the start code in the access unit
 * @offset: offset of the first byte of the NAL unit header
 * @size: bytes from @offset to the last non-zero byte (the byte holding the
 *   rbsp stop bit); trailing zero bytes are not part of it
 * @end: offset just past this NAL unit and its trailing zero bytes, that
 *   is the start of the next start code or the end of the access unit
 *
 * One NAL unit of a byte-stream access unit.
 */
typedef struct
{
  gsize start;
  gsize offset;
  gsize size;
  gsize end;
} AnninhNalUnit;

void           anninh_nal_units_split (const guint8 * data, gsize size,
                                       GArray * units);

guint          anninh_nal_unit_type (AnninhNalCodec codec,
                                     const guint8 * nal, gsize size);

AnninhNalClass anninh_nal_unit_classify (AnninhNalCodec codec,
                                         const guint8 * nal, gsize size);

gboolean       anninh_nal_unit_is_first_slice (AnninhNalCodec codec,
                                               const guint8 * nal,
                                               gsize size);

guint          anninh_nal_header_size (AnninhNalCodec codec);

void           anninh_nal_add_emulation_prevention (const guint8 * rbsp,
                                                    gsize size,
                                                    GByteArray * out);

void           anninh_nal_remove_emulation_prevention (const guint8 * ebsp,
                                                       gsize size,
                                                       GByteArray * out);

G_END_DECLS

#endif /* __ANNINH_NAL_UNITS_H__ */
