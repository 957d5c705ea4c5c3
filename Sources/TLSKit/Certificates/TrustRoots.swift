import Foundation
import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The certificates a verifier treats as trust anchors.
public struct TrustRoots: Sendable, Hashable {
    public let certificates: [Certificate]
    /// SHA-256 over the roots' DER, computed once: what a session's verification policy is bound to.
    let fingerprint: [UInt8]
    /// `fingerprint` in hex, as the verifier's policy identifier names it (computed once, not per connection).
    let fingerprintHex: String
    /// The issuer lookup tables the path builder uses, built once here rather than for every verification.
    let index: CertificateIndex
    /// Loaded from the operating system's bundle (`system()`): its anchors are taken as the root program curated them,
    /// without TLSKit's encoding checks on the anchor itself (see CertificateProfilePolicy).
    var isSystemStore = false

    /// Bundle locations tried by `.system()`, in order (Debian/Ubuntu/Alpine, then Fedora/RHEL).
    public static let systemBundlePaths = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]

    public init(certificates: [Certificate]) {
        self.certificates = certificates
        self.fingerprint = Self.computeFingerprint(certificates)
        self.fingerprintHex = hex(fingerprint)
        self.index = CertificateIndex(certificates)
    }

    /// Reads every CERTIFICATE block of a PEM bundle. An empty bundle is an error: it would trust nothing.
    public init(pemFile path: String) throws(CertificateLoadingError) {
        let certificates: [Certificate]
        do {
            certificates = try CertificateChain(pemFile: path).certificates
        } catch where error.kind == .noCertificates {
            throw CertificateLoadingError(.noTrustRoots, "no PEM certificate blocks in trust root bundle \(path)")
        }
        self.init(certificates: certificates)
    }

    /// The operating system's trust store. Unlike swift-certificates' `CertificateStore.systemTrustRoots`, which
    /// silently yields an empty store, this throws when no bundle can be read or it contains no certificates.
    ///
    /// A bundle is read and parsed once per process and shared (`PeerVerification.systemTrustRoots` calls this for
    /// every client connection); it is read again only when the file's size, modification time or inode changed,
    /// which a `stat` per call detects. Thread-safe.
    public static func system(bundlePaths: [String] = systemBundlePaths) throws(CertificateLoadingError) -> TrustRoots {
        var problems: [String] = []
        for path in bundlePaths {
            do { return try TrustBundleCache.shared.roots(at: path) } catch { problems.append(error.message) }
        }
        throw CertificateLoadingError(
            .noTrustRoots,
            "no system trust roots could be loaded (\(problems.joined(separator: "; ")))"
        )
    }

    public static func == (lhs: TrustRoots, rhs: TrustRoots) -> Bool {
        lhs.index === rhs.index || lhs.certificates == rhs.certificates
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(certificates)
    }
}

/// Certificates grouped by subject, for issuer lookups during path building. Immutable once built.
final class CertificateIndex: Sendable {
    let bySubject: [DistinguishedName: [Certificate]]
    let all: Set<Certificate>

    init(_ certificates: [Certificate]) {
        self.bySubject = Dictionary(grouping: certificates, by: \.subject)
        self.all = Set(certificates)
    }
}

/// Trust bundles parsed by `TrustRoots.system()`, one entry per path, kept for the life of the process.
final class TrustBundleCache: @unchecked Sendable {
    static let shared = TrustBundleCache()

    /// What identifies one version of a file, as far as a cheap `stat` can tell.
    struct FileStamp: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int64
        var modifiedNanoseconds: Int64

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            #if canImport(Darwin)
            modifiedSeconds = Int64(info.st_mtimespec.tv_sec)
            modifiedNanoseconds = Int64(info.st_mtimespec.tv_nsec)
            #else
            modifiedSeconds = Int64(info.st_mtim.tv_sec)
            modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
            #endif
        }
    }

    private let lock = NSLock()
    private var entries: [String: (stamp: FileStamp, roots: TrustRoots)] = [:]
    private var reads: [String: Int] = [:]

    /// The parsed bundle at `path`: the cached one if the file looks unchanged, else read and parsed now. The lock
    /// is held while parsing, so concurrent first callers wait for one parse instead of each doing their own.
    func roots(at path: String) throws(CertificateLoadingError) -> TrustRoots {
        lock.lock()
        defer { lock.unlock() }
        // Stamped before reading: a file replaced mid-read is cached under the old stamp and read again next time.
        let stamp = FileStamp(path: path)
        if let stamp, let entry = entries[path], entry.stamp == stamp { return entry.roots }
        entries[path] = nil
        reads[path, default: 0] += 1
        var roots = try TrustRoots(pemFile: path)
        roots.isSystemStore = true
        if let stamp { entries[path] = (stamp, roots) }
        return roots
    }

    /// How many times the bundle at `path` was read and parsed (tests prove the cache with it).
    func readCount(_ path: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return reads[path] ?? 0
    }
}
