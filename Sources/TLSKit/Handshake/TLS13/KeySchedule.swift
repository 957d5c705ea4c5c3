/// The labels of the TLS 1.3 key schedule (RFC 8446 §7.1, §7.2, §7.3, §7.5, §4.4.4, §4.6.1), so a derivation names
/// which secret it makes instead of spelling a string.
enum SecretLabel: String, Sendable {
    case derived
    case resumptionBinder = "res binder"
    case clientEarlyTraffic = "c e traffic"
    case earlyExporterMaster = "e exp master"
    case clientHandshakeTraffic = "c hs traffic"
    case serverHandshakeTraffic = "s hs traffic"
    case clientApplicationTraffic = "c ap traffic"
    case serverApplicationTraffic = "s ap traffic"
    case exporterMaster = "exp master"
    case resumptionMaster = "res master"
    case key
    case iv
    case finished
    case trafficUpdate = "traffic upd"
    case resumption
    case exporter
}

/// The TLS 1.3 key schedule (RFC 8446 §7.1). Each stage is its own type, so a secret cannot be used at the
/// wrong stage: `EarlySecret` → `HandshakeSecret` → `MasterSecret`.
struct KeySchedule: Sendable {
    let provider: any CryptoProvider
    let hash: HashAlgorithm

    /// HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1).
    func expandLabel(_ secret: [UInt8], label: SecretLabel, context: [UInt8], length: Int) -> [UInt8] {
        expandLabel(provider.makeHMAC(hash, key: secret), label: label.rawValue, context: context, length: length)
    }

    /// HKDF-Expand-Label with the secret already keyed into an HMAC: several labels from one secret (traffic key and
    /// IV, the secrets of one stage) process the key once.
    private func expandLabel(_ keyedSecret: any KeyedHMAC, label: String, context: [UInt8], length: Int) -> [UInt8] {
        var info = ByteWriter(reservingCapacity: 10 + label.utf8.count + context.count)
        info.writeUInt16(UInt16(length))
        info.writeVector8 { $0.writeBytes("tls13 ".utf8); $0.writeBytes(label.utf8) }
        info.writeVector8(bytes: context)
        return keyedSecret.hkdfExpand(info: info.bytes, length: length)
    }

    /// Derive-Secret(Secret, Label, Messages) with the transcript hash already computed.
    func deriveSecret(_ secret: [UInt8], label: SecretLabel, transcriptHash: [UInt8]) -> [UInt8] {
        expandLabel(provider.makeHMAC(hash, key: secret), label: label.rawValue, context: transcriptHash, length: hash.digestLength)
    }

    /// Derive-Secret for several labels over the same secret and transcript hash, in order.
    func deriveSecrets(_ secret: [UInt8], labels: [SecretLabel], transcriptHash: [UInt8]) -> [[UInt8]] {
        let keyed = provider.makeHMAC(hash, key: secret)
        return labels.map { expandLabel(keyed, label: $0.rawValue, context: transcriptHash, length: hash.digestLength) }
    }

    var emptyHash: [UInt8] { provider.makeHash(hash).finalize() }
    var zeros: [UInt8] { [UInt8](repeating: 0, count: hash.digestLength) }

    func earlySecret(psk: [UInt8]?) -> EarlySecret {
        EarlySecret(secret: provider.hkdfExtract(hash, salt: [], inputKeyingMaterial: psk ?? zeros))
    }

    func handshakeSecret(from early: EarlySecret, sharedSecret: [UInt8]) -> HandshakeSecret {
        let salt = deriveSecret(early.secret, label: .derived, transcriptHash: emptyHash)
        return HandshakeSecret(secret: provider.hkdfExtract(hash, salt: salt, inputKeyingMaterial: sharedSecret))
    }

    func masterSecret(from handshake: HandshakeSecret) -> MasterSecret {
        let salt = deriveSecret(handshake.secret, label: .derived, transcriptHash: emptyHash)
        return MasterSecret(secret: provider.hkdfExtract(hash, salt: salt, inputKeyingMaterial: zeros))
    }

    /// [sender]_write_key and [sender]_write_iv (RFC 8446 §7.3).
    func trafficKeys(secret: [UInt8], aead: AEADAlgorithm) -> (key: [UInt8], iv: [UInt8]) {
        let keyed = provider.makeHMAC(hash, key: secret)
        return (expandLabel(keyed, label: SecretLabel.key.rawValue, context: [], length: aead.keyLength),
                expandLabel(keyed, label: SecretLabel.iv.rawValue, context: [], length: aead.nonceLength))
    }

    /// application_traffic_secret_N+1 (RFC 8446 §7.2).
    func nextTrafficSecret(_ secret: [UInt8]) -> [UInt8] {
        expandLabel(secret, label: .trafficUpdate, context: [], length: hash.digestLength)
    }

    /// verify_data = HMAC(finished_key, Transcript-Hash(...)) (RFC 8446 §4.4.4).
    func finishedVerifyData(baseKey: [UInt8], transcriptHash: [UInt8]) -> [UInt8] {
        let finishedKey = expandLabel(baseKey, label: .finished, context: [], length: hash.digestLength)
        return provider.hmac(hash, key: finishedKey, data: transcriptHash)
    }

    /// TLS-Exporter(label, context, length) (RFC 8446 §7.5).
    func exporter(exporterMasterSecret: [UInt8], label: String, context: [UInt8], length: Int) -> [UInt8] {
        // The application's label, not one of the schedule's.
        let secret = expandLabel(provider.makeHMAC(hash, key: exporterMasterSecret), label: label, context: emptyHash,
                                 length: hash.digestLength)
        var contextHash = provider.makeHash(hash)
        contextHash.update(context)
        return expandLabel(secret, label: .exporter, context: contextHash.finalize(), length: length)
    }
}

struct EarlySecret: Sendable {
    var secret: [UInt8]
}

struct HandshakeSecret: Sendable {
    var secret: [UInt8]
}

struct MasterSecret: Sendable {
    var secret: [UInt8]
}

/// The running transcript hash (RFC 8446 §4.4.1) over the exact bytes of each handshake message.
struct Transcript: Sendable {
    private(set) var context: any HashContext
    /// The messages themselves, kept only where a signature covers them whole (TLS 1.2 CertificateVerify).
    private(set) var messages: [UInt8]?
    /// TLS 1.0/1.1: the transcript hash is MD5 ‖ SHA-1 of the messages (RFC 2246 §7.4.9; RFC 7627 §3 session_hash),
    /// computed from the kept messages (only a Finished or the session hash asks for it).
    private var legacyMD5SHA1 = false

    init(provider: any CryptoProvider, hash: HashAlgorithm, retainMessages: Bool = false) {
        context = provider.makeHash(hash)
        messages = retainMessages ? [] : nil
    }

    /// The transcript of a TLS 1.2 or older handshake: `hash` for TLS 1.2, MD5 ‖ SHA-1 below it. Keeps the messages.
    init(provider: any CryptoProvider, hash: HashAlgorithm, version: ProtocolVersion) {
        self.init(provider: provider, hash: hash, retainMessages: true)
        legacyMD5SHA1 = version < .tls12
    }

    mutating func append(_ messageBytes: [UInt8]) {
        context.update(messageBytes)
        messages?.append(contentsOf: messageBytes)
    }

    var currentHash: [UInt8] { legacyMD5SHA1 ? LegacySignature.md5sha1(messages ?? []) : context.finalize() }

    /// After a HelloRetryRequest, ClientHello1 is replaced by message_hash(Hash(ClientHello1)) (RFC 8446 §4.4.1).
    static func restartedForHelloRetry(provider: any CryptoProvider, hash: HashAlgorithm, clientHello1: [UInt8]) -> Transcript {
        var first = provider.makeHash(hash)
        first.update(clientHello1)
        let digest = first.finalize()
        var transcript = Transcript(provider: provider, hash: hash)
        transcript.append([HandshakeType.messageHash.rawValue, 0, 0, UInt8(digest.count)] + digest)
        return transcript
    }
}
