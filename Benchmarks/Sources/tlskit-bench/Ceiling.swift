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

    /// `openssl speed -evp NAME -bytes 16384 -seconds 1`, MB/s (10^6 bytes/s); nil when the tool fails.
    static func opensslSpeed(_ cipher: Cipher) -> Double? {
        let name: String
        switch cipher {
        case .aes128gcm: name = "aes-128-gcm"
        case .aes256gcm: name = "aes-256-gcm"
        case .chacha20poly1305: name = "chacha20-poly1305"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "speed", "-evp", name, "-bytes", "16384", "-seconds", "1"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        // The last line: "AES-128-GCM   1234567.89k" (thousands of bytes per second).
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n").reversed() {
            let fields = line.split(separator: " ")
            if fields.count >= 2, fields[0].lowercased() == name, let last = fields.last, last.hasSuffix("k"),
               let k = Double(last.dropLast()) {
                return k * 1000 / 1e6
            }
        }
        return nil
    }
}
