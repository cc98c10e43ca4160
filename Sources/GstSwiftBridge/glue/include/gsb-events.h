/* Helpers for the custom events (swiftcustomevents). Swift imports every
 * pointer GStreamer returns as implicitly unwrapped, which would trap on
 * NULL; these two calls cannot return NULL, so Swift needs no unwrap. */
#pragma once
#include <gst/gst.h>

G_BEGIN_DECLS

/* gst_structure_new_empty() for a name the caller knows to be valid (the
 * event names are constants). Should the name ever fail GStreamer's check,
 * the structure is named "gsb-invalid-name" instead, which no parser of ours
 * accepts, rather than returning NULL. */
GstStructure *_Nonnull gsb_structure_new_empty (const gchar * _Nullable name);

/* gst_event_new_custom() for a structure the caller has just created.
 * GStreamer returns NULL only when the structure already belongs to another
 * object; this retries with a copy in that case. Takes ownership of
 * structure. */
GstEvent *_Nonnull gsb_event_new_custom (GstEventType type,
    GstStructure * _Nonnull structure);

G_END_DECLS
