/* Generic GObject subclassing with trampolines into Swift.
 *
 * gsb_register_subclass() derives a new type from any instantiable GType.
 * Each instance carries one opaque pointer (the Swift object, retained by
 * instance_init and released by finalize). Every virtual method listed in
 * GsbHooks that is non-NULL replaces the parent's; the gsb_parent_* helpers
 * chain up. */
#pragma once
#include <gst/gst.h>
#include <gst/base/base.h>

G_BEGIN_DECLS

typedef struct _GsbHooks {
  /* Called once from class_init: install properties, pad templates, metadata. */
  void (*class_init) (gpointer klass);
  /* Returns the retained Swift object for a new instance. */
  gpointer (*instance_init) (GObject * self);
  /* Releases the Swift object (called from finalize, before chaining up). */
  void (*finalize) (gpointer impl);
  /* Optional: GObject::dispose, before chaining up. */
  void (*dispose) (gpointer impl, GObject * self);

  void (*set_property) (gpointer impl, GObject * self, guint prop_id,
      const GValue * value, GParamSpec * pspec);
  void (*get_property) (gpointer impl, GObject * self, guint prop_id,
      GValue * value, GParamSpec * pspec);

  /* GstElement */
  GstStateChangeReturn (*change_state) (gpointer impl, GstElement * self,
      GstStateChange transition);
  GstPad *(*request_new_pad) (gpointer impl, GstElement * self,
      GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
  void (*release_pad) (gpointer impl, GstElement * self, GstPad * pad);
  /* Takes ownership of event; chain with gsb_parent_send_event. */
  gboolean (*send_event) (gpointer impl, GstElement * self, GstEvent * event);

  /* GstBin: takes ownership of message; chain with gsb_parent_handle_message. */
  void (*handle_message) (gpointer impl, GstBin * self, GstMessage * message);

  /* GstBaseTransform */
  GstFlowReturn (*transform_ip) (gpointer impl, GstBaseTransform * self,
      GstBuffer * buffer);
  /* Takes ownership of event; chain with gsb_parent_sink_event. */
  gboolean (*sink_event) (gpointer impl, GstBaseTransform * self,
      GstEvent * event);
  gboolean (*start) (gpointer impl, GstBaseTransform * self);
  gboolean (*stop) (gpointer impl, GstBaseTransform * self);
} GsbHooks;

/* Registers type_name as a subclass of parent. hooks is copied. Returns 0 on
 * failure (for example a type of that name exists already). */
GType gsb_register_subclass (GType parent, const gchar * type_name,
    const GsbHooks * hooks);

/* The Swift object of an instance of a type registered here (NULL before
 * instance_init finished or for foreign instances). */
gpointer gsb_instance_impl (gpointer instance);

GstStateChangeReturn gsb_parent_change_state (GstElement * self,
    GstStateChange transition);
GstPad *gsb_parent_request_new_pad (GstElement * self, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps);
void gsb_parent_release_pad (GstElement * self, GstPad * pad);
gboolean gsb_parent_send_event (GstElement * self, GstEvent * event);
void gsb_parent_handle_message (GstBin * self, GstMessage * message);
gboolean gsb_parent_sink_event (GstBaseTransform * self, GstEvent * event);

G_END_DECLS
