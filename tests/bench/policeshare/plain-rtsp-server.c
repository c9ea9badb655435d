/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reference of the policeshare benchmark: a plain gst-rtsp-server
 * serving MOUNTS shared media /cam0.. each pulling UPSTREAM/camK once and
 * re-payloading it (no transcoding), the stock way to do what policeshare
 * does, without authentication or audit.
 *
 * Usage: plain-rtsp-server PORT UPSTREAM_BASE_URL MOUNTS */
#include <stdlib.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

int
main (int argc, char **argv)
{
  GMainLoop *loop;
  GstRTSPServer *server;
  GstRTSPMountPoints *mounts;
  int i, n;

  gst_init (&argc, &argv);
  if (argc != 4) {
    g_printerr ("usage: %s PORT UPSTREAM_BASE_URL MOUNTS\n", argv[0]);
    return 2;
  }
  n = atoi (argv[3]);
  loop = g_main_loop_new (NULL, FALSE);
  server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (server, "127.0.0.1");
  gst_rtsp_server_set_service (server, argv[1]);
  mounts = gst_rtsp_server_get_mount_points (server);
  for (i = 0; i < n; i++) {
    GstRTSPMediaFactory *f = gst_rtsp_media_factory_new ();
    gchar *launch = g_strdup_printf ("( rtspsrc location=%s/cam%d latency=0 "
        "protocols=tcp ! rtph264depay ! h264parse config-interval=-1 ! "
        "rtph264pay name=pay0 pt=96 config-interval=-1 )", argv[2], i);
    gchar *path = g_strdup_printf ("/cam%d", i);

    gst_rtsp_media_factory_set_launch (f, launch);
    gst_rtsp_media_factory_set_shared (f, TRUE);
    gst_rtsp_mount_points_add_factory (mounts, path, f);
    g_free (launch);
    g_free (path);
  }
  g_object_unref (mounts);
  if (gst_rtsp_server_attach (server, NULL) == 0) {
    g_printerr ("cannot listen on port %s\n", argv[1]);
    return 1;
  }
  g_print ("plain-rtsp-server ready port=%d\n",
      gst_rtsp_server_get_bound_port (server));
  g_main_loop_run (loop);
  return 0;
}
