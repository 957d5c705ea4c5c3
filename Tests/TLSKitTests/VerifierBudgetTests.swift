import Foundation
import SwiftASN1
@testable import TLSKit
import TLSWire
import X509
import XCTest

/// Hostile chains must fail fast with a reason naming the exhausted budget (issue 7).
final class VerifierPolicyBudgetTests: VerifierPolicyTestCase {
    func verify(_ chain: [Certificate], roots: TrustRoots, limits: VerificationLimits = .default,
                serverName: String? = "localhost") async throws -> (PeerVerificationResult, TimeInterval) {
        let request = PeerVerificationRequest(
            chainDER: try chain.map { var s = DER.Serializer(); try s.serialize($0); return s.serializedBytes },
            role: .server, serverName: serverName)
        let start = Date()
        let result = await X509CertificateVerifier(trustRoots: roots, limits: limits).verify(request)
        return (result, Date().timeIntervalSince(start))
    }

    func testPeerChainLengthCap() async throws {
        let ca = try TestPKI.makeCA()
        let intermediate = try ca.issueCA()
        let leaf = try intermediate.issueEndEntity()
        // Padding the chain with copies of the intermediate: harmless for path building, but over the cap.
        let padded = [leaf.certificate] + Array(repeating: intermediate.certificate, count: 10)
        assertRejected(try await verify(padded, roots: ca.trustRoots).0, rule: .budget,
                              detail: "maxPeerChainLength")
        assertTrusted(try await verify(padded, roots: ca.trustRoots,
                                              limits: VerificationLimits(maxPeerChainLength: 11)).0, chainLength: 3)
    }

    func testIntermediateCountCap() async throws {
        let root = try TestPKI.makeCA()
        var ca = root
        for level in 1...7 { ca = try ca.issueCA(commonName: "Level \(level) CA") }
        let leaf = try ca.issueEndEntity()
        assertRejected(try await verify(leaf.chainCertificates, roots: root.trustRoots).0, rule: .budget,
                              detail: "maxIntermediates")
        assertTrusted(try await verify(leaf.chainCertificates, roots: root.trustRoots,
                                              limits: VerificationLimits(maxIntermediates: 7)).0, chainLength: 9)
    }

    /// 7 keys, each certified under the same name by each of the 7 (49 certificates) plus one more: every
    /// ordering of the keys is a candidate path (~13 700 paths, ~600 000 signature checks) and none reaches the root.
    func makeCrossSignedMesh() throws -> (chain: [Certificate], roots: TrustRoots) {
        let root = try TestPKI.makeCA(commonName: "Mesh Root")
        let name = try DistinguishedName { CommonName("Mesh CA") }
        let keys = (0..<7).map { _ in TestPrivateKey(.ecdsaP256) }
        var mesh: [Certificate] = []
        for subjectKey in keys {
            for issuerKey in keys {
                mesh.append(try Certificate(
                    version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: subjectKey.certificateKey.publicKey,
                    notValidBefore: TestPKI.defaultNotBefore, notValidAfter: TestPKI.defaultNotAfter,
                    issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                    extensions: try TestCA.caExtensions(key: subjectKey, issuerKey: issuerKey),
                    issuerPrivateKey: issuerKey.certificateKey))
            }
        }
        let meshCA = TestCA(key: keys[0], certificate: mesh[0], intermediates: [])
        let leaf = try meshCA.issueEndEntity()
        mesh.append(mesh[0])  // 50 intermediates
        return ([leaf.certificate] + mesh, root.trustRoots)
    }

    func testSignatureCheckCapOnCrossSignedMesh() async throws {
        let (chain, roots) = try makeCrossSignedMesh()
        let (result, elapsed) = try await verify(chain, roots: roots, limits: VerificationLimits(maxPeerChainLength: 60))
        assertRejected(result, rule: .budget, detail: "maxSignatureChecks")
        XCTAssertLessThan(elapsed, 10, "the signature budget must stop the search early")
    }

    func testCandidatePathCapOnCrossSignedMesh() async throws {
        let (chain, roots) = try makeCrossSignedMesh()
        let limits = VerificationLimits(maxPeerChainLength: 60, maxCandidatePaths: 5, maxSignatureChecks: 100_000)
        let (result, elapsed) = try await verify(chain, roots: roots, limits: limits)
        assertRejected(result, rule: .budget, detail: "maxCandidatePaths")
        XCTAssertLessThan(elapsed, 10, "the path budget must stop the search early")
    }

    func testNameConstraintComparisonCap() async throws {
        let root = try TestPKI.makeCA()
        let ca = try root.issueCA(nameConstraints: NameConstraints(excludedDNSDomains: (0..<300).map { "x\($0).invalid" }))
        let leaf = try ca.issueEndEntity(sans: (0..<100).map { GeneralName.dnsName("host\($0).example.com") })
        let tight = VerificationLimits(maxNameConstraintComparisons: 10_000)
        let (result, elapsed) = try await verify(leaf.chainCertificates, roots: root.trustRoots, limits: tight,
                                                 serverName: "host7.example.com")
        assertRejected(result, rule: .budget, detail: "maxNameConstraintComparisons")
        XCTAssertLessThan(elapsed, 10)
        // ~30 000 comparisons fit the default budget.
        assertTrusted(try await verify(leaf.chainCertificates, roots: root.trustRoots,
                                              serverName: "host7.example.com").0)
    }
}
