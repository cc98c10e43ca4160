import Dispatch

/// Where the bin tells GET events clients what happens to its streams.
///
/// Order: every notification is published on the control queue, where the
/// bin's changes happen one at a time. A change seen on another thread (a
/// first frame, an EOS or an error on a streaming thread) is published by a
/// block queued behind the work in progress, so a stream's `stream-added`
/// always comes before its `playing`, and nothing of a stream comes after its
/// `stream-removed`: a queued notification of a stream that has left is
/// dropped. The info is read where the change happened, so each notification
/// carries the state it announces.
extension MultiUriSrcBin {
    /// stream-added / stream-removed, beside the bus message of that name
    /// (control queue). A removal's reason: the one given, else the error
    /// of a failed stream.
    func announceMembership(_ message: String, _ slot: SourceSlot, reason: String?) {
        let info = slot.info()
        switch message {
        case "stream-add":
            notificationHub.publish(.streamAdded, stream: info)
        case "stream-remove":
            notificationHub.publish(.streamRemoved, stream: info,
                                    reason: reason ?? (info.state == .error ? info.lastError : nil))
        default:
            break
        }
    }

    /// The slot's current state as a stream-state notification; `reason`
    /// defaults to the last error for error and reconnecting.
    func announceState(_ slot: SourceSlot, reason: String? = nil) {
        let info = slot.info()
        let why = reason ?? (info.state == .error || info.state == .reconnecting ? info.lastError : nil)
        announce(slot) { hub in hub.publish(.streamState, stream: info, reason: why) }
    }

    /// One reconnection attempt of an RTSP source (control queue).
    func announceReconnect(_ slot: SourceSlot, attempt: Int32) {
        let info = slot.info()
        announce(slot) { hub in hub.publish(.reconnect, stream: info, reason: info.lastError, attempt: Int(attempt)) }
    }

    private func announce(_ slot: SourceSlot, _ publish: @escaping @Sendable (NotificationHub) -> Void) {
        if DispatchQueue.getSpecific(key: Self.onControlQueue) == true {
            if isPresent(slot) { publish(notificationHub) }
            return
        }
        controlQueue.async { [weak self] in
            guard let self, self.isPresent(slot) else { return }
            publish(self.notificationHub)
        }
    }

    private func isPresent(_ slot: SourceSlot) -> Bool {
        state.withLock { $0?.slots[slot.sourceId] === slot }
    }
}
