import Foundation
import X509

/// The certificates a verifier treats as trust anchors.
public struct TrustRoots: Sendable, Hashable {
    public let certificates: [Certificate]
    /// SHA-256 over the roots' DER, computed once: what a session's verification policy is bound to.
    let fingerprint: [UInt8]

    /// Bundle locations tried by `.system()`, in order (Debian/Ubuntu/Alpine, then Fedora/RHEL).
    public static let systemBundlePaths = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]

    public init(certificates: [Certificate]) {
        self.certificates = certificates
        self.fingerprint = Self.computeFingerprint(certificates)
    }

    /// Reads every CERTIFICATE block of a PEM bundle. An empty bundle is an error: it would trust nothing.
    public init(pemFile path: String) throws(CertificateLoadingError) {
        do {
            self.init(certificates: try CertificateChain(pemFile: path).certificates)
        } catch where error.kind == .noCertificates {
            throw CertificateLoadingError(.noTrustRoots, "no PEM certificate blocks in trust root bundle \(path)")
        }
    }

    /// The operating system's trust store. Unlike swift-certificates' `CertificateStore.systemTrustRoots`, which
    /// silently yields an empty store, this throws when no bundle can be read or it contains no certificates.
    public static func system(bundlePaths: [String] = systemBundlePaths) throws(CertificateLoadingError) -> TrustRoots {
        var problems: [String] = []
        for path in bundlePaths {
            do { return try TrustRoots(pemFile: path) } catch { problems.append(error.message) }
        }
        throw CertificateLoadingError(
            .noTrustRoots,
            "no system trust roots could be loaded (\(problems.joined(separator: "; ")))"
        )
    }
}
