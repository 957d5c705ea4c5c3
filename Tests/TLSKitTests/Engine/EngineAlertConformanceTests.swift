import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// Alerts and edge cases the RFCs pin down, as strict conformance suites check them (issue 12, section 2).
final class EngineAlertConformanceTests: XCTestCase {
    func makePair(client: TLSClientConfiguration = EngineFixtures.clientConfiguration(),
                  server: TLSServerConfiguration = EngineFixtures.serverConfiguration()) throws -> InMemoryPair {
        try InMemoryPair(client: client, server: server)
    }

    func tls12(_ client: inout TLSClientConfiguration, _ server: inout TLSServerConfiguration) {
        client.common.maximumVersion = .tls12
        server.common.maximumVersion = .tls12
    }

    // MARK: Finished of the wrong length is decode_error (RFC 8446 §4.4.4, RFC 5246 §7.4.9), not decrypt_error

    func testFinishedOfTheWrongLengthIsDecodeError() throws {
        let expected = [UInt8](repeating: 7, count: 32)
        for length in [0, 12, 31, 33, 48] {
            XCTAssertThrowsError(try checkFinished(Finished(verifyData: [UInt8](repeating: 7, count: length)), expected: expected)) {
                XCTAssertEqual(($0 as? TLSError)?.alert, .decodeError, "\(length) bytes")
            }
        }
        XCTAssertThrowsError(try checkFinished(Finished(verifyData: [UInt8](repeating: 8, count: 32)), expected: expected)) {
            XCTAssertEqual(($0 as? TLSError)?.alert, .decryptError)
        }
        XCTAssertNoThrow(try checkFinished(Finished(verifyData: expected), expected: expected))
    }

    func testShortServerFinishedIsDecodeErrorAtTheClient() async throws {
        let log = KeyLogCollector()
        var server = EngineFixtures.serverConfiguration()
        server.common.keyLog = log.callback
        let pair = try makePair(server: server)
        pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log) { messages in
            messages[messages.count - 1] = HandshakeMessage.finished(Finished(verifyData: [UInt8](repeating: 1, count: 31))).testBytes
        }
        await pair.assertSentAlert(.decodeError, by: .clientToServer)
    }

    func testLongClientFinishedIsDecodeErrorAtTheServer() async throws {
        let pair = try makePair()
        await pair.step(.clientToServer)
        await pair.step(.serverToClient)
        _ = pair.takeFlight(.clientToServer)   // the client's real Finished never arrives
        var forger = RecordForger(toward: pair.server)
        let forged = try forger.seal(.handshake, HandshakeMessage.finished(Finished(verifyData: [UInt8](repeating: 1, count: 40))).testBytes)
        let error = await feed(pair.server, forged)
        XCTAssertEqual(error?.alert, .decodeError)
    }

    // MARK: Records interleaved with the handshake

    func testEmptyPlaintextApplicationDataBeforeTheClientHelloIsUnexpectedMessage() async throws {
        let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
        let error = await feed(server, WireRecord(.applicationData, version: 0x0301, body: []).bytes)
        assertPlaintextAlert(server, .unexpectedMessage, thrown: error)
    }

    func testEmptyApplicationDataBetweenClientHelloFragmentsIsUnexpectedMessage() async throws {
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        let hello = try XCTUnwrap(WireRecord.parse(client.takeOutput()).records.first)
        let half = hello.body.count / 2
        let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
        let bytes = WireRecord(.handshake, version: 0x0301, body: Array(hello.body[..<half])).bytes
            + WireRecord(.applicationData, body: []).bytes
            + WireRecord(.handshake, body: Array(hello.body[half...])).bytes
        let error = await feed(server, bytes)
        assertPlaintextAlert(server, .unexpectedMessage, thrown: error)
    }

    func testTwoByteChangeCipherSpecInTLS12IsUnexpectedMessage() async throws {
        var client = EngineFixtures.clientConfiguration()
        var server = EngineFixtures.serverConfiguration()
        tls12(&client, &server)
        let pair = try makePair(client: client, server: server)
        pair.tamper = { direction, records in
            guard direction == .clientToServer else { return }
            for index in records.indices where records[index].contentType == ContentType.changeCipherSpec.rawValue {
                records[index].body = [1, 1]
            }
        }
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
    }

    /// A TLS 1.3 client that gives up on the server's flight before it installed its handshake keys sends a plaintext
    /// alert: the server reports the client's reason instead of answering unexpected_message.
    func testPlaintextAlertAfterTheServerFlightIsThePeersReason() async throws {
        let pair = try makePair()
        await pair.step(.clientToServer)
        _ = pair.takeFlight(.serverToClient)
        let error = await feed(pair.server, WireRecord(.alert, body: Alert(level: .fatal, description: .badCertificate).encode()).bytes)
        XCTAssertEqual(error?.alert, .badCertificate)
        XCTAssertEqual(error?.origin, .peer)
        // Once the client's protected records arrive, plaintext alerts are unexpected again.
        let second = try makePair()
        await second.handshake()
        let late = await feed(second.server, WireRecord(.alert, body: Alert(level: .fatal, description: .badCertificate).encode()).bytes)
        XCTAssertEqual(late?.alert, .unexpectedMessage)
        XCTAssertEqual(late?.origin, .local)
    }

    // MARK: 0-RTT skipping around a HelloRetryRequest

    func makeEarlyDataRetry() async throws -> (TLSClientConfiguration, TLSServerConfiguration) {
        var (client, server) = try EarlyDataFixtures.makeConfigs()
        try await EarlyDataFixtures.prime(client, server)
        client.keyShareGroups = [.x25519]
        server.common.supportedGroups = [.secp384r1]
        return (client, server)
    }

    func testSkippingEarlyDataEndsWithTheSecondClientHello() async throws {
        let (clientConfig, serverConfig) = try await makeEarlyDataRetry()
        let client = try TLSConnection(client: clientConfig, serverName: "localhost")
        try client.sendEarlyData(EarlyDataFixtures.request)
        let server = try TLSConnection(server: serverConfig)
        try server.receive(client.takeOutput())            // ClientHello + early data: HelloRetryRequest, data skipped
        try client.receive(server.takeOutput())
        try server.receive(client.takeOutput())            // the second ClientHello: the skip budget closes
        XCTAssertNil(server.failure)
        // A record that fails to decrypt now is bad_record_mac (RFC 8446 §5.2), not more skipped early data.
        let garbage = WireRecord(.applicationData, body: [UInt8](repeating: 0x55, count: 100)).bytes
        let error = await feed(server, garbage)
        XCTAssertEqual(error?.alert, .badRecordMAC)
    }

    func testEarlyDataRecordShorterThanATagIsSkipped() async throws {
        var (client, server) = try EarlyDataFixtures.makeConfigs()
        try await EarlyDataFixtures.prime(client, server)
        server.maxEarlyDataSize = 0   // early data is rejected and skipped
        let c = try TLSConnection(client: client, serverName: "localhost")
        try c.sendEarlyData(EarlyDataFixtures.request)
        var records = WireRecord.parse(c.takeOutput()).records
        let index = try XCTUnwrap(records.firstIndex { $0.contentType == ContentType.applicationData.rawValue })
        records.insert(WireRecord(.applicationData, body: [1, 2, 3, 4, 5]), at: index)
        let s = try TLSConnection(server: server)
        try s.receive(records.bytes)
        XCTAssertNil(s.failure)
        try await shuttle(c, s)
        XCTAssertTrue(s.isHandshakeComplete)
        XCTAssertEqual(s.takeApplicationData(), EarlyDataFixtures.request)
    }

    // MARK: The client's view of the server's hello

    func testTLS12ServerHelloMayEchoAnOfferedExtension() async throws {
        var config = EngineFixtures.clientConfiguration()
        config.common.maximumVersion = .tls12
        let client = try TLSConnection(client: config, serverName: EngineFixtures.serverName)
        _ = client.takeOutput()
        let hello = ServerHello(random: [UInt8](repeating: 9, count: 32), legacySessionIDEcho: [],
                                cipherSuite: .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                extensions: [.renegotiationInfo([]), .extendedMasterSecret, .supportedGroups([.x25519])])
        let error = await feed(client, WireRecord(.handshake, body: HandshakeMessage.serverHello(hello).testBytes).bytes)
        XCTAssertNil(error)
        // The client took the ServerHello and waits for the next message: no failure, no alert, not done.
        XCTAssertNil(client.failure)
        XCTAssertTrue(client.takeEvents().contains { if case .handshakeMessage(.received, .serverHello, _) = $0 { true } else { false } })
        XCTAssertFalse(client.hasOutput)
        XCTAssertFalse(client.isHandshakeComplete)
    }

    func testTLS12ServerHelloEchoingTheCompatibilitySessionIDIsIllegalParameter() async throws {
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        let sentHello = try decodeClientHello(WireRecord.parse(client.takeOutput()).records)
        XCTAssertEqual(sentHello.legacySessionID.count, 32)
        let hello = ServerHello(random: [UInt8](repeating: 9, count: 32), legacySessionIDEcho: sentHello.legacySessionID,
                                cipherSuite: .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                extensions: [.renegotiationInfo([]), .extendedMasterSecret])
        let error = await feed(client, WireRecord(.handshake, body: HandshakeMessage.serverHello(hello).testBytes).bytes)
        assertPlaintextAlert(client, .illegalParameter, thrown: error)
    }

    func testTLS12MissingNewSessionTicketAfterTheAcknowledgementIsUnexpectedMessage() async throws {
        var client = EngineFixtures.clientConfiguration()
        var server = EngineFixtures.serverConfiguration()
        tls12(&client, &server)
        client.sessionCache = ClientSessionCache()
        let pair = try makePair(client: client, server: server)
        pair.tamper = { direction, records in
            guard direction == .serverToClient,
                  let ccs = records.firstIndex(where: { $0.contentType == ContentType.changeCipherSpec.rawValue }),
                  ccs > 0, records[ccs - 1].contentType == ContentType.handshake.rawValue else { return }
            records.remove(at: ccs - 1)   // the NewSessionTicket, sent on its own just before the CCS
        }
        await pair.assertSentAlert(.unexpectedMessage, by: .clientToServer)
    }

    func testWarningUnrecognizedNameBeforeTheServerHelloIsTolerated() async throws {
        let pair = try makePair()
        var first = true
        pair.tamper = { direction, records in
            guard direction == .serverToClient, first else { return }
            first = false
            records.insert(WireRecord(.alert, body: Alert(level: .warning, description: .unrecognizedName).encode()), at: 0)
        }
        await pair.handshake()
        // After the ServerHello (TLS 1.3) every alert is fatal, this one included.
        let late = try makePair()
        await late.handshake()
        var forger = RecordForger(toward: late.client)
        let error = await feed(late.client, try forger.seal(.alert, Alert(level: .warning, description: .unrecognizedName).encode()))
        XCTAssertEqual(error?.alert, .unrecognizedName)
    }

    func testHandshakeDataAfterTheHelloRetryRequestInTheSameRecordIsUnexpectedMessage() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.keyShareGroups = [.x25519]
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp384r1]
        let pair = try makePair(client: client, server: server)
        await pair.step(.clientToServer)
        var records = pair.takeFlight(.serverToClient)
        let index = try XCTUnwrap(records.firstIndex { $0.contentType == ContentType.handshake.rawValue })
        records[index].body += HandshakeMessage.keyUpdate(.updateNotRequested).testBytes
        let error = await feed(pair.client, records.bytes)
        XCTAssertEqual(error?.alert, .unexpectedMessage)
        let output = WireRecord.parse(pair.client.takeOutput()).records
        XCTAssertFalse(output.contains { $0.contentType == ContentType.handshake.rawValue }, "a second ClientHello went out")
    }

    // MARK: Middlebox compatibility: the CCS precedes every protected record, alerts included

    func testCompatibilityChangeCipherSpecPrecedesAnEarlyAlert() async throws {
        let log = KeyLogCollector()
        var server = EngineFixtures.serverConfiguration()
        server.common.keyLog = log.callback
        let pair = try makePair(server: server)
        pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log) { messages in
            messages[0] = HandshakeMessage.encryptedExtensions(EncryptedExtensions(extensions: [.keyShareServer(
                KeyShareEntry(group: .x25519, keyExchange: [UInt8](repeating: 1, count: 32)))])).testBytes
        }
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
        let sent = pair.records(.clientToServer)
        let ccs = try XCTUnwrap(sent.firstIndex { $0.contentType == ContentType.changeCipherSpec.rawValue },
                                "no change_cipher_spec before the protected alert")
        let alert = try XCTUnwrap(sent.lastIndex { $0.contentType == ContentType.applicationData.rawValue })
        XCTAssertLessThan(ccs, alert)
    }

    // MARK: KeyUpdate: several requests while silent, one answer (RFC 8446 §4.6.3)

    func testOneKeyUpdateAnswersRequestsSpreadOverSeveralReads() async throws {
        let pair = try makePair()
        await pair.handshake()
        _ = pair.client.takeEvents()
        func sentUpdates() -> Int { pair.client.takeEvents().filter { $0 == .keyUpdated(.sent) }.count }
        try pair.server.updateKeys(requestPeerUpdate: true)
        await pair.step(.serverToClient)
        _ = pair.client.takeOutput()   // the answer goes to the network between the reads
        try pair.server.updateKeys(requestPeerUpdate: true)
        await pair.step(.serverToClient)
        XCTAssertEqual(sentUpdates(), 1, "the client answered each request while it had sent nothing")
        // After the client sends data, a new request gets a new answer.
        try pair.client.send([1])
        try pair.server.updateKeys(requestPeerUpdate: true)
        await pair.step(.serverToClient)
        XCTAssertEqual(sentUpdates(), 1)
    }

    // MARK: The type is checked against the state before the body is decoded (RFC 8446 §4)

    func testClientHelloBodyUnderAnotherTypeIsUnexpectedMessage() async throws {
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        let helloRecord = try XCTUnwrap(WireRecord.parse(client.takeOutput()).records.first)
        let body = Array(helloRecord.body.dropFirst(4))
        for type: HandshakeType in [.serverHello, .certificate, .serverKeyExchange, .finished, .keyUpdate] {
            let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
            let message = [type.rawValue, UInt8(body.count >> 16), UInt8(truncatingIfNeeded: body.count >> 8),
                           UInt8(truncatingIfNeeded: body.count)] + body
            guard message.count - 4 <= (HandshakeReassembler.structuralMaximum[type] ?? .max) else { continue }
            let error = await feed(server, WireRecord(.handshake, version: 0x0301, body: message).bytes)
            assertPlaintextAlert(server, .unexpectedMessage, thrown: error)
        }
        // An unknown type, likewise.
        let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
        let error = await feed(server, WireRecord(.handshake, version: 0x0301, body: [99, 0, 0, 1, 0]).bytes)
        assertPlaintextAlert(server, .unexpectedMessage, thrown: error)
    }

    func testServerHelloBodyUnderTheCertificateTypeIsUnexpectedMessageAtTheClient() async throws {
        let pair = try makePair()
        await pair.step(.clientToServer)
        var records = pair.takeFlight(.serverToClient)
        let index = try XCTUnwrap(records.firstIndex { $0.contentType == ContentType.handshake.rawValue })
        records[index].body[0] = HandshakeType.certificate.rawValue   // a ServerHello body labelled Certificate
        let error = await feed(pair.client, records.bytes)
        XCTAssertEqual(error?.alert, .unexpectedMessage)
    }

    // MARK: supported_groups in EncryptedExtensions (RFC 8446 §4.2.7)

    /// The server takes the client's X25519 share but prefers P-384: it says so in EncryptedExtensions, and the
    /// client's next ClientHello to it carries a P-384 share (no HelloRetryRequest either time).
    func testServerTellsItsPreferredGroupAndTheClientUsesItNextTime() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.sessionCache = ClientSessionCache()
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp384r1, .x25519]
        let first = try makePair(client: client, server: server)
        await first.handshake()
        XCTAssertEqual(first.client.negotiated?.group, .x25519)
        XCTAssertEqual(client.sessionCache?.preferredGroup(for: EngineFixtures.serverName), .secp384r1)

        client.common.pskKeyExchangeModes = []   // a full handshake, so the group shows
        let second = try makePair(client: client, server: server)
        await second.handshake()
        XCTAssertEqual(second.client.negotiated?.group, .secp384r1)
        XCTAssertEqual(second.client.negotiated?.usedHelloRetryRequest, false)
    }

    /// A server whose favourite group the client already shared sends no supported_groups.
    func testNoSupportedGroupsWhenTheServerGotItsFavourite() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.sessionCache = ClientSessionCache()
        let pair = try makePair(client: client)
        await pair.handshake()
        XCTAssertNil(client.sessionCache?.preferredGroup(for: EngineFixtures.serverName))
    }
}
