import NIOCore
import NIOEmbedded
import NIOTLS
import TLSKit
import TLSKitNIO
import XCTest

/// The handler between two in-memory channels (NIOAsyncTestingChannel): the test moves the ciphertext.
final class EmbeddedHandlerTests: XCTestCase {
    func testHandshakeEventFiresOnceAndNegotiatedIsExposed() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(alpn: ["http/1.1", "h2"]),
            serverConfiguration: identity.serverConfiguration(alpn: ["h2", "http/1.1"]))
        do {
            try await pair.handshake()
            // More traffic after the handshake must not fire the event again.
            try await pair.client.writeOutbound(ByteBuffer(string: "ping"))
            try await pair.interact { pair.serverRecorder.state.value.received == Array("ping".utf8) }
            try await pair.server.writeOutbound(ByteBuffer(string: "pong"))
            try await pair.interact { pair.clientRecorder.state.value.received == Array("pong".utf8) }

            XCTAssertEqual(pair.clientRecorder.state.value.handshakeEvents, ["h2"])
            XCTAssertEqual(pair.serverRecorder.state.value.handshakeEvents, ["h2"])

            let clientNegotiated = try await pair.clientNegotiated()
            let serverNegotiated = try await pair.serverNegotiated()
            let client = try XCTUnwrap(clientNegotiated)
            let server = try XCTUnwrap(serverNegotiated)
            XCTAssertEqual(client.version, .tls13)
            XCTAssertEqual(client.cipherSuite, server.cipherSuite)
            XCTAssertNotNil(client.group)
            XCTAssertEqual(client.group, server.group)
            XCTAssertEqual(client.applicationProtocol, "h2")
            XCTAssertEqual(server.applicationProtocol, "h2")
            XCTAssertEqual(server.serverName, "localhost")
            XCTAssertEqual(client.peerCertificates, identity.key.chain.derEncoded)
            XCTAssertTrue(server.peerCertificates.isEmpty)
            XCTAssertTrue(pair.clientRecorder.state.value.errors.isEmpty)
            XCTAssertTrue(pair.serverRecorder.state.value.errors.isEmpty)
        } catch {
            await pair.finish()
            throw error
        }
        await pair.finish()
    }

    func testHandshakeFutureSucceedsWithNegotiatedParameters() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(), serverConfiguration: identity.serverConfiguration())
        let client = pair.client
        let future = try await client.testingEventLoop.executeInContext {
            try client.pipeline.syncOperations.handler(type: TLSKitClientHandler.self).handshakeFuture(on: client.eventLoop)
        }
        try await pair.handshake()
        let negotiated = try await withTimeout { try await future.get() }
        XCTAssertEqual(negotiated.version, .tls13)
        XCTAssertEqual(negotiated.peerCertificates, identity.key.chain.derEncoded)
        await pair.finish()
    }

    func testWritesAreBufferedUntilTheHandshakeAndAFlushIsOneRecord() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(), serverConfiguration: identity.serverConfiguration())
        try await pair.connect()
        // Written and flushed before the handshake: held until it completes, then sent.
        let early = pair.client.eventLoop.makePromise(of: Void.self)
        pair.client.writeAndFlush(ByteBuffer(string: "early "), promise: early)
        let earlyFuture = early.futureResult
        let clientHello = try await EmbeddedPair.transfer(from: pair.client, to: pair.server)
        XCTAssertEqual(tlsRecords(clientHello).map(\.type), [22], "only the ClientHello goes out before the handshake")
        try await pair.interact { pair.serverRecorder.state.value.received == Array("early ".utf8) }
        try await withTimeout { try await earlyFuture.get() }

        // Several writes, one flush: one TLS record when they fit in 16 KiB.
        let chunks = (0..<5).map { String(repeating: Character(String($0)), count: 1000) }
        var promises: [EventLoopFuture<Void>] = []
        for chunk in chunks {
            let promise = pair.client.eventLoop.makePromise(of: Void.self)
            pair.client.write(ByteBuffer(string: chunk), promise: promise)
            promises.append(promise.futureResult)
        }
        let beforeFlush = try await pair.client.readOutbound(as: ByteBuffer.self)
        XCTAssertNil(beforeFlush, "nothing is sent before the flush")
        pair.client.flush()
        var ciphertext: [UInt8] = []
        while let buffer = try await pair.client.readOutbound(as: ByteBuffer.self) {
            ciphertext.append(contentsOf: buffer.readableBytesView)
        }
        let records = tlsRecords(ciphertext)
        XCTAssertEqual(records.count, 1, "\(records)")
        XCTAssertEqual(records.first?.type, 23)
        // 5000 bytes + content type + 16-byte tag.
        XCTAssertEqual(records.first?.length, 5000 + 1 + 16)
        try await pair.server.writeInbound(ByteBuffer(bytes: ciphertext))
        try await pair.interact {
            pair.serverRecorder.state.value.received == Array(("early " + chunks.joined()).utf8)
        }
        for promise in promises { try await withTimeout { try await promise.get() } }

        // More than 16 KiB in one flush: as few records as possible (two full-ish ones).
        let big = [UInt8](repeating: 0x61, count: 20_000)
        try await pair.client.writeOutbound(ByteBuffer(bytes: big))
        var bigCiphertext: [UInt8] = []
        while let buffer = try await pair.client.readOutbound(as: ByteBuffer.self) {
            bigCiphertext.append(contentsOf: buffer.readableBytesView)
        }
        XCTAssertEqual(tlsRecords(bigCiphertext).count, 2)
        await pair.finish()
    }

    func testWritesBeforeTheHandshakeFailWhenItFails() async throws {
        let identity = try TestIdentity()
        let other = try TestIdentity()
        // The client trusts another root: verification fails.
        let pair = try await EmbeddedPair(
            clientConfiguration: other.clientConfiguration(), serverConfiguration: identity.serverConfiguration())
        try await pair.connect()
        let writePromise = pair.client.eventLoop.makePromise(of: Void.self)
        pair.client.writeAndFlush(ByteBuffer(string: "never sent"), promise: writePromise)
        let write = writePromise.futureResult
        try await pair.interact { !pair.clientRecorder.state.value.tlsErrors.isEmpty }
        do {
            try await withTimeout { try await write.get() }
            XCTFail("the write should fail")
        } catch is TestTimeout {
            XCTFail("the write promise was never completed")
        } catch {}
        try await waitUntil(5, "client closed") { !pair.client.isActive }
        // The server hears the alert and fails too.
        try await pair.interact { !pair.serverRecorder.state.value.tlsErrors.isEmpty }
        XCTAssertEqual(pair.clientRecorder.state.value.handshakeEvents, [])
        XCTAssertEqual(pair.serverRecorder.state.value.received, [])
        await pair.finish()
    }

    func testCloseNotifyBecomesInputClosedWithHalfClosure() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(), serverConfiguration: identity.serverConfiguration())
        pair.server.allowRemoteHalfClosure = true
        try await pair.handshake()
        try await pair.client.writeOutbound(ByteBuffer(string: "last words"))
        // close_notify (EmbeddedChannel has no half-close, so the channel closes entirely after sending it).
        try? await pair.client.close(mode: .output)
        let tail = try await EmbeddedPair.transfer(from: pair.client, to: pair.server)
        // The application data record, then close_notify (an encrypted alert: outer type 23).
        XCTAssertFalse(tail.isEmpty)
        try await pair.interact { pair.serverRecorder.state.value.inputClosed == 1 }
        let server = pair.serverRecorder.state.value
        XCTAssertEqual(server.received, Array("last words".utf8))
        XCTAssertTrue(server.errors.isEmpty, "\(server.errors)")
        XCTAssertTrue(pair.server.isActive, "with half-closure the server may still write")
        // The transport's own EOF after close_notify is not reported again, nor as an error.
        pair.server.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        await pair.server.testingEventLoop.run()
        XCTAssertEqual(pair.serverRecorder.state.value.inputClosed, 1)
        XCTAssertTrue(pair.serverRecorder.state.value.errors.isEmpty)
        await pair.finish()
    }

    func testCloseNotifyWithoutHalfClosureIsAnsweredAndCloses() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(), serverConfiguration: identity.serverConfiguration())
        try await pair.handshake()
        try await pair.client.close()
        try await EmbeddedPair.transfer(from: pair.client, to: pair.server)
        try await waitUntil(5, "server closed") { !pair.server.isActive }
        let server = pair.serverRecorder.state.value
        XCTAssertEqual(server.inputClosed, 1)
        XCTAssertTrue(server.errors.isEmpty, "\(server.errors)")
        // The server answered with its own close_notify (one encrypted record).
        let answer = try await EmbeddedPair.transfer(from: pair.server, to: pair.client)
        XCTAssertEqual(tlsRecords(answer).map(\.type), [23])
        await pair.finish()
    }

    func testBareTCPCloseIsAnUncleanShutdown() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(), serverConfiguration: identity.serverConfiguration())
        try await pair.handshake()
        // The transport goes away without close_notify.
        pair.server.pipeline.fireChannelInactive()
        await pair.server.testingEventLoop.run()
        let server = pair.serverRecorder.state.value
        XCTAssertEqual(server.nioErrors, [.uncleanShutdown])
        XCTAssertEqual(server.inputClosed, 0)
        await pair.finish()
    }

    func testBareEOFWithHalfClosureIsAnUncleanShutdownNotInputClosed() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(), serverConfiguration: identity.serverConfiguration())
        pair.server.allowRemoteHalfClosure = true
        try await pair.handshake()
        // What NIO fires on EOF when half-closure is allowed: it must not pass for a clean end of input.
        pair.server.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        await pair.server.testingEventLoop.run()
        try await waitUntil(5, "server closed") { !pair.server.isActive }
        let server = pair.serverRecorder.state.value
        XCTAssertEqual(server.nioErrors, [.uncleanShutdown])
        XCTAssertEqual(server.inputClosed, 0)
        await pair.finish()
    }

    func testHandshakeTimeout() async throws {
        let identity = try TestIdentity()
        let recorder = Recorder()
        let channel = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(
                TLSKitClientHandler(
                    configuration: identity.clientConfiguration(), serverName: "localhost", handshakeTimeout: .seconds(5)))
            try channel.pipeline.syncOperations.addHandler(recorder)
        }
        let future = try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.handler(type: TLSKitClientHandler.self).handshakeFuture(on: channel.eventLoop)
        }
        try await channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 443))
        let clientHello = try await channel.readOutbound(as: ByteBuffer.self)
        XCTAssertNotNil(clientHello, "ClientHello")
        await channel.testingEventLoop.advanceTime(by: .seconds(4))
        XCTAssertTrue(channel.isActive)
        XCTAssertTrue(recorder.state.value.errors.isEmpty)
        await channel.testingEventLoop.advanceTime(by: .seconds(2))
        XCTAssertEqual(recorder.state.value.nioErrors, [.handshakeTimeout])
        XCTAssertFalse(channel.isActive)
        do {
            _ = try await withTimeout { try await future.get() }
            XCTFail("the handshake future should fail")
        } catch let error as TLSKitNIOError {
            XCTAssertEqual(error, .handshakeTimeout)
        }
        _ = try? await channel.finish(acceptAlreadyClosed: true)
    }

    func testNoTimeoutOnceTheHandshakeIsDone() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(), serverConfiguration: identity.serverConfiguration())
        try await pair.handshake()
        await pair.client.testingEventLoop.advanceTime(by: .seconds(60))
        await pair.server.testingEventLoop.advanceTime(by: .seconds(60))
        XCTAssertTrue(pair.client.isActive)
        XCTAssertTrue(pair.server.isActive)
        XCTAssertTrue(pair.clientRecorder.state.value.errors.isEmpty)
        await pair.finish()
    }

    func testGarbageFromThePeerSendsAnAlertFiresErrorAndCloses() async throws {
        let identity = try TestIdentity()
        let recorder = Recorder()
        let channel = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(TLSKitServerHandler(configuration: identity.serverConfiguration()))
            try channel.pipeline.syncOperations.addHandler(recorder)
        }
        let future = try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.handler(type: TLSKitServerHandler.self).handshakeFuture(on: channel.eventLoop)
        }
        try await channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1))
        try await channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"))
        var output: [UInt8] = []
        while let buffer = try await channel.readOutbound(as: ByteBuffer.self) { output.append(contentsOf: buffer.readableBytesView) }
        let records = tlsRecords(output)
        XCTAssertEqual(records.map(\.type), [21], "one plaintext alert record")
        XCTAssertEqual(output.count, 7)
        XCTAssertEqual(output[5], 2, "fatal")
        XCTAssertEqual(recorder.state.value.tlsErrors.count, 1)
        XCTAssertEqual(recorder.state.value.tlsErrors.first.map { $0.alert.rawValue }, output.last)
        XCTAssertFalse(channel.isActive)
        do {
            _ = try await withTimeout { try await future.get() }
            XCTFail("the handshake future should fail")
        } catch is TLSError {}
        _ = try? await channel.finish(acceptAlreadyClosed: true)
    }

    func testServerSelectsCertificateBySNIAndProtocolByALPN() async throws {
        let a = try TestIdentity(dnsNames: ["a.example"], ipAddresses: [])
        let b = try TestIdentity(dnsNames: ["b.example"], ipAddresses: [])
        let fallback = try TestIdentity()
        var serverConfiguration = fallback.serverConfiguration(alpn: ["h2", "http/1.1"])
        let (keyA, keyB) = (a.key, b.key)
        serverConfiguration.certificateSelector = { name in
            switch name {
            case "a.example": return keyA
            case "b.example": return keyB
            default: return nil
            }
        }
        for (name, identity, offered, expected) in [
            ("a.example", a, ["http/1.1"], "http/1.1"), ("b.example", b, ["spdy/3", "h2"], "h2"),
            ("localhost", fallback, ["h2", "http/1.1"], "h2"),
        ] {
            let pair = try await EmbeddedPair(
                clientConfiguration: identity.clientConfiguration(alpn: offered), serverConfiguration: serverConfiguration,
                serverName: name)
            try await pair.handshake()
            let clientNegotiated = try await pair.clientNegotiated()
            let serverNegotiated = try await pair.serverNegotiated()
            let client = try XCTUnwrap(clientNegotiated)
            let server = try XCTUnwrap(serverNegotiated)
            XCTAssertEqual(client.peerCertificates, identity.key.chain.derEncoded, name)
            XCTAssertEqual(server.serverName, name)
            XCTAssertEqual(client.applicationProtocol, expected)
            XCTAssertEqual(pair.clientRecorder.state.value.handshakeEvents, [expected])
            XCTAssertEqual(pair.serverRecorder.state.value.handshakeEvents, [expected])
            await pair.finish()
        }
    }

    func testALPNNegotiationHandlersSeeTheNegotiatedProtocol() async throws {
        let identity = try TestIdentity()
        let clientResult = Locked<ALPNResult?>(nil)
        let serverResult = Locked<ALPNResult?>(nil)
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(alpn: ["h2", "http/1.1"]),
            serverConfiguration: identity.serverConfiguration(alpn: ["http/1.1", "h2"]),
            extraClientHandlers: { pipeline in
                try pipeline.addHandler(
                    NIOTypedApplicationProtocolNegotiationHandler<Void> { result, channel in
                        clientResult.mutate { $0 = result }
                        return channel.eventLoop.makeSucceededVoidFuture()
                    })
            },
            extraServerHandlers: { pipeline in
                try pipeline.addHandler(
                    NIOTypedApplicationProtocolNegotiationHandler<Void> { result, channel in
                        serverResult.mutate { $0 = result }
                        return channel.eventLoop.makeSucceededVoidFuture()
                    })
            })
        // The negotiation handlers consume the handshake event, so wait for their results instead.
        try await pair.connect()
        try await pair.interact("negotiation") { clientResult.value != nil && serverResult.value != nil }
        XCTAssertEqual(clientResult.value, .negotiated("http/1.1"))
        XCTAssertEqual(serverResult.value, .negotiated("http/1.1"))
        // Data still flows through after the negotiation handlers (they remove themselves).
        try await pair.client.writeOutbound(ByteBuffer(string: "hi"))
        try await pair.interact { pair.serverRecorder.state.value.received == Array("hi".utf8) }
        await pair.finish()
    }

    func testALPNWithoutProtocolsFallsBack() async throws {
        let identity = try TestIdentity()
        let clientResult = Locked<ALPNResult?>(nil)
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(), serverConfiguration: identity.serverConfiguration(),
            extraClientHandlers: { pipeline in
                try pipeline.addHandler(
                    NIOTypedApplicationProtocolNegotiationHandler<Void> { result, channel in
                        clientResult.mutate { $0 = result }
                        return channel.eventLoop.makeSucceededVoidFuture()
                    })
            })
        try await pair.connect()
        try await pair.interact("negotiation") {
            clientResult.value != nil && pair.serverRecorder.state.value.handshakeEvents.count == 1
        }
        XCTAssertEqual(clientResult.value, .fallback)
        XCTAssertEqual(pair.serverRecorder.state.value.handshakeEvents, [nil])
        await pair.finish()
    }

    func testCloseOutputBeforeTheHandshakeSendsBufferedDataThenCloseNotify() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(), serverConfiguration: identity.serverConfiguration())
        pair.server.allowRemoteHalfClosure = true
        try await pair.connect()
        let writePromise = pair.client.eventLoop.makePromise(of: Void.self)
        pair.client.writeAndFlush(ByteBuffer(string: "request"), promise: writePromise)
        let write = writePromise.futureResult
        let closePromise = pair.client.eventLoop.makePromise(of: Void.self)
        pair.client.close(mode: .output, promise: closePromise)
        let close = closePromise.futureResult
        // The handshake still completes; then the data, then close_notify.
        try await pair.interact { pair.serverRecorder.state.value.inputClosed == 1 }
        try await withTimeout { try await write.get() }
        // EmbeddedChannel has no half-close: the core closes entirely, but the promise is completed.
        try await withTimeout { _ = try? await close.get() }
        let server = pair.serverRecorder.state.value
        XCTAssertEqual(server.received, Array("request".utf8))
        XCTAssertTrue(server.errors.isEmpty, "\(server.errors)")
        XCTAssertEqual(pair.clientRecorder.state.value.handshakeEvents.count, 1)
        await pair.finish()
    }

    func testHandshakeFutureFailsWhenClosedEarly() async throws {
        let identity = try TestIdentity()
        let channel = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(
                TLSKitClientHandler(configuration: identity.clientConfiguration(), serverName: "localhost"))
        }
        let future = try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.handler(type: TLSKitClientHandler.self).handshakeFuture(on: channel.eventLoop)
        }
        try await channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 443))
        let writePromise = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(ByteBuffer(string: "x"), promise: writePromise)
        let write = writePromise.futureResult
        try await channel.close()
        do {
            _ = try await withTimeout { try await future.get() }
            XCTFail("should fail")
        } catch is TestTimeout {
            XCTFail("handshake future never completed")
        } catch {}
        do {
            try await withTimeout { try await write.get() }
            XCTFail("should fail")
        } catch is TestTimeout {
            XCTFail("write promise never completed")
        } catch {}
        _ = try? await channel.finish(acceptAlreadyClosed: true)
    }

    /// Item 8a: while a verification is pending the handler reads nothing from the channel (the peer's bytes wait in
    /// the socket, not in the engine); the read it held is issued when the verdict comes back.
    func testNoReadReachesTheChannelWhileAVerificationIsPending() async throws {
        let identity = try TestIdentity()
        let gate = VerificationGate()
        let counter = ReadCounter(gate: gate)
        var clientConfiguration = identity.clientConfiguration()
        clientConfiguration.peerVerification = gate.verification(trusting: identity.roots)
        let pair = try await EmbeddedPair(
            clientConfiguration: clientConfiguration, serverConfiguration: identity.serverConfiguration(),
            clientHandlersBeforeTLS: { try $0.addHandler(counter) })
        do {
            try await pair.connect()
            try await EmbeddedPair.transfer(from: pair.client, to: pair.server)
            try await EmbeddedPair.transfer(from: pair.server, to: pair.client)
            // The server's flight arrived: the verifier waits at the gate, and the handshake would want more bytes.
            try await waitUntil(10, "verification started") { gate.isPending }
            // The application (or autoRead) asks to read as well.
            let client = pair.client
            try await client.testingEventLoop.executeInContext { client.read() }
            XCTAssertEqual(counter.counts.value.whileVerifying, 0, "a read() reached the channel during verification")

            let readsBefore = counter.counts.value.total
            gate.release()
            // No bytes move here: a new read can only be the one held back.
            try await waitUntil(10, "held read issued") { counter.counts.value.total > readsBefore }
            try await pair.interact("handshake") {
                !pair.clientRecorder.state.value.handshakeEvents.isEmpty && !pair.serverRecorder.state.value.handshakeEvents.isEmpty
            }
            try await pair.client.writeOutbound(ByteBuffer(string: "ping"))
            try await pair.interact { pair.serverRecorder.state.value.received == Array("ping".utf8) }
            XCTAssertEqual(counter.counts.value.whileVerifying, 0)
            XCTAssertTrue(pair.clientRecorder.state.value.errors.isEmpty, "\(pair.clientRecorder.state.value.errors)")
        } catch {
            gate.release()
            await pair.finish()
            throw error
        }
        await pair.finish()
    }

    func testHandlerRemovedBeforeTheHandshakeFailsTheFuture() async throws {
        let identity = try TestIdentity()
        let channel = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(
                TLSKitClientHandler(configuration: identity.clientConfiguration(), serverName: "localhost"))
        }
        let future = try await channel.testingEventLoop.executeInContext {
            let handler = try channel.pipeline.syncOperations.handler(type: TLSKitClientHandler.self)
            let future = handler.handshakeFuture(on: channel.eventLoop)
            channel.pipeline.syncOperations.removeHandler(handler, promise: nil)
            return future
        }
        do {
            _ = try await withTimeout { try await future.get() }
            XCTFail("should fail")
        } catch is TestTimeout {
            XCTFail("handshake future never completed")
        } catch {}
        _ = try? await channel.finish(acceptAlreadyClosed: true)
    }
}
