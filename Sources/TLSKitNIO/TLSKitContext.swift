import Foundation
import NIOCore
import TLSKit
import X509

/// A TLS configuration checked once and shared by every connection made from it, as `NIOSSLContext` is for
/// swift-nio-ssl: build one when the program starts, then make a handler per channel from it.
///
/// ```swift
/// let context = try TLSKitContext(server: configuration)   // throws now if the configuration cannot work
/// ServerBootstrap(group: group).childChannelInitializer { channel in
///     channel.pipeline.addHandler(TLSKitServerHandler(context: context))
/// }
/// ```
///
/// Construction does, once, what would otherwise happen (or fail) per connection:
/// - it checks the configuration the way a connection would (versions, suites, groups, ALPN names, sizes, ticket
///   keys, verification limits, a server's certificate, a client's server-identity rule), so a configuration that
///   cannot work throws here, not on the first connection;
/// - it refuses a certificate (ours, the server's or a client's) whose leaf is expired or not yet valid at
///   `common.now()`: every handshake with it would fail at the peer;
/// - it loads the trust roots (`.systemTrustRoots` parses the system bundle now, and throws if there is none) and
///   builds the certificate verifier once; connections share it;
/// - it keeps the shared state the configuration refers to: the server's `TicketKeyRing`, `EarlyDataReplayGuard`
///   and `ServerSessionCache`, the client's `ClientSessionCache`, all of them reference types shared by every
///   connection made from this context.
///
/// A context is immutable and `Sendable`: share it between event loops.
public final class TLSKitContext: Sendable {
    /// Which side of a connection a context makes.
    public enum Role: Sendable, Equatable {
        /// Client connections (`TLSKitClientHandler`).
        case client
        /// Server connections (`TLSKitServerHandler`).
        case server
    }

    /// The side with its configuration: one value, so a context cannot hold both or neither.
    private enum Endpoint {
        case client(TLSClientConfiguration)
        case server(TLSServerConfiguration)
    }

    private let endpoint: Endpoint

    /// Which side this context makes connections for.
    public var role: Role {
        switch endpoint {
        case .client: return .client
        case .server: return .server
        }
    }
    /// The configuration client connections are made with (verification already resolved to the shared verifier);
    /// nil for a server context.
    public var clientConfiguration: TLSClientConfiguration? {
        if case .client(let configuration) = endpoint { return configuration }
        return nil
    }
    /// The configuration server connections are made with (verification already resolved to the shared verifier);
    /// nil for a client context.
    public var serverConfiguration: TLSServerConfiguration? {
        if case .server(let configuration) = endpoint { return configuration }
        return nil
    }
    /// How long a handshake may take before the handler fails it with `TLSKitNIOError.handshakeTimeout`
    /// (nil: no limit).
    public let handshakeTimeout: TimeAmount?

    /// A context for client connections. Throws `TLSConfigurationError` (or the `CertificateLoadingError` of the
    /// system trust roots) when `configuration` cannot make a working connection, or when `handshakeTimeout` is not
    /// positive.
    public init(client configuration: TLSClientConfiguration, handshakeTimeout: TimeAmount? = .seconds(10)) throws {
        try Self.check(handshakeTimeout)
        var resolved = configuration
        resolved.peerVerification = try Self.resolve(configuration.peerVerification)
        if let certificate = configuration.certificate {
            try Self.checkValidity(certificate, at: configuration.common.now(), what: "the client certificate")
        }
        // The engine's own checks, run once on a probe connection that never reaches the network. It uses no
        // session (no cache) and no key log; a probe name stands in when the configuration allows no name at all.
        var probe = resolved
        probe.sessionCache = nil
        probe.enableEarlyData = false
        probe.common.keyLog = nil
        _ = try TLSConnection(client: probe, serverName: Self.probeServerName)
        endpoint = .client(resolved)
        self.handshakeTimeout = handshakeTimeout
    }

    /// A context for server connections. Throws `TLSConfigurationError` when `configuration` cannot make a
    /// working connection (no certificate, an expired one, values out of range, unusable ticket keys, …), or when
    /// `handshakeTimeout` is not positive.
    public init(server configuration: TLSServerConfiguration, handshakeTimeout: TimeAmount? = .seconds(10)) throws {
        try Self.check(handshakeTimeout)
        var resolved = configuration
        switch configuration.clientAuthentication {
        case .none: break
        case .optional(let verification): resolved.clientAuthentication = .optional(try Self.resolve(verification))
        case .required(let verification): resolved.clientAuthentication = .required(try Self.resolve(verification))
        }
        if let certificate = configuration.certificate {
            try Self.checkValidity(certificate, at: configuration.common.now(), what: "the server certificate")
        }
        _ = try TLSConnection(server: resolved)
        endpoint = .server(resolved)
        self.handshakeTimeout = handshakeTimeout
    }

    /// A new engine connection for this context: `TLSConnection(client:serverName:)` or `TLSConnection(server:)`.
    /// For drivers other than the NIO handlers. `serverName` is for client contexts (a server context ignores it).
    public func makeConnection(serverName: String? = nil) throws -> TLSConnection {
        switch endpoint {
        case .client(let configuration): return try TLSConnection(client: configuration, serverName: serverName)
        case .server(let configuration): return try TLSConnection(server: configuration)
        }
    }

    /// Stands in for the server name in the probe connection; `.invalid` is reserved (RFC 2606) and never resolves.
    static let probeServerName = "tlskit-context-probe.invalid"

    private static func check(_ handshakeTimeout: TimeAmount?) throws {
        if let handshakeTimeout, handshakeTimeout <= .zero {
            throw TLSConfigurationError("handshakeTimeout must be positive (nil: no timeout; got \(handshakeTimeout))")
        }
    }

    /// The verifier, built once: X.509 verification to explicit or system roots becomes one shared
    /// `X509CertificateVerifier` (the same verifier, and so the same session policy, a connection would build).
    private static func resolve(_ verification: PeerVerification) throws -> PeerVerification {
        switch verification {
        case .trustRoots(let roots): return .custom(X509CertificateVerifier(trustRoots: roots))
        case .systemTrustRoots: return .custom(X509CertificateVerifier(trustRoots: try TrustRoots.system()))
        case .custom, .insecureNoVerification: return verification
        }
    }

    private static func checkValidity(_ certificate: CertifiedKey, at now: Date, what: String) throws {
        guard let leaf = certificate.chain.leaf else { throw TLSConfigurationError("\(what) has no certificate") }
        if now < leaf.notValidBefore {
            throw TLSConfigurationError("\(what) is not valid before \(leaf.notValidBefore) (now: \(now))")
        }
        if now > leaf.notValidAfter {
            throw TLSConfigurationError("\(what) expired at \(leaf.notValidAfter) (now: \(now))")
        }
    }
}

extension TLSKitClientHandler {
    /// A client handler for one connection to `serverName`, made from a shared context (see `TLSKitContext`).
    /// `serverName` is sent as SNI (unless it is an IP literal) and checked against the server's certificate.
    /// A server context fails the handler with `TLSKitNIOError.configuration` when the channel becomes active.
    ///
    /// `earlyData` is sent with the ClientHello as TLS 1.3 0-RTT data when it can be: the configuration sets
    /// `enableEarlyData`, its `sessionCache` holds a ticket for `serverName` that allows early data, and the data
    /// fits that ticket's limit. Otherwise it is sent as ordinary data right after the handshake. Early data can be
    /// replayed by an attacker: send only requests that are safe to repeat. If the server rejects it, it is resent
    /// after the handshake, or handed back as `TLSKitEarlyDataEvent.rejected` when the ALPN protocol changed;
    /// `channel.tlsKit_earlyDataAccepted()` tells which.
    public convenience init(context: TLSKitContext, serverName: String?, earlyData: ByteBuffer? = nil) {
        self.init(handshakeTimeout: context.handshakeTimeout) {
            guard context.role == .client else {
                throw TLSConfigurationError("TLSKitClientHandler needs a client context (TLSKitContext(client:))")
            }
            let connection = try context.makeConnection(serverName: serverName)
            if let earlyData, earlyData.readableBytes > 0 {
                let bytes = Array(earlyData.readableBytesView)
                if connection.earlyDataCapacity >= bytes.count {
                    try connection.sendEarlyData(bytes)
                } else {
                    try connection.send(bytes)
                }
            }
            return connection
        }
    }
}

extension TLSKitServerHandler {
    /// A server handler for one connection, made from a shared context (see `TLSKitContext`). A client context
    /// fails the handler with `TLSKitNIOError.configuration` when the channel becomes active.
    public convenience init(context: TLSKitContext) {
        self.init(handshakeTimeout: context.handshakeTimeout) {
            guard context.role == .server else {
                throw TLSConfigurationError("TLSKitServerHandler needs a server context (TLSKitContext(server:))")
            }
            return try context.makeConnection()
        }
    }
}
