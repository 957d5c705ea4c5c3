import Foundation

/// TLS 1.2 (RFC 5246) full handshakes with ECDHE and AEAD suites, extended master secret (RFC 7627),
/// secure-renegotiation signalling (RFC 5746, renegotiation itself refused) and the RFC 8446 §4.1.3 downgrade
/// sentinel. Both roles.

/// Secrets after a TLS 1.2 handshake.
struct TLS12Traffic: Sendable {
    let prf: TLS12PRF
    let suite: TLS12SuiteParameters
    var masterSecret: [UInt8]
    let clientRandom: [UInt8]
    let serverRandom: [UInt8]
}

struct Client12Handshake {
    var serverName: String?
    var clientRandom: [UInt8]
    var serverRandom: [UInt8]
    var suite: TLS12SuiteParameters
    var prf: TLS12PRF
    var transcript: Transcript
    var extendedMasterSecret: Bool
    var applicationProtocol: String?
    var serverCertificates: [[UInt8]] = []
    /// The server acknowledged status_request: a CertificateStatus may follow its Certificate (RFC 6066 §8).
    var expectCertificateStatus = false
    var serverParameters: ServerECDHParameters? = nil
    var serverSignatureScheme: SignatureScheme? = nil
    var certificateRequest: CertificateRequest12? = nil
    var clientSignatureScheme: SignatureScheme? = nil
    var masterSecret: [UInt8] = []
    var group: NamedGroup? = nil
    /// The session ID the server gave (kept for resumption).
    var sessionID: [UInt8] = []
    /// The server announced a NewSessionTicket (session_ticket in its ServerHello).
    var expectTicket = false
    var newTicket: NewSessionTicket12? = nil
    /// Resuming `resumedSession` with an abbreviated handshake (RFC 5246 §7.3).
    var resumedSession: ClientSession? = nil
}

struct Server12Handshake {
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

/// Schemes acceptable for TLS 1.2 signatures: no SHA-1, no MD5 (the IANA list of schemes we implement).
func isAllowedInTLS12(_ scheme: SignatureScheme) -> Bool {
    switch scheme {
    case .ecdsa_secp256r1_sha256, .ecdsa_secp384r1_sha384, .ecdsa_secp521r1_sha512, .ed25519,
         .rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512,
         .rsa_pkcs1_sha256, .rsa_pkcs1_sha384, .rsa_pkcs1_sha512:
        return true
    default:
        return false
    }
}

/// Extensions that exist only in TLS 1.3 (RFC 8446 §4.2): in a TLS 1.2 ServerHello they are illegal_parameter. Any
/// other extension we offered may be echoed (RFC 5246 §7.4.1.4 forbids only unsolicited ones); unknown meaning is
/// ignored, as BoringSSL and OpenSSL do for e.g. an echoed supported_groups.
private let tls13OnlyExtensions: Set<ExtensionType> = [
    .keyShare, .preSharedKey, .earlyData, .supportedVersions, .cookie, .pskKeyExchangeModes, .postHandshakeAuth,
    .signatureAlgorithmsCert, .certificateAuthorities, .oidFilters,
]

/// The groups TLS 1.2 ECDHE can use.
private let tls12Groups: Set<NamedGroup> = [.x25519, .secp256r1, .secp384r1, .secp521r1]

extension TLSConnection {
    // MARK: - Client

    func clientHandleServerHello12(_ hello: ServerHello, raw: [UInt8], sent: ClientHelloSent) throws(TLSError) {
        // RFC 8446 §4.2.10: a client that offered 0-RTT MUST abort on a TLS 1.2 (or older) ServerHello; our early data
        // went out under a TLS 1.3 key. protocol_version, as BoringSSL sends (SSL_R_WRONG_VERSION_ON_EARLY_DATA).
        if earlyDataOffered {
            throw TLSError(.protocolVersion, "the server chose TLS 1.2 after we offered TLS 1.3 early data")
        }
        let tail = Array(hello.random.suffix(8))
        if sent.offeredTLS13 && (tail == downgradeSentinelTLS12 || tail == downgradeSentinelTLS11) {
            throw TLSError(.illegalParameter, "downgrade detected: the server supports TLS 1.3 but chose TLS 1.2")
        }
        guard let suite = TLS12SuiteParameters(hello.cipherSuite), sent.clientHello.cipherSuites.contains(hello.cipherSuite) else {
            throw TLSError(.illegalParameter, "ServerHello chose \(hello.cipherSuite), which we did not offer for TLS 1.2")
        }
        guard hello.legacyCompressionMethod == 0 else {
            throw TLSError(.illegalParameter, "ServerHello chose a compression method")
        }
        try checkServerExtensions(hello.extensions, allowed: sent.offeredExtensions.subtracting(tls13OnlyExtensions),
                                  offered: sent.offeredExtensions, message: "TLS 1.2 ServerHello")
        // A full handshake must not echo the random session ID of our TLS 1.3 compatibility mode: that would claim
        // the resumption of a session that never existed (BoringSSL: illegal_parameter).
        let offeredTLS12Session = sent.offeredSession?.version == .tls12
        if !offeredTLS12Session && !hello.legacySessionIDEcho.isEmpty && hello.legacySessionIDEcho == sent.clientHello.legacySessionID {
            throw TLSError(.illegalParameter, "the server echoed our session ID, resuming a session we never offered")
        }
        if case .renegotiationInfo(let data)? = hello.extensions.first(.renegotiationInfo), !data.isEmpty {
            throw TLSError(.handshakeFailure, "renegotiation_info must be empty in an initial handshake")
        }
        let ems = hello.extensions.contains(.extendedMasterSecret)
        if !ems && common.requireExtendedMasterSecret {
            throw TLSError(.handshakeFailure, "the server does not support extended master secret (RFC 7627)")
        }
        var applicationProtocol: String?
        if case .alpn(let names)? = hello.extensions.first(.alpn) {
            applicationProtocol = try acceptedApplicationProtocol(names)
        }
        if case .ecPointFormats(let formats)? = hello.extensions.first(.ecPointFormats), !formats.contains(0) {
            throw TLSError(.illegalParameter, "the server does not accept uncompressed points")
        }
        if let limit = hello.extensions.recordSizeLimit {
            try applyPeerRecordSizeLimit(limit, tls13: false)
        }
        negotiatedVersion = .tls12
        records.outgoingLegacyVersion = .tls12
        let provider = common.cryptoProvider
        var transcript = Transcript(provider: provider, hash: suite.hash, retainMessages: true)
        transcript.append(sent.clientHelloRaw)
        transcript.append(raw)
        var handshake = Client12Handshake(
            serverName: sent.serverName, clientRandom: sent.clientHello.random, serverRandom: hello.random,
            suite: suite, prf: TLS12PRF(provider: provider, hash: suite.hash), transcript: transcript,
            extendedMasterSecret: ems, applicationProtocol: applicationProtocol)
        handshake.sessionID = hello.legacySessionIDEcho
        handshake.expectTicket = hello.extensions.contains(.sessionTicket)
        if case .statusRequest(let body)? = hello.extensions.first(.statusRequest) {
            guard body.isEmpty else { throw TLSError(.decodeError, "status_request in ServerHello must be empty") }
            handshake.expectCertificateStatus = true
        }
        // The server resumes by echoing the session ID we offered (RFC 5246 §7.4.1.3, RFC 5077 §3.4).
        if let session = sent.offeredSession, session.version == .tls12, !hello.legacySessionIDEcho.isEmpty,
           hello.legacySessionIDEcho == sent.clientHello.legacySessionID {
            guard session.cipherSuite == suite.suite else {
                throw TLSError(.illegalParameter, "resumed session with a different cipher suite")
            }
            // RFC 7627 §5.3: the extended master secret state must not change on resumption.
            guard session.extendedMasterSecret == ems else {
                throw TLSError(.handshakeFailure, "resumption would change the extended master secret state")
            }
            handshake.resumedSession = session
            handshake.masterSecret = session.secret
            handshake.sessionID = session.sessionID
            // The resumed connection reports what the original handshake established (RFC 5077 §3.4).
            handshake.serverCertificates = session.serverAuthentication.peerCertificates
            handshake.serverSignatureScheme = session.serverAuthentication.peerSignatureScheme
            handshake.group = session.group
            state = .client12ExpectChangeCipherSpec(handshake)
            return
        }
        state = .client12ExpectCertificate(handshake)
    }

    func client12Handle(_ message: HandshakeMessage, raw: [UInt8]) throws(TLSError) -> Bool {
        switch (state, message) {
        case (.client12ExpectCertificate(var handshake), .certificate12(let certificate)):
            guard !certificate.certificates.isEmpty else {
                throw TLSError(.decodeError, "the server sent an empty Certificate")
            }
            guard certificate.certificates.count <= maxPeerChainLength else {
                throw TLSError(.badCertificate, "peer chain of \(certificate.certificates.count) certificates exceeds \(maxPeerChainLength)")
            }
            handshake.serverCertificates = certificate.certificates
            handshake.transcript.append(raw)
            if handshake.expectCertificateStatus {
                // Verification waits for the stapled response.
                state = .client12ExpectCertificateStatus(handshake)
                return true
            }
            state = .client12AwaitingVerification(handshake)
            requestVerification(PeerVerificationRequest(
                chainDER: handshake.serverCertificates, role: .server, serverName: handshake.serverName, now: common.now()))
        case (.client12ExpectCertificateStatus(var handshake), .certificateStatus(let response)):
            handshake.transcript.append(raw)
            state = .client12AwaitingVerification(handshake)
            requestVerification(PeerVerificationRequest(
                chainDER: handshake.serverCertificates, role: .server, serverName: handshake.serverName, now: common.now(),
                stapledOCSPResponse: response))
        case (.client12ExpectCertificateStatus(let handshake), _):
            // RFC 6066 §8: the server may acknowledge status_request and still send no CertificateStatus. Verify
            // without one, then handle this message as if it came right after the Certificate.
            reassembler.pushBack(raw)
            state = .client12AwaitingVerification(handshake)
            requestVerification(PeerVerificationRequest(
                chainDER: handshake.serverCertificates, role: .server, serverName: handshake.serverName, now: common.now()))
        case (.client12ExpectServerKeyExchange(var handshake), .serverKeyExchange(let exchange)):
            let scheme = exchange.signatureScheme
            guard common.signatureAlgorithms.contains(scheme), isAllowedInTLS12(scheme), handshake.suite.accepts([scheme]) else {
                throw TLSError(.illegalParameter, "ServerKeyExchange signed with \(scheme), which we did not offer for this suite")
            }
            let group = exchange.parameters.group
            guard tls12Groups.contains(group), common.supportedGroups.contains(group) else {
                throw TLSError(.illegalParameter, "ServerKeyExchange uses \(group), which we did not offer")
            }
            let signed = try handshake.clientRandom + handshake.serverRandom + exchange.parameters.encoded
            let spki = try subjectPublicKeyInfo(ofCertificate: handshake.serverCertificates[0])
            try common.cryptoProvider.verifyTLS12Signature(
                scheme: scheme, subjectPublicKeyInfo: spki, message: signed, signature: exchange.signature)
            handshake.serverParameters = exchange.parameters
            handshake.serverSignatureScheme = scheme
            handshake.group = group
            handshake.transcript.append(raw)
            state = .client12ExpectCertificateRequestOrDone(handshake)
        case (.client12ExpectCertificateRequestOrDone(var handshake), .certificateRequest12(let request)):
            handshake.certificateRequest = request
            handshake.transcript.append(raw)
            state = .client12ExpectServerHelloDone(handshake)
        case (.client12ExpectCertificateRequestOrDone(var handshake), .serverHelloDone),
             (.client12ExpectServerHelloDone(var handshake), .serverHelloDone):
            handshake.transcript.append(raw)
            try client12SendSecondFlight(&handshake)
        case (.client12ExpectChangeCipherSpec(var handshake), .newSessionTicket12(let ticket)) where handshake.expectTicket:
            // RFC 5077 §3.3: the ticket comes just before the server's ChangeCipherSpec, and is part of the transcript.
            handshake.transcript.append(raw)
            handshake.newTicket = ticket
            handshake.expectTicket = false
            state = .client12ExpectChangeCipherSpec(handshake)
        case (.client12ExpectFinished(var handshake), .finished(let finished)):
            let expected = handshake.prf.finishedVerifyData(
                masterSecret: handshake.masterSecret, client: false, transcriptHash: handshake.transcript.currentHash)
            try checkFinished(finished, expected: expected)
            handshake.transcript.append(raw)
            if handshake.resumedSession != nil {
                // Abbreviated handshake: the server finished first; our ChangeCipherSpec and Finished end it.
                sendChangeCipherSpec()
                try installTLS12Keys(suite: handshake.suite, prf: handshake.prf, masterSecret: handshake.masterSecret,
                                     clientRandom: handshake.clientRandom, serverRandom: handshake.serverRandom, write: true)
                let verifyData = handshake.prf.finishedVerifyData(
                    masterSecret: handshake.masterSecret, client: true, transcriptHash: handshake.transcript.currentHash)
                try sendHandshake(.finished(Finished(verifyData: verifyData)), transcript: &handshake.transcript)
                flushHandshake()
            }
            storeSession12(handshake)
            state = .connected
            try completeHandshake(
                NegotiatedParameters(
                    version: .tls12, cipherSuite: handshake.suite.suite, group: handshake.group,
                    serverSignatureScheme: handshake.serverSignatureScheme, clientSignatureScheme: handshake.clientSignatureScheme,
                    applicationProtocol: handshake.applicationProtocol, serverName: handshake.serverName,
                    peerCertificates: handshake.serverCertificates, usedHelloRetryRequest: false,
                    resumed: handshake.resumedSession != nil, extendedMasterSecret: handshake.extendedMasterSecret),
                traffic: nil,
                tls12: TLS12Traffic(prf: handshake.prf, suite: handshake.suite, masterSecret: handshake.masterSecret,
                                    clientRandom: handshake.clientRandom, serverRandom: handshake.serverRandom))
        default:
            return false
        }
        return true
    }

    private func client12SendSecondFlight(_ handshake: inout Client12Handshake) throws(TLSError) {
        guard let parameters = handshake.serverParameters else {
            throw TLSError(.unexpectedMessage, "ServerHelloDone without ServerKeyExchange")
        }
        var identity: CertifiedKey?
        var scheme: SignatureScheme?
        if let request = handshake.certificateRequest {
            if let candidate = clientConfig.certificate,
               let chosen = candidate.privateKey.supportedSchemes.first(where: { request.signatureAlgorithms.contains($0) && isAllowedInTLS12($0) }) {
                identity = candidate
                scheme = chosen
            }
            let certificates = identity?.chain.derEncoded ?? []
            try sendHandshake(.certificate12(CertificateMessage12(certificates: certificates)), transcript: &handshake.transcript)
        }
        let share = try common.cryptoProvider.generateKeyShare(parameters.group, random: &random)
        let preMasterSecret = try share.sharedSecret(serverShare: parameters.publicKey)
        try sendHandshake(.clientKeyExchange(ClientKeyExchange(publicKey: share.publicShare)), transcript: &handshake.transcript)
        handshake.masterSecret = handshake.extendedMasterSecret
            ? handshake.prf.extendedMasterSecret(preMasterSecret: preMasterSecret, sessionHash: handshake.transcript.currentHash)
            : handshake.prf.legacyMasterSecret(preMasterSecret: preMasterSecret, clientRandom: handshake.clientRandom,
                                               serverRandom: handshake.serverRandom)
        if let identity, let scheme {
            let signature = try identity.privateKey.sign(scheme: scheme, message: handshake.transcript.messages ?? [])
            try sendHandshake(.certificateVerify(CertificateVerify(algorithm: scheme, signature: signature)), transcript: &handshake.transcript)
            handshake.clientSignatureScheme = scheme
        }
        logKey("CLIENT_RANDOM", clientRandom: handshake.clientRandom, secret: handshake.masterSecret)
        sendChangeCipherSpec()
        try installTLS12Keys(suite: handshake.suite, prf: handshake.prf, masterSecret: handshake.masterSecret,
                             clientRandom: handshake.clientRandom, serverRandom: handshake.serverRandom, write: true)
        let verifyData = handshake.prf.finishedVerifyData(
            masterSecret: handshake.masterSecret, client: true, transcriptHash: handshake.transcript.currentHash)
        try sendHandshake(.finished(Finished(verifyData: verifyData)), transcript: &handshake.transcript)
        flushHandshake()
        state = .client12ExpectChangeCipherSpec(handshake)
    }

    // MARK: - ChangeCipherSpec (a real message in TLS 1.2)

    func handleChangeCipherSpec12(_ fragment: [UInt8]) throws(TLSError) {
        // RFC 5246 names no alert; OpenSSL and BoringSSL answer unexpected_message (SSL_R_BAD_CHANGE_CIPHER_SPEC).
        guard fragment == [0x01] else { throw TLSError(.unexpectedMessage, "malformed change_cipher_spec") }
        guard reassembler.isEmpty else { throw TLSError(.unexpectedMessage, "change_cipher_spec inside a handshake message") }
        switch state {
        case .client12ExpectChangeCipherSpec(let handshake):
            // RFC 5077 §3.3: a server that acknowledged session_ticket sends a NewSessionTicket before this.
            guard !handshake.expectTicket else {
                throw TLSError(.unexpectedMessage, "change_cipher_spec without the NewSessionTicket the ServerHello announced")
            }
            try installTLS12Keys(suite: handshake.suite, prf: handshake.prf, masterSecret: handshake.masterSecret,
                                 clientRandom: handshake.clientRandom, serverRandom: handshake.serverRandom, write: false)
            state = .client12ExpectFinished(handshake)
        case .server12ExpectChangeCipherSpec(let handshake):
            try installTLS12Keys(suite: handshake.suite, prf: handshake.prf, masterSecret: handshake.masterSecret,
                                 clientRandom: handshake.clientRandom, serverRandom: handshake.serverRandom, write: false)
            state = .server12ExpectFinished(handshake)
        default:
            // An early ChangeCipherSpec (the CVE-2014-0224 shape) or one after the handshake.
            throw TLSError(.unexpectedMessage, "change_cipher_spec at the wrong point of the TLS 1.2 handshake")
        }
    }

    /// Derives the key block and installs our write keys (`write`) or the peer's (`!write`).
    private func installTLS12Keys(suite: TLS12SuiteParameters, prf: TLS12PRF, masterSecret: [UInt8],
                                  clientRandom: [UInt8], serverRandom: [UInt8], write: Bool) throws(TLSError) {
        let block = prf.keyBlock(masterSecret: masterSecret, clientRandom: clientRandom, serverRandom: serverRandom,
                                 keyLength: suite.aead.keyLength, ivLength: suite.fixedIVLength)
        let ours = role == .client ? write : !write
        let key = ours ? block.clientKey : block.serverKey
        let iv = ours ? block.clientIV : block.serverIV
        let framing: RecordProtection.Framing = suite.aead == .chacha20Poly1305 ? .tls12XorNonce : .tls12ExplicitNonce
        let protection = RecordProtection(aead: try common.cryptoProvider.makeAEAD(suite.aead, key: key), iv: iv, framing: framing)
        if write {
            flushHandshake()
            records.writeProtection = protection
        } else {
            records.readProtection = protection
        }
    }

    // MARK: - Server

    func serverHandleClientHello12(_ hello: ClientHello, raw: [UInt8]) throws(TLSError) {
        let config = serverConfig
        let provider = common.cryptoProvider
        let extensions = hello.extensions
        negotiatedVersion = .tls12
        records.outgoingLegacyVersion = .tls12

        guard hello.legacyCompressionMethods.contains(0) else {
            throw TLSError(.illegalParameter, "the ClientHello does not offer the null compression method")
        }
        // RFC 5746: the client signals secure renegotiation with the SCSV or an empty renegotiation_info.
        var secureRenegotiation = hello.cipherSuites.contains(.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
        if case .renegotiationInfo(let data)? = extensions.first(.renegotiationInfo) {
            guard data.isEmpty else { throw TLSError(.handshakeFailure, "renegotiation_info must be empty in an initial handshake") }
            secureRenegotiation = true
        }
        let ems = extensions.contains(.extendedMasterSecret)
        if !ems && common.requireExtendedMasterSecret {
            throw TLSError(.handshakeFailure, "the client does not offer extended master secret (RFC 7627)")
        }
        if let formats = extensions.first(.ecPointFormats), case .ecPointFormats(let list) = formats, !list.contains(0) {
            throw TLSError(.illegalParameter, "the client does not accept uncompressed points")
        }
        // RFC 8422 §4: without supported_groups, assume the NIST curves.
        let clientGroups = extensions.supportedGroups ?? [.secp256r1, .secp384r1]
        guard let group = common.supportedGroups.first(where: {
            tls12Groups.contains($0) && clientGroups.contains($0) && provider.supports(group: $0)
        }) else {
            throw TLSError(.handshakeFailure, "no ECDHE group in common")
        }
        // Without signature_algorithms TLS 1.2 defaults to SHA-1, which we refuse.
        guard let clientSchemes = extensions.signatureAlgorithms else {
            throw TLSError(.handshakeFailure, "the client sent no signature_algorithms (SHA-1 signatures are refused)")
        }
        let serverName = extensions.serverNameValue
        let identity = try serverIdentity(for: serverName)
        let usableSchemes = identity.privateKey.supportedSchemes.filter { clientSchemes.contains($0) && isAllowedInTLS12($0) }
        let ourSuites = common.cipherSuites.compactMap(TLS12SuiteParameters.init)
        let candidates = config.preferServerCipherOrder
            ? ourSuites.filter { hello.cipherSuites.contains($0.suite) }
            : hello.cipherSuites.compactMap { suite in ourSuites.first { $0.suite == suite } }
        guard let suite = candidates.first(where: { $0.accepts(usableSchemes) }) else {
            throw TLSError(.handshakeFailure, "no TLS 1.2 cipher suite in common for our certificate")
        }
        guard let scheme = usableSchemes.first(where: { suite.accepts([$0]) }) else {
            throw TLSError(.handshakeFailure, "the client accepts no signature scheme our key can make")
        }
        let applicationProtocol = try selectApplicationProtocol(offered: extensions.alpnProtocols)

        // Resumption (RFC 5077 ticket first, then the session-ID cache), only with the same suite and EMS state.
        let resumed = try resumableSession12(hello, serverName: serverName, clientEMS: ems, ourSuites: ourSuites)
        let suiteInUse = resumed.flatMap { TLS12SuiteParameters($0.cipherSuite) } ?? suite
        // A session without the extended master secret is never resumed (resumableSession12), so none is issued:
        // no ticket, no session ID (an empty ID tells the client there is nothing to resume, RFC 5246 §7.4.1.3).
        let clientWantsTicket = ems && extensions.contains(.sessionTicket) && config.sessionTicketKeys != nil

        // ServerHello; the random carries the downgrade sentinel when we could have done TLS 1.3.
        var serverRandom = random.bytes(32)
        if common.maximumVersion >= .tls13 {
            serverRandom = Array(serverRandom.prefix(24)) + downgradeSentinelTLS12
        }
        var serverExtensions: [Extension] = []
        if secureRenegotiation { serverExtensions.append(.renegotiationInfo([])) }
        if ems { serverExtensions.append(.extendedMasterSecret) }
        if extensions.contains(.ecPointFormats) { serverExtensions.append(.ecPointFormats([0])) }
        if serverName != nil && resumed == nil { serverExtensions.append(.serverName(nil)) }
        if let applicationProtocol { serverExtensions.append(.alpn([Array(applicationProtocol.utf8)])) }
        if clientWantsTicket { serverExtensions.append(.sessionTicket([])) }
        if let clientLimit = extensions.recordSizeLimit {
            // RFC 8449: the client's limit caps what we send; ours is announced when configured.
            try applyPeerRecordSizeLimit(clientLimit, tls13: false)
            if let ourLimit = common.recordSizeLimit { serverExtensions.append(.recordSizeLimit(min(ourLimit, 16_384))) }
        }
        // OCSP stapling (RFC 6066 §8): acknowledge with an empty status_request, then send CertificateStatus.
        var staple: [UInt8]?
        if resumed == nil, let response = identity.ocspResponse, !response.isEmpty,
           case .statusRequest(let request)? = extensions.first(.statusRequest), request.first == CertificateStatusCodec.ocsp {
            staple = response
            serverExtensions.append(.statusRequest([]))
        }
        // Resuming: echo the client's session ID. New session: a fresh ID when we cache sessions.
        let sessionID = resumed != nil ? hello.legacySessionID : (ems && config.sessionIDCache != nil ? random.bytes(32) : [])
        let serverHello = ServerHello(random: serverRandom, legacySessionIDEcho: sessionID, cipherSuite: suiteInUse.suite,
                                      extensions: serverExtensions)
        var transcript = Transcript(provider: provider, hash: suiteInUse.hash, retainMessages: true)
        transcript.append(raw)
        try sendHandshake(.serverHello(serverHello), transcript: &transcript)
        /// The server's handshake state once its flight is written (full or abbreviated).
        func makeHandshake(transcript: Transcript, keyShare: (any KeyShareSecret)?, group: NamedGroup?,
                           scheme: SignatureScheme?, certificateRequest: CertificateRequest12?) -> Server12Handshake {
            var handshake = Server12Handshake(
                clientRandom: hello.random, serverRandom: serverRandom, suite: suiteInUse,
                prf: TLS12PRF(provider: provider, hash: suiteInUse.hash), transcript: transcript, extendedMasterSecret: ems,
                keyShare: keyShare,
                parameters: NegotiatedParameters(
                    version: .tls12, cipherSuite: suiteInUse.suite, group: group, serverSignatureScheme: scheme,
                    clientSignatureScheme: nil, applicationProtocol: applicationProtocol, serverName: serverName,
                    peerCertificates: [], usedHelloRetryRequest: false, resumed: resumed != nil, extendedMasterSecret: ems),
                certificateRequest: certificateRequest)
            handshake.sessionID = sessionID
            handshake.issueTicket = clientWantsTicket
            return handshake
        }
        if let resumed {
            var handshake = makeHandshake(transcript: transcript, keyShare: nil, group: nil, scheme: nil, certificateRequest: nil)
            handshake.masterSecret = resumed.secret
            handshake.abbreviated = true
            handshake.resumedAuthentication = resumed.clientAuthentication
            handshake.clientCertificates = resumed.clientAuthentication.peerCertificates
            handshake.parameters.clientSignatureScheme = resumed.clientAuthentication.peerSignatureScheme
            try sendServerFinishedFlight12(&handshake)
            state = .server12ExpectChangeCipherSpec(handshake)
            return
        }
        try sendHandshake(.certificate12(CertificateMessage12(certificates: identity.chain.derEncoded)), transcript: &transcript)
        if let staple { try sendHandshake(.certificateStatus(ocspResponse: staple), transcript: &transcript) }

        let share = try provider.generateKeyShare(group, random: &random)
        let parameters = ServerECDHParameters(group: group, publicKey: share.publicShare)
        let signature = try identity.privateKey.sign(scheme: scheme, message: hello.random + serverRandom + parameters.encoded)
        try sendHandshake(.serverKeyExchange(ServerKeyExchange(parameters: parameters, signatureScheme: scheme, signature: signature)),
                      transcript: &transcript)
        var certificateRequest: CertificateRequest12?
        switch config.clientAuthentication {
        case .none: break
        case .optional, .required:
            let request = CertificateRequest12(
                certificateTypes: [64, 1],   // ecdsa_sign, rsa_sign
                signatureAlgorithms: common.signatureAlgorithms.filter(isAllowedInTLS12),
                certificateAuthorities: [])
            try sendHandshake(.certificateRequest12(request), transcript: &transcript)
            certificateRequest = request
        }
        try sendHandshake(.serverHelloDone, transcript: &transcript)

        let handshake = makeHandshake(transcript: transcript, keyShare: share, group: group, scheme: scheme,
                                      certificateRequest: certificateRequest)
        state = certificateRequest != nil ? .server12ExpectCertificate(handshake) : .server12ExpectClientKeyExchange(handshake)
    }

    func server12Handle(_ message: HandshakeMessage, raw: [UInt8]) throws(TLSError) -> Bool {
        switch (state, message) {
        case (.server12ExpectCertificate(var handshake), .certificate12(let certificate)):
            handshake.transcript.append(raw)
            if certificate.certificates.isEmpty {
                if case .required = serverConfig.clientAuthentication {
                    throw TLSError(.handshakeFailure, "the client sent no certificate, and one is required")
                }
                state = .server12ExpectClientKeyExchange(handshake)
                return true
            }
            guard certificate.certificates.count <= maxPeerChainLength else {
                throw TLSError(.badCertificate, "client chain of \(certificate.certificates.count) certificates exceeds \(maxPeerChainLength)")
            }
            handshake.clientCertificates = certificate.certificates
            state = .server12AwaitingVerification(handshake)
            requestVerification(PeerVerificationRequest(
                chainDER: handshake.clientCertificates, role: .client, serverName: nil, now: common.now()))
        case (.server12ExpectClientKeyExchange(var handshake), .clientKeyExchange(let exchange)):
            guard let keyShare = handshake.keyShare else { throw TLSError(.internalError, "no key share") }
            let preMasterSecret = try keyShare.sharedSecret(serverShare: exchange.publicKey)
            handshake.transcript.append(raw)
            handshake.masterSecret = handshake.extendedMasterSecret
                ? handshake.prf.extendedMasterSecret(preMasterSecret: preMasterSecret, sessionHash: handshake.transcript.currentHash)
                : handshake.prf.legacyMasterSecret(preMasterSecret: preMasterSecret, clientRandom: handshake.clientRandom,
                                                   serverRandom: handshake.serverRandom)
            logKey("CLIENT_RANDOM", clientRandom: handshake.clientRandom, secret: handshake.masterSecret)
            state = handshake.clientCertificates.isEmpty
                ? .server12ExpectChangeCipherSpec(handshake) : .server12ExpectCertificateVerify(handshake)
        case (.server12ExpectCertificateVerify(var handshake), .certificateVerify(let verify)):
            let requested = handshake.certificateRequest?.signatureAlgorithms ?? []
            guard requested.contains(verify.algorithm), isAllowedInTLS12(verify.algorithm) else {
                throw TLSError(.illegalParameter, "the client signed with \(verify.algorithm), which we did not request")
            }
            let spki = try subjectPublicKeyInfo(ofCertificate: handshake.clientCertificates[0])
            try common.cryptoProvider.verifyTLS12Signature(
                scheme: verify.algorithm, subjectPublicKeyInfo: spki, message: handshake.transcript.messages ?? [],
                signature: verify.signature)
            handshake.parameters.clientSignatureScheme = verify.algorithm
            handshake.transcript.append(raw)
            state = .server12ExpectChangeCipherSpec(handshake)
        case (.server12ExpectFinished(var handshake), .finished(let finished)):
            let expected = handshake.prf.finishedVerifyData(
                masterSecret: handshake.masterSecret, client: true, transcriptHash: handshake.transcript.currentHash)
            try checkFinished(finished, expected: expected)
            handshake.transcript.append(raw)
            if !handshake.abbreviated {
                try sendServerFinishedFlight12(&handshake)
            }
            var parameters = handshake.parameters
            parameters.peerCertificates = handshake.clientCertificates
            state = .connected
            try completeHandshake(parameters, traffic: nil, tls12: TLS12Traffic(
                prf: handshake.prf, suite: handshake.suite, masterSecret: handshake.masterSecret,
                clientRandom: handshake.clientRandom, serverRandom: handshake.serverRandom))
        default:
            return false
        }
        return true
    }

    // MARK: - TLS 1.2 resumption (RFC 5246 §7.3, RFC 5077, RFC 7627 §5.3)

    /// The server's last flight: [NewSessionTicket], ChangeCipherSpec, Finished. Caches the session under its ID.
    private func sendServerFinishedFlight12(_ handshake: inout Server12Handshake) throws(TLSError) {
        let config = serverConfig
        let now = common.now()
        // The session carries the client identity this connection has: verified just now, or resumed.
        let authentication = handshake.resumedAuthentication ?? verifiedAuthentication(
            chain: handshake.clientCertificates, signatureScheme: handshake.parameters.clientSignatureScheme)
        let state = TicketState(
            version: .tls12, cipherSuite: handshake.suite.suite, created: milliseconds(now),
            lifetime: min(config.ticketLifetime, 7 * 24 * 3600), ageAdd: 0, secret: handshake.masterSecret,
            serverName: handshake.parameters.serverName ?? "", applicationProtocol: handshake.parameters.applicationProtocol ?? "",
            extendedMasterSecret: handshake.extendedMasterSecret, clientAuthentication: authentication)
        if handshake.issueTicket, let keys = config.sessionTicketKeys {
            let ticket = try keys.seal(state.encode(), provider: common.cryptoProvider, random: &random, now: now)
            try sendHandshake(.newSessionTicket12(NewSessionTicket12(lifetimeHint: state.lifetime, ticket: ticket)),
                          transcript: &handshake.transcript)
        }
        if !handshake.sessionID.isEmpty && !handshake.abbreviated {
            config.sessionIDCache?.store(state, sessionID: handshake.sessionID)
        }
        sendChangeCipherSpec()
        try installTLS12Keys(suite: handshake.suite, prf: handshake.prf, masterSecret: handshake.masterSecret,
                             clientRandom: handshake.clientRandom, serverRandom: handshake.serverRandom, write: true)
        let verifyData = handshake.prf.finishedVerifyData(
            masterSecret: handshake.masterSecret, client: false, transcriptHash: handshake.transcript.currentHash)
        try sendHandshake(.finished(Finished(verifyData: verifyData)), transcript: &handshake.transcript)
        flushHandshake()
    }

    /// A session this ClientHello may resume: from its ticket, else from its session ID; nil means a full handshake.
    /// Throws handshake_failure when the session used the extended master secret and this ClientHello does not.
    private func resumableSession12(_ hello: ClientHello, serverName: String?, clientEMS: Bool,
                                    ourSuites: [TLS12SuiteParameters]) throws(TLSError) -> TicketState? {
        let config = serverConfig
        let now = common.now()
        var candidate: TicketState?
        if case .sessionTicket(let ticket)? = hello.extensions.first(.sessionTicket), !ticket.isEmpty,
           let keys = config.sessionTicketKeys, let plaintext = keys.open(ticket, provider: common.cryptoProvider) {
            candidate = TicketState(decoding: plaintext)
        }
        if candidate == nil, !hello.legacySessionID.isEmpty {
            candidate = config.sessionIDCache?.lookup(hello.legacySessionID, now: now)
        }
        guard let state = candidate, state.version == .tls12,
              milliseconds(now) >= state.created, milliseconds(now) - state.created < UInt64(state.lifetime) * 1000,
              state.serverName == (serverName ?? ""),
              serverMayResume(clientAuthentication: state.clientAuthentication),
              hello.cipherSuites.contains(state.cipherSuite),
              ourSuites.contains(where: { $0.suite == state.cipherSuite }) else { return nil }
        // RFC 7627 §5.3: the original session used the extended master secret and this ClientHello does not offer
        // it: abort with handshake_failure, as BoringSSL (SSL_R_RESUMED_EMS_SESSION_WITHOUT_EMS_EXTENSION) and Go do.
        // Only for a session we would otherwise resume, as Go does.
        if state.extendedMasterSecret && !clientEMS {
            throw TLSError(.handshakeFailure, "the client resumes a session that used extended master secret without offering it (RFC 7627 §5.3)")
        }
        // The original session did not use it: a full handshake, as BoringSSL does (it drops the session when the
        // EMS states differ; §5.3 MUST NOT resume). BoringSSL still resumes it when neither side uses the extension;
        // we never do (§5.3: SHOULD abort; a full handshake keeps such a client working, without the insecure
        // resumption). We issue no such sessions; one could only come from an older TLSKit sharing our keys or cache.
        guard state.extendedMasterSecret else { return nil }
        return state
    }

    /// Keeps the client's TLS 1.2 session (ID and/or ticket) for resumption.
    private func storeSession12(_ handshake: Client12Handshake) {
        guard let cache = clientConfig.sessionCache, let serverName = handshake.serverName else { return }
        // A session without the extended master secret is never offered (RFC 7627 §5.3: SHOULD NOT; resuming it is
        // open to the triple-handshake attack, §5.4), so it is not kept.
        guard handshake.extendedMasterSecret else { return }
        let ticket = handshake.newTicket?.ticket ?? handshake.resumedSession?.ticket ?? []
        guard !handshake.sessionID.isEmpty || !ticket.isEmpty else { return }
        let hint = handshake.newTicket.map { TimeInterval($0.lifetimeHint) } ?? 0
        let lifetime = min(hint > 0 ? hint : 7200, 7 * 24 * 3600)
        var session = ClientSession(
            version: .tls12, cipherSuite: handshake.suite.suite, ticket: ticket, secret: handshake.masterSecret, ageAdd: 0,
            lifetime: lifetime, received: common.now(), serverName: serverName,
            applicationProtocol: handshake.applicationProtocol)
        session.sessionID = handshake.sessionID
        session.extendedMasterSecret = handshake.extendedMasterSecret
        session.serverAuthentication = handshake.resumedSession?.serverAuthentication ?? verifiedAuthentication(
            chain: handshake.serverCertificates, signatureScheme: handshake.serverSignatureScheme)
        session.group = handshake.group
        cache.store(session)
    }

    // MARK: - After the handshake

    /// Renegotiation is refused (RFC 5746 makes it safe, but we never do it): a HelloRequest or a new ClientHello
    /// gets a no_renegotiation warning and the connection carries on.
    func handlePostHandshake12(_ message: HandshakeMessage) throws(TLSError) {
        switch (role, message) {
        case (.client, .helloRequest), (.server, .clientHello):
            warningAlertsInARow += 1
            guard warningAlertsInARow <= Self.maxWarningAlertsInARow else {
                throw TLSError(.unexpectedMessage, "too many renegotiation attempts")
            }
            try records.write(.alert, Alert(level: .warning, description: .noRenegotiation).encode(), to: &output)
        default:
            throw TLSError(.unexpectedMessage, "unexpected \(message.type) after the TLS 1.2 handshake")
        }
    }
}
