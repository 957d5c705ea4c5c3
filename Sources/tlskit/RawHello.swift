import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TLSKit

/// Hand-made ClientHellos for what the engine will not send (it speaks TLS 1.2 and 1.3 only, with AEAD suites, and
/// never falls back): TLS 1.0/1.1 and legacy suites, TLS_FALLBACK_SCSV, and a TLS 1.2 hello without
/// supported_versions to read the server's ServerHello in the clear (renegotiation_info, session ID, session_ticket,
/// downgrade sentinel). Only the first answer is read: a ServerHello or an alert. No keys are ever derived.
enum RawHello {
    /// Suites older clients offer, by name and how `scan` judges a server that picks one.
    struct LegacySuite {
        var value: UInt16
        var name: String
        var verdict: Verdict
        var why: String
    }

    static let legacySuites: [LegacySuite] = [
        .init(value: 0xC009, name: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", verdict: .weak, why: "CBC"),
        .init(value: 0xC00A, name: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", verdict: .weak, why: "CBC"),
        .init(value: 0xC013, name: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", verdict: .weak, why: "CBC"),
        .init(value: 0xC014, name: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", verdict: .weak, why: "CBC"),
        .init(value: 0xC023, name: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", verdict: .weak, why: "CBC"),
        .init(value: 0xC024, name: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", verdict: .weak, why: "CBC"),
        .init(value: 0xC027, name: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", verdict: .weak, why: "CBC"),
        .init(value: 0xC028, name: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", verdict: .weak, why: "CBC"),
        .init(value: 0x009E, name: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", verdict: .weak, why: "finite-field DHE"),
        .init(value: 0x009F, name: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", verdict: .weak, why: "finite-field DHE"),
        .init(value: 0xCCAA, name: "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", verdict: .weak, why: "finite-field DHE"),
        .init(value: 0x0033, name: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", verdict: .weak, why: "finite-field DHE, CBC"),
        .init(value: 0x0039, name: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", verdict: .weak, why: "finite-field DHE, CBC"),
        .init(value: 0x009C, name: "TLS_RSA_WITH_AES_128_GCM_SHA256", verdict: .weak, why: "RSA key exchange: no forward secrecy"),
        .init(value: 0x009D, name: "TLS_RSA_WITH_AES_256_GCM_SHA384", verdict: .weak, why: "RSA key exchange: no forward secrecy"),
        .init(value: 0x002F, name: "TLS_RSA_WITH_AES_128_CBC_SHA", verdict: .weak, why: "RSA key exchange, CBC"),
        .init(value: 0x0035, name: "TLS_RSA_WITH_AES_256_CBC_SHA", verdict: .weak, why: "RSA key exchange, CBC"),
        .init(value: 0x003C, name: "TLS_RSA_WITH_AES_128_CBC_SHA256", verdict: .weak, why: "RSA key exchange, CBC"),
        .init(value: 0xC012, name: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", verdict: .bad, why: "3DES (Sweet32)"),
        .init(value: 0x000A, name: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", verdict: .bad, why: "3DES (Sweet32)"),
        .init(value: 0xC011, name: "TLS_ECDHE_RSA_WITH_RC4_128_SHA", verdict: .bad, why: "RC4"),
        .init(value: 0xC007, name: "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", verdict: .bad, why: "RC4"),
        .init(value: 0x0005, name: "TLS_RSA_WITH_RC4_128_SHA", verdict: .bad, why: "RC4"),
        .init(value: 0x0004, name: "TLS_RSA_WITH_RC4_128_MD5", verdict: .bad, why: "RC4"),
        .init(value: 0x0034, name: "TLS_DH_anon_WITH_AES_128_CBC_SHA", verdict: .bad, why: "anonymous: no authentication"),
        .init(value: 0xC018, name: "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", verdict: .bad, why: "anonymous: no authentication"),
        .init(value: 0x0001, name: "TLS_RSA_WITH_NULL_MD5", verdict: .bad, why: "no encryption"),
        .init(value: 0x0002, name: "TLS_RSA_WITH_NULL_SHA", verdict: .bad, why: "no encryption"),
        .init(value: 0xC006, name: "TLS_ECDHE_ECDSA_WITH_NULL_SHA", verdict: .bad, why: "no encryption"),
        .init(value: 0xC010, name: "TLS_ECDHE_RSA_WITH_NULL_SHA", verdict: .bad, why: "no encryption"),
        .init(value: 0x0003, name: "TLS_RSA_EXPORT_WITH_RC4_40_MD5", verdict: .bad, why: "export grade"),
        .init(value: 0x0008, name: "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", verdict: .bad, why: "export grade"),
    ]

    /// The AEAD suites TLSKit itself offers for TLS 1.2.
    static let modernTLS12Suites: [UInt16] = [0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8]

    /// What came back.
    enum Answer: Sendable {
        case serverHello(ServerHelloFacts)
        case alert(AlertDescription)
        /// The server closed (or sent nothing complete) without a ServerHello or alert.
        case closed
        /// Bytes that cannot start a TLS record.
        case notTLS([UInt8])
        /// No TCP connection, or no answer in time.
        case failed(String)
    }

    /// The parts of a ServerHello the scan reads.
    struct ServerHelloFacts: Sendable {
        var legacyVersion: UInt16
        /// supported_versions when present (TLS 1.3), else the legacy version.
        var version: UInt16
        var random: [UInt8]
        var sessionIDLength: Int
        var cipherSuite: UInt16
        var extensionTypes: Set<UInt16>

        /// RFC 8446 §4.1.3: a TLS 1.3 server negotiating TLS 1.2 ends its random with "DOWNGRD" and 01.
        var hasTLS12DowngradeSentinel: Bool {
            random.suffix(8) == [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01]
        }
    }

    /// A ClientHello record with `legacyVersion`, `suites` (raw values) and the extensions a TLS 1.2 (or older)
    /// client sends: SNI, groups, point formats, signature algorithms, renegotiation_info, EMS, session_ticket.
    static func clientHelloRecord(legacyVersion: ProtocolVersion, suites: [UInt16], serverName: String?) throws(TLSError) -> [UInt8] {
        var extensions: [Extension] = []
        if let serverName, ipAddressOctets(serverName) == nil { extensions.append(.serverName(serverName)) }
        extensions += [
            .supportedGroups([.x25519, .secp256r1, .secp384r1, .secp521r1]),
            .ecPointFormats([0]),
            .signatureAlgorithms([
                .ecdsa_secp256r1_sha256, .ecdsa_secp384r1_sha384, .ecdsa_secp521r1_sha512, .ed25519,
                .rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512,
                .rsa_pkcs1_sha256, .rsa_pkcs1_sha384, .rsa_pkcs1_sha512, .rsa_pkcs1_sha1, .ecdsa_sha1,
            ]),
            .renegotiationInfo([]),
            .extendedMasterSecret,
            .sessionTicket([]),
        ]
        let random = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let hello = ClientHello(legacyVersion: legacyVersion, random: random, legacySessionID: [],
                                cipherSuites: suites.map(CipherSuite.init(rawValue:)), extensions: extensions)
        let message = try HandshakeMessage.clientHello(hello).encode()
        // Record version 3.1 for the first flight, as clients do for compatibility.
        return [22, 0x03, 0x01, UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
    }

    /// Sends one ClientHello to `host:port` and reads the first answer, within `timeout` seconds.
    static func send(_ record: [UInt8], host: String, port: Int, timeout: Int) async -> Answer {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: Answer.self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(Int64(timeout)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FirstAnswerCollector(promise: promise))
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            promise.succeed(.failed("cannot connect: \(ErrorText.describe(error))"))
            return await (try? promise.futureResult.get()) ?? .failed("cannot connect")
        }
        let deadline = channel.eventLoop.scheduleTask(in: .seconds(Int64(timeout))) {
            promise.succeed(.failed("no answer within \(timeout) s"))
            channel.close(promise: nil)
        }
        channel.writeAndFlush(ByteBuffer(bytes: record), promise: nil)
        let answer = (try? await promise.futureResult.get()) ?? .closed
        deadline.cancel()
        try? await channel.close()
        return answer
    }

    /// Reads `bytes` as the start of a server's first flight: nil while more is needed.
    static func parse(_ bytes: [UInt8], complete: Bool) -> Answer? {
        guard let first = bytes.first else { return complete ? .closed : nil }
        guard (20...24).contains(first) else { return .notTLS(Array(bytes.prefix(32))) }
        var handshake: [UInt8] = []
        var offset = 0
        while offset + 5 <= bytes.count {
            let type = bytes[offset]
            let length = Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4])
            guard offset + 5 + length <= bytes.count else { break }
            let body = Array(bytes[(offset + 5)..<(offset + 5 + length)])
            offset += 5 + length
            if type == 21 {
                guard body.count >= 2 else { return .closed }
                return .alert(AlertDescription(rawValue: body[1]))
            }
            guard type == 22 else { return .closed }
            handshake += body
            if handshake.count >= 4 {
                let messageLength = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
                if handshake.count >= 4 + messageLength {
                    guard handshake[0] == 2 else { return .closed }
                    return serverHello(Array(handshake[4..<(4 + messageLength)])).map(Answer.serverHello) ?? .closed
                }
            }
        }
        return complete ? .closed : nil
    }

    /// The ServerHello body, read leniently (unknown extensions are just counted).
    static func serverHello(_ body: [UInt8]) -> ServerHelloFacts? {
        var reader = ByteReader(body)
        do {
            let legacyVersion = try reader.readUInt16()
            let random = try reader.readBytes(32)
            let sessionID = try reader.readVector8()
            let suite = try reader.readUInt16()
            _ = try reader.readUInt8()
            var types = Set<UInt16>()
            var version = legacyVersion
            if !reader.isEmpty {
                var extensions = try reader.readVector16Reader()
                while !extensions.isEmpty {
                    let type = try extensions.readUInt16()
                    var data = try extensions.readVector16Reader()
                    types.insert(type)
                    if type == ExtensionType.supportedVersions.rawValue, data.remaining == 2 {
                        version = try data.readUInt16()
                    }
                }
            }
            return ServerHelloFacts(legacyVersion: legacyVersion, version: version, random: random,
                                    sessionIDLength: sessionID.count, cipherSuite: suite, extensionTypes: types)
        } catch {
            return nil
        }
    }
}

/// Collects the server's first bytes until they hold a ServerHello or an alert (or the connection ends).
private final class FirstAnswerCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<RawHello.Answer>
    private var bytes: [UInt8] = []
    /// A first flight is a few kilobytes; a server that streams more without a ServerHello is cut off here.
    private static let limit = 64 * 1024

    init(promise: EventLoopPromise<RawHello.Answer>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytes += unwrapInboundIn(data).readableBytesView
        if let answer = RawHello.parse(bytes, complete: bytes.count > Self.limit) {
            promise.succeed(answer)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.succeed(RawHello.parse(bytes, complete: true) ?? .closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.succeed(RawHello.parse(bytes, complete: true) ?? .closed)
        context.close(promise: nil)
    }
}
