import Foundation
@testable import TLSKit
import TLSWire
import XCTest

/// A misbehaving peer at the record layer and floods, in both versions and toward both roles: oversized and empty
/// records, TLSInnerPlaintext without a type, handshake messages in one-byte records, and streams of warning alerts,
/// KeyUpdates, empty and tiny records against the caps in TLSConnection (maxWarningAlertsInARow 4,
/// maxKeyUpdatesInARow 32, maxEmptyRecordsInARow 32).
final class MisbehavingPeerRecordTests: XCTestCase {
    typealias Setup = MisbehavingPeerTests.Setup

    /// After the handshake, the peer of `receiver` sends `items`; `alert` nil means the receiver must carry on and
    /// still deliver application data sent after the items.
    struct Row {
        let name: String
        let setup: Setup
        let receiver: TLSConnection.Role
        let items: [PeerItem]
        let alert: AlertDescription?

        init(_ name: String, _ setup: Setup, _ receiver: TLSConnection.Role, _ items: [PeerItem], _ alert: AlertDescription?) {
            self.name = name
            self.setup = setup
            self.receiver = receiver
            self.items = items
            self.alert = alert
        }
    }

    func run(_ rows: [Row], file: StaticString = #filePath, line: UInt = #line) async throws {
        for row in rows {
            let (client, server) = MisbehavingPeerTests.configurations(row.setup)
            let peer = try ScriptedPeer(client: client, server: server)
            await peer.run()
            XCTAssertTrue(peer.client.isHandshakeComplete && peer.server.isHandshakeComplete, row.name, file: file, line: line)
            let direction: FlightDirection = row.receiver == .client ? .serverToClient : .clientToServer
            let receiver = peer.receiver(direction)
            _ = receiver.takeEvents()
            await peer.inject(row.items, direction)
            if let alert = row.alert {
                // Data the real peer sends after the misbehaviour must not get through either.
                try? peer.sender(direction).send(MisbehavingPeerTests.secret)
                await peer.assertFailure(alert, side: row.receiver, row.name, file: file, line: line)
            } else {
                let error = row.receiver == .client ? peer.pair.clientError : peer.pair.serverError
                XCTAssertNil(error, row.name, file: file, line: line)
                _ = receiver.takeApplicationData()
                await peer.inject([.appData(MisbehavingPeerTests.secret)], direction)
                XCTAssertEqual(receiver.takeApplicationData(), MisbehavingPeerTests.secret, row.name, file: file, line: line)
                XCTAssertLessThanOrEqual(receiver.takeEvents().count, EventQueue.capacity, row.name, file: file, line: line)
            }
        }
    }

    static func repeated(_ item: PeerItem, _ count: Int) -> [PeerItem] { Array(repeating: item, count: count) }
    static func warning(_ description: AlertDescription) -> PeerItem { .alert(Alert(level: .warning, description: description).encode()) }
    static let keyUpdate = PeerItem.message(HandshakeMessage.keyUpdate(.updateNotRequested).testBytes)
    static let empty = PeerItem.fragmented(.applicationData, [], size: 1)

    func testOversizedAndEmptyRecords() async throws {
        // RFC 8446 §5.2: TLSCiphertext longer than 2^14 + 256 is record_overflow; RFC 5246 §6.2.3 names the same
        // alert (no AEAD suite's record can come near 2^14 + 256, so the TLS 1.3 bound is used for both).
        let overflow = PeerItem.oversized(.applicationData, length: (1 << 14) + 257)
        try await run([
            Row("1.3 record of 2^14+257 bytes to the client", [], .client, [overflow], .recordOverflow),
            Row("1.3 record of 2^14+257 bytes to the server", [], .server, [overflow], .recordOverflow),
            Row("1.2 record of 2^14+257 bytes to the client", .tls12, .client, [overflow], .recordOverflow),
            Row("1.2 record of 2^14+257 bytes to the server", .tls12, .server, [overflow], .recordOverflow),
            Row("1.2 handshake record of 2^14+257 bytes", .tls12, .server, [.oversized(.handshake, length: (1 << 14) + 257)], .recordOverflow),
            // RFC 8446 §5.4: a TLSInnerPlaintext of only zeros has no content type: unexpected_message.
            Row("1.3 inner plaintext of only zeros to the client", [], .client, [.innerPlaintext([0, 0, 0])], .unexpectedMessage),
            Row("1.3 inner plaintext of one zero to the server", [], .server, [.innerPlaintext([0])], .unexpectedMessage),
            Row("1.3 inner plaintext of 2^14+1 zeros", [], .client, [.innerPlaintext([UInt8](repeating: 0, count: (1 << 14) + 1))], .unexpectedMessage),
            // RFC 5246 §6.2.1: zero-length handshake and alert fragments are not allowed.
            Row("1.2 empty protected handshake record to the client", .tls12, .client, [.fragmented(.handshake, [], size: 1)], .unexpectedMessage),
            Row("1.2 empty protected handshake record to the server", .tls12, .server, [.fragmented(.handshake, [], size: 1)], .unexpectedMessage),
            Row("1.2 empty protected alert record", .tls12, .client, [.fragmented(.alert, [], size: 1)], .unexpectedMessage),
            Row("1.3 empty protected handshake record", [], .server, [.innerPlaintext([ContentType.handshake.rawValue])], .unexpectedMessage),
        ])
    }

    func testFloodsHitTheirCaps() async throws {
        let r = Self.repeated
        try await run([
            Row("1.3 user_canceled ×5 to the client", [], .client, r(Self.warning(.userCanceled), 5), .unexpectedMessage),
            Row("1.3 user_canceled ×5 to the server", [], .server, r(Self.warning(.userCanceled), 5), .unexpectedMessage),
            Row("1.2 warning no_renegotiation ×5 to the client", .tls12, .client, r(Self.warning(.noRenegotiation), 5), .unexpectedMessage),
            Row("1.2 warning no_renegotiation ×5 to the server", .tls12, .server, r(Self.warning(.noRenegotiation), 5), .unexpectedMessage),
            // Renegotiation requests are answered with a counted no_renegotiation warning: the fifth in a row ends it.
            Row("1.2 HelloRequest ×5 to the client", .tls12, .client, r(.message(handshakeMessage(.helloRequest)), 5), .unexpectedMessage),
            Row("1.2 renegotiating ClientHello ×5 to the server", .tls12, .server, r(.message(HandshakeMessage.clientHello(try freshClientHello()).testBytes), 5), .unexpectedMessage),
            Row("1.3 KeyUpdate ×33 to the client", [], .client, r(Self.keyUpdate, 33), .unexpectedMessage),
            Row("1.3 KeyUpdate ×33 to the server", [], .server, r(Self.keyUpdate, 33), .unexpectedMessage),
            Row("1.3 empty records ×33 to the client", [], .client, r(Self.empty, 33), .unexpectedMessage),
            Row("1.2 empty records ×33 to the client", .tls12, .client, r(Self.empty, 33), .unexpectedMessage),
            Row("1.2 empty records ×33 to the server", .tls12, .server, r(Self.empty, 33), .unexpectedMessage),
            // Within the caps the connection goes on (and the counters start again after data).
            Row("1.3 user_canceled ×4", [], .client, r(Self.warning(.userCanceled), 4), nil),
            Row("1.2 warnings ×4", .tls12, .server, r(Self.warning(.noRenegotiation), 4), nil),
            Row("1.3 KeyUpdate ×32", [], .server, r(Self.keyUpdate, 32), nil),
            Row("1.3 empty records ×32", [], .client, r(Self.empty, 32), nil),
            Row("1.2 empty records ×32", .tls12, .server, r(Self.empty, 32), nil),
            Row("1.3 (KeyUpdate ×32, data) ×4", [], .client, Array(repeating: r(Self.keyUpdate, 32) + [.appData([1])], count: 4).flatMap { $0 }, nil),
            // Tiny records are no protocol error: each costs the peer a whole record, and every byte arrives.
            Row("1.3 10,000 one-byte records", [], .server, [.fragmented(.applicationData, [UInt8](repeating: 7, count: 10_000), size: 1)], nil),
            Row("1.2 10,000 one-byte records", .tls12, .client, [.fragmented(.applicationData, [UInt8](repeating: 7, count: 10_000), size: 1)], nil),
        ])
    }

    /// Every handshake message of both flights split into one-byte records (RFC 8446 §5.1, RFC 5246 §6.2.1 allow any
    /// fragmentation): the handshake completes and data flows.
    func testHandshakeInOneByteRecordsCompletes() async throws {
        for setup in [Setup(), .clientAuth, .tls12, [.tls12, .clientAuth]] {
            let (client, server) = MisbehavingPeerTests.configurations(setup)
            let peer = try ScriptedPeer(client: client, server: server)
            peer.fragmentHandshake = [.clientToServer: 1, .serverToClient: 1]
            try peer.client.send(MisbehavingPeerTests.secret)
            try peer.server.send(MisbehavingPeerTests.secret)
            await peer.run(maxRounds: 64)
            XCTAssertNil(peer.client.failure, "\(setup)")
            XCTAssertNil(peer.server.failure, "\(setup)")
            XCTAssertEqual(peer.server.takeApplicationData(), MisbehavingPeerTests.secret, "\(setup)")
            XCTAssertEqual(peer.client.takeApplicationData(), MisbehavingPeerTests.secret, "\(setup)")
        }
    }
}
