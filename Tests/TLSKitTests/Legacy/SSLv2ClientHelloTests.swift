import TLSWire
import XCTest
@testable import TLSKit

/// An SSL 2.0-format ClientHello (RFC 5246 Appendix E.2; RFC 6101 Appendix E) as the first bytes a server reads: refused
/// with a well-formed TLS protocol_version alert and the `sslv2ClientHello` cause, with the default configuration and
/// with legacy versions on (we do not accept the v2-compatible hello even for TLS 1.0: it has no extensions, so no
/// EMS, SNI or secure renegotiation, and no client that can do TLS 1.0 needs it). OpenSSL 3 has no `s_client -ssl2`,
/// so these are crafted bytes.
final class SSLv2ClientHelloTests: XCTestCase {
    /// msg_length (high bit set), msg_type 1, version, cipher_spec_length, session_id_length, challenge_length,
    /// cipher_specs (3 bytes each: 00 00 2F is TLS_RSA_WITH_AES_128_CBC_SHA, 00 C0 09 an ECDHE_ECDSA suite,
    /// 07 00 C0 SSL 2.0 DES-CBC3-MD5), challenge.
    static func sslv2ClientHello(version: UInt16) -> [UInt8] {
        let specs: [UInt8] = [0x00, 0x00, 0x2F, 0x00, 0xC0, 0x09, 0x07, 0x00, 0xC0]
        let challenge = [UInt8](repeating: 0x5A, count: 32)
        var body: [UInt8] = [0x01, UInt8(version >> 8), UInt8(version & 0xFF)]
        body += [0x00, UInt8(specs.count), 0x00, 0x00, 0x00, UInt8(challenge.count)]
        body += specs + challenge
        return [0x80 | UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }

    private static func legacyServer() -> TLSServerConfiguration {
        var server = EngineFixtures.serverConfiguration(.rsa2048)
        server.common.minimumVersion = .tls10
        server.common.insecureLegacyVersions = .downToTLS10
        return server
    }

    func testDefaultServerRefusesAnSSLv2ClientHelloWithProtocolVersion() async throws {
        for version: UInt16 in [0x0002, 0x0300, 0x0301, 0x0303] {
            let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
            let error = await feed(server, Self.sslv2ClientHello(version: version))
            XCTAssertEqual(error?.cause, .peerIncompatible(.sslv2ClientHello), "version \(version)")
            assertPlaintextAlert(server, .protocolVersion, thrown: error)
        }
    }

    func testLegacyServerRefusesAnSSLv2CompatibleClientHelloToo() async throws {
        for version: UInt16 in [0x0301, 0x0302, 0x0303] {
            let server = try TLSConnection(server: Self.legacyServer())
            let error = await feed(server, Self.sslv2ClientHello(version: version))
            XCTAssertEqual(error?.cause, .peerIncompatible(.sslv2ClientHello), "version \(version)")
            assertPlaintextAlert(server, .protocolVersion, thrown: error)
        }
    }

    /// Only the very first record can be an SSL 2.0 hello: the same bytes later are an unknown content type.
    func testHighBitLaterIsNotTakenForAnSSLv2Hello() async throws {
        let server = try TLSConnection(server: Self.legacyServer())
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        let first = await feed(server, client.takeOutput())
        XCTAssertNil(first)
        _ = server.takeOutput()
        let error = await feed(server, Self.sslv2ClientHello(version: 0x0301))
        XCTAssertEqual(error?.cause, .unexpectedMessage)
    }
}
