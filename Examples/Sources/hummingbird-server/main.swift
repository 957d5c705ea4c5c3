// hummingbird-server: a Hummingbird 2 application served over TLSKit — `HTTPServerBuilder.tlsKit(.http2(), ...)` from
// the TLSKitHummingbird product in place of HummingbirdTLS's `.tls(...)`. HTTP/2 and HTTP/1.1, chosen by ALPN.
//
//   hummingbird-server [--port 8443] [--cert chain.pem --key key.pem]   serve until interrupted (without a
//                                     certificate: a throw-away one for localhost; it prints the curl line)
//   hummingbird-server --self-test    serve on 127.0.0.1, one in-process HTTPS/1.1 request; exits 0 or 1
import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import TLSKit
import TLSKitHummingbird
import TLSKitNIO

/// One route. The TLS configuration is checked when the server is built: a bad certificate throws here.
func makeApplication(
    host: String, port: Int, identity: CertifiedKey, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = Router()
    router.get("/") { _, _ in "hello from Hummingbird over TLSKit\n" }
    return Application(
        router: router,
        server: try .tlsKit(.http2(), configuration: TLSServerConfiguration(certificate: identity)),
        configuration: .init(address: .hostname(host, port: port)),
        onServerRunning: onServerRunning
    )
}

func selfTest() async throws {
    let (identity, rootPEM) = try CertifiedKey.ephemeral(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
    let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
    let app = try makeApplication(host: "127.0.0.1", port: 0, identity: identity) { channel in
        portSink.yield(channel.localAddress?.port ?? 0)
    }
    // A service group without signal handlers, so the test can stop it gracefully (open connections finish).
    let services = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: app.logger)
    let server = Task { try await services.run() }
    defer { server.cancel() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw Failure(description: "the server did not start") }
    print("server: listening on 127.0.0.1:\(port)")

    // The client: TLSKit over NIO with the request written by hand (HTTP/1.1, Connection: close).
    var configuration = TLSClientConfiguration()
    configuration.peerVerification = .trustRoots(TrustRoots(certificates: try CertificateChain(pem: rootPEM).certificates))
    configuration.common.applicationProtocols = ["http/1.1"]
    let (channel, negotiated) = try await TLSKitBootstrap.connect(
        host: "127.0.0.1", port: port, configuration: configuration, serverName: "localhost")
    let response = try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
        var response = ""
        for try await chunk in inbound { response += String(buffer: chunk) }   // until the server's close_notify
        return response
    }
    print("client: \(negotiated.version), ALPN \(negotiated.applicationProtocol ?? "-"): \(response.split(separator: "\r\n").first ?? "") | \(response.split(separator: "\r\n").last?.trimmingCharacters(in: .newlines) ?? "")")
    await services.triggerGracefulShutdown()
    try await server.value
    guard response.hasPrefix("HTTP/1.1 200 OK"), response.hasSuffix("hello from Hummingbird over TLSKit\n") else {
        throw Failure(description: "unexpected response: \(response.debugDescription)")
    }
}

struct Failure: Error, CustomStringConvertible { var description: String }

func option(_ name: String, in arguments: [String]) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}

/// A line on stdout at once (print buffers when stdout is not a terminal, and the server runs until interrupted).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    if arguments == ["--self-test"] {
        try await selfTest()
        print("hummingbird-server: OK")
    } else {
        let port = option("--port", in: arguments).flatMap(Int.init) ?? 8443
        let identity: CertifiedKey
        if let cert = option("--cert", in: arguments), let key = option("--key", in: arguments) {
            identity = try CertifiedKey(certificatePath: cert, keyPath: key)
            say("try: curl --http2 https://<your host>:\(port)/")
        } else {
            let (ephemeral, rootPEM) = try CertifiedKey.ephemeral(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
            let rootFile = FileManager.default.temporaryDirectory.appendingPathComponent("hummingbird-server-root.pem")
            try rootPEM.write(to: rootFile, atomically: true, encoding: .utf8)
            identity = ephemeral
            say("try: curl --http2 --cacert \(rootFile.path) https://localhost:\(port)/")
        }
        try await makeApplication(host: "0.0.0.0", port: port, identity: identity).runService()   // stops on SIGINT/SIGTERM
    }
} catch {
    print("hummingbird-server: FAILED: \(error)")
    exit(1)
}
