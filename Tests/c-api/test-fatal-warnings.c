/* A host that loads the plugin keeps GLib's G_DEBUG=fatal-warnings: the
 * warning of a g_object_set on a property the bin does not have must end the
 * process with SIGTRAP, as it does without the plugin. Prints "carried on"
 * only when it was not stopped (DeepStreamPropertyTests runs it both ways). */
#include <gst/gst.h>

int
main (int argc, char **argv)
{
  GstElement *bin;

  gst_init (&argc, &argv);
  bin = gst_element_factory_make ("swiftmultiurisrcbin", NULL);
  if (bin == NULL) {
    g_printerr ("no swiftmultiurisrcbin: is GST_PLUGIN_PATH set?\n");
    return 2;
  }
  g_object_set (bin, "no-such-property", 1, NULL);
  g_print ("carried on\n");
  gst_object_unref (bin);
  return 0;
}
