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
            for property in BinProperty.allCases {
                g_object_class_install_property(
                    cast(klass, to: GObjectClass.self), property.rawValue,
                    property.spec.paramSpec(mutablePlaying: property.mutablePlaying))
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
        hooks.set_property = { impl, _, id, value, pspec in
            guard let bin: MultiUriSrcBin = swiftImpl(impl), let value,
                  let property = BinProperty(rawValue: id) else { return }
            bin.setProperty(property, value)
            if let pspec { bin.warnIfWithoutEffect(property, value, pspec) }
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

    /// One warning per property and element, the first time a property
    /// that does nothing here is set to a value other than its default.
    func warnIfWithoutEffect(_ property: BinProperty, _ value: UnsafePointer<GValue>,
                             _ pspec: UnsafeMutablePointer<GParamSpec>) {
        guard let limitation = property.limitation,
              g_param_value_defaults(pspec, UnsafeMutablePointer(mutating: value)) == 0,
              warnedProperties.withLock({ $0.insert(property).inserted }) else { return }
        let text = takeGString(g_strdup_value_contents(value)) ?? "?"
        binLog.warning(element.raw, "\(property.name)=\(text): \(limitation)")
    }

    func setProperty(_ property: BinProperty, _ value: UnsafePointer<GValue>) {
        func str() -> String { GValueAccess.string(value) ?? "" }
        func bool() -> Bool { g_value_get_boolean(value) != 0 }
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
            case .selectRtpProtocol: s.selectRtpProtocol = GValueAccess.enumValue(value)
            case .dropFrameInterval: s.dropFrameInterval = g_value_get_uint(value)
            case .decSkipFrames: s.decSkipFrames = GValueAccess.enumValue(value)
            case .disablePassthrough: s.disablePassthrough = g_value_get_boolean(value) != 0
            case .configFilePath: s.configFilePath = str()
            case .lowLatencyMode: s.lowLatencyMode = g_value_get_boolean(value) != 0
            case .disableAudio: s.disableAudio = g_value_get_boolean(value) != 0
            case .gpuId: s.gpuId = g_value_get_uint(value)
            case .cudadecMemtype: s.cudadecMemtype = GValueAccess.enumValue(value)
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
            case .strictHttpStatus: s.strictHttpStatus = g_value_get_boolean(value) != 0
            case .eventsMaxClients: s.eventsMaxClients = g_value_get_uint(value)
            case .eventsQueueSize: s.eventsQueueSize = g_value_get_uint(value)
            case .sourceIdAllocation: s.sourceIdAllocation = g_value_get_enum(value)
            case .udpBufferSize: s.deepStream.udpBufferSize = g_value_get_uint(value)
            case .dropOnLatency: s.deepStream.dropOnLatency = bool()
            case .bufferMode: s.deepStream.bufferMode = GValueAccess.enumValue(value)
            case .initRtspReconnectInterval: s.deepStream.initRtspReconnectInterval = g_value_get_uint(value)
            case .leaky: s.deepStream.leaky = GValueAccess.enumValue(value)
            case .maxSizeBuffers: s.deepStream.maxSizeBuffers = g_value_get_uint(value)
            case .seiUuid: s.deepStream.seiUuid = GValueAccess.string(value)
            case .extractSeiType5DataDec: s.deepStream.extractSeiType5DataDec = bool()
            case .smartRecord: s.deepStream.smartRecord = GValueAccess.enumValue(value)
            case .smartRecContainer: s.deepStream.smartRecContainer = GValueAccess.enumValue(value)
            case .smartRecMode: s.deepStream.smartRecMode = GValueAccess.enumValue(value)
            case .smartRecDirPath: s.deepStream.smartRecDirPath = GValueAccess.string(value)
            case .smartRecFilePrefix: s.deepStream.smartRecFilePrefix = GValueAccess.string(value)
            case .smartRecVideoCache: s.deepStream.smartRecVideoCache = g_value_get_uint(value)
            case .smartRecCache: s.deepStream.smartRecCache = g_value_get_uint(value)
            case .smartRecDefaultDuration: s.deepStream.smartRecDefaultDuration = g_value_get_uint(value)
            case .ipcBufferTimestampCopy: s.deepStream.ipcBufferTimestampCopy = bool()
            case .ipcSocketPath: s.deepStream.ipcSocketPath = GValueAccess.string(value)
            case .ipcConnectionAttempts: s.deepStream.ipcConnectionAttempts = g_value_get_int(value)
            case .ipcConnectionInterval: s.deepStream.ipcConnectionInterval = UInt64(g_value_get_uint64(value))
            case .sensorIdPadIdMapping: s.deepStream.sensorIdPadIdMapping = bool()
            case .enableErrorPropagation: s.deepStream.enableErrorPropagation = bool()
            case .protoLib: s.deepStream.protoLib = GValueAccess.string(value)
            case .connStr: s.deepStream.connStr = GValueAccess.string(value)
            case .topic: s.deepStream.topic = GValueAccess.string(value)
            case .simulateFpsIntervalMs: s.deepStream.simulateFpsIntervalMs = g_value_get_uint(value)
            case .numSurfacesPerFrame: s.deepStream.numSurfacesPerFrame = g_value_get_uint(value)
            case .syncInputs: s.deepStream.syncInputs = bool()
            case .bufferPoolSize: s.deepStream.bufferPoolSize = g_value_get_uint(value)
            case .maxLatency: s.deepStream.maxLatency = g_value_get_uint(value)
            case .attachSysTs: s.deepStream.attachSysTs = bool()
            case .nvbufMemoryType: s.deepStream.nvbufMemoryType = GValueAccess.enumValue(value)
            case .computeHw: s.deepStream.computeHw = GValueAccess.enumValue(value)
            case .interpolationMethod: s.deepStream.interpolationMethod = GValueAccess.enumValue(value)
            case .frameNumResetOnEos: s.deepStream.frameNumResetOnEos = bool()
            case .frameNumResetOnStreamReset: s.deepStream.frameNumResetOnStreamReset = bool()
            case .frameDuration: s.deepStream.frameDuration = g_value_get_int(value)
            case .asyncProcess: s.deepStream.asyncProcess = bool()
            case .extractSeiType5Data: s.deepStream.extractSeiType5Data = bool()
            case .sortBatch: s.deepStream.sortBatch = bool()
            case .cacheBuffer: s.deepStream.cacheBuffer = bool()
            case .cacheBufferTimeout: s.deepStream.cacheBufferTimeout = g_value_get_int(value)
            case .extractSeiSimTime: s.deepStream.extractSeiSimTime = bool()
            case .alignFirstBuffer: s.deepStream.alignFirstBuffer = bool()
            case .syncInputsNtp: s.deepStream.syncInputsNtp = g_value_get_int(value)
            case .dropBackwardSei: s.deepStream.dropBackwardSei = bool()
            case .tlsCertificate: s.tlsCertificate = str()
            case .stateFile: s.stateFile = str()
            case .propertyAllowList: s.propertyAllowList = PropertyAllowList(str())
            }
        }
    }

    func getProperty(_ property: BinProperty, _ value: UnsafeMutablePointer<GValue>) {
        let s = settings.withLock { $0 }
        let d = s.deepStream
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
        case .selectRtpProtocol: GValueAccess.setEnum(value, s.selectRtpProtocol)
        case .dropFrameInterval: g_value_set_uint(value, s.dropFrameInterval)
        case .decSkipFrames: GValueAccess.setEnum(value, s.decSkipFrames)
        case .disablePassthrough: g_value_set_boolean(value, s.disablePassthrough.gboolean)
        case .configFilePath: g_value_set_string(value, s.configFilePath)
        case .lowLatencyMode: g_value_set_boolean(value, s.lowLatencyMode.gboolean)
        case .disableAudio: g_value_set_boolean(value, s.disableAudio.gboolean)
        case .gpuId: g_value_set_uint(value, s.gpuId)
        case .cudadecMemtype: GValueAccess.setEnum(value, s.cudadecMemtype)
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
        case .strictHttpStatus: g_value_set_boolean(value, s.strictHttpStatus.gboolean)
        case .eventsMaxClients: g_value_set_uint(value, s.eventsMaxClients)
        case .eventsQueueSize: g_value_set_uint(value, s.eventsQueueSize)
        case .sourceIdAllocation: g_value_set_enum(value, s.sourceIdAllocation)
        case .udpBufferSize: g_value_set_uint(value, d.udpBufferSize)
        case .dropOnLatency: g_value_set_boolean(value, d.dropOnLatency.gboolean)
        case .bufferMode: GValueAccess.setEnum(value, d.bufferMode)
        case .initRtspReconnectInterval: g_value_set_uint(value, d.initRtspReconnectInterval)
        case .leaky: GValueAccess.setEnum(value, d.leaky)
        case .maxSizeBuffers: g_value_set_uint(value, d.maxSizeBuffers)
        case .seiUuid: g_value_set_string(value, d.seiUuid)
        case .extractSeiType5DataDec: g_value_set_boolean(value, d.extractSeiType5DataDec.gboolean)
        case .smartRecord: GValueAccess.setEnum(value, d.smartRecord)
        case .smartRecContainer: GValueAccess.setEnum(value, d.smartRecContainer)
        case .smartRecMode: GValueAccess.setEnum(value, d.smartRecMode)
        case .smartRecDirPath: g_value_set_string(value, d.smartRecDirPath)
        case .smartRecFilePrefix: g_value_set_string(value, d.smartRecFilePrefix)
        case .smartRecVideoCache: g_value_set_uint(value, d.smartRecVideoCache)
        case .smartRecCache: g_value_set_uint(value, d.smartRecCache)
        case .smartRecDefaultDuration: g_value_set_uint(value, d.smartRecDefaultDuration)
        case .ipcBufferTimestampCopy: g_value_set_boolean(value, d.ipcBufferTimestampCopy.gboolean)
        case .ipcSocketPath: g_value_set_string(value, d.ipcSocketPath)
        case .ipcConnectionAttempts: g_value_set_int(value, d.ipcConnectionAttempts)
        case .ipcConnectionInterval: g_value_set_uint64(value, guint64(d.ipcConnectionInterval))
        case .sensorIdPadIdMapping: g_value_set_boolean(value, d.sensorIdPadIdMapping.gboolean)
        case .enableErrorPropagation: g_value_set_boolean(value, d.enableErrorPropagation.gboolean)
        case .protoLib: g_value_set_string(value, d.protoLib)
        case .connStr: g_value_set_string(value, d.connStr)
        case .topic: g_value_set_string(value, d.topic)
        case .simulateFpsIntervalMs: g_value_set_uint(value, d.simulateFpsIntervalMs)
        case .numSurfacesPerFrame: g_value_set_uint(value, d.numSurfacesPerFrame)
        case .syncInputs: g_value_set_boolean(value, d.syncInputs.gboolean)
        case .bufferPoolSize: g_value_set_uint(value, d.bufferPoolSize)
        case .maxLatency: g_value_set_uint(value, d.maxLatency)
        case .attachSysTs: g_value_set_boolean(value, d.attachSysTs.gboolean)
        case .nvbufMemoryType: GValueAccess.setEnum(value, d.nvbufMemoryType)
        case .computeHw: GValueAccess.setEnum(value, d.computeHw)
        case .interpolationMethod: GValueAccess.setEnum(value, d.interpolationMethod)
        case .frameNumResetOnEos: g_value_set_boolean(value, d.frameNumResetOnEos.gboolean)
        case .frameNumResetOnStreamReset: g_value_set_boolean(value, d.frameNumResetOnStreamReset.gboolean)
        case .frameDuration: g_value_set_int(value, d.frameDuration)
        case .asyncProcess: g_value_set_boolean(value, d.asyncProcess.gboolean)
        case .extractSeiType5Data: g_value_set_boolean(value, d.extractSeiType5Data.gboolean)
        case .sortBatch: g_value_set_boolean(value, d.sortBatch.gboolean)
        case .cacheBuffer: g_value_set_boolean(value, d.cacheBuffer.gboolean)
        case .cacheBufferTimeout: g_value_set_int(value, d.cacheBufferTimeout)
        case .extractSeiSimTime: g_value_set_boolean(value, d.extractSeiSimTime.gboolean)
        case .alignFirstBuffer: g_value_set_boolean(value, d.alignFirstBuffer.gboolean)
        case .syncInputsNtp: g_value_set_int(value, d.syncInputsNtp)
        case .dropBackwardSei: g_value_set_boolean(value, d.dropBackwardSei.gboolean)
        case .tlsCertificate: g_value_set_string(value, s.tlsCertificate)
        // NULL when unset, as declared.
        case .stateFile: g_value_set_string(value, s.stateFile.isEmpty ? nil : s.stateFile)
        case .propertyAllowList:
            g_value_set_string(value, s.propertyAllowList.isEmpty ? nil : s.propertyAllowList.description)
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
