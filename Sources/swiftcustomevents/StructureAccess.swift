import CGStreamer
import GstSwiftBridge

/// Fills the GstStructure of a new event one typed field at a time.
///
/// gst_structure_set() is variadic, which Swift cannot call; every field goes
/// through a GValue of exactly the GType DeepStream uses (G_TYPE_UINT for
/// uint fields, G_TYPE_INT for int fields, G_TYPE_STRING for strings), since
/// a DeepStream parser reading `G_TYPE_UINT` fails on any other type.
struct StructureWriter {
    private let raw: UnsafeMutablePointer<GstStructure>

    init(name: String) {
        raw = gsb_structure_new_empty(name)
    }

    func set(_ field: String, string: String) {
        var value = GValue()
        g_value_init(&value, gsb_type_string())
        g_value_set_string(&value, string)
        gst_structure_take_value(raw, field, &value)
    }

    func set(_ field: String, uint: UInt32) {
        var value = GValue()
        g_value_init(&value, gsb_type_uint())
        g_value_set_uint(&value, uint)
        gst_structure_take_value(raw, field, &value)
    }

    func set(_ field: String, int: Int32) {
        var value = GValue()
        g_value_init(&value, gsb_type_int())
        g_value_set_int(&value, int)
        gst_structure_take_value(raw, field, &value)
    }

    /// Stores a copy of the segment (GST_TYPE_SEGMENT is a boxed type).
    func set(_ field: String, segment: UnsafePointer<GstSegment>) {
        var value = GValue()
        g_value_init(&value, gsb_type_segment())
        g_value_set_boxed(&value, segment)
        gst_structure_take_value(raw, field, &value)
    }

    /// Wraps the structure in a custom event; the event owns the structure.
    func makeEvent(_ type: CustomEventType) -> UnsafeMutablePointer<GstEvent> {
        gsb_event_new_custom(GstEventType(rawValue: type.rawValue), raw)
    }
}

/// Reads typed fields of an event's structure without trusting it: every
/// getter returns nil for a missing field or one of another type.
struct StructureReader {
    private let raw: UnsafePointer<GstStructure>

    init?(event: UnsafeMutablePointer<GstEvent>) {
        guard let structure = gst_event_get_structure(event) else { return nil }
        raw = structure
    }

    var name: String {
        guard let name = gst_structure_get_name(raw) else { return "" }
        return String(cString: name)
    }

    var fieldCount: Int { Int(gst_structure_n_fields(raw)) }

    func string(_ field: String) -> String? {
        // NULL both for a missing field and for a non-string one.
        guard let value = gst_structure_get_string(raw, field) else { return nil }
        return String(cString: value)
    }

    func uint(_ field: String) -> UInt32? {
        var value: guint = 0
        return gst_structure_get_uint(raw, field, &value) != 0 ? value : nil
    }

    func int(_ field: String) -> Int32? {
        var value: gint = 0
        return gst_structure_get_int(raw, field, &value) != 0 ? value : nil
    }

    /// The segment stored in the structure; valid as long as the event is.
    func segment(_ field: String) -> UnsafePointer<GstSegment>? {
        guard let value = gst_structure_get_value(raw, field),
              value.pointee.g_type == gsb_type_segment(),
              let boxed = g_value_get_boxed(value)
        else { return nil }
        return UnsafePointer(boxed.assumingMemoryBound(to: GstSegment.self))
    }
}

/// The events module's GST_DEBUG category ("swiftcustomevents"): parsers say
/// why they rejected an event at DEBUG level.
enum EventsLog {
    private struct Category: @unchecked Sendable {
        // Immutable after creation apart from its threshold, which GStreamer
        // updates atomically.
        let raw: UnsafeMutablePointer<GstDebugCategory>
    }

    private static let category = Category(
        raw: gsb_debug_category_new("swiftcustomevents", 0,
                                    "DeepStream-compatible custom events"))

    static func debug(_ message: @autoclosure () -> String,
                      function: StaticString = #function, line: UInt = #line) {
        guard gsb_log_enabled(category.raw, GST_LEVEL_DEBUG) != 0 else { return }
        let fn = function.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
        gsb_log(category.raw, GST_LEVEL_DEBUG, nil, "swiftcustomevents", fn,
                Int32(truncatingIfNeeded: line), message())
    }
}
