import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import TLSKit
import X509

/// How a finding is judged.
enum Verdict: String, Encodable, Comparable {
    case good
    case weak
    case bad

    static func < (a: Verdict, b: Verdict) -> Bool {
        let order: [Verdict] = [.good, .weak, .bad]
        return order.firstIndex(of: a) ?? 0 < order.firstIndex(of: b) ?? 0
    }
}

/// One line of the scan's report.
struct Finding: Encodable {
    var section: String
    var name: String
    var value: String
    var verdict: Verdict
}

/// `tlskit scan HOST:PORT`: what a server offers, probed with repeated narrowly configured handshakes.
struct Scan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Probe a TLS server: versions, suites, groups, signature schemes, ALPN, resumption, stapling, "
            + "EMS, renegotiation, fallback and certificate, each with a verdict (like testssl.sh).",
        discussion: """
            Each fact comes from handshakes with the TLSKit engine configured narrowly (one suite, group or \
            signature scheme per probe), plus a few hand-made ClientHellos for what the engine never sends (TLS \
            1.0/1.1, legacy suites, TLS_FALLBACK_SCSV, a TLS 1.2 hello read in the clear). Probes run one after \
            another (about 55 of them) and each within --timeout seconds, the whole scan within --max-time. Progress goes to stderr, the report \
            (or --json) to stdout. Verdicts: good, weak (works but falls short of current practice), bad (a real \
            weakness). The certificate is checked against the system roots, or --cafile, for --servername.

            Exit status: 0 when the scan found nothing bad, 3 when at least one finding is bad, 1 when the server \
            could not be scanned (no connection, or not TLS), 2 for a usage error.
            """
    )

    @Argument(help: ArgumentHelp("The server: HOST[:PORT] or [IPv6][:PORT]; the port defaults to 443.", valueName: "host:port"))
    var target: String

    @Option(help: "Server name to send (SNI) and to check the certificate against (default: HOST).")
    var servername: String?

    @Option(help: ArgumentHelp("Check the certificate against these roots (PEM) instead of the system's.", valueName: "file"))
    var cafile: String?

    @Option(name: .customLong("alpn"), help: ArgumentHelp(
        "ALPN protocols to ask about (comma-separated or repeated; default h2,http/1.1).", valueName: "protocols"))
    var alpn: [String] = []

    @Option(help: "Seconds allowed for each probe (TCP connect and handshake).")
    var timeout = 5

    @Option(name: .customLong("max-time"), help: ArgumentHelp(
        "Seconds for the whole scan; probes not started by then are skipped and the report says so.", valueName: "seconds"))
    var maxTime = 120

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        do {
            _ = try Connect.parseTarget(target)
        } catch {
            throw ValidationError(error.description)
        }
        if !(1...60).contains(timeout) { throw ValidationError("--timeout takes 1 to 60 seconds") }
        if !(1...3600).contains(maxTime) { throw ValidationError("--max-time takes 1 to 3600 seconds") }
        let protocols = TLSOptions.split(alpn)
        if protocols.contains(where: { $0.isEmpty || $0.utf8.count > 255 }) {
            throw ValidationError("--alpn: protocol names must be 1 to 255 bytes long")
        }
        if protocols.count > 8 { throw ValidationError("--alpn: at most 8 protocols") }
    }

    func run() async throws {
        try await runReportingErrors {
            let (host, port) = try Connect.parseTarget(target)
            let roots: TrustRoots
            do {
                roots = try cafile.map { try TrustRoots(pemFile: $0) } ?? TrustRoots.system()
            } catch {
                throw CLIError(ErrorText.describe(error))
            }
            let candidates = TLSOptions.split(alpn)
            let scanner = Scanner(host: host, port: port, serverName: servername ?? host, timeout: timeout,
                                  roots: roots, rootsSource: cafile.map { "roots in \($0)" } ?? "system roots",
                                  alpnCandidates: candidates.isEmpty ? ["h2", "http/1.1"] : candidates,
                                  deadline: Date().addingTimeInterval(TimeInterval(maxTime)))
            let report = try await scanner.scan()
            if json {
                printJSON(report)
            } else {
                for line in report.textLines() { printOut(line) }
            }
            if report.findings.contains(where: { $0.verdict == .bad }) { throw ExitCode(3) }
        }
    }
}

/// What `scan` found, for the text report and --json.
struct ScanReport: Encodable {
    struct ALPN: Encodable {
        var accepted: [String] = []
        var refused: [String] = []
        var preferred: String?
    }

    struct Resumption: Encodable {
        var tls13Tickets: Bool?
        var tls13Resumed: Bool?
        var earlyData: String?
        var maxEarlyDataSize: UInt32?
        var tls12SessionIDs: Bool?
        var tls12Tickets: Bool?
        var tls12Resumed: Bool?
    }

    struct CertificateFacts: Encodable {
        var subject: String?
        var issuer: String?
        var subjectAltNames: [String] = []
        var key: String?
        var signatureAlgorithm: String?
        var notBefore: String?
        var notAfter: String?
        var chainLength = 0
        var verified = false
        var verification: String = ""
    }

    var target: String
    var serverName: String
    var versions: [String: Bool] = [:]
    /// Per version, in the server's order when it has one (else in TLSKit's order).
    var cipherSuites: [String: [String]] = [:]
    /// Per version: true when the server imposes its own order, false when it follows the client's.
    var serverCipherOrder: [String: Bool] = [:]
    var legacyCipherSuites: [String] = []
    var groups: [String: [String]] = [:]
    var signatureSchemes: [String: [String]] = [:]
    var alpn = ALPN()
    var resumption = Resumption()
    var ocspStapling: Bool?
    var extendedMasterSecret: Bool?
    var secureRenegotiation: Bool?
    var fallbackSCSV: String?
    var downgradeSentinel: Bool?
    var certificate = CertificateFacts()
    var findings: [Finding] = []
    var summary: [String: Int] = [:]

    mutating func add(_ section: String, _ name: String, _ value: String, _ verdict: Verdict) {
        findings.append(Finding(section: section, name: name, value: value, verdict: verdict))
    }

    mutating func finish() {
        summary = [
            "good": findings.filter { $0.verdict == .good }.count,
            "weak": findings.filter { $0.verdict == .weak }.count,
            "bad": findings.filter { $0.verdict == .bad }.count,
        ]
    }

    /// "Section" headings, then "  name   verdict  value" lines, then the counts.
    func textLines() -> [String] {
        var lines = ["tlskit scan \(target) (server name \(serverName))"]
        var section = ""
        let width = max(28, (findings.map(\.name.count).max() ?? 0) + 2)
        for finding in findings {
            if finding.section != section {
                section = finding.section
                lines.append("")
                lines.append(section)
            }
            let name = finding.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let verdict = finding.verdict.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
            lines.append("  \(name)\(verdict) \(finding.value)")
        }
        lines.append("")
        lines.append("Summary: \(summary["good"] ?? 0) good, \(summary["weak"] ?? 0) weak, \(summary["bad"] ?? 0) bad")
        return lines
    }
}

/// Runs the probes, in order, and fills the report.
final class Scanner {
    var host: String
    var port: Int
    var serverName: String
    var timeout: Int
    var roots: TrustRoots
    var rootsSource: String
    var alpnCandidates: [String]

    /// Probes made so far (for the progress lines).
    private var probes = 0
    /// Probes skipped because the scan's time was up.
    private var skipped = 0
    private let deadline: Date
    private let recorder = ProbeRecorder()

    init(host: String, port: Int, serverName: String, timeout: Int, roots: TrustRoots, rootsSource: String,
         alpnCandidates: [String], deadline: Date) {
        self.deadline = deadline
        self.host = host
        self.port = port
        self.serverName = serverName
        self.timeout = timeout
        self.roots = roots
        self.rootsSource = rootsSource
        self.alpnCandidates = alpnCandidates
    }

    static let tls13Suites: [CipherSuite] = [.TLS_AES_128_GCM_SHA256, .TLS_AES_256_GCM_SHA384, .TLS_CHACHA20_POLY1305_SHA256]
    static let tls12Suites: [CipherSuite] = TLSOptions.suites.filter { !$0.isTLS13 }
    static let groups: [NamedGroup] = [.X25519MLKEM768, .x25519, .secp256r1, .secp384r1, .secp521r1]
    static let tls13Schemes: [SignatureScheme] = [
        .ecdsa_secp256r1_sha256, .ecdsa_secp384r1_sha384, .ecdsa_secp521r1_sha512, .ed25519,
        .rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512,
    ]
    static let tls12Schemes: [SignatureScheme] = tls13Schemes + [.rsa_pkcs1_sha256, .rsa_pkcs1_sha384, .rsa_pkcs1_sha512]

    // MARK: Probing

    /// The outcome of one engine handshake.
    struct Probe {
        var negotiated: NegotiatedParameters?
        var failure: String?
        var chain: [[UInt8]] = []
        var stapled: [UInt8]?
        var events: [TLSEvent] = []
    }

    private func progress(_ text: String) {
        printError("scan: \(text)")
    }

    /// One handshake with `configure` applied to the base configuration, then close_notify. With `settle`, waits
    /// (at most a second) for the server's TLS 1.3 tickets before closing.
    private func handshake(settle: Bool = false, cache: ClientSessionCache? = nil,
                                    _ configure: (inout TLSClientConfiguration) -> Void) async -> Probe {
        guard Date() < deadline else {
            skipped += 1
            return Probe(failure: "skipped: the scan's --max-time is spent")
        }
        probes += 1
        var configuration = TLSClientConfiguration()
        configuration.peerVerification = .custom(recorder.verifier)
        configuration.common.certificateSignatureAlgorithms = Self.tls12Schemes
        configuration.sessionCache = cache
        configure(&configuration)
        recorder.reset()
        var dialer = TLSDialer(host: host, port: port, serverName: serverName, timeout: timeout)
        let events = recorder
        dialer.observer = { event in events.record(event) }
        var probe = Probe()
        switch await dialer.attempt(configuration: configuration) {
        case .connected(let opened):
            probe.negotiated = opened.negotiated
            if settle, let cache {
                for _ in 0..<100 where cache.count(for: serverName) == 0 {
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            try? await opened.channel.close()
        case .connectFailed(let error):
            probe.failure = "cannot connect: \(ErrorText.describe(error))"
        case .handshakeFailed(let error, let firstBytes):
            probe.failure = TLSDialer.explain(error, firstBytes: firstBytes)
        }
        probe.chain = recorder.chain
        probe.stapled = recorder.stapled
        probe.events = recorder.events
        return probe
    }

    private func raw(_ legacyVersion: ProtocolVersion, suites: [UInt16]) async -> RawHello.Answer {
        guard Date() < deadline else {
            skipped += 1
            return .failed("skipped: the scan's --max-time is spent")
        }
        probes += 1
        let record: [UInt8]
        do {
            record = try RawHello.clientHelloRecord(legacyVersion: legacyVersion, suites: suites, serverName: serverName)
        } catch {
            return .failed("cannot build the probe's ClientHello: \(error.reason)")   // e.g. a server name too long to encode
        }
        return await RawHello.send(record, host: host, port: port, timeout: timeout)
    }

    private static func only(_ version: ProtocolVersion) -> (inout TLSClientConfiguration) -> Void {
        { configuration in
            configuration.common.minimumVersion = version
            configuration.common.maximumVersion = version
        }
    }

    func scan() async throws -> ScanReport {
        let target = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var report = ScanReport(target: target, serverName: serverName)

        // Protocol versions. The first probe also tells whether there is a TLS server at all.
        progress("protocol versions")
        let cache13 = ClientSessionCache()
        let full13 = await handshake(settle: true, cache: cache13, Self.only(.tls13))
        if let failure = full13.failure {
            // Nothing to scan: no TCP connection, a plain-text service, or silence (each probe would wait as long).
            if failure.hasPrefix("cannot connect: ") {
                throw CLIError("cannot connect to \(target): " + failure.dropFirst("cannot connect: ".count))
            }
            if failure.hasPrefix("the peer") { throw CLIError(failure) }
            if failure == "handshake timed out" {
                throw CLIError("\(target) did not answer a TLS ClientHello within \(timeout) s")
            }
        }
        let cache12 = ClientSessionCache()
        let full12 = await handshake(cache: cache12, Self.only(.tls12))
        let has13 = full13.negotiated != nil
        let has12 = full12.negotiated != nil
        report.versions["TLSv1.3"] = has13
        report.versions["TLSv1.2"] = has12
        report.add("Protocol versions", "TLS 1.3", has13 ? "offered" : "not offered", has13 ? .good : .weak)
        report.add("Protocol versions", "TLS 1.2", has12 ? "offered" : "not offered", .good)
        let oldSuites = RawHello.legacySuites.map(\.value)
        for (version, label, key) in [(ProtocolVersion.tls11, "TLS 1.1", "TLSv1.1"), (.tls10, "TLS 1.0", "TLSv1.0")] {
            var offered = false
            if case .serverHello(let hello) = await raw(version, suites: oldSuites), hello.version == version.rawValue {
                offered = true
            }
            report.versions[key] = offered
            report.add("Protocol versions", label, offered ? "offered (deprecated by RFC 8996)" : "not offered",
                       offered ? .bad : .good)
        }
        guard has13 || has12 else {
            let reason = full13.failure ?? full12.failure ?? "no handshake succeeded"
            report.add("Protocol versions", "TLS 1.3 or 1.2 handshake", "failed: \(reason)", .bad)
            report.finish()
            return report
        }

        // Cipher suites, per version: which, then the server's order.
        for (version, key, suites, full) in [(ProtocolVersion.tls13, "TLSv1.3", Self.tls13Suites, full13),
                                             (.tls12, "TLSv1.2", Self.tls12Suites, full12)] where full.negotiated != nil {
            progress("cipher suites, \(version)")
            var supported: [CipherSuite] = []
            for suite in suites {
                let probe = await handshake { configuration in
                    Self.only(version)(&configuration)
                    configuration.common.cipherSuites = [suite]
                }
                if probe.negotiated?.cipherSuite == suite { supported.append(suite) }
            }
            let (ordered, serverOrder) = await preferenceOrder(supported, version: version)
            report.cipherSuites[key] = ordered.map(\.description)
            if let serverOrder { report.serverCipherOrder[key] = serverOrder }
            let section = "Cipher suites (\(version == .tls13 ? "TLS 1.3" : "TLS 1.2")"
                + (serverOrder == true ? ", server's order)" : ")")
            for suite in ordered {
                report.add(section, suite.description, "offered (forward secret, AEAD)", .good)
            }
            if let serverOrder {
                report.add(section, "Order", serverOrder ? "the server's own" : "the client's (the server has no preference)",
                           .good)
            }
        }
        if has12 {
            progress("legacy cipher suites, TLS 1.2")
            var remaining = RawHello.legacySuites
            var found: [RawHello.LegacySuite] = []
            // One probe per accepted suite, plus the one that finds no more: at most the list's length.
            for _ in 0...RawHello.legacySuites.count where !remaining.isEmpty {
                guard case .serverHello(let hello) = await raw(.tls12, suites: remaining.map(\.value)),
                      let index = remaining.firstIndex(where: { $0.value == hello.cipherSuite })
                else { break }
                found.append(remaining.remove(at: index))
            }
            report.legacyCipherSuites = found.map(\.name)
            if found.isEmpty {
                report.add("Legacy cipher suites (TLS 1.2)", "CBC, RSA, DHE, 3DES, RC4, NULL, export, anon", "none accepted", .good)
            }
            for suite in found {
                report.add("Legacy cipher suites (TLS 1.2)", suite.name, "accepted (\(suite.why))", suite.verdict)
            }
        }

        // Key-exchange groups.
        for (version, key, full) in [(ProtocolVersion.tls13, "TLSv1.3", full13), (.tls12, "TLSv1.2", full12)]
        where full.negotiated != nil {
            progress("key-exchange groups, \(version)")
            var supported: [NamedGroup] = []
            // TLS 1.2 supported_groups also limits the curve of an ECDSA certificate (RFC 8422 §5.1): name the
            // certificate's curve after the group under test, so the certificate stays usable.
            let certificateCurve = version == .tls12 ? Self.curve(ofLeaf: full12.chain.first) : nil
            for group in Self.groups where version == .tls13 || group != .X25519MLKEM768 {
                let probe = await handshake { configuration in
                    Self.only(version)(&configuration)
                    configuration.common.supportedGroups = [group] + (certificateCurve.map { $0 == group ? [] : [$0] } ?? [])
                    configuration.keyShareGroups = [group]
                }
                if probe.negotiated?.group == group { supported.append(group) }
            }
            report.groups[key] = supported.map(\.description)
            let section = "Key exchange groups (\(version == .tls13 ? "TLS 1.3" : "TLS 1.2"))"
            for group in supported { report.add(section, group.description, "supported", .good) }
            if supported.isEmpty { report.add(section, "groups", "none of \(Self.groups.map(\.description).joined(separator: ", "))", .bad) }
            if version == .tls13 {
                let pq = supported.contains(.X25519MLKEM768)
                report.add(section, "Post-quantum", pq ? "X25519MLKEM768 (hybrid ML-KEM)" : "no X25519MLKEM768: "
                    + "recorded traffic could be decrypted by a future quantum computer", pq ? .good : .weak)
            }
        }

        // Signature schemes the server signs its handshake with.
        for (version, key, schemes, full) in [(ProtocolVersion.tls13, "TLSv1.3", Self.tls13Schemes, full13),
                                              (.tls12, "TLSv1.2", Self.tls12Schemes, full12)] where full.negotiated != nil {
            progress("signature schemes, \(version)")
            var supported: [SignatureScheme] = []
            for scheme in schemes {
                let probe = await handshake { configuration in
                    Self.only(version)(&configuration)
                    configuration.common.signatureAlgorithms = [scheme]
                }
                if probe.negotiated?.serverSignatureScheme == scheme { supported.append(scheme) }
            }
            report.signatureSchemes[key] = supported.map(\.description)
            let section = "Signature schemes (\(version == .tls13 ? "TLS 1.3" : "TLS 1.2"))"
            for scheme in supported { report.add(section, scheme.description, "used when asked for", .good) }
            if supported.isEmpty { report.add(section, "schemes", "none that TLSKit verifies", .bad) }
        }

        // ALPN: each candidate alone, then all of them for the server's pick.
        progress("ALPN")
        let newest: ProtocolVersion = has13 ? .tls13 : .tls12
        for candidate in alpnCandidates {
            let probe = await handshake { configuration in
                Self.only(newest)(&configuration)
                configuration.common.applicationProtocols = [candidate]
            }
            if probe.negotiated?.applicationProtocol == candidate {
                report.alpn.accepted.append(candidate)
                report.add("ALPN", candidate, "accepted", .good)
            } else {
                report.alpn.refused.append(candidate)
                let how = probe.negotiated != nil ? "not negotiated (the server ignores ALPN)" : "refused (\(probe.failure ?? "?"))"
                report.add("ALPN", candidate, how, .weak)
            }
        }
        if report.alpn.accepted.count > 1 {
            let candidates = alpnCandidates
            let probe = await handshake { configuration in
                Self.only(newest)(&configuration)
                configuration.common.applicationProtocols = candidates
            }
            report.alpn.preferred = probe.negotiated?.applicationProtocol
            report.add("ALPN", "Choice", "offered \(alpnCandidates.joined(separator: ",")), the server picks "
                + (probe.negotiated?.applicationProtocol ?? "none"), .good)
        }

        // Resumption and 0-RTT.
        progress("resumption")
        if has13 {
            let tickets = full13.events.compactMap { event -> NewSessionTicket? in
                if case .newSessionTicket(let ticket) = event { return ticket }
                return nil
            }
            let maxEarly = tickets.compactMap { $0.extensions.maxEarlyDataSize }.max() ?? 0
            report.resumption.tls13Tickets = !tickets.isEmpty
            report.resumption.maxEarlyDataSize = maxEarly
            if tickets.isEmpty {
                report.add("Resumption", "TLS 1.3 session tickets", "none issued: every connection is a full handshake", .weak)
                report.add("Resumption", "0-RTT (early data)", "not offered", .good)
            } else {
                let resumed = await handshake(cache: cache13) { configuration in
                    Self.only(.tls13)(&configuration)
                    configuration.enableEarlyData = maxEarly > 0
                }
                let ok = resumed.negotiated?.resumed == true
                report.resumption.tls13Resumed = ok
                report.add("Resumption", "TLS 1.3 session tickets", "\(tickets.count) issued, "
                    + (ok ? "resumption works" : "but resumption failed"), ok ? .good : .weak)
                let early = resumed.events.compactMap { event -> Bool? in
                    if case .earlyDataAccepted(let accepted) = event { return accepted }
                    return nil
                }.first
                if maxEarly == 0 {
                    report.resumption.earlyData = "not offered"
                    report.add("Resumption", "0-RTT (early data)", "not offered", .good)
                } else if early == true {
                    report.resumption.earlyData = "accepted"
                    report.add("Resumption", "0-RTT (early data)", "accepted (up to \(maxEarly) bytes): replayable, "
                        + "safe only for idempotent requests", .weak)
                } else {
                    report.resumption.earlyData = "rejected"
                    report.add("Resumption", "0-RTT (early data)", "announced (\(maxEarly) bytes) but rejected", .good)
                }
            }
        }
        var cleartext12: RawHello.ServerHelloFacts?
        if has12 {
            if case .serverHello(let hello) = await raw(.tls12, suites: RawHello.modernTLS12Suites + [0x00FF]) {
                cleartext12 = hello
            }
            let sessionIDs = (cleartext12?.sessionIDLength ?? 0) > 0
            let tickets12 = cleartext12?.extensionTypes.contains(ExtensionType.sessionTicket.rawValue) ?? false
            report.resumption.tls12SessionIDs = sessionIDs
            report.resumption.tls12Tickets = tickets12
            report.add("Resumption", "TLS 1.2 session IDs", sessionIDs ? "assigned" : "not assigned", .good)
            report.add("Resumption", "TLS 1.2 session tickets", tickets12 ? "issued (RFC 5077)" : "not issued", .good)
            if full12.negotiated?.extendedMasterSecret == false {
                report.add("Resumption", "TLS 1.2 resumption", "not attempted: no extended master secret", .weak)
            } else if sessionIDs || tickets12 {
                let resumed = await handshake(cache: cache12, Self.only(.tls12))
                let ok = resumed.negotiated?.resumed == true
                report.resumption.tls12Resumed = ok
                report.add("Resumption", "TLS 1.2 resumption", ok ? "works" : "fails", ok ? .good : .weak)
            } else {
                report.resumption.tls12Resumed = false
                report.add("Resumption", "TLS 1.2 resumption", "not offered", .weak)
            }
        }

        // Protections.
        progress("OCSP stapling, EMS, renegotiation, fallback")
        let stapled = (full13.stapled ?? full12.stapled).map(\.count)
        report.ocspStapling = stapled != nil
        report.add("Protections", "OCSP stapling", stapled.map { "a response is stapled (\($0) bytes)" } ?? "not stapled",
                   stapled != nil ? .good : .weak)
        if let negotiated = full12.negotiated {
            report.extendedMasterSecret = negotiated.extendedMasterSecret
            report.add("Protections", "Extended master secret", negotiated.extendedMasterSecret
                ? "negotiated (RFC 7627)" : "not supported: TLS 1.2 sessions open to the triple-handshake attack",
                negotiated.extendedMasterSecret ? .good : .bad)
            if let hello = cleartext12 {
                let secure = hello.extensionTypes.contains(ExtensionType.renegotiationInfo.rawValue)
                report.secureRenegotiation = secure
                report.add("Protections", "Secure renegotiation", secure ? "supported (RFC 5746)"
                    : "not supported (RFC 5746): renegotiation could be spliced by an attacker", secure ? .good : .bad)
            }
        } else {
            report.add("Protections", "Extended master secret", "not applicable (no TLS 1.2)", .good)
            report.add("Protections", "Secure renegotiation", "not applicable (no TLS 1.2)", .good)
        }
        if has13 && has12 {
            if let hello = cleartext12 {
                report.downgradeSentinel = hello.hasTLS12DowngradeSentinel
                report.add("Protections", "Downgrade sentinel", hello.hasTLS12DowngradeSentinel
                    ? "present in TLS 1.2 ServerHello (RFC 8446 §4.1.3)" : "missing from TLS 1.2 ServerHello (RFC 8446 §4.1.3)",
                    hello.hasTLS12DowngradeSentinel ? .good : .weak)
            }
            let answer = await raw(.tls12, suites: RawHello.modernTLS12Suites + [CipherSuite.TLS_FALLBACK_SCSV.rawValue])
            switch answer {
            case .alert(let alert) where alert == .inappropriateFallback:
                report.fallbackSCSV = "refused"
                report.add("Protections", "TLS_FALLBACK_SCSV", "a fallback to TLS 1.2 is refused (inappropriate_fallback)", .good)
            case .serverHello:
                report.fallbackSCSV = "accepted"
                report.add("Protections", "TLS_FALLBACK_SCSV", "ignored: a fallback to TLS 1.2 is accepted (RFC 7507)", .weak)
            case .alert(let alert):
                report.fallbackSCSV = "alert \(alert)"
                report.add("Protections", "TLS_FALLBACK_SCSV", "answered with \(alert), not inappropriate_fallback", .weak)
            default:
                report.fallbackSCSV = "no answer"
                report.add("Protections", "TLS_FALLBACK_SCSV", "no answer", .weak)
            }
        } else {
            report.fallbackSCSV = "not applicable"
            report.add("Protections", "TLS_FALLBACK_SCSV", "not applicable (one protocol version)", .good)
        }

        // The certificate.
        progress("certificate")
        let chain = full13.chain.isEmpty ? full12.chain : full13.chain
        await describeCertificate(chain, stapled: full13.stapled ?? full12.stapled, into: &report)
        if skipped > 0 {
            report.add("Scan", "Completeness", "incomplete: \(skipped) probes skipped when --max-time ran out", .weak)
        }
        report.finish()
        printError("scan: done (\(probes) probes\(skipped > 0 ? ", \(skipped) skipped" : ""))")
        return report
    }

    /// Supported suites in the server's order (by elimination), or in ours when the server follows the client.
    /// Returns nil for the order when fewer than two suites leave nothing to compare.
    private func preferenceOrder(_ supported: [CipherSuite], version: ProtocolVersion) async -> ([CipherSuite], Bool?) {
        guard supported.count > 1 else { return (supported, nil) }
        func pick(_ offered: [CipherSuite]) async -> CipherSuite? {
            await handshake { configuration in
                Self.only(version)(&configuration)
                configuration.common.cipherSuites = offered
            }.negotiated?.cipherSuite
        }
        let forward = await pick(supported)
        let backward = await pick(supported.reversed())
        if forward == supported.first && backward == supported.last { return (supported, false) }
        var order: [CipherSuite] = []
        var remaining = supported
        var next = forward
        while let chosen = next, let index = remaining.firstIndex(of: chosen), remaining.count > 1 {
            order.append(remaining.remove(at: index))
            next = remaining.count > 1 ? await pick(remaining) : nil
        }
        return (order + remaining, true)
    }

    private func describeCertificate(_ chain: [[UInt8]], stapled: [UInt8]?, into report: inout ScanReport) async {
        let section = "Certificate"
        guard let leafDER = chain.first, let leaf = try? Certificate(derEncoded: leafDER) else {
            report.add(section, "Chain", chain.isEmpty ? "none received" : "the leaf does not parse", .bad)
            return
        }
        var facts = ScanReport.CertificateFacts()
        facts.subject = "\(leaf.subject)"
        facts.issuer = "\(leaf.issuer)"
        facts.key = keyType(leaf.publicKey)
        facts.signatureAlgorithm = "\(leaf.signatureAlgorithm)".replacingOccurrences(of: "SignatureAlgorithm.", with: "")
        facts.notBefore = isoDate(leaf.notValidBefore)
        facts.notAfter = isoDate(leaf.notValidAfter)
        facts.chainLength = chain.count
        let sans = subjectAlternativeNames(leaf)
        facts.subjectAltNames = sans?.components(separatedBy: ", ") ?? []

        let result = await X509CertificateVerifier(trustRoots: roots).verify(
            PeerVerificationRequest(chainDER: chain, role: .server, serverName: serverName, stapledOCSPResponse: stapled))
        var chainVerdict: (String, Verdict)
        switch result {
        case .trusted(let built):
            facts.verified = true
            let anchor = built.last.map { "\($0.subject)" } ?? "?"
            chainVerdict = ("verifies to \(anchor) (\(rootsSource)), name \(serverName) matches", .good)
        case .rejected(let error):
            let (rule, detail) = Verify.split(error)
            let hint = rule.flatMap { CertificateHints.hint($0, for: .connect) }.map { "; hint: \($0)" } ?? ""
            chainVerdict = ("does not verify against \(rootsSource): \(rule.map { "\($0): " } ?? "")\(detail)\(hint)", .bad)
        }
        facts.verification = chainVerdict.0
        report.certificate = facts

        report.add(section, "Subject", facts.subject ?? "?", .good)
        // A self-signed leaf works only where it is installed as a root (the Chain line says whether it is here).
        let selfSigned = leaf.issuer == leaf.subject
        report.add(section, "Issuer", selfSigned ? "\(leaf.issuer) (self-signed: trusted only where installed as a root)"
                   : facts.issuer ?? "?", selfSigned ? .weak : .good)
        let names = sans ?? "(none)"
        let covers = Self.names(facts.subjectAltNames, cover: serverName)
        report.add(section, "Subject alternative names", names + (covers ? "" : " (does not cover \(serverName))"),
                   covers ? .good : .bad)
        let key = facts.key ?? "?"
        let weakKey = key.hasPrefix("RSA ") && (Int(key.dropFirst(4)) ?? 0) < 2048
        report.add(section, "Key", key, weakKey ? .bad : .good)
        let signature = facts.signatureAlgorithm ?? "?"
        let weakSignature = signature.lowercased().contains("sha1") || signature.lowercased().contains("md5")
        report.add(section, "Signature algorithm", signature, weakSignature ? .bad : .good)
        let now = Date()
        let daysLeft = Int(leaf.notValidAfter.timeIntervalSince(now) / 86400)
        let validity = "\(utcDate(leaf.notValidBefore)) to \(utcDate(leaf.notValidAfter))"
        if now < leaf.notValidBefore {
            report.add(section, "Validity", "\(validity): not yet valid", .bad)
        } else if now > leaf.notValidAfter {
            report.add(section, "Validity", "\(validity): expired", .bad)
        } else {
            // Short-lived certificates are fine; one that has run past the point where ACME clients renew (a third
            // of its lifetime left, at most 14 days) is not being renewed.
            let lifetime = leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore)
            let renewalDue = leaf.notValidAfter.timeIntervalSince(now) < min(14 * 86400, lifetime / 3)
            report.add(section, "Validity", "\(validity) (\(daysLeft) days left)" + (renewalDue ? ", overdue for renewal" : ""),
                       renewalDue ? .weak : .good)
        }
        report.add(section, "Chain", "\(chain.count) certificate\(chain.count == 1 ? "" : "s") sent, \(chainVerdict.0)",
                   chainVerdict.1)
    }

    /// The named group of an ECDSA leaf's curve.
    static func curve(ofLeaf der: [UInt8]?) -> NamedGroup? {
        guard let der, let leaf = try? Certificate(derEncoded: der) else { return nil }
        switch keyType(leaf.publicKey) {
        case "ECDSA P-256": return .secp256r1
        case "ECDSA P-384": return .secp384r1
        case "ECDSA P-521": return .secp521r1
        default: return nil
        }
    }

    /// Whether a SAN list ("DNS:a", "IP:1.2.3.4") covers `name` (one-label wildcards as browsers match them).
    static func names(_ sans: [String], cover name: String) -> Bool {
        let lowered = name.lowercased()
        if let octets = ipAddressOctets(name) {
            return sans.contains { $0.hasPrefix("IP:") && ipAddressOctets(String($0.dropFirst(3))) == octets }
        }
        for san in sans where san.hasPrefix("DNS:") {
            let pattern = san.dropFirst(4).lowercased()
            if pattern == lowered { return true }
            if pattern.hasPrefix("*."), let dot = lowered.firstIndex(of: "."),
               lowered[lowered.index(after: dot)...] == pattern.dropFirst(2) {
                return true
            }
        }
        return false
    }
}

/// Collects what one probe saw: the chain and staple (from the verifier, which accepts everything: the chain is
/// judged once, at the end, against the real roots) and the engine's events. Probes run one at a time.
final class ProbeRecorder: Sendable {
    private struct State {
        var chain: [[UInt8]] = []
        var stapled: [UInt8]?
        var events: [TLSEvent] = []
    }

    private let state = NIOLockedValueBox(State())

    /// One verifier for every probe, so that sessions from one probe resume in the next (same policy).
    var verifier: CustomCertificateVerifier {
        let state = self.state
        return CustomCertificateVerifier(policyIdentifier: "tlskit-scan") { request in
            state.withLockedValue {
                $0.chain = request.chainDER
                $0.stapled = request.stapledOCSPResponse
            }
            return await InsecureNoVerification().verify(request)
        }
    }

    func reset() { state.withLockedValue { $0 = State() } }
    func record(_ event: TLSEvent) { state.withLockedValue { $0.events.append(event) } }
    var chain: [[UInt8]] { state.withLockedValue { $0.chain } }
    var stapled: [UInt8]? { state.withLockedValue { $0.stapled } }
    var events: [TLSEvent] { state.withLockedValue { $0.events } }
}
