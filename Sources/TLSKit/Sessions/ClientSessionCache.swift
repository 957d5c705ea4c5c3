import Foundation

/// What a client keeps to resume a session: a TLS 1.3 ticket with its PSK (RFC 8446 §4.6.1), or a TLS 1.2
/// session (RFC 5246 §7.3 session ID and/or RFC 5077 ticket) with its master secret.
public struct ClientSession: Sendable, Equatable {
    /// What only one version's resumption uses: a TLS 1.3 ticket's age obfuscation and 0-RTT allowance, or a TLS 1.2
    /// session's ID, extended-master-secret state and group.
    enum Resumption: Sendable, Equatable {
        /// `maxEarlyDataSize`: the most early data the server accepts with this ticket (0: no 0-RTT).
        case tls13(ageAdd: UInt32, maxEarlyDataSize: UInt32)
        /// `sessionID`: the ID the server assigned (empty when it only issued a ticket); `extendedMasterSecret`: must
        /// match on resumption (RFC 7627 §5.3); `group`: the original handshake's, reported again on resumption.
        case tls12(sessionID: [UInt8], extendedMasterSecret: Bool, group: NamedGroup?)
    }

    public let cipherSuite: CipherSuite
    public let ticket: [UInt8]
    /// The resumption PSK (TLS 1.3) or the master secret (TLS 1.2).
    var secret: [UInt8]
    public let lifetime: TimeInterval
    public let received: Date
    public let serverName: String
    public let applicationProtocol: String?
    var resumption: Resumption
    /// How the server was authenticated in the full handshake that created the session: its chain, the verification
    /// policy that accepted it, the leaf's expiry. A resumed connection reports this chain as its peer's.
    var serverAuthentication = SessionAuthentication.anonymous

    init(cipherSuite: CipherSuite, ticket: [UInt8], secret: [UInt8], lifetime: TimeInterval, received: Date,
         serverName: String, applicationProtocol: String?, resumption: Resumption,
         serverAuthentication: SessionAuthentication = .anonymous) {
        self.cipherSuite = cipherSuite
        self.ticket = ticket
        self.secret = secret
        self.lifetime = lifetime
        self.received = received
        self.serverName = serverName
        self.applicationProtocol = applicationProtocol
        self.resumption = resumption
        self.serverAuthentication = serverAuthentication
    }

    public var version: ProtocolVersion {
        switch resumption {
        case .tls13: return .tls13
        case .tls12: return .tls12
        }
    }

    /// TLS 1.2: the session ID the server assigned (empty when it only issued a ticket; always empty for TLS 1.3).
    public var sessionID: [UInt8] {
        if case .tls12(let sessionID, _, _) = resumption { return sessionID }
        return []
    }

    /// TLS 1.3: the most early data the server accepts with this ticket (0: no 0-RTT; always 0 for TLS 1.2).
    public var maxEarlyDataSize: UInt32 {
        if case .tls13(_, let maxEarlyDataSize) = resumption { return maxEarlyDataSize }
        return 0
    }

    /// TLS 1.2: whether the session used the extended master secret (TLS 1.3 always derives from the transcript).
    var extendedMasterSecret: Bool {
        if case .tls12(_, let extendedMasterSecret, _) = resumption { return extendedMasterSecret }
        return true
    }

    /// TLS 1.2: the key-exchange group of the original handshake.
    var group: NamedGroup? {
        if case .tls12(_, _, let group) = resumption { return group }
        return nil
    }

    /// The server's certificate chain as verified in the handshake that created this session (DER, leaf first).
    public var peerCertificates: [[UInt8]] { serverAuthentication.peerCertificates }

    func isValid(at now: Date) -> Bool {
        let age = now.timeIntervalSince(received)
        return age >= 0 && age < lifetime
    }

    /// obfuscated_ticket_age = (age in ms + ticket_age_add) mod 2^32.
    func obfuscatedAge(at now: Date) -> UInt32 {
        let milliseconds = UInt64(max(0, now.timeIntervalSince(received)) * 1000)
        guard case .tls13(let ageAdd, _) = resumption else { return 0 }
        return UInt32(truncatingIfNeeded: milliseconds) &+ ageAdd
    }
}

/// A bounded client-side store of session tickets keyed by server name (least recently used names are
/// dropped first). Tickets are single-use: `take` removes the ticket it returns, as RFC 8446 §C.4 advises.
/// Share one cache between connections to the same servers (it is thread-safe). The secrets of sessions it drops are
/// overwritten (README "Secrets in memory").
public final class ClientSessionCache: @unchecked Sendable {
    private let lock = NSLock()
    private var sessions: [String: [ClientSession]] = [:]
    private var order: [String] = []   // least recently used first
    private var groupHints: [String: NamedGroup] = [:]
    public let capacity: Int
    public let ticketsPerServer: Int

    public init(capacity: Int = 256, ticketsPerServer: Int = 4) {
        self.capacity = max(1, capacity)
        self.ticketsPerServer = max(1, ticketsPerServer)
    }

    func store(_ session: ClientSession) {
        lock.lock()
        defer { lock.unlock() }
        var dropped: [ClientSession] = []
        defer { Self.wipe(&dropped) }   // after the cache let go of them, so the wipe lands in place
        var list = sessions[session.serverName] ?? []
        list.append(session)
        if list.count > ticketsPerServer {
            dropped += list.prefix(list.count - ticketsPerServer)
            list.removeFirst(list.count - ticketsPerServer)
        }
        sessions[session.serverName] = list
        touch(session.serverName)
        while order.count > capacity {
            dropped += sessions.removeValue(forKey: order.removeFirst()) ?? []
        }
    }

    /// Overwrites the PSKs / master secrets of sessions the cache dropped.
    private static func wipe(_ sessions: inout [ClientSession]) {
        for index in sessions.indices { sessions[index].wipeSecret() }
    }

    deinit {
        for name in Array(sessions.keys) {
            if var list = sessions.removeValue(forKey: name) { Self.wipe(&list) }
        }
    }

    /// The newest still-valid session for `serverName` that `usable` accepts, removed from the cache. Sessions it
    /// does not accept stay (another configuration sharing the cache may resume them).
    func take(serverName: String, now: Date, where usable: (ClientSession) -> Bool = { _ in true }) -> ClientSession? {
        lock.lock()
        defer { lock.unlock() }
        guard var list = sessions[serverName] else { return nil }
        var expired = list.filter { !$0.isValid(at: now) }
        defer { Self.wipe(&expired) }
        list.removeAll { !$0.isValid(at: now) }
        var session: ClientSession?
        if let index = list.lastIndex(where: usable) {
            session = list.remove(at: index)
        }
        sessions[serverName] = list.isEmpty ? nil : list
        if list.isEmpty { order.removeAll { $0 == serverName } }
        return session
    }

    /// A server's preferred key-exchange group, learned from its EncryptedExtensions (RFC 8446 §4.2.7): the next
    /// ClientHello to it sends that share first, saving a HelloRetryRequest. Bounded like the sessions.
    func preferredGroup(for serverName: String) -> NamedGroup? {
        lock.lock()
        defer { lock.unlock() }
        return groupHints[serverName]
    }

    func rememberPreferredGroup(_ group: NamedGroup, for serverName: String) {
        lock.lock()
        defer { lock.unlock() }
        if groupHints.count >= capacity && groupHints[serverName] == nil, let any = groupHints.keys.first {
            groupHints[any] = nil
        }
        groupHints[serverName] = group
    }

    /// Number of sessions held for `serverName`.
    public func count(for serverName: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return sessions[serverName]?.count ?? 0
    }

    private func touch(_ name: String) {
        order.removeAll { $0 == name }
        order.append(name)
    }
}

/// The state a TLS 1.3 ticket carries, sealed by the server's TicketKeyRing.
struct TicketState: Equatable {
    var version: ProtocolVersion
    var cipherSuite: CipherSuite
    var created: UInt64          // milliseconds since 1970
    var lifetime: UInt32         // seconds
    var ageAdd: UInt32
    var secret: [UInt8]
    var serverName: String
    var applicationProtocol: String
    /// TLS 1.2 sessions: whether the master secret is an extended master secret.
    var extendedMasterSecret: Bool
    /// TLS 1.3 tickets: the max_early_data_size announced with the ticket (0: no 0-RTT).
    var maxEarlyDataSize: UInt32
    /// The client certificate the original handshake verified (anonymous when there was none).
    var clientAuthentication: SessionAuthentication

    /// Bumped whenever the layout changes: a ticket in an older layout is just not resumed.
    static let formatVersion: UInt8 = 2

    func encode() throws(TLSError) -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: 96)
        writer.writeUInt8(Self.formatVersion)
        writer.writeUInt16(version.rawValue)
        writer.writeUInt16(cipherSuite.rawValue)
        writer.writeUInt32(UInt32(truncatingIfNeeded: created >> 32))
        writer.writeUInt32(UInt32(truncatingIfNeeded: created))
        writer.writeUInt32(lifetime)
        writer.writeUInt32(ageAdd)
        writer.writeVector8(bytes: secret)
        writer.writeVector16(bytes: Array(serverName.utf8))
        writer.writeVector8(bytes: Array(applicationProtocol.utf8))
        writer.writeUInt8(extendedMasterSecret ? 1 : 0)
        writer.writeUInt32(maxEarlyDataSize)
        clientAuthentication.encode(into: &writer)
        return try writer.checkedBytes()
    }

    init(version: ProtocolVersion, cipherSuite: CipherSuite, created: UInt64, lifetime: UInt32, ageAdd: UInt32,
         secret: [UInt8], serverName: String, applicationProtocol: String, extendedMasterSecret: Bool = true,
         maxEarlyDataSize: UInt32 = 0, clientAuthentication: SessionAuthentication = .anonymous) {
        self.version = version
        self.cipherSuite = cipherSuite
        self.created = created
        self.lifetime = lifetime
        self.ageAdd = ageAdd
        self.secret = secret
        self.serverName = serverName
        self.applicationProtocol = applicationProtocol
        self.extendedMasterSecret = extendedMasterSecret
        self.maxEarlyDataSize = maxEarlyDataSize
        self.clientAuthentication = clientAuthentication
    }

    /// Decodes what we sealed ourselves; authenticated by the AEAD, but still parsed defensively.
    init?(decoding bytes: [UInt8]) {
        var reader = ByteReader(bytes)
        do {
            guard try reader.readUInt8() == Self.formatVersion else { return nil }
            version = ProtocolVersion(rawValue: try reader.readUInt16())
            cipherSuite = CipherSuite(rawValue: try reader.readUInt16())
            created = UInt64(try reader.readUInt32()) << 32 | UInt64(try reader.readUInt32())
            lifetime = try reader.readUInt32()
            ageAdd = try reader.readUInt32()
            secret = try reader.readVector8()
            serverName = String(decoding: try reader.readVector16(), as: UTF8.self)
            applicationProtocol = String(decoding: try reader.readVector8(), as: UTF8.self)
            extendedMasterSecret = try reader.readUInt8() == 1
            maxEarlyDataSize = try reader.readUInt32()
            clientAuthentication = try SessionAuthentication(decoding: &reader)
            try reader.expectEmpty()
        } catch {
            return nil
        }
    }
}

/// Milliseconds since 1970, saturating: the clock is injected (`TLSCommonConfiguration.now`), so a date before 1970,
/// beyond UInt64 or not finite must not trap.
func milliseconds(_ date: Date) -> UInt64 {
    let value = date.timeIntervalSince1970 * 1000
    guard value > 0 else { return 0 }   // also NaN
    return value < 18_446_744_073_709_549_568 ? UInt64(value) : .max   // the largest Double below 2^64
}

/// The server's TLS 1.2 session-ID cache (RFC 5246 §7.3): bounded, least recently used entries dropped first,
/// entries older than `timeout` ignored (seconds, finite and 0 or more, checked when a connection is created).
/// Thread-safe; share one between connections.
public final class ServerSessionCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [[UInt8]: TicketState] = [:]
    private var order: [[UInt8]] = []   // least recently used first
    public let capacity: Int
    public let timeout: TimeInterval

    public init(capacity: Int = 10_000, timeout: TimeInterval = 7200) {
        self.capacity = max(1, capacity)
        self.timeout = timeout
    }

    func store(_ state: TicketState, sessionID: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        if var replaced = entries.updateValue(state, forKey: sessionID) {
            replaced.wipeSecret()
            order.removeAll { $0 == sessionID }
        }
        order.append(sessionID)
        while order.count > capacity { var evicted = entries.removeValue(forKey: order.removeFirst()); evicted?.wipeSecret() }
    }

    deinit {
        for sessionID in Array(entries.keys) { var entry = entries.removeValue(forKey: sessionID); entry?.wipeSecret() }
    }

    func lookup(_ sessionID: [UInt8], now: Date) -> TicketState? {
        lock.lock()
        defer { lock.unlock() }
        // Only the timestamp is read here, so no copy of the entry is alive when an expired one is wiped below.
        guard let created = entries[sessionID]?.created else { return nil }
        let ageMilliseconds = milliseconds(now) &- created
        guard milliseconds(now) >= created, Double(ageMilliseconds) < timeout * 1000 else {
            var expired = entries.removeValue(forKey: sessionID)
            expired?.wipeSecret()
            order.removeAll { $0 == sessionID }
            return nil
        }
        order.removeAll { $0 == sessionID }
        order.append(sessionID)
        return entries[sessionID]
    }

    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }
}

/// Server-side 0-RTT replay protection (RFC 8446 §8.1): each ticket may carry early data once. Remembered for the
/// ticket lifetime; bounded, and when full it refuses early data rather than forget (fail safe).
///
/// The memory of used tickets lives in this process only, while ticket keys may outlive it (a key file) or be shared
/// by a fleet. So (RFC 8446 §8.2's rule for a restarted server): early data is accepted only with tickets issued
/// after this guard started; older tickets still resume, with 1-RTT data only. The guarantee, then: one process
/// accepts each ticket's early data at most once. Servers that share ticket keys each keep their own guard, so an
/// attacker can replay a ClientHello's early data once to each of them — keep `maxEarlyDataSize` at 0 on a fleet
/// unless every request that may arrive early is safe to repeat (RFC 8446 §8, Appendix E.5).
public final class EarlyDataReplayGuard: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [[UInt8]: Date] = [:]
    public let capacity: Int
    /// Tickets issued before this moment never carry early data here (their use before a restart is not known).
    public let startedAt: Date

    public init(capacity: Int = 100_000, startedAt: Date = Date()) {
        self.capacity = max(1, capacity)
        self.startedAt = startedAt
    }

    /// True the first time `ticket` is claimed within `lifetime`; false for a replay (or when the guard is full).
    func claim(_ ticket: [UInt8], now: Date, lifetime: TimeInterval) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if seen.count >= capacity { seen = seen.filter { now.timeIntervalSince($0.value) < lifetime } }
        if let first = seen[ticket], now.timeIntervalSince(first) < lifetime { return false }
        guard seen.count < capacity else { return false }
        seen[ticket] = now
        return true
    }
}
