import Crypto
import _CryptoExtras
import TLSCrypto
import TLSWire
import XCTest
@testable import TLSKit

/// AES-CBC + HMAC record protection for the legacy versions (issue 17): MAC-then-encrypt with TLS 1.0 implicit and
/// TLS 1.1+ explicit IVs, encrypt-then-MAC (RFC 7366), and the one bad_record_mac for every failure.
///
/// The known answers were built independently with python3, the `cryptography` package (48.0.0) and hmac/hashlib,
/// following RFC 5246 §6.2.3.2 / RFC 2246 §6.2.3.2 / RFC 7366 §3 (`r(a, n)` is the bytes a, a+1, … a+n-1):
///
///     def hdr(seq, typ, ver, n): return seq.to_bytes(8,'big') + bytes([typ]) + ver.to_bytes(2,'big') + n.to_bytes(2,'big')
///     def mte(key, mk, h, ver, seq, typ, iv, explicit, data, pad):
///         m = hmac.new(mk, hdr(seq, typ, ver, len(data)) + data, h).digest()
///         ct = aes_cbc(key, iv, data + m + bytes([pad]) * (pad + 1))    # Cipher(AES(key), CBC(iv)).encryptor()
///         body = (iv if explicit else b'') + ct
///         return bytes([typ]) + ver.to_bytes(2,'big') + len(body).to_bytes(2,'big') + body
///     def etm(key, mk, h, ver, seq, typ, iv, explicit, data, pad):
///         body = (iv if explicit else b'') + aes_cbc(key, iv, data + bytes([pad]) * (pad + 1))
///         body += hmac.new(mk, hdr(seq, typ, ver, len(body)) + body, h).digest()
///         return bytes([typ]) + ver.to_bytes(2,'big') + len(body).to_bytes(2,'big') + body
///     A  = mte(r(0,16), r(0x20,20), sha1, 0x0302, 0, 23, r(0x40,16), True, b'hello, legacy TLS', 10)
///     A2 = the same with pad 42
///     B1 = mte(r(0x80,32), r(0x20,20), sha1, 0x0301, 0, 22, r(0x50,16), False, b'\x14\x00\x00\x0c' + r(0xc0,12), 11)
///     B2 = mte(r(0x80,32), r(0x20,20), sha1, 0x0301, 1, 23, B1[-16:], False, b'hello, legacy TLS', 10)
///     C  = etm(r(0,16), r(0x20,32), sha256, 0x0303, 0, 23, r(0x60,16), True, b'hello, legacy TLS', 14)
///
/// A was also checked with the openssl binary: `openssl enc -d -aes-128-cbc -K 000102…0f -iv 404142…4f -nopad` on
/// its ciphertext gives the content, the MAC and ten 0x0a padding bytes, and `openssl dgst -sha1 -mac HMAC -macopt
/// hexkey:202122…33` over 0000000000000000 17 0302 0011 || content gives that MAC (2bb828c3…).
final class CBCRecordProtectionTests: XCTestCase {
    private static let message = Array("hello, legacy TLS".utf8)
    private static let vectorA = "1703020040404142434445464748494a4b4c4d4e4fd5f4377d762f5179d9e83563e89ef963451c82a8ef1bd39e4a3bfcb932320e83f439ad420d45ea83e3a12a12f3bc91c0"
    private static let vectorA2 = "1703020060404142434445464748494a4b4c4d4e4fd5f4377d762f5179d9e83563e89ef963451c82a8ef1bd39e4a3bfcb932320e8315e279136e2ba4c40bd83bbcaf428907440c33e82125f4c4d913a9b2742fad109fb1083f9e348835b4a97f32c6887030"
    private static let vectorB1 = "1603010030c8d153c02bc0cbbd7f59195b67a73fcedfcf70d421c047f3d592f00ff27136a5841af1c2a099ef48e0b8146a01e6f447"
    private static let vectorB2 = "1703010030182fb20b4a93cb59a433e675c30c968a0b480d62326ebe8022fc24589e6f66a22736c1213311e634c0aa803dba6d998f"
    private static let vectorC = "1703030050606162636465666768696a6b6c6d6e6f54098d06ba25e9d91c51bd5866f6468972636e3f49232d8064652e96cff26b872233bea961f2ce112f97a284f2882b31e88ede7b9c3ba10a3de375e302dab963"

    private static func r(_ start: Int, _ count: Int) -> [UInt8] { (start..<(start + count)).map { UInt8($0) } }

    // MARK: Known answers

    func testTLS11ExplicitIVMatchesIndependentRecord() throws {
        let expected = try XCTUnwrap(hexBytes(Self.vectorA))
        var sender = try Self.protection(.tls11, key: Self.r(0, 16), mac: .sha1, macKey: Self.r(0x20, 20))
        var random: any RandomSource = FixedBytes([Self.r(0x40, 16)])
        var record: [UInt8] = []
        try sender.seal(.applicationData, Self.message[...], random: &random, appendingTo: &record)
        XCTAssertEqual(hexString(record), Self.vectorA)

        var receiver = try Self.protection(.tls11, key: Self.r(0, 16), mac: .sha1, macKey: Self.r(0x20, 20))
        XCTAssertEqual(try receiver.open(.applicationData, body: expected[5...]), Self.message)
    }

    func testLongerValidPaddingOpens() throws {
        // 43 padding bytes where 11 would do: RFC 5246 §6.2.3.2 allows any length up to 255.
        let record = try XCTUnwrap(hexBytes(Self.vectorA2))
        var receiver = try Self.protection(.tls11, key: Self.r(0, 16), mac: .sha1, macKey: Self.r(0x20, 20))
        XCTAssertEqual(try receiver.open(.applicationData, body: record[5...]), Self.message)
    }

    func testTLS10ImplicitIVChainsLikeIndependentRecords() throws {
        let finished: [UInt8] = [0x14, 0x00, 0x00, 0x0c] + Self.r(0xc0, 12)
        var sender = try Self.protection(.tls10, cipher: .aes256, key: Self.r(0x80, 32), mac: .sha1, macKey: Self.r(0x20, 20),
                                         initialIV: Self.r(0x50, 16))
        var random: any RandomSource = FixedBytes([])   // TLS 1.0 draws no IVs
        var records: [UInt8] = []
        try sender.seal(.handshake, finished[...], random: &random, appendingTo: &records)
        try sender.seal(.applicationData, Self.message[...], random: &random, appendingTo: &records)
        XCTAssertEqual(hexString(records), Self.vectorB1 + Self.vectorB2)

        var receiver = try Self.protection(.tls10, cipher: .aes256, key: Self.r(0x80, 32), mac: .sha1, macKey: Self.r(0x20, 20),
                                           initialIV: Self.r(0x50, 16))
        let b1 = try XCTUnwrap(hexBytes(Self.vectorB1)), b2 = try XCTUnwrap(hexBytes(Self.vectorB2))
        XCTAssertEqual(try receiver.open(.handshake, body: b1[5...]), finished)
        XCTAssertEqual(try receiver.open(.applicationData, body: b2[5...]), Self.message)
    }

    func testEncryptThenMACMatchesIndependentRecord() throws {
        let expected = try XCTUnwrap(hexBytes(Self.vectorC))
        var sender = try Self.protection(.tls12, key: Self.r(0, 16), mac: .sha256, macKey: Self.r(0x20, 32), encryptThenMAC: true)
        var random: any RandomSource = FixedBytes([Self.r(0x60, 16)])
        var record: [UInt8] = []
        try sender.seal(.applicationData, Self.message[...], random: &random, appendingTo: &record)
        XCTAssertEqual(hexString(record), Self.vectorC)

        var receiver = try Self.protection(.tls12, key: Self.r(0, 16), mac: .sha256, macKey: Self.r(0x20, 32), encryptThenMAC: true)
        XCTAssertEqual(try receiver.open(.applicationData, body: expected[5...]), Self.message)
    }

    // MARK: Round trips

    func testRoundTripEveryVariant() throws {
        let sizes = [0, 1, 15, 16, 17, 47, 48, 255, 1000, RecordLimits.maxPlaintext]
        for version in [ProtocolVersion.tls10, .tls11, .tls12] {
            for mac in [LegacyMACAlgorithm.sha1, .sha256, .sha384] {
                for etm in [false, true] {
                    for cipher in [CBCRecordProtection.Cipher.aes128, .aes256] {
                        let key = Self.r(1, cipher.keyLength), macKey = Self.r(9, mac.digestLength), iv = Self.r(0x70, 16)
                        var sender = try Self.protection(version, cipher: cipher, key: key, mac: mac, macKey: macKey,
                                                         encryptThenMAC: etm, initialIV: iv)
                        var receiver = try Self.protection(version, cipher: cipher, key: key, mac: mac, macKey: macKey,
                                                           encryptThenMAC: etm, initialIV: iv)
                        var random: any RandomSource = SeededRandom(seed: 17)
                        let context = "\(version) \(mac) etm=\(etm) \(cipher)"
                        for (index, size) in sizes.enumerated() {
                            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
                            var record: [UInt8] = []
                            try sender.seal(.applicationData, payload[...], random: &random, appendingTo: &record)
                            XCTAssertEqual(Array(record[0..<3]), [23, 3, UInt8(version.rawValue & 0xff)], context)
                            XCTAssertEqual(Int(record[3]) << 8 | Int(record[4]), record.count - 5, context)
                            XCTAssertLessThanOrEqual(record.count - 5, CBCRecordProtection.maxCiphertext, context)
                            XCTAssertEqual(try receiver.open(.applicationData, body: record[5...]), payload, "\(context) size \(size)")
                        }
                        XCTAssertEqual(receiver.sequenceNumber, UInt64(sizes.count), context)
                    }
                }
            }
        }
    }

    func testExplicitIVsComeFromTheInjectedRandomSource() throws {
        var sender = try Self.protection(.tls12, key: Self.r(0, 16), mac: .sha1, macKey: Self.r(0x20, 20))
        var random: any RandomSource = FixedBytes([Self.r(0xa0, 16), Self.r(0xb0, 16)])
        var first: [UInt8] = [], second: [UInt8] = []
        try sender.seal(.applicationData, Self.message[...], random: &random, appendingTo: &first)
        try sender.seal(.applicationData, Self.message[...], random: &random, appendingTo: &second)
        XCTAssertEqual(Array(first[5..<21]), Self.r(0xa0, 16))
        XCTAssertEqual(Array(second[5..<21]), Self.r(0xb0, 16))
    }

    // MARK: Every failure is bad_record_mac

    func testBadPaddingWithGoodMACIsBadRecordMAC() throws {
        // Built by the test's own MAC-then-encrypt (not ours): a valid MAC, then padding whose bytes disagree.
        let content = Self.message
        // 17 content + 20 MAC + 11 padding = 48 bytes each time: only the padding's bytes differ.
        for padding in [[UInt8](repeating: 10, count: 10) + [9],   // padding_length 9 over bytes of 10
                        [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 10],         // padding_length 10 over bytes of 3
                        [UInt8](repeating: 0xff, count: 11)] {      // padding_length 255: longer than the record
            let body = Self.macThenEncrypt(content: content, padding: padding, seq: 0, version: .tls11)
            try assertBadRecordMAC(body, .tls11)
        }
        // Sanity: the same builder with correct padding opens.
        var receiver = try Self.protection(.tls11, key: Self.r(0, 16), mac: .sha1, macKey: Self.r(0x20, 20))
        let good = Self.macThenEncrypt(content: content, padding: [UInt8](repeating: 10, count: 11), seq: 0, version: .tls11)
        XCTAssertEqual(try receiver.open(.applicationData, body: good[...]), content)
    }

    func testBadMACIsBadRecordMAC() throws {
        let record = try XCTUnwrap(hexBytes(Self.vectorA))
        var body = Array(record[5...])
        // Flip a bit of the second-to-last block: CBC carries it into the MAC in the last block's plaintext.
        body[body.count - 20] ^= 0x01
        try assertBadRecordMAC(body, .tls11)
        // The right record under the wrong sequence number (a replay or reorder) does not authenticate either.
        var receiver = try Self.protection(.tls11, key: Self.r(0, 16), mac: .sha1, macKey: Self.r(0x20, 20))
        _ = try receiver.open(.applicationData, body: record[5...])
        XCTAssertThrowsError(try receiver.open(.applicationData, body: record[5...])) { error in
            XCTAssertEqual((error as? TLSError)?.cause, .peerMisbehaved(.recordAuthenticationFailed))
        }
        // Same bytes, other content type: the type is in the MAC.
        try assertBadRecordMAC(Array(record[5...]), .tls11, type: .handshake)
        // A wrong MAC in a record built by the test itself, with good padding.
        let wrongMAC = Self.macThenEncrypt(content: Self.message, padding: [UInt8](repeating: 10, count: 11), seq: 0,
                                           version: .tls11, corruptMAC: true)
        try assertBadRecordMAC(wrongMAC, .tls11)
    }

    func testShortAndMisalignedRecordsAreBadRecordMAC() throws {
        let record = try XCTUnwrap(hexBytes(Self.vectorA))
        let body = Array(record[5...])   // 16 IV + 48
        // Empty; IV only; IV plus one block (cannot hold a 20-byte MAC and the length byte); misaligned by one byte.
        for bad in [[], Array(body.prefix(16)), Array(body.prefix(32)), Array(body.dropLast()), body + [0]] {
            try assertBadRecordMAC(bad, .tls11)
        }
        // TLS 1.0 (no explicit IV): one block cannot hold a SHA-1 MAC.
        try assertBadRecordMAC(Self.r(0, 16), .tls10)
        try assertBadRecordMAC(Self.r(0, 31), .tls10)
        // Encrypt-then-MAC: shorter than IV + block + MAC, and misaligned.
        let etm = try XCTUnwrap(hexBytes(Self.vectorC))
        let etmBody = Array(etm[5...])
        for bad in [Array(etmBody.prefix(16 + 32)), Array(etmBody.dropFirst()), [UInt8](repeating: 0, count: 16 + 16 + 31)] {
            try assertBadRecordMAC(bad, .tls12, encryptThenMAC: true, macAlgorithm: .sha256, macKey: Self.r(0x20, 32))
        }
    }

    func testEncryptThenMACFailuresAreBadRecordMAC() throws {
        let record = try XCTUnwrap(hexBytes(Self.vectorC))
        let body = Array(record[5...])
        for index in [0, 16, body.count - 33, body.count - 1] {   // IV, ciphertext, last ciphertext byte, MAC
            var tampered = body
            tampered[index] ^= 0x80
            try assertBadRecordMAC(tampered, .tls12, encryptThenMAC: true, macAlgorithm: .sha256, macKey: Self.r(0x20, 32))
        }
    }

    func testOversizedRecordIsRecordOverflow() throws {
        var receiver = try Self.protection(.tls12, key: Self.r(0, 16), mac: .sha1, macKey: Self.r(0x20, 20))
        let body = [UInt8](repeating: 0, count: CBCRecordProtection.maxCiphertext + 16)
        XCTAssertThrowsError(try receiver.open(.applicationData, body: body[...])) { error in
            XCTAssertEqual((error as? TLSError)?.cause, .peerMisbehaved(.recordOverflow))
        }
    }

    func testTLS13AndSSL3WithoutItsConstraintsAreRefused() {
        XCTAssertThrowsError(try Self.protection(.tls13, key: Self.r(0, 16), mac: .sha1, macKey: Self.r(0x20, 20))) { error in
            XCTAssertEqual((error as? TLSError)?.cause, .internal)
        }
        // SSL 3.0 has no encrypt-then-MAC and defines its MAC over MD5 and SHA-1 only.
        XCTAssertThrowsError(try Self.protection(.ssl3, key: Self.r(0, 16), mac: .sha1, macKey: Self.r(0x20, 20), encryptThenMAC: true)) { error in
            XCTAssertEqual((error as? TLSError)?.cause, .internal)
        }
        XCTAssertThrowsError(try Self.protection(.ssl3, key: Self.r(0, 16), mac: .sha256, macKey: Self.r(0x20, 32))) { error in
            XCTAssertEqual((error as? TLSError)?.cause, .internal)
        }
    }

    func testCompressionCountsFollowTheHashPadding() {
        // HMAC's inner hash: one key block, then message || 0x80 || length field, rounded up to whole blocks.
        // SHA-1: 64-byte blocks, 8-byte length; 55 bytes fit one message block, 56 need two.
        XCTAssertEqual(LegacyMACAlgorithm.sha1.innerCompressions(messageLength: 55), 2)
        XCTAssertEqual(LegacyMACAlgorithm.sha1.innerCompressions(messageLength: 56), 3)
        XCTAssertEqual(LegacyMACAlgorithm.sha256.innerCompressions(messageLength: 13 + 100), 3)
        // SHA-384: 128-byte blocks, 16-byte length; 111 bytes fit one block, 112 need two.
        XCTAssertEqual(LegacyMACAlgorithm.sha384.innerCompressions(messageLength: 111), 2)
        XCTAssertEqual(LegacyMACAlgorithm.sha384.innerCompressions(messageLength: 112), 3)
    }

    // MARK: 1/n−1 splitting (BEAST)

    func testTLS10SplitsApplicationWritesOneThenTheRest() throws {
        let tls10 = try Self.protection(.tls10, key: Self.r(0, 16), mac: .sha1, macKey: Self.r(0x20, 20), initialIV: Self.r(0, 16))
        let payload = Self.r(0, 100)
        XCTAssertEqual(tls10.fragments(of: payload[...]).map(\.count), [1, 99])
        XCTAssertEqual(tls10.fragments(of: payload[...]).flatMap { $0 }, payload)
        XCTAssertEqual(tls10.fragments(of: payload.prefix(1)).map(\.count), [1])
        XCTAssertEqual(tls10.fragments(of: [][...]).count, 0)
        // Past the first byte the rest still respects the fragment size.
        XCTAssertEqual(tls10.fragments(of: payload[...], maxFragment: 40).map(\.count), [1, 40, 40, 19])

        let tls11 = try Self.protection(.tls11, key: Self.r(0, 16), mac: .sha1, macKey: Self.r(0x20, 20))
        XCTAssertEqual(tls11.fragments(of: payload[...]).map(\.count), [100])
        XCTAssertEqual(tls11.fragments(of: payload[...], maxFragment: 40).map(\.count), [40, 40, 20])
    }

    func testTLS10SplitWritesOpenBackToTheWrite() throws {
        let key = Self.r(0, 16), macKey = Self.r(0x20, 20), iv = Self.r(0x30, 16)
        var sender = try Self.protection(.tls10, key: key, mac: .sha1, macKey: macKey, initialIV: iv)
        var receiver = try Self.protection(.tls10, key: key, mac: .sha1, macKey: macKey, initialIV: iv)
        var random: any RandomSource = FixedBytes([])
        var output: [UInt8] = []
        let payload = Self.r(0, 200)
        try sender.sealApplicationData(payload[...], random: &random, appendingTo: &output)
        var received: [UInt8] = []
        var records = 0
        var offset = 0
        while offset < output.count {
            let length = Int(output[offset + 3]) << 8 | Int(output[offset + 4])
            received += try receiver.open(.applicationData, body: output[(offset + 5)..<(offset + 5 + length)])
            offset += 5 + length
            records += 1
        }
        XCTAssertEqual(records, 2)
        XCTAssertEqual(received, payload)
    }

    // MARK: Helpers

    private static func protection(_ version: ProtocolVersion, cipher: CBCRecordProtection.Cipher = .aes128, key: [UInt8],
                                   mac: LegacyMACAlgorithm, macKey: [UInt8], encryptThenMAC: Bool = false,
                                   initialIV: [UInt8] = []) throws -> CBCRecordProtection {
        try CBCRecordProtection(cipher: cipher, key: key, macAlgorithm: mac, macKey: macKey, version: version,
                                encryptThenMAC: encryptThenMAC, initialIV: version <= .tls10 && initialIV.isEmpty ? r(0x50, 16) : initialIV)
    }

    /// The test's own MAC-then-encrypt (swift-crypto's HMAC-SHA1 and AES-CBC, not `CBCRecordProtection`): AES-128 key
    /// r(0, 16), MAC key r(0x20, 20), explicit IV r(0x40, 16), application data, `padding` exactly as given.
    private static func macThenEncrypt(content: [UInt8], padding: [UInt8], seq: UInt64, version: ProtocolVersion,
                                       corruptMAC: Bool = false) -> [UInt8] {
        var header: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: seq >> (8 * UInt64(7 - $0))) }
        header += [23, 3, UInt8(version.rawValue & 0xff), UInt8(content.count >> 8), UInt8(content.count & 0xff)]
        var mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: header + content, using: SymmetricKey(data: r(0x20, 20))))
        if corruptMAC { mac[0] ^= 1 }
        let iv = r(0x40, 16)
        guard let cbcIV = try? AES._CBC.IV(ivBytes: iv),
              let ciphertext = try? AES._CBC.encrypt(content + mac + padding, using: SymmetricKey(data: r(0, 16)), iv: cbcIV,
                                                     noPadding: true) else {
            XCTFail("test record does not fill whole blocks")
            return []
        }
        return iv + Array(ciphertext)
    }

    private func assertBadRecordMAC(_ body: [UInt8], _ version: ProtocolVersion, type: ContentType = .applicationData,
                                    encryptThenMAC: Bool = false, macAlgorithm: LegacyMACAlgorithm = .sha1,
                                    macKey: [UInt8] = r(0x20, 20), file: StaticString = #filePath, line: UInt = #line) throws {
        var receiver = try Self.protection(version, key: Self.r(0, 16), mac: macAlgorithm, macKey: macKey, encryptThenMAC: encryptThenMAC)
        XCTAssertThrowsError(try receiver.open(type, body: body[...]), file: file, line: line) { error in
            let error = error as? TLSError
            XCTAssertEqual(error?.cause, .peerMisbehaved(.recordAuthenticationFailed), "\(body.count)-byte body", file: file, line: line)
            XCTAssertEqual(error?.cause.alert, .badRecordMAC, file: file, line: line)
        }
        XCTAssertEqual(receiver.sequenceNumber, 0, "a failed record must not advance the sequence number", file: file, line: line)
    }
}

/// Hands out the given byte strings in order (the explicit IVs a test expects); fails the test on any other request.
struct FixedBytes: RandomSource {
    private var queue: [[UInt8]]
    init(_ queue: [[UInt8]]) { self.queue = queue }

    mutating func bytes(_ count: Int) -> [UInt8] {
        guard let next = queue.first, next.count == count else {
            XCTFail("unexpected request for \(count) random bytes")
            return [UInt8](repeating: 0, count: count)
        }
        queue.removeFirst()
        return next
    }
}
