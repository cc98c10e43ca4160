/* Compatibility name: DeepStream elements include "gst-nvevent.h"; every
 * declaration lives in gst-nvcustomevent.h. */
#include "gst-nvcustomevent.h"
