/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verifier's own Media Signing reader and validator: NAL splitting,
 * emulation prevention removal, TLV parsing, malformed and truncated input
 * (never a crash), and validator verdicts on a synthetic signed stream. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <anninh/media-signing-reader.h>
#include <anninh/media-signing-validator.h>
#include "../ms-test-stream.h"

GST_START_TEST (test_emulation_prevention)
{
  const guint8 in[] = { 0x00, 0x00, 0x03, 0x01, 0xaa, 0x00, 0x00, 0x03,
    0x00, 0x00, 0x03, 0x03, 0x00, 0x03
  };
  const guint8 want[] = { 0x00, 0x00, 0x01, 0xaa, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x00, 0x03
  };
  guint8 out[sizeof (in)];
  gsize offs[sizeof (in)];
  gsize n = anninh_ms_remove_emulation_prevention (in, sizeof (in), out, offs);

  fail_unless_equals_int (n, sizeof (want));
  fail_unless (memcmp (out, want, n) == 0);
  fail_unless_equals_int (offs[0], 0);
  fail_unless_equals_int (offs[2], 3);
  fail_unless_equals_int (offs[3], 4);
}

GST_END_TEST;

GST_START_TEST (test_split_nals)
{
  const guint8 s[] = { 0xff, 0x00, 0x00, 0x00, 0x01, 0x09, 0x10, 0x00, 0x00,
    0x01, 0x65, 0x88, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x41, 0x9a, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x01
  };
  gsize off = 0, n;
  const guint8 *d;

  fail_unless (anninh_ms_next_nal (s, sizeof (s), &off, &d, &n));
  fail_unless_equals_int (n, 2);
  fail_unless_equals_int (d[0], 0x09);
  fail_unless (anninh_ms_next_nal (s, sizeof (s), &off, &d, &n));
  fail_unless_equals_int (n, 3);
  fail_unless_equals_int (d[0], 0x65);
  fail_unless (anninh_ms_next_nal (s, sizeof (s), &off, &d, &n));
  fail_unless_equals_int (n, 2);
  fail_unless_equals_int (d[0], 0x41);
  fail_if (anninh_ms_next_nal (s, sizeof (s), &off, &d, &n));
  off = 0;
  fail_if (anninh_ms_next_nal (s, 2, &off, &d, &n));
  off = 0;
  fail_if (anninh_ms_next_nal (NULL, 0, &off, &d, &n));
}

GST_END_TEST;

static MsTestKeys keys;
static gchar *tmpdir;

static void
keys_setup (void)
{
  tmpdir = g_dir_make_tmp ("ms-reader-XXXXXX", NULL);
  ms_test_keys_init (&keys, tmpdir);
}

static void
keys_teardown (void)
{
  ms_test_keys_clear (&keys);
  g_rmdir (tmpdir);
  g_free (tmpdir);
}

/* The first SEI of a synthetic stream, without start code. */
static GByteArray *
first_sei (GPtrArray * aus)
{
  for (guint i = 0; i < aus->len; i++) {
    GByteArray *au = g_ptr_array_index (aus, i);
    gsize off = 0, n;
    const guint8 *d;

    while (anninh_ms_next_nal (au->data, au->len, &off, &d, &n)) {
      if ((d[0] & 0x1f) == 6) {
        GByteArray *o = g_byte_array_new ();
        g_byte_array_append (o, d, n);
        return o;
      }
    }
  }
  return NULL;
}

GST_START_TEST (test_parse_sei)
{
  GPtrArray *aus = ms_test_stream (&keys, 2, 5);
  GByteArray *sei = first_sei (aus);
  AnninhMsNal nal;
  AnninhMsSei s;
  GError *err = NULL;

  fail_unless (sei != NULL);
  fail_unless (anninh_ms_nal_parse (ANNINH_MS_CODEC_H264, sei->data, sei->len,
          &nal));
  fail_unless_equals_int (nal.kind, ANNINH_MS_NAL_SEI);
  fail_unless (nal.is_ms_sei);
  fail_unless (anninh_ms_sei_parse (ANNINH_MS_CODEC_H264, sei->data,
          sei->len, &s, &err), "%s", err ? err->message : "");
  fail_unless (s.is_signed);
  fail_unless (s.has_general);
  fail_unless_equals_int (s.gop_counter, 1);
  fail_unless_equals_int (s.n_nalus, 5);
  fail_unless_equals_int (s.hash_size, 32);
  fail_unless_equals_int (s.hash_list_size, 5 * 32);
  fail_unless_equals_int (s.n_certs, 1);
  fail_unless (s.signature_size > 60 && s.signature_size <= 72);
  fail_unless (ABS (anninh_ms_timestamp_to_unix_us (s.start_ts_raw) -
          g_get_real_time ()) < 60 * G_USEC_PER_SEC);
  anninh_ms_sei_clear (&s);
  g_byte_array_unref (sei);
  g_ptr_array_unref (aus);
}

GST_END_TEST;

/* Truncations and random corruption of a signing SEI: an error or a parse,
 * never a crash or a read out of bounds (valgrind runs this too). */
GST_START_TEST (test_malformed_sei)
{
  GPtrArray *aus = ms_test_stream (&keys, 1, 3);
  GByteArray *sei = first_sei (aus);
  GRand *rand = g_rand_new_with_seed (4242);

  for (gsize cut = 0; cut <= sei->len; cut++) {
    AnninhMsSei s;
    AnninhMsNal nal;
    guint8 *copy = g_memdup2 (sei->data, cut);

    anninh_ms_nal_parse (ANNINH_MS_CODEC_H264, copy, cut, &nal);
    if (anninh_ms_sei_parse (ANNINH_MS_CODEC_H264, copy, cut, &s, NULL))
      fail_unless (cut >= sei->len - 80, "truncated SEI at %u parsed", cut);
    anninh_ms_sei_clear (&s);
    g_free (copy);
  }
  for (guint round = 0; round < 2000; round++) {
    AnninhMsSei s;
    guint8 *copy = g_memdup2 (sei->data, sei->len);
    guint flips = g_rand_int_range (rand, 1, 8);

    for (guint i = 0; i < flips; i++)
      copy[g_rand_int_range (rand, 0, sei->len)] = g_rand_int (rand);
    anninh_ms_sei_parse (ANNINH_MS_CODEC_H264, copy, sei->len, &s, NULL);
    anninh_ms_sei_clear (&s);
    anninh_ms_sei_parse (ANNINH_MS_CODEC_H265, copy, sei->len, &s, NULL);
    anninh_ms_sei_clear (&s);
    g_free (copy);
  }
  /* Random garbage through the whole validator. */
  for (guint round = 0; round < 200; round++) {
    AnninhMsValidator *v = anninh_ms_validator_new (round & 1 ?
        ANNINH_MS_CODEC_H265 : ANNINH_MS_CODEC_H264);
    guint8 buf[512];

    for (guint i = 0; i < sizeof (buf); i++)
      buf[i] = g_rand_int_range (rand, 0, 4) == 0 ? 0 : g_rand_int (rand);
    buf[0] = buf[1] = 0;
    buf[2] = 1;
    anninh_ms_validator_push_au (v, buf, sizeof (buf), 0);
    anninh_ms_validator_push_au (v, sei->data, sei->len / 2, 1);
    anninh_ms_validator_push_au_length_prefixed (v, buf, sizeof (buf), 4, 2);
    anninh_ms_summary_free (anninh_ms_validator_finish (v));
    anninh_ms_validator_free (v);
  }
  g_rand_free (rand);
  g_byte_array_unref (sei);
  g_ptr_array_unref (aus);
}

GST_END_TEST;

static AnninhMsSummary *
validate (GPtrArray * aus, const gchar * ca)
{
  AnninhMsValidator *v = anninh_ms_validator_new (ANNINH_MS_CODEC_H264);
  AnninhMsSummary *s;

  if (ca)
    fail_unless (anninh_ms_validator_set_ca_file (v, ca, NULL));
  for (guint i = 0; i < aus->len; i++) {
    GByteArray *au = g_ptr_array_index (aus, i);
    anninh_ms_validator_push_au (v, au->data, au->len, i * 40 * GST_MSECOND);
  }
  s = anninh_ms_validator_finish (v);
  anninh_ms_validator_free (v);
  return s;
}

GST_START_TEST (test_validator_verdicts)
{
  GPtrArray *aus = ms_test_stream (&keys, 3, 6);
  AnninhMsSummary *s;
  GByteArray *au;

  s = validate (aus, keys.ca_path);
  fail_unless_equals_string (anninh_ms_verdict_to_string (s->verdict),
      "authentic");
  fail_unless_equals_int (s->frames, 18);
  fail_unless_equals_int (s->n_gops_authentic, 3);
  fail_unless (s->certificate_trusted);
  fail_unless_equals_string (s->signer_subject, "CN=cam-test");
  anninh_ms_summary_free (s);

  /* flip a byte in frame 8's slice (AU 8) */
  au = g_ptr_array_index (aus, 8);
  au->data[au->len - 50] ^= 0x04;
  s = validate (aus, keys.ca_path);
  fail_unless_equals_int (s->verdict, ANNINH_MS_VERDICT_NOT_AUTHENTIC);
  fail_unless_equals_int (s->n_gops_not_authentic, 1);
  anninh_ms_summary_free (s);
  au->data[au->len - 50] ^= 0x04;

  /* drop frame 9 */
  au = g_ptr_array_steal_index (aus, 9);
  s = validate (aus, keys.ca_path);
  fail_unless_equals_int (s->verdict, ANNINH_MS_VERDICT_AUTHENTIC_MISSING);
  anninh_ms_summary_free (s);
  g_ptr_array_insert (aus, 9, au);

  /* no CA: not checked, still authentic */
  s = validate (aus, NULL);
  fail_unless_equals_int (s->verdict, ANNINH_MS_VERDICT_AUTHENTIC);
  fail_if (s->certificate_checked);
  anninh_ms_summary_free (s);

  g_ptr_array_unref (aus);
}

GST_END_TEST;

static Suite *
media_signing_reader_suite (void)
{
  Suite *s = suite_create ("media-signing-reader");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, keys_setup, keys_teardown);
  tcase_add_test (tc, test_emulation_prevention);
  tcase_add_test (tc, test_split_nals);
  tcase_add_test (tc, test_parse_sei);
  tcase_add_test (tc, test_malformed_sei);
  tcase_add_test (tc, test_validator_verdicts);
  return s;
}

GST_CHECK_MAIN (media_signing_reader);
