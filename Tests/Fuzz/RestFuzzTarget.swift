// libFuzzer target "routes" over the REST request parsers (RestFuzzEntry):
// built by scripts/fuzz.sh with `swiftc -sanitize=fuzzer,address` together
// with the Rest sources, not by SwiftPM; FuzzMain.swift calls it.
import CGStreamer
import swiftcustomevents

nonisolated(unsafe) private var fuzzState: (FuzzControl, DebugCategory)? = nil

func restFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
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
