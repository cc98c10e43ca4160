import CGStreamer
import GstSwiftBridge
import Synchronization

/// The app's GST_DEBUG category: `GST_DEBUG=swift-multiurisrc-app:5`.
struct AppLog: @unchecked Sendable {
    // GstDebugCategory is immutable after creation but for its threshold,
    // which GStreamer updates atomically.
    let raw: UnsafeMutablePointer<GstDebugCategory>

    init() { raw = gsb_debug_category_new("swift-multiurisrc-app", 0, "swift-multiurisrc-app: config, pipeline, perf, sinks") }

    func log(_ level: GstDebugLevel, _ message: @autoclosure () -> String, line: Int = #line) {
        guard gsb_log_enabled(raw, level) != 0 else { return }
        gsb_log(raw, level, nil, "App.swift", "app", Int32(clamping: line), message())
    }
    func warning(_ m: @autoclosure () -> String, line: Int = #line) { log(GST_LEVEL_WARNING, m(), line: line) }
    func info(_ m: @autoclosure () -> String, line: Int = #line) { log(GST_LEVEL_INFO, m(), line: line) }
    func debug(_ m: @autoclosure () -> String, line: Int = #line) { log(GST_LEVEL_DEBUG, m(), line: line) }
}

/// Made after gst_init (the category registry needs it).
nonisolated(unsafe) var appLog: AppLog?

func asBin(_ e: UnsafeMutablePointer<GstElement>) -> UnsafeMutablePointer<GstBin> {
    UnsafeMutableRawPointer(e).assumingMemoryBound(to: GstBin.self)
}

func asObject<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<GstObject> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: GstObject.self)
}

func takeString(_ p: UnsafeMutablePointer<gchar>?) -> String? {
    guard let p else { return nil }
    defer { g_free(p) }
    return String(cString: p)
}

func errorText(_ error: UnsafeMutablePointer<GError>?) -> String {
    guard let error else { return "unknown error" }
    defer { g_error_free(error) }
    return error.pointee.message.map { String(cString: $0) } ?? "unknown error"
}

/// The bin's GstSwiftSourceMeta, read by name: the app links the glue's
/// own copy of the registration, which must not register the API a second
/// time beside the plugin's. 0 until the plugin has registered it.
enum SourceMeta {
    private static let api = Atomic<UInt>(0)

    static func sourceId(_ buffer: UnsafeMutablePointer<GstBuffer>) -> UInt32? {
        var type = GType(api.load(ordering: .relaxed))
        if type == 0 {
            type = g_type_from_name("GstSwiftSourceMetaAPI")
            api.store(UInt(type), ordering: .relaxed)
        }
        guard type != 0, let meta = gst_buffer_get_meta(buffer, type) else { return nil }
        return UnsafeMutableRawPointer(meta).assumingMemoryBound(to: GstSwiftSourceMeta.self).pointee.source_id
    }
}
