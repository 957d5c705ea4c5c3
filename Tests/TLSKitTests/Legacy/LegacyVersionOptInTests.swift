import TLSWire
import XCTest
@testable import TLSKit

/// Versions below TLS 1.2 stay off unless asked for (issue 17): the default configuration refuses a TLS 1.0 or 1.1
/// ClientHello with protocol_version, and `minimumVersion` below TLS 1.2 is a configuration error without the
/// `insecureLegacyVersions` opt-in. (The legacy handshakes are not wired yet, so even with the opt-in a legacy
/// peer is refused; the last test pins that until they are.)
final class LegacyVersionOptInTests: XCTestCase {
    /// What a TLS 1.0/1.1-only client sends: legacy_version 0x0301/0x0302, no supported_versions, CBC suites
    /// (TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_128_CBC_SHA).
    private func legacyClientHello(_ version: ProtocolVersion) throws -> ClientHello {
        var hello = try freshClientHello()
        hello.legacyVersion = version
        hello.extensions.removeAll { $0.type == .supportedVersions }
        hello.cipherSuites = [CipherSuite(rawValue: 0xC013), CipherSuite(rawValue: 0xC009), CipherSuite(rawValue: 0x002F)]
        return hello
    }

    func testDefaultServerRefusesTLS10AndTLS11ClientHellos() async throws {
        for version in [ProtocolVersion.tls10, .tls11] {
            let server = try TLSConnection(server: EngineFixtures.serverConfiguration())
            let error = await feed(server, clientHelloRecord(try legacyClientHello(version)))
            XCTAssertEqual(error?.cause, .peerIncompatible(.noCommonVersion), "\(version)")
            assertPlaintextAlert(server, .protocolVersion, thrown: error)
        }
    }

    func testDefaultsHaveNoLegacyVersionOrCBCSuite() {
        let common = TLSCommonConfiguration()
        XCTAssertNil(common.insecureLegacyVersions)
        XCTAssertEqual(common.minimumVersion, .tls12)
        // Every CBC suite TLS 1.0/1.1 would use (RFC 4346 App. A.5, RFC 4492 §6, RFC 5246 App. A.5).
        let cbc: Set<UInt16> = [0x002F, 0x0035, 0x003C, 0x003D, 0xC009, 0xC00A, 0xC013, 0xC014, 0xC023, 0xC024, 0xC027, 0xC028]
        XCTAssertTrue(common.cipherSuites.allSatisfy { !cbc.contains($0.rawValue) }, "\(common.cipherSuites)")
    }

    func testMinimumVersionBelowTLS12NeedsTheOptIn() throws {
        func server(_ minimum: ProtocolVersion, _ optIn: InsecureLegacyVersions?) -> TLSServerConfiguration {
            var config = EngineFixtures.serverConfiguration()
            config.common.minimumVersion = minimum
            config.common.insecureLegacyVersions = optIn
            return config
        }
        func client(_ minimum: ProtocolVersion, _ optIn: InsecureLegacyVersions?) -> TLSClientConfiguration {
            var config = EngineFixtures.clientConfiguration()
            config.common.minimumVersion = minimum
            config.common.insecureLegacyVersions = optIn
            return config
        }
        let refused: [(ProtocolVersion, InsecureLegacyVersions?)] = [
            (.tls11, nil), (.tls10, nil), (.ssl3, nil),
            (.tls10, .downToTLS11),   // below what the opt-in allows
            (.ssl3, .downToTLS10),    // SSL 3.0 never (RFC 7568)
        ]
        for (minimum, optIn) in refused {
            XCTAssertThrowsError(try TLSConnection(server: server(minimum, optIn)), "\(minimum) \(String(describing: optIn))") {
                XCTAssertTrue($0 is TLSConfigurationError, "\($0)")
            }
            XCTAssertThrowsError(try TLSConnection(client: client(minimum, optIn), serverName: EngineFixtures.serverName)) {
                XCTAssertTrue($0 is TLSConfigurationError, "\($0)")
            }
        }
        let accepted: [(ProtocolVersion, InsecureLegacyVersions?)] = [
            (.tls12, nil), (.tls12, .downToTLS10), (.tls11, .downToTLS11), (.tls11, .downToTLS10), (.tls10, .downToTLS10),
        ]
        for (minimum, optIn) in accepted {
            XCTAssertNoThrow(try TLSConnection(server: server(minimum, optIn)), "\(minimum) \(String(describing: optIn))")
            XCTAssertNoThrow(try TLSConnection(client: client(minimum, optIn), serverName: EngineFixtures.serverName))
        }
    }

    func testOptInDoesNotYetReachALegacyHandshake() async throws {
        // Until the TLS 1.0/1.1 handshakes are wired, the opt-in changes nothing on the wire.
        var config = EngineFixtures.serverConfiguration()
        config.common.minimumVersion = .tls10
        config.common.insecureLegacyVersions = .downToTLS10
        let server = try TLSConnection(server: config)
        let error = await feed(server, clientHelloRecord(try legacyClientHello(.tls10)))
        XCTAssertEqual(error?.cause, .peerIncompatible(.noCommonVersion))
        assertPlaintextAlert(server, .protocolVersion, thrown: error)
    }
}
