import CGStreamer

/// Runs `body` on a new GLib thread named `name` (shown by gdb and top),
/// not joined by anyone; false when no thread could be made, and then `body`
/// does not run.
///
/// For work that may block for good inside GStreamer (a source stuck in a
/// read): a thread of its own is the only thing such a call can take with it.
@discardableResult
func spawnDetachedThread(named name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body))
    let thread = g_thread_try_new(name, { arg in
        guard let arg else { return nil }
        Unmanaged<Box>.fromOpaque(arg).takeRetainedValue().body()
        return nil
    }, box.toOpaque(), nil)
    guard let thread else {
        box.release()
        return false
    }
    // Nobody joins it: dropping our reference lets it free itself on exit.
    g_thread_unref(thread)
    return true
}
