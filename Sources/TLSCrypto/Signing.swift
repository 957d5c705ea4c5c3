import Crypto
import CryptoExtras
import TLSWire

// MARK: Verification

/// A peer public key taken from a DER SubjectPublicKeyInfo, sorted by the algorithm it was issued for.
enum PeerPublicKey {
    case p256(P256.Signing.PublicKey)
    case p384(P384.Signing.PublicKey)
    case p521(P521.Signing.PublicKey)
    case ed25519(Curve25519.Signing.PublicKey)
    case rsa(_RSA.Signing.PublicKey)
    /// A well-formed SPKI for an algorithm we have no scheme for (RSASSA-PSS keys, X25519, ...).
    case unsupported

    // AlgorithmIdentifier OIDs (content bytes only).
    private static let idECPublicKey: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]  // 1.2.840.10045.2.1
    private static let prime256v1: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]  // 1.2.840.10045.3.1.7
    private static let secp384r1: [UInt8] = [0x2B, 0x81, 0x04, 0x00, 0x22]  // 1.3.132.0.34
    private static let secp521r1: [UInt8] = [0x2B, 0x81, 0x04, 0x00, 0x23]  // 1.3.132.0.35
    private static let rsaEncryption: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
    private static let idEd25519: [UInt8] = [0x2B, 0x65, 0x70]  // 1.3.101.112

    /// RFC 8410: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits, 32 bytes) }.
    static let ed25519SPKIPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// Throws `bad_certificate` when the SPKI is not parsable DER or the key inside is malformed.
    init(subjectPublicKeyInfo spki: [UInt8]) throws(TLSError) {
        guard let (algorithm, parameter) = DERScanner.spkiAlgorithm(spki) else {
            throw TLSError(.invalidCertificate(.malformed), "unparsable SubjectPublicKeyInfo")
        }
        do {
            if algorithm == Self.idECPublicKey && parameter == Self.prime256v1 {
                self = .p256(try P256.Signing.PublicKey(derRepresentation: spki))
            } else if algorithm == Self.idECPublicKey && parameter == Self.secp384r1 {
                self = .p384(try P384.Signing.PublicKey(derRepresentation: spki))
            } else if algorithm == Self.idECPublicKey && parameter == Self.secp521r1 {
                self = .p521(try P521.Signing.PublicKey(derRepresentation: spki))
            } else if algorithm == Self.idEd25519 {
                guard spki.count == Self.ed25519SPKIPrefix.count + 32,
                    spki.starts(with: Self.ed25519SPKIPrefix)
                else { throw TLSError(.invalidCertificate(.malformed), "malformed Ed25519 SubjectPublicKeyInfo") }
                self = .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: spki[Self.ed25519SPKIPrefix.count...]))
            } else if algorithm == Self.rsaEncryption {
                // The "unsafe" initializer admits 1024-bit keys (RFC 8448 uses one); key-size policy is the engine's.
                self = .rsa(try _RSA.Signing.PublicKey(unsafeDERRepresentation: spki))
            } else {
                self = .unsupported
            }
        } catch let error as TLSError {
            throw error
        } catch {
            throw TLSError(.invalidCertificate(.malformed), "malformed public key: \(error)")
        }
    }
}

enum SignatureVerifier {
    /// `ecdsaCurveBound`: TLS 1.3 binds each ECDSA scheme to its curve (RFC 8446 §4.2.3). In TLS 1.2 the same code
    /// points mean ECDSA with that hash on whatever curve the key uses (RFC 5246 §7.4.1.4.1, RFC 8422 §5.10), and
    /// servers use them so: OpenSSL signs with a P-384 key under ecdsa_secp256r1_sha256 when the client lists it first.
    static func verify(scheme: SignatureScheme, subjectPublicKeyInfo: [UInt8], message: [UInt8], signature: [UInt8],
                       ecdsaCurveBound: Bool = true)
        throws(TLSError)
    {
        guard let hash = supportedSchemeHash(scheme) else {
            throw TLSError(.peerMisbehaved(.unofferedSignatureScheme), "unsupported signature scheme \(scheme)")
        }
        let key = try PeerPublicKey(subjectPublicKeyInfo: subjectPublicKeyInfo)
        let valid: Bool
        let ecdsaScheme = scheme == .ecdsa_secp256r1_sha256 || scheme == .ecdsa_secp384r1_sha384
            || scheme == .ecdsa_secp521r1_sha512
        switch (scheme, key) {
        // Each curve accepts its own scheme, and in TLS 1.2 the other ECDSA schemes' hashes too.
        case (_, .p256(let key)) where ecdsaScheme && (scheme == .ecdsa_secp256r1_sha256 || !ecdsaCurveBound):
            guard let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature) else {
                throw badSignature(scheme)
            }
            switch hash {
            case .sha256: valid = key.isValidSignature(sig, for: SHA256.hash(data: message))
            case .sha384: valid = key.isValidSignature(sig, for: SHA384.hash(data: message))
            case .sha512: valid = key.isValidSignature(sig, for: SHA512.hash(data: message))
            }
        case (_, .p384(let key)) where ecdsaScheme && (scheme == .ecdsa_secp384r1_sha384 || !ecdsaCurveBound):
            guard let sig = try? P384.Signing.ECDSASignature(derRepresentation: signature) else {
                throw badSignature(scheme)
            }
            switch hash {
            case .sha256: valid = key.isValidSignature(sig, for: SHA256.hash(data: message))
            case .sha384: valid = key.isValidSignature(sig, for: SHA384.hash(data: message))
            case .sha512: valid = key.isValidSignature(sig, for: SHA512.hash(data: message))
            }
        case (_, .p521(let key)) where ecdsaScheme && (scheme == .ecdsa_secp521r1_sha512 || !ecdsaCurveBound):
            guard let sig = try? P521.Signing.ECDSASignature(derRepresentation: signature) else {
                throw badSignature(scheme)
            }
            switch hash {
            case .sha256: valid = key.isValidSignature(sig, for: SHA256.hash(data: message))
            case .sha384: valid = key.isValidSignature(sig, for: SHA384.hash(data: message))
            case .sha512: valid = key.isValidSignature(sig, for: SHA512.hash(data: message))
            }
        case (.ed25519, .ed25519(let key)):
            valid = key.isValidSignature(signature, for: message)
        case (.rsa_pss_rsae_sha256, .rsa(let key)), (.rsa_pss_rsae_sha384, .rsa(let key)),
            (.rsa_pss_rsae_sha512, .rsa(let key)):
            // swift-crypto's PSS uses MGF1 with the digest's hash and salt length = digest length (RFC 8446 §4.2.3).
            valid = rsaVerify(key, hash: hash, padding: .PSS, message: message, signature: signature)
        case (.rsa_pkcs1_sha256, .rsa(let key)), (.rsa_pkcs1_sha384, .rsa(let key)),
            (.rsa_pkcs1_sha512, .rsa(let key)):
            valid = rsaVerify(key, hash: hash, padding: .insecurePKCS1v1_5, message: message, signature: signature)
        default:
            throw TLSError(.peerMisbehaved(.signatureKeyMismatch), "signature scheme \(scheme) does not match the public key type")
        }
        guard valid else { throw badSignature(scheme) }
    }

    /// The hash a supported scheme signs with; `nil` for schemes this provider does not implement.
    static func supportedSchemeHash(_ scheme: SignatureScheme) -> HashAlgorithm? {
        switch scheme {
        case .ecdsa_secp256r1_sha256, .rsa_pss_rsae_sha256, .rsa_pkcs1_sha256: return .sha256
        case .ecdsa_secp384r1_sha384, .rsa_pss_rsae_sha384, .rsa_pkcs1_sha384: return .sha384
        case .ecdsa_secp521r1_sha512, .rsa_pss_rsae_sha512, .rsa_pkcs1_sha512: return .sha512
        case .ed25519: return .sha512  // internal to Ed25519; never used to pre-hash
        default: return nil
        }
    }

    private static func rsaVerify(
        _ key: _RSA.Signing.PublicKey, hash: HashAlgorithm, padding: _RSA.Signing.Padding,
        message: [UInt8], signature: [UInt8]
    ) -> Bool {
        let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
        switch hash {
        case .sha256: return key.isValidSignature(sig, for: SHA256.hash(data: message), padding: padding)
        case .sha384: return key.isValidSignature(sig, for: SHA384.hash(data: message), padding: padding)
        case .sha512: return key.isValidSignature(sig, for: SHA512.hash(data: message), padding: padding)
        }
    }

    private static func badSignature(_ scheme: SignatureScheme) -> TLSError {
        TLSError(.peerMisbehaved(.badSignature), "\(scheme) signature verification failed")
    }
}

/// Just enough DER to read the AlgorithmIdentifier of a SubjectPublicKeyInfo; swift-crypto parses the rest.
enum DERScanner {
    /// Returns (algorithm OID, optional parameter OID) content bytes, or nil if the outer structure is not DER.
    static func spkiAlgorithm(_ der: [UInt8]) -> (algorithm: [UInt8], parameter: [UInt8]?)? {
        guard let outer = element(der, at: 0, tag: 0x30), outer.end == der.count,
            let algorithmIdentifier = element(der, at: outer.contentStart, tag: 0x30),
            let oid = element(der, at: algorithmIdentifier.contentStart, tag: 0x06),
            element(der, at: algorithmIdentifier.end, tag: 0x03) != nil
        else { return nil }
        let algorithm = Array(der[oid.contentStart..<oid.end])
        // The parameter is an OID for EC keys (named curve); NULL or absent for others.
        if let parameter = element(der, at: oid.end, tag: 0x06), parameter.end <= algorithmIdentifier.end {
            return (algorithm, Array(der[parameter.contentStart..<parameter.end]))
        }
        return (algorithm, nil)
    }

    /// Reads the tag-length header at `offset`; returns where the content starts and where the element ends.
    static func element(_ der: [UInt8], at offset: Int, tag: UInt8) -> (contentStart: Int, end: Int)? {
        guard offset + 2 <= der.count, der[offset] == tag else { return nil }
        var index = offset + 1
        let first = der[index]
        index += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let lengthBytes = Int(first & 0x7F)
            guard lengthBytes >= 1, lengthBytes <= 3, index + lengthBytes <= der.count else { return nil }
            for _ in 0..<lengthBytes {
                length = length << 8 | Int(der[index])
                index += 1
            }
        }
        guard length <= der.count - index else { return nil }
        return (index, index + length)
    }
}

// MARK: Signing keys

/// An ECDSA P-256 key: signs `ecdsa_secp256r1_sha256`, DER-encoded (RFC 8446 §4.2.3).
public struct ECDSAP256SigningKey: SigningKey {
    public let key: P256.Signing.PrivateKey
    public let subjectPublicKeyInfo: [UInt8]
    public var supportedSchemes: [SignatureScheme] { [.ecdsa_secp256r1_sha256] }

    public init(_ key: P256.Signing.PrivateKey) {
        self.key = key
        self.subjectPublicKeyInfo = Array(key.publicKey.derRepresentation)
    }

    public func sign(scheme: SignatureScheme, message: [UInt8]) throws(TLSError) -> [UInt8] {
        guard scheme == .ecdsa_secp256r1_sha256 else { throw .internalError("P-256 key cannot sign \(scheme)") }
        do {
            return Array(try key.signature(for: message).derRepresentation)
        } catch {
            throw .internalError("ECDSA P-256 signing failed: \(error)")
        }
    }
}

/// An ECDSA P-384 key: signs `ecdsa_secp384r1_sha384`, DER-encoded.
public struct ECDSAP384SigningKey: SigningKey {
    public let key: P384.Signing.PrivateKey
    public let subjectPublicKeyInfo: [UInt8]
    public var supportedSchemes: [SignatureScheme] { [.ecdsa_secp384r1_sha384] }

    public init(_ key: P384.Signing.PrivateKey) {
        self.key = key
        self.subjectPublicKeyInfo = Array(key.publicKey.derRepresentation)
    }

    public func sign(scheme: SignatureScheme, message: [UInt8]) throws(TLSError) -> [UInt8] {
        guard scheme == .ecdsa_secp384r1_sha384 else { throw .internalError("P-384 key cannot sign \(scheme)") }
        do {
            return Array(try key.signature(for: message).derRepresentation)
        } catch {
            throw .internalError("ECDSA P-384 signing failed: \(error)")
        }
    }
}

/// An ECDSA P-521 key: signs `ecdsa_secp521r1_sha512`, DER-encoded.
public struct ECDSAP521SigningKey: SigningKey {
    public let key: P521.Signing.PrivateKey
    public let subjectPublicKeyInfo: [UInt8]
    public var supportedSchemes: [SignatureScheme] { [.ecdsa_secp521r1_sha512] }

    public init(_ key: P521.Signing.PrivateKey) {
        self.key = key
        self.subjectPublicKeyInfo = Array(key.publicKey.derRepresentation)
    }

    public func sign(scheme: SignatureScheme, message: [UInt8]) throws(TLSError) -> [UInt8] {
        guard scheme == .ecdsa_secp521r1_sha512 else { throw .internalError("P-521 key cannot sign \(scheme)") }
        do {
            return Array(try key.signature(for: message).derRepresentation)
        } catch {
            throw .internalError("ECDSA P-521 signing failed: \(error)")
        }
    }
}

/// An Ed25519 key: signs `ed25519` (64 raw bytes, RFC 8032).
public struct Ed25519SigningKey: SigningKey {
    public let key: Curve25519.Signing.PrivateKey
    public let subjectPublicKeyInfo: [UInt8]
    public var supportedSchemes: [SignatureScheme] { [.ed25519] }

    public init(_ key: Curve25519.Signing.PrivateKey) {
        self.key = key
        self.subjectPublicKeyInfo = PeerPublicKey.ed25519SPKIPrefix + Array(key.publicKey.rawRepresentation)
    }

    public func sign(scheme: SignatureScheme, message: [UInt8]) throws(TLSError) -> [UInt8] {
        guard scheme == .ed25519 else { throw .internalError("Ed25519 key cannot sign \(scheme)") }
        do {
            return Array(try key.signature(for: message))
        } catch {
            throw .internalError("Ed25519 signing failed: \(error)")
        }
    }
}

/// An RSA key (rsaEncryption): signs RSASSA-PSS (TLS 1.3) and PKCS#1 v1.5 (TLS 1.2 / certificates only).
public struct RSASigningKey: SigningKey {
    public let key: _RSA.Signing.PrivateKey
    public let subjectPublicKeyInfo: [UInt8]
    public var supportedSchemes: [SignatureScheme] {
        [.rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512,
         .rsa_pkcs1_sha256, .rsa_pkcs1_sha384, .rsa_pkcs1_sha512]
    }

    public init(_ key: _RSA.Signing.PrivateKey) {
        self.key = key
        self.subjectPublicKeyInfo = Array(key.publicKey.derRepresentation)
    }

    public func sign(scheme: SignatureScheme, message: [UInt8]) throws(TLSError) -> [UInt8] {
        let padding: _RSA.Signing.Padding
        switch scheme {
        case .rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512: padding = .PSS
        case .rsa_pkcs1_sha256, .rsa_pkcs1_sha384, .rsa_pkcs1_sha512: padding = .insecurePKCS1v1_5
        default: throw .internalError("RSA key cannot sign \(scheme)")
        }
        do {
            let signature: _RSA.Signing.RSASignature
            switch SignatureVerifier.supportedSchemeHash(scheme) {
            case .sha256: signature = try key.signature(for: SHA256.hash(data: message), padding: padding)
            case .sha384: signature = try key.signature(for: SHA384.hash(data: message), padding: padding)
            case .sha512: signature = try key.signature(for: SHA512.hash(data: message), padding: padding)
            case nil: throw TLSError.internalError("RSA key cannot sign \(scheme)")
            }
            return Array(signature.rawRepresentation)
        } catch let error as TLSError {
            throw error
        } catch {
            throw .internalError("RSA signing failed: \(error)")
        }
    }
}
