import CGStreamer
import GstSwiftBridge

/// Registers the elements that act on the custom events: swiftroimeta,
/// swiftinferinterval and swifteventlog. Called from plugin init; safe to
/// call again (the GTypes are registered once, re-registering a feature of
/// the same type is a no-op for GStreamer).
enum EventElements {
    static func register(_ plugin: OpaquePointer?) -> Bool {
        let elements: [(name: String, type: GType, log: DebugCategory)] = [
            ("swiftroimeta", RoiMetaElement.type, RoiMetaElement.log),
            ("swiftinferinterval", InferIntervalElement.type, InferIntervalElement.log),
            ("swifteventlog", EventLogElement.type, EventLogElement.log),
        ]
        var allRegistered = true
        for element in elements {
            guard element.type != 0,
                  gst_element_register(plugin, element.name, guint(GST_RANK_NONE.rawValue), element.type) != 0
            else {
                element.log.error(nil, "could not register element \(element.name)")
                allRegistered = false
                continue
            }
        }
        return allRegistered
    }
}
