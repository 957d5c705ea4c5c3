import CBenchSupport
import Foundation
import NIOCore
import NIOEmbedded
import NIOSSL
import NIOTLS
import TLSKit
import TLSKitNIO

/// Notes TLSUserEvent.handshakeCompleted and drops plaintext that reaches the end of the pipeline (counting it).
final class EndOfPipeline: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private(set) var completed = false
    private(set) var received = 0
    private(set) var error: Error?

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if self.error == nil { self.error = error }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += unwrapInboundIn(data).readableBytes
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { completed = true }
        context.fireUserInboundEventTriggered(event)
    }
}

/// A TLS handler pair on two plain `EmbeddedChannel`s: swift-nio-ssl (BoringSSL) or TLSKit's own NIO handlers.
/// Everything runs on the calling thread (TLSKit's handler verifies the chain inline on the event loop, as
/// swift-nio-ssl does), so the methods are synchronous: an EmbeddedChannel must stay on the thread that made it.
struct NIOContender {
    enum Kind { case tlskit, nioSSL }
    let kind: Kind
    let makeClient: () throws -> ChannelHandler
    let makeServer: () throws -> ChannelHandler
    let resumption: Resumption

    init(_ kind: Kind, _ setup: Setup, _ certificates: BenchCertificates, resumption: Resumption = .none) throws {
        self.kind = kind
        self.resumption = resumption
        switch kind {
        case .tlskit:
            let engine = try TLSKitEngineContender(setup, certificates, resumption: resumption)
            // Handlers from contexts built once, as the NIOSSLContexts below: the per-connection cost is the
            // handler's and the connection's, not re-validating the configuration.
            let clientContext = try TLSKitContext(client: engine.client, handshakeTimeout: nil)
            let serverContext = try TLSKitContext(server: engine.server, handshakeTimeout: nil)
            if resumption == .none, let resolved = clientContext.clientConfiguration {
                // Full rows: each connection's client keeps the tickets it receives in a cache of its own (see
                // TLSKitEngineContender.clientConfiguration), with the context's verifier, built once.
                makeClient = {
                    var configuration = resolved
                    configuration.sessionCache = ClientSessionCache(capacity: 1, ticketsPerServer: 2)
                    return TLSKitClientHandler(configuration: configuration, serverName: "localhost", handshakeTimeout: nil)
                }
            } else {
                makeClient = { TLSKitClientHandler(context: clientContext, serverName: "localhost") }
            }
            makeServer = { TLSKitServerHandler(context: serverContext) }
        case .nioSSL:
            // swift-nio-ssl has no API to keep or offer a client session, so it cannot resume.
            guard resumption == .none else { throw BenchError("swift-nio-ssl exposes no session resumption") }
            // BoringSSL's defaults issue two TLS 1.3 tickets (one TLS 1.2 ticket) per handshake, which the other
            // contenders' full rows match (`Resumption.ticketsPerHandshake`).
            let leaf = certificates.leaf(setup.key)
            var server = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(leaf.certificate.utf8)).map { .certificate($0) },
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
        let client: EmbeddedChannel
        let server: EmbeddedChannel
        let clientEnd: EndOfPipeline
        let serverEnd: EndOfPipeline

        /// Closes both sides the way a peer would: close_notify both ways, then any shutdown timer fires.
        func close() {
            client.close(promise: nil)
            for _ in 0..<3 {
                _ = try? NIOContender.transfer(client, server)
                _ = try? NIOContender.transfer(server, client)
            }
            client.embeddedEventLoop.advanceTime(by: .seconds(600))
            server.embeddedEventLoop.advanceTime(by: .seconds(600))
            if client.isActive || server.isActive { server.close(promise: nil) }
            server.embeddedEventLoop.advanceTime(by: .seconds(600))
            _ = try? client.finish(acceptAlreadyClosed: true)
            _ = try? server.finish(acceptAlreadyClosed: true)
        }
    }

    /// Closes one channel without its peer (the memory rows): drops what it writes, fires its shutdown timers.
    static func discard(_ channel: EmbeddedChannel) {
        channel.close(promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(600))
        while (try? channel.readOutbound(as: ByteBuffer.self)) ?? nil != nil {}
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    /// Moves every outbound buffer of `from` into `to`'s pipeline; returns the bytes moved.
    static func transfer(_ from: EmbeddedChannel, _ to: EmbeddedChannel) throws -> Int {
        var moved = 0
        while let buffer = try from.readOutbound(as: ByteBuffer.self) {
            moved += buffer.readableBytes
            try to.writeInbound(buffer)
        }
        return moved
    }

    func handshake(priming: Bool = false) throws -> (pair: Pair, split: Split) {
        var split = Split()
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 443)
        var mark = Mark.now()
        let clientEnd = EndOfPipeline()
        let client = EmbeddedChannel()
        try client.pipeline.syncOperations.addHandler(makeClient())
        try client.pipeline.syncOperations.addHandler(clientEnd)
        try client.connect(to: address).wait()
        split.charge(0, since: mark)
        mark = Mark.now()
        let serverEnd = EndOfPipeline()
        let server = EmbeddedChannel()
        try server.pipeline.syncOperations.addHandler(makeServer())
        try server.pipeline.syncOperations.addHandler(serverEnd)
        try server.connect(to: address).wait()
        split.charge(1, since: mark)
        let pair = Pair(client: client, server: server, clientEnd: clientEnd, serverEnd: serverEnd)
        for _ in 0..<16 {
            mark = Mark.now()
            let toServer = try Self.transfer(client, server)
            split.charge(1, since: mark)
            mark = Mark.now()
            let toClient = try Self.transfer(server, client)
            split.charge(0, since: mark)
            debug("round: \(toServer) bytes to server, \(toClient) to client; completed \(clientEnd.completed) \(serverEnd.completed)")
            guard toServer == 0 && toClient == 0 else { continue }
            if clientEnd.completed && serverEnd.completed {
                if resumption != .none && !priming {
                    let handler = try client.pipeline.syncOperations.handler(type: TLSKitClientHandler.self)
                    guard handler.negotiated?.resumed == true else {
                        pair.close()
                        throw BenchError("TLSKit NIO did not resume")
                    }
                }
                return (pair, split)
            }
            let error = clientEnd.error ?? serverEnd.error
            pair.close()
            throw BenchError("\(kind) NIO handshake stalled: \(error.map { "\($0)" } ?? "no error")")
        }
        pair.close()
        throw BenchError("\(kind) NIO handshake did not complete")
    }

    func handshakes(_ count: Int) throws -> HandshakeStats {
        if resumption != .none { try handshake(priming: true).pair.close() }
        for _ in 0..<max(2, count / 10) { try handshake().pair.close() }
        var samples: [Split] = []
        for _ in 0..<count {
            let (pair, split) = try handshake()
            samples.append(split)
            pair.close()
        }
        return HandshakeStats(samples: samples)
    }

    func bulk(bytes: Int) throws -> BulkStats {
        let (pair, _) = try handshake()
        defer { pair.close() }
        var chunk = ByteBufferAllocator().buffer(capacity: chunkSize)
        chunk.writeRepeatingByte(0x61, count: chunkSize)
        for _ in 0..<32 {
            try pair.client.writeOutbound(chunk)
            _ = try Self.transfer(pair.client, pair.server)
        }
        let start = pair.serverEnd.received
        let records = max(1, bytes / chunkSize)
        var total = Split()
        for _ in 0..<records {
            var mark = Mark.now()
            try pair.client.writeOutbound(chunk)
            let wire = try pair.client.readOutbound(as: ByteBuffer.self)
            total.charge(0, since: mark)
            mark = Mark.now()
            if let wire { try pair.server.writeInbound(wire) }
            _ = try Self.transfer(pair.client, pair.server)
            total.charge(1, since: mark)
        }
        let received = pair.serverEnd.received - start
        guard received == records * chunkSize else { throw BenchError("\(kind) bulk lost data: \(received)") }
        return BulkStats(total: total, bytes: records * chunkSize, records: records)
    }

    func memory(connections: Int) throws -> MemoryStats {
        var clients: [EmbeddedChannel] = []
        var servers: [EmbeddedChannel] = []
        clients.reserveCapacity(connections)
        servers.reserveCapacity(connections)
        try handshake().pair.close()
        let rssBefore = residentAfterTrim()
        for _ in 0..<connections {
            let (pair, _) = try handshake()
            clients.append(pair.client)
            servers.append(pair.server)
        }
        let both = heapInUse()
        let rssBoth = residentAfterTrim()
        for channel in clients { NIOContender.discard(channel) }
        clients.removeAll(keepingCapacity: true)
        let serversOnly = heapInUse()
        for channel in servers { NIOContender.discard(channel) }
        servers.removeAll(keepingCapacity: true)
        return MemoryStats(pairResidentBytes: Double(rssBoth - rssBefore) / Double(connections),
                           clientBytes: Double(both - serversOnly) / Double(connections),
                           serverBytes: Double(serversOnly - heapInUse()) / Double(connections))
    }
}

let debugging = ProcessInfo.processInfo.environment["BENCH_DEBUG"] != nil
func debug(_ text: @autoclosure () -> String) { if debugging { log(text()) } }
