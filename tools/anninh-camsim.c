/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anninh camsim: N simulated RTSP cameras, from a live test pattern or from
 * a clip, with faults on command. See docs/camsim.md. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anninh-commands.h"
#include "camsim.h"

GST_DEBUG_CATEGORY (camsim_debug);
#define GST_CAT_DEFAULT camsim_debug

#define DEFAULT_ADDRESS "127.0.0.1"
#define DEFAULT_PORT 8554
#define DEFAULT_CONTROL_PORT 0
#define DEFAULT_CAMERAS 1
#define DEFAULT_CODEC "h264"
#define DEFAULT_WIDTH 640
#define DEFAULT_HEIGHT 360
#define DEFAULT_FPS 15
#define DEFAULT_BITRATE 800
#define DEFAULT_SECONDS 10
#define MAX_CAMERAS 1000

static const gchar camsim_description[] =
    "Serves N simulated cameras at rtsp://ADDRESS:PORT/cam0 .. camN-1, each\n"
    "one shared pipeline however many clients, from a live test pattern\n"
    "(clock and camera name burnt in) or from --source FILE, looped without\n"
    "re-encoding. When listening it prints one line on stdout:\n"
    "  camsim ready rtsp=ADDRESS:PORT control=CADDRESS:CPORT cameras=N\n"
    "and runs until SIGINT, SIGTERM or the 'quit' command.\n"
    "\n"
    "Control port (TCP, one command per line, one reply line 'ok ...' or\n"
    "'error <reason>'; the same commands are read from stdin when it is a\n"
    "pipe or a terminal):\n"
    "  drop camN            refuse clients (RTSP 503) and close its sessions\n"
    "  reboot camN SECONDS  drop now, refuse for SECONDS, come back fresh\n"
    "                       (new SSRC and timestamps; clears freeze/black)\n"
    "  freeze camN          keep sessions open, send no media\n"
    "  black camN           black picture (test-pattern mode only)\n"
    "  lossy camN PERCENT   lose PERCENT of the RTP packets\n"
    "  slow camN KBPS       police the camera's link to KBPS kbit/s\n"
    "  restore camN         undo every fault of camN\n"
    "  status               ok [{\"id\",\"codec\",\"state\",\"clients\","
    "\"boots\",\"faults\"}...]\n"
    "  quit                 shut down cleanly\n"
    "\n"
    "Make a clip for --source (encoded once, MP4):\n"
    "  anninh camsim --make-clip clip.mp4 --codec h264 --width 1920 "
    "--height 1080 \\\n"
    "      --fps 25 --bitrate 4000 --seconds 10\n"
    "\n"
    "Exit status: 0 clean shutdown, 1 failure (e.g. unreadable --source,\n"
    "port in use), 2 bad command line.";

static gboolean camsim_quit_requested;

static gboolean
camsim_on_signal (gpointer user_data)
{
  Camsim *sim = user_data;

  GST_INFO ("signal received, shutting down");
  camsim_quit_requested = TRUE;
  g_main_loop_quit (sim->loop);
  return G_SOURCE_CONTINUE;
}

/* Answers 503 for a camera that is down, before the server looks for its
 * factory: the camera is there but does not serve. */
static GstRTSPStatusCode
camsim_pre_request (GstRTSPClient * client, GstRTSPContext * ctx,
    gpointer user_data)
{
  Camsim *sim = user_data;
  CamsimCamera *cam = NULL;

  if (ctx->uri)
    cam = camsim_camera_for_path (sim, ctx->uri->abspath);
  /* Runs on a client thread of the server's thread pool. */
  if (cam && g_atomic_int_get (&cam->state) != CAMSIM_CAMERA_UP) {
    GST_DEBUG ("%s is %s: refusing", cam->name,
        camsim_camera_state_name (cam->state));
    return GST_RTSP_STS_SERVICE_UNAVAILABLE;
  }
  return GST_RTSP_STS_OK;
}

static void
camsim_client_connected (GstRTSPServer * server, GstRTSPClient * client,
    gpointer user_data)
{
  /* Not pre-options-request: answering an error there made
   * gst-rtsp-server 1.22 abort in gst_rtsp_message_free(). DESCRIBE is
   * where a client first learns that the camera does not serve. */
  static const gchar *const hooks[] = { "pre-describe-request",
    "pre-setup-request", "pre-play-request"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (hooks); i++)
    g_signal_connect (client, hooks[i], G_CALLBACK (camsim_pre_request),
        user_data);
}

static GstRTSPFilterResult
camsim_close_client (GstRTSPServer * server, GstRTSPClient * client,
    gpointer user_data)
{
  return GST_RTSP_FILTER_REMOVE;
}

static GstRTSPFilterResult
camsim_remove_session (GstRTSPSessionPool * pool, GstRTSPSession * session,
    gpointer user_data)
{
  return GST_RTSP_FILTER_REMOVE;
}

/* stdin commands, when stdin is a pipe or a terminal */
static gboolean
camsim_stdin_ready (GIOChannel * channel, GIOCondition cond,
    gpointer user_data)
{
  Camsim *sim = user_data;
  gchar *line = NULL;
  gsize term = 0;
  GIOStatus status;

  status = g_io_channel_read_line (channel, &line, NULL, &term, NULL);
  if (status == G_IO_STATUS_AGAIN)
    return G_SOURCE_CONTINUE;
  if (status != G_IO_STATUS_NORMAL) {
    /* EOF: stop reading stdin, keep serving */
    g_free (line);
    return G_SOURCE_REMOVE;
  }
  line[term] = '\0';
  if (*g_strstrip (line)) {
    gboolean quit = FALSE;
    gchar *reply = camsim_control_execute (sim, line, &quit);

    /* replies go to stderr: stdout carries only the ready line */
    fprintf (stderr, "%s\n", reply);
    g_free (reply);
    if (quit)
      g_main_loop_quit (sim->loop);
  }
  g_free (line);
  return G_SOURCE_CONTINUE;
}

static guint
camsim_watch_stdin (Camsim * sim)
{
  GIOChannel *channel;
  GStatBuf st;
  guint id;

  if (fstat (0, &st) != 0 || !(S_ISFIFO (st.st_mode) || isatty (0)))
    return 0;
  channel = g_io_channel_unix_new (0);
  id = g_io_add_watch (channel, G_IO_IN | G_IO_HUP | G_IO_ERR,
      camsim_stdin_ready, sim);
  g_io_channel_unref (channel);
  return id;
}

static gboolean
camsim_check_codecs (gchar ** codecs, GError ** error)
{
  gchar **c;

  if (codecs == NULL || codecs[0] == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--codec needs at least one of h264, h265");
    return FALSE;
  }
  for (c = codecs; *c; c++) {
    g_strstrip (*c);
    if (strcmp (*c, "h264") && strcmp (*c, "h265")) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "--codec: '%s' is not h264 or h265", *c);
      return FALSE;
    }
  }
  return TRUE;
}

static int
camsim_usage_error (GOptionContext * ctx, const gchar * message)
{
  fprintf (stderr, "anninh camsim: %s\n"
      "Run 'anninh camsim --help' for the options.\n", message);
  g_option_context_free (ctx);
  return ANNINH_EXIT_USAGE;
}

int
anninh_cmd_camsim (int argc, char **argv)
{
  Camsim sim_, *sim = &sim_;
  gchar *codec_list = NULL, *make_clip = NULL;
  gint seconds = DEFAULT_SECONDS, cameras = DEFAULT_CAMERAS;
  GOptionContext *ctx;
  GError *error = NULL;
  guint i, sigint, sigterm, stdin_watch = 0;
  gchar *service, *msg;
  GOptionEntry entries[] = {
    {"address", 0, 0, G_OPTION_ARG_STRING, &sim_.address,
        "Address the RTSP server binds (default " DEFAULT_ADDRESS ")", "ADDR"},
    {"port", 'p', 0, G_OPTION_ARG_INT, &sim_.port,
        "RTSP port, 0 = pick a free one (default 8554)", "PORT"},
    {"control-address", 0, 0, G_OPTION_ARG_STRING, &sim_.control_address,
        "Address the control port binds (default " DEFAULT_ADDRESS ")",
        "ADDR"},
    {"control-port", 0, 0, G_OPTION_ARG_INT, &sim_.control_port,
        "TCP control port, 0 = pick a free one (default 0)", "PORT"},
    {"cameras", 'n', 0, G_OPTION_ARG_INT, &cameras,
        "Number of cameras, served as cam0..camN-1 (default 1, max 1000)",
        "N"},
    {"codec", 'c', 0, G_OPTION_ARG_STRING, &codec_list,
          "Comma-separated codecs cycled over the cameras, h264 or h265 "
          "(default h264; with --source the file's codec is used)",
        "LIST"},
    {"width", 0, 0, G_OPTION_ARG_INT, &sim_.width,
        "Test-pattern width in pixels (default 640)", "W"},
    {"height", 0, 0, G_OPTION_ARG_INT, &sim_.height,
        "Test-pattern height in pixels (default 360)", "H"},
    {"fps", 0, 0, G_OPTION_ARG_INT, &sim_.fps,
        "Test-pattern frames per second (default 15)", "FPS"},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &sim_.bitrate,
        "Encoder bitrate in kbit/s (default 800)", "KBPS"},
    {"source", 's', 0, G_OPTION_ARG_FILENAME, &sim_.source,
          "Serve this MP4, MKV or raw H.264/H.265 file on every camera, "
          "looped, without re-encoding", "FILE"},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &sim_.user,
        "Require RTSP digest authentication with this user", "USER"},
    {"password", 0, 0, G_OPTION_ARG_STRING, &sim_.password,
        "Password for --user", "PASSWORD"},
    {"make-clip", 0, 0, G_OPTION_ARG_FILENAME, &make_clip,
          "Do not serve: encode a test clip (--codec, --width, --height, "
          "--fps, --bitrate, --seconds) into this MP4 file and exit", "OUT"},
    {"seconds", 0, 0, G_OPTION_ARG_INT, &seconds,
        "Length of the --make-clip clip in seconds (default 10)", "S"},
    {NULL}
  };

  memset (sim, 0, sizeof (*sim));
  sim->port = DEFAULT_PORT;
  sim->control_port = DEFAULT_CONTROL_PORT;
  sim->width = DEFAULT_WIDTH;
  sim->height = DEFAULT_HEIGHT;
  sim->fps = DEFAULT_FPS;
  sim->bitrate = DEFAULT_BITRATE;

  ctx = g_option_context_new ("- simulated RTSP cameras with faults");
  g_option_context_set_description (ctx, camsim_description);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    int ret = camsim_usage_error (ctx, error->message);

    g_clear_error (&error);
    return ret;
  }
  if (argc > 1)
    return camsim_usage_error (ctx, "unexpected argument (see --help)");

  /* Check everything before anything starts. */
  msg = NULL;
  sim->codecs = g_strsplit (codec_list ? codec_list : DEFAULT_CODEC, ",", -1);
  g_free (codec_list);
  if (!camsim_check_codecs (sim->codecs, &error))
    msg = g_strdup (error->message);
  else if (cameras < 1 || cameras > MAX_CAMERAS)
    msg = g_strdup_printf ("--cameras must be 1..%d", MAX_CAMERAS);
  else if (sim->port < 0 || sim->port > 65535)
    msg = g_strdup ("--port must be 0..65535");
  else if (sim->control_port < 0 || sim->control_port > 65535)
    msg = g_strdup ("--control-port must be 0..65535");
  else if (sim->width < 16 || sim->width > 7680 || sim->height < 16
      || sim->height > 4320)
    msg = g_strdup ("--width/--height must be 16..7680 x 16..4320");
  else if (sim->fps < 1 || sim->fps > 120)
    msg = g_strdup ("--fps must be 1..120");
  else if (sim->bitrate < 16 || sim->bitrate > 100000)
    msg = g_strdup ("--bitrate must be 16..100000 kbit/s");
  else if (seconds < 1 || seconds > 3600)
    msg = g_strdup ("--seconds must be 1..3600");
  else if ((sim->user == NULL) != (sim->password == NULL))
    msg = g_strdup ("--user and --password go together");
  else if (sim->user && (!*sim->user || strchr (sim->user, ':')))
    msg = g_strdup ("--user must be non-empty and without ':'");
  else if (make_clip && sim->source)
    msg = g_strdup ("--make-clip and --source exclude each other");
  g_clear_error (&error);
  if (msg) {
    int ret = camsim_usage_error (ctx, msg);

    g_free (msg);
    g_strfreev (sim->codecs);
    g_free (sim->address);
    g_free (sim->control_address);
    g_free (sim->source);
    g_free (sim->user);
    g_free (sim->password);
    g_free (make_clip);
    return ret;
  }
  g_option_context_free (ctx);
  sim->n_cameras = cameras;
  if (sim->address == NULL)
    sim->address = g_strdup (DEFAULT_ADDRESS);
  if (sim->control_address == NULL)
    sim->control_address = g_strdup (DEFAULT_ADDRESS);

  GST_DEBUG_CATEGORY_INIT (camsim_debug, "camsim", 0, "anninh camsim");

  if (make_clip) {
    gboolean ok = camsim_make_clip (make_clip, sim->codecs[0], sim->width,
        sim->height, sim->fps, sim->bitrate, seconds, &error);

    if (!ok) {
      fprintf (stderr, "anninh camsim: %s\n", error->message);
      g_clear_error (&error);
    } else {
      printf ("camsim clip %s\n", make_clip);
    }
    g_free (make_clip);
    sim->exit_code = ok ? ANNINH_EXIT_OK : ANNINH_EXIT_FAILURE;
    goto cleanup;
  }

  if (sim->source) {
    gchar *desc;

    sim->clip = camsim_clip_load (sim->source, sim->fps, &error);
    if (sim->clip == NULL) {
      fprintf (stderr, "anninh camsim: %s\n", error->message);
      g_clear_error (&error);
      sim->exit_code = ANNINH_EXIT_FAILURE;
      goto cleanup;
    }
    desc = camsim_clip_describe (sim->clip);
    fprintf (stderr, "anninh camsim: serving %s: %s\n", sim->source, desc);
    g_free (desc);
  }

  sim->loop = g_main_loop_new (NULL, FALSE);
  sim->server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (sim->server, sim->address);
  service = g_strdup_printf ("%d", sim->port);
  gst_rtsp_server_set_service (sim->server, service);
  g_free (service);
  sim->mounts = gst_rtsp_server_get_mount_points (sim->server);
  sim->pool = gst_rtsp_server_get_session_pool (sim->server);
  g_signal_connect (sim->server, "client-connected",
      G_CALLBACK (camsim_client_connected), sim);

  if (sim->user) {
    GstRTSPToken *token;

    sim->auth = gst_rtsp_auth_new ();
    gst_rtsp_auth_set_supported_methods (sim->auth, GST_RTSP_AUTH_DIGEST);
    token = gst_rtsp_token_new (GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE,
        G_TYPE_STRING, "camsim-user", NULL);
    gst_rtsp_auth_add_digest (sim->auth, sim->user, sim->password, token);
    gst_rtsp_token_unref (token);
    gst_rtsp_server_set_auth (sim->server, sim->auth);
  }

  sim->cameras = g_new0 (CamsimCamera *, sim->n_cameras);
  for (i = 0; i < sim->n_cameras; i++) {
    const gchar *codec = sim->clip ? camsim_clip_codec (sim->clip) :
        sim->codecs[i % g_strv_length (sim->codecs)];

    sim->cameras[i] = camsim_camera_new (sim, i, codec);
    camsim_camera_mount (sim->cameras[i]);
  }

  if (gst_rtsp_server_attach (sim->server, NULL) == 0) {
    fprintf (stderr, "anninh camsim: cannot listen on %s:%d (address not "
        "local, or port in use?)\n", sim->address, sim->port);
    sim->exit_code = ANNINH_EXIT_FAILURE;
    goto cleanup;
  }
  sim->bound_port = gst_rtsp_server_get_bound_port (sim->server);
  if (!camsim_control_start (sim, &error)) {
    fprintf (stderr, "anninh camsim: cannot open the control port %s:%d: "
        "%s\n", sim->control_address, sim->control_port, error->message);
    g_clear_error (&error);
    sim->exit_code = ANNINH_EXIT_FAILURE;
    goto cleanup;
  }

  sigint = g_unix_signal_add (SIGINT, camsim_on_signal, sim);
  sigterm = g_unix_signal_add (SIGTERM, camsim_on_signal, sim);
  stdin_watch = camsim_watch_stdin (sim);

  printf ("camsim ready rtsp=%s:%u control=%s:%u cameras=%u\n",
      sim->address, sim->bound_port, sim->control_address,
      sim->bound_control_port, sim->n_cameras);
  fflush (stdout);

  g_main_loop_run (sim->loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (stdin_watch)
    g_source_remove (stdin_watch);
  sim->exit_code = ANNINH_EXIT_OK;

cleanup:
  camsim_control_stop (sim);
  if (sim->server) {
    for (i = 0; sim->cameras && i < sim->n_cameras; i++)
      camsim_camera_unmount (sim->cameras[i]);
    g_list_free_full (gst_rtsp_server_client_filter (sim->server,
            camsim_close_client, NULL), g_object_unref);
    g_list_free_full (gst_rtsp_session_pool_filter (sim->pool,
            camsim_remove_session, NULL), g_object_unref);
    /* let the closed clients and medias finish on the main context */
    while (g_main_context_iteration (NULL, FALSE));
  }
  g_clear_object (&sim->pool);
  g_clear_object (&sim->mounts);
  g_clear_object (&sim->auth);
  g_clear_object (&sim->server);
  camsim_clip_free (sim->clip);
  for (i = 0; sim->cameras && i < sim->n_cameras; i++)
    camsim_camera_free (sim->cameras[i]);
  g_free (sim->cameras);
  if (sim->loop)
    g_main_loop_unref (sim->loop);
  g_strfreev (sim->codecs);
  g_free (sim->address);
  g_free (sim->control_address);
  g_free (sim->source);
  g_free (sim->user);
  g_free (sim->password);
  return sim->exit_code;
}
