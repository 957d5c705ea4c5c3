import Foundation
import NIOCore
import NIOEmbedded
import TLSKit
import TLSKitNIO
import XCTest

/// `TLSKitContext`: a configuration checked once at construction, shared by the handlers made from it.
final class TLSKitContextTests: XCTestCase {
    func testServerContextWithoutCertificateThrowsAtConstruction() throws {
        // The initializers always take an identity; one removed afterwards is refused when the context is built.
        let (identity, _) = try CertifiedKey.ephemeral(dnsNames: ["localhost"], ipAddresses: [])
        var noIdentity = TLSServerConfiguration(certificate: identity)
        noIdentity.certificate = nil
        XCTAssertThrowsError(try TLSKitContext(server: noIdentity)) { error in
            XCTAssertTrue("\(error)".contains("certificate"), "\(error)")
        }
    }

    func testImpossibleConfigurationsThrowAtConstruction() throws {
        let identity = try TestIdentity()
        // TLS 1.3 only, with TLS 1.2 suites only: no handshake could ever complete.
        var client = identity.clientConfiguration()
        client.common.minimumVersion = .tls13
        client.common.cipherSuites = [.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
        XCTAssertThrowsError(try TLSKitContext(client: client)) { error in
            XCTAssertTrue("\(error)".contains("no cipher suite"), "\(error)")
        }
        var server = identity.serverConfiguration()
        server.ticketsPerHandshake = 100
        XCTAssertThrowsError(try TLSKitContext(server: server)) { error in
            XCTAssertTrue("\(error)".contains("ticketsPerHandshake"), "\(error)")
        }
        var alpn = identity.serverConfiguration()
        alpn.common.applicationProtocols = [""]
        XCTAssertThrowsError(try TLSKitContext(server: alpn))
        XCTAssertThrowsError(try TLSKitContext(server: identity.serverConfiguration(), handshakeTimeout: .zero))
        XCTAssertThrowsError(try TLSKitContext(client: identity.clientConfiguration(), handshakeTimeout: .seconds(-1)))
    }

    func testExpiredOrNotYetValidCertificateThrowsAtConstruction() throws {
        let identity = try TestIdentity()
        var late = identity.serverConfiguration()
        late.common.now = { Date().addingTimeInterval(20 * 365 * 24 * 3600) }
        XCTAssertThrowsError(try TLSKitContext(server: late)) { error in
            XCTAssertTrue("\(error)".contains("expired"), "\(error)")
        }
        var early = identity.serverConfiguration()
        early.common.now = { Date().addingTimeInterval(-365 * 24 * 3600) }
        XCTAssertThrowsError(try TLSKitContext(server: early)) { error in
            XCTAssertTrue("\(error)".contains("not valid before"), "\(error)")
        }
        var client = identity.clientConfiguration()
        client.certificate = identity.key
        client.common.now = { Date().addingTimeInterval(20 * 365 * 24 * 3600) }
        XCTAssertThrowsError(try TLSKitContext(client: client)) { error in
            XCTAssertTrue("\(error)".contains("client certificate"), "\(error)")
        }
    }

    func testClientWithoutServerNameRuleIsCheckedPerConnectionNotAtConstruction() async throws {
        // The context itself is fine; a handler made without a name fails when its channel becomes active.
        let identity = try TestIdentity()
        let client = try TLSKitContext(client: identity.clientConfiguration())
        let server = try TLSKitContext(server: identity.serverConfiguration())
        let pair = try await EmbeddedPair(
            makeClientHandler: { TLSKitClientHandler(context: client, serverName: nil) },
            makeServerHandler: { TLSKitServerHandler(context: server) })
        try await pair.connect()
        try await waitUntil(5, "configuration error") { !pair.clientRecorder.state.value.nioErrors.isEmpty }
        guard case .configuration(let reason) = pair.clientRecorder.state.value.nioErrors.first else {
            return XCTFail("expected a configuration error")
        }
        XCTAssertTrue(reason.contains("no server name"), reason)
        await pair.finish()
    }

    func testVerifierIsBuiltOnceFromTheTrustRoots() throws {
        let identity = try TestIdentity()
        let context = try TLSKitContext(client: identity.clientConfiguration())
        guard case .custom(let verifier) = context.clientConfiguration?.peerVerification else {
            return XCTFail("trust roots not resolved to a shared verifier")
        }
        XCTAssertTrue(verifier is X509CertificateVerifier)
        XCTAssertNil(context.serverConfiguration)
        XCTAssertEqual(context.role, .client)
        // The same verification policy a connection would have built itself, so sessions stay resumable.
        XCTAssertEqual(verifier.policyIdentifier, X509CertificateVerifier(trustRoots: identity.roots).policyIdentifier)
    }

    func testHandlersFromContextsHandshakeAndShareTicketKeysAndSessionCache() async throws {
        let identity = try TestIdentity()
        let cache = ClientSessionCache()
        var clientConfiguration = identity.clientConfiguration(alpn: ["h2"])
        clientConfiguration.sessionCache = cache
        let client = try TLSKitContext(client: clientConfiguration)
        let server = try TLSKitContext(server: identity.serverConfiguration(alpn: ["h2"]))

        var resumed: [Bool] = []
        for round in 0..<2 {
            let pair = try await EmbeddedPair(
                makeClientHandler: { TLSKitClientHandler(context: client, serverName: "localhost") },
                makeServerHandler: { TLSKitServerHandler(context: server) })
            try await pair.handshake()
            // Let the tickets reach the client (they follow the handshake) before the next connection.
            try await pair.interact("tickets") { cache.count(for: "localhost") > 0 }
            let clientNegotiated = try await pair.clientNegotiated()
            let negotiated = try XCTUnwrap(clientNegotiated)
            XCTAssertEqual(negotiated.applicationProtocol, "h2", "round \(round)")
            XCTAssertEqual(negotiated.peerCertificates, identity.key.chain.derEncoded, "round \(round)")
            resumed.append(negotiated.resumed)
            await pair.finish()
        }
        XCTAssertEqual(resumed, [false, true], "the second connection resumes with the first one's ticket")
    }

    func testAHandlerGivenTheWrongRoleFailsWithAConfigurationError() async throws {
        let identity = try TestIdentity()
        let client = try TLSKitContext(client: identity.clientConfiguration())
        let server = try TLSKitContext(server: identity.serverConfiguration())
        let pair = try await EmbeddedPair(
            makeClientHandler: { TLSKitClientHandler(context: server, serverName: "localhost") },
            makeServerHandler: { TLSKitServerHandler(context: client) })
        try await pair.connect()
        try await waitUntil(5, "configuration errors") {
            !pair.clientRecorder.state.value.nioErrors.isEmpty && !pair.serverRecorder.state.value.nioErrors.isEmpty
        }
        XCTAssertTrue(pair.clientRecorder.state.value.errors.joined().contains("needs a client context"))
        XCTAssertTrue(pair.serverRecorder.state.value.errors.joined().contains("needs a server context"))
        await pair.finish()
    }

    func testMakeConnectionForOtherDrivers() throws {
        let identity = try TestIdentity()
        let client = try TLSKitContext(client: identity.clientConfiguration())
        let connection = try client.makeConnection(serverName: "localhost")
        XCTAssertEqual(connection.role, .client)
        XCTAssertFalse(connection.takeOutput().isEmpty, "the ClientHello is ready")
        let server = try TLSKitContext(server: identity.serverConfiguration())
        XCTAssertEqual(try server.makeConnection().role, .server)
    }
}
