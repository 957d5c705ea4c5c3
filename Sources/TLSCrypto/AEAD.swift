import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TLSWire

/// Record protection on swift-crypto's AES-GCM and ChaCha20-Poly1305. The `SymmetricKey` is built once per
/// traffic key and reused for every record.
struct SwiftCryptoAEAD: RecordAEAD {
    let algorithm: AEADAlgorithm
    private let key: SymmetricKey

    init(algorithm: AEADAlgorithm, key: [UInt8]) throws(TLSError) {
        guard key.count == algorithm.keyLength else {
            throw .internalError("\(algorithm) key must be \(algorithm.keyLength) bytes, got \(key.count)")
        }
        self.algorithm = algorithm
        self.key = SymmetricKey(data: key)
    }

    func seal(nonce: [UInt8], additionalData: [UInt8], plaintext: ArraySlice<UInt8>,
              appendingTo output: inout [UInt8]) throws(TLSError) {
        // AES.GCM.Nonce would accept longer nonces; TLS 1.3 always uses exactly 12 bytes (RFC 8446 §5.3).
        try checkSealArguments(nonce: nonce)
        do {
            switch algorithm {
            case .aes128GCM, .aes256GCM:
                let box = try AES.GCM.seal(
                    plaintext, using: key, nonce: AES.GCM.Nonce(data: nonce), authenticating: additionalData)
                Self.append(box.ciphertext, box.tag, to: &output)
            case .chacha20Poly1305:
                let box = try ChaChaPoly.seal(
                    plaintext, using: key, nonce: ChaChaPoly.Nonce(data: nonce), authenticating: additionalData)
                Self.append(box.ciphertext, box.tag, to: &output)
            }
        } catch {
            // Not expected: key and nonce sizes are checked above.
            throw .internalError("\(algorithm) seal failed: \(error)")
        }
    }

    func open(nonce: [UInt8], additionalData: [UInt8], ciphertextAndTag: ArraySlice<UInt8>,
              appendingTo output: inout [UInt8]) throws(TLSError) {
        try checkOpenArguments(nonce: nonce, ciphertextAndTag: ciphertextAndTag)
        let tagLength = algorithm.tagLength
        let plaintext: Data
        do {
            switch algorithm {
            case .aes128GCM, .aes256GCM:
                let split = ciphertextAndTag.endIndex - tagLength
                let box = try AES.GCM.SealedBox(
                    nonce: AES.GCM.Nonce(data: nonce), ciphertext: ciphertextAndTag[..<split], tag: ciphertextAndTag[split...])
                plaintext = try AES.GCM.open(box, using: key, authenticating: additionalData)
            case .chacha20Poly1305:
                // ChaChaPoly's `SealedBox(nonce:ciphertext:tag:)` joins its parts with a generic `+` that walks the
                // record byte by byte; the inlinable `SealedBox(combined:)` copies nonce || ciphertext || tag at once.
                var combined: [UInt8] = []
                combined.reserveCapacity(nonce.count + ciphertextAndTag.count)
                combined.append(contentsOf: nonce)
                combined.append(contentsOf: ciphertextAndTag)
                plaintext = try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: combined), using: key, authenticating: additionalData)
            }
        } catch {
            throw TLSError(.peerMisbehaved(.recordAuthenticationFailed), "record authentication failed")
        }
        output.append(contentsOf: plaintext)
    }

    private static func append(_ ciphertext: Data, _ tag: Data, to output: inout [UInt8]) {
        output.reserveCapacity(output.count + ciphertext.count + tag.count)
        output.append(contentsOf: ciphertext)
        output.append(contentsOf: tag)
    }
}

extension RecordAEAD {
    /// The nonce length every implementation checks before sealing (the record layer builds it; a wrong length is
    /// our bug, not the peer's).
    func checkSealArguments(nonce: [UInt8]) throws(TLSError) {
        guard nonce.count == algorithm.nonceLength else {
            throw .internalError("\(algorithm) nonce must be \(algorithm.nonceLength) bytes, got \(nonce.count)")
        }
    }

    /// The checks every implementation makes before opening: a record too short to hold the tag fails as any forged
    /// record does (bad_record_mac), a wrong nonce length is our bug.
    func checkOpenArguments(nonce: [UInt8], ciphertextAndTag: ArraySlice<UInt8>) throws(TLSError) {
        guard ciphertextAndTag.count >= algorithm.tagLength else {
            throw TLSError(.peerMisbehaved(.recordAuthenticationFailed), "record shorter than the \(algorithm.tagLength)-byte AEAD tag")
        }
        try checkSealArguments(nonce: nonce)
    }
}
