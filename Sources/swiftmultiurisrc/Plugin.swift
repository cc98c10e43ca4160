import CGStreamer
import GstSwiftBridge

/// Entry point called by GST_PLUGIN_DEFINE (C glue): registers every element
/// of the plugin.
@_cdecl("gsb_swift_plugin_init")
func pluginInit(_ plugin: OpaquePointer?) -> gboolean {
    let ok = StreamMux.register(plugin)
        && MultiUriSrcBin.register(plugin)
        && EventElements.register(plugin)
        && StreamDemux.register(plugin)
        && RtspOutBin.register(plugin)
    return ok.gboolean
}
