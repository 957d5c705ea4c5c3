/// The one error type TLSKit surfaces. It says why the connection failed (`cause`, for code to match), the alert
/// that was sent or received (`alert`, derived from the cause), and a human reason.
public struct TLSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Who raised the alert: we sent it to the peer, or the peer sent it to us.
    public enum Origin: String, Hashable, Sendable {
        case local
        case peer
    }

    /// Why the connection failed, as a value to match on instead of the reason text (which may change). Each cause
    /// names exactly one alert (`alert`); the mapping lives in one switch so that the alert a condition sends is a
    /// decision made once, not at every site that detects it.
    public enum Cause: Hashable, Sendable {
        /// A message or record does not parse: truncated, trailing bytes, a bad length (decode_error).
        case malformed
        /// A message or record type the connection's state does not allow at this point (unexpected_message).
        case unexpectedMessage
        /// The peer broke a specific protocol rule; the alert depends on the rule.
        case peerMisbehaved(PeerMisbehaved)
        /// The peer is well-behaved but shares nothing usable with our configuration.
        case peerIncompatible(PeerIncompatible)
        /// The peer's certificate chain failed verification; the failure names the rule.
        case invalidCertificate(CertificateFailure)
        /// The peer sent this fatal (or unexpected warning) alert; `origin` is `.peer`.
        case alertReceived(AlertDescription)
        /// The peer sent close_notify before the handshake finished; `origin` is `.peer`.
        case closedDuringHandshake
        /// The application asked for something the connection cannot do now (internal_error; nothing is sent).
        case invalidUse(InvalidUse)
        /// A local resource limit was reached (internal_error, as RFC 8446 §6.2 prescribes for such failures).
        case limitExceeded(Limit)
        /// A failure inside TLSKit or its cryptography that the peer did not cause (internal_error).
        case `internal`
        /// Raised by code outside TLSKit (a custom certificate verifier, key provider or ticket sealer) with the
        /// alert it chose; see `init(_:_:origin:)` taking an alert.
        case application(AlertDescription)

        /// The alert this cause sends (or, for `alertReceived`, the one that was received). The one place where a
        /// failure is mapped to an alert.
        public var alert: AlertDescription {
            switch self {
            case .malformed: return .decodeError
            case .unexpectedMessage: return .unexpectedMessage
            case .peerMisbehaved(let misbehaviour): return misbehaviour.alert
            case .peerIncompatible(let incompatibility): return incompatibility.alert
            case .invalidCertificate(let failure): return failure.alert
            case .alertReceived(let alert), .application(let alert): return alert
            case .closedDuringHandshake: return .closeNotify
            case .invalidUse, .limitExceeded, .internal: return .internalError
            }
        }

        /// Whether the peer raised this error (an alert it sent) rather than us.
        public var isRaisedByPeer: Bool {
            switch self {
            case .alertReceived, .closedDuringHandshake: return true
            default: return false
            }
        }
    }

    /// Specific protocol violations by the peer, in the spirit of rustls' `PeerMisbehaved`. Where the RFC names no
    /// alert the choice follows BoringSSL; conditions that RFCs give different alerts are distinct cases.
    public enum PeerMisbehaved: Hashable, Sendable, CaseIterable {
        // decrypt_error
        /// The peer's Finished does not verify.
        case finishedMismatch
        /// A PSK binder does not verify.
        case binderMismatch
        /// A handshake signature (CertificateVerify, ServerKeyExchange) does not verify.
        case badSignature

        // bad_record_mac / record_overflow
        /// A protected record fails authentication or is too short for its tag.
        case recordAuthenticationFailed
        /// A record is longer than the negotiated limit allows.
        case recordOverflow

        // unexpected_message
        /// A second HelloRetryRequest.
        case secondHelloRetryRequest
        /// Handshake data in the same flight after a HelloRetryRequest.
        case dataAfterHelloRetryRequest
        /// A change_cipher_spec record where none may be (outside the TLS 1.3 compatibility window, at the wrong
        /// point of a TLS 1.2 handshake, or inside a handshake message).
        case changeCipherSpecOutOfPlace
        /// A change_cipher_spec record whose content is not the single byte 1.
        case invalidChangeCipherSpec
        /// An empty record of a type that may not be empty.
        case emptyRecord
        /// More consecutive empty records than allowed.
        case tooManyEmptyRecords
        /// More consecutive warning alerts than allowed.
        case tooManyWarningAlerts
        /// More KeyUpdates without application data than allowed.
        case tooManyKeyUpdates
        /// More early data than max_early_data_size.
        case earlyDataOverLimit
        /// A TLS 1.2 ServerHelloDone without the ServerKeyExchange an ECDHE suite needs.
        case missingServerKeyExchange

        // illegal_parameter
        /// The server's random carries a downgrade sentinel (RFC 8446 §4.1.3).
        case downgradeDetected
        /// The server chose a cipher suite we did not offer.
        case unofferedCipherSuite
        /// The peer chose or answered with a key-exchange group we did not offer.
        case unofferedGroup
        /// The peer used a signature scheme we did not offer or request (or one we cannot verify).
        case unofferedSignatureScheme
        /// The server selected a PSK we did not offer (or whose hash does not fit the suite).
        case unofferedPSK
        /// The server selected an ALPN protocol we did not offer.
        case unofferedApplicationProtocol
        /// The server selected a protocol version in supported_versions that we did not offer.
        case unofferedVersion
        /// The server resumed a TLS 1.2 session we never offered.
        case unofferedSession
        /// A signature scheme that does not match the certificate's key type.
        case signatureKeyMismatch
        /// A compression method other than null (offered without null, or chosen).
        case invalidCompression
        /// A legacy_version field with a value the protocol forbids.
        case invalidLegacyVersion
        /// The ServerHello does not echo our legacy_session_id.
        case sessionIDNotEchoed
        /// A HelloRetryRequest that would not change the ClientHello.
        case helloRetryRequestChangesNothing
        /// A HelloRetryRequest asking for a group we already sent a share for.
        case helloRetryRequestForExistingShare
        /// The cipher suite changed between HelloRetryRequest and the second hello.
        case cipherSuiteChangedAfterRetry
        /// The second ClientHello does not carry exactly the key share the HelloRetryRequest asked for.
        case retryKeyShareMismatch
        /// The second ClientHello does not echo our cookie.
        case cookieMismatch
        /// A key share for a group not listed (in order) in supported_groups.
        case keyShareNotInSupportedGroups
        /// Two key shares for the same group.
        case duplicateKeyShare
        /// A key share that is not a valid public value (wrong length, not on the curve, small order).
        case invalidKeyShare
        /// An ECDH parameters curve_type other than named_curve.
        case unsupportedCurveType
        /// The same extension twice in one message.
        case duplicateExtension
        /// pre_shared_key is not the last extension of the ClientHello.
        case pskExtensionNotLast
        /// A known extension in a message that may not carry it.
        case forbiddenExtension
        /// A certificate_request_context of the wrong form.
        case invalidCertificateRequestContext
        /// A KeyUpdate with an undefined request_update value.
        case invalidKeyUpdate
        /// A NewSessionTicket lifetime above seven days.
        case ticketLifetimeTooLong
        /// A record_size_limit below 64.
        case recordSizeLimitTooSmall
        /// A handshake message larger than the configured limit.
        case handshakeMessageTooLarge
        /// The server accepted early data it may not accept (without our PSK, or with other parameters).
        case invalidEarlyDataAcceptance
        /// A TLS 1.2 resumption with a different cipher suite than the session's.
        case resumptionCipherSuiteChanged

        // unsupported_extension
        /// An extension we did not offer or request, or one unknown to us where it is not allowed.
        case unsolicitedExtension

        // missing_extension
        /// A hello without key_share.
        case missingKeyShare
        /// A ClientHello without supported_groups.
        case missingSupportedGroups
        /// A ClientHello or CertificateRequest without signature_algorithms.
        case missingSignatureAlgorithms
        /// A ClientHello offering pre_shared_key without psk_key_exchange_modes.
        case missingPSKKeyExchangeModes

        // handshake_failure
        /// renegotiation_info is not empty in an initial handshake.
        case renegotiationInfoNotEmpty
        /// A TLS 1.2 resumption that would drop or add the extended master secret (RFC 7627 §5.3).
        case extendedMasterSecretChanged

        // protocol_version
        /// The server chose TLS 1.2 after we offered TLS 1.3 early data.
        case versionDowngradeWithEarlyData

        /// The alert this violation sends.
        public var alert: AlertDescription {
            switch self {
            case .finishedMismatch, .binderMismatch, .badSignature: return .decryptError
            case .recordAuthenticationFailed: return .badRecordMAC
            case .recordOverflow: return .recordOverflow
            case .secondHelloRetryRequest, .dataAfterHelloRetryRequest, .changeCipherSpecOutOfPlace,
                 .invalidChangeCipherSpec, .emptyRecord, .tooManyEmptyRecords, .tooManyWarningAlerts, .tooManyKeyUpdates,
                 .earlyDataOverLimit, .missingServerKeyExchange:
                return .unexpectedMessage
            case .downgradeDetected, .unofferedCipherSuite, .unofferedGroup, .unofferedSignatureScheme, .unofferedPSK,
                 .unofferedApplicationProtocol, .unofferedVersion, .unofferedSession, .signatureKeyMismatch,
                 .invalidCompression, .invalidLegacyVersion, .sessionIDNotEchoed, .helloRetryRequestChangesNothing,
                 .helloRetryRequestForExistingShare, .cipherSuiteChangedAfterRetry, .retryKeyShareMismatch,
                 .cookieMismatch, .keyShareNotInSupportedGroups, .duplicateKeyShare, .invalidKeyShare,
                 .unsupportedCurveType, .duplicateExtension, .pskExtensionNotLast, .forbiddenExtension,
                 .invalidCertificateRequestContext, .invalidKeyUpdate, .ticketLifetimeTooLong, .recordSizeLimitTooSmall,
                 .handshakeMessageTooLarge, .invalidEarlyDataAcceptance, .resumptionCipherSuiteChanged:
                return .illegalParameter
            case .unsolicitedExtension: return .unsupportedExtension
            case .missingKeyShare, .missingSupportedGroups, .missingSignatureAlgorithms, .missingPSKKeyExchangeModes:
                return .missingExtension
            case .renegotiationInfoNotEmpty, .extendedMasterSecretChanged: return .handshakeFailure
            case .versionDowngradeWithEarlyData: return .protocolVersion
            }
        }
    }

    /// Nothing in common between the peer and our configuration: neither side broke a rule, but no connection fits.
    public enum PeerIncompatible: Hashable, Sendable, CaseIterable {
        /// No protocol version both support (or a client that only speaks SSL 3.0 or older).
        case noCommonVersion
        /// No cipher suite both support (for our certificate).
        case noCommonCipherSuite
        /// No key-exchange group both support.
        case noCommonGroup
        /// No signature scheme the peer accepts that our key can make.
        case noCommonSignatureScheme
        /// No ALPN protocol in common.
        case noCommonApplicationProtocol
        /// We require the extended master secret (RFC 7627) and the peer does not support it.
        case extendedMasterSecretRequired
        /// The peer does not accept uncompressed EC points, the only format we use.
        case uncompressedPointsRequired
        /// We require a client certificate and the TLS 1.3 client sent none (certificate_required).
        case certificateRequired
        /// We require a client certificate and the TLS 1.2 client sent none (handshake_failure; TLS 1.2 has no
        /// certificate_required alert).
        case certificateRequiredTLS12
        /// We have no certificate for the server name the client asked for.
        case noCertificateForServerName
        /// The client signals a fallback (TLS_FALLBACK_SCSV) although we support a higher version (RFC 7507).
        case inappropriateFallback
        /// The first record is an SSL 2.0-format CLIENT-HELLO (RFC 5246 Appendix E.2), which we do not accept.
        case sslv2ClientHello

        /// The alert this incompatibility sends.
        public var alert: AlertDescription {
            switch self {
            case .noCommonVersion, .sslv2ClientHello: return .protocolVersion
            case .noCommonCipherSuite, .noCommonGroup, .noCommonSignatureScheme, .extendedMasterSecretRequired,
                 .certificateRequiredTLS12:
                return .handshakeFailure
            case .noCommonApplicationProtocol: return .noApplicationProtocol
            case .uncompressedPointsRequired: return .illegalParameter
            case .certificateRequired: return .certificateRequired
            case .noCertificateForServerName: return .unrecognizedName
            case .inappropriateFallback: return .inappropriateFallback
            }
        }
    }

    /// The certificate verification rule a peer's chain failed. The raw value is the rule's name, which failure
    /// reasons start with and the `tlskit` CLI prints.
    public enum CertificateFailure: String, Hashable, Sendable, CaseIterable {
        /// A work cap (`VerificationLimits`) was exceeded: too many certificates, paths, signatures or comparisons.
        case budget = "budget"
        /// A v1 certificate carries extensions.
        case version = "version"
        /// A certificate is expired or not yet valid.
        case validity = "validity"
        case basicConstraints = "basic-constraints"
        case nameConstraints = "name-constraints"
        case extendedKeyUsage = "extended-key-usage"
        /// A certificate in the path is signed with SHA-1 or MD5 (or another algorithm not on the accepted list).
        case weakSignature = "weak-signature"
        /// The certificate does not name the server we connected to.
        case serverIdentity = "server-identity"
        /// The leaf's subject CN holds a DNS name or IP address that is not one of its subjectAltNames (BR §7.1.4.3).
        case commonName = "common-name"
        /// subjectAltName encoding: criticality against the subject, underscores, wildcards under a public suffix.
        case subjectAltName = "subject-alt-name"
        /// A CA certificate with an empty subject.
        case subject = "subject"
        /// A policyConstraints extension that is not critical.
        case policyConstraints = "policy-constraints"
        /// authorityKeyIdentifier / subjectKeyIdentifier missing or malformed.
        case keyIdentifiers = "key-identifiers"
        /// A serial number that is zero or longer than 20 octets.
        case serialNumber = "serial-number"
        /// A public key the profile does not allow (an RSA modulus that is not a multiple of 8 bits).
        case publicKey = "public-key"
        /// A malformed authorityInformationAccess extension.
        case authorityInfoAccess = "authority-info-access"
        /// A stapled OCSP response says the leaf is revoked, or a configured CRL lists a certificate of the path.
        case revoked = "revoked"
        /// A configured CRL covering a certificate of the path cannot be used (RFC 5280 §5, §6.3.3).
        case crl = "crl"
        /// A stapled OCSP response is unusable (hard-fail mode only).
        case ocspStatus = "ocsp-status"
        /// No candidate path reached a trust root.
        case unknownIssuer = "unknown-ca"
        /// A certificate carries a critical extension no policy processes.
        case criticalExtensions = "critical-extensions"
        /// The peer sent an empty chain where a certificate is needed.
        case emptyChain = "empty-chain"
        /// A certificate (or its public key) is not valid DER.
        case malformed = "malformed"
        /// A policy rejected the chain for a reason TLSKit does not classify.
        case unclassified = "rejected"

        /// The alert RFC 8446 §6.2 suggests for the rule.
        public var alert: AlertDescription {
            switch self {
            case .validity: return .certificateExpired
            case .extendedKeyUsage, .criticalExtensions, .publicKey: return .unsupportedCertificate
            case .unknownIssuer: return .unknownCA
            case .revoked: return .certificateRevoked
            case .crl: return .certificateUnknown
            case .ocspStatus: return .badCertificateStatusResponse
            case .budget, .version, .basicConstraints, .nameConstraints, .weakSignature, .serverIdentity, .commonName,
                 .subjectAltName, .subject, .policyConstraints, .keyIdentifiers, .serialNumber, .authorityInfoAccess,
                 .emptyChain, .malformed, .unclassified:
                return .badCertificate
            }
        }
    }

    /// Requests the connection cannot serve in its current state; the application's mistake, not the peer's.
    public enum InvalidUse: Hashable, Sendable, CaseIterable {
        /// The operation needs a completed handshake.
        case handshakeNotComplete
        /// The connection has ended, or we already sent close_notify.
        case connectionClosed
        /// KeyUpdate on a TLS 1.2 connection, which has none.
        case keyUpdateUnsupported
        /// Keying material export from a TLS 1.2 connection without the extended master secret.
        case exporterRequiresExtendedMasterSecret
        /// An exporter label, context or length outside what RFC 8446 §7.5 / RFC 5705 allow.
        case exporterArgumentOutOfRange
        /// `completeVerification` without a verification pending.
        case noPendingVerification
        /// Early data is not possible now, or exceeds the ticket's max_early_data_size.
        case earlyDataUnavailable
    }

    /// Local resource limits.
    public enum Limit: Hashable, Sendable, CaseIterable {
        /// More input arrived while the peer's certificate was being verified than `maxBufferedInputWhileVerifying`.
        case inputWhileVerifying
        /// The record sequence number would wrap.
        case sequenceNumber
    }

    /// Why the connection failed.
    public let cause: Cause
    /// What happened, for people (logs, CLI output). Its wording may change; match `cause` instead.
    public var reason: String
    /// Whether we raised the error or the peer did (by sending an alert).
    public var origin: Origin

    /// The alert sent (or received): always `cause.alert`.
    public var alert: AlertDescription { cause.alert }

    /// An error for `cause`, explained by `reason`. The origin is `.peer` for causes the peer raised.
    public init(_ cause: Cause, _ reason: String) {
        self.cause = cause
        self.reason = reason
        self.origin = cause.isRaisedByPeer ? .peer : .local
    }

    /// An error with an alert chosen outside TLSKit (a custom verifier rejecting a chain with access_denied, say):
    /// its cause is `.application(alert)`, or `.alertReceived(alert)` when `origin` is `.peer`.
    public init(_ alert: AlertDescription, _ reason: String, origin: Origin = .local) {
        self.init(origin == .peer ? .alertReceived(alert) : .application(alert), reason)
    }

    public var description: String {
        switch origin {
        case .local: return "TLS error (sent \(alert)): \(reason)"
        case .peer: return "TLS error (peer sent \(alert)): \(reason)"
        }
    }

    /// A decode failure (`.malformed`, decode_error): the codec's most common error.
    public static func decode(_ reason: String) -> TLSError { TLSError(.malformed, reason) }
    /// A failure inside TLSKit (`.internal`, internal_error).
    public static func internalError(_ reason: String) -> TLSError { TLSError(.internal, reason) }
}
