/// What the client remembers between sending a ClientHello and receiving the ServerHello.
struct ClientHelloSent {
    /// The client's configuration, carried through every client state (a server state has none).
    let configuration: TLSClientConfiguration
    var serverName: String?
    var clientHello: ClientHello
    var clientHelloRaw: [UInt8]
    var keyShares: [any KeyShareSecret]
    var offeredExtensions: Set<ExtensionType>
    var offeredTLS13: Bool
    /// The session whose ticket the ClientHello offers (TLS 1.3 resumption), if any.
    var offeredSession: ClientSession? = nil
    var sentChangeCipherSpec = false
    /// Set after a HelloRetryRequest: the suite it chose and the transcript so far (message_hash(CH1) + HRR + CH2).
    var helloRetry: (suite: TLS13SuiteParameters, transcript: Transcript)?
}

/// Extensions RFC 8446 §4.2 allows in each server message (recognized ones outside these are illegal_parameter).
let serverHelloExtensions: Set<ExtensionType> = [.supportedVersions, .keyShare, .preSharedKey]
let helloRetryExtensions: Set<ExtensionType> = [.supportedVersions, .keyShare, .cookie]
let encryptedExtensionsAllowed: Set<ExtensionType> = [
    .serverName, .maxFragmentLength, .supportedGroups, .useSRTP, .heartbeat, .alpn,
    .clientCertificateType, .serverCertificateType, .earlyData, .recordSizeLimit,
]
/// Extension types TLSKit recognizes (an unrecognized one the server sends is unsupported_extension).
let recognizedExtensions: Set<ExtensionType> = [
    .serverName, .maxFragmentLength, .statusRequest, .supportedGroups, .ecPointFormats, .signatureAlgorithms,
    .useSRTP, .heartbeat, .alpn, .signedCertificateTimestamp, .clientCertificateType, .serverCertificateType,
    .padding, .encryptThenMAC, .extendedMasterSecret, .recordSizeLimit, .sessionTicket, .preSharedKey, .earlyData,
    .supportedVersions, .cookie, .pskKeyExchangeModes, .certificateAuthorities, .oidFilters, .postHandshakeAuth,
    .signatureAlgorithmsCert, .keyShare, .renegotiationInfo,
]

/// Checks a server message's extensions: each must be allowed in that message and must answer something we offered.
func checkServerExtensions(_ extensions: [Extension], allowed: Set<ExtensionType>, offered: Set<ExtensionType>, message: String) throws(TLSError) {
    for ext in extensions {
        let type = ext.type
        guard offered.contains(type) else {
            throw TLSError(.peerMisbehaved(.unsolicitedExtension), "\(message) carries \(type), which we did not offer")
        }
        guard allowed.contains(type) else {
            throw TLSError(recognizedExtensions.contains(type) ? .peerMisbehaved(.forbiddenExtension) : .peerMisbehaved(.unsolicitedExtension),
                           "\(type) is not allowed in \(message)")
        }
    }
}

/// The TLS 1.3 downgrade sentinels (RFC 8446 §4.1.3): "DOWNGRD" followed by 01 (TLS 1.2) or 00 (TLS 1.1 and below).
let downgradeSentinelTLS12: [UInt8] = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01]
let downgradeSentinelTLS11: [UInt8] = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x00]

/// Whether a ServerHello random ends in a downgrade sentinel: a server that supports TLS 1.3 chose an older version
/// (RFC 8446 §4.1.3). The one check both the TLS 1.3 client (no supported_versions) and the TLS 1.2 client use.
func carriesDowngradeSentinel(_ serverRandom: [UInt8]) -> Bool {
    let tail = serverRandom.suffix(8)
    return tail.elementsEqual(downgradeSentinelTLS12) || tail.elementsEqual(downgradeSentinelTLS11)
}


/// The client's hello phase (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2): the ClientHello, a HelloRetryRequest and the
/// second ClientHello, until a ServerHello settles the version.
extension ClientHelloSent {
    // MARK: ClientHello

    /// Builds and queues the first ClientHello (with a cached session and 0-RTT when they apply).
    static func send(serverName: String?, configuration config: TLSClientConfiguration, io: any HandshakePort) throws(TLSError) -> ClientHelloSent {
        let provider = io.common.cryptoProvider
        // SSL 3.0 alone: an SSL 3.0 ClientHello (RFC 6101 §5.6.1.2), no extensions, record version 0x0300.
        let onlySSL3 = io.common.ssl3Enabled && io.common.maximumVersion == .ssl3
        io.setRecordVersion(onlySSL3 ? .ssl3 : .tls10)   // RFC 8446 §5.1: 0x0301 for the initial ClientHello

        let offerTLS13 = io.common.maximumVersion >= .tls13
        let offerTLS12 = io.common.minimumVersion <= .tls12 && io.common.maximumVersion >= .tls12
        // TLS 1.1/1.0, only with the insecure opt-in (RFC 8996 deprecates them): CBC suites, encrypt_then_mac;
        // SSL 3.0 lowest, only with its second opt-in (RFC 7568).
        let legacyVersions: [ProtocolVersion] = io.common.legacyVersionsEnabled
            ? [ProtocolVersion.tls11, .tls10, .ssl3].filter {
                $0 >= io.common.minimumVersion && $0 <= io.common.maximumVersion && ($0 != .ssl3 || io.common.ssl3Enabled)
            } : []
        let offerLegacy = !legacyVersions.isEmpty
        let clientRandom = io.random.bytes(32)
        let sessionID = config.middleboxCompatibility && offerTLS13 ? io.random.bytes(32) : []
        let greaseSeed = config.grease ? io.random.bytes(5) : []
        func grease(_ index: Int) -> UInt16 { Grease.value(from: greaseSeed[index]) }

        // The hybrid group exists only in TLS 1.3.
        let groups = offerTLS13 ? io.common.supportedGroups : io.common.supportedGroups.filter { $0 != .X25519MLKEM768 }
        // A group the server told us it prefers (EncryptedExtensions supported_groups, RFC 8446 §4.2.7) goes first.
        let hinted = serverName.flatMap { config.sessionCache?.preferredGroup(for: $0) }
            .flatMap { hint in groups.contains(hint) && provider.supports(group: hint) ? hint : nil }
        var shareGroups = config.keyShareGroups ?? {
            guard let first = hinted ?? groups.first(where: { provider.supports(group: $0) }) else { return [] }
            if first == .X25519MLKEM768 && groups.contains(.x25519) { return [first, .x25519] }
            return [first]
        }()
        shareGroups = offerTLS13 ? shareGroups.filter { groups.contains($0) && provider.supports(group: $0) } : []
        var shares: [any KeyShareSecret] = []
        for group in shareGroups {
            shares.append(try provider.generateKeyShare(group, random: &io.random))
        }

        let tls12Suites = io.common.clientTLS12Suites.filter { suite in
            (offerTLS12 && suite.usable(in: .tls12)) || legacyVersions.contains { suite.usable(in: $0) }
        }.map(\.suite)
        var suites = io.common.cipherSuites.filter { (offerTLS13 && TLS13SuiteParameters($0) != nil) || tls12Suites.contains($0) }
        suites += tls12Suites.filter { !suites.contains($0) }   // the CBC and RSA key-exchange suites the opt-in adds
        var advertisedGroups = groups
        var entries = shares.map { KeyShareEntry(group: $0.group, keyExchange: $0.publicShare) }
        var versions: [ProtocolVersion] = (offerTLS12 ? [.tls13, .tls12] : [.tls13]) + legacyVersions
        if config.grease {
            suites.insert(CipherSuite(rawValue: grease(0)), at: 0)
            advertisedGroups.insert(NamedGroup(rawValue: grease(1)), at: 0)
            entries.insert(KeyShareEntry(group: NamedGroup(rawValue: grease(1)), keyExchange: [0]), at: 0)
            versions.insert(ProtocolVersion(rawValue: grease(2)), at: 0)
        }

        var extensions: [Extension] = []
        if config.grease { extensions.append(.unknown(ExtensionType(rawValue: grease(3)), [])) }
        if let serverName, !isIPAddressLiteral(serverName) { extensions.append(.serverName(serverName)) }
        if config.requestOCSPStapling { extensions.append(.statusRequest(CertificateStatusCodec.ocspRequestBody)) }
        extensions.append(.supportedGroups(advertisedGroups))
        if offerTLS12 || offerLegacy {
            // TLS 1.2 protections: uncompressed points only, extended master secret, secure renegotiation signal.
            extensions.append(.ecPointFormats([0]))
            extensions.append(.extendedMasterSecret)
            extensions.append(.renegotiationInfo([]))
            // RFC 7366: MAC over the ciphertext, for the CBC suites only the legacy opt-in offers.
            if offerLegacy { extensions.append(.unknown(.encryptThenMAC, [])) }
            if config.sessionCache != nil { extensions.append(.sessionTicket([])) }   // RFC 5077: tickets welcome
        }
        if !io.common.applicationProtocols.isEmpty {
            extensions.append(.alpn(io.common.applicationProtocols.map { Array($0.utf8) }))
        }
        extensions.append(.signatureAlgorithms(io.common.signatureAlgorithms))
        if let certSchemes = io.common.certificateSignatureAlgorithms {
            extensions.append(.signatureAlgorithmsCert(certSchemes))
        }
        if offerTLS13 {
            extensions.append(.keyShareClient(entries))
            // An empty list would be malformed (RFC 8446 §4.2.9: at least one mode): no modes, no extension, no PSK.
            if !io.common.pskKeyExchangeModes.isEmpty {
                extensions.append(.pskKeyExchangeModes(io.common.pskKeyExchangeModes.map(\.rawValue)))
            }
            extensions.append(.supportedVersionsClient(versions))
        }
        if let limit = io.common.recordSizeLimit { extensions.append(.recordSizeLimit(limit)) }
        if config.grease {
            var last = grease(4)
            if last == grease(3) { last ^= 0x1010 }
            extensions.append(.unknown(ExtensionType(rawValue: last), [0]))
        }

        if onlySSL3 {
            // RFC 6101 has no extensions; RFC 5746 §3.3: the SCSV signals secure renegotiation instead.
            extensions = []
            suites = suites.filter { TLS12SuiteParameters($0)?.usable(in: .ssl3) == true } + [.TLS_EMPTY_RENEGOTIATION_INFO_SCSV]
        }
        // Without TLS 1.3 the highest version offered goes in legacy_version (RFC 5246 §7.4.1.2).
        let legacyVersion = offerTLS13 || offerTLS12 ? ProtocolVersion.tls12 : legacyVersions.first ?? .tls12
        var hello = ClientHello(legacyVersion: legacyVersion, random: clientRandom, legacySessionID: sessionID,
                                cipherSuites: suites, extensions: extensions)
        config.clientHelloCustomizer?(&hello, false)
        // Resumption: offer the newest cached session, if this ClientHello can still use it: a TLS 1.3 ticket whose
        // suite hash we offer (RFC 8446 §4.6.1), or a TLS 1.2 session ID / ticket for a suite we offer (RFC 5077).
        var session: ClientSession?
        let helloWithoutSession = hello
        if let serverName, let cache = config.sessionCache,
           let cached = cache.take(serverName: serverName, now: io.common.now(), where: { io.clientMayResume($0, serverName: serverName) }) {
            if cached.version == .tls13, offerTLS13, !io.common.pskKeyExchangeModes.isEmpty, let cachedSuite = TLS13SuiteParameters(cached.cipherSuite),
               suites.contains(where: { TLS13SuiteParameters($0)?.hash == cachedSuite.hash }) {
                session = cached
            } else if cached.version == .tls12, cached.extendedMasterSecret, offerTLS12, suites.contains(cached.cipherSuite) {
                // (A TLS 1.2 session without the extended master secret is never offered, RFC 7627 §5.3/§5.4.)
                session = cached
                // The server echoes this ID when it resumes; for a ticket-only session any fresh ID does.
                hello.legacySessionID = cached.sessionID.isEmpty ? io.random.bytes(32) : cached.sessionID
                if let index = hello.extensions.firstIndex(where: { $0.type == .sessionTicket }) {
                    hello.extensions[index] = .sessionTicket(cached.ticket)
                }
            }
        }
        var raw: [UInt8]
        var offerEarlyData = config.enableEarlyData && session?.version == .tls13 && (session?.maxEarlyDataSize ?? 0) > 0
        do {
            if let session, session.version == .tls13 {
                // A clientHelloCustomizer may already have placed early_data (to mirror another implementation's
                // extension order, e.g. NSS's in RFC 8448 §4): keep it where it is, never twice.
                if offerEarlyData && !hello.extensions.contains(where: { $0.type == .earlyData }) {
                    hello.extensions.append(.earlyData(maxEarlyDataSize: nil))
                }
                raw = try offerPSK(session, in: &hello, transcriptPrefix: nil, io: io)
            } else {
                addPadding(to: &hello)
                raw = try HandshakeMessage.clientHello(hello).encode()
            }
        } catch where session != nil {
            // The cached session does not fit in a ClientHello (a ticket close to 2^16 bytes; the extensions block
            // holds at most 2^16 - 1): it is dropped, and this is a full handshake.
            hello = helloWithoutSession
            session = nil
            offerEarlyData = false
            addPadding(to: &hello)
            raw = try HandshakeMessage.clientHello(hello).encode()
        }
        io.queueHandshake(raw, type: .clientHello)
        io.flushHandshake()
        // RFC 8446 §5.1: only the initial ClientHello may say 0x0301; every later record (the CCS and second
        // ClientHello after a HelloRetryRequest, plaintext alerts) says 0x0303 — or, offering only TLS 1.1/1.0, the
        // version we offer.
        io.setRecordVersion(legacyVersion)

        // RFC 5746 §3.4: the SCSV stands for an empty renegotiation_info, which the server then answers with one.
        let scsvOffers: Set<ExtensionType> = hello.cipherSuites.contains(.TLS_EMPTY_RENEGOTIATION_INFO_SCSV) ? [.renegotiationInfo] : []
        var sent = ClientHelloSent(
            configuration: config, serverName: serverName, clientHello: hello, clientHelloRaw: raw, keyShares: shares,
            offeredExtensions: Set(hello.extensions.map(\.type)).union(scsvOffers), offeredTLS13: offerTLS13, offeredSession: session)
        if offerEarlyData, let session, let suite = TLS13SuiteParameters(session.cipherSuite) {
            // 0-RTT: client_early_traffic_secret = Derive-Secret(Early Secret(PSK), "c e traffic", ClientHello).
            let schedule = KeySchedule(provider: io.common.cryptoProvider, hash: suite.hash)
            var transcript = Transcript(provider: io.common.cryptoProvider, hash: suite.hash)
            transcript.append(raw)
            let secret = schedule.deriveSecret(schedule.earlySecret(psk: session.secret).secret, label: .clientEarlyTraffic,
                                               transcriptHash: transcript.currentHash)
            io.logKey("CLIENT_EARLY_TRAFFIC_SECRET", clientRandom: clientRandom, secret: secret)
            if config.middleboxCompatibility {
                io.sendChangeCipherSpec()   // RFC 8446 §D.4: right after the ClientHello when sending early data
                sent.sentChangeCipherSpec = true
            }
            try io.installWriteKey(secret: secret, schedule: schedule, aead: suite.aead)
            io.offerEarlyData(ticket: session, allowance: Int(session.maxEarlyDataSize))
        }
        return sent
    }

    /// Adds pre_shared_key for `session` as the last extension, pads, and fills in the binder computed over the
    /// truncated ClientHello (after `transcriptPrefix`, the HelloRetryRequest transcript, if any). Returns the bytes.
    private static func offerPSK(_ session: ClientSession, in hello: inout ClientHello, transcriptPrefix: Transcript?,
                                 io: any HandshakePort) throws(TLSError) -> [UInt8] {
        guard let suite = TLS13SuiteParameters(session.cipherSuite) else { throw TLSError(.internal, "ticket for a non-TLS 1.3 suite") }
        let schedule = KeySchedule(provider: io.common.cryptoProvider, hash: suite.hash)
        let placeholder = [UInt8](repeating: 0, count: suite.hash.digestLength)
        let identity = PSKIdentity(identity: session.ticket, obfuscatedTicketAge: session.obfuscatedAge(at: io.common.now()))
        hello.extensions.removeAll { $0.type == .preSharedKey }
        hello.extensions.append(.preSharedKeyClient(identities: [identity], binders: [placeholder]))
        addPadding(to: &hello)
        guard let truncated = try hello.encodedWithoutBinders() else { throw TLSError(.internal, "cannot truncate the ClientHello") }
        var transcript = transcriptPrefix ?? Transcript(provider: io.common.cryptoProvider, hash: suite.hash)
        transcript.append(truncated)
        let binder = resumptionBinder(schedule: schedule, psk: session.secret, transcriptHash: transcript.currentHash)
        hello.extensions[hello.extensions.count - 1] = .preSharedKeyClient(identities: [identity], binders: [binder])
        return try HandshakeMessage.clientHello(hello).encode()
    }


    /// RFC 7685 padding, as BoringSSL does it: a ClientHello between 256 and 511 bytes is padded to 512, so that
    /// buggy middleboxes that mis-handle that range do not see one.
    private static func addPadding(to hello: inout ClientHello) {
        hello.extensions.removeAll { $0.type == .padding }
        // An SSL 3.0 ClientHello has no extensions block to pad.
        guard !hello.extensions.isEmpty, let length = try? HandshakeMessage.clientHello(hello).encode().count,   // (unencodable: fails when sent)
              length > 0xFF && length < 0x200 else { return }
        var paddingLength = 0x200 - length
        paddingLength = paddingLength >= 5 ? paddingLength - 4 : 1
        let index = hello.extensions.firstIndex { $0.type == .preSharedKey } ?? hello.extensions.count
        hello.extensions.insert(.padding(paddingLength), at: index)
    }

    // MARK: ServerHello

    /// The server's answer: a HelloRetryRequest (we send the second ClientHello), a TLS 1.2 ServerHello, or TLS 1.3's.
    func handle(serverHello hello: ServerHello, raw: [UInt8], io: any HandshakePort) throws(TLSError) -> HandshakeState {
        if hello.isHelloRetryRequest {
            return .clientExpectServerHello(try retry(after: hello, raw: raw, io: io))
        }
        if hello.extensions.supportedVersionServer == nil && helloRetry == nil
            && io.common.minimumVersion <= .tls12 && io.common.maximumVersion >= .tls12 && hello.legacyVersion == .tls12 {
            return .client12(try Client12State.start(hello, raw: raw, sent: self, io: io))
        }
        // TLS 1.1/1.0: the same handshake, parameterised by version, only when the insecure opt-in allows it.
        let version = hello.legacyVersion
        // SSL 3.0 likewise, only under its second opt-in (otherwise it falls to TLS 1.3's check: protocol_version).
        let legacy = version == .tls11 || version == .tls10 || (version == .ssl3 && io.common.ssl3Enabled)
        if hello.extensions.supportedVersionServer == nil && helloRetry == nil && legacy
            && io.common.legacyVersionsEnabled && version >= io.common.minimumVersion && version <= io.common.maximumVersion {
            return .client12(try Client12State.start(hello, raw: raw, sent: self, version: version, io: io))
        }
        return .client13(try Client13State.start(hello, raw: raw, sent: self, io: io))
    }

    // MARK: HelloRetryRequest

    private func retry(after hrr: ServerHello, raw: [UInt8], io: any HandshakePort) throws(TLSError) -> ClientHelloSent {
        let sent = self
        guard sent.helloRetry == nil else {
            throw TLSError(.peerMisbehaved(.secondHelloRetryRequest), "a second HelloRetryRequest")
        }
        // RFC 8446 §5.1: a message after the HelloRetryRequest in the same flight would straddle the ClientHello we
        // are about to send; detected before anything goes out.
        guard !io.hasBufferedHandshakeData else {
            throw TLSError(.peerMisbehaved(.dataAfterHelloRetryRequest), "handshake data after the HelloRetryRequest")
        }
        try checkServerHelloCommon(hrr, sent: sent, what: "HelloRetryRequest")
        // RFC 8446 §4.2: cookie is the one extension a server may send unsolicited, and only in a HelloRetryRequest.
        try checkServerExtensions(hrr.extensions, allowed: helloRetryExtensions, offered: sent.offeredExtensions.union([.cookie]),
                                  message: "HelloRetryRequest")
        guard let suite = TLS13SuiteParameters(hrr.cipherSuite) else {
            throw TLSError(.peerMisbehaved(.unofferedCipherSuite), "HelloRetryRequest chose a suite we did not offer")
        }
        let selectedGroup = hrr.extensions.keyShareHelloRetryRequest
        let cookie = hrr.extensions.cookie
        guard selectedGroup != nil || cookie != nil else {
            throw TLSError(.peerMisbehaved(.helloRetryRequestChangesNothing), "HelloRetryRequest that would not change the ClientHello")
        }
        let provider = io.common.cryptoProvider
        var hello = sent.clientHello
        var shares = sent.keyShares
        if let group = selectedGroup {
            guard io.common.supportedGroups.contains(group), provider.supports(group: group) else {
                throw TLSError(.peerMisbehaved(.unofferedGroup), "HelloRetryRequest asks for \(group), which we did not offer")
            }
            guard !sent.keyShares.contains(where: { $0.group == group }) else {
                throw TLSError(.peerMisbehaved(.helloRetryRequestForExistingShare), "HelloRetryRequest asks for \(group), for which we already sent a share")
            }
            shares = [try provider.generateKeyShare(group, random: &io.random)]
        }
        // The second ClientHello: new key share, the cookie echoed, everything else unchanged (RFC 8446 §4.1.2).
        hello.extensions = hello.extensions.compactMap { ext -> Extension? in
            switch ext {
            case .keyShareClient: return .keyShareClient(shares.map { KeyShareEntry(group: $0.group, keyExchange: $0.publicShare) })
            case .earlyData, .cookie, .padding: return nil
            default: return ext
            }
        }
        if let cookie {
            let index = hello.extensions.firstIndex { if case .unknown(_, let body) = $0, body == [0] { return true } else { return false } }
                ?? hello.extensions.firstIndex { $0.type == .preSharedKey } ?? hello.extensions.count
            hello.extensions.insert(.cookie(cookie), at: index)
        }
        configuration.clientHelloCustomizer?(&hello, true)
        if io.earlyDataOffered {
            // A HelloRetryRequest rejects early data; the second ClientHello goes out unprotected again.
            io.dropWriteProtection()
            io.earlyDataRejected()
        }
        var transcript = Transcript.restartedForHelloRetry(provider: provider, hash: suite.hash, clientHello1: sent.clientHelloRaw)
        transcript.append(raw)
        var next = sent
        // Keep offering the ticket only if its hash matches the suite the HelloRetryRequest fixed.
        var raw2: [UInt8]
        if let session = sent.offeredSession, session.version == .tls13, TLS13SuiteParameters(session.cipherSuite)?.hash == suite.hash {
            raw2 = try Self.offerPSK(session, in: &hello, transcriptPrefix: transcript, io: io)
        } else {
            hello.extensions.removeAll { $0.type == .preSharedKey }
            next.offeredSession = nil
            Self.addPadding(to: &hello)
            raw2 = try HandshakeMessage.clientHello(hello).encode()
        }
        // RFC 8446 §5.1: only the initial ClientHello may use 0x0301; everything after a HelloRetryRequest
        // (the compatibility change_cipher_spec and the second ClientHello) is written with 0x0303.
        io.setRecordVersion(.tls12)
        if configuration.middleboxCompatibility && !next.sentChangeCipherSpec {
            io.sendChangeCipherSpec()
            next.sentChangeCipherSpec = true
        }
        transcript.append(raw2)
        io.queueHandshake(raw2, type: .clientHello)
        io.flushHandshake()
        next.clientHello = hello
        next.clientHelloRaw = raw2
        next.keyShares = shares
        next.offeredExtensions = Set(hello.extensions.map(\.type))
        next.helloRetry = (suite, transcript)
        return next
    }
}
/// Checks shared by ServerHello and HelloRetryRequest.
func checkServerHelloCommon(_ hello: ServerHello, sent: ClientHelloSent, what: String) throws(TLSError) {
    // RFC 8446 §D.5: a Hello with legacy_version 0x0300 or less is protocol_version.
    guard hello.legacyVersion.rawValue > 0x0300 else {
        throw TLSError(.peerIncompatible(.noCommonVersion), "\(what) legacy_version is \(hello.legacyVersion)")
    }
    guard let version = hello.extensions.supportedVersionServer else {
        // No supported_versions: the server picked TLS 1.2 or older, which this client does not speak.
        if carriesDowngradeSentinel(hello.random) {
            throw TLSError(.peerMisbehaved(.downgradeDetected), "downgrade detected: the server signalled TLS 1.3 support but chose an older version")
        }
        throw TLSError(.peerIncompatible(.noCommonVersion), "the server chose \(hello.legacyVersion); this client requires TLSv1.3")
    }
    guard version == .tls13 else {
        throw TLSError(.peerMisbehaved(.unofferedVersion), "\(what) selected \(version) in supported_versions")
    }
    guard hello.legacyVersion == .tls12 else {
        throw TLSError(.peerMisbehaved(.invalidLegacyVersion), "\(what) legacy_version is \(hello.legacyVersion), not 0x0303")
    }
    guard hello.legacySessionIDEcho == sent.clientHello.legacySessionID else {
        throw TLSError(.peerMisbehaved(.sessionIDNotEchoed), "\(what) does not echo our legacy_session_id")
    }
    guard hello.legacyCompressionMethod == 0 else {
        throw TLSError(.peerMisbehaved(.invalidCompression), "\(what) chose a compression method")
    }
    guard sent.clientHello.cipherSuites.contains(hello.cipherSuite), TLS13SuiteParameters(hello.cipherSuite) != nil else {
        throw TLSError(.peerMisbehaved(.unofferedCipherSuite), "\(what) chose \(hello.cipherSuite), which we did not offer")
    }
    if let retry = sent.helloRetry, retry.suite.suite != hello.cipherSuite {
        throw TLSError(.peerMisbehaved(.cipherSuiteChangedAfterRetry), "ServerHello chose a different suite than the HelloRetryRequest")
    }
}

/// binder = HMAC(finished_key(binder_key), Transcript-Hash(truncated ClientHello)) with
/// binder_key = Derive-Secret(Early Secret, "res binder", "") (RFC 8446 §4.2.11.2, §7.1).
func resumptionBinder(schedule: KeySchedule, psk: [UInt8], transcriptHash: [UInt8]) -> [UInt8] {
    let early = schedule.earlySecret(psk: psk)
    let binderKey = schedule.deriveSecret(early.secret, label: .resumptionBinder, transcriptHash: schedule.emptyHash)
    return schedule.finishedVerifyData(baseKey: binderKey, transcriptHash: transcriptHash)
}

/// The most certificates we accept in a peer's chain.
let maxPeerChainLength = 10

extension String {
    /// Decodes UTF-8 bytes, or nil if they are not valid UTF-8.
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        guard let string = String(validating: bytes, as: UTF8.self) else { return nil }
        self = string
    }
}

/// True for IPv4 and IPv6 literals (which never go in SNI, RFC 6066 §3).
func isIPAddressLiteral(_ name: String) -> Bool {
    let bare = name.hasPrefix("[") && name.hasSuffix("]") ? String(name.dropFirst().dropLast()) : name
    return ipAddressBytes(bare) != nil
}
