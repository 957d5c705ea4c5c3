import Crypto
import Foundation
import SwiftASN1
import TLSWire
import X509

/// The peer authentication a session carries from the full handshake that created it into every resumption
/// (TLS 1.3 tickets, TLS 1.2 session IDs and tickets): a resumed connection is authenticated by the PSK or master
/// secret alone, so it can claim no more identity than the original handshake verified — and never less.
///
/// Both roles keep it: a server for the client certificate it verified (so that a listener requiring client
/// authentication never resumes an anonymous session, RFC 8446 §4.6.1 / RFC 5077 §4), a client for the server chain
/// it verified (so that a session verified under one policy is not resumed under a stricter one). The checks follow
/// Go's crypto/tls (`checkForResumption`, `loadSession`) and BoringSSL's session-ID context.
struct SessionAuthentication: Equatable, Sendable {
    /// The peer's chain as it sent it (DER, leaf first); empty when the peer did not authenticate.
    var peerCertificates: [[UInt8]] = []
    /// SHA-256 of the `policyIdentifier` of the verifier that accepted the chain (empty without a chain).
    var verifierDigest: [UInt8] = []
    /// The leaf's notAfter in milliseconds since 1970: past it the session no longer authenticates anyone.
    var peerNotAfter: UInt64 = 0
    /// The scheme the peer signed its CertificateVerify (or TLS 1.2 ServerKeyExchange) with.
    var peerSignatureScheme: SignatureScheme? = nil

    /// No peer authentication (a server that did not ask for a certificate, or a client that sent none).
    static let anonymous = SessionAuthentication()

    var isAuthenticated: Bool { !peerCertificates.isEmpty }

    /// The authentication of a chain `verifier` has just accepted (nil for an empty chain); `leafNotAfter` from the
    /// verifier's validated chain. A leaf that X.509 cannot parse (a custom verifier, e.g. pinning, may accept one)
    /// has no known expiry: the session lifetime bounds it.
    init?(verifiedChain chain: [[UInt8]], leafNotAfter: Date?, policyDigest: [UInt8], signatureScheme: SignatureScheme?) {
        guard let leafDER = chain.first else { return nil }
        peerCertificates = chain
        verifierDigest = policyDigest
        // The verifier's parsed leaf when it returned one (no second parse), else the DER.
        let notAfter = leafNotAfter ?? (try? Certificate(derEncoded: leafDER))?.notValidAfter
        peerNotAfter = notAfter.map(milliseconds) ?? UInt64.max
        peerSignatureScheme = signatureScheme
    }

    init() {}

    /// Whether a connection whose verifier is `verifier` may resume a session with this authentication at `now`:
    /// the chain was accepted by the same verification policy and the leaf has not expired since.
    func stillValid(policyDigest: [UInt8]?, now: Date) -> Bool {
        guard isAuthenticated else { return true }
        guard let policyDigest, constantTimeEquals(verifierDigest, policyDigest) else { return false }
        return milliseconds(now) < peerNotAfter
    }

    /// The policy a connection verifies its peer with: the verifier's identifier, and for a client whether it checks
    /// the server's name (a session from a connection that skipped that check must not serve one that does not).
    static func policyDigest(verifier: any CertificateVerifier, checksServerIdentity: Bool) -> [UInt8] {
        let policy = verifier.policyIdentifier + (checksServerIdentity ? "" : "|no-server-identity-check")
        return Array(SHA256.hash(data: Array(policy.utf8)))
    }

    // MARK: Encoding (inside sealed tickets and the session-ID cache)

    func encode(into writer: inout ByteWriter) {
        writer.writeVector24 { chainWriter in
            for certificate in peerCertificates { chainWriter.writeVector24(bytes: certificate) }
        }
        writer.writeVector8(bytes: verifierDigest)
        writer.writeUInt32(UInt32(truncatingIfNeeded: peerNotAfter >> 32))
        writer.writeUInt32(UInt32(truncatingIfNeeded: peerNotAfter))
        writer.writeUInt16(peerSignatureScheme?.rawValue ?? 0)
    }

    init(decoding reader: inout ByteReader) throws(TLSError) {
        var chainReader = try reader.readVector24Reader()
        while !chainReader.isEmpty {
            peerCertificates.append(try chainReader.readVector24())
        }
        verifierDigest = try reader.readVector8()
        peerNotAfter = UInt64(try reader.readUInt32()) << 32 | UInt64(try reader.readUInt32())
        let scheme = try reader.readUInt16()
        peerSignatureScheme = scheme == 0 ? nil : SignatureScheme(rawValue: scheme)
    }
}

extension TLSConnection {
    /// Server: may this connection resume a session whose client authentication is `authentication`? As Go does:
    /// a listener that requires a client certificate never resumes a session without a verified one; a listener that
    /// asks for none does not resume a session that carries one; a carried chain must have been accepted by the same
    /// verification policy and must not have expired. Refusing only means a full handshake.
    func serverMayResume(clientAuthentication authentication: SessionAuthentication) -> Bool {
        guard case .server(let configuration) = endpoint else { return false }
        switch configuration.clientAuthentication {
        case .none:
            return !authentication.isAuthenticated
        case .optional:
            return authentication.stillValid(policyDigest: verificationPolicyDigest, now: common.now())
        case .required:
            return authentication.isAuthenticated && authentication.stillValid(policyDigest: verificationPolicyDigest, now: common.now())
        }
    }

    /// Client: may this connection resume `session`? Only a session whose server was verified by the same policy
    /// (never one from a connection that skipped verification, unless this one skips it too), for the same name,
    /// whose server certificate has not expired since (Go refuses these too).
    func clientMayResume(_ session: ClientSession, serverName: String) -> Bool {
        guard session.serverName == serverName else { return false }
        guard session.serverAuthentication.isAuthenticated else { return false }
        return session.serverAuthentication.stillValid(policyDigest: verificationPolicyDigest, now: common.now())
    }

    /// The digest of this connection's verification policy (nil without a verifier); `verificationPolicyDigest`
    /// keeps it, computed at the first use (a client computes it for every cached session it looks at).
    func computeVerificationPolicyDigest() -> [UInt8]? {
        guard let verifier else { return nil }
        var checksServerIdentity = true
        if case .client(let configuration) = endpoint, configuration.insecureSkipServerIdentityCheck { checksServerIdentity = false }
        return SessionAuthentication.policyDigest(verifier: verifier, checksServerIdentity: checksServerIdentity)
    }

    /// The peer's authentication once its chain has been accepted by our verifier.
    func verifiedAuthentication(chain: [[UInt8]], signatureScheme: SignatureScheme?) -> SessionAuthentication {
        guard !chain.isEmpty, let policyDigest = verificationPolicyDigest,
              let authentication = SessionAuthentication(
                verifiedChain: chain, leafNotAfter: verifiedLeafNotAfter, policyDigest: policyDigest, signatureScheme: signatureScheme)
        else { return .anonymous }
        return authentication
    }
}

// MARK: - Policy identifiers of the built-in verifiers

extension CertificateVerifier {
    /// By default a verifier type is one policy. Override when instances of a type apply different policies.
    public var policyIdentifier: String { "type:" + String(reflecting: Self.self) }
}

extension X509CertificateVerifier {
    /// The trust roots (by content), the OCSP failure mode and the CRLs (by content): two verifiers with the same
    /// roots and CRLs accept the same chains.
    public var policyIdentifier: String {
        let base = "x509:" + trustRoots.fingerprintHex + (ocspFailureMode == .hard ? ":ocsp-hard" : ":ocsp-soft")
        guard !crls.isEmpty else { return base }
        return base + ":crls-" + crls.map { hex(Array(SHA256.hash(data: $0.derEncoded))) }.joined(separator: ",")
    }
}

extension InsecureNoVerification {
    public var policyIdentifier: String { "insecure-no-verification" }
}

extension TrustRoots {
    /// SHA-256 over the DER of every root, in order: identifies the trust store by content, the same in every
    /// process that loads the same roots (servers in a fleet share tickets).
    static func computeFingerprint(_ certificates: [Certificate]) -> [UInt8] {
        var hasher = SHA256()
        for certificate in certificates {
            var serializer = DER.Serializer()
            if (try? serializer.serialize(certificate)) != nil {
                hasher.update(data: serializer.serializedBytes)
            }
        }
        return Array(hasher.finalize())
    }
}
