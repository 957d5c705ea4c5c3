import Foundation
import XCTest
@testable import TLSKit

/// TLS 1.2 resumption: RFC 5077 tickets and RFC 5246 session IDs, abbreviated handshakes on both sides. The RFC 7627
/// §5.3 rules (the extended master secret state must not change; sessions without it are never resumed) are in
/// ExtendedMasterSecretTests.
final class TLS12ResumptionTests: XCTestCase {
    static let ca = Result { try TestPKI.makeCA() }

    func makeConfigs() throws -> (TLSClientConfiguration, TLSServerConfiguration) {
        let ca = try Self.ca.get()
        var client = TLSClientConfiguration()
        client.peerVerification = .trustRoots(ca.trustRoots)
        client.sessionCache = ClientSessionCache()
        client.common.maximumVersion = .tls12
        let server = TLSServerConfiguration(certificate: try ca.issueLeaf().certifiedKey)
        return (client, server)
    }

    @discardableResult
    func connect(_ client: TLSClientConfiguration, _ server: TLSServerConfiguration) async throws -> (TLSConnection, TLSConnection) {
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertTrue(c.isHandshakeComplete)
        XCTAssertTrue(s.isHandshakeComplete)
        XCTAssertEqual(c.negotiated?.version, .tls12)
        try c.send([9, 8, 7])
        try s.send([1, 2, 3])
        try await shuttle(c, s)
        XCTAssertEqual(s.takeApplicationData(), [9, 8, 7])
        XCTAssertEqual(c.takeApplicationData(), [1, 2, 3])
        return (c, s)
    }

    func handshakeTypes(_ connection: TLSConnection, _ direction: TLSDirection) -> [HandshakeType] {
        connection.takeEvents().compactMap {
            if case .handshakeMessage(let d, let type, _) = $0, d == direction { return type } else { return nil }
        }
    }

    func testTicketResumptionIsAbbreviated() async throws {
        let (client, server) = try makeConfigs()
        let (first, _) = try await connect(client, server)
        XCTAssertEqual(first.negotiated?.resumed, false)
        XCTAssertEqual(client.sessionCache?.count(for: "localhost"), 1)
        let (c, s) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.resumed, true)
        XCTAssertEqual(s.negotiated?.resumed, true)
        // Abbreviated: ServerHello, NewSessionTicket, Finished from the server; no certificate, no key exchange.
        XCTAssertEqual(handshakeTypes(s, .sent), [.serverHello, .newSessionTicket, .finished])
        XCTAssertEqual(handshakeTypes(c, .sent), [.clientHello, .finished])
        // Exporters agree after resumption too.
        XCTAssertEqual(try c.exportKeyingMaterial(label: "EXPORTER-x", context: [], length: 16),
                       try s.exportKeyingMaterial(label: "EXPORTER-x", context: [], length: 16))
        let (third, _) = try await connect(client, server)
        XCTAssertEqual(third.negotiated?.resumed, true)
    }

    func testSessionIDResumptionWithoutTickets() async throws {
        var (client, server) = try makeConfigs()
        server.sessionTicketKeys = nil
        let (first, _) = try await connect(client, server)
        XCTAssertEqual(first.negotiated?.resumed, false)
        XCTAssertEqual(server.sessionIDCache?.count, 1)
        let (c, s) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.resumed, true)
        XCTAssertEqual(handshakeTypes(s, .sent), [.serverHello, .finished])
    }

    func testResumptionWithEverySuite() async throws {
        let cases: [(CipherSuite, TestPKI.KeyType)] = [
            (.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .ecdsaP256), (.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, .ecdsaP256),
            (.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .ecdsaP256), (.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, .rsa2048),
            (.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, .rsa2048), (.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, .rsa2048),
        ]
        for (suite, keyType) in cases {
            var (client, _) = try makeConfigs()
            client.common.cipherSuites = [suite]
            let server = TLSServerConfiguration(certificate: try Self.ca.get().issueLeaf(keyType: keyType).certifiedKey)
            try await connect(client, server)
            let (c, _) = try await connect(client, server)
            XCTAssertEqual(c.negotiated?.resumed, true, "\(suite)")
            XCTAssertEqual(c.negotiated?.cipherSuite, suite)
        }
    }

    func testTicketFromAnotherServerFallsBackToFullHandshake() async throws {
        var (client, server) = try makeConfigs()
        try await connect(client, server)
        server.sessionTicketKeys = TicketKeyRing()
        server.sessionIDCache = ServerSessionCache()
        let (c, _) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.resumed, false)
    }

    func testExpiredSessionIDIsNotResumed() async throws {
        var (client, server) = try makeConfigs()
        server.sessionTicketKeys = nil
        server.sessionIDCache = ServerSessionCache(timeout: 0)
        try await connect(client, server)
        let (c, _) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.resumed, false)
    }

    func testTamperedServerFinishedInAbbreviatedHandshakeIsDecryptError() async throws {
        let (client, server) = try makeConfigs()
        try await connect(client, server)
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        try s.receive(c.takeOutput())
        var flight = s.takeOutput()
        flight[flight.count - 1] ^= 0x01   // the last byte of the encrypted Finished record
        XCTAssertThrowsError(try c.receive(flight)) { error in
            XCTAssertEqual((error as? TLSError)?.alert, .badRecordMAC)
        }
    }
}
