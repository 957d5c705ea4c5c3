import TLSWire

/// The seam between the protocol engine and the primitives. The engine calls nothing cryptographic
/// except through this protocol, so a faster or instrumented implementation can be swapped in, and
/// tests can pin key shares and signatures (RFC 8448 replay) without stubbing anything else.
///
/// `SwiftCryptoProvider` is the default, built on swift-crypto (`Crypto`, `CryptoExtras`).
public protocol CryptoProvider: Sendable {
    /// A fresh incremental hash context.
    func makeHash(_ algorithm: HashAlgorithm) -> HashContext

    func hmac(_ algorithm: HashAlgorithm, key: [UInt8], data: [UInt8]) -> [UInt8]

    /// HMAC keyed once for several messages (the TLS 1.2 PRF's P_hash, HKDF-Expand's blocks): the key's inner and
    /// outer pads are processed once instead of per message. The default calls `hmac` for each message.
    func makeHMAC(_ algorithm: HashAlgorithm, key: [UInt8]) -> any KeyedHMAC

    /// HKDF-Extract (RFC 5869 §2.2). An empty salt means `HashLen` zero bytes.
    func hkdfExtract(_ algorithm: HashAlgorithm, salt: [UInt8], inputKeyingMaterial: [UInt8]) -> [UInt8]

    /// HKDF-Expand (RFC 5869 §2.3). `length` ≤ 255 × HashLen (the engine never asks for more).
    func hkdfExpand(_ algorithm: HashAlgorithm, pseudoRandomKey: [UInt8], info: [UInt8], length: Int) -> [UInt8]

    /// A record-protection AEAD keyed with `key`.
    func makeAEAD(_ algorithm: AEADAlgorithm, key: [UInt8]) throws(TLSError) -> any RecordAEAD

    /// Client side of a key exchange: a fresh key share for `group`, drawing any randomness from `random`.
    func generateKeyShare(_ group: NamedGroup, random: inout any RandomSource) throws(TLSError) -> any KeyShareSecret

    /// Server side of a key exchange: given the client's share, produce the server's share and the shared secret
    /// (for Diffie-Hellman groups a fresh key pair plus agreement; for KEM groups an encapsulation).
    func respondToKeyShare(_ group: NamedGroup, peerShare: [UInt8], random: inout any RandomSource)
        throws(TLSError) -> (serverShare: [UInt8], sharedSecret: [UInt8])

    /// Verifies `signature` over `message` with the public key in a DER SubjectPublicKeyInfo, under `scheme`.
    /// Throws `decrypt_error` for a bad signature, `illegal_parameter` / `bad_certificate` for a scheme that does
    /// not fit the key (including an ECDSA scheme whose curve differs from the key's).
    func verifySignature(
        scheme: SignatureScheme,
        subjectPublicKeyInfo: [UInt8],
        message: [UInt8],
        signature: [UInt8]
    ) throws(TLSError)

    /// The same for a TLS 1.2 signature (ServerKeyExchange, CertificateVerify): there the ECDSA schemes name only the
    /// hash, and the key may be on any curve (RFC 5246 §7.4.1.4.1, RFC 8422 §5.10). The default is `verifySignature`.
    func verifyTLS12Signature(
        scheme: SignatureScheme,
        subjectPublicKeyInfo: [UInt8],
        message: [UInt8],
        signature: [UInt8]
    ) throws(TLSError)

    /// Whether `generateKeyShare` / `respondToKeyShare` support `group`.
    func supports(group: NamedGroup) -> Bool
}

/// An HMAC with its key set (see `CryptoProvider.makeHMAC`).
public protocol KeyedHMAC: Sendable {
    var algorithm: HashAlgorithm { get }
    /// HMAC(key, data).
    func authenticationCode(_ data: [UInt8]) -> [UInt8]
}

extension KeyedHMAC {
    /// HKDF-Expand (RFC 5869 §2.3) with this HMAC's key as the PRK: T(i) = HMAC(PRK, T(i-1) || info || i), the
    /// first `length` bytes of T(1) || T(2) || …. Empty beyond 255 blocks (the RFC's limit; the engine never asks).
    /// Expanding several labels from one secret on one keyed HMAC processes the key once.
    public func hkdfExpand(info: [UInt8], length: Int) -> [UInt8] {
        let digestLength = algorithm.digestLength
        let blocks = (length + digestLength - 1) / digestLength
        guard length > 0, blocks <= 255 else { return [] }
        var okm: [UInt8] = []
        okm.reserveCapacity(blocks * digestLength)
        var input: [UInt8] = []
        input.reserveCapacity(digestLength + info.count + 1)
        for counter in 1...UInt8(blocks) {
            input.append(contentsOf: info)
            input.append(counter)
            let block = authenticationCode(input)
            okm.append(contentsOf: block)
            input.removeAll(keepingCapacity: true)
            input.append(contentsOf: block)
        }
        okm.removeSubrange(length...)
        return okm
    }
}

extension CryptoProvider {
    public func verifyTLS12Signature(
        scheme: SignatureScheme, subjectPublicKeyInfo: [UInt8], message: [UInt8], signature: [UInt8]
    ) throws(TLSError) {
        try verifySignature(scheme: scheme, subjectPublicKeyInfo: subjectPublicKeyInfo, message: message, signature: signature)
    }

    public func makeHMAC(_ algorithm: HashAlgorithm, key: [UInt8]) -> any KeyedHMAC {
        PerMessageHMAC(provider: self, algorithm: algorithm, key: key)
    }
}

/// The default `KeyedHMAC`: one `hmac` call per message.
private struct PerMessageHMAC: KeyedHMAC {
    let provider: any CryptoProvider
    let algorithm: HashAlgorithm
    let key: [UInt8]

    func authenticationCode(_ data: [UInt8]) -> [UInt8] { provider.hmac(algorithm, key: key, data: data) }
}

public enum HashAlgorithm: Sendable, Hashable {
    case sha256
    case sha384
    case sha512

    public var digestLength: Int {
        switch self {
        case .sha256: return 32
        case .sha384: return 48
        case .sha512: return 64
        }
    }
}

/// An incremental hash. `finalize()` does not consume the context, so a transcript can be
/// snapshotted at every message and keep growing.
public protocol HashContext: Sendable {
    var algorithm: HashAlgorithm { get }
    mutating func update(_ bytes: [UInt8])
    func finalize() -> [UInt8]
}

public enum AEADAlgorithm: Sendable, Hashable {
    case aes128GCM
    case aes256GCM
    case chacha20Poly1305

    public var keyLength: Int {
        switch self {
        case .aes128GCM: return 16
        case .aes256GCM, .chacha20Poly1305: return 32
        }
    }

    public var nonceLength: Int { 12 }
    public var tagLength: Int { 16 }
}

/// Record protection with one key. Nonces are built by the record layer (RFC 8446 §5.3).
/// The requirements append to a buffer the caller owns, so a record is sealed straight into the output and opened
/// straight into its plaintext, without an intermediate array per record.
public protocol RecordAEAD: Sendable {
    var algorithm: AEADAlgorithm { get }
    /// Seals `plaintext` and appends ciphertext || tag to `output`.
    func seal(nonce: [UInt8], additionalData: [UInt8], plaintext: ArraySlice<UInt8>,
              appendingTo output: inout [UInt8]) throws(TLSError)
    /// Opens ciphertext || tag and appends the plaintext to `output`; throws `bad_record_mac` (leaving `output` as
    /// it was) when authentication fails.
    func open(nonce: [UInt8], additionalData: [UInt8], ciphertextAndTag: ArraySlice<UInt8>,
              appendingTo output: inout [UInt8]) throws(TLSError)
}

extension RecordAEAD {
    /// Returns ciphertext || tag.
    public func seal(nonce: [UInt8], additionalData: [UInt8], plaintext: [UInt8]) throws(TLSError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(plaintext.count + algorithm.tagLength)
        try seal(nonce: nonce, additionalData: additionalData, plaintext: plaintext[...], appendingTo: &output)
        return output
    }

    /// Takes ciphertext || tag; throws `bad_record_mac` when authentication fails.
    public func open(nonce: [UInt8], additionalData: [UInt8], ciphertextAndTag: [UInt8]) throws(TLSError) -> [UInt8] {
        var output: [UInt8] = []
        try open(nonce: nonce, additionalData: additionalData, ciphertextAndTag: ciphertextAndTag[...], appendingTo: &output)
        return output
    }
}

/// The client's half of a key exchange, kept until the server's share arrives.
public protocol KeyShareSecret: Sendable {
    var group: NamedGroup { get }
    /// The bytes of `KeyShareEntry.key_exchange`.
    var publicShare: [UInt8] { get }
    /// Combines with the server's share. Invalid points, wrong lengths and all-zero X25519 results
    /// throw `illegal_parameter`.
    func sharedSecret(serverShare: [UInt8]) throws(TLSError) -> [UInt8]
}

/// A private key that can sign handshake messages.
public protocol SigningKey: Sendable {
    /// The schemes this key can produce, most preferred first (ECDSA keys: exactly their curve's scheme).
    var supportedSchemes: [SignatureScheme] { get }
    /// The DER SubjectPublicKeyInfo of the matching public key (used to check a key matches its certificate).
    var subjectPublicKeyInfo: [UInt8] { get }
    func sign(scheme: SignatureScheme, message: [UInt8]) throws(TLSError) -> [UInt8]
}

/// Injected randomness: the engine draws every random byte (hello randoms, session IDs, GREASE, key shares)
/// from one of these, so a test can make a handshake reproducible.
public protocol RandomSource: Sendable {
    mutating func bytes(_ count: Int) -> [UInt8]
}

/// The operating system's CSPRNG: the Swift runtime's `swift_stdlib_random`, the function behind
/// `SystemRandomNumberGenerator` (getrandom(2) on Linux, arc4random_buf on Darwin), called once for the whole
/// buffer. `SystemRandomNumberGenerator.next()` asks it for 8 bytes at a time: one system call per 8 bytes, 3 % of
/// a handshake's CPU in the profile (issue 16).
public struct SystemRandomSource: RandomSource {
    public init() {}
    public mutating func bytes(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { swiftRuntimeRandom(base, count) }
            initialized = count
        }
    }
}

/// The runtime entry point `SystemRandomNumberGenerator.next()` calls (it is inlinable, so the symbol is part of the
/// Swift runtime's ABI): fills `count` bytes with cryptographically secure random bytes, or traps.
@_silgen_name("swift_stdlib_random")
private func swiftRuntimeRandom(_ buffer: UnsafeMutableRawPointer, _ count: Int)

/// Compares two byte strings in time that depends only on their lengths (MACs, Finished, binders).
package func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<a.count { difference |= a[i] ^ b[i] }
    return difference == 0
}
