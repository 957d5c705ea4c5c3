import Foundation
import SwiftASN1
@testable import TLSKit
import TLSWire
import X509
import XCTest

/// Issue 11 item 3: certificates signed with SHA-1 (or MD5) are refused anywhere below the trust anchor
/// (RFC 8446 §4.4.2.4), with bad_certificate and the `weak-signature` rule; the anchor's own signature is exempt.
final class WeakSignatureTests: VerifierPolicyTestCase {
    func testSHA1SignedLeafIsRejected() async throws {
        let root = try TestPKI.makeCA(keyType: .rsa2048)
        let sha1Leaf = try root.issueEndEntity(signatureAlgorithm: .sha1WithRSAEncryption)
        XCTAssertEqual(sha1Leaf.certificate.signatureAlgorithm, .sha1WithRSAEncryption)
        assertRejected(try await verify(sha1Leaf, roots: root.trustRoots), rule: .weakSignature)
        // The same leaf for a client certificate, and without an identity to check: still refused.
        assertRejected(try await verify(sha1Leaf, roots: root.trustRoots, role: .client, serverName: nil),
                       rule: .weakSignature)
        // Control: the same root signing with SHA-256 is fine.
        assertTrusted(try await verify(try root.issueEndEntity(), roots: root.trustRoots), chainLength: 2)
    }

    func testSHA1SignedIntermediateIsRejected() async throws {
        let root = try TestPKI.makeCA(keyType: .rsa2048)
        let intermediate = try root.issueCA(signatureAlgorithm: .sha1WithRSAEncryption)
        let leaf = try intermediate.issueEndEntity()
        XCTAssertEqual(leaf.certificate.signatureAlgorithm, .ecdsaWithSHA256)
        switch try await verify(leaf, roots: root.trustRoots) {
        case .trusted:
            XCTFail("a chain through a SHA-1 signed intermediate was trusted")
        case .rejected(let error):
            XCTAssertEqual(error.alert, .badCertificate, error.reason)
            XCTAssertEqual(error.cause, .invalidCertificate(.weakSignature), error.reason)
            XCTAssertTrue(error.reason.contains("intermediate"), error.reason)
        }
        // Control: the same shape with a SHA-256 signed intermediate.
        assertTrusted(try await verify(try root.issueCA().issueEndEntity(), roots: root.trustRoots), chainLength: 3)
    }

    func testSHA1SelfSignedRootIsStillATrustAnchor() async throws {
        // Many roots in system bundles are self-signed with SHA-1; their signature is never relied on.
        let root = try TestPKI.makeCA(keyType: .rsa2048, signatureAlgorithm: .sha1WithRSAEncryption)
        XCTAssertEqual(root.certificate.signatureAlgorithm, .sha1WithRSAEncryption)
        assertTrusted(try await verify(try root.issueEndEntity(), roots: root.trustRoots), chainLength: 2)
        assertTrusted(try await verify(try root.issueCA(key: TestPrivateKey(.rsa2048)).issueEndEntity(), roots: root.trustRoots),
                      chainLength: 3)
        // Directly trusted (pinned) SHA-1 self-signed certificate: the anchor itself.
        let pinned = PeerVerificationRequest(chainDER: [try root.root.serializeAsPEM().derBytes], role: .server, serverName: nil)
        assertTrusted(await X509CertificateVerifier(trustRoots: root.trustRoots).verify(pinned), chainLength: 1)
        // But a SHA-1 signature below it is not exempt.
        assertRejected(try await verify(try root.issueEndEntity(signatureAlgorithm: .sha1WithRSAEncryption), roots: root.trustRoots),
                       rule: .weakSignature)
    }

    func testHandshakeWithSHA1SignedServerCertificateFailsWithBadCertificate() async throws {
        let root = try TestPKI.makeCA(keyType: .rsa2048)
        let leaf = try root.issueEndEntity(sans: [.dnsName(EngineFixtures.serverName)], signatureAlgorithm: .sha1WithRSAEncryption)
        var client = EngineFixtures.clientConfiguration()
        client.peerVerification = .trustRoots(root.trustRoots)
        let pair = try InMemoryPair(client: client, server: TLSServerConfiguration(certificate: try leaf.certifiedKey))
        await pair.assertSentAlert(.badCertificate, by: .clientToServer)
        XCTAssertEqual(pair.client.failure?.cause, .invalidCertificate(.weakSignature),
                       String(describing: pair.client.failure))
    }

    /// ecdsa-with-SHA1 and md5WithRSAEncryption certificates made by OpenSSL (swift-certificates cannot sign with
    /// them, nor parse them): refused with bad_certificate too.
    func testECDSAWithSHA1AndMD5CertificatesAreRejected() async throws {
        let directory = try TestPKI.makeTempDirectory("tlskit-weak-signature")
        defer { try? FileManager.default.removeItem(at: directory) }
        func openssl(_ arguments: String) throws {
            try OpenSSLProcess.run(arguments.split(separator: " ").map(String.init), in: directory)
        }
        let caExtensions = "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign"
        try openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.pem -days 2 "
                    + "-subj /CN=EC-Root \(caExtensions)")
        try openssl("req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.pem -days 2 -subj /CN=RSA-Root \(caExtensions)")
        try openssl("req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj /CN=leaf")
        try "subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\n"
            .write(to: directory.appendingPathComponent("leaf.ext"), atomically: true, encoding: .utf8)
        for (name, ca, digest) in [("ecdsa-sha1", "ec", "sha1"), ("rsa-md5", "rsa", "md5"), ("rsa-sha1", "rsa", "sha1")] {
            try openssl("x509 -req -in leaf.csr -CA \(ca).pem -CAkey \(ca).key -set_serial 7 -days 2 -\(digest) "
                        + "-extfile leaf.ext -out \(name).pem")
            let leafDER = try PEMDocument(pemString: String(contentsOf: directory.appendingPathComponent("\(name).pem"), encoding: .utf8)).derBytes
            let roots = try TrustRoots(pemFile: directory.appendingPathComponent("\(ca).pem").path)
            let request = PeerVerificationRequest(chainDER: [leafDER], role: .server, serverName: "localhost")
            let result = await X509CertificateVerifier(trustRoots: roots).verify(request)
            guard case .rejected(let error) = result else {
                XCTFail("\(name): a certificate signed with \(digest) was trusted")
                continue
            }
            XCTAssertEqual(error.alert, .badCertificate, "\(name): \(error.reason)")
        }
    }
}
