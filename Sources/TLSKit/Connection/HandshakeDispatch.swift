import Foundation

/// Routing handshake messages to the state that owns them. The handshake logic itself lives in the states
/// (Handshake/Client, Server, TLS13, TLS12); the connection only hands each typed message to the current state and
/// keeps what it returns. This file and PostHandshake.swift are the connection's side of the HandshakePort.
extension TLSConnection {
    func handleHandshake(type: UInt8, body: [UInt8], raw: [UInt8]) throws(TLSError) {
        guard let known = HandshakeType(rawValue: type), state.accepts(known, role: role, version: negotiatedVersion) else {
            let name = HandshakeType(rawValue: type).map { "\($0)" } ?? "handshake type \(type)"
            throw TLSError(.unexpectedMessage, "unexpected \(name) from the \(role == .client ? "server" : "client")")
        }
        let message = try HandshakeMessage.decode(type: type, body: body, version: negotiatedVersion ?? .tls13)
        events.append(.handshakeMessage(.received, message.type, length: raw.count))
        switch role {
        case .client: try clientHandle(message, raw: raw)
        case .server: try serverHandle(message, raw: raw)
        }
    }

    func resumeAfterVerification() {
        switch state {
        case .client13(let tls13): state = .client13(tls13.afterVerification)
        case .server13(let tls13): state = .server13(tls13.afterVerification)
        case .client12(let tls12): state = .client12(tls12.afterVerification)
        case .server12(let tls12): state = .server12(tls12.afterVerification)
        default: break
        }
    }
}

extension TLSConnection {
    func clientHandle(_ message: HandshakeMessage, raw: [UInt8]) throws(TLSError) {
        switch (state, message) {
        case (.clientExpectServerHello(let sent), .serverHello(let hello)):
            state = try sent.handle(serverHello: hello, raw: raw, io: self)
        case (.client13(let tls13), _):
            state = try tls13.handle(message, raw: raw, io: self)
        case (.client12(let tls12), _):
            state = try tls12.handle(message, raw: raw, io: self)
        case (.connected, _):
            try handlePostHandshake(message)
        default:
            throw TLSError(.unexpectedMessage, "unexpected \(message.type) from the server")
        }
    }
}

extension TLSConnection {
    func serverHandle(_ message: HandshakeMessage, raw: [UInt8]) throws(TLSError) {
        switch (state, message) {
        case (.serverExpectClientHello(let start), .clientHello(let hello)):
            state = try start.handle(hello, raw: raw, io: self)
            try sendHalfRTTDataIfAllowed()
        case (.connected, _):
            try handlePostHandshake(message)
        case (.server13(let tls13), _):
            state = try tls13.handle(message, raw: raw, io: self)
        case (.server12(let tls12), _):
            state = try tls12.handle(message, raw: raw, io: self)
        default:
            throw TLSError(.unexpectedMessage, "unexpected \(message.type) from the client")
        }
    }

    // MARK: ClientHello

    /// Server, TLS 1.3 0.5-RTT (RFC 8446 §2.3): with `sendHalfRTTData`, application data goes out right after our
    /// Finished, before the client's Finished arrives — never when we asked for a client certificate (the client is
    /// not authenticated yet). As rustls' `send_half_rtt_data`, off by default.
    func sendHalfRTTDataIfAllowed() throws(TLSError) {
        guard case .server(let configuration) = endpoint, configuration.sendHalfRTTData, !buffers.queuedApplicationData.isEmpty else { return }
        guard case .server13(let tls13) = state, tls13.allowsHalfRTTData else { return }
        flushHandshake()
        let data = buffers.queuedApplicationData
        buffers.queuedApplicationData = []
        try records.write(.applicationData, data, to: &buffers.output)
    }

}
