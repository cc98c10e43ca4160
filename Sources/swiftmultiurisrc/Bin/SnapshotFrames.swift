import CGStreamer
import CGstVideo
import Glibc
import GstSwiftBridge
import Synchronization

// Snapshots (GET stream/snapshot): each source's branch keeps a reference to
// the latest frame leaving it, and a request encodes that frame to JPEG on
// the REST worker, never on the streaming thread.
//
// Lock order: LatestFrame.held and LatestFrame.cache are never held together,
// nor with the bin's locks; SnapshotEncoder.budget is taken with neither.
// No lock is held while calling into GStreamer, except for reference count
// changes (gst_mini_object_ref) of a buffer or caps that the lock keeps alive:
// a ref never calls back, and every unref that may free happens outside.

/// The latest frame of one source branch, and the JPEGs made from it.
///
/// Cost on the data path: one relaxed atomic load per frame while nobody
/// asks for snapshots; while someone does (for `watchWindowMs` after each
/// request), a reference swap under `held`, no copy. Holding a frame makes
/// it non-writable, so the muxer's make_writable then copies the GstBuffer
/// struct (not the pixels): that is why frames are kept only while watched.
final class LatestFrame: @unchecked Sendable {
    // @unchecked: the pointers in `held` are only touched under its lock;
    // each is one reference owned by this object.
    struct Held {
        var buffer: ObjectRef<GstBuffer>?
        var caps: ObjectRef<GstCaps>?
        /// Increases with every frame kept: a cached JPEG of the same serial
        /// shows the same picture.
        var serial: UInt64 = 0
    }

    struct Encoded {
        var width: Int
        var serial: UInt64
        var madeAtMs: Int64
        var snapshot: Snapshot
    }

    struct Cache {
        /// At most `maxCachedWidths` entries, the oldest dropped first.
        var entries: [Encoded] = []
        /// Widths being encoded now: other requests for them wait for that
        /// encode instead of making their own.
        var encoding: Set<Int> = []
    }

    /// How long a frame is kept after a snapshot request; a console polls
    /// well within it.
    static let watchWindowMs: Int64 = 10_000
    /// A JPEG this young serves every viewer: many consoles, one encode.
    static let cacheTtlMs: Int64 = 250
    static let maxCachedWidths = 4

    private let held = Mutex(Held())
    /// Until when (monotonic ms) frames are kept; 0: nobody asked.
    private let watchedUntilMs = Atomic<Int64>(0)
    /// Whether `held` may hold a buffer: lets the data path skip the lock
    /// while unwatched.
    private let holdsBuffer = Atomic<Bool>(false)
    let cache = ConditionLock(Cache())

    deinit {
        let h = held.withLock { h -> Held in
            defer { h = Held() }
            return h
        }
        if let b = h.buffer { Self.unref(b.raw) }
        if let c = h.caps { Self.unref(c.raw) }
    }

    /// A frame leaves the branch (streaming thread).
    @inline(__always)
    func offer(_ buffer: UnsafeMutablePointer<GstBuffer>, nowNs: UInt64) {
        let until = watchedUntilMs.load(ordering: .relaxed)
        guard until != 0 else { return }
        let nowMs = Int64(truncatingIfNeeded: nowNs / 1_000_000)
        var old: ObjectRef<GstBuffer>?
        if nowMs < until {
            Self.ref(UnsafeMutableRawPointer(buffer))
            let kept = ObjectRef(buffer)
            old = held.withLock { h in
                defer {
                    h.buffer = kept
                    h.serial &+= 1
                }
                return h.buffer
            }
            holdsBuffer.store(true, ordering: .relaxed)
        } else if holdsBuffer.load(ordering: .relaxed) {
            // Nobody looks any more: give the frame back to its pool.
            old = held.withLock { h in
                defer { h.buffer = nil }
                return h.buffer
            }
            holdsBuffer.store(false, ordering: .relaxed)
            // Unless a request renewed the window meanwhile.
            _ = watchedUntilMs.compareExchange(expected: until, desired: 0, ordering: .relaxed)
        }
        if let old { Self.unref(old.raw) }
    }

    /// A caps event leaves the branch (streaming thread; rare).
    func setCaps(_ caps: UnsafeMutablePointer<GstCaps>) {
        Self.ref(UnsafeMutableRawPointer(caps))
        let kept = ObjectRef(caps)
        let old = held.withLock { h in
            defer { h.caps = kept }
            return h.caps
        }
        if let old { Self.unref(old.raw) }
    }

    static func ref(_ p: UnsafeMutableRawPointer) {
        _ = gst_mini_object_ref(p.assumingMemoryBound(to: GstMiniObject.self))
    }

    static func unref(_ p: UnsafeMutableRawPointer) {
        gst_mini_object_unref(p.assumingMemoryBound(to: GstMiniObject.self))
    }

    /// Keeps frames from now on, for the watch window.
    func watch() {
        watchedUntilMs.store(monotonicMs() + Self.watchWindowMs, ordering: .relaxed)
    }

    /// The latest frame as a sample (a new reference), with its serial.
    func sample() -> (sample: OpaquePointer, serial: UInt64)? {
        let refs = held.withLock { h -> (ObjectRef<GstBuffer>, ObjectRef<GstCaps>, UInt64)? in
            guard let b = h.buffer, let c = h.caps else { return nil }
            Self.ref(b.raw)
            Self.ref(c.raw)
            return (b, c, h.serial)
        }
        guard let (buffer, caps, serial) = refs else { return nil }
        defer {
            Self.unref(buffer.raw)
            Self.unref(caps.raw)
        }
        guard let sample = gst_sample_new(buffer.ptr, caps.ptr, nil, nil) else { return nil }
        return (sample, serial)
    }

    var currentSerial: UInt64 { held.withLock { $0.serial } }

    var hasFrame: Bool { held.withLock { $0.buffer != nil && $0.caps != nil } }

    // MARK: branch attachment

    /// The frame holder rides on the branch's capsfilter as object data, so
    /// it lives exactly as long as the branch.
    static let quark: GQuark = g_quark_from_static_string("swiftmultiurisrc-latest-frame")

    func attach(to element: UnsafeMutablePointer<GstElement>) {
        let object = UnsafeMutableRawPointer(element).assumingMemoryBound(to: GObject.self)
        g_object_set_qdata_full(object, Self.quark, Unmanaged.passRetained(self).toOpaque()) { p in
            guard let p else { return }
            Unmanaged<LatestFrame>.fromOpaque(p).release()
        }
    }

    static func of(_ element: UnsafeMutablePointer<GstElement>) -> LatestFrame? {
        let object = UnsafeMutableRawPointer(element).assumingMemoryBound(to: GObject.self)
        guard let p = g_object_get_qdata(object, quark) else { return nil }
        return Unmanaged<LatestFrame>.fromOpaque(p).takeUnretainedValue()
    }
}

/// JPEG encoding of kept frames, with the short cache and single flight per
/// width, and a process-wide cap on encodes running at once (each takes a
/// core for its time: a client asking for many sizes must not take them
/// all from the streams).
enum SnapshotEncoder {
    static let log = DebugCategory("swiftsnapshot", description: "Snapshots of streams (GET stream/snapshot)")
    static let maxConcurrentEncodes = 2
    /// Bounds how long a request waits for a frame, an encode slot or
    /// another request's encode.
    static let waitMs: Int64 = 2_000
    static let encodeTimeoutNs: GstClockTime = 2_000_000_000
    private static let budget = ConditionLock(0)
    /// Encodes made so far in this process (tests and the benchmark read
    /// how many requests one encode served).
    static let encodesDone = Atomic<Int>(0)

    static func snapshot(of frame: LatestFrame, width requested: Int?, sourceId: UInt32) throws(ControlError) -> Snapshot {
        frame.watch()
        let deadline = monotonicMs() + waitMs
        // The first request after a quiet time: the branch keeps frames from
        // now on, the next one comes within a frame interval.
        while !frame.hasFrame {
            guard monotonicMs() < deadline else {
                throw .unavailable("stream_id: source \(sourceId) sent no frame within \(waitMs) ms")
            }
            usleep(5_000)
        }
        let key = requested ?? 0
        // Cached, or being made by another request, or ours to make.
        enum Next { case cached(Snapshot), make }
        let serialNow = frame.currentSerial
        let next = frame.cache.withLock { cache, waiter -> Next in
            while true {
                let now = monotonicMs()
                if let hit = cache.entries.last(where: { $0.width == key }),
                   now - hit.madeAtMs < LatestFrame.cacheTtlMs || hit.serial == serialNow {
                    return .cached(hit.snapshot)
                }
                if !cache.encoding.contains(key) || now >= deadline {
                    cache.encoding.insert(key)
                    return .make
                }
                waiter.wait(untilMonotonicUs: Int(min(deadline, now + 50)) * 1000)
            }
        }
        if case let .cached(snapshot) = next { return snapshot }
        defer {
            frame.cache.withLock { cache, waiter in
                cache.encoding.remove(key)
                waiter.broadcast()
            }
        }
        try acquireSlot(deadline: deadline)
        defer { releaseSlot() }
        // The frame may have been let go just before the window was renewed:
        // then the next one comes within a frame interval.
        var kept = frame.sample()
        while kept == nil && monotonicMs() < deadline {
            usleep(5_000)
            kept = frame.sample()
        }
        guard let (sample, serial) = kept else {
            throw .unavailable("stream_id: source \(sourceId) sent no frame within \(waitMs) ms")
        }
        defer { LatestFrame.unref(UnsafeMutableRawPointer(sample)) }
        let snapshot = try encode(sample, width: requested, sourceId: sourceId)
        frame.cache.withLock { cache, _ in
            cache.entries.removeAll { $0.width == key }
            cache.entries.append(LatestFrame.Encoded(width: key, serial: serial, madeAtMs: monotonicMs(), snapshot: snapshot))
            if cache.entries.count > LatestFrame.maxCachedWidths { cache.entries.removeFirst() }
        }
        return snapshot
    }

    private static func acquireSlot(deadline: Int64) throws(ControlError) {
        let got = budget.withLock { running, waiter -> Bool in
            while running >= maxConcurrentEncodes {
                let now = monotonicMs()
                if now >= deadline { return false }
                waiter.wait(untilMonotonicUs: Int(min(deadline, now + 50)) * 1000)
            }
            running += 1
            return true
        }
        if !got {
            throw .unavailable("snapshot: \(maxConcurrentEncodes) encodes already running for \(waitMs) ms; try again")
        }
    }

    private static func releaseSlot() {
        budget.withLock { running, waiter in
            running = max(0, running - 1)
            waiter.broadcast()
        }
    }

    /// The frame's size from its caps.
    static func frameSize(_ caps: UnsafeMutablePointer<GstCaps>) -> (Int, Int)? {
        guard let s = gst_caps_get_structure(caps, 0) else { return nil }
        var w: gint = 0, h: gint = 0
        guard gst_structure_get_int(s, "width", &w) != 0, gst_structure_get_int(s, "height", &h) != 0,
              w > 0, h > 0 else { return nil }
        return (Int(w), Int(h))
    }

    /// The picture's size: `requested` wide (at most the frame's width),
    /// the height keeping the frame's aspect, at least 1.
    static func outputSize(frame: (Int, Int), requested: Int?) -> (Int, Int) {
        let (fw, fh) = frame
        let w = min(fw, max(1, requested ?? fw))
        let h = max(1, (w * fh + fw / 2) / fw)
        return (w, h)
    }

    private static func encode(_ sample: OpaquePointer, width requested: Int?, sourceId: UInt32) throws(ControlError) -> Snapshot {
        guard let caps = gst_sample_get_caps(sample), let (fw, fh) = frameSize(caps) else {
            throw .internalError("snapshot: the frame of source \(sourceId) has no video size in its caps")
        }
        let (w, h) = outputSize(frame: (fw, fh), requested: requested)
        guard let target = gst_caps_from_string("image/jpeg,width=\(w),height=\(h),pixel-aspect-ratio=1/1") else {
            throw .internalError("snapshot: cannot make caps for \(w)x\(h)")
        }
        defer { LatestFrame.unref(UnsafeMutableRawPointer(target)) }
        var error: UnsafeMutablePointer<GError>?
        let startNs = monotonicNs()
        encodesDone.add(1, ordering: .relaxed)
        guard let jpeg = gst_video_convert_sample(sample, target, encodeTimeoutNs, &error) else {
            let why = error.flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "no reason given"
            if let error { g_error_free(error) }
            log.warning(nil, "source \(sourceId): JPEG encode at \(w)x\(h) failed: \(why)")
            throw .internalError("snapshot: encoding failed: \(why)")
        }
        defer { LatestFrame.unref(UnsafeMutableRawPointer(jpeg)) }
        guard let buffer = gst_sample_get_buffer(jpeg) else { throw .internalError("snapshot: the encoder gave no buffer") }
        // A JPEG of at most 3840 pixels wide is far below Int.max.
        let size = Int(clamping: gst_buffer_get_size(buffer))
        var bytes = [UInt8](repeating: 0, count: size)
        let copied = Int(clamping: bytes.withUnsafeMutableBytes { gst_buffer_extract(buffer, 0, $0.baseAddress, gsize(size)) })
        if copied < size { bytes.removeLast(size - copied) }
        log.debug(nil, "source \(sourceId): \(fw)x\(fh) -> JPEG \(w)x\(h), \(bytes.count) bytes in \((monotonicNs() &- startNs) / 1000) µs")
        return Snapshot(jpeg: bytes, width: w, height: h, frameWidth: fw, frameHeight: fh)
    }
}
