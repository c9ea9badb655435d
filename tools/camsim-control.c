/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The control port of anninh camsim: a TCP line protocol, one command per
 * line, one reply line per command, "ok ..." or "error <reason>".
 * Everything runs on the main context, like the RTSP server. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "camsim.h"

GST_DEBUG_CATEGORY_EXTERN (camsim_debug);
#define GST_CAT_DEFAULT camsim_debug

#define CAMSIM_MAX_LINE 4096

typedef struct
{
  Camsim *sim;
  GSocketConnection *conn;
  GDataInputStream *in;
  GCancellable *cancellable;
} CamsimControlClient;

static gboolean
parse_uint (const gchar * s, guint max, guint * out)
{
  gchar *end = NULL;
  guint64 v;

  if (s == NULL || *s == '\0' || !g_ascii_isdigit (*s))
    return FALSE;
  v = g_ascii_strtoull (s, &end, 10);
  if (*end != '\0' || v > max)
    return FALSE;
  *out = (guint) v;
  return TRUE;
}

static gchar *
camsim_status_json (Camsim * sim)
{
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *gen;
  JsonNode *root;
  gchar *json;
  guint i;

  json_builder_begin_array (b);
  for (i = 0; i < sim->n_cameras; i++) {
    CamsimCamera *cam = sim->cameras[i];
    gchar **faults = camsim_camera_fault_names (cam);
    gchar **f;

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "id");
    json_builder_add_string_value (b, cam->name);
    json_builder_set_member_name (b, "codec");
    json_builder_add_string_value (b, cam->codec);
    json_builder_set_member_name (b, "state");
    json_builder_add_string_value (b, camsim_camera_state_name (cam->state));
    json_builder_set_member_name (b, "clients");
    json_builder_add_int_value (b, camsim_camera_count_clients (cam));
    json_builder_set_member_name (b, "boots");
    json_builder_add_int_value (b, cam->boots);
    json_builder_set_member_name (b, "faults");
    json_builder_begin_array (b);
    for (f = faults; *f; f++)
      json_builder_add_string_value (b, *f);
    json_builder_end_array (b);
    json_builder_end_object (b);
    g_strfreev (faults);
  }
  json_builder_end_array (b);

  root = json_builder_get_root (b);
  gen = json_generator_new ();
  json_generator_set_root (gen, root);
  json = json_generator_to_data (gen, NULL);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return json;
}

/* Runs one command line; returns the reply line without its newline. */
gchar *
camsim_control_execute (Camsim * sim, const gchar * line, gboolean * quit)
{
  gchar **argv;
  gchar *reply = NULL;
  CamsimCamera *cam = NULL;
  const gchar *cmd;
  guint argc, value = 0;
  GError *error = NULL;

  *quit = FALSE;
  argv = g_strsplit_set (line, " \t\r", -1);
  /* drop the empty fields that repeated blanks leave */
  {
    gchar **src, **dst;

    for (src = dst = argv; *src; src++) {
      if (**src)
        *dst++ = *src;
      else
        g_free (*src);
    }
    *dst = NULL;
  }
  argc = g_strv_length (argv);
  if (argc == 0) {
    reply = g_strdup ("error empty command (try: status)");
    goto done;
  }
  cmd = argv[0];

  if (!strcmp (cmd, "status") && argc == 1) {
    gchar *json = camsim_status_json (sim);

    reply = g_strdup_printf ("ok %s", json);
    g_free (json);
    goto done;
  }
  if (!strcmp (cmd, "quit") && argc == 1) {
    *quit = TRUE;
    reply = g_strdup ("ok quitting");
    goto done;
  }
  if (!strcmp (cmd, "help")) {
    reply = g_strdup ("ok commands: drop camN | reboot camN SECONDS | "
        "freeze camN | black camN | lossy camN PERCENT | slow camN KBPS | "
        "restore camN | status | quit");
    goto done;
  }

  if (strcmp (cmd, "drop") && strcmp (cmd, "reboot") && strcmp (cmd, "freeze")
      && strcmp (cmd, "black") && strcmp (cmd, "lossy")
      && strcmp (cmd, "slow") && strcmp (cmd, "restore")) {
    reply = g_strdup_printf ("error unknown command '%s' (try: help)", cmd);
    goto done;
  }
  if (argc < 2) {
    reply = g_strdup_printf ("error %s needs a camera, e.g. '%s cam0%s'", cmd,
        cmd, (!strcmp (cmd, "reboot") || !strcmp (cmd, "lossy")
            || !strcmp (cmd, "slow")) ? " 10" : "");
    goto done;
  }
  cam = camsim_find_camera (sim, argv[1]);
  if (cam == NULL) {
    reply = g_strdup_printf ("error no camera '%s' (cameras are cam0..cam%u)",
        argv[1], sim->n_cameras - 1);
    goto done;
  }

  if (!strcmp (cmd, "reboot") || !strcmp (cmd, "lossy")
      || !strcmp (cmd, "slow")) {
    guint max = !strcmp (cmd, "lossy") ? 100 : 10000000;

    if (argc != 3 || !parse_uint (argv[2], max, &value)) {
      reply = g_strdup_printf ("error %s needs %s, e.g. '%s %s %s'", cmd,
          !strcmp (cmd, "reboot") ? "a number of seconds" :
          !strcmp (cmd, "lossy") ? "a loss percentage 0..100" :
          "a rate in kbit/s", cmd, cam->name,
          !strcmp (cmd, "slow") ? "500" : "10");
      goto done;
    }
  } else if (argc != 2) {
    reply = g_strdup_printf ("error %s takes only a camera name", cmd);
    goto done;
  }

  if (!strcmp (cmd, "drop")) {
    camsim_camera_drop (cam);
    reply = g_strdup_printf ("ok %s dropped", cam->name);
  } else if (!strcmp (cmd, "reboot")) {
    camsim_camera_reboot (cam, value);
    reply = g_strdup_printf ("ok %s rebooting for %u s", cam->name, value);
  } else if (!strcmp (cmd, "freeze")) {
    camsim_camera_set_frozen (cam, TRUE);
    reply = g_strdup_printf ("ok %s frozen", cam->name);
  } else if (!strcmp (cmd, "black")) {
    if (camsim_camera_set_black (cam, TRUE, &error))
      reply = g_strdup_printf ("ok %s black", cam->name);
    else
      reply = g_strdup_printf ("error %s", error->message);
  } else if (!strcmp (cmd, "lossy")) {
    camsim_camera_set_lossy (cam, value);
    reply = g_strdup_printf ("ok %s loses %u%% of its packets", cam->name,
        value);
  } else if (!strcmp (cmd, "slow")) {
    camsim_camera_set_slow (cam, value);
    if (value)
      reply = g_strdup_printf ("ok %s limited to %u kbit/s", cam->name, value);
    else
      reply = g_strdup_printf ("ok %s unlimited", cam->name);
  } else if (!strcmp (cmd, "restore")) {
    camsim_camera_restore (cam);
    reply = g_strdup_printf ("ok %s restored", cam->name);
  }

done:
  if (reply && g_str_has_prefix (reply, "error"))
    GST_INFO ("command '%s': %s", line, reply);
  else
    GST_DEBUG ("command '%s': %s", line, reply);
  g_clear_error (&error);
  g_strfreev (argv);
  return reply;
}

static void
camsim_control_client_free (CamsimControlClient * client)
{
  g_io_stream_close (G_IO_STREAM (client->conn), NULL, NULL);
  g_object_unref (client->in);
  g_object_unref (client->conn);
  g_object_unref (client->cancellable);
  g_free (client);
}

static gboolean
camsim_quit_idle (gpointer user_data)
{
  Camsim *sim = user_data;

  g_main_loop_quit (sim->loop);
  return G_SOURCE_REMOVE;
}

static void camsim_control_read (CamsimControlClient * client);

static void
camsim_control_line_read (GObject * source, GAsyncResult * res,
    gpointer user_data)
{
  CamsimControlClient *client = user_data;
  GError *error = NULL;
  gsize len = 0;
  gchar *line, *reply, *out;
  gboolean quit = FALSE;
  GOutputStream *os;

  line = g_data_input_stream_read_line_finish_utf8 (client->in, res, &len,
      &error);
  if (line == NULL) {
    /* EOF, a reset, or invalid UTF-8: the client is gone or broken. */
    g_clear_error (&error);
    camsim_control_client_free (client);
    return;
  }
  if (len > CAMSIM_MAX_LINE)
    reply = g_strdup ("error line too long");
  else
    reply = camsim_control_execute (client->sim, line, &quit);
  out = g_strconcat (reply, "\n", NULL);
  os = g_io_stream_get_output_stream (G_IO_STREAM (client->conn));
  /* If the reply cannot be written the command was still done. */
  if (!g_output_stream_write_all (os, out, strlen (out), NULL, NULL, &error))
    g_clear_error (&error);
  g_free (out);
  g_free (reply);
  g_free (line);
  if (quit)
    g_idle_add (camsim_quit_idle, client->sim);
  camsim_control_read (client);
}

static void
camsim_control_read (CamsimControlClient * client)
{
  g_data_input_stream_read_line_async (client->in, G_PRIORITY_DEFAULT,
      client->cancellable, camsim_control_line_read, client);
}

static gboolean
camsim_control_incoming (GSocketService * service,
    GSocketConnection * conn, GObject * source, gpointer user_data)
{
  CamsimControlClient *client = g_new0 (CamsimControlClient, 1);

  client->sim = user_data;
  client->conn = g_object_ref (conn);
  client->cancellable = g_cancellable_new ();
  client->in =
      g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM
          (conn)));
  g_data_input_stream_set_newline_type (client->in,
      G_DATA_STREAM_NEWLINE_TYPE_ANY);
  camsim_control_read (client);
  return TRUE;
}

gboolean
camsim_control_start (Camsim * sim, GError ** error)
{
  GSocketAddress *addr, *effective = NULL;
  GInetAddress *inet;

  inet = g_inet_address_new_from_string (sim->control_address);
  if (inet == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "--control-address '%s' is not an IP address", sim->control_address);
    return FALSE;
  }
  addr = g_inet_socket_address_new (inet, sim->control_port);
  g_object_unref (inet);

  sim->control = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (sim->control), addr,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
          error)) {
    g_object_unref (addr);
    return FALSE;
  }
  g_object_unref (addr);
  sim->bound_control_port =
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_object_unref (effective);
  g_signal_connect (sim->control, "incoming",
      G_CALLBACK (camsim_control_incoming), sim);
  g_socket_service_start (sim->control);
  return TRUE;
}

void
camsim_control_stop (Camsim * sim)
{
  if (sim->control == NULL)
    return;
  g_socket_service_stop (sim->control);
  g_socket_listener_close (G_SOCKET_LISTENER (sim->control));
  g_clear_object (&sim->control);
}
