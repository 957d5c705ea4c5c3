import XCTest
import TLSWire

/// Decodes the handshake messages of the RFC 8448 traces, checks typed fields, and checks that
/// re-encoding reproduces the RFC bytes exactly.
final class RFC8448Tests: XCTestCase {
    // The nine groups and fifteen schemes the RFC 8448 client and server offer.
    let groups: [NamedGroup] = [.x25519, .secp256r1, .secp384r1, .secp521r1,
                                .ffdhe2048, .ffdhe3072, .ffdhe4096, .ffdhe6144, .ffdhe8192]
    let schemes: [SignatureScheme] = [0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806,
                                      0x0401, 0x0501, 0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202]
        .map { SignatureScheme(rawValue: $0) }

    func testSimpleClientHello() throws {
        guard case .clientHello(let ch)? = decodeRoundTrip(hex(RFC8448.clientHello)) else {
            return XCTFail("not a ClientHello")
        }
        XCTAssertEqual(ch.legacyVersion, .tls12)
        XCTAssertEqual(ch.random, hex("cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2 1a 8d 99 12 ec 18 a2 ef 62 83 02 4d ec e7"))
        XCTAssertEqual(ch.legacySessionID, [])
        XCTAssertEqual(ch.cipherSuites.map(\.rawValue), [0x1301, 0x1303, 0x1302])
        XCTAssertEqual(ch.legacyCompressionMethods, [0])
        XCTAssertEqual(ch.extensions, [
            .serverName("server"),
            .renegotiationInfo([]),
            .supportedGroups(groups),
            .sessionTicket([]),
            .keyShareClient([KeyShareEntry(group: .x25519, keyExchange: hex(
                "99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c"))]),
            .supportedVersionsClient([.tls13]),
            .signatureAlgorithms(schemes),
            .pskKeyExchangeModes([1]),
            .recordSizeLimit(0x4001),
        ])
        // The accessors the engine uses.
        XCTAssertEqual(ch.extensions.serverNameValue, "server")
        XCTAssertEqual(ch.extensions.supportedVersionsClient, [.tls13])
        XCTAssertEqual(ch.extensions.keyShareClient?.first?.group, .x25519)
        XCTAssertEqual(ch.extensions.supportedGroups, groups)
        XCTAssertEqual(ch.extensions.signatureAlgorithms, schemes)
        XCTAssertEqual(ch.extensions.pskKeyExchangeModes, [1])
        XCTAssertEqual(ch.extensions.recordSizeLimit, 0x4001)
        XCTAssertNil(ch.extensions.alpnProtocols)
        XCTAssertNil(ch.extensions.cookie)
        XCTAssertNil(ch.extensions.preSharedKeyClient)
        XCTAssertNil(try ch.encodedWithoutBinders())
        XCTAssertEqual(ch.extensions.first(.recordSizeLimit), .recordSizeLimit(0x4001))
    }

    func testSimpleServerHello() throws {
        guard case .serverHello(let sh)? = decodeRoundTrip(hex(RFC8448.serverHello)) else {
            return XCTFail("not a ServerHello")
        }
        XCTAssertFalse(sh.isHelloRetryRequest)
        XCTAssertEqual(sh.random, hex("a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c 8a c5 cb 14 34 da c1 55 77 2e d3 e2 69 28"))
        XCTAssertEqual(sh.legacySessionIDEcho, [])
        XCTAssertEqual(sh.cipherSuite.rawValue, 0x1301)
        XCTAssertEqual(sh.legacyCompressionMethod, 0)
        XCTAssertEqual(sh.extensions, [
            .keyShareServer(KeyShareEntry(group: .x25519, keyExchange: hex(
                "c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f"))),
            .supportedVersionsServer(.tls13),
        ])
        XCTAssertEqual(sh.extensions.supportedVersionServer, .tls13)
        XCTAssertEqual(sh.extensions.keyShareServer?.group, .x25519)
    }

    func testSimpleEncryptedExtensions() throws {
        guard case .encryptedExtensions(let ee)? = decodeRoundTrip(hex(RFC8448.encryptedExtensions)) else {
            return XCTFail("not EncryptedExtensions")
        }
        XCTAssertEqual(ee.extensions, [.supportedGroups(groups), .recordSizeLimit(0x4001), .serverName(nil)])
    }

    func testSimpleCertificate() throws {
        guard case .certificate(let cert)? = decodeRoundTrip(hex(RFC8448.certificate)) else {
            return XCTFail("not a Certificate")
        }
        XCTAssertEqual(cert.certificateRequestContext, [])
        XCTAssertEqual(cert.entries.count, 1)
        XCTAssertEqual(cert.entries.first?.certificateDER.count, 0x1b0)
        XCTAssertEqual(cert.entries.first?.certificateDER.prefix(4), [0x30, 0x82, 0x01, 0xac])
        XCTAssertEqual(cert.entries.first?.extensions, [])
    }

    func testSimpleCertificateVerify() throws {
        guard case .certificateVerify(let cv)? = decodeRoundTrip(hex(RFC8448.certificateVerify)) else {
            return XCTFail("not a CertificateVerify")
        }
        XCTAssertEqual(cv.algorithm, .rsa_pss_rsae_sha256)
        XCTAssertEqual(cv.signature.count, 128)
        XCTAssertEqual(cv.signature.prefix(3), [0x5a, 0x74, 0x7c])
    }

    func testFinished() throws {
        guard case .finished(let server)? = decodeRoundTrip(hex(RFC8448.serverFinished)),
              case .finished(let client)? = decodeRoundTrip(hex(RFC8448.clientFinished)) else {
            return XCTFail("not Finished")
        }
        XCTAssertEqual(server.verifyData, hex("9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da 4a b4 2c 30 95 72 cb 7f ff ee 54 54 b7 8f 07 18"))
        XCTAssertEqual(client.verifyData.count, 32)
    }

    func testNewSessionTicket() throws {
        guard case .newSessionTicket(let nst)? = decodeRoundTrip(hex(RFC8448.newSessionTicket)) else {
            return XCTFail("not a NewSessionTicket")
        }
        XCTAssertEqual(nst.ticketLifetime, 30)
        XCTAssertEqual(nst.ticketAgeAdd, 0xfad6_aac5)
        XCTAssertEqual(nst.ticketNonce, [0, 0])
        XCTAssertEqual(nst.ticket.count, 0xb2)
        XCTAssertEqual(nst.ticket.prefix(4), [0x2c, 0x03, 0x5d, 0x82])
        XCTAssertEqual(nst.extensions, [.earlyData(maxEarlyDataSize: 0x400)])
        XCTAssertEqual(nst.extensions.maxEarlyDataSize, 0x400)
    }

    func testResumptionClientHelloWithPSK() throws {
        let bytes = hex(RFC8448.resumptionClientHello)
        XCTAssertEqual(bytes.count, 512)
        guard case .clientHello(let ch)? = decodeRoundTrip(bytes) else { return XCTFail("not a ClientHello") }
        XCTAssertEqual(ch.extensions.map(\.type), [
            .serverName, .renegotiationInfo, .supportedGroups, .keyShare, .earlyData, .supportedVersions,
            .signatureAlgorithms, .pskKeyExchangeModes, .recordSizeLimit, .padding, .preSharedKey,
        ])
        XCTAssertEqual(ch.extensions.first(.earlyData), .earlyData(maxEarlyDataSize: nil))
        XCTAssertEqual(ch.extensions.first(.padding), .padding(0x57))
        guard let psk = ch.extensions.preSharedKeyClient else { return XCTFail("no pre_shared_key") }
        XCTAssertEqual(psk.identities.count, 1)
        XCTAssertEqual(psk.identities.first?.identity.count, 0xb2)
        // The identity is the ticket of the first connection's NewSessionTicket.
        if case .newSessionTicket(let nst)? = decodeRoundTrip(hex(RFC8448.newSessionTicket)) {
            XCTAssertEqual(psk.identities.first?.identity, nst.ticket)
        }
        XCTAssertEqual(psk.identities.first?.obfuscatedTicketAge, 0xfad6_aacb)
        XCTAssertEqual(psk.binders, [hex("3a dd 4f b2 d8 fd f8 22 a0 ca 3c f7 67 8e f5 e8 8d ae 99 01 41 c5 92 4d 57 bb 6f a3 1b 9e 5f 9d")])
        // The binder transcript input is exactly the RFC's 477-octet prefix.
        XCTAssertEqual(try ch.encodedWithoutBinders(), hex(RFC8448.resumptionClientHelloPrefix))
    }

    func testResumptionServerHelloAndEncryptedExtensions() throws {
        guard case .serverHello(let sh)? = decodeRoundTrip(hex(RFC8448.resumptionServerHello)) else {
            return XCTFail("not a ServerHello")
        }
        XCTAssertEqual(sh.extensions.preSharedKeySelectedIdentity, 0)
        XCTAssertEqual(sh.extensions.map(\.type), [.preSharedKey, .keyShare, .supportedVersions])
        guard case .encryptedExtensions(let ee)? = decodeRoundTrip(hex(RFC8448.resumptionEncryptedExtensions)) else {
            return XCTFail("not EncryptedExtensions")
        }
        XCTAssertEqual(ee.extensions, [.supportedGroups(groups), .recordSizeLimit(0x4001), .serverName(nil),
                                       .earlyData(maxEarlyDataSize: nil)])
        XCTAssertEqual(decodeRoundTrip(hex(RFC8448.endOfEarlyData)), .endOfEarlyData)
    }

    func testHelloRetryRequest() throws {
        guard case .clientHello(let first)? = decodeRoundTrip(hex(RFC8448.hrrClientHello1)) else {
            return XCTFail("not a ClientHello")
        }
        XCTAssertEqual(first.extensions.keyShareClient?.map(\.group), [.x25519])
        XCTAssertEqual(first.extensions.supportedGroups, [.x25519, .secp256r1, .secp384r1])

        guard case .serverHello(let hrr)? = decodeRoundTrip(hex(RFC8448.helloRetryRequest)) else {
            return XCTFail("not a ServerHello")
        }
        XCTAssertTrue(hrr.isHelloRetryRequest)
        XCTAssertEqual(hrr.random, ServerHello.helloRetryRequestRandom)
        XCTAssertEqual(hrr.extensions.keyShareHelloRetryRequest, .secp256r1)
        XCTAssertEqual(hrr.extensions.supportedVersionServer, .tls13)
        XCTAssertEqual(hrr.extensions.cookie?.count, 0x72)

        guard case .clientHello(let second)? = decodeRoundTrip(hex(RFC8448.hrrClientHello2)) else {
            return XCTFail("not a ClientHello")
        }
        XCTAssertEqual(second.random, first.random)
        XCTAssertEqual(second.extensions.cookie, hrr.extensions.cookie)
        XCTAssertEqual(second.extensions.keyShareClient?.map(\.group), [.secp256r1])
        XCTAssertEqual(second.extensions.keyShareClient?.first?.keyExchange.count, 65)
        XCTAssertEqual(second.extensions.first(.padding), .padding(0xaf))

        guard case .serverHello(let sh)? = decodeRoundTrip(hex(RFC8448.hrrServerHello)) else {
            return XCTFail("not a ServerHello")
        }
        XCTAssertFalse(sh.isHelloRetryRequest)
        XCTAssertEqual(sh.extensions.keyShareServer?.group, .secp256r1)
        XCTAssertEqual(sh.extensions.keyShareServer?.keyExchange.count, 65)
    }

    func testClientAuthenticationMessages() throws {
        guard case .certificateRequest(let cr)? = decodeRoundTrip(hex(RFC8448.certificateRequest)) else {
            return XCTFail("not a CertificateRequest")
        }
        XCTAssertEqual(cr.certificateRequestContext, [])
        XCTAssertEqual(cr.extensions, [.signatureAlgorithms(schemes)])

        guard case .certificate(let ecdsa)? = decodeRoundTrip(hex(RFC8448.ecdsaCertificate)),
              case .certificateVerify(let cv)? = decodeRoundTrip(hex(RFC8448.ecdsaCertificateVerify)),
              case .certificate(let client)? = decodeRoundTrip(hex(RFC8448.clientCertificate)) else {
            return XCTFail("§6 messages did not decode")
        }
        XCTAssertEqual(ecdsa.entries.count, 1)
        XCTAssertEqual(cv.algorithm, .ecdsa_secp256r1_sha256)
        XCTAssertEqual(cv.signature.count, 0x47)
        XCTAssertEqual(client.entries.count, 1)
    }

    func testDecodeWholeMessageHelper() throws {
        let bytes = hex(RFC8448.serverHello)
        XCTAssertEqual(try HandshakeMessage.decode(bytes).encode(), bytes)
        assertAlert(.decodeError) { () throws(TLSError) in try HandshakeMessage.decode(bytes + [0]) }
    }
}
