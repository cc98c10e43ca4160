import CGStreamer
import GstSwiftBridge
import Glibc
import Synchronization
import Foundation
import Testing

/// Media files made at test time with real encoders (nothing binary is
/// committed). Each file is made once per process and shared.
enum TestMedia {
    private static let made = Mutex<[String: String]>([:])
    private static let generating = NSLock()
    private static let directory: String = {
        var template = Array("/tmp/swiftmultiurisrc-media-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { buf -> String in
            guard let p = mkdtemp(buf.baseAddress!) else { return "/tmp" }
            return String(cString: p)
        }
        return dir
    }()

    /// An H.264 MP4 of `frames` frames, 320x240 at 30 fps, showing
    /// videotestsrc's `pattern`. Returns a file:// URI.
    static func h264(pattern: String = "ball", frames: Int = 60, width: Int = 320, height: Int = 240) -> String {
        TestGst.setUp()
        let key = "\(pattern)-\(frames)-\(width)x\(height)"
        // Suites run in parallel: one lock over the whole generation, so no
        // test reads a file another is still writing.
        generating.lock()
        defer { generating.unlock() }
        if let uri = made.withLock({ $0[key] }) { return uri }
        let path = "\(directory)/\(key).mp4"
        let description = "videotestsrc pattern=\(pattern) num-buffers=\(frames) ! "
            + "video/x-raw,format=I420,width=\(width),height=\(height),framerate=30/1 ! "
            + "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! h264parse ! "
            + "mp4mux ! filesink location=\(path)"
        let pipeline = TestPipeline(description)
        pipeline.play()
        let end = pipeline.waitFor([GST_MESSAGE_EOS, GST_MESSAGE_ERROR], timeoutMs: 30_000)
        pipeline.stop()
        // A clip that was not made fails the test that asked for it, with the encoder's word.
        if end?.type != GST_MESSAGE_EOS {
            Issue.record("test clip \(key) not made: \(end.map { $0.text ?? "error" } ?? "no EOS within 30 s")")
        }
        let uri = "file://\(path)"
        made.withLock { $0[key] = uri }
        return uri
    }

    /// A file that is not media at all.
    static func garbage() -> String {
        TestGst.setUp()
        let path = "\(directory)/garbage.mp4"
        if let f = fopen(path, "w") {
            for i in 0..<4096 { fputc(Int32((i * 7919) & 0xff), f) }
            fclose(f)
        }
        return "file://\(path)"
    }
}
