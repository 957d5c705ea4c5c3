import Foundation
import NIOCore
import NIOEmbedded
import NIOTLS
import TLSKit
import TLSKitNIO
import XCTest

/// A throw-away PKI for one test: a server identity for `names` (plus 127.0.0.1) and the roots to trust it.
struct TestIdentity: Sendable {
    let key: CertifiedKey
    let roots: TrustRoots

    init(dnsNames: [String] = ["localhost"], ipAddresses: [String] = ["127.0.0.1"]) throws {
        let (identity, rootPEM) = try CertifiedKey.ephemeral(dnsNames: dnsNames, ipAddresses: ipAddresses)
        key = identity
        roots = TrustRoots(certificates: try CertificateChain(pem: rootPEM).certificates)
    }

    func clientConfiguration(alpn: [String] = []) -> TLSClientConfiguration {
        var configuration = TLSClientConfiguration()
        configuration.peerVerification = .trustRoots(roots)
        configuration.common.applicationProtocols = alpn
        return configuration
    }

    func serverConfiguration(alpn: [String] = []) -> TLSServerConfiguration {
        var configuration = TLSServerConfiguration(certificate: key)
        configuration.common.applicationProtocols = alpn
        return configuration
    }
}

struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out: \(what)" }
}

/// Runs `body`, failing with `TestTimeout` if it takes longer than `seconds` (a safety bound, never an assertion).
func withTimeout<T: Sendable>(
    _ seconds: Double = 10, _ what: String = #function, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            throw TestTimeout(what: what)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Polls `condition` until it holds, or fails after `seconds`.
func waitUntil(
    _ seconds: Double = 10, _ what: String, file: StaticString = #filePath, line: UInt = #line,
    _ condition: @escaping @Sendable () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try await !condition() {
        if Date() > deadline { throw TestTimeout(what: what) }
        try await Task.sleep(nanoseconds: 1_000_000)
    }
}

/// A lock-protected box readable from the test while the event loop writes it.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Value
    init(_ value: Value) { _value = value }
    var value: Value {
        get { lock.withLock { _value } }
    }
    func mutate<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&_value) } }
}

/// Records what reaches the end of the pipeline: user events, errors, plaintext, inactivity.
final class Recorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    struct State: Sendable {
        var handshakeEvents: [String?] = []
        var inputClosed = 0
        var errors: [String] = []
        var tlsErrors: [TLSError] = []
        var nioErrors: [TLSKitNIOError] = []
        var received: [UInt8] = []
        var reads = 0
        var readCompletes = 0
        var inactive = false
        var earlyData: [TLSKitEarlyDataEvent] = []
    }

    let state = Locked(State())
    /// Forward plaintext on (so NIOAsyncTestingChannel.readInbound sees it).
    let forward: Bool

    init(forward: Bool = false) { self.forward = forward }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted(let proto) = tls {
            state.mutate { $0.handshakeEvents.append(proto) }
        } else if let channelEvent = event as? ChannelEvent, channelEvent == .inputClosed {
            state.mutate { $0.inputClosed += 1 }
        } else if let early = event as? TLSKitEarlyDataEvent {
            state.mutate { $0.earlyData.append(early) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        state.mutate {
            $0.reads += 1
            $0.received.append(contentsOf: buffer.readableBytesView)
        }
        if forward { context.fireChannelRead(data) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        state.mutate { $0.readCompletes += 1 }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        state.mutate {
            $0.errors.append("\(error)")
            if let tls = error as? TLSError { $0.tlsErrors.append(tls) }
            if let nio = error as? TLSKitNIOError { $0.nioErrors.append(nio) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.mutate { $0.inactive = true }
        context.fireChannelInactive()
    }
}

/// The TLS records in a ciphertext stream: (content type, length) pairs.
func tlsRecords(_ bytes: [UInt8]) -> [(type: UInt8, length: Int)] {
    var records: [(UInt8, Int)] = []
    var index = 0
    while index + 5 <= bytes.count {
        let length = Int(bytes[index + 3]) << 8 | Int(bytes[index + 4])
        records.append((bytes[index], length))
        index += 5 + length
    }
    return records
}

/// A client and a server NIOAsyncTestingChannel, each with a TLSKit handler and a `Recorder` behind it.
/// `NIOAsyncTestingEventLoop` is thread-safe, so the handler's off-loop certificate verification can hop back.
struct EmbeddedPair: Sendable {
    let client: NIOAsyncTestingChannel
    let server: NIOAsyncTestingChannel
    let clientRecorder = Recorder(forward: true)
    let serverRecorder = Recorder(forward: true)

    init(
        clientConfiguration: TLSClientConfiguration,
        serverConfiguration: TLSServerConfiguration,
        serverName: String? = "localhost",
        clientHandlersBeforeTLS: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void = { _ in },
        extraClientHandlers: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void = { _ in },
        extraServerHandlers: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void = { _ in }
    ) async throws {
        try await self.init(
            makeClientHandler: { TLSKitClientHandler(configuration: clientConfiguration, serverName: serverName) },
            makeServerHandler: { TLSKitServerHandler(configuration: serverConfiguration) },
            clientHandlersBeforeTLS: clientHandlersBeforeTLS,
            extraClientHandlers: extraClientHandlers,
            extraServerHandlers: extraServerHandlers)
    }

    /// The same with handlers made by the test (from a `TLSKitContext`, say).
    init(
        makeClientHandler: @escaping @Sendable () -> TLSKitClientHandler,
        makeServerHandler: @escaping @Sendable () -> TLSKitServerHandler,
        clientHandlersBeforeTLS: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void = { _ in },
        extraClientHandlers: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void = { _ in },
        extraServerHandlers: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void = { _ in }
    ) async throws {
        let clientRecorder = self.clientRecorder
        let serverRecorder = self.serverRecorder
        client = try await NIOAsyncTestingChannel { channel in
            // Between the channel and the TLS handler: they see ciphertext and what the handler passes down.
            try clientHandlersBeforeTLS(channel.pipeline.syncOperations)
            try channel.pipeline.syncOperations.addHandler(makeClientHandler())
            try extraClientHandlers(channel.pipeline.syncOperations)
            try channel.pipeline.syncOperations.addHandler(clientRecorder)
        }
        server = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(makeServerHandler())
            try extraServerHandlers(channel.pipeline.syncOperations)
            try channel.pipeline.syncOperations.addHandler(serverRecorder)
        }
    }

    func connect() async throws {
        try await server.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        try await client.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 443)).get()
    }

    /// Moves every pending outbound buffer of `from` into `to`. Returns the bytes moved.
    @discardableResult
    static func transfer(from: NIOAsyncTestingChannel, to: NIOAsyncTestingChannel) async throws -> [UInt8] {
        var moved: [UInt8] = []
        while let buffer = try await from.readOutbound(as: ByteBuffer.self) {
            moved.append(contentsOf: buffer.readableBytesView)
            if to.isActive { try await to.writeInbound(buffer) }
        }
        return moved
    }

    /// Shuttles bytes both ways until `condition` holds (polling, since verification completes off the loop).
    func interact(_ what: String = "interaction", until condition: @escaping @Sendable () async throws -> Bool) async throws {
        try await waitUntil(10, what) {
            try await EmbeddedPair.transfer(from: client, to: server)
            try await EmbeddedPair.transfer(from: server, to: client)
            return try await condition()
        }
    }

    func handshake() async throws {
        try await connect()
        try await interact("handshake") {
            !clientRecorder.state.value.handshakeEvents.isEmpty && !serverRecorder.state.value.handshakeEvents.isEmpty
        }
    }

    func clientNegotiated() async throws -> NegotiatedParameters? {
        let client = self.client
        return try await client.testingEventLoop.executeInContext {
            try client.pipeline.syncOperations.handler(type: TLSKitClientHandler.self).negotiated
        }
    }

    func serverNegotiated() async throws -> NegotiatedParameters? {
        let server = self.server
        return try await server.testingEventLoop.executeInContext {
            try server.pipeline.syncOperations.handler(type: TLSKitServerHandler.self).negotiated
        }
    }

    /// Closes whatever is still open, so no promise is left unfulfilled.
    func finish() async {
        _ = try? await client.finish(acceptAlreadyClosed: true)
        _ = try? await server.finish(acceptAlreadyClosed: true)
    }
}

/// Holds a certificate verification until the test releases it: a verifier that really suspends.
final class VerificationGate: @unchecked Sendable {
    private let lock = NSLock()
    private var waiting: CheckedContinuation<Void, Never>?
    private var released = false
    private var _pending = false

    /// True while a verification waits at the gate.
    var isPending: Bool { lock.withLock { _pending } }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let proceed: Bool = lock.withLock {
                if released { return true }
                waiting = continuation
                _pending = true
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    func release() {
        let continuation: CheckedContinuation<Void, Never>? = lock.withLock {
            released = true
            _pending = false
            defer { waiting = nil }
            return waiting
        }
        continuation?.resume()
    }

    /// `roots`' X509 verification, run once the gate opens.
    func verification(trusting roots: TrustRoots) -> PeerVerification {
        let verifier = X509CertificateVerifier(trustRoots: roots)
        return .custom(CustomCertificateVerifier { [self] request in
            await wait()
            return await verifier.verify(request)
        })
    }
}

/// Counts the `read()`s that reach the channel, and those made while `gate` holds a verification.
final class ReadCounter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = ByteBuffer
    struct Counts: Sendable {
        var total = 0
        var whileVerifying = 0
    }

    let gate: VerificationGate
    let counts = Locked(Counts())

    init(gate: VerificationGate) { self.gate = gate }

    func read(context: ChannelHandlerContext) {
        let verifying = gate.isPending
        counts.mutate {
            $0.total += 1
            if verifying { $0.whileVerifying += 1 }
        }
        context.read()
    }
}
