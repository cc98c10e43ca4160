import CGStreamer
import CGstRtspServer
import CGstVideo
import Glibc
import GstSwiftBridge
import Synchronization

/// Builds a PipelinePlan in GStreamer and runs it until EOS, an error or a
/// quit request: the bus (stream lines, errors, app/quit), the tiles, the
/// perf timer, the RTSP server, Ctrl-C and `q`.
///
/// Threads: the main loop (bus watch, timers, stdin, signals, RTSP server)
/// owns the pipeline; the bus sync handler runs on the bin's threads and
/// only adds tiles; probes run on streaming threads.
/// Lock order: `sources`, then a Tile's `text`, each never held while calling
/// into GStreamer; PerfMonitor's lock is taken alone.
final class Runner: @unchecked Sendable {
    // @unchecked: the pointers below are set once in build() on the main
    // thread before any other thread can see the Runner, and only read
    // after; what changes later is inside `sources`, a Tile, or Atomics.

    enum Failure: Error, CustomStringConvertible {
        case build(String)
        var description: String { switch self { case let .build(s): s } }
    }

    /// One tile of the mosaic: a source's queue and overlay, on a tee pad
    /// that lets only that source's frames through.
    final class Tile: @unchecked Sendable {
        // @unchecked: the pointers are set before the tile is shared and
        // cleared only by its disposal, whose steps run one after the other
        // (idle probe, then main loop); `dead` and `text` are synchronised.
        /// The bin's source id, which is also the tile's cell.
        let sourceId: UInt32
        /// Sensor name (else id) from stream-add: the first line of the text.
        let label: String
        /// Our request pad on the tiles tee (reference held).
        var teePad: UnsafeMutablePointer<GstPad>?
        /// Our request pad on the compositor (reference held).
        var compositorPad: UnsafeMutablePointer<GstPad>?
        /// The tile's leaky queue and its textoverlay (or identity), in the pipeline.
        var queue: UnsafeMutablePointer<GstElement>?
        var overlay: UnsafeMutablePointer<GstElement>?
        /// Set on stream-remove: the tee pad drops everything from then on.
        let dead = Atomic<Bool>(false)
        /// The overlay text now shown (changes when ROIs change).
        let text = Mutex("")

        init(sourceId: UInt32, label: String) {
            self.sourceId = sourceId
            self.label = label
        }
    }

    /// What the bin told us about its sources.
    private struct Sources {
        /// Sensor name (else id) by source id, from stream-add, for labels.
        var labels: [UInt32: String] = [:]
        /// The tiles in the mosaic by source id (a removed one leaves at once).
        var tiles: [UInt32: Tile] = [:]
    }

    let plan: PipelinePlan
    /// Ours; lives until the process ends.
    private(set) var pipeline: UnsafeMutablePointer<GstElement>?
    /// The default context's loop, made in run().
    private var loop: OpaquePointer?
    /// The tee in front of the tiles and the compositor behind them (tiler only).
    private var tee: UnsafeMutablePointer<GstElement>?
    private var compositor: UnsafeMutablePointer<GstElement>?
    /// The single overlay when there is an OSD but no tiler.
    private var soloOverlay: UnsafeMutablePointer<GstElement>?
    /// One per type=4 sink, attached to the default context.
    private var rtspServers: [UnsafeMutablePointer<GstRTSPServer>] = []
    private let sources = Mutex(Sources())
    /// With [application] enable-perf-measurement=1.
    let perf: PerfMonitor?
    /// -1 while running; the exit code once decided (the first decision wins).
    private let exitCode = Atomic<Int32>(-1)
    /// A quit was asked for (EOS sent): a second one stops at once.
    private let eosRequested = Atomic<Bool>(false)
    /// Read and write ends of the pipe the signal handler writes to.
    private var signalPipe: (Int32, Int32) = (-1, -1)

    init(plan: PipelinePlan) {
        self.plan = plan
        perf = plan.perf.map { PerfMonitor(intervalSec: $0.intervalSec, showNames: $0.showNames) }
    }

    private var unmanaged: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }
    private static func from(_ p: UnsafeMutableRawPointer?) -> Runner? {
        p.map { Unmanaged<Runner>.fromOpaque($0).takeUnretainedValue() }
    }

    // MARK: - Building

    private func make(_ factory: String, _ name: String? = nil) throws(Failure) -> UnsafeMutablePointer<GstElement> {
        guard let e = gst_element_factory_make(factory, name) else {
            throw .build("no element \"\(factory)\": "
                + (factory.hasPrefix("swift") ? "is libgstswiftmultiurisrc.so on GST_PLUGIN_PATH (or installed with meson-compat)?"
                   : "install the GStreamer plugin that has it (see scripts/debian-packages.txt)"))
        }
        return e
    }

    private func parse(_ launch: String, what: String) throws(Failure) -> UnsafeMutablePointer<GstElement> {
        var error: UnsafeMutablePointer<GError>?
        let bin = gst_parse_bin_from_description(launch, 1, &error)
        guard let bin, error == nil else {
            if let bin { gst_object_unref(UnsafeMutableRawPointer(bin)) }
            throw .build("\(what): cannot build \"\(launch)\": \(errorText(error))")
        }
        return bin
    }

    private func add(_ e: UnsafeMutablePointer<GstElement>) {
        guard let pipeline else { return }
        _ = gst_bin_add(asBin(pipeline), e)
    }

    private func link(_ a: UnsafeMutablePointer<GstElement>, _ b: UnsafeMutablePointer<GstElement>, _ what: String) throws(Failure) {
        guard gst_element_link(a, b) != 0 else {
            throw .build("cannot link \(gsb_object_name(a).map { String(cString: $0) } ?? "?") to "
                + "\(gsb_object_name(b).map { String(cString: $0) } ?? "?") (\(what))")
        }
    }

    /// The last PTS the mosaic passed on (GST_CLOCK_TIME_NONE before its
    /// first frame); one streaming thread, the compositor's, writes it.
    private final class MosaicClock: Sendable {
        let lastPts = Atomic<GstClockTime>(GstClockTime.max)
    }

    /// compositor (1.22) in live mode, when it runs late at start, can
    /// produce a second frame at the first frame's PTS (0 to 2 frames, after
    /// 0 to 1): x264enc then gives h264parse a frame without PTS, mp4mux
    /// refuses it and the whole app ends (about 3 runs in 10 of test5's
    /// config on a loaded machine). That frame is dropped here; the next
    /// one starts where it ended.
    private static func dropFramesThatDoNotMoveForward(_ element: UnsafeMutablePointer<GstElement>) {
        guard let pad = gst_element_get_static_pad(element, "src") else { return }
        let types = GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER.rawValue | GST_PAD_PROBE_TYPE_EVENT_FLUSH.rawValue)
        _ = gst_pad_add_probe(pad, types, { _, info, user in
            guard let info, let user else { return GST_PAD_PROBE_OK }
            let clock = Unmanaged<MosaicClock>.fromOpaque(user).takeUnretainedValue()
            guard let buffer = gsb_probe_info_buffer(info) else {
                // After a flush, time may start over.
                if let event = gst_pad_probe_info_get_event(info), gsb_event_type(event) == GST_EVENT_FLUSH_STOP {
                    clock.lastPts.store(GstClockTime.max, ordering: .relaxed)
                }
                return GST_PAD_PROBE_OK
            }
            let pts = gsb_buffer_pts(buffer)
            guard pts != GstClockTime.max else { return GST_PAD_PROBE_OK }
            let last = clock.lastPts.load(ordering: .relaxed)
            if last != GstClockTime.max, pts <= last {
                appLog?.info("mosaic: dropped a frame at \(pts) ns, not after the last one at \(last) ns")
                return GST_PAD_PROBE_DROP
            }
            clock.lastPts.store(pts, ordering: .relaxed)
            return GST_PAD_PROBE_OK
        }, Unmanaged.passRetained(MosaicClock()).toOpaque(), { user in
            if let user { Unmanaged<MosaicClock>.fromOpaque(user).release() }
        })
        gst_object_unref(UnsafeMutableRawPointer(pad))
    }

    func build() throws(Failure) {
        guard let pipeline = gst_pipeline_new("swift-multiurisrc-app") else { throw .build("cannot make a pipeline") }
        self.pipeline = pipeline
        let src = try make("swiftmultiurisrcbin", "src")
        for p in plan.sourceProperties {
            guard gsb_object_set_from_string(src, p.name, p.value) != 0 else {
                gst_object_unref(UnsafeMutableRawPointer(src))
                throw .build("swiftmultiurisrcbin has no property \"\(p.name)\" (is the plugin older than this app?)")
            }
        }
        add(src)
        var last = src
        for stage in plan.stages {
            let e = try parse(stage.launch, what: "[\(stage.group)] gst-element")
            add(e)
            try link(last, e, "[\(stage.group)]")
            last = e
        }
        if plan.roiMeta {
            let roi = try make("swiftroimeta", "roimeta")
            add(roi)
            try link(last, roi, "roi meta")
            last = roi
        }
        if perf != nil, let pad = gst_element_get_static_pad(last, "src") {
            _ = gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, { _, info, user in
                guard let info, let buffer = gsb_probe_info_buffer(info),
                      let perf = Runner.from(user)?.perf else { return GST_PAD_PROBE_OK }
                perf.frame(SourceMeta.sourceId(buffer) ?? 0)
                return GST_PAD_PROBE_OK
            }, unmanaged, nil)
            gst_object_unref(UnsafeMutableRawPointer(pad))
        }
        if let tiler = plan.tiler {
            let tee = try make("tee", "tiles")
            gsb_object_set_bool(tee, "allow-not-linked", 1)
            let comp = try make("compositor", "tiler")
            gsb_object_set_from_string(comp, "background", "black")
            let caps = try make("capsfilter", "tiler-caps")
            // I420 (compositor would pick a 16-bit format from its own list)
            // at a fixed rate: the bin's frames carry a variable framerate,
            // from which compositor would invent 25/1.
            if let c = gst_caps_from_string("video/x-raw,format=I420,width=\(tiler.width),height=\(tiler.height),"
                                            + "framerate=\(PipelinePlan.tilerFramerate)/1,pixel-aspect-ratio=1/1") {
                gsb_object_set_object(caps, "caps", UnsafeMutableRawPointer(c))
                gsb_caps_unref(c)
            }
            for e in [tee, comp, caps] { add(e) }
            try link(last, tee, "tiler")
            try link(comp, caps, "tiler")
            self.tee = tee
            self.compositor = comp
            Self.dropFramesThatDoNotMoveForward(caps)
            last = caps
            if let clock = plan.osd?.clock {
                let c = try parse(clock, what: "[osd] show-clock")
                add(c)
                try link(last, c, "clock")
                last = c
            }
        } else if let osd = plan.osd {
            var error: UnsafeMutablePointer<GError>?
            guard let overlay = gst_parse_launch(osd.overlay, &error), error == nil else {
                throw .build("[osd]: cannot build \"\(osd.overlay)\": \(errorText(error))")
            }
            add(overlay)
            try link(last, overlay, "osd")
            if let pad = videoSinkPad(overlay) {
                _ = gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, { _, info, user in
                    guard let info, let buffer = gsb_probe_info_buffer(info), let runner = Runner.from(user) else {
                        return GST_PAD_PROBE_OK
                    }
                    runner.labelSolo(buffer)
                    return GST_PAD_PROBE_OK
                }, unmanaged, nil)
                gst_object_unref(UnsafeMutableRawPointer(pad))
            }
            soloOverlay = overlay
            last = overlay
            if let clock = osd.clock {
                let c = try parse(clock, what: "[osd] show-clock")
                add(c)
                try link(last, c, "clock")
                last = c
            }
        }
        // One sink: linked straight on (a tee and a queue would add a thread
        // and a hand-over per frame). Several: a tee and a queue each. The
        // same shape as PipelinePlan.launchLine, which A1 runs by hand.
        if plan.sinks.count == 1, let sink = plan.sinks.first {
            let branch = try parse(sink.launch, what: "[\(sink.group)]")
            add(branch)
            try link(last, branch, "[\(sink.group)]")
            if let rtsp = sink.rtsp { try startRtsp(rtsp, group: sink.group) }
        }
        let sinkTee = plan.sinks.count > 1 ? try make("tee", "sinks") : nil
        if let sinkTee {
            add(sinkTee)
            try link(last, sinkTee, "sinks")
        }
        for sink in plan.sinks where plan.sinks.count > 1 {
            guard let sinkTee else { break }
            let queue = try make("queue", "\(sink.group)-queue")
            let branch = try parse(sink.launch, what: "[\(sink.group)]")
            add(queue)
            add(branch)
            try link(sinkTee, queue, "[\(sink.group)]")
            try link(queue, branch, "[\(sink.group)]")
            if let rtsp = sink.rtsp { try startRtsp(rtsp, group: sink.group) }
        }
        guard let bus = gst_element_get_bus(pipeline) else { throw .build("the pipeline has no bus") }
        gst_bus_set_sync_handler(bus, { _, message, user in
            if let message, let runner = Runner.from(user) { runner.syncMessage(message) }
            return GST_BUS_PASS
        }, unmanaged, nil)
        _ = gst_bus_add_watch(bus, { _, message, user in
            if let message, let runner = Runner.from(user) { runner.busMessage(message) }
            return 1
        }, unmanaged)
        gst_object_unref(UnsafeMutableRawPointer(bus))
    }

    private func startRtsp(_ rtsp: PipelinePlan.Rtsp, group: String) throws(Failure) {
        guard let server = gst_rtsp_server_new(), let factory = gst_rtsp_media_factory_new() else {
            throw .build("[\(group)]: cannot make an RTSP server")
        }
        gst_rtsp_server_set_address(server, "0.0.0.0")
        gst_rtsp_server_set_service(server, String(rtsp.port))
        gst_rtsp_media_factory_set_launch(factory, rtsp.factoryLaunch)
        // One udpsrc for every client: the port can be bound only once.
        gst_rtsp_media_factory_set_shared(factory, 1)
        if let mounts = gst_rtsp_server_get_mount_points(server) {
            gst_rtsp_mount_points_add_factory(mounts, rtsp.mount, factory)  // takes the factory
            g_object_unref(UnsafeMutableRawPointer(mounts))
        }
        guard gst_rtsp_server_attach(server, nil) != 0 else {
            g_object_unref(UnsafeMutableRawPointer(server))
            throw .build("[\(group)] rtsp-port=\(rtsp.port): cannot listen (port in use?)")
        }
        rtspServers.append(server)
        say("\n *** DeepStream: Launched RTSP Streaming at rtsp://localhost:\(rtsp.port)\(rtsp.mount) ***\n")
    }

    // MARK: - Tiles

    /// textoverlay's video input is `video_sink`; other elements' `sink`.
    private func videoSinkPad(_ e: UnsafeMutablePointer<GstElement>) -> UnsafeMutablePointer<GstPad>? {
        gst_element_get_static_pad(e, "video_sink") ?? gst_element_get_static_pad(e, "sink")
    }

    /// Bin threads: a source's tile is linked before its first frame.
    private func syncMessage(_ message: UnsafeMutablePointer<GstMessage>) {
        guard gsb_message_type(message) == GST_MESSAGE_ELEMENT, let s = gst_message_get_structure(message),
              String(cString: gst_structure_get_name(s)) == "stream-add" else { return }
        var id: guint = 0
        guard gst_structure_get_uint(s, "source-id", &id) != 0 else { return }
        let sensor = gst_structure_get_string(s, "sensor-id").map { String(cString: $0) } ?? String(id)
        let name = gst_structure_get_string(s, "sensor-name").map { String(cString: $0) } ?? sensor
        sources.withLock { $0.labels[id] = name.isEmpty ? sensor : name }
        addTile(id)
    }

    private func addTile(_ id: UInt32) {
        guard let tiler = plan.tiler, let tee, let compositor, let pipeline else { return }
        let cells = tiler.rows * tiler.columns
        guard Int(id) < cells else {
            appLog?.info("source \(id) has no tile (\(tiler.rows)x\(tiler.columns))")
            return
        }
        let (label, old) = sources.withLock { s in (s.labels[id] ?? String(id), s.tiles[id]) }
        if let old, !old.dead.load(ordering: .acquiring) { return }
        let tile = Tile(sourceId: id, label: label)
        guard let queue = gst_element_factory_make("queue", nil) else { return }
        let overlay: UnsafeMutablePointer<GstElement>?
        if let osd = plan.osd {
            // gst_parse_launch of one element gives the element itself
            // (not a bin around it), whose `text` the label probe sets.
            var error: UnsafeMutablePointer<GError>?
            overlay = gst_parse_launch(osd.overlay, &error)
            if error != nil { appLog?.warning("tile overlay: \(errorText(error))") }
        } else {
            overlay = gst_element_factory_make("identity", nil)
        }
        guard let overlay else { gst_object_unref(UnsafeMutableRawPointer(queue)); return }
        // One streaming thread feeds every tile through the tee, and the
        // compositor waits for a frame on each of its pads (always, when the
        // sources are not live): a tile whose queue blocked the tee would
        // starve the very tile the compositor waits for. So a full tile
        // drops its oldest frame instead (2 s of frames at the mosaic rate).
        gsb_object_set_from_string(queue, "leaky", "downstream")
        gsb_object_set_uint(queue, "max-size-buffers", guint(clamping: 2 * PipelinePlan.tilerFramerate))
        gsb_object_set_uint64(queue, "max-size-time", 0)
        gsb_object_set_uint(queue, "max-size-bytes", 0)
        tile.queue = queue
        tile.overlay = overlay
        if plan.osd?.showText != false, plan.osd != nil { gsb_object_set_string(overlay, "text", label); tile.text.withLock { $0 = label } }
        _ = gst_bin_add(asBin(pipeline), queue)
        _ = gst_bin_add(asBin(pipeline), overlay)
        _ = gst_element_link(queue, overlay)
        let cell = Int(id)
        let x = (cell % tiler.columns) * tiler.tileWidth
        let y = (cell / tiler.columns) * tiler.tileHeight
        if let comp = gst_element_request_pad_simple(compositor, "sink_%u"), let out = gst_element_get_static_pad(overlay, "src") {
            gsb_object_set_int(comp, "xpos", Int32(clamping: x))
            gsb_object_set_int(comp, "ypos", Int32(clamping: y))
            gsb_object_set_int(comp, "width", Int32(clamping: tiler.tileWidth))
            gsb_object_set_int(comp, "height", Int32(clamping: tiler.tileHeight))
            _ = gst_pad_link(out, comp)
            gst_object_unref(UnsafeMutableRawPointer(out))
            tile.compositorPad = comp
        }
        if plan.osd != nil, let pad = videoSinkPad(overlay) {
            _ = gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, { _, info, user in
                guard let info, let buffer = gsb_probe_info_buffer(info), let user else { return GST_PAD_PROBE_OK }
                Runner.label(Unmanaged<Tile>.fromOpaque(user).takeUnretainedValue(), buffer)
                return GST_PAD_PROBE_OK
            }, Unmanaged.passRetained(tile).toOpaque(), { p in if let p { Unmanaged<Tile>.fromOpaque(p).release() } })
            gst_object_unref(UnsafeMutableRawPointer(pad))
        }
        _ = gst_element_sync_state_with_parent(overlay)
        _ = gst_element_sync_state_with_parent(queue)
        if let teePad = gst_element_request_pad_simple(tee, "src_%u"), let qin = gst_element_get_static_pad(queue, "sink") {
            _ = gst_pad_add_probe(teePad, GST_PAD_PROBE_TYPE_BUFFER, { _, info, user in
                guard let info, let buffer = gsb_probe_info_buffer(info), let user else { return GST_PAD_PROBE_OK }
                let tile = Unmanaged<Tile>.fromOpaque(user).takeUnretainedValue()
                if tile.dead.load(ordering: .acquiring) { return GST_PAD_PROBE_DROP }
                return (SourceMeta.sourceId(buffer) ?? 0) == tile.sourceId ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP
            }, Unmanaged.passRetained(tile).toOpaque(), { p in if let p { Unmanaged<Tile>.fromOpaque(p).release() } })
            _ = gst_pad_link(teePad, qin)
            gst_object_unref(UnsafeMutableRawPointer(qin))
            tile.teePad = teePad
        }
        sources.withLock { $0.tiles[id] = tile }
        if let old { Runner.dispose(old, in: self) }
        appLog?.info("tile \(id) (\(label)) at \(x),\(y)")
    }

    /// Main thread, on stream-remove: the tile stops taking frames, then
    /// leaves the compositor once its pad is idle, so the mosaic never
    /// waits for a source that is gone.
    private func removeTile(_ id: UInt32) {
        guard let tile = sources.withLock({ $0.tiles.removeValue(forKey: id) }) else { return }
        tile.dead.store(true, ordering: .releasing)
        Runner.dispose(tile, in: self)
    }

    private final class Disposal: @unchecked Sendable {
        let tile: Tile
        let runner: Runner
        init(_ tile: Tile, _ runner: Runner) { self.tile = tile; self.runner = runner }
    }

    private static func dispose(_ tile: Tile, in runner: Runner) {
        tile.dead.store(true, ordering: .releasing)
        guard let overlay = tile.overlay, let out = gst_element_get_static_pad(overlay, "src") else { return }
        let box = Unmanaged.passRetained(Disposal(tile, runner)).toOpaque()
        _ = gst_pad_add_probe(out, GST_PAD_PROBE_TYPE_IDLE, { pad, _, user in
            guard let user, let pad else { return GST_PAD_PROBE_REMOVE }
            let d = Unmanaged<Disposal>.fromOpaque(user).takeUnretainedValue()
            // Frames still queued in the tile go nowhere rather than to an
            // unlinked pad (which would stop the queue with an error).
            _ = gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM, { _, _, _ in GST_PAD_PROBE_DROP }, nil, nil)
            if let comp = d.tile.compositorPad, let compositor = d.runner.compositor {
                _ = gst_pad_unlink(pad, comp)
                gst_element_release_request_pad(compositor, comp)
                gst_object_unref(UnsafeMutableRawPointer(comp))
                d.tile.compositorPad = nil
            }
            // The rest leaves from the main loop, outside any streaming thread.
            _ = g_idle_add({ user in
                guard let user else { return 0 }
                let d = Unmanaged<Disposal>.fromOpaque(user).takeRetainedValue()
                d.runner.finishDisposal(d.tile)
                return 0
            }, user)
            return GST_PAD_PROBE_REMOVE
        }, box, nil)
        gst_object_unref(UnsafeMutableRawPointer(out))
    }

    private func finishDisposal(_ tile: Tile) {
        guard let pipeline else { return }
        if let teePad = tile.teePad, let tee {
            if let peer = gst_pad_get_peer(teePad) {
                _ = gst_pad_unlink(teePad, peer)
                gst_object_unref(UnsafeMutableRawPointer(peer))
            }
            gst_element_release_request_pad(tee, teePad)
            gst_object_unref(UnsafeMutableRawPointer(teePad))
            tile.teePad = nil
        }
        for e in [tile.queue, tile.overlay].compactMap({ $0 }) {
            _ = gst_element_set_state(e, GST_STATE_NULL)
            _ = gst_bin_remove(asBin(pipeline), e)
        }
        tile.queue = nil
        tile.overlay = nil
        appLog?.info("tile \(tile.sourceId) removed")
    }

    /// The tile text: its sensor name and the ROIs its frame carries.
    private static func label(_ tile: Tile, _ buffer: UnsafeMutablePointer<GstBuffer>) {
        let text = labelText(tile.label, buffer)
        let changed = tile.text.withLock { current -> Bool in
            guard current != text else { return false }
            current = text
            return true
        }
        if changed, let overlay = tile.overlay {
            appLog?.debug("tile \(tile.sourceId) text: \(text)")
            gsb_object_set_string(overlay, "text", text)
        }
    }

    private func labelSolo(_ buffer: UnsafeMutablePointer<GstBuffer>) {
        guard let overlay = soloOverlay else { return }
        let id = SourceMeta.sourceId(buffer) ?? 0
        let name = sources.withLock { $0.labels[id] } ?? String(id)
        gsb_object_set_string(overlay, "text", Runner.labelText(name, buffer))
    }

    static func labelText(_ name: String, _ buffer: UnsafeMutablePointer<GstBuffer>) -> String {
        var text = name
        var state: gpointer?
        let api = gst_video_region_of_interest_meta_api_get_type()
        while let meta = gst_buffer_iterate_meta_filtered(buffer, &state, api) {
            let roi = UnsafeMutableRawPointer(meta).assumingMemoryBound(to: GstVideoRegionOfInterestMeta.self).pointee
            let type = g_quark_to_string(roi.roi_type).map { String(cString: $0) } ?? "roi"
            text += "\nROI \(type): \(roi.x),\(roi.y) \(roi.w)x\(roi.h)"
        }
        return text
    }

    // MARK: - Running

    private func busMessage(_ message: UnsafeMutablePointer<GstMessage>) {
        let source = gsb_message_src(message).flatMap { gsb_object_name($0) }.map { String(cString: $0) } ?? "?"
        switch gsb_message_type(message) {
        case GST_MESSAGE_ERROR:
            var text: UnsafeMutablePointer<gchar>?
            var debug: UnsafeMutablePointer<gchar>?
            gsb_message_parse_error_or_warning(message, &text, &debug)
            say("ERROR from element \(source): \(takeString(text) ?? "")")
            if let d = takeString(debug) { say("Error details: \(d)") }
            finish(1)
        case GST_MESSAGE_WARNING:
            var text: UnsafeMutablePointer<gchar>?
            var debug: UnsafeMutablePointer<gchar>?
            gsb_message_parse_error_or_warning(message, &text, &debug)
            say("WARNING from element \(source): \(takeString(text) ?? "")")
            if let d = takeString(debug) { appLog?.debug("warning details: \(d)") }
        case GST_MESSAGE_EOS:
            say("** INFO: <bus_callback>: Received EOS. Exiting ...")
            finish(0)
        case GST_MESSAGE_ELEMENT:
            guard let s = gst_message_get_structure(message) else { return }
            let name = String(cString: gst_structure_get_name(s))
            var id: guint = 0
            let hasId = gst_structure_get_uint(s, "source-id", &id) != 0
            let sensor = gst_structure_get_string(s, "sensor-id").map { String(cString: $0) } ?? ""
            let sensorName = gst_structure_get_string(s, "sensor-name").map { String(cString: $0) } ?? ""
            switch name {
            case "stream-add" where hasId:
                say("new stream added [\(id):\(sensor):\(sensorName)]")
                perf?.added(id, sensorId: sensor, sensorName: sensorName)
            case "stream-remove" where hasId:
                say("new stream removed [\(id):\(sensor)]")
                perf?.removed(id)
                removeTile(id)
            case "force-pipeline-eos":
                say("app/quit received: ending with EOS")
                requestEOS()
            default:
                break
            }
        default:
            break
        }
    }

    /// EOS through the whole pipeline, so the file sink's file is whole;
    /// a second request (Ctrl-C twice) or 10 s without EOS ends at once.
    func requestEOS() {
        guard let pipeline else { return }
        if eosRequested.exchange(true, ordering: .acquiringAndReleasing) {
            say("second quit request: stopping without waiting for EOS")
            finish(130)
            return
        }
        _ = gst_element_send_event(pipeline, gst_event_new_eos())
        _ = g_timeout_add_seconds(10, { user in
            if let runner = Runner.from(user), runner.exitCode.load(ordering: .acquiring) < 0 {
                say("ERROR: EOS did not reach the sinks within 10 s")
                runner.finish(1)
            }
            return 0
        }, unmanaged)
    }

    private func finish(_ code: Int32) {
        _ = exitCode.compareExchange(expected: -1, desired: code, ordering: .acquiringAndReleasing)
        if let loop { g_main_loop_quit(loop) }
    }

    /// Runs until EOS, an error or a quit; returns the exit code.
    func run() -> Int32 {
        guard let pipeline else { return 1 }
        loop = g_main_loop_new(nil, 0)
        installQuitSources()
        if let interval = plan.perf?.intervalSec {
            _ = g_timeout_add_seconds(guint(clamping: interval), { user in
                guard let runner = Runner.from(user), let perf = runner.perf else { return 0 }
                say(perf.report(), terminator: "")
                return 1
            }, unmanaged)
        }
        if gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE {
            // The reason is on the bus as an ERROR; let the watch print it.
            say("can't set pipeline to playing state.")
            drainErrors()
            finish(1)
        } else {
            say("Runtime commands:\n\tq: quit\n")
            if exitCode.load(ordering: .acquiring) < 0, let loop { g_main_loop_run(loop) }
        }
        // A pipeline that hangs in its stop must not keep the process (and
        // its ports) forever: SIGALRM's default action ends it.
        alarm(15)
        _ = gst_element_set_state(pipeline, GST_STATE_NULL)
        alarm(0)
        for server in rtspServers { g_object_unref(UnsafeMutableRawPointer(server)) }
        rtspServers = []
        let code = exitCode.load(ordering: .acquiring)
        return code < 0 ? 0 : code
    }

    private func drainErrors() {
        guard let pipeline, let bus = gst_element_get_bus(pipeline) else { return }
        while let m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR) {
            busMessage(m)
            gsb_message_unref(m)
        }
        gst_object_unref(UnsafeMutableRawPointer(bus))
    }

    // MARK: - Ctrl-C, SIGTERM and "q" + Enter

    nonisolated(unsafe) private static var signalWriteFd: Int32 = -1

    private func installQuitSources() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            signalPipe = (fds[0], fds[1])
            Runner.signalWriteFd = fds[1]
            // Only write(2) in the handler (async-signal-safe); the main loop reads the pipe.
            let handler: @convention(c) (Int32) -> Void = { _ in
                var b: UInt8 = 1
                _ = write(Runner.signalWriteFd, &b, 1)
            }
            signal(SIGINT, handler)
            signal(SIGTERM, handler)
            watch(fds[0]) { runner, fd in
                var b: UInt8 = 0
                _ = read(fd, &b, 1)
                say("\nCaught a quit signal: ending with EOS")
                runner.requestEOS()
                return true
            }
        }
        watch(0) { runner, fd in
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { return false }  // stdin closed: stop watching it
            let line = String(decoding: buffer.prefix(n), as: UTF8.self).trimmingBlanks()
            if line.hasPrefix("q") { say("Quitting"); runner.requestEOS() }
            return true
        }
    }

    private final class FdWatch: @unchecked Sendable {
        let runner: Runner
        let fd: Int32
        let action: (Runner, Int32) -> Bool
        init(_ runner: Runner, _ fd: Int32, _ action: @escaping (Runner, Int32) -> Bool) {
            self.runner = runner; self.fd = fd; self.action = action
        }
    }

    private func watch(_ fd: Int32, _ action: @escaping (Runner, Int32) -> Bool) {
        guard let channel = g_io_channel_unix_new(fd) else { return }
        let box = Unmanaged.passRetained(FdWatch(self, fd, action)).toOpaque()
        let conditions = GIOCondition(rawValue: G_IO_IN.rawValue | G_IO_HUP.rawValue | G_IO_ERR.rawValue)
        _ = g_io_add_watch_full(channel, G_PRIORITY_DEFAULT, conditions, { _, condition, user in
            guard let user else { return 0 }
            let w = Unmanaged<FdWatch>.fromOpaque(user).takeUnretainedValue()
            if condition.rawValue & G_IO_IN.rawValue == 0 { return 0 }
            return w.action(w.runner, w.fd) ? 1 : 0
        }, box, { p in if let p { Unmanaged<FdWatch>.fromOpaque(p).release() } })
        g_io_channel_unref(channel)
    }
}
