/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef __ANNINH_SIGNING_KEY_H__
#define __ANNINH_SIGNING_KEY_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * SECTION:signing-key
 * @title: Signing key
 * @short_description: a camera's private signing key and its certificate
 *   chain, loaded from PEM files and checked against each other
 *
 * The private key signs the Media Signing documents; the certificate chain
 * (leaf first, without the root CA) travels in the stream so that a
 * validator holding the CA certificate can check the key. Both are read
 * once, at load time; signing afterwards does no I/O.
 *
 * Supported keys: ECDSA on the P-256 curve (signature: ECDSA over the
 * SHA-256 document hash, DER encoded) and RSA of 2048 bits or more
 * (signature: RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt).
 *
 * The passphrase of an encrypted key is used once and never logged.
 */

/**
 * ANNINH_SIGNING_KEY_ERROR:
 *
 * Error domain of anninh_signing_key_load() and
 * anninh_signing_key_sign_digest(); codes in #AnninhSigningKeyError.
 */
#define ANNINH_SIGNING_KEY_ERROR (anninh_signing_key_error_quark ())
GQuark anninh_signing_key_error_quark (void);

/**
 * AnninhSigningKeyError:
 * @ANNINH_SIGNING_KEY_ERROR_MISSING: no file name given, or no such file
 * @ANNINH_SIGNING_KEY_ERROR_UNREADABLE: the file exists but cannot be read
 * @ANNINH_SIGNING_KEY_ERROR_WRONG_TYPE: the file is not a PEM private key
 *   (or certificate chain), or the key is neither EC P-256 nor RSA >= 2048
 * @ANNINH_SIGNING_KEY_ERROR_PASSPHRASE: the key is encrypted and the
 *   passphrase is missing or wrong
 * @ANNINH_SIGNING_KEY_ERROR_MISMATCH: the leaf certificate does not carry
 *   the public half of the private key
 * @ANNINH_SIGNING_KEY_ERROR_SIGN: OpenSSL failed to sign
 */
typedef enum
{
  ANNINH_SIGNING_KEY_ERROR_MISSING,
  ANNINH_SIGNING_KEY_ERROR_UNREADABLE,
  ANNINH_SIGNING_KEY_ERROR_WRONG_TYPE,
  ANNINH_SIGNING_KEY_ERROR_PASSPHRASE,
  ANNINH_SIGNING_KEY_ERROR_MISMATCH,
  ANNINH_SIGNING_KEY_ERROR_SIGN,
} AnninhSigningKeyError;

/**
 * AnninhSigningAlgorithm:
 * @ANNINH_SIGNING_ALGORITHM_ECDSA_P256: ECDSA, curve P-256, SHA-256
 * @ANNINH_SIGNING_ALGORITHM_RSA_PSS: RSASSA-PSS, SHA-256
 */
typedef enum
{
  ANNINH_SIGNING_ALGORITHM_ECDSA_P256,
  ANNINH_SIGNING_ALGORITHM_RSA_PSS,
} AnninhSigningAlgorithm;

typedef struct _AnninhSigningKey AnninhSigningKey;

AnninhSigningKey *anninh_signing_key_load (const gchar * private_key_path,
                                           const gchar * passphrase,
                                           const gchar * certificate_chain_path,
                                           GError ** error);

AnninhSigningKey *anninh_signing_key_ref (AnninhSigningKey * key);

void              anninh_signing_key_unref (AnninhSigningKey * key);

AnninhSigningAlgorithm
                  anninh_signing_key_get_algorithm (AnninhSigningKey * key);

guint             anninh_signing_key_get_bits (AnninhSigningKey * key);

gsize             anninh_signing_key_get_max_signature_size (AnninhSigningKey * key);

const gchar      *anninh_signing_key_get_certificate_chain (AnninhSigningKey * key,
                                                            gsize * size);

const gchar      *anninh_signing_key_get_subject (AnninhSigningKey * key);

gboolean          anninh_signing_key_sign_digest (AnninhSigningKey * key,
                                                  const guint8 * digest,
                                                  gsize digest_size,
                                                  guint8 * signature,
                                                  gsize * signature_size,
                                                  GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AnninhSigningKey, anninh_signing_key_unref)

G_END_DECLS

#endif /* __ANNINH_SIGNING_KEY_H__ */
