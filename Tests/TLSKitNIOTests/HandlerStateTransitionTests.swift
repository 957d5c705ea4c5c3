import NIOCore
import NIOEmbedded
import TLSKit
import TLSKitNIO
import XCTest

/// Transitions of `TLSKitHandler`'s connection state that the other tests do not reach: closing, timing out and
/// half-closing while a certificate verification is pending, and writing once the output is closed.
final class HandlerStateTransitionTests: XCTestCase {
    /// A pair whose client verifies through `gate` (a verifier that suspends until released); `verdicts` counts the
    /// verdicts the verifier returned.
    private func gatedPair(
        _ identity: TestIdentity, _ gate: VerificationGate, verdicts: Locked<Int>, handshakeTimeout: TimeAmount? = .seconds(10)
    ) async throws -> EmbeddedPair {
        var configuration = identity.clientConfiguration()
        let verifier = X509CertificateVerifier(trustRoots: identity.roots)
        configuration.peerVerification = .custom(CustomCertificateVerifier { request in
            await gate.wait()
            let verdict = await verifier.verify(request)
            verdicts.mutate { $0 += 1 }
            return verdict
        })
        let clientConfiguration = configuration
        let serverConfiguration = identity.serverConfiguration()
        return try await EmbeddedPair(
            makeClientHandler: {
                TLSKitClientHandler(configuration: clientConfiguration, serverName: "localhost", handshakeTimeout: handshakeTimeout)
            },
            makeServerHandler: { TLSKitServerHandler(configuration: serverConfiguration) })
    }

    /// Connects and moves the first two flights: the client's verifier then waits at the gate.
    private func startVerifying(_ pair: EmbeddedPair, _ gate: VerificationGate) async throws {
        try await pair.connect()
        try await EmbeddedPair.transfer(from: pair.client, to: pair.server)
        try await EmbeddedPair.transfer(from: pair.server, to: pair.client)
        try await waitUntil(10, "verification started") { gate.isPending }
    }

    /// Lets a verdict released late come back to the client's event loop (through `execute`) and be handled.
    private func settle(_ pair: EmbeddedPair, verdicts: Locked<Int>) async throws {
        try await waitUntil(10, "verdict returned") { verdicts.value == 1 }
        try await Task.sleep(nanoseconds: 50_000_000)
        let client = pair.client
        try await client.testingEventLoop.executeInContext {}
    }

    /// Reads whatever the channel wrote (nothing once it is gone).
    private func drainOutbound(_ channel: NIOAsyncTestingChannel) async -> Int {
        var count = 0
        while let buffer = (try? await channel.readOutbound(as: ByteBuffer.self)) ?? nil { count += buffer.readableBytes }
        return count
    }

    private func handshakeFuture(_ channel: NIOAsyncTestingChannel) async throws -> EventLoopFuture<NegotiatedParameters> {
        try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.handler(type: TLSKitClientHandler.self).handshakeFuture(on: channel.eventLoop)
        }
    }

    /// verifying → closed by `close()`: the handshake future fails, and the verdict that comes back later is ignored
    /// (no error, no handshake event, nothing written, no read).
    func testCloseDuringAPendingVerificationIgnoresTheLateVerdict() async throws {
        let identity = try TestIdentity()
        let gate = VerificationGate()
        let verdicts = Locked(0)
        let pair = try await gatedPair(identity, gate, verdicts: verdicts)
        do {
            try await startVerifying(pair, gate)
            let future = try await handshakeFuture(pair.client)
            try await pair.client.close()
            _ = await drainOutbound(pair.client)   // close_notify
            do {
                _ = try await withTimeout { try await future.get() }
                XCTFail("the handshake future should fail")
            } catch is TestTimeout {
                XCTFail("the handshake future never completed")
            } catch {}

            gate.release()
            try await settle(pair, verdicts: verdicts)
            let client = pair.clientRecorder.state.value
            XCTAssertEqual(client.errors, [])
            XCTAssertEqual(client.handshakeEvents, [])
            let written = await drainOutbound(pair.client)
            XCTAssertEqual(written, 0, "nothing is written after close")
        } catch {
            gate.release()
            await pair.finish()
            throw error
        }
        await pair.finish()
    }

    /// verifying → closed by the handshake timeout: one `handshakeTimeout` error; the late verdict adds nothing.
    func testHandshakeTimeoutWhileVerifying() async throws {
        let identity = try TestIdentity()
        let gate = VerificationGate()
        let verdicts = Locked(0)
        let pair = try await gatedPair(identity, gate, verdicts: verdicts, handshakeTimeout: .seconds(5))
        do {
            try await startVerifying(pair, gate)
            let future = try await handshakeFuture(pair.client)
            await pair.client.testingEventLoop.advanceTime(by: .seconds(6))
            XCTAssertEqual(pair.clientRecorder.state.value.nioErrors, [.handshakeTimeout])
            XCTAssertFalse(pair.client.isActive)
            do {
                _ = try await withTimeout { try await future.get() }
                XCTFail("the handshake future should fail")
            } catch let error as TLSKitNIOError {
                XCTAssertEqual(error, .handshakeTimeout)
            }

            gate.release()
            try await settle(pair, verdicts: verdicts)
            let client = pair.clientRecorder.state.value
            XCTAssertEqual(client.errors.count, 1, "\(client.errors)")
            XCTAssertEqual(client.handshakeEvents, [])
        } catch {
            gate.release()
            await pair.finish()
            throw error
        }
        await pair.finish()
    }

    /// verifying + `close(mode: .output)`: writes fail from then on; once the verdict is in, the handshake completes,
    /// the data written before goes out, then close_notify.
    func testCloseOutputDuringAPendingVerificationWaitsForTheHandshake() async throws {
        let identity = try TestIdentity()
        let gate = VerificationGate()
        let verdicts = Locked(0)
        let pair = try await gatedPair(identity, gate, verdicts: verdicts)
        pair.server.allowRemoteHalfClosure = true
        do {
            try await startVerifying(pair, gate)
            let client = pair.client
            let (write, close, late) = try await client.testingEventLoop.executeInContext {
                let write = client.eventLoop.makePromise(of: Void.self)
                client.writeAndFlush(ByteBuffer(string: "request"), promise: write)
                let close = client.eventLoop.makePromise(of: Void.self)
                client.close(mode: .output, promise: close)
                let late = client.eventLoop.makePromise(of: Void.self)
                client.writeAndFlush(ByteBuffer(string: "late"), promise: late)
                return (write.futureResult, close.futureResult, late.futureResult)
            }
            do {
                try await withTimeout { try await late.get() }
                XCTFail("a write after close(mode: .output) should fail")
            } catch let error as ChannelError {
                XCTAssertEqual(error, .outputClosed)
            }

            gate.release()
            try await pair.interact { pair.serverRecorder.state.value.inputClosed == 1 }
            try await withTimeout { try await write.get() }
            try await withTimeout { _ = try? await close.get() }   // EmbeddedChannel has no half-close
            XCTAssertEqual(pair.serverRecorder.state.value.received, Array("request".utf8))
            XCTAssertEqual(pair.clientRecorder.state.value.handshakeEvents.count, 1)
        } catch {
            gate.release()
            await pair.finish()
            throw error
        }
        await pair.finish()
    }

    /// closed: a write fails at once with `outputClosed`, and nothing reaches the network.
    func testWriteAfterCloseFails() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(), serverConfiguration: identity.serverConfiguration())
        try await pair.handshake()
        let client = pair.client
        let late = try await client.testingEventLoop.executeInContext {
            client.close(promise: nil)
            let late = client.eventLoop.makePromise(of: Void.self)
            client.writeAndFlush(ByteBuffer(string: "late"), promise: late)
            return late.futureResult
        }
        do {
            try await withTimeout { try await late.get() }
            XCTFail("a write after close should fail")
        } catch let error as ChannelError {
            XCTAssertEqual(error, .outputClosed)
        }
        _ = await drainOutbound(pair.client)   // close_notify
        XCTAssertEqual(pair.clientRecorder.state.value.errors, [])
        await pair.finish()
    }
}
