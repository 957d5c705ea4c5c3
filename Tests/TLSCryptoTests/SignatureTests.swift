import Crypto
import CryptoExtras
import TLSCrypto
import TLSWire
import XCTest

final class SignatureTests: XCTestCase {
    let provider = SwiftCryptoProvider()
    let message = Array("signed content".utf8)

    // RSA key generation is slow; share one key across tests.
    nonisolated(unsafe) static var rsaKey: RSASigningKey?
    static func sharedRSAKey() throws -> RSASigningKey {
        if let key = rsaKey { return key }
        let key = RSASigningKey(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        rsaKey = key
        return key
    }

    func allKeys() throws -> [any SigningKey] {
        [
            ECDSAP256SigningKey(P256.Signing.PrivateKey()),
            ECDSAP384SigningKey(P384.Signing.PrivateKey()),
            Ed25519SigningKey(Curve25519.Signing.PrivateKey()),
            try Self.sharedRSAKey(),
        ]
    }

    func testSignVerifyRoundTripEveryKeyAndScheme() throws {
        for key in try allKeys() {
            XCTAssertFalse(key.supportedSchemes.isEmpty)
            for scheme in key.supportedSchemes {
                let signature = try key.sign(scheme: scheme, message: message)
                XCTAssertNoThrow(
                    try provider.verifySignature(
                        scheme: scheme, subjectPublicKeyInfo: key.subjectPublicKeyInfo, message: message,
                        signature: signature), "\(scheme)")
            }
        }
    }

    func testSupportedSchemes() throws {
        let keys = try allKeys()
        XCTAssertEqual(keys[0].supportedSchemes, [.ecdsa_secp256r1_sha256])
        XCTAssertEqual(keys[1].supportedSchemes, [.ecdsa_secp384r1_sha384])
        XCTAssertEqual(keys[2].supportedSchemes, [.ed25519])
        XCTAssertEqual(
            keys[3].supportedSchemes,
            [.rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512,
             .rsa_pkcs1_sha256, .rsa_pkcs1_sha384, .rsa_pkcs1_sha512])
    }

    func testSignatureFormats() throws {
        let ed = Ed25519SigningKey(Curve25519.Signing.PrivateKey())
        XCTAssertEqual(try ed.sign(scheme: .ed25519, message: message).count, 64)
        XCTAssertEqual(ed.subjectPublicKeyInfo.count, 44)
        let p256 = ECDSAP256SigningKey(P256.Signing.PrivateKey())
        XCTAssertEqual(try p256.sign(scheme: .ecdsa_secp256r1_sha256, message: message).first, 0x30)  // DER SEQUENCE
        XCTAssertEqual(try Self.sharedRSAKey().sign(scheme: .rsa_pss_rsae_sha256, message: message).count, 256)
    }

    func testSigningWithForeignSchemeIsInternalError() throws {
        let keys = try allKeys()
        assertThrowsAlert(.internalError) { () throws(TLSError) in try keys[0].sign(scheme: .ecdsa_secp384r1_sha384, message: message) }
        assertThrowsAlert(.internalError) { () throws(TLSError) in try keys[1].sign(scheme: .ecdsa_secp256r1_sha256, message: message) }
        assertThrowsAlert(.internalError) { () throws(TLSError) in try keys[2].sign(scheme: .rsa_pss_rsae_sha256, message: message) }
        assertThrowsAlert(.internalError) { () throws(TLSError) in try keys[3].sign(scheme: .rsa_pss_pss_sha256, message: message) }
        assertThrowsAlert(.internalError) { () throws(TLSError) in try keys[3].sign(scheme: .ed25519, message: message) }
    }

    func testBadSignatureIsDecryptError() throws {
        for key in try allKeys() {
            for scheme in key.supportedSchemes {
                var signature = try key.sign(scheme: scheme, message: message)
                signature[signature.count - 2] ^= 0x01
                assertThrowsAlert(.decryptError) { () throws(TLSError) in
                    try provider.verifySignature(
                        scheme: scheme, subjectPublicKeyInfo: key.subjectPublicKeyInfo, message: message,
                        signature: signature)
                }
                let good = try key.sign(scheme: scheme, message: message)
                assertThrowsAlert(.decryptError) { () throws(TLSError) in
                    try provider.verifySignature(
                        scheme: scheme, subjectPublicKeyInfo: key.subjectPublicKeyInfo, message: message + [0],
                        signature: good)
                }
                assertThrowsAlert(.decryptError) { () throws(TLSError) in
                    try provider.verifySignature(
                        scheme: scheme, subjectPublicKeyInfo: key.subjectPublicKeyInfo, message: message,
                        signature: [])
                }
            }
        }
    }

    /// PSS and PKCS#1 v1.5 signatures, and different hashes, are not interchangeable.
    func testRSAPaddingAndHashBinding() throws {
        let key = try Self.sharedRSAKey()
        let pss = try key.sign(scheme: .rsa_pss_rsae_sha256, message: message)
        let pkcs1 = try key.sign(scheme: .rsa_pkcs1_sha256, message: message)
        for (scheme, signature) in [
            (SignatureScheme.rsa_pkcs1_sha256, pss), (.rsa_pss_rsae_sha256, pkcs1), (.rsa_pss_rsae_sha384, pss),
        ] {
            assertThrowsAlert(.decryptError) { () throws(TLSError) in
                try provider.verifySignature(
                    scheme: scheme, subjectPublicKeyInfo: key.subjectPublicKeyInfo, message: message, signature: signature)
            }
        }
    }

    func testECDSACurveBinding() throws {
        let p256 = ECDSAP256SigningKey(P256.Signing.PrivateKey())
        let p384 = ECDSAP384SigningKey(P384.Signing.PrivateKey())
        let p256Signature = try p256.sign(scheme: .ecdsa_secp256r1_sha256, message: message)
        let p384Signature = try p384.sign(scheme: .ecdsa_secp384r1_sha384, message: message)
        assertThrowsAlert(.illegalParameter) { () throws(TLSError) in
            try provider.verifySignature(
                scheme: .ecdsa_secp384r1_sha384, subjectPublicKeyInfo: p256.subjectPublicKeyInfo, message: message,
                signature: p256Signature)
        }
        assertThrowsAlert(.illegalParameter) { () throws(TLSError) in
            try provider.verifySignature(
                scheme: .ecdsa_secp256r1_sha256, subjectPublicKeyInfo: p384.subjectPublicKeyInfo, message: message,
                signature: p384Signature)
        }
    }

    /// TLS 1.2's meaning of the ECDSA code points: the hash only, any curve (RFC 5246 §7.4.1.4.1, RFC 8422 §5.10).
    func testTLS12ECDSASchemesNameOnlyTheHash() throws {
        let p256Key = P256.Signing.PrivateKey()
        let p384Key = P384.Signing.PrivateKey()
        let p256 = ECDSAP256SigningKey(p256Key)
        let p384 = ECDSAP384SigningKey(p384Key)
        // A P-384 key signing SHA-256 (what OpenSSL does under ecdsa_secp256r1_sha256 in TLS 1.2), and the reverse.
        let p384WithSHA256 = Array(try p384Key.signature(for: SHA256.hash(data: message)).derRepresentation)
        let p256WithSHA384 = Array(try p256Key.signature(for: SHA384.hash(data: message)).derRepresentation)
        XCTAssertNoThrow(try provider.verifyTLS12Signature(
            scheme: .ecdsa_secp256r1_sha256, subjectPublicKeyInfo: p384.subjectPublicKeyInfo, message: message,
            signature: p384WithSHA256))
        XCTAssertNoThrow(try provider.verifyTLS12Signature(
            scheme: .ecdsa_secp384r1_sha384, subjectPublicKeyInfo: p256.subjectPublicKeyInfo, message: message,
            signature: p256WithSHA384))
        // The curve-matched pairs still verify, TLS 1.3 still binds the curve, and the hash is still enforced.
        XCTAssertNoThrow(try provider.verifyTLS12Signature(
            scheme: .ecdsa_secp384r1_sha384, subjectPublicKeyInfo: p384.subjectPublicKeyInfo, message: message,
            signature: try p384.sign(scheme: .ecdsa_secp384r1_sha384, message: message)))
        assertThrowsAlert(.illegalParameter) { () throws(TLSError) in
            try provider.verifySignature(
                scheme: .ecdsa_secp256r1_sha256, subjectPublicKeyInfo: p384.subjectPublicKeyInfo, message: message,
                signature: p384WithSHA256)
        }
        assertThrowsAlert(.decryptError) { () throws(TLSError) in
            try provider.verifyTLS12Signature(
                scheme: .ecdsa_secp384r1_sha384, subjectPublicKeyInfo: p384.subjectPublicKeyInfo, message: message,
                signature: p384WithSHA256)
        }
        assertThrowsAlert(.decryptError) { () throws(TLSError) in
            try provider.verifyTLS12Signature(
                scheme: .ecdsa_secp256r1_sha256, subjectPublicKeyInfo: p384.subjectPublicKeyInfo,
                message: Array("other content".utf8), signature: p384WithSHA256)
        }
        // An ECDSA scheme still needs an EC key.
        let ed25519 = Ed25519SigningKey(Curve25519.Signing.PrivateKey())
        assertThrowsAlert(.illegalParameter) { () throws(TLSError) in
            try provider.verifyTLS12Signature(
                scheme: .ecdsa_secp256r1_sha256, subjectPublicKeyInfo: ed25519.subjectPublicKeyInfo, message: message,
                signature: p384WithSHA256)
        }
    }

    func testSchemeKeyTypeMismatchIsIllegalParameter() throws {
        let keys = try allKeys()
        let mismatches: [(SignatureScheme, Int)] = [
            (.rsa_pss_rsae_sha256, 0), (.rsa_pkcs1_sha256, 1), (.ed25519, 0), (.ed25519, 3),
            (.ecdsa_secp256r1_sha256, 3), (.ecdsa_secp256r1_sha256, 2), (.rsa_pss_rsae_sha512, 2),
        ]
        for (scheme, index) in mismatches {
            assertThrowsAlert(.illegalParameter) { () throws(TLSError) in
                try provider.verifySignature(
                    scheme: scheme, subjectPublicKeyInfo: keys[index].subjectPublicKeyInfo, message: message,
                    signature: [UInt8](repeating: 1, count: 64))
            }
        }
    }

    func testUnknownSchemeIsIllegalParameter() throws {
        let key = try Self.sharedRSAKey()
        for scheme in [SignatureScheme.rsa_pss_pss_sha256, .rsa_pkcs1_sha1, .ecdsa_secp521r1_sha512, .ed448,
                       SignatureScheme(rawValue: 0x0A0A)] {
            assertThrowsAlert(.illegalParameter) { () throws(TLSError) in
                try provider.verifySignature(
                    scheme: scheme, subjectPublicKeyInfo: key.subjectPublicKeyInfo, message: message, signature: [1])
            }
        }
    }

    func testUnparsableKeyIsBadCertificate() throws {
        let p256 = ECDSAP256SigningKey(P256.Signing.PrivateKey())
        var truncated = p256.subjectPublicKeyInfo
        truncated.removeLast()
        var badPoint = p256.subjectPublicKeyInfo
        badPoint[badPoint.count - 1] ^= 0x01  // off the curve
        var badEd25519 = Ed25519SigningKey(Curve25519.Signing.PrivateKey()).subjectPublicKeyInfo
        badEd25519.removeLast()
        for spki in [[], [0x30, 0x00], truncated, badPoint, badEd25519, [UInt8](repeating: 0x30, count: 40)] {
            assertThrowsAlert(.badCertificate) { () throws(TLSError) in
                try provider.verifySignature(
                    scheme: .ecdsa_secp256r1_sha256, subjectPublicKeyInfo: spki, message: message, signature: [1])
            }
        }
    }

    /// RFC 8448 §3: the server's CertificateVerify (rsa_pss_rsae_sha256, 1024-bit RSA key) verifies against the
    /// key in its certificate, over the transcript hash of ClientHello..Certificate (RFC 8446 §4.4.3).
    func testRFC8448ServerCertificateVerify() throws {
        let certificate = RFC8448.certificate
        // The 1024-bit rsaEncryption SPKI inside the certificate: SEQUENCE (0x9f bytes) { rsaEncryption, ... }.
        let spkiStart: [UInt8] = hex("30819f300d06092a864886f70d010101")
        let offset = try XCTUnwrap(
            (0...(certificate.count - spkiStart.count)).first { Array(certificate[$0..<($0 + spkiStart.count)]) == spkiStart })
        let spki = Array(certificate[offset..<(offset + 3 + 0x9f)])

        var transcript = provider.makeHash(.sha256)
        for message in [RFC8448.clientHello, RFC8448.serverHello, RFC8448.encryptedExtensions, certificate] {
            transcript.update(message)
        }
        let content = [UInt8](repeating: 0x20, count: 64) + Array("TLS 1.3, server CertificateVerify".utf8) + [0]
            + transcript.finalize()

        let certificateVerify = RFC8448.certificateVerify  // 0f 000084 | scheme (2) | length (2) | signature
        XCTAssertEqual(Array(certificateVerify[4..<6]), [0x08, 0x04])
        let signature = Array(certificateVerify[8...])
        XCTAssertEqual(signature.count, 128)

        XCTAssertNoThrow(
            try provider.verifySignature(
                scheme: .rsa_pss_rsae_sha256, subjectPublicKeyInfo: spki, message: content, signature: signature))
        assertThrowsAlert(.decryptError) { () throws(TLSError) in
            try provider.verifySignature(
                scheme: .rsa_pss_rsae_sha256, subjectPublicKeyInfo: spki, message: content + [0], signature: signature)
        }
        assertThrowsAlert(.illegalParameter) { () throws(TLSError) in
            try provider.verifySignature(
                scheme: .ecdsa_secp256r1_sha256, subjectPublicKeyInfo: spki, message: content, signature: signature)
        }
    }
}
