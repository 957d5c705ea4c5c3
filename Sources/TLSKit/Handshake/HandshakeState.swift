import Foundation

/// One case per handshake step, each carrying exactly what that step needs. A message the current state does
/// not expect has no handler and is rejected with unexpected_message.
enum HandshakeState {
    case clientStart(serverName: String?)
    case clientExpectServerHello(ClientHelloSent)
    /// TLS 1.3 after the ServerHello (Handshake/TLS13/Client13.swift).
    case client13(Client13State)
    case serverExpectClientHello(ServerStart)
    /// TLS 1.3 after our first flight (Handshake/TLS13/Server13.swift).
    case server13(Server13State)
    // TLS 1.2 (RFC 5246 §7.3): the states live with their role (Handshake/TLS12/).
    case client12(Client12State)
    case server12(Server12State)
    case connected
    case failed

    /// The message types this state can take, checked against the header before the body is decoded: a message out
    /// of order is unexpected_message (RFC 8446 §4), whatever its body holds. The handlers still match on the typed
    /// message, so this only settles which alert an unexpected one gets.
    func accepts(_ type: HandshakeType, role: TLSConnection.Role, version: ProtocolVersion?) -> Bool {
        switch self {
        case .clientStart, .failed:
            return false
        case .server13(let state): return state.accepts(type)
        case .client13(let state): return state.accepts(type)
        case .client12(let state): return state.accepts(type)
        case .server12(let state): return state.accepts(type)
        case .clientExpectServerHello: return type == .serverHello
        case .serverExpectClientHello: return type == .clientHello
        case .connected:
            if let version, version <= .tls12 {
                // Renegotiation attempts, answered with no_renegotiation.
                return role == .client ? type == .helloRequest : type == .clientHello
            }
            return type == .keyUpdate || (role == .client && type == .newSessionTicket)
        }
    }
}

/// What a live connection needs once the handshake is over, by version: one value, so "connected" has one source.
enum Traffic: Sendable {
    case tls13(TrafficState)
    case tls12(TLS12Traffic)

    var version: ProtocolVersion {
        switch self {
        case .tls13: return .tls13
        case .tls12(let traffic): return traffic.version
        }
    }

    /// The hash of the exporter (TLS 1.3: the suite's; TLS 1.2: the PRF's).
    var exporterHashLength: Int {
        switch self {
        case .tls13(let traffic): return traffic.schedule.hash.digestLength
        case .tls12(let traffic): return traffic.prf.hash.digestLength
        }
    }
}

/// Secrets and parameters after the handshake (RFC 8446 §7.1–7.3). The application traffic secrets are split by role
/// once, when the connection is made: what we send and what we receive, so KeyUpdate and key installation never ask
/// which side they are on.
struct TrafficState: Sendable {
    let schedule: KeySchedule
    let suite: TLS13SuiteParameters
    /// Our application traffic secret (client_ for a client, server_ for a server), advanced by our KeyUpdates.
    var sendingSecret: [UInt8]
    /// The peer's, advanced by its KeyUpdates.
    var receivingSecret: [UInt8]
    var exporterMasterSecret: [UInt8]
    var resumptionMasterSecret: [UInt8]
    /// The peer identity the connection has (what tickets received on it carry into resumption).
    var peerAuthentication: SessionAuthentication

    init(role: TLSConnection.Role, schedule: KeySchedule, suite: TLS13SuiteParameters, clientApplicationSecret: [UInt8],
         serverApplicationSecret: [UInt8], exporterMasterSecret: [UInt8], resumptionMasterSecret: [UInt8],
         peerAuthentication: SessionAuthentication = .anonymous) {
        self.schedule = schedule
        self.suite = suite
        (sendingSecret, receivingSecret) = role == .client
            ? (clientApplicationSecret, serverApplicationSecret) : (serverApplicationSecret, clientApplicationSecret)
        self.exporterMasterSecret = exporterMasterSecret
        self.resumptionMasterSecret = resumptionMasterSecret
        self.peerAuthentication = peerAuthentication
    }
}

/// The peer's Finished, both versions and roles. A verify_data of the wrong length cannot be parsed: decode_error
/// (RFC 8446 §4.4.4, §6; RFC 5246 §7.4.9), checked before the constant-time comparison, which fails with decrypt_error.
func checkFinished(_ finished: Finished, expected: [UInt8]) throws(TLSError) {
    guard finished.verifyData.count == expected.count else {
        throw TLSError(.malformed, "Finished of \(finished.verifyData.count) bytes, expected \(expected.count)")
    }
    guard constantTimeEquals(expected, finished.verifyData) else {
        throw TLSError(.peerMisbehaved(.finishedMismatch), "the peer's Finished does not verify")
    }
}

/// Signed content of a CertificateVerify (RFC 8446 §4.4.3).
func certificateVerifyContent(server: Bool, transcriptHash: [UInt8]) -> [UInt8] {
    var content = [UInt8](repeating: 0x20, count: 64)
    content.append(contentsOf: (server ? "TLS 1.3, server CertificateVerify" : "TLS 1.3, client CertificateVerify").utf8)
    content.append(0)
    content.append(contentsOf: transcriptHash)
    return content
}

/// Schemes TLS 1.3 allows in CertificateVerify: no PKCS#1 v1.5, no SHA-1 (RFC 8446 §4.2.3).
func isAllowedInTLS13CertificateVerify(_ scheme: SignatureScheme) -> Bool {
    switch scheme {
    case .ecdsa_secp256r1_sha256, .ecdsa_secp384r1_sha384, .ecdsa_secp521r1_sha512,
         .rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512,
         .rsa_pss_pss_sha256, .rsa_pss_pss_sha384, .rsa_pss_pss_sha512,
         .ed25519, .ed448:
        return true
    default:
        return false
    }
}

