import Foundation
import XCTest

/// End-to-end tests of the `tlskit` binary against curl and openssl (which must be installed: missing is a failure).
final class CLITests: XCTestCase {
    private var children: [ChildProcess] = []
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tlskit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        for child in children { child.stop() }
        children.removeAll()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Helpers

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Starts `tlskit serve --port 0 …`, waits for "ready", and returns the port and the root certificate path.
    private func startServer(_ arguments: [String] = [], ephemeral: Bool = true) throws -> (port: Int, root: String) {
        let root = path("root-\(children.count).pem")
        var all = ["serve", "--port", "0"] + arguments
        if ephemeral { all += ["--root-cert-out", root] }
        let server = try ChildProcess(try tlskitBinary(), all)
        children.append(server)
        try server.waitForOutput("ready")
        guard let line = server.stdout.text.split(separator: "\n").first(where: { $0.hasPrefix("listening on https://") }),
              let url = line.split(separator: " ").dropFirst(2).first,   // https://HOST:PORT
              let portText = url.split(separator: ":").last,
              let port = Int(portText)
        else { throw TestFailure("no listening line in: \(server.stdout.text)") }
        return (port, root)
    }

    private func tlskit(_ arguments: [String], input: String = "") throws -> RunResult {
        try runProgram(try tlskitBinary(), arguments, input: input)
    }

    /// A CA and a leaf for localhost/127.0.0.1 made with the openssl CLI (EKU serverAuth and clientAuth).
    /// `ocspResponder` adds an AIA OCSP URI to the leaf (nothing listens there: responses are made with `openssl ocsp`).
    private func makeOpenSSLIdentity(ocspResponder: Bool = false) throws -> (ca: String, caKey: String, cert: String, key: String) {
        let openssl = try requiredTool("openssl")
        let ca = path("ca.pem"), caKey = path("ca.key"), cert = path("leaf.pem"), key = path("leaf.key")
        let csr = path("leaf.csr"), ext = path("leaf.ext")
        let aia = ocspResponder ? "authorityInfoAccess=OCSP;URI:http://127.0.0.1:9/\n" : ""
        try ("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n" + aia)
            .write(toFile: ext, atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", caKey,
             "-out", ca, "-days", "2", "-subj", "/CN=tlskit test CA"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
             "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "1",
             "-extfile", ext],
        ]
        for step in steps {
            let result = try runProgram(openssl, step)
            guard result.status == 0 else { throw TestFailure("openssl \(step.joined(separator: " ")) failed: \(result.stderr)") }
        }
        return (ca, caKey, cert, key)
    }

    /// A DER OCSP response for the identity's leaf, signed by its CA, saying good or revoked.
    private func makeOCSPResponse(_ identity: (ca: String, caKey: String, cert: String, key: String), revoked: Bool) throws -> String {
        let openssl = try requiredTool("openssl")
        let serialResult = try runProgram(openssl, ["x509", "-in", identity.cert, "-noout", "-serial"])
        let serial = serialResult.stdout.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
        let index = path(revoked ? "index-revoked.txt" : "index-good.txt"), output = path(revoked ? "revoked.der" : "good.der")
        let status = revoked ? "R\t301231000000Z\t240101000000Z,keyCompromise" : "V\t301231000000Z\t"
        try "\(status)\t\(serial)\tunknown\t/CN=localhost\n".write(toFile: index, atomically: true, encoding: .utf8)
        let result = try runProgram(openssl, [
            "ocsp", "-index", index, "-rsigner", identity.ca, "-rkey", identity.caKey, "-CA", identity.ca,
            "-issuer", identity.ca, "-cert", identity.cert, "-respout", output, "-ndays", "1", "-no_nonce",
        ])
        guard result.status == 0 else { throw TestFailure("openssl ocsp failed: \(result.stderr)") }
        return output
    }

    /// The checks every bad-input case shares: non-zero exit and exactly one line on stderr, no stack trace.
    private func assertOneLineError(_ result: RunResult, containing expected: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(result.status, 0, "expected failure; stderr: \(result.stderr)", file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "expected one line on stderr, got: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("tlskit: error: "), "got: \(result.stderr)", file: file, line: line)
        for text in expected {
            XCTAssertTrue(result.stderr.contains(text), "expected '\(text)' in: \(result.stderr)", file: file, line: line)
        }
        for trace in ["Fatal error", "Stack dump", "Current stack trace", "backtrace"] {
            XCTAssertFalse(result.stderr.contains(trace), file: file, line: line)
        }
    }

    /// A usage error: exit status 2, one line saying what is wrong, one naming the command's --help.
    private func assertUsageError(_ result: RunResult, help: String, containing expected: [String] = [],
                                  file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 2, "stderr: \(result.stderr)", file: file, line: line)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, "expected two lines on stderr, got: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(lines.first?.hasPrefix("tlskit: error: ") ?? false, result.stderr, file: file, line: line)
        XCTAssertEqual(lines.last, "tlskit: try '\(help)' for more information", file: file, line: line)
        for text in expected {
            XCTAssertTrue(result.stderr.contains(text), "expected '\(text)' in: \(result.stderr)", file: file, line: line)
        }
        XCTAssertEqual(result.stdout, "", file: file, line: line)
    }

    // MARK: serve, fetched by curl and openssl s_client

    func testCurlFetchesPageOverTLS13() throws {
        let curl = try requiredTool("curl")
        let (port, root) = try startServer(["--mode", "http"])
        let result = try runProgram(curl, ["-sS", "--tlsv1.3", "--cacert", root, "https://localhost:\(port)/hello"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Protocol:          TLSv1.3"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Cipher suite:      TLS_AES_"), result.stdout)
        XCTAssertTrue(result.stdout.contains("SNI:               localhost"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Request:           GET /hello HTTP/1.1"), result.stdout)
    }

    func testCurlKeepsHTTP11ConnectionAlive() throws {
        let curl = try requiredTool("curl")
        let (port, root) = try startServer()
        let url = "https://localhost:\(port)/"
        let result = try runProgram(curl, ["-sS", "-v", "--tlsv1.3", "--cacert", root, url, url])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.components(separatedBy: "Hello from tlskit serve.").count, 3, result.stdout)
        XCTAssertTrue(result.stderr.lowercased().contains("re-using existing connection"), result.stderr)
    }

    func testCurlHTTP10GetsResponseAndConnectionCloses() throws {
        let curl = try requiredTool("curl")
        let (port, root) = try startServer()
        // curl stops reading at Content-Length, so whether it logs our close_notify is a matter of timing; the
        // close_notify itself is checked by testConnectHTTP10ExitsZeroAfterServerCloseNotify (exit 0 needs it).
        let result = try runProgram(curl, ["-sS", "-i", "--http1.0", "--tlsv1.3", "--cacert", root, "https://localhost:\(port)/"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("HTTP/1.1 200 OK"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Connection: close"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Request:           GET / HTTP/1.0"), result.stdout)
    }

    func testOpenSSLClientVerifiesAndGetsResponse() throws {
        let openssl = try requiredTool("openssl")
        let (port, root) = try startServer()
        let result = try runProgram(openssl, [
            "s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-CAfile", root,
            "-verify_return_error", "-ign_eof",
        ], input: "GET / HTTP/1.0\r\n\r\n")
        XCTAssertTrue(result.stdout.contains("Verify return code: 0 (ok)"), result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("HTTP/1.1 200 OK"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Protocol:          TLSv1.3"), result.stdout)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testCurlFetchesPageOverTLS12() throws {
        let curl = try requiredTool("curl")
        let (port, root) = try startServer(["--max-version", "1.2"])
        let result = try runProgram(curl, ["-sS", "--tlsv1.2", "--tls-max", "1.2", "--cacert", root, "https://localhost:\(port)/"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Protocol:          TLSv1.2"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Cipher suite:      TLS_ECDHE_ECDSA_WITH_"), result.stdout)
    }

    // MARK: connect

    func testConnectEchoesStdinAndExitsZero() throws {
        let (port, root) = try startServer(["--mode", "echo"])
        let message = "hello through TLS\nsecond line\n"
        let result = try tlskit([
            "connect", "127.0.0.1:\(port)", "--servername", "localhost", "--cafile", root, "--close-on-eof",
        ], input: message)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, message)
        XCTAssertTrue(result.stderr.contains("Protocol:          TLSv1.3"), result.stderr)
        XCTAssertTrue(result.stderr.contains("Key exchange:      X25519MLKEM768"), result.stderr)
        XCTAssertTrue(result.stderr.contains("Verification:      OK"), result.stderr)
        XCTAssertTrue(result.stderr.contains("subject:  CN=localhost"), result.stderr)
        XCTAssertTrue(result.stderr.contains("SANs:     DNS:localhost, IP:127.0.0.1, IP:::1"), result.stderr)
        XCTAssertTrue(result.stderr.contains("key:      ECDSA P-256"), result.stderr)
    }

    func testConnectWithOptionsAndInsecure() throws {
        let (port, _) = try startServer(["--mode", "echo", "--alpn", "h2,http/1.1"])
        let result = try tlskit([
            "connect", "localhost:\(port)", "--insecure", "--close-on-eof", "--alpn", "http/1.1",
            "--groups", "P-256", "--ciphers", "TLS_CHACHA20_POLY1305_SHA256",
        ], input: "x")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "x")
        XCTAssertTrue(result.stderr.contains("WARNING: --insecure"), result.stderr)
        XCTAssertTrue(result.stderr.contains("Verification:      NOT VERIFIED (--insecure)"), result.stderr)
        XCTAssertTrue(result.stderr.contains("ALPN:              http/1.1"), result.stderr)
        XCTAssertTrue(result.stderr.contains("Key exchange:      secp256r1"), result.stderr)
        XCTAssertTrue(result.stderr.contains("Cipher suite:      TLS_CHACHA20_POLY1305_SHA256"), result.stderr)
    }

    func testConnectHTTP10ExitsZeroAfterServerCloseNotify() throws {
        let (port, root) = try startServer()
        let result = try tlskit(["connect", "localhost:\(port)", "--cafile", root], input: "GET /ok HTTP/1.0\r\n\r\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("HTTP/1.1 200 OK\r\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Request:           GET /ok HTTP/1.0"), result.stdout)

        // HTTP/1.1 with Connection: close ends the same way.
        let closing = try tlskit(["connect", "localhost:\(port)", "--cafile", root],
                                 input: "GET /bye HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(closing.status, 0, closing.stderr)
        XCTAssertTrue(closing.stdout.contains("Connection: close\r\n"), closing.stdout)
        XCTAssertTrue(closing.stdout.contains("Request:           GET /bye HTTP/1.1"), closing.stdout)
    }

    func testConnectExitsNonZeroAfterUncleanClose() throws {
        let openssl = try requiredTool("openssl")
        let identity = try makeOpenSSLIdentity()
        let port = try freePort()
        let server = try ChildProcess(openssl, [
            "s_server", "-accept", "\(port)", "-cert", identity.cert, "-key", identity.key, "-tls1_3",
        ])
        children.append(server)
        try server.waitForOutput("ACCEPT")
        let client = try ChildProcess(try tlskitBinary(), ["connect", "127.0.0.1:\(port)", "--cafile", identity.ca, "--servername", "localhost"])
        children.append(client)
        try client.waitForOutput("Verification:")
        // Killing the server closes its socket without close_notify.
        kill(server.process.processIdentifier, SIGKILL)
        let status = try client.waitForExit()
        XCTAssertEqual(status, 1, client.stderr.text)
        XCTAssertTrue(client.stderr.text.contains("tlskit: error: connection closed without close_notify"), client.stderr.text)
    }

    func testKeyLogFile() throws {
        let (port, root) = try startServer(["--mode", "echo"])
        let keylog = path("keys.log")
        let result = try tlskit(["connect", "localhost:\(port)", "--cafile", root, "--close-on-eof", "--keylog", keylog], input: "k")
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try String(contentsOfFile: keylog, encoding: .utf8)
        for label in ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"] {
            XCTAssertTrue(lines.contains(label + " "), lines)
        }
    }

    func testServeStopsCleanlyOnSIGTERM() throws {
        let (_, root) = try startServer()
        XCTAssertTrue(FileManager.default.fileExists(atPath: root))
        let server = children[children.count - 1]
        server.process.terminate()
        XCTAssertEqual(try server.waitForExit(), 0, server.stderr.text)
        XCTAssertTrue(server.stdout.text.contains("stopped"), server.stdout.text)
        // The ephemeral root is useless once its server is gone, so the file is removed.
        XCTAssertFalse(FileManager.default.fileExists(atPath: root))
    }

    func testTraceListsHandshakeMessagesInOrder() throws {
        let (port, root) = try startServer(["--mode", "echo"])
        let result = try tlskit([
            "connect", "localhost:\(port)", "--cafile", root, "--close-on-eof", "--trace",
        ], input: "ping")
        XCTAssertEqual(result.status, 0, result.stderr)
        let expected = [
            "→ ClientHello (", "← ServerHello (", "← EncryptedExtensions (", "← Certificate (",
            "← CertificateVerify (", "← Finished (", "→ Finished (",
        ]
        let traceLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("→ ") || $0.hasPrefix("← ") }
        XCTAssertGreaterThanOrEqual(traceLines.count, expected.count, result.stderr)
        for (line, prefix) in zip(traceLines, expected) {
            XCTAssertTrue(line.hasPrefix(prefix) && line.hasSuffix(" bytes)"), "expected \(prefix)…, got \(line)")
        }
    }

    func testConnectToOpenSSLServerWWW() throws {
        let openssl = try requiredTool("openssl")
        let identity = try makeOpenSSLIdentity()
        let port = try freePort()
        let server = try ChildProcess(openssl, [
            "s_server", "-accept", "\(port)", "-cert", identity.cert, "-key", identity.key, "-www", "-tls1_3",
        ])
        children.append(server)
        try server.waitForOutput("ACCEPT")
        let result = try tlskit([
            "connect", "127.0.0.1:\(port)", "--cafile", identity.ca, "--servername", "localhost",
        ], input: "GET / HTTP/1.0\r\n\r\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Ciphers supported") || result.stdout.contains("Protocol  : TLSv1.3"), result.stdout)
        XCTAssertTrue(result.stderr.contains("Verification:      OK"), result.stderr)
    }

    func testConnectOverTLS12ToOpenSSLServerWWW() throws {
        let openssl = try requiredTool("openssl")
        let identity = try makeOpenSSLIdentity()
        let port = try freePort()
        let server = try ChildProcess(openssl, [
            "s_server", "-accept", "\(port)", "-cert", identity.cert, "-key", identity.key, "-www",
        ])
        children.append(server)
        try server.waitForOutput("ACCEPT")
        let result = try tlskit([
            "connect", "127.0.0.1:\(port)", "--cafile", identity.ca, "--servername", "localhost", "--max-version", "1.2",
        ], input: "GET / HTTP/1.0\r\n\r\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("Protocol:          TLSv1.2"), result.stderr)
        XCTAssertTrue(result.stdout.contains("Protocol  : TLSv1.2"), result.stdout)
    }

    // MARK: Resumption (connect --reconnect)

    /// The "Connection i to TARGET: …" lines of `connect --reconnect`, as (i, "resumed"/"new session", version).
    private func reconnectLines(_ stderr: String, target: String) -> [(Int, String, String)] {
        stderr.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("Connection "), let range = line.range(of: " to \(target): ") else { return nil }
            let number = Int(line[line.index(line.startIndex, offsetBy: 11)..<range.lowerBound]) ?? -1
            let fields = line[range.upperBound...].components(separatedBy: ", ")
            return (number, fields.last ?? "", fields.first ?? "")
        }
    }

    /// `tlskit serve` issues tickets; `tlskit connect --reconnect 2` resumes on the second and third connections.
    func testResumptionConnectReconnectToServe() throws {
        let (port, root) = try startServer(["--mode", "echo"])
        let result = try tlskit([
            "connect", "127.0.0.1:\(port)", "--servername", "localhost", "--cafile", root, "--close-on-eof", "--reconnect", "2",
        ], input: "x")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "x")
        let lines = reconnectLines(result.stderr, target: "127.0.0.1:\(port)")
        XCTAssertEqual(lines.map(\.0), [1, 2, 3], result.stderr)
        XCTAssertEqual(lines.map(\.1), ["new session", "resumed", "resumed"], result.stderr)
        XCTAssertEqual(Set(lines.map(\.2)), ["TLSv1.3"], result.stderr)
        XCTAssertTrue(result.stderr.contains("Session:           resumed (PSK from a session ticket)"), result.stderr)
    }

    /// The same over TLS 1.2 (RFC 5077 tickets from `tlskit serve`).
    func testResumptionConnectReconnectOverTLS12ToServe() throws {
        let (port, root) = try startServer(["--mode", "echo"])
        let result = try tlskit([
            "connect", "127.0.0.1:\(port)", "--servername", "localhost", "--cafile", root, "--close-on-eof", "--reconnect", "2",
            "--max-version", "1.2",
        ], input: "x")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "x")
        let lines = reconnectLines(result.stderr, target: "127.0.0.1:\(port)")
        XCTAssertEqual(lines.map(\.1), ["new session", "resumed", "resumed"], result.stderr)
        XCTAssertEqual(Set(lines.map(\.2)), ["TLSv1.2"], result.stderr)
    }

    /// Against `openssl s_server -www`: the last connection is resumed, and the status page OpenSSL serves on it
    /// says "Reused".
    func testResumptionConnectReconnectToOpenSSLServerWWW() throws {
        let openssl = try requiredTool("openssl")
        let identity = try makeOpenSSLIdentity()
        let port = try freePort()
        let server = try ChildProcess(openssl, [
            "s_server", "-accept", "\(port)", "-cert", identity.cert, "-key", identity.key, "-www", "-tls1_3",
        ])
        children.append(server)
        try server.waitForOutput("ACCEPT")
        let result = try tlskit([
            "connect", "127.0.0.1:\(port)", "--cafile", identity.ca, "--servername", "localhost", "--reconnect", "2",
        ], input: "GET / HTTP/1.0\r\n\r\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(reconnectLines(result.stderr, target: "127.0.0.1:\(port)").map(\.1), ["new session", "resumed", "resumed"], result.stderr)
        XCTAssertTrue(result.stdout.contains("Reused, TLSv1.3, Cipher is "), result.stdout)
    }

    // MARK: Extended master secret (RFC 7627): GnuTLS with %NO_SESSION_HASH leaves it out

    private static let gnuTLSWithoutEMS = "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH"

    /// `tlskit connect` to a TLS 1.2 gnutls-serv without EMS: accepted, the summary says so, nothing is resumed;
    /// `--require-ems` refuses it with handshake_failure.
    func testConnectToGnuTLSServerWithoutEMS() throws {
        let gnutls = try requiredTool("gnutls-serv")
        let identity = try makeOpenSSLIdentity()
        let port = try freePort()
        let server = try ChildProcess(gnutls, [
            "--echo", "--port", "\(port)", "--x509certfile", identity.cert, "--x509keyfile", identity.key,
            "--priority", Self.gnuTLSWithoutEMS,
        ])
        children.append(server)
        try server.waitForOutput("Echo Server listening")
        let arguments = ["connect", "127.0.0.1:\(port)", "--cafile", identity.ca, "--servername", "localhost", "--close-on-eof"]
        let result = try tlskit(arguments + ["--reconnect", "1"], input: "x")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("Protocol:          TLSv1.2"), result.stderr)
        XCTAssertTrue(result.stderr.contains("Master secret:     legacy: no extended master secret (RFC 7627)"), result.stderr)
        XCTAssertEqual(reconnectLines(result.stderr, target: "127.0.0.1:\(port)").map(\.1), ["new session", "new session"], result.stderr)

        let strict = try tlskit(arguments + ["--require-ems"], input: "x")
        assertOneLineError(strict, containing: ["handshake failed: we sent handshake_failure", "extended master secret"])
    }

    /// gnutls-cli without EMS to `tlskit serve`: accepted (logged with ems=no); `serve --require-ems` refuses it.
    func testServeAcceptsGnuTLSClientWithoutEMSUnlessRequired() throws {
        let gnutls = try requiredTool("gnutls-cli")
        for strict in [false, true] {
            let (port, root) = try startServer(["--mode", "echo"] + (strict ? ["--require-ems"] : []))
            let result = try runProgram(gnutls, [
                "--x509cafile", root, "--verify-hostname", "localhost", "--port", "\(port)",
                "--priority", Self.gnuTLSWithoutEMS, "127.0.0.1",
            ], input: "hello\n")
            let server = children[children.count - 1]
            if strict {
                XCTAssertNotEqual(result.status, 0, result.stdout)
                try server.waitForOutput("handshake failed: we sent handshake_failure")
            } else {
                XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
                XCTAssertTrue(result.stdout.contains("- Handshake was completed"), result.stdout)
                XCTAssertFalse(result.stdout.contains("extended master secret"), result.stdout)
                try server.waitForOutput(" ems=no")
            }
        }
    }

    func testServeWithGivenCertificateRequiresClientCertificate() throws {
        let identity = try makeOpenSSLIdentity()
        let (port, _) = try startServer(
            ["--cert", identity.cert, "--key", identity.key, "--client-ca", identity.ca], ephemeral: false)
        let request = "GET / HTTP/1.0\r\n\r\n"
        let authenticated = try tlskit([
            "connect", "localhost:\(port)", "--cafile", identity.ca, "--cert", identity.cert, "--key", identity.key,
        ], input: request)
        XCTAssertEqual(authenticated.status, 0, authenticated.stderr)
        XCTAssertTrue(authenticated.stdout.contains("Client cert:       CN=localhost"), authenticated.stdout)

        let anonymous = try tlskit(["connect", "localhost:\(port)", "--cafile", identity.ca], input: request)
        XCTAssertNotEqual(anonymous.status, 0, anonymous.stderr)
        XCTAssertTrue(anonymous.stderr.contains("certificate_required"), anonymous.stderr)
    }

    // MARK: OCSP stapling, both directions

    func testOpenSSLClientSeesOurStapledOCSPResponse() throws {
        let openssl = try requiredTool("openssl")
        let identity = try makeOpenSSLIdentity(ocspResponder: true)
        let response = try makeOCSPResponse(identity, revoked: false)
        let (port, _) = try startServer(["--cert", identity.cert, "--key", identity.key, "--ocsp-response", response],
                                        ephemeral: false)
        for version in ["-tls1_3", "-tls1_2"] {
            let result = try runProgram(openssl, [
                "s_client", version, "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-CAfile", identity.ca,
                "-status", "-verify_return_error",
            ], input: "")
            XCTAssertTrue(result.stdout.contains("OCSP Response Status: successful"), "\(version): \(result.stdout)")
            XCTAssertTrue(result.stdout.contains("Cert Status: good"), "\(version): \(result.stdout)")
            XCTAssertTrue(result.stdout.contains("Verify return code: 0 (ok)"), "\(version): \(result.stdout)")
        }
    }

    func testConnectChecksOpenSSLServersStaple() throws {
        let openssl = try requiredTool("openssl")
        let identity = try makeOpenSSLIdentity(ocspResponder: true)
        for (revoked, version) in [(false, "1.3"), (false, "1.2"), (true, "1.3"), (true, "1.2")] {
            let response = try makeOCSPResponse(identity, revoked: revoked)
            let port = try freePort()
            let server = try ChildProcess(openssl, [
                "s_server", "-accept", "\(port)", "-cert", identity.cert, "-key", identity.key, "-www", "-status_file", response,
            ])
            children.append(server)
            try server.waitForOutput("ACCEPT")
            let result = try tlskit([
                "connect", "127.0.0.1:\(port)", "--cafile", identity.ca, "--servername", "localhost",
                "--min-version", version, "--max-version", version,
            ], input: "GET / HTTP/1.0\r\n\r\n")
            if revoked {
                XCTAssertNotEqual(result.status, 0, "TLS \(version)")
                XCTAssertTrue(result.stderr.contains("certificate_revoked"), "TLS \(version): \(result.stderr)")
            } else {
                XCTAssertEqual(result.status, 0, "TLS \(version): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains("Verification:      OK"), result.stderr)
            }
        }
    }

    // MARK: serve: ports, ALPN in http mode, localhost on both families, log lines

    /// The server's stderr lines that log connections ("TIMESTAMP PEER: …").
    private func logLines(_ server: ChildProcess) -> [Substring] {
        server.stderr.text.split(separator: "\n")
    }

    func testServeRejectsPortsOutsideTheTCPRange() throws {
        for port in ["99999", "65536", "-1"] {
            let result = try tlskit(["serve", "--port", port])
            XCTAssertNotEqual(result.status, 0, "--port \(port): \(result.stdout)")
            XCTAssertFalse(result.stdout.contains("listening"), result.stdout)
            XCTAssertTrue(result.stderr.contains("0 to 65535") || result.stderr.contains("--port"), result.stderr)
        }
        let connect = try tlskit(["connect", "localhost:99999"])
        XCTAssertNotEqual(connect.status, 0)
        XCTAssertTrue(connect.stderr.contains("invalid port '99999'"), connect.stderr)
    }

    func testServeRefusesNonHTTP1ALPNInHTTPMode() throws {
        for alpn in ["h2", "h2,http/1.1"] {
            let result = try tlskit(["serve", "--port", "0", "--alpn", alpn])
            XCTAssertNotEqual(result.status, 0, "--alpn \(alpn): \(result.stdout)")
            XCTAssertFalse(result.stdout.contains("listening"), result.stdout)
            XCTAssertTrue(result.stderr.contains("--mode http answers HTTP/1.1 only"), result.stderr)
        }
        // http/1.1 alone is what http mode speaks: curl negotiates it.
        let curl = try requiredTool("curl")
        let (port, root) = try startServer(["--alpn", "http/1.1"])
        let fetched = try runProgram(curl, ["-sS", "-v", "--cacert", root, "https://localhost:\(port)/"])
        XCTAssertEqual(fetched.status, 0, fetched.stderr)
        XCTAssertTrue(fetched.stdout.contains("ALPN:              http/1.1"), fetched.stdout)
    }

    func testServeOnLocalhostListensOnIPv4AndIPv6() throws {
        let curl = try requiredTool("curl")
        let (port, root) = try startServer(["--host", "localhost"])
        let server = children[children.count - 1]
        XCTAssertTrue(server.stdout.text.contains("listening on https://localhost:\(port) on 127.0.0.1 and [::1]"), server.stdout.text)
        for address in ["127.0.0.1", "[::1]"] {
            let result = try runProgram(curl, [
                "-sS", "--cacert", root, "--connect-to", "localhost:\(port):\(address):\(port)", "https://localhost:\(port)/",
            ])
            XCTAssertEqual(result.status, 0, "\(address): \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("Client address:    \(address):"), result.stdout)
        }
    }

    func testServeLogLineHasTimestampAndResumedFlag() throws {
        let (port, root) = try startServer(["--mode", "echo"])
        let server = children[children.count - 1]
        let result = try tlskit([
            "connect", "127.0.0.1:\(port)", "--servername", "localhost", "--cafile", root, "--close-on-eof", "--reconnect", "1",
        ], input: "x")
        XCTAssertEqual(result.status, 0, result.stderr)
        try server.waitForOutput("resumed=yes")
        let pattern = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 127\.0\.0\.1:\d+: TLSv1\.3 \S+ \S+ resumed=(yes|no) "#
        let regex = try NSRegularExpression(pattern: pattern)
        let matching = logLines(server).filter { line in
            regex.firstMatch(in: String(line), range: NSRange(line.startIndex..., in: line)) != nil
        }
        XCTAssertEqual(matching.count, 2, server.stderr.text)
        XCTAssertTrue(matching.first?.contains("resumed=no") ?? false, server.stderr.text)
        XCTAssertTrue(matching.last?.contains("resumed=yes") ?? false, server.stderr.text)
    }

    /// A client that drops the TCP connection after its response arrived (as browsers and curl often do) is not a
    /// warning; one that drops it before any response still is.
    func testServeDoesNotWarnAboutUncleanCloseAfterCompleteResponse() throws {
        let (port, root) = try startServer()
        let server = children[children.count - 1]
        let client = try ChildProcess(try tlskitBinary(), ["connect", "localhost:\(port)", "--cafile", root])
        children.append(client)
        client.writeStdin("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        try client.waitForOutput("Hello from tlskit serve.")
        kill(client.process.processIdentifier, SIGKILL)
        try server.waitForOutput("closed after 1 response")
        XCTAssertFalse(server.stderr.text.contains("without close_notify"), server.stderr.text)

        let early = try ChildProcess(try tlskitBinary(), ["connect", "localhost:\(port)", "--cafile", root])
        children.append(early)
        try early.waitForOutput("Verification:")
        kill(early.process.processIdentifier, SIGKILL)
        try server.waitForOutput("connection closed without close_notify")
    }

    // MARK: connect: default port, terminal EOF, SSLKEYLOGFILE, --showcerts, --json, hints, plain HTTP

    func testConnectDefaultsToPort443() throws {
        // Nothing listens on 443 here: the error names the port that was tried.
        for (target, shown) in [("127.0.0.1", "127.0.0.1:443"), ("[::1]", "[::1]:443")] {
            let result = try tlskit(["connect", target, "--insecure"])
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.stderr.contains("tlskit: error: cannot connect to \(shown): "), result.stderr)
        }
    }

    /// Ctrl-D at a terminal ends the session (close_notify, then exit 0 after the server's), as end of piped input
    /// does with --close-on-eof.
    func testConnectEndsSessionAtEndOfTerminalInput() throws {
        let (port, root) = try startServer(["--mode", "echo"])
        let client = try ChildProcess(try tlskitBinary(), ["connect", "localhost:\(port)", "--cafile", root], terminal: true)
        children.append(client)
        try client.waitForOutput("---")
        client.writeStdin("ping\n")
        try client.waitForOutput("ping")
        client.closeStdin()
        XCTAssertEqual(try client.waitForExit(), 0, client.stderr.text)
        XCTAssertEqual(client.stdout.text, "ping\n")
    }

    func testConnectHonoursSSLKEYLOGFILE() throws {
        let (port, root) = try startServer(["--mode", "echo"])
        let fromEnvironment = path("env-keys.log")
        let arguments = ["connect", "localhost:\(port)", "--cafile", root, "--close-on-eof"]
        let result = try runProgram(try tlskitBinary(), arguments, input: "k", environment: ["SSLKEYLOGFILE": fromEnvironment])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try String(contentsOfFile: fromEnvironment, encoding: .utf8)
        XCTAssertTrue(lines.contains("CLIENT_TRAFFIC_SECRET_0 "), lines)

        // --keylog wins over the environment.
        let explicit = path("explicit-keys.log"), ignored = path("ignored-keys.log")
        let both = try runProgram(try tlskitBinary(), arguments + ["--keylog", explicit], input: "k",
                                  environment: ["SSLKEYLOGFILE": ignored])
        XCTAssertEqual(both.status, 0, both.stderr)
        XCTAssertTrue(try String(contentsOfFile: explicit, encoding: .utf8).contains("SERVER_TRAFFIC_SECRET_0 "))
        XCTAssertFalse(FileManager.default.fileExists(atPath: ignored))
    }

    func testConnectShowCertsPrintsThePeerChainAsPEM() throws {
        let openssl = try requiredTool("openssl")
        let (port, root) = try startServer(["--mode", "echo"])
        let result = try tlskit(["connect", "localhost:\(port)", "--cafile", root, "--close-on-eof", "--showcerts"], input: "")
        XCTAssertEqual(result.status, 0, result.stderr)
        guard let begin = result.stderr.range(of: "-----BEGIN CERTIFICATE-----"),
              let end = result.stderr.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<result.stderr.endIndex)
        else { return XCTFail("no PEM block in: \(result.stderr)") }
        let pem = path("peer.pem")
        try String(result.stderr[begin.lowerBound..<end.upperBound]).appending("\n").write(toFile: pem, atomically: true, encoding: .utf8)
        let parsed = try runProgram(openssl, ["x509", "-in", pem, "-noout", "-subject"])
        XCTAssertEqual(parsed.status, 0, parsed.stderr)
        XCTAssertTrue(parsed.stdout.contains("CN=localhost") || parsed.stdout.contains("CN = localhost"), parsed.stdout)
        XCTAssertEqual(result.stdout, "", "PEM goes to stderr; stdout carries only the server's data")
    }

    func testConnectJSONSummary() throws {
        let (port, root) = try startServer(["--mode", "echo", "--alpn", "h2"])
        let result = try tlskit(["connect", "127.0.0.1:\(port)", "--servername", "localhost", "--cafile", root, "--alpn", "h2",
                                 "--json", "--reconnect", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(object?["protocol"] as? String, "TLSv1.3", result.stdout)
        XCTAssertEqual(object?["alpn"] as? String, "h2")
        XCTAssertEqual(object?["serverName"] as? String, "localhost")
        XCTAssertEqual(object?["target"] as? String, "127.0.0.1:\(port)")
        XCTAssertEqual(object?["verified"] as? Bool, true)
        XCTAssertEqual(object?["resumed"] as? Bool, true)
        XCTAssertEqual((object?["connections"] as? [[String: Any]])?.compactMap { $0["resumed"] as? Bool }, [false, true])
        let certificates = object?["peerCertificates"] as? [[String: Any]]
        XCTAssertEqual(certificates?.first?["subject"] as? String, "CN=localhost,O=TLSKit")
        XCTAssertTrue((certificates?.first?["pem"] as? String)?.hasPrefix("-----BEGIN CERTIFICATE-----\n") ?? false)

        // A failure is still JSON on stdout (and the usual line on stderr).
        let failed = try tlskit(["connect", "localhost:\(port)", "--json"])
        XCTAssertEqual(failed.status, 1)
        let error = try JSONSerialization.jsonObject(with: Data(failed.stdout.utf8)) as? [String: Any]
        XCTAssertTrue((error?["error"] as? String)?.contains("handshake failed") ?? false, failed.stdout)
    }

    func testVersionFlag() throws {
        let result = try tlskit(["--version"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("tlskit "), result.stdout)
    }

    /// Certificate failures on connect carry the hint `tlskit verify` gives, worded for a live server.
    func testConnectCertificateErrorsCarryHints() throws {
        let (port, root) = try startServer(["--mode", "echo"])
        let unknownRoot = try tlskit(["connect", "localhost:\(port)"])   // system roots do not know the ephemeral root
        assertOneLineError(unknownRoot, containing: ["we sent unknown_ca", "hint: the chain does not lead to a trusted root: pass the issuing root with --cafile"])
        let wrongName = try tlskit(["connect", "127.0.0.1:\(port)", "--cafile", root, "--servername", "example.test"])
        assertOneLineError(wrongName, containing: ["server-identity", "hint: the certificate's subjectAltName does not list the name you connected to"])
    }

    func testConnectToPlainHTTPServerSaysSo() throws {
        let server = try PlainTCPServer(response: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        let result = try tlskit(["connect", "127.0.0.1:\(server.port)", "--insecure"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("tlskit: error: handshake failed: the peer spoke plain HTTP"), result.stderr)
        XCTAssertFalse(result.stderr.contains("unknown content type"), result.stderr)
    }

    // MARK: A persistent identity: serve --identity-dir, cert create

    /// The value printed after `label` on one of the server's stdout lines.
    private func printed(_ label: String, by server: ChildProcess) -> String? {
        server.stdout.text.split(separator: "\n").first { $0.hasPrefix(label) }.map { String($0.dropFirst(label.count)) }
    }

    func testServeIdentityDirCreatesTheRootOnceAndReusesIt() throws {
        let openssl = try requiredTool("openssl")
        let identityDir = path("identity")
        let root = identityDir + "/rootCA.pem"
        var fingerprints: [String] = []
        for run in 0..<2 {
            let (port, _) = try startServer(["--identity-dir", identityDir], ephemeral: false)
            let server = children[children.count - 1]
            XCTAssertTrue(server.stdout.text.contains("root certificate (trust this once): \(root) "
                + (run == 0 ? "(created now)" : "(kept from an earlier run)")), server.stdout.text)
            fingerprints.append(printed("root certificate SHA-256: ", by: server) ?? "?")
            let result = try runProgram(openssl, [
                "s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-CAfile", root,
                "-verify_return_error", "-verify_hostname", "localhost",
            ], input: "")
            XCTAssertTrue(result.stdout.contains("Verify return code: 0 (ok)"), result.stdout + result.stderr)
            server.stop()
            // The root is the point of the directory: stopping keeps it.
            XCTAssertTrue(FileManager.default.fileExists(atPath: root))
        }
        XCTAssertEqual(fingerprints.count, 2)
        XCTAssertEqual(fingerprints.first, fingerprints.last)
        let attributes = try FileManager.default.attributesOfItem(atPath: identityDir + "/rootCA-key.pem")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }

    func testCertCreateClientCertificateIsAcceptedByServeClientCA() throws {
        let openssl = try requiredTool("openssl")
        let identityDir = path("identity")
        let root = identityDir + "/rootCA.pem"
        let certificate = path("alice.pem"), key = path("alice-key.pem")
        let created = try tlskit(["cert", "create", "--identity-dir", identityDir, "--client", "alice",
                                  "--cert-file", certificate, "--key-file", key])
        XCTAssertEqual(created.status, 0, created.stderr)
        XCTAssertTrue(created.stdout.contains("created a new local root: \(root)"), created.stdout)
        let text = try runProgram(openssl, ["x509", "-in", certificate, "-noout", "-text"])
        XCTAssertTrue(text.stdout.contains("TLS Web Client Authentication"), text.stdout)
        let verified = try runProgram(openssl, ["verify", "-CAfile", root, "-purpose", "sslclient", certificate])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)

        let (port, _) = try startServer(["--identity-dir", identityDir, "--client-ca", root], ephemeral: false)
        let request = "GET / HTTP/1.0\r\n\r\n"
        let authenticated = try tlskit(["connect", "localhost:\(port)", "--cafile", root, "--cert", certificate, "--key", key],
                                       input: request)
        XCTAssertEqual(authenticated.status, 0, authenticated.stderr)
        XCTAssertTrue(authenticated.stdout.contains("Client cert:       CN=alice,OU="), authenticated.stdout)
        let anonymous = try tlskit(["connect", "localhost:\(port)", "--cafile", root], input: request)
        XCTAssertTrue(anonymous.stderr.contains("certificate_required"), anonymous.stderr)

        // A server certificate from the same root, mkcert's file names, in the current directory.
        let server = try ChildProcess(try tlskitBinary(), ["cert", "create", "--identity-dir", identityDir, "example.test",
                                                         "192.0.2.7"], currentDirectory: directory)
        XCTAssertEqual(try server.waitForExit(), 0, server.stderr.text)
        XCTAssertFalse(server.stdout.text.contains("created a new local root"), server.stdout.text)
        let leaf = path("example.test+1.pem")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("example.test+1-key.pem")))
        let check = try tlskit(["verify", "--cafile", root, "--host", "example.test", leaf])
        XCTAssertEqual(check.status, 0, check.stdout)
        assertUsageError(try tlskit(["cert", "create", "--identity-dir", identityDir, "not a name"]),
                         help: "tlskit cert create --help", containing: ["'not a name' is not a DNS name"])
    }

    // MARK: scan

    /// The report line for `name` (first match): its verdict and value.
    private func scanLine(_ report: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) -> (verdict: String, value: String)? {
        for text in report.split(separator: "\n") where text.hasPrefix("  \(name) ") {
            let rest = text.dropFirst(2 + name.count).drop(while: { $0 == " " })
            let verdict = rest.prefix(while: { $0 != " " })
            return (String(verdict), rest.dropFirst(verdict.count).trimmingCharacters(in: .whitespaces))
        }
        XCTFail("no line for \(name) in:\n\(report)", file: file, line: line)
        return nil
    }

    private func assertScanLine(_ report: String, _ name: String, _ verdict: String, _ value: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        guard let found = scanLine(report, name, file: file, line: line) else { return }
        XCTAssertEqual(found.verdict, verdict, "\(name): \(found.value)", file: file, line: line)
        XCTAssertTrue(found.value.contains(value), "\(name): expected '\(value)' in '\(found.value)'", file: file, line: line)
    }

    private func scanJSON(_ result: RunResult, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(result.stdout)")
        }
        return object
    }

    func testScanTLSKitServe() throws {
        let (port, root) = try startServer(["--mode", "echo", "--alpn", "h2,http/1.1"])
        let arguments = ["scan", "127.0.0.1:\(port)", "--servername", "localhost", "--cafile", root]
        let result = try tlskit(arguments)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        let report = result.stdout
        XCTAssertTrue(report.hasPrefix("tlskit scan 127.0.0.1:\(port) (server name localhost)"), report)
        assertScanLine(report, "TLS 1.3", "good", "offered")
        assertScanLine(report, "TLS 1.2", "good", "offered")
        assertScanLine(report, "TLS 1.1", "good", "not offered")
        assertScanLine(report, "TLS 1.0", "good", "not offered")
        XCTAssertTrue(report.contains("Cipher suites (TLS 1.3, server's order)"), report)
        assertScanLine(report, "TLS_CHACHA20_POLY1305_SHA256", "good", "offered")
        assertScanLine(report, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "good", "offered")
        assertScanLine(report, "CBC, RSA, DHE, 3DES, RC4, NULL, export, anon", "good", "none accepted")
        assertScanLine(report, "X25519MLKEM768", "good", "supported")
        assertScanLine(report, "secp521r1", "good", "supported")
        assertScanLine(report, "Post-quantum", "good", "X25519MLKEM768")
        assertScanLine(report, "ecdsa_secp256r1_sha256", "good", "used when asked for")
        assertScanLine(report, "h2", "good", "accepted")
        assertScanLine(report, "Choice", "good", "the server picks h2")
        assertScanLine(report, "TLS 1.3 session tickets", "good", "2 issued, resumption works")
        assertScanLine(report, "0-RTT (early data)", "good", "not offered")
        assertScanLine(report, "TLS 1.2 resumption", "good", "works")
        assertScanLine(report, "OCSP stapling", "weak", "not stapled")
        assertScanLine(report, "Extended master secret", "good", "negotiated")
        assertScanLine(report, "Secure renegotiation", "good", "supported (RFC 5746)")
        assertScanLine(report, "Downgrade sentinel", "good", "present")
        assertScanLine(report, "TLS_FALLBACK_SCSV", "good", "refused (inappropriate_fallback)")
        assertScanLine(report, "Subject", "good", "CN=localhost")
        assertScanLine(report, "Subject alternative names", "good", "DNS:localhost, IP:127.0.0.1, IP:::1")
        assertScanLine(report, "Key", "good", "ECDSA P-256")
        assertScanLine(report, "Chain", "good", "verifies to CN=TLSKit ephemeral root,O=TLSKit")
        XCTAssertTrue(report.contains("\nSummary: "), report)
        // Progress goes to stderr while probing; the report alone to stdout.
        XCTAssertTrue(result.stderr.contains("scan: protocol versions\n"), result.stderr)
        XCTAssertTrue(result.stderr.contains("scan: done ("), result.stderr)

        let json = try scanJSON(try tlskit(arguments + ["--json"]))
        XCTAssertEqual(json["versions"] as? [String: Bool], ["TLSv1.3": true, "TLSv1.2": true, "TLSv1.1": false, "TLSv1.0": false])
        let groups = json["groups"] as? [String: [String]]
        XCTAssertEqual(groups?["TLSv1.3"], ["X25519MLKEM768", "X25519", "secp256r1", "secp384r1", "secp521r1"])
        XCTAssertEqual(json["serverCipherOrder"] as? [String: Bool], ["TLSv1.3": true, "TLSv1.2": true])
        XCTAssertEqual(json["fallbackSCSV"] as? String, "refused")
        XCTAssertEqual(json["secureRenegotiation"] as? Bool, true)
        XCTAssertEqual(json["extendedMasterSecret"] as? Bool, true)
        let resumption = json["resumption"] as? [String: Any]
        XCTAssertEqual(resumption?["tls13Resumed"] as? Bool, true)
        XCTAssertEqual(resumption?["tls12Resumed"] as? Bool, true)
        XCTAssertEqual(resumption?["earlyData"] as? String, "not offered")
        XCTAssertEqual((json["alpn"] as? [String: Any])?["preferred"] as? String, "h2")
        let certificate = json["certificate"] as? [String: Any]
        XCTAssertEqual(certificate?["verified"] as? Bool, true)
        XCTAssertEqual(certificate?["key"] as? String, "ECDSA P-256")
        XCTAssertEqual((json["summary"] as? [String: Int])?["bad"], 0)
        let findings = json["findings"] as? [[String: Any]]
        XCTAssertTrue(findings?.contains { $0["name"] as? String == "TLS_FALLBACK_SCSV" && $0["verdict"] as? String == "good" } ?? false)

        // Without the root the chain is bad: exit status 3, with the hint.
        let untrusted = try tlskit(["scan", "localhost:\(port)"])
        XCTAssertEqual(untrusted.status, 3, untrusted.stdout + untrusted.stderr)
        assertScanLine(untrusted.stdout, "Chain", "bad", "hint: the chain does not lead to a trusted root")
    }

    func testScanOpenSSLServerWithEarlyDataAndStapling() throws {
        let openssl = try requiredTool("openssl")
        let identity = try makeOpenSSLIdentity(ocspResponder: true)
        let response = try makeOCSPResponse(identity, revoked: false)
        let port = try freePort()
        let server = try ChildProcess(openssl, [
            "s_server", "-accept", "\(port)", "-cert", identity.cert, "-key", identity.key, "-alpn", "h2",
            "-early_data", "-status_file", response,
        ])
        children.append(server)
        try server.waitForOutput("ACCEPT")
        let arguments = ["scan", "127.0.0.1:\(port)", "--servername", "localhost", "--cafile", identity.ca]
        let result = try tlskit(arguments)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        let report = result.stdout
        assertScanLine(report, "TLS 1.3", "good", "offered")
        assertScanLine(report, "Order", "good", "the client's")
        assertScanLine(report, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "weak", "accepted (CBC)")
        assertScanLine(report, "secp521r1", "good", "supported")
        assertScanLine(report, "h2", "good", "accepted")
        assertScanLine(report, "http/1.1", "weak", "no_application_protocol")
        assertScanLine(report, "0-RTT (early data)", "weak", "accepted")
        assertScanLine(report, "OCSP stapling", "good", "a response is stapled")
        assertScanLine(report, "TLS_FALLBACK_SCSV", "good", "refused")
        assertScanLine(report, "Chain", "good", "verifies to CN=tlskit test CA")

        let json = try scanJSON(try tlskit(arguments + ["--json"]))
        XCTAssertEqual((json["resumption"] as? [String: Any])?["earlyData"] as? String, "accepted")
        XCTAssertEqual(json["ocspStapling"] as? Bool, true)
        XCTAssertEqual(json["serverCipherOrder"] as? [String: Bool], ["TLSv1.3": false, "TLSv1.2": false])
        XCTAssertTrue((json["legacyCipherSuites"] as? [String])?.contains("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA") ?? false)
    }

    /// An RSA server: RSA suites and schemes, and every legacy suite it still accepts (OpenSSL's defaults accept 14,
    /// more than the first cut of the elimination stopped at).
    func testScanOpenSSLServerWithRSACertificate() throws {
        let openssl = try requiredTool("openssl")
        let certificate = path("rsa.pem"), key = path("rsa.key")
        let made = try runProgram(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
        ])
        XCTAssertEqual(made.status, 0, made.stderr)
        let port = try freePort()
        let server = try ChildProcess(openssl, ["s_server", "-accept", "\(port)", "-cert", certificate, "-key", key, "-www"])
        children.append(server)
        try server.waitForOutput("ACCEPT")
        let arguments = ["scan", "localhost:\(port)", "--cafile", certificate]
        let result = try tlskit(arguments)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        assertScanLine(result.stdout, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "good", "offered")
        assertScanLine(result.stdout, "TLS_RSA_WITH_AES_128_GCM_SHA256", "weak", "RSA key exchange: no forward secrecy")
        assertScanLine(result.stdout, "Key", "good", "RSA 2048")
        assertScanLine(result.stdout, "Issuer", "weak", "self-signed")
        assertScanLine(result.stdout, "Chain", "good", "verifies to CN=localhost")
        let json = try scanJSON(try tlskit(arguments + ["--json"]))
        let legacy = json["legacyCipherSuites"] as? [String] ?? []
        XCTAssertGreaterThan(legacy.count, 12, "\(legacy)")
        XCTAssertTrue(legacy.contains("TLS_RSA_WITH_AES_128_CBC_SHA256"), "\(legacy)")
        let schemes = json["signatureSchemes"] as? [String: [String]]
        XCTAssertEqual(schemes?["TLSv1.3"], ["rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"])
        XCTAssertTrue(schemes?["TLSv1.2"]?.contains("rsa_pkcs1_sha256") ?? false, "\(String(describing: schemes))")
    }

    func testScanGnuTLSServers() throws {
        let gnutls = try requiredTool("gnutls-serv")
        let identity = try makeOpenSSLIdentity()
        for priority in [nil, Self.gnuTLSWithoutEMS] {
            let port = try freePort()
            let server = try ChildProcess(gnutls, [
                "--echo", "--port", "\(port)", "--x509certfile", identity.cert, "--x509keyfile", identity.key,
            ] + (priority.map { ["--priority", $0] } ?? []))
            children.append(server)
            try server.waitForOutput("Echo Server listening")
            let arguments = ["scan", "127.0.0.1:\(port)", "--servername", "localhost", "--cafile", identity.ca]
            let result = try tlskit(arguments)
            let report = result.stdout
            XCTAssertEqual(result.status, 3, "bad findings: exit status 3; \(report) \(result.stderr)")
            if priority == nil {
                // GnuTLS's NORMAL still accepts TLS 1.1 and 1.0.
                assertScanLine(report, "TLS 1.3", "good", "offered")
                assertScanLine(report, "TLS 1.1", "bad", "offered")
                assertScanLine(report, "TLS 1.0", "bad", "offered")
                assertScanLine(report, "h2", "weak", "not negotiated (the server ignores ALPN)")
                assertScanLine(report, "Extended master secret", "good", "negotiated")
                let json = try scanJSON(try tlskit(arguments + ["--json"]))
                XCTAssertEqual((json["versions"] as? [String: Bool])?["TLSv1.1"], true)
                XCTAssertGreaterThan((json["summary"] as? [String: Int])?["bad"] ?? 0, 0)
            } else {
                assertScanLine(report, "TLS 1.3", "weak", "not offered")
                assertScanLine(report, "TLS 1.2", "good", "offered")
                assertScanLine(report, "Extended master secret", "bad", "not supported")
                assertScanLine(report, "TLS 1.2 resumption", "weak", "not attempted: no extended master secret")
                assertScanLine(report, "TLS_FALLBACK_SCSV", "good", "not applicable")
                assertScanLine(report, "Secure renegotiation", "good", "supported")
            }
            server.stop()
        }
    }

    func testScanSaysWhenThereIsNoTLSServer() throws {
        // The progress line comes first; the error is the last line.
        let closed = try tlskit(["scan", "127.0.0.1:\(try freePort())"])
        XCTAssertEqual(closed.status, 1)
        XCTAssertEqual(closed.stdout, "")
        XCTAssertTrue(closed.stderr.split(separator: "\n").last?.hasPrefix("tlskit: error: cannot connect to 127.0.0.1:") ?? false,
                      closed.stderr)
        let plain = try PlainTCPServer(response: "HTTP/1.1 400 Bad Request\r\n\r\n")
        let http = try tlskit(["scan", "127.0.0.1:\(plain.port)"])
        XCTAssertEqual(http.status, 1)
        XCTAssertTrue(http.stderr.contains("tlskit: error: the peer spoke plain HTTP"), http.stderr)
        assertUsageError(try tlskit(["scan", "localhost:1", "--timeout", "0"]), help: "tlskit scan --help", containing: ["--timeout"])
        assertUsageError(try tlskit(["scan", "localhost:1", "--max-time", "0"]), help: "tlskit scan --help", containing: ["--max-time"])

        // A port that accepts TCP but never answers: the scan stops after the first probe's timeout instead of
        // waiting that long for every probe.
        let silent = try PlainTCPServer(response: "", connections: 0)
        let quiet = try tlskit(["scan", "127.0.0.1:\(silent.port)", "--timeout", "1"])
        XCTAssertEqual(quiet.status, 1, quiet.stderr)
        XCTAssertTrue(quiet.stderr.contains("tlskit: error: 127.0.0.1:\(silent.port) did not answer a TLS ClientHello within 1 s"),
                      quiet.stderr)
    }

    // MARK: Bad input: one line, non-zero exit

    func testMissingCertificateFile() throws {
        let result = try tlskit(["serve", "--port", "0", "--cert", path("nope.pem"), "--key", path("nope.key")])
        assertOneLineError(result, containing: ["file not found", "nope.pem"])
    }

    func testMalformedPEM() throws {
        let identity = try makeOpenSSLIdentity()
        let bad = path("bad.pem")
        try "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let result = try tlskit(["serve", "--port", "0", "--cert", bad, "--key", identity.key])
        assertOneLineError(result, containing: ["bad.pem"])
    }

    func testKeyNotMatchingCertificate() throws {
        let identity = try makeOpenSSLIdentity()
        let result = try tlskit(["serve", "--port", "0", "--cert", identity.cert, "--key", identity.caKey])
        assertOneLineError(result, containing: ["does not match"])
    }

    func testPortInUse() throws {
        let (port, _) = try startServer()
        let result = try tlskit(["serve", "--port", "\(port)", "--root-cert-out", path("second.pem")])
        assertOneLineError(result, containing: ["cannot listen on 127.0.0.1:\(port)", "in use"])
    }

    func testUnreachableHost() throws {
        let port = try freePort()
        let result = try tlskit(["connect", "127.0.0.1:\(port)", "--insecure"])
        // --insecure prints its warning first; the error is the last line.
        XCTAssertNotEqual(result.status, 0)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, result.stderr)
        XCTAssertTrue(lines.last?.hasPrefix("tlskit: error: cannot connect to 127.0.0.1:\(port): ") ?? false, result.stderr)
        XCTAssertTrue(result.stderr.lowercased().contains("refused"), result.stderr)
    }

    func testVerificationFailureNamesTheAlert() throws {
        let (port, _) = try startServer()
        let result = try tlskit(["connect", "localhost:\(port)"], input: "")   // system roots do not know the ephemeral root
        assertOneLineError(result, containing: ["handshake failed: we sent "])
    }

    func testAlertFromServerIsNamed() throws {
        let (port, root) = try startServer(["--mode", "echo", "--alpn", "h2"])
        let result = try tlskit(["connect", "localhost:\(port)", "--cafile", root, "--alpn", "http/1.1"])
        assertOneLineError(result, containing: ["handshake failed: peer sent no_application_protocol"])
    }

    func testUnknownVersion() throws {
        assertUsageError(try tlskit(["connect", "localhost:1", "--max-version", "1.4"]), help: "tlskit connect --help",
                         containing: ["unknown TLS version '1.4'"])
        assertUsageError(try tlskit(["serve", "--port", "0", "--min-version", "2"]), help: "tlskit serve --help",
                         containing: ["unknown TLS version '2'"])
    }

    /// Versions TLSKit knows of but does not speak are named as such, not as unknown.
    func testOldVersionsAreNamedAsUnsupported() throws {
        assertUsageError(try tlskit(["connect", "localhost:1", "--max-version", "1.1"]), help: "tlskit connect --help",
                         containing: ["--max-version 1.1: TLS 1.1 is off", "add --legacy"])
        assertUsageError(try tlskit(["serve", "--port", "0", "--min-version", "1.0"]), help: "tlskit serve --help",
                         containing: ["--min-version 1.0: TLS 1.0 is off", "add --legacy"])
        assertUsageError(try tlskit(["connect", "localhost:1", "--min-version", "ssl3"]), help: "tlskit connect --help",
                         containing: ["SSL 3.0 is not supported"])
    }

    func testUnknownGroupAndCipher() throws {
        assertUsageError(try tlskit(["connect", "localhost:1", "--groups", "x448"]), help: "tlskit connect --help",
                         containing: ["unknown group 'x448'"])
        assertUsageError(try tlskit(["connect", "localhost:1", "--ciphers", "RC4"]), help: "tlskit connect --help",
                         containing: ["unknown cipher suite 'RC4'"])
    }

    /// Every kind of usage error: one line, the relevant --help, exit status 2; the codes are documented in --help.
    func testUsageErrorsAreOneLineWithHelpHintAndStatusTwo() throws {
        assertUsageError(try tlskit(["connect"]), help: "tlskit connect --help", containing: ["Missing expected argument"])
        assertUsageError(try tlskit(["serve", "--no-such-option"]), help: "tlskit serve --help", containing: ["--no-such-option"])
        assertUsageError(try tlskit(["serve", "--port", "99999"]), help: "tlskit serve --help", containing: ["0 to 65535"])
        assertUsageError(try tlskit(["serve", "--alpn", "h2"]), help: "tlskit serve --help", containing: ["--mode http"])
        assertUsageError(try tlskit(["serve", "--cert", path("c.pem")]), help: "tlskit serve --help", containing: ["--cert needs --key"])
        assertUsageError(try tlskit(["connect", "localhost:99999"]), help: "tlskit connect --help", containing: ["invalid port"])
        assertUsageError(try tlskit(["connect", "localhost:1", "--timeout", "soon"]), help: "tlskit connect --help")
        assertUsageError(try tlskit(["verify"]), help: "tlskit verify --help", containing: ["Missing expected argument"])
        assertUsageError(try tlskit(["no-such-command"]), help: "tlskit --help")

        let help = try tlskit(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("Exit status"), help.stdout)
        XCTAssertTrue(help.stdout.contains("2 usage error"), help.stdout)
        for command in ["serve", "connect"] {
            let commandHelp = try tlskit([command, "--help"])
            XCTAssertTrue(commandHelp.stdout.contains("Exit status"), "\(command): \(commandHelp.stdout)")
        }
    }
}

// MARK: - --legacy (TLS 1.0/1.1, CBC, static RSA key exchange)

extension CLITests {
    private static let legacyWarning = "WARNING: legacy TLS 1.0/1.1 and CBC suites enabled — insecure (RFC 8996)"

    /// An `openssl s_server -tls1 -www` with the ECDSA test identity.
    private func startOpenSSLTLS10Server() throws -> (port: Int, ca: String) {
        let openssl = try requiredTool("openssl")
        let identity = try makeOpenSSLIdentity()
        let port = try freePort()
        let server = try ChildProcess(openssl, [
            "s_server", "-accept", "\(port)", "-cert", identity.cert, "-key", identity.key, "-www", "-tls1",
            "-cipher", "DEFAULT@SECLEVEL=0",
        ])
        children.append(server)
        try server.waitForOutput("ACCEPT")
        return (port, identity.ca)
    }

    /// `connect --legacy` to a TLS 1.0-only s_server: the warning, then a summary naming TLS 1.0 as legacy and the
    /// protections negotiated.
    func testConnectLegacyToOpenSSLTLS10Server() throws {
        let (port, ca) = try startOpenSSLTLS10Server()
        let result = try tlskit([
            "connect", "127.0.0.1:\(port)", "--cafile", ca, "--servername", "localhost", "--legacy",
        ], input: "GET / HTTP/1.0\r\n\r\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix(Self.legacyWarning), result.stderr)
        XCTAssertTrue(result.stderr.contains("Protocol:          TLSv1.0 (LEGACY: deprecated by RFC 8996, insecure)"), result.stderr)
        XCTAssertTrue(result.stderr.contains("Cipher suite:      TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"), result.stderr)
        XCTAssertTrue(result.stderr.contains(
            "Legacy protections: encrypt-then-MAC yes, 1/n-1 splitting yes, extended master secret yes"), result.stderr)
        XCTAssertTrue(result.stdout.contains("Protocol  : TLSv1\n"), result.stdout)
    }

    /// `connect --legacy --json`: the protections as JSON fields.
    func testConnectLegacyJSONNamesTheProtections() throws {
        let (port, ca) = try startOpenSSLTLS10Server()
        let result = try tlskit(["connect", "127.0.0.1:\(port)", "--cafile", ca, "--servername", "localhost", "--legacy", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains(Self.legacyWarning), result.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        XCTAssertEqual(json["protocol"] as? String, "TLSv1.0")
        XCTAssertEqual(json["legacyVersion"] as? Bool, true)
        XCTAssertEqual(json["encryptThenMAC"] as? Bool, true)
        XCTAssertEqual(json["recordSplitting"] as? Bool, true)
        XCTAssertEqual(json["extendedMasterSecret"] as? Bool, true)
    }

    /// The same server without --legacy: refused (it answers our TLS 1.2+ hello with protocol_version).
    func testConnectWithoutLegacyToOpenSSLTLS10ServerFails() throws {
        let (port, ca) = try startOpenSSLTLS10Server()
        let result = try tlskit(["connect", "127.0.0.1:\(port)", "--cafile", ca, "--servername", "localhost"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertFalse(result.stderr.contains("WARNING"), result.stderr)
        XCTAssertTrue(result.stderr.contains("protocol_version"), result.stderr)
    }

    /// `serve --legacy` takes `openssl s_client -tls1` and logs the connection as legacy, with its protections.
    func testServeLegacyAcceptsOpenSSLTLS10Client() throws {
        let openssl = try requiredTool("openssl")
        let (port, _) = try startServer(["--mode", "echo", "--legacy"])
        let server = children[children.count - 1]
        XCTAssertTrue(server.stderr.text.contains(Self.legacyWarning), server.stderr.text)
        let client = try ChildProcess(openssl, [
            "s_client", "-connect", "127.0.0.1:\(port)", "-tls1", "-cipher", "DEFAULT@SECLEVEL=0", "-servername", "localhost",
        ])
        children.append(client)
        try client.waitForOutput("Protocol  : TLSv1\n")
        try server.waitForOutput("LEGACY")
        XCTAssertTrue(server.stderr.text.contains("TLSv1.0 TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"), server.stderr.text)
        XCTAssertTrue(server.stderr.text.contains("ems=yes etm=yes split=yes LEGACY"), server.stderr.text)
    }
}
