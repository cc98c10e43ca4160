import CGStreamer
import GstSwiftBridge
import Dispatch
import Glibc
import swiftcustomevents

/// StreamControl: what REST requests (and action signals) do to the bin.
extension MultiUriSrcBin: StreamControl {
    func addStream(_ request: AddStreamRequest) throws(ControlError) -> StreamInfo {
        // Off the control queue: checking a file may touch the disk.
        try SourcePolicy(settings.withLock { $0 }).check(request)
        let (info, persisted) = try onControl { () throws(ControlError) in
            let info = try addStreamOnQueue(request)
            return (info, recordAdded(request))
        }
        // Answered only once the file holds it (off the control queue).
        if let (file, change) = persisted { file.commit(through: change) }
        guard let waitMs = request.waitForFirstFrameMs, waitMs > 0 else { return info }
        return waitForFirstFrame(sourceId: info.sourceId, cameraId: request.cameraId, timeoutMs: waitMs) ?? info
    }

    /// Waits until the slot plays or fails, at most `timeoutMs` (outside
    /// the control queue, so other requests go on meanwhile). The first
    /// frame wakes the wait; failures are seen at the next 20 ms look.
    private func waitForFirstFrame(sourceId: UInt32, cameraId: String, timeoutMs: UInt32) -> StreamInfo? {
        let deadline = g_get_monotonic_time() + gint64(timeoutMs) * 1000
        while true {
            let slot = state.withLock { $0?.slots[sourceId] }
            guard let slot, slot.sensorId == cameraId else { return nil }
            let info = slot.info()
            if info.state != .starting { return info }
            let left = deadline - g_get_monotonic_time()
            if left <= 0 { break }
            _ = slot.firstFrame.wait(timeout: .now() + .microseconds(Int(min(left, 20_000))))
        }
        return state.withLock { $0?.slots[sourceId] }?.info()
    }

    func removeStream(cameraId: String, url: String?) throws(ControlError) -> StreamInfo {
        let (outcome, persisted) = try onControl { () throws(ControlError) in
            do throws(ControlError) {
                let removed = try removeStreamOnQueue(cameraId: cameraId, url: url)
                return (Result<(StreamInfo, BranchTeardown?), ControlError>.success(removed), recordRemoved(cameraId))
            } catch {
                // A sensor that failed and left is still in the file: this
                // is how a client takes it out.
                guard case let .notFound(why) = error, let dropped = recordRemoved(cameraId) else { return (.failure(error), nil) }
                return (.failure(.notFound(why + "; its entry in state-file was dropped")), dropped)
            }
        }
        if let (file, change) = persisted { file.commit(through: change) }
        let (info, teardown) = try outcome.get()
        // Off the control queue: other requests go on while this one waits.
        if let teardown { awaitTeardowns([teardown], timeoutMs: Self.removalTeardownWaitMs) }
        return info
    }

    func streams() -> [StreamInfo] {
        // st?.slots, not st.map: map would copy the whole State.
        let slots = state.withLock { st in st?.slots.values.map { $0 } ?? [] }
        return slots.sorted { $0.sourceId < $1.sourceId }.map { $0.info() }
    }

    func recentlyFailed() -> [StreamInfo] {
        state.withLock { $0?.recentlyFailed ?? [] }
    }

    func resolveStream(_ streamId: String) -> StreamInfo? {
        let slot: SourceSlot? = state.withLock { st in
            guard let st else { return nil }
            if let id = UInt32(streamId), let slot = st.slots[id] { return slot }
            return st.slots.values.first { $0.sensorId == streamId }
        }
        return slot?.info()
    }

    func pushDownstream(_ event: ControlEvent) throws(ControlError) {
        guard state.withLock({ $0 != nil }) else { throw .unavailable("element is not running") }
        guard gst_pad_is_linked(srcPad.ptr) != 0 else {
            throw .unavailable("event not delivered: the bin's src pad is not linked")
        }
        downstream.send(event.makeEvent())
    }

    /// On the source's own settings gate, not the control queue: a conv/*
    /// relink may wait for the source's pad (see SourceSettingsGate).
    func applySourceSetting(sourceId: UInt32, _ setting: SourceSetting) throws(ControlError) {
        guard let slot = state.withLock({ $0?.slots[sourceId] }) else {
            throw .notFound("no stream with source id \(sourceId)")
        }
        try slot.settings.run { () throws(ControlError) in try applySourceSetting(slot, setting) }
    }

    private func applySourceSetting(_ slot: SourceSlot, _ setting: SourceSetting) throws(ControlError) {
        let sourceId = slot.sourceId
        guard !slot.runtime.withLock({ $0.detaching }) else {
            throw .conflict("stream \(sourceId) is leaving")
        }
        guard let branch = slot.branch.withLock({ $0 }) else {
            throw .conflict("stream \(sourceId) is \(slot.info().state.rawValue), not playing")
        }
        let s = settings.withLock { $0 }
        switch setting {
        case let .dropFrameInterval(n):
            slot.dropper.withLock { $0.interval = n }
            Self.forEachElement(in: branch.bin.ptr) { e in
                if isDecoder(e) { applyDecoderProperties(e, dropFrameInterval: n, skipFrames: nil, lowLatency: nil, settings: s) }
            }
        case let .skipFrames(n):
            // libav decoders take theirs from the probe at their next frame.
            slot.skipFrames.store(n, ordering: .relaxed)
            Self.forEachElement(in: branch.bin.ptr) { e in
                if isDecoder(e) { applyDecoderProperties(e, dropFrameInterval: nil, skipFrames: n, lowLatency: nil, settings: s) }
            }
        case let .lowLatencyMode(on):
            // Only decoders that have the property (DeepStream's nvv4l2decoder) can
            // take it: with none, saying "success" would be a lie (409 instead).
            var applied = false
            Self.forEachElement(in: branch.bin.ptr) { e in
                guard isDecoder(e), gsb_object_has_property(UnsafeMutableRawPointer(e), "low-latency-mode") != 0 else { return }
                applyDecoderProperties(e, dropFrameInterval: nil, skipFrames: nil, lowLatency: on, settings: s)
                applied = true
            }
            guard applied else {
                throw .unsupported("no decoder of stream \(sourceId) has the property low-latency-mode")
            }
        case let .sourceCrop(rect):
            // Source coordinates: the size entering the first element after the decoder.
            let (w, h) = try frameSize(of: branch.entry, pad: "sink", field: "src_crop")
            guard let rect = rect.clamped(width: w, height: h) else {
                throw .badRequest(field: "src_crop", detail: "\(rect.left):\(rect.top):\(rect.width):\(rect.height) has nothing inside the \(w)x\(h) frame")
            }
            guard let crop = try insertOptionalElements(.sourceTransforms, slot: slot, field: "src_crop").crop else {
                throw .internalError("videocrop missing after linking it in")
            }
            gsb_object_set_int(crop.raw, "left", Int32(rect.left))
            gsb_object_set_int(crop.raw, "top", Int32(rect.top))
            gsb_object_set_int(crop.raw, "right", Int32(w - rect.left - rect.width))
            gsb_object_set_int(crop.raw, "bottom", Int32(h - rect.top - rect.height))
        case let .destinationCrop(rect):
            // The output frame: after videobox once it is there (the
            // capsfilter then holds the last rectangle's size).
            let (w, h) = try frameSize(of: branch.box ?? branch.capsfilter, pad: "src", field: "dest_crop")
            guard let rect = rect.clamped(width: w, height: h) else {
                throw .badRequest(field: "dest_crop", detail: "\(rect.left):\(rect.top):\(rect.width):\(rect.height) has nothing inside the \(w)x\(h) frame")
            }
            let updated = try insertOptionalElements(.destinationBox, slot: slot, field: "dest_crop")
            guard let box = updated.box else { throw .internalError("videobox missing after linking it in") }
            // Scale into the rectangle, then border it back to the frame size.
            updated.setOutputSize(width: rect.width, height: rect.height, keepAspect: s.enablePadding)
            gsb_object_set_int(box.raw, "left", -Int32(rect.left))
            gsb_object_set_int(box.raw, "top", -Int32(rect.top))
            gsb_object_set_int(box.raw, "right", -Int32(w - rect.left - rect.width))
            gsb_object_set_int(box.raw, "bottom", -Int32(h - rect.top - rect.height))
        case let .flipMethod(m):
            // nvvideoconvert's flip-method numbering → GstVideoOrientationMethod.
            let map: [UInt32: Int32] = [0: 0, 1: 3, 2: 2, 3: 1, 4: 4, 5: 7, 6: 5, 7: 6]
            guard let direction = map[m] else { throw .badRequest(field: "flip_method", detail: "must be 0-7") }
            guard let flip = try insertOptionalElements(.sourceTransforms, slot: slot, field: "flip_method").flip else {
                throw .internalError("videoflip missing after linking it in")
            }
            _ = gsb_object_set_from_string(flip.raw, "video-direction", "\(direction)")
        case let .interpolationMethod(m):
            // nvvideoconvert's interpolation-method → videoconvertscale's method.
            guard let method = videoScaleMethod(forInterpolation: m) else { throw .badRequest(field: "interpolation_method", detail: "must be 0-6") }
            _ = gsb_object_set_from_string(branch.convertScale.raw, "method", "\(method)")
        }
        binLog.info(element.raw, "source \(sourceId): applied \(setting)")
    }

    /// The negotiated width and height at an element's pad.
    private func frameSize(of element: ObjectRef<GstElement>, pad name: String, field: String) throws(ControlError) -> (UInt32, UInt32) {
        guard let pad = gst_element_get_static_pad(element.ptr, name) else {
            throw .internalError("no \(name) pad")
        }
        defer { gst_object_unref(UnsafeMutableRawPointer(pad)) }
        guard let caps = gst_pad_get_current_caps(pad) else {
            throw .conflict("\(field): the stream has not negotiated a frame size yet")
        }
        defer { gsb_caps_unref(caps) }
        var w: gint = 0, h: gint = 0
        guard let s = gst_caps_get_structure(caps, 0),
              gst_structure_get_int(s, "width", &w) != 0, gst_structure_get_int(s, "height", &h) != 0,
              w > 0, h > 0 else {
            throw .conflict("\(field): the stream has no frame size")
        }
        return (UInt32(w), UInt32(h))
    }

    func setMuxerProperty(_ setting: MuxerSetting) throws(ControlError) {
        guard let muxer = state.withLock({ $0?.muxer }) else { throw .unavailable("element is not running") }
        let (name, value): (String, String) = switch setting {
        case let .batchedPushTimeout(v): ("batched-push-timeout", "\(v)")
        case let .maxLatency(v): ("max-latency", "\(v)")
        }
        guard gsb_object_has_property(muxer.element.raw, name) != 0 else {
            let factory = gst_element_get_factory(muxer.element.ptr)
                .map { objectName(UnsafeMutableRawPointer($0)) } ?? "muxer"
            throw .unsupported("the muxer (\(factory)) has no property \(name)")
        }
        _ = gsb_object_set_from_string(muxer.element.raw, name, value)
        switch setting {
        case let .batchedPushTimeout(v): settings.withLock { $0.batchedPushTimeout = v }
        case let .maxLatency(v): settings.withLock { $0.deepStream.maxLatency = v }
        }
    }

    func quit() throws(ControlError) {
        guard state.withLock({ $0 != nil }) else { throw .unavailable("element is not running") }
        if let s = gst_structure_new_empty("force-pipeline-eos") {
            setStructureBool(s, "force_eos", true)
            gst_element_post_message(element.ptr, gst_message_new_element(cast(element.ptr, to: GstObject.self), s))
        }
        state.withLock { $0?.eosSent = true }
        downstream.send(gst_event_new_eos())
        notificationHub.publish(.appQuit)
    }

    var isReady: Bool { health.live }

    var platform: PlatformInfo { PlatformProbe.current }

    var notifications: NotificationHub? { notificationHub }

    /// The bin's current state, asked with a zero timeout: a state change in
    /// progress never holds a probe.
    var health: Health {
        guard state.withLock({ $0 != nil }) else { return Health(live: false, ready: false) }
        var current = GST_STATE_NULL
        var pending = GST_STATE_NULL
        gst_element_get_state(element.ptr, &current, &pending, 0)
        return Health(live: current == GST_STATE_PLAYING,
                      ready: current == GST_STATE_PLAYING || current == GST_STATE_PAUSED)
    }
}

extension CropRect {
    /// The part of the rectangle inside a `width`×`height` frame, as
    /// nvvideoconvert clamps a crop that reaches past the frame; nil when
    /// nothing of it is inside (or it is empty).
    func clamped(width w: UInt32, height h: UInt32) -> CropRect? {
        guard width > 0, height > 0, left < w, top < h else { return nil }
        return CropRect(left: left, top: top,
                        width: UInt32(min(UInt64(width), UInt64(w - left))),
                        height: UInt32(min(UInt64(height), UInt64(h - top))))
    }
}
