import TLSCrypto
import TLSWire
import XCTest
@testable import TLSKit

/// The record layer with CBC protection installed (issue 17): records carry the negotiated version, TLS 1.0
/// application data goes out split 1/n−1, and what one layer writes the other reads.
final class CBCRecordLayerTests: XCTestCase {
    private static func r(_ start: Int, _ count: Int) -> [UInt8] { (start..<(start + count)).map { UInt8($0) } }

    private static func cbc(_ version: ProtocolVersion, encryptThenMAC: Bool = false) throws -> RecordCipherState {
        .cbc(try CBCRecordProtection(cipher: .aes128, key: r(0, 16), macAlgorithm: .sha1, macKey: r(0x20, 20),
                                     version: version, encryptThenMAC: encryptThenMAC,
                                     initialIV: version == .tls10 ? r(0x40, 16) : []))
    }

    /// Headers (type, version, length) of the records in `bytes`.
    private static func headers(_ bytes: [UInt8]) -> [(ContentType?, UInt16, Int)] {
        var result: [(ContentType?, UInt16, Int)] = []
        var offset = 0
        while offset + 5 <= bytes.count {
            let length = Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4])
            result.append((ContentType(rawValue: bytes[offset]), UInt16(bytes[offset + 1]) << 8 | UInt16(bytes[offset + 2]), length))
            offset += 5 + length
        }
        return result
    }

    private func roundTrip(_ version: ProtocolVersion, encryptThenMAC: Bool, payload: [UInt8]) throws -> (records: [(ContentType?, UInt16, Int)], received: [UInt8]) {
        var sender = RecordLayer()
        sender.random = SeededRandom(seed: 3)
        sender.writeState = try Self.cbc(version, encryptThenMAC: encryptThenMAC)
        var receiver = RecordLayer()
        receiver.readState = try Self.cbc(version, encryptThenMAC: encryptThenMAC)
        var wire: [UInt8] = []
        try sender.write(.handshake, [20, 0, 0, 12] + Self.r(0xC0, 12), to: &wire)
        try sender.write(.applicationData, payload, to: &wire)
        receiver.receive(wire)
        var received: [UInt8] = []
        var types: [ContentType] = []
        while let record = try receiver.nextRecord() {
            XCTAssertTrue(record.wasProtected)
            types.append(record.contentType)
            if record.contentType == .applicationData { received += record.fragment }
        }
        XCTAssertEqual(types.first, .handshake)
        return (Self.headers(wire), received)
    }

    func testTLS10SplitsApplicationData1NMinus1AndSaysTLS10() throws {
        let payload = Array(repeating: UInt8(0x61), count: 100)
        let result = try roundTrip(.tls10, encryptThenMAC: false, payload: payload)
        XCTAssertEqual(result.received, payload)
        // Finished, then the application write as a 1-byte record and a 99-byte record.
        XCTAssertEqual(result.records.count, 3)
        XCTAssertTrue(result.records.allSatisfy { $0.1 == 0x0301 }, "\(result.records)")
        XCTAssertEqual(result.records.map(\.0), [.handshake, .applicationData, .applicationData])
        // 1 byte + 20 MAC + padding = 32; 99 + 20 + padding = 128.
        XCTAssertEqual(result.records[1].2, 32)
        XCTAssertEqual(result.records[2].2, 128)
    }

    func testTLS11DoesNotSplitAndSaysTLS11() throws {
        let payload = Array(repeating: UInt8(0x62), count: 100)
        for etm in [false, true] {
            let result = try roundTrip(.tls11, encryptThenMAC: etm, payload: payload)
            XCTAssertEqual(result.received, payload)
            XCTAssertEqual(result.records.count, 2)
            XCTAssertTrue(result.records.allSatisfy { $0.1 == 0x0302 }, "\(result.records)")
        }
    }

    func testTamperedCBCRecordIsBadRecordMAC() throws {
        var sender = RecordLayer()
        sender.writeState = try Self.cbc(.tls11)
        var receiver = RecordLayer()
        receiver.readState = try Self.cbc(.tls11)
        var wire: [UInt8] = []
        try sender.write(.applicationData, Array("hello".utf8), to: &wire)
        wire[wire.count - 1] ^= 1
        receiver.receive(wire)
        XCTAssertThrowsError(try receiver.nextRecord()) {
            XCTAssertEqual(($0 as? TLSError)?.cause, .peerMisbehaved(.recordAuthenticationFailed))
        }
    }

    func testChangeCipherSpecStaysInTheClearUnderCBC() throws {
        var sender = RecordLayer()
        sender.outgoingLegacyVersion = .tls10
        sender.writeState = try Self.cbc(.tls10)
        var wire: [UInt8] = []
        try sender.write(.changeCipherSpec, [1], to: &wire)
        XCTAssertEqual(wire, [20, 3, 1, 0, 1, 1])
    }

    /// Random bodies of every small length and some large ones, for each IV mode and MAC order: each is refused with
    /// bad_record_mac (or record_overflow past 2^14 + 2048), never anything else and never a trap.
    func testGarbageRecordsOnlyEverFailAsBadRecordMAC() throws {
        var random = SeededRandom(seed: 99)
        for version in [ProtocolVersion.tls10, .tls11] {
            for etm in [false, true] {
                for length in Array(0...200) + [255, 256, 1024, 16_383, 16_384 + 2048, 16_384 + 2049] {
                    var receiver = RecordLayer()
                    receiver.readState = try Self.cbc(version, encryptThenMAC: etm)
                    let body = random.bytes(length)
                    receiver.receive([23, 3, version == .tls10 ? 1 : 2, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)] + body)
                    do {
                        _ = try receiver.nextRecord()
                        XCTFail("garbage of \(length) bytes opened (\(version), etm \(etm))")
                    } catch {
                        let expected: TLSError.Cause = length > 16_384 + 2048 ? .peerMisbehaved(.recordOverflow) : .peerMisbehaved(.recordAuthenticationFailed)
                        XCTAssertEqual(error.cause, expected, "\(length) bytes, \(version), etm \(etm)")
                    }
                }
            }
        }
    }
}
