// The one libFuzzer entry point of the REST fuzz binary. Both targets live in
// one binary because building it (swiftc -O with the fuzzer and address
// sanitizers over every REST source) is most of scripts/fuzz.sh's time; the
// run picks its target with SWIFT_MULTIURISRC_FUZZ_TARGET (routes or http),
// which fuzz.sh sets. Unset or unknown is a usage error, not a silent default:
// a run that fuzzes the wrong target would still pass.
import Glibc

enum FuzzTarget: Sendable {
    case routes, http

    static let selected: FuzzTarget = {
        let name = getenv("SWIFT_MULTIURISRC_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        switch name {
        case "routes": return .routes
        case "http": return .http
        default: fatalError("set SWIFT_MULTIURISRC_FUZZ_TARGET to routes or http (got \"\(name)\")")
        }
    }()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    switch FuzzTarget.selected {
    case .routes: return restFuzzTestOneInput(data, size)
    case .http: return restHTTPFuzzTestOneInput(data, size)
    }
}
