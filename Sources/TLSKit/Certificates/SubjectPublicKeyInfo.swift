import SwiftASN1

/// The DER SubjectPublicKeyInfo of a certificate, read straight from its TBSCertificate (RFC 5280 §4.1), so the
/// handshake can check a CertificateVerify signature before (and independently of) path validation.
func subjectPublicKeyInfo(ofCertificate der: [UInt8]) throws(TLSError) -> [UInt8] {
    let failure = TLSError(.invalidCertificate(.malformed), "the peer's certificate is not valid DER")
    do {
        let root = try DER.parse(der)
        guard case .constructed(let certificateFields) = root.content,
              let tbs = certificateFields.first(where: { _ in true }),
              case .constructed(let tbsFields) = tbs.content else { throw failure }
        var fields = Array(tbsFields)
        // version is the optional explicit [0] field.
        if let first = fields.first, first.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            fields.removeFirst()
        }
        // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo.
        guard fields.count >= 6 else { throw failure }
        return Array(fields[5].encodedBytes)
    } catch {
        throw failure
    }
}
