/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test helper: synthetic H.264 access units (fake slice payloads, the
 * validator never decodes pictures) signed the ONVIF Media Signing way with
 * an ECDSA P-256 key and a CA made here with OpenSSL. Written from the
 * specification for the verifier's tests; not the product's signer. */
#ifndef __MS_TEST_STREAM_H__
#define __MS_TEST_STREAM_H__

#include <string.h>
#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

typedef struct
{
  EVP_PKEY *ca_key, *key;
  X509 *ca, *cert;
  gchar *ca_path;               /* PEM file of the CA, for the validator */
  gchar *cert_pem;
} MsTestKeys;

static X509 *
ms_test_make_cert (EVP_PKEY * key, const gchar * cn, X509 * issuer,
    EVP_PKEY * issuer_key)
{
  X509 *c = X509_new ();
  X509_NAME *n;

  X509_set_version (c, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (c), g_random_int () & 0x7fffffff);
  X509_gmtime_adj (X509_getm_notBefore (c), -3600);
  X509_gmtime_adj (X509_getm_notAfter (c), 3600 * 24);
  X509_set_pubkey (c, key);
  n = X509_get_subject_name (c);
  X509_NAME_add_entry_by_txt (n, "CN", MBSTRING_ASC, (const guchar *) cn, -1,
      -1, 0);
  X509_set_issuer_name (c, issuer ? X509_get_subject_name (issuer) : n);
  if (issuer == NULL) {
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx_nodb (&ctx);
    X509V3_set_ctx (&ctx, c, c, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_basic_constraints,
        "critical,CA:TRUE");
    X509_add_ext (c, ext, -1);
    X509_EXTENSION_free (ext);
  }
  X509_sign (c, issuer_key ? issuer_key : key, EVP_sha256 ());
  return c;
}

static void
ms_test_keys_init (MsTestKeys * k, const gchar * dir)
{
  BIO *b;
  BUF_MEM *mem;
  FILE *f;

  k->ca_key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  k->key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  k->ca = ms_test_make_cert (k->ca_key, "Test District CA", NULL, NULL);
  k->cert = ms_test_make_cert (k->key, "cam-test", k->ca, k->ca_key);
  k->ca_path = g_build_filename (dir, "ca.pem", NULL);
  f = fopen (k->ca_path, "w");
  PEM_write_X509 (f, k->ca);
  fclose (f);
  b = BIO_new (BIO_s_mem ());
  PEM_write_bio_X509 (b, k->cert);
  BIO_get_mem_ptr (b, &mem);
  k->cert_pem = g_strndup (mem->data, mem->length);
  BIO_free (b);
}

static void
ms_test_keys_clear (MsTestKeys * k)
{
  EVP_PKEY_free (k->ca_key);
  EVP_PKEY_free (k->key);
  X509_free (k->ca);
  X509_free (k->cert);
  g_unlink (k->ca_path);
  g_free (k->ca_path);
  g_free (k->cert_pem);
}

static const guint8 ms_test_uuid[16] = {
  0x00, 0x5b, 0xc9, 0x3f, 0x2d, 0x71, 0x5e, 0x95,
  0xad, 0xa4, 0x79, 0x6f, 0x90, 0x87, 0x7a, 0x6f
};

static void
ms_test_sha256 (const guint8 * d, gsize n, guint8 * out)
{
  EVP_Digest (d, n, out, NULL, EVP_sha256 (), NULL);
}

static void
ms_test_tlv (GByteArray * a, guint8 tag, const guint8 * v, gsize n)
{
  guint8 hdr[3] = { tag, (guint8) (n >> 8), (guint8) n };

  g_byte_array_append (a, hdr, 3);
  g_byte_array_append (a, v, n);
}

static GByteArray *
ms_test_add_ep (const guint8 * d, gsize n)
{
  GByteArray *o = g_byte_array_new ();
  guint zeros = 0;
  const guint8 three = 3;

  for (gsize i = 0; i < n; i++) {
    if (zeros >= 2 && d[i] <= 3) {
      g_byte_array_append (o, &three, 1);
      zeros = 0;
    }
    g_byte_array_append (o, d + i, 1);
    zeros = d[i] == 0 ? zeros + 1 : 0;
  }
  return o;
}

/* A signed GOP SEI (H.264), emulation prevention applied, no start code. */
static GByteArray *
ms_test_gop_sei (MsTestKeys * k, guint32 counter, GByteArray * hashes,
    const guint8 * linked, guint64 start, guint64 end)
{
  GByteArray *tlvs = g_byte_array_new (), *doc = g_byte_array_new (), *out;
  guint8 gen[27 + 64], gh[32], dg[32], sig[80], sigv[3 + 72];
  guint8 crypto[] = { 1, 11, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
    0x04, 0x02, 0x01, 0, 0, 0
  };
  guint8 v1 = 1, hdr[8], stop = 0x80;
  gsize payload, siglen = sizeof (sig), h = 0;
  EVP_MD_CTX *md;
  guint8 *cert_tlv;
  gsize cn = strlen (k->cert_pem);

  ms_test_sha256 (hashes->data, hashes->len, gh);
  gen[0] = 2;
  gen[1] = 26;
  gen[2] = 6;
  gen[3] = 0;
  gen[4] = 0;
  for (guint i = 0; i < 8; i++) {
    gen[5 + i] = start >> (56 - 8 * i);
    gen[13 + i] = end >> (56 - 8 * i);
  }
  gen[21] = counter >> 24;
  gen[22] = counter >> 16;
  gen[23] = counter >> 8;
  gen[24] = counter;
  gen[25] = (hashes->len / 32) >> 8;
  gen[26] = hashes->len / 32;
  memcpy (gen + 27, gh, 32);
  memcpy (gen + 59, linked, 32);

  ms_test_tlv (tlvs, 4, crypto, sizeof (crypto));
  cert_tlv = g_malloc (cn + 2);
  cert_tlv[0] = 1;
  cert_tlv[1] = 0;
  memcpy (cert_tlv + 2, k->cert_pem, cn);
  ms_test_tlv (tlvs, 6, cert_tlv, cn + 2);
  g_free (cert_tlv);
  ms_test_tlv (tlvs, 1, gen, 91);
  {
    GByteArray *hl = g_byte_array_new ();
    g_byte_array_append (hl, &v1, 1);
    g_byte_array_append (hl, hashes->data, hashes->len);
    ms_test_tlv (tlvs, 2, hl->data, hl->len);
    g_byte_array_unref (hl);
  }

  payload = 16 + 1 + tlvs->len + 3 + 75;
  hdr[h++] = 0x06;
  hdr[h++] = 0x05;
  {
    gsize p = payload;
    g_byte_array_append (doc, hdr, h);
    while (p >= 255) {
      guint8 ff = 0xff;
      g_byte_array_append (doc, &ff, 1);
      p -= 255;
    }
    hdr[0] = (guint8) p;
    g_byte_array_append (doc, hdr, 1);
  }
  g_byte_array_append (doc, ms_test_uuid, 16);
  hdr[0] = 0;                   /* reserved byte */
  g_byte_array_append (doc, hdr, 1);
  g_byte_array_append (doc, tlvs->data, tlvs->len);

  ms_test_sha256 (doc->data, doc->len, dg);
  md = (EVP_MD_CTX *) EVP_PKEY_CTX_new (k->key, NULL);
  EVP_PKEY_sign_init ((EVP_PKEY_CTX *) md);
  EVP_PKEY_sign ((EVP_PKEY_CTX *) md, sig, &siglen, dg, 32);
  EVP_PKEY_CTX_free ((EVP_PKEY_CTX *) md);
  memset (sigv, 0, sizeof (sigv));
  sigv[0] = 1;
  sigv[1] = siglen >> 8;
  sigv[2] = siglen;
  memcpy (sigv + 3, sig, siglen);
  ms_test_tlv (doc, 3, sigv, sizeof (sigv));
  g_byte_array_append (doc, &stop, 1);

  out = ms_test_add_ep (doc->data, doc->len);
  g_byte_array_unref (doc);
  g_byte_array_unref (tlvs);
  return out;
}

/* Builds @n_gops GOPs of @gop_len fake H.264 pictures (one slice each) and
 * signs them: returns a GPtrArray of GByteArray access units (Annex B), the
 * signed SEI of a GOP opening the access unit of the next IDR, a last SEI
 * in an access unit of its own. */
static GPtrArray *
ms_test_stream (MsTestKeys * k, guint n_gops, guint gop_len)
{
  GPtrArray *aus = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_byte_array_unref);
  GByteArray *hashes = g_byte_array_new ();
  guint8 anchor[32], linked[32] = { 0 }, first[32];
  guint32 counter = 0;
  const guint8 sc[4] = { 0, 0, 0, 1 };
  /* now, in 100 ns ticks since 1601 */
  guint64 t0 = ((guint64) g_get_real_time () + G_GUINT64_CONSTANT (11644473600)
      * G_USEC_PER_SEC) * 10;
  guint frame = 0;

  for (guint g = 0; g <= n_gops; g++) {
    for (guint f = 0; f < gop_len; f++, frame++) {
      GByteArray *au = g_byte_array_new ();
      guint8 slice[200];
      guint8 pair[64];
      guint8 hash[32];

      if (g == n_gops && f > 0)
        break;
      if (f == 0 && hashes->len > 0) {
        GByteArray *sei = ms_test_gop_sei (k, ++counter, hashes, linked,
            t0 + (guint64) (frame - gop_len) * 400000,
            t0 + (guint64) frame * 400000);
        g_byte_array_append (au, sc, 4);
        g_byte_array_append (au, sei->data, sei->len);
        g_byte_array_unref (sei);
        memcpy (linked, first, 32);
        g_byte_array_set_size (hashes, 0);
      }
      if (g == n_gops) {
        g_ptr_array_add (aus, au);
        break;
      }
      /* slice: header, first_mb_in_slice = 0 (top bit), varied payload */
      slice[0] = f == 0 ? 0x65 : 0x41;
      slice[1] = 0x88;
      for (guint i = 2; i < sizeof (slice) - 1; i++)
        slice[i] = 0x10 + ((frame * 7 + i * 13) & 0x7f);
      slice[sizeof (slice) - 1] = 0x80;
      g_byte_array_append (au, sc, 4);
      g_byte_array_append (au, slice, sizeof (slice));
      if (f == 0) {
        ms_test_sha256 (slice, sizeof (slice), anchor);
        memcpy (hash, anchor, 32);
        memcpy (first, anchor, 32);
      } else {
        memcpy (pair, anchor, 32);
        ms_test_sha256 (slice, sizeof (slice), pair + 32);
        ms_test_sha256 (pair, 64, hash);
      }
      g_byte_array_append (hashes, hash, 32);
      g_ptr_array_add (aus, au);
    }
  }
  g_byte_array_unref (hashes);
  return aus;
}

#endif /* __MS_TEST_STREAM_H__ */
