import CryptoExtras
import Foundation
import SwiftASN1
import X509

// The certificate profile (issue 12, section 3): how each certificate in the path must be encoded, as RFC 5280 §4
// and the CA/Browser Forum Baseline Requirements (§6.1.5, §7.1) require and as rustls-webpki, pyca/cryptography and
// browsers enforce. These rules look at one certificate at a time; the path rules (basic constraints, name
// constraints, EKU, names) are in VerifierPolicies.swift and NamePolicies.swift.
//
// A chain of one (a directly trusted, pinned certificate) is trusted by configuration and not checked here. The trust
// anchor is checked only where a rule names it: a CA's subject and subjectKeyIdentifier, and a root's own
// authorityKeyIdentifier; its serial number and key size are the root program's business.

/// Per-certificate encoding rules: serial numbers, RSA key sizes, authority information access, key identifiers, CA
/// subjects, policy constraints and the leaf's subjectAltName profile.
struct CertificateProfilePolicy: VerifierPolicy {
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [] }
    /// Whether the anchor's own encoding (subjectKeyIdentifier, authorityKeyIdentifier, subject) is checked. Off for
    /// the operating system's store: measured on Debian's bundle (139 roots), 7 curated roots would fail — 2 without a
    /// subjectKeyIdentifier (TWCA Global Root CA, Hongkong Post Root CA 1) and 5 whose authorityKeyIdentifier names
    /// issuer and serial (Go Daddy and Starfield Class 2, QuoVadis Root CA 2 and 3, Certigna) — and real sites chain
    /// to them. rustls-webpki, Go and BoringSSL check nothing of a trust anchor but its key and name either. Roots you
    /// configure yourself are held to the profile.
    var checksTrustAnchor = true

    init(checksTrustAnchor: Bool = true) {
        self.checksTrustAnchor = checksTrustAnchor
    }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let certificates = Array(chain)
        guard certificates.count > 1 else { return .meetsPolicy }
        for (index, certificate) in certificates.enumerated() {
            let position: Position = index == 0 ? .leaf : index == certificates.count - 1 ? .root : .intermediate
            if position == .root && !checksTrustAnchor { continue }
            if let failure = Self.check(certificate, position) { return failure }
        }
        return .meetsPolicy
    }

    enum Position: String {
        case leaf, intermediate, root
    }

    /// "leaf \"CN=…\"": how a failure names the certificate.
    struct Label: CustomStringConvertible {
        let position: Position
        let certificate: Certificate
        var description: String { "\(position.rawValue) \(brief(certificate))" }
    }

    static func check(_ certificate: Certificate, _ position: Position) -> PolicyEvaluationResult? {
        // Described only when a rule fails: rendering the subject for every certificate of every handshake showed
        // in the handshake profile (issue 16).
        let name = Label(position: position, certificate: certificate)
        // A legacy v1 root has no extensions at all; it is trusted as configured (as BasicConstraintsPolicy does).
        if position == .root && certificate.version == .v1 { return nil }
        if position != .root {
            if let failure = serialNumber(certificate, name) { return failure }
            if let failure = publicKey(certificate, name) { return failure }
            do { _ = try certificate.extensions.authorityInformationAccess } catch {
                return VerifierRule.authorityInfoAccess.fail("\(name) has a malformed authorityInformationAccess: \(error)")
            }
        }
        if let failure = keyIdentifiers(certificate, position, name) { return failure }
        if position != .leaf && certificate.subject.isEmpty {
            // RFC 5280 §4.1.2.6: a CA's subject is what its certificates name as their issuer.
            return VerifierRule.subject.fail("\(name) is a CA with an empty subject (RFC 5280 §4.1.2.6)")
        }
        if let policyConstraints = certificate.extensions[oid: .policyConstraints], !policyConstraints.critical {
            return VerifierRule.policyConstraints.fail(
                "\(name) has a non-critical policyConstraints extension (RFC 5280 §4.2.1.11: it MUST be critical)")
        }
        if position != .root, let failure = subjectAltName(certificate, leaf: position == .leaf, name) { return failure }
        return nil
    }

    /// RFC 5280 §4.1.2.2 and BR §7.1: a positive integer of at most 20 octets. swift-certificates hands the serial
    /// over as unsigned big-endian bytes (a DER sign byte is not kept), so a negative serial cannot be told apart
    /// from the positive number with the same bytes; zero and length are what can be checked.
    static func serialNumber(_ certificate: Certificate, _ name: Label) -> PolicyEvaluationResult? {
        let magnitude = certificate.serialNumber.bytes.drop(while: { $0 == 0 })
        if magnitude.isEmpty {
            return VerifierRule.serialNumber.fail("\(name) has serial number zero (RFC 5280 §4.1.2.2: it must be positive)")
        }
        if magnitude.count > 20 {
            return VerifierRule.serialNumber.fail(
                "\(name) has a \(magnitude.count)-octet serial number (RFC 5280 §4.1.2.2: at most 20 octets)")
        }
        return nil
    }

    /// BR §6.1.5: an RSA modulus is a multiple of 8 bits (swift-crypto already refuses moduli under 2048 bits).
    static func publicKey(_ certificate: Certificate, _ name: Label) -> PolicyEvaluationResult? {
        guard let rsa = _RSA.Signing.PublicKey(certificate.publicKey) else { return nil }
        let bits = rsa.keySizeInBits
        guard bits % 8 != 0 else { return nil }
        return VerifierRule.publicKey.fail(
            "\(name) has a \(bits)-bit RSA modulus; the Baseline Requirements (§6.1.5) require a multiple of 8 bits")
    }

    /// RFC 5280 §4.2.1.1 / §4.2.1.2 and BR §7.1.2: every certificate below the root names its issuer's key by
    /// keyIdentifier alone (no authorityCertIssuer / authorityCertSerialNumber); every CA carries a
    /// subjectKeyIdentifier; a root needs no authorityKeyIdentifier, but one it has must be its own key identifier.
    static func keyIdentifiers(_ certificate: Certificate, _ position: Position, _ name: Label) -> PolicyEvaluationResult? {
        let authority: AuthorityKeyIdentifier?, subject: SubjectKeyIdentifier?
        do {
            authority = try certificate.extensions.authorityKeyIdentifier
            subject = try certificate.extensions.subjectKeyIdentifier
        } catch {
            return VerifierRule.keyIdentifiers.fail("\(name) has a malformed key identifier extension: \(error)")
        }
        if position != .leaf && subject == nil {
            return VerifierRule.keyIdentifiers.fail("\(name) is a CA without a subjectKeyIdentifier (RFC 5280 §4.2.1.2)")
        }
        guard let authority else {
            if position == .root { return nil }
            return VerifierRule.keyIdentifiers.fail("\(name) has no authorityKeyIdentifier (RFC 5280 §4.2.1.1)")
        }
        if authority.authorityCertIssuer != nil || authority.authorityCertSerialNumber != nil {
            return VerifierRule.keyIdentifiers.fail(
                "\(name) has an authorityKeyIdentifier with authorityCertIssuer or authorityCertSerialNumber "
                    + "(Baseline Requirements §7.1.2: the keyIdentifier alone)")
        }
        guard let keyIdentifier = authority.keyIdentifier else {
            return VerifierRule.keyIdentifiers.fail("\(name) has an authorityKeyIdentifier without a keyIdentifier")
        }
        if position == .root, let subject, subject.keyIdentifier != keyIdentifier {
            return VerifierRule.keyIdentifiers.fail(
                "\(name) is self-signed but its authorityKeyIdentifier differs from its subjectKeyIdentifier")
        }
        return nil
    }

    /// RFC 5280 §4.2.1.6: with an empty subject the subjectAltName is required and critical, otherwise it is not
    /// critical. In the leaf, BR §7.1.4.2: no dNSName with an underscore, and no wildcard directly under a public
    /// suffix (`*.com`, `*.co.uk`).
    static func subjectAltName(_ certificate: Certificate, leaf: Bool, _ name: Label) -> PolicyEvaluationResult? {
        let extensionValue = certificate.extensions[oid: .X509ExtensionID.subjectAlternativeName]
        switch (certificate.subject.isEmpty, extensionValue?.critical) {
        case (true, nil):
            return VerifierRule.subjectAltName.fail("\(name) has an empty subject and no subjectAltName (RFC 5280 §4.2.1.6)")
        case (true, false?):
            return VerifierRule.subjectAltName.fail(
                "\(name) has an empty subject, so its subjectAltName must be critical (RFC 5280 §4.2.1.6)")
        case (false, true?):
            return VerifierRule.subjectAltName.fail(
                "\(name) has a subject, so its subjectAltName must not be critical (RFC 5280 §4.2.1.6)")
        default:
            break
        }
        guard leaf else { return nil }
        let sans: SubjectAlternativeNames?
        do { sans = try certificate.extensions.subjectAlternativeNames } catch {
            return VerifierRule.subjectAltName.fail("\(name) has a malformed subjectAltName: \(error)")
        }
        for case .dnsName(let dns) in sans ?? SubjectAlternativeNames() {
            if dns.utf8.contains(UInt8(ascii: "_")) {
                return VerifierRule.subjectAltName.fail(
                    "\(name) has the dNSName \"\(dns)\" with an underscore (Baseline Requirements §7.1.4.2)")
            }
            if let labels = dnsLabels(dns), labels.first == "*" {
                let base = Array(labels.dropFirst())
                if base.isEmpty {
                    return VerifierRule.subjectAltName.fail("\(name) has the bare wildcard dNSName \"\(dns)\"")
                }
                if PublicSuffixList.isPublicSuffix(base) {
                    return VerifierRule.subjectAltName.fail(
                        "\(name) has the wildcard \"\(dns)\" directly under a public suffix (Baseline Requirements §7.1.2.7.12)")
                }
            }
        }
        return nil
    }
}

extension ASN1ObjectIdentifier {
    /// id-ce-policyConstraints (RFC 5280 §4.2.1.11).
    static let policyConstraints: ASN1ObjectIdentifier = [2, 5, 29, 36]
}

/// The ICANN section of the Public Suffix List (generated into PublicSuffixList.swift by
/// scripts/generate-public-suffixes.py), for refusing wildcards that would cover a whole registry.
enum PublicSuffixList {
    struct Rules: Sendable {
        var exact: Set<String> = []
        /// `*.name`: every label directly under `name` is a public suffix…
        var wildcardParents: Set<String> = []
        /// …except these (`!name`).
        var exceptions: Set<String> = []
    }

    static let rules: Rules = {
        var rules = Rules()
        for line in icannRules.split(separator: "\n") {
            if line.hasPrefix("!") {
                rules.exceptions.insert(String(line.dropFirst()))
            } else if line.hasPrefix("*.") {
                rules.wildcardParents.insert(String(line.dropFirst(2)))
            } else {
                rules.exact.insert(String(line))
            }
        }
        return rules
    }()

    /// Whether the lowercased A-label name is itself a public suffix (`com`, `co.uk`, `city.kawasaki.jp`…).
    /// Every single-label name counts (the list's implicit `*` rule).
    static func isPublicSuffix(_ labels: [Substring]) -> Bool {
        guard labels.count > 1 else { return true }
        let name = labels.joined(separator: ".")
        if rules.exact.contains(name) { return true }
        if rules.exceptions.contains(name) { return false }
        return rules.wildcardParents.contains(labels.dropFirst().joined(separator: "."))
    }
}
