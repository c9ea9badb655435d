/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* policeshare: properties, port 0, two elements sharing one server, and a
 * real rtspsrc client (digest) playing a mount, with its viewing in the
 * health registry, on the bus and in the audit log. */
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <anninh/audit-log.h>
#include <anninh/evidence-events.h>
#include <anninh/health-registry.h>
#include <anninh/viewer-accounts.h>

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("policeshare-XXXXXX", NULL);
}

static void
teardown (void)
{
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  const gchar *name;

  while ((name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (tmpdir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("policeshare", NULL);
  gchar *s;
  guint u;
  gint port;

  fail_unless (e != NULL);
  g_object_get (e, "mount", &s, NULL);
  fail_unless_equals_string (s, "/cam");
  g_free (s);
  g_object_get (e, "address", &s, NULL);
  fail_unless_equals_string (s, "127.0.0.1");
  g_free (s);
  g_object_get (e, "service", &s, NULL);
  fail_unless_equals_string (s, "8554");
  g_free (s);
  g_object_get (e, "realm", &s, NULL);
  fail_unless_equals_string (s, "anninh");
  g_free (s);
  g_object_get (e, "bound-port", &port, "max-viewers", &u, NULL);
  fail_unless_equals_int (port, 0);
  fail_unless_equals_int (u, 0);

  g_object_set (e, "mount", "/hoatien/cam01", "max-viewers", 3,
      "allow-groups", "hoatien,xa2", "htdigest", "/nonexistent", NULL);
  g_object_get (e, "mount", &s, "max-viewers", &u, NULL);
  fail_unless_equals_string (s, "/hoatien/cam01");
  fail_unless_equals_int (u, 3);
  g_free (s);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_port_zero_and_sharing)
{
  GstElement *a = gst_element_factory_make ("policeshare", NULL);
  GstElement *b = gst_element_factory_make ("policeshare", NULL);
  GstElement *c = gst_element_factory_make ("policeshare", NULL);
  gint pa = 0, pb = 0;

  g_object_set (a, "service", "0", "mount", "/a", NULL);
  g_object_set (b, "service", "0", "mount", "/b", NULL);
  g_object_set (c, "service", "0", "mount", "/a", NULL);

  fail_unless_equals_int (gst_element_set_state (a, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (a, "bound-port", &pa, NULL);
  fail_unless (pa > 0);
  fail_unless_equals_int (gst_element_set_state (b, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (b, "bound-port", &pb, NULL);
  fail_unless_equals_int (pa, pb);      /* one server for both mounts */

  /* the same mount twice on one server is refused, not a crash */
  fail_unless_equals_int (gst_element_set_state (c, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);

  gst_element_set_state (a, GST_STATE_NULL);
  g_object_get (a, "bound-port", &pa, NULL);
  fail_unless_equals_int (pa, 0);
  gst_element_set_state (b, GST_STATE_NULL);
  gst_element_set_state (c, GST_STATE_NULL);
  gst_object_unref (a);
  gst_object_unref (b);
  gst_object_unref (c);
}

GST_END_TEST;

GST_START_TEST (test_bad_settings_fail_cleanly)
{
  GstElement *e = gst_element_factory_make ("policeshare", NULL);

  g_object_set (e, "service", "0", "htdigest", "/nonexistent/users", NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (e, GST_STATE_NULL);
  g_object_set (e, "htdigest", NULL, "mount", "no-slash", NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (e, GST_STATE_NULL);
  g_object_set (e, "mount", "/x", "tls-cert", "/nonexistent.pem", NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_object_unref (e);
}

GST_END_TEST;

static void
handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, gint * count)
{
  g_atomic_int_inc (count);
}

static guint
share_viewers (const gchar * mount)
{
  GPtrArray *snap = anninh_health_registry_snapshot ();
  guint i, n = G_MAXUINT;

  for (i = 0; i < snap->len; i++) {
    GstStructure *s = g_ptr_array_index (snap, i);

    if (gst_structure_has_name (s, "share") &&
        !g_strcmp0 (gst_structure_get_string (s, "id"), mount))
      gst_structure_get_uint (s, "viewers", &n);
  }
  g_ptr_array_unref (snap);
  return n;
}

static GstPadProbeReturn
count_cert_requests (GstPad * pad, GstPadProbeInfo * info, gpointer counter)
{
  if (anninh_event_is_certificate_request (GST_PAD_PROBE_INFO_EVENT (info)))
    g_atomic_int_inc ((gint *) counter);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
first_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer flag)
{
  g_atomic_int_set ((gint *) flag, 1);
  return GST_PAD_PROBE_REMOVE;
}

/* A viewer asking before the first frame reached the share gets 503: wait
 * for it. */
static void
wait_for_video (GstElement * share)
{
  static gint seen;
  GstPad *pad = gst_element_get_static_pad (share, "sink");
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_atomic_int_set (&seen, 0);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, first_buffer, &seen,
      NULL);
  gst_object_unref (pad);
  while (!g_atomic_int_get (&seen) && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  fail_unless (g_atomic_int_get (&seen));
  g_usleep (100 * 1000);        /* the frame is in the share's cache */
}

static GstElement *
client_pipeline (gint port, const gchar * user, const gchar * pw, gint * count)
{
  gchar *desc = g_strdup_printf ("rtspsrc name=src "
      "location=rtsp://127.0.0.1:%d/hoatien/cam01 user-id=%s user-pw=%s "
      "protocols=tcp latency=0 ! rtph264depay ! fakesink name=out "
      "signal-handoffs=true", port, user, pw);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *out = gst_bin_get_by_name (GST_BIN (p), "out");

  g_signal_connect (out, "handoff", G_CALLBACK (handoff), count);
  gst_object_unref (out);
  g_free (desc);
  return p;
}

GST_START_TEST (test_rtspsrc_plays_with_digest)
{
  gchar *users = g_build_filename (tmpdir, "users", NULL);
  gchar *groups = g_build_filename (tmpdir, "groups", NULL);
  gchar *audit = g_build_filename (tmpdir, "audit.jsonl", NULL);
  gchar *ha1 = anninh_viewer_accounts_make_ha1 ("alice", "anninh", "s3cret");
  gchar *line = g_strdup_printf ("alice:anninh:%s\n", ha1);
  GstElement *server, *share, *client;
  GstBus *bus;
  GstMessage *msg;
  gint port = 0, count = 0;
  static gint cert_requests;
  gint64 deadline;
  gboolean joined = FALSE;
  guint64 n = 0;

  g_atomic_int_set (&cert_requests, 0);
  fail_unless (g_file_set_contents (users, line, -1, NULL));
  fail_unless (g_file_set_contents (groups, "hoatien: alice\n", -1, NULL));

  server = gst_parse_launch ("videotestsrc is-live=true ! "
      "video/x-raw,width=64,height=64,framerate=10/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=5 ! "
      "h264parse ! policeshare name=share service=0 mount=/hoatien/cam01",
      NULL);
  fail_unless (server != NULL);
  share = gst_bin_get_by_name (GST_BIN (server), "share");
  g_object_set (share, "htdigest", users, "groups-file", groups,
      "allow-groups", "hoatien", "audit-log", audit, NULL);
  fail_unless (gst_element_set_state (server, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  g_object_get (share, "bound-port", &port, NULL);
  fail_unless (port > 0);
  wait_for_video (share);
  {
    /* what evidencemux would see: one certificate request per viewer */
    GstPad *sinkpad = gst_element_get_static_pad (share, "sink");
    GstPad *peer = gst_pad_get_peer (sinkpad);

    gst_pad_add_probe (peer, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        count_cert_requests, &cert_requests, NULL);
    gst_object_unref (peer);
    gst_object_unref (sinkpad);
  }

  client = client_pipeline (port, "alice", "s3cret", &count);
  gst_element_set_state (client, GST_STATE_PLAYING);
  /* valgrind slows the encoder and the client down a lot */
  deadline = g_get_monotonic_time () +
      (g_getenv ("ANNINH_UNDER_VALGRIND") ? 90 : 20) * G_USEC_PER_SEC;
  while (g_atomic_int_get (&count) < 5 && g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);
  fail_unless (g_atomic_int_get (&count) >= 5, "client got %d buffers", count);
  fail_unless_equals_int (share_viewers ("/hoatien/cam01"), 1);
  fail_unless_equals_int (g_atomic_int_get (&cert_requests), 1);

  bus = gst_element_get_bus (server);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, "policeshare-viewer-joined")) {
      const GstStructure *s = gst_message_get_structure (msg);
      fail_unless_equals_string (gst_structure_get_string (s, "user"), "alice");
      joined = TRUE;
    }
    gst_message_unref (msg);
  }
  fail_unless (joined);
  gst_object_unref (bus);

  gst_element_set_state (client, GST_STATE_NULL);
  gst_object_unref (client);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (share_viewers ("/hoatien/cam01") != 0 &&
      g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);
  fail_unless_equals_int (share_viewers ("/hoatien/cam01"), 0);

  gst_element_set_state (server, GST_STATE_NULL);
  gst_object_unref (share);
  gst_object_unref (server);

  fail_unless_equals_int (anninh_audit_log_verify (audit, &n, NULL, NULL),
      ANNINH_AUDIT_OK);
  fail_unless (n >= 1);

  g_free (line);
  g_free (ha1);
  g_free (audit);
  g_free (groups);
  g_free (users);
}

GST_END_TEST;

/* A camera that stops sending for a while (ipcamsrc reconnecting: a gap,
 * then data again) does not end the viewer's session: the same client
 * receives frames again afterwards, without an error. */
GST_START_TEST (test_upstream_gap_keeps_viewers)
{
  GstElement *server, *share, *valve, *client;
  GstBus *bus;
  GstMessage *msg;
  gint port = 0, count = 0, before;
  gint64 deadline;
  guint timeout_s = g_getenv ("ANNINH_UNDER_VALGRIND") ? 90 : 20;

  server = gst_parse_launch ("videotestsrc is-live=true ! "
      "video/x-raw,width=64,height=64,framerate=10/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=5 ! "
      "h264parse ! valve name=valve ! "
      "policeshare name=share service=0 mount=/hoatien/cam01", NULL);
  share = gst_bin_get_by_name (GST_BIN (server), "share");
  valve = gst_bin_get_by_name (GST_BIN (server), "valve");
  fail_unless (gst_element_set_state (server, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  g_object_get (share, "bound-port", &port, NULL);
  wait_for_video (share);

  client = client_pipeline (port, "nobody", "none", &count);
  gst_element_set_state (client, GST_STATE_PLAYING);
  deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  while (g_atomic_int_get (&count) < 5 && g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);
  fail_unless (g_atomic_int_get (&count) >= 5);

  /* the camera goes away for 4 s */
  g_object_set (valve, "drop", TRUE, NULL);
  gst_element_send_event (valve, gst_event_new_gap (0, GST_CLOCK_TIME_NONE));
  g_usleep (4 * G_USEC_PER_SEC);
  before = g_atomic_int_get (&count);
  g_object_set (valve, "drop", FALSE, NULL);

  deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  while (g_atomic_int_get (&count) < before + 5 &&
      g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);
  fail_unless (g_atomic_int_get (&count) >= before + 5,
      "no frames after the gap (%d then %d)", before, count);
  fail_unless_equals_int (share_viewers ("/hoatien/cam01"), 1);

  bus = gst_element_get_bus (client);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg == NULL, "the viewer got %" GST_PTR_FORMAT, msg);
  gst_object_unref (bus);

  gst_element_set_state (client, GST_STATE_NULL);
  gst_object_unref (client);
  gst_element_set_state (server, GST_STATE_NULL);
  gst_object_unref (valve);
  gst_object_unref (share);
  gst_object_unref (server);
}

GST_END_TEST;

static Suite *
policeshare_suite (void)
{
  Suite *s = suite_create ("policeshare");
  TCase *tc = tcase_create ("general");

  /* loopback only: keep GIO from asking libproxy (whose C++ exceptions
   * valgrind reports as errors) how to reach 127.0.0.1 */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 240);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_port_zero_and_sharing);
  tcase_add_test (tc, test_bad_settings_fail_cleanly);
  tcase_add_test (tc, test_rtspsrc_plays_with_digest);
  tcase_add_test (tc, test_upstream_gap_keeps_viewers);
  return s;
}

GST_CHECK_MAIN (policeshare);
