import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire

/// Which way a flight travels.
enum FlightDirection: Sendable, Equatable {
    case clientToServer
    case serverToClient
}

/// One TLS record as it travels on the wire: the 5-byte header fields and the body, untouched.
struct WireRecord: Equatable, Sendable {
    var contentType: UInt8
    var version: UInt16
    var body: [UInt8]

    init(contentType: UInt8, version: UInt16 = 0x0303, body: [UInt8]) {
        self.contentType = contentType
        self.version = version
        self.body = body
    }

    init(_ type: ContentType, version: UInt16 = 0x0303, body: [UInt8]) {
        self.init(contentType: type.rawValue, version: version, body: body)
    }

    /// Header and body; the length field is the body's length (use `rawHeader` bytes to lie about it).
    var bytes: [UInt8] {
        [contentType, UInt8(version >> 8), UInt8(truncatingIfNeeded: version),
         UInt8(truncatingIfNeeded: body.count >> 8), UInt8(truncatingIfNeeded: body.count)] + body
    }

    /// Splits a byte stream at its record headers. Bytes after the last complete record are the remainder.
    static func parse(_ bytes: [UInt8]) -> (records: [WireRecord], remainder: [UInt8]) {
        var records: [WireRecord] = []
        var index = 0
        while bytes.count - index >= 5 {
            let length = Int(bytes[index + 3]) << 8 | Int(bytes[index + 4])
            guard bytes.count - index - 5 >= length else { break }
            records.append(WireRecord(
                contentType: bytes[index], version: UInt16(bytes[index + 1]) << 8 | UInt16(bytes[index + 2]),
                body: Array(bytes[(index + 5)..<(index + 5 + length)])))
            index += 5 + length
        }
        return (records, Array(bytes[index...]))
    }

    /// The alert in a plaintext alert record, if this is one.
    var plaintextAlert: Alert? {
        guard contentType == ContentType.alert.rawValue else { return nil }
        return try? Alert(decoding: body)
    }
}

extension Array where Element == WireRecord {
    var bytes: [UInt8] { flatMap(\.bytes) }
}

/// Shuttles bytes between a client and a server `TLSConnection` in memory, running certificate verifications,
/// with hooks to tamper with, drop or inject records in flight. Every loop is bounded.
final class InMemoryPair {
    let client: TLSConnection
    let server: TLSConnection

    /// Every flight as delivered (after tampering), in order.
    private(set) var log: [(direction: FlightDirection, records: [WireRecord])] = []
    /// Sees each flight before delivery; may change, drop or add records.
    var tamper: ((FlightDirection, inout [WireRecord]) -> Void)?

    /// The first error each side raised (from `receive` or verification).
    private(set) var clientError: TLSError?
    private(set) var serverError: TLSError?

    init(client: TLSConnection, server: TLSConnection) {
        self.client = client
        self.server = server
    }

    convenience init(client: TLSClientConfiguration, server: TLSServerConfiguration,
                     serverName: String? = EngineFixtures.serverName) throws {
        let serverConnection = try TLSConnection(server: server)
        let clientConnection = try TLSConnection(client: client, serverName: serverName)
        self.init(client: clientConnection, server: serverConnection)
    }

    func connection(_ side: FlightDirection) -> TLSConnection {
        side == .clientToServer ? client : server
    }

    /// Records sent in `direction` so far (as delivered).
    func records(_ direction: FlightDirection) -> [WireRecord] {
        log.filter { $0.direction == direction }.flatMap(\.records)
    }

    /// Takes what `direction`'s sender has written, split into records (the tamper hook is not applied).
    func takeFlight(_ direction: FlightDirection) -> [WireRecord] {
        let bytes = (direction == .clientToServer ? client : server).takeOutput()
        let (records, remainder) = WireRecord.parse(bytes)
        precondition(remainder.isEmpty, "a connection wrote a partial record")
        return records
    }

    /// Feeds bytes to the receiver of `direction`, then runs any pending verification. Errors are recorded.
    func deliver(_ bytes: [UInt8], _ direction: FlightDirection) async {
        let receiver = direction == .clientToServer ? server : client
        guard receiver.failure == nil else { return }
        do {
            try receiver.receive(bytes)
            var verifications = 0
            while receiver.pendingVerification != nil && verifications < 4 {
                verifications += 1
                try await receiver.performPendingVerification()
            }
        } catch {
            if direction == .clientToServer {
                if serverError == nil { serverError = error }
            } else {
                if clientError == nil { clientError = error }
            }
        }
    }

    /// One step: the flight in `direction` (tampered) is delivered. Returns false when nothing was written.
    @discardableResult
    func step(_ direction: FlightDirection) async -> Bool {
        var records = takeFlight(direction)
        guard !records.isEmpty else { return false }
        tamper?(direction, &records)
        log.append((direction, records))
        await deliver(records.bytes, direction)
        return true
    }

    /// Moves flights both ways until neither side has anything to send, at most `maxRounds` rounds.
    /// Returns true when the pair went quiet within the bound.
    @discardableResult
    func run(maxRounds: Int = 16) async -> Bool {
        for _ in 0..<maxRounds {
            let a = await step(.clientToServer)
            let b = await step(.serverToClient)
            if !a && !b { return true }
        }
        return !client.hasOutput && !server.hasOutput
    }

    /// Plaintext alerts in the flights sent in `direction`.
    func plaintextAlerts(_ direction: FlightDirection) -> [AlertDescription] {
        records(direction).compactMap(\.plaintextAlert?.description)
    }
}

// MARK: - Forging records

/// Seals records exactly as a connection's peer would: with the key and sequence number the connection will read
/// next. Built from the connection's own read protection (a value copy), so nothing is changed on the connection.
struct RecordForger {
    var protection: RecordProtection
    var maxFragment = RecordLimits.maxPlaintext

    /// For records that `receiver` will accept as coming from its peer. (Reads the receiver's record layer on purpose:
    /// forging the peer's records needs the peer's key and the sequence number the receiver expects.)
    init(toward receiver: TLSConnection) {
        guard let protection = receiver.records.readProtection else {
            preconditionFailure("the receiver has no read key yet")
        }
        self.protection = protection
    }

    /// For records sealed with a known traffic secret, sequence number 0.
    init(secret: [UInt8], suite: CipherSuite) throws {
        guard let parameters = TLS13SuiteParameters(suite) else { preconditionFailure("not a TLS 1.3 suite") }
        let schedule = KeySchedule(provider: SwiftCryptoProvider(), hash: parameters.hash)
        let keys = schedule.trafficKeys(secret: secret, aead: parameters.aead)
        protection = RecordProtection(aead: try SwiftCryptoProvider().makeAEAD(parameters.aead, key: keys.key), iv: keys.iv)
    }

    /// A protected record whose TLSInnerPlaintext is exactly `inner` (content, type byte and padding included).
    mutating func sealInner(_ inner: [UInt8]) throws -> [UInt8] {
        let length = inner.count + protection.aead.algorithm.tagLength
        let header: [UInt8] = [23, 0x03, 0x03, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        let sealed = try protection.aead.seal(nonce: protection.nonce(), additionalData: header, plaintext: inner)
        try protection.advance()
        return header + sealed
    }

    /// `payload` as records of `type`, split at `maxFragment`.
    mutating func seal(_ type: ContentType, _ payload: [UInt8]) throws -> [UInt8] {
        var layer = RecordLayer()
        layer.writeProtection = protection
        layer.maxOutgoingFragment = maxFragment
        var out: [UInt8] = []
        try layer.write(type, payload, to: &out)
        protection = layer.writeProtection ?? protection
        return out
    }

    /// Opens records sealed with this protection; returns (inner content type, content) per record.
    mutating func open(_ records: [WireRecord]) throws -> [(ContentType, [UInt8])] {
        var layer = RecordLayer()
        layer.readProtection = protection
        layer.receive(records.bytes)
        var out: [(ContentType, [UInt8])] = []
        while let record = try layer.nextRecord() {
            out.append((record.contentType, record.fragment))
        }
        protection = layer.readProtection ?? protection
        return out
    }
}

/// Splits concatenated handshake messages at their 4-byte headers.
func splitHandshakeMessages(_ bytes: [UInt8]) -> [[UInt8]] {
    var messages: [[UInt8]] = []
    var index = 0
    while bytes.count - index >= 4 {
        let length = Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
        guard bytes.count - index - 4 >= length else { break }
        messages.append(Array(bytes[index..<(index + 4 + length)]))
        index += 4 + length
    }
    return messages
}

/// Collects NSS key-log lines from a connection's keyLog callback.
final class KeyLogCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }

    func append(_ line: String) {
        lock.lock()
        storage.append(line)
        lock.unlock()
    }

    var callback: @Sendable (String) -> Void { { [self] line in append(line) } }

    /// The secret logged under `label` (the last one, if logged several times).
    func secret(_ label: String) -> [UInt8]? {
        guard let line = lines.last(where: { $0.hasPrefix(label + " ") }) else { return nil }
        let parts = line.split(separator: " ")
        guard parts.count == 3 else { return nil }
        return decodeHex(String(parts[2]))
    }
}

private func decodeHex(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    var index = 0
    while index < chars.count {
        guard let byte = UInt8(String(decoding: chars[index..<(index + 2)], as: UTF8.self), radix: 16) else { return nil }
        out.append(byte)
        index += 2
    }
    return out
}

// MARK: - Randomness

/// A reproducible RandomSource (SplitMix64). Not for anything but tests.
struct SeededRandom: RandomSource {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            var word = next()
            for _ in 0..<8 where out.count < count {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }

    mutating func int(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Deterministic test payload.
func testPayload(count: Int, seed: UInt64) -> [UInt8] {
    var random = SeededRandom(seed: seed)
    return random.bytes(count)
}

// MARK: - Fixtures

/// One throw-away PKI for all engine tests (RSA key generation is slow, so nothing is generated per test).
enum EngineFixtures {
    static let serverName = "server.test"
    static let ca: TestCA = try! TestPKI.makeCA()
    static let otherCA: TestCA = try! TestPKI.makeCA(commonName: "Some Other Root")

    static let serverLeaves: [TestPKI.KeyType: TestLeaf] = {
        var leaves: [TestPKI.KeyType: TestLeaf] = [:]
        for type in TestPKI.KeyType.allCases {
            leaves[type] = try! ca.issueLeaf(keyType: type, commonName: serverName, dnsNames: [serverName], eku: [.serverAuth])
        }
        return leaves
    }()

    static func serverKey(_ type: TestPKI.KeyType = .ecdsaP256) -> CertifiedKey {
        try! serverLeaves[type]!.certifiedKey
    }

    static let clientLeaf: TestLeaf = try! ca.issueLeaf(
        keyType: .ecdsaP256, commonName: "client", dnsNames: [], eku: [.clientAuth])

    static func clientConfiguration() -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.peerVerification = .trustRoots(ca.trustRoots)
        return config
    }

    static func serverConfiguration(_ type: TestPKI.KeyType = .ecdsaP256) -> TLSServerConfiguration {
        TLSServerConfiguration(certificate: serverKey(type))
    }
}
