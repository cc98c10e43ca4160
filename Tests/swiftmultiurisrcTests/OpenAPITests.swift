import Glibc
import Testing
@testable import swiftmultiurisrc

extension PipelineSuites {
    /// GET /api/v1/openapi.json over real HTTP from swiftmultiurisrcbin in a
    /// PLAYING pipeline: the document is served under both spellings, and it and
    /// the route table cannot drift apart (every built-in route is documented
    /// with its method, and nothing else is).
    @Suite(.serialized) struct OpenAPITests {
        let port = freeLocalPort()
        let pipeline: TestPipeline
        let http: HTTPClient

        init() throws {
            TestGst.setUp()
            pipeline = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true live-source=true "
                + "file-loop=true drop-pipeline-eos=true width=160 height=120 ! fakesink sync=false")
            http = HTTPClient(port: port)
            pipeline.play()
            let bin = pipeline.bin()
            #expect(waitUntil(ms: 5_000) { bin?.isReady == true })
        }

        /// The members of `value` when it is an object, else an empty one.
        static func members(_ value: JSONValue?) -> JSONObject {
            if case let .object(o)? = value { return o }
            return JSONObject()
        }

        func fetchDocument(_ path: String) throws -> JSONObject? {
            let response = try http.get(path)
            #expect(response.status == 200, "\(path): \(response.status)")
            #expect(response.header("Content-Type") == "application/json")
            guard case let .object(doc) = try JSONCodec.parse(response.body) else {
                Issue.record("\(path): not a JSON object")
                return nil
            }
            return doc
        }

        @Test func everyBuiltInRouteIsDocumented() throws {
            guard let doc = try fetchDocument("/api/v1/openapi.json") else { return }
            guard case let .string(version)? = doc["openapi"] else {
                Issue.record("no openapi member")
                return
            }
            #expect(version.hasPrefix("3.0."))
            let paths = Self.members(doc["paths"])
            #expect(!paths.isEmpty)

            for route in BuiltInRoutes.served {
                let item = Self.members(paths[route.path])
                let method = route.method.rawValue.lowercased()
                #expect(!item.isEmpty, "route \(route.path) is not in openapi.json")
                let operation = Self.members(item[method])
                #expect(!operation.isEmpty, "route \(route.method.rawValue) \(route.path) is not documented with its method")
                #expect(operation["operationId"] == .string(route.operation), "\(route.path): operationId")
                // Only the route's own method: every other one is 405.
                #expect(item.keys == [method], "\(route.path) documents \(item.keys)")
                let responses = Self.members(operation["responses"])
                // The console's files are served without the token: no 401.
                for code in ["200", "401", "405", "500", "503"] where code != "401" || !ConsoleRoutes.isPublic(route.path) {
                    #expect(responses[code] != nil, "\(route.path): status \(code) not documented")
                }
                if route.method == .post {
                    for code in ["400", "409", "413"] {
                        #expect(responses[code] != nil, "\(route.path): status \(code) not documented")
                    }
                    #expect(operation["requestBody"] != nil, "\(route.path): no request body")
                }
            }
            // Streaming routes (GET events): GET only, a text/event-stream.
            for route in BuiltInRoutes.streaming {
                let item = Self.members(paths[route.path])
                #expect(item.keys == ["get"], "\(route.path) documents \(item.keys)")
                let operation = Self.members(item["get"])
                #expect(operation["operationId"] == .string(route.operation), "\(route.path): operationId")
                let responses = Self.members(operation["responses"])
                for code in ["400", "401", "403", "405", "429", "500", "503"] {
                    #expect(responses[code] != nil, "\(route.path): status \(code) not documented")
                }
                let ok = Self.members(Self.members(responses["200"])["content"])
                #expect(ok.keys == ["text/event-stream"], "\(route.path): 200 is \(ok.keys)")
            }
            // Nothing documented that the server does not serve.
            let served = Set(BuiltInRoutes.served.map(\.path) + BuiltInRoutes.streaming.map(\.path))
            for path in paths.keys {
                #expect(served.contains(path), "openapi.json documents \(path), which is no built-in route")
            }
            #expect(paths.count == BuiltInRoutes.served.count + BuiltInRoutes.streaming.count)
            pipeline.stop()
        }

        @Test func servedUnderBothSpellingsAndAsBuilt() throws {
            let prefixed = try http.get("/api/v1/openapi.json")
            let bare = try http.get("/openapi.json")
            #expect(prefixed.status == 200 && bare.status == 200)
            #expect(prefixed.body == bare.body)
            #expect(prefixed.body == JSONCodec.serialize(OpenAPIDocument.document))
            // GET only: POST is 405 with Allow.
            let post = try http.post("/api/v1/openapi.json", "{}")
            #expect(post.status == 405)
            #expect(post.header("Allow") == "GET, HEAD")
            pipeline.stop()
        }
    }
}
