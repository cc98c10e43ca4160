import CGStreamer
import GstSwiftBridge

/// A named GST_DEBUG category. Every log line of the plugin goes through one,
/// so `GST_DEBUG=swiftmultiurisrcbin:6` shows exactly what the bin does.
struct DebugCategory: @unchecked Sendable {
    // GstDebugCategory is immutable after creation apart from its threshold,
    // which GStreamer updates atomically: sharing the pointer is safe.
    let raw: UnsafeMutablePointer<GstDebugCategory>

    init(_ name: String, description: String) {
        raw = gsb_debug_category_new(name, 0, description)
    }

    func log(_ level: GstDebugLevel, _ object: UnsafeMutableRawPointer?,
             _ message: @autoclosure () -> String,
             file: StaticString, function: StaticString, line: UInt) {
        guard gsb_log_enabled(raw, level) != 0 else { return }
        let text = message()
        file.withUTF8Buffer { fileBuf in
            function.withUTF8Buffer { funcBuf in
                // StaticString buffers are NUL-terminated in practice but not
                // promised; copy into C strings to be safe.
                let f = String(decoding: fileBuf, as: UTF8.self)
                let fn = String(decoding: funcBuf, as: UTF8.self)
                gsb_log(raw, level, object?.assumingMemoryBound(to: GObject.self),
                        f, fn, Int32(truncatingIfNeeded: line), text)
            }
        }
    }

    func error(_ object: UnsafeMutableRawPointer? = nil, _ message: @autoclosure () -> String,
               file: StaticString = #fileID, function: StaticString = #function, line: UInt = #line) {
        log(GST_LEVEL_ERROR, object, message(), file: file, function: function, line: line)
    }
    func warning(_ object: UnsafeMutableRawPointer? = nil, _ message: @autoclosure () -> String,
                 file: StaticString = #fileID, function: StaticString = #function, line: UInt = #line) {
        log(GST_LEVEL_WARNING, object, message(), file: file, function: function, line: line)
    }
    func info(_ object: UnsafeMutableRawPointer? = nil, _ message: @autoclosure () -> String,
              file: StaticString = #fileID, function: StaticString = #function, line: UInt = #line) {
        log(GST_LEVEL_INFO, object, message(), file: file, function: function, line: line)
    }
    func debug(_ object: UnsafeMutableRawPointer? = nil, _ message: @autoclosure () -> String,
               file: StaticString = #fileID, function: StaticString = #function, line: UInt = #line) {
        log(GST_LEVEL_DEBUG, object, message(), file: file, function: function, line: line)
    }
    func trace(_ object: UnsafeMutableRawPointer? = nil, _ message: @autoclosure () -> String,
               file: StaticString = #fileID, function: StaticString = #function, line: UInt = #line) {
        log(GST_LEVEL_TRACE, object, message(), file: file, function: function, line: line)
    }
}
