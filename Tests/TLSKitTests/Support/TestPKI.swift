import Crypto
import CryptoExtras
import Foundation
import SwiftASN1
import TLSCrypto
@testable import TLSKit
import X509

/// Builds throwaway PKIs for tests: a root CA, optional intermediates and leaves, for every key type TLSKit signs with.
///
///     let ca = try TestPKI.makeCA(keyType: .ecdsaP256)
///     let leaf = try ca.issueLeaf(keyType: .ed25519, dnsNames: ["localhost"], ips: ["127.0.0.1"])
///     let verifier = X509CertificateVerifier(trustRoots: ca.trustRoots)
enum TestPKI {
    enum KeyType: String, CaseIterable, Sendable {
        case ecdsaP256, ecdsaP384, ecdsaP521, ed25519, rsa2048
    }

    /// One hour back, one day ahead: valid now, with room for clock skew.
    static var defaultNotBefore: Date { Date().addingTimeInterval(-3600) }
    static var defaultNotAfter: Date { Date().addingTimeInterval(86400) }

    /// A self-signed root (with `key`, or a new key of `keyType`). `extraExtensions` are added, each replacing a default extension with the same OID;
    /// `omitting` drops defaults; `subjectName` replaces the CN-only name (issuer and subject alike).
    static func makeCA(
        keyType: KeyType = .ecdsaP256,
        key: TestPrivateKey? = nil,
        commonName: String = "TLSKit Test Root CA",
        subjectName: DistinguishedName? = nil,
        extraExtensions: [Certificate.Extension] = [],
        omitting: [ASN1ObjectIdentifier] = [],
        notBefore: Date = defaultNotBefore,
        notAfter: Date = defaultNotAfter.addingTimeInterval(86400 * 365),
        signatureAlgorithm: Certificate.SignatureAlgorithm? = nil
    ) throws -> TestCA {
        let key = key ?? TestPrivateKey(keyType)
        let name = try subjectName ?? DistinguishedName { CommonName(commonName) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.certificateKey.publicKey,
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: name,
            subject: name,
            signatureAlgorithm: signatureAlgorithm ?? key.signatureAlgorithm,
            extensions: try TestCA.extensions(defaults: TestCA.caExtensions(key: key), extra: extraExtensions,
                                              omitting: omitting),
            issuerPrivateKey: key.certificateKey
        )
        return TestCA(key: key, certificate: certificate, intermediates: [])
    }
}

/// A private key in all the forms tests need.
struct TestPrivateKey: Sendable {
    enum Backing {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case p521(P521.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    let keyType: TestPKI.KeyType
    let backing: Backing

    init(_ keyType: TestPKI.KeyType) {
        self.keyType = keyType
        switch keyType {
        case .ecdsaP256: backing = .p256(P256.Signing.PrivateKey())
        case .ecdsaP384: backing = .p384(P384.Signing.PrivateKey())
        case .ecdsaP521: backing = .p521(P521.Signing.PrivateKey())
        case .ed25519: backing = .ed25519(Curve25519.Signing.PrivateKey())
        case .rsa2048: backing = .rsa(TestPrivateKey.rsaKey())
        }
    }

    /// RSA key generation is slow; tests draw from a small pool, round-robin.
    private static let rsaPool: [_RSA.Signing.PrivateKey] = (0..<3).map { _ in
        // Generation only fails if BoringSSL is broken; nothing here derives from test input.
        try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    }
    nonisolated(unsafe) private static var rsaNext = 0
    private static let rsaLock = NSLock()
    private static func rsaKey() -> _RSA.Signing.PrivateKey {
        rsaLock.lock()
        defer { rsaLock.unlock() }
        rsaNext += 1
        return rsaPool[rsaNext % rsaPool.count]
    }

    var certificateKey: Certificate.PrivateKey {
        switch backing {
        case .p256(let k): return Certificate.PrivateKey(k)
        case .p384(let k): return Certificate.PrivateKey(k)
        case .p521(let k): return Certificate.PrivateKey(k)
        case .ed25519(let k): return Certificate.PrivateKey(k)
        case .rsa(let k): return Certificate.PrivateKey(k)
        }
    }

    var signingKey: any SigningKey {
        switch backing {
        case .p256(let k): return ECDSAP256SigningKey(k)
        case .p384(let k): return ECDSAP384SigningKey(k)
        case .p521(let k): return ECDSAP521SigningKey(k)
        case .ed25519(let k): return Ed25519SigningKey(k)
        case .rsa(let k): return RSASigningKey(k)
        }
    }

    /// The authorityKeyIdentifier of certificates this key signs: the keyIdentifier only (the CA/Browser Forum
    /// profile), equal to the subjectKeyIdentifier the helpers give the certificate of this key.
    var authorityKeyIdentifier: AuthorityKeyIdentifier {
        AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: certificateKey.publicKey).keyIdentifier)
    }

    var signatureAlgorithm: Certificate.SignatureAlgorithm {
        switch backing {
        case .p256: return .ecdsaWithSHA256
        case .p384: return .ecdsaWithSHA384
        case .p521: return .ecdsaWithSHA512
        case .ed25519: return .ed25519
        case .rsa: return .sha256WithRSAEncryption
        }
    }

    /// PKCS#8 DER ("PRIVATE KEY").
    var pkcs8DER: [UInt8] {
        switch backing {
        case .p256(let k): return Array(k.derRepresentation)
        case .p384(let k): return Array(k.derRepresentation)
        case .p521(let k): return Array(k.derRepresentation)
        case .ed25519(let k): return Array(k.derRepresentation)
        case .rsa(let k): return Array(k.pkcs8DERRepresentation)
        }
    }

    var pkcs8PEM: String { PEMDocument(type: "PRIVATE KEY", derBytes: pkcs8DER).pemString + "\n" }

    /// The pre-PKCS#8 encoding: SEC1 for EC, PKCS#1 for RSA, nil for Ed25519 (which has none).
    var legacyDER: [UInt8]? {
        switch backing {
        case .p256(let k):
            return TestPrivateKey.sec1(raw: Array(k.rawRepresentation), curve: [1, 2, 840, 10045, 3, 1, 7],
                                       publicKey: Array(k.publicKey.x963Representation))
        case .p384(let k):
            return TestPrivateKey.sec1(raw: Array(k.rawRepresentation), curve: [1, 3, 132, 0, 34],
                                       publicKey: Array(k.publicKey.x963Representation))
        case .p521(let k):
            return TestPrivateKey.sec1(raw: Array(k.rawRepresentation), curve: [1, 3, 132, 0, 35],
                                       publicKey: Array(k.publicKey.x963Representation))
        case .ed25519: return nil
        case .rsa(let k): return Array(k.derRepresentation)
        }
    }

    var legacyPEM: String? {
        guard let der = legacyDER else { return nil }
        let label = keyType == .rsa2048 ? "RSA PRIVATE KEY" : "EC PRIVATE KEY"
        return PEMDocument(type: label, derBytes: der).pemString + "\n"
    }

    /// SEC1 ECPrivateKey (RFC 5915) — swift-crypto only writes PKCS#8, so build it by hand.
    static func sec1(raw: [UInt8], curve: ASN1ObjectIdentifier, publicKey: [UInt8]) -> [UInt8] {
        var serializer = DER.Serializer()
        try? serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)
            try coder.serialize(ASN1OctetString(contentBytes: raw[...]))
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { try $0.serialize(curve) }
            try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) {
                try $0.serialize(ASN1BitString(bytes: publicKey[...]))
            }
        }
        return serializer.serializedBytes
    }
}

/// A CA (root or intermediate) that can issue intermediates and leaves.
struct TestCA: Sendable {
    let key: TestPrivateKey
    let certificate: Certificate
    /// Intermediates between this CA and the root, nearest first (empty for a root).
    let intermediates: [Certificate]

    var certificatePEM: String { (try? certificate.serializeAsPEM().pemString).map { $0 + "\n" } ?? "" }
    /// Trust anchors containing only the root of this CA's hierarchy.
    var trustRoots: TrustRoots { TrustRoots(certificates: [root]) }
    var root: Certificate { intermediates.last ?? certificate }
    var rootPEM: String { (try? root.serializeAsPEM().pemString).map { $0 + "\n" } ?? "" }

    /// A CA's extensions; `issuerKey` (nil for a self-signed root) adds the authorityKeyIdentifier naming it.
    static func caExtensions(key: TestPrivateKey, issuerKey: TestPrivateKey? = nil) throws -> Certificate.Extensions {
        try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: key.certificateKey.publicKey)
            if let issuerKey { issuerKey.authorityKeyIdentifier }
        }
    }

    func issueIntermediate(
        keyType: TestPKI.KeyType = .ecdsaP256,
        commonName: String = "TLSKit Test Intermediate CA",
        notBefore: Date = TestPKI.defaultNotBefore,
        notAfter: Date = TestPKI.defaultNotAfter
    ) throws -> TestCA {
        let newKey = TestPrivateKey(keyType)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: newKey.certificateKey.publicKey,
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: self.certificate.subject,
            subject: try DistinguishedName { CommonName(commonName) },
            signatureAlgorithm: key.signatureAlgorithm,
            extensions: try TestCA.caExtensions(key: newKey, issuerKey: key),
            issuerPrivateKey: key.certificateKey
        )
        return TestCA(key: newKey, certificate: certificate, intermediates: [self.certificate] + intermediates)
    }

    /// Issues a leaf. `eku: nil` leaves the extension out, which X509CertificateVerifier refuses (a WebPKI leaf
    /// must list its purpose); `eku: []` is not allowed by RFC 5280.
    func issueLeaf(
        keyType: TestPKI.KeyType = .ecdsaP256,
        commonName: String = "TLSKit Test Leaf",
        dnsNames: [String] = ["localhost"],
        ips: [String] = [],
        eku: [ExtendedKeyUsage.Usage]? = [.serverAuth, .clientAuth],
        notBefore: Date = TestPKI.defaultNotBefore,
        notAfter: Date = TestPKI.defaultNotAfter,
        keyEncipherment: Bool = false
    ) throws -> TestLeaf {
        let leafKey = TestPrivateKey(keyType)
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        for ip in ips { names.append(.ipAddress(ASN1OctetString(contentBytes: try TestPKI.ipBytes(ip)[...]))) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: keyEncipherment))
            if !names.isEmpty { SubjectAlternativeNames(names) }
            if let eku { try ExtendedKeyUsage(eku) }
            SubjectKeyIdentifier(hash: leafKey.certificateKey.publicKey)
            key.authorityKeyIdentifier
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: leafKey.certificateKey.publicKey,
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: self.certificate.subject,
            subject: try DistinguishedName { CommonName(commonName) },
            signatureAlgorithm: key.signatureAlgorithm,
            extensions: extensions,
            issuerPrivateKey: key.certificateKey
        )
        // The presented chain: leaf, then every CA except the root.
        let presented = [certificate] + ([self.certificate] + intermediates).dropLast()
        return TestLeaf(key: leafKey, certificate: certificate, chainCertificates: Array(presented), root: root)
    }
}

/// An issued leaf with its key, in every form tests need.
struct TestLeaf: Sendable {
    let key: TestPrivateKey
    let certificate: Certificate
    /// Leaf first, intermediates after, root excluded.
    let chainCertificates: [Certificate]
    let root: Certificate

    var chain: CertificateChain {
        get throws { try CertificateChain(certificates: chainCertificates) }
    }
    var chainDER: [[UInt8]] {
        get throws { try chain.derEncoded }
    }
    var certifiedKey: CertifiedKey {
        get throws { try CertifiedKey(chain: chain, privateKey: key.signingKey) }
    }
    /// The presented chain as a PEM bundle, leaf first.
    var certificatePEM: String {
        get throws { try chainCertificates.map { try $0.serializeAsPEM().pemString + "\n" }.joined() }
    }
    var privateKeyPEM: String { key.pkcs8PEM }
    var rootPEM: String {
        get throws { try root.serializeAsPEM().pemString + "\n" }
    }

    /// Writes cert.pem (chain), key.pem (PKCS#8) and ca.pem (root) into `dir`, creating it if needed.
    @discardableResult
    func writeFiles(to dir: URL) throws -> (certPath: String, keyPath: String, caPath: String) {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cert = dir.appendingPathComponent("cert.pem")
        let key = dir.appendingPathComponent("key.pem")
        let ca = dir.appendingPathComponent("ca.pem")
        try Data(certificatePEM.utf8).write(to: cert)
        try Data(privateKeyPEM.utf8).write(to: key)
        try Data(rootPEM.utf8).write(to: ca)
        return (cert.path, key.path, ca.path)
    }
}

extension TestPKI {
    /// A fresh empty directory under the system temp dir.
    static func makeTempDirectory(_ label: String = "tlskit-test") throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    struct BadIPAddress: Error { let text: String }

    static func ipBytes(_ text: String) throws -> [UInt8] {
        guard let bytes = ipAddressBytes(text) else { throw BadIPAddress(text: text) }
        return bytes
    }
}
