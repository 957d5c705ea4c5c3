#if SystemLibcryptoAEAD
import TLSCrypto
import TLSWire

/// Target (e), only with the SystemLibcryptoAEAD trait: the libcrypto EVP record AEAD against swift-crypto's, on
/// the same key, nonce and additional data. Byte 0 picks the algorithm; then the key, 12 nonce bytes, one length
/// byte and that much additional data; the rest is both a plaintext (sealed by both: the bytes must be equal, and
/// each must open the other's) and a forged record (opened by both: both must refuse it, or both give the same
/// plaintext). Returns a finding, or nil.
public enum LibcryptoAEADTarget {
    public static func run(_ data: [UInt8]) -> String? {
        guard let first = data.first else { return nil }
        let algorithms: [AEADAlgorithm] = [.aes128GCM, .aes256GCM, .chacha20Poly1305]
        let algorithm = algorithms[Int(first) % algorithms.count]
        var rest = data.dropFirst()
        guard rest.count >= algorithm.keyLength + 13 else { return nil }
        let key = Array(rest.prefix(algorithm.keyLength))
        rest = rest.dropFirst(algorithm.keyLength)
        let nonce = Array(rest.prefix(12))
        rest = rest.dropFirst(12)
        let adLength = Int(rest.first ?? 0)
        rest = rest.dropFirst()
        let additionalData = Array(rest.prefix(adLength))
        let payload = Array(rest.dropFirst(adLength))

        let libcrypto: any RecordAEAD
        let reference: any RecordAEAD
        do {
            libcrypto = try LibcryptoAEADProvider().makeAEAD(algorithm, key: key)
            reference = try SwiftCryptoProvider().makeAEAD(algorithm, key: key)
        } catch {
            return "\(algorithm): no AEAD for a well-sized key: \(error)"
        }
        do {
            let ours = try libcrypto.seal(nonce: nonce, additionalData: additionalData, plaintext: payload)
            let theirs = try reference.seal(nonce: nonce, additionalData: additionalData, plaintext: payload)
            guard ours == theirs else { return "\(algorithm): sealed records differ" }
            guard try libcrypto.open(nonce: nonce, additionalData: additionalData, ciphertextAndTag: theirs) == payload,
                  try reference.open(nonce: nonce, additionalData: additionalData, ciphertextAndTag: ours) == payload
            else { return "\(algorithm): a sealed record does not open to its plaintext" }
        } catch {
            return "\(algorithm): sealing or opening a genuine record failed: \(error)"
        }
        let ourOpening = try? libcrypto.open(nonce: nonce, additionalData: additionalData, ciphertextAndTag: payload)
        let theirOpening = try? reference.open(nonce: nonce, additionalData: additionalData, ciphertextAndTag: payload)
        guard ourOpening == theirOpening else {
            return "\(algorithm): the implementations disagree on a forged record (libcrypto \(ourOpening == nil ? "refused" : "accepted"))"
        }
        return nil
    }
}
#endif
