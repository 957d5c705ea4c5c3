import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import SwiftASN1
import TLSKit
import TLSKitNIO

#if canImport(Glibc)
import Glibc
#endif

/// `tlskit serve`: a TLS server that answers HTTP/1.1 with what was negotiated, or echoes bytes.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a TLS server (HTTP page reporting the negotiated parameters, or echo).",
        discussion: """
            Without --cert/--key it generates an ephemeral ECDSA P-256 identity for localhost, 127.0.0.1 and ::1, \
            issued by a throw-away root. The root certificate is written to a file (printed at start, see \
            --root-cert-out) for clients to trust: curl --cacert FILE, openssl s_client -CAfile FILE. With \
            --identity-dir DIR the root is kept instead: DIR/rootCA.pem and rootCA-key.pem are created on first use \
            and reused on every later start (with a localhost certificate kept beside them, reissued when it nears \
            expiry), so a browser or system store can trust the root once; `tlskit cert create` issues more \
            certificates from it.

            With --host localhost it listens on both 127.0.0.1 and ::1 (same port). Each connection gets a log line \
            on stderr: time (UTC), peer, version, suite, group, resumed=yes/no, ALPN, SNI, client certificate.

            --mode http answers HTTP/1.1 only, so --alpn may offer only http/1.1 (and http/1.0) there; use --mode \
            echo to negotiate other protocols such as h2.

            Exit status: 0 after SIGINT or SIGTERM, 1 when it cannot start (unreadable files, port in use), 2 for a \
            usage error.
            """
    )

    enum Mode: String, ExpressibleByArgument, CaseIterable, Sendable {
        case http
        case echo
    }

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on, 0 to 65535 (0 picks a free one).")
    var port = 8443

    @OptionGroup var identity: IdentityOptions

    @Option(name: .customLong("identity-dir"), help: ArgumentHelp(
        "Keep a local root and a localhost certificate in this directory (created on first use, reused later).",
        valueName: "dir"))
    var identityDir: String?

    @Option(name: .customLong("client-ca"), help: ArgumentHelp(
        "Require client certificates issued by these roots (PEM bundle).", valueName: "file"))
    var clientCA: String?

    @Option(help: "http: answer each request with a page reporting the negotiated parameters; echo: echo bytes.")
    var mode: Mode = .http

    @Option(name: .customLong("root-cert-out"), help: ArgumentHelp(
        "Where to write the ephemeral root certificate (default: tlskit-root-PORT.pem in the temporary directory).",
        valueName: "file"))
    var rootCertOut: String?

    @Option(name: .customLong("ocsp-response"), help: ArgumentHelp(
        "A DER OCSP response for the certificate, stapled for clients that ask (status_request).", valueName: "file"))
    var ocspResponse: String?

    @OptionGroup var tls: TLSOptions

    /// ALPN names `--mode http` can honour: it answers HTTP/1.x and nothing else.
    static let httpModeProtocols: Set<String> = ["http/1.1", "http/1.0"]

    func validate() throws {
        if identityDir != nil && (identity.cert != nil || identity.key != nil) {
            throw ValidationError("--identity-dir and --cert/--key exclude each other")
        }
        if identityDir != nil && rootCertOut != nil {
            throw ValidationError("--root-cert-out is for the ephemeral root; with --identity-dir the root is DIR/\(LocalCA.rootFile)")
        }
        guard (0...65535).contains(port) else {
            throw ValidationError("--port: \(port) is not a TCP port (use 0 to 65535; 0 picks a free one)")
        }
        if mode == .http {
            let others = TLSOptions.split(tls.alpn).filter { !Self.httpModeProtocols.contains($0.lowercased()) }
            if !others.isEmpty {
                throw ValidationError("--alpn \(others.joined(separator: ",")): --mode http answers HTTP/1.1 only, so it "
                    + "may agree to http/1.1 (or http/1.0) alone; use --mode echo to negotiate \(others.joined(separator: ", "))")
            }
        }
    }

    func run() async throws {
        try await runReportingErrors { try await serve() }
    }

    private func serve() async throws {
        // Identity: the given files, or a fresh ephemeral one.
        let ephemeral: (identity: CertifiedKey, rootCertificatePEM: String)?
        var certifiedKey: CertifiedKey
        var localCA: (ca: LocalCA, reusedLeaf: Bool)?
        if let loaded = try identity.load() {
            certifiedKey = loaded
            ephemeral = nil
        } else if let identityDir {
            let ca = try LocalCA.loadOrCreate(directory: identityDir)
            let (kept, reused) = try ca.localhostIdentity()
            certifiedKey = kept
            localCA = (ca, reused)
            ephemeral = nil
        } else {
            let generated = try CertifiedKey.ephemeral(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"])
            certifiedKey = generated.identity
            ephemeral = generated
        }

        if let ocspResponse {
            certifiedKey.ocspResponse = Array(try Data(contentsOf: URL(fileURLWithPath: ocspResponse)))
        }
        var configuration = TLSServerConfiguration(certificate: certifiedKey)
        try tls.apply(to: &configuration.common)
        if let clientCA {
            configuration.clientAuthentication = .required(.trustRoots(try TrustRoots(pemFile: clientCA)))
        }
        // Reject a bad configuration now, with one line, rather than on every connection.
        _ = try TLSConnection(server: configuration)

        let channels = try await bindAll(configuration: configuration)
        let boundPort = channels.first?.localAddress?.port ?? port
        let displayHost = host.contains(":") ? "[\(host)]" : host
        let addresses = channels.compactMap { $0.localAddress?.ipAddress }.map { $0.contains(":") ? "[\($0)]" : $0 }
        let addressNote = host.lowercased() == "localhost" ? " on \(addresses.joined(separator: " and "))" : ""

        printOut("listening on https://\(displayHost):\(boundPort)\(addressNote) (mode: \(mode.rawValue))")
        printOut("server certificate: \(certifiedKey.chain.leaf.map { "\($0.subject)" } ?? "-")")
        if let leafDER = certifiedKey.chain.derEncoded.first {
            printOut("server certificate SHA-256: \(fingerprint(leafDER))")
        }
        if let (ca, reusedLeaf) = localCA {
            var serializer = DER.Serializer()
            let rootDER = (try? serializer.serialize(ca.root)).map { serializer.serializedBytes } ?? []
            printOut("root certificate (trust this once): \(ca.rootPath) "
                     + (ca.created ? "(created now)" : "(kept from an earlier run)"))
            printOut("root certificate SHA-256: \(fingerprint(rootDER))")
            printOut("server certificate " + (reusedLeaf ? "kept" : "issued") + ": "
                     + ca.directory.appendingPathComponent(LocalCA.localhostFile).path)
            printOut("try: curl --cacert \(ca.rootPath) https://localhost:\(boundPort)/")
        }
        var rootFile: String?
        if let ephemeral {
            let path = rootCertOut
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("tlskit-root-\(boundPort).pem").path
            do {
                try ephemeral.rootCertificatePEM.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                channels.forEach { $0.close(promise: nil) }
                throw CLIError("cannot write root certificate to \(path)")
            }
            rootFile = path
            let rootDER = (try? CertificateChain(pem: ephemeral.rootCertificatePEM).derEncoded.first) ?? []
            printOut("root certificate (trust this): \(path)")
            printOut("root certificate SHA-256: \(fingerprint(rootDER))")
            printOut("try: curl --cacert \(path) https://localhost:\(boundPort)/")
        }
        // SIGINT/SIGTERM close the listener; the process then exits 0. Installed before "ready", so a
        // supervisor that signals right after it still gets a clean stop.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let signalSources = [SIGINT, SIGTERM].map { signalNumber in
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { channels.forEach { $0.close(promise: nil) } }
            source.resume()
            return source
        }
        printOut("ready")

        for channel in channels { try? await channel.closeFuture.get() }
        signalSources.forEach { $0.cancel() }
        if let rootFile { try? FileManager.default.removeItem(atPath: rootFile) }
        printOut("stopped")
    }

    /// The listening channels: one, or for `localhost` one on 127.0.0.1 and one on ::1 with the same port (a browser
    /// may try either). A machine without IPv6 loopback gets 127.0.0.1 alone, with a note.
    private func bindAll(configuration: TLSServerConfiguration) async throws -> [Channel] {
        guard host.lowercased() == "localhost" else {
            do {
                return [try await bind(host: host, port: port, configuration: configuration)]
            } catch {
                throw CLIError("cannot listen on \(host):\(port): \(ErrorText.describe(error))")
            }
        }
        // With --port 0 the port picked on 127.0.0.1 may be taken on ::1: try a few fresh ports (bounded).
        let attempts = port == 0 ? 5 : 1
        for attempt in 1...attempts {
            let first: Channel
            do {
                first = try await bind(host: "127.0.0.1", port: port, configuration: configuration)
            } catch {
                throw CLIError("cannot listen on 127.0.0.1:\(port): \(ErrorText.describe(error))")
            }
            let boundPort = first.localAddress?.port ?? port
            do {
                let second = try await bind(host: "::1", port: boundPort, configuration: configuration)
                return [first, second]
            } catch let error as IOError where [EADDRNOTAVAIL, EAFNOSUPPORT].contains(error.errnoCode) {
                printError("note: ::1 is not available here (\(ErrorText.describe(error))); listening on 127.0.0.1 only")
                return [first]
            } catch {
                try? await first.close()
                if attempt == attempts {
                    throw CLIError("cannot listen on [::1]:\(boundPort): \(ErrorText.describe(error))")
                }
            }
        }
        throw CLIError("cannot listen on localhost:\(port)")
    }

    private func bind(host: String, port: Int, configuration: TLSServerConfiguration) async throws -> Channel {
        let mode = self.mode
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tlsHandler = TLSKitServerHandler(configuration: configuration)
                    let peer = channel.remoteAddress.map(describe) ?? "?"
                    tlsHandler.handshakeFuture(on: channel.eventLoop).whenComplete { result in
                        switch result {
                        case .success(let negotiated): logLine(peer, connectionLine(negotiated))
                        case .failure(let error): logLine(peer, "handshake failed: \(ErrorText.describe(error))")
                        }
                    }
                    try channel.pipeline.syncOperations.addHandler(tlsHandler)
                    try channel.pipeline.syncOperations.addHandler(
                        ServerApplicationHandler(mode: mode, tls: tlsHandler, peer: peer))
                }
            }
        return try await bootstrap.bind(host: host, port: port).get()
    }
}

/// One server log line on stderr: "2025-06-01T12:00:00.123Z 127.0.0.1:51234: …".
func logLine(_ peer: String, _ text: String) {
    printError("\(logTimestamp()) \(peer): \(text)")
}

/// The current time in UTC, ISO 8601 with milliseconds (thread-safe: no shared formatter).
func logTimestamp(_ date: Date = Date()) -> String {
    var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
    let milliseconds = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                  Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), min(999, milliseconds))
}

/// "127.0.0.1:51234" / "[::1]:51234".
func describe(_ address: SocketAddress) -> String {
    let ip = address.ipAddress ?? "?"
    let port = address.port.map(String.init) ?? "?"
    return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
}

/// One log line per connection: version, suite, group, whether it was resumed, ALPN, SNI, the client certificate
/// subject, and for TLS 1.2 whether the extended master secret was used.
func connectionLine(_ negotiated: NegotiatedParameters) -> String {
    var fields = [
        "\(negotiated.version)",
        "\(negotiated.cipherSuite)",
        negotiated.group.map { "\($0)" } ?? "no-group",
        negotiated.resumed ? "resumed=yes" : "resumed=no",
        "alpn=\(negotiated.applicationProtocol ?? "-")",
        "sni=\(negotiated.serverName ?? "-")",
        "client-cert=\(leafSubject(negotiated.peerCertificates) ?? "-")",
    ]
    if negotiated.version <= .tls12 { fields.append(negotiated.extendedMasterSecret ? "ems=yes" : "ems=no") }
    if negotiated.isLegacyVersion || negotiated.cipherSuite.description.contains("_CBC_") {
        fields.append(negotiated.encryptThenMAC ? "etm=yes" : "etm=no")
        if negotiated.version == .tls10 { fields.append(negotiated.recordSplitting ? "split=yes" : "split=no") }
        if negotiated.isLegacyVersion { fields.append("LEGACY") }
    }
    return fields.joined(separator: " ")
}

/// Above TLS: echoes bytes, or answers HTTP/1.x requests with a page about the connection.
final class ServerApplicationHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let mode: Serve.Mode
    private let tls: TLSKitServerHandler
    private let peer: String
    private var pending: [UInt8] = []
    private var closing = false
    /// HTTP responses sent on this connection.
    private var responses = 0
    /// Whether the connection ended with an error that was logged.
    private var loggedError = false

    /// A request head larger than this is refused (431) and the connection closed.
    private static let maxHeadSize = 64 * 1024

    init(mode: Serve.Mode, tls: TLSKitServerHandler, peer: String) {
        self.mode = mode
        self.tls = tls
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch mode {
        case .echo:
            context.write(wrapOutboundOut(buffer), promise: nil)
        case .http:
            guard !closing else { return }
            pending.append(contentsOf: buffer.readableBytesView)
            serveRequests(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        context.fireChannelReadComplete()
    }

    /// Backpressure: a peer that sends without reading what we send back would otherwise have us read on and queue
    /// our echo (or responses) without bound — scripts/loadtest.py measured 64 MiB taken in from one such reader. While
    /// the channel is not writable we stop reading, so what waits per connection stays near NIO's write-buffer high
    /// water mark (64 KiB) plus one read, and the peer's bytes wait in its own socket (TCP flow control).
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        try? context.channel.syncOptions?.setOption(.autoRead, value: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Handshake failures are logged by the handshake future; later ones (e.g. unclean shutdown) here. A client
        // that drops the connection without close_notify after a complete response lost nothing (browsers and curl
        // do that all the time): the "closed" line says so, no warning.
        let harmless = mode == .http && (error as? TLSKitNIOError) == .uncleanShutdown && pending.isEmpty && responses > 0
        if tls.negotiated != nil && !harmless && !loggedError {
            loggedError = true
            logLine(peer, ErrorText.describe(error))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if tls.negotiated != nil && !loggedError {
            logLine(peer, mode == .http ? "closed after \(responses) response\(responses == 1 ? "" : "s")" : "closed")
        }
        context.fireChannelInactive()
    }

    // MARK: HTTP/1.x, minimally

    private func serveRequests(context: ChannelHandlerContext) {
        while !closing, let (headLength, separatorLength) = Self.findHeadEnd(pending) {
            let head = String(decoding: pending[..<headLength], as: UTF8.self)
            guard let request = HTTPRequestHead(head) else {
                respond(context: context, status: "400 Bad Request", body: "bad request\n", close: true)
                return
            }
            let total = headLength + separatorLength + request.contentLength
            guard pending.count >= total else { return }   // wait for the rest of the body
            pending.removeFirst(total)
            respond(
                context: context, status: "200 OK", body: page(for: request), sendBody: request.method != "HEAD",
                close: !request.keepAlive)
        }
        if !closing && pending.count > Self.maxHeadSize {
            respond(context: context, status: "431 Request Header Fields Too Large", body: "request head too large\n", close: true)
        }
    }

    private func page(for request: HTTPRequestHead) -> String {
        let negotiated = tls.negotiated
        let lines = [
            "Hello from tlskit serve.",
            "",
            "Protocol:          \(negotiated.map { "\($0.version)" } ?? "?")",
            "Cipher suite:      \(negotiated.map { "\($0.cipherSuite)" } ?? "?")",
            "Key exchange:      \(negotiated?.group.map { "\($0)" } ?? "(none)")",
            "Signature scheme:  \(negotiated?.serverSignatureScheme.map { "\($0)" } ?? "(none)")",
            "ALPN:              \(negotiated?.applicationProtocol ?? "(none)")",
            "SNI:               \(negotiated?.serverName ?? "(none)")",
            "Client cert:       \(negotiated.flatMap { leafSubject($0.peerCertificates) } ?? "(none)")",
            "Client address:    \(peer)",
            "Request:           \(request.method) \(request.target) \(request.version)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    private func respond(
        context: ChannelHandlerContext, status: String, body: String, sendBody: Bool = true, close: Bool
    ) {
        let bodyBytes = Array(body.utf8)
        var head = "HTTP/1.1 \(status)\r\n"
        head += "Server: tlskit\r\n"
        head += "Content-Type: text/plain; charset=utf-8\r\n"
        head += "Content-Length: \(bodyBytes.count)\r\n"
        if close { head += "Connection: close\r\n" }
        head += "\r\n"
        var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + bodyBytes.count)
        buffer.writeString(head)
        if sendBody { buffer.writeBytes(bodyBytes) }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        responses += 1
        if close {
            // As web servers do: the response, then close_notify (sent by the TLS handler), then close.
            closing = true
            context.close(mode: .all, promise: nil)
        }
    }

    /// The length of the request head and of its terminating blank line (CRLF CRLF, or bare LF LF).
    static func findHeadEnd(_ bytes: [UInt8]) -> (Int, Int)? {
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { return (index, 2) }
                if index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "\r"), bytes[index + 2] == UInt8(ascii: "\n") {
                    return (index, 3)
                }
            }
            index += 1
        }
        return nil
    }
}

/// The parts of an HTTP/1.x request head that the test page needs.
struct HTTPRequestHead {
    var method: String
    var target: String
    var version: String
    var keepAlive: Bool
    var contentLength: Int

    /// Parses "METHOD TARGET HTTP/1.x" and the headers (the text before the blank line, which is not included).
    init?(_ head: String) {
        // Swift treats CR LF as one Character, so split on either form of line end.
        let lines = head.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        guard let requestLine = lines.first else { return nil }
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3, parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0" else { return nil }
        method = String(parts[0])
        target = String(parts[1])
        version = String(parts[2])
        var connectionTokens: [String] = []
        var length = 0
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "connection": connectionTokens += value.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case "content-length":
                guard let parsed = Int(value), parsed >= 0, parsed <= 1 << 20 else { return nil }
                length = parsed
            default: continue
            }
        }
        contentLength = length
        // HTTP/1.0 (or Connection: close): respond, then close, as web servers do.
        keepAlive = version == "HTTP/1.1" && !connectionTokens.contains("close")
    }
}
