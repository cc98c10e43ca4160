/* embed-multiurisrc.c: swiftmultiurisrcbin inside a C application.
 *
 * The pipeline is built by hand, the way a DeepStream application builds
 * nvmultiurisrcbin into its own:
 *
 *   swiftmultiurisrcbin (DeepStream's property names, set with g_object_set)
 *     ! embedroiparse   (an element of this program: prints ROI events)
 *     ! fakesink
 *
 * - The bin posts "stream-add" / "stream-remove" element messages on the bus
 *   when a camera joins or leaves (from uri-list or over REST); the program
 *   prints them the way deepstream-test5 does.
 * - embedroiparse is a GstBaseTransform subclass registered with
 *   gst_element_register (no plugin needed). It reads the bin's ROI_UPDATE
 *   events (sent after POST /api/v1/roi/update) with DeepStream's C API,
 *   gst_nvevent_parse_roi_update from libswiftcustomevents
 *   (pkg-config swiftcustomevents), prints them and posts what it parsed
 *   as a "roi-parsed" element message.
 *
 * Usage:
 *   embed-multiurisrc [--port PORT] URI [URI...]
 *       plays the URIs and prints curl commands to try; Ctrl-C ends it.
 *   embed-multiurisrc --self-test [--port PORT] [--add-uri URI] URI [URI...]
 *       drives its own REST server over 127.0.0.1 (stream/add, roi/update,
 *       stream/remove) and exits 0 only when the bus messages and the parsed
 *       ROIs arrive, as sent, within bounded waits.
 *
 * The plugin is found through GST_PLUGIN_PATH (a folder holding only
 * libgstswiftmultiurisrc.so). Build: see examples/run-examples.sh. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

#include <gst-nvcustomevent.h>  /* DeepStream's gst_nvevent_* API */

/* ======================================================================
 * embedroiparse: a passthrough element that parses ROI_UPDATE events
 * ====================================================================== */

typedef struct
{
  GstBaseTransform parent;
} EmbedRoiParse;

typedef struct
{
  GstBaseTransformClass parent_class;
} EmbedRoiParseClass;

G_DEFINE_TYPE (EmbedRoiParse, embed_roi_parse, GST_TYPE_BASE_TRANSFORM);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* Serialized events reach sink_event in order with the buffers, on the
 * streaming thread: parse, tell the application, then pass the event on so
 * elements further down (nvdspreprocess in DeepStream) see it too. */
static gboolean
embed_roi_parse_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  /* The custom type values are DeepStream's: compare as numbers, the two
   * enums are different C types. */
  if ((guint) GST_EVENT_TYPE (event) == (guint) GST_NVEVENT_ROI_UPDATE) {
    gchar *stream_id = NULL;    /* the parser writes only on success: */
    guint roi_count = 0;        /* initialise the outputs */
    RoiDimension *rois = NULL;
    GString *text = g_string_new (NULL);

    gst_nvevent_parse_roi_update (event, &stream_id, &roi_count, &rois);
    for (guint i = 0; i < roi_count; i++)
      g_string_append_printf (text, "%s%s:%u,%u,%u,%u", i ? ";" : "",
          rois[i].roi_id, rois[i].left, rois[i].top, rois[i].width,
          rois[i].height);
    g_print ("embedroiparse: ROI update for stream %s: %u roi(s) %s\n",
        stream_id ? stream_id : "?", roi_count, text->str);

    /* Messages are how an element talks to the application thread. */
    gst_element_post_message (GST_ELEMENT (trans),
        gst_message_new_element (GST_OBJECT (trans),
            gst_structure_new ("roi-parsed",
                "stream-id", G_TYPE_STRING, stream_id ? stream_id : "",
                "roi-count", G_TYPE_UINT, roi_count,
                "rois", G_TYPE_STRING, text->str, NULL)));

    g_string_free (text, TRUE);
    g_free (stream_id);         /* ownership: see the header */
    g_free (rois);
  }
  return GST_BASE_TRANSFORM_CLASS (embed_roi_parse_parent_class)->sink_event
      (trans, event);
}

/* Buffers pass untouched. */
static GstFlowReturn
embed_roi_parse_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  (void) trans;
  (void) buf;
  return GST_FLOW_OK;
}

static void
embed_roi_parse_class_init (EmbedRoiParseClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "ROI event parser",
      "Filter", "Prints DeepStream ROI_UPDATE events", "swift-multiurisrc");
  trans_class->sink_event = embed_roi_parse_sink_event;
  trans_class->transform_ip = embed_roi_parse_transform_ip;
}

static void
embed_roi_parse_init (EmbedRoiParse * self)
{
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}

/* ======================================================================
 * The application: what the bus says
 * ====================================================================== */

typedef struct
{
  GstElement *pipeline;
  GMainLoop *loop;              /* interactive mode only */
  guint16 port;                 /* of the REST server */
  gboolean failed;              /* an ERROR message arrived */
  GHashTable *added;            /* sensor-id -> source-id, from stream-add */
  GHashTable *removed;          /* sensor-ids, from stream-remove */
  guint rois_parsed;            /* roi-parsed messages */
  gchar *roi_stream_id;         /* the last one's fields */
  gchar *rois;
} App;

static void
handle_message (App * app, GstMessage * msg)
{
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);
      if (gst_structure_has_name (s, "stream-add")
          || gst_structure_has_name (s, "stream-remove")) {
        /* DeepStream's fields: source-id (uint), sensor-id, sensor-name,
         * uri (strings). */
        guint source_id = 0;
        const gchar *sensor = gst_structure_get_string (s, "sensor-id");
        const gchar *name = gst_structure_get_string (s, "sensor-name");
        const gchar *uri = gst_structure_get_string (s, "uri");
        gst_structure_get_uint (s, "source-id", &source_id);
        if (sensor == NULL)
          sensor = "";
        if (gst_structure_has_name (s, "stream-add")) {
          g_print ("new stream added [%u:%s:%s] %s\n", source_id, sensor,
              name ? name : "", uri ? uri : "");
          g_hash_table_insert (app->added, g_strdup (sensor),
              GUINT_TO_POINTER (source_id));
        } else {
          g_print ("new stream removed [%u:%s]\n", source_id, sensor);
          g_hash_table_add (app->removed, g_strdup (sensor));
        }
      } else if (gst_structure_has_name (s, "roi-parsed")) {
        app->rois_parsed++;
        g_free (app->roi_stream_id);
        g_free (app->rois);
        app->roi_stream_id = g_strdup (gst_structure_get_string (s,
                "stream-id"));
        app->rois = g_strdup (gst_structure_get_string (s, "rois"));
      }
      break;
    }
    case GST_MESSAGE_WARNING:{
      GError *err = NULL;
      gst_message_parse_warning (msg, &err, NULL);
      g_printerr ("warning from %s: %s\n", GST_OBJECT_NAME (msg->src),
          err->message);
      g_clear_error (&err);
      break;
    }
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *debug = NULL;
      gst_message_parse_error (msg, &err, &debug);
      g_printerr ("ERROR from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
          err->message, debug ? debug : "");
      g_clear_error (&err);
      g_free (debug);
      app->failed = TRUE;
      if (app->loop)
        g_main_loop_quit (app->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_print ("end of stream\n");
      if (app->loop)
        g_main_loop_quit (app->loop);
      break;
    default:
      break;
  }
}

/* Interactive mode: the main loop hands every message to handle_message. */
static gboolean
bus_watch (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  (void) bus;
  handle_message (user_data, msg);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint (gpointer user_data)
{
  App *app = user_data;
  g_print ("interrupted: stopping\n");
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

/* Self-test: reads bus messages until done (app) is true, an ERROR arrives
 * or seconds pass; no main loop needed, messages wait in the bus' queue. */
static gboolean
wait_until (App * app, gboolean (*done) (App *), gint seconds,
    const gchar * what)
{
  GstBus *bus = gst_element_get_bus (app->pipeline);
  gint64 deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  gboolean ok;

  while (!(ok = done (app)) && !app->failed) {
    gint64 left = deadline - g_get_monotonic_time ();
    if (left <= 0)
      break;
    GstMessage *msg = gst_bus_timed_pop (bus, left * GST_USECOND);
    if (msg) {
      handle_message (app, msg);
      gst_message_unref (msg);
    }
  }
  gst_object_unref (bus);
  if (!ok)
    g_printerr ("self-test: FAILED: no %s within %d s\n", what, seconds);
  return ok;
}

/* ======================================================================
 * A small HTTP/1.1 client over 127.0.0.1 (the server closes each
 * connection after its answer: read until EOF)
 * ====================================================================== */

/* Returns the outcome: the body's "status" ("HTTP/1.1 200 OK": DeepStream
 * answers status line 200 for every outcome of its routes), else the status
 * line's code; -1 when there was no answer. *body_out gets the body. */
static int
http_request (guint16 port, const gchar * method, const gchar * path,
    const gchar * json, gchar ** body_out)
{
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port) };
  struct timeval limit = { .tv_sec = 10 };      /* every wait bounded */
  GString *request = g_string_new (NULL), *reply = g_string_new (NULL);
  int outcome = -1;

  *body_out = NULL;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  g_string_printf (request, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
      "Connection: close\r\n", method, path, port);
  if (json)
    g_string_append_printf (request, "Content-Type: application/json\r\n"
        "Content-Length: %zu\r\n\r\n%s", strlen (json), json);
  else
    g_string_append (request, "\r\n");

  if (fd >= 0 && connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0
      && send (fd, request->str, request->len, MSG_NOSIGNAL)
      == (ssize_t) request->len) {
    char chunk[4096];
    ssize_t n;
    while ((n = recv (fd, chunk, sizeof chunk, 0)) > 0)
      g_string_append_len (reply, chunk, n);
    const gchar *body = strstr (reply->str, "\r\n\r\n");
    int line_status;
    if (body && sscanf (reply->str, "HTTP/1.%*d %d", &line_status) == 1) {
      const gchar *status = strstr (body, "\"status\"");
      const gchar *code = status ? strstr (status, "HTTP/1.1 ") : NULL;
      outcome = code ? atoi (code + strlen ("HTTP/1.1 ")) : line_status;
      *body_out = g_strdup (body + 4);
    }
  }
  if (fd >= 0)
    close (fd);
  g_string_free (request, TRUE);
  g_string_free (reply, TRUE);
  return outcome;
}

/* One REST call of the self-test, shown as curl would send it. */
static gboolean
rest (guint16 port, const gchar * method, const gchar * route,
    const gchar * json, gboolean want_ok)
{
  gchar *path = g_strdup_printf ("/api/v1/%s", route), *body = NULL;
  int outcome;

  g_print (">>> %s http://127.0.0.1:%u%s %s\n", method, port, path,
      json ? json : "");
  outcome = http_request (port, method, path, json, &body);
  g_print ("<<< %d %s\n", outcome, body ? body : "(no answer)");
  g_free (path);
  g_free (body);
  if (want_ok != (outcome == 200)) {
    g_printerr ("self-test: FAILED: %s %s answered %d, expected %s\n",
        method, route, outcome, want_ok ? "200" : "a refusal");
    return FALSE;
  }
  return TRUE;
}

/* A port nobody listens on: bind port 0, read what the kernel chose. */
static guint16
free_port (void)
{
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = { .sin_family = AF_INET };
  socklen_t len = sizeof addr;
  guint16 port = 0;

  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0
      && getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
    port = ntohs (addr.sin_port);
  if (fd >= 0)
    close (fd);
  return port;
}

/* ======================================================================
 * The self-test: add a camera, send it ROIs, remove it
 * ====================================================================== */

#define ADDED_CAMERA "cam-rest"

static gboolean
rest_is_up (App * app)
{
  gchar *body = NULL;
  int outcome = http_request (app->port, "GET", "/api/v1/stream/get-stream-info",
      NULL, &body);
  g_free (body);
  if (outcome != 200)
    g_usleep (200 * 1000);      /* not yet: try again shortly */
  return outcome == 200;
}

static gboolean
camera_added (App * app)
{
  return g_hash_table_contains (app->added, ADDED_CAMERA);
}

static gboolean
roi_parsed (App * app)
{
  return app->rois_parsed > 0;
}

static gboolean
camera_removed (App * app)
{
  return g_hash_table_contains (app->removed, ADDED_CAMERA);
}

static int
self_test (App * app, const gchar * add_uri)
{
  guint16 port = app->port;
  /* The two rectangles sent below; the parsed event must carry exactly
   * these (id:left,top,width,height). */
  const gchar *expected_rois = "door:10,20,160,120;1:100,60,40,30";
  gchar *json, *source_id;
  gboolean ok;

  if (!wait_until (app, rest_is_up, 30, "answer of the REST server"))
    return 1;

  /* Control: a ROI update for a camera that is not there yet is refused,
   * and must not reach embedroiparse (checked at the end). */
  json = g_strdup_printf ("{\"stream\":{\"stream_id\":\"%s\",\"roi_count\":1,"
      "\"roi\":[{\"roi_id\":\"x\",\"left\":1,\"top\":2,\"width\":3,"
      "\"height\":4}]}}", ADDED_CAMERA);
  ok = rest (port, "POST", "roi/update", json, FALSE);
  g_free (json);
  if (!ok)
    return 1;

  /* stream/add: DeepStream's sensor body. */
  json = g_strdup_printf ("{\"key\":\"sensor\",\"value\":{\"camera_id\":\"%s\","
      "\"camera_name\":\"added over REST\",\"camera_url\":\"%s\","
      "\"change\":\"camera_add\"}}", ADDED_CAMERA, add_uri);
  ok = rest (port, "POST", "stream/add", json, TRUE);
  g_free (json);
  if (!ok || !wait_until (app, camera_added, 20, "stream-add message for "
          ADDED_CAMERA))
    return 1;
  source_id = g_strdup_printf ("%u", GPOINTER_TO_UINT (g_hash_table_lookup
          (app->added, ADDED_CAMERA)));

  /* roi/update for the new camera, by its source id. */
  json = g_strdup_printf ("{\"stream\":{\"stream_id\":\"%s\",\"roi_count\":2,"
      "\"roi\":[{\"roi_id\":\"door\",\"left\":10,\"top\":20,\"width\":160,"
      "\"height\":120},{\"roi_id\":\"1\",\"left\":100,\"top\":60,"
      "\"width\":40,\"height\":30}]}}", source_id);
  ok = rest (port, "POST", "roi/update", json, TRUE)
      && wait_until (app, roi_parsed, 20, "ROI event parsed by embedroiparse");
  g_free (json);
  if (ok && (g_strcmp0 (app->roi_stream_id, source_id) != 0
          || g_strcmp0 (app->rois, expected_rois) != 0)) {
    g_printerr ("self-test: FAILED: parsed stream %s rois %s, expected "
        "stream %s rois %s\n", app->roi_stream_id, app->rois, source_id,
        expected_rois);
    ok = FALSE;
  }
  g_free (source_id);
  if (!ok)
    return 1;

  json = g_strdup_printf ("{\"key\":\"sensor\",\"value\":{\"camera_id\":\"%s\","
      "\"camera_url\":\"%s\",\"change\":\"camera_remove\"}}", ADDED_CAMERA,
      add_uri);
  ok = rest (port, "POST", "stream/remove", json, TRUE);
  g_free (json);
  if (!ok || !wait_until (app, camera_removed, 20, "stream-remove message for "
          ADDED_CAMERA))
    return 1;

  if (app->rois_parsed != 1) {
    g_printerr ("self-test: FAILED: %u ROI events parsed, expected 1 (the "
        "refused update must not send one)\n", app->rois_parsed);
    return 1;
  }
  g_print ("self-test: passed (stream-add, ROI %s, stream-remove)\n",
      expected_rois);
  return 0;
}

/* ======================================================================
 * main: build the pipeline by hand
 * ====================================================================== */

int
main (int argc, char **argv)
{
  gboolean self_test_mode = FALSE;
  gint port_arg = 0;
  gchar *add_uri = NULL, **uris = NULL;
  GOptionEntry entries[] = {
    {"self-test", 0, 0, G_OPTION_ARG_NONE, &self_test_mode,
        "Drive the REST server and check what arrives", NULL},
    {"port", 0, 0, G_OPTION_ARG_INT, &port_arg,
        "REST port (default: a free one)", "PORT"},
    {"add-uri", 0, 0, G_OPTION_ARG_STRING, &add_uri,
        "URI the self-test adds (default: the first URI)", "URI"},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &uris, NULL, "URI..."},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
  };
  GOptionContext *ctx = g_option_context_new ("URI... - swiftmultiurisrcbin "
      "embedded in C");
  GError *err = NULL;
  int rc = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || uris == NULL) {
    g_printerr ("%s\n", err ? err->message : "give at least one URI");
    return 2;
  }
  g_option_context_free (ctx);

  /* Our element, registered in this process only (no plugin file). */
  if (!gst_element_register (NULL, "embedroiparse", GST_RANK_NONE,
          embed_roi_parse_get_type ()))
    return 1;

  GstElement *pipeline = gst_pipeline_new ("embed");
  GstElement *src = gst_element_factory_make ("swiftmultiurisrcbin", "src");
  GstElement *roi = gst_element_factory_make ("embedroiparse", "roi");
  GstElement *sink = gst_element_factory_make ("fakesink", "sink");
  if (!src || !roi || !sink) {
    g_printerr ("swiftmultiurisrcbin not found: point GST_PLUGIN_PATH at a "
        "folder holding only libgstswiftmultiurisrc.so\n");
    return 1;
  }

  /* DeepStream's lists are comma-separated and matched by position. */
  guint n = g_strv_length (uris);
  GString *ids = g_string_new (NULL), *names = g_string_new (NULL);
  for (guint i = 0; i < n; i++) {
    g_string_append_printf (ids, "%scam-%u", i ? "," : "", i);
    g_string_append_printf (names, "%scamera %u", i ? "," : "", i);
  }
  gchar *uri_list = g_strjoinv (",", uris);
  guint16 port = port_arg > 0 ? (guint16) port_arg : free_port ();
  gchar *port_str = g_strdup_printf ("%u", port);   /* a string, as in DS */

  /* The same names and C types a DeepStream application passes to
   * nvmultiurisrcbin (g_object_set stops at the first unknown name). */
  g_object_set (src,
      "uri-list", uri_list,
      "sensor-id-list", ids->str,
      "sensor-name-list", names->str,
      "ip-address", "127.0.0.1",        /* loopback only */
      "port", port_str,
      "max-batch-size", (guint) 4,      /* at most 4 cameras */
      "live-source", TRUE,              /* files paced like cameras */
      "file-loop", TRUE,                /* files start again at their end */
      "drop-pipeline-eos", TRUE,        /* no EOS when the last one leaves */
      NULL);
  g_object_set (sink, "sync", TRUE, NULL);

  gst_bin_add_many (GST_BIN (pipeline), src, roi, sink, NULL);
  if (!gst_element_link_many (src, roi, sink, NULL)) {
    g_printerr ("could not link the pipeline\n");
    return 1;
  }

  App app = { .pipeline = pipeline, .port = port };
  app.added = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  app.removed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    g_printerr ("the pipeline did not start\n");
    return 1;
  }

  if (self_test_mode) {
    rc = self_test (&app, add_uri ? add_uri : uris[0]);
    if (app.failed)
      rc = 1;
  } else {
    g_print ("REST server on 127.0.0.1:%u. Try:\n"
        "  curl -s http://127.0.0.1:%u/api/v1/stream/get-stream-info\n"
        "  curl -s -XPOST http://127.0.0.1:%u/api/v1/stream/add -d "
        "'{\"key\":\"sensor\",\"value\":{\"camera_id\":\"cam-new\","
        "\"camera_url\":\"%s\",\"change\":\"camera_add\"}}'\n"
        "  curl -s -XPOST http://127.0.0.1:%u/api/v1/roi/update -d "
        "'{\"stream\":{\"stream_id\":\"0\",\"roi_count\":1,\"roi\":[{"
        "\"roi_id\":\"a\",\"left\":10,\"top\":20,\"width\":30,\"height\":40}]}}'\n"
        "  curl -s -XPOST http://127.0.0.1:%u/api/v1/stream/remove -d "
        "'{\"key\":\"sensor\",\"value\":{\"camera_id\":\"cam-new\","
        "\"camera_url\":\"%s\",\"change\":\"camera_remove\"}}'\n"
        "Ctrl-C ends it.\n", port, port, port, uris[0], port, port, uris[0]);
    GstBus *bus = gst_element_get_bus (pipeline);
    app.loop = g_main_loop_new (NULL, FALSE);
    gst_bus_add_watch (bus, bus_watch, &app);
    g_unix_signal_add (SIGINT, on_sigint, &app);
    g_main_loop_run (app.loop);
    gst_bus_remove_watch (bus);
    gst_object_unref (bus);
    g_main_loop_unref (app.loop);
    rc = app.failed ? 1 : 0;
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_hash_table_unref (app.added);
  g_hash_table_unref (app.removed);
  g_free (app.roi_stream_id);
  g_free (app.rois);
  g_free (uri_list);
  g_free (port_str);
  g_free (add_uri);
  g_strfreev (uris);
  g_string_free (ids, TRUE);
  g_string_free (names, TRUE);
  return rc;
}
