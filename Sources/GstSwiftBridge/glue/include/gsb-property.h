/* What Swift cannot reach of a GObject property by itself: the class of an
 * instance (G_OBJECT_GET_CLASS), GStreamer's mutability flags and the
 * fundamental GType constants, all macros. The decisions (which property
 * may be set, when, from what text) live in Swift
 * (Sources/swiftmultiurisrc/Bin/MultiUriSrcBin+Elements.swift). */
#pragma once
#include <gst/gst.h>

G_BEGIN_DECLS

/* The property's spec, or NULL; the name may use '_' for '-'. */
GParamSpec *gsb_object_find_property (gpointer object, const gchar * name);

/* The highest state in which GStreamer says the property may change:
 * GST_STATE_READY (GST_PARAM_MUTABLE_READY), GST_STATE_PAUSED,
 * GST_STATE_PLAYING, or GST_STATE_VOID_PENDING when the element does not
 * say. */
GstState gsb_param_spec_mutable_state (const GParamSpec * pspec);

/* G_TYPE_FUNDAMENTAL (type) is G_TYPE_OBJECT, G_TYPE_INTERFACE,
 * G_TYPE_POINTER or G_TYPE_PARAM: values that are references to live
 * objects or memory rather than data. */
gboolean gsb_type_is_reference (GType type);

G_END_DECLS
