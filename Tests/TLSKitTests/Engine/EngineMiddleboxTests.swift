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
        var server = TLSServerConfiguration(certificate: nil)
        let key = EngineFixtures.serverKey()
        server.certificateSelector = { name in name == EngineFixtures.serverName ? key : nil }
        let known = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server)
        await known.handshake()
        let unknown = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server, serverName: "unknown.test")
        await unknown.assertSentAlert(.unrecognizedName, by: .serverToClient)
        XCTAssertEqual(unknown.client.failure?.origin, .peer)
    }

    func testServerWithoutCertificateOrSelectorIsAConfigurationError() {
        XCTAssertThrowsError(try TLSConnection(server: TLSServerConfiguration(certificate: nil))) { error in
            XCTAssertTrue(error is TLSConfigurationError)
        }
    }
}
