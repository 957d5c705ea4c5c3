import Foundation

// The connection's bookkeeping, grouped by what it is for (TLSConnection keeps one value of each).

/// What goes to the network, what goes to the application, and what waits for the handshake.
struct ConnectionBuffers {
    /// Handshake messages of the current flight, written as few records as possible on flush.
    var pendingHandshake: [UInt8] = []
    /// Records for the network, handed over by `takeOutput()`.
    var output: [UInt8] = []
    /// Decrypted application data, handed over by `takeApplicationData()`.
    var applicationData: [UInt8] = []
    /// Application data written before the handshake finished; sent right after it.
    var queuedApplicationData: [UInt8] = []
}

/// How far the connection has ended.
struct Lifecycle {
    /// The error that ended the connection.
    var failure: TLSError?
    var peerClosed = false
    var sentCloseNotify = false
    /// `close()` came before the handshake completed, with data queued: close_notify is written after that data.
    var closeNotifyDeferred = false
    /// The connection ended and its secrets were overwritten (README "Secrets in memory").
    var secretsWiped = false
}

/// Counters that bound what a hostile peer can make us do (the limits are TLSConnection's `max…` constants).
struct PeerBounds {
    /// TLS 1.3 compatibility change_cipher_spec records received (at most one per ClientHello).
    var changeCipherSpecs = 0
    var keyUpdatesInARow = 0
    var emptyRecordsInARow = 0
    var warningAlertsInARow = 0
    /// We answered the peer's update_requested and have sent no application data since: further requests that
    /// arrive while we are silent — in this read or later ones — are covered by it (RFC 8446 §4.6.3).
    var keyUpdateAnswerPending = false
}

/// 0-RTT (RFC 8446 §4.2.10). Client: what was offered and sent; server: what arrived. Both: the answer.
struct EarlyDataState {
    /// Client: the session whose ticket we sent early data under (nil: no early data offered).
    var ticket: ClientSession?
    /// Client: how much `sendEarlyData` may write; server: how much may arrive.
    var allowance = 0
    /// Client: early data sent, kept until the server answers (resent or handed back when rejected).
    var sent: [UInt8] = []
    /// Client: early data the server rejected and that was not resent (the ALPN protocol changed).
    var rejected: [UInt8] = []
    /// Server: early data received and not yet taken.
    var received: [UInt8] = []
    /// Whether the server accepted early data (nil: none was offered, or the answer is not in yet).
    var accepted: Bool?
    /// Server: why the client's early data was rejected.
    var rejectionReason: EarlyDataRejection?
}
