import CGStreamer
import Dispatch
import GstSwiftBridge
import Synchronization

/// One source of the bin: its identity, its part of the pipeline and its
/// run-time statistics. Created by `MultiUriSrcBin.addStream` on the control
/// queue, dropped when the source is removed.
final class SourceSlot: @unchecked Sendable {
    /// The bin's source id: the lowest free one when added; the muxer pad is
    /// `sink_<sourceId>` and control events name it as a decimal string.
    let sourceId: UInt32
    /// The camera id clients use (sensor-id-list or camera_id).
    let sensorId: String
    /// The camera name (sensor-name-list or camera_name).
    let sensorName: String
    /// The uri as given (may hold a password: never logged, see maskedUri).
    let uri: String
    /// Options after applying the element's defaults.
    let options: ResolvedSourceOptions
    /// This source's elements; nil once they have been torn down (after an
    /// error or EOS the slot stays, with its state, until removed).
    let branch: Mutex<SourceBranch?>
    /// Counters and state touched from streaming threads.
    let runtime: Mutex<SourceRuntime>
    /// Frames seen at the decoder output, for drop-frame-interval. Streaming
    /// thread only.
    let dropper: Mutex<FrameDropper>
    /// DeepStream's skip-frames for this source (0 every frame, 1 no
    /// non-reference frames, 2 key frames only): set at run time by
    /// dec/skip-frames, kept across reconnections. Read by the probe before
    /// the decoder, which drops delta frames for 2 and gives libav decoders
    /// their skip-frame for 1 (see `configureChild`). (The slot does not
    /// hold its SourceContext: the context holds the slot, and probes hold
    /// the context.)
    let skipFrames: Atomic<UInt32>
    /// When the last frame kept by the dropper entered the converter
    /// (monotonic ns): the branch's latency is taken when it leaves.
    /// Streaming thread only (both probes run on it: no queue between).
    let enteredConverterAt = Atomic<UInt64>(0)
    /// Signalled at each first frame after a (re)start, so that an add
    /// waiting for its first frame answers at once rather than at its next
    /// poll.
    let firstFrame = DispatchSemaphore(value: 0)

    /// Serializes dec/* and conv/* settings of this source, off the control
    /// queue; `detach` cancels and waits for the one in progress.
    let settings = SourceSettingsGate()

    /// The labels given when the stream was added (stream info).
    let labels: [String: String]
    /// stop_after_frames: the stream leaves once this many frames left it;
    /// frames after those are dropped until it has gone.
    let stopAfterFrames: UInt64?

    init(sourceId: UInt32, sensorId: String, sensorName: String, uri: String,
         options: ResolvedSourceOptions, skipFrames: UInt32,
         labels: [String: String] = [:], stopAfterFrames: UInt32? = nil) {
        self.labels = labels
        self.stopAfterFrames = stopAfterFrames.map { UInt64($0) }
        self.skipFrames = Atomic(skipFrames)
        self.sourceId = sourceId
        self.sensorId = sensorId
        self.sensorName = sensorName
        self.uri = uri
        loopsFile = options.fileLoop && uri.hasPrefix("file:")
        maskedUri = maskPassword(in: uri)
        secrets = swiftmultiurisrc.secrets(of: uri)
        self.options = options
        branch = Mutex(nil)
        runtime = Mutex(SourceRuntime())
        dropper = Mutex(FrameDropper(interval: options.dropFrameInterval))
    }

    /// A file that starts again at its end (file-loop): only such sources
    /// need where each frame ends (`SourceRuntime.decodedEnd`), read per
    /// frame by the probes, so made once.
    let loopsFile: Bool
    /// The uri with its password masked, for logs and answers (made once:
    /// every stream-info answer shows it).
    let maskedUri: String
    /// The password (as written and decoded) and user info of the uri:
    /// whatever a child posts is rewritten without them.
    let secrets: [String]

    /// `text` safe to pass on: no secret of this source's uri in it.
    func redacted(_ text: String) -> String {
        secrets.isEmpty ? text : redact(text, secrets: secrets)
    }

    /// Ended (EOS) or failed: its camera id may be added again.
    var hasEnded: Bool {
        let state = runtime.withLock { $0.state }
        return state == .error || state == .eos
    }

    /// RTSP sources are the ones that reconnect.
    var isNetworkCamera: Bool {
        uri.hasPrefix("rtsp://") || uri.hasPrefix("rtsps://") || uri.hasPrefix("rtspt://")
    }

    func info() -> StreamInfo {
        // Only the fields shown: copying the whole runtime costs more, and
        // stream-info asks for every source on every GET.
        let (state, framesOut, fps, lastError) = runtime.withLock { ($0.state, $0.framesOut, $0.fps, $0.lastError) }
        return StreamInfo(sourceId: sourceId, cameraId: sensorId, cameraName: sensorName,
                          maskedUri: maskedUri, state: state, framesOut: framesOut,
                          fps: fps, lastError: lastError, labels: labels)
    }
}

/// What changes while a source plays. Guarded by `SourceSlot.runtime`.
struct SourceRuntime: Sendable {
    var state: StreamState = .starting
    /// Frames that left the source's branch towards the muxer.
    var framesOut: UInt64 = 0
    /// stop_after_frames: frames that reached the muxer (counted after
    /// clocksync, where frames_out is counted before it).
    var framesDelivered: UInt64 = 0
    /// stop_after_frames: the stop is queued (once).
    var stopRequested = false
    var lastError: String?
    /// Frames per second over the last completed one-second window.
    var fps: Double = 0
    var windowStart: GstClockTime = GstClockTime.max
    var windowFrames: UInt64 = 0
    /// Running-time offset applied to this source (live mode, file loops).
    var offset: Int64 = 0
    /// Running time (in the source's own segment, before `offset`) just
    /// past the furthest decoded frame of this loop, dropped by
    /// drop-frame-interval or not; with the file's duration it says where
    /// the next loop continues (not after the last frame kept).
    var decodedEnd: GstClockTime = 0
    /// The offset for live mode was computed.
    var offsetSet = false
    /// Start at the current running time (live mode, or added while
    /// PLAYING): the offset is computed at the first buffer.
    var needsStartOffset = false
    /// Reconnection attempts made since the last frame.
    var reconnectAttempts: Int32 = 0
    /// Reconnections since the source was added (GET metrics).
    var reconnects: UInt64 = 0
    /// How long the last frame took from the decoder's output to leaving
    /// the branch (conversion and scaling), ns (GET metrics' latency_ms).
    var latencyNs: UInt64 = 0
    /// g_get_monotonic_time() (µs) of the last frame, and of the last time
    /// the elements were (re)built: the reconnection watchdog's clock.
    var lastFrameAt: gint64 = 0
    var attachedAt: gint64 = 0
    /// An error of the current elements was seen; their removal is queued.
    var lossPending = false
    /// The last elements went because of an error (not a stall or the
    /// camera's EOS): the watchdog waits init-rtsp-reconnect-interval, when
    /// set, before rebuilding them.
    var lostByError = false
    /// The current elements are leaving (removal, error, EOS, reconnect):
    /// what they post on the way out is not a failure of the source.
    var detaching = false
    /// The stream-start id last announced downstream as STREAM_START.
    var lastStreamStartId: String?

    /// Counts one frame at `now` (monotonic nanoseconds).
    mutating func countFrame(now: GstClockTime) {
        framesOut += 1
        if windowStart == GstClockTime.max { windowStart = now }
        windowFrames += 1
        let elapsed = now &- windowStart
        if elapsed >= 1_000_000_000 {
            fps = Double(windowFrames) * 1e9 / Double(elapsed)
            windowStart = now
            windowFrames = 0
        }
    }
}

/// dec/drop-frame-interval: keeps every Nth frame (0 and 1 keep all).
/// `seen` and `dropped` are GET metrics' frames in and dropped.
struct FrameDropper: Sendable {
    var interval: UInt32
    var seen: UInt64 = 0
    var dropped: UInt64 = 0

    mutating func keep() -> Bool {
        defer { seen &+= 1 }
        guard interval > 1 else { return true }
        let kept = seen % UInt64(interval) == 0
        if !kept { dropped &+= 1 }
        return kept
    }
}

/// The user info of `scheme://user:password@host/...`, or nil. A password
/// typed raw with "/" in it (cameras' users do) still counts: the user info
/// then runs to the last "@" before any "?" or "#".
func userInfoRange(in uri: String) -> Range<String.Index>? {
    guard let start = uri.firstRange(of: "://")?.upperBound else { return nil }
    let rest = uri[start...]
    let beforeQuery = rest.prefix { $0 != "?" && $0 != "#" }
    let authority = beforeQuery.prefix { $0 != "/" }
    if let at = authority.lastIndex(of: "@") { return start..<at }
    // "/" before the "@": user info only if a ":" comes before that "/"
    // and what follows it is not a port.
    guard let at = beforeQuery.lastIndex(of: "@"), let colon = authority.firstIndex(of: ":"),
          !authority[authority.index(after: colon)...].allSatisfy(\.isASCIIDigit) else { return nil }
    return start..<at
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// Replaces the password of `scheme://user:password@host` with ***.
func maskPassword(in uri: String) -> String {
    guard let info = userInfoRange(in: uri), let colon = uri[info].firstIndex(of: ":") else { return uri }
    return String(uri[..<colon]) + ":***" + String(uri[info.upperBound...])
}

/// What of `uri` must never appear in a message: the password as written
/// and %-decoded (children print either), and the whole user info.
func secrets(of uri: String) -> [String] {
    guard let info = userInfoRange(in: uri), let colon = uri[info].firstIndex(of: ":") else { return [] }
    let password = String(uri[uri.index(after: colon)..<info.upperBound])
    guard !password.isEmpty else { return [] }
    var found = [String(uri[info]), password]
    if let decoded = SourcePolicy.percentDecoded(password), decoded != password { found.append(decoded) }
    // Longest first: a shorter secret inside a longer one is replaced after it.
    return found.sorted { $0.utf8.count > $1.utf8.count }
}

/// `text` with every secret replaced by ***.
func redact(_ text: String, secrets: [String]) -> String {
    var out = text
    for secret in secrets where out.contains(secret) {
        out = out.replacing(secret, with: "***")
    }
    return out
}
