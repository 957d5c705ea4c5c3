import Foundation
import SwiftASN1
import TLSWire
import X509

// TLSKit's WebPKI rules as swift-certificates `VerifierPolicy` values (issue 7). They replace RFC5280Policy and
// ServerIdentityPolicy where those accept what browsers and rustls-webpki reject; see X509CertificateVerifier.
//
// Every failure reason starts with "<rule>: " for people to read; code learns the rule from `VerificationRuleLog`.

/// The rules a chain can fail: `TLSError.CertificateFailure`, whose `alert` is the one RFC 8446 §6.2 suggests.
typealias VerifierRule = TLSError.CertificateFailure

extension TLSError.CertificateFailure {
    /// A rejection by this rule, outside swift-certificates' policy evaluation.
    func error(_ message: String) -> TLSError { TLSError(.invalidCertificate(self), "\(rawValue): \(message)") }

    /// A policy failure by this rule. swift-certificates keeps only the failure's text, so the rule is also recorded
    /// in the validation's `VerificationRuleLog`, where the verifier looks it up instead of parsing the text.
    func fail(_ message: String) -> PolicyEvaluationResult {
        let text = "\(rawValue): \(message)"
        VerificationRuleLog.current?.record(self, for: text)
        return .failsToMeetPolicy(reason: text)
    }
}

/// The rule behind each policy failure of one validation, keyed by the failure's text (which is all that
/// swift-certificates hands back). Bound as a task local around `Verifier.validate`.
final class VerificationRuleLog: @unchecked Sendable {
    @TaskLocal static var current: VerificationRuleLog?

    private let lock = NSLock()
    private var rules: [String: VerifierRule] = [:]

    func record(_ rule: VerifierRule, for text: String) {
        lock.lock()
        defer { lock.unlock() }
        if rules[text] == nil { rules[text] = rule }
    }

    func rule(for text: String) -> VerifierRule? {
        lock.lock()
        defer { lock.unlock() }
        return rules[text]
    }
}

/// A certificate named briefly in failure reasons (the full description is pages long).
func brief(_ certificate: Certificate) -> String { "\"\(certificate.subject)\"" }

// MARK: - Budgets

/// Caps on the work one validation may do, so hostile chains fail fast instead of burning CPU.
public struct VerificationLimits: Sendable, Hashable {
    /// Certificates the peer may send (leaf included).
    public var maxPeerChainLength: Int
    /// Intermediates between leaf and root in a built path (rustls-webpki allows 6).
    public var maxIntermediates: Int
    /// Partial paths the chain builder may try to extend.
    public var maxCandidatePaths: Int
    /// Signature verifications during path building (rustls-webpki allows 100).
    public var maxSignatureChecks: Int
    /// (name, constraint) comparisons across all candidate paths (rustls-webpki allows 250 000).
    public var maxNameConstraintComparisons: Int

    public init(
        maxPeerChainLength: Int = 10,
        maxIntermediates: Int = 6,
        maxCandidatePaths: Int = 200,
        maxSignatureChecks: Int = 100,
        maxNameConstraintComparisons: Int = 250_000
    ) {
        self.maxPeerChainLength = maxPeerChainLength
        self.maxIntermediates = maxIntermediates
        self.maxCandidatePaths = maxCandidatePaths
        self.maxSignatureChecks = maxSignatureChecks
        self.maxNameConstraintComparisons = maxNameConstraintComparisons
    }

    public static let `default` = VerificationLimits()

    /// Why these limits cannot work (a cap below its minimum would reject every chain), or nil. Checked when a
    /// connection is created with an `X509CertificateVerifier` using them.
    var configurationProblem: String? {
        let minimums: [(String, Int, Int)] = [
            ("maxPeerChainLength", maxPeerChainLength, 1), ("maxIntermediates", maxIntermediates, 0),
            ("maxCandidatePaths", maxCandidatePaths, 1), ("maxSignatureChecks", maxSignatureChecks, 1),
            ("maxNameConstraintComparisons", maxNameConstraintComparisons, 0),
        ]
        for (name, value, minimum) in minimums where value < minimum {
            return "\(name) must be at least \(minimum) (got \(value))"
        }
        return nil
    }
}

/// Work counters for one validation, shared by the certificate stores and the policies.
final class ValidationBudget: @unchecked Sendable {
    private let lock = NSLock()
    let limits: VerificationLimits
    private var candidatePaths = 0
    private var signatureChecks = 0
    private var nameConstraintComparisons = 0
    /// Set once a cap is hit; from then on no issuer is offered and every policy evaluation fails.
    private var exhausted: String?

    init(limits: VerificationLimits) { self.limits = limits }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    var exhaustion: String? { locked { exhausted } }

    /// Accounts for the chain builder extending one partial path with `candidates` issuers, each of which it
    /// verifies a signature against. Returns false (offer nothing) once a cap is exceeded.
    func spendIssuerLookup(candidates: Int, countsAsPath: Bool) -> Bool {
        locked {
            guard exhausted == nil else { return false }
            if countsAsPath { candidatePaths += 1 }
            signatureChecks += candidates
            if candidatePaths > limits.maxCandidatePaths {
                exhausted = "more than \(limits.maxCandidatePaths) candidate paths explored (maxCandidatePaths)"
            } else if signatureChecks > limits.maxSignatureChecks {
                exhausted = "more than \(limits.maxSignatureChecks) signature checks needed (maxSignatureChecks)"
            }
            return exhausted == nil
        }
    }

    func spendNameConstraintComparisons(_ count: Int) -> Bool {
        locked {
            guard exhausted == nil else { return false }
            nameConstraintComparisons += count
            if nameConstraintComparisons > limits.maxNameConstraintComparisons {
                exhausted = "more than \(limits.maxNameConstraintComparisons) name-constraint comparisons "
                    + "(maxNameConstraintComparisons)"
            }
            return exhausted == nil
        }
    }
}

/// A certificate store that charges every issuer lookup to the budget. The Verifier checks one signature per
/// issuer it is offered, so limiting what the store hands out bounds both paths and signature checks.
struct BudgetedCertificateStore: CustomCertificateStore {
    /// Shared and immutable: the trust roots' index is built once per `TrustRoots`, not per validation.
    let index: CertificateIndex
    let budget: ValidationBudget
    /// The root store is asked first for every partial path, so it counts the paths.
    let countsPaths: Bool

    init(_ index: CertificateIndex, budget: ValidationBudget, countsPaths: Bool) {
        self.index = index
        self.budget = budget
        self.countsPaths = countsPaths
    }

    init(_ certificates: [Certificate], budget: ValidationBudget, countsPaths: Bool) {
        self.init(CertificateIndex(certificates), budget: budget, countsPaths: countsPaths)
    }

    subscript(subject: DistinguishedName) -> [Certificate]? {
        get async {
            let found = index.bySubject[subject] ?? []
            guard budget.spendIssuerLookup(candidates: found.count, countsAsPath: countsPaths) else { return nil }
            return found.isEmpty ? nil : found
        }
    }

    func contains(_ certificate: Certificate) async -> Bool { index.all.contains(certificate) }

    mutating func append(contentsOf certificates: some Sequence<Certificate>) {
        // Never extended: the stores are built for one validation (the index may be shared between them).
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.budget === rhs.budget && (lhs.index === rhs.index || lhs.index.all == rhs.index.all)
    }
    func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(budget)) }
}

/// Fails every path once a budget is exhausted, and paths with too many intermediates.
struct BudgetPolicy: VerifierPolicy {
    let budget: ValidationBudget
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [] }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        if let exhausted = budget.exhaustion { return VerifierRule.budget.fail(exhausted) }
        let intermediates = chain.count - 2
        if intermediates > budget.limits.maxIntermediates {
            return VerifierRule.budget.fail(
                "path has \(intermediates) intermediates, more than \(budget.limits.maxIntermediates) (maxIntermediates)")
        }
        return .meetsPolicy
    }
}

// MARK: - Version and validity

/// RFC 5280 §4.1.2.1: extensions require v3. (Same rule as swift-certificates' VersionPolicy, which is internal.)
struct VersionPolicy: VerifierPolicy {
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [] }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        for certificate in chain where certificate.version == .v1 && !certificate.extensions.isEmpty {
            return VerifierRule.version.fail("v1 certificate \(brief(certificate)) carries extensions")
        }
        return .meetsPolicy
    }
}

/// notBefore ≤ now ≤ notAfter for every certificate, compared as exact instants. swift-certificates rounds the
/// validation time to the nearest second, which accepts a certificate up to half a second outside its validity.
struct ValidityPolicy: VerifierPolicy {
    let now: Date
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [] }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        // The clock is injected: a NaN time compares false both ways and would pass every validity period.
        guard !now.timeIntervalSinceReferenceDate.isNaN else {
            return VerifierRule.validity.fail("the current time is not a number (check the injected clock)")
        }
        for (index, certificate) in chain.enumerated() {
            let role = index == 0 ? "Leaf" : index == chain.count - 1 ? "Root" : "Intermediate"
            if certificate.notValidBefore > certificate.notValidAfter {
                return VerifierRule.validity.fail("\(role) certificate \(brief(certificate)) has notBefore after notAfter")
            }
            if now < certificate.notValidBefore {
                return VerifierRule.validity.fail(
                    "\(role) certificate \(brief(certificate)) is not yet valid "
                        + "(notBefore \(certificate.notValidBefore), now \(now))")
            }
            if now > certificate.notValidAfter {
                return VerifierRule.validity.fail(
                    "\(role) certificate \(brief(certificate)) has expired (notAfter \(certificate.notValidAfter), now \(now))")
            }
        }
        return .meetsPolicy
    }
}

// MARK: - Signature algorithms

/// RFC 8446 §4.4.2.4: a certificate that must be validated with an MD5 signature is bad_certificate, and so
/// (RECOMMENDED, and what browsers, Go ≥ 1.18 and rustls-webpki do) is one signed with SHA-1. Only the trust
/// anchor's own signature is exempt: it is trusted by configuration, not by its signature. swift-certificates
/// verifies sha1WithRSAEncryption signatures; ecdsa-with-SHA1 and MD5 certificates do not even parse there (so
/// they fail earlier, also as bad_certificate). The check is an allow-list, so an algorithm swift-certificates
/// learns later is refused until it is added here.
struct WeakSignaturePolicy: VerifierPolicy {
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [] }

    /// Signature algorithms accepted on certificates below the trust anchor.
    static let accepted: Set<Certificate.SignatureAlgorithm> = [
        .ecdsaWithSHA256, .ecdsaWithSHA384, .ecdsaWithSHA512,
        .sha256WithRSAEncryption, .sha384WithRSAEncryption, .sha512WithRSAEncryption,
        .ed25519,
    ]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let certificates = Array(chain)
        // The last certificate is the trust anchor; a chain of one is a directly trusted (pinned) certificate.
        for index in certificates.indices.dropLast() {
            let certificate = certificates[index]
            let algorithm = certificate.signatureAlgorithm
            if Self.accepted.contains(algorithm) { continue }
            let role = index == 0 ? "leaf" : "intermediate"
            let issuer = brief(certificates[index + 1])
            if algorithm == .sha1WithRSAEncryption {
                return VerifierRule.weakSignature.fail(
                    "\(role) \(brief(certificate)) is signed by \(issuer) with SHA-1 (sha1WithRSAEncryption); "
                        + "only a trust anchor's own signature may use SHA-1")
            }
            return VerifierRule.weakSignature.fail(
                "\(role) \(brief(certificate)) is signed by \(issuer) with \(algorithm), which is not an accepted "
                    + "certificate signature algorithm (ECDSA or RSA with SHA-256 or stronger, Ed25519)")
        }
        return .meetsPolicy
    }
}

// MARK: - Basic constraints and key usage

/// RFC 5280 §4.2.1.3 / §4.2.1.9 as browsers apply them: the end entity is not a CA, every issuer is a CA allowed
/// to sign certificates, and pathLenConstraint holds. swift-certificates skips key usage entirely and lets a CA
/// certificate act as the end entity.
struct BasicConstraintsPolicy: VerifierPolicy {
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] {
        [.X509ExtensionID.basicConstraints, .X509ExtensionID.keyUsage]
    }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let certificates = Array(chain)
        guard let leaf = certificates.first else { return VerifierRule.basicConstraints.fail("empty chain") }
        // A directly trusted certificate (chain of one) is pinned by the user; only path-built leaves are checked.
        // A CA certificate is never the end entity, as in rustls-webpki and the Baseline Requirements (Go's
        // crypto/x509 accepts one): a key that can sign certificates should not also terminate TLS.
        if certificates.count > 1 {
            do {
                if try Self.endEntityAssertsCA(leaf) {
                    return VerifierRule.basicConstraints.fail("leaf \(brief(leaf)) is a CA certificate (cA=TRUE), not an end entity")
                }
                if let usage = try leaf.extensions.keyUsage, usage.keyCertSign {
                    return VerifierRule.basicConstraints.fail(
                        "leaf \(brief(leaf)) has keyUsage keyCertSign, so it is a CA key, not an end entity")
                }
            } catch {
                return VerifierRule.basicConstraints.fail("leaf \(brief(leaf)) has malformed extensions: \(error)")
            }
        }
        for index in certificates.indices.dropFirst() {
            let issuer = certificates[index]
            let isRoot = index == certificates.count - 1
            // RFC 5280 §4.2.1.9: a CA's basicConstraints MUST be critical (roots included).
            if let basicConstraints = issuer.extensions[oid: .X509ExtensionID.basicConstraints], !basicConstraints.critical {
                return VerifierRule.basicConstraints.fail(
                    "\(isRoot ? "root" : "issuer") \(brief(issuer)) has a non-critical basicConstraints (RFC 5280 §4.2.1.9)")
            }
            do {
                switch try issuer.extensions.basicConstraints {
                case .isCertificateAuthority(let maxPathLength):
                    // Non-self-issued intermediates between this CA and the leaf (RFC 5280 §6.1.4 (l)).
                    let below = certificates[1..<index].filter { $0.issuer != $0.subject }.count
                    if let maxPathLength, below > maxPathLength {
                        return VerifierRule.basicConstraints.fail(
                            "CA \(brief(issuer)) allows path length \(maxPathLength) but \(below) intermediates follow it")
                    }
                case .notCertificateAuthority:
                    return VerifierRule.basicConstraints.fail("issuer \(brief(issuer)) is not a CA (cA=FALSE)")
                case nil:
                    // Legacy v1 roots carry no extensions; a trust anchor is trusted by configuration.
                    if !(isRoot && issuer.version == .v1) {
                        return VerifierRule.basicConstraints.fail("issuer \(brief(issuer)) has no basicConstraints, so it is not a CA")
                    }
                }
                if let usage = try issuer.extensions.keyUsage, !usage.keyCertSign {
                    return VerifierRule.basicConstraints.fail("issuer \(brief(issuer)) has keyUsage without keyCertSign")
                }
            } catch {
                return VerifierRule.basicConstraints.fail("issuer \(brief(issuer)) has malformed extensions: \(error)")
            }
        }
        return .meetsPolicy
    }

    /// An end entity's cA flag. pathLenConstraint means nothing outside a CA (RFC 5280 §4.2.1.9: it applies only
    /// when cA is TRUE), so it is ignored here; swift-certificates refuses to decode cA=FALSE with a pathLenConstraint.
    static func endEntityAssertsCA(_ certificate: Certificate) throws -> Bool {
        guard let ext = certificate.extensions[oid: .X509ExtensionID.basicConstraints] else { return false }
        let node = try DER.parse(ext.value)
        guard node.identifier == .sequence, case .constructed(let children) = node.content else {
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
        var fields = Array(children)
        var isCA = false
        if let first = fields.first, first.identifier == .boolean {
            isCA = try Bool(derEncoded: first)
            fields.removeFirst()
        }
        // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }
        guard fields.count <= 1, fields.allSatisfy({ $0.identifier == .integer }) else {
            throw ASN1Error.invalidASN1Object(reason: "basicConstraints has unexpected fields")
        }
        return isCA
    }
}

// MARK: - Extended key usage

/// The leaf must carry a non-critical EKU extension listing the purpose (serverAuth or clientAuth; BR
/// §7.1.2.7.10: anyExtendedKeyUsage does not count); an intermediate with one must list the purpose or
/// anyExtendedKeyUsage, and one without is unrestricted (the CA/Browser Forum rule browsers and rustls-webpki
/// apply). A directly trusted (pinned) certificate needs no EKU, but one it has must allow the purpose.
struct ExtendedKeyUsagePolicy: VerifierPolicy {
    let required: ExtendedKeyUsage.Usage

    // Claimed so that this policy judges a critical EKU (allowed in a CA, refused in the leaf), not the verifier.
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [.X509ExtensionID.extendedKeyUsage] }

    var purposeName: String { required == .serverAuth ? "serverAuth" : "clientAuth" }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        // The root is a trust anchor; its extensions are not path constraints.
        for (index, certificate) in chain.dropLast(chain.count > 1 ? 1 : 0).enumerated() {
            if index == 0 && chain.count > 1 {
                guard let ext = certificate.extensions[oid: .X509ExtensionID.extendedKeyUsage] else {
                    return VerifierRule.extendedKeyUsage.fail(
                        "leaf certificate has no extendedKeyUsage extension; a WebPKI leaf must list \(purposeName)")
                }
                if ext.critical {
                    return VerifierRule.extendedKeyUsage.fail(
                        "leaf certificate's extendedKeyUsage is critical (Baseline Requirements §7.1.2.7.10: it must not be)")
                }
            }
            let usages: ExtendedKeyUsage?
            do { usages = try certificate.extensions.extendedKeyUsage } catch {
                return VerifierRule.extendedKeyUsage.fail("malformed extension in \(brief(certificate)): \(error)")
            }
            guard let usages else { continue }
            if usages.contains(required) || (index > 0 && usages.contains(.any)) { continue }
            let present = usages.map { String(describing: $0) }.joined(separator: ", ")
            let role = index == 0 ? "leaf certificate" : "intermediate \(brief(certificate))"
            return VerifierRule.extendedKeyUsage.fail("\(role) does not allow \(purposeName) (it allows: \(present))")
        }
        return .meetsPolicy
    }
}
