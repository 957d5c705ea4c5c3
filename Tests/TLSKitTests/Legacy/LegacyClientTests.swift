import Crypto
import _CryptoExtras
import TLSCrypto
import TLSWire
import XCTest
@testable import TLSKit

/// The TLS 1.0/1.1 client (issue 17) without a network: what it offers with and without the opt-in, the ServerHello
/// versions it takes, the downgrade sentinels it checks, and the TLS 1.0/1.1 signature forms.
final class LegacyClientTests: XCTestCase {
    private static let cbcSuites: Set<UInt16> = [0xC009, 0xC00A, 0xC013, 0xC014, 0xC023, 0xC024, 0xC027, 0xC028]
    /// ECDHE_RSA with SHA-1 CBC: signed RSA over MD5 ‖ SHA-1 at TLS 1.0/1.1, which we cannot verify.
    private static let ecdheRSASHA1Suites: Set<UInt16> = [0xC013, 0xC014]
    private static let rsaKeyExchangeSuites: Set<UInt16> = [0x002F, 0x0035, 0x003C, 0x009C, 0x009D]

    private static func legacyConfiguration(_ minimum: ProtocolVersion = .tls10) -> TLSClientConfiguration {
        var config = EngineFixtures.clientConfiguration()
        config.common.insecureLegacyVersions = .downToTLS10
        config.common.minimumVersion = minimum
        return config
    }

    /// A ServerHello choosing `version` and TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, with `randomSuffix` ending its random.
    private static func serverHelloRecord(_ version: ProtocolVersion, randomSuffix: [UInt8] = Array(repeating: 0x55, count: 8)) -> [UInt8] {
        let hello = ServerHello(legacyVersion: version, random: Array(repeating: 0x11, count: 24) + randomSuffix,
                                legacySessionIDEcho: [], cipherSuite: .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
                                extensions: [.renegotiationInfo([]), .extendedMasterSecret])
        return WireRecord(.handshake, version: version.rawValue, body: HandshakeMessage.serverHello(hello).testBytes).bytes
    }

    /// GREASE values (RFC 8701) left out.
    private static func withoutGrease(_ versions: [ProtocolVersion]) -> [ProtocolVersion] {
        versions.filter { $0.rawValue & 0x0F0F != 0x0A0A }
    }

    // MARK: What is offered

    func testDefaultClientHelloOffersNoLegacyVersionSuiteOrEncryptThenMAC() throws {
        let hello = try freshClientHello()
        XCTAssertEqual(hello.legacyVersion, .tls12)
        XCTAssertTrue(hello.cipherSuites.allSatisfy { !Self.cbcSuites.contains($0.rawValue) })
        XCTAssertTrue(hello.cipherSuites.allSatisfy { !Self.rsaKeyExchangeSuites.contains($0.rawValue) })
        XCTAssertFalse(hello.extensions.contains(.encryptThenMAC))
        XCTAssertEqual(hello.extensions.supportedVersionsClient.map(Self.withoutGrease), [.tls13, .tls12])
        XCTAssertFalse(hello.cipherSuites.contains(.TLS_FALLBACK_SCSV))
    }

    func testCBCSuitesConfiguredWithoutTheOptInAreNotOffered() throws {
        let hello = try freshClientHello {
            $0.common.cipherSuites += [.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, .TLS_RSA_WITH_AES_128_GCM_SHA256, .TLS_RSA_WITH_AES_128_CBC_SHA]
        }
        XCTAssertFalse(hello.cipherSuites.contains(.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA))
        XCTAssertFalse(hello.cipherSuites.contains(.TLS_RSA_WITH_AES_128_GCM_SHA256))
        XCTAssertFalse(hello.cipherSuites.contains(.TLS_RSA_WITH_AES_128_CBC_SHA))
    }

    func testLegacyClientHelloOffersTLS11AndTLS10WithCBCAndEncryptThenMAC() throws {
        let hello = try freshClientHello { $0 = Self.legacyConfiguration() }
        XCTAssertEqual(hello.extensions.supportedVersionsClient.map(Self.withoutGrease), [.tls13, .tls12, .tls11, .tls10])
        XCTAssertEqual(hello.legacyVersion, .tls12)
        let offered = hello.cipherSuites.map(\.rawValue)
        XCTAssertEqual(Set(offered).intersection(Self.cbcSuites), Self.cbcSuites.subtracting(Self.ecdheRSASHA1Suites))
        XCTAssertEqual(Set(offered).intersection(Self.rsaKeyExchangeSuites), Self.rsaKeyExchangeSuites)
        // The AEAD suites stay first; the ECDHE CBC suites come after them, then static RSA key exchange, last.
        let firstCBC = try XCTUnwrap(offered.firstIndex { Self.cbcSuites.contains($0) })
        let firstRSA = try XCTUnwrap(offered.firstIndex { Self.rsaKeyExchangeSuites.contains($0) })
        XCTAssertLessThan(firstCBC, firstRSA)
        XCTAssertTrue(offered[firstCBC..<firstRSA].allSatisfy { Self.cbcSuites.contains($0) })
        XCTAssertTrue(offered[firstRSA...].allSatisfy { Self.rsaKeyExchangeSuites.contains($0) })
        XCTAssertTrue(hello.extensions.contains(.encryptThenMAC))
        XCTAssertTrue(hello.extensions.contains(.extendedMasterSecret))
        XCTAssertTrue(hello.extensions.contains(.renegotiationInfo))
        XCTAssertFalse(hello.cipherSuites.contains(.TLS_FALLBACK_SCSV), "no fallback: never the SCSV")
    }

    func testLegacyOnlyClientHelloSaysTLS11InLegacyVersion() throws {
        let hello = try freshClientHello {
            $0 = Self.legacyConfiguration()
            $0.common.maximumVersion = .tls11
        }
        XCTAssertEqual(hello.legacyVersion, .tls11)
        XCTAssertNil(hello.extensions.supportedVersionsClient)
        // Only the suites TLS 1.0/1.1 can use, and no ECDHE_RSA (its MD5 ‖ SHA-1 RSA signature cannot be verified).
        XCTAssertEqual(Set(hello.cipherSuites.map(\.rawValue).filter { $0 & 0x0F0F != 0x0A0A }), [0xC009, 0xC00A, 0x002F, 0x0035])
    }

    // MARK: The server's version

    func testLegacyClientTakesATLS11ServerHello() async throws {
        let client = try TLSConnection(client: Self.legacyConfiguration(), serverName: EngineFixtures.serverName)
        _ = client.takeOutput()
        let error = await feed(client, Self.serverHelloRecord(.tls11))
        XCTAssertNil(error)
        XCTAssertEqual(client.negotiatedVersion, .tls11)
    }

    func testDefaultClientRefusesATLS11ServerHello() async throws {
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        _ = client.takeOutput()
        let error = await feed(client, Self.serverHelloRecord(.tls11))
        XCTAssertEqual(error?.cause, .peerIncompatible(.noCommonVersion))
        assertPlaintextAlert(client, .protocolVersion, thrown: error)
    }

    func testMinimumTLS11ClientRefusesATLS10ServerHello() async throws {
        let client = try TLSConnection(client: Self.legacyConfiguration(.tls11), serverName: EngineFixtures.serverName)
        _ = client.takeOutput()
        let error = await feed(client, Self.serverHelloRecord(.tls10))
        XCTAssertEqual(error?.cause, .peerIncompatible(.noCommonVersion))
    }

    /// RFC 8446 §4.1.3: a ServerHello for TLS 1.1 or below whose random ends in DOWNGRD\x00 (or \x01) came from a
    /// server that supports more: illegal_parameter.
    func testLegacyClientChecksTheDowngradeSentinels() async throws {
        for (version, sentinel) in [(ProtocolVersion.tls11, downgradeSentinelTLS11), (.tls10, downgradeSentinelTLS11),
                                    (.tls11, downgradeSentinelTLS12)] {
            let client = try TLSConnection(client: Self.legacyConfiguration(), serverName: EngineFixtures.serverName)
            _ = client.takeOutput()
            let error = await feed(client, Self.serverHelloRecord(version, randomSuffix: sentinel))
            XCTAssertEqual(error?.cause, .peerMisbehaved(.downgradeDetected), "\(version)")
            assertPlaintextAlert(client, .illegalParameter, thrown: error)
        }
        // A TLS 1.2-capable client that does not offer TLS 1.3 still checks DOWNGRD\x00.
        var config = Self.legacyConfiguration()
        config.common.maximumVersion = .tls12
        let client = try TLSConnection(client: config, serverName: EngineFixtures.serverName)
        _ = client.takeOutput()
        let error = await feed(client, Self.serverHelloRecord(.tls11, randomSuffix: downgradeSentinelTLS11))
        XCTAssertEqual(error?.cause, .peerMisbehaved(.downgradeDetected))
    }

    func testLegacyServerHelloWithAnAEADSuiteIsRefused() async throws {
        let client = try TLSConnection(client: Self.legacyConfiguration(), serverName: EngineFixtures.serverName)
        _ = client.takeOutput()
        let hello = ServerHello(legacyVersion: .tls11, random: Array(repeating: 0x11, count: 32), legacySessionIDEcho: [],
                                cipherSuite: .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, extensions: [])
        let error = await feed(client, WireRecord(.handshake, version: 0x0302, body: HandshakeMessage.serverHello(hello).testBytes).bytes)
        XCTAssertEqual(error?.cause, .peerMisbehaved(.unofferedCipherSuite))
    }

    func testEncryptThenMACWithAnAEADSuiteIsRefused() async throws {
        let client = try TLSConnection(client: Self.legacyConfiguration(), serverName: EngineFixtures.serverName)
        _ = client.takeOutput()
        let hello = ServerHello(random: Array(repeating: 0x11, count: 32), legacySessionIDEcho: [],
                                cipherSuite: .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                extensions: [.extendedMasterSecret, .unknown(.encryptThenMAC, [])])
        let error = await feed(client, WireRecord(.handshake, body: HandshakeMessage.serverHello(hello).testBytes).bytes)
        XCTAssertEqual(error?.cause, .peerMisbehaved(.forbiddenExtension))
    }

    // MARK: TLS 1.0/1.1 signatures

    /// The server still signs TLS 1.0/1.1 ECDHE_RSA (swift-crypto's raw private operation; openssl s_client checks it
    /// in `LegacyInteropTests`), but with no bignum of our own the client cannot verify such a signature: refused.
    func testRSAMD5SHA1SignatureIsMadeButNotVerified() throws {
        let signer = RSASigningKey(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        let message = Array("client_random ‖ server_random ‖ params".utf8)
        let signature = try LegacySignature.sign(signer, message: message)
        XCTAssertEqual(signature.count, 256)
        XCTAssertThrowsError(try LegacySignature.verify(spki: signer.subjectPublicKeyInfo, authentication: .rsa, message: message, signature: signature)) {
            XCTAssertEqual(($0 as? TLSError)?.cause, .peerMisbehaved(.unofferedCipherSuite))
        }
    }

    /// A TLS 1.0 ServerHello choosing ECDHE_RSA: we never offer it with legacy versions, so it is unoffered.
    func testLegacyServerHelloWithECDHE_RSAIsUnoffered() async throws {
        let client = try TLSConnection(client: Self.legacyConfiguration(), serverName: EngineFixtures.serverName)
        _ = client.takeOutput()
        let hello = ServerHello(legacyVersion: .tls10, random: Array(repeating: 0x11, count: 32), legacySessionIDEcho: [],
                                cipherSuite: .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, extensions: [.renegotiationInfo([]), .extendedMasterSecret])
        let error = await feed(client, WireRecord(.handshake, version: 0x0301, body: HandshakeMessage.serverHello(hello).testBytes).bytes)
        XCTAssertEqual(error?.cause, .peerMisbehaved(.unofferedCipherSuite))
        XCTAssertEqual(error?.alert, .illegalParameter)
    }

    func testECDSASHA1SignatureRoundTripsAndRejectsTampering() throws {
        let private256 = P256.Signing.PrivateKey()
        let signer = ECDSAP256SigningKey(private256)
        let message = Array("params".utf8)
        let signature = try LegacySignature.sign(signer, message: message)
        XCTAssertNoThrow(try LegacySignature.verify(spki: signer.subjectPublicKeyInfo, authentication: .ecdsa, message: message, signature: signature))
        // Over SHA-1 (RFC 4492 §5.4), checked with swift-crypto directly.
        let parsed = try P256.Signing.ECDSASignature(derRepresentation: signature)
        XCTAssertTrue(private256.publicKey.isValidSignature(parsed, for: Insecure.SHA1.hash(data: message)))
        XCTAssertThrowsError(try LegacySignature.verify(spki: signer.subjectPublicKeyInfo, authentication: .ecdsa, message: message + [1], signature: signature)) {
            XCTAssertEqual(($0 as? TLSError)?.cause, .peerMisbehaved(.badSignature))
        }
    }
}

extension LegacyClientTests {
    /// A client offering only TLS 1.1/1.0 writes its records after the ClientHello with the version it offers.
    func testLegacyOnlyClientRecordsAfterTheClientHelloSayTLS11() async throws {
        var config = Self.legacyConfiguration()
        config.common.maximumVersion = .tls11
        let client = try TLSConnection(client: config, serverName: EngineFixtures.serverName)
        let hello = WireRecord.parse(client.takeOutput()).records
        XCTAssertEqual(hello.first?.version, 0x0301)
        XCTAssertEqual(client.records.outgoingLegacyVersion, .tls11)
    }
}

extension LegacyClientTests {
    /// The server's flight with one bit of its ServerKeyExchange signature flipped: the TLS 1.0/1.1 signature check
    /// (ECDSA over SHA-1) fails with decrypt_error, through the whole engine.
    func testTamperedLegacyServerKeyExchangeSignatureIsDecryptError() async throws {
        for (version, keyType) in [(ProtocolVersion.tls10, TestPKI.KeyType.ecdsaP256), (.tls11, .ecdsaP256)] {
            var server = EngineFixtures.serverConfiguration(keyType)
            server.common.minimumVersion = version
            server.common.maximumVersion = version
            server.common.insecureLegacyVersions = .downToTLS10
            let serverConnection = try TLSConnection(server: server)
            let client = try TLSConnection(client: Self.legacyConfiguration(), serverName: EngineFixtures.serverName)
            try serverConnection.receive(client.takeOutput())
            // The first flight is plaintext: join the handshake records, flip the last byte of ServerKeyExchange.
            var stream = WireRecord.parse(serverConnection.takeOutput()).records.filter { $0.contentType == 22 }.flatMap(\.body)
            var offset = 0
            var flipped = false
            while offset + 4 <= stream.count {
                let length = Int(stream[offset + 1]) << 16 | Int(stream[offset + 2]) << 8 | Int(stream[offset + 3])
                if stream[offset] == 12 {
                    stream[offset + 4 + length - 1] ^= 0x01
                    flipped = true
                }
                offset += 4 + length
            }
            XCTAssertTrue(flipped, "no ServerKeyExchange in the flight")
            let error = await feed(client, WireRecord(.handshake, version: version.rawValue, body: stream).bytes)
            XCTAssertEqual(error?.cause, .peerMisbehaved(.badSignature), "\(version) \(keyType)")
            XCTAssertEqual(error?.alert, .decryptError)
        }
    }
}

extension LegacyClientTests {
    /// Static RSA key exchange has no ServerKeyExchange (RFC 5246 §7.4.3): a server flight choosing
    /// TLS_RSA_WITH_AES_128_CBC_SHA that still carries one is unexpected_message once the certificate is verified.
    func testServerKeyExchangeWithStaticRSAIsUnexpected() async throws {
        var server = EngineFixtures.serverConfiguration(.ecdsaP256)
        server.common.minimumVersion = .tls10
        server.common.maximumVersion = .tls10
        server.common.insecureLegacyVersions = .downToTLS10
        let serverConnection = try TLSConnection(server: server)
        let client = try TLSConnection(client: Self.legacyConfiguration(), serverName: EngineFixtures.serverName)
        try serverConnection.receive(client.takeOutput())
        var stream = WireRecord.parse(serverConnection.takeOutput()).records.filter { $0.contentType == 22 }.flatMap(\.body)
        // ServerHello: type, length(3), version(2), random(32), session_id<1>, then the cipher suite.
        XCTAssertEqual(stream.first, 2)
        let suiteOffset = 4 + 2 + 32 + 1 + Int(stream[4 + 2 + 32])
        XCTAssertEqual(Array(stream[suiteOffset..<suiteOffset + 2]), [0xC0, 0x09])
        stream.replaceSubrange(suiteOffset..<suiteOffset + 2, with: [0x00, 0x2F])
        let error = await feed(client, WireRecord(.handshake, version: 0x0301, body: stream).bytes)
        XCTAssertEqual(error?.cause, .unexpectedMessage)
        XCTAssertEqual(error?.alert, .unexpectedMessage)
    }
}

extension LegacyClientTests {
    /// Static RSA needs a certificate whose keyUsage allows keyEncipherment (RFC 5246 §7.4.2). A TLS 1.0 flight from
    /// a server with a digitalSignature-only RSA leaf, its ECDHE_RSA suite rewritten to TLS_RSA_WITH_AES_128_CBC_SHA
    /// and its ServerKeyExchange dropped: the client refuses to encrypt the premaster to that key.
    func testStaticRSARequiresKeyEnciphermentInTheLeaf() async throws {
        var server = EngineFixtures.serverConfiguration(.rsa2048)
        server.common.minimumVersion = .tls10
        server.common.maximumVersion = .tls10
        server.common.insecureLegacyVersions = .downToTLS10
        var clientConfiguration = Self.legacyConfiguration()
        // Offer ECDHE_RSA too, so that the server answers with an RSA certificate at TLS 1.0.
        clientConfiguration.clientHelloCustomizer = { hello, _ in hello.cipherSuites.append(.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA) }
        let serverConnection = try TLSConnection(server: server)
        let client = try TLSConnection(client: clientConfiguration, serverName: EngineFixtures.serverName)
        try serverConnection.receive(client.takeOutput())
        let stream = WireRecord.parse(serverConnection.takeOutput()).records.filter { $0.contentType == 22 }.flatMap(\.body)
        var rewritten: [UInt8] = []
        var offset = 0
        while offset + 4 <= stream.count {
            let length = Int(stream[offset + 1]) << 16 | Int(stream[offset + 2]) << 8 | Int(stream[offset + 3])
            var message = Array(stream[offset..<offset + 4 + length])
            offset += 4 + length
            if message[0] == 12 { continue }   // ServerKeyExchange: none with static RSA
            if message[0] == 2 {
                let suiteOffset = 4 + 2 + 32 + 1 + Int(message[4 + 2 + 32])
                XCTAssertEqual(Array(message[suiteOffset..<suiteOffset + 2]), [0xC0, 0x13])
                message.replaceSubrange(suiteOffset..<suiteOffset + 2, with: [0x00, 0x2F])
            }
            rewritten += message
        }
        let error = await feed(client, WireRecord(.handshake, version: 0x0301, body: rewritten).bytes)
        XCTAssertEqual(error?.cause, .invalidCertificate(.publicKey))
        XCTAssertEqual(error?.alert, .unsupportedCertificate)
    }
}
