import Crypto
import CryptoExtras
import Foundation
import SwiftASN1
@testable import TLSKit
import TLSWire
import X509
import XCTest

/// Issue 12, section 3: verdicts that follow rustls-webpki, the CA/Browser Forum Baseline Requirements and RFC 5280
/// where TLSKit was more permissive (or stricter) than they are. Each test names the rule that must fail.
final class WebPKIProfileTests: VerifierPolicyTestCase {
    // MARK: 1. Leaf extended key usage

    func testLeafWithoutEKUIsRejectedForEitherRole() async throws {
        let ca = try TestPKI.makeCA()
        let noEKU = try ca.issueEndEntity(eku: nil)
        assertRejected(try await verify(noEKU, roots: ca.trustRoots), rule: .extendedKeyUsage)
        assertRejected(try await verify(noEKU, roots: ca.trustRoots, role: .client, serverName: nil), rule: .extendedKeyUsage)
        let viaIssueLeaf = try ca.issueLeaf(eku: nil)
        assertRejected(try await verify(viaIssueLeaf, roots: ca.trustRoots), rule: .extendedKeyUsage)
    }

    func testLeafWithOnlyAnyExtendedKeyUsageIsRejected() async throws {
        let ca = try TestPKI.makeCA()
        assertRejected(try await verify(try ca.issueEndEntity(eku: [.any]), roots: ca.trustRoots), rule: .extendedKeyUsage)
        assertRejected(try await verify(try ca.issueEndEntity(eku: [.any]), roots: ca.trustRoots, role: .client,
                                        serverName: nil), rule: .extendedKeyUsage)
        // Listed beside the purpose, anyExtendedKeyUsage does no harm.
        assertTrusted(try await verify(try ca.issueEndEntity(eku: [.any, .serverAuth]), roots: ca.trustRoots))
    }

    func testLeafWithCriticalEKUIsRejected() async throws {
        let ca = try TestPKI.makeCA()
        let critical = try Certificate.Extension(try ExtendedKeyUsage([.serverAuth, .clientAuth]), critical: true)
        let leaf = try ca.issueEndEntity(extraExtensions: [critical])
        assertRejected(try await verify(leaf, roots: ca.trustRoots), rule: .extendedKeyUsage)
        assertRejected(try await verify(leaf, roots: ca.trustRoots, role: .client, serverName: nil), rule: .extendedKeyUsage)
        // In an intermediate a critical EKU is allowed (it constrains the leaves below it).
        let intermediate = try ca.issueCA(extraExtensions: [critical])
        assertTrusted(try await verify(try intermediate.issueEndEntity(), roots: ca.trustRoots), chainLength: 3)
    }

    // MARK: 2. Subject CN consistent with the subjectAltNames

    func testCommonNameMustNameOneOfTheSubjectAltNames() async throws {
        let ca = try TestPKI.makeCA()
        let dns: (String) -> GeneralName = { .dnsName($0) }
        let cases: [(cn: String, sans: [GeneralName], ok: Bool)] = [
            ("www.example.com", [dns("www.example.com")], true),
            ("WWW.Example.COM.", [dns("www.example.com")], true),          // case and trailing dot
            ("www.example.com", [dns("api.example.com")], false),
            ("evil.example", [dns("localhost")], false),
            ("*.example.com", [dns("*.example.com")], true),
            ("*.example.com", [dns("www.example.com")], false),
            ("bücher.example", [dns("xn--bcher-kva.example")], true),      // U-label CN, A-label SAN
            ("BÜCHER.example", [dns("xn--bcher-kva.example")], true),
            ("xn--bcher-kva.example", [dns("xn--bcher-kva.example")], true),
            ("bücher.example", [dns("buecher.example")], false),
            ("192.0.2.7", [try .ip("192.0.2.7")], true),
            ("192.0.2.7", [dns("192.0.2.7")], false),                      // an address needs an iPAddress SAN
            ("192.0.2.8", [try .ip("192.0.2.7")], false),
            ("0xC0.0x0.0x2.0x7", [try .ip("192.0.2.7")], true),            // hex parts
            ("0xC0000207", [try .ip("192.0.2.7")], true),
            ("0xC0.0.2.8", [try .ip("192.0.2.7")], false),
            ("192.168.000.010", [try .ip("192.168.0.10")], false),         // leading zero: octal, so 192.168.0.8
            ("192.168.000.010", [try .ip("192.168.0.8")], true),
            ("192.0.519", [try .ip("192.0.2.7")], true),                   // three parts: the last fills two bytes
            ("2001:DB8:0:0:0:0:0:1", [try .ip("2001:db8::1")], true),      // IPv6 upper case, uncompressed
            ("[2001:db8::1]", [try .ip("2001:db8::1")], true),
            ("2001:DB8::2", [try .ip("2001:db8::1")], false),
            ("::ffff:192.0.2.7", [try .ip("::ffff:c000:207")], true),
            // Not names: left alone.
            ("TLSKit Test Leaf", [dns("www.example.com")], true),
            ("alice", [dns("www.example.com")], true),
            ("localhost", [dns("www.example.com")], true),
        ]
        for c in cases {
            let leaf = try ca.issueEndEntity(commonName: c.cn, sans: c.sans)
            let result = try await verify(leaf, roots: ca.trustRoots, serverName: nil)
            if c.ok {
                assertTrusted(result)
            } else {
                assertRejected(result, rule: .commonName)
            }
        }
        // A CN-only certificate holding a name is inconsistent too.
        assertRejected(try await verify(try ca.issueEndEntity(commonName: "www.example.com", sans: nil),
                                        roots: ca.trustRoots, serverName: nil), rule: .commonName)
        // The identity check still comes first: a certificate for another name is reported as that.
        let other = try ca.issueEndEntity(commonName: "www.example.com", sans: [dns("api.example.com")])
        assertRejected(try await verify(other, roots: ca.trustRoots, serverName: "api.example.com"), rule: .commonName)
        assertRejected(try await verify(other, roots: ca.trustRoots, serverName: "www.example.com"), rule: .serverIdentity)
        // Client certificates carry user names in the CN; the Baseline Requirements rule is for servers.
        let client = try ca.issueEndEntity(commonName: "alice.smith", sans: nil, eku: [.clientAuth])
        assertTrusted(try await verify(client, roots: ca.trustRoots, role: .client, serverName: nil))
    }

    func testCommonNameSpellings() {
        XCTAssertEqual(Punycode.encode(Array("bücher".unicodeScalars)), "bcher-kva")
        XCTAssertEqual(Punycode.encode(Array("münchen".unicodeScalars)), "mnchen-3ya")
        XCTAssertEqual(Punycode.encode(Array("テスト".unicodeScalars)), "zckzah")
        XCTAssertEqual(Punycode.encode(Array("例え".unicodeScalars)), "r8jz45g")
        XCTAssertNil(Punycode.encode(Array(String(repeating: "ü", count: 64).unicodeScalars)))
        XCTAssertEqual(CommonNamePolicy.looseIPv4Bytes("0300.0.02.07"), [192, 0, 2, 7])
        XCTAssertEqual(CommonNamePolicy.looseIPv4Bytes("3221225991"), [192, 0, 2, 7])
        XCTAssertEqual(CommonNamePolicy.looseIPv4Bytes("127.1"), [127, 0, 0, 1])
        XCTAssertNil(CommonNamePolicy.looseIPv4Bytes("256.0.0.1"))
        XCTAssertNil(CommonNamePolicy.looseIPv4Bytes("1.2.3.4.5"))
        XCTAssertNil(CommonNamePolicy.looseIPv4Bytes("09.1.1.1"))  // not an octal digit
        XCTAssertNil(CommonNamePolicy.looseIPv4Bytes("1..2"))
        XCTAssertNil(CommonNamePolicy.looseIPv4Bytes("example.com"))
        XCTAssertNil(CommonNamePolicy.classify("TLSKit Test Leaf"))
        XCTAssertEqual(CommonNamePolicy.classify("Straße.example"), .dns("xn--strae-oqa.example"))
    }

    // MARK: 3. Name constraints

    func testNameConstraintsInAnEndEntityAreRejected() async throws {
        let ca = try TestPKI.makeCA()
        let constraints = NameConstraints(permittedDNSDomains: ["localhost"])
        for critical in [true, false] {
            let leaf = try ca.issueEndEntity(extraExtensions: [try Certificate.Extension(constraints, critical: critical)])
            assertRejected(try await verify(leaf, roots: ca.trustRoots), rule: .nameConstraints)
        }
    }

    func testNonCriticalNameConstraintsInACAAreRejected() async throws {
        let root = try TestPKI.makeCA()
        let constraints = NameConstraints(permittedDNSDomains: ["example.com"])
        let ca = try root.issueCA(extraExtensions: [try Certificate.Extension(constraints, critical: false)])
        let leaf = try ca.issueEndEntity(sans: [.dnsName("www.example.com")])
        assertRejected(try await verify(leaf, roots: root.trustRoots, serverName: "www.example.com"), rule: .nameConstraints)
        // A constrained root is held to the same encoding.
        let constrainedRoot = try TestPKI.makeCA(extraExtensions: [try Certificate.Extension(constraints, critical: false)])
        assertRejected(try await verify(try constrainedRoot.issueEndEntity(sans: [.dnsName("www.example.com")]),
                                        roots: constrainedRoot.trustRoots, serverName: "www.example.com"),
                       rule: .nameConstraints)
    }

    func testPermittedDNSSubtreeWithLeadingPeriodIsRejected() async throws {
        let root = try TestPKI.makeCA()
        let ca = try root.issueCA(nameConstraints: NameConstraints(permittedDNSDomains: [".example.com"]))
        assertRejected(try await verify(try ca.issueEndEntity(sans: [.dnsName("www.example.com")]), roots: root.trustRoots,
                                        serverName: "www.example.com"), rule: .nameConstraints)
        // The same subtree without the period is fine.
        let fine = try root.issueCA(nameConstraints: NameConstraints(permittedDNSDomains: ["example.com"]))
        assertTrusted(try await verify(try fine.issueEndEntity(sans: [.dnsName("www.example.com")]), roots: root.trustRoots,
                                       serverName: "www.example.com"), chainLength: 3)
    }

    func testNameConstraintsWithBothSubtreesEmptyAreRejected() async throws {
        let root = try TestPKI.makeCA()
        let ca = try root.issueCA(nameConstraints: NameConstraints(permittedSubtrees: [], excludedSubtrees: []))
        assertRejected(try await verify(try ca.issueEndEntity(), roots: root.trustRoots), rule: .nameConstraints)
        // The same, encoded by hand: no subtrees at all, and two empty ones (GeneralSubtrees is SIZE (1..MAX)).
        for value: [UInt8] in [[0x30, 0x00], [0x30, 0x04, 0xA0, 0x00, 0xA1, 0x00]] {
            let raw = Certificate.Extension(oid: .X509ExtensionID.nameConstraints, critical: true, value: value[...])
            let empty = try root.issueCA(extraExtensions: [raw])
            assertRejected(try await verify(try empty.issueEndEntity(), roots: root.trustRoots), rule: .nameConstraints)
        }
    }

    func testEmailAddressesOutsideThePermittedSubtreesAreRejected() async throws {
        let root = try TestPKI.makeCA()
        let ca = try root.issueCA(nameConstraints: NameConstraints(
            permittedSubtrees: [.dnsName("example.com"), .rfc822Name("example.com")]))
        let good = try ca.issueEndEntity(sans: [.dnsName("www.example.com"), .rfc822Name("alice@example.com")])
        assertTrusted(try await verify(good, roots: root.trustRoots, serverName: "www.example.com"), chainLength: 3)
        for mailbox in ["mallory@evil.test", "mallory@sub.example.com", "mallory@example.com.evil.test"] {
            let leaf = try ca.issueEndEntity(sans: [.dnsName("www.example.com"), .rfc822Name(mailbox)])
            assertRejected(try await verify(leaf, roots: root.trustRoots, serverName: "www.example.com"),
                           rule: .nameConstraints)
        }
        // The legacy emailAddress attribute in the subject is an address all the same (RFC 5280 §4.2.1.10).
        let inSubject = try ca.issueEndEntity(
            subjectName: try DistinguishedName { CommonName("mallory"); EmailAddress("mallory@evil.test") },
            sans: [.dnsName("www.example.com")])
        assertRejected(try await verify(inSubject, roots: root.trustRoots, serverName: "www.example.com"),
                       rule: .nameConstraints)
        let goodSubject = try ca.issueEndEntity(
            subjectName: try DistinguishedName { CommonName("alice"); EmailAddress("alice@example.com") },
            sans: [.dnsName("www.example.com")])
        assertTrusted(try await verify(goodSubject, roots: root.trustRoots, serverName: "www.example.com"))
    }

    // MARK: 4. Extension encodings

    /// PolicyConstraints ::= SEQUENCE { requireExplicitPolicy [0] 0 }
    static let policyConstraintsValue: [UInt8] = [0x30, 0x03, 0x80, 0x01, 0x00]

    func testNonCriticalPolicyConstraintsAreRejected() async throws {
        let root = try TestPKI.makeCA()
        let nonCritical = Certificate.Extension(oid: .policyConstraints, critical: false,
                                                value: Self.policyConstraintsValue[...])
        let ca = try root.issueCA(extraExtensions: [nonCritical])
        assertRejected(try await verify(try ca.issueEndEntity(), roots: root.trustRoots), rule: .policyConstraints)
        // Critical is the conforming form, but TLSKit does not process certificate policies: like rustls-webpki it
        // refuses a critical policyConstraints as an extension it cannot honour.
        let critical = Certificate.Extension(oid: .policyConstraints, critical: true, value: Self.policyConstraintsValue[...])
        let strict = try root.issueCA(extraExtensions: [critical])
        assertRejected(try await verify(try strict.issueEndEntity(), roots: root.trustRoots), rule: .criticalExtensions)
    }

    func testSubjectAltNameCriticalityFollowsTheSubject() async throws {
        let ca = try TestPKI.makeCA()
        let names = SubjectAlternativeNames([.dnsName("localhost")])
        // Empty subject: the SAN must be critical.
        let emptyNonCritical = try ca.issueEndEntity(subjectName: DistinguishedName())
        assertRejected(try await verify(emptyNonCritical, roots: ca.trustRoots), rule: .subjectAltName)
        let emptyCritical = try ca.issueEndEntity(
            subjectName: DistinguishedName(), extraExtensions: [try Certificate.Extension(names, critical: true)])
        assertTrusted(try await verify(emptyCritical, roots: ca.trustRoots))
        let emptyWithoutSAN = try ca.issueEndEntity(subjectName: DistinguishedName(), sans: nil)
        assertRejected(try await verify(emptyWithoutSAN, roots: ca.trustRoots, serverName: nil), rule: .subjectAltName)
        // A subject: the SAN must not be critical.
        let namedCritical = try ca.issueEndEntity(extraExtensions: [try Certificate.Extension(names, critical: true)])
        assertRejected(try await verify(namedCritical, roots: ca.trustRoots), rule: .subjectAltName)
    }

    func testDNSNameWithUnderscoreIsRejected() async throws {
        let ca = try TestPKI.makeCA()
        let leaf = try ca.issueEndEntity(sans: [.dnsName("my_host.example.com"), .dnsName("localhost")])
        assertRejected(try await verify(leaf, roots: ca.trustRoots), rule: .subjectAltName)
        assertRejected(try await verify(leaf, roots: ca.trustRoots, serverName: nil), rule: .subjectAltName)
    }

    func testCAWithEmptySubjectIsRejected() async throws {
        let root = try TestPKI.makeCA()
        let anonymous = try root.issueCA(subjectName: DistinguishedName())
        assertRejected(try await verify(try anonymous.issueEndEntity(), roots: root.trustRoots), rule: .subject)
    }

    func testRootWithNonCriticalBasicConstraintsIsRejected() async throws {
        let nonCritical = try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: false)
        let root = try TestPKI.makeCA(extraExtensions: [nonCritical])
        assertRejected(try await verify(try root.issueEndEntity(), roots: root.trustRoots), rule: .basicConstraints)
        // An intermediate likewise (RFC 5280 §4.2.1.9).
        let good = try TestPKI.makeCA()
        let intermediate = try good.issueCA(basicConstraints: nil, extraExtensions: [nonCritical])
        assertRejected(try await verify(try intermediate.issueEndEntity(), roots: good.trustRoots), rule: .basicConstraints)
    }

    // MARK: 5. Key identifiers

    func testTheHelpersSetKeyIdentifiersEverywhere() throws {
        let root = try TestPKI.makeCA()
        let intermediate = try root.issueIntermediate()
        let policyCA = try root.issueCA()
        for leaf in [try intermediate.issueLeaf(), try policyCA.issueEndEntity()] {
            XCTAssertNotNil(try leaf.certificate.extensions.authorityKeyIdentifier?.keyIdentifier)
            XCTAssertNotNil(try leaf.certificate.extensions.subjectKeyIdentifier)
        }
        for ca in [intermediate.certificate, policyCA.certificate] {
            XCTAssertNotNil(try ca.extensions.authorityKeyIdentifier?.keyIdentifier)
            XCTAssertNotNil(try ca.extensions.subjectKeyIdentifier)
        }
        XCTAssertEqual(try intermediate.certificate.extensions.authorityKeyIdentifier?.keyIdentifier,
                       try root.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
        XCTAssertNotNil(try root.certificate.extensions.subjectKeyIdentifier)
    }

    func testMissingAuthorityKeyIdentifierIsRejected() async throws {
        let root = try TestPKI.makeCA()
        let noAKILeaf = try root.issueEndEntity(omitting: [.X509ExtensionID.authorityKeyIdentifier])
        assertRejected(try await verify(noAKILeaf, roots: root.trustRoots), rule: .keyIdentifiers)
        let noAKICA = try root.issueCA(omitting: [.X509ExtensionID.authorityKeyIdentifier])
        assertRejected(try await verify(try noAKICA.issueEndEntity(), roots: root.trustRoots), rule: .keyIdentifiers)
        // A leaf needs no subjectKeyIdentifier.
        assertTrusted(try await verify(try root.issueEndEntity(omitting: [.X509ExtensionID.subjectKeyIdentifier]),
                                       roots: root.trustRoots))
    }

    func testCAWithoutSubjectKeyIdentifierIsRejected() async throws {
        let root = try TestPKI.makeCA()
        let noSKI = try root.issueCA(omitting: [.X509ExtensionID.subjectKeyIdentifier])
        assertRejected(try await verify(try noSKI.issueEndEntity(), roots: root.trustRoots), rule: .keyIdentifiers)
        let rootWithoutSKI = try TestPKI.makeCA(omitting: [.X509ExtensionID.subjectKeyIdentifier])
        assertRejected(try await verify(try rootWithoutSKI.issueEndEntity(), roots: rootWithoutSKI.trustRoots),
                       rule: .keyIdentifiers)
    }

    func testRootAuthorityKeyIdentifierMustBeItsOwnKeyIdentifier() async throws {
        let key = TestPrivateKey(.ecdsaP256)
        let ownID = key.authorityKeyIdentifier.keyIdentifier
        let name = try DistinguishedName { CommonName("TLSKit Test Root CA") }
        func root(_ aki: AuthorityKeyIdentifier) throws -> TestCA {
            try TestPKI.makeCA(key: key, extraExtensions: [try Certificate.Extension(aki, critical: false)])
        }
        let matching = try root(AuthorityKeyIdentifier(keyIdentifier: ownID))
        assertTrusted(try await verify(try matching.issueEndEntity(), roots: matching.trustRoots))
        let withIssuer = try root(AuthorityKeyIdentifier(
            keyIdentifier: ownID, authorityCertIssuer: [.directoryName(name)],
            authorityCertSerialNumber: Certificate.SerialNumber(bytes: [0x01])))
        assertRejected(try await verify(try withIssuer.issueEndEntity(), roots: withIssuer.trustRoots), rule: .keyIdentifiers)
        let mismatched = try root(AuthorityKeyIdentifier(keyIdentifier: [1, 2, 3, 4]))
        assertRejected(try await verify(try mismatched.issueEndEntity(), roots: mismatched.trustRoots), rule: .keyIdentifiers)
    }

    // MARK: 6. Serial numbers, RSA key sizes, authority information access

    func testSerialNumbersMustBePositiveAndAtMostTwentyOctets() async throws {
        let ca = try TestPKI.makeCA()
        assertRejected(try await verify(try ca.issueEndEntity(serialNumber: Certificate.SerialNumber(bytes: [0])),
                                        roots: ca.trustRoots), rule: .serialNumber)
        let long = Certificate.SerialNumber(bytes: [0x01] + [UInt8](repeating: 0x22, count: 20))
        assertRejected(try await verify(try ca.issueEndEntity(serialNumber: long), roots: ca.trustRoots), rule: .serialNumber)
        assertRejected(try await verify(try ca.issueCA(serialNumber: long).issueEndEntity(), roots: ca.trustRoots),
                       rule: .serialNumber)
        // Twenty octets with the top bit set (21 in DER, with the sign byte) are fine.
        let twenty = Certificate.SerialNumber(bytes: [UInt8](repeating: 0xA5, count: 20))
        assertTrusted(try await verify(try ca.issueEndEntity(serialNumber: twenty), roots: ca.trustRoots))
    }

    func testRSAModulusMustBeAMultipleOfEightBits() async throws {
        let ca = try TestPKI.makeCA()
        // Only the issuing CA's signature is checked, so any public key will do: a 2049-bit modulus.
        func rsaKey(bits: Int) throws -> Certificate.PublicKey {
            var modulus = [UInt8](repeating: 0xC3, count: (bits + 7) / 8)
            modulus[0] = UInt8(1 << ((bits - 1) % 8)) | (bits % 8 == 1 ? 0 : 0x01)
            modulus[modulus.count - 1] |= 1
            return Certificate.PublicKey(try _RSA.Signing.PublicKey(n: modulus, e: [0x01, 0x00, 0x01]))
        }
        XCTAssertEqual(_RSA.Signing.PublicKey(try rsaKey(bits: 2049))?.keySizeInBits, 2049)
        assertRejected(try await verify(try ca.issueEndEntity(publicKey: try rsaKey(bits: 2049)), roots: ca.trustRoots),
                       rule: .publicKey)
        assertTrusted(try await verify(try ca.issueEndEntity(publicKey: try rsaKey(bits: 2048)), roots: ca.trustRoots))
    }

    func testMalformedAuthorityInformationAccessIsRejected() async throws {
        let ca = try TestPKI.makeCA()
        // SEQUENCE { INTEGER 0 } is not a SEQUENCE OF AccessDescription.
        let malformed = Certificate.Extension(oid: .X509ExtensionID.authorityInformationAccess, critical: false,
                                              value: [0x30, 0x03, 0x02, 0x01, 0x00])
        assertRejected(try await verify(try ca.issueEndEntity(extraExtensions: [malformed]), roots: ca.trustRoots),
                       rule: .authorityInfoAccess)
        assertRejected(try await verify(try ca.issueCA(extraExtensions: [malformed]).issueEndEntity(), roots: ca.trustRoots),
                       rule: .authorityInfoAccess)
        let wellFormed = try Certificate.Extension(AuthorityInformationAccess([.init(
            method: .ocspServer, location: .uniformResourceIdentifier("http://ocsp.example.com"))]), critical: false)
        assertTrusted(try await verify(try ca.issueEndEntity(extraExtensions: [wellFormed]), roots: ca.trustRoots))
    }

    // MARK: 7. Wildcards under a public suffix

    func testWildcardDirectlyUnderAPublicSuffixIsRejected() async throws {
        let ca = try TestPKI.makeCA()
        for wildcard in ["*.com", "*.co.uk", "*.xn--55qx5d.cn", "*.foo.kawasaki.jp"] {
            let leaf = try ca.issueEndEntity(sans: [.dnsName("localhost"), .dnsName(wildcard)])
            assertRejected(try await verify(leaf, roots: ca.trustRoots), rule: .subjectAltName)
        }
        for wildcard in ["*.example.com", "*.example.co.uk", "*.city.kawasaki.jp"] {
            let leaf = try ca.issueEndEntity(sans: [.dnsName("localhost"), .dnsName(wildcard)])
            assertTrusted(try await verify(leaf, roots: ca.trustRoots))
        }
    }

    func testPublicSuffixList() {
        func isSuffix(_ name: String) -> Bool { PublicSuffixList.isPublicSuffix(name.split(separator: ".")) }
        XCTAssertTrue(isSuffix("com"))
        XCTAssertTrue(isSuffix("co.uk"))
        XCTAssertTrue(isSuffix("anything.ck"))       // *.ck
        XCTAssertFalse(isSuffix("www.ck"))           // !www.ck
        XCTAssertTrue(isSuffix("xn--55qx5d.cn"))     // 公司.cn, stored as an A-label
        XCTAssertTrue(isSuffix("notatld"))           // the implicit * rule
        XCTAssertFalse(isSuffix("example.com"))
        XCTAssertFalse(isSuffix("example.co.uk"))
        XCTAssertGreaterThan(PublicSuffixList.rules.exact.count, 5000)
    }

    // MARK: 8. What must be accepted

    func testPathLenConstraintInALeafIsIgnored() async throws {
        let ca = try TestPKI.makeCA()
        // BasicConstraints { pathLenConstraint 0 } (cA absent: FALSE), and { cA FALSE, pathLenConstraint 0 }.
        for value: [UInt8] in [[0x30, 0x03, 0x02, 0x01, 0x00], [0x30, 0x06, 0x01, 0x01, 0x00, 0x02, 0x01, 0x00]] {
            let bc = Certificate.Extension(oid: .X509ExtensionID.basicConstraints, critical: true, value: value[...])
            let leaf = try ca.issueEndEntity(basicConstraints: nil, extraExtensions: [bc])
            assertTrusted(try await verify(leaf, roots: ca.trustRoots))
        }
        // cA TRUE is still a CA certificate, whatever its pathLenConstraint.
        let caValue: [UInt8] = [0x30, 0x06, 0x01, 0x01, 0xFF, 0x02, 0x01, 0x00]
        let bc = Certificate.Extension(oid: .X509ExtensionID.basicConstraints, critical: true, value: caValue[...])
        assertRejected(try await verify(try ca.issueEndEntity(basicConstraints: nil, extraExtensions: [bc]),
                                        roots: ca.trustRoots), rule: .basicConstraints)
    }

    func testSelfIssuedIntermediateDoesNotCountTowardsPathLength() async throws {
        // A root allowing no intermediates at all, then a key rollover certificate (self-issued: same name).
        let pathLenZero = try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: 0), critical: true)
        let root = try TestPKI.makeCA(extraExtensions: [pathLenZero])
        let rolled = try root.issueCA(subjectName: root.certificate.subject)
        assertTrusted(try await verify(try rolled.issueEndEntity(), roots: root.trustRoots), chainLength: 3)
        // A CA with another name below the same root exceeds the constraint.
        let other = try root.issueCA(commonName: "Other CA")
        assertRejected(try await verify(try other.issueEndEntity(), roots: root.trustRoots), rule: .basicConstraints)
    }

    /// A GeneralizedTime with fractional seconds (which RFC 5280 §4.1.2.5.2 forbids CAs to write, but verifiers meet)
    /// parses. Limitation, recorded here: swift-certificates drops the fraction when it turns the time into a `Date`,
    /// so notAfter 23:59:59.5 is read as 23:59:59 (the certificate expires up to a second early; a fractional
    /// notBefore likewise starts up to a second early). TLSKit does not re-parse the validity itself.
    func testFractionalSecondsInGeneralizedTimeParse() async throws {
        let ca = try TestPKI.makeCA(notAfter: Date(timeIntervalSince1970: 4_200_000_000))
        let leaf = try ca.issueEndEntity(notAfter: Date(timeIntervalSince1970: 4_102_444_799))  // 2099-12-31T23:59:59Z
        let der = try ca.reissue(leaf.certificate, notAfter: Array("20991231235959.5Z".utf8))
        let parsed = try Certificate(derEncoded: der)
        XCTAssertEqual(parsed.notValidAfter.timeIntervalSince1970, 4_102_444_799, "the fraction is dropped")
        let request = { (now: Date) in PeerVerificationRequest(chainDER: [der], role: .server, serverName: "localhost", now: now) }
        let verifier = X509CertificateVerifier(trustRoots: ca.trustRoots)
        assertTrusted(await verifier.verify(request(Date(timeIntervalSince1970: 4_102_444_799))))
        assertRejected(await verifier.verify(request(Date(timeIntervalSince1970: 4_102_444_799.4))), rule: .validity)
        assertRejected(await verifier.verify(request(Date(timeIntervalSince1970: 4_102_444_800))), rule: .validity)
    }

    /// Decision: a CA certificate is not an end entity, as in rustls-webpki and the Baseline Requirements (Go's
    /// crypto/x509 accepts one). Only a certificate trusted directly (pinned as a root) may be both.
    func testCACertificateAsLeafIsRejectedUnlessPinned() async throws {
        let root = try TestPKI.makeCA()
        let caAsLeaf = try root.issueCA(commonName: "CA used as a server", dnsNames: ["localhost"])
        let presented = [try caAsLeaf.certificate.serializeAsPEM().derBytes]
        let verifier = X509CertificateVerifier(trustRoots: root.trustRoots)
        assertRejected(await verifier.verify(PeerVerificationRequest(chainDER: presented, role: .server, serverName: "localhost")),
                       rule: .basicConstraints)
        let pinned = X509CertificateVerifier(trustRoots: TrustRoots(certificates: [caAsLeaf.certificate]))
        assertTrusted(await pinned.verify(PeerVerificationRequest(chainDER: presented, role: .server, serverName: "localhost")))
    }
}

extension WebPKIProfileTests {
    /// The operating system's bundle is taken as its root program curated it: an anchor from it without a
    /// subjectKeyIdentifier (2 of Debian's 139 roots) still anchors a chain, while the same root configured by hand is
    /// held to the profile. Below the anchor nothing changes.
    func testSystemStoreAnchorsAreNotHeldToTheProfile() async throws {
        let rootWithoutSKI = try TestPKI.makeCA(omitting: [.X509ExtensionID.subjectKeyIdentifier])
        let leaf = try rootWithoutSKI.issueEndEntity()
        let bundle = try TestPKI.makeTempDirectory("tlskit-system-store").appendingPathComponent("bundle.pem")
        try Data(rootWithoutSKI.certificatePEM.utf8).write(to: bundle)
        let system = try TrustRoots.system(bundlePaths: [bundle.path])
        XCTAssertTrue(system.isSystemStore)
        assertTrusted(try await verify(leaf, roots: system))
        assertRejected(try await verify(leaf, roots: rootWithoutSKI.trustRoots), rule: .keyIdentifiers)
        // An intermediate without a subjectKeyIdentifier is refused whatever the roots.
        let systemCA = try TestPKI.makeCA()
        let noSKI = try systemCA.issueCA(omitting: [.X509ExtensionID.subjectKeyIdentifier])
        try Data(systemCA.certificatePEM.utf8).write(to: bundle)
        let other = try TrustRoots.system(bundlePaths: [bundle.path])
        assertRejected(try await verify(try noSKI.issueEndEntity(), roots: other), rule: .keyIdentifiers)
    }
}
