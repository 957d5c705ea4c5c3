import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// Seeded random mutations of every record of a real handshake, each fed to a fresh peer in the right state.
/// Every run must end in success, in a TLSError with an alert, or waiting for more bytes (a truncated record) —
/// never a crash or a hang. All loops are bounded.
final class EngineFuzzTests: XCTestCase {
    static let mutationsPerRecord = 500

    /// Seeded client and server (Ed25519 signs deterministically), so a recorded flight fits any fresh peer.
    func clientConfiguration() -> TLSClientConfiguration {
        var config = EngineFixtures.clientConfiguration()
        config.common.supportedGroups = [.x25519]
        config.common.randomSource = SeededRandom(seed: 0xC11E)
        return config
    }

    func serverConfiguration() -> TLSServerConfiguration {
        var config = EngineFixtures.serverConfiguration(.ed25519)
        config.common.randomSource = SeededRandom(seed: 0x5E4E)
        config.ticketsPerHandshake = 0   // the reference handshake is the three handshake flights only
        return config
    }

    enum Outcome: Hashable {
        case success
        case waiting
        case failed(AlertDescription)
    }

    func mutate(_ record: [UInt8], random: inout SeededRandom) -> [UInt8] {
        var bytes = record
        switch random.int(below: 4) {
        case 0:   // flip 1–3 bits
            for _ in 0...random.int(below: 3) {
                let index = random.int(below: bytes.count)
                bytes[index] ^= UInt8(1) << UInt8(random.int(below: 8))
            }
        case 1:   // truncate
            bytes.removeLast(1 + random.int(below: bytes.count))
        case 2:   // insert 1–8 random bytes
            let index = random.int(below: bytes.count + 1)
            bytes.insert(contentsOf: random.bytes(1 + random.int(below: 8)), at: index)
        default:  // overwrite a byte, biased to the header and the start of the body
            let index = random.int(below: min(bytes.count, 16))
            bytes[index] = UInt8(truncatingIfNeeded: random.next())
        }
        return bytes
    }

    /// Classifies what `receiver` made of `bytes`, checking the error contract on the way.
    func outcome(_ receiver: TLSConnection, after bytes: [UInt8], context: String) async -> Outcome {
        let error = await feed(receiver, bytes)
        if let error {
            XCTAssertEqual(receiver.failure, error, context)
            if error.origin == .local {
                // A locally raised error queues exactly one alert record (plaintext or protected).
                let records = WireRecord.parse(receiver.takeOutput()).records
                XCTAssertFalse(records.isEmpty, "\(context): no alert written for \(error)")
                if let alert = records.last?.plaintextAlert {
                    XCTAssertEqual(alert, Alert(level: .fatal, description: error.alert), context)
                }
            }
            // A dead connection stays dead.
            XCTAssertThrowsError(try receiver.receive([22, 3, 3, 0, 1, 0]), context)
            return .failed(error.alert)
        }
        XCTAssertNil(receiver.failure, context)
        return receiver.isHandshakeComplete ? .success : .waiting
    }

    func testMutatedHandshakeRecords() async throws {
        // The reference handshake.
        let reference = try InMemoryPair(client: clientConfiguration(), server: serverConfiguration())
        await reference.handshake()
        let flights = reference.log
        XCTAssertEqual(flights.map(\.direction), [.clientToServer, .serverToClient, .clientToServer])
        let clientHello = flights[0].records
        let serverFlight = flights[1].records
        let clientFinishedFlight = flights[2].records

        // Fresh peers in the state each flight expects.
        func freshServer() throws -> TLSConnection { try TLSConnection(server: serverConfiguration()) }
        func freshClient() throws -> TLSConnection {
            let client = try TLSConnection(client: clientConfiguration(), serverName: EngineFixtures.serverName)
            XCTAssertEqual(WireRecord.parse(client.takeOutput()).records, clientHello, "the client is not deterministic")
            return client
        }
        func serverAwaitingFinished() async throws -> TLSConnection {
            let server = try freshServer()
            let error = await feed(server, clientHello.bytes)
            XCTAssertNil(error)
            XCTAssertEqual(WireRecord.parse(server.takeOutput()).records, serverFlight, "the server is not deterministic")
            return server
        }

        // Control: the unmutated flights succeed on fresh peers, so failures below are due to the mutations.
        let controlClient = try freshClient()
        let controlClientOutcome = await outcome(controlClient, after: serverFlight.bytes, context: "control")
        XCTAssertEqual(controlClientOutcome, .success)
        let controlServer = try await serverAwaitingFinished()
        let controlServerOutcome = await outcome(controlServer, after: clientFinishedFlight.bytes, context: "control")
        XCTAssertEqual(controlServerOutcome, .success)

        var random = SeededRandom(seed: 0xF022)
        var tally: [Outcome: Int] = [:]
        let targets: [(name: String, flight: [WireRecord], toServer: Bool, finished: Bool)] = [
            ("ClientHello", clientHello, true, false),
            ("server flight", serverFlight, false, false),
            ("client Finished flight", clientFinishedFlight, true, true),
        ]
        for target in targets {
            for recordIndex in target.flight.indices {
                for iteration in 0..<Self.mutationsPerRecord {
                    var bytes: [UInt8] = []
                    for (index, record) in target.flight.enumerated() {
                        bytes += index == recordIndex ? mutate(record.bytes, random: &random) : record.bytes
                    }
                    let receiver: TLSConnection
                    if !target.toServer {
                        receiver = try freshClient()
                    } else if target.finished {
                        receiver = try await serverAwaitingFinished()
                    } else {
                        receiver = try freshServer()
                    }
                    let context = "\(target.name) record \(recordIndex) mutation \(iteration)"
                    let result = await outcome(receiver, after: bytes, context: context)
                    tally[result, default: 0] += 1
                }
            }
        }
        let total = tally.values.reduce(0, +)
        XCTAssertEqual(total, Self.mutationsPerRecord * (clientHello.count + serverFlight.count + clientFinishedFlight.count))
        let failures = tally.filter { if case .failed = $0.key { return true } else { return false } }.values.reduce(0, +)
        XCTAssertGreaterThan(failures, total / 2, "most mutations must be detected: \(tally)")
        XCTAssertGreaterThan(tally[.waiting] ?? 0, 0, "truncations leave the peer waiting: \(tally)")
    }

    /// Mutations of a protected application-data record after the handshake, fed to copies of the server's record
    /// layer (a value type, so every mutation meets the same state): always an error with an alert or waiting for
    /// more bytes — never altered data.
    func testMutatedApplicationDataRecords() async throws {
        var random = SeededRandom(seed: 0xDA7A)
        let pair = try InMemoryPair(client: clientConfiguration(), server: serverConfiguration())
        await pair.handshake()
        let payload = Array("application data that must never be accepted in altered form".utf8)
        try pair.client.send(payload)
        let record = pair.takeFlight(.clientToServer)[0].bytes
        let snapshot = pair.server.records
        var control = snapshot
        control.receive(record)
        XCTAssertEqual(try control.nextRecord()?.fragment, payload)

        var tally: [Outcome: Int] = [:]
        for iteration in 0..<Self.mutationsPerRecord {
            var layer = snapshot
            layer.receive(mutate(record, random: &random))
            do {
                var delivered: [UInt8] = []
                for _ in 0..<4 {
                    guard let plain = try layer.nextRecord() else { break }
                    delivered += plain.fragment
                }
                // Bytes appended after an intact record leave that record intact; anything else must not open.
                XCTAssertTrue(delivered.isEmpty || delivered == payload, "\(iteration): altered record accepted")
                tally[.waiting, default: 0] += 1
            } catch {
                XCTAssertTrue([.badRecordMAC, .recordOverflow, .unexpectedMessage, .decodeError].contains(error.alert),
                              "\(iteration): \(error)")
                tally[.failed(error.alert), default: 0] += 1
            }
        }
        XCTAssertGreaterThan(tally[.failed(.badRecordMAC)] ?? 0, Self.mutationsPerRecord / 2, "\(tally)")
    }
}
