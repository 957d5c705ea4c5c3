import Foundation

/// The connection's side of the HandshakePort: what a handshake step asks for, done to the record layer, the output
/// and the connection's bookkeeping.
extension TLSConnection: HandshakePort {
    /// RFC 8449 §4: the peer's record_size_limit caps the plaintext of every record we send from the next flight on.
    /// In TLS 1.3 the limit counts the inner content type byte; in TLS 1.2 it is the plaintext itself.
    func applyPeerRecordSizeLimit(_ limit: UInt16, tls13: Bool) throws(TLSError) {
        guard limit >= 64 else { throw TLSError(.peerMisbehaved(.recordSizeLimitTooSmall), "record_size_limit \(limit) is below 64") }
        records.maxOutgoingFragment = min(RecordLimits.maxPlaintext, Int(limit) - (tls13 ? 1 : 0))
    }

    func sendCountedWarning(_ description: AlertDescription) throws(TLSError) {
        bounds.warningAlertsInARow += 1
        guard bounds.warningAlertsInARow <= Self.maxWarningAlertsInARow else {
            throw TLSError(.peerMisbehaved(.tooManyWarningAlerts), "too many \(description) warnings in a row")
        }
        try records.write(.alert, Alert(level: .warning, description: description).encode(), to: &buffers.output)
    }

    func handleAgain(_ raw: [UInt8]) {
        reassembler.pushBack(raw)
    }

    func enterVersion(_ version: ProtocolVersion) {
        // RFC 8446 §5.1: TLS 1.3 records say 0x0303, as TLS 1.2's do; TLS 1.0/1.1 records say their own version.
        records.outgoingLegacyVersion = min(version, .tls12)
    }

    func limitIncomingRecords(toInnerPlaintext limit: Int) {
        records.maxIncomingInnerPlaintext = min(RecordLimits.maxPlaintext + 1, limit)
    }

    func setRecordVersion(_ version: ProtocolVersion) { records.outgoingLegacyVersion = version }
    func dropWriteProtection() { records.writeState = nil }
    var hasBufferedHandshakeData: Bool { !reassembler.isEmpty }

    func offerEarlyData(ticket: ClientSession, allowance: Int) {
        earlyData.ticket = ticket
        earlyData.allowance = allowance
    }

    func skipRejectedEarlyData(upTo limit: Int) { records.rejectedEarlyDataBudget = limit }
    func stopSkippingEarlyData() { records.rejectedEarlyDataBudget = 0 }
    func expectEarlyData(upTo limit: Int) { earlyData.allowance = limit }
    func acceptPlaintextAlertsUntilProtectedRecord() { records.plaintextAlertsAllowed = true }

    func recordEarlyDataAnswer(accepted: Bool, reason: EarlyDataRejection?) {
        earlyData.accepted = accepted
        earlyData.rejectionReason = reason
    }

    func earlyDataWasAccepted() {
        earlyData.accepted = true
        events.append(.earlyDataAccepted(true))
    }

    func installProtection(_ protection: RecordCipherState, write: Bool) {
        if write {
            flushHandshake()
            records.writeState = protection
        } else {
            records.readState = protection
        }
    }
}
