/// A bounds-checked cursor over received bytes. Every read either returns a value or throws
/// `TLSError(.decodeError)`; nothing here can trap on peer input.
package struct ByteReader: Sendable {
    @usableFromInline let bytes: [UInt8]
    @usableFromInline var position: Int
    @usableFromInline let end: Int

    package init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.position = 0
        self.end = bytes.count
    }

    package init(_ bytes: ArraySlice<UInt8>) {
        self.init(Array(bytes))
    }

    @usableFromInline init(bytes: [UInt8], position: Int, end: Int) {
        self.bytes = bytes
        self.position = position
        self.end = end
    }

    package var remaining: Int { end - position }
    package var isEmpty: Bool { position >= end }

    @inlinable
    package mutating func readUInt8() throws(TLSError) -> UInt8 {
        guard position < end else { throw .decode("truncated: expected 1 byte") }
        defer { position += 1 }
        return bytes[position]
    }

    @inlinable
    package mutating func readUInt16() throws(TLSError) -> UInt16 {
        guard end - position >= 2 else { throw .decode("truncated: expected 2 bytes") }
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    @inlinable
    package mutating func readUInt24() throws(TLSError) -> Int {
        guard end - position >= 3 else { throw .decode("truncated: expected 3 bytes") }
        defer { position += 3 }
        return Int(bytes[position]) << 16 | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2])
    }

    @inlinable
    package mutating func readUInt32() throws(TLSError) -> UInt32 {
        guard end - position >= 4 else { throw .decode("truncated: expected 4 bytes") }
        defer { position += 4 }
        return UInt32(bytes[position]) << 24 | UInt32(bytes[position + 1]) << 16
            | UInt32(bytes[position + 2]) << 8 | UInt32(bytes[position + 3])
    }

    /// Reads exactly `count` bytes.
    @inlinable
    package mutating func readBytes(_ count: Int) throws(TLSError) -> [UInt8] {
        guard count >= 0, end - position >= count else { throw .decode("truncated: expected \(count) bytes") }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    /// Splits off the next `count` bytes as their own reader (no copy).
    @inlinable
    package mutating func readSubReader(_ count: Int) throws(TLSError) -> ByteReader {
        guard count >= 0, end - position >= count else { throw .decode("truncated: vector longer than its container") }
        defer { position += count }
        return ByteReader(bytes: bytes, position: position, end: position + count)
    }

    /// `opaque x<floor..2^8-1>` as bytes.
    package mutating func readVector8(minimum: Int = 0) throws(TLSError) -> [UInt8] {
        let length = Int(try readUInt8())
        guard length >= minimum else { throw .decode("vector shorter than \(minimum) bytes") }
        return try readBytes(length)
    }

    /// `opaque x<floor..2^16-1>` as bytes.
    package mutating func readVector16(minimum: Int = 0) throws(TLSError) -> [UInt8] {
        let length = Int(try readUInt16())
        guard length >= minimum else { throw .decode("vector shorter than \(minimum) bytes") }
        return try readBytes(length)
    }

    /// `opaque x<floor..2^24-1>` as bytes.
    package mutating func readVector24(minimum: Int = 0) throws(TLSError) -> [UInt8] {
        let length = try readUInt24()
        guard length >= minimum else { throw .decode("vector shorter than \(minimum) bytes") }
        return try readBytes(length)
    }

    /// A length-prefixed (8-bit length) vector of structures, as a reader over its body.
    package mutating func readVector8Reader(minimum: Int = 0) throws(TLSError) -> ByteReader {
        let length = Int(try readUInt8())
        guard length >= minimum else { throw .decode("vector shorter than \(minimum) bytes") }
        return try readSubReader(length)
    }

    package mutating func readVector16Reader(minimum: Int = 0) throws(TLSError) -> ByteReader {
        let length = Int(try readUInt16())
        guard length >= minimum else { throw .decode("vector shorter than \(minimum) bytes") }
        return try readSubReader(length)
    }

    package mutating func readVector24Reader(minimum: Int = 0) throws(TLSError) -> ByteReader {
        let length = try readUInt24()
        guard length >= minimum else { throw .decode("vector shorter than \(minimum) bytes") }
        return try readSubReader(length)
    }

    /// Everything that is left.
    package mutating func readRest() -> [UInt8] {
        defer { position = end }
        return Array(bytes[position..<end])
    }

    /// Structures must consume their container exactly: trailing bytes are a decode_error.
    package func expectEmpty(_ what: @autoclosure () -> String = "structure") throws(TLSError) {
        guard position == end else { throw .decode("\(what()): \(end - position) trailing bytes") }
    }
}
