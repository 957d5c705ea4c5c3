import Foundation
import TLSKit
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `tlskit serve` must not read without bound from a peer that sends but never reads what comes back (issue 14):
/// a TLSKit client over a plain socket pushes up to 64 MiB of application data without reading, and the server must
/// stop taking it long before (it stops reading while its channel is not writable; what the kernel buffers on both
/// sides is what gets through — about 9 MiB on the development machine, 64 MiB before the fix).
final class ServeBackpressureTests: XCTestCase {
    func testEchoServerStopsReadingFromAPeerThatDoesNotRead() async throws {
        #if os(Linux)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tlskit-bp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("root.pem").path
        let server = try ChildProcess(try tlskitBinary(), ["serve", "--port", "0", "--mode", "echo", "--root-cert-out", root])
        defer { server.stop() }
        try server.waitForOutput("ready")
        guard let line = server.stdout.text.split(separator: "\n").first(where: { $0.hasPrefix("listening on https://") }),
              let port = line.split(separator: " ").dropFirst(2).first?.split(separator: ":").last.flatMap({ UInt16($0) })
        else { throw TestFailure("no listening line in: \(server.stdout.text)") }

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(connected, 0)

        var config = TLSClientConfiguration()
        config.peerVerification = .trustRoots(try TrustRoots(pemFile: root))
        let client = try TLSConnection(client: config, serverName: "localhost")
        func writeAll(_ bytes: [UInt8]) throws {
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written < 0 { throw TestFailure("write: errno \(errno)") }
                offset += written
            }
        }
        // The handshake, blocking.
        var buffer = [UInt8](repeating: 0, count: 16384)
        for _ in 0..<50 where !client.isHandshakeComplete {
            try writeAll(client.takeOutput())
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { throw TestFailure("server closed during the handshake") }
            try client.receive(Array(buffer[..<count]))
            while client.pendingVerification != nil { try await client.performPendingVerification() }
        }
        try writeAll(client.takeOutput())
        XCTAssertTrue(client.isHandshakeComplete)

        // Push without ever reading, until the server has taken nothing for two seconds.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let chunk = [UInt8](repeating: 0x61, count: 64 * 1024)
        let limit = 64 << 20
        var accepted = 0
        var pending: [UInt8] = []
        let deadline = Date().addingTimeInterval(60)
        pushing: while accepted < limit && Date() < deadline {
            if pending.isEmpty {
                try client.send(chunk)
                pending = client.takeOutput()
            }
            let written = pending.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written > 0 {
                pending.removeFirst(written)
                if pending.isEmpty { accepted += chunk.count }
                continue
            }
            guard errno == EAGAIN || errno == EWOULDBLOCK else { throw TestFailure("write: errno \(errno)") }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&poller, 1, 2000) == 0 { break pushing }
        }
        XCTAssertLessThan(accepted, 40 << 20, "the server kept reading from a peer that does not read (\(accepted >> 20) MiB taken)")
        #else
        throw XCTSkip("Linux socket API")
        #endif
    }
}
