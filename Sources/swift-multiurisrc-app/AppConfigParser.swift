/// ConfigDocument -> AppConfig, group by group, with DeepStream's keys,
/// defaults and checks (deepstream-9.1.md §7). Unknown groups and keys
/// become one warning each; GPU-only groups are named and replaced or
/// skipped; a broken value is a ConfigError naming file, group, key, line.
enum AppConfigParser {
    /// Keys of DeepStream's GPU elements that have no meaning here; read
    /// silently in every group that may carry them.
    static let gpuKeys = ["gpu-id", "nvbuf-memory-type", "compute-hw", "cudadec-memtype", "num-extra-surfaces",
                          "buffer-pool-size", "hw-blend-color-attr", "process-mode", "display-mask", "square-seq-grid",
                          "copy-meta", "output-io-mode", "nvdslogger", "conn-id", "plane-id", "set-mode",
                          "color-range", "link-to-demux", "qos", "overlay-id", "offset-x", "offset-y",
                          "enc-type", "profile", "sw-preset", "show-fps", "show-latency", "global-gpu-id"]

    static func parse(_ doc: ConfigDocument, configDirectory: String) throws(ConfigError) -> AppConfig {
        var config = AppConfig()
        config.warnings = doc.warnings
        let file = doc.file
        func reader(_ name: String) -> GroupReader? { doc.group(name).map { GroupReader(file: file, group: $0) } }
        var readers: [GroupReader] = []

        // [application]
        if var g = reader("application") {
            config.perfEnabled = try g.bool("enable-perf-measurement") ?? false
            config.perfIntervalSec = try g.int("perf-measurement-interval-sec", in: 1...3600) ?? 5
            g.accept(["gie-kitti-output-dir", "kitti-track-output-dir", "reid-track-output-dir",
                      "terminated-track-output-dir", "shadow-track-output-dir", "global-gpu-id"])
            readers.append(g)
        }

        // [source-list] + [source-attr-all] -> swiftmultiurisrcbin
        guard var list = reader("source-list") else {
            throw ConfigError(file: file, message: "no [source-list] group: this app runs configs with use-nvmultiurisrcbin=1")
        }
        guard try list.bool("use-nvmultiurisrcbin") == true else {
            let e = list.group.entry("use-nvmultiurisrcbin")
            throw ConfigError(file: file, group: "source-list", key: "use-nvmultiurisrcbin", line: e?.line ?? list.group.line,
                              message: "must be 1: this app builds swiftmultiurisrcbin (nvmultiurisrcbin); [sourceN] groups are not supported")
        }
        var props: [AppConfig.Property] = []
        func set(_ name: String, _ value: String) {
            props.removeAll { $0.name == name }
            props.append(.init(name: name, value: value))
        }
        func setInt(_ g: inout GroupReader, _ key: String, _ property: String, _ range: ClosedRange<Int>? = nil) throws(ConfigError) {
            if let v = try g.int(key, in: range) { set(property, String(v)) }
        }
        func setBool(_ g: inout GroupReader, _ key: String, _ property: String) throws(ConfigError) {
            if let v = try g.bool(key) { set(property, v ? "true" : "false") }
        }

        guard var attr = reader("source-attr-all") else {
            throw ConfigError(file: file, line: list.group.line,
                              message: "no [source-attr-all] group: use-nvmultiurisrcbin=1 needs it (as in DeepStream)")
        }
        if let type = try attr.int("type", in: 1...9), ![2, 3, 4].contains(type) {
            config.warnings.append(attr.warning("type", "type \(type) is not a URI source (2, 3 or 4); the bin plays the URIs of [source-list] list"))
        }
        _ = try attr.bool("enable")
        attr.accept(["num-sources", "gpu-id", "cudadec-memtype", "nvbuf-memory-type", "num-extra-surfaces",
                     "intra-decode-enable", "camera-id", "uri"])
        let attrInts: [(String, String, ClosedRange<Int>?)] = [
            ("drop-frame-interval", "drop-frame-interval", 0...30),
            ("select-rtp-protocol", "select-rtp-protocol", nil), ("leaky", "leaky", 0...2),
            ("max-size-buffers", "max-size-buffers", 0...Int(UInt32.max)), ("buffer-mode", "buffer-mode", 0...4),
            ("smart-record", "smart-record", 0...2), ("smart-rec-container", "smart-rec-container", 0...1),
            ("smart-rec-mode", "smart-rec-mode", 0...2), ("smart-rec-cache", "smart-rec-cache", 0...Int(UInt32.max)),
            ("smart-rec-default-duration", "smart-rec-default-duration", 0...Int(UInt32.max)),
            ("rtsp-reconnect-interval-sec", "rtsp-reconnect-interval", 0...Int(UInt32.max)),
            ("init-rtsp-reconnect-interval-sec", "init-rtsp-reconnect-interval", 0...Int(UInt32.max)),
            ("rtsp-reconnect-attempts", "rtsp-reconnect-attempts", -1...Int(Int32.max)),
            ("latency", "latency", 0...Int(UInt32.max)), ("udp-buffer-size", "udp-buffer-size", 0...Int(UInt32.max)),
            ("simulate-fps-interval-ms", "simulate-fps-interval-ms", 0...1000),
        ]
        for (key, property, range) in attrInts { try setInt(&attr, key, property, range) }
        try setBool(&attr, "low-latency-decode", "low-latency-mode")
        try setBool(&attr, "drop-on-latency", "drop-on-latency")
        try setBool(&attr, "sensorID-padID-mapping", "sensorID-padID-mapping")
        if let v = attr.string("smart-rec-dir-path") { set("smart-rec-dir-path", v) }
        if let v = attr.string("smart-rec-file-prefix") { set("smart-rec-file-prefix", v) }
        attr.accept(["smart-rec-duration", "smart-rec-start-time", "smart-rec-interval"])
        readers.append(attr)

        let uris = list.list("list") ?? []
        let ids = list.list("sensor-id-list") ?? []
        let names = list.list("sensor-name-list") ?? []
        if let count = try list.int("num-source-bins", in: 0...1024) {
            for (key, items) in [("list", uris), ("sensor-id-list", ids), ("sensor-name-list", names)] where items.count != count {
                let e = list.group.entry(key)
                throw ConfigError(file: file, group: "source-list", key: key, line: e?.line ?? list.group.line,
                                  message: "has \(items.count) item(s) but num-source-bins=\(count)")
            }
        }
        for (key, items) in [("list", uris), ("sensor-id-list", ids), ("sensor-name-list", names)] {
            guard let e = list.group.entry(key) else { continue }
            if let bad = items.first(where: { $0.contains(",") }) {
                throw ConfigError(file: file, group: "source-list", key: key, line: e.line,
                                  message: "item \"\(bad)\" contains a ',' (items are separated by ';')")
            }
        }
        if let e = list.group.entry("list") {
            for uri in uris {
                let lower = uri.lowercased()
                guard ["file://", "rtsp://", "rtsps://", "http://", "https://"].contains(where: { lower.hasPrefix($0) }) else {
                    throw ConfigError(file: file, group: "source-list", key: "list", line: e.line,
                                      message: "\"\(uri)\" is not a file://, rtsp://, rtsps://, http:// or https:// URI"
                                          + (lower.hasPrefix("csi:") || lower.hasPrefix("usb:") ? " (camera devices are not supported)" : ""))
                }
            }
        }
        config.streamNameDisplay = try list.bool("stream-name-display") ?? false
        try setInt(&list, "max-batch-size", "max-batch-size", 1...1024)
        if let v = list.string("http-ip") { set("ip-address", v) }
        if let e = list.entry("http-port") {
            guard let port = Int(e.value), (0...65535).contains(port) else {
                throw list.error(e, "\"\(e.value)\" is not a TCP port (0-65535; 0 turns REST off)")
            }
            set("port", String(port))
        } else {
            // DeepStream hands NULL to the bin, which keeps its 9000.
            set("port", "9000")
        }
        try setBool(&list, "extract-sei-type5-data", "extract-sei-type5-data-dec")
        try setBool(&list, "low-latency-mode", "low-latency-mode")
        try setBool(&list, "enable-error-propagation", "enable-error-propagation")
        for key in ["sei-uuid", "proto-lib", "conn-str", "topic"] { if let v = list.string(key) { set(key, v) } }
        list.accept(["sgie-batch-size", "dummy-payload", "custom-ts-to-rfc", "batched-sensor-name"])
        set("uri-list", uris.joined(separator: ","))
        if !ids.isEmpty { set("sensor-id-list", ids.joined(separator: ",")) }
        if !names.isEmpty { set("sensor-name-list", names.joined(separator: ",")) }
        readers.append(list)

        // [streammux]
        if var mux = reader("streammux") {
            config.muxWidth = try mux.int("width", in: 0...16384) ?? 0
            config.muxHeight = try mux.int("height", in: 0...16384) ?? 0
            try setInt(&mux, "batched-push-timeout", "batched-push-timeout", -1...Int(Int32.max))
            for key in ["enable-padding", "live-source", "sort-batch", "cache-buffer", "frame-num-reset-on-eos",
                        "frame-num-reset-on-stream-reset", "sync-inputs", "drop-pipeline-eos", "extract-sei-type5-data",
                        "align-first-buffer", "drop-backward-sei", "async-process"] {
                try setBool(&mux, key, key)
            }
            try setBool(&mux, "attach-sys-ts-as-ntp", "attach-sys-ts")
            try setInt(&mux, "cache-buffer-timeout", "cache-buffer-timeout", Int(Int32.min)...Int(Int32.max))
            try setInt(&mux, "sync-inputs-ntp", "sync-inputs-ntp", Int(Int32.min)...Int(Int32.max))
            try setInt(&mux, "frame-duration", "frame-duration", -1...Int(Int32.max))
            try setInt(&mux, "max-latency", "max-latency", 0...Int(UInt32.max))
            try setInt(&mux, "num-surfaces-per-frame", "num-surfaces-per-frame", 1...4)
            if let v = try mux.int("buffer-pool-size", in: 0...1024), v >= 4 { set("buffer-pool-size", String(v)) }
            if let v = mux.string("config-file-path"), !v.isEmpty { set("config-file-path", resolve(v, in: configDirectory)) }
            if mux.group.entry("failsafe-flush-count") != nil {
                _ = mux.entry("failsafe-flush-count")
                config.warnings.append(mux.warning("failsafe-flush-count", "nvmultiurisrcbin has no such property; ignored"))
            }
            // batch-size: DeepStream replaces it by [source-list] max-batch-size.
            mux.accept(["batch-size", "gpu-id", "nvbuf-memory-type", "compute-hw", "interpolation-method", "enable"])
            readers.append(mux)
        }

        // [tests]
        if var tests = reader("tests") {
            if let loop = try tests.bool("file-loop") { set("file-loop", loop ? "true" : "false") }
            if let recreate = try tests.int("pipeline-recreate-sec", in: 0...Int(Int32.max)), recreate > 0 {
                config.warnings.append(tests.warning("pipeline-recreate-sec", "not supported; the pipeline is never recreated"))
            }
            readers.append(tests)
        }

        // [tiled-display]
        if var tiled = reader("tiled-display") {
            let enable = try tiled.int("enable", in: 0...2) ?? 0
            var t = AppConfig.Tiler()
            t.rows = try tiled.int("rows", in: 1...64) ?? 1
            t.columns = try tiled.int("columns", in: 1...64) ?? 1
            t.width = try tiled.int("width", in: 16...16384) ?? 1280
            t.height = try tiled.int("height", in: 16...16384) ?? 720
            if enable == 2 {
                config.warnings.append(tiled.warning("enable", "enable=2 (parallel demux) is built as enable=1"))
            }
            if enable > 0 { config.tiler = t }
            tiled.accept(gpuKeys)
            readers.append(tiled)
        }

        // [osd]
        if var osdGroup = reader("osd") {
            if try osdGroup.int("enable", in: 0...1) == 1 {
                var o = AppConfig.Osd()
                o.textSize = try osdGroup.int("text-size", in: 1...400) ?? o.textSize
                o.font = osdGroup.string("font").flatMap { $0.isEmpty ? nil : $0 } ?? o.font
                o.textColor = try osdGroup.color("text-color") ?? o.textColor
                o.textBackground = try osdGroup.color("text-bg-color") ?? o.textBackground
                o.borderWidth = try osdGroup.int("border-width", in: 0...100) ?? o.borderWidth
                o.displayText = try osdGroup.bool("display-text") ?? true
                o.displayBbox = try osdGroup.bool("display-bbox") ?? true
                o.showClock = try osdGroup.bool("show-clock") ?? false
                o.clockX = try osdGroup.int("clock-x-offset", in: 0...16384) ?? 0
                o.clockY = try osdGroup.int("clock-y-offset", in: 0...16384) ?? 0
                o.clockTextSize = try osdGroup.int("clock-text-size", in: 1...400) ?? o.clockTextSize
                o.clockColor = try osdGroup.color("clock-color") ?? o.clockColor
                config.osd = o
            }
            osdGroup.accept(gpuKeys)
            osdGroup.accept(["text-size", "font", "text-color", "text-bg-color", "border-width", "display-text",
                             "display-bbox", "show-clock", "clock-x-offset", "clock-y-offset", "clock-text-size", "clock-color"])
            readers.append(osdGroup)
        }

        // GPU inference groups, in deepstream-app's order.
        let stageGroups = doc.groups.map(\.name).filter(isStageGroup).sorted { stageOrder($0) < stageOrder($1) }
        for name in stageGroups {
            guard var g = reader(name) else { continue }
            defer { readers.append(g) }
            guard try g.int("enable", in: 0...1) == 1 else { g.accept(g.group.entries.map(\.key)); continue }
            let element = g.string("gst-element")
            let interval = try g.int("interval", in: 0...Int(Int32.max))
            // Everything else configures DeepStream's element: read, not used.
            g.accept(g.group.entries.map(\.key))
            if let element, !element.trimmingBlanks().isEmpty {
                config.stages.append(.init(group: name, launch: element.trimmingBlanks()))
            } else if name == "primary-gie" {
                config.stages.append(.init(group: name, launch: "swiftinferinterval interval=\(interval ?? 0)"))
                config.warnings.append(g.warning(nil, "nvinfer needs an NVIDIA GPU: swiftinferinterval stands in "
                    + "(infer/set-interval acts, no detection); gst-element=<launch text> puts an element of yours here"))
            } else {
                config.warnings.append(g.warning(nil, "\(gpuElement(name)) needs an NVIDIA GPU: skipped; "
                    + "gst-element=<launch text> puts an element of yours here"))
            }
        }

        // [sinkN], in N order.
        let sinkGroups = doc.groups.compactMap { g -> (Int, String)? in
            guard g.name.hasPrefix("sink"), let n = Int(g.name.dropFirst(4)), n >= 0 else { return nil }
            return (n, g.name)
        }.sorted { $0.0 < $1.0 }
        for (_, name) in sinkGroups {
            guard var g = reader(name) else { continue }
            defer { readers.append(g) }
            guard try g.int("enable", in: 0...1) == 1 else { g.accept(g.group.entries.map(\.key)); continue }
            let type = try g.int("type", in: 1...6) ?? 1
            let sync = try g.bool("sync") ?? false
            g.accept(gpuKeys)
            g.accept(["source-id", "width", "height"])
            func encoding(_ g: inout GroupReader, codecs: ClosedRange<Int>) throws(ConfigError) -> AppConfig.Sink.Encoding {
                var enc = AppConfig.Sink.Encoding()
                if let c = try g.int("codec", in: codecs), let codec = AppConfig.Sink.Codec(rawValue: c) { enc.codec = codec }
                enc.bitrate = try g.int("bitrate", in: 1000...Int(UInt32.max)) ?? enc.bitrate
                enc.iframeInterval = try g.int("iframeinterval", in: 0...Int(Int32.max)) ?? 30
                return enc
            }
            switch type {
            case 1:
                config.sinks.append(.init(group: name, sync: sync, kind: .fake))
            case 2:
                config.sinks.append(.init(group: name, sync: sync, kind: .display))
            case 3:
                let enc = try encoding(&g, codecs: 1...3)
                let container = try g.int("container", in: 1...2) ?? 1
                guard let path = g.string("output-file"), !path.isEmpty else {
                    throw ConfigError(file: file, group: name, key: "output-file", line: g.group.line,
                                      message: "type=3 (file) needs output-file")
                }
                config.sinks.append(.init(group: name, sync: sync,
                                          kind: .file(enc, container: AppConfig.Sink.Container(rawValue: container) ?? .mp4, path: path)))
            case 4:
                let enc = try encoding(&g, codecs: 1...2)
                let rtspPort = try g.int("rtsp-port", in: 1...65535) ?? 8554
                let udpPort = try g.int("udp-port", in: 1...65535) ?? 5000
                let udpBuffer = try g.int("udp-buffer-size", in: 0...Int(Int32.max)) ?? 512 * 1024
                config.sinks.append(.init(group: name, sync: sync,
                                          kind: .rtsp(enc, rtspPort: rtspPort, udpPort: udpPort, udpBufferSize: udpBuffer)))
            default:
                g.accept(g.group.entries.map(\.key))
                config.warnings.append(g.warning("type", type == 5 ? "type=5 (DRM/overlay display) is Jetson-only: skipped"
                                                 : "type=6 (message converter + broker) needs DeepStream's nvmsgconv/nvmsgbroker: skipped"))
            }
        }

        // Groups of DeepStream parts this app has no equivalent for.
        for g in doc.groups {
            let name = g.name
            if readers.contains(where: { $0.name == name }) { continue }
            if name == "message-converter" || name.hasPrefix("message-consumer") || name == "img-save"
                || name == "ds-example" || name == "source" || name.hasPrefix("source") && Int(name.dropFirst(6)) != nil {
                var r = GroupReader(file: file, group: g)
                if (try? r.int("enable", in: 0...1)) == 1 || name == "source" || name.hasPrefix("source") {
                    config.warnings.append(r.warning(nil, "not supported by this app: skipped"))
                }
                continue
            }
            config.warnings.append(ConfigWarning(file: file, group: name, line: g.line, message: "unknown group: ignored"))
        }
        for r in readers {
            for e in r.unread {
                config.warnings.append(ConfigWarning(file: file, group: r.name, key: e.key, line: e.line, message: "unknown key: ignored"))
            }
        }

        // The mux size: with a tiler each frame is only ever seen as its
        // tile, so sources are scaled straight to the tile (DeepStream
        // scales to the mux size on the GPU; on a CPU that scale is the
        // cost of the whole pipeline).
        if let t = config.tiler {
            set("width", String(t.tileWidth))
            set("height", String(t.tileHeight))
        } else {
            if config.muxWidth > 0 { set("width", String(config.muxWidth)) }
            if config.muxHeight > 0 { set("height", String(config.muxHeight)) }
        }
        config.binProperties = props
        return config
    }

    static func isStageGroup(_ name: String) -> Bool {
        ["primary-gie", "tracker", "nvds-analytics", "pre-process"].contains(name)
            || name.hasPrefix("secondary-gie") || name.hasPrefix("secondary-pre-process")
    }

    /// deepstream-app's order: preprocess, pgie, tracker, secondary
    /// preprocess, sgies, analytics.
    static func stageOrder(_ name: String) -> (Int, String) {
        switch name {
        case "pre-process": (0, name)
        case "primary-gie": (1, name)
        case "tracker": (2, name)
        case _ where name.hasPrefix("secondary-pre-process"): (3, name)
        case _ where name.hasPrefix("secondary-gie"): (4, name)
        default: (5, name)
        }
    }

    static func gpuElement(_ name: String) -> String {
        switch name {
        case "tracker": "nvtracker"
        case "nvds-analytics": "nvdsanalytics"
        case _ where name.contains("pre-process"): "nvdspreprocess"
        default: "nvinfer"
        }
    }

    static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") || directory.isEmpty ? path : directory + "/" + path
    }
}
