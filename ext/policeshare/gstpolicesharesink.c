/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-policeshare
 * @title: policeshare
 *
 * Serves the parsed H.264 or H.265 stream it receives (typically a camera
 * after ipcamsrc, signed by evidencemux) to police viewers over RTSP or
 * RTSPS, on the mount point #GstPoliceShare:mount.
 *
 * Every policeshare of a process with the same #GstPoliceShare:address and
 * #GstPoliceShare:service shares one RTSP server, running on its own
 * GMainContext thread, with one mount each. The upstream stream is pulled
 * once and fanned out to every viewer of the mount through one shared
 * media (appsrc ! rtph264pay / rtph265pay): there is no transcoding and no
 * per-viewer pipeline. The mount's media is built when its first viewer
 * arrives and starts at once with the last keyframe and the frames that
 * followed it (parameter sets prepended if the keyframe lacks them); later
 * viewers join the running media and decode from the next keyframe, the
 * payloader repeating the parameter sets before each one. For every new
 * viewer the element sends the upstream "anninh-certificate-request" event
 * so that evidencemux repeats the certificate SEI of a signed stream.
 *
 * Camera reconnects upstream (gaps, DISCONT) do not end any session: the
 * viewers' players freeze and resume when frames come again. Until the
 * first frame arrives a mount answers 503. A media whose viewers cannot
 * keep up (more than 12 frames waiting) skips to the next keyframe rather
 * than fall behind.
 *
 * Access: with #GstPoliceShare:htdigest set, viewers authenticate with
 * Digest (Basic too, but only over TLS) against that file, made with
 * Apache's `htdigest` tool for #GstPoliceShare:realm. With
 * #GstPoliceShare:allow-groups set, only members of one of those groups in
 * #GstPoliceShare:groups-file may open the mount. Both files are re-read
 * when they change. Wrong credentials get 401, a user outside the groups
 * 403, a full mount (#GstPoliceShare:max-viewers) 503, and an address with
 * #GstPoliceShare:max-auth-failures wrong logins in a minute 429 for
 * #GstPoliceShare:block-time seconds. Without #GstPoliceShare:htdigest the
 * mount is open to anyone who can reach the address.
 *
 * Every viewing (user, groups, client address, mount, start, end, bytes)
 * and every refusal is appended to #GstPoliceShare:audit-log, a hash
 * chained JSON-lines file that `anninh audit verify FILE` checks. The
 * mount's viewers, refusals and bytes sent are published in the health
 * registry (kind "share", id = the mount).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency \
 *     key-int-max=50 ! h264parse ! policeshare mount=/hoatien/cam01 \
 *     service=8554 htdigest=/etc/anninh/officers.htdigest realm=anninh \
 *     groups-file=/etc/anninh/officers.groups allow-groups=hoatien \
 *     audit-log=/var/log/anninh/viewers.jsonl
 * ]| then `ffplay rtsp://USER:PASSWORD@127.0.0.1:8554/hoatien/cam01`.
 *
 * ## Bus messages (element messages)
 *
 * `policeshare-viewer-joined`: a viewer started playing the mount.
 * - `mount` (string): the mount point
 * - `user` (string): the authenticated user, "" on an open mount
 * - `groups` (string): the user's groups, comma-separated
 * - `client-address` (string): the viewer's IP address
 * - `viewers` (guint): viewers of the mount now
 *
 * `policeshare-viewer-left`: a viewing ended.
 * - `mount` (string), `user` (string), `client-address` (string)
 * - `bytes-sent` (guint64): video bytes delivered to the viewing (RTP and
 *   transport headers not counted)
 * - `duration` (gdouble): seconds from PLAY to the end
 * - `reason` (string): "teardown", "connection closed" or "share stopped"
 * - `viewers` (guint): viewers of the mount now
 *
 * `policeshare-viewer-refused`: a request was refused.
 * - `mount` (string), `client-address` (string)
 * - `user` (string): the user name the client gave, "" if none
 * - `status` (guint): the RTSP status sent: 401, 403, 429 or 503
 * - `reason` (string): "wrong-credentials", "group-not-allowed",
 *   "rate-limited" or "max-viewers"
 * - `refusals` (guint64): refusals on this mount so far
 *
 * A users or groups file that cannot be read posts a warning message (once)
 * and refuses every viewer until it can be read again; an audit log that
 * cannot be written posts a warning message (once).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/rtsp/gstrtsptransport.h>
#include "gstpolicesharesink.h"
#include "policeshare-server.h"

GST_DEBUG_CATEGORY (policeshare_debug);
#define GST_CAT_DEFAULT policeshare_debug

#define DEFAULT_MOUNT             "/cam"
#define DEFAULT_ADDRESS           "127.0.0.1"
#define DEFAULT_SERVICE           "8554"
#define DEFAULT_HTDIGEST          NULL
#define DEFAULT_GROUPS_FILE       NULL
#define DEFAULT_REALM             "anninh"
#define DEFAULT_ALLOW_GROUPS      NULL
#define DEFAULT_TLS_CERT          NULL
#define DEFAULT_TLS_KEY           NULL
#define DEFAULT_MAX_VIEWERS       0
#define DEFAULT_AUDIT_LOG         NULL
#define DEFAULT_PROTOCOLS         (GST_RTSP_LOWER_TRANS_UDP | \
                                   GST_RTSP_LOWER_TRANS_TCP)
#define DEFAULT_MAX_AUTH_FAILURES 5
#define DEFAULT_BLOCK_TIME        60

enum
{
  PROP_0,
  PROP_MOUNT,
  PROP_ADDRESS,
  PROP_SERVICE,
  PROP_BOUND_PORT,
  PROP_HTDIGEST,
  PROP_GROUPS_FILE,
  PROP_REALM,
  PROP_ALLOW_GROUPS,
  PROP_TLS_CERT,
  PROP_TLS_KEY,
  PROP_MAX_VIEWERS,
  PROP_AUDIT_LOG,
  PROP_PROTOCOLS,
  PROP_MAX_AUTH_FAILURES,
  PROP_BLOCK_TIME,
  PROP_VIEWERS,
};

struct _GstPoliceShare
{
  GstBaseSink parent;

  /* properties, guarded by the object lock; read at NULL->READY */
  gchar *mount_path;
  gchar *address;
  gchar *service;
  gchar *htdigest;
  gchar *groups_file;
  gchar *realm;
  gchar *allow_groups;
  gchar *tls_cert;
  gchar *tls_key;
  guint max_viewers;
  gchar *audit_log;
  GstRTSPLowerTrans protocols;
  guint max_auth_failures;
  guint block_time;

  /* set at NULL->READY, cleared at READY->NULL (state change thread);
   * read by the streaming thread in between */
  PoliceshareServer *server;
  PoliceshareMount *mount;
  gint bound_port;              /* object lock */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) byte-stream, "
        "alignment = (string) au; "
        "video/x-h265, stream-format = (string) byte-stream, "
        "alignment = (string) au"));

#define gst_police_share_parent_class parent_class
G_DEFINE_TYPE (GstPoliceShare, gst_police_share, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE (policeshare, "policeshare", GST_RANK_NONE,
    GST_TYPE_POLICE_SHARE);

static void
gst_police_share_finalize (GObject * object)
{
  GstPoliceShare *self = GST_POLICE_SHARE (object);

  g_free (self->mount_path);
  g_free (self->address);
  g_free (self->service);
  g_free (self->htdigest);
  g_free (self->groups_file);
  g_free (self->realm);
  g_free (self->allow_groups);
  g_free (self->tls_cert);
  g_free (self->tls_key);
  g_free (self->audit_log);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
set_string (GstPoliceShare * self, gchar ** field, const GValue * value,
    const gchar * fallback)
{
  const gchar *s = g_value_get_string (value);

  GST_OBJECT_LOCK (self);
  g_free (*field);
  *field = g_strdup (s && *s ? s : fallback);
  GST_OBJECT_UNLOCK (self);
}

static void
gst_police_share_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstPoliceShare *self = GST_POLICE_SHARE (object);

  switch (prop_id) {
    case PROP_MOUNT:
      set_string (self, &self->mount_path, value, DEFAULT_MOUNT);
      break;
    case PROP_ADDRESS:
      set_string (self, &self->address, value, DEFAULT_ADDRESS);
      break;
    case PROP_SERVICE:
      set_string (self, &self->service, value, DEFAULT_SERVICE);
      break;
    case PROP_HTDIGEST:
      set_string (self, &self->htdigest, value, NULL);
      break;
    case PROP_GROUPS_FILE:
      set_string (self, &self->groups_file, value, NULL);
      break;
    case PROP_REALM:
      set_string (self, &self->realm, value, DEFAULT_REALM);
      break;
    case PROP_ALLOW_GROUPS:
      set_string (self, &self->allow_groups, value, NULL);
      break;
    case PROP_TLS_CERT:
      set_string (self, &self->tls_cert, value, NULL);
      break;
    case PROP_TLS_KEY:
      set_string (self, &self->tls_key, value, NULL);
      break;
    case PROP_AUDIT_LOG:
      set_string (self, &self->audit_log, value, NULL);
      break;
    case PROP_MAX_VIEWERS:
      GST_OBJECT_LOCK (self);
      self->max_viewers = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PROTOCOLS:
      GST_OBJECT_LOCK (self);
      self->protocols = g_value_get_flags (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_AUTH_FAILURES:
      GST_OBJECT_LOCK (self);
      self->max_auth_failures = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_BLOCK_TIME:
      GST_OBJECT_LOCK (self);
      self->block_time = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_police_share_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstPoliceShare *self = GST_POLICE_SHARE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MOUNT:
      g_value_set_string (value, self->mount_path);
      break;
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_SERVICE:
      g_value_set_string (value, self->service);
      break;
    case PROP_BOUND_PORT:
      g_value_set_int (value, self->bound_port);
      break;
    case PROP_HTDIGEST:
      g_value_set_string (value, self->htdigest);
      break;
    case PROP_GROUPS_FILE:
      g_value_set_string (value, self->groups_file);
      break;
    case PROP_REALM:
      g_value_set_string (value, self->realm);
      break;
    case PROP_ALLOW_GROUPS:
      g_value_set_string (value, self->allow_groups);
      break;
    case PROP_TLS_CERT:
      g_value_set_string (value, self->tls_cert);
      break;
    case PROP_TLS_KEY:
      g_value_set_string (value, self->tls_key);
      break;
    case PROP_MAX_VIEWERS:
      g_value_set_uint (value, self->max_viewers);
      break;
    case PROP_AUDIT_LOG:
      g_value_set_string (value, self->audit_log);
      break;
    case PROP_PROTOCOLS:
      g_value_set_flags (value, self->protocols);
      break;
    case PROP_MAX_AUTH_FAILURES:
      g_value_set_uint (value, self->max_auth_failures);
      break;
    case PROP_BLOCK_TIME:
      g_value_set_uint (value, self->block_time);
      break;
    case PROP_VIEWERS:
      g_value_set_uint (value, self->mount ?
          policeshare_mount_n_viewers (self->mount) : 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_police_share_start_serving (GstPoliceShare * self)
{
  PoliceshareMountConfig cfg = { 0, };
  gchar *address, *service, *tls_cert, *tls_key;
  GError *err = NULL;
  PoliceshareServer *server;
  PoliceshareMount *mount;

  GST_OBJECT_LOCK (self);
  cfg.path = g_strdup (self->mount_path);
  cfg.realm = g_strdup (self->realm);
  cfg.htdigest = g_strdup (self->htdigest);
  cfg.groups_file = g_strdup (self->groups_file);
  cfg.allow_groups = self->allow_groups ?
      g_strsplit_set (self->allow_groups, ", ", -1) : NULL;
  cfg.max_viewers = self->max_viewers;
  cfg.max_auth_failures = self->max_auth_failures;
  cfg.block_time = self->block_time;
  cfg.tls = self->tls_cert != NULL;
  cfg.protocols = self->protocols;
  cfg.audit_log = g_strdup (self->audit_log);
  address = g_strdup (self->address);
  service = g_strdup (self->service);
  tls_cert = g_strdup (self->tls_cert);
  tls_key = g_strdup (self->tls_key);
  GST_OBJECT_UNLOCK (self);

  /* drop the empty names g_strsplit_set leaves between separators */
  if (cfg.allow_groups) {
    gchar **in = cfg.allow_groups, **p;
    GStrvBuilder *b = g_strv_builder_new ();

    for (p = in; *p; p++)
      if (**p)
        g_strv_builder_add (b, *p);
    cfg.allow_groups = g_strv_builder_end (b);
    g_strv_builder_unref (b);
    g_strfreev (in);
  }

  if (cfg.path[0] != '/') {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The mount point must start with '/', e.g. /hoatien/cam01 (got "
            "'%s').", cfg.path), (NULL));
    goto failed;
  }
  if (cfg.allow_groups && cfg.allow_groups[0] && !cfg.groups_file) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("allow-groups is set but groups-file is not: say which file lists "
            "the officers of each group."), (NULL));
    goto failed;
  }
  if (cfg.htdigest == NULL)
    GST_WARNING_OBJECT (self, "no htdigest file: mount %s is open to anyone "
        "who can reach %s", cfg.path, address);

  mount = policeshare_mount_new (GST_ELEMENT (self), &cfg, &err);
  if (mount == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("%s", err->message), (NULL));
    g_clear_error (&err);
    goto failed;
  }
  server = policeshare_server_acquire (address, service, tls_cert, tls_key,
      &err);
  if (server == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("%s", err->message), (NULL));
    g_clear_error (&err);
    policeshare_mount_detach (mount);
    policeshare_mount_unref (mount);
    goto failed;
  }
  if (!policeshare_server_add_mount (server, mount, &err)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", err->message), (NULL));
    g_clear_error (&err);
    policeshare_server_release (server);
    policeshare_mount_detach (mount);
    policeshare_mount_unref (mount);
    goto failed;
  }

  GST_OBJECT_LOCK (self);
  self->server = server;
  self->mount = mount;
  self->bound_port = policeshare_server_get_port (server);
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "serving %s://%s:%d%s", tls_cert ? "rtsps" : "rtsp",
      address, self->bound_port, cfg.path);
  g_object_notify (G_OBJECT (self), "bound-port");

  g_free (address);
  g_free (service);
  g_free (tls_cert);
  g_free (tls_key);
  g_free (cfg.path);
  g_free (cfg.realm);
  g_free (cfg.htdigest);
  g_free (cfg.groups_file);
  g_strfreev (cfg.allow_groups);
  g_free (cfg.audit_log);
  return TRUE;

failed:
  g_free (address);
  g_free (service);
  g_free (tls_cert);
  g_free (tls_key);
  g_free (cfg.path);
  g_free (cfg.realm);
  g_free (cfg.htdigest);
  g_free (cfg.groups_file);
  g_strfreev (cfg.allow_groups);
  g_free (cfg.audit_log);
  return FALSE;
}

static void
gst_police_share_stop_serving (GstPoliceShare * self)
{
  PoliceshareServer *server;
  PoliceshareMount *mount;

  GST_OBJECT_LOCK (self);
  server = self->server;
  mount = self->mount;
  self->server = NULL;
  self->mount = NULL;
  self->bound_port = 0;
  GST_OBJECT_UNLOCK (self);

  if (server == NULL)
    return;
  policeshare_server_remove_mount (server, mount);
  policeshare_mount_detach (mount);
  policeshare_server_release (server);
  policeshare_mount_unref (mount);
}

static GstStateChangeReturn
gst_police_share_change_state (GstElement * element, GstStateChange transition)
{
  GstPoliceShare *self = GST_POLICE_SHARE (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY &&
      !gst_police_share_start_serving (self))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_READY_TO_NULL ||
      (transition == GST_STATE_CHANGE_NULL_TO_READY &&
          ret == GST_STATE_CHANGE_FAILURE))
    gst_police_share_stop_serving (self);
  return ret;
}

static gboolean
gst_police_share_set_caps (GstBaseSink * sink, GstCaps * caps)
{
  GstPoliceShare *self = GST_POLICE_SHARE (sink);

  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, caps);
  if (self->mount)
    policeshare_mount_set_caps (self->mount, caps);
  return TRUE;
}

static GstFlowReturn
gst_police_share_render (GstBaseSink * sink, GstBuffer * buffer)
{
  GstPoliceShare *self = GST_POLICE_SHARE (sink);

  GST_LOG_OBJECT (self, "buffer %" GST_PTR_FORMAT, buffer);
  if (self->mount)
    policeshare_mount_push (self->mount, buffer);
  return GST_FLOW_OK;
}

static void
gst_police_share_class_init (GstPoliceShareClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  GST_DEBUG_CATEGORY_INIT (policeshare_debug, "policeshare", 0,
      "authenticated, audited RTSP re-streaming");

  gobject_class->finalize = gst_police_share_finalize;
  gobject_class->set_property = gst_police_share_set_property;
  gobject_class->get_property = gst_police_share_get_property;

  /* All string and number settings are read when the element goes from
   * NULL to READY; changing them later takes effect at the next start. */

  /**
   * GstPoliceShare:mount:
   *
   * The RTSP mount point, e.g. /hoatien/cam01.
   */
  g_object_class_install_property (gobject_class, PROP_MOUNT,
      g_param_spec_string ("mount", "Mount point",
          "RTSP path viewers open, starting with '/' (e.g. /hoatien/cam01)",
          DEFAULT_MOUNT, rw));
  /**
   * GstPoliceShare:address:
   *
   * The address the RTSP server listens on.
   */
  g_object_class_install_property (gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
          "IP address to listen on (0.0.0.0: every interface)",
          DEFAULT_ADDRESS, rw));
  /**
   * GstPoliceShare:service:
   *
   * The TCP port (or service name) of the RTSP server; "0" picks a free
   * port, read back from #GstPoliceShare:bound-port.
   */
  g_object_class_install_property (gobject_class, PROP_SERVICE,
      g_param_spec_string ("service", "Service",
          "TCP port or service name to listen on (\"0\": any free port)",
          DEFAULT_SERVICE, rw));
  /**
   * GstPoliceShare:bound-port:
   *
   * The port the server actually listens on, once the element is READY.
   */
  g_object_class_install_property (gobject_class, PROP_BOUND_PORT,
      g_param_spec_int ("bound-port", "Bound port",
          "TCP port the server listens on (0: not serving)", 0, 65535, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstPoliceShare:htdigest:
   *
   * The officers' accounts, a file made with `htdigest`. Re-read when it
   * changes. Unset: no authentication.
   */
  g_object_class_install_property (gobject_class, PROP_HTDIGEST,
      g_param_spec_string ("htdigest", "Users file",
          "htdigest file of the viewers' accounts (NULL: no authentication)",
          DEFAULT_HTDIGEST, rw));
  /**
   * GstPoliceShare:groups-file:
   *
   * Lines `group: user1 user2 ...`. Re-read when it changes.
   */
  g_object_class_install_property (gobject_class, PROP_GROUPS_FILE,
      g_param_spec_string ("groups-file", "Groups file",
          "File of lines 'group: user1 user2' (NULL: no groups)",
          DEFAULT_GROUPS_FILE, rw));
  /**
   * GstPoliceShare:realm:
   *
   * The realm of the accounts, as given to `htdigest`.
   */
  g_object_class_install_property (gobject_class, PROP_REALM,
      g_param_spec_string ("realm", "Realm",
          "Authentication realm, as given to htdigest", DEFAULT_REALM, rw));
  /**
   * GstPoliceShare:allow-groups:
   *
   * Comma-separated groups whose members may open this mount.
   */
  g_object_class_install_property (gobject_class, PROP_ALLOW_GROUPS,
      g_param_spec_string ("allow-groups", "Allowed groups",
          "Comma-separated groups allowed on this mount (NULL: any "
          "authenticated user)", DEFAULT_ALLOW_GROUPS, rw));
  /**
   * GstPoliceShare:tls-cert:
   *
   * PEM certificate (chain) of the server; set it to serve RTSPS. All
   * mounts of one address and service must give the same file.
   */
  g_object_class_install_property (gobject_class, PROP_TLS_CERT,
      g_param_spec_string ("tls-cert", "TLS certificate",
          "PEM certificate file; enables RTSPS (NULL: plain RTSP)",
          DEFAULT_TLS_CERT, rw));
  /**
   * GstPoliceShare:tls-key:
   *
   * PEM private key of #GstPoliceShare:tls-cert.
   */
  g_object_class_install_property (gobject_class, PROP_TLS_KEY,
      g_param_spec_string ("tls-key", "TLS key",
          "PEM private key file (NULL: in the tls-cert file)",
          DEFAULT_TLS_KEY, rw));
  /**
   * GstPoliceShare:max-viewers:
   *
   * Viewers the mount accepts at once; the next get 503.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_VIEWERS,
      g_param_spec_uint ("max-viewers", "Maximum viewers",
          "Viewers of this mount at once (0: unlimited)", 0, G_MAXUINT,
          DEFAULT_MAX_VIEWERS, rw));
  /**
   * GstPoliceShare:audit-log:
   *
   * The hash-chained JSON-lines file of viewings and refusals; several
   * elements may share one file.
   */
  g_object_class_install_property (gobject_class, PROP_AUDIT_LOG,
      g_param_spec_string ("audit-log", "Audit log",
          "JSON-lines file that records every viewing and refusal "
          "(NULL: none)", DEFAULT_AUDIT_LOG, rw));
  /**
   * GstPoliceShare:protocols:
   *
   * Transports viewers may use (RTSP over HTTP tunnels is always
   * accepted on the same port).
   */
  g_object_class_install_property (gobject_class, PROP_PROTOCOLS,
      g_param_spec_flags ("protocols", "Protocols",
          "Lower transports allowed to viewers", GST_TYPE_RTSP_LOWER_TRANS,
          DEFAULT_PROTOCOLS, rw));
  /**
   * GstPoliceShare:max-auth-failures:
   *
   * Wrong logins from one address within a minute before the address is
   * refused (429) for #GstPoliceShare:block-time seconds.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_AUTH_FAILURES,
      g_param_spec_uint ("max-auth-failures", "Maximum login failures",
          "Wrong logins per address and minute before it is blocked "
          "(0: never block)", 0, G_MAXUINT, DEFAULT_MAX_AUTH_FAILURES, rw));
  /**
   * GstPoliceShare:block-time:
   *
   * Seconds an address stays blocked.
   */
  g_object_class_install_property (gobject_class, PROP_BLOCK_TIME,
      g_param_spec_uint ("block-time", "Block time",
          "Seconds an address is refused after too many wrong logins",
          0, 86400, DEFAULT_BLOCK_TIME, rw));
  /**
   * GstPoliceShare:viewers:
   *
   * Viewers playing the mount now.
   */
  g_object_class_install_property (gobject_class, PROP_VIEWERS,
      g_param_spec_uint ("viewers", "Viewers",
          "Viewers playing this mount now", 0, G_MAXUINT, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Police live share", "Sink/Network",
      "Serves a camera over RTSP/RTSPS to authorised police viewers, one "
      "upstream pull for all, with a hash-chained audit log of who watched",
      "gst-anninh developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_police_share_change_state);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_police_share_set_caps);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_police_share_render);
}

static void
gst_police_share_init (GstPoliceShare * self)
{
  self->mount_path = g_strdup (DEFAULT_MOUNT);
  self->address = g_strdup (DEFAULT_ADDRESS);
  self->service = g_strdup (DEFAULT_SERVICE);
  self->realm = g_strdup (DEFAULT_REALM);
  self->max_viewers = DEFAULT_MAX_VIEWERS;
  self->protocols = DEFAULT_PROTOCOLS;
  self->max_auth_failures = DEFAULT_MAX_AUTH_FAILURES;
  self->block_time = DEFAULT_BLOCK_TIME;

  /* viewers are served as frames come; the sink never waits on a clock */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}
