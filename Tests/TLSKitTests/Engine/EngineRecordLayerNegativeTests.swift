import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// Hostile records: each test asserts the exact alert the failing side sends.
final class EngineRecordLayerNegativeTests: XCTestCase {
    func connectedPair() async throws -> InMemoryPair {
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        await pair.handshake()
        return pair
    }

    func freshServer() throws -> TLSConnection {
        try TLSConnection(server: EngineFixtures.serverConfiguration())
    }

    /// A server that has processed a real ClientHello (and written its flight).
    func serverAfterClientHello() async throws -> (server: TLSConnection, client: TLSConnection) {
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        let server = try freshServer()
        let error = await feed(server, client.takeOutput())
        XCTAssertNil(error)
        return (server, client)
    }

    // MARK: Protected records

    func testTamperedCiphertextIsBadRecordMAC() async throws {
        for position in ["header", "ciphertext", "tag"] {
            let pair = try await connectedPair()
            try pair.client.send(Array("attack at dawn".utf8))
            pair.tamper = { direction, records in
                guard direction == .clientToServer else { return }
                switch position {
                case "header": records[0].version = 0x0301   // additional data changes
                case "ciphertext": records[0].body[2] ^= 0x40
                default: records[0].body[records[0].body.count - 1] ^= 0x01
                }
            }
            await pair.assertSentAlert(.badRecordMAC, by: .serverToClient)
            XCTAssertEqual(pair.client.failure?.alert, .badRecordMAC, position)
            XCTAssertEqual(pair.client.failure?.origin, .peer, position)
            XCTAssertTrue(pair.server.takeApplicationData().isEmpty, position)
        }
    }

    func testReplayedRecordIsBadRecordMAC() async throws {
        let pair = try await connectedPair()
        try pair.client.send(Array("once".utf8))
        let records = pair.takeFlight(.clientToServer)
        await pair.deliver(records.bytes, .clientToServer)
        XCTAssertEqual(pair.server.takeApplicationData(), Array("once".utf8))
        await pair.deliver(records.bytes, .clientToServer)
        XCTAssertEqual(pair.serverError?.alert, .badRecordMAC)
    }

    func testTruncatedRecordFollowedByAnotherIsBadRecordMAC() async throws {
        let pair = try await connectedPair()
        try pair.client.send(Array("first record".utf8))
        try pair.client.send(Array("second record".utf8))
        let records = pair.takeFlight(.clientToServer)
        XCTAssertEqual(records.count, 2)
        // The first record's header claims three bytes fewer: the stream is misframed from there on.
        var bytes = records[0].bytes
        bytes.removeLast(3)
        bytes[4] -= 3
        await pair.deliver(bytes + records[1].bytes, .clientToServer)
        XCTAssertEqual(pair.serverError?.alert, .badRecordMAC)
        XCTAssertEqual(pair.server.failure?.origin, .local)
    }

    func testPartialRecordWaitsForTheRest() async throws {
        let pair = try await connectedPair()
        let message = Array("split across reads".utf8)
        for cut in [1, 4, 5, 6, 20] {
            try pair.client.send(message)
            let bytes = pair.takeFlight(.clientToServer).bytes
            await pair.deliver(Array(bytes[0..<cut]), .clientToServer)
            XCTAssertNil(pair.server.failure, "cut at \(cut)")
            XCTAssertTrue(pair.server.takeApplicationData().isEmpty, "cut at \(cut)")
            XCTAssertFalse(pair.server.hasOutput)
            await pair.deliver(Array(bytes[cut...]), .clientToServer)
            XCTAssertEqual(pair.server.takeApplicationData(), message, "cut at \(cut)")
        }
        XCTAssertNil(pair.serverError)
    }

    func testProtectedRecordTooShortForTagIsBadRecordMAC() async throws {
        let pair = try await connectedPair()
        await pair.deliver(WireRecord(.applicationData, body: [1, 2, 3, 4, 5]).bytes, .clientToServer)
        await pair.assertSentAlert(.badRecordMAC, by: .serverToClient)
    }

    func testProtectedRecordLengthLimit() async throws {
        // 2^14 + 256 is the largest TLSCiphertext allowed; one more is record_overflow before any decryption.
        let pair = try await connectedPair()
        await pair.deliver([23, 3, 3, 0x41, 0x01] + [UInt8](repeating: 0, count: 16641), .clientToServer)
        await pair.assertSentAlert(.recordOverflow, by: .serverToClient)

        let atLimit = try await connectedPair()
        await atLimit.deliver([23, 3, 3, 0x41, 0x00] + [UInt8](repeating: 0, count: 16640), .clientToServer)
        await atLimit.assertSentAlert(.badRecordMAC, by: .serverToClient)
    }

    func testProtectedRecordLengthIsCheckedFromTheHeaderAlone() async throws {
        // The header alone is enough: the engine must not wait for 65535 bytes before refusing them.
        let pair = try await connectedPair()
        await pair.deliver([23, 3, 3, 0xFF, 0xFF], .clientToServer)
        await pair.assertSentAlert(.recordOverflow, by: .serverToClient)
    }

    func testInnerPlaintextOverLimitIsRecordOverflow() async throws {
        let pair = try await connectedPair()
        var forger = RecordForger(toward: pair.server)
        forger.maxFragment = 16385
        await pair.deliver(try forger.seal(.applicationData, testPayload(count: 16385, seed: 5)), .clientToServer)
        await pair.assertSentAlert(.recordOverflow, by: .serverToClient)
        XCTAssertTrue(pair.server.takeApplicationData().isEmpty)
    }

    func testInnerPlaintextAtLimitIsAccepted() async throws {
        // TLSInnerPlaintext of exactly 2^14 + 1 bytes: full content and type, or less content plus padding.
        for (contentLength, padding) in [(16384, 0), (16000, 384), (0, 16384)] {
            let pair = try await connectedPair()
            var forger = RecordForger(toward: pair.server)
            let content = testPayload(count: contentLength, seed: UInt64(contentLength))
            let inner = content + [contentLength == 0 ? ContentType.applicationData.rawValue : 23] + [UInt8](repeating: 0, count: padding)
            await pair.deliver(try forger.sealInner(inner), .clientToServer)
            XCTAssertNil(pair.serverError, "\(contentLength) + 1 + \(padding)")
            XCTAssertEqual(pair.server.takeApplicationData(), content)
        }
    }

    func testPaddingDoesNotLiftTheRecordSizeLimit() async throws {
        // RFC 8446 §5.4: the full TLSInnerPlaintext MUST NOT exceed 2^14 + 1 bytes, padding included.
        for (contentLength, padding) in [(16384, 1), (16384, 200), (100, 16285)] {
            let pair = try await connectedPair()
            var forger = RecordForger(toward: pair.server)
            let inner = testPayload(count: contentLength, seed: 8) + [23] + [UInt8](repeating: 0, count: padding)
            await pair.deliver(try forger.sealInner(inner), .clientToServer)
            await pair.assertSentAlert(.recordOverflow, by: .serverToClient)
            XCTAssertTrue(pair.server.takeApplicationData().isEmpty)
        }
    }

    func testProtectedRecordWithUnknownInnerTypeIsUnexpectedMessage() async throws {
        let pair = try await connectedPair()
        var forger = RecordForger(toward: pair.server)
        await pair.deliver(try forger.sealInner([1, 2, 3, 0x19]), .clientToServer)
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
    }

    func testProtectedRecordOfOnlyPaddingIsUnexpectedMessage() async throws {
        let pair = try await connectedPair()
        var forger = RecordForger(toward: pair.server)
        await pair.deliver(try forger.sealInner([0, 0, 0, 0]), .clientToServer)
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
    }

    func testUnprotectedRecordAfterKeysIsUnexpectedMessage() async throws {
        let pair = try await connectedPair()
        await pair.deliver(WireRecord(.handshake, body: HandshakeMessage.keyUpdate(.updateNotRequested).testBytes).bytes, .clientToServer)
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
    }

    // MARK: Plaintext records

    func testPlaintextRecordOverLimitIsRecordOverflow() async throws {
        let server = try freshServer()
        let error = await feed(server, [22, 3, 1, 0x40, 0x01])
        assertPlaintextAlert(server, .recordOverflow, thrown: error)
    }

    func testPlaintextRecordAtLimitIsAcceptedAsFraming() async throws {
        // 2^14 bytes of a (partial) ClientHello: framing is fine; the message is simply incomplete.
        let server = try freshServer()
        let body: [UInt8] = [1, 0x00, 0x50, 0x00] + [UInt8](repeating: 0, count: 16380)
        let error = await feed(server, [22, 3, 1, 0x40, 0x00] + body)
        XCTAssertNil(error)
        XCTAssertNil(server.failure)
    }

    func testUnknownContentTypeIsUnexpectedMessage() async throws {
        for type: UInt8 in [0x19, 0x00, 0xFF, 0x18] {
            let server = try freshServer()
            let error = await feed(server, [type, 3, 3, 0, 2, 1, 0])
            assertPlaintextAlert(server, .unexpectedMessage, thrown: error)
        }
    }

    func testGarbageIsRejected() async throws {
        let http = try freshServer()
        let httpError = await feed(http, Array("GET / HTTP/1.1\r\nHost: example\r\n\r\n".utf8))
        assertPlaintextAlert(http, .unexpectedMessage, thrown: httpError)

        // A handshake record claiming SSL 2-style version bytes.
        let ssl2 = try freshServer()
        let ssl2Error = await feed(ssl2, [22, 0x00, 0x02, 0, 4, 1, 0, 0, 0])
        assertPlaintextAlert(ssl2, .decodeError, thrown: ssl2Error)

        // A record that frames correctly but holds nonsense.
        let junk = try freshServer()
        let junkError = await feed(junk, [22, 3, 1, 0, 8, 1, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF])
        assertPlaintextAlert(junk, .decodeError, thrown: junkError)
    }

    func testEmptyPlaintextHandshakeRecordIsUnexpectedMessage() async throws {
        let server = try freshServer()
        let error = await feed(server, [22, 3, 1, 0, 0])
        assertPlaintextAlert(server, .unexpectedMessage, thrown: error)
    }

    func testApplicationDataBeforeHandshakeIsUnexpectedMessage() async throws {
        let server = try freshServer()
        let error = await feed(server, WireRecord(.applicationData, body: Array("hello".utf8)).bytes)
        assertPlaintextAlert(server, .unexpectedMessage, thrown: error)

        // Plaintext application data to a client waiting for the ServerHello.
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        _ = client.takeOutput()
        let clientError = await feed(client, WireRecord(.applicationData, body: Array("hello".utf8)).bytes)
        assertPlaintextAlert(client, .unexpectedMessage, thrown: clientError)
    }

    // MARK: change_cipher_spec

    func testChangeCipherSpecWithWrongByteIsUnexpectedMessage() async throws {
        for body: [UInt8] in [[0x02], [0x00], [0x01, 0x01], []] {
            let (server, _) = try await serverAfterClientHello()
            _ = server.takeOutput()
            let error = await feed(server, WireRecord(.changeCipherSpec, body: body).bytes)
            XCTAssertEqual(error?.alert, .unexpectedMessage, "CCS \(body)")
            XCTAssertEqual(server.failure?.alert, .unexpectedMessage)
            // The server has its handshake write key by now, so the alert is protected.
            let records = WireRecord.parse(server.takeOutput()).records
            XCTAssertEqual(records.map(\.contentType), [23], "CCS \(body)")
        }
    }

    func testChangeCipherSpecBeforeClientHelloIsUnexpectedMessage() async throws {
        let server = try freshServer()
        let error = await feed(server, WireRecord(.changeCipherSpec, version: 0x0301, body: [1]).bytes)
        assertPlaintextAlert(server, .unexpectedMessage, thrown: error)
    }

    func testChangeCipherSpecAfterHandshakeIsUnexpectedMessage() async throws {
        let pair = try await connectedPair()
        await pair.deliver(WireRecord(.changeCipherSpec, body: [1]).bytes, .clientToServer)
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
        XCTAssertEqual(pair.client.failure?.origin, .peer)

        let toClient = try await connectedPair()
        await toClient.deliver(WireRecord(.changeCipherSpec, body: [1]).bytes, .serverToClient)
        await toClient.assertSentAlert(.unexpectedMessage, by: .clientToServer)
    }

    // MARK: Bounds on content that makes no progress

    func testTooManyKeyUpdatesInARow() async throws {
        let pair = try await connectedPair()
        for _ in 0..<TLSConnection.maxKeyUpdatesInARow {
            try pair.client.updateKeys(requestPeerUpdate: false)
        }
        await pair.step(.clientToServer)
        XCTAssertNil(pair.serverError, "the limit itself is allowed")
        try pair.client.updateKeys(requestPeerUpdate: false)
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
    }

    func testKeyUpdateCountResetsWithApplicationData() async throws {
        let pair = try await connectedPair()
        for round in 0..<3 {
            for _ in 0..<TLSConnection.maxKeyUpdatesInARow {
                try pair.client.updateKeys(requestPeerUpdate: false)
            }
            try pair.client.send([UInt8(round)])
            await pair.step(.clientToServer)
            XCTAssertEqual(pair.server.takeApplicationData(), [UInt8(round)])
        }
        XCTAssertNil(pair.serverError)
    }

    func testTooManyEmptyRecords() async throws {
        let pair = try await connectedPair()
        for _ in 0..<TLSConnection.maxEmptyRecordsInARow {
            try pair.client.send([])
        }
        await pair.step(.clientToServer)
        XCTAssertNil(pair.serverError, "the limit itself is allowed")
        try pair.client.send([])
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
    }

    func testTooManyWarningAlerts() async throws {
        let pair = try await connectedPair()
        var forger = RecordForger(toward: pair.server)
        var bytes: [UInt8] = []
        for _ in 0..<TLSConnection.maxWarningAlertsInARow {
            bytes += try forger.seal(.alert, Alert(level: .warning, description: .userCanceled).encode())
        }
        await pair.deliver(bytes, .clientToServer)
        XCTAssertNil(pair.serverError, "the limit itself is allowed")
        await pair.deliver(try forger.seal(.alert, Alert(level: .warning, description: .userCanceled).encode()), .clientToServer)
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
    }

    func testWarningLevelAlertOtherThanCloseNotifyIsFatal() async throws {
        let pair = try await connectedPair()
        var forger = RecordForger(toward: pair.server)
        await pair.deliver(try forger.seal(.alert, Alert(level: .warning, description: .badCertificate).encode()), .clientToServer)
        XCTAssertEqual(pair.server.failure?.cause, .alertReceived(.badCertificate))
        XCTAssertEqual(pair.server.failure?.origin, .peer)
        XCTAssertFalse(pair.server.hasOutput, "no alert is sent in reply to an alert")
    }

    func testMalformedAlertIsDecodeError() async throws {
        let pair = try await connectedPair()
        var forger = RecordForger(toward: pair.server)
        await pair.deliver(try forger.seal(.alert, [2, 40, 0]), .clientToServer)
        await pair.assertSentAlert(.decodeError, by: .serverToClient)
    }

    // MARK: Alerts from the peer

    func testPeerFatalAlertSurfacesWithPeerOrigin() async throws {
        let pair = try await connectedPair()
        var forger = RecordForger(toward: pair.client)
        await pair.deliver(try forger.seal(.alert, Alert(level: .fatal, description: .handshakeFailure).encode()), .serverToClient)
        let error = try XCTUnwrap(pair.clientError)
        XCTAssertEqual(error.alert, .handshakeFailure)
        XCTAssertEqual(error.origin, .peer)
        XCTAssertEqual(pair.client.failure, error)
        XCTAssertFalse(pair.client.hasOutput)
        // The connection is dead: further input and output are refused with the same error.
        XCTAssertThrowsError(try pair.client.send([1])) { XCTAssertEqual($0 as? TLSError, error) }
        XCTAssertThrowsError(try pair.client.receive([])) { XCTAssertEqual($0 as? TLSError, error) }
    }

    func testPlaintextAlertDuringHandshakeSurfacesWithPeerOrigin() async throws {
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        _ = client.takeOutput()
        let error = await feed(client, WireRecord(.alert, body: Alert(level: .fatal, description: .protocolVersion).encode()).bytes)
        XCTAssertEqual(error?.alert, .protocolVersion)
        XCTAssertEqual(error?.origin, .peer)
        XCTAssertTrue(client.takeOutput().isEmpty)
    }

    func testCloseNotifyDuringHandshakeIsAnError() async throws {
        // The client gives up while its verification of the server's chain is pending: its close_notify is
        // protected with the client handshake key, which the server reads with.
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        await pair.step(.clientToServer)
        let serverFlight = pair.takeFlight(.serverToClient)
        try pair.client.receive(serverFlight.bytes)   // verification left pending
        XCTAssertNotNil(pair.client.pendingVerification)
        pair.client.close()
        await pair.step(.clientToServer)
        let error = try XCTUnwrap(pair.serverError)
        XCTAssertEqual(error.alert, .closeNotify)
        XCTAssertEqual(error.origin, .peer)
        XCTAssertFalse(pair.server.isHandshakeComplete)
        XCTAssertFalse(pair.server.peerClosed)
        XCTAssertFalse(pair.server.hasOutput, "no alert in reply to the peer's alert")

        // A plaintext close_notify to a client still waiting for the ServerHello.
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        _ = client.takeOutput()
        let clientError = await feed(client, WireRecord(.alert, body: Alert(level: .warning, description: .closeNotify).encode()).bytes)
        XCTAssertEqual(clientError?.alert, .closeNotify)
        XCTAssertEqual(clientError?.origin, .peer)
        XCTAssertFalse(client.peerClosed)
    }

    func testDataAfterCloseNotifyIsUnexpectedMessage() async throws {
        let pair = try await connectedPair()
        var forger = RecordForger(toward: pair.server)
        await pair.deliver(try forger.seal(.alert, Alert(level: .warning, description: .closeNotify).encode())
                           + forger.seal(.applicationData, [1, 2, 3]), .clientToServer)
        XCTAssertTrue(pair.server.peerClosed)
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
    }
}

/// RFC 8446 §D.5: a Hello with legacy_version 0x0300 or less is protocol_version, whatever else it says.
final class EngineLegacyVersionTests: XCTestCase {
    func testClientHelloWithSSL3LegacyVersionIsProtocolVersion() async throws {
        for version: UInt16 in [0x0300, 0x0200, 0x0002] {
            var hello = try freshClientHello()
            hello.legacyVersion = ProtocolVersion(rawValue: version)
            let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
            let error = await feed(server, clientHelloRecord(hello))
            assertPlaintextAlert(server, .protocolVersion, thrown: error)
        }
    }

    func testClientHelloWithTLS10LegacyVersionIsAccepted() async throws {
        // Only supported_versions negotiates; legacy_version 0x0301 (as some clients send) is fine.
        var hello = try freshClientHello()
        hello.legacyVersion = ProtocolVersion(rawValue: 0x0301)
        let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
        let error = await feed(server, clientHelloRecord(hello))
        XCTAssertNil(error)
    }

    func testServerHelloWithSSL3LegacyVersionIsProtocolVersion() async throws {
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        pair.tamper = Rewrite.serverHello { $0.legacyVersion = ProtocolVersion(rawValue: 0x0300) }
        await pair.assertSentAlert(.protocolVersion, by: .clientToServer)
    }
}
