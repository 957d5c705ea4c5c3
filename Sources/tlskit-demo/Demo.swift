// An in-memory TLS 1.3 handshake between a TLSKit client and a TLSKit server, printing what was negotiated.
// No sockets: the two engines hand each other bytes, exactly as a network would.
import Foundation
import TLSKit

@main
struct Demo {
    static func main() async {
        do {
            try await run()
        } catch {
            print("error: \(error)")
            exit(1)
        }
    }

    static func run() async throws {
        let (identity, pem) = try CertifiedKey.ephemeral(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])

        var serverConfig = TLSServerConfiguration(certificate: identity)
        serverConfig.common.applicationProtocols = ["h2", "http/1.1"]
        var clientConfig = TLSClientConfiguration()
        clientConfig.peerVerification = .trustRoots(TrustRoots(certificates: try CertificateChain(pem: pem).certificates))
        clientConfig.common.applicationProtocols = ["http/1.1"]

        let server = try TLSConnection(server: serverConfig)
        let client = try TLSConnection(client: clientConfig, serverName: "localhost")
        try client.send(Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))

        var trace: [String] = []
        // Shuttle bytes until both sides are done with the handshake and nothing is in flight.
        for _ in 0..<10 {
            for (from, to, name) in [(client, server, "client"), (server, client, "server")] {
                let bytes = from.takeOutput()
                for case .handshakeMessage(let direction, let type, let length) in from.takeEvents() where direction == .sent {
                    trace.append("\(name) → \(type) (\(length) bytes)")
                }
                if !bytes.isEmpty { try to.receive(bytes) }
                while to.pendingVerification != nil { try await to.performPendingVerification() }
            }
            if client.isHandshakeComplete && server.isHandshakeComplete && !client.hasOutput && !server.hasOutput { break }
        }
        let request = String(decoding: server.takeApplicationData(), as: UTF8.self)
        try server.send(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".utf8))
        try client.receive(server.takeOutput())
        let response = String(decoding: client.takeApplicationData(), as: UTF8.self)

        guard let negotiated = client.negotiated else { throw TLSConfigurationError("handshake did not complete") }
        print("TLSKit in-memory handshake")
        for line in trace { print("  \(line)") }
        print("version:           \(negotiated.version)")
        print("cipher suite:      \(negotiated.cipherSuite)")
        print("key exchange:      \(negotiated.group.map(String.init(describing:)) ?? "none")")
        print("server signature:  \(negotiated.serverSignatureScheme.map(String.init(describing:)) ?? "none")")
        print("ALPN:              \(negotiated.applicationProtocol ?? "none")")
        print("server name:       \(negotiated.serverName ?? "none")")
        print("certificate:       verified against the generated root for \"localhost\"")
        print("server received:   \(request.split(separator: "\r\n").first ?? "")")
        print("client received:   \(response.split(separator: "\r\n").first ?? "") / body \"\(response.split(separator: "\r\n").last ?? "")\"")
    }
}
