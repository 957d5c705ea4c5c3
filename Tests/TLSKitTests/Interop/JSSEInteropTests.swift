import Foundation
import TLSWire
import XCTest
@testable import TLSKit

/// Against Java's TLS implementation (JSSE, the JDK's `SSLSocket`), a third code base beside OpenSSL and GnuTLS, both
/// directions: TLS 1.3 and TLS 1.2, each with a second connection that resumes; with the legacy opt-in, TLS 1.0 and
/// 1.1 (JSSE has no encrypt-then-MAC, so these run MAC-then-encrypt CBC records against a real peer; ECDHE_RSA at
/// TLS 1.0 has JSSE verify our MD5 ‖ SHA-1 RSA signature); and the default server refusing a TLS 1.0-only JSSE
/// client. The peer is `Tests/Peers/JSSEPeer.java`, run by `java` in source-file mode (scripts/test.sh installs a
/// JDK when there is none; a missing `java` fails these tests, never skips them).
final class JSSEInteropTests: XCTestCase {
    // MARK: - JSSE client → TLSKit server

    func testJavaClientResumesWithTLSKitServerTLS13() async throws {
        assertSecondConnectionResumes(try await serveJavaClient(protocols: "TLSv1.3", connections: 2), .tls13)
    }

    func testJavaClientResumesWithTLSKitServerTLS12() async throws {
        assertSecondConnectionResumes(try await serveJavaClient(protocols: "TLSv1.2", connections: 2), .tls12)
    }

    /// ECDHE_RSA at TLS 1.0: JSSE verifies the server's RSA signature over MD5 ‖ SHA-1; CBC without encrypt-then-MAC.
    func testJavaClientToLegacyTLSKitServerTLS10ECDHERSA() async throws {
        assertLegacyCBC(try await serveJavaClient(protocols: "TLSv1", connections: 1, key: .rsa2048, legacy: true), .tls10,
                        [.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA])
    }

    func testJavaClientToLegacyTLSKitServerTLS11ECDSA() async throws {
        assertLegacyCBC(try await serveJavaClient(protocols: "TLSv1.1", connections: 1, legacy: true), .tls11, Self.ecdsaCBCSuites)
    }

    /// Without the opt-in, a TLS 1.0-only JSSE client gets protocol_version.
    func testDefaultTLSKitServerRefusesJavaTLS10Client() async throws {
        let pki = try InteropPKI.shared()
        let listener = try LoopbackListener()
        let client = try JSSEProcess(["client", "\(listener.port)", pki.caPath, "TLSv1", "1"], in: pki.directory)
        defer { client.terminate() }
        try await TLSSocketDriver.expectDefaultServerRefusal(on: listener, of: client)
        XCTAssertTrue(client.waitForExit(), client.diagnostics)
        XCTAssertNotEqual(client.process.terminationStatus, 0, client.diagnostics)
        XCTAssertFalse(client.stdoutText.contains("REPLY"), client.diagnostics)
    }

    static let ecdsaCBCSuites: [CipherSuite] = [.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA]

    /// Two connections at `version`: a full handshake, then a resumed one; both with the extended master secret
    /// (JSSE sends it; at TLS 1.3 it is always reported true).
    private func assertSecondConnectionResumes(
        _ results: [NegotiatedParameters], _ version: ProtocolVersion, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(results.map(\.version), [version, version], file: file, line: line)
        XCTAssertEqual(results.map(\.resumed), [false, true], file: file, line: line)
        XCTAssertEqual(results.map(\.extendedMasterSecret), [true, true], file: file, line: line)
    }

    /// One legacy connection at `version` with one of `suites`: MAC-then-encrypt (JSSE has no encrypt-then-MAC),
    /// 1/n−1 splitting at TLS 1.0 only, the extended master secret.
    private func assertLegacyCBC(
        _ results: [NegotiatedParameters], _ version: ProtocolVersion, _ suites: [CipherSuite],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard results.count == 1, let negotiated = results.first else {
            return XCTFail("\(results.count) connections, expected one", file: file, line: line)
        }
        XCTAssertEqual(negotiated.version, version, file: file, line: line)
        XCTAssertTrue(suites.contains(negotiated.cipherSuite), "\(negotiated.cipherSuite)", file: file, line: line)
        XCTAssertFalse(negotiated.encryptThenMAC, file: file, line: line)
        XCTAssertEqual(negotiated.recordSplitting, version == .tls10, file: file, line: line)
        XCTAssertTrue(negotiated.extendedMasterSecret, file: file, line: line)
    }

    /// Accepts `connections` connections from the JSSE client: each sends "hello N\n", gets "tlskit:hello N\n" back
    /// and closes. Returns what each connection negotiated, after checking the client read every answer.
    private func serveJavaClient(
        protocols: String, connections: Int, key: InteropPKI.ServerKey = .ecdsaP256, legacy: Bool = false
    ) async throws -> [NegotiatedParameters] {
        let pki = try InteropPKI.shared()
        var configuration = try pki.serverConfiguration(key)
        if legacy {
            configuration.common.insecureLegacyVersions = .downToTLS10
            configuration.common.minimumVersion = .tls10
        }
        let listener = try LoopbackListener()
        let client = try JSSEProcess(["client", "\(listener.port)", pki.caPath, protocols, "\(connections)"], in: pki.directory)
        defer { client.terminate() }
        var results: [NegotiatedParameters] = []
        do {
            for index in 0..<connections {
                let server = try await TLSSocketDriver.accept(configuration, on: listener)
                let line = Array("hello \(index)\n".utf8)
                let received = try await server.receive(count: line.count)
                XCTAssertEqual(received, line)
                try await server.send(Array("tlskit:".utf8) + line)
                try await server.finishAfterPeerClosed()
                results.append(try XCTUnwrap(server.connection.negotiated))
            }
            XCTAssertTrue(client.waitForExit(), "the JSSE client did not exit")
            XCTAssertEqual(client.process.terminationStatus, 0)
            for index in 0..<connections {
                XCTAssertTrue(client.stdoutText.contains("REPLY \(index) tlskit:hello \(index) "), "connection \(index)")
            }
        } catch {
            throw InteropError("JSSE client \(protocols): \(error)\n\(client.diagnostics)")
        }
        return results
    }

    // MARK: - TLSKit client → JSSE server

    func testTLSKitClientResumesWithJavaServerTLS13() async throws {
        assertSecondConnectionResumes(try await connectToJavaServer(protocols: "TLSv1.3", connections: 2), .tls13)
    }

    func testTLSKitClientResumesWithJavaServerTLS12() async throws {
        assertSecondConnectionResumes(try await connectToJavaServer(protocols: "TLSv1.2", connections: 2), .tls12)
    }

    /// TLS 1.0 with ECDHE_ECDSA: 1/n−1 splitting on our side, MAC-then-encrypt (JSSE has no encrypt-then-MAC).
    func testLegacyTLSKitClientToJavaServerTLS10() async throws {
        assertLegacyCBC(try await connectToJavaServer(protocols: "TLSv1", connections: 1, legacy: true), .tls10, Self.ecdsaCBCSuites)
    }

    /// Connects `connections` times (one session cache) to a JSSE server presenting the ECDSA leaf: each sends
    /// "hello\n" and reads "java:hello\n" back, then answers the server's close_notify.
    private func connectToJavaServer(protocols: String, connections: Int, legacy: Bool = false) async throws -> [NegotiatedParameters] {
        let pki = try InteropPKI.shared()
        let keyStore = try JSSEProcess.pkcs12(for: .ecdsaP256)
        let (server, port) = try JSSEProcess.startListening(readyText: "READY") { port in
            try JSSEProcess(["server", "\(port)", keyStore, JSSEProcess.keyStorePassword, protocols, "\(connections)"],
                            in: pki.directory)
        }
        defer { server.terminate() }
        var configuration = try pki.clientConfiguration()
        configuration.sessionCache = ClientSessionCache()
        if legacy {
            configuration.common.insecureLegacyVersions = .downToTLS10
            configuration.common.minimumVersion = .tls10
        }
        var results: [NegotiatedParameters] = []
        do {
            for _ in 0..<connections {
                let client = try await TLSSocketDriver.connect(configuration, port: port)
                try await client.send(Array("hello\n".utf8))
                let answer = try await client.receive(count: 11)
                XCTAssertEqual(answer, Array("java:hello\n".utf8))
                try await client.finishAfterPeerClosed()
                results.append(try XCTUnwrap(client.connection.negotiated))
            }
            XCTAssertTrue(server.waitForExit(), "the JSSE server did not exit")
            XCTAssertEqual(server.process.terminationStatus, 0, server.diagnostics)
        } catch {
            throw InteropError("JSSE server \(protocols): \(error)\n\(server.diagnostics)")
        }
        return results
    }
}

/// `java Tests/Peers/JSSEPeer.java …` as a child process.
final class JSSEProcess: InteropProcess {
    static let peerSource = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Peers/JSSEPeer.java").path
    static let keyStorePassword = "interop"

    init(_ arguments: [String], in directory: URL) throws {
        try super.init(tool: "java", package: "default-jdk-headless", [Self.peerSource] + arguments, in: directory)
    }

    /// The `key` leaf, its key and the CA as a PKCS#12 file for the JSSE server (made once, with openssl).
    static func pkcs12(for key: InteropPKI.ServerKey) throws -> String {
        let pki = try InteropPKI.shared()
        let path = pki.path("\(key.rawValue).p12")
        if !FileManager.default.fileExists(atPath: path) {
            try OpenSSLProcess.run(["pkcs12", "-export", "-in", pki.certificatePath(key), "-inkey", pki.keyPath(key),
                                    "-certfile", pki.caPath, "-out", path, "-passout", "pass:\(keyStorePassword)"],
                                   in: pki.directory)
        }
        return path
    }
}
