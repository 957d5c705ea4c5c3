/// The TLS 1.2 pseudo-random function (RFC 5246 §5): P_hash(secret, label || seed) with HMAC.
/// With `legacy` (TLS 1.0/1.1) it is the TLS 1.0 PRF (`TLS10PRF`, MD5 ⊕ SHA-1) and `hash` is unused by it; every
/// derivation below (master secret, EMS, key block, Finished) is the same in both, only the PRF differs.
struct TLS12PRF: Sendable {
    let provider: any CryptoProvider
    let hash: HashAlgorithm
    let legacy: Bool
    /// SSL 3.0: no PRF at all; the master secret, key block and Finished are `SSL3KeyDerivation`'s (RFC 6101).
    let ssl3: Bool

    init(provider: any CryptoProvider, hash: HashAlgorithm, version: ProtocolVersion = .tls12) {
        self.provider = provider
        self.hash = hash
        self.legacy = version < .tls12
        self.ssl3 = version == .ssl3
    }

    func callAsFunction(secret: [UInt8], label: String, seed: [UInt8], length: Int) -> [UInt8] {
        if legacy { return TLS10PRF()(secret: secret, label: label, seed: seed, length: length) }
        let mac = provider.makeHMAC(hash, key: secret)  // one key for every block
        return Self.pHash(seed: Array(label.utf8) + seed, length: length, digestLength: hash.digestLength,
                          mac: mac.authenticationCode)
    }

    /// P_hash (RFC 5246 §5, RFC 2246 §5): HMAC(secret, A(i) || seed) for A(0) = seed, A(i) = HMAC(secret, A(i-1)),
    /// cut to `length`. `mac` is HMAC already keyed with the secret; the TLS 1.0/1.1 PRF uses this with MD5 and SHA-1.
    static func pHash(seed: [UInt8], length: Int, digestLength: Int, mac: ([UInt8]) -> [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(length + digestLength)
        var a = seed   // A(0)
        while output.count < length {
            a = mac(a)
            output.append(contentsOf: mac(a + seed))
        }
        output.removeSubrange(length...)
        return output
    }

    /// RFC 7627 §4: master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47].
    func extendedMasterSecret(preMasterSecret: [UInt8], sessionHash: [UInt8]) -> [UInt8] {
        self(secret: preMasterSecret, label: "extended master secret", seed: sessionHash, length: 48)
    }

    /// RFC 5246 §8.1, for peers without extended_master_secret (only when the configuration allows them).
    func legacyMasterSecret(preMasterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8]) -> [UInt8] {
        if ssl3 { return SSL3KeyDerivation.masterSecret(preMasterSecret: preMasterSecret, clientRandom: clientRandom, serverRandom: serverRandom) }
        return self(secret: preMasterSecret, label: "master secret", seed: clientRandom + serverRandom, length: 48)
    }

    /// RFC 5246 §6.3 / RFC 2246 §6.3 for the CBC suites: the MAC keys first, IVs only for TLS 1.0 (`ivLength` 0 otherwise).
    func cbcKeyBlock(masterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8], macKeyLength: Int,
                     keyLength: Int, ivLength: Int) -> LegacyKeyBlock {
        if ssl3 {
            return SSL3KeyDerivation.keyBlock(masterSecret: masterSecret, clientRandom: clientRandom, serverRandom: serverRandom,
                                              macKeyLength: macKeyLength, keyLength: keyLength, ivLength: ivLength)
        }
        let block = self(secret: masterSecret, label: "key expansion", seed: serverRandom + clientRandom,
                         length: 2 * (macKeyLength + keyLength + ivLength))
        return LegacyKeyBlock(block, macKeyLength: macKeyLength, keyLength: keyLength, ivLength: ivLength)
    }

    /// RFC 5246 §6.3: client_write_key, server_write_key, client_write_IV, server_write_IV (AEAD: no MAC keys).
    func keyBlock(masterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8], keyLength: Int, ivLength: Int)
        -> (clientKey: [UInt8], serverKey: [UInt8], clientIV: [UInt8], serverIV: [UInt8])
    {
        let block = self(secret: masterSecret, label: "key expansion", seed: serverRandom + clientRandom,
                         length: 2 * keyLength + 2 * ivLength)
        var offset = 0
        func take(_ n: Int) -> [UInt8] {
            defer { offset += n }
            return Array(block[offset..<(offset + n)])
        }
        return (take(keyLength), take(keyLength), take(ivLength), take(ivLength))
    }

    /// RFC 5246 §7.4.9: verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11].
    func finishedVerifyData(masterSecret: [UInt8], client: Bool, transcriptHash: [UInt8]) -> [UInt8] {
        self(secret: masterSecret, label: client ? "client finished" : "server finished", seed: transcriptHash, length: 12)
    }

    /// The Finished of `client` (or the server) over `transcript`: the PRF's 12 bytes, or SSL 3.0's 36 (RFC 6101
    /// §5.6.9), which hash the messages themselves rather than their hash.
    func finishedVerifyData(masterSecret: [UInt8], client: Bool, transcript: Transcript) -> [UInt8] {
        if ssl3 { return SSL3KeyDerivation.finished(masterSecret: masterSecret, handshakeMessages: transcript.messages ?? [], client: client) }
        return finishedVerifyData(masterSecret: masterSecret, client: client, transcriptHash: transcript.currentHash)
    }
}
