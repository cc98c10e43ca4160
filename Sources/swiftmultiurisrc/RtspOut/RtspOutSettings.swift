import CGStreamer
import GstSwiftBridge
import Glibc

/// The properties of swiftrtspoutbin. Defaults come from the seed's
/// environment variables when they are set (read once, when the class is
/// made); a property set on the element wins.
struct RtspOutSettings: Sendable, Equatable {
    /// TCP port of the RTSP server ("0": any free port, see bound-rtsp-port).
    var rtspPort = "8554"
    /// Address the RTSP server listens on.
    var rtspAddress = "0.0.0.0"
    /// Host written into rtspUrl.
    var publicHost = "127.0.0.1"
    /// RTP over UDP to udp-host:base-udp-port+N as well.
    var udpEgress = false
    var udpHost = "127.0.0.1"
    var baseUdpPort: UInt32 = 5000
    /// Streams with a lower id use a hardware encoder, when one is present.
    var hwThreshold: UInt32 = 8
    var swMax: UInt32 = 56
    /// 0: hw-threshold (when hardware is present) + sw-max.
    var maxStreams: UInt32 = 0
    var x264Threads: UInt32 = 2
    /// Streams nobody watched for longer are deleted; 0 never.
    var idleTtlSecs: UInt32 = 60
    /// requestStream's url when the request has none.
    var sampleUri = ""
    /// The software encoders to try, in order.
    var encoders = EncoderPolicy.softwareOrder.joined(separator: ",")
    /// Initial bitrate, bit/s (enc/bitrate changes it per stream).
    var bitrate: UInt32 = 2_000_000
    /// Initial key frame interval, frames (enc/iframe-interval changes it).
    var iframeInterval: UInt32 = 30
    /// The REST port whose server answers the Control API; "" = the
    /// upstream swiftmultiurisrcbin's `port`.
    var controlPort = ""

    /// The defaults, with the environment applied.
    static let defaults: RtspOutSettings = {
        var s = RtspOutSettings()
        func env(_ name: String) -> String? {
            guard let raw = getenv(name) else { return nil }
            let text = String(cString: raw)
            return text.isEmpty ? nil : text
        }
        func number(_ name: String) -> UInt32? { env(name).flatMap { UInt32($0) } }
        if let v = env("RTSP_PORT"), UInt16(v) != nil { s.rtspPort = v }
        if let v = env("PUBLIC_HOST") { s.publicHost = v }
        if let v = number("BASE_UDP_PORT"), v <= 65535 { s.baseUdpPort = v }
        if let v = env("SAMPLE_URI") { s.sampleUri = v }
        if let v = number("HW_THRESHOLD") { s.hwThreshold = v }
        if let v = number("SW_MAX") { s.swMax = v }
        if let v = number("MAX_STREAMS") { s.maxStreams = v }
        if let v = number("X264_THREADS") { s.x264Threads = v }
        if let v = number("IDLE_TTL_SECS") { s.idleTtlSecs = v }
        if let v = env("CTRL_PORT"), UInt16(v) != nil { s.controlPort = v }
        return s
    }()

    func policy() -> EncoderPolicy {
        EncoderPolicy(softwareList: encoders, hwThreshold: hwThreshold, swMax: swMax, maxStreams: maxStreams,
                      exists: { RtspOutSettings.factoryExists($0) })
    }

    /// Hardware factories are probed once per process (PlatformProbe);
    /// software ones are looked up each time, which is cheap.
    static func factoryExists(_ name: String) -> Bool {
        if EncoderPolicy.hardwareOrder.contains(name) { return PlatformProbe.current.hardwareEncoders.contains(name) }
        return elementFactoryExists(name)
    }

    func rtspUrl(_ id: UInt32, port: UInt16) -> String {
        let host = publicHost.contains(":") && !publicHost.hasPrefix("[") ? "[\(publicHost)]" : publicHost
        return "rtsp://\(host):\(port)\(RtspPath.path(id))"
    }

    /// base-udp-port + id, when that is a port.
    func udpPort(_ id: UInt32) -> UInt16? {
        let sum = UInt64(baseUdpPort) + UInt64(id)
        return sum <= 65535 ? UInt16(sum) : nil
    }

    // MARK: properties

    enum Property: UInt32, CaseIterable {
        case rtspPort = 1, rtspAddress, publicHost, udpEgress, udpHost, baseUdpPort, hwThreshold, swMax,
             maxStreams, x264Threads, idleTtlSecs, sampleUri, encoders, bitrate, iframeInterval, controlPort,
             boundRtspPort
    }

    static func install(_ klass: gpointer) {
        let d = defaults
        let specs: [(Property, PropertySpec)] = [
            (.rtspPort, .string(name: "rtsp-port", nick: "RTSP port",
                                blurb: "TCP port of the RTSP server serving /s<N> (\"0\": any free port, read it from "
                                    + "bound-rtsp-port); default from RTSP_PORT", defaultValue: d.rtspPort)),
            (.rtspAddress, .string(name: "rtsp-address", nick: "RTSP address",
                                   blurb: "Address the RTSP server listens on", defaultValue: d.rtspAddress)),
            (.publicHost, .string(name: "public-host", nick: "Public host",
                                  blurb: "Host or IP written into the rtspUrl the Control API answers; default from PUBLIC_HOST",
                                  defaultValue: d.publicHost)),
            (.udpEgress, .bool(name: "udp-egress", nick: "UDP egress",
                               blurb: "Also send each stream's RTP over UDP to udp-host:base-udp-port+N",
                               defaultValue: d.udpEgress)),
            (.udpHost, .string(name: "udp-host", nick: "UDP host",
                               blurb: "Where udp-egress sends RTP", defaultValue: d.udpHost)),
            (.baseUdpPort, .uint(name: "base-udp-port", nick: "Base UDP port",
                                 blurb: "Stream N's RTP goes to this port + N; default from BASE_UDP_PORT",
                                 min: 1, max: 65535, defaultValue: d.baseUdpPort)),
            (.hwThreshold, .uint(name: "hw-threshold", nick: "Hardware threshold",
                                 blurb: "Streams with a lower id use a hardware H.264 encoder when one is present (none "
                                     + "present counts as 0); default from HW_THRESHOLD",
                                 min: 0, max: 4096, defaultValue: d.hwThreshold)),
            (.swMax, .uint(name: "sw-max", nick: "Software maximum",
                           blurb: "Software-encoded streams at most (429 beyond); default from SW_MAX",
                           min: 0, max: 4096, defaultValue: d.swMax)),
            (.maxStreams, .uint(name: "max-streams", nick: "Maximum streams",
                                blurb: "Streams at most (429 beyond); 0 = hardware slots + sw-max; default from MAX_STREAMS",
                                min: 0, max: 4096, defaultValue: d.maxStreams)),
            (.x264Threads, .uint(name: "x264-threads", nick: "x264 threads",
                                 blurb: "threads of each x264enc (0: x264 decides); default from X264_THREADS",
                                 min: 0, max: 64, defaultValue: d.x264Threads)),
            (.idleTtlSecs, .uint(name: "idle-ttl-secs", nick: "Idle TTL",
                                 blurb: "A stream with no viewer for longer than this many seconds is deleted, as by "
                                     + "DELETE /deleteStream (0: never); default from IDLE_TTL_SECS",
                                 min: 0, max: 86_400 * 365, defaultValue: d.idleTtlSecs)),
            (.sampleUri, .string(name: "sample-uri", nick: "Sample URI",
                                 blurb: "Source of a requestStream without url; default from SAMPLE_URI",
                                 defaultValue: d.sampleUri)),
            (.encoders, .string(name: "encoders", nick: "Software encoders",
                                blurb: "Software H.264 encoders to try, in order, comma separated (the first that "
                                    + "exists is used)", defaultValue: d.encoders)),
            (.bitrate, .uint(name: "bitrate", nick: "Bitrate",
                             blurb: "Initial bitrate of every stream in bit/s (enc/bitrate changes one stream's)",
                             min: 10_000, max: 100_000_000, defaultValue: d.bitrate)),
            (.iframeInterval, .uint(name: "iframe-interval", nick: "Key frame interval",
                                    blurb: "Initial frames between key frames (enc/iframe-interval changes one "
                                        + "stream's; a client that connects gets one at once)",
                                    min: 1, max: 1000, defaultValue: d.iframeInterval)),
            (.controlPort, .string(name: "control-port", nick: "Control port",
                                   blurb: "REST port whose server answers /requestStream, /deleteStream and /streams; "
                                       + "empty: the port of the swiftmultiurisrcbin upstream; default from CTRL_PORT",
                                   defaultValue: d.controlPort)),
        ]
        let objectClass = klass.assumingMemoryBound(to: GObjectClass.self)
        for (id, spec) in specs {
            g_object_class_install_property(objectClass, id.rawValue, spec.paramSpec(mutablePlaying: false))
        }
        g_object_class_install_property(
            objectClass, Property.boundRtspPort.rawValue,
            g_param_spec_uint(g_intern_string("bound-rtsp-port"), g_intern_string("Bound RTSP port"),
                              g_intern_string("The port the RTSP server listens on (READY and above), 0 before"),
                              0, 65535, 0, gsb_param_flags_readonly()))
    }

    mutating func set(_ property: Property, _ value: UnsafePointer<GValue>) {
        func text() -> String { GValueAccess.string(value) ?? "" }
        switch property {
        case .rtspPort: rtspPort = text()
        case .rtspAddress: rtspAddress = text()
        case .publicHost: publicHost = text()
        case .udpEgress: udpEgress = g_value_get_boolean(value) != 0
        case .udpHost: udpHost = text()
        case .baseUdpPort: baseUdpPort = g_value_get_uint(value)
        case .hwThreshold: hwThreshold = g_value_get_uint(value)
        case .swMax: swMax = g_value_get_uint(value)
        case .maxStreams: maxStreams = g_value_get_uint(value)
        case .x264Threads: x264Threads = g_value_get_uint(value)
        case .idleTtlSecs: idleTtlSecs = g_value_get_uint(value)
        case .sampleUri: sampleUri = text()
        case .encoders: encoders = text()
        case .bitrate: bitrate = g_value_get_uint(value)
        case .iframeInterval: iframeInterval = g_value_get_uint(value)
        case .controlPort: controlPort = text()
        case .boundRtspPort: break
        }
    }

    func get(_ property: Property, _ value: UnsafeMutablePointer<GValue>, boundPort: UInt16) {
        switch property {
        case .rtspPort: GValueAccess.setString(value, rtspPort)
        case .rtspAddress: GValueAccess.setString(value, rtspAddress)
        case .publicHost: GValueAccess.setString(value, publicHost)
        case .udpEgress: g_value_set_boolean(value, udpEgress.gboolean)
        case .udpHost: GValueAccess.setString(value, udpHost)
        case .baseUdpPort: g_value_set_uint(value, baseUdpPort)
        case .hwThreshold: g_value_set_uint(value, hwThreshold)
        case .swMax: g_value_set_uint(value, swMax)
        case .maxStreams: g_value_set_uint(value, maxStreams)
        case .x264Threads: g_value_set_uint(value, x264Threads)
        case .idleTtlSecs: g_value_set_uint(value, idleTtlSecs)
        case .sampleUri: GValueAccess.setString(value, sampleUri)
        case .encoders: GValueAccess.setString(value, encoders)
        case .bitrate: g_value_set_uint(value, bitrate)
        case .iframeInterval: g_value_set_uint(value, iframeInterval)
        case .controlPort: GValueAccess.setString(value, controlPort)
        case .boundRtspPort: g_value_set_uint(value, guint(boundPort))
        }
    }
}
