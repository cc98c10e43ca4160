import CGStreamer
import GstSwiftBridge

/// GObject glue of swiftmultiurisrcbin: class metadata, properties and the
/// virtual methods, each forwarding to the Swift object.
extension MultiUriSrcBin {
    static let typeName = "GstSwiftMultiUriSrcBin"

    static func register(_ plugin: OpaquePointer?) -> Bool {
        var hooks = GsbHooks()
        hooks.class_init = { klass in
            guard let klass else { return }
            let k = cast(klass, to: GstElementClass.self)
            gst_element_class_set_static_metadata(
                k, g_intern_string("Swift multi-URI source bin"), g_intern_string("Source/Video/Bin"),
                g_intern_string("Plays many URIs (file, rtsp, http, ...) into one muxed output; an embedded REST server (DeepStream nvmultiurisrcbin API) adds and removes sources and updates ROIs and intervals while playing"),
                g_intern_string("swift-multiurisrc authors"))
            gsb_element_class_add_template(klass, "src", GST_PAD_SRC, GST_PAD_ALWAYS, "video/x-raw(ANY)")
            let modeType = MultiUriSrcBin.modeEnumType()
            for property in BinProperty.allCases {
                g_object_class_install_property(
                    cast(klass, to: GObjectClass.self), property.rawValue,
                    property.spec(modeType: modeType).paramSpec(mutablePlaying: property.mutablePlaying))
            }
        }
        hooks.instance_init = { object in
            guard let object else { return nil }
            return Unmanaged.passRetained(MultiUriSrcBin(element: cast(object, to: GstElement.self))).toOpaque()
        }
        hooks.finalize = { impl in
            guard let impl else { return }
            Unmanaged<MultiUriSrcBin>.fromOpaque(impl).release()
        }
        hooks.set_property = { impl, _, id, value, _ in
            guard let bin: MultiUriSrcBin = swiftImpl(impl), let value,
                  let property = BinProperty(rawValue: id) else { return }
            bin.setProperty(property, value)
        }
        hooks.get_property = { impl, _, id, value, _ in
            guard let bin: MultiUriSrcBin = swiftImpl(impl), let value,
                  let property = BinProperty(rawValue: id) else { return }
            bin.getProperty(property, value)
        }
        hooks.change_state = { impl, _, transition in
            guard let bin: MultiUriSrcBin = swiftImpl(impl) else { return GST_STATE_CHANGE_FAILURE }
            return bin.changeState(transition)
        }
        hooks.send_event = { impl, element, event in
            guard let event, let element else { return 0 }
            guard let bin: MultiUriSrcBin = swiftImpl(impl) else { return gsb_parent_send_event(element, event) }
            return bin.sendEvent(event).gboolean
        }
        hooks.handle_message = { impl, bin, message in
            guard let message else { return }
            guard let me: MultiUriSrcBin = swiftImpl(impl) else {
                if let bin { gsb_parent_handle_message(bin, message) }
                return
            }
            me.handleMessage(message)
        }
        let type = gsb_register_subclass(gsb_type_bin(), typeName, &hooks)
        guard type != 0 else { return false }
        return gst_element_register(plugin, "swiftmultiurisrcbin", UInt32(GST_RANK_NONE.rawValue), type) != 0
    }

    static func modeEnumType() -> GType {
        let values: [gint] = [0, 1]
        let names = ["Video", "Audio"]
        let nicks = ["video", "audio"]
        return names.withCStrings { namePtrs in
            nicks.withCStrings { nickPtrs in
                gsb_enum_register("GstSwiftMultiUriSrcBinMode", 2, values, namePtrs, nickPtrs)
            }
        }
    }

    func setProperty(_ property: BinProperty, _ value: UnsafePointer<GValue>) {
        func str() -> String { GValueAccess.string(value) ?? "" }
        settings.withLock { s in
            switch property {
            case .uriList: s.uriList = splitList(GValueAccess.string(value))
            case .sensorIdList: s.sensorIdList = splitList(GValueAccess.string(value))
            case .sensorNameList: s.sensorNameList = splitList(GValueAccess.string(value))
            case .mode: s.mode = g_value_get_enum(value)
            case .ipAddress: s.ipAddress = str().isEmpty ? "localhost" : str()
            case .port: s.port = str().isEmpty ? "9000" : str()
            case .maxBatchSize: s.maxBatchSize = g_value_get_uint(value)
            case .width: s.width = g_value_get_uint(value)
            case .height: s.height = g_value_get_uint(value)
            case .batchedPushTimeout: s.batchedPushTimeout = g_value_get_int(value)
            case .liveSource: s.liveSource = g_value_get_boolean(value) != 0
            case .dropPipelineEos: s.dropPipelineEos = g_value_get_boolean(value) != 0
            case .fileLoop: s.fileLoop = g_value_get_boolean(value) != 0
            case .rtspReconnectInterval: s.rtspReconnectInterval = g_value_get_uint(value)
            case .rtspReconnectAttempts: s.rtspReconnectAttempts = g_value_get_int(value)
            case .latency: s.latency = g_value_get_uint(value)
            case .selectRtpProtocol: s.selectRtpProtocol = g_value_get_uint(value)
            case .dropFrameInterval: s.dropFrameInterval = g_value_get_uint(value)
            case .decSkipFrames: s.decSkipFrames = g_value_get_uint(value)
            case .disablePassthrough: s.disablePassthrough = g_value_get_boolean(value) != 0
            case .configFilePath: s.configFilePath = str()
            case .lowLatencyMode: s.lowLatencyMode = g_value_get_boolean(value) != 0
            case .disableAudio: s.disableAudio = g_value_get_boolean(value) != 0
            case .gpuId: s.gpuId = g_value_get_uint(value)
            case .cudadecMemtype: s.cudadecMemtype = g_value_get_uint(value)
            case .numExtraSurfaces: s.numExtraSurfaces = g_value_get_uint(value)
            case .muxer: s.muxer = str().isEmpty ? "default" : str()
            case .sourceFactory: s.sourceFactory = str().isEmpty ? "uridecodebin3" : str()
            case .enablePadding: s.enablePadding = g_value_get_boolean(value) != 0
            case .restToken: s.restToken = str()
            case .corsOrigins: s.corsOrigins = splitList(GValueAccess.string(value)).filter { !$0.isEmpty }
            case .allowedHosts: s.allowedHosts = splitList(GValueAccess.string(value)).filter { !$0.isEmpty }
            case .allowedUriSchemes:
                s.allowedUriSchemes = splitList(GValueAccess.string(value)).filter { !$0.isEmpty }.map { $0.lowercased() }
            case .fileRoot: s.fileRoot = str()
            case .allowLinkLocal: s.allowLinkLocal = g_value_get_boolean(value) != 0
            }
        }
    }

    func getProperty(_ property: BinProperty, _ value: UnsafeMutablePointer<GValue>) {
        let s = settings.withLock { $0 }
        switch property {
        case .uriList: g_value_set_string(value, s.uriList.joined(separator: ","))
        case .sensorIdList: g_value_set_string(value, s.sensorIdList.joined(separator: ","))
        case .sensorNameList: g_value_set_string(value, s.sensorNameList.joined(separator: ","))
        case .mode: g_value_set_enum(value, s.mode)
        case .ipAddress: g_value_set_string(value, s.ipAddress)
        case .port: g_value_set_string(value, s.port)
        case .maxBatchSize: g_value_set_uint(value, s.maxBatchSize)
        case .width: g_value_set_uint(value, s.width)
        case .height: g_value_set_uint(value, s.height)
        case .batchedPushTimeout: g_value_set_int(value, s.batchedPushTimeout)
        case .liveSource: g_value_set_boolean(value, s.liveSource.gboolean)
        case .dropPipelineEos: g_value_set_boolean(value, s.dropPipelineEos.gboolean)
        case .fileLoop: g_value_set_boolean(value, s.fileLoop.gboolean)
        case .rtspReconnectInterval: g_value_set_uint(value, s.rtspReconnectInterval)
        case .rtspReconnectAttempts: g_value_set_int(value, s.rtspReconnectAttempts)
        case .latency: g_value_set_uint(value, s.latency)
        case .selectRtpProtocol: g_value_set_uint(value, s.selectRtpProtocol)
        case .dropFrameInterval: g_value_set_uint(value, s.dropFrameInterval)
        case .decSkipFrames: g_value_set_uint(value, s.decSkipFrames)
        case .disablePassthrough: g_value_set_boolean(value, s.disablePassthrough.gboolean)
        case .configFilePath: g_value_set_string(value, s.configFilePath)
        case .lowLatencyMode: g_value_set_boolean(value, s.lowLatencyMode.gboolean)
        case .disableAudio: g_value_set_boolean(value, s.disableAudio.gboolean)
        case .gpuId: g_value_set_uint(value, s.gpuId)
        case .cudadecMemtype: g_value_set_uint(value, s.cudadecMemtype)
        case .numExtraSurfaces: g_value_set_uint(value, s.numExtraSurfaces)
        case .muxer: g_value_set_string(value, s.muxer)
        case .sourceFactory: g_value_set_string(value, s.sourceFactory)
        case .enablePadding: g_value_set_boolean(value, s.enablePadding.gboolean)
        case .restToken: g_value_set_string(value, s.restToken)
        case .corsOrigins: g_value_set_string(value, s.corsOrigins.joined(separator: ","))
        case .allowedHosts: g_value_set_string(value, s.allowedHosts.joined(separator: ","))
        case .allowedUriSchemes: g_value_set_string(value, s.allowedUriSchemes.joined(separator: ","))
        case .fileRoot: g_value_set_string(value, s.fileRoot)
        case .allowLinkLocal: g_value_set_boolean(value, s.allowLinkLocal.gboolean)
        }
    }
}

extension Array where Element == String {
    /// Calls body with a C array of C strings valid for the call.
    func withCStrings<R>(_ body: (UnsafePointer<UnsafePointer<gchar>?>) -> R) -> R {
        let duplicated = map { UnsafePointer(strdup($0)) }
        defer { duplicated.forEach { free(UnsafeMutableRawPointer(mutating: $0)) } }
        return duplicated.withUnsafeBufferPointer { buf in
            body(buf.baseAddress!)
        }
    }
}
