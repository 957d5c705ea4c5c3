import XCTest
@testable import TLSKit

/// SSL 3.0's master secret and key block (RFC 6101 §6.1, §6.2.2) against values from an independent python3
/// hashlib rendering of those sections:
///
///     def expand(secret, seed, n):
///         out, i = b'', 0
///         while len(out) < n:
///             letter = bytes([ord('A') + i]) * (i + 1)     # 'A', 'BB', 'CCC', …
///             out += hashlib.md5(secret + hashlib.sha1(letter + secret + seed).digest()).digest(); i += 1
///         return out[:n]
///     pms = bytes([3, 0]) + bytes(range(0x10, 0x3e)); cr = bytes(range(0x40, 0x60)); sr = bytes(range(0x60, 0x80))
///     ms = expand(pms, cr + sr, 48)
///     kb = expand(ms, sr + cr, 2 * (20 + 16 + 16))         # SHA-1 MAC keys, AES-128 keys, IVs
final class SSL3KeyDerivationTests: XCTestCase {
    private let preMasterSecret: [UInt8] = [3, 0] + Array(0x10..<0x3e)
    private let clientRandom: [UInt8] = Array(0x40..<0x60)
    private let serverRandom: [UInt8] = Array(0x60..<0x80)

    func testMasterSecretMatchesIndependentDerivation() throws {
        let expected = try XCTUnwrap(hexBytes(
            "50a4d8ea4eb0c4cb7f83b0b721d8e9efb5794e0e314f87dfa89976bc7b5513468b586548dace962d2b122fe366bcc758"))
        XCTAssertEqual(SSL3KeyDerivation.masterSecret(preMasterSecret: preMasterSecret, clientRandom: clientRandom,
                                                      serverRandom: serverRandom), expected)
    }

    func testKeyBlockMatchesIndependentDerivation() throws {
        let expected = try XCTUnwrap(hexBytes(
            "9589b7151e8af515390350ab37c5af5010a508981c13f89812486d7712951e6036d0a2969f6aae419f2d11ac23bb050cf3f50701"
            + "98e546cfde8fceb21fdf00a249ecf5dbbe9503b92fd1da58fae090e54499f8e26839530e11297e593860b82986ce03f87ecd647e"))
        let master = SSL3KeyDerivation.masterSecret(preMasterSecret: preMasterSecret, clientRandom: clientRandom,
                                                    serverRandom: serverRandom)
        let keys = SSL3KeyDerivation.keyBlock(masterSecret: master, clientRandom: clientRandom, serverRandom: serverRandom,
                                              macKeyLength: 20, keyLength: 16, ivLength: 16)
        XCTAssertEqual(keys.clientMACKey + keys.serverMACKey + keys.clientKey + keys.serverKey + keys.clientIV + keys.serverIV,
                       expected)
        XCTAssertEqual(keys.serverKey, Array(expected[56..<72]))
    }

    func testLengthIsBoundedByTheAlphabet() {
        // 26 letters of 16 bytes; asking for more (or less than nothing) neither traps nor loops.
        XCTAssertEqual(SSL3KeyDerivation.expand(secret: [1], seed: [2], length: 10_000).count, SSL3KeyDerivation.maxLength)
        XCTAssertEqual(SSL3KeyDerivation.expand(secret: [1], seed: [2], length: -1), [])
        XCTAssertEqual(SSL3KeyDerivation.expand(secret: [1], seed: [2], length: 17).count, 17)
    }
}
