import CBenchSupport
import Foundation

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Iteration counts: flags (`--handshakes 200`) override environment variables (`BENCH_HANDSHAKES=200`).
struct Settings: Codable {
    var handshakes = 200           // full/resumed handshakes per contender and scenario
    var bulkMiB = 64               // MiB sent (and received) per bulk scenario and contender
    var connections = 10_000       // idle connections held for the memory rows
    var nioConnections = 10_000    // the same for the two NIO contenders
    var allocationRounds = 50      // handshakes/records averaged for the allocation rows
    var rounds = 5                 // handshake and bulk rows: contenders take turns, this many times
    var certificates = "Benchmarks/.certs"
    var json = "Benchmarks/results/latest.json"
    var only: String? = nil        // run only rows whose section contains this (e.g. "bulk")
    var contenders: String? = nil  // comma-separated subset of TLSKit,OpenSSL,TLSKit-NIO,BoringSSL-NIO (for profiling)

    static func load() -> Settings {
        var s = Settings()
        let env = ProcessInfo.processInfo.environment
        func int(_ name: String, _ flag: String, _ value: inout Int) {
            if let v = env[name].flatMap(Int.init) { value = v }
            let args = CommandLine.arguments
            if let i = args.firstIndex(of: flag), i + 1 < args.count, let v = Int(args[i + 1]) { value = v }
        }
        func string(_ name: String, _ flag: String, _ value: inout String) {
            if let v = env[name] { value = v }
            let args = CommandLine.arguments
            if let i = args.firstIndex(of: flag), i + 1 < args.count { value = args[i + 1] }
        }
        if CommandLine.arguments.contains("--quick") || env["BENCH_QUICK"] == "1" {
            s.handshakes = 20; s.bulkMiB = 8; s.connections = 1000; s.nioConnections = 500; s.allocationRounds = 10
        }
        int("BENCH_HANDSHAKES", "--handshakes", &s.handshakes)
        int("BENCH_BULK_MIB", "--bulk-mib", &s.bulkMiB)
        int("BENCH_CONNECTIONS", "--connections", &s.connections)
        int("BENCH_NIO_CONNECTIONS", "--nio-connections", &s.nioConnections)
        int("BENCH_ALLOC_ROUNDS", "--alloc-rounds", &s.allocationRounds)
        int("BENCH_ROUNDS", "--rounds", &s.rounds)
        s.rounds = max(1, s.rounds)
        string("BENCH_CERTS", "--certs", &s.certificates)
        string("BENCH_JSON", "--json", &s.json)
        var only = ""
        string("BENCH_ONLY", "--only", &only)
        s.only = only.isEmpty ? nil : only
        var contenders = ""
        string("BENCH_CONTENDERS", "--contenders", &contenders)
        s.contenders = contenders.isEmpty ? nil : contenders.lowercased()
        return s
    }
}

/// A point in process CPU time and allocation count.
struct Mark {
    let cpu: Int64
    let allocations: Int64
    @inline(__always) static func now() -> Mark { Mark(cpu: bench_process_cpu_ns(), allocations: bench_allocation_count()) }
}

/// CPU time and allocations charged to the two sides of a connection (0 = client/sender, 1 = server/receiver).
struct Split {
    var cpu: [Int64] = [0, 0]
    var allocations: [Int64] = [0, 0]
    @inline(__always) mutating func charge(_ side: Int, since mark: Mark) {
        let now = Mark.now()
        cpu[side] += now.cpu - mark.cpu
        allocations[side] += now.allocations - mark.allocations
    }
    static func + (a: Split, b: Split) -> Split {
        Split(cpu: [a.cpu[0] + b.cpu[0], a.cpu[1] + b.cpu[1]],
              allocations: [a.allocations[0] + b.allocations[0], a.allocations[1] + b.allocations[1]])
    }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Per-handshake results of one contender in one scenario (the samples of every round).
struct HandshakeStats {
    var samples: [Split]

    var clientMicros: Double { median(samples.map { Double($0.cpu[0]) / 1000 }) }   // median CPU µs, client side
    var serverMicros: Double { median(samples.map { Double($0.cpu[1]) / 1000 }) }   // median CPU µs, server side
    var clientAllocations: Double { median(samples.map { Double($0.allocations[0]) }) }
    var serverAllocations: Double { median(samples.map { Double($0.allocations[1]) }) }

    init(samples: [Split]) { self.samples = samples }

    /// All rounds' samples together.
    static func merged(_ rounds: [HandshakeStats]?) -> HandshakeStats? {
        guard let rounds, !rounds.isEmpty else { return nil }
        return HandshakeStats(samples: rounds.flatMap(\.samples))
    }
}

/// Bulk results: MB/s (10^6 bytes of plaintext per CPU second) for the sender and the receiver, and allocations per record.
struct BulkStats {
    var sendMBps: Double
    var receiveMBps: Double
    var sendAllocationsPerRecord: Double
    var receiveAllocationsPerRecord: Double

    init(total: Split, bytes: Int, records: Int) {
        sendMBps = Double(bytes) / (Double(total.cpu[0]) / 1e9) / 1e6
        receiveMBps = Double(bytes) / (Double(total.cpu[1]) / 1e9) / 1e6
        sendAllocationsPerRecord = Double(total.allocations[0]) / Double(records)
        receiveAllocationsPerRecord = Double(total.allocations[1]) / Double(records)
    }

    /// The median round for each figure (a round the machine disturbed does not move the result).
    static func merged(_ rounds: [BulkStats]?) -> BulkStats? {
        guard let rounds, var result = rounds.first else { return nil }
        result.sendMBps = median(rounds.map(\.sendMBps))
        result.receiveMBps = median(rounds.map(\.receiveMBps))
        result.sendAllocationsPerRecord = median(rounds.map(\.sendAllocationsPerRecord))
        result.receiveAllocationsPerRecord = median(rounds.map(\.receiveAllocationsPerRecord))
        return result
    }
}

/// Idle-connection memory: resident-set growth per client+server pair (the headline: memory the process really
/// holds), and heap bytes per connection, client and server side (mallinfo2, which also counts allocated memory
/// never touched: BoringSSL's buffers make its heap figure twice its RSS).
struct MemoryStats {
    var pairResidentBytes: Double
    var clientBytes: Double
    var serverBytes: Double
}

let chunkSize = 16 * 1024

/// What the resumed-handshake rows resume (none: full handshakes, which issue tickets but never resume them).
enum Resumption {
    case none, tls13Ticket, tls12SessionID, tls12Ticket

    /// Tickets every contender's server issues per handshake. Full rows: BoringSSL's default (two TLS 1.3 tickets;
    /// TLS 1.2 has one ticket at most), which swift-nio-ssl cannot change and TLSKit's default matches; every client
    /// offers and reads them. Resumed rows: one, the one the next handshake resumes; session-ID row: none.
    var ticketsPerHandshake: Int {
        switch self {
        case .none: return 2
        case .tls13Ticket, .tls12Ticket: return 1
        case .tls12SessionID: return 0
        }
    }
}

/// Heap in use after giving free memory back; settles the numbers used by the memory rows.
func heapInUse() -> Int64 {
    bench_heap_trim()
    return bench_heap_in_use()
}

/// The resident set after giving free heap memory back (malloc_trim also releases free pages inside the heap).
func residentAfterTrim() -> Int64 {
    bench_heap_trim()
    return bench_rss_bytes()
}

func machineLoad() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
        .split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}
