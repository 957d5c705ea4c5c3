import Foundation
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
        for (name, bytes) in seeds["server-engine"] ?? [] {
            XCTAssertTrue(ServerEngineTarget.completesHandshake(bytes), "server-engine seed \(name)")
        }
        for (name, bytes) in seeds["client-engine"] ?? [] {
            XCTAssertTrue(ClientEngineTarget.completesHandshake(bytes), "client-engine seed \(name)")
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
