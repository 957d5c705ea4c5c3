// Typed TLS handshake messages (RFC 8446 §4, App. B). Each type has `encode(into:)` writing the message
// BODY (without the 4-byte handshake header) and `init(decoding:)` reading a body from a ByteReader that
// covers exactly the body; decoders call `expectEmpty` so trailing bytes are a decode_error.
// `HandshakeMessage` adds/strips the handshake header.


/// A KeyShareEntry (RFC 8446 §4.2.8).
package struct KeyShareEntry: Hashable, Sendable {
    package var group: NamedGroup
    package var keyExchange: [UInt8]
    package init(group: NamedGroup, keyExchange: [UInt8]) {
        self.group = group
        self.keyExchange = keyExchange
    }
}

/// One PskIdentity of the pre_shared_key extension (RFC 8446 §4.2.11).
package struct PSKIdentity: Hashable, Sendable {
    package var identity: [UInt8]
    package var obfuscatedTicketAge: UInt32
    package init(identity: [UInt8], obfuscatedTicketAge: UInt32) {
        self.identity = identity
        self.obfuscatedTicketAge = obfuscatedTicketAge
    }
}

/// The message an extension block appears in: the same extension type has different bodies in
/// different messages (e.g. key_share in ClientHello, ServerHello and HelloRetryRequest).
package enum ExtensionContext: Sendable {
    case clientHello
    case serverHello
    case helloRetryRequest
    case encryptedExtensions
    case certificateRequest
    case certificate
    case newSessionTicket
}

/// A typed extension. Extensions TLSKit does not understand (including GREASE) decode as `.unknown`
/// and are ignored by the state machines; that is the RFC 8446 §4.2 / RFC 8701 rule.
package enum Extension: Hashable, Sendable {
    /// server_name: ClientHello carries a host name; EncryptedExtensions/ServerHello carry an empty body (nil).
    case serverName(String?)
    case supportedGroups([NamedGroup])
    case signatureAlgorithms([SignatureScheme])
    case signatureAlgorithmsCert([SignatureScheme])
    /// ALPN protocol names. In ClientHello a list; in EncryptedExtensions exactly one name.
    case alpn([[UInt8]])
    /// supported_versions in ClientHello (a list).
    case supportedVersionsClient([ProtocolVersion])
    /// supported_versions in ServerHello / HelloRetryRequest (one version).
    case supportedVersionsServer(ProtocolVersion)
    case keyShareClient([KeyShareEntry])
    case keyShareServer(KeyShareEntry)
    case keyShareHelloRetryRequest(NamedGroup)
    case cookie([UInt8])
    /// psk_key_exchange_modes: 0 = psk_ke, 1 = psk_dhe_ke.
    case pskKeyExchangeModes([UInt8])
    /// pre_shared_key in ClientHello: identities and binders (must be the last extension).
    case preSharedKeyClient(identities: [PSKIdentity], binders: [[UInt8]])
    /// pre_shared_key in ServerHello: the selected identity index.
    case preSharedKeyServer(selectedIdentity: UInt16)
    /// early_data: empty in ClientHello and EncryptedExtensions (nil); max_early_data_size in NewSessionTicket.
    case earlyData(maxEarlyDataSize: UInt32?)
    case recordSizeLimit(UInt16)
    case renegotiationInfo([UInt8])
    case extendedMasterSecret
    case sessionTicket([UInt8])
    case ecPointFormats([UInt8])
    /// certificate_authorities: DER distinguished names.
    case certificateAuthorities([[UInt8]])
    case postHandshakeAuth
    /// status_request (OCSP): kept opaque here.
    case statusRequest([UInt8])
    case padding(Int)
    case unknown(ExtensionType, [UInt8])

    package var type: ExtensionType {
        switch self {
        case .serverName: return .serverName
        case .supportedGroups: return .supportedGroups
        case .signatureAlgorithms: return .signatureAlgorithms
        case .signatureAlgorithmsCert: return .signatureAlgorithmsCert
        case .alpn: return .alpn
        case .supportedVersionsClient, .supportedVersionsServer: return .supportedVersions
        case .keyShareClient, .keyShareServer, .keyShareHelloRetryRequest: return .keyShare
        case .cookie: return .cookie
        case .pskKeyExchangeModes: return .pskKeyExchangeModes
        case .preSharedKeyClient, .preSharedKeyServer: return .preSharedKey
        case .earlyData: return .earlyData
        case .recordSizeLimit: return .recordSizeLimit
        case .renegotiationInfo: return .renegotiationInfo
        case .extendedMasterSecret: return .extendedMasterSecret
        case .sessionTicket: return .sessionTicket
        case .ecPointFormats: return .ecPointFormats
        case .certificateAuthorities: return .certificateAuthorities
        case .postHandshakeAuth: return .postHandshakeAuth
        case .statusRequest: return .statusRequest
        case .padding: return .padding
        case .unknown(let type, _): return type
        }
    }
}

package struct ClientHello: Hashable, Sendable {
    package var legacyVersion: ProtocolVersion
    package var random: [UInt8]              // 32 bytes
    package var legacySessionID: [UInt8]     // 0...32 bytes
    package var cipherSuites: [CipherSuite]  // non-empty
    package var legacyCompressionMethods: [UInt8]  // non-empty
    package var extensions: [Extension]

    package init(legacyVersion: ProtocolVersion = .tls12, random: [UInt8], legacySessionID: [UInt8],
                cipherSuites: [CipherSuite], legacyCompressionMethods: [UInt8] = [0], extensions: [Extension]) {
        self.legacyVersion = legacyVersion
        self.random = random
        self.legacySessionID = legacySessionID
        self.cipherSuites = cipherSuites
        self.legacyCompressionMethods = legacyCompressionMethods
        self.extensions = extensions
    }
}

/// ServerHello; a HelloRetryRequest is a ServerHello whose random is the special value (RFC 8446 §4.1.3).
/// The decoder picks the extension context from the random, so HRR extensions decode as HRR forms.
package struct ServerHello: Hashable, Sendable {
    package var legacyVersion: ProtocolVersion
    package var random: [UInt8]
    package var legacySessionIDEcho: [UInt8]
    package var cipherSuite: CipherSuite
    package var legacyCompressionMethod: UInt8
    package var extensions: [Extension]

    /// SHA-256("HelloRetryRequest").
    package static let helloRetryRequestRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    package var isHelloRetryRequest: Bool { random == ServerHello.helloRetryRequestRandom }

    package init(legacyVersion: ProtocolVersion = .tls12, random: [UInt8], legacySessionIDEcho: [UInt8],
                cipherSuite: CipherSuite, legacyCompressionMethod: UInt8 = 0, extensions: [Extension]) {
        self.legacyVersion = legacyVersion
        self.random = random
        self.legacySessionIDEcho = legacySessionIDEcho
        self.cipherSuite = cipherSuite
        self.legacyCompressionMethod = legacyCompressionMethod
        self.extensions = extensions
    }
}

package struct EncryptedExtensions: Hashable, Sendable {
    package var extensions: [Extension]
    package init(extensions: [Extension]) { self.extensions = extensions }
}

package struct CertificateRequest: Hashable, Sendable {
    package var certificateRequestContext: [UInt8]
    package var extensions: [Extension]   // must include signature_algorithms
    package init(certificateRequestContext: [UInt8], extensions: [Extension]) {
        self.certificateRequestContext = certificateRequestContext
        self.extensions = extensions
    }
}

/// TLS 1.3 Certificate (RFC 8446 §4.4.2).
package struct CertificateMessage: Hashable, Sendable {
    package struct Entry: Hashable, Sendable {
        package var certificateDER: [UInt8]   // non-empty
        package var extensions: [Extension]
        package init(certificateDER: [UInt8], extensions: [Extension] = []) {
            self.certificateDER = certificateDER
            self.extensions = extensions
        }
    }
    package var certificateRequestContext: [UInt8]
    package var entries: [Entry]
    package init(certificateRequestContext: [UInt8], entries: [Entry]) {
        self.certificateRequestContext = certificateRequestContext
        self.entries = entries
    }
}

package struct CertificateVerify: Hashable, Sendable {
    package var algorithm: SignatureScheme
    package var signature: [UInt8]
    package init(algorithm: SignatureScheme, signature: [UInt8]) {
        self.algorithm = algorithm
        self.signature = signature
    }
}

package struct Finished: Hashable, Sendable {
    package var verifyData: [UInt8]   // the whole body; its length is Hash.length (checked by the engine)
    package init(verifyData: [UInt8]) { self.verifyData = verifyData }
}

/// TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1).
/// Part of TLSKit's public API (`TLSEvent.newSessionTicket`); its extensions stay internal to the package.
public struct NewSessionTicket: Hashable, Sendable {
    /// Seconds the ticket may be used for resumption (RFC 8446 §4.6.1; at most seven days).
    public var ticketLifetime: UInt32
    /// The value the client adds to the ticket's age, to obscure it.
    public var ticketAgeAdd: UInt32
    /// Distinguishes the tickets of one connection.
    public var ticketNonce: [UInt8]   // 0...255
    /// The opaque ticket (for TLSKit servers: the sealed session state).
    public var ticket: [UInt8]        // 1...2^16-1
    package var extensions: [Extension]
    package init(ticketLifetime: UInt32, ticketAgeAdd: UInt32, ticketNonce: [UInt8], ticket: [UInt8], extensions: [Extension]) {
        self.ticketLifetime = ticketLifetime
        self.ticketAgeAdd = ticketAgeAdd
        self.ticketNonce = ticketNonce
        self.ticket = ticket
        self.extensions = extensions
    }
}

package enum KeyUpdateRequest: UInt8, Sendable {
    case updateNotRequested = 0
    case updateRequested = 1
}

package struct Alert: Hashable, Sendable {
    package var level: AlertLevel
    package var description: AlertDescription
    package init(level: AlertLevel, description: AlertDescription) {
        self.level = level
        self.description = description
    }
}

/// One handshake message, typed. Decoding picks the body type from the header's msg_type.
package enum HandshakeMessage: Hashable, Sendable {
    case clientHello(ClientHello)
    case serverHello(ServerHello)          // including HelloRetryRequest
    case newSessionTicket(NewSessionTicket)
    case endOfEarlyData
    case encryptedExtensions(EncryptedExtensions)
    case certificate(CertificateMessage)
    case certificateRequest(CertificateRequest)
    case certificateVerify(CertificateVerify)
    case finished(Finished)
    case keyUpdate(KeyUpdateRequest)
    // TLS 1.2 (TLS12Messages.swift); decoded only by `decode(type:body:version:)` with a version below TLS 1.3.
    case helloRequest
    case serverKeyExchange(ServerKeyExchange)
    case serverHelloDone
    case clientKeyExchange(ClientKeyExchange)
    case certificate12(CertificateMessage12)
    case certificateRequest12(CertificateRequest12)
    case newSessionTicket12(NewSessionTicket12)
    /// TLS 1.2 CertificateStatus (RFC 6066 §8): the DER OCSPResponse it carries.
    case certificateStatus(ocspResponse: [UInt8])

    package var type: HandshakeType {
        switch self {
        case .clientHello: return .clientHello
        case .serverHello: return .serverHello
        case .newSessionTicket: return .newSessionTicket
        case .endOfEarlyData: return .endOfEarlyData
        case .encryptedExtensions: return .encryptedExtensions
        case .certificate: return .certificate
        case .certificateRequest: return .certificateRequest
        case .certificateVerify: return .certificateVerify
        case .finished: return .finished
        case .keyUpdate: return .keyUpdate
        case .helloRequest: return .helloRequest
        case .serverKeyExchange: return .serverKeyExchange
        case .serverHelloDone: return .serverHelloDone
        case .clientKeyExchange: return .clientKeyExchange
        case .certificate12: return .certificate
        case .certificateRequest12: return .certificateRequest
        case .newSessionTicket12: return .newSessionTicket
        case .certificateStatus: return .certificateStatus
        }
    }
}
