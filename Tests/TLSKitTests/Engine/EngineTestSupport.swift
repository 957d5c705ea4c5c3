import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

extension InMemoryPair {
    /// Runs the handshake and checks both sides completed without error.
    func handshake(file: StaticString = #filePath, line: UInt = #line) async {
        let quiet = await run()
        XCTAssertTrue(quiet, "the pair did not go quiet", file: file, line: line)
        XCTAssertNil(clientError, "client error", file: file, line: line)
        XCTAssertNil(serverError, "server error", file: file, line: line)
        XCTAssertTrue(client.isHandshakeComplete, "client handshake incomplete", file: file, line: line)
        XCTAssertTrue(server.isHandshakeComplete, "server handshake incomplete", file: file, line: line)
    }

    /// Sends `payload` in `direction` in chunks of the given sizes (cycled), delivering after every chunk,
    /// and returns what the receiver got.
    func transfer(_ payload: [UInt8], _ direction: FlightDirection, chunkSizes: [Int]) async throws -> [UInt8] {
        let sender = direction == .clientToServer ? client : server
        let receiver = direction == .clientToServer ? server : client
        var received: [UInt8] = []
        received.reserveCapacity(payload.count)
        var offset = 0
        var index = 0
        while offset < payload.count {
            let size = min(chunkSizes[index % chunkSizes.count], payload.count - offset)
            try sender.send(Array(payload[offset..<(offset + size)]))
            offset += size
            index += 1
            await step(direction)
            received.append(contentsOf: receiver.takeApplicationData())
        }
        return received
    }

    /// A quick round trip both ways, proving the traffic keys still agree.
    func assertDataFlows(_ tag: String = "ping", file: StaticString = #filePath, line: UInt = #line) async throws {
        let up = Array("\(tag) from client".utf8)
        let down = Array("\(tag) from server".utf8)
        let got = try await transfer(up, .clientToServer, chunkSizes: [up.count])
        XCTAssertEqual(got, up, file: file, line: line)
        let back = try await transfer(down, .serverToClient, chunkSizes: [down.count])
        XCTAssertEqual(back, down, file: file, line: line)
    }

    /// Asserts that the side sending in `direction` failed with `alert` (raised locally) and that the alert reached
    /// the wire: as a plaintext alert record, or (encrypted) as the peer's error with origin `.peer`.
    func assertSentAlert(_ alert: AlertDescription, by direction: FlightDirection,
                         file: StaticString = #filePath, line: UInt = #line) async {
        await run()
        let failing = connection(direction)
        let peer = direction == .clientToServer ? server : client
        XCTAssertEqual(failing.failure?.alert, alert, "failure: \(String(describing: failing.failure))", file: file, line: line)
        XCTAssertEqual(failing.failure?.origin, .local, file: file, line: line)
        let thrown = direction == .clientToServer ? clientError : serverError
        XCTAssertEqual(thrown?.alert, alert, "thrown: \(String(describing: thrown))", file: file, line: line)
        let plaintext = plaintextAlerts(direction)
        let peerSaw = peer.failure?.origin == .peer && peer.failure?.alert == alert
        XCTAssertTrue(plaintext.last == alert || peerSaw,
                      "alert \(alert) not seen on the wire (plaintext alerts \(plaintext), peer failure \(String(describing: peer.failure)))",
                      file: file, line: line)
    }
}

extension HandshakeMessage {
    /// `encode()` for test code, hooks included, that cannot throw: every message a test builds fits its length
    /// prefixes (the overflow checks have their own tests).
    var testBytes: [UInt8] {
        do { return try encode() } catch { preconditionFailure("a test message does not encode: \(error)") }
    }
}

/// Feeds `bytes` to `connection` and returns the error it raised (nil if none).
func feed(_ connection: TLSConnection, _ bytes: [UInt8]) async -> TLSError? {
    do {
        try connection.receive(bytes)
        var rounds = 0
        while connection.pendingVerification != nil && rounds < 4 {
            rounds += 1
            try await connection.performPendingVerification()
        }
        return nil
    } catch {
        return error
    }
}

/// Asserts a connection failed with `alert` raised locally and wrote exactly that alert as a plaintext record.
func assertPlaintextAlert(_ connection: TLSConnection, _ alert: AlertDescription, thrown: TLSError?,
                          file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(thrown?.alert, alert, "thrown: \(String(describing: thrown))", file: file, line: line)
    XCTAssertEqual(connection.failure?.alert, alert, file: file, line: line)
    XCTAssertEqual(connection.failure?.origin, .local, file: file, line: line)
    let records = WireRecord.parse(connection.takeOutput()).records
    XCTAssertEqual(records.last?.plaintextAlert, Alert(level: .fatal, description: alert),
                   "records: \(records.map(\.contentType))", file: file, line: line)
}

/// The ClientHello in a client's first flight.
func decodeClientHello(_ records: [WireRecord]) throws -> ClientHello {
    guard let first = records.first, first.contentType == ContentType.handshake.rawValue,
          case .clientHello(let hello) = try HandshakeMessage.decode(first.body) else {
        throw TLSError(.internalError, "no ClientHello in the flight")
    }
    return hello
}

/// A ClientHello from a freshly configured client, to be reshaped and sent to a server.
func freshClientHello(_ configure: (inout TLSClientConfiguration) -> Void = { _ in }) throws -> ClientHello {
    var config = EngineFixtures.clientConfiguration()
    configure(&config)
    let client = try TLSConnection(client: config, serverName: EngineFixtures.serverName)
    return try decodeClientHello(WireRecord.parse(client.takeOutput()).records)
}

func clientHelloRecord(_ hello: ClientHello) -> [UInt8] {
    WireRecord(.handshake, version: 0x0301, body: HandshakeMessage.clientHello(hello).testBytes).bytes
}

extension ClientHello {
    mutating func replaceExtension(_ type: ExtensionType, with replacement: Extension?) {
        guard let index = extensions.firstIndex(where: { $0.type == type }) else {
            if let replacement { extensions.append(replacement) }
            return
        }
        if let replacement {
            extensions[index] = replacement
        } else {
            extensions.remove(at: index)
        }
    }
}

extension ServerHello {
    mutating func replaceExtension(_ type: ExtensionType, with replacement: Extension?) {
        guard let index = extensions.firstIndex(where: { $0.type == type }) else {
            if let replacement { extensions.append(replacement) }
            return
        }
        if let replacement {
            extensions[index] = replacement
        } else {
            extensions.remove(at: index)
        }
    }
}

/// Tamper hooks that rewrite handshake messages in flight.
enum Rewrite {
    /// Rewrites the first ServerHello (or HelloRetryRequest, if `helloRetry`) the server sends.
    static func serverHello(helloRetry: Bool = false, _ transform: @escaping (inout ServerHello) -> Void)
        -> (FlightDirection, inout [WireRecord]) -> Void
    {
        var done = false
        return { direction, records in
            guard direction == .serverToClient, !done else { return }
            for (index, record) in records.enumerated() where record.contentType == ContentType.handshake.rawValue {
                guard case .serverHello(var hello)? = try? HandshakeMessage.decode(record.body),
                      hello.isHelloRetryRequest == helloRetry else { continue }
                transform(&hello)
                records[index].body = HandshakeMessage.serverHello(hello).testBytes
                done = true
                return
            }
        }
    }

    /// Decrypts the server's encrypted handshake flight (EncryptedExtensions … Finished) with the secret from its
    /// key log, lets `transform` edit the raw messages, and seals the result again in place.
    static func serverEncryptedFlight(keyLog: KeyLogCollector, fragment: Int = RecordLimits.maxPlaintext,
                                      _ transform: @escaping (inout [[UInt8]]) -> Void)
        -> (FlightDirection, inout [WireRecord]) -> Void
    {
        var done = false
        return { direction, records in
            guard direction == .serverToClient, !done else { return }
            guard let helloRecord = records.first(where: { $0.contentType == ContentType.handshake.rawValue }),
                  case .serverHello(let hello)? = try? HandshakeMessage.decode(helloRecord.body),
                  !hello.isHelloRetryRequest,
                  let secret = keyLog.secret("SERVER_HANDSHAKE_TRAFFIC_SECRET"),
                  let firstEncrypted = records.firstIndex(where: { $0.contentType == ContentType.applicationData.rawValue })
            else { return }
            do {
                var opener = try RecordForger(secret: secret, suite: hello.cipherSuite)
                let opened = try opener.open(Array(records[firstEncrypted...]))
                var messages = splitHandshakeMessages(opened.filter { $0.0 == .handshake }.flatMap(\.1))
                transform(&messages)
                var sealer = try RecordForger(secret: secret, suite: hello.cipherSuite)
                sealer.maxFragment = fragment
                let sealed = WireRecord.parse(try sealer.seal(.handshake, messages.flatMap { $0 })).records
                records.replaceSubrange(firstEncrypted..., with: sealed)
                done = true
            } catch {
                preconditionFailure("cannot rewrite the server flight: \(error)")
            }
        }
    }
}

/// Index of the first message of `type` in raw handshake messages.
func messageIndex(_ messages: [[UInt8]], _ type: HandshakeType) -> Int? {
    messages.firstIndex { $0.first == type.rawValue }
}

extension Rewrite {
    /// Drops the records sent in `direction` that match `predicate`.
    static func drop(_ direction: FlightDirection, where predicate: @escaping (WireRecord) -> Bool)
        -> (FlightDirection, inout [WireRecord]) -> Void
    {
        { flightDirection, records in
            guard flightDirection == direction else { return }
            records.removeAll(where: predicate)
        }
    }

    /// Inserts `injected` before the first record of the `flight`-th flight (0-based) sent in `direction`.
    static func inject(_ injected: [WireRecord], _ direction: FlightDirection, flight: Int)
        -> (FlightDirection, inout [WireRecord]) -> Void
    {
        var seen = 0
        return { flightDirection, records in
            guard flightDirection == direction else { return }
            if seen == flight { records.insert(contentsOf: injected, at: 0) }
            seen += 1
        }
    }
}

extension WireRecord {
    var isChangeCipherSpec: Bool { contentType == ContentType.changeCipherSpec.rawValue }
}
