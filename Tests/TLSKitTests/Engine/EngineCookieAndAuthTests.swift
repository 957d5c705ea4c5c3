import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// HelloRetryRequest cookies and client-authentication corner cases.
final class EngineCookieAndAuthTests: XCTestCase {
    func helloRetryConfigurations(cookie: [UInt8]?) -> (TLSClientConfiguration, TLSServerConfiguration) {
        var client = EngineFixtures.clientConfiguration()
        client.keyShareGroups = [.x25519]
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp256r1]
        server.helloRetryCookie = cookie
        return (client, server)
    }

    func testHelloRetryCookieIsEchoed() async throws {
        let cookie: [UInt8] = Array("opaque server state".utf8)
        let (client, server) = helloRetryConfigurations(cookie: cookie)
        let pair = try InMemoryPair(client: client, server: server)
        await pair.handshake()
        let secondFlight = pair.log.filter { $0.direction == .clientToServer }[1].records
        let hello = try decodeClientHello(secondFlight.filter { $0.contentType == ContentType.handshake.rawValue })
        XCTAssertEqual(hello.extensions.cookie, cookie)
        XCTAssertEqual(hello.extensions.keyShareClient?.map(\.group), [.secp256r1])
        XCTAssertEqual(pair.client.negotiated?.usedHelloRetryRequest, true)
    }

    func testSecondClientHelloWithoutCookieIsIllegalParameter() async throws {
        var (client, server) = helloRetryConfigurations(cookie: [1, 2, 3])
        client.clientHelloCustomizer = { hello, isRetry in
            if isRetry { hello.replaceExtension(.cookie, with: nil) }
        }
        server.common.supportedGroups = [.secp256r1]
        let pair = try InMemoryPair(client: client, server: server)
        await pair.assertSentAlert(.illegalParameter, by: .serverToClient)
    }

    func testSecondClientHelloWithWrongCookieIsIllegalParameter() async throws {
        var (client, server) = helloRetryConfigurations(cookie: [1, 2, 3])
        client.clientHelloCustomizer = { hello, isRetry in
            if isRetry { hello.replaceExtension(.cookie, with: .cookie([1, 2, 4])) }
        }
        server.common.supportedGroups = [.secp256r1]
        let pair = try InMemoryPair(client: client, server: server)
        await pair.assertSentAlert(.illegalParameter, by: .serverToClient)
    }

    func testSecondClientHelloDroppingTheHelloRetrySuiteIsIllegalParameter() async throws {
        var (client, server) = helloRetryConfigurations(cookie: nil)
        client.clientHelloCustomizer = { hello, isRetry in
            if isRetry { hello.cipherSuites.removeAll { $0 == .TLS_AES_128_GCM_SHA256 } }
        }
        server.common.supportedGroups = [.secp256r1]
        let pair = try InMemoryPair(client: client, server: server)
        await pair.assertSentAlert(.illegalParameter, by: .serverToClient)
    }

    func testUnrequestedCertificateEntryExtensionIsUnsupportedExtension() async throws {
        let log = KeyLogCollector()
        var server = EngineFixtures.serverConfiguration()
        server.common.keyLog = log.callback
        var client = EngineFixtures.clientConfiguration()
        client.requestOCSPStapling = false   // so status_request on the leaf is unrequested
        let pair = try InMemoryPair(client: client, server: server)
        pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log) { messages in
            let index = messageIndex(messages, .certificate)!
            guard case .certificate(var certificate) = try! HandshakeMessage.decode(messages[index]) else { return }
            certificate.entries[0].extensions = [.unknown(.statusRequest, [1, 0, 0, 0])]
            messages[index] = HandshakeMessage.certificate(certificate).testBytes
        }
        await pair.assertSentAlert(.unsupportedExtension, by: .clientToServer)
    }

    func testClientKeyTheServerCannotAcceptYieldsCertificateRequired() async throws {
        // The server asks for Ed25519 signatures only; the client's P-256 key cannot make one, so it answers with
        // an empty Certificate, which a server requiring authentication refuses.
        var client = EngineFixtures.clientConfiguration()
        client.certificate = try EngineFixtures.clientLeaf.certifiedKey
        var server = EngineFixtures.serverConfiguration(.ed25519)
        server.common.signatureAlgorithms = [.ed25519]
        server.clientAuthentication = .required(.trustRoots(EngineFixtures.ca.trustRoots))
        let pair = try InMemoryPair(client: client, server: server)
        await pair.assertSentAlert(.certificateRequired, by: .serverToClient)
        let sent = pair.client.takeEvents().compactMap { event -> Int? in
            if case .handshakeMessage(.sent, .certificate, let length) = event { return length } else { return nil }
        }
        XCTAssertEqual(sent, [8], "an empty Certificate: header, empty context, empty list")
    }

    func testClientCertificateWithWrongContextIsIllegalParameter() async throws {
        let log = KeyLogCollector()
        var client = EngineFixtures.clientConfiguration()
        client.common.keyLog = log.callback
        client.certificate = try EngineFixtures.clientLeaf.certifiedKey
        var server = EngineFixtures.serverConfiguration()
        server.clientAuthentication = .required(.trustRoots(EngineFixtures.ca.trustRoots))
        let pair = try InMemoryPair(client: client, server: server)
        pair.tamper = { direction, records in
            guard direction == .clientToServer, let last = records.last, last.contentType == 23,
                  let secret = log.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET") else { return }
            var opener = try! RecordForger(secret: secret, suite: .TLS_AES_128_GCM_SHA256)
            guard let opened = try? opener.open([last]) else { return }
            var messages = splitHandshakeMessages(opened.flatMap(\.1))
            guard let index = messageIndex(messages, .certificate),
                  case .certificate(var certificate) = try! HandshakeMessage.decode(messages[index]) else { return }
            certificate.certificateRequestContext = [7]
            messages[index] = HandshakeMessage.certificate(certificate).testBytes
            var sealer = try! RecordForger(secret: secret, suite: .TLS_AES_128_GCM_SHA256)
            records[records.count - 1] = WireRecord.parse(try! sealer.seal(.handshake, messages.flatMap { $0 })).records[0]
        }
        await pair.assertSentAlert(.illegalParameter, by: .serverToClient)
    }

    func testCorruptedClientCertificateVerifyIsDecryptError() async throws {
        let log = KeyLogCollector()
        var client = EngineFixtures.clientConfiguration()
        client.common.keyLog = log.callback
        client.certificate = try EngineFixtures.clientLeaf.certifiedKey
        var server = EngineFixtures.serverConfiguration()
        server.clientAuthentication = .required(.trustRoots(EngineFixtures.ca.trustRoots))
        let pair = try InMemoryPair(client: client, server: server)
        pair.tamper = { direction, records in
            guard direction == .clientToServer, let last = records.last, last.contentType == 23,
                  let secret = log.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET") else { return }
            var opener = try! RecordForger(secret: secret, suite: .TLS_AES_128_GCM_SHA256)
            guard let opened = try? opener.open([last]) else { return }
            var messages = splitHandshakeMessages(opened.flatMap(\.1))
            guard let index = messageIndex(messages, .certificateVerify),
                  case .certificateVerify(var verify) = try! HandshakeMessage.decode(messages[index]) else { return }
            verify.signature[verify.signature.count - 3] ^= 0x10
            messages[index] = HandshakeMessage.certificateVerify(verify).testBytes
            var sealer = try! RecordForger(secret: secret, suite: .TLS_AES_128_GCM_SHA256)
            records[records.count - 1] = WireRecord.parse(try! sealer.seal(.handshake, messages.flatMap { $0 })).records[0]
        }
        await pair.assertSentAlert(.decryptError, by: .serverToClient)
        XCTAssertFalse(pair.server.isHandshakeComplete)
    }
}
