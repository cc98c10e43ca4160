/// Which H.264 encoder a stream id gets, and how many streams fit: the
/// seed's policy (Control API v1) as a value a test can drive without a
/// pipeline. Built from what the registry holds (`available`), so the
/// decision itself is pure.
struct EncoderPolicy: Sendable, Equatable {
    /// Hardware encoders present, in the order they are tried.
    var hardware: [String]
    /// Software encoders present, in the order they are tried (the
    /// `encoders` property, filtered by what exists).
    var software: [String]
    /// Streams with a lower id use hardware, when there is any.
    var hwThreshold: UInt32
    /// Software streams at most.
    var swMax: UInt32
    /// Streams at most; 0 means hardware slots + `swMax`.
    var maxStreams: UInt32

    static let hardwareOrder = PlatformProbe.hardwareEncoderNames
    static let softwareOrder = ["x264enc", "avenc_h264", "openh264enc"]

    /// The policy for the encoders `exists` says are there. `softwareList`
    /// is the `encoders` property: factory names, comma or space separated.
    init(softwareList: String, hwThreshold: UInt32, swMax: UInt32, maxStreams: UInt32,
         exists: (String) -> Bool) {
        hardware = Self.hardwareOrder.filter(exists)
        software = Self.parseList(softwareList).filter(exists)
        self.hwThreshold = hwThreshold
        self.swMax = swMax
        self.maxStreams = maxStreams
    }

    static func parseList(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == ";" }).map(String.init)
    }

    /// No hardware encoder means no hardware slots.
    var hwMax: UInt32 { hardware.isEmpty ? 0 : hwThreshold }

    /// The total the API reports and enforces.
    var max: UInt32 {
        let slots = hwMax.addingReportingOverflow(swMax)
        let all = slots.overflow ? UInt32.max : slots.partialValue
        return maxStreams == 0 ? all : maxStreams
    }

    /// What one stream id gets: the factory to make and the seed's short name.
    struct Choice: Sendable, Equatable {
        var factory: String
        var name: String
        var hardware: Bool
    }

    func choice(for id: UInt32) -> Choice? {
        if id < hwMax, let hw = hardware.first {
            return Choice(factory: hw, name: Self.shortName(hw), hardware: true)
        }
        guard let sw = software.first else { return nil }
        return Choice(factory: sw, name: Self.shortName(sw), hardware: false)
    }

    /// Whether one more stream with id `id` fits, given the ids in use.
    func admits(id: UInt32, inUse: [UInt32]) -> Bool {
        guard UInt32(clamping: inUse.count) < max else { return false }
        if id < hwMax { return true }
        let software = inUse.filter { $0 >= hwMax }.count
        return UInt32(clamping: software) < swMax
    }

    /// The lowest id not in `inUse`: the id the bin's lowest-free allocation hands out next.
    static func lowestFree(_ inUse: [UInt32]) -> UInt32 {
        let taken = Set(inUse)
        var id: UInt32 = 0
        while taken.contains(id), id < UInt32.max { id += 1 }
        return id
    }

    /// The seed's names: "nvenc", "x264", "avenc", "openh264"; other
    /// hardware by its API.
    static func shortName(_ factory: String) -> String {
        switch factory {
        case "nvh264enc", "nvv4l2h264enc": "nvenc"
        case "vah264enc", "vaapih264enc": "vaapi"
        case "qsvh264enc": "qsv"
        case "v4l2h264enc": "v4l2"
        case "x264enc": "x264"
        case "avenc_h264": "avenc"
        case "openh264enc": "openh264"
        default: factory
        }
    }
}

/// How one encoder factory takes the settings DeepStream's enc/* events
/// carry: the property names and units differ per encoder.
enum EncoderSettings {
    /// The properties set when the encoder is made: low latency, the
    /// bitrate (bit/s), the key frame interval (frames), x264's threads.
    static func initial(factory: String, bitrate: UInt32, keyInterval: UInt32,
                        x264Threads: UInt32) -> [(name: String, value: String)] {
        switch factory {
        case "x264enc":
            return [("tune", "zerolatency"), ("speed-preset", "ultrafast"),
                    ("threads", "\(x264Threads)"), ("key-int-max", "\(keyInterval)")]
                + bitrateProperty(factory: factory, bitrate: bitrate)
        case "openh264enc":
            return [("gop-size", "\(keyInterval)"), ("complexity", "low"), ("rate-control", "bitrate")]
                + bitrateProperty(factory: factory, bitrate: bitrate)
        case "avenc_h264":
            return [("gop-size", "\(keyInterval)")] + bitrateProperty(factory: factory, bitrate: bitrate)
        case "nvh264enc":
            return [("preset", "low-latency-hq"), ("gop-size", "\(keyInterval)"), ("zerolatency", "true")]
                + bitrateProperty(factory: factory, bitrate: bitrate)
        case "vah264enc", "qsvh264enc":
            return [("key-int-max", "\(keyInterval)")] + bitrateProperty(factory: factory, bitrate: bitrate)
        case "vaapih264enc":
            return [("keyframe-period", "\(keyInterval)")] + bitrateProperty(factory: factory, bitrate: bitrate)
        default:
            return bitrateProperty(factory: factory, bitrate: bitrate)
        }
    }

    /// enc/bitrate (bit/s) in the encoder's own property and unit.
    static func bitrateProperty(factory: String, bitrate: UInt32) -> [(name: String, value: String)] {
        switch factory {
        case "x264enc", "nvh264enc", "vah264enc", "vaapih264enc", "qsvh264enc":
            // kbit/s
            return [("bitrate", "\(Swift.max(1, bitrate / 1000))")]
        case "openh264enc", "avenc_h264":
            return [("bitrate", "\(bitrate)")]
        case "nvv4l2h264enc":
            return [("bitrate", "\(bitrate)")]
        default:
            return []
        }
    }

    /// enc/iframe-interval in the encoder's own property.
    static func keyIntervalProperty(factory: String, interval: UInt32) -> [(name: String, value: String)] {
        switch factory {
        case "x264enc", "vah264enc", "qsvh264enc": [("key-int-max", "\(interval)")]
        case "openh264enc", "avenc_h264", "nvh264enc": [("gop-size", "\(interval)")]
        case "vaapih264enc": [("keyframe-period", "\(interval)")]
        case "nvv4l2h264enc": [("iframeinterval", "\(interval)")]
        default: []
        }
    }
}
