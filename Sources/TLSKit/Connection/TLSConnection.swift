import Foundation

/// A sans-I/O TLS connection: bytes from the network go in through `receive(_:)`, bytes for the network come out
/// of `takeOutput()`, and application data comes out of `takeApplicationData()`. No sockets, threads, clocks or
/// global randomness inside: the configuration injects time and randomness.
///
/// Certificate verification is asynchronous (swift-certificates' verifier is `async`): when the peer's chain
/// arrives the connection pauses with `pendingVerification` set; call `performPendingVerification()` (or run your
/// own check and call `completeVerification(_:)`), then go on feeding bytes.
///
/// Not thread-safe: use one connection from one task or event loop at a time.
///
/// Secrets: when the connection ends — it fails, close_notify went both ways, or it is deallocated — the secrets it
/// holds (traffic, exporter and resumption secrets, the TLS 1.2 master secret, whatever the handshake state still
/// holds) are overwritten in place; after `close()` alone, our own TLS 1.3 sending secret is. Best-effort: see the
/// README section "Secrets in memory" for what Swift copies out of reach.
public final class TLSConnection {
    public enum Role: Sendable {
        case client
        case server
    }

    /// The role with its configuration: a client connection has no server configuration to misread, and the
    /// reverse. (The handshake states carry their own copy; this one serves what comes after the handshake.)
    enum Endpoint {
        case client(TLSClientConfiguration)
        case server(TLSServerConfiguration)
    }

    let endpoint: Endpoint
    public var role: Role {
        switch endpoint {
        case .client: return .client
        case .server: return .server
        }
    }
    /// The endpoint's common configuration (kept apart: the record and key paths read it often).
    let common: TLSCommonConfiguration
    let verifier: (any CertificateVerifier)?
    /// The verifier's policy digest, which sessions are bound to: hex and SHA-256 of the policy identifier, computed
    /// once (the profile of a resumed TLS 1.2 handshake showed it at 5 %).
    lazy var verificationPolicyDigest: [UInt8]? = computeVerificationPolicyDigest()
    /// The injected randomness. The record layer holds it (CBC records draw their explicit IVs from it), so there is
    /// one stream for the handshake and the records.
    var random: any RandomSource {
        get { records.random }
        set { records.random = newValue }
    }

    var records = RecordLayer()
    var reassembler: HandshakeReassembler
    var state: HandshakeState
    /// What the live connection needs (nil until the handshake completes).
    var traffic: Traffic?

    var buffers = ConnectionBuffers()
    /// Bounded: see `EventQueue` and `droppedEventCount`.
    var events = EventQueue()
    var lifecycle = Lifecycle()
    /// Counters that bound what a hostile peer can make us do.
    var bounds = PeerBounds()
    var earlyData = EarlyDataState()

    public private(set) var negotiated: NegotiatedParameters?
    /// Set while the connection waits for the peer's chain to be verified.
    public private(set) var pendingVerification: PeerVerificationRequest?
    /// The notAfter of the leaf the verifier accepted (it parsed it already), for the session's authentication.
    var verifiedLeafNotAfter: Date?

    /// The error that ended the connection, if one did.
    public var failure: TLSError? { lifecycle.failure }
    public var peerClosed: Bool { lifecycle.peerClosed }
    public var sentCloseNotify: Bool { lifecycle.sentCloseNotify }

    static let maxKeyUpdatesInARow = 32
    static let maxEmptyRecordsInARow = 32
    static let maxWarningAlertsInARow = 4

    /// Server: a ClientHello has arrived (from then on a TLS 1.3 compatibility change_cipher_spec may come).
    var receivedFirstClientHello: Bool {
        if case .serverExpectClientHello(let start) = state { return start.helloRetry != nil }
        return true
    }
    var earlyDataOffered: Bool { earlyData.ticket != nil }
    /// Client: the session our early data went out under.
    var earlyDataTicket: ClientSession? { earlyData.ticket }
    /// Whether the server accepted early data (nil: none was offered, or the answer is not in yet). Set on both
    /// sides: a server knows once it has read the ClientHello.
    public var earlyDataAccepted: Bool? { earlyData.accepted }
    /// Server: why the client's early data was rejected (nil when it was accepted or not offered).
    public var earlyDataRejectionReason: EarlyDataRejection? { earlyData.rejectionReason }

    /// A client connection to `serverName`: a DNS name (sent as SNI) or an IP literal (not sent), which the
    /// server's certificate must be valid for (DNS names against dNSName SANs, IP literals against iPAddress SANs).
    ///
    /// `serverName: nil` sends no SNI and leaves nothing to check the certificate against, so it throws a
    /// `TLSConfigurationError` unless `insecureSkipServerIdentityCheck` is set (then the chain is still verified,
    /// with no identity) or `peerVerification` is `.insecureNoVerification`. An empty name always throws.
    public init(client configuration: TLSClientConfiguration, serverName: String?) throws {
        try TLSConnection.checkServerName(serverName, configuration)
        endpoint = .client(configuration)
        common = configuration.common
        verifier = try configuration.peerVerification.makeVerifier()
        records.random = configuration.common.randomSource
        reassembler = HandshakeReassembler(maxMessageSize: configuration.common.maxHandshakeMessageSize)
        records.paddingBlockSize = configuration.common.recordPaddingBlockSize ?? 0
        state = .clientStart(serverName: serverName)
        try Self.validate(common, isClient: true)
        try Self.validate(verifier)
        do {
            state = .clientExpectServerHello(try ClientHelloSent.send(serverName: serverName, configuration: configuration, io: self))
        } catch {
            fail(error)
            throw error
        }
    }

    public init(server configuration: TLSServerConfiguration) throws {
        endpoint = .server(configuration)
        common = configuration.common
        switch configuration.clientAuthentication {
        case .none: verifier = nil
        case .optional(let verification), .required(let verification): verifier = try verification.makeVerifier()
        }
        records.random = configuration.common.randomSource
        reassembler = HandshakeReassembler(maxMessageSize: configuration.common.maxHandshakeMessageSize)
        records.paddingBlockSize = configuration.common.recordPaddingBlockSize ?? 0
        state = .serverExpectClientHello(ServerStart(configuration: configuration))
        try Self.validate(common, isClient: false)
        try Self.validate(verifier)
        guard configuration.certificate != nil || configuration.certificateSelector != nil else {
            throw TLSConfigurationError("a server needs a certificate (or a certificate selector)")
        }
        try Self.validate(server: configuration)
    }

    deinit {
        wipeSecrets()
    }

    /// A client must name the server it expects, or say explicitly that it checks no identity.
    private static func checkServerName(_ serverName: String?, _ configuration: TLSClientConfiguration) throws {
        if let serverName {
            guard !serverName.isEmpty else { throw TLSConfigurationError("the server name is empty") }
            return
        }
        if configuration.insecureSkipServerIdentityCheck { return }
        if case .insecureNoVerification = configuration.peerVerification { return }
        throw TLSConfigurationError(
            "no server name: the server's certificate could not be checked against any identity; pass the name "
                + "(DNS name or IP address) you connect to, or set insecureSkipServerIdentityCheck to skip that check")
    }

    private static func validate(_ common: TLSCommonConfiguration, isClient: Bool) throws {
        // Below TLS 1.2 only with the insecure opt-in; SSL 3.0 (RFC 7568) only for a client with the second,
        // POODLE-named opt-in; below SSL 3.0 never.
        if common.minimumVersion < .ssl3 || common.maximumVersion < .ssl3
            || (common.minimumVersion == .ssl3 && (!isClient || common.insecureLegacyVersions != .downToSSL30IncludingPOODLEVulnerableSSL3)) {
            throw TLSConfigurationError(isClient
                ? "SSLv3 is available only with insecureLegacyVersions = .downToSSL30IncludingPOODLEVulnerableSSL3: "
                    + "POODLE breaks its CBC padding and RFC 7568 forbids it; the lowest version is otherwise TLSv1.0"
                : "a server never speaks SSLv3 (POODLE, RFC 7568); the lowest version is TLSv1.0")
        }
        // The SSL 3.0 opt-in means downToTLS10 to a server.
        let lowest = isClient ? common.insecureLegacyVersions?.lowestVersion ?? .tls12
            : common.insecureLegacyVersions.map { max($0.lowestVersion, .tls10) } ?? .tls12
        if common.minimumVersion < lowest, common.minimumVersion >= .tls10, common.insecureLegacyVersions == nil {
            throw TLSConfigurationError("minimumVersion \(common.minimumVersion) is below TLSv1.2: versions below it are insecure and off unless insecureLegacyVersions allows them")
        }
        guard common.minimumVersion >= lowest, common.maximumVersion <= .tls13, common.minimumVersion <= common.maximumVersion else {
            throw TLSConfigurationError("versions must lie within \(lowest)…TLSv1.3 (got \(common.minimumVersion)…\(common.maximumVersion))")
        }
        let tls13Usable = common.maximumVersion >= .tls13 && common.cipherSuites.contains { TLS13SuiteParameters($0) != nil }
        let tls12Usable = common.minimumVersion <= .tls12 && !common.tls12Suites.isEmpty
        guard tls13Usable || tls12Usable else {
            throw TLSConfigurationError("no cipher suite configured for the enabled versions")
        }
        guard common.supportedGroups.contains(where: { common.cryptoProvider.supports(group: $0) }) else {
            throw TLSConfigurationError("no supported key-exchange group configured")
        }
        // Numbers that size buffers or loops: out of range they would trap or make every connection fail later.
        if let block = common.recordPaddingBlockSize, !(1...RecordLimits.maxPlaintext).contains(block) {
            throw TLSConfigurationError("recordPaddingBlockSize must lie within 1…\(RecordLimits.maxPlaintext) (got \(block); nil: no padding)")
        }
        guard (1...maxHandshakeMessageSizeLimit).contains(common.maxHandshakeMessageSize) else {
            throw TLSConfigurationError("maxHandshakeMessageSize must lie within 1…\(maxHandshakeMessageSizeLimit) (got \(common.maxHandshakeMessageSize))")
        }
        if let limit = common.recordSizeLimit, limit < 64 {
            // RFC 8449 §4: endpoints MUST NOT send a record_size_limit below 64.
            throw TLSConfigurationError("recordSizeLimit must be at least 64 (RFC 8449; got \(limit))")
        }
        guard common.maxBufferedInputWhileVerifying >= minBufferedInputWhileVerifying else {
            throw TLSConfigurationError("maxBufferedInputWhileVerifying must be at least \(minBufferedInputWhileVerifying) (one largest record; got \(common.maxBufferedInputWhileVerifying))")
        }
        // RFC 7301 §3.1: ProtocolName<1..2^8-1>.
        if let name = common.applicationProtocols.first(where: { $0.utf8.isEmpty || $0.utf8.count > 255 }) {
            throw TLSConfigurationError("an ALPN protocol name must be 1…255 bytes (got \(name.utf8.count) bytes)")
        }
    }

    /// One largest protected record with its header.
    static let minBufferedInputWhileVerifying = RecordLimits.headerLength + RecordLimits.maxCiphertext
    /// The largest handshake message the 24-bit length can describe.
    static let maxHandshakeMessageSizeLimit = (1 << 24) - 1
    /// Most NewSessionTickets sent after one handshake (their nonce is one byte; more than a few is never useful).
    static let maxTicketsPerHandshake = 16

    private static func validate(server configuration: TLSServerConfiguration) throws {
        guard (0...maxTicketsPerHandshake).contains(configuration.ticketsPerHandshake) else {
            throw TLSConfigurationError("ticketsPerHandshake must lie within 0…\(maxTicketsPerHandshake) (got \(configuration.ticketsPerHandshake))")
        }
        guard configuration.earlyDataAgeTolerance.isFinite, configuration.earlyDataAgeTolerance >= 0 else {
            throw TLSConfigurationError("earlyDataAgeTolerance must be a finite number of seconds, 0 or more (got \(configuration.earlyDataAgeTolerance))")
        }
        if let ring = configuration.sessionTicketKeys, let problem = ring.configurationProblem {
            throw TLSConfigurationError("sessionTicketKeys: \(problem)")
        }
        if let cache = configuration.sessionIDCache, !(cache.timeout.isFinite && cache.timeout >= 0) {
            throw TLSConfigurationError("sessionIDCache: timeout must be a finite number of seconds, 0 or more (got \(cache.timeout))")
        }
    }

    /// The work caps of TLSKit's own verifier (a custom verifier bounds its own work).
    private static func validate(_ verifier: (any CertificateVerifier)?) throws {
        guard let x509 = verifier as? X509CertificateVerifier else { return }
        if let problem = x509.limits.configurationProblem {
            throw TLSConfigurationError("verification limits: \(problem)")
        }
    }

    // MARK: - Driving the connection

    /// Feeds bytes read from the network. Throws the `TLSError` that ended the connection (after queueing the
    /// alert to send, so still call `takeOutput()` and write it before closing the socket).
    ///
    /// While a certificate verification is pending nothing is processed, so the bytes wait in the connection; beyond
    /// `maxBufferedInputWhileVerifying` of them the connection fails (internal_error) rather than grow without bound.
    public func receive(_ bytes: [UInt8]) throws(TLSError) {
        if let failure { throw failure }
        if pendingVerification != nil {
            // Refused before it is copied in.
            try checkInputWhileVerifying(buffered: records.bufferedByteCount + bytes.count)
        }
        records.receive(bytes)
        try process()
    }

    /// Fails the connection when more than `maxBufferedInputWhileVerifying` bytes wait behind a pending verification.
    ///
    /// internal_error: the peer broke no rule (after its Certificate it may go on with CertificateVerify, Finished and,
    /// as a server, 0.5-RTT data, and TCP lets it send as much as our driver reads), so no protocol alert fits; we stop
    /// because of a local resource limit, which is what RFC 8446 §6.2 names internal_error for ("unrelated to the peer
    /// or the correctness of this protocol (such as a memory allocation failure)"). BoringSSL sends internal_error
    /// when it cannot grow a buffer, and rustls reports a full receive buffer as a local I/O error, not a peer fault.
    private func checkInputWhileVerifying(buffered: Int) throws(TLSError) {
        guard buffered > common.maxBufferedInputWhileVerifying else { return }
        let error = TLSError(.limitExceeded(.inputWhileVerifying), "\(buffered) bytes received while the peer's certificate is being verified, "
            + "more than maxBufferedInputWhileVerifying (\(common.maxBufferedInputWhileVerifying))")
        fail(error)
        throw error
    }

    /// Bytes to write to the network (handshake records, protected application data, alerts).
    public func takeOutput() -> [UInt8] {
        // Handed over whole; no storage is kept back (an idle connection holds no output buffer).
        var bytes: [UInt8] = []
        takeOutput(into: &bytes)
        return bytes
    }

    /// `takeOutput()` for callers that copy the bytes out at once (into a socket or a `ByteBuffer`): the pending
    /// output is swapped into `buffer`, and `buffer`'s storage (its old contents dropped) becomes the engine's next
    /// output buffer. Passing the same array every time keeps two buffers alternating instead of allocating a new
    /// one per call.
    public func takeOutput(into buffer: inout [UInt8]) {
        flushHandshake()
        buffer.removeAll(keepingCapacity: true)
        swap(&buffer, &buffers.output)
    }

    public var hasOutput: Bool { !buffers.output.isEmpty || !buffers.pendingHandshake.isEmpty }

    /// Decrypted application data received so far.
    public func takeApplicationData() -> [UInt8] {
        // Handed over whole; the next record's plaintext becomes the new buffer (no copy, no spare allocation).
        let data = buffers.applicationData
        buffers.applicationData = []
        return data
    }

    /// Events since the last call, oldest first. Taking them is optional: at most 64 wait, and when more arrive the
    /// oldest `.handshakeMessage` / `.newSessionTicket` events are dropped first, then the oldest `.keyUpdated`;
    /// `.handshakeCompleted`, `.peerClosed` and `.earlyDataAccepted` are never dropped (see `droppedEventCount`).
    public func takeEvents() -> [TLSEvent] {
        events.take()
    }

    /// How many events were dropped, over the connection's life, because more than 64 waited untaken.
    public var droppedEventCount: Int { events.dropped }

    public var isHandshakeComplete: Bool { traffic != nil }

    /// The version the hello exchange settled on (nil before it has): the state's, then the live connection's.
    var negotiatedVersion: ProtocolVersion? {
        switch state {
        case .client13, .server13: return .tls13
        case .client12(let state): return state.version
        case .server12(let state): return state.version
        case .connected, .failed: return traffic?.version
        case .serverExpectClientHello(let start): return start.helloRetry != nil ? .tls13 : nil   // a HelloRetryRequest went out
        case .clientStart, .clientExpectServerHello: return nil
        }
    }

    /// TLS 1.3 traffic secrets (RFC 8448 replays and the wiping tests read them).
    var tls13Traffic: TrafficState? {
        if case .tls13(let traffic) = traffic { return traffic }
        return nil
    }

    /// The TLS 1.2 master secret and randoms (the wiping tests read them).
    var tls12Traffic: TLS12Traffic? {
        if case .tls12(let traffic) = traffic { return traffic }
        return nil
    }

    var isReceivingEarlyData: Bool {
        if case .server13(.expectEndOfEarlyData) = state { return true }
        return false
    }

    /// Client, 0-RTT: how many bytes `sendEarlyData` still accepts (0 when early data is not possible now).
    public var earlyDataCapacity: Int {
        guard role == .client, earlyDataOffered, earlyDataAccepted == nil, case .clientExpectServerHello = state else { return 0 }
        return earlyData.allowance - earlyData.sent.count
    }

    /// Client, 0-RTT: sends `plaintext` as early data, before the server has answered. Only possible right after the
    /// connection was created, when resuming with `enableEarlyData` and a ticket that allows it (see
    /// `earlyDataCapacity`). Early data can be replayed by an attacker: send only what is safe to repeat. If the
    /// server rejects it, it is sent again, as ordinary data, right after the handshake — but only when the server
    /// selected the ticket's ALPN protocol; otherwise it would mean something else (RFC 8446 §4.2.10: MUST NOT be
    /// resent automatically), so it is handed back through `takeRejectedEarlyData()` instead.
    public func sendEarlyData(_ plaintext: [UInt8]) throws(TLSError) {
        if let failure { throw failure }
        guard plaintext.count <= earlyDataCapacity else {
            throw TLSError(.invalidUse(.earlyDataUnavailable), "early data is not possible now, or exceeds the ticket's max_early_data_size")
        }
        earlyData.sent.append(contentsOf: plaintext)
        do {
            try records.write(.applicationData, plaintext, to: &buffers.output)
        } catch {
            fail(error)
            throw error
        }
    }

    /// Server, 0-RTT: early data received so far. It may be a replay of an earlier connection's (RFC 8446 §8):
    /// act on it only if doing so twice is harmless.
    public func takeEarlyData() -> [UInt8] {
        defer { earlyData.received.removeAll() }
        return earlyData.received
    }

    /// Client, 0-RTT: early data the server rejected and that was not sent again, because the server selected another
    /// ALPN protocol than the one the ticket was issued under (RFC 8446 §4.2.10). Decide yourself whether and how to
    /// send it again under the new protocol. Empty in every other case.
    public func takeRejectedEarlyData() -> [UInt8] {
        defer { earlyData.rejected.removeAll() }
        return earlyData.rejected
    }

    /// Client: the server rejected our early data (HelloRetryRequest, or EncryptedExtensions without early_data).
    /// What happens to the data is settled once the ALPN protocol is known (`settleRejectedEarlyData`).
    func earlyDataRejected() {
        guard earlyDataOffered, earlyDataAccepted == nil else { return }
        earlyData.accepted = false
        events.append(.earlyDataAccepted(false))
    }

    /// Client: rejected early data goes out again as ordinary data after the handshake when the ALPN protocol is the
    /// ticket's (`resend`), else it is handed back to the application.
    func settleRejectedEarlyData(resend: Bool) {
        guard !earlyData.sent.isEmpty else { return }
        if resend {
            buffers.queuedApplicationData = earlyData.sent + buffers.queuedApplicationData
        } else {
            earlyData.rejected = earlyData.sent
        }
        earlyData.sent = []
    }

    /// Queues application data. Before the handshake completes it is held and sent right after.
    public func send(_ plaintext: [UInt8]) throws(TLSError) {
        if let failure { throw failure }
        guard !sentCloseNotify else { throw TLSError(.invalidUse(.connectionClosed), "cannot send after close_notify") }
        guard isHandshakeComplete else {
            buffers.queuedApplicationData.append(contentsOf: plaintext)
            do {
                try sendHalfRTTDataIfAllowed()
            } catch {
                fail(error)
                throw error
            }
            return
        }
        do {
            try writeApplicationData(plaintext)
        } catch {
            fail(error)
            throw error
        }
    }

    /// Sends close_notify. Data already queued goes first.
    public func close() {
        guard !sentCloseNotify, failure == nil else { return }
        flushHandshake()
        lifecycle.sentCloseNotify = true
        if traffic == nil && !buffers.queuedApplicationData.isEmpty {
            // The queued data needs the traffic keys; it goes first, close_notify right after it.
            lifecycle.closeNotifyDeferred = true
            return
        }
        try? records.write(.alert, Alert(level: .warning, description: .closeNotify).encode(), to: &buffers.output)
        closedForWriting()
    }

    /// close_notify is out: nothing more is sent, so our sending secret goes; once the peer's close_notify is in too,
    /// everything does.
    private func closedForWriting() {
        if peerClosed {
            wipeSecrets()
        } else if case .tls13(var traffic) = traffic {
            // (Moved out first, so the wipe lands in place rather than in a copy.)
            self.traffic = nil
            wipe(&traffic.sendingSecret)
            self.traffic = .tls13(traffic)
        }
    }

    /// Starts a TLS 1.3 KeyUpdate (RFC 8446 §4.6.3); with `requestPeerUpdate` the peer must update its key too.
    public func updateKeys(requestPeerUpdate: Bool) throws(TLSError) {
        if let failure { throw failure }
        guard !sentCloseNotify else { throw TLSError(.invalidUse(.connectionClosed), "cannot update keys after close_notify") }
        guard case .tls13 = traffic else {
            throw traffic != nil ? TLSError(.invalidUse(.keyUpdateUnsupported), "TLS 1.2 has no KeyUpdate")
                : TLSError(.invalidUse(.handshakeNotComplete), "KeyUpdate before the handshake completed")
        }
        do {
            try sendKeyUpdate(requestPeerUpdate ? .updateRequested : .updateNotRequested)
        } catch {
            fail(error)
            throw error
        }
    }

    /// Runs the configured verifier on the pending chain and resumes the handshake.
    public func performPendingVerification() async throws(TLSError) {
        guard let request = pendingVerification, let verifier else { return }
        let result = await verifier.verify(request)
        try completeVerification(result)
    }

    /// Resumes the handshake with the outcome of verifying `pendingVerification`.
    public func completeVerification(_ result: PeerVerificationResult) throws(TLSError) {
        if let failure { throw failure }
        guard pendingVerification != nil else { throw TLSError(.invalidUse(.noPendingVerification), "no verification is pending") }
        pendingVerification = nil
        switch result {
        case .trusted(let validatedChain):
            // Only the X.509 verifier is known to return the peer's own leaf first; others are parsed again.
            if verifier is X509CertificateVerifier { verifiedLeafNotAfter = validatedChain.first?.notValidAfter }
            resumeAfterVerification()
        case .rejected(let error):
            fail(error)
            throw error
        }
        try process()
    }

    /// Keying material exporter: RFC 8446 §7.5 (TLS 1.3) or RFC 5705 (TLS 1.2), after the handshake.
    ///
    /// Both versions take the same arguments within the same limits, those of the TLS 1.3 encoding: `length` in
    /// 0…255 × HashLen, `context` at most 65,535 bytes (RFC 5705's context_value_length is 16 bits), and a `label`
    /// of 1…249 UTF-8 bytes (HkdfLabel's label<7..255> holds "tls13 " + label). Anything else throws
    /// `TLSError` with cause `.invalidUse(…)` (internal_error): a local misuse, so nothing is sent and the connection stays usable.
    ///
    /// `context: nil` is RFC 5705's "no context", which in TLS 1.2 differs from an empty context (the PRF seed then
    /// carries no context length at all; `openssl s_client -keymatexport` uses it). TLS 1.3 treats both alike
    /// (RFC 8446 §7.5).
    public func exportKeyingMaterial(label: String, context: [UInt8]?, length: Int) throws(TLSError) -> [UInt8] {
        guard !lifecycle.secretsWiped else {
            throw TLSError(.invalidUse(.connectionClosed), "keying material is no longer available: the connection has ended")
        }
        guard let traffic else {
            throw TLSError(.invalidUse(.handshakeNotComplete), "keying material is only available after the handshake")
        }
        try Self.checkExporterArguments(label: label, context: context ?? [], length: length, hashLength: traffic.exporterHashLength)
        switch traffic {
        case .tls12(let tls12Traffic):
            // RFC 7627 §5.4: no RFC 5705 exporters without the extended master secret (RFC 9266 §3: no tls-exporter).
            guard negotiated?.extendedMasterSecret == true || common.allowKeyingMaterialExportWithoutExtendedMasterSecret else {
                throw TLSError(.invalidUse(.exporterRequiresExtendedMasterSecret), "no keying material: this TLS 1.2 connection has no extended master secret (RFC 7627); see allowKeyingMaterialExportWithoutExtendedMasterSecret")
            }
            // RFC 5705 §4: PRF(master_secret, label, client_random + server_random [+ context_length + context]).
            var seed = tls12Traffic.clientRandom + tls12Traffic.serverRandom
            if let context {
                seed += [UInt8(truncatingIfNeeded: context.count >> 8), UInt8(truncatingIfNeeded: context.count)] + context
            }
            return tls12Traffic.prf(secret: tls12Traffic.masterSecret, label: label, seed: seed, length: length)
        case .tls13(let traffic):
            return traffic.schedule.exporter(exporterMasterSecret: traffic.exporterMasterSecret, label: label, context: context ?? [], length: length)
        }
    }

    static let maxExporterLabelLength = 255 - "tls13 ".utf8.count
    static let maxExporterContextLength = 0xFFFF

    private static func checkExporterArguments(label: String, context: [UInt8], length: Int, hashLength: Int) throws(TLSError) {
        guard length >= 0, length <= 255 * hashLength else {
            throw TLSError(.invalidUse(.exporterArgumentOutOfRange), "exporter length \(length) is outside 0…\(255 * hashLength) (255 × HashLen)")
        }
        guard context.count <= maxExporterContextLength else {
            throw TLSError(.invalidUse(.exporterArgumentOutOfRange), "exporter context of \(context.count) bytes exceeds \(maxExporterContextLength)")
        }
        let labelLength = label.utf8.count
        guard labelLength >= 1, labelLength <= maxExporterLabelLength else {
            throw TLSError(.invalidUse(.exporterArgumentOutOfRange), "exporter label of \(labelLength) bytes is outside 1…\(maxExporterLabelLength)")
        }
    }

    // MARK: - The receive loop

    private func process() throws(TLSError) {
        do {
            while pendingVerification == nil {
                if let message = try reassembler.nextMessage() {
                    try handleHandshake(type: message.type, body: message.body, raw: message.raw)
                    continue
                }
                guard let record = try records.nextRecord() else { break }
                try handleRecord(record)
            }
            flushHandshake()
            // One receive() may carry the peer's Certificate and much more behind it.
            if pendingVerification != nil { try checkInputWhileVerifying(buffered: records.bufferedByteCount) }
        } catch {
            fail(error)
            throw error
        }
    }

    private func handleRecord(_ record: PlainRecord) throws(TLSError) {
        if record.skipped { return }
        if record.contentType != .handshake && !reassembler.isEmpty {
            throw TLSError(.unexpectedMessage, "\(record.contentType) record in the middle of a handshake message")
        }
        switch record.contentType {
        case .changeCipherSpec where negotiatedVersion.map({ $0 <= .tls12 }) ?? false:
            try handleChangeCipherSpec12(record.fragment)
        case .changeCipherSpec:
            // RFC 8446 §5: a single 0x01 byte between the first ClientHello and the peer's Finished is dropped.
            guard record.fragment == [0x01], changeCipherSpecAllowed, bounds.changeCipherSpecs < 2 else {
                throw TLSError(.peerMisbehaved(.changeCipherSpecOutOfPlace), "change_cipher_spec outside the TLS 1.3 compatibility window")
            }
            bounds.changeCipherSpecs += 1
        case .alert:
            try handleAlert(Alert(decoding: record.fragment))
        case .handshake:
            if peerClosed { throw TLSError(.unexpectedMessage, "handshake data after close_notify") }
            reassembler.append(record.fragment)
        case .applicationData where isReceivingEarlyData:
            guard record.wasProtected else { throw TLSError(.unexpectedMessage, "unprotected early data") }
            earlyData.received.append(contentsOf: record.fragment)
            guard earlyData.received.count <= earlyData.allowance else {
                throw TLSError(.peerMisbehaved(.earlyDataOverLimit), "more early data than max_early_data_size")
            }
        case .applicationData:
            guard isHandshakeComplete, record.wasProtected else {
                throw TLSError(.unexpectedMessage, "application data before the handshake completed")
            }
            if peerClosed { throw TLSError(.unexpectedMessage, "application data after close_notify") }
            if record.fragment.isEmpty {
                bounds.emptyRecordsInARow += 1
                guard bounds.emptyRecordsInARow <= Self.maxEmptyRecordsInARow else {
                    throw TLSError(.peerMisbehaved(.tooManyEmptyRecords), "too many empty records in a row")
                }
            } else {
                bounds.emptyRecordsInARow = 0
                bounds.keyUpdatesInARow = 0
                bounds.warningAlertsInARow = 0
                // Nothing waiting to be taken (the usual case): hand over the decrypted array itself.
                if buffers.applicationData.isEmpty { buffers.applicationData = record.fragment } else { buffers.applicationData.append(contentsOf: record.fragment) }
            }
        }
    }

    /// TLS 1.2 ChangeCipherSpec, a real protocol message: only a single 0x01 byte between whole handshake messages,
    /// and only where the handshake state expects one.
    private func handleChangeCipherSpec12(_ fragment: [UInt8]) throws(TLSError) {
        // RFC 5246 names no alert; OpenSSL and BoringSSL answer unexpected_message (SSL_R_BAD_CHANGE_CIPHER_SPEC).
        guard fragment == [0x01] else { throw TLSError(.peerMisbehaved(.invalidChangeCipherSpec), "malformed change_cipher_spec") }
        guard reassembler.isEmpty else { throw TLSError(.peerMisbehaved(.changeCipherSpecOutOfPlace), "change_cipher_spec inside a handshake message") }
        switch state {
        case .client12(let tls12): state = .client12(try tls12.changeCipherSpec(io: self))
        case .server12(let tls12): state = .server12(try tls12.changeCipherSpec(io: self))
        default:
            // An early ChangeCipherSpec (the CVE-2014-0224 shape) or one after the handshake.
            throw TLSError(.peerMisbehaved(.changeCipherSpecOutOfPlace), "change_cipher_spec at the wrong point of the TLS 1.2 handshake")
        }
    }

    private func handleAlert(_ alert: Alert) throws(TLSError) {
        switch alert.description {
        case .closeNotify:
            guard isHandshakeComplete else {
                throw TLSError(.closedDuringHandshake, "the peer closed the connection during the handshake")
            }
            if !peerClosed {
                lifecycle.peerClosed = true
                events.append(.peerClosed)
                if sentCloseNotify && !lifecycle.closeNotifyDeferred { wipeSecrets() }
            }
        case .unrecognizedName where alert.level == .warning && role == .client && negotiatedVersion == nil:
            // RFC 6066 §3 lets a server warn that it does not know the name; before the ServerHello it cannot be a
            // TLS 1.3 alert yet. BoringSSL and OpenSSL carry on; bounded like every warning.
            bounds.warningAlertsInARow += 1
            guard bounds.warningAlertsInARow <= Self.maxWarningAlertsInARow else {
                throw TLSError(.peerMisbehaved(.tooManyWarningAlerts), "too many warning alerts in a row")
            }
        case .userCanceled:
            // RFC 8446 §6.1: user_canceled is followed by close_notify; tolerate a few, never an unbounded stream.
            bounds.warningAlertsInARow += 1
            guard bounds.warningAlertsInARow <= Self.maxWarningAlertsInARow else {
                throw TLSError(.peerMisbehaved(.tooManyWarningAlerts), "too many warning alerts in a row")
            }
        case _ where negotiatedVersion.map({ $0 <= .tls12 }) ?? false && alert.level == .warning:
            // TLS 1.2 warnings (no_renegotiation, …) are not fatal; bounded so a peer cannot stream them forever.
            bounds.warningAlertsInARow += 1
            guard bounds.warningAlertsInARow <= Self.maxWarningAlertsInARow else {
                throw TLSError(.peerMisbehaved(.tooManyWarningAlerts), "too many warning alerts in a row")
            }
        default:
            // RFC 8446 §6.2: in TLS 1.3 every other alert is fatal, whatever its level.
            throw TLSError(.alertReceived(alert.description), "the peer sent a \(alert.level == .fatal ? "fatal" : "warning") \(alert.description) alert")
        }
    }

    private var changeCipherSpecAllowed: Bool {
        guard !isHandshakeComplete, failure == nil else { return false }
        return role == .client || receivedFirstClientHello
    }

    // MARK: - Output helpers used by the state machines

    /// Encodes, hashes into `transcript`, and queues a handshake message. internal_error if our own message cannot be
    /// encoded (a length beyond its prefix: say, an oversized ticket or configuration value); nothing is queued then.
    func sendHandshake(_ message: HandshakeMessage, transcript: inout Transcript) throws(TLSError) {
        let raw = try message.encode()
        transcript.append(raw)
        queueHandshake(raw, type: message.type)
    }

    func queueHandshake(_ raw: [UInt8], type: HandshakeType) {
        buffers.pendingHandshake.append(contentsOf: raw)
        events.append(.handshakeMessage(.sent, type, length: raw.count))
    }

    func flushHandshake() {
        guard !buffers.pendingHandshake.isEmpty else { return }
        let bytes = buffers.pendingHandshake
        buffers.pendingHandshake.removeAll(keepingCapacity: true)
        do {
            try records.write(.handshake, bytes, to: &buffers.output)
        } catch {
            fail(error)
        }
    }

    func sendChangeCipherSpec() {
        flushHandshake()
        try? records.write(.changeCipherSpec, [0x01], to: &buffers.output)
    }

    func installWriteKey(secret: [UInt8], schedule: KeySchedule, aead: AEADAlgorithm) throws(TLSError) {
        flushHandshake()
        let keys = schedule.trafficKeys(secret: secret, aead: aead)
        records.writeProtection = RecordProtection(aead: try common.cryptoProvider.makeAEAD(aead, key: keys.key), iv: keys.iv)
        records.outgoingLegacyVersion = .tls12
    }

    func installReadKey(secret: [UInt8], schedule: KeySchedule, aead: AEADAlgorithm) throws(TLSError) {
        // RFC 8446 §5.1: handshake messages must not span a key change.
        guard reassembler.isEmpty else {
            throw TLSError(.unexpectedMessage, "handshake message spans a key change")
        }
        let keys = schedule.trafficKeys(secret: secret, aead: aead)
        records.readProtection = RecordProtection(aead: try common.cryptoProvider.makeAEAD(aead, key: keys.key), iv: keys.iv)
    }

    func logKey(_ label: String, clientRandom: [UInt8], secret: [UInt8]) {
        guard let keyLog = common.keyLog else { return }
        keyLog("\(label) \(hex(clientRandom)) \(hex(secret))")
    }

    func requestVerification(_ request: PeerVerificationRequest) {
        var request = request
        if case .client(let configuration) = endpoint, configuration.insecureSkipServerIdentityCheck {
            // The explicit opt-out: the chain is verified, the name (if any, still sent as SNI) is not.
            request.serverName = nil
        }
        pendingVerification = request
    }

    func completeHandshake(_ parameters: NegotiatedParameters, traffic: Traffic) throws(TLSError) {
        negotiated = parameters
        self.traffic = traffic
        events.append(.handshakeCompleted)
        if !buffers.queuedApplicationData.isEmpty {
            let queued = buffers.queuedApplicationData
            buffers.queuedApplicationData = []
            try writeApplicationData(queued)
        }
        if lifecycle.closeNotifyDeferred {
            lifecycle.closeNotifyDeferred = false
            try records.write(.alert, Alert(level: .warning, description: .closeNotify).encode(), to: &buffers.output)
            closedForWriting()
        }
    }

    /// Records the error, queues the matching alert (for errors we raised), and stops the connection.
    func fail(_ error: TLSError) {
        guard failure == nil else { return }
        lifecycle.failure = error
        wipeHandshakeState()   // before the state's payload is dropped, so its secrets are overwritten in place
        state = .failed
        pendingVerification = nil
        buffers.pendingHandshake.removeAll()
        if error.origin == .local && (!sentCloseNotify || lifecycle.closeNotifyDeferred) {
            try? records.write(.alert, Alert(level: .fatal, description: error.alert).encode(), to: &buffers.output)
        }
        // Nothing is read after a failure: the read key goes now (swift-crypto zeroes its key storage when the AEAD
        // is freed). The write key stays until deallocation, so no later write can ever go out unprotected.
        records.readState = nil
        wipeSecrets()
    }

    func fail(_ error: any Error) {
        if let tlsError = error as? TLSError {
            fail(tlsError)
        } else {
            fail(TLSError(.internal, "\(error)"))
        }
    }
}

/// A configuration that cannot work (no certificate, no common suite, …). Not a protocol error.
public struct TLSConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    var out = ""
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return out
}
