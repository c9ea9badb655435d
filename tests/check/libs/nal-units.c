/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NAL unit splitting, classification and emulation prevention. */
#include <stdio.h>

#include <gst/check/gstcheck.h>

#include <anninh/nal-units.h>

static GByteArray *
escape (const guint8 * d, gsize n)
{
  GByteArray *o = g_byte_array_new ();
  anninh_nal_add_emulation_prevention (d, n, o);
  return o;
}

static GByteArray *
unescape (const guint8 * d, gsize n)
{
  GByteArray *o = g_byte_array_new ();
  anninh_nal_remove_emulation_prevention (d, n, o);
  return o;
}

GST_START_TEST (test_emulation_prevention_vectors)
{
  /* H.264 7.4.1: 00 00 0x (x <= 3) gets an 03 between */
  static const struct
  {
    const gchar *in, *out;
  } v[] = {
    {"000000", "00000300"},
    {"000001", "00000301"},
    {"000002", "00000302"},
    {"000003", "00000303"},
    {"000004", "000004"},
    {"00000000", "0000030000"},
    {"0000000000", "00000300000300"},
    {"ff0000ff", "ff0000ff"},
    {"00", "00"},
    {"0000", "0000"},
    {"", ""},
  };

  for (guint i = 0; i < G_N_ELEMENTS (v); i++) {
    gsize n_in = strlen (v[i].in) / 2;
    guint8 *in = g_malloc0 (n_in + 1);
    GByteArray *e, *u;
    gchar *hex;

    for (gsize j = 0; j < n_in; j++)
      sscanf (v[i].in + 2 * j, "%2hhx", &in[j]);
    e = escape (in, n_in);
    hex = g_malloc0 (2 * e->len + 1);
    for (guint j = 0; j < e->len; j++)
      sprintf (hex + 2 * j, "%02x", e->data[j]);
    fail_unless_equals_string (hex, v[i].out);
    u = unescape (e->data, e->len);
    fail_unless_equals_int (u->len, n_in);
    fail_unless (memcmp (u->data, in, n_in) == 0);
    g_free (hex);
    g_free (in);
    g_byte_array_unref (e);
    g_byte_array_unref (u);
  }
}

GST_END_TEST;

GST_START_TEST (test_emulation_prevention_round_trip)
{
  GRand *r = g_rand_new_with_seed (42);

  for (guint round = 0; round < 200; round++) {
    gsize n = g_rand_int_range (r, 0, 2000);
    guint8 *d = g_malloc (n + 1);
    GByteArray *e, *u;

    /* mostly zeros and small values: the hard cases */
    for (gsize i = 0; i < n; i++)
      d[i] = g_rand_int_range (r, 0, 4) == 0 ? (guint8) g_rand_int (r) :
          (guint8) g_rand_int_range (r, 0, 4);
    e = escape (d, n);
    /* no start code emulation (00 00 00/01/02) is left */
    for (guint i = 2; i < e->len; i++)
      fail_if (e->data[i - 2] == 0 && e->data[i - 1] == 0 && e->data[i] < 3,
          "emulated start code at %u", i);
    u = unescape (e->data, e->len);
    fail_unless_equals_int (u->len, n);
    fail_unless (n == 0 || memcmp (u->data, d, n) == 0);
    g_byte_array_unref (e);
    g_byte_array_unref (u);
    g_free (d);
  }
  g_rand_free (r);
}

GST_END_TEST;

GST_START_TEST (test_split)
{
  /* 4-byte start code, 3-byte start code, trailing zero bytes, junk before
   * the first start code */
  static const guint8 au[] = {
    0xaa, 0x00, 0x00, 0x00, 0x01, 0x09, 0xf0,
    0x00, 0x00, 0x01, 0x67, 0x42, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x65, 0x88, 0x80,
  };
  GArray *units = g_array_new (FALSE, FALSE, sizeof (AnninhNalUnit));
  AnninhNalUnit *u;

  anninh_nal_units_split (au, sizeof (au), units);
  fail_unless_equals_int (units->len, 3);
  u = &g_array_index (units, AnninhNalUnit, 0);
  fail_unless_equals_int (u->start, 1);
  fail_unless_equals_int (u->offset, 5);
  fail_unless_equals_int (u->size, 2);
  fail_unless_equals_int (u->end, 7);
  u = &g_array_index (units, AnninhNalUnit, 1);
  fail_unless_equals_int (u->start, 7);
  fail_unless_equals_int (u->offset, 10);
  fail_unless_equals_int (u->size, 2);  /* 67 42, zeros trimmed */
  fail_unless_equals_int (u->end, 14);
  u = &g_array_index (units, AnninhNalUnit, 2);
  fail_unless_equals_int (u->start, 14);
  fail_unless_equals_int (u->offset, 18);
  fail_unless_equals_int (u->size, 3);
  fail_unless_equals_int (u->end, sizeof (au));
  g_array_unref (units);
}

GST_END_TEST;

GST_START_TEST (test_split_malformed)
{
  GRand *r = g_rand_new_with_seed (7);
  GArray *units = g_array_new (FALSE, FALSE, sizeof (AnninhNalUnit));

  for (guint round = 0; round < 500; round++) {
    gsize n = g_rand_int_range (r, 0, 64);
    guint8 *d = g_malloc (n + 1);

    for (gsize i = 0; i < n; i++)
      d[i] = g_rand_int_range (r, 0, 3);
    g_array_set_size (units, 0);
    anninh_nal_units_split (d, n, units);
    for (guint i = 0; i < units->len; i++) {
      AnninhNalUnit *u = &g_array_index (units, AnninhNalUnit, i);
      fail_unless (u->start < u->offset);
      fail_unless (u->offset + u->size <= u->end);
      fail_unless (u->end <= n);
      fail_unless (u->size > 0);
      /* classification of anything does not crash */
      anninh_nal_unit_classify (ANNINH_NAL_CODEC_H264, d + u->offset,
          u->size);
      anninh_nal_unit_classify (ANNINH_NAL_CODEC_H265, d + u->offset,
          u->size);
      anninh_nal_unit_is_first_slice (ANNINH_NAL_CODEC_H265, d + u->offset,
          u->size);
    }
    g_free (d);
  }
  anninh_nal_units_split (NULL, 0, units);
  g_array_unref (units);
  g_rand_free (r);
}

GST_END_TEST;

GST_START_TEST (test_classify)
{
  static const guint8 idr[] = { 0x65, 0x88 }, p[] = { 0x41, 0x9a },
      p2[] = { 0x41, 0x1a }, sei[] = { 0x06, 0x05 }, sps[] = { 0x67, 0x42 },
      aud[] = { 0x09, 0xf0 }, bad[] = { 0xe5, 0x88 };
  static const guint8 h5idr[] = { 0x26, 0x01, 0xaf }, h5cra[] = { 0x2a, 0x01,
    0x80
  }, h5trail[] = { 0x02, 0x01, 0x80 }, h5rasl[] = { 0x10, 0x01, 0x80 },
      h5sei[] = { 0x4e, 0x01, 0x05 }, h5vps[] = { 0x40, 0x01, 0x0c };

  fail_unless_equals_int (anninh_nal_unit_classify (ANNINH_NAL_CODEC_H264,
          idr, 2), ANNINH_NAL_CLASS_INTRA);
  fail_unless_equals_int (anninh_nal_unit_classify (ANNINH_NAL_CODEC_H264,
          p, 2), ANNINH_NAL_CLASS_INTER);
  fail_unless_equals_int (anninh_nal_unit_classify (ANNINH_NAL_CODEC_H264,
          sei, 2), ANNINH_NAL_CLASS_SEI);
  fail_unless_equals_int (anninh_nal_unit_classify (ANNINH_NAL_CODEC_H264,
          sps, 2), ANNINH_NAL_CLASS_PARAMETER_SET);
  fail_unless_equals_int (anninh_nal_unit_classify (ANNINH_NAL_CODEC_H264,
          aud, 2), ANNINH_NAL_CLASS_AUD);
  fail_unless_equals_int (anninh_nal_unit_classify (ANNINH_NAL_CODEC_H264,
          bad, 2), ANNINH_NAL_CLASS_OTHER);
  fail_unless (anninh_nal_unit_is_first_slice (ANNINH_NAL_CODEC_H264, p, 2));
  fail_if (anninh_nal_unit_is_first_slice (ANNINH_NAL_CODEC_H264, p2, 2));
  fail_if (anninh_nal_unit_is_first_slice (ANNINH_NAL_CODEC_H264, p, 1));

  fail_unless_equals_int (anninh_nal_unit_classify (ANNINH_NAL_CODEC_H265,
          h5idr, 3), ANNINH_NAL_CLASS_INTRA);
  fail_unless_equals_int (anninh_nal_unit_classify (ANNINH_NAL_CODEC_H265,
          h5cra, 3), ANNINH_NAL_CLASS_INTRA);
  fail_unless_equals_int (anninh_nal_unit_classify (ANNINH_NAL_CODEC_H265,
          h5trail, 3), ANNINH_NAL_CLASS_INTER);
  fail_unless_equals_int (anninh_nal_unit_classify (ANNINH_NAL_CODEC_H265,
          h5rasl, 3), ANNINH_NAL_CLASS_OTHER);
  fail_unless_equals_int (anninh_nal_unit_classify (ANNINH_NAL_CODEC_H265,
          h5sei, 3), ANNINH_NAL_CLASS_SEI);
  fail_unless_equals_int (anninh_nal_unit_classify (ANNINH_NAL_CODEC_H265,
          h5vps, 3), ANNINH_NAL_CLASS_PARAMETER_SET);
  fail_unless (anninh_nal_unit_is_first_slice (ANNINH_NAL_CODEC_H265, h5cra,
          3));
  fail_unless_equals_int (anninh_nal_unit_type (ANNINH_NAL_CODEC_H265, h5idr,
          3), 19);
}

GST_END_TEST;

static Suite *
nal_units_suite (void)
{
  Suite *s = suite_create ("nal-units");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_emulation_prevention_vectors);
  tcase_add_test (tc, test_emulation_prevention_round_trip);
  tcase_add_test (tc, test_split);
  tcase_add_test (tc, test_split_malformed);
  tcase_add_test (tc, test_classify);
  return s;
}

GST_CHECK_MAIN (nal_units);
