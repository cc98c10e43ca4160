let restLog = DebugCategory("swiftrest", description: "swift-multiurisrc REST server")

/// Something the bin starts on NULL→READY and stops on READY→NULL.
protocol ControlServer: Sendable {
    func stop()
}

extension RestServer: ControlServer {}

extension MultiUriSrcBin {
    /// Starts the REST server bound to ip-address:port; nil for port "0".
    func startServer(_ s: Settings) throws(ControlError) -> (any ControlServer)? {
        do {
            guard var configuration = try RestServerConfiguration.fromProperties(ipAddress: s.ipAddress, port: s.port) else {
                return nil
            }
            configuration.token = s.restToken.isEmpty ? nil : s.restToken
            configuration.corsOrigins = s.corsOrigins
            configuration.allowedHosts = s.allowedHosts
            configuration.strictHttpStatus = s.strictHttpStatus
            configuration.eventsMaxClients = Int(s.eventsMaxClients)
            configuration.eventsQueueSize = Int(s.eventsQueueSize)
            configuration.tlsCertificate = s.tlsCertificate.isEmpty ? nil : s.tlsCertificate
            return try RestServer(configuration: configuration, control: self, category: restLog)
        } catch {
            throw .unavailable("REST server (\(error.properties)): \(error)")
        }
    }
}
