import Crypto
import TLSCrypto
import XCTest

final class HashAndKDFTests: XCTestCase {
    let provider = SwiftCryptoProvider()

    func testSHA256EmptyAndIncremental() {
        var context = provider.makeHash(.sha256)
        XCTAssertEqual(context.algorithm, .sha256)
        XCTAssertEqual(context.finalize(), hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
        context.update(Array("ab".utf8))
        _ = context.finalize()  // a snapshot must not disturb the running hash
        context.update(Array("c".utf8))
        XCTAssertEqual(context.finalize(), hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        XCTAssertEqual(context.finalize(), context.finalize())
    }

    func testDigestLengths() {
        for algorithm in [HashAlgorithm.sha256, .sha384, .sha512] {
            XCTAssertEqual(provider.makeHash(algorithm).finalize().count, algorithm.digestLength)
        }
        XCTAssertEqual(
            provider.makeHash(.sha384).finalize(),
            hex("38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"))
    }

    /// RFC 4231 test case 2 ("Jefe").
    func testHMACSanity() {
        let key = Array("Jefe".utf8)
        let data = Array("what do ya want for nothing?".utf8)
        XCTAssertEqual(
            provider.hmac(.sha256, key: key, data: data),
            hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))
        XCTAssertEqual(
            provider.hmac(.sha512, key: key, data: data),
            hex("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
                + "caeab1a34d4a6b4b636e070a38bce737"))
        XCTAssertEqual(provider.hmac(.sha384, key: key, data: data).count, 48)
    }

    /// RFC 5869 A.1.
    func testHKDFCase1() {
        let prk = provider.hkdfExtract(
            .sha256, salt: hex("000102030405060708090a0b0c"), inputKeyingMaterial: [UInt8](repeating: 0x0b, count: 22))
        XCTAssertEqual(prk, hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"))
        let okm = provider.hkdfExpand(.sha256, pseudoRandomKey: prk, info: hex("f0f1f2f3f4f5f6f7f8f9"), length: 42)
        XCTAssertEqual(
            okm, hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"))
    }

    /// RFC 5869 A.2.
    func testHKDFCase2() {
        let ikm = (0x00...0x4f).map { UInt8($0) }
        let salt = (0x60...0xaf).map { UInt8($0) }
        let info = (0xb0...0xff).map { UInt8($0) }
        let prk = provider.hkdfExtract(.sha256, salt: salt, inputKeyingMaterial: ikm)
        XCTAssertEqual(prk, hex("06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244"))
        let okm = provider.hkdfExpand(.sha256, pseudoRandomKey: prk, info: info, length: 82)
        XCTAssertEqual(
            okm,
            hex("b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09"
                + "da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"))
    }

    /// RFC 5869 A.3: empty salt and info.
    func testHKDFCase3EmptySalt() {
        let prk = provider.hkdfExtract(.sha256, salt: [], inputKeyingMaterial: [UInt8](repeating: 0x0b, count: 22))
        XCTAssertEqual(prk, hex("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"))
        let okm = provider.hkdfExpand(.sha256, pseudoRandomKey: prk, info: [], length: 42)
        XCTAssertEqual(
            okm, hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"))
    }

    /// RFC 8448 §3: early secret = HKDF-Extract(salt: 0, IKM: 32 zero bytes).
    func testHKDFEarlySecretFromRFC8448() {
        let early = provider.hkdfExtract(.sha256, salt: [], inputKeyingMaterial: [UInt8](repeating: 0, count: 32))
        XCTAssertEqual(early, hex("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a"))
    }

    func testSHA384HKDFLengths() {
        let prk = provider.hkdfExtract(.sha384, salt: [], inputKeyingMaterial: [1, 2, 3])
        XCTAssertEqual(prk.count, 48)
        XCTAssertEqual(provider.hkdfExpand(.sha384, pseudoRandomKey: prk, info: [], length: 100).count, 100)
    }
    /// The provider's HKDF-Expand (one keyed HMAC for all blocks) against swift-crypto's own `HKDF.expand`, for every
    /// hash, lengths around the block boundaries and up to the RFC's 255-block limit.
    func testHKDFExpandMatchesSwiftCrypto() {
        let prk = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        let info = Array("tls13 derived".utf8)
        for length in [1, 12, 31, 32, 33, 48, 64, 65, 100, 255 * 32] {
            XCTAssertEqual(provider.hkdfExpand(.sha256, pseudoRandomKey: prk, info: info, length: length),
                           HKDF<SHA256>.expand(pseudoRandomKey: prk, info: info, outputByteCount: length).withUnsafeBytes { Array($0) },
                           "SHA-256, \(length) bytes")
            XCTAssertEqual(provider.hkdfExpand(.sha384, pseudoRandomKey: prk, info: info, length: length),
                           HKDF<SHA384>.expand(pseudoRandomKey: prk, info: info, outputByteCount: length).withUnsafeBytes { Array($0) },
                           "SHA-384, \(length) bytes")
        }
        XCTAssertEqual(provider.hkdfExpand(.sha256, pseudoRandomKey: prk, info: info, length: 255 * 32 + 1), [],
                       "beyond 255 blocks nothing is derived")
    }

    /// A keyed HMAC used for several messages gives each message's own HMAC (the keyed state is not consumed).
    func testKeyedHMACReusesItsKey() {
        let key = Array("key".utf8)
        for algorithm in [HashAlgorithm.sha256, .sha384, .sha512] {
            let mac = provider.makeHMAC(algorithm, key: key)
            for message in [[], Array("one".utf8), Array("two".utf8), [UInt8](repeating: 9, count: 300)] {
                XCTAssertEqual(mac.authenticationCode(message), provider.hmac(algorithm, key: key, data: message))
            }
        }
    }

    /// The provider's HMAC (pad states hashed once per key) against swift-crypto's `HMAC` for keys shorter than,
    /// equal to and longer than each hash's block (64 bytes; 128 for SHA-384/512), and messages of several sizes.
    func testHMACMatchesSwiftCryptoAroundTheBlockSize() {
        func reference(_ algorithm: HashAlgorithm, _ key: [UInt8], _ data: [UInt8]) -> [UInt8] {
            let symmetric = SymmetricKey(data: key)
            switch algorithm {
            case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: symmetric))
            case .sha384: return Array(HMAC<SHA384>.authenticationCode(for: data, using: symmetric))
            case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: symmetric))
            }
        }
        for algorithm in [HashAlgorithm.sha256, .sha384, .sha512] {
            for keyLength in [0, 1, 32, 63, 64, 65, 127, 128, 129, 300] {
                let key = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
                for dataLength in [0, 1, 55, 64, 200] {
                    let data = [UInt8](repeating: UInt8(truncatingIfNeeded: dataLength), count: dataLength)
                    XCTAssertEqual(provider.hmac(algorithm, key: key, data: data), reference(algorithm, key, data),
                                   "\(algorithm) key \(keyLength) data \(dataLength)")
                }
            }
        }
    }

    /// RFC 4231 test case 6: a 131-byte key (longer than SHA-256's block, hashed first).
    func testHMACRFC4231LongKey() {
        let key = [UInt8](repeating: 0xaa, count: 131)
        let data = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
        XCTAssertEqual(provider.hmac(.sha256, key: key, data: data),
                       hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"))
        XCTAssertEqual(provider.hmac(.sha384, key: key, data: data),
                       hex("4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952"))
    }
}

