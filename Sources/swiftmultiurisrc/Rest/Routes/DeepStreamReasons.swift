/// DeepStream 9.1's own failure texts (../shared/reference/deepstream-9.1.md
/// §1.2), by operation, for the failures where 9.1 has one. A route's
/// failure reason starts with 9.1's text, so that clients matching it still
/// match, and our detail follows in parentheses:
///
///     ROI_UPDATE_FAIL, Unable to find stream id for ROI updation (stream.stream_id: no stream "7" ...)
///     DROP_FRAME_INTERVAL_UPDATE_FAIL, drop_frame_interval value not parsed correctly, Range: 0 - 30 (stream.drop_frame_interval: ...)
///
/// 9.1's spelling and spacing are kept, odd ones included ("updation", two
/// spaces, a trailing space). Only the status differs: 9.1 answers 500 for
/// an unknown stream, we answer 404 (in the body; also in the status line
/// with strict-http-status).
enum DeepStreamReasons {
    /// An unknown `stream_id`.
    static let notFound: [String: String] = {
        var table = [
            "ROI_UPDATE": "Unable to find stream id for ROI updation",
            "INFER_INTERVAL_UPDATE": "Unable to find stream id for infer property updation",
            "INFERSERVER_INTERVAL_UPDATE": "Unable to find stream id for infer (inferserver) property updation",
            "NVTRACKER_CONFIG_UPDATE": "Unable to find stream id for nvTracker property updation",
            "PROCESS_MODE_UPDATE": "Unable to find stream id for osd property updation",
        ]
        for operation in ["BITRATE_UPDATE", "FORCE_IDR_UPDATE", "FORCE_INTRA_UPDATE", "IFRAME_INTERVAL_UPDATE"] {
            table[operation] = "Not able to find source id"
        }
        return table
    }()

    /// A field that does not parse, by operation and the field's own name
    /// (the last part of its path).
    static let fields: [String: [String: String]] = {
        let streamId = ["stream_id": "stream_id value not parsed correctly"]
        let crop = "Use string with values of crop location to set the property. e.g. 20:20:40:50"
        return [
            "ROI_UPDATE": streamId,
            "DROP_FRAME_INTERVAL_UPDATE": ["drop_frame_interval": "drop_frame_interval value not parsed correctly, Range: 0 - 30"],
            "SKIP_FRAMES_UPDATE": ["skip_frames": "skip_frames value not parsed correctly, Range: 0-2"],
            "IFRAME_INTERVAL_UPDATE": ["iframeinterval":
                "iframeinterval value not parsed correctly, Unsigned Integer Range: 0 - 4294967295"],
            "INFER_INTERVAL_UPDATE": ["interval": "interval value not parsed correctly, Unsigned Integer. Range: 0 - 32 "],
            "SRC_CROP_UPDATE": streamId.merging(["src_crop": "src_crop value not parsed correctly,  \(crop)"]) { a, _ in a },
            "DEST_CROP_UPDATE": streamId.merging(["dest_crop": "dest_crop value not parsed correctly, \(crop)"]) { a, _ in a },
            "FLIP_METHOD_UPDATE": streamId.merging(["flip_method": "flip_method value not parsed correctly, Enum value range 0-7"]) { a, _ in a },
            "INTERPOLATION_METHOD_UPDATE": streamId.merging(
                ["interpolation_method": "interpolation_method value not parsed correctly, Enum value range 0-6"]) { a, _ in a },
            "BATCHED_PUSH_TIMEOUT_UPDATE": ["batched_push_timeout":
                "batched_push_timeout value not parsed correctly,  Range: -1 - 2147483647"],
            "STREAM_ADD": ["change": "Sensor API change string not supported"],
            "STREAM_REMOVE": ["change": "Sensor API change string not supported"],
        ]
    }()

    /// The detail of `operation`'s failure reason: 9.1's text first where
    /// it has one, then ours.
    static func detail(_ operation: String, _ error: ControlError) -> String {
        let known: String? = switch error {
        case .notFound: notFound[operation]
        case let .badRequest(field, _): fields[operation]?[fieldName(field)]
        default: nil
        }
        guard let known else { return error.detail }
        return known + (known.hasSuffix(" ") ? "" : " ") + "(\(error.detail))"
    }

    /// "stream.roi[1].left" → "left".
    static func fieldName(_ path: String) -> String {
        var name = Substring(path)
        if let dot = name.lastIndex(of: ".") { name = name[name.index(after: dot)...] }
        if let bracket = name.firstIndex(of: "[") { name = name[..<bracket] }
        return String(name)
    }
}
