import swiftcustomevents

/// enc/bitrate, enc/force-idr, enc/force-intra, enc/iframe-interval (POST):
/// encoder settings, sent downstream as control events (an encoder after the
/// bin applies them to the stream named by stream_id).
///
///     {"stream": {"stream_id": "0", "bitrate": 4000000}}       uint, > 0
///     {"stream": {"stream_id": "0", "force_idr": true}}        bool (also 0/1)
///     {"stream": {"stream_id": "0", "force_intra": true}}      bool (also 0/1)
///     {"stream": {"stream_id": "0", "iframeinterval": 30}}     uint, at most 256
enum EncoderRoutes {
    static let routes: [Route] = [
        Route(.post, "/enc/bitrate", operation: "BITRATE_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let bitrate = try fields.uint32("bitrate", in: 1...UInt32.max)
            try ctx.control.pushDownstream(.encBitrate(streamId: String(stream.sourceId), bitrate: bitrate))
            return .success("BITRATE_UPDATE")
        },
        Route(.post, "/enc/force-idr", operation: "FORCE_IDR_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let force = try fields.bool("force_idr")
            try ctx.control.pushDownstream(.encForceIdr(streamId: String(stream.sourceId), force: force ? 1 : 0))
            return .success("FORCE_IDR_UPDATE")
        },
        Route(.post, "/enc/force-intra", operation: "FORCE_INTRA_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let force = try fields.bool("force_intra")
            try ctx.control.pushDownstream(.encForceIntra(streamId: String(stream.sourceId), force: force ? 1 : 0))
            return .success("FORCE_INTRA_UPDATE")
        },
        Route(.post, "/enc/iframe-interval", operation: "IFRAME_INTERVAL_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            // 9.1 refuses more than 256.
            let interval = try fields.uint32("iframeinterval", in: 0...256)
            try ctx.control.pushDownstream(.encIframeInterval(streamId: String(stream.sourceId), interval: interval))
            return .success("IFRAME_INTERVAL_UPDATE")
        },
    ]
}
