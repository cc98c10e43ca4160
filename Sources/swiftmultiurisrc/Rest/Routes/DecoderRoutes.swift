/// dec/drop-frame-interval, dec/skip-frames, dec/low-latency-mode (POST):
/// decoder settings of one source, applied inside the bin
/// (StreamControl.applySourceSetting).
///
///     {"stream": {"stream_id": "0", "drop_frame_interval": 2}}    0-30
///     {"stream": {"stream_id": "0", "skip_frames": 1}}            0 all, 1 non-reference, 2 key frames
///     {"stream": {"stream_id": "0", "low_latency_mode": true}}    bool (also 0/1)
enum DecoderRoutes {
    static let routes: [Route] = [
        Route(.post, "/dec/drop-frame-interval", operation: "DROP_FRAME_INTERVAL_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let interval = try fields.uint32("drop_frame_interval", in: 0...30)
            try ctx.control.applySourceSetting(sourceId: stream.sourceId, .dropFrameInterval(interval))
            return .success("DROP_FRAME_INTERVAL_UPDATE")
        },
        Route(.post, "/dec/skip-frames", operation: "SKIP_FRAMES_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let skip = try fields.uint32("skip_frames", in: 0...2)
            try ctx.control.applySourceSetting(sourceId: stream.sourceId, .skipFrames(skip))
            return .success("SKIP_FRAMES_UPDATE")
        },
        Route(.post, "/dec/low-latency-mode", operation: "LOW_LATENCY_MODE_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let enable = try fields.bool("low_latency_mode")
            try ctx.control.applySourceSetting(sourceId: stream.sourceId, .lowLatencyMode(enable))
            return .success("LOW_LATENCY_MODE_UPDATE")
        },
    ]
}
