import Foundation
import TLSCrypto
@testable import TLSKit
import TLSWire
import XCTest

/// Every cipher suite × key-exchange group × server key type: handshake, then ≥ 1 MiB each way, byte for byte.
final class EngineHandshakeMatrixTests: XCTestCase {
    static let suites: [CipherSuite] = [.TLS_AES_128_GCM_SHA256, .TLS_AES_256_GCM_SHA384, .TLS_CHACHA20_POLY1305_SHA256]
    static let groups: [NamedGroup] = [.X25519MLKEM768, .x25519, .secp256r1, .secp384r1, .secp521r1]
    /// Chunk sizes passed to `send`, cycled: exactly one full record, one byte over, tiny, odd, several records.
    static let chunkSizes = [16384, 16385, 1, 1000, 40_000, 16383]
    static let payloadSize = 1 << 20

    static func expectedSchemes(_ keyType: TestPKI.KeyType) -> Set<SignatureScheme> {
        switch keyType {
        case .ecdsaP256: return [.ecdsa_secp256r1_sha256]
        case .ecdsaP384: return [.ecdsa_secp384r1_sha384]
        case .ecdsaP521: return [.ecdsa_secp521r1_sha512]
        case .ed25519: return [.ed25519]
        case .rsa2048: return [.rsa_pss_rsae_sha256, .rsa_pss_rsae_sha384, .rsa_pss_rsae_sha512]
        }
    }

    func runMatrix(keyType: TestPKI.KeyType) async throws {
        let up = testPayload(count: Self.payloadSize, seed: 1)
        let down = testPayload(count: Self.payloadSize, seed: 2)
        for suite in Self.suites {
            for group in Self.groups {
                let context = "\(suite) \(group) \(keyType)"
                var client = EngineFixtures.clientConfiguration()
                client.common.cipherSuites = [suite]
                client.common.supportedGroups = [group]
                var server = EngineFixtures.serverConfiguration(keyType)
                server.common.supportedGroups = [group]
                let pair = try InMemoryPair(client: client, server: server)
                await pair.handshake()
                for side in [pair.client, pair.server] {
                    let negotiated = try XCTUnwrap(side.negotiated, context)
                    XCTAssertEqual(negotiated.version, .tls13, context)
                    XCTAssertEqual(negotiated.cipherSuite, suite, context)
                    XCTAssertEqual(negotiated.group, group, context)
                    XCTAssertTrue(Self.expectedSchemes(keyType).contains(negotiated.serverSignatureScheme ?? .rsa_pkcs1_sha1),
                                  "\(context): \(String(describing: negotiated.serverSignatureScheme))")
                    XCTAssertFalse(negotiated.usedHelloRetryRequest, context)
                }
                XCTAssertEqual(pair.client.negotiated?.peerCertificates, try EngineFixtures.serverLeaves[keyType]!.chainDER, context)

                let received = try await pair.transfer(up, .clientToServer, chunkSizes: Self.chunkSizes)
                XCTAssertTrue(received == up, "\(context): client → server data differs (\(received.count) bytes)")
                let back = try await pair.transfer(down, .serverToClient, chunkSizes: Self.chunkSizes)
                XCTAssertTrue(back == down, "\(context): server → client data differs (\(back.count) bytes)")
                XCTAssertNil(pair.clientError, context)
                XCTAssertNil(pair.serverError, context)
            }
        }
    }

    func testECDSAP256Server() async throws { try await runMatrix(keyType: .ecdsaP256) }
    func testECDSAP384Server() async throws { try await runMatrix(keyType: .ecdsaP384) }
    func testECDSAP521Server() async throws { try await runMatrix(keyType: .ecdsaP521) }
    func testEd25519Server() async throws { try await runMatrix(keyType: .ed25519) }
    func testRSA2048ServerUsesPSS() async throws { try await runMatrix(keyType: .rsa2048) }

    /// With an RSA key and a client that lists PKCS#1 first, TLS 1.3 still signs with RSASSA-PSS.
    func testRSAServerNeverSignsPKCS1() async throws {
        var client = EngineFixtures.clientConfiguration()
        client.common.signatureAlgorithms = [.rsa_pkcs1_sha256, .rsa_pkcs1_sha384, .rsa_pss_rsae_sha384]
        let pair = try InMemoryPair(client: client, server: EngineFixtures.serverConfiguration(.rsa2048))
        await pair.handshake()
        XCTAssertEqual(pair.client.negotiated?.serverSignatureScheme, .rsa_pss_rsae_sha384)
    }

    /// Record boundaries: a 16384-byte write is one full record, 16385 bytes are two (16384 + 1).
    func testRecordSizesAtTheLimit() async throws {
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        await pair.handshake()
        let tag = 16   // AES-GCM
        for (size, expected) in [(16384, [16384]), (16385, [16384, 1]), (32768, [16384, 16384]), (0, [0])] {
            try pair.client.send(testPayload(count: size, seed: UInt64(size)))
            let records = pair.takeFlight(.clientToServer)
            XCTAssertEqual(records.map { $0.body.count - 1 - tag }, expected, "write of \(size) bytes")
            XCTAssertTrue(records.allSatisfy { $0.contentType == 23 && $0.version == 0x0303 })
            await pair.deliver(records.bytes, .clientToServer)
            XCTAssertEqual(pair.server.takeApplicationData(), testPayload(count: size, seed: UInt64(size)))
        }
        XCTAssertNil(pair.serverError)
    }

    /// The whole handshake delivered one byte at a time still completes (reassembly across records and reads).
    func testHandshakeOneByteAtATime() async throws {
        let pair = try InMemoryPair(client: EngineFixtures.clientConfiguration(), server: EngineFixtures.serverConfiguration())
        for _ in 0..<8 {
            var moved = false
            for direction in [FlightDirection.clientToServer, .serverToClient] {
                let bytes = pair.takeFlight(direction).bytes
                moved = moved || !bytes.isEmpty
                for byte in bytes { await pair.deliver([byte], direction) }
            }
            if !moved { break }
        }
        XCTAssertNil(pair.clientError)
        XCTAssertNil(pair.serverError)
        XCTAssertTrue(pair.client.isHandshakeComplete)
        XCTAssertTrue(pair.server.isHandshakeComplete)
        try await pair.assertDataFlows()
    }
}
