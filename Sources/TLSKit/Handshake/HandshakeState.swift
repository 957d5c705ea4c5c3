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
            if version == .tls12 {
                // Renegotiation attempts, answered with no_renegotiation.
                return role == .client ? type == .helloRequest : type == .clientHello
            }
            return type == .keyUpdate || (role == .client && type == .newSessionTicket)
        }
    }
}

/// Secrets and parameters after the handshake (RFC 8446 §7.1–7.2).
struct TrafficState: Sendable {
    let schedule: KeySchedule
    let suite: TLS13SuiteParameters
    var clientApplicationSecret: [UInt8]
    var serverApplicationSecret: [UInt8]
    var exporterMasterSecret: [UInt8]
    var resumptionMasterSecret: [UInt8]
    /// The peer identity the connection has (what tickets received on it carry into resumption).
    var peerAuthentication: SessionAuthentication = .anonymous
}

/// The peer's Finished, both versions and roles. A verify_data of the wrong length cannot be parsed: decode_error
/// (RFC 8446 §4.4.4, §6; RFC 5246 §7.4.9), checked before the constant-time comparison, which fails with decrypt_error.
func checkFinished(_ finished: Finished, expected: [UInt8]) throws(TLSError) {
    guard finished.verifyData.count == expected.count else {
        throw TLSError(.decodeError, "Finished of \(finished.verifyData.count) bytes, expected \(expected.count)")
    }
    guard constantTimeEquals(expected, finished.verifyData) else {
        throw TLSError(.decryptError, "the peer's Finished does not verify")
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

extension TLSConnection {
    func handleHandshake(type: UInt8, body: [UInt8], raw: [UInt8]) throws(TLSError) {
        guard let known = HandshakeType(rawValue: type), state.accepts(known, role: role, version: negotiatedVersion) else {
            let name = HandshakeType(rawValue: type).map { "\($0)" } ?? "handshake type \(type)"
            throw TLSError(.unexpectedMessage, "unexpected \(name) from the \(role == .client ? "server" : "client")")
        }
        let message = try HandshakeMessage.decode(type: type, body: body, version: negotiatedVersion ?? .tls13)
        events.append(.handshakeMessage(.received, message.type, length: raw.count))
        switch role {
        case .client: try clientHandle(message, raw: raw)
        case .server: try serverHandle(message, raw: raw)
        }
    }

    func resumeAfterVerification() {
        switch state {
        case .client13(let tls13): state = .client13(tls13.afterVerification)
        case .server13(let tls13): state = .server13(tls13.afterVerification)
        case .client12(let tls12): state = .client12(tls12.afterVerification)
        case .server12(let tls12): state = .server12(tls12.afterVerification)
        default: break
        }
    }

    /// Post-handshake messages, the same for both roles except NewSessionTicket (client only).
    func handlePostHandshake(_ message: HandshakeMessage) throws(TLSError) {
        if negotiatedVersion == .tls12 {
            try refuseRenegotiation12(message, io: self)
            return
        }
        switch message {
        case .newSessionTicket(let ticket) where role == .client:
            try storeTicket(ticket)
            events.append(.newSessionTicket(ticket))
        case .keyUpdate(let request):
            keyUpdatesInARow += 1
            guard keyUpdatesInARow <= Self.maxKeyUpdatesInARow else {
                throw TLSError(.unexpectedMessage, "too many KeyUpdate messages without application data")
            }
            guard var traffic else { throw TLSError(.unexpectedMessage, "KeyUpdate before the handshake completed") }
            // The peer's sending key moves forward.
            if role == .client {
                traffic.serverApplicationSecret = traffic.schedule.nextTrafficSecret(traffic.serverApplicationSecret)
                try installReadKey(secret: traffic.serverApplicationSecret, schedule: traffic.schedule, aead: traffic.suite.aead)
            } else {
                traffic.clientApplicationSecret = traffic.schedule.nextTrafficSecret(traffic.clientApplicationSecret)
                try installReadKey(secret: traffic.clientApplicationSecret, schedule: traffic.schedule, aead: traffic.suite.aead)
            }
            replaceTraffic(with: traffic)
            events.append(.keyUpdated(.received))
            if request == .updateRequested && !sentCloseNotify && !keyUpdateAnswerPending {
                try sendKeyUpdate(.updateNotRequested)
                keyUpdateAnswerPending = true
            }
        default:
            throw TLSError(.unexpectedMessage, "unexpected \(message.type) after the handshake")
        }
    }

    func sendKeyUpdate(_ request: KeyUpdateRequest) throws(TLSError) {
        guard var traffic else { throw TLSError(.internalError, "KeyUpdate before the handshake completed") }
        let raw = try HandshakeMessage.keyUpdate(request).encode()
        queueHandshake(raw, type: .keyUpdate)
        flushHandshake()
        if role == .client {
            traffic.clientApplicationSecret = traffic.schedule.nextTrafficSecret(traffic.clientApplicationSecret)
            try installWriteKey(secret: traffic.clientApplicationSecret, schedule: traffic.schedule, aead: traffic.suite.aead)
        } else {
            traffic.serverApplicationSecret = traffic.schedule.nextTrafficSecret(traffic.serverApplicationSecret)
            try installWriteKey(secret: traffic.serverApplicationSecret, schedule: traffic.schedule, aead: traffic.suite.aead)
        }
        replaceTraffic(with: traffic)
        events.append(.keyUpdated(.sent))
    }

    /// Protects application data, updating our key first whenever the AEAD usage limit (RFC 8446 §5.5) is near.
    func writeApplicationData(_ plaintext: [UInt8]) throws(TLSError) {
        // Data sent after our KeyUpdate answer: a later update_requested needs an answer of its own (§4.6.3).
        keyUpdateAnswerPending = false
        if tls12Traffic != nil {
            try records.write(.applicationData, plaintext, to: &output)
            return
        }
        guard let traffic else { throw TLSError(.internalError, "no traffic keys") }
        let fragment = records.maxOutgoingFragment
        let recordsNeeded = UInt64(max(1, (plaintext.count + fragment - 1) / fragment))
        if records.recordsWrittenWithCurrentKey + recordsNeeded < traffic.suite.recordLimitPerKey {
            // The common case: no key update falls inside this write, so hand it over whole (no per-record copy).
            try records.write(.applicationData, plaintext, to: &output)
            return
        }
        var offset = 0
        repeat {
            if records.recordsWrittenWithCurrentKey >= traffic.suite.recordLimitPerKey {
                try sendKeyUpdate(.updateNotRequested)
            }
            let end = min(offset + fragment, plaintext.count)
            try records.write(.applicationData, Array(plaintext[offset..<end]), to: &output)
            offset = end
        } while offset < plaintext.count
    }
}

extension TLSConnection {
    /// Keeps a NewSessionTicket in the client's session cache with its PSK (RFC 8446 §4.6.1).
    func storeTicket(_ ticket: NewSessionTicket) throws(TLSError) {
        guard ticket.ticketLifetime <= 7 * 24 * 3600 else {
            throw TLSError(.illegalParameter, "ticket_lifetime above seven days")
        }
        guard ticket.ticketLifetime > 0, let cache = clientConfig.sessionCache, let traffic,
              let serverName = negotiated?.serverName else { return }
        let psk = traffic.schedule.expandLabel(traffic.resumptionMasterSecret, label: "resumption",
                                               context: ticket.ticketNonce, length: traffic.schedule.hash.digestLength)
        var session = ClientSession(
            version: .tls13, cipherSuite: traffic.suite.suite, ticket: ticket.ticket, secret: psk,
            ageAdd: ticket.ticketAgeAdd, lifetime: TimeInterval(ticket.ticketLifetime), received: common.now(),
            serverName: serverName, applicationProtocol: negotiated?.applicationProtocol)
        session.maxEarlyDataSize = ticket.extensions.maxEarlyDataSize ?? 0
        session.serverAuthentication = traffic.peerAuthentication
        cache.store(session)
    }
}

// MARK: - Negotiation steps shared by TLS 1.3 and TLS 1.2

extension TLSConnection {
    /// Server: our most preferred ALPN protocol the client offered (RFC 7301 §3.2); nil when either side has none.
    func selectApplicationProtocol(offered: [[UInt8]]?) throws(TLSError) -> String? {
        guard !common.applicationProtocols.isEmpty, let offered else { return nil }
        let offeredNames = offered.compactMap { String(validatingUTF8Bytes: $0) }
        guard let chosen = common.applicationProtocols.first(where: { offeredNames.contains($0) }) else {
            throw TLSError(.noApplicationProtocol, "no ALPN protocol in common (client offered \(offeredNames))")
        }
        return chosen
    }

    /// Client: the server's ALPN answer must be exactly one protocol we offered.
    func acceptedApplicationProtocol(_ names: [[UInt8]]) throws(TLSError) -> String {
        guard names.count == 1, let name = String(validatingUTF8Bytes: names[0]), common.applicationProtocols.contains(name) else {
            throw TLSError(.illegalParameter, "the server selected an ALPN protocol we did not offer")
        }
        return name
    }

    /// RFC 8449 §4: the peer's record_size_limit caps the plaintext of every record we send from the next flight on.
    /// In TLS 1.3 the limit counts the inner content type byte; in TLS 1.2 it is the plaintext itself.
    func applyPeerRecordSizeLimit(_ limit: UInt16, tls13: Bool) throws(TLSError) {
        guard limit >= 64 else { throw TLSError(.illegalParameter, "record_size_limit \(limit) is below 64") }
        records.maxOutgoingFragment = min(RecordLimits.maxPlaintext, Int(limit) - (tls13 ? 1 : 0))
    }

    /// Server: the identity for the client's server_name (the selector first, then the default certificate).
    func serverIdentity(for serverName: String?) throws(TLSError) -> CertifiedKey {
        let config = serverConfig
        guard let identity = config.certificateSelector?(serverName) ?? config.certificate else {
            throw TLSError(.unrecognizedName, "no certificate for server name \(serverName ?? "(none)")")
        }
        return identity
    }
}
