/// What a DeepStream application config asks for, in terms this app can
/// build, parsed from a ConfigDocument (key-file or YAML alike). Knows
/// nothing of GStreamer: bin properties are name/value strings that the
/// runner hands to GStreamer's own deserialisation.
struct AppConfig: Equatable, Sendable {
    struct Property: Equatable, Sendable {
        var name: String
        var value: String
    }

    /// [application]
    var perfEnabled = false
    var perfIntervalSec = 5
    /// [source-list] stream-name-display: perf lines with sensor names.
    var streamNameDisplay = false
    /// Properties of swiftmultiurisrcbin, in the order DeepStream applies
    /// its groups: [source-attr-all], [source-list], [streammux], [tests].
    var binProperties: [Property] = []
    /// Size the mux scales each source to ([streammux] width/height).
    var muxWidth = 0
    var muxHeight = 0
    /// [tiled-display] when enabled.
    var tiler: Tiler?
    /// [osd] when enabled.
    var osd: Osd?
    /// Enabled [primary-gie], [tracker], [secondary-gie*], ... in pipeline order.
    var stages: [Stage] = []
    /// Enabled [sinkN] this app can build, in N order.
    var sinks: [Sink] = []
    /// Everything that is read but not acted on, one per cause.
    var warnings: [ConfigWarning] = []

    struct Tiler: Equatable, Sendable {
        var rows = 1
        var columns = 1
        var width = 1280
        var height = 720
        var tileWidth: Int { max(1, width / max(1, columns)) }
        var tileHeight: Int { max(1, height / max(1, rows)) }
    }

    struct Osd: Equatable, Sendable {
        var textSize = 15
        var font = "Sans"
        var textColor = RGBA(r: 1, g: 1, b: 1, a: 1)
        var textBackground = RGBA(r: 0.3, g: 0.3, b: 0.3, a: 1)
        var borderWidth = 1
        var displayText = true
        var displayBbox = true
        var showClock = false
        var clockX = 0
        var clockY = 0
        var clockTextSize = 12
        var clockColor = RGBA(r: 1, g: 0, b: 0, a: 1)
    }

    /// An inference-like stage: the user's element (`gst-element`, a
    /// gst-launch fragment) or swiftinferinterval standing in for nvinfer.
    struct Stage: Equatable, Sendable {
        var group: String
        /// gst-launch description of the element(s).
        var launch: String
    }

    struct Sink: Equatable, Sendable {
        enum Kind: Equatable, Sendable {
            case fake
            case display
            case file(Encoding, container: Container, path: String)
            case rtsp(Encoding, rtspPort: Int, udpPort: Int, udpBufferSize: Int)
        }
        enum Container: Int, Equatable, Sendable { case mp4 = 1, mkv = 2 }
        enum Codec: Int, Equatable, Sendable { case h264 = 1, h265 = 2, mpeg4 = 3 }
        struct Encoding: Equatable, Sendable {
            var codec: Codec = .h264
            /// bit/s, as DeepStream writes it.
            var bitrate = 4_000_000
            /// 0 = the encoder's default.
            var iframeInterval = 0
        }
        var group: String
        var sync: Bool
        var kind: Kind
    }
}
