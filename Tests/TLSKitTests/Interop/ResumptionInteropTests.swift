import Foundation
import TLSKit
import XCTest

/// Session resumption against real OpenSSL processes, both directions.
///
/// What OpenSSL 3.0 does:
/// - `s_client -sess_out F` writes the session to F from its new-session callback, i.e. when a TLS 1.3
///   NewSessionTicket arrives (it also prints "Post-Handshake New Session Ticket arrived:", but into a buffered
///   stdout that only reaches the file at exit). s_client only reads the tickets if it keeps reading after the
///   handshake, so its stdin stays open until F holds a complete session; then end of stdin closes it.
///   `-sess_in F` then offers the ticket and prints "Reused, TLSv1.3, …" when the server accepted it.
/// - `s_client -reconnect` reconnects five times with the session of the connection it just dropped; it does so
///   right after the handshake, before reading anything, so under TLS 1.3 (tickets are post-handshake messages)
///   it holds no ticket and every connection prints "New, TLSv1.3, …" — against any server, s_server included.
///   Keeping stdin open does not help (the reconnect happens before the read loop). The reliable way to make
///   s_client resume under TLS 1.3 is `-sess_out` / `-sess_in`. Under TLS 1.2 the session exists at the end of
///   the handshake, so -reconnect does resume there.
/// - `s_server` prints "Reused session-id" (also for TLS 1.3 PSK resumption) among its connection details.
final class ResumptionInteropTests: XCTestCase {
    // MARK: s_client → TLSKit server, TLS 1.3

    /// `-sess_out` on the first connection, `-sess_in` on the second: s_client reports "Reused" and our server
    /// resumed.
    func testOpenSSLClientResumesWithSessOutAndSessIn() async throws {
        try await sessOutSessIn(clientArguments: [], version: "TLSv1.3", ticket: true)
    }

    /// `s_client -reconnect`: six connections. Whatever s_client says for each (New/Reused) must be what our
    /// server negotiated; with OpenSSL 3.0 under TLS 1.3 that is "New" every time (see the class comment).
    func testOpenSSLClientReconnectTLS13() async throws {
        let statuses = try await reconnect(clientArguments: [], version: "TLSv1.3")
        XCTAssertEqual(statuses.first, "New")
        XCTAssertEqual(statuses.filter { $0 == "Reused" }.count, 0,
                       "OpenSSL 3.0 s_client -reconnect has no ticket yet when it reconnects under TLS 1.3; if this changed, adjust the comment")
    }

    // MARK: s_client → TLSKit server, TLS 1.2

    /// RFC 5077 ticket: s_client offers the session_ticket extension, we issue a ticket and resume from it.
    func testOpenSSLClientResumesTLS12TicketWithSessOutAndSessIn() async throws {
        try await sessOutSessIn(clientArguments: ["-tls1_2"], version: "TLSv1.2", ticket: true)
    }

    /// Session ID: s_client -no_ticket, so we resume from our session-ID cache.
    func testOpenSSLClientResumesTLS12SessionIDWithSessOutAndSessIn() async throws {
        try await sessOutSessIn(clientArguments: ["-tls1_2", "-no_ticket"], version: "TLSv1.2", ticket: false)
    }

    /// Session ID from our side: no ticket keys, so only the session-ID cache can resume.
    func testOpenSSLClientResumesTLS12WhenOurServerHasNoTicketKeys() async throws {
        try await sessOutSessIn(clientArguments: ["-tls1_2"], version: "TLSv1.2", ticket: false) { $0.sessionTicketKeys = nil }
    }

    /// Under TLS 1.2 the session exists when the handshake ends, so `-reconnect` resumes: New, then five Reused.
    func testOpenSSLClientReconnectTLS12Ticket() async throws {
        let statuses = try await reconnect(clientArguments: ["-tls1_2"], version: "TLSv1.2")
        XCTAssertEqual(statuses, ["New"] + Array(repeating: "Reused", count: 5))
    }

    func testOpenSSLClientReconnectTLS12SessionID() async throws {
        let statuses = try await reconnect(clientArguments: ["-tls1_2", "-no_ticket"], version: "TLSv1.2")
        XCTAssertEqual(statuses, ["New"] + Array(repeating: "Reused", count: 5))
    }

    // MARK: TLSKit client → s_server

    /// Our client, with a session cache, connects twice to s_server: the second connection is resumed on both sides.
    func testTLSKitClientResumesAgainstOpenSSLServer() async throws {
        try await resumeAgainstSServer(serverArguments: [], version: .tls13, ticket: true)
    }

    /// TLS 1.2 with an RFC 5077 ticket from s_server.
    func testTLSKitClientResumesTLS12TicketAgainstOpenSSLServer() async throws {
        try await resumeAgainstSServer(serverArguments: ["-tls1_2"], version: .tls12, ticket: true)
    }

    /// TLS 1.2 with a session ID: s_server -no_ticket issues none.
    func testTLSKitClientResumesTLS12SessionIDAgainstOpenSSLServer() async throws {
        try await resumeAgainstSServer(serverArguments: ["-tls1_2", "-no_ticket"], version: .tls12, ticket: false)
    }

    // MARK: - Harness

    /// s_client `-sess_out F` against our server, then `-sess_in F`: the second connection is "Reused" in s_client's
    /// words and resumed in ours.
    /// `ticket`: whether our server issues a ticket on the first connection (else TLS 1.2 resumes by session ID).
    func sessOutSessIn(clientArguments: [String], version: String, ticket: Bool, configure: (inout TLSServerConfiguration) -> Void = { _ in })
        async throws
    {
        let pki = try InteropPKI.shared()
        let sessionFile = pki.path("session-\(UUID().uuidString.prefix(8)).pem")
        let secondSessionFile = pki.path("session-\(UUID().uuidString.prefix(8)).pem")
        defer {
            try? FileManager.default.removeItem(atPath: sessionFile)
            try? FileManager.default.removeItem(atPath: secondSessionFile)
        }
        var configuration = try pki.serverConfiguration(.ecdsaP256)
        configure(&configuration)

        let (listener, first) = try OpenSSLProcess.startClient(["-sess_out", sessionFile] + clientArguments)
        defer { first.terminate() }
        let firstServer = try await accept(configuration, listener, first)
        XCTAssertEqual(firstServer.connection.negotiated?.resumed, false)
        XCTAssertEqual(newSessionTickets(firstServer, .sent) > 0, ticket, "NewSessionTicket sent on the first connection")
        try first.wait(forText: "New, \(version), Cipher is ")
        try await closeAfterSession(firstServer, first, sessionFile: sessionFile, tls13: version == "TLSv1.3")

        let second = try sClient(to: listener, ["-sess_in", sessionFile, "-sess_out", secondSessionFile] + clientArguments)
        defer { second.terminate() }
        let secondServer = try await accept(configuration, listener, second)
        XCTAssertEqual(secondServer.connection.negotiated?.resumed, true, second.diagnostics)
        XCTAssertEqual(secondServer.connection.negotiated?.peerCertificates, [])
        try second.wait(forText: "Reused, \(version), Cipher is ")
        // TLS 1.3: the resumed connection brings new tickets, and s_client writes them out. TLS 1.2: s_client calls
        // its new-session callback only after a full handshake, so nothing is written on a resumed one.
        try await closeAfterSession(secondServer, second, sessionFile: version == "TLSv1.3" ? secondSessionFile : nil,
                                    tls13: version == "TLSv1.3")
    }

    /// Our client connects twice to `s_server -naccept 2` with one session cache; the second connection resumes
    /// and s_server says "Reused session-id".
    /// `ticket`: whether s_server issues a ticket (else TLS 1.2 resumes by session ID).
    func resumeAgainstSServer(serverArguments: [String], version: ProtocolVersion, ticket: Bool) async throws {
        let pki = try InteropPKI.shared()
        let (server, port) = try OpenSSLProcess.startListening(readyText: "ACCEPT") { port in
            try OpenSSLProcess(
                ["s_server", "-accept", "127.0.0.1:\(port)", "-naccept", "2",
                 "-cert", pki.certificatePath(.ecdsaP256), "-key", pki.keyPath(.ecdsaP256)] + serverArguments,
                in: pki.directory)
        }
        defer { server.terminate() }
        do {
            var configuration = try pki.clientConfiguration()
            let cache = ClientSessionCache()
            configuration.sessionCache = cache

            let first = try await TLSSocketDriver.connect(configuration, port: port)
            XCTAssertEqual(first.connection.negotiated?.resumed, false)
            XCTAssertEqual(first.connection.negotiated?.version, version)
            // TLS 1.3 tickets come after the handshake; a TLS 1.2 session is cached when the handshake ends.
            try await first.run(until: { _ in cache.count(for: "localhost") >= 1 }, "a session from s_server")
            XCTAssertEqual(newSessionTickets(first, .received) > 0, ticket, "NewSessionTicket received on the first connection")
            try await echo(first, server, "first connection\n")
            try await first.closeAndWaitForPeer()
            try server.wait(forText: "DONE")
            XCTAssertFalse(server.stdoutText.contains("Reused session-id"))

            let second = try await TLSSocketDriver.connect(configuration, port: port)
            let negotiated = try XCTUnwrap(second.connection.negotiated)
            XCTAssertTrue(negotiated.resumed)
            XCTAssertEqual(negotiated.version, version)
            // The resumed connection reports what the first handshake verified.
            XCTAssertEqual(negotiated.peerCertificates, first.connection.negotiated?.peerCertificates)
            XCTAssertFalse(negotiated.peerCertificates.isEmpty)
            XCTAssertEqual(negotiated.serverSignatureScheme, first.connection.negotiated?.serverSignatureScheme)
            try server.wait(forText: "Reused session-id")
            try await echo(second, server, "second connection\n")
            try await second.closeAndWaitForPeer()
            XCTAssertTrue(server.waitForExit(), "s_server -naccept 2 should exit after the second connection")
        } catch {
            throw InteropError("TLSKit client resumption (\(version)): \(error)\n\(server.diagnostics)")
        }
    }

    /// Runs `s_client -reconnect` against our server (six connections), returns what s_client printed for each
    /// ("New" or "Reused") after checking it matches what our server negotiated.
    func reconnect(clientArguments: [String], version: String, configure: (inout TLSServerConfiguration) -> Void = { _ in },
                   file: StaticString = #filePath, line: UInt = #line) async throws -> [String] {
        var configuration = try InteropPKI.shared().serverConfiguration(.ecdsaP256)
        configure(&configuration)
        let (listener, client) = try OpenSSLProcess.startClient(["-reconnect"] + clientArguments)
        defer { client.terminate() }
        var resumed: [Bool] = []
        do {
            for index in 0..<6 {
                let socket = try listener.accept()
                let driver = TLSSocketDriver(connection: try TLSConnection(server: configuration), socket: socket)
                // Not `handshake()`: that also waits for our tickets to be written, and s_client may already
                // have dropped the connection.
                try await driver.run(until: { $0.connection.isHandshakeComplete }, "the handshake")
                resumed.append(driver.connection.negotiated?.resumed ?? false)
                // s_client drops each connection but the last right away (close_notify, then the socket); it may
                // be gone before our answer is written, which is fine here. It keeps the last one until its stdin
                // ends.
                if index == 5 { client.closeStdin() }
                try? await driver.finishAfterPeerClosed()
                socket.close()
            }
            XCTAssertTrue(client.waitForExit(), "s_client -reconnect should exit", file: file, line: line)
        } catch {
            throw InteropError("s_client -reconnect: \(error)\n\(client.diagnostics)")
        }
        let statuses = client.stdoutText.split(separator: "\n").compactMap { text -> String? in
            guard text.hasPrefix("New, ") || text.hasPrefix("Reused, "), let comma = text.firstIndex(of: ",") else { return nil }
            XCTAssertTrue(text.contains(", \(version), "), "\(text)", file: file, line: line)
            return String(text[..<comma])
        }
        XCTAssertEqual(statuses.count, 6, client.diagnostics, file: file, line: line)
        XCTAssertEqual(statuses, resumed.map { $0 ? "Reused" : "New" },
                       "s_client's New/Reused must match our server's negotiated.resumed", file: file, line: line)
        return statuses
    }

    private func newSessionTickets(_ driver: TLSSocketDriver, _ direction: TLSDirection) -> Int {
        driver.events.filter {
            if case .handshakeMessage(direction, .newSessionTicket, _) = $0 { return true } else { return false }
        }.count
    }

    /// A second s_client against the same listener (same arguments as `OpenSSLProcess.startClient`).
    private func sClient(to listener: LoopbackListener, _ arguments: [String]) throws -> OpenSSLProcess {
        let pki = try InteropPKI.shared()
        return try OpenSSLProcess(
            ["s_client", "-connect", "127.0.0.1:\(listener.port)", "-servername", "localhost",
             "-CAfile", pki.caPath, "-verify_return_error", "-verify_hostname", "localhost"] + arguments,
            in: pki.directory)
    }

    private func accept(_ configuration: TLSServerConfiguration, _ listener: LoopbackListener, _ client: OpenSSLProcess)
        async throws -> TLSSocketDriver
    {
        do {
            let driver = try await TLSSocketDriver.accept(configuration, on: listener)
            try client.wait(forText: "Verify return code: 0 (ok)")
            return driver
        } catch {
            throw InteropError("\(error)\n\(client.diagnostics)")
        }
    }

    /// Waits until s_client has written the session to `sessionFile`, if given (TLS 1.3: when our first ticket
    /// arrived after the handshake; TLS 1.2: at the end of a full handshake), closes its stdin (it sends close_notify), answers with
    /// ours and waits for s_client to exit.
    ///
    /// The file, not stdout, shows that a TLS 1.3 ticket arrived: s_client prints "Post-Handshake New Session Ticket
    /// arrived" into a buffered stdout (a file here), which is only flushed when it exits.
    private func closeAfterSession(_ server: TLSSocketDriver, _ client: OpenSSLProcess, sessionFile: String?, tls13: Bool) async throws {
        do {
            let deadline = Date().addingTimeInterval(interopTimeout)
            while let sessionFile,
                  !((try? String(contentsOfFile: sessionFile, encoding: .utf8)) ?? "").contains("END SSL SESSION PARAMETERS") {
                guard Date() < deadline, client.process.isRunning else {
                    throw InteropError("s_client wrote no session to \(sessionFile)")
                }
                usleep(20_000)
            }
            client.closeStdin()
            try await server.finishAfterPeerClosed()
            XCTAssertTrue(client.waitForExit(), "s_client should exit after closing")
            XCTAssertEqual(client.stdoutText.contains("Post-Handshake New Session Ticket arrived"), tls13)
        } catch {
            throw InteropError("\(error)\n\(client.diagnostics)")
        }
    }

    /// A line to s_server (found in its stdout) and one back.
    private func echo(_ client: TLSSocketDriver, _ server: OpenSSLProcess, _ text: String) async throws {
        try await client.send(Array(text.utf8))
        try server.wait(forText: text)
        let reply = "200 \(text)"
        server.writeToStdin(reply)
        let received = try await client.receive(count: reply.utf8.count)
        XCTAssertEqual(String(decoding: received, as: UTF8.self), reply)
    }
}
