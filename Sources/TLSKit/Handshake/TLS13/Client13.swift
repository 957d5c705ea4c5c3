import Foundation

/// The TLS 1.3 client (RFC 8446 §2, §4), from the server's TLS 1.3 ServerHello on:
///
///     ← ServerHello                       start: (EC)DHE and/or PSK → handshake secrets, keys installed
///     ← EncryptedExtensions               ALPN, record_size_limit, early data answer, the server's groups
///     ← [CertificateRequest]
///     ← Certificate, (verify), CertificateVerify     (not when resuming: the PSK authenticates)
///     ← Finished
///     → [EndOfEarlyData], [Certificate, CertificateVerify], Finished     application secrets, then connected
enum Client13State {
    case expectEncryptedExtensions(ClientHandshake)
    case expectCertificateOrRequest(ClientHandshake)
    case expectCertificate(ClientHandshake)
    case awaitingVerification(ClientHandshake)
    case expectCertificateVerify(ClientHandshake)
    case expectFinished(ClientHandshake)
}

/// The client between ServerHello and its own Finished.
struct ClientHandshake {
    let configuration: TLSClientConfiguration
    var serverName: String?
    var clientRandom: [UInt8]
    var schedule: KeySchedule
    var suite: TLS13SuiteParameters
    var group: NamedGroup?
    var transcript: Transcript
    var handshakeSecret: HandshakeSecret
    var clientHandshakeSecret: [UInt8]
    var serverHandshakeSecret: [UInt8]
    var offeredExtensions: Set<ExtensionType>
    var sentChangeCipherSpec: Bool
    var usedHelloRetryRequest: Bool
    /// The session being resumed (the server accepted our PSK): no Certificate/CertificateVerify follow.
    var resumedSession: ClientSession? = nil
    var applicationProtocol: String? = nil
    var certificateRequest: CertificateRequest? = nil
    var serverCertificates: [[UInt8]] = []
    var serverSignatureScheme: SignatureScheme? = nil
    /// The first group of the server's supported_groups we support, kept as a key_share hint once the handshake ends.
    var serverPreferredGroup: NamedGroup? = nil
}


extension Client13State {
    /// The message types this state can take (checked before the body is decoded).
    func accepts(_ type: HandshakeType) -> Bool {
        switch self {
        case .expectEncryptedExtensions: return type == .encryptedExtensions
        case .expectCertificateOrRequest: return type == .certificate || type == .certificateRequest
        case .expectCertificate: return type == .certificate
        case .awaitingVerification: return false
        case .expectCertificateVerify: return type == .certificateVerify
        case .expectFinished: return type == .finished
        }
    }

    /// The state to continue in once the server's chain was verified.
    var afterVerification: Client13State {
        if case .awaitingVerification(let handshake) = self { return .expectCertificateVerify(handshake) }
        return self
    }

    /// Consumes the next message; returns the next state (`.connected` once our Finished is out).
    func handle(_ message: HandshakeMessage, raw: [UInt8], io: any HandshakePort) throws(TLSError) -> HandshakeState {
        switch (self, message) {
        case (.expectEncryptedExtensions(var handshake), .encryptedExtensions(let ee)):
            try Self.encryptedExtensions(ee, handshake: &handshake, io: io)
            handshake.transcript.append(raw)
            // A resumed handshake authenticates with the PSK: Finished comes next (RFC 8446 §2.2).
            return .client13(handshake.resumedSession != nil ? .expectFinished(handshake) : .expectCertificateOrRequest(handshake))
        case (.expectCertificateOrRequest(var handshake), .certificateRequest(let request)):
            guard request.certificateRequestContext.isEmpty else {
                throw TLSError(.peerMisbehaved(.invalidCertificateRequestContext), "CertificateRequest during the handshake must have an empty context")
            }
            guard request.extensions.signatureAlgorithms != nil else {
                throw TLSError(.peerMisbehaved(.missingSignatureAlgorithms), "CertificateRequest without signature_algorithms")
            }
            for ext in request.extensions {
                switch ext.type {
                case .signatureAlgorithms, .signatureAlgorithmsCert, .certificateAuthorities, .oidFilters, .statusRequest,
                     .signedCertificateTimestamp:
                    continue
                default:
                    // Unrecognized extensions are ignored (RFC 8446 §4.3.2); recognized ones out of place are not.
                    if recognizedExtensions.contains(ext.type) {
                        throw TLSError(.peerMisbehaved(.forbiddenExtension), "\(ext.type) is not allowed in CertificateRequest")
                    }
                }
            }
            handshake.certificateRequest = request
            handshake.transcript.append(raw)
            return .client13(.expectCertificate(handshake))
        case (.expectCertificateOrRequest(var handshake), .certificate(let certificate)),
             (.expectCertificate(var handshake), .certificate(let certificate)):
            guard certificate.certificateRequestContext.isEmpty else {
                throw TLSError(.peerMisbehaved(.invalidCertificateRequestContext), "server Certificate with a non-empty request context")
            }
            guard !certificate.entries.isEmpty else {
                throw TLSError(.malformed, "the server sent an empty Certificate")   // RFC 8446 §4.4.2.4
            }
            let stapled = try Self.checkCertificateEntries(certificate, offered: handshake.offeredExtensions)
            handshake.serverCertificates = certificate.entries.map(\.certificateDER)
            handshake.transcript.append(raw)
            var request = PeerVerificationRequest(
                chainDER: handshake.serverCertificates, role: .server, serverName: handshake.serverName, now: io.common.now())
            request.stapledOCSPResponse = stapled
            io.requestVerification(request)
            return .client13(.awaitingVerification(handshake))
        case (.expectCertificateVerify(var handshake), .certificateVerify(let verify)):
            guard io.common.signatureAlgorithms.contains(verify.algorithm), isAllowedInTLS13CertificateVerify(verify.algorithm) else {
                throw TLSError(.peerMisbehaved(.unofferedSignatureScheme), "the server signed with \(verify.algorithm), which we did not offer for TLS 1.3")
            }
            let content = certificateVerifyContent(server: true, transcriptHash: handshake.transcript.currentHash)
            let spki = try subjectPublicKeyInfo(ofCertificate: handshake.serverCertificates[0])
            try io.common.cryptoProvider.verifySignature(
                scheme: verify.algorithm, subjectPublicKeyInfo: spki, message: content, signature: verify.signature)
            handshake.serverSignatureScheme = verify.algorithm
            handshake.transcript.append(raw)
            return .client13(.expectFinished(handshake))
        case (.expectFinished(var handshake), .finished(let finished)):
            let expected = handshake.schedule.finishedVerifyData(
                baseKey: handshake.serverHandshakeSecret, transcriptHash: handshake.transcript.currentHash)
            try checkFinished(finished, expected: expected)
            handshake.transcript.append(raw)
            try Self.sendSecondFlight(&handshake, io: io)
            return .connected
        default:
            throw TLSError(.unexpectedMessage, "unexpected \(message.type) from the server")
        }
    }

    /// Checks the entries' extensions and returns the OCSP response stapled to the leaf, if any. Only status_request
    /// on the leaf, and only if we offered it, may appear (RFC 8446 §4.4.2: others are unsupported_extension).
    private static func checkCertificateEntries(_ certificate: CertificateMessage, offered: Set<ExtensionType>) throws(TLSError) -> [UInt8]? {
        guard certificate.entries.count <= maxPeerChainLength else {
            throw TLSError(.invalidCertificate(.budget), "peer chain of \(certificate.entries.count) certificates exceeds \(maxPeerChainLength)")
        }
        var stapled: [UInt8]?
        for (index, entry) in certificate.entries.enumerated() {
            for ext in entry.extensions {
                guard case .statusRequest(let body) = ext, index == 0, offered.contains(.statusRequest) else {
                    throw TLSError(.peerMisbehaved(.unsolicitedExtension), "certificate entry \(index) carries \(ext.type), which was not requested")
                }
                stapled = try CertificateStatusCodec.decodeOCSPResponse(body)
            }
        }
        return stapled
    }

    // MARK: ServerHello

    static func start(_ hello: ServerHello, raw: [UInt8], sent: ClientHelloSent, io: any HandshakePort) throws(TLSError) -> Client13State {
        try checkServerHelloCommon(hello, sent: sent, what: "ServerHello")
        try checkServerExtensions(hello.extensions, allowed: serverHelloExtensions, offered: sent.offeredExtensions, message: "ServerHello")
        guard let suite = TLS13SuiteParameters(hello.cipherSuite) else {
            throw TLSError(.peerMisbehaved(.unofferedCipherSuite), "ServerHello chose a suite we did not offer")
        }
        let serverShare = hello.extensions.keyShareServer
        var sharedSecret = [UInt8](repeating: 0, count: suite.hash.digestLength)   // psk_ke: no (EC)DHE input
        if let serverShare {
            guard let share = sent.keyShares.first(where: { $0.group == serverShare.group }) else {
                throw TLSError(.peerMisbehaved(.unofferedGroup), "ServerHello key_share for \(serverShare.group), which we sent no share for")
            }
            sharedSecret = try share.sharedSecret(serverShare: serverShare.keyExchange)
        } else {
            // Only a psk_ke resumption we offered may come without key_share (RFC 8446 §4.2.9).
            guard hello.extensions.preSharedKeySelectedIdentity != nil, io.common.pskKeyExchangeModes.contains(.pskOnly) else {
                throw TLSError(.peerMisbehaved(.missingKeyShare), "ServerHello without key_share")
            }
        }

        // Resumption: the server accepted our ticket (RFC 8446 §4.2.11).
        var psk: [UInt8]?
        if let selected = hello.extensions.preSharedKeySelectedIdentity {
            guard selected == 0, let session = sent.offeredSession, session.version == .tls13,
                  TLS13SuiteParameters(session.cipherSuite)?.hash == suite.hash else {
                throw TLSError(.peerMisbehaved(.unofferedPSK), "the server selected a PSK we did not offer, or one whose hash does not fit its suite")
            }
            psk = session.secret
        }

        let provider = io.common.cryptoProvider
        var transcript: Transcript
        if let retry = sent.helloRetry {
            transcript = retry.transcript
        } else {
            transcript = Transcript(provider: provider, hash: suite.hash)
            transcript.append(sent.clientHelloRaw)
        }
        transcript.append(raw)

        let schedule = KeySchedule(provider: provider, hash: suite.hash)
        let handshakeSecret = schedule.handshakeSecret(from: schedule.earlySecret(psk: psk), sharedSecret: sharedSecret)
        let hash = transcript.currentHash
        let handshakeTrafficSecrets = schedule.deriveSecrets(
            handshakeSecret.secret, labels: [.clientHandshakeTraffic, .serverHandshakeTraffic], transcriptHash: hash)
        let (clientSecret, serverSecret) = (handshakeTrafficSecrets[0], handshakeTrafficSecrets[1])
        let clientRandom = sent.clientHello.random
        io.enterVersion(.tls13)
        io.logKey("CLIENT_HANDSHAKE_TRAFFIC_SECRET", clientRandom: clientRandom, secret: clientSecret)
        io.logKey("SERVER_HANDSHAKE_TRAFFIC_SECRET", clientRandom: clientRandom, secret: serverSecret)
        try io.installReadKey(secret: serverSecret, schedule: schedule, aead: suite.aead)
        if sent.configuration.middleboxCompatibility && !sent.sentChangeCipherSpec && !io.earlyDataOffered {
            // RFC 8446 §D.4: the CCS goes before our first protected record — whatever that is, an alert included —
            // so it is sent as soon as the ServerHello is processed, as BoringSSL does.
            io.sendChangeCipherSpec()
        }
        if !io.earlyDataOffered || io.earlyDataAccepted == false {
            try io.installWriteKey(secret: clientSecret, schedule: schedule, aead: suite.aead)
        }   // else the early data key stays until EndOfEarlyData (or until EncryptedExtensions rejects early data)

        return .expectEncryptedExtensions(ClientHandshake(
            configuration: sent.configuration, serverName: sent.serverName, clientRandom: clientRandom, schedule: schedule, suite: suite,
            group: serverShare?.group, transcript: transcript, handshakeSecret: handshakeSecret,
            clientHandshakeSecret: clientSecret, serverHandshakeSecret: serverSecret,
            offeredExtensions: sent.offeredExtensions,
            sentChangeCipherSpec: sent.sentChangeCipherSpec || (sent.configuration.middleboxCompatibility && !io.earlyDataOffered),
            usedHelloRetryRequest: sent.helloRetry != nil, resumedSession: psk != nil ? sent.offeredSession : nil))
    }

    // MARK: EncryptedExtensions

    private static func encryptedExtensions(_ ee: EncryptedExtensions, handshake: inout ClientHandshake, io: any HandshakePort) throws(TLSError) {
        try checkServerExtensions(ee.extensions, allowed: encryptedExtensionsAllowed, offered: handshake.offeredExtensions, message: "EncryptedExtensions")
        for ext in ee.extensions {
            switch ext {
            case .alpn(let names):
                handshake.applicationProtocol = try io.acceptedApplicationProtocol(names)
            case .recordSizeLimit(let limit):
                try io.applyPeerRecordSizeLimit(limit, tls13: true)
                // The server answered, so the limit we announced is negotiated: enforce it on what we receive.
                if let ourLimit = io.common.recordSizeLimit {
                    io.limitIncomingRecords(toInnerPlaintext: Int(ourLimit))
                }
            case .serverName(let name):
                guard name == nil else { throw TLSError(.malformed, "server_name in EncryptedExtensions must be empty") }
            case .supportedGroups(let serverGroups):
                // The server's preference, in its order. Only used for later connections, and only a group we offer
                // anyway (RFC 8446 §4.2.7: never acted upon before the handshake completes; a bad hint costs an HRR).
                handshake.serverPreferredGroup = serverGroups.first { io.common.supportedGroups.contains($0) && io.common.cryptoProvider.supports(group: $0) }
            default:
                continue
            }
        }
        // 0-RTT: the answer comes with the ALPN choice, which decides what happens to rejected early data.
        if let ticket = io.earlyDataTicket {
            if ee.extensions.contains(.earlyData) {
                guard handshake.resumedSession != nil else {
                    throw TLSError(.peerMisbehaved(.invalidEarlyDataAcceptance), "early data accepted without accepting our PSK")
                }
                // RFC 8446 §4.2.10: accepting early data means keeping the ticket's cipher suite and ALPN protocol.
                guard handshake.suite.suite == ticket.cipherSuite, handshake.applicationProtocol == ticket.applicationProtocol else {
                    throw TLSError(.peerMisbehaved(.invalidEarlyDataAcceptance), "early data accepted with another cipher suite or ALPN protocol than the ticket's")
                }
                io.earlyDataWasAccepted()
            } else {
                io.earlyDataRejected()
                try io.installWriteKey(secret: handshake.clientHandshakeSecret, schedule: handshake.schedule, aead: handshake.suite.aead)
            }
            if io.earlyDataAccepted == false {
                io.settleRejectedEarlyData(resend: handshake.applicationProtocol == ticket.applicationProtocol)
            }
        }
    }

    // MARK: The client's second flight

    private static func sendSecondFlight(_ handshake: inout ClientHandshake, io: any HandshakePort) throws(TLSError) {
        let schedule = handshake.schedule
        let master = schedule.masterSecret(from: handshake.handshakeSecret)
        let hashAfterServerFinished = handshake.transcript.currentHash
        let applicationSecrets = schedule.deriveSecrets(
            master.secret, labels: [.clientApplicationTraffic, .serverApplicationTraffic, .exporterMaster], transcriptHash: hashAfterServerFinished)
        let (clientAppSecret, serverAppSecret, exporterSecret) = (applicationSecrets[0], applicationSecrets[1], applicationSecrets[2])
        io.logKey("CLIENT_TRAFFIC_SECRET_0", clientRandom: handshake.clientRandom, secret: clientAppSecret)
        io.logKey("SERVER_TRAFFIC_SECRET_0", clientRandom: handshake.clientRandom, secret: serverAppSecret)
        io.logKey("EXPORTER_SECRET", clientRandom: handshake.clientRandom, secret: exporterSecret)
        try io.installReadKey(secret: serverAppSecret, schedule: schedule, aead: handshake.suite.aead)

        if handshake.configuration.middleboxCompatibility && !handshake.sentChangeCipherSpec {
            // The CCS precedes our first protected record (change_cipher_spec is never protected).
            io.sendChangeCipherSpec()
            handshake.sentChangeCipherSpec = true
        }
        if io.earlyDataAccepted == true {
            // RFC 8446 §4.5: EndOfEarlyData, still under the early data key, then the handshake key.
            try io.sendHandshake(.endOfEarlyData, transcript: &handshake.transcript)
            try io.installWriteKey(secret: handshake.clientHandshakeSecret, schedule: schedule, aead: handshake.suite.aead)
        }

        var clientScheme: SignatureScheme?
        if let request = handshake.certificateRequest {
            let offered = request.extensions.signatureAlgorithms ?? []
            let identity = handshake.configuration.certificate
            let scheme = identity?.privateKey.supportedSchemes.first { offered.contains($0) && isAllowedInTLS13CertificateVerify($0) }
            if let identity, let scheme {
                let entries = identity.chain.derEncoded.map { CertificateMessage.Entry(certificateDER: $0) }
                try io.sendHandshake(.certificate(CertificateMessage(certificateRequestContext: request.certificateRequestContext, entries: entries)),
                              transcript: &handshake.transcript)
                let content = certificateVerifyContent(server: false, transcriptHash: handshake.transcript.currentHash)
                let signature = try identity.privateKey.sign(scheme: scheme, message: content)
                try io.sendHandshake(.certificateVerify(CertificateVerify(algorithm: scheme, signature: signature)), transcript: &handshake.transcript)
                clientScheme = scheme
            } else {
                // No certificate, or none the server accepts: an empty Certificate lets the server decide.
                try io.sendHandshake(.certificate(CertificateMessage(certificateRequestContext: request.certificateRequestContext, entries: [])),
                              transcript: &handshake.transcript)
            }
        }
        let verifyData = schedule.finishedVerifyData(baseKey: handshake.clientHandshakeSecret, transcriptHash: handshake.transcript.currentHash)
        try io.sendHandshake(.finished(Finished(verifyData: verifyData)), transcript: &handshake.transcript)
        let resumptionSecret = schedule.deriveSecret(master.secret, label: .resumptionMaster, transcriptHash: handshake.transcript.currentHash)
        try io.installWriteKey(secret: clientAppSecret, schedule: schedule, aead: handshake.suite.aead)

        if let group = handshake.serverPreferredGroup, let serverName = handshake.serverName {
            handshake.configuration.sessionCache?.rememberPreferredGroup(group, for: serverName)
        }
        // The server identity this connection has: verified just now, or the one the resumed session carries.
        let serverAuthentication = handshake.resumedSession?.serverAuthentication ?? io.verifiedAuthentication(
            chain: handshake.serverCertificates, signatureScheme: handshake.serverSignatureScheme)
        try io.completeHandshake(
            NegotiatedParameters(
                version: .tls13, cipherSuite: handshake.suite.suite, group: handshake.group,
                serverSignatureScheme: handshake.resumedSession != nil ? serverAuthentication.peerSignatureScheme : handshake.serverSignatureScheme,
                clientSignatureScheme: clientScheme,
                applicationProtocol: handshake.applicationProtocol, serverName: handshake.serverName,
                peerCertificates: handshake.resumedSession != nil ? serverAuthentication.peerCertificates : handshake.serverCertificates,
                usedHelloRetryRequest: handshake.usedHelloRetryRequest,
                resumed: handshake.resumedSession != nil),
            traffic: .tls13(TrafficState(
                role: .client, schedule: schedule, suite: handshake.suite, clientApplicationSecret: clientAppSecret,
                serverApplicationSecret: serverAppSecret, exporterMasterSecret: exporterSecret,
                resumptionMasterSecret: resumptionSecret, peerAuthentication: serverAuthentication)))
    }
}
