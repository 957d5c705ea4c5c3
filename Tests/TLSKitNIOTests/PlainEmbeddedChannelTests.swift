import NIOCore
import NIOEmbedded
import TLSKit
import TLSKitNIO
import XCTest

/// The handlers on plain `EmbeddedChannel`s, the way swift-nio-ssl users test theirs: everything happens on the
/// test's thread. That works because the certificate verifier starts inline on the event loop (`Task.immediate`)
/// and TLSKit's X509 verifier never suspends, so its verdict never has to come back from another thread.
final class PlainEmbeddedChannelTests: XCTestCase {
    private struct Pair {
        let client = EmbeddedChannel()
        let server = EmbeddedChannel()
        let clientRecorder = Recorder()
        let serverRecorder = Recorder()

        init(client clientConfiguration: TLSClientConfiguration, server serverConfiguration: TLSServerConfiguration,
             serverName: String? = "localhost") throws {
            try client.pipeline.syncOperations.addHandlers(
                TLSKitClientHandler(configuration: clientConfiguration, serverName: serverName, handshakeTimeout: nil),
                clientRecorder)
            try server.pipeline.syncOperations.addHandlers(
                TLSKitServerHandler(configuration: serverConfiguration, handshakeTimeout: nil), serverRecorder)
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: 443)
            try client.connect(to: address).wait()
            try server.connect(to: address).wait()
        }

        /// Moves ciphertext both ways until neither side has anything more to say.
        func pump() throws {
            for _ in 0..<20 {
                var moved = false
                while let bytes = try client.readOutbound(as: ByteBuffer.self) {
                    moved = true
                    try server.writeInbound(bytes)
                }
                while let bytes = try server.readOutbound(as: ByteBuffer.self) {
                    moved = true
                    try client.writeInbound(bytes)
                }
                if !moved { return }
            }
            XCTFail("the peers never went quiet")
        }

        func finish() {
            _ = try? client.finish(acceptAlreadyClosed: true)
            _ = try? server.finish(acceptAlreadyClosed: true)
        }
    }

    func testHandshakeWithFullVerificationAndDataBothWays() throws {
        let identity = try TestIdentity()
        let pair = try Pair(client: identity.clientConfiguration(alpn: ["h2"]), server: identity.serverConfiguration(alpn: ["h2"]))
        defer { pair.finish() }
        try pair.pump()
        XCTAssertEqual(pair.clientRecorder.state.value.handshakeEvents, ["h2"])
        XCTAssertEqual(pair.serverRecorder.state.value.handshakeEvents, ["h2"])
        let negotiated = try pair.client.pipeline.syncOperations.handler(type: TLSKitClientHandler.self).negotiated
        XCTAssertEqual(negotiated?.peerCertificates, identity.key.chain.derEncoded)

        try pair.client.writeOutbound(ByteBuffer(string: "ping"))
        try pair.pump()
        XCTAssertEqual(pair.serverRecorder.state.value.received, Array("ping".utf8))
        try pair.server.writeOutbound(ByteBuffer(string: "pong"))
        try pair.pump()
        XCTAssertEqual(pair.clientRecorder.state.value.received, Array("pong".utf8))
        XCTAssertTrue(pair.clientRecorder.state.value.errors.isEmpty)
        XCTAssertTrue(pair.serverRecorder.state.value.errors.isEmpty)
    }

    /// A zero or negative handshake timeout is a configuration error (nil means no timeout), reported when the
    /// handler starts, not a handshake that times out at once.
    func testNonPositiveHandshakeTimeoutIsAConfigurationError() throws {
        let identity = try TestIdentity()
        for timeout in [TimeAmount.zero, .seconds(-1), .nanoseconds(.min)] {
            let channel = EmbeddedChannel()
            let recorder = Recorder()
            try channel.pipeline.syncOperations.addHandlers(
                TLSKitClientHandler(configuration: identity.clientConfiguration(), serverName: "localhost", handshakeTimeout: timeout),
                recorder)
            try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
            XCTAssertEqual(recorder.state.value.nioErrors.count, 1, "\(timeout)")
            if case .configuration(let message)? = recorder.state.value.nioErrors.first {
                XCTAssertTrue(message.contains("handshakeTimeout"), message)
            } else {
                XCTFail("\(timeout): \(recorder.state.value.errors)")
            }
            XCTAssertNil(try channel.readOutbound(as: ByteBuffer.self), "no ClientHello is sent")
            XCTAssertFalse(channel.isActive)
            _ = try? channel.finish(acceptAlreadyClosed: true)
        }
    }

    /// The inline verdict is enforced: a name the certificate does not carry ends the handshake with an alert.
    func testWrongHostnameIsRejectedInline() throws {
        let identity = try TestIdentity()
        let pair = try Pair(client: identity.clientConfiguration(), server: identity.serverConfiguration(),
                            serverName: "other.example")
        defer { pair.finish() }
        try pair.pump()
        XCTAssertTrue(pair.clientRecorder.state.value.handshakeEvents.isEmpty)
        XCTAssertTrue(pair.serverRecorder.state.value.handshakeEvents.isEmpty)
        XCTAssertEqual(pair.clientRecorder.state.value.tlsErrors.map(\.alert), [.badCertificate])
        XCTAssertEqual(pair.serverRecorder.state.value.tlsErrors.map(\.alert), [.badCertificate])
        XCTAssertEqual(pair.serverRecorder.state.value.tlsErrors.first?.origin, .peer)
        XCTAssertFalse(pair.client.isActive)
    }

    /// No server name: the handler fails with a configuration error before sending anything, unless the
    /// configuration explicitly skips the identity check (then the chain is still verified).
    func testNoServerNameFailsUnlessTheIdentityCheckIsSkipped() throws {
        let identity = try TestIdentity()
        let refused = try Pair(client: identity.clientConfiguration(), server: identity.serverConfiguration(), serverName: nil)
        defer { refused.finish() }
        try refused.pump()
        let errors = refused.clientRecorder.state.value.nioErrors
        XCTAssertEqual(errors.count, 1, "\(errors)")
        if case .configuration = errors.first {} else { XCTFail("expected a configuration error, got \(errors)") }
        XCTAssertTrue(refused.clientRecorder.state.value.handshakeEvents.isEmpty)
        XCTAssertTrue(refused.serverRecorder.state.value.handshakeEvents.isEmpty)
        XCTAssertFalse(refused.client.isActive)

        var skipping = identity.clientConfiguration()
        skipping.insecureSkipServerIdentityCheck = true
        let allowed = try Pair(client: skipping, server: identity.serverConfiguration(), serverName: nil)
        defer { allowed.finish() }
        try allowed.pump()
        XCTAssertEqual(allowed.clientRecorder.state.value.handshakeEvents, [nil])
        XCTAssertTrue(allowed.clientRecorder.state.value.errors.isEmpty)
    }
}
