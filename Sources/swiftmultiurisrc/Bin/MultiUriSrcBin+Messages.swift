import CGStreamer
import Dispatch
import GstSwiftBridge

/// Who sent a message a child posted (see `MultiUriSrcBin.origin(of:)`).
enum MessageOrigin {
    /// The bin itself or one of its own elements (the muxer).
    case bin
    /// An element of this source.
    case slot(SourceSlot)
    /// An element of a source that has left the bin and is stopping.
    case departed
}

extension MultiUriSrcBin {
    /// GstElement::send_event. An EOS from the application (gst-launch -e,
    /// gst_element_send_event) ends the stream: loops, drops and
    /// reconnections stop, every source's EOS goes to the muxer, and with
    /// no source left the bin sends EOS itself.
    ///
    /// Not GstBin's default, which sends the event to each source in turn
    /// and waits for that source's state lock: a source stuck in a call that
    /// never returns (opening a FIFO) would keep the application from ever
    /// ending. Each source gets the EOS from its own driver thread instead,
    /// and one that has not ended `eosGraceMs` later is taken out
    /// (`endStragglers`), so the output ends anyway.
    func sendEvent(_ event: UnsafeMutablePointer<GstEvent>) -> Bool {
        guard gsb_event_type(event) == GST_EVENT_EOS else {
            return gsb_parent_send_event(element.ptr, event) != 0
        }
        gsb_event_unref(event)
        let branches = state.withLock { st -> [SourceBranch] in
            st?.eosRequested = true
            return st?.slots.values.compactMap { slot in slot.branch.withLock { $0 } } ?? []
        }
        binLog.info(element.raw, "EOS requested, \(branches.count) source(s) to end")
        guard !branches.isEmpty else {
            downstream.sendUnordered(gst_event_new_eos())
            return true
        }
        for branch in branches {
            let bin = branch.bin
            branch.driver.enqueue { _ = gst_element_send_event(bin.ptr, gst_event_new_eos()) }
        }
        controlQueue.asyncAfter(deadline: DispatchTime.now() + DispatchTimeInterval.milliseconds(Self.eosGraceMs)) { [weak self] in
            self?.endStragglers()
        }
        return true
    }

    /// How long a source that failed with a generic reason stays before it
    /// leaves, for the error that names the cause to arrive.
    static let specificErrorGraceMs = 200

    /// How long sources get to deliver their EOS after the application's.
    static let eosGraceMs = 2_000

    /// `eosGraceMs` after the application's EOS: sources that have not
    /// ended leave the muxer (which then ends, its other pads being at
    /// EOS), and with none left the bin sends EOS itself (control queue).
    func endStragglers() {
        let open = state.withLock { st -> [SourceSlot] in
            guard let st, st.eosRequested else { return [] }
            return st.slots.values.filter { slot in
                slot.branch.withLock { $0 != nil } && slot.runtime.withLock { $0.state != .eos }
            }.sorted { $0.sourceId < $1.sourceId }
        }
        for slot in open {
            slot.runtime.withLock { rt in
                rt.state = .eos
                rt.lastError = "did not end within \(Self.eosGraceMs) ms of the application's EOS and was taken out"
            }
            announceState(slot, reason: slot.info().lastError)
            postWarning(.resource, code: GST_RESOURCE_ERROR_CLOSE.rawValue,
                        text: "source \(slot.sourceId) (\(slot.sensorId)) did not end within \(Self.eosGraceMs) ms of the application's EOS and was taken out",
                        debug: nil)
            detach(slot, pushLifecycle: true)
        }
        if !open.isEmpty { applyLayout() }
        endIfNoSourceLeft()
    }

    /// After the application's EOS, the output ends as soon as no source is
    /// left to end it: the last ones may have failed or been removed instead
    /// of ending (an EOS that reaches a file source before it found its
    /// streams makes it fail), and the muxer ends only when a pad ends.
    func endIfNoSourceLeft() {
        let (requested, anyLeft) = state.withLock { st in
            (st?.eosRequested ?? false, st?.slots.values.contains { $0.branch.withLock { $0 != nil } } ?? false)
        }
        if requested, !anyLeft {
            binLog.info(element.raw, "EOS requested and no source left: EOS")
            downstream.sendUnordered(gst_event_new_eos())
        }
    }

    /// GstBin::handle_message: an error inside one source must not stop the
    /// pipeline. It becomes a warning naming the source, and the source
    /// leaves (see `retireFailed`). What children post leaves without the
    /// source's credentials.
    func handleMessage(_ message: UnsafeMutablePointer<GstMessage>) {
        let type = gsb_message_type(message)
        let owner = gsb_message_src(message).map { origin(of: UnsafeMutableRawPointer($0)) } ?? .bin
        switch owner {
        case .bin:
            gsb_parent_handle_message(binRef, message)
        case .departed:
            // A source that left posts until it stops: its thread took our
            // bus before gst_bin_remove took it away. Nothing it says is news.
            binLog.debug(element.raw, "dropped a \(String(cString: gst_message_type_get_name(type))) message of a source that left")
            gsb_message_unref(message)
        case let .slot(slot):
            handleSourceMessage(message, type: type, slot: slot)
        }
    }

    private func handleSourceMessage(_ message: UnsafeMutablePointer<GstMessage>, type: GstMessageType, slot: SourceSlot) {
        // Sources change state apart from the bin (locked state): a source
        // that prerolls asynchronously (uridecodebin) must not make the bin
        // wait for an ASYNC_DONE its own state change never asked for.
        if type == GST_MESSAGE_ASYNC_START || type == GST_MESSAGE_ASYNC_DONE {
            gsb_message_unref(message)
            return
        }
        if type == GST_MESSAGE_ERROR {
            var text: UnsafeMutablePointer<gchar>?
            var debug: UnsafeMutablePointer<gchar>?
            gsb_message_parse_error_or_warning(message, &text, &debug)
            let details = takeGString(debug).map(slot.redacted)
            let reason = FailureCause.reason(text: slot.redacted(takeGString(text) ?? "unknown error"), debug: details)
            gsb_message_unref(message)
            if slot.runtime.withLock({ $0.detaching }) {
                binLog.debug(element.raw, "source \(slot.sourceId) is leaving; its error is not a failure: \(reason)")
                return
            }
            if slot.isNetworkCamera, settings.withLock({ $0.rtspReconnectInterval > 0 }) {
                cameraLost(slot, reason: reason)
                return
            }
            let alreadyFailed = slot.runtime.withLock { rt -> Bool in
                let failed = rt.state == .error
                // A bin's generic "state change failed" often comes before
                // the element's own error that says why: the later, specific
                // one replaces it.
                if !failed || FailureCause.isGeneric(rt.lastError) { rt.lastError = reason }
                rt.state = .error
                return failed
            }
            guard !alreadyFailed else { return }
            postWarning(.resource, code: GST_RESOURCE_ERROR_FAILED.rawValue,
                        text: "source \(slot.sourceId) (\(slot.sensorId), \(slot.maskedUri)) failed and was removed: \(reason)",
                        debug: details)
            postSourceError(slot, reason: reason)
            // A generic reason: the element's own error, which says why,
            // usually follows within microseconds; let it land first.
            let settle = FailureCause.isGeneric(reason) ? Self.specificErrorGraceMs : 0
            controlQueue.asyncAfter(deadline: DispatchTime.now() + DispatchTimeInterval.milliseconds(settle)) { [weak self] in
                self?.retireFailed(slot)
            }
            return
        }
        if type == GST_MESSAGE_WARNING || type == GST_MESSAGE_INFO || type == GST_MESSAGE_PROGRESS
            || type == GST_MESSAGE_ELEMENT {
            guard let safe = redactedMessage(message, type: type, slot: slot) else { return }
            gsb_parent_handle_message(binRef, safe)
            return
        }
        gsb_parent_handle_message(binRef, message)
    }

    /// A child's message as it may leave the bin: texts without the
    /// source's password (rtspsrc's "Connecting to rtsp://user:pw@..."
    /// progress, warnings quoting the uri), and nothing of souphttpsrc's
    /// `http-headers` (request headers, credentials included). Takes
    /// `message`; nil when it is dropped.
    private func redactedMessage(_ message: UnsafeMutablePointer<GstMessage>, type: GstMessageType,
                                 slot: SourceSlot) -> UnsafeMutablePointer<GstMessage>? {
        let src = gsb_message_src(message)
        if type == GST_MESSAGE_ELEMENT {
            guard let s = gst_message_get_structure(message) else { return message }
            let name = String(cString: gst_structure_get_name(s))
            let text = takeGString(gst_structure_to_string(s)) ?? ""
            if name == "http-headers" || slot.redacted(text) != text {
                binLog.debug(element.raw, "source \(slot.sourceId): dropped its \(name) message (credentials)")
                gsb_message_unref(message)
                return nil
            }
            return message
        }
        guard !slot.secrets.isEmpty else { return message }
        if type == GST_MESSAGE_PROGRESS {
            var kind = GST_PROGRESS_TYPE_START
            var code: UnsafeMutablePointer<gchar>?
            var text: UnsafeMutablePointer<gchar>?
            gst_message_parse_progress(message, &kind, &code, &text)
            let codeText = takeGString(code) ?? ""
            let original = takeGString(text) ?? ""
            let safe = slot.redacted(original)
            guard safe != original else { return message }
            gsb_message_unref(message)
            return gst_message_new_progress(src, kind, codeText, safe)
        }
        // WARNING or INFO.
        var error: UnsafeMutablePointer<GError>?
        var debug: UnsafeMutablePointer<gchar>?
        if type == GST_MESSAGE_WARNING {
            gst_message_parse_warning(message, &error, &debug)
        } else {
            gst_message_parse_info(message, &error, &debug)
        }
        defer { if let error { g_error_free(error) } }
        let originalDebug = takeGString(debug)
        guard let error else { return message }
        let original = error.pointee.message.map { String(cString: $0) } ?? ""
        let safeText = slot.redacted(original)
        let safeDebug = originalDebug.map(slot.redacted)
        guard safeText != original || safeDebug != originalDebug else { return message }
        gsb_message_unref(message)
        let safeError = g_error_new_literal(error.pointee.domain, error.pointee.code, safeText)
        defer { if let safeError { g_error_free(safeError) } }
        return type == GST_MESSAGE_WARNING
            ? gst_message_new_warning(src, safeError, safeDebug)
            : gst_message_new_info(src, safeError, safeDebug)
    }

    /// Element message `stream-error` (ours): source-id, sensor-id, reason.
    private func postSourceError(_ slot: SourceSlot, reason: String) {
        guard let s = gst_structure_new_empty("stream-error") else { return }
        setStructureUInt(s, "source-id", slot.sourceId)
        setStructureString(s, "sensor-id", slot.sensorId)
        setStructureString(s, "sensor-name", slot.sensorName)
        setStructureString(s, "uri", slot.maskedUri)
        setStructureString(s, "reason", reason)
        gst_element_post_message(element.ptr, gst_message_new_element(cast(element.ptr, to: GstObject.self), s))
    }

    /// Where a message's sender sits: in a source (`slot`), elsewhere in
    /// the bin (the muxer, the bin itself), or in a source that left, whose
    /// elements no longer have the bin as an ancestor. Walks up the parents
    /// with gst_object_get_parent, which holds each object's lock: a source
    /// is unparented by gst_bin_remove while its threads still post.
    func origin(of object: UnsafeMutableRawPointer) -> MessageOrigin {
        if object == element.raw { return .bin }
        let bins: [(UnsafeMutableRawPointer, SourceSlot)] = state.withLock { st in
            guard let st else { return [] }
            return st.slots.values.compactMap { slot in slot.branch.withLock { b in b.map { ($0.bin.raw, slot) } } }
        }
        // `node` is referenced by us once we stepped past `object`.
        var node = object
        var owned = false
        defer { if owned { gst_object_unref(node) } }
        for _ in 0..<64 {
            if let match = bins.first(where: { $0.0 == node }) { return .slot(match.1) }
            if node == element.raw { return .bin }
            guard let parent = gst_object_get_parent(cast(node, to: GstObject.self)) else { return .departed }
            if owned { gst_object_unref(node) }
            node = UnsafeMutableRawPointer(parent)
            owned = true
        }
        return .bin
    }
}
