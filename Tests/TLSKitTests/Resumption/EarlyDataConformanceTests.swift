import Foundation
import XCTest
@testable import TLSKit

/// A client and a server that both do 0-RTT, sharing one CA.
enum EarlyDataFixtures {
    static let ca = Result { try TestPKI.makeCA() }
    static let request = Array("GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)

    static func makeConfigs() throws -> (TLSClientConfiguration, TLSServerConfiguration) {
        let ca = try Self.ca.get()
        var client = TLSClientConfiguration()
        client.peerVerification = .trustRoots(ca.trustRoots)
        client.sessionCache = ClientSessionCache()
        client.enableEarlyData = true
        var server = TLSServerConfiguration(certificate: try ca.issueLeaf().certifiedKey)
        server.maxEarlyDataSize = 16_384
        return (client, server)
    }

    /// A full handshake that leaves tickets in the client's cache.
    static func prime(_ client: TLSClientConfiguration, _ server: TLSServerConfiguration) async throws {
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertTrue(c.isHandshakeComplete)
    }
}

/// RFC 8446 §4.2.10 and §8 rules for 0-RTT that an outside review found broken (issue 11, findings 5 and 10).
final class EarlyDataConformanceTests: XCTestCase {
    let request = EarlyDataFixtures.request

    func makeConfigs() throws -> (TLSClientConfiguration, TLSServerConfiguration) { try EarlyDataFixtures.makeConfigs() }

    func prime(_ client: TLSClientConfiguration, _ server: TLSServerConfiguration) async throws {
        try await EarlyDataFixtures.prime(client, server)
    }

    /// A ticket issued under "h2"; the server now selects "http/1.1" (and so rejects the early data). The HTTP/2
    /// preface must not reach the server as HTTP/1.1 data: it is handed back to the application.
    func testRejectedEarlyDataIsNotResentUnderAnotherApplicationProtocol() async throws {
        var (client, server) = try makeConfigs()
        client.common.applicationProtocols = ["h2", "http/1.1"]
        server.common.applicationProtocols = ["h2"]
        try await prime(client, server)
        server.common.applicationProtocols = ["http/1.1"]
        let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        let c = try TLSConnection(client: client, serverName: "localhost")
        try c.sendEarlyData(preface)
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertEqual(c.negotiated?.applicationProtocol, "http/1.1")
        XCTAssertEqual(c.earlyDataAccepted, false)
        XCTAssertEqual(s.takeEarlyData(), [])
        XCTAssertEqual(s.takeApplicationData(), [], "rejected early data was resent under another ALPN protocol")
        XCTAssertEqual(c.takeRejectedEarlyData(), preface)
        XCTAssertEqual(c.takeRejectedEarlyData(), [])
    }

    /// The same ALPN protocol: the rejected data is resent, and nothing is handed back.
    func testRejectedEarlyDataIsResentUnderTheSameApplicationProtocol() async throws {
        var (client, server) = try makeConfigs()
        client.common.applicationProtocols = ["h2"]
        server.common.applicationProtocols = ["h2"]
        try await prime(client, server)
        server.maxEarlyDataSize = 0
        let c = try TLSConnection(client: client, serverName: "localhost")
        try c.sendEarlyData(request)
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertEqual(c.earlyDataAccepted, false)
        XCTAssertEqual(s.takeApplicationData(), request)
        XCTAssertEqual(c.takeRejectedEarlyData(), [])
    }

    /// After a HelloRetryRequest the server skips the client's early data without a read key: a record of the
    /// largest protected size (2^14 + 256) is skipped, not a record_overflow.
    func testFullSizeEarlyDataRecordIsSkippedAfterHelloRetryRequest() async throws {
        var (client, server) = try makeConfigs()
        try await prime(client, server)
        client.keyShareGroups = [.x25519]
        server.common.supportedGroups = [.secp384r1]
        let data = [UInt8](repeating: 0x42, count: 16_384)
        let c = try TLSConnection(client: client, serverName: "localhost")
        try c.sendEarlyData(data)
        let flight = WireRecord.parse(c.takeOutput()).records
        XCTAssertTrue(flight.contains { $0.contentType == ContentType.applicationData.rawValue && $0.body.count > 16_384 },
                      "the test needs an early-data record above 2^14 bytes")
        let s = try TLSConnection(server: server)
        try s.receive(flight.bytes)
        XCTAssertNil(s.failure)
        try await shuttle(c, s)
        XCTAssertNil(c.failure)
        XCTAssertEqual(c.negotiated?.usedHelloRetryRequest, true)
        XCTAssertEqual(s.takeApplicationData(), data)
    }

    /// A client that offered early data and gets a TLS 1.2 ServerHello aborts (RFC 8446 §4.2.10) instead of going on
    /// with its early data sent under a TLS 1.3 key.
    func testTLS12ServerHelloAfterEarlyDataIsProtocolVersion() async throws {
        var (client, server) = try makeConfigs()
        try await prime(client, server)
        server.common.maximumVersion = .tls12
        let pair = try InMemoryPair(client: client, server: server, serverName: "localhost")
        try pair.client.sendEarlyData(request)
        // Only the ClientHello reaches the server (a TLS 1.2 server cannot read the early data after it).
        let hello = pair.takeFlight(.clientToServer).filter { $0.contentType == ContentType.handshake.rawValue }
        await pair.deliver(hello.bytes, .clientToServer)
        XCTAssertNil(pair.serverError)
        await pair.step(.serverToClient)
        XCTAssertEqual(pair.clientError?.alert, .protocolVersion)
        XCTAssertNil(pair.client.negotiated)
        XCTAssertFalse(pair.takeFlight(.clientToServer).contains { $0.contentType == ContentType.handshake.rawValue },
                       "the client went on with the TLS 1.2 handshake")
    }

    /// RFC 8446 §8.2: tickets issued before the replay guard started (a restart, with ticket keys kept in a file)
    /// never carry early data: the guard cannot know whether they already did.
    func testTicketsFromBeforeTheReplayGuardStartedCarryNoEarlyData() async throws {
        var (client, server) = try makeConfigs()
        try await prime(client, server)
        // The "restarted" server: same ticket keys, a fresh guard.
        server.earlyDataReplayGuard = EarlyDataReplayGuard(startedAt: Date().addingTimeInterval(1))
        let c = try TLSConnection(client: client, serverName: "localhost")
        try c.sendEarlyData(request)
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertEqual(c.negotiated?.resumed, true, "the ticket still resumes")
        XCTAssertEqual(c.earlyDataAccepted, false)
        XCTAssertEqual(s.takeEarlyData(), [])
        XCTAssertEqual(s.takeApplicationData(), request, "rejected early data is resent as 1-RTT data")
    }

    /// A server that accepts early data must keep the ticket's cipher suite and ALPN protocol (RFC 8446 §4.2.10).
    func testAcceptingEarlyDataUnderAnotherProtocolIsIllegalParameter() async throws {
        var (client, server) = try makeConfigs()
        client.common.applicationProtocols = ["h2", "http/1.1"]
        server.common.applicationProtocols = ["h2"]
        try await prime(client, server)
        // A broken server: it accepts early data but selects another protocol.
        server.common.applicationProtocols = ["http/1.1"]
        server.encryptedExtensionsCustomizer = { extensions in
            if !extensions.contains(where: { $0.type == .earlyData }) { extensions.append(.earlyData(maxEarlyDataSize: nil)) }
        }
        let pair = try InMemoryPair(client: client, server: server, serverName: "localhost")
        try pair.client.sendEarlyData(request)
        await pair.run()
        XCTAssertEqual(pair.clientError?.alert, .illegalParameter)
    }
}

/// RFC 8449 record_size_limit in TLS 1.2 (issue 11, finding 10): the client applies the server's limit.
final class TLS12RecordSizeLimitTests: XCTestCase {
    func testTLS12ClientAndServerHonourTheNegotiatedRecordSizeLimit() async throws {
        var client = EngineFixtures.clientConfiguration()
        var server = EngineFixtures.serverConfiguration()
        client.common.maximumVersion = .tls12
        server.common.maximumVersion = .tls12
        client.common.recordSizeLimit = 2_000
        server.common.recordSizeLimit = 1_000
        let pair = try InMemoryPair(client: client, server: server)
        await pair.run()
        XCTAssertNil(pair.clientError)
        XCTAssertEqual(pair.client.negotiated?.version, .tls12)
        try pair.client.send([UInt8](repeating: 1, count: 5_000))
        try pair.server.send([UInt8](repeating: 2, count: 5_000))
        let fromClient = pair.takeFlight(.clientToServer)
        let fromServer = pair.takeFlight(.serverToClient)
        // TLS 1.2 AES-GCM records: 8-byte explicit nonce + plaintext + 16-byte tag.
        XCTAssertEqual(fromClient.map(\.body.count).max(), 1_000 + 8 + 16, "the client ignored the server's record_size_limit")
        XCTAssertEqual(fromServer.map(\.body.count).max(), 2_000 + 8 + 16)
        try pair.server.receive(fromClient.bytes)
        try pair.client.receive(fromServer.bytes)
        XCTAssertEqual(pair.server.takeApplicationData().count, 5_000)
        XCTAssertEqual(pair.client.takeApplicationData().count, 5_000)
    }

    func testTLS12RecordBeyondOurNegotiatedLimitIsRecordOverflow() async throws {
        // RFC 8449 §4: a record larger than the limit we announced (and the peer acknowledged) is record_overflow.
        for limitedSide in [TLSConnection.Role.server, .client] {
            var client = EngineFixtures.clientConfiguration()
            var server = EngineFixtures.serverConfiguration()
            client.common.maximumVersion = .tls12
            server.common.maximumVersion = .tls12
            client.common.recordSizeLimit = 1_000
            server.common.recordSizeLimit = 1_000
            let pair = try InMemoryPair(client: client, server: server)
            await pair.run()
            XCTAssertNil(pair.clientError)
            // The peer misbehaves: it ignores our limit (its record layer is told to send full-size records).
            let (sender, receiver) = limitedSide == .server ? (pair.client, pair.server) : (pair.server, pair.client)
            sender.records.maxOutgoingFragment = RecordLimits.maxPlaintext
            try sender.send([UInt8](repeating: 7, count: 1_001))
            XCTAssertThrowsError(try receiver.receive(sender.takeOutput())) { error in
                XCTAssertEqual((error as? TLSError)?.cause, .peerMisbehaved(.recordOverflow), "\(limitedSide)")
            }
            XCTAssertTrue(receiver.takeApplicationData().isEmpty, "\(limitedSide)")
            // Exactly the limit is fine.
            let fine = try InMemoryPair(client: client, server: server)
            await fine.run()
            try fine.client.send([UInt8](repeating: 7, count: 1_000))
            try fine.server.receive(fine.client.takeOutput())
            XCTAssertEqual(fine.server.takeApplicationData().count, 1_000)
        }
    }

    func testTLS12RecordSizeLimitBelow64IsIllegalParameter() async throws {
        var client = EngineFixtures.clientConfiguration()
        var server = EngineFixtures.serverConfiguration()
        client.common.maximumVersion = .tls12
        server.common.maximumVersion = .tls12
        client.clientHelloCustomizer = { hello, _ in hello.extensions.append(.recordSizeLimit(63)) }   // below the floor
        let pair = try InMemoryPair(client: client, server: server)
        await pair.run()
        XCTAssertEqual(pair.serverError?.alert, .illegalParameter)
    }
}

/// The server's side of 0-RTT facts and 0.5-RTT data (issue 12).
final class ServerEarlyDataFactsTests: XCTestCase {
    let request = EarlyDataFixtures.request

    func testServerKnowsWhetherAndWhyItAcceptedEarlyData() async throws {
        var (client, server) = try EarlyDataFixtures.makeConfigs()
        try await EarlyDataFixtures.prime(client, server)
        let original = server
        func attempt(_ server: TLSServerConfiguration, _ client: TLSClientConfiguration) async throws -> TLSConnection {
            try await EarlyDataFixtures.prime(client, original)   // a fresh ticket that allows early data
            let c = try TLSConnection(client: client, serverName: "localhost")
            if c.earlyDataCapacity > 0 { try c.sendEarlyData(request) }
            let s = try TLSConnection(server: server)
            try await shuttle(c, s)
            return s
        }
        let accepted = try await attempt(server, client)
        XCTAssertEqual(accepted.earlyDataAccepted, true)
        XCTAssertNil(accepted.earlyDataRejectionReason)

        var disabled = server
        disabled.maxEarlyDataSize = 0
        let off = try await attempt(disabled, client)
        XCTAssertEqual(off.earlyDataAccepted, false)
        XCTAssertEqual(off.earlyDataRejectionReason, .disabled)

        var restarted = server
        restarted.earlyDataReplayGuard = EarlyDataReplayGuard(startedAt: Date().addingTimeInterval(3600))
        let afterRestart = try await attempt(restarted, client)
        XCTAssertEqual(afterRestart.earlyDataRejectionReason, .ticketFromBeforeRestart)

        var retry = server
        retry.common.supportedGroups = [.secp384r1]
        client.keyShareGroups = [.x25519]
        let retried = try await attempt(retry, client)
        XCTAssertEqual(retried.earlyDataRejectionReason, .helloRetryRequest)

        // No early data offered: nothing to say.
        var plain = client
        plain.enableEarlyData = false
        let none = try await attempt(server, plain)
        XCTAssertNil(none.earlyDataAccepted)
        XCTAssertNil(none.earlyDataRejectionReason)
    }

    func testReplayedEarlyDataIsReportedAsReplayed() async throws {
        let (client, server) = try EarlyDataFixtures.makeConfigs()
        try await EarlyDataFixtures.prime(client, server)
        let c = try TLSConnection(client: client, serverName: "localhost")
        try c.sendEarlyData(request)
        let flight = c.takeOutput()
        let first = try TLSConnection(server: server)
        try first.receive(flight)
        let replay = try TLSConnection(server: server)
        try replay.receive(flight)
        XCTAssertEqual(first.earlyDataAccepted, true)
        XCTAssertEqual(replay.earlyDataAccepted, false)
        XCTAssertEqual(replay.earlyDataRejectionReason, .replayed)
    }

    /// With `sendHalfRTTData`, what a server-speaks-first server wrote before the ClientHello arrives goes out right
    /// after its Finished: the client reads it as soon as it has processed the server's first flight.
    func testHalfRTTDataGoesOutWithTheServersFirstFlight() async throws {
        var server = EngineFixtures.serverConfiguration()
        server.sendHalfRTTData = true
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server)
        let greeting = Array("220 ready\r\n".utf8)
        try pair.server.send(greeting)
        await pair.step(.clientToServer)                 // ClientHello
        try pair.server.send(Array("more\r\n".utf8))     // written while the client's Finished is still on its way
        await pair.step(.serverToClient)                 // the server's flight, with the data behind its Finished
        XCTAssertNil(pair.clientError)
        XCTAssertTrue(pair.client.isHandshakeComplete)
        XCTAssertFalse(pair.server.isHandshakeComplete)
        XCTAssertEqual(pair.client.takeApplicationData(), greeting + Array("more\r\n".utf8))
        await pair.handshake()
        XCTAssertTrue(pair.server.isHandshakeComplete)
    }

    func testNoHalfRTTDataByDefaultOrWhenAClientCertificateIsRequested() async throws {
        var asking = EngineFixtures.serverConfiguration()
        asking.sendHalfRTTData = true
        asking.clientAuthentication = .optional(.trustRoots(EngineFixtures.ca.trustRoots))
        for server in [EngineFixtures.serverConfiguration(), asking] {
            let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server)
            try pair.server.send(Array("hello".utf8))
            await pair.step(.clientToServer)
            await pair.step(.serverToClient)
            XCTAssertEqual(pair.client.takeApplicationData(), [])
            await pair.handshake()
            XCTAssertEqual(pair.client.takeApplicationData(), Array("hello".utf8))
        }
    }
}
