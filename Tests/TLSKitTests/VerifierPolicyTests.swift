import Foundation
import SwiftASN1
@testable import TLSKit
import TLSWire
import X509
import XCTest

/// One test per WebPKI rule (issue 7), each with accepted and rejected cases, on certificates generated here.
/// Shared helpers for the verifier policy tests.
class VerifierPolicyTestCase: XCTestCase {
    func verify(
        _ leaf: TestLeaf, roots: TrustRoots, role: PeerVerificationRequest.PeerRole = .server,
        serverName: String? = "localhost", now: Date = Date(),
        verifier: X509CertificateVerifier? = nil
    ) async throws -> PeerVerificationResult {
        let request = PeerVerificationRequest(chainDER: try leaf.chainDER, role: role, serverName: serverName, now: now)
        return await (verifier ?? X509CertificateVerifier(trustRoots: roots)).verify(request)
    }

    func assertTrusted(_ result: PeerVerificationResult, chainLength: Int? = nil,
                       file: StaticString = #filePath, line: UInt = #line) {
        switch result {
        case .trusted(let chain):
            if let chainLength { XCTAssertEqual(chain.count, chainLength, file: file, line: line) }
        case .rejected(let error):
            XCTFail("rejected: \(error)", file: file, line: line)
        }
    }

    func assertRejected(_ result: PeerVerificationResult, _ alert: AlertDescription, containing text: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
        switch result {
        case .trusted:
            XCTFail("unexpectedly trusted (expected \(alert) \(text))", file: file, line: line)
        case .rejected(let error):
            XCTAssertEqual(error.alert, alert, error.reason, file: file, line: line)
            XCTAssertTrue(text.isEmpty || error.reason.contains(text), "\(error.reason) lacks \(text)", file: file, line: line)
        }
    }

    /// Rejected by `rule`: its cause and its alert (and, optionally, a detail of the reason).
    func assertRejected(_ result: PeerVerificationResult, rule: VerifierRule, detail: String = "",
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

}

final class VerifierPolicyTests: VerifierPolicyTestCase {
    // MARK: Extended key usage

    func testLeafEKUMustListThePurpose() async throws {
        let ca = try TestPKI.makeCA()
        assertTrusted(try await verify(try ca.issueEndEntity(eku: [.serverAuth]), roots: ca.trustRoots))
        // No EKU at all: a WebPKI leaf must name its purpose (WebPKIProfileTests has the details).
        assertRejected(try await verify(try ca.issueEndEntity(eku: nil), roots: ca.trustRoots), rule: .extendedKeyUsage)
        assertRejected(try await verify(try ca.issueEndEntity(eku: [.codeSigning]), roots: ca.trustRoots),
                       rule: .extendedKeyUsage)
        assertRejected(try await verify(try ca.issueEndEntity(eku: [.serverAuth]), roots: ca.trustRoots,
                                        role: .client, serverName: nil),
                       rule: .extendedKeyUsage, detail: "clientAuth")
        assertTrusted(try await verify(try ca.issueEndEntity(eku: [.clientAuth]), roots: ca.trustRoots,
                                       role: .client, serverName: nil))
        // anyExtendedKeyUsage is for CAs; a leaf must name the purpose (as rustls-webpki requires).
        assertRejected(try await verify(try ca.issueEndEntity(eku: [.any]), roots: ca.trustRoots),
                       rule: .extendedKeyUsage, detail: "serverAuth")
    }

    func testIntermediateEKUMustListThePurposeOrAny() async throws {
        let root = try TestPKI.makeCA()
        for (eku, ok) in [([ExtendedKeyUsage.Usage.serverAuth], true), ([.any], true), ([.emailProtection], false),
                          ([.clientAuth], false)] {
            let intermediate = try root.issueCA(eku: eku)
            let leaf = try intermediate.issueEndEntity()
            let result = try await verify(leaf, roots: root.trustRoots)
            if ok {
                assertTrusted(result, chainLength: 3)
            } else {
                assertRejected(result, rule: .extendedKeyUsage, detail: "intermediate")
            }
        }
        // No EKU on the intermediate: unrestricted.
        assertTrusted(try await verify(try root.issueCA(eku: nil).issueEndEntity(), roots: root.trustRoots))
    }

    // MARK: Names (RFC 6125 / RFC 9525)

    func testNoCommonNameFallback() async throws {
        let ca = try TestPKI.makeCA()
        let cnOnly = try ca.issueEndEntity(commonName: "www.example.com", sans: nil)
        assertRejected(try await verify(cnOnly, roots: ca.trustRoots, serverName: "www.example.com"),
                       rule: .serverIdentity)
        // The CN is also ignored when a SAN exists but lacks the name…
        let other = try ca.issueEndEntity(commonName: "www.example.com", sans: [.dnsName("api.example.com")])
        assertRejected(try await verify(other, roots: ca.trustRoots, serverName: "www.example.com"), rule: .serverIdentity)
        // …and such a certificate is refused for its SAN's name too: its CN names a host it is not for (BR §7.1.4.3).
        assertRejected(try await verify(other, roots: ca.trustRoots, serverName: "API.example.COM."), rule: .commonName)
        let plain = try ca.issueEndEntity(commonName: "API Server", sans: [.dnsName("api.example.com")])
        assertTrusted(try await verify(plain, roots: ca.trustRoots, serverName: "API.example.COM."))
    }

    func testWildcardRules() async throws {
        let ca = try TestPKI.makeCA()
        let cases: [(san: String, host: String, ok: Bool)] = [
            ("*.example.com", "www.example.com", true),
            ("*.example.com", "WWW.Example.Com", true),
            ("*.example.com", "example.com", false),          // the wildcard needs a label
            ("*.example.com", "a.b.example.com", false),      // exactly one label
            ("ba*.example.com", "bar.example.com", false),    // partial wildcard
            ("*ar.example.com", "bar.example.com", false),
            ("*", "localhost", false),                        // bare wildcard
            ("*.com", "example.com", false),                  // needs two labels after it
            ("www.*.example.com", "www.a.example.com", false),  // not the leftmost label
            ("xn--bcher-kva.example", "XN--BCHER-KVA.example", true),  // A-labels, case-insensitive
            ("*.xn--bcher-kva.example", "www.xn--bcher-kva.example", true),
        ]
        // A U-label host cannot be compared without IDNA; the caller must pass the A-label.
        let idn = try ca.issueEndEntity(sans: [.dnsName("xn--bcher-kva.example")])
        assertRejected(try await verify(idn, roots: ca.trustRoots, serverName: "bücher.example"),
                       rule: .serverIdentity, detail: "A-labels")
        for c in cases {
            let leaf = try ca.issueEndEntity(sans: [.dnsName(c.san)])
            let result = try await verify(leaf, roots: ca.trustRoots, serverName: c.host)
            if c.ok {
                assertTrusted(result)
            } else if ["*", "*.com"].contains(c.san) {
                // Such a SAN matches nothing, and the certificate is refused for carrying it (WebPKIProfileTests).
                assertRejected(result, rule: .subjectAltName)
            } else {
                assertRejected(result, rule: .serverIdentity, detail: c.host)
            }
        }
    }

    func testIPAddressesMatchOnlyIPSANs() async throws {
        let ca = try TestPKI.makeCA()
        let leaf = try ca.issueEndEntity(sans: [try .ip("192.0.2.7"), try .ip("2001:db8::1"), .dnsName("*.0.2.7")])
        assertTrusted(try await verify(leaf, roots: ca.trustRoots, serverName: "192.0.2.7"))
        assertTrusted(try await verify(leaf, roots: ca.trustRoots, serverName: "[2001:db8:0::1]"))
        // Wildcards never apply to IP addresses.
        assertRejected(try await verify(leaf, roots: ca.trustRoots, serverName: "192.0.2.8"), rule: .serverIdentity)
        assertRejected(try await verify(leaf, roots: ca.trustRoots, serverName: "1.0.2.7"), rule: .serverIdentity)
    }

    /// Issue 11 item 4: an IP server name is matched against iPAddress SANs only. The address written as a dNSName
    /// SAN or as the subject CN does not count, nor do spellings that turn an address into a "hostname".
    func testIPServerNameIgnoresDNSSANsAndTheCommonName() async throws {
        let ca = try TestPKI.makeCA()
        for address in ["192.0.2.7", "2001:db8::7"] {
            let asDNS = try ca.issueEndEntity(commonName: address, sans: [.dnsName(address)])
            assertRejected(try await verify(asDNS, roots: ca.trustRoots, serverName: address),
                           rule: .serverIdentity)
            let cnOnly = try ca.issueEndEntity(commonName: address, sans: nil)
            assertRejected(try await verify(cnOnly, roots: ca.trustRoots, serverName: address),
                           rule: .serverIdentity)
            let cnAndOtherSAN = try ca.issueEndEntity(commonName: address, sans: [.dnsName("localhost")])
            assertRejected(try await verify(cnAndOtherSAN, roots: ca.trustRoots, serverName: address),
                           rule: .serverIdentity)
            let ipSAN = try ca.issueEndEntity(commonName: "unrelated", sans: [try .ip(address)])
            assertTrusted(try await verify(ipSAN, roots: ca.trustRoots, serverName: address))
        }
        // A trailing dot or a short form ("127.1") is not an IP literal, and a name whose last label is numeric is
        // not a DNS name either (rustls-webpki's rule): it must not match a dNSName SAN spelling the address.
        let dotted = try ca.issueEndEntity(sans: [.dnsName("192.0.2.7"), .dnsName("127.1"), try .ip("192.0.2.7")])
        for name in ["192.0.2.7.", "127.1"] {
            assertRejected(try await verify(dotted, roots: ca.trustRoots, serverName: name),
                           rule: .serverIdentity)
        }
        // Hostnames with digits elsewhere are ordinary names.
        let digits = try ca.issueEndEntity(sans: [.dnsName("1.example.com"), .dnsName("host.123a")])
        assertTrusted(try await verify(digits, roots: ca.trustRoots, serverName: "1.example.com"))
        assertTrusted(try await verify(digits, roots: ca.trustRoots, serverName: "host.123a"))
    }

    // MARK: Name constraints

    func testNameConstraintsCoverEverySANIncludingWildcards() async throws {
        let root = try TestPKI.makeCA()
        let ca = try root.issueCA(nameConstraints: NameConstraints(
            permittedDNSDomains: ["example.com"], excludedDNSDomains: ["bar.example.com"]))
        assertTrusted(try await verify(try ca.issueEndEntity(sans: [.dnsName("www.example.com")]),
                                       roots: root.trustRoots, serverName: "www.example.com"))
        // The excluded name hides behind a wildcard.
        let wildcard = try ca.issueEndEntity(sans: [.dnsName("*.example.com")])
        assertRejected(try await verify(wildcard, roots: root.trustRoots, serverName: "www.example.com"),
                       rule: .nameConstraints)
        // Every SAN is checked, not only the one matching the server name.
        let mixed = try ca.issueEndEntity(sans: [.dnsName("www.example.com"), .dnsName("evil.test")])
        assertRejected(try await verify(mixed, roots: root.trustRoots, serverName: "www.example.com"),
                       rule: .nameConstraints, detail: "evil.test")
        // A wildcard one level below the excluded name cannot reach it.
        let deeper = try ca.issueEndEntity(sans: [.dnsName("*.api.example.com")])
        assertTrusted(try await verify(deeper, roots: root.trustRoots, serverName: "v1.api.example.com"))

        let ipCA = try root.issueCA(nameConstraints: NameConstraints(permittedSubtrees: [try .ip("10.0.0.0", mask: "255.0.0.0")]))
        assertTrusted(try await verify(try ipCA.issueEndEntity(sans: [try .ip("10.1.2.3")]), roots: root.trustRoots,
                                       serverName: "10.1.2.3"))
        assertRejected(try await verify(try ipCA.issueEndEntity(sans: [try .ip("192.0.2.1")]), roots: root.trustRoots,
                                        serverName: "192.0.2.1"), rule: .nameConstraints)
    }

    func testNameConstraintsOfOtherTypesDoNotBreakChains() async throws {
        let root = try TestPKI.makeCA()
        let excludedDN = try DistinguishedName { OrganizationName("Evil Corp") }
        let otherName = GeneralName.OtherName(typeID: [1, 3, 6, 1, 5, 5, 7, 8, 9], value: nil)
        let ca = try root.issueCA(nameConstraints: NameConstraints(
            permittedSubtrees: [.dnsName("example.com"), .rfc822Name("example.com")],
            excludedSubtrees: [.directoryName(excludedDN), .rfc822Name("evil@example.com"), .otherName(otherName)]))
        assertTrusted(try await verify(try ca.issueEndEntity(sans: [.dnsName("www.example.com")]),
                                       roots: root.trustRoots, serverName: "www.example.com"), chainLength: 3)
        // A directoryName constraint does apply to subjects, matching case-insensitively.
        let dnCA = try root.issueCA(commonName: "DN CA", nameConstraints: NameConstraints(excludedSubtrees: [
            .directoryName(try DistinguishedName { CommonName("tlskit  TEST leaf") })]))
        assertRejected(try await verify(try dnCA.issueEndEntity(), roots: root.trustRoots), rule: .nameConstraints,
                       detail: "DirName")
        // An email SAN outside the permitted email subtree is still caught.
        let mail = try ca.issueEndEntity(sans: [.dnsName("www.example.com"), .rfc822Name("x@evil.test")])
        assertRejected(try await verify(mail, roots: root.trustRoots, serverName: "www.example.com"),
                       rule: .nameConstraints)
    }

    func testNameConstraintsSkipSelfIssuedIntermediates() async throws {
        let root = try TestPKI.makeCA(commonName: "Constrained Root")
        let constrained = try root.issueCA(
            commonName: "Constrained CA", nameConstraints: NameConstraints(permittedDNSDomains: ["example.com"]))
        // Key rollover: the CA re-certifies its new key under the same name; that certificate's own SAN is
        // outside the subtree, which must not matter (RFC 5280 §6.1.3 (b)).
        let rolled = try constrained.issueCA(subjectName: constrained.certificate.subject, dnsNames: ["ca.other.test"])
        let leaf = try rolled.issueEndEntity(sans: [.dnsName("www.example.com")])
        assertTrusted(try await verify(leaf, roots: root.trustRoots, serverName: "www.example.com"), chainLength: 4)
        let bad = try rolled.issueEndEntity(sans: [.dnsName("www.other.test")])
        assertRejected(try await verify(bad, roots: root.trustRoots, serverName: "www.other.test"),
                       rule: .nameConstraints)
    }

    func testNameConstraintMatching() {
        typealias R = NameConstraintsPolicy.Relation
        let dns: [(String, String, R)] = [
            ("www.example.com", "example.com", .inside),
            ("WWW.EXAMPLE.COM", "example.com.", .inside),
            ("example.com", "example.com", .inside),
            ("example.com", ".example.com", .outside),     // leading dot: strictly below
            ("fooexample.com", "example.com", .outside),   // label boundaries, not string suffixes
            ("*.example.com", "example.com", .inside),
            ("*.example.com", ".example.com", .inside),
            ("*.example.com", "bar.example.com", .overlaps),
            ("*.example.com", ".bar.example.com", .outside),
            ("*.example.com", "a.bar.example.com", .outside),
            ("anything.test", "", .inside),
        ]
        for (name, subtree, expected) in dns {
            XCTAssertEqual(NameConstraintsPolicy.dnsRelation(name, subtree), expected, "\(name) vs \(subtree)")
        }
        let mail: [(String, String, R)] = [
            ("a@example.com", "example.com", .inside), ("a@mail.example.com", "example.com", .outside),
            ("a@mail.example.com", ".example.com", .inside), ("a@example.com", "a@EXAMPLE.com", .inside),
            ("b@example.com", "a@example.com", .outside),
        ]
        for (name, subtree, expected) in mail {
            XCTAssertEqual(NameConstraintsPolicy.emailRelation(name, subtree), expected, "\(name) vs \(subtree)")
        }
        let uri = NameConstraintsPolicy.relation(.uniformResourceIdentifier("https://api.example.com:8443/x"),
                                                 .uniformResourceIdentifier(".example.com"))
        XCTAssertEqual(uri, .inside)
        // An IPv4 range does not cover an IPv6 address, but still restricts the iPAddress type.
        let v6 = try? NameConstraintsPolicy.relation(.ip("2001:db8::1"), .ip("10.0.0.0", mask: "255.0.0.0"))
        XCTAssertEqual(v6, .outside)
    }

    // MARK: Basic constraints and key usage

    func testCACertificateIsNotAnEndEntity() async throws {
        let ca = try TestPKI.makeCA()
        let caLeaf = try ca.issueEndEntity(basicConstraints: .isCertificateAuthority(maxPathLength: nil),
                                           keyUsage: KeyUsage(digitalSignature: true, keyCertSign: true))
        assertRejected(try await verify(caLeaf, roots: ca.trustRoots), rule: .basicConstraints)
        let keyCertSignLeaf = try ca.issueEndEntity(keyUsage: KeyUsage(digitalSignature: true, keyCertSign: true))
        assertRejected(try await verify(keyCertSignLeaf, roots: ca.trustRoots), rule: .basicConstraints, detail: "keyCertSign")
        // No basicConstraints and no keyUsage at all: an ordinary end entity.
        assertTrusted(try await verify(try ca.issueEndEntity(basicConstraints: nil, keyUsage: nil), roots: ca.trustRoots))
    }

    func testIssuerMustBeACAWithKeyCertSign() async throws {
        let root = try TestPKI.makeCA()
        let notCA = try root.issueCA(basicConstraints: .notCertificateAuthority)
        assertRejected(try await verify(try notCA.issueEndEntity(), roots: root.trustRoots),
                       rule: .basicConstraints)
        let noBasicConstraints = try root.issueCA(basicConstraints: nil)
        assertRejected(try await verify(try noBasicConstraints.issueEndEntity(), roots: root.trustRoots),
                       rule: .basicConstraints)
        let noKeyCertSign = try root.issueCA(keyUsage: KeyUsage(digitalSignature: true, cRLSign: true))
        assertRejected(try await verify(try noKeyCertSign.issueEndEntity(), roots: root.trustRoots), rule: .basicConstraints,
                       detail: "keyCertSign")
        // keyUsage absent: allowed.
        assertTrusted(try await verify(try root.issueCA(keyUsage: nil).issueEndEntity(), roots: root.trustRoots))
    }

    func testPathLengthConstraint() async throws {
        let root = try TestPKI.makeCA()
        let zero = try root.issueCA(commonName: "pathlen 0", basicConstraints: .isCertificateAuthority(maxPathLength: 0))
        assertTrusted(try await verify(try zero.issueEndEntity(), roots: root.trustRoots), chainLength: 3)
        let below = try zero.issueCA(commonName: "below pathlen 0")
        assertRejected(try await verify(try below.issueEndEntity(), roots: root.trustRoots), rule: .basicConstraints,
                       detail: "path length")
        let one = try root.issueCA(commonName: "pathlen 1", basicConstraints: .isCertificateAuthority(maxPathLength: 1))
        assertTrusted(try await verify(try one.issueCA(commonName: "sub").issueEndEntity(), roots: root.trustRoots),
                      chainLength: 4)
        // A self-issued certificate (key rollover) does not count against pathLenConstraint.
        let rolled = try zero.issueCA(subjectName: zero.certificate.subject)
        assertTrusted(try await verify(try rolled.issueEndEntity(), roots: root.trustRoots), chainLength: 4)
    }

    func testDirectlyTrustedCertificateIsPinned() async throws {
        // `openssl req -x509` makes self-signed CA:TRUE certificates that people trust as their own server
        // certificate; an exact match in the trust store is accepted as pinned, without the end-entity rules.
        let ca = try TestPKI.makeCA()
        let request = PeerVerificationRequest(chainDER: [try ca.root.serializeAsPEM().derBytes], role: .server, serverName: nil)
        assertTrusted(await X509CertificateVerifier(trustRoots: ca.trustRoots).verify(request), chainLength: 1)
    }

    // MARK: Time

    func testValidityBoundsAreExactAndInjectable() async throws {
        let ca = try TestPKI.makeCA(notBefore: Date(timeIntervalSince1970: 1_000_000_000),
                                    notAfter: Date(timeIntervalSince1970: 3_000_000_000))
        let notBefore = Date(timeIntervalSince1970: 1_700_000_000)
        let notAfter = Date(timeIntervalSince1970: 1_700_086_400)
        let leaf = try ca.issueEndEntity(notBefore: notBefore, notAfter: notAfter)
        // Both bounds are inclusive (RFC 5280 §4.1.2.5).
        assertTrusted(try await verify(leaf, roots: ca.trustRoots, now: notBefore))
        assertTrusted(try await verify(leaf, roots: ca.trustRoots, now: notAfter))
        // A fraction of a second outside either bound is outside: swift-certificates rounds the validation time
        // to the nearest second, which accepts both of these.
        assertRejected(try await verify(leaf, roots: ca.trustRoots, now: notAfter.addingTimeInterval(0.4)),
                       rule: .validity, detail: "expired")
        assertRejected(try await verify(leaf, roots: ca.trustRoots, now: notBefore.addingTimeInterval(-0.4)),
                       rule: .validity, detail: "not yet valid")
        // An expired intermediate fails the chain too.
        let oldCA = try ca.issueCA(notBefore: notBefore, notAfter: notAfter)
        let freshLeaf = try oldCA.issueEndEntity(notBefore: notBefore, notAfter: notAfter.addingTimeInterval(86400))
        assertRejected(try await verify(freshLeaf, roots: ca.trustRoots, now: notAfter.addingTimeInterval(60)),
                       rule: .validity, detail: "Intermediate")
    }

    // MARK: Alerts

    func testFailuresMapToAlertsAndNameTheRule() async throws {
        let ca = try TestPKI.makeCA()
        let stranger = try TestPKI.makeCA(commonName: "Stranger CA")
        assertRejected(try await verify(try stranger.issueEndEntity(), roots: ca.trustRoots), rule: .unknownIssuer)
        assertRejected(try await verify(try ca.issueEndEntity(), roots: ca.trustRoots, serverName: "other.test"),
                       rule: .serverIdentity)
        assertRejected(try await verify(try ca.issueEndEntity(eku: [.codeSigning]), roots: ca.trustRoots),
                       rule: .extendedKeyUsage)
        assertRejected(try await verify(try ca.issueEndEntity(notAfter: Date().addingTimeInterval(-10)), roots: ca.trustRoots),
                       rule: .validity)
        // A critical extension nobody processes (here: a private OID) makes the certificate unusable.
        let unknown = Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 55555, 1], critical: true, value: [0x05, 0x00])
        assertRejected(try await verify(try ca.issueEndEntity(extraExtensions: [unknown]), roots: ca.trustRoots),
                       rule: .criticalExtensions)
        // The same extension, non-critical, is ignored.
        let harmless = Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 55555, 1], critical: false, value: [0x05, 0x00])
        assertTrusted(try await verify(try ca.issueEndEntity(extraExtensions: [harmless]), roots: ca.trustRoots))
        // Every budget failure names the budget.
        let tiny = X509CertificateVerifier(trustRoots: ca.trustRoots, limits: VerificationLimits(maxSignatureChecks: 0))
        assertRejected(try await verify(try ca.issueEndEntity(), roots: ca.trustRoots, verifier: tiny),
                       rule: .budget)
    }
}
