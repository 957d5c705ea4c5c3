import Foundation
@testable import TLSKit
import TLSWire
import XCTest

/// Issue 11 item 4: a client checks the server's identity unless it explicitly opts out. Without a server name and
/// without `insecureSkipServerIdentityCheck`, creating the connection fails instead of accepting any trusted
/// certificate for any name.
final class ServerIdentityRequirementTests: XCTestCase {
    private func assertConfigurationError(_ configuration: TLSClientConfiguration, serverName: String?,
                                          file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TLSConnection(client: configuration, serverName: serverName), file: file, line: line) {
            XCTAssertTrue($0 is TLSConfigurationError, "\(type(of: $0)): \($0)", file: file, line: line)
        }
    }

    func testNoServerNameIsAConfigurationErrorWithoutTheOptOut() {
        var configuration = EngineFixtures.clientConfiguration()
        assertConfigurationError(configuration, serverName: nil)
        configuration.peerVerification = .systemTrustRoots
        assertConfigurationError(configuration, serverName: nil)
        // A custom verifier would get no name to check either: it takes the same explicit opt-out.
        configuration.peerVerification = .custom(CustomCertificateVerifier { _ in .rejected(TLSError(.accessDenied, "no")) })
        assertConfigurationError(configuration, serverName: nil)
        // An empty name is no name (and cannot be sent as SNI), whatever the settings.
        configuration = EngineFixtures.clientConfiguration()
        assertConfigurationError(configuration, serverName: "")
        configuration.insecureSkipServerIdentityCheck = true
        assertConfigurationError(configuration, serverName: "")
    }

    func testNoServerNameIsAllowedWithTheOptOutOrWithoutVerification() throws {
        var skipping = EngineFixtures.clientConfiguration()
        skipping.insecureSkipServerIdentityCheck = true
        XCTAssertNoThrow(try TLSConnection(client: skipping, serverName: nil))
        var unverified = EngineFixtures.clientConfiguration()
        unverified.peerVerification = .insecureNoVerification
        XCTAssertNoThrow(try TLSConnection(client: unverified, serverName: nil))
    }

    func testOptOutStillVerifiesTheChain() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.insecureSkipServerIdentityCheck = true
        let pair = try InMemoryPair(client: client, server: EngineFixtures.serverConfiguration(), serverName: nil)
        await pair.handshake()

        // No identity, but the chain must still reach a trusted root.
        client.peerVerification = .trustRoots(EngineFixtures.otherCA.trustRoots)
        let untrusted = try InMemoryPair(client: client, server: EngineFixtures.serverConfiguration(), serverName: nil)
        await untrusted.assertSentAlert(.unknownCA, by: .clientToServer)
    }

    func testOptOutSkipsTheNameCheckButStillSendsTheName() async throws {
        // Without the opt-out, a name the certificate does not carry is bad_certificate ...
        let checked = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration(),
                                       serverName: "elsewhere.test")
        await checked.assertSentAlert(.badCertificate, by: .clientToServer)

        // ... with it, the verifier is asked with no identity; SNI still carries the name.
        let seen = LockedNames()
        var client = EngineFixtures.clientConfiguration()
        client.insecureSkipServerIdentityCheck = true
        let roots = EngineFixtures.ca.trustRoots
        client.peerVerification = .custom(CustomCertificateVerifier { request in
            seen.append(request.serverName)
            return await X509CertificateVerifier(trustRoots: roots).verify(request)
        })
        let pair = try InMemoryPair(client: client, server: EngineFixtures.serverConfiguration(), serverName: "elsewhere.test")
        await pair.handshake()
        XCTAssertEqual(seen.names, [nil])
        XCTAssertEqual(pair.server.negotiated?.serverName, "elsewhere.test")
    }
}

private final class LockedNames: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String?] = []
    func append(_ name: String?) { lock.lock(); stored.append(name); lock.unlock() }
    var names: [String?] { lock.lock(); defer { lock.unlock() }; return stored }
}
