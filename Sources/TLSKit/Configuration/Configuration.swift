import Foundation

/// How the peer's certificate chain is judged. Turning verification off takes the loudly named
/// `.insecureNoVerification`; there is no quiet way to do it.
public enum PeerVerification: Sendable {
    /// RFC 5280 path validation to these roots, plus identity (hostname/IP) and extended key usage.
    case trustRoots(TrustRoots)
    /// The operating system's bundle (`/etc/ssl/certs/ca-certificates.crt` and friends).
    case systemTrustRoots
    /// A verifier of your own.
    case custom(any CertificateVerifier)
    /// Accept any certificate. Only for testing and diagnostics: it gives up authentication entirely.
    case insecureNoVerification

    func makeVerifier() throws -> any CertificateVerifier {
        switch self {
        case .trustRoots(let roots): return X509CertificateVerifier(trustRoots: roots)
        case .systemTrustRoots: return X509CertificateVerifier(trustRoots: try TrustRoots.system())
        case .custom(let verifier): return verifier
        case .insecureNoVerification: return InsecureNoVerification()
        }
    }
}

/// TLS 1.3 PSK key-exchange modes (RFC 8446 §4.2.9).
public enum PSKKeyExchangeMode: UInt8, Sendable, Hashable {
    /// psk_ke: resumption without a fresh (EC)DHE exchange — no forward secrecy for that connection. Opt-in only.
    case pskOnly = 0
    /// psk_dhe_ke: resumption with a fresh (EC)DHE exchange (the default).
    case pskWithDHE = 1
}

/// The opt-in to TLS 1.1 and TLS 1.0: **insecure**, for reaching old peers that cannot be upgraded, never by default.
///
/// RFC 8996 deprecates both versions and forbids negotiating them (MUST NOT) because they are weaker than TLS 1.2 in
/// ways no configuration repairs: the handshake is authenticated with MD5 and SHA-1 (the PRF, the Finished hash and the
/// RSA signatures over MD5 ‖ SHA-1; ECDSA over SHA-1), so it rests on hash functions with practical collision
/// attacks (SLOTH); they have no AEAD suites, only CBC with MAC-then-encrypt, the construction behind padding-oracle
/// and timing attacks (Lucky Thirteen, POODLE-style); TLS 1.0's chained IVs allow BEAST; and the peer cannot say which
/// signature algorithms it accepts. TLSKit limits the damage — AES-CBC only, encrypt-then-MAC (RFC 7366) offered and honoured, extended master secret (RFC 7627), constant-time CBC record
/// checks, 1/n−1 record splitting in TLS 1.0, the RFC 8446 downgrade sentinels and TLS_FALLBACK_SCSV — but a
/// connection at these versions is still not as safe as TLS 1.2.
///
/// SSL 3.0 is available to a client only, and only with the second, separately named opt-in
/// `downToSSL30IncludingPOODLEVulnerableSSL3` together with `minimumVersion = .ssl3`; otherwise a `minimumVersion`
/// (or `maximumVersion`) of `.ssl3` is a `TLSConfigurationError`. A server never speaks SSL 3.0.
///
/// Key exchange: the server does ECDHE only and never selects a static RSA suite (it would have to decrypt PKCS#1
/// v1.5 premasters: Bleichenbacher, ROBOT). The client offers, after every ECDHE suite, static RSA key exchange
/// (TLS_RSA_WITH_AES_128/256_CBC_SHA, and at TLS 1.2 AES_128_CBC_SHA256 and AES_128/256_GCM), which has no forward
/// secrecy. It does **not** offer ECDHE_RSA at TLS 1.0/1.1: their ServerKeyExchange is an RSA signature over
/// MD5 ‖ SHA-1 that swift-crypto cannot verify (and TLSKit writes no bignum), so an old server with an RSA
/// certificate is reached with static RSA key exchange; ECDHE_ECDSA is offered at every version.
///
/// Setting it does not lower `minimumVersion`: set both. TLS 1.2 and 1.3 stay preferred whenever the peer has them.
public enum InsecureLegacyVersions: Sendable, Hashable {
    /// `minimumVersion` may be TLS 1.1 (RFC 4346).
    case downToTLS11
    /// `minimumVersion` may be TLS 1.0 (RFC 2246) or TLS 1.1.
    case downToTLS10
    /// **Broken, client only**: everything `downToTLS10` allows, and `minimumVersion` may be SSL 3.0 (RFC 6101).
    ///
    /// RFC 7568 forbids negotiating SSL 3.0 (MUST NOT), and RFC 8446 §D.5 forbids sending or accepting a Hello with
    /// legacy_version 0x0300, which this opt-in does (an SSL 3.0-only ClientHello; an SSL 3.0 ServerHello). Its CBC
    /// padding is not covered by the MAC and only its last byte can be checked, so an active attacker who can make the client resend a secret (a cookie) decrypts it a
    /// byte at a time, about 256 connections per byte (POODLE, Möller, Duong and Kotowicz, 2014); no implementation
    /// choice repairs that. It also has no extensions: no extended master secret, no encrypt-then-MAC, and secure
    /// renegotiation only through TLS_EMPTY_RENEGOTIATION_INFO_SCSV. TLSKit offers it with static RSA key exchange
    /// and AES-CBC with SSL 3.0’s pre-HMAC MAC only (TLS_RSA_WITH_AES_128/256_CBC_SHA), never as a server (a server
    /// configuration with `minimumVersion = .ssl3` is a `TLSConfigurationError`). Use it only to reach a device that
    /// cannot be upgraded, over a network path you trust. No local peer could test it (OpenSSL 3 has no `-ssl3`,
    /// GnuTLS 3.7 refuses `VERS-SSL3.0`): it is tested against a scripted server only.
    case downToSSL30IncludingPOODLEVulnerableSSL3

    var lowestVersion: ProtocolVersion {
        switch self {
        case .downToTLS11: return .tls11
        case .downToTLS10: return .tls10
        case .downToSSL30IncludingPOODLEVulnerableSSL3: return .ssl3
        }
    }
}

/// Settings shared by both roles. Values outside the documented ranges are refused when a connection is created
/// (`TLSConfigurationError`), never trapped on or silently clamped later.
public struct TLSCommonConfiguration: Sendable {
    /// Cipher suites in preference order: the TLS 1.3 suites, then TLS 1.2 ECDHE with AEAD (no CBC, no static RSA).
    public var cipherSuites: [CipherSuite] = [
        .TLS_AES_128_GCM_SHA256, .TLS_AES_256_GCM_SHA384, .TLS_CHACHA20_POLY1305_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]
    /// Key-exchange groups in preference order. X25519MLKEM768 (post-quantum hybrid) is offered first.
    public var supportedGroups: [NamedGroup] = [.X25519MLKEM768, .x25519, .secp256r1, .secp384r1, .secp521r1]
    /// Signature schemes we accept from the peer (and advertise), in preference order.
    /// rsa_pkcs1_* are listed for certificate signatures only; TLS 1.3 never accepts them in CertificateVerify.
    public var signatureAlgorithms: [SignatureScheme] = [
        .ecdsa_secp256r1_sha256, .ecdsa_secp384r1_sha384, .ecdsa_secp521r1_sha512, .ed25519,
        .rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512,
        .rsa_pkcs1_sha256, .rsa_pkcs1_sha384, .rsa_pkcs1_sha512,
    ]
    /// If set, sent as signature_algorithms_cert (schemes accepted in certificates, when they differ).
    public var certificateSignatureAlgorithms: [SignatureScheme]? = nil
    /// ALPN protocol names, most preferred first, each 1…255 bytes of UTF-8 (RFC 7301). Empty: ALPN is not used.
    public var applicationProtocols: [String] = []
    /// RFC 8449 record_size_limit to announce, at least 64 (nil: not sent). We always honour the peer's.
    public var recordSizeLimit: UInt16? = nil
    /// TLS 1.2 and TLS 1.3 by default; the highest version both sides support is chosen.
    public var minimumVersion: ProtocolVersion = .tls12
    /// The highest version offered or accepted (`.tls13` by default; `.tls12` turns TLS 1.3 off).
    public var maximumVersion: ProtocolVersion = .tls13
    /// How far below TLS 1.2 `minimumVersion` may go; nil, the default, keeps it at TLS 1.2 or above (RFC 8996).
    /// **Insecure** (see `InsecureLegacyVersions` for why): with it set and `minimumVersion` at `.tls11` or `.tls10`,
    /// the client also offers those versions, the ECDHE AES-CBC suites (after the configured ones; the SHA-256/384
    /// ones for TLS 1.2 only; no ECDHE_RSA SHA-1 suite, which TLS 1.0/1.1 would sign with RSA over MD5 ‖ SHA-1, that
    /// we cannot verify), then the static RSA key-exchange suites, and encrypt_then_mac; the server accepts those
    /// versions from a client with nothing better, with ECDHE suites only (never static RSA: Bleichenbacher, ROBOT).
    /// TLS 1.0/1.1 connections are never resumed and do not do client certificates.
    public var insecureLegacyVersions: InsecureLegacyVersions? = nil
    /// TLS 1.2 only: refuse a peer that does not negotiate the RFC 7627 extended master secret (handshake_failure).
    /// We always offer it (client) and accept it (server). By default a full handshake without it is accepted, as
    /// rustls, BoringSSL, OpenSSL, Go and NSS do, so that older peers can connect; such a connection is never resumed
    /// (its session is neither cached nor offered) and refuses `exportKeyingMaterial` unless
    /// `allowKeyingMaterialExportWithoutExtendedMasterSecret` is set. `NegotiatedParameters.extendedMasterSecret`
    /// tells which one you got.
    public var requireExtendedMasterSecret = false
    /// TLS 1.2 only: let `TLSConnection.exportKeyingMaterial` work on a connection without the extended master
    /// secret. Off by default: without it the master secret is not bound to the handshake (the triple-handshake
    /// attack), so a man in the middle can give two connections the same exported keys. RFC 7627 §5.4 says such a
    /// connection MUST disable RFC 5705 exporters, and RFC 9266 §3 forbids tls-exporter channel bindings on it. Turn
    /// on only for a legacy protocol whose security does not rest on exported keys being unique to the connection.
    public var allowKeyingMaterialExportWithoutExtendedMasterSecret = false
    /// TLS 1.3 record padding: each protected record's plaintext is padded with zeros to a multiple of this size
    /// (1…16,384; nil: no padding). Hides exact lengths at the cost of bandwidth.
    public var recordPaddingBlockSize: Int? = nil
    /// TLS 1.3 resumption modes, in preference order. psk_ke (`.pskOnly`) gives up forward secrecy; add it only if
    /// you need it.
    public var pskKeyExchangeModes: [PSKKeyExchangeMode] = [.pskWithDHE]
    /// Largest handshake message accepted from the peer (1…2^24-1 bytes).
    public var maxHandshakeMessageSize: Int = 64 * 1024
    /// Most bytes the connection buffers from the peer while a certificate verification is pending (records behind
    /// the peer's Certificate wait until the verdict is in). More fails the connection with internal_error. At least
    /// 16,645 bytes (one largest record); the default, 256 KiB, holds the rest of any handshake flight and a good
    /// amount of early application data. Drivers should stop reading while `pendingVerification` is set (the NIO
    /// handler does); this cap is for those that do not.
    public var maxBufferedInputWhileVerifying: Int = 256 * 1024
    /// Receives NSS key-log lines (SSLKEYLOGFILE format). The only way a secret leaves the engine.
    public var keyLog: (@Sendable (String) -> Void)? = nil
    /// The crypto seam. Swap for a faster or instrumented implementation.
    public var cryptoProvider: any CryptoProvider = SwiftCryptoProvider()
    /// Where every random byte comes from. Inject a seeded source to make a handshake reproducible.
    public var randomSource: any RandomSource = SystemRandomSource()
    /// The clock (certificate validity, ticket ages). Injected so tests are reproducible.
    public var now: @Sendable () -> Date = { Date() }

    /// The defaults: TLS 1.3 and 1.2, every supported suite, group and scheme, swift-crypto, the system CSPRNG.
    public init() {}
}

/// How a client connects: what it offers, how it verifies the server, what it remembers for resumption.
///
/// A value type: configure one, then make connections from it (`TLSConnection(client:serverName:)`, or once
/// through a `TLSKitContext` with SwiftNIO). Reference-typed members (`sessionCache`) are shared by copies.
public struct TLSClientConfiguration: Sendable {
    /// Settings both roles share (versions, suites, groups, ALPN, sizes, seams).
    public var common = TLSCommonConfiguration()
    /// How the server's chain is verified. Default: the system trust store, with hostname checks.
    public var peerVerification: PeerVerification = .systemTrustRoots
    /// Skip checking that the server's certificate is valid for the name we connect to: any certificate that
    /// chains to a trusted root is accepted, whatever name it was issued for. The chain itself is still verified.
    ///
    /// Off by default, and the only way to connect without a server name: `TLSConnection(client:serverName: nil)`
    /// throws unless this is set (or verification is off entirely with `.insecureNoVerification`). When set, a
    /// given server name is still sent as SNI but not checked. Use it only when the peer is identified some other
    /// way (a private root that issues one certificate, a custom verifier pinning a key); otherwise anyone holding
    /// a certificate from the same roots can impersonate the server.
    public var insecureSkipServerIdentityCheck = false
    /// Our certificate and key, offered if the server asks for one. Without it we answer with an empty Certificate.
    public var certificate: CertifiedKey? = nil
    /// Groups we send key shares for in the first ClientHello (nil: the first preferred group, plus X25519 when
    /// the first is the X25519MLKEM768 hybrid, as browsers do).
    public var keyShareGroups: [NamedGroup]? = nil
    /// RFC 8446 §D.4 middlebox compatibility mode: a fake session ID and a change_cipher_spec before the second flight.
    public var middleboxCompatibility = true
    /// RFC 8701 GREASE values in the ClientHello.
    public var grease = true
    /// Where session tickets are kept for resumption (share one cache between connections; nil: no resumption).
    public var sessionCache: ClientSessionCache? = nil
    /// Offer TLS 1.3 early data (0-RTT) when resuming with a ticket that allows it. Even then nothing is sent early
    /// unless you call `TLSConnection.sendEarlyData(_:)`: early data can be replayed by an attacker, so only send
    /// requests that are safe to repeat.
    public var enableEarlyData = false
    /// Ask the server to staple an OCSP response (status_request, RFC 6066 §8). A stapled response is passed to the
    /// verifier (`PeerVerificationRequest.stapledOCSPResponse`); `X509CertificateVerifier` checks it.
    public var requestOCSPStapling = true

    /// Test seam: reshape the ClientHello before padding and sending (the flag is true for the retry after a
    /// HelloRetryRequest). Used to replay other implementations' traces byte for byte; the engine still enforces
    /// every rule against whatever was actually sent.
    var clientHelloCustomizer: (@Sendable (inout ClientHello, _ isRetry: Bool) -> Void)? = nil

    /// The defaults: system trust roots with server identity checks, no client certificate, no resumption cache.
    public init() {}
}

/// Whether and how the server asks for a client certificate.
public enum ClientAuthentication: Sendable {
    /// Do not ask for a client certificate (the default).
    case none
    /// Ask; accept an empty answer; verify what is sent.
    case optional(PeerVerification)
    /// Ask and require a verified certificate (certificate_required otherwise).
    case required(PeerVerification)
}

/// How a server accepts connections: its certificates, client authentication, tickets and 0-RTT.
///
/// A value type; reference-typed members (ticket keys, replay guard, session-ID cache) are shared by copies, so
/// every connection made from one configuration (or one `TLSKitContext`) shares them.
public struct TLSServerConfiguration: Sendable {
    /// Settings both roles share (versions, suites, groups, ALPN, sizes, seams).
    public var common = TLSCommonConfiguration()
    /// The default identity.
    public var certificate: CertifiedKey?
    /// Picks an identity by the client's server_name (nil name: no SNI). Return nil to fall back to `certificate`.
    public var certificateSelector: (@Sendable (String?) -> CertifiedKey?)? = nil
    /// Whether the server asks for, or requires, a client certificate, and how it verifies one (`.none` by default).
    public var clientAuthentication: ClientAuthentication = .none
    /// Pick the server's most preferred group even when that costs a HelloRetryRequest. By default the server
    /// takes the best group the client already sent a key share for.
    public var enforceGroupPreference = false
    /// Honour our own cipher suite order (true) or the client's (false).
    public var preferServerCipherOrder = true
    /// Keys that seal stateless session tickets (nil: no tickets, no resumption). A fresh random ring is made per
    /// configuration value; copies of the configuration share it. Share one ring (or its key file) across a fleet.
    public var sessionTicketKeys: TicketKeyRing? = TicketKeyRing()
    /// TLS 1.3 NewSessionTicket messages sent after each full handshake (RFC 8446 §4.6.1), 0…16.
    public var ticketsPerHandshake = 2
    /// How long a ticket may be used, in seconds (at most seven days).
    public var ticketLifetime: UInt32 = 7200
    /// TLS 1.3 0-RTT: the most early data accepted per connection (0: early data is never accepted). Early data
    /// arrives through `TLSConnection.takeEarlyData()`, apart from ordinary data, because it may be a replay.
    public var maxEarlyDataSize: UInt32 = 0
    /// Remembers which tickets already carried early data, so each is accepted once (shared by configuration copies).
    public var earlyDataReplayGuard = EarlyDataReplayGuard()
    /// How far the client's view of a ticket's age may differ from ours before early data is refused (RFC 8446 §8.3),
    /// in seconds (finite, 0 or more).
    public var earlyDataAgeTolerance: TimeInterval = 10
    /// TLS 1.3 0.5-RTT data (RFC 8446 §2.3): application data written before the handshake completes goes out right
    /// after our Finished instead of waiting for the client's — a round trip sooner for server-speaks-first protocols
    /// or answers to 0-RTT requests. It is sent before the client has confirmed the handshake (its Finished), so off
    /// by default, as in rustls; never used when a client certificate is requested.
    public var sendHalfRTTData = false
    /// TLS 1.2 session IDs (nil: no session-ID resumption; tickets still work). Shared by copies of the configuration.
    public var sessionIDCache: ServerSessionCache? = ServerSessionCache()

    /// Test seams: extra EncryptedExtensions and a fixed HelloRetryRequest cookie, to replay RFC 8448 byte for byte.
    var encryptedExtensionsCustomizer: (@Sendable (inout [Extension]) -> Void)? = nil
    var helloRetryCookie: [UInt8]? = nil

    /// A server with one identity.
    public init(certificate: CertifiedKey) {
        self.certificate = certificate
    }

    /// A server that picks its identity by the client's server_name (nil: no SNI); `fallback` answers when the
    /// selector returns nil (without one, such a client gets unrecognized_name). A server configuration cannot be
    /// made without an identity: these two initializers are the only ways.
    public init(certificateSelector: @escaping @Sendable (String?) -> CertifiedKey?, fallback: CertifiedKey? = nil) {
        self.certificate = fallback
        self.certificateSelector = certificateSelector
    }
}
