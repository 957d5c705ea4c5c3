import Foundation
import XCTest
@testable import TLSKit

/// TLS 1.3 resumption with stateless tickets: tickets issued and cached, PSK + (EC)DHE resumption, binders,
/// expiry, foreign and rotated ticket keys, SNI mismatch, HelloRetryRequest.
final class ResumptionTests: XCTestCase {
    static let ca = Result { try TestPKI.makeCA() }

    /// A clock the test moves by hand, shared by both sides.
    final class TestClock: @unchecked Sendable {
        private let lock = NSLock()
        private var current = Date()
        var now: Date {
            lock.lock()
            defer { lock.unlock() }
            return current
        }
        func advance(_ seconds: TimeInterval) {
            lock.lock()
            current += seconds
            lock.unlock()
        }
    }

    func makeConfigs(clock: TestClock) throws -> (TLSClientConfiguration, TLSServerConfiguration) {
        let ca = try Self.ca.get()
        var client = TLSClientConfiguration()
        client.peerVerification = .trustRoots(ca.trustRoots)
        client.sessionCache = ClientSessionCache()
        client.common.now = { clock.now }
        var server = TLSServerConfiguration(certificate: try ca.issueLeaf(dnsNames: ["localhost", "other.example"]).certifiedKey)
        server.common.now = { clock.now }
        return (client, server)
    }

    @discardableResult
    func connect(_ client: TLSClientConfiguration, _ server: TLSServerConfiguration, name: String = "localhost")
        async throws -> (TLSConnection, TLSConnection)
    {
        let c = try TLSConnection(client: client, serverName: name)
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertTrue(c.isHandshakeComplete)
        XCTAssertTrue(s.isHandshakeComplete)
        try c.send([1, 2, 3])
        try await shuttle(c, s)
        XCTAssertEqual(s.takeApplicationData(), [1, 2, 3])
        return (c, s)
    }

    func testTicketsAreIssuedAndTheSecondConnectionResumes() async throws {
        let clock = TestClock()
        let (client, server) = try makeConfigs(clock: clock)
        let (first, _) = try await connect(client, server)
        XCTAssertEqual(first.negotiated?.resumed, false)
        XCTAssertEqual(client.sessionCache?.count(for: "localhost"), 2)

        let (c, s) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.resumed, true)
        XCTAssertEqual(s.negotiated?.resumed, true)
        // The resumed connection reports the chain the first handshake verified (RFC 5077 §3.4, RFC 8446 §4.6.1).
        XCTAssertEqual(c.negotiated?.peerCertificates, first.negotiated?.peerCertificates)
        XCTAssertEqual(c.negotiated?.serverSignatureScheme, first.negotiated?.serverSignatureScheme)
        XCTAssertFalse(c.takeEvents().contains { if case .handshakeMessage(_, .certificate, _) = $0 { return true } else { return false } })
        // Single-use tickets: one was consumed, two new ones arrived.
        XCTAssertEqual(client.sessionCache?.count(for: "localhost"), 3)
    }

    func testResumptionWithEverySuite() async throws {
        for suite in [CipherSuite.TLS_AES_128_GCM_SHA256, .TLS_AES_256_GCM_SHA384, .TLS_CHACHA20_POLY1305_SHA256] {
            let clock = TestClock()
            var (client, server) = try makeConfigs(clock: clock)
            client.common.cipherSuites = [suite]
            try await connect(client, server)
            server.common.cipherSuites = [suite]
            let (c, s) = try await connect(client, server)
            XCTAssertEqual(c.negotiated?.resumed, true, "\(suite)")
            XCTAssertEqual(s.negotiated?.cipherSuite, suite)
        }
    }

    func testExpiredTicketFallsBackToAFullHandshake() async throws {
        let clock = TestClock()
        var (client, server) = try makeConfigs(clock: clock)
        server.ticketLifetime = 60
        try await connect(client, server)
        clock.advance(61)
        let (c, _) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.resumed, false)
    }

    func testServerRejectsATicketPastItsLifetimeEvenIfTheClientOffersIt() async throws {
        let clock = TestClock()
        var (client, server) = try makeConfigs(clock: clock)
        server.ticketLifetime = 60
        try await connect(client, server)
        // The client's clock lags: it still thinks the ticket is fresh; the server does not.
        let lagging = TestClock()
        client.common.now = { lagging.now }
        clock.advance(120)
        let (c, _) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.resumed, false)
    }

    func testWrongBinderIsDecryptError() async throws {
        let clock = TestClock()
        var (client, server) = try makeConfigs(clock: clock)
        try await connect(client, server)
        client.clientHelloCustomizer = nil
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        var hello = c.takeOutput()
        // The binder is the last 32 bytes of the (single-record) ClientHello.
        hello[hello.count - 1] ^= 0x01
        XCTAssertThrowsError(try s.receive(hello)) { error in
            XCTAssertEqual((error as? TLSError)?.alert, .decryptError)
        }
    }

    func testTicketFromAnotherServerKeyIsIgnored() async throws {
        let clock = TestClock()
        var (client, server) = try makeConfigs(clock: clock)
        try await connect(client, server)
        server.sessionTicketKeys = TicketKeyRing()
        let (c, _) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.resumed, false)
    }

    func testRotatedKeysStillOpenRecentTicketsAndDropOldOnes() async throws {
        let clock = TestClock()
        var (client, server) = try makeConfigs(clock: clock)
        server.sessionTicketKeys = TicketKeyRing(rotationInterval: 100, ticketLifetime: 1000, now: clock.now)
        server.ticketsPerHandshake = 1
        server.ticketLifetime = 1000
        try await connect(client, server)
        clock.advance(150)   // the next ticket rotates the key; the old one still decrypts
        let (c, _) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.resumed, true)
        XCTAssertEqual(server.sessionTicketKeys?.currentKeys.count, 2)
        // A ticket sealed by a key retired longer ago than the ticket lifetime is no longer accepted.
        let staleClient = client
        let stale = ClientSessionCache()
        var oldClient = staleClient
        oldClient.sessionCache = stale
        try await connect(oldClient, server)   // a ticket under the current key
        clock.advance(1100)                    // rotate and retire it past its lifetime
        _ = try await connect(client, server)  // triggers rotation on sealing
        let (late, _) = try await connect(oldClient, server)
        XCTAssertEqual(late.negotiated?.resumed, false)
    }

    func testServerNameMismatchFallsBackToAFullHandshake() async throws {
        let clock = TestClock()
        let (client, server) = try makeConfigs(clock: clock)
        try await connect(client, server, name: "localhost")
        // The cache is keyed by name, so force the ticket for localhost into a connection to other.example.
        if let session = client.sessionCache?.take(serverName: "localhost", now: clock.now) {
            client.sessionCache?.store(ClientSession(
                cipherSuite: session.cipherSuite, ticket: session.ticket, secret: session.secret,
                lifetime: session.lifetime, received: session.received, serverName: "other.example",
                applicationProtocol: nil, resumption: session.resumption))
        }
        let (c, _) = try await connect(client, server, name: "other.example")
        XCTAssertEqual(c.negotiated?.resumed, false)
    }

    func testResumptionAcrossHelloRetryRequest() async throws {
        let clock = TestClock()
        var (client, server) = try makeConfigs(clock: clock)
        try await connect(client, server)
        client.keyShareGroups = [.x25519]
        server.common.supportedGroups = [.secp384r1]
        let (c, s) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.usedHelloRetryRequest, true)
        XCTAssertEqual(c.negotiated?.resumed, true)
        XCTAssertEqual(s.negotiated?.resumed, true)
    }

    func testPSKOnlyModeIsOptInOnBothSides() async throws {
        let clock = TestClock()
        var (client, server) = try makeConfigs(clock: clock)
        try await connect(client, server)   // two tickets
        client.common.pskKeyExchangeModes = [.pskOnly]
        // The server does not allow psk_ke: a full handshake (which brings no tickets: RFC 8446 §4.2.9 SHOULD NOT).
        let (full, _) = try await connect(client, server)
        XCTAssertEqual(full.negotiated?.resumed, false)
        // Both opted in: resumption without key exchange (no key_share in the ServerHello, no group).
        server.common.pskKeyExchangeModes = [.pskWithDHE, .pskOnly]
        let (c, s) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.resumed, true)
        XCTAssertEqual(s.negotiated?.resumed, true)
        XCTAssertNil(c.negotiated?.group)
        XCTAssertNil(s.negotiated?.group)
        // A client offering both modes gets psk_dhe_ke from a server that prefers it.
        client.common.pskKeyExchangeModes = [.pskWithDHE, .pskOnly]
        let (both, _) = try await connect(client, server)
        XCTAssertEqual(both.negotiated?.resumed, true)
        XCTAssertNotNil(both.negotiated?.group)
    }

    func testServerWithoutTicketKeysSendsNoTickets() async throws {
        let clock = TestClock()
        var (client, server) = try makeConfigs(clock: clock)
        server.sessionTicketKeys = nil
        try await connect(client, server)
        XCTAssertEqual(client.sessionCache?.count(for: "localhost"), 0)
    }

    func testTicketKeyFileRoundTrip() throws {
        let bytes = (0..<96).map { UInt8($0) }
        let path = NSTemporaryDirectory() + "tlskit-ticket-keys-\(UUID().uuidString)"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ring = try TicketKeyRing(keyFile: path)
        XCTAssertEqual(ring.currentKeys.map(\.name), [Array(bytes[0..<16]), Array(bytes[48..<64])])
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes.prefix(50))))
        XCTAssertThrowsError(try TicketKeyRing(keyFile: path))
    }
}
