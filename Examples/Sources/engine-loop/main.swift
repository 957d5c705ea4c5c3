// engine-loop: TLSKit's sans-I/O engine driven by hand over blocking sockets — no SwiftNIO, no event loop. The client
// is the code of the DocC article "The engine loop" (Sources/TLSKit/TLSKit.docc/EngineLoop.md); the self-test adds
// the server side of the same loop on a thread.
//
//   engine-loop <ipv4-address> <port> <server-name> [path] [--cacert root.pem]   GET path, print the response
//   engine-loop --self-test        a TLSConnection server on 127.0.0.1 (its own thread), one GET, exits 0 or 1
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import TLSKit

/// A blocking IPv4 TCP socket: just enough for the example (`socket`, `connect`/`accept`, `send`, `recv`).
struct TCPSocket {
    struct Failure: Error { var what: String }

    let fd: Int32

    /// Connects to `address:port`.
    init(ipv4 address: String, port: UInt16) throws {
        fd = try Self.makeSocket()
        var peer = Self.address(address, port: port)
        let connected = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close()
            throw Failure(what: "connect to \(address):\(port)")
        }
    }

    private init(fd: Int32) { self.fd = fd }

    /// A listening socket on `address`, port chosen by the system; returns it and the port.
    static func listen(ipv4 address: String) throws -> (TCPSocket, UInt16) {
        let listener = TCPSocket(fd: try makeSocket())
        var local = Self.address(address, port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener.fd, $0, length) == 0 && posixListen(listener.fd) == 0
                    && getsockname(listener.fd, $0, &length) == 0
            }
        }
        guard bound else {
            listener.close()
            throw Failure(what: "bind/listen on \(address)")
        }
        return (listener, UInt16(bigEndian: local.sin_port))
    }

    /// The next connection on a listening socket.
    func accept() throws -> TCPSocket {
        let connection = posixAccept(fd)
        guard connection >= 0 else { throw Failure(what: "accept") }
        return TCPSocket(fd: connection)
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
        guard count >= 0 else { throw Failure(what: "recv (or the 10-second timeout)") }
        return Array(buffer[..<count])
    }

    func close() {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    private static func makeSocket() throws -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure(what: "socket") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)                   // never wait forever for the peer
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    private static func address(_ address: String, port: UInt16) -> sockaddr_in {
        var result = sockaddr_in()
        result.sin_family = sa_family_t(AF_INET)
        result.sin_port = port.bigEndian
        inet_pton(AF_INET, address, &result.sin_addr)
        return result
    }
}

// The C functions, under names the methods `listen` and `accept` above do not shadow.
private func posixListen(_ fd: Int32) -> Int32 { listen(fd, 16) }
private func posixAccept(_ fd: Int32) -> Int32 { accept(fd, nil, nil) }

// MARK: - The client: the article's code

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

// MARK: - The server side of the same loop (for the self-test)

/// Accepts one connection on `listener` and answers one HTTP/1.1 request, with the same four calls as the client.
/// Returns what was negotiated. A server without client authentication never has a verification pending.
func serveOne(listener: TCPSocket, configuration: TLSServerConfiguration) throws -> NegotiatedParameters? {
    let socket = try listener.accept()
    defer { socket.close() }
    let tls = try TLSConnection(server: configuration)
    do {
        // The handshake and the request: feed what arrives, write what the engine owes, collect the plaintext.
        var request: [UInt8] = []
        while !request.ends(with: Array("\r\n\r\n".utf8)) {
            let bytes = try socket.read()
            guard !bytes.isEmpty else { throw TCPSocket.Failure(what: "the client left before its request") }
            try tls.receive(bytes)                                      // ClientHello, Finished, the request, …
            request += tls.takeApplicationData()
            try socket.write(tls.takeOutput())                          // ServerHello … Finished, tickets
        }
        let version = tls.negotiated.map { "\($0.version)" } ?? "?"
        let body = "hello from a hand-driven TLSConnection (\(version))\n"
        try tls.send(Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8))
        tls.close()                                                     // close_notify after the response
        try socket.write(tls.takeOutput())
        // Wait for the client's close_notify (or its TCP end: the response is complete either way for the server).
        while !tls.peerClosed, let bytes = try? socket.read(), !bytes.isEmpty {
            try tls.receive(bytes)
        }
        return tls.negotiated
    } catch {
        try? socket.write(tls.takeOutput())                             // the alert that says why, if any
        throw error
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

// MARK: - Command line

struct Failure: Error, CustomStringConvertible { var description: String }

func selfTest() async throws {
    // A throw-away root and a certificate for localhost / 127.0.0.1 issued by it.
    let (identity, rootPEM) = try CertifiedKey.ephemeral(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
    let (listener, port) = try TCPSocket.listen(ipv4: "127.0.0.1")
    defer { listener.close() }
    print("server: a TLSConnection on 127.0.0.1:\(port), on its own thread")

    // The server loop is blocking, so it gets a thread of its own (not one of the concurrency pool's).
    let serverConfiguration = TLSServerConfiguration(certificate: identity)
    let serverDone = DispatchSemaphore(value: 0)
    let serverResult = ResultBox()
    Thread {
        serverResult.set(Result { try serveOne(listener: listener, configuration: serverConfiguration) })
        serverDone.signal()
    }.start()

    var client = TLSClientConfiguration()
    client.peerVerification = .trustRoots(TrustRoots(certificates: try CertificateChain(pem: rootPEM).certificates))
    let response = String(decoding: try await fetch(path: "/", address: "127.0.0.1", port: port,
                                                     serverName: "localhost", configuration: client), as: UTF8.self)
    print("client: \(response.split(separator: "\r\n").first ?? "") | \(response.split(separator: "\r\n").last?.trimmingCharacters(in: .newlines) ?? "")")
    serverDone.wait()
    let negotiated = try serverResult.get()
    guard response.hasPrefix("HTTP/1.1 200 OK"), response.hasSuffix("hello from a hand-driven TLSConnection (TLSv1.3)\n"),
          negotiated?.serverName == "localhost" else {
        throw Failure(description: "unexpected exchange: \(response.debugDescription), server saw \(String(describing: negotiated))")
    }
}

/// The server thread's outcome, handed to the main task.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<NegotiatedParameters?, any Error>?
    func set(_ value: Result<NegotiatedParameters?, any Error>) { lock.withLock { result = value } }
    func get() throws -> NegotiatedParameters? { try lock.withLock { result }?.get() ?? nil }
}

var arguments = Array(CommandLine.arguments.dropFirst())
do {
    if arguments == ["--self-test"] {
        try await selfTest()
        print("engine-loop: OK")
    } else if arguments.count >= 3, let port = UInt16(arguments[1]) {
        var configuration = TLSClientConfiguration()                    // the system's trust roots by default
        if let flag = arguments.firstIndex(of: "--cacert"), flag + 1 < arguments.count {
            configuration.peerVerification = .trustRoots(try TrustRoots(pemFile: arguments[flag + 1]))
            arguments.removeSubrange(flag...(flag + 1))
        }
        let path = arguments.count > 3 ? arguments[3] : "/"
        let response = try await fetch(path: path, address: arguments[0], port: port, serverName: arguments[2],
                                       configuration: configuration)
        print(String(decoding: response, as: UTF8.self))
    } else {
        print("usage: engine-loop <ipv4-address> <port> <server-name> [path] [--cacert root.pem] | engine-loop --self-test")
        exit(2)
    }
} catch {
    print("engine-loop: FAILED: \(error)")
    exit(1)
}
