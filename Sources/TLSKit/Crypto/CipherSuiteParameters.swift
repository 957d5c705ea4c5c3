/// What a TLS 1.3 cipher suite means to the engine: its AEAD and its hash (RFC 8446 §B.4).
struct TLS13SuiteParameters: Sendable {
    let suite: CipherSuite
    let aead: AEADAlgorithm
    let hash: HashAlgorithm

    init?(_ suite: CipherSuite) {
        switch suite {
        case .TLS_AES_128_GCM_SHA256: (aead, hash) = (.aes128GCM, .sha256)
        case .TLS_AES_256_GCM_SHA384: (aead, hash) = (.aes256GCM, .sha384)
        case .TLS_CHACHA20_POLY1305_SHA256: (aead, hash) = (.chacha20Poly1305, .sha256)
        default: return nil
        }
        self.suite = suite
    }

    /// RFC 8446 §5.5: records a single key may protect before it must be updated.
    /// AES-GCM: 2^24.5 full-size records; we rekey at 2^24 to stay clear of it. ChaCha20-Poly1305 has no practical
    /// limit below the 2^64 sequence space; we still rekey before the counter could wrap.
    var recordLimitPerKey: UInt64 {
        switch aead {
        case .aes128GCM, .aes256GCM: return 1 << 24
        case .chacha20Poly1305: return 1 << 60
        }
    }
}

/// What a TLS 1.2 ECDHE AEAD suite means to the engine (RFC 5289, RFC 7905).
struct TLS12SuiteParameters: Sendable {
    enum Authentication: Sendable { case ecdsa, rsa }

    let suite: CipherSuite
    let aead: AEADAlgorithm
    /// The PRF hash (and the transcript hash).
    let hash: HashAlgorithm
    let authentication: Authentication

    init?(_ suite: CipherSuite) {
        switch suite {
        case .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: (aead, hash, authentication) = (.aes128GCM, .sha256, .ecdsa)
        case .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: (aead, hash, authentication) = (.aes256GCM, .sha384, .ecdsa)
        case .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: (aead, hash, authentication) = (.chacha20Poly1305, .sha256, .ecdsa)
        case .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: (aead, hash, authentication) = (.aes128GCM, .sha256, .rsa)
        case .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: (aead, hash, authentication) = (.aes256GCM, .sha384, .rsa)
        case .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: (aead, hash, authentication) = (.chacha20Poly1305, .sha256, .rsa)
        default: return nil
        }
        self.suite = suite
    }

    /// AES-GCM uses a 4-byte implicit salt plus an 8-byte explicit nonce (RFC 5288 §3);
    /// ChaCha20-Poly1305 a 12-byte IV XORed with the sequence number (RFC 7905 §2).
    var fixedIVLength: Int { aead == .chacha20Poly1305 ? 12 : 4 }

    /// Whether a certificate key can authenticate this suite.
    func accepts(_ schemes: [SignatureScheme]) -> Bool {
        schemes.contains { scheme in
            switch authentication {
            case .ecdsa: return scheme == .ecdsa_secp256r1_sha256 || scheme == .ecdsa_secp384r1_sha384
                || scheme == .ecdsa_secp521r1_sha512 || scheme == .ed25519
            case .rsa: return [.rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512,
                               .rsa_pkcs1_sha256, .rsa_pkcs1_sha384, .rsa_pkcs1_sha512].contains(scheme)
            }
        }
    }
}
