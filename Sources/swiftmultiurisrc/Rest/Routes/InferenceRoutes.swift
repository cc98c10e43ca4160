import swiftcustomevents

/// infer/set-interval, inferserver/set-interval, osd/process-mode,
/// nvtracker/config-path, analytics/reload-config (POST): settings of the
/// elements after the bin, sent downstream as control events.
///
///     {"stream": {"stream_id": "0", "interval": 2}}                  infer: uint 0-32, inferserver: uint
///     {"stream": {"stream_id": "0", "process_mode": 1}}              osd: 0 CPU, 1 GPU, 2 hardware
///     {"stream": {"stream_id": "0", "config_path": "/x/tracker.yml"}}  nvtracker: non-empty string
///     {"stream": {"config_file_path": "/x/analytics.txt"}}          analytics: non-empty; no stream_id
///
/// The field names are DeepStream's (nvds_rest_server): `config_path` for the
/// tracker, `config_file_path` for analytics.
enum InferenceRoutes {
    static let routes: [Route] = [
        Route(.post, "/infer/set-interval", operation: "INFER_INTERVAL_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            // 9.1 refuses more than 32 (inferserver has no bound).
            let interval = try fields.uint32("interval", in: 0...32)
            try ctx.control.pushDownstream(.inferIntervalUpdate(streamId: String(stream.sourceId), interval: interval))
            return .success("INFER_INTERVAL_UPDATE")
        },
        // nvinferserver listens to the same event as nvinfer.
        Route(.post, "/inferserver/set-interval", operation: "INFERSERVER_INTERVAL_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let interval = try fields.uint32("interval")
            try ctx.control.pushDownstream(.inferIntervalUpdate(streamId: String(stream.sourceId), interval: interval))
            return .success("INFERSERVER_INTERVAL_UPDATE")
        },
        Route(.post, "/osd/process-mode", operation: "PROCESS_MODE_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let mode = try fields.uint32("process_mode", in: 0...2)
            try ctx.control.pushDownstream(.osdProcessModeUpdate(streamId: String(stream.sourceId), processMode: mode))
            return .success("PROCESS_MODE_UPDATE")
        },
        Route(.post, "/nvtracker/config-path", operation: "NVTRACKER_CONFIG_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let path = try fields.nonEmptyString("config_path")
            try ctx.control.pushDownstream(.trackerConfigUpdate(streamId: String(stream.sourceId), configPath: path))
            return .success("NVTRACKER_CONFIG_UPDATE")
        },
        // nvdsanalytics reloads one file for every stream: stream_id is not
        // needed (and ignored when sent).
        Route(.post, "/analytics/reload-config", operation: "RELOAD_CONFIG_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let path = try fields.nonEmptyString("config_file_path")
            try ctx.control.pushDownstream(.analyticsReloadConfig(configFilePath: path))
            return .success("RELOAD_CONFIG_UPDATE")
        },
    ]
}
