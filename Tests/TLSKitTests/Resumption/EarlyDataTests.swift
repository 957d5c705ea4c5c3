import Foundation
import XCTest
@testable import TLSKit

/// TLS 1.3 0-RTT (RFC 8446 §2.3, §4.2.10, §8): opt-in on both sides, replay protection, rejection handled by
/// resending after the handshake, and early data kept apart from ordinary data on the server.
final class EarlyDataTests: XCTestCase {
    let request = EarlyDataFixtures.request

    func makeConfigs() throws -> (TLSClientConfiguration, TLSServerConfiguration) { try EarlyDataFixtures.makeConfigs() }

    func prime(_ client: TLSClientConfiguration, _ server: TLSServerConfiguration) async throws {
        try await EarlyDataFixtures.prime(client, server)
    }

    func testEarlyDataAcceptedAndKeptApart() async throws {
        let (client, server) = try makeConfigs()
        try await prime(client, server)
        let c = try TLSConnection(client: client, serverName: "localhost")
        XCTAssertEqual(c.earlyDataCapacity, 16_384)
        try c.sendEarlyData(request)
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertEqual(c.negotiated?.resumed, true)
        XCTAssertEqual(c.earlyDataAccepted, true)
        XCTAssertTrue(c.takeEvents().contains(.earlyDataAccepted(true)))
        XCTAssertEqual(s.takeEarlyData(), request)
        XCTAssertEqual(s.takeApplicationData(), [])   // never mixed with ordinary data
        XCTAssertTrue(s.takeEvents().contains(.handshakeMessage(.received, .endOfEarlyData, length: 4)))
        // Ordinary data flows afterwards.
        try c.send([1, 2, 3])
        try await shuttle(c, s)
        XCTAssertEqual(s.takeApplicationData(), [1, 2, 3])
    }

    func testReplayedEarlyDataIsRejected() async throws {
        let (client, server) = try makeConfigs()
        try await prime(client, server)
        let c = try TLSConnection(client: client, serverName: "localhost")
        try c.sendEarlyData(request)
        let firstFlight = c.takeOutput()
        let s1 = try TLSConnection(server: server)
        try s1.receive(firstFlight)
        XCTAssertEqual(s1.takeEarlyData(), request)
        // An attacker replays the same ClientHello and early data to another connection of the same server.
        let s2 = try TLSConnection(server: server)
        try s2.receive(firstFlight)
        XCTAssertEqual(s2.takeEarlyData(), [])
        XCTAssertNil(s2.failure)
    }

    func testRejectedEarlyDataIsSentAgainAfterTheHandshake() async throws {
        var (client, server) = try makeConfigs()
        try await prime(client, server)
        server.maxEarlyDataSize = 0   // this server no longer takes early data
        let c = try TLSConnection(client: client, serverName: "localhost")
        try c.sendEarlyData(request)
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertEqual(c.negotiated?.resumed, true)
        XCTAssertEqual(c.earlyDataAccepted, false)
        XCTAssertTrue(c.takeEvents().contains(.earlyDataAccepted(false)))
        XCTAssertEqual(s.takeEarlyData(), [])
        XCTAssertEqual(s.takeApplicationData(), request)
    }

    func testHelloRetryRequestRejectsEarlyData() async throws {
        var (client, server) = try makeConfigs()
        try await prime(client, server)
        client.keyShareGroups = [.x25519]
        server.common.supportedGroups = [.secp384r1]
        let c = try TLSConnection(client: client, serverName: "localhost")
        try c.sendEarlyData(request)
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertEqual(c.negotiated?.usedHelloRetryRequest, true)
        XCTAssertEqual(c.earlyDataAccepted, false)
        XCTAssertEqual(s.takeEarlyData(), [])
        XCTAssertEqual(s.takeApplicationData(), request)
    }

    func testEarlyDataNeedsAnExplicitCall() async throws {
        let (client, server) = try makeConfigs()
        // No ticket yet: no early data possible.
        let fresh = try TLSConnection(client: client, serverName: "localhost")
        XCTAssertEqual(fresh.earlyDataCapacity, 0)
        XCTAssertThrowsError(try fresh.sendEarlyData([1]))
        try await prime(client, server)
        // send() before the handshake is never early data: it waits for the handshake.
        let c = try TLSConnection(client: client, serverName: "localhost")
        try c.send(request)
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertEqual(s.takeEarlyData(), [])
        XCTAssertEqual(s.takeApplicationData(), request)
        // Without enableEarlyData the ClientHello does not offer it at all.
        var plain = client
        plain.enableEarlyData = false
        let p = try TLSConnection(client: plain, serverName: "localhost")
        XCTAssertEqual(p.earlyDataCapacity, 0)
    }

    func testTooMuchEarlyDataIsUnexpectedMessage() async throws {
        let (client, server) = try makeConfigs()
        try await prime(client, server)
        let c = try TLSConnection(client: client, serverName: "localhost")
        c.earlyData.allowance = 100_000   // a client that ignores max_early_data_size
        try c.sendEarlyData([UInt8](repeating: 0x41, count: 20_000))
        let s = try TLSConnection(server: server)
        XCTAssertThrowsError(try s.receive(c.takeOutput())) { error in
            XCTAssertEqual((error as? TLSError)?.alert, .unexpectedMessage)
        }
    }
}
