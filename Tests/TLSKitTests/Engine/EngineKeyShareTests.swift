import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// Invalid key shares and certificates, and post-handshake authentication that was never offered.
final class EngineKeyShareTests: XCTestCase {
    func testInvalidServerKeyShareIsIllegalParameter() async throws {
        let cases: [(NamedGroup, [UInt8])] = [
            (.x25519, [UInt8](repeating: 0, count: 32)),        // low-order point: all-zero shared secret
            (.x25519, [UInt8](repeating: 9, count: 31)),        // wrong length
            (.secp256r1, [4] + [UInt8](repeating: 1, count: 64)),   // not on the curve
            (.secp384r1, [4] + [UInt8](repeating: 0, count: 96)),
            (.X25519MLKEM768, [UInt8](repeating: 7, count: 100)),   // wrong ciphertext length
        ]
        for (group, share) in cases {
            var client = EngineFixtures.clientConfiguration()
            client.common.supportedGroups = [group]
            let pair = try InMemoryPair(client: client, server: EngineFixtures.serverConfiguration())
            pair.tamper = Rewrite.serverHello { hello in
                hello.replaceExtension(.keyShare, with: .keyShareServer(KeyShareEntry(group: group, keyExchange: share)))
            }
            await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
        }
    }

    func testInvalidClientKeyShareIsIllegalParameter() async throws {
        let cases: [(NamedGroup, [UInt8])] = [
            (.x25519, [UInt8](repeating: 0, count: 32)),
            (.x25519, [1, 2, 3]),
            (.secp256r1, [4] + [UInt8](repeating: 1, count: 64)),
            (.secp256r1, [2] + [UInt8](repeating: 1, count: 32)),   // compressed points are not allowed in TLS 1.3
            // Right length, but ML-KEM coefficients of 0xFFF ≥ q fail the FIPS 203 modulus check.
            (.X25519MLKEM768, [UInt8](repeating: 0xFF, count: 1184) + [UInt8](repeating: 9, count: 32)),
            (.X25519MLKEM768, [UInt8](repeating: 7, count: 33)),
        ]
        for (group, share) in cases {
            var hello = try freshClientHello { $0.grease = false; $0.common.supportedGroups = [group] }
            hello.replaceExtension(.keyShare, with: .keyShareClient([KeyShareEntry(group: group, keyExchange: share)]))
            let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
            let error = await feed(server, clientHelloRecord(hello))
            assertPlaintextAlert(server, .illegalParameter, thrown: error)
            XCTAssertNotNil(error, "\(group) share of \(share.count) bytes")
        }
    }

    func testGarbageServerCertificateIsBadCertificate() async throws {
        let log = KeyLogCollector()
        var server = EngineFixtures.serverConfiguration()
        server.common.keyLog = log.callback
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server)
        pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log) { messages in
            let index = messageIndex(messages, .certificate)!
            let entry = CertificateMessage.Entry(certificateDER: [0x30, 0x03, 0x02, 0x01, 0x01])
            messages[index] = HandshakeMessage.certificate(CertificateMessage(certificateRequestContext: [], entries: [entry])).testBytes
        }
        await pair.assertSentAlert(.badCertificate, by: .clientToServer)
    }

    func testServerCertificateFromAnotherKeyIsDecryptError() async throws {
        // A valid, trusted chain whose key did not make the CertificateVerify signature.
        let other = try EngineFixtures.ca.issueLeaf(commonName: "twin", dnsNames: [EngineFixtures.serverName], eku: [.serverAuth])
        let otherDER = try other.chainDER
        let log = KeyLogCollector()
        var server = EngineFixtures.serverConfiguration()
        server.common.keyLog = log.callback
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server)
        pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log) { messages in
            let index = messageIndex(messages, .certificate)!
            let entries = otherDER.map { CertificateMessage.Entry(certificateDER: $0) }
            messages[index] = HandshakeMessage.certificate(CertificateMessage(certificateRequestContext: [], entries: entries)).testBytes
        }
        await pair.assertSentAlert(.decryptError, by: .clientToServer)
    }

    func testPostHandshakeCertificateRequestWithoutOfferIsUnexpectedMessage() async throws {
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        await pair.handshake()
        var forger = RecordForger(toward: pair.client)
        let request = CertificateRequest(certificateRequestContext: [1], extensions: [.signatureAlgorithms([.ecdsa_secp256r1_sha256])])
        await pair.deliver(try forger.seal(.handshake, HandshakeMessage.certificateRequest(request).testBytes), .serverToClient)
        await pair.assertSentAlert(.unexpectedMessage, by: .clientToServer)
    }

    func testNewSessionTicketIsReportedToTheClient() async throws {
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        await pair.handshake()
        _ = pair.client.takeEvents()
        var forger = RecordForger(toward: pair.client)
        let ticket = NewSessionTicket(ticketLifetime: 7200, ticketAgeAdd: 42, ticketNonce: [0], ticket: [1, 2, 3], extensions: [])
        await pair.deliver(try forger.seal(.handshake, HandshakeMessage.newSessionTicket(ticket).testBytes), .serverToClient)
        XCTAssertNil(pair.clientError)
        XCTAssertEqual(pair.client.takeEvents(), [
            .handshakeMessage(.received, .newSessionTicket, length: HandshakeMessage.newSessionTicket(ticket).testBytes.count),
            .newSessionTicket(ticket),
        ])
    }
}
