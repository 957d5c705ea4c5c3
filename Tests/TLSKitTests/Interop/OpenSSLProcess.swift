import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An `openssl` child process (s_server / s_client / key and certificate generation). stdin is a pipe we write
/// to; stdout and stderr go to files (never a full pipe, and they can be searched while the process runs).
/// `terminate()` always reaps it: call it in a `defer`.
final class OpenSSLProcess {
    let process = Process()
    let arguments: [String]
    private let stdinPipe = Pipe()
    private let stdoutURL: URL
    private let stderrURL: URL
    private var stdinClosed = false

    /// The `openssl` binary on PATH. Missing is a test failure, never a skip.
    static func executable(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("openssl")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        let message = "openssl not found on PATH (\(path)); the OpenSSL interop tests need it (apt-get install openssl)"
        XCTFail(message, file: file, line: line)
        throw InteropError(message)
    }

    init(_ arguments: [String], in directory: URL) throws {
        _ = ignoreSIGPIPE
        self.arguments = arguments
        let id = UUID().uuidString.prefix(8)
        stdoutURL = directory.appendingPathComponent("openssl-\(id).out")
        stderrURL = directory.appendingPathComponent("openssl-\(id).err")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = try Self.executable()
        process.arguments = arguments
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

    /// For failure messages: the command and the tail of its output.
    var diagnostics: String {
        "openssl \(arguments.joined(separator: " "))\n--- stdout (tail) ---\n\(stdoutText.suffix(1500))\n--- stderr (tail) ---\n\(stderrText.suffix(1500))"
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
                    "openssl \(exited ? "exited (status \(process.terminationStatus))" : "timed out") before \(what)\n\(diagnostics)")
            }
            usleep(10_000)
        }
    }

    func wait(forText text: String, inStderr: Bool = false, timeout: TimeInterval = interopTimeout) throws {
        let needle = Array(text.utf8)
        try wait(for: "printing \"\(text)\"", inStderr: inStderr, timeout: timeout) { $0.containsContiguous(needle) }
    }

    /// Writes to stdin on a background queue (a large write blocks until openssl reads it).
    func writeToStdin(_ bytes: [UInt8]) {
        let fd = stdinPipe.fileHandleForWriting.fileDescriptor
        DispatchQueue.global().async {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    offset += n
                } else if n < 0 && errno != EINTR {
                    return  // openssl went away (EPIPE); the reader side reports the failure.
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

extension OpenSSLProcess {
    /// s_server on a free port, accepting `naccept` connections; retried on another port if it cannot bind (the
    /// port was taken meanwhile).
    static func startServer(_ arguments: [String], key: InteropPKI.ServerKey = .ecdsaP256, naccept: Int = 1) throws -> (OpenSSLProcess, UInt16) {
        let pki = try InteropPKI.shared()
        var attempt = 0
        while true {
            attempt += 1
            let port = try LoopbackListener.freePort()
            let server = try OpenSSLProcess(
                ["s_server", "-accept", "127.0.0.1:\(port)", "-naccept", "\(naccept)",
                 "-cert", pki.certificatePath(key), "-key", pki.keyPath(key)] + arguments,
                in: pki.directory)
            do {
                try server.wait(forText: "ACCEPT")
                return (server, port)
            } catch {
                server.terminate()
                if attempt >= 3 { throw error }
            }
        }
    }

    /// A listener on a free port and s_client connecting to it (verifying our chain for "localhost" against the
    /// test CA), or to `listener` if given (for a second s_client against the same server).
    static func startClient(_ arguments: [String], listener: LoopbackListener? = nil) throws -> (LoopbackListener, OpenSSLProcess) {
        let pki = try InteropPKI.shared()
        let listener = try listener ?? LoopbackListener()
        let client = try OpenSSLProcess(
            ["s_client", "-connect", "127.0.0.1:\(listener.port)", "-servername", "localhost",
             "-CAfile", pki.caPath, "-verify_return_error", "-verify_hostname", "localhost"] + arguments,
            in: pki.directory)
        return (listener, client)
    }
}
