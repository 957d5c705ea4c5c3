import Foundation
import TLSKit
import XCTest

/// RFC 7627 extended master secret against GnuTLS, whose `%NO_SESSION_HASH` priority option leaves it out (the way
/// Go ≤ 1.20, OpenSSL 1.0.2 and many embedded stacks behave):
/// - `gnutls-cli` without EMS → our default server: accepted; `--resume` reconnects with the session, and the second
///   connection is a full handshake (we issued nothing resumable). With EMS the same run resumes (the control).
/// - our default client → `gnutls-serv` without EMS: accepted; gnutls-serv issues a ticket and a session ID, we keep
///   neither, so the second connection is a full handshake. With EMS it resumes (the control).
/// - in strict mode (`requireExtendedMasterSecret = true`) both are refused with handshake_failure.
final class ExtendedMasterSecretInteropTests: XCTestCase {
    private static let withoutEMS = ["%NO_SESSION_HASH"]

    // MARK: - gnutls-cli → TLSKit server

    func testGnuTLSClientWithoutEMSIsAcceptedAndNotResumed() async throws {
        try await gnuTLSClientConnectsTwice(priorityOptions: Self.withoutEMS, expectEMS: false)
    }

    func testGnuTLSClientWithEMSResumes() async throws {
        try await gnuTLSClientConnectsTwice(priorityOptions: [], expectEMS: true)
    }

    func testGnuTLSClientWithoutEMSIsRefusedByStrictServer() async throws {
        var configuration = try InteropPKI.shared().serverConfiguration(.ecdsaP256)
        configuration.common.requireExtendedMasterSecret = true
        let (listener, client) = try GnuTLSProcess.startClient(versions: ["TLS1.2"], priorityOptions: Self.withoutEMS)
        defer { client.terminate() }
        do {
            let server = try await TLSSocketDriver.accept(configuration, on: listener)
            XCTFail("the strict server accepted a client without EMS: \(String(describing: server.connection.negotiated))")
        } catch let error as TLSError {
            XCTAssertEqual(error.alert, .handshakeFailure, "\(error)")
            XCTAssertEqual(error.origin, .local)
            XCTAssertTrue(client.waitForExit(), "gnutls-cli should exit after the alert")
            XCTAssertTrue((client.stdoutText + client.stderrText).contains("Received alert [40]: Handshake failed"), client.diagnostics)
        } catch {
            throw InteropError("strict server vs gnutls-cli: \(error)\n\(client.diagnostics)")
        }
    }

    /// `gnutls-cli --resume` (TLS 1.2 only, plus `priorityOptions`): a full handshake, close, a second connection
    /// offering the session; then a line of data and a clean close.
    private func gnuTLSClientConnectsTwice(priorityOptions: [String], expectEMS: Bool) async throws {
        let configuration = try InteropPKI.shared().serverConfiguration(.ecdsaP256)
        let (listener, client) = try GnuTLSProcess.startClient(
            versions: ["TLS1.2"], priorityOptions: priorityOptions, extraArguments: ["--resume"])
        defer { client.terminate() }
        do {
            let first = try await TLSSocketDriver.accept(configuration, on: listener)
            let firstParameters = try XCTUnwrap(first.connection.negotiated)
            XCTAssertEqual(firstParameters.version, .tls12)
            XCTAssertEqual(firstParameters.extendedMasterSecret, expectEMS)
            XCTAssertFalse(firstParameters.resumed)
            // gnutls-cli's own view of the first connection.
            try client.wait(forText: "- Options: ")
            XCTAssertEqual(client.stdoutText.contains("extended master secret"), expectEMS, client.diagnostics)
            try await first.finishAfterPeerClosed()

            let second = try await TLSSocketDriver.accept(configuration, on: listener)
            let secondParameters = try XCTUnwrap(second.connection.negotiated)
            XCTAssertEqual(secondParameters.resumed, expectEMS, "a session without EMS must not be resumed")
            XCTAssertEqual(secondParameters.extendedMasterSecret, expectEMS)
            try client.wait(forText: "- Simple Client Mode")
            let afterReconnect = client.stdoutText.components(separatedBy: "trying to resume previous session").last ?? ""
            XCTAssertEqual(afterReconnect.contains("*** This is a resumed session"), expectEMS, client.diagnostics)
            // (gnutls-cli says "Resume Handshake was completed" either way; a full handshake shows the certificate.)
            XCTAssertEqual(afterReconnect.contains("- Got a certificate list"), !expectEMS, client.diagnostics)

            client.writeToStdin("after the second handshake\n")
            let line = try await second.receive(count: 27)
            XCTAssertEqual(line, Array("after the second handshake\n".utf8))
            client.closeStdin()
            try await second.finishAfterPeerClosed()
            XCTAssertTrue(client.waitForExit(), "gnutls-cli should exit after closing")
        } catch {
            throw InteropError("gnutls-cli --resume \(priorityOptions): \(error)\n\(client.diagnostics)")
        }
    }

    // MARK: - TLSKit client → gnutls-serv

    func testTLSKitClientAcceptsGnuTLSServerWithoutEMSAndDoesNotResume() async throws {
        try await connectTwiceToGnuTLSServer(priorityOptions: Self.withoutEMS, expectEMS: false)
    }

    func testTLSKitClientResumesWithGnuTLSServerWithEMS() async throws {
        try await connectTwiceToGnuTLSServer(priorityOptions: [], expectEMS: true)
    }

    func testStrictTLSKitClientRefusesGnuTLSServerWithoutEMS() async throws {
        let (server, port) = try GnuTLSProcess.startEchoServer(versions: ["TLS1.2"], priorityOptions: Self.withoutEMS)
        defer { server.terminate() }
        var configuration = try InteropPKI.shared().clientConfiguration()
        configuration.common.requireExtendedMasterSecret = true
        do {
            let client = try await TLSSocketDriver.connect(configuration, port: port)
            XCTFail("the strict client accepted a server without EMS: \(String(describing: client.connection.negotiated))")
        } catch let error as TLSError {
            XCTAssertEqual(error.alert, .handshakeFailure, "\(error)")
            XCTAssertEqual(error.origin, .local)
            try server.wait(for: "the alert") { _ in (server.stdoutText + server.stderrText).contains("Handshake failed") }
        } catch {
            throw InteropError("strict client vs gnutls-serv: \(error)\n\(server.diagnostics)")
        }
    }

    /// Our client (default configuration plus a session cache) connects twice to `gnutls-serv --echo` (TLS 1.2 only,
    /// plus `priorityOptions`).
    private func connectTwiceToGnuTLSServer(priorityOptions: [String], expectEMS: Bool) async throws {
        let (server, port) = try GnuTLSProcess.startEchoServer(versions: ["TLS1.2"], priorityOptions: priorityOptions)
        defer { server.terminate() }
        do {
            var configuration = try InteropPKI.shared().clientConfiguration()
            let cache = ClientSessionCache()
            configuration.sessionCache = cache

            let first = try await TLSSocketDriver.connect(configuration, port: port)
            let firstParameters = try XCTUnwrap(first.connection.negotiated)
            XCTAssertEqual(firstParameters.version, .tls12)
            XCTAssertEqual(firstParameters.extendedMasterSecret, expectEMS)
            XCTAssertFalse(firstParameters.resumed)
            // gnutls-serv did offer a resumable session (a ticket): only our rule keeps it out of the cache.
            XCTAssertTrue(first.events.contains { if case .handshakeMessage(.received, .newSessionTicket, _) = $0 { true } else { false } })
            XCTAssertEqual(cache.count(for: "localhost"), expectEMS ? 1 : 0)
            try await first.send(Array("first\n".utf8))
            let firstEcho = try await first.receive(count: 6)
            XCTAssertEqual(firstEcho, Array("first\n".utf8))
            try await first.closeAndWaitForPeer()

            let second = try await TLSSocketDriver.connect(configuration, port: port)
            let secondParameters = try XCTUnwrap(second.connection.negotiated)
            XCTAssertEqual(secondParameters.resumed, expectEMS, "a session without EMS must not be resumed")
            XCTAssertEqual(secondParameters.extendedMasterSecret, expectEMS)
            try await second.send(Array("second\n".utf8))
            let secondEcho = try await second.receive(count: 7)
            XCTAssertEqual(secondEcho, Array("second\n".utf8))
            try await second.closeAndWaitForPeer()
            XCTAssertEqual(server.stdoutText.contains("*** This is a resumed session"), expectEMS, server.diagnostics)
        } catch {
            throw InteropError("gnutls-serv \(priorityOptions): \(error)\n\(server.diagnostics)")
        }
    }
}
