import CGStreamer
import Dispatch
import GstSwiftBridge
import Synchronization

/// The elements a source's branch gets only when a request needs them (see
/// SourceBranch).
enum OptionalElements {
    /// videocrop ▶ videoflip in front of the converter (conv/srccrop,
    /// conv/flip-method).
    case sourceTransforms
    /// videobox after the capsfilter (conv/destcrop).
    case destinationBox
}

/// Runs a relink on the streaming thread of a pad once no data passes
/// through it (an IDLE probe), or at once when the pad is idle already;
/// the caller waits a bounded time and can give up while the relink has not
/// begun, and so can the source's `SourceSettingsGate` when the source
/// leaves.
final class IdleRelink: @unchecked Sendable {
    private enum Phase { case pending, running, done, cancelled }
    enum Outcome: Equatable {
        case linked, failed
        /// The pad stayed busy for the whole wait; nothing changed.
        case timedOut
        /// The source left while waiting; nothing changed.
        case cancelled
    }
    private let phase = Mutex(Phase.pending)
    private let finished = DispatchSemaphore(value: 0)
    /// Set by the relink before `finished` is signalled.
    private let succeeded = Atomic<Bool>(false)
    /// The gate cancelled the wait (rather than its timeout).
    private let cancelledByGate = Atomic<Bool>(false)
    private let relink: @Sendable () -> Bool

    private init(_ relink: @escaping @Sendable () -> Bool) { self.relink = relink }

    /// Ends a wait that has not begun relinking; a relink already running
    /// finishes (it waits for nothing).
    func cancel() {
        let wake = phase.withLock { phase -> Bool in
            guard phase == .pending else { return false }
            phase = .cancelled
            return true
        }
        if wake {
            cancelledByGate.store(true, ordering: .releasing)
            finished.signal()
        }
    }

    static func run(on pad: UnsafeMutablePointer<GstPad>, timeoutMs: Int, gate: SourceSettingsGate,
                    _ relink: @escaping @Sendable () -> Bool) -> Outcome {
        let job = IdleRelink(relink)
        // Registered first: a source leaving from now on cancels the wait.
        guard gate.track(job) else { return .cancelled }
        defer { gate.untrack(job) }
        let probe = gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_IDLE, { _, _, data in
            guard let data else { return GST_PAD_PROBE_REMOVE }
            let job = Unmanaged<IdleRelink>.fromOpaque(data).takeUnretainedValue()
            let begin = job.phase.withLock { phase -> Bool in
                guard phase == .pending else { return false }
                phase = .running
                return true
            }
            guard begin else { return GST_PAD_PROBE_REMOVE }
            job.succeeded.store(job.relink(), ordering: .releasing)
            job.phase.withLock { $0 = .done }
            job.finished.signal()
            return GST_PAD_PROBE_REMOVE
        }, Unmanaged.passRetained(job).toOpaque(), { data in
            guard let data else { return }
            Unmanaged<IdleRelink>.fromOpaque(data).release()
        })
        _ = job.finished.wait(timeout: .now() + .milliseconds(timeoutMs))
        // Woken by the relink, by cancel(), or by the timeout: the phase says which.
        let ended = job.phase.withLock { phase -> Phase in
            if phase == .pending { phase = .cancelled }
            return phase
        }
        switch ended {
        case .pending, .cancelled:
            if probe != 0 { gst_pad_remove_probe(pad, probe) }
            return job.cancelledByGate.load(ordering: .acquiring) ? .cancelled : .timedOut
        case .running:
            // Begun: it finishes without waiting for data.
            job.finished.wait()
        case .done:
            break
        }
        return job.succeeded.load(ordering: .acquiring) ? .linked : .failed
    }
}

/// Serializes the run-time settings of one source (dec/*, conv/*) off the
/// bin's control queue. A conv/* request that links elements in waits up
/// to `relinkTimeoutMs` for the source's pad to be between two frames; on
/// the control queue that wait would hold every add, remove and state
/// change of the bin behind one busy source. Here it holds only later
/// settings of the same source. `detach` calls `cancelAndWait` before it
/// takes the branch apart, so no setting touches a branch being removed.
final class SourceSettingsGate: Sendable {
    private let queue = DispatchQueue(label: "swiftmultiurisrcbin.source-settings")
    private struct Waiting {
        var relink: IdleRelink?
        /// Set during `cancelAndWait`: a relink starting then gives up at once.
        var cancelling = false
    }
    private let waiting = Mutex(Waiting())

    /// Runs `body` after the source's earlier settings, and waits for it.
    func run<T>(_ body: () throws(ControlError) -> T) throws(ControlError) -> T {
        let result: Result<T, ControlError> = queue.sync {
            do throws(ControlError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Ends any wait for the pad and returns once the setting in progress
    /// (if any) has finished: quickly, since it no longer waits for data.
    func cancelAndWait() {
        let relink = waiting.withLock { w -> IdleRelink? in
            w.cancelling = true
            return w.relink
        }
        relink?.cancel()
        queue.sync {}
        waiting.withLock { $0.cancelling = false }
    }

    fileprivate func track(_ job: IdleRelink) -> Bool {
        waiting.withLock { w in
            guard !w.cancelling else { return false }
            w.relink = job
            return true
        }
    }

    fileprivate func untrack(_ job: IdleRelink) {
        waiting.withLock { w in
            if w.relink === job { w.relink = nil }
        }
    }
}

extension MultiUriSrcBin {
    /// How long a request waits for a source's pad to be between two frames.
    static let relinkTimeoutMs = 2_000

    /// Links `which` into the slot's branch if it is not there yet and
    /// returns the branch as it is then (the slot's settings gate). `field`
    /// names the request field in errors.
    func insertOptionalElements(_ which: OptionalElements, slot: SourceSlot,
                                field: String) throws(ControlError) -> SourceBranch {
        guard let branch = slot.branch.withLock({ $0 }) else {
            throw .conflict("\(field): stream \(slot.sourceId) is \(slot.info().state.rawValue), not playing")
        }
        switch which {
        case .sourceTransforms where branch.crop != nil, .destinationBox where branch.box != nil:
            return branch
        default:
            break
        }
        let names: [(factory: String, name: String)] = switch which {
        case .sourceTransforms: [("videocrop", "crop"), ("videoflip", "flip")]
        case .destinationBox: [("videobox", "box")]
        }
        // The pad to watch: the decoded pad in front of the converter, or the
        // capsfilter's src pad.
        let watched: UnsafeMutablePointer<GstPad>
        switch which {
        case .sourceTransforms:
            guard let convertSink = gst_element_get_static_pad(branch.convertScale.ptr, "sink") else {
                throw .internalError("no converter sink pad")
            }
            defer { gst_object_unref(UnsafeMutableRawPointer(convertSink)) }
            // Before the decoder exposed its pad the request has no frame to
            // apply to (and pad-added could race the relink).
            guard let decoded = gst_pad_get_peer(convertSink) else {
                throw .conflict("\(field): stream \(slot.sourceId) has not started yet")
            }
            watched = decoded
        case .destinationBox:
            guard let capsSrc = gst_element_get_static_pad(branch.capsfilter.ptr, "src") else {
                throw .internalError("no capsfilter src pad")
            }
            watched = capsSrc
        }
        defer { gst_object_unref(UnsafeMutableRawPointer(watched)) }

        var made: [ObjectRef<GstElement>] = []
        for (factory, name) in names {
            guard let e = makeElement(factory, name: name) else {
                for m in made { gst_object_unref(gst_object_ref_sink(m.raw)) }
                throw .unavailable("\(field): element factory '\(factory)' not found")
            }
            made.append(ObjectRef(e))
        }
        let relink: @Sendable () -> Bool
        switch which {
        case .sourceTransforms:
            let (decoded, crop, flip) = (ObjectRef(watched), made[0], made[1])
            relink = {
                guard let convertSink = gst_element_get_static_pad(branch.convertScale.ptr, "sink") else { return false }
                defer { gst_object_unref(UnsafeMutableRawPointer(convertSink)) }
                guard let cropSink = gst_element_get_static_pad(crop.ptr, "sink") else { return false }
                defer { gst_object_unref(UnsafeMutableRawPointer(cropSink)) }
                gst_pad_unlink(decoded.ptr, convertSink)
                return gst_pad_link_full(decoded.ptr, cropSink, GST_PAD_LINK_CHECK_NOTHING) == GST_PAD_LINK_OK
                    && gst_element_link_pads_full(flip.ptr, "src", branch.convertScale.ptr, "sink",
                                                  GST_PAD_LINK_CHECK_NOTHING) != 0
            }
        case .destinationBox:
            let (box, ghost, clocksync) = (made[0], branch.srcPad, branch.clocksync)
            relink = {
                if let clocksync {
                    // capsfilter ▶ clocksync becomes capsfilter ▶ videobox ▶ clocksync.
                    gst_element_unlink(branch.capsfilter.ptr, clocksync.ptr)
                    guard gst_element_link_pads_full(box.ptr, "src", clocksync.ptr, "sink",
                                                     GST_PAD_LINK_CHECK_NOTHING) != 0 else { return false }
                } else {
                    // The ghost pad moves from the capsfilter to videobox.
                    guard let boxSrc = gst_element_get_static_pad(box.ptr, "src") else { return false }
                    defer { gst_object_unref(UnsafeMutableRawPointer(boxSrc)) }
                    guard gst_ghost_pad_set_target(cast(ghost.ptr, to: GstGhostPad.self), boxSrc) != 0 else { return false }
                }
                return gst_element_link_pads_full(branch.capsfilter.ptr, "src", box.ptr, "sink",
                                                  GST_PAD_LINK_CHECK_NOTHING) != 0
            }
        }

        // In the branch and at its state before any frame reaches them.
        for e in made { gst_bin_add(cast(branch.bin.ptr, to: GstBin.self), e.ptr) }
        if made.count == 2 {
            _ = gst_element_link_pads_full(made[0].ptr, "src", made[1].ptr, "sink", GST_PAD_LINK_CHECK_NOTHING)
        }
        for e in made { _ = gst_element_sync_state_with_parent(e.ptr) }

        let outcome = IdleRelink.run(on: watched, timeoutMs: Self.relinkTimeoutMs, gate: slot.settings, relink)
        guard outcome == .linked else {
            binLog.warning(element.raw, "source \(slot.sourceId): could not link in \(names.map(\.factory).joined(separator: ", ")) (\(outcome))")
            for e in made {
                gst_element_set_state(e.ptr, GST_STATE_NULL)
                gst_bin_remove(cast(branch.bin.ptr, to: GstBin.self), e.ptr)
            }
            switch outcome {
            case .cancelled:
                throw .conflict("\(field): stream \(slot.sourceId) left while the request waited for it")
            case .timedOut:
                throw .conflict("\(field): stream \(slot.sourceId) did not pass a frame boundary within "
                    + "\(Self.relinkTimeoutMs) ms; try again")
            case .linked, .failed:
                throw .internalError("\(field): linking \(names.map(\.factory).joined(separator: ", ")) into stream \(slot.sourceId) failed")
            }
        }
        let updated = slot.branch.withLock { current -> SourceBranch? in
            guard current != nil else { return nil }
            switch which {
            case .sourceTransforms:
                current?.crop = made[0]
                current?.flip = made[1]
            case .destinationBox:
                current?.box = made[0]
            }
            return current
        }
        guard let updated else { throw .conflict("\(field): stream \(slot.sourceId) was removed meanwhile") }
        binLog.info(element.raw, "source \(slot.sourceId): linked in \(names.map(\.factory).joined(separator: ", "))")
        return updated
    }
}
