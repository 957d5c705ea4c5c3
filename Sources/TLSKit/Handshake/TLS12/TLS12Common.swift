import Foundation

/// What the TLS 1.2 client and server (RFC 5246) share: the traffic secrets of a live connection, the schemes and
/// groups TLS 1.2 may use, key installation from the key block, and the refusal of renegotiation.

/// Secrets after a TLS 1.2 handshake.
struct TLS12Traffic: Sendable {
    /// TLS 1.2, or TLS 1.1/1.0 (the same handshake with their PRF, MD5 ‖ SHA-1 transcript and CBC records).
    let version: ProtocolVersion
    let prf: TLS12PRF
    let suite: TLS12SuiteParameters
    var masterSecret: [UInt8]
    let clientRandom: [UInt8]
    let serverRandom: [UInt8]
}

/// Schemes acceptable for TLS 1.2 signatures: no SHA-1, no MD5 (the IANA list of schemes we implement).
func isAllowedInTLS12(_ scheme: SignatureScheme) -> Bool {
    switch scheme {
    case .ecdsa_secp256r1_sha256, .ecdsa_secp384r1_sha384, .ecdsa_secp521r1_sha512, .ed25519,
         .rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512,
         .rsa_pkcs1_sha256, .rsa_pkcs1_sha384, .rsa_pkcs1_sha512:
        return true
    default:
        return false
    }
}

/// The groups TLS 1.2 ECDHE can use.
let tls12Groups: Set<NamedGroup> = [.x25519, .secp256r1, .secp384r1, .secp521r1]

/// What both TLS 1.2 handshakes (client and server) hold to derive keys and Finished values, so each step that uses
/// them — the key block, the ChangeCipherSpec + Finished that end a flight, the peer's Finished, the live connection's
/// traffic — is written once for both roles.
protocol TLS12HandshakeSecrets {
    /// TLS 1.2, or TLS 1.1/1.0 with legacy versions enabled: the PRF, the transcript hash and the records follow it.
    var version: ProtocolVersion { get }
    /// RFC 7366 encrypt-then-MAC was negotiated (CBC suites only).
    var encryptThenMAC: Bool { get }
    var suite: TLS12SuiteParameters { get }
    var prf: TLS12PRF { get }
    var masterSecret: [UInt8] { get }
    var clientRandom: [UInt8] { get }
    var serverRandom: [UInt8] { get }
    var transcript: Transcript { get set }
}

extension Client12Handshake: TLS12HandshakeSecrets {}
extension Server12Handshake: TLS12HandshakeSecrets {}

extension TLS12HandshakeSecrets {
    /// The connection's state once the handshake is over.
    var traffic: TLS12Traffic {
        TLS12Traffic(version: version, prf: prf, suite: suite, masterSecret: masterSecret, clientRandom: clientRandom, serverRandom: serverRandom)
    }

    /// What the connection reports about the legacy protections in force (CBC suites only).
    func recordLegacyProtections(in parameters: inout NegotiatedParameters) {
        parameters.encryptThenMAC = suite.isCBC && encryptThenMAC
        // CBCRecordProtection always splits SSL 3.0 and TLS 1.0 application data 1/n−1 (their implicit IVs).
        parameters.recordSplitting = suite.isCBC && version <= .tls10
    }

    /// Checks the peer's Finished against the transcript so far (RFC 5246 §7.4.9) and adds it to the transcript.
    mutating func checkPeerFinished(_ finished: Finished, raw: [UInt8], io: any HandshakePort) throws(TLSError) {
        let expected = prf.finishedVerifyData(masterSecret: masterSecret, client: io.role == .server, transcript: transcript)
        try checkFinished(finished, expected: expected)
        transcript.append(raw)
    }

    /// How each side's last flight ends (full and abbreviated handshakes): ChangeCipherSpec, our keys, our Finished.
    mutating func sendChangeCipherSpecAndFinished(io: any HandshakePort) throws(TLSError) {
        io.sendChangeCipherSpec()
        try installTLS12Keys(io, self, write: true)
        let verifyData = prf.finishedVerifyData(masterSecret: masterSecret, client: io.role == .client, transcript: transcript)
        try io.sendHandshake(.finished(Finished(verifyData: verifyData)), transcript: &transcript)
        io.flushHandshake()
    }
}

/// Derives the key block (RFC 5246 §6.3; RFC 2246 §6.3 and RFC 4346 §6.3 for the CBC suites) and installs our write
/// keys (`write`) or the peer's (`!write`).
func installTLS12Keys(_ io: any HandshakePort, _ secrets: some TLS12HandshakeSecrets, write: Bool) throws(TLSError) {
    let suite = secrets.suite
    let ours = io.role == .client ? write : !write
    switch suite.protection {
    case .aead(let aead):
        let block = secrets.prf.keyBlock(masterSecret: secrets.masterSecret, clientRandom: secrets.clientRandom,
                                         serverRandom: secrets.serverRandom, keyLength: aead.keyLength,
                                         ivLength: suite.fixedIVLength)
        let key = ours ? block.clientKey : block.serverKey
        let iv = ours ? block.clientIV : block.serverIV
        let framing: RecordProtection.Framing = aead == .chacha20Poly1305 ? .tls12XorNonce : .tls12ExplicitNonce
        let protection = RecordProtection(aead: try io.common.cryptoProvider.makeAEAD(aead, key: key), iv: iv, framing: framing)
        io.installProtection(.aead(protection), write: write)
    case .cbc(let cipher, let mac):
        // SSL 3.0 and TLS 1.0 take their first IVs from the key block; TLS 1.1+ send an explicit IV in every record.
        let ivLength = secrets.version <= .tls10 ? CBCRecordProtection.blockLength : 0
        let block = secrets.prf.cbcKeyBlock(masterSecret: secrets.masterSecret, clientRandom: secrets.clientRandom,
                                            serverRandom: secrets.serverRandom, macKeyLength: mac.digestLength,
                                            keyLength: cipher.keyLength, ivLength: ivLength)
        let protection = try CBCRecordProtection(
            cipher: cipher, key: ours ? block.clientKey : block.serverKey, macAlgorithm: mac,
            macKey: ours ? block.clientMACKey : block.serverMACKey, version: secrets.version,
            encryptThenMAC: secrets.encryptThenMAC, initialIV: ours ? block.clientIV : block.serverIV)
        io.installProtection(.cbc(protection), write: write)
    }
}

/// After a TLS 1.2 handshake: renegotiation is refused (RFC 5746 makes it safe, but we never do it). A HelloRequest
/// or a new ClientHello gets a no_renegotiation warning and the connection carries on; anything else is unexpected.
func refuseRenegotiation12(_ message: HandshakeMessage, io: any HandshakePort) throws(TLSError) {
    switch (io.role, message) {
    case (.client, .helloRequest), (.server, .clientHello):
        try io.sendCountedWarning(.noRenegotiation)
    default:
        throw TLSError(.unexpectedMessage, "unexpected \(message.type) after the TLS 1.2 handshake")
    }
}
