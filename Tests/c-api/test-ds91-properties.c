/* Sets every property of DeepStream 9.1's nvmultiurisrcbin on
 * swiftmultiurisrcbin the way a C application written for DeepStream does:
 * one g_object_set call with DeepStream's C types (gboolean, gint, guint,
 * guint64, gchar *, enum values as gint). g_object_set stops at the first
 * name it does not know, so every later value would be lost; each value is
 * read back with g_object_get and compared. Before that, each name must be
 * found by g_object_class_find_property with DeepStream's fundamental type,
 * and enums must use this plugin's own GType names (nvmultiurisrcbin's
 * can be registered in the same process).
 *
 * The plugin is found through GST_PLUGIN_PATH. Exits 0 and prints
 * "all checks passed", or exits 1 naming the first property that differs. */
#include <stdio.h>
#include <string.h>
#include <gst/gst.h>

typedef enum { K_BOOL, K_INT, K_UINT, K_UINT64, K_STRING, K_ENUM } Kind;

typedef struct {
  const gchar *name;
  Kind kind;
  gint64 number;                /* bool, int, uint, enum */
  guint64 number64;             /* uint64 */
  const gchar *text;            /* string */
} Expected;

/* The values set below, in DeepStream's order of installation. None is
 * the default, so a property that was not set reads back differently. */
static const Expected expected[] = {
  {"uri-list", K_STRING, 0, 0, "file:///tmp/a.mp4,file:///tmp/b.mp4"},
  {"sensor-id-list", K_STRING, 0, 0, "camA,camB"},
  {"sensor-name-list", K_STRING, 0, 0, "Front,Back"},
  {"mode", K_ENUM, 1, 0, NULL},
  {"disable-audio", K_BOOL, FALSE, 0, NULL},
  {"ip-address", K_STRING, 0, 0, "127.0.0.1"},
  {"disable-passthrough", K_BOOL, TRUE, 0, NULL},
  {"port", K_STRING, 0, 0, "0"},
  {"sei-uuid", K_STRING, 0, 0, "0123456789abcdef0123456789abcdef"},
  {"max-batch-size", K_UINT, 16, 0, NULL},
  {"num-extra-surfaces", K_UINT, 3, 0, NULL},
  {"gpu-id", K_UINT, 1, 0, NULL},
  {"cudadec-memtype", K_ENUM, 2, 0, NULL},
  {"drop-frame-interval", K_UINT, 5, 0, NULL},
  {"drop-on-latency", K_BOOL, FALSE, 0, NULL},
  {"extract-sei-type5-data-dec", K_BOOL, TRUE, 0, NULL},
  {"low-latency-mode", K_BOOL, TRUE, 0, NULL},
  {"dec-skip-frames", K_ENUM, 2, 0, NULL},
  {"buffer-mode", K_ENUM, 1, 0, NULL},
  {"select-rtp-protocol", K_ENUM, 4, 0, NULL},
  {"leaky", K_ENUM, 2, 0, NULL},
  {"max-size-buffers", K_UINT, 50, 0, NULL},
  {"file-loop", K_BOOL, TRUE, 0, NULL},
  {"rtsp-reconnect-interval", K_UINT, 10, 0, NULL},
  {"init-rtsp-reconnect-interval", K_UINT, 3, 0, NULL},
  {"rtsp-reconnect-attempts", K_INT, 5, 0, NULL},
  {"latency", K_UINT, 250, 0, NULL},
  {"udp-buffer-size", K_UINT, 1048576, 0, NULL},
  {"smart-record", K_ENUM, 2, 0, NULL},
  {"smart-rec-dir-path", K_STRING, 0, 0, "/tmp/recordings"},
  {"smart-rec-file-prefix", K_STRING, 0, 0, "cam"},
  {"smart-rec-video-cache", K_UINT, 7, 0, NULL},
  {"smart-rec-cache", K_UINT, 15, 0, NULL},
  {"smart-rec-container", K_ENUM, 1, 0, NULL},
  {"smart-rec-mode", K_ENUM, 1, 0, NULL},
  {"smart-rec-default-duration", K_UINT, 30, 0, NULL},
  {"ipc-buffer-timestamp-copy", K_BOOL, TRUE, 0, NULL},
  {"ipc-socket-path", K_STRING, 0, 0, "/tmp/ipc.sock"},
  {"ipc-connection-attempts", K_INT, 4, 0, NULL},
  {"ipc-connection-interval", K_UINT64, 0, G_GUINT64_CONSTANT (5000000000), NULL},
  {"sensorID-padID-mapping", K_BOOL, TRUE, 0, NULL},
  {"enable-error-propagation", K_BOOL, TRUE, 0, NULL},
  {"proto-lib", K_STRING, 0, 0, "/opt/lib/libproto.so"},
  {"conn-str", K_STRING, 0, 0, "localhost;9092"},
  {"topic", K_STRING, 0, 0, "errors"},
  {"simulate-fps-interval-ms", K_UINT, 40, 0, NULL},
  {"batched-push-timeout", K_INT, 40000, 0, NULL},
  {"width", K_UINT, 640, 0, NULL},
  {"height", K_UINT, 480, 0, NULL},
  {"enable-padding", K_BOOL, TRUE, 0, NULL},
  {"num-surfaces-per-frame", K_UINT, 2, 0, NULL},
  {"live-source", K_BOOL, TRUE, 0, NULL},
  {"sync-inputs", K_BOOL, TRUE, 0, NULL},
  {"buffer-pool-size", K_UINT, 16, 0, NULL},
  {"max-latency", K_UINT, 33000000, 0, NULL},
  {"attach-sys-ts", K_BOOL, FALSE, 0, NULL},
  {"config-file-path", K_STRING, 0, 0, "/tmp/mux-config.txt"},
  {"nvbuf-memory-type", K_ENUM, 3, 0, NULL},
  {"compute-hw", K_ENUM, 1, 0, NULL},
  {"interpolation-method", K_ENUM, 4, 0, NULL},
  {"frame-num-reset-on-eos", K_BOOL, TRUE, 0, NULL},
  {"frame-num-reset-on-stream-reset", K_BOOL, TRUE, 0, NULL},
  {"frame-duration", K_INT, 33, 0, NULL},
  {"async-process", K_BOOL, FALSE, 0, NULL},
  {"drop-pipeline-eos", K_BOOL, TRUE, 0, NULL},
  {"extract-sei-type5-data", K_BOOL, TRUE, 0, NULL},
  {"sort-batch", K_BOOL, TRUE, 0, NULL},
  {"cache-buffer", K_BOOL, TRUE, 0, NULL},
  {"cache-buffer-timeout", K_INT, 100000, 0, NULL},
  {"extract-sei-sim-time", K_BOOL, TRUE, 0, NULL},
  {"align-first-buffer", K_BOOL, TRUE, 0, NULL},
  {"sync-inputs-ntp", K_INT, 2000, 0, NULL},
  {"drop-backward-sei", K_BOOL, TRUE, 0, NULL},
};

/* GLib warnings and criticals (an unknown property, a value of the wrong
 * type or out of range) are counted: each means a value was lost. */
static int glib_complaints = 0;

static void
count_complaint (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer data)
{
  (void) data;
  glib_complaints++;
  g_printerr ("GLib %s (%s): %s\n",
      (level & G_LOG_LEVEL_CRITICAL) ? "critical" : "warning",
      domain ? domain : "-", message);
}

static GType
fundamental_of (Kind kind)
{
  switch (kind) {
    case K_BOOL: return G_TYPE_BOOLEAN;
    case K_INT: return G_TYPE_INT;
    case K_UINT: return G_TYPE_UINT;
    case K_UINT64: return G_TYPE_UINT64;
    case K_STRING: return G_TYPE_STRING;
    case K_ENUM: return G_TYPE_ENUM;
  }
  return G_TYPE_INVALID;
}

/* 0 when `name` reads back as expected; otherwise prints why and returns 1. */
static int
check_value (GObject * object, const Expected * e)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), e->name);
  GValue v = G_VALUE_INIT;
  int bad = 0;
  if (pspec == NULL) {
    g_printerr ("mismatch: %s is not a property\n", e->name);
    return 1;
  }
  g_value_init (&v, G_PARAM_SPEC_VALUE_TYPE (pspec));
  g_object_get_property (object, e->name, &v);
  switch (e->kind) {
    case K_BOOL:
      if (g_value_get_boolean (&v) != (e->number != 0)) {
        g_printerr ("mismatch: %s reads %d, set %d\n", e->name, g_value_get_boolean (&v), (int) e->number);
        bad = 1;
      }
      break;
    case K_INT:
      if (g_value_get_int (&v) != e->number) {
        g_printerr ("mismatch: %s reads %d, set %" G_GINT64_FORMAT "\n", e->name, g_value_get_int (&v), e->number);
        bad = 1;
      }
      break;
    case K_UINT:
      if (g_value_get_uint (&v) != e->number) {
        g_printerr ("mismatch: %s reads %u, set %" G_GINT64_FORMAT "\n", e->name, g_value_get_uint (&v), e->number);
        bad = 1;
      }
      break;
    case K_UINT64:
      if (g_value_get_uint64 (&v) != e->number64) {
        g_printerr ("mismatch: %s reads %" G_GUINT64_FORMAT ", set %" G_GUINT64_FORMAT "\n", e->name,
            g_value_get_uint64 (&v), e->number64);
        bad = 1;
      }
      break;
    case K_ENUM:
      if (g_value_get_enum (&v) != e->number) {
        g_printerr ("mismatch: %s reads %d, set %" G_GINT64_FORMAT "\n", e->name, g_value_get_enum (&v), e->number);
        bad = 1;
      }
      break;
    case K_STRING:
      if (g_strcmp0 (g_value_get_string (&v), e->text) != 0) {
        g_printerr ("mismatch: %s reads \"%s\", set \"%s\"\n", e->name,
            g_value_get_string (&v) ? g_value_get_string (&v) : "(null)", e->text);
        bad = 1;
      }
      break;
  }
  g_value_unset (&v);
  return bad;
}

int
main (int argc, char **argv)
{
  GstElement *bin;
  GObjectClass *klass;
  gsize i, n = G_N_ELEMENTS (expected);
  const gchar *ds_types[] = { "GstNvMultiUriSrcBinModeType2", "GstNvUriSrcBinCudaDecMemType2",
    "SkipFrames2", "RtpProtocol2", "Leaky2", "BufferMode2", "SmartRecordType2",
    "SmartRecordMode2", "SmartRecordContainerType2" };

  gst_init (&argc, &argv);
  g_log_set_handler ("GLib-GObject", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL, count_complaint, NULL);
  g_log_set_handler ("GStreamer", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL, count_complaint, NULL);

  bin = gst_element_factory_make ("swiftmultiurisrcbin", NULL);
  if (bin == NULL) {
    g_printerr ("mismatch: gst_element_factory_make (\"swiftmultiurisrcbin\") failed; GST_PLUGIN_PATH=%s\n",
        g_getenv ("GST_PLUGIN_PATH") ? g_getenv ("GST_PLUGIN_PATH") : "(unset)");
    return 1;
  }
  gst_object_ref_sink (bin);
  klass = G_OBJECT_GET_CLASS (bin);

  /* Every name, with DeepStream's fundamental type; enums under our names. */
  for (i = 0; i < n; i++) {
    GParamSpec *pspec = g_object_class_find_property (klass, expected[i].name);
    GType want = fundamental_of (expected[i].kind);
    if (pspec == NULL) {
      g_printerr ("mismatch: %s is not a property of swiftmultiurisrcbin\n", expected[i].name);
      return 1;
    }
    if (G_TYPE_FUNDAMENTAL (G_PARAM_SPEC_VALUE_TYPE (pspec)) != want) {
      g_printerr ("mismatch: %s is a %s, DeepStream's is a %s\n", expected[i].name,
          g_type_name (G_TYPE_FUNDAMENTAL (G_PARAM_SPEC_VALUE_TYPE (pspec))), g_type_name (want));
      return 1;
    }
    if (want == G_TYPE_ENUM
        && !g_str_has_prefix (g_type_name (G_PARAM_SPEC_VALUE_TYPE (pspec)), "GstSwiftMultiUriSrcBin")) {
      g_printerr ("mismatch: %s's enum type %s is not this plugin's own\n", expected[i].name,
          g_type_name (G_PARAM_SPEC_VALUE_TYPE (pspec)));
      return 1;
    }
    if ((pspec->flags & G_PARAM_READWRITE) != G_PARAM_READWRITE) {
      g_printerr ("mismatch: %s is not readable and writable\n", expected[i].name);
      return 1;
    }
  }
  for (i = 0; i < G_N_ELEMENTS (ds_types); i++) {
    if (g_type_from_name (ds_types[i]) != 0) {
      g_printerr ("mismatch: the plugin registered DeepStream's GType name %s\n", ds_types[i]);
      return 1;
    }
  }

  /* One call, as DeepStream applications make it. */
  g_object_set (G_OBJECT (bin),
      "uri-list", "file:///tmp/a.mp4,file:///tmp/b.mp4",
      "sensor-id-list", "camA,camB",
      "sensor-name-list", "Front,Back",
      "mode", (gint) 1,
      "disable-audio", (gboolean) FALSE,
      "ip-address", "127.0.0.1",
      "disable-passthrough", (gboolean) TRUE,
      "port", "0",
      "sei-uuid", "0123456789abcdef0123456789abcdef",
      "max-batch-size", (guint) 16,
      "num-extra-surfaces", (guint) 3,
      "gpu-id", (guint) 1,
      "cudadec-memtype", (gint) 2,
      "drop-frame-interval", (guint) 5,
      "drop-on-latency", (gboolean) FALSE,
      "extract-sei-type5-data-dec", (gboolean) TRUE,
      "low-latency-mode", (gboolean) TRUE,
      "dec-skip-frames", (gint) 2,
      "buffer-mode", (gint) 1,
      "select-rtp-protocol", (gint) 4,
      "leaky", (gint) 2,
      "max-size-buffers", (guint) 50,
      "file-loop", (gboolean) TRUE,
      "rtsp-reconnect-interval", (guint) 10,
      "init-rtsp-reconnect-interval", (guint) 3,
      "rtsp-reconnect-attempts", (gint) 5,
      "latency", (guint) 250,
      "udp-buffer-size", (guint) 1048576,
      "smart-record", (gint) 2,
      "smart-rec-dir-path", "/tmp/recordings",
      "smart-rec-file-prefix", "cam",
      "smart-rec-video-cache", (guint) 7,
      "smart-rec-cache", (guint) 15,
      "smart-rec-container", (gint) 1,
      "smart-rec-mode", (gint) 1,
      "smart-rec-default-duration", (guint) 30,
      "ipc-buffer-timestamp-copy", (gboolean) TRUE,
      "ipc-socket-path", "/tmp/ipc.sock",
      "ipc-connection-attempts", (gint) 4,
      "ipc-connection-interval", (guint64) G_GUINT64_CONSTANT (5000000000),
      "sensorID-padID-mapping", (gboolean) TRUE,
      "enable-error-propagation", (gboolean) TRUE,
      "proto-lib", "/opt/lib/libproto.so",
      "conn-str", "localhost;9092",
      "topic", "errors",
      "simulate-fps-interval-ms", (guint) 40,
      "batched-push-timeout", (gint) 40000,
      "width", (guint) 640,
      "height", (guint) 480,
      "enable-padding", (gboolean) TRUE,
      "num-surfaces-per-frame", (guint) 2,
      "live-source", (gboolean) TRUE,
      "sync-inputs", (gboolean) TRUE,
      "buffer-pool-size", (guint) 16,
      "max-latency", (guint) 33000000,
      "attach-sys-ts", (gboolean) FALSE,
      "config-file-path", "/tmp/mux-config.txt",
      "nvbuf-memory-type", (gint) 3,
      "compute-hw", (gint) 1,
      "interpolation-method", (gint) 4,
      "frame-num-reset-on-eos", (gboolean) TRUE,
      "frame-num-reset-on-stream-reset", (gboolean) TRUE,
      "frame-duration", (gint) 33,
      "async-process", (gboolean) FALSE,
      "drop-pipeline-eos", (gboolean) TRUE,
      "extract-sei-type5-data", (gboolean) TRUE,
      "sort-batch", (gboolean) TRUE,
      "cache-buffer", (gboolean) TRUE,
      "cache-buffer-timeout", (gint) 100000,
      "extract-sei-sim-time", (gboolean) TRUE,
      "align-first-buffer", (gboolean) TRUE,
      "sync-inputs-ntp", (gint) 2000,
      "drop-backward-sei", (gboolean) TRUE,
      NULL);

  if (glib_complaints != 0) {
    g_printerr ("mismatch: g_object_set complained %d time(s) (see above)\n", glib_complaints);
    return 1;
  }
  for (i = 0; i < n; i++) {
    if (check_value (G_OBJECT (bin), &expected[i]) != 0)
      return 1;
  }
  gst_object_unref (bin);
  printf ("all checks passed (%u properties)\n", (unsigned) n);
  return 0;
}
