import CGStreamer
import GstSwiftBridge

// The control-event half of the C API declared in c-api/gst-nvcustomevent.h,
// with DeepStream's function names and signatures. The Swift names equal the
// C symbols on purpose: these are the C API, not Swift API (Swift code uses
// ControlEvent).
//
// Creators return a new event (NULL only for invalid arguments). Parsers
// write their outputs only when the event has the right type and a
// well-formed structure; strings come back g_strdup'ed for the caller to
// g_free, the ROI array g_malloc'ed for the caller to g_free.

@_cdecl("gst_nvevent_new_roi_update")
public func gst_nvevent_new_roi_update(_ streamId: UnsafeMutablePointer<gchar>?, _ roiCount: guint,
                                       _ roiDim: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<GstEvent>? {
    var rois: [RoiRect] = []
    if roiCount > 0 {
        guard let roiDim else { return nil }
        rois = (0..<Int(roiCount)).map { RoiDimensionLayout.read(roiDim, index: $0) }
    }
    return ControlEvent.roiUpdate(streamId: cText(streamId), rois: rois).makeEvent()
}

@_cdecl("gst_nvevent_parse_roi_update")
public func gst_nvevent_parse_roi_update(_ event: UnsafeMutablePointer<GstEvent>?,
                                         _ streamId: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?,
                                         _ roiCount: UnsafeMutablePointer<guint>?,
                                         _ roiDim: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
    guard case let .roiUpdate(id, rois)? = parseControl(event, .roiUpdate) else { return }
    storeCopy(id, streamId)
    store(guint(rois.count), roiCount)
    guard let roiDim else { return }
    guard !rois.isEmpty else {
        // DeepStream's g_malloc(0) gives NULL too.
        roiDim.pointee = nil
        return
    }
    let array = g_malloc0_n(gsize(rois.count), gsize(RoiDimensionLayout.stride))
    if let array {
        for (i, roi) in rois.enumerated() {
            RoiDimensionLayout.write(roi, to: array, index: i)
        }
    }
    roiDim.pointee = array
}

@_cdecl("gst_nvevent_infer_interval_update")
public func gst_nvevent_infer_interval_update(_ streamId: UnsafeMutablePointer<gchar>?,
                                              _ interval: guint) -> UnsafeMutablePointer<GstEvent>? {
    ControlEvent.inferIntervalUpdate(streamId: cText(streamId), interval: interval).makeEvent()
}

@_cdecl("gst_nvevent_parse_infer_interval_update")
public func gst_nvevent_parse_infer_interval_update(_ event: UnsafeMutablePointer<GstEvent>?,
                                                    _ streamId: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?,
                                                    _ interval: UnsafeMutablePointer<guint>?) {
    guard case let .inferIntervalUpdate(id, value)? = parseControl(event, .inferIntervalUpdate) else { return }
    storeCopy(id, streamId)
    store(value, interval)
}

@_cdecl("gst_nvevent_osd_process_mode_update")
public func gst_nvevent_osd_process_mode_update(_ streamId: UnsafeMutablePointer<gchar>?,
                                                _ processMode: guint) -> UnsafeMutablePointer<GstEvent>? {
    ControlEvent.osdProcessModeUpdate(streamId: cText(streamId), processMode: processMode).makeEvent()
}

@_cdecl("gst_nvevent_parse_osd_process_mode_update")
public func gst_nvevent_parse_osd_process_mode_update(_ event: UnsafeMutablePointer<GstEvent>?,
                                                      _ streamId: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?,
                                                      _ processMode: UnsafeMutablePointer<guint>?) {
    guard case let .osdProcessModeUpdate(id, value)? = parseControl(event, .osdProcessModeUpdate) else { return }
    storeCopy(id, streamId)
    store(value, processMode)
}

@_cdecl("gst_nvevent_analytics_reload_config_update")
public func gst_nvevent_analytics_reload_config_update(_ configFilePath: UnsafeMutablePointer<gchar>?)
    -> UnsafeMutablePointer<GstEvent>? {
    ControlEvent.analyticsReloadConfig(configFilePath: cText(configFilePath)).makeEvent()
}

@_cdecl("gst_nvevent_parse_analytics_reload_config_update")
public func gst_nvevent_parse_analytics_reload_config_update(_ event: UnsafeMutablePointer<GstEvent>?,
                                                             _ configFilePath: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?) {
    guard case let .analyticsReloadConfig(path)? = parseControl(event, .analyticsReloadConfigUpdate) else { return }
    storeCopy(path, configFilePath)
}

@_cdecl("gst_nvevent_nvtracker_config_update")
public func gst_nvevent_nvtracker_config_update(_ streamId: UnsafeMutablePointer<gchar>?,
                                                _ configPath: UnsafeMutablePointer<gchar>?) -> UnsafeMutablePointer<GstEvent>? {
    ControlEvent.trackerConfigUpdate(streamId: cText(streamId), configPath: cText(configPath)).makeEvent()
}

@_cdecl("gst_nvevent_parse_nvtracker_config_update")
public func gst_nvevent_parse_nvtracker_config_update(_ event: UnsafeMutablePointer<GstEvent>?,
                                                      _ streamId: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?,
                                                      _ configPath: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?) {
    guard case let .trackerConfigUpdate(id, path)? = parseControl(event, .nvtrackerConfigUpdate) else { return }
    storeCopy(id, streamId)
    storeCopy(path, configPath)
}

@_cdecl("gst_nvevent_dec_drop_frame_interval_update")
public func gst_nvevent_dec_drop_frame_interval_update(_ streamId: UnsafeMutablePointer<gchar>?,
                                                       _ interval: guint) -> UnsafeMutablePointer<GstEvent>? {
    ControlEvent.decDropFrameInterval(streamId: cText(streamId), interval: interval).makeEvent()
}

@_cdecl("gst_nvevent_parse_dec_drop_frame_interval_update")
public func gst_nvevent_parse_dec_drop_frame_interval_update(_ event: UnsafeMutablePointer<GstEvent>?,
                                                             _ streamId: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?,
                                                             _ interval: UnsafeMutablePointer<guint>?) {
    guard case let .decDropFrameInterval(id, value)? = parseControl(event, .decDropFrameIntervalUpdate) else { return }
    storeCopy(id, streamId)
    store(value, interval)
}

@_cdecl("gst_nvevent_dec_skip_frame_update")
public func gst_nvevent_dec_skip_frame_update(_ streamId: UnsafeMutablePointer<gchar>?,
                                              _ frameType: guint) -> UnsafeMutablePointer<GstEvent>? {
    ControlEvent.decSkipFrame(streamId: cText(streamId), frameType: frameType).makeEvent()
}

@_cdecl("gst_nvevent_parse_dec_skip_frame_update")
public func gst_nvevent_parse_dec_skip_frame_update(_ event: UnsafeMutablePointer<GstEvent>?,
                                                    _ streamId: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?,
                                                    _ frameType: UnsafeMutablePointer<guint>?) {
    guard case let .decSkipFrame(id, value)? = parseControl(event, .decSkipFrameUpdate) else { return }
    storeCopy(id, streamId)
    store(value, frameType)
}

@_cdecl("gst_nvevent_dec_enable_low_latency_mode")
public func gst_nvevent_dec_enable_low_latency_mode(_ streamId: UnsafeMutablePointer<gchar>?,
                                                    _ enable: gint) -> UnsafeMutablePointer<GstEvent>? {
    ControlEvent.decLowLatencyMode(streamId: cText(streamId), enable: enable).makeEvent()
}

@_cdecl("gst_nvevent_parse_dec_enable_low_latency_mode")
public func gst_nvevent_parse_dec_enable_low_latency_mode(_ event: UnsafeMutablePointer<GstEvent>?,
                                                          _ streamId: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?,
                                                          _ enable: UnsafeMutablePointer<gint>?) {
    guard case let .decLowLatencyMode(id, value)? = parseControl(event, .decEnableLowLatencyMode) else { return }
    storeCopy(id, streamId)
    store(value, enable)
}

@_cdecl("gst_nvevent_enc_bitrate_update")
public func gst_nvevent_enc_bitrate_update(_ streamId: UnsafeMutablePointer<gchar>?,
                                           _ bitrate: guint) -> UnsafeMutablePointer<GstEvent>? {
    ControlEvent.encBitrate(streamId: cText(streamId), bitrate: bitrate).makeEvent()
}

@_cdecl("gst_nvevent_parse_enc_bitrate_update")
public func gst_nvevent_parse_enc_bitrate_update(_ event: UnsafeMutablePointer<GstEvent>?,
                                                 _ streamId: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?,
                                                 _ bitrate: UnsafeMutablePointer<guint>?) {
    guard case let .encBitrate(id, value)? = parseControl(event, .encBitrateUpdate) else { return }
    storeCopy(id, streamId)
    store(value, bitrate)
}

@_cdecl("gst_nvevent_enc_force_idr")
public func gst_nvevent_enc_force_idr(_ streamId: UnsafeMutablePointer<gchar>?,
                                      _ force: gint) -> UnsafeMutablePointer<GstEvent>? {
    ControlEvent.encForceIdr(streamId: cText(streamId), force: force).makeEvent()
}

@_cdecl("gst_nvevent_parse_enc_force_idr")
public func gst_nvevent_parse_enc_force_idr(_ event: UnsafeMutablePointer<GstEvent>?,
                                            _ streamId: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?,
                                            _ force: UnsafeMutablePointer<gint>?) {
    guard case let .encForceIdr(id, value)? = parseControl(event, .encForceIdr) else { return }
    storeCopy(id, streamId)
    store(value, force)
}

@_cdecl("gst_nvevent_enc_force_intra")
public func gst_nvevent_enc_force_intra(_ streamId: UnsafeMutablePointer<gchar>?,
                                        _ force: gint) -> UnsafeMutablePointer<GstEvent>? {
    ControlEvent.encForceIntra(streamId: cText(streamId), force: force).makeEvent()
}

@_cdecl("gst_nvevent_parse_enc_force_intra")
public func gst_nvevent_parse_enc_force_intra(_ event: UnsafeMutablePointer<GstEvent>?,
                                              _ streamId: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?,
                                              _ force: UnsafeMutablePointer<gint>?) {
    guard case let .encForceIntra(id, value)? = parseControl(event, .encForceIntra) else { return }
    storeCopy(id, streamId)
    store(value, force)
}

@_cdecl("gst_nvevent_enc_iframeinterval_update")
public func gst_nvevent_enc_iframeinterval_update(_ streamId: UnsafeMutablePointer<gchar>?,
                                                  _ interval: guint) -> UnsafeMutablePointer<GstEvent>? {
    ControlEvent.encIframeInterval(streamId: cText(streamId), interval: interval).makeEvent()
}

@_cdecl("gst_nvevent_parse_enc_iframeinterval_update")
public func gst_nvevent_parse_enc_iframeinterval_update(_ event: UnsafeMutablePointer<GstEvent>?,
                                                        _ streamId: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?,
                                                        _ interval: UnsafeMutablePointer<guint>?) {
    guard case let .encIframeInterval(id, value)? = parseControl(event, .encIframeIntervalUpdate) else { return }
    storeCopy(id, streamId)
    store(value, interval)
}
