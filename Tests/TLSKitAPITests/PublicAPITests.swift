import Foundation
import XCTest

/// (TLSKitNIO adds no re-exports; importing it here would need the C module maps of SwiftNIO's dependencies.)
///
/// What `import TLSKit` shows to code outside this package: the engine and the lower-layer types it re-exports on
/// purpose, and nothing of the wire codec. Checked the way a user's package sees it, by type-checking a file against
/// the built modules with `swiftc` (no `-package-name`, so `package` declarations are out of reach).
final class PublicAPITests: XCTestCase {
    /// Lower-layer types TLSKit's API names: reachable through `import TLSKit` alone.
    func testReExportedTypesAreReachableThroughImportTLSKit() throws {
        let source = """
            import TLSKit
            let suites: [CipherSuite] = [.TLS_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
            let groups: [NamedGroup] = [.x25519, .secp256r1]
            let schemes: [SignatureScheme] = [.ecdsa_secp256r1_sha256, .ed25519]
            let version: ProtocolVersion = .tls13
            let error = TLSError(.handshakeFailure, "reason")
            let alert: AlertDescription = error.alert
            let level: AlertLevel = .fatal
            let type: HandshakeType = .clientHello
            func lifetime(_ ticket: NewSessionTicket) -> UInt32 { ticket.ticketLifetime }
            let provider: any CryptoProvider = SwiftCryptoProvider()
            let random: any RandomSource = SystemRandomSource()
            let hash: HashAlgorithm = .sha256
            let aead: AEADAlgorithm = .aes128GCM
            func seam(_ key: any SigningKey, _ h: any HashContext, _ m: any KeyedHMAC, _ r: any RecordAEAD,
                      _ k: any KeyShareSecret, _ p256: ECDSAP256SigningKey, _ p384: ECDSAP384SigningKey,
                      _ p521: ECDSAP521SigningKey, _ ed: Ed25519SigningKey, _ rsa: RSASigningKey) {}
            var configuration = TLSClientConfiguration()
            configuration.common.cipherSuites = suites
            configuration.common.insecureLegacyVersions = .downToTLS10
            configuration.common.minimumVersion = .tls10
            let legacy: [CipherSuite] = [.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA]
            """
        let errors = try typecheck(source)
        XCTAssertEqual(errors, [], "re-exported types must type-check through import TLSKit")
    }

    /// The codec stays inside the package: each of these is unknown to a user of TLSKit.
    func testWireCodecTypesAreNotVisibleThroughImportTLSKit() throws {
        let hidden = [
            "ClientHello", "ServerHello", "EncryptedExtensions", "CertificateMessage", "CertificateVerify", "Finished",
            "Extension", "ExtensionType", "KeyShareEntry", "HandshakeMessage", "ContentType", "Alert", "ByteReader",
            "ByteWriter", "Grease", "ClientKeyExchange", "ServerKeyExchange", "NewSessionTicket12",
        ]
        let source = "import TLSKit\nlet control: CipherSuite = .TLS_AES_128_GCM_SHA256\n"
            + hidden.map { "let _: \($0).Type = \($0).self" }.joined(separator: "\n")
            + "\nlet _ = constantTimeEquals([1], [1])\n"
        let errors = try typecheck(source)
        // Every error is one of the expected ones (so the file really was type-checked against TLSKit).
        let unexpected = errors.filter { !$0.contains("cannot find") }
        XCTAssertEqual(unexpected, [])
        for name in hidden + ["constantTimeEquals"] {
            XCTAssertTrue(errors.contains { $0.contains("cannot find '\(name)' in scope") || $0.contains("cannot find type '\(name)' in scope") },
                          "\(name) is visible through import TLSKit")
        }
    }

    /// Runs `swiftc -typecheck` on `source` against this build's modules; returns the error lines.
    private func typecheck(_ source: String) throws -> [String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tlskit-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("client.swift")
        try source.write(to: file, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = try tool("swiftc")
        process.arguments = ["-typecheck", file.path, "-I", try modulesDirectory().path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            throw APITestFailure("swiftc did not finish within 120 s")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").map(String.init).filter { $0.contains("error:") }
    }

    /// The build's Modules directory, next to the test bundle.
    private func modulesDirectory() throws -> URL {
        var candidates: [URL] = []
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("Modules"))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("Modules"))
        for candidate in candidates
        where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("TLSKit.swiftmodule").path) {
            return candidate
        }
        throw APITestFailure("no Modules directory with TLSKit.swiftmodule (looked at \(candidates.map(\.path)))")
    }

    /// A program on PATH; missing is a failure, never a skip.
    private func tool(_ name: String) throws -> URL {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw APITestFailure("\(name) not found on PATH")
    }
}

struct APITestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
