/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test fixture for test_healthserver.py: a process with a healthserver and
 * health registry entries the test chooses.
 *
 *   health-fixture [--title TEXT] [ENTRY...]
 *
 * Each ENTRY is a GstStructure in its string form, published as is, e.g.
 * 'camera, id=cam1, state=streaming, site="Xã An Bình", link=wifi'.
 * Prints "health-fixture ready port=PORT" once the server listens on
 * 127.0.0.1 (port picked by the system), then reads commands on stdin, one
 * a line, answering "ok" or "error: ...":
 *   publish ENTRY
 *   withdraw KIND ID
 *   quit            (so does the end of stdin)
 */
#include <gst/gst.h>
#include <anninh/health-registry.h>
#include <gio/gio.h>

#include <stdio.h>
#include <string.h>

static GMainLoop *loop;

static gboolean
publish (const gchar * text, GError ** error)
{
  GstStructure *s = gst_structure_from_string (text, NULL);

  if (s == NULL || gst_structure_get_string (s, "id") == NULL
      || gst_structure_get_string (s, "state") == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "not an entry with id and state: %s", text);
    if (s)
      gst_structure_free (s);
    return FALSE;
  }
  anninh_health_registry_publish (s);
  gst_structure_free (s);
  return TRUE;
}

static gboolean
on_stdin (GIOChannel * ch, GIOCondition cond, gpointer data)
{
  gchar *line = NULL;
  GError *error = NULL;
  GIOStatus st = g_io_channel_read_line (ch, &line, NULL, NULL, NULL);

  if (st != G_IO_STATUS_NORMAL) {
    g_free (line);
    if (st == G_IO_STATUS_AGAIN)
      return TRUE;
    g_main_loop_quit (loop);
    return FALSE;
  }
  g_strstrip (line);
  if (g_str_equal (line, "quit")) {
    g_main_loop_quit (loop);
  } else if (g_str_has_prefix (line, "publish ")) {
    if (publish (line + 8, &error))
      printf ("ok\n");
  } else if (g_str_has_prefix (line, "withdraw ")) {
    gchar **w = g_strsplit (line + 9, " ", 2);
    if (w[0] && w[1]) {
      anninh_health_registry_withdraw (w[0], w[1]);
      printf ("ok\n");
    } else {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "withdraw KIND ID");
    }
    g_strfreev (w);
  } else if (*line) {
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "unknown command: %s", line);
  }
  if (error) {
    printf ("error: %s\n", error->message);
    g_clear_error (&error);
  }
  fflush (stdout);
  g_free (line);
  return TRUE;
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    fprintf (stderr, "health-fixture: %s\n", err->message);
    g_clear_error (&err);
    g_main_loop_quit (loop);
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  const gchar *title = "Huyện Thử Nghiệm";
  GstElement *pipeline, *server;
  GIOChannel *ch;
  GstBus *bus;
  GError *error = NULL;
  guint port = 0;
  int i, ret = 0;

  gst_init (&argc, &argv);
  for (i = 1; i < argc; i++) {
    if (g_str_equal (argv[i], "--title") && i + 1 < argc) {
      title = argv[++i];
    } else if (!publish (argv[i], &error)) {
      fprintf (stderr, "health-fixture: %s\n", error->message);
      return 2;
    }
  }

  pipeline = gst_pipeline_new ("fixture");
  server = gst_element_factory_make ("healthserver", NULL);
  if (server == NULL) {
    fprintf (stderr, "health-fixture: no healthserver element\n");
    return 2;
  }
  g_object_set (server, "port", 0, "title", title, "refresh", 5, NULL);
  gst_bin_add (GST_BIN (pipeline), server);

  loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (pipeline);
  gst_bus_add_watch (bus, on_bus, NULL);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    fprintf (stderr, "health-fixture: cannot start the pipeline\n");
    ret = 1;
    goto out;
  }
  g_object_get (server, "port", &port, NULL);
  printf ("health-fixture ready port=%u\n", port);
  fflush (stdout);

  ch = g_io_channel_unix_new (0);
  g_io_add_watch (ch, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
  g_main_loop_run (loop);
  g_io_channel_unref (ch);

out:
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_main_loop_unref (loop);
  return ret;
}
