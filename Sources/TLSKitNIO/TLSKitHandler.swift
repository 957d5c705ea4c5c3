import NIOConcurrencyHelpers
import NIOCore
import NIOTLS
import TLSKit

/// Errors the NIO adapter adds to the engine's `TLSError`.
public enum TLSKitNIOError: Error, Equatable, Sendable {
    /// The TCP connection ended without close_notify: the data may have been truncated.
    case uncleanShutdown
    /// The handshake did not complete within the configured time.
    case handshakeTimeout
    /// The engine could not be created (bad configuration).
    case configuration(String)
}

/// A `ChannelDuplexHandler` that runs a TLSKit connection in a NIO pipeline, in the shape swift-nio-ssl users know:
/// ciphertext `ByteBuffer`s below, plaintext `ByteBuffer`s above.
///
/// - fires `TLSUserEvent.handshakeCompleted(negotiatedProtocol:)` exactly once;
/// - buffers writes until the handshake is done, and turns each flush into as few records as possible;
/// - turns the peer's close_notify into `ChannelEvent.inputClosed`, and a bare TCP close into
///   `TLSKitNIOError.uncleanShutdown`;
/// - `close(mode: .output)` sends close_notify and half-closes; `close(mode: .all)` sends close_notify and closes;
/// - forwards `read()` (and asks for more when a read brought only handshake bytes) so autoRead off works;
/// - stops reading from the channel while a certificate verification is pending (a `read()` is held and issued when
///   the verdict is in), so a peer cannot make the engine buffer without bound meanwhile;
/// - reports errors through `errorCaught` after sending the alert, then closes the channel.
public class TLSKitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    /// Ciphertext from the network.
    public typealias InboundIn = ByteBuffer
    /// Plaintext for the application.
    public typealias InboundOut = ByteBuffer
    /// Plaintext from the application.
    public typealias OutboundIn = ByteBuffer
    /// Ciphertext for the network.
    public typealias OutboundOut = ByteBuffer

    private let makeConnection: () throws -> TLSConnection
    private let handshakeTimeout: TimeAmount?

    /// Where the channel is; what only matters in one state travels with it (see `ConnectionState`).
    private var state: ConnectionState = .idle(flushRequested: false)

    // What follows is orthogonal to the lifecycle: read/write cycles and buffers that exist in several states.
    /// Cancelled on leaving the handshake (completion, failure, close); the task itself checks it is still handshaking.
    private var timeoutTask: Scheduled<Void>?
    /// Plaintext written and not yet encrypted: held until a flush, and before that until the handshake completes.
    private var bufferedWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    /// The pipeline asked to `read()` and no plaintext has answered it yet (the NIO read cycle, in any state).
    private var readRequested = false
    /// Plaintext went up during this read cycle, so a `channelReadComplete` is owed upward (the read cycle, any state).
    private var deliveredData = false
    /// Plaintext decrypted while nobody asked for it (autoRead off and no pending `read()`); delivered on the next read.
    private var pendingPlaintext: [UInt8] = []
    /// The handshake future: it may be asked for before the handler is added, and outlives the handshake states.
    private var completionPromise: EventLoopPromise<NegotiatedParameters>?

    /// What the handshake negotiated (version, suite, group, ALPN, SNI, peer chain); nil until it completes.
    public private(set) var negotiated: NegotiatedParameters?

    /// Called on the event loop for every engine event (handshake messages in order, key updates, …).
    public var eventObserver: ((TLSEvent) -> Void)?

    /// The engine, once the channel is active; kept after close (internal: the channel helpers in ChannelHelpers.swift
    /// use it).
    var connection: TLSConnection? { state.connection }

    init(handshakeTimeout: TimeAmount?, makeConnection: @escaping () throws -> TLSConnection) {
        self.handshakeTimeout = handshakeTimeout
        self.makeConnection = makeConnection
    }

    /// Succeeds when the handshake completes, fails if it does not. Available once the handler is added.
    public func handshakeFuture(on eventLoop: EventLoop) -> EventLoopFuture<NegotiatedParameters> {
        if let negotiated { return eventLoop.makeSucceededFuture(negotiated) }
        if let completionPromise { return completionPromise.futureResult }
        let promise = eventLoop.makePromise(of: NegotiatedParameters.self)
        completionPromise = promise
        return promise.futureResult
    }

    // MARK: Lifecycle

    /// Starts the handshake at once if the channel is already active.
    public func handlerAdded(context: ChannelHandlerContext) {
        if completionPromise == nil { completionPromise = context.eventLoop.makePromise() }
        if context.channel.isActive { start(context: context) }
    }

    /// Fails buffered writes, a pending half-close and the handshake future.
    public func handlerRemoved(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        failBufferedWrites(ChannelError.ioOnClosedChannel)
        fail(state.takePendingOutputClose(), ChannelError.ioOnClosedChannel)
        completionPromise?.fail(ChannelError.ioOnClosedChannel)
    }

    /// Creates the engine connection and starts the handshake (a client sends its ClientHello).
    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard case .idle(let flushRequested) = state else { return }
        let connection: TLSConnection
        do {
            if let handshakeTimeout, handshakeTimeout <= .zero {
                throw TLSConfigurationError("handshakeTimeout must be positive (nil: no timeout; got \(handshakeTimeout))")
            }
            connection = try makeConnection()
        } catch {
            let failure = TLSKitNIOError.configuration("\(error)")
            completionPromise?.fail(failure)
            context.fireErrorCaught(failure)
            state = .closed(nil)
            context.close(promise: nil)
            return
        }
        state = .handshaking(PendingHandshake(connection: connection, flushRequested: flushRequested))
        if let handshakeTimeout {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            timeoutTask = context.eventLoop.scheduleTask(in: handshakeTimeout) {
                let (handler, context) = bound.value
                guard handler.state.isHandshaking else { return }
                handler.failAndClose(context: context, error: TLSKitNIOError.handshakeTimeout)
            }
        }
        pumpEngine(context: context)
        // The handshake needs the peer's bytes even when autoRead is off and the application has not asked to read.
        if state.isHandshaking, context.channel.isActive { readFromChannel(context: context) }
    }

    /// Without the peer's close_notify first, reports `TLSKitNIOError.uncleanShutdown`.
    public func channelInactive(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        let wasClean = connection?.peerClosed ?? false
        if !state.isClosed && !wasClean {
            // The transport ended without close_notify: say so, never hand a truncated stream over silently.
            completionPromise?.fail(TLSKitNIOError.uncleanShutdown)
            context.fireErrorCaught(TLSKitNIOError.uncleanShutdown)
        }
        let pendingOutputClose = state.enterClosed()
        failBufferedWrites(ChannelError.ioOnClosedChannel)
        fail(pendingOutputClose, ChannelError.ioOnClosedChannel)
        completionPromise?.fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    // MARK: Inbound

    /// Feeds ciphertext to the engine and passes on what comes out (records, events, plaintext).
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let connection, !state.isClosed else { return }
        do {
            try connection.receive(Array(buffer.readableBytesView))
        } catch {
            pumpEngine(context: context)
            failAndClose(context: context, error: error)
            return
        }
        pumpEngine(context: context)
    }

    /// Passes the read cycle's end on when plaintext went up; asks for more while handshaking.
    public func channelReadComplete(context: ChannelHandlerContext) {
        if deliveredData {
            deliveredData = false
            context.fireChannelReadComplete()
        }
        switch state {
        case .closed:
            return
        case .idle, .handshaking, .verifying:
            // Still handshaking: we need the peer's next flight whether or not the application asked to read.
            readFromChannel(context: context)
        case .active, .outputClosed:
            // A read that brought only handshake or post-handshake bytes delivered nothing, so ask for more.
            if readRequested { readFromChannel(context: context) }
        }
    }

    /// The transport's EOF. After the peer's close_notify it is expected (we already fired `inputClosed`);
    /// without one it is a truncation, reported as `TLSKitNIOError.uncleanShutdown`, never passed on as a clean EOF.
    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let channelEvent = event as? ChannelEvent, channelEvent == .inputClosed, let connection {
            if connection.peerClosed || state.isClosed { return }
            failAndClose(context: context, error: TLSKitNIOError.uncleanShutdown)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Outbound

    /// Delivers held plaintext, or reads from the channel (held while a certificate verification is pending).
    public func read(context: ChannelHandlerContext) {
        if !pendingPlaintext.isEmpty {
            // Data held back for lack of demand: this read is satisfied without touching the socket.
            deliverPendingPlaintext(context: context)
            deliveredData = false
            context.fireChannelReadComplete()
            return
        }
        readRequested = true
        readFromChannel(context: context)
    }

    /// Every read from the channel goes through here: none while a verification is pending, so the peer's bytes stay
    /// in the socket (TCP flow control) instead of piling up in the engine.
    private func readFromChannel(context: ChannelHandlerContext) {
        if case .verifying(let handshake, _) = state {
            state = .verifying(handshake, readHeld: true)
            return
        }
        context.read()
    }

    /// Buffers plaintext until the next flush (and until the handshake completes).
    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard state.acceptsWrites else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        bufferedWrites.append((unwrapOutboundIn(data), promise))
    }

    /// Encrypts the buffered writes into as few records as possible, once the handshake is done.
    public func flush(context: ChannelHandlerContext) {
        switch state {
        case .idle:
            state = .idle(flushRequested: true)
        case .handshaking(var handshake):
            handshake.flushRequested = true
            state = .handshaking(handshake)
        case .verifying(var handshake, let readHeld):
            handshake.flushRequested = true
            state = .verifying(handshake, readHeld: readHeld)
        case .active:
            flushBufferedWrites(context: context)
        case .outputClosed, .closed:
            break   // nothing can be buffered: writes fail once close_notify is out, and closing fails them
        }
    }

    /// `.output` sends close_notify and half-closes (after the handshake, if it is still running); `.all` sends
    /// close_notify and closes.
    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .input:
            context.close(mode: .input, promise: promise)
        case .output:
            switch state {
            case .handshaking(var handshake):
                // close_notify now would abort the handshake and strand the buffered writes: finish the handshake,
                // send what was written, then close_notify and half-close.
                handshake.awaitOutputClose(promise)
                state = .handshaking(handshake)
            case .verifying(var handshake, let readHeld):
                handshake.awaitOutputClose(promise)
                state = .verifying(handshake, readHeld: readHeld)
            case .active:
                sendCloseNotify(context: context)
                context.close(mode: .output, promise: promise)
            case .idle, .outputClosed, .closed:
                // No engine yet, or close_notify already out or moot: only the transport half-closes.
                context.close(mode: .output, promise: promise)
            }
        case .all:
            if !state.isClosed {
                sendCloseNotify(context: context)
                // A half-close still waiting for the handshake cannot happen any more.
                fail(state.enterClosed(), ChannelError.ioOnClosedChannel)
            }
            context.close(mode: .all, promise: promise)
        }
    }

    // MARK: Engine plumbing

    /// Moves everything the engine produced: records to the network, events and plaintext up the pipeline.
    private func pumpEngine(context: ChannelHandlerContext) {
        guard let connection else { return }
        writeEngineOutput(context: context)
        // 0-RTT: early data goes up apart from ordinary reads, as a user event (see TLSKitEarlyDataEvent).
        let earlyData = connection.takeEarlyData()
        if !earlyData.isEmpty {
            context.fireUserInboundEventTriggered(TLSKitEarlyDataEvent.received(context.channel.allocator.buffer(bytes: earlyData)))
        }
        let rejectedEarlyData = connection.takeRejectedEarlyData()
        if !rejectedEarlyData.isEmpty {
            context.fireUserInboundEventTriggered(TLSKitEarlyDataEvent.rejected(context.channel.allocator.buffer(bytes: rejectedEarlyData)))
        }
        for event in connection.takeEvents() {
            eventObserver?(event)
            switch event {
            case .handshakeCompleted:
                timeoutTask?.cancel()
                negotiated = connection.negotiated
                // Active before anyone hears of it, so writes and flushes made from the callbacks go straight out.
                let handshake = state.pendingHandshake
                if handshake != nil { state = .active(connection) }
                if let negotiated { completionPromise?.succeed(negotiated) }
                context.fireUserInboundEventTriggered(
                    TLSUserEvent.handshakeCompleted(negotiatedProtocol: connection.negotiated?.applicationProtocol))
                if handshake?.flushRequested == true, case .active = state { flushBufferedWrites(context: context) }
                if let promises = handshake?.pendingOutputClose {
                    sendCloseNotify(context: context)
                    let promise = context.eventLoop.makePromise(of: Void.self)
                    for waiting in promises { promise.futureResult.cascade(to: waiting) }
                    context.close(mode: .output, promise: promise)
                }
            case .peerClosed:
                // Everything before close_notify goes up first, demand or not, then the end of input.
                deliverApplicationData(context: context, force: true)
                context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
                let halfClosureAllowed = (try? context.channel.syncOptions?.getOption(.allowRemoteHalfClosure)) ?? false
                if !halfClosureAllowed && !state.isClosed {
                    // Answer close_notify with ours and close, as swift-nio-ssl does without half-closure.
                    sendCloseNotify(context: context)
                    fail(state.enterClosed(), ChannelError.ioOnClosedChannel)
                    context.close(promise: nil)
                }
            default:
                continue
            }
        }
        deliverApplicationData(context: context)
        if connection.pendingVerification != nil { startVerification(context: context) }
    }

    /// Hands decrypted data up when it was asked for: always with autoRead on, otherwise only for a pending
    /// `read()` (data decrypted during a read the handler issued itself, for the handshake, waits for one).
    private func deliverApplicationData(context: ChannelHandlerContext, force: Bool = false) {
        guard let connection else { return }
        let decrypted = connection.takeApplicationData()
        if pendingPlaintext.isEmpty { pendingPlaintext = decrypted } else { pendingPlaintext.append(contentsOf: decrypted) }
        guard !pendingPlaintext.isEmpty else { return }
        let autoRead = (try? context.channel.syncOptions?.getOption(.autoRead)) ?? true
        guard force || autoRead || readRequested else { return }
        deliverPendingPlaintext(context: context)
    }

    private func deliverPendingPlaintext(context: ChannelHandlerContext) {
        let plaintext = pendingPlaintext
        pendingPlaintext = []
        deliveredData = true
        readRequested = false
        context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: plaintext)))
    }

    func writeEngineOutput(context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        guard let connection else {
            promise?.succeed()
            return
        }
        let bytes = connection.takeOutput()
        guard !bytes.isEmpty else {
            promise?.succeed()
            return
        }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: promise)
    }

    /// Runs the (async) certificate verifier. It starts right here on the event loop (`Task.immediate`), like
    /// swift-nio-ssl's inline verification: TLSKit's X509 verifier never suspends, so the verdict is usually back
    /// before this returns and the handshake goes on without leaving the loop (no thread hop, and the handler works on
    /// `EmbeddedChannel`). A verifier that does suspend (say, fetching something) finishes later; its verdict then
    /// comes back to the loop through `execute`.
    private func startVerification(context: ChannelHandlerContext) {
        guard case .handshaking(let handshake) = state, let work = handshake.connection.pendingVerificationWork else { return }
        state = .verifying(handshake, readHeld: false)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let rendezvous = VerificationRendezvous()
        let verify: @Sendable () async -> Void = {
            let result = await work()
            if !rendezvous.offerInline(result) {
                loop.execute { bound.value.0.finishVerification(result, context: bound.value.1, inline: false) }
            }
        }
        #if compiler(>=6.2)
        if #available(macOS 26.0, iOS 26.0, watchOS 26.0, tvOS 26.0, visionOS 26.0, *) {
            Task.immediate(operation: verify)
        } else {
            Task(operation: verify)  // older Apple systems: the verdict always comes back through execute
        }
        #else
        Task(operation: verify)
        #endif
        if let result = rendezvous.closeInlineWindow() {
            finishVerification(result, context: context, inline: true)
        }
    }

    private func finishVerification(_ result: PeerVerificationResult, context: ChannelHandlerContext, inline: Bool) {
        guard case .verifying(let handshake, let readHeld) = state else { return }   // closed meanwhile
        state = .handshaking(handshake)
        let connection = handshake.connection
        do {
            try connection.completeVerification(result)
            pumpEngine(context: context)
        } catch {
            pumpEngine(context: context)
            failAndClose(context: context, error: error)
        }
        // Records buffered behind the chain (a server's 0.5-RTT data) may have been delivered outside a read cycle
        // when the verdict came back later: close the cycle so readers that act on channelReadComplete see it.
        if !inline && deliveredData {
            deliveredData = false
            context.fireChannelReadComplete()
        }
        // The read held back while verifying goes out now.
        if readHeld, !state.isClosed, context.channel.isActive { context.read() }
    }

    /// Encrypts every buffered write into as few records as possible and writes them in one go.
    private func flushBufferedWrites(context: ChannelHandlerContext) {
        guard let connection, !bufferedWrites.isEmpty else { return }
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(bufferedWrites.reduce(0) { $0 + $1.0.readableBytes })
        for (buffer, _) in bufferedWrites { plaintext.append(contentsOf: buffer.readableBytesView) }
        let promises = bufferedWrites.compactMap(\.1)
        // Emptied before anything below can run a promise callback that writes again.
        bufferedWrites.removeAll(keepingCapacity: true)
        do {
            try connection.send(plaintext)
        } catch {
            for promise in promises { promise.fail(error) }
            failAndClose(context: context, error: error)
            return
        }
        // The records carry every write of this flush: one write's promise is passed on as it is, several share one.
        var promise = promises.first
        if promises.count > 1 {
            let shared = context.eventLoop.makePromise(of: Void.self)
            for writePromise in promises { shared.futureResult.cascade(to: writePromise) }
            promise = shared
        }
        writeEngineOutput(context: context, promise: promise)
    }

    /// Sends close_notify: after the buffered writes once the handshake is done (then `.outputClosed`, unless the flush
    /// failed the connection), at once while it runs (the caller then closes). Nothing once it is out or closed.
    private func sendCloseNotify(context: ChannelHandlerContext) {
        let connection: TLSConnection
        switch state {
        case .active(let active):
            flushBufferedWrites(context: context)
            guard case .active = state else { return }   // the flush failed the connection
            connection = active
            state = .outputClosed(active)
        case .handshaking(let handshake), .verifying(let handshake, _):
            connection = handshake.connection
        case .idle, .outputClosed, .closed:
            return
        }
        connection.close()
        writeEngineOutput(context: context)
    }

    private func failBufferedWrites(_ error: Error) {
        let writes = bufferedWrites
        bufferedWrites.removeAll()
        for (_, promise) in writes { promise?.fail(error) }
    }

    private func fail(_ promises: [EventLoopPromise<Void>], _ error: Error) {
        for promise in promises { promise.fail(error) }
    }

    private func failAndClose(context: ChannelHandlerContext, error: Error) {
        guard !state.isClosed else { return }
        let pendingOutputClose = state.enterClosed()
        timeoutTask?.cancel()
        writeEngineOutput(context: context)   // the alert, if the engine queued one
        failBufferedWrites(error)
        fail(pendingOutputClose, error)
        completionPromise?.fail(error)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}

/// The client side: starts the handshake as soon as the channel is active.
public final class TLSKitClientHandler: TLSKitHandler {
    /// `serverName` is sent as SNI (unless it is an IP literal) and checked against the server's certificate.
    /// Without one the handler fails with `TLSKitNIOError.configuration` when the channel becomes active, unless
    /// the configuration sets `insecureSkipServerIdentityCheck` (see `TLSConnection.init(client:serverName:)`).
    /// `handshakeTimeout` must be positive (nil: no timeout); otherwise the handler fails with
    /// `TLSKitNIOError.configuration` when it starts.
    public init(configuration: TLSClientConfiguration, serverName: String?, handshakeTimeout: TimeAmount? = .seconds(10)) {
        super.init(handshakeTimeout: handshakeTimeout) {
            try TLSConnection(client: configuration, serverName: serverName)
        }
    }

    /// For the other initializers (`init(context:serverName:)`), which make the connection their own way.
    override init(handshakeTimeout: TimeAmount?, makeConnection: @escaping () throws -> TLSConnection) {
        super.init(handshakeTimeout: handshakeTimeout, makeConnection: makeConnection)
    }
}

/// The server side. Certificate selection by SNI and ALPN selection come from the `TLSServerConfiguration`.
/// `handshakeTimeout` as for the client.
public final class TLSKitServerHandler: TLSKitHandler {
    /// A server handler for one connection. The configuration is checked when the channel becomes active (a bad one
    /// fails the handler with `TLSKitNIOError.configuration`); `TLSKitContext(server:)` checks it once, up front.
    public init(configuration: TLSServerConfiguration, handshakeTimeout: TimeAmount? = .seconds(10)) {
        super.init(handshakeTimeout: handshakeTimeout) {
            try TLSConnection(server: configuration)
        }
    }

    /// For the other initializers (`init(context:)`), which make the connection their own way.
    override init(handshakeTimeout: TimeAmount?, makeConnection: @escaping () throws -> TLSConnection) {
        super.init(handshakeTimeout: handshakeTimeout, makeConnection: makeConnection)
    }
}

@available(*, unavailable)
extension TLSKitHandler: Sendable {}

/// Hands a verification verdict from the verifier's task to the handler: inline if it arrives before
/// `startVerification` returns, through the event loop otherwise. Whichever side comes second decides.
private final class VerificationRendezvous: @unchecked Sendable {
    private let lock = NIOLock()
    private var inlineWindowOpen = true
    private var result: PeerVerificationResult?

    /// Called by the task with its verdict: true if it was taken inline.
    func offerInline(_ verdict: PeerVerificationResult) -> Bool {
        lock.withLock {
            guard inlineWindowOpen else { return false }
            result = verdict
            return true
        }
    }

    /// Called once `Task.immediate` returned: the verdict if it is already there.
    func closeInlineWindow() -> PeerVerificationResult? {
        lock.withLock {
            inlineWindowOpen = false
            return result
        }
    }
}

/// Where a `TLSKitHandler`'s channel is, in the manner of swift-nio-ssl's `NIOSSLHandler.ConnectionState`: what is
/// only meaningful in one state is that state's payload, so impossible combinations (verifying after close, a pending
/// half-close once close_notify is out, a held read with no verification) cannot be written down.
///
///     idle ──channelActive──▶ handshaking ⇄ verifying ──handshakeCompleted──▶ active ──close(.output)──▶ outputClosed
///       any state ──close(.all) / error / timeout / channelInactive / peer's close_notify without half-closure──▶ closed
private enum ConnectionState {
    /// Added, channel not active yet: no engine. Writes are buffered; a flush is remembered for the handshake's end.
    case idle(flushRequested: Bool)
    /// The handshake runs.
    case handshaking(PendingHandshake)
    /// The handshake waits for a certificate verdict; no read reaches the channel meanwhile. `readHeld`: one was wanted
    /// (by the application, autoRead or the handshake) and goes out with the verdict.
    case verifying(PendingHandshake, readHeld: Bool)
    /// The handshake completed: application data flows both ways (the peer's close_notify, with half-closure allowed,
    /// only ends the input; the engine's `peerClosed` says so).
    case active(TLSConnection)
    /// Our close_notify is out and the output half-closed: no more writes, reads go on.
    case outputClosed(TLSConnection)
    /// Closed or closing: nothing more goes in or out. The engine stays for what the channel helpers ask afterwards
    /// (nil when it could not be made).
    case closed(TLSConnection?)

    var connection: TLSConnection? {
        switch self {
        case .idle: nil
        case .handshaking(let handshake), .verifying(let handshake, _): handshake.connection
        case .active(let connection), .outputClosed(let connection): connection
        case .closed(let connection): connection
        }
    }

    var pendingHandshake: PendingHandshake? {
        switch self {
        case .handshaking(let handshake), .verifying(let handshake, _): handshake
        case .idle, .active, .outputClosed, .closed: nil
        }
    }

    /// Handshaking or verifying: what the handshake timeout guards.
    var isHandshaking: Bool { pendingHandshake != nil }

    var isClosed: Bool {
        if case .closed = self { return true }
        return false
    }

    /// Writes are buffered until close_notify is out or asked for.
    var acceptsWrites: Bool {
        switch self {
        case .idle, .active: true
        case .handshaking(let handshake), .verifying(let handshake, _): handshake.pendingOutputClose == nil
        case .outputClosed, .closed: false
        }
    }

    /// Moves to `.closed` (keeping the engine) and hands back the promises of a half-close that waited for the
    /// handshake, for the caller to fail.
    mutating func enterClosed() -> [EventLoopPromise<Void>] {
        let pending = pendingHandshake?.pendingOutputClose ?? []
        self = .closed(connection)
        return pending
    }

    /// Forgets a half-close waiting for the handshake (the handler is removed) and hands back its promises.
    mutating func takePendingOutputClose() -> [EventLoopPromise<Void>] {
        switch self {
        case .handshaking(var handshake):
            let pending = handshake.pendingOutputClose ?? []
            handshake.pendingOutputClose = nil
            self = .handshaking(handshake)
            return pending
        case .verifying(var handshake, let readHeld):
            let pending = handshake.pendingOutputClose ?? []
            handshake.pendingOutputClose = nil
            self = .verifying(handshake, readHeld: readHeld)
            return pending
        case .idle, .active, .outputClosed, .closed:
            return []
        }
    }
}

/// The payload of the handshake states.
private struct PendingHandshake {
    let connection: TLSConnection
    /// The application flushed: the buffered writes go out as soon as the handshake completes.
    var flushRequested: Bool
    /// `close(mode: .output)` was asked for (non-nil, with its promises): done, after the buffered writes, once the
    /// handshake completes. Writes fail from then on.
    var pendingOutputClose: [EventLoopPromise<Void>]? = nil

    mutating func awaitOutputClose(_ promise: EventLoopPromise<Void>?) {
        var promises = pendingOutputClose ?? []
        if let promise { promises.append(promise) }
        pendingOutputClose = promises
    }
}
