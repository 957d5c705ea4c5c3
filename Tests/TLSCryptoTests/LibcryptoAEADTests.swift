#if SystemLibcryptoAEAD
import TLSCrypto
import TLSWire
import XCTest

/// The opt-in libcrypto EVP AEAD (trait SystemLibcryptoAEAD) against swift-crypto's: the same ciphertext and tag for
/// every algorithm and size, each opens the other's records, and a forged record fails with bad_record_mac leaving
/// the output as it was. Run with `swift test --traits SystemLibcryptoAEAD --filter LibcryptoAEADTests`; CI runs the
/// same comparison as the `libcrypto-aead` fuzz target (scripts/fuzz.sh builds with the trait).
final class LibcryptoAEADTests: XCTestCase {
    let libcrypto = LibcryptoAEADProvider()
    let swiftCrypto = SwiftCryptoProvider()

    func testSealsAndOpensAsSwiftCryptoDoes() throws {
        for algorithm in [AEADAlgorithm.aes128GCM, .aes256GCM, .chacha20Poly1305] {
            let key = (0..<algorithm.keyLength).map { UInt8($0) }
            let ours = try libcrypto.makeAEAD(algorithm, key: key)
            let reference = try swiftCrypto.makeAEAD(algorithm, key: key)
            for length in [0, 1, 15, 16, 17, 1000, 16_385] {
                let nonce = (0..<12).map { UInt8($0 &* 3 &+ UInt8(truncatingIfNeeded: length)) }
                let additionalData: [UInt8] = [0x17, 0x03, 0x03, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
                let plaintext = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
                let sealed = try ours.seal(nonce: nonce, additionalData: additionalData, plaintext: plaintext)
                XCTAssertEqual(sealed, try reference.seal(nonce: nonce, additionalData: additionalData, plaintext: plaintext),
                               "\(algorithm) \(length)")
                XCTAssertEqual(try ours.open(nonce: nonce, additionalData: additionalData, ciphertextAndTag: sealed), plaintext)
                XCTAssertEqual(try reference.open(nonce: nonce, additionalData: additionalData, ciphertextAndTag: sealed), plaintext)
            }
        }
    }

    /// Sealing appends behind what the output holds (the record header) and leaves it alone.
    func testSealAppendsBehindExistingOutput() throws {
        let aead = try libcrypto.makeAEAD(.aes128GCM, key: [UInt8](repeating: 7, count: 16))
        var output: [UInt8] = [0x17, 0x03, 0x03]
        try aead.seal(nonce: [UInt8](repeating: 1, count: 12), additionalData: [], plaintext: [1, 2, 3][...], appendingTo: &output)
        XCTAssertEqual(Array(output.prefix(3)), [0x17, 0x03, 0x03])
        XCTAssertEqual(output.count, 3 + 3 + 16)
        XCTAssertEqual(Array(output.dropFirst(3)),
                       try swiftCrypto.makeAEAD(.aes128GCM, key: [UInt8](repeating: 7, count: 16))
                           .seal(nonce: [UInt8](repeating: 1, count: 12), additionalData: [], plaintext: [1, 2, 3]))
    }

    func testForgedRecordsFailWithBadRecordMACAndLeaveTheOutputAlone() throws {
        for algorithm in [AEADAlgorithm.aes128GCM, .aes256GCM, .chacha20Poly1305] {
            let aead = try libcrypto.makeAEAD(algorithm, key: [UInt8](repeating: 9, count: algorithm.keyLength))
            let nonce = [UInt8](repeating: 2, count: 12)
            let sealed = try aead.seal(nonce: nonce, additionalData: [1], plaintext: Array("attack at dawn".utf8))
            var forgeries: [(String, [UInt8], [UInt8], [UInt8])] = []
            for index in [0, sealed.count - 1] {
                var flipped = sealed
                flipped[index] ^= 0x01
                forgeries.append(("bit \(index)", flipped, nonce, [1]))
            }
            forgeries.append(("other additional data", sealed, nonce, [2]))
            forgeries.append(("other nonce", sealed, [UInt8](repeating: 3, count: 12), [1]))
            forgeries.append(("tag only, truncated", Array(sealed.suffix(15)), nonce, [1]))
            for (name, record, nonce, additionalData) in forgeries {
                var output: [UInt8] = [0xAA]
                XCTAssertThrowsError(try aead.open(nonce: nonce, additionalData: additionalData,
                                                   ciphertextAndTag: record[...], appendingTo: &output), "\(algorithm) \(name)") { error in
                    XCTAssertEqual((error as? TLSError)?.cause, .peerMisbehaved(.recordAuthenticationFailed), "\(algorithm) \(name)")
                }
                XCTAssertEqual(output, [0xAA], "\(algorithm) \(name)")
            }
        }
    }

    /// Everything but the AEAD is swift-crypto's: the provider forwards it.
    func testForwardsTheRestToSwiftCrypto() {
        XCTAssertEqual(libcrypto.hmac(.sha256, key: [1, 2], data: [3]), swiftCrypto.hmac(.sha256, key: [1, 2], data: [3]))
        XCTAssertEqual(libcrypto.hkdfExtract(.sha384, salt: [], inputKeyingMaterial: [4]),
                       swiftCrypto.hkdfExtract(.sha384, salt: [], inputKeyingMaterial: [4]))
        for group in [NamedGroup.x25519, .secp256r1, .X25519MLKEM768] {
            XCTAssertEqual(libcrypto.supports(group: group), swiftCrypto.supports(group: group))
        }
    }
}
#endif
