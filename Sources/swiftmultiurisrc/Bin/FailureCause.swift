/// Why a source failed, in words a client can act on, read from what
/// GStreamer's elements said (their message text and debug string).
/// GStreamer's own texts are generic ("Could not open resource for reading
/// and writing." for a refused RTSP connection); the cause comes first, the
/// element's text after it.
enum FailureCause {
    /// (needles in text or debug, lowercased; the cause; its kind for
    /// GET metrics). First match wins, most specific first.
    static let causes: [([String], String, String)] = [
        (["401", "unauthorized", "not authorized"], "the camera refused the credentials (401 Unauthorized)", "unauthorized"),
        (["no such file", "file not found"], "file not found", "file_not_found"),
        (["permission denied"], "permission denied", "permission_denied"),
        (["could not resolve", "name resolution", "unknown host", "name or service not known"], "host name not found",
         "host_not_found"),
        (["connection refused", "failed to connect", "could not connect"],
         "could not connect (connection refused or host unreachable)", "connection_refused"),
        (["timed out", "timeout"], "no answer in time", "timeout"),
        (["missing a plug-in", "missing plugin", "no suitable plugins", "no decoder"], "no decoder for the stream's codec",
         "no_decoder"),
        (["could not determine type of stream"], "not a stream GStreamer can read (unknown format)", "unknown_format"),
    ]

    /// Kinds of the failures the bin itself decides (see `kind(of:)`).
    static let startTimeout = "start_timeout", reconnectAttemptsExceeded = "reconnect_attempts_exceeded",
               stateChangeFailed = "state_change_failed", other = "other"

    /// Every kind `kind(of:)` answers, for counters that start at 0.
    static let kinds: [String] = causes.map(\.2) + [startTimeout, reconnectAttemptsExceeded, stateChangeFailed, other]

    /// The kind of a final reason (`last_error`): the cause it starts with,
    /// or one of the bin's own verdicts (their texts are written in
    /// MultiUriSrcBin and Reconnection).
    static func kind(of reason: String?) -> String {
        guard let reason else { return other }
        if let cause = causes.first(where: { reason.hasPrefix($0.1 + ":") }) { return cause.2 }
        if reason.hasPrefix("no data after") { return reconnectAttemptsExceeded }
        if reason.hasPrefix("its elements did not reach") { return startTimeout }
        if isGeneric(reason) { return stateChangeFailed }
        return other
    }

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
