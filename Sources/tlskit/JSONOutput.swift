import Foundation
import TLSKit
import X509

// MARK: - JSON for --json (connect, verify, scan)

/// Writes `value` as pretty-printed JSON (sorted keys) on stdout.
func printJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else {
        printError("tlskit: error: cannot encode the JSON output")
        return
    }
    writeAll(1, Array(data) + [UInt8(ascii: "\n")])
}

/// One certificate as `--json` shows it.
struct CertificateJSON: Encodable {
    var subject: String?
    var issuer: String?
    var notBefore: String?
    var notAfter: String?
    var subjectAltNames: [String]
    var key: String?
    var sha256: String
    var pem: String
    var parseable: Bool

    init(der: [UInt8]) {
        sha256 = fingerprint(der)
        pem = pemCertificate(der)
        guard let certificate = try? Certificate(derEncoded: der) else {
            parseable = false
            subjectAltNames = []
            return
        }
        parseable = true
        subject = "\(certificate.subject)"
        issuer = "\(certificate.issuer)"
        notBefore = isoDate(certificate.notValidBefore)
        notAfter = isoDate(certificate.notValidAfter)
        subjectAltNames = subjectAlternativeNames(certificate)?.components(separatedBy: ", ") ?? []
        key = keyType(certificate.publicKey)
    }
}

/// "2030-01-31T12:00:00Z".
func isoDate(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
}

/// A DER certificate as PEM, 64 base64 characters a line (what `openssl s_client -showcerts` prints).
func pemCertificate(_ der: [UInt8]) -> String {
    let base64 = Data(der).base64EncodedString()
    var lines = ["-----BEGIN CERTIFICATE-----"]
    var index = base64.startIndex
    while index < base64.endIndex {
        let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
        lines.append(String(base64[index..<end]))
        index = end
    }
    lines.append("-----END CERTIFICATE-----")
    return lines.joined(separator: "\n") + "\n"
}

/// `tlskit connect --json`: what was negotiated, the peer's chain and the verification verdict.
struct ConnectSummaryJSON: Encodable {
    struct Connection: Encodable {
        var `protocol`: String
        var cipherSuite: String
        var resumed: Bool
    }

    var target: String
    var serverName: String
    var `protocol`: String
    var cipherSuite: String
    var group: String?
    var helloRetryRequest: Bool
    var signatureScheme: String?
    var clientSignatureScheme: String?
    var alpn: String?
    var resumed: Bool
    var extendedMasterSecret: Bool
    /// TLS 1.1 or 1.0 (only with --legacy), and the CBC protections in force: RFC 7366 encrypt-then-MAC, and TLS 1.0's
    /// 1/n−1 record splitting.
    var legacyVersion: Bool
    var encryptThenMAC: Bool
    var recordSplitting: Bool
    var verified: Bool
    var verification: String
    var peerCertificates: [CertificateJSON]
    /// With --reconnect: every connection in order (the last is the one summarised).
    var connections: [Connection]?

    init(target: String, serverName: String, negotiated: NegotiatedParameters, verified: Bool, verification: String,
         connections: [Connection]?) {
        self.target = target
        self.serverName = serverName
        self.protocol = "\(negotiated.version)"
        cipherSuite = "\(negotiated.cipherSuite)"
        group = negotiated.group.map { "\($0)" }
        helloRetryRequest = negotiated.usedHelloRetryRequest
        signatureScheme = negotiated.serverSignatureScheme.map { "\($0)" }
        clientSignatureScheme = negotiated.clientSignatureScheme.map { "\($0)" }
        alpn = negotiated.applicationProtocol
        resumed = negotiated.resumed
        extendedMasterSecret = negotiated.extendedMasterSecret
        legacyVersion = negotiated.isLegacyVersion
        encryptThenMAC = negotiated.encryptThenMAC
        recordSplitting = negotiated.recordSplitting
        self.verified = verified
        self.verification = verification
        peerCertificates = negotiated.peerCertificates.map(CertificateJSON.init(der:))
        self.connections = connections
    }
}

/// `--json` when the command failed: the one-line error, for scripts that parse stdout.
struct ErrorJSON: Encodable {
    var error: String
}
