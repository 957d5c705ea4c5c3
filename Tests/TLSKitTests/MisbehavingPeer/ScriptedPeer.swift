import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// One unit a peer sends, as the scripted peer sees it: a whole handshake message, a ChangeCipherSpec, an alert or
/// application data (decrypted when the real peer sent it protected), or raw bytes sent as they are.
enum PeerItem {
    case message([UInt8])
    case ccs([UInt8])
    case alert([UInt8])
    case appData([UInt8])
    /// Written to the wire verbatim (a record the peer builds by hand: bad lengths, forged headers).
    case raw([UInt8])
    /// `content` of `type`, sealed (or framed) toward the receiver in records of at most `size` bytes.
    case fragmented(ContentType, [UInt8], size: Int)
    /// A TLS 1.3 protected record whose TLSInnerPlaintext is exactly these bytes (type byte and padding included).
    case innerPlaintext([UInt8])
    /// A record header announcing `length` bytes, followed by that many zero bytes.
    case oversized(ContentType, length: Int)

    var handshakeType: UInt8? {
        if case .message(let bytes) = self { return bytes.first }
        return nil
    }
}

/// What a scripted edit does to the item it matches.
enum PeerAction {
    case drop
    case duplicate
    case replace(with: [PeerItem])
    case before([PeerItem])
    case after([PeerItem])
    /// Delivers these instead of the match, then nothing more in that direction: the peer stops there.
    case cut(inject: [PeerItem])
    /// Rewrites the message's body (the 4-byte header is recomputed from the new body).
    case body((inout [UInt8]) -> Void)
    /// Rewrites the whole message, header included (to lie about lengths).
    case raw((inout [UInt8]) -> Void)
}

/// What an edit matches: the first handshake message of a type, or the first ChangeCipherSpec, in one direction.
enum PeerMatch: Equatable {
    case message(HandshakeType)
    case ccs
}

struct PeerEdit {
    var direction: FlightDirection
    var match: PeerMatch
    var action: PeerAction

    /// The peer sending to the client (the server) does `action` to its first `type` message.
    static func server(_ match: PeerMatch, _ action: PeerAction) -> PeerEdit { PeerEdit(direction: .serverToClient, match: match, action: action) }
    static func client(_ match: PeerMatch, _ action: PeerAction) -> PeerEdit { PeerEdit(direction: .clientToServer, match: match, action: action) }
}

/// A misbehaving peer built from a real TLSKit peer: every flight the real peer writes is opened (with the receiver's
/// own read key, copied), split into handshake messages, edited by the script, and each item sealed again toward the
/// receiver with the key the receiver holds at that moment, one record per item. The real peer never learns of the
/// edits, so after an edit that changes the handshake only the receiver's reaction is meaningful.
final class ScriptedPeer {
    let pair: InMemoryPair
    var edits: [PeerEdit]
    /// Split every handshake message sent in these directions into records of this many bytes.
    var fragmentHandshake: [FlightDirection: Int] = [:]
    /// Alerts each direction's sender put on the wire (decrypted when protected), in order.
    private(set) var alertsSent: [FlightDirection: [Alert]] = [:]
    /// Directions in which the script cut the peer off.
    private(set) var stopped: Set<FlightDirection> = []
    /// Openers of each direction's protected records, with the real sender's sequence numbers.
    private var openers: [FlightDirection: RecordForger] = [:]
    private var plaintextBuffer: [FlightDirection: [UInt8]] = [:]
    private var protectedBuffer: [FlightDirection: [UInt8]] = [:]

    init(_ pair: InMemoryPair, edits: [PeerEdit] = []) {
        self.pair = pair
        self.edits = edits
    }

    convenience init(client: TLSClientConfiguration, server: TLSServerConfiguration, edits: [PeerEdit] = []) throws {
        self.init(try InMemoryPair(client: client, server: server), edits: edits)
    }

    var client: TLSConnection { pair.client }
    var server: TLSConnection { pair.server }

    func receiver(_ direction: FlightDirection) -> TLSConnection { direction == .clientToServer ? server : client }
    func sender(_ direction: FlightDirection) -> TLSConnection { direction == .clientToServer ? client : server }

    /// Moves flights both ways, through the script, until neither side writes (bounded).
    @discardableResult
    func run(maxRounds: Int = 24) async -> Bool {
        for _ in 0..<maxRounds {
            let a = await pump(.clientToServer)
            let b = await pump(.serverToClient)
            if !a && !b { return true }
        }
        return false
    }

    /// Takes what the sender of `direction` wrote and delivers it through the script. False if it wrote nothing.
    @discardableResult
    func pump(_ direction: FlightDirection) async -> Bool {
        let bytes = sender(direction).takeOutput()
        guard !bytes.isEmpty else { return false }
        let (records, remainder) = WireRecord.parse(bytes)
        precondition(remainder.isEmpty, "a connection wrote a partial record")
        for record in records {
            for item in decompose(record, direction) {
                for edited in apply(item, direction) { await deliver(edited, direction) }
            }
        }
        return true
    }

    /// Delivers one item toward the receiver of `direction` as the peer would: sealed with the receiver's current
    /// read key when it has one, as a plaintext record otherwise.
    func deliver(_ item: PeerItem, _ direction: FlightDirection) async {
        let receiver = receiver(direction)
        var bytes: [UInt8] = []
        switch item {
        case .message(let message): bytes = frame(.handshake, message, toward: receiver, size: fragmentHandshake[direction])
        case .ccs(let body): bytes = WireRecord(.changeCipherSpec, body: body).bytes
        case .alert(let body): bytes = frame(.alert, body, toward: receiver)
        case .appData(let data): bytes = frame(.applicationData, data, toward: receiver)
        case .raw(let raw): bytes = raw
        case .fragmented(let type, let content, let size): bytes = frame(type, content, toward: receiver, size: size)
        case .innerPlaintext(let inner):
            var forger = RecordForger(toward: receiver)
            bytes = (try? forger.sealInner(inner)) ?? []
        case .oversized(let type, let length):
            bytes = [type.rawValue, 3, 3, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)] + [UInt8](repeating: 0, count: length)
        }
        await pair.deliver(bytes, direction)
    }

    /// Injects items straight to the receiver of `direction` (after the handshake, or wherever the script stopped).
    func inject(_ items: [PeerItem], _ direction: FlightDirection) async {
        for item in items { await deliver(item, direction) }
    }

    /// `content` as records of `type` toward `receiver`, protected if it holds a read key.
    func frame(_ type: ContentType, _ content: [UInt8], toward receiver: TLSConnection, size: Int? = nil) -> [UInt8] {
        let size = size ?? RecordLimits.maxPlaintext
        if receiver.records.readProtection != nil {
            var forger = RecordForger(toward: receiver)
            forger.maxFragment = size
            // RecordLayer.write sends nothing for nothing; a hostile peer does send an empty record.
            if content.isEmpty { return (try? forger.sealEmpty(type)) ?? [] }
            return (try? forger.seal(type, content)) ?? []
        }
        guard !content.isEmpty else { return WireRecord(type, body: []).bytes }
        var out: [UInt8] = []
        var offset = 0
        while offset < content.count {
            let end = min(offset + size, content.count)
            out += WireRecord(type, body: Array(content[offset..<end])).bytes
            offset = end
        }
        return out
    }

    // MARK: Decomposing the real peer's records

    private func decompose(_ record: WireRecord, _ direction: FlightDirection) -> [PeerItem] {
        if record.contentType == ContentType.changeCipherSpec.rawValue { return [.ccs(record.body)] }
        if let opened = open(record, direction) {
            var items: [PeerItem] = []
            for (type, content) in opened {
                switch type {
                case .handshake:
                    protectedBuffer[direction, default: []] += content
                    items += takeMessages(&protectedBuffer[direction, default: []])
                case .alert:
                    if let alert = try? Alert(decoding: content) { alertsSent[direction, default: []].append(alert) }
                    items.append(.alert(content))
                case .applicationData:
                    items.append(.appData(content))
                case .changeCipherSpec:
                    items.append(.ccs(content))
                }
            }
            return items
        }
        switch record.contentType {
        case ContentType.handshake.rawValue:
            plaintextBuffer[direction, default: []] += record.body
            return takeMessages(&plaintextBuffer[direction, default: []])
        case ContentType.alert.rawValue:
            if let alert = record.plaintextAlert { alertsSent[direction, default: []].append(alert) }
            return [.raw(record.bytes)]
        default:
            return [.raw(record.bytes)]
        }
    }

    /// Opens a protected record with the sender's key: the opener kept for this direction, or a fresh copy of the
    /// receiver's read key when the sender changed keys (the first record under a new key). Nil for plaintext.
    private func open(_ record: WireRecord, _ direction: FlightDirection) -> [(ContentType, [UInt8])]? {
        var candidates: [RecordForger] = []
        if let kept = openers[direction] { candidates.append(kept) }
        if receiver(direction).records.readProtection != nil { candidates.append(RecordForger(toward: receiver(direction))) }
        for var candidate in candidates {
            if let opened = try? candidate.open([record]), !opened.isEmpty {
                openers[direction] = candidate
                return opened
            }
        }
        return nil
    }

    private func takeMessages(_ buffer: inout [UInt8]) -> [PeerItem] {
        let messages = splitHandshakeMessages(buffer)
        buffer.removeFirst(messages.reduce(0) { $0 + $1.count })
        return messages.map { .message($0) }
    }

    // MARK: Editing

    private func apply(_ item: PeerItem, _ direction: FlightDirection) -> [PeerItem] {
        if stopped.contains(direction) { return [] }
        guard let index = edits.firstIndex(where: { edit in
            guard edit.direction == direction else { return false }
            switch (edit.match, item) {
            case (.message(let type), .message(let bytes)): return bytes.first == type.rawValue
            case (.ccs, .ccs): return true
            default: return false
            }
        }) else { return [item] }
        let edit = edits.remove(at: index)
        switch edit.action {
        case .drop: return []
        case .duplicate: return [item, item]
        case .replace(let items): return items
        case .before(let items): return items + [item]
        case .after(let items): return [item] + items
        case .cut(let items):
            stopped.insert(direction)
            return items
        case .body(let transform):
            guard case .message(let bytes) = item else { return [item] }
            var body = Array(bytes[4...])
            transform(&body)
            return [.message(handshakeMessage(bytes[0], body))]
        case .raw(let transform):
            guard case .message(var bytes) = item else { return [item] }
            transform(&bytes)
            return [.message(bytes)]
        }
    }
}

/// A handshake message: type, 24-bit length, body.
func handshakeMessage(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
    [type, UInt8(truncatingIfNeeded: body.count >> 16), UInt8(truncatingIfNeeded: body.count >> 8), UInt8(truncatingIfNeeded: body.count)] + body
}

func handshakeMessage(_ type: HandshakeType, _ body: [UInt8] = []) -> [UInt8] { handshakeMessage(type.rawValue, body) }

extension TLSConnection {
    var isFailedState: Bool {
        if case .failed = state { return true }
        return false
    }
}

extension ScriptedPeer {
    /// The whole check for a misbehaving peer: `side` (the receiver of the misbehaviour) failed with `alert` raised
    /// locally, put exactly that alert on the wire (decrypted if protected) as its last record, ended (state failed,
    /// further input refused, nothing more written) and handed no application data to its application.
    func assertFailure(_ alert: AlertDescription, side: TLSConnection.Role, _ label: String,
                       file: StaticString = #filePath, line: UInt = #line) async {
        await run()
        let failing = side == .client ? client : server
        let outgoing: FlightDirection = side == .client ? .clientToServer : .serverToClient
        let thrown = side == .client ? pair.clientError : pair.serverError
        XCTAssertEqual(failing.failure?.alert, alert, "\(label): failure \(String(describing: failing.failure))", file: file, line: line)
        XCTAssertEqual(failing.failure?.origin, .local, "\(label)", file: file, line: line)
        XCTAssertEqual(thrown?.alert, alert, "\(label): thrown \(String(describing: thrown))", file: file, line: line)
        let wire = alertsSent[outgoing] ?? []
        XCTAssertEqual(wire.last, Alert(level: .fatal, description: alert), "\(label): alerts on the wire \(wire)", file: file, line: line)
        XCTAssertTrue(failing.isFailedState, "\(label): state \(failing.state)", file: file, line: line)
        XCTAssertFalse(failing.hasOutput, "\(label): wrote after failing", file: file, line: line)
        XCTAssertThrowsError(try failing.receive([23, 3, 3, 0, 1, 0]), "\(label): input accepted after failure", file: file, line: line)
        XCTAssertEqual(failing.takeApplicationData(), [], "\(label): application data reached the application", file: file, line: line)
    }
}

extension RecordForger {
    /// A protected record with no content (TLS 1.3: a TLSInnerPlaintext of just the type byte).
    mutating func sealEmpty(_ type: ContentType) throws -> [UInt8] {
        if protection.framing == .tls13 { return try sealInner([type.rawValue]) }
        let additionalData = protection.tls12AdditionalData(type: type, length: 0)
        let explicit = protection.framing == .tls12ExplicitNonce ? protection.sequenceBytes : []
        let length = explicit.count + protection.aead.algorithm.tagLength
        var out: [UInt8] = [type.rawValue, 3, 3, UInt8(length >> 8), UInt8(length & 0xFF)] + explicit
        try protection.aead.seal(nonce: protection.nonce(), additionalData: additionalData, plaintext: [UInt8]()[...], appendingTo: &out)
        try protection.advance()
        return out
    }
}
