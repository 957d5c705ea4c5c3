import Foundation
import TLSKit
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failure of the interop harness itself (timeout, socket error, missing binary…), with a readable reason.
struct InteropError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Every wait in the interop tests is bounded by this.
let interopTimeout: TimeInterval = 20

private func errnoText() -> String { String(cString: strerror(errno)) }

/// Writing to a socket or pipe whose peer has gone must fail with EPIPE, never kill the test process.
let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

/// A TCP socket on the loopback interface. Non-blocking: every wait goes through `poll` with a deadline.
final class LoopbackSocket {
    private(set) var fd: Int32

    init(fd: Int32) {
        _ = ignoreSIGPIPE
        self.fd = fd
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close() }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    /// Connects to 127.0.0.1:`port`, retrying "connection refused" until the deadline (the peer may still be
    /// starting up).
    static func connect(port: UInt16, timeout: TimeInterval = interopTimeout) throws -> LoopbackSocket {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw InteropError("socket(): \(errnoText())") }
            var address = loopbackAddress(port: port)
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if rc == 0 { return LoopbackSocket(fd: fd) }
            let error = errno
            _ = Glibc.close(fd)
            guard error == ECONNREFUSED, Date() < deadline else {
                throw InteropError("connect(127.0.0.1:\(port)): \(String(cString: strerror(error)))")
            }
            usleep(20_000)
        }
    }

    /// Waits for `events` (POLLIN/POLLOUT) up to `milliseconds`; returns the revents.
    func poll(_ events: Int32, milliseconds: Int32) throws -> Int32 {
        var descriptor = pollfd(fd: fd, events: Int16(events), revents: 0)
        let rc = Glibc.poll(&descriptor, 1, milliseconds)
        if rc < 0 && errno != EINTR { throw InteropError("poll(): \(errnoText())") }
        return rc > 0 ? Int32(descriptor.revents) : 0
    }

    /// Reads what is available: nil at end of stream, [] if nothing is there yet.
    func readAvailable(max: Int = 64 * 1024) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: max)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        if n > 0 { return Array(buffer[0..<n]) }
        if n == 0 { return nil }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return [] }
        // A reset after the peer's last bytes counts as end of stream.
        if errno == ECONNRESET { return nil }
        throw InteropError("recv(): \(errnoText())")
    }

    /// Writes what the socket takes now; returns the number of bytes written.
    func writeSome(_ bytes: ArraySlice<UInt8>) throws -> Int {
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n >= 0 { return n }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return 0 }
        throw InteropError("send(): \(errnoText())")
    }
}

func loopbackAddress(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}

/// A listening socket on 127.0.0.1 with a kernel-assigned port.
final class LoopbackListener {
    let fd: Int32
    let port: UInt16

    init() throws {
        (fd, port) = try Self.bindEphemeral()
        guard listen(fd, 4) == 0 else {
            _ = Glibc.close(fd)
            throw InteropError("listen(): \(errnoText())")
        }
    }

    deinit { _ = Glibc.close(fd) }

    func accept(timeout: TimeInterval = interopTimeout) throws -> LoopbackSocket {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(timeout)
        while Glibc.poll(&descriptor, 1, 50) <= 0 {
            guard Date() < deadline else { throw InteropError("no connection on port \(port) within \(timeout) s") }
        }
        let client = Glibc.accept(fd, nil, nil)
        guard client >= 0 else { throw InteropError("accept(): \(errnoText())") }
        return LoopbackSocket(fd: client)
    }

    /// A port that was free a moment ago (for peers that bind themselves; callers retry if it is taken).
    static func freePort() throws -> UInt16 {
        let (fd, port) = try bindEphemeral()
        _ = Glibc.close(fd)
        return port
    }

    private static func bindEphemeral() throws -> (Int32, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw InteropError("socket(): \(errnoText())") }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            _ = Glibc.close(fd)
            throw InteropError("bind(127.0.0.1:0): \(errnoText())")
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }
}

/// Drives a sans-I/O `TLSConnection` over a loopback socket: bytes from the socket go into the connection, its
/// output goes back out (also after an error, so the alert reaches the peer), certificate verification is run
/// when the connection asks for it. Received application data and events are accumulated for assertions.
final class TLSSocketDriver {
    let connection: TLSConnection
    let socket: LoopbackSocket
    /// Decrypted application data received so far.
    var received: [UInt8] = []
    private(set) var events: [TLSEvent] = []
    private(set) var socketClosedByPeer = false
    private var outgoing: [UInt8] = []
    private var outgoingOffset = 0

    init(connection: TLSConnection, socket: LoopbackSocket) {
        self.connection = connection
        self.socket = socket
    }

    /// Runs until the handshake is complete and our last flight is on the wire.
    func handshake() async throws {
        try await run(until: { $0.connection.isHandshakeComplete && $0.allWritten }, "the handshake to complete")
    }

    /// Queues `bytes` and pumps until they are written, reading (and buffering) whatever arrives meanwhile.
    func send(_ bytes: [UInt8]) async throws {
        try connection.send(bytes)
        try await run(until: { $0.allWritten }, "\(bytes.count) bytes to be written")
    }

    /// Pumps until `count` bytes of application data have arrived in total; returns and removes them.
    func receive(count: Int) async throws -> [UInt8] {
        try await run(until: { $0.received.count >= count }, "\(count) bytes of application data (have \(received.count))")
        let data = Array(received.prefix(count))
        received.removeFirst(count)
        return data
    }

    /// Pumps until `event` has been seen.
    func waitFor(event: TLSEvent) async throws {
        try await run(until: { $0.events.contains(event) }, "event \(event)")
    }

    /// Sends close_notify and waits for the peer's (RFC 8446 §6.1 clean shutdown), then closes the socket.
    func closeAndWaitForPeer() async throws {
        connection.close()
        try await run(until: { $0.connection.peerClosed && $0.allWritten }, "the peer's close_notify")
        socket.close()
    }

    /// Answers the peer's close_notify with ours and closes the socket.
    func finishAfterPeerClosed() async throws {
        try await run(until: { $0.connection.peerClosed }, "the peer's close_notify")
        connection.close()
        try await run(until: { $0.allWritten }, "our close_notify to be written")
        socket.close()
    }

    var allWritten: Bool { outgoingOffset == outgoing.count && !connection.hasOutput }

    /// The event loop: write pending output, read and feed input, verify certificates; until `condition` holds.
    func run(until condition: (TLSSocketDriver) -> Bool, _ what: String, timeout: TimeInterval = interopTimeout) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            collectOutput()
            if condition(self) { return }
            guard Date() < deadline else { throw InteropError("timed out after \(timeout) s waiting for \(what)") }
            if socketClosedByPeer {
                throw InteropError("peer closed the TCP connection while waiting for \(what)")
            }
            let wantWrite = outgoingOffset < outgoing.count
            let revents = try socket.poll(Int32(POLLIN) | (wantWrite ? Int32(POLLOUT) : 0), milliseconds: 50)
            if wantWrite && revents & Int32(POLLOUT | POLLERR | POLLHUP) != 0 {
                outgoingOffset += try socket.writeSome(outgoing[outgoingOffset...])
            }
            if revents & Int32(POLLIN | POLLERR | POLLHUP) != 0 {
                guard let bytes = try socket.readAvailable() else {
                    socketClosedByPeer = true
                    continue
                }
                if !bytes.isEmpty { try await feed(bytes) }
            }
        }
    }

    private func feed(_ bytes: [UInt8]) async throws {
        do {
            try connection.receive(bytes)
            while connection.pendingVerification != nil {
                try await connection.performPendingVerification()
            }
        } catch {
            // Get the alert out before reporting.
            collectOutput()
            try? flushBestEffort()
            collectAppDataAndEvents()
            throw error
        }
        collectAppDataAndEvents()
    }

    private func collectOutput() {
        let bytes = connection.takeOutput()
        if outgoingOffset == outgoing.count {
            outgoing.removeAll(keepingCapacity: true)
            outgoingOffset = 0
        }
        outgoing.append(contentsOf: bytes)
        collectAppDataAndEvents()
    }

    private func collectAppDataAndEvents() {
        received.append(contentsOf: connection.takeApplicationData())
        events.append(contentsOf: connection.takeEvents())
    }

    /// Writes pending output for at most a second (used on the error path).
    private func flushBestEffort() throws {
        let deadline = Date().addingTimeInterval(1)
        while outgoingOffset < outgoing.count, Date() < deadline {
            if try socket.poll(Int32(POLLOUT), milliseconds: 50) != 0 {
                outgoingOffset += try socket.writeSome(outgoing[outgoingOffset...])
            }
        }
    }
}

/// Deterministic pseudo-random bytes (SplitMix64), so a failing byte-for-byte comparison is reproducible.
func interopPayload(count: Int, seed: UInt64, alphabet: [UInt8]? = nil) -> [UInt8] {
    var state = seed
    var bytes = [UInt8]()
    bytes.reserveCapacity(count)
    while bytes.count < count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        for shift in stride(from: 0, to: 64, by: 8) where bytes.count < count {
            let byte = UInt8(truncatingIfNeeded: z >> UInt64(shift))
            bytes.append(alphabet.map { $0[Int(byte) % $0.count] } ?? byte)
        }
    }
    return bytes
}

/// Bytes openssl s_client/s_server never read as an interactive command ('Q', 'K', 'R', … at the start of a read).
let commandFreeAlphabet: [UInt8] = Array("0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~ \n".utf8)

/// Byte-for-byte check without dumping megabytes into the failure message.
func assertSameBytes(
    _ actual: [UInt8], _ expected: [UInt8], _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
    guard actual != expected else { return }
    let common = min(actual.count, expected.count)
    let firstDifference = (0..<common).first { actual[$0] != expected[$0] } ?? common
    XCTFail("\(what): got \(actual.count) bytes, expected \(expected.count); first difference at offset \(firstDifference)",
            file: file, line: line)
}

extension Data {
    /// Whether `needle` occurs contiguously (found by its prefix, then compared in full).
    func containsContiguous(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        let probe = Data(needle.prefix(64))
        var searchStart = startIndex
        while let range = self.range(of: probe, in: searchStart..<endIndex) {
            let end = range.lowerBound + needle.count
            if end <= endIndex && self[range.lowerBound..<end].elementsEqual(needle) { return true }
            searchStart = range.lowerBound + 1
        }
        return false
    }
}
