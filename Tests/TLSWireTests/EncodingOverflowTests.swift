import TLSWire
import XCTest

/// Review issue 11, item 10: a length that does not fit its prefix fails the encoding (internal_error) instead of
/// being truncated into a malformed message. Before, every case below encoded "successfully" with a wrong length.
final class EncodingOverflowTests: XCTestCase {
    func assertOverflow(_ message: HandshakeMessage, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try message.encode(), what, file: file, line: line) { error in
            XCTAssertEqual((error as? TLSError)?.alert, .internalError, what, file: file, line: line)
        }
    }

    func assertRoundTrip(_ message: HandshakeMessage, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = try message.encode()
        XCTAssertEqual(try HandshakeMessage.decode(bytes), message, what, file: file, line: line)
    }

    func hello(suites: Int = 1, extensions: [Extension] = []) -> ClientHello {
        ClientHello(random: Array(repeating: 1, count: 32), legacySessionID: [],
                    cipherSuites: Array(repeating: .TLS_AES_128_GCM_SHA256, count: suites), extensions: extensions)
    }

    func ticket(_ count: Int) -> HandshakeMessage {
        .newSessionTicket(NewSessionTicket(ticketLifetime: 1, ticketAgeAdd: 2, ticketNonce: [3],
                                           ticket: [UInt8](repeating: 4, count: count), extensions: []))
    }

    /// vector8: an ALPN protocol name (ProtocolName<1..2^8-1>).
    func testVector8() throws {
        let name = { (count: Int) in HandshakeMessage.encryptedExtensions(EncryptedExtensions(extensions: [.alpn([[UInt8](repeating: 0x61, count: count)])])) }
        try assertRoundTrip(name(255), "255-byte ALPN name")
        assertOverflow(name(256), "256-byte ALPN name")
        // Also the nonce of a ticket (opaque ticket_nonce<0..255>).
        assertOverflow(.newSessionTicket(NewSessionTicket(ticketLifetime: 1, ticketAgeAdd: 2, ticketNonce: [UInt8](repeating: 0, count: 256),
                                                          ticket: [1], extensions: [])), "256-byte nonce")
    }

    /// vector16: a ticket (opaque ticket<1..2^16-1>), a cipher suite list, an extension body.
    func testVector16() throws {
        try assertRoundTrip(ticket(65_535), "65535-byte ticket")
        assertOverflow(ticket(65_536), "65536-byte ticket")
        assertOverflow(.clientHello(hello(suites: 32_768)), "65536 bytes of cipher suites")
        try assertRoundTrip(.clientHello(hello(suites: 32_767)), "65534 bytes of cipher suites")
        // A PSK identity that fits its own vector but not the identities list around it.
        let identity = PSKIdentity(identity: [UInt8](repeating: 5, count: 65_535), obfuscatedTicketAge: 0)
        let psk = hello(extensions: [.supportedVersionsClient([.tls13]),
                                     .preSharedKeyClient(identities: [identity], binders: [[UInt8](repeating: 0, count: 32)])])
        assertOverflow(.clientHello(psk), "65535-byte PSK identity")
        XCTAssertThrowsError(try psk.encodedWithoutBinders())
    }

    /// vector24: a handshake message body, a certificate (ASN.1Cert cert_data<1..2^24-1>), an OCSP response.
    func testVector24() throws {
        let huge = [UInt8](repeating: 0x30, count: 1 << 24)
        assertOverflow(.certificate(CertificateMessage(certificateRequestContext: [], entries: [.init(certificateDER: huge)])),
                       "2^24-byte certificate")
        XCTAssertThrowsError(try CertificateStatusCodec.encode(ocspResponse: huge))
        assertOverflow(.certificateStatus(ocspResponse: huge), "2^24-byte OCSP response")
        // The largest body a handshake message can have still encodes.
        let largest = [UInt8](repeating: 0x30, count: (1 << 24) - 1 - 4)
        XCTAssertEqual(try CertificateStatusCodec.encode(ocspResponse: largest).count, (1 << 24) - 1)
        XCTAssertEqual(try HandshakeMessage.certificateStatus(ocspResponse: largest).encode().count, 4 + (1 << 24) - 1)
    }
}
