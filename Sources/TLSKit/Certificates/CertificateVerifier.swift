import Foundation
import SwiftASN1
import TLSWire
// The SPI is the non-deprecated way to validate expiry at a caller-chosen time (the request's `now`).
@_spi(FixedExpiryValidationTime) import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a verifier is asked to check: the peer's chain as received (leaf first) and the context.
public struct PeerVerificationRequest: Sendable {
    /// Whose certificate is being verified.
    public enum PeerRole: Sendable, Hashable {
        /// We are the client verifying the server.
        case server
        /// We are the server verifying a client certificate.
        case client
    }

    public var chainDER: [[UInt8]]
    public var role: PeerRole
    /// The name the client connects to: a DNS hostname or an IPv4/IPv6 literal. `nil` skips the identity check.
    public var serverName: String?
    public var now: Date

    public init(chainDER: [[UInt8]], role: PeerRole, serverName: String?, now: Date = Date()) {
        self.chainDER = chainDER
        self.role = role
        self.serverName = serverName
        self.now = now
    }
}

public enum PeerVerificationResult: Sendable {
    /// The chain is trusted; `validatedChain` runs from the leaf to the trust root.
    case trusted(validatedChain: [Certificate])
    /// The chain is rejected; the engine sends `error.alert`.
    case rejected(TLSError)
}

/// Decides whether the peer's certificate chain is acceptable.
public protocol CertificateVerifier: Sendable {
    func verify(_ request: PeerVerificationRequest) async -> PeerVerificationResult
}

/// Standard WebPKI-style verification on swift-certificates: RFC 5280 path validation to `trustRoots`,
/// the server's identity (DNS name or IP address in the SAN), and the leaf's extended key usage.
public struct X509CertificateVerifier: CertificateVerifier {
    public var trustRoots: TrustRoots

    public init(trustRoots: TrustRoots) {
        self.trustRoots = trustRoots
    }

    public func verify(_ request: PeerVerificationRequest) async -> PeerVerificationResult {
        guard !request.chainDER.isEmpty else {
            return .rejected(TLSError(.badCertificate, "peer sent an empty certificate chain"))
        }
        var chain: [Certificate] = []
        for (index, der) in request.chainDER.enumerated() {
            do { chain.append(try Certificate(derEncoded: der)) } catch {
                return .rejected(TLSError(.badCertificate, "cannot parse peer certificate \(index): \(oneLine(error))"))
            }
        }
        let leaf = chain[0]

        let identity = request.role == .server ? request.serverName.map(ServerIdentity.init) : nil
        let usage: ExtendedKeyUsage.Usage = request.role == .server ? .serverAuth : .clientAuth
        var verifier = Verifier(rootCertificates: CertificateStore(trustRoots.certificates)) {
            RFC5280Policy(fixedExpiryValidationTime: request.now)
            ExtendedKeyUsagePolicy(required: usage)
            if let identity {
                ServerIdentityPolicy(serverHostname: identity.hostname, serverIP: identity.ip)
            }
        }
        let diagnostics = DiagnosticLog()
        let result = await verifier.validate(
            leaf: leaf,
            intermediates: CertificateStore(chain.dropFirst()),
            diagnosticCallback: { diagnostics.messages.append($0.description) }
        )
        switch result {
        case .validCertificate(let validated):
            return .trusted(validatedChain: Array(validated))
        case .couldNotValidate(let failures):
            return .rejected(
                Self.classify(failures, leaf: leaf, identity: identity, now: request.now, diagnostics: diagnostics.messages))
        }
    }

    /// Maps swift-certificates' failure to the alert RFC 8446 §6.2 suggests, with a reason naming what failed.
    static func classify(
        _ failures: [CertificateValidationResult.PolicyFailure],
        leaf: Certificate,
        identity: ServerIdentity?,
        now: Date,
        diagnostics: [String]
    ) -> TLSError {
        guard let first = failures.first else {
            // No candidate chain reached a root, so no policy ran. The verifier also stops here when the leaf
            // carries a critical extension no policy understands.
            if diagnostics.contains(where: { $0.contains("critical extensions that the policy does not understand") }) {
                return TLSError(
                    .unsupportedCertificate, "certificate for \(leaf.subject) has an unsupported critical extension")
            }
            return TLSError(
                .unknownCA, "no chain to a trusted root for \(leaf.subject) (issued by \(leaf.issuer))")
        }
        let fullDetail = first.policyFailureReason.description
        let detail = truncated(fullDetail)
        if fullDetail.hasPrefix(ExtendedKeyUsagePolicy.marker) {
            return TLSError(.unsupportedCertificate, detail)
        }
        // RFC5280Policy's expiry reasons embed the whole certificate; name the offending one briefly instead.
        if let expired = first.chain.first(where: { now > $0.notValidAfter }) {
            return TLSError(
                .certificateExpired,
                "certificate \(expired.subject) has expired (notValidAfter \(expired.notValidAfter), now \(now))")
        }
        if let early = first.chain.first(where: { now < $0.notValidBefore }) {
            return TLSError(
                .certificateExpired,
                "certificate \(early.subject) is not yet valid (notValidBefore \(early.notValidBefore), now \(now))")
        }
        if let identity, detail.contains("SAN") || detail.contains("ommon name") {
            return TLSError(.badCertificate, "certificate is not valid for \(identity.name): \(detail)")
        }
        return TLSError(.badCertificate, "certificate chain rejected: \(detail)")
    }

    /// Policy reasons embed whole certificate descriptions; keep alert reasons readable.
    static func truncated(_ text: String, limit: Int = 400) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count <= limit ? line : String(line.prefix(limit)) + "…"
    }
}

/// The expected server name, split the way `ServerIdentityPolicy` wants it: an IP literal is matched against
/// IP-address SANs only, anything else against DNS-name SANs.
struct ServerIdentity: Sendable {
    var name: String
    var hostname: String?
    var ip: String?

    init(_ name: String) {
        self.name = name
        // Bracketed IPv6 ("[::1]") is how URLs spell it; the SAN holds the bare address.
        let bare = name.hasPrefix("[") && name.hasSuffix("]") ? String(name.dropFirst().dropLast()) : name
        if Self.isIPLiteral(bare) {
            self.ip = bare
        } else {
            self.hostname = name
        }
    }

    static func isIPLiteral(_ text: String) -> Bool { ipAddressBytes(text) != nil }
}

/// Requires the leaf to allow `required` (or anyExtendedKeyUsage) when it has an EKU extension at all;
/// a leaf without the extension is unrestricted (RFC 5280 §4.2.1.12).
struct ExtendedKeyUsagePolicy: VerifierPolicy {
    static let marker = "extended key usage:"
    let required: ExtendedKeyUsage.Usage

    // Claiming EKU lets a leaf mark it critical without being rejected as "unhandled".
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [.X509ExtensionID.extendedKeyUsage] }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let usages: ExtendedKeyUsage?
        do { usages = try chain.leaf.extensions.extendedKeyUsage } catch {
            return .failsToMeetPolicy(reason: "\(Self.marker) malformed extension: \(error)")
        }
        guard let usages else { return .meetsPolicy }
        if usages.contains(required) || usages.contains(.any) { return .meetsPolicy }
        let name = required == .serverAuth ? "serverAuth" : "clientAuth"
        let present = usages.map { String(describing: $0) }.joined(separator: ", ")
        return .failsToMeetPolicy(
            reason: "\(Self.marker) leaf certificate does not allow \(name) (it allows: \(present))")
    }
}

/// Collects verifier diagnostics. Only touched from the one task running `validate`.
private final class DiagnosticLog {
    var messages: [String] = []
}

/// Accepts every certificate without any check. Anyone on the network path can impersonate the peer;
/// use only in tests or against a peer authenticated by other means.
public struct InsecureNoVerification: CertificateVerifier {
    public init() {}

    public func verify(_ request: PeerVerificationRequest) async -> PeerVerificationResult {
        // Still parse, so callers get certificate objects (and garbage is not silently "trusted").
        var chain: [Certificate] = []
        for der in request.chainDER {
            guard let certificate = try? Certificate(derEncoded: der) else {
                return .rejected(TLSError(.badCertificate, "cannot parse peer certificate"))
            }
            chain.append(certificate)
        }
        return .trusted(validatedChain: chain)
    }
}

/// Verification by a user closure, e.g. certificate pinning or verifying against a private policy.
public struct CustomCertificateVerifier: CertificateVerifier {
    public let body: @Sendable (PeerVerificationRequest) async -> PeerVerificationResult

    public init(_ body: @escaping @Sendable (PeerVerificationRequest) async -> PeerVerificationResult) {
        self.body = body
    }

    public func verify(_ request: PeerVerificationRequest) async -> PeerVerificationResult {
        await body(request)
    }
}
