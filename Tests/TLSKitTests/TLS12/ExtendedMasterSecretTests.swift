import Foundation
import TLSWire
import XCTest
@testable import TLSKit

/// RFC 7627 extended master secret in TLS 1.2, both roles:
/// - by default a full handshake without it is accepted (`requireExtendedMasterSecret = false`); strict mode refuses
///   it with handshake_failure;
/// - `NegotiatedParameters.extendedMasterSecret` says which one was used (always true for TLS 1.3);
/// - a session without it is never resumed: the server issues no ticket or session ID for it and does a full
///   handshake when offered one; the client neither stores nor offers it;
/// - §5.3: resuming a session that used it without it is handshake_failure (server: the ClientHello lacks it; client:
///   the ServerHello lacks it);
/// - keying-material exporters refuse a connection without it (internal_error, nothing sent) unless opted in.
///
/// "Without EMS" on our client means a `clientHelloCustomizer` that drops the extension; the server then does not
/// echo it, so both roles see a handshake without it.
final class ExtendedMasterSecretTests: XCTestCase {
    static let ca = Result { try TestPKI.makeCA() }

    private func clientConfig(withoutEMS: Bool = false) throws -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.peerVerification = .trustRoots(try Self.ca.get().trustRoots)
        config.common.maximumVersion = .tls12
        config.sessionCache = ClientSessionCache()
        if withoutEMS {
            config.clientHelloCustomizer = { hello, _ in hello.extensions.removeAll { $0.type == .extendedMasterSecret } }
        }
        // Stated, not inherited: tests of the server's rules must not depend on the client's default.
        config.common.requireExtendedMasterSecret = false
        return config
    }

    private func serverConfig() throws -> TLSServerConfiguration {
        var config = TLSServerConfiguration(certificate: try Self.ca.get().issueLeaf().certifiedKey)
        // Stated, not inherited: tests of the client's rules must not depend on the server's default.
        config.common.requireExtendedMasterSecret = false
        return config
    }

    /// A completed handshake (and data both ways) between the two configurations.
    @discardableResult
    private func connect(_ client: TLSClientConfiguration, _ server: TLSServerConfiguration,
                         file: StaticString = #filePath, line: UInt = #line) async throws -> (TLSConnection, TLSConnection) {
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertTrue(c.isHandshakeComplete, file: file, line: line)
        XCTAssertTrue(s.isHandshakeComplete, file: file, line: line)
        XCTAssertEqual(c.negotiated?.version, .tls12, file: file, line: line)
        try c.send([1, 2, 3])
        try s.send([4, 5, 6])
        try await shuttle(c, s)
        XCTAssertEqual(s.takeApplicationData(), [1, 2, 3], file: file, line: line)
        XCTAssertEqual(c.takeApplicationData(), [4, 5, 6], file: file, line: line)
        return (c, s)
    }

    private struct UnexpectedMessage: Error {}

    /// The first handshake message in `bytes` (plaintext records), decoded as TLS 1.2 defines it.
    private func firstMessage(_ bytes: [UInt8]) throws -> HandshakeMessage {
        let record = try XCTUnwrap(splitRecords(bytes).first)
        XCTAssertEqual(record.first, 0x16)
        let message = try XCTUnwrap(splitHandshakeMessages(Array(record[5...])).first)
        return try HandshakeMessage.decode(message, version: .tls12)
    }

    /// The ClientHello in a client's first flight.
    private func clientHello(in flight: [UInt8]) throws -> ClientHello {
        guard case .clientHello(let hello) = try firstMessage(flight) else { throw UnexpectedMessage() }
        return hello
    }

    /// The fatal alert in `connection`'s pending output, if any.
    private func alertSent(by connection: TLSConnection) -> AlertDescription? {
        let records = splitRecords(connection.takeOutput())
        guard let alert = records.last(where: { $0.first == 0x15 }), alert.count == 7 else { return nil }
        return AlertDescription(rawValue: alert[6])
    }

    private func sentTypes(_ connection: TLSConnection) -> [HandshakeType] {
        connection.takeEvents().compactMap {
            if case .handshakeMessage(.sent, let type, _) = $0 { return type } else { return nil }
        }
    }

    // MARK: - Reporting

    /// With EMS (the usual case) both sides say so; TLS 1.3 always says true.
    func testNegotiatedParametersReportEMS() async throws {
        let (c, s) = try await connect(try clientConfig(), try serverConfig())
        XCTAssertEqual(c.negotiated?.extendedMasterSecret, true)
        XCTAssertEqual(s.negotiated?.extendedMasterSecret, true)

        var client13 = try clientConfig()
        client13.common.maximumVersion = .tls13
        let c13 = try TLSConnection(client: client13, serverName: "localhost")
        let s13 = try TLSConnection(server: try serverConfig())
        try await shuttle(c13, s13)
        XCTAssertEqual(c13.negotiated?.version, .tls13)
        XCTAssertEqual(c13.negotiated?.extendedMasterSecret, true)
        XCTAssertEqual(s13.negotiated?.extendedMasterSecret, true)
    }

    // MARK: - No resumption of a session without EMS

    /// The server issues nothing resumable after a handshake without EMS: an empty session ID, no session_ticket
    /// in its ServerHello, no NewSessionTicket, nothing cached. The next connection is a full handshake.
    func testServerIssuesNoSessionWithoutEMS() async throws {
        let client = try clientConfig(withoutEMS: true)
        var server = try serverConfig()
        let cache = ServerSessionCache()
        server.sessionIDCache = cache
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        let helloFlight = c.takeOutput()
        XCTAssertTrue(try clientHello(in: helloFlight).extensions.contains(.sessionTicket), "the client asks for a ticket")
        try s.receive(helloFlight)
        let flight = s.takeOutput()
        guard case .serverHello(let serverHello) = try firstMessage(flight) else { return XCTFail("no ServerHello") }
        XCTAssertEqual(serverHello.legacySessionIDEcho, [])
        XCTAssertFalse(serverHello.extensions.contains(.sessionTicket))
        XCTAssertFalse(serverHello.extensions.contains(.extendedMasterSecret))
        try c.receive(flight)
        while c.pendingVerification != nil { try await c.performPendingVerification() }
        try await shuttle(c, s)
        XCTAssertTrue(s.isHandshakeComplete)
        XCTAssertFalse(sentTypes(s).contains(.newSessionTicket))
        XCTAssertEqual(cache.count, 0)
        XCTAssertEqual(client.sessionCache?.count(for: "localhost"), 0)

        let (again, _) = try await connect(client, server)
        XCTAssertEqual(again.negotiated?.resumed, false)
    }

    /// With EMS the same configuration does issue a session and resume it (the control for the test above).
    func testSessionWithEMSIsResumed() async throws {
        let client = try clientConfig()
        let server = try serverConfig()
        try await connect(client, server)
        XCTAssertEqual(client.sessionCache?.count(for: "localhost"), 1)
        let (c, s) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.resumed, true)
        XCTAssertEqual(s.negotiated?.resumed, true)
        XCTAssertEqual(c.negotiated?.extendedMasterSecret, true)
        XCTAssertEqual(s.negotiated?.extendedMasterSecret, true)
    }

    /// A session without EMS in the server's session-ID cache (an older version made it, or a server sharing the
    /// cache) and a ClientHello offering its ID: `clientEMS` says whether that ClientHello offers EMS.
    private func offerLegacySessionID(clientEMS: Bool) async throws -> (TLSConnection, TLSConnection) {
        var server = try serverConfig()
        let cache = ServerSessionCache()
        server.sessionIDCache = cache
        server.sessionTicketKeys = nil
        let sessionID = Array(repeating: UInt8(0x5A), count: 32)
        cache.store(legacyState(), sessionID: sessionID)
        var client = try clientConfig(withoutEMS: !clientEMS)
        client.sessionCache = nil
        let strip = client.clientHelloCustomizer
        client.clientHelloCustomizer = { hello, retry in
            strip?(&hello, retry)
            hello.legacySessionID = sessionID
        }
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        return (c, s)
    }

    /// A TLS 1.2 session made without EMS, for "localhost" with the default suite.
    private func legacyState() -> TicketState {
        TicketState(version: .tls12, cipherSuite: .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, created: milliseconds(Date()),
                    lifetime: 7200, ageAdd: 0, secret: Array(repeating: 0x11, count: 48), serverName: "localhost",
                    applicationProtocol: "", extendedMasterSecret: false)
    }

    /// RFC 7627 §5.3: original session without EMS, ClientHello with EMS → MUST NOT resume; a full handshake.
    func testServerDoesNotResumeLegacySessionForClientOfferingEMS() async throws {
        let (c, s) = try await offerLegacySessionID(clientEMS: true)
        XCTAssertTrue(s.isHandshakeComplete)
        XCTAssertTrue(c.isHandshakeComplete)
        XCTAssertEqual(s.negotiated?.resumed, false)
        XCTAssertEqual(s.negotiated?.extendedMasterSecret, true)
    }

    /// RFC 7627 §5.3: neither the original session nor the ClientHello uses EMS → never resumed (the RFC says SHOULD
    /// abort; we do a full handshake, without EMS, which the default accepts).
    func testServerDoesNotResumeLegacySessionForClientWithoutEMS() async throws {
        let (c, s) = try await offerLegacySessionID(clientEMS: false)
        XCTAssertNil(s.failure)
        XCTAssertTrue(s.isHandshakeComplete)
        XCTAssertTrue(c.isHandshakeComplete)
        XCTAssertEqual(s.negotiated?.resumed, false)
        XCTAssertEqual(s.negotiated?.extendedMasterSecret, false)
    }

    /// The same through an RFC 5077 ticket sealed with the server's keys.
    func testServerDoesNotResumeLegacyTicket() async throws {
        let server = try serverConfig()
        let keys = try XCTUnwrap(server.sessionTicketKeys)
        var random: any RandomSource = SystemRandomSource()
        let ticket = try keys.seal(legacyState().encode(), provider: SwiftCryptoProvider(), random: &random, now: Date())
        for clientEMS in [true, false] {
            var client = try clientConfig(withoutEMS: !clientEMS)
            client.sessionCache = nil
            let strip = client.clientHelloCustomizer
            client.clientHelloCustomizer = { hello, retry in
                strip?(&hello, retry)
                hello.legacySessionID = Array(repeating: 0x33, count: 32)
                hello.extensions.append(.sessionTicket(ticket))
            }
            let (c, s) = try await connect(client, server)
            XCTAssertEqual(s.negotiated?.resumed, false, "client EMS: \(clientEMS)")
            XCTAssertEqual(c.negotiated?.resumed, false)
            XCTAssertEqual(s.negotiated?.extendedMasterSecret, clientEMS)
        }
    }

    /// RFC 7627 §5.3: original session with EMS, resumption ClientHello without it → the server aborts with
    /// handshake_failure, for a ticket and for a session ID.
    func testServerAbortsResumptionOfEMSSessionWithoutEMS() async throws {
        for useTickets in [true, false] {
            var server = try serverConfig()
            if !useTickets { server.sessionTicketKeys = nil }
            let client = try clientConfig()
            try await connect(client, server)
            XCTAssertEqual(client.sessionCache?.count(for: "localhost"), 1)

            var withoutEMS = client
            withoutEMS.clientHelloCustomizer = { hello, _ in hello.extensions.removeAll { $0.type == .extendedMasterSecret } }
            let c = try TLSConnection(client: withoutEMS, serverName: "localhost")
            let s = try TLSConnection(server: server)
            let hello = c.takeOutput()
            XCTAssertThrowsError(try s.receive(hello), "tickets: \(useTickets)") { error in
                XCTAssertEqual((error as? TLSError)?.alert, .handshakeFailure)
                XCTAssertEqual((error as? TLSError)?.origin, .local)
            }
            XCTAssertEqual(alertSent(by: s), .handshakeFailure)
            XCTAssertFalse(s.isHandshakeComplete)
        }
    }

    /// RFC 7627 §5.3: the client resumes a session that used EMS and the server's ServerHello resumes it without
    /// the extension → handshake_failure.
    func testClientAbortsResumptionWithoutEMSInServerHello() async throws {
        for useTickets in [true, false] {
            var server = try serverConfig()
            if !useTickets { server.sessionTicketKeys = nil }
            let client = try clientConfig()
            try await connect(client, server)
            let c = try TLSConnection(client: client, serverName: "localhost")
            let s = try TLSConnection(server: server)
            try s.receive(c.takeOutput())
            guard case .serverHello(var hello) = try firstMessage(s.takeOutput()) else { return XCTFail("no ServerHello") }
            XCTAssertTrue(hello.extensions.contains(.extendedMasterSecret))
            hello.extensions.removeAll { $0.type == .extendedMasterSecret }
            let body = HandshakeMessage.serverHello(hello).testBytes
            let record = [0x16, 0x03, 0x03, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
            XCTAssertThrowsError(try c.receive(record), "tickets: \(useTickets)") { error in
                XCTAssertEqual((error as? TLSError)?.alert, .handshakeFailure)
                XCTAssertEqual((error as? TLSError)?.origin, .local)
            }
            XCTAssertEqual(alertSent(by: c), .handshakeFailure)
        }
    }

    /// The client never offers a TLS 1.2 session without EMS, even when its cache holds one: no session ID, an
    /// empty session_ticket, and a full handshake follows.
    func testClientDoesNotOfferSessionWithoutEMS() async throws {
        let client = try clientConfig()
        let server = try serverConfig()
        try await connect(client, server)
        let cache = try XCTUnwrap(client.sessionCache)
        var session = try XCTUnwrap(cache.take(serverName: "localhost", now: Date()))
        XCTAssertFalse(session.ticket.isEmpty)
        session.resumption = .tls12(sessionID: session.sessionID, extendedMasterSecret: false, group: session.group)
        cache.store(session)

        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        let flight = c.takeOutput()
        let hello = try clientHello(in: flight)
        XCTAssertEqual(hello.legacySessionID, [])
        XCTAssertEqual(hello.extensions.first(.sessionTicket), .sessionTicket([]))
        XCTAssertTrue(hello.extensions.contains(.extendedMasterSecret))
        try s.receive(flight)
        try await shuttle(c, s)
        XCTAssertTrue(c.isHandshakeComplete)
        XCTAssertEqual(c.negotiated?.resumed, false)
    }

    // MARK: - Keying-material exporters

    /// Without EMS both sides refuse to export: internal_error, no alert sent, the connection carries on.
    func testExportersRefusedWithoutEMS() async throws {
        let (c, s) = try await connect(try clientConfig(withoutEMS: true), try serverConfig())
        for connection in [c, s] {
            XCTAssertThrowsError(try connection.exportKeyingMaterial(label: "EXPORTER-Channel-Binding", context: [], length: 32)) { error in
                XCTAssertEqual((error as? TLSError)?.alert, .internalError)
            }
            XCTAssertEqual(connection.takeOutput(), [], "nothing may be sent")
            XCTAssertNil(connection.failure)
        }
        try c.send([7])
        try await shuttle(c, s)
        XCTAssertEqual(s.takeApplicationData(), [7])
    }

    /// `allowKeyingMaterialExportWithoutExtendedMasterSecret` opts in: both sides export the same keys.
    func testExportersWithoutEMSWhenOptedIn() async throws {
        var client = try clientConfig(withoutEMS: true)
        client.common.allowKeyingMaterialExportWithoutExtendedMasterSecret = true
        var server = try serverConfig()
        server.common.allowKeyingMaterialExportWithoutExtendedMasterSecret = true
        let (c, s) = try await connect(client, server)
        XCTAssertEqual(c.negotiated?.extendedMasterSecret, false)
        let exported = try c.exportKeyingMaterial(label: "EXPORTER-x", context: [1], length: 32)
        XCTAssertEqual(exported, try s.exportKeyingMaterial(label: "EXPORTER-x", context: [1], length: 32))
    }

    /// With EMS exporters work as before, and the opt-in is not needed.
    func testExportersWithEMS() async throws {
        let (c, s) = try await connect(try clientConfig(), try serverConfig())
        let exported = try c.exportKeyingMaterial(label: "EXPORTER-x", context: [], length: 32)
        XCTAssertEqual(exported, try s.exportKeyingMaterial(label: "EXPORTER-x", context: [], length: 32))
    }

    // MARK: - Full handshakes without EMS: accepted by default, refused in strict mode

    /// Server role: a ClientHello without extended_master_secret gets a full handshake with the legacy master secret.
    func testServerAcceptsClientWithoutEMSByDefault() async throws {
        let server = TLSServerConfiguration(certificate: try Self.ca.get().issueLeaf().certifiedKey)   // defaults
        let (c, s) = try await connect(try clientConfig(withoutEMS: true), server)
        XCTAssertEqual(s.negotiated?.extendedMasterSecret, false)
        XCTAssertEqual(c.negotiated?.extendedMasterSecret, false)
    }

    /// Client role: a ServerHello without extended_master_secret is accepted by default.
    func testClientAcceptsServerWithoutEMSByDefault() async throws {
        var client = try clientConfig(withoutEMS: true)
        client.common = TLSCommonConfiguration()   // defaults
        client.common.maximumVersion = .tls12
        let (c, s) = try await connect(client, try serverConfig())
        XCTAssertEqual(c.negotiated?.extendedMasterSecret, false)
        XCTAssertEqual(s.negotiated?.extendedMasterSecret, false)
    }

    /// Strict server: handshake_failure on the ClientHello.
    func testStrictServerRefusesClientWithoutEMS() async throws {
        var server = try serverConfig()
        server.common.requireExtendedMasterSecret = true
        let c = try TLSConnection(client: try clientConfig(withoutEMS: true), serverName: "localhost")
        let s = try TLSConnection(server: server)
        XCTAssertThrowsError(try s.receive(c.takeOutput())) { error in
            XCTAssertEqual((error as? TLSError)?.alert, .handshakeFailure)
        }
        XCTAssertEqual(alertSent(by: s), .handshakeFailure)
    }

    /// Strict client: handshake_failure on a ServerHello without the extension.
    func testStrictClientRefusesServerWithoutEMS() async throws {
        var client = try clientConfig(withoutEMS: true)
        client.common.requireExtendedMasterSecret = true
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: try serverConfig())
        try s.receive(c.takeOutput())
        XCTAssertThrowsError(try c.receive(s.takeOutput())) { error in
            XCTAssertEqual((error as? TLSError)?.alert, .handshakeFailure)
            XCTAssertEqual((error as? TLSError)?.origin, .local)
        }
        XCTAssertFalse(c.isHandshakeComplete)
        XCTAssertEqual(alertSent(by: c), .handshakeFailure)
    }
}
