/// The request parsers as one function of bytes, for the libFuzzer target
/// (Tests/Fuzz/RestFuzzTarget.swift, built by scripts/fuzz.sh). The server
/// never calls it.
///
/// The first byte picks a built-in POST route (modulo their count), the rest
/// is that route's body, run through the same `Route.respond` the server runs
/// for a request (body JSON parse, field reader, route parser, control call),
/// then serialized like an answer.
enum RestFuzzEntry {
    static let postRoutes: [Route] = BuiltInRoutes.served.filter { $0.method == .post }

    /// The answer and its bytes; nil only for an empty input.
    static func run(_ input: [UInt8], control: any StreamControl, log: DebugCategory) -> (RestResponse, [UInt8]?)? {
        guard let selector = input.first, !postRoutes.isEmpty else { return nil }
        let route = postRoutes[Int(selector) % postRoutes.count]
        let request = RestRequest(method: "POST", path: route.path, requestPath: "/api/v1" + route.path, query: nil,
                                  httpVersion: "1.1", headers: [], body: Array(input.dropFirst()),
                                  remoteAddress: "127.0.0.1")
        let response = route.respond(RouteContext(request: request, control: control, log: log))
        return (response, JSONCodec.serialize(response.body))
    }
}
