public enum TLSDirection: String, Sendable, Equatable {
    case sent
    case received
}

/// What happened while processing, for drivers and for `--trace`.
public enum TLSEvent: Sendable, Equatable {
    /// A handshake message went out or came in (type and full length including its 4-byte header).
    case handshakeMessage(TLSDirection, HandshakeType, length: Int)
    /// The handshake finished; `TLSConnection.negotiated` is now set. Fired exactly once.
    case handshakeCompleted
    /// The server sent a TLS 1.3 NewSessionTicket (kept for resumption by a later issue's session cache).
    case newSessionTicket(NewSessionTicket)
    /// A traffic key was updated: `.sent` for our write key, `.received` for the peer's.
    case keyUpdated(TLSDirection)
    /// The peer sent close_notify: no more data will come.
    case peerClosed
    /// Client: the server accepted (true) or rejected (false) our early data. Rejected data is sent again after the
    /// handshake, automatically.
    case earlyDataAccepted(Bool)
}

/// Why a server rejected the early data a client offered (RFC 8446 §4.2.10, §8).
public enum EarlyDataRejection: String, Sendable, Hashable {
    /// `maxEarlyDataSize` is 0: this server takes no early data.
    case disabled
    /// We sent a HelloRetryRequest, which rejects early data.
    case helloRetryRequest
    /// The client's ticket was not accepted (a full handshake).
    case notResumed
    /// Resumed with a PSK other than the first offered, which is the only one early data may use.
    case notFirstTicket
    /// The ticket was issued without max_early_data_size.
    case ticketWithoutEarlyData
    /// The handshake chose another cipher suite than the ticket's.
    case cipherSuiteChanged
    /// The handshake chose another ALPN protocol than the ticket's.
    case applicationProtocolChanged
    /// The ticket was issued before this server's replay guard started (§8.2).
    case ticketFromBeforeRestart
    /// The client's idea of the ticket's age is too far from ours (`earlyDataAgeTolerance`, §8.3).
    case ticketAgeOutOfWindow
    /// This ticket already carried early data (a replay), or the replay guard is full.
    case replayed
}

/// The outcome of the handshake.
public struct NegotiatedParameters: Sendable, Equatable {
    public var version: ProtocolVersion
    public var cipherSuite: CipherSuite
    /// The key-exchange group (nil only for PSK-only resumption).
    public var group: NamedGroup?
    /// The scheme the server signed its CertificateVerify with.
    public var serverSignatureScheme: SignatureScheme?
    /// The scheme the client signed with, when it authenticated.
    public var clientSignatureScheme: SignatureScheme?
    public var applicationProtocol: String?
    /// The server_name the client asked for.
    public var serverName: String?
    /// The peer's certificate chain as sent (DER, leaf first); empty if it sent none.
    public var peerCertificates: [[UInt8]]
    public var usedHelloRetryRequest: Bool
    public var resumed: Bool
    /// TLS 1.2: whether the master secret is the RFC 7627 extended master secret, bound to this handshake's
    /// transcript (on resumption: the original session's, which cannot differ). Without it exporters are refused
    /// by default and the session is not resumed. Always true for TLS 1.3, whose key schedule hashes in the
    /// transcript, the protection the extension adds to TLS 1.2 (RFC 8446 Appendix D asks APIs to say so).
    public var extendedMasterSecret: Bool = true
    /// CBC suites (only with `insecureLegacyVersions`): RFC 7366 encrypt-then-MAC was negotiated, so records are
    /// MACed over the ciphertext. False for AEAD suites, which need no such thing.
    public var encryptThenMAC: Bool = false
    /// TLS 1.0 with a CBC suite: our application data goes out with 1/n−1 record splitting against BEAST.
    public var recordSplitting: Bool = false

    /// TLS 1.1 or 1.0, deprecated by RFC 8996 and reached only through `insecureLegacyVersions` — or SSL 3.0
    /// (RFC 7568), reached only by a client through `.downToSSL30IncludingPOODLEVulnerableSSL3`.
    public var isLegacyVersion: Bool { version < .tls12 }
}

/// The connection's pending events, bounded so that a peer cannot grow it without limit when the application never
/// calls `takeEvents()` (a server may stream NewSessionTickets, each event holding a whole ticket).
///
/// At most `capacity` events wait. When one more arrives, the oldest informational event goes:
/// first `.handshakeMessage` and `.newSessionTicket` (the tickets themselves are already in the session cache),
/// then, only if nothing else is left to drop, the oldest `.keyUpdated` (a peer may interleave KeyUpdates with data
/// forever, so these cannot be exempt). `.handshakeCompleted`, `.peerClosed` and `.earlyDataAccepted` each happen at
/// most once per connection and are never dropped. `dropped` counts what went.
struct EventQueue: Sequence {
    static let capacity = 64

    private(set) var events: [TLSEvent] = []
    private(set) var dropped = 0

    mutating func append(_ event: TLSEvent) {
        if events.count >= Self.capacity && !makeRoom(for: event) {
            dropped += 1   // the newcomer was the least important
            return
        }
        events.append(event)
    }

    /// Removes everything queued, in order.
    mutating func take() -> [TLSEvent] {
        defer { events = [] }
        return events
    }

    func makeIterator() -> IndexingIterator<[TLSEvent]> { events.makeIterator() }

    /// Drops the oldest event of the lowest priority present, unless `newcomer` is itself of a lower priority than
    /// anything queued (then it is the one to go: false).
    private mutating func makeRoom(for newcomer: TLSEvent) -> Bool {
        for priority in [Priority.informational, .keyUpdate] {
            if let index = events.firstIndex(where: { Self.priority($0) == priority }) {
                events.remove(at: index)
                dropped += 1
                return true
            }
            if Self.priority(newcomer) == priority { return false }
        }
        // Only lifecycle events queued (at most three, far below the capacity): keep everything.
        return true
    }

    private enum Priority { case informational, keyUpdate, lifecycle }

    private static func priority(_ event: TLSEvent) -> Priority {
        switch event {
        case .handshakeMessage, .newSessionTicket: return .informational
        case .keyUpdated: return .keyUpdate
        case .handshakeCompleted, .peerClosed, .earlyDataAccepted: return .lifecycle
        }
    }
}
