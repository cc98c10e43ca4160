/* Compatibility name: DeepStream elements include "gst-nvdscustomevent.h"; every
 * declaration lives in gst-nvcustomevent.h. */
#include "gst-nvcustomevent.h"
