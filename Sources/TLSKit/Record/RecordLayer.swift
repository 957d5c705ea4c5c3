import TLSCrypto

/// Record limits (RFC 8446 §5.1, §5.2).
enum RecordLimits {
    static let headerLength = 5
    static let maxPlaintext = 1 << 14
    /// TLSCiphertext.length may exceed 2^14 by at most 256 (content type, padding and tag).
    static let maxCiphertext = (1 << 14) + 256
}

/// One direction's record protection: AEAD, static IV and sequence number (RFC 8446 §5.3).
struct RecordProtection: Sendable {
    /// How the record is framed around the AEAD.
    enum Framing: Sendable {
        /// TLS 1.3: TLSInnerPlaintext, nonce = IV XOR sequence number, AAD = the record header.
        case tls13
        /// TLS 1.2 AES-GCM (RFC 5288): nonce = 4-byte salt || 8-byte explicit nonce sent in the record.
        case tls12ExplicitNonce
        /// TLS 1.2 ChaCha20-Poly1305 (RFC 7905): nonce = 12-byte IV XOR sequence number.
        case tls12XorNonce
    }

    let aead: any RecordAEAD
    let iv: [UInt8]
    let framing: Framing
    private(set) var sequenceNumber: UInt64 = 0

    init(aead: any RecordAEAD, iv: [UInt8], framing: Framing = .tls13) {
        self.aead = aead
        self.iv = iv
        self.framing = framing
    }

    /// Test seam: the same key at a chosen sequence number (to exercise the AEAD usage limit without 2^24 records).
    init(aead: any RecordAEAD, iv: [UInt8], sequenceNumber: UInt64) {
        self.aead = aead
        self.iv = iv
        self.framing = .tls13
        self.sequenceNumber = sequenceNumber
    }

    var sequenceBytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: sequenceNumber >> (8 * UInt64(7 - $0))) }
    }

    /// The per-record nonce: the 64-bit sequence number, left-padded to iv_length, XORed with the static IV
    /// (TLS 1.3 and TLS 1.2 ChaCha20), or salt || sequence number as the explicit part (TLS 1.2 AES-GCM).
    func nonce() -> [UInt8] {
        if framing == .tls12ExplicitNonce { return iv + sequenceBytes }
        var nonce = iv
        let count = nonce.count
        for i in 0..<8 {
            nonce[count - 1 - i] ^= UInt8(truncatingIfNeeded: sequenceNumber >> (8 * UInt64(i)))
        }
        return nonce
    }

    /// TLS 1.2 additional data: seq_num || type || version || length of the plaintext (RFC 5246 §6.2.3.3).
    func tls12AdditionalData(type: ContentType, length: Int) -> [UInt8] {
        sequenceBytes + [type.rawValue, 0x03, 0x03, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
    }

    mutating func advance() throws(TLSError) {
        guard sequenceNumber < UInt64.max else { throw TLSError(.limitExceeded(.sequenceNumber), "record sequence number exhausted") }
        sequenceNumber += 1
    }
}

/// One direction's record protection, whichever kind the negotiated suite uses: the AEAD (TLS 1.3, TLS 1.2 GCM and
/// ChaCha20) or the legacy AES-CBC + HMAC suites (TLS 1.0–1.2, only with `insecureLegacyVersions`). The record
/// layer switches on this once per record; nothing outside it needs to know which it is.
enum RecordCipherState: Sendable {
    case aead(RecordProtection)
    case cbc(CBCRecordProtection)

    var sequenceNumber: UInt64 {
        switch self {
        case .aead(let protection): return protection.sequenceNumber
        case .cbc(let protection): return protection.sequenceNumber
        }
    }
}

/// A record as the engine sees it after deprotection: the real content type and the plaintext.
struct PlainRecord: Sendable {
    var contentType: ContentType
    var fragment: [UInt8]
    /// True when the record arrived protected (TLSInnerPlaintext), false for a plaintext record.
    var wasProtected: Bool
    /// Rejected 0-RTT data dropped by the record layer (RFC 8446 §4.2.10); the connection ignores it.
    var skipped = false
}

/// The TLS 1.3 record layer: framing, deprotection, fragmentation and protection. It knows nothing about
/// handshake states; the connection installs and removes keys as the handshake moves.
struct RecordLayer: Sendable {
    private var inbound: [UInt8] = []
    private var inboundStart = 0
    /// The TLSInnerPlaintext of the record being sealed; kept so its storage is reused record after record.
    private var sealScratch: [UInt8] = []

    var readState: RecordCipherState?
    var writeState: RecordCipherState?
    /// The connection's injected randomness: CBC records with an explicit IV (TLS 1.1+) draw it from here.
    var random: any RandomSource = SystemRandomSource()

    /// The AEAD protection, when that is what is installed (nil for none and for CBC).
    var readProtection: RecordProtection? {
        get { if case .aead(let protection)? = readState { return protection } else { return nil } }
        set { readState = newValue.map { .aead($0) } }
    }
    var writeProtection: RecordProtection? {
        get { if case .aead(let protection)? = writeState { return protection } else { return nil } }
        set { writeState = newValue.map { .aead($0) } }
    }

    /// Largest plaintext we put in one record (2^14, or less when the peer sent record_size_limit).
    var maxOutgoingFragment = RecordLimits.maxPlaintext
    /// TLS 1.3 record padding (RFC 8446 §5.4): pad each TLSInnerPlaintext to a multiple of this many bytes
    /// (0: no padding), so record lengths reveal less about the content.
    var paddingBlockSize = 0
    /// Largest TLSInnerPlaintext (content, type byte and padding) accepted: 2^14 + 1 (RFC 8446 §5.4), or the
    /// record_size_limit we announced once the peer has agreed to it (RFC 8449 §4).
    var maxIncomingInnerPlaintext = RecordLimits.maxPlaintext + 1
    /// The legacy_record_version we write: 0x0301 for an initial ClientHello, 0x0303 otherwise (RFC 8446 §5.1).
    var outgoingLegacyVersion: ProtocolVersion = .tls12

    /// Bytes of rejected early data still to be dropped (records we cannot decrypt, or unprotected application data
    /// after a HelloRetryRequest), RFC 8446 §4.2.10. Zero once a record decrypts.
    var rejectedEarlyDataBudget = 0
    /// Server, TLS 1.3: until the client's first protected record arrives, a plaintext alert is still read.
    var plaintextAlertsAllowed = false

    /// A record header has been accepted: an SSL 2.0-format hello can only be the very first thing read.
    private var readAnyRecord = false

    /// Number of buffered, not yet processed bytes (bounded by the caller feeding at most what it reads).
    var bufferedByteCount: Int { inbound.count - inboundStart }

    mutating func receive(_ bytes: [UInt8]) {
        if inboundStart == inbound.count {
            // Nothing buffered: take the caller's array as it is (no copy; records are sliced out of it).
            inbound = bytes
            inboundStart = 0
            return
        } else if inboundStart > 32 * 1024 {
            inbound.removeSubrange(0..<inboundStart)
            inboundStart = 0
        }
        inbound.append(contentsOf: bytes)
    }

    /// The next complete record, deprotected, or nil when more bytes are needed.
    mutating func nextRecord() throws(TLSError) -> PlainRecord? {
        let available = inbound.count - inboundStart
        guard available >= RecordLimits.headerLength else {
            // Everything consumed: let the storage go (an idle connection holds no receive buffer).
            if available == 0 && !inbound.isEmpty { inbound = []; inboundStart = 0 }
            return nil
        }
        let h = inboundStart
        let rawType = inbound[h]
        let versionMajor = inbound[h + 1]
        let length = Int(inbound[h + 3]) << 8 | Int(inbound[h + 4])

        // RFC 5246 Appendix E.2: a two-byte length with the high bit set, then msg_type 1, is an SSL 2.0 CLIENT-HELLO.
        // Refused even with legacy versions on: it carries no extensions (no EMS, SNI or renegotiation_info), and no
        // client that can do TLS 1.0 needs it; protocol_version, in a TLS alert record, rather than unexpected_message.
        if !readAnyRecord && readState == nil && rawType & 0x80 != 0 && inbound[h + 2] == 0x01 {
            throw TLSError(.peerIncompatible(.sslv2ClientHello), "an SSL 2.0-format ClientHello (RFC 5246 Appendix E.2)")
        }
        guard let type = ContentType(rawValue: rawType) else {
            throw TLSError(.unexpectedMessage, "record of unknown content type \(rawType)")
        }
        guard versionMajor == 0x03 else {
            throw TLSError(.malformed, "record with legacy version major \(versionMajor) (SSL 2.0 or garbage)")
        }
        let protected: Bool
        switch readState {
        case .aead(let protection)?: protected = protection.framing != .tls13 || type == .applicationData
        case .cbc?: protected = true
        case nil: protected = false
        }
        // Rejected early data is protected even when we hold no read key (after a HelloRetryRequest): the
        // protected-record limit applies to what we skip (RFC 8446 §4.2.10, §5.2).
        let skippable = type == .applicationData && rejectedEarlyDataBudget > 0
        // CBC records may carry up to 2048 bytes of IV, MAC and padding (RFC 5246 §6.2.3).
        let protectedLimit: Int
        if case .cbc? = readState { protectedLimit = CBCRecordProtection.maxCiphertext } else { protectedLimit = RecordLimits.maxCiphertext }
        let limit = (protected || skippable) && type != .changeCipherSpec ? protectedLimit : RecordLimits.maxPlaintext
        guard length <= limit else {
            throw TLSError(.peerMisbehaved(.recordOverflow), "record of \(length) bytes exceeds the limit of \(limit)")
        }
        guard available >= RecordLimits.headerLength + length else { return nil }

        readAnyRecord = true
        let bodyStart = h + RecordLimits.headerLength
        // A view into the buffer, not a copy: protected bodies go straight to the AEAD.
        let body = inbound[bodyStart..<(bodyStart + length)]
        inboundStart = bodyStart + length

        // change_cipher_spec is never protected (RFC 8446 §5); the handshake decides whether it is allowed.
        if type == .changeCipherSpec {
            return PlainRecord(contentType: type, fragment: Array(body), wasProtected: false)
        }

        if case .cbc(var cbc)? = readState {
            return try openCBC(type: type, body: body, protection: &cbc)
        }
        guard var protection = readProtection else {
            // Only while a budget is open: a zero-length record must not slip through a zero budget (RFC 8446 §5.1).
            if type == .applicationData && rejectedEarlyDataBudget > 0 && body.count <= rejectedEarlyDataBudget {
                rejectedEarlyDataBudget -= body.count
                return PlainRecord(contentType: type, fragment: [], wasProtected: false, skipped: true)
            }
            if type != .applicationData && body.isEmpty {
                throw TLSError(.peerMisbehaved(.emptyRecord), "empty \(type) record")
            }
            return PlainRecord(contentType: type, fragment: Array(body), wasProtected: false)
        }
        if protection.framing != .tls13 {
            return try openTLS12(type: type, body: body, protection: &protection)
        }
        guard type == .applicationData else {
            // A peer that aborts before it has our keys (a TLS 1.3 client right after our Finished) may send its
            // alert in the clear; OpenSSL does. Take it as the peer's reason rather than answer unexpected_message.
            if type == .alert && plaintextAlertsAllowed {
                return PlainRecord(contentType: type, fragment: Array(body), wasProtected: false)
            }
            throw TLSError(.unexpectedMessage, "unprotected \(type) record after keys were established")
        }
        guard body.count > protection.aead.algorithm.tagLength else {
            // Rejected early data too short to hold a tag is skipped like any other that fails (RFC 8446 §4.2.10).
            if rejectedEarlyDataBudget > 0 && body.count <= rejectedEarlyDataBudget {
                rejectedEarlyDataBudget -= body.count
                return PlainRecord(contentType: type, fragment: [], wasProtected: false, skipped: true)
            }
            throw TLSError(.peerMisbehaved(.recordAuthenticationFailed), "protected record too short to hold a tag")
        }
        let header = Array(inbound[h..<bodyStart])
        var inner: [UInt8] = []
        inner.reserveCapacity(body.count)
        do {
            try protection.aead.open(nonce: protection.nonce(), additionalData: header, ciphertextAndTag: body,
                                     appendingTo: &inner)
        } catch {
            // Early data the server rejected is protected under a key it does not use: drop it, within budget.
            guard rejectedEarlyDataBudget > 0 && body.count <= rejectedEarlyDataBudget else { throw error }
            rejectedEarlyDataBudget -= body.count
            return PlainRecord(contentType: type, fragment: [], wasProtected: false, skipped: true)
        }
        rejectedEarlyDataBudget = 0
        plaintextAlertsAllowed = false
        try protection.advance()
        readProtection = protection
        // RFC 8446 §5.4: padding does not lift the size limit; the whole TLSInnerPlaintext must fit.
        guard inner.count <= maxIncomingInnerPlaintext else {
            throw TLSError(.peerMisbehaved(.recordOverflow), "decrypted record of \(inner.count) bytes (with type and padding) exceeds \(maxIncomingInnerPlaintext)")
        }

        // TLSInnerPlaintext: content || type || zeros. Strip the padding from the end.
        var end = inner.count
        while end > 0 && inner[end - 1] == 0 { end -= 1 }
        guard end > 0 else { throw TLSError(.peerMisbehaved(.emptyRecord), "protected record has no content type") }
        guard let innerType = ContentType(rawValue: inner[end - 1]) else {
            throw TLSError(.unexpectedMessage, "protected record of unknown inner content type \(inner[end - 1])")
        }
        inner.removeSubrange((end - 1)...)
        guard inner.count <= RecordLimits.maxPlaintext else {
            throw TLSError(.peerMisbehaved(.recordOverflow), "decrypted record of \(inner.count) bytes exceeds 2^14")
        }
        if innerType == .changeCipherSpec {
            throw TLSError(.peerMisbehaved(.changeCipherSpecOutOfPlace), "protected change_cipher_spec record")
        }
        if innerType != .applicationData && inner.isEmpty {
            throw TLSError(.peerMisbehaved(.emptyRecord), "empty protected \(innerType) record")
        }
        return PlainRecord(contentType: innerType, fragment: inner, wasProtected: true)
    }

    /// TLS 1.2 AEAD records: the content type is in the clear, the plaintext carries no inner type.
    private mutating func openTLS12(type: ContentType, body: ArraySlice<UInt8>, protection: inout RecordProtection) throws(TLSError) -> PlainRecord {
        let explicitLength = protection.framing == .tls12ExplicitNonce ? 8 : 0
        let tagLength = protection.aead.algorithm.tagLength
        guard body.count >= explicitLength + tagLength else {
            throw TLSError(.peerMisbehaved(.recordAuthenticationFailed), "protected record too short for its nonce and tag")
        }
        let sealedStart = body.startIndex + explicitLength
        let nonce = explicitLength > 0 ? protection.iv + body[body.startIndex..<sealedStart] : protection.nonce()
        let plaintextLength = body.count - explicitLength - tagLength
        let additionalData = protection.tls12AdditionalData(type: type, length: plaintextLength)
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(plaintextLength)
        try protection.aead.open(nonce: nonce, additionalData: additionalData, ciphertextAndTag: body[sealedStart...],
                                 appendingTo: &plaintext)
        try protection.advance()
        readProtection = protection
        return try checkedTLS12Plaintext(type: type, plaintext)
    }

    /// Legacy CBC records: the MAC and padding are checked (in constant time) by `CBCRecordProtection`.
    private mutating func openCBC(type: ContentType, body: ArraySlice<UInt8>, protection: inout CBCRecordProtection) throws(TLSError) -> PlainRecord {
        let plaintext = try protection.open(type, body: body)
        readState = .cbc(protection)
        return try checkedTLS12Plaintext(type: type, plaintext)
    }

    /// The checks on a deprotected TLS 1.2-and-older record, AEAD or CBC: its size and that only application data
    /// may be empty.
    private func checkedTLS12Plaintext(type: ContentType, _ plaintext: [UInt8]) throws(TLSError) -> PlainRecord {
        // RFC 8449 §4: in TLS 1.2 a negotiated record_size_limit counts the plaintext itself (no type byte).
        let limit = min(RecordLimits.maxPlaintext, maxIncomingInnerPlaintext)
        guard plaintext.count <= limit else {
            throw TLSError(.peerMisbehaved(.recordOverflow), "decrypted record of \(plaintext.count) bytes exceeds \(limit)")
        }
        if type != .applicationData && plaintext.isEmpty {
            throw TLSError(.peerMisbehaved(.emptyRecord), "empty protected \(type) record")
        }
        return PlainRecord(contentType: type, fragment: plaintext, wasProtected: true)
    }

    /// Appends `payload` as one or more records of `type` to `output`, protecting them when keys are installed.
    mutating func write(_ type: ContentType, _ payload: [UInt8], to output: inout [UInt8]) throws(TLSError) {
        if type == .applicationData, case .cbc(let cbc)? = writeState {
            // TLS 1.0: 1/n−1 record splitting against BEAST (see `CBCRecordProtection.fragments`).
            for fragment in cbc.fragments(of: payload[...], maxFragment: maxOutgoingFragment) {
                try writeRecord(type, fragment, to: &output)
            }
            if payload.isEmpty { try writeRecord(type, payload[...], to: &output) }
            return
        }
        if payload.isEmpty {
            try writeRecord(type, payload[...], to: &output)
            return
        }
        var offset = 0
        while offset < payload.count {
            let end = min(offset + maxOutgoingFragment, payload.count)
            try writeRecord(type, payload[offset..<end], to: &output)
            offset = end
        }
    }

    /// Records written with the current write key (for the AEAD usage limit, RFC 8446 §5.5).
    var recordsWrittenWithCurrentKey: UInt64 { writeState?.sequenceNumber ?? 0 }

    private mutating func writeRecord(_ type: ContentType, _ fragment: ArraySlice<UInt8>, to output: inout [UInt8]) throws(TLSError) {
        if type != .changeCipherSpec, case .cbc(var cbc)? = writeState {
            // The header's version is the negotiated one (the protection carries it: the MAC covers it too).
            try cbc.seal(type, fragment, random: &random, appendingTo: &output)
            writeState = .cbc(cbc)
            return
        }
        guard var protection = writeProtection, type != .changeCipherSpec else {
            output.reserveCapacity(output.count + RecordLimits.headerLength + fragment.count)
            output.append(type.rawValue)
            output.append(UInt8(outgoingLegacyVersion.rawValue >> 8))
            output.append(UInt8(truncatingIfNeeded: outgoingLegacyVersion.rawValue))
            output.append(UInt8(truncatingIfNeeded: fragment.count >> 8))
            output.append(UInt8(truncatingIfNeeded: fragment.count))
            output.append(contentsOf: fragment)
            return
        }
        if protection.framing != .tls13 {
            let additionalData = protection.tls12AdditionalData(type: type, length: fragment.count)
            let nonce = protection.nonce()
            let explicit = protection.framing == .tls12ExplicitNonce ? protection.sequenceBytes : []
            let length = explicit.count + fragment.count + protection.aead.algorithm.tagLength
            // Header and explicit nonce first, then the AEAD appends ciphertext || tag behind them.
            let recordStart = output.count
            output.reserveCapacity(recordStart + RecordLimits.headerLength + length)
            output.append(contentsOf: [type.rawValue, 0x03, 0x03, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)])
            output.append(contentsOf: explicit)
            do {
                try protection.aead.seal(nonce: nonce, additionalData: additionalData, plaintext: fragment, appendingTo: &output)
            } catch {
                output.removeSubrange(recordStart...)
                throw error
            }
            try protection.advance()
            writeProtection = protection
            return
        }
        // TLSInnerPlaintext (content || type || padding), built in a buffer kept for the next record.
        sealScratch.removeAll(keepingCapacity: true)
        sealScratch.append(contentsOf: fragment)
        sealScratch.append(type.rawValue)
        if paddingBlockSize > 1 {
            let padded = min((sealScratch.count + paddingBlockSize - 1) / paddingBlockSize * paddingBlockSize, maxOutgoingFragment + 1)
            sealScratch.append(contentsOf: repeatElement(0, count: padded - sealScratch.count))
        }
        let length = sealScratch.count + protection.aead.algorithm.tagLength
        let header: [UInt8] = [
            ContentType.applicationData.rawValue, 0x03, 0x03,
            UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
        ]
        let recordStart = output.count
        output.reserveCapacity(recordStart + RecordLimits.headerLength + length)
        output.append(contentsOf: header)
        do {
            try protection.aead.seal(nonce: protection.nonce(), additionalData: header, plaintext: sealScratch[...],
                                     appendingTo: &output)
        } catch {
            output.removeSubrange(recordStart...)
            throw error
        }
        try protection.advance()
        writeProtection = protection
    }
}

/// Reassembles handshake messages from handshake records: several messages per record and one message over
/// several records (RFC 8446 §5.1). Bounded by `maxMessageSize`.
struct HandshakeReassembler: Sendable {
    private var buffer: [UInt8] = []
    let maxMessageSize: Int

    init(maxMessageSize: Int) { self.maxMessageSize = maxMessageSize }

    /// The longest body each type's own fields allow (RFC 8446 §4, RFC 5246 §7.4). A ClientHello: version 2, random
    /// 32, session ID 1 + 32, cipher suites 2 + 65534, compression 1 + 255, extensions 2 + 65535 = 131,396.
    static let structuralMaximum: [HandshakeType: Int] = [
        .clientHello: 131_396,
        .serverHello: 2 + 32 + 1 + 32 + 2 + 1 + 2 + 65_535,
        .finished: 64,   // the longest hash, SHA-512
        .keyUpdate: 1,
        .endOfEarlyData: 0,
        .serverHelloDone: 0,
        .helloRequest: 0,
    ]

    var isEmpty: Bool { buffer.isEmpty }

    mutating func append(_ fragment: [UInt8]) { buffer.append(contentsOf: fragment) }

    /// Puts a whole message back in front, to be returned again by the next `nextMessage()`.
    mutating func pushBack(_ raw: [UInt8]) { buffer.insert(contentsOf: raw, at: 0) }

    /// The next whole message as (type byte, body, full bytes including the header), or nil if incomplete.
    mutating func nextMessage() throws(TLSError) -> (type: UInt8, body: [UInt8], raw: [UInt8])? {
        guard buffer.count >= 4 else { return nil }
        let length = Int(buffer[1]) << 16 | Int(buffer[2]) << 8 | Int(buffer[3])
        let type = HandshakeType(rawValue: buffer[0])
        // Longer than its type can be at all: it cannot be parsed, decode_error (RFC 8446 §6).
        if let type, let most = Self.structuralMaximum[type], length > most {
            throw TLSError(.malformed, "\(type) of \(length) bytes; it cannot be longer than \(most)")
        }
        // A ClientHello may use everything its fields can hold; other messages stay within the configured limit.
        guard length <= maxMessageSize || type == .clientHello else {
            throw TLSError(.peerMisbehaved(.handshakeMessageTooLarge), "handshake message of \(length) bytes exceeds the limit of \(maxMessageSize)")
        }
        guard buffer.count >= 4 + length else { return nil }
        let raw = Array(buffer[0..<(4 + length)])
        buffer.removeSubrange(0..<(4 + length))
        return (raw[0], Array(raw[4...]), raw)
    }
}
