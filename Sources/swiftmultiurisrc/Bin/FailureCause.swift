/// Why a source failed, in words a client can act on, read from what
/// GStreamer's elements said (their message text and debug string).
/// GStreamer's own texts are generic ("Could not open resource for reading
/// and writing." for a refused RTSP connection); the cause comes first, the
/// element's text after it.
enum FailureCause {
    /// (needles in text or debug, lowercased; the cause). First match wins,
    /// most specific first.
    static let causes: [([String], String)] = [
        (["401", "unauthorized", "not authorized"], "the camera refused the credentials (401 Unauthorized)"),
        (["no such file", "file not found"], "file not found"),
        (["permission denied"], "permission denied"),
        (["could not resolve", "name resolution", "unknown host", "name or service not known"], "host name not found"),
        (["connection refused", "failed to connect", "could not connect"],
         "could not connect (connection refused or host unreachable)"),
        (["timed out", "timeout"], "no answer in time"),
        (["missing a plug-in", "missing plugin", "no suitable plugins", "no decoder"], "no decoder for the stream's codec"),
        (["could not determine type of stream"], "not a stream GStreamer can read (unknown format)"),
    ]

    /// Whether `reason` says nothing of the cause: GStreamer's default text
    /// for a failed state change, or ours when no message came.
    static func isGeneric(_ reason: String?) -> Bool {
        guard let reason else { return true }
        return reason.hasPrefix("state change failed") || reason.contains("failed to post a proper error message")
    }

    /// "<cause>: <text>" when the messages reveal a cause, else `text`.
    static func reason(text: String, debug: String?) -> String {
        let haystack = (text + "\n" + (debug ?? "")).lowercased()
        guard let cause = causes.first(where: { entry in entry.0.contains { haystack.contains($0) } })?.1 else {
            return text
        }
        return "\(cause): \(text)"
    }
}
