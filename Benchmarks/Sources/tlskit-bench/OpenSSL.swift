import CBenchSupport

/// The system OpenSSL 3 (libssl) with memory BIOs; the bench moves bytes between the two SSL objects.
final class OpenSSLContender {
    let clientContext: OpaquePointer
    let serverContext: OpaquePointer
    let resumption: Resumption

    init(_ setup: Setup, _ certificates: BenchCertificates, resumption: Resumption = .none) throws {
        let leaf = certificates.leaf(setup.key)
        let tickets = Int32(resumption.ticketsPerHandshake)
        let serverCache: Int32 = resumption == .tls12SessionID ? 1 : 0
        guard let server = bench_ossl_ctx_new(1, Int32(setup.version), leaf.certificate, leaf.key, nil,
                                              setup.opensslCiphers, setup.opensslGroups, tickets, serverCache),
              let client = bench_ossl_ctx_new(0, Int32(setup.version), nil, nil, certificates.rootPEM,
                                              setup.opensslCiphers, setup.opensslGroups, tickets, 1)
        else { throw BenchError("OpenSSL context for \(setup) failed") }
        serverContext = server
        clientContext = client
        self.resumption = resumption
    }

    deinit {
        bench_ossl_ctx_free(clientContext)
        bench_ossl_ctx_free(serverContext)
    }

    final class Connection {
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { bench_ossl_conn_free(pointer) }
    }

    /// One handshake (resuming `session`'s saved session if given).
    func handshake(resuming session: Connection? = nil) throws -> (client: Connection, server: Connection, split: Split) {
        var split = Split()
        var mark = Mark.now()
        guard let c = bench_ossl_conn_new(clientContext, "localhost", nil) else { throw BenchError("SSL_new") }
        let client = Connection(c)
        if let session { bench_ossl_offer_session(c, session.pointer) }
        var clientState = bench_ossl_handshake(c)
        split.charge(0, since: mark)
        mark = Mark.now()
        guard let s = bench_ossl_conn_new(serverContext, nil, c) else { throw BenchError("SSL_new") }
        let server = Connection(s)
        split.charge(1, since: mark)
        var serverState: Int32 = 0
        var scratch = [UInt8](repeating: 0, count: 256)
        for _ in 0..<16 {
            mark = Mark.now()
            let toServer = bench_ossl_transfer(c, s)
            if serverState != 1 || toServer > 0 { serverState = bench_ossl_handshake(s) }
            split.charge(1, since: mark)
            mark = Mark.now()
            let toClient = bench_ossl_transfer(s, c)
            if clientState != 1 {
                clientState = bench_ossl_handshake(c)
            } else if toClient > 0 {
                // After the handshake the client reads what follows it (the tickets), as the other clients do.
                if bench_ossl_read_all(c, &scratch, Int32(scratch.count)) < 0 { throw BenchError("OpenSSL ticket read failed") }
            }
            split.charge(0, since: mark)
            if clientState < 0 || serverState < 0 { throw BenchError("OpenSSL handshake failed") }
            if clientState == 1 && serverState == 1 && toServer == 0 && toClient == 0 {
                if session != nil && bench_ossl_session_reused(c) != 1 { throw BenchError("OpenSSL did not resume") }
                return (client, server, split)
            }
        }
        throw BenchError("OpenSSL handshake did not complete")
    }

    /// A client connection holding a resumable session (TLS 1.3: after reading the server's ticket).
    func sessionSource() throws -> Connection {
        let (client, server, _) = try handshake()
        try keepSession(client, server)
        return client
    }

    /// Reads what the server sent after its handshake (TLS 1.3: the NewSessionTicket) and keeps the client's session.
    private func keepSession(_ client: Connection, _ server: Connection) throws {
        _ = bench_ossl_transfer(server.pointer, client.pointer)
        var buffer = [UInt8](repeating: 0, count: 256)
        let capacity = Int32(buffer.count)
        _ = bench_ossl_read_all(client.pointer, &buffer, capacity)
        guard bench_ossl_save_session(client.pointer) == 1 else { throw BenchError("OpenSSL: no resumable session") }
    }

    /// Resumed rows: TLS 1.2 offers the first session again and again (session IDs and TLS 1.2 tickets are reusable);
    /// TLS 1.3 uses each ticket once, as TLSKit's client does (RFC 8446 §C.4), so the client reads the ticket each
    /// resumed handshake brings (charged to the client) and offers that one next time.
    func handshakes(_ count: Int) throws -> HandshakeStats {
        var source = resumption == .none ? nil : try sessionSource()
        func one() throws -> Split {
            var (client, server, split) = try handshake(resuming: source)
            if resumption == .tls13Ticket {
                let mark = Mark.now()
                try keepSession(client, server)
                split.charge(0, since: mark)
                source = client
            }
            return split
        }
        for _ in 0..<max(2, count / 10) { _ = try one() }
        var samples: [Split] = []
        for _ in 0..<count { samples.append(try one()) }
        return HandshakeStats(samples: samples)
    }

    func bulk(bytes: Int) throws -> BulkStats {
        let (client, server, _) = try handshake()
        let c = client.pointer, s = server.pointer
        let chunk = [UInt8](repeating: 0x61, count: chunkSize)
        var buffer = [UInt8](repeating: 0, count: 2 * chunkSize)
        let capacity = Int32(buffer.count)
        for _ in 0..<32 {
            _ = bench_ossl_write(c, chunk, Int32(chunkSize))
            _ = bench_ossl_transfer(c, s)
            _ = bench_ossl_read_all(s, &buffer, capacity)
        }
        let records = max(1, bytes / chunkSize)
        var total = Split()
        var received = 0
        for _ in 0..<records {
            var mark = Mark.now()
            guard Int(bench_ossl_write(c, chunk, Int32(chunkSize))) == chunkSize else { throw BenchError("SSL_write") }
            total.charge(0, since: mark)
            mark = Mark.now()
            _ = bench_ossl_transfer(c, s)
            let n = bench_ossl_read_all(s, &buffer, capacity)
            total.charge(1, since: mark)
            guard n >= 0 else { throw BenchError("SSL_read") }
            received += Int(n)
        }
        guard received == records * chunkSize else { throw BenchError("OpenSSL bulk lost data: \(received)") }
        return BulkStats(total: total, bytes: records * chunkSize, records: records)
    }

    func memory(connections: Int) throws -> MemoryStats {
        var clients: [Connection] = []
        var servers: [Connection] = []
        clients.reserveCapacity(connections)
        servers.reserveCapacity(connections)
        _ = try handshake()
        let rssBefore = residentAfterTrim()
        for _ in 0..<connections {
            let (c, s, _) = try handshake()
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
