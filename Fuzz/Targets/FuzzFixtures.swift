import Crypto
import Foundation
import SwiftASN1
import TLSCrypto
import TLSKit
import TLSWire
import X509

/// Deterministic identities and configurations shared by the engine fuzz targets and the seed generator: a fixed
/// Ed25519 key (Ed25519 signs deterministically), a fixed clock, seeded randomness, fixed ticket keys, and a
/// verifier that accepts anything. With these a recorded byte stream replays exactly on a fresh engine.
public enum FuzzFixtures {
    public static let serverName = "fuzz.test"
    public static let now = Date(timeIntervalSince1970: 1_780_000_000)

    /// A self-signed certificate for `name` with a key derived from `seed`: Ed25519 (signs deterministically), or
    /// ECDSA P-256 with `ecdsa`.
    static func identity(seed: UInt8, name: String, ecdsa: Bool = false) -> CertifiedKey {
        do {
            let raw = [UInt8](repeating: seed, count: 32)
            let publicKey: Certificate.PublicKey, issuerKey: Certificate.PrivateKey, signingKey: any SigningKey
            if ecdsa {
                let key = try P256.Signing.PrivateKey(rawRepresentation: raw)
                (publicKey, issuerKey, signingKey) = (Certificate.PublicKey(key.publicKey), Certificate.PrivateKey(key), ECDSAP256SigningKey(key))
            } else {
                let key = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
                (publicKey, issuerKey, signingKey) = (Certificate.PublicKey(key.publicKey), Certificate.PrivateKey(key), Ed25519SigningKey(key))
            }
            let subject = try DistinguishedName { CommonName(name) }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(bytes: [ecdsa ? 2 : 1, seed]),
                publicKey: publicKey,
                notValidBefore: Date(timeIntervalSince1970: 1_600_000_000),
                notValidAfter: Date(timeIntervalSince1970: 2_200_000_000),
                issuer: subject,
                subject: subject,
                signatureAlgorithm: ecdsa ? .ecdsaWithSHA256 : .ed25519,
                extensions: try Certificate.Extensions { SubjectAlternativeNames([.dnsName(name)]) },
                issuerPrivateKey: issuerKey)
            return try CertifiedKey(chain: CertificateChain(certificates: [certificate]), privateKey: signingKey)
        } catch {
            fatalError("fuzz identity: \(error)")
        }
    }

    public static let serverIdentity = identity(seed: 0x5E, name: serverName)
    public static let clientIdentity = identity(seed: 0xC1, name: "client")
    /// For the legacy variants: TLS 1.0/1.1 cannot sign with Ed25519 (no signature_algorithms there). ECDSA
    /// signatures are randomised, so a recorded client stream replays on the legacy server only up to the client's
    /// Finished record (see `FuzzSeeds.serverSeedsEndingAtFinished`).
    static let legacyServerIdentity = identity(seed: 0x1E, name: serverName, ecdsa: true)

    static let ticketKeys: TicketKeyRing = {
        do {
            let key = try TicketKey(name: [UInt8](repeating: 0x71, count: 16), key: [UInt8](repeating: 0x72, count: 32),
                                    created: now - 60)
            return try TicketKeyRing(keys: [key])
        } catch {
            fatalError("fuzz ticket keys: \(error)")
        }
    }()

    /// Server variants (bit flags of the first input byte).
    public struct ServerVariant: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Negotiate TLS 1.2 at most.
        public static let tls12 = ServerVariant(rawValue: 1)
        /// Ask for a client certificate (optional).
        public static let clientAuth = ServerVariant(rawValue: 2)
        /// Insist on P-256 first, so an X25519 key share gets a HelloRetryRequest.
        public static let helloRetry = ServerVariant(rawValue: 4)
        /// Insecure legacy versions on (TLS 1.0 up), TLS 1.1 at most, an ECDSA certificate: CBC records. With
        /// `tls12`: TLS 1.2 at most with the CBC suites first and the Ed25519 certificate (deterministic, so a
        /// recorded CBC handshake replays whole).
        public static let legacy = ServerVariant(rawValue: 8)
        /// With `legacy`: TLS 1.0 at most (implicit IVs, 1/n−1 splitting).
        public static let legacyTLS10 = ServerVariant(rawValue: 16)
        /// The bits of the first input byte that choose a variant.
        static let mask: UInt8 = 31
    }

    public static func serverConfiguration(_ variant: ServerVariant) -> TLSServerConfiguration {
        var config = TLSServerConfiguration(certificate: serverIdentity)
        config.common.randomSource = FuzzRandom(seed: 0x5E4E)
        config.common.now = { FuzzFixtures.now }
        config.sessionTicketKeys = ticketKeys
        config.ticketsPerHandshake = 1
        if variant.contains(.tls12) { config.common.maximumVersion = .tls12 }
        if variant.contains(.clientAuth) { config.clientAuthentication = .optional(.custom(AcceptAnyVerifier())) }
        if variant.contains(.helloRetry) {
            config.common.supportedGroups = [.secp256r1, .x25519]
            config.enforceGroupPreference = true
        }
        if variant.contains(.legacy) {
            config.common.insecureLegacyVersions = .downToTLS10
            config.common.minimumVersion = .tls10
            if variant.contains(.legacyTLS10) {
                config.certificate = legacyServerIdentity
                config.common.maximumVersion = .tls10
            } else if variant.contains(.tls12) {
                config.common.cipherSuites = [.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA]
            } else {
                config.certificate = legacyServerIdentity
                config.common.maximumVersion = .tls11
            }
        }
        return config
    }

    /// Client variants (bit flags of the first input byte).
    public struct ClientVariant: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Offer a client certificate when asked.
        public static let certificate = ClientVariant(rawValue: 1)
        /// Offer TLS 1.2 only.
        public static let tls12 = ClientVariant(rawValue: 2)
        /// Accept every insecure legacy version down to SSL 3.0 (TLS 1.3 still offered first): CBC records and the
        /// TLS 1.0/1.1 and SSL 3.0 ServerHello paths.
        public static let legacy = ClientVariant(rawValue: 4)
        /// The bits of the first input byte that choose a variant.
        static let mask: UInt8 = 7
    }

    public static func clientConfiguration(_ variant: ClientVariant, cache: ClientSessionCache? = nil) -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.common.randomSource = FuzzRandom(seed: 0xC11E)
        config.common.now = { FuzzFixtures.now }
        config.common.supportedGroups = [.x25519, .secp256r1]
        config.peerVerification = .custom(AcceptAnyVerifier())
        config.sessionCache = cache
        if variant.contains(.certificate) { config.certificate = clientIdentity }
        if variant.contains(.tls12) { config.common.maximumVersion = .tls12 }
        if variant.contains(.legacy) {
            config.common.insecureLegacyVersions = .downToSSL30IncludingPOODLEVulnerableSSL3
            config.common.minimumVersion = .ssl3
        }
        return config
    }

    /// Completes a pending verification at once (the verifier accepts anything), as a driver would.
    static func completeVerification(_ connection: TLSConnection) throws(TLSError) {
        if connection.pendingVerification != nil {
            try connection.completeVerification(.trusted(validatedChain: []))
        }
    }

    /// Feeds `stream` to `connection` in chunks of `chunk` bytes (0: all at once), draining output and data and
    /// completing verifications. Returns the error that ended it, if any, after checking that the connection stays
    /// failed. A trap anywhere in here is a finding.
    static func feed(_ connection: TLSConnection, _ stream: ArraySlice<UInt8>, chunk: Int) -> String? {
        var rest = stream
        let size = chunk == 0 ? max(rest.count, 1) : chunk
        repeat {
            let piece = Array(rest.prefix(size))
            rest = rest.dropFirst(size)
            do {
                try connection.receive(piece)
                try completeVerification(connection)
                _ = connection.takeOutput()
                _ = connection.takeApplicationData()
                _ = connection.takeEvents()
            } catch {
                if connection.failure == nil { return "threw \(error) but failure is nil" }
                if (try? connection.receive([22, 3, 3, 0, 1, 0])) != nil { return "a failed connection accepted bytes" }
                _ = connection.takeOutput()
                return nil
            }
        } while !rest.isEmpty
        return nil
    }
}

/// Accepts every chain (the fuzz targets exercise the engine, not path building).
public struct AcceptAnyVerifier: CertificateVerifier {
    public init() {}
    public func verify(_ request: PeerVerificationRequest) async -> PeerVerificationResult {
        .trusted(validatedChain: [])
    }
}

/// SplitMix64: every random byte of a fuzzed engine comes from here, so runs are reproducible.
public struct FuzzRandom: RandomSource {
    var state: UInt64
    public init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            var word = next()
            for _ in 0..<8 where out.count < count {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }
}
