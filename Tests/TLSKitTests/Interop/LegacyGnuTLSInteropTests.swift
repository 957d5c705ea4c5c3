import Foundation
import TLSWire
import XCTest
@testable import TLSKit

/// TLS 1.0 and 1.1 against GnuTLS (issue 17), both directions, with the `insecureLegacyVersions` opt-in:
/// - TLSKit client → `gnutls-serv --echo` allowing only TLS 1.0 or 1.1 and SHA-1 AES-CBC suites: ECDHE_ECDSA with an
///   ECDSA leaf, static RSA key exchange with an RSA leaf (our TLS 1.0/1.1 client offers no ECDHE_RSA);
/// - `gnutls-cli` (same priority) → TLSKit server: ECDHE_ECDSA, and ECDHE_RSA, whose MD5 ‖ SHA-1 RSA signature
///   GnuTLS verifies (the server signs through swift-crypto).
/// Encrypt-then-MAC and the extended master secret are negotiated (GnuTLS does both by default).
final class LegacyGnuTLSInteropTests: XCTestCase {
    private static func priorityOptions() -> [String] { ["+SHA1", "+AES-128-CBC", "+AES-256-CBC"] }

    private static func gnuTLSVersion(_ version: ProtocolVersion) -> String { version == .tls10 ? "TLS1.0" : "TLS1.1" }

    // MARK: - TLSKit client → gnutls-serv

    func testTLSKitClientToGnuTLSServerTLS10ECDSA() async throws { try await connect(.tls10, key: .ecdsaP256) }
    func testTLSKitClientToGnuTLSServerTLS11ECDSA() async throws { try await connect(.tls11, key: .ecdsaP256) }
    func testTLSKitClientToGnuTLSServerTLS10RSA() async throws { try await connect(.tls10, key: .rsa2048) }
    func testTLSKitClientToGnuTLSServerTLS11RSA() async throws { try await connect(.tls11, key: .rsa2048) }

    private func connect(_ version: ProtocolVersion, key: InteropPKI.ServerKey) async throws {
        let (server, port) = try GnuTLSProcess.startEchoServer(
            versions: [Self.gnuTLSVersion(version)], priorityOptions: Self.priorityOptions(), key: key)
        defer { server.terminate() }
        do {
            var configuration = try InteropPKI.shared().clientConfiguration()
            configuration.common.insecureLegacyVersions = .downToTLS10
            configuration.common.minimumVersion = .tls10
            let client = try await TLSSocketDriver.connect(configuration, port: port)
            let negotiated = try XCTUnwrap(client.connection.negotiated)
            XCTAssertEqual(negotiated.version, version)
            let expected: [CipherSuite] = key == .rsa2048
                ? [.TLS_RSA_WITH_AES_128_CBC_SHA, .TLS_RSA_WITH_AES_256_CBC_SHA]
                : [.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA]
            XCTAssertTrue(expected.contains(negotiated.cipherSuite), "\(negotiated.cipherSuite)")
            XCTAssertTrue(negotiated.extendedMasterSecret)
            XCTAssertTrue(negotiated.encryptThenMAC)
            XCTAssertEqual(negotiated.recordSplitting, version == .tls10)
            let payload = Array("legacy over gnutls \(version)\n".utf8)
            try await client.send(payload)
            let echo = try await client.receive(count: payload.count)
            XCTAssertEqual(echo, payload)
            try await client.closeAndWaitForPeer()
        } catch {
            throw InteropError("gnutls-serv \(version) \(key): \(error)\n\(server.diagnostics)")
        }
    }

    // MARK: - gnutls-cli → TLSKit server

    func testGnuTLSClientToTLSKitServerTLS10ECDSA() async throws { try await accept(.tls10, key: .ecdsaP256) }
    func testGnuTLSClientToTLSKitServerTLS11ECDSA() async throws { try await accept(.tls11, key: .ecdsaP256) }
    func testGnuTLSClientToTLSKitServerTLS10RSA() async throws { try await accept(.tls10, key: .rsa2048) }
    func testGnuTLSClientToTLSKitServerTLS11RSA() async throws { try await accept(.tls11, key: .rsa2048) }

    private func accept(_ version: ProtocolVersion, key: InteropPKI.ServerKey) async throws {
        var configuration = try InteropPKI.shared().serverConfiguration(key)
        configuration.common.insecureLegacyVersions = .downToTLS10
        configuration.common.minimumVersion = .tls10
        let (listener, client) = try GnuTLSProcess.startClient(
            versions: [Self.gnuTLSVersion(version)], priorityOptions: Self.priorityOptions())
        defer { client.terminate() }
        do {
            let server = try await TLSSocketDriver.accept(configuration, on: listener)
            let negotiated = try XCTUnwrap(server.connection.negotiated)
            XCTAssertEqual(negotiated.version, version)
            let expected: [CipherSuite] = key == .rsa2048
                ? [.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA]
                : [.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA]
            XCTAssertTrue(expected.contains(negotiated.cipherSuite), "\(negotiated.cipherSuite)")
            XCTAssertTrue(negotiated.extendedMasterSecret)
            XCTAssertTrue(negotiated.encryptThenMAC)
            try client.wait(forText: "- Simple Client Mode")
            client.writeToStdin("from gnutls-cli\n")
            let line = try await server.receive(count: 16)
            XCTAssertEqual(line, Array("from gnutls-cli\n".utf8))
            try await server.send(Array("from tlskit\n".utf8))
            try client.wait(forText: "from tlskit")
            client.closeStdin()
            try await server.finishAfterPeerClosed()
        } catch {
            throw InteropError("gnutls-cli \(version) \(key): \(error)\n\(client.diagnostics)")
        }
    }
}
