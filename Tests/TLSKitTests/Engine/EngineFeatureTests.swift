import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import X509
import XCTest

final class EngineFeatureTests: XCTestCase {
    func makePair(client: TLSClientConfiguration = EngineFixtures.clientConfiguration(),
                  server: TLSServerConfiguration = EngineFixtures.serverConfiguration(),
                  serverName: String? = EngineFixtures.serverName) throws -> InMemoryPair {
        try InMemoryPair(client: client, server: server, serverName: serverName)
    }

    func ccsRecords(_ records: [WireRecord]) -> [WireRecord] {
        records.filter { $0.contentType == ContentType.changeCipherSpec.rawValue }
    }

    // MARK: HelloRetryRequest

    func testHelloRetryRequestWhenClientSharesOnlyX25519() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.keyShareGroups = [.x25519]
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp384r1]
        let pair = try makePair(client: client, server: server)
        await pair.handshake()
        let first = try XCTUnwrap(pair.records(.serverToClient).first)
        guard case .serverHello(let hrr) = try HandshakeMessage.decode(first.body) else { return XCTFail("no HRR") }
        XCTAssertTrue(hrr.isHelloRetryRequest)
        XCTAssertEqual(hrr.extensions.keyShareHelloRetryRequest, .secp384r1)
        for side in [pair.client, pair.server] {
            XCTAssertEqual(side.negotiated?.group, .secp384r1)
            XCTAssertEqual(side.negotiated?.usedHelloRetryRequest, true)
        }
        try await pair.assertDataFlows()
    }

    func testEnforceGroupPreferenceCausesHelloRetryRequest() async throws {
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp256r1, .x25519]
        // Without enforcement the server takes the X25519 share the client already sent.
        let relaxed = try makePair(server: server)
        await relaxed.handshake()
        XCTAssertEqual(relaxed.server.negotiated?.group, .x25519)
        XCTAssertEqual(relaxed.server.negotiated?.usedHelloRetryRequest, false)

        server.enforceGroupPreference = true
        let strict = try makePair(server: server)
        await strict.handshake()
        for side in [strict.client, strict.server] {
            XCTAssertEqual(side.negotiated?.group, .secp256r1)
            XCTAssertEqual(side.negotiated?.usedHelloRetryRequest, true)
        }
        try await strict.assertDataFlows()
    }

    func testHelloRetryRequestWithMiddleboxCompatibility() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.keyShareGroups = [.x25519]
        client.middleboxCompatibility = true
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp256r1]
        let pair = try makePair(client: client, server: server)
        await pair.handshake()
        XCTAssertEqual(pair.client.negotiated?.usedHelloRetryRequest, true)
        let hello = try decodeClientHello(pair.records(.clientToServer))
        XCTAssertEqual(hello.legacySessionID.count, 32)
        // Exactly one CCS each way (RFC 8446 §D.4), a single 0x01 byte, accepted by the peer.
        XCTAssertEqual(ccsRecords(pair.records(.clientToServer)).map(\.body), [[0x01]])
        XCTAssertEqual(ccsRecords(pair.records(.serverToClient)).map(\.body), [[0x01]])
        // The client's CCS comes right after the HRR, before the second ClientHello.
        let clientFlights = pair.log.filter { $0.direction == .clientToServer }.map(\.records)
        XCTAssertEqual(clientFlights[1].first?.contentType, ContentType.changeCipherSpec.rawValue)
        try await pair.assertDataFlows()
    }

    func testHelloRetryRequestWithoutMiddleboxCompatibility() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.keyShareGroups = [.x25519]
        client.middleboxCompatibility = false
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp256r1]
        let pair = try makePair(client: client, server: server)
        await pair.handshake()
        XCTAssertEqual(pair.server.negotiated?.usedHelloRetryRequest, true)
        XCTAssertEqual(try decodeClientHello(pair.records(.clientToServer)).legacySessionID, [])
        XCTAssertTrue(ccsRecords(pair.records(.clientToServer)).isEmpty)
        XCTAssertTrue(ccsRecords(pair.records(.serverToClient)).isEmpty)
        try await pair.assertDataFlows()
    }

    func testMiddleboxCompatibilityWithoutHelloRetry() async throws {
        let pair = try makePair()
        await pair.handshake()
        XCTAssertEqual(ccsRecords(pair.records(.clientToServer)).count, 1)
        XCTAssertEqual(ccsRecords(pair.records(.serverToClient)).count, 1)
        var client = EngineFixtures.clientConfiguration()
        client.middleboxCompatibility = false
        let plain = try makePair(client: client)
        await plain.handshake()
        XCTAssertTrue(ccsRecords(plain.records(.clientToServer)).isEmpty)
        XCTAssertTrue(ccsRecords(plain.records(.serverToClient)).isEmpty)
    }

    // MARK: Client authentication

    func clientAuthPair(_ mode: ClientAuthentication, clientIdentity: CertifiedKey?) throws -> InMemoryPair {
        var client = EngineFixtures.clientConfiguration()
        client.certificate = clientIdentity
        var server = EngineFixtures.serverConfiguration()
        server.clientAuthentication = mode
        return try makePair(client: client, server: server)
    }

    func testClientAuthenticationRequiredWithCertificate() async throws {
        let leaf = EngineFixtures.clientLeaf
        let pair = try clientAuthPair(.required(.trustRoots(EngineFixtures.ca.trustRoots)), clientIdentity: try leaf.certifiedKey)
        await pair.handshake()
        XCTAssertEqual(pair.server.negotiated?.peerCertificates, try leaf.chainDER)
        XCTAssertEqual(pair.server.negotiated?.clientSignatureScheme, .ecdsa_secp256r1_sha256)
        XCTAssertEqual(pair.client.negotiated?.clientSignatureScheme, .ecdsa_secp256r1_sha256)
        let sent = pair.records(.serverToClient)
        XCTAssertFalse(sent.isEmpty)
        try await pair.assertDataFlows()
    }

    func testClientAuthenticationRequiredWithoutCertificate() async throws {
        let pair = try clientAuthPair(.required(.trustRoots(EngineFixtures.ca.trustRoots)), clientIdentity: nil)
        await pair.assertSentAlert(.certificateRequired, by: .serverToClient)
        XCTAssertEqual(pair.client.failure?.alert, .certificateRequired)
        XCTAssertEqual(pair.client.failure?.origin, .peer)
    }

    func testClientAuthenticationOptionalWithoutCertificate() async throws {
        let pair = try clientAuthPair(.optional(.trustRoots(EngineFixtures.ca.trustRoots)), clientIdentity: nil)
        await pair.handshake()
        XCTAssertEqual(pair.server.negotiated?.peerCertificates, [])
        XCTAssertNil(pair.server.negotiated?.clientSignatureScheme)
        try await pair.assertDataFlows()
    }

    func testClientAuthenticationOptionalWithCertificateIsVerified() async throws {
        let pair = try clientAuthPair(.optional(.trustRoots(EngineFixtures.ca.trustRoots)),
                                      clientIdentity: try EngineFixtures.clientLeaf.certifiedKey)
        await pair.handshake()
        XCTAssertEqual(pair.server.negotiated?.peerCertificates.count, 1)
        // The same certificate from an untrusted CA is rejected even though authentication is optional.
        let stranger = try EngineFixtures.otherCA.issueLeaf(commonName: "stranger", dnsNames: [], eku: [.clientAuth])
        let rejected = try clientAuthPair(.optional(.trustRoots(EngineFixtures.ca.trustRoots)), clientIdentity: try stranger.certifiedKey)
        await rejected.assertSentAlert(.unknownCA, by: .serverToClient)
    }

    func testClientCertificateWithoutClientAuthEKUIsRejected() async throws {
        let serverOnly = try EngineFixtures.ca.issueLeaf(commonName: "not a client", dnsNames: [], eku: [.serverAuth])
        let pair = try clientAuthPair(.required(.trustRoots(EngineFixtures.ca.trustRoots)), clientIdentity: try serverOnly.certifiedKey)
        await pair.assertSentAlert(.unsupportedCertificate, by: .serverToClient)
        XCTAssertFalse(pair.server.isHandshakeComplete)
    }

    func testNoClientCertificateMessageWhenNotRequested() async throws {
        // No CertificateRequest: the client sends no Certificate at all.
        let pair = try makePair()
        await pair.handshake()
        let types = pair.client.takeEvents().compactMap { event -> HandshakeType? in
            if case .handshakeMessage(.sent, let type, _) = event { return type } else { return nil }
        }
        XCTAssertEqual(types, [.clientHello, .finished])
    }

    // MARK: ALPN

    func testALPNMatch() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.applicationProtocols = ["h2", "http/1.1"]
        var server = EngineFixtures.serverConfiguration()
        server.common.applicationProtocols = ["http/1.1", "h2"]
        let pair = try makePair(client: client, server: server)
        await pair.handshake()
        // The server's preference wins.
        XCTAssertEqual(pair.client.negotiated?.applicationProtocol, "http/1.1")
        XCTAssertEqual(pair.server.negotiated?.applicationProtocol, "http/1.1")
    }

    func testALPNNoOverlap() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.applicationProtocols = ["h2"]
        var server = EngineFixtures.serverConfiguration()
        server.common.applicationProtocols = ["http/1.1"]
        let pair = try makePair(client: client, server: server)
        await pair.assertSentAlert(.noApplicationProtocol, by: .serverToClient)
        XCTAssertEqual(pair.client.failure?.origin, .peer)
    }

    func testServerWithoutALPNIgnoresClientALPN() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.applicationProtocols = ["h2"]
        let pair = try makePair(client: client)
        await pair.handshake()
        XCTAssertNil(pair.client.negotiated?.applicationProtocol)
        XCTAssertNil(pair.server.negotiated?.applicationProtocol)
    }

    // MARK: SNI

    func testServerSeesSNI() async throws {
        let pair = try makePair()
        await pair.handshake()
        XCTAssertEqual(pair.server.negotiated?.serverName, EngineFixtures.serverName)
        let hello = try decodeClientHello(pair.records(.clientToServer))
        XCTAssertEqual(hello.extensions.serverNameValue, EngineFixtures.serverName)
    }

    func testNoSNIForIPAddressLiteral() async throws {
        let ipLeaf = try EngineFixtures.ca.issueLeaf(commonName: "ip", dnsNames: [], ips: ["192.0.2.7"], eku: [.serverAuth])
        let pair = try makePair(server: TLSServerConfiguration(certificate: try ipLeaf.certifiedKey), serverName: "192.0.2.7")
        await pair.handshake()
        XCTAssertNil(pair.server.negotiated?.serverName)
        XCTAssertNil(try decodeClientHello(pair.records(.clientToServer)).extensions.first(.serverName))
    }

    func testCertificateSelectorChoosesIdentityByName() async throws {
        let alpha = try EngineFixtures.ca.issueLeaf(keyType: .ed25519, commonName: "alpha", dnsNames: ["alpha.test"], eku: [.serverAuth])
        let beta = try EngineFixtures.ca.issueLeaf(keyType: .ecdsaP384, commonName: "beta", dnsNames: ["beta.test"], eku: [.serverAuth])
        let alphaKey = try alpha.certifiedKey
        let betaKey = try beta.certifiedKey
        let seen = KeyLogCollector()
        var server = TLSServerConfiguration(certificate: EngineFixtures.serverKey())
        server.certificateSelector = { name in
            seen.append(name ?? "(none)")
            switch name {
            case "alpha.test": return alphaKey
            case "beta.test": return betaKey
            default: return nil
            }
        }
        for (name, scheme, der) in [("alpha.test", SignatureScheme.ed25519, try alpha.chainDER),
                                    ("beta.test", .ecdsa_secp384r1_sha384, try beta.chainDER),
                                    (EngineFixtures.serverName, .ecdsa_secp256r1_sha256, try EngineFixtures.serverLeaves[.ecdsaP256]!.chainDER)] {
            let pair = try makePair(server: server, serverName: name)
            await pair.handshake()
            XCTAssertEqual(pair.client.negotiated?.peerCertificates, der, name)
            XCTAssertEqual(pair.client.negotiated?.serverSignatureScheme, scheme, name)
            XCTAssertEqual(pair.server.negotiated?.serverName, name)
        }
        XCTAssertEqual(seen.lines, ["alpha.test", "beta.test", EngineFixtures.serverName])
    }

    // MARK: KeyUpdate

    func keyUpdateEvents(_ connection: TLSConnection) -> [TLSEvent] {
        connection.takeEvents().filter {
            switch $0 {
            case .keyUpdated, .handshakeMessage(_, .keyUpdate, _): return true
            default: return false
            }
        }
    }

    func runKeyUpdate(initiator direction: FlightDirection, requestPeerUpdate: Bool) async throws {
        let pair = try makePair()
        await pair.handshake()
        try await pair.assertDataFlows("before")
        let initiator = pair.connection(direction)
        let responder = direction == .clientToServer ? pair.server : pair.client
        let back: FlightDirection = direction == .clientToServer ? .serverToClient : .clientToServer
        _ = initiator.takeEvents()
        _ = responder.takeEvents()

        try initiator.updateKeys(requestPeerUpdate: requestPeerUpdate)
        XCTAssertEqual(keyUpdateEvents(initiator), [.handshakeMessage(.sent, .keyUpdate, length: 5), .keyUpdated(.sent)])
        // Data written right after the update goes with the new key.
        try initiator.send(Array("after update".utf8))
        await pair.step(direction)
        XCTAssertEqual(responder.takeApplicationData(), Array("after update".utf8))
        if requestPeerUpdate {
            XCTAssertEqual(keyUpdateEvents(responder), [
                .handshakeMessage(.received, .keyUpdate, length: 5), .keyUpdated(.received),
                .handshakeMessage(.sent, .keyUpdate, length: 5), .keyUpdated(.sent),
            ])
            let answer = pair.takeFlight(back)
            XCTAssertEqual(answer.count, 1, "exactly one KeyUpdate in answer")
            await pair.deliver(answer.bytes, back)
            // The answer is update_not_requested: the initiator updates its read key and does not answer again.
            XCTAssertEqual(keyUpdateEvents(initiator), [.handshakeMessage(.received, .keyUpdate, length: 5), .keyUpdated(.received)])
            XCTAssertFalse(initiator.hasOutput)
        } else {
            XCTAssertEqual(keyUpdateEvents(responder), [.handshakeMessage(.received, .keyUpdate, length: 5), .keyUpdated(.received)])
            XCTAssertFalse(responder.hasOutput)
        }
        XCTAssertNil(pair.clientError)
        XCTAssertNil(pair.serverError)
        try await pair.assertDataFlows("after")
        try await pair.assertDataFlows("again")
    }

    func testClientKeyUpdateWithoutRequest() async throws { try await runKeyUpdate(initiator: .clientToServer, requestPeerUpdate: false) }
    func testClientKeyUpdateWithRequest() async throws { try await runKeyUpdate(initiator: .clientToServer, requestPeerUpdate: true) }
    func testServerKeyUpdateWithoutRequest() async throws { try await runKeyUpdate(initiator: .serverToClient, requestPeerUpdate: false) }
    func testServerKeyUpdateWithRequest() async throws { try await runKeyUpdate(initiator: .serverToClient, requestPeerUpdate: true) }

    func testKeyUpdateBeforeHandshakeIsRefused() throws {
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        XCTAssertThrowsError(try client.updateKeys(requestPeerUpdate: true))
    }

    /// RFC 8446 §5.5: when the write key nears its AEAD usage limit, the sender updates it by itself.
    func testAEADUsageLimitForcesKeyUpdate() async throws {
        for suite in [CipherSuite.TLS_AES_128_GCM_SHA256, .TLS_CHACHA20_POLY1305_SHA256] {
            var client = EngineFixtures.clientConfiguration()
            client.common.cipherSuites = [suite]
            let pair = try makePair(client: client)
            await pair.handshake()
            let limit = try XCTUnwrap(TLS13SuiteParameters(suite)).recordLimitPerKey
            // Move both ends of the client → server direction to two records below the limit (through the record
            // layer on purpose: reaching 2^24 records through the public API would take hours).
            let write = try XCTUnwrap(pair.client.records.writeProtection)
            let read = try XCTUnwrap(pair.server.records.readProtection)
            pair.client.records.writeProtection = RecordProtection(aead: write.aead, iv: write.iv, sequenceNumber: limit - 2)
            pair.server.records.readProtection = RecordProtection(aead: read.aead, iv: read.iv, sequenceNumber: limit - 2)
            _ = pair.client.takeEvents()
            _ = pair.server.takeEvents()

            let payload = testPayload(count: 4 * 16384, seed: 9)
            try pair.client.send(payload)
            XCTAssertEqual(keyUpdateEvents(pair.client), [.handshakeMessage(.sent, .keyUpdate, length: 5), .keyUpdated(.sent)], "\(suite)")
            XCTAssertEqual(pair.client.records.recordsWrittenWithCurrentKey, 2, "\(suite)")
            let records = pair.takeFlight(.clientToServer)
            XCTAssertEqual(records.count, 5, "\(suite): 2 data records, KeyUpdate, 2 data records")
            await pair.deliver(records.bytes, .clientToServer)
            XCTAssertNil(pair.serverError, "\(suite)")
            XCTAssertEqual(pair.server.takeApplicationData(), payload, "\(suite)")
            XCTAssertEqual(keyUpdateEvents(pair.server), [.handshakeMessage(.received, .keyUpdate, length: 5), .keyUpdated(.received)])
            try await pair.assertDataFlows()
        }
    }

    // MARK: Closure

    func testCloseNotify() async throws {
        let pair = try makePair()
        await pair.handshake()
        _ = pair.server.takeEvents()
        try pair.client.send(Array("last words".utf8))
        pair.client.close()
        XCTAssertTrue(pair.client.sentCloseNotify)
        XCTAssertThrowsError(try pair.client.send([1]))
        await pair.step(.clientToServer)
        XCTAssertEqual(pair.server.takeApplicationData(), Array("last words".utf8))
        XCTAssertTrue(pair.server.peerClosed)
        XCTAssertEqual(pair.server.takeEvents(), [.peerClosed])
        XCTAssertNil(pair.server.failure)
        // Half-close: the server can still send, then closes too.
        let reply = try await pair.transfer(Array("goodbye".utf8), .serverToClient, chunkSizes: [100])
        XCTAssertEqual(reply, Array("goodbye".utf8))
        pair.server.close()
        await pair.step(.serverToClient)
        XCTAssertTrue(pair.client.peerClosed)
        XCTAssertTrue(pair.client.takeEvents().contains(.peerClosed))
        XCTAssertNil(pair.clientError)
        XCTAssertNil(pair.serverError)
    }

    // MARK: Exporter and key log

    func testExporterValuesAgree() async throws {
        for suite in [CipherSuite.TLS_AES_128_GCM_SHA256, .TLS_AES_256_GCM_SHA384] {
            var client = EngineFixtures.clientConfiguration()
            client.common.cipherSuites = [suite]
            let pair = try makePair(client: client)
            XCTAssertThrowsError(try pair.client.exportKeyingMaterial(label: "EXPORTER-test", context: [], length: 32))
            await pair.handshake()
            let a = try pair.client.exportKeyingMaterial(label: "EXPORTER-test", context: [1, 2, 3], length: 32)
            let b = try pair.server.exportKeyingMaterial(label: "EXPORTER-test", context: [1, 2, 3], length: 32)
            XCTAssertEqual(a, b)
            XCTAssertEqual(a.count, 32)
            XCTAssertNotEqual(a, try pair.client.exportKeyingMaterial(label: "EXPORTER-other", context: [1, 2, 3], length: 32))
            XCTAssertNotEqual(a, try pair.client.exportKeyingMaterial(label: "EXPORTER-test", context: [], length: 32))
            let long = try pair.server.exportKeyingMaterial(label: "EXPORTER-test", context: [], length: 200)
            XCTAssertEqual(long, try pair.client.exportKeyingMaterial(label: "EXPORTER-test", context: [], length: 200))
            // A different connection exports different material.
            let other = try makePair(client: client)
            await other.handshake()
            XCTAssertNotEqual(a, try other.client.exportKeyingMaterial(label: "EXPORTER-test", context: [1, 2, 3], length: 32))
        }
    }

    func testKeyLogLinesMatchAndUseNSSFormat() async throws {
        for (suite, secretLength) in [(CipherSuite.TLS_AES_128_GCM_SHA256, 32), (.TLS_AES_256_GCM_SHA384, 48)] {
            let clientLog = KeyLogCollector()
            let serverLog = KeyLogCollector()
            var client = EngineFixtures.clientConfiguration()
            client.common.cipherSuites = [suite]
            client.common.keyLog = clientLog.callback
            var server = EngineFixtures.serverConfiguration()
            server.common.keyLog = serverLog.callback
            let pair = try makePair(client: client, server: server)
            await pair.handshake()
            let labels = ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                          "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"]
            XCTAssertEqual(clientLog.lines.count, 5)
            XCTAssertEqual(clientLog.lines, serverLog.lines)
            let random = hex(try decodeClientHello(pair.records(.clientToServer)).random)
            for (line, label) in zip(clientLog.lines, labels) {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                XCTAssertEqual(parts.count, 3, line)
                XCTAssertEqual(parts[0], label)
                XCTAssertEqual(parts[1], random, "the client random, lowercase hex")
                XCTAssertEqual(parts[2].count, 2 * secretLength, line)
                XCTAssertTrue(parts[2].allSatisfy { "0123456789abcdef".contains($0) }, line)
            }
            // The logged secrets really are the traffic secrets: they open the server's first protected record.
            let secret = try XCTUnwrap(clientLog.secret("SERVER_HANDSHAKE_TRAFFIC_SECRET"))
            var opener = try RecordForger(secret: secret, suite: suite)
            let encrypted = pair.records(.serverToClient).filter { $0.contentType == 23 }
            let opened = try opener.open([try XCTUnwrap(encrypted.first)])
            XCTAssertEqual(opened.first?.0, .handshake)
            XCTAssertEqual(opened.first?.1.first, HandshakeType.encryptedExtensions.rawValue)
        }
    }

    // MARK: Determinism and GREASE

    func testSeededRandomSourceGivesIdenticalClientHello() throws {
        func hello(seed: UInt64) throws -> [UInt8] {
            var config = EngineFixtures.clientConfiguration()
            config.common.supportedGroups = [.x25519]
            config.common.randomSource = SeededRandom(seed: seed)
            return try TLSConnection(client: config, serverName: EngineFixtures.serverName).takeOutput()
        }
        let a = try hello(seed: 7)
        XCTAssertFalse(a.isEmpty)
        XCTAssertEqual(a, try hello(seed: 7))
        XCTAssertNotEqual(a, try hello(seed: 8))
    }

    func testSeededHandshakeIsReproducible() async throws {
        // Ed25519 signatures are deterministic, so with seeded randomness on both sides every byte repeats.
        let fixed = Date()
        func run() async throws -> [[WireRecord]] {
            var client = EngineFixtures.clientConfiguration()
            client.common.supportedGroups = [.x25519]
            client.common.randomSource = SeededRandom(seed: 1)
            var server = EngineFixtures.serverConfiguration(.ed25519)
            server.common.randomSource = SeededRandom(seed: 2)
            // Tickets carry their creation time and are sealed under a ticket key: pin both so they repeat too.
            server.common.now = { fixed }
            client.common.now = { fixed }
            server.sessionTicketKeys = try TicketKeyRing(keys: [TicketKey(name: Array(repeating: 1, count: 16),
                                                                          key: Array(repeating: 2, count: 32), created: Date())])
            let pair = try makePair(client: client, server: server)
            await pair.handshake()
            return pair.log.map(\.records)
        }
        let first = try await run()
        let second = try await run()
        XCTAssertEqual(first, second)
    }

    func testGREASEInClientHelloIsIgnoredByServer() async throws {
        let pair = try makePair()
        await pair.handshake()
        let hello = try decodeClientHello(pair.records(.clientToServer))
        XCTAssertTrue(hello.cipherSuites.contains { Grease.isGrease($0.rawValue) }, "GREASE cipher suite")
        XCTAssertTrue(hello.extensions.supportedGroups?.contains { Grease.isGrease($0.rawValue) } ?? false, "GREASE group")
        XCTAssertTrue(hello.extensions.keyShareClient?.contains { Grease.isGrease($0.group.rawValue) } ?? false, "GREASE key share")
        XCTAssertTrue(hello.extensions.supportedVersionsClient?.contains { Grease.isGrease($0.rawValue) } ?? false, "GREASE version")
        XCTAssertGreaterThanOrEqual(hello.extensions.filter { Grease.isGrease($0.type.rawValue) }.count, 2, "GREASE extensions")
        let negotiated = try XCTUnwrap(pair.server.negotiated)
        XCTAssertFalse(Grease.isGrease(negotiated.cipherSuite.rawValue))
        XCTAssertFalse(Grease.isGrease(negotiated.group?.rawValue ?? 0x0A0A))

        var client = EngineFixtures.clientConfiguration()
        client.grease = false
        let plain = try makePair(client: client)
        await plain.handshake()
        let plainHello = try decodeClientHello(plain.records(.clientToServer))
        XCTAssertFalse(plainHello.cipherSuites.contains { Grease.isGrease($0.rawValue) })
        XCTAssertFalse(plainHello.extensions.contains { Grease.isGrease($0.type.rawValue) })
    }

    // MARK: Early writes

    func testApplicationDataWrittenBeforeHandshakeIsDeliveredAfter() async throws {
        let pair = try makePair()
        let early = testPayload(count: 40_000, seed: 3)
        try pair.client.send(early)
        // The first flight is only the ClientHello: no data may leave before the keys exist.
        let firstFlight = pair.takeFlight(.clientToServer)
        XCTAssertEqual(firstFlight.map(\.contentType), [ContentType.handshake.rawValue])
        await pair.deliver(firstFlight.bytes, .clientToServer)
        try pair.server.send(Array("server early".utf8))
        XCTAssertTrue(pair.server.takeApplicationData().isEmpty)
        await pair.handshake()
        XCTAssertEqual(pair.server.takeApplicationData(), early)
        XCTAssertEqual(pair.client.takeApplicationData(), Array("server early".utf8))
        let events = pair.client.takeEvents()
        XCTAssertEqual(events.filter { $0 == .handshakeCompleted }.count, 1)
    }
}

/// close() before the handshake completes.
final class EngineEarlyCloseTests: XCTestCase {
    func testCloseAfterQueuedDataSendsTheDataFirst() async throws {
        for side in [FlightDirection.clientToServer, .serverToClient] {
            let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
            if side == .serverToClient { await pair.step(.clientToServer) }
            let sender = pair.connection(side)
            let receiver = side == .clientToServer ? pair.server : pair.client
            try sender.send(Array("queued before the handshake".utf8))
            sender.close()
            XCTAssertThrowsError(try sender.send([1]))
            await pair.handshake()
            XCTAssertEqual(receiver.takeApplicationData(), Array("queued before the handshake".utf8), "\(side)")
            XCTAssertTrue(receiver.peerClosed, "\(side)")
            XCTAssertTrue(receiver.takeEvents().contains(.peerClosed))
            // The close_notify is the sender's last record, after the data.
            let last = try XCTUnwrap(pair.records(side).last)
            XCTAssertEqual(last.contentType, ContentType.applicationData.rawValue)
            XCTAssertEqual(pair.records(side).filter { $0.plaintextAlert != nil }.count, 0)
        }
    }

    func testFailureWhileCloseIsDeferredStillSendsTheAlert() async throws {
        let log = KeyLogCollector()
        var server = EngineFixtures.serverConfiguration()
        server.common.keyLog = log.callback
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server)
        try pair.client.send([1, 2, 3])
        pair.client.close()
        pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log) { messages in messages[messages.count - 1][8] ^= 1 }
        await pair.assertSentAlert(.decryptError, by: .clientToServer)
        XCTAssertEqual(pair.server.failure?.origin, .peer)
    }
}

/// Cipher suite choice: the server's order by default, the client's on request.
final class EngineCipherOrderTests: XCTestCase {
    func testServerOrClientCipherOrder() async throws {
        for (preferServer, expected) in [(true, CipherSuite.TLS_AES_128_GCM_SHA256), (false, .TLS_CHACHA20_POLY1305_SHA256)] {
            var client = EngineFixtures.clientConfiguration()
            client.common.cipherSuites = [.TLS_CHACHA20_POLY1305_SHA256, .TLS_AES_256_GCM_SHA384, .TLS_AES_128_GCM_SHA256]
            var server = EngineFixtures.serverConfiguration()
            server.preferServerCipherOrder = preferServer
            let pair = try InMemoryPair(client: client, server: server)
            await pair.handshake()
            XCTAssertEqual(pair.client.negotiated?.cipherSuite, expected)
            XCTAssertEqual(pair.server.negotiated?.cipherSuite, expected)
        }
    }

    func testNonTLS13SuitesOfferedByTheClientAreIgnored() async throws {
        var hello = try freshClientHello { $0.common.cipherSuites = [.TLS_AES_256_GCM_SHA384] }
        hello.cipherSuites.insert(contentsOf: [CipherSuite(rawValue: 0xC02F), CipherSuite(rawValue: 0x009C)], at: 0)
        let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
        let error = await feed(server, clientHelloRecord(hello))
        XCTAssertNil(error)
        let records = WireRecord.parse(server.takeOutput()).records
        guard case .serverHello(let serverHello) = try HandshakeMessage.decode(records[0].body) else { return XCTFail("no ServerHello") }
        XCTAssertEqual(serverHello.cipherSuite, .TLS_AES_256_GCM_SHA384)
    }
}

final class EngineOutputBufferTests: XCTestCase {
    // MARK: Output buffers

    /// takeOutput(into:) hands over the same bytes takeOutput() would, drops what the buffer held before, and leaves
    /// nothing behind; records written with the swapped-in storage decrypt on the other side in order.
    func testTakeOutputIntoSwapsBuffersAndKeepsTheStream() async throws {
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        await pair.handshake()
        XCTAssertTrue(pair.client.isHandshakeComplete && pair.server.isHandshakeComplete)
        var buffer: [UInt8] = Array("stale bytes from an earlier write".utf8)
        var received: [UInt8] = []
        var sent: [UInt8] = []
        for round in 0..<6 {
            let payload = testPayload(count: 3000 + 7000 * round, seed: UInt64(round))
            sent += payload
            try pair.client.send(payload)
            pair.client.takeOutput(into: &buffer)
            XCTAssertFalse(pair.client.hasOutput)
            XCTAssertEqual(pair.client.takeOutput(), [], "nothing left behind")
            try pair.server.receive(buffer)
            received += pair.server.takeApplicationData()
        }
        XCTAssertEqual(received, sent)
        // Nothing pending: the buffer comes back empty.
        pair.client.takeOutput(into: &buffer)
        XCTAssertEqual(buffer, [])
    }
}
