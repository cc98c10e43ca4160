import CGStreamer
import GstSwiftBridge
import Synchronization
import swiftcustomevents

/// swiftroimeta: turns ROI_UPDATE events into GstVideoRegionOfInterestMeta.
///
/// Keeps the latest ROI list of every stream (stream_id is the decimal
/// source id) and attaches it to each buffer of that stream, one meta per
/// rectangle, roi_type = the ROI's id (or `default-roi-type` when the id is
/// empty). An update replaces the stream's list from the next buffer on; an
/// update with no rectangles clears it. Other streams are untouched.
/// PAD_DELETED forgets the source's list, since source ids are reused.
///
/// In passthrough while no stream has ROIs (buffers go through untouched);
/// otherwise in place, where GstBaseTransform hands transform_ip a writable
/// buffer (a cheap copy sharing the memory when the input is shared).
final class RoiMetaElement: @unchecked Sendable {
    // @unchecked: `object` is the GObject that owns this Swift object and
    // outlives it; everything mutable is inside `state`.

    static let log = DebugCategory("swiftroimeta", description: "Attaches ROI_UPDATE rectangles as region-of-interest metas")
    static let type: GType = registerType()

    private enum Property: UInt32 {
        case defaultRoiType = 1
    }

    private struct State {
        /// Property default-roi-type.
        var defaultRoiType = "roi"
        /// Current ROI list per source id; no entry = no ROIs.
        var rois: [UInt32: [RoiRect]] = [:]
    }

    private let object: UnsafeMutableRawPointer
    private let state = Mutex(State())

    private init(_ object: UnsafeMutableRawPointer) {
        self.object = object
        let trans = object.assumingMemoryBound(to: GstBaseTransform.self)
        gst_base_transform_set_in_place(trans, 1)
        gst_base_transform_set_passthrough(trans, 1)
    }

    // MARK: Class

    private static func registerType() -> GType {
        var hooks = GsbHooks()
        hooks.class_init = { klass in
            guard let klass else { return }
            RoiMetaElement.classInit(klass)
        }
        hooks.instance_init = { object in
            guard let object else { return nil }
            return Unmanaged.passRetained(RoiMetaElement(UnsafeMutableRawPointer(object))).toOpaque()
        }
        hooks.finalize = { impl in
            guard let impl else { return }
            Unmanaged<RoiMetaElement>.fromOpaque(impl).release()
        }
        hooks.set_property = { impl, _, id, value, _ in
            guard let value else { return }
            swiftImpl(impl, as: RoiMetaElement.self)?.setProperty(id, value)
        }
        hooks.get_property = { impl, _, id, value, _ in
            guard let value else { return }
            swiftImpl(impl, as: RoiMetaElement.self)?.getProperty(id, value)
        }
        hooks.transform_ip = { impl, trans, buffer in
            guard let buffer, let element = swiftImpl(impl, as: RoiMetaElement.self) else { return GST_FLOW_OK }
            return element.transform(buffer)
        }
        hooks.sink_event = { impl, trans, event in
            guard let trans, let event else { return 0 }
            swiftImpl(impl, as: RoiMetaElement.self)?.observe(event)
            return gsb_parent_sink_event(trans, event)
        }
        hooks.stop = { impl, _ in
            swiftImpl(impl, as: RoiMetaElement.self)?.reset()
            return 1
        }
        return TransformClass.register("GstSwiftRoiMeta", hooks)
    }

    private static func classInit(_ klass: gpointer) {
        TransformClass.setUp(klass, longName: "ROI update to region-of-interest meta",
                             classification: "Filter/Video/Metadata",
                             description: "Attaches the rectangles of DeepStream ROI_UPDATE events to the buffers "
                                 + "of their stream as GstVideoRegionOfInterestMeta")
        TransformClass.install(klass, Property.defaultRoiType.rawValue,
                               PropertySpec.string(name: "default-roi-type", nick: "Default ROI type",
                                                   blurb: "roi_type of the metas of ROIs whose roi_id is empty",
                                                   defaultValue: "roi").paramSpec(mutablePlaying: true))
    }

    // MARK: Properties

    private func setProperty(_ id: guint, _ value: UnsafePointer<GValue>) {
        guard Property(rawValue: id) == .defaultRoiType else { return }
        let text = GValueAccess.string(value) ?? ""
        state.withLock { $0.defaultRoiType = text.isEmpty ? "roi" : text }
    }

    private func getProperty(_ id: guint, _ value: UnsafeMutablePointer<GValue>) {
        guard Property(rawValue: id) == .defaultRoiType else { return }
        GValueAccess.setString(value, state.withLock { $0.defaultRoiType })
    }

    // MARK: Streaming

    /// Looks at an event on its way downstream; never consumes it.
    private func observe(_ event: UnsafeMutablePointer<GstEvent>) {
        if case let .roiUpdate(streamId, rois)? = ControlEvent(parsing: event) {
            guard case let .one(source) = StreamSelector(streamId) else {
                Self.log.warning(object, "ROI_UPDATE for stream '\(streamId)' ignored: not a decimal source id")
                return
            }
            let anyRois = state.withLock { state in
                state.rois[source] = rois.isEmpty ? nil : rois
                return !state.rois.isEmpty
            }
            Self.log.info(object, "stream \(source): \(rois.count) roi(s) \(rois.map(\.description).joined(separator: " "))")
            setPassthrough(!anyRois)
        } else if case let .padDeleted(source)? = LifecycleEvent(parsing: event) {
            let anyRois = state.withLock { state in
                state.rois[source] = nil
                return !state.rois.isEmpty
            }
            Self.log.debug(object, "source \(source) removed: its rois are forgotten")
            setPassthrough(!anyRois)
        }
    }

    private func setPassthrough(_ passthrough: Bool) {
        // Outside the lock: GStreamer takes the object lock here.
        gst_base_transform_set_passthrough(object.assumingMemoryBound(to: GstBaseTransform.self),
                                           passthrough ? 1 : 0)
    }

    private func transform(_ buffer: UnsafeMutablePointer<GstBuffer>) -> GstFlowReturn {
        // In passthrough the buffer may be shared and must not change; and
        // passthrough means that no stream has ROIs anyway.
        guard gst_base_transform_is_passthrough(object.assumingMemoryBound(to: GstBaseTransform.self)) == 0 else {
            return GST_FLOW_OK
        }
        let source = sourceId(of: buffer)
        let (rois, defaultType) = state.withLock { ($0.rois[source] ?? [], $0.defaultRoiType) }
        guard !rois.isEmpty else { return GST_FLOW_OK }
        guard gsb_buffer_is_writable(buffer) != 0 else {
            Self.log.warning(object, "buffer of stream \(source) is not writable: rois not attached")
            return GST_FLOW_OK
        }
        for (index, roi) in rois.enumerated() {
            let roiType = roi.roiId.isEmpty ? defaultType : roi.roiId
            guard let meta = gst_buffer_add_video_region_of_interest_meta(buffer, roiType, roi.left, roi.top,
                                                                          roi.width, roi.height)
            else {
                Self.log.warning(object, "could not add roi meta \(roi) to a buffer of stream \(source)")
                continue
            }
            meta.pointee.id = gint(clamping: index)
        }
        Self.log.log(GST_LEVEL_LOG, object, "stream \(source): \(rois.count) roi meta(s) attached",
                     file: #fileID, function: #function, line: #line)
        return GST_FLOW_OK
    }

    /// READY: streams start over without ROIs.
    private func reset() {
        state.withLock { $0.rois.removeAll() }
        setPassthrough(true)
    }
}
