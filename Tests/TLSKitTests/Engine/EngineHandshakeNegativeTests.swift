import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// Hostile handshake messages, crafted with the TLSWire codec; each test asserts the exact alert sent.
final class EngineHandshakeNegativeTests: XCTestCase {
    func makePair(client: TLSClientConfiguration = EngineFixtures.clientConfiguration(),
                  server: TLSServerConfiguration = EngineFixtures.serverConfiguration()) throws -> InMemoryPair {
        try InMemoryPair(client: client, server: server)
    }

    /// A pair whose server logs its secrets, with the server's encrypted flight rewritten by `transform`.
    func pairRewritingServerFlight(server: TLSServerConfiguration = EngineFixtures.serverConfiguration(),
                                   _ transform: @escaping (inout [[UInt8]]) -> Void) throws -> InMemoryPair {
        let log = KeyLogCollector()
        var server = server
        server.common.keyLog = log.callback
        let pair = try makePair(server: server)
        pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log, transform)
        return pair
    }

    // MARK: The server's encrypted flight

    func testCorruptedServerFinishedIsDecryptError() async throws {
        let pair = try pairRewritingServerFlight { messages in
            messages[messages.count - 1][10] ^= 0x01
        }
        await pair.assertSentAlert(.decryptError, by: .clientToServer)
        XCTAssertEqual(pair.server.failure?.origin, .peer)
        XCTAssertFalse(pair.client.isHandshakeComplete)
    }

    func testCorruptedCertificateVerifySignatureIsDecryptError() async throws {
        for keyType in [TestPKI.KeyType.ecdsaP256, .ed25519, .rsa2048] {
            let pair = try pairRewritingServerFlight(server: EngineFixtures.serverConfiguration(keyType)) { messages in
                let index = messageIndex(messages, .certificateVerify)!
                guard case .certificateVerify(var verify) = try! HandshakeMessage.decode(messages[index]) else { return }
                verify.signature[verify.signature.count - 2] ^= 0x20
                messages[index] = HandshakeMessage.certificateVerify(verify).testBytes
            }
            await pair.assertSentAlert(.decryptError, by: .clientToServer)
            XCTAssertEqual(pair.server.failure?.origin, .peer, "\(keyType)")
        }
    }

    func testPKCS1SchemeInCertificateVerifyIsIllegalParameter() async throws {
        for scheme in [SignatureScheme.rsa_pkcs1_sha256, .rsa_pkcs1_sha1, .ecdsa_sha1] {
            let pair = try pairRewritingServerFlight(server: EngineFixtures.serverConfiguration(.rsa2048)) { messages in
                let index = messageIndex(messages, .certificateVerify)!
                guard case .certificateVerify(var verify) = try! HandshakeMessage.decode(messages[index]) else { return }
                verify.algorithm = scheme
                messages[index] = HandshakeMessage.certificateVerify(verify).testBytes
            }
            await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
        }
    }

    func testSchemeNotMatchingTheKeyIsRejected() async throws {
        // An ECDSA P-384 scheme over a P-256 key.
        let pair = try pairRewritingServerFlight { messages in
            let index = messageIndex(messages, .certificateVerify)!
            guard case .certificateVerify(var verify) = try! HandshakeMessage.decode(messages[index]) else { return }
            verify.algorithm = .ecdsa_secp384r1_sha384
            messages[index] = HandshakeMessage.certificateVerify(verify).testBytes
        }
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    func testEmptyServerCertificateIsDecodeError() async throws {
        let pair = try pairRewritingServerFlight { messages in
            let index = messageIndex(messages, .certificate)!
            messages[index] = HandshakeMessage.certificate(CertificateMessage(certificateRequestContext: [], entries: [])).testBytes
        }
        await pair.assertSentAlert(.decodeError, by: .clientToServer)
    }

    func testFinishedBeforeCertificateIsUnexpectedMessage() async throws {
        let pair = try pairRewritingServerFlight { messages in
            messages.removeAll { $0.first == HandshakeType.certificate.rawValue || $0.first == HandshakeType.certificateVerify.rawValue }
        }
        await pair.assertSentAlert(.unexpectedMessage, by: .clientToServer)
    }

    func testCertificateVerifyBeforeCertificateIsUnexpectedMessage() async throws {
        let pair = try pairRewritingServerFlight { messages in
            let certificate = messageIndex(messages, .certificate)!
            messages.swapAt(certificate, certificate + 1)
        }
        await pair.assertSentAlert(.unexpectedMessage, by: .clientToServer)
    }

    func testMissingEncryptedExtensionsIsUnexpectedMessage() async throws {
        let pair = try pairRewritingServerFlight { messages in
            messages.remove(at: messageIndex(messages, .encryptedExtensions)!)
        }
        await pair.assertSentAlert(.unexpectedMessage, by: .clientToServer)
    }

    func testServerCertificateRequestWithContextIsIllegalParameter() async throws {
        let pair = try pairRewritingServerFlight { messages in
            let request = CertificateRequest(certificateRequestContext: [1], extensions: [.signatureAlgorithms([.ed25519])])
            messages.insert(HandshakeMessage.certificateRequest(request).testBytes, at: messageIndex(messages, .certificate)!)
        }
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    func testEncryptedExtensionsWithUnofferedExtensionIsUnsupportedExtension() async throws {
        var server = EngineFixtures.serverConfiguration()
        server.encryptedExtensionsCustomizer = { $0.append(.unknown(ExtensionType(rawValue: 0x7A7B), [1, 2])) }
        let pair = try makePair(server: server)
        await pair.assertSentAlert(.unsupportedExtension, by: .clientToServer)

        // ALPN the client never offered.
        var alpnServer = EngineFixtures.serverConfiguration()
        alpnServer.encryptedExtensionsCustomizer = { $0.append(.alpn([Array("h2".utf8)])) }
        let alpnPair = try makePair(server: alpnServer)
        await alpnPair.assertSentAlert(.unsupportedExtension, by: .clientToServer)
    }

    func testEncryptedExtensionsWithKeyShareIsIllegalParameter() async throws {
        var server = EngineFixtures.serverConfiguration()
        server.encryptedExtensionsCustomizer = {
            $0.append(.keyShareServer(KeyShareEntry(group: .x25519, keyExchange: [UInt8](repeating: 9, count: 32))))
        }
        let pair = try makePair(server: server)
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    func testEncryptedExtensionsWithALPNNotOfferedNameIsIllegalParameter() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.applicationProtocols = ["h2"]
        var server = EngineFixtures.serverConfiguration()
        server.encryptedExtensionsCustomizer = { $0.append(.alpn([Array("spdy/1".utf8)])) }
        let pair = try makePair(client: client, server: server)
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    // MARK: ServerHello

    func testServerHelloWithSuiteNotOfferedIsIllegalParameter() async throws {
        for suite in [CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite(rawValue: 0xC02F)] {
            var client = EngineFixtures.clientConfiguration()
            client.common.cipherSuites = [.TLS_AES_128_GCM_SHA256]
            let pair = try makePair(client: client)
            pair.tamper = Rewrite.serverHello { $0.cipherSuite = suite }
            await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
        }
    }

    func testServerHelloWithGroupNotOfferedIsIllegalParameter() async throws {
        // secp384r1 was not offered at all; secp256r1 was offered but without a key share.
        for group in [NamedGroup.secp384r1, .secp256r1] {
            var client = EngineFixtures.clientConfiguration()
            client.common.supportedGroups = [.x25519, .secp256r1]
            let pair = try makePair(client: client)
            pair.tamper = Rewrite.serverHello { hello in
                hello.replaceExtension(.keyShare, with: .keyShareServer(KeyShareEntry(group: group, keyExchange: [4] + [UInt8](repeating: 1, count: 64))))
            }
            await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
        }
    }

    func testServerHelloNotEchoingSessionIDIsIllegalParameter() async throws {
        let pair = try makePair()
        pair.tamper = Rewrite.serverHello { $0.legacySessionIDEcho[0] ^= 1 }
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)

        let empty = try makePair()
        empty.tamper = Rewrite.serverHello { $0.legacySessionIDEcho = [] }
        await empty.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    func testServerHelloWithoutSupportedVersions() async throws {
        // With the TLS 1.2 downgrade sentinel: the server claimed TLS 1.3 support and then chose TLS 1.2.
        for sentinel in [downgradeSentinelTLS12, downgradeSentinelTLS11] {
            let pair = try makePair()
            pair.tamper = Rewrite.serverHello { hello in
                hello.replaceExtension(.supportedVersions, with: nil)
                hello.random.replaceSubrange(24..<32, with: sentinel)
            }
            await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
        }
        // Without it, to a TLS 1.3-only client: a plain TLS 1.2 server is protocol_version.
        var tls13Only = EngineFixtures.clientConfiguration()
        tls13Only.common.minimumVersion = .tls13
        let plain = try makePair(client: tls13Only)
        plain.tamper = Rewrite.serverHello { $0.replaceExtension(.supportedVersions, with: nil) }
        await plain.assertSentAlert(.protocolVersion, by: .clientToServer)
        // A client that also speaks TLS 1.2 reads it as a TLS 1.2 ServerHello, in which key_share is illegal.
        let dual = try makePair()
        dual.tamper = Rewrite.serverHello { $0.replaceExtension(.supportedVersions, with: nil) }
        await dual.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    func testServerHelloSelectingTLS12InSupportedVersionsIsIllegalParameter() async throws {
        let pair = try makePair()
        pair.tamper = Rewrite.serverHello { $0.replaceExtension(.supportedVersions, with: .supportedVersionsServer(.tls12)) }
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    func testServerHelloWithCompressionIsIllegalParameter() async throws {
        let pair = try makePair()
        pair.tamper = Rewrite.serverHello { $0.legacyCompressionMethod = 1 }
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    func testServerHelloWithoutKeyShareIsMissingExtension() async throws {
        let pair = try makePair()
        pair.tamper = Rewrite.serverHello { $0.replaceExtension(.keyShare, with: nil) }
        await pair.assertSentAlert(.missingExtension, by: .clientToServer)
    }

    func testServerHelloWithUnofferedExtensionIsUnsupportedExtension() async throws {
        let pair = try makePair()
        pair.tamper = Rewrite.serverHello { $0.extensions.append(.unknown(ExtensionType(rawValue: 0x5A5B), [])) }
        await pair.assertSentAlert(.unsupportedExtension, by: .clientToServer)
    }

    func testHandshakeMessageSpanningKeyChangeIsUnexpectedMessage() async throws {
        // The record holding the ServerHello also holds the start of the next message: the client installs the
        // handshake keys right after the ServerHello, so those bytes would straddle the key change.
        var client = EngineFixtures.clientConfiguration()
        client.middleboxCompatibility = false
        let pair = try makePair(client: client)
        pair.tamper = { direction, records in
            guard direction == .serverToClient, records.first?.contentType == 22 else { return }
            records[0].body += [HandshakeType.encryptedExtensions.rawValue, 0]
        }
        await pair.assertSentAlert(.unexpectedMessage, by: .clientToServer)
    }

    // MARK: HelloRetryRequest

    func helloRetryPair(middlebox: Bool = true) throws -> InMemoryPair {
        var client = EngineFixtures.clientConfiguration()
        client.keyShareGroups = [.x25519]
        client.middleboxCompatibility = middlebox
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp384r1]
        return try makePair(client: client, server: server)
    }

    func testSecondHelloRetryRequestIsUnexpectedMessage() async throws {
        let pair = try helloRetryPair()
        var firstHRR: WireRecord?
        pair.tamper = { direction, records in
            guard direction == .serverToClient else { return }
            if firstHRR == nil {
                firstHRR = records.first
            } else if let hrr = firstHRR {
                records = [hrr]
                firstHRR = WireRecord(contentType: 0, body: [])   // only once
            }
        }
        await pair.assertSentAlert(.unexpectedMessage, by: .clientToServer)
    }

    func testHelloRetryRequestForGroupAlreadySentIsIllegalParameter() async throws {
        let pair = try helloRetryPair()
        pair.tamper = Rewrite.serverHello(helloRetry: true) { $0.replaceExtension(.keyShare, with: .keyShareHelloRetryRequest(.x25519)) }
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    func testHelloRetryRequestForGroupNotOfferedIsIllegalParameter() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.keyShareGroups = [.x25519]
        client.common.supportedGroups = [.x25519, .secp384r1]
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp384r1]
        let pair = try makePair(client: client, server: server)
        pair.tamper = Rewrite.serverHello(helloRetry: true) { $0.replaceExtension(.keyShare, with: .keyShareHelloRetryRequest(.secp256r1)) }
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    func testServerHelloAfterHelloRetryWithDifferentSuiteIsIllegalParameter() async throws {
        let pair = try helloRetryPair()
        pair.tamper = Rewrite.serverHello { $0.cipherSuite = .TLS_AES_256_GCM_SHA384 }
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    // MARK: ClientHello

    func serverReceiving(_ hello: ClientHello) async throws -> (TLSConnection, TLSError?) {
        let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
        let error = await feed(server, clientHelloRecord(hello))
        return (server, error)
    }

    func testClientHelloWithoutTLS13IsProtocolVersionForATLS13OnlyServer() async throws {
        var config = EngineFixtures.serverConfiguration()
        config.common.minimumVersion = .tls13
        for versions: Extension? in [.supportedVersionsClient([.tls12]), .supportedVersionsClient([ProtocolVersion(rawValue: 0x0A0A), .tls12, .tls11]), nil] {
            var hello = try freshClientHello()
            hello.replaceExtension(.supportedVersions, with: versions)
            let server = try TLSConnection(server: config)
            let error = await feed(server, clientHelloRecord(hello))
            assertPlaintextAlert(server, .protocolVersion, thrown: error)
        }
    }

    func testClientHelloWithOnlyOlderVersionsIsProtocolVersion() async throws {
        for versions: Extension? in [.supportedVersionsClient([.tls11, .tls10]), .supportedVersionsClient([ProtocolVersion(rawValue: 0x0A0A), .tls11])] {
            var hello = try freshClientHello()
            hello.replaceExtension(.supportedVersions, with: versions)
            let (server, error) = try await serverReceiving(hello)
            assertPlaintextAlert(server, .protocolVersion, thrown: error)
        }
    }

    func testClientHelloWithoutNullCompressionIsIllegalParameter() async throws {
        for methods: [UInt8] in [[1], [1, 0], [0, 0]] {
            var hello = try freshClientHello()
            hello.legacyCompressionMethods = methods
            let (server, error) = try await serverReceiving(hello)
            assertPlaintextAlert(server, .illegalParameter, thrown: error)
        }
    }

    func testClientHelloMissingExtensionsIsMissingExtension() async throws {
        for type in [ExtensionType.keyShare, .supportedGroups, .signatureAlgorithms] {
            var hello = try freshClientHello()
            hello.replaceExtension(type, with: nil)
            let (server, error) = try await serverReceiving(hello)
            assertPlaintextAlert(server, .missingExtension, thrown: error)
        }
    }

    func testDuplicateKeySharesAreIllegalParameter() async throws {
        var hello = try freshClientHello { $0.grease = false }
        let share = try XCTUnwrap(hello.extensions.keyShareClient?.last)
        XCTAssertEqual(share.group, .x25519)
        hello.replaceExtension(.keyShare, with: .keyShareClient([share, share]))
        let (server, error) = try await serverReceiving(hello)
        assertPlaintextAlert(server, .illegalParameter, thrown: error)
    }

    func testKeyShareForGroupNotInSupportedGroupsIsIllegalParameter() async throws {
        var hello = try freshClientHello { $0.grease = false }
        hello.replaceExtension(.supportedGroups, with: .supportedGroups([.secp256r1]))
        let (server, error) = try await serverReceiving(hello)
        assertPlaintextAlert(server, .illegalParameter, thrown: error)
    }

    func testDuplicateExtensionIsRejected() async throws {
        var hello = try freshClientHello()
        hello.extensions.append(.signatureAlgorithms([.ed25519]))
        let (server, error) = try await serverReceiving(hello)
        assertPlaintextAlert(server, .illegalParameter, thrown: error)
    }

    func testNoCommonCipherSuiteIsHandshakeFailure() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.cipherSuites = [.TLS_AES_128_GCM_SHA256]
        var server = EngineFixtures.serverConfiguration()
        server.common.cipherSuites = [.TLS_AES_256_GCM_SHA384, .TLS_CHACHA20_POLY1305_SHA256]
        let pair = try makePair(client: client, server: server)
        await pair.assertSentAlert(.handshakeFailure, by: .serverToClient)
        XCTAssertEqual(pair.client.failure?.origin, .peer)
    }

    func testNoCommonGroupIsHandshakeFailure() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.supportedGroups = [.x25519, .X25519MLKEM768]
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp384r1, .secp256r1]
        let pair = try makePair(client: client, server: server)
        await pair.assertSentAlert(.handshakeFailure, by: .serverToClient)
    }

    func testNoCommonSignatureSchemeIsHandshakeFailure() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.signatureAlgorithms = [.ed25519]
        let pair = try makePair(client: client)   // the server has a P-256 key
        await pair.assertSentAlert(.handshakeFailure, by: .serverToClient)
    }

    func testHandshakeMessageOverTheLimit() async throws {
        // A ClientHello header announcing more than a ClientHello's fields can hold (131,396 bytes) cannot be parsed:
        // decode_error at once, before the body arrives.
        let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
        let error = await feed(server, WireRecord(.handshake, version: 0x0301, body: [1, 0x02, 0x01, 0x45]).bytes)
        assertPlaintextAlert(server, .decodeError, thrown: error)
        // A Finished longer than any hash, likewise.
        let other = try TLSConnection(server: EngineFixtures.serverConfiguration())
        let finishedError = await feed(other, WireRecord(.handshake, version: 0x0301, body: [20, 0x00, 0x00, 0x41]).bytes)
        assertPlaintextAlert(other, .decodeError, thrown: finishedError)

        // A real Certificate message bigger than a client's configured limit.
        var client = EngineFixtures.clientConfiguration()
        client.common.maxHandshakeMessageSize = 300   // ServerHello and EncryptedExtensions fit, the Certificate does not
        client.common.supportedGroups = [.x25519]
        let pair = try makePair(client: client)
        await pair.assertSentAlert(.illegalParameter, by: .clientToServer)
    }

    func testValidClientHelloAbove64KiBIsAccepted() async throws {
        // 20,000 cipher suites and 30,000 bytes of padding: a ClientHello of about 70 KB, within what its fields hold.
        var client = EngineFixtures.clientConfiguration()
        client.clientHelloCustomizer = { hello, _ in
            hello.cipherSuites += (0..<20_000).map { CipherSuite(rawValue: 0x5000 &+ UInt16($0)) }
            hello.extensions.insert(.unknown(ExtensionType(rawValue: 0xFE01), [UInt8](repeating: 0, count: 30_000)), at: 0)
        }
        let pair = try makePair(client: client)
        await pair.run()
        XCTAssertGreaterThan(pair.records(.clientToServer).filter { $0.contentType == ContentType.handshake.rawValue }.count, 4)
        XCTAssertNil(pair.serverError)
        XCTAssertTrue(pair.server.isHandshakeComplete)
    }

    func testSecondClientHelloOnEstablishedConnectionIsUnexpectedMessage() async throws {
        let pair = try makePair()
        await pair.handshake()
        var forger = RecordForger(toward: pair.server)
        let hello = try freshClientHello()
        await pair.deliver(try forger.seal(.handshake, HandshakeMessage.clientHello(hello).testBytes), .clientToServer)
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
    }

    func testPostHandshakeServerOnlyMessagesFromClientAreUnexpectedMessage() async throws {
        for message in [HandshakeMessage.finished(Finished(verifyData: [UInt8](repeating: 0, count: 32))),
                        .newSessionTicket(NewSessionTicket(ticketLifetime: 1, ticketAgeAdd: 2, ticketNonce: [], ticket: [1], extensions: [])),
                        .certificate(CertificateMessage(certificateRequestContext: [], entries: []))] {
            let pair = try makePair()
            await pair.handshake()
            var forger = RecordForger(toward: pair.server)
            await pair.deliver(try forger.seal(.handshake, message.testBytes), .clientToServer)
            await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
        }
    }

    func testUnsolicitedClientCertificateIsUnexpectedMessage() async throws {
        let pair = try makePair()
        pair.tamper = { direction, records in
            guard direction == .clientToServer, records.count == 2 else { return }
            // The client's second flight (CCS, Finished): put a Certificate before the Finished.
            let certificate = HandshakeMessage.certificate(CertificateMessage(certificateRequestContext: [], entries: [])).testBytes
            var forger = RecordForger(toward: pair.server)
            records = [records[0]] + WireRecord.parse(try! forger.seal(.handshake, certificate)).records + [records[1]]
        }
        await pair.assertSentAlert(.unexpectedMessage, by: .serverToClient)
    }

    func testCorruptedClientFinishedIsDecryptError() async throws {
        let log = KeyLogCollector()
        var client = EngineFixtures.clientConfiguration()
        client.common.keyLog = log.callback
        let pair = try makePair(client: client)
        pair.tamper = { direction, records in
            guard direction == .clientToServer, let last = records.last, last.contentType == 23,
                  let secret = log.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET") else { return }
            var opener = try! RecordForger(secret: secret, suite: .TLS_AES_128_GCM_SHA256)
            guard let opened = try? opener.open([last]), var finished = opened.first?.1 else { return }
            finished[8] ^= 0x80
            var sealer = try! RecordForger(secret: secret, suite: .TLS_AES_128_GCM_SHA256)
            records[records.count - 1] = WireRecord.parse(try! sealer.seal(.handshake, finished)).records[0]
        }
        await pair.assertSentAlert(.decryptError, by: .serverToClient)
        XCTAssertFalse(pair.server.isHandshakeComplete)
    }

    // MARK: Certificate verification

    func testUntrustedRootIsUnknownCA() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.peerVerification = .trustRoots(EngineFixtures.otherCA.trustRoots)
        let pair = try makePair(client: client)
        await pair.assertSentAlert(.unknownCA, by: .clientToServer)
        XCTAssertEqual(pair.server.failure?.origin, .peer)
    }

    func testWrongHostIsBadCertificate() async throws {
        let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: "elsewhere.test")
        let pair = InMemoryPair(client: client, server: server)
        await pair.assertSentAlert(.badCertificate, by: .clientToServer)
    }

    func testExpiredCertificateIsCertificateExpired() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.now = { Date().addingTimeInterval(3 * 86400) }
        let pair = try makePair(client: client)
        await pair.assertSentAlert(.certificateExpired, by: .clientToServer)

        var early = EngineFixtures.clientConfiguration()
        early.common.now = { Date().addingTimeInterval(-3 * 86400) }
        let notYet = try makePair(client: early)
        await notYet.assertSentAlert(.certificateExpired, by: .clientToServer)
    }

    func testCustomVerifierRejectionAlertIsSent() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.peerVerification = .custom(CustomCertificateVerifier { _ in .rejected(TLSError(.accessDenied, "pinned key mismatch")) })
        let pair = try makePair(client: client)
        await pair.assertSentAlert(.accessDenied, by: .clientToServer)
    }
}
