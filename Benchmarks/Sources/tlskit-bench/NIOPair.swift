import CBenchSupport
import Foundation
import NIOCore
import NIOEmbedded
import NIOSSL
import NIOTLS
import TLSKit
import TLSKitNIO

/// Notes TLSUserEvent.handshakeCompleted and drops plaintext that reaches the end of the pipeline (counting it).
final class EndOfPipeline: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let lock = NSLock()
    private var _completed = false
    private var _received = 0
    var completed: Bool { lock.withLock { _completed } }
    var received: Int { lock.withLock { _received } }
    private var _error: Error?
    var error: Error? { lock.withLock { _error } }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        lock.withLock { if _error == nil { _error = error } }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).readableBytes
        lock.withLock { _received += bytes }
    }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { lock.withLock { _completed = true } }
        context.fireUserInboundEventTriggered(event)
    }
}

/// A TLS handler pair on two NIOAsyncTestingChannels: swift-nio-ssl (BoringSSL) or TLSKit's own NIO handlers.
/// NIOAsyncTestingChannel rather than EmbeddedChannel because TLSKit's handler runs certificate verification
/// as a task (`makeFutureWithTask`), which needs a thread-safe event loop; both contenders get the same channel.
struct NIOContender {
    enum Kind { case tlskit, nioSSL }
    let kind: Kind
    let makeClient: @Sendable () throws -> ChannelHandler
    let makeServer: @Sendable () throws -> ChannelHandler
    let resumption: Resumption

    init(_ kind: Kind, _ setup: Setup, _ certificates: BenchCertificates, resumption: Resumption = .none) throws {
        self.kind = kind
        self.resumption = resumption
        switch kind {
        case .tlskit:
            let engine = try TLSKitEngineContender(setup, certificates, resumption: resumption)
            let client = engine.client, server = engine.server
            makeClient = { TLSKitClientHandler(configuration: client, serverName: "localhost", handshakeTimeout: nil) }
            makeServer = { TLSKitServerHandler(configuration: server, handshakeTimeout: nil) }
        case .nioSSL:
            // swift-nio-ssl has no API to keep or offer a client session, so it cannot resume.
            guard resumption == .none else { throw BenchError("swift-nio-ssl exposes no session resumption") }
            let leaf = certificates.leaf(setup.key)
            var server = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(leaf.certificate.utf8), format: .pem))],
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(leaf.key.utf8), format: .pem)))
            var client = TLSConfiguration.makeClientConfiguration()
            client.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(certificates.rootPEM.utf8), format: .pem)])
            client.certificateVerification = .fullVerification
            let version: TLSVersion = setup.version == 12 ? .tlsv12 : .tlsv13
            let curve: NIOTLSCurve = setup.group == .x25519 ? .x25519 : .x25519_MLKEM768
            server.minimumTLSVersion = version; server.maximumTLSVersion = version
            client.minimumTLSVersion = version; client.maximumTLSVersion = version
            let curves: [NIOTLSCurve] = setup.version == 12 ? [curve, .secp256r1] : [curve]
            server.curves = curves; client.curves = curves
            if setup.version == 12 {
                let cipher: NIOTLSCipher = setup.key == .ecdsa
                    ? .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 : .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
                server.cipherSuiteValues = [cipher]; client.cipherSuiteValues = [cipher]
            }
            // BoringSSL does not let TLS 1.3 suites be chosen; it negotiates AES-128-GCM where AES-NI exists.
            let serverContext = try NIOSSLContext(configuration: server)
            let clientContext = try NIOSSLContext(configuration: client)
            makeClient = { try NIOSSLClientHandler(context: clientContext, serverHostname: "localhost") }
            makeServer = { NIOSSLServerHandler(context: serverContext) as ChannelHandler }
        }
    }

    struct Pair {
        let client: NIOAsyncTestingChannel
        let server: NIOAsyncTestingChannel
        let clientEnd: EndOfPipeline
        let serverEnd: EndOfPipeline

        /// Closes both sides the way a peer would: close_notify both ways, then any shutdown timer fires.
        /// (Awaiting `finish()` at once would wait forever for swift-nio-ssl's close_notify exchange.)
        func close() async {
            client.close(promise: nil)
            for _ in 0..<3 {
                _ = try? await NIOContender.transfer(client, server)
                _ = try? await NIOContender.transfer(server, client)
            }
            await client.testingEventLoop.advanceTime(by: .seconds(600))
            await server.testingEventLoop.advanceTime(by: .seconds(600))
            if client.isActive || server.isActive { server.close(promise: nil) }
            await server.testingEventLoop.advanceTime(by: .seconds(600))
            _ = try? await client.finish(acceptAlreadyClosed: true)
            _ = try? await server.finish(acceptAlreadyClosed: true)
        }
    }

    /// Closes one channel without its peer (the memory rows): drops what it writes, fires its shutdown timers.
    static func discard(_ channel: NIOAsyncTestingChannel) async {
        channel.close(promise: nil)
        await channel.testingEventLoop.advanceTime(by: .seconds(600))
        while (try? await channel.readOutbound(as: ByteBuffer.self)) ?? nil != nil {}
        _ = try? await channel.finish(acceptAlreadyClosed: true)
    }

    /// Moves every outbound buffer of `from` into `to`'s pipeline; returns the bytes moved.
    static func transfer(_ from: NIOAsyncTestingChannel, _ to: NIOAsyncTestingChannel) async throws -> Int {
        var moved = 0
        while let buffer = try await from.readOutbound(as: ByteBuffer.self) {
            moved += buffer.readableBytes
            try await to.writeInbound(buffer)
        }
        return moved
    }

    func handshake(priming: Bool = false) async throws -> (pair: Pair, split: Split) {
        var split = Split()
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 443)
        var mark = Mark.now()
        let clientEnd = EndOfPipeline()
        let makeClient = self.makeClient
        let client = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(makeClient())
            try channel.pipeline.syncOperations.addHandler(clientEnd)
        }
        debug("client channel made")
        try await client.connect(to: address).get()
        debug("client connected")
        split.charge(0, since: mark)
        mark = Mark.now()
        let serverEnd = EndOfPipeline()
        let makeServer = self.makeServer
        let server = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(makeServer())
            try channel.pipeline.syncOperations.addHandler(serverEnd)
        }
        try await server.connect(to: address).get()
        debug("server connected")
        split.charge(1, since: mark)
        let pair = Pair(client: client, server: server, clientEnd: clientEnd, serverEnd: serverEnd)
        var idle = 0
        while idle < 5_000 {
            mark = Mark.now()
            let toServer = try await Self.transfer(client, server)
            split.charge(1, since: mark)
            mark = Mark.now()
            let toClient = try await Self.transfer(server, client)
            debug("round: \(toServer) bytes to server, \(toClient) to client; completed \(clientEnd.completed) \(serverEnd.completed)")
            if toServer == 0 && toClient == 0 {
                if clientEnd.completed && serverEnd.completed {
                    if resumption != .none && !priming {
                        let handler = try await client.pipeline.handler(type: TLSKitClientHandler.self).get()
                        guard handler.negotiated?.resumed == true else {
                            await pair.close()
                            throw BenchError("TLSKit NIO did not resume")
                        }
                    }
                    return (pair, split)
                }
                if let error = clientEnd.error ?? serverEnd.error {
                    await pair.close()
                    throw BenchError("\(kind) NIO handshake failed: \(error)")
                }
                // TLSKit's client verifies the chain on a task; wait for the flight it writes when the task is done
                // (charged to the client). Waiting on the write, not polling, keeps timer wake-ups out of the figure.
                idle += 1
                if !clientEnd.completed {
                    let flight = try await client.waitForOutboundWrite(as: ByteBuffer.self)
                    split.charge(0, since: mark)
                    mark = Mark.now()
                    try await server.writeInbound(flight)
                    split.charge(1, since: mark)
                    continue
                }
                try await Task.sleep(nanoseconds: 20_000)
            }
            split.charge(0, since: mark)
        }
        await pair.close()
        throw BenchError("\(kind) NIO handshake did not complete")
    }

    func handshakes(_ count: Int) async throws -> HandshakeStats {
        if resumption != .none { try await handshake(priming: true).pair.close() }
        for _ in 0..<max(2, count / 10) { try await handshake().pair.close() }
        var samples: [Split] = []
        for _ in 0..<count {
            let (pair, split) = try await handshake()
            samples.append(split)
            await pair.close()
        }
        return HandshakeStats(samples: samples)
    }

    func bulk(bytes: Int) async throws -> BulkStats {
        let (pair, _) = try await handshake()
        var chunk = ByteBufferAllocator().buffer(capacity: chunkSize)
        chunk.writeRepeatingByte(0x61, count: chunkSize)
        for _ in 0..<32 {
            try await pair.client.writeOutbound(chunk)
            _ = try await Self.transfer(pair.client, pair.server)
        }
        let start = pair.serverEnd.received
        let records = max(1, bytes / chunkSize)
        var total = Split()
        for _ in 0..<records {
            var mark = Mark.now()
            try await pair.client.writeOutbound(chunk)
            let wire = try await pair.client.readOutbound(as: ByteBuffer.self)
            total.charge(0, since: mark)
            mark = Mark.now()
            if let wire { try await pair.server.writeInbound(wire) }
            _ = try await Self.transfer(pair.client, pair.server)
            total.charge(1, since: mark)
        }
        let received = pair.serverEnd.received - start
        await pair.close()
        guard received == records * chunkSize else { throw BenchError("\(kind) bulk lost data: \(received)") }
        return BulkStats(total: total, bytes: records * chunkSize, records: records)
    }

    func memory(connections: Int) async throws -> MemoryStats {
        var clients: [NIOAsyncTestingChannel] = []
        var servers: [NIOAsyncTestingChannel] = []
        clients.reserveCapacity(connections)
        servers.reserveCapacity(connections)
        try await handshake().pair.close()
        for _ in 0..<connections {
            let (pair, _) = try await handshake()
            clients.append(pair.client)
            servers.append(pair.server)
        }
        let both = heapInUse()
        for channel in clients { await NIOContender.discard(channel) }
        clients.removeAll(keepingCapacity: true)
        let serversOnly = heapInUse()
        for channel in servers { await NIOContender.discard(channel) }
        servers.removeAll(keepingCapacity: true)
        return MemoryStats(clientBytes: Double(both - serversOnly) / Double(connections),
                           serverBytes: Double(serversOnly - heapInUse()) / Double(connections))
    }
}

let debugging = ProcessInfo.processInfo.environment["BENCH_DEBUG"] != nil
func debug(_ text: @autoclosure () -> String) { if debugging { log(text()) } }
