import Crypto
import Foundation
import SwiftASN1
import XCTest
@testable import TLSKit
// The OCSP structures are internal to swift-certificates; tests build responses with them.
@testable import X509

/// OCSP stapling (issue 7): the client offers status_request, the server staples its response in the leaf's
/// CertificateEntry (TLS 1.3), and X509CertificateVerifier judges it: revoked is certificate_revoked, an unusable
/// response is accepted (soft) or bad_certificate_status_response (hard).
final class OCSPStaplingTests: XCTestCase {
    static let serverName = "ocsp.test"
    static let ca: TestCA = try! TestPKI.makeCA(commonName: "TLSKit OCSP Test Root")
    static let otherCA: TestCA = try! TestPKI.makeCA(commonName: "Some Other OCSP Root")
    /// A leaf naming an OCSP responder (AIA), as certificates that get OCSP responses do.
    static let leaf: TestLeaf = try! ca.issueEndEntity(
        commonName: serverName, sans: [.dnsName(serverName)], eku: [.serverAuth],
        extraExtensions: [try! Certificate.Extension(AuthorityInformationAccess([
            AuthorityInformationAccess.AccessDescription(method: .ocspServer, location: .uniformResourceIdentifier("http://ocsp.test/")),
        ]), critical: false)])

    enum Status { case good, revoked, unknown }

    /// A DER OCSPResponse for `leaf`, signed by `signer` (default: the issuing CA).
    static func ocspResponse(
        _ status: Status,
        for leaf: TestLeaf = OCSPStaplingTests.leaf,
        signer: TestCA = OCSPStaplingTests.ca,
        thisUpdate: Date = Date().addingTimeInterval(-3600),
        nextUpdate: Date = Date().addingTimeInterval(86400)
    ) throws -> [UInt8] {
        let certStatus: OCSPCertStatus
        switch status {
        case .good: certStatus = .good
        case .unknown: certStatus = .unknown
        case .revoked:
            certStatus = .revoked(OCSPRevokedInfo(revocationTime: GeneralizedTime(Date().addingTimeInterval(-60)),
                                                  revocationReason: .keyCompromise))
        }
        let certID = try OCSPCertID(hashAlgorithm: .insecureSha1, certificate: leaf.certificate, issuer: ca.certificate)
        let data = OCSPResponseData(
            responderID: .byName(signer.certificate.subject),
            producedAt: GeneralizedTime(Date().addingTimeInterval(-60)),
            responses: [OCSPSingleResponse(certID: certID, certStatus: certStatus,
                                           thisUpdate: GeneralizedTime(thisUpdate), nextUpdate: GeneralizedTime(nextUpdate))])
        let tbs = try DER.Serializer.serialized(element: data)
        guard case .p256(let key) = signer.key.backing else {
            throw TLSConfigurationError("OCSP test responses are signed by P-256 test CAs; got another key type")
        }
        let signature = try key.signature(for: tbs)
        let basic = BasicOCSPResponse(
            responseData: data, responseDataBytes: tbs[...], signatureAlgorithm: .ecdsaWithSHA256,
            signature: ASN1BitString(bytes: Array(signature.derRepresentation)[...]), certs: nil)
        return try DER.Serializer.serialized(element: OCSPResponse.successful(basic))
    }

    /// Records what the verifier was asked, then verifies with X509CertificateVerifier in `mode`.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var stapled: [[UInt8]?] = []
        func record(_ value: [UInt8]?) { lock.lock(); stapled.append(value); lock.unlock() }
        var requests: [[UInt8]?] { lock.lock(); defer { lock.unlock() }; return stapled }
    }

    func client(mode: OCSPStaplingFailureMode = .soft, recorder: Recorder? = nil) -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        let verifier = X509CertificateVerifier(trustRoots: Self.ca.trustRoots, ocspFailureMode: mode)
        config.peerVerification = .custom(CustomCertificateVerifier { request in
            recorder?.record(request.stapledOCSPResponse)
            return await verifier.verify(request)
        })
        return config
    }

    func server(stapling response: [UInt8]?) throws -> TLSServerConfiguration {
        var key = try Self.leaf.certifiedKey
        key.ocspResponse = response
        return TLSServerConfiguration(certificate: key)
    }

    func handshake(_ client: TLSClientConfiguration, _ server: TLSServerConfiguration) async throws {
        let c = try TLSConnection(client: client, serverName: Self.serverName)
        let s = try TLSConnection(server: server)
        try await shuttle(c, s)
        XCTAssertTrue(c.isHandshakeComplete)
        XCTAssertTrue(s.isHandshakeComplete)
    }

    // MARK: Wire

    func testClientHelloOffersOCSPStatusRequest() throws {
        let c = try TLSConnection(client: client(), serverName: Self.serverName)
        let hello = try HandshakeMessage.decode(Array(c.takeOutput().dropFirst(5)))
        guard case .clientHello(let clientHello) = hello else { return XCTFail("not a ClientHello") }
        XCTAssertEqual(clientHello.extensions.first(.statusRequest), .statusRequest([1, 0, 0, 0, 0]))

        var quiet = client()
        quiet.requestOCSPStapling = false
        let q = try TLSConnection(client: quiet, serverName: Self.serverName)
        guard case .clientHello(let quietHello) = try HandshakeMessage.decode(Array(q.takeOutput().dropFirst(5))) else {
            return XCTFail("not a ClientHello")
        }
        XCTAssertNil(quietHello.extensions.first(.statusRequest))
    }

    func testCertificateStatusCodec() throws {
        XCTAssertEqual(try CertificateStatusCodec.encode(ocspResponse: [0xAA, 0xBB]), [1, 0, 0, 2, 0xAA, 0xBB])
        XCTAssertEqual(try CertificateStatusCodec.decodeOCSPResponse([1, 0, 0, 2, 0xAA, 0xBB]), [0xAA, 0xBB])
        for bad: [UInt8] in [[], [1, 0, 0, 0], [2, 0, 0, 1, 0], [1, 0, 0, 2, 0xAA], [1, 0, 0, 1, 0xAA, 0]] {
            XCTAssertThrowsError(try CertificateStatusCodec.decodeOCSPResponse(bad)) {
                XCTAssertEqual(($0 as? TLSError)?.alert, .decodeError)
            }
        }
    }

    // MARK: Handshakes

    func testGoodStapledResponseIsAcceptedAndReachesTheVerifier() async throws {
        let response = try Self.ocspResponse(.good)
        for mode in [OCSPStaplingFailureMode.soft, .hard] {
            let recorder = Recorder()
            try await handshake(client(mode: mode, recorder: recorder), server(stapling: response))
            XCTAssertEqual(recorder.requests, [response], "\(mode)")
        }
    }

    func testRevokedIsCertificateRevokedInBothModes() async throws {
        let response = try Self.ocspResponse(.revoked)
        for mode in [OCSPStaplingFailureMode.soft, .hard] {
            let pair = try InMemoryPair(client: client(mode: mode), server: server(stapling: response), serverName: Self.serverName)
            await pair.assertSentAlert(.certificateRevoked, by: .clientToServer)
        }
    }

    func testUnusableResponsesAreSoftOrHardFailures() async throws {
        let unusable: [(String, [UInt8])] = [
            ("garbage", [0x30, 0x03, 0x0A, 0x01, 0xFF]),
            ("not DER", Array("hello".utf8)),
            ("unknown status", try Self.ocspResponse(.unknown)),
            ("expired", try Self.ocspResponse(.good, thisUpdate: Date().addingTimeInterval(-10 * 86400),
                                               nextUpdate: Date().addingTimeInterval(-3 * 86400))),
            ("wrong signer", try Self.ocspResponse(.good, signer: Self.otherCA)),
        ]
        for (name, response) in unusable {
            try await handshake(client(mode: .soft), server(stapling: response))
            let pair = try InMemoryPair(client: client(mode: .hard), server: server(stapling: response), serverName: Self.serverName)
            await pair.assertSentAlert(.badCertificateStatusResponse, by: .clientToServer)
            XCTAssertEqual(pair.client.failure?.cause, .invalidCertificate(.ocspStatus), "\(name): \(String(describing: pair.client.failure))")
        }
    }

    func testRevokedResponseSignedByAStrangerIsNotTrusted() async throws {
        // Only the issuer (or its delegated responder) can revoke: a forged "revoked" is merely unusable.
        let response = try Self.ocspResponse(.revoked, signer: Self.otherCA)
        try await handshake(client(mode: .soft), server(stapling: response))
    }

    func testLeafWithoutResponderURI() async throws {
        // The stapled response cannot be checked when the leaf names no OCSP responder: soft ignores it, hard rejects.
        let plain = try Self.ca.issueLeaf(commonName: Self.serverName, dnsNames: [Self.serverName], eku: [.serverAuth])
        let response = try Self.ocspResponse(.good, for: plain)
        var key = try plain.certifiedKey
        key.ocspResponse = response
        try await handshake(client(mode: .soft), TLSServerConfiguration(certificate: key))
        let pair = try InMemoryPair(client: client(mode: .hard), server: TLSServerConfiguration(certificate: key),
                                    serverName: Self.serverName)
        await pair.assertSentAlert(.badCertificateStatusResponse, by: .clientToServer)
    }

    func testNoStatusRequestMeansNoStaple() async throws {
        let recorder = Recorder()
        var config = client(mode: .hard, recorder: recorder)
        config.requestOCSPStapling = false
        // Even a revoked response is not sent, so nothing fails.
        try await handshake(config, server(stapling: try Self.ocspResponse(.revoked)))
        XCTAssertEqual(recorder.requests, [nil])
    }

    func testNoStapleWhenTheServerHasNone() async throws {
        let recorder = Recorder()
        try await handshake(client(mode: .hard, recorder: recorder), server(stapling: nil))
        XCTAssertEqual(recorder.requests, [nil])
    }

    func testUnrequestedStapleIsUnsupportedExtension() async throws {
        let log = KeyLogCollector()
        var server = try server(stapling: nil)
        server.common.keyLog = log.callback
        var config = client()
        config.requestOCSPStapling = false
        let body = try CertificateStatusCodec.encode(ocspResponse: Self.ocspResponse(.good))
        let pair = try InMemoryPair(client: config, server: server, serverName: Self.serverName)
        pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log) { messages in
            guard let index = messageIndex(messages, .certificate),
                  case .certificate(var certificate)? = try? HandshakeMessage.decode(messages[index]) else { return }
            certificate.entries[0].extensions = [.statusRequest(body)]
            messages[index] = HandshakeMessage.certificate(certificate).testBytes
        }
        await pair.assertSentAlert(.unsupportedExtension, by: .clientToServer)
    }

    func testStapleOnANonLeafEntryIsUnsupportedExtension() async throws {
        let log = KeyLogCollector()
        let intermediate = try Self.ca.issueIntermediate()
        let leaf = try intermediate.issueLeaf(commonName: Self.serverName, dnsNames: [Self.serverName], eku: [.serverAuth])
        var server = TLSServerConfiguration(certificate: try leaf.certifiedKey)
        server.common.keyLog = log.callback
        let body = try CertificateStatusCodec.encode(ocspResponse: Self.ocspResponse(.good))
        let pair = try InMemoryPair(client: client(), server: server, serverName: Self.serverName)
        pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log) { messages in
            guard let index = messageIndex(messages, .certificate),
                  case .certificate(var certificate)? = try? HandshakeMessage.decode(messages[index]),
                  certificate.entries.count > 1 else { return }
            certificate.entries[1].extensions = [.statusRequest(body)]
            messages[index] = HandshakeMessage.certificate(certificate).testBytes
        }
        await pair.assertSentAlert(.unsupportedExtension, by: .clientToServer)
    }

    func testMalformedCertificateStatusIsDecodeError() async throws {
        let log = KeyLogCollector()
        var server = try server(stapling: nil)
        server.common.keyLog = log.callback
        let pair = try InMemoryPair(client: client(), server: server, serverName: Self.serverName)
        pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log) { messages in
            guard let index = messageIndex(messages, .certificate),
                  case .certificate(var certificate)? = try? HandshakeMessage.decode(messages[index]) else { return }
            certificate.entries[0].extensions = [.statusRequest([1, 0, 0, 0])]   // empty OCSPResponse
            messages[index] = HandshakeMessage.certificate(certificate).testBytes
        }
        await pair.assertSentAlert(.decodeError, by: .clientToServer)
    }

    // MARK: TLS 1.2 (RFC 6066 §8: status_request ack in ServerHello, CertificateStatus after Certificate)

    func tls12Server(stapling response: [UInt8]?) throws -> TLSServerConfiguration {
        var config = try server(stapling: response)
        config.common.maximumVersion = .tls12
        return config
    }

    func testTLS12GoodStapleIsAccepted() async throws {
        let response = try Self.ocspResponse(.good)
        let recorder = Recorder()
        let c = try TLSConnection(client: client(mode: .hard, recorder: recorder), serverName: Self.serverName)
        let s = try TLSConnection(server: tls12Server(stapling: response))
        try await shuttle(c, s)
        XCTAssertEqual(c.negotiated?.version, .tls12)
        XCTAssertEqual(recorder.requests, [response])
    }

    func testTLS12RevokedAndUnusable() async throws {
        let revoked = try InMemoryPair(client: client(), server: tls12Server(stapling: try Self.ocspResponse(.revoked)),
                                       serverName: Self.serverName)
        await revoked.assertSentAlert(.certificateRevoked, by: .clientToServer)
        let garbage: [UInt8] = [0x30, 0x00]
        try await handshake(client(mode: .soft), tls12Server(stapling: garbage))
        let hard = try InMemoryPair(client: client(mode: .hard), server: tls12Server(stapling: garbage), serverName: Self.serverName)
        await hard.assertSentAlert(.badCertificateStatusResponse, by: .clientToServer)
    }

    func testTLS12NoStatusRequestMeansNoAckAndNoCertificateStatus() async throws {
        let recorder = Recorder()
        var config = client(mode: .hard, recorder: recorder)
        config.requestOCSPStapling = false
        let c = try TLSConnection(client: config, serverName: Self.serverName)
        let s = try TLSConnection(server: tls12Server(stapling: try Self.ocspResponse(.revoked)))
        try await shuttle(c, s)
        XCTAssertEqual(recorder.requests, [nil])
        XCTAssertFalse(c.takeEvents().contains { if case .handshakeMessage(_, .certificateStatus, _) = $0 { return true } else { return false } })
    }

    func testTLS12AcknowledgedButOmittedCertificateStatusIsAllowed() async throws {
        // RFC 6066 §8: a server may acknowledge status_request and then send no CertificateStatus.
        let recorder = Recorder()
        let pair = try InMemoryPair(client: client(mode: .hard, recorder: recorder),
                                    server: tls12Server(stapling: try Self.ocspResponse(.good)), serverName: Self.serverName)
        pair.tamper = { direction, records in
            guard direction == .serverToClient, records.allSatisfy({ $0.contentType == ContentType.handshake.rawValue }) else { return }
            let messages = splitHandshakeMessages(records.flatMap(\.body))
            guard messages.contains(where: { $0.first == HandshakeType.certificateStatus.rawValue }) else { return }
            let kept = messages.filter { $0.first != HandshakeType.certificateStatus.rawValue }
            records = [WireRecord(.handshake, body: kept.flatMap { $0 })]
        }
        _ = await pair.run()
        // The client verified without a response and went on to ServerKeyExchange … Finished. Dropping the message
        // changed the session hash, so the server cannot read the client's Finished: that is the tamper's doing.
        XCTAssertEqual(recorder.requests, [nil])
        XCTAssertEqual(pair.server.failure?.alert, .badRecordMAC, "\(String(describing: pair.server.failure))")
        XCTAssertEqual(pair.server.failure?.origin, .local)
        XCTAssertNotEqual(pair.client.failure?.origin, .local, "\(String(describing: pair.client.failure))")
    }

    func testTLS12CertificateStatusCodec() throws {
        let message = HandshakeMessage.certificateStatus(ocspResponse: [0x30, 0x00])
        XCTAssertEqual(message.testBytes, [22, 0, 0, 6, 1, 0, 0, 2, 0x30, 0x00])
        XCTAssertEqual(try HandshakeMessage.decode(message.testBytes, version: .tls12), message)
        XCTAssertThrowsError(try HandshakeMessage.decode(message.testBytes, version: .tls13)) {
            XCTAssertEqual(($0 as? TLSError)?.alert, .unexpectedMessage)
        }
        XCTAssertThrowsError(try HandshakeMessage.decode([22, 0, 0, 4, 1, 0, 0, 0], version: .tls12)) {
            XCTAssertEqual(($0 as? TLSError)?.alert, .decodeError)
        }
    }

    // MARK: Verifier

    func testVerifierDirectly() async throws {
        let chain = try Self.leaf.chainDER
        let now = Date()
        func verify(_ response: [UInt8]?, _ mode: OCSPStaplingFailureMode) async -> PeerVerificationResult {
            await X509CertificateVerifier(trustRoots: Self.ca.trustRoots, ocspFailureMode: mode).verify(
                PeerVerificationRequest(chainDER: chain, role: .server, serverName: Self.serverName, now: now,
                                        stapledOCSPResponse: response))
        }
        guard case .trusted = await verify(try Self.ocspResponse(.good), .hard) else { return XCTFail("good rejected") }
        guard case .trusted = await verify(nil, .hard) else { return XCTFail("no response rejected") }
        guard case .rejected(let revoked) = await verify(try Self.ocspResponse(.revoked), .soft) else { return XCTFail("revoked accepted") }
        XCTAssertEqual(revoked.alert, .certificateRevoked)
        XCTAssertEqual(revoked.cause, .invalidCertificate(.revoked), revoked.reason)
    }

    func testLeafIsRecognizedWhateverItsSerialNumber() async throws {
        // Random serials with the top bit set are DER-encoded with a 0x00 sign byte; the requester must still match.
        for _ in 0..<16 {
            let leaf = try Self.ca.issueEndEntity(
                commonName: Self.serverName, sans: [.dnsName(Self.serverName)], eku: [.serverAuth],
                extraExtensions: [try Certificate.Extension(AuthorityInformationAccess([
                    AuthorityInformationAccess.AccessDescription(method: .ocspServer, location: .uniformResourceIdentifier("http://ocsp.test/")),
                ]), critical: false)])
            let result = await X509CertificateVerifier(trustRoots: Self.ca.trustRoots).verify(PeerVerificationRequest(
                chainDER: try leaf.chainDER, role: .server, serverName: Self.serverName,
                stapledOCSPResponse: try Self.ocspResponse(.revoked, for: leaf)))
            guard case .rejected(let error) = result else { return XCTFail("serial \(leaf.certificate.serialNumber): revoked accepted") }
            XCTAssertEqual(error.alert, .certificateRevoked)
        }
    }
}
