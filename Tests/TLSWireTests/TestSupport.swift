import XCTest
import TLSWire

/// Parses hex as printed in the RFCs: pairs of hex digits, any whitespace ignored.
func hex(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [UInt8] {
    var out: [UInt8] = []
    var high: UInt8?
    for c in text.utf8 {
        let nibble: UInt8
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = c - UInt8(ascii: "A") + 10
        case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"): continue
        default:
            XCTFail("not a hex digit: \(c)", file: file, line: line)
            continue
        }
        if let h = high {
            out.append(h << 4 | nibble)
            high = nil
        } else {
            high = nibble
        }
    }
    XCTAssertNil(high, "odd number of hex digits", file: file, line: line)
    return out
}

/// Splits a complete handshake message into (type, body), checking the uint24 length.
func split(_ message: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> (UInt8, [UInt8]) {
    guard message.count >= 4 else {
        XCTFail("message shorter than its header", file: file, line: line)
        return (0, [])
    }
    let length = Int(message[1]) << 16 | Int(message[2]) << 8 | Int(message[3])
    XCTAssertEqual(length, message.count - 4, "header length", file: file, line: line)
    return (message[0], Array(message[4...]))
}

/// Asserts that `body` throws a TLSError carrying `alert`.
func assertAlert<T>(_ alert: AlertDescription, _ message: @autoclosure () -> String = "",
                    file: StaticString = #filePath, line: UInt = #line,
                    _ body: () throws(TLSError) -> T) {
    do {
        let value = try body()
        XCTFail("expected \(alert), decoded \(value) \(message())", file: file, line: line)
    } catch {
        XCTAssertEqual(error.alert, alert, "\(error) \(message())", file: file, line: line)
    }
}

/// Decodes a complete message via `HandshakeMessage.decode(type:body:)` and checks that
/// re-encoding reproduces the input byte for byte.
func decodeRoundTrip(_ message: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> HandshakeMessage? {
    let (type, body) = split(message, file: file, line: line)
    do {
        let decoded = try HandshakeMessage.decode(type: type, body: body)
        XCTAssertEqual(try decoded.encode(), message, "re-encoding differs", file: file, line: line)
        return decoded
    } catch {
        XCTFail("decode failed: \(error)", file: file, line: line)
        return nil
    }
}

/// Encodes `extensions` as one block and decodes it back in `context`.
func extensionRoundTrip(_ extensions: [Extension], context: ExtensionContext,
                        file: StaticString = #filePath, line: UInt = #line) {
    var w = ByteWriter()
    Extension.encodeList(extensions, into: &w)
    var r = ByteReader(w.bytes)
    do {
        let decoded = try Extension.decodeList(&r, context: context)
        XCTAssertTrue(r.isEmpty, file: file, line: line)
        XCTAssertEqual(decoded, extensions, "context \(context)", file: file, line: line)
        var again = ByteWriter()
        Extension.encodeList(decoded, into: &again)
        XCTAssertEqual(again.bytes, w.bytes, file: file, line: line)
    } catch {
        XCTFail("decode in \(context) failed: \(error) for \(extensions)", file: file, line: line)
    }
}

/// Decodes one extension block given as raw bytes (with its 2-byte length).
func decodeExtensions(_ bytes: [UInt8], _ context: ExtensionContext) throws(TLSError) -> [Extension] {
    var r = ByteReader(bytes)
    let list = try Extension.decodeList(&r, context: context)
    try r.expectEmpty("test block")
    return list
}

/// A block holding one extension with the given type and raw body.
func block(_ type: UInt16, _ body: [UInt8]) -> [UInt8] {
    var w = ByteWriter()
    Extension.encodeList([.unknown(ExtensionType(rawValue: type), body)], into: &w)
    return w.bytes
}

/// SplitMix64: a tiny deterministic generator, so fuzz runs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
