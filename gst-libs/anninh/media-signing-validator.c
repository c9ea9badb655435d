/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: ONVIF Media Signing validator, written from the specification
 * (onvif/specs doc/MediaSigning.xml, "Client side validation").
 *
 * Hashing, as the specification defines it:
 *   - the first primary slice of an IDR/IRAP picture is the anchor of its
 *     GOP; its list entry is H(I);
 *   - every other picture slice F gets H(H(I) || H(F));
 *   - Media Signing SEIs without a signature get H(SEI), unlinked;
 *   - the GOP hash is H(entry1 || entry2 || ... || entryN);
 *   - a signed SEI signs H(document), the document being the SEI from its
 *     NAL header up to the signature TLV;
 *   - each SEI carries the first list entry of the previous (partial) GOP
 *     (GOP chaining) and a running counter.
 *
 * Matching NAL units to a SEI: hashable NAL units queue up in decoding order;
 * a GOP SEI judges the head of the queue, never past the next anchor (a
 * (partial) GOP cannot span an IDR). The fast path compares the GOP hash;
 * when it differs the hash list tells altered, reordered, duplicated and
 * missing NAL units apart.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/err.h>

#include "media-signing-validator.h"

#define HASH_SIZE 32            /* SHA-256, the algorithm this validator runs */

typedef struct
{
  guint8 hash[HASH_SIZE];       /* the list entry */
  gint64 frame;
  gint64 pts;
  gboolean anchor;
  gint attribution;             /* index into pending_attribution, or -1 */
} Item;

struct _AnninhMsValidator
{
  AnninhMsCodec codec;
  X509_STORE *store;            /* NULL: no CA given */

  GArray *queue;                /* of Item, hashable NAL units not yet judged */
  guint head;                   /* first live item of queue */
  gboolean have_anchor;
  guint8 anchor[HASH_SIZE];

  gint64 frames;                /* pictures seen */
  gint64 cur_frame, cur_pts;    /* of the access unit being pushed */

  gboolean seen_ms_sei;         /* any Media Signing SEI */
  gboolean judged_any;          /* a GOP SEI has judged NAL units */
  gboolean have_prev;
  guint32 prev_counter;
  guint8 prev_first[HASH_SIZE];
  gboolean prev_first_known;

  /* Signing key, from the first certificate chain seen. */
  gchar *key_pem;
  gsize key_pem_size;
  EVP_PKEY *key;
  STACK_OF (X509) * chain;      /* leaf first */
  gboolean chain_judged;
  gboolean key_changed;

  GPtrArray *results;           /* not yet taken */
  GPtrArray *unsigned_pending;  /* results of unsigned GOP SEIs */
  GPtrArray *pending_attribution;       /* of gchar*, from unsigned SEIs */
  gboolean spent;

  AnninhMsSummary *summary;
};

const gchar *
anninh_ms_verdict_to_string (AnninhMsVerdict verdict)
{
  switch (verdict) {
    case ANNINH_MS_VERDICT_AUTHENTIC:
      return "authentic";
    case ANNINH_MS_VERDICT_AUTHENTIC_MISSING:
      return "authentic-with-missing-frames";
    case ANNINH_MS_VERDICT_NOT_AUTHENTIC:
      return "not-authentic";
    case ANNINH_MS_VERDICT_NOT_SIGNED:
    default:
      return "not-signed";
  }
}

gint64
anninh_ms_timestamp_to_unix_us (guint64 ts)
{
  /* 100 ns ticks between 1601-01-01 and 1970-01-01. */
  const guint64 epoch = G_GUINT64_CONSTANT (116444736000000000);
  const gint64 y2000 = G_GINT64_CONSTANT (946684800000000);
  const gint64 y2100 = G_GINT64_CONSTANT (4102444800000000);
  gint64 us;

  if (ts < epoch)
    return -1;
  us = (gint64) ((ts - epoch) / 10);
  if (us < y2000 || us > y2100)
    return -1;
  return us;
}

/* The specification text says little endian for the timestamps while the
 * reference implementation writes big endian: accept whichever is a
 * plausible date. */
static gint64
sei_time (guint64 raw)
{
  gint64 us = anninh_ms_timestamp_to_unix_us (raw);

  if (us < 0)
    us = anninh_ms_timestamp_to_unix_us (GUINT64_SWAP_LE_BE (raw));
  return us;
}

void
anninh_ms_gop_result_free (AnninhMsGopResult * result)
{
  if (result == NULL)
    return;
  g_free (result->reason);
  g_free (result);
}

void
anninh_ms_summary_free (AnninhMsSummary * s)
{
  if (s == NULL)
    return;
  g_free (s->reason);
  if (s->ranges)
    g_array_unref (s->ranges);
  g_free (s->signer_subject);
  g_free (s->signer_issuer);
  g_free (s->certificate_error);
  g_free (s->manufacturer);
  g_free (s->serial);
  g_free (s->firmware);
  g_free (s->camera_id);
  g_free (s->location);
  if (s->attribution)
    g_ptr_array_unref (s->attribution);
  g_free (s);
}

AnninhMsValidator *
anninh_ms_validator_new (AnninhMsCodec codec)
{
  AnninhMsValidator *v = g_new0 (AnninhMsValidator, 1);

  v->codec = codec;
  v->queue = g_array_new (FALSE, FALSE, sizeof (Item));
  v->results = g_ptr_array_new_with_free_func (
      (GDestroyNotify) anninh_ms_gop_result_free);
  v->unsigned_pending = g_ptr_array_new ();
  v->pending_attribution = g_ptr_array_new_with_free_func (g_free);
  v->summary = g_new0 (AnninhMsSummary, 1);
  v->summary->ranges = g_array_new (FALSE, FALSE, sizeof (AnninhMsRange));
  v->summary->attribution = g_ptr_array_new_with_free_func (g_free);
  v->summary->start_utc_us = v->summary->end_utc_us = -1;
  v->summary->latitude = v->summary->longitude = NAN;
  v->summary->certificate_checked_at_us = -1;
  return v;
}

void
anninh_ms_validator_free (AnninhMsValidator * v)
{
  if (v == NULL)
    return;
  if (v->store)
    X509_STORE_free (v->store);
  g_array_unref (v->queue);
  g_free (v->key_pem);
  EVP_PKEY_free (v->key);
  if (v->chain)
    sk_X509_pop_free (v->chain, X509_free);
  g_ptr_array_unref (v->results);
  g_ptr_array_unref (v->unsigned_pending);
  g_ptr_array_unref (v->pending_attribution);
  anninh_ms_summary_free (v->summary);
  g_free (v);
}

gboolean
anninh_ms_validator_set_ca_file (AnninhMsValidator * v, const gchar * path,
    GError ** error)
{
  X509_STORE *store = X509_STORE_new ();

  if (X509_STORE_load_file (store, path) != 1) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "cannot read CA certificates from %s (not a PEM certificate file?)",
        path);
    X509_STORE_free (store);
    ERR_clear_error ();
    return FALSE;
  }
  if (v->store)
    X509_STORE_free (v->store);
  v->store = store;
  v->summary->certificate_checked = TRUE;
  return TRUE;
}

/* ---- summary bookkeeping ---- */

static void
note_problem (AnninhMsValidator * v, const gchar * reason)
{
  if (v->summary->reason == NULL)
    v->summary->reason = g_strdup (reason);
}

static void
add_range (AnninhMsValidator * v, AnninhMsVerdict verdict, gint64 first,
    gint64 last, gint64 first_pts, gint64 last_pts)
{
  GArray *r = v->summary->ranges;

  if (first < 0)
    return;
  if (r->len > 0) {
    AnninhMsRange *prev = &g_array_index (r, AnninhMsRange, r->len - 1);

    if (prev->verdict == verdict && first <= prev->last_frame + 1) {
      prev->last_frame = MAX (prev->last_frame, last);
      prev->last_pts = last_pts;
      return;
    }
  }
  {
    AnninhMsRange nr = { verdict, first, last, first_pts, last_pts };
    g_array_append_val (r, nr);
  }
}

static void
record_attribution (AnninhMsValidator * v, const gchar * text)
{
  AnninhMsSummary *s = v->summary;
  JsonParser *parser;

  g_ptr_array_add (s->attribution, g_strdup (text));

  parser = json_parser_new ();
  if (json_parser_load_from_data (parser, text, -1, NULL)) {
    JsonNode *root = json_parser_get_root (parser);

    if (root && JSON_NODE_HOLDS_OBJECT (root)) {
      JsonObject *o = json_node_get_object (root);
      const gchar *id_keys[] = { "camera-id", "camera_id", "camera", NULL };
      const gchar *loc_keys[] = { "address", "location", NULL };

      for (guint i = 0; id_keys[i]; i++) {
        if (json_object_has_member (o, id_keys[i]) && !s->camera_id) {
          JsonNode *n = json_object_get_member (o, id_keys[i]);
          if (JSON_NODE_HOLDS_VALUE (n)
              && json_node_get_value_type (n) == G_TYPE_STRING)
            s->camera_id = g_strdup (json_node_get_string (n));
        }
      }
      for (guint i = 0; loc_keys[i]; i++) {
        if (json_object_has_member (o, loc_keys[i]) && !s->location) {
          JsonNode *n = json_object_get_member (o, loc_keys[i]);
          if (JSON_NODE_HOLDS_VALUE (n)
              && json_node_get_value_type (n) == G_TYPE_STRING)
            s->location = g_strdup (json_node_get_string (n));
        }
      }
      if (json_object_has_member (o, "latitude"))
        s->latitude = json_object_get_double_member (o, "latitude");
      else if (json_object_has_member (o, "lat"))
        s->latitude = json_object_get_double_member (o, "lat");
      if (json_object_has_member (o, "longitude"))
        s->longitude = json_object_get_double_member (o, "longitude");
      else if (json_object_has_member (o, "lon"))
        s->longitude = json_object_get_double_member (o, "lon");
    }
  }
  g_object_unref (parser);
}

static gchar *
bytes_to_text (GBytes * b)
{
  gsize n;
  const gchar *d = g_bytes_get_data (b, &n);

  if (g_utf8_validate (d, n, NULL) && memchr (d, 0, n) == NULL)
    return g_strndup (d, n);
  {
    GString *s = g_string_new ("hex:");
    for (gsize i = 0; i < n; i++)
      g_string_append_printf (s, "%02x", (guint8) d[i]);
    return g_string_free (s, FALSE);
  }
}

/* ---- certificates and signatures ---- */

static gchar *
name_to_string (X509_NAME * name)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  gchar *out;
  BUF_MEM *mem;

  X509_NAME_print_ex (bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  BIO_get_mem_ptr (bio, &mem);
  out = g_strndup (mem->data, mem->length);
  BIO_free (bio);
  return out;
}

/* Judges the chain against the CA store at @when_us (recording time), or now
 * when unknown. */
static void
judge_chain (AnninhMsValidator * v, gint64 when_us)
{
  AnninhMsSummary *s = v->summary;
  X509_STORE_CTX *ctx;
  X509 *leaf;
  STACK_OF (X509) * untrusted;

  if (v->chain_judged || v->chain == NULL || sk_X509_num (v->chain) == 0)
    return;
  v->chain_judged = TRUE;
  if (v->store == NULL)
    return;

  leaf = sk_X509_value (v->chain, 0);
  untrusted = sk_X509_dup (v->chain);
  (void) sk_X509_shift (untrusted);
  ctx = X509_STORE_CTX_new ();
  X509_STORE_CTX_init (ctx, v->store, leaf, untrusted);
  if (when_us < 0)
    when_us = g_get_real_time ();
  s->certificate_checked_at_us = when_us;
  X509_VERIFY_PARAM_set_time (X509_STORE_CTX_get0_param (ctx),
      (time_t) (when_us / G_USEC_PER_SEC));
  if (X509_verify_cert (ctx) == 1) {
    s->certificate_trusted = TRUE;
  } else {
    s->certificate_trusted = FALSE;
    g_free (s->certificate_error);
    s->certificate_error = g_strdup_printf ("signer certificate not trusted: %s",
        X509_verify_cert_error_string (X509_STORE_CTX_get_error (ctx)));
    note_problem (v, s->certificate_error);
  }
  X509_STORE_CTX_free (ctx);
  sk_X509_free (untrusted);
  ERR_clear_error ();
}

/* Takes a certificate chain TLV. Returns FALSE when it cannot be used. */
static gboolean
take_certificates (AnninhMsValidator * v, const gchar * pem, gsize size)
{
  BIO *bio;
  STACK_OF (X509) * chain;
  X509 *cert;

  if (v->key_pem) {
    if (size == v->key_pem_size && memcmp (pem, v->key_pem, size) == 0)
      return TRUE;
    /* A different chain mid-stream: footage from another signer. */
    v->key_changed = TRUE;
    return FALSE;
  }

  bio = BIO_new_mem_buf (pem, (int) size);
  chain = sk_X509_new_null ();
  while ((cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL)) != NULL)
    sk_X509_push (chain, cert);
  BIO_free (bio);
  ERR_clear_error ();
  if (sk_X509_num (chain) == 0) {
    sk_X509_free (chain);
    note_problem (v, "the certificate chain in the stream cannot be read");
    return FALSE;
  }
  v->chain = chain;
  v->key = X509_get_pubkey (sk_X509_value (chain, 0));
  v->key_pem = g_memdup2 (pem, size);
  v->key_pem_size = size;
  g_free (v->summary->signer_subject);
  g_free (v->summary->signer_issuer);
  v->summary->signer_subject =
      name_to_string (X509_get_subject_name (sk_X509_value (chain, 0)));
  v->summary->signer_issuer =
      name_to_string (X509_get_issuer_name (sk_X509_value (chain, 0)));
  return v->key != NULL;
}

static gboolean
verify_signature (AnninhMsValidator * v, const AnninhMsSei * sei)
{
  guint8 digest[HASH_SIZE];
  EVP_PKEY_CTX *ctx;
  gboolean ok = FALSE;

  if (v->key == NULL || sei->signature == NULL)
    return FALSE;
  EVP_Digest (sei->document, sei->document_size, digest, NULL, EVP_sha256 (),
      NULL);
  ctx = EVP_PKEY_CTX_new (v->key, NULL);
  if (ctx && EVP_PKEY_verify_init (ctx) > 0) {
    if (EVP_PKEY_get_base_id (v->key) == EVP_PKEY_RSA) {
      EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_signature_md (ctx, EVP_sha256 ());
    }
    ok = EVP_PKEY_verify (ctx, sei->signature, sei->signature_size, digest,
        sizeof (digest)) == 1;
  }
  EVP_PKEY_CTX_free (ctx);
  ERR_clear_error ();
  return ok;
}

static gboolean
hash_oid_is_sha256 (const AnninhMsSei * sei)
{
  /* 2.16.840.1.101.3.4.2.1, DER content bytes */
  static const guint8 sha256[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
    0x02, 0x01
  };
  const guint8 *o = sei->hash_oid;
  gsize n = sei->hash_oid_size;

  if (o == NULL)
    return TRUE;                /* not stated here: keep the default */
  /* Accept the serialized OID with or without its DER tag and length. */
  if (n == sizeof (sha256) + 2 && o[0] == 0x06 && o[1] == sizeof (sha256)) {
    o += 2;
    n -= 2;
  }
  return n == sizeof (sha256) && memcmp (o, sha256, n) == 0;
}

/* ---- the queue of hashable NAL units ---- */

static guint
queue_len (AnninhMsValidator * v)
{
  return v->queue->len - v->head;
}

static Item *
queue_at (AnninhMsValidator * v, guint i)
{
  return &g_array_index (v->queue, Item, v->head + i);
}

static void
queue_drop (AnninhMsValidator * v, guint n)
{
  v->head += n;
  if (v->head > 1024 && v->head * 2 > v->queue->len) {
    g_array_remove_range (v->queue, 0, v->head);
    v->head = 0;
  }
}

static void
push_item (AnninhMsValidator * v, const guint8 * data, gsize size,
    gboolean anchor, gboolean linked, gint attribution)
{
  Item it;

  it.frame = v->cur_frame;
  it.pts = v->cur_pts;
  it.anchor = anchor;
  it.attribution = attribution;
  if (!linked) {
    EVP_Digest (data, size, it.hash, NULL, EVP_sha256 (), NULL);
  } else {
    guint8 pair[2 * HASH_SIZE];

    memcpy (pair, v->anchor, HASH_SIZE);
    EVP_Digest (data, size, pair + HASH_SIZE, NULL, EVP_sha256 (), NULL);
    EVP_Digest (pair, sizeof (pair), it.hash, NULL, EVP_sha256 (), NULL);
  }
  if (anchor) {
    memcpy (v->anchor, it.hash, HASH_SIZE);
    v->have_anchor = TRUE;
  }
  g_array_append_val (v->queue, it);
}

/* ---- judging a GOP SEI ---- */

static AnninhMsGopResult *
new_result (void)
{
  AnninhMsGopResult *r = g_new0 (AnninhMsGopResult, 1);

  r->first_frame = r->last_frame = r->first_pts = r->last_pts = -1;
  r->start_utc_us = r->end_utc_us = -1;
  r->bad_first_frame = r->bad_last_frame = r->missing_after_frame = -1;
  return r;
}

static void
set_reason (AnninhMsGopResult * r, AnninhMsVerdict verdict, gchar * reason)
{
  /* A worse verdict replaces a better one; reasons accumulate. */
  if (verdict > r->verdict || r->reason == NULL) {
    if (verdict > r->verdict)
      r->verdict = verdict;
  }
  if (r->reason) {
    gchar *both = g_strdup_printf ("%s; %s", r->reason, reason);
    g_free (r->reason);
    g_free (reason);
    r->reason = both;
  } else {
    r->reason = reason;
  }
}

static void
mark_bad (AnninhMsGopResult * r, const Item * it)
{
  if (r->bad_first_frame < 0 || it->frame < r->bad_first_frame)
    r->bad_first_frame = it->frame;
  if (it->frame > r->bad_last_frame)
    r->bad_last_frame = it->frame;
  r->n_nalus_bad++;
}

/* Compares the head of the queue with the SEI. Returns the number of queue
 * items judged and fills @r. */
static guint
match_gop (AnninhMsValidator * v, const AnninhMsSei * sei,
    AnninhMsGopResult * r, gboolean * matched_any)
{
  guint len = queue_len (v), cap = len, n = sei->n_nalus, e;
  guint n_list = sei->hash_list ? sei->hash_list_size / HASH_SIZE : 0;

  *matched_any = FALSE;
  /* A (partial) GOP never spans an anchor. */
  for (guint i = 1; i < len; i++) {
    if (queue_at (v, i)->anchor) {
      cap = i;
      break;
    }
  }

  /* Fast path: the GOP hash over the first n entries. */
  if (n <= cap) {
    guint8 gh[HASH_SIZE];

    if (n == 0) {
      memset (gh, 0, HASH_SIZE);
    } else {
      EVP_MD_CTX *md = EVP_MD_CTX_new ();
      EVP_DigestInit_ex (md, EVP_sha256 (), NULL);
      for (guint i = 0; i < n; i++)
        EVP_DigestUpdate (md, queue_at (v, i)->hash, HASH_SIZE);
      EVP_DigestFinal_ex (md, gh, NULL);
      EVP_MD_CTX_free (md);
    }
    if (memcmp (gh, sei->gop_hash, HASH_SIZE) == 0) {
      *matched_any = n > 0;
      return n;
    }
  }

  if (n_list == 0) {
    /* Low bitrate mode: without a list all we know is that it differs. */
    e = MIN (cap, n);
    for (guint i = 0; i < e; i++)
      mark_bad (r, queue_at (v, i));
    if (e > 0)
      set_reason (r, ANNINH_MS_VERDICT_NOT_AUTHENTIC,
          g_strdup ("GOP hash differs (no hash list to locate the change)"));
    return e;
  }

  {
    gboolean *used = g_new0 (gboolean, n_list);
    gint *status = g_new0 (gint, cap);  /* 1 matched, 2 bad */
    guint j = 0, unique = 0;
    gint last_match = -1, last_list = -1;
    gboolean reordered = FALSE, altered = FALSE;
    const guint8 *list = sei->hash_list;

    for (guint i = 0; i < cap; i++) {
      const guint8 *h = queue_at (v, i)->hash;
      gint found = -1;

      for (guint k = j; k < n_list; k++) {
        if (memcmp (h, list + k * HASH_SIZE, HASH_SIZE) == 0 && !used[k]) {
          found = k;
          break;
        }
      }
      if (found >= 0) {
        used[found] = TRUE;
        unique++;
        j = found + 1;
        status[i] = 1;
        last_match = i;
        last_list = found;
        continue;
      }
      for (guint k = 0; k < n_list; k++) {
        if (memcmp (h, list + k * HASH_SIZE, HASH_SIZE) == 0) {
          found = k;
          break;
        }
      }
      status[i] = 2;
      if (found >= 0) {
        /* Known NAL unit in the wrong place: reordered or duplicated. */
        reordered = TRUE;
        last_match = i;
      }
    }

    if (last_list >= 0)
      e = MIN (cap, (guint) last_match + 1 + (n_list - 1 - last_list));
    else if (last_match >= 0)
      e = MIN (cap, (guint) last_match + 1);
    else
      e = MIN (cap, n_list);

    for (guint i = 0; i < e; i++) {
      if (status[i] != 1) {
        mark_bad (r, queue_at (v, i));
        if (status[i] == 2)
          altered = TRUE;
      }
    }
    *matched_any = unique > 0;

    if (altered) {
      if (reordered)
        set_reason (r, ANNINH_MS_VERDICT_NOT_AUTHENTIC,
            g_strdup_printf ("%u NAL unit(s) altered, reordered or duplicated",
                r->n_nalus_bad));
      else
        set_reason (r, ANNINH_MS_VERDICT_NOT_AUTHENTIC,
            g_strdup_printf ("%u NAL unit(s) altered or inserted",
                r->n_nalus_bad));
    } else {
      /* Matched entries must also be in list order. */
      gint prev = -1;
      for (guint i = 0; i < e && !reordered; i++) {
        if (status[i] != 1)
          continue;
        for (guint k = 0; k < n_list; k++) {
          if (memcmp (queue_at (v, i)->hash, list + k * HASH_SIZE,
                  HASH_SIZE) == 0) {
            if ((gint) k < prev)
              reordered = TRUE;
            prev = k;
            break;
          }
        }
      }
    }

    if (unique < n_list) {
      r->n_nalus_missing = n_list - unique;
      /* Locate the first gap: the last matched item before the first
       * unmatched list entry. */
      for (guint k = 0; k < n_list; k++) {
        if (!used[k]) {
          gint before = -1;
          for (guint i = 0; i < e; i++) {
            if (status[i] == 1) {
              for (guint kk = 0; kk < k; kk++) {
                if (memcmp (queue_at (v, i)->hash, list + kk * HASH_SIZE,
                        HASH_SIZE) == 0) {
                  before = i;
                  break;
                }
              }
            }
          }
          r->missing_after_frame = before >= 0 ? queue_at (v, before)->frame
              : (e > 0 ? queue_at (v, 0)->frame - 1 : -1);
          break;
        }
      }
      if (!altered && !reordered && unique > 0)
        set_reason (r, ANNINH_MS_VERDICT_AUTHENTIC_MISSING,
            g_strdup_printf ("%u NAL unit(s) missing", r->n_nalus_missing));
    }
    if (reordered && !altered)
      set_reason (r, ANNINH_MS_VERDICT_NOT_AUTHENTIC,
          g_strdup ("NAL units out of their signed order"));
    if (!altered && !reordered && unique == n_list && n_list != n)
      set_reason (r, ANNINH_MS_VERDICT_NOT_AUTHENTIC,
          g_strdup ("hash list and GOP hash disagree"));
    if (!altered && !reordered && unique == n_list && n_list == n)
      set_reason (r, ANNINH_MS_VERDICT_NOT_AUTHENTIC,
          g_strdup ("GOP hash differs although every listed NAL unit is "
              "present"));

    g_free (used);
    g_free (status);
  }
  return e;
}

static void
commit_result (AnninhMsValidator * v, AnninhMsGopResult * r)
{
  AnninhMsSummary *s = v->summary;

  switch (r->verdict) {
    case ANNINH_MS_VERDICT_AUTHENTIC:
      s->n_gops_authentic++;
      break;
    case ANNINH_MS_VERDICT_AUTHENTIC_MISSING:
      s->n_gops_missing++;
      break;
    case ANNINH_MS_VERDICT_NOT_AUTHENTIC:
      s->n_gops_not_authentic++;
      if (r->reason) {
        gchar *msg = g_strdup_printf ("GOP %u (frames %" G_GINT64_FORMAT
            "-%" G_GINT64_FORMAT "): %s", r->gop_counter, r->first_frame,
            r->last_frame, r->reason);
        note_problem (v, msg);
        g_free (msg);
      }
      break;
    default:
      break;
  }
  if (r->verdict != ANNINH_MS_VERDICT_NOT_SIGNED) {
    if (r->start_utc_us >= 0 && (s->start_utc_us < 0
            || r->start_utc_us < s->start_utc_us))
      s->start_utc_us = r->start_utc_us;
    if (r->end_utc_us >= 0 && r->end_utc_us > s->end_utc_us)
      s->end_utc_us = r->end_utc_us;
  }
  add_range (v, r->verdict, r->first_frame, r->last_frame, r->first_pts,
      r->last_pts);
  g_ptr_array_add (v->results, r);
}

static void
handle_gop_sei (AnninhMsValidator * v, const AnninhMsSei * sei,
    gboolean signature_ok, const gchar * signature_problem)
{
  AnninhMsGopResult *r = new_result ();
  gboolean matched_any;
  guint e;

  r->gop_counter = sei->gop_counter;
  r->partial = sei->partial_gop;
  r->n_nalus_signed = sei->n_nalus;
  r->start_utc_us = sei_time (sei->start_ts_raw);
  r->end_utc_us = sei_time (sei->end_ts_raw);
  r->verdict = ANNINH_MS_VERDICT_AUTHENTIC;

  if (sei->hash_size != HASH_SIZE || !hash_oid_is_sha256 (sei)) {
    set_reason (r, ANNINH_MS_VERDICT_NOT_AUTHENTIC,
        g_strdup ("hash algorithm not supported by this verifier "
            "(SHA-256 only)"));
    e = 0;
    matched_any = FALSE;
  } else {
    e = match_gop (v, sei, r, &matched_any);
  }

  if (!v->judged_any && !matched_any && sei->hash_size == HASH_SIZE) {
    /* The first SEI of a recording cut out of a longer stream signs the
     * GOP before the cut: nothing here to judge. */
    r->verdict = ANNINH_MS_VERDICT_NOT_SIGNED;
    g_free (r->reason);
    r->reason = g_strdup ("signs the GOP before the start of this recording");
    memcpy (v->prev_first, sei->hash_list ? sei->hash_list : sei->gop_hash,
        HASH_SIZE);
    v->prev_first_known = sei->hash_list != NULL;
    v->prev_counter = sei->gop_counter;
    v->have_prev = TRUE;
    anninh_ms_gop_result_free (r);
    return;
  }

  if (e > 0) {
    r->first_frame = queue_at (v, 0)->frame;
    r->last_frame = queue_at (v, e - 1)->frame;
    r->first_pts = queue_at (v, 0)->pts;
    r->last_pts = queue_at (v, e - 1)->pts;
  } else if (queue_len (v) > 0) {
    r->first_frame = r->last_frame = queue_at (v, 0)->frame;
    r->first_pts = r->last_pts = queue_at (v, 0)->pts;
  }

  if (!signature_ok && signature_problem)
    set_reason (r, ANNINH_MS_VERDICT_NOT_AUTHENTIC,
        g_strdup (signature_problem));

  /* GOP chaining and counter. */
  if (v->have_prev) {
    if (sei->gop_counter == v->prev_counter + 1) {
      if (v->prev_first_known
          && memcmp (sei->linked_hash, v->prev_first, HASH_SIZE) != 0)
        set_reason (r, ANNINH_MS_VERDICT_NOT_AUTHENTIC,
            g_strdup ("does not chain to the previous GOP"));
    } else if (sei->gop_counter > v->prev_counter + 1) {
      set_reason (r, ANNINH_MS_VERDICT_AUTHENTIC_MISSING,
          g_strdup_printf ("%u signed GOP(s) missing before this one",
              sei->gop_counter - v->prev_counter - 1));
      if (r->missing_after_frame < 0)
        r->missing_after_frame = r->first_frame - 1;
    } else {
      set_reason (r, ANNINH_MS_VERDICT_NOT_AUTHENTIC,
          g_strdup_printf ("GOP counter %u after %u: GOPs out of order",
              sei->gop_counter, v->prev_counter));
    }
  }
  v->have_prev = TRUE;
  v->prev_counter = sei->gop_counter;
  if (sei->hash_list && sei->hash_list_size >= HASH_SIZE) {
    memcpy (v->prev_first, sei->hash_list, HASH_SIZE);
    v->prev_first_known = TRUE;
  } else if (e > 0 && r->verdict == ANNINH_MS_VERDICT_AUTHENTIC) {
    memcpy (v->prev_first, queue_at (v, 0)->hash, HASH_SIZE);
    v->prev_first_known = TRUE;
  } else {
    v->prev_first_known = FALSE;
  }

  /* Attribution SEIs inside a judged GOP become trusted with it. */
  for (guint i = 0; i < e; i++) {
    Item *it = queue_at (v, i);
    if (it->attribution >= 0
        && r->verdict != ANNINH_MS_VERDICT_NOT_AUTHENTIC && sei->is_signed) {
      const gchar *text = g_ptr_array_index (v->pending_attribution,
          it->attribution);
      if (text)
        record_attribution (v, text);
    }
  }

  v->judged_any = TRUE;
  queue_drop (v, e);

  if (!sei->is_signed) {
    /* Trusted only once a signed SEI covers this SEI. */
    g_ptr_array_add (v->unsigned_pending, r);
    return;
  }
  for (guint i = 0; i < v->unsigned_pending->len; i++) {
    AnninhMsGopResult *u = g_ptr_array_index (v->unsigned_pending, i);
    if (r->verdict == ANNINH_MS_VERDICT_NOT_AUTHENTIC
        && u->verdict != ANNINH_MS_VERDICT_NOT_AUTHENTIC)
      set_reason (u, ANNINH_MS_VERDICT_NOT_AUTHENTIC,
          g_strdup ("the signed SEI covering this GOP's SEI failed"));
    commit_result (v, u);
  }
  g_ptr_array_set_size (v->unsigned_pending, 0);
  commit_result (v, r);
}

static void
handle_ms_sei (AnninhMsValidator * v, const AnninhMsNal * nal)
{
  AnninhMsSei sei;
  GError *err = NULL;
  gboolean sig_ok = FALSE;
  const gchar *sig_problem = NULL;

  v->seen_ms_sei = TRUE;
  if (!anninh_ms_sei_parse (v->codec, nal->data, nal->size, &sei, &err)) {
    note_problem (v, err->message);
    g_clear_error (&err);
    anninh_ms_sei_clear (&sei);
    /* A damaged SEI is still a NAL unit of the signed stream. */
    push_item (v, nal->data, nal->size, FALSE, FALSE, -1);
    return;
  }

  if (sei.has_vendor) {
    AnninhMsSummary *s = v->summary;
    g_free (s->manufacturer);
    g_free (s->serial);
    g_free (s->firmware);
    s->manufacturer = g_strndup (sei.manufacturer, sei.manufacturer_size);
    s->serial = g_strndup (sei.serial, sei.serial_size);
    s->firmware = g_strndup (sei.firmware, sei.firmware_size);
  }
  for (guint i = 0; i < sei.n_certs; i++) {
    if (sei.cert_user_provisioned[i] && sei.n_certs > 1)
      continue;
    if (!take_certificates (v, sei.cert_pem[i], sei.cert_pem_size[i])
        && v->key_changed)
      sig_problem = "signed with a different key than the rest of the "
          "recording (spliced footage?)";
  }

  if (sei.is_signed) {
    if (sig_problem == NULL) {
      sig_ok = verify_signature (v, &sei);
      if (!sig_ok)
        sig_problem = v->key ? "signature does not verify" :
            "no certificate in the stream to check the signature with";
    }
  }

  if (sei.flags & ANNINH_MS_FLAG_CERTIFICATE_SEI) {
    if (!sig_ok) {
      gchar *msg = g_strdup_printf ("certificate SEI: %s", sig_problem ?
          sig_problem : "not signed");
      note_problem (v, msg);
      v->summary->n_gops_not_authentic++;
      g_free (msg);
    }
  } else if (sei.has_general) {
    if (!v->chain_judged)
      judge_chain (v, sei_time (sei.start_ts_raw));
    if (v->store && !v->summary->certificate_trusted && v->chain) {
      sig_ok = FALSE;
      sig_problem = v->summary->certificate_error;
    }
    handle_gop_sei (v, &sei, sig_ok || !sei.is_signed, sig_problem);
    if (!sei.is_signed)
      push_item (v, nal->data, nal->size, FALSE, FALSE, -1);
  } else if (!sei.is_signed) {
    /* An arbitrary-data SEI: hashed into the GOP, its text trusted once
     * an authentic GOP covers it. */
    gint attr = -1;
    if (sei.arbitrary->len > 0) {
      GString *all = g_string_new (NULL);
      for (guint i = 0; i < sei.arbitrary->len; i++) {
        gchar *t = bytes_to_text (g_ptr_array_index (sei.arbitrary, i));
        if (i)
          g_string_append_c (all, '\n');
        g_string_append (all, t);
        g_free (t);
      }
      g_ptr_array_add (v->pending_attribution, g_string_free (all, FALSE));
      attr = v->pending_attribution->len - 1;
    }
    push_item (v, nal->data, nal->size, FALSE, FALSE, attr);
  }
  if (sei.is_signed && sig_ok && sei.arbitrary->len > 0) {
    for (guint i = 0; i < sei.arbitrary->len; i++) {
      gchar *t = bytes_to_text (g_ptr_array_index (sei.arbitrary, i));
      record_attribution (v, t);
      g_free (t);
    }
  }
  anninh_ms_sei_clear (&sei);
}

static void
push_nal (AnninhMsValidator * v, const guint8 * nd, gsize ns,
    gboolean * picture)
{
  AnninhMsNal nal;

  /* Trailing zero bytes are not part of the NAL unit (some muxers add
   * them); Media Signing hashes up to the stop bit. */
  while (ns > 0 && nd[ns - 1] == 0x00)
    ns--;
  if (!anninh_ms_nal_parse (v->codec, nd, ns, &nal))
    return;
  switch (nal.kind) {
    case ANNINH_MS_NAL_SLICE_I:
    case ANNINH_MS_NAL_SLICE_P:
      *picture = TRUE;
      if (nal.kind == ANNINH_MS_NAL_SLICE_I && nal.primary) {
        push_item (v, nd, ns, TRUE, FALSE, -1);
      } else if (v->have_anchor) {
        push_item (v, nd, ns, FALSE, TRUE, -1);
      } else {
        /* Before the first IDR: cannot be checked. */
        add_range (v, ANNINH_MS_VERDICT_NOT_SIGNED, v->cur_frame,
            v->cur_frame, v->cur_pts, v->cur_pts);
      }
      break;
    case ANNINH_MS_NAL_SEI:
      if (nal.is_ms_sei)
        handle_ms_sei (v, &nal);
      break;
    default:
      break;
  }
}

void
anninh_ms_validator_push_au (AnninhMsValidator * v, const guint8 * data,
    gsize size, gint64 pts)
{
  gsize off = 0;
  const guint8 *nd;
  gsize ns;
  gboolean picture = FALSE;

  g_return_if_fail (v != NULL && !v->spent);

  v->cur_frame = v->frames;
  v->cur_pts = pts;
  while (anninh_ms_next_nal (data, size, &off, &nd, &ns))
    push_nal (v, nd, ns, &picture);
  if (picture)
    v->frames++;
}

void
anninh_ms_validator_push_au_length_prefixed (AnninhMsValidator * v,
    const guint8 * data, gsize size, guint length_size, gint64 pts)
{
  gsize off = 0;
  gboolean picture = FALSE;

  g_return_if_fail (v != NULL && !v->spent);
  g_return_if_fail (length_size >= 1 && length_size <= 4);

  v->cur_frame = v->frames;
  v->cur_pts = pts;
  while (off + length_size <= size) {
    gsize n = 0;

    for (guint i = 0; i < length_size; i++)
      n = (n << 8) | data[off + i];
    off += length_size;
    if (n > size - off)
      break;                    /* truncated: the rest cannot be trusted */
    if (n > 0)
      push_nal (v, data + off, n, &picture);
    off += n;
  }
  if (picture)
    v->frames++;
}

GPtrArray *
anninh_ms_validator_take_results (AnninhMsValidator * v)
{
  GPtrArray *out = v->results;

  v->results = g_ptr_array_new_with_free_func (
      (GDestroyNotify) anninh_ms_gop_result_free);
  return out;
}

AnninhMsSummary *
anninh_ms_validator_finish (AnninhMsValidator * v)
{
  AnninhMsSummary *s = v->summary;
  guint64 unsigned_frames = 0;

  g_return_val_if_fail (!v->spent, NULL);
  v->spent = TRUE;

  /* Unsigned GOP SEIs no signed SEI came to vouch for. */
  for (guint i = 0; i < v->unsigned_pending->len; i++) {
    AnninhMsGopResult *u = g_ptr_array_index (v->unsigned_pending, i);
    u->verdict = ANNINH_MS_VERDICT_NOT_SIGNED;
    add_range (v, u->verdict, u->first_frame, u->last_frame, u->first_pts,
        u->last_pts);
    g_ptr_array_add (v->results, u);
  }
  g_ptr_array_set_size (v->unsigned_pending, 0);

  /* The dangling end: frames after the last SEI. */
  for (guint i = 0; i < queue_len (v); i++) {
    Item *it = queue_at (v, i);
    add_range (v, ANNINH_MS_VERDICT_NOT_SIGNED, it->frame, it->frame, it->pts,
        it->pts);
  }
  queue_drop (v, queue_len (v));

  if (!v->chain_judged)
    judge_chain (v, s->start_utc_us);

  for (guint i = 0; i < s->ranges->len; i++) {
    AnninhMsRange *r = &g_array_index (s->ranges, AnninhMsRange, i);
    if (r->verdict == ANNINH_MS_VERDICT_NOT_SIGNED)
      unsigned_frames += r->last_frame - r->first_frame + 1;
  }
  s->frames = v->frames;
  s->frames_unsigned = unsigned_frames;

  if (!v->seen_ms_sei) {
    s->verdict = ANNINH_MS_VERDICT_NOT_SIGNED;
    g_free (s->reason);
    s->reason = g_strdup ("no Media Signing SEI in the stream");
  } else if (s->n_gops_not_authentic > 0 || v->key_changed
      || (v->store && !s->certificate_trusted) || (s->reason
          && s->n_gops_authentic + s->n_gops_missing == 0)) {
    s->verdict = ANNINH_MS_VERDICT_NOT_AUTHENTIC;
    if (s->reason == NULL)
      s->reason = g_strdup ("the signer could not be established");
  } else if (s->n_gops_authentic + s->n_gops_missing == 0) {
    s->verdict = ANNINH_MS_VERDICT_NOT_SIGNED;
    if (s->reason == NULL)
      s->reason = g_strdup ("no complete signed GOP in the stream");
  } else if (s->n_gops_missing > 0) {
    s->verdict = ANNINH_MS_VERDICT_AUTHENTIC_MISSING;
  } else {
    s->verdict = ANNINH_MS_VERDICT_AUTHENTIC;
  }

  v->summary = NULL;
  return s;
}
