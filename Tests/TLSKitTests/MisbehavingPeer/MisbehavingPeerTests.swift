import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// A misbehaving peer, one row per misbehaviour: missing, repeated and misplaced messages, malformed encodings,
/// extensions where RFC 8446 §4.2 does not allow them, bad cryptography and bad certificates, floods. A real TLSKit
/// peer runs the handshake and the scripted peer rewrites what it sends (ScriptedPeer.swift). Each row names the
/// alert the RFC asks for (RFC 8446 §6 / RFC 5246 §7.2; where they are silent, what BoringSSL sends) and is checked
/// with `assertFailure`: that alert raised and on the wire, the connection ended, no application data delivered.
/// Cases already covered elsewhere (Engine*NegativeTests, EngineAlertConformanceTests, EngineLimitsTests,
/// ResumptionNegativeTests) are not repeated; the rows fill in the other version, the other role, and the gaps.
final class MisbehavingPeerTests: XCTestCase {
    struct Setup: OptionSet {
        let rawValue: Int
        static let tls12 = Setup(rawValue: 1)
        static let clientAuth = Setup(rawValue: 2)
        static let alpn = Setup(rawValue: 4)
    }

    struct Row {
        let name: String
        let setup: Setup
        let edits: [PeerEdit]
        /// The side that must fail, and its alert.
        let failing: TLSConnection.Role
        let alert: AlertDescription

        init(_ name: String, _ edits: [PeerEdit], _ failing: TLSConnection.Role, _ alert: AlertDescription) {
            self.init(name, [], edits, failing, alert)
        }

        init(_ name: String, _ setup: Setup, _ edits: [PeerEdit], _ failing: TLSConnection.Role, _ alert: AlertDescription) {
            self.name = name
            self.setup = setup
            self.edits = edits
            self.failing = failing
            self.alert = alert
        }
    }

    static func configurations(_ setup: Setup) -> (TLSClientConfiguration, TLSServerConfiguration) {
        var client = EngineFixtures.clientConfiguration()
        var server = EngineFixtures.serverConfiguration()
        if setup.contains(.tls12) {
            client.common.maximumVersion = .tls12
            server.common.maximumVersion = .tls12
        }
        if setup.contains(.clientAuth) {
            client.certificate = try! EngineFixtures.clientLeaf.certifiedKey
            server.clientAuthentication = .required(.trustRoots(EngineFixtures.ca.trustRoots))
        }
        if setup.contains(.alpn) {
            client.common.applicationProtocols = ["h2", "http/1.1"]
            server.common.applicationProtocols = ["http/1.1"]
        }
        return (client, server)
    }

    static let secret = Array("application secret".utf8)

    /// Runs each row: both applications have data queued from the start, so a row that lets data through shows it.
    func run(_ rows: [Row], file: StaticString = #filePath, line: UInt = #line) async throws {
        for row in rows {
            let (client, server) = Self.configurations(row.setup)
            let peer = try ScriptedPeer(client: client, server: server, edits: row.edits)
            try peer.client.send(Self.secret)
            try peer.server.send(Self.secret)
            await peer.run()
            await peer.assertFailure(row.alert, side: row.failing, row.name, file: file, line: line)
        }
    }

    // Building blocks for the rows.
    static func s(_ match: PeerMatch, _ action: PeerAction) -> PeerEdit { .server(match, action) }
    static func c(_ match: PeerMatch, _ action: PeerAction) -> PeerEdit { .client(match, action) }
    static func appData(_ text: String = "injected") -> PeerItem { .appData(Array(text.utf8)) }
    static let ccs = PeerItem.ccs([1])
    static func flip(_ index: Int) -> PeerAction { .body { $0[$0.count > index ? index : $0.count - 1] ^= 0x01 } }
    static func flipLast() -> PeerAction { .body { $0[$0.count - 1] ^= 0x01 } }
    static var trailingByte: PeerAction { .body { $0.append(0) } }
    /// Adds `delta` to the big-endian 16-bit length at `offset` of the body.
    static func length16(at offset: Int, _ delta: Int) -> PeerAction {
        .body { body in
            let value = (Int(body[offset]) << 8 | Int(body[offset + 1])) + delta
            body[offset] = UInt8(truncatingIfNeeded: value >> 8)
            body[offset + 1] = UInt8(truncatingIfNeeded: value)
        }
    }
    static func length24(at offset: Int, _ delta: Int) -> PeerAction {
        .body { body in
            let value = (Int(body[offset]) << 16 | Int(body[offset + 1]) << 8 | Int(body[offset + 2])) + delta
            body[offset] = UInt8(truncatingIfNeeded: value >> 16)
            body[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
            body[offset + 2] = UInt8(truncatingIfNeeded: value)
        }
    }
    static func message(_ type: HandshakeType, _ body: [UInt8] = []) -> PeerItem { .message(handshakeMessage(type, body)) }
    /// Rewrites a typed message (decoded with `version`'s codec).
    static func typed(_ version: ProtocolVersion = .tls13, _ edit: @escaping (inout HandshakeMessage) -> Void) -> PeerAction {
        .raw { bytes in
            guard var message = try? HandshakeMessage.decode(bytes, version: version) else { preconditionFailure("undecodable") }
            edit(&message)
            bytes = message.testBytes
        }
    }
    static func encryptedExtensions(adding extensions: [Extension]) -> PeerAction {
        typed { message in
            guard case .encryptedExtensions(var ee) = message else { return }
            ee.extensions += extensions
            message = .encryptedExtensions(ee)
        }
    }
    static func clientHello(_ edit: @escaping (inout ClientHello) -> Void) -> PeerAction {
        typed { message in
            guard case .clientHello(var hello) = message else { return }
            edit(&hello)
            message = .clientHello(hello)
        }
    }
    static func serverHello(_ edit: @escaping (inout ServerHello) -> Void) -> PeerAction {
        typed { message in
            guard case .serverHello(var hello) = message else { return }
            edit(&hello)
            message = .serverHello(hello)
        }
    }
    /// A ClientHello extension replaced by raw bytes (to break its inner encoding).
    static func clientHelloExtension(_ type: ExtensionType, raw: [UInt8]) -> PeerAction {
        clientHello { $0.replaceExtension(type, with: .unknown(type, raw)) }
    }

    // MARK: Missing and misplaced messages

    func testMissingMessages() async throws {
        let s = Self.s, c = Self.c
        try await run([
            Row("1.3 server omits Certificate", [s(.message(.certificate), .drop)], .client, .unexpectedMessage),
            Row("1.3 server omits CertificateVerify", [s(.message(.certificateVerify), .drop)], .client, .unexpectedMessage),
            Row("1.3 server sends application data instead of Finished", [s(.message(.finished), .replace(with: [Self.appData()]))], .client, .unexpectedMessage),
            Row("1.3 server sends application data before Finished", [s(.message(.finished), .before([Self.appData()]))], .client, .unexpectedMessage),
            Row("1.3 client omits Certificate", .clientAuth, [c(.message(.certificate), .drop)], .server, .unexpectedMessage),
            Row("1.3 client omits CertificateVerify", .clientAuth, [c(.message(.certificateVerify), .drop)], .server, .unexpectedMessage),
            Row("1.3 client sends application data instead of Finished", [c(.message(.finished), .replace(with: [Self.appData()]))], .server, .unexpectedMessage),
            Row("1.3 client sends application data before Finished", [c(.message(.finished), .before([Self.appData()]))], .server, .unexpectedMessage),
            Row("1.2 server omits Certificate", .tls12, [s(.message(.certificate), .drop)], .client, .unexpectedMessage),
            Row("1.2 server omits ServerKeyExchange", .tls12, [s(.message(.serverKeyExchange), .drop)], .client, .unexpectedMessage),
            Row("1.2 server sends application data instead of Finished", .tls12, [s(.message(.finished), .replace(with: [Self.appData()]))], .client, .unexpectedMessage),
            Row("1.2 server sends application data before its ChangeCipherSpec", .tls12, [s(.ccs, .before([Self.appData()]))], .client, .unexpectedMessage),
            Row("1.2 client omits Certificate", [.tls12, .clientAuth], [c(.message(.certificate), .drop)], .server, .unexpectedMessage),
            Row("1.2 client omits ClientKeyExchange", .tls12, [c(.message(.clientKeyExchange), .drop)], .server, .unexpectedMessage),
            Row("1.2 client omits CertificateVerify", [.tls12, .clientAuth], [c(.message(.certificateVerify), .drop)], .server, .unexpectedMessage),
            Row("1.2 client sends application data instead of Finished", .tls12, [c(.message(.finished), .replace(with: [Self.appData()]))], .server, .unexpectedMessage),
            Row("1.2 client sends application data before Finished", .tls12, [c(.message(.finished), .before([Self.appData()]))], .server, .unexpectedMessage),
        ])
    }

    func testChangeCipherSpecTooEarlyOrTwice() async throws {
        let s = Self.s, c = Self.c, ccs = Self.ccs
        try await run([
            Row("1.2 server CCS before Certificate", .tls12, [s(.message(.certificate), .before([ccs]))], .client, .unexpectedMessage),
            Row("1.2 server CCS before ServerHelloDone", .tls12, [s(.message(.serverHelloDone), .before([ccs]))], .client, .unexpectedMessage),
            Row("1.2 server CCS twice", .tls12, [s(.ccs, .duplicate)], .client, .unexpectedMessage),
            Row("1.2 client CCS before ClientKeyExchange", .tls12, [c(.message(.clientKeyExchange), .before([ccs]))], .server, .unexpectedMessage),
            Row("1.2 client CCS before CertificateVerify", [.tls12, .clientAuth], [c(.message(.certificateVerify), .before([ccs]))], .server, .unexpectedMessage),
            Row("1.2 client CCS twice", .tls12, [c(.ccs, .duplicate)], .server, .unexpectedMessage),
            // RFC 8446 §5: a CCS of other than one 0x01 byte, or after the handshake, is unexpected_message.
            Row("1.3 server CCS after Finished (protected epoch over)", [s(.message(.finished), .after([ccs, Self.appData()]))], .client, .unexpectedMessage),
            Row("1.3 client CCS of two bytes", [c(.ccs, .replace(with: [.ccs([1, 1])]))], .server, .unexpectedMessage),
            Row("1.3 client CCS of 0x02", [c(.ccs, .replace(with: [.ccs([2])]))], .server, .unexpectedMessage),
        ])
    }

    func testRepeatedMessages() async throws {
        let s = Self.s, c = Self.c
        try await run([
            Row("1.3 ServerHello twice", [s(.message(.serverHello), .duplicate)], .client, .unexpectedMessage),
            Row("1.3 EncryptedExtensions twice", [s(.message(.encryptedExtensions), .duplicate)], .client, .unexpectedMessage),
            Row("1.3 server Certificate twice", [s(.message(.certificate), .duplicate)], .client, .unexpectedMessage),
            Row("1.3 server CertificateVerify twice", [s(.message(.certificateVerify), .duplicate)], .client, .unexpectedMessage),
            Row("1.3 server Finished twice", [s(.message(.finished), .duplicate)], .client, .unexpectedMessage),
            Row("1.3 CertificateRequest twice", .clientAuth, [s(.message(.certificateRequest), .duplicate)], .client, .unexpectedMessage),
            Row("1.3 ClientHello twice", [c(.message(.clientHello), .duplicate)], .server, .unexpectedMessage),
            Row("1.3 client Certificate twice", .clientAuth, [c(.message(.certificate), .duplicate)], .server, .unexpectedMessage),
            Row("1.3 client CertificateVerify twice", .clientAuth, [c(.message(.certificateVerify), .duplicate)], .server, .unexpectedMessage),
            Row("1.3 client Finished twice", [c(.message(.finished), .duplicate)], .server, .unexpectedMessage),
            Row("1.2 ServerHello twice", .tls12, [s(.message(.serverHello), .duplicate)], .client, .unexpectedMessage),
            Row("1.2 server Certificate twice", .tls12, [s(.message(.certificate), .duplicate)], .client, .unexpectedMessage),
            Row("1.2 ServerKeyExchange twice", .tls12, [s(.message(.serverKeyExchange), .duplicate)], .client, .unexpectedMessage),
            Row("1.2 ServerHelloDone twice", .tls12, [s(.message(.serverHelloDone), .duplicate)], .client, .unexpectedMessage),
            Row("1.2 server Finished twice", .tls12, [s(.message(.finished), .duplicate)], .client, .unexpectedMessage),
            Row("1.2 ClientHello twice", .tls12, [c(.message(.clientHello), .duplicate)], .server, .unexpectedMessage),
            Row("1.2 ClientKeyExchange twice", .tls12, [c(.message(.clientKeyExchange), .duplicate)], .server, .unexpectedMessage),
            Row("1.2 client CertificateVerify twice", [.tls12, .clientAuth], [c(.message(.certificateVerify), .duplicate)], .server, .unexpectedMessage),
            Row("1.2 client Finished twice", .tls12, [c(.message(.finished), .duplicate)], .server, .unexpectedMessage),
        ])
    }

    // MARK: Malformed encodings

    func testMalformedEncodings() async throws {
        let s = Self.s, c = Self.c
        try await run([
            // Lengths past the end of the message, or short of it (trailing bytes): decode_error (RFC 8446 §6).
            Row("1.3 EncryptedExtensions list longer than the message", [s(.message(.encryptedExtensions), Self.length16(at: 0, 1))], .client, .decodeError),
            Row("1.3 EncryptedExtensions trailing byte", [s(.message(.encryptedExtensions), Self.trailingByte)], .client, .decodeError),
            Row("1.3 server Certificate list longer than the message", [s(.message(.certificate), Self.length24(at: 1, 1))], .client, .decodeError),
            Row("1.3 server Certificate trailing byte", [s(.message(.certificate), Self.trailingByte)], .client, .decodeError),
            Row("1.3 CertificateVerify signature longer than the message", [s(.message(.certificateVerify), Self.length16(at: 2, 1))], .client, .decodeError),
            Row("1.3 CertificateVerify signature shorter than the message", [s(.message(.certificateVerify), Self.length16(at: 2, -1))], .client, .decodeError),
            Row("1.3 ServerHello trailing byte", [s(.message(.serverHello), Self.trailingByte)], .client, .decodeError),
            Row("1.3 ServerHello extensions longer than the message", [s(.message(.serverHello), .body { body in
                // legacy_version 2, random 32, session id 1+32, suite 2, compression 1: extensions length at 70.
                body[70] &+= 1 })], .client, .decodeError),
            Row("1.3 ClientHello trailing byte", [c(.message(.clientHello), Self.trailingByte)], .server, .decodeError),
            Row("1.3 ClientHello odd cipher_suites length", [c(.message(.clientHello), .body { body in
                // legacy_version 2, random 32, session id 1+32: cipher_suites length at 67…68.
                body[68] &+= 1 })], .server, .decodeError),
            Row("1.3 client Certificate trailing byte", .clientAuth, [c(.message(.certificate), Self.trailingByte)], .server, .decodeError),
            Row("1.3 client Finished trailing byte", [c(.message(.finished), Self.trailingByte)], .server, .decodeError),
            Row("1.2 ServerKeyExchange trailing byte", .tls12, [s(.message(.serverKeyExchange), Self.trailingByte)], .client, .decodeError),
            Row("1.2 ServerKeyExchange point longer than the message", .tls12, [s(.message(.serverKeyExchange), .body { $0[3] &+= 1 })], .client, .decodeError),
            Row("1.2 server Certificate list longer than the message", .tls12, [s(.message(.certificate), Self.length24(at: 0, 1))], .client, .decodeError),
            Row("1.2 ServerHelloDone with a body", .tls12, [s(.message(.serverHelloDone), Self.trailingByte)], .client, .decodeError),
            Row("1.2 ClientKeyExchange trailing byte", .tls12, [c(.message(.clientKeyExchange), Self.trailingByte)], .server, .decodeError),
            Row("1.2 ClientKeyExchange point longer than the message", .tls12, [c(.message(.clientKeyExchange), .body { $0[0] &+= 1 })], .server, .decodeError),
            Row("1.2 client Finished trailing byte", .tls12, [c(.message(.finished), Self.trailingByte)], .server, .decodeError),
        ])
    }

    func testEmptyVectorsWhereForbidden() async throws {
        let c = Self.c, s = Self.s
        try await run([
            // RFC 8446 §4.1.2 / §4.2: each of these vectors has a minimum length above zero: decode_error.
            Row("ClientHello without cipher suites", [c(.message(.clientHello), Self.clientHello { $0.cipherSuites = [] })], .server, .decodeError),
            Row("ClientHello without compression methods", [c(.message(.clientHello), Self.clientHello { $0.legacyCompressionMethods = [] })], .server, .decodeError),
            Row("empty supported_groups", [c(.message(.clientHello), Self.clientHelloExtension(.supportedGroups, raw: [0, 0]))], .server, .decodeError),
            Row("empty signature_algorithms", [c(.message(.clientHello), Self.clientHelloExtension(.signatureAlgorithms, raw: [0, 0]))], .server, .decodeError),
            Row("empty supported_versions", [c(.message(.clientHello), Self.clientHelloExtension(.supportedVersions, raw: [0]))], .server, .decodeError),
            Row("empty ALPN list", .alpn, [c(.message(.clientHello), Self.clientHelloExtension(.alpn, raw: [0, 0]))], .server, .decodeError),
            Row("empty ALPN protocol name", .alpn, [c(.message(.clientHello), Self.clientHelloExtension(.alpn, raw: [0, 1, 0]))], .server, .decodeError),
            Row("empty server_name list", [c(.message(.clientHello), Self.clientHelloExtension(.serverName, raw: [0, 0]))], .server, .decodeError),
            Row("empty psk_key_exchange_modes", [c(.message(.clientHello), Self.clientHelloExtension(.pskKeyExchangeModes, raw: [0]))], .server, .decodeError),
            Row("1.3 server Certificate entry with empty cert_data", [s(.message(.certificate), .body { $0 = [0, 0, 0, 5, 0, 0, 0, 0, 0] })], .client, .decodeError),
            Row("1.2 ClientKeyExchange with an empty point", .tls12, [c(.message(.clientKeyExchange), .body { $0 = [0] })], .server, .decodeError),
            Row("1.2 ServerKeyExchange with an empty point", .tls12, [s(.message(.serverKeyExchange), .body { body in
                // curve_type 1, named_curve 2, point length 1, point, signature: the point emptied.
                let pointLength = Int(body[3])
                body.removeSubrange(4..<(4 + pointLength))
                body[3] = 0 })], .client, .decodeError),
        ])
    }

    func testExtensionsNotAllowedInTheirMessage() async throws {
        let s = Self.s, c = Self.c
        try await run([
            // RFC 8446 §4.2: a recognised extension in a message it is not specified for is illegal_parameter.
            Row("EncryptedExtensions with supported_versions", [s(.message(.encryptedExtensions), Self.encryptedExtensions(adding: [.supportedVersionsServer(.tls13)]))], .client, .illegalParameter),
            Row("EncryptedExtensions with signature_algorithms", [s(.message(.encryptedExtensions), Self.encryptedExtensions(adding: [.signatureAlgorithms([.ecdsa_secp256r1_sha256])]))], .client, .illegalParameter),
            Row("ServerHello with signature_algorithms", [s(.message(.serverHello), Self.serverHello { $0.extensions.append(.signatureAlgorithms([.ecdsa_secp256r1_sha256])) })], .client, .illegalParameter),
            Row("ServerHello with supported_groups", [s(.message(.serverHello), Self.serverHello { $0.extensions.append(.supportedGroups([.x25519])) })], .client, .illegalParameter),
            // Duplicates (§4.2: "There MUST NOT be more than one extension of the same type"): as for the ClientHello.
            Row("ServerHello with key_share twice", [s(.message(.serverHello), Self.serverHello { $0.extensions += $0.extensions.filter { $0.type == .keyShare } })], .client, .illegalParameter),
            Row("EncryptedExtensions with server_name twice", [s(.message(.encryptedExtensions), Self.encryptedExtensions(adding: [.unknown(.serverName, []), .unknown(.serverName, [])]))], .client, .illegalParameter),
            Row("ClientHello with key_share twice", [c(.message(.clientHello), Self.clientHello { $0.extensions.insert($0.extensions.first { $0.type == .keyShare }!, at: 0) })], .server, .illegalParameter),
            // An extension the client never offered in the server's messages: unsupported_extension (§4.2).
            // pre_shared_key is both out of place and never offered: the unsupported_extension rule wins, as in BoringSSL.
            Row("EncryptedExtensions with an unoffered pre_shared_key", [s(.message(.encryptedExtensions), Self.encryptedExtensions(adding: [.preSharedKeyServer(selectedIdentity: 0)]))], .client, .unsupportedExtension),
            Row("EncryptedExtensions with an unoffered ALPN", [s(.message(.encryptedExtensions), Self.encryptedExtensions(adding: [.alpn([Array("h2".utf8)])]))], .client, .unsupportedExtension),
        ])
    }

    // MARK: Bad cryptography

    func testBadCryptography() async throws {
        let s = Self.s, c = Self.c
        try await run([
            Row("1.2 server Finished wrong", .tls12, [s(.message(.finished), Self.flip(3))], .client, .decryptError),
            Row("1.2 client Finished wrong", .tls12, [c(.message(.finished), Self.flip(3))], .server, .decryptError),
            Row("1.2 ServerKeyExchange signature wrong", .tls12, [s(.message(.serverKeyExchange), Self.flipLast())], .client, .decryptError),
            Row("1.2 client CertificateVerify signature wrong", [.tls12, .clientAuth], [c(.message(.certificateVerify), Self.flipLast())], .server, .decryptError),
            Row("1.3 client CertificateVerify signature wrong", .clientAuth, [c(.message(.certificateVerify), Self.flipLast())], .server, .decryptError),
            // A scheme that does not match the certificate's key (P-256 here): illegal_parameter, as BoringSSL.
            Row("1.3 client CertificateVerify scheme for another key", .clientAuth, [c(.message(.certificateVerify), .body { $0[0] = 0x05; $0[1] = 0x03 })], .server, .illegalParameter),
            Row("1.3 client CertificateVerify with Ed25519 scheme", .clientAuth, [c(.message(.certificateVerify), .body { $0[0] = 0x08; $0[1] = 0x07 })], .server, .illegalParameter),
            Row("1.2 ServerKeyExchange scheme for another key", .tls12, [s(.message(.serverKeyExchange), .body { body in
                let signatureAt = 4 + Int(body[3])
                body[signatureAt] = 0x08; body[signatureAt + 1] = 0x04 })], .client, .illegalParameter),
            Row("1.2 client CertificateVerify scheme for another key", [.tls12, .clientAuth], [c(.message(.certificateVerify), .body { $0[0] = 0x08; $0[1] = 0x07 })], .server, .illegalParameter),
            // Key shares that are no valid points: illegal_parameter (RFC 8446 §4.2.8.2, RFC 8422 §5.11 / RFC 7748 §6.1).
            Row("1.2 ClientKeyExchange all-zero X25519", .tls12, [c(.message(.clientKeyExchange), .body { $0 = [32] + [UInt8](repeating: 0, count: 32) })], .server, .illegalParameter),
            Row("1.2 ClientKeyExchange X25519 of 31 bytes", .tls12, [c(.message(.clientKeyExchange), .body { $0 = [31] + [UInt8](repeating: 9, count: 31) })], .server, .illegalParameter),
            // A point swapped into the server's ServerKeyExchange is caught by its signature first (the signature covers
            // the parameters): decrypt_error. (An invalid point the server signed itself is checked in the client's
            // key-exchange code, as the TLS 1.3 rows in EngineKeyShareTests show for the same groups.)
            Row("1.2 ServerKeyExchange point swapped for all-zero X25519", .tls12, [s(.message(.serverKeyExchange), .body { body in
                XCTAssertEqual(Array(body[1...2]), [0, 0x1D])
                body.replaceSubrange(4..<(4 + Int(body[3])), with: [UInt8](repeating: 0, count: 32)) })], .client, .decryptError),
        ])
    }

    /// A wrong binder of the right length (the PSK's binder is the last 32 bytes of the ClientHello): decrypt_error,
    /// RFC 8446 §4.2.11. (Binders of the wrong length are in ResumptionNegativeTests.)
    func testWrongBinderIsDecryptError() async throws {
        var (client, server) = Self.configurations([])
        client.sessionCache = ClientSessionCache()
        server.ticketsPerHandshake = 1
        let first = try ScriptedPeer(client: client, server: server)
        await first.run()
        XCTAssertEqual(client.sessionCache?.count(for: EngineFixtures.serverName), 1)
        let peer = try ScriptedPeer(client: client, server: server, edits: [Self.c(.message(.clientHello), Self.flipLast())])
        await peer.run()
        await peer.assertFailure(.decryptError, side: .server, "wrong binder")
    }

    // MARK: Certificates

    func testBadCertificates() async throws {
        let ca = EngineFixtures.ca
        let name = EngineFixtures.serverName
        let selfSigned = try TestPKI.makeCA(commonName: name)
        let selfSignedLeaf = try selfSigned.issueLeaf(commonName: name, dnsNames: [name], eku: [.serverAuth])
        var deep = ca
        for depth in 0..<7 { deep = try deep.issueIntermediate(commonName: "Intermediate \(depth)") }
        let cases: [(String, TestLeaf?, TestLeaf?, AlertDescription, TLSConnection.Role)] = [
            // (name, server leaf, client leaf, alert, failing side)
            ("server chain to an unknown root", selfSignedLeaf, nil, .unknownCA, .client),
            // Over VerificationLimits.maxIntermediates (6): refused by the budget, bad_certificate as in VerifierBudgetTests.
            ("server chain of 7 intermediates", try deep.issueLeaf(commonName: name, dnsNames: [name], eku: [.serverAuth]), nil, .badCertificate, .client),
            ("expired client certificate", nil, try ca.issueLeaf(commonName: "client", dnsNames: [], eku: [.clientAuth], notBefore: Date().addingTimeInterval(-7200), notAfter: Date().addingTimeInterval(-3600)), .certificateExpired, .server),
            ("client certificate for serverAuth only", nil, try ca.issueLeaf(commonName: "client", dnsNames: [], eku: [.serverAuth]), .unsupportedCertificate, .server),
            ("client certificate from an unknown root", nil, try selfSigned.issueLeaf(commonName: "client", dnsNames: [], eku: [.clientAuth]), .unknownCA, .server),
        ]
        for version in [ProtocolVersion.tls13, .tls12] {
            for (label, serverLeaf, clientLeaf, alert, side) in cases {
                var (client, server) = Self.configurations(version == .tls12 ? [.tls12, .clientAuth] : .clientAuth)
                if let serverLeaf { server.certificate = try serverLeaf.certifiedKey }
                if let clientLeaf { client.certificate = try clientLeaf.certifiedKey }
                let peer = try ScriptedPeer(client: client, server: server)
                try peer.client.send(Self.secret)
                await peer.run()
                await peer.assertFailure(alert, side: side, "\(version) \(label)")
            }
        }
    }

    /// More certificates than VerificationLimits.maxPeerChainLength (10) are refused before any path is built.
    func testChainLongerThanTheLimit() async throws {
        let leaf = EngineFixtures.serverLeaves[.ecdsaP256]!
        let padding = try Array(repeating: leaf.chainDER[0], count: 11)
        for version in [ProtocolVersion.tls13, .tls12] {
            var (_, server) = Self.configurations(version == .tls12 ? .tls12 : [])
            let (client, _) = Self.configurations(version == .tls12 ? .tls12 : [])
            server.certificate = try CertifiedKey(chain: CertificateChain(derBytes: try leaf.chainDER + padding), privateKey: leaf.key.signingKey)
            let peer = try ScriptedPeer(client: client, server: server)
            await peer.run()
            await peer.assertFailure(.badCertificate, side: .client, "\(version) chain of 12")
        }
    }
}
