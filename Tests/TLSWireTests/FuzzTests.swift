import XCTest
import TLSWire

/// Random and mutated input must only ever decode or throw TLSError; a trap fails the whole run.
final class FuzzTests: XCTestCase {
    static let types: [UInt8] = [1, 2, 4, 5, 8, 11, 13, 15, 20, 24, 0, 3, 254]

    func testRandomBytes() {
        var rng = SplitMix64(seed: 0x7115_4b17)
        var decoded = 0
        for i in 0..<2_000 {
            let length = Int.random(in: 0...(i % 4 == 0 ? 600 : 64), using: &rng)
            let body = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for type in Self.types {
                if (try? HandshakeMessage.decode(type: type, body: body)) != nil { decoded += 1 }
            }
            _ = try? Alert(decoding: Array(body.prefix(2)))
            // Extension blocks in every context, with a plausible length prefix.
            let block = [UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)] + body
            for context in [ExtensionContext.clientHello, .serverHello, .helloRetryRequest, .encryptedExtensions,
                            .certificateRequest, .certificate, .newSessionTicket] {
                var r = ByteReader(block)
                _ = try? Extension.decodeList(&r, context: context)
            }
        }
        // Finished and (some) KeyUpdate/EndOfEarlyData bodies decode; that proves the loop ran.
        XCTAssertGreaterThan(decoded, 0)
    }

    func testMutatedRFC8448Messages() {
        var rng = SplitMix64(seed: 8448)
        let vectors = [RFC8448.clientHello, RFC8448.serverHello, RFC8448.encryptedExtensions, RFC8448.certificate,
                       RFC8448.certificateVerify, RFC8448.newSessionTicket, RFC8448.resumptionClientHello,
                       RFC8448.helloRetryRequest, RFC8448.hrrClientHello2, RFC8448.certificateRequest]
            .map { split(hex($0)) }
        var outcomes = [0, 0]   // [decoded, rejected]
        for round in 0..<2_000 {
            guard let (type, original) = vectors.randomElement(using: &rng), !original.isEmpty else { continue }
            var body = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let index = Int.random(in: 0..<body.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: body[index] = UInt8.random(in: 0...255, using: &rng)
                case 1: body[index] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 2: body.remove(at: index)
                case 3: body.insert(UInt8.random(in: 0...255, using: &rng), at: index)
                default: body[index] = [0x00, 0xff, 0x7f, 0x80].randomElement(using: &rng) ?? 0
                }
                if body.isEmpty { break }
            }
            // Feed it as its own type and as a different one.
            for t in [type, Self.types[round % Self.types.count]] {
                do {
                    let message = try HandshakeMessage.decode(type: t, body: body)
                    outcomes[0] += 1
                    // Whatever decodes must re-encode to something that decodes to the same value.
                    let again = split((try? message.encode()) ?? [])   // (an encoding failure fails in split)
                    XCTAssertEqual(try? HandshakeMessage.decode(type: again.0, body: again.1), message)
                } catch {
                    outcomes[1] += 1
                    XCTAssertFalse(error.reason.isEmpty)
                }
            }
        }
        XCTAssertGreaterThan(outcomes[0], 0)
        XCTAssertGreaterThan(outcomes[1], 0)
    }
}
