import Foundation
import SwiftASN1
import TLSWire
import X509

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
    /// The name the client connects to: a DNS hostname (matched against dNSName SANs) or an IPv4/IPv6 literal
    /// (matched against iPAddress SANs only). `nil` skips the identity check: a `TLSConnection` asks for that only
    /// with `TLSClientConfiguration.insecureSkipServerIdentityCheck`, and for client certificates (which have none).
    public var serverName: String?
    /// The validation time: every certificate must satisfy notBefore ≤ now ≤ notAfter. Injectable for tests and
    /// offline checks (`tlskit verify --at`).
    public var now: Date
    /// The DER OCSPResponse the server stapled for its leaf (RFC 6066 §8, RFC 8446 §4.4.2.1), if any.
    public var stapledOCSPResponse: [UInt8]?

    public init(chainDER: [[UInt8]], role: PeerRole, serverName: String?, now: Date = Date(),
                stapledOCSPResponse: [UInt8]? = nil) {
        self.chainDER = chainDER
        self.role = role
        self.serverName = serverName
        self.now = now
        self.stapledOCSPResponse = stapledOCSPResponse
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

    /// Names the policy this verifier applies. A session (TLS 1.3 ticket, TLS 1.2 session) keeps the peer identity
    /// it was created with, and is resumed only by a connection whose verifier reports the same identifier as the
    /// one that accepted that identity. The default is the type's name: override it when instances of one type
    /// apply different policies (other roots, other pins). `X509CertificateVerifier` names its roots by content.
    var policyIdentifier: String { get }
}

/// WebPKI-style verification: swift-certificates builds candidate paths to `trustRoots`; TLSKit's own policies
/// (VerifierPolicies.swift, ProfilePolicies.swift, NamePolicies.swift) judge them as browsers and rustls-webpki do —
/// validity, basic constraints and key usage, signature algorithms (no SHA-1 or MD5 below the trust anchor), the
/// certificate profile (serial numbers, key sizes, key identifiers, subjectAltName encoding), name constraints,
/// extended key usage, the server's identity and the consistency of its subject CN — within `limits`.
/// Configured CRLs (`crls`, CertificateRevocationList.swift) are checked after those rules, and a stapled OCSP
/// response, when the peer sent one, last (StapledOCSPPolicy.swift, `ocspFailureMode`).
public struct X509CertificateVerifier: CertificateVerifier {
    public var trustRoots: TrustRoots
    /// Work caps per validation; hostile chains fail fast with cause `.invalidCertificate(.budget)`.
    public var limits: VerificationLimits
    /// What to do with a stapled OCSP response that cannot be used; see `OCSPStaplingFailureMode`. A response that
    /// says the leaf is revoked is certificate_revoked either way.
    public var ocspFailureMode: OCSPStaplingFailureMode
    /// Certificate revocation lists to check the path against (see `CRLPolicy`): a certificate one of them lists is
    /// rejected with certificate_revoked; a list covering a certificate of the path that cannot be used (no CRL
    /// number, a critical one, an issuer without cRLSign, a bad signature…) rejects the chain (`crl` rule).
    public var crls: [CertificateRevocationList]

    public init(trustRoots: TrustRoots, limits: VerificationLimits = .default, ocspFailureMode: OCSPStaplingFailureMode = .soft,
                crls: [CertificateRevocationList] = []) {
        self.trustRoots = trustRoots
        self.limits = limits
        self.ocspFailureMode = ocspFailureMode
        self.crls = crls
    }

    public func verify(_ request: PeerVerificationRequest) async -> PeerVerificationResult {
        guard !request.chainDER.isEmpty else {
            return .rejected(TLSError(.invalidCertificate(.emptyChain), "peer sent an empty certificate chain"))
        }
        // Checked before parsing: a hostile peer should not make us decode hundreds of certificates.
        guard request.chainDER.count <= limits.maxPeerChainLength else {
            return .rejected(VerifierRule.budget.error(
                "peer sent \(request.chainDER.count) certificates, more than \(limits.maxPeerChainLength) (maxPeerChainLength)"))
        }
        var chain: [Certificate] = []
        for (index, der) in request.chainDER.enumerated() {
            do { chain.append(try Certificate(derEncoded: der)) } catch {
                return .rejected(TLSError(.invalidCertificate(.malformed), "cannot parse peer certificate \(index): \(oneLine(error))"))
            }
        }
        let leaf = chain[0]

        let identity = request.role == .server ? request.serverName.map(ServerIdentity.init) : nil
        let usage: ExtendedKeyUsage.Usage = request.role == .server ? .serverAuth : .clientAuth
        let budget = ValidationBudget(limits: limits)
        // Both stores charge the budget for every issuer they offer the path builder.
        let roots = BudgetedCertificateStore(trustRoots.index, budget: budget, countsPaths: true)
        let intermediates = BudgetedCertificateStore(Array(chain.dropFirst()), budget: budget, countsPaths: false)
        var verifier = Verifier(rootCertificates: CertificateStore(custom: roots)) {
            BudgetPolicy(budget: budget)
            VersionPolicy()
            ValidityPolicy(now: request.now)
            BasicConstraintsPolicy()
            WeakSignaturePolicy()
            CertificateProfilePolicy(checksTrustAnchor: !trustRoots.isSystemStore)
            NameConstraintsPolicy(budget: budget)
            ExtendedKeyUsagePolicy(required: usage)
            if let identity {
                ServerNamePolicy(identity: identity)
            }
            // After the identity check, so that a certificate for the wrong name is reported as such.
            if request.role == .server {
                CommonNamePolicy()
            }
            if !crls.isEmpty {
                CRLPolicy(crls: crls, now: request.now)
            }
            // Last, so that a broken chain is reported as such rather than as an OCSP problem.
            if let stapled = request.stapledOCSPResponse {
                StapledOCSPPolicy(response: stapled, mode: ocspFailureMode, now: request.now)
            }
        }
        let log = VerificationRuleLog()
        let result = await VerificationRuleLog.$current.withValue(log) {
            await verifier.validate(leaf: leaf, intermediates: CertificateStore(custom: intermediates))
        }
        switch result {
        case .validCertificate(let validated):
            return .trusted(validatedChain: Array(validated))
        case .couldNotValidate(let failures):
            let handled = Set(verifier.policy.verifyingCriticalExtensions)
            return .rejected(Self.classify(failures, leaf: leaf, budget: budget, log: log,
                                           unhandledCritical: Self.unhandledCriticalExtension(
                                               in: chain, roots: trustRoots.index, handled: handled)))
        }
    }

    /// The first certificate of the peer's chain (or a root that could issue one of them) carrying a critical
    /// extension no policy processes. swift-certificates skips such certificates while building paths.
    static func unhandledCriticalExtension(
        in chain: [Certificate], roots: CertificateIndex, handled: Set<ASN1ObjectIdentifier>
    ) -> Certificate? {
        func unhandled(_ certificate: Certificate) -> Bool {
            certificate.extensions.contains { $0.critical && !handled.contains($0.oid) }
        }
        if let found = chain.first(where: unhandled) { return found }
        for certificate in chain {
            if let root = roots.bySubject[certificate.issuer]?.first(where: unhandled) { return root }
        }
        return nil
    }

    /// Maps the failure to its rule (and so to the alert RFC 8446 §6.2 suggests); the reason starts with the rule.
    static func classify(
        _ failures: [CertificateValidationResult.PolicyFailure],
        leaf: Certificate,
        budget: ValidationBudget,
        log: VerificationRuleLog,
        unhandledCritical: Certificate?
    ) -> TLSError {
        // An exhausted budget explains everything after it, including "no chain found".
        if let exhausted = budget.exhaustion {
            return VerifierRule.budget.error(exhausted)
        }
        guard let first = failures.first else {
            // No candidate chain reached a root, so no policy ran. The verifier also stops here when a certificate
            // carries a critical extension no policy understands.
            if let certificate = unhandledCritical {
                return VerifierRule.criticalExtensions.error(
                    "certificate \(brief(certificate)) has an unsupported critical extension")
            }
            return VerifierRule.unknownIssuer.error(
                "no chain to a trusted root for \(brief(leaf)) (issued by \"\(leaf.issuer)\")")
        }
        let text = first.policyFailureReason.description
        guard let rule = log.rule(for: text) else {
            return TLSError(.invalidCertificate(.unclassified), "certificate chain rejected: \(truncated(text))")
        }
        return TLSError(.invalidCertificate(rule), truncated(text))
    }

    /// Policy reasons can embed whole certificate descriptions; keep alert reasons readable.
    static func truncated(_ text: String, limit: Int = 400) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count <= limit ? line : String(line.prefix(limit)) + "…"
    }
}

/// The expected server name, split the way the identity check wants it: an IP literal is matched against
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

/// Accepts every certificate without any check. Anyone on the network path can impersonate the peer;
/// use only in tests or against a peer authenticated by other means.
public struct InsecureNoVerification: CertificateVerifier {
    public init() {}

    public func verify(_ request: PeerVerificationRequest) async -> PeerVerificationResult {
        // Still parse, so callers get certificate objects (and garbage is not silently "trusted").
        var chain: [Certificate] = []
        for der in request.chainDER {
            guard let certificate = try? Certificate(derEncoded: der) else {
                return .rejected(TLSError(.invalidCertificate(.malformed), "cannot parse peer certificate"))
            }
            chain.append(certificate)
        }
        return .trusted(validatedChain: chain)
    }
}

/// Verification by a user closure, e.g. certificate pinning or verifying against a private policy.
public struct CustomCertificateVerifier: CertificateVerifier {
    public let body: @Sendable (PeerVerificationRequest) async -> PeerVerificationResult
    /// See `CertificateVerifier.policyIdentifier`. Closures cannot be compared, so by default each verifier value
    /// is its own policy (sessions it verified resume only where this same value verifies); give processes that
    /// share tickets and apply the same closure the same identifier.
    public let policyIdentifier: String

    public init(policyIdentifier: String? = nil,
                _ body: @escaping @Sendable (PeerVerificationRequest) async -> PeerVerificationResult) {
        self.body = body
        self.policyIdentifier = policyIdentifier ?? "custom:" + UUID().uuidString
    }

    public func verify(_ request: PeerVerificationRequest) async -> PeerVerificationResult {
        await body(request)
    }
}
