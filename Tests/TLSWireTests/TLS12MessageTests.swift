import XCTest
import TLSWire

/// TLS 1.2 handshake messages (RFC 5246 §7.4, RFC 8422 §5.4/§5.7, RFC 5077 §3.3): round trips,
/// hand-built known bytes, exact alerts for malformed input, version-aware dispatch and fuzzing.
final class TLS12MessageTests: XCTestCase {
    // MARK: Fixtures

    let x25519Point: [UInt8] = (0..<32).map { UInt8($0) }
    let signature: [UInt8] = (0..<256).map { UInt8(truncatingIfNeeded: 0xA0 &+ $0) }

    var serverKeyExchange: ServerKeyExchange {
        ServerKeyExchange(parameters: ServerECDHParameters(group: .x25519, publicKey: x25519Point),
                          signatureScheme: .rsa_pss_rsae_sha256, signature: signature)
    }

    /// ServerKeyExchange, x25519, 32-byte point, rsa_pss_rsae_sha256 with a 256-byte signature:
    /// body = curve_type 03 | named_curve 001d | point<1..255> 20 … | scheme 0804 | sig<0..2^16-1> 0100 …
    /// = 1 + 2 + 1 + 32 + 2 + 2 + 256 = 296 = 0x128 bytes.
    var serverKeyExchangeBytes: [UInt8] {
        hex("0c 000128  03 001d 20") + x25519Point + hex("0804 0100") + signature
    }

    /// A TLS 1.2 ServerHello: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, a 32-byte session id and the
    /// extensions a TLS 1.2 server echoes: renegotiation_info (empty renegotiated_connection),
    /// extended_master_secret, ec_point_formats (uncompressed), session_ticket (empty).
    var serverHello12Bytes: [UInt8] {
        // 2 + 32 + 1 + 32 + 2 + 1 + 2 + (5 + 4 + 6 + 4) = 91 = 0x5b
        hex("02 00005b 0303") + Array(repeating: 0x11, count: 32) + [0x20] + Array(repeating: 0x22, count: 32)
            + hex("c02f 00  0013  ff01 0001 00  0017 0000  000b 0002 0100  0023 0000")
    }

    /// Every new message, as a complete handshake message.
    var allMessages: [HandshakeMessage] {
        [
            .helloRequest,
            .serverKeyExchange(serverKeyExchange),
            .serverKeyExchange(ServerKeyExchange(
                parameters: ServerECDHParameters(group: .secp256r1, publicKey: [4] + Array(repeating: 0x33, count: 64)),
                signatureScheme: .ecdsa_secp256r1_sha256, signature: Array(repeating: 0x44, count: 71))),
            .serverHelloDone,
            .clientKeyExchange(ClientKeyExchange(publicKey: x25519Point)),
            .clientKeyExchange(ClientKeyExchange(publicKey: Array(repeating: 0x55, count: 255))),
            .certificate12(CertificateMessage12(certificates: [Array(repeating: 0x30, count: 70_000), [0x30, 0x00]])),
            .certificate12(CertificateMessage12(certificates: [])),
            .certificateRequest12(CertificateRequest12(certificateTypes: [1, 64],
                                                       signatureAlgorithms: [.rsa_pss_rsae_sha256, .ecdsa_secp256r1_sha256, .rsa_pkcs1_sha256],
                                                       certificateAuthorities: [[0x30, 0x02, 0x31, 0x00], Array(repeating: 0x30, count: 300)])),
            .certificateRequest12(CertificateRequest12(certificateTypes: [1], signatureAlgorithms: [.ed25519])),
            .newSessionTicket12(NewSessionTicket12(lifetimeHint: 7200, ticket: Array(repeating: 0x66, count: 190))),
            .newSessionTicket12(NewSessionTicket12(lifetimeHint: 0, ticket: [])),
            .certificateVerify(CertificateVerify(algorithm: .rsa_pss_rsae_sha256, signature: signature)),
            .finished(Finished(verifyData: Array(repeating: 0x77, count: 12))),
        ]
    }

    /// Decodes a complete message as TLS 1.2 and checks that it re-encodes byte for byte.
    func decode12(_ message: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> HandshakeMessage? {
        let (type, body) = split(message, file: file, line: line)
        do {
            let decoded = try HandshakeMessage.decode(type: type, body: body, version: .tls12)
            XCTAssertEqual(try decoded.encode(), message, "re-encoding differs", file: file, line: line)
            XCTAssertEqual(try? HandshakeMessage.decode(message, version: .tls12), decoded, file: file, line: line)
            return decoded
        } catch {
            XCTFail("decode failed: \(error)", file: file, line: line)
            return nil
        }
    }

    // MARK: Round trips

    func testRoundTripEveryMessage() throws {
        for message in allMessages {
            let bytes = try message.encode()
            XCTAssertEqual(bytes.first, message.type.rawValue)
            XCTAssertEqual(decode12(bytes), message, "\(message.type)")
        }
    }

    func testTypes() {
        let expected: [(HandshakeMessage, UInt8)] = [
            (.helloRequest, 0), (.serverKeyExchange(serverKeyExchange), 12), (.serverHelloDone, 14),
            (.clientKeyExchange(ClientKeyExchange(publicKey: [1])), 16), (.certificate12(CertificateMessage12(certificates: [])), 11),
            (.certificateRequest12(CertificateRequest12(certificateTypes: [1], signatureAlgorithms: [.ed25519])), 13),
            (.newSessionTicket12(NewSessionTicket12(lifetimeHint: 1, ticket: [])), 4),
        ]
        for (message, type) in expected {
            XCTAssertEqual(message.type.rawValue, type)
            XCTAssertEqual(try message.encode().first, type)
        }
    }

    /// TLS 1.0/1.1 decode like TLS 1.2 except ServerKeyExchange and CertificateRequest, which have no
    /// SignatureAndHashAlgorithm fields there (RFC 2246 §7.4.3, §7.4.4; RFC 4492 §5.4).
    func testOlderVersionsDecodeLikeTLS12() throws {
        for version in [ProtocolVersion.tls10, .tls11, .tls12] {
            for original in allMessages {
                var message = original
                if version < .tls12 {
                    switch original {
                    case .serverKeyExchange(var exchange):
                        exchange.signatureScheme = nil
                        message = .serverKeyExchange(exchange)
                    case .certificateRequest12(var request):
                        request.signatureAlgorithms = nil
                        message = .certificateRequest12(request)
                    default: break
                    }
                }
                let (type, body) = split(try message.encode())
                XCTAssertEqual(try? HandshakeMessage.decode(type: type, body: body, version: version), message, "\(version)")
            }
        }
    }

    func testLegacyServerKeyExchangeHasNoScheme() throws {
        var exchange = serverKeyExchange
        exchange.signatureScheme = nil
        let encoded = try HandshakeMessage.serverKeyExchange(exchange).encode()
        let (type, body) = split(encoded)
        XCTAssertEqual(try HandshakeMessage.decode(type: type, body: body, version: .tls11), .serverKeyExchange(exchange))
        // The TLS 1.2 form read as TLS 1.0 leaves bytes over: decode_error.
        let (type12, body12) = split(try HandshakeMessage.serverKeyExchange(serverKeyExchange).encode())
        XCTAssertThrowsError(try HandshakeMessage.decode(type: type12, body: body12, version: .tls10)) {
            XCTAssertEqual(($0 as? TLSError)?.cause, .malformed)
        }
    }

    /// The TLS 1.0/1.1 CertificateRequest (no supported_signature_algorithms) encodes back to the same bytes, and
    /// the TLS 1.2 form read as TLS 1.0 leaves bytes over (found by the handshake-messages fuzz target).
    func testLegacyCertificateRequestRoundTrips() throws {
        let legacy = hex("0d 00000b 02 01 40  0006 0004 30023100")
        let (type, body) = split(legacy)
        let message = try HandshakeMessage.decode(type: type, body: body, version: .tls10)
        XCTAssertEqual(message, .certificateRequest12(CertificateRequest12(certificateTypes: [1, 64], signatureAlgorithms: nil,
                                                                           certificateAuthorities: [[0x30, 0x02, 0x31, 0x00]])))
        XCTAssertEqual(try message.encode(), legacy)
        let (type12, body12) = split(hex("0d 000008 01 01  0002 0807  0000"))
        XCTAssertThrowsError(try HandshakeMessage.decode(type: type12, body: body12, version: .tls11)) {
            XCTAssertEqual(($0 as? TLSError)?.cause, .malformed)
        }
    }

    // MARK: Known bytes

    func testServerKeyExchangeKnownBytes() {
        let bytes = serverKeyExchangeBytes
        XCTAssertEqual(bytes.count, 4 + 296)
        XCTAssertEqual(try HandshakeMessage.serverKeyExchange(serverKeyExchange).encode(), bytes)
        guard case .serverKeyExchange(let ske)? = decode12(bytes) else { return XCTFail("not a ServerKeyExchange") }
        XCTAssertEqual(ske.parameters.group, .x25519)
        XCTAssertEqual(ske.parameters.publicKey, x25519Point)
        XCTAssertEqual(ske.signatureScheme, .rsa_pss_rsae_sha256)
        XCTAssertEqual(ske.signature, signature)
        // The signed params are exactly body[0..<36]: 03 001d 20 <point>.
        XCTAssertEqual(try ske.parameters.encoded, Array(bytes[4..<40]))
        XCTAssertEqual(try ske.parameters.encoded, hex("03 001d 20") + x25519Point)
    }

    func testSmallMessagesKnownBytes() {
        XCTAssertEqual(try HandshakeMessage.helloRequest.encode(), hex("00 000000"))
        XCTAssertEqual(try HandshakeMessage.serverHelloDone.encode(), hex("0e 000000"))
        XCTAssertEqual(decode12(hex("00 000000")), .helloRequest)
        XCTAssertEqual(decode12(hex("0e 000000")), .serverHelloDone)

        let cke = hex("10 000021 20") + x25519Point
        XCTAssertEqual(decode12(cke), .clientKeyExchange(ClientKeyExchange(publicKey: x25519Point)))
        // Static RSA (RFC 5246 §7.4.7.1): EncryptedPreMasterSecret with a two-byte length; encoded only.
        XCTAssertEqual(try HandshakeMessage.clientKeyExchange(ClientKeyExchange(encryptedPreMasterSecret: [0xaa, 0xbb, 0xcc])).encode(),
                       hex("10 000005 0003 aabbcc"))

        // ticket_lifetime_hint 7200, ticket de ad be ef
        XCTAssertEqual(decode12(hex("04 00000a 00001c20 0004 deadbeef")),
                       .newSessionTicket12(NewSessionTicket12(lifetimeHint: 7200, ticket: [0xde, 0xad, 0xbe, 0xef])))
        // RFC 5077 §3.3: an empty ticket is allowed.
        XCTAssertEqual(decode12(hex("04 000006 00000000 0000")), .newSessionTicket12(NewSessionTicket12(lifetimeHint: 0, ticket: [])))

        // certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>: [30 00], [aa]
        XCTAssertEqual(decode12(hex("0b 00000c 000009 000002 3000 000001 aa")),
                       .certificate12(CertificateMessage12(certificates: [[0x30, 0x00], [0xaa]])))
        XCTAssertEqual(decode12(hex("0b 000003 000000")), .certificate12(CertificateMessage12(certificates: [])))

        // certificate_types [rsa_sign, ecdsa_sign], {rsa_pss_rsae_sha256, ecdsa_secp256r1_sha256}, one DN 30 02 31 00
        XCTAssertEqual(decode12(hex("0d 000011 02 01 40  0004 0804 0403  0006 0004 30023100")),
                       .certificateRequest12(CertificateRequest12(certificateTypes: [1, 64],
                                                                  signatureAlgorithms: [.rsa_pss_rsae_sha256, .ecdsa_secp256r1_sha256],
                                                                  certificateAuthorities: [[0x30, 0x02, 0x31, 0x00]])))
        // No certificate authorities.
        XCTAssertEqual(decode12(hex("0d 000008 01 01  0002 0807  0000")),
                       .certificateRequest12(CertificateRequest12(certificateTypes: [1], signatureAlgorithms: [.ed25519],
                                                                  certificateAuthorities: [])))

        // CertificateVerify and Finished have the TLS 1.3 layout.
        XCTAssertEqual(decode12(hex("0f 000006 0804 0002 abcd")),
                       .certificateVerify(CertificateVerify(algorithm: .rsa_pss_rsae_sha256, signature: [0xab, 0xcd])))
        XCTAssertEqual(decode12(hex("14 00000c 0102030405060708090a0b0c")),
                       .finished(Finished(verifyData: Array(1...12))))
    }

    func testTLS12ServerHelloExtensions() {
        let bytes = serverHello12Bytes
        guard case .serverHello(let hello)? = decode12(bytes) else { return XCTFail("not a ServerHello") }
        XCTAssertEqual(hello.legacyVersion, .tls12)
        XCTAssertEqual(hello.cipherSuite, CipherSuite(rawValue: 0xC02F))
        XCTAssertEqual(hello.legacySessionIDEcho, Array(repeating: 0x22, count: 32))
        XCTAssertFalse(hello.isHelloRetryRequest)
        XCTAssertEqual(hello.extensions, [.renegotiationInfo([]), .extendedMasterSecret, .ecPointFormats([0]), .sessionTicket([])])
        // The ServerHello layout is version independent.
        XCTAssertEqual(decodeRoundTrip(bytes), .serverHello(hello))

        // A renegotiating server's renegotiation_info carries client+server verify_data (RFC 5746 §3.7).
        let verifyData = Array(repeating: UInt8(0x5c), count: 24)
        let renegotiating = try? decodeExtensions(hex("001d ff01 0019 18") + verifyData, .serverHello)
        XCTAssertEqual(renegotiating, [.renegotiationInfo(verifyData)])
        extensionRoundTrip([.renegotiationInfo(verifyData), .extendedMasterSecret, .ecPointFormats([0, 1, 2]),
                            .sessionTicket([]), .statusRequest([]), .serverName(nil), .alpn([Array("h2".utf8)])],
                           context: .serverHello)

        // Malformed TLS 1.2 extension bodies in ServerHello.
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(0xff01, []), .serverHello) }
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(0xff01, [2, 0]), .serverHello) }
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(23, [0]), .serverHello) }
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(11, [0]), .serverHello) }
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(11, [1, 0, 0]), .serverHello) }
    }

    func testTLS12ClientHelloWithoutExtensions() {
        // 0303, random, empty session id, two suites, null compression, no extension block.
        let bytes = hex("01 00002b 0303") + Array(repeating: 0x99, count: 32) + hex("00 0004 c02f 00ff 01 00")
        guard case .clientHello(let hello)? = decode12(bytes) else { return XCTFail("not a ClientHello") }
        XCTAssertEqual(hello.cipherSuites, [CipherSuite(rawValue: 0xC02F), .TLS_EMPTY_RENEGOTIATION_INFO_SCSV])
        XCTAssertEqual(hello.extensions, [])
    }

    // MARK: Version dispatch

    func testVersionSelectsTheBodyFormat() throws {
        // The same type codes mean different structures in TLS 1.2 and TLS 1.3.
        let ticket12 = try HandshakeMessage.newSessionTicket12(NewSessionTicket12(lifetimeHint: 60, ticket: [1, 2, 3])).encode()
        XCTAssertEqual(try? HandshakeMessage.decode(ticket12, version: .tls12).type, .newSessionTicket)
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(ticket12, version: .tls13) }

        let cert12 = try HandshakeMessage.certificate12(CertificateMessage12(certificates: [[0x30, 0x00]])).encode()
        guard case .certificate12? = try? HandshakeMessage.decode(cert12, version: .tls12) else { return XCTFail() }
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(cert12, version: .tls13) }

        // TLS 1.3 behaviour is unchanged: the TLS 1.2-only types are unexpected_message there,
        // with or without the explicit version.
        for message in [HandshakeMessage.helloRequest, .serverHelloDone, .serverKeyExchange(serverKeyExchange),
                        .clientKeyExchange(ClientKeyExchange(publicKey: [1]))] {
            let (type, body) = split(try message.encode())
            assertAlert(.unexpectedMessage, "\(type)") { () throws(TLSError) in try HandshakeMessage.decode(type: type, body: body) }
            assertAlert(.unexpectedMessage, "\(type)") { () throws(TLSError) in
                try HandshakeMessage.decode(type: type, body: body, version: .tls13)
            }
        }
    }

    func testTLS13OnlyTypesAreUnexpectedInTLS12() {
        let cases: [(UInt8, [UInt8])] = [
            (8, [0, 0]),                 // EncryptedExtensions with an empty block
            (24, [0]),                   // KeyUpdate update_not_requested
            (24, [1]),
            (5, []),                     // EndOfEarlyData
            (254, []),                   // message_hash
            (3, []), (6, []), (255, []), // unassigned
        ]
        for version in [ProtocolVersion.tls12, .tls11, .tls10] {
            for (type, body) in cases {
                assertAlert(.unexpectedMessage, "type \(type) \(version)") { () throws(TLSError) in
                    try HandshakeMessage.decode(type: type, body: body, version: version)
                }
            }
        }
        // Those still decode as TLS 1.3.
        XCTAssertEqual(try? HandshakeMessage.decode(type: 8, body: [0, 0], version: .tls13),
                       .encryptedExtensions(EncryptedExtensions(extensions: [])))
        XCTAssertEqual(try? HandshakeMessage.decode(type: 24, body: [1]), .keyUpdate(.updateRequested))
    }

    // MARK: Negative tests

    func testEveryPrefixIsADecodeError() throws {
        var messages = try allMessages.filter { $0 != .helloRequest && $0 != .serverHelloDone }.map { try $0.encode() }
        messages.append(serverKeyExchangeBytes)
        for message in messages {
            let (type, body) = split(message)
            // Finished has no structure: every prefix of it decodes.
            if type == HandshakeType.finished.rawValue { continue }
            for cut in 0..<body.count {
                assertAlert(.decodeError, "type \(type) prefix \(cut)") { () throws(TLSError) in
                    try HandshakeMessage.decode(type: type, body: Array(body.prefix(cut)), version: .tls12)
                }
            }
            // Also when the header claims the full length but the message is cut.
            assertAlert(.decodeError, "type \(type) cut message") { () throws(TLSError) in
                try HandshakeMessage.decode(Array(message.dropLast()), version: .tls12)
            }
        }
        let (type, body) = split(serverHello12Bytes)
        for cut in 0..<body.count where cut != 2 + 32 + 33 + 2 + 1 {   // extension-less ServerHello is valid
            assertAlert(.decodeError, "ServerHello prefix \(cut)") { () throws(TLSError) in
                try HandshakeMessage.decode(type: type, body: Array(body.prefix(cut)), version: .tls12)
            }
        }
    }

    func testTrailingBytesAreADecodeError() throws {
        for message in allMessages + [.serverHello(ServerHello(random: Array(repeating: 1, count: 32), legacySessionIDEcho: [],
                                                               cipherSuite: CipherSuite(rawValue: 0xC02B),
                                                               extensions: [.extendedMasterSecret]))] {
            let (type, body) = split(try message.encode())
            if type == HandshakeType.finished.rawValue { continue }
            for extra in [[0], [0, 0], [0xff, 0xff, 0xff]] as [[UInt8]] {
                assertAlert(.decodeError, "type \(type) + \(extra)") { () throws(TLSError) in
                    try HandshakeMessage.decode(type: type, body: body + extra, version: .tls12)
                }
            }
        }
        // Empty-body messages with a body.
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(type: 14, body: [0], version: .tls12) }
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(hex("0e 000001 00"), version: .tls12) }
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(type: 0, body: [1, 2], version: .tls12) }
        // A byte after the signature of a ServerKeyExchange.
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 12, body: hex("03 001d 01 aa 0804 0001 bb 00"), version: .tls12)
        }
    }

    func testExplicitCurvesAreIllegalParameter() {
        // explicit_prime (1), explicit_char2 (2): deprecated by RFC 8422 §5.4; other values are not named_curve either.
        for curveType: UInt8 in [1, 2, 0, 4, 248, 255] {
            let body = [curveType] + hex("001d 20") + x25519Point + hex("0804 0002 abcd")
            assertAlert(.illegalParameter, "curve_type \(curveType)") { () throws(TLSError) in
                try HandshakeMessage.decode(type: 12, body: body, version: .tls12)
            }
            var r = ByteReader([curveType] + hex("0017 01 04"))
            assertAlert(.illegalParameter) { () throws(TLSError) in try ServerECDHParameters(decoding: &r) }
        }
        // A lone explicit curve_type byte is already illegal_parameter: the type is checked first.
        assertAlert(.illegalParameter) { () throws(TLSError) in try HandshakeMessage.decode(type: 12, body: [1], version: .tls12) }
    }

    func testEmptyVectorsAreDecodeErrors() {
        // Empty ECPoint in ServerKeyExchange and ClientKeyExchange.
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 12, body: hex("03 001d 00 0804 0002 abcd"), version: .tls12)
        }
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(type: 16, body: [0], version: .tls12) }
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(type: 16, body: [], version: .tls12) }
        // Empty signature.
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 12, body: hex("03 001d 01 aa 0804 0000"), version: .tls12)
        }
        // Empty ASN.1Cert inside a Certificate.
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 11, body: hex("000007 000001 aa 000000"), version: .tls12)
        }
        // CertificateRequest: empty certificate_types, empty signature algorithms, empty DN.
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 13, body: hex("00 0002 0804 0000"), version: .tls12)
        }
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 13, body: hex("01 01 0000 0000"), version: .tls12)
        }
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 13, body: hex("01 01 0002 0804 0002 0000"), version: .tls12)
        }
    }

    func testOddLengthSignatureAlgorithmsIsADecodeError() {
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 13, body: hex("01 01 0003 0804 04 0000"), version: .tls12)
        }
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 13, body: hex("01 01 0001 08 0000"), version: .tls12)
        }
    }

    func testOverlongLengthFields() {
        // ECPoint length beyond the body.
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 12, body: hex("03 001d ff aa"), version: .tls12)
        }
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(type: 16, body: [2, 1], version: .tls12) }
        // Certificate list / entry longer than the container.
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 11, body: hex("ffffff"), version: .tls12)
        }
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 11, body: hex("000004 000002 aa"), version: .tls12)
        }
        // DN longer than the authorities list.
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 13, body: hex("01 01 0002 0804 0003 0005 30"), version: .tls12)
        }
        // Ticket longer than the message.
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 4, body: hex("00000000 0005 aabb"), version: .tls12)
        }
    }

    // MARK: Fuzz

    static let tls12Types: [UInt8] = [0, 1, 2, 4, 11, 12, 13, 14, 15, 16, 20, 5, 8, 24, 3, 254]

    func testRandomBytesAsTLS12() {
        var rng = SplitMix64(seed: 0x5246_1202)
        var outcomes = [0, 0]
        for i in 0..<3_000 {
            let length = Int.random(in: 0...(i % 5 == 0 ? 400 : 48), using: &rng)
            var body = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Give the structured decoders a fair chance: sometimes plausible leading bytes.
            if i % 3 == 0, !body.isEmpty { body[0] = [3, 1, 2, 0, UInt8(truncatingIfNeeded: length - 1)].randomElement(using: &rng) ?? 3 }
            for type in Self.tls12Types {
                do {
                    let message = try HandshakeMessage.decode(type: type, body: body, version: .tls12)
                    outcomes[0] += 1
                    let again = split((try? message.encode()) ?? [])   // (an encoding failure fails in split)
                    XCTAssertEqual(again.0, type)
                    if type == 1 || type == 2 {
                        // Hellos may re-encode differently (e.g. an empty extension block is omitted).
                        XCTAssertEqual(try? HandshakeMessage.decode(type: again.0, body: again.1, version: .tls12), message)
                    } else {
                        XCTAssertEqual(again.1, body, "type \(type): canonical decoding must re-encode to the input")
                    }
                } catch {
                    outcomes[1] += 1
                    XCTAssertFalse(error.reason.isEmpty)
                }
            }
        }
        XCTAssertGreaterThan(outcomes[0], 0)
        XCTAssertGreaterThan(outcomes[1], 0)
    }

    func testMutatedTLS12Messages() throws {
        var rng = SplitMix64(seed: 5077)
        let vectors = (try allMessages.map { try $0.encode() } + [serverKeyExchangeBytes, serverHello12Bytes])
            .map { split($0) }
            .filter { !$0.1.isEmpty && $0.1.count < 10_000 }
        var outcomes = [0, 0]
        for round in 0..<3_000 {
            guard let (type, original) = vectors.randomElement(using: &rng) else { continue }
            var body = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                if body.isEmpty { break }
                let index = Int.random(in: 0..<body.count, using: &rng)
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: body[index] = UInt8.random(in: 0...255, using: &rng)
                case 1: body[index] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 2: body.remove(at: index)
                case 3: body.insert(UInt8.random(in: 0...255, using: &rng), at: index)
                case 4: body = Array(body.prefix(index))
                default: body[index] = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x03].randomElement(using: &rng) ?? 0
                }
            }
            for t in [type, Self.tls12Types[round % Self.tls12Types.count]] {
                for version in [ProtocolVersion.tls12, .tls13] {
                    do {
                        let message = try HandshakeMessage.decode(type: t, body: body, version: version)
                        outcomes[0] += 1
                        let again = split((try? message.encode()) ?? [])   // (an encoding failure fails in split)
                        XCTAssertEqual(try? HandshakeMessage.decode(type: again.0, body: again.1, version: version), message)
                    } catch {
                        outcomes[1] += 1
                        XCTAssertFalse(error.reason.isEmpty)
                    }
                }
            }
        }
        XCTAssertGreaterThan(outcomes[0], 0)
        XCTAssertGreaterThan(outcomes[1], 0)
    }
}
