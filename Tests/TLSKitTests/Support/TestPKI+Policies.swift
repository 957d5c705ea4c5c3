import Crypto
import Foundation
import SwiftASN1
@testable import TLSKit
import X509

/// Knobs for certificates that deliberately break (or stress) verifier rules.
extension TestCA {
    /// Issues a CA certificate with full control over the CA extensions. `nil` leaves an extension out.
    /// `subjectName` defaults to `commonName`; pass this CA's own subject to make a self-issued certificate.
    /// `key` lets several certificates share one key pair (cross-signing, key rollover). `signatureAlgorithm`
    /// overrides how this CA signs it (e.g. `.sha1WithRSAEncryption` from an RSA CA). `extraExtensions` are added,
    /// each replacing a default extension with the same OID; `omitting` drops defaults (e.g. the key identifiers).
    func issueCA(
        commonName: String = "TLSKit Test Intermediate CA",
        subjectName: DistinguishedName? = nil,
        key newKey: TestPrivateKey = TestPrivateKey(.ecdsaP256),
        basicConstraints: BasicConstraints? = .isCertificateAuthority(maxPathLength: nil),
        keyUsage: KeyUsage? = KeyUsage(keyCertSign: true, cRLSign: true),
        eku: [ExtendedKeyUsage.Usage]? = nil,
        nameConstraints: NameConstraints? = nil,
        dnsNames: [String] = [],
        extraExtensions: [Certificate.Extension] = [],
        omitting: [ASN1ObjectIdentifier] = [],
        serialNumber: Certificate.SerialNumber = Certificate.SerialNumber(),
        notBefore: Date = TestPKI.defaultNotBefore,
        notAfter: Date = TestPKI.defaultNotAfter,
        signatureAlgorithm: Certificate.SignatureAlgorithm? = nil
    ) throws -> TestCA {
        let subject = try subjectName ?? DistinguishedName { CommonName(commonName) }
        let extensions = try TestCA.extensions(defaults: Certificate.Extensions {
            if let basicConstraints { Critical(basicConstraints) }
            if let keyUsage { Critical(keyUsage) }
            if let eku { try ExtendedKeyUsage(eku) }
            if let nameConstraints { Critical(nameConstraints) }
            if !dnsNames.isEmpty { SubjectAlternativeNames(dnsNames.map { .dnsName($0) }) }
            SubjectKeyIdentifier(hash: newKey.certificateKey.publicKey)
            key.authorityKeyIdentifier
        }, extra: extraExtensions, omitting: omitting)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: serialNumber,
            publicKey: newKey.certificateKey.publicKey,
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: self.certificate.subject,
            subject: subject,
            signatureAlgorithm: signatureAlgorithm ?? key.signatureAlgorithm,
            extensions: extensions,
            issuerPrivateKey: key.certificateKey
        )
        return TestCA(key: newKey, certificate: certificate, intermediates: [self.certificate] + intermediates)
    }

    /// `defaults`, then each of `extra` replacing the default with its OID (or added), less the `omitting` OIDs.
    static func extensions(defaults: Certificate.Extensions, extra: [Certificate.Extension],
                           omitting: [ASN1ObjectIdentifier]) throws -> Certificate.Extensions {
        var extensions = defaults
        for oid in omitting { _ = extensions.remove(oid) }
        for replacement in extra { _ = extensions.update(replacement) }
        return extensions
    }

    /// Issues an end-entity certificate with full control over its extensions. `sans: nil` omits the
    /// subjectAltName extension (a CN-only certificate); `subjectName` replaces the CN-only subject (an empty
    /// `DistinguishedName()` makes a subject-less certificate). `extraExtensions` are added, each replacing a default
    /// extension with the same OID; `omitting` drops defaults. `publicKey` certifies a key other than the leaf's own
    /// (e.g. an RSA key of an odd size). `signatureAlgorithm` overrides how this CA signs it.
    func issueEndEntity(
        commonName: String = "TLSKit Test Leaf",
        subjectName: DistinguishedName? = nil,
        sans: [GeneralName]? = [.dnsName("localhost")],
        basicConstraints: BasicConstraints? = .notCertificateAuthority,
        keyUsage: KeyUsage? = KeyUsage(digitalSignature: true),
        eku: [ExtendedKeyUsage.Usage]? = [.serverAuth, .clientAuth],
        extraExtensions: [Certificate.Extension] = [],
        omitting: [ASN1ObjectIdentifier] = [],
        serialNumber: Certificate.SerialNumber = Certificate.SerialNumber(),
        publicKey: Certificate.PublicKey? = nil,
        notBefore: Date = TestPKI.defaultNotBefore,
        notAfter: Date = TestPKI.defaultNotAfter,
        signatureAlgorithm: Certificate.SignatureAlgorithm? = nil
    ) throws -> TestLeaf {
        let leafKey = TestPrivateKey(.ecdsaP256)
        let extensions = try TestCA.extensions(defaults: Certificate.Extensions {
            if let basicConstraints { Critical(basicConstraints) }
            if let keyUsage { Critical(keyUsage) }
            if let sans { SubjectAlternativeNames(sans) }
            if let eku { try ExtendedKeyUsage(eku) }
            SubjectKeyIdentifier(hash: leafKey.certificateKey.publicKey)
            key.authorityKeyIdentifier
        }, extra: extraExtensions, omitting: omitting)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: serialNumber,
            publicKey: publicKey ?? leafKey.certificateKey.publicKey,
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: self.certificate.subject,
            subject: try subjectName ?? DistinguishedName { CommonName(commonName) },
            signatureAlgorithm: signatureAlgorithm ?? key.signatureAlgorithm,
            extensions: extensions,
            issuerPrivateKey: key.certificateKey
        )
        let presented = [certificate] + ([self.certificate] + intermediates).dropLast()
        return TestLeaf(key: leafKey, certificate: certificate, chainCertificates: Array(presented), root: root)
    }
}

extension TestCA {
    struct UnsupportedReissue: Error {}

    /// The DER of `certificate` (issued by this CA, with an ECDSA P-256 key) with its notAfter replaced by a
    /// GeneralizedTime spelled `notAfter` (e.g. with fractional seconds, which swift-certificates never writes), and
    /// signed again by this CA.
    func reissue(_ certificate: Certificate, notAfter: [UInt8]) throws -> [UInt8] {
        guard case .p256(let signingKey) = key.backing else { throw UnsupportedReissue() }
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let outer = try DER.parse(serializer.serializedBytes)
        guard case .constructed(let outerParts) = outer.content else { throw UnsupportedReissue() }
        let parts = Array(outerParts)
        guard parts.count == 3, case .constructed(let tbsParts) = parts[0].content else { throw UnsupportedReissue() }
        // TBSCertificate: [0] version, serialNumber, signature, issuer, validity, …
        var fields = Array(tbsParts).map { Array($0.encodedBytes) }
        let validity = try DER.parse(fields[4])
        guard case .constructed(let times) = validity.content, let notBefore = Array(times).first else {
            throw UnsupportedReissue()
        }
        fields[4] = Self.tlv(0x30, Array(notBefore.encodedBytes) + Self.tlv(0x18, notAfter))
        let tbs = Self.tlv(0x30, fields.flatMap { $0 })
        let signature = Array(try signingKey.signature(for: tbs).derRepresentation)
        return Self.tlv(0x30, tbs + Array(parts[1].encodedBytes) + Self.tlv(0x03, [0x00] + signature))
    }

    /// A DER CRL (RFC 5280 §5) from this CA (ECDSA P-256 only) listing `revoked`. `crlNumber: nil` leaves the CRL
    /// number out; `extraExtensions` are added to the CRL's extensions; `signedBy` signs with another key (a forged
    /// or misattributed CRL).
    func issueCRL(
        revoked: [Certificate.SerialNumber] = [],
        crlNumber: UInt8? = 1,
        crlNumberCritical: Bool = false,
        extraExtensions: [Certificate.Extension] = [],
        thisUpdate: Date = Date().addingTimeInterval(-600),
        nextUpdate: Date = Date().addingTimeInterval(86400),
        signedBy: TestPrivateKey? = nil
    ) throws -> [UInt8] {
        guard case .p256(let signingKey) = (signedBy ?? key).backing else { throw UnsupportedReissue() }
        func utcTime(_ date: Date) -> [UInt8] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyMMddHHmmss'Z'"
            return Self.tlv(0x17, Array(formatter.string(from: date).utf8))
        }
        func der(_ value: some DERSerializable) throws -> [UInt8] {
            var serializer = DER.Serializer()
            try serializer.serialize(value)
            return serializer.serializedBytes
        }
        let ecdsaWithSHA256: [UInt8] = [0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]
        var tbs: [UInt8] = [0x02, 0x01, 0x01] + ecdsaWithSHA256 + (try der(certificate.subject))
            + utcTime(thisUpdate) + utcTime(nextUpdate)
        if !revoked.isEmpty {
            tbs += Self.tlv(0x30, revoked.flatMap { serial in
                Self.tlv(0x30, Self.tlv(0x02, Array(serial.bytes)) + utcTime(thisUpdate.addingTimeInterval(-60)))
            })
        }
        var extensions = extraExtensions
        if let crlNumber {
            extensions.insert(Certificate.Extension(oid: [2, 5, 29, 20], critical: crlNumberCritical,
                                                    value: [0x02, 0x01, crlNumber]), at: 0)
        }
        if !extensions.isEmpty {
            tbs += Self.tlv(0xA0, Self.tlv(0x30, try extensions.flatMap { try der($0) }))
        }
        let tbsList = Self.tlv(0x30, tbs)
        let signature = Array(try signingKey.signature(for: tbsList).derRepresentation)
        return Self.tlv(0x30, tbsList + ecdsaWithSHA256 + Self.tlv(0x03, [0x00] + signature))
    }

    /// A DER tag-length-value.
    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        var count = content.count
        if count < 0x80 {
            length = [UInt8(count)]
        } else {
            while count > 0 {
                length.insert(UInt8(count & 0xff), at: 0)
                count >>= 8
            }
            length.insert(0x80 | UInt8(length.count), at: 0)
        }
        return [tag] + length + content
    }
}

extension GeneralName {
    /// An iPAddress SAN, or an iPAddress name constraint when `mask` is given.
    static func ip(_ text: String, mask: String? = nil) throws -> GeneralName {
        var bytes = try TestPKI.ipBytes(text)
        if let mask { bytes += try TestPKI.ipBytes(mask) }
        return .ipAddress(ASN1OctetString(contentBytes: bytes[...]))
    }
}
