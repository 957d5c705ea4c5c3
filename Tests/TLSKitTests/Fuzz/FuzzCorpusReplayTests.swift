import Foundation
import TLSKit
import TLSKitFuzzTargets
import XCTest

/// Replays the committed fuzz corpus and every recorded crash (Fuzz/Corpus/TARGET/*, Fuzz/Crashes/TARGET/*) through
/// the same entry points as the libFuzzer executables (scripts/fuzz.sh), without sanitizers. A finding fails the
/// test; a trap kills the run, as it would in the fuzzer.
final class FuzzCorpusReplayTests: XCTestCase {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static let targets = FuzzTargets.all

    func files(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    func testReplayCorpusAndCrashes() throws {
        var replayed: [String: Int] = [:]
        for (target, run) in Self.targets {
            for kind in ["Corpus", "Crashes"] {
                for file in files(in: Self.fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target)) {
                    let bytes = try [UInt8](Data(contentsOf: file))
                    XCTAssertNil(run(bytes), "\(kind)/\(target)/\(file.lastPathComponent)")
                    replayed[target, default: 0] += 1
                }
            }
        }
        // The committed seeds are there (the path from #filePath is right).
        for target in Self.targets.keys {
            XCTAssertGreaterThan(replayed[target] ?? 0, 0, "no corpus for \(target) under \(Self.fuzzDirectory.path)")
        }
    }

    /// The recorded seed streams are complete handshakes on a fresh engine: the fixtures are deterministic, so the
    /// fuzzer starts from inputs that reach application data rather than from the first failed check.
    func testSeedsReplayWholeHandshakes() throws {
        let seeds = try FuzzSeeds.all()
        for (name, bytes) in seeds["server-engine"] ?? [] where !FuzzSeeds.serverSeedsEndingAtFinished.contains(name) {
            XCTAssertTrue(ServerEngineTarget.completesHandshake(bytes), "server-engine seed \(name)")
        }
        // The legacy server seeds get as far as the client's CBC-protected Finished record and fail there as
        // bad_record_mac: the server's ECDSA signature is new on every run, and with extended master secret the
        // record keys hash the transcript that holds it.
        for name in FuzzSeeds.serverSeedsEndingAtFinished {
            let bytes = try XCTUnwrap(seeds["server-engine"]?.first { $0.0 == name }?.1, "server-engine seed \(name)")
            XCTAssertEqual(ServerEngineTarget.failureCause(bytes), .peerMisbehaved(.recordAuthenticationFailed),
                           "server-engine seed \(name)")
        }
        for (name, bytes) in seeds["client-engine"] ?? [] {
            XCTAssertTrue(ClientEngineTarget.completesHandshake(bytes), "client-engine seed \(name)")
        }
    }

    /// The legacy seeds are what their names say: CBC records at TLS 1.2, 1.1 and 1.0, with encrypt-then-MAC, and
    /// 1/n−1 splitting at TLS 1.0.
    func testLegacySeedsNegotiateCBCAtEachVersion() throws {
        let cases: [(FuzzFixtures.ServerVariant, ProtocolVersion, CipherSuite)] = [
            ([.legacy, .tls12], .tls12, .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256),
            ([.legacy], .tls11, .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA),
            ([.legacy, .legacyTLS10], .tls10, .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA),
        ]
        for (server, version, suite) in cases {
            let negotiated = try XCTUnwrap(FuzzSeeds.handshake(server: server, client: .legacy).negotiated)
            XCTAssertEqual(negotiated.version, version)
            XCTAssertEqual(negotiated.cipherSuite, suite)
            XCTAssertTrue(negotiated.encryptThenMAC)
            XCTAssertEqual(negotiated.recordSplitting, version == .tls10)
        }
    }

    /// Regenerates the seed corpus: TLSKIT_WRITE_FUZZ_SEEDS=1 swift test --filter FuzzCorpusReplayTests
    func testWriteSeeds() throws {
        guard ProcessInfo.processInfo.environment["TLSKIT_WRITE_FUZZ_SEEDS"] != nil else { return }
        for (target, seeds) in try FuzzSeeds.all() {
            let directory = Self.fuzzDirectory.appendingPathComponent("Corpus").appendingPathComponent(target)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (name, bytes) in seeds {
                try Data(bytes).write(to: directory.appendingPathComponent("seed-\(name)"))
            }
        }
    }
}
