import Crypto
import _CryptoExtras
import TLSCrypto
import TLSWire
import XCTest
@testable import TLSKit

/// The SSL 3.0 client (issue 17), behind `InsecureLegacyVersions.downToSSL30IncludingPOODLEVulnerableSSL3`.
///
/// There is no real SSL 3.0 peer on this machine: OpenSSL 3.0.19 has no `-ssl3`, and GnuTLS 3.7.9 rejects
/// `VERS-SSL3.0` priorities ("Error in priorities"). So the server here is scripted by hand: it answers our
/// ClientHello with an SSL 3.0 ServerHello, an RSA Certificate (keyEncipherment) and ServerHelloDone, decrypts our
/// premaster with swift-crypto's PKCS#1 v1.5, and derives everything with `SpecSSL3` below, the test's own
/// implementation of RFC 6101 §6.1, §6.2.2, §5.6.9 and §5.2.3 (not TLSKit's). The Finished known answer was computed
/// with python3 and hashlib (`r(a, n)` the bytes a … a+n-1):
///
///     def fin(h, pad, ms, msgs, sender):
///         inner = hashlib.new(h, msgs + sender + ms + b'\x36' * pad).digest()
///         return hashlib.new(h, ms + b'\x5c' * pad + inner).digest()
///     def finished(ms, msgs, client):
///         s = b'CLNT' if client else b'SRVR'
///         return fin('md5', 48, ms, msgs, s) + fin('sha1', 40, ms, msgs, s)
///     finished(r(0x30, 48), r(0, 200), True), finished(r(0x30, 48), r(0, 200), False)
///
/// The record known answers are in `SSL3RecordProtectionTests`.
final class SSL3ClientTests: XCTestCase {
    private static let leaf: TestLeaf = try! EngineFixtures.ca.issueLeaf(
        keyType: .rsa2048, commonName: EngineFixtures.serverName, dnsNames: [EngineFixtures.serverName], eku: [.serverAuth],
        keyEncipherment: true)

    private static func ssl3Configuration(maximum: ProtocolVersion = .ssl3) -> TLSClientConfiguration {
        var config = EngineFixtures.clientConfiguration()
        config.common.insecureLegacyVersions = .downToSSL30IncludingPOODLEVulnerableSSL3
        config.common.minimumVersion = .ssl3
        config.common.maximumVersion = maximum
        return config
    }

    private static func r(_ start: Int, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: start + $0) } }

    // MARK: Known answers

    func testFinishedMatchesPython() {
        XCTAssertEqual(hexString(SSL3KeyDerivation.finished(masterSecret: Self.r(0x30, 48), handshakeMessages: Self.r(0, 200), client: true)),
                       "2f674f3f2cca03ea8c752d23ad4bccaf990d7a801eb7f62ee6ddf8ce1bec47095ed14fdf")
        XCTAssertEqual(hexString(SSL3KeyDerivation.finished(masterSecret: Self.r(0x30, 48), handshakeMessages: Self.r(0, 200), client: false)),
                       "2f9cd4fe8f3d6962d8306e88afc2d3a4da348166fae460540dc012ef81a3bb2c9f8392de")
        // The test's own implementation agrees with the same answers.
        XCTAssertEqual(hexString(SpecSSL3.finished(Self.r(0x30, 48), Self.r(0, 200), client: true)),
                       "2f674f3f2cca03ea8c752d23ad4bccaf990d7a801eb7f62ee6ddf8ce1bec47095ed14fdf")
    }

    // MARK: What is offered

    func testSSL3OnlyClientHelloHasNoExtensionsAndTheSCSV() throws {
        let client = try TLSConnection(client: Self.ssl3Configuration(), serverName: EngineFixtures.serverName)
        let records = WireRecord.parse(client.takeOutput()).records
        XCTAssertEqual(records.first?.version, 0x0300)
        let hello = try decodeClientHello(records)
        XCTAssertEqual(hello.legacyVersion, .ssl3)
        XCTAssertTrue(hello.extensions.isEmpty)
        XCTAssertEqual(hello.cipherSuites, [.TLS_RSA_WITH_AES_128_CBC_SHA, .TLS_RSA_WITH_AES_256_CBC_SHA, .TLS_EMPTY_RENEGOTIATION_INFO_SCSV])
        // No extensions block at all: the message ends with the compression methods.
        let body = records[0].body
        XCTAssertEqual(Array(body.suffix(2)), [1, 0])
    }

    func testMixedClientHelloIsTheNormalOneWithSSL3Lowest() throws {
        let hello = try freshClientHello { $0 = Self.ssl3Configuration(maximum: .tls13) }
        XCTAssertEqual(hello.legacyVersion, .tls12)
        XCTAssertEqual(hello.extensions.supportedVersionsClient?.filter { $0.rawValue & 0x0F0F != 0x0A0A }.last, .ssl3)
        XCTAssertTrue(hello.extensions.contains(.renegotiationInfo))
    }

    func testDefaultConfigurationStillRefusesSSL3() {
        var config = EngineFixtures.clientConfiguration()
        config.common.minimumVersion = .ssl3
        XCTAssertThrowsError(try TLSConnection(client: config, serverName: EngineFixtures.serverName)) {
            XCTAssertTrue($0 is TLSConfigurationError, "\($0)")
        }
        config.common.insecureLegacyVersions = .downToTLS10
        XCTAssertThrowsError(try TLSConnection(client: config, serverName: EngineFixtures.serverName)) {
            XCTAssertTrue($0 is TLSConfigurationError, "\($0)")
        }
    }

    // MARK: The server's version

    func testSSL3ServerHelloWithoutTheSecondOptInIsProtocolVersion() async throws {
        var tls10 = EngineFixtures.clientConfiguration()
        tls10.common.insecureLegacyVersions = .downToTLS10
        tls10.common.minimumVersion = .tls10
        for config in [EngineFixtures.clientConfiguration(), tls10] {
            let client = try TLSConnection(client: config, serverName: EngineFixtures.serverName)
            _ = client.takeOutput()
            let error = await feed(client, WireRecord(.handshake, version: 0x0300, body: Self.serverHello(Self.r(0x90, 32))).bytes)
            XCTAssertEqual(error?.cause, .peerIncompatible(.noCommonVersion))
            assertPlaintextAlert(client, .protocolVersion, thrown: error)
        }
    }

    func testSSL3ServerHelloWithTheDowngradeSentinelIsRefused() async throws {
        // RFC 8446 §4.1.3, as for TLS 1.0: offering TLS 1.2 or 1.3, an SSL 3.0 ServerHello ending in DOWNGRD\x00 (or
        // \x01) came from a server that supports more.
        for (maximum, sentinel) in [(ProtocolVersion.tls12, downgradeSentinelTLS11), (.tls13, downgradeSentinelTLS12)] {
            let client = try TLSConnection(client: Self.ssl3Configuration(maximum: maximum), serverName: EngineFixtures.serverName)
            _ = client.takeOutput()
            let error = await feed(client, WireRecord(.handshake, version: 0x0300, body: Self.serverHello(Self.r(0x90, 24) + sentinel)).bytes)
            XCTAssertEqual(error?.cause, .peerMisbehaved(.downgradeDetected), "\(maximum)")
        }
    }

    // MARK: Whole handshakes with the scripted server

    func testHandshakeAndDataWithScriptedSSL3Server() async throws {
        for maximum in [ProtocolVersion.ssl3, .tls12] {
            var server = try await ScriptedSSL3Server.start(Self.ssl3Configuration(maximum: maximum))
            // The premaster starts with the highest version offered (RFC 5246 §7.4.7.1).
            XCTAssertEqual(Array(server.preMasterSecret.prefix(2)), maximum == .ssl3 ? [3, 0] : [3, 3])
            let error = await feed(server.client, server.serverFinishedFlight())
            XCTAssertNil(error)
            XCTAssertTrue(server.client.isHandshakeComplete)
            XCTAssertEqual(server.client.negotiated?.version, .ssl3)
            XCTAssertEqual(server.client.negotiated?.extendedMasterSecret, false)

            // Client to server: 1/n−1 split, each record opened by the test's SSL 3.0 implementation.
            try server.client.send(Array("ping over SSL 3.0".utf8))
            let records = WireRecord.parse(server.client.takeOutput()).records
            XCTAssertEqual(records.count, 2)
            var received: [UInt8] = []
            for record in records {
                XCTAssertEqual(record.version, 0x0300)
                received += try XCTUnwrap(server.fromClient.open(23, record.body))
            }
            XCTAssertEqual(received, Array("ping over SSL 3.0".utf8))

            // Server to client.
            let reply = server.toClient.seal(23, Array("pong".utf8))
            let replyError = await feed(server.client, reply)
            XCTAssertNil(replyError)
            XCTAssertEqual(server.client.takeApplicationData(), Array("pong".utf8))
        }
    }

    func testCertificateRequestIsAnsweredWithTheNoCertificateWarning() async throws {
        var server = try await ScriptedSSL3Server.start(Self.ssl3Configuration(), requestCertificate: true)
        let error = await feed(server.client, server.serverFinishedFlight())
        XCTAssertNil(error)
        XCTAssertTrue(server.client.isHandshakeComplete)
    }

    func testBadServerFinishedIsDecryptError() async throws {
        var server = try await ScriptedSSL3Server.start(Self.ssl3Configuration())
        let error = await feed(server.client, server.serverFinishedFlight(corruptVerifyData: true))
        XCTAssertEqual(error?.cause, .peerMisbehaved(.finishedMismatch))
        XCTAssertEqual(error?.alert, .decryptError)
    }

    func testPaddingLengthOverBlockMinusOneIsBadRecordMAC() async throws {
        var server = try await ScriptedSSL3Server.start(Self.ssl3Configuration())
        // 40-byte Finished + 20-byte MAC + 19 padding bytes + padding_length 19: aligned, MAC right, length > 15.
        let error = await feed(server.client, server.serverFinishedFlight(padding: [UInt8](repeating: 19, count: 19)))
        XCTAssertEqual(error?.cause, .peerMisbehaved(.recordAuthenticationFailed))
        XCTAssertEqual(error?.alert, .badRecordMAC)
    }

    func testSSL3ServerHelloMayAnswerTheSCSVWithRenegotiationInfoButNotEMS() async throws {
        // RFC 5746 §3.6: a server that sees the SCSV answers with an empty renegotiation_info, in SSL 3.0 too.
        let client = try TLSConnection(client: Self.ssl3Configuration(), serverName: EngineFixtures.serverName)
        _ = client.takeOutput()
        let accepted = await feed(client, WireRecord(.handshake, version: 0x0300,
                                                     body: Self.serverHello(Self.r(0x90, 32), extensions: [.renegotiationInfo([])])).bytes)
        XCTAssertNil(accepted)
        XCTAssertEqual(client.negotiatedVersion, .ssl3)

        // Offering TLS 1.2 too, extended_master_secret was offered, but an SSL 3.0 ServerHello cannot carry it.
        let mixed = try TLSConnection(client: Self.ssl3Configuration(maximum: .tls12), serverName: EngineFixtures.serverName)
        _ = mixed.takeOutput()
        let refused = await feed(mixed, WireRecord(.handshake, version: 0x0300,
                                                   body: Self.serverHello(Self.r(0x90, 32), extensions: [.extendedMasterSecret])).bytes)
        XCTAssertEqual(refused?.cause, .peerMisbehaved(.forbiddenExtension))
    }

    fileprivate static func serverHello(_ random: [UInt8], extensions: [Extension] = []) -> [UInt8] {
        HandshakeMessage.serverHello(ServerHello(legacyVersion: .ssl3, random: random, legacySessionIDEcho: Self.r(0xa0, 32),
                                                 cipherSuite: .TLS_RSA_WITH_AES_128_CBC_SHA, extensions: extensions)).testBytes
    }

    /// The scripted SSL 3.0 server, up to and including the client's Finished (checked).
    private struct ScriptedSSL3Server {
        let client: TLSConnection
        var transcript: [UInt8]
        let masterSecret: [UInt8]
        let preMasterSecret: [UInt8]
        var fromClient: SpecSSL3.Direction
        var toClient: SpecSSL3.Direction

        /// `requestCertificate`: the flight includes an SSL 3.0 CertificateRequest (rsa_sign, no CA names).
        static func start(_ config: TLSClientConfiguration, requestCertificate: Bool = false) async throws -> ScriptedSSL3Server {
            let client = try TLSConnection(client: config, serverName: EngineFixtures.serverName)
            let helloRecords = WireRecord.parse(client.takeOutput()).records
            let clientHelloRaw = helloRecords.filter { $0.contentType == 22 }.flatMap(\.body)
            let clientRandom = try decodeClientHello(helloRecords).random
            let serverRandom = SSL3ClientTests.r(0x90, 32)
            let flight = SSL3ClientTests.serverHello(serverRandom)
                + HandshakeMessage.certificate12(CertificateMessage12(certificates: try leaf.chainDER)).testBytes
                + (requestCertificate ? [13, 0, 0, 4, 1, 1, 0, 0] : [])
                + HandshakeMessage.serverHelloDone.testBytes
            if let error = await feed(client, WireRecord(.handshake, version: 0x0300, body: flight).bytes) { throw error }

            // [no_certificate warning], ClientKeyExchange (bare RSA ciphertext in SSL 3.0), ChangeCipherSpec, Finished.
            var records = WireRecord.parse(client.takeOutput()).records
            if requestCertificate {
                // RFC 6101 §5.6.6: a warning alert instead of a Certificate message, outside the transcript.
                XCTAssertEqual(records.first, WireRecord(.alert, version: 0x0300, body: [1, 41]))
                records.removeFirst()
            }
            XCTAssertEqual(records.map(\.contentType), [22, 20, 22])
            XCTAssertTrue(records.allSatisfy { $0.version == 0x0300 })
            let keyExchange = records[0].body
            XCTAssertEqual(keyExchange.count, 4 + 256, "SSL 3.0's premaster ciphertext has no length prefix")
            guard case .rsa(let signingKey) = leaf.key.backing else { throw InteropError("the scripted server's leaf is not RSA: the premaster cannot be checked") }
            let decryptionKey = try _RSA.Encryption.PrivateKey(derRepresentation: signingKey.derRepresentation)
            let preMasterSecret = Array(try decryptionKey.decrypt(Data(keyExchange[4...]), padding: ._WEAK_AND_INSECURE_PKCS_V1_5))
            XCTAssertEqual(preMasterSecret.count, 48)

            let masterSecret = SpecSSL3.expand(preMasterSecret, clientRandom + serverRandom, 48)
            let block = SpecSSL3.expand(masterSecret, serverRandom + clientRandom, 2 * (20 + 16 + 16))
            func take(_ offset: Int, _ n: Int) -> [UInt8] { Array(block[offset..<(offset + n)]) }
            var fromClient = SpecSSL3.Direction(macKey: take(0, 20), key: take(40, 16), iv: take(72, 16))
            let toClient = SpecSSL3.Direction(macKey: take(20, 20), key: take(56, 16), iv: take(88, 16))

            var transcript = clientHelloRaw + flight + keyExchange
            let finished = try XCTUnwrap(fromClient.open(22, records[2].body), "the client's Finished record does not open")
            XCTAssertEqual(finished, [20, 0, 0, 36] + SpecSSL3.finished(masterSecret, transcript, client: true))
            transcript += finished
            return ScriptedSSL3Server(client: client, transcript: transcript, masterSecret: masterSecret,
                                      preMasterSecret: preMasterSecret, fromClient: fromClient, toClient: toClient)
        }

        /// ChangeCipherSpec and the server's Finished, optionally corrupted or with a chosen padding.
        mutating func serverFinishedFlight(corruptVerifyData: Bool = false, padding: [UInt8]? = nil) -> [UInt8] {
            var verifyData = SpecSSL3.finished(masterSecret, transcript, client: false)
            if corruptVerifyData { verifyData[0] ^= 1 }
            let message: [UInt8] = [20, 0, 0, 36] + verifyData
            transcript += message
            return WireRecord(.changeCipherSpec, version: 0x0300, body: [1]).bytes + toClient.seal(22, message, padding: padding)
        }
    }
}

/// RFC 6101 written out again for the test, on swift-crypto's MD5, SHA-1 and AES-CBC: nothing from TLSKit.
private enum SpecSSL3 {
    static func md5(_ data: [UInt8]) -> [UInt8] { Array(Insecure.MD5.hash(data: data)) }
    static func sha1(_ data: [UInt8]) -> [UInt8] { Array(Insecure.SHA1.hash(data: data)) }

    /// §6.1 / §6.2.2: MD5(secret + SHA('A' + secret + seed)) + MD5(secret + SHA('BB' + secret + seed)) + …
    static func expand(_ secret: [UInt8], _ seed: [UInt8], _ length: Int) -> [UInt8] {
        var output: [UInt8] = []
        var i = 0
        while output.count < length {
            output += md5(secret + sha1([UInt8](repeating: 0x41 + UInt8(i), count: i + 1) + secret + seed))
            i += 1
        }
        return Array(output.prefix(length))
    }

    /// §5.6.9.
    static func finished(_ masterSecret: [UInt8], _ messages: [UInt8], client: Bool) -> [UInt8] {
        let sender = Array((client ? "CLNT" : "SRVR").utf8)
        let md5Part = md5(masterSecret + [UInt8](repeating: 0x5c, count: 48)
                          + md5(messages + sender + masterSecret + [UInt8](repeating: 0x36, count: 48)))
        let shaPart = sha1(masterSecret + [UInt8](repeating: 0x5c, count: 40)
                           + sha1(messages + sender + masterSecret + [UInt8](repeating: 0x36, count: 40)))
        return md5Part + shaPart
    }

    /// One direction of TLS_RSA_WITH_AES_128_CBC_SHA records (§5.2.3): SHA-1 SSL MAC, chained CBC IVs.
    struct Direction {
        let macKey: [UInt8]
        let key: [UInt8]
        var iv: [UInt8]
        var sequence: UInt64 = 0

        init(macKey: [UInt8], key: [UInt8], iv: [UInt8]) { (self.macKey, self.key, self.iv) = (macKey, key, iv) }

        func mac(_ type: UInt8, _ data: [UInt8]) -> [UInt8] {
            let header = (0..<8).map { UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(7 - $0))) }
                + [type, UInt8(data.count >> 8), UInt8(data.count & 0xff)]
            return SpecSSL3.sha1(macKey + [UInt8](repeating: 0x5c, count: 40)
                                 + SpecSSL3.sha1(macKey + [UInt8](repeating: 0x36, count: 40) + header + data))
        }

        /// A whole record; `padding` (the padding bytes, the length byte appended) defaults to the least that aligns.
        mutating func seal(_ type: UInt8, _ data: [UInt8], padding: [UInt8]? = nil) -> [UInt8] {
            let unpadded = data + mac(type, data)
            let pad = padding ?? [UInt8](repeating: 0, count: (16 - (unpadded.count + 1) % 16) % 16)
            let plaintext = unpadded + pad + [UInt8(pad.count)]
            // (Cannot fail: 16-byte IV, whole blocks; an empty record would fail the test's receiver anyway.)
            let ciphertext = (try? Array(AES._CBC.encrypt(plaintext, using: SymmetricKey(data: key), iv: AES._CBC.IV(ivBytes: iv), noPadding: true))) ?? []
            iv = Array(ciphertext.suffix(16))
            sequence += 1
            return WireRecord(contentType: type, version: 0x0300, body: ciphertext).bytes
        }

        /// The content of a record body, nil if its padding length or MAC is wrong.
        mutating func open(_ type: UInt8, _ body: [UInt8]) -> [UInt8]? {
            guard let plaintext = try? Array(AES._CBC.decrypt(body, using: SymmetricKey(data: key), iv: AES._CBC.IV(ivBytes: iv), noPadding: true)),
                  let last = plaintext.last, last < 16, plaintext.count >= Int(last) + 1 + 20 else { return nil }
            iv = Array(body.suffix(16))
            let contentEnd = plaintext.count - Int(last) - 1 - 20
            let content = Array(plaintext[..<contentEnd])
            guard Array(plaintext[contentEnd..<(contentEnd + 20)]) == mac(type, content) else { return nil }
            sequence += 1
            return content
        }
    }
}
