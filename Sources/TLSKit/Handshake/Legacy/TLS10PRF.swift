/// The TLS 1.0 and TLS 1.1 pseudo-random function (RFC 2246 §5, unchanged in RFC 4346 §5):
/// PRF(secret, label, seed) = P_MD5(S1, label + seed) XOR P_SHA-1(S2, label + seed), where S1 and S2 are the first and
/// last ceil(len/2) bytes of the secret (sharing the middle byte when the length is odd). Legacy versions only.
struct TLS10PRF: Sendable {
    func callAsFunction(secret: [UInt8], label: String, seed: [UInt8], length: Int) -> [UInt8] {
        let half = (secret.count + 1) / 2
        let s1 = Array(secret.prefix(half))
        let s2 = Array(secret.suffix(half))
        let labelAndSeed = Array(label.utf8) + seed
        let md5 = LegacyMACAlgorithm.md5.keyed(s1)
        let sha1 = LegacyMACAlgorithm.sha1.keyed(s2)
        // The same P_hash as TLS 1.2's PRF, once with each hash.
        var output = TLS12PRF.pHash(seed: labelAndSeed, length: length, digestLength: 16, mac: md5.authenticationCode)
        let other = TLS12PRF.pHash(seed: labelAndSeed, length: length, digestLength: 20, mac: sha1.authenticationCode)
        for i in 0..<min(output.count, other.count) { output[i] ^= other[i] }
        return output
    }

    /// RFC 2246 §8.1: master_secret = PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random).
    func masterSecret(preMasterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8]) -> [UInt8] {
        self(secret: preMasterSecret, label: "master secret", seed: clientRandom + serverRandom, length: 48)
    }

    /// RFC 2246 §6.3 / RFC 4346 §6.3: the MAC secrets, keys and (TLS 1.0 only; `ivLength` 0 for TLS 1.1) IVs, in order.
    func keyBlock(masterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8],
                  macKeyLength: Int, keyLength: Int, ivLength: Int) -> LegacyKeyBlock {
        let block = self(secret: masterSecret, label: "key expansion", seed: serverRandom + clientRandom,
                         length: 2 * (macKeyLength + keyLength + ivLength))
        return LegacyKeyBlock(block, macKeyLength: macKeyLength, keyLength: keyLength, ivLength: ivLength)
    }

    /// RFC 2246 §7.4.9: verify_data = PRF(master_secret, finished_label, MD5(handshake_messages) +
    /// SHA-1(handshake_messages))[0..11]; `transcriptHash` is that 36-byte concatenation.
    func finishedVerifyData(masterSecret: [UInt8], client: Bool, transcriptHash: [UInt8]) -> [UInt8] {
        self(secret: masterSecret, label: client ? "client finished" : "server finished", seed: transcriptHash, length: 12)
    }
}

/// The key block of a CBC suite cut into its six parts (RFC 2246 §6.3, RFC 4346 §6.3, RFC 6101 §6.2.2).
struct LegacyKeyBlock: Sendable, Equatable {
    var clientMACKey: [UInt8]
    var serverMACKey: [UInt8]
    var clientKey: [UInt8]
    var serverKey: [UInt8]
    var clientIV: [UInt8]
    var serverIV: [UInt8]

    /// `block` holds 2 × (macKeyLength + keyLength + ivLength) bytes (the PRF was asked for exactly that).
    init(_ block: [UInt8], macKeyLength: Int, keyLength: Int, ivLength: Int) {
        var rest = block[...]
        func take(_ n: Int) -> [UInt8] {
            let part = Array(rest.prefix(n))
            rest = rest.dropFirst(n)
            return part
        }
        clientMACKey = take(macKeyLength)
        serverMACKey = take(macKeyLength)
        clientKey = take(keyLength)
        serverKey = take(keyLength)
        clientIV = take(ivLength)
        serverIV = take(ivLength)
    }
}
