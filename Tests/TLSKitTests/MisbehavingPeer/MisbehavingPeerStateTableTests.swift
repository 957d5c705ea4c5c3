import Foundation
@testable import TLSKit
import TLSWire
import XCTest

/// Every handshake state of both versions and roles × every handshake message type: a message the state does not
/// take is unexpected_message (RFC 8446 §4: "If an implementation receives an unexpected message type, it MUST abort
/// the handshake with an unexpected_message alert"; RFC 5246 §7.4 likewise). A real peer takes the connection to the
/// state, then is cut off and the scripted peer sends the message instead (an empty body: the type is checked
/// before the body is decoded). Types the state does take are left out (their bodies have their own tests).
final class MisbehavingPeerStateTableTests: XCTestCase {
    enum Cut {
        /// Where the peer's flight reaches this message.
        case before(PeerMatch)
        /// After a completed handshake.
        case connected
    }

    struct StateRow {
        let name: String
        let version: ProtocolVersion
        let clientAuth: Bool
        /// The side that receives the unexpected message.
        let receiver: TLSConnection.Role
        let cut: Cut
        let accepts: [HandshakeType]
    }

    /// state: one line each
    static let rows: [StateRow] = [
        // TLS 1.3 client
        StateRow(name: "1.3 client expect ServerHello", version: .tls13, clientAuth: false, receiver: .client, cut: .before(.message(.serverHello)), accepts: [.serverHello]),
        StateRow(name: "1.3 client expect EncryptedExtensions", version: .tls13, clientAuth: false, receiver: .client, cut: .before(.message(.encryptedExtensions)), accepts: [.encryptedExtensions]),
        StateRow(name: "1.3 client expect Certificate or CertificateRequest", version: .tls13, clientAuth: false, receiver: .client, cut: .before(.message(.certificate)), accepts: [.certificate, .certificateRequest]),
        StateRow(name: "1.3 client expect Certificate after CertificateRequest", version: .tls13, clientAuth: true, receiver: .client, cut: .before(.message(.certificate)), accepts: [.certificate]),
        StateRow(name: "1.3 client expect CertificateVerify", version: .tls13, clientAuth: false, receiver: .client, cut: .before(.message(.certificateVerify)), accepts: [.certificateVerify]),
        StateRow(name: "1.3 client expect Finished", version: .tls13, clientAuth: false, receiver: .client, cut: .before(.message(.finished)), accepts: [.finished]),
        StateRow(name: "1.3 client connected", version: .tls13, clientAuth: false, receiver: .client, cut: .connected, accepts: [.newSessionTicket, .keyUpdate]),
        // TLS 1.3 server
        StateRow(name: "1.3 server expect ClientHello", version: .tls13, clientAuth: false, receiver: .server, cut: .before(.message(.clientHello)), accepts: [.clientHello]),
        StateRow(name: "1.3 server expect Certificate", version: .tls13, clientAuth: true, receiver: .server, cut: .before(.message(.certificate)), accepts: [.certificate, .finished]),
        StateRow(name: "1.3 server expect CertificateVerify", version: .tls13, clientAuth: true, receiver: .server, cut: .before(.message(.certificateVerify)), accepts: [.certificateVerify]),
        StateRow(name: "1.3 server expect Finished", version: .tls13, clientAuth: false, receiver: .server, cut: .before(.message(.finished)), accepts: [.finished]),
        StateRow(name: "1.3 server expect Finished after client auth", version: .tls13, clientAuth: true, receiver: .server, cut: .before(.message(.finished)), accepts: [.finished]),
        StateRow(name: "1.3 server connected", version: .tls13, clientAuth: false, receiver: .server, cut: .connected, accepts: [.keyUpdate]),
        // TLS 1.2 client
        StateRow(name: "1.2 client expect ServerHello", version: .tls12, clientAuth: false, receiver: .client, cut: .before(.message(.serverHello)), accepts: [.serverHello]),
        StateRow(name: "1.2 client expect Certificate", version: .tls12, clientAuth: false, receiver: .client, cut: .before(.message(.certificate)), accepts: [.certificate]),
        StateRow(name: "1.2 client expect ServerKeyExchange", version: .tls12, clientAuth: false, receiver: .client, cut: .before(.message(.serverKeyExchange)), accepts: [.serverKeyExchange]),
        StateRow(name: "1.2 client expect CertificateRequest or ServerHelloDone", version: .tls12, clientAuth: false, receiver: .client, cut: .before(.message(.serverHelloDone)), accepts: [.certificateRequest, .serverHelloDone]),
        StateRow(name: "1.2 client expect ServerHelloDone", version: .tls12, clientAuth: true, receiver: .client, cut: .before(.message(.serverHelloDone)), accepts: [.serverHelloDone]),
        StateRow(name: "1.2 client expect ChangeCipherSpec", version: .tls12, clientAuth: false, receiver: .client, cut: .before(.ccs), accepts: [.newSessionTicket]),
        StateRow(name: "1.2 client expect Finished", version: .tls12, clientAuth: false, receiver: .client, cut: .before(.message(.finished)), accepts: [.finished]),
        StateRow(name: "1.2 client connected", version: .tls12, clientAuth: false, receiver: .client, cut: .connected, accepts: [.helloRequest]),
        // TLS 1.2 server
        StateRow(name: "1.2 server expect ClientHello", version: .tls12, clientAuth: false, receiver: .server, cut: .before(.message(.clientHello)), accepts: [.clientHello]),
        StateRow(name: "1.2 server expect Certificate", version: .tls12, clientAuth: true, receiver: .server, cut: .before(.message(.certificate)), accepts: [.certificate]),
        StateRow(name: "1.2 server expect ClientKeyExchange", version: .tls12, clientAuth: false, receiver: .server, cut: .before(.message(.clientKeyExchange)), accepts: [.clientKeyExchange]),
        StateRow(name: "1.2 server expect CertificateVerify", version: .tls12, clientAuth: true, receiver: .server, cut: .before(.message(.certificateVerify)), accepts: [.certificateVerify]),
        StateRow(name: "1.2 server expect ChangeCipherSpec", version: .tls12, clientAuth: false, receiver: .server, cut: .before(.ccs), accepts: []),
        StateRow(name: "1.2 server expect Finished", version: .tls12, clientAuth: false, receiver: .server, cut: .before(.message(.finished)), accepts: [.finished]),
        StateRow(name: "1.2 server connected", version: .tls12, clientAuth: false, receiver: .server, cut: .connected, accepts: [.clientHello]),
    ]

    /// Every type the registry knows, and one it does not.
    static let allTypes: [UInt8] = [0, 1, 2, 4, 5, 8, 11, 12, 13, 14, 15, 16, 20, 22, 24, 254, 0x63]

    static func configurations(_ row: StateRow) -> (TLSClientConfiguration, TLSServerConfiguration) {
        var client = EngineFixtures.clientConfiguration()
        var server = EngineFixtures.serverConfiguration()
        client.common.maximumVersion = row.version
        server.common.maximumVersion = row.version
        if row.clientAuth {
            client.certificate = try! EngineFixtures.clientLeaf.certifiedKey
            server.clientAuthentication = .required(.trustRoots(EngineFixtures.ca.trustRoots))
        }
        return (client, server)
    }

    func testEveryUnexpectedMessageTypeInEveryStateIsUnexpectedMessage() async throws {
        var checked = 0
        for row in Self.rows {
            let accepted = Set(row.accepts.map(\.rawValue))
            for type in Self.allTypes where !accepted.contains(type) {
                let (client, server) = Self.configurations(row)
                let toReceiver: FlightDirection = row.receiver == .client ? .serverToClient : .clientToServer
                let injected = PeerItem.message(handshakeMessage(type, []))
                let label = "\(row.name) ← \(HandshakeType(rawValue: type).map { "\($0)" } ?? "type \(type)")"
                let peer: ScriptedPeer
                switch row.cut {
                case .before(let match):
                    peer = try ScriptedPeer(client: client, server: server, edits: [PeerEdit(direction: toReceiver, match: match, action: .cut(inject: [injected]))])
                    await peer.run()
                    XCTAssertTrue(peer.stopped.contains(toReceiver), "\(label): the state was never reached")
                case .connected:
                    peer = try ScriptedPeer(client: client, server: server)
                    await peer.run()
                    XCTAssertTrue(peer.client.isHandshakeComplete && peer.server.isHandshakeComplete, "\(label): no handshake")
                    await peer.inject([injected], toReceiver)
                }
                await peer.assertFailure(.unexpectedMessage, side: row.receiver, label)
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 400)
    }

    /// The harness itself: with no edit, re-framing every message into its own record changes nothing.
    func testEveryRowConfigurationHandshakesThroughTheScriptedPeer() async throws {
        for row in Self.rows {
            let (client, server) = Self.configurations(row)
            let peer = try ScriptedPeer(client: client, server: server)
            try peer.client.send(Array("from client".utf8))
            try peer.server.send(Array("from server".utf8))
            await peer.run()
            XCTAssertNil(peer.client.failure, row.name)
            XCTAssertNil(peer.server.failure, row.name)
            XCTAssertEqual(peer.client.negotiated?.version, row.version, row.name)
            XCTAssertEqual(peer.server.takeApplicationData(), Array("from client".utf8), row.name)
            XCTAssertEqual(peer.client.takeApplicationData(), Array("from server".utf8), row.name)
        }
    }
}
