/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh demo: runs `anninh camsim` as a child process, waits for its
 * "camsim ready" line and talks to its control port (one TCP connection
 * per command line, as docs/camsim.md describes). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "demo.h"

#define CAMSIM_READY_TIMEOUT_MS 20000

struct _DemoCamsim
{
  GPid pid;
  gint out_fd;
  guint watch;
  gint log_fd;
  gchar *host;
  guint rtsp_port;
  gchar *control_host;
  guint control_port;
};

/* In the child, before exec: its own process group (a Ctrl-C on the
 * terminal reaches only the demo, which shuts down in order), and gone
 * when the demo goes. */
static void
child_setup (gpointer user_data)
{
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
parse_hostport (const gchar * s, gchar ** host, guint * port)
{
  const gchar *colon = strrchr (s, ':');
  guint64 p;

  if (!colon || colon == s)
    return FALSE;
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &p, NULL))
    return FALSE;
  *host = g_strndup (s, colon - s);
  *port = (guint) p;
  return TRUE;
}

/* "camsim ready rtsp=127.0.0.1:PORT control=127.0.0.1:CPORT cameras=N" */
static gboolean
parse_ready (DemoCamsim * cs, const gchar * line)
{
  gchar **tok = g_strsplit (line, " ", -1);
  gboolean rtsp = FALSE, control = FALSE;
  guint i;

  for (i = 0; tok[i]; i++) {
    if (g_str_has_prefix (tok[i], "rtsp="))
      rtsp = parse_hostport (tok[i] + 5, &cs->host, &cs->rtsp_port);
    else if (g_str_has_prefix (tok[i], "control="))
      control = parse_hostport (tok[i] + 8, &cs->control_host,
          &cs->control_port);
  }
  g_strfreev (tok);
  return rtsp && control;
}

static gboolean
drain_output (gint fd, GIOCondition cond, gpointer user_data)
{
  DemoCamsim *cs = user_data;
  gchar buf[4096];
  gssize n = read (fd, buf, sizeof buf);

  if (n > 0) {
    if (cs->log_fd >= 0 && write (cs->log_fd, buf, n) < 0) {
      /* the log is a courtesy; the demo goes on without it */
    }
    return G_SOURCE_CONTINUE;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;
  cs->watch = 0;
  return G_SOURCE_REMOVE;
}

DemoCamsim *
demo_camsim_start (const gchar * self_exe, guint n_cameras,
    const gchar * source, const gchar * log_path, GError ** error)
{
  DemoCamsim *cs = g_new0 (DemoCamsim, 1);
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  GString *line = g_string_new (NULL);
  gint64 deadline;
  gboolean ready = FALSE;

  cs->pid = 0;
  cs->log_fd = -1;
  g_ptr_array_add (argv, g_strdup (self_exe));
  g_ptr_array_add (argv, g_strdup ("camsim"));
  g_ptr_array_add (argv, g_strdup ("--port"));
  g_ptr_array_add (argv, g_strdup ("0"));
  g_ptr_array_add (argv, g_strdup ("--control-port"));
  g_ptr_array_add (argv, g_strdup ("0"));
  g_ptr_array_add (argv, g_strdup ("--cameras"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", n_cameras));
  g_ptr_array_add (argv, g_strdup ("--codec"));
  g_ptr_array_add (argv, g_strdup ("h264,h265"));
  if (source) {
    g_ptr_array_add (argv, g_strdup ("--source"));
    g_ptr_array_add (argv, g_strdup (source));
  }
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_async_with_pipes (NULL, (gchar **) argv->pdata, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD,
          child_setup, NULL, &cs->pid, NULL, &cs->out_fd, NULL, error)) {
    g_prefix_error (error, "cannot start anninh camsim: ");
    goto fail;
  }
  cs->log_fd = g_open (log_path, O_WRONLY | O_CREAT | O_APPEND, 0640);

  /* Read its stdout line by line until the ready line, or until it exits
   * or takes too long. */
  deadline = g_get_monotonic_time () + CAMSIM_READY_TIMEOUT_MS * 1000;
  while (!ready) {
    struct pollfd pfd = { cs->out_fd, POLLIN, 0 };
    gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
    gchar c;
    gssize n;

    if (left <= 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "anninh camsim did not say it was ready within %d s",
          CAMSIM_READY_TIMEOUT_MS / 1000);
      goto fail;
    }
    if (poll (&pfd, 1, (int) left) <= 0)
      continue;
    n = read (cs->out_fd, &c, 1);
    if (n == 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "anninh camsim exited before it was ready (its output is in %s)%s%s",
          log_path, line->len ? "; it said: " : "", line->str);
      goto fail;
    }
    if (n < 0)
      continue;
    if (cs->log_fd >= 0 && write (cs->log_fd, &c, 1) < 0) {
      /* see drain_output */
    }
    if (c != '\n') {
      g_string_append_c (line, c);
      continue;
    }
    if (g_str_has_prefix (line->str, "camsim ready ")) {
      if (!parse_ready (cs, line->str)) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            "cannot read camsim's ready line: %s", line->str);
        goto fail;
      }
      ready = TRUE;
    }
    g_string_truncate (line, 0);
  }
  cs->watch = g_unix_fd_add (cs->out_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
      drain_output, cs);
  g_string_free (line, TRUE);
  g_ptr_array_free (argv, TRUE);
  return cs;

fail:
  g_string_free (line, TRUE);
  g_ptr_array_free (argv, TRUE);
  demo_camsim_stop (cs);
  return NULL;
}

const gchar *
demo_camsim_host (DemoCamsim * cs)
{
  return cs->host;
}

guint
demo_camsim_rtsp_port (DemoCamsim * cs)
{
  return cs->rtsp_port;
}

GPid
demo_camsim_pid (DemoCamsim * cs)
{
  return cs->pid;
}

/* Sends one control line; returns camsim's one-line reply. */
gchar *
demo_camsim_command (DemoCamsim * cs, const gchar * command, GError ** error)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;
  GDataInputStream *in;
  GOutputStream *out;
  gchar *msg, *reply = NULL;

  g_socket_client_set_timeout (client, 5);
  conn = g_socket_client_connect_to_host (client, cs->control_host,
      cs->control_port, NULL, error);
  if (!conn) {
    g_object_unref (client);
    return NULL;
  }
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  msg = g_strconcat (command, "\n", NULL);
  if (g_output_stream_write_all (out, msg, strlen (msg), NULL, NULL, error)) {
    in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM
            (conn)));
    g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
    reply = g_data_input_stream_read_line (in, NULL, NULL, error);
    if (!reply && error && !*error)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
          "camsim closed the control connection without a reply");
    g_object_unref (in);
  }
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_free (msg);
  g_object_unref (conn);
  g_object_unref (client);
  return reply;
}

/* Asks camsim to quit, then makes sure it did. */
void
demo_camsim_stop (DemoCamsim * cs)
{
  if (!cs)
    return;
  if (cs->pid > 0) {
    gint status, i;
    gboolean gone = FALSE;

    if (cs->control_host) {
      gchar *r = demo_camsim_command (cs, "quit", NULL);
      g_free (r);
    }
    for (i = 0; i < 50 && !gone; i++) {
      pid_t p = waitpid (cs->pid, &status, WNOHANG);
      gone = (p == cs->pid || (p < 0 && errno == ECHILD));
      if (!gone)
        g_usleep (100 * 1000);
      if (i == 30)
        kill (cs->pid, SIGTERM);
    }
    if (!gone) {
      kill (cs->pid, SIGKILL);
      waitpid (cs->pid, &status, 0);
    }
    g_spawn_close_pid (cs->pid);
  }
  if (cs->watch)
    g_source_remove (cs->watch);
  if (cs->out_fd > 0)
    close (cs->out_fd);
  if (cs->log_fd >= 0)
    close (cs->log_fd);
  g_free (cs->host);
  g_free (cs->control_host);
  g_free (cs);
}
