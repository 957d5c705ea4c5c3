import Foundation
import _CryptoExtras
import X509

/// The TLS 1.2 client (RFC 5246 §7.3), from the server's TLS 1.2 ServerHello on:
///
///     full:        ← Certificate, [CertificateStatus], (verify), ServerKeyExchange, [CertificateRequest], ServerHelloDone
///                    (static RSA key exchange, legacy opt-in only: no ServerKeyExchange)
///                  → [Certificate], ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished
///                  ← [NewSessionTicket], ChangeCipherSpec, Finished
///     abbreviated: ← [NewSessionTicket], ChangeCipherSpec, Finished      (the server echoed our session)
///                  → ChangeCipherSpec, Finished
enum Client12State {
    case expectCertificate(Client12Handshake)
    /// After the Certificate, when the server acknowledged status_request.
    case expectCertificateStatus(Client12Handshake)
    case awaitingVerification(Client12Handshake)
    case expectServerKeyExchange(Client12Handshake)
    case expectCertificateRequestOrDone(Client12Handshake)
    case expectServerHelloDone(Client12Handshake)
    case expectChangeCipherSpec(Client12Handshake)
    case expectFinished(Client12Handshake)
}

/// What the client knows between the ServerHello and its Finished.
struct Client12Handshake {
    let configuration: TLSClientConfiguration
    /// TLS 1.2, or TLS 1.1/1.0 with legacy versions enabled (their PRF, MD5 ‖ SHA-1 transcript, signatures, CBC).
    var version: ProtocolVersion = .tls12
    /// Our ClientHello's legacy_version: the first two bytes of an RSA premaster (RFC 5246 §7.4.7.1).
    var clientHelloVersion: ProtocolVersion = .tls12
    /// RFC 7366: the server echoed encrypt_then_mac for a CBC suite.
    var encryptThenMAC = false
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

/// Extensions that exist only in TLS 1.3 (RFC 8446 §4.2): in a TLS 1.2 ServerHello they are illegal_parameter. Any
/// other extension we offered may be echoed (RFC 5246 §7.4.1.4 forbids only unsolicited ones); unknown meaning is
/// ignored, as BoringSSL and OpenSSL do for e.g. an echoed supported_groups.
private let tls13OnlyExtensions: Set<ExtensionType> = [
    .keyShare, .preSharedKey, .earlyData, .supportedVersions, .cookie, .pskKeyExchangeModes, .postHandshakeAuth,
    .signatureAlgorithmsCert, .certificateAuthorities, .oidFilters,
]

extension Client12State {
    /// The message types this state can take (checked before the body is decoded).
    func accepts(_ type: HandshakeType) -> Bool {
        switch self {
        case .expectCertificate: return type == .certificate
        case .expectCertificateStatus:
            // The status is optional (RFC 6066 §8): what may follow the Certificate is accepted too.
            return [.certificateStatus, .serverKeyExchange, .certificateRequest, .serverHelloDone].contains(type)
        case .awaitingVerification: return false
        case .expectServerKeyExchange: return type == .serverKeyExchange
        case .expectCertificateRequestOrDone: return type == .certificateRequest || type == .serverHelloDone
        case .expectServerHelloDone: return type == .serverHelloDone
        case .expectChangeCipherSpec(let handshake): return handshake.expectTicket && type == .newSessionTicket
        case .expectFinished: return type == .finished
        }
    }

    /// The negotiated version (TLS 1.2, or 1.1/1.0 with legacy versions enabled).
    var version: ProtocolVersion {
        switch self {
        case .expectCertificate(let h), .expectCertificateStatus(let h), .awaitingVerification(let h),
             .expectServerKeyExchange(let h), .expectCertificateRequestOrDone(let h), .expectServerHelloDone(let h),
             .expectChangeCipherSpec(let h), .expectFinished(let h):
            return h.version
        }
    }

    /// The state to continue in once the server's chain was verified.
    var afterVerification: Client12State {
        if case .awaitingVerification(let handshake) = self {
            // Static RSA: the certificate's key is the key exchange; a ServerKeyExchange would be unexpected_message.
            return handshake.suite.keyExchange == .rsa ? .expectCertificateRequestOrDone(handshake) : .expectServerKeyExchange(handshake)
        }
        return self
    }

    // MARK: ServerHello

    /// The server chose TLS 1.2 (or, with legacy versions enabled, TLS 1.1/1.0 as `version`): checks its ServerHello
    /// against what we offered and starts the handshake (or resumes the TLS 1.2 session we offered).
    static func start(_ hello: ServerHello, raw: [UInt8], sent: ClientHelloSent, version: ProtocolVersion = .tls12,
                      io: any HandshakePort) throws(TLSError) -> Client12State {
        let common = io.common
        // RFC 8446 §4.2.10: a client that offered 0-RTT MUST abort on a TLS 1.2 (or older) ServerHello; our early data
        // went out under a TLS 1.3 key. protocol_version, as BoringSSL sends (SSL_R_WRONG_VERSION_ON_EARLY_DATA).
        if io.earlyDataOffered {
            throw TLSError(.peerMisbehaved(.versionDowngradeWithEarlyData), "the server chose TLS 1.2 after we offered TLS 1.3 early data")
        }
        if sent.offeredTLS13 && carriesDowngradeSentinel(hello.random) {
            throw TLSError(.peerMisbehaved(.downgradeDetected), "downgrade detected: the server supports TLS 1.3 but chose \(version)")
        }
        // RFC 8446 §4.1.3: a TLS 1.2 client checks for DOWNGRD\x00 when the server chose TLS 1.1 or below.
        if version < .tls12 && io.common.maximumVersion >= .tls12 && hello.random.suffix(8).elementsEqual(downgradeSentinelTLS11) {
            throw TLSError(.peerMisbehaved(.downgradeDetected), "downgrade detected: the server supports TLS 1.2 but chose \(version)")
        }
        guard let suite = TLS12SuiteParameters(hello.cipherSuite), sent.clientHello.cipherSuites.contains(hello.cipherSuite),
              suite.usable(in: version) else {
            throw TLSError(.peerMisbehaved(.unofferedCipherSuite), "ServerHello chose \(hello.cipherSuite), which we did not offer for \(version)")
        }
        // RFC 7366 §3: encrypt_then_mac answers only for a CBC suite.
        let encryptThenMAC = hello.extensions.contains(.encryptThenMAC)
        if encryptThenMAC && !suite.isCBC {
            throw TLSError(.peerMisbehaved(.forbiddenExtension), "encrypt_then_mac with the AEAD suite \(suite.suite)")
        }
        // SSL 3.0 has no extensions: a server that chose it and claims EMS or encrypt-then-MAC contradicts itself.
        if version == .ssl3 && (encryptThenMAC || hello.extensions.contains(.extendedMasterSecret)) {
            throw TLSError(.peerMisbehaved(.forbiddenExtension), "SSL 3.0 ServerHello with extended_master_secret or encrypt_then_mac")
        }
        guard hello.legacyCompressionMethod == 0 else {
            throw TLSError(.peerMisbehaved(.invalidCompression), "ServerHello chose a compression method")
        }
        try checkServerExtensions(hello.extensions, allowed: sent.offeredExtensions.subtracting(tls13OnlyExtensions),
                                  offered: sent.offeredExtensions, message: "TLS 1.2 ServerHello")
        // A full handshake must not echo the random session ID of our TLS 1.3 compatibility mode: that would claim
        // the resumption of a session that never existed (BoringSSL: illegal_parameter).
        // (We offer only TLS 1.2 sessions: a legacy ServerHello echoing one resumes nothing we offered.)
        let offeredTLS12Session = sent.offeredSession?.version == .tls12 && version == .tls12
        if !offeredTLS12Session && !hello.legacySessionIDEcho.isEmpty && hello.legacySessionIDEcho == sent.clientHello.legacySessionID {
            throw TLSError(.peerMisbehaved(.unofferedSession), "the server echoed our session ID, resuming a session we never offered")
        }
        if case .renegotiationInfo(let data)? = hello.extensions.first(.renegotiationInfo), !data.isEmpty {
            throw TLSError(.peerMisbehaved(.renegotiationInfoNotEmpty), "renegotiation_info must be empty in an initial handshake")
        }
        let ems = hello.extensions.contains(.extendedMasterSecret)
        if !ems && common.requireExtendedMasterSecret {
            throw TLSError(.peerIncompatible(.extendedMasterSecretRequired), "the server does not support extended master secret (RFC 7627)")
        }
        var applicationProtocol: String?
        if case .alpn(let names)? = hello.extensions.first(.alpn) {
            applicationProtocol = try io.acceptedApplicationProtocol(names)
        }
        if case .ecPointFormats(let formats)? = hello.extensions.first(.ecPointFormats), !formats.contains(0) {
            throw TLSError(.peerIncompatible(.uncompressedPointsRequired), "the server does not accept uncompressed points")
        }
        if let limit = hello.extensions.recordSizeLimit {
            try io.applyPeerRecordSizeLimit(limit, tls13: false)
            // The server answered, so the limit we announced is negotiated: its protected records obey it.
            if let ourLimit = common.recordSizeLimit { io.limitIncomingRecords(toInnerPlaintext: Int(ourLimit)) }
        }
        io.enterVersion(version)
        let provider = common.cryptoProvider
        var transcript = Transcript(provider: provider, hash: suite.hash, version: version)
        transcript.append(sent.clientHelloRaw)
        transcript.append(raw)
        var handshake = Client12Handshake(
            configuration: sent.configuration, serverName: sent.serverName, clientRandom: sent.clientHello.random, serverRandom: hello.random,
            suite: suite, prf: TLS12PRF(provider: provider, hash: suite.hash, version: version), transcript: transcript,
            extendedMasterSecret: ems, applicationProtocol: applicationProtocol)
        handshake.version = version
        handshake.clientHelloVersion = sent.clientHello.legacyVersion
        handshake.encryptThenMAC = encryptThenMAC
        handshake.sessionID = hello.legacySessionIDEcho
        handshake.expectTicket = hello.extensions.contains(.sessionTicket)
        if case .statusRequest(let body)? = hello.extensions.first(.statusRequest) {
            guard body.isEmpty else { throw TLSError(.malformed, "status_request in ServerHello must be empty") }
            handshake.expectCertificateStatus = true
        }
        // The server resumes by echoing the session ID we offered (RFC 5246 §7.4.1.3, RFC 5077 §3.4).
        if let session = sent.offeredSession, session.version == .tls12, version == .tls12, !hello.legacySessionIDEcho.isEmpty,
           hello.legacySessionIDEcho == sent.clientHello.legacySessionID {
            guard session.cipherSuite == suite.suite else {
                throw TLSError(.peerMisbehaved(.resumptionCipherSuiteChanged), "resumed session with a different cipher suite")
            }
            // RFC 7627 §5.3: the extended master secret state must not change on resumption.
            guard session.extendedMasterSecret == ems else {
                throw TLSError(.peerMisbehaved(.extendedMasterSecretChanged), "resumption would change the extended master secret state")
            }
            handshake.resumedSession = session
            handshake.masterSecret = session.secret
            handshake.sessionID = session.sessionID
            // The resumed connection reports what the original handshake established (RFC 5077 §3.4).
            handshake.serverCertificates = session.serverAuthentication.peerCertificates
            handshake.serverSignatureScheme = session.serverAuthentication.peerSignatureScheme
            handshake.group = session.group
            return .expectChangeCipherSpec(handshake)
        }
        return .expectCertificate(handshake)
    }

    // MARK: The server's flight

    /// Consumes the next message; returns the next state (`.connected` once the handshake is done).
    func handle(_ message: HandshakeMessage, raw: [UInt8], io: any HandshakePort) throws(TLSError) -> HandshakeState {
        let common = io.common
        switch (self, message) {
        case (.expectCertificate(var handshake), .certificate12(let certificate)):
            guard !certificate.certificates.isEmpty else {
                throw TLSError(.malformed, "the server sent an empty Certificate")
            }
            guard certificate.certificates.count <= maxPeerChainLength else {
                throw TLSError(.invalidCertificate(.budget), "peer chain of \(certificate.certificates.count) certificates exceeds \(maxPeerChainLength)")
            }
            handshake.serverCertificates = certificate.certificates
            handshake.transcript.append(raw)
            if handshake.expectCertificateStatus {
                return .client12(.expectCertificateStatus(handshake))   // verification waits for the stapled response
            }
            io.requestVerification(PeerVerificationRequest(
                chainDER: handshake.serverCertificates, role: .server, serverName: handshake.serverName, now: common.now()))
            return .client12(.awaitingVerification(handshake))
        case (.expectCertificateStatus(var handshake), .certificateStatus(let response)):
            handshake.transcript.append(raw)
            io.requestVerification(PeerVerificationRequest(
                chainDER: handshake.serverCertificates, role: .server, serverName: handshake.serverName, now: common.now(),
                stapledOCSPResponse: response))
            return .client12(.awaitingVerification(handshake))
        case (.expectCertificateStatus(let handshake), _):
            // RFC 6066 §8: the server may acknowledge status_request and still send no CertificateStatus. Verify
            // without one, then handle this message as if it came right after the Certificate.
            io.handleAgain(raw)
            io.requestVerification(PeerVerificationRequest(
                chainDER: handshake.serverCertificates, role: .server, serverName: handshake.serverName, now: common.now()))
            return .client12(.awaitingVerification(handshake))
        case (.expectServerKeyExchange(var handshake), .serverKeyExchange(let exchange)):
            // TLS 1.2 names the scheme; TLS 1.0/1.1 do not (the decoder reads their form: scheme nil).
            let scheme = exchange.signatureScheme
            if let scheme {
                guard common.signatureAlgorithms.contains(scheme), isAllowedInTLS12(scheme), handshake.suite.accepts([scheme]) else {
                    throw TLSError(.peerMisbehaved(.unofferedSignatureScheme), "ServerKeyExchange signed with \(scheme), which we did not offer for this suite")
                }
            }
            let group = exchange.parameters.group
            guard tls12Groups.contains(group), common.supportedGroups.contains(group) else {
                throw TLSError(.peerMisbehaved(.unofferedGroup), "ServerKeyExchange uses \(group), which we did not offer")
            }
            let signed = try handshake.clientRandom + handshake.serverRandom + exchange.parameters.encoded
            guard let leaf = handshake.serverCertificates.first else { throw TLSError(.internal, "no server certificate") }
            let spki = try subjectPublicKeyInfo(ofCertificate: leaf)
            if let scheme {
                try common.cryptoProvider.verifyTLS12Signature(
                    scheme: scheme, subjectPublicKeyInfo: spki, message: signed, signature: exchange.signature)
            } else {
                // RFC 2246 §7.4.3, RFC 4492 §5.4: RSA over MD5 ‖ SHA-1, ECDSA over SHA-1.
                try LegacySignature.verify(spki: spki, authentication: handshake.suite.authentication, message: signed,
                                           signature: exchange.signature)
            }
            handshake.serverParameters = exchange.parameters
            handshake.serverSignatureScheme = scheme
            handshake.group = group
            handshake.transcript.append(raw)
            return .client12(.expectCertificateRequestOrDone(handshake))
        case (.expectCertificateRequestOrDone(var handshake), .certificateRequest12(let request)):
            handshake.certificateRequest = request
            handshake.transcript.append(raw)
            return .client12(.expectServerHelloDone(handshake))
        case (.expectCertificateRequestOrDone(var handshake), .serverHelloDone),
             (.expectServerHelloDone(var handshake), .serverHelloDone):
            handshake.transcript.append(raw)
            try Self.sendSecondFlight(&handshake, io: io)
            return .client12(.expectChangeCipherSpec(handshake))
        case (.expectChangeCipherSpec(var handshake), .newSessionTicket12(let ticket)) where handshake.expectTicket:
            // RFC 5077 §3.3: the ticket comes just before the server's ChangeCipherSpec, and is part of the transcript.
            handshake.transcript.append(raw)
            handshake.newTicket = ticket
            handshake.expectTicket = false
            return .client12(.expectChangeCipherSpec(handshake))
        case (.expectFinished(var handshake), .finished(let finished)):
            try handshake.checkPeerFinished(finished, raw: raw, io: io)
            if handshake.resumedSession != nil {
                // Abbreviated handshake: the server finished first; our ChangeCipherSpec and Finished end it.
                try handshake.sendChangeCipherSpecAndFinished(io: io)
            }
            Self.storeSession(handshake, io: io)
            var parameters = NegotiatedParameters(
                version: handshake.version, cipherSuite: handshake.suite.suite, group: handshake.group,
                serverSignatureScheme: handshake.serverSignatureScheme, clientSignatureScheme: handshake.clientSignatureScheme,
                applicationProtocol: handshake.applicationProtocol, serverName: handshake.serverName,
                peerCertificates: handshake.serverCertificates, usedHelloRetryRequest: false,
                resumed: handshake.resumedSession != nil, extendedMasterSecret: handshake.extendedMasterSecret)
            handshake.recordLegacyProtections(in: &parameters)
            try io.completeHandshake(parameters, traffic: .tls12(handshake.traffic))
            return .connected
        default:
            throw TLSError(.unexpectedMessage, "unexpected \(message.type) from the server")
        }
    }

    /// The server's ChangeCipherSpec: its keys take over what we read.
    func changeCipherSpec(io: any HandshakePort) throws(TLSError) -> Client12State {
        guard case .expectChangeCipherSpec(let handshake) = self else {
            // An early ChangeCipherSpec (the CVE-2014-0224 shape).
            throw TLSError(.peerMisbehaved(.changeCipherSpecOutOfPlace), "change_cipher_spec at the wrong point of the TLS 1.2 handshake")
        }
        // RFC 5077 §3.3: a server that acknowledged session_ticket sends a NewSessionTicket before this.
        guard !handshake.expectTicket else {
            throw TLSError(.peerMisbehaved(.changeCipherSpecOutOfPlace), "change_cipher_spec without the NewSessionTicket the ServerHello announced")
        }
        try installTLS12Keys(io, handshake, write: false)
        return .expectFinished(handshake)
    }

    // MARK: Our flight

    /// [Certificate], ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished.
    private static func sendSecondFlight(_ handshake: inout Client12Handshake, io: any HandshakePort) throws(TLSError) {
        let parameters = handshake.serverParameters
        if handshake.suite.keyExchange == .ecdhe && parameters == nil {
            throw TLSError(.peerMisbehaved(.missingServerKeyExchange), "ServerHelloDone without ServerKeyExchange")
        }
        var identity: CertifiedKey?
        var scheme: SignatureScheme?
        if let request = handshake.certificateRequest {
            // SSL 3.0 and TLS 1.0/1.1 client authentication is not supported: we answer with an empty Certificate (TLS).
            if handshake.version == .tls12, let candidate = handshake.configuration.certificate,
               let chosen = candidate.privateKey.supportedSchemes.first(where: { (request.signatureAlgorithms ?? []).contains($0) && isAllowedInTLS12($0) }) {
                identity = candidate
                scheme = chosen
            }
            if handshake.version == .ssl3 {
                // RFC 6101 §5.6.6: SSL 3.0 says "no certificate" with a warning alert, not an empty Certificate.
                try io.sendCountedWarning(.noCertificateSSL3)
            } else {
                let certificates = identity?.chain.derEncoded ?? []
                try io.sendHandshake(.certificate12(CertificateMessage12(certificates: certificates)), transcript: &handshake.transcript)
            }
        }
        var preMasterSecret: [UInt8] = []
        defer { wipe(&preMasterSecret) }   // also when encrypting it or sending fails
        let exchange: ClientKeyExchange
        if let parameters {
            let share = try io.common.cryptoProvider.generateKeyShare(parameters.group, random: &io.random)
            preMasterSecret = try share.sharedSecret(serverShare: parameters.publicKey)
            exchange = ClientKeyExchange(publicKey: share.publicShare)
        } else {
            // RFC 5246 §7.4.7.1: client_version (our ClientHello's, not the negotiated one) ‖ 46 random bytes.
            let version = handshake.clientHelloVersion.rawValue
            preMasterSecret = [UInt8(version >> 8), UInt8(truncatingIfNeeded: version)] + io.random.bytes(46)
            exchange = ClientKeyExchange(encryptedPreMasterSecret: try encryptPreMasterSecret(preMasterSecret, to: handshake.serverCertificates),
                                         ssl3: handshake.version == .ssl3)
        }
        try io.sendHandshake(.clientKeyExchange(exchange), transcript: &handshake.transcript)
        handshake.masterSecret = handshake.extendedMasterSecret
            ? handshake.prf.extendedMasterSecret(preMasterSecret: preMasterSecret, sessionHash: handshake.transcript.currentHash)
            : handshake.prf.legacyMasterSecret(preMasterSecret: preMasterSecret, clientRandom: handshake.clientRandom,
                                               serverRandom: handshake.serverRandom)
        if let identity, let scheme {
            let signature = try identity.privateKey.sign(scheme: scheme, message: handshake.transcript.messages ?? [])
            try io.sendHandshake(.certificateVerify(CertificateVerify(algorithm: scheme, signature: signature)), transcript: &handshake.transcript)
            handshake.clientSignatureScheme = scheme
        }
        io.logKey("CLIENT_RANDOM", clientRandom: handshake.clientRandom, secret: handshake.masterSecret)
        try handshake.sendChangeCipherSpecAndFinished(io: io)
    }

    /// PKCS#1 v1.5 encryption of the premaster to the leaf's RSA key (RFC 5246 §7.4.7.1), all in swift-crypto.
    private static func encryptPreMasterSecret(_ preMasterSecret: [UInt8], to chain: [[UInt8]]) throws(TLSError) -> [UInt8] {
        guard let leaf = chain.first else { throw TLSError(.internal, "no server certificate") }
        // RFC 5246 §7.4.2: a keyUsage, when present, must allow keyEncipherment for static RSA (as BoringSSL checks).
        let usage: KeyUsage?
        do {
            usage = try Certificate(derEncoded: leaf).extensions.keyUsage
        } catch {
            throw TLSError(.invalidCertificate(.malformed), "the server's certificate or its keyUsage does not parse")
        }
        if let usage, !usage.keyEncipherment {
            throw TLSError(.invalidCertificate(.publicKey), "the server's certificate does not allow keyEncipherment, which RSA key exchange needs")
        }
        let spki = try subjectPublicKeyInfo(ofCertificate: leaf)
        guard let key = try? _RSA.Encryption.PublicKey(derRepresentation: spki) else {
            throw TLSError(.peerMisbehaved(.signatureKeyMismatch), "an RSA key-exchange suite with a certificate key that is not RSA (2048 bits or more)")
        }
        do {
            return Array(try key.encrypt(preMasterSecret, padding: ._WEAK_AND_INSECURE_PKCS_V1_5))
        } catch {
            throw TLSError.internalError("RSA premaster encryption failed: \(error)")
        }
    }

    // MARK: Resumption (RFC 5246 §7.3, RFC 5077, RFC 7627 §5.3)

    /// Keeps the session (ID and/or ticket) for resumption.
    private static func storeSession(_ handshake: Client12Handshake, io: any HandshakePort) {
        guard let cache = handshake.configuration.sessionCache, let serverName = handshake.serverName else { return }
        // Legacy-version sessions are never kept (nor offered): resumption stays a TLS 1.2 and 1.3 matter.
        guard handshake.version == .tls12 else { return }
        // A session without the extended master secret is never offered (RFC 7627 §5.3: SHOULD NOT; resuming it is
        // open to the triple-handshake attack, §5.4), so it is not kept.
        guard handshake.extendedMasterSecret else { return }
        let ticket = handshake.newTicket?.ticket ?? handshake.resumedSession?.ticket ?? []
        guard !handshake.sessionID.isEmpty || !ticket.isEmpty else { return }
        let hint = handshake.newTicket.map { TimeInterval($0.lifetimeHint) } ?? 0
        let lifetime = min(hint > 0 ? hint : 7200, 7 * 24 * 3600)
        let session = ClientSession(
            cipherSuite: handshake.suite.suite, ticket: ticket, secret: handshake.masterSecret,
            lifetime: lifetime, received: io.common.now(), serverName: serverName,
            applicationProtocol: handshake.applicationProtocol,
            resumption: .tls12(sessionID: handshake.sessionID, extendedMasterSecret: handshake.extendedMasterSecret,
                               group: handshake.group),
            serverAuthentication: handshake.resumedSession?.serverAuthentication ?? io.verifiedAuthentication(
                chain: handshake.serverCertificates, signatureScheme: handshake.serverSignatureScheme))
        cache.store(session)
    }
}
