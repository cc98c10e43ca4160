// The control behind both fuzz targets (RestFuzzTarget.swift, RestHTTPFuzzTarget.swift).
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
