import Crypto
import Foundation
import NIOCore
import NIOPosix
import SwiftASN1
import TLSKit
import TLSKitNIO
import X509

#if canImport(Glibc)
import Glibc
#endif

/// An error whose description is already the one line the user should see.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - One-line error messages

enum ErrorText {
    /// A TLS alert, saying who sent it: "we sent bad_certificate: <reason>" / "peer sent handshake_failure: …".
    static func alert(_ error: TLSError) -> String {
        let who = error.origin == .local ? "we sent" : "peer sent"
        // A received alert carries no reason of its own beyond its name.
        if case .alertReceived = error.cause { return "\(who) \(error.alert) alert" }
        return "\(who) \(error.alert): \(error.reason)"
    }

    /// Any error as one line, without type names or stack traces.
    static func describe(_ error: any Error) -> String {
        let text: String
        switch error {
        case let error as CLIError: text = error.description
        case let error as TLSError: text = alert(error)
        case let error as CertificateLoadingError: text = error.message
        case let error as TLSConfigurationError: text = "configuration: \(error.description)"
        case let error as TLSKitNIOError:
            switch error {
            case .uncleanShutdown: text = "connection closed without close_notify (unclean shutdown: data may be truncated)"
            case .handshakeTimeout: text = "handshake timed out"
            case .configuration(let message): text = "configuration: \(message)"
            }
        case let error as IOError: text = systemError(error.errnoCode)
        case let error as SocketAddressError.UnknownHost: text = error.errorDescription
        case let error as NIOConnectionError:
            if let dns = error.dnsAError ?? error.dnsAAAAError {
                text = "cannot resolve \(error.host): \(describe(dns))"
            } else if let first = error.connectionErrors.first {
                text = describe(first.error)
            } else {
                text = "no address found for \(error.host)"
            }
        case let error as ChannelError:
            switch error {
            case .connectTimeout: text = "connection timed out"
            case .ioOnClosedChannel, .alreadyClosed, .outputClosed: text = "connection closed"
            default: text = "\(error)"
            }
        default: text = "\(error)"
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// "Connection refused", "Address already in use", … from an errno value.
    static func systemError(_ code: CInt) -> String {
        String(cString: strerror(code))
    }
}

// MARK: - Names and fingerprints

/// SHA-256 over DER, as `AB:CD:…` (the form `openssl x509 -fingerprint -sha256` prints).
func fingerprint(_ der: [UInt8]) -> String {
    SHA256.hash(data: der).map { String(format: "%02X", $0) }.joined(separator: ":")
}

/// "ECDSA P-256", "RSA 2048", "Ed25519".
func keyType(_ key: Certificate.PublicKey) -> String {
    let name = key.description
    switch name {
    case "P256.PublicKey": return "ECDSA P-256"
    case "P384.PublicKey": return "ECDSA P-384"
    case "P521.PublicKey": return "ECDSA P-521"
    case "Ed25519.PublicKey": return "Ed25519"
    default:
        if name.hasPrefix("RSA"), let bits = Int(name.dropFirst(3).prefix(while: \.isNumber)) { return "RSA \(bits)" }
        return name
    }
}

/// Subject alternative names as "DNS:localhost, IP:127.0.0.1"; nil when the extension is absent.
func subjectAlternativeNames(_ certificate: Certificate) -> String? {
    guard let names = try? certificate.extensions.subjectAlternativeNames else { return nil }
    return names.map { name -> String in
        switch name {
        case .dnsName(let dns): return "DNS:\(dns)"
        case .ipAddress(let octets): return "IP:\(ipAddressText(Array(octets.bytes)))"
        case .rfc822Name(let mail): return "email:\(mail)"
        case .uniformResourceIdentifier(let uri): return "URI:\(uri)"
        default: return "\(name)"
        }
    }.joined(separator: ", ")
}

/// The text form of a 4- or 16-byte address.
func ipAddressText(_ bytes: [UInt8]) -> String {
    let family: CInt
    switch bytes.count {
    case 4: family = AF_INET
    case 16: family = AF_INET6
    default: return bytes.map { String(format: "%02x", $0) }.joined()
    }
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
    guard ok else { return bytes.map { String(format: "%02x", $0) }.joined() }
    return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func utcDate(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
    return formatter.string(from: date)
}

/// The subject of the first DER certificate, for log lines ("-" when there is none or it does not parse).
func leafSubject(_ chain: [[UInt8]]) -> String? {
    guard let der = chain.first else { return nil }
    guard let certificate = try? Certificate(derEncoded: der) else { return "(unparseable certificate)" }
    return "\(certificate.subject)"
}

// MARK: - Connection summary

enum Summary {
    /// The lines `connect` prints once the handshake is done.
    static func lines(_ negotiated: NegotiatedParameters, verdict: String) -> [String] {
        var lines = [
            "Protocol:          \(negotiated.version)"
                + (negotiated.isLegacyVersion ? " (LEGACY: deprecated by RFC 8996, insecure)" : ""),
            "Cipher suite:      \(negotiated.cipherSuite)",
            "Key exchange:      \(negotiated.group.map { "\($0)" } ?? (isStaticRSA(negotiated) ? "RSA (static: no forward secrecy)" : "(none: PSK only)"))"
                + (negotiated.usedHelloRetryRequest ? " (after HelloRetryRequest)" : ""),
            "Signature scheme:  \(negotiated.serverSignatureScheme.map { "\($0)" } ?? "(none)")",
            "ALPN:              \(negotiated.applicationProtocol ?? "(none)")",
            "Server name:       \(negotiated.serverName ?? "(none)")",
            "Session:           \(negotiated.resumed ? "resumed (PSK from a session ticket)" : "new (full handshake)")",
        ]
        if negotiated.version <= .tls12 {
            lines.append("Master secret:     " + (negotiated.extendedMasterSecret
                ? "extended (RFC 7627)"
                : "legacy: no extended master secret (RFC 7627); not resumable, no keying material export"))
        }
        if let protections = legacyProtections(negotiated) { lines.append("Legacy protections: \(protections)") }
        if let clientScheme = negotiated.clientSignatureScheme {
            lines.append("Client auth:       signed with \(clientScheme)")
        }
        lines.append("Peer certificate chain (\(negotiated.peerCertificates.count)):")
        lines += chainLines(negotiated.peerCertificates)
        lines.append("Verification:      \(negotiated.resumed ? "resumed session (the certificate was verified when it was established)" : verdict)")
        return lines
    }

    /// Static RSA key exchange (TLS_RSA_*): what a legacy client may negotiate with an old RSA server.
    static func isStaticRSA(_ negotiated: NegotiatedParameters) -> Bool {
        negotiated.cipherSuite.description.hasPrefix("TLS_RSA_")
    }

    /// For a legacy version or a CBC suite: "encrypt-then-MAC yes, 1/n-1 splitting yes, extended master secret yes".
    static func legacyProtections(_ negotiated: NegotiatedParameters) -> String? {
        let cbc = negotiated.cipherSuite.description.contains("_CBC_")
        guard negotiated.isLegacyVersion || cbc else { return nil }
        func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }
        var parts = ["encrypt-then-MAC \(cbc ? yesNo(negotiated.encryptThenMAC) : "n/a (AEAD)")"]
        if negotiated.version == .tls10 { parts.append("1/n-1 splitting \(yesNo(negotiated.recordSplitting))") }
        parts.append("extended master secret \(yesNo(negotiated.extendedMasterSecret))")
        return parts.joined(separator: ", ")
    }

    static func chainLines(_ chain: [[UInt8]]) -> [String] {
        var lines: [String] = []
        for (index, der) in chain.enumerated() {
            guard let certificate = try? Certificate(derEncoded: der) else {
                lines.append("  \(index) (\(der.count) bytes, not parseable)")
                continue
            }
            lines.append("  \(index) subject:  \(certificate.subject)")
            lines.append("    issuer:   \(certificate.issuer)")
            lines.append("    validity: \(utcDate(certificate.notValidBefore)) to \(utcDate(certificate.notValidAfter))")
            if let sans = subjectAlternativeNames(certificate) { lines.append("    SANs:     \(sans)") }
            lines.append("    key:      \(keyType(certificate.publicKey))")
            lines.append("    SHA-256:  \(fingerprint(der))")
        }
        return lines
    }
}
