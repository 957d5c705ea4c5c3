// The code of the DocC article "The engine loop" (Sources/TLSKit/TLSKit.docc/EngineLoop.md), kept here so that it is
// compiled and run (EngineLoopArticleTests). Change both together.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TLSKit

/// A blocking IPv4 TCP socket: just enough for the example.
struct TCPSocket {
    struct Failure: Error { var what: String }
    let fd: Int32

    init(ipv4 address: String, port: UInt16) throws {
        #if canImport(Glibc)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure(what: "socket") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)                // never wait forever for the peer
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var peer = sockaddr_in()
        peer.sin_family = sa_family_t(AF_INET)
        peer.sin_port = port.bigEndian
        inet_pton(AF_INET, address, &peer.sin_addr)
        let connected = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close()
            throw Failure(what: "connect")
        }
    }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard sent > 0 else { throw Failure(what: "send") }
            offset += sent
        }
    }

    /// The next bytes from the peer; empty at the end of the stream.
    func read() throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw Failure(what: "recv") }
        return Array(buffer[..<count])
    }

    func close() {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }
}

/// GET `path` over HTTPS/1.1 with the engine driven by hand: TLSKit owns no socket, the loop moves the bytes.
func fetch(path: String, address: String, port: UInt16, serverName: String,
           configuration: TLSClientConfiguration) async throws -> [UInt8] {
    let socket = try TCPSocket(ipv4: address, port: port)
    defer { socket.close() }
    let tls = try TLSConnection(client: configuration, serverName: serverName)

    do {
        // The handshake: write what the engine owes the peer, feed it what the peer sent, verify the chain.
        try socket.write(tls.takeOutput())                              // ClientHello
        while !tls.isHandshakeComplete {
            let bytes = try socket.read()
            guard !bytes.isEmpty else { throw TCPSocket.Failure(what: "connection closed during the handshake") }
            try tls.receive(bytes)
            if tls.pendingVerification != nil {                         // the server's chain arrived
                try await tls.performPendingVerification()              // swift-certificates validates it
            }
            try socket.write(tls.takeOutput())                          // our Finished (and certificate, if asked)
        }

        // Application data: send the request, read until the server's close_notify.
        try tls.send(Array("GET \(path) HTTP/1.1\r\nHost: \(serverName)\r\nConnection: close\r\n\r\n".utf8))
        try socket.write(tls.takeOutput())
        var response: [UInt8] = []
        while !tls.peerClosed {
            let bytes = try socket.read()
            // A TCP end without close_notify may be an attacker truncating the response: never accept it as the end.
            guard !bytes.isEmpty else { throw TCPSocket.Failure(what: "truncated: no close_notify") }
            try tls.receive(bytes)
            response += tls.takeApplicationData()
            try socket.write(tls.takeOutput())                          // a KeyUpdate answer, …
        }
        tls.close()                                                     // our close_notify
        try socket.write(tls.takeOutput())
        return response
    } catch {
        try? socket.write(tls.takeOutput())                             // the alert that says why, if any
        throw error
    }
}
