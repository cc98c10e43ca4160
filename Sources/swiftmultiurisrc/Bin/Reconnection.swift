import CGStreamer
import Dispatch
import GstSwiftBridge

/// RTSP reconnection, as DeepStream's rtsp-reconnect-interval and
/// rtsp-reconnect-attempts: a camera that sends nothing for `interval`
/// seconds, or fails, has its elements rebuilt (same source id, same muxer
/// pad), while every other source plays on. Runs on the control queue.
extension MultiUriSrcBin {
    /// Starts the watchdog when rtsp-reconnect-interval > 0 (control queue).
    func startReconnectWatchdog(_ s: Settings) {
        guard s.rtspReconnectInterval > 0 else { return }
        let timer = DispatchSource.makeTimerSource(queue: controlQueue)
        // A quarter of the interval (at most a second): a stall is noticed
        // soon after the interval passes, at little cost.
        let tick = min(1000, max(100, Int(s.rtspReconnectInterval) * 250))
        timer.schedule(deadline: .now() + .milliseconds(tick), repeating: .milliseconds(tick))
        timer.setEventHandler { [weak self] in self?.watchdogTick() }
        timer.resume()
        state.withLock { $0?.watchdog = timer }
    }

    func stopReconnectWatchdog(_ timer: (any DispatchSourceTimer)?) {
        timer?.cancel()
    }

    private func watchdogTick() {
        let s = settings.withLock { $0 }
        guard s.rtspReconnectInterval > 0 else { return }
        // st?.slots, not st.map: map would copy the whole State.
        let slots = state.withLock { st in st?.slots.values.map { $0 } ?? [] }
        let now = g_get_monotonic_time()
        for slot in slots where slot.isNetworkCamera {
            let (state, last, byError) = slot.runtime.withLock {
                ($0.state, max($0.lastFrameAt, $0.attachedAt), $0.lostByError)
            }
            let limit = gint64(s.reconnectWait(afterError: byError)) * 1_000_000
            guard state != .error, state != .eos, now - last >= limit else { continue }
            reconnect(slot, settings: s)
        }
    }

    /// One reconnection attempt, or the end of them (control queue).
    private func reconnect(_ slot: SourceSlot, settings s: Settings) {
        let attempt = slot.runtime.withLock { rt -> Int32 in
            rt.reconnectAttempts += 1
            return rt.reconnectAttempts
        }
        if s.rtspReconnectAttempts >= 0 && attempt > s.rtspReconnectAttempts {
            slot.runtime.withLock { rt in
                rt.state = .error
                rt.lastError = "no data after \(s.rtspReconnectAttempts) reconnection attempts" + (rt.lastError.map { " (\($0))" } ?? "")
            }
            retireFailed(slot)
            postAttemptExceeded(slot)
            postWarning(.resource, code: GST_RESOURCE_ERROR_READ.rawValue,
                        text: "source \(slot.sourceId) (\(slot.sensorId)): reconnection attempts exceeded", debug: nil)
            return
        }
        binLog.info(element.raw, "source \(slot.sourceId) (\(slot.sensorId)): reconnecting, attempt \(attempt)")
        let changed = slot.runtime.withLock { rt -> Bool in
            defer {
                rt.state = .reconnecting
                rt.reconnects &+= 1
            }
            return rt.state != .reconnecting
        }
        if changed { announceState(slot) }
        announceReconnect(slot, attempt: attempt)
        detach(slot, pushLifecycle: false)
        pushLifecycle(.streamReset(sourceId: slot.sourceId))
        do {
            try attach(slot, settings: s, register: false)
        } catch {
            let now = g_get_monotonic_time()
            slot.runtime.withLock { rt in
                rt.attachedAt = now
                rt.lastError = error.detail
            }
        }
    }

    /// An error inside a network camera while reconnection is on: the
    /// elements go, the watchdog brings them back after the interval.
    func cameraLost(_ slot: SourceSlot, reason: String, byError: Bool = true) {
        let first = slot.runtime.withLock { rt -> Bool in
            guard !rt.lossPending else { return false }
            rt.lossPending = true
            rt.lostByError = byError
            rt.state = .reconnecting
            rt.lastError = reason
            return true
        }
        guard first else { return }
        if byError { counters.withLock { $0.sourceFailed(reason) } }
        announceState(slot)
        let interval = settings.withLock { $0.reconnectWait(afterError: byError) }
        postWarning(.resource, code: GST_RESOURCE_ERROR_READ.rawValue,
                    text: "source \(slot.sourceId) (\(slot.sensorId), \(slot.maskedUri)) lost: \(reason); reconnecting in \(interval) s",
                    debug: nil)
        controlQueue.async { [weak self] in
            guard let self else { return }
            self.detach(slot, pushLifecycle: false)
            let now = g_get_monotonic_time()
            slot.runtime.withLock { $0.attachedAt = now }
        }
    }

    private func postAttemptExceeded(_ slot: SourceSlot) {
        guard let s = gst_structure_new_empty("attempt-exceeded") else { return }
        setStructureUInt(s, "source-id", slot.sourceId)
        setStructureBool(s, "attempt_exceeded", true)
        setStructureString(s, "sensor-id", slot.sensorId)
        gst_element_post_message(element.ptr, gst_message_new_element(cast(element.ptr, to: GstObject.self), s))
    }
}
