/// The one error type TLSKit surfaces. It names the alert that was sent (or received) and a human reason.
public struct TLSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Who raised the alert: we sent it to the peer, or the peer sent it to us.
    public enum Origin: String, Hashable, Sendable {
        case local
        case peer
    }

    public var alert: AlertDescription
    public var reason: String
    public var origin: Origin

    public init(_ alert: AlertDescription, _ reason: String, origin: Origin = .local) {
        self.alert = alert
        self.reason = reason
        self.origin = origin
    }

    public var description: String {
        switch origin {
        case .local: return "TLS error (sent \(alert)): \(reason)"
        case .peer: return "TLS error (peer sent \(alert)): \(reason)"
        }
    }

    // Short constructors for the alerts the codec and the engine raise most.
    public static func decode(_ reason: String) -> TLSError { TLSError(.decodeError, reason) }
    public static func illegalParameter(_ reason: String) -> TLSError { TLSError(.illegalParameter, reason) }
    public static func unexpectedMessage(_ reason: String) -> TLSError { TLSError(.unexpectedMessage, reason) }
    public static func handshakeFailure(_ reason: String) -> TLSError { TLSError(.handshakeFailure, reason) }
    public static func internalError(_ reason: String) -> TLSError { TLSError(.internalError, reason) }
}
