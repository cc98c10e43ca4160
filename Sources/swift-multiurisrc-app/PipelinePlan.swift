/// The pipeline an AppConfig describes, as gst-launch text fragments plus
/// the parts the runner builds by hand (tiles, perf, RTSP server). Made
/// from the model only (the builder knows nothing of files); two configs
/// that mean the same give equal plans, and `launchLine` is the same
/// pipeline for gst-launch-1.0 where it can be written that way (no
/// tiler: tiles follow stream-add/remove, which gst-launch cannot).
struct PipelinePlan: Equatable, Sendable {
    /// `swiftmultiurisrcbin name=src ...`
    var source: String
    /// The bin's properties, for building it element by element.
    var sourceProperties: [AppConfig.Property]
    /// Inference stand-ins and the user's elements, in order.
    var stages: [AppConfig.Stage]
    /// swiftroimeta before the OSD, so ROIs from roi/update show.
    var roiMeta: Bool
    var tiler: AppConfig.Tiler?
    var osd: Osd?
    /// One gst-launch branch per sink, fed through a queue from a tee.
    var sinks: [Sink]
    var perf: Perf?

    struct Osd: Equatable, Sendable {
        /// textoverlay properties of every tile (or of the one overlay
        /// without a tiler).
        var overlay: String
        var showText: Bool
        /// clockoverlay after the tiler, when show-clock=1.
        var clock: String?
    }

    struct Sink: Equatable, Sendable {
        var group: String
        var launch: String
        var rtsp: Rtsp?
        /// The file a type=3 sink writes (finished by EOS on exit).
        var file: String?
    }

    struct Rtsp: Equatable, Sendable {
        var port: Int
        /// The media factory's launch text (udpsrc named pay0).
        var factoryLaunch: String
        var mount = "/ds-test"
    }

    struct Perf: Equatable, Sendable {
        var intervalSec: Int
        var showNames: Bool
    }

    /// A value for gst-launch text: quoted when it needs it.
    static func quote(_ value: String) -> String {
        let plain = !value.isEmpty && value.allSatisfy { $0.isLetter || $0.isNumber || "-_.:/+@%".contains($0) }
        if plain { return value }
        var out = "\""
        for c in value {
            if c == "\"" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out + "\""
    }

    /// Frames per second of the mosaic (nvmultistreamtiler follows its
    /// batches; compositor needs a rate of its own).
    static let tilerFramerate = 30

    /// `hasDisplay`: a display server is there (DISPLAY or WAYLAND_DISPLAY).
    /// Without one, type=2 sinks render to a fakesink (autovideosink would
    /// probe every video sink, and DirectFB's crashes the process headless).
    static func make(_ config: AppConfig, hasDisplay: Bool = true) -> PipelinePlan {
        let props = config.binProperties
        let source = (["swiftmultiurisrcbin", "name=src"] + props.map { "\($0.name)=\(quote($0.value))" }).joined(separator: " ")
        var osd: Osd?
        if let o = config.osd {
            // The tile text sits in the top-left corner, as nvdsosd's labels do.
            let font = "\(o.font) \(max(1, o.textSize * 3 / 4))"
            var overlay = "textoverlay valignment=top halignment=left line-alignment=left font-desc=\(quote(font)) "
                + "color=\(o.textColor.argb) draw-shadow=false"
            overlay += o.textBackground.a > 0 ? " shaded-background=true" : ""
            var clock: String?
            if o.showClock {
                clock = "clockoverlay halignment=left valignment=top xpad=\(o.clockX) ypad=\(o.clockY) "
                    + "font-desc=\(quote("\(o.font) \(max(1, o.clockTextSize * 3 / 4))")) color=\(o.clockColor.argb) "
                    + "time-format=\"%Y-%m-%d %H:%M:%S\""
            }
            osd = Osd(overlay: overlay, showText: o.displayText, clock: clock)
        }
        var sinks: [Sink] = []
        // Without a tiler the bin's frames carry a variable framerate (0/1),
        // which x265enc refuses to start on: encoders get a fixed rate.
        let rate = config.tiler == nil ? "videorate ! video/x-raw,framerate=\(tilerFramerate)/1 ! " : ""
        // Every sink async=false, as deepstream-app makes them: when a source
        // joins, the pipeline re-prerolls, and a sink waiting for its first
        // frame behind an encoder that holds frames back would stall the tee.
        for sink in config.sinks {
            let sync = sink.sync ? "true" : "false"
            switch sink.kind {
            case .fake:
                sinks.append(.init(group: sink.group, launch: "fakesink name=\(sink.group) sync=\(sync) async=false"))
            case .display:
                sinks.append(.init(group: sink.group, launch: hasDisplay
                    ? "videoconvert ! autovideosink name=\(sink.group) sync=\(sync)"
                    : "fakesink name=\(sink.group) sync=\(sync) async=false"))
            case let .file(enc, container, path):
                let mux = container == .mp4 ? "mp4mux" : "matroskamux"
                sinks.append(.init(group: sink.group,
                                   launch: "videoconvert ! \(rate)\(encoder(enc, live: false)) ! \(mux) ! filesink name=\(sink.group) "
                                       + "location=\(quote(path)) sync=\(sync) async=false",
                                   file: path))
            case let .rtsp(enc, rtspPort, udpPort, udpBufferSize):
                let pay = enc.codec == .h265 ? "rtph265pay" : "rtph264pay"
                let name = enc.codec == .h265 ? "H265" : "H264"
                let launch = "videoconvert ! \(rate)\(encoder(enc, live: true)) ! \(pay) config-interval=-1 pt=96 ! "
                    + "udpsink name=\(sink.group) host=127.0.0.1 port=\(udpPort) buffer-size=\(udpBufferSize) async=false sync=\(sync)"
                // DeepStream's shape (the server reads the encoder's RTP from
                // udp-port), re-payloaded so that the server's payloader knows
                // the stream's parameters for the SDP and repeats them for
                // clients that join between key frames.
                let codec = enc.codec == .h265 ? "h265" : "h264"
                let factory = "( udpsrc port=\(udpPort) buffer-size=\(udpBufferSize) "
                    + "caps=\"application/x-rtp, media=video, clock-rate=90000, encoding-name=\(name), payload=96\" "
                    + "! rtp\(codec)depay ! \(codec)parse ! rtp\(codec)pay name=pay0 pt=96 config-interval=-1 )"
                sinks.append(.init(group: sink.group, launch: launch, rtsp: Rtsp(port: rtspPort, factoryLaunch: factory)))
            }
        }
        // DeepStream: no sink enabled, a fakesink.
        if sinks.isEmpty { sinks.append(.init(group: "fakesink", launch: "fakesink name=fakesink sync=false async=false")) }
        return PipelinePlan(source: source, sourceProperties: props, stages: config.stages,
                            roiMeta: config.osd != nil, tiler: config.tiler, osd: osd, sinks: sinks,
                            perf: config.perfEnabled ? Perf(intervalSec: config.perfIntervalSec, showNames: config.streamNameDisplay) : nil)
    }

    /// Software encoders (enc-type=1, what deepstream-app falls back to
    /// without a GPU); bitrate in bit/s as DeepStream writes it.
    static func encoder(_ enc: AppConfig.Sink.Encoding, live: Bool) -> String {
        let kbps = max(1, enc.bitrate / 1000)
        let gop = enc.iframeInterval > 0 ? enc.iframeInterval : 30
        switch enc.codec {
        case .h264:
            return "x264enc bitrate=\(kbps) key-int-max=\(gop) speed-preset=ultrafast"
                + (live ? " tune=zerolatency" : "") + " ! h264parse"
        case .h265:
            // repeat-headers: x265's key frames are open-GOP CRAs, before which
            // rtph265pay repeats no parameter sets, so a client that joins
            // late (every RTSP client) never got VPS/SPS/PPS.
            return "x265enc bitrate=\(kbps) key-int-max=\(gop) speed-preset=ultrafast option-string=\"repeat-headers=1\""
                + (live ? " tune=zerolatency" : "") + " ! h265parse"
        case .mpeg4:
            // No mpeg4videoparse: behind it matroskamux wrote files in which
            // ffprobe decodes 1 frame of 60 (avenc_mpeg4's own caps mux fine).
            return "avenc_mpeg4 bitrate=\(enc.bitrate) gop-size=\(gop)"
        }
    }

    /// The pipeline as one gst-launch-1.0 line; nil with a tiler.
    var launchLine: String? {
        guard tiler == nil else { return nil }
        var parts = [source] + stages.map(\.launch)
        if roiMeta { parts.append("swiftroimeta") }
        if let osd { parts.append(osd.overlay) }
        if sinks.count == 1, let only = sinks.first {
            return (parts + [only.launch]).joined(separator: " ! ")
        }
        var line = (parts + ["tee name=sinks"]).joined(separator: " ! ")
        for s in sinks { line += " sinks. ! queue ! " + s.launch }
        return line
    }

    /// What --print-pipeline shows: every part, one per line.
    var summary: String {
        var lines = ["source: \(source)"]
        for s in stages { lines.append("stage [\(s.group)]: \(s.launch)") }
        if roiMeta { lines.append("roi: swiftroimeta") }
        if let t = tiler {
            lines.append("tiler: \(t.rows)x\(t.columns) tiles of \(t.tileWidth)x\(t.tileHeight) in \(t.width)x\(t.height) "
                + "(per source: queue ! \(osd?.overlay ?? "identity") ! compositor)")
            if let c = osd?.clock { lines.append("clock: \(c)") }
        } else if let o = osd {
            lines.append("osd: \(o.overlay)")
        }
        for s in sinks {
            lines.append("sink \(s.group): \(s.launch)")
            if let r = s.rtsp { lines.append("rtsp \(s.group): rtsp://localhost:\(r.port)\(r.mount) \(r.factoryLaunch)") }
        }
        if let p = perf { lines.append("perf: every \(p.intervalSec) s\(p.showNames ? ", sensor names" : "")") }
        if let l = launchLine { lines.append("gst-launch-1.0: \(l)") }
        return lines.joined(separator: "\n")
    }
}
