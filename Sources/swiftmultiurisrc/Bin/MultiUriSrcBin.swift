import CGStreamer
import Dispatch
import GstSwiftBridge
import Synchronization
import swiftcustomevents

let binLog = DebugCategory("swiftmultiurisrcbin", description: "swift-multiurisrc source bin")

/// `swiftmultiurisrcbin`: many URIs into one muxed `src` pad, controlled at
/// run time through `StreamControl` (the REST server, action signals).
///
/// Threads: the application thread runs `changeState`; GStreamer's
/// streaming threads run the pad probes; civetweb's threads run REST
/// requests. Every change to the pipeline (adding, removing, looping,
/// tearing down a source) runs on `controlQueue`, one at a time, so no two
/// of them interleave and no streaming thread ever waits for one. Changes
/// inside one source's branch (dec/*, conv/*, which may wait for that
/// source's pad) run on the source's own `SourceSettingsGate` instead;
/// `detach` ends them before the branch goes.
///
/// Lock order: `settings` → `state` → a slot's `branch` → a slot's
/// `runtime`/`dropper`. No lock is held while calling into GStreamer: each
/// method copies what it needs out of the lock first.
final class MultiUriSrcBin: @unchecked Sendable {
    /// The GObject instance. Not retained: it owns us and outlives us.
    let element: ObjectRef<GstElement>
    /// The always `src` ghost pad; its target is the muxer's output.
    let srcPad: ObjectRef<GstPad>
    let settings = Mutex(Settings())
    /// Properties without effect here that were already reported once
    /// (`warnIfWithoutEffect`).
    let warnedProperties = Mutex<Set<BinProperty>>([])
    /// nil in NULL; built on NULL→READY, dropped on READY→NULL.
    let state = Mutex<State?>(nil)
    /// Events for downstream, sent with the data flow.
    let downstream: DownstreamEvents
    /// What outlives sources, for GET metrics (a leaf lock).
    let counters = Mutex(BinCounters())
    /// Serializes every pipeline change (see the type's comment).
    let controlQueue = DispatchQueue(label: "swiftmultiurisrcbin.control")
    static let onControlQueue = DispatchSpecificKey<Bool>()
    /// What clients of GET events hear; lives as long as the element, so
    /// ids keep counting across restarts (MultiUriSrcBin+Notifications).
    let notificationHub = NotificationHub()
    /// How long a removal over REST waits for the source's elements to stop
    /// before answering (they go on stopping after that, or are reported).
    static let removalTeardownWaitMs = 2_000
    /// How long READY→NULL waits for every source's elements together.
    static let stopTeardownWaitMs = 3_000
    /// How many failed sources `recentlyFailed` remembers.
    static let recentlyFailedLimit = 16

    /// What exists between READY and NULL.
    struct State: @unchecked Sendable {
        /// The muxer and what follows it, in the bin.
        var muxer: MuxerAdapter
        /// Every source by source id, including ended or failed ones kept
        /// for stream-info until removed.
        var slots: [UInt32: SourceSlot] = [:]
        /// The REST server, when `port` is not "0".
        var server: (any ControlServer)?
        /// EOS went downstream (app/quit, or the last source ended).
        var eosSent = false
        /// The application sent EOS to the bin: sources end for good.
        var eosRequested = false
        /// Whether the bin reached PLAYING at least once (sources added after
        /// that start at the current running time).
        var playing = false
        /// The last sources that failed and left, oldest first (at most
        /// `recentlyFailedLimit`): their final state and error, for clients.
        var recentlyFailed: [StreamInfo] = []
        /// Round-robin allocation: where the search for the next source id
        /// starts (the last id handed out + 1), from 0 at every start.
        var nextSourceId: UInt32 = 0
        /// The RTSP reconnection watchdog (rtsp-reconnect-interval > 0).
        var watchdog: (any DispatchSourceTimer)?
        /// The sensors added over REST, on disk (state-file set).
        var stateFile: SensorStateFile?
    }

    init(element: UnsafeMutablePointer<GstElement>) {
        self.element = ObjectRef(element)
        let ghost = gst_ghost_pad_new_no_target_from_template(
            "src", gst_element_get_pad_template(element, "src"))!
        srcPad = ObjectRef(ghost)
        downstream = DownstreamEvents(pad: ghost)
        gst_element_add_pad(element, ghost)
        // A source even without sources: the pipeline sends EOS (gst-launch
        // -e) to its source elements only.
        gsb_element_mark_source(element)
        controlQueue.setSpecific(key: Self.onControlQueue, value: true)
    }

    /// Runs `body` on the control queue and waits for it; inline when already
    /// there (a bus sync handler may call back into us from it).
    func onControl<T>(_ body: () throws(ControlError) -> T) throws(ControlError) -> T {
        if DispatchQueue.getSpecific(key: Self.onControlQueue) == true { return try body() }
        let result: Result<T, ControlError> = controlQueue.sync {
            do throws(ControlError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    var binRef: UnsafeMutablePointer<GstBin> { cast(element.ptr, to: GstBin.self) }

    // MARK: - State changes

    func changeState(_ transition: GstStateChange) -> GstStateChangeReturn {
        // Before chaining up: build what the children need.
        switch transition {
        case GST_STATE_CHANGE_NULL_TO_READY:
            do throws(ControlError) { try onControl { () throws(ControlError) in try start() } } catch {
                postError(.core, code: GST_CORE_ERROR_STATE_CHANGE.rawValue,
                          text: error.detail, debug: "swiftmultiurisrcbin failed to start")
                return GST_STATE_CHANGE_FAILURE
            }
        case GST_STATE_CHANGE_READY_TO_NULL:
            // Stop taking requests first: mg_stop waits for running handlers,
            // which may need the control queue, so this runs outside it.
            let server = state.withLock { s -> (any ControlServer)? in
                let server = s?.server
                s?.server = nil
                return server
            }
            server?.stop()
        default:
            break
        }

        let next = gsb_transition_next(transition)
        let downwards = next.rawValue < gsb_transition_current(transition).rawValue
        // Sources are locked out of the bin's own state changes (a failing
        // source must not fail the bin): they follow here, going down before
        // the muxer and up after it.
        if downwards { setSourcesState(next) }
        var ret = gsb_parent_change_state(element.ptr, transition)
        if ret == GST_STATE_CHANGE_FAILURE { return ret }
        if !downwards { setSourcesState(next) }

        // After chaining up.
        switch transition {
        case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
            state.withLock { $0?.playing = true }
        case GST_STATE_CHANGE_READY_TO_NULL:
            _ = try? onControl { () throws(ControlError) in stop() }
        default:
            break
        }
        let live = settings.withLock { $0.liveSource }
        if live && (transition == GST_STATE_CHANGE_READY_TO_PAUSED
                    || transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED) {
            ret = GST_STATE_CHANGE_NO_PREROLL
        }
        // NO_PREROLL belongs to the changes into PAUSED only. GstBin keeps
        // answering it for PAUSED→PLAYING too, and a pipeline told so
        // completes PLAYING at once: a sink still waiting for its preroll
        // since the pause is passed over, prerolls on our next frame into
        // PAUSED and stays there (the stream froze after pause and resume).
        // SUCCESS makes the pipeline wait for that sink and take it on.
        if live && transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING && ret == GST_STATE_CHANGE_NO_PREROLL {
            ret = GST_STATE_CHANGE_SUCCESS
        }
        return ret
    }

    /// NULL→READY: the muxer, the static sources, the REST server.
    private func start() throws(ControlError) {
        let s = settings.withLock { $0 }
        guard s.mode == 0 else { throw .unsupported("mode=audio is not supported; use mode=video") }
        // Before anything is built: a corrupt file fails the start with nothing to undo.
        let stateFile = try openStateFile(s)
        let muxer: MuxerAdapter
        do { muxer = try MuxerAdapter.make(s.muxer, settings: s) } catch {
            switch error {
            case let .missingFactory(name):
                throw .unavailable("muxer factory '\(name)' not found (property muxer)")
            case let .noRequestPads(name):
                throw .unavailable("muxer '\(name)' has no sink_%u request pads (property muxer)")
            }
        }
        if !muxer.unappliedProperties.isEmpty {
            binLog.warning(element.raw, "the muxer (\(s.muxer)) has no property for \(muxer.unappliedProperties.joined(separator: ", ")): not applied")
        }
        for e in muxer.elements { gst_bin_add(binRef, e.ptr) }
        for (a, b) in zip(muxer.elements, muxer.elements.dropFirst()) {
            gst_element_link(a.ptr, b.ptr)
        }
        if let target = gst_element_get_static_pad(muxer.output.ptr, "src") {
            gst_ghost_pad_set_target(cast(srcPad.ptr, to: GstGhostPad.self), target)
            gst_object_unref(UnsafeMutableRawPointer(target))
        }
        state.withLock { $0 = State(muxer: muxer, stateFile: stateFile) }
        binLog.info(element.raw, "started with muxer \(s.muxer)")

        for (index, uri) in s.uriList.enumerated() where !uri.isEmpty {
            let id = index < s.sensorIdList.count && !s.sensorIdList[index].isEmpty
                ? s.sensorIdList[index] : "\(index)"
            let name = index < s.sensorNameList.count && !s.sensorNameList[index].isEmpty
                ? s.sensorNameList[index] : id
            do {
                _ = try addStreamOnQueue(AddStreamRequest(cameraId: id, cameraName: name, uri: uri))
            } catch {
                postWarning(.resource, code: GST_RESOURCE_ERROR_FAILED.rawValue,
                            text: "uri-list entry \(index) not added: \(error.detail)", debug: nil)
            }
        }

        if let stateFile { addStateFileSensors(stateFile, settings: s) }
        startReconnectWatchdog(s)
        if s.port != "0" {
            do throws(ControlError) {
                let server = try startServer(s)
                state.withLock { $0?.server = server }
            } catch {
                stop()
                throw error
            }
        }
    }

    /// READY→NULL (children already in NULL): remove everything.
    private func stop() {
        guard let old = state.withLock({ s -> State? in defer { s = nil }; return s }) else { return }
        stopReconnectWatchdog(old.watchdog)
        old.stateFile?.drain()
        let teardowns = old.slots.values.sorted(by: { $0.sourceId < $1.sourceId }).compactMap { slot in
            detach(slot, pushLifecycle: false)
        }
        // Bounded: a source stuck for good must not keep the application
        // from stopping (SIGINT, app/quit).
        awaitTeardowns(teardowns, timeoutMs: Self.stopTeardownWaitMs)
        gst_ghost_pad_set_target(cast(srcPad.ptr, to: GstGhostPad.self), nil)
        downstream.clear()
        for e in old.muxer.elements.reversed() {
            gst_element_set_state(e.ptr, GST_STATE_NULL)
            gst_bin_remove(binRef, e.ptr)
        }
        binLog.info(element.raw, "stopped")
    }

    /// Moves every source's elements to `target`; a source that fails is
    /// detached (its error message says why). Each source changes state on
    /// its own driver thread, all at once; this waits for them with a bound,
    /// and a source that does not get there in time leaves as a failed one.
    private func setSourcesState(_ target: GstState) {
        _ = try? onControl { () throws(ControlError) in
            let branches = state.withLock { st in
                st?.slots.values.compactMap { slot in slot.branch.withLock { $0 }.map { (slot, $0) } } ?? []
            }
            let pending = branches.compactMap { slot, branch in
                setSourceState(slot, branch, target).map { (slot, $0) }
            }
            for slot in awaitSourceStates(pending, target: target) { retireFailed(slot) }
        }
    }

    /// How long the bin's own state changes and an add wait for a source's
    /// state change (on top of the typefind grace when going down) before
    /// giving up on that source.
    static let sourceStateWaitMs = 3_000

    /// Waits for state changes asked of sources, at most
    /// `sourceStateWaitMs` (plus the typefind grace going down) for all
    /// together. Returns the sources that did not get there, marked failed
    /// with the reason: the caller retires them. Such a source must leave
    /// the bin: its stuck change holds its state lock, which GstBin's own
    /// next state change (ours included) would wait for forever.
    func awaitSourceStates(_ pending: [(SourceSlot, Completion)], target: GstState) -> [SourceSlot] {
        guard !pending.isEmpty else { return [] }
        let down = target.rawValue <= GST_STATE_READY.rawValue
        let bound = Self.sourceStateWaitMs + (down ? BranchTeardown.typefindGraceMs : 0)
        let late = Completion.waitAll(pending.map(\.1), timeoutMs: bound)
        let name = String(cString: gst_element_state_get_name(target))
        return late.map { index in
            let slot = pending[index].0
            let reason = "its elements did not reach \(name) within \(bound) ms (a call into the source is blocked, e.g. opening a FIFO that has no writer)"
            slot.runtime.withLock { rt in
                rt.state = .error
                rt.lastError = reason
            }
            postWarning(.resource, code: GST_RESOURCE_ERROR_OPEN_READ.rawValue,
                        text: "source \(slot.sourceId) (\(slot.sensorId)): \(reason); it leaves, the other sources go on", debug: nil)
            return slot
        }
    }

    /// Asks `slot`'s driver to move its elements towards `requested` (control
    /// queue); the completion tells when that state change returned.
    @discardableResult
    private func setSourceState(_ slot: SourceSlot, _ branch: SourceBranch, _ requested: GstState) -> Completion? {
        var target = requested
        // A live bin, like any live source, delivers nothing before PLAYING
        // (it answered NO_PREROLL): in PAUSED its sources wait in READY, or
        // pause where they are once they played.
        if requested == GST_STATE_PAUSED, settings.withLock({ $0.liveSource }),
           gsb_element_current_state(branch.bin.ptr) != GST_STATE_PLAYING {
            target = GST_STATE_READY
        }
        if target == GST_STATE_PLAYING {
            // A locked child misses the clock and base time its parent hands
            // out on PAUSED→PLAYING; clocksync needs both to pace in real time.
            if let clock = gst_element_get_clock(element.ptr) {
                gst_element_set_clock(branch.bin.ptr, clock)
                gst_object_unref(UnsafeMutableRawPointer(clock))
            }
            gst_element_set_base_time(branch.bin.ptr, gst_element_get_base_time(element.ptr))
        }
        let bin = branch.bin, progress = branch.progress, decoder = branch.decoder
        return branch.driver.enqueue { [weak self, target] in
            if target.rawValue <= GST_STATE_READY.rawValue {
                BranchTeardown.awaitExposedBeforeStopping(bin, progress: progress)
            }
            var result = GST_STATE_CHANGE_SUCCESS
            // Only a source at rest below PAUSED goes through READY first. One
            // already on its way to PAUSED (prerolling, ASYNC) had its decoder
            // activated by the job that started that; a READY now would cancel
            // its preroll halfway, and legacy decodebin does not always come
            // back from that (typefind not-linked, no first frame: the
            // uridecodebin flake of BinTests on a loaded machine).
            var current = GST_STATE_VOID_PENDING, pending = GST_STATE_VOID_PENDING
            gst_element_get_state(bin.ptr, &current, &pending, 0)
            if target.rawValue >= GST_STATE_PAUSED.rawValue, current.rawValue < GST_STATE_PAUSED.rawValue,
               pending.rawValue < GST_STATE_PAUSED.rawValue {
                result = gst_element_set_state(bin.ptr, GST_STATE_READY)
                if result != GST_STATE_CHANGE_FAILURE { MultiUriSrcBin.activateDecodebinFirst(decoder) }
            }
            if result != GST_STATE_CHANGE_FAILURE { result = gst_element_set_state(bin.ptr, target) }
            guard result == GST_STATE_CHANGE_FAILURE, let self else { return }
            let first = slot.runtime.withLock { rt -> Bool in
                defer { rt.state = .error; if rt.lastError == nil { rt.lastError = "state change failed" } }
                return rt.state != .error
            }
            if first {
                self.postWarning(.resource, code: GST_RESOURCE_ERROR_FAILED.rawValue,
                                 text: "source \(slot.sourceId) (\(slot.sensorId)) failed to start and was removed", debug: nil)
            }
            self.controlQueue.async { [weak self] in self?.retireFailed(slot) }
        }
    }

    /// Takes the decodebin3 inside a source's uridecodebin3 (in READY) to
    /// PAUSED before uridecodebin3 itself goes there (source's driver thread).
    ///
    /// uridecodebin3's READY→PAUSED (GStreamer 1.22.0) may set its
    /// urisourcebin to PAUSED before its decodebin3. urisourcebin's typefind
    /// task then pushes at once; decodebin3, still in READY, adds an identity
    /// for the new stream on that streaming thread and syncs it with its own
    /// state: READY, pads inactive. The first buffer gets FLUSHING,
    /// urisourcebin's multiqueue pauses its task as it does on FLUSHING (no
    /// error, no message), and when decodebin3 reaches PAUSED milliseconds
    /// later nothing restarts it: the source stays in `starting` for good
    /// (StartRaceTests: about 1 in 20 rounds of four back-to-back adds on a
    /// loaded machine; the MetricsTests flake). decodebin3 has no async state
    /// change and nothing to do before its input arrives, so it may go first;
    /// uridecodebin3 then finds it in PAUSED already.
    static func activateDecodebinFirst(_ decoder: ObjectRef<GstElement>) {
        guard g_type_is_a(gsb_object_type(decoder.raw), gst_bin_get_type()) != 0 else { return }
        var decodebins: [UnsafeMutablePointer<GstElement>] = []
        forEachElement(in: decoder.ptr, recursive: false) { child in
            guard let factory = gst_element_get_factory(child),
                  objectName(UnsafeMutableRawPointer(factory)) == "decodebin3" else { return }
            gst_object_ref(UnsafeMutableRawPointer(child))
            decodebins.append(child)
        }
        // Outside the iterator: set_state may add children (and resync it).
        for child in decodebins {
            if gsb_element_current_state(child).rawValue < GST_STATE_PAUSED.rawValue {
                _ = gst_element_set_state(child, GST_STATE_PAUSED)
            }
            gst_object_unref(UnsafeMutableRawPointer(child))
        }
    }

    // MARK: - Adding and removing sources

    /// Adds a source; runs on the control queue.
    func addStreamOnQueue(_ request: AddStreamRequest) throws(ControlError) -> StreamInfo {
        let s = settings.withLock { $0 }
        guard !request.cameraId.isEmpty else { throw .badRequest(field: "camera_id", detail: "must not be empty") }
        guard !request.uri.isEmpty else { throw .badRequest(field: "camera_url", detail: "must not be empty") }
        guard gst_uri_is_valid(request.uri) != 0 else {
            throw .badRequest(field: "camera_url", detail: "'\(maskPassword(in: request.uri))' is not a URI")
        }
        // Decide the id and check limits under one lock, so concurrent adds
        // can't both take the last place.
        enum Admission { case ok(UInt32, replacing: SourceSlot?), failure(ControlError) }
        let admission: Admission = state.withLock { running in
            guard let st = running else { return .failure(.unavailable("element is not running")) }
            var replacing: SourceSlot?
            if let existing = st.slots.values.first(where: { $0.sensorId == request.cameraId }) {
                // Only a source that ended may be added again under its id.
                guard existing.hasEnded else {
                    return .failure(.conflict("Duplicate Camera id, unable to add stream: camera_id '\(request.cameraId)' is present"))
                }
                replacing = existing
            }
            // Every source present counts, also one still connecting, retrying
            // or ended (as in DeepStream): failed ones leave at once.
            let present = st.slots.values.filter { $0 !== replacing }.count
            guard present < Int(s.maxBatchSize) else { return .failure(.capacity(limit: s.maxBatchSize)) }
            let id = Self.allocateSourceId(taken: { st.slots[$0].map { $0 !== replacing } ?? false },
                                           roundRobinFrom: s.sourceIdAllocation == 0 ? st.nextSourceId : nil,
                                           modulo: s.maxBatchSize)
            running?.nextSourceId = id &+ 1
            return .ok(id, replacing: replacing)
        }
        guard case let .ok(sourceId, replacing) = admission else {
            if case let .failure(e) = admission { throw e }
            throw .internalError("admission")
        }
        if let replacing {
            // Its elements may still be there (at EOS): they hold the muxer
            // pad the new source is about to ask for.
            detach(replacing, pushLifecycle: true)
            forget(replacing)
            postStreamMessage("stream-remove", replacing)
        }

        let slot = SourceSlot(sourceId: sourceId, sensorId: request.cameraId, sensorName: request.cameraName,
                              uri: request.uri, options: s.resolved(request.options),
                              skipFrames: s.decSkipFrames,
                              labels: request.labels, stopAfterFrames: request.stopAfterFrames)
        try attach(slot, settings: s, register: true)
        postStreamMessage("stream-add", slot)
        if let seconds = request.stopAfterSeconds {
            controlQueue.asyncAfter(deadline: DispatchTime.now() + DispatchTimeInterval.seconds(Int(seconds))) { [weak self, weak slot] in
                guard let self, let slot else { return }
                self.stopStream(slot, reason: "stop_after_seconds: \(seconds) s since it was added")
            }
        }
        binLog.info(element.raw, "added source \(sourceId) (\(request.cameraId)) \(slot.maskedUri)")
        return slot.info()
    }

    /// A free source id. Round robin (`roundRobinFrom` given, DeepStream
    /// 9.1's scheme): the first of from, from+1, ... modulo `modulo` not
    /// taken, so ids are not reused at once after a removal. Otherwise, or
    /// when every id below `modulo` is taken (max-batch-size lowered while
    /// sources play), the lowest id not taken.
    static func allocateSourceId(taken: (UInt32) -> Bool, roundRobinFrom start: UInt32?, modulo: UInt32) -> UInt32 {
        if let start, modulo > 0 {
            for i in 0..<modulo {
                let candidate = UInt32((UInt64(start) + UInt64(i)) % UInt64(modulo))
                if !taken(candidate) { return candidate }
            }
        }
        var id: UInt32 = 0
        while taken(id) { id += 1 }
        return id
    }

    /// Builds a slot's elements, links them to the muxer pad `sink_<id>` and
    /// starts them at the bin's state (control queue). Used when a source is
    /// added and when an RTSP source reconnects.
    func attach(_ slot: SourceSlot, settings s: Settings, register: Bool) throws(ControlError) {
        let sourceId = slot.sourceId
        let live = s.liveSource
        var branch: SourceBranch
        do {
            branch = try SourceBranch.build(sourceId: sourceId, uri: slot.uri, factory: s.sourceFactory, live: live)
        } catch {
            switch error {
            case let .missingElement(name): throw .unavailable("element factory '\(name)' not found")
            case let .linkFailed(what): throw .internalError("could not link \(what)")
            }
        }
        let (muxer, playing) = state.withLock { st in (st?.muxer, st?.playing ?? false) }
        guard let muxer else { branch.releaseBuildReference(); throw .unavailable("element is not running") }

        // interpolation-method: Bilinear is videoconvertscale's own default.
        if s.deepStream.interpolationMethod != 1, let method = videoScaleMethod(forInterpolation: s.deepStream.interpolationMethod) {
            _ = gsb_object_set_from_string(branch.convertScale.raw, "method", "\(method)")
        }
        let context = SourceContext(bin: self, slot: slot, progress: branch.progress)
        configureDecoder(branch, context: context)
        gst_element_set_locked_state(branch.bin.ptr, 1)
        gst_bin_add(binRef, branch.bin.ptr)
        branch.releaseBuildReference()

        guard let muxPad = gst_element_request_pad_simple(muxer.element.ptr, "sink_\(sourceId)") else {
            gst_bin_remove(binRef, branch.bin.ptr)
            throw .internalError("muxer refused pad sink_\(sourceId)")
        }
        branch.muxPad = ObjectRef(muxPad)
        muxer.streamMux?.setSensorId(slot.sensorId, forSource: sourceId)
        // No caps check: it would query caps through the whole branch (about
        // a millisecond per source); a muxer that refuses raw video fails at
        // negotiation instead, which is reported as a stream error.
        if gst_pad_link_full(branch.srcPad.ptr, muxPad, GST_PAD_LINK_CHECK_HIERARCHY) != GST_PAD_LINK_OK {
            gst_element_release_request_pad(muxer.element.ptr, muxPad)
            gst_object_unref(UnsafeMutableRawPointer(muxPad))
            gst_bin_remove(binRef, branch.bin.ptr)
            throw .internalError("could not link source \(sourceId) to the muxer")
        }
        let now = g_get_monotonic_time()
        slot.runtime.withLock { rt in
            rt.needsStartOffset = live || playing
            rt.offsetSet = false
            rt.offset = 0
            rt.attachedAt = now
            rt.lossPending = false
            rt.lostByError = false
            rt.detaching = false
            rt.lastStreamStartId = nil
        }
        slot.branch.withLock { $0 = branch }
        installProbes(branch, context: context)
        if register { state.withLock { $0?.slots[sourceId] = slot } }
        applyLayout()

        pushLifecycle(.padAdded(sourceId: sourceId))
        let target = gsb_element_current_state(element.ptr)
        if let started = setSourceState(slot, branch, target),
           !awaitSourceStates([(slot, started)], target: target).isEmpty {
            // After the request that added it is answered and announced.
            controlQueue.async { [weak self] in self?.retireFailed(slot) }
        }
    }

    /// Removes a source for good; runs on the control queue. The returned
    /// teardown (nil when the source had no elements left) is for the
    /// caller to wait on, off the queue.
    func removeStreamOnQueue(cameraId: String, url: String?) throws(ControlError) -> (StreamInfo, BranchTeardown?) {
        guard !cameraId.isEmpty else { throw .badRequest(field: "camera_id", detail: "must not be empty") }
        let slot: SourceSlot? = state.withLock { st in st?.slots.values.first { $0.sensorId == cameraId } }
        guard let slot else { throw .notFound("No record found. Failed to remove source stream: no stream with camera_id '\(cameraId)'") }
        if let url, !url.isEmpty, url != slot.uri {
            throw .conflict("camera_url does not match the url of camera_id '\(cameraId)'")
        }
        let info = slot.info()
        let teardown = leave(slot)
        binLog.info(element.raw, "removed source \(slot.sourceId) (\(cameraId))")
        return (info, teardown)
    }

    /// A source leaves for good (control queue): its elements go (the
    /// teardown is returned for a bounded wait), its slot and id are free,
    /// `stream-remove` says so (with `reason` when given), the layout closes
    /// the gap.
    @discardableResult
    private func leave(_ slot: SourceSlot, reason: String? = nil) -> BranchTeardown? {
        let teardown = detach(slot, pushLifecycle: true)
        forget(slot)
        postStreamMessage("stream-remove", slot, reason: reason)
        applyLayout()
        endIfNoSourceLeft()
        return teardown
    }

    /// Takes a source's elements out of the pipeline; the slot itself stays
    /// (with its state) until `forget`. Runs on the control queue and never
    /// waits for the source's threads: the elements leave the bin and the
    /// muxer first (neither waits on a streaming thread stuck upstream), and
    /// go to NULL on a thread of their own (BranchTeardown), which callers
    /// may wait for with a bound.
    @discardableResult
    func detach(_ slot: SourceSlot, pushLifecycle lifecycle: Bool) -> BranchTeardown? {
        guard let branch = slot.branch.withLock({ $0 }) else { return nil }
        let muxer = state.withLock { $0?.muxer }
        // Errors the dying source posts from now on are not failures, and
        // settings from now on refuse; the one in progress stops waiting for
        // the pad and ends before the branch is taken apart. (The branch
        // stays in the slot until it has left the bin: messages its
        // elements post meanwhile must still find their source.)
        slot.runtime.withLock { $0.detaching = true }
        slot.settings.cancelAndWait()
        if lifecycle { pushLifecycle(.streamEos(sourceId: slot.sourceId)) }
        // Ours from here: the bin drops its reference in gst_bin_remove,
        // which also unlinks the source from its muxer pad and takes it off
        // our bus, without touching its state.
        gst_object_ref(branch.bin.raw)
        // Until it stops, the source's output goes nowhere quietly: an
        // unlinked pad would answer NOT_LINKED and send decodebin3 and its
        // multiqueue down their error paths while they are being torn down.
        gst_pad_add_probe(branch.srcPad.ptr, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM, { _, _, _ in
            GST_PAD_PROBE_DROP
        }, nil, nil)
        gst_bin_remove(binRef, branch.bin.ptr)
        slot.branch.withLock { $0 = nil }
        if let muxPad = branch.muxPad {
            // Unlinked already: no new data comes, and the release waits only
            // for a push already inside the muxer.
            if let muxer { gst_element_release_request_pad(muxer.element.ptr, muxPad.ptr) }
            gst_object_unref(muxPad.raw)
        }
        // GstBin drops the SOURCE flag with its last source child.
        gsb_element_mark_source(element.ptr)
        if lifecycle { pushLifecycle(.padDeleted(sourceId: slot.sourceId)) }
        binLog.debug(element.raw, "detached source \(slot.sourceId)")
        return BranchTeardown.start(branch.bin, progress: branch.progress, driver: branch.driver)
    }

    /// Waits for teardowns, at most `timeoutMs` for all of them together,
    /// and reports the sources whose elements did not stop in time: they
    /// are left to their stuck threads, outside the pipeline.
    func awaitTeardowns(_ teardowns: [BranchTeardown], timeoutMs: Int) {
        let deadline = g_get_monotonic_time() + gint64(timeoutMs) * 1000
        for teardown in teardowns {
            let left = Int(max(0, deadline - g_get_monotonic_time()) / 1000)
            if teardown.wait(timeoutMs: left) { continue }
            postWarning(.resource, code: GST_RESOURCE_ERROR_CLOSE.rawValue,
                        text: "source \(teardown.sourceId): its elements did not stop within \(timeoutMs) ms and were abandoned (a streaming thread is blocked, e.g. in a read)",
                        debug: nil)
        }
    }

    /// A source that failed for good leaves, as in DeepStream: out of the
    /// pipeline and the slot table (its id and place are free again), with a
    /// `stream-remove` message. What happened to it stays readable in
    /// `recentlyFailed` (bounded). Control queue.
    func retireFailed(_ slot: SourceSlot) {
        guard state.withLock({ $0?.slots[slot.sourceId] === slot }) else { return }
        // Its final state and reason, before the stream-removed that follows.
        announceState(slot)
        detach(slot, pushLifecycle: true)
        forget(slot)
        let info = slot.info()
        counters.withLock { $0.sourceFailed(info.lastError) }
        state.withLock { st in
            st?.recentlyFailed.append(info)
            if let n = st?.recentlyFailed.count, n > Self.recentlyFailedLimit {
                st?.recentlyFailed.removeFirst(n - Self.recentlyFailedLimit)
            }
        }
        postStreamMessage("stream-remove", slot)
        applyLayout()
        binLog.info(element.raw, "source \(slot.sourceId) (\(slot.sensorId)) failed and left: \(info.lastError ?? "unknown error")")
        endIfNoSourceLeft()
    }

    /// A stream whose stop condition came (stop_after_frames,
    /// stop_after_seconds) leaves as a removal does, with a `stream-remove`
    /// saying why. Nothing when it has left already (control queue).
    func stopStream(_ slot: SourceSlot, reason: String) {
        guard state.withLock({ $0?.slots[slot.sourceId] === slot }) else { return }
        leave(slot, reason: reason)
        // It ended as its add asked: not to be brought back by the next start.
        if let (file, change) = recordRemoved(slot.sensorId) { file.commitLater(through: change) }
        binLog.info(element.raw, "source \(slot.sourceId) (\(slot.sensorId)) stopped: \(reason)")
    }

    private func forget(_ slot: SourceSlot) {
        state.withLock { st in
            if st?.slots[slot.sourceId] === slot { st?.slots[slot.sourceId] = nil }
        }
    }

    /// Compositor: one cell per source with elements, in source id order.
    /// Other muxers: each source scaled to width×height.
    func applyLayout() {
        let (muxer, slots) = state.withLock { st in
            (st?.muxer, st?.slots.values.sorted { $0.sourceId < $1.sourceId } ?? [])
        }
        guard let muxer else { return }
        let s = settings.withLock { $0 }
        let placed = slots.compactMap { slot in slot.branch.withLock { $0 } }
        for (index, branch) in placed.enumerated() {
            switch muxer.kind {
            case .compositor:
                let cell = muxer.cell(index: index, count: placed.count)
                branch.setOutputSize(width: cell.width, height: cell.height, keepAspect: s.enablePadding)
                if let pad = branch.muxPad {
                    gsb_object_set_int(pad.raw, "xpos", cell.x)
                    gsb_object_set_int(pad.raw, "ypos", cell.y)
                }
            default:
                branch.setOutputSize(width: s.width, height: s.height, keepAspect: s.enablePadding)
            }
        }
    }

    // MARK: - Messages and events

    func pushLifecycle(_ event: LifecycleEvent) {
        downstream.send(event.makeEvent())
    }

    func postStreamMessage(_ name: String, _ slot: SourceSlot, reason: String? = nil) {
        guard let s = gst_structure_new_empty(name) else { return }
        setStructureUInt(s, "source-id", slot.sourceId)
        setStructureString(s, "sensor-id", slot.sensorId)
        setStructureString(s, "sensor-name", slot.sensorName)
        setStructureString(s, "uri", slot.maskedUri)
        if let reason { setStructureString(s, "reason", reason) }
        gst_element_post_message(element.ptr, gst_message_new_element(cast(element.ptr, to: GstObject.self), s))
        announceMembership(name, slot, reason: reason)
    }

    enum Domain { case core, resource, stream }

    func postWarning(_ domain: Domain, code: UInt32, text: String, debug: String?) {
        binLog.warning(element.raw, text)
        gsb_element_post_warning(element.ptr, domain.bridge, Int32(bitPattern: code), text, debug)
    }

    func postError(_ domain: Domain, code: UInt32, text: String, debug: String?) {
        binLog.error(element.raw, text)
        gsb_element_post_error(element.ptr, domain.bridge, Int32(bitPattern: code), text, debug)
    }
}

extension MultiUriSrcBin.Domain {
    var bridge: GsbErrorDomain {
        switch self {
        case .core: GSB_ERROR_CORE
        case .resource: GSB_ERROR_RESOURCE
        case .stream: GSB_ERROR_STREAM
        }
    }
}

func setStructureUInt(_ s: UnsafeMutablePointer<GstStructure>, _ field: String, _ v: UInt32) {
    var value = GValue()
    g_value_init(&value, gsb_type_uint())
    g_value_set_uint(&value, v)
    gst_structure_take_value(s, field, &value)
}

func setStructureString(_ s: UnsafeMutablePointer<GstStructure>, _ field: String, _ v: String) {
    var value = GValue()
    g_value_init(&value, gsb_type_string())
    g_value_set_string(&value, v)
    gst_structure_take_value(s, field, &value)
}

func setStructureBool(_ s: UnsafeMutablePointer<GstStructure>, _ field: String, _ v: Bool) {
    var value = GValue()
    g_value_init(&value, gsb_type_boolean())
    g_value_set_boolean(&value, v.gboolean)
    gst_structure_take_value(s, field, &value)
}
