import Foundation

// Secrets in memory (README "Secrets in memory"). Swift arrays are values with copy-on-write storage, so "wiping a
// secret" can only mean: overwrite, in place, the storage this variable owns. If another array shares the storage
// (a copy that was made and is still alive), `withUnsafeMutableBytes` first gives this variable a fresh copy and the
// zeros land there; the other owner keeps its bytes, as value semantics demand. That is harmless (no live value is
// ever changed under its owner) but it is also why wiping is best-effort: every copy Swift made and already freed
// (arguments, enum payloads moved between states, temporaries) went back to the allocator unwiped.

/// Overwrites `bytes`' storage with zeros, in place when this array is its only owner. The write goes through
/// `explicit_bzero` / `memset_s`, which the optimizer may not remove even though the array dies right after.
func wipe(_ bytes: inout [UInt8]) {
    guard !bytes.isEmpty else { return }
    bytes.withUnsafeMutableBytes { buffer in
        guard let base = buffer.baseAddress else { return }
        zeroize(base, buffer.count)
        WipeRecorder.shared.record(base)
    }
}

/// Test seam: while recording, remembers the address of every buffer `wipe` zeroed, so a test can tell that the
/// zeros landed in the secret's own storage (not in a copy) even when that storage is freed right after.
final class WipeRecorder: @unchecked Sendable {
    static let shared = WipeRecorder()
    private let lock = NSLock()
    private var addresses: Set<UInt>?

    func record(_ pointer: UnsafeMutableRawPointer) {
        lock.lock()
        defer { lock.unlock() }
        addresses?.insert(UInt(bitPattern: pointer))
    }

    func start() { lock.withLock { addresses = [] } }

    /// The addresses wiped since `start()`; recording stops.
    func stop() -> Set<UInt> {
        lock.withLock {
            defer { addresses = nil }
            return addresses ?? []
        }
    }
}

@inline(never)
private func zeroize(_ pointer: UnsafeMutableRawPointer, _ count: Int) {
    #if canImport(Darwin)
    _ = memset_s(pointer, count, 0, count)
    #elseif canImport(Glibc) || canImport(Musl)
    explicit_bzero(pointer, count)
    #else
    // No guaranteed primitive: a volatile-like loop through an opaque pointer the optimizer cannot see through.
    let bytes = pointer.bindMemory(to: UInt8.self, capacity: count)
    for index in 0..<count { bytes.advanced(by: index).pointee = 0 }
    withExtendedLifetime(pointer) {}
    #endif
}

// MARK: - What each holder of secrets wipes

extension TrafficState {
    /// Both application traffic secrets, the exporter and the resumption master secret.
    mutating func wipeSecrets() {
        wipe(&sendingSecret)
        wipe(&receivingSecret)
        wipe(&exporterMasterSecret)
        wipe(&resumptionMasterSecret)
    }

    /// Wipes the secrets of `self` that `successor` no longer holds (after a KeyUpdate: the replaced secret),
    /// RFC 8446 §7.2: "implementations SHOULD delete client_/server_application_traffic_secret_N".
    mutating func wipeSecrets(replacedBy successor: TrafficState) {
        if !sameStorage(sendingSecret, successor.sendingSecret) { wipe(&sendingSecret) }
        if !sameStorage(receivingSecret, successor.receivingSecret) { wipe(&receivingSecret) }
    }
}

/// Whether two arrays share one buffer (wiping one would only copy it).
func sameStorage(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
}

extension TLS12Traffic {
    mutating func wipeSecrets() { wipe(&masterSecret) }
}

extension ClientSession {
    mutating func wipeSecret() { wipe(&secret) }
}

extension TicketState {
    mutating func wipeSecret() { wipe(&secret) }
}

extension TicketKey {
    mutating func wipe() { TLSKit.wipe(&key) }
}

extension ClientHelloSent {
    mutating func wipeSecrets() { offeredSession?.wipeSecret() }
}

extension ClientHandshake {
    mutating func wipeSecrets() {
        wipe(&handshakeSecret.secret)
        wipe(&clientHandshakeSecret)
        wipe(&serverHandshakeSecret)
        resumedSession?.wipeSecret()
    }
}

extension ServerHandshake {
    mutating func wipeSecrets() {
        wipe(&clientHandshakeSecret)
        wipe(&masterSecret.secret)
        wipe(&clientApplicationSecret)
        wipe(&serverApplicationSecret)
        wipe(&exporterMasterSecret)
    }
}

extension Client12Handshake {
    mutating func wipeSecrets() {
        wipe(&masterSecret)
        resumedSession?.wipeSecret()
    }
}

extension Server12Handshake {
    mutating func wipeSecrets() { wipe(&masterSecret) }
}

extension TLSConnection {
    /// Wipes the secrets the current handshake state holds (the state is then `.failed`). The payload is copied
    /// out and the state replaced before wiping, so the copy is the storage's only owner and the zeros land in place.
    func wipeHandshakeState() {
        switch state {
        case .clientStart, .serverExpectClientHello, .connected, .failed:
            break   // no secrets
        case .clientExpectServerHello(var sent):
            state = .failed
            sent.wipeSecrets()
        // Bound straight from the state (not through a copy), so the wipe reaches the one storage left.
        case .client13(.expectEncryptedExtensions(var handshake)),
             .client13(.expectCertificateOrRequest(var handshake)),
             .client13(.expectCertificate(var handshake)),
             .client13(.awaitingVerification(var handshake)),
             .client13(.expectCertificateVerify(var handshake)),
             .client13(.expectFinished(var handshake)):
            state = .failed
            handshake.wipeSecrets()
        case .server13(.expectCertificate(var handshake)), .server13(.awaitingVerification(var handshake)),
             .server13(.expectCertificateVerify(var handshake)), .server13(.expectFinished(var handshake)),
             .server13(.expectEndOfEarlyData(var handshake)):
            state = .failed
            handshake.wipeSecrets()
        // Bound straight from the state (not through a copy), so the wipe reaches the one storage left.
        case .client12(.expectCertificate(var handshake)),
             .client12(.expectCertificateStatus(var handshake)),
             .client12(.awaitingVerification(var handshake)),
             .client12(.expectServerKeyExchange(var handshake)),
             .client12(.expectCertificateRequestOrDone(var handshake)),
             .client12(.expectServerHelloDone(var handshake)),
             .client12(.expectChangeCipherSpec(var handshake)),
             .client12(.expectFinished(var handshake)):
            state = .failed
            handshake.wipeSecrets()
        // Bound straight from the state (not through a copy), so the wipe reaches the one storage left.
        case .server12(.expectCertificate(var handshake)),
             .server12(.awaitingVerification(var handshake)),
             .server12(.expectClientKeyExchange(var handshake)),
             .server12(.expectCertificateVerify(var handshake)),
             .server12(.expectChangeCipherSpec(var handshake)),
             .server12(.expectFinished(var handshake)):
            state = .failed
            handshake.wipeSecrets()
        }
    }

    /// The connection has ended (failure, close_notify both ways, or deallocation): wipes every secret it holds.
    /// Afterwards the exporter refuses to run.
    func wipeSecrets() {
        wipeHandshakeState()
        // Moved out first, so the zeros land in the secrets' own storage; the wiped value goes back (still connected).
        switch traffic {
        case .tls13(var tls13)?:
            traffic = nil
            tls13.wipeSecrets()
            traffic = .tls13(tls13)
        case .tls12(var tls12)?:
            traffic = nil
            tls12.wipeSecrets()
            traffic = .tls12(tls12)
        case nil:
            break
        }
        lifecycle.secretsWiped = true
    }

    /// Replaces the TLS 1.3 traffic state after a KeyUpdate, wiping the secret it replaces.
    func replaceTraffic(with successor: TrafficState) {
        guard case .tls13(var previous) = traffic else {
            traffic = .tls13(successor)
            return
        }
        traffic = .tls13(successor)   // `previous` is now the replaced secret's only owner
        previous.wipeSecrets(replacedBy: successor)
    }
}
