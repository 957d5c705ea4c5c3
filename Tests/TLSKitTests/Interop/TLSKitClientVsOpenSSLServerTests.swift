import Foundation
import TLSKit
import XCTest

/// TLSKit client ↔ `openssl s_server`. s_server writes what it receives to its stdout (a file we search) and
/// sends what we write to its stdin. Our client always verifies s_server's chain against the test CA for
/// "localhost".
final class TLSKitClientVsOpenSSLServerTests: XCTestCase {
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
        try await scenario(name, serverArguments: ["-ciphersuites", name], bulkBytes: 1 << 20) { negotiated, server in
            XCTAssertEqual(negotiated.cipherSuite, suite)
            XCTAssertEqual(negotiated.version, .tls13)
            try server.wait(forText: "CIPHER is \(name)")
        }
    }

    // MARK: Groups

    /// Our default ClientHello (X25519MLKEM768 first, shares for it and X25519) against OpenSSL 3.0, which does
    /// not know the hybrid: X25519 without a retry.
    func testDefaultConfiguration() async throws {
        try await scenario("default configuration", serverArguments: []) { negotiated, _ in
            XCTAssertEqual(negotiated.group, .x25519)
            XCTAssertFalse(negotiated.usedHelloRetryRequest)
            XCTAssertEqual(negotiated.serverSignatureScheme, .ecdsa_secp256r1_sha256)
        }
    }

    func testGroupX25519() async throws { try await runGroup(.x25519, "X25519") }
    func testGroupP256() async throws { try await runGroup(.secp256r1, "P-256") }
    func testGroupP384() async throws { try await runGroup(.secp384r1, "P-384") }
    func testGroupP521() async throws { try await runGroup(.secp521r1, "P-521") }

    /// s_server with a P-521 certificate: TLS 1.3 (ecdsa_secp521r1_sha512) and TLS 1.2 (ECDHE-ECDSA on P-521).
    func testP521ServerCertificate() async throws {
        for version in ["-tls1_3", "-tls1_2"] {
            try await scenario("P-521 certificate \(version)", serverArguments: [version, "-groups", "P-521"], serverKey: .ecdsaP521) { negotiated, _ in
                XCTAssertEqual(negotiated.group, .secp521r1)
                XCTAssertEqual(negotiated.version, version == "-tls1_3" ? .tls13 : .tls12)
                if version == "-tls1_3" { XCTAssertEqual(negotiated.serverSignatureScheme, .ecdsa_secp521r1_sha512) }
            }
        }
    }

    /// A key share for exactly the server's only group: no HelloRetryRequest.
    private func runGroup(_ group: NamedGroup, _ name: String) async throws {
        try await scenario(
            "group \(name)", serverArguments: ["-groups", name],
            configure: { $0.keyShareGroups = [group] }
        ) { negotiated, _ in
            XCTAssertEqual(negotiated.group, group)
            XCTAssertFalse(negotiated.usedHelloRetryRequest)
        }
    }

    // MARK: HelloRetryRequest

    /// Default shares (X25519MLKEM768 + X25519) while s_server only takes P-384.
    func testHelloRetryRequestToP384() async throws {
        try await scenario("HRR to P-384", serverArguments: ["-groups", "P-384"]) { negotiated, _ in
            XCTAssertEqual(negotiated.group, .secp384r1)
            XCTAssertTrue(negotiated.usedHelloRetryRequest)
        }
    }

    /// Only an X25519 share while s_server only takes P-256.
    func testHelloRetryRequestToP256() async throws {
        try await scenario(
            "HRR to P-256", serverArguments: ["-groups", "P-256"],
            configure: { $0.keyShareGroups = [.x25519] }
        ) { negotiated, _ in
            XCTAssertEqual(negotiated.group, .secp256r1)
            XCTAssertTrue(negotiated.usedHelloRetryRequest)
        }
    }

    // MARK: Server certificates

    func testECDSAP256Certificate() async throws {
        try await scenario("ECDSA P-256 certificate", serverArguments: [], serverKey: .ecdsaP256) { negotiated, _ in
            XCTAssertEqual(negotiated.serverSignatureScheme, .ecdsa_secp256r1_sha256)
            XCTAssertEqual(negotiated.peerCertificates.count, 1)
        }
    }

    func testRSA2048Certificate() async throws {
        try await scenario("RSA-2048 certificate", serverArguments: [], serverKey: .rsa2048) { negotiated, _ in
            let pss: [SignatureScheme] = [.rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512]
            XCTAssertTrue(
                negotiated.serverSignatureScheme.map(pss.contains) ?? false,
                "RSA in TLS 1.3 must sign with rsa_pss_rsae_*, got \(String(describing: negotiated.serverSignatureScheme))")
        }
    }

    func testEd25519Certificate() async throws {
        try await scenario("Ed25519 certificate", serverArguments: [], serverKey: .ed25519) { negotiated, _ in
            XCTAssertEqual(negotiated.serverSignatureScheme, .ed25519)
        }
    }

    // MARK: Identity

    /// Connecting by IP literal: no SNI is sent and the IP SAN (127.0.0.1) is what gets checked.
    func testIPAddressIdentity() async throws {
        let (server, port) = try OpenSSLProcess.startServer([])
        defer { server.terminate() }
        do {
            let client = try await TLSSocketDriver.connect(try InteropPKI.shared().clientConfiguration(), port: port, serverName: "127.0.0.1")
            XCTAssertEqual(client.connection.negotiated?.cipherSuite, .TLS_AES_128_GCM_SHA256)
            try await client.exchange(withOpenSSLServer: server, bytes: 4096, seed: 6)
            try await client.closeCleanly(withOpenSSLServer: server)
        } catch {
            throw InteropError("IP identity: \(error)\n\(server.diagnostics)")
        }
    }

    /// A name the certificate does not cover is refused with bad_certificate, and s_server hears the alert.
    func testWrongHostnameIsRejected() async throws {
        let (server, port) = try OpenSSLProcess.startServer([])
        defer { server.terminate() }
        do {
            _ = try await TLSSocketDriver.connect(try InteropPKI.shared().clientConfiguration(), port: port, serverName: "not-localhost.example")
            XCTFail("verification of a certificate for localhost succeeded for not-localhost.example")
        } catch let error as TLSError {
            XCTAssertEqual(error.alert, .badCertificate, "\(error)")
            XCTAssertEqual(error.origin, .local)
            try server.wait(forText: "bad certificate", inStderr: true)
        }
    }

    // MARK: Mutual authentication

    /// s_server -Verify 1 insists on a client certificate chaining to the CA.
    func testMutualAuthentication() async throws {
        let pki = try InteropPKI.shared()
        try await scenario(
            "mutual authentication", serverArguments: ["-Verify", "1", "-CAfile", pki.caPath, "-verify_return_error"],
            configure: { $0.certificate = try CertifiedKey(certificatePath: pki.clientCertificatePath, keyPath: pki.clientKeyPath) }
        ) { _, server in
            // s_server prints the verified client chain on stderr.
            try server.wait(forText: "CN = tlskit-interop-client", inStderr: true)
        }
    }

    // MARK: ALPN

    func testALPN() async throws {
        try await scenario(
            "ALPN", serverArguments: ["-alpn", "h2,http/1.1"],
            configure: { $0.common.applicationProtocols = ["h2", "http/1.1"] }
        ) { negotiated, server in
            XCTAssertEqual(negotiated.applicationProtocol, "h2")
            try server.wait(forText: "ALPN protocols selected: h2")
        }
    }

    func testALPNSecondChoice() async throws {
        try await scenario(
            "ALPN http/1.1", serverArguments: ["-alpn", "h2,http/1.1"],
            configure: { $0.common.applicationProtocols = ["http/1.1"] }
        ) { negotiated, _ in
            XCTAssertEqual(negotiated.applicationProtocol, "http/1.1")
        }
    }

    // MARK: KeyUpdate

    /// We update our key asking s_server to update its; then s_server's "K" command updates its key asking us.
    /// Data flows both ways across every update.
    func testKeyUpdate() async throws {
        let (server, port) = try OpenSSLProcess.startServer([])
        defer { server.terminate() }
        do {
            let client = try await TLSSocketDriver.connect(try InteropPKI.shared().clientConfiguration(), port: port)
            try await client.exchange(withOpenSSLServer: server, bytes: 64 * 1024, seed: 1)

            try await client.updateKeys(requestPeerUpdate: true)
            try await client.exchange(withOpenSSLServer: server, bytes: 64 * 1024, seed: 2)
            XCTAssertEqual(client.count(.keyUpdated(.sent)), 1)
            XCTAssertEqual(client.count(.keyUpdated(.received)), 1, "s_server must answer update_requested")

            // s_server's interactive command: KeyUpdate with update_requested.
            server.writeToStdin("K\n")
            try await client.waitFor(count: 2, of: .keyUpdated(.received))
            try await client.run(until: { $0.count(.keyUpdated(.sent)) == 2 && $0.allWritten }, "our answering KeyUpdate")
            try await client.exchange(withOpenSSLServer: server, bytes: 64 * 1024, seed: 3)

            try await client.closeCleanly(withOpenSSLServer: server)
        } catch {
            throw InteropError("KeyUpdate: \(error)\n\(server.diagnostics)")
        }
    }

    // MARK: Closing

    /// s_server closes first: in -rev mode (it answers each line reversed) a "CLOSE" line makes it send
    /// close_notify. We see it and answer with ours.
    func testServerInitiatedClose() async throws {
        let (server, port) = try OpenSSLProcess.startServer(["-rev"])
        defer { server.terminate() }
        do {
            let client = try await TLSSocketDriver.connect(try InteropPKI.shared().clientConfiguration(), port: port)
            try await client.send(Array("hello interop\n".utf8))
            let reversed = try await client.receive(count: 14)
            XCTAssertEqual(String(decoding: reversed, as: UTF8.self), "poretni olleh\n")
            try await client.send(Array("CLOSE\n".utf8))
            try await client.finishAfterPeerClosed()
            XCTAssertTrue(client.connection.peerClosed)
            XCTAssertTrue(client.events.contains(.peerClosed))
            XCTAssertTrue(server.waitForExit(), "s_server -naccept 1 should exit after the connection")
        } catch {
            throw InteropError("server-initiated close: \(error)\n\(server.diagnostics)")
        }
    }

    /// End of s_server's stdin makes it drop the TCP connection without close_notify: that must not look like
    /// a clean close (truncation is detectable).
    func testServerAbortWithoutCloseNotifyIsNotAClose() async throws {
        let (server, port) = try OpenSSLProcess.startServer([])
        defer { server.terminate() }
        do {
            let client = try await TLSSocketDriver.connect(try InteropPKI.shared().clientConfiguration(), port: port)
            try await client.exchange(withOpenSSLServer: server, bytes: 4096, seed: 5)
            server.closeStdin()
            do {
                try await client.run(until: { _ in false }, "the TCP connection to drop")
                XCTFail("expected the TCP connection to drop")
            } catch {
                XCTAssertTrue(client.socketClosedByPeer, "\(error)")
            }
            XCTAssertFalse(client.connection.peerClosed, "no close_notify was sent")
            XCTAssertFalse(client.events.contains(.peerClosed))
        } catch {
            throw InteropError("abort without close_notify: \(error)\n\(server.diagnostics)")
        }
    }

    // MARK: - Harness

    /// Starts s_server, handshakes, runs `check`, exchanges `bulkBytes` both ways and closes cleanly (we send
    /// close_notify, s_server reports "DONE" and answers with its own).
    private func scenario(
        _ name: String,
        serverArguments: [String],
        serverKey: InteropPKI.ServerKey = .ecdsaP256,
        bulkBytes: Int = 16 * 1024,
        configure: (inout TLSClientConfiguration) throws -> Void = { _ in },
        check: (NegotiatedParameters, OpenSSLProcess) throws -> Void
    ) async throws {
        let (server, port) = try OpenSSLProcess.startServer(serverArguments, key: serverKey)
        defer { server.terminate() }
        do {
            var configuration = try InteropPKI.shared().clientConfiguration()
            try configure(&configuration)
            let client = try await TLSSocketDriver.connect(configuration, port: port)
            guard let negotiated = client.connection.negotiated else { throw InteropError("no negotiated parameters") }
            try check(negotiated, server)
            try await client.exchange(withOpenSSLServer: server, bytes: bulkBytes, seed: UInt64(bulkBytes))
            try await client.closeCleanly(withOpenSSLServer: server)
        } catch {
            throw InteropError("\(name): \(error)\n\(server.diagnostics)")
        }
    }
}

extension TLSSocketDriver {
    func count(_ event: TLSEvent) -> Int { events.filter { $0 == event }.count }

    func waitFor(count: Int, of event: TLSEvent) async throws {
        try await run(until: { $0.count(event) >= count }, "\(count) × \(event)")
    }

    /// KeyUpdate, pumped until it is on the wire.
    func updateKeys(requestPeerUpdate: Bool) async throws {
        try connection.updateKeys(requestPeerUpdate: requestPeerUpdate)
        try await run(until: { $0.allWritten }, "our KeyUpdate to be written")
    }
}
