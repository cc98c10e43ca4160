/// app/quit (POST), version and health/get-dsready-state (GET).
///
///     POST app/quit                   {"stream": {"app_quit": 1}}   (1 or true; 0/false is 400)
///     GET  version                    {"status", "reason": "GET_VERSION_SUCCESS", "version": "..."}
///     GET  health/get-dsready-state   {"status", "reason": "GET_READY_INFO_SUCCESS",
///                                      "health-info": {"ds-ready": "YES" | "NO"}}
///
/// The health answer is 200 in both cases: it reports readiness, it does not
/// fail for lack of it.
///
/// DeepStream 9.1's probes, with and without /api/v1:
///
///     GET live      {"status", "reason": "GET_LIVE_INFO_SUCCESS", "live-info": {"ds-liveness": "YES" | "NO"}}
///     GET ready     {"status", "reason": "GET_READY_INFO_SUCCESS", "ready-info": {"ds-ready": "YES" | "NO"}}
///     GET startup   {"status", "reason": "GET_STARTUP_INFO_SUCCESS", "startup-info": {"ds-startup": "YES" | "NO"}}
///
/// live is YES while PLAYING, ready and startup while PAUSED or PLAYING. The
/// body is DeepStream's; unlike DeepStream (200 either way), a NO goes out
/// with status line 503, whatever strict-http-status says, so that
/// Kubernetes probes, which read only the status, work.
///
/// With `Accept: text/plain`, DeepStream's Prometheus gauge (`live_metrics`,
/// `ready_metrics`, `startup_metrics`; 1 or 0), always with 200: a
/// scraper records the 0 where a 503 would only fail its scrape.
enum AppRoutes {
    static func probe(_ path: String, operation: String, member: String, field: String,
                      _ pick: @escaping @Sendable (Health) -> Bool) -> Route {
        // "/live" -> live_metrics, "Live metrics from ds", ds_liveness (the field with "-" as "_").
        let name = String(path.dropFirst())
        let family = name + "_metrics", help = name.prefix(1).uppercased() + name.dropFirst() + " metrics from ds"
        let metric = field.replacing("-", with: "_")
        return Route(.get, path, operation: operation, keepsStatusLine: true) { ctx throws(ControlError) in
            let yes = pick(ctx.control.health)
            if ctx.request.wantsPrometheusText {
                return DeepStreamText.probe(family: family, help: help, metric: metric, yes: yes)
            }
            var response = RestResponse.success(operation, extra: JSONObject([
                member: .object(JSONObject([field: .string(yes ? "YES" : "NO")])),
            ]))
            if !yes { response.status = 503 }
            return response
        }
    }

    static let routes: [Route] = [
        Route(.post, "/app/quit", operation: "QUIT") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            guard try fields.bool("app_quit") else {
                throw .badRequest(field: fields.fieldName("app_quit"), detail: "must be 1 (or true) to quit")
            }
            try ctx.control.quit()
            ctx.log.info(nil, "app/quit requested")
            return .success("QUIT")
        },
        Route(.get, "/version", operation: "GET_VERSION") { _ throws(ControlError) in
            .success("GET_VERSION", extra: JSONObject(["version": .string(restAPIVersion)]))
        },
        // 9.1's reason (8.0 said GET_DS_READINESS_INFO_SUCCESS).
        Route(.get, "/health/get-dsready-state", operation: "GET_READY_INFO") { ctx throws(ControlError) in
            let ready: JSONValue = ctx.control.isReady ? "YES" : "NO"
            return .success("GET_READY_INFO",
                            extra: JSONObject(["health-info": .object(JSONObject(["ds-ready": ready]))]))
        },
        probe("/live", operation: "GET_LIVE_INFO", member: "live-info", field: "ds-liveness") { $0.live },
        probe("/ready", operation: "GET_READY_INFO", member: "ready-info", field: "ds-ready") { $0.ready },
        probe("/startup", operation: "GET_STARTUP_INFO", member: "startup-info", field: "ds-startup") { $0.ready },
    ]
}
