// libFuzzer target over the REST request parsers (RestFuzzEntry): built by
// scripts/fuzz.sh with `swiftc -sanitize=fuzzer,address` together with the
// Rest sources, not by SwiftPM.
import CGStreamer
import swiftcustomevents

/// A control that accepts everything and knows every stream id, so each input
/// goes as deep into the parsers as it can.
final class FuzzControl: StreamControl, Sendable {
    static func info(_ id: String) -> StreamInfo {
        StreamInfo(sourceId: UInt32(id) ?? 0, cameraId: id, cameraName: "", maskedUri: "file:///fuzz.mp4",
                   state: .playing, framesOut: 0, fps: 30, lastError: nil)
    }
    func addStream(_ request: AddStreamRequest) throws(ControlError) -> StreamInfo {
        if request.cameraId.hasPrefix("dup") { throw .conflict("duplicate") }
        return Self.info(request.cameraId)
    }
    func removeStream(cameraId: String, url: String?) throws(ControlError) -> StreamInfo {
        if cameraId.hasPrefix("none") { throw .notFound("none") }
        return Self.info(cameraId)
    }
    func streams() -> [StreamInfo] { [Self.info("0")] }
    func resolveStream(_ streamId: String) -> StreamInfo? { streamId.hasPrefix("x") ? nil : Self.info(streamId) }
    func pushDownstream(_ event: ControlEvent) throws(ControlError) {}
    func applySourceSetting(sourceId: UInt32, _ setting: SourceSetting) throws(ControlError) {}
    func setMuxerProperty(_ setting: MuxerSetting) throws(ControlError) {}
    func quit() throws(ControlError) {}
    var isReady: Bool { true }
}

nonisolated(unsafe) private var fuzzState: (FuzzControl, DebugCategory)? = nil

@_cdecl("LLVMFuzzerTestOneInput")
public func restFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let state: (FuzzControl, DebugCategory)
    if let s = fuzzState {
        state = s
    } else {
        gst_init(nil, nil)
        state = (FuzzControl(), DebugCategory("swiftrestfuzz", description: "REST fuzz target"))
        fuzzState = state
    }
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let (response, bytes) = RestFuzzEntry.run(input, control: state.0, log: state.1) else { return 0 }
    // What the server would answer: a real status and a serializable body.
    if !(200...599).contains(response.status) || bytes == nil {
        fatalError("RestFuzzEntry: status \(response.status), body serializable: \(bytes != nil)")
    }
    return 0
}
