import Foundation
import TLSCrypto
import TLSWire
import XCTest

@testable import TLSKit

/// RFC 8448 §4 "Resumed 0-RTT Handshake", replayed byte for byte, resuming with the §3 ticket.
///
/// Client role: the §3 NewSessionTicket and resumption PSK go into the client's session cache as a ClientSession
/// whose age makes the obfuscated_ticket_age the trace's; the trace's x25519 key and client random are injected.
/// The ClientHello (477 bytes + binders = 512), the binder, the early data record ("ABCDEF" under
/// client_early_traffic_secret), EndOfEarlyData, Finished, the application data and alert records, and every
/// secret (key log) must be the trace's.
///
/// Server role: the ticket is NSS's own sealed state, which no TicketKeyRing can open. The crypto provider is the
/// one seam: the test's provider hands the ring an AEAD that "opens" exactly the trace's ticket to the TicketState
/// NSS sealed in it (the §3 PSK, suite, ticket_age_add, lifetime, max_early_data_size), and refuses anything else.
/// Everything after that (binder verification, 0-RTT acceptance, early data decryption, ServerHello,
/// EncryptedExtensions, Finished, EndOfEarlyData, the traffic secrets and records) is the engine's own work.
final class RFC8448Section4Tests: XCTestCase {
    func testSection4Client() async throws {
        let s = try Section4()
        let provider = TraceKeyShareProvider(privateKeys: [.x25519: [try s.bytes("client", "create an ephemeral x25519 key pair", "private key")]])
        let random = ScriptedRandomSource([s.clientHello.random])
        let keyLog = KeyLogCapture()
        let client = try TLSConnection(client: try s.clientConfiguration(provider: provider, random: random, keyLog: keyLog),
                                       serverName: "server")

        // ClientHello with early_data and pre_shared_key (the §3 ticket, the trace's obfuscated age, the binder).
        assertBytes(client.takeOutput(), try s.record("client", "send handshake record"), "§4 ClientHello record")
        XCTAssertEqual(provider.generated.value.map(\.publicShare), [try s.bytes("client", "create an ephemeral x25519 key pair", "public key")])
        XCTAssertEqual(client.earlyDataCapacity, 1024, "max_early_data_size of the §3 ticket")

        // 0-RTT: "ABCDEF" under client_early_traffic_secret.
        let early = try s.bytes("client", "send application_data record", "payload")
        XCTAssertEqual(early, Array("ABCDEF".utf8))
        try client.sendEarlyData(early)
        assertBytes(client.takeOutput(), try s.record("client", "send application_data record"), "§4 early data record")

        // The server's ServerHello, then EncryptedExtensions (early_data accepted) and Finished.
        try client.receive(try s.record("server", "send handshake record", occurrence: 0))
        XCTAssertTrue(client.takeOutput().isEmpty)
        try client.receive(try s.record("server", "send handshake record", occurrence: 1))
        XCTAssertNil(client.pendingVerification, "a resumed handshake has no certificate to verify")
        XCTAssertTrue(client.isHandshakeComplete, "§4 client handshake did not complete")
        XCTAssertEqual(client.earlyDataAccepted, true)
        XCTAssertTrue(client.takeEvents().contains(.earlyDataAccepted(true)))

        // EndOfEarlyData (still under the early data key), then Finished under the handshake key.
        assertBytes(client.takeOutput(), try s.record("client", "send handshake record", occurrence: 1)
                        + s.record("client", "send handshake record", occurrence: 2), "§4 EndOfEarlyData and Finished records")

        try checkSecrets(s, keyLog: keyLog, role: "client")
        let traffic = try XCTUnwrap(client.tls13Traffic)
        assertBytes(traffic.resumptionMasterSecret, try s.bytes("client", "derive secret \"tls13 res master\"", "expanded"), "§4 resumption master secret")
        assertBytes(traffic.exporterMasterSecret, try s.bytes("server", "derive secret \"tls13 exp master\"", "expanded"), "§4 exporter master secret")
        let negotiated = try XCTUnwrap(client.negotiated)
        XCTAssertEqual(negotiated.resumed, true)
        XCTAssertEqual(negotiated.cipherSuite, .TLS_AES_128_GCM_SHA256)
        // What §3's handshake established, carried by the session: the server's chain and signature scheme.
        XCTAssertEqual(negotiated.serverSignatureScheme, s.s3.serverSignature.algorithm)
        XCTAssertEqual(negotiated.peerCertificates, [try XCTUnwrap(s.s3.serverCertificate)])
        XCTAssertEqual(negotiated.group, .x25519)

        // Application data both ways (sequence numbers restart at 0 under the application keys).
        try client.send(try s.bytes("client", "send application_data record", "payload", occurrence: 1))
        assertBytes(client.takeOutput(), try s.record("client", "send application_data record", occurrence: 1), "§4 client application data record")
        try client.receive(try s.record("server", "send application_data record"))
        assertBytes(client.takeApplicationData(), try s.bytes("server", "send application_data record", "payload"), "§4 server application data")

        client.close()
        assertBytes(client.takeOutput(), try s.record("client", "send alert record"), "§4 client close_notify record")
        _ = client.takeEvents()
        try client.receive(try s.record("server", "send alert record"))
        XCTAssertEqual(client.takeEvents(), [.peerClosed])
        XCTAssertNil(client.failure)
        XCTAssertTrue(random.failures.value.isEmpty, "\(random.failures.value)")
        XCTAssertEqual(random.remaining, 0, "scripted randoms left unused")
    }

    func testSection4Server() async throws {
        let s = try Section4()
        let provider = TraceKeyShareProvider(privateKeys: [.x25519: [try s.bytes("server", "create an ephemeral x25519 key pair", "private key")]])
        let random = ScriptedRandomSource([s.serverRandom])
        let keyLog = KeyLogCapture()
        let signingKey = try XCTUnwrap(try s.s3.signingKey("server"))
        let server = try TLSConnection(server: try s.serverConfiguration(provider: provider, random: random, keyLog: keyLog, signingKey: signingKey))

        // ClientHello and the early data record arrive together.
        try server.receive(try s.record("client", "send handshake record") + s.record("client", "send application_data record"))
        XCTAssertEqual(provider.generated.value.map(\.publicShare), [try s.bytes("server", "create an ephemeral x25519 key pair", "public key")])
        assertBytes(server.takeOutput(), try s.record("server", "send handshake record", occurrence: 0)
                        + s.record("server", "send handshake record", occurrence: 1),
                    "§4 server flight (ServerHello, EncryptedExtensions with early_data, Finished)")
        XCTAssertEqual(server.takeEarlyData(), Array("ABCDEF".utf8))
        XCTAssertEqual(server.takeApplicationData(), [], "early data is kept apart from ordinary data")

        // EndOfEarlyData, then Finished.
        _ = server.takeEvents()
        try server.receive(try s.record("client", "send handshake record", occurrence: 1))
        XCTAssertTrue(server.takeEvents().contains(.handshakeMessage(.received, .endOfEarlyData, length: 4)))
        XCTAssertFalse(server.isHandshakeComplete)
        try server.receive(try s.record("client", "send handshake record", occurrence: 2))
        XCTAssertTrue(server.isHandshakeComplete, "§4 server handshake did not complete")
        XCTAssertTrue(server.takeOutput().isEmpty, "no tickets in the replay (§4 sends none)")
        XCTAssertEqual(signingKey.signedMessages.value, 0, "a resumed handshake signs nothing")

        try checkSecrets(s, keyLog: keyLog, role: "server")
        let traffic = try XCTUnwrap(server.tls13Traffic)
        assertBytes(traffic.resumptionMasterSecret, try s.bytes("client", "derive secret \"tls13 res master\"", "expanded"), "§4 resumption master secret")
        let negotiated = try XCTUnwrap(server.negotiated)
        XCTAssertEqual(negotiated.resumed, true)
        XCTAssertEqual(negotiated.serverName, "server")
        XCTAssertNil(negotiated.serverSignatureScheme)

        // Application data both ways (the §4 server sent no ticket, so its sequence numbers match the trace's).
        try server.receive(try s.record("client", "send application_data record", occurrence: 1))
        assertBytes(server.takeApplicationData(), try s.bytes("client", "send application_data record", "payload", occurrence: 1), "§4 client application data")
        XCTAssertEqual(server.takeEarlyData(), [])
        try server.send(try s.bytes("server", "send application_data record", "payload"))
        assertBytes(server.takeOutput(), try s.record("server", "send application_data record"), "§4 server application data record")
        server.close()
        assertBytes(server.takeOutput(), try s.record("server", "send alert record"), "§4 server close_notify record")
        _ = server.takeEvents()
        try server.receive(try s.record("client", "send alert record"))
        XCTAssertEqual(server.takeEvents(), [.peerClosed])
        XCTAssertNil(server.failure)
        XCTAssertTrue(random.failures.value.isEmpty, "\(random.failures.value)")
        XCTAssertEqual(random.remaining, 0, "scripted randoms left unused")
    }

    /// The early secret, binder key, binder and early traffic secret, computed by the engine's own functions from
    /// the §3 PSK and compared with the trace (independent of any ClientHello the engine builds).
    func testSection4PSKBinderAndEarlySecrets() throws {
        let s = try Section4()
        let schedule = KeySchedule(provider: SwiftCryptoProvider(), hash: .sha256)
        let early = schedule.earlySecret(psk: s.psk)
        assertBytes(s.psk, try s.bytes("client", "extract secret \"early\"", "IKM"), "§4 PSK = §3 resumption secret")
        assertBytes(early.secret, try s.bytes("client", "extract secret \"early\"", "secret"), "§4 early secret")
        let binderKey = schedule.deriveSecret(early.secret, label: .resumptionBinder, transcriptHash: schedule.emptyHash)
        assertBytes(binderKey, try s.bytes("client", "calculate PSK binder", "PRK"), "§4 binder key")
        assertBytes(schedule.expandLabel(binderKey, label: .finished, context: [], length: 32),
                    try s.bytes("client", "calculate PSK binder", "expanded"), "§4 binder finished key")
        let prefix = try s.bytes("client", "calculate PSK binder", "ClientHello prefix")
        assertBytes(prefix, try XCTUnwrap(s.clientHello.encodedWithoutBinders()), "§4 truncated ClientHello")
        var transcript = Transcript(provider: SwiftCryptoProvider(), hash: .sha256)
        transcript.append(prefix)
        assertBytes(transcript.currentHash, try s.bytes("client", "calculate PSK binder", "binder hash"), "§4 binder hash")
        assertBytes(resumptionBinder(schedule: schedule, psk: s.psk, transcriptHash: transcript.currentHash),
                    try s.bytes("client", "calculate PSK binder", "finished"), "§4 binder")
        XCTAssertEqual(s.clientHello.extensions.preSharedKeyClient?.binders, [try s.bytes("client", "calculate PSK binder", "finished")])

        var full = Transcript(provider: SwiftCryptoProvider(), hash: .sha256)
        full.append(s.clientHelloRaw)
        assertBytes(schedule.deriveSecret(early.secret, label: .clientEarlyTraffic, transcriptHash: full.currentHash),
                    try s.bytes("client", "derive secret \"tls13 c e traffic\"", "expanded"), "§4 client early traffic secret")
        assertBytes(schedule.deriveSecret(early.secret, label: .earlyExporterMaster, transcriptHash: full.currentHash),
                    try s.bytes("client", "derive secret \"tls13 e exp master\"", "expanded"), "§4 early exporter master secret")
    }

    // MARK: Secrets

    /// Every secret the engine logged (NSS key-log format) against the trace, and the keys they expand to.
    private func checkSecrets(_ s: Section4, keyLog: KeyLogCapture, role: String) throws {
        let schedule = KeySchedule(provider: SwiftCryptoProvider(), hash: .sha256)
        let expected: [(String, [UInt8])] = [
            ("CLIENT_EARLY_TRAFFIC_SECRET", try s.bytes("client", "derive secret \"tls13 c e traffic\"", "expanded")),
            ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", try s.bytes("server", "derive secret \"tls13 c hs traffic\"", "expanded")),
            ("SERVER_HANDSHAKE_TRAFFIC_SECRET", try s.bytes("server", "derive secret \"tls13 s hs traffic\"", "expanded")),
            ("CLIENT_TRAFFIC_SECRET_0", try s.bytes("server", "derive secret \"tls13 c ap traffic\"", "expanded")),
            ("SERVER_TRAFFIC_SECRET_0", try s.bytes("server", "derive secret \"tls13 s ap traffic\"", "expanded")),
            ("EXPORTER_SECRET", try s.bytes("server", "derive secret \"tls13 exp master\"", "expanded")),
        ]
        for (label, secret) in expected {
            guard let logged = keyLog.secret(label, clientRandom: s.clientHello.random) else {
                XCTFail("§4 \(role): no \(label) line for the trace's client random")
                continue
            }
            assertBytes(logged, secret, "§4 \(role) \(label)")
        }
        let keys: [([UInt8], String, String)] = [
            (expected[0].1, "client", "derive write traffic keys for early application data"),
            (expected[1].1, "client", "derive write traffic keys for handshake data"),
            (expected[2].1, "server", "derive write traffic keys for handshake data"),
            (expected[4].1, "server", "derive write traffic keys for application data"),
            (expected[3].1, "client", "derive write traffic keys for application data"),
        ]
        for (secret, keyRole, action) in keys {
            let derived = schedule.trafficKeys(secret: secret, aead: .aes128GCM)
            assertBytes(derived.key, try s.bytes(keyRole, action, "key expanded"), "§4 key: \(keyRole) \(action)")
            assertBytes(derived.iv, try s.bytes(keyRole, action, "iv expanded"), "§4 iv: \(keyRole) \(action)")
        }
    }
}

// MARK: - What §4 needs from the trace (and from §3)

struct Section4 {
    let trace: RFC8448Trace.Section
    /// §3: its configurations (NSS's offer), certificate and the ticket it issued.
    let s3: Scenario
    let clientHello: ClientHello
    let clientHelloRaw: [UInt8]
    let serverRandom: [UInt8]
    /// §3's NewSessionTicket and the PSK it yields ("generate resumption secret").
    let ticket: NewSessionTicket
    let psk: [UInt8]
    /// The ticket age the §4 client reports: obfuscated_ticket_age - ticket_age_add (6 ms).
    let ticketAgeMilliseconds: UInt32
    /// A fixed clock for both sides (the trace's age check and the cache's validity check use it).
    let now = Date(timeIntervalSince1970: 1_546_300_800)

    init() throws {
        let document = try RFC8448Trace.load()
        trace = try document.section(4)
        s3 = try Scenario(section: 3)
        clientHelloRaw = try trace.bytes("client", "send handshake record", "payload")
        guard case .clientHello(let hello) = try HandshakeMessage.decode(clientHelloRaw) else {
            throw RFC8448Trace.TraceError.malformed("§4 ClientHello")
        }
        clientHello = hello
        serverRandom = Array(try trace.bytes("server", "construct a ServerHello", "ServerHello")[6..<38])
        guard case .newSessionTicket(let ticket) = try HandshakeMessage.decode(
            try s3.bytes("server", "construct a NewSessionTicket", "NewSessionTicket")) else {
            throw RFC8448Trace.TraceError.malformed("§3 NewSessionTicket")
        }
        self.ticket = ticket
        psk = try s3.bytes("server", "generate resumption secret", "expanded")
        guard let identity = hello.extensions.preSharedKeyClient?.identities.first, identity.identity == ticket.ticket else {
            throw RFC8448Trace.TraceError.malformed("§4 ClientHello does not offer the §3 ticket")
        }
        ticketAgeMilliseconds = identity.obfuscatedTicketAge &- ticket.ticketAgeAdd
    }

    func bytes(_ role: String, _ action: String, _ label: String, occurrence: Int = 0,
               file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        try trace.bytes(role, action, label, occurrence: occurrence, file: file, line: line)
    }

    func record(_ role: String, _ action: String, occurrence: Int = 0,
                file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        try trace.bytes(role, action, "complete record", occurrence: occurrence, file: file, line: line)
    }

    var maxEarlyDataSize: UInt32 {
        ticket.extensions.compactMap { ext -> UInt32? in
            if case .earlyData(let size) = ext { return size } else { return nil }
        }.first ?? 0
    }

    /// The client §3 would have kept: the ticket, its PSK, received `ticketAgeMilliseconds` (+ 0.5 so the engine's
    /// truncation to whole milliseconds gives exactly that) before `now`.
    /// It carries the server authentication of §3's handshake: the trace's certificate, accepted by the pinning verifier
    /// the client configuration uses (a session from an unverified server is never resumed).
    func session(verifiedBy verification: PeerVerification) throws -> ClientSession {
        var session = ClientSession(
            cipherSuite: .TLS_AES_128_GCM_SHA256, ticket: ticket.ticket, secret: psk,
            lifetime: TimeInterval(ticket.ticketLifetime),
            received: now.addingTimeInterval(-(Double(ticketAgeMilliseconds) + 0.5) / 1000),
            serverName: "server", applicationProtocol: nil,
            resumption: .tls13(ageAdd: ticket.ticketAgeAdd, maxEarlyDataSize: maxEarlyDataSize))
        let certificate = try XCTUnwrap(s3.serverCertificate)
        session.serverAuthentication = try XCTUnwrap(SessionAuthentication(
            verifiedChain: [certificate], leafNotAfter: nil,
            policyDigest: SessionAuthentication.policyDigest(verifier: try verification.makeVerifier(), checksServerIdentity: true),
            signatureScheme: s3.serverSignature.algorithm))
        return session
    }

    func clientConfiguration(provider: TraceKeyShareProvider, random: ScriptedRandomSource, keyLog: KeyLogCapture) throws -> TLSClientConfiguration {
        var config = try s3.clientConfiguration(provider: provider, random: random, keyLog: keyLog, signingKey: nil)
        config.common.cipherSuites = clientHello.cipherSuites
        config.common.supportedGroups = clientHello.extensions.supportedGroups ?? []
        config.common.signatureAlgorithms = clientHello.extensions.signatureAlgorithms ?? []
        config.keyShareGroups = clientHello.extensions.keyShareClient?.map(\.group)
        let now = self.now
        config.common.now = { now }
        let cache = ClientSessionCache()
        cache.store(try session(verifiedBy: config.peerVerification))
        config.sessionCache = cache
        config.enableEarlyData = true
        // NSS's §4 extensions and order. The engine adds padding and pre_shared_key (last) itself; early_data is
        // placed here, where NSS puts it (between key_share and supported_versions).
        let order = clientHello.extensions.map(\.type)
        let nssOnly = clientHello.extensions.filter { [.renegotiationInfo, .earlyData].contains($0.type) }
        config.clientHelloCustomizer = { hello, _ in
            hello.extensions.removeAll { $0.type == .sessionTicket }
            for ext in nssOnly where !hello.extensions.contains(where: { $0.type == ext.type }) {
                hello.extensions.append(ext)
            }
            hello.extensions = hello.extensions.enumerated().sorted { a, b in
                let ia = order.firstIndex(of: a.element.type) ?? order.count
                let ib = order.firstIndex(of: b.element.type) ?? order.count
                return ia != ib ? ia < ib : a.offset < b.offset
            }.map(\.element)
        }
        return config
    }

    func serverConfiguration(provider: TraceKeyShareProvider, random: ScriptedRandomSource, keyLog: KeyLogCapture,
                             signingKey: RecordedSignatureKey) throws -> TLSServerConfiguration {
        var config = try s3.serverConfiguration(provider: provider, random: random, keyLog: keyLog, signingKey: signingKey)
        let now = self.now
        config.common.now = { now }
        // A ring whose (only) key has the ticket's first 16 bytes as its name, so the engine picks it for the trace's
        // ticket; the provider then opens the ticket to the state NSS sealed in it.
        let ringKey = [UInt8](repeating: 0x4E, count: 32)
        config.sessionTicketKeys = try TicketKeyRing(keys: [TicketKey(name: Array(ticket.ticket.prefix(16)), key: ringKey, created: now)])
        let state = TicketState(
            version: .tls13, cipherSuite: .TLS_AES_128_GCM_SHA256, created: milliseconds(now) - UInt64(ticketAgeMilliseconds),
            lifetime: ticket.ticketLifetime, ageAdd: ticket.ticketAgeAdd, secret: psk, serverName: "server",
            applicationProtocol: "", maxEarlyDataSize: maxEarlyDataSize)
        config.common.cryptoProvider = NSSTicketOpeningProvider(
            base: provider, ringKey: ringKey, ticket: ticket.ticket, sealedState: try state.encode())
        config.maxEarlyDataSize = maxEarlyDataSize
        // The trace's ticket dates from before any guard of this process started (RFC 8446 §8.2): a guard that
        // started before the ticket was issued accepts its early data once.
        config.earlyDataReplayGuard = EarlyDataReplayGuard(startedAt: Date(timeIntervalSince1970: 0))
        config.ticketsPerHandshake = 0   // §4's server sends no NewSessionTicket
        return config
    }
}

/// The trace's provider, except that the ticket ring's AEAD "opens" exactly the trace's ticket to `sealedState`
/// (standing in for NSS's ticket key, which the trace does not reveal) and fails for anything else.
struct NSSTicketOpeningProvider: CryptoProvider {
    let base: TraceKeyShareProvider
    let ringKey: [UInt8]
    let ticket: [UInt8]
    let sealedState: [UInt8]

    struct TicketOpener: RecordAEAD {
        let ticket: [UInt8]
        let sealedState: [UInt8]
        var algorithm: AEADAlgorithm { .aes256GCM }
        func seal(nonce: [UInt8], additionalData: [UInt8], plaintext: ArraySlice<UInt8>,
                  appendingTo output: inout [UInt8]) throws(TLSError) {
            throw TLSError(.internalError, "the RFC 8448 replay seals no tickets")
        }
        func open(nonce: [UInt8], additionalData: [UInt8], ciphertextAndTag: ArraySlice<UInt8>,
                  appendingTo output: inout [UInt8]) throws(TLSError) {
            guard additionalData + nonce + ciphertextAndTag == ticket else { throw TLSError(.badRecordMAC, "not the trace's ticket") }
            output.append(contentsOf: sealedState)
        }
    }

    func makeHash(_ algorithm: HashAlgorithm) -> HashContext { base.makeHash(algorithm) }
    func hmac(_ algorithm: HashAlgorithm, key: [UInt8], data: [UInt8]) -> [UInt8] { base.hmac(algorithm, key: key, data: data) }
    func hkdfExtract(_ algorithm: HashAlgorithm, salt: [UInt8], inputKeyingMaterial: [UInt8]) -> [UInt8] {
        base.hkdfExtract(algorithm, salt: salt, inputKeyingMaterial: inputKeyingMaterial)
    }
    func hkdfExpand(_ algorithm: HashAlgorithm, pseudoRandomKey: [UInt8], info: [UInt8], length: Int) -> [UInt8] {
        base.hkdfExpand(algorithm, pseudoRandomKey: pseudoRandomKey, info: info, length: length)
    }
    func makeAEAD(_ algorithm: AEADAlgorithm, key: [UInt8]) throws(TLSError) -> any RecordAEAD {
        if algorithm == .aes256GCM && key == ringKey { return TicketOpener(ticket: ticket, sealedState: sealedState) }
        return try base.makeAEAD(algorithm, key: key)
    }
    func supports(group: NamedGroup) -> Bool { base.supports(group: group) }
    func generateKeyShare(_ group: NamedGroup, random: inout any RandomSource) throws(TLSError) -> any KeyShareSecret {
        try base.generateKeyShare(group, random: &random)
    }
    func respondToKeyShare(_ group: NamedGroup, peerShare: [UInt8], random: inout any RandomSource)
        throws(TLSError) -> (serverShare: [UInt8], sharedSecret: [UInt8])
    {
        try base.respondToKeyShare(group, peerShare: peerShare, random: &random)
    }
    func verifySignature(scheme: SignatureScheme, subjectPublicKeyInfo: [UInt8], message: [UInt8], signature: [UInt8]) throws(TLSError) {
        try base.verifySignature(scheme: scheme, subjectPublicKeyInfo: subjectPublicKeyInfo, message: message, signature: signature)
    }
}
