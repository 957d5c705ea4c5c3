import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// change_cipher_spec in the RFC 8446 §D.4 window, and server identity selection failures.
final class EngineMiddleboxTests: XCTestCase {
    func testDroppedCompatibilityCCSIsNotRequired() async throws {
        for direction in [FlightDirection.clientToServer, .serverToClient] {
            let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
            pair.tamper = Rewrite.drop(direction) { $0.isChangeCipherSpec }
            await pair.handshake()
            XCTAssertTrue(pair.records(direction).allSatisfy { !$0.isChangeCipherSpec })
            try await pair.assertDataFlows()
        }
    }

    func testCCSIsAcceptedWithoutCompatibilityMode() async throws {
        // A peer may send the compatibility CCS even when we did not ask for it; it is dropped.
        var client = EngineFixtures.clientConfiguration()
        client.middleboxCompatibility = false
        let pair = try InMemoryPair(client: client, server: EngineFixtures.serverConfiguration())
        pair.tamper = Rewrite.inject([WireRecord(.changeCipherSpec, body: [1])], .serverToClient, flight: 0)
        await pair.handshake()
        XCTAssertEqual(pair.records(.serverToClient).filter(\.isChangeCipherSpec).count, 1)
    }

    func testCCSBeforeTheServersFirstFlightIsAcceptedByTheClient() async throws {
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        pair.tamper = Rewrite.inject([WireRecord(.changeCipherSpec, body: [1])], .serverToClient, flight: 0)
        await pair.handshake()
        XCTAssertEqual(pair.records(.serverToClient).filter(\.isChangeCipherSpec).count, 2)
    }

    func testDroppedProtectedFlightLeavesClientWaiting() async throws {
        // Dropping the server's protected flight leaves the client waiting; nothing is accepted half-way.
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        pair.tamper = Rewrite.drop(.serverToClient) { $0.contentType == ContentType.applicationData.rawValue }
        let quiet = await pair.run()
        XCTAssertTrue(quiet)
        XCTAssertFalse(pair.client.isHandshakeComplete)
        XCTAssertNil(pair.client.failure)
        XCTAssertNil(pair.client.negotiated)
    }

    func testNoIdentityForNameIsUnrecognizedName() async throws {
        let key = EngineFixtures.serverKey()
        let server = TLSServerConfiguration(certificateSelector: { name in name == EngineFixtures.serverName ? key : nil })
        let known = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server)
        await known.handshake()
        let unknown = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server, serverName: "unknown.test")
        await unknown.assertSentAlert(.unrecognizedName, by: .serverToClient)
        XCTAssertEqual(unknown.client.failure?.origin, .peer)
    }

    func testServerWithoutCertificateOrSelectorIsAConfigurationError() {
        // The initializers cannot make one; a configuration whose identity was removed afterwards is refused.
        var server = EngineFixtures.serverConfiguration()
        server.certificate = nil
        XCTAssertThrowsError(try TLSConnection(server: server)) { error in
            XCTAssertTrue(error is TLSConfigurationError)
        }
    }
}

/// RFC 8446 §5.1 legacy_record_version on the wire, and the server certificate's extended key usage.
final class EngineRecordVersionTests: XCTestCase {
    func assertRecordVersions(_ pair: InMemoryPair, file: StaticString = #filePath, line: UInt = #line) {
        let client = pair.records(.clientToServer)
        // Only the initial ClientHello may use 0x0301; every other record is 0x0303.
        XCTAssertEqual(client.first?.version, 0x0301, file: file, line: line)
        XCTAssertEqual(client.dropFirst().map(\.version), Array(repeating: 0x0303, count: client.count - 1),
                       "client records: \(client.map { ($0.contentType, $0.version) })", file: file, line: line)
        let server = pair.records(.serverToClient)
        XCTAssertTrue(server.allSatisfy { $0.version == 0x0303 }, file: file, line: line)
    }

    func testRecordVersions() async throws {
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        await pair.handshake()
        try await pair.assertDataFlows()
        assertRecordVersions(pair)
    }

    func testRecordVersionsAfterHelloRetryRequest() async throws {
        for middlebox in [true, false] {
            var client = EngineFixtures.clientConfiguration()
            client.keyShareGroups = [.x25519]
            client.middleboxCompatibility = middlebox
            var server = EngineFixtures.serverConfiguration()
            server.common.supportedGroups = [.secp384r1]
            let pair = try InMemoryPair(client: client, server: server)
            await pair.handshake()
            try await pair.assertDataFlows()
            // The second ClientHello is not an initial ClientHello: 0x0303 (and so is the CCS before it).
            assertRecordVersions(pair)
        }
    }

    func testServerCertificateWithoutServerAuthEKUIsRejected() async throws {
        let clientOnly = try EngineFixtures.ca.issueLeaf(commonName: EngineFixtures.serverName, dnsNames: [EngineFixtures.serverName], eku: [.clientAuth])
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(),
                                    server: TLSServerConfiguration(certificate: try clientOnly.certifiedKey))
        await pair.assertSentAlert(.unsupportedCertificate, by: .clientToServer)
    }
}

extension EngineRecordVersionTests {
    func testPlaintextAlertAfterInitialClientHelloIsVersion0303() async throws {
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        pair.tamper = Rewrite.serverHello { $0.legacyCompressionMethod = 1 }
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
        let alert = try XCTUnwrap(pair.records(.clientToServer).last)
        XCTAssertEqual(alert.plaintextAlert?.description, .illegalParameter)
        XCTAssertEqual(alert.version, 0x0303)
    }
}

/// Record-level fragmentation of handshake messages, and zero-length handshake/alert fragments.
final class EngineFragmentationTests: XCTestCase {
    func testServerFlightInTinyRecordsCompletes() async throws {
        for fragment in [1, 7, 100] {
            let log = KeyLogCollector()
            var server = EngineFixtures.serverConfiguration()
            server.common.keyLog = log.callback
            let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server)
            pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log, fragment: fragment) { _ in }
            await pair.handshake()
            let protected = pair.log[1].records.filter { $0.contentType == ContentType.applicationData.rawValue }
            XCTAssertGreaterThanOrEqual(protected.count, 5, "fragment \(fragment)")
            XCTAssertTrue(protected.allSatisfy { $0.body.count <= fragment + 1 + 16 }, "fragment \(fragment)")
            try await pair.assertDataFlows()
        }
    }

    func testServerHelloSplitOverPlaintextRecords() async throws {
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        pair.tamper = { direction, records in
            guard direction == .serverToClient, let first = records.first, first.contentType == 22 else { return }
            let body = first.body
            records.replaceSubrange(0..<1, with: [
                WireRecord(.handshake, body: Array(body[0..<3])),
                WireRecord(.handshake, body: Array(body[3..<40])),
                WireRecord(.handshake, body: Array(body[40...])),
            ])
        }
        await pair.handshake()
    }

    func testClientHelloFollowedByPartialMessageIsUnexpectedMessage() async throws {
        // The server installs the client handshake key right after the ClientHello: trailing bytes straddle it.
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        var records = WireRecord.parse(client.takeOutput()).records
        records[0].body += [HandshakeType.finished.rawValue, 0, 0]
        let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
        let error = await feed(server, records.bytes)
        XCTAssertEqual(error?.alert, .unexpectedMessage)
        XCTAssertEqual(server.failure?.origin, .local)
    }

    func testZeroLengthProtectedHandshakeOrAlertIsUnexpectedMessage() async throws {
        for type in [ContentType.handshake, .alert] {
            let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
            await pair.handshake()
            var forger = RecordForger(toward: pair.server)
            // Zero-length content, even with padding (RFC 8446 §5.1, §5.4).
            await pair.deliver(try forger.sealInner([type.rawValue, 0, 0, 0]), .clientToServer)
            await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
        }
    }
}
