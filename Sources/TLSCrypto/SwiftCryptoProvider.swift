import Crypto
import TLSWire

/// The default `CryptoProvider`, built on swift-crypto (`Crypto` for hashes, HMAC/HKDF, AEADs, ECDH, ML-KEM,
/// ECDSA and Ed25519; `CryptoExtras` for RSA).
public struct SwiftCryptoProvider: CryptoProvider {
    public init() {}

    // MARK: Hashing

    public func makeHash(_ algorithm: HashAlgorithm) -> HashContext {
        switch algorithm {
        case .sha256: return SwiftCryptoHashContext<SHA256>(algorithm: .sha256)
        case .sha384: return SwiftCryptoHashContext<SHA384>(algorithm: .sha384)
        case .sha512: return SwiftCryptoHashContext<SHA512>(algorithm: .sha512)
        }
    }

    public func hmac(_ algorithm: HashAlgorithm, key: [UInt8], data: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: key)
        switch algorithm {
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: key))
        case .sha384: return Array(HMAC<SHA384>.authenticationCode(for: data, using: key))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: key))
        }
    }

    public func hkdfExtract(_ algorithm: HashAlgorithm, salt: [UInt8], inputKeyingMaterial: [UInt8]) -> [UInt8] {
        // RFC 5869 §2.2: a missing salt is HashLen zeros. (HMAC pads short keys with zeros anyway, but be explicit.)
        let salt = salt.isEmpty ? [UInt8](repeating: 0, count: algorithm.digestLength) : salt
        let ikm = SymmetricKey(data: inputKeyingMaterial)
        switch algorithm {
        case .sha256: return Array(HKDF<SHA256>.extract(inputKeyMaterial: ikm, salt: salt))
        case .sha384: return Array(HKDF<SHA384>.extract(inputKeyMaterial: ikm, salt: salt))
        case .sha512: return Array(HKDF<SHA512>.extract(inputKeyMaterial: ikm, salt: salt))
        }
    }

    public func hkdfExpand(_ algorithm: HashAlgorithm, pseudoRandomKey: [UInt8], info: [UInt8], length: Int) -> [UInt8] {
        // `length` comes from the engine's own constants (never the peer); swift-crypto traps beyond 255 × HashLen.
        let okm: SymmetricKey
        switch algorithm {
        case .sha256: okm = HKDF<SHA256>.expand(pseudoRandomKey: pseudoRandomKey, info: info, outputByteCount: length)
        case .sha384: okm = HKDF<SHA384>.expand(pseudoRandomKey: pseudoRandomKey, info: info, outputByteCount: length)
        case .sha512: okm = HKDF<SHA512>.expand(pseudoRandomKey: pseudoRandomKey, info: info, outputByteCount: length)
        }
        return okm.withUnsafeBytes { Array($0) }
    }

    // MARK: Record protection

    public func makeAEAD(_ algorithm: AEADAlgorithm, key: [UInt8]) throws(TLSError) -> any RecordAEAD {
        try SwiftCryptoAEAD(algorithm: algorithm, key: key)
    }

    // MARK: Key exchange

    public func supports(group: NamedGroup) -> Bool {
        KeyExchange.supportedGroups.contains(group)
    }

    public func generateKeyShare(_ group: NamedGroup, random: inout any RandomSource) throws(TLSError)
        -> any KeyShareSecret
    {
        try KeyExchange.generateKeyShare(group, random: &random)
    }

    public func respondToKeyShare(_ group: NamedGroup, peerShare: [UInt8], random: inout any RandomSource)
        throws(TLSError) -> (serverShare: [UInt8], sharedSecret: [UInt8])
    {
        try KeyExchange.respond(group, peerShare: peerShare, random: &random)
    }

    // MARK: Signatures

    public func verifySignature(
        scheme: SignatureScheme,
        subjectPublicKeyInfo: [UInt8],
        message: [UInt8],
        signature: [UInt8]
    ) throws(TLSError) {
        try SignatureVerifier.verify(
            scheme: scheme, subjectPublicKeyInfo: subjectPublicKeyInfo, message: message, signature: signature)
    }
}

/// A value-type incremental hash. swift-crypto's hashers are structs, so `finalize()` on a copy leaves
/// this context untouched and the transcript can keep growing.
struct SwiftCryptoHashContext<H: HashFunction & Sendable>: HashContext {
    let algorithm: HashAlgorithm
    private var hasher = H()

    init(algorithm: HashAlgorithm) {
        self.algorithm = algorithm
    }

    mutating func update(_ bytes: [UInt8]) {
        hasher.update(data: bytes)
    }

    func finalize() -> [UInt8] {
        let snapshot = hasher  // finalize() consumes its receiver; consume a copy
        return Array(snapshot.finalize())
    }
}
