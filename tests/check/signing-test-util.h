/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test helpers for the Media Signing tests: real OpenSSL keys and
 * certificates made on the spot, synthetic access units, and a minimal SEI
 * reader (the tests' own, so they check the writer against the spec, not
 * against itself). Header-only: included by one test file each. */
#ifndef __SIGNING_TEST_UTIL_H__
#define __SIGNING_TEST_UTIL_H__

#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

typedef struct
{
  gchar *dir;
  gchar *ca_key, *ca_cert;
  gchar *key, *cert, *chain;
  gchar *enc_key;               /* same key, encrypted with "s3cret" */
  gchar *other_key;             /* another P-256 key */
  gchar *p384_key;
  EVP_PKEY *pkey;
} TestKeys;

static inline void
write_key (const gchar * path, EVP_PKEY * k, const gchar * pass)
{
  FILE *f = g_fopen (path, "wb");
  g_assert_nonnull (f);
  if (pass)
    g_assert_true (PEM_write_PrivateKey (f, k, EVP_aes_256_cbc (),
            (const unsigned char *) pass, strlen (pass), NULL, NULL));
  else
    g_assert_true (PEM_write_PrivateKey (f, k, NULL, NULL, 0, NULL, NULL));
  fclose (f);
}

static inline X509 *
make_cert (EVP_PKEY * subject_key, const gchar * cn, X509 * issuer,
    EVP_PKEY * issuer_key)
{
  X509 *c = X509_new ();
  X509_NAME *name;

  X509_set_version (c, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (c), g_random_int_range (1,
          G_MAXINT32));
  X509_gmtime_adj (X509_getm_notBefore (c), -3600);
  X509_gmtime_adj (X509_getm_notAfter (c), 3600 * 24 * 30);
  X509_set_pubkey (c, subject_key);
  name = X509_get_subject_name (c);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC,
      (const unsigned char *) cn, -1, -1, 0);
  X509_set_issuer_name (c, issuer ? X509_get_subject_name (issuer) : name);
  g_assert_true (X509_sign (c, issuer_key, EVP_sha256 ()) > 0);
  return c;
}

static inline void
write_certs (const gchar * path, X509 * a, X509 * b)
{
  FILE *f = g_fopen (path, "wb");
  g_assert_nonnull (f);
  PEM_write_X509 (f, a);
  if (b)
    PEM_write_X509 (f, b);
  fclose (f);
}

static inline void
test_keys_init (TestKeys * k)
{
  EVP_PKEY *ca = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  EVP_PKEY *other = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  EVP_PKEY *p384 = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-384");
  X509 *ca_cert, *cert;

  k->dir = g_dir_make_tmp ("anninh-keys-XXXXXX", NULL);
  g_assert_nonnull (k->dir);
  k->pkey = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  g_assert_nonnull (k->pkey);
  ca_cert = make_cert (ca, "Test District CA", NULL, ca);
  cert = make_cert (k->pkey, "cam-01", ca_cert, ca);

  k->ca_key = g_build_filename (k->dir, "ca.key", NULL);
  k->ca_cert = g_build_filename (k->dir, "ca.pem", NULL);
  k->key = g_build_filename (k->dir, "cam.key", NULL);
  k->cert = g_build_filename (k->dir, "cam.pem", NULL);
  k->chain = g_build_filename (k->dir, "chain.pem", NULL);
  k->enc_key = g_build_filename (k->dir, "cam-enc.key", NULL);
  k->other_key = g_build_filename (k->dir, "other.key", NULL);
  k->p384_key = g_build_filename (k->dir, "p384.key", NULL);
  write_key (k->ca_key, ca, NULL);
  write_key (k->key, k->pkey, NULL);
  write_key (k->enc_key, k->pkey, "s3cret");
  write_key (k->other_key, other, NULL);
  write_key (k->p384_key, p384, NULL);
  write_certs (k->ca_cert, ca_cert, NULL);
  write_certs (k->cert, cert, NULL);
  write_certs (k->chain, cert, ca_cert);

  X509_free (cert);
  X509_free (ca_cert);
  EVP_PKEY_free (ca);
  EVP_PKEY_free (other);
  EVP_PKEY_free (p384);
}

static inline void
test_keys_clear (TestKeys * k)
{
  const gchar *files[] = { k->ca_key, k->ca_cert, k->key, k->cert, k->chain,
    k->enc_key, k->other_key, k->p384_key
  };
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_unlink (files[i]);
    g_free ((gchar *) files[i]);
  }
  g_rmdir (k->dir);
  g_free (k->dir);
  EVP_PKEY_free (k->pkey);
}

/* Synthetic H.264 NAL units: SPS, PPS, IDR slice, P slice; with bytes that
 * need emulation prevention in the SEIs' neighbourhood left out. The
 * slices start with first_mb_in_slice = 0 (bit 1). */
static inline void
append_nal (GByteArray * au, const guint8 * nal, gsize size)
{
  static const guint8 sc[4] = { 0, 0, 0, 1 };
  g_byte_array_append (au, sc, 4);
  g_byte_array_append (au, nal, size);
}

static inline GByteArray *
make_h264_au (gboolean idr, guint n)
{
  GByteArray *au = g_byte_array_new ();
  static const guint8 aud[] = { 0x09, 0xf0 };
  static const guint8 sps[] = { 0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0,
    0x47, 0xfe, 0xc8
  };
  static const guint8 pps[] = { 0x68, 0xce, 0x3c, 0x80 };
  guint8 slice[64];

  for (guint i = 0; i < sizeof (slice); i++)
    slice[i] = (guint8) (0x11 + 7 * i + 13 * n);
  slice[0] = idr ? 0x65 : 0x41;
  slice[1] = 0x88;              /* first_mb_in_slice = 0 */
  /* a byte sequence that needs an emulation prevention byte, escaped */
  slice[10] = 0x00;
  slice[11] = 0x00;
  slice[12] = 0x03;
  slice[13] = 0x01;
  slice[sizeof (slice) - 1] = 0x80;
  append_nal (au, aud, sizeof (aud));
  if (idr) {
    append_nal (au, sps, sizeof (sps));
    append_nal (au, pps, sizeof (pps));
  }
  append_nal (au, slice, sizeof (slice));
  return au;
}

/* A Media Signing SEI, as read back by the tests. */
typedef struct
{
  guint8 reserved;
  GBytes *tlv[8];               /* value of each tag (1..7), or NULL */
  GBytes *document;             /* unescaped bytes hashed for signing */
  GBytes *unescaped;            /* whole unescaped NAL unit */
} TestSei;

static inline void
test_sei_clear (TestSei * s)
{
  for (guint i = 0; i < 8; i++)
    g_clear_pointer (&s->tlv[i], g_bytes_unref);
  g_clear_pointer (&s->document, g_bytes_unref);
  g_clear_pointer (&s->unescaped, g_bytes_unref);
}

static inline GByteArray *
test_unescape (const guint8 * d, gsize n)
{
  GByteArray *o = g_byte_array_new ();
  guint zeros = 0;
  for (gsize i = 0; i < n; i++) {
    if (zeros >= 2 && d[i] == 3) {
      zeros = 0;
      continue;
    }
    g_byte_array_append (o, d + i, 1);
    zeros = d[i] == 0 ? zeros + 1 : 0;
  }
  return o;
}

/* Parses @nal (from its header, escaped) as a Media Signing SEI.
 * @hdr: NAL header size. Returns FALSE when it is not one. */
static inline gboolean
test_parse_sei (const guint8 * nal, gsize size, guint hdr, TestSei * out)
{
  static const guint8 uuid[16] = { 0x00, 0x5b, 0xc9, 0x3f, 0x2d, 0x71, 0x5e,
    0x95, 0xad, 0xa4, 0x79, 0x6f, 0x90, 0x87, 0x7a, 0x6f
  };
  GByteArray *u = test_unescape (nal, size);
  gsize p = hdr, payload = 0, end, q;

  memset (out, 0, sizeof (*out));
  if (u->len < hdr + 20 || u->data[p] != 5) {
    g_byte_array_unref (u);
    return FALSE;
  }
  p++;
  while (u->data[p] == 0xff) {
    payload += 255;
    p++;
  }
  payload += u->data[p++];
  if (memcmp (u->data + p, uuid, 16) != 0) {
    g_byte_array_unref (u);
    return FALSE;
  }
  end = p + payload;
  g_assert_cmpuint (end + 1, ==, u->len);       /* then the stop byte */
  g_assert_cmpuint (u->data[end], ==, 0x80);
  out->reserved = u->data[p + 16];
  q = p + 17;
  while (q + 3 <= end) {
    guint tag = u->data[q];
    gsize len = (u->data[q + 1] << 8) | u->data[q + 2];
    g_assert_cmpuint (q + 3 + len, <=, end);
    if (tag == 3 && out->document == NULL)
      out->document = g_bytes_new (u->data, q);
    if (tag >= 1 && tag <= 7 && out->tlv[tag] == NULL)
      out->tlv[tag] = g_bytes_new (u->data + q + 3, len);
    q += 3 + len;
  }
  g_assert_cmpuint (q, ==, end);
  out->unescaped = g_bytes_new (u->data, u->len);
  g_byte_array_unref (u);
  return TRUE;
}

static inline gboolean
test_verify_sei (TestSei * s, EVP_PKEY * pub)
{
  gsize len, doclen;
  const guint8 *sig = g_bytes_get_data (s->tlv[3], &len);
  const guint8 *doc = g_bytes_get_data (s->document, &doclen);
  guint8 digest[32];
  EVP_PKEY_CTX *ctx;
  int ok;
  gsize sig_size;

  g_assert_cmpuint (sig[0], ==, 1);
  sig_size = (sig[1] << 8) | sig[2];
  g_assert_cmpuint (sig_size + 3, <=, len);
  EVP_Digest (doc, doclen, digest, NULL, EVP_sha256 (), NULL);
  ctx = EVP_PKEY_CTX_new (pub, NULL);
  EVP_PKEY_verify_init (ctx);
  ok = EVP_PKEY_verify (ctx, sig + 3, sig_size, digest, 32);
  EVP_PKEY_CTX_free (ctx);
  return ok == 1;
}

static inline void
test_sha256 (const guint8 * d, gsize n, guint8 * out)
{
  EVP_Digest (d, n, out, NULL, EVP_sha256 (), NULL);
}

#endif
