import CGStreamer
import GstSwiftBridge
import Synchronization
import swiftcustomevents

/// swifteventlog: a passthrough element that describes, in words, every
/// custom event going downstream through it, at INFO level of its GST_DEBUG
/// category (GST_DEBUG=swifteventlog:4), e.g.
/// "ROI_UPDATE stream 0: 2 rois [0: 100,300 400x400] [1: 10,20 30x40]".
/// DeepStream's events are decoded; other custom events are shown as their
/// structure. Like identity it has `silent`; unlike identity it never posts
/// messages or emits signals: the log and the `last-event` property are all.
final class EventLogElement: @unchecked Sendable {
    // @unchecked: `object` is the GObject owning this Swift object and
    // outlives it; everything mutable is inside `state`.

    static let log = DebugCategory("swifteventlog", description: "Logs custom events in words")
    static let type: GType = registerType()

    private enum Property: UInt32 {
        case silent = 1
        case lastEvent = 2
    }

    private struct State {
        /// Property `silent`: describe nothing.
        var silent = false
        /// Property `last-event`: the latest description.
        var lastEvent: String?
    }

    private let object: UnsafeMutableRawPointer
    private let state = Mutex(State())

    private init(_ object: UnsafeMutableRawPointer) {
        self.object = object
        gst_base_transform_set_passthrough(object.assumingMemoryBound(to: GstBaseTransform.self), 1)
    }

    // MARK: Class

    private static func registerType() -> GType {
        var hooks = GsbHooks()
        hooks.class_init = { klass in
            guard let klass else { return }
            EventLogElement.classInit(klass)
        }
        hooks.instance_init = { object in
            guard let object else { return nil }
            return Unmanaged.passRetained(EventLogElement(UnsafeMutableRawPointer(object))).toOpaque()
        }
        hooks.finalize = { impl in
            guard let impl else { return }
            Unmanaged<EventLogElement>.fromOpaque(impl).release()
        }
        hooks.set_property = { impl, _, id, value, _ in
            guard let value else { return }
            swiftImpl(impl, as: EventLogElement.self)?.setProperty(id, value)
        }
        hooks.get_property = { impl, _, id, value, _ in
            guard let value else { return }
            swiftImpl(impl, as: EventLogElement.self)?.getProperty(id, value)
        }
        hooks.sink_event = { impl, trans, event in
            guard let trans, let event else { return 0 }
            swiftImpl(impl, as: EventLogElement.self)?.describe(event)
            return gsb_parent_sink_event(trans, event)
        }
        return TransformClass.register("GstSwiftEventLog", hooks)
    }

    private static func classInit(_ klass: gpointer) {
        TransformClass.setUp(klass, longName: "Custom event logger",
                             classification: "Generic",
                             description: "Passes data through and logs each custom event (DeepStream's decoded) "
                                 + "through the swifteventlog debug category")
        TransformClass.install(klass, Property.silent.rawValue,
                               PropertySpec.bool(name: "silent", nick: "Silent",
                                                 blurb: "Log nothing and leave last-event alone",
                                                 defaultValue: false).paramSpec(mutablePlaying: true))
        TransformClass.install(klass, Property.lastEvent.rawValue,
                               TransformClass.readOnlyString("last-event", nick: "Last event",
                                                             blurb: "Description of the latest custom event"))
    }

    // MARK: Properties

    private func setProperty(_ id: guint, _ value: UnsafePointer<GValue>) {
        guard Property(rawValue: id) == .silent else { return }
        let silent = g_value_get_boolean(value) != 0
        state.withLock { $0.silent = silent }
    }

    private func getProperty(_ id: guint, _ value: UnsafeMutablePointer<GValue>) {
        switch Property(rawValue: id) {
        case .silent:
            g_value_set_boolean(value, state.withLock { $0.silent }.gboolean)
        case .lastEvent:
            GValueAccess.setString(value, state.withLock { $0.lastEvent })
        case nil:
            break
        }
    }

    // MARK: Streaming

    private func describe(_ event: UnsafeMutablePointer<GstEvent>) {
        guard !state.withLock({ $0.silent }), let text = Self.description(of: event) else { return }
        state.withLock { $0.lastEvent = text }
        Self.log.info(object, text)
    }

    /// Words for a custom event; nil for GStreamer's own events.
    static func description(of event: UnsafeMutablePointer<GstEvent>) -> String? {
        let type = gsb_event_type(event)
        if let control = ControlEvent(parsing: event) {
            return control.description
        }
        if let lifecycle = LifecycleEvent.describe(event) {
            return lifecycle
        }
        if let known = CustomEventType(eventType: type.rawValue) {
            return "\(known.name) (malformed): \(structureText(event))"
        }
        guard isCustom(type) else { return nil }
        return "custom event \(type.rawValue): \(structureText(event))"
    }

    /// GStreamer's CUSTOM_* types, and numbers GStreamer has no name for
    /// (other elements' own types, like DeepStream's).
    private static func isCustom(_ type: GstEventType) -> Bool {
        let customTypes = [GST_EVENT_CUSTOM_UPSTREAM, GST_EVENT_CUSTOM_DOWNSTREAM, GST_EVENT_CUSTOM_DOWNSTREAM_OOB,
                           GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, GST_EVENT_CUSTOM_BOTH, GST_EVENT_CUSTOM_BOTH_OOB]
        if customTypes.contains(type) { return true }
        guard let name = gst_event_type_get_name(type) else { return true }
        return String(cString: name) == "unknown"
    }

    private static func structureText(_ event: UnsafeMutablePointer<GstEvent>) -> String {
        guard let structure = gst_event_get_structure(event) else { return "(no structure)" }
        return takeGString(gst_structure_to_string(structure)) ?? "(no structure)"
    }
}
