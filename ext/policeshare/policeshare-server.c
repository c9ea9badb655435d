/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process-wide registry of policeshare's RTSP servers: one
 * GstRTSPServer per "address:service" as the elements name it (so every
 * element configured with service "0" on one address shares the server
 * that the first of them bound), each with its own GMainContext and
 * thread, refcounted by the elements that use it. Client handlers connected
 * here turn PLAY / TEARDOWN / connection close into viewer joins and
 * leaves of the mount the client plays.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "policeshare-server.h"
#include "policeshare-auth.h"

GST_DEBUG_CATEGORY_EXTERN (policeshare_debug);
#define GST_CAT_DEFAULT policeshare_debug

/* Threads the clients of one server are spread over. */
#define CLIENT_THREADS 4

struct _PoliceshareServer
{
  guint refcount;               /* guarded by registry_lock */
  gchar *key;                   /* fixed */
  gchar *tls_cert;              /* fixed; NULL: plain RTSP */
  gint port;                    /* fixed once bound */

  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GstRTSPServer *server;
  GstRTSPMountPoints *mount_points;
  PoliceshareAuth *auth;
  GSource *source;
  GSource *pool_watch;

  GMutex lock;                  /* guards mounts */
  GList *mounts;                /* PoliceshareMount, reffed */
};

static GMutex registry_lock;
static GHashTable *registry;    /* key -> PoliceshareServer */

/* ------------------------------------------------------------------ */
/* running code on the server's thread */

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  GSourceFunc func;
  gpointer data;
} Invocation;

static gboolean
invoke_cb (gpointer user_data)
{
  Invocation *inv = user_data;

  inv->func (inv->data);
  g_mutex_lock (&inv->lock);
  inv->done = TRUE;
  g_cond_signal (&inv->cond);
  g_mutex_unlock (&inv->lock);
  return G_SOURCE_REMOVE;
}

static void
run_on_server_thread (PoliceshareServer * srv, GSourceFunc func, gpointer data)
{
  Invocation inv = { 0, };
  GSource *s;

  if (g_main_context_is_owner (srv->context)) {
    func (data);
    return;
  }
  g_mutex_init (&inv.lock);
  g_cond_init (&inv.cond);
  inv.func = func;
  inv.data = data;
  s = g_idle_source_new ();
  g_source_set_priority (s, G_PRIORITY_HIGH);
  g_source_set_callback (s, invoke_cb, &inv, NULL);
  g_source_attach (s, srv->context);
  g_source_unref (s);
  g_mutex_lock (&inv.lock);
  while (!inv.done)
    g_cond_wait (&inv.cond, &inv.lock);
  g_mutex_unlock (&inv.lock);
  g_mutex_clear (&inv.lock);
  g_cond_clear (&inv.cond);
}

/* ------------------------------------------------------------------ */
/* clients */

static PoliceshareMount *
mount_of_ctx (PoliceshareServer * srv, GstRTSPContext * ctx)
{
  PoliceshareMount *m = NULL;

  if (ctx->sessmedia)
    m = policeshare_mount_from_media (gst_rtsp_session_media_get_media
        (ctx->sessmedia));
  if (!m && ctx->media)
    m = policeshare_mount_from_media (ctx->media);
  if (!m && ctx->uri && ctx->uri->abspath) {
    GstRTSPMediaFactory *f = gst_rtsp_mount_points_match (srv->mount_points,
        ctx->uri->abspath, NULL);

    if (f) {
      m = policeshare_mount_from_factory (f);
      g_object_unref (f);
    }
  }
  return m;
}

static GstRTSPStatusCode
on_pre_play (GstRTSPClient * client, GstRTSPContext * ctx,
    PoliceshareServer * srv)
{
  PoliceshareMount *m = mount_of_ctx (srv, ctx);
  const PoliceshareMountConfig *cfg;

  if (m == NULL)
    return GST_RTSP_STS_OK;
  cfg = policeshare_mount_get_config (m);
  if (cfg->max_viewers > 0 &&
      policeshare_mount_n_viewers (m) >= cfg->max_viewers) {
    policeshare_mount_refused (m, client, g_object_get_data (G_OBJECT
            (client), POLICESHARE_CLIENT_USER),
        GST_RTSP_STS_SERVICE_UNAVAILABLE, "max-viewers");
    return GST_RTSP_STS_SERVICE_UNAVAILABLE;
  }
  return GST_RTSP_STS_OK;
}

static void
on_play (GstRTSPClient * client, GstRTSPContext * ctx, PoliceshareServer * srv)
{
  PoliceshareMount *m = mount_of_ctx (srv, ctx);

  if (m)
    policeshare_mount_viewer_joined (m, client);
}

static void
on_teardown (GstRTSPClient * client, GstRTSPContext * ctx,
    PoliceshareServer * srv)
{
  PoliceshareMount *m = mount_of_ctx (srv, ctx);

  if (m)
    policeshare_mount_viewer_left (m, client, "teardown");
}

static void
on_closed (GstRTSPClient * client, PoliceshareServer * srv)
{
  GList *mounts, *l;

  g_mutex_lock (&srv->lock);
  mounts = g_list_copy (srv->mounts);
  g_list_foreach (mounts, (GFunc) (void (*)(void)) policeshare_mount_ref, NULL);
  g_mutex_unlock (&srv->lock);
  for (l = mounts; l; l = l->next)
    policeshare_mount_viewer_left (l->data, client, "connection closed");
  g_list_free_full (mounts, (GDestroyNotify) policeshare_mount_unref);
}

static void
on_client_connected (GstRTSPServer * server, GstRTSPClient * client,
    PoliceshareServer * srv)
{
  g_signal_connect (client, "pre-play-request", G_CALLBACK (on_pre_play), srv);
  g_signal_connect (client, "play-request", G_CALLBACK (on_play), srv);
  g_signal_connect (client, "teardown-request", G_CALLBACK (on_teardown), srv);
  g_signal_connect (client, "closed", G_CALLBACK (on_closed), srv);
}

/* ------------------------------------------------------------------ */
/* closing clients and sessions of a mount (NULL: of every mount) */

static GstRTSPFilterResult
sessmedia_of_mount (GstRTSPSession * sess, GstRTSPSessionMedia * sm,
    gpointer mount)
{
  PoliceshareMount *m =
      policeshare_mount_from_media (gst_rtsp_session_media_get_media (sm));

  return m && (mount == NULL || m == mount) ? GST_RTSP_FILTER_REF :
      GST_RTSP_FILTER_KEEP;
}

static gboolean
session_uses_mount (GstRTSPSession * sess, gpointer mount)
{
  GList *l = gst_rtsp_session_filter (sess, sessmedia_of_mount, mount);
  gboolean ret = l != NULL;

  g_list_free_full (l, g_object_unref);
  return ret;
}

static GstRTSPFilterResult
client_session_uses_mount (GstRTSPClient * client, GstRTSPSession * sess,
    gpointer mount)
{
  return session_uses_mount (sess, mount) ? GST_RTSP_FILTER_REF :
      GST_RTSP_FILTER_KEEP;
}

typedef struct
{
  PoliceshareServer *srv;
  PoliceshareMount *mount;      /* NULL: all */
} CloseData;

static GstRTSPFilterResult
close_client_filter (GstRTSPServer * server, GstRTSPClient * client,
    gpointer user_data)
{
  CloseData *cd = user_data;
  GList *l;

  if (cd->mount != NULL) {
    l = gst_rtsp_client_session_filter (client, client_session_uses_mount,
        cd->mount);
    if (l == NULL)
      return GST_RTSP_FILTER_KEEP;
    g_list_free_full (l, g_object_unref);
  }
  /* The client may emit "closed" later, from a watch the server no longer
   * runs: end its viewings now and forget it. */
  on_closed (client, cd->srv);
  g_signal_handlers_disconnect_by_data (client, cd->srv);
  return GST_RTSP_FILTER_REMOVE;
}

static GstRTSPFilterResult
remove_session_filter (GstRTSPSessionPool * pool, GstRTSPSession * sess,
    gpointer user_data)
{
  CloseData *cd = user_data;

  return cd->mount == NULL || session_uses_mount (sess, cd->mount) ?
      GST_RTSP_FILTER_REMOVE : GST_RTSP_FILTER_KEEP;
}

static gboolean
close_clients (gpointer user_data)
{
  CloseData *cd = user_data;
  GstRTSPSessionPool *pool;

  gst_rtsp_server_client_filter (cd->srv->server, close_client_filter, cd);
  pool = gst_rtsp_server_get_session_pool (cd->srv->server);
  gst_rtsp_session_pool_filter (pool, remove_session_filter, cd);
  g_object_unref (pool);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ */

static gpointer
server_thread (gpointer user_data)
{
  PoliceshareServer *srv = user_data;

  g_main_context_push_thread_default (srv->context);
  g_main_loop_run (srv->loop);
  g_main_context_pop_thread_default (srv->context);
  return NULL;
}

static void
server_free (PoliceshareServer * srv)
{
  if (srv->thread) {
    CloseData cd = { srv, NULL };

    run_on_server_thread (srv, close_clients, &cd);
    g_source_destroy (srv->source);
    g_source_destroy (srv->pool_watch);
    g_main_loop_quit (srv->loop);
    g_thread_join (srv->thread);
  }
  if (srv->source)
    g_source_unref (srv->source);
  if (srv->pool_watch)
    g_source_unref (srv->pool_watch);
  if (srv->server)
    g_signal_handlers_disconnect_by_data (srv->server, srv);
  /* let the main context release what the closed clients left */
  while (g_main_context_iteration (srv->context, FALSE));
  gst_clear_object (&srv->server);
  gst_clear_object (&srv->mount_points);
  gst_clear_object (&srv->auth);
  g_main_loop_unref (srv->loop);
  g_main_context_unref (srv->context);
  g_list_free_full (srv->mounts, (GDestroyNotify) policeshare_mount_unref);
  g_mutex_clear (&srv->lock);
  g_free (srv->tls_cert);
  g_free (srv->key);
  g_free (srv);
}

/**
 * policeshare_server_acquire:
 *
 * Returns the server of @address:@service, starting it if needed.
 */
PoliceshareServer *
policeshare_server_acquire (const gchar * address, const gchar * service,
    const gchar * tls_cert, const gchar * tls_key, GError ** error)
{
  PoliceshareServer *srv;
  gchar *key = g_strdup_printf ("%s:%s", address, service);
  GError *err = NULL;
  GstRTSPSessionPool *pool;

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  srv = g_hash_table_lookup (registry, key);
  if (srv) {
    if (g_strcmp0 (srv->tls_cert, tls_cert) != 0) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "Another policeshare already serves %s with %s; all mounts of "
          "one address and port must use the same tls-cert", key,
          srv->tls_cert ? "TLS" : "no TLS");
      srv = NULL;
    } else {
      srv->refcount++;
    }
    g_mutex_unlock (&registry_lock);
    g_free (key);
    return srv;
  }

  srv = g_new0 (PoliceshareServer, 1);
  srv->refcount = 1;
  srv->key = key;
  srv->tls_cert = g_strdup (tls_cert);
  g_mutex_init (&srv->lock);
  srv->context = g_main_context_new ();
  srv->loop = g_main_loop_new (srv->context, FALSE);
  srv->server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (srv->server, address);
  gst_rtsp_server_set_service (srv->server, service);
  srv->mount_points = gst_rtsp_server_get_mount_points (srv->server);
  srv->auth = policeshare_auth_new (srv->mount_points, tls_cert != NULL);
  if (tls_cert) {
    GTlsCertificate *cert = g_tls_certificate_new_from_files (tls_cert,
        tls_key ? tls_key : tls_cert, &err);

    if (cert == NULL) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "Cannot load the TLS certificate %s and key %s: %s", tls_cert,
          tls_key ? tls_key : tls_cert, err->message);
      g_clear_error (&err);
      goto failed;
    }
    gst_rtsp_auth_set_tls_certificate (GST_RTSP_AUTH (srv->auth), cert);
    g_object_unref (cert);
  }
  gst_rtsp_server_set_auth (srv->server, GST_RTSP_AUTH (srv->auth));
  {
    /* Clients on a few threads of their own: a viewer waiting for its
     * mount's first frames does not hold up the others. */
    GstRTSPThreadPool *pool = gst_rtsp_server_get_thread_pool (srv->server);

    gst_rtsp_thread_pool_set_max_threads (pool, CLIENT_THREADS);
    g_object_unref (pool);
  }
  g_signal_connect (srv->server, "client-connected",
      G_CALLBACK (on_client_connected), srv);

  srv->source = gst_rtsp_server_create_source (srv->server, NULL, &err);
  if (srv->source == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        "Cannot listen for RTSP viewers on %s port %s: %s", address,
        service, err ? err->message : "unknown error");
    g_clear_error (&err);
    goto failed;
  }
  g_source_attach (srv->source, srv->context);
  pool = gst_rtsp_server_get_session_pool (srv->server);
  srv->pool_watch = gst_rtsp_session_pool_create_watch (pool);
  g_object_unref (pool);
  g_source_attach (srv->pool_watch, srv->context);
  srv->port = gst_rtsp_server_get_bound_port (srv->server);
  srv->thread = g_thread_new ("policeshare-rtsp", server_thread, srv);
  g_hash_table_insert (registry, srv->key, srv);
  g_mutex_unlock (&registry_lock);
  GST_INFO ("RTSP server %s listening on port %d", srv->key, srv->port);
  return srv;

failed:
  g_mutex_unlock (&registry_lock);
  server_free (srv);
  return NULL;
}

void
policeshare_server_release (PoliceshareServer * srv)
{
  g_mutex_lock (&registry_lock);
  if (--srv->refcount > 0) {
    g_mutex_unlock (&registry_lock);
    return;
  }
  g_hash_table_remove (registry, srv->key);
  if (g_hash_table_size (registry) == 0)
    g_clear_pointer (&registry, g_hash_table_unref);
  g_mutex_unlock (&registry_lock);
  GST_INFO ("RTSP server %s stopping", srv->key);
  server_free (srv);
}

gint
policeshare_server_get_port (PoliceshareServer * srv)
{
  return srv->port;
}

gboolean
policeshare_server_add_mount (PoliceshareServer * srv,
    PoliceshareMount * mount, GError ** error)
{
  const gchar *path = policeshare_mount_get_config (mount)->path;
  GList *l;

  g_mutex_lock (&srv->lock);
  for (l = srv->mounts; l; l = l->next) {
    if (!strcmp (policeshare_mount_get_config (l->data)->path, path)) {
      g_mutex_unlock (&srv->lock);
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "Mount %s is already served on %s by another policeshare", path,
          srv->key);
      return FALSE;
    }
  }
  srv->mounts = g_list_prepend (srv->mounts, policeshare_mount_ref (mount));
  g_mutex_unlock (&srv->lock);

  {
    gchar *hp = g_strdup_printf ("%.*s:%d",
        (int) (strrchr (srv->key, ':') - srv->key), srv->key, srv->port);

    policeshare_mount_set_address (mount, hp);
    g_free (hp);
  }
  gst_rtsp_mount_points_add_factory (srv->mount_points, path,
      g_object_ref (policeshare_mount_get_factory (mount)));
  return TRUE;
}

void
policeshare_server_remove_mount (PoliceshareServer * srv,
    PoliceshareMount * mount)
{
  CloseData cd = { srv, mount };
  GList *l;

  gst_rtsp_mount_points_remove_factory (srv->mount_points,
      policeshare_mount_get_config (mount)->path);
  run_on_server_thread (srv, close_clients, &cd);

  g_mutex_lock (&srv->lock);
  l = g_list_find (srv->mounts, mount);
  if (l) {
    srv->mounts = g_list_delete_link (srv->mounts, l);
    policeshare_mount_unref (mount);
  }
  g_mutex_unlock (&srv->lock);
}
