import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire

/// A `HandshakePort` with no connection behind it: it records what a handshake state does to the world (messages
/// queued and flushed, record versions, keys installed, verifications asked for, completion) so a state can be driven
/// one message at a time and its effects checked.
///
/// Everything the port requires is easy to fake: most requirements are effects (recorded) or configuration (given);
/// only the session-policy ones (`clientMayResume`, `serverMayResume`, `verifiedAuthentication`) are answered with the
/// conservative default (no resumption, anonymous), which is all a full handshake needs.
final class FakeHandshakePort: HandshakePort {
    /// What a state did, in order.
    enum Action: Equatable {
        case sent(HandshakeType)
        case queued(HandshakeType)
        case flushed
        case changeCipherSpec
        case warning(AlertDescription)
        case handledAgain
        case enteredVersion(ProtocolVersion)
        case recordVersion(ProtocolVersion)
        case droppedWriteProtection
        case installedProtection(write: Bool)
        case installedReadKey
        case installedWriteKey
        case verificationRequested
        case completed
        case earlyDataRejected
    }

    let role: TLSConnection.Role
    let common: TLSCommonConfiguration
    var random: any RandomSource

    private(set) var actions: [Action] = []
    /// Every handshake message queued (by `sendHandshake` or `queueHandshake`), encoded, in order.
    private(set) var queuedMessages: [[UInt8]] = []
    private(set) var verificationRequests: [PeerVerificationRequest] = []
    private(set) var installedReadSecrets: [[UInt8]] = []
    private(set) var installedWriteSecrets: [[UInt8]] = []
    private(set) var completedWith: NegotiatedParameters?
    /// Set by a test: handshake bytes wait behind the message being handled.
    var hasBufferedHandshakeData = false

    private(set) var earlyDataTicket: ClientSession?
    private(set) var earlyDataAccepted: Bool?
    var earlyDataOffered: Bool { earlyDataTicket != nil }

    init(client configuration: TLSClientConfiguration) {
        role = .client
        common = configuration.common
        random = SeededRandom(seed: 1)
    }

    init(server configuration: TLSServerConfiguration) {
        role = .server
        common = configuration.common
        random = SeededRandom(seed: 2)
    }

    /// The queued messages, decoded.
    var queued: [HandshakeMessage] {
        get throws { try queuedMessages.map { try HandshakeMessage.decode($0) } }
    }

    // Messages
    func sendHandshake(_ message: HandshakeMessage, transcript: inout Transcript) throws(TLSError) {
        let raw = try message.encode()
        transcript.append(raw)
        actions.append(.sent(message.type))
        queuedMessages.append(raw)
    }
    func flushHandshake() { actions.append(.flushed) }
    func sendChangeCipherSpec() { actions.append(.changeCipherSpec) }
    func sendCountedWarning(_ description: AlertDescription) throws(TLSError) { actions.append(.warning(description)) }
    func queueHandshake(_ raw: [UInt8], type: HandshakeType) {
        actions.append(.queued(type))
        queuedMessages.append(raw)
    }
    func handleAgain(_ raw: [UInt8]) { actions.append(.handledAgain) }

    // Record layer
    func enterVersion(_ version: ProtocolVersion) { actions.append(.enteredVersion(version)) }
    func setRecordVersion(_ version: ProtocolVersion) { actions.append(.recordVersion(version)) }
    func dropWriteProtection() { actions.append(.droppedWriteProtection) }
    func installProtection(_ protection: RecordCipherState, write: Bool) { actions.append(.installedProtection(write: write)) }
    func installReadKey(secret: [UInt8], schedule: KeySchedule, aead: AEADAlgorithm) throws(TLSError) {
        actions.append(.installedReadKey)
        installedReadSecrets.append(secret)
    }
    func installWriteKey(secret: [UInt8], schedule: KeySchedule, aead: AEADAlgorithm) throws(TLSError) {
        actions.append(.installedWriteKey)
        installedWriteSecrets.append(secret)
    }
    func applyPeerRecordSizeLimit(_ limit: UInt16, tls13: Bool) throws(TLSError) {}
    func limitIncomingRecords(toInnerPlaintext limit: Int) {}

    // 0-RTT
    func skipRejectedEarlyData(upTo limit: Int) {}
    func stopSkippingEarlyData() {}
    func expectEarlyData(upTo limit: Int) {}
    func recordEarlyDataAnswer(accepted: Bool, reason: EarlyDataRejection?) { earlyDataAccepted = accepted }
    func acceptPlaintextAlertsUntilProtectedRecord() {}
    func offerEarlyData(ticket: ClientSession, allowance: Int) { earlyDataTicket = ticket }
    func clientMayResume(_ session: ClientSession, serverName: String) -> Bool { false }
    func earlyDataWasAccepted() { earlyDataAccepted = true }
    func earlyDataRejected() {
        earlyDataAccepted = false
        actions.append(.earlyDataRejected)
    }
    func settleRejectedEarlyData(resend: Bool) {}

    // Verification, keys, completion
    func requestVerification(_ request: PeerVerificationRequest) {
        actions.append(.verificationRequested)
        verificationRequests.append(request)
    }
    func logKey(_ label: String, clientRandom: [UInt8], secret: [UInt8]) {}
    func completeHandshake(_ parameters: NegotiatedParameters, traffic: Traffic) throws(TLSError) {
        actions.append(.completed)
        completedWith = parameters
    }

    // Session policy: full handshakes only.
    func verifiedAuthentication(chain: [[UInt8]], signatureScheme: SignatureScheme?) -> SessionAuthentication { .anonymous }
    func serverMayResume(clientAuthentication authentication: SessionAuthentication) -> Bool { false }
}
