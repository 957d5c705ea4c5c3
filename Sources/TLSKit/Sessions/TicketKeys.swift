import Foundation

/// One session-ticket encryption key: a 16-byte public name (sent in every ticket, so the server finds the key)
/// and a 32-byte AES-256-GCM key.
public struct TicketKey: Sendable, Equatable {
    public let name: [UInt8]
    public internal(set) var key: [UInt8]
    /// When this key started to encrypt (for rotation).
    public let created: Date

    public init(name: [UInt8], key: [UInt8], created: Date) throws {
        guard name.count == 16, key.count == 32 else {
            throw TLSConfigurationError("a ticket key is a 16-byte name and a 32-byte key")
        }
        self.init(validName: name, key: key, created: created)
    }

    private init(validName: [UInt8], key: [UInt8], created: Date) {
        self.name = validName
        self.key = key
        self.created = created
    }

    /// A fresh random key.
    static func random(_ random: inout some RandomSource, now: Date) -> TicketKey {
        TicketKey(validName: random.bytes(16), key: random.bytes(32), created: now)
    }
}

/// The server's session-ticket keys (RFC 5077 §4 style): the newest key encrypts, recent keys still decrypt,
/// and keys are dropped once no ticket they sealed can still be valid.
///
/// Tickets are `key_name (16) || nonce (12) || AES-256-GCM(state) || tag (16)`, with the key name as additional
/// data. Rotation: when the current key is older than `rotationInterval`, a fresh random key takes over;
/// retired keys are kept for `ticketLifetime` more so tickets issued just before the rotation still work.
///
/// Fleets: every server behind one load balancer must share keys. Create the ring from the same bytes on each
/// (`init(keyFile:)`, 48 bytes per key: name then key, newest first) and turn off automatic rotation
/// (`rotationInterval: nil`); rotate by distributing a new file with the new key first and the old ones after,
/// then dropping the oldest once `ticketLifetime` has passed.
///
/// Keys the ring drops are overwritten (all of them when the ring is freed; see README "Secrets in memory").
///
/// A ring holds at most `maxKeys` keys: beyond that the oldest retired key is dropped early (its tickets then fall
/// back to a full handshake). `rotationInterval` must be positive and `ticketLifetime` 0 or more (both finite);
/// connections refuse a ring that breaks this (`TLSConfigurationError`).
public final class TicketKeyRing: @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [TicketKey]   // newest first
    public let rotationInterval: TimeInterval?
    public let ticketLifetime: TimeInterval

    /// A ring with one fresh random key that rotates itself every `rotationInterval`.
    public init(rotationInterval: TimeInterval? = 12 * 3600, ticketLifetime: TimeInterval = 7 * 24 * 3600, now: Date = Date()) {
        var random = SystemRandomSource()
        self.keys = [TicketKey.random(&random, now: now)]
        self.rotationInterval = rotationInterval
        self.ticketLifetime = ticketLifetime
    }

    /// A ring from given keys (newest first).
    public init(keys: [TicketKey], rotationInterval: TimeInterval? = nil, ticketLifetime: TimeInterval = 7 * 24 * 3600) throws {
        guard !keys.isEmpty else { throw TLSConfigurationError("a ticket key ring needs at least one key") }
        guard keys.count <= Self.maxKeys else {
            throw TLSConfigurationError("a ticket key ring holds at most \(Self.maxKeys) keys (got \(keys.count))")
        }
        self.keys = keys
        self.rotationInterval = rotationInterval
        self.ticketLifetime = ticketLifetime
    }

    /// Keys from a file of 48-byte records (16-byte name, 32-byte key), newest first.
    public convenience init(keyFile path: String, rotationInterval: TimeInterval? = nil, ticketLifetime: TimeInterval = 7 * 24 * 3600) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TLSConfigurationError("cannot read ticket key file \(path)")
        }
        let bytes = [UInt8](data)
        guard !bytes.isEmpty, bytes.count % 48 == 0 else {
            throw TLSConfigurationError("ticket key file \(path) must hold 48-byte records (16-byte name, 32-byte key)")
        }
        let now = Date()
        var keys: [TicketKey] = []
        for offset in stride(from: 0, to: bytes.count, by: 48) {
            keys.append(try TicketKey(name: Array(bytes[offset..<offset + 16]), key: Array(bytes[offset + 16..<offset + 48]), created: now))
        }
        try self.init(keys: keys, rotationInterval: rotationInterval, ticketLifetime: ticketLifetime)
    }

    /// Most keys a ring holds (the defaults, 12-hour rotation and 7-day lifetime, need 15).
    public static let maxKeys = 64

    /// Why this ring's timing cannot work, or nil: checked when a server connection is created.
    var configurationProblem: String? {
        if let interval = rotationInterval, !(interval.isFinite && interval > 0) {
            return "rotationInterval must be a positive, finite number of seconds, or nil (got \(interval))"
        }
        guard ticketLifetime.isFinite, ticketLifetime >= 0 else {
            return "ticketLifetime must be a finite number of seconds, 0 or more (got \(ticketLifetime))"
        }
        return nil
    }

    /// The keys currently held, newest first.
    public var currentKeys: [TicketKey] {
        lock.lock()
        defer { lock.unlock() }
        return keys
    }

    /// Removes a key and overwrites it (in place unless a caller of `currentKeys` still holds a copy).
    private func dropKey(at index: Int) {
        var dropped = keys.remove(at: index)
        dropped.wipe()
    }

    deinit {
        for index in keys.indices { keys[index].wipe() }
    }

    /// Seals ticket state under the current key, rotating first if it is due.
    func seal(_ plaintext: [UInt8], provider: any CryptoProvider, random: inout any RandomSource, now: Date) throws(TLSError) -> [UInt8] {
        let current = currentKey(now: now, random: &random)
        let nonce = random.bytes(12)
        let aead = try provider.makeAEAD(.aes256GCM, key: current.key)
        return current.name + nonce + (try aead.seal(nonce: nonce, additionalData: current.name, plaintext: plaintext))
    }

    /// Opens a ticket sealed by any key still held; nil for unknown keys or tampered tickets.
    func open(_ ticket: [UInt8], provider: any CryptoProvider) -> [UInt8]? {
        guard ticket.count > 16 + 12 + 16 else { return nil }
        let name = Array(ticket[0..<16])
        lock.lock()
        let key = keys.first { constantTimeEquals($0.name, name) }
        lock.unlock()
        guard let key, let aead = try? provider.makeAEAD(.aes256GCM, key: key.key) else { return nil }
        return try? aead.open(nonce: Array(ticket[16..<28]), additionalData: name, ciphertextAndTag: Array(ticket[28...]))
    }

    private func currentKey(now: Date, random: inout any RandomSource) -> TicketKey {
        lock.lock()
        defer { lock.unlock() }
        if let interval = rotationInterval, let newest = keys.first, now.timeIntervalSince(newest.created) >= interval {
            var source = random
            keys.insert(TicketKey.random(&source, now: now), at: 0)
            random = source
        }
        // A retired key (every key after the newest) is dropped once the tickets it sealed have all expired: keys[i]
        // goes when keys[i - 1], which replaced it, is older than the lifetime. From the back, so the indices hold.
        var index = keys.count - 1
        while index >= 1 {
            if !(now.timeIntervalSince(keys[index - 1].created) < ticketLifetime) { dropKey(at: index) }
            index -= 1
        }
        while keys.count > Self.maxKeys { dropKey(at: keys.count - 1) }
        return keys[0]   // safe: the initializers guarantee one key, and the newest is never removed.
    }
}
