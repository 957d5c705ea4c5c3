import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix
import TLSKit
import TLSKitNIO

extension HTTP2ClientTransport.WrappedChannel {
    /// A gRPC client transport over one TLSKit connection to `host:port`: grpc-swift-nio-transport's `WrappedChannel`
    /// with a `TLSKitClientHandler` in the pipeline before gRPC's HTTP/2 handlers.
    ///
    /// `context` is a client context whose ALPN list offers "h2"; `serverName` (default: `host`) is sent as SNI and
    /// checked against the server's certificate. Like every `WrappedChannel`, the transport does not reconnect: once
    /// the connection closes, later RPCs fail with `unavailable`.
    public static func tlsKit(
        host: String,
        port: Int,
        context: TLSKitContext,
        serverName: String? = nil,
        config: Config = .defaults,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HTTP2ClientTransport.WrappedChannel {
        guard context.role == .client, context.clientConfiguration?.common.applicationProtocols.contains("h2") == true else {
            throw TLSConfigurationError("gRPC needs a client TLSKitContext whose applicationProtocols offer \"h2\"")
        }
        let name = serverName ?? host
        return try await .wrapping(config: config) { configure in
            // TLS first, then gRPC's HTTP/2 pipeline, both before the channel is active.
            try await ClientBootstrap(group: eventLoopGroup).connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLSKitClientHandler(context: context, serverName: name))
                }.flatMap {
                    configure(channel)
                }
            }
        }
    }
}
