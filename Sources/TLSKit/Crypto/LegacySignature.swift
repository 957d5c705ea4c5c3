import Crypto
import _CryptoExtras
import TLSCrypto
import TLSWire

/// The TLS 1.0/1.1 `digitally-signed` forms (RFC 2246 §7.4.3, RFC 4346 §7.4.3, RFC 4492 §5.4), which carry no
/// SignatureAndHashAlgorithm: an RSA signature is PKCS#1 v1.5 block type 1 over the 36 bytes MD5(m) ‖ SHA-1(m), with
/// no DigestInfo; an ECDSA signature is over SHA-1(m). Used only for legacy versions (issue 17), and kept out of the
/// public crypto seam (`CryptoProvider`, `SigningKey`) as `LegacyMACAlgorithm` is.
///
/// swift-crypto has no MD5+SHA-1 RSA mode: verification is the RSA public operation done here (`LegacyRSA`), and
/// signing uses BoringSSL's raw private operation, which swift-crypto exposes for RSA blind signatures (RFC 9474
/// BlindSign is exactly s = m^d mod n, checked against the public key before it is returned).
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
            guard let key = try? _RSA.Signing.PublicKey(unsafeDERRepresentation: spki),
                  let primitives = try? key.getKeyPrimitives() else {
                throw TLSError(.peerMisbehaved(.signatureKeyMismatch), "an RSA suite with a certificate key that is not RSA")
            }
            let modulus = Array(primitives.modulus)
            guard let recovered = LegacyRSA.publicOperation(signature: signature, modulus: modulus,
                                                            exponent: Array(primitives.publicExponent)) else { throw bad }
            let expected = pkcs1Type1(md5sha1(message), length: recovered.count)
            guard let expected, constantTimeEquals(recovered, expected) else { throw bad }
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

/// The RSA public operation s^e mod n, for verifying TLS 1.0/1.1 signatures (public values only: no secret goes
/// through here, so it need not run in constant time). Montgomery multiplication on 32-bit limbs.
enum LegacyRSA {
    /// s^e mod n as big-endian bytes of n's length, or nil when s ≥ n, the lengths are wrong, or n is even.
    static func publicOperation(signature: [UInt8], modulus: [UInt8], exponent: [UInt8]) -> [UInt8]? {
        let modulusBytes = Array(modulus.drop(while: { $0 == 0 }))
        guard modulusBytes.count >= 64, modulusBytes.count <= 1024, let last = modulusBytes.last, last & 1 == 1,
              signature.count == modulusBytes.count, !exponent.isEmpty, exponent.count <= 8 else { return nil }
        let n = limbs(modulusBytes)
        let s = limbs(signature)
        guard compare(s, n) < 0 else { return nil }
        let k = n.count
        // n' = -n^{-1} mod 2^32 (Newton's iteration on the low limb).
        var inverse: UInt32 = 1
        for _ in 0..<5 { inverse = inverse &* (2 &- n[0] &* inverse) }
        let nPrime = 0 &- inverse
        // R mod n and R^2 mod n, R = 2^(32k), by doubling.
        var rModN = [UInt32](repeating: 0, count: k)
        rModN[0] = 1
        for _ in 0..<(32 * k) { rModN = doubleMod(rModN, n) }
        var r2 = rModN
        for _ in 0..<(32 * k) { r2 = doubleMod(r2, n) }

        let sMont = montgomery(s, r2, n, nPrime)
        var result = rModN   // 1 in Montgomery form
        for byte in exponent {
            for bit in (0..<8).reversed() {
                result = montgomery(result, result, n, nPrime)
                if (byte >> UInt8(bit)) & 1 == 1 { result = montgomery(result, sMont, n, nPrime) }
            }
        }
        var one = [UInt32](repeating: 0, count: k)
        one[0] = 1
        result = montgomery(result, one, n, nPrime)
        return bytes(result, count: modulusBytes.count)
    }

    /// Little-endian 32-bit limbs of a big-endian byte string.
    private static func limbs(_ bytes: [UInt8]) -> [UInt32] {
        var out = [UInt32](repeating: 0, count: (bytes.count + 3) / 4)
        for (i, byte) in bytes.reversed().enumerated() { out[i / 4] |= UInt32(byte) << UInt32(8 * (i % 4)) }
        return out
    }

    private static func bytes(_ limbs: [UInt32], count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            let limb = i / 4 < limbs.count ? limbs[i / 4] : 0
            out[count - 1 - i] = UInt8(truncatingIfNeeded: limb >> UInt32(8 * (i % 4)))
        }
        return out
    }

    /// -1, 0, 1 as a < b, a == b, a > b (equal lengths).
    private static func compare(_ a: [UInt32], _ b: [UInt32]) -> Int {
        for i in stride(from: max(a.count, b.count) - 1, through: 0, by: -1) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    /// a - b in place (a ≥ b), returns the borrow.
    private static func subtract(_ a: inout [UInt32], _ b: [UInt32]) {
        var borrow: UInt64 = 0
        for i in 0..<a.count {
            let y = UInt64(i < b.count ? b[i] : 0) + borrow
            let x = UInt64(a[i])
            if x >= y { a[i] = UInt32(x - y); borrow = 0 } else { a[i] = UInt32(truncatingIfNeeded: x + (1 << 32) - y); borrow = 1 }
        }
    }

    /// 2a mod n for a < n.
    private static func doubleMod(_ a: [UInt32], _ n: [UInt32]) -> [UInt32] {
        var out = [UInt32](repeating: 0, count: a.count)
        var carry: UInt32 = 0
        for i in 0..<a.count {
            out[i] = (a[i] << 1) | carry
            carry = a[i] >> 31
        }
        if carry == 1 || compare(out, n) >= 0 { subtract(&out, n) }
        return out
    }

    /// a·b·R^{-1} mod n (CIOS), for a, b < n.
    private static func montgomery(_ a: [UInt32], _ b: [UInt32], _ n: [UInt32], _ nPrime: UInt32) -> [UInt32] {
        let k = n.count
        var t = [UInt64](repeating: 0, count: k + 2)
        for i in 0..<k {
            var carry: UInt64 = 0
            let ai = UInt64(a[i])
            for j in 0..<k {
                let sum = t[j] + ai * UInt64(b[j]) + carry
                t[j] = sum & 0xFFFF_FFFF
                carry = sum >> 32
            }
            var sum = t[k] + carry
            t[k] = sum & 0xFFFF_FFFF
            t[k + 1] = sum >> 32
            let m = UInt64(UInt32(truncatingIfNeeded: t[0]) &* nPrime)
            sum = t[0] + m * UInt64(n[0])
            carry = sum >> 32
            for j in 1..<k {
                sum = t[j] + m * UInt64(n[j]) + carry
                t[j - 1] = sum & 0xFFFF_FFFF
                carry = sum >> 32
            }
            sum = t[k] + carry
            t[k - 1] = sum & 0xFFFF_FFFF
            t[k] = t[k + 1] + (sum >> 32)
            t[k + 1] = 0
        }
        var out = (0..<k).map { UInt32(truncatingIfNeeded: t[$0]) }
        if t[k] != 0 || compare(out, n) >= 0 { subtract(&out, n) }
        return out
    }
}
