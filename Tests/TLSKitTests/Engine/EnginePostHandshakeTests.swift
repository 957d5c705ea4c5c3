import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// Post-handshake and key-change edge cases (RFC 8446 §4.6.3, §5.1).
final class EnginePostHandshakeTests: XCTestCase {
    func connectedPair() async throws -> InMemoryPair {
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        await pair.handshake()
        _ = pair.client.takeEvents()
        _ = pair.server.takeEvents()
        return pair
    }

    func sentKeyUpdates(_ connection: TLSConnection) -> Int {
        connection.takeEvents().filter { $0 == .keyUpdated(.sent) }.count
    }

    /// RFC 8446 §4.6.3: an implementation that receives several KeyUpdates while silent answers with a single update.
    func testSeveralUpdateRequestsWhileSilentGetOneAnswer() async throws {
        let pair = try await connectedPair()
        try pair.client.updateKeys(requestPeerUpdate: true)
        try pair.client.updateKeys(requestPeerUpdate: true)
        try pair.client.updateKeys(requestPeerUpdate: true)
        await pair.step(.clientToServer)
        XCTAssertNil(pair.serverError)
        XCTAssertEqual(sentKeyUpdates(pair.server), 1)
        let answer = pair.takeFlight(.serverToClient)
        XCTAssertEqual(answer.count, 1)
        await pair.deliver(answer.bytes, .serverToClient)
        XCTAssertNil(pair.clientError)
        XCTAssertFalse(pair.client.hasOutput, "the answer is not answered")
        try await pair.assertDataFlows()

        // Once the answer has been written out, a new request gets a new answer.
        try pair.client.updateKeys(requestPeerUpdate: true)
        await pair.step(.clientToServer)
        XCTAssertEqual(sentKeyUpdates(pair.server), 1)
        await pair.step(.serverToClient)
        try await pair.assertDataFlows("later")
    }

    func testCrossingUpdateRequests() async throws {
        // Both sides request at once; each answers once and both end two generations on, still in agreement.
        let pair = try await connectedPair()
        try pair.client.updateKeys(requestPeerUpdate: true)
        try pair.server.updateKeys(requestPeerUpdate: true)
        let fromClient = pair.takeFlight(.clientToServer)
        let fromServer = pair.takeFlight(.serverToClient)
        await pair.deliver(fromClient.bytes, .clientToServer)
        await pair.deliver(fromServer.bytes, .serverToClient)
        XCTAssertNil(pair.clientError)
        XCTAssertNil(pair.serverError)
        await pair.run()
        XCTAssertNil(pair.clientError)
        XCTAssertNil(pair.serverError)
        XCTAssertEqual(sentKeyUpdates(pair.client), 2)
        XCTAssertEqual(sentKeyUpdates(pair.server), 2)
        try await pair.assertDataFlows()
    }

    func testKeyUpdateWithInvalidRequestIsIllegalParameter() async throws {
        let pair = try await connectedPair()
        var forger = RecordForger(toward: pair.server)
        await pair.deliver(try forger.seal(.handshake, [HandshakeType.keyUpdate.rawValue, 0, 0, 1, 2]), .clientToServer)
        await pair.assertSentAlert(.illegalParameter, by: .serverToClient)
    }

    func testMessageSpanningKeyUpdateIsUnexpectedMessage() async throws {
        // KeyUpdate and the first bytes of another message in one record: those bytes would straddle the key change.
        let pair = try await connectedPair()
        var forger = RecordForger(toward: pair.server)
        let keyUpdate = HandshakeMessage.keyUpdate(.updateNotRequested).testBytes
        await pair.deliver(try forger.seal(.handshake, keyUpdate + [HandshakeType.keyUpdate.rawValue, 0]), .clientToServer)
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
    }

    func testOtherRecordInsideSplitHandshakeMessageIsUnexpectedMessage() async throws {
        let pair = try await connectedPair()
        var forger = RecordForger(toward: pair.server)
        let keyUpdate = HandshakeMessage.keyUpdate(.updateNotRequested).testBytes
        let bytes = try forger.seal(.handshake, Array(keyUpdate[0..<2]))
            + forger.seal(.applicationData, [1, 2, 3])
            + forger.seal(.handshake, Array(keyUpdate[2...]))
        await pair.deliver(bytes, .clientToServer)
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
        XCTAssertTrue(pair.server.takeApplicationData().isEmpty)
    }

    func testHandshakeMessageSplitOverRecordsIsReassembled() async throws {
        let pair = try await connectedPair()
        var forger = RecordForger(toward: pair.server)
        let keyUpdate = HandshakeMessage.keyUpdate(.updateRequested).testBytes
        var bytes: [UInt8] = []
        for byte in keyUpdate { bytes += try forger.seal(.handshake, [byte]) }
        await pair.deliver(bytes, .clientToServer)
        XCTAssertNil(pair.serverError)
        XCTAssertEqual(pair.server.takeEvents().filter { $0 == .keyUpdated(.received) }.count, 1)
        // The new key is in use: a record under the old one no longer opens.
        let error = await feed(pair.server, try forger.seal(.applicationData, [1]))
        XCTAssertEqual(error?.alert, .badRecordMAC, "the new key is in use")
    }

    func testApplicationDataUnderHandshakeKeysIsUnexpectedMessage() async throws {
        // Protected application data before the client's Finished: sealed with the client handshake key.
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        await pair.step(.clientToServer)
        var forger = RecordForger(toward: pair.server)
        await pair.deliver(try forger.seal(.applicationData, Array("too early".utf8)), .clientToServer)
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
        XCTAssertTrue(pair.server.takeApplicationData().isEmpty)
    }

    func testHelloRetryRequestThatChangesNothingIsIllegalParameter() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.keyShareGroups = [.x25519]
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp384r1]
        let pair = try InMemoryPair(client: client, server: server)
        pair.tamper = Rewrite.serverHello(helloRetry: true) { $0.replaceExtension(.keyShare, with: nil) }
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    func testSecondClientHelloWithoutTheRequestedShareIsIllegalParameter() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.keyShareGroups = [.x25519]
        client.clientHelloCustomizer = { hello, isRetry in
            guard isRetry else { return }
            hello.replaceExtension(.keyShare, with: .keyShareClient([]))
        }
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp384r1]
        let pair = try InMemoryPair(client: client, server: server)
        await pair.assertSentAlert(.illegalParameter, by: .serverToClient)
    }

    func testCertificateRequestWithoutSignatureAlgorithmsIsMissingExtension() async throws {
        let log = KeyLogCollector()
        var server = EngineFixtures.serverConfiguration()
        server.common.keyLog = log.callback
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server)
        pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log) { messages in
            let request = CertificateRequest(certificateRequestContext: [], extensions: [])
            messages.insert(HandshakeMessage.certificateRequest(request).testBytes, at: messageIndex(messages, .certificate)!)
        }
        await pair.assertSentAlert(.missingExtension, by: .clientToServer)
    }

    func testLegacyRecordVersionOfPlaintextRecordsIsIgnored() async throws {
        // RFC 8446 §5.1: legacy_record_version MUST be ignored (beyond the 0x03 major byte).
        for version: UInt16 in [0x0300, 0x0301, 0x0303, 0x03FF] {
            let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
            var records = WireRecord.parse(client.takeOutput()).records
            XCTAssertEqual(records[0].version, 0x0301, "initial ClientHello record version")
            records[0].version = version
            let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
            let error = await feed(server, records.bytes)
            XCTAssertNil(error, "record version \(version)")
            XCTAssertTrue(server.hasOutput)
        }
    }

    func testExporterLengthLimit() async throws {
        let pair = try await connectedPair()
        XCTAssertNoThrow(try pair.client.exportKeyingMaterial(label: "EXPORTER-x", context: [], length: 255 * 32))
        XCTAssertThrowsError(try pair.client.exportKeyingMaterial(label: "EXPORTER-x", context: [], length: 255 * 32 + 1))
    }
}

/// RFC 8449 record_size_limit.
final class EngineRecordSizeLimitTests: XCTestCase {
    func pair(clientLimit: UInt16?, serverLimit: UInt16?) async throws -> InMemoryPair {
        var client = EngineFixtures.clientConfiguration()
        client.common.recordSizeLimit = clientLimit
        var server = EngineFixtures.serverConfiguration()
        server.common.recordSizeLimit = serverLimit
        let pair = try InMemoryPair(client: client, server: server)
        await pair.handshake()
        return pair
    }

    func testBothSidesHonourThePeersLimit() async throws {
        let pair = try await pair(clientLimit: 600, serverLimit: 700)
        let down = testPayload(count: 5000, seed: 1)
        let up = testPayload(count: 5000, seed: 2)
        let gotDown = try await pair.transfer(down, .serverToClient, chunkSizes: [5000])
        XCTAssertEqual(gotDown, down)
        let gotUp = try await pair.transfer(up, .clientToServer, chunkSizes: [5000])
        XCTAssertEqual(gotUp, up)
        let tag = 16
        // Every protected record toward the client holds at most 599 content bytes + the type byte (600).
        let toClient = pair.records(.serverToClient).filter { $0.contentType == 23 }
        XCTAssertTrue(toClient.allSatisfy { $0.body.count - tag <= 600 }, "\(toClient.map(\.body.count))")
        XCTAssertTrue(toClient.contains { $0.body.count - tag == 600 })
        let toServer = pair.records(.clientToServer).filter { $0.contentType == 23 }
        XCTAssertTrue(toServer.allSatisfy { $0.body.count - tag <= 700 }, "\(toServer.map(\.body.count))")
        XCTAssertTrue(toServer.contains { $0.body.count - tag == 700 })
    }

    func testAnnouncedLimitIsEnforcedOnceNegotiated() async throws {
        // At the limit: accepted.
        let ok = try await pair(clientLimit: 600, serverLimit: 700)
        var forger = RecordForger(toward: ok.client)
        forger.maxFragment = 1000
        await ok.deliver(try forger.seal(.applicationData, testPayload(count: 599, seed: 3)), .serverToClient)
        XCTAssertNil(ok.clientError)
        XCTAssertEqual(ok.client.takeApplicationData().count, 599)

        // One byte over the client's announced limit: record_overflow.
        let over = try await pair(clientLimit: 600, serverLimit: 700)
        var overForger = RecordForger(toward: over.client)
        overForger.maxFragment = 1000
        await over.deliver(try overForger.seal(.applicationData, testPayload(count: 600, seed: 3)), .serverToClient)
        await over.assertSentAlert(.recordOverflow, by: .clientToServer)

        // The server enforces its own limit toward the client's records too.
        let server = try await pair(clientLimit: 600, serverLimit: 700)
        var serverForger = RecordForger(toward: server.server)
        serverForger.maxFragment = 1000
        await server.deliver(try serverForger.seal(.applicationData, testPayload(count: 700, seed: 4)), .clientToServer)
        await server.assertSentAlert(.recordOverflow, by: .serverToClient)
    }

    func testLimitNotAcknowledgedIsNotEnforced() async throws {
        // The server does not send record_size_limit back: nothing was negotiated, so the client keeps 2^14.
        let pair = try await pair(clientLimit: 600, serverLimit: nil)
        var forger = RecordForger(toward: pair.client)
        await pair.deliver(try forger.seal(.applicationData, testPayload(count: 16384, seed: 5)), .serverToClient)
        XCTAssertNil(pair.clientError)
        XCTAssertEqual(pair.client.takeApplicationData().count, 16384)
    }
}
