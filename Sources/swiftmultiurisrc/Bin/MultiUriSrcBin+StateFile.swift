import CGStreamer
import GstSwiftBridge

/// state-file: what the bin does with SensorStateFile (the format, the
/// rules and the writes are described there).
extension MultiUriSrcBin {
    /// NULL→READY: the file's sensors, or nil when state-file is off.
    /// An unreadable or corrupt file fails the start: starting without its
    /// sensors would overwrite it at the next add.
    func openStateFile(_ s: Settings) throws(ControlError) -> SensorStateFile? {
        guard !s.stateFile.isEmpty else { return nil }
        let sensors = try SensorStateFile.load(s.stateFile)
        binLog.info(element.raw, "state-file '\(s.stateFile)': \(sensors.count) sensors")
        return SensorStateFile(path: s.stateFile, sensors: sensors) { [weak self] why in
            self?.postWarning(.resource, code: GST_RESOURCE_ERROR_WRITE.rawValue,
                              text: "state-file not written (the change stands, a restart would not bring it back): \(why)",
                              debug: nil)
        }
    }

    /// After uri-list's sources (control queue), under the same rules as a
    /// stream/add. A sensor that cannot be added stays in the file.
    func addStateFileSensors(_ file: SensorStateFile, settings s: Settings) {
        for request in file.sensors {
            do throws(ControlError) {
                try SourcePolicy(s).check(request)
                _ = try addStreamOnQueue(request)
            } catch {
                postWarning(.resource, code: GST_RESOURCE_ERROR_FAILED.rawValue,
                            text: "state-file sensor '\(request.cameraId)' not added (it stays in the file): \(error.detail)",
                            debug: nil)
            }
        }
    }

    /// Control queue, right after a stream/add succeeded: the change to
    /// write before answering.
    func recordAdded(_ request: AddStreamRequest) -> (SensorStateFile, UInt64)? {
        guard let file = state.withLock({ $0?.stateFile }) else { return nil }
        return (file, file.added(request))
    }

    /// Control queue: a sensor left for good; nil when the file did not list it.
    func recordRemoved(_ cameraId: String) -> (SensorStateFile, UInt64)? {
        guard let file = state.withLock({ $0?.stateFile }) else { return nil }
        return file.removed(cameraId: cameraId).map { (file, $0) }
    }

    var stateFileStatus: StateFileStatus? {
        state.withLock { $0?.stateFile }?.status
    }
}
