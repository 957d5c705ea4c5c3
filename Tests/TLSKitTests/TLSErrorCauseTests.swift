import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// `TLSError.Cause`: the one cause → alert mapping, and the causes real failures report.
final class TLSErrorCauseTests: XCTestCase {
    typealias Cause = TLSError.Cause

    // MARK: The mapping

    func testEveryPeerMisbehavedCaseMapsToItsAlert() {
        let expected: [TLSError.PeerMisbehaved: AlertDescription] = [
            .finishedMismatch: .decryptError, .binderMismatch: .decryptError, .badSignature: .decryptError,
            .recordAuthenticationFailed: .badRecordMAC, .recordOverflow: .recordOverflow,
            .secondHelloRetryRequest: .unexpectedMessage, .dataAfterHelloRetryRequest: .unexpectedMessage,
            .changeCipherSpecOutOfPlace: .unexpectedMessage, .invalidChangeCipherSpec: .unexpectedMessage,
            .emptyRecord: .unexpectedMessage, .tooManyEmptyRecords: .unexpectedMessage,
            .tooManyWarningAlerts: .unexpectedMessage, .tooManyKeyUpdates: .unexpectedMessage,
            .earlyDataOverLimit: .unexpectedMessage, .missingServerKeyExchange: .unexpectedMessage,
            .downgradeDetected: .illegalParameter, .unofferedCipherSuite: .illegalParameter,
            .unofferedGroup: .illegalParameter, .unofferedSignatureScheme: .illegalParameter,
            .unofferedPSK: .illegalParameter, .unofferedApplicationProtocol: .illegalParameter,
            .unofferedVersion: .illegalParameter, .unofferedSession: .illegalParameter,
            .signatureKeyMismatch: .illegalParameter, .invalidCompression: .illegalParameter,
            .invalidLegacyVersion: .illegalParameter, .sessionIDNotEchoed: .illegalParameter,
            .helloRetryRequestChangesNothing: .illegalParameter, .helloRetryRequestForExistingShare: .illegalParameter,
            .cipherSuiteChangedAfterRetry: .illegalParameter, .retryKeyShareMismatch: .illegalParameter,
            .cookieMismatch: .illegalParameter, .keyShareNotInSupportedGroups: .illegalParameter,
            .duplicateKeyShare: .illegalParameter, .invalidKeyShare: .illegalParameter,
            .unsupportedCurveType: .illegalParameter, .duplicateExtension: .illegalParameter,
            .pskExtensionNotLast: .illegalParameter, .forbiddenExtension: .illegalParameter,
            .invalidCertificateRequestContext: .illegalParameter, .invalidKeyUpdate: .illegalParameter,
            .ticketLifetimeTooLong: .illegalParameter, .recordSizeLimitTooSmall: .illegalParameter,
            .handshakeMessageTooLarge: .illegalParameter, .invalidEarlyDataAcceptance: .illegalParameter,
            .resumptionCipherSuiteChanged: .illegalParameter,
            .unsolicitedExtension: .unsupportedExtension,
            .missingKeyShare: .missingExtension, .missingSupportedGroups: .missingExtension,
            .missingSignatureAlgorithms: .missingExtension, .missingPSKKeyExchangeModes: .missingExtension,
            .renegotiationInfoNotEmpty: .handshakeFailure, .extendedMasterSecretChanged: .handshakeFailure,
            .versionDowngradeWithEarlyData: .protocolVersion,
        ]
        XCTAssertEqual(Set(expected.keys), Set(TLSError.PeerMisbehaved.allCases), "the table covers every case")
        for (misbehaviour, alert) in expected {
            XCTAssertEqual(Cause.peerMisbehaved(misbehaviour).alert, alert, "\(misbehaviour)")
        }
    }

    func testEveryPeerIncompatibleCaseMapsToItsAlert() {
        let expected: [TLSError.PeerIncompatible: AlertDescription] = [
            .noCommonVersion: .protocolVersion, .noCommonCipherSuite: .handshakeFailure,
            .noCommonGroup: .handshakeFailure, .noCommonSignatureScheme: .handshakeFailure,
            .noCommonApplicationProtocol: .noApplicationProtocol, .extendedMasterSecretRequired: .handshakeFailure,
            .uncompressedPointsRequired: .illegalParameter, .certificateRequired: .certificateRequired,
            .certificateRequiredTLS12: .handshakeFailure, .noCertificateForServerName: .unrecognizedName,
            .inappropriateFallback: .inappropriateFallback, .sslv2ClientHello: .protocolVersion,
        ]
        XCTAssertEqual(Set(expected.keys), Set(TLSError.PeerIncompatible.allCases), "the table covers every case")
        for (incompatibility, alert) in expected {
            XCTAssertEqual(Cause.peerIncompatible(incompatibility).alert, alert, "\(incompatibility)")
        }
    }

    func testEveryCertificateFailureMapsToItsAlert() {
        let expected: [TLSError.CertificateFailure: AlertDescription] = [
            .budget: .badCertificate, .version: .badCertificate, .validity: .certificateExpired,
            .basicConstraints: .badCertificate, .nameConstraints: .badCertificate,
            .extendedKeyUsage: .unsupportedCertificate, .weakSignature: .badCertificate,
            .serverIdentity: .badCertificate, .commonName: .badCertificate, .subjectAltName: .badCertificate,
            .subject: .badCertificate, .policyConstraints: .badCertificate, .keyIdentifiers: .badCertificate,
            .serialNumber: .badCertificate, .publicKey: .unsupportedCertificate,
            .authorityInfoAccess: .badCertificate, .revoked: .certificateRevoked, .crl: .certificateUnknown,
            .ocspStatus: .badCertificateStatusResponse, .unknownIssuer: .unknownCA,
            .criticalExtensions: .unsupportedCertificate, .emptyChain: .badCertificate, .malformed: .badCertificate,
            .unclassified: .badCertificate,
        ]
        XCTAssertEqual(Set(expected.keys), Set(TLSError.CertificateFailure.allCases), "the table covers every case")
        for (failure, alert) in expected {
            XCTAssertEqual(Cause.invalidCertificate(failure).alert, alert, "\(failure)")
        }
    }

    func testTheOtherCausesMapToTheirAlerts() {
        let expected: [(Cause, AlertDescription)] = [
            (.malformed, .decodeError), (.unexpectedMessage, .unexpectedMessage),
            (.alertReceived(.handshakeFailure), .handshakeFailure), (.closedDuringHandshake, .closeNotify),
            (.internal, .internalError), (.application(.accessDenied), .accessDenied),
            (.limitExceeded(.inputWhileVerifying), .internalError), (.limitExceeded(.sequenceNumber), .internalError),
        ] + TLSError.InvalidUse.allCases.map { (.invalidUse($0), .internalError) }
        for (cause, alert) in expected {
            XCTAssertEqual(cause.alert, alert, "\(cause)")
            XCTAssertEqual(TLSError(cause, "x").alert, alert, "\(cause)")
        }
    }

    func testOriginFollowsTheCause() {
        XCTAssertEqual(TLSError(.alertReceived(.badCertificate), "x").origin, .peer)
        XCTAssertEqual(TLSError(.closedDuringHandshake, "x").origin, .peer)
        XCTAssertEqual(TLSError(.peerMisbehaved(.finishedMismatch), "x").origin, .local)
        // The alert initializer, for verifiers and providers outside TLSKit.
        XCTAssertEqual(TLSError(.accessDenied, "x").cause, .application(.accessDenied))
        XCTAssertEqual(TLSError(.badCertificate, "x", origin: .peer).cause, .alertReceived(.badCertificate))
    }

    // MARK: Real failures

    func testWrongFinishedIsFinishedMismatch() async throws {
        let log = KeyLogCollector()
        var server = EngineFixtures.serverConfiguration()
        server.common.keyLog = log.callback
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server)
        pair.tamper = Rewrite.serverEncryptedFlight(keyLog: log) { messages in
            messages[messages.count - 1][10] ^= 0x01
        }
        await pair.assertSentAlert(.decryptError, by: .clientToServer)
        XCTAssertEqual(pair.client.failure?.cause, .peerMisbehaved(.finishedMismatch))
        XCTAssertEqual(pair.server.failure?.cause, .alertReceived(.decryptError))
    }

    func testNoCommonCipherSuiteIsPeerIncompatible() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.cipherSuites = [.TLS_AES_128_GCM_SHA256]
        var server = EngineFixtures.serverConfiguration()
        server.common.cipherSuites = [.TLS_AES_256_GCM_SHA384]
        let pair = try InMemoryPair(client: client, server: server)
        await pair.assertSentAlert(.handshakeFailure, by: .serverToClient)
        XCTAssertEqual(pair.server.failure?.cause, .peerIncompatible(.noCommonCipherSuite))
        XCTAssertEqual(pair.client.failure?.cause, .alertReceived(.handshakeFailure))
    }

    func testNoCommonGroupIsPeerIncompatible() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.supportedGroups = [.x25519]
        var server = EngineFixtures.serverConfiguration()
        server.common.supportedGroups = [.secp384r1]
        let pair = try InMemoryPair(client: client, server: server)
        await pair.assertSentAlert(.handshakeFailure, by: .serverToClient)
        XCTAssertEqual(pair.server.failure?.cause, .peerIncompatible(.noCommonGroup))
    }

    func testSHA1ChainIsWeakSignature() async throws {
        let root = try TestPKI.makeCA(keyType: .rsa2048)
        let leaf = try root.issueEndEntity(sans: [.dnsName(EngineFixtures.serverName)], signatureAlgorithm: .sha1WithRSAEncryption)
        var client = EngineFixtures.clientConfiguration()
        client.peerVerification = .trustRoots(root.trustRoots)
        let pair = try InMemoryPair(client: client, server: TLSServerConfiguration(certificate: try leaf.certifiedKey))
        await pair.assertSentAlert(.badCertificate, by: .clientToServer)
        XCTAssertEqual(pair.client.failure?.cause, .invalidCertificate(.weakSignature))
    }

    func testUnknownIssuerAndWrongNameAreTheirRules() async throws {
        let root = try TestPKI.makeCA(keyType: .ecdsaP256)
        let stranger = try TestPKI.makeCA(keyType: .ecdsaP256)
        let leaf = try stranger.issueEndEntity(sans: [.dnsName(EngineFixtures.serverName)])
        let request = PeerVerificationRequest(chainDER: try leaf.chainDER, role: .server,
                                              serverName: EngineFixtures.serverName)
        guard case .rejected(let unknown) = await X509CertificateVerifier(trustRoots: root.trustRoots).verify(request) else {
            return XCTFail("a chain to an unknown root was trusted")
        }
        XCTAssertEqual(unknown.cause, .invalidCertificate(.unknownIssuer))
        XCTAssertEqual(unknown.alert, .unknownCA)

        let wrongName = PeerVerificationRequest(chainDER: request.chainDER, role: .server, serverName: "other.example")
        guard case .rejected(let mismatch) = await X509CertificateVerifier(trustRoots: stranger.trustRoots).verify(wrongName)
        else { return XCTFail("a certificate for another name was trusted") }
        XCTAssertEqual(mismatch.cause, .invalidCertificate(.serverIdentity))
    }

    func testExporterMisuseIsInvalidUse() throws {
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        XCTAssertThrowsError(try client.exportKeyingMaterial(label: "EXPERIMENTAL x", context: nil, length: 32)) { error in
            XCTAssertEqual((error as? TLSError)?.cause, .invalidUse(.handshakeNotComplete))
        }
    }
}
