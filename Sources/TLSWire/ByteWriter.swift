/// Appends wire structures to a byte buffer. Length prefixes are back-patched, so nested vectors
/// are written in one pass without intermediate arrays.
///
/// A length that does not fit its prefix (a vector8 of 256 bytes, a uint24 of 2^24, …) is never silently truncated
/// into a malformed message: the writer records the first such overflow in `overflow` and keeps going (so nested
/// encoders need no error plumbing), and whoever finishes a message takes its bytes through `checkedBytes()`, which
/// throws instead. `bytes` of an overflowed writer must not be sent.
package struct ByteWriter: Sendable {
    package private(set) var bytes: [UInt8]
    /// What did not fit, the first time something did not (nil: everything fit).
    package private(set) var overflow: String?

    package init(reservingCapacity capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(max(0, capacity))
    }

    /// The bytes written, or internal_error if a length did not fit its prefix: an encoding we must never send.
    package func checkedBytes() throws(TLSError) -> [UInt8] {
        if let overflow { throw TLSError(.internal, "cannot encode the message: \(overflow)") }
        return bytes
    }

    @inlinable package mutating func writeUInt8(_ value: UInt8) { appendRaw(value) }

    @inlinable package mutating func writeUInt16(_ value: UInt16) {
        appendRaw(UInt8(truncatingIfNeeded: value >> 8))
        appendRaw(UInt8(truncatingIfNeeded: value))
    }

    /// A uint24; a value outside 0…2^24-1 is recorded as an overflow.
    package mutating func writeUInt24(_ value: Int) {
        if !(0...Self.maxLength(lengthBytes: 3)).contains(value) { recordOverflow("\(value) does not fit a uint24") }
        appendRaw(UInt8(truncatingIfNeeded: value >> 16))
        appendRaw(UInt8(truncatingIfNeeded: value >> 8))
        appendRaw(UInt8(truncatingIfNeeded: value))
    }

    @inlinable package mutating func writeUInt32(_ value: UInt32) {
        writeUInt16(UInt16(truncatingIfNeeded: value >> 16))
        writeUInt16(UInt16(truncatingIfNeeded: value))
    }

    package mutating func writeBytes<C: Collection>(_ data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    @usableFromInline mutating func appendRaw(_ byte: UInt8) { bytes.append(byte) }

    /// Largest length a prefix of `lengthBytes` bytes holds.
    static func maxLength(lengthBytes: Int) -> Int { (1 << (8 * lengthBytes)) - 1 }

    private mutating func recordOverflow(_ what: @autoclosure () -> String) {
        if overflow == nil { overflow = what() }
    }

    private mutating func checkLength(_ length: Int, lengthBytes: Int) {
        if length > Self.maxLength(lengthBytes: lengthBytes) {
            recordOverflow("a vector of \(length) bytes exceeds its \(lengthBytes)-byte length prefix (at most \(Self.maxLength(lengthBytes: lengthBytes)))")
        }
    }

    /// Writes `body` behind a length prefix of `lengthBytes` (1, 2 or 3) bytes. A body too long for the prefix, or
    /// another prefix size, is recorded as an overflow.
    package mutating func writeVector(lengthBytes: Int, _ body: (inout ByteWriter) -> Void) {
        guard (1...3).contains(lengthBytes) else {
            recordOverflow("a length prefix of \(lengthBytes) bytes (1, 2 or 3)")
            return
        }
        let start = bytes.count
        for _ in 0..<lengthBytes { bytes.append(0) }
        body(&self)
        let length = bytes.count - start - lengthBytes
        checkLength(length, lengthBytes: lengthBytes)
        for i in 0..<lengthBytes {
            bytes[start + i] = UInt8(truncatingIfNeeded: length >> (8 * (lengthBytes - 1 - i)))
        }
    }

    package mutating func writeVector8(_ body: (inout ByteWriter) -> Void) { writeVector(lengthBytes: 1, body) }
    package mutating func writeVector16(_ body: (inout ByteWriter) -> Void) { writeVector(lengthBytes: 2, body) }
    package mutating func writeVector24(_ body: (inout ByteWriter) -> Void) { writeVector(lengthBytes: 3, body) }

    package mutating func writeVector8<C: Collection>(bytes data: C) where C.Element == UInt8 {
        checkLength(data.count, lengthBytes: 1)
        writeUInt8(UInt8(truncatingIfNeeded: data.count))
        bytes.append(contentsOf: data)
    }

    package mutating func writeVector16<C: Collection>(bytes data: C) where C.Element == UInt8 {
        checkLength(data.count, lengthBytes: 2)
        writeUInt16(UInt16(truncatingIfNeeded: data.count))
        bytes.append(contentsOf: data)
    }

    package mutating func writeVector24<C: Collection>(bytes data: C) where C.Element == UInt8 {
        writeUInt24(data.count)
        bytes.append(contentsOf: data)
    }
}
