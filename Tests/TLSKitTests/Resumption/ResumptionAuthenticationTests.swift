import Foundation
import XCTest
@testable import TLSKit

/// A resumed session carries the authentication state of the handshake that created it — never less (issue 11,
/// findings 1 and 2): the client chain a server verified, the server chain a client verified, the verification
/// policy that accepted each, and the leaf's expiry. TLS 1.3 tickets, TLS 1.2 session IDs and TLS 1.2 tickets.
final class ResumptionAuthenticationTests: XCTestCase {
    static let ca = Result { try TestPKI.makeCA() }
    static let otherCA = Result { try TestPKI.makeCA(commonName: "Another Root") }

    enum Mechanism: CaseIterable {
        case tls13Ticket, tls12SessionID, tls12Ticket
    }

    /// A client with a client certificate and a session cache, and a server with the given client authentication.
    /// Both use `clock`.
    func makeConfigs(_ mechanism: Mechanism, clientAuthentication: ClientAuthentication,
                     clock: ResumptionTests.TestClock) throws -> (TLSClientConfiguration, TLSServerConfiguration) {
        let ca = try Self.ca.get()
        var client = TLSClientConfiguration()
        client.peerVerification = .trustRoots(ca.trustRoots)
        client.sessionCache = ClientSessionCache()
        client.certificate = try ca.issueLeaf(commonName: "alice", dnsNames: [], eku: [.clientAuth]).certifiedKey
        client.common.now = { clock.now }
        var server = TLSServerConfiguration(certificate: try ca.issueLeaf(dnsNames: ["localhost"]).certifiedKey)
        server.clientAuthentication = clientAuthentication
        server.common.now = { clock.now }
        switch mechanism {
        case .tls13Ticket:
            break
        case .tls12SessionID:
            client.common.maximumVersion = .tls12
            server.common.maximumVersion = .tls12
            server.sessionTicketKeys = nil
        case .tls12Ticket:
            client.common.maximumVersion = .tls12
            server.common.maximumVersion = .tls12
            server.sessionIDCache = nil
        }
        return (client, server)
    }

    /// Runs one connection to completion (or failure). Returns both ends.
    func connect(_ client: TLSClientConfiguration, _ server: TLSServerConfiguration) async throws -> InMemoryPair {
        let pair = try InMemoryPair(client: client, server: server, serverName: "localhost")
        await pair.run()
        return pair
    }

    // MARK: Finding 1 — a server requiring client authentication never resumes an anonymous session

    func testAnonymousSessionIsNotResumedByAListenerThatRequiresClientCertificates() async throws {
        let ca = try Self.ca.get()
        for mechanism in Mechanism.allCases {
            let clock = ResumptionTests.TestClock()
            // The anonymous listener and the client-authenticating one share the ticket ring and the session cache,
            // as copies of one configuration do.
            var (client, open) = try makeConfigs(mechanism, clientAuthentication: .none, clock: clock)
            var strict = open
            strict.clientAuthentication = .required(.trustRoots(ca.trustRoots))

            let first = try await connect(client, open)
            XCTAssertEqual(first.server.negotiated?.resumed, false, "\(mechanism)")
            XCTAssertEqual(first.server.negotiated?.peerCertificates, [], "\(mechanism)")

            // With a certificate: the strict listener asks for it in a full handshake.
            let second = try await connect(client, strict)
            XCTAssertNil(second.serverError, "\(mechanism)")
            XCTAssertEqual(second.server.negotiated?.resumed, false, "\(mechanism): resumed past client authentication")
            XCTAssertEqual(second.server.negotiated?.peerCertificates, client.certificate?.chain.derEncoded, "\(mechanism)")

            // Without one: refused, as in any full handshake.
            client.certificate = nil
            _ = try await connect(client, open)   // a fresh anonymous session in the cache
            let third = try await connect(client, strict)
            XCTAssertNotNil(third.serverError, "\(mechanism): resumed without a client certificate")
            XCTAssertNil(third.server.negotiated, "\(mechanism)")
        }
    }

    func testAuthenticatedSessionResumesWithTheOriginalClientChain() async throws {
        let ca = try Self.ca.get()
        for mechanism in Mechanism.allCases {
            let clock = ResumptionTests.TestClock()
            let (client, server) = try makeConfigs(mechanism, clientAuthentication: .required(.trustRoots(ca.trustRoots)), clock: clock)
            let expectedChain = client.certificate?.chain.derEncoded
            let first = try await connect(client, server)
            XCTAssertEqual(first.server.negotiated?.peerCertificates, expectedChain, "\(mechanism)")
            let scheme = first.server.negotiated?.clientSignatureScheme
            XCTAssertNotNil(scheme)

            let second = try await connect(client, server)
            XCTAssertNil(second.serverError, "\(mechanism)")
            XCTAssertEqual(second.server.negotiated?.resumed, true, "\(mechanism)")
            XCTAssertEqual(second.server.negotiated?.peerCertificates, expectedChain, "\(mechanism): the identity was lost")
            XCTAssertEqual(second.server.negotiated?.clientSignatureScheme, scheme, "\(mechanism)")

            // And the tickets a resumed TLS 1.3 connection issues carry it on.
            let third = try await connect(client, server)
            XCTAssertEqual(third.server.negotiated?.resumed, true, "\(mechanism)")
            XCTAssertEqual(third.server.negotiated?.peerCertificates, expectedChain, "\(mechanism)")
        }
    }

    func testSessionVerifiedUnderOtherRootsIsNotResumed() async throws {
        let ca = try Self.ca.get()
        let other = try Self.otherCA.get()
        for mechanism in Mechanism.allCases {
            let clock = ResumptionTests.TestClock()
            let (client, server) = try makeConfigs(mechanism, clientAuthentication: .required(.trustRoots(ca.trustRoots)), clock: clock)
            // A listener that trusts client certificates from another root as well shares the ring and cache.
            var wider = server
            wider.clientAuthentication = .required(.trustRoots(TrustRoots(certificates: ca.trustRoots.certificates + other.trustRoots.certificates)))
            _ = try await connect(client, wider)
            let second = try await connect(client, server)
            XCTAssertNil(second.serverError, "\(mechanism)")
            XCTAssertEqual(second.server.negotiated?.resumed, false, "\(mechanism): resumed a session verified under another policy")
        }
    }

    func testSessionWithAnExpiredClientCertificateIsNotResumed() async throws {
        let ca = try Self.ca.get()
        for mechanism in Mechanism.allCases {
            let clock = ResumptionTests.TestClock()
            var (client, server) = try makeConfigs(mechanism, clientAuthentication: .optional(.trustRoots(ca.trustRoots)), clock: clock)
            // A client certificate that expires in ten minutes; tickets live two hours.
            client.certificate = try ca.issueLeaf(commonName: "short-lived", dnsNames: [], eku: [.clientAuth],
                                                  notAfter: clock.now.addingTimeInterval(600)).certifiedKey
            _ = try await connect(client, server)
            clock.advance(1200)
            let second = try await connect(client, server)
            XCTAssertNotEqual(second.server.negotiated?.resumed, true, "\(mechanism): resumed with an expired client certificate")
            // The full handshake looks at the certificate again, and finds it expired.
            XCTAssertEqual(second.serverError?.alert, .certificateExpired, "\(mechanism)")
        }
    }

    func testListenerThatAsksForNoCertificateDoesNotResumeAnAuthenticatedSession() async throws {
        let ca = try Self.ca.get()
        for mechanism in Mechanism.allCases {
            let clock = ResumptionTests.TestClock()
            let (client, server) = try makeConfigs(mechanism, clientAuthentication: .required(.trustRoots(ca.trustRoots)), clock: clock)
            var open = server
            open.clientAuthentication = .none
            _ = try await connect(client, server)
            let second = try await connect(client, open)
            XCTAssertNil(second.serverError, "\(mechanism)")
            XCTAssertEqual(second.server.negotiated?.resumed, false, "\(mechanism)")
            XCTAssertEqual(second.server.negotiated?.peerCertificates, [], "\(mechanism)")
        }
    }

    // MARK: Finding 2 — the client resumes only sessions verified under its own policy

    func testSessionFromAnUnverifiedConnectionIsNotResumedByAVerifyingClient() async throws {
        let impostorCA = try Self.otherCA.get()
        for mechanism in Mechanism.allCases {
            let clock = ResumptionTests.TestClock()
            var (verifying, _) = try makeConfigs(mechanism, clientAuthentication: .none, clock: clock)
            verifying.certificate = nil
            // An impostor with a certificate the verifying client would reject.
            var impostor = TLSServerConfiguration(certificate: try impostorCA.issueLeaf(dnsNames: ["localhost"]).certifiedKey)
            impostor.common.now = { clock.now }
            impostor.common.maximumVersion = verifying.common.maximumVersion
            if mechanism == .tls12SessionID { impostor.sessionTicketKeys = nil }
            if mechanism == .tls12Ticket { impostor.sessionIDCache = nil }
            // A careless configuration shares the cache.
            var careless = verifying
            careless.peerVerification = .insecureNoVerification
            let first = try await connect(careless, impostor)
            XCTAssertNil(first.clientError, "\(mechanism)")
            XCTAssertEqual(verifying.sessionCache.map { $0.count(for: "localhost") }.map { $0 > 0 }, true, "\(mechanism)")

            let second = try await connect(verifying, impostor)
            XCTAssertEqual(second.client.negotiated?.resumed, nil, "\(mechanism): resumed a session whose server was never verified")
            XCTAssertEqual(second.clientError?.alert, .unknownCA, "\(mechanism)")
            // The careless configuration may still use what it stored.
            let third = try await connect(careless, impostor)
            XCTAssertEqual(third.client.negotiated?.resumed, true, "\(mechanism)")
        }
    }

    func testResumedConnectionReportsTheOriginalServerChain() async throws {
        for mechanism in Mechanism.allCases {
            let clock = ResumptionTests.TestClock()
            let (client, server) = try makeConfigs(mechanism, clientAuthentication: .none, clock: clock)
            let first = try await connect(client, server)
            let chain = try XCTUnwrap(first.client.negotiated?.peerCertificates)
            XCTAssertFalse(chain.isEmpty)
            let scheme = first.client.negotiated?.serverSignatureScheme
            let second = try await connect(client, server)
            XCTAssertEqual(second.client.negotiated?.resumed, true, "\(mechanism)")
            XCTAssertEqual(second.client.negotiated?.peerCertificates, chain, "\(mechanism)")
            XCTAssertEqual(second.client.negotiated?.serverSignatureScheme, scheme, "\(mechanism)")
            XCTAssertFalse(second.client.takeEvents().contains {
                if case .handshakeMessage(_, .certificate, _) = $0 { return true } else { return false }
            }, "\(mechanism): the chain was sent again, so this was not a resumption")
        }
    }

    func testSessionsFromAnotherCustomVerifierAreNotResumed() async throws {
        let ca = try Self.ca.get()
        let clock = ResumptionTests.TestClock()
        var (client, server) = try makeConfigs(.tls13Ticket, clientAuthentication: .none, clock: clock)
        client.certificate = nil
        let inner = X509CertificateVerifier(trustRoots: ca.trustRoots)
        client.peerVerification = .custom(CustomCertificateVerifier { await inner.verify($0) })
        _ = try await connect(client, server)
        // Another closure is another policy (closures cannot be compared)…
        var other = client
        other.peerVerification = .custom(CustomCertificateVerifier { await inner.verify($0) })
        let second = try await connect(other, server)
        XCTAssertEqual(second.client.negotiated?.resumed, false)
        // …unless both say they are the same one.
        var named = client
        named.peerVerification = .custom(CustomCertificateVerifier(policyIdentifier: "pinned") { await inner.verify($0) })
        _ = try await connect(named, server)
        let fourth = try await connect(named, server)
        XCTAssertEqual(fourth.client.negotiated?.resumed, true)
    }

    // MARK: Finding 6 — pre_shared_key without psk_key_exchange_modes

    func testPreSharedKeyWithoutKeyExchangeModesIsMissingExtension() async throws {
        let clock = ResumptionTests.TestClock()
        var (client, server) = try makeConfigs(.tls13Ticket, clientAuthentication: .none, clock: clock)
        client.certificate = nil
        _ = try await connect(client, server)
        client.clientHelloCustomizer = { hello, _ in hello.extensions.removeAll { $0.type == .pskKeyExchangeModes } }
        let second = try await connect(client, server)
        XCTAssertEqual(second.serverError?.alert, .missingExtension)
        XCTAssertNil(second.server.negotiated)
    }

    func testNoTicketsForAClientWithoutAUsableKeyExchangeMode() async throws {
        let clock = ResumptionTests.TestClock()
        var (client, server) = try makeConfigs(.tls13Ticket, clientAuthentication: .none, clock: clock)
        client.certificate = nil
        client.common.pskKeyExchangeModes = [.pskOnly]   // the server supports only psk_dhe_ke
        let pair = try await connect(client, server)
        XCTAssertNil(pair.clientError)
        XCTAssertFalse(pair.client.takeEvents().contains {
            if case .newSessionTicket = $0 { return true } else { return false }
        }, "RFC 8446 §4.2.9: no NewSessionTicket the client cannot use")
    }
}

extension ResumptionAuthenticationTests {
    /// A session from a connection that skipped the server identity check does not serve one that checks it.
    func testSessionWithoutAnIdentityCheckIsNotResumedByAClientThatChecks() async throws {
        let clock = ResumptionTests.TestClock()
        var (checking, server) = try makeConfigs(.tls13Ticket, clientAuthentication: .none, clock: clock)
        checking.certificate = nil
        var skipping = checking
        skipping.insecureSkipServerIdentityCheck = true
        _ = try await connect(skipping, server)
        let second = try await connect(checking, server)
        XCTAssertEqual(second.client.negotiated?.resumed, false)
        let third = try await connect(skipping, server)
        XCTAssertEqual(third.client.negotiated?.resumed, true)
    }
}
