import Crypto
import _CryptoExtras
import TLSCrypto
import TLSWire

/// One direction's record protection for the legacy AES-CBC + HMAC suites (RFC 2246 §6.2.3.2, RFC 4346 §6.2.3.2,
/// RFC 5246 §6.2.3.2), MAC-then-encrypt or encrypt-then-MAC (RFC 7366). It sits beside `RecordProtection` (AEAD) and
/// is used only when legacy versions are asked for (issue 17); the TLS 1.3 and TLS 1.2 AEAD paths never see it.
///
/// SSL 3.0 (RFC 6101 §5.2.3, client only, behind its own opt-in) is the TLS 1.0 layout with SSL 3.0's MAC, which
/// leaves the version out of the MAC header, and padding of which only the last byte, its length (at most one block
/// less one), can be checked: the padding bytes are arbitrary and uncovered by the MAC. That is POODLE, and nothing
/// here can repair it.
///
/// Every way a record can fail to open — wrong length, bad padding, bad MAC — throws the same error (bad_record_mac):
/// a padding oracle must not learn which check failed, from the alert or from the time taken (see `openMACThenEncrypt`).
struct CBCRecordProtection: Sendable {
    enum Cipher: Sendable, Hashable {
        case aes128
        case aes256

        var keyLength: Int { self == .aes128 ? 16 : 32 }
    }

    /// How the CBC IV of each record is chosen.
    enum IVMode: Sendable, Hashable {
        /// SSL 3.0 and TLS 1.0: the first IV comes from the key block, then each record chains from the last ciphertext block of
        /// the previous one (RFC 2246 §6.2.3.2), which is what BEAST exploits (see `fragments(of:maxFragment:)`).
        case implicit
        /// TLS 1.1 and 1.2: a fresh random IV sent in front of every record (RFC 4346 §6.2.3.2).
        case explicit
    }

    static let blockLength = 16
    /// TLSCiphertext.length may exceed 2^14 by at most 2048 (RFC 5246 §6.2.3).
    static let maxCiphertext = RecordLimits.maxPlaintext + 2048

    let cipher: Cipher
    let version: ProtocolVersion
    let ivMode: IVMode
    let encryptThenMAC: Bool
    private let key: SymmetricKey
    private let mac: LegacyHMAC
    /// Implicit mode: the IV of the next record (the key block's IV, then the previous record's last block).
    private var chainedIV: [UInt8]
    private(set) var sequenceNumber: UInt64 = 0

    /// `version` is the negotiated SSL 3.0 (MD5 or SHA-1, no encrypt-then-MAC), TLS 1.0, 1.1 or 1.2;
    /// `initialIV` is the key block's IV, required for SSL 3.0 and TLS 1.0 and ignored otherwise.
    init(cipher: Cipher, key: [UInt8], macAlgorithm: LegacyMACAlgorithm, macKey: [UInt8], version: ProtocolVersion,
         encryptThenMAC: Bool, initialIV: [UInt8] = []) throws(TLSError) {
        guard version >= .ssl3 && version <= .tls12 else {
            throw .internalError("CBC record protection for \(version): only SSL 3.0 to TLS 1.2")
        }
        guard key.count == cipher.keyLength, macKey.count == macAlgorithm.digestLength else {
            throw .internalError("CBC key or MAC key of the wrong length for \(cipher) with \(macAlgorithm)")
        }
        let ivMode: IVMode = version <= .tls10 ? .implicit : .explicit
        if ivMode == .implicit && initialIV.count != Self.blockLength {
            throw .internalError("\(version) CBC needs a \(Self.blockLength)-byte IV from the key block")
        }
        let mac: LegacyHMAC
        if version == .ssl3 {
            // SSL 3.0 has no extensions, so no encrypt-then-MAC, and its MAC is defined over MD5 and SHA-1 only.
            guard !encryptThenMAC, let ssl3 = LegacyHMAC.ssl3(macAlgorithm, key: macKey) else {
                throw .internalError("SSL 3.0 CBC with \(macAlgorithm)\(encryptThenMAC ? " and encrypt-then-MAC" : "")")
            }
            mac = ssl3
        } else {
            mac = macAlgorithm.keyed(macKey)
        }
        self.cipher = cipher
        self.version = version
        self.ivMode = ivMode
        self.encryptThenMAC = encryptThenMAC
        self.key = SymmetricKey(data: key)
        self.mac = mac
        self.chainedIV = ivMode == .implicit ? initialIV : []
    }

    var macLength: Int { mac.algorithm.digestLength }
    private var explicitIVLength: Int { ivMode == .explicit ? Self.blockLength : 0 }

    // MARK: Sealing

    /// Appends `fragment` as one protected record of `type` (header included) to `output`. Explicit IVs are drawn
    /// from `random`, the engine's injected randomness source.
    mutating func seal(_ type: ContentType, _ fragment: ArraySlice<UInt8>, random: inout any RandomSource,
                       appendingTo output: inout [UInt8]) throws(TLSError) {
        guard fragment.count <= RecordLimits.maxPlaintext else {
            throw .internalError("CBC record of \(fragment.count) bytes exceeds 2^14")
        }
        let iv = ivMode == .explicit ? random.bytes(Self.blockLength) : chainedIV
        guard iv.count == Self.blockLength else { throw .internalError("random source returned a short IV") }

        // MAC-then-encrypt: content || MAC || padding; encrypt-then-MAC: content || padding, the MAC outside.
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(fragment.count + macLength + Self.blockLength)
        plaintext.append(contentsOf: fragment)
        if !encryptThenMAC {
            plaintext.append(contentsOf: mac.authenticationCode(macHeader(type, length: fragment.count), fragment))
        }
        // The least padding that fills the last block: padding_length + 1 bytes, each equal to padding_length.
        let paddingLength = (Self.blockLength - (plaintext.count + 1) % Self.blockLength) % Self.blockLength
        plaintext.append(contentsOf: repeatElement(UInt8(paddingLength), count: paddingLength + 1))
        let ciphertext = try encrypt(plaintext, iv: iv)

        var body: [UInt8] = []
        body.reserveCapacity(explicitIVLength + ciphertext.count + macLength)
        if ivMode == .explicit { body.append(contentsOf: iv) }
        body.append(contentsOf: ciphertext)
        if encryptThenMAC {
            // RFC 7366 §3: the MAC covers the header with the length of IV || ciphertext, then IV || ciphertext.
            body.append(contentsOf: mac.authenticationCode(macHeader(type, length: body.count), body[...]))
        }
        if ivMode == .implicit { chainedIV = Array(ciphertext.suffix(Self.blockLength)) }
        try advance()

        output.reserveCapacity(output.count + RecordLimits.headerLength + body.count)
        output.append(contentsOf: [type.rawValue, UInt8(version.rawValue >> 8), UInt8(truncatingIfNeeded: version.rawValue),
                                   UInt8(truncatingIfNeeded: body.count >> 8), UInt8(truncatingIfNeeded: body.count)])
        output.append(contentsOf: body)
    }

    /// The fragments an application write of `payload` goes out in. SSL 3.0 and TLS 1.0 (implicit IV) uses 1/n−1 record
    /// splitting against BEAST: a record of the first byte, then the rest, so each record's IV-dependent first block
    /// holds MAC-randomised bytes the attacker cannot choose. TLS 1.1+ (explicit random IVs) just fragments.
    func fragments(of payload: ArraySlice<UInt8>, maxFragment: Int = RecordLimits.maxPlaintext) -> [ArraySlice<UInt8>] {
        let size = max(1, min(maxFragment, RecordLimits.maxPlaintext))
        var fragments: [ArraySlice<UInt8>] = []
        var rest = payload
        if ivMode == .implicit && rest.count > 1 {
            fragments.append(rest.prefix(1))
            rest = rest.dropFirst(1)
        }
        while !rest.isEmpty {
            fragments.append(rest.prefix(size))
            rest = rest.dropFirst(size)
        }
        return fragments
    }

    /// Seals an application write as the records `fragments(of:maxFragment:)` gives.
    mutating func sealApplicationData(_ payload: ArraySlice<UInt8>, maxFragment: Int = RecordLimits.maxPlaintext,
                                      random: inout any RandomSource, appendingTo output: inout [UInt8]) throws(TLSError) {
        for fragment in fragments(of: payload, maxFragment: maxFragment) {
            try seal(.applicationData, fragment, random: &random, appendingTo: &output)
        }
    }

    // MARK: Opening

    /// The one error of every failed open: bad_record_mac, with nothing said about which check failed.
    static func badRecord() -> TLSError {
        TLSError(.peerMisbehaved(.recordAuthenticationFailed), "CBC record failed to decrypt and authenticate")
    }

    /// Opens the body (the bytes after the 5-byte header) of a record of `type` and returns its plaintext.
    mutating func open(_ type: ContentType, body: ArraySlice<UInt8>) throws(TLSError) -> [UInt8] {
        guard body.count <= Self.maxCiphertext else {
            throw TLSError(.peerMisbehaved(.recordOverflow), "CBC record of \(body.count) bytes exceeds 2^14 + 2048")
        }
        let plaintext = try encryptThenMAC ? openEncryptThenMAC(type, body: body) : openMACThenEncrypt(type, body: body)
        guard plaintext.count <= RecordLimits.maxPlaintext else {
            throw TLSError(.peerMisbehaved(.recordOverflow), "decrypted record of \(plaintext.count) bytes exceeds 2^14")
        }
        try advance()
        return plaintext
    }

    /// MAC-then-encrypt, with the Lucky Thirteen countermeasures (AlFardan and Paterson, 2013; as in BoringSSL's
    /// EVP_tls_cbc_remove_padding / copy_mac and s2n's s2n_verify_cbc): the padding is checked with masks over the
    /// largest span it can cover; a bad padding is taken as none and the MAC is still computed and compared; the MAC
    /// is read out of the record by scanning every position it can start at; and the hash's compression function
    /// runs as many times as for the longest content this record can hold, whatever the padding says.
    ///
    /// What remains: swift-crypto exposes no compression function, so the real MAC and the throwaway blocks are two
    /// hash runs, and copying the content before the MAC varies with its length by a memcpy of at most 256 bytes.
    private mutating func openMACThenEncrypt(_ type: ContentType, body: ArraySlice<UInt8>) throws(TLSError) -> [UInt8] {
        let macLength = self.macLength
        let ivLength = explicitIVLength
        // At least one block, and room for the MAC and the padding_length byte (public: depends only on the length).
        let minimum = ivLength + max(Self.blockLength, (macLength + 1 + Self.blockLength - 1) / Self.blockLength * Self.blockLength)
        guard body.count >= minimum, (body.count - ivLength) % Self.blockLength == 0 else { throw Self.badRecord() }

        let ivEnd = body.startIndex + ivLength
        let iv = ivMode == .explicit ? Array(body[body.startIndex..<ivEnd]) : chainedIV
        let ciphertext = body[ivEnd...]
        if ivMode == .implicit { chainedIV = Array(ciphertext.suffix(Self.blockLength)) }
        let decrypted = try decrypt(ciphertext, iv: iv)
        let n = decrypted.count   // ≥ macLength + 1 (checked above)

        // Padding: the last byte p, and the p bytes before it all equal to p, with room for the MAC in front.
        let p = Int(decrypted[n - 1])
        var bad = ~CT.greaterOrEqual(n, p + 1 + macLength)
        if mac.isSSL3 {
            // SSL 3.0 (RFC 6101 §5.2.3.2): padding_length < block length is all there is to check; the padding bytes
            // are arbitrary (POODLE). The version is public, so this branch leaks nothing.
            bad |= CT.greaterOrEqual(p, Self.blockLength)
        } else {
            for i in 0..<min(256, n) {
                // i = 0 is padding_length itself; bytes i ≤ p are padding.
                bad |= CT.greaterOrEqual(p, i) & (p ^ Int(decrypted[n - 1 - i]))
            }
        }
        let goodPadding = CT.equal(bad, 0)
        // A bad padding counts as none, so the MAC is still computed (and fails) in the same time.
        let contentLength = n - macLength - (goodPadding & (p + 1))

        let expected = mac.authenticationCode(macHeader(type, length: contentLength), decrypted[0..<contentLength])
        // The longest content the record can hold (padding taken as none); burn the compressions a shorter one saved.
        let longest = n - macLength
        let headerLength = macHeaderLength
        mac.burnCompressions(mac.innerCompressions(messageLength: headerLength + longest)
                             - mac.innerCompressions(messageLength: headerLength + contentLength))

        // The received MAC starts at contentLength, somewhere in the last 256 + macLength bytes: read every candidate.
        var received = [UInt8](repeating: 0, count: macLength)
        for start in max(0, longest - 256)...longest {
            let mask = UInt8(truncatingIfNeeded: CT.equal(start, contentLength))
            for k in 0..<macLength { received[k] |= decrypted[start + k] & mask }
        }
        let goodMAC = constantTimeEquals(expected, received)
        guard goodPadding != 0 && goodMAC else { throw Self.badRecord() }
        return Array(decrypted[0..<contentLength])
    }

    /// RFC 7366 §3: the MAC over IV || ciphertext is checked before anything is decrypted; the padding of an
    /// authenticated record is then only the peer's own mistake, still bad_record_mac.
    private mutating func openEncryptThenMAC(_ type: ContentType, body: ArraySlice<UInt8>) throws(TLSError) -> [UInt8] {
        let macLength = self.macLength
        let ivLength = explicitIVLength
        guard body.count >= ivLength + Self.blockLength + macLength,
              (body.count - ivLength - macLength) % Self.blockLength == 0 else { throw Self.badRecord() }
        let macStart = body.endIndex - macLength
        let authenticated = body[body.startIndex..<macStart]
        let expected = mac.authenticationCode(macHeader(type, length: authenticated.count), authenticated)
        guard constantTimeEquals(expected, Array(body[macStart...])) else { throw Self.badRecord() }

        let ivEnd = body.startIndex + ivLength
        let iv = ivMode == .explicit ? Array(body[body.startIndex..<ivEnd]) : chainedIV
        let ciphertext = body[ivEnd..<macStart]
        if ivMode == .implicit { chainedIV = Array(ciphertext.suffix(Self.blockLength)) }
        let decrypted = try decrypt(ciphertext, iv: iv)
        let n = decrypted.count
        let p = Int(decrypted[n - 1])
        guard p + 1 <= n, decrypted[(n - 1 - p)...].allSatisfy({ Int($0) == p }) else { throw Self.badRecord() }
        return Array(decrypted[0..<(n - 1 - p)])
    }

    // MARK: Pieces

    /// 13 bytes; 11 for SSL 3.0, whose MAC leaves the version out.
    private var macHeaderLength: Int { version == .ssl3 ? 11 : 13 }

    /// seq_num || type || version || length: the MAC's prefix (RFC 5246 §6.2.3.1; RFC 7366 §3 with the ciphertext
    /// length); SSL 3.0's is seq_num || type || length (RFC 6101 §5.2.3.1).
    private func macHeader(_ type: ContentType, length: Int) -> [UInt8] {
        var header: [UInt8] = []
        header.reserveCapacity(13)
        for shift in stride(from: 56, through: 0, by: -8) { header.append(UInt8(truncatingIfNeeded: sequenceNumber >> UInt64(shift))) }
        header.append(type.rawValue)
        if version != .ssl3 {
            header.append(UInt8(version.rawValue >> 8))
            header.append(UInt8(truncatingIfNeeded: version.rawValue))
        }
        header.append(UInt8(truncatingIfNeeded: length >> 8))
        header.append(UInt8(truncatingIfNeeded: length))
        return header
    }

    private mutating func advance() throws(TLSError) {
        guard sequenceNumber < UInt64.max else { throw TLSError(.limitExceeded(.sequenceNumber), "record sequence number exhausted") }
        sequenceNumber += 1
    }

    private func encrypt(_ plaintext: [UInt8], iv: [UInt8]) throws(TLSError) -> [UInt8] {
        do {
            return Array(try AES._CBC.encrypt(plaintext, using: key, iv: AES._CBC.IV(ivBytes: iv), noPadding: true))
        } catch {
            // Not expected: the key, IV and block alignment are all checked or built above.
            throw .internalError("AES-CBC encryption failed")
        }
    }

    /// `ciphertext` is whole blocks (checked by the caller); any failure is still only bad_record_mac.
    private func decrypt(_ ciphertext: ArraySlice<UInt8>, iv: [UInt8]) throws(TLSError) -> [UInt8] {
        let plaintext: [UInt8]
        do {
            plaintext = Array(try AES._CBC.decrypt(ciphertext, using: key, iv: AES._CBC.IV(ivBytes: iv), noPadding: true))
        } catch {
            throw Self.badRecord()
        }
        // The callers index the plaintext from its end on the strength of this length.
        guard plaintext.count == ciphertext.count else { throw Self.badRecord() }
        return plaintext
    }
}

/// Branch-free comparisons on small non-negative Ints (record lengths, padding bytes): all ones when true, zero
/// when false, so secret values pick masks rather than branches.
private enum CT {
    /// a ≥ b, for 0 ≤ a, b < 2^62.
    static func greaterOrEqual(_ a: Int, _ b: Int) -> Int { ~((a &- b) >> (Int.bitWidth - 1)) }
    /// a == b, for 0 ≤ a, b < 2^62.
    static func equal(_ a: Int, _ b: Int) -> Int { ~(((a &- b) | (b &- a)) >> (Int.bitWidth - 1)) }
}
