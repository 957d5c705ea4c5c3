import SwiftASN1
import TLSCrypto
import X509

/// A certificate chain together with the private key for its leaf: what a server (or an authenticating client)
/// presents.
public struct CertifiedKey: Sendable {
    public let chain: CertificateChain
    public let privateKey: any SigningKey
    /// A DER OCSPResponse for the leaf, stapled when the client asks for it (status_request): in the leaf's
    /// CertificateEntry in TLS 1.3, as a CertificateStatus message in TLS 1.2. Refresh it before its nextUpdate;
    /// TLSKit sends it as given.
    public var ocspResponse: [UInt8]? = nil

    /// Pairs a chain with its key, checking that the key belongs to the leaf certificate.
    public init(chain: CertificateChain, privateKey: any SigningKey) throws(CertificateLoadingError) {
        try self.init(chain: chain, privateKey: privateKey, source: chain.leaf.map { "\($0.subject)" } ?? "empty chain")
    }

    /// Loads the chain (PEM bundle, leaf first, or one DER certificate) and key (PEM or DER) from files.
    public init(certificatePath: String, keyPath: String) throws(CertificateLoadingError) {
        try self.init(
            chain: CertificateChain(pemFile: certificatePath),
            privateKey: PrivateKeyLoader.load(file: keyPath),
            source: "\(keyPath) (certificate \(certificatePath))"
        )
    }

    /// Test seam: pairs an unparsed chain (see `CertificateChain(unparsedDER:)`) with its key, checking that the key's
    /// SubjectPublicKeyInfo is byte-for-byte the one in the leaf's TBSCertificate.
    init(unparsedChainDER: [[UInt8]], privateKey: any SigningKey) throws(CertificateLoadingError) {
        guard let leaf = unparsedChainDER.first,
              (try? subjectPublicKeyInfo(ofCertificate: leaf)) == privateKey.subjectPublicKeyInfo else {
            throw CertificateLoadingError(.keyMismatch, "private key does not match the unparsed certificate")
        }
        self.chain = CertificateChain(unparsedDER: unparsedChainDER)
        self.privateKey = privateKey
    }

    private init(chain: CertificateChain, privateKey: any SigningKey, source: String) throws(CertificateLoadingError) {
        guard let leaf = chain.leaf, Self.publicKey(of: leaf, matches: privateKey.subjectPublicKeyInfo) else {
            throw CertificateLoadingError(.keyMismatch, "private key does not match certificate in \(source)")
        }
        self.chain = chain
        self.privateKey = privateKey
    }

    /// Compares SubjectPublicKeyInfos. Equal DER is the common case; otherwise both are parsed and compared as
    /// keys, so an encoding difference (e.g. RSA parameters NULL vs absent) does not cause a false mismatch.
    static func publicKey(of leaf: Certificate, matches keySPKI: [UInt8]) -> Bool {
        var serializer = DER.Serializer()
        if (try? serializer.serialize(leaf.publicKey)) != nil, serializer.serializedBytes == keySPKI { return true }
        guard let keyPublic = try? Certificate.PublicKey(derEncoded: keySPKI) else { return false }
        return keyPublic == leaf.publicKey
    }
}
