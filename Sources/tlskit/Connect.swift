import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TLSKit
import TLSKitNIO

#if canImport(Glibc)
import Glibc
#endif

/// `tlskit connect`: a TLS client that prints what was negotiated, then relays stdin ⇄ the connection.
struct Connect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Connect to a TLS server, print what was negotiated, then relay stdin and stdout (like s_client).",
        discussion: """
            The summary, --showcerts PEM blocks, --trace lines and warnings go to stderr; stdout carries only the \
            data received, so `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | tlskit connect HOST:PORT > page` is \
            scriptable. When piped stdin ends the connection stays open until the server closes it (or sends \
            close_notify at once with --close-on-eof); when stdin is a terminal, end of input (Ctrl-D) sends \
            close_notify and ends the session. With --json the summary is printed on stdout as JSON and the \
            connection is closed at once (no data is relayed).

            The SSLKEYLOGFILE environment variable, as curl and Firefox read it, names a key log file when \
            --keylog is not given.

            Exit status: 0 after the server's close_notify (or, with --json, once the summary is printed), 1 after \
            an unclean close or any error (connection, handshake, certificate), 2 for a usage error.
            """
    )

    @Argument(help: ArgumentHelp("The server: HOST[:PORT] or [IPv6][:PORT]; the port defaults to 443.", valueName: "host:port"))
    var target: String

    @Option(help: "Server name to send (SNI) and to verify the certificate against (default: HOST).")
    var servername: String?

    @Option(help: ArgumentHelp("Trust these root certificates (PEM) instead of the system's.", valueName: "file"))
    var cafile: String?

    @Flag(help: "Do not verify the server's certificate (testing only: anyone can impersonate the server).")
    var insecure = false

    @OptionGroup var identity: IdentityOptions

    @OptionGroup var tls: TLSOptions

    @Flag(help: "List each handshake message as it is sent or received, with its size.")
    var trace = false

    @Flag(name: .customLong("showcerts"), help: "Print the server's certificate chain as PEM (to stderr, after the summary).")
    var showCerts = false

    @Flag(help: "Print the summary as JSON on stdout and close the connection (nothing is relayed).")
    var json = false

    @Flag(name: .customLong("close-on-eof"), help: "Send close_notify as soon as stdin ends.")
    var closeOnEOF = false

    @Option(help: "Seconds allowed for connecting and for the handshake.")
    var timeout = 10

    @Option(help: ArgumentHelp("Connect N more times first, resuming the session from a ticket each time, and say whether each connection was resumed.", valueName: "N"))
    var reconnect = 0

    func validate() throws {
        do {
            _ = try Self.parseTarget(target)
        } catch {
            throw ValidationError(error.description)
        }
        if insecure && cafile != nil { throw ValidationError("--cafile and --insecure exclude each other") }
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if reconnect < 0 || reconnect > 100 { throw ValidationError("--reconnect takes 0 to 100") }
    }

    func run() async throws {
        try await runReportingErrors {
            do {
                try await connect()
            } catch let error where json && !(error is ExitCode) {
                printJSON(ErrorJSON(error: ErrorText.describe(error)))
                throw error
            }
        }
    }

    private func connect() async throws {
        let (host, port) = try Self.parseTarget(target)
        let serverName = servername ?? host

        var configuration = TLSClientConfiguration()
        try tls.apply(to: &configuration.common, environmentKeyLog: true)
        configuration.certificate = try identity.load()
        let verdict = VerdictRecorder()
        configuration.peerVerification = try makeVerification(recorder: verdict)
        let sessions = ClientSessionCache()
        configuration.sessionCache = sessions
        // Reject a bad configuration before touching the network.
        _ = try TLSConnection(client: configuration, serverName: serverName)
        if insecure {
            printError("WARNING: --insecure: the server's certificate is NOT verified; anyone on the path can impersonate it.")
        }

        var dialer = TLSDialer(host: host, port: port, serverName: serverName, timeout: timeout)
        if trace { dialer.observer = Self.traceLine }
        let displayTarget = dialer.displayTarget
        var connections: [ConnectSummaryJSON.Connection] = []
        func report(_ number: Int, _ negotiated: NegotiatedParameters) {
            connections.append(.init(protocol: "\(negotiated.version)", cipherSuite: "\(negotiated.cipherSuite)",
                                     resumed: negotiated.resumed))
            guard !json else { return }
            printError("Connection \(number) to \(displayTarget): \(negotiated.version), \(negotiated.cipherSuite), "
                       + (negotiated.resumed ? "resumed" : "new session"))
        }
        for attempt in 0..<reconnect {
            // Earlier connections: handshake, wait briefly for the server's tickets, close cleanly.
            let opened = try await dialer.open(configuration: configuration)
            report(attempt + 1, opened.negotiated)
            for _ in 0..<100 where sessions.count(for: serverName) == 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            try? await opened.channel.close()
        }
        let opened = try await dialer.open(configuration: configuration)
        let negotiated = opened.negotiated
        if reconnect > 0 { report(reconnect + 1, negotiated) }
        let verification = negotiated.resumed
            ? "resumed session (the certificate was verified when it was established)"
            : verdict.text ?? "(no certificate check ran)"
        if json {
            printJSON(ConnectSummaryJSON(
                target: displayTarget, serverName: serverName, negotiated: negotiated,
                verified: !insecure && (negotiated.resumed || verdict.text?.hasPrefix("OK") == true),
                verification: verification, connections: reconnect > 0 ? connections : nil))
            try? await opened.channel.close()
            return
        }
        printError("Connected to \(displayTarget)")
        for line in Summary.lines(negotiated, verdict: verdict.text ?? "(no certificate check ran)") { printError(line) }
        if showCerts {
            printError("Peer certificate chain, PEM:")
            for der in negotiated.peerCertificates { writeAll(2, Array(pemCertificate(der).utf8)) }
        }
        printError("---")

        // At a terminal, Ctrl-D means "I am done", as it does for s_client: send close_notify then.
        startStdinRelay(channel: opened.channel, closeOnEOF: closeOnEOF || isatty(0) == 1)
        // Exit 0 only after the server's close_notify; an unclean close or an error throws (exit 1).
        try await opened.closed.get()
    }

    /// The configured verification, wrapped to record a verdict line for the summary.
    private func makeVerification(recorder: VerdictRecorder) throws -> PeerVerification {
        if insecure {
            recorder.text = "NOT VERIFIED (--insecure)"
            return .insecureNoVerification
        }
        let roots = try cafile.map { try TrustRoots(pemFile: $0) } ?? TrustRoots.system()
        let source = cafile.map { "roots in \($0)" } ?? "system trust roots"
        let verifier = X509CertificateVerifier(trustRoots: roots)
        return .custom(CustomCertificateVerifier { request in
            let result = await verifier.verify(request)
            if case .trusted(let chain) = result {
                let anchor = chain.last.map { "\($0.subject)" } ?? "?"
                let name = request.serverName.map { ", name \($0) matches" } ?? ""
                recorder.text = "OK (chain to trusted root \(anchor), from \(source)\(name))"
            }
            return result
        })
    }

    /// "→ ClientHello (517 bytes)" / "← ServerHello (90 bytes)", as each message goes out or comes in.
    @Sendable static func traceLine(_ event: TLSEvent) {
        guard case .handshakeMessage(let direction, let type, let length) = event else { return }
        printError("\(direction == .sent ? "→" : "←") \(type) (\(length) bytes)")
    }

    /// HOST[:PORT] or [IPv6][:PORT]; without a port, 443 (as s_client, gnutls-cli and curl's https:// do).
    static func parseTarget(_ text: String, defaultPort: Int = 443) throws(CLIError) -> (String, Int) {
        let host: Substring
        let portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw CLIError("expected [IPv6]:PORT, got '\(text)'") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                portText = nil
            } else {
                guard rest.hasPrefix(":") else { throw CLIError("expected [IPv6]:PORT, got '\(text)'") }
                portText = rest.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { throw CLIError("put an IPv6 address in brackets: [\(host)]:\(portText ?? "")") }
        } else {
            host = text[...]
            portText = nil
        }
        guard !host.isEmpty else { throw CLIError("missing host in '\(text)'") }
        guard let portText else { return (String(host), defaultPort) }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw CLIError("invalid port '\(portText)' in '\(text)' (use 1 to 65535)")
        }
        return (String(host), port)
    }
}

/// Opens TLS client connections to one server over NIO: TCP connect, handshake, and a future for the end of the
/// connection. Shared by `connect` and `scan`.
struct TLSDialer: Sendable {
    var host: String
    var port: Int
    var serverName: String?
    /// Seconds for the TCP connect and for the handshake.
    var timeout: Int
    /// Sees every engine event (handshake messages, tickets, early data verdicts) on the event loop.
    var observer: (@Sendable (TLSEvent) -> Void)?

    init(host: String, port: Int, serverName: String?, timeout: Int) {
        self.host = host
        self.port = port
        self.serverName = serverName
        self.timeout = timeout
    }

    /// "host:port" or "[v6]:port".
    var displayTarget: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    struct Opened {
        var channel: Channel
        var negotiated: NegotiatedParameters
        /// Succeeds on the server's close_notify; fails on an unclean close or an error.
        var closed: EventLoopFuture<Void>
    }

    /// How an attempt ended.
    enum Attempt {
        case connected(Opened)
        case connectFailed(any Error)
        /// The handshake failed; `firstBytes` are what the server had sent (to recognise a plain-text peer).
        case handshakeFailed(any Error, firstBytes: [UInt8])
    }

    /// Connects and completes the handshake. Errors are `CLIError`s ready to print: "cannot connect to …",
    /// "handshake failed: …" (naming a plain-text peer, and with a hint for certificate rules).
    func open(configuration: TLSClientConfiguration) async throws -> Opened {
        switch await attempt(configuration: configuration) {
        case .connected(let opened): return opened
        case .connectFailed(let error):
            throw CLIError("cannot connect to \(displayTarget): \(ErrorText.describe(error))")
        case .handshakeFailed(let error, let firstBytes):
            throw CLIError("handshake failed: \(Self.explain(error, firstBytes: firstBytes))")
        }
    }

    /// Connects and runs the handshake, saying how it ended.
    func attempt(configuration: TLSClientConfiguration) async -> Attempt {
        let group = MultiThreadedEventLoopGroup.singleton
        let handshake = group.next().makePromise(of: NegotiatedParameters.self)
        let closed = group.next().makePromise(of: Void.self)
        var opened = false
        defer {
            // Never leave a promise unfulfilled (NIO reports that as a leak). Once the channel exists, its
            // handlers complete both when it closes.
            if !opened {
                handshake.fail(ChannelError.alreadyClosed)
                closed.fail(ChannelError.alreadyClosed)
            }
        }
        let observer = self.observer
        let serverName = self.serverName
        let timeout = self.timeout
        let recorder = FirstBytesRecorder()
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(Int64(timeout)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tlsHandler = TLSKitClientHandler(
                        configuration: configuration, serverName: serverName, handshakeTimeout: .seconds(Int64(timeout)))
                    if let observer { tlsHandler.eventObserver = observer }
                    tlsHandler.handshakeFuture(on: channel.eventLoop).cascade(to: handshake)
                    try channel.pipeline.syncOperations.addHandler(recorder)
                    try channel.pipeline.syncOperations.addHandler(tlsHandler)
                    try channel.pipeline.syncOperations.addHandler(RelayToStdoutHandler(closed: closed))
                }
            }

        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            return .connectFailed(error)
        }
        let negotiated: NegotiatedParameters
        do {
            negotiated = try await handshake.futureResult.get()
        } catch {
            channel.close(promise: nil)
            return .handshakeFailed(error, firstBytes: recorder.firstBytes)
        }
        opened = true
        return .connected(Opened(channel: channel, negotiated: negotiated, closed: closed.futureResult))
    }

    /// A handshake error in words: a peer that answered in plain text is named as such; a certificate we refused
    /// gets the hint `tlskit verify` would give.
    static func explain(_ error: any Error, firstBytes: [UInt8]) -> String {
        if let plain = PlainTextPeer.describe(firstBytes) { return plain }
        let text = ErrorText.describe(error)
        if let tlsError = error as? TLSError, tlsError.origin == .local,
           let rule = Verify.split(tlsError).rule, let hint = CertificateHints.hint(rule, for: .connect) {
            return "\(text); hint: \(hint)"
        }
        return text
    }
}

/// Holds the verification verdict line, written by the verifier task and read after the handshake.
final class VerdictRecorder: Sendable {
    private let box = NIOLockedValueBox<String?>(nil)
    var text: String? {
        get { box.withLockedValue { $0 } }
        set { box.withLockedValue { $0 = newValue } }
    }
}

/// Reads stdin on its own thread (a blocking read) and writes each chunk to the channel, waiting for each write so
/// a slow peer slows the reader. At EOF it sends close_notify only when asked to.
func startStdinRelay(channel: Channel, closeOnEOF: Bool) {
    let thread = Thread {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            do {
                try channel.writeAndFlush(ByteBuffer(bytes: chunk[..<count])).wait()
            } catch {
                return   // the connection is gone; the close handling reports why
            }
        }
        if closeOnEOF { channel.close(mode: .output, promise: nil) }
    }
    thread.start()
}

/// Writes received plaintext to stdout and completes `closed` when the connection ends: success after the peer's
/// close_notify, failure (unclean shutdown or the error seen) otherwise.
final class RelayToStdoutHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let closed: EventLoopPromise<Void>
    private var sawCloseNotify = false
    private var firstError: Error?

    init(closed: EventLoopPromise<Void>) {
        self.closed = closed
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        writeAll(1, Array(buffer.readableBytesView))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { sawCloseNotify = true }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if firstError == nil { firstError = error }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let firstError {
            closed.fail(firstError)
        } else if sawCloseNotify {
            closed.succeed()
        } else {
            closed.fail(TLSKitNIOError.uncleanShutdown)
        }
        context.fireChannelInactive()
    }
}
