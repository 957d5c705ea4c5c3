import Foundation

/// The server before (and, after a HelloRetryRequest, between) ClientHellos.
struct ServerStart {
    /// Set once we sent a HelloRetryRequest: what it fixed, and the transcript so far (message_hash(CH1) + HRR).
    var helloRetry: ServerHelloRetry?
}

struct ServerHelloRetry {
    var suite: TLS13SuiteParameters
    var group: NamedGroup
    var transcript: Transcript
    var cookie: [UInt8]?
    var sentChangeCipherSpec: Bool
}

extension TLSConnection {
    var serverConfig: TLSServerConfiguration {
        // safe: only called on server connections, whose initializer sets it.
        serverConfiguration ?? TLSServerConfiguration(certificate: nil)
    }

    func serverHandle(_ message: HandshakeMessage, raw: [UInt8]) throws(TLSError) {
        switch (state, message) {
        case (.serverExpectClientHello(let start), .clientHello(let hello)):
            receivedFirstClientHello = true
            try serverHandleClientHello(hello, raw: raw, start: start)
        case (.connected, _):
            try handlePostHandshake(message)
        case (.server13(let tls13), _):
            state = try tls13.handle(message, raw: raw, io: self)
        case (.server12(let tls12), _):
            state = try tls12.handle(message, raw: raw, io: self)
        default:
            throw TLSError(.unexpectedMessage, "unexpected \(message.type) from the client")
        }
    }

    // MARK: ClientHello

    private func serverHandleClientHello(_ hello: ClientHello, raw: [UInt8], start: ServerStart) throws(TLSError) {
        let config = serverConfig
        let provider = common.cryptoProvider
        let extensions = hello.extensions

        // RFC 8446 §D.5: a ClientHello with legacy_version 0x0300 or less is protocol_version, whatever it offers.
        guard hello.legacyVersion.rawValue > 0x0300 else {
            throw TLSError(.protocolVersion, "ClientHello legacy_version is \(hello.legacyVersion)")
        }
        // Version negotiation (RFC 8446 §4.2.1; RFC 7507 for the fallback signal).
        let clientVersions = extensions.supportedVersionsClient ?? (hello.legacyVersion >= .tls12 ? [.tls12] : [hello.legacyVersion])
        if start.helloRetry == nil {
            let known = clientVersions.filter { $0 >= .tls10 && $0 <= .tls13 }
            if hello.cipherSuites.contains(.TLS_FALLBACK_SCSV), let clientMax = known.max(), clientMax < common.maximumVersion {
                throw TLSError(.inappropriateFallback, "the client signals a fallback to \(clientMax), but we support \(common.maximumVersion)")
            }
            if !(clientVersions.contains(.tls13) && common.maximumVersion >= .tls13) {
                guard clientVersions.contains(.tls12), common.minimumVersion <= .tls12 else {
                    throw TLSError(.protocolVersion, "no protocol version in common (the client offers \(clientVersions))")
                }
                state = .server12(try Server12State.start(hello, raw: raw, io: self))
                return
            }
        }
        guard let versions = extensions.supportedVersionsClient, versions.contains(.tls13) else {
            throw TLSError(.protocolVersion, "the client does not offer TLSv1.3")
        }
        state = try Server13State.start(hello, raw: raw, start: start, io: self)
        try sendHalfRTTDataIfAllowed()
    }

    /// Server, TLS 1.3 0.5-RTT (RFC 8446 §2.3): with `sendHalfRTTData`, application data goes out right after our
    /// Finished, before the client's Finished arrives — never when we asked for a client certificate (the client is
    /// not authenticated yet). As rustls' `send_half_rtt_data`, off by default.
    func sendHalfRTTDataIfAllowed() throws(TLSError) {
        guard role == .server, serverConfiguration?.sendHalfRTTData == true, !queuedApplicationData.isEmpty else { return }
        guard case .server13(let tls13) = state, tls13.allowsHalfRTTData else { return }
        flushHandshake()
        let data = queuedApplicationData
        queuedApplicationData = []
        try records.write(.applicationData, data, to: &output)
    }

}

