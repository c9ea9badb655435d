/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: the camera's signing key and certificate chain (OpenSSL 3). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "signing-key.h"

struct _AnninhSigningKey
{
  gint ref_count;
  EVP_PKEY *pkey;
  AnninhSigningAlgorithm algorithm;
  gchar *chain_pem;             /* leaf first, root CA removed */
  gsize chain_size;
  gchar *subject;
};

G_DEFINE_QUARK (anninh-signing-key-error-quark, anninh_signing_key_error);

typedef struct
{
  const gchar *passphrase;
  gboolean asked;
} PassphraseRequest;

static int
passphrase_cb (char *buf, int size, int rwflag, void *user_data)
{
  PassphraseRequest *req = user_data;
  gsize len;

  req->asked = TRUE;
  if (req->passphrase == NULL)
    return 0;
  len = strlen (req->passphrase);
  if (len > (gsize) size)
    return 0;
  memcpy (buf, req->passphrase, len);
  return (int) len;
}

static gboolean
read_pem_file (const gchar * what, const gchar * path, gchar ** contents,
    gsize * size, GError ** error)
{
  GError *err = NULL;

  if (path == NULL || *path == '\0') {
    g_set_error (error, ANNINH_SIGNING_KEY_ERROR,
        ANNINH_SIGNING_KEY_ERROR_MISSING, "No %s file is configured", what);
    return FALSE;
  }
  if (!g_file_get_contents (path, contents, size, &err)) {
    gint code = g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT) ?
        ANNINH_SIGNING_KEY_ERROR_MISSING : ANNINH_SIGNING_KEY_ERROR_UNREADABLE;
    g_set_error (error, ANNINH_SIGNING_KEY_ERROR, code,
        "Cannot read the %s file %s: %s", what, path, err->message);
    g_clear_error (&err);
    return FALSE;
  }
  return TRUE;
}

static EVP_PKEY *
load_private_key (const gchar * path, const gchar * passphrase,
    GError ** error)
{
  gchar *pem = NULL;
  gsize size = 0;
  BIO *bio;
  EVP_PKEY *pkey;
  PassphraseRequest req = { passphrase, FALSE };

  if (!read_pem_file ("private key", path, &pem, &size, error))
    return NULL;

  bio = BIO_new_mem_buf (pem, (int) size);
  pkey = PEM_read_bio_PrivateKey (bio, NULL, passphrase_cb, &req);
  BIO_free (bio);
  OPENSSL_cleanse (pem, size);
  g_free (pem);
  ERR_clear_error ();

  if (pkey == NULL) {
    if (req.asked && passphrase == NULL)
      g_set_error (error, ANNINH_SIGNING_KEY_ERROR,
          ANNINH_SIGNING_KEY_ERROR_PASSPHRASE,
          "The private key %s is encrypted and no passphrase is set", path);
    else if (req.asked)
      g_set_error (error, ANNINH_SIGNING_KEY_ERROR,
          ANNINH_SIGNING_KEY_ERROR_PASSPHRASE,
          "The passphrase does not open the private key %s", path);
    else
      g_set_error (error, ANNINH_SIGNING_KEY_ERROR,
          ANNINH_SIGNING_KEY_ERROR_WRONG_TYPE,
          "%s is not a PEM private key", path);
    return NULL;
  }
  return pkey;
}

static gboolean
check_key_type (EVP_PKEY * pkey, const gchar * path,
    AnninhSigningAlgorithm * algorithm, GError ** error)
{
  int id = EVP_PKEY_get_base_id (pkey);

  if (id == EVP_PKEY_EC) {
    char group[64] = "";
    size_t len = 0;

    if (EVP_PKEY_get_group_name (pkey, group, sizeof (group), &len) == 1
        && (g_str_equal (group, "prime256v1") || g_str_equal (group, "P-256"))) {
      *algorithm = ANNINH_SIGNING_ALGORITHM_ECDSA_P256;
      return TRUE;
    }
    g_set_error (error, ANNINH_SIGNING_KEY_ERROR,
        ANNINH_SIGNING_KEY_ERROR_WRONG_TYPE,
        "The EC key %s is on curve %s; only P-256 (prime256v1) is supported",
        path, group[0] ? group : "(unknown)");
    return FALSE;
  }
  if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) {
    if (EVP_PKEY_get_bits (pkey) >= 2048) {
      *algorithm = ANNINH_SIGNING_ALGORITHM_RSA_PSS;
      return TRUE;
    }
    g_set_error (error, ANNINH_SIGNING_KEY_ERROR,
        ANNINH_SIGNING_KEY_ERROR_WRONG_TYPE,
        "The RSA key %s has %d bits; at least 2048 are required", path,
        EVP_PKEY_get_bits (pkey));
    return FALSE;
  }
  g_set_error (error, ANNINH_SIGNING_KEY_ERROR,
      ANNINH_SIGNING_KEY_ERROR_WRONG_TYPE,
      "The private key %s is of an unsupported type; use EC P-256 or RSA",
      path);
  return FALSE;
}

static gboolean
load_chain (AnninhSigningKey * key, const gchar * path, GError ** error)
{
  gchar *pem = NULL;
  gsize size = 0;
  BIO *in, *out;
  STACK_OF (X509) * certs;
  X509 *cert;
  gint n;
  gboolean ok = FALSE;
  BUF_MEM *mem;

  if (!read_pem_file ("certificate chain", path, &pem, &size, error))
    return FALSE;

  certs = sk_X509_new_null ();
  in = BIO_new_mem_buf (pem, (int) size);
  while ((cert = PEM_read_bio_X509 (in, NULL, NULL, NULL)) != NULL)
    sk_X509_push (certs, cert);
  BIO_free (in);
  g_free (pem);
  ERR_clear_error ();

  n = sk_X509_num (certs);
  if (n == 0) {
    g_set_error (error, ANNINH_SIGNING_KEY_ERROR,
        ANNINH_SIGNING_KEY_ERROR_WRONG_TYPE,
        "%s contains no PEM certificate", path);
    goto done;
  }
  if (EVP_PKEY_eq (X509_get0_pubkey (sk_X509_value (certs, 0)),
          key->pkey) != 1) {
    g_set_error (error, ANNINH_SIGNING_KEY_ERROR,
        ANNINH_SIGNING_KEY_ERROR_MISMATCH,
        "The first certificate in %s does not belong to the private key",
        path);
    ERR_clear_error ();
    goto done;
  }

  /* The stream carries the chain without its root: a validator must get
   * the CA from a trusted source, never from the stream. */
  while (n > 1 && X509_self_signed (sk_X509_value (certs, n - 1), 0) == 1)
    n--;
  ERR_clear_error ();

  out = BIO_new (BIO_s_mem ());
  for (gint i = 0; i < n; i++)
    PEM_write_bio_X509 (out, sk_X509_value (certs, i));
  BIO_get_mem_ptr (out, &mem);
  key->chain_pem = g_strndup (mem->data, mem->length);
  key->chain_size = mem->length;
  BIO_free (out);

  out = BIO_new (BIO_s_mem ());
  X509_NAME_print_ex (out, X509_get_subject_name (sk_X509_value (certs, 0)),
      0, XN_FLAG_RFC2253);
  BIO_get_mem_ptr (out, &mem);
  key->subject = g_strndup (mem->data, mem->length);
  BIO_free (out);
  ok = TRUE;

done:
  sk_X509_pop_free (certs, X509_free);
  return ok;
}

/**
 * anninh_signing_key_load:
 * @private_key_path: PEM file with the private key (PKCS#8 or traditional,
 *   encrypted or not)
 * @passphrase: (nullable): passphrase of an encrypted key
 * @certificate_chain_path: PEM file with the certificates, the leaf (the
 *   certificate of this key) first, then intermediates; a trailing
 *   self-signed root CA is dropped
 * @error: return location for an #ANNINH_SIGNING_KEY_ERROR
 *
 * Reads and checks the key and the chain: exists, readable, PEM, a
 * supported type, opens with the passphrase, the leaf matches the key.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set
 *   to a sentence naming the file and what is wrong with it.
 */
AnninhSigningKey *
anninh_signing_key_load (const gchar * private_key_path,
    const gchar * passphrase, const gchar * certificate_chain_path,
    GError ** error)
{
  AnninhSigningKey *key;
  EVP_PKEY *pkey;
  AnninhSigningAlgorithm algorithm;

  pkey = load_private_key (private_key_path, passphrase, error);
  if (pkey == NULL)
    return NULL;
  if (!check_key_type (pkey, private_key_path, &algorithm, error)) {
    EVP_PKEY_free (pkey);
    return NULL;
  }

  key = g_new0 (AnninhSigningKey, 1);
  key->ref_count = 1;
  key->pkey = pkey;
  key->algorithm = algorithm;
  if (!load_chain (key, certificate_chain_path, error)) {
    anninh_signing_key_unref (key);
    return NULL;
  }
  return key;
}

/**
 * anninh_signing_key_ref:
 * @key: a key
 *
 * Returns: (transfer full): @key
 */
AnninhSigningKey *
anninh_signing_key_ref (AnninhSigningKey * key)
{
  g_return_val_if_fail (key != NULL, NULL);
  g_atomic_int_inc (&key->ref_count);
  return key;
}

/**
 * anninh_signing_key_unref:
 * @key: (transfer full): a key
 */
void
anninh_signing_key_unref (AnninhSigningKey * key)
{
  g_return_if_fail (key != NULL);
  if (!g_atomic_int_dec_and_test (&key->ref_count))
    return;
  EVP_PKEY_free (key->pkey);
  g_free (key->chain_pem);
  g_free (key->subject);
  g_free (key);
}

/**
 * anninh_signing_key_get_algorithm:
 * @key: a key
 *
 * Returns: the signature algorithm this key signs with.
 */
AnninhSigningAlgorithm
anninh_signing_key_get_algorithm (AnninhSigningKey * key)
{
  return key->algorithm;
}

/**
 * anninh_signing_key_get_bits:
 * @key: a key
 *
 * Returns: the key size in bits (256 for P-256).
 */
guint
anninh_signing_key_get_bits (AnninhSigningKey * key)
{
  return EVP_PKEY_get_bits (key->pkey);
}

/**
 * anninh_signing_key_get_max_signature_size:
 * @key: a key
 *
 * Returns: the largest signature this key makes, in bytes (72 for P-256,
 *   the modulus size for RSA).
 */
gsize
anninh_signing_key_get_max_signature_size (AnninhSigningKey * key)
{
  return EVP_PKEY_get_size (key->pkey);
}

/**
 * anninh_signing_key_get_certificate_chain:
 * @key: a key
 * @size: (out) (optional): its length in bytes
 *
 * Returns: (transfer none): the certificate chain as PEM text, leaf first,
 *   without the root CA: what goes into the certificate chain TLV.
 */
const gchar *
anninh_signing_key_get_certificate_chain (AnninhSigningKey * key,
    gsize * size)
{
  if (size)
    *size = key->chain_size;
  return key->chain_pem;
}

/**
 * anninh_signing_key_get_subject:
 * @key: a key
 *
 * Returns: (transfer none): the subject of the leaf certificate, RFC 2253.
 */
const gchar *
anninh_signing_key_get_subject (AnninhSigningKey * key)
{
  return key->subject;
}

/**
 * anninh_signing_key_sign_digest:
 * @key: a key
 * @digest: a SHA-256 digest
 * @digest_size: 32
 * @signature: buffer of anninh_signing_key_get_max_signature_size() bytes
 * @signature_size: (out): bytes written to @signature
 * @error: return location for an #ANNINH_SIGNING_KEY_ERROR
 *
 * Signs a SHA-256 digest: ECDSA (DER) or RSASSA-PSS (SHA-256, MGF1 SHA-256,
 * salt of 32 bytes). No I/O.
 *
 * Returns: %TRUE on success.
 */
gboolean
anninh_signing_key_sign_digest (AnninhSigningKey * key,
    const guint8 * digest, gsize digest_size, guint8 * signature,
    gsize * signature_size, GError ** error)
{
  EVP_PKEY_CTX *ctx;
  size_t len = EVP_PKEY_get_size (key->pkey);
  gboolean ok = FALSE;

  ctx = EVP_PKEY_CTX_new (key->pkey, NULL);
  if (ctx == NULL || EVP_PKEY_sign_init (ctx) <= 0)
    goto out;
  if (key->algorithm == ANNINH_SIGNING_ALGORITHM_RSA_PSS) {
    if (EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PSS_PADDING) <= 0
        || EVP_PKEY_CTX_set_signature_md (ctx, EVP_sha256 ()) <= 0
        || EVP_PKEY_CTX_set_rsa_mgf1_md (ctx, EVP_sha256 ()) <= 0
        || EVP_PKEY_CTX_set_rsa_pss_saltlen (ctx, RSA_PSS_SALTLEN_DIGEST) <= 0)
      goto out;
  } else if (EVP_PKEY_CTX_set_signature_md (ctx, EVP_sha256 ()) <= 0) {
    goto out;
  }
  if (EVP_PKEY_sign (ctx, signature, &len, digest, digest_size) <= 0)
    goto out;
  *signature_size = len;
  ok = TRUE;

out:
  if (!ok) {
    gchar buf[256];
    ERR_error_string_n (ERR_get_error (), buf, sizeof (buf));
    g_set_error (error, ANNINH_SIGNING_KEY_ERROR,
        ANNINH_SIGNING_KEY_ERROR_SIGN, "OpenSSL could not sign: %s", buf);
    ERR_clear_error ();
  }
  EVP_PKEY_CTX_free (ctx);
  return ok;
}
