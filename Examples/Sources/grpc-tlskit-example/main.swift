// A gRPC echo over TLSKit with mutual TLS, on 127.0.0.1: the server's handler reads the client's certificate from
// its context, the client checks the answer. Exits 0 when everything matched, 1 otherwise (used by scripts/test.sh).
// It is always its own self-test: `--self-test`, which scripts/test.sh passes to every example, changes nothing.
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCTLSKit
import TLSKit
import TLSKitNIO

struct UTF8Serializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: String) throws -> Bytes { Bytes(Array(message.utf8)) }
}

struct UTF8Deserializer: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ bytes: Bytes) throws -> String {
        bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}

/// tlskit.example.Echo/Say: answers with the message and what TLS says about the caller.
struct EchoService: RegistrableRPCService {
    static let say = MethodDescriptor(fullyQualifiedService: "tlskit.example.Echo", method: "Say")

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(forMethod: Self.say, deserializer: UTF8Deserializer(), serializer: UTF8Serializer()) {
            request, context in
            var text = ""
            for try await message in request.messages { text += message }
            guard let peer = context.transportSpecific as? TLSKitGRPCPeer else {
                throw RPCError(code: .unauthenticated, message: "no TLS facts for this connection")
            }
            let subject = peer.peerCertificateChain?.leaf.map { "\($0.subject)" } ?? "anonymous"
            let answer = "\(text) | client \(subject) | \(peer.negotiated.version) \(peer.negotiated.applicationProtocol ?? "-")"
            return StreamingServerResponse(single: ServerResponse(message: answer))
        }
    }
}

struct ExampleFailure: Error, CustomStringConvertible {
    var description: String
}

func run() async throws {
    // Throw-away PKIs: one for the server (localhost), one for the client.
    let (serverKey, serverRootPEM) = try CertifiedKey.ephemeral(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
    let (clientKey, clientRootPEM) = try CertifiedKey.ephemeral(dnsNames: ["grpc-client.example"], ipAddresses: [])

    var server = TLSServerConfiguration(certificate: serverKey)
    server.common.applicationProtocols = ["h2"]
    server.clientAuthentication = .required(.trustRoots(TrustRoots(certificates: try CertificateChain(pem: clientRootPEM).certificates)))
    var client = TLSClientConfiguration()
    client.common.applicationProtocols = ["h2"]
    client.peerVerification = .trustRoots(TrustRoots(certificates: try CertificateChain(pem: serverRootPEM).certificates))
    client.certificate = clientKey

    let transport = try TLSKitGRPCServerTransport(host: "127.0.0.1", port: 0, context: try TLSKitContext(server: server))
    let clientContext = try TLSKitContext(client: client)
    try await withGRPCServer(transport: transport, services: [EchoService()]) { _ in
        let port = try await transport.listeningPort()
        print("server: listening on 127.0.0.1:\(port)")
        let clientTransport = try await HTTP2ClientTransport.WrappedChannel.tlsKit(
            host: "127.0.0.1", port: port, context: clientContext, serverName: "localhost")
        let answer = try await withGRPCClient(transport: clientTransport) { grpc in
            try await grpc.unary(
                request: ClientRequest(message: "hello over gRPC"),
                descriptor: EchoService.say,
                serializer: UTF8Serializer(),
                deserializer: UTF8Deserializer(),
                options: .defaults
            ) { try $0.message }
        }
        print("client: \(answer)")
        let expected = "hello over gRPC | client CN=grpc-client.example"
        guard answer.hasPrefix(expected), answer.hasSuffix("TLSv1.3 h2") else {
            throw ExampleFailure(description: "unexpected answer: \(answer)")
        }
    }
}

// Bounded: the whole exchange must finish within 60 seconds.
let outcome = await withTaskGroup(of: String?.self) { group in
    group.addTask {
        do {
            try await run()
            return nil
        } catch {
            return "\(error)"
        }
    }
    group.addTask {
        try? await Task.sleep(nanoseconds: 60_000_000_000)
        return "timed out after 60 s"
    }
    let first = await group.next() ?? "no result"
    group.cancelAll()
    return first
}
if let failure = outcome {
    print("grpc-tlskit-example: FAILED: \(failure)")
    exit(1)
}
print("grpc-tlskit-example: OK")
exit(0)
