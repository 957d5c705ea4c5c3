import XCTest
import TLSWire

/// Malformed input must fail with the exact alert RFC 8446 asks for, and never trap.
final class NegativeTests: XCTestCase {
    func testEveryPrefixOfAClientHelloIsADecodeError() {
        for vector in [RFC8448.clientHello, RFC8448.resumptionClientHello, RFC8448.hrrClientHello2] {
            let (type, body) = split(hex(vector))
            for cut in 0..<body.count {
                // Cut right after the compression methods it is a valid TLS 1.2-style ClientHello
                // without extensions (2 + 32 + 1 + 8 + 2 bytes for these vectors).
                if cut == 45 {
                    XCTAssertEqual((try? HandshakeMessage.decode(type: type, body: Array(body.prefix(cut))))?.type, .clientHello)
                    continue
                }
                assertAlert(.decodeError, "prefix \(cut)") { () throws(TLSError) in
                    try HandshakeMessage.decode(type: type, body: Array(body.prefix(cut)))
                }
            }
        }
    }

    func testEveryPrefixOfServerMessagesIsADecodeError() {
        // Finished has no structure, so every prefix of it decodes.
        for vector in [RFC8448.serverHello, RFC8448.helloRetryRequest, RFC8448.encryptedExtensions, RFC8448.certificate,
                       RFC8448.certificateVerify, RFC8448.newSessionTicket, RFC8448.certificateRequest] {
            let (type, body) = split(hex(vector))
            for cut in 0..<body.count {
                // A ServerHello cut right after the compression method is a valid extension-less one.
                if type == HandshakeType.serverHello.rawValue, cut == 2 + 32 + 1 + 2 + 1 { continue }
                assertAlert(.decodeError, "type \(type) prefix \(cut)") { () throws(TLSError) in
                    try HandshakeMessage.decode(type: type, body: Array(body.prefix(cut)))
                }
            }
        }
    }

    func testTrailingBytesAreADecodeError() {
        for vector in [RFC8448.clientHello, RFC8448.serverHello, RFC8448.encryptedExtensions, RFC8448.certificate,
                       RFC8448.certificateVerify, RFC8448.newSessionTicket, RFC8448.certificateRequest,
                       RFC8448.endOfEarlyData] {
            let (type, body) = split(hex(vector))
            assertAlert(.decodeError, "type \(type)") { () throws(TLSError) in
                try HandshakeMessage.decode(type: type, body: body + [0])
            }
        }
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(type: 24, body: [0, 0]) }
        // Trailing bytes inside one extension body.
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(28, [0x40, 0x01, 0]), .clientHello) }
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(23, [0]), .clientHello) }
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(42, [0]), .encryptedExtensions) }
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(0, [0]), .encryptedExtensions) }
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(43, [3, 4, 0]), .serverHello) }
    }

    func testOverlongLengthFields() {
        var body = hex(RFC8448.clientHello).dropFirst(4).map { $0 }
        // Extension block length (bytes 41...42 of the body here) claims one byte more than there is.
        let offset = 2 + 32 + 1 + 2 + 6 + 2
        XCTAssertEqual(body[offset], 0x00)
        XCTAssertEqual(body[offset + 1], 0x91)
        body[offset + 1] = 0x92
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(type: 1, body: body) }
        // Session id length 33 (> 32) with enough bytes behind it.
        var hello = hex(RFC8448.clientHello).dropFirst(4).map { $0 }
        hello[34] = 33
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(type: 1, body: hello) }
        // Inner vector longer than its extension body.
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(10, [0, 4, 0, 0x1d]), .clientHello) }
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions([0, 10, 0, 10, 0, 20], .clientHello) }
        // Certificate list length beyond the message.
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(type: 11, body: [0, 0xff, 0xff, 0xff]) }
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode([2, 0xff, 0xff, 0xff]) }
    }

    func testDuplicateExtensionsAreIllegalParameter() throws {
        // extended_master_secret twice
        let good: [UInt8] = [0, 8] + [0, 23, 0, 0] + [0, 23, 0, 0]
        assertAlert(.illegalParameter) { () throws(TLSError) in try decodeExtensions(good, .encryptedExtensions) }
        // Also for unknown and GREASE types: the rule is per type code.
        let grease: [UInt8] = [0, 8] + [0x2a, 0x2a, 0, 0] + [0x2a, 0x2a, 0, 0]
        assertAlert(.illegalParameter) { () throws(TLSError) in try decodeExtensions(grease, .clientHello) }
        // In a real ClientHello: append a second supported_versions.
        let ch = ClientHello(random: Array(repeating: 0, count: 32), legacySessionID: [],
                             cipherSuites: [CipherSuite(rawValue: 0x1301)],
                             extensions: [.supportedVersionsClient([.tls13]), .supportedVersionsClient([.tls12])])
        let (type, body) = split(try HandshakeMessage.clientHello(ch).encode())
        assertAlert(.illegalParameter) { () throws(TLSError) in try HandshakeMessage.decode(type: type, body: body) }
    }

    func testUnknownAndGreaseExtensionsAreKept() throws {
        let list: [UInt8] = [0, 13] + [0xfa, 0xfa, 0, 1, 0] + [0x12, 0x34, 0, 0] + [0, 49, 0, 0]
        let decoded = try decodeExtensions(list, .clientHello)
        XCTAssertEqual(decoded, [.unknown(ExtensionType(rawValue: 0xfafa), [0]),
                                 .unknown(ExtensionType(rawValue: 0x1234), []), .postHandshakeAuth])
        XCTAssertTrue(decoded[0].type.isGREASE)
        // GREASE values inside lists are plain code points, kept in order.
        let groups = try decodeExtensions(block(10, [0, 4, 0x3a, 0x3a, 0, 0x1d]), .clientHello)
        XCTAssertEqual(groups.supportedGroups, [NamedGroup(rawValue: 0x3a3a), .x25519])
        let versions = try decodeExtensions(block(43, [4, 0x4a, 0x4a, 3, 4]), .clientHello)
        XCTAssertEqual(versions.supportedVersionsClient, [ProtocolVersion(rawValue: 0x4a4a), .tls13])
    }

    func testUnknownHandshakeTypeIsUnexpectedMessage() {
        for type: UInt8 in [0, 3, 6, 12, 14, 16, 21, 99, 254, 255] {
            assertAlert(.unexpectedMessage, "type \(type)") { () throws(TLSError) in
                try HandshakeMessage.decode(type: type, body: [])
            }
        }
    }

    func testBadKeyUpdateIsIllegalParameter() {
        for value: UInt8 in [2, 3, 0x80, 0xff] {
            assertAlert(.illegalParameter) { () throws(TLSError) in try HandshakeMessage.decode(type: 24, body: [value]) }
        }
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(type: 24, body: []) }
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(type: 5, body: [0]) }
    }

    func testEmptyRequiredListsAreDecodeErrors() {
        let cases: [(UInt16, [UInt8], ExtensionContext, String)] = [
            (10, [0, 0], .clientHello, "supported_groups empty"),
            (10, [0, 3, 0, 0x1d, 0], .clientHello, "supported_groups odd"),
            (13, [0, 0], .clientHello, "signature_algorithms empty"),
            (13, [0, 1, 4], .certificateRequest, "signature_algorithms odd"),
            (50, [0, 0], .clientHello, "signature_algorithms_cert empty"),
            (16, [0, 0], .clientHello, "alpn list empty"),
            (16, [0, 1, 0], .clientHello, "alpn name empty"),
            (16, [0, 3, 2, 0x68, 0x32, 0], .encryptedExtensions, "alpn trailing"),
            (44, [0, 0], .clientHello, "cookie empty"),
            (45, [0], .clientHello, "psk_key_exchange_modes empty"),
            (11, [0], .clientHello, "ec_point_formats empty"),
            (43, [0], .clientHello, "supported_versions empty"),
            (43, [3, 3, 4, 0], .clientHello, "supported_versions odd"),
            (47, [0, 0], .certificateRequest, "certificate_authorities empty"),
            (47, [0, 2, 0, 0], .certificateRequest, "certificate_authorities empty name"),
            (0, [0, 0], .clientHello, "server_name list empty"),
            (0, [0, 3, 0, 0, 0], .clientHello, "server_name host name empty"),
            (0, [0, 5, 0, 0, 2, 0x61, 0x00], .clientHello, "server_name with NUL"),
            (51, [0, 4, 0, 0x1d, 0, 0], .clientHello, "key_share entry with empty key"),
            (51, [0, 0x1d, 0, 0], .serverHello, "server key_share with empty key"),
            (51, [0], .helloRetryRequest, "HRR key_share truncated"),
            (41, [0, 0, 0, 0], .clientHello, "pre_shared_key empty identities"),
        ]
        for (type, body, context, name) in cases {
            assertAlert(.decodeError, name) { () throws(TLSError) in try decodeExtensions(block(type, body), context) }
        }
        // Empty cipher_suites / compression methods in a ClientHello.
        var w = ByteWriter()
        w.writeUInt16(0x0303)
        w.writeBytes(Array(repeating: 0, count: 32))
        w.writeVector8(bytes: [])
        w.writeVector16(bytes: [])
        w.writeVector8(bytes: [0])
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(type: 1, body: w.bytes) }
        // Empty ticket in NewSessionTicket; empty certificate entry.
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 4, body: [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0])
        }
        assertAlert(.decodeError) { () throws(TLSError) in
            try HandshakeMessage.decode(type: 11, body: [0, 0, 0, 5, 0, 0, 0, 0, 0])
        }
    }

    func testPreSharedKey() throws {
        let identity: [UInt8] = [0, 1, 0x41, 0, 0, 0, 0]          // identity "A", age 0
        let binder: [UInt8] = [32] + Array(repeating: 0xcc, count: 32)
        func body(ids: Int, binders: Int, binderLength: Int = 32) -> [UInt8] {
            let idList = Array((0..<ids).map { _ in identity }.joined())
            let b: [UInt8] = [UInt8(binderLength)] + Array(repeating: 0xcc, count: binderLength)
            let binderList = Array((0..<binders).map { _ in b }.joined())
            var w = ByteWriter()
            w.writeVector16(bytes: idList)
            w.writeVector16(bytes: binderList)
            return w.bytes
        }
        XCTAssertEqual(binder.count, 33)
        let ok = try decodeExtensions(block(41, body(ids: 2, binders: 2)), .clientHello)
        XCTAssertEqual(ok.preSharedKeyClient?.identities.count, 2)
        // Count mismatch.
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(41, body(ids: 2, binders: 1)), .clientHello) }
        assertAlert(.decodeError) { () throws(TLSError) in try decodeExtensions(block(41, body(ids: 1, binders: 2)), .clientHello) }
        // Binder shorter than 32 bytes.
        assertAlert(.decodeError) { () throws(TLSError) in
            try decodeExtensions(block(41, body(ids: 1, binders: 1, binderLength: 31)), .clientHello)
        }
        // pre_shared_key not last in a ClientHello.
        var w = ByteWriter()
        Extension.encodeList([.unknown(.preSharedKey, body(ids: 1, binders: 1)), .extendedMasterSecret], into: &w)
        assertAlert(.illegalParameter) { () throws(TLSError) in try decodeExtensions(w.bytes, .clientHello) }
        // … but the ServerHello form may be anywhere.
        var s = ByteWriter()
        Extension.encodeList([.preSharedKeyServer(selectedIdentity: 0), .supportedVersionsServer(.tls13)], into: &s)
        XCTAssertEqual(try decodeExtensions(s.bytes, .serverHello).preSharedKeySelectedIdentity, 0)
    }

    func testDuplicateKeyShareGroupIsIllegalParameter() {
        let entry: [UInt8] = [0, 0x1d, 0, 1, 9]
        assertAlert(.illegalParameter) { () throws(TLSError) in
            try decodeExtensions(block(51, [0, 10] + entry + entry), .clientHello)
        }
    }

    func testAlertDecoding() {
        assertAlert(.decodeError) { () throws(TLSError) in try Alert(decoding: []) }
        assertAlert(.decodeError) { () throws(TLSError) in try Alert(decoding: [2]) }
        assertAlert(.decodeError) { () throws(TLSError) in try Alert(decoding: [2, 40, 0]) }
        assertAlert(.decodeError) { () throws(TLSError) in try Alert(decoding: [3, 40]) }
        assertAlert(.decodeError) { () throws(TLSError) in try Alert(decoding: [0, 0]) }
    }
}

final class ServerNameTests: XCTestCase {
    func testServerNameListWithoutHostNameIsKeptRaw() throws {
        // One entry of an unknown name type (1): nothing TLSKit understands, keep the bytes.
        let body: [UInt8] = [0, 4, 1, 0, 1, 0x61]
        let list = try decodeExtensions(block(0, body), .clientHello)
        XCTAssertEqual(list, [.unknown(.serverName, body)])
        XCTAssertNil(list.serverNameValue)
    }

    func testFirstHostNameWins() throws {
        let body: [UInt8] = [0, 10, 1, 0, 1, 0x61, 0, 0, 3, 0x61, 0x2e, 0x62]
        XCTAssertEqual(try decodeExtensions(block(0, body), .clientHello).serverNameValue, "a.b")
    }
}
