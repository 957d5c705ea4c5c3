import CBenchSupport
import Crypto
import _CryptoExtras

/// The crypto floor of one full handshake pair (client and server together): the public-key operations and hashing
/// no implementation can skip, timed with the same swift-crypto primitives TLSKit calls (BoringSSL underneath).
/// - key exchange: X25519 keygen + agreement on each side (X25519MLKEM768: also ML-KEM-768 keygen, encapsulate,
///   decapsulate);
/// - the server's one signature (CertificateVerify / ServerKeyExchange: ECDSA P-256 or RSA-2048 PSS) and the
///   client's verification of it;
/// - the chain: two ECDSA P-256 SHA-256 verifies (leaf ← intermediate ← root, `make-certs.sh`);
/// - the hashing: SHA-256 over 4 KiB on each side, more than a transcript of this handshake (≈ 2–3 KB).
/// HKDF/HMAC of the key schedule are left out: they are the protocol's cost above the floor.
/// Returns the median CPU µs of `iterations` runs.
enum CryptoFloor {
    static func micros(_ setup: Setup, iterations: Int) throws -> Double {
        // Inputs prepared outside the timing: the server's signing key, a chain-sized message and its signature.
        let ecdsaKey = P256.Signing.PrivateKey()
        let rsaKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let certificateBody = [UInt8](repeating: 0x30, count: 500)    // a certificate's TBS, about
        let issuerKey = P256.Signing.PrivateKey()
        let chainSignature = try issuerKey.signature(for: certificateBody)
        let transcript = [UInt8](repeating: 0x16, count: 4096)
        let signedContent = [UInt8](repeating: 0x20, count: 130)        // CertificateVerify's content: 64 spaces, label, hash

        func once() throws {
            // Key exchange, both sides.
            let clientShare = Curve25519.KeyAgreement.PrivateKey()
            var mlkemClient: MLKEM768.PrivateKey? = nil
            if setup.group == .x25519MLKEM768 { mlkemClient = try MLKEM768.PrivateKey() }
            let serverShare = Curve25519.KeyAgreement.PrivateKey()
            _ = try serverShare.sharedSecretFromKeyAgreement(with: clientShare.publicKey)
            if let mlkemClient {
                let encapsulated = try mlkemClient.publicKey.encapsulate()
                _ = try mlkemClient.decapsulate(encapsulated.encapsulated)
            }
            _ = try clientShare.sharedSecretFromKeyAgreement(with: serverShare.publicKey)
            // The server's signature and its verification.
            switch setup.key {
            case .ecdsa:
                let signature = try ecdsaKey.signature(for: signedContent)
                guard ecdsaKey.publicKey.isValidSignature(signature, for: signedContent) else { throw BenchError("floor: ECDSA") }
            case .rsa:
                let signature = try rsaKey.signature(for: signedContent, padding: .PSS)
                guard rsaKey.publicKey.isValidSignature(signature, for: signedContent, padding: .PSS) else {
                    throw BenchError("floor: RSA")
                }
            }
            // The chain: leaf and intermediate signatures.
            for _ in 0..<2 {
                guard issuerKey.publicKey.isValidSignature(chainSignature, for: certificateBody) else { throw BenchError("floor: chain") }
            }
            // The transcript hashes, one per side.
            for _ in 0..<2 { _ = SHA256.hash(data: transcript) }
        }

        for _ in 0..<max(2, iterations / 10) { try once() }  // warm-up
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = bench_process_cpu_ns()
            try once()
            samples.append(Double(bench_process_cpu_ns() - start) / 1000)
        }
        return median(samples)
    }
}
