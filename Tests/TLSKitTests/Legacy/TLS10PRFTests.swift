import TLSCrypto
import XCTest
@testable import TLSKit

/// The TLS 1.0/1.1 PRF (RFC 2246 §5) against vectors produced independently by OpenSSL 3.0.19, whose TLS1-PRF with
/// digest MD5-SHA1 is exactly that PRF, and cross-checked with a python3 hmac/hashlib rendering of RFC 2246 §5:
///
///     openssl kdf -keylen 104 -kdfopt digest:MD5-SHA1 \
///         -kdfopt hexsecret:000102…2f  (bytes 0x00…0x2f, 48 bytes) \
///         -kdfopt hexseed:6d617374657220736563726574 404142…7f  ("master secret" + bytes 0x40…0x7f) TLS1-PRF
///     openssl kdf -keylen 48 -kdfopt digest:MD5-SHA1 \
///         -kdfopt hexsecret:a0a1…ac  (bytes 0xa0…0xac, 13 bytes: odd, S1 and S2 share byte 0xa6) \
///         -kdfopt hexseed:6b657920657870616e73696f6e 101112…4f  ("key expansion" + bytes 0x10…0x4f) TLS1-PRF
final class TLS10PRFTests: XCTestCase {
    private let prf = TLS10PRF()

    func testEvenLengthSecretMatchesOpenSSL() throws {
        let expected = try XCTUnwrap(hexBytes(
            "2e81c84ea2f797bc352536b726889d0f5aaa51078c5b2a99129141178da9ed108ac69f9aa3cbc0ff5b27f58e7ea47ea7"
            + "53877481febb2218ee10006e29800ee5ec0f77464036bed81a69f161a0f408288987457f7237c75edacac5e481671e"
            + "2a900eae9d9d5e12d0"))
        // 104 bytes: not a multiple of either hash's output (16, 20), so both P_hash streams are cut.
        let output = prf(secret: Array(0x00...0x2f), label: "master secret", seed: Array(0x40...0x7f), length: 104)
        XCTAssertEqual(output, expected)
    }

    func testOddLengthSecretSharesTheMiddleByte() throws {
        let expected = try XCTUnwrap(hexBytes(
            "dac819e89ee04290793c022b26db5164bff710e62aa9298875ffe783a67c58bfa2572df5018eb62876621e7844850fa3"))
        let output = prf(secret: Array(0xa0...0xac), label: "key expansion", seed: Array(0x10...0x4f), length: 48)
        XCTAssertEqual(output, expected)
    }

    func testMasterSecretIsThePRFOverBothRandoms() {
        let clientRandom: [UInt8] = Array(0x40...0x5f)
        let serverRandom: [UInt8] = Array(0x60...0x7f)
        // The first 48 bytes of the even-length vector: same secret, label and seed.
        let master = prf.masterSecret(preMasterSecret: Array(0x00...0x2f), clientRandom: clientRandom, serverRandom: serverRandom)
        XCTAssertEqual(master, prf(secret: Array(0x00...0x2f), label: "master secret", seed: Array(0x40...0x7f), length: 104).prefix(48).map { $0 })
        XCTAssertEqual(hexString(Array(master.prefix(4))), "2e81c84e")
    }

    func testKeyBlockIsCutInRFCOrder() {
        let master: [UInt8] = Array(repeating: 0x5a, count: 48)
        let c: [UInt8] = Array(repeating: 1, count: 32), s: [UInt8] = Array(repeating: 2, count: 32)
        // TLS 1.0 AES_128_CBC_SHA: 20-byte MAC keys, 16-byte keys, 16-byte IVs.
        let block = prf(secret: master, label: "key expansion", seed: s + c, length: 2 * (20 + 16 + 16))
        let keys = prf.keyBlock(masterSecret: master, clientRandom: c, serverRandom: s, macKeyLength: 20, keyLength: 16, ivLength: 16)
        XCTAssertEqual(keys.clientMACKey, Array(block[0..<20]))
        XCTAssertEqual(keys.serverMACKey, Array(block[20..<40]))
        XCTAssertEqual(keys.clientKey, Array(block[40..<56]))
        XCTAssertEqual(keys.serverKey, Array(block[56..<72]))
        XCTAssertEqual(keys.clientIV, Array(block[72..<88]))
        XCTAssertEqual(keys.serverIV, Array(block[88..<104]))
        // TLS 1.1: no IVs in the key block (RFC 4346 §6.3).
        let keys11 = prf.keyBlock(masterSecret: master, clientRandom: c, serverRandom: s, macKeyLength: 20, keyLength: 16, ivLength: 0)
        XCTAssertEqual(keys11.clientIV, [])
        XCTAssertEqual(keys11.serverKey, keys.serverKey)
    }

    func testTLS12PRFStillMatchesItsOwnPHash() {
        // The TLS 1.2 PRF now goes through the shared P_hash; pin one output so the refactor stays honest.
        let prf12 = TLS12PRF(provider: SwiftCryptoProvider(), hash: .sha256)
        let viaPRF = prf12(secret: [1, 2, 3], label: "test label", seed: [4, 5], length: 70)
        let key: [UInt8] = [1, 2, 3]
        let viaHMAC = TLS12PRF.pHash(seed: Array("test label".utf8) + [4, 5], length: 70, digestLength: 32) {
            SwiftCryptoProvider().hmac(.sha256, key: key, data: $0)
        }
        XCTAssertEqual(viaPRF, viaHMAC)
        // python3: P_SHA256(bytes([1, 2, 3]), b"test label" + bytes([4, 5])) with hmac/hashlib, per RFC 5246 §5.
        XCTAssertEqual(hexString(viaPRF), "7edea117c898c94b7ac192ea7e2f89b15a262a01284f4b48f1cfc47376ce2bf11a68fb25e08fd622"
                       + "f32850df77df72c99649f4e593cecbd34a21acfd9c9687248c18fca192b4")
    }
}
