import Crypto
import Foundation
import TLSKit
import TLSWire

/// Seed inputs for every target, recorded from real in-memory handshakes between the deterministic fixtures:
/// TLS 1.3, TLS 1.2, HelloRetryRequest, client authentication (both versions), ticket resumption (both versions),
/// the insecure legacy versions TLS 1.1 and TLS 1.0 with CBC records, each followed by a little application data.
/// `FuzzCorpusReplayTests.testWriteSeeds` writes them to Fuzz/Corpus.
public enum FuzzSeeds {
    /// What one handshake put on the wire.
    public struct Transcript {
        public var toServer: [UInt8] = []
        public var toClient: [UInt8] = []
        /// What the client negotiated.
        public var negotiated: NegotiatedParameters?
    }

    /// Runs client and server against each other until neither has anything to say.
    public static func handshake(
        server variant: FuzzFixtures.ServerVariant, client clientVariant: FuzzFixtures.ClientVariant,
        cache: ClientSessionCache? = nil
    ) throws -> Transcript {
        let server = try TLSConnection(server: FuzzFixtures.serverConfiguration(variant))
        let client = try TLSConnection(client: FuzzFixtures.clientConfiguration(clientVariant, cache: cache),
                                       serverName: FuzzFixtures.serverName)
        var transcript = Transcript()
        func pump() throws {
            for _ in 0..<16 {
                let fromClient = client.takeOutput()
                if !fromClient.isEmpty {
                    transcript.toServer += fromClient
                    try server.receive(fromClient)
                    try FuzzFixtures.completeVerification(server)
                }
                let fromServer = server.takeOutput()
                if !fromServer.isEmpty {
                    transcript.toClient += fromServer
                    try client.receive(fromServer)
                    try FuzzFixtures.completeVerification(client)
                }
                if fromClient.isEmpty && fromServer.isEmpty { return }
            }
        }
        try pump()
        guard client.isHandshakeComplete, server.isHandshakeComplete else {
            throw TLSError(.internalError, "seed handshake did not complete")
        }
        try client.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        try server.send(Array("HTTP/1.1 200 OK\r\n\r\n".utf8))
        try pump()
        transcript.negotiated = client.negotiated
        return transcript
    }

    /// The plaintext handshake messages in a byte stream (everything before the first change_cipher_spec or
    /// protected record), as (type, body).
    static func plaintextMessages(_ stream: [UInt8]) -> [(UInt8, [UInt8])] {
        var handshake: [UInt8] = []
        var rest = stream[...]
        while rest.count >= 5 {
            let header = Array(rest.prefix(5))
            let length = Int(header[3]) << 8 | Int(header[4])
            guard header[0] == 22, rest.count >= 5 + length else { break }
            handshake += rest.dropFirst(5).prefix(length)
            rest = rest.dropFirst(5 + length)
        }
        var messages: [(UInt8, [UInt8])] = []
        var bytes = handshake[...]
        while bytes.count >= 4 {
            let header = Array(bytes.prefix(4))
            let length = Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            guard bytes.count >= 4 + length else { break }
            messages.append((header[0], Array(bytes.dropFirst(4).prefix(length))))
            bytes = bytes.dropFirst(4 + length)
        }
        return messages
    }

    /// Server seeds that replay up to the client's CBC-protected Finished record and no further: the legacy server
    /// signs with ECDSA, whose signatures are randomised, and with extended master secret the record keys hash the
    /// transcript that holds the signature, so the recorded Finished record fails its MAC check on replay.
    public static let serverSeedsEndingAtFinished: Set<String> = ["legacy-tls11", "legacy-tls10"]

    /// Seeds per target directory name, each a (file name, bytes).
    public static func all() throws -> [String: [(String, [UInt8])]] {
        typealias S = FuzzFixtures.ServerVariant
        typealias C = FuzzFixtures.ClientVariant
        var server: [(String, [UInt8])] = []
        var client: [(String, [UInt8])] = []
        var messages: [(String, [UInt8])] = []
        let cases: [(String, S, C)] = [
            ("tls13", [], []),
            ("tls12", [.tls12], []),
            ("client-offers-tls12", [], [.tls12]),
            ("hrr", [.helloRetry], []),
            ("client-auth-tls13", [.clientAuth], [.certificate]),
            ("client-auth-tls12", [.clientAuth, .tls12], [.certificate]),
            ("client-auth-declined", [.clientAuth], []),
            ("legacy-cbc-tls12", [.legacy, .tls12], [.legacy]),
            ("legacy-tls11", [.legacy], [.legacy]),
            ("legacy-tls10", [.legacy, .legacyTLS10], [.legacy]),
        ]
        var transcripts: [(String, S, C, Transcript)] = []
        for (name, s, c) in cases {
            transcripts.append((name, s, c, try handshake(server: s, client: c)))
        }
        // Resumption: a second connection with the ticket the first one left in the cache. The client side of a
        // resumption depends on that cache, so it seeds the server target only.
        for (name, s) in [("resumption-tls13", S()), ("resumption-tls12", S.tls12)] {
            let cache = ClientSessionCache()
            _ = try handshake(server: s, client: [], cache: cache)
            let resumed = try handshake(server: s, client: [], cache: cache)
            server.append((name, [s.rawValue, 0] + resumed.toServer))
        }
        for (name, s, c, t) in transcripts {
            server.append((name, [s.rawValue, 0] + t.toServer))
            client.append((name, [c.rawValue, 0] + t.toClient))
            let version: UInt8 = s.contains(.legacy) && !s.contains(.tls12) ? 0xC0 : s.contains(.tls12) || c.contains(.tls12) ? 0x80 : 0
            for (type, body) in plaintextMessages(t.toServer) + plaintextMessages(t.toClient) {
                guard let index = HandshakeMessageTarget.types.firstIndex(of: type) else { continue }
                messages.append(("\(name)-type\(type)", [UInt8(index) | version] + body))
            }
        }
        // A few chunkings: byte by byte, and odd sizes.
        server.append(("tls13-chunk1", [0, 1] + transcripts[0].3.toServer))
        server.append(("tls12-chunk7", [S.tls12.rawValue, 7] + transcripts[1].3.toServer))
        client.append(("tls13-chunk1", [0, 1] + transcripts[0].3.toClient))
        client.append(("hrr-chunk13", [0, 13] + transcripts[3].3.toClient))
        if let legacy = transcripts.first(where: { $0.0 == "legacy-tls10" }) {
            client.append(("legacy-tls10-chunk5", [legacy.2.rawValue, 5] + legacy.3.toClient))
        }
        var seen = Set<[UInt8]>()
        messages = messages.filter { seen.insert($0.1).inserted }

        let identity = FuzzFixtures.serverIdentity
        var certificates: [(String, [UInt8])] = []
        if let der = identity.chain.derEncoded.first {
            certificates.append(("chain-der", [1, 255] + der))
            certificates.append(("chain-der-two", [1, UInt8(min(der.count / 8, 255))] + der + der))
            let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            certificates.append(("chain-pem", [0] + Array("-----BEGIN CERTIFICATE-----\n\(base64)\n-----END CERTIFICATE-----\n".utf8)))
        }
        // Keys: PKCS#8 Ed25519 (DER and PEM) and SEC 1 / PKCS#8 P-256.
        let ed25519 = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
            + [UInt8](repeating: 0x5E, count: 32)
        certificates.append(("key-ed25519-der", [3] + ed25519))
        let ed25519PEM = Data(ed25519).base64EncodedString()
        certificates.append(("key-ed25519-pem", [2] + Array("-----BEGIN PRIVATE KEY-----\n\(ed25519PEM)\n-----END PRIVATE KEY-----\n".utf8)))
        let p256 = try P256.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x11, count: 32))
        certificates.append(("key-p256-der", [3] + Array(p256.derRepresentation)))
        certificates.append(("key-p256-pem", [2] + Array(p256.pemRepresentation.utf8)))
        return ["server-engine": server, "client-engine": client, "handshake-messages": messages,
                "certificate-loading": certificates]
    }
}
