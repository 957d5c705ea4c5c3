import Foundation
import TLSKit
import XCTest

/// `openssl s_client` ↔ TLSKit server. s_client verifies our chain against the test CA for "localhost"
/// (-verify_return_error), sends what we write to its stdin and writes what it receives to its stdout.
final class OpenSSLClientVsTLSKitServerTests: XCTestCase {
    // MARK: Cipher suites (1 MiB each way, byte for byte)

    func testAES128GCM() async throws {
        try await runSuite(.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256")
    }

    func testAES256GCM() async throws {
        try await runSuite(.TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384")
    }

    func testChaCha20Poly1305() async throws {
        try await runSuite(.TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256")
    }

    private func runSuite(_ suite: CipherSuite, _ name: String) async throws {
        try await scenario(name, clientArguments: ["-ciphersuites", name], bulkBytes: 1 << 20) { negotiated, client in
            XCTAssertEqual(negotiated.cipherSuite, suite)
            XCTAssertEqual(negotiated.version, .tls13)
            try client.wait(forText: "New, TLSv1.3, Cipher is \(name)")
        }
    }

    // MARK: Groups

    /// Default s_client against our default server: X25519, no retry.
    func testDefaultConfiguration() async throws {
        try await scenario("default configuration", clientArguments: []) { negotiated, client in
            XCTAssertEqual(negotiated.group, .x25519)
            XCTAssertFalse(negotiated.usedHelloRetryRequest)
            try client.wait(forText: "Server Temp Key: X25519")
        }
    }

    func testGroupX25519() async throws { try await runGroup(.x25519, "X25519", tempKey: "X25519") }
    func testGroupP256() async throws { try await runGroup(.secp256r1, "P-256", tempKey: "ECDH, prime256v1") }
    func testGroupP384() async throws { try await runGroup(.secp384r1, "P-384", tempKey: "ECDH, secp384r1") }
    func testGroupP521() async throws { try await runGroup(.secp521r1, "P-521", tempKey: "ECDH, secp521r1") }

    /// A P-521 server certificate, signed ECDSA with SHA-512, over TLS 1.3 and TLS 1.2.
    func testP521ServerCertificate() async throws {
        for version in ["-tls1_3", "-tls1_2"] {
            try await scenario("P-521 certificate \(version)", clientArguments: [version, "-groups", "P-521"], serverKey: .ecdsaP521) { negotiated, client in
                XCTAssertEqual(negotiated.group, .secp521r1)
                if version == "-tls1_3" { XCTAssertEqual(negotiated.serverSignatureScheme, .ecdsa_secp521r1_sha512) }
                try client.wait(forText: "Server Temp Key: ECDH, secp521r1")
            }
        }
    }

    private func runGroup(_ group: NamedGroup, _ name: String, tempKey: String) async throws {
        try await scenario("group \(name)", clientArguments: ["-groups", name]) { negotiated, client in
            XCTAssertEqual(negotiated.group, group)
            XCTAssertFalse(negotiated.usedHelloRetryRequest)
            try client.wait(forText: "Server Temp Key: \(tempKey)")
        }
    }

    // MARK: HelloRetryRequest

    /// s_client sends a share for P-256 only (its first group); our server only takes X25519.
    func testHelloRetryRequestToX25519() async throws {
        try await scenario(
            "HRR to X25519", clientArguments: ["-groups", "P-256:X25519"],
            configure: { $0.common.supportedGroups = [.x25519] }
        ) { negotiated, client in
            XCTAssertEqual(negotiated.group, .x25519)
            XCTAssertTrue(negotiated.usedHelloRetryRequest)
            try client.wait(forText: "Server Temp Key: X25519")
        }
    }

    /// A P-384 share is acceptable, but enforceGroupPreference asks for our preferred X25519.
    func testHelloRetryRequestForGroupPreference() async throws {
        try await scenario(
            "HRR by preference", clientArguments: ["-groups", "P-384:X25519"],
            configure: { $0.enforceGroupPreference = true }
        ) { negotiated, _ in
            XCTAssertEqual(negotiated.group, .x25519)
            XCTAssertTrue(negotiated.usedHelloRetryRequest)
        }
    }

    /// Without enforceGroupPreference the P-384 share is taken as is.
    func testNoHelloRetryRequestWhenShareAcceptable() async throws {
        try await scenario("no HRR", clientArguments: ["-groups", "P-384:X25519"]) { negotiated, _ in
            XCTAssertEqual(negotiated.group, .secp384r1)
            XCTAssertFalse(negotiated.usedHelloRetryRequest)
        }
    }

    // MARK: Server certificates

    func testECDSAP256Certificate() async throws {
        try await scenario("ECDSA P-256 certificate", clientArguments: [], serverKey: .ecdsaP256) { negotiated, client in
            XCTAssertEqual(negotiated.serverSignatureScheme, .ecdsa_secp256r1_sha256)
            try client.wait(forText: "Peer signature type: ECDSA")
        }
    }

    func testRSA2048Certificate() async throws {
        try await scenario("RSA-2048 certificate", clientArguments: [], serverKey: .rsa2048) { negotiated, client in
            let pss: [SignatureScheme] = [.rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512]
            XCTAssertTrue(
                negotiated.serverSignatureScheme.map(pss.contains) ?? false,
                "RSA in TLS 1.3 must sign with rsa_pss_rsae_*, got \(String(describing: negotiated.serverSignatureScheme))")
            try client.wait(forText: "Peer signature type: RSA-PSS")
        }
    }

    func testEd25519Certificate() async throws {
        try await scenario("Ed25519 certificate", clientArguments: [], serverKey: .ed25519) { negotiated, client in
            XCTAssertEqual(negotiated.serverSignatureScheme, .ed25519)
            try client.wait(forText: "Peer signature type: ed25519")
        }
    }

    // MARK: Mutual authentication

    func testMutualAuthentication() async throws {
        let pki = try InteropPKI.shared()
        try await scenario(
            "mutual authentication",
            clientArguments: ["-cert", pki.clientCertificatePath, "-key", pki.clientKeyPath],
            configure: { $0.clientAuthentication = .required(.trustRoots(try TrustRoots(pemFile: pki.caPath))) }
        ) { negotiated, _ in
            // OpenSSL appends the CA from -CAfile to the client chain (auto-chain), so only the leaf is checked.
            let clientLeaf = try CertificateChain(pemFile: pki.clientCertificatePath).derEncoded[0]
            XCTAssertEqual(negotiated.peerCertificates.first, clientLeaf)
            XCTAssertEqual(negotiated.clientSignatureScheme, .ecdsa_secp256r1_sha256)
        }
    }

    /// .required and s_client has no certificate: we must refuse with certificate_required.
    func testMutualAuthenticationWithoutClientCertificateFails() async throws {
        let pki = try InteropPKI.shared()
        var configuration = try InteropPKI.shared().serverConfiguration(.ecdsaP256)
        configuration.clientAuthentication = .required(.trustRoots(try TrustRoots(pemFile: pki.caPath)))
        let (listener, client) = try OpenSSLProcess.startClient([])
        defer { client.terminate() }
        let server = TLSSocketDriver(connection: try TLSConnection(server: configuration), socket: try listener.accept())
        do {
            try await server.handshake()
            XCTFail("handshake without a client certificate succeeded\n\(client.diagnostics)")
        } catch let error as TLSError {
            XCTAssertEqual(error.alert, .certificateRequired, "\(error)")
            XCTAssertEqual(error.origin, .local)
        }
        server.socket.close()
        // s_client reports the alert (OpenSSL's name for it).
        try client.wait(forText: "certificate required", inStderr: true)
    }

    // MARK: ALPN

    func testALPN() async throws {
        try await scenario(
            "ALPN", clientArguments: ["-alpn", "h2,http/1.1"],
            configure: { $0.common.applicationProtocols = ["h2", "http/1.1"] }
        ) { negotiated, client in
            XCTAssertEqual(negotiated.applicationProtocol, "h2")
            try client.wait(forText: "ALPN protocol: h2")
        }
    }

    func testALPNOnlyCommonProtocol() async throws {
        try await scenario(
            "ALPN http/1.1", clientArguments: ["-alpn", "h2,http/1.1"],
            configure: { $0.common.applicationProtocols = ["http/1.1"] }
        ) { negotiated, client in
            XCTAssertEqual(negotiated.applicationProtocol, "http/1.1")
            try client.wait(forText: "ALPN protocol: http/1.1")
        }
    }

    // MARK: KeyUpdate

    /// We update asking s_client to update too; then s_client's "K" command (update_requested) and "k"
    /// (not requested). Data flows both ways across every update.
    func testKeyUpdate() async throws {
        let (listener, client) = try OpenSSLProcess.startClient([])
        defer { client.terminate() }
        do {
            let server = try await TLSSocketDriver.accept(try InteropPKI.shared().serverConfiguration(.ecdsaP256), on: listener)
            try await server.exchange(withOpenSSLClient: client, bytes: 64 * 1024, seed: 1)

            try await server.updateKeys(requestPeerUpdate: true)
            try await server.exchange(withOpenSSLClient: client, bytes: 64 * 1024, seed: 2)
            XCTAssertEqual(server.count(.keyUpdated(.sent)), 1)
            XCTAssertEqual(server.count(.keyUpdated(.received)), 1, "s_client must answer update_requested")

            // "K" alone on a line: s_client sends KeyUpdate(update_requested) with its next write.
            client.writeToStdin("K\n")
            try client.wait(forText: "KEYUPDATE", inStderr: true)
            try await server.exchange(withOpenSSLClient: client, bytes: 64 * 1024, seed: 3)
            XCTAssertEqual(server.count(.keyUpdated(.received)), 2)
            XCTAssertEqual(server.count(.keyUpdated(.sent)), 2, "we must answer update_requested")

            try await server.closeCleanly(withOpenSSLClient: client)
        } catch {
            throw InteropError("KeyUpdate: \(error)\n\(client.diagnostics)")
        }
    }

    // MARK: Closing

    /// s_client closes first (end of its stdin): we see close_notify and answer it.
    func testClientInitiatedClose() async throws {
        let (listener, client) = try OpenSSLProcess.startClient([])
        defer { client.terminate() }
        do {
            let server = try await TLSSocketDriver.accept(try InteropPKI.shared().serverConfiguration(.ecdsaP256), on: listener)
            try await server.exchange(withOpenSSLClient: client, bytes: 4096, seed: 4)
            client.closeStdin()
            try await server.finishAfterPeerClosed()
            XCTAssertTrue(server.connection.peerClosed)
            XCTAssertTrue(server.events.contains(.peerClosed))
            XCTAssertTrue(client.waitForExit(), "s_client should exit after closing")
        } catch {
            throw InteropError("client-initiated close: \(error)\n\(client.diagnostics)")
        }
    }

    // MARK: - Harness

    /// Starts s_client against our listener, handshakes, runs `check`, exchanges `bulkBytes` both ways and
    /// closes cleanly (we send close_notify, s_client prints "closed" and answers with its own).
    private func scenario(
        _ name: String,
        clientArguments: [String],
        serverKey: InteropPKI.ServerKey = .ecdsaP256,
        bulkBytes: Int = 16 * 1024,
        configure: (inout TLSServerConfiguration) throws -> Void = { _ in },
        check: (NegotiatedParameters, OpenSSLProcess) throws -> Void
    ) async throws {
        var configuration = try InteropPKI.shared().serverConfiguration(serverKey)
        try configure(&configuration)
        let (listener, client) = try OpenSSLProcess.startClient(clientArguments)
        defer { client.terminate() }
        do {
            let server = try await TLSSocketDriver.accept(configuration, on: listener)
            guard let negotiated = server.connection.negotiated else { throw InteropError("no negotiated parameters") }
            // s_client verified our chain for "localhost" (-verify_return_error would have aborted otherwise).
            try client.wait(forText: "Verify return code: 0 (ok)")
            try check(negotiated, client)
            try await server.exchange(withOpenSSLClient: client, bytes: bulkBytes, seed: UInt64(bulkBytes))
            try await server.closeCleanly(withOpenSSLClient: client)
        } catch {
            throw InteropError("\(name): \(error)\n\(client.diagnostics)")
        }
    }
}
