import TLSCrypto
import TLSWire
import XCTest
@testable import TLSKit

/// SSL 3.0 record protection (RFC 6101 §5.2.3): `CBCRecordProtection` with SSL 3.0's MAC, implicit IVs, and padding
/// of which only the length byte is checked (POODLE). No SSL 3.0 peer exists on this machine (OpenSSL 3.0.19 has no
/// `-ssl3`; GnuTLS 3.7.9 rejects `VERS-SSL3.0` priorities: "Error in priorities"), so the known answers were built
/// independently with python3, hashlib and the `cryptography` package (48.0.0), `r(a, n)` being bytes a … a+n-1:
///
///     def ssl3_mac(h, secret, seq, typ, data):
///         pad = 48 if h == 'md5' else 40
///         inner = hashlib.new(h, secret + b'\x36' * pad + seq.to_bytes(8, 'big') + bytes([typ])
///                                + len(data).to_bytes(2, 'big') + data).digest()
///         return hashlib.new(h, secret + b'\x5c' * pad + inner).digest()
///     def rec(key, mk, seq, typ, iv, data, padding):   # padding_length = len(padding) is appended
///         ct = aes_cbc(key, iv, data + ssl3_mac('sha1', mk, seq, typ, data) + padding + bytes([len(padding)]))
///         return bytes([typ]) + b'\x03\x00' + len(ct).to_bytes(2, 'big') + ct
///     fin = b'\x14\x00\x00\x24' + r(0xc0, 36); msg = b'hello, legacy TLS'
///     S1 = rec(r(0, 16), r(0x20, 20), 0, 22, r(0x50, 16), fin, bytes([3]) * 3)
///     S2 = rec(r(0, 16), r(0x20, 20), 1, 23, S1[-16:], msg, bytes([10]) * 10)
///     P  = rec(r(0, 16), r(0x20, 20), 0, 23, r(0x50, 16), msg, bytes([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5]))
///     L  = rec(r(0, 16), r(0x20, 20), 0, 23, r(0x50, 16), msg, bytes([26]) * 26)
///
/// (`aes_cbc` is `Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()`.)
final class SSL3RecordProtectionTests: XCTestCase {
    private static let message = Array("hello, legacy TLS".utf8)
    private static let vectorS1 = "16030000402cd74abc0a75c1ec41ec3f19d15d07acd08d7224e609861a51092cf358c53d518dd746401af3ee5c2d913577cb2519728c3fef46e4c70f0a411127228147f3fd"
    private static let vectorS2 = "17030000304902de9593d09d92d5de2023f21f91844b92330604ad91ca1d2201df22354295c0fb441b821e2b95f7a1eccdd740ed90"
    private static let vectorP = "1703000030633e5594546c6b599bb3dd4a187c32a8e48cfc18f92707b121b465ff360a604d84d5f5ef28f2c0d489c259996a37d836"
    private static let vectorL = "1703000040633e5594546c6b599bb3dd4a187c32a8e48cfc18f92707b121b465ff360a604d6dcb716731bbfcc44f25357de0d538ac502d4333677794136ade9c3cdaf705fb"

    private static func r(_ start: Int, _ count: Int) -> [UInt8] { (start..<(start + count)).map { UInt8($0) } }

    private static func protection() throws -> CBCRecordProtection {
        try CBCRecordProtection(cipher: .aes128, key: r(0, 16), macAlgorithm: .sha1, macKey: r(0x20, 20), version: .ssl3,
                                encryptThenMAC: false, initialIV: r(0x50, 16))
    }

    func testSealsAndOpensIndependentRecordsByteForByte() throws {
        let finished: [UInt8] = [0x14, 0x00, 0x00, 0x24] + Self.r(0xc0, 36)
        var sender = try Self.protection()
        var random: any RandomSource = FixedBytes([])   // implicit IVs: nothing drawn
        var records: [UInt8] = []
        try sender.seal(.handshake, finished[...], random: &random, appendingTo: &records)
        try sender.seal(.applicationData, Self.message[...], random: &random, appendingTo: &records)
        XCTAssertEqual(hexString(records), Self.vectorS1 + Self.vectorS2)

        var receiver = try Self.protection()
        let s1 = try XCTUnwrap(hexBytes(Self.vectorS1)), s2 = try XCTUnwrap(hexBytes(Self.vectorS2))
        XCTAssertEqual(try receiver.open(.handshake, body: s1[5...]), finished)
        XCTAssertEqual(try receiver.open(.applicationData, body: s2[5...]), Self.message)
    }

    func testArbitraryPaddingBytesAreAcceptedAsTheSpecSays() throws {
        // RFC 6101 leaves the padding bytes unspecified and unauthenticated: this is what POODLE exploits.
        var receiver = try Self.protection()
        let record = try XCTUnwrap(hexBytes(Self.vectorP))
        XCTAssertEqual(try receiver.open(.applicationData, body: record[5...]), Self.message)
    }

    func testPaddingLengthOfABlockOrMoreIsBadRecordMAC() throws {
        // The MAC is right, but padding_length 26 > block length − 1: bad_record_mac, like every other failure.
        var receiver = try Self.protection()
        let record = try XCTUnwrap(hexBytes(Self.vectorL))
        XCTAssertThrowsError(try receiver.open(.applicationData, body: record[5...])) { error in
            XCTAssertEqual((error as? TLSError)?.cause, .peerMisbehaved(.recordAuthenticationFailed))
        }
    }

    func testWrongSequenceNumberOrFlippedByteIsBadRecordMAC() throws {
        let s2 = try XCTUnwrap(hexBytes(Self.vectorS2))
        var receiver = try Self.protection()   // S2 was MACed with seq 1 and chained IV: out of order it fails
        XCTAssertThrowsError(try receiver.open(.applicationData, body: s2[5...])) { error in
            XCTAssertEqual((error as? TLSError)?.cause, .peerMisbehaved(.recordAuthenticationFailed))
        }
        var flipped = try XCTUnwrap(hexBytes(Self.vectorP))
        flipped[10] ^= 1
        var fresh = try Self.protection()
        XCTAssertThrowsError(try fresh.open(.applicationData, body: flipped[5...])) { error in
            XCTAssertEqual((error as? TLSError)?.cause, .peerMisbehaved(.recordAuthenticationFailed))
        }
    }

    func testSSL3MACMatchesPythonAndSplitsLikeTLS10() throws {
        // ssl3_mac('sha1', r(0x20, 20), 1, 23, msg) and ssl3_mac('md5', r(0x20, 16), 0, 23, msg), from the script above.
        let header1: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1, 23, 0, UInt8(Self.message.count)]
        let sha = try XCTUnwrap(LegacyHMAC.ssl3(.sha1, key: Self.r(0x20, 20)))
        XCTAssertEqual(hexString(sha.authenticationCode(header1, Self.message[...])), "868426d23fd6e605482db037ff05a1d45dd411ac")
        let header0: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 23, 0, UInt8(Self.message.count)]
        let md5 = try XCTUnwrap(LegacyHMAC.ssl3(.md5, key: Self.r(0x20, 16)))
        XCTAssertEqual(hexString(md5.authenticationCode(header0, Self.message[...])), "9ec3ae34856f5906f36d72783a2c6924")
        XCTAssertNil(LegacyHMAC.ssl3(.sha256, key: Self.r(0x20, 32)))
        // 1/n−1 splitting against BEAST, as in TLS 1.0 (the IV chains the same way).
        XCTAssertEqual(try Self.protection().fragments(of: Self.message[...]).map(\.count), [1, Self.message.count - 1])
    }
}
