import CGStreamer
import GstSwiftBridge

@_cdecl("gsb_swift_plugin_init")
func pluginInit(_ plugin: OpaquePointer?) -> gboolean {
    return 1
}
