/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* healthserver: properties, binding (port 0, port in use, bad address),
 * state cycles, and real HTTP requests over a loopback socket. */
#include <gst/check/gstcheck.h>
#include <anninh/health-registry.h>
#include <json-glib/json-glib.h>

#include <stdio.h>

typedef struct
{
  guint status;
  gchar *head;                  /* status line and headers */
  gchar *body;
} Response;

static void
response_clear (Response * r)
{
  g_free (r->head);
  g_free (r->body);
}

/* One HTTP/1.0 request on a fresh connection; reads until the server
 * closes. */
static void
http_request (guint port, const gchar * method, const gchar * path,
    Response * r)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;
  GOutputStream *out;
  GInputStream *in;
  GByteArray *bytes = g_byte_array_new ();
  GError *err = NULL;
  gchar *req, *text, *split;
  guint8 buf[4096];
  gssize n;
  GSocketAddress *addr = g_inet_socket_address_new_from_string ("127.0.0.1",
      port);

  /* no proxy lookup: libproxy is slow and noisy under valgrind, and a
   * loopback server needs none */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 10);
  conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (addr), NULL,
      &err);
  g_object_unref (addr);
  fail_unless (conn != NULL, "connect to port %u: %s", port,
      err ? err->message : "");
  req = g_strdup_printf ("%s %s HTTP/1.0\r\nHost: 127.0.0.1:%u\r\n"
      "Connection: close\r\n\r\n", method, path, port);
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  fail_unless (g_output_stream_write_all (out, req, strlen (req), NULL, NULL,
          &err));
  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  while ((n = g_input_stream_read (in, buf, sizeof (buf), NULL, &err)) > 0)
    g_byte_array_append (bytes, buf, n);
  fail_unless (n == 0, "read: %s", err ? err->message : "");
  g_byte_array_append (bytes, (const guint8 *) "", 1);
  text = (gchar *) g_byte_array_free (bytes, FALSE);

  split = strstr (text, "\r\n\r\n");
  fail_unless (split != NULL, "no header end in %s", text);
  *split = '\0';
  r->head = g_strdup (text);
  r->body = g_strdup (split + 4);
  fail_unless (sscanf (r->head, "HTTP/1.%*d %u", &r->status) == 1);

  g_free (text);
  g_free (req);
  g_object_unref (conn);
  g_object_unref (client);
}

static gboolean
has_header (const Response * r, const gchar * line)
{
  gchar *needle = g_strdup_printf ("\r\n%s\r\n", line);
  gchar *head = g_strdup_printf ("%s\r\n", r->head);
  gboolean found = strstr (head, needle) != NULL;

  g_free (head);
  g_free (needle);
  return found;
}

static GstElement *
server_on_port_0 (GstBus ** bus)
{
  GstElement *e = gst_check_setup_element ("healthserver");

  g_object_set (e, "port", 0, NULL);
  if (bus) {
    *bus = gst_bus_new ();
    gst_element_set_bus (e, *bus);
  }
  return e;
}

static guint
bound_port (GstElement * e)
{
  guint port = 0;

  g_object_get (e, "port", &port, NULL);
  return port;
}

GST_START_TEST (test_properties)
{
  GstElement *e = gst_check_setup_element ("healthserver");
  gchar *address, *title;
  guint port, refresh;

  g_object_get (e, "address", &address, "port", &port, "title", &title,
      "refresh", &refresh, NULL);
  fail_unless_equals_string (address, "127.0.0.1");
  fail_unless_equals_int (port, 9090);
  fail_unless_equals_string (title, "Camera health");
  fail_unless_equals_int (refresh, 10);
  g_free (address);
  g_free (title);

  g_object_set (e, "address", "0.0.0.0", "port", 1234, "title", "Xã An Bình",
      "refresh", 0, NULL);
  g_object_get (e, "address", &address, "port", &port, "title", &title,
      "refresh", &refresh, NULL);
  fail_unless_equals_string (address, "0.0.0.0");
  fail_unless_equals_int (port, 1234);
  fail_unless_equals_string (title, "Xã An Bình");
  fail_unless_equals_int (refresh, 0);
  g_free (address);
  g_free (title);

  fail_unless_equals_int (g_list_length (GST_ELEMENT_PADS (e)), 0);
  gst_check_teardown_element (e);
}

GST_END_TEST;

GST_START_TEST (test_port_0_binds_and_serves)
{
  GstBus *bus;
  GstElement *e = server_on_port_0 (&bus);
  GstStructure *cam = gst_structure_new (ANNINH_HEALTH_KIND_CAMERA,
      "id", G_TYPE_STRING, "test-port-0-cam", "state", G_TYPE_STRING,
      "awaiting-repair", "site", G_TYPE_STRING, "Phường 3", NULL);
  const GstStructure *s;
  GstMessage *msg;
  JsonParser *parser = json_parser_new ();
  JsonObject *root;
  Response r = { 0, };
  guint port, msg_port = 0;
  gchar *url;

  anninh_health_registry_publish (cam);
  gst_structure_free (cam);

  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  port = bound_port (e);
  fail_unless (port != 0);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  s = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (s, "healthserver-listening"));
  fail_unless_equals_string (gst_structure_get_string (s, "address"),
      "127.0.0.1");
  fail_unless (gst_structure_get_uint (s, "port", &msg_port));
  fail_unless_equals_int (msg_port, port);
  url = g_strdup_printf ("http://127.0.0.1:%u/", port);
  fail_unless_equals_string (gst_structure_get_string (s, "url"), url);
  g_free (url);
  gst_message_unref (msg);

  http_request (port, "GET", "/health", &r);
  fail_unless_equals_int (r.status, 200);
  fail_unless (has_header (&r, "Content-Type: application/json"), "%s", r.head);
  fail_unless (json_parser_load_from_data (parser, r.body, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  {
    JsonArray *cams = json_object_get_array_member (root, "cameras");
    JsonObject *c0 = json_array_get_object_element (cams, 0);

    fail_unless_equals_int (json_array_get_length (cams), 1);
    fail_unless_equals_string (json_object_get_string_member (c0, "id"),
        "test-port-0-cam");
    fail_unless_equals_string (json_object_get_string_member (c0, "state"),
        "awaiting-repair");
  }
  response_clear (&r);

  http_request (port, "GET", "/metrics", &r);
  fail_unless_equals_int (r.status, 200);
  fail_unless (has_header (&r,
          "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
  fail_unless (strstr (r.body, "anninh_camera_state{camera=\"test-port-0-cam\""
          ",site=\"Phường 3\",link=\"\",state=\"awaiting-repair\"} 1\n"));
  response_clear (&r);

  http_request (port, "GET", "/", &r);
  fail_unless_equals_int (r.status, 200);
  fail_unless (has_header (&r, "Content-Type: text/html; charset=utf-8"));
  fail_unless (strstr (r.body, "test-port-0-cam"));
  fail_unless (strstr (r.body, "Phường 3"));
  response_clear (&r);

  /* HEAD: headers only */
  http_request (port, "HEAD", "/metrics", &r);
  fail_unless_equals_int (r.status, 200);
  fail_unless_equals_string (r.body, "");
  response_clear (&r);

  http_request (port, "GET", "/secret", &r);
  fail_unless_equals_int (r.status, 404);
  response_clear (&r);

  http_request (port, "POST", "/health", &r);
  fail_unless_equals_int (r.status, 405);
  fail_unless (has_header (&r, "Allow: GET, HEAD"), "%s", r.head);
  response_clear (&r);

  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  /* not serving: the property reads the configured port again */
  fail_unless_equals_int (bound_port (e), 0);

  anninh_health_registry_withdraw (ANNINH_HEALTH_KIND_CAMERA,
      "test-port-0-cam");
  g_object_unref (parser);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_check_teardown_element (e);
}

GST_END_TEST;

GST_START_TEST (test_port_in_use)
{
  GstBus *bus;
  GstElement *holder = server_on_port_0 (NULL);
  GstElement *contender = server_on_port_0 (&bus);
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;
  guint port;

  fail_unless_equals_int (gst_element_set_state (holder, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  port = bound_port (holder);
  g_object_set (contender, "port", port, NULL);

  fail_unless_equals_int (gst_element_set_state (contender, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_BUSY));
  fail_unless (strstr (err->message, "already in use") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);

  /* the holder one still serves */
  {
    Response r = { 0, };
    http_request (port, "GET", "/health", &r);
    fail_unless_equals_int (r.status, 200);
    response_clear (&r);
  }

  /* and once it stops, the port is free for the contender */
  gst_element_set_state (contender, GST_STATE_NULL);
  fail_unless_equals_int (gst_element_set_state (holder, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (contender, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (bound_port (contender), port);
  gst_element_set_state (contender, GST_STATE_NULL);

  gst_element_set_bus (contender, NULL);
  gst_object_unref (bus);
  gst_check_teardown_element (holder);
  gst_check_teardown_element (contender);
}

GST_END_TEST;

GST_START_TEST (test_bad_address)
{
  GstBus *bus;
  GstElement *e = server_on_port_0 (&bus);
  GstMessage *msg;
  GError *err = NULL;

  g_object_set (e, "address", "not-an-address", NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS));
  fail_unless (strstr (err->message, "not an IP address") != NULL);
  g_clear_error (&err);
  gst_message_unref (msg);

  /* an address of another machine cannot be bound either */
  g_object_set (e, "address", "192.0.2.1", NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "192.0.2.1") != NULL);
  g_clear_error (&err);
  gst_message_unref (msg);

  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_check_teardown_element (e);
}

GST_END_TEST;

GST_START_TEST (test_state_cycles)
{
  GstElement *e = server_on_port_0 (NULL);
  GstState states[] = { GST_STATE_READY, GST_STATE_PAUSED, GST_STATE_PLAYING,
    GST_STATE_NULL, GST_STATE_PLAYING, GST_STATE_READY, GST_STATE_PAUSED,
    GST_STATE_NULL, GST_STATE_PAUSED, GST_STATE_NULL
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (states); i++) {
    fail_unless_equals_int (gst_element_set_state (e, states[i]),
        GST_STATE_CHANGE_SUCCESS);
    if (states[i] != GST_STATE_NULL) {
      Response r = { 0, };
      http_request (bound_port (e), "GET", "/metrics", &r);
      fail_unless_equals_int (r.status, 200);
      response_clear (&r);
    } else {
      fail_unless_equals_int (bound_port (e), 0);
    }
  }
  gst_check_teardown_element (e);
}

GST_END_TEST;

/* Requests while entries come and go on other threads. */
static gpointer
churn (gpointer data)
{
  gint *stop = data;
  guint i = 0;

  while (!g_atomic_int_get (stop)) {
    gchar *id = g_strdup_printf ("churn%u", i++ % 50);
    GstStructure *e = gst_structure_new (ANNINH_HEALTH_KIND_CAMERA,
        "id", G_TYPE_STRING, id, "state", G_TYPE_STRING,
        (i % 3) ? "streaming" : "stalled", "fps", G_TYPE_DOUBLE, 25.0, NULL);
    anninh_health_registry_publish (e);
    gst_structure_free (e);
    if (i % 7 == 0)
      anninh_health_registry_withdraw (ANNINH_HEALTH_KIND_CAMERA, id);
    g_free (id);
    g_usleep (100);
  }
  return NULL;
}

GST_START_TEST (test_requests_during_churn)
{
  GstElement *e = server_on_port_0 (NULL);
  gint stop = 0;
  GThread *t;
  guint i, port;

  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  port = bound_port (e);
  t = g_thread_new ("churn", churn, &stop);
  for (i = 0; i < 20; i++) {
    Response r = { 0, };
    http_request (port, "GET", (i % 2) ? "/health" : "/metrics", &r);
    fail_unless_equals_int (r.status, 200);
    response_clear (&r);
  }
  g_atomic_int_set (&stop, 1);
  g_thread_join (t);
  for (i = 0; i < 50; i++) {
    gchar *id = g_strdup_printf ("churn%u", i);
    anninh_health_registry_withdraw (ANNINH_HEALTH_KIND_CAMERA, id);
    g_free (id);
  }
  gst_element_set_state (e, GST_STATE_NULL);
  gst_check_teardown_element (e);
}

GST_END_TEST;

/* One HTTP/1.1 keep-alive request, then the client hangs up, as curl and
 * Prometheus do: the server sees an idle connection closed by its peer. */
static void
keep_alive_request_then_hang_up (guint port)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketAddress *addr = g_inet_socket_address_new_from_string ("127.0.0.1",
      port);
  GSocketConnection *conn;
  GDataInputStream *in;
  GError *err = NULL;
  const gchar req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  gchar *line, *body;
  gsize length = 0;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (addr), NULL,
      &err);
  fail_unless (conn != NULL);
  fail_unless (g_output_stream_write_all (g_io_stream_get_output_stream
          (G_IO_STREAM (conn)), req, strlen (req), NULL, NULL, &err));
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM
          (conn)));
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  while ((line = g_data_input_stream_read_line (in, NULL, NULL, &err))
      && *line) {
    if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
      length = g_ascii_strtoull (line + 15, NULL, 10);
    g_free (line);
  }
  fail_unless (line != NULL, "%s", err ? err->message : "eof");
  g_free (line);
  fail_unless (length > 0);
  body = g_malloc (length);
  fail_unless (g_input_stream_read_all (G_INPUT_STREAM (in), body, length,
          NULL, NULL, &err));
  g_free (body);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_object_unref (in);
  g_object_unref (conn);
  g_object_unref (addr);
  g_object_unref (client);
}

static guint
open_fds (void)
{
  GDir *d = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  fail_unless (d != NULL);
  while (g_dir_read_name (d) != NULL)
    n++;
  g_dir_close (d);
  return n;
}

/* A scraper connects every few seconds for months: no connection may keep
 * a file descriptor (libsoup 3.2's own listener did, one per connection). */
GST_START_TEST (test_no_descriptor_per_connection)
{
  GstElement *e = server_on_port_0 (NULL);
  guint i, port, before, after;

  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  port = bound_port (e);
  before = open_fds ();
  for (i = 0; i < 30; i++) {
    Response r = { 0, };
    http_request (port, "GET", "/metrics", &r);
    fail_unless_equals_int (r.status, 200);
    response_clear (&r);
    keep_alive_request_then_hang_up (port);
  }
  /* the server closes its side once the response is out; give its thread
   * a moment to get there for the last one */
  for (i = 0; i < 50 && (after = open_fds ()) > before + 2; i++)
    g_usleep (20 * 1000);
  fail_unless (after <= before + 2, "%u descriptors before, %u after 60 "
      "connections", before, after);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_check_teardown_element (e);
}

GST_END_TEST;

static Suite *
healthserver_suite (void)
{
  Suite *s = suite_create ("healthserver");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_port_0_binds_and_serves);
  tcase_add_test (tc, test_port_in_use);
  tcase_add_test (tc, test_bad_address);
  tcase_add_test (tc, test_state_cycles);
  tcase_add_test (tc, test_requests_during_churn);
  tcase_add_test (tc, test_no_descriptor_per_connection);
  return s;
}

GST_CHECK_MAIN (healthserver);
