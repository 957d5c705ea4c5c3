import Crypto
import Foundation
import TLSCrypto
import TLSWire
import XCTest

@testable import TLSKit

/// RFC 8448 known-answer tests: TLSKit, with the trace's ephemeral keys, randoms and (randomized) signatures
/// injected, must produce the trace's handshake messages, secrets, keys and protected records byte for byte,
/// as the client (fed the trace's server records) and as the server (fed the trace's client records).
/// Reads the handshake `state`'s payload on purpose: the trace's intermediate secrets (handshake secrets, transcript
/// hashes) exist nowhere else, and comparing them pinpoints which step diverges.
final class RFC8448Tests: XCTestCase {
    // MARK: §3 Simple 1-RTT handshake

    func testSection3Client() async throws { try await runClient(try Scenario(section: 3)) }
    func testSection3Server() async throws { try await runServer(try Scenario(section: 3)) }

    // MARK: §5 HelloRetryRequest

    func testSection5Client() async throws { try await runClient(try Scenario(section: 5)) }
    func testSection5Server() async throws { try await runServer(try Scenario(section: 5)) }

    // MARK: §6 Client authentication

    func testSection6Client() async throws { try await runClient(try Scenario(section: 6)) }
    func testSection6Server() async throws { try await runServer(try Scenario(section: 6)) }

    // MARK: §7 Compatibility mode

    func testSection7Client() async throws { try await runClient(try Scenario(section: 7)) }
    func testSection7Server() async throws { try await runServer(try Scenario(section: 7)) }

    func testTraceParser() throws {
        let trace = try RFC8448Trace.load()
        let s3 = try trace.section(3)
        XCTAssertEqual(s3.title, "Simple 1-RTT Handshake")
        // A block interrupted by a page break (§5's second ClientHello, split over pages 31 and 32).
        let s5 = try trace.section(5)
        let record = try s5.bytes("client", "send handshake record", "complete record", occurrence: 1)
        XCTAssertEqual(record.count, 517)
        XCTAssertEqual(Array(record[5...]), try s5.bytes("client", "construct a ClientHello", "ClientHello", occurrence: 1))
        XCTAssertEqual(try s3.bytes("server", "calculate finished", "hash"), [])
    }
}

// MARK: - The scenario: everything the trace says about one section

struct Scenario {
    let number: Int
    let trace: RFC8448Trace.Section

    let clientHello1: ClientHello
    let clientRandom: [UInt8]
    let sessionID: [UInt8]
    let serverRandom: [UInt8]
    let helloRetry: Bool
    let clientAuthentication: Bool
    let compatibilityMode: Bool
    let serverCertificate: [UInt8]
    let serverSignature: CertificateVerify
    let clientCertificate: [UInt8]?
    let clientSignature: CertificateVerify?
    let encryptedExtensionsGroups: [NamedGroup]
    /// NSS extensions TLSKit does not send on its own, taken verbatim from the trace's ClientHello.
    let nssOnlyExtensions: [Extension]

    init(section number: Int) throws {
        self.number = number
        let trace = try RFC8448Trace.load().section(number)
        self.trace = trace
        guard case .clientHello(let hello) = try HandshakeMessage.decode(
            try trace.bytes("client", "construct a ClientHello", "ClientHello")) else { throw RFC8448Trace.TraceError.malformed("ClientHello") }
        clientHello1 = hello
        clientRandom = hello.random
        sessionID = hello.legacySessionID
        helloRetry = number == 5
        clientAuthentication = number == 6
        compatibilityMode = !hello.legacySessionID.isEmpty
        let serverHelloRaw = try trace.bytes("server", "construct a ServerHello", "ServerHello", occurrence: helloRetry ? 1 : 0)
        serverRandom = Array(serverHelloRaw[6..<38])

        func certificate(_ role: String) throws -> [UInt8] {
            guard case .certificate(let message) = try HandshakeMessage.decode(
                try trace.bytes(role, "construct a Certificate handshake message", "Certificate")), message.entries.count == 1
            else { throw RFC8448Trace.TraceError.malformed("\(role) Certificate") }
            return message.entries[0].certificateDER
        }
        func verify(_ role: String) throws -> CertificateVerify {
            guard case .certificateVerify(let message) = try HandshakeMessage.decode(
                try trace.bytes(role, "construct a CertificateVerify", "CertificateVerify"))
            else { throw RFC8448Trace.TraceError.malformed("\(role) CertificateVerify") }
            return message
        }
        serverCertificate = try certificate("server")
        serverSignature = try verify("server")
        clientCertificate = clientAuthentication ? try certificate("client") : nil
        clientSignature = clientAuthentication ? try verify("client") : nil
        guard case .encryptedExtensions(let ee) = try HandshakeMessage.decode(
            try trace.bytes("server", "construct an EncryptedExtensions", "EncryptedExtensions")),
            let groups = ee.extensions.supportedGroups
        else { throw RFC8448Trace.TraceError.malformed("EncryptedExtensions") }
        encryptedExtensionsGroups = groups
        let ours: Set<ExtensionType> = [.serverName, .supportedGroups, .keyShare, .supportedVersions, .signatureAlgorithms,
                                        .pskKeyExchangeModes, .recordSizeLimit]
        nssOnlyExtensions = hello.extensions.filter { !ours.contains($0.type) }
    }

    func bytes(_ role: String, _ action: String, _ label: String, occurrence: Int = 0,
               file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        try trace.bytes(role, action, label, occurrence: occurrence, file: file, line: line)
    }

    func record(_ role: String, _ action: String, occurrence: Int = 0,
                file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        try trace.bytes(role, action, "complete record", occurrence: occurrence, file: file, line: line)
    }

    /// The ephemeral private keys of one side, per group, in the order the trace generates them.
    func privateKeys(_ role: String) throws -> [NamedGroup: [[UInt8]]] {
        var keys: [NamedGroup: [[UInt8]]] = [:]
        for step in trace.steps where step.role == role && step.action.hasPrefix("create an ephemeral ") {
            let group: NamedGroup = step.action.contains("x25519") ? .x25519 : step.action.contains("P-256") ? .secp256r1 : NamedGroup(rawValue: 0)
            guard let key = step.blocks.first(where: { $0.label == "private key" }) else { continue }
            keys[group, default: []].append(key.bytes)
        }
        return keys
    }

    func publicKeys(_ role: String) -> [[UInt8]] {
        trace.steps.filter { $0.role == role && $0.action.hasPrefix("create an ephemeral ") }
            .compactMap { $0.blocks.first(where: { $0.label == "public key" })?.bytes }
    }

    // MARK: Configurations

    func commonConfiguration(provider: TraceKeyShareProvider, random: ScriptedRandomSource, keyLog: KeyLogCapture) -> TLSCommonConfiguration {
        var common = TLSCommonConfiguration()
        // NSS's offer, as the trace's ClientHello lists it (cipher suites 1301 1303 1302, every group including
        // secp521r1 and the FFDHE groups, every signature scheme including the legacy SHA-1 and DSA ones).
        common.cipherSuites = clientHello1.cipherSuites
        common.supportedGroups = clientHello1.extensions.supportedGroups ?? []
        common.signatureAlgorithms = clientHello1.extensions.signatureAlgorithms ?? []
        common.recordSizeLimit = clientHello1.extensions.recordSizeLimit
        common.cryptoProvider = provider
        common.randomSource = random
        common.keyLog = keyLog.callback
        return common
    }

    /// The trace's signing keys (one per role), shared so a test can count what the engine asked them to sign.
    func signingKey(_ role: String) throws -> RecordedSignatureKey? {
        let certificate = role == "server" ? serverCertificate : clientCertificate
        let verify = role == "server" ? serverSignature : clientSignature
        guard let certificate, let verify else { return nil }
        return RecordedSignatureKey(scheme: verify.algorithm, signature: verify.signature,
                                    subjectPublicKeyInfo: try subjectPublicKeyInfo(ofCertificate: certificate))
    }

    func clientConfiguration(provider: TraceKeyShareProvider, random: ScriptedRandomSource, keyLog: KeyLogCapture,
                             signingKey: RecordedSignatureKey?) throws -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.common = commonConfiguration(provider: provider, random: random, keyLog: keyLog)
        config.common.minimumVersion = .tls13   // the trace's client offers TLS 1.3 only (supported_versions 03 04)
        config.grease = false
        config.requestOCSPStapling = false   // NSS's trace ClientHello has no status_request
        config.middleboxCompatibility = compatibilityMode
        config.keyShareGroups = clientHello1.extensions.keyShareClient?.map(\.group)
        config.peerVerification = .custom(PinnedCertificateVerifier(expectedDER: serverCertificate, expectedRole: .server))
        if let clientCertificate, let signingKey {
            config.certificate = try CertifiedKey(unparsedChainDER: [clientCertificate], privateKey: signingKey)
        }
        // NSS's extension order, plus the extensions NSS sends that TLSKit does not (renegotiation_info, and in
        // §3 an empty session_ticket).
        let extra = nssOnlyExtensions
        config.clientHelloCustomizer = { hello, _ in
            for ext in extra where !hello.extensions.contains(where: { $0.type == ext.type }) {
                hello.extensions.append(ext)
            }
            let order: [ExtensionType] = [
                .serverName, .extendedMasterSecret, .renegotiationInfo, .supportedGroups, .ecPointFormats, .sessionTicket,
                .keyShare, .supportedVersions, .signatureAlgorithms, .cookie, .pskKeyExchangeModes, .recordSizeLimit,
            ]
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
        let identity = try CertifiedKey(unparsedChainDER: [serverCertificate], privateKey: signingKey)
        var config = TLSServerConfiguration(certificate: identity)
        config.common = commonConfiguration(provider: provider, random: random, keyLog: keyLog)
        // The trace's tickets are NSS's own sealed state, which no other server can reproduce; send none.
        config.ticketsPerHandshake = 0
        config.common.supportedGroups = encryptedExtensionsGroups
        let groups = encryptedExtensionsGroups
        config.encryptedExtensionsCustomizer = { extensions in
            extensions.insert(.supportedGroups(groups), at: 0)
        }
        if helloRetry {
            // §5: the server prefers P-256 even though the client sent an X25519 share.
            config.common.supportedGroups = [.secp256r1] + groups.filter { $0 != .secp256r1 }
            config.enforceGroupPreference = true
        }
        if helloRetry, case .serverHello(let retry) = try HandshakeMessage.decode(try bytes("server", "construct a ServerHello", "ServerHello")) {
            config.helloRetryCookie = retry.extensions.cookie
        }
        if let clientCertificate {
            config.clientAuthentication = .required(.custom(PinnedCertificateVerifier(expectedDER: clientCertificate, expectedRole: .client)))
        }
        return config
    }
}

// MARK: - Client role

extension RFC8448Tests {
    func runClient(_ s: Scenario) async throws {
        let provider = TraceKeyShareProvider(privateKeys: try s.privateKeys("client"))
        let random = ScriptedRandomSource([s.clientRandom] + (s.compatibilityMode ? [s.sessionID] : []))
        let keyLog = KeyLogCapture()
        let signingKey = try s.signingKey("client")
        let client = try TLSConnection(
            client: try s.clientConfiguration(provider: provider, random: random, keyLog: keyLog, signingKey: signingKey), serverName: "server")

        // First ClientHello.
        assertBytes(client.takeOutput(), try s.record("client", "send handshake record", occurrence: 0), "§\(s.number) ClientHello record")
        var serverRecord = 0
        var clientRecord = 1
        if s.helloRetry {
            try client.receive(try s.record("server", "send handshake record", occurrence: serverRecord))
            serverRecord += 1
            assertBytes(client.takeOutput(), try s.record("client", "send handshake record", occurrence: clientRecord),
                        "§\(s.number) second ClientHello record (after HelloRetryRequest)")
            clientRecord += 1
        }
        XCTAssertEqual(provider.generated.value.map(\.publicShare), s.publicKeys("client"), "§\(s.number) client key shares")

        // ServerHello: check the early and handshake secrets the engine derived.
        try client.receive(try s.record("server", "send handshake record", occurrence: serverRecord))
        serverRecord += 1
        guard case .client13(.expectEncryptedExtensions(let handshake)) = client.state else {
            return XCTFail("§\(s.number): client is not waiting for EncryptedExtensions after the ServerHello")
        }
        // In compatibility mode the client's change_cipher_spec goes out as soon as the ServerHello is processed (as
        // BoringSSL does), so it precedes any protected record, an alert included; NSS's bytes are the same.
        assertBytes(client.takeOutput(), s.compatibilityMode ? try s.record("client", "send change_cipher_spec record") : [],
                    "§\(s.number) client output after the ServerHello")
        try checkHandshakeAndMasterSecrets(s, schedule: handshake.schedule, handshakeSecret: handshake.handshakeSecret)
        if s.compatibilityMode {
            try client.receive(try s.record("server", "send change_cipher_spec record"))
        }

        // The server's encrypted flight; the certificate is checked by the pinning verifier.
        try client.receive(try s.record("server", "send handshake record", occurrence: serverRecord))
        serverRecord += 1
        XCTAssertNotNil(client.pendingVerification, "§\(s.number): no certificate verification requested")
        try await client.performPendingVerification()
        XCTAssertTrue(client.isHandshakeComplete, "§\(s.number): client handshake did not complete")

        assertBytes(client.takeOutput(), try s.record("client", "send handshake record", occurrence: clientRecord),
                    "§\(s.number) client's second flight")

        try checkKeyLogAndKeys(s, keyLog: keyLog)
        let traffic = try XCTUnwrap(client.tls13Traffic)
        assertBytes(traffic.resumptionMasterSecret, try s.bytes("client", "derive secret \"tls13 res master\"", "expanded"), "resumption master secret")
        assertBytes(traffic.exporterMasterSecret, try s.bytes("server", "derive secret \"tls13 exp master\"", "expanded"), "exporter master secret")
        let negotiated = try XCTUnwrap(client.negotiated)
        XCTAssertEqual(negotiated.usedHelloRetryRequest, s.helloRetry)
        XCTAssertEqual(negotiated.serverSignatureScheme, s.serverSignature.algorithm)
        XCTAssertEqual(negotiated.clientSignatureScheme, s.clientSignature?.algorithm)
        XCTAssertEqual(negotiated.peerCertificates, [s.serverCertificate])
        XCTAssertEqual(negotiated.group, s.helloRetry ? .secp256r1 : .x25519)
        // §6: the engine asked the client key to sign exactly the content the trace's signature covers.
        XCTAssertEqual(signingKey?.signedMessages.value, s.clientAuthentication ? 1 : nil)

        if s.number == 3 {
            // NewSessionTicket: accepted and surfaced.
            _ = client.takeEvents()
            try client.receive(try s.record("server", "send handshake record", occurrence: serverRecord))
            let traceTicket = try s.bytes("server", "construct a NewSessionTicket", "NewSessionTicket")
            let tickets = client.takeEvents().compactMap { event -> NewSessionTicket? in
                if case .newSessionTicket(let ticket) = event { return ticket } else { return nil }
            }
            XCTAssertEqual(tickets.count, 1)
            if let ticket = tickets.first {
                assertBytes(HandshakeMessage.newSessionTicket(ticket).testBytes, traceTicket, "NewSessionTicket")
                // The PSK it yields (RFC 8446 §4.6.1), from the engine's resumption master secret.
                assertBytes(traffic.schedule.expandLabel(traffic.resumptionMasterSecret, label: .resumption, context: ticket.ticketNonce, length: 32),
                            try s.bytes("server", "generate resumption secret", "expanded"), "resumption PSK")
            }
            // Application data both ways.
            try client.send(try s.bytes("client", "send application_data record", "payload"))
            assertBytes(client.takeOutput(), try s.record("client", "send application_data record"), "client application data record")
            try client.receive(try s.record("server", "send application_data record"))
            assertBytes(client.takeApplicationData(), try s.bytes("server", "send application_data record", "payload"), "server application data")
        }
        // close_notify both ways.
        client.close()
        assertBytes(client.takeOutput(), try s.record("client", "send alert record"), "client close_notify record")
        _ = client.takeEvents()
        try client.receive(try s.record("server", "send alert record"))
        XCTAssertEqual(client.takeEvents(), [.peerClosed])
        XCTAssertNil(client.failure)
        XCTAssertTrue(random.failures.value.isEmpty, "\(random.failures.value)")
        XCTAssertEqual(random.remaining, 0, "scripted randoms left unused")
    }

    // MARK: Server role

    func runServer(_ s: Scenario) async throws {
        let provider = TraceKeyShareProvider(privateKeys: try s.privateKeys("server"))
        let random = ScriptedRandomSource([s.serverRandom])
        let keyLog = KeyLogCapture()
        let signingKey = try XCTUnwrap(try s.signingKey("server"))
        let server = try TLSConnection(
            server: try s.serverConfiguration(provider: provider, random: random, keyLog: keyLog, signingKey: signingKey))

        var clientRecord = 0
        var serverRecord = 0
        try server.receive(try s.record("client", "send handshake record", occurrence: clientRecord))
        clientRecord += 1
        if s.helloRetry {
            assertBytes(server.takeOutput(), try s.record("server", "send handshake record", occurrence: serverRecord), "§\(s.number) HelloRetryRequest record")
            serverRecord += 1
            try server.receive(try s.record("client", "send handshake record", occurrence: clientRecord))
            clientRecord += 1
        }
        XCTAssertEqual(provider.generated.value.map(\.publicShare), s.publicKeys("server"), "§\(s.number) server key share")

        var expected = try s.record("server", "send handshake record", occurrence: serverRecord)
        serverRecord += 1
        if s.compatibilityMode { expected += try s.record("server", "send change_cipher_spec record") }
        expected += try s.record("server", "send handshake record", occurrence: serverRecord)
        serverRecord += 1
        assertBytes(server.takeOutput(), expected, "§\(s.number) server's first flight (ServerHello … Finished)")

        let handshake: ServerHandshake
        switch server.state {
        case .server13(.expectFinished(let h)), .server13(.expectCertificate(let h)): handshake = h
        default: return XCTFail("§\(s.number): server is not waiting for the client's flight")
        }
        assertBytes(handshake.masterSecret.secret, try s.bytes("server", "extract secret \"master\"", "secret"), "master secret")
        assertBytes(handshake.schedule.earlySecret(psk: nil).secret, try s.bytes("server", "extract secret \"early\"", "secret"), "early secret")

        if s.compatibilityMode {
            try server.receive(try s.record("client", "send change_cipher_spec record"))
        }
        try server.receive(try s.record("client", "send handshake record", occurrence: clientRecord))
        if s.clientAuthentication {
            XCTAssertNotNil(server.pendingVerification, "§\(s.number): no client certificate verification requested")
            try await server.performPendingVerification()
        }
        XCTAssertTrue(server.isHandshakeComplete, "§\(s.number): server handshake did not complete")
        XCTAssertTrue(server.takeOutput().isEmpty, "the server sends nothing more (tickets are turned off for the replay)")

        try checkKeyLogAndKeys(s, keyLog: keyLog)
        let traffic = try XCTUnwrap(server.tls13Traffic)
        assertBytes(traffic.resumptionMasterSecret, try s.bytes("client", "derive secret \"tls13 res master\"", "expanded"), "resumption master secret")
        assertBytes(traffic.exporterMasterSecret, try s.bytes("server", "derive secret \"tls13 exp master\"", "expanded"), "exporter master secret")
        let negotiated = try XCTUnwrap(server.negotiated)
        XCTAssertEqual(negotiated.usedHelloRetryRequest, s.helloRetry)
        XCTAssertEqual(negotiated.serverName, "server")
        XCTAssertEqual(negotiated.clientSignatureScheme, s.clientSignature?.algorithm)
        XCTAssertEqual(negotiated.peerCertificates, s.clientCertificate.map { [$0] } ?? [])
        XCTAssertEqual(negotiated.group, s.helloRetry ? .secp256r1 : .x25519)
        XCTAssertEqual(negotiated.serverSignatureScheme, s.serverSignature.algorithm)
        // The engine asked the server key to sign exactly the content the trace's signature covers.
        XCTAssertEqual(signingKey.signedMessages.value, 1)

        if s.number == 3 {
            // The trace's server sent a NewSessionTicket first, so its application data and alert records use
            // sequence numbers 1 and 2; TLSKit does not send tickets yet, so only the client's records are replayed.
            try server.receive(try s.record("client", "send application_data record"))
            assertBytes(server.takeApplicationData(), try s.bytes("client", "send application_data record", "payload"), "client application data")
        } else {
            server.close()
            assertBytes(server.takeOutput(), try s.record("server", "send alert record"), "server close_notify record")
        }
        _ = server.takeEvents()
        try server.receive(try s.record("client", "send alert record"))
        XCTAssertEqual(server.takeEvents(), [.peerClosed])
        XCTAssertNil(server.failure)
        XCTAssertTrue(random.failures.value.isEmpty, "\(random.failures.value)")
        XCTAssertEqual(random.remaining, 0, "scripted randoms left unused")
    }

    // MARK: Secrets

    func checkHandshakeAndMasterSecrets(_ s: Scenario, schedule: KeySchedule, handshakeSecret: HandshakeSecret) throws {
        let early = schedule.earlySecret(psk: nil)
        assertBytes(early.secret, try s.bytes("server", "extract secret \"early\"", "secret"), "early secret")
        assertBytes(schedule.deriveSecret(early.secret, label: .derived, transcriptHash: schedule.emptyHash),
                    try s.bytes("server", "derive secret for handshake \"tls13 derived\"", "expanded"), "derived (early)")
        assertBytes(handshakeSecret.secret, try s.bytes("server", "extract secret \"handshake\"", "secret"), "handshake secret")
        assertBytes(schedule.deriveSecret(handshakeSecret.secret, label: .derived, transcriptHash: schedule.emptyHash),
                    try s.bytes("server", "derive secret for master \"tls13 derived\"", "expanded"), "derived (handshake)")
        assertBytes(schedule.masterSecret(from: handshakeSecret).secret, try s.bytes("server", "extract secret \"master\"", "secret"), "master secret")
    }

    /// Traffic secrets from the NSS key log, and the keys and IVs they expand to.
    func checkKeyLogAndKeys(_ s: Scenario, keyLog: KeyLogCapture) throws {
        let schedule = KeySchedule(provider: SwiftCryptoProvider(), hash: .sha256)
        let secrets: [(String, String, [UInt8])] = [
            ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "c hs traffic", try s.bytes("server", "derive secret \"tls13 c hs traffic\"", "expanded")),
            ("SERVER_HANDSHAKE_TRAFFIC_SECRET", "s hs traffic", try s.bytes("server", "derive secret \"tls13 s hs traffic\"", "expanded")),
            ("CLIENT_TRAFFIC_SECRET_0", "c ap traffic", try s.bytes("server", "derive secret \"tls13 c ap traffic\"", "expanded")),
            ("SERVER_TRAFFIC_SECRET_0", "s ap traffic", try s.bytes("server", "derive secret \"tls13 s ap traffic\"", "expanded")),
            ("EXPORTER_SECRET", "exp master", try s.bytes("server", "derive secret \"tls13 exp master\"", "expanded")),
        ]
        var logged: [String: [UInt8]] = [:]
        for (label, name, expected) in secrets {
            guard let secret = keyLog.secret(label, clientRandom: s.clientRandom) else {
                XCTFail("§\(s.number): no \(label) line for the trace's client random in the key log")
                continue
            }
            assertBytes(secret, expected, "§\(s.number) \(name) secret (key log)")
            logged[label] = secret
        }
        let keys: [(String, String, String, Int)] = [
            ("SERVER_HANDSHAKE_TRAFFIC_SECRET", "server", "derive write traffic keys for handshake data", 0),
            ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "server", "derive read traffic keys for handshake data", 0),
            ("SERVER_TRAFFIC_SECRET_0", "server", "derive write traffic keys for application data", 0),
            ("CLIENT_TRAFFIC_SECRET_0", "client", "derive write traffic keys for application data", 0),
        ]
        for (label, role, action, occurrence) in keys {
            guard let secret = logged[label] else { continue }
            let derived = schedule.trafficKeys(secret: secret, aead: .aes128GCM)
            assertBytes(derived.key, try s.bytes(role, action, "key expanded", occurrence: occurrence), "§\(s.number) key from \(label)")
            assertBytes(derived.iv, try s.bytes(role, action, "iv expanded", occurrence: occurrence), "§\(s.number) iv from \(label)")
        }
        // Finished keys.
        if let serverHS = logged["SERVER_HANDSHAKE_TRAFFIC_SECRET"] {
            assertBytes(schedule.expandLabel(serverHS, label: .finished, context: [], length: 32),
                        try s.bytes("server", "calculate finished \"tls13 finished\"", "expanded"), "server finished key")
        }
        if let clientHS = logged["CLIENT_HANDSHAKE_TRAFFIC_SECRET"] {
            assertBytes(schedule.expandLabel(clientHS, label: .finished, context: [], length: 32),
                        try s.bytes("client", "calculate finished \"tls13 finished\"", "expanded"), "client finished key")
        }
    }
}

/// Compares byte strings, printing hex and the first difference on failure.
func assertBytes(_ actual: [UInt8], _ expected: [UInt8], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    guard actual != expected else { return }
    let firstDifference = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(actual.count, expected.count)
    XCTFail("""
        \(what): \(actual.count) bytes, expected \(expected.count); first difference at offset \(firstDifference)
          actual:   \(hexString(actual))
          expected: \(hexString(expected))
        """, file: file, line: line)
}
