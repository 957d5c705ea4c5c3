import Foundation
import TLSWire
import XCTest
@testable import TLSKit

/// A misbehaving peer during TLS 1.3 resumption: a server that selects a PSK we did not offer or whose hash does not
/// fit its suite (the client must send illegal_parameter, RFC 8446 §4.2.11), and a client whose binder has the wrong
/// length (the server must refuse it: decode_error below the PskBinderEntry minimum of 32 octets, decrypt_error for
/// a well-formed binder that does not verify, RFC 8446 §4.2.11 and §6.2).
final class ResumptionNegativeTests: XCTestCase {
    /// A client with one cached ticket for "localhost" (from a real handshake with `server`), and that server.
    private func resumableConfigs(clientSuites: [CipherSuite]? = nil) async throws -> (TLSClientConfiguration, TLSServerConfiguration) {
        let ca = try ResumptionTests.ca.get()
        var client = TLSClientConfiguration()
        client.peerVerification = .trustRoots(ca.trustRoots)
        client.sessionCache = ClientSessionCache()
        if let clientSuites { client.common.cipherSuites = clientSuites }
        var server = TLSServerConfiguration(certificate: try ca.issueLeaf(dnsNames: ["localhost"]).certifiedKey)
        server.ticketsPerHandshake = 1
        server.common.cipherSuites = [.TLS_AES_128_GCM_SHA256]   // the ticket is for a SHA-256 suite
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertTrue(c.isHandshakeComplete)
        XCTAssertEqual(client.sessionCache?.count(for: "localhost"), 1)
        return (client, server)
    }

    /// Runs ClientHello → server, rewrites the server's ServerHello with `edit`, and feeds it to the client.
    private func clientReceivesEditedServerHello(
        _ client: TLSClientConfiguration, _ server: TLSServerConfiguration, edit: (inout ServerHello) -> Void
    ) throws -> (TLSConnection, Error?) {
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        try s.receive(c.takeOutput())
        let records = splitRecords(s.takeOutput())
        let first = try XCTUnwrap(records.first)
        XCTAssertEqual(first[0], 0x16)
        guard case .serverHello(var hello) = try HandshakeMessage.decode(Array(first[5...])) else {
            XCTFail("the server's first record is not a ServerHello")
            return (c, nil)
        }
        edit(&hello)
        let body = HandshakeMessage.serverHello(hello).testBytes
        let record = [0x16, 0x03, 0x03, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        do {
            try c.receive(record)
            return (c, nil)
        } catch {
            return (c, error)
        }
    }

    private func setSelectedIdentity(_ index: UInt16, in hello: inout ServerHello) {
        hello.extensions.removeAll { $0.type == .preSharedKey }
        hello.extensions.insert(.preSharedKeyServer(selectedIdentity: index), at: 0)
    }

    /// We offer one identity (index 0); a ServerHello selecting index 1 is illegal_parameter.
    func testServerSelectingAnIdentityWeDidNotOfferIsIllegalParameter() async throws {
        let (client, server) = try await resumableConfigs()
        let (c, error) = try clientReceivesEditedServerHello(client, server) { hello in
            XCTAssertEqual(hello.extensions.preSharedKeySelectedIdentity, 0, "the server accepted the ticket")
            self.setSelectedIdentity(1, in: &hello)
        }
        XCTAssertEqual((error as? TLSError)?.alert, .illegalParameter, "\(String(describing: error))")
        XCTAssertFalse(c.isHandshakeComplete)
        XCTAssertEqual(alertSent(by: c), .illegalParameter)
    }

    /// The ticket is for TLS_AES_128_GCM_SHA256; a ServerHello that picks TLS_AES_256_GCM_SHA384 (which we offered)
    /// together with that PSK is illegal_parameter (RFC 8446 §4.2.11: the PSK's hash must be the suite's).
    func testServerSelectingThePSKWithASuiteOfAnotherHashIsIllegalParameter() async throws {
        let (client0, server0) = try await resumableConfigs()
        var client = client0
        client.common.cipherSuites = [.TLS_AES_128_GCM_SHA256, .TLS_AES_256_GCM_SHA384]
        var server = server0
        server.common.cipherSuites = [.TLS_AES_256_GCM_SHA384]   // the real server then ignores the ticket
        let (c, error) = try clientReceivesEditedServerHello(client, server) { hello in
            XCTAssertEqual(hello.cipherSuite, .TLS_AES_256_GCM_SHA384)
            XCTAssertNil(hello.extensions.preSharedKeySelectedIdentity, "the server must not accept a SHA-256 ticket for a SHA-384 suite")
            self.setSelectedIdentity(0, in: &hello)
        }
        XCTAssertEqual((error as? TLSError)?.alert, .illegalParameter, "\(String(describing: error))")
        XCTAssertFalse(c.isHandshakeComplete)
    }

    /// Without a ticket the client offers no pre_shared_key: a ServerHello carrying one answers an extension we did
    /// not send, which RFC 8446 §4.2 makes unsupported_extension.
    func testServerSelectingAPSKWhenNoneWasOfferedIsUnsupportedExtension() async throws {
        let (client0, server) = try await resumableConfigs()
        var client = client0
        client.sessionCache = ClientSessionCache()
        let (_, error) = try clientReceivesEditedServerHello(client, server) { hello in
            XCTAssertNil(hello.extensions.preSharedKeySelectedIdentity)
            self.setSelectedIdentity(0, in: &hello)
        }
        XCTAssertEqual((error as? TLSError)?.alert, .unsupportedExtension, "\(String(describing: error))")
    }

    /// The client's resumption ClientHello with its binder replaced by `binder(original)`.
    private func serverReceivesClientHelloWithBinder(_ binder: ([UInt8]) -> [UInt8]) async throws -> (TLSConnection, Error?) {
        let (client, server) = try await resumableConfigs()
        let c = try TLSConnection(client: client, serverName: "localhost")
        let s = try TLSConnection(server: server)
        let records = splitRecords(c.takeOutput())
        XCTAssertEqual(records.count, 1)
        guard case .clientHello(var hello) = try HandshakeMessage.decode(Array(records[0][5...])),
              case .preSharedKeyClient(let identities, let binders)? = hello.extensions.last else {
            XCTFail("the client did not offer its ticket")
            return (s, nil)
        }
        XCTAssertEqual(binders.map(\.count), [32])
        hello.extensions[hello.extensions.count - 1] = .preSharedKeyClient(identities: identities, binders: binders.map(binder))
        let body = HandshakeMessage.clientHello(hello).testBytes
        let record = [0x16, 0x03, 0x01, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        do {
            try s.receive(record)
            return (s, nil)
        } catch {
            return (s, error)
        }
    }

    /// Sanity check of the rewriting: the unchanged binder still verifies and the server resumes.
    func testRewrittenClientHelloWithTheSameBinderResumes() async throws {
        let (s, error) = try await serverReceivesClientHelloWithBinder { $0 }
        XCTAssertNil(error)
        // The server answered with a ServerHello that selects the PSK: it resumes.
        let answer = try XCTUnwrap(WireRecord.parse(s.takeOutput()).records.first, "server did not answer the ClientHello")
        guard case .serverHello(let serverHello) = try HandshakeMessage.decode(answer.body) else {
            return XCTFail("server did not answer the ClientHello with a ServerHello")
        }
        XCTAssertTrue(serverHello.extensions.contains(.preSharedKeyServer(selectedIdentity: 0)))
    }

    /// A 48-octet binder (SHA-384 length) for a SHA-256 PSK is well-formed but cannot verify: decrypt_error.
    func testBinderTooLongIsDecryptError() async throws {
        let (s, error) = try await serverReceivesClientHelloWithBinder { $0 + [UInt8](repeating: 0, count: 16) }
        XCTAssertEqual((error as? TLSError)?.alert, .decryptError, "\(String(describing: error))")
        XCTAssertEqual(alertSent(by: s), .decryptError)
    }

    /// The right 32 octets followed by one more: still decrypt_error (no prefix match).
    func testBinderWithTrailingByteIsDecryptError() async throws {
        let (_, error) = try await serverReceivesClientHelloWithBinder { $0 + [0] }
        XCTAssertEqual((error as? TLSError)?.alert, .decryptError, "\(String(describing: error))")
    }

    /// A 31-octet binder is below PskBinderEntry<32..255>: the ClientHello does not parse, decode_error.
    func testBinderTooShortIsDecodeError() async throws {
        let (s, error) = try await serverReceivesClientHelloWithBinder { Array($0.prefix(31)) }
        XCTAssertEqual((error as? TLSError)?.alert, .decodeError, "\(String(describing: error))")
        XCTAssertEqual(alertSent(by: s), .decodeError)
    }

    /// The alert description in the plaintext alert record a failed connection wrote (nil if none).
    private func alertSent(by connection: TLSConnection) -> AlertDescription? {
        let records = splitRecords(connection.takeOutput())
        guard let alert = records.last(where: { $0.first == 0x15 }), alert.count == 7 else { return nil }
        return AlertDescription(rawValue: alert[6])
    }
}
