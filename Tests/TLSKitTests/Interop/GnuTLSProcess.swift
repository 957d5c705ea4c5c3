import Foundation
import TLSKit
import XCTest

/// A `gnutls-cli` or `gnutls-serv` child process (package gnutls-bin; scripts/test.sh installs it). Missing
/// binaries fail the tests, never skip them.
final class GnuTLSProcess: InteropProcess {
    enum Tool: String {
        case cli = "gnutls-cli"
        case serv = "gnutls-serv"
    }

    /// stdout is line-buffered: gnutls-serv reports each connection's parameters there (and that it listens on
    /// stderr).
    init(_ tool: Tool, _ arguments: [String], in directory: URL) throws {
        try super.init(tool: tool.rawValue, package: "gnutls-bin", arguments, in: directory, lineBufferedStdout: true)
    }

    /// A GnuTLS priority string allowing exactly `versions` ("TLS1.2", "TLS1.3") on top of NORMAL, plus `options`
    /// (e.g. "%NO_SESSION_HASH": no RFC 7627 extended master secret).
    static func priority(_ versions: [String], options: [String] = []) -> String {
        (["NORMAL", "-VERS-ALL"] + versions.map { "+VERS-\($0)" } + options).joined(separator: ":")
    }

    /// `gnutls-serv --echo` (it sends back every record it receives) on a free port, presenting the `key` leaf.
    /// gnutls-serv serves connections until it is terminated; the caller's `defer { terminate() }` ends it.
    static func startEchoServer(
        versions: [String], priorityOptions: [String] = [], key: InteropPKI.ServerKey = .ecdsaP256,
        extraArguments: [String] = []
    ) throws -> (GnuTLSProcess, UInt16) {
        let pki = try InteropPKI.shared()
        return try startListening(readyText: "Echo Server listening on IPv4", inStderr: true) { port in
            try GnuTLSProcess(
                .serv,
                ["--echo", "--port", "\(port)", "--x509certfile", pki.certificatePath(key), "--x509keyfile", pki.keyPath(key),
                 "--priority", priority(versions, options: priorityOptions)] + extraArguments,
                in: pki.directory)
        }
    }

    /// A listener on a free port and `gnutls-cli` connecting to it, verifying the chain against the test CA for
    /// "localhost" (also sent as SNI). gnutls-cli sends its stdin and prints what it receives on stdout.
    static func startClient(
        versions: [String], priorityOptions: [String] = [], extraArguments: [String] = []
    ) throws -> (LoopbackListener, GnuTLSProcess) {
        let pki = try InteropPKI.shared()
        let listener = try LoopbackListener()
        let client = try GnuTLSProcess(
            .cli,
            ["--x509cafile", pki.caPath, "--port", "\(listener.port)", "--sni-hostname", "localhost",
             "--verify-hostname", "localhost", "--priority", priority(versions, options: priorityOptions)] + extraArguments
                + ["127.0.0.1"],
            in: pki.directory)
        return (listener, client)
    }
}
