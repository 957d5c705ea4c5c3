import Foundation
import TLSKit
import XCTest

/// TLS 1.2 interoperability (issue 4's matrix), both directions:
/// - `openssl s_client -tls1_2` / `s_server -tls1_2` with each of the six ECDHE AEAD suites (ECDSA P-256 or
///   RSA-2048 leaf as the suite requires), mutual authentication, extended master secret, 64 KiB each way;
/// - `gnutls-cli` / `gnutls-serv` with TLS 1.2 and TLS 1.3;
/// - version negotiation between 1.2-only and 1.2+1.3 configurations;
/// - renegotiation refused without harm (s_client "R", s_server HelloRequest "R");
/// - TLS_FALLBACK_SCSV → inappropriate_fallback;
/// - RSA ServerKeyExchange signatures: rsa_pss_rsae_* and rsa_pkcs1_* accepted, SHA-1 never;
/// - a P-384 server signing SHA-256 under ecdsa_secp256r1_sha256 (TLS 1.2's meaning of the ECDSA schemes).
final class TLS12InteropTests: XCTestCase {
    private static let bulk = 64 * 1024

    /// The six TLS 1.2 suites, with OpenSSL's and GnuTLS's names and the leaf key each needs.
    private struct Suite {
        let suite: CipherSuite
        let openSSLName: String
        let key: InteropPKI.ServerKey
    }

    private static let suites: [String: Suite] = [
        "ECDHE-ECDSA-AES128-GCM": Suite(suite: .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, openSSLName: "ECDHE-ECDSA-AES128-GCM-SHA256", key: .ecdsaP256),
        "ECDHE-ECDSA-AES256-GCM": Suite(suite: .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, openSSLName: "ECDHE-ECDSA-AES256-GCM-SHA384", key: .ecdsaP256),
        "ECDHE-ECDSA-CHACHA20": Suite(suite: .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, openSSLName: "ECDHE-ECDSA-CHACHA20-POLY1305", key: .ecdsaP256),
        "ECDHE-RSA-AES128-GCM": Suite(suite: .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, openSSLName: "ECDHE-RSA-AES128-GCM-SHA256", key: .rsa2048),
        "ECDHE-RSA-AES256-GCM": Suite(suite: .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, openSSLName: "ECDHE-RSA-AES256-GCM-SHA384", key: .rsa2048),
        "ECDHE-RSA-CHACHA20": Suite(suite: .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, openSSLName: "ECDHE-RSA-CHACHA20-POLY1305", key: .rsa2048),
    ]

    // MARK: - openssl s_client -tls1_2 → TLSKit server (default 1.2+1.3 configuration), each suite

    func testOpenSSLClientECDHE_ECDSA_AES128GCM() async throws { try await openSSLClientSuite("ECDHE-ECDSA-AES128-GCM") }
    func testOpenSSLClientECDHE_ECDSA_AES256GCM() async throws { try await openSSLClientSuite("ECDHE-ECDSA-AES256-GCM") }
    func testOpenSSLClientECDHE_ECDSA_ChaCha20() async throws { try await openSSLClientSuite("ECDHE-ECDSA-CHACHA20") }
    func testOpenSSLClientECDHE_RSA_AES128GCM() async throws { try await openSSLClientSuite("ECDHE-RSA-AES128-GCM") }
    func testOpenSSLClientECDHE_RSA_AES256GCM() async throws { try await openSSLClientSuite("ECDHE-RSA-AES256-GCM") }
    func testOpenSSLClientECDHE_RSA_ChaCha20() async throws { try await openSSLClientSuite("ECDHE-RSA-CHACHA20") }

    /// Mutual authentication (s_client presents the ECDSA client leaf, we require it), EMS, secure
    /// renegotiation signalling, 64 KiB each way, clean close.
    private func openSSLClientSuite(_ id: String) async throws {
        let suite = try XCTUnwrap(Self.suites[id])
        let pki = try InteropPKI.shared()
        var configuration = try pki.serverConfiguration(suite.key)
        configuration.clientAuthentication = .required(.trustRoots(try TrustRoots(pemFile: pki.caPath)))
        try await withOpenSSLClient(
            id, ["-tls1_2", "-cipher", suite.openSSLName, "-cert", pki.clientCertificatePath, "-key", pki.clientKeyPath],
            configuration
        ) { server, client in
            let negotiated = try XCTUnwrap(server.connection.negotiated)
            XCTAssertEqual(negotiated.version, .tls12)
            XCTAssertEqual(negotiated.cipherSuite, suite.suite)
            XCTAssertEqual(negotiated.clientSignatureScheme, .ecdsa_secp256r1_sha256)
            XCTAssertTrue(negotiated.extendedMasterSecret)
            XCTAssertEqual(negotiated.peerCertificates.first, try CertificateChain(pemFile: pki.clientCertificatePath).derEncoded[0])
            try client.wait(forText: "New, TLSv1.2, Cipher is \(suite.openSSLName)")
            try client.wait(forText: "Protocol  : TLSv1.2")
            try client.wait(forText: "Extended master secret: yes")
            try client.wait(forText: "Secure Renegotiation IS supported")
            try await server.exchange(withOpenSSLClient: client, bytes: Self.bulk, seed: 12)
            try await server.closeCleanly(withOpenSSLClient: client)
        }
    }

    // MARK: - TLSKit client (default 1.2+1.3 configuration) → openssl s_server -tls1_2, each suite

    func testOpenSSLServerECDHE_ECDSA_AES128GCM() async throws { try await openSSLServerSuite("ECDHE-ECDSA-AES128-GCM") }
    func testOpenSSLServerECDHE_ECDSA_AES256GCM() async throws { try await openSSLServerSuite("ECDHE-ECDSA-AES256-GCM") }
    func testOpenSSLServerECDHE_ECDSA_ChaCha20() async throws { try await openSSLServerSuite("ECDHE-ECDSA-CHACHA20") }
    func testOpenSSLServerECDHE_RSA_AES128GCM() async throws { try await openSSLServerSuite("ECDHE-RSA-AES128-GCM") }
    func testOpenSSLServerECDHE_RSA_AES256GCM() async throws { try await openSSLServerSuite("ECDHE-RSA-AES256-GCM") }
    func testOpenSSLServerECDHE_RSA_ChaCha20() async throws { try await openSSLServerSuite("ECDHE-RSA-CHACHA20") }

    /// s_server -Verify 1 insists on our client certificate; EMS is negotiated (our client offers it, s_server
    /// answers it).
    private func openSSLServerSuite(_ id: String) async throws {
        let suite = try XCTUnwrap(Self.suites[id])
        let pki = try InteropPKI.shared()
        var configuration = try pki.clientConfiguration()
        configuration.certificate = try pki.clientIdentity()
        // s_server's protocol trace (-msg) goes to a file of its own, so it cannot split the data in its stdout.
        let trace = pki.path("s_server-msg-\(UUID().uuidString.prefix(8)).txt")
        defer { try? FileManager.default.removeItem(atPath: trace) }
        try await withOpenSSLServer(
            id, ["-tls1_2", "-cipher", suite.openSSLName, "-Verify", "1", "-CAfile", pki.caPath, "-verify_return_error",
                 "-msg", "-msgfile", trace],
            key: suite.key, configuration
        ) { client, server in
            let negotiated = try XCTUnwrap(client.connection.negotiated)
            XCTAssertEqual(negotiated.version, .tls12)
            XCTAssertEqual(negotiated.cipherSuite, suite.suite)
            XCTAssertEqual(negotiated.clientSignatureScheme, .ecdsa_secp256r1_sha256)
            XCTAssertTrue(negotiated.extendedMasterSecret)
            try server.wait(forText: "CIPHER is \(suite.openSSLName)")
            try server.wait(forText: "Secure Renegotiation IS supported")
            try server.wait(forText: "CN = tlskit-interop-client", inStderr: true)
            try await client.exchange(withOpenSSLServer: server, bytes: Self.bulk, seed: 21)
            try await client.closeCleanly(withOpenSSLServer: server)
            // s_server has exited, so its trace is flushed: it sent a TLS 1.2 ServerHello.
            let lines = (try String(contentsOfFile: trace, encoding: .utf8)).components(separatedBy: "\n")
            XCTAssertTrue(lines.contains { $0.hasPrefix(">>> TLS 1.2, Handshake") && $0.hasSuffix(", ServerHello") },
                          "s_server's trace shows no TLS 1.2 ServerHello")
        }
    }

    // MARK: - Version negotiation with openssl

    /// A 1.2-only s_client against our default (1.2+1.3) server.
    func testOpenSSL12OnlyClientAgainstDefaultServer() async throws {
        try await withOpenSSLClient("1.2-only s_client", ["-tls1_2"], try InteropPKI.shared().serverConfiguration(.ecdsaP256)) { server, client in
            XCTAssertEqual(server.connection.negotiated?.version, .tls12)
            try client.wait(forText: "Protocol  : TLSv1.2")
            try await server.exchange(withOpenSSLClient: client, bytes: 4096, seed: 31)
            try await server.closeCleanly(withOpenSSLClient: client)
        }
    }

    /// Our default client (offers 1.3 too) against a 1.2-only s_server: 1.2, and no downgrade sentinel trips
    /// (s_server -tls1_2 does not support 1.3, so it sets none).
    func testDefaultClientAgainstOpenSSL12OnlyServer() async throws {
        try await withOpenSSLServer("1.2-only s_server", ["-tls1_2"], try InteropPKI.shared().clientConfiguration()) { client, server in
            XCTAssertEqual(client.connection.negotiated?.version, .tls12)
            XCTAssertEqual(client.connection.negotiated?.cipherSuite, .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
            try await client.exchange(withOpenSSLServer: server, bytes: 4096, seed: 32)
            try await client.closeCleanly(withOpenSSLServer: server)
        }
    }

    /// Our 1.2-only client against default s_server (1.2+1.3): 1.2. s_server puts the downgrade sentinel in its
    /// random; we did not offer 1.3, so it must not be taken as an attack.
    func testTLS12OnlyClientAgainstDefaultOpenSSLServer() async throws {
        var configuration = try InteropPKI.shared().clientConfiguration()
        configuration.common.maximumVersion = .tls12
        try await withOpenSSLServer("1.2-only client", [], configuration) { client, server in
            XCTAssertEqual(client.connection.negotiated?.version, .tls12)
            try await client.exchange(withOpenSSLServer: server, bytes: 4096, seed: 33)
            try await client.closeCleanly(withOpenSSLServer: server)
        }
    }

    /// Our 1.2-only server against default s_client (1.2+1.3): 1.2, and s_client finds no downgrade sentinel.
    func testTLS12OnlyServerAgainstDefaultOpenSSLClient() async throws {
        var configuration = try InteropPKI.shared().serverConfiguration(.ecdsaP256)
        configuration.common.maximumVersion = .tls12
        try await withOpenSSLClient("1.2-only server", [], configuration) { server, client in
            XCTAssertEqual(server.connection.negotiated?.version, .tls12)
            try client.wait(forText: "Protocol  : TLSv1.2")
            try await server.exchange(withOpenSSLClient: client, bytes: 4096, seed: 34)
            try await server.closeCleanly(withOpenSSLClient: client)
        }
    }

    // MARK: - TLS_FALLBACK_SCSV

    /// s_client -tls1_2 -fallback_scsv tells our 1.2+1.3 server it fell back: inappropriate_fallback (RFC 7507).
    func testFallbackSCSVIsRefused() async throws {
        let (listener, client) = try OpenSSLProcess.startClient(["-tls1_2", "-fallback_scsv"])
        defer { client.terminate() }
        do {
            _ = try await TLSSocketDriver.accept(try InteropPKI.shared().serverConfiguration(.ecdsaP256), on: listener)
            XCTFail("a fallback ClientHello was accepted by a server supporting TLS 1.3\n\(client.diagnostics)")
        } catch let error as TLSError {
            XCTAssertEqual(error.alert, .inappropriateFallback, "\(error)")
            XCTAssertEqual(error.origin, .local)
        }
        try client.wait(forText: "inappropriate fallback", inStderr: true)
    }

    /// The same ClientHello is fine for a server whose best version is 1.2: no fallback happened.
    func testFallbackSCSVAcceptedByTLS12OnlyServer() async throws {
        var configuration = try InteropPKI.shared().serverConfiguration(.ecdsaP256)
        configuration.common.maximumVersion = .tls12
        try await withOpenSSLClient("fallback to a 1.2-only server", ["-tls1_2", "-fallback_scsv"], configuration) { server, client in
            XCTAssertEqual(server.connection.negotiated?.version, .tls12)
            try await server.exchange(withOpenSSLClient: client, bytes: 4096, seed: 35)
            try await server.closeCleanly(withOpenSSLClient: client)
        }
    }

    // MARK: - Renegotiation refused without harm

    /// RFC 5705 exporters against OpenSSL: `s_client -keymatexport` exports with no context, which in TLS 1.2 is not
    /// the same as an empty context; in TLS 1.3 both are the same (RFC 8446 §7.5).
    func testExporterWithoutContextMatchesOpenSSL() async throws {
        for version in ["-tls1_2", "-tls1_3"] {
            let (listener, client) = try OpenSSLProcess.startClient(
                [version, "-keymatexport", "EXPORTER-tlskit-interop", "-keymatexportlen", "32"])
            defer { client.terminate() }
            do {
                let server = try await TLSSocketDriver.accept(try InteropPKI.shared().serverConfiguration(.ecdsaP256), on: listener)
                try client.wait(forText: "Keying material: ")
                let noContext = try server.connection.exportKeyingMaterial(label: "EXPORTER-tlskit-interop", context: nil, length: 32)
                let emptyContext = try server.connection.exportKeyingMaterial(label: "EXPORTER-tlskit-interop", context: [], length: 32)
                let expected = noContext.map { String(format: "%02X", $0) }.joined()
                XCTAssertTrue(client.stdoutText.uppercased().contains("KEYING MATERIAL: \(expected)"),
                              "\(version): s_client exported something else:\n\(client.stdoutText)")
                if version == "-tls1_2" {
                    XCTAssertNotEqual(noContext, emptyContext, "TLS 1.2: no context and an empty context must differ")
                } else {
                    XCTAssertEqual(noContext, emptyContext)
                }
            } catch {
                throw InteropError("s_client -keymatexport \(version): \(error)\n\(client.diagnostics)")
            }
        }
    }

    /// s_client's "R" command starts a renegotiation: a new ClientHello on the established connection. We answer
    /// with a no_renegotiation warning and keep our parameters. OpenSSL treats a refused renegotiation it asked
    /// for as fatal: it sends handshake_failure and closes (ssl3_read_bytes: "no renegotiation").
    func testRenegotiationRequestedByOpenSSLClientIsRefused() async throws {
        let (listener, client) = try OpenSSLProcess.startClient(["-tls1_2"])
        defer { client.terminate() }
        do {
            let server = try await TLSSocketDriver.accept(try InteropPKI.shared().serverConfiguration(.ecdsaP256), on: listener)
            let before = try XCTUnwrap(server.connection.negotiated)
            XCTAssertEqual(before.version, .tls12)
            try await server.exchange(withOpenSSLClient: client, bytes: 4096, seed: 41)

            client.writeToStdin("R\n")
            try client.wait(forText: "RENEGOTIATING", inStderr: true)
            // SSL_renegotiate only marks the connection: the ClientHello goes out with s_client's next SSL_write.
            // (Data from us would not do: OpenSSL refuses application data while it waits for a ServerHello.)
            client.writeToStdin(interopPayload(count: 64, seed: 43, alphabet: commandFreeAlphabet) + [0x0A])
            let outcome = try await Self.reaction(of: server, to: client)
            XCTAssertEqual(server.connection.negotiated, before, "the parameters changed: a renegotiation happened")
            XCTAssertEqual(server.count(.handshakeCompleted), 1, "a second handshake completed")
            try client.wait(forText: "no renegotiation", inStderr: true)
            XCTAssertEqual(outcome?.alert, .handshakeFailure, "expected OpenSSL to abort with handshake_failure")
            XCTAssertEqual(outcome?.origin, .peer)
        } catch {
            throw InteropError("s_client renegotiation: \(error)\n\(client.diagnostics)")
        }
    }

    /// s_server's "R" command sends a HelloRequest. Our client answers no_renegotiation and keeps its
    /// parameters; OpenSSL, whose renegotiation was refused, aborts with handshake_failure.
    func testHelloRequestFromOpenSSLServerIsRefused() async throws {
        let (server, port) = try OpenSSLProcess.startServer(["-tls1_2"])
        defer { server.terminate() }
        do {
            let client = try await TLSSocketDriver.connect(try InteropPKI.shared().clientConfiguration(), port: port)
            let before = try XCTUnwrap(client.connection.negotiated)
            XCTAssertEqual(before.version, .tls12)
            try await client.exchange(withOpenSSLServer: server, bytes: 4096, seed: 42)

            // s_server's "R": SSL_renegotiate + SSL_do_handshake, which sends the HelloRequest right away.
            server.writeToStdin("R\n")
            let outcome = try await Self.reaction(of: client, to: server)
            XCTAssertEqual(client.connection.negotiated, before, "the parameters changed: a renegotiation happened")
            XCTAssertEqual(client.count(.handshakeCompleted), 1, "a second handshake completed")
            try server.wait(forText: "no renegotiation", inStderr: true)
            XCTAssertEqual(outcome?.alert, .handshakeFailure, "expected OpenSSL to abort with handshake_failure")
            XCTAssertEqual(outcome?.origin, .peer)
        } catch {
            throw InteropError("s_server HelloRequest: \(error)\n\(server.diagnostics)")
        }
    }

    /// gnutls-serv's echo command "**REHANDSHAKE**" sends a HelloRequest. Our client answers no_renegotiation
    /// and keeps its parameters; GnuTLS accepts the refusal ("Received NO_RENEGOTIATION alert. Client does not
    /// support renegotiation.") and the connection keeps working.
    func testHelloRequestFromGnuTLSServerIsRefused() async throws {
        let (server, port) = try GnuTLSProcess.startEchoServer(versions: ["TLS1.2"])
        defer { server.terminate() }
        do {
            let client = try await TLSSocketDriver.connect(try InteropPKI.shared().clientConfiguration(), port: port)
            let before = try XCTUnwrap(client.connection.negotiated)
            XCTAssertEqual(before.version, .tls12)

            try await client.send(Array("**REHANDSHAKE**\n".utf8))
            let after = interopPayload(count: 4096, seed: 44, alphabet: commandFreeAlphabet)
            try await client.send(after)
            // The echo of the command line may or may not come back; the data after it must.
            try await client.run(until: { $0.received.count >= after.count && Array($0.received.suffix(after.count)) == after },
                                 "the echo after the refused renegotiation")
            XCTAssertEqual(client.connection.negotiated, before, "the parameters changed: a renegotiation happened")
            XCTAssertEqual(client.count(.handshakeCompleted), 1, "a second handshake completed")
            try server.wait(forText: "Received NO_RENEGOTIATION alert")
            // After the refused rehandshake gnutls-serv answers our close_notify by closing the TCP connection
            // (without a close_notify of its own, unlike after a plain session).
            client.connection.close()
            try await client.run(until: { $0.allWritten && ($0.connection.peerClosed || $0.socketClosedByPeer) },
                                 "gnutls-serv to close")
        } catch {
            throw InteropError("gnutls-serv rehandshake: \(error)\n\(server.diagnostics)")
        }
    }

    /// Pumps `driver` until the peer process exits or drops the connection (bounded); returns the alert that
    /// ended the connection, nil if it ended without one.
    private static func reaction(of driver: TLSSocketDriver, to peer: InteropProcess) async throws -> TLSError? {
        do {
            try await driver.run(
                until: { $0.socketClosedByPeer || !peer.process.isRunning }, "the peer's reaction to the refusal")
            return nil
        } catch let error as TLSError {
            return error
        }
    }

    // MARK: - RSA ServerKeyExchange signatures (our client, s_server -tls1_2 with the RSA-2048 leaf)

    /// s_server signs ServerKeyExchange with the scheme `-sigalgs` allows: PSS (rsae) and PKCS#1 v1.5 with
    /// SHA-256/384/512 are all accepted, and our ClientHello never offers SHA-1.
    func testRSAServerKeyExchangeSignatures() async throws {
        let cases: [(String, SignatureScheme)] = [
            ("rsa_pss_rsae_sha256", .rsa_pss_rsae_sha256), ("rsa_pss_rsae_sha384", .rsa_pss_rsae_sha384),
            ("rsa_pss_rsae_sha512", .rsa_pss_rsae_sha512),
            ("RSA+SHA256", .rsa_pkcs1_sha256), ("RSA+SHA384", .rsa_pkcs1_sha384), ("RSA+SHA512", .rsa_pkcs1_sha512),
        ]
        for (name, scheme) in cases {
            try await withOpenSSLServer(
                "ServerKeyExchange \(name)", ["-tls1_2", "-sigalgs", name], key: .rsa2048,
                try InteropPKI.shared().clientConfiguration()
            ) { client, server in
                XCTAssertEqual(client.connection.negotiated?.version, .tls12)
                XCTAssertEqual(client.connection.negotiated?.serverSignatureScheme, scheme, name)
                // s_server lists the signature algorithms of our ClientHello.
                try server.wait(forText: "\nSignature Algorithms: ")
                let offered = server.stdoutText.components(separatedBy: "\n").first { $0.hasPrefix("Signature Algorithms: ") } ?? ""
                XCTAssertFalse(offered.contains("SHA1"), "our ClientHello offers SHA-1: \(offered)")
                try await client.exchange(withOpenSSLServer: server, bytes: 1024, seed: 51)
                try await client.closeCleanly(withOpenSSLServer: server)
            }
        }
    }

    /// A P-384 server key in TLS 1.2: s_server signs ServerKeyExchange with the first ECDSA scheme our ClientHello lists,
    /// ecdsa_secp256r1_sha256, i.e. SHA-256 on P-384, which TLS 1.2 allows (the scheme names only the hash there,
    /// RFC 5246 §7.4.1.4.1, RFC 8422 §5.10). Asking s_server for SHA-384 gives the curve-matched pair; both work.
    func testECDSAP384ServerSigningWithEitherHash() async throws {
        for (sigalgs, scheme) in [(nil, SignatureScheme.ecdsa_secp256r1_sha256), ("ECDSA+SHA384", .ecdsa_secp384r1_sha384)] {
            let arguments = ["-tls1_2"] + (sigalgs.map { ["-sigalgs", $0] } ?? [])
            try await withOpenSSLServer(
                "P-384 ServerKeyExchange \(sigalgs ?? "default")", arguments, key: .ecdsaP384,
                try InteropPKI.shared().clientConfiguration()
            ) { client, server in
                XCTAssertEqual(client.connection.negotiated?.version, .tls12)
                XCTAssertEqual(client.connection.negotiated?.serverSignatureScheme, scheme)
                try await client.exchange(withOpenSSLServer: server, bytes: 1024, seed: 53)
                try await client.closeCleanly(withOpenSSLServer: server)
            }
        }
    }

    /// A server that can only sign with SHA-1 (and whose security level allows it) finds nothing in common with
    /// us: the handshake fails, nothing is negotiated.
    func testRSAServerKeyExchangeSHA1IsNeverUsed() async throws {
        let (server, port) = try OpenSSLProcess.startServer(
            ["-tls1_2", "-sigalgs", "RSA+SHA1", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"], key: .rsa2048)
        defer { server.terminate() }
        do {
            let client = try await TLSSocketDriver.connect(try InteropPKI.shared().clientConfiguration(), port: port)
            XCTFail("handshake succeeded with \(String(describing: client.connection.negotiated))\n\(server.diagnostics)")
        } catch let error as TLSError {
            XCTAssertEqual(error.alert, .handshakeFailure, "\(error)\n\(server.diagnostics)")
            XCTAssertEqual(error.origin, .peer)
            // OpenSSL: "tls1_set_server_sigalgs:no shared signature algorithms" (our ClientHello offers no SHA-1).
            try server.wait(forText: "no shared signature algorithms", inStderr: true)
        }
    }

    // MARK: - GnuTLS

    func testGnuTLSClientTLS12() async throws {
        try await gnuTLSClient(versions: ["TLS1.2"], expected: .tls12, description: "(TLS1.2-X.509)")
    }

    func testGnuTLSClientTLS13() async throws {
        try await gnuTLSClient(versions: ["TLS1.3"], expected: .tls13, description: "(TLS1.3-X.509)")
    }

    func testGnuTLSServerTLS12() async throws {
        try await gnuTLSServer(versions: ["TLS1.2"], expected: .tls12, version: "- Version: TLS1.2")
    }

    func testGnuTLSServerTLS13() async throws {
        try await gnuTLSServer(versions: ["TLS1.3"], expected: .tls13, version: "- Version: TLS1.3")
    }

    /// gnutls-cli (only `versions` in its priority) → our default server. gnutls-cli sends its stdin (text: it
    /// is a line-oriented tool) and prints what it receives; it closes (close_notify) at the end of its stdin.
    private func gnuTLSClient(versions: [String], expected: ProtocolVersion, description: String) async throws {
        let (listener, client) = try GnuTLSProcess.startClient(versions: versions)
        defer { client.terminate() }
        do {
            let server = try await TLSSocketDriver.accept(try InteropPKI.shared().serverConfiguration(.ecdsaP256), on: listener)
            XCTAssertEqual(server.connection.negotiated?.version, expected)
            try client.wait(forText: "- Status: The certificate is trusted.")
            try client.wait(forText: "- Description: \(description)")
            if expected == .tls12 { try client.wait(forText: "extended master secret, safe renegotiation") }

            let toServer = interopPayload(count: Self.bulk, seed: 61, alphabet: commandFreeAlphabet)
            client.writeToStdin(toServer)
            assertSameBytes(try await server.receive(count: Self.bulk), toServer, "data from gnutls-cli")
            let toClient = interopPayload(count: Self.bulk, seed: 62)
            try await server.send(toClient)
            try client.wait(for: "receiving \(Self.bulk) bytes") { $0.containsContiguous(toClient) }

            client.closeStdin()
            try await server.finishAfterPeerClosed()
            XCTAssertTrue(server.events.contains(.peerClosed))
            XCTAssertTrue(client.waitForExit(), "gnutls-cli should exit after closing")
        } catch {
            throw InteropError("gnutls-cli \(versions): \(error)\n\(client.diagnostics)")
        }
    }

    /// Our default client → gnutls-serv --echo (only `versions` in its priority): 64 KiB go out and come back.
    private func gnuTLSServer(versions: [String], expected: ProtocolVersion, version: String) async throws {
        let (server, port) = try GnuTLSProcess.startEchoServer(versions: versions)
        defer { server.terminate() }
        do {
            let client = try await TLSSocketDriver.connect(try InteropPKI.shared().clientConfiguration(), port: port)
            XCTAssertEqual(client.connection.negotiated?.version, expected)
            // Text: the echo is string-based.
            let payload = interopPayload(count: Self.bulk, seed: 71, alphabet: commandFreeAlphabet)
            try await client.send(payload)
            assertSameBytes(try await client.receive(count: Self.bulk), payload, "echo from gnutls-serv")
            try server.wait(forText: version)
            if expected == .tls12 { try server.wait(forText: "extended master secret, safe renegotiation") }
            try await client.closeAndWaitForPeer()
            XCTAssertTrue(client.events.contains(.peerClosed))
        } catch {
            throw InteropError("gnutls-serv \(versions): \(error)\n\(server.diagnostics)")
        }
    }

    // MARK: - Harness

    /// Our server with `configuration` accepts `openssl s_client arguments…`; `body` runs on the established
    /// connection.
    private func withOpenSSLClient(
        _ name: String, _ arguments: [String], _ configuration: TLSServerConfiguration,
        _ body: (TLSSocketDriver, OpenSSLProcess) async throws -> Void
    ) async throws {
        let (listener, client) = try OpenSSLProcess.startClient(arguments)
        defer { client.terminate() }
        do {
            let server = try await TLSSocketDriver.accept(configuration, on: listener)
            // s_client verified our chain for "localhost" (-verify_return_error would have aborted otherwise).
            try client.wait(forText: "Verify return code: 0 (ok)")
            try await body(server, client)
        } catch {
            throw InteropError("\(name): \(error)\n\(client.diagnostics)")
        }
    }

    /// Our client with `configuration` connects to `openssl s_server arguments…` presenting the `key` leaf.
    private func withOpenSSLServer(
        _ name: String, _ arguments: [String], key: InteropPKI.ServerKey = .ecdsaP256,
        _ configuration: TLSClientConfiguration, _ body: (TLSSocketDriver, OpenSSLProcess) async throws -> Void
    ) async throws {
        let (server, port) = try OpenSSLProcess.startServer(arguments, key: key)
        defer { server.terminate() }
        do {
            let client = try await TLSSocketDriver.connect(configuration, port: port)
            try await body(client, server)
        } catch {
            throw InteropError("\(name): \(error)\n\(server.diagnostics)")
        }
    }
}
