/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: ONVIF Media Signing validator (verifier side).
 *
 * Feed it the access units of a parsed H.264/H.265 byte-stream in decoding
 * order; it hashes the NAL units the way the specification describes, checks
 * every signing SEI (signature, certificate chain against a CA file at the
 * recording time, GOP hash, hash list, GOP chaining, GOP counter) and gives a
 * verdict per signed (partial) GOP and one for the whole stream.
 */
#ifndef __ANNINH_MEDIA_SIGNING_VALIDATOR_H__
#define __ANNINH_MEDIA_SIGNING_VALIDATOR_H__

#include <glib.h>
#include "media-signing-reader.h"

G_BEGIN_DECLS

typedef enum
{
  ANNINH_MS_VERDICT_AUTHENTIC,
  ANNINH_MS_VERDICT_AUTHENTIC_MISSING,  /* authentic, some frames missing */
  ANNINH_MS_VERDICT_NOT_AUTHENTIC,
  ANNINH_MS_VERDICT_NOT_SIGNED,
} AnninhMsVerdict;

/* "authentic", "authentic-with-missing-frames", "not-authentic",
 * "not-signed" */
const gchar *anninh_ms_verdict_to_string (AnninhMsVerdict verdict);

/* The verdict on one signed (partial) GOP. Frames are counted from 0 in
 * decoding order over the access units that carry a picture; pts in ns
 * (-1 unknown); UTC times in microseconds since the Unix epoch (-1 unknown). */
typedef struct
{
  AnninhMsVerdict verdict;
  guint32 gop_counter;
  gboolean partial;
  gint64 first_frame, last_frame;       /* frames judged by this SEI */
  gint64 first_pts, last_pts;
  gint64 start_utc_us, end_utc_us;      /* signed start / end of the GOP */
  gint64 bad_first_frame, bad_last_frame;       /* altered frames, or -1 */
  gint64 missing_after_frame;   /* a gap follows this frame, or -1 */
  guint n_nalus_signed;         /* NAL units the SEI vouches for */
  guint n_nalus_missing;
  guint n_nalus_bad;
  gchar *reason;                /* why not authentic / missing, or NULL */
} AnninhMsGopResult;

void anninh_ms_gop_result_free (AnninhMsGopResult * result);

typedef struct
{
  AnninhMsVerdict verdict;
  gint64 first_frame, last_frame;
  gint64 first_pts, last_pts;
} AnninhMsRange;

typedef struct
{
  AnninhMsVerdict verdict;
  gchar *reason;                /* the first problem found, or NULL */

  guint64 frames;               /* pictures seen */
  guint n_gops_authentic, n_gops_missing, n_gops_not_authentic;
  guint64 frames_unsigned;      /* pictures no signature covers */
  GArray *ranges;               /* of AnninhMsRange, merged, in order */

  gint64 start_utc_us, end_utc_us;      /* signed time span, -1 unknown */

  /* Signer certificate (leaf of the chain carried in the stream). */
  gchar *signer_subject;
  gchar *signer_issuer;
  gboolean certificate_checked; /* a CA file was given */
  gboolean certificate_trusted; /* chain verified against it */
  gchar *certificate_error;
  gint64 certificate_checked_at_us;     /* the time the chain was judged at */

  /* ONVIF vendor information. */
  gchar *manufacturer, *serial, *firmware;

  /* Attribution carried in arbitrary-data TLVs (evidencemux). */
  gchar *camera_id;
  gchar *location;              /* address text */
  gdouble latitude, longitude;  /* NaN when absent */
  GPtrArray *attribution;       /* all arbitrary-data payloads as text */
} AnninhMsSummary;

void anninh_ms_summary_free (AnninhMsSummary * summary);

typedef struct _AnninhMsValidator AnninhMsValidator;

AnninhMsValidator *anninh_ms_validator_new (AnninhMsCodec codec);
void anninh_ms_validator_free (AnninhMsValidator * validator);

/* Trusted root (and intermediate) certificates, PEM. Without a CA file the
 * signatures are checked with the key the stream carries, and the summary
 * says the certificate was not checked. */
gboolean anninh_ms_validator_set_ca_file (AnninhMsValidator * validator,
    const gchar * path, GError ** error);

/* One access unit (Annex B, start codes) in decoding order. */
void anninh_ms_validator_push_au (AnninhMsValidator * validator,
    const guint8 * data, gsize size, gint64 pts);

/* One access unit of length-prefixed NAL units (stream-format avc, hvc1,
 * hev1; @length_size 1..4 bytes, big endian). Container NAL boundaries are
 * kept exactly, which matters for SEIs written without emulation
 * prevention (the reference implementation's default). */
void anninh_ms_validator_push_au_length_prefixed (AnninhMsValidator *
    validator, const guint8 * data, gsize size, guint length_size,
    gint64 pts);

/* Results of the (partial) GOPs judged since the last call (transfer full,
 * array of AnninhMsGopResult*, free func set). */
GPtrArray *anninh_ms_validator_take_results (AnninhMsValidator * validator);

/* Ends the stream: the frames no SEI covered are counted as not signed.
 * Returns the summary (transfer full). The validator is then spent. */
AnninhMsSummary *anninh_ms_validator_finish (AnninhMsValidator * validator);

/* Converts a Media Signing timestamp (100 ns since 1601-01-01 UTC) to
 * microseconds since the Unix epoch; -1 when implausible (before 2000 or
 * after 2100). */
gint64 anninh_ms_timestamp_to_unix_us (guint64 ts);

G_END_DECLS

#endif /* __ANNINH_MEDIA_SIGNING_VALIDATOR_H__ */
