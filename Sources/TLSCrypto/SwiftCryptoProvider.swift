import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
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
        case .sha256: return bytes(of: HMAC<SHA256>.authenticationCode(for: data, using: key))
        case .sha384: return bytes(of: HMAC<SHA384>.authenticationCode(for: data, using: key))
        case .sha512: return bytes(of: HMAC<SHA512>.authenticationCode(for: data, using: key))
        }
    }

    public func hkdfExtract(_ algorithm: HashAlgorithm, salt: [UInt8], inputKeyingMaterial: [UInt8]) -> [UInt8] {
        // RFC 5869 §2.2: a missing salt is HashLen zeros. (HMAC pads short keys with zeros anyway, but be explicit.)
        let salt = salt.isEmpty ? [UInt8](repeating: 0, count: algorithm.digestLength) : salt
        let ikm = SymmetricKey(data: inputKeyingMaterial)
        switch algorithm {
        case .sha256: return bytes(of: HKDF<SHA256>.extract(inputKeyMaterial: ikm, salt: salt))
        case .sha384: return bytes(of: HKDF<SHA384>.extract(inputKeyMaterial: ikm, salt: salt))
        case .sha512: return bytes(of: HKDF<SHA512>.extract(inputKeyMaterial: ikm, salt: salt))
        }
    }

    public func makeHMAC(_ algorithm: HashAlgorithm, key: [UInt8]) -> any KeyedHMAC {
        let key = SymmetricKey(data: key)
        switch algorithm {
        case .sha256: return SwiftCryptoKeyedHMAC(algorithm: algorithm, keyed: HMAC<SHA256>(key: key))
        case .sha384: return SwiftCryptoKeyedHMAC(algorithm: algorithm, keyed: HMAC<SHA384>(key: key))
        case .sha512: return SwiftCryptoKeyedHMAC(algorithm: algorithm, keyed: HMAC<SHA512>(key: key))
        }
    }

    /// HKDF-Expand on one keyed swift-crypto HMAC (`KeyedHMAC.hkdfExpand`); swift-crypto's `HKDF.expand` re-keys an
    /// HMAC for every block and copies through SecureBytes. Checked against RFC 5869 and `HKDF.expand`.
    public func hkdfExpand(_ algorithm: HashAlgorithm, pseudoRandomKey: [UInt8], info: [UInt8], length: Int) -> [UInt8] {
        makeHMAC(algorithm, key: pseudoRandomKey).hkdfExpand(info: info, length: length)
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

    public func verifyTLS12Signature(
        scheme: SignatureScheme,
        subjectPublicKeyInfo: [UInt8],
        message: [UInt8],
        signature: [UInt8]
    ) throws(TLSError) {
        try SignatureVerifier.verify(
            scheme: scheme, subjectPublicKeyInfo: subjectPublicKeyInfo, message: message, signature: signature,
            ecdsaCurveBound: false)
    }
}

/// The bytes of a digest or MAC. (`Array(digest)` would go through the generic Sequence path, element by
/// element with runtime metadata lookups: measured at a fifth of a resumed TLS 1.2 handshake's CPU.)
@inline(__always)
func bytes(of value: some ContiguousBytes) -> [UInt8] {
    value.withUnsafeBytes { Array($0) }
}

/// swift-crypto's HMAC after the key is set; each message works on a copy (HMAC and its hashers are
/// copy-on-write values), so the keyed state is reused.
struct SwiftCryptoKeyedHMAC<H: HashFunction & Sendable>: KeyedHMAC {
    let algorithm: HashAlgorithm
    let keyed: HMAC<H>

    func authenticationCode(_ data: [UInt8]) -> [UInt8] {
        var mac = keyed
        mac.update(data: data)
        return bytes(of: mac.finalize())
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
        return bytes(of: snapshot.finalize())
    }
}
