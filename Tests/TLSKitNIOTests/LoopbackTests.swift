import NIOCore
import NIOPosix
import NIOTLS
import TLSKit
import TLSKitNIO
import XCTest

/// Handlers on real loopback sockets (MultiThreadedEventLoopGroup), including the async verification path.
final class LoopbackTests: XCTestCase {
    // MARK: The async helpers

    func testBootstrapConnectAndBindExchangeDataBothWaysAndCloseCleanly() async throws {
        let identity = try TestIdentity()
        let server = try await TLSKitBootstrap.bind(
            host: "127.0.0.1", port: 0, configuration: identity.serverConfiguration(alpn: ["echo"]))
        let port = try XCTUnwrap(server.channel.localAddress?.port)
        let serverSaw = Locked<[UInt8]>([])

        try await withTimeout(20) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // One connection: echo upper-cased until the client half-closes, then answer and close.
                    try await server.executeThenClose { inbound in
                        for try await child in inbound {
                            try await child.executeThenClose { input, output in
                                for try await buffer in input {
                                    serverSaw.mutate { $0.append(contentsOf: buffer.readableBytesView) }
                                    try await output.write(ByteBuffer(string: String(buffer: buffer).uppercased()))
                                }
                                try await output.write(ByteBuffer(string: "bye"))
                            }
                            return
                        }
                    }
                }
                group.addTask {
                    let configuration = identity.clientConfiguration(alpn: ["echo"])
                    let (channel, negotiated) = try await TLSKitBootstrap.connect(
                        host: "127.0.0.1", port: port, configuration: configuration, serverName: "localhost")
                    XCTAssertEqual(negotiated.applicationProtocol, "echo")
                    XCTAssertEqual(negotiated.version, .tls13)
                    XCTAssertEqual(negotiated.peerCertificates, identity.key.chain.derEncoded)
                    try await channel.executeThenClose { input, output in
                        var iterator = input.makeAsyncIterator()
                        try await output.write(ByteBuffer(string: "hello"))
                        var received = ""
                        while received.count < 5, let buffer = try await iterator.next() { received += String(buffer: buffer) }
                        XCTAssertEqual(received, "HELLO")
                        // Half-close: close_notify; the server sees the end of input, answers, closes.
                        output.finish()
                        var tail = ""
                        while let buffer = try await iterator.next() { tail += String(buffer: buffer) }
                        XCTAssertEqual(tail, "bye")
                    }
                }
                try await group.waitForAll()
            }
        }
        XCTAssertEqual(serverSaw.value, Array("hello".utf8))
    }

    func testBootstrapWithContextsResumesThroughTheContextsSharedCache() async throws {
        let identity = try TestIdentity()
        let serverConfiguration = identity.serverConfiguration()
        let serverContext = try TLSKitContext(server: serverConfiguration)
        var clientConfiguration = identity.clientConfiguration()
        clientConfiguration.sessionCache = ClientSessionCache()
        let clientContext = try TLSKitContext(client: clientConfiguration)
        let server = try await TLSKitBootstrap.bind(host: "127.0.0.1", port: 0, context: serverContext)
        let port = try XCTUnwrap(server.channel.localAddress?.port)

        try await withTimeout(20) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Two connections: each echoes one message and closes.
                    try await server.executeThenClose { inbound in
                        var served = 0
                        for try await child in inbound {
                            try await child.executeThenClose { input, output in
                                for try await buffer in input { try await output.write(buffer) }
                            }
                            served += 1
                            if served == 2 { return }
                        }
                    }
                }
                group.addTask {
                    var resumed: [Bool] = []
                    for _ in 0..<2 {
                        let (channel, negotiated) = try await TLSKitBootstrap.connect(
                            host: "127.0.0.1", port: port, context: clientContext, serverName: "localhost")
                        resumed.append(negotiated.resumed)
                        try await channel.executeThenClose { input, output in
                            var iterator = input.makeAsyncIterator()
                            try await output.write(ByteBuffer(string: "ping"))
                            var received = ""
                            while received.count < 4, let buffer = try await iterator.next() { received += String(buffer: buffer) }
                            XCTAssertEqual(received, "ping")
                            output.finish()
                            while try await iterator.next() != nil {}
                        }
                    }
                    // The second connection resumed with the ticket the first left in the context's cache.
                    XCTAssertEqual(resumed, [false, true])
                }
                try await group.waitForAll()
            }
        }
    }

    func testBootstrapConnectFailsWhenTheCertificateIsNotTrusted() async throws {
        let identity = try TestIdentity()
        let stranger = try TestIdentity()
        let server = try await TLSKitBootstrap.bind(host: "127.0.0.1", port: 0, configuration: identity.serverConfiguration())
        let port = try XCTUnwrap(server.channel.localAddress?.port)
        let serverError = Locked<String?>(nil)
        try await withTimeout(20) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await server.executeThenClose { inbound in
                        for try await child in inbound {
                            do {
                                try await child.executeThenClose { input, _ in for try await _ in input {} }
                            } catch {
                                serverError.mutate { $0 = "\(error)" }
                            }
                            return
                        }
                    }
                }
                group.addTask {
                    do {
                        _ = try await TLSKitBootstrap.connect(
                            host: "127.0.0.1", port: port, configuration: stranger.clientConfiguration(),
                            serverName: "localhost")
                        XCTFail("the handshake should fail")
                    } catch let error as TLSError {
                        XCTAssertEqual(error.origin, .local, "\(error)")
                    }
                }
                try await group.waitForAll()
            }
        }
        XCTAssertNotNil(serverError.value, "the server hears the client's alert")
    }

    // MARK: Pipelines built by hand

    /// A server and a connected client; the child channel is handed back through a promise.
    struct Connection: Sendable {
        let group: MultiThreadedEventLoopGroup
        let serverChannel: Channel
        let client: Channel
        let child: Channel
        let clientRecorder: Recorder
        let serverRecorder: Recorder
        let clientHandshake: EventLoopFuture<NegotiatedParameters>

        func close() async {
            try? await client.close()
            try? await child.close()
            try? await serverChannel.close()
            try? await group.shutdownGracefully()
        }
    }

    func connect(
        identity: TestIdentity,
        clientAutoRead: Bool = true, serverAutoRead: Bool = true, serverHalfClosure: Bool = false,
        serverReceiveBuffer: Int? = nil, clientSendBuffer: Int? = nil,
        clientALPN: [String] = [], serverALPN: [String] = [], clientVerification: PeerVerification? = nil,
        extraClient: @escaping @Sendable (Channel) throws -> Void = { _ in },
        extraServer: @escaping @Sendable (Channel) throws -> Void = { _ in }
    ) async throws -> Connection {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let serverRecorder = Recorder()
        let clientRecorder = Recorder()
        let childPromise = group.next().makePromise(of: Channel.self)
        let serverConfiguration = identity.serverConfiguration(alpn: serverALPN)
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: serverAutoRead)
            .childChannelOption(.allowRemoteHalfClosure, value: serverHalfClosure)
        if let serverReceiveBuffer {
            bootstrap = bootstrap.serverChannelOption(.socketOption(.so_rcvbuf), value: serverReceiveBuffer)
        }
        let serverChannel = try await bootstrap
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLSKitServerHandler(configuration: serverConfiguration))
                    try extraServer(channel)
                    try channel.pipeline.syncOperations.addHandler(serverRecorder)
                    childPromise.succeed(channel)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let clientConfiguration = {
            var configuration = identity.clientConfiguration(alpn: clientALPN)
            if let clientVerification { configuration.peerVerification = clientVerification }
            return configuration
        }()
        var clientBootstrap = ClientBootstrap(group: group).channelOption(.autoRead, value: clientAutoRead)
        if let clientSendBuffer {
            clientBootstrap = clientBootstrap.channelOption(.socketOption(.so_sndbuf), value: clientSendBuffer)
        }
        let handshakePromise = group.next().makePromise(of: NegotiatedParameters.self)
        let client = try await clientBootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = TLSKitClientHandler(configuration: clientConfiguration, serverName: "localhost")
                    try channel.pipeline.syncOperations.addHandler(handler)
                    handler.handshakeFuture(on: channel.eventLoop).cascade(to: handshakePromise)
                    try extraClient(channel)
                    try channel.pipeline.syncOperations.addHandler(clientRecorder)
                }
            }
            .connect(host: "127.0.0.1", port: serverChannel.localAddress!.port!).get()
        let child = try await withTimeout { try await childPromise.futureResult.get() }
        return Connection(
            group: group, serverChannel: serverChannel, client: client, child: child,
            clientRecorder: clientRecorder, serverRecorder: serverRecorder, clientHandshake: handshakePromise.futureResult)
    }

    /// A verifier that really suspends: reading stops meanwhile and resumes with the verdict, with autoRead on or off.
    func testHandshakeCompletesAfterAVerificationThatSuspends() async throws {
        let identity = try TestIdentity()
        for autoRead in [true, false] {
            let gate = VerificationGate()
            let connection = try await connect(
                identity: identity, clientAutoRead: autoRead, serverAutoRead: autoRead,
                clientVerification: gate.verification(trusting: identity.roots))
            do {
                try await waitUntil(10, "verification started (autoRead \(autoRead))") { gate.isPending }
                gate.release()
                let negotiated = try await withTimeout { try await connection.clientHandshake.get() }
                XCTAssertEqual(negotiated.version, .tls13)
                try await waitUntil(10, "server handshake") { connection.serverRecorder.state.value.handshakeEvents.count == 1 }
                try await connection.child.writeAndFlush(ByteBuffer(string: "after the verdict"))
                connection.client.read()
                try await waitUntil(10, "client delivery (autoRead \(autoRead))") {
                    connection.clientRecorder.state.value.received == Array("after the verdict".utf8)
                }
                XCTAssertTrue(connection.clientRecorder.state.value.errors.isEmpty)
                XCTAssertTrue(connection.serverRecorder.state.value.errors.isEmpty)
            } catch {
                gate.release()
                await connection.close()
                throw error
            }
            await connection.close()
        }
    }

    func testAutoReadOffHandshakeCompletesAndNothingIsDeliveredUntilRead() async throws {
        let identity = try TestIdentity()
        let connection = try await connect(identity: identity, clientAutoRead: false, serverAutoRead: false)
        do {
            // Nobody calls read(): the handler reads what the handshake needs by itself.
            let negotiated = try await withTimeout { try await connection.clientHandshake.get() }
            XCTAssertEqual(negotiated.version, .tls13)
            try await waitUntil(10, "server handshake") { connection.serverRecorder.state.value.handshakeEvents.count == 1 }

            // The server's data reaches the client's socket, but no read() was issued: nothing is delivered.
            try await connection.child.writeAndFlush(ByteBuffer(string: "server data"))
            try await connection.client.writeAndFlush(ByteBuffer(string: "client data"))
            try await connection.client.eventLoop.submit {}.get()
            XCTAssertEqual(connection.clientRecorder.state.value.reads, 0)
            XCTAssertEqual(connection.serverRecorder.state.value.reads, 0)

            connection.client.read()
            try await waitUntil(10, "client delivery") {
                connection.clientRecorder.state.value.received == Array("server data".utf8)
            }
            connection.child.read()
            try await waitUntil(10, "server delivery") {
                connection.serverRecorder.state.value.received == Array("client data".utf8)
            }
            XCTAssertTrue(connection.clientRecorder.state.value.errors.isEmpty)
            XCTAssertTrue(connection.serverRecorder.state.value.errors.isEmpty)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    func testAutoReadOffDataSentWithTheLastHandshakeFlightWaitsForRead() async throws {
        let identity = try TestIdentity()
        let written = Locked(false)
        // The client writes before its handshake completes, so the data follows its Finished at once and may
        // reach the server in the very read the server's handler issued for the handshake.
        let connection = try await connect(
            identity: identity, serverAutoRead: false,
            extraClient: { channel in
                channel.writeAndFlush(ByteBuffer(string: "early bird")).whenSuccess { written.mutate { $0 = true } }
            })
        do {
            _ = try await withTimeout { try await connection.clientHandshake.get() }
            try await waitUntil(10, "server handshake") { connection.serverRecorder.state.value.handshakeEvents.count == 1 }
            try await waitUntil(10, "client wrote") { written.value }
            try await connection.child.eventLoop.submit {}.get()
            XCTAssertEqual(connection.serverRecorder.state.value.reads, 0, "no read() yet: nothing delivered")
            connection.child.read()
            try await waitUntil(10, "server delivery") {
                connection.serverRecorder.state.value.received == Array("early bird".utf8)
            }
            XCTAssertEqual(connection.serverRecorder.state.value.readCompletes, 1)
            XCTAssertTrue(connection.serverRecorder.state.value.errors.isEmpty)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    func testBackpressureWhenTheServerDoesNotRead() async throws {
        let identity = try TestIdentity()
        let connection = try await connect(
            identity: identity, serverAutoRead: false, serverReceiveBuffer: 16 * 1024, clientSendBuffer: 16 * 1024)
        do {
            _ = try await withTimeout { try await connection.clientHandshake.get() }
            let total = 2 * 1024 * 1024
            let chunk = ByteBuffer(repeating: 0x5A, count: 64 * 1024)
            for _ in 0..<(total / chunk.readableBytes) { connection.client.write(chunk, promise: nil) }
            connection.client.flush()
            // The server reads nothing, so the client's outbound side must fill up and report it.
            try await waitUntil(10, "client not writable") { !connection.client.isWritable }
            XCTAssertLessThan(connection.serverRecorder.state.value.received.count, total)
            // Reading on demand drains it all.
            try await waitUntil(20, "server received everything") {
                connection.child.read()
                return connection.serverRecorder.state.value.received.count == total
            }
            XCTAssertTrue(connection.serverRecorder.state.value.received.allSatisfy { $0 == 0x5A })
            try await waitUntil(10, "client writable again") { connection.client.isWritable }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    func testHalfCloseSendsCloseNotifyAndThePeerCanStillAnswer() async throws {
        let identity = try TestIdentity()
        let connection = try await connect(identity: identity, serverHalfClosure: true)
        do {
            _ = try await withTimeout { try await connection.clientHandshake.get() }
            try await connection.client.writeAndFlush(ByteBuffer(string: "question"))
            try await connection.client.close(mode: .output)
            try await waitUntil(10, "server input closed") { connection.serverRecorder.state.value.inputClosed == 1 }
            XCTAssertEqual(connection.serverRecorder.state.value.received, Array("question".utf8))
            // The server still writes after the client's close_notify.
            try await connection.child.writeAndFlush(ByteBuffer(string: "answer"))
            try await waitUntil(10, "client got the answer") {
                connection.clientRecorder.state.value.received == Array("answer".utf8)
            }
            try await connection.child.close()
            try await waitUntil(10, "client inactive") { connection.clientRecorder.state.value.inactive }
            XCTAssertTrue(connection.serverRecorder.state.value.errors.isEmpty, "\(connection.serverRecorder.state.value.errors)")
            XCTAssertTrue(connection.clientRecorder.state.value.errors.isEmpty, "\(connection.clientRecorder.state.value.errors)")
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    /// Closes the socket underneath the TLS handler, as a peer that just drops the TCP connection would.
    final class RawCloser: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = Any
    }

    func testBareTCPCloseIsReportedAsUncleanShutdown() async throws {
        for halfClosure in [false, true] {
            let identity = try TestIdentity()
            let connection = try await connect(
                identity: identity, serverHalfClosure: halfClosure,
                extraClient: { channel in try channel.pipeline.syncOperations.addHandler(RawCloser(), position: .first) })
            do {
                _ = try await withTimeout { try await connection.clientHandshake.get() }
                try await waitUntil(10, "server handshake") { connection.serverRecorder.state.value.handshakeEvents.count == 1 }
                let client = connection.client
                try await client.eventLoop.submit {
                    let context = try client.pipeline.syncOperations.context(handlerType: RawCloser.self)
                    context.close(promise: nil)
                }.get()
                try await waitUntil(10, "server error") { !connection.serverRecorder.state.value.errors.isEmpty }
                XCTAssertEqual(connection.serverRecorder.state.value.nioErrors, [.uncleanShutdown], "half-closure \(halfClosure)")
                XCTAssertEqual(connection.serverRecorder.state.value.inputClosed, 0)
                try await waitUntil(10, "server closed") { connection.serverRecorder.state.value.inactive }
            } catch {
                await connection.close()
                throw error
            }
            await connection.close()
        }
    }

    func testGarbageOnARealSocketGetsAnAlertAndTheConnectionCloses() async throws {
        let identity = try TestIdentity()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let serverRecorder = Recorder()
        let serverConfiguration = identity.serverConfiguration()
        let serverChannel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLSKitServerHandler(configuration: serverConfiguration))
                    try channel.pipeline.syncOperations.addHandler(serverRecorder)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let received = Locked<[UInt8]>([])
        let rawRecorder = RawBytes(received)
        let client = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(rawRecorder) }
            }
            .connect(host: "127.0.0.1", port: serverChannel.localAddress!.port!).get()
        do {
            try await client.writeAndFlush(ByteBuffer(string: "SSH-2.0-OpenSSH_9.6\r\n"))
            try await withTimeout { try await client.closeFuture.get() }
            XCTAssertEqual(tlsRecords(received.value).map(\.type), [21])
            XCTAssertEqual(serverRecorder.state.value.tlsErrors.count, 1)
            try await waitUntil(10, "server closed") { serverRecorder.state.value.inactive }
        } catch {
            try? await client.close()
            try? await serverChannel.close()
            try? await group.shutdownGracefully()
            throw error
        }
        try? await serverChannel.close()
        try? await group.shutdownGracefully()
    }

    final class RawBytes: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes: Locked<[UInt8]>
        init(_ bytes: Locked<[UInt8]>) { self.bytes = bytes }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.mutate { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }

    func testALPNNegotiationHandlersOnRealSockets() async throws {
        let identity = try TestIdentity()
        let clientResult = Locked<ALPNResult?>(nil)
        let serverResult = Locked<ALPNResult?>(nil)
        let connection = try await connect(
            identity: identity, clientALPN: ["h2", "http/1.1"], serverALPN: ["h2"],
            extraClient: { channel in
                try channel.pipeline.syncOperations.addHandler(
                    NIOTypedApplicationProtocolNegotiationHandler<Void> { result, channel in
                        clientResult.mutate { $0 = result }
                        return channel.eventLoop.makeSucceededVoidFuture()
                    })
            },
            extraServer: { channel in
                try channel.pipeline.syncOperations.addHandler(
                    NIOTypedApplicationProtocolNegotiationHandler<Void> { result, channel in
                        serverResult.mutate { $0 = result }
                        return channel.eventLoop.makeSucceededVoidFuture()
                    })
            })
        do {
            _ = try await withTimeout { try await connection.clientHandshake.get() }
            try await waitUntil(10, "both negotiated") { clientResult.value != nil && serverResult.value != nil }
            XCTAssertEqual(clientResult.value, .negotiated("h2"))
            XCTAssertEqual(serverResult.value, .negotiated("h2"))
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }
}
