import CGStreamer
import CGstApp
import CGstRtspServer
import CGstVideo
import GstSwiftBridge
import Synchronization
import swiftcustomevents

/// One stream's output inside swiftrtspoutbin:
///
///     demux src_N ▶ queue ▶ videoconvert ▶ encoder ▶ h264parse ▶ capsfilter ▶ rtph264pay ▶ udpsink (udp-egress)
///                                                                  ⇣             or ▶ fakesink (paces)
///                                                     RTSP /sN (a buffer probe)
///
/// One streaming thread per stream (the queue's), as in a hand-made
/// `queue ! x264enc ! rtph264pay ! udpsink`. A queue after each pad of a
/// tee (to an appsink and to the UDP chain) cost two more threads and
/// wake-ups per frame and stream: 8 streams for 4 s took 2.78 s of CPU
/// against 2.32 for our bin with hand-made chains after its demux; without
/// the queues 2.32 (bench R1 1.13x → 1.08x of the hand-made pipelines). The
/// tee and the appsink (a GstSample and a second clock wait per unit) then
/// gave way to a probe on the capsfilter's src pad; the sink after it,
/// udpsink or a fakesink, keeps the pace.
///
/// The probe hands every access unit to the appsrc of each prepared RTSP
/// media of /sN (one per shared media, i.e. one while anybody watches):
/// the encoder runs once per stream whatever the number of viewers, and a
/// media that joins late starts at a key frame, which it asks the encoder
/// for. The sinks sync on the pipeline clock, so a stream never leaves
/// faster than its source's frame rate; they are async=false because they
/// join a pipeline that is already playing.
///
/// An encoder property the encoder takes only while stopped (x264enc's
/// key-int-max) is applied by swapping in a new encoder with it, while the
/// stream is held at videoconvert's src pad.
///
/// Lock order: `feeds` and `parts`, never one inside the other; neither is
/// held while calling into GStreamer.
final class RtspOutBranch: @unchecked Sendable {
    // @unchecked: the element pointers are set in init and released in
    // deinit; mutable state is in `feeds` and the atomics.

    /// Branches alive in this process (a leak check for tests).
    static let alive = Atomic<Int>(0)

    let id: UInt32
    let encoder: EncoderPolicy.Choice
    let path: String
    /// Every element of the branch, upstream first (owned references); the
    /// encoder (index 2) is replaced when enc/iframe-interval needs it.
    private let parts: Mutex<[ObjectRef<GstElement>]>
    var elements: [ObjectRef<GstElement>] { parts.withLock { $0 } }
    var encoderElement: ObjectRef<GstElement> { parts.withLock { $0[2] } }
    /// What a replacement encoder is made with: the settings in force now.
    private let bitrate: Atomic<UInt32>
    private let keyInterval: Atomic<UInt32>
    private let x264Threads: UInt32
    let queue: ObjectRef<GstElement>
    let factory: ObjectRef<GstRTSPMediaFactory>
    /// Access units that left the encoder (0: the stream is still starting).
    let encodedFrames = Atomic<UInt64>(0)
    private let inputEnded: @Sendable () -> Bool
    /// detach() ran (it may be asked twice: a new branch for the same id
    /// takes the old one down before the control queue does).
    private let detached = Atomic<Bool>(false)

    /// An appsrc of a prepared media, fed by the unit probe.
    private struct Feed: @unchecked Sendable {
        let appsrc: ObjectRef<GstElement>
        /// The media it belongs to (not a reference: only compared).
        let media: UInt
        /// Nothing sent yet: wait for a key frame.
        var needsKeyFrame = true
        /// One key frame went in while the media was not yet playing: what
        /// a media needs to prepare (caps for the SDP). More would wait in
        /// the appsrc and leave in one burst, all stamped at the moment it
        /// starts playing (do-timestamp), so the rest waits for PLAYING.
        var primed = false
        /// Frames were held back before PLAYING: the stream goes on from a
        /// fresh key frame.
        var heldBack = false
        /// The caps last set on the appsrc (owned).
        var caps: UnsafeMutablePointer<GstCaps>?
        /// Units pushed into it (the first few are logged).
        var pushed: UInt64 = 0
    }
    private let feeds = Mutex<[Feed]>([])

    struct Parameters {
        /// True once the whole input ended (not one source).
        var inputEnded: @Sendable () -> Bool
        var id: UInt32
        var choice: EncoderPolicy.Choice
        var settings: RtspOutSettings
    }

    enum BuildError: Error, CustomStringConvertible {
        case missing(String)
        case link(String)
        var description: String {
            switch self {
            case let .missing(f): "element \(f) could not be made"
            case let .link(what): "could not link \(what)"
            }
        }
    }

    /// Makes the elements (not yet in a bin) and the RTSP factory.
    init(_ p: Parameters) throws(BuildError) {
        id = p.id
        inputEnded = p.inputEnded
        encoder = p.choice
        path = RtspPath.path(p.id)
        var made: [UnsafeMutablePointer<GstElement>] = []
        func make(_ factory: String, _ role: String) throws(BuildError) -> UnsafeMutablePointer<GstElement> {
            guard let e = makeElement(factory, name: "s\(p.id)-\(role)") else {
                made.forEach { gst_object_unref(UnsafeMutableRawPointer($0)) }
                throw .missing(factory)
            }
            // Floating → owned by us; the bin takes a reference of its own.
            gst_object_ref_sink(UnsafeMutableRawPointer(e))
            made.append(e)
            return e
        }
        let queue = try make("queue", "queue")
        // A slow encoder loses old frames, it never makes the source wait.
        gsb_object_set_from_string(queue, "leaky", "downstream")
        gsb_object_set_uint(queue, "max-size-buffers", 3)
        gsb_object_set_uint(queue, "max-size-bytes", 0)
        gsb_object_set_uint64(queue, "max-size-time", 0)
        let convert = try make("videoconvert", "convert")
        let enc = try make(p.choice.factory, "enc")
        let s = p.settings
        Self.configure(encoder: enc, factory: p.choice.factory, bitrate: s.bitrate,
                       keyInterval: s.iframeInterval, x264Threads: s.x264Threads)
        let parse = try make("h264parse", "parse")
        // SPS/PPS with every key frame: a late joiner needs nothing else.
        gsb_object_set_int(parse, "config-interval", -1)
        // What the RTSP medias' appsrcs take: byte-stream access units, SPS
        // and PPS in-band (rtph264pay alone would pick avc).
        let units = try make("capsfilter", "units")
        if let caps = gst_caps_from_string("video/x-h264,stream-format=byte-stream,alignment=au") {
            gsb_object_set_object(units, "caps", UnsafeMutableRawPointer(caps))
            gsb_caps_unref(caps)
        }
        var udp: [UnsafeMutablePointer<GstElement>] = []
        if s.udpEgress, let port = s.udpPort(p.id) {
            let pay = try make("rtph264pay", "udppay")
            gsb_object_set_int(pay, "config-interval", -1)
            gsb_object_set_uint(pay, "pt", 96)
            let udpSink = try make("udpsink", "udpsink")
            gsb_object_set_string(udpSink, "host", s.udpHost)
            gsb_object_set_int(udpSink, "port", gint(port))
            gsb_object_set_bool(udpSink, "sync", 1)
            gsb_object_set_bool(udpSink, "async", 0)
            udp = [pay, udpSink]
        } else {
            // Without UDP a sink of its own paces the stream to the clock.
            let pacer = try make("fakesink", "pacer")
            gsb_object_set_bool(pacer, "sync", 1)
            gsb_object_set_bool(pacer, "async", 0)
            gsb_object_set_bool(pacer, "enable-last-sample", 0)
            udp = [pacer]
        }
        parts = Mutex(made.map { ObjectRef($0) })
        bitrate = Atomic(s.bitrate)
        keyInterval = Atomic(s.iframeInterval)
        x264Threads = s.x264Threads
        self.queue = ObjectRef(queue)
        _ = (convert, parse, units, udp)

        let factory = gst_rtsp_media_factory_new()!
        // The appsrc is live and stamps what it gets on arrival: the
        // media's clock is its own, the stream's pace comes from the sink.
        gst_rtsp_media_factory_set_launch(factory,
            "( appsrc name=src is-live=true format=time do-timestamp=true min-latency=0 "
            + "! rtph264pay name=pay0 pt=96 )")
        gst_rtsp_media_factory_set_shared(factory, 1)
        self.factory = ObjectRef(factory)
        connectFactory()
        Self.alive.add(1, ordering: .relaxed)
    }

    private static func configure(encoder enc: UnsafeMutablePointer<GstElement>, factory: String, bitrate: UInt32,
                                  keyInterval: UInt32, x264Threads: UInt32) {
        for (name, value) in EncoderSettings.initial(factory: factory, bitrate: bitrate,
                                                     keyInterval: keyInterval, x264Threads: x264Threads)
            where gsb_object_has_property(enc, name) != 0 {
            gsb_object_set_from_string(enc, name, value)
        }
    }

    deinit {
        Self.alive.subtract(1, ordering: .relaxed)
        for e in parts.withLock({ $0 }) { gst_object_unref(e.raw) }
        g_object_unref(UnsafeMutableRawPointer(factory.ptr))
        feeds.withLock { list in
            for f in list {
                gst_object_unref(f.appsrc.raw)
                if let c = f.caps { gsb_caps_unref(c) }
            }
            list.removeAll()
        }
    }

    /// Adds the elements to `bin`, links them, starts them and links `pad`.
    func attach(to bin: UnsafeMutablePointer<GstBin>, pad: UnsafeMutablePointer<GstPad>) throws(BuildError) {
        for e in elements { gst_bin_add(bin, e.ptr) }
        // queue … capsfilter ▶ pay ▶ udpsink (or ▶ fakesink): one chain.
        let chain = elements
        for (a, b) in zip(chain, chain.dropFirst()) where gst_element_link(a.ptr, b.ptr) == 0 {
            throw .link("\(objectName(a.raw)) ▶ \(objectName(b.raw))")
        }
        installUnitProbe(on: elements[4].ptr)
        installEventProbe()
        for e in elements.reversed() { gst_element_sync_state_with_parent(e.ptr) }
        guard let sinkPad = gst_element_get_static_pad(queue.ptr, "sink") else { throw .link("queue sink pad") }
        defer { gst_object_unref(UnsafeMutableRawPointer(sinkPad)) }
        let result = gst_pad_link(pad, sinkPad)
        guard result == GST_PAD_LINK_OK else { throw .link("src_\(id) ▶ queue (\(result.rawValue))") }
    }

    /// Stops and removes the elements; ends the feeds so the RTSP media
    /// finish. The demux pad is gone already (or never linked).
    func detach(from bin: UnsafeMutablePointer<GstBin>) {
        guard detached.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let ended = feeds.withLock { list -> [ObjectRef<GstElement>] in
            defer { list.removeAll() }
            return list.map { f in
                if let c = f.caps { gsb_caps_unref(c) }
                return f.appsrc
            }
        }
        for appsrc in ended {
            _ = gst_app_src_end_of_stream(cast(appsrc.ptr, to: GstAppSrc.self))
            gst_object_unref(appsrc.raw)
        }
        for e in elements {
            gst_element_set_state(e.ptr, GST_STATE_NULL)
            if gsb_object_parent(e.raw) != nil { gst_bin_remove(bin, e.ptr) }
        }
    }

    /// Asks the encoder for a key frame now (a client joined, enc/force-idr).
    func requestKeyFrame() {
        guard let src = gst_element_get_static_pad(encoderElement.ptr, "src") else { return }
        let event = gst_video_event_new_upstream_force_key_unit(GstClockTime.max, 1, 0)
        _ = gst_pad_send_event(src, event)
        gst_object_unref(UnsafeMutableRawPointer(src))
    }

    // MARK: RTSP media

    /// The weak way back from signal and callback closures.
    final class WeakBranch: @unchecked Sendable {
        weak var branch: RtspOutBranch?
        init(_ b: RtspOutBranch) { branch = b }
        static func from(_ data: UnsafeMutableRawPointer?) -> RtspOutBranch? {
            guard let data else { return nil }
            return Unmanaged<WeakBranch>.fromOpaque(data).takeUnretainedValue().branch
        }
        static let releaseNotify: GClosureNotify = { data, _ in
            guard let data else { return }
            Unmanaged<WeakBranch>.fromOpaque(data).release()
        }
        static let destroyNotify: GDestroyNotify = { data in
            guard let data else { return }
            Unmanaged<WeakBranch>.fromOpaque(data).release()
        }
    }

    private func weakPointer() -> UnsafeMutableRawPointer { Unmanaged.passRetained(WeakBranch(self)).toOpaque() }

    private func connectFactory() {
        typealias Configure = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<GstRTSPMedia>?,
                                              UnsafeMutableRawPointer?) -> Void
        let configure: Configure = { _, media, data in
            guard let media, let branch = WeakBranch.from(data) else { return }
            branch.configure(media)
        }
        _ = gsb_signal_connect(UnsafeMutableRawPointer(factory.ptr), "media-configure",
                               unsafeBitCast(configure, to: GCallback.self), weakPointer(), WeakBranch.releaseNotify)
    }

    /// A new media for /sN (the first viewer of a while): feed its appsrc
    /// from the next key frame on.
    private func configure(_ media: UnsafeMutablePointer<GstRTSPMedia>) {
        guard let top = gst_rtsp_media_get_element(media) else { return }
        defer { gst_object_unref(UnsafeMutableRawPointer(top)) }
        guard let appsrc = gst_bin_get_by_name_recurse_up(cast(top, to: GstBin.self), "src") else { return }
        if gsb_object_has_property(appsrc, "leaky-type") != 0 {
            // A viewer's pipeline that stalls loses old frames, it does not
            // grow without bound.
            gsb_object_set_from_string(appsrc, "leaky-type", "downstream")
            gsb_object_set_uint64(appsrc, "max-buffers", 30)
        }
        feeds.withLock { $0.append(Feed(appsrc: ObjectRef(appsrc), media: UInt(bitPattern: media))) }
        typealias Unprepared = @convention(c) (UnsafeMutablePointer<GstRTSPMedia>?, UnsafeMutableRawPointer?) -> Void
        let unprepared: Unprepared = { media, data in
            guard let media, let branch = WeakBranch.from(data) else { return }
            branch.dropFeed(media: UInt(bitPattern: media))
        }
        _ = gsb_signal_connect(UnsafeMutableRawPointer(media), "unprepared",
                               unsafeBitCast(unprepared, to: GCallback.self), weakPointer(), WeakBranch.releaseNotify)
        rtspOutLog.debug(nil, "\(path): new media, asking \(encoder.factory) for a key frame")
        requestKeyFrame()
    }

    private func dropFeed(media: UInt) {
        let gone = feeds.withLock { list -> [Feed] in
            let gone = list.filter { $0.media == media }
            list.removeAll { $0.media == media }
            return gone
        }
        for f in gone {
            if let c = f.caps { gsb_caps_unref(c) }
            gst_object_unref(f.appsrc.raw)
        }
    }

    /// Viewers' medias (prepared now).
    var mediaCount: Int { feeds.withLock { $0.count } }

    // MARK: data

    private func installUnitProbe(on capsfilter: UnsafeMutablePointer<GstElement>) {
        guard let pad = gst_element_get_static_pad(capsfilter, "src") else { return }
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, { pad, info, data in
            guard let pad, let info, let buffer = gsb_probe_info_buffer(info),
                  let branch = WeakBranch.from(data) else { return GST_PAD_PROBE_OK }
            branch.forward(buffer, pad: pad)
            return GST_PAD_PROBE_OK
        }, weakPointer(), WeakBranch.destroyNotify)
        gst_object_unref(UnsafeMutableRawPointer(pad))
    }

    private struct Push: @unchecked Sendable {
        let appsrc: ObjectRef<GstElement>
        let caps: UnsafeMutablePointer<GstCaps>?
    }

    private struct CapsRef: @unchecked Sendable { let ptr: UnsafeMutablePointer<GstCaps>? }

    /// One access unit to every feed that can take it.
    private func forward(_ buffer: UnsafeMutablePointer<GstBuffer>, pad: UnsafeMutablePointer<GstPad>) {
        let units = encodedFrames.wrappingAdd(1, ordering: .relaxed).newValue
        if units == 1 || units % 300 == 0 { rtspOutLog.debug(nil, "\(path): \(units) units out of the encoder") }
        // Without a viewer (most of the time) nothing more per unit.
        guard feeds.withLock({ !$0.isEmpty }) else { return }
        let padCaps = gst_pad_get_current_caps(pad)
        defer { if let padCaps { gsb_caps_unref(padCaps) } }
        let unitCaps = CapsRef(ptr: padCaps)
        let delta = gst_buffer_has_flags(buffer, GST_BUFFER_FLAG_DELTA_UNIT) != 0
        // Which appsrcs play (a read of the element's state field, no lock).
        let playing: Set<UInt> = Set(feeds.withLock { $0.map { $0.appsrc } }.compactMap { appsrc in
            gsb_element_current_state(appsrc.ptr) == GST_STATE_PLAYING ? UInt(bitPattern: appsrc.raw) : nil
        })
        var wantKeyFrame = false
        // Under the lock: who gets this unit, and whose caps change. The
        // references taken here are dropped after the pushes.
        let pushes: [Push] = feeds.withLock { list in
            var out: [Push] = []
            for i in list.indices {
                if !playing.contains(UInt(bitPattern: list[i].appsrc.raw)) {
                    guard !list[i].primed, !delta else {
                        list[i].heldBack = true
                        continue
                    }
                    list[i].primed = true
                    list[i].needsKeyFrame = false
                } else {
                    if list[i].heldBack {
                        list[i].heldBack = false
                        list[i].needsKeyFrame = true
                        wantKeyFrame = true
                    }
                    if list[i].needsKeyFrame {
                        if delta { continue }
                        list[i].needsKeyFrame = false
                    }
                }
                gst_object_ref(list[i].appsrc.raw)
                var newCaps: UnsafeMutablePointer<GstCaps>?
                if let unitCaps = unitCaps.ptr, list[i].caps.map({ gst_caps_is_equal($0, unitCaps) == 0 }) ?? true {
                    if let old = list[i].caps { gsb_caps_unref(old) }
                    list[i].caps = gst_caps_ref(unitCaps)
                    newCaps = gst_caps_ref(unitCaps)
                }
                list[i].pushed += 1
                if list[i].pushed <= 2 {
                    rtspOutLog.debug(nil, "\(path): unit \(list[i].pushed) (\(delta ? "delta" : "key")) to media \(list[i].media), appsrc \(playing.contains(UInt(bitPattern: list[i].appsrc.raw)) ? "playing" : "not playing")")
                }
                out.append(Push(appsrc: list[i].appsrc, caps: newCaps))
            }
            return out
        }
        if wantKeyFrame && delta { requestKeyFrame() }
        for push in pushes {
            let appsrc = cast(push.appsrc.ptr, to: GstAppSrc.self)
            if let caps = push.caps {
                gst_app_src_set_caps(appsrc, caps)
                gsb_caps_unref(caps)
            }
            // A shallow copy without timestamps: the appsrc stamps it with
            // its own pipeline's running time (do-timestamp).
            if let copy = gst_buffer_copy(buffer) {
                gsb_buffer_set_pts(copy, GstClockTime.max)
                gsb_buffer_set_dts(copy, GstClockTime.max)
                _ = gst_app_src_push_buffer(appsrc, copy)
            }
            gst_object_unref(push.appsrc.raw)
        }
    }

    // MARK: encoder replacement

    /// Holds the stream at videoconvert's src pad and swaps the encoder
    /// there (the probe runs on the branch queue's streaming thread, with
    /// nothing inside the encoder). Runs once data comes: a stalled stream
    /// takes the new interval when it moves again.
    private func replaceEncoderAtNextBuffer() {
        guard let convertSrc = gst_element_get_static_pad(elements[1].ptr, "src") else { return }
        gst_pad_add_probe(convertSrc, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, { _, _, data in
            WeakBranch.from(data)?.swapEncoder()
            return GST_PAD_PROBE_REMOVE
        }, weakPointer(), WeakBranch.destroyNotify)
        gst_object_unref(UnsafeMutableRawPointer(convertSrc))
    }

    /// Unlinks, stops and removes the encoder; a new one with the settings
    /// in force takes its name and place. The blocked buffer then passes,
    /// its caps and segment first (a new link re-sends sticky events).
    private func swapEncoder() {
        guard !detached.load(ordering: .acquiring) else { return }
        let (convert, old, parse) = parts.withLock { ($0[1], $0[2], $0[3]) }
        guard let binRaw = gsb_object_parent(old.raw),
              let next = makeElement(encoder.factory, name: "s\(id)-enc-next") else {
            rtspOutLog.warning(nil, "\(path): no new \(encoder.factory) for the key frame interval")
            return
        }
        gst_object_ref_sink(UnsafeMutableRawPointer(next))
        Self.configure(encoder: next, factory: encoder.factory, bitrate: bitrate.load(ordering: .relaxed),
                       keyInterval: keyInterval.load(ordering: .relaxed), x264Threads: x264Threads)
        let bin = cast(binRaw, to: GstBin.self)
        gst_element_unlink(convert.ptr, old.ptr)
        gst_element_unlink(old.ptr, parse.ptr)
        gst_element_set_state(old.ptr, GST_STATE_NULL)
        gst_bin_remove(bin, old.ptr)
        _ = gst_object_set_name(cast(next, to: GstObject.self), "s\(id)-enc")
        gst_bin_add(bin, next)
        if gst_element_link(convert.ptr, next) == 0 || gst_element_link(next, parse.ptr) == 0 {
            rtspOutLog.warning(nil, "\(path): the new encoder does not link")
        }
        _ = gst_element_sync_state_with_parent(next)
        parts.withLock { $0[2] = ObjectRef(next) }
        gst_object_unref(old.raw)
        rtspOutLog.info(nil, "\(path): key frame interval \(keyInterval.load(ordering: .relaxed)) (new \(encoder.factory))")
    }

    // MARK: enc/* events

    /// DeepStream's encoder events that reach this branch change its
    /// encoder; they travel on unchanged. The EOS of one source stops
    /// here: at the sinks it would count towards the pipeline's EOS, which
    /// comes only when the whole input ends.
    private func installEventProbe() {
        guard let pad = gst_element_get_static_pad(queue.ptr, "sink") else { return }
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, { _, info, data in
            guard let info, let event = gsb_probe_info_event(info), let branch = WeakBranch.from(data) else {
                return GST_PAD_PROBE_OK
            }
            if gsb_event_type(event) == GST_EVENT_EOS && !branch.inputEnded() { return GST_PAD_PROBE_DROP }
            if let control = ControlEvent(parsing: event) { branch.apply(control) }
            return GST_PAD_PROBE_OK
        }, weakPointer(), WeakBranch.destroyNotify)
        gst_object_unref(UnsafeMutableRawPointer(pad))
    }

    private func apply(_ control: ControlEvent) {
        let enc = encoderElement.ptr
        switch control {
        case let .encBitrate(_, bitrate):
            self.bitrate.store(UInt32(clamping: bitrate), ordering: .relaxed)
            for (name, value) in EncoderSettings.bitrateProperty(factory: encoder.factory, bitrate: bitrate)
                where gsb_object_has_property(enc, name) != 0 {
                gsb_object_set_from_string(enc, name, value)
            }
            rtspOutLog.info(nil, "\(path): bitrate \(bitrate) bit/s")
        case let .encForceIdr(_, force), let .encForceIntra(_, force):
            if force != 0 {
                requestKeyFrame()
                rtspOutLog.info(nil, "\(path): key frame forced")
            }
        case let .encIframeInterval(_, interval):
            guard interval > 0 else { return }
            keyInterval.store(interval, ordering: .relaxed)
            let properties = EncoderSettings.keyIntervalProperty(factory: encoder.factory, interval: interval)
                .filter { gsb_object_has_property(enc, $0.name) != 0 }
            // A property the encoder refuses while playing (x264enc's
            // key-int-max: the set would only log a warning) needs a new encoder.
            let takesItNow = properties.allSatisfy { p in
                gsb_object_find_property(UnsafeMutableRawPointer(enc), p.name).map { gsb_param_spec_mutable_state($0) == GST_STATE_PLAYING } ?? false
            }
            if takesItNow || gsb_element_current_state(enc) != GST_STATE_PLAYING && gsb_element_current_state(enc) != GST_STATE_PAUSED {
                for (name, value) in properties { gsb_object_set_from_string(enc, name, value) }
                rtspOutLog.info(nil, "\(path): key frame interval \(interval)")
            } else {
                replaceEncoderAtNextBuffer()
            }
        default:
            break
        }
    }
}
