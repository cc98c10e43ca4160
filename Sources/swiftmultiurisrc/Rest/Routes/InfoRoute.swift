import Glibc

/// GET info (ours; DeepStream has no such route): what this instance is and
/// runs on, for operators and fleet tools.
///
///     {"status", "reason": "GET_INFO_SUCCESS",
///      "info": {"version", "gstreamer", "uptime_s",
///               "host": {"cpu_model", "cores", "memory_bytes"},
///               "decoders": [...], "hardware_encoders": [...],
///               "server": {"address", "port", "tls", "token", "cors_origins", "strict_http_status"},
///               "state_file": null or {"sensors", "last_write_error"}}}
///
/// `token` says whether one is required, never what it is. `state_file`
/// never names the file (it holds camera URLs).
enum InfoRoute {
    static let routes: [Route] = [
        Route(.get, "/info", operation: "GET_INFO") { ctx throws(ControlError) in
            let platform = ctx.control.platform
            let server = ctx.server
            let info = JSONObject([
                "version": .string(restAPIVersion),
                "gstreamer": .string(platform.gstreamer),
                "uptime_s": .integer(max(0, (monotonicMs() - server.startedAtMs) / 1000)),
                "host": .object(HostFacts.current.json),
                "decoders": .array(platform.decoders.map { .string($0) }),
                "hardware_encoders": .array(platform.hardwareEncoders.map { .string($0) }),
                "server": .object(JSONObject([
                    "address": .string(server.address),
                    "port": .integer(Int64(server.port)),
                    "tls": .bool(server.tls),
                    "token": .bool(server.tokenRequired),
                    "cors_origins": .array(server.corsOrigins.map { .string($0) }),
                    "strict_http_status": .bool(server.strictHttpStatus),
                ])),
                "state_file": ctx.control.stateFileStatus.map { status in
                    .object(JSONObject([
                        "sensors": .integer(Int64(status.sensors)),
                        "last_write_error": status.lastWriteError.map { .string($0) } ?? .null,
                    ]))
                } ?? .null,
            ])
            return .success("GET_INFO", extra: JSONObject(["info": .object(info)]))
        },
    ]
}

/// What the REST server knows of itself, handed to routes per request.
struct ServerFacts: Sendable, Equatable {
    var address = ""
    var port: UInt16 = 0
    var tokenRequired = false
    var corsOrigins: [String] = []
    var strictHttpStatus = false
    var tls = false
    var startedAtMs: Int64 = monotonicMs()
}

/// The machine, read once per process: it does not change while we run.
struct HostFacts: Sendable {
    var cpuModel: String
    var cores: Int
    var memoryBytes: Int64

    static let current: HostFacts = {
        var model = ""
        // The first "model name" line, at most 4096 lines in.
        if let text = ProcStats.firstLine("/proc/cpuinfo", maxLines: 4096, where: { $0.hasPrefix("model name") }),
           let colon = text.firstIndex(of: ":") {
            // fgets keeps the line's end.
            model = restTrimmed(String(text[text.index(after: colon)...].prefix { $0 != "\n" }))
        }
        let pages = Int64(sysconf(Int32(_SC_PHYS_PAGES))), pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))
        return HostFacts(cpuModel: model, cores: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))),
                         memoryBytes: pages > 0 && pageSize > 0 ? pages * pageSize : 0)
    }()

    var json: JSONObject {
        JSONObject([
            "cpu_model": .string(cpuModel),
            "cores": .integer(Int64(cores)),
            "memory_bytes": .integer(memoryBytes),
        ])
    }
}
