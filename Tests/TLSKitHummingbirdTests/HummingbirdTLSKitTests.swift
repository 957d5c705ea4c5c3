import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import TLSKit
import TLSKitHummingbird
import TLSKitNIO
import XCTest

/// A request context that keeps the connection's channel, so routes can ask the TLS handler about it.
struct ChannelRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Hummingbird serving over TLSKit on 127.0.0.1, checked with curl (HTTP/1.1 and HTTP/2 by ALPN).
final class HummingbirdTLSKitTests: XCTestCase {
    func testHTTP2AndHTTP1ByALPNToCurl() async throws {
        try await withServer(.http2()) { port, rootPEM in
            let h2 = try Self.curl(["--http2"], port: port, rootPEM: rootPEM)
            XCTAssertEqual(h2.httpVersion, "2", h2.stderr)
            XCTAssertEqual(h2.body, "hello over TLSv1.3, ALPN h2, SNI localhost", h2.stderr)
            let h1 = try Self.curl(["--http1.1"], port: port, rootPEM: rootPEM)
            XCTAssertEqual(h1.httpVersion, "1.1", h1.stderr)
            XCTAssertEqual(h1.body, "hello over TLSv1.3, ALPN http/1.1, SNI localhost", h1.stderr)
            let tls12 = try Self.curl(["--http2", "--tls-max", "1.2"], port: port, rootPEM: rootPEM)
            XCTAssertEqual(tls12.httpVersion, "2", tls12.stderr)
            XCTAssertEqual(tls12.body, "hello over TLSv1.2, ALPN h2, SNI localhost", tls12.stderr)
        }
    }

    func testHTTP1OnlyServerAnswersHTTP2ClientsWithHTTP1() async throws {
        try await withServer(.http1()) { port, rootPEM in
            let result = try Self.curl(["--http2"], port: port, rootPEM: rootPEM)
            XCTAssertEqual(result.httpVersion, "1.1", result.stderr)
            XCTAssertEqual(result.body, "hello over TLSv1.3, ALPN http/1.1, SNI localhost", result.stderr)
        }
    }

    func testABadConfigurationThrowsWhenTheServerIsBuilt() throws {
        let (identity, _) = try CertifiedKey.ephemeral(dnsNames: ["localhost"], ipAddresses: [])
        var noIdentity = TLSServerConfiguration(certificate: identity)
        noIdentity.certificate = nil
        XCTAssertThrowsError(try HTTPServerBuilder.tlsKit(.http2(), configuration: noIdentity))
        // A shared context for HTTP/2 must offer h2, and must be a server context.
        let http1Only = try TLSKitContext(server: TLSServerConfiguration(certificate: identity))
        XCTAssertThrowsError(try HTTPServerBuilder.tlsKit(.http2(), context: http1Only))
        XCTAssertNoThrow(try HTTPServerBuilder.tlsKit(.http1(), context: http1Only))
        var client = TLSClientConfiguration()
        client.peerVerification = .insecureNoVerification
        XCTAssertThrowsError(try HTTPServerBuilder.tlsKit(.http1(), context: try TLSKitContext(client: client)))
    }

    // MARK: Support

    /// Runs an Application with `protocols` over TLSKit on an ephemeral port, hands `body` the port and the root
    /// certificate file curl should trust, then stops the server.
    private func withServer(
        _ protocols: TLSKitHTTPProtocols, _ body: @escaping @Sendable (Int, String) async throws -> Void
    ) async throws {
        let (identity, rootPEM) = try CertifiedKey.ephemeral(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        let rootFile = FileManager.default.temporaryDirectory.appendingPathComponent("tlskit-hb-root-\(UUID().uuidString).pem")
        try rootPEM.write(to: rootFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: rootFile) }

        let router = Router(context: ChannelRequestContext.self)
        router.get("/") { _, context -> String in
            guard let negotiated = try await context.channel.tlsKit_negotiated().get() else { return "no TLS" }
            return "hello over \(negotiated.version), ALPN \(negotiated.applicationProtocol ?? "-"), SNI \(negotiated.serverName ?? "-")"
        }
        let port = PortBox()
        let app = Application(
            router: router,
            server: try .tlsKit(protocols, configuration: TLSServerConfiguration(certificate: identity)),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.set(channel.localAddress?.port) }
        )
        let services = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: Logger(label: "test"))
        let server = Task { try await services.run() }
        defer { server.cancel() }
        let deadline = Date().addingTimeInterval(20)
        while port.value == nil {
            if Date() > deadline { throw HummingbirdTestFailure("the server did not start within 20 s") }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        try await body(port.value ?? 0, rootFile.path)
        await services.triggerGracefulShutdown()
        try await server.value
    }

    struct CurlResult {
        var body: String
        var httpVersion: String
        var stderr: String
    }

    /// curl https://localhost:port/ (resolved to 127.0.0.1), trusting `rootPEM`; bounded by --max-time.
    private static func curl(_ options: [String], port: Int, rootPEM: String) throws -> CurlResult {
        let process = Process()
        process.executableURL = try tool("curl")
        process.arguments = options + [
            "-sS", "--max-time", "10", "--cacert", rootPEM, "--resolve", "localhost:\(port):127.0.0.1",
            "-w", "\n%{http_version}", "https://localhost:\(port)/",
        ]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "curl failed: \(errors)")
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let version = lines.popLast() ?? ""
        print("curl \(options.joined(separator: " ")) https://localhost:\(port)/ -> HTTP/\(version): \(lines.joined(separator: "\n"))")
        return CurlResult(body: lines.joined(separator: "\n"), httpVersion: version, stderr: errors)
    }

    /// A program on PATH; missing is a failure, never a skip (scripts/test.sh installs curl).
    private static func tool(_ name: String) throws -> URL {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw HummingbirdTestFailure("\(name) is not installed (scripts/test.sh installs it)")
    }
}

final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    var value: Int? { lock.withLock { port } }
    func set(_ value: Int?) { lock.withLock { port = value } }
}

struct HummingbirdTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
