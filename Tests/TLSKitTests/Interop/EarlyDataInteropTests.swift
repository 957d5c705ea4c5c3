import Foundation
import XCTest

// @testable for ClientSessionCache.take/store only: the ticket-reuse test offers one ticket twice.
@testable import TLSKit

/// TLS 1.3 0-RTT against real OpenSSL 3.0 processes, both directions.
///
/// What OpenSSL prints (3.0, verified by these tests):
/// - `s_server -early_data` prints "Early data received:", the early data bytes, and "End of early data" when it
///   accepted early data; "Early data was rejected" when the client offered early data it did not accept;
///   "No early data received" when none was offered. (The header and the raw bytes go through different stdio
///   streams, so their order in the output file is not guaranteed: each is searched for on its own.)
/// - `s_client -early_data FILE` prints "Early data was accepted" / "Early data was rejected" with the session
///   summary, and "Reused, TLSv1.3" when the ticket resumed the session.
/// - With `-early_data` (and anti-replay on, the default), s_server keeps its TLS 1.3 tickets in its session cache
///   and removes a ticket on first use: a ticket offered a second time is unknown and gets a full handshake.
final class EarlyDataInteropTests: XCTestCase {
    let earlyRequest = Array("GET /early HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)

    // MARK: TLSKit client → openssl s_server -early_data

    /// First connection collects a ticket, the second (to the same s_server process) sends early data with it:
    /// accepted on both sides, and both sides derived the same client_early_traffic_secret (s_server -keylogfile).
    func testOurEarlyDataAcceptedByOpenSSLServer() async throws {
        let keyLogPath = try InteropPKI.shared().path("s_server-keylog-\(UUID().uuidString.prefix(8)).txt")
        let server = try startPersistentServer(["-early_data", "-keylogfile", keyLogPath])
        defer { server.process.terminate() }
        do {
            let keyLog = KeyLogLines()
            let configuration = try earlyDataClientConfiguration(keyLog: keyLog)
            try await collectTicket(configuration, from: server)

            let mark = server.process.stdout.count
            let connection = try TLSConnection(client: configuration, serverName: "localhost")
            XCTAssertGreaterThanOrEqual(connection.earlyDataCapacity, earlyRequest.count, "the ticket should allow early data")
            try connection.sendEarlyData(earlyRequest)
            let client = TLSSocketDriver(connection: connection, socket: try LoopbackSocket.connect(port: server.port))
            try await client.handshake()

            XCTAssertEqual(connection.negotiated?.resumed, true)
            XCTAssertEqual(connection.earlyDataAccepted, true)
            XCTAssertTrue(client.events.contains(.earlyDataAccepted(true)), "\(client.events)")
            XCTAssertFalse(client.events.contains(.earlyDataAccepted(false)))
            try server.process.wait(forText: "Early data received:", after: mark)
            try server.process.wait(forBytes: earlyRequest, after: mark, "the early data")
            try server.process.wait(forText: "End of early data", after: mark)
            try server.process.wait(forText: "Reused session-id", after: mark)

            // Both sides logged the same client_early_traffic_secret for this ClientHello.
            let ours = try XCTUnwrap(keyLog.lines.last { $0.hasPrefix("CLIENT_EARLY_TRAFFIC_SECRET ") })
            try waitForFile(keyLogPath, toContain: ours)

            // Ordinary data afterwards, then a clean close.
            try await client.exchange(withOpenSSLServer: server.process, bytes: 4096, seed: 71)
            try await client.closeAndWaitForPeer()
            try server.process.wait(forText: "DONE", after: mark)
        } catch {
            throw InteropError("early data to s_server: \(error)\n\(server.process.diagnostics)")
        }
    }

    /// The same ticket offered twice: s_server (anti-replay) accepts early data the first time; the second time it
    /// no longer knows the ticket, so it does a full handshake and rejects the early data, which our client then
    /// sends again as ordinary data.
    func testOurEarlyDataRejectedByOpenSSLServerOnTicketReuse() async throws {
        let server = try startPersistentServer(["-early_data"])
        defer { server.process.terminate() }
        do {
            let configuration = try earlyDataClientConfiguration()
            try await collectTicket(configuration, from: server)
            let cache = try XCTUnwrap(configuration.sessionCache)
            let session = try XCTUnwrap(cache.take(serverName: "localhost", now: Date()))
            XCTAssertGreaterThan(session.maxEarlyDataSize, 0)
            cache.store(session)

            // First use: accepted.
            var mark = server.process.stdout.count
            let first = try TLSConnection(client: configuration, serverName: "localhost")
            try first.sendEarlyData(earlyRequest)
            let firstClient = TLSSocketDriver(connection: first, socket: try LoopbackSocket.connect(port: server.port))
            try await firstClient.handshake()
            XCTAssertEqual(first.earlyDataAccepted, true)
            try server.process.wait(forText: "End of early data", after: mark)
            try await firstClient.closeAndWaitForPeer()
            try server.process.wait(forText: "DONE", after: mark)

            // Second use of the very same ticket: rejected, full handshake, early data resent after it.
            cache.store(session)
            mark = server.process.stdout.count
            let replayed = Array("replayed early request\n".utf8)
            let second = try TLSConnection(client: configuration, serverName: "localhost")
            XCTAssertGreaterThan(second.earlyDataCapacity, 0)
            try second.sendEarlyData(replayed)
            let secondClient = TLSSocketDriver(connection: second, socket: try LoopbackSocket.connect(port: server.port))
            try await secondClient.handshake()
            XCTAssertEqual(second.earlyDataAccepted, false)
            XCTAssertTrue(secondClient.events.contains(.earlyDataAccepted(false)), "\(secondClient.events)")
            XCTAssertEqual(second.negotiated?.resumed, false, "s_server should not know the used ticket any more")
            try server.process.wait(forText: "Early data was rejected", after: mark)
            // Our resend, as ordinary application data.
            try await secondClient.run(until: { $0.allWritten }, "the resent early data")
            try server.process.wait(forBytes: replayed, after: mark, "the resent early data")
            XCTAssertFalse(server.process.output(after: mark).contains("Early data received:"))
            try await secondClient.closeAndWaitForPeer()
            try server.process.wait(forText: "DONE", after: mark)
        } catch {
            throw InteropError("ticket reuse against s_server: \(error)\n\(server.process.diagnostics)")
        }
    }

    /// s_server only takes P-384 and our client sends an X25519 share: the resumed handshake goes through a
    /// HelloRetryRequest, which rejects early data (RFC 8446 §4.2.10); our second ClientHello offers the ticket
    /// again. With -no_anti_replay s_server's tickets are stateless and it resumes with the second ClientHello.
    func testOurEarlyDataRejectedByOpenSSLServerAfterHelloRetryRequest() async throws {
        try await runHelloRetry(["-no_anti_replay"], expectResumed: true)
    }

    /// The same with anti-replay on (s_server's default): OpenSSL 3.0 removes the ticket from its cache while
    /// processing the first ClientHello, so the second ClientHello's PSK is unknown and the handshake is a full one
    /// (OpenSSL's own s_client gets "New, TLSv1.3" and "Early data was rejected" in this setup too).
    func testOurEarlyDataRejectedByOpenSSLServerAfterHelloRetryRequestWithAntiReplay() async throws {
        try await runHelloRetry([], expectResumed: false)
    }

    private func runHelloRetry(_ extraArguments: [String], expectResumed: Bool) async throws {
        let server = try startPersistentServer(["-early_data", "-groups", "P-384"] + extraArguments)
        defer { server.process.terminate() }
        do {
            var configuration = try earlyDataClientConfiguration()
            configuration.keyShareGroups = [.x25519]
            try await collectTicket(configuration, from: server)

            let mark = server.process.stdout.count
            let connection = try TLSConnection(client: configuration, serverName: "localhost")
            try connection.sendEarlyData(earlyRequest)
            let client = TLSSocketDriver(connection: connection, socket: try LoopbackSocket.connect(port: server.port))
            try await client.handshake()
            XCTAssertEqual(connection.negotiated?.usedHelloRetryRequest, true)
            XCTAssertEqual(connection.negotiated?.group, .secp384r1)
            XCTAssertEqual(connection.negotiated?.resumed, expectResumed)
            XCTAssertEqual(connection.earlyDataAccepted, false)
            XCTAssertTrue(client.events.contains(.earlyDataAccepted(false)), "\(client.events)")
            try server.process.wait(forText: "Early data was rejected", after: mark)
            if expectResumed { try server.process.wait(forText: "Reused session-id", after: mark) }
            try await client.run(until: { $0.allWritten }, "the resent early data")
            try server.process.wait(forBytes: earlyRequest, after: mark, "the resent early data")
            XCTAssertFalse(server.process.output(after: mark).contains("Early data received:"))
            try await client.closeAndWaitForPeer()
            try server.process.wait(forText: "DONE", after: mark)
        } catch {
            throw InteropError("HRR against s_server \(extraArguments): \(error)\n\(server.process.diagnostics)")
        }
    }

    /// s_server without -early_data issues tickets without the early_data extension (max_early_data 0): our
    /// client then offers no 0-RTT at all (capacity 0, sendEarlyData refused) and simply resumes. (A ticket from
    /// another, -early_data s_server cannot be used here: each s_server process has its own random ticket key, and
    /// with -early_data its tickets are entries of that process's session cache.)
    func testNoEarlyDataOfferedWithTicketFromServerWithoutEarlyData() async throws {
        let server = try startPersistentServer([])
        defer { server.process.terminate() }
        do {
            let configuration = try earlyDataClientConfiguration()
            let cache = try XCTUnwrap(configuration.sessionCache)
            let first = TLSSocketDriver(
                connection: try TLSConnection(client: configuration, serverName: "localhost"),
                socket: try LoopbackSocket.connect(port: server.port))
            try await first.handshake()
            try await first.run(until: { _ in cache.count(for: "localhost") > 0 }, "a NewSessionTicket from s_server")
            try await first.closeAndWaitForPeer()

            let mark = server.process.stdout.count
            let connection = try TLSConnection(client: configuration, serverName: "localhost")
            XCTAssertEqual(connection.earlyDataCapacity, 0)
            XCTAssertThrowsError(try connection.sendEarlyData(earlyRequest))
            let client = TLSSocketDriver(connection: connection, socket: try LoopbackSocket.connect(port: server.port))
            try await client.handshake()
            XCTAssertEqual(connection.negotiated?.resumed, true)
            XCTAssertNil(connection.earlyDataAccepted, "no early data was offered")
            XCTAssertFalse(client.events.contains(.earlyDataAccepted(true)) || client.events.contains(.earlyDataAccepted(false)))
            try server.process.wait(forText: "Reused session-id", after: mark)
            try await client.exchange(withOpenSSLServer: server.process, bytes: 1024, seed: 76)
            try await client.closeAndWaitForPeer()
            try server.process.wait(forText: "DONE", after: mark)
        } catch {
            throw InteropError("s_server without -early_data: \(error)\n\(server.process.diagnostics)")
        }
    }

    // MARK: openssl s_client -early_data → TLSKit server

    func testOpenSSLClientEarlyDataAcceptedByOurServer() async throws {
        let pki = try InteropPKI.shared()
        var configuration = try pki.serverConfiguration(.ecdsaP256)
        configuration.maxEarlyDataSize = 16_384
        let keyLog = KeyLogLines()
        configuration.common.keyLog = keyLog.callback
        let session = try await ticketFromOpenSSLClient(configuration)

        let earlyFile = pki.path("early-\(UUID().uuidString.prefix(8)).txt")
        let early = Array("early data from s_client\n".utf8)
        try Data(early).write(to: URL(fileURLWithPath: earlyFile))
        let clientKeyLog = pki.path("s_client-keylog-\(UUID().uuidString.prefix(8)).txt")
        let (listener, client) = try OpenSSLProcess.startClient(
            ["-sess_in", session, "-early_data", earlyFile, "-keylogfile", clientKeyLog])
        defer { client.terminate() }
        do {
            let server = try await TLSSocketDriver.accept(configuration, on: listener)
            XCTAssertEqual(server.connection.negotiated?.resumed, true)
            XCTAssertEqual(server.connection.takeEarlyData(), early)
            XCTAssertTrue(server.received.isEmpty, "early data must not show up as ordinary data")
            try client.wait(forText: "Reused, TLSv1.3")
            try client.wait(forText: "Early data was accepted")
            let ours = try XCTUnwrap(keyLog.lines.last { $0.hasPrefix("CLIENT_EARLY_TRAFFIC_SECRET ") })
            try waitForFile(clientKeyLog, toContain: ours)
            try await server.exchange(withOpenSSLClient: client, bytes: 4096, seed: 72)
            XCTAssertEqual(server.connection.takeEarlyData(), [])
            try await server.closeCleanly(withOpenSSLClient: client)
        } catch {
            throw InteropError("early data from s_client: \(error)\n\(client.diagnostics)")
        }
    }

    /// The ticket comes from a server that allowed early data; the second connection goes to a server sharing its
    /// TicketKeyRing but with maxEarlyDataSize = 0: the PSK is accepted, the early data skipped and rejected.
    func testOpenSSLClientEarlyDataRejectedByOurServer() async throws {
        let pki = try InteropPKI.shared()
        let ring = TicketKeyRing()
        var issuing = try pki.serverConfiguration(.ecdsaP256)
        issuing.sessionTicketKeys = ring
        issuing.maxEarlyDataSize = 16_384
        var refusing = try pki.serverConfiguration(.ecdsaP256)
        refusing.sessionTicketKeys = ring
        refusing.maxEarlyDataSize = 0
        let session = try await ticketFromOpenSSLClient(issuing)

        let earlyFile = pki.path("early-\(UUID().uuidString.prefix(8)).txt")
        let early = interopPayload(count: 10_000, seed: 73, alphabet: commandFreeAlphabet)
        try Data(early).write(to: URL(fileURLWithPath: earlyFile))
        let (listener, client) = try OpenSSLProcess.startClient(["-sess_in", session, "-early_data", earlyFile])
        defer { client.terminate() }
        do {
            let server = try await TLSSocketDriver.accept(refusing, on: listener)
            XCTAssertEqual(server.connection.negotiated?.resumed, true)
            XCTAssertEqual(server.connection.takeEarlyData(), [])
            try client.wait(forText: "Reused, TLSv1.3")
            try client.wait(forText: "Early data was rejected")
            try await server.exchange(withOpenSSLClient: client, bytes: 4096, seed: 74)
            XCTAssertEqual(server.connection.takeEarlyData(), [])
            try await server.closeCleanly(withOpenSSLClient: client)
        } catch {
            throw InteropError("rejected early data from s_client: \(error)\n\(client.diagnostics)")
        }
    }

    // MARK: - Harness

    /// Our client with a session cache and 0-RTT on, verifying against the test CA.
    private func earlyDataClientConfiguration(keyLog: KeyLogLines? = nil) throws -> TLSClientConfiguration {
        var configuration = try InteropPKI.shared().clientConfiguration()
        configuration.sessionCache = ClientSessionCache()
        configuration.enableEarlyData = true
        configuration.common.keyLog = keyLog?.callback
        return configuration
    }

    /// An s_server that keeps accepting connections (no -naccept), so tickets it issued stay usable.
    private func startPersistentServer(_ arguments: [String]) throws -> (process: OpenSSLProcess, port: UInt16) {
        let pki = try InteropPKI.shared()
        let (process, port) = try OpenSSLProcess.startListening(readyText: "ACCEPT") { port in
            try OpenSSLProcess(
                ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", pki.certificatePath(.ecdsaP256),
                 "-key", pki.keyPath(.ecdsaP256)] + arguments,
                in: pki.directory)
        }
        return (process, port)
    }

    /// A full handshake with s_server that leaves an early-data ticket in the configuration's cache; closed cleanly.
    private func collectTicket(_ configuration: TLSClientConfiguration, from server: (process: OpenSSLProcess, port: UInt16)) async throws {
        let cache = try XCTUnwrap(configuration.sessionCache)
        let mark = server.process.stdout.count
        let connection = try TLSConnection(client: configuration, serverName: "localhost")
        XCTAssertEqual(connection.earlyDataCapacity, 0, "no ticket yet")
        let client = TLSSocketDriver(connection: connection, socket: try LoopbackSocket.connect(port: server.port))
        try await client.handshake()
        XCTAssertEqual(connection.negotiated?.resumed, false)
        try await client.run(until: { _ in cache.count(for: "localhost") > 0 }, "a NewSessionTicket from s_server")
        try server.process.wait(forText: "No early data received", after: mark)
        try await client.closeAndWaitForPeer()
        try server.process.wait(forText: "DONE", after: mark)
    }

    /// `s_client -sess_out` against our server (one full handshake): returns the session file once s_client wrote it.
    private func ticketFromOpenSSLClient(_ configuration: TLSServerConfiguration) async throws -> String {
        let pki = try InteropPKI.shared()
        let sessionFile = pki.path("session-\(UUID().uuidString.prefix(8)).pem")
        let (listener, client) = try OpenSSLProcess.startClient(["-sess_out", sessionFile])
        defer { client.terminate() }
        do {
            let server = try await TLSSocketDriver.accept(configuration, on: listener)
            XCTAssertEqual(server.connection.negotiated?.resumed, false)
            // s_client takes the tickets in while reading; a round of data makes sure it read them.
            try await server.exchange(withOpenSSLClient: client, bytes: 1024, seed: 75)
            try waitForFile(sessionFile, toContain: "-----END SSL SESSION PARAMETERS-----")
            try await server.closeCleanly(withOpenSSLClient: client)
        } catch {
            throw InteropError("collecting a ticket with s_client -sess_out: \(error)\n\(client.diagnostics)")
        }
        return sessionFile
    }

    /// Polls a file (written by openssl) until it contains `text`; bounded by interopTimeout.
    private func waitForFile(_ path: String, toContain text: String) throws {
        let deadline = Date().addingTimeInterval(interopTimeout)
        while true {
            let contents = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if contents.contains(text) { return }
            guard Date() < deadline else {
                throw InteropError("\(path) does not contain \"\(text)\" after \(interopTimeout) s; it has:\n\(contents)")
            }
            usleep(20_000)
        }
    }
}

/// Our side's NSS key-log lines.
final class KeyLogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    var lines: [String] { lock.withLock { stored } }

    var callback: @Sendable (String) -> Void {
        { [self] line in lock.withLock { stored.append(line) } }
    }
}

extension InteropProcess {
    /// stdout from byte offset `mark` on (a long-running s_server's output for one connection).
    func output(after mark: Int) -> String {
        let data = stdout
        return String(decoding: data.count > mark ? data[(data.startIndex + mark)...] : Data(), as: UTF8.self)
    }

    func wait(forText text: String, after mark: Int) throws {
        let needle = Array(text.utf8)
        try wait(for: "printing \"\(text)\"") { data in
            data.count > mark && Data(data[(data.startIndex + mark)...]).containsContiguous(needle)
        }
    }

    func wait(forBytes bytes: [UInt8], after mark: Int, _ what: String) throws {
        try wait(for: what) { data in
            data.count > mark && Data(data[(data.startIndex + mark)...]).containsContiguous(bytes)
        }
    }
}
