/// GET metrics, as DeepStream 9.1 answers it, plus families of our own in
/// the Prometheus answer.
///
///     {"status", "reason": "GET_METRICS_INFO_SUCCESS",
///      "metrics-info": {"stream-count": n,
///                       "stream-stats": [{"fps", "frame_number", "latency_ms", "sensor_id", "sensor_name", "source_id"}],
///                       "system-stats": {"GPU_gb", "RAM_gb", "cpu_util", "gpu_util"}}}
///
/// One entry per current source (DeepStream lists the sources its
/// nvdslogger has latency records of); with none the reason is
/// "GET_METRICS_INFO_SUCCESS - No data available", as there. `latency_ms`
/// is the last frame's time from the decoder's output to leaving its
/// branch; RAM_gb is the machine's memory in use (2^30 bytes), cpu_util the
/// machine's busy CPU percent since the previous scrape; GPU values are 0.
///
/// With `Accept` containing "text/plain" the answer is Prometheus text
/// (0.0.4): DeepStream's gauge families first (same family and label names,
/// `app_name="ds"` first, families without samples left out), then ours
/// under `swiftmultiurisrc_` (`OurFamilies`). The X-Refresh-Period and
/// X-OTLP-URL headers (DeepStream's OpenTelemetry export) are not served.
enum MetricsRoute {
    static let operation = "GET_METRICS_INFO"

    static let routes: [Route] = [
        Route(.get, "/metrics", operation: operation) { ctx throws(ControlError) in
            let metrics = ctx.control.metrics()
            let system = SystemStats(ramGB: Double(ProcStats.memoryInUse()) / 1_073_741_824,
                                     cpuPercent: ProcStats.cpuUtilization())
            if ctx.request.wantsPrometheusText {
                var text = PrometheusText()
                DeepStreamText.metrics(metrics, system, into: &text)
                OurFamilies.write(metrics, rest: ctx.restStats?.snapshot() ?? RestCounters(), into: &text)
                return .prometheus(text)
            }
            return json(metrics, system)
        },
    ]

    struct SystemStats {
        var ramGB: Double
        var cpuPercent: Double
    }

    static func json(_ metrics: BinMetrics, _ system: SystemStats) -> RestResponse {
        // Members in byte order, as DeepStream's jsoncpp writes them.
        let stats: [JSONValue] = metrics.streams.map { s in
            .object(JSONObject([
                "fps": .real(s.info.fps),
                "frame_number": .integer(Int64(clamping: s.info.framesOut)),
                "latency_ms": .real(s.latencyMs),
                "sensor_id": .string(s.info.cameraId),
                "sensor_name": .string(s.info.cameraName),
                "source_id": .integer(Int64(s.info.sourceId)),
            ]))
        }
        let info = JSONObject([
            "stream-count": .integer(Int64(stats.count)),
            "stream-stats": .array(stats),
            "system-stats": .object(JSONObject([
                "GPU_gb": .real(0), "RAM_gb": .real(system.ramGB),
                "cpu_util": .real(system.cpuPercent), "gpu_util": .real(0),
            ])),
        ])
        let reason = operation + (stats.isEmpty ? "_SUCCESS - No data available" : "_SUCCESS")
        return RestResponse(status: 200, body: .object(JSONObject([
            "status": .string(HTTPStatus.ok), "reason": .string(reason), "metrics-info": .object(info),
        ])))
    }
}

/// DeepStream 9.1's Prometheus families: gauges whose `metric_name` label
/// names the value, `app_name="ds"` before the other labels (alphabetical).
/// Also the text answers of stream-info, live, ready and startup.
enum DeepStreamText {
    static func gauge(_ family: String, help: String, _ samples: [([(String, String)], Double)],
                      into text: inout PrometheusText) {
        guard !samples.isEmpty else { return }
        text.family(family, .gauge, help: help)
        for (labels, value) in samples { text.sample(family, [("app_name", "ds")] + labels, value) }
    }

    static func metrics(_ metrics: BinMetrics, _ system: MetricsRoute.SystemStats, into text: inout PrometheusText) {
        func perStream(_ name: String, _ value: (StreamMetrics) -> Double) -> [([(String, String)], Double)] {
            metrics.streams.map { s in
                ([("metric_name", name), ("sensor_id", s.info.cameraId), ("sensor_name", s.info.cameraName),
                  ("source_id", String(s.info.sourceId))], value(s))
            }
        }
        gauge("fps_metrics", help: "FPS metrics from ds", perStream("stream_fps") { $0.info.fps }, into: &text)
        gauge("latency_metrics", help: "Latency metrics from ds", perStream("stream_latency_ms") { $0.latencyMs }, into: &text)
        gauge("frame_number_metrics", help: "Frame number metrics from ds",
              perStream("stream_frame_number") { Double($0.info.framesOut) }, into: &text)
        gauge("memory_metrics", help: "Memory metrics from ds",
              [([("metric_name", "system_gpu_memory_gb")], 0), ([("metric_name", "system_ram_memory_gb")], system.ramGB)],
              into: &text)
        gauge("utilization_metrics", help: "Utilization metrics from ds",
              [([("metric_name", "system_cpu_utilization")], system.cpuPercent),
               ([("metric_name", "system_gpu_utilization")], 0)], into: &text)
        gauge("stream_count", help: "Stream count from ds",
              [([("metric_name", "stream_count")], Double(metrics.streams.count))], into: &text)
    }

    /// stream-info's text answer.
    static func streamInfo(count: Int) -> RestResponse {
        var text = PrometheusText()
        gauge("total_stream_count", help: "Stream info count from ds",
              [([("metric_name", "total_stream_count")], Double(count))], into: &text)
        return .prometheus(text)
    }

    /// A probe's text answer: 200 with 1 or 0 (a scraper records a 0;
    /// a 503 would only fail the scrape).
    static func probe(family: String, help: String, metric: String, yes: Bool) -> RestResponse {
        var text = PrometheusText()
        gauge(family, help: help, [([("metric_name", metric)], yes ? 1 : 0)], into: &text)
        return .prometheus(text)
    }
}

/// Our families, under Prometheus' naming rules: the `swiftmultiurisrc_`
/// prefix, `_total` on counters, the unit in the name. Per-stream families
/// carry `source_id`, `camera_id`, `camera_name` and the stream's labels.
enum OurFamilies {
    static let prefix = "swiftmultiurisrc_"

    /// A stream's labels: ours, then stream/add's `labels` in key order,
    /// names made valid (`PrometheusText.labelName`); one that collides with
    /// ours or an earlier one gets "label_" in front, then a number.
    static func streamLabels(_ info: StreamInfo) -> [(String, String)] {
        var labels: [(String, String)] = [("source_id", String(info.sourceId)), ("camera_id", info.cameraId),
                                          ("camera_name", info.cameraName)]
        var taken: Set<String> = ["source_id", "camera_id", "camera_name", "state"]
        for (key, value) in info.labels.sorted(by: { $0.key < $1.key }) {
            var name = PrometheusText.labelName(key)
            if taken.contains(name) { name = "label_" + name }
            let base = name
            // Bounded: at most maxLabels names can be taken before this one.
            for n in 2..<(StreamRoutes.maxLabels + 6) where taken.contains(name) { name = "\(base)_\(n)" }
            guard !taken.contains(name) else { continue }
            taken.insert(name)
            labels.append((name, value))
        }
        return labels
    }

    static func write(_ metrics: BinMetrics, rest: RestCounters, into text: inout PrometheusText) {
        let streams = metrics.streams.map { ($0, PrometheusText.Labels(streamLabels($0.info))) }
        func perStream(_ name: String, _ type: PrometheusText.MetricType, help: String, _ value: (StreamMetrics) -> Double) {
            let family = prefix + name
            text.family(family, type, help: help)
            for (s, labels) in streams { text.sample(family, labels, value(s)) }
        }
        // Counters as integers: no floating-point formatting per sample.
        func perStreamCount(_ name: String, help: String, _ value: (StreamMetrics) -> UInt64) {
            let family = prefix + name
            text.family(family, .counter, help: help)
            for (s, labels) in streams { text.sample(family, labels, value(s)) }
        }
        text.family(prefix + "streams", .gauge, help: "Sources in the bin (any state)")
        text.sample(prefix + "streams", [], UInt64(metrics.streams.count))
        perStreamCount("stream_frames_in_total",
                       help: "Decoded frames that reached the source's branch, before drop-frame-interval") { $0.framesIn }
        perStreamCount("stream_frames_out_total", help: "Frames that left the source's branch for the muxer") { $0.info.framesOut }
        perStreamCount("stream_frames_dropped_total", help: "Decoded frames dropped by drop-frame-interval") { $0.framesDropped }
        perStream("stream_frames_per_second", .gauge, help: "Frames out per second over the last second") { $0.info.fps }
        perStream("stream_latency_seconds", .gauge,
                  help: "The last frame's time from the decoder's output to leaving the branch") { $0.latencyMs / 1000 }
        perStreamCount("stream_reconnects_total", help: "RTSP reconnections since the source was added") { $0.reconnects }
        let stateFamily = prefix + "stream_state"
        text.family(stateFamily, .gauge, help: "1 for the source's current state, 0 for the others")
        for (s, labels) in streams {
            for state in StreamState.allCases {
                text.sample(stateFamily, labels, extra: [("state", state.rawValue)], UInt64(s.info.state == state ? 1 : 0))
            }
        }

        text.family(prefix + "source_errors_total", .counter, help: "Sources that failed (or lost their camera), by kind")
        var kinds = FailureCause.kinds
        kinds += metrics.sourceErrors.keys.filter { !kinds.contains($0) }.sorted()
        for kind in kinds { text.sample(prefix + "source_errors_total", [("kind", kind)], metrics.sourceErrors[kind] ?? 0) }

        text.family(prefix + "events_pushed_total", .counter, help: "Events the bin pushed downstream, by type")
        for (type, count) in metrics.eventsPushed.sorted(by: { $0.key < $1.key }) {
            text.sample(prefix + "events_pushed_total", [("type", type)], count)
        }

        text.family(prefix + "rest_requests_total", .counter,
                    help: "REST answers by route and status code as sent (this scrape not counted yet)")
        let keys = rest.requests.keys.sorted { ($0.route, $0.code) < ($1.route, $1.code) }
        for key in keys {
            text.sample(prefix + "rest_requests_total", [("route", key.route), ("code", String(key.code))],
                        rest.requests[key] ?? 0)
        }
        let histogram = prefix + "rest_request_duration_seconds"
        text.family(histogram, .histogram, help: "Time from a request's headers to its answer being written, by route")
        for (route, h) in rest.latency.sorted(by: { $0.key < $1.key }) {
            let cumulative = h.cumulative
            for (i, count) in cumulative.enumerated() {
                let le = i < RestCounters.bucketBounds.count ? PrometheusText.format(RestCounters.bucketBounds[i]) : "+Inf"
                text.sample(histogram + "_bucket", [("route", route), ("le", le)], count)
            }
            text.sample(histogram + "_sum", [("route", route)], h.sum)
            text.sample(histogram + "_count", [("route", route)], h.count)
        }

        let process = ProcStats.process()
        text.family(prefix + "process_resident_memory_bytes", .gauge, help: "Resident memory of this process (VmRSS)")
        text.sample(prefix + "process_resident_memory_bytes", [], process.residentBytes)
        text.family(prefix + "process_threads", .gauge, help: "Threads of this process")
        text.sample(prefix + "process_threads", [], process.threads)
    }
}
