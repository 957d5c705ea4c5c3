import Foundation
import SwiftASN1
@testable import TLSKit
import TLSWire
import X509
import XCTest

/// Issue 12, section 3, item 9: certificate revocation lists given to `X509CertificateVerifier.crls`.
final class CRLTests: VerifierPolicyTestCase {
    func verifier(_ roots: TrustRoots, _ crls: [[UInt8]]) throws -> X509CertificateVerifier {
        X509CertificateVerifier(trustRoots: roots, crls: try crls.map { try CertificateRevocationList(derEncoded: $0) })
    }

    func testRevokedLeafIsRejected() async throws {
        let ca = try TestPKI.makeCA()
        let revoked = try ca.issueEndEntity(), good = try ca.issueEndEntity()
        let crl = try ca.issueCRL(revoked: [revoked.certificate.serialNumber, Certificate.SerialNumber(bytes: [0x42])])
        let checking = try verifier(ca.trustRoots, [crl])
        assertRejected(try await verify(revoked, roots: ca.trustRoots, verifier: checking), rule: .revoked)
        assertRejected(try await verify(revoked, roots: ca.trustRoots, role: .client, serverName: nil, verifier: checking),
                       rule: .revoked)
        assertTrusted(try await verify(good, roots: ca.trustRoots, verifier: checking))
        // Without the CRL nothing is known about revocation.
        assertTrusted(try await verify(revoked, roots: ca.trustRoots))
    }

    func testRevokedIntermediateIsRejected() async throws {
        let root = try TestPKI.makeCA()
        let intermediate = try root.issueCA()
        let leaf = try intermediate.issueEndEntity()
        let rootCRL = try root.issueCRL(revoked: [intermediate.certificate.serialNumber])
        let emptyIntermediateCRL = try intermediate.issueCRL()
        assertRejected(try await verify(leaf, roots: root.trustRoots, verifier: try verifier(root.trustRoots, [emptyIntermediateCRL, rootCRL])),
                       rule: .revoked)
        assertTrusted(try await verify(leaf, roots: root.trustRoots, verifier: try verifier(root.trustRoots, [emptyIntermediateCRL])),
                      chainLength: 3)
    }

    func testCRLWithoutOrWithCriticalCRLNumberIsUnusable() async throws {
        let ca = try TestPKI.makeCA()
        let leaf = try ca.issueEndEntity()
        for crl in [try ca.issueCRL(revoked: [leaf.certificate.serialNumber], crlNumber: nil),
                    try ca.issueCRL(revoked: [leaf.certificate.serialNumber], crlNumberCritical: true),
                    try ca.issueCRL(crlNumber: nil), try ca.issueCRL(crlNumberCritical: true)] {
            XCTAssertNotNil(try CertificateRevocationList(derEncoded: crl).unusableReason)
            assertRejected(try await verify(leaf, roots: ca.trustRoots, verifier: try verifier(ca.trustRoots, [crl])),
                           rule: .crl)
        }
    }

    func testCRLFromIssuerWithoutCRLSignIsUnusable() async throws {
        let root = try TestPKI.makeCA()
        let noCRLSign = try root.issueCA(keyUsage: KeyUsage(keyCertSign: true))
        let leaf = try noCRLSign.issueEndEntity()
        let crl = try noCRLSign.issueCRL(revoked: [leaf.certificate.serialNumber])
        assertRejected(try await verify(leaf, roots: root.trustRoots, verifier: try verifier(root.trustRoots, [crl])),
                       rule: .crl)
        // The same CRL from a CA that may sign CRLs revokes the leaf.
        let withCRLSign = try root.issueCA()
        let other = try withCRLSign.issueEndEntity()
        assertRejected(try await verify(other, roots: root.trustRoots,
                                        verifier: try verifier(root.trustRoots, [try withCRLSign.issueCRL(revoked: [other.certificate.serialNumber])])),
                       rule: .revoked)
    }

    func testForgedCRLsAndCRLsFromOtherIssuersAreNotTrusted() async throws {
        let ca = try TestPKI.makeCA()
        let leaf = try ca.issueEndEntity()
        // Signed with another key under the CA's name: unusable, not "revoked", not silently ignored.
        let forged = try ca.issueCRL(revoked: [leaf.certificate.serialNumber], signedBy: TestPrivateKey(.ecdsaP256))
        assertRejected(try await verify(leaf, roots: ca.trustRoots, verifier: try verifier(ca.trustRoots, [forged])), rule: .crl)
        // A CRL from another CA says nothing about this chain.
        let stranger = try TestPKI.makeCA(commonName: "Stranger CA")
        let unrelated = try stranger.issueCRL(revoked: [leaf.certificate.serialNumber], crlNumber: nil)
        assertTrusted(try await verify(leaf, roots: ca.trustRoots, verifier: try verifier(ca.trustRoots, [unrelated])))
        // A CRL dated in the future is unusable; an expired one still revokes.
        let future = try ca.issueCRL(thisUpdate: Date().addingTimeInterval(3600))
        assertRejected(try await verify(leaf, roots: ca.trustRoots, verifier: try verifier(ca.trustRoots, [future])), rule: .crl)
        let expired = try ca.issueCRL(revoked: [leaf.certificate.serialNumber], thisUpdate: Date().addingTimeInterval(-7200),
                                      nextUpdate: Date().addingTimeInterval(-3600))
        assertRejected(try await verify(leaf, roots: ca.trustRoots, verifier: try verifier(ca.trustRoots, [expired])), rule: .revoked)
        // A delta CRL or an unknown critical extension makes the list unusable.
        let delta = Certificate.Extension(oid: [2, 5, 29, 27], critical: true, value: [0x02, 0x01, 0x01])
        let unknown = Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 55555, 2], critical: true, value: [0x05, 0x00])
        for extra in [delta, unknown] {
            let crl = try ca.issueCRL(extraExtensions: [extra])
            assertRejected(try await verify(leaf, roots: ca.trustRoots, verifier: try verifier(ca.trustRoots, [crl])), rule: .crl)
        }
    }

    func testDecodingIsDefensive() throws {
        let ca = try TestPKI.makeCA()
        let crl = try ca.issueCRL(revoked: [Certificate.SerialNumber(bytes: [0x00, 0x80, 0x01])])
        let decoded = try CertificateRevocationList(derEncoded: crl)
        XCTAssertEqual(decoded.issuer, ca.certificate.subject)
        XCTAssertEqual(decoded.crlNumber, [0x01])
        XCTAssertNil(decoded.unusableReason)
        XCTAssertNotNil(decoded.revocationDate(of: Certificate.SerialNumber(bytes: [0x80, 0x01])))
        XCTAssertNil(decoded.problem(withIssuer: ca.certificate, now: Date()))
        // Every truncation and a few corruptions fail to decode (or decode as unusable), never trap.
        for length in stride(from: 0, to: crl.count, by: 7) {
            XCTAssertThrowsError(try CertificateRevocationList(derEncoded: Array(crl.prefix(length))))
        }
        for index in stride(from: 0, to: crl.count, by: 5) {
            var corrupted = crl
            corrupted[index] ^= 0xFF
            if let list = try? CertificateRevocationList(derEncoded: corrupted) {
                // Any change to the signed bytes or the signature shows in the signature check.
                XCTAssertNotNil(list.problem(withIssuer: ca.certificate, now: Date()), "byte \(index)")
            }
        }
        XCTAssertThrowsError(try CertificateRevocationList(derEncoded: [0x30, 0x00]))
        // PEM with "X509 CRL" blocks.
        let pem = PEMDocument(type: "X509 CRL", derBytes: crl).pemString + "\n"
        XCTAssertEqual(try CertificateRevocationList.decodeAll(pemOrDER: Array((pem + pem).utf8)).count, 2)
        XCTAssertThrowsError(try CertificateRevocationList.decodeAll(pemOrDER: Array(ca.certificatePEM.utf8)))
    }

    func testCRLsArePartOfThePolicyIdentifier() throws {
        let ca = try TestPKI.makeCA()
        let plain = X509CertificateVerifier(trustRoots: ca.trustRoots)
        let one = try verifier(ca.trustRoots, [try ca.issueCRL()])
        let other = try verifier(ca.trustRoots, [try ca.issueCRL(crlNumber: 2)])
        XCTAssertNotEqual(plain.policyIdentifier, one.policyIdentifier)
        XCTAssertNotEqual(one.policyIdentifier, other.policyIdentifier)
    }
}
