import TLSWire
import XCTest

/// ByteWriter records a length that does not fit its prefix (`overflow`) and `checkedBytes()` refuses the result.
final class ByteWriterTests: XCTestCase {
    func assertFits(_ write: (inout ByteWriter) -> Void, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        var writer = ByteWriter()
        write(&writer)
        XCTAssertNil(writer.overflow, what, file: file, line: line)
        XCTAssertNoThrow(try writer.checkedBytes(), what, file: file, line: line)
    }

    func assertOverflows(_ write: (inout ByteWriter) -> Void, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        var writer = ByteWriter()
        write(&writer)
        XCTAssertNotNil(writer.overflow, what, file: file, line: line)
        XCTAssertThrowsError(try writer.checkedBytes(), what, file: file, line: line) { error in
            XCTAssertEqual((error as? TLSError)?.alert, .internalError, what, file: file, line: line)
        }
    }

    func testEachVectorWidthAtAndBeyondItsMaximum() {
        for (lengthBytes, maximum) in [(1, 0xFF), (2, 0xFFFF), (3, 0xFF_FFFF)] {
            let fits = [UInt8](repeating: 1, count: maximum)
            let tooLong = [UInt8](repeating: 1, count: maximum + 1)
            switch lengthBytes {
            case 1:
                assertFits({ $0.writeVector8(bytes: fits) }, "vector8 of \(maximum)")
                assertOverflows({ $0.writeVector8(bytes: tooLong) }, "vector8 of \(maximum + 1)")
            case 2:
                assertFits({ $0.writeVector16(bytes: fits) }, "vector16 of \(maximum)")
                assertOverflows({ $0.writeVector16(bytes: tooLong) }, "vector16 of \(maximum + 1)")
            default:
                assertFits({ $0.writeVector24(bytes: fits) }, "vector24 of \(maximum)")
                assertOverflows({ $0.writeVector24(bytes: tooLong) }, "vector24 of \(maximum + 1)")
            }
            // The back-patched form, with the body written by a closure.
            assertFits({ $0.writeVector(lengthBytes: lengthBytes) { $0.writeBytes(fits) } }, "closure vector \(lengthBytes) of \(maximum)")
            assertOverflows({ $0.writeVector(lengthBytes: lengthBytes) { $0.writeBytes(tooLong) } },
                            "closure vector \(lengthBytes) of \(maximum + 1)")
        }
    }

    func testTheExactMaximumIsEncodedExactly() throws {
        var writer = ByteWriter()
        writer.writeVector16 { $0.writeBytes([UInt8](repeating: 9, count: 0xFFFF)) }
        let bytes = try writer.checkedBytes()
        XCTAssertEqual(Array(bytes.prefix(2)), [0xFF, 0xFF])
        XCTAssertEqual(bytes.count, 2 + 0xFFFF)
    }

    func testUInt24OutOfRange() {
        assertFits({ $0.writeUInt24(0xFF_FFFF) }, "2^24-1")
        assertFits({ $0.writeUInt24(0) }, "0")
        assertOverflows({ $0.writeUInt24(1 << 24) }, "2^24")
        assertOverflows({ $0.writeUInt24(-1) }, "-1")
    }

    /// A prefix size other than 1, 2 or 3 is refused, not trapped on (`0..<lengthBytes` with a negative count).
    func testInvalidPrefixSizes() {
        for lengthBytes in [-1, 0, 4, Int.min, Int.max] {
            assertOverflows({ $0.writeVector(lengthBytes: lengthBytes) { $0.writeUInt8(1) } }, "prefix of \(lengthBytes) bytes")
        }
    }

    /// An overflow deep inside nested vectors reaches the top, and the first one is the one reported.
    func testNestedOverflowIsReportedOnce() {
        var writer = ByteWriter()
        writer.writeVector24 { outer in
            outer.writeVector16 { inner in inner.writeVector8(bytes: [UInt8](repeating: 0, count: 300)) }
            outer.writeVector8(bytes: [UInt8](repeating: 0, count: 400))
        }
        XCTAssertEqual(writer.overflow?.contains("300 bytes"), true, writer.overflow ?? "nil")
        XCTAssertThrowsError(try writer.checkedBytes())
    }
}
