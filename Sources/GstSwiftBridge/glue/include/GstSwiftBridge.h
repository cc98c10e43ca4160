/* GstSwiftBridge: the thin C layer between GStreamer/GObject and Swift.
 *
 * Swift cannot import function-like macros, variadic functions or define
 * GObject types with G_DEFINE_TYPE. Everything here exists only to close
 * that gap; behaviour lives in Swift. */
#pragma once

#include <gst/gst.h>
#include <gst/base/base.h>
#include <gst/video/video.h>
#include <gst/app/app.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <jansson.h>
#include <civetweb.h>

#include "gsb-subclass.h"
#include "gsb-macros.h"
#include "gsb-source-meta.h"
#include "gsb-plugin.h"
#include "gsb-events.h"
#include "gsb-rest.h"
#include "gsb-property.h"
