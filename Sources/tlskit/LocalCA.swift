import ArgumentParser
import Crypto
import Foundation
import SwiftASN1
import TLSKit
import X509

#if canImport(Glibc)
import Glibc
#endif

/// A persistent local certificate authority in a directory, mkcert-style: `rootCA.pem` and `rootCA-key.pem`
/// (ECDSA P-256, ten years), created on first use and reused afterwards, so a browser or a system store can be told
/// to trust the root once. It issues leaves: `serve --identity-dir` keeps one for localhost there, `cert create`
/// writes others (server or client) where asked.
struct LocalCA {
    static let rootFile = "rootCA.pem"
    static let rootKeyFile = "rootCA-key.pem"
    static let localhostFile = "localhost.pem"
    static let localhostKeyFile = "localhost-key.pem"
    /// mkcert's leaf lifetime (825 days, Apple's limit for trusted TLS certificates).
    static let leafValidity: TimeInterval = 825 * 24 * 3600
    static let rootValidity: TimeInterval = 10 * 365 * 24 * 3600
    /// A kept leaf is reissued when it expires within this long.
    static let renewBefore: TimeInterval = 30 * 24 * 3600

    let directory: URL
    let root: Certificate
    let rootKey: P256.Signing.PrivateKey
    /// Whether this run created the root (false: an existing one was loaded).
    let created: Bool

    var rootPath: String { directory.appendingPathComponent(Self.rootFile).path }

    /// The CA in `directory`, created (with the directory, mode 0700) when it has no root yet.
    static func loadOrCreate(directory path: String) throws -> LocalCA {
        let directory = URL(fileURLWithPath: path)
        let rootURL = directory.appendingPathComponent(rootFile)
        let keyURL = directory.appendingPathComponent(rootKeyFile)
        let fileManager = FileManager.default
        let haveRoot = fileManager.fileExists(atPath: rootURL.path)
        let haveKey = fileManager.fileExists(atPath: keyURL.path)
        switch (haveRoot, haveKey) {
        case (true, true):
            let root: Certificate
            let key: P256.Signing.PrivateKey
            do {
                root = try Certificate(pemEncoded: try String(contentsOf: rootURL, encoding: .utf8))
            } catch {
                throw CLIError("\(rootURL.path): not a PEM certificate (\(ErrorText.describe(error)))")
            }
            do {
                key = try P256.Signing.PrivateKey(pemRepresentation: try String(contentsOf: keyURL, encoding: .utf8))
            } catch {
                throw CLIError("\(keyURL.path): not a PEM ECDSA P-256 private key (\(ErrorText.describe(error)))")
            }
            guard root.publicKey == Certificate.PublicKey(key.publicKey) else {
                throw CLIError("\(keyURL.path) does not match \(rootURL.path)")
            }
            return LocalCA(directory: directory, root: root, rootKey: key, created: false)
        case (false, false):
            do {
                try fileManager.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
            } catch {
                throw CLIError("cannot create \(directory.path): \(ErrorText.describe(error))")
            }
            let key = P256.Signing.PrivateKey()
            let name = try DistinguishedName {
                OrganizationName("tlskit local CA")
                OrganizationalUnitName(Self.userAtHost())
                CommonName("tlskit local root \(Self.userAtHost())")
            }
            let now = Date()
            let publicKey = Certificate.PublicKey(key.publicKey)
            let root = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now - 60, notValidAfter: now + rootValidity, issuer: name, subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: Certificate.PrivateKey(key))
            // The key first, owner-only: a root file without its key would be unusable.
            try writeFile(keyURL.path, key.pemRepresentation + "\n", mode: 0o600)
            try writeFile(rootURL.path, try root.serializeAsPEM().pemString + "\n", mode: 0o644)
            return LocalCA(directory: directory, root: root, rootKey: key, created: true)
        case (true, false):
            throw CLIError("\(directory.path) has \(rootFile) but not \(rootKeyFile): cannot issue certificates")
        case (false, true):
            throw CLIError("\(directory.path) has \(rootKeyFile) but not \(rootFile)")
        }
    }

    /// A leaf for `names` (DNS names, IP addresses, email addresses), ECDSA P-256, signed by the root. EKUs as mkcert
    /// sets them: serverAuth when there is a DNS name or IP, clientAuth with `client`, emailProtection for emails.
    func issue(names: [String], client: Bool, now: Date = Date()) throws -> (certificate: Certificate, key: P256.Signing.PrivateKey) {
        var altNames: [GeneralName] = []
        var hostNames = false
        var emails = false
        for name in names {
            if let bytes = ipAddressOctets(name) {
                altNames.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
                hostNames = true
            } else if name.contains("@") {
                altNames.append(.rfc822Name(name))
                emails = true
            } else {
                altNames.append(.dnsName(name))
                hostNames = true
            }
        }
        var usages: [ExtendedKeyUsage.Usage] = []
        if hostNames { usages.append(.serverAuth) }
        if client { usages.append(.clientAuth) }
        if emails { usages.append(.emailProtection) }
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let subject = try DistinguishedName {
            OrganizationName("tlskit development certificate")
            OrganizationalUnitName(Self.userAtHost())
            CommonName(names.first ?? "tlskit")
        }
        let rootKeyIdentifier = (try? root.extensions.subjectKeyIdentifier)?.map { $0.keyIdentifier }
            ?? SubjectKeyIdentifier(hash: root.publicKey).keyIdentifier
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now - 60, notValidAfter: min(now + Self.leafValidity, root.notValidAfter),
            issuer: root.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(usages)
                AuthorityKeyIdentifier(keyIdentifier: rootKeyIdentifier)
                SubjectAlternativeNames(altNames)
            },
            issuerPrivateKey: Certificate.PrivateKey(rootKey))
        return (certificate, key)
    }

    /// The localhost identity kept beside the root (`localhost.pem`, `localhost-key.pem`): reused while it is from
    /// this root, parses, and is valid for more than `renewBefore`; issued again otherwise. Returns whether it was
    /// reused.
    func localhostIdentity(now: Date = Date()) throws -> (identity: CertifiedKey, reused: Bool) {
        let certificatePath = directory.appendingPathComponent(Self.localhostFile).path
        let keyPath = directory.appendingPathComponent(Self.localhostKeyFile).path
        if let kept = try? CertifiedKey(certificatePath: certificatePath, keyPath: keyPath), let leaf = kept.chain.leaf,
           leaf.issuer == root.subject, root.publicKey.isValidSignature(leaf.signature, for: leaf),
           leaf.notValidAfter.timeIntervalSince(now) > Self.renewBefore, leaf.notValidBefore <= now {
            return (kept, true)
        }
        let (certificate, key) = try issue(names: ["localhost", "127.0.0.1", "::1"], client: false, now: now)
        try Self.writeFile(keyPath, key.pemRepresentation + "\n", mode: 0o600)
        try Self.writeFile(certificatePath, try certificate.serializeAsPEM().pemString + "\n", mode: 0o644)
        let identity = try CertifiedKey(chain: try CertificateChain(certificates: [certificate]), privateKey: ECDSAP256SigningKey(key))
        return (identity, false)
    }

    /// Writes `text` to `path` with `mode` (set at creation, and again in case the file existed).
    static func writeFile(_ path: String, _ text: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        fchmod(fd, mode)
        writeAll(fd, Array(text.utf8))
    }

    /// "user@host", as mkcert puts in its names (so two people's roots can be told apart).
    static func userAtHost() -> String {
        let user = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "user"
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }

    /// `--identity-dir` for `cert create` when none is given: $TLSKIT_IDENTITY_DIR, else $XDG_DATA_HOME/tlskit, else
    /// ~/.local/share/tlskit.
    static func defaultDirectory() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["TLSKIT_IDENTITY_DIR"], !explicit.isEmpty { return explicit }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty { return data + "/tlskit" }
        return NSHomeDirectory() + "/.local/share/tlskit"
    }
}

/// `tlskit cert`: certificates from the local CA.
struct Cert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Issue certificates from a local root that is kept on disk (like mkcert).",
        subcommands: [CertCreate.self]
    )
}

/// `tlskit cert create NAME…`: a leaf for DNS names, IP addresses or email addresses, issued by the root in the
/// identity directory (created on first use).
struct CertCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Issue a certificate (and its key) for the given names from the local root.",
        discussion: """
            The root lives in --identity-dir as rootCA.pem and rootCA-key.pem (ECDSA P-256, created on first use, \
            the same directory `tlskit serve --identity-dir` uses). The leaf is ECDSA P-256, valid 825 days, with \
            the names as subjectAltNames and, as mkcert sets them, extendedKeyUsage serverAuth for DNS names and IP \
            addresses, clientAuth with --client, emailProtection for email addresses. Files go to the current \
            directory as NAME+N.pem and NAME+N-key.pem (-client before .pem with --client) unless --cert-file and \
            --key-file say otherwise. Trust the root with curl --cacert, openssl -CAfile, or tlskit serve --client-ca.

            Exit status: 0 when written, 1 when the files cannot be read or written, 2 for a usage error.
            """
    )

    @Argument(help: ArgumentHelp("DNS names (wildcards like *.example.test too), IP addresses or email addresses.",
                                 valueName: "name"))
    var names: [String] = []

    @Flag(help: "Make a client certificate (extendedKeyUsage clientAuth), for tlskit serve --client-ca and the like.")
    var client = false

    @Option(name: .customLong("identity-dir"), help: ArgumentHelp(
        "Directory of the local root (default: $TLSKIT_IDENTITY_DIR, else $XDG_DATA_HOME/tlskit, else ~/.local/share/tlskit).",
        valueName: "dir"))
    var identityDir: String?

    @Option(name: .customLong("cert-file"), help: ArgumentHelp("Where to write the certificate (PEM).", valueName: "file"))
    var certFile: String?

    @Option(name: .customLong("key-file"), help: ArgumentHelp("Where to write the private key (PEM, mode 0600).", valueName: "file"))
    var keyFile: String?

    func validate() throws {
        guard !names.isEmpty else { throw ValidationError("name at least one DNS name, IP address or email address") }
        for name in names where ipAddressOctets(name) == nil && !name.contains("@") {
            guard Self.isDNSName(name) else {
                throw ValidationError("'\(name)' is not a DNS name, IP address or email address")
            }
        }
    }

    func run() async throws {
        try await runReportingErrors {
            let ca = try LocalCA.loadOrCreate(directory: identityDir ?? LocalCA.defaultDirectory())
            if ca.created { printOut("created a new local root: \(ca.rootPath)") }
            let (certificate, key) = try ca.issue(names: names, client: client)
            let base = Self.fileBase(names, client: client)
            let certificatePath = certFile ?? "./\(base).pem"
            let keyPath = keyFile ?? "./\(base)-key.pem"
            try LocalCA.writeFile(keyPath, key.pemRepresentation + "\n", mode: 0o600)
            try LocalCA.writeFile(certificatePath, try certificate.serializeAsPEM().pemString + "\n", mode: 0o644)
            let usages = ((try? certificate.extensions.extendedKeyUsage).map { Array($0) } ?? []).map { "\($0)" }
            printOut("certificate for \(names.joined(separator: ", "))\(client ? " (client authentication)" : ""): \(certificatePath)")
            printOut("key: \(keyPath)")
            printOut("issued by: \(certificate.issuer) (\(ca.rootPath))")
            printOut("valid until: \(utcDate(certificate.notValidAfter)); extended key usage: \(usages.joined(separator: ", "))")
        }
    }

    /// mkcert's file names: "example.com+2" for three names, "*" as "_wildcard", ":" as "_", "-client" with --client.
    static func fileBase(_ names: [String], client: Bool) -> String {
        var base = (names.first ?? "cert").replacingOccurrences(of: "*", with: "_wildcard")
            .replacingOccurrences(of: ":", with: "_").replacingOccurrences(of: "/", with: "_")
        if names.count > 1 { base += "+\(names.count - 1)" }
        if client { base += "-client" }
        return base
    }

    /// Letters, digits, hyphens and dots, labels of 1 to 63 characters; a wildcard only as the whole first label.
    static func isDNSName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if label == "*" && index == 0 && labels.count > 1 { continue }
            guard (1...63).contains(label.utf8.count), !label.hasPrefix("-"), !label.hasSuffix("-"),
                  label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else { return false }
        }
        return true
    }
}

/// The 4 or 16 network-order bytes of an IPv4 or IPv6 literal, or nil.
func ipAddressOctets(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
    return nil
}
