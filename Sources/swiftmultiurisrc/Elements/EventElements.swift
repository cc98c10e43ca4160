import CGStreamer

/// Registers the elements that act on the custom events (filled in by the
/// swiftcustomevents issue).
enum EventElements {
    static func register(_ plugin: OpaquePointer?) -> Bool { true }
}
