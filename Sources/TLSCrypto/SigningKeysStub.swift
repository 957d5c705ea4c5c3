// TEMP STUB — drop at merge. Minimal stand-ins for the SigningKey implementations being written
// concurrently on another branch, so the certificates code compiles here. Names and initializers match
// the agreed API; the real versions replace this file.
import Crypto
import CryptoExtras
import TLSWire

public struct ECDSAP256SigningKey: SigningKey {
    let key: P256.Signing.PrivateKey
    public init(_ key: P256.Signing.PrivateKey) { self.key = key }
    public var supportedSchemes: [SignatureScheme] { [.ecdsa_secp256r1_sha256] }
    public var subjectPublicKeyInfo: [UInt8] { Array(key.publicKey.derRepresentation) }
    public func sign(scheme: SignatureScheme, message: [UInt8]) throws(TLSError) -> [UInt8] {
        do { return Array(try key.signature(for: message).derRepresentation) } catch {
            throw .internalError("stub ECDSA P-256 signing failed")
        }
    }
}

public struct ECDSAP384SigningKey: SigningKey {
    let key: P384.Signing.PrivateKey
    public init(_ key: P384.Signing.PrivateKey) { self.key = key }
    public var supportedSchemes: [SignatureScheme] { [.ecdsa_secp384r1_sha384] }
    public var subjectPublicKeyInfo: [UInt8] { Array(key.publicKey.derRepresentation) }
    public func sign(scheme: SignatureScheme, message: [UInt8]) throws(TLSError) -> [UInt8] {
        do { return Array(try key.signature(for: message).derRepresentation) } catch {
            throw .internalError("stub ECDSA P-384 signing failed")
        }
    }
}

public struct Ed25519SigningKey: SigningKey {
    let key: Curve25519.Signing.PrivateKey
    public init(_ key: Curve25519.Signing.PrivateKey) { self.key = key }
    public var supportedSchemes: [SignatureScheme] { [.ed25519] }
    // SPKI for Ed25519 (RFC 8410): fixed 12-byte prefix + 32-byte raw key.
    public var subjectPublicKeyInfo: [UInt8] {
        [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00] + Array(key.publicKey.rawRepresentation)
    }
    public func sign(scheme: SignatureScheme, message: [UInt8]) throws(TLSError) -> [UInt8] {
        do { return Array(try key.signature(for: message)) } catch {
            throw .internalError("stub Ed25519 signing failed")
        }
    }
}

public struct RSASigningKey: SigningKey {
    let key: _RSA.Signing.PrivateKey
    public init(_ key: _RSA.Signing.PrivateKey) { self.key = key }
    public var supportedSchemes: [SignatureScheme] { [.rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512] }
    public var subjectPublicKeyInfo: [UInt8] { Array(key.publicKey.derRepresentation) }
    public func sign(scheme: SignatureScheme, message: [UInt8]) throws(TLSError) -> [UInt8] {
        do { return Array(try key.signature(for: message, padding: .PSS).rawRepresentation) } catch {
            throw .internalError("stub RSA signing failed")
        }
    }
}
