import CGStreamer

extension MultiUriSrcBin {
    /// GET stream/snapshot. Runs on the REST worker: waits (bounded) for a
    /// frame and encodes it there, off the control queue and the streaming
    /// threads.
    func snapshot(_ request: SnapshotRequest) throws(ControlError) -> Snapshot {
        guard let slot = state.withLock({ $0?.slots[request.sourceId] }) else {
            throw .notFound("stream_id: no stream \(request.sourceId)")
        }
        // A reference on the capsfilter, taken while the slot still has the
        // branch (a ref never calls back), keeps its object data alive until
        // the frame holder is retained by Swift; the unref is outside.
        let capsfilter = slot.branch.withLock { branch -> UnsafeMutablePointer<GstElement>? in
            guard let element = branch?.capsfilter.ptr else { return nil }
            _ = gst_object_ref(UnsafeMutableRawPointer(element))
            return element
        }
        guard let capsfilter else {
            throw .unavailable("stream_id: source \(request.sourceId) has no branch now (state \(slot.info().state.rawValue))")
        }
        let frame = LatestFrame.of(capsfilter)
        gst_object_unref(UnsafeMutableRawPointer(capsfilter))
        guard let frame else { throw .internalError("snapshot: source \(request.sourceId) keeps no frame") }
        return try SnapshotEncoder.snapshot(of: frame, width: request.width, sourceId: request.sourceId)
    }
}
