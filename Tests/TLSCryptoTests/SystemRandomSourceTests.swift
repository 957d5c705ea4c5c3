import TLSCrypto
import XCTest

/// `SystemRandomSource` fills each request with one call into the runtime's CSPRNG.
final class SystemRandomSourceTests: XCTestCase {
    func testGivesExactlyTheBytesAskedFor() {
        var random = SystemRandomSource()
        for count in [0, 1, 7, 8, 9, 32, 33, 300, 4096] {
            XCTAssertEqual(random.bytes(count).count, count)
        }
    }

    /// Two 32-byte draws are equal, or one is all zeros, with probability 2^-256: a stuck or unfilled buffer.
    func testDrawsDifferAndAreFilled() {
        var random = SystemRandomSource()
        let first = random.bytes(32)
        let second = random.bytes(32)
        XCTAssertNotEqual(first, second)
        XCTAssertNotEqual(first, [UInt8](repeating: 0, count: 32))
        // Every byte position takes more than one value over many draws (a buffer left partly unfilled would not).
        let draws = (0..<64).map { _ in random.bytes(300) }
        for position in [0, 7, 8, 150, 299] {
            XCTAssertGreaterThan(Set(draws.map { $0[position] }).count, 1, "byte \(position)")
        }
    }
}
