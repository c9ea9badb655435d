/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh demo: a demo district on one machine. Starts `anninh camsim`
 * (simulated cameras, one on a lossy Wi-Fi link, one that reboots now and
 * then), makes demo keys and a demo officer account, then runs the district
 * pipeline as ONE gst-launch-1.0 line (printed, so that integrators can
 * copy it): per camera ipcamsrc ! evidencemux ! tee, one branch into
 * retentionsink and one into policeshare, plus a healthserver. It tells a
 * person what to open and try, and stops in order on Ctrl-C: EOS through
 * the pipeline (segments closed, index committed), then camsim. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "anninh-commands.h"
#include "demo.h"

#define DEFAULT_CAMERAS       8
#define DEFAULT_RTSP_PORT     8554
#define DEFAULT_HEALTH_PORT   8080
#define DEFAULT_REBOOT_EVERY  180
#define REBOOT_DOWN_SECONDS   20
#define LOSSY_PERCENT         5
#define HEALTH_POLL_SECONDS   10
/* How long the pipeline may take to close its segments after Ctrl-C. */
#define EOS_TIMEOUT_SECONDS   30
#define RULE \
  "======================================================================"

typedef struct
{
  DemoConfig cfg;
  DemoCamsim *camsim;
  GMainLoop *loop;
  GPid gst_pid;
  gboolean gst_exited;
  gint gst_status;
  gboolean stopping;
  gboolean camsim_died;
  guint escalation;
  gint reboot_cam;
  gint64 started_us;
  gint64 stopped_us;
} Demo;

static void
say (const gchar * fmt, ...) G_GNUC_PRINTF (1, 2);

static void
say (const gchar * fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  fputs ("[demo] ", stdout);
  vfprintf (stdout, fmt, ap);
  fputc ('\n', stdout);
  fflush (stdout);
  va_end (ap);
}

static gchar *
utc_string (gint64 us)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  gchar *s = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");

  g_date_time_unref (dt);
  return s;
}

/* In the pipeline's process, before exec: its own process group so that a
 * Ctrl-C on the terminal comes to the demo first, and an interrupt (which
 * gst-launch -e turns into EOS) if the demo disappears. */
static void
gst_child_setup (gpointer user_data)
{
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGINT);
}

static gboolean
escalate (gpointer user_data)
{
  Demo *d = user_data;

  if (d->gst_exited)
    return G_SOURCE_REMOVE;
  if (d->escalation++ == 0) {
    say ("the pipeline did not finish within %d s; stopping it now "
        "(the last fragment of each open segment may be lost)",
        EOS_TIMEOUT_SECONDS);
    kill (d->gst_pid, SIGTERM);
    return G_SOURCE_CONTINUE;
  }
  kill (d->gst_pid, SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
begin_shutdown (Demo * d, const gchar * why)
{
  if (d->stopping)
    return;
  d->stopping = TRUE;
  d->stopped_us = g_get_real_time ();
  if (d->gst_exited) {
    g_main_loop_quit (d->loop);
    return;
  }
  say ("%s: ending the streams so that every segment closes and the index "
      "commits...", why);
  kill (d->gst_pid, SIGINT);
  g_timeout_add_seconds (EOS_TIMEOUT_SECONDS, escalate, d);
}

static gboolean
on_signal (gpointer user_data)
{
  Demo *d = user_data;

  if (d->stopping && !d->gst_exited) {
    say ("interrupted again: stopping the pipeline at once");
    d->escalation = 1;
    escalate (d);
    return G_SOURCE_CONTINUE;
  }
  begin_shutdown (d, "stopping");
  return G_SOURCE_CONTINUE;
}

static gboolean
on_duration (gpointer user_data)
{
  begin_shutdown (user_data, "duration reached");
  return G_SOURCE_REMOVE;
}

static void
on_gst_exit (GPid pid, gint status, gpointer user_data)
{
  Demo *d = user_data;

  d->gst_exited = TRUE;
  d->gst_status = status;
  g_spawn_close_pid (pid);
  if (!d->stopping) {
    say ("the pipeline stopped by itself (%s); see its messages above",
        WIFEXITED (status) ? "it exited with an error" : "it was killed");
    d->stopping = TRUE;
    d->stopped_us = g_get_real_time ();
  }
  g_main_loop_quit (d->loop);
}

static gboolean
reboot_camera (gpointer user_data)
{
  Demo *d = user_data;
  GError *err = NULL;
  gchar *cmd = g_strdup_printf ("reboot cam%d %d", d->reboot_cam,
      REBOOT_DOWN_SECONDS);
  gchar *reply;

  if (d->stopping) {
    g_free (cmd);
    return G_SOURCE_REMOVE;
  }
  reply = demo_camsim_command (d->camsim, cmd, &err);
  if (reply && !g_str_has_prefix (reply, "ok"))
    say ("camsim refused '%s': %s", cmd, reply);
  else if (reply)
    say ("camsim: cam%d reboots now (down %d s); watch it go "
        "reconnecting -> streaming on the health page", d->reboot_cam,
        REBOOT_DOWN_SECONDS);
  else
    say ("could not ask camsim to reboot cam%d: %s", d->reboot_cam,
        err->message);
  g_clear_error (&err);
  g_free (reply);
  g_free (cmd);
  return G_SOURCE_CONTINUE;
}

static gboolean
watch_camsim (gpointer user_data)
{
  Demo *d = user_data;
  gint status;
  GPid pid = demo_camsim_pid (d->camsim);

  if (d->camsim_died)
    return G_SOURCE_REMOVE;
  if (waitpid (pid, &status, WNOHANG) == pid) {
    d->camsim_died = TRUE;
    say ("camsim (the simulated cameras) exited unexpectedly");
    begin_shutdown (d, "no cameras left");
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

/* GET http://127.0.0.1:port/health with a plain socket (HTTP/1.0). */
static gchar *
fetch_health (guint port)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;
  GString *body = NULL;
  gchar buf[8192];
  gssize n;
  const gchar *req = "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n"
      "Connection: close\r\n\r\n";
  gchar *sep;

  g_socket_client_set_timeout (client, 3);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL,
      NULL);
  if (!conn)
    goto out;
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM
              (conn)), req, strlen (req), NULL, NULL, NULL))
    goto out;
  body = g_string_new (NULL);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM
                  (conn)), buf, sizeof buf, NULL, NULL)) > 0)
    g_string_append_len (body, buf, n);
out:
  if (conn)
    g_object_unref (conn);
  g_object_unref (client);
  if (!body)
    return NULL;
  if (!g_str_has_prefix (body->str, "HTTP/1.") || !strstr (body->str, " 200")
      || !(sep = strstr (body->str, "\r\n\r\n"))) {
    g_string_free (body, TRUE);
    return NULL;
  }
  g_string_erase (body, 0, sep + 4 - body->str);
  return g_string_free (body, FALSE);
}

/* The one-line summary of /health: its own "summary.text" when it has one,
 * else states counted from every object with an "id" and a "state". */
static void
count_states (JsonNode * node, GHashTable * counts)
{
  if (JSON_NODE_HOLDS_ARRAY (node)) {
    GList *l, *els = json_array_get_elements (json_node_get_array (node));
    for (l = els; l; l = l->next)
      count_states (l->data, counts);
    g_list_free (els);
  } else if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObject *o = json_node_get_object (node);
    GList *l, *members;

    if (json_object_has_member (o, "id") && json_object_has_member (o,
            "state")) {
      const gchar *st = json_object_get_string_member_with_default (o,
          "state", "?");
      guint c = GPOINTER_TO_UINT (g_hash_table_lookup (counts, st));
      g_hash_table_insert (counts, g_strdup (st), GUINT_TO_POINTER (c + 1));
      return;
    }
    members = json_object_get_members (o);
    for (l = members; l; l = l->next)
      count_states (json_object_get_member (o, l->data), counts);
    g_list_free (members);
  }
}

static gchar *
health_summary (const gchar * json)
{
  JsonParser *parser = json_parser_new ();
  gchar *text = NULL;

  if (json_parser_load_from_data (parser, json, -1, NULL)) {
    JsonNode *root = json_parser_get_root (parser);
    JsonObject *o = JSON_NODE_HOLDS_OBJECT (root) ?
        json_node_get_object (root) : NULL;
    JsonObject *summary = o && json_object_has_member (o, "summary")
        && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "summary")) ?
        json_object_get_object_member (o, "summary") : NULL;

    if (summary && json_object_has_member (summary, "text")) {
      text = g_strdup (json_object_get_string_member (summary, "text"));
    } else {
      GHashTable *counts = g_hash_table_new_full (g_str_hash, g_str_equal,
          g_free, NULL);
      GHashTableIter it;
      gpointer k, v;
      GString *s = g_string_new (NULL);

      count_states (root, counts);
      g_hash_table_iter_init (&it, counts);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_string_append_printf (s, "%s%u %s", s->len ? ", " : "",
            GPOINTER_TO_UINT (v), (gchar *) k);
      text = g_string_free (s, FALSE);
      g_hash_table_unref (counts);
    }
  }
  g_object_unref (parser);
  return text;
}

static gboolean
poll_health (gpointer user_data)
{
  Demo *d = user_data;
  gchar *json, *summary;

  if (d->stopping)
    return G_SOURCE_REMOVE;
  json = fetch_health (d->cfg.health_port);
  if (!json) {
    say ("health: http://127.0.0.1:%u/health does not answer yet",
        d->cfg.health_port);
    return G_SOURCE_CONTINUE;
  }
  summary = health_summary (json);
  say ("health: %s", summary ? summary : "(unreadable /health document)");
  g_free (summary);
  g_free (json);
  return G_SOURCE_CONTINUE;
}

static void
count_segments (const gchar * dir, guint * files, guint64 * bytes)
{
  GDir *gd = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (!gd)
    return;
  while ((name = g_dir_read_name (gd))) {
    gchar *path = g_build_filename (dir, name, NULL);
    GStatBuf st;

    if (g_stat (path, &st) == 0) {
      if (S_ISDIR (st.st_mode)) {
        count_segments (path, files, bytes);
      } else if (g_str_has_suffix (name, ".mp4")) {
        (*files)++;
        *bytes += st.st_size;
      }
    }
    g_free (path);
  }
  g_dir_close (gd);
}

static void
print_try_this (Demo * d)
{
  DemoConfig *c = &d->cfg;
  gchar *ca = demo_ca_file (c);
  gchar *clip = g_build_filename (c->dir, "cam0-clip.mp4", NULL);
  guint i;

  printf ("\n%s\n"
      "Watch a camera live (officer account: user %s, password %s):\n",
      "==================== the demo district is running ===================",
      DEMO_USER, DEMO_PASSWORD);
  for (i = 0; i < c->n_cameras; i++) {
    const gchar *note = "";
    /* %-Ns pads bytes, not characters: pad the UTF-8 site name by hand. */
    glong pad = 10 - g_utf8_strlen (demo_camera_site (i), -1);

    if (i == 3)
      note = "   <- lossy Wi-Fi link";
    else if ((gint) i == d->reboot_cam)
      note = "   <- reboots now and then";
    printf ("  cam%-2u %s%*s %-5s rtsp://%s:%s@127.0.0.1:%u/demo/cam%u%s\n",
        i, demo_camera_site (i), (int) MAX (pad, 0), "", demo_camera_link (i),
        DEMO_USER, DEMO_PASSWORD, c->rtsp_port, i, note);
  }
  printf ("  e.g.  ffplay -rtsp_transport tcp "
      "rtsp://%s:%s@127.0.0.1:%u/demo/cam0\n"
      "        vlc rtsp://%s:%s@127.0.0.1:%u/demo/cam0\n",
      DEMO_USER, DEMO_PASSWORD, c->rtsp_port,
      DEMO_USER, DEMO_PASSWORD, c->rtsp_port);
  printf ("Health:   http://127.0.0.1:%u/   (status page; also /health and "
      "/metrics)\n", c->health_port);
  printf ("Store:    %s\n", c->store);
  printf ("Keys:     %s   (demo CA: %s)\n", c->keys, ca);
  printf ("Viewers:  %s   (audit log of who watched)\n", c->audit_log);
  printf ("Extract and check a clip (after a minute or so, or once stopped):\n"
      "  anninh export --store %s --camera cam0 --from <UTC start> "
      "--to <UTC end> -o %s\n"
      "  anninh verify --ca %s %s\n", c->store, clip, ca, clip);
  printf ("Stop: Ctrl-C (segments are closed cleanly; Ctrl-C twice stops at "
      "once)\n%s\n\n", RULE);
  fflush (stdout);
  g_free (clip);
  g_free (ca);
}

static void
print_after (Demo * d)
{
  DemoConfig *c = &d->cfg;
  guint files = 0;
  guint64 bytes = 0;
  gchar *ca = demo_ca_file (c);
  gchar *clip = g_build_filename (c->dir, "cam0-clip.mp4", NULL);
  /* A range well inside the run, so that it is on disk whatever the
   * camera did at the edges. */
  gint64 run = d->stopped_us - d->started_us;
  gint64 from = d->started_us + MIN (run / 4, 60 * G_USEC_PER_SEC);
  gint64 to = d->stopped_us - MIN (run / 4, 10 * G_USEC_PER_SEC);
  gchar *sfrom = utc_string (from), *sto = utc_string (to);

  count_segments (c->store, &files, &bytes);
  say ("store %s: %u segment files, %.1f MB", c->store, files, bytes / 1e6);
  say ("extract and check a clip of cam0 from this run:");
  printf ("  anninh export --store %s --camera cam0 --from %s --to %s -o %s\n"
      "  anninh verify --ca %s %s\n", c->store, sfrom, sto, clip, ca, clip);
  fflush (stdout);
  g_free (sfrom);
  g_free (sto);
  g_free (clip);
  g_free (ca);
}

static gchar *
absolute_path (const gchar * path)
{
  gchar *cwd, *abs;

  if (g_path_is_absolute (path))
    return g_strdup (path);
  cwd = g_get_current_dir ();
  abs = g_build_filename (cwd, path, NULL);
  g_free (cwd);
  return abs;
}

int
anninh_cmd_demo (int argc, char **argv)
{
  gint opt_cameras = DEFAULT_CAMERAS, opt_duration = 0;
  gint opt_rtsp_port = DEFAULT_RTSP_PORT, opt_health_port = DEFAULT_HEALTH_PORT;
  gint opt_reboot_every = DEFAULT_REBOOT_EVERY;
  gchar *opt_dir = NULL, *opt_source = NULL;
  GOptionEntry entries[] = {
    {"duration", 'd', 0, G_OPTION_ARG_INT, &opt_duration,
        "Stop by itself after SECONDS (0: run until Ctrl-C)", "SECONDS"},
    {"dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_dir,
          "Keep the store, keys and logs in DIR (default: ./anninh-demo)",
        "DIR"},
    {"cameras", 'n', 0, G_OPTION_ARG_INT, &opt_cameras,
        "Number of simulated cameras, 1 to 64 (default 8)", "N"},
    {"rtsp-port", 0, 0, G_OPTION_ARG_INT, &opt_rtsp_port,
          "Port of the police RTSP server (default 8554; 0: any free port)",
        "PORT"},
    {"health-port", 0, 0, G_OPTION_ARG_INT, &opt_health_port,
          "Port of the health page (default 8080; 0: any free port)",
        "PORT"},
    {"reboot-every", 0, 0, G_OPTION_ARG_INT, &opt_reboot_every,
          "Reboot cam5 every SECONDS (default 180; 0: never)",
        "SECONDS"},
    {"source", 0, 0, G_OPTION_ARG_FILENAME, &opt_source,
        "Serve the cameras from this video file (see anninh camsim)", "FILE"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  Demo d = { 0 };
  gchar **missing = NULL, *self = NULL, *gst_launch = NULL, *line = NULL;
  gchar *camsim_log = NULL;
  GPtrArray *pargv = NULL;
  int ret = ANNINH_EXIT_FAILURE;

  ctx = g_option_context_new ("- run the demo district on simulated cameras");
  g_option_context_set_summary (ctx,
      "Runs `anninh camsim` and one gst-launch-1.0 line with the whole\n"
      "district pipeline (ipcamsrc ! evidencemux ! tee, retentionsink and\n"
      "policeshare, healthserver), prints that line and what to try, and\n"
      "stops cleanly on Ctrl-C.");
  g_option_context_set_description (ctx,
      "Exit status: 0 the demo ran and stopped cleanly; 1 it failed (see the\n"
      "messages); 2 bad command line; 10 this build lacks an element the\n"
      "demo needs (the message names it).\n");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    fprintf (stderr, "anninh demo: %s\n", err->message);
    g_clear_error (&err);
    g_option_context_free (ctx);
    return ANNINH_EXIT_USAGE;
  }
  g_option_context_free (ctx);
  if (opt_cameras < 1 || opt_cameras > 64 || opt_duration < 0
      || opt_rtsp_port < 0 || opt_rtsp_port > 65535 || opt_health_port < 0
      || opt_health_port > 65535 || opt_reboot_every < 0) {
    fprintf (stderr, "anninh demo: --cameras takes 1 to 64, ports 0 to "
        "65535, --duration and --reboot-every 0 or more\n");
    return ANNINH_EXIT_USAGE;
  }

  /* Elements first: no point starting cameras for a pipeline that cannot
   * be built. */
  missing = demo_missing_elements ();
  if (missing[0]) {
    guint i;
    fprintf (stderr, "anninh demo: this build lacks %u element%s the demo "
        "district needs:\n", g_strv_length (missing),
        missing[1] ? "s" : "");
    for (i = 0; missing[i]; i++)
      fprintf (stderr, "  %-14s from the plugin %s\n", missing[i],
          demo_element_plugin (missing[i]));
    fprintf (stderr, "Build them (meson setup build && ninja -C build) and "
        "run the demo with `meson devenv -C build anninh demo`, so that "
        "GStreamer finds the plugins of the build tree.\n");
    ret = ANNINH_DEMO_EXIT_MISSING;
    goto out;
  }
  gst_launch = g_find_program_in_path ("gst-launch-1.0");
  if (!gst_launch) {
    fprintf (stderr, "anninh demo: gst-launch-1.0 is not installed "
        "(Debian package gstreamer1.0-tools)\n");
    goto out;
  }

  d.cfg.n_cameras = opt_cameras;
  d.cfg.dir = absolute_path (opt_dir ? opt_dir : "anninh-demo");
  d.cfg.store = g_build_filename (d.cfg.dir, "store", NULL);
  d.cfg.keys = g_build_filename (d.cfg.dir, "keys", NULL);
  d.cfg.htdigest = g_build_filename (d.cfg.dir, "officers.htdigest", NULL);
  d.cfg.audit_log = g_build_filename (d.cfg.dir, "viewers-audit.jsonl", NULL);
  d.reboot_cam = opt_cameras > 5 ? 5 : -1;
  if (!demo_make_dirs (&d.cfg, &err) || !demo_make_keys (&d.cfg, &err)
      || !demo_write_htdigest (&d.cfg, &err)) {
    fprintf (stderr, "anninh demo: %s\n", err->message);
    goto out;
  }
  d.cfg.rtsp_port = demo_pick_port (opt_rtsp_port, DEFAULT_RTSP_PORT);
  d.cfg.health_port = demo_pick_port (opt_health_port, DEFAULT_HEALTH_PORT);
  if (!d.cfg.rtsp_port || !d.cfg.health_port) {
    fprintf (stderr, "anninh demo: port %d is in use; choose another with "
        "--%s-port, or 0 for any free port\n",
        d.cfg.rtsp_port ? opt_health_port : opt_rtsp_port,
        d.cfg.rtsp_port ? "health" : "rtsp");
    goto out;
  }

  self = g_file_read_link ("/proc/self/exe", NULL);
  camsim_log = g_build_filename (d.cfg.dir, "camsim.log", NULL);
  say ("starting %u simulated cameras (anninh camsim, log in %s)",
      d.cfg.n_cameras, camsim_log);
  d.camsim = demo_camsim_start (self ? self : "anninh", d.cfg.n_cameras,
      opt_source, camsim_log, &err);
  if (!d.camsim) {
    fprintf (stderr, "anninh demo: %s\n", err->message);
    goto out;
  }
  d.cfg.camsim_host = g_strdup (demo_camsim_host (d.camsim));
  d.cfg.camsim_port = demo_camsim_rtsp_port (d.camsim);

  if (d.cfg.n_cameras > 3) {
    gchar *cmd = g_strdup_printf ("lossy cam3 %d", LOSSY_PERCENT);
    gchar *reply = demo_camsim_command (d.camsim, cmd, &err);
    if (!reply) {
      say ("camsim did not take '%s': %s", cmd, err->message);
      g_clear_error (&err);
    } else if (!g_str_has_prefix (reply, "ok")) {
      say ("camsim refused '%s': %s", cmd, reply);
    } else {
      say ("camsim: %s", reply + 3);
    }
    g_free (reply);
    g_free (cmd);
  }

  pargv = demo_pipeline_argv (&d.cfg);
  line = demo_argv_to_shell (pargv);
  say ("the district pipeline (copy it to build your own):");
  printf ("%s\n", line);
  fflush (stdout);

  g_ptr_array_insert (pargv, 0, g_strdup ("--no-position"));
  g_ptr_array_insert (pargv, 0, g_strdup ("-e"));
  g_ptr_array_insert (pargv, 0, g_strdup (gst_launch));
  g_ptr_array_add (pargv, NULL);
  if (!g_spawn_async (NULL, (gchar **) pargv->pdata, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD, gst_child_setup, NULL, &d.gst_pid,
          &err)) {
    fprintf (stderr, "anninh demo: cannot run gst-launch-1.0: %s\n",
        err->message);
    goto out;
  }
  d.started_us = g_get_real_time ();

  d.loop = g_main_loop_new (NULL, FALSE);
  g_child_watch_add (d.gst_pid, on_gst_exit, &d);
  g_unix_signal_add (SIGINT, on_signal, &d);
  g_unix_signal_add (SIGTERM, on_signal, &d);
  g_unix_signal_add (SIGHUP, on_signal, &d);
  g_timeout_add_seconds (1, watch_camsim, &d);
  g_timeout_add_seconds (HEALTH_POLL_SECONDS, poll_health, &d);
  if (opt_duration > 0)
    g_timeout_add_seconds (opt_duration, on_duration, &d);
  if (d.reboot_cam >= 0 && opt_reboot_every > 0)
    g_timeout_add_seconds (opt_reboot_every, reboot_camera, &d);
  print_try_this (&d);

  g_main_loop_run (d.loop);

  demo_camsim_stop (d.camsim);
  d.camsim = NULL;
  if (d.gst_exited && g_spawn_check_wait_status (d.gst_status, NULL)
      && d.escalation == 0 && !d.camsim_died) {
    say ("stopped cleanly");
    print_after (&d);
    ret = ANNINH_EXIT_OK;
  } else {
    say ("stopped with an error");
    print_after (&d);
  }

out:
  if (d.camsim)
    demo_camsim_stop (d.camsim);
  if (d.loop)
    g_main_loop_unref (d.loop);
  if (pargv)
    g_ptr_array_free (pargv, TRUE);
  g_strfreev (missing);
  g_free (line);
  g_free (camsim_log);
  g_free (self);
  g_free (gst_launch);
  g_free (d.cfg.dir);
  g_free (d.cfg.store);
  g_free (d.cfg.keys);
  g_free (d.cfg.htdigest);
  g_free (d.cfg.audit_log);
  g_free (d.cfg.camsim_host);
  g_free (opt_dir);
  g_free (opt_source);
  return ret;
}
