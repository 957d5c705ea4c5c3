import Foundation
@testable import TLSKit
import X509
import XCTest

/// Issue 11 item 9: the system trust bundle is read and parsed once per process, not for every connection, and
/// read again only when the file changes.
final class SystemTrustRootsCacheTests: XCTestCase {
    private func bundleReads() -> Int {
        TrustRoots.systemBundlePaths.reduce(0) { $0 + TrustBundleCache.shared.readCount($1) }
    }

    func testManyClientConnectionsReadTheSystemBundleOnce() throws {
        var configuration = TLSClientConfiguration()
        configuration.peerVerification = .systemTrustRoots
        // The first connection in this process may read the bundle (another test may already have).
        let first = try TLSConnection(client: configuration, serverName: "example.com")
        let readsAfterFirst = bundleReads()
        XCTAssertGreaterThanOrEqual(readsAfterFirst, 1, "the system bundle was never read")
        var connections = [first]
        for _ in 0..<50 {
            connections.append(try TLSConnection(client: configuration, serverName: "example.com"))
        }
        XCTAssertEqual(bundleReads() - readsAfterFirst, 0, "creating 50 more connections re-read the system bundle")
        // Every verifier shares the one parsed bundle and its issuer index.
        let indexes = connections.compactMap { ($0.verifier as? X509CertificateVerifier)?.trustRoots.index }
        XCTAssertEqual(indexes.count, connections.count)
        XCTAssertTrue(indexes.allSatisfy { $0 === indexes[0] })
    }

    func testABundleIsReadAgainOnlyWhenItChanges() throws {
        let directory = try TestPKI.makeTempDirectory("tlskit-trust-bundle")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bundle.pem").path
        let first = try TestPKI.makeCA(commonName: "Bundle Root A")
        let second = try TestPKI.makeCA(commonName: "Bundle Root B")
        try first.rootPEM.write(toFile: path, atomically: true, encoding: .utf8)
        let cache = TrustBundleCache.shared

        for _ in 0..<20 {
            XCTAssertEqual(try TrustRoots.system(bundlePaths: [path]).certificates, [first.root])
        }
        XCTAssertEqual(cache.readCount(path), 1)

        // A new size: read again, once.
        try (first.rootPEM + second.rootPEM).write(toFile: path, atomically: true, encoding: .utf8)
        for _ in 0..<5 {
            XCTAssertEqual(try TrustRoots.system(bundlePaths: [path]).certificates, [first.root, second.root])
        }
        XCTAssertEqual(cache.readCount(path), 2)

        // Same size, new modification time (rewritten in place, so the inode stays): read again.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: Data((second.rootPEM + first.rootPEM).utf8))
        try handle.close()
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-60)], ofItemAtPath: path)
        XCTAssertEqual(try TrustRoots.system(bundlePaths: [path]).certificates, [second.root, first.root])
        XCTAssertEqual(cache.readCount(path), 3)

        // A bundle that disappears is an error again, not a stale answer.
        try FileManager.default.removeItem(atPath: path)
        XCTAssertThrowsError(try TrustRoots.system(bundlePaths: [path]))
    }

    func testConcurrentFirstUseReadsTheBundleOnce() throws {
        let directory = try TestPKI.makeTempDirectory("tlskit-trust-bundle")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bundle.pem").path
        let root = try TestPKI.makeCA(commonName: "Concurrent Root")
        try root.rootPEM.write(toFile: path, atomically: true, encoding: .utf8)
        let failures = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            if (try? TrustRoots.system(bundlePaths: [path]).certificates) != [root.root] { failures.increment() }
        }
        XCTAssertEqual(failures.value, 0)
        XCTAssertEqual(TrustBundleCache.shared.readCount(path), 1)
    }
}

private final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
