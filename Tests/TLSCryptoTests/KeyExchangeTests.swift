import TLSCrypto
import TLSWire
import XCTest

final class KeyExchangeTests: XCTestCase {
    let provider = SwiftCryptoProvider()
    let groups: [NamedGroup] = [.x25519, .secp256r1, .secp384r1, .secp521r1, .X25519MLKEM768]

    func testSupportedGroups() {
        for group in groups { XCTAssertTrue(provider.supports(group: group), "\(group)") }
        for group in [NamedGroup.x448, .ffdhe2048, NamedGroup(rawValue: 0x0A0A)] {
            XCTAssertFalse(provider.supports(group: group), "\(group)")
        }
    }

    func testUnsupportedGroupIsIllegalParameter() {
        var random: any RandomSource = SeededRandomSource(seed: 3)
        assertThrowsAlert(.illegalParameter) { () throws(TLSError) in try provider.generateKeyShare(.x448, random: &random) }
        assertThrowsAlert(.illegalParameter) { () throws(TLSError) in
            try provider.respondToKeyShare(.ffdhe2048, peerShare: [UInt8](repeating: 1, count: 256), random: &random)
        }
    }

    func testClientServerAgreementForEveryGroup() throws {
        let expectedShareLengths: [NamedGroup: (client: Int, server: Int, secret: Int)] = [
            .x25519: (32, 32, 32), .secp256r1: (65, 65, 32), .secp384r1: (97, 97, 48), .secp521r1: (133, 133, 66),
            .X25519MLKEM768: (1216, 1120, 64),
        ]
        for group in groups {
            var clientRandom: any RandomSource = SeededRandomSource(seed: 10)
            var serverRandom: any RandomSource = SeededRandomSource(seed: 20)
            let client = try provider.generateKeyShare(group, random: &clientRandom)
            XCTAssertEqual(client.group, group)
            let (serverShare, serverSecret) = try provider.respondToKeyShare(
                group, peerShare: client.publicShare, random: &serverRandom)
            let clientSecret = try client.sharedSecret(serverShare: serverShare)
            XCTAssertEqual(clientSecret, serverSecret, "\(group)")
            let lengths = try XCTUnwrap(expectedShareLengths[group])
            XCTAssertEqual(client.publicShare.count, lengths.client, "\(group)")
            XCTAssertEqual(serverShare.count, lengths.server, "\(group)")
            XCTAssertEqual(clientSecret.count, lengths.secret, "\(group)")
        }
    }

    /// Key shares come from the injected random source, so the same seed gives the same share.
    func testKeySharesAreDeterministicForASeed() throws {
        for group in groups {
            var first: any RandomSource = SeededRandomSource(seed: 42)
            var second: any RandomSource = SeededRandomSource(seed: 42)
            var third: any RandomSource = SeededRandomSource(seed: 43)
            let a = try provider.generateKeyShare(group, random: &first).publicShare
            let b = try provider.generateKeyShare(group, random: &second).publicShare
            let c = try provider.generateKeyShare(group, random: &third).publicShare
            XCTAssertEqual(a, b, "\(group)")
            XCTAssertNotEqual(a, c, "\(group)")
        }
    }

    /// RFC 8448 §3: client X25519 private key + server public key -> handshake-secret IKM.
    func testX25519RFC8448Vector() throws {
        var random: any RandomSource = ScriptedRandomSource(queue: [RFC8448.x25519ClientPrivate])
        let client = try provider.generateKeyShare(.x25519, random: &random)
        XCTAssertEqual(client.publicShare, RFC8448.x25519ClientPublic)
        XCTAssertEqual(try client.sharedSecret(serverShare: RFC8448.x25519ServerPublic), RFC8448.x25519SharedSecret)
    }

    /// RFC 8448 §5: the P-256 handshake, from both sides.
    func testP256RFC8448Vector() throws {
        var random: any RandomSource = ScriptedRandomSource(queue: [RFC8448.p256ClientPrivate])
        let client = try provider.generateKeyShare(.secp256r1, random: &random)
        XCTAssertEqual(client.publicShare, RFC8448.p256ClientPublic)
        XCTAssertEqual(try client.sharedSecret(serverShare: RFC8448.p256ServerPublic), RFC8448.p256SharedSecret)

        var serverRandom: any RandomSource = ScriptedRandomSource(queue: [RFC8448.p256ServerPrivate])
        let (serverShare, secret) = try provider.respondToKeyShare(
            .secp256r1, peerShare: RFC8448.p256ClientPublic, random: &serverRandom)
        XCTAssertEqual(serverShare, RFC8448.p256ServerPublic)
        XCTAssertEqual(secret, RFC8448.p256SharedSecret)
    }

    /// A P-256 scalar of zero (or ≥ n) is rejected by swift-crypto; the provider draws again.
    func testInvalidScalarIsRedrawn() throws {
        var random: any RandomSource = ScriptedRandomSource(
            queue: [[UInt8](repeating: 0, count: 32), [UInt8](repeating: 0xFF, count: 32), RFC8448.p256ClientPrivate])
        let client = try provider.generateKeyShare(.secp256r1, random: &random)
        XCTAssertEqual(client.publicShare, RFC8448.p256ClientPublic)
    }

    func testAllZeroAndSmallOrderX25519SharesRejected() throws {
        var random: any RandomSource = SeededRandomSource(seed: 5)
        let client = try provider.generateKeyShare(.x25519, random: &random)
        let zero = [UInt8](repeating: 0, count: 32)
        var one = zero
        one[0] = 1  // the point u = 1 has order dividing 8: the result is all zeros too
        for share in [zero, one] {
            assertThrowsAlert(.illegalParameter) { () throws(TLSError) in try client.sharedSecret(serverShare: share) }
            assertThrowsAlert(.illegalParameter) { () throws(TLSError) in
                try provider.respondToKeyShare(.x25519, peerShare: share, random: &random)
            }
        }
    }

    func testWrongLengthsRejected() throws {
        var random: any RandomSource = SeededRandomSource(seed: 6)
        let cases: [(NamedGroup, [Int])] = [
            (.x25519, [0, 31, 33, 65]),
            (.secp256r1, [0, 1, 33, 64, 66, 97]),
            (.secp384r1, [0, 1, 49, 65, 96, 98]),
            (.X25519MLKEM768, [0, 32, 1088, 1184, 1119, 1121, 1215, 1217]),
        ]
        for (group, lengths) in cases {
            let client = try provider.generateKeyShare(group, random: &random)
            for length in lengths {
                var share = random.bytes(length)
                if !share.isEmpty { share[0] = 0x04 }
                assertThrowsAlert(.illegalParameter) { () throws(TLSError) in try client.sharedSecret(serverShare: share) }
                assertThrowsAlert(.illegalParameter) { () throws(TLSError) in
                    try provider.respondToKeyShare(group, peerShare: share, random: &random)
                }
            }
        }
    }

    func testInvalidNISTPointsRejected() throws {
        var random: any RandomSource = SeededRandomSource(seed: 7)
        let client = try provider.generateKeyShare(.secp256r1, random: &random)
        let valid = RFC8448.p256ServerPublic

        var offCurve = valid
        offCurve[64] ^= 0x01  // flip a bit of Y
        var compressed = [UInt8](repeating: 0, count: 65)  // right length, compressed-point prefix
        compressed[0] = 0x02
        compressed.replaceSubrange(1..<33, with: valid[1..<33])
        var hybrid = valid
        hybrid[0] = 0x06
        var xTooLarge = valid  // X = 2^256 - 1 is not a field element
        xTooLarge.replaceSubrange(1..<33, with: [UInt8](repeating: 0xFF, count: 32))
        let infinity = [UInt8](repeating: 0, count: 65)
        let compressedShort = [0x02] + Array(valid[1..<33])

        for share in [offCurve, compressed, hybrid, xTooLarge, infinity, compressedShort, [0x00]] {
            assertThrowsAlert(.illegalParameter) { () throws(TLSError) in try client.sharedSecret(serverShare: share) }
            assertThrowsAlert(.illegalParameter) { () throws(TLSError) in
                try provider.respondToKeyShare(.secp256r1, peerShare: share, random: &random)
            }
        }

        let p384 = try provider.generateKeyShare(.secp384r1, random: &random)
        var p384OffCurve = p384.publicShare
        p384OffCurve[96] ^= 0x01
        assertThrowsAlert(.illegalParameter) { () throws(TLSError) in try p384.sharedSecret(serverShare: p384OffCurve) }
    }

    func testHybridRejectsBadX25519PartAndBadEncapsulationKey() throws {
        var random: any RandomSource = SeededRandomSource(seed: 8)
        let client = try provider.generateKeyShare(.X25519MLKEM768, random: &random)
        let (serverShare, _) = try provider.respondToKeyShare(
            .X25519MLKEM768, peerShare: client.publicShare, random: &random)

        // All-zero X25519 half of the server share.
        let zeroedX25519 = Array(serverShare.prefix(1088)) + [UInt8](repeating: 0, count: 32)
        assertThrowsAlert(.illegalParameter) { () throws(TLSError) in try client.sharedSecret(serverShare: zeroedX25519) }

        // An encapsulation key whose coefficients are not reduced mod q fails the FIPS 203 §7.2 check.
        let badKey = [UInt8](repeating: 0xFF, count: 1184) + Array(client.publicShare.suffix(32))
        assertThrowsAlert(.illegalParameter) { () throws(TLSError) in
            try provider.respondToKeyShare(.X25519MLKEM768, peerShare: badKey, random: &random)
        }
    }

    /// Layout per draft-ietf-tls-ecdhe-mlkem: ML-KEM first, X25519 last, in shares and in the secret.
    func testHybridLayoutPutsMLKEMFirst() throws {
        var seeded = SeededRandomSource(seed: 9)
        var random: any RandomSource = ScriptedRandomSource(queue: [seeded.bytes(64), RFC8448.x25519ClientPrivate])
        let client = try provider.generateKeyShare(.X25519MLKEM768, random: &random)
        XCTAssertEqual(Array(client.publicShare.suffix(32)), RFC8448.x25519ClientPublic)

        // Server whose X25519 key is the RFC 8448 server key: the secret's tail is the RFC 8448 X25519 secret.
        let serverPrivate = hex("b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e")
        var serverRandom: any RandomSource = ScriptedRandomSource(queue: [serverPrivate])
        let (serverShare, secret) = try provider.respondToKeyShare(
            .X25519MLKEM768, peerShare: client.publicShare, random: &serverRandom)
        XCTAssertEqual(Array(serverShare.suffix(32)), RFC8448.x25519ServerPublic)
        XCTAssertEqual(Array(secret.suffix(32)), RFC8448.x25519SharedSecret)
        XCTAssertEqual(try client.sharedSecret(serverShare: serverShare), secret)
    }
}
