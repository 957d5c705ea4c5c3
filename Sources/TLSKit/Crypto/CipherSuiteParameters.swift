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
