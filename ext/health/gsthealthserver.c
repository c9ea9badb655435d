/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-healthserver
 * @title: healthserver
 * @short_description: serves the health of every camera, recorder and share
 *   of the process over HTTP: JSON, Prometheus metrics and a status page
 *
 * healthserver has no pads. Put one in the pipeline (or in any pipeline of
 * the process) and, from the READY state on, it serves with libsoup the
 * process-wide health registry that ipcamsrc, retentionsink and policeshare
 * publish to:
 *
 * - `/` — a status page for a duty officer: camera counts by state, a table
 *   per site (commune or ward) and link, coloured by state, then the
 *   recorders and shares. It reloads itself every #GstHealthServer:refresh
 *   seconds.
 * - `/health` — the same as JSON (`application/json`), one object per
 *   camera, recorder and share, counts by state and a sentence such as
 *   "Cameras: 309 streaming, 73 awaiting repair."
 * - `/metrics` — Prometheus text exposition format 0.0.4.
 *
 * Only GET and HEAD are answered (405 otherwise); other paths get 404.
 * The server runs on its own thread and main context, so a busy pipeline
 * never delays a scrape and a slow client never delays the pipeline. It
 * binds 127.0.0.1 by default: set #GstHealthServer:address to 0.0.0.0 to
 * let other machines (the district's Prometheus) reach it.
 *
 * If the port cannot be bound (already in use, or an address that is not
 * this machine's) the element posts an error and the change to READY fails.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 healthserver port=9090 title="Xã An Bình" \
 *     ipcamsrc location=rtsp://192.168.1.20/stream1 camera-id=cong-chinh \
 *     site="Xã An Bình" link=wifi ! fakesink
 * ]| serves the health of one camera on http://127.0.0.1:9090/.
 * |[
 * gst-launch-1.0 healthserver port=9090
 * ]| serves an empty registry: useful to check the firewall and the
 * Prometheus configuration before cameras are added.
 *
 * ## Bus messages
 *
 * `healthserver-listening` (element message), posted once the port is
 * bound, on the change from NULL to READY:
 * - `address` (string): the address listened on, as set.
 * - `port` (uint): the TCP port bound (the one the system picked when
 *   #GstHealthServer:port is 0).
 * - `url` (string): the status page's URL, e.g. "http://127.0.0.1:9090/".
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsthealthserver.h"

#include <anninh/health-registry.h>
#include <anninh/health-json.h>
#include <anninh/health-metrics.h>
#include <anninh/health-page.h>
#include <libsoup/soup.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_health_server_debug);
#define GST_CAT_DEFAULT gst_health_server_debug

#define DEFAULT_ADDRESS "127.0.0.1"
#define DEFAULT_PORT 9090
#define DEFAULT_TITLE "Camera health"
#define DEFAULT_REFRESH 10

enum
{
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_TITLE,
  PROP_REFRESH,
};

struct _GstHealthServer
{
  GstElement parent;

  /* properties; guarded by the object lock */
  gchar *address;
  guint port;
  gchar *title;
  guint refresh;

  /* the port bound while serving, 0 otherwise; guarded by the object lock */
  guint bound_port;

  /* the server thread, its context and loop: created and joined by the
   * state-change thread, never touched by anyone else while it runs */
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;           /* only touched on the server thread */

  /* start handshake between the state-change thread and the server thread;
   * guarded by start_lock */
  GMutex start_lock;
  GCond start_cond;
  gboolean start_done;
  GError *start_error;
  GInetSocketAddress *listen_address;
};

#define gst_health_server_parent_class parent_class
G_DEFINE_TYPE (GstHealthServer, gst_health_server, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (healthserver, "healthserver", GST_RANK_NONE,
    GST_TYPE_HEALTH_SERVER);

static GParamSpec *port_pspec;

static void
gst_health_server_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstHealthServer *self = GST_HEALTH_SERVER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ADDRESS:
      g_free (self->address);
      self->address = g_value_dup_string (value);
      if (self->address == NULL)
        self->address = g_strdup (DEFAULT_ADDRESS);
      break;
    case PROP_PORT:
      self->port = g_value_get_uint (value);
      break;
    case PROP_TITLE:
      g_free (self->title);
      self->title = g_value_dup_string (value);
      break;
    case PROP_REFRESH:
      self->refresh = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_health_server_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstHealthServer *self = GST_HEALTH_SERVER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->bound_port ? self->bound_port :
          self->port);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_REFRESH:
      g_value_set_uint (value, self->refresh);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
respond (SoupServerMessage * msg, guint status, const gchar * content_type,
    gchar * body)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, body,
      strlen (body));
}

/* Runs on the server thread. */
static void
handle_request (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  GstHealthServer *self = GST_HEALTH_SERVER (user_data);
  const gchar *method = soup_server_message_get_method (msg);
  GPtrArray *snapshot;
  guint64 generation;
  gint64 now;

  GST_DEBUG_OBJECT (self, "%s %s", method, path);

  if (g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Allow", "GET, HEAD");
    respond (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
        g_strdup ("Only GET and HEAD are allowed here.\n"));
    return;
  }

  /* the generation first: a publish between the two calls then shows up
   * as a newer generation at the next request, never as a missed one */
  generation = anninh_health_registry_generation ();
  snapshot = anninh_health_registry_snapshot ();
  now = g_get_real_time ();

  if (g_str_equal (path, "/health")) {
    respond (msg, SOUP_STATUS_OK, "application/json",
        anninh_health_snapshot_to_json (snapshot, generation, now, TRUE));
  } else if (g_str_equal (path, "/metrics")) {
    respond (msg, SOUP_STATUS_OK, ANNINH_HEALTH_METRICS_CONTENT_TYPE,
        anninh_health_snapshot_to_metrics (snapshot, generation, now));
  } else if (g_str_equal (path, "/")) {
    gchar *title;
    guint refresh;

    GST_OBJECT_LOCK (self);
    title = g_strdup (self->title);
    refresh = self->refresh;
    GST_OBJECT_UNLOCK (self);
    respond (msg, SOUP_STATUS_OK, "text/html; charset=utf-8",
        anninh_health_snapshot_to_html (snapshot, generation, now, title,
            refresh));
    g_free (title);
  } else {
    respond (msg, SOUP_STATUS_NOT_FOUND, "text/plain; charset=utf-8",
        g_strdup ("Not found. This server answers /, /health and "
            "/metrics.\n"));
  }
  g_ptr_array_unref (snapshot);
}

/* Runs on the server thread. We accept connections ourselves and hand them
 * to libsoup: libsoup 3.2's own listener (soup_server_listen()) leaks the
 * GSocket, and with it the file descriptor, of every connection it
 * accepts (fixed upstream by an unref in soup-listener.c listen_watch()),
 * which a Prometheus scraping every 15 s turns into fd exhaustion. */
static gboolean
on_incoming (GSocketService * service, GSocketConnection * connection,
    GObject * source_object, gpointer user_data)
{
  GstHealthServer *self = GST_HEALTH_SERVER (user_data);
  GSocketAddress *local, *remote;
  GError *error = NULL;

  local = g_socket_connection_get_local_address (connection, NULL);
  remote = g_socket_connection_get_remote_address (connection, NULL);
  if (!soup_server_accept_iostream (self->server, G_IO_STREAM (connection),
          local, remote, &error)) {
    GST_WARNING_OBJECT (self, "cannot serve a connection: %s", error->message);
    g_clear_error (&error);
  }
  g_clear_object (&local);
  g_clear_object (&remote);
  return TRUE;
}

/* The server lives and dies on this thread, with its own main context:
 * libsoup and GIO objects of the server are only ever touched here. */
static gpointer
server_thread (gpointer data)
{
  GstHealthServer *self = GST_HEALTH_SERVER (data);
  GSocketService *service;
  GSocketAddress *effective = NULL;
  GError *error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (self->context);

  self->server = soup_server_new ("server-header", "gst-anninh-healthserver ",
      NULL);
  soup_server_add_handler (self->server, NULL, handle_request, self, NULL);
  service = g_socket_service_new ();
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), self);
  ok = g_socket_listener_add_address (G_SOCKET_LISTENER (service),
      G_SOCKET_ADDRESS (self->listen_address), G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);

  g_mutex_lock (&self->start_lock);
  if (ok) {
    guint port =
        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));

    GST_OBJECT_LOCK (self);
    self->bound_port = port;
    GST_OBJECT_UNLOCK (self);
    g_object_unref (effective);
  } else {
    self->start_error = error;
  }
  self->start_done = TRUE;
  g_cond_signal (&self->start_cond);
  g_mutex_unlock (&self->start_lock);

  if (ok)
    g_main_loop_run (self->loop);

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_signal_handlers_disconnect_by_func (service, on_incoming, self);
  g_object_unref (service);
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  /* let closing connections finish their business on this context */
  while (g_main_context_iteration (self->context, FALSE));
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static void
post_error (GstHealthServer * self, const gchar * address, guint port,
    GError * error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
    GST_ELEMENT_ERROR (self, RESOURCE, BUSY,
        ("Port %u on %s is already in use by another program. Choose another "
            "port, or port=0 to let the system pick a free one.", port,
            address), ("%s", error->message));
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("Cannot serve health on %s port %u: %s. Check that the address "
            "belongs to this computer.", address, port, error->message),
        (NULL));
  }
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
gst_health_server_stop (GstHealthServer * self)
{
  if (self->thread != NULL) {
    /* through the loop's own context: a g_main_loop_quit() that came before
     * the thread reached g_main_loop_run() would be forgotten */
    GSource *idle = g_idle_source_new ();

    g_source_set_callback (idle, quit_loop, g_main_loop_ref (self->loop),
        (GDestroyNotify) g_main_loop_unref);
    g_source_attach (idle, self->context);
    g_source_unref (idle);
    g_thread_join (self->thread);
    self->thread = NULL;
    GST_DEBUG_OBJECT (self, "stopped serving");
  }
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->listen_address);
  g_clear_error (&self->start_error);

  GST_OBJECT_LOCK (self);
  self->bound_port = 0;
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_health_server_start (GstHealthServer * self)
{
  GInetAddress *inet;
  gchar *address, *url;
  guint port, bound;

  GST_OBJECT_LOCK (self);
  address = g_strdup (self->address);
  port = self->port;
  GST_OBJECT_UNLOCK (self);

  if (g_ascii_strcasecmp (address, "localhost") == 0)
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    inet = g_inet_address_new_from_string (address);
  if (inet == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("\"%s\" is not an IP address. Set address to an IP address such as "
            "127.0.0.1 (this computer only) or 0.0.0.0 (every network).",
            address), (NULL));
    g_free (address);
    return FALSE;
  }
  self->listen_address =
      G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, port));
  g_object_unref (inet);

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->start_done = FALSE;
  self->thread = g_thread_new ("healthserver", server_thread, self);

  g_mutex_lock (&self->start_lock);
  while (!self->start_done)
    g_cond_wait (&self->start_cond, &self->start_lock);
  g_mutex_unlock (&self->start_lock);

  if (self->start_error != NULL) {
    post_error (self, address, port, self->start_error);
    gst_health_server_stop (self);
    g_free (address);
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  bound = self->bound_port;
  GST_OBJECT_UNLOCK (self);
  if (strchr (address, ':') != NULL)
    url = g_strdup_printf ("http://[%s]:%u/", address, bound);
  else
    url = g_strdup_printf ("http://%s:%u/", address, bound);
  GST_INFO_OBJECT (self, "serving health on %s", url);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("healthserver-listening",
              "address", G_TYPE_STRING, address,
              "port", G_TYPE_UINT, bound, "url", G_TYPE_STRING, url, NULL)));
  if (port == 0)
    g_object_notify_by_pspec (G_OBJECT (self), port_pspec);
  g_free (url);
  g_free (address);
  return TRUE;
}

static GstStateChangeReturn
gst_health_server_change_state (GstElement * element, GstStateChange transition)
{
  GstHealthServer *self = GST_HEALTH_SERVER (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY
      && !gst_health_server_start (self))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_READY_TO_NULL
      || (transition == GST_STATE_CHANGE_NULL_TO_READY
          && ret == GST_STATE_CHANGE_FAILURE))
    gst_health_server_stop (self);

  return ret;
}

static void
gst_health_server_finalize (GObject * object)
{
  GstHealthServer *self = GST_HEALTH_SERVER (object);

  gst_health_server_stop (self);
  g_free (self->address);
  g_free (self->title);
  g_mutex_clear (&self->start_lock);
  g_cond_clear (&self->start_cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_health_server_class_init (GstHealthServerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_health_server_set_property;
  gobject_class->get_property = gst_health_server_get_property;
  gobject_class->finalize = gst_health_server_finalize;

  /**
   * GstHealthServer:address:
   *
   * The IP address to listen on. 127.0.0.1 serves this computer only;
   * 0.0.0.0 (or ::) serves every network, e.g. for the district's
   * Prometheus server. Takes effect at the next change to READY.
   */
  g_object_class_install_property (gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
          "IP address to listen on (127.0.0.1 = this computer only, "
          "0.0.0.0 = every network)", DEFAULT_ADDRESS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstHealthServer:port:
   *
   * The TCP port to listen on; 0 lets the system pick a free port. While
   * the element serves (READY and above) reading the property gives the
   * port actually bound, and it is notified when a port picked by the
   * system is known. Takes effect at the next change to READY.
   */
  port_pspec = g_param_spec_uint ("port", "Port",
      "TCP port to listen on (0 = let the system pick a free port; reads "
      "back the bound port while serving)", 0, G_MAXUINT16, DEFAULT_PORT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property (gobject_class, PROP_PORT, port_pspec);

  /**
   * GstHealthServer:title:
   *
   * The status page's heading, e.g. the name of the commune or district.
   */
  g_object_class_install_property (gobject_class, PROP_TITLE,
      g_param_spec_string ("title", "Title",
          "Heading of the status page, e.g. the district's name",
          DEFAULT_TITLE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstHealthServer:refresh:
   *
   * How often the status page reloads itself in the browser, in seconds;
   * 0 = never.
   */
  g_object_class_install_property (gobject_class, PROP_REFRESH,
      g_param_spec_uint ("refresh", "Refresh",
          "Seconds between reloads of the status page in the browser "
          "(0 = never)", 0, 3600, DEFAULT_REFRESH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_health_server_change_state);

  gst_element_class_set_static_metadata (element_class,
      "Health server", "Network/Generic",
      "Serves the health of the process's cameras, recorders and shares over "
      "HTTP: a status page, JSON and Prometheus metrics",
      "gst-anninh developers <gst-anninh@lists.example.org>");

  GST_DEBUG_CATEGORY_INIT (gst_health_server_debug, "healthserver", 0,
      "HTTP health, metrics and status page server");
}

static void
gst_health_server_init (GstHealthServer * self)
{
  self->address = g_strdup (DEFAULT_ADDRESS);
  self->port = DEFAULT_PORT;
  self->title = g_strdup (DEFAULT_TITLE);
  self->refresh = DEFAULT_REFRESH;
  g_mutex_init (&self->start_lock);
  g_cond_init (&self->start_cond);
}
