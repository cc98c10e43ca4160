import CGStreamer
import CGstRtspServer
import GstSwiftBridge
import Glibc

/// A real RTSP camera on 127.0.0.1, served by gst-rtsp-server from this test
/// process: videotestsrc → H.264 → RTP, at rtsp://127.0.0.1:<port>/cam.
/// `stop()` kills it (clients cut, port closed); `start()` brings it back on
/// the same port. gst-rtsp-server needs a running main context: the camera
/// owns one, on a thread of its own.
final class TestRtspCamera: @unchecked Sendable {
    let port: UInt16
    var uri: String { "rtsp://127.0.0.1:\(port)/cam" }

    private let context: OpaquePointer
    private let loop: OpaquePointer
    private var thread = pthread_t()
    private var server: UnsafeMutablePointer<GstRTSPServer>?
    private var source: UnsafeMutablePointer<GSource>?

    init(port: UInt16) {
        TestGst.setUp()
        self.port = port
        context = g_main_context_new()
        loop = g_main_loop_new(context, 0)
        // Unretained: deinit quits the loop and joins the thread before the
        // object goes away.
        let contextAndLoop = UnsafeMutablePointer<OpaquePointer>.allocate(capacity: 2)
        contextAndLoop[0] = context
        contextAndLoop[1] = loop
        pthread_create(&thread, nil, { arg in
            guard let arg else { return nil }
            let pair = arg.assumingMemoryBound(to: OpaquePointer.self)
            let (context, loop) = (pair[0], pair[1])
            pair.deallocate()
            g_main_context_push_thread_default(context)
            g_main_loop_run(loop)
            g_main_context_pop_thread_default(context)
            return nil
        }, contextAndLoop)
    }

    /// Serves the camera; false when the port could not be bound.
    @discardableResult
    func start() -> Bool {
        guard server == nil, let server = gst_rtsp_server_new() else { return false }
        gst_rtsp_server_set_address(server, "127.0.0.1")
        gst_rtsp_server_set_service(server, "\(port)")
        let factory = gst_rtsp_media_factory_new()
        gst_rtsp_media_factory_set_launch(factory,
            "( videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
            + "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! rtph264pay name=pay0 pt=96 )")
        gst_rtsp_media_factory_set_shared(factory, 1)
        let mounts = gst_rtsp_server_get_mount_points(server)
        gst_rtsp_mount_points_add_factory(mounts, "/cam", factory)
        g_object_unref(UnsafeMutableRawPointer(mounts))
        var error: UnsafeMutablePointer<GError>?
        guard let source = gst_rtsp_server_create_source(server, nil, &error) else {
            if let error { g_error_free(error) }
            g_object_unref(UnsafeMutableRawPointer(server))
            return false
        }
        g_source_attach(source, context)
        self.server = server
        self.source = source
        return true
    }

    /// Cuts every client and closes the port, like a camera losing power.
    func stop() {
        guard let server, let source else { return }
        gst_rtsp_server_client_filter(server, { _, _, _ in GST_RTSP_FILTER_REMOVE }, nil)
        g_source_destroy(source)
        g_source_unref(source)
        g_object_unref(UnsafeMutableRawPointer(server))
        self.server = nil
        self.source = nil
    }

    deinit {
        stop()
        g_main_loop_quit(loop)
        pthread_join(thread, nil)
        g_main_loop_unref(loop)
        g_main_context_unref(context)
    }
}
