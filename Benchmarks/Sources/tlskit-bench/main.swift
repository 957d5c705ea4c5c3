// tlskit-bench: TLSKit against OpenSSL 3 and BoringSSL (swift-nio-ssl), everything in memory in one process.
// Prints one table and writes the same rows as JSON. See Benchmarks/README.md.
import CBenchSupport
import Foundation

struct Row: Codable {
    var section: String
    var name: String
    var unit: String
    var tlskit: Double?
    var openssl: Double?
    var tlskitOverOpenSSL: Double?
    var tlskitNIO: Double?
    var boringSSLNIO: Double?
    var tlskitNIOOverBoringSSL: Double?
}

struct Report: Codable {
    var date: String
    var loadAverageBefore: String
    var loadAverageAfter: String
    var cores: Int
    var settings: Settings
    var note: String
    var rows: [Row]
}

let settings = Settings.load()
let loadBefore = machineLoad()
var rows: [Row] = []

func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

func attempt<T>(_ what: String, _ body: () async throws -> T) async -> T? {
    if let selected = settings.contenders {
        let names = selected.split(separator: ",").map(String.init)
        let key = what == "swift-nio-ssl" ? "boringssl-nio" : what == "TLSKit NIO" ? "tlskit-nio" : what.lowercased()
        guard names.contains(key) else { return nil }
    }
    do { return try await body() } catch {
        log("  \(what): \(error) (n/a)")
        return nil
    }
}

/// Measures the contenders in `settings.rounds` rounds, taking turns within each round (in a rotating order), so that a
/// busy phase of the shared machine falls on every contender alike instead of on whichever ran then. A contender that fails (or is
/// filtered out) is dropped: nil.
func inRounds<T>(_ contenders: [(String, () async throws -> T)]) async -> [[T]?] {
    var results: [[T]?] = contenders.map { _ in [] }
    for round in 0..<settings.rounds {
        // Each round starts with the next contender, so none always runs first (on a fresh heap, say).
        for k in 0..<contenders.count {
            let i = (round + k) % contenders.count
            let (name, body) = contenders[i]
            guard results[i] != nil else { continue }
            if let result = await attempt(name, body) { results[i]?.append(result) } else { results[i] = nil }
        }
    }
    return results
}

func add(_ section: String, _ name: String, _ unit: String,
         tlskit: Double? = nil, openssl: Double? = nil, tlskitNIO: Double? = nil, boring: Double? = nil) {
    func clean(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }
    func ratio(_ a: Double?, _ b: Double?) -> Double? {
        guard let a = clean(a), let b = clean(b), b != 0 else { return nil }
        return a / b
    }
    rows.append(Row(section: section, name: name, unit: unit, tlskit: clean(tlskit), openssl: clean(openssl),
                    tlskitOverOpenSSL: ratio(tlskit, openssl), tlskitNIO: clean(tlskitNIO), boringSSLNIO: clean(boring),
                    tlskitNIOOverBoringSSL: ratio(tlskitNIO, boring)))
}

/// `--only TEXT` keeps the sections, or the scenarios, whose name contains TEXT (e.g. "bulk", "TLS 1.2 resumed").
func wanted(_ section: String, _ scenario: String? = nil) -> Bool {
    guard let only = settings.only?.lowercased() else { return true }
    return section.lowercased().contains(only) || (scenario?.lowercased().contains(only) ?? false)
}

let certificates: BenchCertificates
do { certificates = try BenchCertificates(directory: settings.certificates) } catch {
    log("\(error)")
    exit(2)
}
log("tlskit-bench: load average \(loadBefore), \(ProcessInfo.processInfo.activeProcessorCount) cores; settings \(settings)")

// ---- Full handshakes ----
let handshakeScenarios: [(String, Setup)] = [
    ("TLS 1.3 full, X25519, ECDSA P-256", Setup(version: 13, group: .x25519, key: .ecdsa)),
    ("TLS 1.3 full, X25519, RSA-2048", Setup(version: 13, group: .x25519, key: .rsa)),
    ("TLS 1.3 full, X25519MLKEM768, ECDSA P-256", Setup(version: 13, group: .x25519MLKEM768, key: .ecdsa)),
    ("TLS 1.2 full, ECDHE-ECDSA-AES128-GCM-SHA256", Setup(version: 12, group: .x25519, key: .ecdsa)),
]
do {
    for (name, setup) in handshakeScenarios where wanted("handshake", name) {
        log("handshake: \(name)")
        let n = max(1, settings.handshakes / settings.rounds)
        let measured = await inRounds([
            ("TLSKit", { try await TLSKitEngineContender(setup, certificates).handshakes(n) }),
            ("OpenSSL", { try OpenSSLContender(setup, certificates).handshakes(n) }),
            ("TLSKit NIO", { try NIOContender(.tlskit, setup, certificates).handshakes(n) }),
            ("swift-nio-ssl", { try NIOContender(.nioSSL, setup, certificates).handshakes(n) }),
        ]).map(HandshakeStats.merged)
        let (engine, openssl, tlskitNIO, boring) = (measured[0], measured[1], measured[2], measured[3])
        // Measured whatever --contenders selects: every handshake row is reported against it.
        let floor: Double?
        do { floor = try CryptoFloor.micros(setup, iterations: max(20, settings.handshakes)) } catch {
            log("  crypto floor: \(error) (n/a)")
            floor = nil
        }
        add("floor", "\(name): crypto floor, client + server", "µs CPU", tlskit: floor)
        func overFloor(_ stats: HandshakeStats?) -> Double? {
            guard let stats, let floor, floor > 0 else { return nil }
            return (stats.clientMicros + stats.serverMicros) / floor
        }
        add("floor", "\(name): client + server ÷ floor", "× floor", tlskit: overFloor(engine), openssl: overFloor(openssl),
            tlskitNIO: overFloor(tlskitNIO), boring: overFloor(boring))
        add("handshake", "\(name): client", "µs CPU", tlskit: engine?.clientMicros, openssl: openssl?.clientMicros,
            tlskitNIO: tlskitNIO?.clientMicros, boring: boring?.clientMicros)
        add("handshake", "\(name): server", "µs CPU", tlskit: engine?.serverMicros, openssl: openssl?.serverMicros,
            tlskitNIO: tlskitNIO?.serverMicros, boring: boring?.serverMicros)
        add("allocations", "\(name): client", "allocs/handshake", tlskit: engine?.clientAllocations,
            openssl: openssl?.clientAllocations, tlskitNIO: tlskitNIO?.clientAllocations, boring: boring?.clientAllocations)
        add("allocations", "\(name): server", "allocs/handshake", tlskit: engine?.serverAllocations,
            openssl: openssl?.serverAllocations, tlskitNIO: tlskitNIO?.serverAllocations, boring: boring?.serverAllocations)
    }
}

// ---- Resumed handshakes (swift-nio-ssl exposes no client session API: n/a) ----
do {
    let resumed: [(String, Setup, Resumption)] = [
        ("TLS 1.3 resumed (ticket), X25519", Setup(version: 13), .tls13Ticket),
        ("TLS 1.2 resumed (session ID)", Setup(version: 12), .tls12SessionID),
        ("TLS 1.2 resumed (ticket)", Setup(version: 12), .tls12Ticket),
    ]
    for (name, setup, resumption) in resumed where wanted("resumed", name) {
        log("resumed: \(name)")
        let n = max(1, settings.handshakes / settings.rounds)
        let measured = await inRounds([
            ("TLSKit", { try await TLSKitEngineContender(setup, certificates, resumption: resumption).handshakes(n) }),
            ("OpenSSL", { try OpenSSLContender(setup, certificates, resumption: resumption).handshakes(n) }),
            ("TLSKit NIO", { try NIOContender(.tlskit, setup, certificates, resumption: resumption).handshakes(n) }),
        ]).map(HandshakeStats.merged)
        let (engine, openssl, tlskitNIO) = (measured[0], measured[1], measured[2])
        add("resumed", "\(name): client", "µs CPU", tlskit: engine?.clientMicros, openssl: openssl?.clientMicros,
            tlskitNIO: tlskitNIO?.clientMicros)
        add("resumed", "\(name): server", "µs CPU", tlskit: engine?.serverMicros, openssl: openssl?.serverMicros,
            tlskitNIO: tlskitNIO?.serverMicros)
        add("allocations", "\(name): client", "allocs/handshake", tlskit: engine?.clientAllocations,
            openssl: openssl?.clientAllocations, tlskitNIO: tlskitNIO?.clientAllocations)
        add("allocations", "\(name): server", "allocs/handshake", tlskit: engine?.serverAllocations,
            openssl: openssl?.serverAllocations, tlskitNIO: tlskitNIO?.serverAllocations)
    }
}

// ---- Bulk transfer, 16 KiB writes ----
let bulkScenarios: [(String, Setup, Bool)] = [
    ("TLS 1.3 AES-128-GCM", Setup(version: 13, cipher: .aes128gcm), true),
    ("TLS 1.3 AES-256-GCM", Setup(version: 13, cipher: .aes256gcm), false),
    ("TLS 1.3 ChaCha20-Poly1305", Setup(version: 13, cipher: .chacha20poly1305), false),
    ("TLS 1.2 AES-128-GCM (ECDHE-ECDSA)", Setup(version: 12), true),
    // The same as the first row with TLSKit's records sealed and opened in place by libcrypto's EVP AEAD
    // (LibcryptoAEADProvider, the opt-in trait): what swift-crypto's SealedBox copies cost. The others run as above.
    ("TLS 1.3 AES-128-GCM, TLSKit on libcrypto EVP AEAD", Setup(version: 13, cipher: .aes128gcm, libcryptoAEAD: true), true),
]
do {
    let bytes = settings.bulkMiB << 20
    for (name, setup, boringCanDoIt) in bulkScenarios where wanted("bulk", name) {
        log("bulk: \(name)")
        let perRound = max(chunkSize, bytes / settings.rounds)
        var contenders: [(String, () async throws -> BulkStats)] = [
            ("TLSKit", { try await TLSKitEngineContender(setup, certificates).bulk(bytes: perRound) }),
            ("OpenSSL", { try OpenSSLContender(setup, certificates).bulk(bytes: perRound) }),
            ("TLSKit NIO", { try NIOContender(.tlskit, setup, certificates).bulk(bytes: perRound) }),
        ]
        // BoringSSL picks the TLS 1.3 suite itself (AES-128-GCM with AES-NI): only the AES-128-GCM rows compare.
        if boringCanDoIt {
            contenders.append(("swift-nio-ssl", { try NIOContender(.nioSSL, setup, certificates).bulk(bytes: perRound) }))
        }
        let measured = await inRounds(contenders).map(BulkStats.merged)
        let (engine, openssl, tlskitNIO) = (measured[0], measured[1], measured[2])
        let boring = boringCanDoIt ? measured[3] : nil
        add("bulk", "\(name): send", "MB/s", tlskit: engine?.sendMBps, openssl: openssl?.sendMBps,
            tlskitNIO: tlskitNIO?.sendMBps, boring: boring?.sendMBps)
        add("bulk", "\(name): receive", "MB/s", tlskit: engine?.receiveMBps, openssl: openssl?.receiveMBps,
            tlskitNIO: tlskitNIO?.receiveMBps, boring: boring?.receiveMBps)
        if setup.version == 13 && setup.cipher == .aes128gcm || setup.version == 12 {
            add("allocations", "16 KiB record, \(name): send", "allocs/record", tlskit: engine?.sendAllocationsPerRecord,
                openssl: openssl?.sendAllocationsPerRecord, tlskitNIO: tlskitNIO?.sendAllocationsPerRecord,
                boring: boring?.sendAllocationsPerRecord)
            add("allocations", "16 KiB record, \(name): receive", "allocs/record",
                tlskit: engine?.receiveAllocationsPerRecord, openssl: openssl?.receiveAllocationsPerRecord,
                tlskitNIO: tlskitNIO?.receiveAllocationsPerRecord, boring: boring?.receiveAllocationsPerRecord)
        }
    }
}

// ---- Ceiling: raw AEAD, 16 KiB blocks ----
if wanted("ceiling") {
    log("ceiling: AEAD primitives")
    for cipher in [Cipher.aes128gcm, .aes256gcm, .chacha20poly1305] {
        let crypto = await attempt("swift-crypto") { try Ceiling.swiftCrypto(cipher, bytes: settings.bulkMiB << 20) }
        let evp = Ceiling.openssl(cipher, bytes: settings.bulkMiB << 20)
        add("ceiling", "\(cipher.rawValue) seal 16 KiB (swift-crypto | libcrypto EVP)", "MB/s", tlskit: crypto?.seal, openssl: evp?.seal)
        add("ceiling", "\(cipher.rawValue) open 16 KiB (swift-crypto | libcrypto EVP)", "MB/s", tlskit: crypto?.open, openssl: evp?.open)
    }
}

// ---- Memory: idle established connections ----
if wanted("memory") {
    let setup = Setup(version: 13)
    log("memory: \(settings.connections) idle connections (NIO: \(settings.nioConnections))")
    let engine = await attempt("TLSKit") { try await TLSKitEngineContender(setup, certificates).memory(connections: settings.connections) }
    let openssl = await attempt("OpenSSL") { try OpenSSLContender(setup, certificates).memory(connections: settings.connections) }
    let tlskitNIO = await attempt("TLSKit NIO") {
        try NIOContender(.tlskit, setup, certificates).memory(connections: settings.nioConnections)
    }
    let boring = await attempt("swift-nio-ssl") {
        try NIOContender(.nioSSL, setup, certificates).memory(connections: settings.nioConnections)
    }
    add("memory", "idle TLS 1.3 client + server pair", "RSS bytes", tlskit: engine?.pairResidentBytes,
        openssl: openssl?.pairResidentBytes, tlskitNIO: tlskitNIO?.pairResidentBytes, boring: boring?.pairResidentBytes)
    add("memory", "idle TLS 1.3 connection: client", "heap bytes", tlskit: engine?.clientBytes,
        openssl: openssl?.clientBytes, tlskitNIO: tlskitNIO?.clientBytes, boring: boring?.clientBytes)
    add("memory", "idle TLS 1.3 connection: server", "heap bytes", tlskit: engine?.serverBytes,
        openssl: openssl?.serverBytes, tlskitNIO: tlskitNIO?.serverBytes, boring: boring?.serverBytes)
}

// ---- The table ----
let loadAfter = machineLoad()
func format(_ v: Double?) -> String {
    guard let v else { return "n/a" }
    if v >= 1000 { return String(format: "%.0f", v) }
    if v >= 100 { return String(format: "%.1f", v) }
    return String(format: "%.2f", v)
}
func formatRatio(_ v: Double?) -> String { v.map { String(format: "%.2f×", $0) } ?? "n/a" }
let header = ["scenario", "unit", "TLSKit", "OpenSSL", "TLSKit/OpenSSL", "TLSKit-NIO", "BoringSSL-NIO", "TLSKit-NIO/BoringSSL"]
var lines: [[String]] = [header]
var lastSection = ""
// Rows grouped by section, sections in the order they first appear.
var sectionOrder: [String] = []
for row in rows where !sectionOrder.contains(row.section) { sectionOrder.append(row.section) }
for row in sectionOrder.flatMap({ section in rows.filter { $0.section == section } }) {
    if row.section != lastSection { lines.append(["[\(row.section)]", "", "", "", "", "", "", ""]); lastSection = row.section }
    lines.append([row.name, row.unit, format(row.tlskit), format(row.openssl), formatRatio(row.tlskitOverOpenSSL),
                  format(row.tlskitNIO), format(row.boringSSLNIO), formatRatio(row.tlskitNIOOverBoringSSL)])
}
let widths = (0..<header.count).map { column in lines.map { $0[column].count }.max() ?? 0 }
func render(_ cells: [String]) -> String {
    cells.enumerated().map { i, cell in
        let pad = String(repeating: " ", count: widths[i] - cell.count)
        return i < 2 ? cell + pad : pad + cell
    }.joined(separator: "  ")
}
print("TLSKit benchmark — in memory, one process; CPU time per side (CLOCK_PROCESS_CPUTIME_ID), medians for handshakes")
print("load average before \(loadBefore), after \(loadAfter) on \(ProcessInfo.processInfo.activeProcessorCount) cores")
print(render(lines[0]))
print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
for line in lines.dropFirst() { print(render(line)) }
print("µs, allocs, bytes: lower is better; MB/s (10^6 B of plaintext per CPU second): higher is better. n/a: not supported or not measured.")

let formatter = ISO8601DateFormatter()
let report = Report(
    date: formatter.string(from: Date()), loadAverageBefore: loadBefore, loadAverageAfter: loadAfter,
    cores: ProcessInfo.processInfo.activeProcessorCount, settings: settings,
    note: "TLSKit = engine (TLSConnection); TLSKit-NIO and BoringSSL-NIO = TLSKitNIO handlers and swift-nio-ssl handlers on EmbeddedChannel; OpenSSL = system libssl with a BIO pair; crypto floor = swift-crypto primitives of one handshake pair (Floor.swift)",
    rows: rows)
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
do {
    let url = URL(fileURLWithPath: settings.json)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try encoder.encode(report).write(to: url)
    print("JSON: \(settings.json)")
} catch {
    log("could not write \(settings.json): \(error)")
}
