import CGStreamer
import GstSwiftBridge
import Synchronization
import swiftcustomevents

/// swiftinferinterval: nvinfer's `interval` as a frame filter.
///
/// Of each stream it lets frame 0 through, drops the next `interval` frames,
/// lets the following one through, and so on: interval 0 keeps every frame,
/// interval 2 keeps frames 0, 3, 6, ... Streams are told apart by
/// GstSwiftSourceMeta (no meta = stream 0) and counted separately.
///
/// INFER_INTERVAL_UPDATE events change the interval at their position in the
/// stream:
///  - stream_id "<n>": stream n only; its count restarts, so the next frame
///    of stream n goes through.
///  - stream_id "-1", "all" (any case) or "": every stream; the `interval`
///    property takes the new value, per-stream values are dropped and every
///    count restarts.
/// Anything else is logged and ignored. The event travels on downstream.
/// PAD_ADDED and PAD_DELETED restart the source's count and drop its own
/// interval, since source ids are reused.
final class InferIntervalElement: @unchecked Sendable {
    // @unchecked: `object` is the GObject owning this Swift object and
    // outlives it; everything mutable is inside `state`.

    static let log = DebugCategory("swiftinferinterval",
                                   description: "Keeps every (interval+1)-th frame per stream, like nvinfer's interval")
    static let type: GType = registerType()

    private enum Property: UInt32 {
        case interval = 1
    }

    private struct State {
        /// Property `interval`: the interval of streams without their own.
        var interval: UInt32 = 0
        /// Intervals set by INFER_INTERVAL_UPDATE for one stream.
        var streamIntervals: [UInt32: UInt32] = [:]
        /// Frames seen per stream since its count (re)started.
        var counts: [UInt32: UInt64] = [:]

        mutating func restart(_ source: UInt32) {
            counts[source] = nil
        }
    }

    private let object: UnsafeMutableRawPointer
    private let state = Mutex(State())

    private init(_ object: UnsafeMutableRawPointer) {
        self.object = object
        // Dropping needs no writable buffer: stay in passthrough, where
        // transform_ip still sees every buffer.
        gst_base_transform_set_passthrough(object.assumingMemoryBound(to: GstBaseTransform.self), 1)
    }

    // MARK: Class

    private static func registerType() -> GType {
        var hooks = GsbHooks()
        hooks.class_init = { klass in
            guard let klass else { return }
            InferIntervalElement.classInit(klass)
        }
        hooks.instance_init = { object in
            guard let object else { return nil }
            return Unmanaged.passRetained(InferIntervalElement(UnsafeMutableRawPointer(object))).toOpaque()
        }
        hooks.finalize = { impl in
            guard let impl else { return }
            Unmanaged<InferIntervalElement>.fromOpaque(impl).release()
        }
        hooks.set_property = { impl, _, id, value, _ in
            guard let value else { return }
            swiftImpl(impl, as: InferIntervalElement.self)?.setProperty(id, value)
        }
        hooks.get_property = { impl, _, id, value, _ in
            guard let value else { return }
            swiftImpl(impl, as: InferIntervalElement.self)?.getProperty(id, value)
        }
        hooks.transform_ip = { impl, _, buffer in
            guard let buffer, let element = swiftImpl(impl, as: InferIntervalElement.self) else { return GST_FLOW_OK }
            return element.filter(buffer)
        }
        hooks.sink_event = { impl, trans, event in
            guard let trans, let event else { return 0 }
            swiftImpl(impl, as: InferIntervalElement.self)?.observe(event)
            return gsb_parent_sink_event(trans, event)
        }
        hooks.stop = { impl, _ in
            swiftImpl(impl, as: InferIntervalElement.self)?.reset()
            return 1
        }
        return TransformClass.register("GstSwiftInferInterval", hooks)
    }

    private static func classInit(_ klass: gpointer) {
        TransformClass.setUp(klass, longName: "Inference interval frame filter",
                             classification: "Filter",
                             description: "Keeps every (interval+1)-th frame of each stream and drops the others; "
                                 + "DeepStream INFER_INTERVAL_UPDATE events change the interval per stream")
        TransformClass.install(klass, Property.interval.rawValue,
                               PropertySpec.uint(name: "interval", nick: "Interval",
                                                 blurb: "Frames to drop after each kept frame, for streams without "
                                                     + "their own interval (0 keeps every frame)",
                                                 min: 0, max: UInt32(Int32.max), defaultValue: 0)
                                   .paramSpec(mutablePlaying: true))
    }

    // MARK: Properties

    private func setProperty(_ id: guint, _ value: UnsafePointer<GValue>) {
        guard Property(rawValue: id) == .interval else { return }
        let interval = g_value_get_uint(value)
        state.withLock { $0.interval = interval }
        Self.log.info(object, "interval \(interval) for streams without their own")
    }

    private func getProperty(_ id: guint, _ value: UnsafeMutablePointer<GValue>) {
        guard Property(rawValue: id) == .interval else { return }
        g_value_set_uint(value, state.withLock { $0.interval })
    }

    // MARK: Streaming

    private func filter(_ buffer: UnsafeMutablePointer<GstBuffer>) -> GstFlowReturn {
        let source = sourceId(of: buffer)
        let (keep, index, interval) = state.withLock { state in
            let interval = state.streamIntervals[source] ?? state.interval
            let index = state.counts[source] ?? 0
            state.counts[source] = index &+ 1
            return (index % (UInt64(interval) + 1) == 0, index, interval)
        }
        Self.log.log(GST_LEVEL_LOG, object,
                     "stream \(source) frame \(index) (interval \(interval)): \(keep ? "pass" : "drop")",
                     file: #fileID, function: #function, line: #line)
        // GST_BASE_TRANSFORM_FLOW_DROPPED is GST_FLOW_CUSTOM_SUCCESS.
        return keep ? GST_FLOW_OK : GST_FLOW_CUSTOM_SUCCESS
    }

    /// Looks at an event on its way downstream; never consumes it.
    private func observe(_ event: UnsafeMutablePointer<GstEvent>) {
        if case let .inferIntervalUpdate(streamId, interval)? = ControlEvent(parsing: event) {
            apply(interval, to: streamId)
        } else if let lifecycle = LifecycleEvent(parsing: event) {
            switch lifecycle {
            case let .padAdded(source), let .padDeleted(source):
                state.withLock { state in
                    state.restart(source)
                    state.streamIntervals[source] = nil
                }
                Self.log.debug(object, "\(lifecycle.type.name) source \(source): count restarts, default interval")
            default:
                break
            }
        }
    }

    private func apply(_ interval: UInt32, to streamId: String) {
        switch StreamSelector(streamId) {
        case let .one(source):
            state.withLock { state in
                state.streamIntervals[source] = interval
                state.restart(source)
            }
            Self.log.info(object, "stream \(source): interval \(interval)")
        case .all:
            state.withLock { state in
                state.interval = interval
                state.streamIntervals.removeAll()
                state.counts.removeAll()
            }
            Self.log.info(object, "all streams: interval \(interval)")
            // Outside the lock: notify handlers may read the property.
            g_object_notify(object.assumingMemoryBound(to: GObject.self), "interval")
        case .invalid:
            Self.log.warning(object, "INFER_INTERVAL_UPDATE for stream '\(streamId)' ignored: "
                + "not a source id, \"-1\" or \"all\"")
        }
    }

    /// READY: every stream starts counting anew; event-set intervals are
    /// forgotten, the property stays.
    private func reset() {
        state.withLock { state in
            state.streamIntervals.removeAll()
            state.counts.removeAll()
        }
    }
}
