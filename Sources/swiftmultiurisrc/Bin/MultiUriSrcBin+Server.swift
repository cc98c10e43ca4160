/// Something the bin starts on NULL→READY and stops on READY→NULL.
protocol ControlServer: Sendable {
    func stop()
}

extension MultiUriSrcBin {
    /// Starts the REST server bound to ip-address:port.
    func startServer(_ s: Settings) throws(ControlError) -> (any ControlServer)? {
        nil
    }
}
