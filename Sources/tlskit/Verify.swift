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
            --host or --ip, the server identity. Prints the chain and the verdict on stdout (as JSON with --json). Exit status 0 when valid, 1 when not, 2 when \
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

    @Flag(help: "Print the chain and the verdict as JSON.")
    var json = false

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
            if json { printJSON(ErrorJSON(error: error.message)) }
            printError("tlskit verify: error: \(error.message)")
            throw ExitCode(2)
        }
        let result = await verifier.verify(request)
        if json {
            printJSON(VerifyJSON(result, request: request, checked: whatWasChecked(request)))
            if case .rejected = result { throw ExitCode.failure }
            return
        }
        var lines: [String] = []
        switch result {
        case .trusted(let chain):
            let ders = Self.derEncoded(chain)
            lines.append("Built chain (\(ders.count), leaf to root):")
            lines += Summary.chainLines(ders)
            lines.append("Verdict:      OK (\(whatWasChecked(request)))")
            print(lines.joined(separator: "\n"))
        case .rejected(let error):
            lines.append("Presented chain (\(request.chainDER.count), not verified):")
            lines += Summary.chainLines(request.chainDER)
            let (rule, detail) = Self.split(error)
            lines.append("Verdict:      FAILED (\(whatWasChecked(request)))")
            lines.append("Failed rule:  \(rule ?? "(none)")")
            lines.append("Reason:       \(detail)")
            lines.append("TLS alert:    \(error.alert)")
            if let hint = rule.flatMap(Self.hint) { lines.append("Hint:         \(hint)") }
            print(lines.joined(separator: "\n"))
            throw ExitCode.failure
        }
    }

    static func derEncoded(_ chain: [Certificate]) -> [[UInt8]] {
        chain.compactMap { certificate -> [UInt8]? in
            var serializer = DER.Serializer()
            return (try? serializer.serialize(certificate)).map { serializer.serializedBytes }
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

    /// The verification rule the error's cause names ("server-identity"), and its reason without the rule's name
    /// (which verifier reasons start with). Failures that are not a rule (an unparsable or empty chain, an
    /// unclassified rejection, anything but a certificate failure) have none.
    static func split(_ error: TLSError) -> (rule: String?, detail: String) {
        guard case .invalidCertificate(let failure) = error.cause else { return (nil, error.reason) }
        switch failure {
        case .emptyChain, .malformed, .unclassified: return (nil, error.reason)
        default: break
        }
        let prefix = failure.rawValue + ":"
        let detail = error.reason.hasPrefix(prefix) ? error.reason.dropFirst(prefix.count) : Substring(error.reason)
        return (failure.rawValue, detail.trimmingCharacters(in: .whitespaces))
    }

    static func hint(_ rule: String) -> String? { CertificateHints.hint(rule, for: .verify) }

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

/// `tlskit verify --json`.
struct VerifyJSON: Encodable {
    var verified: Bool
    var checked: String
    /// The built chain (leaf to root) when verified, else the presented one.
    var chain: [CertificateJSON]
    var failedRule: String?
    var reason: String?
    var alert: String?
    var hint: String?

    init(_ result: PeerVerificationResult, request: PeerVerificationRequest, checked: String) {
        self.checked = checked
        switch result {
        case .trusted(let built):
            verified = true
            chain = Verify.derEncoded(built).map(CertificateJSON.init(der:))
        case .rejected(let error):
            verified = false
            chain = request.chainDER.map(CertificateJSON.init(der:))
            let (rule, detail) = Verify.split(error)
            failedRule = rule
            reason = detail
            alert = "\(error.alert)"
            hint = rule.flatMap(Verify.hint)
        }
    }
}
