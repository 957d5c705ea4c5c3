import Crypto

/// SSL 3.0's key derivation (RFC 6101 §6.1, §6.2.2), which predates the PRF: block i is
/// MD5(secret + SHA-1(letter_i + secret + seed)), letter_i being 'A', 'BB', 'CCC', …. Kept for the legacy work of
/// issue 17; SSL 3.0 itself stays refused (RFC 7568) and nothing calls this yet.
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
}
