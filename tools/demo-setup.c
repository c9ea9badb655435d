/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh demo: the demo directory, the demo signing keys (a demo district
 * CA and one key and certificate per camera, made with the openssl
 * command, as docs/keys-and-certificates.md tells a district to do) and
 * the demo officers' htdigest file. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "demo.h"

gboolean
demo_make_dirs (DemoConfig * cfg, GError ** error)
{
  const gchar *dirs[] = { cfg->dir, cfg->store, cfg->keys };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (dirs); i++) {
    if (g_mkdir_with_parents (dirs[i], 0750) != 0) {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
          "cannot create the directory %s: %s", dirs[i], g_strerror (e));
      return FALSE;
    }
  }
  return TRUE;
}

gchar *
demo_camera_key (const DemoConfig * cfg, guint i)
{
  gchar *name = g_strdup_printf ("cam%u.key", i);
  gchar *path = g_build_filename (cfg->keys, name, NULL);
  g_free (name);
  return path;
}

gchar *
demo_camera_chain (const DemoConfig * cfg, guint i)
{
  gchar *name = g_strdup_printf ("cam%u-chain.pem", i);
  gchar *path = g_build_filename (cfg->keys, name, NULL);
  g_free (name);
  return path;
}

gchar *
demo_ca_file (const DemoConfig * cfg)
{
  return g_build_filename (cfg->keys, "ca.pem", NULL);
}

/* Runs openssl with @args (NULL-terminated) in @cwd; its output goes to
 * the error message only when it fails. */
static gboolean
run_openssl (const gchar * cwd, const gchar * const *args, GError ** error)
{
  GPtrArray *argv = g_ptr_array_new ();
  gchar *out = NULL, *err = NULL;
  gint status = 0;
  gboolean ok;

  g_ptr_array_add (argv, (gpointer) "openssl");
  for (; *args; args++)
    g_ptr_array_add (argv, (gpointer) * args);
  g_ptr_array_add (argv, NULL);

  ok = g_spawn_sync (cwd, (gchar **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
      NULL, NULL, &out, &err, &status, error);
  if (ok && !g_spawn_check_wait_status (status, NULL)) {
    g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
        "openssl %s failed: %s", (gchar *) argv->pdata[1],
        err ? g_strstrip (err) : "");
    ok = FALSE;
  } else if (!ok) {
    g_prefix_error (error, "cannot run openssl (install the openssl "
        "package): ");
  }
  g_free (out);
  g_free (err);
  g_ptr_array_free (argv, TRUE);
  return ok;
}

static gboolean
make_ca (const DemoConfig * cfg, GError ** error)
{
  const gchar *args[] = { "req", "-x509", "-newkey", "ec", "-pkeyopt",
    "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out",
    "ca.pem", "-days", "3650", "-sha256", "-subj",
    "/C=VN/O=Demo District/CN=Demo District Evidence CA",
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL
  };
  return run_openssl (cfg->keys, args, error);
}

static gboolean
make_camera_cert (const DemoConfig * cfg, guint i, GError ** error)
{
  gchar *key = g_strdup_printf ("cam%u.key", i);
  gchar *csr = g_strdup_printf ("cam%u.csr", i);
  gchar *pem = g_strdup_printf ("cam%u.pem", i);
  gchar *subj = g_strdup_printf ("/C=VN/O=Demo District/OU=%s/CN=cam%u",
      demo_camera_site (i), i);
  gchar *chain = demo_camera_chain (cfg, i);
  gchar *ca = demo_ca_file (cfg);
  gchar *pem_path = g_build_filename (cfg->keys, pem, NULL);
  gchar *leaf = NULL, *root = NULL, *both = NULL;
  gboolean ok;
  const gchar *req[] = { "req", "-new", "-newkey", "ec", "-pkeyopt",
    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
    "-subj", subj, NULL
  };
  const gchar *sign[] = { "x509", "-req", "-in", csr, "-CA", "ca.pem",
    "-CAkey", "ca.key", "-CAcreateserial", "-days", "825", "-sha256",
    "-extfile", "camera-ext.cnf", "-out", pem, NULL
  };

  ok = run_openssl (cfg->keys, req, error)
      && run_openssl (cfg->keys, sign, error)
      && g_file_get_contents (pem_path, &leaf, NULL, error)
      && g_file_get_contents (ca, &root, NULL, error);
  if (ok) {
    /* The chain evidencemux embeds: the camera's certificate, then the
     * district CA that issued it. */
    both = g_strconcat (leaf, root, NULL);
    ok = g_file_set_contents (chain, both, -1, error);
  }
  if (ok) {
    gchar *keypath = g_build_filename (cfg->keys, key, NULL);
    gchar *csrpath = g_build_filename (cfg->keys, csr, NULL);
    g_chmod (keypath, 0600);
    g_unlink (csrpath);
    g_free (keypath);
    g_free (csrpath);
  }
  g_free (both);
  g_free (leaf);
  g_free (root);
  g_free (pem_path);
  g_free (ca);
  g_free (chain);
  g_free (subj);
  g_free (pem);
  g_free (csr);
  g_free (key);
  return ok;
}

/* Makes what is missing, keeps what a previous run made, so that clips
 * recorded earlier in the same directory still verify. */
gboolean
demo_make_keys (DemoConfig * cfg, GError ** error)
{
  gchar *ca = demo_ca_file (cfg);
  gchar *ext = g_build_filename (cfg->keys, "camera-ext.cnf", NULL);
  gboolean ok = TRUE;
  guint i;

  if (!g_file_test (ca, G_FILE_TEST_EXISTS)) {
    ok = make_ca (cfg, error);
    if (ok) {
      gchar *cakey = g_build_filename (cfg->keys, "ca.key", NULL);
      g_chmod (cakey, 0600);
      g_free (cakey);
    }
  }
  if (ok)
    ok = g_file_set_contents (ext, "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n", -1, error);
  for (i = 0; ok && i < cfg->n_cameras; i++) {
    gchar *chain = demo_camera_chain (cfg, i);
    gchar *key = demo_camera_key (cfg, i);
    if (!g_file_test (chain, G_FILE_TEST_EXISTS)
        || !g_file_test (key, G_FILE_TEST_EXISTS))
      ok = make_camera_cert (cfg, i, error);
    g_free (chain);
    g_free (key);
  }
  g_free (ext);
  g_free (ca);
  return ok;
}

/* The format of Apache's htdigest: user:realm:MD5(user:realm:password). */
gboolean
demo_write_htdigest (DemoConfig * cfg, GError ** error)
{
  gchar *a1 = g_strdup_printf ("%s:%s:%s", DEMO_USER, DEMO_REALM,
      DEMO_PASSWORD);
  gchar *ha1 = g_compute_checksum_for_string (G_CHECKSUM_MD5, a1, -1);
  gchar *line = g_strdup_printf ("%s:%s:%s\n", DEMO_USER, DEMO_REALM, ha1);
  gboolean ok = g_file_set_contents (cfg->htdigest, line, -1, error);

  if (ok)
    g_chmod (cfg->htdigest, 0640);
  g_free (line);
  g_free (ha1);
  g_free (a1);
  return ok;
}

static guint
try_bind (guint port)
{
  GSocket *sock;
  GInetAddress *lo;
  GSocketAddress *addr, *bound;
  guint got = 0;

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  if (!sock)
    return 0;
  lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (lo, port);
  /* No SO_REUSEADDR: a port somebody listens on must fail here. */
  g_socket_set_option (sock, SOL_SOCKET, SO_REUSEADDR, 0, NULL);
  if (g_socket_bind (sock, addr, FALSE, NULL)) {
    bound = g_socket_get_local_address (sock, NULL);
    if (bound) {
      got = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      g_object_unref (bound);
    }
  }
  g_socket_close (sock, NULL);
  g_object_unref (addr);
  g_object_unref (lo);
  g_object_unref (sock);
  return got;
}

/* @wanted: a port, or 0 for any free one. If the wanted port is the
 * default and it is taken, any free port will do; if the user asked for
 * that port explicitly, 0 is returned and the caller says so. */
guint
demo_pick_port (guint wanted, guint fallback_default)
{
  guint got = try_bind (wanted);

  if (got == 0 && wanted == fallback_default)
    got = try_bind (0);
  return got;
}
