import ArgumentParser
import Foundation
import TLSKit

#if canImport(Glibc)
import Glibc
#endif

/// Options shared by `serve` and `connect`: protocol versions, groups, suites, ALPN, extended master secret and key
/// logging.
struct TLSOptions: ParsableArguments {
    @Option(name: .customLong("alpn"), help: ArgumentHelp(
        "ALPN protocols, most preferred first (comma-separated or repeated), e.g. h2,http/1.1.",
        valueName: "protocols"))
    var alpn: [String] = []

    @Option(name: .customLong("min-version"), help: ArgumentHelp("Lowest TLS version: 1.2 or 1.3 (default 1.2).", valueName: "version"))
    var minVersion: String?

    @Option(name: .customLong("max-version"), help: ArgumentHelp("Highest TLS version: 1.2 or 1.3 (default 1.3).", valueName: "version"))
    var maxVersion: String?

    @Option(name: .customLong("groups"), help: ArgumentHelp(
        "Key-exchange groups in preference order (comma-separated): X25519MLKEM768, x25519, secp256r1 (P-256), secp384r1 (P-384), secp521r1 (P-521).",
        valueName: "groups"))
    var groups: [String] = []

    @Option(name: .customLong("ciphers"), help: ArgumentHelp(
        "Cipher suites by IANA name, in preference order (comma- or colon-separated), e.g. TLS_AES_256_GCM_SHA384 or TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (TLS 1.2).",
        valueName: "suites"))
    var ciphers: [String] = []

    @Flag(name: .customLong("legacy"), help: ArgumentHelp(
        "INSECURE: also allow TLS 1.1 and 1.0 (deprecated, RFC 8996), the AES-CBC suites and, for connect, static RSA key exchange, to reach old peers. Prints a warning."))
    var legacy = false

    /// What `--legacy` prints on stderr, once, before anything connects or listens.
    static let legacyWarning = "WARNING: legacy TLS 1.0/1.1 and CBC suites enabled — insecure (RFC 8996); use only to reach old peers"

    @Flag(name: .customLong("require-ems"), help: ArgumentHelp(
        "TLS 1.2: refuse peers without the extended master secret (RFC 7627) instead of accepting them without resumption."))
    var requireEMS = false

    @Option(name: .customLong("keylog"), help: ArgumentHelp(
        "Append NSS key log lines (SSLKEYLOGFILE format) to this file. Anyone with it can decrypt the traffic. "
            + "connect also honours the SSLKEYLOGFILE environment variable; --keylog wins.",
        valueName: "file"))
    var keylog: String?

    /// The key log file: --keylog, else (when `environment` is set, for clients as curl and Firefox do) the
    /// SSLKEYLOGFILE environment variable.
    func keyLogPath(environment: Bool) -> String? {
        if let keylog { return keylog }
        guard environment, let path = ProcessInfo.processInfo.environment["SSLKEYLOGFILE"], !path.isEmpty else {
            return nil
        }
        return path
    }

    /// Unknown names and impossible combinations are usage errors, found before anything runs.
    func validate() throws {
        var scratch = TLSCommonConfiguration()
        do {
            try applyNames(to: &scratch)
        } catch let error as CLIError {
            throw ValidationError(error.description)
        }
    }

    /// Applies the options to a configuration. Throws a one-line `CLIError` for any name it does not know.
    /// `environmentKeyLog`: honour SSLKEYLOGFILE when --keylog is absent.
    func apply(to common: inout TLSCommonConfiguration, environmentKeyLog: Bool = false) throws {
        try applyNames(to: &common)
        if legacy { printError(Self.legacyWarning) }
        if let path = keyLogPath(environment: environmentKeyLog) {
            let file = try KeyLogFile(path: path, source: keylog == nil ? "SSLKEYLOGFILE" : "--keylog")
            common.keyLog = { line in file.append(line) }
        }
    }

    /// Everything but the key log: versions, groups, suites, ALPN, EMS.
    private func applyNames(to common: inout TLSCommonConfiguration) throws {
        let protocols = Self.split(alpn)
        if protocols.contains(where: { $0.isEmpty || $0.utf8.count > 255 }) {
            throw CLIError("--alpn: protocol names must be 1 to 255 bytes long")
        }
        common.applicationProtocols = protocols
        if legacy {
            // Down to TLS 1.0 unless --min-version says otherwise; TLS 1.3 and 1.2 stay preferred.
            common.insecureLegacyVersions = .downToTLS10
            common.minimumVersion = .tls10
        }
        if let minVersion { common.minimumVersion = try Self.version(minVersion, option: "--min-version", legacy: legacy) }
        if let maxVersion {
            common.maximumVersion = try Self.version(maxVersion, option: "--max-version", legacy: legacy)
            // A lone --max-version below the default minimum lowers the minimum too.
            if minVersion == nil { common.minimumVersion = min(common.minimumVersion, common.maximumVersion) }
        }
        if common.minimumVersion > common.maximumVersion {
            throw CLIError("--min-version \(minVersion ?? "") is above --max-version \(maxVersion ?? "")")
        }
        common.requireExtendedMasterSecret = requireEMS
        if !groups.isEmpty { common.supportedGroups = try Self.split(groups).map(Self.group) }
        if !ciphers.isEmpty {
            common.cipherSuites = try Self.split(ciphers, separators: ",:").map { name throws(CLIError) in try Self.cipherSuite(name, legacy: legacy) }
        }
    }

    /// Splits repeated and comma-separated values into one trimmed list.
    static func split(_ values: [String], separators: String = ",") -> [String] {
        values.flatMap { $0.split(whereSeparator: { separators.contains($0) }) }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func version(_ text: String, option: String, legacy: Bool = false) throws(CLIError) -> ProtocolVersion {
        let unsupported = "is not supported (TLSKit speaks TLS 1.2 and 1.3; use 1.2 or 1.3)"
        let needsLegacy = "is off (deprecated by RFC 8996); add --legacy to allow it, insecurely"
        switch text.lowercased() {
        case "1.2", "tls1.2", "tlsv1.2", "tls1_2": return .tls12
        case "1.3", "tls1.3", "tlsv1.3", "tls1_3": return .tls13
        case "1.1", "tls1.1", "tlsv1.1", "tls1_1":
            if legacy { return .tls11 }
            throw CLIError("\(option) \(text): TLS 1.1 \(needsLegacy)")
        case "1.0", "tls1", "tls1.0", "tlsv1", "tlsv1.0", "tls1_0":
            if legacy { return .tls10 }
            throw CLIError("\(option) \(text): TLS 1.0 \(needsLegacy)")
        case "ssl3", "sslv3", "ssl3.0", "3.0": throw CLIError("\(option) \(text): SSL 3.0 \(unsupported) (never: POODLE, RFC 7568)")
        case "ssl2", "sslv2", "2.0": throw CLIError("\(option) \(text): SSL 2.0 \(unsupported)")
        default: throw CLIError("\(option): unknown TLS version '\(text)' (use 1.2 or 1.3)")
        }
    }

    static let groupNames: [String: NamedGroup] = [
        "x25519mlkem768": .X25519MLKEM768,
        "x25519": .x25519,
        "secp256r1": .secp256r1, "p-256": .secp256r1, "p256": .secp256r1, "prime256v1": .secp256r1,
        "secp384r1": .secp384r1, "p-384": .secp384r1, "p384": .secp384r1,
        "secp521r1": .secp521r1, "p-521": .secp521r1, "p521": .secp521r1,
    ]

    static func group(_ name: String) throws -> NamedGroup {
        guard let group = groupNames[name.lowercased()] else {
            throw CLIError("--groups: unknown group '\(name)' (use X25519MLKEM768, x25519, secp256r1, secp384r1 or secp521r1)")
        }
        return group
    }

    /// The suites TLSKit implements, by IANA name: TLS 1.3, then TLS 1.2 ECDHE with AEAD.
    static let suites: [CipherSuite] = [
        .TLS_AES_128_GCM_SHA256, .TLS_AES_256_GCM_SHA384, .TLS_CHACHA20_POLY1305_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// The suites `--legacy` adds: ECDHE with AES-CBC, and static RSA key exchange (offered by connect only).
    static let legacySuites: [CipherSuite] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
        .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
        .TLS_RSA_WITH_AES_128_CBC_SHA, .TLS_RSA_WITH_AES_256_CBC_SHA, .TLS_RSA_WITH_AES_128_CBC_SHA256,
        .TLS_RSA_WITH_AES_128_GCM_SHA256, .TLS_RSA_WITH_AES_256_GCM_SHA384,
    ]

    static func cipherSuite(_ name: String, legacy: Bool = false) throws(CLIError) -> CipherSuite {
        let allowed = legacy ? suites + legacySuites : suites
        guard let suite = allowed.first(where: { $0.description == name.uppercased() }) else {
            if legacySuites.contains(where: { $0.description == name.uppercased() }) {
                throw CLIError("--ciphers: \(name) is a legacy suite; add --legacy to allow it, insecurely")
            }
            let known = suites.map(\.description).joined(separator: ", ")
            throw CLIError("--ciphers: unknown cipher suite '\(name)' (use \(known))")
        }
        return suite
    }
}

/// `--cert F --key F`: an identity to present (the server's, or the client's when the server asks).
struct IdentityOptions: ParsableArguments {
    @Option(name: .customLong("cert"), help: ArgumentHelp("Certificate chain, PEM (leaf first).", valueName: "file"))
    var cert: String?

    @Option(name: .customLong("key"), help: ArgumentHelp("Private key for the certificate, PEM or DER.", valueName: "file"))
    var key: String?

    func validate() throws {
        if cert != nil && key == nil { throw ValidationError("--cert needs --key") }
        if key != nil && cert == nil { throw ValidationError("--key needs --cert") }
    }

    /// The loaded identity, or nil when neither option is given.
    func load() throws -> CertifiedKey? {
        switch (cert, key) {
        case (nil, nil): return nil
        case (let cert?, let key?): return try CertifiedKey(certificatePath: cert, keyPath: key)
        case (_?, nil): throw CLIError("--cert needs --key")
        case (nil, _?): throw CLIError("--key needs --cert")
        }
    }
}

/// Appends key log lines to a file, one at a time from any thread.
final class KeyLogFile: Sendable {
    private let handle: LockedFileDescriptor

    init(path: String, source: String = "--keylog") throws {
        // Key material: readable by the owner only.
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError("\(source): cannot open \(path): \(String(cString: strerror(errno)))") }
        handle = LockedFileDescriptor(fd: fd)
    }

    func append(_ line: String) {
        handle.write(line + "\n")
    }
}

/// A file descriptor written under a lock, so concurrent lines never interleave.
final class LockedFileDescriptor: @unchecked Sendable {
    private let lock = NSLock()
    private let fd: Int32

    init(fd: Int32) { self.fd = fd }

    func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        writeAll(fd, Array(text.utf8))
    }
}

/// Writes every byte to `fd`, retrying short writes; gives up silently on error (e.g. a closed pipe).
func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        offset += written
    }
}

/// One line on stderr (status, summaries, traces and errors never mix with relayed data on stdout).
func printError(_ line: String) {
    writeAll(2, Array((line + "\n").utf8))
}

/// One line on stdout.
func printOut(_ line: String) {
    writeAll(1, Array((line + "\n").utf8))
}
