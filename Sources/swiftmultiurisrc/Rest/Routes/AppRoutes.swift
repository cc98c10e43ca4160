/// app/quit (POST), version and health/get-dsready-state (GET).
///
///     POST app/quit                   {"stream": {"app_quit": 1}}   (1 or true; 0/false is 400)
///     GET  version                    {"status", "reason": "GET_VERSION_SUCCESS", "version": "..."}
///     GET  health/get-dsready-state   {"status", "reason": "GET_DS_READINESS_INFO_SUCCESS",
///                                      "health-info": {"ds-ready": "YES" | "NO"}}
///
/// The health answer is 200 in both cases: it reports readiness, it does not
/// fail for lack of it.
enum AppRoutes {
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
        Route(.get, "/health/get-dsready-state", operation: "GET_DS_READINESS_INFO") { ctx throws(ControlError) in
            let ready: JSONValue = ctx.control.isReady ? "YES" : "NO"
            return .success("GET_DS_READINESS_INFO",
                            extra: JSONObject(["health-info": .object(JSONObject(["ds-ready": ready]))]))
        },
    ]
}
