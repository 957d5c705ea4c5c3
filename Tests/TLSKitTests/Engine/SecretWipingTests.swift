import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// Item 10 (last bullet): secrets are overwritten in place when a connection ends (README "Secrets in memory").
/// Addresses are read through a temporary copy that dies at once, so the test never holds a second owner of a
/// secret's storage (which would make the wipe land in a copy).
/// Reads internals on purpose (`traffic`, the handshake `state`'s payload, `records`): what is checked is the storage of
/// secrets no public API exposes, before and after the wipe.
final class SecretWipingTests: XCTestCase {
    func address(_ bytes: [UInt8]) -> UInt {
        bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    }

    struct Snapshot: Equatable {
        var addresses: [UInt]
        var zeroed: [Bool]
    }

    func snapshot(_ traffic: TrafficState?) -> Snapshot {
        guard let traffic else { return Snapshot(addresses: [], zeroed: []) }
        let secrets = [traffic.sendingSecret, traffic.receivingSecret,
                       traffic.exporterMasterSecret, traffic.resumptionMasterSecret]
        return Snapshot(addresses: secrets.map(address), zeroed: secrets.map { !$0.isEmpty && $0.allSatisfy { $0 == 0 } })
    }

    func connectedPair(_ configure: (inout TLSClientConfiguration) -> Void = { _ in }) async throws -> InMemoryPair {
        var client = EngineFixtures.clientConfiguration()
        configure(&client)
        let pair = try InMemoryPair(client: client, server: EngineFixtures.serverConfiguration())
        await pair.handshake()
        return pair
    }

    func testWipeZeroesTheArraysOwnStorageAndLeavesOtherCopiesAlone() {
        var secret = testPayload(count: 48, seed: 1)
        let before = address(secret)
        wipe(&secret)
        XCTAssertEqual(address(secret), before, "in place")
        XCTAssertEqual(secret, [UInt8](repeating: 0, count: 48))

        var shared = testPayload(count: 48, seed: 2)
        let other = shared
        wipe(&shared)
        XCTAssertEqual(shared, [UInt8](repeating: 0, count: 48))
        XCTAssertEqual(other, testPayload(count: 48, seed: 2), "a copy's owner keeps its value")
    }

    /// Before, a failed connection kept every traffic secret as it was.
    func testFailureWipesTheTrafficSecretsInPlaceAndTheExporterStops() async throws {
        let pair = try await connectedPair()
        let before = snapshot(pair.client.tls13Traffic)
        XCTAssertEqual(before.zeroed, [false, false, false, false])
        XCTAssertNoThrow(try pair.client.exportKeyingMaterial(label: "EXPORTER-x", context: [], length: 32))

        // A record that does not decrypt ends the connection.
        let error = await feed(pair.client, WireRecord(.applicationData, body: [UInt8](repeating: 7, count: 40)).bytes)
        XCTAssertEqual(error?.alert, .badRecordMAC)
        let after = snapshot(pair.client.tls13Traffic)
        XCTAssertEqual(after.addresses, before.addresses, "the zeros landed in the secrets' own storage")
        XCTAssertEqual(after.zeroed, [true, true, true, true])
        XCTAssertNil(pair.client.records.readProtection)
        XCTAssertThrowsError(try pair.client.exportKeyingMaterial(label: "EXPORTER-x", context: [], length: 32))
    }

    /// close() alone: our sending secret goes, the peer's stays (it may still send); close_notify both ways: all go.
    func testCloseWipesOurSendingSecretThenEverythingOnceBothSidesClosed() async throws {
        let pair = try await connectedPair()
        let before = snapshot(pair.client.tls13Traffic)
        pair.client.close()
        var after = snapshot(pair.client.tls13Traffic)
        XCTAssertEqual(after.addresses, before.addresses)
        XCTAssertEqual(after.zeroed, [true, false, false, false])
        XCTAssertThrowsError(try pair.client.updateKeys(requestPeerUpdate: false), "nothing is sent after close_notify")

        // Half-closed: the server still sends, the client still reads (and follows a KeyUpdate).
        await pair.step(.clientToServer)
        try pair.server.updateKeys(requestPeerUpdate: true)
        try pair.server.send(Array("still here".utf8))
        await pair.step(.serverToClient)
        XCTAssertNil(pair.clientError)
        XCTAssertEqual(pair.client.takeApplicationData(), Array("still here".utf8))

        let serverBefore = snapshot(pair.server.tls13Traffic)
        let clientBeforeEnd = snapshot(pair.client.tls13Traffic)
        pair.server.close()
        await pair.step(.serverToClient)
        XCTAssertTrue(pair.client.peerClosed)
        after = snapshot(pair.client.tls13Traffic)
        XCTAssertEqual(after.addresses, clientBeforeEnd.addresses)
        XCTAssertEqual(after.zeroed, [true, true, true, true])
        XCTAssertThrowsError(try pair.client.exportKeyingMaterial(label: "EXPORTER-x", context: [], length: 32))
        // The server had the client's close_notify before its own: everything went when it closed.
        let serverAfter = snapshot(pair.server.tls13Traffic)
        XCTAssertEqual(serverAfter.addresses, serverBefore.addresses)
        XCTAssertEqual(serverAfter.zeroed, [true, true, true, true])
    }

    /// RFC 8446 §7.2: after a KeyUpdate the replaced application traffic secret is deleted.
    func testKeyUpdateWipesTheReplacedSecret() async throws {
        let pair = try await connectedPair()
        let clientSending = address(pair.client.tls13Traffic!.sendingSecret)
        let serverReceiving = address(pair.server.tls13Traffic!.receivingSecret)
        WipeRecorder.shared.start()
        try pair.client.updateKeys(requestPeerUpdate: false)
        await pair.step(.clientToServer)
        let wiped = WipeRecorder.shared.stop()
        XCTAssertTrue(wiped.contains(clientSending), "the client's old sending secret")
        XCTAssertTrue(wiped.contains(serverReceiving), "the server's old receiving secret")
        try await pair.assertDataFlows()
    }

    /// A connection that fails mid-handshake wipes what its handshake state held.
    func testFailureMidHandshakeWipesTheHandshakeSecrets() throws {
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
        try server.receive(client.takeOutput())
        try client.receive(server.takeOutput())
        // (In a closure, so the bound copy of the state is gone before the wipe.)
        let secrets: [UInt] = {
            guard case .client13(.awaitingVerification(let handshake)) = client.state else { return [] }
            return [address(handshake.handshakeSecret.secret), address(handshake.clientHandshakeSecret),
                    address(handshake.serverHandshakeSecret)]
        }()
        XCTAssertEqual(secrets.count, 3, "\(client.state)")
        WipeRecorder.shared.start()
        XCTAssertThrowsError(try client.completeVerification(.rejected(TLSError(.badCertificate, "test"))))
        let wiped = WipeRecorder.shared.stop()
        XCTAssertTrue(Set(secrets).isSubset(of: wiped), "\(secrets) not all in \(wiped)")
    }

    /// TLS 1.2: the master secret, including when a session cache keeps its own copy for resumption.
    func testTLS12MasterSecretIsWipedAndTheCachedCopySurvives() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.maximumVersion = .tls12
        client.sessionCache = ClientSessionCache()
        let server = EngineFixtures.serverConfiguration()
        let pair = try InMemoryPair(client: client, server: server)
        await pair.handshake()
        XCTAssertEqual(pair.client.negotiated?.version, .tls12)
        let before = address(pair.client.tls12Traffic!.masterSecret)
        let error = await feed(pair.client, WireRecord(.applicationData, body: [UInt8](repeating: 7, count: 40)).bytes)
        XCTAssertNotNil(error)
        let masterSecret = pair.client.tls12Traffic!.masterSecret
        XCTAssertTrue(masterSecret.allSatisfy { $0 == 0 })
        // The cache shares that storage, so the connection's wipe went to a copy of its own: the cache's secret is
        // intact and the session resumes.
        XCTAssertNotEqual(address(masterSecret), before)
        let resumed = try InMemoryPair(client: client, server: server)
        await resumed.handshake()
        XCTAssertEqual(resumed.client.negotiated?.resumed, true)
        try await resumed.assertDataFlows()
    }

    func testDroppedTicketKeysAreWiped() throws {
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let ring = TicketKeyRing(rotationInterval: 10, ticketLifetime: 10, now: start)
        let first = address(ring.currentKeys[0].key)
        var random: any RandomSource = SeededRandom(seed: 3)
        WipeRecorder.shared.start()
        _ = try ring.seal([1], provider: SwiftCryptoProvider(), random: &random, now: start.addingTimeInterval(10))   // rotates
        _ = try ring.seal([1], provider: SwiftCryptoProvider(), random: &random, now: start.addingTimeInterval(30))   // drops the first
        let wiped = WipeRecorder.shared.stop()
        XCTAssertTrue(wiped.contains(first))
        XCTAssertFalse(ring.currentKeys.contains { address($0.key) == first })
    }

    func testSessionsDroppedByTheClientCacheAreWiped() {
        let cache = ClientSessionCache(capacity: 4, ticketsPerServer: 1)
        func session(_ seed: UInt64) -> ClientSession {
            ClientSession(cipherSuite: .TLS_AES_128_GCM_SHA256, ticket: [1], secret: testPayload(count: 32, seed: seed),
                          lifetime: 3600, received: Date(), serverName: "a.test", applicationProtocol: nil,
                          resumption: .tls13(ageAdd: 0, maxEarlyDataSize: 0))
        }
        var first: UInt = 0
        do {
            let old = session(1)
            first = address(old.secret)
            cache.store(old)
        }
        WipeRecorder.shared.start()
        cache.store(session(2))   // one ticket per server: the first goes
        let wiped = WipeRecorder.shared.stop()
        XCTAssertTrue(wiped.contains(first))
        XCTAssertEqual(cache.count(for: "a.test"), 1)
    }
}
