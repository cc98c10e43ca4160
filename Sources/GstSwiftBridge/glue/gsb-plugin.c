#include "gsb-plugin.h"

#define PACKAGE "swift-multiurisrc"

/* Defined in Swift. Weak so that targets linking only the bridge (event
 * library, tests of it) need not provide it. */
extern gboolean gsb_swift_plugin_init (GstPlugin * plugin)
    __attribute__((weak));

static gboolean
plugin_init (GstPlugin * plugin)
{
  if (gsb_swift_plugin_init == NULL)
    return FALSE;
  return gsb_swift_plugin_init (plugin);
}

gboolean
gsb_register_static_plugin (void)
{
  return gst_plugin_register_static (GST_VERSION_MAJOR, GST_VERSION_MINOR,
      GSB_PLUGIN_NAME,
      "Multi-URI source bin with a REST control server, written in Swift",
      plugin_init, GSB_PLUGIN_VERSION, "MIT/X11", PACKAGE, PACKAGE,
      "https://github.com/swift-multiurisrc");
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, swiftmultiurisrc,
    "Multi-URI source bin with a REST control server, written in Swift",
    plugin_init, GSB_PLUGIN_VERSION, "MIT/X11", PACKAGE,
    "https://github.com/swift-multiurisrc")
