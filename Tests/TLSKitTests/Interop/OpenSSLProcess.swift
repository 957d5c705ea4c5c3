import Foundation
import TLSKit
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A peer's command-line tool as a child process (openssl, gnutls-cli, gnutls-serv). stdin is a pipe we write
/// to; stdout and stderr go to files (never a full pipe, and they can be searched while the process runs).
/// `terminate()` always reaps it: call it in a `defer`.
class InteropProcess {
    let process = Process()
    let tool: String
    let arguments: [String]
    private let stdinPipe = Pipe()
    private let stdoutURL: URL
    private let stderrURL: URL
    private var stdinClosed = false

    /// `tool` on PATH. Missing is a test failure, never a skip.
    static func executable(_ tool: String, package: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(tool)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        let message = "\(tool) not found on PATH (\(path)); the interop tests need it (apt-get install \(package), "
            + "or run scripts/test.sh, which installs it)"
        XCTFail(message, file: file, line: line)
        throw InteropError(message)
    }

    /// `lineBufferedStdout`: run under `stdbuf -oL`, for tools whose progress lines on stdout (a file here) would
    /// otherwise sit in stdio's buffer until they exit.
    init(tool: String, package: String, _ arguments: [String], in directory: URL, lineBufferedStdout: Bool = false) throws {
        _ = ignoreSIGPIPE
        self.tool = tool
        self.arguments = arguments
        let id = UUID().uuidString.prefix(8)
        stdoutURL = directory.appendingPathComponent("\(tool)-\(id).out")
        stderrURL = directory.appendingPathComponent("\(tool)-\(id).err")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let executable = try Self.executable(tool, package: package)
        if lineBufferedStdout {
            process.executableURL = try Self.executable("stdbuf", package: "coreutils")
            process.arguments = ["-oL", executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory
        process.standardInput = stdinPipe
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    deinit { terminate() }

    var stdout: Data { (try? Data(contentsOf: stdoutURL)) ?? Data() }
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: (try? Data(contentsOf: stderrURL)) ?? Data(), as: UTF8.self) }

    /// For failure messages: the command and the tail of its output (control bytes of binary payloads shown as
    /// "." so they cannot garble the test log).
    var diagnostics: String {
        func printable(_ text: String) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars.suffix(1500).map {
                $0 == "\n" || $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F && $0 != "\u{FFFD}") ? $0 : "."
            }))
        }
        return "\(tool) \(arguments.joined(separator: " "))\n--- stdout (tail) ---\n\(printable(stdoutText))\n"
            + "--- stderr (tail) ---\n\(printable(stderrText))"
    }

    /// Polls stdout (or stderr) until `condition` holds; false if the process exits first or time runs out.
    func wait(
        for what: String, inStderr: Bool = false, timeout: TimeInterval = interopTimeout,
        _ condition: @escaping (Data) -> Bool
    ) throws {
        let url = inStderr ? stderrURL : stdoutURL
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let data = (try? Data(contentsOf: url)) ?? Data()
            if condition(data) { return }
            let exited = !process.isRunning
            if exited || Date() >= deadline {
                // One last look: output written just before exiting.
                if condition((try? Data(contentsOf: url)) ?? Data()) { return }
                throw InteropError(
                    "\(tool) \(exited ? "exited (status \(process.terminationStatus))" : "timed out") before \(what)\n\(diagnostics)")
            }
            usleep(10_000)
        }
    }

    func wait(forText text: String, inStderr: Bool = false, timeout: TimeInterval = interopTimeout) throws {
        let needle = Array(text.utf8)
        try wait(for: "printing \"\(text)\"", inStderr: inStderr, timeout: timeout) { $0.containsContiguous(needle) }
    }

    /// Writes to stdin on a background queue (a large write blocks until the tool reads it).
    func writeToStdin(_ bytes: [UInt8]) {
        let fd = stdinPipe.fileHandleForWriting.fileDescriptor
        DispatchQueue.global().async {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    offset += n
                } else if n < 0 && errno != EINTR {
                    return  // the tool went away (EPIPE); the reader side reports the failure.
                }
            }
        }
    }

    func writeToStdin(_ text: String) { writeToStdin(Array(text.utf8)) }

    /// End of input: s_client and s_server take it as "close the connection" (close_notify).
    func closeStdin() {
        guard !stdinClosed else { return }
        stdinClosed = true
        try? stdinPipe.fileHandleForWriting.close()
    }

    /// Waits for a normal exit; false on timeout.
    @discardableResult
    func waitForExit(timeout: TimeInterval = interopTimeout) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() >= deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// SIGTERM, then SIGKILL after a second; always reaps the process.
    func terminate() {
        if process.isRunning {
            process.terminate()
            if !waitForExit(timeout: 1) {
                kill(process.processIdentifier, SIGKILL)
                waitForExit(timeout: 5)
            }
        }
        closeStdin()
    }
}

/// An `openssl` child process (s_server / s_client / key and certificate generation).
final class OpenSSLProcess: InteropProcess {
    init(_ arguments: [String], in directory: URL) throws {
        try super.init(tool: "openssl", package: "openssl", arguments, in: directory)
    }

    /// Runs a short openssl command (key/certificate generation) to completion.
    static func run(_ arguments: [String], in directory: URL) throws {
        let child = try OpenSSLProcess(arguments, in: directory)
        child.closeStdin()
        guard child.waitForExit(timeout: 60) else {
            child.terminate()
            throw InteropError("timed out: \(child.diagnostics)")
        }
        guard child.process.terminationStatus == 0 else {
            throw InteropError("failed (status \(child.process.terminationStatus)): \(child.diagnostics)")
        }
    }
}


/// A throw-away PKI made with the openssl command line (so both sides read certificates OpenSSL produced):
/// one ECDSA P-256 root, server leaves for localhost/127.0.0.1 with ECDSA P-256, RSA-2048 and Ed25519 keys, and
/// an ECDSA P-256 client leaf.
struct InteropPKI: Sendable {
    enum ServerKey: String, CaseIterable, Sendable {
        case ecdsaP256 = "server-ecdsa"
        case ecdsaP384 = "server-ecdsa-p384"
        case ecdsaP521 = "server-ecdsa-p521"
        case rsa2048 = "server-rsa"
        case ed25519 = "server-ed25519"
    }

    let directory: URL
    var caPath: String { path("ca.pem") }
    func certificatePath(_ key: ServerKey) -> String { path("\(key.rawValue).pem") }
    func keyPath(_ key: ServerKey) -> String { path("\(key.rawValue).key") }
    var clientCertificatePath: String { path("client.pem") }
    var clientKeyPath: String { path("client.key") }
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Made once per test process.
    static func shared() throws -> InteropPKI { try sharedResult.get() }
    private static let sharedResult = Result { try InteropPKI.generate() }

    static func generate() throws -> InteropPKI {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("tlskit-interop-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        interopPKIDirectory = directory.path
        atexit { try? FileManager.default.removeItem(atPath: interopPKIDirectory) }

        func openssl(_ arguments: String) throws {
            try OpenSSLProcess.run(arguments.split(separator: " ").map(String.init), in: directory)
        }
        try openssl(
            "req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 "
                + "-subj /CN=TLSKit-Interop-CA -addext basicConstraints=critical,CA:TRUE "
                + "-addext keyUsage=critical,keyCertSign,cRLSign")
        let extensions = { (usage: String, eku: String) in
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,\(usage)\nextendedKeyUsage=\(eku)\n"
                + "subjectAltName=DNS:localhost,IP:127.0.0.1\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
        }
        try extensions("digitalSignature", "serverAuth")
            .write(to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try extensions("digitalSignature,keyEncipherment", "serverAuth")
            .write(to: directory.appendingPathComponent("server-rsa.ext"), atomically: true, encoding: .utf8)
        try extensions("digitalSignature", "clientAuth")
            .write(to: directory.appendingPathComponent("client.ext"), atomically: true, encoding: .utf8)

        let leaves: [(name: String, genpkey: String, subject: String, ext: String)] = [
            ("server-ecdsa", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "localhost", "server.ext"),
            ("server-ecdsa-p384", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384", "localhost", "server.ext"),
            ("server-ecdsa-p521", "-algorithm EC -pkeyopt ec_paramgen_curve:P-521", "localhost", "server.ext"),
            ("server-rsa", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "localhost", "server-rsa.ext"),
            ("server-ed25519", "-algorithm ED25519", "localhost", "server.ext"),
            ("client", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "tlskit-interop-client", "client.ext"),
        ]
        for (serial, leaf) in leaves.enumerated() {
            try openssl("genpkey \(leaf.genpkey) -out \(leaf.name).key")
            try openssl("req -new -key \(leaf.name).key -subj /CN=\(leaf.subject) -out \(leaf.name).csr")
            try openssl(
                "x509 -req -in \(leaf.name).csr -CA ca.pem -CAkey ca.key -set_serial \(serial + 2) -days 2 "
                    + "-extfile \(leaf.ext) -out \(leaf.name).pem")
        }
        return InteropPKI(directory: directory)
    }
}

/// Removed at process exit (a C callback cannot capture, hence a global).
nonisolated(unsafe) private var interopPKIDirectory = ""

// MARK: - Shared harness (TLSKit side configured for the test PKI; openssl peers started on loopback)

extension InteropPKI {
    /// A server presenting the `key` leaf; everything else default.
    func serverConfiguration(_ key: ServerKey) throws -> TLSServerConfiguration {
        TLSServerConfiguration(certificate: try CertifiedKey(certificatePath: certificatePath(key), keyPath: keyPath(key)))
    }

    /// A client verifying against the test CA; everything else default.
    func clientConfiguration() throws -> TLSClientConfiguration {
        var configuration = TLSClientConfiguration()
        configuration.peerVerification = .trustRoots(try TrustRoots(pemFile: caPath))
        return configuration
    }

    /// The client leaf and key, for mutual authentication.
    func clientIdentity() throws -> CertifiedKey {
        try CertifiedKey(certificatePath: clientCertificatePath, keyPath: clientKeyPath)
    }
}

extension InteropProcess {
    /// Starts a server tool on a free port (`start(port)`) and waits for `readyText` (on stdout, or stderr);
    /// retried on another port if it cannot bind (the port was taken meanwhile).
    static func startListening<Server: InteropProcess>(
        readyText: String, inStderr: Bool = false, _ start: (UInt16) throws -> Server
    ) throws -> (Server, UInt16) {
        var attempt = 0
        while true {
            attempt += 1
            let port = try LoopbackListener.freePort()
            let server = try start(port)
            do {
                try server.wait(forText: readyText, inStderr: inStderr)
                return (server, port)
            } catch {
                server.terminate()
                if attempt >= 3 { throw error }
            }
        }
    }
}

extension OpenSSLProcess {
    /// `openssl s_server` for one connection on a free port, presenting the `key` leaf.
    static func startServer(_ arguments: [String], key: InteropPKI.ServerKey = .ecdsaP256) throws -> (OpenSSLProcess, UInt16) {
        let pki = try InteropPKI.shared()
        return try startListening(readyText: "ACCEPT") { port in
            try OpenSSLProcess(
                ["s_server", "-accept", "127.0.0.1:\(port)", "-naccept", "1",
                 "-cert", pki.certificatePath(key), "-key", pki.keyPath(key)] + arguments,
                in: pki.directory)
        }
    }

    /// A listener on a free port and `openssl s_client` connecting to it, verifying the chain against the test
    /// CA for "localhost" (-verify_return_error).
    static func startClient(_ arguments: [String]) throws -> (LoopbackListener, OpenSSLProcess) {
        let pki = try InteropPKI.shared()
        let listener = try LoopbackListener()
        let client = try OpenSSLProcess(
            ["s_client", "-connect", "127.0.0.1:\(listener.port)", "-servername", "localhost",
             "-CAfile", pki.caPath, "-verify_return_error", "-verify_hostname", "localhost"] + arguments,
            in: pki.directory)
        return (listener, client)
    }
}

extension TLSSocketDriver {
    /// Connects to 127.0.0.1:`port` and completes the handshake.
    static func connect(
        _ configuration: TLSClientConfiguration, port: UInt16, serverName: String = "localhost"
    ) async throws -> TLSSocketDriver {
        let socket = try LoopbackSocket.connect(port: port)
        let driver = TLSSocketDriver(connection: try TLSConnection(client: configuration, serverName: serverName), socket: socket)
        try await driver.handshake()
        return driver
    }

    /// Accepts one connection on `listener` and completes the handshake.
    static func accept(_ configuration: TLSServerConfiguration, on listener: LoopbackListener) async throws -> TLSSocketDriver {
        let socket = try listener.accept()
        let driver = TLSSocketDriver(connection: try TLSConnection(server: configuration), socket: socket)
        try await driver.handshake()
        return driver
    }

    /// Accepts the connection of `client` (which offers only legacy versions) with the default server configuration,
    /// which must refuse it: protocol_version, cause `.noCommonVersion`.
    static func expectDefaultServerRefusal(
        on listener: LoopbackListener, of client: InteropProcess, file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        do {
            _ = try await accept(try InteropPKI.shared().serverConfiguration(.ecdsaP256), on: listener)
            XCTFail("the default server accepted a legacy-only client\n\(client.diagnostics)", file: file, line: line)
        } catch let error as TLSError {
            XCTAssertEqual(error.cause, .peerIncompatible(.noCommonVersion), "\(error)", file: file, line: line)
            XCTAssertEqual(error.alert, .protocolVersion, file: file, line: line)
        }
    }

    /// Client side: `bytes` of binary data to s_server (found in its stdout), then `bytes` from its stdin to us.
    func exchange(withOpenSSLServer server: OpenSSLProcess, bytes: Int, seed: UInt64) async throws {
        let toServer = interopPayload(count: bytes, seed: seed)
        try await send(toServer)
        try server.wait(for: "receiving \(bytes) bytes") { $0.containsContiguous(toServer) }

        let toClient = interopPayload(count: bytes, seed: seed &+ 1000, alphabet: commandFreeAlphabet)
        server.writeToStdin(toClient)
        assertSameBytes(try await receive(count: bytes), toClient, "data from s_server")
    }

    /// Server side: `bytes` from s_client's stdin to us, then `bytes` of binary data to s_client (found in its
    /// stdout).
    func exchange(withOpenSSLClient client: OpenSSLProcess, bytes: Int, seed: UInt64) async throws {
        let toServer = interopPayload(count: bytes, seed: seed, alphabet: commandFreeAlphabet)
        client.writeToStdin(toServer)
        assertSameBytes(try await receive(count: bytes), toServer, "data from s_client")

        let toClient = interopPayload(count: bytes, seed: seed &+ 1000)
        try await send(toClient)
        try client.wait(for: "receiving \(bytes) bytes") { withoutReadBlockLines($0).containsContiguous(toClient) }
    }

    /// We send close_notify; s_server reports "DONE" (SSL_read saw close_notify), answers with its own and exits.
    func closeCleanly(withOpenSSLServer server: OpenSSLProcess) async throws {
        try await closeAndWaitForPeer()
        XCTAssertTrue(events.contains(.peerClosed))
        try server.wait(forText: "DONE")
        XCTAssertTrue(server.waitForExit(), "s_server -naccept 1 should exit after the connection")
    }

    /// We send close_notify; s_client prints "closed" (SSL_ERROR_ZERO_RETURN), answers with its own and exits.
    func closeCleanly(withOpenSSLClient client: OpenSSLProcess) async throws {
        try await closeAndWaitForPeer()
        XCTAssertTrue(events.contains(.peerClosed))
        try client.wait(forText: "closed\n")
        XCTAssertTrue(client.waitForExit(), "s_client should exit after the close")
    }
}

/// s_client prints "read R BLOCK" when SSL_read consumed a post-handshake message but no data yet; that line can
/// land between two pieces of received data in its stdout.
func withoutReadBlockLines(_ output: Data) -> Data {
    let marker = Data("read R BLOCK\n".utf8)
    var result = Data()
    result.reserveCapacity(output.count)
    var start = output.startIndex
    while let range = output.range(of: marker, in: start..<output.endIndex) {
        result.append(output[start..<range.lowerBound])
        start = range.upperBound
    }
    result.append(output[start...])
    return result
}
