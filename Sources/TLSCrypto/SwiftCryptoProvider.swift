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
        makeHMAC(algorithm, key: key).authenticationCode(data)
    }

    /// HKDF-Extract (RFC 5869 §2.2): PRK = HMAC-Hash(salt, IKM).
    public func hkdfExtract(_ algorithm: HashAlgorithm, salt: [UInt8], inputKeyingMaterial: [UInt8]) -> [UInt8] {
        // A missing salt is HashLen zeros. (HMAC pads short keys with zeros anyway, but be explicit.)
        let salt = salt.isEmpty ? [UInt8](repeating: 0, count: algorithm.digestLength) : salt
        return makeHMAC(algorithm, key: salt).authenticationCode(inputKeyingMaterial)
    }

    public func makeHMAC(_ algorithm: HashAlgorithm, key: [UInt8]) -> any KeyedHMAC {
        switch algorithm {
        case .sha256: return PaddedKeyHMAC<SHA256>(algorithm: algorithm, key: key)
        case .sha384: return PaddedKeyHMAC<SHA384>(algorithm: algorithm, key: key)
        case .sha512: return PaddedKeyHMAC<SHA512>(algorithm: algorithm, key: key)
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

/// HMAC (RFC 2104) on swift-crypto's hash functions, with the inner and outer pad states hashed once per key: each
/// message then costs a copy of each state and the two finalizations. swift-crypto's `HMAC(key:)` does the same work
/// through `SymmetricKey`s and byte-by-byte maps, which measured ten times the raw hashing and a tenth of a TLS 1.3
/// handshake's CPU (issue 16). Checked against RFC 4231 and swift-crypto's `HMAC` in the tests.
struct PaddedKeyHMAC<H: HashFunction & Sendable>: KeyedHMAC {
    let algorithm: HashAlgorithm
    private let inner: H
    private let outer: H

    init(algorithm: HashAlgorithm, key: [UInt8]) {
        self.algorithm = algorithm
        // K0: the key, hashed first when longer than a block, zero-padded to the block size (RFC 2104 §2).
        var pad = [UInt8](repeating: 0, count: H.blockByteCount)
        if key.count > H.blockByteCount {
            H.hash(data: key).withUnsafeBytes { digest in
                for (index, byte) in digest.enumerated() { pad[index] = byte }
            }
        } else {
            for (index, byte) in key.enumerated() { pad[index] = byte }
        }
        var inner = H()
        var outer = H()
        for index in pad.indices { pad[index] ^= 0x36 }
        inner.update(data: pad)
        for index in pad.indices { pad[index] ^= 0x36 ^ 0x5c }
        outer.update(data: pad)
        for index in pad.indices { pad[index] = 0 }
        self.inner = inner
        self.outer = outer
    }

    func authenticationCode(_ data: [UInt8]) -> [UInt8] {
        var inner = self.inner
        inner.update(data: data)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return bytes(of: outer.finalize())
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
