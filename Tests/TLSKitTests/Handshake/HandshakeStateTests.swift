import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// Handshake states driven one message at a time through a `FakeHandshakePort`: no connection, no record layer, no
/// peer. Each test builds a state, hands it a message, and checks the next state, the alert, and what the state did.
final class ClientHelloStateTests: XCTestCase {
    private func sentHello() throws -> (ClientHelloSent, FakeHandshakePort) {
        let configuration = EngineFixtures.clientConfiguration()
        let port = FakeHandshakePort(client: configuration)
        return (try ClientHelloSent.send(serverName: EngineFixtures.serverName, configuration: configuration, io: port), port)
    }

    private func helloRetryRequest(echoing sent: ClientHelloSent, group: NamedGroup?) throws -> (ServerHello, [UInt8]) {
        var extensions: [Extension] = [.supportedVersionsServer(.tls13)]
        if let group { extensions.append(.keyShareHelloRetryRequest(group)) }
        let hrr = ServerHello(random: ServerHello.helloRetryRequestRandom, legacySessionIDEcho: sent.clientHello.legacySessionID,
                              cipherSuite: .TLS_AES_128_GCM_SHA256, extensions: extensions)
        return (hrr, try HandshakeMessage.serverHello(hrr).encode())
    }

    private func keyShareGroups(_ hello: ClientHello) -> [NamedGroup] {
        for ext in hello.extensions {
            if case .keyShareClient(let entries) = ext { return entries.map(\.group) }
        }
        return []
    }

    func testTheFirstClientHelloIsQueuedUnder0x0301AndFlushed() throws {
        let (sent, port) = try sentHello()
        XCTAssertEqual(port.actions, [.recordVersion(.tls10), .queued(.clientHello), .flushed, .recordVersion(.tls12)])
        XCTAssertEqual(port.queuedMessages, [sent.clientHelloRaw])
        XCTAssertNil(sent.helloRetry)
        XCTAssertEqual(sent.keyShares.map(\.group), [.X25519MLKEM768, .x25519])
    }

    /// RFC 8446 §4.1.4: the HelloRetryRequest's group replaces the shares; the second ClientHello (after the
    /// compatibility CCS, under 0x0303) keeps the random and session ID; the transcript restarts with message_hash.
    func testHelloRetryRequestSendsTheSecondClientHelloWithTheRequestedShare() throws {
        let (sent, port) = try sentHello()
        let before = port.actions.count
        let (hrr, raw) = try helloRetryRequest(echoing: sent, group: .secp256r1)

        guard case .clientExpectServerHello(let next) = try sent.handle(serverHello: hrr, raw: raw, io: port) else {
            return XCTFail("a HelloRetryRequest keeps the client waiting for the ServerHello")
        }
        XCTAssertEqual(Array(port.actions[before...]), [.recordVersion(.tls12), .changeCipherSpec, .queued(.clientHello), .flushed])
        XCTAssertEqual(next.helloRetry?.suite.suite, .TLS_AES_128_GCM_SHA256)
        XCTAssertEqual(next.keyShares.map(\.group), [.secp256r1])
        XCTAssertTrue(next.sentChangeCipherSpec)

        guard case .clientHello(let second) = try HandshakeMessage.decode(XCTUnwrap(port.queuedMessages.last)) else {
            return XCTFail("the second message queued is not a ClientHello")
        }
        XCTAssertEqual(second.random, sent.clientHello.random)
        XCTAssertEqual(second.legacySessionID, sent.clientHello.legacySessionID)
        XCTAssertEqual(keyShareGroups(second), [.secp256r1])
        XCTAssertEqual(next.clientHelloRaw, port.queuedMessages.last)
    }

    func testASecondHelloRetryRequestIsUnexpected() throws {
        let (sent, port) = try sentHello()
        let (hrr, raw) = try helloRetryRequest(echoing: sent, group: .secp256r1)
        guard case .clientExpectServerHello(let next) = try sent.handle(serverHello: hrr, raw: raw, io: port) else {
            return XCTFail("no retry")
        }
        let before = port.actions
        XCTAssertThrowsError(try next.handle(serverHello: hrr, raw: raw, io: port)) {
            XCTAssertEqual(($0 as? TLSError)?.alert, .unexpectedMessage)
        }
        XCTAssertEqual(port.actions, before, "nothing goes out")
    }

    func testHelloRetryRequestForAGroupAlreadySharedIsIllegal() throws {
        let (sent, port) = try sentHello()
        let (hrr, raw) = try helloRetryRequest(echoing: sent, group: .x25519)
        XCTAssertThrowsError(try sent.handle(serverHello: hrr, raw: raw, io: port)) {
            XCTAssertEqual(($0 as? TLSError)?.alert, .illegalParameter)
        }
    }

    func testHelloRetryRequestThatChangesNothingIsIllegal() throws {
        let (sent, port) = try sentHello()
        let (hrr, raw) = try helloRetryRequest(echoing: sent, group: nil)
        XCTAssertThrowsError(try sent.handle(serverHello: hrr, raw: raw, io: port)) {
            XCTAssertEqual(($0 as? TLSError)?.alert, .illegalParameter)
        }
    }

    /// RFC 8446 §5.1: a message after the HelloRetryRequest in its flight would straddle the second ClientHello.
    func testHandshakeDataBehindTheHelloRetryRequestIsUnexpected() throws {
        let (sent, port) = try sentHello()
        let before = port.actions
        port.hasBufferedHandshakeData = true
        let (hrr, raw) = try helloRetryRequest(echoing: sent, group: .secp256r1)
        XCTAssertThrowsError(try sent.handle(serverHello: hrr, raw: raw, io: port)) {
            XCTAssertEqual(($0 as? TLSError)?.alert, .unexpectedMessage)
        }
        XCTAssertEqual(port.actions, before, "detected before anything goes out")
    }
}

final class Client13StateTests: XCTestCase {
    private let suite = TLS13SuiteParameters(.TLS_AES_128_GCM_SHA256)!

    /// A TLS 1.3 client that has verified the server's CertificateVerify and waits for its Finished.
    private func expectingFinished() -> (ClientHandshake, FakeHandshakePort) {
        let config = EngineFixtures.clientConfiguration()
        let provider = config.common.cryptoProvider
        var transcript = Transcript(provider: provider, hash: suite.hash)
        transcript.append(Array("ClientHello … CertificateVerify".utf8))
        let handshake = ClientHandshake(
            configuration: config, serverName: EngineFixtures.serverName, clientRandom: [UInt8](repeating: 1, count: 32),
            schedule: KeySchedule(provider: provider, hash: suite.hash), suite: suite, group: .x25519,
            transcript: transcript, handshakeSecret: HandshakeSecret(secret: [UInt8](repeating: 2, count: 32)),
            clientHandshakeSecret: [UInt8](repeating: 3, count: 32), serverHandshakeSecret: [UInt8](repeating: 4, count: 32),
            offeredExtensions: [], sentChangeCipherSpec: true, usedHelloRetryRequest: false)
        return (handshake, FakeHandshakePort(client: config))
    }

    private func expectedVerifyData(_ handshake: ClientHandshake) -> [UInt8] {
        handshake.schedule.finishedVerifyData(baseKey: handshake.serverHandshakeSecret, transcriptHash: handshake.transcript.currentHash)
    }

    private func handle(_ verifyData: [UInt8], _ handshake: ClientHandshake, _ port: FakeHandshakePort) throws -> HandshakeState {
        let finished = HandshakeMessage.finished(Finished(verifyData: verifyData))
        return try Client13State.expectFinished(handshake).handle(finished, raw: try finished.encode(), io: port)
    }

    func testTheServersFinishedCompletesTheHandshake() throws {
        let (handshake, port) = expectingFinished()
        guard case .connected = try handle(expectedVerifyData(handshake), handshake, port) else {
            return XCTFail("the server's Finished ends the client's handshake")
        }
        XCTAssertEqual(port.actions, [.installedReadKey, .sent(.finished), .installedWriteKey, .completed])
        XCTAssertEqual(port.completedWith?.version, .tls13)
        XCTAssertEqual(port.completedWith?.cipherSuite, .TLS_AES_128_GCM_SHA256)
        XCTAssertEqual(port.completedWith?.serverName, EngineFixtures.serverName)
        XCTAssertEqual(port.installedReadSecrets.count, 1)
        XCTAssertNotEqual(port.installedReadSecrets, port.installedWriteSecrets, "server and client application secrets differ")
    }

    /// RFC 8446 §4.4.4: a Finished that does not verify is decrypt_error, and the client sends nothing, installs no key.
    func testAWrongFinishedIsRejectedAndNothingHappens() throws {
        let (handshake, port) = expectingFinished()
        var wrong = expectedVerifyData(handshake)
        wrong[wrong.count - 1] ^= 1
        XCTAssertThrowsError(try handle(wrong, handshake, port)) {
            XCTAssertEqual(($0 as? TLSError)?.alert, .decryptError)
        }
        XCTAssertEqual(port.actions, [])
        XCTAssertNil(port.completedWith)
    }

    func testAFinishedOfTheWrongLengthIsADecodeError() throws {
        let (handshake, port) = expectingFinished()
        XCTAssertThrowsError(try handle(Array(expectedVerifyData(handshake).dropLast()), handshake, port)) {
            XCTAssertEqual(($0 as? TLSError)?.alert, .decodeError)
        }
        XCTAssertEqual(port.actions, [])
    }

    func testExpectingFinishedTakesNothingElse() throws {
        let (handshake, port) = expectingFinished()
        let state = Client13State.expectFinished(handshake)
        XCTAssertTrue(state.accepts(.finished))
        XCTAssertFalse(state.accepts(.certificate))
        XCTAssertFalse(state.accepts(.certificateVerify))
        let ee = HandshakeMessage.encryptedExtensions(EncryptedExtensions(extensions: []))
        XCTAssertThrowsError(try state.handle(ee, raw: try ee.encode(), io: port)) {
            XCTAssertEqual(($0 as? TLSError)?.alert, .unexpectedMessage)
        }
        XCTAssertEqual(port.actions, [])
    }
}

final class Server12StateTests: XCTestCase {
    /// A TLS 1.2 server that answered a TLS 1.2-only ClientHello (made by a client state on its own fake port).
    private func answeredClientHello() throws -> (Server12State, FakeHandshakePort) {
        var clientConfig = EngineFixtures.clientConfiguration()
        clientConfig.common.maximumVersion = .tls12
        let client = FakeHandshakePort(client: clientConfig)
        let sent = try ClientHelloSent.send(serverName: EngineFixtures.serverName, configuration: clientConfig, io: client)
        let serverConfig = EngineFixtures.serverConfiguration()
        let server = FakeHandshakePort(server: serverConfig)
        guard case .server12(let state) = try ServerStart(configuration: serverConfig, helloRetry: nil).handle(sent.clientHello, raw: sent.clientHelloRaw, io: server) else {
            throw TLSConfigurationError("a TLS 1.2-only ClientHello did not reach the TLS 1.2 server")   // a failure, never a skip
        }
        return (state, server)
    }

    func testTheFirstFlightIsSentAndTheServerWaitsForTheKeyExchange() throws {
        let (state, server) = try answeredClientHello()
        guard case .expectClientKeyExchange = state else { return XCTFail("\(state)") }
        XCTAssertTrue(server.actions.contains(.enteredVersion(.tls12)))
        XCTAssertEqual(server.queuedMessages.map { HandshakeType(rawValue: $0[0]) },
                       [.serverHello, .certificate, .serverKeyExchange, .serverHelloDone])
        XCTAssertEqual(server.actions.last, .sent(.serverHelloDone), "the flight is queued; the connection writes it")
    }

    /// RFC 5246 §7.3: the client's Finished before its key exchange (or its ChangeCipherSpec) is unexpected_message.
    func testAFinishedBeforeTheKeyExchangeIsUnexpected() throws {
        let (state, server) = try answeredClientHello()
        let before = server.actions
        XCTAssertFalse(state.accepts(.finished))
        let finished = HandshakeMessage.finished(Finished(verifyData: [UInt8](repeating: 0, count: 12)))
        XCTAssertThrowsError(try state.handle(finished, raw: try finished.encode(), io: server)) {
            XCTAssertEqual(($0 as? TLSError)?.alert, .unexpectedMessage)
        }
        XCTAssertEqual(server.actions, before)
        XCTAssertNil(server.completedWith)
    }

    /// The CVE-2014-0224 shape: a ChangeCipherSpec before the key exchange installs no key.
    func testAnEarlyChangeCipherSpecIsUnexpected() throws {
        let (state, server) = try answeredClientHello()
        let before = server.actions
        XCTAssertThrowsError(try state.changeCipherSpec(io: server)) {
            XCTAssertEqual(($0 as? TLSError)?.alert, .unexpectedMessage)
        }
        XCTAssertEqual(server.actions, before)
    }
}
