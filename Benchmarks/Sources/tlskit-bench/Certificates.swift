import Foundation

/// The PEM files `Benchmarks/make-certs.sh` writes: one P-256 root, and two leaves for "localhost" it issued.
struct BenchCertificates {
    let rootPEM: String
    let ecdsaCertificatePEM: String
    let ecdsaKeyPEM: String
    let rsaCertificatePEM: String
    let rsaKeyPEM: String

    init(directory: String) throws {
        func read(_ name: String) throws -> String {
            let path = directory + "/" + name
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw BenchError("missing \(path): run Benchmarks/make-certs.sh \(directory) (run.sh does)")
            }
            return text
        }
        rootPEM = try read("root.pem")
        ecdsaCertificatePEM = try read("ecdsa.pem")
        ecdsaKeyPEM = try read("ecdsa.key")
        rsaCertificatePEM = try read("rsa.pem")
        rsaKeyPEM = try read("rsa.key")
    }

    func leaf(_ key: KeyKind) -> (certificate: String, key: String) {
        key == .ecdsa ? (ecdsaCertificatePEM, ecdsaKeyPEM) : (rsaCertificatePEM, rsaKeyPEM)
    }
}

enum KeyKind: String { case ecdsa, rsa }
enum Group: String { case x25519, x25519MLKEM768 }
enum Cipher: String {
    case aes128gcm = "AES-128-GCM"
    case aes256gcm = "AES-256-GCM"
    case chacha20poly1305 = "ChaCha20-Poly1305"
}

/// What a connection is configured for: the version, the one group offered, the one suite, the server's key.
struct Setup {
    var version: Int          // 12 or 13
    var group: Group = .x25519
    var key: KeyKind = .ecdsa
    var cipher: Cipher = .aes128gcm
    /// TLSKit only: record protection on libcrypto's EVP AEAD (`LibcryptoAEADProvider`, trait SystemLibcryptoAEAD)
    /// instead of swift-crypto.
    var libcryptoAEAD = false

    var opensslCiphers: String {
        if version == 12 { return key == .ecdsa ? "ECDHE-ECDSA-AES128-GCM-SHA256" : "ECDHE-RSA-AES128-GCM-SHA256" }
        switch cipher {
        case .aes128gcm: return "TLS_AES_128_GCM_SHA256"
        case .aes256gcm: return "TLS_AES_256_GCM_SHA384"
        case .chacha20poly1305: return "TLS_CHACHA20_POLY1305_SHA256"
        }
    }
    var opensslGroups: String {
        let first = group == .x25519 ? "X25519" : "X25519MLKEM768"
        return version == 12 ? first + ":P-256" : first  // TLS 1.2: the ECDSA certificate's curve must be offered
    }
}
