import TLSCrypto
import TLSWire
import XCTest

/// Bytes from a hex string; spaces and colons are ignored so RFC dumps can be pasted as they are.
func hex(_ string: String) -> [UInt8] {
    let digits = string.filter { $0.isHexDigit }
    var out = [UInt8]()
    out.reserveCapacity(digits.count / 2)
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        out.append(UInt8(digits[index..<next], radix: 16) ?? 0)
        index = next
    }
    return out
}

/// A reproducible RandomSource (SplitMix64); not cryptographic, only for tests.
struct SeededRandomSource: RandomSource {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            for shift in stride(from: 0, to: 64, by: 8) where out.count < count {
                out.append(UInt8(truncatingIfNeeded: z >> UInt64(shift)))
            }
        }
        return out
    }
}

/// Hands out scripted byte strings in order (e.g. an RFC 8448 private key), then zeros.
struct ScriptedRandomSource: RandomSource {
    var queue: [[UInt8]]

    mutating func bytes(_ count: Int) -> [UInt8] {
        guard !queue.isEmpty else { return [UInt8](repeating: 0, count: count) }
        let next = queue.removeFirst()
        precondition(next.count == count, "scripted random: asked for \(count) bytes, have \(next.count)")
        return next
    }
}

/// Asserts that `body` throws a TLSError carrying `alert`.
func assertThrowsAlert<T>(
    _ alert: AlertDescription,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () throws(TLSError) -> T
) {
    do {
        _ = try body()
        XCTFail("expected \(alert), nothing was thrown", file: file, line: line)
    } catch {
        XCTAssertEqual(error.alert, alert, "unexpected error: \(error)", file: file, line: line)
    }
}
