import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOHTTP2
import NIOTLS
import TLSKit
import TLSKitNIO

/// Which HTTP a TLSKit-secured Hummingbird server speaks: the argument of `HTTPServerBuilder.tlsKit(_:configuration:)`.
///
/// ```swift
/// let app = Application(router: router, server: try .tlsKit(.http1(), configuration: tls))
/// let app = Application(router: router, server: try .tlsKit(.http2(), configuration: tls))  // h2 and http/1.1 by ALPN
/// ```
///
/// (Hummingbird's own `HTTPServerBuilder.tls(_:tlsConfiguration:)` takes any `HTTPServerBuilder`, because it can open
/// the builder's `package`-scoped child channel; a package outside Hummingbird cannot, so the protocols are named
/// here instead.)
public struct TLSKitHTTPProtocols: Sendable {
    enum Kind: Sendable {
        case http1(HTTP1Channel.Configuration)
        case http2(HTTP2ChannelConfiguration)
    }

    let kind: Kind

    /// HTTP/1.1 over TLS. The TLS configuration's ALPN list is set to `["http/1.1"]`.
    public static func http1(configuration: HTTP1Channel.Configuration = .init()) -> TLSKitHTTPProtocols {
        TLSKitHTTPProtocols(kind: .http1(configuration))
    }

    /// HTTP/2 and HTTP/1.1 over TLS, chosen by ALPN: the TLS configuration's ALPN list is set to `["h2", "http/1.1"]`,
    /// a client that negotiates h2 gets HTTP/2, any other client HTTP/1.1 (with `configuration.streamConfiguration`).
    public static func http2(configuration: HTTP2ChannelConfiguration = .init()) -> TLSKitHTTPProtocols {
        TLSKitHTTPProtocols(kind: .http2(configuration))
    }

    var alpn: [String] {
        switch kind {
        case .http1: return ["http/1.1"]
        case .http2: return ["h2", "http/1.1"]
        }
    }
}

extension HTTPServerBuilder {
    /// A Hummingbird server secured by TLSKit, the counterpart of HummingbirdTLS's `.tls(.http1(), tlsConfiguration:)`.
    ///
    /// The configuration is checked now (it becomes a `TLSKitContext`): a missing or expired certificate or an
    /// impossible configuration throws here, before the server starts. Its `applicationProtocols` are replaced by
    /// what `protocols` speaks. Inside a route, `context.channel` (or the `any Channel` of a responder) reaches the
    /// connection: `channel.tlsKit_negotiated()`, `channel.tlsKit_peerCertificateChain()`.
    public static func tlsKit(
        _ protocols: TLSKitHTTPProtocols = .http1(),
        configuration: TLSServerConfiguration,
        handshakeTimeout: TimeAmount? = .seconds(10)
    ) throws -> HTTPServerBuilder {
        var configuration = configuration
        configuration.common.applicationProtocols = protocols.alpn
        let context = try TLSKitContext(server: configuration, handshakeTimeout: handshakeTimeout)
        return .init { responder in
            switch protocols.kind {
            case .http1(let http1):
                return TLSKitChannel(HTTP1Channel(responder: responder, configuration: http1), context: context)
            case .http2(let http2):
                return TLSKitHTTP2Channel(context: context, configuration: http2, responder: responder)
            }
        }
    }

    /// The same with a context built beforehand (its ALPN list is used as it is: for `.http2()` it must offer "h2").
    public static func tlsKit(_ protocols: TLSKitHTTPProtocols = .http1(), context: TLSKitContext) throws -> HTTPServerBuilder {
        guard context.role == .server else {
            throw TLSConfigurationError("HTTPServerBuilder.tlsKit needs a server context (TLSKitContext(server:))")
        }
        if case .http2 = protocols.kind, context.serverConfiguration?.common.applicationProtocols.contains("h2") != true {
            throw TLSConfigurationError("HTTPServerBuilder.tlsKit(.http2(), context:) needs a context whose applicationProtocols offer \"h2\"")
        }
        return .init { responder in
            switch protocols.kind {
            case .http1(let http1):
                return TLSKitChannel(HTTP1Channel(responder: responder, configuration: http1), context: context)
            case .http2(let http2):
                return TLSKitHTTP2Channel(context: context, configuration: http2, responder: responder)
            }
        }
    }
}

/// Any Hummingbird child channel with a `TLSKitServerHandler` in front of it (HummingbirdTLS's `TLSChannel`).
public struct TLSKitChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    /// What the base channel's setup produces.
    public typealias Value = BaseChannel.Value

    let baseChannel: BaseChannel
    let context: TLSKitContext

    /// Wraps `baseChannel`; each accepted connection gets a handler made from `context` (a server context).
    public init(_ baseChannel: BaseChannel, context: TLSKitContext) {
        self.baseChannel = baseChannel
        self.context = context
    }

    /// Adds the TLS handler, then lets the base channel set up the rest of the pipeline.
    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(TLSKitServerHandler(context: context))
        }.flatMap {
            baseChannel.setup(channel: channel, logger: logger)
        }
    }

    /// Handles the connection as the base channel does.
    public func handle(value: Value, logger: Logger) async {
        await baseChannel.handle(value: value, logger: logger)
    }
}

extension TLSKitChannel: HTTPChannelHandler where BaseChannel: HTTPChannelHandler {
    /// The base channel's responder.
    public var responder: HTTPChannelHandler.Responder { baseChannel.responder }
}

/// HTTP/2 or HTTP/1.1 by ALPN over TLSKit (HummingbirdHTTP2's `HTTP2UpgradeChannel`, which is tied to NIOSSL).
public struct TLSKitHTTP2Channel: HTTPChannelHandler {
    /// The connection once ALPN has picked its protocol.
    public struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<NIONegotiatedHTTPVersion<HTTP1Channel.Value, HTTP2Channel.Value>>
        /// The TCP child channel.
        public let channel: any Channel
    }

    let context: TLSKitContext
    let http1: HTTP1Channel
    let http2: HTTP2Channel

    /// A channel answering with `responder` over HTTP/2 or HTTP/1.1; `context` is a server context whose ALPN list
    /// offers "h2" (and "http/1.1").
    public init(context: TLSKitContext, configuration: HTTP2ChannelConfiguration = .init(), responder: @escaping HTTPChannelHandler.Responder) {
        self.context = context
        self.http1 = HTTP1Channel(responder: responder, configuration: configuration.streamConfiguration)
        self.http2 = HTTP2Channel(responder: responder, configuration: configuration)
    }

    /// The responder requests are handed to, whichever HTTP version carries them.
    public var responder: HTTPChannelHandler.Responder { http1.responder }

    /// Adds the TLS handler and an ALPN handler that sets up HTTP/2 or HTTP/1.1 once the handshake has chosen.
    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let http1 = self.http1
        let http2 = self.http2
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(TLSKitServerHandler(context: context))
            let alpn = NIOTypedApplicationProtocolNegotiationHandler<NIONegotiatedHTTPVersion<HTTP1Channel.Value, HTTP2Channel.Value>> {
                result in
                switch result {
                case .negotiated("h2"):
                    return http2.setup(channel: channel, logger: logger).map { .http2($0) }
                case .negotiated("http/1.1"), .fallback:
                    return http1.setup(channel: channel, logger: logger).map { .http1_1($0) }
                case .negotiated:
                    // Only what we offered can be negotiated; anything else is a broken peer.
                    return channel.close().flatMapThrowing { throw NIOHTTP2Errors.invalidALPNToken() }
                }
            }
            try channel.pipeline.syncOperations.addHandler(alpn)
            return Value(negotiated: alpn.protocolNegotiationResult, channel: channel)
        }
    }

    /// Serves the connection over the protocol ALPN chose.
    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1_1(let connection):
                await http1.handle(value: connection, logger: logger)
            case .http2(let connection):
                await http2.handle(value: connection, logger: logger)
            }
        } catch {
            logger.debug("TLSKit HTTP/2 channel: no protocol negotiated: \(error)")
        }
    }
}
