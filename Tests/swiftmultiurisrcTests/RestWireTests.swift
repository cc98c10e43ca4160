import Testing
@testable import swiftmultiurisrc

/// The REST hot path's shortcuts (bench P4) against the general code they
/// stand in for: same bytes on the wire, same decisions.
@Suite struct RestWireTests {
    static let infos: [StreamInfo] = [
        StreamInfo(sourceId: 0, cameraId: "0", cameraName: "0", maskedUri: "file:///tmp/a.mp4", state: .playing,
                   framesOut: 245, fps: 30.533952617181846, lastError: nil),
        StreamInfo(sourceId: 7, cameraId: "cam \"7\"", cameraName: "back\\yard\n\t\u{1}é", maskedUri: "rtsp://u:***@h/x",
                   state: .reconnecting, framesOut: UInt64.max, fps: .nan, lastError: "lost: \"timeout\"",
                   labels: ["site": "north", "b": "", "a\u{7f}": "ü\r"]),
        StreamInfo(sourceId: UInt32.max, cameraId: "", cameraName: "", maskedUri: "", state: .error, framesOut: 0,
                   fps: .infinity, lastError: "", labels: ["k": "v"]),
        StreamInfo(sourceId: 3, cameraId: "c", cameraName: "n", maskedUri: "u", state: .starting, framesOut: 1,
                   fps: 1e-05, lastError: nil),
    ]

    @Test func streamInfoBytesEqualTheSerializedTree() throws {
        for info in Self.infos {
            var direct: [UInt8] = []
            writeStreamInfo(info, to: &direct)
            #expect(direct == JSONCodec.serialize(streamInfoJSON(info)), "\(info.cameraId)")
            // Positive control: what is compared is valid JSON.
            _ = try JSONCodec.parse(direct)
        }
    }

    @Test func streamInfoAnswerEqualsTheSerializedTree() throws {
        let cases: [([StreamInfo], [StreamInfo])] = [([], []), (Array(Self.infos.prefix(1)), []),
                                                     (Self.infos, Array(Self.infos.suffix(2))), ([], Self.infos)]
        for (streams, failed) in cases {
            let tree = RestResponse.success("GET_LIVE_STREAM_INFO", extra: JSONObject(["stream-info": .object(JSONObject([
                "stream-count": .integer(Int64(streams.count)),
                "stream-info": .array(streams.map(streamInfoJSON)),
                "failed-streams": .array(failed.map(streamInfoJSON)),
            ]))]))
            let direct = streamInfoAnswerBytes(streams: streams, failed: failed)
            #expect(direct == JSONCodec.serialize(tree.body), "\(streams.count) streams, \(failed.count) failed")
            _ = try JSONCodec.parse(direct)
        }
    }

    @Test func keepAliveDecisionMatchesUnicodeLowercasing() {
        let values: [String?] = [nil, "", "close", "Close", "CLOSE", "keep-alive", "Keep-Alive", "upgrade, close",
                                 "keep-alive, close", "te", "clos", "keep-aliv", "xkeep-alivex", "\u{212A}eep-alive",
                                 "clöse", "CLOSE\u{212A}", "é close", " keep-alive "]
        for version in ["1.1", "1.0"] {
            for value in values {
                let request = RestRequest(method: "GET", path: "/", requestPath: "/", query: nil, httpVersion: version,
                                          headers: value.map { [("Connection", $0)] } ?? [], body: [], remoteAddress: "")
                let lower = value?.lowercased() ?? ""
                let expected = lower.contains("close") ? false : lower.contains("keep-alive") ? true : version == "1.1"
                #expect(ServerCore.clientKeepsAlive(request) == expected, "\(value ?? "nil") \(version)")
            }
        }
    }

    @Test func hostShortcutAcceptsOnlyWhatTheGeneralCheckAccepts() {
        let policies = [RequestPolicy(), RequestPolicy(boundAddress: "0.0.0.0"), RequestPolicy(boundAddress: "192.168.1.20"),
                        RequestPolicy(boundAddress: "")]
        let values = ["127.0.0.1", "127.0.0.1:9000", "LOCALHOST", "localhost:65535", "localhost:123456", "localhost:",
                      ":80", "", "localhost:9x", "127.0.0.1.evil", "192.168.1.20", "192.168.1.20:1", "0.0.0.0:9000",
                      "localhost:9000@evil", "[::1]", "LocalHost:1", "127.0.0.2", "localhost :9"]
        for policy in policies {
            for value in values where RequestPolicy.isLoopbackOrBound(value, policy.boundAddress) {
                #expect(policy.hostAllowedByName(value), "\(value) bound to \(policy.boundAddress)")
            }
        }
        #expect(RequestPolicy.isLoopbackOrBound("127.0.0.1:9000", "127.0.0.1"))
        #expect(RequestPolicy.isLoopbackOrBound("Localhost", "127.0.0.1"))
        #expect(!RequestPolicy.isLoopbackOrBound("", ""))
        #expect(!RequestPolicy.isLoopbackOrBound(":1", ""))
    }
}
