import TLSWire
import XCTest
@testable import TLSKit

/// Versions below TLS 1.2 stay off unless asked for (issue 17): the default configuration refuses a TLS 1.0 or 1.1
/// ClientHello with protocol_version, and `minimumVersion` below TLS 1.2 is a configuration error without the
/// `insecureLegacyVersions` opt-in. With the opt-in, TLS 1.0/1.1 handshakes run (the TLS 1.2 states parameterised by
/// version) and the server honours TLS_FALLBACK_SCSV.
final class LegacyVersionOptInTests: XCTestCase {
    /// What a TLS 1.0/1.1-only client sends: legacy_version 0x0301/0x0302, no supported_versions, CBC suites
    /// (TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_128_CBC_SHA).
    private func legacyClientHello(_ version: ProtocolVersion) throws -> ClientHello {
        var hello = try freshClientHello()
        hello.legacyVersion = version
        hello.extensions.removeAll { $0.type == .supportedVersions }
        hello.cipherSuites = [CipherSuite(rawValue: 0xC013), CipherSuite(rawValue: 0xC009), CipherSuite(rawValue: 0x002F)]
        return hello
    }

    func testDefaultServerRefusesTLS10AndTLS11ClientHellos() async throws {
        for version in [ProtocolVersion.tls10, .tls11] {
            let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
            let error = await feed(server, clientHelloRecord(try legacyClientHello(version)))
            XCTAssertEqual(error?.cause, .peerIncompatible(.noCommonVersion), "\(version)")
            assertPlaintextAlert(server, .protocolVersion, thrown: error)
        }
    }

    func testDefaultsHaveNoLegacyVersionOrCBCSuite() {
        let common = TLSCommonConfiguration()
        XCTAssertNil(common.insecureLegacyVersions)
        XCTAssertEqual(common.minimumVersion, .tls12)
        // Every CBC suite TLS 1.0/1.1 would use (RFC 4346 App. A.5, RFC 4492 §6, RFC 5246 App. A.5).
        let cbc: Set<UInt16> = [0x002F, 0x0035, 0x003C, 0x003D, 0xC009, 0xC00A, 0xC013, 0xC014, 0xC023, 0xC024, 0xC027, 0xC028]
        XCTAssertTrue(common.cipherSuites.allSatisfy { !cbc.contains($0.rawValue) }, "\(common.cipherSuites)")
    }

    func testMinimumVersionBelowTLS12NeedsTheOptIn() throws {
        func server(_ minimum: ProtocolVersion, _ optIn: InsecureLegacyVersions?) -> TLSServerConfiguration {
            var config = EngineFixtures.serverConfiguration()
            config.common.minimumVersion = minimum
            config.common.insecureLegacyVersions = optIn
            return config
        }
        func client(_ minimum: ProtocolVersion, _ optIn: InsecureLegacyVersions?) -> TLSClientConfiguration {
            var config = EngineFixtures.clientConfiguration()
            config.common.minimumVersion = minimum
            config.common.insecureLegacyVersions = optIn
            return config
        }
        let refused: [(ProtocolVersion, InsecureLegacyVersions?)] = [
            (.tls11, nil), (.tls10, nil), (.ssl3, nil),
            (.tls10, .downToTLS11),   // below what the opt-in allows
            (.ssl3, .downToTLS10),    // SSL 3.0 never (RFC 7568)
        ]
        for (minimum, optIn) in refused {
            XCTAssertThrowsError(try TLSConnection(server: server(minimum, optIn)), "\(minimum) \(String(describing: optIn))") {
                XCTAssertTrue($0 is TLSConfigurationError, "\($0)")
            }
            XCTAssertThrowsError(try TLSConnection(client: client(minimum, optIn), serverName: EngineFixtures.serverName)) {
                XCTAssertTrue($0 is TLSConfigurationError, "\($0)")
            }
        }
        // SSL 3.0 is refused with its own explanation (the error has no typed cause: it is a configuration message).
        XCTAssertThrowsError(try TLSConnection(server: server(.ssl3, .downToTLS10))) {
            XCTAssertTrue(($0 as? TLSConfigurationError)?.description.contains("RFC 7568") == true, "\($0)")
        }
        let accepted: [(ProtocolVersion, InsecureLegacyVersions?)] = [
            (.tls12, nil), (.tls12, .downToTLS10), (.tls11, .downToTLS11), (.tls11, .downToTLS10), (.tls10, .downToTLS10),
        ]
        for (minimum, optIn) in accepted {
            XCTAssertNoThrow(try TLSConnection(server: server(minimum, optIn)), "\(minimum) \(String(describing: optIn))")
            XCTAssertNoThrow(try TLSConnection(client: client(minimum, optIn), serverName: EngineFixtures.serverName))
        }
        // SSL 3.0: a client with the second, POODLE-named opt-in only; a server never (its opt-in means TLS 1.0 there).
        XCTAssertNoThrow(try TLSConnection(client: client(.ssl3, .downToSSL30IncludingPOODLEVulnerableSSL3),
                                           serverName: EngineFixtures.serverName))
        XCTAssertThrowsError(try TLSConnection(server: server(.ssl3, .downToSSL30IncludingPOODLEVulnerableSSL3))) {
            XCTAssertTrue(($0 as? TLSConfigurationError)?.description.contains("server never speaks SSLv3") == true, "\($0)")
        }
        XCTAssertNoThrow(try TLSConnection(server: server(.tls10, .downToSSL30IncludingPOODLEVulnerableSSL3)))
        XCTAssertThrowsError(try TLSConnection(client: client(ProtocolVersion(rawValue: 0x0200), .downToSSL30IncludingPOODLEVulnerableSSL3),
                                               serverName: EngineFixtures.serverName)) {
            XCTAssertTrue($0 is TLSConfigurationError, "\($0)")
        }
    }

    func testOptInReachesALegacyHandshake() async throws {
        // With the opt-in, the TLS 1.0 ClientHello the default server refuses is answered with a TLS 1.0 ServerHello
        // (the TLS 1.2 server parameterised by version) carrying DOWNGRD\x00: this server supports more.
        var config = EngineFixtures.serverConfiguration()
        config.common.minimumVersion = .tls10
        config.common.insecureLegacyVersions = .downToTLS10
        let server = try TLSConnection(server: config)
        let error = await feed(server, clientHelloRecord(try legacyClientHello(.tls10)))
        XCTAssertNil(error)
        let records = WireRecord.parse(server.takeOutput()).records
        let first = try XCTUnwrap(records.first)
        XCTAssertEqual(first.version, 0x0301, "the record version is the negotiated one")
        guard case .serverHello(let hello) = try HandshakeMessage.decode(Array(first.body.prefix(4 + (Int(first.body[2]) << 8 | Int(first.body[3])))),
                                                                         version: .tls10) else {
            return XCTFail("no ServerHello first")
        }
        XCTAssertEqual(hello.legacyVersion, .tls10)
        XCTAssertEqual(hello.cipherSuite, .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA)
        XCTAssertEqual(Array(hello.random.suffix(8)), downgradeSentinelTLS11)
        XCTAssertEqual(server.negotiatedVersion, .tls10)
    }

    /// The same opt-in down to TLS 1.1 only still refuses TLS 1.0.
    func testOptInDownToTLS11RefusesTLS10() async throws {
        var config = EngineFixtures.serverConfiguration()
        config.common.minimumVersion = .tls11
        config.common.insecureLegacyVersions = .downToTLS11
        let server = try TLSConnection(server: config)
        let error = await feed(server, clientHelloRecord(try legacyClientHello(.tls10)))
        XCTAssertEqual(error?.cause, .peerIncompatible(.noCommonVersion))
        assertPlaintextAlert(server, .protocolVersion, thrown: error)
    }

    /// RFC 7507: a TLS 1.1 ClientHello with TLS_FALLBACK_SCSV to a server that could do better.
    func testFallbackSCSVFromALegacyClientIsInappropriateFallback() async throws {
        var config = EngineFixtures.serverConfiguration()
        config.common.minimumVersion = .tls10
        config.common.insecureLegacyVersions = .downToTLS10
        var hello = try legacyClientHello(.tls11)
        hello.cipherSuites.append(.TLS_FALLBACK_SCSV)
        let server = try TLSConnection(server: config)
        let error = await feed(server, clientHelloRecord(hello))
        XCTAssertEqual(error?.cause, .peerIncompatible(.inappropriateFallback))
        assertPlaintextAlert(server, .inappropriateFallback, thrown: error)
        // A server whose best version is TLS 1.1 takes it: no fallback happened.
        config.common.maximumVersion = .tls11
        let legacyOnly = try TLSConnection(server: config)
        let accepted = await feed(legacyOnly, clientHelloRecord(hello))
        XCTAssertNil(accepted)
        XCTAssertEqual(legacyOnly.negotiatedVersion, .tls11)
    }

    /// Legacy handshakes end to end, both roles TLSKit: each version with an ECDSA leaf, with and without
    /// encrypt-then-MAC, data both ways. (With an RSA leaf there is no TLS 1.0/1.1 suite in common: the client does
    /// not offer ECDHE_RSA there and the server does not take static RSA; see the next test.)
    func testLegacyHandshakesBetweenTLSKitClientAndServer() async throws {
        for version in [ProtocolVersion.tls10, .tls11] {
            for keyType in [TestPKI.KeyType.ecdsaP256] {
                for etm in [true, false] {
                    var server = EngineFixtures.serverConfiguration(keyType)
                    server.common.minimumVersion = version
                    server.common.maximumVersion = version
                    server.common.insecureLegacyVersions = .downToTLS10
                    var client = EngineFixtures.clientConfiguration()
                    client.common.minimumVersion = .tls10
                    client.common.insecureLegacyVersions = .downToTLS10
                    if !etm { client.clientHelloCustomizer = { hello, _ in hello.extensions.removeAll { $0.type == .encryptThenMAC } } }
                    let pair = try InMemoryPair(client: client, server: server)
                    await pair.handshake()
                    let tag = "\(version) \(keyType) etm=\(etm)"
                    XCTAssertEqual(pair.client.negotiated?.version, version, tag)
                    XCTAssertEqual(pair.server.negotiated?.version, version, tag)
                    XCTAssertEqual(pair.client.negotiated?.extendedMasterSecret, true, tag)
                    XCTAssertNil(pair.client.negotiated?.serverSignatureScheme, tag)
                    let expectedSuite: CipherSuite = keyType == .rsa2048 ? .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA : .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
                    XCTAssertEqual(pair.client.negotiated?.cipherSuite, expectedSuite, tag)
                    if case .cbc(let protection)? = pair.server.records.writeState {
                        XCTAssertEqual(protection.encryptThenMAC, etm, tag)
                    } else {
                        XCTFail("no CBC protection: \(tag)")
                    }
                    try await pair.assertDataFlows(tag)
                    let big = testPayload(count: 40_000, seed: 5)
                    let received = try await pair.transfer(big, .serverToClient, chunkSizes: [40_000])
                    XCTAssertEqual(received, big, tag)
                }
            }
        }
    }

    /// A legacy TLSKit client with a legacy TLSKit server holding an RSA leaf, both capped at TLS 1.0/1.1: the client
    /// offers static RSA (and ECDHE_ECDSA), the server selects neither (handshake_failure, no common suite).
    func testLegacyTLSKitPairWithAnRSALeafHasNoCommonSuite() async throws {
        for version in [ProtocolVersion.tls10, .tls11] {
            var server = EngineFixtures.serverConfiguration(.rsa2048)
            server.common.minimumVersion = version
            server.common.maximumVersion = version
            server.common.insecureLegacyVersions = .downToTLS10
            var client = EngineFixtures.clientConfiguration()
            client.common.minimumVersion = .tls10
            client.common.insecureLegacyVersions = .downToTLS10
            let clientConnection = try TLSConnection(client: client, serverName: EngineFixtures.serverName)
            let serverConnection = try TLSConnection(server: server)
            let error = await feed(serverConnection, clientConnection.takeOutput())
            XCTAssertEqual(error?.cause, .peerIncompatible(.noCommonCipherSuite), "\(version)")
            assertPlaintextAlert(serverConnection, .handshakeFailure, thrown: error)
        }
    }

    /// The server never decrypts an RSA premaster (Bleichenbacher, ROBOT): a client offering only TLS_RSA_ suites gets
    /// handshake_failure, at every version, even with legacy on and the suites listed in `cipherSuites`.
    func testServerNeverSelectsStaticRSAKeyExchange() async throws {
        let rsaSuites: [CipherSuite] = [.TLS_RSA_WITH_AES_128_GCM_SHA256, .TLS_RSA_WITH_AES_256_GCM_SHA384,
                                        .TLS_RSA_WITH_AES_128_CBC_SHA, .TLS_RSA_WITH_AES_256_CBC_SHA, .TLS_RSA_WITH_AES_128_CBC_SHA256]
        for version in [ProtocolVersion.tls10, .tls11, .tls12] {
            var server = EngineFixtures.serverConfiguration(.rsa2048)
            server.common.minimumVersion = .tls10
            server.common.insecureLegacyVersions = .downToTLS10
            server.common.cipherSuites = rsaSuites + server.common.cipherSuites
            var hello = try legacyClientHello(version)
            hello.cipherSuites = rsaSuites
            let connection = try TLSConnection(server: server)
            let error = await feed(connection, clientHelloRecord(hello))
            XCTAssertEqual(error?.cause, .peerIncompatible(.noCommonCipherSuite), "\(version)")
            assertPlaintextAlert(connection, .handshakeFailure, thrown: error)
        }
    }

    /// A legacy server that also speaks TLS 1.2 gives a TLS 1.2 client TLS 1.2, and a client with the opt-in TLS 1.3.
    func testLegacyServerStillPrefersTheHighestVersion() async throws {
        var server = EngineFixtures.serverConfiguration()
        server.common.minimumVersion = .tls10
        server.common.insecureLegacyVersions = .downToTLS10
        var client = EngineFixtures.clientConfiguration()
        client.common.minimumVersion = .tls10
        client.common.insecureLegacyVersions = .downToTLS10
        let pair = try InMemoryPair(client: client, server: server)
        await pair.handshake()
        XCTAssertEqual(pair.client.negotiated?.version, .tls13)
        client.common.maximumVersion = .tls12
        let pair12 = try InMemoryPair(client: client, server: server)
        await pair12.handshake()
        XCTAssertEqual(pair12.client.negotiated?.version, .tls12)
        XCTAssertEqual(pair12.client.negotiated?.cipherSuite, .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    }

    /// A legacy client meeting a TLS 1.1-only server that also supports TLS 1.2 — not possible with TLSKit — is
    /// covered by the sentinel tests in LegacyClientTests; here, a TLS 1.1-capped server: DOWNGRD is absent.
    func testTLS11OnlyServerSetsNoSentinel() async throws {
        var server = EngineFixtures.serverConfiguration()
        server.common.minimumVersion = .tls11
        server.common.maximumVersion = .tls11
        server.common.insecureLegacyVersions = .downToTLS11
        var client = EngineFixtures.clientConfiguration()
        client.common.minimumVersion = .tls11
        client.common.insecureLegacyVersions = .downToTLS11
        let pair = try InMemoryPair(client: client, server: server)
        await pair.handshake()
        XCTAssertEqual(pair.client.negotiated?.version, .tls11)
    }

    /// TLS 1.0/1.1 client authentication is not implemented: a server that requires a client certificate does not
    /// negotiate those versions (protocol_version), and one for which it is optional does not ask.
    func testLegacyVersionsAndClientCertificates() async throws {
        var server = EngineFixtures.serverConfiguration()
        server.common.minimumVersion = .tls10
        server.common.insecureLegacyVersions = .downToTLS10
        server.clientAuthentication = .required(.trustRoots(EngineFixtures.ca.trustRoots))
        let required = try TLSConnection(server: server)
        let error = await feed(required, clientHelloRecord(try legacyClientHello(.tls11)))
        XCTAssertEqual(error?.cause, .peerIncompatible(.noCommonVersion))

        server.clientAuthentication = .optional(.trustRoots(EngineFixtures.ca.trustRoots))
        var client = EngineFixtures.clientConfiguration()
        client.common.minimumVersion = .tls10
        client.common.maximumVersion = .tls11
        client.common.insecureLegacyVersions = .downToTLS10
        client.certificate = try EngineFixtures.clientLeaf.certifiedKey
        let pair = try InMemoryPair(client: client, server: server)
        await pair.handshake()
        XCTAssertEqual(pair.server.negotiated?.version, .tls11)
        XCTAssertEqual(pair.server.negotiated?.peerCertificates, [])
    }

    /// A CBC suite in `cipherSuites` without the opt-in is never chosen by the server either.
    func testServerIgnoresConfiguredCBCSuitesWithoutTheOptIn() async throws {
        var server = EngineFixtures.serverConfiguration()
        server.common.cipherSuites.append(.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA)
        var hello = try freshClientHello()
        hello.extensions.removeAll { $0.type == .supportedVersions }
        hello.cipherSuites = [.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA]
        let connection = try TLSConnection(server: server)
        let error = await feed(connection, clientHelloRecord(hello))
        XCTAssertEqual(error?.cause, .peerIncompatible(.noCommonCipherSuite))
    }
}
