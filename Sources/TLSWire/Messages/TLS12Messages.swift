// TLS 1.2 handshake messages (RFC 5246 §7.4, RFC 8422 §5.4/§5.7 for ECDHE, RFC 5077 §3.3).
// Same conventions as the TLS 1.3 messages: `init(decoding:)` reads a reader that covers exactly
// the body and ends with `expectEmpty` (trailing bytes: decode_error); `encode(into:)` writes the
// canonical body, so every decoded value re-encodes to the bytes it was decoded from.

/// ServerECDHParams (RFC 8422 §5.4) with `curve_type` named_curve (3), the only form RFC 8422 allows:
///
///     struct { ECCurveType curve_type; NamedCurve namedcurve; } ECParameters;   // curve_type == 3
///     struct { ECParameters curve_params; ECPoint public; } ServerECDHParams;
///     struct { opaque point <1..2^8-1>; } ECPoint;
///
/// The point is kept opaque: validating it against the group is the key-agreement code's job.
package struct ServerECDHParameters: Hashable, Sendable {
    /// ECCurveType named_curve.
    package static let namedCurveType: UInt8 = 3

    package var group: NamedGroup
    /// The encoded ECPoint (non-empty; e.g. 32 bytes for x25519, 65 for uncompressed secp256r1).
    package var publicKey: [UInt8]

    package init(group: NamedGroup, publicKey: [UInt8]) {
        self.group = group
        self.publicKey = publicKey
    }

    /// Reads the parameters from the front of `r` (the signature follows them in ServerKeyExchange,
    /// so this does not require `r` to end here).
    ///
    /// - curve_type other than named_curve (explicit_prime 1, explicit_char2 2, or any other
    ///   value): illegal_parameter.
    /// - empty or truncated point: decode_error.
    package init(decoding r: inout ByteReader) throws(TLSError) {
        let curveType = try r.readUInt8()
        guard curveType == Self.namedCurveType else {
            throw TLSError(.peerMisbehaved(.unsupportedCurveType), "ServerECDHParams: curve_type \(curveType), only named_curve (3) is supported")
        }
        let group = NamedGroup(rawValue: try r.readUInt16())
        let point = try r.readVector8(minimum: 1)
        self.init(group: group, publicKey: point)
    }

    package func encode(into w: inout ByteWriter) {
        w.writeUInt8(Self.namedCurveType)
        w.writeUInt16(group.rawValue)
        w.writeVector8(bytes: publicKey)
    }

    /// The exact bytes of ServerECDHParams: what the server signs, after client_random and
    /// server_random (RFC 8422 §5.4). Decoding is canonical, so for a received message these are
    /// the bytes the peer sent.
    package var encoded: [UInt8] {
        get throws(TLSError) {
            var w = ByteWriter(reservingCapacity: 4 + publicKey.count)
            encode(into: &w)
            return try w.checkedBytes()
        }
    }
}

/// ServerKeyExchange for ECDHE_ECDSA / ECDHE_RSA (RFC 8422 §5.4) in TLS 1.2:
///
///     struct { ServerECDHParams params; digitally-signed struct { ... } signed_params; }
///     digitally-signed (RFC 5246 §4.7): SignatureAndHashAlgorithm (u16) + opaque signature<0..2^16-1>
///
/// The signature must be non-empty here (anonymous ECDH is not supported): empty is decode_error. In TLS 1.0/1.1
/// (RFC 2246 §4.7, RFC 4492 §5.4) `digitally-signed` has no SignatureAndHashAlgorithm: `signatureScheme` is nil.
package struct ServerKeyExchange: Hashable, Sendable {
    package var parameters: ServerECDHParameters
    /// nil: the TLS 1.0/1.1 form (the suite and the key fix the algorithm).
    package var signatureScheme: SignatureScheme?
    package var signature: [UInt8]

    package init(parameters: ServerECDHParameters, signatureScheme: SignatureScheme?, signature: [UInt8]) {
        self.parameters = parameters
        self.signatureScheme = signatureScheme
        self.signature = signature
    }

    /// `legacy`: the TLS 1.0/1.1 form, without the scheme.
    package init(decoding r: inout ByteReader, legacy: Bool = false) throws(TLSError) {
        let parameters = try ServerECDHParameters(decoding: &r)
        let scheme = legacy ? nil : SignatureScheme(rawValue: try r.readUInt16())
        let signature = try r.readVector16(minimum: 1)
        try r.expectEmpty("ServerKeyExchange")
        self.init(parameters: parameters, signatureScheme: scheme, signature: signature)
    }

    package func encode(into w: inout ByteWriter) {
        parameters.encode(into: &w)
        if let signatureScheme { w.writeUInt16(signatureScheme.rawValue) }
        w.writeVector16(bytes: signature)
    }
}

/// ClientKeyExchange for ECDHE (RFC 8422 §5.7): ClientECDiffieHellmanPublic with an explicit
/// ECPoint, `opaque point <1..2^8-1>`. An empty point is decode_error.
///
/// For static RSA key exchange (RFC 5246 §7.4.7.1, RFC 2246 §7.4.7.1) the client sends instead
/// `EncryptedPreMasterSecret` as `opaque <0..2^16-1>`. That form is only ever encoded: no TLSKit server takes an
/// RSA premaster, so decoding always reads the ECDHE form.
package struct ClientKeyExchange: Hashable, Sendable {
    /// `rsaEncryptedPreMasterSecretSSL3`: SSL 3.0 sends the RSA ciphertext bare, without TLS's 2-byte length
    /// (RFC 6101 §5.6.7.1; RFC 5246 §7.4.7.1 notes the difference).
    package enum Form: Hashable, Sendable { case ecdhPoint, rsaEncryptedPreMasterSecret, rsaEncryptedPreMasterSecretSSL3 }

    /// The ECDHE point, or the RSA-encrypted premaster (`form`).
    package var publicKey: [UInt8]
    package var form: Form

    package init(publicKey: [UInt8]) { (self.publicKey, self.form) = (publicKey, .ecdhPoint) }

    package init(encryptedPreMasterSecret: [UInt8], ssl3: Bool = false) {
        (self.publicKey, self.form) = (encryptedPreMasterSecret, ssl3 ? .rsaEncryptedPreMasterSecretSSL3 : .rsaEncryptedPreMasterSecret)
    }

    package init(decoding r: inout ByteReader) throws(TLSError) {
        let point = try r.readVector8(minimum: 1)
        try r.expectEmpty("ClientKeyExchange")
        self.init(publicKey: point)
    }

    package func encode(into w: inout ByteWriter) {
        switch form {
        case .ecdhPoint: w.writeVector8(bytes: publicKey)
        case .rsaEncryptedPreMasterSecret: w.writeVector16(bytes: publicKey)
        case .rsaEncryptedPreMasterSecretSSL3: w.writeBytes(publicKey)
        }
    }
}

/// TLS 1.2 Certificate (RFC 5246 §7.4.2):
///
///     opaque ASN.1Cert<1..2^24-1>;
///     struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
///
/// An empty list is valid on the wire (a client without a certificate); whether it is acceptable
/// is the engine's decision. An empty ASN.1Cert is decode_error.
package struct CertificateMessage12: Hashable, Sendable {
    /// DER certificates, the end-entity certificate first.
    package var certificates: [[UInt8]]

    package init(certificates: [[UInt8]]) { self.certificates = certificates }

    package init(decoding r: inout ByteReader) throws(TLSError) {
        var list = try r.readVector24Reader()
        var certificates: [[UInt8]] = []
        while !list.isEmpty { certificates.append(try list.readVector24(minimum: 1)) }
        try r.expectEmpty("Certificate")
        self.init(certificates: certificates)
    }

    package func encode(into w: inout ByteWriter) {
        w.writeVector24 { list in
            for der in certificates { list.writeVector24(bytes: der) }
        }
    }
}

/// TLS 1.2 CertificateRequest (RFC 5246 §7.4.4):
///
///     ClientCertificateType certificate_types<1..2^8-1>;
///     SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;
///     DistinguishedName certificate_authorities<0..2^16-1>;   // opaque DistinguishedName<1..2^16-1>
///
/// Empty certificate_types, empty or odd-length supported_signature_algorithms and empty
/// DistinguishedNames are decode_error. TLS 1.0/1.1 (RFC 2246 §7.4.4) have no supported_signature_algorithms:
/// `signatureAlgorithms` is nil for that form, and encoding writes it back without the field.
package struct CertificateRequest12: Hashable, Sendable {
    /// ClientCertificateType values: rsa_sign(1), ecdsa_sign(64), ….
    package var certificateTypes: [UInt8]
    /// nil: the TLS 1.0/1.1 form.
    package var signatureAlgorithms: [SignatureScheme]?
    /// DER-encoded DistinguishedNames; may be empty.
    package var certificateAuthorities: [[UInt8]]

    package static let rsaSign: UInt8 = 1
    package static let ecdsaSign: UInt8 = 64

    package init(certificateTypes: [UInt8], signatureAlgorithms: [SignatureScheme]?, certificateAuthorities: [[UInt8]] = []) {
        self.certificateTypes = certificateTypes
        self.signatureAlgorithms = signatureAlgorithms
        self.certificateAuthorities = certificateAuthorities
    }

    /// `legacy`: the TLS 1.0/1.1 form (RFC 2246 §7.4.4), without supported_signature_algorithms (nil).
    package init(decoding r: inout ByteReader, legacy: Bool = false) throws(TLSError) {
        let types = try r.readVector8(minimum: 1)
        var schemes: [SignatureScheme]?
        if !legacy {
            var schemesReader = try r.readVector16Reader(minimum: 2)
            guard schemesReader.remaining % 2 == 0 else {
                throw .decode("CertificateRequest: supported_signature_algorithms has odd length")
            }
            var list: [SignatureScheme] = []
            while !schemesReader.isEmpty { list.append(SignatureScheme(rawValue: try schemesReader.readUInt16())) }
            schemes = list
        }
        var names = try r.readVector16Reader()
        var authorities: [[UInt8]] = []
        while !names.isEmpty { authorities.append(try names.readVector16(minimum: 1)) }
        try r.expectEmpty("CertificateRequest")
        self.init(certificateTypes: types, signatureAlgorithms: schemes, certificateAuthorities: authorities)
    }

    package func encode(into w: inout ByteWriter) {
        w.writeVector8(bytes: certificateTypes)
        if let signatureAlgorithms { w.writeVector16 { for s in signatureAlgorithms { $0.writeUInt16(s.rawValue) } } }
        w.writeVector16 { list in for dn in certificateAuthorities { list.writeVector16(bytes: dn) } }
    }
}

/// TLS 1.2 NewSessionTicket (RFC 5077 §3.3):
///
///     struct { uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>; } NewSessionTicket;
///
/// An empty ticket is legal (RFC 5077 §3.3: the server decided not to issue one after all).
package struct NewSessionTicket12: Hashable, Sendable {
    package var lifetimeHint: UInt32
    package var ticket: [UInt8]

    package init(lifetimeHint: UInt32, ticket: [UInt8]) {
        self.lifetimeHint = lifetimeHint
        self.ticket = ticket
    }

    package init(decoding r: inout ByteReader) throws(TLSError) {
        let hint = try r.readUInt32()
        let ticket = try r.readVector16()
        try r.expectEmpty("NewSessionTicket")
        self.init(lifetimeHint: hint, ticket: ticket)
    }

    package func encode(into w: inout ByteWriter) {
        w.writeUInt32(lifetimeHint)
        w.writeVector16(bytes: ticket)
    }
}

extension HandshakeMessage {
    /// TLS 1.2 (and earlier) message bodies. Types that exist only in TLS 1.3 (EndOfEarlyData,
    /// EncryptedExtensions, KeyUpdate), message_hash and unknown types are unexpected_message.
    /// `version` below TLS 1.2: ServerKeyExchange and CertificateRequest in their TLS 1.0/1.1 forms.
    static func decodeTLS12(type: UInt8, body: [UInt8], version: ProtocolVersion = .tls12) throws(TLSError) -> HandshakeMessage {
        let legacy = version < .tls12
        var r = ByteReader(body)
        guard let known = HandshakeType(rawValue: type) else {
            throw TLSError(.unexpectedMessage, "unknown handshake type \(type)")
        }
        switch known {
        case .helloRequest:
            try r.expectEmpty("HelloRequest")
            return .helloRequest
        case .clientHello: return .clientHello(try ClientHello(decoding: &r))
        case .serverHello: return .serverHello(try ServerHello(decoding: &r))
        case .newSessionTicket: return .newSessionTicket12(try NewSessionTicket12(decoding: &r))
        case .certificate: return .certificate12(try CertificateMessage12(decoding: &r))
        case .serverKeyExchange: return .serverKeyExchange(try ServerKeyExchange(decoding: &r, legacy: legacy))
        case .certificateRequest: return .certificateRequest12(try CertificateRequest12(decoding: &r, legacy: legacy))
        case .serverHelloDone:
            try r.expectEmpty("ServerHelloDone")
            return .serverHelloDone
        case .certificateVerify: return .certificateVerify(try CertificateVerify(decoding: &r))
        case .clientKeyExchange: return .clientKeyExchange(try ClientKeyExchange(decoding: &r))
        case .finished: return .finished(try Finished(decoding: &r))
        case .certificateStatus: return .certificateStatus(ocspResponse: try CertificateStatusCodec.decodeOCSPResponse(body))
        case .endOfEarlyData, .encryptedExtensions, .keyUpdate, .messageHash:
            throw TLSError(.unexpectedMessage, "handshake type \(known) is not used in TLS 1.2")
        }
    }
}
