import Crypto
import CryptoExtras
import Foundation
import SwiftASN1
import TLSCrypto

/// Loads a private key from PEM or DER into a `SigningKey`.
///
/// Accepted encodings: PKCS#8 "PRIVATE KEY" (P-256, P-384, Ed25519, RSA), SEC1 "EC PRIVATE KEY" (P-256, P-384)
/// and PKCS#1 "RSA PRIVATE KEY". RSA keys must be 2048–4096 bits. Encrypted keys are rejected.
public enum PrivateKeyLoader {
    /// Reads a PEM file, or a DER file when the contents are not PEM.
    public static func load(file path: String) throws(CertificateLoadingError) -> any SigningKey {
        switch FileLoader.encoding(of: try FileLoader.read(path)) {
        case .pem(let text): return try load(pemText: text, source: path)
        case .der(let bytes): return try load(der: bytes, source: path)
        case .unknown: throw CertificateLoadingError(.malformedPrivateKey, "no PEM private key block in \(path)")
        }
    }

    public static func load(pem string: String) throws(CertificateLoadingError) -> any SigningKey {
        try load(pemText: string, source: LoadSource.pemString)
    }

    public static func load(der bytes: [UInt8]) throws(CertificateLoadingError) -> any SigningKey {
        try load(der: bytes, source: LoadSource.derBytes)
    }

    // MARK: - PEM

    static func load(pemText: String, source: String) throws(CertificateLoadingError) -> any SigningKey {
        // Legacy OpenSSL encryption puts headers inside the block, which the PEM parser would call malformed,
        // so look for both encrypted forms before parsing.
        if pemText.contains("ENCRYPTED PRIVATE KEY") || pemText.contains("Proc-Type: 4,ENCRYPTED") {
            throw encrypted(source)
        }
        let documents: [PEMDocument]
        do { documents = try PEMDocument.parseMultiple(pemString: pemText) } catch {
            throw CertificateLoadingError(.malformedPrivateKey, "malformed PEM in \(source): \(oneLine(error))")
        }
        // Other blocks (certificates, "EC PARAMETERS" from `openssl ecparam -genkey`) are ignored.
        let keys = documents.filter { ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"].contains($0.discriminator) }
        guard let key = keys.first else {
            throw CertificateLoadingError(.malformedPrivateKey, "no PEM private key block in \(source)")
        }
        guard keys.count == 1 else {
            throw CertificateLoadingError(.malformedPrivateKey, "more than one private key in \(source)")
        }
        switch key.discriminator {
        case "EC PRIVATE KEY": return try sec1(key.derBytes, source: source)
        case "RSA PRIVATE KEY": return try rsa(key.derBytes, source: source)
        default: return try pkcs8(key.derBytes, source: source)
        }
    }

    // MARK: - DER

    /// Tells the encodings apart by their outer structure:
    /// PKCS#8 `SEQUENCE { INTEGER, SEQUENCE (algorithm), OCTET STRING, … }`,
    /// SEC1 `SEQUENCE { INTEGER 1, OCTET STRING, … }`, PKCS#1 `SEQUENCE { INTEGER, INTEGER, … }`,
    /// encrypted PKCS#8 `SEQUENCE { SEQUENCE (algorithm), OCTET STRING }`.
    static func load(der bytes: [UInt8], source: String) throws(CertificateLoadingError) -> any SigningKey {
        let fields = try topLevelFields(bytes, source: source)
        guard fields.count >= 2 else { throw malformed(source, "not a private key structure") }
        switch (fields[0].identifier, fields[1].identifier) {
        case (.sequence, .octetString): throw encrypted(source)
        case (.integer, .sequence): return try pkcs8(bytes, source: source)
        case (.integer, .octetString): return try sec1(bytes, source: source)
        case (.integer, .integer): return try rsa(bytes, source: source)
        default: throw malformed(source, "not a PKCS#8, SEC1 or PKCS#1 private key")
        }
    }

    // MARK: - Encodings

    private static func pkcs8(_ der: [UInt8], source: String) throws(CertificateLoadingError) -> any SigningKey {
        let fields = try topLevelFields(der, source: source)
        guard fields.count >= 3, fields[1].identifier == .sequence, fields[2].identifier == .octetString,
            case .constructed(let algorithmFields) = fields[1].content,
            case .primitive(let privateKeyBytes) = fields[2].content
        else { throw malformed(source, "malformed PKCS#8 structure") }

        let algorithm = Array(algorithmFields)
        guard let first = algorithm.first, let algorithmOID = try? ASN1ObjectIdentifier(derEncoded: first) else {
            throw malformed(source, "malformed PKCS#8 algorithm identifier")
        }
        switch algorithmOID {
        case OID.ecPublicKey:
            let curve = algorithm.count > 1 ? try? ASN1ObjectIdentifier(derEncoded: algorithm[1]) : nil
            return try ecdsa(curve: curve, der: der, rawKey: nil, source: source)
        case OID.ed25519:
            // The PKCS#8 privateKey holds a second OCTET STRING with the 32-byte seed (RFC 8410 §7).
            guard let inner = try? DER.parse(Array(privateKeyBytes)), inner.identifier == .octetString,
                case .primitive(let seed) = inner.content,
                let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
            else { throw malformed(source, "malformed Ed25519 private key") }
            return Ed25519SigningKey(key)
        case OID.rsaEncryption:
            return try rsa(Array(privateKeyBytes), source: source)
        case OID.rsaPSS:
            throw CertificateLoadingError(
                .unsupportedKeyType, "unsupported key type RSASSA-PSS (use an rsaEncryption key) in \(source)")
        default:
            throw CertificateLoadingError(.unsupportedKeyType, "unsupported key type \(algorithmOID) in \(source)")
        }
    }

    /// SEC1 `ECPrivateKey`: the curve comes from the optional `[0] parameters`, else from the key length.
    private static func sec1(_ der: [UInt8], source: String) throws(CertificateLoadingError) -> any SigningKey {
        let fields = try topLevelFields(der, source: source)
        guard fields.count >= 2, case .primitive(let rawKey) = fields[1].content else {
            throw malformed(source, "malformed SEC1 EC private key")
        }
        var curve: ASN1ObjectIdentifier?
        for field in fields.dropFirst(2) where field.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            if case .constructed(let inner) = field.content, let node = inner.first(where: { _ in true }) {
                curve = try? ASN1ObjectIdentifier(derEncoded: node)
            }
        }
        if curve == nil {
            curve = rawKey.count == 32 ? OID.secp256r1 : rawKey.count == 48 ? OID.secp384r1
                : rawKey.count == 66 ? OID.secp521r1 : nil
        }
        return try ecdsa(curve: curve, der: nil, rawKey: Array(rawKey), source: source)
    }

    private static func ecdsa(
        curve: ASN1ObjectIdentifier?, der: [UInt8]?, rawKey: [UInt8]?, source: String
    ) throws(CertificateLoadingError) -> any SigningKey {
        do {
            switch curve {
            case OID.secp256r1?:
                if let rawKey { return ECDSAP256SigningKey(try P256.Signing.PrivateKey(rawRepresentation: rawKey)) }
                return ECDSAP256SigningKey(try P256.Signing.PrivateKey(derRepresentation: der ?? []))
            case OID.secp384r1?:
                if let rawKey { return ECDSAP384SigningKey(try P384.Signing.PrivateKey(rawRepresentation: rawKey)) }
                return ECDSAP384SigningKey(try P384.Signing.PrivateKey(derRepresentation: der ?? []))
            case OID.secp521r1?:
                if let rawKey { return ECDSAP521SigningKey(try P521.Signing.PrivateKey(rawRepresentation: rawKey)) }
                return ECDSAP521SigningKey(try P521.Signing.PrivateKey(derRepresentation: der ?? []))
            case let other?:
                throw CertificateLoadingError(.unsupportedKeyType, "unsupported key type: EC curve \(other) in \(source)")
            case nil:
                throw malformed(source, "EC private key without a recognisable curve")
            }
        } catch let error as CertificateLoadingError {
            throw error
        } catch {
            throw malformed(source, "invalid EC private key: \(oneLine(error))")
        }
    }

    /// PKCS#1 `RSAPrivateKey` (PKCS#8 input has already been unwrapped, but swift-crypto accepts either).
    private static func rsa(_ der: [UInt8], source: String) throws(CertificateLoadingError) -> any SigningKey {
        // The unsafe initializer also accepts 1024-bit keys, so that a too-small key gets our size message.
        let key: _RSA.Signing.PrivateKey
        do { key = try _RSA.Signing.PrivateKey(unsafeDERRepresentation: der) } catch {
            throw malformed(source, "invalid RSA private key (or smaller than 1024 bits): \(oneLine(error))")
        }
        let bits = key.keySizeInBits
        guard (2048...4096).contains(bits) else {
            throw CertificateLoadingError(.unsupportedKeySize, "RSA key size \(bits) is outside 2048–4096 in \(source)")
        }
        return RSASigningKey(key)
    }

    // MARK: - Helpers

    private static func topLevelFields(_ der: [UInt8], source: String) throws(CertificateLoadingError) -> [ASN1Node] {
        guard let root = try? DER.parse(der), root.identifier == .sequence, case .constructed(let fields) = root.content
        else { throw malformed(source, "not DER-encoded ASN.1") }
        return Array(fields)
    }

    private static func malformed(_ source: String, _ detail: String) -> CertificateLoadingError {
        CertificateLoadingError(.malformedPrivateKey, "malformed private key in \(source): \(detail)")
    }

    private static func encrypted(_ source: String) -> CertificateLoadingError {
        CertificateLoadingError(.encryptedPrivateKey, "encrypted private keys are not supported: \(source)")
    }

    enum OID {
        static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10045, 2, 1]
        static let secp256r1: ASN1ObjectIdentifier = [1, 2, 840, 10045, 3, 1, 7]
        static let secp384r1: ASN1ObjectIdentifier = [1, 3, 132, 0, 34]
        static let secp521r1: ASN1ObjectIdentifier = [1, 3, 132, 0, 35]
        static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]
        static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
        static let rsaPSS: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 10]
    }
}
