import Crypto
import _CryptoExtras
import TLSCrypto
import TLSWire

/// The TLS 1.0/1.1 `digitally-signed` forms (RFC 2246 §7.4.3, RFC 4346 §7.4.3, RFC 4492 §5.4), which carry no
/// SignatureAndHashAlgorithm: an RSA signature is PKCS#1 v1.5 block type 1 over the 36 bytes MD5(m) ‖ SHA-1(m), with
/// no DigestInfo; an ECDSA signature is over SHA-1(m). Used only for legacy versions (issue 17), and kept out of the
/// public crypto seam (`CryptoProvider`, `SigningKey`) as `LegacyMACAlgorithm` is.
///
/// swift-crypto has no MD5+SHA-1 RSA mode. Signing uses BoringSSL's raw private operation, which swift-crypto exposes
/// for RSA blind signatures (RFC 9474 BlindSign is exactly s = m^d mod n, checked against the public key before it is
/// returned). Verifying would need the raw public operation, which swift-crypto does not expose, and we write no
/// bignum: an RSA signature is refused, and the client never offers the suites that need one (ECDHE_RSA at TLS
/// 1.0/1.1; it uses static RSA key exchange with such servers instead).
enum LegacySignature {
    /// MD5(m) ‖ SHA-1(m): what TLS 1.0/1.1 RSA signatures and Finished messages hash (RFC 2246 §7.4.3, §7.4.9).
    static func md5sha1(_ message: [UInt8]) -> [UInt8] {
        Array(Insecure.MD5.hash(data: message)) + Array(Insecure.SHA1.hash(data: message))
    }

    /// Verifies a TLS 1.0/1.1 signature over `message` by the key in `spki`, which must suit `authentication`.
    static func verify(spki: [UInt8], authentication: TLS12SuiteParameters.Authentication, message: [UInt8],
                       signature: [UInt8]) throws(TLSError) {
        let bad = TLSError(.peerMisbehaved(.badSignature), "the TLS 1.0/1.1 signature does not verify")
        switch authentication {
        case .ecdsa:
            let digest = Insecure.SHA1.hash(data: message)
            let valid: Bool
            if let key = try? P256.Signing.PublicKey(derRepresentation: spki) {
                guard let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { throw bad }
                valid = key.isValidSignature(sig, for: digest)
            } else if let key = try? P384.Signing.PublicKey(derRepresentation: spki) {
                guard let sig = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { throw bad }
                valid = key.isValidSignature(sig, for: digest)
            } else if let key = try? P521.Signing.PublicKey(derRepresentation: spki) {
                guard let sig = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { throw bad }
                valid = key.isValidSignature(sig, for: digest)
            } else {
                throw TLSError(.peerMisbehaved(.signatureKeyMismatch), "an ECDSA suite with a certificate key that is not ECDSA")
            }
            guard valid else { throw bad }
        case .rsa:
            // Unreachable through the handshake (those suites are never offered): refuse rather than guess.
            throw TLSError(.peerMisbehaved(.unofferedCipherSuite), "TLS 1.0/1.1 RSA signatures (MD5 ‖ SHA-1) cannot be verified")
        }
    }

    /// Signs `message` in the TLS 1.0/1.1 form with one of the built-in key types (a custom `SigningKey` cannot).
    static func sign(_ key: any SigningKey, message: [UInt8]) throws(TLSError) -> [UInt8] {
        do {
            switch key {
            case let key as ECDSAP256SigningKey:
                return Array(try key.key.signature(for: Insecure.SHA1.hash(data: message)).derRepresentation)
            case let key as ECDSAP384SigningKey:
                return Array(try key.key.signature(for: Insecure.SHA1.hash(data: message)).derRepresentation)
            case let key as ECDSAP521SigningKey:
                return Array(try key.key.signature(for: Insecure.SHA1.hash(data: message)).derRepresentation)
            case let key as RSASigningKey:
                let raw = try _RSA.BlindSigning.PrivateKey<SHA384>(unsafeDERRepresentation: key.key.derRepresentation,
                                                           parameters: .RSABSSA_SHA384_PSS_Deterministic)
                let length = key.key.keySizeInBits / 8
                guard let block = pkcs1Type1(md5sha1(message), length: length) else {
                    throw TLSError.internalError("RSA key too small for a TLS 1.0/1.1 signature")
                }
                return Array(try raw.blindSignature(for: block).rawRepresentation)
            default:
                throw TLSError.internalError("this signing key cannot make TLS 1.0/1.1 signatures")
            }
        } catch let error as TLSError {
            throw error
        } catch {
            throw TLSError.internalError("TLS 1.0/1.1 signing failed: \(error)")
        }
    }

    /// Whether `sign` can use this key (the built-in key types).
    static func canSign(_ key: any SigningKey) -> Bool {
        key is ECDSAP256SigningKey || key is ECDSAP384SigningKey || key is ECDSAP521SigningKey || key is RSASigningKey
    }

    /// EMSA-PKCS1-v1_5 block type 1 without DigestInfo: 00 01 FF…FF 00 ‖ data (at least 8 bytes of FF).
    static func pkcs1Type1(_ data: [UInt8], length: Int) -> [UInt8]? {
        guard length >= data.count + 11 else { return nil }
        return [0x00, 0x01] + [UInt8](repeating: 0xFF, count: length - data.count - 3) + [0x00] + data
    }
}
