// IANA code points as open structs: unknown values from a peer are representable (and ignorable),
// while the names TLSKit knows print readably.

public struct ProtocolVersion: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ssl3 = ProtocolVersion(rawValue: 0x0300)
    public static let tls10 = ProtocolVersion(rawValue: 0x0301)
    public static let tls11 = ProtocolVersion(rawValue: 0x0302)
    public static let tls12 = ProtocolVersion(rawValue: 0x0303)
    public static let tls13 = ProtocolVersion(rawValue: 0x0304)

    public static func < (a: ProtocolVersion, b: ProtocolVersion) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .ssl3: return "SSLv3"
        case .tls10: return "TLSv1.0"
        case .tls11: return "TLSv1.1"
        case .tls12: return "TLSv1.2"
        case .tls13: return "TLSv1.3"
        default: return hexName(rawValue)
        }
    }
}

package enum ContentType: UInt8, Sendable, CustomStringConvertible {
    case changeCipherSpec = 20
    case alert = 21
    case handshake = 22
    case applicationData = 23

    public var description: String {
        switch self {
        case .changeCipherSpec: return "change_cipher_spec"
        case .alert: return "alert"
        case .handshake: return "handshake"
        case .applicationData: return "application_data"
        }
    }
}

public enum HandshakeType: UInt8, Sendable, CustomStringConvertible {
    case helloRequest = 0
    case clientHello = 1
    case serverHello = 2
    case newSessionTicket = 4
    case endOfEarlyData = 5
    case encryptedExtensions = 8
    case certificate = 11
    case serverKeyExchange = 12
    case certificateRequest = 13
    case serverHelloDone = 14
    case certificateVerify = 15
    case clientKeyExchange = 16
    case finished = 20
    /// TLS 1.2 only (RFC 6066 §8); TLS 1.3 carries the status in the Certificate message.
    case certificateStatus = 22
    case keyUpdate = 24
    case messageHash = 254

    public var description: String {
        switch self {
        case .helloRequest: return "HelloRequest"
        case .clientHello: return "ClientHello"
        case .serverHello: return "ServerHello"
        case .newSessionTicket: return "NewSessionTicket"
        case .endOfEarlyData: return "EndOfEarlyData"
        case .encryptedExtensions: return "EncryptedExtensions"
        case .certificate: return "Certificate"
        case .serverKeyExchange: return "ServerKeyExchange"
        case .certificateRequest: return "CertificateRequest"
        case .serverHelloDone: return "ServerHelloDone"
        case .certificateVerify: return "CertificateVerify"
        case .clientKeyExchange: return "ClientKeyExchange"
        case .finished: return "Finished"
        case .certificateStatus: return "CertificateStatus"
        case .keyUpdate: return "KeyUpdate"
        case .messageHash: return "message_hash"
        }
    }
}

public enum AlertLevel: UInt8, Sendable {
    case warning = 1
    case fatal = 2
}

public struct AlertDescription: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let closeNotify = AlertDescription(rawValue: 0)
    public static let unexpectedMessage = AlertDescription(rawValue: 10)
    public static let badRecordMAC = AlertDescription(rawValue: 20)
    public static let recordOverflow = AlertDescription(rawValue: 22)
    public static let handshakeFailure = AlertDescription(rawValue: 40)
    /// SSL 3.0's no_certificate warning (RFC 6101 §5.6.6), reserved since TLS 1.0: only our SSL 3.0 client sends it.
    package static let noCertificateSSL3 = AlertDescription(rawValue: 41)
    public static let badCertificate = AlertDescription(rawValue: 42)
    public static let unsupportedCertificate = AlertDescription(rawValue: 43)
    public static let certificateRevoked = AlertDescription(rawValue: 44)
    public static let certificateExpired = AlertDescription(rawValue: 45)
    public static let certificateUnknown = AlertDescription(rawValue: 46)
    public static let illegalParameter = AlertDescription(rawValue: 47)
    public static let unknownCA = AlertDescription(rawValue: 48)
    public static let accessDenied = AlertDescription(rawValue: 49)
    public static let decodeError = AlertDescription(rawValue: 50)
    public static let decryptError = AlertDescription(rawValue: 51)
    public static let protocolVersion = AlertDescription(rawValue: 70)
    public static let insufficientSecurity = AlertDescription(rawValue: 71)
    public static let internalError = AlertDescription(rawValue: 80)
    public static let inappropriateFallback = AlertDescription(rawValue: 86)
    public static let userCanceled = AlertDescription(rawValue: 90)
    public static let noRenegotiation = AlertDescription(rawValue: 100)
    public static let missingExtension = AlertDescription(rawValue: 109)
    public static let unsupportedExtension = AlertDescription(rawValue: 110)
    public static let unrecognizedName = AlertDescription(rawValue: 112)
    public static let badCertificateStatusResponse = AlertDescription(rawValue: 113)
    public static let unknownPSKIdentity = AlertDescription(rawValue: 115)
    public static let certificateRequired = AlertDescription(rawValue: 116)
    public static let noApplicationProtocol = AlertDescription(rawValue: 120)

    public var description: String {
        switch self {
        case .closeNotify: return "close_notify"
        case .unexpectedMessage: return "unexpected_message"
        case .badRecordMAC: return "bad_record_mac"
        case .recordOverflow: return "record_overflow"
        case .handshakeFailure: return "handshake_failure"
        case .badCertificate: return "bad_certificate"
        case .unsupportedCertificate: return "unsupported_certificate"
        case .certificateRevoked: return "certificate_revoked"
        case .certificateExpired: return "certificate_expired"
        case .certificateUnknown: return "certificate_unknown"
        case .illegalParameter: return "illegal_parameter"
        case .unknownCA: return "unknown_ca"
        case .accessDenied: return "access_denied"
        case .decodeError: return "decode_error"
        case .decryptError: return "decrypt_error"
        case .protocolVersion: return "protocol_version"
        case .insufficientSecurity: return "insufficient_security"
        case .internalError: return "internal_error"
        case .inappropriateFallback: return "inappropriate_fallback"
        case .userCanceled: return "user_canceled"
        case .noRenegotiation: return "no_renegotiation"
        case .missingExtension: return "missing_extension"
        case .unsupportedExtension: return "unsupported_extension"
        case .unrecognizedName: return "unrecognized_name"
        case .badCertificateStatusResponse: return "bad_certificate_status_response"
        case .unknownPSKIdentity: return "unknown_psk_identity"
        case .certificateRequired: return "certificate_required"
        case .noApplicationProtocol: return "no_application_protocol"
        default: return "alert(\(rawValue))"
        }
    }
}

public struct CipherSuite: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    // TLS 1.3 (RFC 8446 §B.4)
    public static let TLS_AES_128_GCM_SHA256 = CipherSuite(rawValue: 0x1301)
    public static let TLS_AES_256_GCM_SHA384 = CipherSuite(rawValue: 0x1302)
    public static let TLS_CHACHA20_POLY1305_SHA256 = CipherSuite(rawValue: 0x1303)
    // TLS 1.2 ECDHE with AEAD (RFC 5289, RFC 7905)
    public static let TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = CipherSuite(rawValue: 0xC02B)
    public static let TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = CipherSuite(rawValue: 0xC02C)
    public static let TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = CipherSuite(rawValue: 0xC02F)
    public static let TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = CipherSuite(rawValue: 0xC030)
    public static let TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = CipherSuite(rawValue: 0xCCA8)
    public static let TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = CipherSuite(rawValue: 0xCCA9)
    // ECDHE with AES-CBC + HMAC, for TLS 1.0–1.2 (RFC 4492 §6) and TLS 1.2 only (RFC 5289 §3.1); legacy use only
    public static let TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = CipherSuite(rawValue: 0xC009)
    public static let TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = CipherSuite(rawValue: 0xC00A)
    public static let TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = CipherSuite(rawValue: 0xC013)
    public static let TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = CipherSuite(rawValue: 0xC014)
    public static let TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 = CipherSuite(rawValue: 0xC023)
    public static let TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 = CipherSuite(rawValue: 0xC024)
    public static let TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = CipherSuite(rawValue: 0xC027)
    public static let TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 = CipherSuite(rawValue: 0xC028)
    // Static RSA key exchange (RFC 5246 §A.5, RFC 5288): offered by a legacy-enabled client only, never selected by
    // a TLSKit server (it never decrypts an RSA premaster: Bleichenbacher, ROBOT)
    public static let TLS_RSA_WITH_AES_128_CBC_SHA = CipherSuite(rawValue: 0x002F)
    public static let TLS_RSA_WITH_AES_256_CBC_SHA = CipherSuite(rawValue: 0x0035)
    public static let TLS_RSA_WITH_AES_128_CBC_SHA256 = CipherSuite(rawValue: 0x003C)
    public static let TLS_RSA_WITH_AES_128_GCM_SHA256 = CipherSuite(rawValue: 0x009C)
    public static let TLS_RSA_WITH_AES_256_GCM_SHA384 = CipherSuite(rawValue: 0x009D)
    // Signalling values
    public static let TLS_EMPTY_RENEGOTIATION_INFO_SCSV = CipherSuite(rawValue: 0x00FF)
    public static let TLS_FALLBACK_SCSV = CipherSuite(rawValue: 0x5600)

    public var isTLS13: Bool { rawValue >> 8 == 0x13 }

    public var description: String {
        switch self {
        case .TLS_AES_128_GCM_SHA256: return "TLS_AES_128_GCM_SHA256"
        case .TLS_AES_256_GCM_SHA384: return "TLS_AES_256_GCM_SHA384"
        case .TLS_CHACHA20_POLY1305_SHA256: return "TLS_CHACHA20_POLY1305_SHA256"
        case .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: return "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        case .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: return "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
        case .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: return "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        case .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: return "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        case .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: return "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        case .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: return "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        case .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: return "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"
        case .TLS_RSA_WITH_AES_128_CBC_SHA: return "TLS_RSA_WITH_AES_128_CBC_SHA"
        case .TLS_RSA_WITH_AES_256_CBC_SHA: return "TLS_RSA_WITH_AES_256_CBC_SHA"
        case .TLS_RSA_WITH_AES_128_CBC_SHA256: return "TLS_RSA_WITH_AES_128_CBC_SHA256"
        case .TLS_RSA_WITH_AES_128_GCM_SHA256: return "TLS_RSA_WITH_AES_128_GCM_SHA256"
        case .TLS_RSA_WITH_AES_256_GCM_SHA384: return "TLS_RSA_WITH_AES_256_GCM_SHA384"
        case .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: return "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"
        case .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: return "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"
        case .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: return "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"
        case .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: return "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"
        case .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: return "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"
        case .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: return "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"
        case .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: return "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"
        case .TLS_EMPTY_RENEGOTIATION_INFO_SCSV: return "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
        case .TLS_FALLBACK_SCSV: return "TLS_FALLBACK_SCSV"
        default: return hexName(rawValue)
        }
    }
}

public struct NamedGroup: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let secp256r1 = NamedGroup(rawValue: 0x0017)
    public static let secp384r1 = NamedGroup(rawValue: 0x0018)
    public static let secp521r1 = NamedGroup(rawValue: 0x0019)
    public static let x25519 = NamedGroup(rawValue: 0x001D)
    public static let x448 = NamedGroup(rawValue: 0x001E)
    public static let ffdhe2048 = NamedGroup(rawValue: 0x0100)
    public static let ffdhe3072 = NamedGroup(rawValue: 0x0101)
    public static let ffdhe4096 = NamedGroup(rawValue: 0x0102)
    public static let ffdhe6144 = NamedGroup(rawValue: 0x0103)
    public static let ffdhe8192 = NamedGroup(rawValue: 0x0104)
    public static let X25519MLKEM768 = NamedGroup(rawValue: 0x11EC)

    public var description: String {
        switch self {
        case .secp256r1: return "secp256r1"
        case .secp384r1: return "secp384r1"
        case .secp521r1: return "secp521r1"
        case .x25519: return "X25519"
        case .x448: return "X448"
        case .ffdhe2048: return "ffdhe2048"
        case .ffdhe3072: return "ffdhe3072"
        case .ffdhe4096: return "ffdhe4096"
        case .ffdhe6144: return "ffdhe6144"
        case .ffdhe8192: return "ffdhe8192"
        case .X25519MLKEM768: return "X25519MLKEM768"
        default: return isGREASE ? "GREASE(\(hexName(rawValue)))" : hexName(rawValue)
        }
    }

    public var isGREASE: Bool { Grease.isGrease(rawValue) }
}

public struct SignatureScheme: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let rsa_pkcs1_sha1 = SignatureScheme(rawValue: 0x0201)
    public static let ecdsa_sha1 = SignatureScheme(rawValue: 0x0203)
    public static let rsa_pkcs1_sha256 = SignatureScheme(rawValue: 0x0401)
    public static let rsa_pkcs1_sha384 = SignatureScheme(rawValue: 0x0501)
    public static let rsa_pkcs1_sha512 = SignatureScheme(rawValue: 0x0601)
    public static let ecdsa_secp256r1_sha256 = SignatureScheme(rawValue: 0x0403)
    public static let ecdsa_secp384r1_sha384 = SignatureScheme(rawValue: 0x0503)
    public static let ecdsa_secp521r1_sha512 = SignatureScheme(rawValue: 0x0603)
    public static let rsa_pss_rsae_sha256 = SignatureScheme(rawValue: 0x0804)
    public static let rsa_pss_rsae_sha384 = SignatureScheme(rawValue: 0x0805)
    public static let rsa_pss_rsae_sha512 = SignatureScheme(rawValue: 0x0806)
    public static let ed25519 = SignatureScheme(rawValue: 0x0807)
    public static let ed448 = SignatureScheme(rawValue: 0x0808)
    public static let rsa_pss_pss_sha256 = SignatureScheme(rawValue: 0x0809)
    public static let rsa_pss_pss_sha384 = SignatureScheme(rawValue: 0x080A)
    public static let rsa_pss_pss_sha512 = SignatureScheme(rawValue: 0x080B)

    public var description: String {
        switch self {
        case .rsa_pkcs1_sha1: return "rsa_pkcs1_sha1"
        case .ecdsa_sha1: return "ecdsa_sha1"
        case .rsa_pkcs1_sha256: return "rsa_pkcs1_sha256"
        case .rsa_pkcs1_sha384: return "rsa_pkcs1_sha384"
        case .rsa_pkcs1_sha512: return "rsa_pkcs1_sha512"
        case .ecdsa_secp256r1_sha256: return "ecdsa_secp256r1_sha256"
        case .ecdsa_secp384r1_sha384: return "ecdsa_secp384r1_sha384"
        case .ecdsa_secp521r1_sha512: return "ecdsa_secp521r1_sha512"
        case .rsa_pss_rsae_sha256: return "rsa_pss_rsae_sha256"
        case .rsa_pss_rsae_sha384: return "rsa_pss_rsae_sha384"
        case .rsa_pss_rsae_sha512: return "rsa_pss_rsae_sha512"
        case .ed25519: return "ed25519"
        case .ed448: return "ed448"
        case .rsa_pss_pss_sha256: return "rsa_pss_pss_sha256"
        case .rsa_pss_pss_sha384: return "rsa_pss_pss_sha384"
        case .rsa_pss_pss_sha512: return "rsa_pss_pss_sha512"
        default: return hexName(rawValue)
        }
    }
}

package struct ExtensionType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let serverName = ExtensionType(rawValue: 0)
    public static let maxFragmentLength = ExtensionType(rawValue: 1)
    public static let statusRequest = ExtensionType(rawValue: 5)
    public static let supportedGroups = ExtensionType(rawValue: 10)
    public static let ecPointFormats = ExtensionType(rawValue: 11)
    public static let signatureAlgorithms = ExtensionType(rawValue: 13)
    public static let useSRTP = ExtensionType(rawValue: 14)
    public static let heartbeat = ExtensionType(rawValue: 15)
    public static let alpn = ExtensionType(rawValue: 16)
    public static let signedCertificateTimestamp = ExtensionType(rawValue: 18)
    public static let clientCertificateType = ExtensionType(rawValue: 19)
    public static let serverCertificateType = ExtensionType(rawValue: 20)
    public static let padding = ExtensionType(rawValue: 21)
    public static let encryptThenMAC = ExtensionType(rawValue: 22)
    public static let extendedMasterSecret = ExtensionType(rawValue: 23)
    public static let recordSizeLimit = ExtensionType(rawValue: 28)
    public static let sessionTicket = ExtensionType(rawValue: 35)
    public static let preSharedKey = ExtensionType(rawValue: 41)
    public static let earlyData = ExtensionType(rawValue: 42)
    public static let supportedVersions = ExtensionType(rawValue: 43)
    public static let cookie = ExtensionType(rawValue: 44)
    public static let pskKeyExchangeModes = ExtensionType(rawValue: 45)
    public static let certificateAuthorities = ExtensionType(rawValue: 47)
    public static let oidFilters = ExtensionType(rawValue: 48)
    public static let postHandshakeAuth = ExtensionType(rawValue: 49)
    public static let signatureAlgorithmsCert = ExtensionType(rawValue: 50)
    public static let keyShare = ExtensionType(rawValue: 51)
    public static let renegotiationInfo = ExtensionType(rawValue: 0xFF01)

    public var isGREASE: Bool { Grease.isGrease(rawValue) }

    public var description: String {
        switch self {
        case .serverName: return "server_name"
        case .supportedGroups: return "supported_groups"
        case .ecPointFormats: return "ec_point_formats"
        case .signatureAlgorithms: return "signature_algorithms"
        case .alpn: return "application_layer_protocol_negotiation"
        case .extendedMasterSecret: return "extended_master_secret"
        case .recordSizeLimit: return "record_size_limit"
        case .sessionTicket: return "session_ticket"
        case .preSharedKey: return "pre_shared_key"
        case .earlyData: return "early_data"
        case .supportedVersions: return "supported_versions"
        case .cookie: return "cookie"
        case .pskKeyExchangeModes: return "psk_key_exchange_modes"
        case .certificateAuthorities: return "certificate_authorities"
        case .postHandshakeAuth: return "post_handshake_auth"
        case .signatureAlgorithmsCert: return "signature_algorithms_cert"
        case .keyShare: return "key_share"
        case .renegotiationInfo: return "renegotiation_info"
        default: return isGREASE ? "GREASE(\(hexName(rawValue)))" : "extension(\(rawValue))"
        }
    }
}

/// RFC 8701 GREASE: 0x0A0A, 0x1A1A, …, 0xFAFA.
package enum Grease {
    public static func isGrease(_ value: UInt16) -> Bool {
        value & 0x0F0F == 0x0A0A && (value >> 8) == (value & 0xFF)
    }

    /// The GREASE value for a random byte (the high nibble picks one of the sixteen).
    public static func value(from randomByte: UInt8) -> UInt16 {
        let nibble = UInt16(randomByte >> 4)
        return (nibble << 12) | 0x0A00 | (nibble << 4) | 0x0A
    }
}

@usableFromInline func hexName(_ value: UInt16) -> String {
    let hex = String(value, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}
