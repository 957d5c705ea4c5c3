import Crypto
import Foundation
import TLSCrypto
import TLSWire
import XCTest

@testable import TLSKit

/// RFC 8448 §4 (resumed 0-RTT handshake): the resumption PSK from §3's ticket, the early secret, the PSK binder,
/// and the whole client side byte for byte (ClientHello with the binder, early data, EndOfEarlyData, Finished,
/// application data, close_notify).
///
/// Not replayed: the server role. Its ticket is NSS's own sealed state, which our TicketKeyRing cannot open, so
/// our server cannot accept §4's ClientHello.
final class RFC8448ResumptionTests: XCTestCase {
    struct Section4 {
        let s3: RFC8448Trace.Section
        let s4: RFC8448Trace.Section
        let ticket: NewSessionTicket
        let psk: [UInt8]
        let clientHello: ClientHello
        let clientHelloRaw: [UInt8]

        init() throws {
            let trace = try RFC8448Trace.load()
            s3 = try trace.section(3)
            s4 = try trace.section(4)
            guard case .newSessionTicket(let ticket) = try HandshakeMessage.decode(
                try s3.bytes("server", "construct a NewSessionTicket", "NewSessionTicket")) else {
                throw RFC8448Trace.TraceError.malformed("§3 NewSessionTicket")
            }
            self.ticket = ticket
            psk = try s3.bytes("server", "generate resumption secret", "expanded")
            // §4's "ClientHello" block is only the prefix (477 octets); the sent record carries all of it.
            clientHelloRaw = try s4.bytes("client", "send handshake record", "payload")
            guard case .clientHello(let hello) = try HandshakeMessage.decode(clientHelloRaw) else {
                throw RFC8448Trace.TraceError.malformed("§4 ClientHello")
            }
            clientHello = hello
        }
    }

    /// §3's ticket and resumption secret give §4's PSK identity, early secret and binder, through the engine's
    /// own KeySchedule and `resumptionBinder`.
    func testSection4BinderAndEarlySecret() throws {
        let t = try Section4()
        let schedule = KeySchedule(provider: SwiftCryptoProvider(), hash: .sha256)

        // The PSK the client derives from §3's resumption master secret and ticket nonce is §4's early-secret IKM.
        let resumptionMaster = try t.s3.bytes("client", "derive secret \"tls13 res master\"", "expanded")
        assertBytes(schedule.expandLabel(resumptionMaster, label: "resumption", context: t.ticket.ticketNonce, length: 32), t.psk,
                    "resumption PSK from §3")
        assertBytes(t.psk, try t.s4.bytes("client", "extract secret \"early\"", "IKM"), "§4 early secret IKM is §3's PSK")
        let early = schedule.earlySecret(psk: t.psk)
        assertBytes(early.secret, try t.s4.bytes("client", "extract secret \"early\"", "secret"), "§4 early secret")

        // The ClientHello offers §3's ticket with obfuscated_ticket_age = age + ticket_age_add.
        guard case .preSharedKeyClient(let identities, let binders)? = t.clientHello.extensions.last else {
            return XCTFail("§4 ClientHello does not end with pre_shared_key")
        }
        XCTAssertEqual(identities.count, 1)
        XCTAssertEqual(identities.first?.identity, t.ticket.ticket)
        XCTAssertEqual(identities.first.map { $0.obfuscatedTicketAge &- t.ticket.ticketAgeAdd }, 6, "the trace resumes 6 ms after the ticket")

        // The truncated ClientHello the binder covers (the engine's own truncation), and its hash.
        let prefix = try XCTUnwrap(t.clientHello.encodedWithoutBinders())
        assertBytes(prefix, try t.s4.bytes("client", "calculate PSK binder", "ClientHello prefix"), "binder transcript (ClientHello prefix)")
        var hash = SwiftCryptoProvider().makeHash(.sha256)
        hash.update(prefix)
        let prefixHash = hash.finalize()
        assertBytes(prefixHash, try t.s4.bytes("client", "calculate PSK binder", "binder hash"), "binder hash")

        // binder_key = Derive-Secret(early, "res binder", ""): the trace lists it as the PRK of the finished step.
        let binderKey = schedule.deriveSecret(early.secret, label: "res binder", transcriptHash: schedule.emptyHash)
        assertBytes(binderKey, try t.s4.bytes("client", "calculate PSK binder", "PRK"), "binder key")
        assertBytes(schedule.expandLabel(binderKey, label: "finished", context: [], length: 32),
                    try t.s4.bytes("client", "calculate PSK binder", "expanded"), "binder finished key")

        // The engine's binder function (used by the client to offer and by the server to verify).
        let client = try TLSConnection(client: TLSClientConfiguration(), serverName: "server")
        let binder = client.resumptionBinder(schedule: schedule, psk: t.psk, transcriptHash: prefixHash)
        assertBytes(binder, try t.s4.bytes("client", "calculate PSK binder", "finished"), "PSK binder")
        XCTAssertEqual(binders, [binder], "the binder in the sent ClientHello")
    }

    /// The engine as a client, with §3's ticket (max_early_data_size 1024) in its cache, the trace's random and key
    /// share, and 0-RTT enabled, replays §4's client side byte for byte: the resumption ClientHello (pre_shared_key
    /// last, padding before it, the binder over the truncated hello), the early data record under the
    /// client_early_traffic_secret, then — after the server's ServerHello (PSK selected) and encrypted flight (early
    /// data accepted, no Certificate) — EndOfEarlyData under the early key and Finished under the handshake key,
    /// application data, and close_notify. NSS's renegotiation_info is added, and its extension order restored,
    /// by the ClientHello customizer, as in the other RFC 8448 replays.
    func testSection4Client() async throws {
        let t = try Section4()
        let s4 = t.s4
        let hello = t.clientHello
        let privateKeys: [NamedGroup: [[UInt8]]] = [.x25519: [try s4.bytes("client", "create an ephemeral x25519 key pair", "private key")]]
        let provider = TraceKeyShareProvider(privateKeys: privateKeys)
        let random = ScriptedRandomSource([hello.random])
        let keyLog = KeyLogCapture()

        // A clock at which the ticket is exactly 6 ms old (plus 0.4 ms against rounding; ages are truncated to ms).
        let received = Date(timeIntervalSinceReferenceDate: 800_000_000)
        let now = received.addingTimeInterval(0.0064)
        let cache = ClientSessionCache()
        let maxEarlyData = try XCTUnwrap(t.ticket.extensions.maxEarlyDataSize)
        XCTAssertEqual(maxEarlyData, 1024)
        cache.store(ClientSession(
            version: .tls13, cipherSuite: .TLS_AES_128_GCM_SHA256, ticket: t.ticket.ticket, secret: t.psk,
            ageAdd: t.ticket.ticketAgeAdd, lifetime: TimeInterval(t.ticket.ticketLifetime), received: received,
            serverName: "server", applicationProtocol: nil, maxEarlyDataSize: maxEarlyData))

        var config = TLSClientConfiguration()
        config.common.cipherSuites = hello.cipherSuites
        config.common.supportedGroups = hello.extensions.supportedGroups ?? []
        config.common.signatureAlgorithms = hello.extensions.signatureAlgorithms ?? []
        config.common.recordSizeLimit = hello.extensions.recordSizeLimit
        config.common.minimumVersion = .tls13
        config.common.cryptoProvider = provider
        config.common.randomSource = random
        config.common.keyLog = keyLog.callback
        config.common.now = { now }
        config.grease = false
        config.middleboxCompatibility = false
        config.keyShareGroups = [.x25519]
        config.sessionCache = cache
        config.enableEarlyData = true
        // No certificate is expected in a resumed handshake: any verification request fails the test.
        config.peerVerification = .custom(PinnedCertificateVerifier(expectedDER: [], expectedRole: .server))
        let nss = hello.extensions.filter { $0.type == .renegotiationInfo || $0.type == .earlyData }
        XCTAssertEqual(nss.count, 2)
        config.clientHelloCustomizer = { hello, _ in
            hello.extensions.append(contentsOf: nss)
            let order: [ExtensionType] = [
                .serverName, .renegotiationInfo, .supportedGroups, .keyShare, .earlyData, .supportedVersions,
                .signatureAlgorithms, .pskKeyExchangeModes, .recordSizeLimit,
            ]
            hello.extensions.sort { (order.firstIndex(of: $0.type) ?? order.count) < (order.firstIndex(of: $1.type) ?? order.count) }
        }

        let client = try TLSConnection(client: config, serverName: "server")
        assertBytes(client.takeOutput(), try s4.bytes("client", "send handshake record", "complete record"), "§4 ClientHello record")
        XCTAssertEqual(cache.count(for: "server"), 0, "the ticket is single-use")
        assertBytes(keyLog.secret("CLIENT_EARLY_TRAFFIC_SECRET", clientRandom: hello.random) ?? [],
                    try s4.bytes("client", "derive secret \"tls13 c e traffic\"", "expanded"), "§4 c e traffic (key log)")

        // 0-RTT data.
        try client.sendEarlyData(try s4.bytes("client", "send application_data record", "payload"))
        assertBytes(client.takeOutput(), try s4.bytes("client", "send application_data record", "complete record"), "§4 early data record")

        // ServerHello: pre_shared_key selected (identity 0); PSK + X25519 key schedule.
        try client.receive(try s4.bytes("server", "send handshake record", "complete record", occurrence: 0))
        guard case .clientExpectEncryptedExtensions(let handshake) = client.state else {
            return XCTFail("§4: client is not waiting for EncryptedExtensions after the ServerHello")
        }
        XCTAssertNotNil(handshake.resumedSession)
        XCTAssertTrue(client.takeOutput().isEmpty)
        let schedule = handshake.schedule
        assertBytes(schedule.earlySecret(psk: t.psk).secret, try s4.bytes("client", "extract secret \"early\"", "secret"), "early secret")
        assertBytes(handshake.handshakeSecret.secret, try s4.bytes("server", "extract secret \"handshake\"", "secret"), "handshake secret")
        assertBytes(schedule.masterSecret(from: handshake.handshakeSecret).secret,
                    try s4.bytes("server", "extract secret \"master\"", "secret"), "master secret")
        assertBytes(handshake.clientHandshakeSecret, try s4.bytes("server", "derive secret \"tls13 c hs traffic\"", "expanded"), "c hs traffic")
        assertBytes(handshake.serverHandshakeSecret, try s4.bytes("server", "derive secret \"tls13 s hs traffic\"", "expanded"), "s hs traffic")

        // EncryptedExtensions (early data accepted) + Finished, no Certificate: EndOfEarlyData, then Finished.
        _ = client.takeEvents()
        try client.receive(try s4.bytes("server", "send handshake record", "complete record", occurrence: 1))
        XCTAssertNil(client.pendingVerification, "a resumed handshake must not ask for certificate verification")
        XCTAssertTrue(client.isHandshakeComplete)
        XCTAssertNil(client.failure)
        XCTAssertTrue(client.takeEvents().contains(.earlyDataAccepted(true)))
        assertBytes(client.takeOutput(),
                    try s4.bytes("client", "send handshake record", "complete record", occurrence: 1)
                        + s4.bytes("client", "send handshake record", "complete record", occurrence: 2),
                    "§4 EndOfEarlyData and Finished records")
        let negotiated = try XCTUnwrap(client.negotiated)
        XCTAssertTrue(negotiated.resumed)
        XCTAssertEqual(negotiated.peerCertificates, [])
        XCTAssertNil(negotiated.serverSignatureScheme)
        for (label, action) in [("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "c hs traffic"), ("SERVER_HANDSHAKE_TRAFFIC_SECRET", "s hs traffic"),
                                ("CLIENT_TRAFFIC_SECRET_0", "c ap traffic"), ("SERVER_TRAFFIC_SECRET_0", "s ap traffic"),
                                ("EXPORTER_SECRET", "exp master")] {
            assertBytes(keyLog.secret(label, clientRandom: hello.random) ?? [],
                        try s4.bytes("server", "derive secret \"tls13 \(action)\"", "expanded"), "§4 \(action) (key log)")
        }
        let traffic = try XCTUnwrap(client.traffic)
        assertBytes(traffic.resumptionMasterSecret, try s4.bytes("client", "derive secret \"tls13 res master\"", "expanded"),
                    "§4 resumption master secret")

        // Application data both ways, then close_notify both ways.
        try client.send(try s4.bytes("client", "send application_data record", "payload", occurrence: 1))
        assertBytes(client.takeOutput(), try s4.bytes("client", "send application_data record", "complete record", occurrence: 1),
                    "§4 client application data record")
        try client.receive(try s4.bytes("server", "send application_data record", "complete record"))
        assertBytes(client.takeApplicationData(), try s4.bytes("server", "send application_data record", "payload"), "§4 server application data")
        client.close()
        assertBytes(client.takeOutput(), try s4.bytes("client", "send alert record", "complete record"), "§4 client close_notify record")
        _ = client.takeEvents()
        try client.receive(try s4.bytes("server", "send alert record", "complete record"))
        XCTAssertEqual(client.takeEvents(), [.peerClosed])
        XCTAssertNil(client.failure)
        XCTAssertTrue(random.failures.value.isEmpty, "\(random.failures.value)")
        XCTAssertEqual(random.remaining, 0)
    }
}
