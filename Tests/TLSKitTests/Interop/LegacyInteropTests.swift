import Foundation
import TLSWire
import XCTest
@testable import TLSKit

/// TLS 1.0 and TLS 1.1 against openssl (issue 17), only with the `insecureLegacyVersions` opt-in:
/// - TLSKit client → `openssl s_server -tls1 / -tls1_1 -cipher '…@SECLEVEL=0'` with each ECDHE_ECDSA AES-CBC-SHA
///   suite, and with an RSA-2048 leaf static RSA key exchange (AES128-SHA, AES256-SHA, also at -tls1_2 with the GCM
///   and SHA-256 ones): our TLS 1.0/1.1 client does not offer ECDHE_RSA (it cannot verify RSA over MD5 ‖ SHA-1);
///   application data both ways, clean close;
/// - the default client (no opt-in) is refused by a TLS 1.1-only s_server (protocol_version);
/// - `openssl s_client -tls1 / -tls1_1 -cipher '…@SECLEVEL=0'` → TLSKit server with the opt-in, each suite, data both
///   ways; the default server refuses them (protocol_version);
/// - MAC-then-encrypt (s_server -no_etm) and the TLS 1.2 SHA-256 CBC suites with the opt-in.
final class LegacyInteropTests: XCTestCase {
    private static let bulk = 20 * 1024

    private struct Suite {
        let suite: CipherSuite
        let openSSLName: String
        let key: InteropPKI.ServerKey
    }

    private static let suites: [String: Suite] = [
        "ECDHE-ECDSA-AES128-SHA": Suite(suite: .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, openSSLName: "ECDHE-ECDSA-AES128-SHA", key: .ecdsaP256),
        "ECDHE-ECDSA-AES256-SHA": Suite(suite: .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, openSSLName: "ECDHE-ECDSA-AES256-SHA", key: .ecdsaP256),
        "ECDHE-RSA-AES128-SHA": Suite(suite: .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, openSSLName: "ECDHE-RSA-AES128-SHA", key: .rsa2048),
        "ECDHE-RSA-AES256-SHA": Suite(suite: .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, openSSLName: "ECDHE-RSA-AES256-SHA", key: .rsa2048),
        "AES128-SHA": Suite(suite: .TLS_RSA_WITH_AES_128_CBC_SHA, openSSLName: "AES128-SHA", key: .rsa2048),
        "AES256-SHA": Suite(suite: .TLS_RSA_WITH_AES_256_CBC_SHA, openSSLName: "AES256-SHA", key: .rsa2048),
        "AES128-SHA256": Suite(suite: .TLS_RSA_WITH_AES_128_CBC_SHA256, openSSLName: "AES128-SHA256", key: .rsa2048),
        "AES128-GCM-SHA256": Suite(suite: .TLS_RSA_WITH_AES_128_GCM_SHA256, openSSLName: "AES128-GCM-SHA256", key: .rsa2048),
        "AES256-GCM-SHA384": Suite(suite: .TLS_RSA_WITH_AES_256_GCM_SHA384, openSSLName: "AES256-GCM-SHA384", key: .rsa2048),
    ]

    /// A client allowing TLS 1.0 (and so 1.1); everything else default (TLS 1.3 and 1.2 still offered).
    private static func legacyClientConfiguration() throws -> TLSClientConfiguration {
        var configuration = try InteropPKI.shared().clientConfiguration()
        configuration.common.insecureLegacyVersions = .downToTLS10
        configuration.common.minimumVersion = .tls10
        return configuration
    }

    // MARK: - TLSKit client → openssl s_server -tls1 / -tls1_1

    func testTLS10ServerECDHE_ECDSA_AES128_SHA() async throws { try await openSSLServer(.tls10, "ECDHE-ECDSA-AES128-SHA") }
    func testTLS10ServerECDHE_ECDSA_AES256_SHA() async throws { try await openSSLServer(.tls10, "ECDHE-ECDSA-AES256-SHA") }
    func testTLS10ServerRSA_AES128_SHA() async throws { try await openSSLServer(.tls10, "AES128-SHA") }
    func testTLS10ServerRSA_AES256_SHA() async throws { try await openSSLServer(.tls10, "AES256-SHA") }
    func testTLS11ServerECDHE_ECDSA_AES128_SHA() async throws { try await openSSLServer(.tls11, "ECDHE-ECDSA-AES128-SHA") }
    func testTLS11ServerECDHE_ECDSA_AES256_SHA() async throws { try await openSSLServer(.tls11, "ECDHE-ECDSA-AES256-SHA") }
    func testTLS11ServerRSA_AES128_SHA() async throws { try await openSSLServer(.tls11, "AES128-SHA") }
    func testTLS11ServerRSA_AES256_SHA() async throws { try await openSSLServer(.tls11, "AES256-SHA") }
    func testTLS12ServerRSA_AES128_SHA() async throws { try await openSSLServer(.tls12, "AES128-SHA") }
    func testTLS12ServerRSA_AES256_SHA() async throws { try await openSSLServer(.tls12, "AES256-SHA") }
    func testTLS12ServerRSA_AES128_SHA256() async throws { try await openSSLServer(.tls12, "AES128-SHA256") }
    func testTLS12ServerRSA_AES128_GCM_SHA256() async throws { try await openSSLServer(.tls12, "AES128-GCM-SHA256") }
    func testTLS12ServerRSA_AES256_GCM_SHA384() async throws { try await openSSLServer(.tls12, "AES256-GCM-SHA384") }

    /// An ECDHE_RSA-only TLS 1.0 s_server: our client offers no suite it can take (handshake_failure from openssl).
    func testTLS10ServerWithOnlyECDHE_RSAHasNoCommonSuite() async throws {
        let (server, port) = try OpenSSLProcess.startServer(["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"], key: .rsa2048)
        defer { server.terminate() }
        do {
            _ = try await TLSSocketDriver.connect(try Self.legacyClientConfiguration(), port: port)
            XCTFail("connected to an ECDHE_RSA-only TLS 1.0 server\n\(server.diagnostics)")
        } catch let error as TLSError {
            XCTAssertEqual(error.cause, .alertReceived(.handshakeFailure), "\(error)")
        }
    }

    /// Extended master secret and secure renegotiation as in TLS 1.2; encrypt-then-MAC negotiated for CBC (s_server
    /// does it by default); 20 KiB each way (TLS 1.0: our writes go out split 1/n−1).
    private func openSSLServer(_ version: ProtocolVersion, _ id: String) async throws {
        let suite = try XCTUnwrap(Self.suites[id])
        let flag = [ProtocolVersion.tls10: "-tls1", .tls11: "-tls1_1"][version] ?? "-tls1_2"
        let (server, port) = try OpenSSLProcess.startServer([flag, "-cipher", "\(suite.openSSLName):@SECLEVEL=0"], key: suite.key)
        defer { server.terminate() }
        do {
            let client = try await TLSSocketDriver.connect(try Self.legacyClientConfiguration(), port: port)
            let negotiated = try XCTUnwrap(client.connection.negotiated)
            XCTAssertEqual(negotiated.version, version)
            XCTAssertEqual(negotiated.cipherSuite, suite.suite)
            XCTAssertTrue(negotiated.extendedMasterSecret)
            XCTAssertNil(negotiated.serverSignatureScheme)
            if TLS12SuiteParameters(suite.suite)?.keyExchange == .rsa { XCTAssertNil(negotiated.group) }
            let isCBC = TLS12SuiteParameters(suite.suite)?.isCBC == true
            XCTAssertEqual(negotiated.encryptThenMAC, isCBC)
            XCTAssertEqual(negotiated.recordSplitting, isCBC && version == .tls10)
            XCTAssertEqual(negotiated.isLegacyVersion, version < .tls12)
            if case .cbc(let protection)? = client.connection.records.writeState {
                XCTAssertTrue(protection.encryptThenMAC, "s_server answers encrypt_then_mac")
                XCTAssertEqual(protection.version, version)
            } else if TLS12SuiteParameters(suite.suite)?.isCBC == true {
                XCTFail("no CBC write protection installed")
            }
            try server.wait(forText: "CIPHER is \(suite.openSSLName)")
            try server.wait(forText: "Secure Renegotiation IS supported")
            try await client.exchange(withOpenSSLServer: server, bytes: Self.bulk, seed: 71)
            try await client.closeCleanly(withOpenSSLServer: server)
        } catch {
            throw InteropError("\(id) \(version): \(error)\n\(server.diagnostics)")
        }
    }

    /// Exactly the brief's server: `s_server -tls1 / -tls1_1 -cipher 'DEFAULT@SECLEVEL=0'`, RSA and ECDSA leaves.
    func testOpenSSLServerWithDefaultCipherString() async throws {
        for version in [ProtocolVersion.tls10, .tls11] {
            for key in [InteropPKI.ServerKey.rsa2048, .ecdsaP256] {
                let (server, port) = try OpenSSLProcess.startServer([version == .tls10 ? "-tls1" : "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], key: key)
                defer { server.terminate() }
                do {
                    let client = try await TLSSocketDriver.connect(try Self.legacyClientConfiguration(), port: port)
                    XCTAssertEqual(client.connection.negotiated?.version, version)
                    // RSA leaf: static RSA key exchange (we offer no TLS 1.0/1.1 ECDHE_RSA suite).
                    let expected: CipherSuite = key == .rsa2048 ? .TLS_RSA_WITH_AES_128_CBC_SHA : .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
                    XCTAssertEqual(client.connection.negotiated?.cipherSuite, expected)
                    try await client.exchange(withOpenSSLServer: server, bytes: 4096, seed: 74)
                    try await client.closeCleanly(withOpenSSLServer: server)
                } catch {
                    throw InteropError("DEFAULT@SECLEVEL=0 \(version) \(key): \(error)\n\(server.diagnostics)")
                }
            }
        }
    }

    /// Without the opt-in our client offers TLS 1.2 and 1.3 only: a TLS 1.1-only s_server refuses the ClientHello
    /// with protocol_version, which we receive.
    func testDefaultClientRefusedByTLS11OnlyServer() async throws {
        let (server, port) = try OpenSSLProcess.startServer(["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
        defer { server.terminate() }
        do {
            _ = try await TLSSocketDriver.connect(try InteropPKI.shared().clientConfiguration(), port: port)
            XCTFail("the default client connected to a TLS 1.1-only server\n\(server.diagnostics)")
        } catch let error as TLSError {
            XCTAssertEqual(error.cause, .alertReceived(.protocolVersion), "\(error)")
            XCTAssertEqual(error.origin, .peer)
        }
    }

    /// MAC-then-encrypt records (the Lucky Thirteen path) when the server does not do encrypt-then-MAC.
    func testTLS10WithoutEncryptThenMAC() async throws {
        let (server, port) = try OpenSSLProcess.startServer(["-tls1", "-no_etm", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"])
        defer { server.terminate() }
        do {
            let client = try await TLSSocketDriver.connect(try Self.legacyClientConfiguration(), port: port)
            XCTAssertEqual(client.connection.negotiated?.version, .tls10)
            if case .cbc(let protection)? = client.connection.records.readState {
                XCTAssertFalse(protection.encryptThenMAC)
            } else {
                XCTFail("no CBC read protection installed")
            }
            try await client.exchange(withOpenSSLServer: server, bytes: Self.bulk, seed: 72)
            try await client.closeCleanly(withOpenSSLServer: server)
        } catch {
            throw InteropError("-no_etm: \(error)\n\(server.diagnostics)")
        }
    }

    /// With the opt-in, TLS 1.2 may use the CBC suites too, with the suite's PRF hash (RFC 5289).
    func testTLS12CBCSHA256AndSHA384Suites() async throws {
        for (name, suite) in [("ECDHE-RSA-AES128-SHA256", CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256),
                              ("ECDHE-RSA-AES256-SHA384", .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384)] {
            let (server, port) = try OpenSSLProcess.startServer(["-tls1_2", "-cipher", name], key: .rsa2048)
            defer { server.terminate() }
            var configuration = try Self.legacyClientConfiguration()
            configuration.common.cipherSuites = [suite]
            do {
                let client = try await TLSSocketDriver.connect(configuration, port: port)
                XCTAssertEqual(client.connection.negotiated?.version, .tls12)
                XCTAssertEqual(client.connection.negotiated?.cipherSuite, suite)
                try await client.exchange(withOpenSSLServer: server, bytes: Self.bulk, seed: 73)
                try await client.closeCleanly(withOpenSSLServer: server)
            } catch {
                throw InteropError("\(name): \(error)\n\(server.diagnostics)")
            }
        }
    }

    // MARK: - openssl s_client -tls1 / -tls1_1 → TLSKit server

    func testTLS10ClientECDHE_ECDSA_AES128_SHA() async throws { try await openSSLClient(.tls10, "ECDHE-ECDSA-AES128-SHA") }
    func testTLS10ClientECDHE_ECDSA_AES256_SHA() async throws { try await openSSLClient(.tls10, "ECDHE-ECDSA-AES256-SHA") }
    func testTLS10ClientECDHE_RSA_AES128_SHA() async throws { try await openSSLClient(.tls10, "ECDHE-RSA-AES128-SHA") }
    func testTLS10ClientECDHE_RSA_AES256_SHA() async throws { try await openSSLClient(.tls10, "ECDHE-RSA-AES256-SHA") }
    func testTLS11ClientECDHE_ECDSA_AES128_SHA() async throws { try await openSSLClient(.tls11, "ECDHE-ECDSA-AES128-SHA") }
    func testTLS11ClientECDHE_ECDSA_AES256_SHA() async throws { try await openSSLClient(.tls11, "ECDHE-ECDSA-AES256-SHA") }
    func testTLS11ClientECDHE_RSA_AES128_SHA() async throws { try await openSSLClient(.tls11, "ECDHE-RSA-AES128-SHA") }
    func testTLS11ClientECDHE_RSA_AES256_SHA() async throws { try await openSSLClient(.tls11, "ECDHE-RSA-AES256-SHA") }

    private static func legacyServerConfiguration(_ key: InteropPKI.ServerKey) throws -> TLSServerConfiguration {
        var configuration = try InteropPKI.shared().serverConfiguration(key)
        configuration.common.insecureLegacyVersions = .downToTLS10
        configuration.common.minimumVersion = .tls10
        return configuration
    }

    private func openSSLClient(_ version: ProtocolVersion, _ id: String) async throws {
        let suite = try XCTUnwrap(Self.suites[id])
        let flag = version == .tls10 ? "-tls1" : "-tls1_1"
        let (listener, client) = try OpenSSLProcess.startClient([flag, "-cipher", "\(suite.openSSLName):@SECLEVEL=0"])
        defer { client.terminate() }
        do {
            let server = try await TLSSocketDriver.accept(try Self.legacyServerConfiguration(suite.key), on: listener)
            try client.wait(forText: "Verify return code: 0 (ok)")
            let negotiated = try XCTUnwrap(server.connection.negotiated)
            XCTAssertEqual(negotiated.version, version)
            XCTAssertEqual(negotiated.cipherSuite, suite.suite)
            XCTAssertTrue(negotiated.extendedMasterSecret)
            XCTAssertTrue(negotiated.encryptThenMAC)
            XCTAssertEqual(negotiated.recordSplitting, version == .tls10)
            try client.wait(forText: "Protocol  : \(version == .tls10 ? "TLSv1" : "TLSv1.1")\n")
            try client.wait(forText: "Cipher    : \(suite.openSSLName)")
            try client.wait(forText: "Extended master secret: yes")
            try client.wait(forText: "Secure Renegotiation IS supported")
            try await server.exchange(withOpenSSLClient: client, bytes: Self.bulk, seed: 81)
            try await server.closeCleanly(withOpenSSLClient: client)
        } catch {
            throw InteropError("\(id) \(version): \(error)\n\(client.diagnostics)")
        }
    }

    /// The default server (no opt-in) refuses s_client -tls1 with protocol_version.
    func testDefaultServerRefusesTLS10Client() async throws {
        let (listener, client) = try OpenSSLProcess.startClient(["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"])
        defer { client.terminate() }
        try await TLSSocketDriver.expectDefaultServerRefusal(on: listener, of: client)
        try client.wait(forText: "alert protocol version", inStderr: true)
    }

    /// s_client -tls1_1 -fallback_scsv to a legacy-enabled server that could do TLS 1.3: inappropriate_fallback.
    func testFallbackSCSVFromTLS11ClientIsRefused() async throws {
        let (listener, client) = try OpenSSLProcess.startClient(["-tls1_1", "-fallback_scsv", "-cipher", "DEFAULT@SECLEVEL=0"])
        defer { client.terminate() }
        do {
            _ = try await TLSSocketDriver.accept(try Self.legacyServerConfiguration(.ecdsaP256), on: listener)
            XCTFail("a TLS 1.1 fallback was accepted\n\(client.diagnostics)")
        } catch let error as TLSError {
            XCTAssertEqual(error.cause, .peerIncompatible(.inappropriateFallback), "\(error)")
        }
        try client.wait(forText: "inappropriate fallback", inStderr: true)
    }
}
