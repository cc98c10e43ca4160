/* dladdr and RTLD_NODELETE are GNU extensions. */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "gsb-events.h"

/* GStreamer's registry scan dlopens every .so in GST_PLUGIN_PATH and
 * dlcloses those without a plugin descriptor, such as libswiftcustomevents.so
 * sitting next to the plugin in SwiftPM's build folder. The Swift runtime
 * keeps pointers into every image it has seen and cannot forget one: after
 * the unload, the next type lookup in the process crashes. So the library
 * holding this code (either .so, or the test executable) pins itself when
 * it is loaded. */
__attribute__ ((constructor))
static void
gsb_pin_image (void)
{
  Dl_info info;
  if (dladdr ((void *) gsb_pin_image, &info) != 0 && info.dli_fname != NULL)
    (void) dlopen (info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

GstStructure *
gsb_structure_new_empty (const gchar * name)
{
  GstStructure *structure = NULL;
  if (name != NULL)
    structure = gst_structure_new_empty (name);
  if (structure == NULL)
    structure = gst_structure_new_empty ("gsb-invalid-name");
  return structure;
}

GstEvent *
gsb_event_new_custom (GstEventType type, GstStructure * structure)
{
  GstEvent *event = gst_event_new_custom (type, structure);
  if (event == NULL) {
    /* The structure had a parent: it was not ours to give away, so leave it
     * alone and wrap a private copy, which has no parent. */
    event = gst_event_new_custom (type, gst_structure_copy (structure));
  }
  return event;
}
