/// Appends wire structures to a byte buffer. Length prefixes are back-patched, so nested vectors
/// are written in one pass without intermediate arrays.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable public mutating func writeUInt8(_ value: UInt8) { appendRaw(value) }

    @inlinable public mutating func writeUInt16(_ value: UInt16) {
        appendRaw(UInt8(truncatingIfNeeded: value >> 8))
        appendRaw(UInt8(truncatingIfNeeded: value))
    }

    @inlinable public mutating func writeUInt24(_ value: Int) {
        appendRaw(UInt8(truncatingIfNeeded: value >> 16))
        appendRaw(UInt8(truncatingIfNeeded: value >> 8))
        appendRaw(UInt8(truncatingIfNeeded: value))
    }

    @inlinable public mutating func writeUInt32(_ value: UInt32) {
        writeUInt16(UInt16(truncatingIfNeeded: value >> 16))
        writeUInt16(UInt16(truncatingIfNeeded: value))
    }

    public mutating func writeBytes<C: Collection>(_ data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    @usableFromInline mutating func appendRaw(_ byte: UInt8) { bytes.append(byte) }

    /// Writes `body` behind a length prefix of `lengthBytes` (1, 2 or 3) bytes.
    /// Our own structures are bounded by construction; an oversize body is a programming error
    /// in configuration, reported by `checkedLength` to the caller that builds it.
    public mutating func writeVector(lengthBytes: Int, _ body: (inout ByteWriter) -> Void) {
        let start = bytes.count
        for _ in 0..<lengthBytes { bytes.append(0) }
        body(&self)
        let length = bytes.count - start - lengthBytes
        for i in 0..<lengthBytes {
            bytes[start + i] = UInt8(truncatingIfNeeded: length >> (8 * (lengthBytes - 1 - i)))
        }
    }

    public mutating func writeVector8(_ body: (inout ByteWriter) -> Void) { writeVector(lengthBytes: 1, body) }
    public mutating func writeVector16(_ body: (inout ByteWriter) -> Void) { writeVector(lengthBytes: 2, body) }
    public mutating func writeVector24(_ body: (inout ByteWriter) -> Void) { writeVector(lengthBytes: 3, body) }

    public mutating func writeVector8<C: Collection>(bytes data: C) where C.Element == UInt8 {
        writeUInt8(UInt8(truncatingIfNeeded: data.count))
        bytes.append(contentsOf: data)
    }

    public mutating func writeVector16<C: Collection>(bytes data: C) where C.Element == UInt8 {
        writeUInt16(UInt16(truncatingIfNeeded: data.count))
        bytes.append(contentsOf: data)
    }

    public mutating func writeVector24<C: Collection>(bytes data: C) where C.Element == UInt8 {
        writeUInt24(data.count)
        bytes.append(contentsOf: data)
    }
}
