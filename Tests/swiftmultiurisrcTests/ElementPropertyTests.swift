import CGStreamer
import GstSwiftBridge
import Glibc
import Synchronization
import Testing
@testable import swiftmultiurisrc

/// The allow list and the request parsing without a pipeline.
@Suite struct ElementPropertyParseTests {
    @Test func allowListGlobs() {
        let list = PropertyAllowList("osd.*, *.bitrate ,vb.hue,a*b*c")
        #expect(list.patterns == ["osd.*", "*.bitrate", "vb.hue", "a*b*c"])
        #expect(list.allows(element: "osd", property: "process-mode"))
        #expect(list.allows(element: "enc", property: "bitrate"))
        #expect(list.allows(element: "vb", property: "hue"))
        #expect(list.allows(element: "axxbyyb", property: "c"))
        #expect(!list.allows(element: "osdx", property: "y"))
        #expect(!list.allows(element: "enc", property: "bitrate2"))
        #expect(!list.allows(element: "vb", property: "hue2"))
        #expect(!list.allows(element: "vb", property: "saturation"))
        #expect(!list.allows(element: "axxbyyb", property: "d"))
        #expect(PropertyAllowList("*").allows(element: "any", property: "thing"))
        #expect(!PropertyAllowList("").allows(element: "any", property: "thing"))
        #expect(PropertyAllowList("").isEmpty && PropertyAllowList(" , ,").isEmpty)
        // Many stars against a long subject end (and do not match).
        let stars = String(repeating: "*a", count: 100) + "b"
        #expect(!PropertyAllowList(stars).allows(element: String(repeating: "a", count: 256), property: "a"))
    }

    @Test func namesAndValuesAsTheRouteReadsThem() throws {
        #expect(try ElementRoutes.propertyName("video_direction") == "video-direction")
        for bad in ["", "9lives", "a b", "a.b", "é", String(repeating: "a", count: 129)] {
            #expect(throws: ControlError.self, "\(bad)") { try ElementRoutes.propertyName(bad) }
        }
        #expect(throws: ControlError.self) { try ElementRoutes.elementName("") }
        #expect(throws: ControlError.self) { try ElementRoutes.elementName("a\u{0}b") }
        #expect(try ElementRoutes.parseQuery("element=a%20b&property=x+y&&property=z")
                == ["element": "a b", "property": "z"])
        for bad in ["element=%4", "element=%zz", "element=%ff"] {
            #expect(throws: ControlError.self, "\(bad)") { try ElementRoutes.parseQuery(bad) }
        }
    }
}

extension PipelineSuites {
    /// element/set-property and element/get-property over real HTTP
    /// (strict status lines) against elements downstream of a playing bin.
    @Suite(.serialized) struct ElementPropertyTests {
        let port = freeLocalPort()
        let pipeline: TestPipeline
        let recorder: PadRecorder
        let frames: FrameTally
        let http: HTTPClient

        init() throws {
            TestGst.setUp()
            let clip = TestMedia.h264(pattern: "ball", frames: 30)
            pipeline = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true "
                + "live-source=true file-loop=true width=160 height=120 uri-list=\(clip) "
                + "property-allow-list=vb.*,flip.video-direction,gate.*,id.last-message,id.silent,ghost.*,src.uri-list "
                + "! videobalance name=vb ! videoflip name=flip ! valve name=gate ! identity name=id "
                + "! appsink name=out sync=false max-buffers=4 drop=true")
            recorder = PadRecorder(pipeline.element("out")!)
            frames = FrameTally(pipeline, name: "out")
            http = HTTPClient(port: port)
            pipeline.play()
            let bin = pipeline.bin()
            #expect(waitUntil(ms: 5_000) { bin?.isReady == true })
        }

        func set(_ body: String) throws -> HTTPResponse { try http.post("/api/v1/element/set-property", body) }

        func caps(_ width: Int, _ height: Int) -> (FrameTally) -> Bool {
            { $0.lastCaps?.contains("width=(int)\(width), height=(int)\(height)") == true }
        }

        /// What the element itself holds (not what the route says).
        func directValue(_ element: String, _ property: String) throws -> String? {
            let e = try #require(pipeline.element(element))
            let pspec = try #require(gsb_object_find_property(UnsafeMutableRawPointer(e), property))
            var value = GValue()
            g_value_init(&value, pspec.pointee.value_type)
            defer { g_value_unset(&value) }
            g_object_get_property(UnsafeMutableRawPointer(e).assumingMemoryBound(to: GObject.self), property, &value)
            return takeGString(gst_value_serialize(&value))
        }

        @Test func allowedPropertiesSetReadBackAndTakeEffect() throws {
            let body = expectAnswer(try set(#"{"element":"vb","property":"saturation","value":1.5}"#),
                                    200, "ELEMENT_SET_PROPERTY_SUCCESS")
            #expect(string(body["value"]) == "1.5" && string(body["type"]) == "gdouble" && string(body["element"]) == "vb")
            #expect(try directValue("vb", "saturation") == "1.5")
            let read = expectAnswer(try http.get("/api/v1/element/get-property?element=v%62&property=saturation"),
                                    200, "ELEMENT_GET_PROPERTY_SUCCESS")
            #expect(string(read["value"]) == "1.5")

            // An enum by nick, under the '_' spelling: the frames turn.
            #expect(frames.pull(untilMs: 5_000, caps(160, 120)), "before: \(frames.lastCaps ?? "no frame")")
            let turned = expectAnswer(try set(#"{"element":"flip","property":"video_direction","value":"90r"}"#),
                                      200, "ELEMENT_SET_PROPERTY_SUCCESS")
            #expect(string(turned["property"]) == "video-direction" && string(turned["value"]) == "90r")
            #expect(string(turned["type"]) == "GstVideoOrientationMethod")
            #expect(frames.pull(untilMs: 5_000, caps(120, 160)), "after 90r: \(frames.lastCaps ?? "no frame")")
            // The same enum by number, a JSON integer.
            let back = expectAnswer(try set(#"{"element":"flip","property":"video-direction","value":0}"#),
                                    200, "ELEMENT_SET_PROPERTY_SUCCESS")
            #expect(string(back["value"]) == "identity")
            #expect(frames.pull(untilMs: 5_000, caps(160, 120)), "after identity: \(frames.lastCaps ?? "no frame")")
            // A boolean, both as JSON and as text.
            expectAnswer(try set(#"{"element":"id","property":"silent","value":false}"#), 200, "ELEMENT_SET_PROPERTY_SUCCESS")
            #expect(try directValue("id", "silent") == "false")
            expectAnswer(try set(#"{"element":"id","property":"silent","value":"true"}"#), 200, "ELEMENT_SET_PROPERTY_SUCCESS")
            #expect(try directValue("id", "silent") == "true")
            pipeline.drain()
            #expect(pipeline.errors.isEmpty)
        }

        @Test func refusalsNameWhatIsWrongAndThePipelinePlaysOn() throws {
            let before = recorder.frames(0)
            let fail = "ELEMENT_SET_PROPERTY_FAIL"
            expectAnswer(try set(#"{"element":"id","property":"sync","value":true}"#), 403, fail, mentions: ["property-allow-list"])
            // Refused before the look-up: a client off the list learns nothing of what exists.
            expectAnswer(try set(#"{"element":"nowhere","property":"x","value":1}"#), 403, fail)
            expectAnswer(try set(#"{"element":"ghost","property":"x","value":1}"#), 404, fail, mentions: ["element", "ghost"])
            expectAnswer(try set(#"{"element":"vb","property":"nosuch","value":1}"#), 400, fail, mentions: ["property", "nosuch"])
            expectAnswer(try set(#"{"element":"id","property":"last-message","value":"x"}"#), 400, fail,
                         mentions: ["property", "not writable"])
            expectAnswer(try set(#"{"element":"gate","property":"parent","value":"x"}"#), 400, fail, mentions: ["property", "reference"])
            expectAnswer(try set(#"{"element":"vb","property":"9lives","value":1}"#), 400, fail, mentions: ["property"])
            expectAnswer(try set(#"{"element":"vb","property":"saturation","value":"lots"}"#), 400, fail, mentions: ["value", "lots"])
            expectAnswer(try set(#"{"element":"vb","property":"saturation","value":7}"#), 400, fail, mentions: ["value", "outside"])
            expectAnswer(try set(#"{"element":"flip","property":"video-direction","value":"sideways"}"#), 400, fail, mentions: ["value"])
            expectAnswer(try set(#"{"element":"vb","property":"saturation","value":null}"#), 400, fail, mentions: ["value"])
            expectAnswer(try set(#"{"element":"vb","property":"saturation","value":[1]}"#), 400, fail, mentions: ["value"])
            expectAnswer(try set(#"{"property":"saturation","value":1}"#), 400, fail, mentions: ["element"])
            expectAnswer(try set(#"{"element":"","property":"saturation","value":1}"#), 400, fail, mentions: ["element"])
            expectAnswer(try set(#"{"element":"vb","property":"hue","value":0,"extra":1}"#), 400, fail, mentions: ["extra"])
            expectAnswer(try set("[1]"), 400, fail, mentions: ["body"])
            // GST_PARAM_MUTABLE_READY while PLAYING: valve's and the bin's own.
            expectAnswer(try set(#"{"element":"gate","property":"drop-mode","value":"transform-to-gap"}"#), 409, fail,
                         mentions: ["READY", "PLAYING"])
            expectAnswer(try set(#"{"element":"src","property":"uri-list","value":"file:///x"}"#), 409, fail, mentions: ["READY"])
            #expect(try directValue("gate", "drop-mode") == "drop-all")
            // The refused values were not applied.
            #expect(try directValue("vb", "saturation") == "1")

            let get = "ELEMENT_GET_PROPERTY_FAIL"
            expectAnswer(try http.get("/api/v1/element/get-property?element=vb"), 400, get, mentions: ["property"])
            expectAnswer(try http.get("/api/v1/element/get-property?element=vb&property=hue&x=1"), 400, get, mentions: ["x"])
            expectAnswer(try http.get("/api/v1/element/get-property?element=v%zz&property=hue"), 400, get, mentions: ["element"])
            expectAnswer(try http.get("/api/v1/element/get-property?element=id&property=sync"), 403, get)
            expectAnswer(try http.get("/api/v1/element/get-property?element=ghost&property=x"), 404, get)
            let message = expectAnswer(try http.get("/api/v1/element/get-property?element=id&property=last-message"),
                                       200, "ELEMENT_GET_PROPERTY_SUCCESS")
            #expect(message["value"] != nil)

            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > before + 10 }, "the stream stopped")
            pipeline.drain()
            #expect(pipeline.errors.isEmpty)
        }

        /// Two clients set the same property at once, 40 times each, with
        /// values of their own: every request is answered 200, every answer
        /// reads back one of the two values (never a torn or default one),
        /// what the element ends with is what a get then answers, and the
        /// stream plays on.
        @Test func twoClientsRacingOnOnePropertyEachGetAnHonestAnswer() throws {
            let port = self.port
            let values = ["0.25", "-0.5"]
            let outcomes = Mutex<(codes: [Int: Int], readBack: Set<String>)>(([:], []))
            let before = recorder.frames(0)
            runOnThreads(2) { client in
                let http = HTTPClient(port: port, timeoutMs: 15_000)
                for _ in 0..<40 {
                    let answer = try? http.post("/api/v1/element/set-property",
                                                #"{"element":"vb","property":"hue","value":\#(values[client])}"#)
                    let read = answer.flatMap { string(jsonObject($0)["value"]) } ?? "none"
                    outcomes.withLock { o in
                        o.codes[answer?.status ?? -1, default: 0] += 1
                        o.readBack.insert(read)
                    }
                }
            }
            let seen = outcomes.withLock { $0 }
            #expect(seen.codes == [200: 80], "\(seen.codes)")
            #expect(seen.readBack.isSubset(of: Set(values)) && !seen.readBack.isEmpty, "\(seen.readBack)")
            let final = try directValue("vb", "hue")
            #expect(final.map { values.contains($0) } == true, "\(final ?? "nil")")
            let read = expectAnswer(try http.get("/api/v1/element/get-property?element=vb&property=hue"),
                                    200, "ELEMENT_GET_PROPERTY_SUCCESS")
            #expect(string(read["value"]) == final)
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > before + 10 }, "the stream stopped")
            pipeline.drain()
            #expect(pipeline.errors.isEmpty)
        }

        /// The list is read per request: emptied while playing, every
        /// request is 403 saying so; back, the same request works.
        @Test func anEmptyAllowListRefusesEverything() throws {
            let src = try #require(pipeline.element("src"))
            gsb_object_set_string(UnsafeMutableRawPointer(src), "property-allow-list", nil)
            let request = #"{"element":"vb","property":"hue","value":0.25}"#
            expectAnswer(try set(request), 403, "ELEMENT_SET_PROPERTY_FAIL", mentions: ["property-allow-list is empty"])
            #expect(try directValue("vb", "hue") == "0")
            gsb_object_set_string(UnsafeMutableRawPointer(src), "property-allow-list", "vb.hue")
            expectAnswer(try set(request), 200, "ELEMENT_SET_PROPERTY_SUCCESS")
            #expect(try directValue("vb", "hue") == "0.25")
        }
    }
}
