import CGStreamer
import GstSwiftBridge

// Shared pieces of the C API (c-api/gst-nvcustomevent.h). The C header is not
// visible to Swift (the c-api folder stays out of the module), so the one
// struct it defines, RoiDimension, is read and written through its layout.

/// `typedef struct { gchar roi_id[128]; guint left, top, width, height; } RoiDimension;`
/// 144 bytes, 4-byte aligned, no padding. test-customevents.c checks the
/// header against these numbers with static assertions.
enum RoiDimensionLayout {
    static let roiIdCapacity = 128
    static let leftOffset = 128
    static let topOffset = 132
    static let widthOffset = 136
    static let heightOffset = 140
    static let stride = 144

    static func read(_ base: UnsafeRawPointer, index: Int) -> RoiRect {
        let item = base + index * stride
        let idBytes = item.assumingMemoryBound(to: CChar.self)
        // roi_id need not be NUL-terminated when all 128 bytes are used.
        let length = strnlen(idBytes, roiIdCapacity)
        let roiId = String(decoding: UnsafeRawBufferPointer(start: item, count: length), as: UTF8.self)
        return RoiRect(roiId: roiId,
                       left: item.loadUnaligned(fromByteOffset: leftOffset, as: UInt32.self),
                       top: item.loadUnaligned(fromByteOffset: topOffset, as: UInt32.self),
                       width: item.loadUnaligned(fromByteOffset: widthOffset, as: UInt32.self),
                       height: item.loadUnaligned(fromByteOffset: heightOffset, as: UInt32.self))
    }

    /// Writes one element; roi_id is cut to 127 bytes and NUL-terminated, as
    /// g_strlcpy does in DeepStream.
    static func write(_ roi: RoiRect, to base: UnsafeMutableRawPointer, index: Int) {
        let item = base + index * stride
        item.initializeMemory(as: UInt8.self, repeating: 0, count: roiIdCapacity)
        let bytes = Array(roi.roiId.utf8.prefix(roiIdCapacity - 1))
        bytes.withUnsafeBytes { item.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(item), byteCount: $0.count) }
        item.storeBytes(of: roi.left, toByteOffset: leftOffset, as: UInt32.self)
        item.storeBytes(of: roi.top, toByteOffset: topOffset, as: UInt32.self)
        item.storeBytes(of: roi.width, toByteOffset: widthOffset, as: UInt32.self)
        item.storeBytes(of: roi.height, toByteOffset: heightOffset, as: UInt32.self)
    }
}

/// A C string argument as Swift text; NULL reads as "", so the event keeps
/// a string field that parses.
func cText(_ p: UnsafePointer<gchar>?) -> String {
    guard let p else { return "" }
    return String(cString: p)
}

/// Stores a g_strdup'ed copy for the caller to g_free, when it asked for one.
func storeCopy(_ text: String, _ out: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?) {
    out?.pointee = g_strdup(text)
}

func store<T>(_ value: T, _ out: UnsafeMutablePointer<T>?) {
    out?.pointee = value
}

/// Parses for a C parse function: nil when the event is NULL, of another
/// type or malformed. DeepStream's parsers leave the outputs untouched then,
/// and so do ours.
func parseControl(_ event: UnsafeMutablePointer<GstEvent>?, _ type: CustomEventType) -> ControlEvent? {
    guard let event, gsb_event_type(event).rawValue == type.rawValue else { return nil }
    return ControlEvent(parsing: event)
}

func parseLifecycle(_ event: UnsafeMutablePointer<GstEvent>?, _ type: CustomEventType) -> LifecycleEvent? {
    guard let event, gsb_event_type(event).rawValue == type.rawValue else { return nil }
    return LifecycleEvent(parsing: event)
}
