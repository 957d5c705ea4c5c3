import Crypto
import CryptoExtras
import Foundation
import SwiftASN1
import TLSCrypto
import TLSKit
import X509
import XCTest

final class CertificateLoadingTests: XCTestCase {
    private var tempDir: URL!

    override func setUpWithError() throws {
        tempDir = try TestPKI.makeTempDirectory("tlskit-certs")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tempDir)
    }

    private func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = tempDir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func assertLoadingError(
        _ kind: CertificateLoadingError.Kind, containing text: String,
        file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) {
        do {
            try body()
            XCTFail("expected \(kind) error", file: file, line: line)
        } catch let error as CertificateLoadingError {
            XCTAssertEqual(error.kind, kind, error.description, file: file, line: line)
            XCTAssertTrue(error.description.contains(text), "\(error.description) lacks \(text)", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), "multi-line message", file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    // MARK: Keys

    func testLoadsPKCS8PEMForEveryKeyType() throws {
        for keyType in TestPKI.KeyType.allCases {
            let key = TestPrivateKey(keyType)
            let loaded = try PrivateKeyLoader.load(pem: key.pkcs8PEM)
            XCTAssertEqual(loaded.subjectPublicKeyInfo, key.signingKey.subjectPublicKeyInfo, "\(keyType)")
        }
    }

    func testLoadsPKCS8DERForEveryKeyType() throws {
        for keyType in TestPKI.KeyType.allCases {
            let key = TestPrivateKey(keyType)
            let loaded = try PrivateKeyLoader.load(der: key.pkcs8DER)
            XCTAssertEqual(loaded.subjectPublicKeyInfo, key.signingKey.subjectPublicKeyInfo, "\(keyType)")
            // And from a DER file (no PEM markers).
            let path = try write("\(keyType).der", key.pkcs8DER)
            XCTAssertEqual(try PrivateKeyLoader.load(file: path).subjectPublicKeyInfo, key.signingKey.subjectPublicKeyInfo)
        }
    }

    func testLoadsSEC1AndPKCS1() throws {
        for keyType in [TestPKI.KeyType.ecdsaP256, .ecdsaP384, .rsa2048] {
            let key = TestPrivateKey(keyType)
            let pem = try XCTUnwrap(key.legacyPEM)
            let der = try XCTUnwrap(key.legacyDER)
            XCTAssertEqual(try PrivateKeyLoader.load(pem: pem).subjectPublicKeyInfo, key.signingKey.subjectPublicKeyInfo)
            XCTAssertEqual(try PrivateKeyLoader.load(der: der).subjectPublicKeyInfo, key.signingKey.subjectPublicKeyInfo)
            let path = try write("\(keyType).pem", pem)
            XCTAssertEqual(try PrivateKeyLoader.load(file: path).subjectPublicKeyInfo, key.signingKey.subjectPublicKeyInfo)
        }
    }

    func testLoadedKeyTypesAndSchemes() throws {
        XCTAssertTrue(try PrivateKeyLoader.load(pem: TestPrivateKey(.ecdsaP256).pkcs8PEM) is ECDSAP256SigningKey)
        XCTAssertTrue(try PrivateKeyLoader.load(pem: TestPrivateKey(.ecdsaP384).pkcs8PEM) is ECDSAP384SigningKey)
        // P-521 in PKCS#8 and SEC1.
        let p521 = TestPrivateKey(.ecdsaP521)
        XCTAssertTrue(try PrivateKeyLoader.load(pem: p521.pkcs8PEM) is ECDSAP521SigningKey)
        XCTAssertEqual(try PrivateKeyLoader.load(pem: XCTUnwrap(p521.legacyPEM)).subjectPublicKeyInfo, p521.signingKey.subjectPublicKeyInfo)
        XCTAssertTrue(try PrivateKeyLoader.load(pem: TestPrivateKey(.ed25519).pkcs8PEM) is Ed25519SigningKey)
        XCTAssertTrue(try PrivateKeyLoader.load(pem: TestPrivateKey(.rsa2048).pkcs8PEM) is RSASigningKey)
    }

    func testSEC1WithEmbeddedECParametersBlock() throws {
        // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key.
        let key = TestPrivateKey(.ecdsaP256)
        let params = PEMDocument(type: "EC PARAMETERS", derBytes: [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07])
        let pem = params.pemString + "\n" + (key.legacyPEM ?? "")
        XCTAssertEqual(try PrivateKeyLoader.load(pem: pem).subjectPublicKeyInfo, key.signingKey.subjectPublicKeyInfo)
    }

    func testRSA1024Rejected() throws {
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        let path = try write("rsa1024.pem", small.pkcs8PEMRepresentation)
        assertLoadingError(.unsupportedKeySize, containing: "RSA key size 1024 is outside 2048–4096 in \(path)") {
            _ = try PrivateKeyLoader.load(file: path)
        }
        assertLoadingError(.unsupportedKeySize, containing: "RSA key size 1024") {
            _ = try PrivateKeyLoader.load(pem: small.pemRepresentation)
        }
    }

    func testEncryptedKeysRejected() throws {
        let pkcs8 = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n"
        assertLoadingError(.encryptedPrivateKey, containing: "encrypted private keys are not supported") {
            _ = try PrivateKeyLoader.load(pem: pkcs8)
        }
        let legacy = """
            -----BEGIN RSA PRIVATE KEY-----
            Proc-Type: 4,ENCRYPTED
            DEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF

            AAAA
            -----END RSA PRIVATE KEY-----

            """
        let path = try write("legacy.pem", legacy)
        assertLoadingError(.encryptedPrivateKey, containing: "encrypted private keys are not supported: \(path)") {
            _ = try PrivateKeyLoader.load(file: path)
        }
        // DER EncryptedPrivateKeyInfo: SEQUENCE { SEQUENCE { OID pbes2 }, OCTET STRING }.
        let der: [UInt8] = [0x30, 0x12, 0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0D,
                            0x04, 0x03, 0x01, 0x02, 0x03]
        assertLoadingError(.encryptedPrivateKey, containing: "encrypted") { _ = try PrivateKeyLoader.load(der: der) }
    }

    func testMalformedKeys() throws {
        assertLoadingError(.malformedPrivateKey, containing: "malformed PEM in <PEM string>") {
            _ = try PrivateKeyLoader.load(pem: "-----BEGIN PRIVATE KEY-----\n!!!not base64!!!\n-----END PRIVATE KEY-----\n")
        }
        assertLoadingError(.malformedPrivateKey, containing: "malformed private key in <DER bytes>") {
            _ = try PrivateKeyLoader.load(der: [0x01, 0x02, 0x03])
        }
        let certOnly = try TestPKI.makeCA().certificatePEM
        assertLoadingError(.malformedPrivateKey, containing: "no PEM private key block") {
            _ = try PrivateKeyLoader.load(pem: certOnly)
        }
        // An X25519 (key agreement, OID 1.3.101.110) PKCS#8 key: no signing key type.
        let x25519 = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x6E, 0x04, 0x22, 0x04, 0x20]
            + [UInt8](repeating: 0x11, count: 32)
        assertLoadingError(.unsupportedKeyType, containing: "unsupported key type") {
            _ = try PrivateKeyLoader.load(der: x25519)
        }
    }

    func testMissingFiles() {
        let path = tempDir.appendingPathComponent("nope.pem").path
        assertLoadingError(.fileNotFound, containing: "file not found: \(path)") { _ = try PrivateKeyLoader.load(file: path) }
        assertLoadingError(.fileNotFound, containing: "file not found: \(path)") { _ = try CertificateChain(pemFile: path) }
        assertLoadingError(.fileNotFound, containing: "file not found: \(path)") {
            _ = try CertifiedKey(certificatePath: path, keyPath: path)
        }
    }

    /// Keys and certificates as OpenSSL writes them (traditional and PKCS#8, PEM and DER), for interop.
    func testOpenSSLGeneratedFiles() async throws {
        let openssl = "/usr/bin/openssl"
        // Interop tests fail, never skip, without the peer: the test command installs openssl.
        guard FileManager.default.isExecutableFile(atPath: openssl) else { return XCTFail("openssl not installed at \(openssl)") }
        func run(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: openssl)
            process.arguments = arguments
            process.currentDirectoryURL = tempDir
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "openssl \(arguments.joined(separator: " "))")
        }
        let dir = tempDir.path
        let cases: [(String, [String])] = [
            ("ec256", ["ecparam", "-name", "prime256v1", "-genkey", "-out", "ec256.key"]),  // SEC1 + EC PARAMETERS
            ("ec384", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "ec384.key"]),
            ("ed25519", ["genpkey", "-algorithm", "ED25519", "-out", "ed25519.key"]),
            ("rsa", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.key"]),
        ]
        for (name, generate) in cases {
            try run(generate)
            try run(["req", "-new", "-x509", "-key", "\(name).key", "-subj", "/CN=\(name)", "-days", "1",
                     "-addext", "subjectAltName=DNS:localhost", "-out", "\(name).crt"])
            try run(["x509", "-in", "\(name).crt", "-outform", "DER", "-out", "\(name).crt.der"])
            try run(["pkey", "-in", "\(name).key", "-outform", "DER", "-out", "\(name).key.der"])
            XCTAssertNoThrow(try CertifiedKey(certificatePath: "\(dir)/\(name).crt", keyPath: "\(dir)/\(name).key"), name)
            XCTAssertNoThrow(
                try CertifiedKey(certificatePath: "\(dir)/\(name).crt.der", keyPath: "\(dir)/\(name).key.der"), name)
        }
        try run(["rsa", "-in", "rsa.key", "-traditional", "-out", "rsa-pkcs1.key"])
        XCTAssertNoThrow(try CertifiedKey(certificatePath: "\(dir)/rsa.crt", keyPath: "\(dir)/rsa-pkcs1.key"))
        try run(["pkey", "-in", "rsa.key", "-aes256", "-passout", "pass:x", "-out", "rsa-enc.key"])
        assertLoadingError(.encryptedPrivateKey, containing: "encrypted private keys are not supported") {
            _ = try PrivateKeyLoader.load(file: "\(dir)/rsa-enc.key")
        }
        try run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "rsa1024.key"])
        assertLoadingError(.unsupportedKeySize, containing: "RSA key size 1024 is outside 2048–4096") {
            _ = try PrivateKeyLoader.load(file: "\(dir)/rsa1024.key")
        }
        // The openssl self-signed certificates verify against themselves as roots.
        for name in ["ec256", "ed25519", "rsa"] {
            let chain = try CertificateChain(pemFile: "\(dir)/\(name).crt")
            let roots = try TrustRoots(pemFile: "\(dir)/\(name).crt")
            let verifier = X509CertificateVerifier(trustRoots: roots)
            let result = await verifier.verify(
                PeerVerificationRequest(chainDER: chain.derEncoded, role: .server, serverName: "localhost"))
            guard case .trusted = result else { return XCTFail("\(name): \(result)") }
        }
    }

    // MARK: Certificates

    func testBundleWithChainLoadsLeafFirst() throws {
        let root = try TestPKI.makeCA(keyType: .ecdsaP384)
        let intermediate = try root.issueIntermediate(keyType: .rsa2048)
        let leaf = try intermediate.issueLeaf(keyType: .ed25519)
        // Text around the blocks (as in many bundles) is ignored.
        let path = try write("chain.pem", "# leaf then intermediate\n" + (try leaf.certificatePEM))
        let chain = try CertificateChain(pemFile: path)
        XCTAssertEqual(chain.certificates, [leaf.certificate, intermediate.certificate])
        XCTAssertEqual(chain.derEncoded, try leaf.chainDER)
        XCTAssertEqual(try CertificateChain(pem: leaf.certificatePEM).certificates.count, 2)
        XCTAssertEqual(try CertificateChain(derBytes: leaf.chainDER).certificates, chain.certificates)
    }

    func testDERCertificateFiles() throws {
        let leaf = try TestPKI.makeCA().issueLeaf()
        let ders = try leaf.chainDER
        let path = try write("leaf.der", ders[0])
        XCTAssertEqual(try CertificateChain(pemFile: path).certificates, [leaf.certificate])
        XCTAssertEqual(try CertificateChain(derFiles: [path]).derEncoded, [ders[0]])
    }

    func testMalformedCertificates() throws {
        let path = try write("garbage.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        assertLoadingError(.malformedCertificate, containing: "malformed certificate in \(path):") {
            _ = try CertificateChain(pemFile: path)
        }
        let bad = try write("bad.pem", "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n")
        assertLoadingError(.malformedCertificate, containing: "malformed PEM in \(bad)") {
            _ = try CertificateChain(pemFile: bad)
        }
        let keyOnly = try write("key.pem", TestPrivateKey(.ecdsaP256).pkcs8PEM)
        assertLoadingError(.noCertificates, containing: "no PEM certificate blocks in \(keyOnly)") {
            _ = try CertificateChain(pemFile: keyOnly)
        }
        let derGarbage = try write("garbage.der", [0x30, 0x03, 0x02, 0x01, 0x00])
        assertLoadingError(.malformedCertificate, containing: "malformed certificate in \(derGarbage)") {
            _ = try CertificateChain(pemFile: derGarbage)
        }
    }

    // MARK: Certified keys

    func testCertifiedKeyFromFilesForEveryKeyType() throws {
        let ca = try TestPKI.makeCA()
        for keyType in TestPKI.KeyType.allCases {
            let leaf = try ca.issueLeaf(keyType: keyType)
            let paths = try leaf.writeFiles(to: tempDir.appendingPathComponent("\(keyType)"))
            let certified = try CertifiedKey(certificatePath: paths.certPath, keyPath: paths.keyPath)
            XCTAssertEqual(certified.chain.certificates, [leaf.certificate])
            XCTAssertEqual(certified.privateKey.supportedSchemes, leaf.key.signingKey.supportedSchemes)
            XCTAssertNoThrow(try leaf.certifiedKey)
        }
    }

    func testMismatchedKeyRejected() throws {
        let leaf = try TestPKI.makeCA().issueLeaf(keyType: .ecdsaP256)
        let other = TestPrivateKey(.ecdsaP256)
        assertLoadingError(.keyMismatch, containing: "private key does not match certificate") {
            _ = try CertifiedKey(chain: leaf.chain, privateKey: other.signingKey)
        }
        let paths = try leaf.writeFiles(to: tempDir)
        let wrongKey = try write("other.pem", other.pkcs8PEM)
        assertLoadingError(.keyMismatch, containing: "private key does not match certificate in \(wrongKey)") {
            _ = try CertifiedKey(certificatePath: paths.certPath, keyPath: wrongKey)
        }
        // Same algorithm family but a different curve.
        assertLoadingError(.keyMismatch, containing: "does not match") {
            _ = try CertifiedKey(chain: leaf.chain, privateKey: TestPrivateKey(.ecdsaP384).signingKey)
        }
    }

    // MARK: Trust roots

    func testSystemTrustRootsLoad() throws {
        let roots = try TrustRoots.system()
        XCTAssertGreaterThan(roots.certificates.count, 10)
    }

    func testSystemTrustRootsFailLoudlyWhenMissing() {
        let missing = tempDir.appendingPathComponent("none.crt").path
        assertLoadingError(.noTrustRoots, containing: "no system trust roots could be loaded (file not found: \(missing))") {
            _ = try TrustRoots.system(bundlePaths: [missing])
        }
    }

    func testTrustRootsFromBundle() throws {
        let a = try TestPKI.makeCA(), b = try TestPKI.makeCA(keyType: .ed25519)
        let path = try write("roots.pem", a.certificatePEM + b.certificatePEM)
        XCTAssertEqual(try TrustRoots(pemFile: path).certificates, [a.certificate, b.certificate])
        let empty = try write("empty.pem", "nothing here\n")
        assertLoadingError(.noTrustRoots, containing: "no PEM certificate blocks in trust root bundle \(empty)") {
            _ = try TrustRoots(pemFile: empty)
        }
    }
}

final class CertificateVerificationTests: XCTestCase {
    private func verify(
        _ leaf: TestLeaf, roots: TrustRoots, role: PeerVerificationRequest.PeerRole = .server,
        serverName: String? = "localhost", now: Date = Date()
    ) async throws -> PeerVerificationResult {
        let verifier = X509CertificateVerifier(trustRoots: roots)
        return await verifier.verify(
            PeerVerificationRequest(chainDER: try leaf.chainDER, role: role, serverName: serverName, now: now))
    }

    private func assertTrusted(_ result: PeerVerificationResult, chainLength: Int? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        switch result {
        case .trusted(let chain):
            if let chainLength { XCTAssertEqual(chain.count, chainLength, file: file, line: line) }
        case .rejected(let error):
            XCTFail("rejected: \(error)", file: file, line: line)
        }
    }

    private func assertRejected(_ result: PeerVerificationResult, _ alert: AlertDescription, containing text: String = "",
                                file: StaticString = #filePath, line: UInt = #line) {
        switch result {
        case .trusted:
            XCTFail("unexpectedly trusted", file: file, line: line)
        case .rejected(let error):
            XCTAssertEqual(error.alert, alert, error.reason, file: file, line: line)
            XCTAssertTrue(text.isEmpty || error.reason.contains(text), "\(error.reason) lacks \(text)", file: file, line: line)
        }
    }

    /// Rejected by `rule`: its cause and its alert (and, optionally, a detail of the reason).
    private func assertRejected(_ result: PeerVerificationResult, rule: TLSError.CertificateFailure, detail: String = "",
                                file: StaticString = #filePath, line: UInt = #line) {
        switch result {
        case .trusted:
            XCTFail("unexpectedly trusted (expected \(rule.rawValue))", file: file, line: line)
        case .rejected(let error):
            XCTAssertEqual(error.cause, .invalidCertificate(rule), error.reason, file: file, line: line)
            XCTAssertEqual(error.alert, rule.alert, error.reason, file: file, line: line)
            // Which certificate or name the reason mentions: detail the cause does not carry.
            XCTAssertTrue(detail.isEmpty || error.reason.contains(detail), "\(error.reason) lacks \(detail)", file: file, line: line)
        }
    }

    func testValidChainForEveryKeyTypeByHostnameAndIP() async throws {
        for keyType in TestPKI.KeyType.allCases {
            let ca = try TestPKI.makeCA(keyType: keyType)
            let leaf = try ca.issueLeaf(keyType: keyType, dnsNames: ["localhost", "*.example.test"], ips: ["127.0.0.1", "::1"])
            for name in ["localhost", "api.example.test", "127.0.0.1", "::1", "[::1]", "LOCALHOST"] {
                assertTrusted(try await verify(leaf, roots: ca.trustRoots, serverName: name), chainLength: 2)
            }
        }
    }

    func testValidChainThroughIntermediate() async throws {
        let root = try TestPKI.makeCA(keyType: .rsa2048)
        let intermediate = try root.issueIntermediate(keyType: .ecdsaP384)
        let leaf = try intermediate.issueLeaf(keyType: .ecdsaP256)
        assertTrusted(try await verify(leaf, roots: root.trustRoots), chainLength: 3)
    }

    func testWrongHostnameRejected() async throws {
        let ca = try TestPKI.makeCA()
        let leaf = try ca.issueLeaf(dnsNames: ["localhost"], ips: ["127.0.0.1"])
        assertRejected(try await verify(leaf, roots: ca.trustRoots, serverName: "evil.example"),
                       rule: .serverIdentity, detail: "evil.example")
        assertRejected(try await verify(leaf, roots: ca.trustRoots, serverName: "10.0.0.1"),
                       rule: .serverIdentity, detail: "10.0.0.1")
        // An IP literal never matches a DNS SAN spelling the same text.
        let dnsOnly = try ca.issueLeaf(dnsNames: ["127.0.0.1"], ips: [])
        assertRejected(try await verify(dnsOnly, roots: ca.trustRoots, serverName: "127.0.0.1"), rule: .serverIdentity)
        // No server name: identity is not checked.
        assertTrusted(try await verify(leaf, roots: ca.trustRoots, serverName: nil))
    }

    func testExpiredAndNotYetValid() async throws {
        let ca = try TestPKI.makeCA()
        let now = Date()
        let expired = try ca.issueLeaf(notBefore: now.addingTimeInterval(-7200), notAfter: now.addingTimeInterval(-3600))
        assertRejected(try await verify(expired, roots: ca.trustRoots), rule: .validity, detail: "has expired")
        let future = try ca.issueLeaf(notBefore: now.addingTimeInterval(3600), notAfter: now.addingTimeInterval(7200))
        assertRejected(try await verify(future, roots: ca.trustRoots), rule: .validity, detail: "not yet valid")
        // The validation time comes from the request.
        assertTrusted(try await verify(future, roots: ca.trustRoots, now: now.addingTimeInterval(5400)))
    }

    func testUnknownCA() async throws {
        let ca = try TestPKI.makeCA()
        let otherCA = try TestPKI.makeCA(commonName: "TLSKit Test Root CA")  // same name, different key
        let leaf = try ca.issueLeaf()
        assertRejected(try await verify(leaf, roots: otherCA.trustRoots), rule: .unknownIssuer, detail: "no chain to a trusted root")
        assertRejected(try await verify(leaf, roots: TrustRoots(certificates: [])), rule: .unknownIssuer)
        // Missing intermediate.
        let intermediate = try ca.issueIntermediate()
        let deepLeaf = try intermediate.issueLeaf()
        let leafOnly = PeerVerificationRequest(chainDER: [try deepLeaf.chainDER[0]], role: .server, serverName: "localhost")
        assertRejected(await X509CertificateVerifier(trustRoots: ca.trustRoots).verify(leafOnly), rule: .unknownIssuer)
    }

    func testEKU() async throws {
        let ca = try TestPKI.makeCA()
        let clientOnly = try ca.issueLeaf(eku: [.clientAuth])
        assertRejected(try await verify(clientOnly, roots: ca.trustRoots), rule: .extendedKeyUsage, detail: "serverAuth")
        assertTrusted(try await verify(clientOnly, roots: ca.trustRoots, role: .client, serverName: nil))

        let serverOnly = try ca.issueLeaf(eku: [.serverAuth])
        assertTrusted(try await verify(serverOnly, roots: ca.trustRoots))
        assertRejected(try await verify(serverOnly, roots: ca.trustRoots, role: .client, serverName: nil),
                       rule: .extendedKeyUsage, detail: "clientAuth")

        // No EKU extension: refused for both roles (a WebPKI leaf must list its purpose).
        let unrestricted = try ca.issueLeaf(eku: nil)
        assertRejected(try await verify(unrestricted, roots: ca.trustRoots),
                       rule: .extendedKeyUsage)
        assertRejected(try await verify(unrestricted, roots: ca.trustRoots, role: .client, serverName: nil),
                       rule: .extendedKeyUsage)
        let both = try ca.issueLeaf(eku: [.serverAuth, .clientAuth])
        assertTrusted(try await verify(both, roots: ca.trustRoots))
        assertTrusted(try await verify(both, roots: ca.trustRoots, role: .client, serverName: nil))
    }

    func testClientVerificationIgnoresServerName() async throws {
        let ca = try TestPKI.makeCA()
        let client = try ca.issueLeaf(dnsNames: [], eku: [.clientAuth])
        assertTrusted(try await verify(client, roots: ca.trustRoots, role: .client, serverName: "localhost"))
    }

    func testUnparsableAndEmptyChains() async throws {
        let verifier = X509CertificateVerifier(trustRoots: try TestPKI.makeCA().trustRoots)
        assertRejected(await verifier.verify(PeerVerificationRequest(chainDER: [[0x30, 0x00]], role: .server, serverName: nil)),
                       rule: .malformed, detail: "cannot parse peer certificate 0")
        assertRejected(await verifier.verify(PeerVerificationRequest(chainDER: [], role: .server, serverName: nil)),
                       rule: .emptyChain, detail: "empty")
    }

    func testInsecureNoVerificationAcceptsAnything() async throws {
        let leaf = try TestPKI.makeCA().issueLeaf(notBefore: Date(timeIntervalSince1970: 0), notAfter: Date(timeIntervalSince1970: 1))
        let result = await InsecureNoVerification().verify(
            PeerVerificationRequest(chainDER: try leaf.chainDER, role: .server, serverName: "wrong.example"))
        assertTrusted(result, chainLength: 1)
    }

    func testCustomVerifier() async throws {
        let leaf = try TestPKI.makeCA().issueLeaf()
        let pinned = try leaf.chainDER[0]
        let verifier = CustomCertificateVerifier { request in
            guard request.chainDER.first == pinned, let cert = try? Certificate(derEncoded: pinned) else {
                return .rejected(TLSError(.badCertificate, "not the pinned certificate"))
            }
            return .trusted(validatedChain: [cert])
        }
        assertTrusted(await verifier.verify(PeerVerificationRequest(chainDER: [pinned], role: .server, serverName: nil)))
        let other = try TestPKI.makeCA().issueLeaf().chainDER
        assertRejected(await verifier.verify(PeerVerificationRequest(chainDER: other, role: .server, serverName: nil)),
                       .badCertificate, containing: "pinned")
    }
}
