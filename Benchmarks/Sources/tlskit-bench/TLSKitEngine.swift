import CBenchSupport
import TLSKit

/// TLSKit's sans-I/O engine: two `TLSConnection`s in one process handing each other bytes.
struct TLSKitEngineContender {
    let client: TLSClientConfiguration
    let server: TLSServerConfiguration
    let resumption: Resumption

    init(_ setup: Setup, _ certificates: BenchCertificates, resumption: Resumption = .none) throws {
        let leaf = certificates.leaf(setup.key)
        let identity = try CertifiedKey(
            chain: try CertificateChain(pem: leaf.certificate), privateKey: try PrivateKeyLoader.load(pem: leaf.key))
        var server = TLSServerConfiguration(certificate: identity)
        var client = TLSClientConfiguration()
        // Full-handshake rows: tickets issued (`Resumption.ticketsPerHandshake`, as every contender), no server
        // session cache; each connection's client gets a cache of its own (`clientConfiguration()`), so it offers
        // TLS 1.2 tickets and keeps what it receives, as the other clients do, but never resumes. Resumed rows: one
        // ticket per handshake (as the OpenSSL contender's server), or the session-ID cache alone.
        server.ticketsPerHandshake = resumption.ticketsPerHandshake
        switch resumption {
        case .none:
            server.sessionIDCache = nil
        case .tls13Ticket, .tls12Ticket:
            server.sessionIDCache = nil
            client.sessionCache = ClientSessionCache()
        case .tls12SessionID:
            server.sessionTicketKeys = nil
            client.sessionCache = ClientSessionCache()
        }
        self.resumption = resumption
        client.peerVerification = .trustRoots(TrustRoots(certificates: try CertificateChain(pem: certificates.rootPEM).certificates))
        let version: ProtocolVersion = setup.version == 12 ? .tls12 : .tls13
        let group: NamedGroup = setup.group == .x25519 ? .x25519 : .X25519MLKEM768
        let suite: CipherSuite
        if setup.version == 12 {
            suite = setup.key == .ecdsa ? .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 : .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        } else {
            switch setup.cipher {
            case .aes128gcm: suite = .TLS_AES_128_GCM_SHA256
            case .aes256gcm: suite = .TLS_AES_256_GCM_SHA384
            case .chacha20poly1305: suite = .TLS_CHACHA20_POLY1305_SHA256
            }
        }
        client.common.minimumVersion = version; client.common.maximumVersion = version
        server.common.minimumVersion = version; server.common.maximumVersion = version
        // TLS 1.2 needs the ECDSA certificate's curve among the client's groups (RFC 8422 §5.1); X25519 stays first.
        let groups: [NamedGroup] = setup.version == 12 ? [group, .secp256r1] : [group]
        client.common.supportedGroups = groups; server.common.supportedGroups = groups
        client.common.cipherSuites = [suite]; server.common.cipherSuites = [suite]
        client.keyShareGroups = [group]
        client.grease = false  // neither OpenSSL nor swift-nio-ssl's defaults send GREASE
        if setup.libcryptoAEAD {
            client.common.cryptoProvider = LibcryptoAEADProvider()
            server.common.cryptoProvider = LibcryptoAEADProvider()
        }
        self.client = client
        self.server = server
    }

    /// The client's configuration for one connection: full rows give each connection a session cache of its own.
    func clientConfiguration() -> TLSClientConfiguration {
        guard resumption == .none else { return client }
        var configuration = client
        configuration.sessionCache = ClientSessionCache(capacity: 1, ticketsPerServer: 2)
        return configuration
    }

    /// One full handshake; CPU time and allocations charged to the side doing the work.
    /// With resumption on, each handshake resumes the session the previous one left in the client's cache (TLS 1.3
    /// tickets are single-use, and every resumed handshake brings a fresh one); `priming` allows the first to be full.
    func handshake(priming: Bool = false) async throws -> (client: TLSConnection, server: TLSConnection, split: Split) {
        let configuration = clientConfiguration()
        var split = Split()
        var mark = Mark.now()
        let client = try TLSConnection(client: configuration, serverName: "localhost")
        var toServer = client.takeOutput()
        split.charge(0, since: mark)
        mark = Mark.now()
        let server = try TLSConnection(server: self.server)
        split.charge(1, since: mark)
        for _ in 0..<16 {
            mark = Mark.now()
            if !toServer.isEmpty {
                try server.receive(toServer)
                while server.pendingVerification != nil { try await server.performPendingVerification() }
            }
            let toClient = server.takeOutput()
            split.charge(1, since: mark)
            mark = Mark.now()
            if !toClient.isEmpty {
                try client.receive(toClient)
                while client.pendingVerification != nil { try await client.performPendingVerification() }
            }
            toServer = client.takeOutput()
            split.charge(0, since: mark)
            if toServer.isEmpty && toClient.isEmpty && client.isHandshakeComplete && server.isHandshakeComplete {
                if resumption != .none && client.negotiated?.resumed != true && !priming {
                    throw BenchError("TLSKit did not resume")
                }
                return (client, server, split)
            }
        }
        throw BenchError("TLSKit handshake did not complete")
    }

    func handshakes(_ count: Int) async throws -> HandshakeStats {
        if resumption != .none { _ = try await handshake(priming: true) }
        for _ in 0..<max(2, count / 10) { _ = try await handshake() }  // warm-up
        var samples: [Split] = []
        samples.reserveCapacity(count)
        for _ in 0..<count { samples.append(try await handshake().split) }
        return HandshakeStats(samples: samples)
    }

    /// Client writes 16 KiB application writes, server reads them.
    func bulk(bytes: Int) async throws -> BulkStats {
        let (client, server, _) = try await handshake()
        let chunk = [UInt8](repeating: 0x61, count: chunkSize)
        for _ in 0..<32 {  // warm-up
            try client.send(chunk)
            try server.receive(client.takeOutput())
            _ = server.takeApplicationData()
        }
        let records = max(1, bytes / chunkSize)
        var total = Split()
        var received = 0
        var wire: [UInt8] = []
        for _ in 0..<records {
            var mark = Mark.now()
            try client.send(chunk)
            client.takeOutput(into: &wire)
            total.charge(0, since: mark)
            mark = Mark.now()
            try server.receive(wire)
            let plaintext = server.takeApplicationData()
            total.charge(1, since: mark)
            received += plaintext.count
        }
        guard received == records * chunkSize else { throw BenchError("TLSKit bulk lost data: \(received)") }
        return BulkStats(total: total, bytes: records * chunkSize, records: records)
    }

    /// Heap bytes per established idle connection, client and server side.
    func memory(connections: Int) async throws -> MemoryStats {
        var clients: [TLSConnection] = []
        var servers: [TLSConnection] = []
        clients.reserveCapacity(connections)
        servers.reserveCapacity(connections)
        _ = try await handshake()
        let rssBefore = residentAfterTrim()
        for _ in 0..<connections {
            let (c, s, _) = try await handshake()
            clients.append(c)
            servers.append(s)
        }
        let both = heapInUse()
        let rssBoth = residentAfterTrim()
        clients.removeAll(keepingCapacity: true)
        let serversOnly = heapInUse()
        servers.removeAll(keepingCapacity: true)
        return MemoryStats(pairResidentBytes: Double(rssBoth - rssBefore) / Double(connections),
                           clientBytes: Double(both - serversOnly) / Double(connections),
                           serverBytes: Double(serversOnly - heapInUse()) / Double(connections))
    }
}
