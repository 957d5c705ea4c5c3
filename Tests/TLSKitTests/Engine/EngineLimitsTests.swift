import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// Public API arguments and configuration values that size buffers, loops or encodings (security review, issue 11):
/// rejected up front, never trapping or allocating on the caller's say-so later.
final class EngineAPILimitsTests: XCTestCase {
    func connectedPair(maximumVersion: ProtocolVersion) async throws -> InMemoryPair {
        var client = EngineFixtures.clientConfiguration()
        client.common.maximumVersion = maximumVersion
        let pair = try InMemoryPair(client: client, server: EngineFixtures.serverConfiguration())
        await pair.handshake()
        XCTAssertEqual(pair.client.negotiated?.version, maximumVersion)
        return pair
    }

    /// Item 7: the exporter takes the same arguments within the same limits over both versions. Before, TLS 1.2 trapped
    /// on a negative length (the PRF's removeSubrange) and produced any length asked for; TLS 1.3 silently truncated a
    /// long label into its HkdfLabel and took any context.
    func testExporterArgumentsAreCheckedAlikeInBothVersionsAndMisuseKeepsTheConnection() async throws {
        for version in [ProtocolVersion.tls12, .tls13] {
            let pair = try await connectedPair(maximumVersion: version)
            let hashLength = 32   // SHA-256 suites (the defaults) on both versions
            let longestLabel = String(repeating: "L", count: 249)
            let misuses: [(String, String, [UInt8], Int)] = [
                ("negative length", "EXPORTER-x", [], -1),
                ("length above 255 × HashLen", "EXPORTER-x", [], 255 * hashLength + 1),
                ("huge length", "EXPORTER-x", [], Int.max),
                ("context above 65535 bytes", "EXPORTER-x", [UInt8](repeating: 7, count: 65_536), 32),
                ("label above 249 bytes", longestLabel + "L", [], 32),
                ("empty label", "", [], 32),
            ]
            for (what, label, context, length) in misuses {
                XCTAssertThrowsError(try pair.client.exportKeyingMaterial(label: label, context: context, length: length),
                                     "\(version): \(what)") { error in
                    XCTAssertEqual((error as? TLSError)?.alert, .internalError, "\(version): \(what)")
                }
            }
            // A local misuse: nothing was sent and the connection goes on.
            XCTAssertNil(pair.client.failure, "\(version)")
            XCTAssertFalse(pair.client.hasOutput, "\(version)")
            // The limits themselves are allowed, and both sides agree on them.
            for (label, context, length) in [(longestLabel, [UInt8](repeating: 7, count: 65_535), 255 * hashLength),
                                             ("EXPORTER-x", [], 0)] {
                let mine = try pair.client.exportKeyingMaterial(label: label, context: context, length: length)
                XCTAssertEqual(mine.count, length, "\(version)")
                XCTAssertEqual(mine, try pair.server.exportKeyingMaterial(label: label, context: context, length: length), "\(version)")
            }
            try await pair.assertDataFlows()
        }
    }

    // MARK: Configuration checked when the connection is created

    struct ConfigurationCase {
        var name: String
        var valid: Bool
        var client: ((inout TLSClientConfiguration) -> Void)? = nil
        var server: ((inout TLSServerConfiguration) -> Void)? = nil
    }

    static func common(_ name: String, valid: Bool, _ change: @escaping (inout TLSCommonConfiguration) -> Void) -> [ConfigurationCase] {
        [ConfigurationCase(name: "client " + name, valid: valid, client: { change(&$0.common) }),
         ConfigurationCase(name: "server " + name, valid: valid, server: { change(&$0.common) })]
    }

    static func server(_ name: String, valid: Bool, _ change: @escaping (inout TLSServerConfiguration) -> Void) -> [ConfigurationCase] {
        [ConfigurationCase(name: name, valid: valid, server: change)]
    }

    static func limits(_ name: String, valid: Bool, _ change: @escaping (inout VerificationLimits) -> Void) -> [ConfigurationCase] {
        func verification() -> PeerVerification {
            var limits = VerificationLimits.default
            change(&limits)
            return .custom(X509CertificateVerifier(trustRoots: EngineFixtures.ca.trustRoots, limits: limits))
        }
        return [ConfigurationCase(name: "client limits " + name, valid: valid, client: { $0.peerVerification = verification() }),
                ConfigurationCase(name: "server limits " + name, valid: valid, server: { $0.clientAuthentication = .required(verification()) })]
    }

    static var configurationCases: [ConfigurationCase] {
        var cases: [ConfigurationCase] = []
        // recordPaddingBlockSize: Int.max overflowed the padding arithmetic on the first protected record.
        for size in [0, -1, -16, RecordLimits.maxPlaintext + 1, Int.max] {
            cases += common("recordPaddingBlockSize \(size)", valid: false) { $0.recordPaddingBlockSize = size }
        }
        for size in [1, 256, RecordLimits.maxPlaintext] {
            cases += common("recordPaddingBlockSize \(size)", valid: true) { $0.recordPaddingBlockSize = size }
        }
        // maxHandshakeMessageSize ≤ 0 refused every message; above 2^24-1 it means nothing.
        for size in [0, -1, Int.min, 1 << 24] {
            cases += common("maxHandshakeMessageSize \(size)", valid: false) { $0.maxHandshakeMessageSize = size }
        }
        for size in [1, (1 << 24) - 1] {
            cases += common("maxHandshakeMessageSize \(size)", valid: true) { $0.maxHandshakeMessageSize = size }
        }
        // recordSizeLimit below 64 is illegal on the wire (RFC 8449 §4).
        for limit: UInt16 in [0, 1, 63] {
            cases += common("recordSizeLimit \(limit)", valid: false) { $0.recordSizeLimit = limit }
        }
        for limit: UInt16 in [64, 16_385, .max] {
            cases += common("recordSizeLimit \(limit)", valid: true) { $0.recordSizeLimit = limit }
        }
        // maxBufferedInputWhileVerifying must hold at least one largest record.
        for size in [-1, 0, 16_644] {
            cases += common("maxBufferedInputWhileVerifying \(size)", valid: false) { $0.maxBufferedInputWhileVerifying = size }
        }
        for size in [16_645, Int.max] {
            cases += common("maxBufferedInputWhileVerifying \(size)", valid: true) { $0.maxBufferedInputWhileVerifying = size }
        }
        // ALPN ProtocolName<1..2^8-1> (RFC 7301 §3.1): an empty or 256-byte name cannot be encoded.
        for name in ["", String(repeating: "a", count: 256)] {
            cases += common("ALPN name of \(name.utf8.count) bytes", valid: false) { $0.applicationProtocols = ["h2", name] }
        }
        cases += common("ALPN name of 255 bytes", valid: true) { $0.applicationProtocols = [String(repeating: "a", count: 255)] }
        // ticketsPerHandshake: a negative count or more than 16 tickets per handshake.
        for count in [-1, Int.min, 17, Int.max] {
            cases += server("ticketsPerHandshake \(count)", valid: false) { $0.ticketsPerHandshake = count }
        }
        for count in [0, 16] {
            cases += server("ticketsPerHandshake \(count)", valid: true) { $0.ticketsPerHandshake = count }
        }
        for tolerance in [-1, TimeInterval.nan, .infinity] {
            cases += server("earlyDataAgeTolerance \(tolerance)", valid: false) { $0.earlyDataAgeTolerance = tolerance }
        }
        cases += server("earlyDataAgeTolerance 0", valid: true) { $0.earlyDataAgeTolerance = 0 }
        // A ring rotating every 0 seconds grew by a key per ticket sealed.
        for interval in [0, -1, TimeInterval.nan, .infinity] {
            cases += server("ticket rotationInterval \(interval)", valid: false) {
                $0.sessionTicketKeys = TicketKeyRing(rotationInterval: interval)
            }
        }
        for lifetime in [-1, TimeInterval.nan, .infinity] {
            cases += server("ticket key ticketLifetime \(lifetime)", valid: false) {
                $0.sessionTicketKeys = TicketKeyRing(ticketLifetime: lifetime)
            }
        }
        cases += server("ticket ring without rotation", valid: true) { $0.sessionTicketKeys = TicketKeyRing(rotationInterval: nil, ticketLifetime: 0) }
        for timeout in [-1, TimeInterval.nan, .infinity] {
            cases += server("session ID cache timeout \(timeout)", valid: false) {
                $0.sessionIDCache = ServerSessionCache(timeout: timeout)
            }
        }
        // Verification caps below their minimum reject every chain.
        cases += limits("maxPeerChainLength 0", valid: false) { $0.maxPeerChainLength = 0 }
        cases += limits("maxIntermediates -1", valid: false) { $0.maxIntermediates = -1 }
        cases += limits("maxCandidatePaths 0", valid: false) { $0.maxCandidatePaths = 0 }
        cases += limits("maxSignatureChecks -5", valid: false) { $0.maxSignatureChecks = -5 }
        cases += limits("maxNameConstraintComparisons -1", valid: false) { $0.maxNameConstraintComparisons = -1 }
        cases += limits("all at their minimum", valid: true) {
            $0 = VerificationLimits(maxPeerChainLength: 1, maxIntermediates: 0, maxCandidatePaths: 1, maxSignatureChecks: 1,
                                    maxNameConstraintComparisons: 0)
        }
        return cases
    }

    func testOutOfRangeConfigurationIsRejectedWhenTheConnectionIsCreated() {
        for testCase in Self.configurationCases {
            let result: Result<TLSConnection, any Error>
            if let change = testCase.client {
                var config = EngineFixtures.clientConfiguration()
                change(&config)
                result = Result { try TLSConnection(client: config, serverName: EngineFixtures.serverName) }
            } else {
                var config = EngineFixtures.serverConfiguration()
                testCase.server?(&config)
                result = Result { try TLSConnection(server: config) }
            }
            switch (result, testCase.valid) {
            case (.success, true):
                continue
            case (.failure(let error), false):
                XCTAssertTrue(error is TLSConfigurationError, "\(testCase.name): \(error)")
            case (.success, false):
                XCTFail("\(testCase.name): accepted")
            case (.failure(let error), true):
                XCTFail("\(testCase.name): rejected: \(error)")
            }
        }
    }

    /// The boundary values accepted above also work: padding to the largest block and a 64-byte record limit.
    func testBoundaryPaddingAndRecordSizeLimitStillHandshake() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.recordPaddingBlockSize = RecordLimits.maxPlaintext
        client.common.recordSizeLimit = 64
        var server = EngineFixtures.serverConfiguration()
        server.common.recordPaddingBlockSize = 1
        server.common.recordSizeLimit = 64
        let pair = try InMemoryPair(client: client, server: server)
        await pair.handshake()
        try await pair.assertDataFlows()
    }

    // MARK: Ticket keys

    /// A ring rotating every second with week-long tickets would keep 600,000 keys; it keeps at most `maxKeys`.
    func testTicketKeyRingHoldsAtMostMaxKeys() throws {
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let ring = TicketKeyRing(rotationInterval: 1, ticketLifetime: 7 * 24 * 3600, now: start)
        var random: any RandomSource = SeededRandom(seed: 11)
        let provider = SwiftCryptoProvider()
        var newest: [UInt8] = []
        for second in 1...200 {
            newest = try ring.seal([1, 2, 3], provider: provider, random: &random, now: start.addingTimeInterval(Double(second)))
        }
        XCTAssertEqual(ring.currentKeys.count, TicketKeyRing.maxKeys)
        XCTAssertEqual(ring.open(newest, provider: provider), [1, 2, 3])

        let keys = try (0...TicketKeyRing.maxKeys).map { index in
            try TicketKey(name: Array(repeating: UInt8(index), count: 16), key: Array(repeating: 1, count: 32), created: start)
        }
        XCTAssertThrowsError(try TicketKeyRing(keys: keys))
        XCTAssertNoThrow(try TicketKeyRing(keys: Array(keys.dropLast())))
    }

    // MARK: The injected clock

    /// `now` is configuration: a clock far in the future (or not finite) saturates the ticket timestamps instead of
    /// trapping in the UInt64 conversion when the server seals its tickets.
    func testMillisecondsSaturate() {
        XCTAssertEqual(milliseconds(Date(timeIntervalSince1970: 1.5)), 1500)
        XCTAssertEqual(milliseconds(Date(timeIntervalSince1970: -5)), 0)
        XCTAssertEqual(milliseconds(Date(timeIntervalSince1970: .nan)), 0)
        XCTAssertEqual(milliseconds(Date(timeIntervalSince1970: 1e20)), .max)
        XCTAssertEqual(milliseconds(Date(timeIntervalSince1970: .infinity)), .max)
    }

    func testServerWithAFarFutureClockIssuesTicketsWithoutTrapping() async throws {
        var server = EngineFixtures.serverConfiguration()
        server.common.now = { Date(timeIntervalSince1970: 1e20) }
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: server)
        await pair.handshake()
        let tickets = pair.client.takeEvents().filter { if case .newSessionTicket = $0 { return true } else { return false } }
        XCTAssertEqual(tickets.count, 2)
    }

    /// The client's verifier compares dates only: a far-future clock is an expired certificate, nothing worse. A NaN
    /// time compares false with every date: before, it passed every validity period and the handshake succeeded.
    func testClientClockOutOfRangeOrNaNFailsValidity() async throws {
        for seconds in [1e20, .infinity, .nan] {
            var client = EngineFixtures.clientConfiguration()
            client.common.now = { Date(timeIntervalSince1970: seconds) }
            let expired = try InMemoryPair(client: client, server: EngineFixtures.serverConfiguration())
            await expired.assertSentAlert(.certificateExpired, by: .clientToServer)
        }
    }
}

/// Item 8a: while the peer's chain is being verified the engine processes nothing, so what the peer keeps sending waits
/// in the connection. It is bounded by `maxBufferedInputWhileVerifying`.
final class EngineBufferedInputTests: XCTestCase {
    static let cap = TLSCommonConfiguration().maxBufferedInputWhileVerifying

    struct Held {
        let client: TLSConnection
        let server: TLSConnection
        let serverKeyLog: KeyLogCollector
    }

    /// A client that has the server's whole first flight and waits for its verification (never run here).
    func clientWaitingForVerification(configure: (inout TLSClientConfiguration) -> Void = { _ in }) throws -> Held {
        var clientConfig = EngineFixtures.clientConfiguration()
        configure(&clientConfig)
        let keyLog = KeyLogCollector()
        var serverConfig = EngineFixtures.serverConfiguration()
        serverConfig.common.keyLog = keyLog.callback
        let client = try TLSConnection(client: clientConfig, serverName: EngineFixtures.serverName)
        let server = try TLSConnection(server: serverConfig)
        try server.receive(client.takeOutput())
        try client.receive(server.takeOutput())
        XCTAssertNotNil(client.pendingVerification)
        return Held(client: client, server: server, serverKeyLog: keyLog)
    }

    /// 0.5-RTT data as the server could send it right after its Finished (sealed with its first traffic secret).
    func halfRTTData(_ held: Held, _ payload: [UInt8]) throws -> [UInt8] {
        let secret = try XCTUnwrap(held.serverKeyLog.secret("SERVER_TRAFFIC_SECRET_0"))
        var forger = try RecordForger(secret: secret, suite: .TLS_AES_128_GCM_SHA256)
        return try forger.seal(.applicationData, payload)
    }

    func testInputUpToTheCapWaitsAndIsProcessedAfterVerification() async throws {
        let held = try clientWaitingForVerification()
        let payload = testPayload(count: Self.cap - 1024, seed: 8)
        let records = try halfRTTData(held, payload)
        XCTAssertLessThanOrEqual(records.count, Self.cap)
        // Fed in pieces while the verification is pending: all of it waits.
        var offset = 0
        while offset < records.count {
            let end = min(offset + 3000, records.count)
            try held.client.receive(Array(records[offset..<end]))
            offset = end
        }
        XCTAssertNotNil(held.client.pendingVerification)
        XCTAssertTrue(held.client.takeApplicationData().isEmpty)

        try await held.client.performPendingVerification()
        XCTAssertTrue(held.client.isHandshakeComplete)
        XCTAssertEqual(held.client.negotiated?.cipherSuite, .TLS_AES_128_GCM_SHA256)
        XCTAssertEqual(held.client.takeApplicationData(), payload)
        try held.server.receive(held.client.takeOutput())
        XCTAssertTrue(held.server.isHandshakeComplete)
    }

    /// A configured cap is the one enforced.
    func testConfiguredCapIsEnforced() throws {
        let held = try clientWaitingForVerification { $0.common.maxBufferedInputWhileVerifying = 20_000 }
        try held.client.receive([UInt8](repeating: 0x17, count: 20_000))
        XCTAssertThrowsError(try held.client.receive([0x17]))
        XCTAssertEqual(held.client.failure?.alert, .internalError)
    }

    func testInputBeyondTheCapWhileVerifyingFailsWithInternalError() throws {
        let held = try clientWaitingForVerification()
        var fed = 0
        var thrown: TLSError?
        while thrown == nil && fed <= 2 * Self.cap {
            do {
                try held.client.receive([UInt8](repeating: 0x17, count: 4096))
                fed += 4096
            } catch {
                thrown = error
            }
        }
        XCTAssertEqual(thrown?.alert, .internalError, "\(String(describing: thrown))")
        XCTAssertEqual(held.client.failure?.alert, .internalError)
        XCTAssertLessThanOrEqual(fed, Self.cap, "everything accepted fits under the cap")
        XCTAssertGreaterThan(fed + 4096, Self.cap)
        XCTAssertNil(held.client.pendingVerification)
        // The alert went out, under the client's handshake key: the server reads it.
        XCTAssertThrowsError(try held.server.receive(held.client.takeOutput()))
        XCTAssertEqual(held.server.failure?.alert, .internalError)
        XCTAssertEqual(held.server.failure?.origin, .peer)
    }

    /// The same bound when one receive() brings the Certificate and too much behind it.
    func testOneReceiveCarryingTooMuchBehindTheCertificateFails() throws {
        let client = try TLSConnection(client: EngineFixtures.clientConfiguration(), serverName: EngineFixtures.serverName)
        let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
        try server.receive(client.takeOutput())
        let flight = server.takeOutput() + [UInt8](repeating: 0x17, count: Self.cap + 1)
        XCTAssertThrowsError(try client.receive(flight)) { error in
            XCTAssertEqual((error as? TLSError)?.alert, .internalError)
        }
        XCTAssertEqual(client.failure?.alert, .internalError)
    }
}

/// Item 8b: the event queue is bounded when the application never takes events.
final class EngineEventQueueTests: XCTestCase {
    func isTicket(_ event: TLSEvent) -> Bool {
        if case .newSessionTicket = event { return true }
        return false
    }

    /// A server streams thousands of NewSessionTickets after the handshake to a client that never calls takeEvents():
    /// before, every ticket stayed queued twice over (its message event and the ticket itself).
    func testStreamedTicketsKeepTheQueueBoundedAndAreCounted() async throws {
        var clientConfig = EngineFixtures.clientConfiguration()
        let cache = ClientSessionCache()
        clientConfig.sessionCache = cache
        let pair = try InMemoryPair(client: clientConfig, server: EngineFixtures.serverConfiguration())
        await pair.handshake()
        let queuedAfterHandshake = Array(pair.client.events)
        XCTAssertTrue(queuedAfterHandshake.contains(.handshakeCompleted))

        var forger = RecordForger(toward: pair.client)
        let tickets = 5000
        var sent = 0
        while sent < tickets {
            var messages: [UInt8] = []
            for index in sent..<min(sent + 100, tickets) {
                let ticket = NewSessionTicket(ticketLifetime: 3600, ticketAgeAdd: UInt32(index), ticketNonce: [UInt8(index & 0xFF)],
                                              ticket: [UInt8](repeating: UInt8(index & 0xFF), count: 200), extensions: [])
                messages += HandshakeMessage.newSessionTicket(ticket).testBytes
            }
            try pair.client.receive(try forger.seal(.handshake, messages))
            sent = min(sent + 100, tickets)
        }
        let queued = Array(pair.client.events)
        XCTAssertEqual(queued.count, EventQueue.capacity)
        // Two events per ticket (the message, the ticket); everything beyond the capacity was dropped and counted.
        XCTAssertEqual(pair.client.droppedEventCount, queuedAfterHandshake.count + 2 * tickets - EventQueue.capacity)
        XCTAssertTrue(queued.contains(.handshakeCompleted), "never dropped")
        // The newest tickets are the ones kept, and the cache still got its tickets.
        guard case .newSessionTicket(let newest)? = queued.last(where: isTicket) else { return XCTFail("no ticket event") }
        XCTAssertEqual(newest.ticketAgeAdd, UInt32(tickets - 1))
        XCTAssertEqual(cache.count(for: EngineFixtures.serverName), cache.ticketsPerServer)

        // close_notify after the flood still gets through, and the application sees it all when it does look.
        // (Sealed by the forger too: the server's own write sequence knows nothing of the forged tickets.)
        try pair.client.receive(try forger.seal(.alert, Alert(level: .warning, description: .closeNotify).encode()))
        XCTAssertNil(pair.client.failure)
        let taken = pair.client.takeEvents()
        XCTAssertEqual(taken.count, EventQueue.capacity)
        XCTAssertEqual(taken.first, .handshakeCompleted)
        XCTAssertEqual(taken.last, .peerClosed)
        XCTAssertTrue(pair.client.takeEvents().isEmpty)
    }

    /// A peer that interleaves KeyUpdates with data makes key-update events without end: they are dropped too (oldest
    /// first), but only once no handshake-message or ticket event is left, and lifecycle events never are.
    func testDropOrder() {
        var queue = EventQueue()
        queue.append(.handshakeCompleted)
        queue.append(.handshakeMessage(.received, .newSessionTicket, length: 10))
        for _ in 0..<(EventQueue.capacity - 2) { queue.append(.keyUpdated(.received)) }
        XCTAssertEqual(queue.dropped, 0)

        queue.append(.keyUpdated(.sent))   // full: the one informational event goes first
        XCTAssertEqual(queue.dropped, 1)
        XCTAssertFalse(queue.contains(.handshakeMessage(.received, .newSessionTicket, length: 10)))
        XCTAssertEqual(Array(queue).last, .keyUpdated(.sent))

        queue.append(.handshakeMessage(.received, .newSessionTicket, length: 11))   // the least important: not kept
        XCTAssertEqual(queue.dropped, 2)
        XCTAssertFalse(queue.contains(.handshakeMessage(.received, .newSessionTicket, length: 11)))

        queue.append(.peerClosed)   // lifecycle: the oldest key update makes room
        XCTAssertEqual(queue.dropped, 3)
        XCTAssertEqual(Array(queue).first, .handshakeCompleted)
        XCTAssertEqual(Array(queue).last, .peerClosed)
        XCTAssertEqual(Array(queue).count, EventQueue.capacity)
    }
}

/// Item 10: our own messages that cannot be encoded fail loudly (internal_error), never go out malformed.
final class EngineEncodingOverflowTests: XCTestCase {
    /// Each ALPN name is valid (≤ 255 bytes) but together they exceed the 16-bit ProtocolNameList.
    func testClientWithAnALPNListTooLongForItsPrefixFailsToStart() {
        var config = EngineFixtures.clientConfiguration()
        config.common.applicationProtocols = (0..<300).map { String(format: "%03d", $0) + String(repeating: "p", count: 247) }
        XCTAssertThrowsError(try TLSConnection(client: config, serverName: EngineFixtures.serverName)) { error in
            XCTAssertEqual((error as? TLSError)?.alert, .internalError, "\(error)")
        }
    }

    /// A ticket the server was allowed to send (up to 2^16-1 bytes) cannot be offered back: the PSK identity list
    /// around it has the same 16-bit limit.
    func testATicketTooLargeForTheClientHelloMeansAFullHandshakeNotAMalformedHello() async throws {
        var config = EngineFixtures.clientConfiguration()
        let cache = ClientSessionCache()
        config.sessionCache = cache
        var session = ClientSession(
            cipherSuite: .TLS_AES_128_GCM_SHA256, ticket: [UInt8](repeating: 7, count: 65_535),
            secret: testPayload(count: 32, seed: 4), lifetime: 3600, received: Date(),
            serverName: EngineFixtures.serverName, applicationProtocol: nil, resumption: .tls13(ageAdd: 0, maxEarlyDataSize: 0))
        // As if verified by this configuration's verifier, so the client would offer it.
        session.serverAuthentication = try XCTUnwrap(SessionAuthentication(
            verifiedChain: EngineFixtures.serverLeaves[.ecdsaP256]!.chainDER, leafNotAfter: nil,
            policyDigest: SessionAuthentication.policyDigest(verifier: try config.peerVerification.makeVerifier(), checksServerIdentity: true),
            signatureScheme: .ecdsa_secp256r1_sha256))
        cache.store(session)
        let client = try TLSConnection(client: config, serverName: EngineFixtures.serverName)
        let flight = client.takeOutput()
        let hello = try decodeClientHello(WireRecord.parse(flight).records)
        XCTAssertNil(hello.extensions.preSharedKeyClient, "the oversized ticket was offered")
        XCTAssertEqual(cache.count(for: EngineFixtures.serverName), 0, "the session was used up")
        // The handshake goes on as a full one.
        let pair = InMemoryPair(client: client, server: try TLSConnection(server: EngineFixtures.serverConfiguration()))
        await pair.deliver(flight, .clientToServer)
        await pair.handshake()
        XCTAssertEqual(pair.client.negotiated?.resumed, false)
    }
}
