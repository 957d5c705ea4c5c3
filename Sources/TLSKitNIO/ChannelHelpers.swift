import NIOCore
import TLSKit

/// 0-RTT data, delivered as a user inbound event (`userInboundEventTriggered`) apart from ordinary reads.
public enum TLSKitEarlyDataEvent: Sendable, Equatable {
    /// Server: early data the client sent before the handshake completed (TLS 1.3 0-RTT, accepted because
    /// `TLSServerConfiguration.maxEarlyDataSize` allows it). **It may be a replay** of another connection's early
    /// data (RFC 8446 §8; in a fleet, once per server): act on it only if doing so twice is harmless, for example an
    /// idempotent GET. Fired before `TLSUserEvent.handshakeCompleted`; the data is never also delivered by
    /// `channelRead`.
    case received(ByteBuffer)
    /// Client: early data the server rejected and that was not sent again, because the server chose another ALPN
    /// protocol than the ticket's (RFC 8446 §4.2.10). Rejected early data under the same protocol is resent as
    /// ordinary data automatically and is not reported.
    case rejected(ByteBuffer)
}

/// What a channel's TLSKit handler knows about its connection, reachable from the channel like swift-nio-ssl's
/// `channel.nioSSL_peerCertificate()`. Each method finds the `TLSKitClientHandler` or `TLSKitServerHandler` in the
/// pipeline — or, for a child channel such as an HTTP/2 stream, in its parent's — and fails with
/// `ChannelPipelineError.notFound` when there is none.
extension Channel {
    /// What the handshake negotiated (version, suite, group, ALPN, SNI, peer chain, resumption); nil while it runs.
    public func tlsKit_negotiated() -> EventLoopFuture<NegotiatedParameters?> {
        onTLSKitHandler { $0.negotiated }
    }

    /// The peer's certificate chain as it sent it (DER, leaf first), once the handshake completed; nil before, and
    /// empty when the peer sent none (a client without a certificate). On a resumed connection it is the chain
    /// the session was created with.
    public func tlsKit_peerCertificates() -> EventLoopFuture<[[UInt8]]?> {
        onTLSKitHandler { $0.negotiated?.peerCertificates }
    }

    /// The peer's chain parsed (swift-certificates `Certificate`s in a `CertificateChain`); nil before the handshake
    /// completed or when the peer sent none.
    public func tlsKit_peerCertificateChain() -> EventLoopFuture<CertificateChain?> {
        onTLSKitHandler { try $0.peerCertificateChain() }
    }

    /// Keying material exporter (RFC 8446 §7.5, RFC 5705), after the handshake; see
    /// `TLSConnection.exportKeyingMaterial(label:context:length:)`.
    public func tlsKit_exportKeyingMaterial(label: String, context: [UInt8]?, length: Int) -> EventLoopFuture<[UInt8]> {
        onTLSKitHandler { try $0.exportKeyingMaterial(label: label, context: context, length: length) }
    }

    /// Sends a TLS 1.3 KeyUpdate (RFC 8446 §4.6.3): our sending key changes; with `requestPeerUpdate` the peer
    /// changes its key too. Succeeds when the KeyUpdate was written. Fails (and the connection stays usable) before
    /// the handshake completed, on TLS 1.2, or after close_notify.
    public func tlsKit_updateKeys(requestPeerUpdate: Bool = false) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        onTLSKitHandlerContext { handler, context in
            try handler.updateKeys(requestPeerUpdate: requestPeerUpdate, context: context, promise: promise)
        }.whenFailure { promise.fail($0) }
        return promise.futureResult
    }

    /// Client, 0-RTT: whether the server accepted our early data (nil: none was offered, or no answer yet).
    public func tlsKit_earlyDataAccepted() -> EventLoopFuture<Bool?> {
        onTLSKitHandler { $0.connection?.earlyDataAccepted }
    }

    private func onTLSKitHandler<Value: Sendable>(_ body: @escaping @Sendable (TLSKitHandler) throws -> Value) -> EventLoopFuture<Value> {
        onTLSKitHandlerContext { handler, _ in try body(handler) }
    }

    private func onTLSKitHandlerContext<Value: Sendable>(
        _ body: @escaping @Sendable (TLSKitHandler, ChannelHandlerContext) throws -> Value
    ) -> EventLoopFuture<Value> {
        if eventLoop.inEventLoop {
            return eventLoop.makeCompletedFuture { try self.withTLSKitHandlerContext(body) }
        }
        return eventLoop.submit { try self.withTLSKitHandlerContext(body) }
    }

    /// On the event loop: the handler in this pipeline, or else in the parent channel's (an HTTP/2 stream's
    /// connection), which shares the event loop.
    private func withTLSKitHandlerContext<Value>(_ body: (TLSKitHandler, ChannelHandlerContext) throws -> Value) throws -> Value {
        do {
            let (handler, context) = try pipeline.syncOperations.tlsKitHandlerContext()
            return try body(handler, context)
        } catch ChannelPipelineError.notFound {
            guard let parent, parent.eventLoop === eventLoop else { throw ChannelPipelineError.notFound }
            let (handler, context) = try parent.pipeline.syncOperations.tlsKitHandlerContext()
            return try body(handler, context)
        }
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// On the event loop: what the handshake negotiated; nil while it runs (see `Channel.tlsKit_negotiated()`).
    public func tlsKit_negotiated() throws -> NegotiatedParameters? {
        try tlsKitHandlerContext().0.negotiated
    }

    /// On the event loop: the peer's chain (DER, leaf first); see `Channel.tlsKit_peerCertificates()`.
    public func tlsKit_peerCertificates() throws -> [[UInt8]]? {
        try tlsKitHandlerContext().0.negotiated?.peerCertificates
    }

    /// On the event loop: the peer's chain parsed; see `Channel.tlsKit_peerCertificateChain()`.
    public func tlsKit_peerCertificateChain() throws -> CertificateChain? {
        try tlsKitHandlerContext().0.peerCertificateChain()
    }

    /// On the event loop: exported keying material; see `Channel.tlsKit_exportKeyingMaterial(label:context:length:)`.
    public func tlsKit_exportKeyingMaterial(label: String, context: [UInt8]?, length: Int) throws -> [UInt8] {
        try tlsKitHandlerContext().0.exportKeyingMaterial(label: label, context: context, length: length)
    }

    /// On the event loop: sends a TLS 1.3 KeyUpdate; see `Channel.tlsKit_updateKeys(requestPeerUpdate:)`.
    public func tlsKit_updateKeys(requestPeerUpdate: Bool = false) throws {
        let (handler, context) = try tlsKitHandlerContext()
        try handler.updateKeys(requestPeerUpdate: requestPeerUpdate, context: context, promise: nil)
    }

    fileprivate func tlsKitHandlerContext() throws -> (TLSKitHandler, ChannelHandlerContext) {
        let context = try self.context(handlerType: TLSKitHandler.self)
        guard let handler = context.handler as? TLSKitHandler else { throw ChannelPipelineError.notFound }
        return (handler, context)
    }
}

extension TLSKitHandler {
    func peerCertificateChain() throws -> CertificateChain? {
        guard let chain = negotiated?.peerCertificates, !chain.isEmpty else { return nil }
        return try CertificateChain(derBytes: chain)
    }

    func exportKeyingMaterial(label: String, context: [UInt8]?, length: Int) throws -> [UInt8] {
        guard let connection, negotiated != nil else {
            throw TLSError(.invalidUse(.handshakeNotComplete), "keying material is only available after the handshake")
        }
        return try connection.exportKeyingMaterial(label: label, context: context, length: length)
    }

    func updateKeys(requestPeerUpdate: Bool, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) throws {
        guard let connection, negotiated != nil else {
            throw TLSError(.invalidUse(.handshakeNotComplete), "KeyUpdate before the handshake completed")
        }
        do {
            try connection.updateKeys(requestPeerUpdate: requestPeerUpdate)
        } catch {
            if connection.failure != nil {
                // The engine failed the connection (not a misuse): its alert goes out, and the channel closes.
                writeEngineOutput(context: context)
                context.fireErrorCaught(error)
                context.channel.close(promise: nil)
            }
            throw error
        }
        writeEngineOutput(context: context, promise: promise)
    }
}
