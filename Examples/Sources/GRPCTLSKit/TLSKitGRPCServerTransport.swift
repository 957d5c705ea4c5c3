import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix
import Synchronization
import TLSKit
import TLSKitNIO

/// What a gRPC handler learns about the TLS connection its RPC came over: `context.transportSpecific as? TLSKitGRPCPeer`.
public struct TLSKitGRPCPeer: ServerContext.TransportSpecific {
    /// Version, cipher suite, ALPN ("h2"), SNI and the client's certificate chain (DER, leaf first; empty when the
    /// client sent none).
    public let negotiated: NegotiatedParameters

    /// The client's certificate chain parsed; nil when it sent none.
    public var peerCertificateChain: CertificateChain? {
        negotiated.peerCertificates.isEmpty ? nil : try? CertificateChain(derBytes: negotiated.peerCertificates)
    }
}

/// A gRPC server transport (HTTP/2) whose connections are secured by TLSKit: grpc-swift-nio-transport's
/// `HTTP2ServerTransport.Custom` with a listener that puts a `TLSKitServerHandler` in front of each connection.
///
/// Handlers find the connection's TLS facts in `context.transportSpecific` (a `TLSKitGRPCPeer`). The transport sets it
/// itself (it wraps the stream handler), because the Custom transport's own hook for that is `package` scoped.
public final class TLSKitGRPCServerTransport: ServerTransport {
    public typealias Bytes = GRPCNIOTransportBytes

    private let underlying: HTTP2ServerTransport.Custom<TLSKitListenerFactory>
    private let factory: TLSKitListenerFactory

    /// Listens on `host:port` (port 0: any free port, see `listeningPort()`). `context` is a server context; its
    /// ALPN list must offer "h2" (gRPC requires it).
    public init(
        host: String,
        port: Int,
        context: TLSKitContext,
        config: HTTP2ServerTransport.Custom<TLSKitListenerFactory>.Config = .defaults,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        guard context.role == .server, context.serverConfiguration?.common.applicationProtocols.contains("h2") == true else {
            throw TLSConfigurationError("gRPC needs a server TLSKitContext whose applicationProtocols offer \"h2\"")
        }
        factory = TLSKitListenerFactory(host: host, port: port, context: context, eventLoopGroup: eventLoopGroup)
        underlying = HTTP2ServerTransport.Custom(listenerFactory: factory, config: config)
    }

    /// The port the server listens on, once `listen` has bound it.
    public func listeningPort() async throws -> Int {
        try await factory.boundPort.futureResult.get()
    }

    public func configure(context: GRPCServerContext) {
        underlying.configure(context: context)
    }

    public func listen(
        streamHandler: @escaping @Sendable (_ stream: RPCStream<Inbound, Outbound>, _ context: ServerContext) async -> Void
    ) async throws {
        let peers = factory.peers
        try await underlying.listen { stream, context in
            var context = context
            if let negotiated = peers.withLock({ $0[context.remotePeer] }) {
                context.transportSpecific = TLSKitGRPCPeer(negotiated: negotiated)
            }
            await streamHandler(stream, context)
        }
    }

    public func beginGracefulShutdown() {
        underlying.beginGracefulShutdown()
    }
}

/// Binds a TCP listener whose accepted channels get a `TLSKitServerHandler`, then gRPC's HTTP/2 pipeline.
public struct TLSKitListenerFactory: HTTP2ServerTransport.ListenerFactory {
    public let eventLoopGroup: any EventLoopGroup
    let host: String
    let port: Int
    let context: TLSKitContext
    /// Negotiated parameters of the live connections, by gRPC's remote-peer string ("ipv4:127.0.0.1:54321").
    let peers = PeerTable()
    let boundPort: EventLoopPromise<Int>

    init(host: String, port: Int, context: TLSKitContext, eventLoopGroup: any EventLoopGroup) {
        self.host = host
        self.port = port
        self.context = context
        self.eventLoopGroup = eventLoopGroup
        self.boundPort = eventLoopGroup.any().makePromise(of: Int.self)
    }

    public func makeListeningChannel(
        listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
        connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator
    ) async throws -> NIOAsyncChannel<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel, Never> {
        let context = self.context
        let peers = self.peers
        do {
            let listener = try await ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelInitializer { listenerConfigurator.configure(channel: $0) }
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = TLSKitServerHandler(context: context)
                        try channel.pipeline.syncOperations.addHandler(handler)
                        let key = Self.remotePeer(channel.remoteAddress)
                        // Recorded when the handshake completes, before any HTTP/2 frame goes up the pipeline.
                        handler.handshakeFuture(on: channel.eventLoop).whenSuccess { negotiated in
                            peers.withLock { $0[key] = negotiated }
                        }
                        channel.closeFuture.whenComplete { _ in _ = peers.withLock { $0.removeValue(forKey: key) } }
                    }.flatMap {
                        connectionConfigurator.configure(channel: channel, tls: .configured(requireALPN: true))
                    }
                }
            boundPort.succeed(listener.channel.localAddress?.port ?? 0)
            return listener
        } catch {
            boundPort.fail(error)
            throw error
        }
    }

    /// gRPC's `ServerContext.remotePeer` for an address.
    static func remotePeer(_ address: NIOCore.SocketAddress?) -> String {
        switch address {
        case .v4(let v4)?: return "ipv4:\(v4.host):\(address?.port ?? 0)"
        case .v6(let v6)?: return "ipv6:[\(v6.host)]:\(address?.port ?? 0)"
        case .unixDomainSocket?: return "unix:\(address?.pathname ?? "")"
        case nil: return "<unknown>"
        }
    }
}

/// A lock-protected table, shared by the listener's channels and the transport's stream handler.
final class PeerTable: Sendable {
    private let table = Mutex<[String: NegotiatedParameters]>([:])
    func withLock<R>(_ body: (inout [String: NegotiatedParameters]) -> R) -> R {
        table.withLock { body(&$0) }
    }
}
