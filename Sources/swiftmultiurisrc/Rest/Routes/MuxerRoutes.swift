/// mux/batched-push-timeout, mux/max-latency (POST): properties of the bin's
/// muxer (StreamControl.setMuxerProperty). No stream_id (ignored when sent).
///
///     {"stream": {"batched_push_timeout": 40000}}   int microseconds, -1 = off
///     {"stream": {"max_latency": 100000}}           uint
enum MuxerRoutes {
    static let routes: [Route] = [
        Route(.post, "/mux/batched-push-timeout", operation: "BATCHED_PUSH_TIMEOUT_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let timeout = try fields.int32("batched_push_timeout", in: -1...Int32.max)
            try ctx.control.setMuxerProperty(.batchedPushTimeout(timeout))
            return .success("BATCHED_PUSH_TIMEOUT_UPDATE")
        },
        Route(.post, "/mux/max-latency", operation: "MAX_LATENCY_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let latency = try fields.uint32("max_latency")
            try ctx.control.setMuxerProperty(.maxLatency(latency))
            return .success("MAX_LATENCY_UPDATE")
        },
    ]
}
