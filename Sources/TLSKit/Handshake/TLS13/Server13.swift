import Foundation

/// The TLS 1.3 server (RFC 8446 §2, §4), from a ClientHello that settles on TLS 1.3:
///
///     ← ClientHello                      suite, PSK mode, group and share (or HelloRetryRequest), identity, ALPN,
///                                        resumption, 0-RTT
///     → ServerHello, [CCS], EncryptedExtensions, [CertificateRequest], [Certificate, CertificateVerify], Finished
///     ← [early data, EndOfEarlyData], [Certificate, (verify), CertificateVerify], Finished
///     → NewSessionTicket(s)                                                       connected
enum Server13State {
    case expectCertificate(ServerHandshake)
    case awaitingVerification(ServerHandshake)
    case expectCertificateVerify(ServerHandshake)
    case expectFinished(ServerHandshake)
    /// 0-RTT accepted: early data flows until EndOfEarlyData.
    case expectEndOfEarlyData(ServerHandshake)
}

/// The server after its first flight, waiting for the client's.
struct ServerHandshake {
    let configuration: TLSServerConfiguration
    var clientRandom: [UInt8]
    var schedule: KeySchedule
    var suite: TLS13SuiteParameters
    var transcript: Transcript
    var clientHandshakeSecret: [UInt8]
    var masterSecret: MasterSecret
    var clientApplicationSecret: [UInt8]
    var serverApplicationSecret: [UInt8]
    var exporterMasterSecret: [UInt8]
    var parameters: NegotiatedParameters
    var certificateRequest: CertificateRequest?
    var clientCertificates: [[UInt8]] = []
    /// Resumed: the client authentication the ticket carries (nil in a full handshake, where it is verified now).
    var resumedAuthentication: SessionAuthentication? = nil
    /// The client listed a psk_key_exchange_mode we support: tickets are worth sending.
    var clientCanResume = true
}

extension Server13State {
    /// The message types this state can take (checked before the body is decoded).
    func accepts(_ type: HandshakeType) -> Bool {
        switch self {
        case .expectCertificate: return type == .certificate || type == .finished
        case .awaitingVerification: return false
        case .expectCertificateVerify: return type == .certificateVerify
        case .expectFinished: return type == .finished
        case .expectEndOfEarlyData: return type == .endOfEarlyData
        }
    }

    /// The state to continue in once the client's chain was verified.
    var afterVerification: Server13State {
        if case .awaitingVerification(let handshake) = self { return .expectCertificateVerify(handshake) }
        return self
    }

    /// Our first flight is out and no client certificate was asked for: 0.5-RTT data may follow it (RFC 8446 §2.3).
    var allowsHalfRTTData: Bool {
        switch self {
        case .expectFinished(let handshake), .expectEndOfEarlyData(let handshake): return handshake.certificateRequest == nil
        default: return false
        }
    }

    /// Consumes the next message; returns the next state (`.connected` once the client's Finished verifies).
    func handle(_ message: HandshakeMessage, raw: [UInt8], io: any HandshakePort) throws(TLSError) -> HandshakeState {
        switch (self, message) {
        case (.expectCertificate(var handshake), .certificate(let certificate)):
            guard certificate.certificateRequestContext == handshake.certificateRequest?.certificateRequestContext else {
                throw TLSError(.peerMisbehaved(.invalidCertificateRequestContext), "client Certificate with the wrong request context")
            }
            handshake.transcript.append(raw)
            if certificate.entries.isEmpty {
                if case .required = handshake.configuration.clientAuthentication {
                    throw TLSError(.peerIncompatible(.certificateRequired), "the client sent no certificate, and one is required")
                }
                return .server13(.expectFinished(handshake))
            }
            guard certificate.entries.count <= maxPeerChainLength else {
                throw TLSError(.invalidCertificate(.budget), "client chain of \(certificate.entries.count) certificates exceeds \(maxPeerChainLength)")
            }
            if let ext = certificate.entries.lazy.flatMap(\.extensions).first {
                throw TLSError(.peerMisbehaved(.unsolicitedExtension), "client certificate entry carries \(ext.type), which was not requested")
            }
            handshake.clientCertificates = certificate.entries.map(\.certificateDER)
            io.requestVerification(PeerVerificationRequest(
                chainDER: handshake.clientCertificates, role: .client, serverName: nil, now: io.common.now()))
            return .server13(.awaitingVerification(handshake))
        case (.expectCertificateVerify(var handshake), .certificateVerify(let verify)):
            let requested = handshake.certificateRequest?.extensions.signatureAlgorithms ?? []
            guard requested.contains(verify.algorithm), isAllowedInTLS13CertificateVerify(verify.algorithm) else {
                throw TLSError(.peerMisbehaved(.unofferedSignatureScheme), "the client signed with \(verify.algorithm), which we did not request")
            }
            let content = certificateVerifyContent(server: false, transcriptHash: handshake.transcript.currentHash)
            let spki = try subjectPublicKeyInfo(ofCertificate: handshake.clientCertificates[0])
            try io.common.cryptoProvider.verifySignature(
                scheme: verify.algorithm, subjectPublicKeyInfo: spki, message: content, signature: verify.signature)
            handshake.parameters.clientSignatureScheme = verify.algorithm
            handshake.transcript.append(raw)
            return .server13(.expectFinished(handshake))
        case (.expectCertificate(var handshake), .finished(let finished)) where handshake.certificateRequest == nil,
             (.expectFinished(var handshake), .finished(let finished)):
            let expected = handshake.schedule.finishedVerifyData(
                baseKey: handshake.clientHandshakeSecret, transcriptHash: handshake.transcript.currentHash)
            try checkFinished(finished, expected: expected)
            handshake.transcript.append(raw)
            let resumption = handshake.schedule.deriveSecret(
                handshake.masterSecret.secret, label: .resumptionMaster, transcriptHash: handshake.transcript.currentHash)
            try io.installReadKey(secret: handshake.clientApplicationSecret, schedule: handshake.schedule, aead: handshake.suite.aead)
            // The tickets we issue carry the client identity this connection has: verified just now, or resumed.
            let authentication = handshake.resumedAuthentication ?? io.verifiedAuthentication(
                chain: handshake.clientCertificates, signatureScheme: handshake.parameters.clientSignatureScheme)
            var parameters = handshake.parameters
            parameters.peerCertificates = handshake.clientCertificates
            if let resumed = handshake.resumedAuthentication {
                parameters.peerCertificates = resumed.peerCertificates
                parameters.clientSignatureScheme = resumed.peerSignatureScheme
            }
            if handshake.clientCanResume {
                try Self.sendSessionTickets(config: handshake.configuration, io: io, resumptionSecret: resumption, schedule: handshake.schedule, suite: handshake.suite,
                                       parameters: parameters, clientAuthentication: authentication)
            }
            try io.completeHandshake(parameters, traffic: .tls13(TrafficState(
                role: .server, schedule: handshake.schedule, suite: handshake.suite,
                clientApplicationSecret: handshake.clientApplicationSecret,
                serverApplicationSecret: handshake.serverApplicationSecret,
                exporterMasterSecret: handshake.exporterMasterSecret, resumptionMasterSecret: resumption)))
            return .connected
        case (.expectEndOfEarlyData(var handshake), .endOfEarlyData):
            handshake.transcript.append(raw)
            try io.installReadKey(secret: handshake.clientHandshakeSecret, schedule: handshake.schedule, aead: handshake.suite.aead)
            return .server13(.expectFinished(handshake))
        default:
            throw TLSError(.unexpectedMessage, "unexpected \(message.type) from the client")
        }
    }

    // MARK: ClientHello

    /// Answers a ClientHello that settled on TLS 1.3 (`start` carries what a HelloRetryRequest fixed): our first flight,
    /// or a HelloRetryRequest.
    static func start(_ hello: ClientHello, raw: [UInt8], start: ServerStart, io: any HandshakePort) throws(TLSError) -> HandshakeState {
        let config = start.configuration
        let provider = io.common.cryptoProvider
        let extensions = hello.extensions
        io.enterVersion(.tls13)
        if start.helloRetry != nil {
            // RFC 8446 §4.2.10: early data may be skipped only until the second ClientHello; after it, a record that
            // fails to decrypt is bad_record_mac (§5.2).
            io.stopSkippingEarlyData()
        }
        guard hello.legacyCompressionMethods == [0] else {
            throw TLSError(.peerMisbehaved(.invalidCompression), "TLS 1.3 ClientHello must offer exactly the null compression method")
        }
        guard let clientGroups = extensions.supportedGroups else {
            throw TLSError(.peerMisbehaved(.missingSupportedGroups), "ClientHello without supported_groups")
        }
        guard let shares = extensions.keyShareClient else {
            throw TLSError(.peerMisbehaved(.missingKeyShare), "ClientHello without key_share")
        }
        guard let clientSchemes = extensions.signatureAlgorithms else {
            throw TLSError(.peerMisbehaved(.missingSignatureAlgorithms), "ClientHello without signature_algorithms")
        }
        // RFC 8446 §4.2.9: a client offering pre_shared_key MUST send psk_key_exchange_modes; the server MUST abort.
        if extensions.preSharedKeyClient != nil && extensions.pskKeyExchangeModes == nil {
            throw TLSError(.peerMisbehaved(.missingPSKKeyExchangeModes), "ClientHello offers pre_shared_key without psk_key_exchange_modes")
        }
        // RFC 8446 §4.2.8: one share per group, each for a group in supported_groups, in the same order.
        var lastIndex = -1
        var seen = Set<NamedGroup>()
        for share in shares {
            guard seen.insert(share.group).inserted else {
                throw TLSError(.peerMisbehaved(.duplicateKeyShare), "two key shares for \(share.group)")
            }
            guard let index = clientGroups.firstIndex(of: share.group), index > lastIndex else {
                throw TLSError(.peerMisbehaved(.keyShareNotInSupportedGroups), "key share for \(share.group) not listed (in order) in supported_groups")
            }
            lastIndex = index
        }

        // Cipher suite.
        let ourSuites = io.common.cipherSuites.filter { TLS13SuiteParameters($0) != nil }
        let ordered = config.preferServerCipherOrder
            ? ourSuites.filter { hello.cipherSuites.contains($0) }
            : hello.cipherSuites.filter { ourSuites.contains($0) }
        var suiteChoice = ordered.first.flatMap(TLS13SuiteParameters.init)
        if let retry = start.helloRetry {
            guard hello.cipherSuites.contains(retry.suite.suite) else {
                throw TLSError(.peerMisbehaved(.cipherSuiteChangedAfterRetry), "second ClientHello no longer offers the suite of the HelloRetryRequest")
            }
            suiteChoice = retry.suite
        }
        guard let suite = suiteChoice else {
            throw TLSError(.peerIncompatible(.noCommonCipherSuite), "no cipher suite in common")
        }

        // PSK mode (RFC 8446 §4.2.9): the first of ours the client offers. A psk_ke resumption needs no key share,
        // so it is settled before a group is chosen.
        let clientModes = extensions.pskKeyExchangeModes ?? []
        let pskMode = io.common.pskKeyExchangeModes.first { clientModes.contains($0.rawValue) }
        let pskOnlyResumption = pskMode == .pskOnly
            ? try acceptResumption(hello, io: io, raw: raw, suite: suite, serverName: extensions.serverNameValue, start: start, mode: .pskOnly)
            : nil

        // Group and key share.
        var selectedShare: KeyShareEntry?
        /// We took a share for a group we like less than another one the client supports (RFC 8446 §4.2.7).
        var preferAnotherGroup = false
        if pskOnlyResumption == nil {
            let mutualGroups = io.common.supportedGroups.filter { clientGroups.contains($0) && provider.supports(group: $0) }
            guard let preferred = mutualGroups.first else {
                throw TLSError(.peerIncompatible(.noCommonGroup), "no key-exchange group in common")
            }
            let share: KeyShareEntry?
            if let retry = start.helloRetry {
                guard shares.count == 1, let only = shares.first, only.group == retry.group else {
                    throw TLSError(.peerMisbehaved(.retryKeyShareMismatch), "second ClientHello must carry exactly one key share, for \(retry.group)")
                }
                if let cookie = retry.cookie, extensions.cookie != cookie {
                    throw TLSError(.peerMisbehaved(.cookieMismatch), "second ClientHello does not echo our cookie")
                }
                share = only
            } else if config.enforceGroupPreference {
                share = shares.first { $0.group == preferred }
            } else {
                share = mutualGroups.lazy.compactMap { group in shares.first { $0.group == group } }.first
            }
            guard let share else {
                return try sendHelloRetryRequest(hello, raw: raw, start: start, suite: suite, group: preferred, io: io)
            }
            selectedShare = share
            preferAnotherGroup = share.group != preferred
        }

        // Identity, signature scheme, ALPN.
        let serverName = extensions.serverNameValue
        let identity = try config.identity(for: serverName)
        guard let scheme = identity.privateKey.supportedSchemes.first(where: {
            clientSchemes.contains($0) && isAllowedInTLS13CertificateVerify($0)
        }) else {
            throw TLSError(.peerIncompatible(.noCommonSignatureScheme), "the client accepts no signature scheme our key can make")
        }
        let applicationProtocol = try io.selectApplicationProtocol(offered: extensions.alpnProtocols)

        var resumption = pskOnlyResumption
        if resumption == nil && pskMode == .pskWithDHE {
            resumption = try acceptResumption(hello, io: io, raw: raw, suite: suite, serverName: serverName, start: start, mode: .pskWithDHE)
        }
        var acceptEarlyData = false
        if hello.extensions.contains(.earlyData) {
            let rejection = earlyDataRejection(hello, io: io, resumption: resumption, suite: suite,
                                               applicationProtocol: applicationProtocol, start: start)
            acceptEarlyData = rejection == nil
            io.recordEarlyDataAnswer(accepted: acceptEarlyData, reason: rejection)
        }
        if hello.extensions.contains(.earlyData) && !acceptEarlyData {
            // RFC 8446 §4.2.10: skip the early data we will not be able to decrypt.
            io.skipRejectedEarlyData(upTo: Int(max(config.maxEarlyDataSize, 16_384)) + 4 * 256)
        }

        // ServerHello.
        var serverHelloExtensions: [Extension] = [.supportedVersionsServer(.tls13)]
        var sharedSecret = [UInt8](repeating: 0, count: suite.hash.digestLength)   // psk_ke: no (EC)DHE input
        if let share = selectedShare {
            let (serverShare, secret) = try provider.respondToKeyShare(share.group, peerShare: share.keyExchange, random: &io.random)
            sharedSecret = secret
            serverHelloExtensions.insert(.keyShareServer(KeyShareEntry(group: share.group, keyExchange: serverShare)), at: 0)
        }
        if let resumption { serverHelloExtensions.insert(.preSharedKeyServer(selectedIdentity: UInt16(resumption.index)), at: 0) }
        let serverHello = ServerHello(
            random: io.random.bytes(32), legacySessionIDEcho: hello.legacySessionID, cipherSuite: suite.suite,
            extensions: serverHelloExtensions)
        var transcript: Transcript
        if let retry = start.helloRetry {
            transcript = retry.transcript
        } else {
            transcript = Transcript(provider: provider, hash: suite.hash)
        }
        transcript.append(raw)
        try io.sendHandshake(.serverHello(serverHello), transcript: &transcript)
        if !hello.legacySessionID.isEmpty && !(start.helloRetry?.sentChangeCipherSpec ?? false) {
            io.sendChangeCipherSpec()   // RFC 8446 §D.4: the client is in compatibility mode
        }

        let schedule = KeySchedule(provider: provider, hash: suite.hash)
        let handshakeSecret = schedule.handshakeSecret(from: schedule.earlySecret(psk: resumption?.state.secret), sharedSecret: sharedSecret)
        let helloHash = transcript.currentHash
        let handshakeTrafficSecrets = schedule.deriveSecrets(
            handshakeSecret.secret, labels: [.clientHandshakeTraffic, .serverHandshakeTraffic], transcriptHash: helloHash)
        let (clientSecret, serverSecret) = (handshakeTrafficSecrets[0], handshakeTrafficSecrets[1])
        io.logKey("CLIENT_HANDSHAKE_TRAFFIC_SECRET", clientRandom: hello.random, secret: clientSecret)
        io.logKey("SERVER_HANDSHAKE_TRAFFIC_SECRET", clientRandom: hello.random, secret: serverSecret)
        try io.installWriteKey(secret: serverSecret, schedule: schedule, aead: suite.aead)
        // Until the client's first protected record, a client that gives up may still send its alert in the clear.
        io.acceptPlaintextAlertsUntilProtectedRecord()
        if acceptEarlyData, let psk = resumption?.state.secret {
            // The client's early data comes first, under client_early_traffic_secret (RFC 8446 §7.1).
            var helloOnly = Transcript(provider: provider, hash: suite.hash)
            helloOnly.append(raw)
            let earlySecret = schedule.deriveSecret(schedule.earlySecret(psk: psk).secret, label: .clientEarlyTraffic,
                                                    transcriptHash: helloOnly.currentHash)
            io.logKey("CLIENT_EARLY_TRAFFIC_SECRET", clientRandom: hello.random, secret: earlySecret)
            try io.installReadKey(secret: earlySecret, schedule: schedule, aead: suite.aead)
            io.expectEarlyData(upTo: Int(config.maxEarlyDataSize))
        } else {
            try io.installReadKey(secret: clientSecret, schedule: schedule, aead: suite.aead)
        }

        // EncryptedExtensions.
        var encrypted: [Extension] = []
        if let clientLimit = extensions.recordSizeLimit {
            try io.applyPeerRecordSizeLimit(clientLimit, tls13: true)
            if let ourLimit = io.common.recordSizeLimit {
                encrypted.append(.recordSizeLimit(ourLimit))
                // Negotiated: from the client's handshake-protected flight on, its records obey our limit.
                io.limitIncomingRecords(toInnerPlaintext: Int(ourLimit))
            }
        }
        if preferAnotherGroup {
            // RFC 8446 §4.2.7 SHOULD: tell the client our preference, so it can send that share next time.
            encrypted.append(.supportedGroups(io.common.supportedGroups.filter { provider.supports(group: $0) }))
        }
        if serverName != nil { encrypted.append(.serverName(nil)) }
        if acceptEarlyData { encrypted.append(.earlyData(maxEarlyDataSize: nil)) }
        if let applicationProtocol { encrypted.append(.alpn([Array(applicationProtocol.utf8)])) }
        config.encryptedExtensionsCustomizer?(&encrypted)
        try io.sendHandshake(.encryptedExtensions(EncryptedExtensions(extensions: encrypted)), transcript: &transcript)

        // CertificateRequest (never in a PSK handshake, RFC 8446 §4.3.2).
        var certificateRequest: CertificateRequest?
        switch config.clientAuthentication {
        case .none: break
        case .optional, .required:
            guard resumption == nil else { break }
            let request = CertificateRequest(certificateRequestContext: [], extensions: [.signatureAlgorithms(io.common.signatureAlgorithms)])
            try io.sendHandshake(.certificateRequest(request), transcript: &transcript)
            certificateRequest = request
        }

        // Certificate and CertificateVerify (a resumed handshake is authenticated by the PSK instead), Finished.
        if resumption == nil {
            var entries = identity.chain.derEncoded.map { CertificateMessage.Entry(certificateDER: $0) }
            // OCSP stapling (RFC 8446 §4.4.2.1): only if the client asked for an OCSP status.
            if let response = identity.ocspResponse, !response.isEmpty, !entries.isEmpty,
               case .statusRequest(let request)? = extensions.first(.statusRequest),
               request.first == CertificateStatusCodec.ocsp {
                entries[0].extensions = [.statusRequest(try CertificateStatusCodec.encode(ocspResponse: response))]
            }
            try io.sendHandshake(.certificate(CertificateMessage(certificateRequestContext: [], entries: entries)), transcript: &transcript)
            let content = certificateVerifyContent(server: true, transcriptHash: transcript.currentHash)
            let signature = try identity.privateKey.sign(scheme: scheme, message: content)
            try io.sendHandshake(.certificateVerify(CertificateVerify(algorithm: scheme, signature: signature)), transcript: &transcript)
        }
        let verifyData = schedule.finishedVerifyData(baseKey: serverSecret, transcriptHash: transcript.currentHash)
        try io.sendHandshake(.finished(Finished(verifyData: verifyData)), transcript: &transcript)

        let master = schedule.masterSecret(from: handshakeSecret)
        let finishedHash = transcript.currentHash
        let applicationSecrets = schedule.deriveSecrets(
            master.secret, labels: [.clientApplicationTraffic, .serverApplicationTraffic, .exporterMaster], transcriptHash: finishedHash)
        let (clientAppSecret, serverAppSecret, exporterSecret) = (applicationSecrets[0], applicationSecrets[1], applicationSecrets[2])
        io.logKey("CLIENT_TRAFFIC_SECRET_0", clientRandom: hello.random, secret: clientAppSecret)
        io.logKey("SERVER_TRAFFIC_SECRET_0", clientRandom: hello.random, secret: serverAppSecret)
        io.logKey("EXPORTER_SECRET", clientRandom: hello.random, secret: exporterSecret)
        try io.installWriteKey(secret: serverAppSecret, schedule: schedule, aead: suite.aead)

        var handshake = ServerHandshake(
            configuration: config, clientRandom: hello.random, schedule: schedule, suite: suite, transcript: transcript,
            clientHandshakeSecret: clientSecret, masterSecret: master,
            clientApplicationSecret: clientAppSecret, serverApplicationSecret: serverAppSecret,
            exporterMasterSecret: exporterSecret,
            parameters: NegotiatedParameters(
                version: .tls13, cipherSuite: suite.suite, group: selectedShare?.group,
                serverSignatureScheme: resumption == nil ? scheme : nil,
                clientSignatureScheme: nil, applicationProtocol: applicationProtocol, serverName: serverName,
                peerCertificates: [], usedHelloRetryRequest: start.helloRetry != nil, resumed: resumption != nil),
            certificateRequest: certificateRequest)
        handshake.resumedAuthentication = resumption?.state.clientAuthentication
        // RFC 8446 §4.2.9: no tickets for a client that can use none of our PSK modes.
        handshake.clientCanResume = pskMode != nil
        if acceptEarlyData { return .server13(.expectEndOfEarlyData(handshake)) }
        return .server13(certificateRequest != nil ? .expectCertificate(handshake) : .expectFinished(handshake))
    }

    private static func sendHelloRetryRequest(_ hello: ClientHello, raw: [UInt8], start: ServerStart,
                                              suite: TLS13SuiteParameters, group: NamedGroup,
                                              io: any HandshakePort) throws(TLSError) -> HandshakeState {
        guard start.helloRetry == nil else {
            throw TLSError(.peerMisbehaved(.retryKeyShareMismatch), "second ClientHello still has no usable key share")
        }
        let provider = io.common.cryptoProvider
        var extensions: [Extension] = [.keyShareHelloRetryRequest(group)]
        let cookie = start.configuration.helloRetryCookie
        if let cookie { extensions.append(.cookie(cookie)) }
        extensions.append(.supportedVersionsServer(.tls13))
        let retry = ServerHello(random: ServerHello.helloRetryRequestRandom, legacySessionIDEcho: hello.legacySessionID,
                                cipherSuite: suite.suite, extensions: extensions)
        var transcript = Transcript.restartedForHelloRetry(provider: provider, hash: suite.hash, clientHello1: raw)
        try io.sendHandshake(.serverHello(retry), transcript: &transcript)
        if hello.extensions.contains(.earlyData) {
            io.recordEarlyDataAnswer(accepted: false, reason: .helloRetryRequest)
            // Early data after a HelloRetryRequest is rejected: skip it (it arrives as unreadable application data).
            io.skipRejectedEarlyData(upTo: Int(max(start.configuration.maxEarlyDataSize, 16_384)) + 4 * 256)
        }
        let compatibility = !hello.legacySessionID.isEmpty
        if compatibility { io.sendChangeCipherSpec() }
        return .serverExpectClientHello(ServerStart(configuration: start.configuration, helloRetry: ServerHelloRetry(
            suite: suite, group: group, transcript: transcript, cookie: cookie, sentChangeCipherSpec: compatibility)))
    }
}

// MARK: - Resumption (RFC 8446 §4.2.11, §4.6.1)

/// At most this many PSK identities are tried per ClientHello (each costs a ticket decryption).
private let maxPSKIdentitiesTried = 4

extension Server13State {
    /// The first offered ticket we sealed, that is still valid for this server name and suite hash, and whose
    /// binder verifies. A ticket we cannot use just means a full handshake; a wrong binder is decrypt_error.
    static func acceptResumption(_ hello: ClientHello, io: any HandshakePort, raw: [UInt8], suite: TLS13SuiteParameters, serverName: String?,
                          start: ServerStart, mode: PSKKeyExchangeMode) throws(TLSError) -> (index: Int, state: TicketState)? {
        guard let keys = start.configuration.sessionTicketKeys,
              let offer = hello.extensions.preSharedKeyClient,
              io.common.pskKeyExchangeModes.contains(mode),
              hello.extensions.pskKeyExchangeModes?.contains(mode.rawValue) == true else { return nil }
        let provider = io.common.cryptoProvider
        let now = milliseconds(io.common.now())
        for (index, identity) in offer.identities.prefix(maxPSKIdentitiesTried).enumerated() {
            guard let plaintext = keys.open(identity.identity, provider: provider),
                  let state = TicketState(decoding: plaintext), state.version == .tls13,
                  TLS13SuiteParameters(state.cipherSuite)?.hash == suite.hash,
                  now >= state.created, now - state.created < UInt64(state.lifetime) * 1000,
                  state.serverName == (serverName ?? ""),
                  io.serverMayResume(clientAuthentication: state.clientAuthentication),
                  index < offer.binders.count else { continue }
            // The binder covers the ClientHello up to the binders list (and the HelloRetryRequest exchange before it).
            let bindersLength = 2 + offer.binders.reduce(0) { $0 + 1 + $1.count }
            guard bindersLength <= raw.count else { throw TLSError(.malformed, "binders longer than the ClientHello") }
            var transcript = start.helloRetry?.transcript ?? Transcript(provider: provider, hash: suite.hash)
            transcript.append(Array(raw.dropLast(bindersLength)))
            let expected = resumptionBinder(schedule: KeySchedule(provider: provider, hash: suite.hash), psk: state.secret,
                                            transcriptHash: transcript.currentHash)
            guard constantTimeEquals(expected, offer.binders[index]) else {
                throw TLSError(.peerMisbehaved(.binderMismatch), "the PSK binder does not verify")
            }
            return (index, state)
        }
        return nil
    }

    /// Sends `ticketsPerHandshake` NewSessionTicket messages, each a TicketState sealed with the ticket keys.
    static func sendSessionTickets(config: TLSServerConfiguration, io: any HandshakePort, resumptionSecret: [UInt8], schedule: KeySchedule, suite: TLS13SuiteParameters,
                            parameters: NegotiatedParameters, clientAuthentication: SessionAuthentication) throws(TLSError) {
        guard let keys = config.sessionTicketKeys, config.ticketsPerHandshake > 0 else { return }
        let lifetime = min(config.ticketLifetime, 7 * 24 * 3600)
        let now = io.common.now()
        for index in 0..<min(config.ticketsPerHandshake, 16) {
            let nonce = [UInt8(index)]
            let psk = schedule.expandLabel(resumptionSecret, label: .resumption, context: nonce, length: schedule.hash.digestLength)
            let ageAddBytes = io.random.bytes(4)
            let ageAdd = ageAddBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let state = TicketState(
                version: .tls13, cipherSuite: suite.suite, created: milliseconds(now), lifetime: lifetime, ageAdd: ageAdd,
                secret: psk, serverName: parameters.serverName ?? "", applicationProtocol: parameters.applicationProtocol ?? "",
                maxEarlyDataSize: config.maxEarlyDataSize, clientAuthentication: clientAuthentication)
            let ticket = try keys.seal(state.encode(), provider: io.common.cryptoProvider, random: &io.random, now: now)
            let message = HandshakeMessage.newSessionTicket(NewSessionTicket(
                ticketLifetime: lifetime, ticketAgeAdd: ageAdd, ticketNonce: nonce, ticket: ticket,
                extensions: config.maxEarlyDataSize > 0 ? [.earlyData(maxEarlyDataSize: config.maxEarlyDataSize)] : []))
            io.queueHandshake(try message.encode(), type: .newSessionTicket)
        }
        io.flushHandshake()
    }
}

extension Server13State {
    /// 0-RTT is accepted only on the first PSK, with the ticket's suite and ALPN, before any HelloRetryRequest, when
    /// the ticket allows it, the client's idea of the ticket age is close to ours, and the ticket never carried early
    /// data before (RFC 8446 §4.2.10, §8).
    /// Why early data offered in `hello` is rejected, or nil to accept it.
    static func earlyDataRejection(_ hello: ClientHello, io: any HandshakePort, resumption: (index: Int, state: TicketState)?, suite: TLS13SuiteParameters,
                            applicationProtocol: String?, start: ServerStart) -> EarlyDataRejection? {
        let config = start.configuration
        guard config.maxEarlyDataSize > 0 else { return .disabled }
        guard start.helloRetry == nil else { return .helloRetryRequest }
        guard let resumption, let identity = hello.extensions.preSharedKeyClient?.identities.first else { return .notResumed }
        guard resumption.index == 0 else { return .notFirstTicket }
        guard resumption.state.maxEarlyDataSize > 0 else { return .ticketWithoutEarlyData }
        guard resumption.state.cipherSuite == suite.suite else { return .cipherSuiteChanged }
        guard resumption.state.applicationProtocol == (applicationProtocol ?? "") else { return .applicationProtocolChanged }
        // RFC 8446 §8.2: a ticket from before the replay guard started may have carried early data already.
        guard resumption.state.created >= milliseconds(config.earlyDataReplayGuard.startedAt) else { return .ticketFromBeforeRestart }
        let now = io.common.now()
        let serverAge = Double(milliseconds(now) &- resumption.state.created)
        let clientAge = Double(identity.obfuscatedTicketAge &- resumption.state.ageAdd)
        guard abs(serverAge - clientAge) <= config.earlyDataAgeTolerance * 1000 else { return .ticketAgeOutOfWindow }
        guard config.earlyDataReplayGuard.claim(identity.identity, now: now, lifetime: TimeInterval(resumption.state.lifetime)) else {
            return .replayed
        }
        return nil
    }
}
