import NIOCore
import NIOPosix
import TLSKit

/// Async conveniences for `NIOAsyncChannel` users: connect or bind, with TLSKit in the pipeline, and get back
/// channels of plaintext `ByteBuffer`s.
public enum TLSKitBootstrap {
    /// Finishing the outbound writer sends close_notify and half-closes (the channels allow remote half-closure,
    /// so the peer's close_notify ends the inbound stream while we can still write).
    private static let halfClosing = NIOAsyncChannel<ByteBuffer, ByteBuffer>.Configuration(isOutboundHalfClosureEnabled: true)

    /// Connects to `host:port`, completes the TLS handshake, and returns the channel with what was negotiated.
    /// `serverName` defaults to `host` (sent as SNI unless it is an IP literal, and checked against the certificate).
    public static func connect(
        host: String,
        port: Int,
        configuration: TLSClientConfiguration,
        serverName: String? = nil,
        handshakeTimeout: TimeAmount = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> (channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, negotiated: NegotiatedParameters) {
        let name = serverName ?? host
        return try await connect(host: host, port: port, group: group) {
            TLSKitClientHandler(configuration: configuration, serverName: name, handshakeTimeout: handshakeTimeout)
        }
    }

    /// `connect(host:port:configuration:…)` with a shared `TLSKitContext` (validated once, its verifier and
    /// session cache shared by every connection it makes); the handshake timeout is the context's.
    public static func connect(
        host: String,
        port: Int,
        context: TLSKitContext,
        serverName: String? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> (channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, negotiated: NegotiatedParameters) {
        let name = serverName ?? host
        return try await connect(host: host, port: port, group: group) {
            TLSKitClientHandler(context: context, serverName: name)
        }
    }

    private static func connect(
        host: String,
        port: Int,
        group: any EventLoopGroup,
        makeHandler: @escaping @Sendable () -> TLSKitClientHandler
    ) async throws -> (channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, negotiated: NegotiatedParameters) {
        let (channel, handshake) = try await ClientBootstrap(group: group)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = makeHandler()
                    try channel.pipeline.syncOperations.addHandler(handler)
                    let handshake = handler.handshakeFuture(on: channel.eventLoop)
                    let asyncChannel = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: halfClosing)
                    return (asyncChannel, handshake)
                }
            }
        do {
            let negotiated = try await handshake.get()
            return (channel, negotiated)
        } catch {
            // The caller never gets the channel: finish and close it here, or its NIOAsyncWriter traps on deinit.
            try? await channel.executeThenClose { _, _ in }
            throw error
        }
    }

    /// Binds a TLS server on `host:port`. Each inbound element is a child channel with TLSKit in its pipeline;
    /// its handshake runs as soon as it is accepted (read from the child to drive it).
    public static func bind(
        host: String,
        port: Int,
        configuration: TLSServerConfiguration,
        handshakeTimeout: TimeAmount = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never> {
        try await bind(host: host, port: port, group: group) {
            TLSKitServerHandler(configuration: configuration, handshakeTimeout: handshakeTimeout)
        }
    }

    /// `bind(host:port:configuration:…)` with a shared `TLSKitContext` (validated once; its ticket keys, session
    /// cache and client verifier serve every connection); the handshake timeout is the context's.
    public static func bind(
        host: String,
        port: Int,
        context: TLSKitContext,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never> {
        try await bind(host: host, port: port, group: group) { TLSKitServerHandler(context: context) }
    }

    private static func bind(
        host: String,
        port: Int,
        group: any EventLoopGroup,
        makeHandler: @escaping @Sendable () -> TLSKitServerHandler
    ) async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never> {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(makeHandler())
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: halfClosing)
                }
            }
    }
}
