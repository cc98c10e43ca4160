/// GET stream/snapshot: what a client asks for and what it gets back. The
/// element encodes on request (never on the data path) from the frame it
/// keeps per stream; see Bin/SnapshotFrames.swift.
struct SnapshotRequest: Sendable, Equatable {
    /// The source, as resolved from `stream_id`.
    var sourceId: UInt32
    /// The width of the picture; nil gives the frame's. Wider than the frame
    /// gives the frame's (a thumbnail never needs upscaling, and the cost of
    /// an encode stays bounded by the frame).
    var width: Int?

    /// What `width` may be: a 16 pixel wide picture is the smallest useful
    /// thumbnail, 3840 the widest frame a camera of today sends.
    static let widthRange = 16...3840
}

struct Snapshot: Sendable, Equatable {
    /// image/jpeg bytes.
    var jpeg: [UInt8]
    var width: Int
    var height: Int
    /// The frame it was made from, in the pixels downstream sees (ROI
    /// coordinates are in these).
    var frameWidth: Int
    var frameHeight: Int
}
