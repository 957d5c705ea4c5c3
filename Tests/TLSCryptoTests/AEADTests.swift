import TLSCrypto
import TLSWire
import XCTest

final class AEADTests: XCTestCase {
    let provider = SwiftCryptoProvider()

    func testRoundTripsAllAlgorithms() throws {
        var random = SeededRandomSource(seed: 1)
        for algorithm in [AEADAlgorithm.aes128GCM, .aes256GCM, .chacha20Poly1305] {
            let aead = try provider.makeAEAD(algorithm, key: random.bytes(algorithm.keyLength))
            XCTAssertEqual(aead.algorithm, algorithm)
            let nonce = random.bytes(12)
            let aad: [UInt8] = [0x17, 0x03, 0x03, 0x00, 0x15]
            for plaintext in [[], Array("hello, record layer".utf8), random.bytes(16_385)] {
                let sealed = try aead.seal(nonce: nonce, additionalData: aad, plaintext: plaintext)
                XCTAssertEqual(sealed.count, plaintext.count + 16)
                XCTAssertEqual(try aead.open(nonce: nonce, additionalData: aad, ciphertextAndTag: sealed), plaintext)
            }
        }
    }

    func testTamperingIsBadRecordMAC() throws {
        var random = SeededRandomSource(seed: 2)
        for algorithm in [AEADAlgorithm.aes128GCM, .aes256GCM, .chacha20Poly1305] {
            let aead = try provider.makeAEAD(algorithm, key: random.bytes(algorithm.keyLength))
            let nonce = random.bytes(12)
            let aad: [UInt8] = [0x17, 0x03, 0x03, 0x00, 0x20]
            let sealed = try aead.seal(nonce: nonce, additionalData: aad, plaintext: random.bytes(16))

            var badCiphertext = sealed
            badCiphertext[0] ^= 0x01
            assertThrowsAlert(.badRecordMAC) { () throws(TLSError) in
                try aead.open(nonce: nonce, additionalData: aad, ciphertextAndTag: badCiphertext)
            }
            var badTag = sealed
            badTag[badTag.count - 1] ^= 0x80
            assertThrowsAlert(.badRecordMAC) { () throws(TLSError) in
                try aead.open(nonce: nonce, additionalData: aad, ciphertextAndTag: badTag)
            }
            assertThrowsAlert(.badRecordMAC) { () throws(TLSError) in
                try aead.open(nonce: nonce, additionalData: [0x17, 0x03, 0x03, 0x00, 0x21], ciphertextAndTag: sealed)
            }
            var otherNonce = nonce
            otherNonce[11] ^= 0x01
            assertThrowsAlert(.badRecordMAC) { () throws(TLSError) in
                try aead.open(nonce: otherNonce, additionalData: aad, ciphertextAndTag: sealed)
            }
            assertThrowsAlert(.badRecordMAC) { () throws(TLSError) in
                try aead.open(nonce: nonce, additionalData: aad, ciphertextAndTag: Array(sealed.prefix(15)))
            }
        }
    }

    func testWrongKeyLengthIsInternalError() {
        assertThrowsAlert(.internalError) { () throws(TLSError) in try provider.makeAEAD(.aes128GCM, key: [UInt8](repeating: 0, count: 32)) }
        assertThrowsAlert(.internalError) { () throws(TLSError) in try provider.makeAEAD(.aes256GCM, key: [UInt8](repeating: 0, count: 16)) }
        assertThrowsAlert(.internalError) { () throws(TLSError) in try provider.makeAEAD(.chacha20Poly1305, key: []) }
    }

    func testWrongNonceLengthIsInternalError() throws {
        for algorithm in [AEADAlgorithm.aes128GCM, .aes256GCM, .chacha20Poly1305] {
            let aead = try provider.makeAEAD(algorithm, key: [UInt8](repeating: 7, count: algorithm.keyLength))
            for length in [0, 8, 11, 13, 16] {
                let nonce = [UInt8](repeating: 1, count: length)
                assertThrowsAlert(.internalError) { () throws(TLSError) in
                    try aead.seal(nonce: nonce, additionalData: [], plaintext: [1, 2, 3])
                }
                assertThrowsAlert(.internalError) { () throws(TLSError) in
                    try aead.open(nonce: nonce, additionalData: [], ciphertextAndTag: [UInt8](repeating: 0, count: 19))
                }
            }
        }
    }

    /// RFC 8439 §2.8.2.
    func testChaCha20Poly1305KnownAnswer() throws {
        let plaintext = Array(
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
                .utf8)
        let key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        let nonce = hex("07000000" + "4041424344454647")
        let aad = hex("50515253c0c1c2c3c4c5c6c7")
        let expected = hex(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
                + "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                + "3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691")
        let aead = try provider.makeAEAD(.chacha20Poly1305, key: key)
        XCTAssertEqual(try aead.seal(nonce: nonce, additionalData: aad, plaintext: plaintext), expected)
        XCTAssertEqual(try aead.open(nonce: nonce, additionalData: aad, ciphertextAndTag: expected), plaintext)
    }

    /// RFC 8448 §3: the client's Finished record under the client handshake key, sequence number 0.
    func testAES128GCMKnownAnswerFromRFC8448() throws {
        let record = RFC8448.clientFinishedRecord
        let header = Array(record.prefix(5))
        let inner = RFC8448.clientFinished + [0x16]  // TLSInnerPlaintext: content || content type (handshake)
        let aead = try provider.makeAEAD(.aes128GCM, key: RFC8448.clientHandshakeKey)
        // Sequence number 0, so the per-record nonce is the IV itself (RFC 8446 §5.3).
        let sealed = try aead.seal(nonce: RFC8448.clientHandshakeIV, additionalData: header, plaintext: inner)
        XCTAssertEqual(header + sealed, record)
        XCTAssertEqual(
            try aead.open(nonce: RFC8448.clientHandshakeIV, additionalData: header, ciphertextAndTag: Array(record.dropFirst(5))),
            inner)
    }

    /// AES-256-GCM: NIST GCM spec test case 14 (zero key, zero IV, one zero block).
    func testAES256GCMKnownAnswer() throws {
        let aead = try provider.makeAEAD(.aes256GCM, key: [UInt8](repeating: 0, count: 32))
        let sealed = try aead.seal(
            nonce: [UInt8](repeating: 0, count: 12), additionalData: [], plaintext: [UInt8](repeating: 0, count: 16))
        XCTAssertEqual(sealed, hex("cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919"))
    }
}
