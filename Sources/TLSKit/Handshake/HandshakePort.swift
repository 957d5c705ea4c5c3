import Foundation

/// The narrow interface through which a handshake state acts on its connection. Handshake states (per role and
/// version, e.g. `Client12State`, `Server12State`) consume a typed message and return the next state; everything they
/// do to the world goes through here: queue a message into the transcript, flush a flight, install record protection,
/// ask for a certificate verification, log a key, finish. They never touch the record layer or the output buffer.
/// `TLSConnection` implements it.
protocol HandshakePort: AnyObject {
    var role: TLSConnection.Role { get }
    var common: TLSCommonConfiguration { get }
    /// The injected randomness (key shares draw from it).
    var random: any RandomSource { get set }
    /// Client: the ClientHello offered TLS 1.3 early data.
    var earlyDataOffered: Bool { get }

    // Messages
    /// Encodes `message`, hashes it into `transcript` and queues it for the current flight.
    func sendHandshake(_ message: HandshakeMessage, transcript: inout Transcript) throws(TLSError)
    /// Writes the queued flight as records under the current write protection.
    func flushHandshake()
    func sendChangeCipherSpec()
    /// Sends a warning alert, counted against the bound on warnings in a row.
    func sendCountedWarning(_ description: AlertDescription) throws(TLSError)
    /// Queues an already encoded message (not part of a transcript, e.g. NewSessionTicket).
    func queueHandshake(_ raw: [UInt8], type: HandshakeType)
    /// Handles `raw` again as the next message (a state that learned the message belongs to its successor).
    func handleAgain(_ raw: [UInt8])

    // Record layer
    /// The hello exchange settled on `version`: record versions and message decoding follow it.
    func enterVersion(_ version: ProtocolVersion)
    /// The legacy_record_version we write (0x0301 for the initial ClientHello, RFC 8446 §5.1).
    func setRecordVersion(_ version: ProtocolVersion)
    /// Back to plaintext records (the second ClientHello after early data was written under the early key).
    func dropWriteProtection()
    /// Handshake bytes are buffered beyond the message being handled (a flight that must not straddle a change).
    var hasBufferedHandshakeData: Bool { get }
    /// Installs `protection` for what we send (`write`) or what we receive.
    func installProtection(_ protection: RecordCipherState, write: Bool)
    /// TLS 1.3: derives the traffic key and IV from `secret` and installs them for what we receive.
    func installReadKey(secret: [UInt8], schedule: KeySchedule, aead: AEADAlgorithm) throws(TLSError)
    /// TLS 1.3: the same for what we send (the pending flight is flushed under the old key first).
    func installWriteKey(secret: [UInt8], schedule: KeySchedule, aead: AEADAlgorithm) throws(TLSError)
    /// RFC 8449: the peer's record_size_limit caps what we send.
    func applyPeerRecordSizeLimit(_ limit: UInt16, tls13: Bool) throws(TLSError)
    /// RFC 8449: our record_size_limit was negotiated; the peer's protected records must obey it (TLS 1.3: the whole
    /// TLSInnerPlaintext; TLS 1.2: the plaintext).
    func limitIncomingRecords(toInnerPlaintext limit: Int)

    // 0-RTT, server (RFC 8446 §4.2.10)
    /// Rejected early data, protected under keys we do not use, is skipped — up to `limit` bytes, until a record decrypts.
    func skipRejectedEarlyData(upTo limit: Int)
    /// The second ClientHello arrived: nothing more is skipped (a record that fails now is bad_record_mac).
    func stopSkippingEarlyData()
    /// Accepted early data may bring up to `limit` bytes.
    func expectEarlyData(upTo limit: Int)
    func recordEarlyDataAnswer(accepted: Bool, reason: EarlyDataRejection?)
    /// Until the client's first protected record, a plaintext alert from it is read as its reason.
    func acceptPlaintextAlertsUntilProtectedRecord()

    // 0-RTT, client (RFC 8446 §4.2.10)
    /// Our ClientHello offers early data under `ticket`; `sendEarlyData` may then write up to `allowance` bytes.
    func offerEarlyData(ticket: ClientSession, allowance: Int)
    func clientMayResume(_ session: ClientSession, serverName: String) -> Bool
    /// The session our early data went out under (nil: none offered).
    var earlyDataTicket: ClientSession? { get }
    /// The server's answer: nil until it comes.
    var earlyDataAccepted: Bool? { get }
    func earlyDataWasAccepted()
    func earlyDataRejected()
    /// Rejected early data is resent after the handshake (`resend`) or handed back to the application.
    func settleRejectedEarlyData(resend: Bool)

    // Verification, keys, completion
    func requestVerification(_ request: PeerVerificationRequest)
    func logKey(_ label: String, clientRandom: [UInt8], secret: [UInt8])
    func completeHandshake(_ parameters: NegotiatedParameters, traffic: Traffic) throws(TLSError)

    // Negotiation and session policy shared by roles and versions (Negotiation in HandshakeState.swift,
    // Sessions/SessionAuthentication.swift)
    func acceptedApplicationProtocol(_ names: [[UInt8]]) throws(TLSError) -> String
    func selectApplicationProtocol(offered: [[UInt8]]?) throws(TLSError) -> String?
    func verifiedAuthentication(chain: [[UInt8]], signatureScheme: SignatureScheme?) -> SessionAuthentication
    func serverMayResume(clientAuthentication authentication: SessionAuthentication) -> Bool
}
