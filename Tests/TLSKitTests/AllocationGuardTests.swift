import AllocationCounter
import Foundation
import TLSKit
import XCTest

/// Allocation regression guard (issue 6): counts, not times, so it does not flake on a loaded machine.
/// One in-memory TLS 1.3 handshake (X25519, ECDSA P-256, chain verified against a root) and one 16 KiB record
/// must stay under ceilings set at about 1.5 × what was measured when the guard was written (debug build, the way
/// the test suite runs). Each figure is the minimum over several repetitions after a warm-up, so one-time costs
/// (metadata, lazily built tables) and stray allocations by other threads never count against the engine.
/// If a change makes TLSKit allocate less, lower the ceiling; if it must allocate more, raise it deliberately.
final class AllocationGuardTests: XCTestCase {
    /// Measured 2026-11-29 (debug build, Swift 6.3.1, Linux x86_64); each run repeated the same count within ±15.
    /// Lowered when the verifier diagnostics, record-path and digest work brought the counts to 8,795 and 23; the
    /// verification work of issues 11/12 took the handshake to 11,922, issue 16's HMAC, randomness and session work
    /// (2026-12-07) to 6,050.
    static let handshakeCeiling: Int64 = 9_100  // measured 6,050
    static let recordCeiling: Int64 = 35  // measured 23
    /// Creating one client connection with `.systemTrustRoots` (issue 11 item 9), measured 2026-12-06: 326,788 when
    /// every connection re-read and re-parsed the 139-certificate system bundle, 229 once it is cached per process.
    /// Raised on purpose 2026-12-07: the legacy-version suite selection (issue 17) added about 140 allocations in this
    /// debug build (closure contexts of its filters, per suite); the release benchmark counts the same 552 per client
    /// handshake as before it, so the optimiser removes them.
    static let systemTrustClientCeiling: Int64 = 580  // measured 387

    struct Fixture {
        let client: TLSClientConfiguration
        let server: TLSServerConfiguration

        init() throws {
            let (identity, rootPEM) = try CertifiedKey.ephemeral(dnsNames: ["localhost"])
            var server = TLSServerConfiguration(certificate: identity)
            var client = TLSClientConfiguration()
            client.peerVerification = .trustRoots(TrustRoots(certificates: try CertificateChain(pem: rootPEM).certificates))
            client.common.minimumVersion = .tls13; client.common.maximumVersion = .tls13
            server.common.minimumVersion = .tls13; server.common.maximumVersion = .tls13
            client.common.supportedGroups = [.x25519]; server.common.supportedGroups = [.x25519]
            client.common.cipherSuites = [.TLS_AES_128_GCM_SHA256]; server.common.cipherSuites = [.TLS_AES_128_GCM_SHA256]
            client.keyShareGroups = [.x25519]
            client.grease = false
            self.client = client
            self.server = server
        }

        /// A complete handshake, both sides, verification included.
        func handshake() async throws -> (TLSConnection, TLSConnection) {
            let client = try TLSConnection(client: self.client, serverName: "localhost")
            let server = try TLSConnection(server: self.server)
            var toServer = client.takeOutput()
            for _ in 0..<16 {
                if !toServer.isEmpty {
                    try server.receive(toServer)
                    while server.pendingVerification != nil { try await server.performPendingVerification() }
                }
                let toClient = server.takeOutput()
                if !toClient.isEmpty {
                    try client.receive(toClient)
                    while client.pendingVerification != nil { try await client.performPendingVerification() }
                }
                toServer = client.takeOutput()
                if toServer.isEmpty && toClient.isEmpty && client.isHandshakeComplete && server.isHandshakeComplete {
                    return (client, server)
                }
            }
            throw TLSConfigurationError("handshake did not complete")
        }
    }

    private func requireCounter() throws {
        let before = tlskit_test_allocation_count()
        let probe = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        probe.deallocate()
        if tlskit_test_allocation_count() == before {
            #if canImport(Glibc)
            // On Linux the counter must work: a guard that silently stops counting would pass forever.
            XCTFail("the allocation counter did not see a malloc: the guard cannot run")
            throw TLSConfigurationError("allocation counter inactive")
            #else
            throw XCTSkip("allocations cannot be counted on this platform (the counter replaces glibc's malloc)")
            #endif
        }
    }

    func testOneHandshakeStaysUnderTheAllocationCeiling() async throws {
        try requireCounter()
        let fixture = try Fixture()
        for _ in 0..<2 { _ = try await fixture.handshake() }
        var counts: [Int64] = []
        for _ in 0..<5 {
            let before = tlskit_test_allocation_count()
            let pair = try await fixture.handshake()
            counts.append(tlskit_test_allocation_count() - before)
            withExtendedLifetime(pair) {}
        }
        let measured = counts.min()!
        print("allocation guard: one TLS 1.3 handshake (client + server) = \(measured) allocations (runs: \(counts)); ceiling \(Self.handshakeCeiling)")
        XCTAssertLessThanOrEqual(measured, Self.handshakeCeiling,
                                 "one handshake now allocates \(measured) times (ceiling \(Self.handshakeCeiling))")
    }

    /// Creating a client connection that verifies with the system trust store: the bundle is parsed once per
    /// process, not per connection (issue 11 item 9), so this is the ClientHello and the key shares.
    func testCreatingOneSystemTrustClientConnectionStaysUnderTheAllocationCeiling() throws {
        try requireCounter()
        var configuration = TLSClientConfiguration()
        configuration.peerVerification = .systemTrustRoots
        for _ in 0..<2 { _ = try TLSConnection(client: configuration, serverName: "example.com") }
        var counts: [Int64] = []
        for _ in 0..<5 {
            let before = tlskit_test_allocation_count()
            let connection = try TLSConnection(client: configuration, serverName: "example.com")
            counts.append(tlskit_test_allocation_count() - before)
            withExtendedLifetime(connection) {}
        }
        let measured = counts.min()!
        print("allocation guard: one client connection with .systemTrustRoots = \(measured) allocations (runs: \(counts)); ceiling \(Self.systemTrustClientCeiling)")
        XCTAssertLessThanOrEqual(measured, Self.systemTrustClientCeiling,
                                 "creating one client connection now allocates \(measured) times (ceiling \(Self.systemTrustClientCeiling))")
    }

    func testOne16KiBRecordStaysUnderTheAllocationCeiling() async throws {
        try requireCounter()
        let (client, server) = try await Fixture().handshake()
        let chunk = [UInt8](repeating: 0x61, count: 16 * 1024)
        var counts: [Int64] = []
        for round in 0..<12 {
            let before = tlskit_test_allocation_count()
            try client.send(chunk)
            let wire = client.takeOutput()
            try server.receive(wire)
            let plaintext = server.takeApplicationData()
            let count = tlskit_test_allocation_count() - before
            XCTAssertEqual(plaintext.count, chunk.count)
            XCTAssertLessThan(wire.count, chunk.count + 64, "one record")
            if round >= 2 { counts.append(count) }
        }
        let measured = counts.min()!
        print("allocation guard: one 16 KiB record (send + receive) = \(measured) allocations (runs: \(counts)); ceiling \(Self.recordCeiling)")
        XCTAssertLessThanOrEqual(measured, Self.recordCeiling,
                                 "one 16 KiB record now allocates \(measured) times (ceiling \(Self.recordCeiling))")
    }
}
