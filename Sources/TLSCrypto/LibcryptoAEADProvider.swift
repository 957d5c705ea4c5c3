#if SystemLibcryptoAEAD
import CLibcrypto
import TLSWire

/// `SwiftCryptoProvider` with record protection on the system libcrypto's EVP AEAD (OpenSSL 3): each traffic key is
/// set once, and every record is sealed straight into the output buffer and opened straight into the plaintext
/// buffer. swift-crypto has no seal-into-caller-buffer API: its `SealedBox` joins nonce, ciphertext and tag in a new
/// buffer that the record layer then copies again, which measured at half the CPU of sending a 16 KiB record (issue 16).
///
/// Opt-in: only built with the package trait `SystemLibcryptoAEAD` (`swift build --traits SystemLibcryptoAEAD`, or
/// `traits: ["SystemLibcryptoAEAD"]` on the package dependency), which links the system libcrypto (Debian:
/// `apt-get install libssl-dev`). Use it per configuration: `configuration.common.cryptoProvider =
/// LibcryptoAEADProvider()`. Everything but the record AEAD (hashes, HKDF, key exchange, signatures) stays on
/// swift-crypto; AES-GCM and ChaCha20-Poly1305 produce the same bytes on both.
public struct LibcryptoAEADProvider: CryptoProvider {
    private let base = SwiftCryptoProvider()

    public init() {}

    public func makeAEAD(_ algorithm: AEADAlgorithm, key: [UInt8]) throws(TLSError) -> any RecordAEAD {
        try LibcryptoAEAD(algorithm: algorithm, key: key)
    }

    public func makeHash(_ algorithm: HashAlgorithm) -> HashContext { base.makeHash(algorithm) }

    public func hmac(_ algorithm: HashAlgorithm, key: [UInt8], data: [UInt8]) -> [UInt8] {
        base.hmac(algorithm, key: key, data: data)
    }

    public func makeHMAC(_ algorithm: HashAlgorithm, key: [UInt8]) -> any KeyedHMAC { base.makeHMAC(algorithm, key: key) }

    public func hkdfExtract(_ algorithm: HashAlgorithm, salt: [UInt8], inputKeyingMaterial: [UInt8]) -> [UInt8] {
        base.hkdfExtract(algorithm, salt: salt, inputKeyingMaterial: inputKeyingMaterial)
    }

    public func hkdfExpand(_ algorithm: HashAlgorithm, pseudoRandomKey: [UInt8], info: [UInt8], length: Int) -> [UInt8] {
        base.hkdfExpand(algorithm, pseudoRandomKey: pseudoRandomKey, info: info, length: length)
    }

    public func generateKeyShare(_ group: NamedGroup, random: inout any RandomSource) throws(TLSError) -> any KeyShareSecret {
        try base.generateKeyShare(group, random: &random)
    }

    public func respondToKeyShare(_ group: NamedGroup, peerShare: [UInt8], random: inout any RandomSource)
        throws(TLSError) -> (serverShare: [UInt8], sharedSecret: [UInt8]) {
        try base.respondToKeyShare(group, peerShare: peerShare, random: &random)
    }

    public func verifySignature(
        scheme: SignatureScheme, subjectPublicKeyInfo: [UInt8], message: [UInt8], signature: [UInt8]
    ) throws(TLSError) {
        try base.verifySignature(scheme: scheme, subjectPublicKeyInfo: subjectPublicKeyInfo, message: message, signature: signature)
    }

    public func verifyTLS12Signature(
        scheme: SignatureScheme, subjectPublicKeyInfo: [UInt8], message: [UInt8], signature: [UInt8]
    ) throws(TLSError) {
        try base.verifyTLS12Signature(
            scheme: scheme, subjectPublicKeyInfo: subjectPublicKeyInfo, message: message, signature: signature)
    }

    public func supports(group: NamedGroup) -> Bool { base.supports(group: group) }
}

/// One traffic key on two EVP contexts (sealing and opening), keyed once. The record layer that owns it uses it
/// from one thread at a time (a `TLSConnection` is not shared between threads), which is what makes the mutable
/// EVP contexts safe behind `@unchecked Sendable`.
final class LibcryptoAEAD: RecordAEAD, @unchecked Sendable {
    let algorithm: AEADAlgorithm
    private let sealContext: OpaquePointer
    private let openContext: OpaquePointer

    init(algorithm: AEADAlgorithm, key: [UInt8]) throws(TLSError) {
        guard key.count == algorithm.keyLength else {
            throw .internalError("\(algorithm) key must be \(algorithm.keyLength) bytes, got \(key.count)")
        }
        let cipher: OpaquePointer?
        switch algorithm {
        case .aes128GCM: cipher = EVP_aes_128_gcm()
        case .aes256GCM: cipher = EVP_aes_256_gcm()
        case .chacha20Poly1305: cipher = EVP_chacha20_poly1305()
        }
        guard let cipher, let sealContext = EVP_CIPHER_CTX_new() else {
            throw .internalError("libcrypto has no \(algorithm)")
        }
        guard let openContext = EVP_CIPHER_CTX_new() else {
            EVP_CIPHER_CTX_free(sealContext)
            throw .internalError("libcrypto could not allocate a cipher context")
        }
        self.algorithm = algorithm
        self.sealContext = sealContext
        self.openContext = openContext
        guard EVP_EncryptInit_ex(sealContext, cipher, nil, key, nil) == 1,
              EVP_DecryptInit_ex(openContext, cipher, nil, key, nil) == 1
        else { throw .internalError("libcrypto refused the \(algorithm) key") }
    }

    deinit {
        // EVP_CIPHER_CTX_free clears the key schedule before releasing it.
        EVP_CIPHER_CTX_free(sealContext)
        EVP_CIPHER_CTX_free(openContext)
    }

    func seal(nonce: [UInt8], additionalData: [UInt8], plaintext: ArraySlice<UInt8>,
              appendingTo output: inout [UInt8]) throws(TLSError) {
        try checkSealArguments(nonce: nonce)
        let start = output.count
        let tagLength = algorithm.tagLength
        // Room for ciphertext || tag, written in place below.
        output.append(contentsOf: repeatElement(0, count: plaintext.count + tagLength))
        let sealed = output.withUnsafeMutableBufferPointer { out -> Bool in
            plaintext.withUnsafeBufferPointer { input -> Bool in
                guard let destination = out.baseAddress.map({ $0 + start }) else { return false }
                var written: Int32 = 0
                guard EVP_EncryptInit_ex(sealContext, nil, nil, nil, nonce) == 1,
                      EVP_EncryptUpdate(sealContext, nil, &written, additionalData, Int32(additionalData.count)) == 1,
                      EVP_EncryptUpdate(sealContext, destination, &written, input.baseAddress, Int32(input.count)) == 1,
                      written == Int32(input.count)
                else { return false }
                var tail: Int32 = 0
                guard EVP_EncryptFinal_ex(sealContext, destination + Int(written), &tail) == 1 else { return false }
                return EVP_CIPHER_CTX_ctrl(sealContext, EVP_CTRL_AEAD_GET_TAG, Int32(tagLength),
                                           destination + input.count) == 1
            }
        }
        guard sealed else {
            output.removeSubrange(start...)
            throw .internalError("\(algorithm) seal failed in libcrypto")
        }
    }

    func open(nonce: [UInt8], additionalData: [UInt8], ciphertextAndTag: ArraySlice<UInt8>,
              appendingTo output: inout [UInt8]) throws(TLSError) {
        try checkOpenArguments(nonce: nonce, ciphertextAndTag: ciphertextAndTag)
        let tagLength = algorithm.tagLength
        let start = output.count
        let length = ciphertextAndTag.count - tagLength
        output.append(contentsOf: repeatElement(0, count: length))
        let authentic = output.withUnsafeMutableBufferPointer { out -> Bool in
            ciphertextAndTag.withUnsafeBufferPointer { input -> Bool in
                guard let source = input.baseAddress, let destination = out.baseAddress.map({ $0 + start }) else {
                    return false
                }
                var written: Int32 = 0
                guard EVP_DecryptInit_ex(openContext, nil, nil, nil, nonce) == 1,
                      EVP_DecryptUpdate(openContext, nil, &written, additionalData, Int32(additionalData.count)) == 1,
                      EVP_DecryptUpdate(openContext, destination, &written, source, Int32(length)) == 1,
                      written == Int32(length),
                      EVP_CIPHER_CTX_ctrl(openContext, EVP_CTRL_AEAD_SET_TAG, Int32(tagLength),
                                          UnsafeMutableRawPointer(mutating: source + length)) == 1
                else { return false }
                var tail: Int32 = 0
                return EVP_DecryptFinal_ex(openContext, destination + length, &tail) == 1
            }
        }
        guard authentic else {
            // Nothing unauthenticated stays behind: the plaintext written so far is cleared and dropped.
            for index in start..<output.count { output[index] = 0 }
            output.removeSubrange(start...)
            throw TLSError(.peerMisbehaved(.recordAuthenticationFailed), "record authentication failed")
        }
    }
}
#endif
