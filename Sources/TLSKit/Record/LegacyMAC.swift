import Crypto

/// The HMACs of the legacy CBC suites (RFC 2246 §6.2.3.1, RFC 5246 §6.2.3.1) and the hashes of the TLS 1.0/1.1 PRF.
/// A type apart from `HashAlgorithm`, so MD5 and SHA-1 can never be chosen for a transcript, a signature or HKDF, and
/// the public crypto seam does not grow for them. Nothing uses it unless legacy versions are asked for (issue 17).
enum LegacyMACAlgorithm: Sendable, Hashable {
    case md5
    case sha1
    case sha256
    case sha384

    var digestLength: Int {
        switch self {
        case .md5: return 16
        case .sha1: return 20
        case .sha256: return 32
        case .sha384: return 48
        }
    }

    /// The hash's input block: the unit the compression function consumes (what the record MAC's timing counts).
    var blockLength: Int { self == .sha384 ? 128 : 64 }

    /// Bytes the hash's final padding spends on the message length (64-bit, or 128-bit for SHA-384).
    var lengthFieldLength: Int { self == .sha384 ? 16 : 8 }

    /// Compression-function calls HMAC's inner hash makes for a message of `messageLength` bytes: the key block,
    /// then the message with at least one 0x80 byte and the length field (the outer hash is the same for all).
    func innerCompressions(messageLength: Int) -> Int {
        let hashed = blockLength + messageLength + 1 + lengthFieldLength
        return (hashed + blockLength - 1) / blockLength
    }

    func keyed(_ key: [UInt8]) -> LegacyHMAC { LegacyHMAC(algorithm: self, key: key) }
}

/// An HMAC with its key set, over the legacy MAC algorithms — or SSL 3.0's MAC, HMAC's predecessor (`ssl3`).
struct LegacyHMAC: Sendable {
    private enum Keyed: Sendable {
        case md5(HMAC<Insecure.MD5>)
        case sha1(HMAC<Insecure.SHA1>)
        case sha256(HMAC<SHA256>)
        case sha384(HMAC<SHA384>)
        /// SSL 3.0 (RFC 6101 §5.2.3.1): hash(secret + pad_2 + hash(secret + pad_1 + data)), the pads 48 bytes for
        /// MD5 and 40 for SHA-1: concatenated to the key, not XORed into it as HMAC's are.
        case ssl3(key: [UInt8])
    }

    let algorithm: LegacyMACAlgorithm
    private let keyed: Keyed

    /// SSL 3.0's pad_1 / pad_2 length for `algorithm` (only MD5 and SHA-1 are defined).
    static func ssl3PadLength(_ algorithm: LegacyMACAlgorithm) -> Int { algorithm == .md5 ? 48 : 40 }

    /// SSL 3.0's MAC over MD5 or SHA-1 (RFC 6101 §5.2.3.1); nil for any other hash.
    static func ssl3(_ algorithm: LegacyMACAlgorithm, key: [UInt8]) -> LegacyHMAC? {
        guard algorithm == .md5 || algorithm == .sha1 else { return nil }
        return LegacyHMAC(algorithm: algorithm, keyed: .ssl3(key: key))
    }

    private init(algorithm: LegacyMACAlgorithm, keyed: Keyed) {
        self.algorithm = algorithm
        self.keyed = keyed
    }

    var isSSL3: Bool { if case .ssl3 = keyed { return true } else { return false } }

    /// Compression-function calls the inner hash makes for a message of `messageLength` bytes: what is hashed in
    /// front of the message is HMAC's key block, or SSL 3.0's secret + pad_1 (60 bytes for SHA-1, 64 for MD5).
    func innerCompressions(messageLength: Int) -> Int {
        guard case .ssl3(let key) = keyed else { return algorithm.innerCompressions(messageLength: messageLength) }
        let hashed = key.count + Self.ssl3PadLength(algorithm) + messageLength + 1 + algorithm.lengthFieldLength
        return (hashed + algorithm.blockLength - 1) / algorithm.blockLength
    }

    init(algorithm: LegacyMACAlgorithm, key: [UInt8]) {
        self.algorithm = algorithm
        let key = SymmetricKey(data: key)
        switch algorithm {
        case .md5: keyed = .md5(HMAC(key: key))
        case .sha1: keyed = .sha1(HMAC(key: key))
        case .sha256: keyed = .sha256(HMAC(key: key))
        case .sha384: keyed = .sha384(HMAC(key: key))
        }
    }

    func authenticationCode(_ data: [UInt8]) -> [UInt8] { authenticationCode(data, ArraySlice()) }

    /// HMAC(key, prefix || body), without joining the two.
    func authenticationCode(_ prefix: [UInt8], _ body: ArraySlice<UInt8>) -> [UInt8] {
        switch keyed {
        case .md5(let mac): return Self.code(mac, prefix, body)
        case .sha1(let mac): return Self.code(mac, prefix, body)
        case .sha256(let mac): return Self.code(mac, prefix, body)
        case .sha384(let mac): return Self.code(mac, prefix, body)
        case .ssl3(let key):
            let pad = Self.ssl3PadLength(algorithm)
            switch algorithm {
            case .md5: return Self.ssl3Code(Insecure.MD5.self, key: key, pad: pad, prefix, body)
            default: return Self.ssl3Code(Insecure.SHA1.self, key: key, pad: pad, prefix, body)
            }
        }
    }

    /// hash(key + pad_2 + hash(key + pad_1 + prefix + body)), with swift-crypto's hashes.
    static func ssl3Code<H: HashFunction>(_: H.Type, key: [UInt8], pad: Int, _ prefix: [UInt8], _ body: ArraySlice<UInt8>) -> [UInt8] {
        var inner = H()
        inner.update(data: key)
        inner.update(data: [UInt8](repeating: 0x36, count: pad))
        inner.update(data: prefix)
        inner.update(data: body)
        var outer = H()
        outer.update(data: key)
        outer.update(data: [UInt8](repeating: 0x5c, count: pad))
        outer.update(data: Array(inner.finalize()))
        return Array(outer.finalize())
    }

    /// Runs the hash's compression function `count` more times on throwaway input, so a MAC over a shorter message
    /// costs as much as one over the longest (the Lucky Thirteen countermeasure in `CBCRecordProtection`).
    func burnCompressions(_ count: Int) {
        let block = [UInt8](repeating: 0, count: algorithm.blockLength)
        switch keyed {
        case .md5: Self.burn(Insecure.MD5(), block, count)
        case .sha1: Self.burn(Insecure.SHA1(), block, count)
        case .sha256: Self.burn(SHA256(), block, count)
        case .sha384: Self.burn(SHA384(), block, count)
        case .ssl3:
            if algorithm == .md5 { Self.burn(Insecure.MD5(), block, count) } else { Self.burn(Insecure.SHA1(), block, count) }
        }
    }

    private static func code<H: HashFunction>(_ keyed: HMAC<H>, _ prefix: [UInt8], _ body: ArraySlice<UInt8>) -> [UInt8] {
        var mac = keyed
        mac.update(data: prefix)
        mac.update(data: body)
        return Array(mac.finalize())
    }

    private static func burn<H: HashFunction>(_ hash: H, _ block: [UInt8], _ count: Int) {
        var hash = hash
        // Whole blocks into an empty buffer: each update is one compression.
        for _ in 0..<max(0, count) { hash.update(data: block) }
        _ = hash.finalize()
    }
}
