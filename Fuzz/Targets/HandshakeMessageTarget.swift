import TLSWire

/// Target (a): every handshake message decoder. The first byte picks the type (low 4 bits) and the version (top
/// bit: TLS 1.2; with bit 6 too, TLS 1.0 and its legacy message forms), the rest is the body. Whatever decodes and
/// re-encodes must re-decode to an equal value, and re-encoding that must give the same bytes (canonical encodings).
/// Returns a finding, or nil.
public enum HandshakeMessageTarget {
    static let types: [UInt8] = [0, 1, 2, 4, 5, 8, 11, 12, 13, 14, 15, 16, 20, 22, 24, 254]

    public static func run(_ data: [UInt8]) -> String? {
        guard let first = data.first else { return nil }
        let type = types[Int(first & 0x0f) % types.count]
        let version: ProtocolVersion = first & 0x80 == 0 ? .tls13 : first & 0x40 == 0 ? .tls12 : .tls10
        let body = Array(data.dropFirst())
        let message: HandshakeMessage
        do {
            message = try HandshakeMessage.decode(type: type, body: body, version: version)
        } catch {
            return error.reason.isEmpty ? "type \(type): error without a reason" : nil
        }
        // An encoding may legitimately be refused (an over-long field); then there is nothing to compare.
        guard let encoded = try? message.encode() else { return nil }
        let again: HandshakeMessage
        do {
            again = try HandshakeMessage.decode(encoded, version: version)
        } catch {
            return "type \(type) \(version): re-encoding does not decode: \(error)"
        }
        guard again == message else { return "type \(type) \(version): re-decoded value differs" }
        guard let encodedAgain = try? again.encode(), encodedAgain == encoded else {
            return "type \(type) \(version): encoding is not stable"
        }
        return nil
    }
}
