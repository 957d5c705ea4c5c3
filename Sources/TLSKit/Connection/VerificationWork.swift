extension TLSConnection {
    /// The pending verification as a sendable unit of work, for drivers that run it on another task and hand the
    /// result back with `completeVerification(_:)` on the connection's own thread (the NIO handler does this).
    public var pendingVerificationWork: (@Sendable () async -> PeerVerificationResult)? {
        guard let request = pendingVerification, let verifier else { return nil }
        return { await verifier.verify(request) }
    }
}
