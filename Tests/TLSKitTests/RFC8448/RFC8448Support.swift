import Crypto
import Foundation
import TLSCrypto
import TLSWire
import X509
import XCTest

@testable import TLSKit

/// Thread-safe box for what the test seams observe.
final class Recorder<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: Value

    init(_ value: Value) { storage = value }

    var value: Value { lock.withLock { storage } }

    func mutate<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&storage) } }
}

/// A RandomSource that hands out exactly the scripted values (the trace's randoms and session ID), in order.
/// Any request that does not match the script is recorded as a failure (and answered with zeros).
struct ScriptedRandomSource: RandomSource {
    let script: Recorder<[[UInt8]]>
    let failures: Recorder<[String]>

    init(_ values: [[UInt8]]) {
        script = Recorder(values)
        failures = Recorder([])
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        let next: [UInt8]? = script.mutate { values in values.isEmpty ? nil : values.removeFirst() }
        guard let next, next.count == count else {
            failures.mutate { $0.append("unexpected request for \(count) random bytes (script had \(next?.count.description ?? "nothing"))") }
            return [UInt8](repeating: 0, count: count)
        }
        return next
    }

    var remaining: Int { script.value.count }
}

/// A RandomSource that yields one fixed byte string: used to hand the trace's ephemeral private key to
/// SwiftCryptoProvider's own key generation.
private struct FixedKeyMaterial: RandomSource {
    var bytes: [UInt8]
    mutating func bytes(_ count: Int) -> [UInt8] {
        // A length mismatch yields a different key, which the public-share comparison then reports.
        count == bytes.count ? bytes : [UInt8](repeating: 0x5A, count: count)
    }
}

/// Delegates everything to SwiftCryptoProvider, except that the ephemeral key pairs are the trace's: the trace's
/// private key bytes are fed to SwiftCryptoProvider's key generation (X25519 and P-256 take their scalar straight
/// from the random source), so the real swift-crypto keys and key agreement are used.
struct TraceKeyShareProvider: CryptoProvider {
    let base = SwiftCryptoProvider()
    /// Private keys per group, used in order (one per generation).
    let privateKeys: Recorder<[NamedGroup: [[UInt8]]]>
    let generated: Recorder<[(group: NamedGroup, publicShare: [UInt8])]>

    init(privateKeys: [NamedGroup: [[UInt8]]]) {
        self.privateKeys = Recorder(privateKeys)
        self.generated = Recorder([])
    }

    private func takeKey(_ group: NamedGroup) throws(TLSError) -> any RandomSource {
        let key: [UInt8]? = privateKeys.mutate { keys in
            guard var list = keys[group], !list.isEmpty else { return nil }
            let first = list.removeFirst()
            keys[group] = list
            return first
        }
        guard let key else { throw TLSError(.internalError, "the trace has no (further) \(group) key pair") }
        return FixedKeyMaterial(bytes: key)
    }

    func makeHash(_ algorithm: HashAlgorithm) -> HashContext { base.makeHash(algorithm) }
    func hmac(_ algorithm: HashAlgorithm, key: [UInt8], data: [UInt8]) -> [UInt8] { base.hmac(algorithm, key: key, data: data) }
    func hkdfExtract(_ algorithm: HashAlgorithm, salt: [UInt8], inputKeyingMaterial: [UInt8]) -> [UInt8] {
        base.hkdfExtract(algorithm, salt: salt, inputKeyingMaterial: inputKeyingMaterial)
    }
    func hkdfExpand(_ algorithm: HashAlgorithm, pseudoRandomKey: [UInt8], info: [UInt8], length: Int) -> [UInt8] {
        base.hkdfExpand(algorithm, pseudoRandomKey: pseudoRandomKey, info: info, length: length)
    }
    func makeAEAD(_ algorithm: AEADAlgorithm, key: [UInt8]) throws(TLSError) -> any RecordAEAD {
        try base.makeAEAD(algorithm, key: key)
    }
    func supports(group: NamedGroup) -> Bool { base.supports(group: group) }

    func generateKeyShare(_ group: NamedGroup, random: inout any RandomSource) throws(TLSError) -> any KeyShareSecret {
        var fixed = try takeKey(group)
        let share = try base.generateKeyShare(group, random: &fixed)
        generated.mutate { $0.append((group, share.publicShare)) }
        return share
    }

    func respondToKeyShare(_ group: NamedGroup, peerShare: [UInt8], random: inout any RandomSource)
        throws(TLSError) -> (serverShare: [UInt8], sharedSecret: [UInt8])
    {
        var fixed = try takeKey(group)
        let result = try base.respondToKeyShare(group, peerShare: peerShare, random: &fixed)
        generated.mutate { $0.append((group, result.serverShare)) }
        return result
    }

    func verifySignature(scheme: SignatureScheme, subjectPublicKeyInfo: [UInt8], message: [UInt8], signature: [UInt8]) throws(TLSError) {
        try base.verifySignature(scheme: scheme, subjectPublicKeyInfo: subjectPublicKeyInfo, message: message, signature: signature)
    }
}

/// The trace's key as a SigningKey. RSA-PSS and ECDSA signatures are randomized, so it answers with the trace's
/// recorded CertificateVerify signature; before doing so it checks, with the real SwiftCryptoProvider verifier,
/// that the recorded signature is valid over exactly the content the engine asked to sign (so the engine's
/// transcript must be the trace's).
struct RecordedSignatureKey: SigningKey {
    let scheme: SignatureScheme
    let signature: [UInt8]
    let subjectPublicKeyInfo: [UInt8]
    let signedMessages: Recorder<Int> = Recorder(0)

    var supportedSchemes: [SignatureScheme] { [scheme] }

    func sign(scheme: SignatureScheme, message: [UInt8]) throws(TLSError) -> [UInt8] {
        guard scheme == self.scheme else { throw TLSError(.internalError, "the trace signed with \(self.scheme), not \(scheme)") }
        try SwiftCryptoProvider().verifySignature(
            scheme: scheme, subjectPublicKeyInfo: subjectPublicKeyInfo, message: message, signature: signature)
        signedMessages.mutate { $0 += 1 }
        return signature
    }
}

/// Accepts exactly the trace's certificate and rejects anything else. The trace's certificates are self-signed and
/// expired in 2026, so they cannot pass path validation; this verifier pins the exact DER instead. The RSA ones carry
/// 1024-bit keys, which swift-certificates refuses to parse, so the "validated chain" is the parsed certificate when
/// it parses (§6's ECDSA server certificate) and empty otherwise (the engine does not use it).
struct PinnedCertificateVerifier: CertificateVerifier {
    let expectedDER: [UInt8]
    let expectedRole: PeerVerificationRequest.PeerRole

    func verify(_ request: PeerVerificationRequest) async -> PeerVerificationResult {
        guard request.role == expectedRole, request.chainDER == [expectedDER] else {
            return .rejected(TLSError(.badCertificate, "not the RFC 8448 certificate"))
        }
        return .trusted(validatedChain: (try? Certificate(derEncoded: expectedDER)).map { [$0] } ?? [])
    }
}

/// NSS key-log lines, parsed: label → (client random, secret).
final class KeyLogCapture: @unchecked Sendable {
    private let lines = Recorder<[String]>([])

    var callback: @Sendable (String) -> Void {
        { [lines] line in lines.mutate { $0.append(line) } }
    }

    func secret(_ label: String, clientRandom: [UInt8]) -> [UInt8]? {
        for line in lines.value {
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == label else { continue }
            guard String(parts[1]) == hexString(clientRandom) else { return nil }
            return hexBytes(String(parts[2]))
        }
        return nil
    }
}

func hexBytes(_ string: String) -> [UInt8]? {
    let chars = Array(string.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    var i = 0
    while i < chars.count {
        guard let byte = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
        out.append(byte)
        i += 2
    }
    return out
}

/// Splits a byte stream into TLS records (header + body each).
func splitRecords(_ bytes: [UInt8]) -> [[UInt8]] {
    var records: [[UInt8]] = []
    var offset = 0
    while offset + 5 <= bytes.count {
        let length = Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4])
        let end = min(offset + 5 + length, bytes.count)
        records.append(Array(bytes[offset..<end]))
        offset = end
    }
    if offset < bytes.count { records.append(Array(bytes[offset...])) }
    return records
}
