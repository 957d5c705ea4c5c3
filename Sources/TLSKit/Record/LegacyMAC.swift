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

/// An HMAC with its key set, over the legacy MAC algorithms.
struct LegacyHMAC: Sendable {
    private enum Keyed: Sendable {
        case md5(HMAC<Insecure.MD5>)
        case sha1(HMAC<Insecure.SHA1>)
        case sha256(HMAC<SHA256>)
        case sha384(HMAC<SHA384>)
    }

    let algorithm: LegacyMACAlgorithm
    private let keyed: Keyed

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
        }
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
