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

/// What a TLS 1.2 suite means to the engine: the ECDHE AEAD suites (RFC 5289, RFC 7905), and, only with
/// `insecureLegacyVersions`, the ECDHE AES-CBC + HMAC suites of TLS 1.0–1.2 (RFC 4492 §6, RFC 5289 §3.1) and, for the
/// client only, the static RSA key-exchange suites (RFC 5246 §7.4.7.1, RFC 5288).
struct TLS12SuiteParameters: Sendable {
    enum Authentication: Sendable { case ecdsa, rsa }
    /// `.rsa`: the client encrypts the premaster to the certificate's key (no ServerKeyExchange, no forward secrecy).
    enum KeyExchange: Sendable { case ecdhe, rsa }

    /// How the suite's records are protected.
    enum Protection: Sendable, Hashable {
        case aead(AEADAlgorithm)
        case cbc(CBCRecordProtection.Cipher, mac: LegacyMACAlgorithm)
    }

    let suite: CipherSuite
    let protection: Protection
    /// The PRF hash (and the transcript hash) in TLS 1.2; TLS 1.0/1.1 use their own PRF and MD5 ‖ SHA-1.
    let hash: HashAlgorithm
    let authentication: Authentication
    var keyExchange: KeyExchange = .ecdhe

    init?(_ suite: CipherSuite) {
        switch suite {
        case .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: (protection, hash, authentication) = (.aead(.aes128GCM), .sha256, .ecdsa)
        case .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: (protection, hash, authentication) = (.aead(.aes256GCM), .sha384, .ecdsa)
        case .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: (protection, hash, authentication) = (.aead(.chacha20Poly1305), .sha256, .ecdsa)
        case .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: (protection, hash, authentication) = (.aead(.aes128GCM), .sha256, .rsa)
        case .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: (protection, hash, authentication) = (.aead(.aes256GCM), .sha384, .rsa)
        case .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: (protection, hash, authentication) = (.aead(.chacha20Poly1305), .sha256, .rsa)
        // CBC (legacy only). The _SHA suites use the TLS 1.2 PRF with SHA-256 when TLS 1.2 is negotiated.
        case .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: (protection, hash, authentication) = (.cbc(.aes128, mac: .sha1), .sha256, .ecdsa)
        case .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: (protection, hash, authentication) = (.cbc(.aes256, mac: .sha1), .sha256, .ecdsa)
        case .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: (protection, hash, authentication) = (.cbc(.aes128, mac: .sha1), .sha256, .rsa)
        case .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: (protection, hash, authentication) = (.cbc(.aes256, mac: .sha1), .sha256, .rsa)
        case .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: (protection, hash, authentication) = (.cbc(.aes128, mac: .sha256), .sha256, .ecdsa)
        case .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: (protection, hash, authentication) = (.cbc(.aes256, mac: .sha384), .sha384, .ecdsa)
        case .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: (protection, hash, authentication) = (.cbc(.aes128, mac: .sha256), .sha256, .rsa)
        case .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: (protection, hash, authentication) = (.cbc(.aes256, mac: .sha384), .sha384, .rsa)
        // Static RSA key exchange: the client side only (see `legacyRSAKeyExchangeSuites`).
        case .TLS_RSA_WITH_AES_128_CBC_SHA: (protection, hash, authentication, keyExchange) = (.cbc(.aes128, mac: .sha1), .sha256, .rsa, .rsa)
        case .TLS_RSA_WITH_AES_256_CBC_SHA: (protection, hash, authentication, keyExchange) = (.cbc(.aes256, mac: .sha1), .sha256, .rsa, .rsa)
        case .TLS_RSA_WITH_AES_128_CBC_SHA256: (protection, hash, authentication, keyExchange) = (.cbc(.aes128, mac: .sha256), .sha256, .rsa, .rsa)
        case .TLS_RSA_WITH_AES_128_GCM_SHA256: (protection, hash, authentication, keyExchange) = (.aead(.aes128GCM), .sha256, .rsa, .rsa)
        case .TLS_RSA_WITH_AES_256_GCM_SHA384: (protection, hash, authentication, keyExchange) = (.aead(.aes256GCM), .sha384, .rsa, .rsa)
        default: return nil
        }
        self.suite = suite
    }

    /// Static RSA key exchange, offered by a legacy-enabled client after every ECDHE suite, to reach old servers with
    /// an RSA certificate (our TLS 1.0/1.1 client cannot verify an ECDHE_RSA signature, see `needsLegacyRSASignature`).
    /// A TLSKit server never selects these: it would have to decrypt the PKCS#1 v1.5 premaster, the padding oracle of
    /// Bleichenbacher (1998) and ROBOT (2017), and it would give up forward secrecy.
    static let legacyRSAKeyExchangeSuites: [CipherSuite] = [
        .TLS_RSA_WITH_AES_128_GCM_SHA256, .TLS_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_RSA_WITH_AES_128_CBC_SHA, .TLS_RSA_WITH_AES_256_CBC_SHA, .TLS_RSA_WITH_AES_128_CBC_SHA256,
    ]

    /// An ECDHE_RSA suite usable at TLS 1.0/1.1, where the ServerKeyExchange is signed RSA over MD5 ‖ SHA-1 without
    /// DigestInfo. swift-crypto has no public RSA operation nor that PKCS#1 mode, and we write no bignum, so our
    /// client cannot verify it: a client offering TLS 1.0/1.1 leaves these suites out (the server can still sign).
    var needsLegacyRSASignature: Bool { keyExchange == .ecdhe && authentication == .rsa && usable(in: .tls10) }

    /// The CBC suites, offered (after the configured ones) only when legacy versions are allowed: the _SHA ones for
    /// TLS 1.0–1.2, the _SHA256/_SHA384 ones for TLS 1.2 only.
    static let legacyCBCSuites: [CipherSuite] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
        .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    ]

    var isCBC: Bool { if case .cbc = protection { return true } else { return false } }

    /// The AEAD, for the AEAD suites.
    var aead: AEADAlgorithm? { if case .aead(let aead) = protection { return aead } else { return nil } }

    /// Whether this suite may be used with `version`: AEAD and SHA-256/384 CBC suites need TLS 1.2 (RFC 5246,
    /// RFC 5289); the SHA-1 CBC suites work from TLS 1.0, and in SSL 3.0 with static RSA key exchange only (ECDHE
    /// is not defined for SSL 3.0; the AES suites are RFC 3268's, which SSL 3.0 implementations adopted).
    func usable(in version: ProtocolVersion) -> Bool {
        switch protection {
        case .aead: return version == .tls12
        case .cbc(_, let mac):
            if version == .ssl3 { return mac == .sha1 && keyExchange == .rsa }
            return mac == .sha1 ? version >= .tls10 && version <= .tls12 : version == .tls12
        }
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

extension TLSCommonConfiguration {
    /// TLS 1.0 and/or 1.1 may be negotiated: the opt-in is set and `minimumVersion` is below TLS 1.2.
    var legacyVersionsEnabled: Bool { insecureLegacyVersions != nil && minimumVersion < .tls12 }

    /// SSL 3.0 may be offered and accepted (a client only; validation refuses it for a server): the second opt-in is
    /// set and `minimumVersion` is `.ssl3`.
    var ssl3Enabled: Bool { insecureLegacyVersions == .downToSSL30IncludingPOODLEVulnerableSSL3 && minimumVersion <= .ssl3 }

    /// The TLS 1.2-and-older ECDHE suites the server uses, in preference order: the configured ones (a CBC suite only
    /// when legacy versions are enabled), then, when they are, the CBC suites not already listed. Never a static RSA
    /// key-exchange suite, even configured: the server does not decrypt RSA premasters (Bleichenbacher, ROBOT).
    var tls12Suites: [TLS12SuiteParameters] {
        tls12Suites(adding: TLS12SuiteParameters.legacyCBCSuites).filter { $0.keyExchange == .ecdhe }
    }

    /// The suites the client offers for TLS 1.2 and older: as the server's, but with legacy versions enabled the
    /// ECDHE_RSA suites of TLS 1.0/1.1 give way to static RSA key exchange, after every ECDHE suite.
    var clientTLS12Suites: [TLS12SuiteParameters] {
        guard legacyVersionsEnabled else { return tls12Suites }
        let suites = tls12Suites(adding: TLS12SuiteParameters.legacyCBCSuites + TLS12SuiteParameters.legacyRSAKeyExchangeSuites)
            .filter { !$0.needsLegacyRSASignature }
        return suites.filter { $0.keyExchange == .ecdhe } + suites.filter { $0.keyExchange == .rsa }
    }

    /// The configured suites (legacy ones only when legacy versions are enabled), then `extra` not already listed.
    private func tls12Suites(adding extra: [CipherSuite]) -> [TLS12SuiteParameters] {
        let legacy = legacyVersionsEnabled
        var suites = cipherSuites.compactMap(TLS12SuiteParameters.init).filter { legacy || (!$0.isCBC && $0.keyExchange == .ecdhe) }
        if legacy {
            for suite in extra where !suites.contains(where: { $0.suite == suite }) {
                if let parameters = TLS12SuiteParameters(suite) { suites.append(parameters) }
            }
        }
        return suites
    }
}
