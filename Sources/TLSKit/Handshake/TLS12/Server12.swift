import Foundation

/// The TLS 1.2 server (RFC 5246 §7.3), from a ClientHello that settles on TLS 1.2:
///
///     full:        → ServerHello, Certificate, [CertificateStatus], ServerKeyExchange, [CertificateRequest], ServerHelloDone
///                  ← [Certificate, (verify)], ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished
///                  → [NewSessionTicket], ChangeCipherSpec, Finished
///     abbreviated: → ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished   (a session from a ticket or our cache)
///                  ← ChangeCipherSpec, Finished
enum Server12State {
    case expectCertificate(Server12Handshake)
    case awaitingVerification(Server12Handshake)
    case expectClientKeyExchange(Server12Handshake)
    case expectCertificateVerify(Server12Handshake)
    case expectChangeCipherSpec(Server12Handshake)
    case expectFinished(Server12Handshake)
}

/// What the server knows between its ServerHello and the client's Finished.
struct Server12Handshake {
    let configuration: TLSServerConfiguration
    var version: ProtocolVersion = .tls12
    var encryptThenMAC = false
    var clientRandom: [UInt8]
    var serverRandom: [UInt8]
    var suite: TLS12SuiteParameters
    var prf: TLS12PRF
    var transcript: Transcript
    var extendedMasterSecret: Bool
    var keyShare: (any KeyShareSecret)?
    var parameters: NegotiatedParameters
    var certificateRequest: CertificateRequest12?
    var clientCertificates: [[UInt8]] = []
    var masterSecret: [UInt8] = []
    var sessionID: [UInt8] = []
    /// Send a NewSessionTicket before our ChangeCipherSpec (the client offered session_ticket).
    var issueTicket = false
    /// An abbreviated handshake: we already sent our Finished; the client's ends it.
    var abbreviated = false
    /// Resumed: the client authentication the session carries (nil in a full handshake, where it is verified now).
    var resumedAuthentication: SessionAuthentication? = nil
}

extension Server12State {
    /// The message types this state can take (checked before the body is decoded).
    func accepts(_ type: HandshakeType) -> Bool {
        switch self {
        case .expectCertificate: return type == .certificate
        case .awaitingVerification, .expectChangeCipherSpec: return false
        case .expectClientKeyExchange: return type == .clientKeyExchange
        case .expectCertificateVerify: return type == .certificateVerify
        case .expectFinished: return type == .finished
        }
    }

    /// The negotiated version (TLS 1.2, or 1.1/1.0 with legacy versions enabled).
    var version: ProtocolVersion {
        switch self {
        case .expectCertificate(let h), .awaitingVerification(let h), .expectClientKeyExchange(let h),
             .expectCertificateVerify(let h), .expectChangeCipherSpec(let h), .expectFinished(let h):
            return h.version
        }
    }

    /// The state to continue in once the client's chain was verified.
    var afterVerification: Server12State {
        if case .awaitingVerification(let handshake) = self { return .expectClientKeyExchange(handshake) }
        return self
    }

    // MARK: ClientHello

    /// Answers a ClientHello that settled on TLS 1.2 (or, with legacy versions enabled, TLS 1.1/1.0 as `version`)
    /// with our first flight (or, resuming a TLS 1.2 session, our last).
    static func start(_ hello: ClientHello, raw: [UInt8], configuration config: TLSServerConfiguration,
                      version: ProtocolVersion = .tls12, io: any HandshakePort) throws(TLSError) -> Server12State {
        let common = io.common
        let provider = common.cryptoProvider
        let extensions = hello.extensions
        let legacy = version < .tls12
        io.enterVersion(version)

        guard hello.legacyCompressionMethods.contains(0) else {
            throw TLSError(.peerMisbehaved(.invalidCompression), "the ClientHello does not offer the null compression method")
        }
        // RFC 5746: the client signals secure renegotiation with the SCSV or an empty renegotiation_info.
        var secureRenegotiation = hello.cipherSuites.contains(.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
        if case .renegotiationInfo(let data)? = extensions.first(.renegotiationInfo) {
            guard data.isEmpty else { throw TLSError(.peerMisbehaved(.renegotiationInfoNotEmpty), "renegotiation_info must be empty in an initial handshake") }
            secureRenegotiation = true
        }
        let ems = extensions.contains(.extendedMasterSecret)
        if !ems && common.requireExtendedMasterSecret {
            throw TLSError(.peerIncompatible(.extendedMasterSecretRequired), "the client does not offer extended master secret (RFC 7627)")
        }
        if let formats = extensions.first(.ecPointFormats), case .ecPointFormats(let list) = formats, !list.contains(0) {
            throw TLSError(.peerIncompatible(.uncompressedPointsRequired), "the client does not accept uncompressed points")
        }
        // RFC 8422 §4: without supported_groups, assume the NIST curves.
        let clientGroups = extensions.supportedGroups ?? [.secp256r1, .secp384r1]
        guard let group = common.supportedGroups.first(where: {
            tls12Groups.contains($0) && clientGroups.contains($0) && provider.supports(group: $0)
        }) else {
            throw TLSError(.peerIncompatible(.noCommonGroup), "no ECDHE group in common")
        }
        let serverName = extensions.serverNameValue
        let identity = try config.identity(for: serverName)
        // TLS 1.2: the schemes both sides accept. Without signature_algorithms TLS 1.2 defaults to SHA-1, which we
        // refuse. TLS 1.0/1.1 have no schemes (RFC 2246 §7.4.3): the suite and the key type fix the signature.
        let usableSchemes: [SignatureScheme]
        if legacy {
            usableSchemes = LegacySignature.canSign(identity.privateKey) ? identity.privateKey.supportedSchemes : []
        } else {
            guard let clientSchemes = extensions.signatureAlgorithms else {
                throw TLSError(.peerIncompatible(.noCommonSignatureScheme), "the client sent no signature_algorithms (SHA-1 signatures are refused)")
            }
            usableSchemes = identity.privateKey.supportedSchemes.filter { clientSchemes.contains($0) && isAllowedInTLS12($0) }
        }
        let ourSuites = common.tls12Suites.filter { $0.usable(in: version) }
        let candidates = config.preferServerCipherOrder
            ? ourSuites.filter { hello.cipherSuites.contains($0.suite) }
            : hello.cipherSuites.compactMap { suite in ourSuites.first { $0.suite == suite } }
        guard let suite = candidates.first(where: { $0.accepts(usableSchemes) }) else {
            throw TLSError(.peerIncompatible(.noCommonCipherSuite), "no \(version) cipher suite in common for our certificate")
        }
        // (TLS 1.0/1.1: the key's first scheme only says which key type signs; it is not sent nor reported.)
        guard let scheme = usableSchemes.first(where: { suite.accepts([$0]) }) else {
            throw TLSError(.peerIncompatible(.noCommonSignatureScheme), "the client accepts no signature scheme our key can make")
        }
        // RFC 7366: encrypt-then-MAC when the client asks and the suite is CBC.
        let encryptThenMAC = suite.isCBC && extensions.contains(.encryptThenMAC)
        let applicationProtocol = try io.selectApplicationProtocol(offered: extensions.alpnProtocols)

        // Resumption (RFC 5077 ticket first, then the session-ID cache), only with the same suite and EMS state.
        // (Legacy versions never resume: their sessions are neither issued nor accepted.)
        let resumed = legacy ? nil : try resumableSession(hello, serverName: serverName, clientEMS: ems, ourSuites: ourSuites, config: config, io: io)
        let suiteInUse = resumed.flatMap { TLS12SuiteParameters($0.cipherSuite) } ?? suite
        // A session without the extended master secret is never resumed (resumableSession), so none is issued:
        // no ticket, no session ID (an empty ID tells the client there is nothing to resume, RFC 5246 §7.4.1.3).
        let clientWantsTicket = !legacy && ems && extensions.contains(.sessionTicket) && config.sessionTicketKeys != nil

        // ServerHello; the random carries the downgrade sentinel when we could have done TLS 1.3.
        var serverRandom = io.random.bytes(32)
        if legacy && common.maximumVersion >= .tls12 {
            // RFC 8446 §4.1.3: TLS 1.1 or below chosen by a server that supports more.
            serverRandom = Array(serverRandom.prefix(24)) + downgradeSentinelTLS11
        } else if common.maximumVersion >= .tls13 {
            serverRandom = Array(serverRandom.prefix(24)) + downgradeSentinelTLS12
        }
        var serverExtensions: [Extension] = []
        if secureRenegotiation { serverExtensions.append(.renegotiationInfo([])) }
        if ems { serverExtensions.append(.extendedMasterSecret) }
        if extensions.contains(.ecPointFormats) { serverExtensions.append(.ecPointFormats([0])) }
        if serverName != nil && resumed == nil { serverExtensions.append(.serverName(nil)) }
        if let applicationProtocol { serverExtensions.append(.alpn([Array(applicationProtocol.utf8)])) }
        if clientWantsTicket { serverExtensions.append(.sessionTicket([])) }
        if encryptThenMAC { serverExtensions.append(.unknown(.encryptThenMAC, [])) }
        if let clientLimit = extensions.recordSizeLimit {
            // RFC 8449: the client's limit caps what we send; ours is announced when configured.
            try io.applyPeerRecordSizeLimit(clientLimit, tls13: false)
            if let ourLimit = common.recordSizeLimit {
                serverExtensions.append(.recordSizeLimit(min(ourLimit, 16_384)))
                // Negotiated: the client's protected records (after its ChangeCipherSpec) obey our limit.
                io.limitIncomingRecords(toInnerPlaintext: Int(min(ourLimit, 16_384)))
            }
        }
        // OCSP stapling (RFC 6066 §8): acknowledge with an empty status_request, then send CertificateStatus.
        var staple: [UInt8]?
        if resumed == nil, let response = identity.ocspResponse, !response.isEmpty,
           case .statusRequest(let request)? = extensions.first(.statusRequest), request.first == CertificateStatusCodec.ocsp {
            staple = response
            serverExtensions.append(.statusRequest([]))
        }
        // Resuming: echo the client's session ID. New session: a fresh ID when we cache sessions.
        let sessionID = resumed != nil ? hello.legacySessionID : (!legacy && ems && config.sessionIDCache != nil ? io.random.bytes(32) : [])
        let serverHello = ServerHello(legacyVersion: version, random: serverRandom, legacySessionIDEcho: sessionID, cipherSuite: suiteInUse.suite,
                                      extensions: serverExtensions)
        var transcript = Transcript(provider: provider, hash: suiteInUse.hash, version: version)
        transcript.append(raw)
        try io.sendHandshake(.serverHello(serverHello), transcript: &transcript)
        /// The server's handshake state once its flight is written (full or abbreviated).
        func makeHandshake(transcript: Transcript, keyShare: (any KeyShareSecret)?, group: NamedGroup?,
                           scheme: SignatureScheme?, certificateRequest: CertificateRequest12?) -> Server12Handshake {
            var handshake = Server12Handshake(
                configuration: config, clientRandom: hello.random, serverRandom: serverRandom, suite: suiteInUse,
                prf: TLS12PRF(provider: provider, hash: suiteInUse.hash, version: version), transcript: transcript,
                extendedMasterSecret: ems, keyShare: keyShare,
                parameters: NegotiatedParameters(
                    version: version, cipherSuite: suiteInUse.suite, group: group, serverSignatureScheme: scheme,
                    clientSignatureScheme: nil, applicationProtocol: applicationProtocol, serverName: serverName,
                    peerCertificates: [], usedHelloRetryRequest: false, resumed: resumed != nil, extendedMasterSecret: ems),
                certificateRequest: certificateRequest)
            handshake.sessionID = sessionID
            handshake.issueTicket = clientWantsTicket
            handshake.version = version
            handshake.encryptThenMAC = encryptThenMAC
            var parameters = handshake.parameters
            handshake.recordLegacyProtections(in: &parameters)
            handshake.parameters = parameters
            return handshake
        }
        if let resumed {
            var handshake = makeHandshake(transcript: transcript, keyShare: nil, group: nil, scheme: nil, certificateRequest: nil)
            handshake.masterSecret = resumed.secret
            handshake.abbreviated = true
            handshake.resumedAuthentication = resumed.clientAuthentication
            handshake.clientCertificates = resumed.clientAuthentication.peerCertificates
            handshake.parameters.clientSignatureScheme = resumed.clientAuthentication.peerSignatureScheme
            try sendFinishedFlight(&handshake, io: io)
            return .expectChangeCipherSpec(handshake)
        }
        try io.sendHandshake(.certificate12(CertificateMessage12(certificates: identity.chain.derEncoded)), transcript: &transcript)
        if let staple { try io.sendHandshake(.certificateStatus(ocspResponse: staple), transcript: &transcript) }

        let share = try provider.generateKeyShare(group, random: &io.random)
        let parameters = ServerECDHParameters(group: group, publicKey: share.publicShare)
        let signed = try hello.random + serverRandom + parameters.encoded
        // TLS 1.0/1.1 (RFC 2246 §7.4.3, RFC 4492 §5.4): RSA over MD5 ‖ SHA-1, ECDSA over SHA-1, no scheme sent.
        let signature = legacy ? try LegacySignature.sign(identity.privateKey, message: signed)
                               : try identity.privateKey.sign(scheme: scheme, message: signed)
        try io.sendHandshake(.serverKeyExchange(ServerKeyExchange(parameters: parameters, signatureScheme: legacy ? nil : scheme,
                                                                  signature: signature)),
                             transcript: &transcript)
        var certificateRequest: CertificateRequest12?
        switch config.clientAuthentication {
        case .none: break
        case .optional where legacy:
            break   // no TLS 1.0/1.1 client authentication (a required one refused the version in ServerStart)
        case .optional, .required:
            let request = CertificateRequest12(
                certificateTypes: [64, 1],   // ecdsa_sign, rsa_sign
                signatureAlgorithms: common.signatureAlgorithms.filter(isAllowedInTLS12),
                certificateAuthorities: [])
            try io.sendHandshake(.certificateRequest12(request), transcript: &transcript)
            certificateRequest = request
        }
        try io.sendHandshake(.serverHelloDone, transcript: &transcript)

        let handshake = makeHandshake(transcript: transcript, keyShare: share, group: group, scheme: legacy ? nil : scheme,
                                      certificateRequest: certificateRequest)
        return certificateRequest != nil ? .expectCertificate(handshake) : .expectClientKeyExchange(handshake)
    }

    // MARK: The client's flight

    /// Consumes the next message; returns the next state (`.connected` once the handshake is done).
    func handle(_ message: HandshakeMessage, raw: [UInt8], io: any HandshakePort) throws(TLSError) -> HandshakeState {
        let common = io.common
        switch (self, message) {
        case (.expectCertificate(var handshake), .certificate12(let certificate)):
            handshake.transcript.append(raw)
            if certificate.certificates.isEmpty {
                if case .required = handshake.configuration.clientAuthentication {
                    throw TLSError(.peerIncompatible(.certificateRequiredTLS12), "the client sent no certificate, and one is required")
                }
                return .server12(.expectClientKeyExchange(handshake))
            }
            guard certificate.certificates.count <= maxPeerChainLength else {
                throw TLSError(.invalidCertificate(.budget), "client chain of \(certificate.certificates.count) certificates exceeds \(maxPeerChainLength)")
            }
            handshake.clientCertificates = certificate.certificates
            io.requestVerification(PeerVerificationRequest(
                chainDER: handshake.clientCertificates, role: .client, serverName: nil, now: common.now()))
            return .server12(.awaitingVerification(handshake))
        case (.expectClientKeyExchange(var handshake), .clientKeyExchange(let exchange)):
            guard let keyShare = handshake.keyShare else { throw TLSError(.internal, "no key share") }
            let preMasterSecret = try keyShare.sharedSecret(serverShare: exchange.publicKey)
            handshake.transcript.append(raw)
            handshake.masterSecret = handshake.extendedMasterSecret
                ? handshake.prf.extendedMasterSecret(preMasterSecret: preMasterSecret, sessionHash: handshake.transcript.currentHash)
                : handshake.prf.legacyMasterSecret(preMasterSecret: preMasterSecret, clientRandom: handshake.clientRandom,
                                                   serverRandom: handshake.serverRandom)
            io.logKey("CLIENT_RANDOM", clientRandom: handshake.clientRandom, secret: handshake.masterSecret)
            return .server12(handshake.clientCertificates.isEmpty ? .expectChangeCipherSpec(handshake) : .expectCertificateVerify(handshake))
        case (.expectCertificateVerify(var handshake), .certificateVerify(let verify)):
            let requested = handshake.certificateRequest?.signatureAlgorithms ?? []
            guard requested.contains(verify.algorithm), isAllowedInTLS12(verify.algorithm) else {
                throw TLSError(.peerMisbehaved(.unofferedSignatureScheme), "the client signed with \(verify.algorithm), which we did not request")
            }
            let spki = try subjectPublicKeyInfo(ofCertificate: handshake.clientCertificates[0])
            try common.cryptoProvider.verifyTLS12Signature(
                scheme: verify.algorithm, subjectPublicKeyInfo: spki, message: handshake.transcript.messages ?? [],
                signature: verify.signature)
            handshake.parameters.clientSignatureScheme = verify.algorithm
            handshake.transcript.append(raw)
            return .server12(.expectChangeCipherSpec(handshake))
        case (.expectFinished(var handshake), .finished(let finished)):
            try handshake.checkPeerFinished(finished, raw: raw, io: io)
            if !handshake.abbreviated {
                try Self.sendFinishedFlight(&handshake, io: io)
            }
            var parameters = handshake.parameters
            parameters.peerCertificates = handshake.clientCertificates
            try io.completeHandshake(parameters, traffic: .tls12(handshake.traffic))
            return .connected
        default:
            throw TLSError(.unexpectedMessage, "unexpected \(message.type) from the client")
        }
    }

    /// The client's ChangeCipherSpec: its keys take over what we read.
    func changeCipherSpec(io: any HandshakePort) throws(TLSError) -> Server12State {
        guard case .expectChangeCipherSpec(let handshake) = self else {
            // An early ChangeCipherSpec (the CVE-2014-0224 shape).
            throw TLSError(.peerMisbehaved(.changeCipherSpecOutOfPlace), "change_cipher_spec at the wrong point of the TLS 1.2 handshake")
        }
        try installTLS12Keys(io, handshake, write: false)
        return .expectFinished(handshake)
    }

    // MARK: Our last flight and resumption (RFC 5246 §7.3, RFC 5077, RFC 7627 §5.3)

    /// [NewSessionTicket], ChangeCipherSpec, Finished. Caches the session under its ID.
    private static func sendFinishedFlight(_ handshake: inout Server12Handshake, io: any HandshakePort) throws(TLSError) {
        let config = handshake.configuration
        let now = io.common.now()
        // The session carries the client identity this connection has: verified just now, or resumed.
        let authentication = handshake.resumedAuthentication ?? io.verifiedAuthentication(
            chain: handshake.clientCertificates, signatureScheme: handshake.parameters.clientSignatureScheme)
        let state = TicketState(
            version: .tls12, cipherSuite: handshake.suite.suite, created: milliseconds(now),
            lifetime: min(config.ticketLifetime, 7 * 24 * 3600), ageAdd: 0, secret: handshake.masterSecret,
            serverName: handshake.parameters.serverName ?? "", applicationProtocol: handshake.parameters.applicationProtocol ?? "",
            extendedMasterSecret: handshake.extendedMasterSecret, clientAuthentication: authentication)
        if handshake.issueTicket, let keys = config.sessionTicketKeys {
            let ticket = try keys.seal(state.encode(), provider: io.common.cryptoProvider, random: &io.random, now: now)
            try io.sendHandshake(.newSessionTicket12(NewSessionTicket12(lifetimeHint: state.lifetime, ticket: ticket)),
                                 transcript: &handshake.transcript)
        }
        if !handshake.sessionID.isEmpty && !handshake.abbreviated {
            config.sessionIDCache?.store(state, sessionID: handshake.sessionID)
        }
        try handshake.sendChangeCipherSpecAndFinished(io: io)
    }

    /// A session this ClientHello may resume: from its ticket, else from its session ID; nil means a full handshake.
    /// Throws handshake_failure when the session used the extended master secret and this ClientHello does not.
    private static func resumableSession(_ hello: ClientHello, serverName: String?, clientEMS: Bool,
                                         ourSuites: [TLS12SuiteParameters], config: TLSServerConfiguration,
                                         io: any HandshakePort) throws(TLSError) -> TicketState? {
        let now = io.common.now()
        var candidate: TicketState?
        if case .sessionTicket(let ticket)? = hello.extensions.first(.sessionTicket), !ticket.isEmpty,
           let keys = config.sessionTicketKeys, let plaintext = keys.open(ticket, provider: io.common.cryptoProvider) {
            candidate = TicketState(decoding: plaintext)
        }
        if candidate == nil, !hello.legacySessionID.isEmpty {
            candidate = config.sessionIDCache?.lookup(hello.legacySessionID, now: now)
        }
        guard let state = candidate, state.version == .tls12,
              milliseconds(now) >= state.created, milliseconds(now) - state.created < UInt64(state.lifetime) * 1000,
              state.serverName == (serverName ?? ""),
              io.serverMayResume(clientAuthentication: state.clientAuthentication),
              hello.cipherSuites.contains(state.cipherSuite),
              ourSuites.contains(where: { $0.suite == state.cipherSuite }) else { return nil }
        // RFC 7627 §5.3: the original session used the extended master secret and this ClientHello does not offer
        // it: abort with handshake_failure, as BoringSSL (SSL_R_RESUMED_EMS_SESSION_WITHOUT_EMS_EXTENSION) and Go do.
        // Only for a session we would otherwise resume, as Go does.
        if state.extendedMasterSecret && !clientEMS {
            throw TLSError(.peerMisbehaved(.extendedMasterSecretChanged), "the client resumes a session that used extended master secret without offering it (RFC 7627 §5.3)")
        }
        // The original session did not use it: a full handshake, as BoringSSL does (it drops the session when the
        // EMS states differ; §5.3 MUST NOT resume). BoringSSL still resumes it when neither side uses the extension;
        // we never do (§5.3: SHOULD abort; a full handshake keeps such a client working, without the insecure
        // resumption). We issue no such sessions; one could only come from an older TLSKit sharing our keys or cache.
        guard state.extendedMasterSecret else { return nil }
        return state
    }
}
