// http-server: HTTP/1.1 and HTTP/2 on one port, chosen by ALPN, with TLSKit under SwiftNIO and swift-nio-http2.
// TLSKitServerHandler fires NIOTLS's `TLSUserEvent.handshakeCompleted(negotiatedProtocol:)`, so swift-nio-http2's
// `configureHTTP2SecureUpgrade` (an ApplicationProtocolNegotiationHandler) works with it as with swift-nio-ssl.
//
//   http-server [--port 8443] [--cert chain.pem --key key.pem]   serve until interrupted (without a certificate: a
//                                                                throw-away one for localhost; it prints the curl line)
//   http-server --self-test    serve on 127.0.0.1, then one in-process HTTP/2 client and one HTTP/1.1 client; exits 0 or 1
import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import TLSKit
import TLSKitNIO

/// Answers every request with the HTTP version it came in: the same handler serves HTTP/1.1 connections and HTTP/2
/// streams (each stream turned into HTTP/1-style parts by `HTTP2FramePayloadToHTTP1ServerCodec`).
final class HelloHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let version: String
    private var keepAlive = true

    init(version: String) { self.version = version }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            let body = ByteBuffer(string: "hello over \(version)\n")
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "\(body.readableBytes)")
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            let done = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
            if !keepAlive {
                done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }   // sends close_notify
            }
        }
    }
}

/// Binds the server. The TLS configuration's ALPN list offers h2 first, then http/1.1.
func startServer(host: String, port: Int, identity: CertifiedKey) async throws -> any Channel {
    var configuration = TLSServerConfiguration(certificate: identity)
    configuration.common.applicationProtocols = ["h2", "http/1.1"]
    let context = try TLSKitContext(server: configuration)             // checked now, shared by every connection

    return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(TLSKitServerHandler(context: context))
            }.flatMap {
                // After the handshake, by ALPN: an HTTP/2 connection (one child channel per stream) or HTTP/1.1.
                channel.configureHTTP2SecureUpgrade(
                    h2ChannelConfigurator: { channel in
                        channel.configureHTTP2Pipeline(mode: .server, inboundStreamInitializer: { stream in
                            stream.eventLoop.makeCompletedFuture {
                                try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                                try stream.pipeline.syncOperations.addHandler(HelloHandler(version: "HTTP/2"))
                            }
                        }).map { _ in }
                    },
                    http1ChannelConfigurator: { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                            try channel.pipeline.syncOperations.addHandler(HelloHandler(version: "HTTP/1.1"))
                        }
                    })
            }
        }
        .bind(host: host, port: port).get()
}

// MARK: - Self-test clients

/// GET / over HTTP/2: TLSKit with ALPN h2, swift-nio-http2's async multiplexer, one stream.
func getOverHTTP2(port: Int, trusting roots: TrustRoots) async throws -> (alpn: String?, body: String) {
    var configuration = TLSClientConfiguration()
    configuration.peerVerification = .trustRoots(roots)
    configuration.common.applicationProtocols = ["h2"]
    let context = try TLSKitContext(client: configuration)
    let (channel, multiplexer) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(TLSKitClientHandler(context: context, serverName: "localhost"))
                let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .client) {
                    $0.eventLoop.makeSucceededVoidFuture()                      // the server opens no streams
                }
                return (channel, multiplexer)
            }
        }
    let stream = try await multiplexer.openStream { stream in
        stream.eventLoop.makeCompletedFuture {
            try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .https))
            return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: stream)
        }
    }
    let body = try await stream.executeThenClose { inbound, outbound in
        try await outbound.write(.head(HTTPRequestHead(version: .http2, method: .GET, uri: "/", headers: ["Host": "localhost"])))
        try await outbound.write(.end(nil))
        var body = ""
        for try await part in inbound {
            if case .body(let chunk) = part { body += String(buffer: chunk) }
            if case .end = part { break }
        }
        return body
    }
    let alpn = try await channel.tlsKit_negotiated().get()?.applicationProtocol
    try await channel.close()
    return (alpn, body)
}

/// GET / over HTTP/1.1: TLSKitBootstrap.connect gives a channel of plaintext bytes; the request is written by hand.
func getOverHTTP1(port: Int, trusting roots: TrustRoots) async throws -> (alpn: String?, response: String) {
    var configuration = TLSClientConfiguration()
    configuration.peerVerification = .trustRoots(roots)
    configuration.common.applicationProtocols = ["http/1.1"]
    let (channel, negotiated) = try await TLSKitBootstrap.connect(
        host: "127.0.0.1", port: port, configuration: configuration, serverName: "localhost")
    let response = try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
        var response = ""
        for try await chunk in inbound { response += String(buffer: chunk) }   // until the server's close_notify
        return response
    }
    return (negotiated.applicationProtocol, response)
}

func selfTest() async throws {
    let (identity, rootPEM) = try CertifiedKey.ephemeral(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
    let server = try await startServer(host: "127.0.0.1", port: 0, identity: identity)
    let port = server.localAddress?.port ?? 0
    print("server: listening on 127.0.0.1:\(port), ALPN h2, http/1.1")
    let roots = TrustRoots(certificates: try CertificateChain(pem: rootPEM).certificates)

    let h2 = try await getOverHTTP2(port: port, trusting: roots)
    print("h2 client: ALPN \(h2.alpn ?? "-"): \(h2.body.trimmingCharacters(in: .newlines))")
    let h1 = try await getOverHTTP1(port: port, trusting: roots)
    print("http/1.1 client: ALPN \(h1.alpn ?? "-"): \(h1.response.split(separator: "\r\n").first ?? "") | \(h1.response.split(separator: "\r\n").last?.trimmingCharacters(in: .newlines) ?? "")")
    try await server.close()
    guard h2.alpn == "h2", h2.body == "hello over HTTP/2\n",
          h1.alpn == "http/1.1", h1.response.hasPrefix("HTTP/1.1 200 OK"), h1.response.hasSuffix("hello over HTTP/1.1\n") else {
        throw Failure(description: "unexpected answers: h2 \(h2), http/1.1 \(h1)")
    }
}

struct Failure: Error, CustomStringConvertible { var description: String }

func option(_ name: String, in arguments: [String]) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    if arguments == ["--self-test"] {
        try await selfTest()
        print("http-server: OK")
    } else {
        let port = option("--port", in: arguments).flatMap(Int.init) ?? 8443
        let identity: CertifiedKey
        var trust = ""
        if let cert = option("--cert", in: arguments), let key = option("--key", in: arguments) {
            identity = try CertifiedKey(certificatePath: cert, keyPath: key)
        } else {
            let (ephemeral, rootPEM) = try CertifiedKey.ephemeral(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
            let rootFile = FileManager.default.temporaryDirectory.appendingPathComponent("http-server-root.pem")
            try rootPEM.write(to: rootFile, atomically: true, encoding: .utf8)
            identity = ephemeral
            trust = " --cacert \(rootFile.path)"
        }
        let server = try await startServer(host: "0.0.0.0", port: port, identity: identity)
        // Written at once (print buffers when stdout is not a terminal, and the server runs until interrupted).
        FileHandle.standardOutput.write(Data("listening on port \(port); try: curl --http2\(trust) https://localhost:\(port)/\n".utf8))
        try await server.closeFuture.get()
    }
} catch {
    print("http-server: FAILED: \(error)")
    exit(1)
}
