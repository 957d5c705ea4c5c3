import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Helpers to run the built `tlskit` binary and the curl/openssl peers as child processes, every wait bounded.

/// The `tlskit` executable built next to this test bundle (`swift build --build-tests` builds it: the test target
/// depends on it). `TLSKIT_BINARY` overrides the lookup.
func tlskitBinary() throws -> URL {
    if let override = ProcessInfo.processInfo.environment["TLSKIT_BINARY"] { return URL(fileURLWithPath: override) }
    var candidates: [URL] = []
    // The xctest bundle sits in the build products directory, as does the executable.
    candidates.append(Bundle.main.bundleURL.appendingPathComponent("tlskit"))
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("tlskit"))
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("tlskit"))
    }
    // Fall back to the package's default build directory.
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    candidates.append(packageRoot.appendingPathComponent(".build/debug/tlskit"))
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
        return candidate
    }
    throw TestFailure("tlskit binary not found (looked at \(candidates.map(\.path).joined(separator: ", ")))")
}

/// A required peer program (curl, openssl). Missing is a failure, not a skip: scripts/test.sh installs them.
func requiredTool(_ name: String) throws -> URL {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    throw TestFailure("\(name) is not installed (scripts/test.sh installs it)")
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Collects a pipe's output on a background thread.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                self.lock.lock()
                self.data.append(chunk)
                self.lock.unlock()
            }
            self.done.signal()
        }.start()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    /// Waits (bounded) until the writer closed the pipe.
    func waitForEnd(timeout: TimeInterval) -> Bool {
        done.wait(timeout: .now() + timeout) == .success
    }
}

/// A child process with its stdout and stderr collected.
final class ChildProcess {
    let process = Process()
    let stdout: OutputCollector
    let stderr: OutputCollector
    private let stdinPipe = Pipe()
    /// With `terminal: true`, stdin is the slave side of a pseudo-terminal and this is its master side.
    private let terminal: PseudoTerminal?
    let name: String

    /// `environment` adds to (or, with an empty value, removes from) the test's own environment.
    init(_ executable: URL, _ arguments: [String], currentDirectory: URL? = nil, environment: [String: String] = [:],
         terminal: Bool = false) throws {
        name = ([executable.lastPathComponent] + arguments).joined(separator: " ")
        process.executableURL = executable
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        if !environment.isEmpty {
            var merged = ProcessInfo.processInfo.environment
            for (key, value) in environment { merged[key] = value.isEmpty ? nil : value }
            process.environment = merged
        }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if terminal {
            let pty = try PseudoTerminal()
            self.terminal = pty
            process.standardInput = pty.slave
        } else {
            self.terminal = nil
            process.standardInput = stdinPipe
        }
        stdout = OutputCollector(out)
        stderr = OutputCollector(err)
        try process.run()
        self.terminal?.closeSlave()
    }

    func writeStdin(_ text: String) {
        if let terminal {
            terminal.write(text)
        } else {
            stdinPipe.fileHandleForWriting.write(Data(text.utf8))
        }
    }

    /// End of input: the pipe closes, or on a terminal the EOF character (Ctrl-D) is typed at the start of a line.
    func closeStdin() {
        if let terminal {
            terminal.write("\u{04}")
        } else {
            try? stdinPipe.fileHandleForWriting.close()
        }
    }

    /// Waits for `text` on stdout (or stderr), failing after `timeout` seconds or if the process exits first.
    func waitForOutput(_ text: String, timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stdout.text.contains(text) || stderr.text.contains(text) { return }
            if !process.isRunning {
                // One more look: the text may have arrived just before the exit.
                _ = stdout.waitForEnd(timeout: 2)
                if stdout.text.contains(text) || stderr.text.contains(text) { return }
                throw TestFailure("\(name) exited (\(process.terminationStatus)) before printing '\(text)'; stdout: \(stdout.text) stderr: \(stderr.text)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestFailure("timed out waiting for '\(text)' from \(name); stdout: \(stdout.text) stderr: \(stderr.text)")
    }

    /// Waits (bounded) for the process to exit; kills it on timeout. Returns the exit status.
    @discardableResult
    func waitForExit(timeout: TimeInterval = 20) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            stop()
            throw TestFailure("\(name) did not exit within \(Int(timeout)) s; stdout: \(stdout.text) stderr: \(stderr.text)")
        }
        _ = stdout.waitForEnd(timeout: 5)
        _ = stderr.waitForEnd(timeout: 5)
        return process.terminationStatus
    }

    /// SIGTERM, then SIGKILL if it lingers.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A pseudo-terminal pair (canonical mode, as a shell leaves it): the child reads the slave side as its terminal;
/// the test types on the master side. What the terminal echoes back is drained so it never fills up.
final class PseudoTerminal: @unchecked Sendable {
    let master: FileHandle
    private(set) var slave: FileHandle?

    /// posix_openpt and friends are in libc but not in Swift's Glibc module (they need _XOPEN_SOURCE): look them up.
    private static func libc<T>(_ name: String, as type: T.Type) throws -> T {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else {
            throw TestFailure("\(name) not found in libc")
        }
        return unsafeBitCast(symbol, to: type)
    }

    init() throws {
        typealias IntFunction = @convention(c) (Int32) -> Int32
        let openpt = try Self.libc("posix_openpt", as: IntFunction.self)
        let grant = try Self.libc("grantpt", as: IntFunction.self)
        let unlock = try Self.libc("unlockpt", as: IntFunction.self)
        let ptsname = try Self.libc("ptsname", as: (@convention(c) (Int32) -> UnsafeMutablePointer<CChar>?).self)
        let masterFD = openpt(O_RDWR | O_NOCTTY)
        guard masterFD >= 0, grant(masterFD) == 0, unlock(masterFD) == 0, let name = ptsname(masterFD) else {
            throw TestFailure("cannot open a pseudo-terminal")
        }
        let slaveFD = open(name, O_RDWR | O_NOCTTY)
        guard slaveFD >= 0 else { throw TestFailure("cannot open the pseudo-terminal slave") }
        master = FileHandle(fileDescriptor: masterFD, closeOnDealloc: true)
        slave = FileHandle(fileDescriptor: slaveFD, closeOnDealloc: true)
        let reader = master
        Thread {
            // Drain the echo until the terminal goes away (read fails with EIO once every slave is closed).
            var buffer = [UInt8](repeating: 0, count: 1024)
            while buffer.withUnsafeMutableBytes({ read(reader.fileDescriptor, $0.baseAddress, $0.count) }) > 0 {}
        }.start()
    }

    /// After the child started: our copy of the slave is not needed any more.
    func closeSlave() {
        try? slave?.close()
        slave = nil
    }

    func write(_ text: String) {
        master.write(Data(text.utf8))
    }
}

/// A plain TCP server on 127.0.0.1 that answers the first bytes of each of `connections` connections with
/// `response` and closes (a web server's port reached with TLS). Bounded: every accept and read has a timeout.
final class PlainTCPServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32

    init(response: String, connections: Int = 1) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        self.fd = fd
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 4) == 0 else {
            close(fd)
            throw TestFailure("bind/listen failed")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let listener = fd
        Thread {
            for _ in 0..<connections {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { break }
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
                let bytes = Array(response.utf8)
                _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }.start()
    }

    deinit { close(fd) }
}

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion with `input` on stdin, bounded by `timeout`.
func runProgram(_ executable: URL, _ arguments: [String], input: String = "", timeout: TimeInterval = 20,
                environment: [String: String] = [:]) throws -> RunResult {
    let child = try ChildProcess(executable, arguments, environment: environment)
    child.writeStdin(input)
    child.closeStdin()
    let status = try child.waitForExit(timeout: timeout)
    return RunResult(status: status, stdout: child.stdout.text, stderr: child.stderr.text)
}

/// A TCP port on 127.0.0.1 that was free a moment ago (for peers that cannot pick their own).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else { throw TestFailure("bind() failed") }
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw TestFailure("getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
