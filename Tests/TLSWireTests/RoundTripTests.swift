import XCTest
import TLSWire

/// Encode -> decode -> encode for every message type and every Extension case in every context
/// it is defined in.
final class RoundTripTests: XCTestCase {
    let share = KeyShareEntry(group: .x25519, keyExchange: Array(repeating: 7, count: 32))
    let psk = Extension.preSharedKeyClient(
        identities: [PSKIdentity(identity: [1, 2, 3], obfuscatedTicketAge: 0xdead_beef),
                     PSKIdentity(identity: Array(repeating: 9, count: 300), obfuscatedTicketAge: 0)],
        binders: [Array(repeating: 0xaa, count: 32), Array(repeating: 0xbb, count: 48)])

    /// Extensions whose body does not depend on the message.
    var contextFree: [Extension] {
        [
            .supportedGroups([.x25519, .secp256r1, NamedGroup(rawValue: 0x2a2a)]),
            .signatureAlgorithms([.ed25519, .rsa_pss_rsae_sha256]),
            .signatureAlgorithmsCert([.ecdsa_secp256r1_sha256]),
            .alpn([Array("h2".utf8), Array("http/1.1".utf8)]),
            .cookie([1, 2, 3, 4]),
            .pskKeyExchangeModes([0, 1]),
            .recordSizeLimit(16385),
            .renegotiationInfo([]),
            .extendedMasterSecret,
            .sessionTicket([5, 6, 7]),
            .ecPointFormats([0]),
            .certificateAuthorities([[0x30, 0x00], Array(repeating: 0x31, count: 70)]),
            .postHandshakeAuth,
            .statusRequest([1, 0, 0, 0, 0]),
            .padding(17),
            .unknown(ExtensionType(rawValue: 0x1a1a), []),           // GREASE
            .unknown(ExtensionType(rawValue: 0xfe0d), [1, 2, 3]),    // e.g. ECH, not understood
        ]
    }

    func testContextFreeExtensionsInEveryContext() {
        let contexts: [ExtensionContext] = [.clientHello, .serverHello, .helloRetryRequest, .encryptedExtensions,
                                            .certificateRequest, .certificate, .newSessionTicket]
        for context in contexts {
            extensionRoundTrip(contextFree, context: context)
            for ext in contextFree { extensionRoundTrip([ext], context: context) }
        }
        extensionRoundTrip([], context: .encryptedExtensions)
    }

    func testContextDependentExtensions() {
        extensionRoundTrip([.serverName("example.com"), .supportedVersionsClient([.tls13, .tls12]),
                            .keyShareClient([share, KeyShareEntry(group: .secp256r1, keyExchange: [4, 1, 2])]),
                            .earlyData(maxEarlyDataSize: nil), psk], context: .clientHello)
        extensionRoundTrip([.keyShareClient([])], context: .clientHello)   // empty client_shares is legal
        extensionRoundTrip([.serverName(nil), .supportedVersionsServer(.tls13), .keyShareServer(share),
                            .preSharedKeyServer(selectedIdentity: 1)], context: .serverHello)
        extensionRoundTrip([.supportedVersionsServer(.tls13), .keyShareHelloRetryRequest(.secp384r1),
                            .cookie([9])], context: .helloRetryRequest)
        extensionRoundTrip([.serverName(nil), .earlyData(maxEarlyDataSize: nil), .alpn([[0x68]])],
                           context: .encryptedExtensions)
        extensionRoundTrip([.earlyData(maxEarlyDataSize: 16384)], context: .newSessionTicket)
        extensionRoundTrip([.serverName(nil)], context: .certificate)
        // Context-dependent types in a message that does not define them stay raw.
        extensionRoundTrip([.unknown(.keyShare, [0, 0x1d]), .unknown(.supportedVersions, [3, 4]),
                            .unknown(.preSharedKey, [0]), .unknown(.earlyData, [0, 0, 0, 1])],
                           context: .certificate)
        // Non-zero padding is not canonical `.padding`: it is kept byte-exact as raw.
        extensionRoundTrip([.unknown(.padding, [0, 1])], context: .clientHello)
    }

    func testEveryMessageType() throws {
        let messages: [HandshakeMessage] = [
            .clientHello(ClientHello(random: Array(repeating: 1, count: 32), legacySessionID: Array(repeating: 2, count: 32),
                                     cipherSuites: [CipherSuite(rawValue: 0x1301), CipherSuite(rawValue: 0x0a0a)],
                                     extensions: [.supportedVersionsClient([.tls13]), .keyShareClient([share]), psk])),
            // A TLS 1.2-style ClientHello without an extension block.
            .clientHello(ClientHello(random: Array(repeating: 3, count: 32), legacySessionID: [],
                                     cipherSuites: [CipherSuite(rawValue: 0xc02f)], legacyCompressionMethods: [1, 0],
                                     extensions: [])),
            .serverHello(ServerHello(random: Array(repeating: 4, count: 32), legacySessionIDEcho: [5],
                                     cipherSuite: CipherSuite(rawValue: 0x1302),
                                     extensions: [.supportedVersionsServer(.tls13), .keyShareServer(share)])),
            .serverHello(ServerHello(random: ServerHello.helloRetryRequestRandom, legacySessionIDEcho: [],
                                     cipherSuite: CipherSuite(rawValue: 0x1303),
                                     extensions: [.supportedVersionsServer(.tls13), .keyShareHelloRetryRequest(.x25519),
                                                  .cookie([1])])),
            .serverHello(ServerHello(random: Array(repeating: 6, count: 32), legacySessionIDEcho: [],
                                     cipherSuite: CipherSuite(rawValue: 0xc02f), extensions: [])),
            .newSessionTicket(NewSessionTicket(ticketLifetime: 7200, ticketAgeAdd: 0x0102_0304, ticketNonce: [],
                                               ticket: [1], extensions: [.earlyData(maxEarlyDataSize: 0xffff_ffff)])),
            .endOfEarlyData,
            .encryptedExtensions(EncryptedExtensions(extensions: [.alpn([Array("h2".utf8)]), .serverName(nil)])),
            .encryptedExtensions(EncryptedExtensions(extensions: [])),
            .certificate(CertificateMessage(certificateRequestContext: [],
                                            entries: [CertificateMessage.Entry(certificateDER: [0x30, 0x03, 1, 2, 3],
                                                                               extensions: [.statusRequest([1, 2])]),
                                                      CertificateMessage.Entry(certificateDER: [0x30, 0x00])])),
            .certificate(CertificateMessage(certificateRequestContext: [1, 2, 3], entries: [])),
            .certificateRequest(CertificateRequest(certificateRequestContext: [9],
                                                   extensions: [.signatureAlgorithms([.ed25519]),
                                                                .certificateAuthorities([[0x30, 0]])])),
            .certificateVerify(CertificateVerify(algorithm: .ed25519, signature: Array(repeating: 0x55, count: 64))),
            .finished(Finished(verifyData: Array(repeating: 0x66, count: 48))),
            .keyUpdate(.updateNotRequested),
            .keyUpdate(.updateRequested),
        ]
        for message in messages {
            let bytes = try message.encode()
            let (type, body) = split(bytes)
            XCTAssertEqual(type, message.type.rawValue)
            do {
                let decoded = try HandshakeMessage.decode(type: type, body: body)
                XCTAssertEqual(decoded, message)
                XCTAssertEqual(try decoded.encode(), bytes)
            } catch {
                XCTFail("\(message.type): \(error)")
            }
        }
    }

    func testBinderTruncation() throws {
        let ch = ClientHello(random: Array(repeating: 1, count: 32), legacySessionID: [],
                             cipherSuites: [CipherSuite(rawValue: 0x1301)], extensions: [.supportedVersionsClient([.tls13]), psk])
        let full = try HandshakeMessage.clientHello(ch).encode()
        let truncated = try ch.encodedWithoutBinders()
        // binders: 2-byte list length + (1 + 32) + (1 + 48)
        XCTAssertEqual(truncated, Array(full.prefix(full.count - (2 + 33 + 49))))
    }

    func testAlert() throws {
        let alert = Alert(level: .fatal, description: .handshakeFailure)
        XCTAssertEqual(alert.encode(), [2, 40])
        XCTAssertEqual(try Alert(decoding: [2, 40]), alert)
        XCTAssertEqual(try Alert(decoding: [1, 0]), Alert(level: .warning, description: .closeNotify))
        XCTAssertEqual(try Alert(decoding: [2, 255]).description.rawValue, 255)   // unknown descriptions are kept
    }
}
