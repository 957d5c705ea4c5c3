import Crypto
import Foundation
import SwiftASN1
import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CertifiedKey {
    /// A fresh ECDSA P-256 identity for `dnsNames` and `ipAddresses` (EKU serverAuth and clientAuth), issued by a
    /// fresh throw-away root CA, valid from a minute ago for `validity` seconds. Returns the identity and the root
    /// certificate as PEM, so a peer can be told to trust it (`curl --cacert`, `openssl s_client -CAfile`).
    /// The root's key is discarded at once, so nothing else can ever be issued under it.
    public static func ephemeral(
        dnsNames: [String], ipAddresses: [String] = [], validity: TimeInterval = 7 * 24 * 3600, now: Date = Date()
    ) throws -> (identity: CertifiedKey, rootCertificatePEM: String) {
        let rootKey = P256.Signing.PrivateKey()
        let rootName = try DistinguishedName {
            OrganizationName("TLSKit")
            CommonName("TLSKit ephemeral root")
        }
        let root = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(rootKey.publicKey),
            notValidBefore: now - 60,
            notValidAfter: now + validity,
            issuer: rootName,
            subject: rootName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(rootKey.publicKey))
            },
            issuerPrivateKey: Certificate.PrivateKey(rootKey))

        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("TLSKit")
            CommonName(dnsNames.first ?? ipAddresses.first ?? "TLSKit ephemeral identity")
        }
        var altNames: [GeneralName] = dnsNames.map { .dnsName($0) }
        for address in ipAddresses {
            guard let bytes = ipAddressBytes(address) else {
                throw TLSConfigurationError("not an IP address: \(address)")
            }
            altNames.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
        }
        let leaf = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now - 60,
            notValidAfter: now + validity,
            issuer: rootName,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(altNames)
                // The key identifiers WebPKI verifiers require (TLSKit's own among them).
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
                AuthorityKeyIdentifier(
                    keyIdentifier: SubjectKeyIdentifier(hash: Certificate.PublicKey(rootKey.publicKey)).keyIdentifier)
            },
            issuerPrivateKey: Certificate.PrivateKey(rootKey))
        let identity = try CertifiedKey(chain: try CertificateChain(certificates: [leaf]), privateKey: ECDSAP256SigningKey(key))
        return (identity, try root.serializeAsPEM().pemString)
    }
}

/// The 4 or 16 network-order bytes of an IPv4 or IPv6 literal, or nil.
func ipAddressBytes(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
        return withUnsafeBytes(of: &v4) { Array($0) }
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 {
        return withUnsafeBytes(of: &v6) { Array($0) }
    }
    return nil
}
