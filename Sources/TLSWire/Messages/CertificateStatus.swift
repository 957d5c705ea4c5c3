// OCSP stapling bodies (RFC 6066 §8, RFC 8446 §4.4.2.1). The status_request extension stays opaque in `Extension`;
// these helpers build and read its two shapes.

package enum CertificateStatusCodec {
    /// status_type ocsp(1).
    package static let ocsp: UInt8 = 1

    /// The ClientHello body: CertificateStatusRequest { status_type = ocsp, OCSPStatusRequest { empty
    /// responder_id_list, empty request_extensions } }.
    package static let ocspRequestBody: [UInt8] = [ocsp, 0, 0, 0, 0]

    /// CertificateStatus { status_type = ocsp, opaque OCSPResponse<1..2^24-1> }; internal_error if the response is
    /// too long.
    package static func encode(ocspResponse der: [UInt8]) throws(TLSError) -> [UInt8] {
        var w = ByteWriter(reservingCapacity: der.count + 4)
        encode(ocspResponse: der, into: &w)
        return try w.checkedBytes()
    }

    /// The same into a writer (an overflow is recorded there).
    package static func encode(ocspResponse der: [UInt8], into w: inout ByteWriter) {
        w.writeUInt8(ocsp)
        w.writeVector24(bytes: der)
    }

    /// Reads a CertificateStatus and returns the DER OCSPResponse; anything malformed (another status_type, an
    /// empty response, trailing bytes) is decode_error.
    package static func decodeOCSPResponse(_ body: [UInt8]) throws(TLSError) -> [UInt8] {
        var r = ByteReader(body)
        let type = try r.readUInt8()
        guard type == ocsp else { throw .decode("CertificateStatus: status_type \(type) is not ocsp(1)") }
        let response = try r.readVector24(minimum: 1)
        try r.expectEmpty("CertificateStatus")
        return response
    }
}
