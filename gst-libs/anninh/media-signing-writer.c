/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-anninh: ONVIF Media Signing writer (GOP state, hashing, SEIs). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <openssl/evp.h>

#include "media-signing-tlv.h"
#include "media-signing-writer.h"

#define HASH_SIZE 32
/* The reference validator keeps at most 300 hashes per list; a longer
 * (partial) GOP is sent without its list (the spec's low bitrate mode). */
#define MAX_LISTED_HASHES 300
#define DEFAULT_MAX_PARTIAL_NS (G_GUINT64_CONSTANT (5) * G_TIME_SPAN_SECOND * 1000)

struct _AnninhMediaSigningWriter
{
  AnninhNalCodec codec;
  AnninhSigningKey *key;
  guint gops_per_signature;
  guint64 max_partial_ns;
  gchar *firmware, *serial, *manufacturer;
  gchar *camera_id, *address;
  gdouble latitude, longitude;

  /* session state */
  gboolean first_au_done;
  gboolean want_certificate;
  GBytes *certificate_sei;
  gboolean started;             /* first keyframe seen */
  gint64 counter;               /* -1 before the first keyframe */
  guint gops_until_signing;
  GByteArray *hashes;           /* hashes of the current (partial) GOP */
  guint8 anchor[HASH_SIZE];
  gboolean has_anchor;
  guint8 linked_prev[HASH_SIZE];
  guint8 linked_pending[HASH_SIZE];
  gint64 start_time, end_time;  /* 100 ns since 1601 */
  guint64 partial_start_ns;
  guint64 last_capture_ns, last_delta_ns;
  GPtrArray *queued;            /* unsigned SEIs for the next access unit */
  GPtrArray *side_data;         /* JsonNode, for the current (partial) GOP */
  guint64 gop_capture_ns;       /* capture time leading the (partial) GOP */
  guint64 signatures;
  guint64 certificates;
};

static void
sha256 (const guint8 * data, gsize size, guint8 * out)
{
  EVP_Digest (data, size, out, NULL, EVP_sha256 (), NULL);
}

/**
 * anninh_media_signing_writer_new:
 * @codec: H.264 or H.265
 * @key: the signing key (a reference is taken)
 *
 * Returns: (transfer full): a writer with one signature per GOP and
 *   partial GOPs after 5 s.
 */
AnninhMediaSigningWriter *
anninh_media_signing_writer_new (AnninhNalCodec codec, AnninhSigningKey * key)
{
  AnninhMediaSigningWriter *w;

  g_return_val_if_fail (key != NULL, NULL);

  w = g_new0 (AnninhMediaSigningWriter, 1);
  w->codec = codec;
  w->key = anninh_signing_key_ref (key);
  w->gops_per_signature = 1;
  w->max_partial_ns = DEFAULT_MAX_PARTIAL_NS;
  w->firmware = g_strdup ("gst-anninh " VERSION);
  w->manufacturer = g_strdup ("gst-anninh");
  w->latitude = w->longitude = NAN;
  w->hashes = g_byte_array_new ();
  w->queued = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  w->side_data =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  anninh_media_signing_writer_reset (w);
  return w;
}

/**
 * anninh_media_signing_writer_free:
 * @writer: (transfer full): a writer
 */
void
anninh_media_signing_writer_free (AnninhMediaSigningWriter * w)
{
  if (w == NULL)
    return;
  anninh_signing_key_unref (w->key);
  g_free (w->firmware);
  g_free (w->serial);
  g_free (w->manufacturer);
  g_free (w->camera_id);
  g_free (w->address);
  g_byte_array_unref (w->hashes);
  g_ptr_array_unref (w->queued);
  g_ptr_array_unref (w->side_data);
  g_clear_pointer (&w->certificate_sei, g_bytes_unref);
  g_free (w);
}

/**
 * anninh_media_signing_writer_reset:
 * @writer: a writer
 *
 * Starts a new signing session (after a flush or a restart): GOP counter,
 * chaining and pending SEIs are dropped, the certificate SEI goes out
 * again with the next access unit. Frames since the last signed SEI stay
 * unsigned.
 */
void
anninh_media_signing_writer_reset (AnninhMediaSigningWriter * w)
{
  w->first_au_done = FALSE;
  w->want_certificate = TRUE;
  w->started = FALSE;
  w->counter = -1;
  w->gops_until_signing = w->gops_per_signature;
  g_byte_array_set_size (w->hashes, 0);
  memset (w->anchor, 0, HASH_SIZE);
  w->has_anchor = FALSE;
  memset (w->linked_prev, 0, HASH_SIZE);
  memset (w->linked_pending, 0, HASH_SIZE);
  w->start_time = w->end_time = 0;
  w->partial_start_ns = 0;
  w->last_capture_ns = 0;
  w->last_delta_ns = 0;
  g_ptr_array_set_size (w->queued, 0);
  g_ptr_array_set_size (w->side_data, 0);
  w->gop_capture_ns = 0;
}

/**
 * anninh_media_signing_writer_set_gops_per_signature:
 * @writer: a writer
 * @gops: sign every @gops GOPs (1 = every GOP); the SEIs in between are
 *   unsigned and covered by the next signed one
 */
void
anninh_media_signing_writer_set_gops_per_signature (AnninhMediaSigningWriter *
    w, guint gops)
{
  w->gops_per_signature = MAX (gops, 1);
  if (!w->started)
    w->gops_until_signing = w->gops_per_signature;
}

/**
 * anninh_media_signing_writer_set_max_partial_duration:
 * @writer: a writer
 * @duration_ns: sign a partial GOP when a GOP runs longer than this
 *   (capture time); 0 never splits GOPs
 */
void
anninh_media_signing_writer_set_max_partial_duration (AnninhMediaSigningWriter
    * w, guint64 duration_ns)
{
  w->max_partial_ns = duration_ns;
}

/**
 * anninh_media_signing_writer_set_vendor_info:
 * @writer: a writer
 * @firmware: (nullable): software version (default "gst-anninh VERSION")
 * @serial: (nullable): serial number; evidencemux puts the camera id here
 * @manufacturer: (nullable): the signer, e.g. the district that runs the CA
 *
 * Values of the vendor info TLV of the certificate SEI. Call before the
 * first access unit.
 */
void
anninh_media_signing_writer_set_vendor_info (AnninhMediaSigningWriter * w,
    const gchar * firmware, const gchar * serial, const gchar * manufacturer)
{
  if (firmware) {
    g_free (w->firmware);
    w->firmware = g_strdup (firmware);
  }
  g_free (w->serial);
  w->serial = g_strdup (serial);
  if (manufacturer) {
    g_free (w->manufacturer);
    w->manufacturer = g_strdup (manufacturer);
  }
  g_clear_pointer (&w->certificate_sei, g_bytes_unref);
}

/**
 * anninh_media_signing_writer_set_attribution:
 * @writer: a writer
 * @camera_id: (nullable): the camera's id
 * @latitude: WGS 84 degrees, NaN when unknown
 * @longitude: WGS 84 degrees, NaN when unknown
 * @address: (nullable): postal address or description of the place
 *
 * With any of these set, every GOP gets an attribution record (JSON in an
 * arbitrary-data SEI, hashed and thus signed) with these values and the
 * capture time of the GOP's keyframe.
 */
void
anninh_media_signing_writer_set_attribution (AnninhMediaSigningWriter * w,
    const gchar * camera_id, gdouble latitude, gdouble longitude,
    const gchar * address)
{
  g_free (w->camera_id);
  w->camera_id = g_strdup (camera_id);
  g_free (w->address);
  w->address = g_strdup (address);
  w->latitude = latitude;
  w->longitude = longitude;
}

/**
 * anninh_media_signing_writer_request_certificate:
 * @writer: a writer
 *
 * The certificate SEI goes out again before the next keyframe (a new
 * viewer, a new file segment).
 */
void
anninh_media_signing_writer_request_certificate (AnninhMediaSigningWriter * w)
{
  w->want_certificate = TRUE;
}

/**
 * anninh_media_signing_writer_get_signatures:
 * @writer: a writer
 *
 * Returns: the number of signatures made so far (all sessions).
 */
guint64
anninh_media_signing_writer_get_signatures (AnninhMediaSigningWriter * w)
{
  return w->signatures;
}

/**
 * anninh_media_signing_writer_get_certificates:
 * @writer: a writer
 *
 * Returns: how many times the certificate SEI went out (all sessions).
 */
guint64
anninh_media_signing_writer_get_certificates (AnninhMediaSigningWriter * w)
{
  return w->certificates;
}

/* Frames an SEI around @tlvs (signed when @sign) and returns it with a
 * 4-byte start code and emulation prevention applied. The document is
 * hashed before emulation prevention (reserved bit 0x40 clear). */
static GBytes *
build_sei (AnninhMediaSigningWriter * w, guint8 reserved, GByteArray * tlvs,
    gboolean sign, GError ** error)
{
  gsize max_sig = anninh_signing_key_get_max_signature_size (w->key);
  gsize payload = 16 + 1 + tlvs->len;
  GByteArray *rbsp = g_byte_array_sized_new (payload + 16 + max_sig);
  GByteArray *out;
  static const guint8 start_code[4] = { 0, 0, 0, 1 };
  static const guint8 stop = 0x80;

  if (sign)
    payload += anninh_media_signing_tlv_signature_size (max_sig);
  anninh_media_signing_sei_append_header (rbsp, w->codec, payload);
  g_byte_array_append (rbsp, &reserved, 1);
  g_byte_array_append (rbsp, tlvs->data, tlvs->len);
  if (sign) {
    guint8 digest[HASH_SIZE];
    guint8 *sig = g_alloca (max_sig);
    gsize sig_size = 0;

    sha256 (rbsp->data, rbsp->len, digest);
    if (!anninh_signing_key_sign_digest (w->key, digest, HASH_SIZE, sig,
            &sig_size, error)) {
      g_byte_array_unref (rbsp);
      return NULL;
    }
    anninh_media_signing_tlv_append_signature (rbsp, sig, sig_size, max_sig);
    w->signatures++;
  }
  g_byte_array_append (rbsp, &stop, 1);

  out = g_byte_array_sized_new (rbsp->len + rbsp->len / 64 + 8);
  g_byte_array_append (out, start_code, 4);
  anninh_nal_add_emulation_prevention (rbsp->data, rbsp->len, out);
  g_byte_array_unref (rbsp);
  return g_byte_array_free_to_bytes (out);
}

static GBytes *
certificate_sei (AnninhMediaSigningWriter * w, GError ** error)
{
  GByteArray *tlvs;
  const gchar *chain;
  gsize chain_size;

  if (w->certificate_sei)
    return g_bytes_ref (w->certificate_sei);

  tlvs = g_byte_array_new ();
  if (anninh_signing_key_get_algorithm (w->key) ==
      ANNINH_SIGNING_ALGORITHM_RSA_PSS)
    anninh_media_signing_tlv_append_crypto_info (tlvs,
        (const guint8 *) ANNINH_MEDIA_SIGNING_SHA256_OID, 11,
        (const guint8 *) ANNINH_MEDIA_SIGNING_RSASSA_PSS_OID, 11,
        anninh_signing_key_get_bits (w->key));
  else
    anninh_media_signing_tlv_append_crypto_info (tlvs,
        (const guint8 *) ANNINH_MEDIA_SIGNING_SHA256_OID, 11, NULL, 0, 0);
  anninh_media_signing_tlv_append_vendor_info (tlvs, w->firmware, w->serial,
      w->manufacturer);
  chain = anninh_signing_key_get_certificate_chain (w->key, &chain_size);
  anninh_media_signing_tlv_append_certificates (tlvs, FALSE, chain,
      chain_size);
  w->certificate_sei = build_sei (w,
      ANNINH_MEDIA_SIGNING_RESERVED_CERTIFICATE_SEI, tlvs, TRUE, error);
  g_byte_array_unref (tlvs);
  return w->certificate_sei ? g_bytes_ref (w->certificate_sei) : NULL;
}

static void
link_hash (AnninhMediaSigningWriter * w, const guint8 * hash)
{
  memcpy (w->linked_prev, w->linked_pending, HASH_SIZE);
  memcpy (w->linked_pending, hash, HASH_SIZE);
}

/* Hashes an emitted unsigned SEI into the current (partial) GOP: the
 * unescaped NAL unit, header to stop byte, not linked to the anchor. */
static void
hash_unsigned_sei (AnninhMediaSigningWriter * w, GBytes * sei)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (sei, &size);
  GByteArray *rbsp;
  guint8 h[HASH_SIZE];

  if (!w->started)
    return;
  rbsp = g_byte_array_sized_new (size);
  anninh_nal_remove_emulation_prevention (data + 4, size - 4, rbsp);
  sha256 (rbsp->data, rbsp->len, h);
  g_byte_array_unref (rbsp);
  g_byte_array_append (w->hashes, h, HASH_SIZE);
}

/* Largest arbitrary data: the TLV length is 16 bits, one byte is the
 * version. */
#define MAX_ARBITRARY_DATA (G_MAXUINT16 - 1)

/**
 * anninh_media_signing_writer_add_side_data:
 * @writer: a writer
 * @json: one JSON value (a record of side data: an event, a plate read,
 *   a GPS fix); text that is not JSON is kept as a JSON string
 *
 * Adds a record to the attribution document of the current (partial)
 * GOP: it goes into the "side-data" array of the arbitrary data TLV of
 * the SEI that closes this GOP, and is signed with it.
 */
void
anninh_media_signing_writer_add_side_data (AnninhMediaSigningWriter * w,
    const gchar * json)
{
  JsonNode *node;

  g_return_if_fail (json != NULL);
  node = json_from_string (json, NULL);
  if (node == NULL) {
    node = json_node_new (JSON_NODE_VALUE);
    json_node_set_string (node, json);
  }
  g_ptr_array_add (w->side_data, node);
}

static gchar *
iso8601 (guint64 ns)
{
  GDateTime *dt = g_date_time_new_from_unix_utc ((gint64) (ns / 1000000000));
  gchar *seconds = dt ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S") : NULL;
  gchar *iso = g_strdup_printf ("%s.%06" G_GUINT64_FORMAT "Z",
      seconds ? seconds : "1970-01-01T00:00:00", (ns % 1000000000) / 1000);

  g_free (seconds);
  if (dt)
    g_date_time_unref (dt);
  return iso;
}

/* The attribution document of the (partial) GOP being closed, or NULL when
 * there is nothing to attribute. Side data that does not fit the TLV is
 * dropped, oldest first, and counted. */
static gchar *
attribution_json (AnninhMediaSigningWriter * w, guint64 end_ns)
{
  guint first = 0;

  if (w->camera_id == NULL && w->address == NULL && isnan (w->latitude)
      && w->side_data->len == 0)
    return NULL;

  for (;;) {
    JsonBuilder *b = json_builder_new ();
    JsonNode *root;
    gchar *json, *iso;

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, "anninh-attribution");
    json_builder_set_member_name (b, "version");
    json_builder_add_int_value (b, 1);
    if (w->camera_id) {
      json_builder_set_member_name (b, "camera-id");
      json_builder_add_string_value (b, w->camera_id);
    }
    if (!isnan (w->latitude) && !isnan (w->longitude)) {
      json_builder_set_member_name (b, "latitude");
      json_builder_add_double_value (b, w->latitude);
      json_builder_set_member_name (b, "longitude");
      json_builder_add_double_value (b, w->longitude);
    }
    if (w->address) {
      json_builder_set_member_name (b, "address");
      json_builder_add_string_value (b, w->address);
    }
    iso = iso8601 (w->gop_capture_ns);
    json_builder_set_member_name (b, "capture-time");
    json_builder_add_string_value (b, iso);
    g_free (iso);
    json_builder_set_member_name (b, "capture-time-ns");
    json_builder_add_int_value (b, (gint64) w->gop_capture_ns);
    iso = iso8601 (end_ns);
    json_builder_set_member_name (b, "end-time");
    json_builder_add_string_value (b, iso);
    g_free (iso);
    json_builder_set_member_name (b, "end-time-ns");
    json_builder_add_int_value (b, (gint64) end_ns);
    if (w->side_data->len > 0) {
      json_builder_set_member_name (b, "side-data");
      json_builder_begin_array (b);
      for (guint i = first; i < w->side_data->len; i++)
        json_builder_add_value (b,
            json_node_copy (g_ptr_array_index (w->side_data, i)));
      json_builder_end_array (b);
      if (first > 0) {
        json_builder_set_member_name (b, "side-data-dropped");
        json_builder_add_int_value (b, first);
      }
    }
    json_builder_end_object (b);
    root = json_builder_get_root (b);
    json = json_to_string (root, FALSE);
    json_node_unref (root);
    g_object_unref (b);
    if (strlen (json) <= MAX_ARBITRARY_DATA || first >= w->side_data->len)
      return json;
    g_free (json);
    first = MAX (first + 1, first + (w->side_data->len - first) / 4);
  }
}

/* The SEI closing the current (partial) GOP at @time_ns. */
static GBytes *
gop_sei (AnninhMediaSigningWriter * w, gboolean partial, gboolean sign,
    guint64 end_ns, GError ** error)
{
  gchar *attribution = attribution_json (w, end_ns);
  AnninhMediaSigningGeneral general;
  guint8 gop_hash[HASH_SIZE] = { 0 };
  guint n = w->hashes->len / HASH_SIZE;
  GByteArray *tlvs = g_byte_array_new ();
  GBytes *sei;

  if (n > 0)
    sha256 (w->hashes->data, w->hashes->len, gop_hash);
  general.partial = partial;
  general.start_time = w->start_time;
  general.end_time = w->end_time;
  general.counter = (guint32) w->counter;
  general.n_nalus = MIN (n, G_MAXUINT16);
  general.gop_hash = gop_hash;
  general.linked_hash = w->linked_prev;
  anninh_media_signing_tlv_append_general (tlvs, &general, HASH_SIZE);
  if (n > 0 && n <= MAX_LISTED_HASHES)
    anninh_media_signing_tlv_append_hash_list (tlvs, w->hashes->data,
        w->hashes->len);
  if (attribution) {
    anninh_media_signing_tlv_append_arbitrary_data (tlvs,
        (const guint8 *) attribution, strlen (attribution));
    g_free (attribution);
  }
  sei = build_sei (w, 0x00, tlvs, sign, error);
  g_byte_array_unref (tlvs);

  g_byte_array_set_size (w->hashes, 0);
  g_ptr_array_set_size (w->side_data, 0);
  w->has_anchor = FALSE;
  return sei;
}

/* Capture time @a in (partial) GOP timestamp units, strictly increasing. */
static void
advance_time (AnninhMediaSigningWriter * w, guint64 capture_ns)
{
  w->start_time = w->end_time;
  w->end_time = anninh_media_signing_time_from_unix_ns (capture_ns);
  w->partial_start_ns = capture_ns;
}

static gboolean
is_vcl (AnninhNalCodec codec, guint type)
{
  if (codec == ANNINH_NAL_CODEC_H264)
    return type >= 1 && type <= 5;
  return type <= 31;
}

static void
hash_picture_nal (AnninhMediaSigningWriter * w, const guint8 * nal,
    gsize size, AnninhNalClass cls, gboolean first_slice, gboolean relink)
{
  guint8 buddies[2 * HASH_SIZE];
  guint8 h[HASH_SIZE];

  if (cls == ANNINH_NAL_CLASS_INTRA && first_slice && !w->has_anchor) {
    sha256 (nal, size, h);
    memcpy (w->anchor, h, HASH_SIZE);
    w->has_anchor = TRUE;
    link_hash (w, h);
  } else {
    memcpy (buddies, w->anchor, HASH_SIZE);
    sha256 (nal, size, buddies + HASH_SIZE);
    sha256 (buddies, sizeof (buddies), h);
    if (relink)
      link_hash (w, h);
  }
  g_byte_array_append (w->hashes, h, HASH_SIZE);
}

static void
emit (GPtrArray * seis, GBytes * sei)
{
  g_ptr_array_add (seis, sei);
}

/**
 * anninh_media_signing_writer_push_au:
 * @writer: a writer
 * @au: an access unit, byte-stream format
 * @size: its size
 * @capture_time_ns: UTC capture time of the access unit, ns since 1970
 * @insert_offset: (out): where in @au to insert the SEIs
 * @seis: (element-type GBytes): array the SEIs to insert are appended to,
 *   in order, each a complete NAL unit with a 4-byte start code
 * @error: return location for an #ANNINH_SIGNING_KEY_ERROR
 *
 * Hashes the access unit and says which SEIs go into it. An access unit
 * without a picture gets none (they wait for the next one). Malformed NAL
 * units are hashed as they are.
 *
 * Returns: %FALSE when signing failed.
 */
gboolean
anninh_media_signing_writer_push_au (AnninhMediaSigningWriter * w,
    const guint8 * au, gsize size, guint64 capture_time_ns,
    gsize * insert_offset, GPtrArray * seis, GError ** error)
{
  GArray *units = g_array_sized_new (FALSE, FALSE, sizeof (AnninhNalUnit), 8);
  gint first_vcl = -1;
  gboolean ok = TRUE;
  gboolean new_gop = FALSE, partial = FALSE;

  anninh_nal_units_split (au, size, units);
  for (guint i = 0; i < units->len; i++) {
    AnninhNalUnit *u = &g_array_index (units, AnninhNalUnit, i);
    if (is_vcl (w->codec, anninh_nal_unit_type (w->codec, au + u->offset,
                u->size))) {
      first_vcl = i;
      break;
    }
  }
  *insert_offset = first_vcl >= 0 ?
      g_array_index (units, AnninhNalUnit, first_vcl).start : size;
  if (first_vcl < 0)
    goto done;

  if (w->last_capture_ns && capture_time_ns > w->last_capture_ns)
    w->last_delta_ns = capture_time_ns - w->last_capture_ns;
  w->last_capture_ns = capture_time_ns;

  {
    AnninhNalUnit *u = &g_array_index (units, AnninhNalUnit, first_vcl);
    const guint8 *nal = au + u->offset;
    AnninhNalClass cls = anninh_nal_unit_classify (w->codec, nal, u->size);
    gboolean first = anninh_nal_unit_is_first_slice (w->codec, nal, u->size);

    new_gop = cls == ANNINH_NAL_CLASS_INTRA && first;
    partial = !new_gop && w->started && first && w->max_partial_ns > 0
        && cls == ANNINH_NAL_CLASS_INTER
        && capture_time_ns >= w->partial_start_ns + w->max_partial_ns;
  }

  /* certificate first: in the first access unit, and before a keyframe
   * when asked for */
  if (!w->first_au_done || (w->want_certificate && new_gop)) {
    GBytes *cert = certificate_sei (w, error);
    if (cert == NULL) {
      ok = FALSE;
      goto done;
    }
    emit (seis, cert);
    w->certificates++;
    w->want_certificate = FALSE;
    w->first_au_done = TRUE;
  }

  /* unsigned SEIs of the previous access unit belong to the GOP that is
   * still open: hash them before a keyframe closes it */
  for (guint i = 0; i < w->queued->len; i++) {
    GBytes *sei = g_ptr_array_index (w->queued, i);
    hash_unsigned_sei (w, sei);
    emit (seis, g_bytes_ref (sei));
  }
  g_ptr_array_set_size (w->queued, 0);

  if (new_gop || partial) {
    advance_time (w, capture_time_ns);
    if (w->started && w->counter > 0) {
      gboolean sign = partial || w->gops_until_signing == 0;
      GBytes *sei = gop_sei (w, partial, sign, capture_time_ns, error);
      if (sei == NULL) {
        ok = FALSE;
        goto done;
      }
      if (sign)
        emit (seis, sei);
      else
        g_ptr_array_add (w->queued, sei);
      if (new_gop && w->gops_until_signing == 0)
        w->gops_until_signing = w->gops_per_signature;
    }
    if (w->counter < 0)
      w->counter = 0;
    w->counter++;
    if (new_gop) {
      w->started = TRUE;
      if (w->gops_until_signing > 0)
        w->gops_until_signing--;
    }
    w->gop_capture_ns = capture_time_ns;
  }

  if (w->started) {
    for (guint i = first_vcl; i < units->len; i++) {
      AnninhNalUnit *u = &g_array_index (units, AnninhNalUnit, i);
      const guint8 *nal = au + u->offset;
      AnninhNalClass cls = anninh_nal_unit_classify (w->codec, nal, u->size);

      if (cls != ANNINH_NAL_CLASS_INTRA && cls != ANNINH_NAL_CLASS_INTER)
        continue;
      hash_picture_nal (w, nal, u->size, cls,
          anninh_nal_unit_is_first_slice (w->codec, nal, u->size),
          partial && (gint) i == first_vcl);
    }
  }

done:
  g_array_unref (units);
  return ok;
}

/**
 * anninh_media_signing_writer_finish:
 * @writer: a writer
 * @seis: (element-type GBytes): array the final SEIs are appended to
 * @error: return location for an #ANNINH_SIGNING_KEY_ERROR
 *
 * At the end of the stream: the pending unsigned SEIs and a signed SEI for
 * the last (partial) GOP, whose end time is the last capture time plus one
 * frame. They form an access unit of their own. Then starts a new session.
 *
 * Returns: %FALSE when signing failed.
 */
gboolean
anninh_media_signing_writer_finish (AnninhMediaSigningWriter * w,
    GPtrArray * seis, GError ** error)
{
  GBytes *sei;

  if (!w->started || w->counter <= 0) {
    anninh_media_signing_writer_reset (w);
    return TRUE;
  }
  for (guint i = 0; i < w->queued->len; i++) {
    GBytes *q = g_ptr_array_index (w->queued, i);
    hash_unsigned_sei (w, q);
    emit (seis, g_bytes_ref (q));
  }
  g_ptr_array_set_size (w->queued, 0);
  advance_time (w, w->last_capture_ns + w->last_delta_ns);
  sei = gop_sei (w, FALSE, TRUE, w->last_capture_ns + w->last_delta_ns,
      error);
  if (sei == NULL)
    return FALSE;
  emit (seis, sei);
  anninh_media_signing_writer_reset (w);
  return TRUE;
}
