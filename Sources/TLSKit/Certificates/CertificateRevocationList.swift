import Crypto
import Foundation
import SwiftASN1
import X509

/// An X.509 certificate revocation list (RFC 5280 §5), given to `X509CertificateVerifier.crls` or
/// `tlskit verify --crl`. swift-certificates has no CRL type, so the list is decoded here with swift-asn1 and its
/// signature checked with the issuer's key through swift-certificates' public-key API.
///
/// Decoding fails only for bytes that are not a CertificateList at all. A list that is a CertificateList but one
/// TLSKit must not rely on (no CRL number, a critical CRL number, a delta CRL, an indirect CRL, a critical
/// issuingDistributionPoint or any other critical extension TLSKit does not process) decodes, keeps the reason in `unusableReason`, and fails the validation of any chain whose
/// certificates it covers with the `crl` rule: the configuration asked for revocation checking and cannot have it.
public struct CertificateRevocationList: Sendable, Hashable {
    /// Who signed the list; it covers the certificates this name issued.
    public let issuer: DistinguishedName
    /// When the issuer produced this CRL.
    public let thisUpdate: Date
    /// When the issuer promises the next CRL (nil: the CRL names none). A CRL past it still counts (its entries stay
    /// revoked): TLSKit never fetches a newer one.
    public let nextUpdate: Date?
    /// The cRLNumber extension's value (big-endian, as encoded), if present.
    public let crlNumber: [UInt8]?
    /// Why the list cannot be used, or nil.
    public let unusableReason: String?
    /// The DER the list was decoded from.
    public let derEncoded: [UInt8]

    /// Revoked serial numbers (leading zero bytes removed) with the revocation date.
    let revoked: [[UInt8]: Date]
    let tbsBytes: [UInt8]
    let signatureAlgorithmOID: ASN1ObjectIdentifier
    let signatureBytes: [UInt8]

    /// CRLs larger than this are refused before decoding.
    public static let maximumSize = 16 << 20

    /// A CRL that is not a well-formed DER (or PEM) CertificateList.
    public struct DecodingError: Error, CustomStringConvertible {
        /// What did not decode, for a person.
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Decodes one DER CertificateList.
    public init(derEncoded der: [UInt8]) throws {
        guard der.count <= Self.maximumSize else {
            throw DecodingError("CRL of \(der.count) bytes is larger than \(Self.maximumSize)")
        }
        do {
            try self.init(parsing: der)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw DecodingError("not a DER certificate revocation list: \(error)")
        }
    }

    /// Decodes every "X509 CRL" block of a PEM document, or the whole input as DER when it is not PEM.
    public static func decodeAll(pemOrDER bytes: [UInt8]) throws -> [CertificateRevocationList] {
        guard let text = String(bytes: bytes, encoding: .utf8), text.contains("-----BEGIN") else {
            return [try CertificateRevocationList(derEncoded: bytes)]
        }
        let documents: [PEMDocument]
        do { documents = try PEMDocument.parseMultiple(pemString: text) } catch {
            throw DecodingError("cannot read PEM: \(error)")
        }
        let crls = try documents.filter { $0.discriminator == "X509 CRL" }.map {
            try CertificateRevocationList(derEncoded: $0.derBytes)
        }
        guard !crls.isEmpty else { throw DecodingError("no X509 CRL block in the PEM document") }
        return crls
    }

    private init(parsing der: [UInt8]) throws {
        let root = try DER.parse(der)
        let outer = try Self.children(root, count: 3...3)
        let tbsNode = outer[0]
        var fields = try Self.children(tbsNode, count: 3...7)[...]
        var version = 0
        if fields.first?.identifier == .integer {
            version = try Int(derEncoded: fields.removeFirst())
        }
        guard let signatureField = fields.popFirst(), let issuerField = fields.popFirst(),
              let thisUpdateField = fields.popFirst() else {
            throw DecodingError("TBSCertList is missing fields")
        }
        let innerAlgorithm = try Self.algorithmOID(signatureField)
        let issuer = try DistinguishedName(derEncoded: issuerField)
        let thisUpdate = try Self.date(thisUpdateField)
        var nextUpdate: Date?
        if let next = fields.first, next.identifier == .utcTime || next.identifier == .generalizedTime {
            nextUpdate = try Self.date(next)
            fields.removeFirst()
        }
        var revoked: [[UInt8]: Date] = [:]
        var problems: [String] = []
        if let list = fields.first, list.identifier == .sequence {
            fields.removeFirst()
            for entry in try Self.children(list, count: 0...Int.max) {
                let parts = try Self.children(entry, count: 2...3)
                guard case .primitive(let serial) = parts[0].content, parts[0].identifier == .integer else {
                    throw DecodingError("revoked entry without a serial number")
                }
                revoked[Array(serial.drop(while: { $0 == 0 }))] = try Self.date(parts[1])
                if parts.count == 3 {
                    for ext in try Self.extensions(parts[2]) where ext.critical {
                        // certificateIssuer (indirect CRLs) and anything else critical per entry: not supported.
                        problems.append("a revoked entry carries the critical extension \(ext.oid), which TLSKit does not process")
                    }
                }
            }
        }
        var crlNumber: [UInt8]?
        if let tagged = fields.first {
            guard tagged.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) else {
                throw DecodingError("unexpected field \(tagged.identifier) in TBSCertList")
            }
            fields.removeFirst()
            guard let inner = try Self.children(tagged, count: 1...1).first else { throw DecodingError("empty crlExtensions") }
            for ext in try Self.extensions(inner) {
                switch ext.oid {
                case .crlNumber:
                    // RFC 5280 §5.2.3: present in every CRL and non-critical.
                    let node = try DER.parse(ext.value)
                    guard node.identifier == .integer, case .primitive(let value) = node.content else {
                        throw DecodingError("cRLNumber is not an INTEGER")
                    }
                    crlNumber = Array(value)
                    if ext.critical { problems.append("its cRLNumber extension is critical (RFC 5280 §5.2.3: it MUST NOT be)") }
                case .deltaCRLIndicator:
                    problems.append("it is a delta CRL, which TLSKit does not combine with a base CRL")
                default:
                    if ext.critical {
                        problems.append("it has the critical extension \(ext.oid), which TLSKit does not process")
                    }
                }
            }
        }
        guard fields.isEmpty else { throw DecodingError("trailing fields in TBSCertList") }
        if crlNumber == nil { problems.insert("it has no cRLNumber extension (RFC 5280 §5.2.3: CRL issuers MUST include it)", at: 0) }
        if version != 1 { problems.append("it is not a v2 CRL (RFC 5280 §5.1.2.1)") }

        let outerAlgorithm = try Self.algorithmOID(outer[1])
        if outerAlgorithm != innerAlgorithm {
            problems.append("its signatureAlgorithm differs from the signature field of its TBSCertList (RFC 5280 §5.1.1.2)")
        }
        let signature = try ASN1BitString(derEncoded: outer[2])
        guard signature.paddingBits == 0 else { throw DecodingError("signature BIT STRING has padding bits") }

        self.issuer = issuer
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.crlNumber = crlNumber
        self.unusableReason = problems.first
        self.derEncoded = der
        self.revoked = revoked
        self.tbsBytes = Array(tbsNode.encodedBytes)
        self.signatureAlgorithmOID = outerAlgorithm
        self.signatureBytes = Array(signature.bytes)
    }

    /// When the certificate with `serialNumber` was revoked, if this list says it is.
    public func revocationDate(of serialNumber: Certificate.SerialNumber) -> Date? {
        revoked[Array(serialNumber.bytes.drop(while: { $0 == 0 }))]
    }

    /// The signature algorithms accepted on a CRL: those accepted on certificates below a trust anchor.
    static let signatureAlgorithms: [ASN1ObjectIdentifier: Certificate.SignatureAlgorithm] = [
        [1, 2, 840, 10045, 4, 3, 2]: .ecdsaWithSHA256,
        [1, 2, 840, 10045, 4, 3, 3]: .ecdsaWithSHA384,
        [1, 2, 840, 10045, 4, 3, 4]: .ecdsaWithSHA512,
        [1, 2, 840, 113_549, 1, 1, 11]: .sha256WithRSAEncryption,
        [1, 2, 840, 113_549, 1, 1, 12]: .sha384WithRSAEncryption,
        [1, 2, 840, 113_549, 1, 1, 13]: .sha512WithRSAEncryption,
        [1, 3, 101, 112]: .ed25519,
    ]

    /// Why this list cannot be used to judge certificates issued by `issuer`, or nil when it can (RFC 5280 §6.3.3):
    /// its own problems, an issuer whose keyUsage does not allow cRLSign, a signature that is not the issuer's, or a
    /// thisUpdate in the future.
    func problem(withIssuer issuer: Certificate, now: Date) -> String? {
        if let unusableReason { return unusableReason }
        do {
            if let usage = try issuer.extensions.keyUsage, !usage.cRLSign {
                return "its issuer \(brief(issuer)) has a keyUsage without cRLSign (RFC 5280 §4.2.1.3)"
            }
        } catch {
            return "its issuer \(brief(issuer)) has a malformed keyUsage: \(error)"
        }
        guard let algorithm = Self.signatureAlgorithms[signatureAlgorithmOID] else {
            return "it is signed with \(signatureAlgorithmOID), which is not an accepted signature algorithm"
        }
        guard issuer.publicKey.isValidSignature(signatureBytes, for: tbsBytes, signatureAlgorithm: algorithm) else {
            return "its signature does not verify with the key of \(brief(issuer))"
        }
        if thisUpdate > now { return "its thisUpdate (\(thisUpdate)) is in the future" }
        return nil
    }

    // MARK: DER helpers

    private static func children(_ node: ASN1Node, count: ClosedRange<Int>) throws -> [ASN1Node] {
        guard case .constructed(let nodes) = node.content else {
            throw DecodingError("expected a constructed \(node.identifier)")
        }
        let array = Array(nodes)
        guard count.contains(array.count) else {
            throw DecodingError("\(node.identifier) has \(array.count) fields")
        }
        return array
    }

    private static func algorithmOID(_ node: ASN1Node) throws -> ASN1ObjectIdentifier {
        let parts = try children(node, count: 1...2)
        return try ASN1ObjectIdentifier(derEncoded: parts[0])
    }

    private static func extensions(_ node: ASN1Node) throws -> [Certificate.Extension] {
        try children(node, count: 1...Int.max).map { try Certificate.Extension(derEncoded: $0) }
    }

    /// UTCTime or GeneralizedTime as an instant.
    static func date(_ node: ASN1Node) throws -> Date {
        let (year, month, day, hours, minutes, seconds, fraction): (Int, Int, Int, Int, Int, Int, Double)
        switch node.identifier {
        case .utcTime:
            let time = try UTCTime(derEncoded: node)
            (year, month, day, hours, minutes, seconds, fraction) = (time.year, time.month, time.day, time.hours,
                                                                      time.minutes, time.seconds, 0)
        case .generalizedTime:
            let time = try GeneralizedTime(derEncoded: node)
            (year, month, day, hours, minutes, seconds, fraction) = (time.year, time.month, time.day, time.hours,
                                                                      time.minutes, time.seconds, time.fractionalSeconds)
        default:
            throw DecodingError("expected a time, found \(node.identifier)")
        }
        // Days from 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let secondsSinceEpoch = days * 86_400 + hours * 3_600 + minutes * 60 + seconds
        return Date(timeIntervalSince1970: Double(secondsSinceEpoch) + fraction)
    }

    /// Two CRLs are equal when their DER encodings are.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.derEncoded == rhs.derEncoded }
    /// Hashes the DER encoding (consistent with `==`).
    public func hash(into hasher: inout Hasher) { hasher.combine(derEncoded) }
}

extension ASN1ObjectIdentifier {
    /// id-ce-cRLNumber (RFC 5280 §5.2.3).
    static let crlNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]
    /// id-ce-deltaCRLIndicator (RFC 5280 §5.2.4).
    static let deltaCRLIndicator: ASN1ObjectIdentifier = [2, 5, 29, 27]
}

// MARK: - Revocation policy

/// Checks every certificate below the trust anchor against the configured CRLs its issuer signed (matched by issuer
/// name, then judged by `CertificateRevocationList.problem`). A listed certificate is certificate_revoked; a matching
/// CRL that cannot be used fails the chain with the `crl` rule (the configuration asked for revocation checking and
/// cannot get it). A certificate no configured CRL covers is accepted: revocation status is checked where a CRL is
/// given, not demanded everywhere (as Go and OpenSSL without crl_check_all do for intermediates). An expired CRL
/// (past nextUpdate) still counts: its entries stay revoked, and TLSKit never fetches a newer one.
struct CRLPolicy: VerifierPolicy {
    let crls: [CertificateRevocationList]
    let now: Date
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [] }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let certificates = Array(chain)
        for index in certificates.indices.dropLast() {
            let certificate = certificates[index], issuer = certificates[index + 1]
            let role = index == 0 ? "leaf" : "intermediate"
            for crl in crls where crl.issuer == certificate.issuer {
                if let problem = crl.problem(withIssuer: issuer, now: now) {
                    return VerifierRule.crl.fail("the CRL issued by \"\(crl.issuer)\" cannot be used: \(problem)")
                }
                if let date = crl.revocationDate(of: certificate.serialNumber) {
                    return VerifierRule.revoked.fail(
                        "\(role) \(brief(certificate)) is revoked by the CRL of \"\(crl.issuer)\" (since \(date))")
                }
            }
        }
        return .meetsPolicy
    }
}
