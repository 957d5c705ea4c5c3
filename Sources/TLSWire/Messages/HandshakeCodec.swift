// Handshake message bodies (RFC 8446 §4, Appendix B.3). Every `init(decoding:)` reads from a
// reader that covers exactly the body and ends with `expectEmpty`, so trailing bytes are a
// decode_error; every `encode(into:)` writes the body only. `HandshakeMessage` adds the header.

extension ClientHello {
    package init(decoding r: inout ByteReader) throws(TLSError) {
        let legacyVersion = ProtocolVersion(rawValue: try r.readUInt16())
        let random = try r.readBytes(32)
        let sessionID = try readSessionID(&r)
        // CipherSuite cipher_suites<2..2^16-2>
        var suites = try r.readVector16Reader(minimum: 2)
        guard suites.remaining % 2 == 0 else { throw .decode("cipher_suites: odd length") }
        var cipherSuites: [CipherSuite] = []
        while !suites.isEmpty { cipherSuites.append(CipherSuite(rawValue: try suites.readUInt16())) }
        // opaque legacy_compression_methods<1..2^8-1>
        let compression = try r.readVector8(minimum: 1)
        // TLS <= 1.2 clients may omit the extension block entirely.
        let extensions = r.isEmpty ? [] : try Extension.decodeList(&r, context: .clientHello)
        try r.expectEmpty("ClientHello")
        self.init(legacyVersion: legacyVersion, random: random, legacySessionID: sessionID,
                  cipherSuites: cipherSuites, legacyCompressionMethods: compression, extensions: extensions)
    }

    /// Writes the body. An empty extension list is omitted (the pre-TLS 1.3 form), which is also
    /// how such a ClientHello decodes.
    package func encode(into w: inout ByteWriter) {
        w.writeUInt16(legacyVersion.rawValue)
        w.writeBytes(random)
        w.writeVector8(bytes: legacySessionID)
        w.writeVector16 { for s in cipherSuites { $0.writeUInt16(s.rawValue) } }
        w.writeVector8(bytes: legacyCompressionMethods)
        if !extensions.isEmpty { Extension.encodeList(extensions, into: &w) }
    }

    /// The full handshake message (header included) up to, but excluding, the binders list of
    /// the pre_shared_key extension: the transcript input of the PSK binders (RFC 8446 §4.2.11.2).
    /// Nil when the last extension is not a ClientHello pre_shared_key; internal_error when it cannot be encoded.
    package func encodedWithoutBinders() throws(TLSError) -> [UInt8]? {
        guard case .preSharedKeyClient(_, let binders)? = extensions.last else { return nil }
        let full = try HandshakeMessage.clientHello(self).encode()
        let bindersLength = 2 + binders.reduce(0) { $0 + 1 + $1.count }
        guard bindersLength <= full.count else { return nil }
        return Array(full.dropLast(bindersLength))
    }
}

extension ServerHello {
    package init(decoding r: inout ByteReader) throws(TLSError) {
        let legacyVersion = ProtocolVersion(rawValue: try r.readUInt16())
        let random = try r.readBytes(32)
        let sessionID = try readSessionID(&r)
        let suite = CipherSuite(rawValue: try r.readUInt16())
        let compression = try r.readUInt8()
        // A HelloRetryRequest is recognised by its random; its extensions have HRR bodies.
        let context: ExtensionContext = random == ServerHello.helloRetryRequestRandom ? .helloRetryRequest : .serverHello
        let extensions = r.isEmpty ? [] : try Extension.decodeList(&r, context: context)
        try r.expectEmpty("ServerHello")
        self.init(legacyVersion: legacyVersion, random: random, legacySessionIDEcho: sessionID,
                  cipherSuite: suite, legacyCompressionMethod: compression, extensions: extensions)
    }

    /// Writes the body; an empty extension list is omitted, mirroring the decoder.
    package func encode(into w: inout ByteWriter) {
        w.writeUInt16(legacyVersion.rawValue)
        w.writeBytes(random)
        w.writeVector8(bytes: legacySessionIDEcho)
        w.writeUInt16(cipherSuite.rawValue)
        w.writeUInt8(legacyCompressionMethod)
        if !extensions.isEmpty { Extension.encodeList(extensions, into: &w) }
    }
}

/// `opaque legacy_session_id<0..32>`: a longer vector is malformed.
private func readSessionID(_ r: inout ByteReader) throws(TLSError) -> [UInt8] {
    let id = try r.readVector8()
    guard id.count <= 32 else { throw .decode("legacy_session_id longer than 32 bytes") }
    return id
}

extension EncryptedExtensions {
    package init(decoding r: inout ByteReader) throws(TLSError) {
        let extensions = try Extension.decodeList(&r, context: .encryptedExtensions)
        try r.expectEmpty("EncryptedExtensions")
        self.init(extensions: extensions)
    }

    package func encode(into w: inout ByteWriter) {
        Extension.encodeList(extensions, into: &w)
    }
}

extension CertificateRequest {
    package init(decoding r: inout ByteReader) throws(TLSError) {
        let context = try r.readVector8()
        let extensions = try Extension.decodeList(&r, context: .certificateRequest)
        try r.expectEmpty("CertificateRequest")
        self.init(certificateRequestContext: context, extensions: extensions)
    }

    package func encode(into w: inout ByteWriter) {
        w.writeVector8(bytes: certificateRequestContext)
        Extension.encodeList(extensions, into: &w)
    }
}

extension CertificateMessage {
    package init(decoding r: inout ByteReader) throws(TLSError) {
        let context = try r.readVector8()
        var list = try r.readVector24Reader()
        var entries: [Entry] = []
        while !list.isEmpty {
            // Only X.509 entries: opaque cert_data<1..2^24-1>
            let der = try list.readVector24(minimum: 1)
            let extensions = try Extension.decodeList(&list, context: .certificate)
            entries.append(Entry(certificateDER: der, extensions: extensions))
        }
        try r.expectEmpty("Certificate")
        self.init(certificateRequestContext: context, entries: entries)
    }

    package func encode(into w: inout ByteWriter) {
        w.writeVector8(bytes: certificateRequestContext)
        w.writeVector24 { list in
            for entry in entries {
                list.writeVector24(bytes: entry.certificateDER)
                Extension.encodeList(entry.extensions, into: &list)
            }
        }
    }
}

extension CertificateVerify {
    package init(decoding r: inout ByteReader) throws(TLSError) {
        let algorithm = SignatureScheme(rawValue: try r.readUInt16())
        let signature = try r.readVector16()
        try r.expectEmpty("CertificateVerify")
        self.init(algorithm: algorithm, signature: signature)
    }

    package func encode(into w: inout ByteWriter) {
        w.writeUInt16(algorithm.rawValue)
        w.writeVector16(bytes: signature)
    }
}

extension Finished {
    /// The whole body is verify_data; its length is checked against the hash by the engine.
    package init(decoding r: inout ByteReader) throws(TLSError) {
        self.init(verifyData: r.readRest())
    }

    package func encode(into w: inout ByteWriter) {
        w.writeBytes(verifyData)
    }
}

extension NewSessionTicket {
    package init(decoding r: inout ByteReader) throws(TLSError) {
        let lifetime = try r.readUInt32()
        let ageAdd = try r.readUInt32()
        let nonce = try r.readVector8()
        let ticket = try r.readVector16(minimum: 1)
        let extensions = try Extension.decodeList(&r, context: .newSessionTicket)
        try r.expectEmpty("NewSessionTicket")
        self.init(ticketLifetime: lifetime, ticketAgeAdd: ageAdd, ticketNonce: nonce, ticket: ticket, extensions: extensions)
    }

    package func encode(into w: inout ByteWriter) {
        w.writeUInt32(ticketLifetime)
        w.writeUInt32(ticketAgeAdd)
        w.writeVector8(bytes: ticketNonce)
        w.writeVector16(bytes: ticket)
        Extension.encodeList(extensions, into: &w)
    }
}

extension KeyUpdateRequest {
    /// One byte; any value other than 0 or 1 is illegal_parameter (RFC 8446 §4.6.3).
    package init(decoding r: inout ByteReader) throws(TLSError) {
        let raw = try r.readUInt8()
        try r.expectEmpty("KeyUpdate")
        guard let value = KeyUpdateRequest(rawValue: raw) else {
            throw TLSError(.peerMisbehaved(.invalidKeyUpdate), "KeyUpdate: request_update \(raw)")
        }
        self = value
    }

    package func encode(into w: inout ByteWriter) {
        w.writeUInt8(rawValue)
    }
}

extension HandshakeMessage {
    /// The full message: msg_type, uint24 length, body. internal_error when a length does not fit its prefix (an
    /// oversized configuration value or ticket): such a message is never produced.
    package func encode() throws(TLSError) -> [UInt8] {
        var w = ByteWriter(reservingCapacity: 256)
        w.writeUInt8(type.rawValue)
        w.writeVector24 { body in encodeBody(into: &body) }
        return try w.checkedBytes()
    }

    /// The body only (no header).
    package func encodeBody(into w: inout ByteWriter) {
        switch self {
        case .clientHello(let m): m.encode(into: &w)
        case .serverHello(let m): m.encode(into: &w)
        case .newSessionTicket(let m): m.encode(into: &w)
        case .endOfEarlyData: break
        case .encryptedExtensions(let m): m.encode(into: &w)
        case .certificate(let m): m.encode(into: &w)
        case .certificateRequest(let m): m.encode(into: &w)
        case .certificateVerify(let m): m.encode(into: &w)
        case .finished(let m): m.encode(into: &w)
        case .keyUpdate(let m): m.encode(into: &w)
        case .helloRequest, .serverHelloDone: break
        case .serverKeyExchange(let m): m.encode(into: &w)
        case .clientKeyExchange(let m): m.encode(into: &w)
        case .certificate12(let m): m.encode(into: &w)
        case .certificateRequest12(let m): m.encode(into: &w)
        case .newSessionTicket12(let m): m.encode(into: &w)
        case .certificateStatus(let response): CertificateStatusCodec.encode(ocspResponse: response, into: &w)
        }
    }

    /// Decodes one TLS 1.3 message body of type `type`: `decode(type:body:version: .tls13)`.
    package static func decode(type: UInt8, body: [UInt8]) throws(TLSError) -> HandshakeMessage {
        try decode(type: type, body: body, version: .tls13)
    }

    /// Decodes one message body of type `type` as it is defined in `version`.
    ///
    /// - TLS 1.3 (and anything later): types TLS 1.3 does not use (or unknown ones) are unexpected_message.
    /// - TLS 1.2 and earlier: HelloRequest, ClientHello, ServerHello, NewSessionTicket (RFC 5077),
    ///   Certificate, ServerKeyExchange (ECDHE), CertificateRequest, ServerHelloDone,
    ///   CertificateVerify, ClientKeyExchange (ECDHE), Finished, CertificateStatus (RFC 6066); TLS-1.3-only and unknown types
    ///   are unexpected_message. HelloRequest/ServerHelloDone with a body are decode_error.
    package static func decode(type: UInt8, body: [UInt8], version: ProtocolVersion) throws(TLSError) -> HandshakeMessage {
        if version < .tls13 { return try decodeTLS12(type: type, body: body, version: version) }
        var r = ByteReader(body)
        guard let known = HandshakeType(rawValue: type) else {
            throw TLSError(.unexpectedMessage, "unknown handshake type \(type)")
        }
        switch known {
        case .clientHello: return .clientHello(try ClientHello(decoding: &r))
        case .serverHello: return .serverHello(try ServerHello(decoding: &r))
        case .newSessionTicket: return .newSessionTicket(try NewSessionTicket(decoding: &r))
        case .endOfEarlyData:
            try r.expectEmpty("EndOfEarlyData")
            return .endOfEarlyData
        case .encryptedExtensions: return .encryptedExtensions(try EncryptedExtensions(decoding: &r))
        case .certificate: return .certificate(try CertificateMessage(decoding: &r))
        case .certificateRequest: return .certificateRequest(try CertificateRequest(decoding: &r))
        case .certificateVerify: return .certificateVerify(try CertificateVerify(decoding: &r))
        case .finished: return .finished(try Finished(decoding: &r))
        case .keyUpdate: return .keyUpdate(try KeyUpdateRequest(decoding: &r))
        case .helloRequest, .serverKeyExchange, .serverHelloDone, .clientKeyExchange, .certificateStatus, .messageHash:
            throw TLSError(.unexpectedMessage, "handshake type \(known) is not used in TLS 1.3")
        }
    }

    /// Decodes exactly one complete message (header included), e.g. a test vector.
    package static func decode(_ message: [UInt8]) throws(TLSError) -> HandshakeMessage {
        try decode(message, version: .tls13)
    }

    /// Decodes exactly one complete message (header included) as defined in `version`.
    package static func decode(_ message: [UInt8], version: ProtocolVersion) throws(TLSError) -> HandshakeMessage {
        var r = ByteReader(message)
        let type = try r.readUInt8()
        let body = try r.readVector24()
        try r.expectEmpty("handshake message")
        return try decode(type: type, body: body, version: version)
    }
}

extension Alert {
    package func encode() -> [UInt8] {
        [level.rawValue, description.rawValue]
    }

    /// Exactly two bytes; an unknown level is a decode_error.
    package init(decoding bytes: [UInt8]) throws(TLSError) {
        guard bytes.count == 2 else { throw .decode("alert: \(bytes.count) bytes, expected 2") }
        guard let level = AlertLevel(rawValue: bytes[0]) else { throw .decode("alert: level \(bytes[0])") }
        self.init(level: level, description: AlertDescription(rawValue: bytes[1]))
    }
}
