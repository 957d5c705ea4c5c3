import Foundation

/// One case per handshake step, each carrying exactly what that step needs. A message the current state does
/// not expect has no handler and is rejected with unexpected_message.
enum HandshakeState {
    case clientStart(serverName: String?)
    case clientExpectServerHello(ClientHelloSent)
    case clientExpectEncryptedExtensions(ClientHandshake)
    case clientExpectCertificateOrRequest(ClientHandshake)
    case clientExpectCertificate(ClientHandshake)
    case clientAwaitingVerification(ClientHandshake)
    case clientExpectCertificateVerify(ClientHandshake)
    case clientExpectFinished(ClientHandshake)
    case serverExpectClientHello(ServerStart)
    case serverExpectCertificate(ServerHandshake)
    case serverAwaitingVerification(ServerHandshake)
    case serverExpectCertificateVerify(ServerHandshake)
    case serverExpectFinished(ServerHandshake)
    /// 0-RTT accepted: early data flows until EndOfEarlyData.
    case serverExpectEndOfEarlyData(ServerHandshake)
    // TLS 1.2 (RFC 5246 §7.3)
    case client12ExpectCertificate(Client12Handshake)
    /// After the Certificate, when the server acknowledged status_request.
    case client12ExpectCertificateStatus(Client12Handshake)
    case client12AwaitingVerification(Client12Handshake)
    case client12ExpectServerKeyExchange(Client12Handshake)
    case client12ExpectCertificateRequestOrDone(Client12Handshake)
    case client12ExpectServerHelloDone(Client12Handshake)
    case client12ExpectChangeCipherSpec(Client12Handshake)
    case client12ExpectFinished(Client12Handshake)
    case server12ExpectCertificate(Server12Handshake)
    case server12AwaitingVerification(Server12Handshake)
    case server12ExpectClientKeyExchange(Server12Handshake)
    case server12ExpectCertificateVerify(Server12Handshake)
    case server12ExpectChangeCipherSpec(Server12Handshake)
    case server12ExpectFinished(Server12Handshake)
    case connected
    case failed
}

/// Secrets and parameters after the handshake (RFC 8446 §7.1–7.2).
struct TrafficState: Sendable {
    let schedule: KeySchedule
    let suite: TLS13SuiteParameters
    var clientApplicationSecret: [UInt8]
    var serverApplicationSecret: [UInt8]
    var exporterMasterSecret: [UInt8]
    var resumptionMasterSecret: [UInt8]
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
        let message = try HandshakeMessage.decode(type: type, body: body, version: negotiatedVersion ?? .tls13)
        events.append(.handshakeMessage(.received, message.type, length: raw.count))
        switch role {
        case .client: try clientHandle(message, raw: raw)
        case .server: try serverHandle(message, raw: raw)
        }
    }

    func resumeAfterVerification() {
        switch state {
        case .clientAwaitingVerification(let handshake): state = .clientExpectCertificateVerify(handshake)
        case .serverAwaitingVerification(let handshake): state = .serverExpectCertificateVerify(handshake)
        case .client12AwaitingVerification(let handshake): state = .client12ExpectServerKeyExchange(handshake)
        case .server12AwaitingVerification(let handshake): state = .server12ExpectClientKeyExchange(handshake)
        default: break
        }
    }

    /// Post-handshake messages, the same for both roles except NewSessionTicket (client only).
    func handlePostHandshake(_ message: HandshakeMessage) throws(TLSError) {
        if negotiatedVersion == .tls12 {
            try handlePostHandshake12(message)
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

    /// Server: the identity for the client's server_name (the selector first, then the default certificate).
    func serverIdentity(for serverName: String?) throws(TLSError) -> CertifiedKey {
        let config = serverConfig
        guard let identity = config.certificateSelector?(serverName) ?? config.certificate else {
            throw TLSError(.unrecognizedName, "no certificate for server name \(serverName ?? "(none)")")
        }
        return identity
    }
}
