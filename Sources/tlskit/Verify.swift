import ArgumentParser
import Foundation
import SwiftASN1
import TLSKit
import X509

#if canImport(Glibc)
import Glibc
#endif

/// `tlskit verify`: validates a certificate offline exactly as a TLSKit client (or server) would, and says which
/// rule failed and what to do about it.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a certificate chain offline and name the rule that fails (like openssl verify).",
        discussion: """
            Builds a path from the certificate through the --untrusted intermediates (and any further certificates \
            in the certificate's own file) to a trusted root, then applies TLSKit's checks: validity, basic \
            constraints and key usage, signature algorithms (no SHA-1 or MD5 below the root), the WebPKI \
            certificate profile, name constraints, extended key usage, revocation by any --crl given and, with \
            --host or --ip, the server identity. Prints the chain and the verdict on stdout. Exit status 0 when valid, 1 when not, 2 when \
            the input is unusable (unreadable files, bad options).
            """
    )

    @Argument(help: ArgumentHelp(
        "The certificate to verify (PEM or DER). Further certificates in a PEM file are used as untrusted intermediates.",
        valueName: "leaf.pem"))
    var certificate: String

    @Option(help: ArgumentHelp("Trust these root certificates (PEM) instead of the system's.", valueName: "file"))
    var cafile: String?

    @Option(help: ArgumentHelp("Intermediate certificates (PEM) to build the path with; they are not trusted.",
                               valueName: "file"))
    var untrusted: String?

    @Option(help: ArgumentHelp("DNS name the certificate must be valid for.", valueName: "name"))
    var host: String?

    @Option(help: ArgumentHelp("IP address the certificate must be valid for.", valueName: "address"))
    var ip: String?

    @Option(help: ArgumentHelp("server or client: the extended key usage the certificate must allow.",
                               valueName: "purpose"))
    var purpose = "server"

    @Option(help: ArgumentHelp(
        "Verify at this time instead of now: 2030-01-31T12:00:00Z, 2030-01-31, or @UNIX-SECONDS.", valueName: "time"))
    var at: String?

    @Option(help: ArgumentHelp(
        "A certificate revocation list (PEM or DER) to check the chain against; repeat for several.", valueName: "file"))
    var crl: [String] = []

    @Option(name: .customLong("max-depth"), help: ArgumentHelp(
        "Most intermediates allowed between the certificate and the root (default 6).", valueName: "n"))
    var maxDepth: Int?

    /// Unusable input: the message on stderr, exit status 2 (distinct from "verified and rejected").
    struct UnusableInput: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    func run() async throws {
        let request: PeerVerificationRequest
        let verifier: X509CertificateVerifier
        do {
            (request, verifier) = try prepare()
        } catch {
            printError("tlskit verify: error: \(error.message)")
            throw ExitCode(2)
        }
        let result = await verifier.verify(request)
        var lines: [String] = []
        switch result {
        case .trusted(let chain):
            let ders = chain.compactMap { certificate -> [UInt8]? in
                var serializer = DER.Serializer()
                return (try? serializer.serialize(certificate)).map { serializer.serializedBytes }
            }
            lines.append("Built chain (\(ders.count), leaf to root):")
            lines += Summary.chainLines(ders)
            lines.append("Verdict:      OK (\(whatWasChecked(request)))")
            print(lines.joined(separator: "\n"))
        case .rejected(let error):
            lines.append("Presented chain (\(request.chainDER.count), not verified):")
            lines += Summary.chainLines(request.chainDER)
            let (rule, detail) = Self.split(error.reason)
            lines.append("Verdict:      FAILED (\(whatWasChecked(request)))")
            lines.append("Failed rule:  \(rule ?? "(none)")")
            lines.append("Reason:       \(detail)")
            lines.append("TLS alert:    \(error.alert)")
            if let hint = rule.flatMap(Self.hint) { lines.append("Hint:         \(hint)") }
            print(lines.joined(separator: "\n"))
            throw ExitCode.failure
        }
    }

    /// Reads the files and options into a request and a verifier, or explains what is unusable.
    func prepare() throws(UnusableInput) -> (PeerVerificationRequest, X509CertificateVerifier) {
        if host != nil && ip != nil { throw UnusableInput("--host and --ip exclude each other") }
        let role: PeerVerificationRequest.PeerRole
        switch purpose.lowercased() {
        case "server": role = .server
        case "client": role = .client
        default: throw UnusableInput("--purpose: unknown purpose '\(purpose)' (use server or client)")
        }
        if role == .client && (host != nil || ip != nil) {
            throw UnusableInput("--host and --ip name a server; a client certificate has no identity to match")
        }
        if let ip, !Self.isIPAddress(ip) { throw UnusableInput("--ip: '\(ip)' is not an IPv4 or IPv6 address") }
        if let host, host.isEmpty || Self.isIPAddress(host) {
            throw UnusableInput("--host: '\(host)' is not a DNS name (use --ip for addresses)")
        }
        var limits = VerificationLimits.default
        if let maxDepth {
            guard maxDepth >= 0 else { throw UnusableInput("--max-depth must be 0 or more") }
            limits.maxIntermediates = maxDepth
            // Leave room in the presented chain for that many intermediates (plus a root some servers send).
            // (Saturating: any Int is accepted as a depth.)
            let (room, overflow) = maxDepth.addingReportingOverflow(2)
            limits.maxPeerChainLength = max(limits.maxPeerChainLength, overflow ? .max : room)
        }
        var now = Date()
        if let at { now = try Self.parseTime(at) }

        var chain = try Self.loadChain(certificate)
        if let untrusted { chain += try Self.loadChain(untrusted) }
        let roots = try Self.loadRoots(cafile)
        var crls: [CertificateRevocationList] = []
        for path in crl { crls += try Self.loadCRLs(path) }
        let request = PeerVerificationRequest(chainDER: chain, role: role, serverName: host ?? ip, now: now)
        return (request, X509CertificateVerifier(trustRoots: roots, limits: limits, crls: crls))
    }

    /// Every CRL in `path` (PEM with "X509 CRL" blocks, or one DER CRL).
    static func loadCRLs(_ path: String) throws(UnusableInput) -> [CertificateRevocationList] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UnusableInput("--crl: cannot read \(path)")
        }
        do { return try CertificateRevocationList.decodeAll(pemOrDER: Array(data)) } catch {
            throw UnusableInput("--crl: \(path): \(error)")
        }
    }

    static func loadChain(_ path: String) throws(UnusableInput) -> [[UInt8]] {
        do { return try CertificateChain(pemFile: path).derEncoded } catch { throw UnusableInput(error.message) }
    }

    /// The roots in `path`, or the system's.
    static func loadRoots(_ path: String?) throws(UnusableInput) -> TrustRoots {
        do {
            guard let path else { return try TrustRoots.system() }
            return try TrustRoots(pemFile: path)
        } catch {
            throw UnusableInput(error.message)
        }
    }

    func whatWasChecked(_ request: PeerVerificationRequest) -> String {
        let name = request.serverName.map { " as \($0)" } ?? " (no --host/--ip: identity not checked)"
        let usage = request.role == .server ? "server" : "client"
        return "\(usage) certificate\(request.role == .server ? name : ""), at \(utcDate(request.now))"
    }

    /// Reasons start with the rule's name ("server-identity: …"); other reasons have no rule.
    static func split(_ reason: String) -> (rule: String?, detail: String) {
        guard let colon = reason.firstIndex(of: ":") else { return (nil, reason) }
        let rule = reason[..<colon]
        guard !rule.isEmpty, rule.allSatisfy({ $0.isLetter || $0 == "-" }) else { return (nil, reason) }
        return (String(rule), reason[reason.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }

    static func hint(_ rule: String) -> String? {
        switch rule {
        case "server-identity":
            return "the certificate's subjectAltName does not list this name; check --host/--ip, or reissue the "
                + "certificate with the name as a DNS (or IP) subjectAltName (the subject CN is never used)"
        case "validity": return "renew the certificate, or check the clock (--at verifies at another time)"
        case "unknown-ca":
            return "pass the issuing root with --cafile and any missing intermediates with --untrusted"
        case "extended-key-usage":
            return "the leaf needs a non-critical extendedKeyUsage listing serverAuth (or clientAuth for --purpose "
                + "client), not only anyExtendedKeyUsage; an intermediate with an EKU list must include it or "
                + "anyExtendedKeyUsage"
        case "basic-constraints":
            return "a CA certificate (cA=TRUE or keyCertSign) cannot be the end entity; issuers must be CAs with "
                + "keyCertSign and a critical basicConstraints, and respect pathLenConstraint"
        case "name-constraints":
            return "an issuing CA is not allowed to certify one of the certificate's names, or its nameConstraints are "
                + "malformed (not critical, empty, a dNSName with a leading period, or in an end entity)"
        case "weak-signature":
            return "a certificate below the root is signed with SHA-1 or MD5, which TLSKit (like browsers, Go and "
                + "rustls) refuses; have the CA reissue it signed with SHA-256 or stronger (only a root's own "
                + "self-signature may use SHA-1)"
        case "common-name":
            return "the subject CN names a host or address the subjectAltName does not list; reissue with the CN "
                + "copied from a subjectAltName (or no CN)"
        case "subject-alt-name":
            return "the subjectAltName is malformed for the WebPKI: critical only when the subject is empty, no "
                + "underscores in DNS names, no wildcard directly under a public suffix (*.com, *.co.uk)"
        case "subject": return "a CA certificate needs a non-empty subject; reissue the CA certificate"
        case "policy-constraints": return "policyConstraints must be critical; reissue the CA certificate"
        case "key-identifiers":
            return "every certificate below the root needs an authorityKeyIdentifier holding only the issuer's key "
                + "identifier, and every CA a subjectKeyIdentifier; reissue with them (openssl: "
                + "subjectKeyIdentifier=hash, authorityKeyIdentifier=keyid)"
        case "serial-number": return "serial numbers must be positive and at most 20 octets; reissue the certificate"
        case "public-key": return "RSA moduli must be a multiple of 8 bits (e.g. 2048, 3072 or 4096); issue a new key"
        case "authority-info-access": return "the authorityInfoAccess extension does not decode; reissue the certificate"
        case "revoked": return "the certificate has been revoked by its issuer; obtain a new certificate"
        case "crl":
            return "a --crl file for an issuer in the chain cannot be used (it needs a non-critical CRL number, an "
                + "issuer with cRLSign and a valid signature); fetch a current CRL from the CA"
        case "budget": return "the chain is too long or tangled; --max-depth raises the intermediate limit"
        case "critical-extensions": return "the certificate has a critical extension TLSKit does not process"
        default: return nil
        }
    }

    static func isIPAddress(_ text: String) -> Bool {
        let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, bare, &v4) == 1 || inet_pton(AF_INET6, bare, &v6) == 1
    }

    static func parseTime(_ text: String) throws(UnusableInput) -> Date {
        if text.hasPrefix("@"), let seconds = Double(text.dropFirst()), seconds.isFinite { return Date(timeIntervalSince1970: seconds) }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = full.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: text) { return date }
        throw UnusableInput("--at: cannot read '\(text)' (use 2030-01-31T12:00:00Z, 2030-01-31 or @UNIX-SECONDS)")
    }
}
