import Foundation
import SwiftASN1
import X509

// Server identity (RFC 6125 / RFC 9525) and name constraints (RFC 5280 §4.2.1.10) as rustls-webpki applies them.

/// Lowercased ASCII labels of a DNS name without its trailing dot, or nil when it is not a plausible
/// hostname in A-label form (empty labels, non-ASCII, spaces…). `*` is returned as a label for the caller to judge.
func dnsLabels(_ name: String) -> [Substring]? {
    var text = Substring(name.lowercased())
    if text.hasSuffix(".") { text = text.dropLast() }
    guard !text.isEmpty, text.utf8.count <= 253 else { return nil }
    let labels = text.split(separator: ".", omittingEmptySubsequences: false)
    for label in labels {
        guard !label.isEmpty, label.utf8.count <= 63, label.utf8.allSatisfy(isLabelByte) else { return nil }
    }
    return labels
}

/// Lowercase letters, digits and `-`; also `_` (seen in real certificates) and `*` (judged by the caller).
private func isLabelByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
         UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "*"):
        return true
    default:
        return false
    }
}

/// A dNSName SAN as a reference identifier pattern: an exact name, or `*.` followed by at least two labels.
/// Anything else with a `*` (partial, bare, not leftmost) matches nothing.
enum DNSNamePattern: Equatable {
    case exact([Substring])
    case wildcard(parent: [Substring])

    init?(_ san: String) {
        guard let labels = dnsLabels(san) else { return nil }
        if labels[0] == "*" {
            let parent = Array(labels.dropFirst())
            guard parent.count >= 2, !parent.contains(where: { $0.contains("*") }) else { return nil }
            self = .wildcard(parent: parent)
        } else {
            guard !labels.contains(where: { $0.contains("*") }) else { return nil }
            self = .exact(labels)
        }
    }

    func matches(_ host: [Substring]) -> Bool {
        switch self {
        case .exact(let labels): return labels == host
        case .wildcard(let parent): return host.count == parent.count + 1 && Array(host.dropFirst()) == parent
        }
    }
}

/// Matches the server name against the leaf's subjectAltName only: dNSName for hostnames, iPAddress for IP
/// literals. Replaces ServerIdentityPolicy, which falls back to the subject CN and accepts partial and bare
/// wildcards (`ba*.example.com`, `*`, `*.com`).
struct ServerNamePolicy: VerifierPolicy {
    let identity: ServerIdentity

    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [.X509ExtensionID.subjectAlternativeName] }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let sans: SubjectAlternativeNames?
        do { sans = try chain.leaf.extensions.subjectAlternativeNames } catch {
            return VerifierRule.serverIdentity.fail("malformed subjectAltName: \(error)")
        }
        guard let sans, !sans.isEmpty else {
            return VerifierRule.serverIdentity.fail(
                "certificate is not valid for \(identity.name): it has no subjectAltName (the subject CN is never used)")
        }
        if let ip = identity.ip {
            guard let wanted = ipAddressBytes(ip) else {
                return VerifierRule.serverIdentity.fail("\(identity.name) is not a valid IP address")
            }
            for case .ipAddress(let bytes) in sans where Array(bytes.bytes) == wanted { return .meetsPolicy }
        } else if let hostname = identity.hostname {
            guard let host = dnsLabels(hostname), !host.contains(where: { $0.contains("*") }) else {
                return VerifierRule.serverIdentity.fail(
                    "\(identity.name) is not a valid DNS name (internationalized names must be given as A-labels)")
            }
            // "192.0.2.7." or "127.1" is neither an IP literal nor a hostname (no TLD is numeric): matching it
            // against dNSName SANs would let an address written as a DNS name stand in for an iPAddress SAN.
            if let last = host.last, last.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                return VerifierRule.serverIdentity.fail(
                    "\(identity.name) is not a valid DNS name (its last label is numeric; give an IP address in "
                        + "standard form, which is matched against IP-address SANs)")
            }
            for case .dnsName(let name) in sans where DNSNamePattern(name)?.matches(host) == true { return .meetsPolicy }
        }
        let listed = sans.map { describe($0) }.joined(separator: ", ")
        return VerifierRule.serverIdentity.fail("certificate is not valid for \(identity.name) (it names: \(listed))")
    }
}

func describe(_ name: GeneralName) -> String {
    switch name {
    case .dnsName(let dns): return "DNS:\(dns)"
    case .ipAddress(let bytes): return "IP:\(ipAddressText(Array(bytes.bytes)))"
    case .rfc822Name(let mail): return "email:\(mail)"
    case .uniformResourceIdentifier(let uri): return "URI:\(uri)"
    case .directoryName(let dn): return "DirName:\(dn)"
    default: return "\(name)"
    }
}

func ipAddressText(_ bytes: [UInt8]) -> String {
    switch bytes.count {
    case 4: return bytes.map(String.init).joined(separator: ".")
    case 16:
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    case 8, 32:
        let half = bytes.count / 2
        return ipAddressText(Array(bytes[..<half])) + "/" + ipAddressText(Array(bytes[half...]))
    default: return bytes.map { String($0, radix: 16) }.joined()
    }
}

// MARK: - Name constraints

/// RFC 5280 §4.2.1.10, replacing the check inside RFC5280Policy, which
/// - lets `*.example.com` through a CA that excludes `bar.example.com`,
/// - rejects every chain under a CA that has any rfc822Name, directoryName or otherName constraint,
/// - applies constraints to self-issued intermediates (RFC 5280 §6.1.3 (b) exempts them).
///
/// Each CA's constraints apply to every certificate below it: all SANs and the subject DN. A constraint only
/// restricts names of its own type; names of a type we cannot compare (otherName, x400, …) fail closed only when
/// the certificate actually carries one and a constraint of that type exists.
struct NameConstraintsPolicy: VerifierPolicy {
    let budget: ValidationBudget

    // Claims SAN too: a critical SAN (required when the subject is empty) is processed here.
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] {
        [.X509ExtensionID.nameConstraints, .X509ExtensionID.subjectAlternativeName]
    }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let certificates = Array(chain)
        // RFC 5280 §4.2.1.10: name constraints belong in CA certificates only.
        if certificates.count > 1, let leaf = certificates.first,
           leaf.extensions[oid: .X509ExtensionID.nameConstraints] != nil {
            return VerifierRule.nameConstraints.fail(
                "leaf \(brief(leaf)) carries nameConstraints, which only a CA certificate may (RFC 5280 §4.2.1.10)")
        }
        for caIndex in certificates.indices.dropFirst() {
            let ca = certificates[caIndex]
            let constraints: NameConstraints?
            do { constraints = try ca.extensions.nameConstraints } catch {
                return VerifierRule.nameConstraints.fail("cannot decode nameConstraints of \(brief(ca)): \(error)")
            }
            guard let constraints else { continue }
            if let problem = Self.malformation(constraints, critical: ca.extensions[oid: .X509ExtensionID.nameConstraints]?.critical) {
                return VerifierRule.nameConstraints.fail("the nameConstraints of CA \(brief(ca)) \(problem)")
            }
            for index in 0..<caIndex {
                let certificate = certificates[index]
                // Self-issued intermediates are exempt; the leaf never is.
                if index > 0 && certificate.issuer == certificate.subject { continue }
                let names: [GeneralName]
                do { names = try Self.names(of: certificate) } catch {
                    return VerifierRule.nameConstraints.fail("cannot decode subjectAltName of \(brief(certificate)): \(error)")
                }
                let comparisons = names.count * (constraints.permittedSubtrees.count + constraints.excludedSubtrees.count)
                guard budget.spendNameConstraintComparisons(comparisons) else {
                    return VerifierRule.budget.fail(budget.exhaustion ?? "name-constraint budget exhausted")
                }
                for name in names {
                    if let problem = Self.check(name, against: constraints) {
                        return VerifierRule.nameConstraints.fail(
                            "\(describe(name)) in \(brief(certificate)) \(problem) of CA \(brief(ca))")
                    }
                }
            }
        }
        return .meetsPolicy
    }

    /// Why a CA's nameConstraints extension is unusable (RFC 5280 §4.2.1.10), or nil.
    static func malformation(_ constraints: NameConstraints, critical: Bool?) -> String? {
        if critical != true { return "are not critical (RFC 5280 §4.2.1.10: they MUST be)" }
        if constraints.permittedSubtrees.isEmpty && constraints.excludedSubtrees.isEmpty {
            return "have neither permitted nor excluded subtrees (RFC 5280 §4.2.1.10: at least one MUST be present)"
        }
        // A dNSName constraint is a domain: everything below it "can be constructed by simply adding zero or more
        // labels to the left-hand side". A leading period is the email and URI syntax; in a permitted dNSName it
        // would narrow the subtree in a way RFC 5280 does not define, so the extension is refused (as pyca does).
        for case .dnsName(let domain) in constraints.permittedSubtrees where domain.hasPrefix(".") {
            return "permit the dNSName subtree \"\(domain)\" with a leading period, which is not a domain name"
        }
        return nil
    }

    /// The names a CA's constraints apply to: every SAN, the subject as a directoryName and every emailAddress in
    /// the subject as an rfc822Name. RFC 5280 §4.2.1.10 requires the latter only without a SAN extension; TLSKit
    /// checks it always, so an address cannot slip past the permitted email subtrees through the subject.
    static func names(of certificate: Certificate) throws -> [GeneralName] {
        var names = Array(try certificate.extensions.subjectAlternativeNames ?? SubjectAlternativeNames())
        // An empty subject names nothing (RFC 5280 §6.1.3 (b)).
        if !certificate.subject.isEmpty { names.append(.directoryName(certificate.subject)) }
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.emailAddress {
                // IA5String; anything undecodable still names an address that cannot be checked.
                names.append(.rfc822Name(String(attribute.value) ?? ""))
            }
        }
        return names
    }

    /// Why `name` violates the constraints, or nil if it does not.
    static func check(_ name: GeneralName, against constraints: NameConstraints) -> String? {
        for excluded in constraints.excludedSubtrees {
            switch relation(name, excluded) {
            case .unrelated, .outside: continue
            case .inside, .overlaps: return "is excluded by \(describe(excluded))"
            case .uncomparable: return "cannot be checked against the excluded subtree \(describe(excluded))"
            }
        }
        var sameType = false
        for permitted in constraints.permittedSubtrees {
            switch relation(name, permitted) {
            case .unrelated: continue
            case .inside: return nil
            case .outside, .overlaps: sameType = true
            case .uncomparable: return "cannot be checked against the permitted subtree \(describe(permitted))"
            }
        }
        return sameType ? "is outside every permitted subtree" : nil
    }

    enum Relation {
        /// The constraint is of another name type.
        case unrelated
        /// Every name the (possibly wildcard) name stands for is in the subtree.
        case inside
        /// Some but not all of them are (a wildcard straddling the subtree boundary).
        case overlaps
        case outside
        /// Same type, but we cannot compare it: fail closed.
        case uncomparable
    }

    static func relation(_ name: GeneralName, _ constraint: GeneralName) -> Relation {
        switch (name, constraint) {
        case (.dnsName(let name), .dnsName(let subtree)):
            return dnsRelation(name, subtree)
        case (.ipAddress(let address), .ipAddress(let range)):
            let address = Array(address.bytes), range = Array(range.bytes)
            guard range.count == 8 || range.count == 32 else { return .uncomparable }
            // An IPv4 range says nothing about an IPv6 address, but it still restricts the iPAddress type.
            guard address.count * 2 == range.count else { return .outside }
            let half = range.count / 2
            let inside = (0..<half).allSatisfy { address[$0] & range[half + $0] == range[$0] & range[half + $0] }
            return inside ? .inside : .outside
        case (.rfc822Name(let mailbox), .rfc822Name(let subtree)):
            return emailRelation(mailbox, subtree)
        case (.uniformResourceIdentifier(let uri), .uniformResourceIdentifier(let subtree)):
            guard let host = URLComponents(string: uri)?.host, !host.isEmpty else { return .uncomparable }
            return hostInDomainSubtree(host, subtree) ? .inside : .outside
        case (.directoryName(let dn), .directoryName(let subtree)):
            // The subtree is every DN starting with the constraint's RDNs.
            let name = Array(dn), prefix = Array(subtree)
            guard name.count >= prefix.count else { return .outside }
            return zip(name, prefix).allSatisfy(sameRDN) ? .inside : .outside
        case (.otherName(let a), .otherName(let b)):
            return a.typeID == b.typeID ? .uncomparable : .unrelated
        case (.dnsName, _), (.ipAddress, _), (.rfc822Name, _), (.uniformResourceIdentifier, _), (.directoryName, _),
             (.otherName, _):
            return .unrelated
        default:
            // x400Address, ediPartyName, registeredID: compare only against constraints of the same kind.
            return sameKind(name, constraint) ? .uncomparable : .unrelated
        }
    }

    /// RDN equality with string values compared case-insensitively and with whitespace runs collapsed (a
    /// simplified RFC 5280 §7.1 / RFC 4518 preparation), so `O=Evil Corp` cannot dodge `o=evil  corp`.
    static func sameRDN(_ a: RelativeDistinguishedName, _ b: RelativeDistinguishedName) -> Bool {
        let left = Array(a), right = Array(b)
        guard left.count == right.count else { return false }
        return zip(left, right).allSatisfy { x, y in
            guard x.type == y.type else { return false }
            if x.value == y.value { return true }
            guard let xText = folded(x.value), let yText = folded(y.value) else { return false }
            return xText == yText
        }
    }

    static func folded(_ value: RelativeDistinguishedName.Attribute.Value) -> String? {
        String(value).map { $0.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ") }
    }

    static func sameKind(_ a: GeneralName, _ b: GeneralName) -> Bool {
        switch (a, b) {
        case (.x400Address, .x400Address), (.ediPartyName, .ediPartyName), (.registeredID, .registeredID): return true
        default: return false
        }
    }

    /// RFC 5280 DNS subtrees: `example.com` is the domain and everything below it; a leading dot (a common
    /// variant) means strictly below. A wildcard SAN stands for every name one label under its parent.
    static func dnsRelation(_ name: String, _ subtree: String) -> Relation {
        var subtree = subtree.lowercased()
        if subtree.hasSuffix(".") { subtree.removeLast() }
        if subtree.isEmpty { return .inside }
        let strictlyBelow = subtree.hasPrefix(".")
        guard let base = dnsLabels(strictlyBelow ? String(subtree.dropFirst()) : subtree) else { return .uncomparable }
        // A SAN that is not a valid name pattern never matches a host; judge it by its literal labels.
        let pattern = DNSNamePattern(name)
        func within(_ labels: [Substring], strict: Bool) -> Bool {
            labels.count >= base.count + (strict ? 1 : 0) && Array(labels.suffix(base.count)) == base
        }
        switch pattern {
        case .exact(let labels)?:
            return within(labels, strict: strictlyBelow) ? .inside : .outside
        case .wildcard(let parent)?:
            // Every expansion is `x.parent`: all inside when parent is in (or is) the subtree.
            if within(parent, strict: false) { return .inside }
            // One expansion is the subtree's own domain when that is one label under parent (`*.example.com`
            // vs `bar.example.com`); a strictly-below subtree (`.bar.example.com`) is out of a wildcard's reach.
            if !strictlyBelow && base.count == parent.count + 1 && Array(base.dropFirst()) == parent { return .overlaps }
            return .outside
        case nil:
            guard let labels = dnsLabels(name) else { return .uncomparable }
            return within(labels, strict: strictlyBelow) ? .inside : .outside
        }
    }

    /// `user@host` is an exact mailbox, `host` every mailbox at that host, `.domain` every mailbox below it.
    static func emailRelation(_ mailbox: String, _ subtree: String) -> Relation {
        guard let at = mailbox.lastIndex(of: "@") else { return .uncomparable }
        let local = mailbox[..<at], host = mailbox[mailbox.index(after: at)...].lowercased()
        if subtree.contains("@") {
            guard let subtreeAt = subtree.lastIndex(of: "@") else { return .uncomparable }
            let same = subtree[..<subtreeAt] == local && subtree[subtree.index(after: subtreeAt)...].lowercased() == host
            return same ? .inside : .outside
        }
        return hostInDomainSubtree(host, subtree) ? .inside : .outside
    }

    /// For email and URI constraints: `host` matches exactly, `.domain` matches strictly below.
    static func hostInDomainSubtree(_ host: String, _ subtree: String) -> Bool {
        let host = host.lowercased(), subtree = subtree.lowercased()
        if subtree.hasPrefix(".") { return host.hasSuffix(subtree) && host.count > subtree.count }
        return host == subtree
    }
}

// MARK: - Subject common name

/// BR §7.1.4.3 (§7.1.2.7.2): a server certificate's subject CN, if any, is one of its subjectAltNames. The CN is never
/// used for identity (ServerNamePolicy ignores it); this only refuses certificates whose CN names something the SANs
/// do not, which is how a CN can mislead software that still reads it.
///
/// A CN is compared by what it names, not by how it is spelt: an IPv4 address in any form inet_aton and URL parsers
/// accept (hex, octal with leading zeros, fewer than four parts), IPv6 in any case or compression, a DNS name in any
/// case, with or without the trailing dot, in U-labels or A-labels. A CN naming an IP address must match an iPAddress
/// SAN, one naming a DNS name (two or more labels, or a wildcard) a dNSName SAN. A CN that names neither ("TLSKit
/// Test Leaf", "alice", a single label like "localhost") is left alone. Only server certificates are judged: the
/// rule is the CA/Browser Forum's, and client certificates carry user names in the CN ("alice.smith").
struct CommonNamePolicy: VerifierPolicy {
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [] }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        guard chain.count > 1 else { return .meetsPolicy }
        let leaf = chain.leaf
        let sans: [GeneralName]
        do { sans = Array(try leaf.extensions.subjectAlternativeNames ?? SubjectAlternativeNames()) } catch {
            return VerifierRule.commonName.fail("malformed subjectAltName: \(error)")
        }
        for rdn in leaf.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                guard let text = String(attribute.value) else { continue }
                switch Self.classify(text) {
                case .none:
                    continue
                case .ip(let address):
                    if sans.contains(where: { if case .ipAddress(let bytes) = $0 { return Array(bytes.bytes) == address }; return false }) {
                        continue
                    }
                    return VerifierRule.commonName.fail(
                        "the subject CN \"\(text)\" is the IP address \(ipAddressText(address)), which is not among the "
                            + "certificate's IP-address subjectAltNames (Baseline Requirements §7.1.4.3)")
                case .dns(let name):
                    if sans.contains(where: { if case .dnsName(let san) = $0 { return Self.normalizedDNSName(san) == name }; return false }) {
                        continue
                    }
                    return VerifierRule.commonName.fail(
                        "the subject CN \"\(text)\" is the DNS name \(name), which is not among the certificate's DNS "
                            + "subjectAltNames (Baseline Requirements §7.1.4.3)")
                }
            }
        }
        return .meetsPolicy
    }

    enum Meaning: Equatable {
        case ip([UInt8])
        /// Lowercased A-label form without the trailing dot.
        case dns(String)
    }

    /// What a CN names, or nil when it is not a name at all.
    static func classify(_ text: String) -> Meaning? {
        guard text.utf8.count <= 255 else { return nil }
        let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        if let v4 = looseIPv4Bytes(bare) { return .ip(v4) }
        if bare.contains(":"), let v6 = ipAddressBytes(bare), v6.count == 16 { return .ip(v6) }
        guard let name = normalizedDNSName(text), let labels = dnsLabels(name), labels.count >= 2 else { return nil }
        return .dns(name)
    }

    /// A DNS name (or wildcard) lowercased, without the trailing dot, each U-label turned into its A-label; nil when
    /// it has characters no hostname has.
    static func normalizedDNSName(_ text: String) -> String? {
        var name = text.precomposedStringWithCanonicalMapping.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, !name.hasSuffix(".") else { return nil }
        var labels: [String] = []
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            if label.unicodeScalars.allSatisfy(\.isASCII) {
                labels.append(String(label))
            } else {
                guard let encoded = Punycode.encode(Array(label.unicodeScalars)) else { return nil }
                labels.append("xn--" + encoded)
            }
        }
        let joined = labels.joined(separator: ".")
        return dnsLabels(joined) == nil ? nil : joined
    }

    /// IPv4 the way inet_aton and the WHATWG URL parser read it: one to four parts, each decimal, octal (leading 0)
    /// or hex (0x); the last part fills the remaining bytes. "192.0.2.7", "0xc0.0.2.7", "0300.0.02.07", "3221225991",
    /// "192.0.519" all name 192.0.2.7.
    static func looseIPv4Bytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            var digits = Substring(part), radix: UInt64 = 10
            if digits.lowercased().hasPrefix("0x") {
                digits = digits.dropFirst(2)
                radix = 16
            } else if digits.count > 1 && digits.hasPrefix("0") {
                digits = digits.dropFirst()
                radix = 8
            }
            // An empty hex part ("0x") is zero, as in inet_aton; an empty part otherwise is not an address.
            guard !digits.isEmpty || radix == 16, digits.count <= 12 else { return nil }
            var value: UInt64 = 0
            for character in digits {
                guard let digit = character.hexDigitValue, UInt64(digit) < radix else { return nil }
                value = value * radix + UInt64(digit)
            }
            values.append(value)
        }
        guard let last = values.last else { return nil }
        let leading = values.dropLast()
        guard leading.allSatisfy({ $0 <= 255 }), last < (UInt64(1) << (8 * (4 - leading.count))) else { return nil }
        var bytes = leading.map { UInt8($0) }
        for shift in stride(from: 8 * (3 - leading.count), through: 0, by: -8) {
            bytes.append(UInt8((last >> UInt64(shift)) & 0xff))
        }
        return bytes
    }
}

/// RFC 3492 Punycode encoding of one label (without the "xn--" prefix).
enum Punycode {
    private static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700

    /// nil for labels too long to be DNS labels (so the arithmetic below cannot overflow).
    static func encode(_ scalars: [Unicode.Scalar]) -> String? {
        guard scalars.count <= 63 else { return nil }
        let codePoints = scalars.map { Int($0.value) }
        var output = scalars.filter(\.isASCII).map { Character($0) }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append("-") }
        var n = 128, delta = 0, bias = 72
        while handled < codePoints.count {
            guard let next = codePoints.filter({ $0 >= n }).min() else { return nil }
            delta += (next - n) * (handled + 1)
            n = next
            for codePoint in codePoints {
                if codePoint < n { delta += 1 }
                guard codePoint == n else { continue }
                var q = delta
                var k = base
                while true {
                    let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta, handled + 1, firstTime: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return String(output)
    }

    private static func digit(_ value: Int) -> Character {
        Character(Unicode.Scalar(UInt8(value < 26 ? 97 + value : 22 + value)))
    }

    private static func adapt(_ delta: Int, _ count: Int, firstTime: Bool) -> Int {
        var delta = firstTime ? delta / damp : delta / 2
        delta += delta / count
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }
}
