import CBenchSupport
import Crypto
import Foundation

/// The raw AEAD speed of the primitives, 16 KiB blocks: the physical limit for the bulk rows.
enum Ceiling {
    /// swift-crypto's AES.GCM / ChaChaPoly seal and open (the primitives TLSKit's default provider calls), MB/s.
    static func swiftCrypto(_ cipher: Cipher, bytes: Int) throws -> (seal: Double, open: Double) {
        let plaintext = [UInt8](repeating: 0x61, count: chunkSize)
        let iterations = max(1, bytes / chunkSize)
        var sealNs: Int64 = 0, openNs: Int64 = 0
        switch cipher {
        case .aes128gcm, .aes256gcm:
            let key = SymmetricKey(size: cipher == .aes128gcm ? .bits128 : .bits256)
            let nonce = AES.GCM.Nonce()
            let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce)
            var t = bench_process_cpu_ns()
            for _ in 0..<iterations { _ = try AES.GCM.seal(plaintext, using: key, nonce: nonce) }
            sealNs = bench_process_cpu_ns() - t
            t = bench_process_cpu_ns()
            for _ in 0..<iterations { _ = try AES.GCM.open(box, using: key) }
            openNs = bench_process_cpu_ns() - t
        case .chacha20poly1305:
            let key = SymmetricKey(size: .bits256)
            let nonce = ChaChaPoly.Nonce()
            let box = try ChaChaPoly.seal(plaintext, using: key, nonce: nonce)
            var t = bench_process_cpu_ns()
            for _ in 0..<iterations { _ = try ChaChaPoly.seal(plaintext, using: key, nonce: nonce) }
            sealNs = bench_process_cpu_ns() - t
            t = bench_process_cpu_ns()
            for _ in 0..<iterations { _ = try ChaChaPoly.open(box, using: key) }
            openNs = bench_process_cpu_ns() - t
        }
        let total = Double(iterations * chunkSize)
        return (total / (Double(sealNs) / 1e9) / 1e6, total / (Double(openNs) / 1e9) / 1e6)
    }

    /// OpenSSL's libcrypto EVP AEAD on 16 KiB blocks (what `openssl speed -evp NAME -bytes 16384` runs), MB/s.
    static func openssl(_ cipher: Cipher, bytes: Int) -> (seal: Double, open: Double)? {
        let name: String
        switch cipher {
        case .aes128gcm: name = "aes-128-gcm"
        case .aes256gcm: name = "aes-256-gcm"
        case .chacha20poly1305: name = "chacha20-poly1305"
        }
        let iterations = max(1, bytes / chunkSize)
        let seal = bench_ossl_aead_ns(name, Int32(iterations), 0)
        let open = bench_ossl_aead_ns(name, Int32(iterations), 1)
        guard seal > 0, open > 0 else { return nil }
        let total = Double(iterations * chunkSize)
        return (total / (Double(seal) / 1e9) / 1e6, total / (Double(open) / 1e9) / 1e6)
    }
}
