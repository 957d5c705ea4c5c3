// https-client: GET a URL over TLSKit with SwiftNIO — TLSKitClientHandler first in the pipeline, then NIOHTTP1's
// client codec, all behind an NIOAsyncChannel.
//
//   https-client https://example.com/ [--cacert root.pem]   print the status, the TLS parameters and the body
//   https-client --self-test    a TLSKit HTTPS server on 127.0.0.1 (in this process), one GET, exits 0 or 1
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TLSKit
import TLSKitNIO

struct Response {
    var status: HTTPResponseStatus
    var negotiated: NegotiatedParameters
    var body: String
}

/// GET `url` (https only). `context` is built once and may serve any number of connections.
func get(_ url: URL, context: TLSKitContext, connectTo address: String? = nil) async throws -> Response {
    guard url.scheme == "https", let host = url.host else { throw Failure(description: "not an https URL: \(url)") }
    let port = url.port ?? 443
    let path = url.path.isEmpty ? "/" : url.path + (url.query.map { "?\($0)" } ?? "")

    // The pipeline: TLS first (SNI and certificate check against `host`), then HTTP/1.1 over the plaintext.
    let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: address ?? host, port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                let tls = TLSKitClientHandler(context: context, serverName: host)
                try channel.pipeline.syncOperations.addHandler(tls)
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
            }
        }

    return try await client.executeThenClose { inbound, outbound in
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "User-Agent", value: "TLSKit https-client example")
        try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)))
        try await outbound.write(.end(nil))

        var status = HTTPResponseStatus.internalServerError
        var body = ByteBuffer()
        for try await part in inbound {
            switch part {
            case .head(let head): status = head.status
            case .body(var chunk): body.writeBuffer(&chunk)
            case .end:
                // The handshake is long done: ask the TLS handler what it negotiated.
                guard let negotiated = try await client.channel.tlsKit_negotiated().get() else {
                    throw Failure(description: "no TLS parameters")
                }
                return Response(status: status, negotiated: negotiated, body: String(buffer: body))
            }
        }
        throw Failure(description: "the server closed the connection before the end of the response")
    }
}

// MARK: - The self-test's server: TLSKit + NIOHTTP1, one fixed answer

/// Answers every request with "hello from TLSKit".
final class HelloHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = Self.unwrapInboundIn(data) else { return }
        let body = ByteBuffer(string: "hello from TLSKit\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}

func selfTest() async throws {
    // A throw-away root and a certificate for localhost issued by it; the client trusts that root only.
    let (identity, rootPEM) = try CertifiedKey.ephemeral(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
    let serverContext = try TLSKitContext(server: TLSServerConfiguration(certificate: identity))
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(TLSKitServerHandler(context: serverContext))
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(HelloHandler())
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let port = server.localAddress?.port ?? 0
    print("server: listening on 127.0.0.1:\(port)")

    var configuration = TLSClientConfiguration()
    configuration.peerVerification = .trustRoots(TrustRoots(certificates: try CertificateChain(pem: rootPEM).certificates))
    let response = try await get(URL(string: "https://localhost:\(port)/")!, context: try TLSKitContext(client: configuration),
                                 connectTo: "127.0.0.1")
    try await server.close()
    print("client: \(response.status.code) over \(response.negotiated.version): \(response.body.trimmingCharacters(in: .newlines))")
    guard response.status == .ok, response.body == "hello from TLSKit\n" else {
        throw Failure(description: "unexpected response: \(response)")
    }
}

struct Failure: Error, CustomStringConvertible { var description: String }

var arguments = Array(CommandLine.arguments.dropFirst())
do {
    if arguments == ["--self-test"] {
        try await selfTest()
        print("https-client: OK")
    } else if let url = arguments.first.flatMap(URL.init(string:)) {
        var configuration = TLSClientConfiguration()                    // the system's trust roots by default
        if let flag = arguments.firstIndex(of: "--cacert"), flag + 1 < arguments.count {
            configuration.peerVerification = .trustRoots(try TrustRoots(pemFile: arguments[flag + 1]))
        }
        let response = try await get(url, context: try TLSKitContext(client: configuration))
        let negotiated = response.negotiated
        print("\(response.status.code) \(response.status.reasonPhrase) — \(negotiated.version), \(negotiated.cipherSuite)")
        print(response.body)
    } else {
        print("usage: https-client https://host[:port]/path [--cacert root.pem] | https-client --self-test")
        exit(2)
    }
} catch {
    print("https-client: FAILED: \(error)")
    exit(1)
}
