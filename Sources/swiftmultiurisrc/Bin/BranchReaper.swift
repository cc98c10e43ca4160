import CGStreamer
import Dispatch
import GstSwiftBridge
import Synchronization

/// How far one set of a source's elements got: whether its decoder exposed
/// a pad. Set from a streaming thread, read by the teardown.
final class BranchProgress: Sendable {
    private let exposedFlag = Atomic<Bool>(false)
    private let exposedSignal = DispatchSemaphore(value: 0)

    var exposed: Bool { exposedFlag.load(ordering: .acquiring) }

    func markExposed() {
        guard !exposedFlag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        exposedSignal.signal()
    }

    /// Waits at most `timeoutMs` for the first exposed pad.
    func waitExposed(timeoutMs: Int) -> Bool {
        if exposed { return true }
        return exposedSignal.wait(timeout: .now() + .milliseconds(timeoutMs)) == .success
    }
}

/// Takes a source's elements, already out of the bin and unlinked, to NULL
/// as the last job of the source's `SourceStateDriver`: on a thread of its
/// own, after every state change asked for before.
///
/// Why not on the control queue: setting a source to NULL waits for its
/// streaming threads, and some never come back: a filesrc blocked in a read
/// of a device or FIFO, or urisourcebin 1.22 deadlocking with its own
/// typefind thread when NULL meets a typefind in progress (both seen in
/// tests). On the control queue that froze every stream and the whole REST
/// API. Here it costs one stuck thread and the source's elements, which are
/// then reported as abandoned; the pipeline and every other source go on.
final class BranchTeardown: Sendable {
    let sourceId: UInt32
    private let completion: Completion

    private init(sourceId: UInt32, completion: Completion) {
        self.sourceId = sourceId
        self.completion = completion
    }

    /// How long a teardown lets a decoder that is still finding its
    /// stream's type finish that first. GStreamer 1.22's parsebin and
    /// urisourcebin deadlock when NULL meets their typefind's have-type
    /// handler (the handler waits for a lock the state change holds, the
    /// state change waits for the handler's thread); once a pad is exposed,
    /// that handler has returned. A source that never gets there (missing
    /// file, camera that never answers) costs this wait, off every queue.
    static let typefindGraceMs = 1_000

    /// Starts the teardown of `bin`, taking over the caller's reference.
    static func start(_ bin: ObjectRef<GstElement>, progress: BranchProgress, driver: SourceStateDriver) -> BranchTeardown {
        let job: @Sendable () -> Void = {
            awaitExposedBeforeStopping(bin, progress: progress)
            gst_element_set_state(bin.ptr, GST_STATE_NULL)
            gst_object_unref(bin.raw)
            // The source's threads freed their frames into glibc arenas of
            // their own, which glibc keeps; hand the free pages back.
            // malloc_trim acts on the whole host process (it walks every
            // arena under its lock), and is kept because it still pays:
            // bench P5's soak (1000 add/remove cycles after 100 warm-up
            // ones, 2 cores, no tracer) with it made a no-op (LD_PRELOAD)
            // took 28.3 MB in warm-up and grew 18.9 MB, against 17.6 MB and
            // 4.0 MB with it, for the same live heap (+2 MB either way).
            // Each cycle starts about 4 new threads, and glibc hands them
            // arenas up to its cap (8 per core); capping them is the host's
            // choice (MALLOC_ARENA_MAX=2: 13.9 MB, 2.9 MB), not a plugin's.
            gsb_release_free_memory()
        }
        if let completion = driver.enqueue(closing: true, job) {
            return BranchTeardown(sourceId: driver.sourceId, completion: completion)
        }
        // A second teardown of the same elements: the first one has them.
        binLog.warning(nil, "source \(driver.sourceId): torn down twice")
        gst_object_unref(bin.raw)
        let done = Completion()
        done.signal()
        return BranchTeardown(sourceId: driver.sourceId, completion: done)
    }

    /// Before a source goes down to READY or NULL: one that is still
    /// starting (PAUSED or on its way there, no pad exposed yet) gets
    /// `typefindGraceMs` to expose its decoder's pad. GStreamer 1.22's
    /// parsebin aborts the process (`analyze_new_pad: assertion failed:
    /// (chain->elements != NULL)`) when READY meets a demuxer adding its
    /// pads, and deadlocks when NULL meets its typefind (see above); sources
    /// that play cost nothing here. Runs on the source's driver thread.
    static func awaitExposedBeforeStopping(_ bin: ObjectRef<GstElement>, progress: BranchProgress) {
        guard !progress.exposed else { return }
        // Streaming threads exist from READY→PAUSED on, also while that
        // change is still pending.
        var current = GST_STATE_VOID_PENDING, pending = GST_STATE_VOID_PENDING
        gst_element_get_state(bin.ptr, &current, &pending, 0)
        guard max(current.rawValue, pending.rawValue) >= GST_STATE_PAUSED.rawValue else { return }
        if !progress.waitExposed(timeoutMs: typefindGraceMs) {
            binLog.debug(bin.raw, "exposed no pad within \(typefindGraceMs) ms; stopping it anyway")
        }
    }

    var isDone: Bool { completion.isDone }

    /// Waits at most `timeoutMs`; true once the elements are in NULL and freed.
    func wait(timeoutMs: Int) -> Bool { completion.wait(timeoutMs: timeoutMs) }
}
