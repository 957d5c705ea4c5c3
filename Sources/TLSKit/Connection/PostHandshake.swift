import Foundation

/// After the handshake: TLS 1.3 KeyUpdate and NewSessionTicket (RFC 8446 §4.6), TLS 1.2 renegotiation refused,
/// application data protected within the AEAD limits.
extension TLSConnection {
    /// Post-handshake messages, the same for both roles except NewSessionTicket (client only).
    func handlePostHandshake(_ message: HandshakeMessage) throws(TLSError) {
        if let version = negotiatedVersion, version <= .tls12 {
            try refuseRenegotiation12(message, io: self)
            return
        }
        switch message {
        case .newSessionTicket(let ticket) where role == .client:
            try storeTicket(ticket)
            events.append(.newSessionTicket(ticket))
        case .keyUpdate(let request):
            bounds.keyUpdatesInARow += 1
            guard bounds.keyUpdatesInARow <= Self.maxKeyUpdatesInARow else {
                throw TLSError(.peerMisbehaved(.tooManyKeyUpdates), "too many KeyUpdate messages without application data")
            }
            guard var traffic = tls13Traffic else { throw TLSError(.unexpectedMessage, "KeyUpdate before the handshake completed") }
            // The peer's sending key moves forward.
            traffic.receivingSecret = traffic.schedule.nextTrafficSecret(traffic.receivingSecret)
            try installReadKey(secret: traffic.receivingSecret, schedule: traffic.schedule, aead: traffic.suite.aead)
            replaceTraffic(with: traffic)
            events.append(.keyUpdated(.received))
            if request == .updateRequested && !sentCloseNotify && !bounds.keyUpdateAnswerPending {
                try sendKeyUpdate(.updateNotRequested)
                bounds.keyUpdateAnswerPending = true
            }
        default:
            throw TLSError(.unexpectedMessage, "unexpected \(message.type) after the handshake")
        }
    }

    func sendKeyUpdate(_ request: KeyUpdateRequest) throws(TLSError) {
        guard var traffic = tls13Traffic else { throw TLSError(.invalidUse(.handshakeNotComplete), "KeyUpdate before the handshake completed") }
        let raw = try HandshakeMessage.keyUpdate(request).encode()
        queueHandshake(raw, type: .keyUpdate)
        flushHandshake()
        traffic.sendingSecret = traffic.schedule.nextTrafficSecret(traffic.sendingSecret)
        try installWriteKey(secret: traffic.sendingSecret, schedule: traffic.schedule, aead: traffic.suite.aead)
        replaceTraffic(with: traffic)
        events.append(.keyUpdated(.sent))
    }

    /// Protects application data, updating our key first whenever the AEAD usage limit (RFC 8446 §5.5) is near.
    func writeApplicationData(_ plaintext: [UInt8]) throws(TLSError) {
        // Data sent after our KeyUpdate answer: a later update_requested needs an answer of its own (§4.6.3).
        bounds.keyUpdateAnswerPending = false
        let traffic: TrafficState
        switch self.traffic {
        case .tls12?:
            try records.write(.applicationData, plaintext, to: &buffers.output)
            return
        case .tls13(let tls13)?:
            traffic = tls13
        case nil:
            throw TLSError(.internal, "no traffic keys")
        }
        let fragment = records.maxOutgoingFragment
        let recordsNeeded = UInt64(max(1, (plaintext.count + fragment - 1) / fragment))
        if records.recordsWrittenWithCurrentKey + recordsNeeded < traffic.suite.recordLimitPerKey {
            // The common case: no key update falls inside this write, so hand it over whole (no per-record copy).
            try records.write(.applicationData, plaintext, to: &buffers.output)
            return
        }
        var offset = 0
        repeat {
            if records.recordsWrittenWithCurrentKey >= traffic.suite.recordLimitPerKey {
                try sendKeyUpdate(.updateNotRequested)
            }
            let end = min(offset + fragment, plaintext.count)
            try records.write(.applicationData, Array(plaintext[offset..<end]), to: &buffers.output)
            offset = end
        } while offset < plaintext.count
    }
}

extension TLSConnection {
    /// Keeps a NewSessionTicket in the client's session cache with its PSK (RFC 8446 §4.6.1).
    func storeTicket(_ ticket: NewSessionTicket) throws(TLSError) {
        guard ticket.ticketLifetime <= 7 * 24 * 3600 else {
            throw TLSError(.peerMisbehaved(.ticketLifetimeTooLong), "ticket_lifetime above seven days")
        }
        guard ticket.ticketLifetime > 0, case .client(let configuration) = endpoint, let cache = configuration.sessionCache, let traffic = tls13Traffic,
              let serverName = negotiated?.serverName else { return }
        let psk = traffic.schedule.expandLabel(traffic.resumptionMasterSecret, label: .resumption,
                                               context: ticket.ticketNonce, length: traffic.schedule.hash.digestLength)
        let session = ClientSession(
            cipherSuite: traffic.suite.suite, ticket: ticket.ticket, secret: psk,
            lifetime: TimeInterval(ticket.ticketLifetime), received: common.now(),
            serverName: serverName, applicationProtocol: negotiated?.applicationProtocol,
            resumption: .tls13(ageAdd: ticket.ticketAgeAdd, maxEarlyDataSize: ticket.extensions.maxEarlyDataSize ?? 0),
            serverAuthentication: traffic.peerAuthentication)
        cache.store(session)
    }
}
