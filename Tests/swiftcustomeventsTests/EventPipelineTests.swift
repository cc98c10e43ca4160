import CGStreamer
import GstSwiftBridge
import Testing
import swiftcustomevents

/// Every event travels through a real pipeline, videotestsrc ! queue ! tee
/// with two queue ! fakesink branches, and arrives in both branches intact,
/// in order, with its type value and structure name unchanged.
@Suite struct EventPipelineTests {
    static let pipeline = """
        videotestsrc name=src num-buffers=4 ! video/x-raw,width=64,height=48 ! queue ! tee name=t \
        t. ! queue ! fakesink name=a sync=false \
        t. ! queue ! fakesink name=b sync=false
        """

    static let controlEvents: [ControlEvent] = [
        .roiUpdate(streamId: "0", rois: [
            RoiRect(roiId: "0", left: 100, top: 300, width: 400, height: 400),
            RoiRect(roiId: "gate", left: 0, top: 0, width: 64, height: 48),
        ]),
        .roiUpdate(streamId: "1", rois: []),
        .inferIntervalUpdate(streamId: "0", interval: 2),
        .osdProcessModeUpdate(streamId: "0", processMode: 1),
        .analyticsReloadConfig(configFilePath: "/tmp/analytics config.txt"),
        .trackerConfigUpdate(streamId: "-1", configPath: "/tmp/tracker.yml"),
        .decDropFrameInterval(streamId: "2", interval: 30),
        .decSkipFrame(streamId: "2", frameType: 1),
        .decLowLatencyMode(streamId: "2", enable: 1),
        .encBitrate(streamId: "3", bitrate: 4_000_000),
        .encForceIdr(streamId: "3", force: 1),
        .encForceIntra(streamId: "3", force: 0),
        .encIframeInterval(streamId: "3", interval: 60),
    ]

    static let lifecycleEvents: [LifecycleEvent] = [
        .padAdded(sourceId: 0),
        .padAdded(sourceId: 1),
        .streamStart(sourceId: 1, streamId: "source-1/video"),
        .streamSegment(sourceId: 1),
        .streamReset(sourceId: 1),
        .streamEos(sourceId: 1),
        .padDeleted(sourceId: 1),
    ]

    @Test func controlEventsArriveInEveryBranch() throws {
        let injected = Self.controlEvents.map(Injected.control)
        let seen = try runEventPipeline(Self.pipeline, inject: injected, atBuffer: 1, sinks: ["a", "b"]).get()
        for sink in ["a", "b"] {
            let events = seen[sink] ?? []
            #expect(events.map(\.control) == Self.controlEvents.map { Optional($0) }, "sink \(sink)")
            #expect(events.map(\.typeValue) == Self.controlEvents.map(\.type.rawValue))
            #expect(events.map(\.structureName) == Self.controlEvents.map(\.type.structureName))
        }
    }

    @Test func lifecycleEventsArriveInEveryBranch() throws {
        let injected = Self.lifecycleEvents.map(Injected.lifecycle)
        let seen = try runEventPipeline(Self.pipeline, inject: injected, atBuffer: 1, sinks: ["a", "b"]).get()
        for sink in ["a", "b"] {
            let events = seen[sink] ?? []
            #expect(events.map(\.lifecycle) == Self.lifecycleEvents.map { Optional($0) }, "sink \(sink)")
            #expect(events.map(\.typeValue) == Self.lifecycleEvents.map(\.type.rawValue))
            #expect(events.map(\.structureName)
                    == Self.lifecycleEvents.map { $0.type.structureName(sourceId: $0.sourceId) })
        }
    }
}
