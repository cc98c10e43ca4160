/* The plugin entry points. The Swift module defines
 * gsb_swift_plugin_init (with @_cdecl); GST_PLUGIN_DEFINE lives in C. */
#pragma once
#include <gst/gst.h>

G_BEGIN_DECLS

#define GSB_PLUGIN_NAME "swiftmultiurisrc"
#define GSB_PLUGIN_VERSION "0.1.0"

/* Registers the plugin's features into the running process without loading
 * the .so (tests link the Swift module directly). */
gboolean gsb_register_static_plugin (void);

G_END_DECLS
