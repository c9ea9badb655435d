/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
/* Media Signing: TLV encoding against hand-computed bytes, the signing
 * key checks, and the writer's SEIs read back and verified. */
#include <unistd.h>

#include <gst/check/gstcheck.h>
#include <openssl/rsa.h>

#include <anninh/media-signing-tlv.h>
#include <anninh/media-signing-writer.h>
#include <anninh/signing-key.h>

#include "../signing-test-util.h"

static gchar *
hex (const guint8 * d, gsize n)
{
  gchar *s = g_malloc0 (2 * n + 1);
  for (gsize i = 0; i < n; i++)
    sprintf (s + 2 * i, "%02x", d[i]);
  return s;
}

#define assert_bytes(arr, expected) G_STMT_START {                   \
  gchar *_h = hex ((arr)->data, (arr)->len);                          \
  fail_unless_equals_string (_h, expected);                           \
  g_free (_h);                                                        \
} G_STMT_END

GST_START_TEST (test_time_conversion)
{
  /* 1970-01-01 is 11644473600 s after 1601-01-01 */
  fail_unless_equals_int64 (anninh_media_signing_time_from_unix_ns (0),
      G_GINT64_CONSTANT (116444736000000000));
  fail_unless_equals_int64 (anninh_media_signing_time_from_unix_ns
      (G_GUINT64_CONSTANT (1000000123)),
      G_GINT64_CONSTANT (116444736010000001));
}

GST_END_TEST;

GST_START_TEST (test_tlv_general)
{
  GByteArray *a = g_byte_array_new ();
  guint8 gop[4] = { 0xa1, 0xa2, 0xa3, 0xa4 }, link[4] = { 0, 0, 0, 0 };
  AnninhMediaSigningGeneral g = {
    .partial = TRUE,
    .start_time = G_GINT64_CONSTANT (0x0102030405060708),
    .end_time = G_GINT64_CONSTANT (0x1112131415161718),
    .counter = 0x21222324,
    .n_nalus = 0x0102,
    .gop_hash = gop,
    .linked_hash = link,
  };

  /* hash size 4 to keep the vector short: length 27 + 2 * 4 = 35 = 0x23;
   * version 2, spec 25.12.0 = 19 0c 00, partial 01, big-endian times,
   * counter and count, then the two hashes */
  anninh_media_signing_tlv_append_general (a, &g, 4);
  assert_bytes (a, "010023" "02" "190c00" "01" "0102030405060708"
      "1112131415161718" "21222324" "0102" "a1a2a3a4" "00000000");
  g_byte_array_unref (a);
}

GST_END_TEST;

GST_START_TEST (test_tlv_others)
{
  GByteArray *a = g_byte_array_new ();
  static const guint8 hashes[4] = { 1, 2, 3, 4 }, sig[3] = { 0x30, 0x01,
    0x02
  };

  anninh_media_signing_tlv_append_hash_list (a, hashes, 4);
  assert_bytes (a, "020005" "01" "01020304");
  g_byte_array_set_size (a, 0);

  anninh_media_signing_tlv_append_signature (a, sig, 3, 6);
  /* version, real size 3, the signature, padded with 01 to 6 */
  assert_bytes (a, "030009" "01" "0003" "300102" "010101");
  fail_unless_equals_int (anninh_media_signing_tlv_signature_size (6), 12);
  g_byte_array_set_size (a, 0);

  anninh_media_signing_tlv_append_crypto_info (a,
      (const guint8 *) ANNINH_MEDIA_SIGNING_SHA256_OID, 11, NULL, 0, 0);
  assert_bytes (a, "040010" "01" "0b" "0609608648016503040201" "00" "0000");
  g_byte_array_set_size (a, 0);

  anninh_media_signing_tlv_append_crypto_info (a,
      (const guint8 *) ANNINH_MEDIA_SIGNING_SHA256_OID, 11,
      (const guint8 *) ANNINH_MEDIA_SIGNING_RSASSA_PSS_OID, 11, 2048);
  assert_bytes (a, "04001b" "01" "0b" "0609608648016503040201" "0b"
      "06092a864886f70d01010a" "0800");
  g_byte_array_set_size (a, 0);

  anninh_media_signing_tlv_append_vendor_info (a, "fw", "cam-01", NULL);
  assert_bytes (a, "05000c" "01" "02" "6677" "06" "63616d2d3031" "00");
  g_byte_array_set_size (a, 0);

  anninh_media_signing_tlv_append_certificates (a, FALSE, "PEM", 3);
  assert_bytes (a, "060005" "01" "00" "50454d");
  g_byte_array_set_size (a, 0);

  anninh_media_signing_tlv_append_arbitrary_data (a, (const guint8 *) "{}",
      2);
  assert_bytes (a, "070003" "01" "7b7d");
  g_byte_array_set_size (a, 0);

  /* SEI header: H.264 06, payload type 05, size 300 = ff 2d, UUID */
  anninh_media_signing_sei_append_header (a, ANNINH_NAL_CODEC_H264, 300);
  assert_bytes (a, "0605ff2d" "005bc93f2d715e95ada4796f90877a6f");
  g_byte_array_set_size (a, 0);
  anninh_media_signing_sei_append_header (a, ANNINH_NAL_CODEC_H265, 254);
  assert_bytes (a, "4e0105fe" "005bc93f2d715e95ada4796f90877a6f");
  g_byte_array_set_size (a, 0);
  anninh_media_signing_sei_append_header (a, ANNINH_NAL_CODEC_H265, 255);
  assert_bytes (a, "4e0105ff00" "005bc93f2d715e95ada4796f90877a6f");
  g_byte_array_unref (a);
}

GST_END_TEST;

GST_START_TEST (test_signing_key_errors)
{
  TestKeys k;
  AnninhSigningKey *key;
  GError *err = NULL;
  gchar *missing;

  test_keys_init (&k);
  missing = g_build_filename (k.dir, "nope.key", NULL);

  key = anninh_signing_key_load (k.key, NULL, k.chain, &err);
  fail_unless (key != NULL);
  g_assert_no_error (err);
  fail_unless_equals_int (anninh_signing_key_get_algorithm (key),
      ANNINH_SIGNING_ALGORITHM_ECDSA_P256);
  fail_unless_equals_int (anninh_signing_key_get_max_signature_size (key), 72);
  fail_unless_equals_string (anninh_signing_key_get_subject (key), "CN=cam-01");
  {
    gsize n;
    const gchar *pem = anninh_signing_key_get_certificate_chain (key, &n);
    /* the self-signed root is not carried: exactly one certificate */
    fail_unless_equals_int (g_strstr_len (pem, n, "BEGIN CERTIFICATE") != NULL,
        1);
    fail_unless (g_strrstr_len (pem, n, "BEGIN CERTIFICATE") ==
        g_strstr_len (pem, n, "BEGIN CERTIFICATE"));
  }
  anninh_signing_key_unref (key);

#define EXPECT(kp, pass, cp, code) G_STMT_START {                        \
    key = anninh_signing_key_load (kp, pass, cp, &err);                    \
    fail_unless (key == NULL);                                             \
    fail_unless (g_error_matches (err, ANNINH_SIGNING_KEY_ERROR, code),    \
        "expected %d, got %s", code, err ? err->message : "nothing");      \
    GST_INFO ("%s", err->message);                                        \
    g_clear_error (&err);                                                  \
  } G_STMT_END

  EXPECT (NULL, NULL, k.chain, ANNINH_SIGNING_KEY_ERROR_MISSING);
  EXPECT (missing, NULL, k.chain, ANNINH_SIGNING_KEY_ERROR_MISSING);
  EXPECT (k.key, NULL, missing, ANNINH_SIGNING_KEY_ERROR_MISSING);
  EXPECT (k.cert, NULL, k.chain, ANNINH_SIGNING_KEY_ERROR_WRONG_TYPE);
  EXPECT (k.key, NULL, k.key, ANNINH_SIGNING_KEY_ERROR_WRONG_TYPE);
  EXPECT (k.p384_key, NULL, k.chain, ANNINH_SIGNING_KEY_ERROR_WRONG_TYPE);
  EXPECT (k.other_key, NULL, k.chain, ANNINH_SIGNING_KEY_ERROR_MISMATCH);
  EXPECT (k.enc_key, NULL, k.chain, ANNINH_SIGNING_KEY_ERROR_PASSPHRASE);
  EXPECT (k.enc_key, "wrong", k.chain, ANNINH_SIGNING_KEY_ERROR_PASSPHRASE);

  key = anninh_signing_key_load (k.enc_key, "s3cret", k.chain, &err);
  g_assert_no_error (err);
  fail_unless (key != NULL);
  anninh_signing_key_unref (key);

  if (getuid () != 0) {
    g_chmod (k.key, 0);
    EXPECT (k.key, NULL, k.chain, ANNINH_SIGNING_KEY_ERROR_UNREADABLE);
    g_chmod (k.key, 0600);
  }
  g_free (missing);
  test_keys_clear (&k);
}

GST_END_TEST;

GST_START_TEST (test_rsa_pss)
{
  TestKeys k;
  EVP_PKEY *rsa = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  X509 *cert = make_cert (rsa, "rsa-cam", NULL, rsa);
  gchar *kp, *cp;
  AnninhSigningKey *key;
  guint8 digest[32] = { 1, 2, 3 }, sig[256];
  gsize sig_size = 0;
  EVP_PKEY_CTX *ctx;

  test_keys_init (&k);
  kp = g_build_filename (k.dir, "rsa.key", NULL);
  cp = g_build_filename (k.dir, "rsa.pem", NULL);
  write_key (kp, rsa, NULL);
  write_certs (cp, cert, NULL);
  key = anninh_signing_key_load (kp, NULL, cp, NULL);
  fail_unless (key != NULL);
  fail_unless_equals_int (anninh_signing_key_get_algorithm (key),
      ANNINH_SIGNING_ALGORITHM_RSA_PSS);
  fail_unless_equals_int (anninh_signing_key_get_max_signature_size (key),
      256);
  fail_unless (anninh_signing_key_sign_digest (key, digest, 32, sig,
          &sig_size, NULL));
  fail_unless_equals_int (sig_size, 256);

  /* an independent PSS verification with OpenSSL */
  ctx = EVP_PKEY_CTX_new (rsa, NULL);
  EVP_PKEY_verify_init (ctx);
  EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PSS_PADDING);
  EVP_PKEY_CTX_set_signature_md (ctx, EVP_sha256 ());
  fail_unless_equals_int (EVP_PKEY_verify (ctx, sig, sig_size, digest, 32), 1);
  EVP_PKEY_CTX_free (ctx);

  anninh_signing_key_unref (key);
  g_unlink (kp);
  g_unlink (cp);
  g_free (kp);
  g_free (cp);
  X509_free (cert);
  EVP_PKEY_free (rsa);
  test_keys_clear (&k);
}

GST_END_TEST;

typedef struct
{
  GPtrArray *seis;              /* TestSei* in order */
} Collected;

static void
collect (GPtrArray * seis, Collected * c)
{
  for (guint i = 0; i < seis->len; i++) {
    gsize n;
    const guint8 *d = g_bytes_get_data (g_ptr_array_index (seis, i), &n);
    TestSei *s = g_new0 (TestSei, 1);

    fail_unless (n > 4 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 1);
    fail_unless (test_parse_sei (d + 4, n - 4, 1, s));
    g_ptr_array_add (c->seis, s);
  }
}

static void
free_sei (TestSei * s)
{
  test_sei_clear (s);
  g_free (s);
}

/* Three GOPs of 3 access units; checks the SEIs against the spec's
 * definitions computed here from the input. */
GST_START_TEST (test_writer_gops)
{
  TestKeys k;
  AnninhSigningKey *key;
  AnninhMediaSigningWriter *w;
  Collected c = { g_ptr_array_new_with_free_func ((GDestroyNotify) free_sei) };
  GByteArray *expected[3];
  guint8 first_hash[3][32];
  guint64 t0 = G_GUINT64_CONSTANT (1795357893000000000);

  test_keys_init (&k);
  key = anninh_signing_key_load (k.key, NULL, k.chain, NULL);
  fail_unless (key != NULL);
  w = anninh_media_signing_writer_new (ANNINH_NAL_CODEC_H264, key);
  anninh_media_signing_writer_set_attribution (w, "cam-01", 21.0285,
      105.8542, "Hoan Kiem");
  anninh_media_signing_writer_set_vendor_info (w, NULL, "cam-01", "Test");
  anninh_media_signing_writer_add_side_data (w, "{\"plate\":\"29A-12345\"}");

  for (guint g = 0; g < 3; g++) {
    guint8 anchor[32];
    expected[g] = g_byte_array_new ();
    for (guint f = 0; f < 3; f++) {
      GByteArray *au = make_h264_au (f == 0, g * 3 + f);
      GPtrArray *seis = g_ptr_array_new_with_free_func ((GDestroyNotify)
          g_bytes_unref);
      gsize off = 0;
      const guint8 *slice;
      gsize slice_size;
      guint8 h[32], buddies[64];

      fail_unless (anninh_media_signing_writer_push_au (w, au->data, au->len,
              t0 + (g * 3 + f) * 40000000, &off, seis, NULL));
      /* SEIs go before the slice (the last NAL unit: 4 + 64 bytes) */
      if (seis->len)
        fail_unless_equals_int (off, au->len - 68);
      /* certificate first, then a GOP SEI at each keyframe */
      fail_unless_equals_int (seis->len, f == 0 ? 1 : 0);
      collect (seis, &c);
      g_ptr_array_unref (seis);

      slice = au->data + au->len - 64;
      slice_size = 64;
      if (f == 0) {
        test_sha256 (slice, slice_size, anchor);
        memcpy (h, anchor, 32);
        memcpy (first_hash[g], h, 32);
      } else {
        memcpy (buddies, anchor, 32);
        test_sha256 (slice, slice_size, buddies + 32);
        test_sha256 (buddies, 64, h);
      }
      g_byte_array_append (expected[g], h, 32);
      g_byte_array_unref (au);
    }
  }
  {
    GPtrArray *seis = g_ptr_array_new_with_free_func ((GDestroyNotify)
        g_bytes_unref);
    fail_unless (anninh_media_signing_writer_finish (w, seis, NULL));
    fail_unless_equals_int (seis->len, 1);
    collect (seis, &c);
    g_ptr_array_unref (seis);
  }

  /* certificate + 3 GOP SEIs */
  fail_unless_equals_int (c.seis->len, 4);
  {
    TestSei *cert = g_ptr_array_index (c.seis, 0);
    gsize n;
    const guint8 *v;
    fail_unless_equals_int (cert->reserved, 0x80);
    fail_unless (cert->tlv[4] && cert->tlv[5] && cert->tlv[6] && cert->tlv[3]);
    fail_unless (cert->tlv[1] == NULL);
    fail_unless (test_verify_sei (cert, k.pkey));
    v = g_bytes_get_data (cert->tlv[6], &n);
    fail_unless_equals_int (v[0], 1);   /* version */
    fail_unless_equals_int (v[1], 0);   /* not user provisioned */
    fail_unless (g_strstr_len ((const gchar *) v + 2, n - 2,
            "-----BEGIN CERTIFICATE-----"));
    v = g_bytes_get_data (cert->tlv[5], &n);
    fail_unless (memmem (v, n, "cam-01", 6) != NULL);
  }
  for (guint g = 0; g < 3; g++) {
    TestSei *s = g_ptr_array_index (c.seis, g + 1);
    gsize n;
    const guint8 *gen = g_bytes_get_data (s->tlv[1], &n);
    const guint8 *list;
    guint8 gop_hash[32], zeros[32] = { 0 };
    gint64 start = 0, end = 0;
    guint32 counter;
    gchar *json;

    fail_unless_equals_int (s->reserved, 0x00);
    fail_unless (test_verify_sei (s, k.pkey));
    fail_unless_equals_int (n, 27 + 64);
    fail_unless_equals_int (gen[0], 2);
    fail_unless_equals_int (gen[4], 0);  /* not partial */
    for (guint i = 0; i < 8; i++) {
      start = (start << 8) | gen[5 + i];
      end = (end << 8) | gen[13 + i];
    }
    fail_unless_equals_int64 (start,
        anninh_media_signing_time_from_unix_ns (t0 + g * 120000000));
    fail_unless_equals_int64 (end,
        anninh_media_signing_time_from_unix_ns (t0 + (g + 1) * 120000000));
    counter = (gen[21] << 24) | (gen[22] << 16) | (gen[23] << 8) | gen[24];
    fail_unless_equals_int (counter, g + 1);
    fail_unless_equals_int ((gen[25] << 8) | gen[26], 3);
    test_sha256 (expected[g]->data, expected[g]->len, gop_hash);
    fail_unless (memcmp (gen + 27, gop_hash, 32) == 0, "GOP hash of GOP %u",
        g);
    fail_unless (memcmp (gen + 59, g == 0 ? zeros : first_hash[g - 1],
            32) == 0, "linked hash of GOP %u", g);
    list = g_bytes_get_data (s->tlv[2], &n);
    fail_unless_equals_int (n, 1 + 96);
    fail_unless (memcmp (list + 1, expected[g]->data, 96) == 0);

    list = g_bytes_get_data (s->tlv[7], &n);
    json = g_strndup ((const gchar *) list + 1, n - 1);
    fail_unless (strstr (json, "\"camera-id\":\"cam-01\""), "%s", json);
    fail_unless (strstr (json, "\"address\":\"Hoan Kiem\""), "%s", json);
    fail_unless (strstr (json, "\"latitude\":21.0285"), "%s", json);
    fail_unless_equals_int (strstr (json, "29A-12345") != NULL, g == 0);
    g_free (json);
    g_byte_array_unref (expected[g]);
  }

  g_ptr_array_unref (c.seis);
  anninh_media_signing_writer_free (w);
  anninh_signing_key_unref (key);
  test_keys_clear (&k);
}

GST_END_TEST;

GST_START_TEST (test_writer_partial_and_every_n)
{
  TestKeys k;
  AnninhSigningKey *key;
  AnninhMediaSigningWriter *w;
  Collected c = { g_ptr_array_new_with_free_func ((GDestroyNotify) free_sei) };
  guint signed_seis = 0, unsigned_seis = 0, partials = 0;

  test_keys_init (&k);
  key = anninh_signing_key_load (k.key, NULL, k.chain, NULL);
  w = anninh_media_signing_writer_new (ANNINH_NAL_CODEC_H264, key);
  anninh_media_signing_writer_set_gops_per_signature (w, 2);
  anninh_media_signing_writer_set_max_partial_duration (w, GST_SECOND);

  /* GOPs of 10 frames at 40 ms, then one GOP of 60 frames (2.4 s) */
  for (guint i = 0; i < 100; i++) {
    gboolean idr = (i < 40 && i % 10 == 0) || i == 40 || i == 100;
    GByteArray *au = make_h264_au (idr, i);
    GPtrArray *seis = g_ptr_array_new_with_free_func ((GDestroyNotify)
        g_bytes_unref);
    gsize off;

    fail_unless (anninh_media_signing_writer_push_au (w, au->data, au->len,
            G_GUINT64_CONSTANT (1795357893000000000) + i * 40000000, &off,
            seis, NULL));
    collect (seis, &c);
    g_ptr_array_unref (seis);
    g_byte_array_unref (au);
  }
  for (guint i = 1; i < c.seis->len; i++) {
    TestSei *s = g_ptr_array_index (c.seis, i);
    const guint8 *gen = g_bytes_get_data (s->tlv[1], NULL);
    if (s->tlv[3]) {
      signed_seis++;
      fail_unless (test_verify_sei (s, k.pkey));
    } else {
      unsigned_seis++;
    }
    partials += gen[4];
  }
  /* GOPs 1..4 closed: 2 and 4 signed, 1 and 3 not; the long GOP: two
   * partial (signed) SEIs at 1 s and 2 s */
  fail_unless_equals_int (unsigned_seis, 2);
  fail_unless_equals_int (partials, 2);
  fail_unless_equals_int (signed_seis, 4);

  g_ptr_array_unref (c.seis);
  anninh_media_signing_writer_free (w);
  anninh_signing_key_unref (key);
  test_keys_clear (&k);
}

GST_END_TEST;

GST_START_TEST (test_writer_malformed)
{
  TestKeys k;
  AnninhSigningKey *key;
  AnninhMediaSigningWriter *w;
  GRand *r = g_rand_new_with_seed (3);

  test_keys_init (&k);
  key = anninh_signing_key_load (k.key, NULL, k.chain, NULL);
  w = anninh_media_signing_writer_new (ANNINH_NAL_CODEC_H265, key);
  for (guint i = 0; i < 300; i++) {
    gsize n = g_rand_int_range (r, 0, 100);
    guint8 *d = g_malloc (n + 8);
    GPtrArray *seis = g_ptr_array_new_with_free_func ((GDestroyNotify)
        g_bytes_unref);
    gsize off;

    d[0] = d[1] = d[2] = 0;
    d[3] = 1;
    for (gsize j = 4; j < n + 4; j++)
      d[j] = g_rand_int_range (r, 0, 8) == 0 ? 0 : g_rand_int (r);
    fail_unless (anninh_media_signing_writer_push_au (w, d, n + 4, i, &off,
            seis, NULL));
    fail_unless (off <= n + 4);
    g_ptr_array_unref (seis);
    g_free (d);
  }
  anninh_media_signing_writer_free (w);
  anninh_signing_key_unref (key);
  test_keys_clear (&k);
  g_rand_free (r);
}

GST_END_TEST;

static Suite *
media_signing_writer_suite (void)
{
  Suite *s = suite_create ("media-signing-writer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_time_conversion);
  tcase_add_test (tc, test_tlv_general);
  tcase_add_test (tc, test_tlv_others);
  tcase_add_test (tc, test_signing_key_errors);
  tcase_add_test (tc, test_rsa_pss);
  tcase_add_test (tc, test_writer_gops);
  tcase_add_test (tc, test_writer_partial_and_every_n);
  tcase_add_test (tc, test_writer_malformed);
  return s;
}

GST_CHECK_MAIN (media_signing_writer);
