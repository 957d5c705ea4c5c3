import NIOCore
import NIOEmbedded
import TLSKit
import TLSKitNIO
import XCTest

/// What the TLSKit handler knows, reached from the channel (`channel.tlsKit_…`), KeyUpdate and 0-RTT through it.
final class ChannelHelpersTests: XCTestCase {
    func testNegotiatedParametersAndPeerChainFromTheChannel() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(alpn: ["h2"]),
            serverConfiguration: identity.serverConfiguration(alpn: ["h2"]))
        try await pair.connect()
        let before = try await pair.client.tlsKit_negotiated().get()
        XCTAssertNil(before, "nothing is negotiated before the handshake")
        let chainBefore = try await pair.client.tlsKit_peerCertificateChain().get()
        XCTAssertNil(chainBefore)
        try await pair.interact("handshake") {
            !pair.clientRecorder.state.value.handshakeEvents.isEmpty && !pair.serverRecorder.state.value.handshakeEvents.isEmpty
        }

        let negotiated = try await pair.client.tlsKit_negotiated().get()
        XCTAssertEqual(negotiated?.version, .tls13)
        XCTAssertEqual(negotiated?.applicationProtocol, "h2")
        let der = try await pair.client.tlsKit_peerCertificates().get()
        XCTAssertEqual(der, identity.key.chain.derEncoded)
        let chain = try await pair.client.tlsKit_peerCertificateChain().get()
        XCTAssertEqual(chain?.certificates, identity.key.chain.certificates)
        // The server asked for no client certificate: an empty chain, and no parsed one.
        let serverSide = try await pair.server.tlsKit_peerCertificates().get()
        XCTAssertEqual(serverSide, [])
        let serverChain = try await pair.server.tlsKit_peerCertificateChain().get()
        XCTAssertNil(serverChain)
        // The synchronous forms, on the event loop.
        let client = pair.client
        let syncDER = try await client.testingEventLoop.executeInContext {
            try client.pipeline.syncOperations.tlsKit_peerCertificates()
        }
        XCTAssertEqual(syncDER, identity.key.chain.derEncoded)
        await pair.finish()
    }

    func testClientCertificateChainReachesTheServerChannel() async throws {
        let identity = try TestIdentity()
        let clientIdentity = try TestIdentity(dnsNames: ["client.example"], ipAddresses: [])
        var client = identity.clientConfiguration()
        client.certificate = clientIdentity.key
        var server = identity.serverConfiguration()
        server.clientAuthentication = .required(.trustRoots(clientIdentity.roots))
        let pair = try await EmbeddedPair(clientConfiguration: client, serverConfiguration: server)
        try await pair.handshake()
        let chain = try await pair.server.tlsKit_peerCertificateChain().get()
        XCTAssertEqual(chain?.derEncoded, clientIdentity.key.chain.derEncoded)
        await pair.finish()
    }

    func testExportersAgreeOnBothSidesAndFailBeforeTheHandshake() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(), serverConfiguration: identity.serverConfiguration())
        try await pair.connect()
        do {
            _ = try await pair.client.tlsKit_exportKeyingMaterial(label: "EXPERIMENTAL test", context: nil, length: 32).get()
            XCTFail("exported before the handshake")
        } catch let error as TLSError {
            XCTAssertEqual(error.alert, .internalError)
        }
        try await pair.interact("handshake") {
            !pair.clientRecorder.state.value.handshakeEvents.isEmpty && !pair.serverRecorder.state.value.handshakeEvents.isEmpty
        }
        let clientKey = try await pair.client.tlsKit_exportKeyingMaterial(label: "EXPERIMENTAL test", context: [1, 2], length: 32).get()
        let serverKey = try await pair.server.tlsKit_exportKeyingMaterial(label: "EXPERIMENTAL test", context: [1, 2], length: 32).get()
        XCTAssertEqual(clientKey.count, 32)
        XCTAssertEqual(clientKey, serverKey)
        let other = try await pair.server.tlsKit_exportKeyingMaterial(label: "EXPERIMENTAL other", context: [1, 2], length: 32).get()
        XCTAssertNotEqual(clientKey, other)
        await pair.finish()
    }

    func testKeyUpdateThroughTheHandlerBothWays() async throws {
        let identity = try TestIdentity()
        let pair = try await EmbeddedPair(
            clientConfiguration: identity.clientConfiguration(), serverConfiguration: identity.serverConfiguration())
        let clientEvents = Locked<[TLSEvent]>([])
        let serverEvents = Locked<[TLSEvent]>([])
        let client = pair.client
        let server = pair.server
        try await client.testingEventLoop.executeInContext {
            try client.pipeline.syncOperations.handler(type: TLSKitClientHandler.self).eventObserver = { event in
                clientEvents.mutate { $0.append(event) }
            }
        }
        try await server.testingEventLoop.executeInContext {
            try server.pipeline.syncOperations.handler(type: TLSKitServerHandler.self).eventObserver = { event in
                serverEvents.mutate { $0.append(event) }
            }
        }
        try await pair.connect()
        // Before the handshake: refused, and the connection goes on.
        do {
            try await client.tlsKit_updateKeys().get()
            XCTFail("KeyUpdate before the handshake")
        } catch let error as TLSError {
            XCTAssertEqual(error.alert, .internalError)
        }
        try await pair.interact("handshake") {
            !pair.clientRecorder.state.value.handshakeEvents.isEmpty && !pair.serverRecorder.state.value.handshakeEvents.isEmpty
        }

        try await client.tlsKit_updateKeys(requestPeerUpdate: true).get()
        try await client.writeAndFlush(ByteBuffer(string: "after update")).get()
        try await pair.interact("data under the new key") {
            pair.serverRecorder.state.value.received == Array("after update".utf8)
        }
        try await server.writeAndFlush(ByteBuffer(string: "answer")).get()
        try await pair.interact("answer under the server's new key") {
            pair.clientRecorder.state.value.received == Array("answer".utf8)
        }
        XCTAssertTrue(clientEvents.value.contains(.keyUpdated(.sent)))
        XCTAssertTrue(serverEvents.value.contains(.keyUpdated(.received)))
        // update_requested: the server answered with its own KeyUpdate.
        XCTAssertTrue(serverEvents.value.contains(.keyUpdated(.sent)))
        XCTAssertTrue(clientEvents.value.contains(.keyUpdated(.received)))
        XCTAssertTrue(pair.clientRecorder.state.value.errors.isEmpty)
        XCTAssertTrue(pair.serverRecorder.state.value.errors.isEmpty)
        await pair.finish()
    }

    func testKeyUpdateOnTLS12FailsAndTheConnectionStaysUsable() async throws {
        let identity = try TestIdentity()
        var client = identity.clientConfiguration()
        client.common.maximumVersion = .tls12
        let pair = try await EmbeddedPair(clientConfiguration: client, serverConfiguration: identity.serverConfiguration())
        try await pair.handshake()
        do {
            try await pair.client.tlsKit_updateKeys().get()
            XCTFail("KeyUpdate on TLS 1.2")
        } catch let error as TLSError {
            XCTAssertEqual(error.cause, .invalidUse(.keyUpdateUnsupported), error.description)
        }
        try await pair.client.writeAndFlush(ByteBuffer(string: "still fine")).get()
        try await pair.interact("data after the refused KeyUpdate") {
            pair.serverRecorder.state.value.received == Array("still fine".utf8)
        }
        await pair.finish()
    }

    func testHelpersWithoutATLSKitHandlerFailWithNotFound() async throws {
        let channel = NIOAsyncTestingChannel()
        do {
            _ = try await channel.tlsKit_negotiated().get()
            XCTFail("found a handler in an empty pipeline")
        } catch let error as ChannelPipelineError {
            XCTAssertEqual(error, .notFound)
        }
        _ = try await channel.finish(acceptAlreadyClosed: true)
    }

    /// 0-RTT through the handlers: the client's early data rides with the ClientHello of a resumed connection; the
    /// server hands it up as `TLSKitEarlyDataEvent.received`, apart from ordinary reads, before the handshake event.
    func testEarlyDataThroughTheHandlers() async throws {
        let identity = try TestIdentity()
        let cache = ClientSessionCache()
        var clientConfiguration = identity.clientConfiguration()
        clientConfiguration.sessionCache = cache
        clientConfiguration.enableEarlyData = true
        var serverConfiguration = identity.serverConfiguration()
        serverConfiguration.maxEarlyDataSize = 16_384
        let client = try TLSKitContext(client: clientConfiguration)
        let server = try TLSKitContext(server: serverConfiguration)
        let request = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")

        // First connection: a full handshake; the data cannot go early, so it goes after the handshake.
        let first = try await EmbeddedPair(
            makeClientHandler: { TLSKitClientHandler(context: client, serverName: "localhost", earlyData: request) },
            makeServerHandler: { TLSKitServerHandler(context: server) })
        try await first.handshake()
        try await first.interact("request as ordinary data, and tickets") {
            first.serverRecorder.state.value.received == Array(request.readableBytesView)
                && cache.count(for: "localhost") > 0
        }
        XCTAssertEqual(first.serverRecorder.state.value.earlyData, [])
        let firstAccepted = try await first.client.tlsKit_earlyDataAccepted().get()
        XCTAssertNil(firstAccepted, "no early data was offered")
        await first.finish()

        // Second connection: resumed, and the request goes as 0-RTT.
        let second = try await EmbeddedPair(
            makeClientHandler: { TLSKitClientHandler(context: client, serverName: "localhost", earlyData: request) },
            makeServerHandler: { TLSKitServerHandler(context: server) })
        try await second.handshake()
        XCTAssertEqual(second.serverRecorder.state.value.earlyData, [.received(request)])
        XCTAssertEqual(second.serverRecorder.state.value.received, [], "early data is not also delivered as a read")
        let accepted = try await second.client.tlsKit_earlyDataAccepted().get()
        XCTAssertEqual(accepted, true)
        let negotiated = try await second.client.tlsKit_negotiated().get()
        XCTAssertEqual(negotiated?.resumed, true)
        await second.finish()
    }
}
