import CGStreamer
import GstSwiftBridge

extension MultiUriSrcBin {
    /// GstElement::send_event. An EOS from the application (gst-launch -e,
    /// gst_element_send_event) ends the stream: loops, drops and
    /// reconnections stop, every source's EOS goes to the muxer, and with
    /// no source left the bin sends EOS itself.
    func sendEvent(_ event: UnsafeMutablePointer<GstEvent>) -> Bool {
        guard gsb_event_type(event) == GST_EVENT_EOS else {
            return gsb_parent_send_event(element.ptr, event) != 0
        }
        let active = state.withLock { st -> Int in
            st?.eosRequested = true
            return st?.slots.values.filter { $0.branch.withLock { $0 != nil } }.count ?? 0
        }
        binLog.info(element.raw, "EOS requested, \(active) source(s) to end")
        guard active > 0 else {
            gsb_event_unref(event)
            downstream.sendUnordered(gst_event_new_eos())
            return true
        }
        return gsb_parent_send_event(element.ptr, event) != 0
    }

    /// GstBin::handle_message: an error inside one source must not stop the
    /// pipeline. It becomes a warning naming the source, and the source
    /// leaves (see `retireFailed`). What children post leaves without the
    /// source's credentials.
    func handleMessage(_ message: UnsafeMutablePointer<GstMessage>) {
        // Sources change state apart from the bin (locked state): a source
        // that prerolls asynchronously (uridecodebin) must not make the bin
        // wait for an ASYNC_DONE its own state change never asked for.
        let type = gsb_message_type(message)
        if type == GST_MESSAGE_ASYNC_START || type == GST_MESSAGE_ASYNC_DONE,
           let src = gsb_message_src(message), slotOwning(UnsafeMutableRawPointer(src)) != nil {
            gsb_message_unref(message)
            return
        }
        if gsb_message_type(message) == GST_MESSAGE_ERROR,
           let src = gsb_message_src(message),
           let slot = slotOwning(UnsafeMutableRawPointer(src)) {
            var text: UnsafeMutablePointer<gchar>?
            var debug: UnsafeMutablePointer<gchar>?
            gsb_message_parse_error_or_warning(message, &text, &debug)
            let reason = slot.redacted(takeGString(text) ?? "unknown error")
            let details = takeGString(debug).map(slot.redacted)
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
                defer { rt.state = .error; rt.lastError = reason }
                return rt.state == .error
            }
            guard !alreadyFailed else { return }
            postWarning(.resource, code: GST_RESOURCE_ERROR_FAILED.rawValue,
                        text: "source \(slot.sourceId) (\(slot.sensorId), \(slot.maskedUri)) failed and was removed: \(reason)",
                        debug: details)
            postSourceError(slot, reason: reason)
            controlQueue.async { [weak self] in self?.retireFailed(slot) }
            return
        }
        if type == GST_MESSAGE_WARNING || type == GST_MESSAGE_INFO || type == GST_MESSAGE_PROGRESS
            || type == GST_MESSAGE_ELEMENT,
           let src = gsb_message_src(message), let slot = slotOwning(UnsafeMutableRawPointer(src)) {
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

    /// The source whose bin contains `object` (walking up the parents).
    func slotOwning(_ object: UnsafeMutableRawPointer) -> SourceSlot? {
        let bins: [(UnsafeMutableRawPointer, SourceSlot)] = state.withLock { st in
            guard let st else { return [] }
            return st.slots.values.compactMap { slot in slot.branch.withLock { b in b.map { ($0.bin.raw, slot) } } }
        }
        guard !bins.isEmpty else { return nil }
        var current: UnsafeMutableRawPointer? = object
        var depth = 0
        while let obj = current, depth < 64 {
            if let match = bins.first(where: { $0.0 == obj }) { return match.1 }
            current = gsb_object_parent(obj).map { UnsafeMutableRawPointer($0) }
            depth += 1
        }
        return nil
    }
}
