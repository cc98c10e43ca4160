import CGStreamer
import GstSwiftBridge

/// A GObject pointer that may cross threads. GObject reference counting is
/// thread-safe; what is done with the object is the holder's business.
struct ObjectRef<T>: @unchecked Sendable {
    let ptr: UnsafeMutablePointer<T>
    init(_ ptr: UnsafeMutablePointer<T>) { self.ptr = ptr }
    var raw: UnsafeMutableRawPointer { UnsafeMutableRawPointer(ptr) }
}

/// Casts between GObject instance pointers (the C macros G_OBJECT(),
/// GST_ELEMENT(), ... are plain pointer casts).
@inline(__always)
func cast<T, U>(_ p: UnsafeMutablePointer<T>, to: U.Type = U.self) -> UnsafeMutablePointer<U> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: U.self)
}

@inline(__always)
func cast<U>(_ p: UnsafeMutableRawPointer, to: U.Type = U.self) -> UnsafeMutablePointer<U> {
    p.assumingMemoryBound(to: U.self)
}

/// The Swift object behind a GObject instance registered with gsb_register_subclass.
@inline(__always)
func swiftImpl<T: AnyObject>(_ impl: gpointer?, as: T.Type = T.self) -> T? {
    guard let impl else { return nil }
    return Unmanaged<T>.fromOpaque(impl).takeUnretainedValue()
}

func swiftImpl<T: AnyObject>(ofInstance instance: UnsafeMutableRawPointer, as: T.Type = T.self) -> T? {
    swiftImpl(gsb_instance_impl(instance), as: T.self)
}

/// Takes ownership of a g_malloc'ed C string.
func takeGString(_ p: UnsafeMutablePointer<gchar>?) -> String? {
    guard let p else { return nil }
    defer { g_free(p) }
    return String(cString: p)
}

func objectName(_ object: UnsafeMutableRawPointer) -> String {
    guard let name = gsb_object_name(object) else { return "" }
    return String(cString: name)
}

/// Creates an element from a factory, or nil when the factory is missing.
func makeElement(_ factory: String, name: String? = nil) -> UnsafeMutablePointer<GstElement>? {
    gst_element_factory_make(factory, name)
}

func elementFactoryExists(_ factory: String) -> Bool {
    guard let f = gst_element_factory_find(factory) else { return false }
    gst_object_unref(UnsafeMutableRawPointer(f))
    return true
}

// MARK: - Properties

/// Describes one GObject property of an element; `install` creates the
/// GParamSpec. Strings are interned because the specs use static strings.
enum PropertySpec {
    case string(name: String, nick: String, blurb: String, defaultValue: String?)
    case uint(name: String, nick: String, blurb: String, min: UInt32, max: UInt32, defaultValue: UInt32)
    case int(name: String, nick: String, blurb: String, min: Int32, max: Int32, defaultValue: Int32)
    case uint64(name: String, nick: String, blurb: String, min: UInt64, max: UInt64, defaultValue: UInt64)
    case bool(name: String, nick: String, blurb: String, defaultValue: Bool)
    case enumeration(name: String, nick: String, blurb: String, type: GType, defaultValue: Int32)

    var name: String {
        switch self {
        case let .string(name, _, _, _), let .uint(name, _, _, _, _, _), let .int(name, _, _, _, _, _),
             let .uint64(name, _, _, _, _, _), let .bool(name, _, _, _), let .enumeration(name, _, _, _, _):
            name
        }
    }

    func paramSpec(mutablePlaying: Bool) -> UnsafeMutablePointer<GParamSpec> {
        let flags = gsb_param_flags_readwrite(mutablePlaying ? 1 : 0)
        func i(_ s: String) -> UnsafePointer<gchar> { g_intern_string(s) }
        switch self {
        case let .string(name, nick, blurb, def):
            return g_param_spec_string(i(name), i(nick), i(blurb), def.map { i($0) }, flags)
        case let .uint(name, nick, blurb, min, max, def):
            return g_param_spec_uint(i(name), i(nick), i(blurb), min, max, def, flags)
        case let .int(name, nick, blurb, min, max, def):
            return g_param_spec_int(i(name), i(nick), i(blurb), min, max, def, flags)
        case let .uint64(name, nick, blurb, min, max, def):
            return g_param_spec_uint64(i(name), i(nick), i(blurb), guint64(min), guint64(max), guint64(def), flags)
        case let .bool(name, nick, blurb, def):
            return g_param_spec_boolean(i(name), i(nick), i(blurb), def ? 1 : 0, flags)
        case let .enumeration(name, nick, blurb, type, def):
            return g_param_spec_enum(i(name), i(nick), i(blurb), type, def, flags)
        }
    }
}

/// Reads and writes GValues of the basic types the properties use.
enum GValueAccess {
    static func string(_ v: UnsafePointer<GValue>) -> String? {
        guard let s = g_value_get_string(v) else { return nil }
        return String(cString: s)
    }
    static func setString(_ v: UnsafeMutablePointer<GValue>, _ s: String?) {
        g_value_set_string(v, s)
    }
    /// An enum value as a non-negative number (every enum of this plugin
    /// has only non-negative values; the param spec rejects the others).
    static func enumValue(_ v: UnsafePointer<GValue>) -> UInt32 {
        UInt32(clamping: g_value_get_enum(v))
    }
    static func setEnum(_ v: UnsafeMutablePointer<GValue>, _ e: UInt32) {
        g_value_set_enum(v, gint(clamping: e))
    }
}

extension Bool {
    init(gboolean v: gboolean) { self = v != 0 }
    var gboolean: gboolean { self ? 1 : 0 }
}
