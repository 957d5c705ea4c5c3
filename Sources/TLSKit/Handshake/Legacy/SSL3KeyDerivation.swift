import Crypto

/// SSL 3.0's key derivation (RFC 6101 §6.1, §6.2.2), which predates the PRF: block i is
/// MD5(secret + SHA-1(letter_i + secret + seed)), letter_i being 'A', 'BB', 'CCC', …. Kept for the legacy work of
/// issue 17: used by the SSL 3.0 client only (`InsecureLegacyVersions.downToSSL30IncludingPOODLEVulnerableSSL3`).
enum SSL3KeyDerivation {
    /// 26 letters, 16 bytes each: more than any cipher suite's key block (at most 2 × (20 + 32 + 16) = 136 bytes).
    static let maxLength = 26 * 16

    /// The first `length` bytes (at most `maxLength`) of the MD5(secret + SHA(…)) stream over `seed`.
    static func expand(secret: [UInt8], seed: [UInt8], length: Int) -> [UInt8] {
        let length = min(max(0, length), maxLength)
        var output: [UInt8] = []
        output.reserveCapacity(length + 16)
        var round = 0
        while output.count < length {
            let letter = [UInt8](repeating: UInt8(ascii: "A") + UInt8(round), count: round + 1)
            let inner = Array(Insecure.SHA1.hash(data: letter + secret + seed))
            output.append(contentsOf: Insecure.MD5.hash(data: secret + inner))
            round += 1
        }
        output.removeSubrange(length...)
        return output
    }

    /// RFC 6101 §6.1: the 48-byte master secret over ClientHello.random + ServerHello.random.
    static func masterSecret(preMasterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8]) -> [UInt8] {
        expand(secret: preMasterSecret, seed: clientRandom + serverRandom, length: 48)
    }

    /// RFC 6101 §6.2.2: the key block over ServerHello.random + ClientHello.random, cut as TLS 1.0's is.
    static func keyBlock(masterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8],
                         macKeyLength: Int, keyLength: Int, ivLength: Int) -> LegacyKeyBlock {
        let block = expand(secret: masterSecret, seed: serverRandom + clientRandom,
                           length: 2 * (macKeyLength + keyLength + ivLength))
        return LegacyKeyBlock(block, macKeyLength: macKeyLength, keyLength: keyLength, ivLength: ivLength)
    }

    /// RFC 6101 §5.6.9: md5_hash (16 bytes) ‖ sha_hash (20), each
    /// hash(master_secret + pad_2 + hash(handshake_messages + Sender + master_secret + pad_1)), Sender being
    /// 0x434C4E54 ("CLNT") for the client's Finished and 0x53525652 ("SRVR") for the server's.
    static func finished(masterSecret: [UInt8], handshakeMessages: [UInt8], client: Bool) -> [UInt8] {
        let sender: [UInt8] = client ? [0x43, 0x4C, 0x4E, 0x54] : [0x53, 0x52, 0x56, 0x52]
        return finishedHash(Insecure.MD5.self, pad: 48, masterSecret, handshakeMessages, sender)
            + finishedHash(Insecure.SHA1.self, pad: 40, masterSecret, handshakeMessages, sender)
    }

    private static func finishedHash<H: HashFunction>(_: H.Type, pad: Int, _ masterSecret: [UInt8], _ messages: [UInt8],
                                                      _ sender: [UInt8]) -> [UInt8] {
        var inner = H()
        inner.update(data: messages)
        inner.update(data: sender)
        inner.update(data: masterSecret)
        inner.update(data: [UInt8](repeating: 0x36, count: pad))
        var outer = H()
        outer.update(data: masterSecret)
        outer.update(data: [UInt8](repeating: 0x5c, count: pad))
        outer.update(data: Array(inner.finalize()))
        return Array(outer.finalize())
    }
}
