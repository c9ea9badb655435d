/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The auth object of a policeshare server. The stock GstRTSPAuth wants
 * passwords (or tokens) registered in advance; the officers' accounts live
 * in htdigest files, one per mount, re-read when they change, so this
 * subclass replaces the whole check:
 *
 * - auth.check.connect: stock (installs the TLS certificate);
 * - auth.check.url: for a request on a mount with a users file, a blocked
 *   address gets 429; Digest (RFC 2069, MD5, the HA1 of the users file;
 *   Basic too when the server runs TLS) else 401 with a challenge; a user
 *   without an allowed group gets 403;
 * - auth.check.media.factory.*: 503 when the mount has no video yet or
 *   is full;
 * - auth.check.transport.client-settings: refused.
 *
 * Nonces are stateless: hex time stamp + a keyed hash of the time stamp
 * and the client's address, valid NONCE_LIFETIME seconds.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "policeshare-auth.h"
#include "policeshare-mount.h"

GST_DEBUG_CATEGORY_EXTERN (policeshare_debug);
#define GST_CAT_DEFAULT policeshare_debug

#define NONCE_LIFETIME 300      /* seconds */
#define FAILURE_WINDOW 60       /* seconds over which failures are counted */

typedef struct
{
  guint failures;
  gint64 window_start;          /* µs, monotonic */
  gint64 blocked_until;         /* µs, monotonic */
} AddressRecord;

struct _PoliceshareAuth
{
  GstRTSPAuth parent;

  GstRTSPMountPoints *mounts;   /* fixed */
  gboolean tls;                 /* fixed */
  gchar secret[65];             /* fixed: key of the nonces */
  GstRTSPToken *token;          /* fixed: what ctx->token points to */

  GMutex lock;                  /* guards addresses */
  GHashTable *addresses;        /* ip -> AddressRecord */
};

G_DEFINE_TYPE (PoliceshareAuth, policeshare_auth, GST_TYPE_RTSP_AUTH);

typedef enum
{
  AUTH_NONE,                    /* no credentials */
  AUTH_OK,
  AUTH_BAD,                     /* wrong credentials */
  AUTH_STALE,                   /* right credentials, old nonce */
} AuthResult;

static const gchar *
peer_ip (GstRTSPContext * ctx)
{
  const gchar *ip = ctx->conn ? gst_rtsp_connection_get_ip (ctx->conn) : NULL;

  return ip ? ip : "unknown";
}

static gchar *
make_nonce (PoliceshareAuth * self, gint64 ts, const gchar * ip)
{
  gchar *in, *mac, *nonce;

  in = g_strdup_printf ("%s:%" G_GINT64_FORMAT ":%s", self->secret, ts, ip);
  mac = g_compute_checksum_for_string (G_CHECKSUM_SHA256, in, -1);
  nonce = g_strdup_printf ("%016" G_GINT64_MODIFIER "x%.32s", ts, mac);
  g_free (mac);
  g_free (in);
  return nonce;
}

/* 1: valid, 0: forged, -1: stale */
static gint
check_nonce (PoliceshareAuth * self, const gchar * nonce, const gchar * ip)
{
  gint64 ts;
  gchar *expect, *end = NULL;
  gint ret;

  if (strlen (nonce) != 48)
    return 0;
  {
    gchar hex[17];

    memcpy (hex, nonce, 16);
    hex[16] = '\0';
    ts = g_ascii_strtoll (hex, &end, 16);
    if (end != hex + 16)
      return 0;
  }
  expect = make_nonce (self, ts, ip);
  ret = strcmp (expect, nonce) == 0;
  g_free (expect);
  if (ret && g_get_real_time () / G_USEC_PER_SEC - ts > NONCE_LIFETIME)
    ret = -1;
  return ret;
}

static AuthResult
authenticate_digest (PoliceshareAuth * self, GstRTSPContext * ctx,
    PoliceshareMount * mount, GstRTSPAuthParam ** params, gchar ** user_out)
{
  const gchar *user = NULL, *realm = NULL, *nonce = NULL, *response = NULL,
      *uri = NULL;
  const PoliceshareMountConfig *cfg = policeshare_mount_get_config (mount);
  gchar *ha1, *expected;
  AuthResult res;
  gint n;

  for (; *params; params++) {
    const gchar *name = (*params)->name, *value = (*params)->value;

    if (value == NULL)
      continue;
    if (!strcmp (name, "username"))
      user = value;
    else if (!strcmp (name, "realm"))
      realm = value;
    else if (!strcmp (name, "nonce"))
      nonce = value;
    else if (!strcmp (name, "response"))
      response = value;
    else if (!strcmp (name, "uri"))
      uri = value;
  }
  if (!user || !realm || !nonce || !response || !uri)
    return AUTH_BAD;
  *user_out = g_strdup (user);
  if (strcmp (realm, cfg->realm) != 0)
    return AUTH_BAD;

  n = check_nonce (self, nonce, peer_ip (ctx));
  if (n == 0)
    return AUTH_BAD;

  ha1 = anninh_viewer_accounts_lookup_ha1 (policeshare_mount_get_accounts
      (mount), user, realm);
  if (ha1 == NULL)
    return AUTH_BAD;
  expected = gst_rtsp_generate_digest_auth_response_from_md5 (NULL,
      gst_rtsp_method_as_text (ctx->method), ha1, uri, nonce);
  res = expected && g_ascii_strcasecmp (expected, response) == 0 ?
      (n < 0 ? AUTH_STALE : AUTH_OK) : AUTH_BAD;
  g_free (expected);
  g_free (ha1);
  return res;
}

static AuthResult
authenticate_basic (PoliceshareAuth * self, PoliceshareMount * mount,
    const gchar * authorization, gchar ** user_out)
{
  const PoliceshareMountConfig *cfg = policeshare_mount_get_config (mount);
  guchar *decoded;
  gsize len;
  gchar *colon, *s;
  gboolean ok;

  if (authorization == NULL)
    return AUTH_BAD;
  decoded = g_base64_decode (authorization, &len);
  s = g_strndup ((gchar *) decoded, len);
  memset (decoded, 0, len);
  g_free (decoded);
  colon = strchr (s, ':');
  if (colon == NULL) {
    g_free (s);
    return AUTH_BAD;
  }
  *colon = '\0';
  *user_out = g_strdup (s);
  ok = anninh_viewer_accounts_check_password (policeshare_mount_get_accounts
      (mount), s, cfg->realm, colon + 1);
  memset (colon + 1, 0, strlen (colon + 1));
  g_free (s);
  return ok ? AUTH_OK : AUTH_BAD;
}

static AuthResult
authenticate (PoliceshareAuth * self, GstRTSPContext * ctx,
    PoliceshareMount * mount, gchar ** user)
{
  GstRTSPAuthCredential **credentials, **c;
  AuthResult res = AUTH_NONE;

  credentials = gst_rtsp_message_parse_auth_credentials (ctx->request,
      GST_RTSP_HDR_AUTHORIZATION);
  if (credentials == NULL)
    return AUTH_NONE;
  for (c = credentials; *c && res != AUTH_OK; c++) {
    g_clear_pointer (user, g_free);
    if ((*c)->scheme == GST_RTSP_AUTH_DIGEST && (*c)->params)
      res = authenticate_digest (self, ctx, mount, (*c)->params, user);
    else if ((*c)->scheme == GST_RTSP_AUTH_BASIC && self->tls)
      res = authenticate_basic (self, mount, (*c)->authorization, user);
    else if ((*c)->scheme == GST_RTSP_AUTH_BASIC)
      res = AUTH_BAD;           /* a password in clear text: refused */
  }
  gst_rtsp_auth_credentials_free (credentials);
  return res;
}

static void
respond (PoliceshareAuth * self, GstRTSPContext * ctx,
    PoliceshareMount * mount, guint code, gboolean stale)
{
  const gchar *reason = code == POLICESHARE_STS_TOO_MANY_REQUESTS ?
      "Too Many Requests" : gst_rtsp_status_as_text (code);

  gst_rtsp_message_init_response (ctx->response, code, reason, ctx->request);
  if (code == GST_RTSP_STS_UNAUTHORIZED) {
    const gchar *realm = policeshare_mount_get_config (mount)->realm;
    gchar *nonce, *hdr;

    nonce = make_nonce (self, g_get_real_time () / G_USEC_PER_SEC,
        peer_ip (ctx));
    hdr = g_strdup_printf ("Digest realm=\"%s\", nonce=\"%s\"%s", realm,
        nonce, stale ? ", stale=TRUE" : "");
    gst_rtsp_message_add_header (ctx->response,
        GST_RTSP_HDR_WWW_AUTHENTICATE, hdr);
    g_free (hdr);
    g_free (nonce);
    if (self->tls) {
      hdr = g_strdup_printf ("Basic realm=\"%s\"", realm);
      gst_rtsp_message_add_header (ctx->response,
          GST_RTSP_HDR_WWW_AUTHENTICATE, hdr);
      g_free (hdr);
    }
  }
  gst_rtsp_client_send_message (ctx->client, ctx->session, ctx->response);
}

static gboolean
address_blocked (PoliceshareAuth * self, const gchar * ip)
{
  AddressRecord *r;
  gboolean blocked = FALSE;

  g_mutex_lock (&self->lock);
  r = g_hash_table_lookup (self->addresses, ip);
  if (r && r->blocked_until > g_get_monotonic_time ())
    blocked = TRUE;
  g_mutex_unlock (&self->lock);
  return blocked;
}

static void
address_failed (PoliceshareAuth * self, const gchar * ip,
    const PoliceshareMountConfig * cfg)
{
  AddressRecord *r;
  gint64 now = g_get_monotonic_time ();

  if (cfg->max_auth_failures == 0)
    return;
  g_mutex_lock (&self->lock);
  r = g_hash_table_lookup (self->addresses, ip);
  if (r == NULL) {
    r = g_new0 (AddressRecord, 1);
    g_hash_table_insert (self->addresses, g_strdup (ip), r);
  }
  if (now - r->window_start > FAILURE_WINDOW * G_USEC_PER_SEC) {
    r->window_start = now;
    r->failures = 0;
  }
  if (++r->failures >= cfg->max_auth_failures) {
    r->blocked_until = now + (gint64) cfg->block_time * G_USEC_PER_SEC;
    r->failures = 0;
    r->window_start = now;
    GST_WARNING ("address %s blocked for %u s after %u failed logins", ip,
        cfg->block_time, cfg->max_auth_failures);
  }
  g_mutex_unlock (&self->lock);
}

static void
address_succeeded (PoliceshareAuth * self, const gchar * ip)
{
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->addresses, ip);
  g_mutex_unlock (&self->lock);
}

static gboolean
groups_allowed (const PoliceshareMountConfig * cfg, gchar ** groups)
{
  gchar **a, **g;

  if (cfg->allow_groups == NULL || cfg->allow_groups[0] == NULL)
    return TRUE;
  for (a = cfg->allow_groups; *a; a++)
    for (g = groups; g && *g; g++)
      if (!strcmp (*a, *g))
        return TRUE;
  return FALSE;
}

static PoliceshareMount *
lookup_mount (PoliceshareAuth * self, GstRTSPContext * ctx)
{
  GstRTSPMediaFactory *factory;
  PoliceshareMount *mount = NULL;

  if (ctx->factory)
    return policeshare_mount_from_factory (ctx->factory) ?
        policeshare_mount_ref (policeshare_mount_from_factory (ctx->factory))
        : NULL;
  if (ctx->uri == NULL || ctx->uri->abspath == NULL)
    return NULL;
  factory = gst_rtsp_mount_points_match (self->mounts, ctx->uri->abspath, NULL);
  if (factory) {
    mount = policeshare_mount_from_factory (factory);
    if (mount)
      policeshare_mount_ref (mount);
    g_object_unref (factory);
  }
  return mount;
}

static gboolean
check_url (PoliceshareAuth * self, GstRTSPContext * ctx,
    PoliceshareMount * mount)
{
  const PoliceshareMountConfig *cfg = policeshare_mount_get_config (mount);
  AnninhViewerAccounts *accounts = policeshare_mount_get_accounts (mount);
  const gchar *ip = peer_ip (ctx);
  gchar *user = NULL;
  gchar **groups, *joined;
  GError *err = NULL;
  AuthResult res;

  if (accounts == NULL)
    return TRUE;                /* open mount (no users file) */

  if (address_blocked (self, ip)) {
    policeshare_mount_refused (mount, ctx->client, NULL,
        POLICESHARE_STS_TOO_MANY_REQUESTS, "rate-limited");
    respond (self, ctx, mount, POLICESHARE_STS_TOO_MANY_REQUESTS, FALSE);
    return FALSE;
  }

  if (!anninh_viewer_accounts_refresh (accounts, NULL, &err)) {
    GST_WARNING ("mount %s: %s", cfg->path, err->message);
    policeshare_mount_report_accounts_error (mount, err);
    g_clear_error (&err);
  }

  res = authenticate (self, ctx, mount, &user);
  switch (res) {
    case AUTH_NONE:
      respond (self, ctx, mount, GST_RTSP_STS_UNAUTHORIZED, FALSE);
      return FALSE;
    case AUTH_STALE:
      respond (self, ctx, mount, GST_RTSP_STS_UNAUTHORIZED, TRUE);
      g_free (user);
      return FALSE;
    case AUTH_BAD:
      /* Players retry a wrong password several times on one connection:
       * count one failure per connection, so that one mistyped password
       * does not block an officer's address. */
      if (!g_object_get_data (G_OBJECT (ctx->client), "policeshare-failed")) {
        g_object_set_data (G_OBJECT (ctx->client), "policeshare-failed",
            GINT_TO_POINTER (1));
        address_failed (self, ip, cfg);
      }
      policeshare_mount_refused (mount, ctx->client, user,
          GST_RTSP_STS_UNAUTHORIZED, "wrong-credentials");
      respond (self, ctx, mount, GST_RTSP_STS_UNAUTHORIZED, FALSE);
      g_free (user);
      return FALSE;
    case AUTH_OK:
      break;
  }

  address_succeeded (self, ip);
  groups = anninh_viewer_accounts_get_groups (accounts, user);
  if (!groups_allowed (cfg, groups)) {
    policeshare_mount_refused (mount, ctx->client, user,
        GST_RTSP_STS_FORBIDDEN, "group-not-allowed");
    respond (self, ctx, mount, GST_RTSP_STS_FORBIDDEN, FALSE);
    g_strfreev (groups);
    g_free (user);
    return FALSE;
  }
  joined = g_strjoinv (",", groups);
  g_strfreev (groups);
  g_object_set_data_full (G_OBJECT (ctx->client), POLICESHARE_CLIENT_GROUPS,
      joined, g_free);
  g_object_set_data_full (G_OBJECT (ctx->client), POLICESHARE_CLIENT_USER,
      user, g_free);
  return TRUE;
}

static gboolean
policeshare_auth_check (GstRTSPAuth * auth, GstRTSPContext * ctx,
    const gchar * check)
{
  PoliceshareAuth *self = POLICESHARE_AUTH (auth);
  PoliceshareMount *mount;
  gboolean ret = TRUE;

  if (g_str_equal (check, GST_RTSP_AUTH_CHECK_CONNECT))
    return GST_RTSP_AUTH_CLASS (policeshare_auth_parent_class)->check (auth,
        ctx, check);
  if (g_str_equal (check, GST_RTSP_AUTH_CHECK_TRANSPORT_CLIENT_SETTINGS))
    return FALSE;

  ctx->token = self->token;
  mount = lookup_mount (self, ctx);
  if (mount == NULL)
    return TRUE;                /* not ours: the client answers 404 */

  if (g_str_equal (check, GST_RTSP_AUTH_CHECK_URL)) {
    ret = check_url (self, ctx, mount);
  } else if (g_str_equal (check, GST_RTSP_AUTH_CHECK_MEDIA_FACTORY_ACCESS)) {
    const PoliceshareMountConfig *cfg = policeshare_mount_get_config (mount);

    if (!policeshare_mount_has_video (mount)) {
      /* nothing to describe yet (camera not connected since start) */
      GST_INFO ("mount %s: no video yet, 503", cfg->path);
      respond (self, ctx, mount, GST_RTSP_STS_SERVICE_UNAVAILABLE, FALSE);
      ret = FALSE;
    } else if (cfg->max_viewers > 0 && ctx->method == GST_RTSP_DESCRIBE &&
        policeshare_mount_n_viewers (mount) >= cfg->max_viewers) {
      const gchar *user = g_object_get_data (G_OBJECT (ctx->client),
          POLICESHARE_CLIENT_USER);

      policeshare_mount_refused (mount, ctx->client, user,
          GST_RTSP_STS_SERVICE_UNAVAILABLE, "max-viewers");
      respond (self, ctx, mount, GST_RTSP_STS_SERVICE_UNAVAILABLE, FALSE);
      ret = FALSE;
    }
  }
  policeshare_mount_unref (mount);
  return ret;
}

static void
policeshare_auth_finalize (GObject * object)
{
  PoliceshareAuth *self = POLICESHARE_AUTH (object);

  g_object_unref (self->mounts);
  gst_rtsp_token_unref (self->token);
  g_hash_table_unref (self->addresses);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (policeshare_auth_parent_class)->finalize (object);
}

static void
policeshare_auth_class_init (PoliceshareAuthClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = policeshare_auth_finalize;
  GST_RTSP_AUTH_CLASS (klass)->check = policeshare_auth_check;
}

static void
policeshare_auth_init (PoliceshareAuth * self)
{
  guint i;

  g_mutex_init (&self->lock);
  self->addresses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  for (i = 0; i < 64; i++)
    self->secret[i] = "0123456789abcdef"[g_random_int_range (0, 16)];
  self->secret[64] = '\0';
  self->token = gst_rtsp_token_new (GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE,
      G_TYPE_STRING, "anninh-viewer", NULL);
}

PoliceshareAuth *
policeshare_auth_new (GstRTSPMountPoints * mounts, gboolean tls)
{
  PoliceshareAuth *self = g_object_new (POLICESHARE_TYPE_AUTH, NULL);

  self->mounts = g_object_ref (mounts);
  self->tls = tls;
  return self;
}
