import XCTest
@testable import TLSKit

/// TLS 1.2 in memory: version negotiation against TLS 1.3, every suite, client authentication, the downgrade
/// sentinel, fallback SCSV and refused renegotiation.
final class TLS12HandshakeTests: XCTestCase {
    struct Pair {
        let client: TLSConnection
        let server: TLSConnection
    }

    static let ca = Result { try TestPKI.makeCA() }

    func identity(_ keyType: TestPKI.KeyType) throws -> CertifiedKey {
        try Self.ca.get().issueLeaf(keyType: keyType).certifiedKey
    }

    func clientConfig(maxVersion: ProtocolVersion = .tls13) throws -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.peerVerification = .trustRoots(try Self.ca.get().trustRoots)
        config.common.maximumVersion = maxVersion
        return config
    }

    func serverConfig(_ keyType: TestPKI.KeyType = .ecdsaP256, maxVersion: ProtocolVersion = .tls13) throws -> TLSServerConfiguration {
        var config = TLSServerConfiguration(certificate: try identity(keyType))
        config.common.maximumVersion = maxVersion
        return config
    }

    func run(_ client: TLSConnection, _ server: TLSConnection) async throws {
        try await shuttle(client, server)
    }

    func handshake(client: TLSClientConfiguration, server: TLSServerConfiguration) async throws -> Pair {
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        try await run(c, s)
        return Pair(client: c, server: s)
    }

    func exchange(_ pair: Pair, size: Int = 70_000) async throws {
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try pair.client.send(payload)
        try await run(pair.client, pair.server)
        XCTAssertEqual(pair.server.takeApplicationData(), payload)
        try pair.server.send(payload.reversed())
        try await run(pair.client, pair.server)
        XCTAssertEqual(pair.client.takeApplicationData(), payload.reversed())
    }

    func testTLS12OnlyClientAgainstDefaultServerForEverySuite() async throws {
        let cases: [(CipherSuite, TestPKI.KeyType)] = [
            (.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .ecdsaP256),
            (.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, .ecdsaP256),
            (.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .ecdsaP256),
            (.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, .rsa2048),
            (.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, .rsa2048),
            (.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, .rsa2048),
        ]
        for (suite, keyType) in cases {
            var client = try clientConfig(maxVersion: .tls12)
            client.common.cipherSuites = [suite]
            let pair = try await handshake(client: client, server: try serverConfig(keyType))
            XCTAssertTrue(pair.client.isHandshakeComplete, "\(suite)")
            XCTAssertEqual(pair.client.negotiated?.version, .tls12)
            XCTAssertEqual(pair.client.negotiated?.cipherSuite, suite)
            XCTAssertEqual(pair.server.negotiated?.cipherSuite, suite)
            try await exchange(pair)
            let exported = try pair.client.exportKeyingMaterial(label: "EXPORTER-test", context: [1, 2], length: 32)
            XCTAssertEqual(exported, try pair.server.exportKeyingMaterial(label: "EXPORTER-test", context: [1, 2], length: 32))
        }
    }

    func testDefaultClientAgainstTLS12OnlyServer() async throws {
        for group in [NamedGroup.x25519, .secp256r1, .secp384r1] {
            var server = try serverConfig(.rsa2048, maxVersion: .tls12)
            server.common.supportedGroups = [group]
            let pair = try await handshake(client: try clientConfig(), server: server)
            XCTAssertEqual(pair.client.negotiated?.version, .tls12)
            XCTAssertEqual(pair.client.negotiated?.group, group)
            XCTAssertEqual(pair.client.negotiated?.cipherSuite, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)
            try await exchange(pair)
        }
    }

    func testBothDefaultsNegotiateTLS13() async throws {
        let pair = try await handshake(client: try clientConfig(), server: try serverConfig())
        XCTAssertEqual(pair.client.negotiated?.version, .tls13)
    }

    func testMutualAuthentication() async throws {
        var server = try serverConfig(maxVersion: .tls12)
        server.clientAuthentication = .required(.trustRoots(try Self.ca.get().trustRoots))
        for keyType in [TestPKI.KeyType.ecdsaP256, .rsa2048] {
            var client = try clientConfig()
            client.certificate = try identity(keyType)
            let pair = try await handshake(client: client, server: server)
            XCTAssertEqual(pair.server.negotiated?.version, .tls12)
            XCTAssertEqual(pair.server.negotiated?.peerCertificates.count, 1)
            XCTAssertNotNil(pair.server.negotiated?.clientSignatureScheme)
            try await exchange(pair, size: 1000)
        }
        // Without a certificate the server refuses.
        let c = try TLSConnection(client: try clientConfig(), serverName: "localhost")
        let s = try TLSConnection(server: server)
        do {
            try await run(c, s)
            XCTFail("expected failure")
        } catch {
            XCTAssertEqual(s.failure?.alert, .handshakeFailure)
            try? c.receive(s.takeOutput())   // the server's alert reaches the client
            XCTAssertEqual(c.failure?.alert, .handshakeFailure)
            XCTAssertEqual(c.failure?.origin, .peer)
        }
    }

    func testClientDetectsDowngradeSentinel() async throws {
        // A TLS 1.2-only server that supports TLS 1.3 in principle would set the sentinel; emulate a MITM that
        // strips supported_versions by making the server 1.2-only but keeping the sentinel: rewrite its random.
        let c = try TLSConnection(client: try clientConfig(), serverName: "localhost")
        let s = try TLSConnection(server: try serverConfig())
        // Strip supported_versions (and so TLS 1.3) from the ClientHello as an attacker would.
        var record = c.takeOutput()
        let body = Array(record[9...])
        guard case .clientHello(var hello) = try HandshakeMessage.decode(type: 1, body: body) else { return XCTFail() }
        hello.extensions.removeAll { $0.type == .supportedVersions || $0.type == .keyShare }
        let raw = HandshakeMessage.clientHello(hello).testBytes
        record = [22, 3, 1, UInt8(raw.count >> 8), UInt8(raw.count & 0xFF)] + raw
        try s.receive(record)
        XCTAssertEqual(s.negotiated?.version, nil)
        do {
            try c.receive(s.takeOutput())
            XCTFail("client accepted a downgrade")
        } catch {
            XCTAssertEqual(error.alert, .illegalParameter)
            XCTAssertEqual(error.cause, .peerMisbehaved(.downgradeDetected), error.reason)
        }
    }

    func testFallbackSCSVIsRefused() async throws {
        var config = try clientConfig(maxVersion: .tls12)
        config.clientHelloCustomizer = { hello, _ in hello.cipherSuites.append(.TLS_FALLBACK_SCSV) }
        let c = try TLSConnection(client: config, serverName: "localhost")
        let s = try TLSConnection(server: try serverConfig())
        XCTAssertThrowsError(try s.receive(c.takeOutput())) { error in
            XCTAssertEqual((error as? TLSError)?.alert, .inappropriateFallback)
        }
        // The same signal is fine when the server's best version is TLS 1.2.
        let s12 = try TLSConnection(server: try serverConfig(maxVersion: .tls12))
        let c2 = try TLSConnection(client: config, serverName: "localhost")
        try await run(c2, s12)
        XCTAssertEqual(c2.negotiated?.version, .tls12)
    }

    func testRenegotiationIsRefusedWithAWarning() async throws {
        var client = try clientConfig(maxVersion: .tls12)
        client.common.maximumVersion = .tls12
        let pair = try await handshake(client: client, server: try serverConfig())
        // The server asks the client to renegotiate: the client answers no_renegotiation and carries on. (Written
        // through the server's record layer on purpose: TLSKit never sends HelloRequest, and this seals it under the
        // server's TLS 1.2 key as a renegotiating server would.)
        try pair.server.records.write(.handshake, HandshakeMessage.helloRequest.testBytes, to: &pair.server.buffers.output)
        try await run(pair.client, pair.server)
        XCTAssertNil(pair.client.failure)
        XCTAssertNil(pair.server.failure)
        try await exchange(pair, size: 100)
    }

    func testEarlyChangeCipherSpecIsUnexpected() async throws {
        // CVE-2014-0224: a ChangeCipherSpec before the key exchange must not install keys.
        let c = try TLSConnection(client: try clientConfig(maxVersion: .tls12), serverName: "localhost")
        let s = try TLSConnection(server: try serverConfig())
        try s.receive(c.takeOutput())
        // Split the server's flight after ServerHello and slip a ChangeCipherSpec in between.
        let flight = s.takeOutput()
        let body = Array(flight[5...])
        let helloLength = 4 + (Int(body[1]) << 16 | Int(body[2]) << 8 | Int(body[3]))
        func record(_ bytes: ArraySlice<UInt8>) -> [UInt8] { [22, 3, 3, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes }
        let tampered = record(body[..<helloLength]) + [20, 3, 3, 0, 1, 1] + record(body[helloLength...])
        XCTAssertThrowsError(try c.receive(tampered)) { error in
            XCTAssertEqual((error as? TLSError)?.alert, .unexpectedMessage)
        }
    }
}

/// TLS 1.3 record padding (RFC 8446 §5.4) hides lengths and is stripped by the receiver.
final class RecordPaddingTests: XCTestCase {
    func testPaddedRecordsHaveBlockSizedLengthsAndDecrypt() async throws {
        let ca = try TestPKI.makeCA()
        var server = TLSServerConfiguration(certificate: try ca.issueLeaf().certifiedKey)
        server.common.recordPaddingBlockSize = 256
        var client = TLSClientConfiguration()
        client.peerVerification = .trustRoots(ca.trustRoots)
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertEqual(c.negotiated?.version, .tls13)
        for size in [1, 255, 256, 1000] {
            try s.send([UInt8](repeating: 0x41, count: size))
            let record = s.takeOutput()
            // 5-byte header; ciphertext = padded inner plaintext + 16-byte tag.
            XCTAssertEqual((record.count - 5 - 16) % 256, 0, "record for \(size) bytes is \(record.count) long")
            try c.receive(record)
            XCTAssertEqual(c.takeApplicationData(), [UInt8](repeating: 0x41, count: size))
        }
    }
}

/// Moves bytes both ways until neither side has anything to say, running pending verifications.
func shuttle(_ client: TLSConnection, _ server: TLSConnection) async throws {
    for _ in 0..<20 {
        var moved = false
        for (from, to) in [(client, server), (server, client)] {
            let bytes = from.takeOutput()
            if !bytes.isEmpty {
                moved = true
                try to.receive(bytes)
            }
            while to.pendingVerification != nil { try await to.performPendingVerification() }
        }
        if !moved { return }
    }
    XCTFail("the connections did not settle")
}
