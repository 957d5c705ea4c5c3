import Crypto
import TLSWire

/// (EC)DHE and hybrid ML-KEM key exchange for TLS 1.3 (RFC 8446 §4.2.8, §7.4; draft-ietf-tls-ecdhe-mlkem).
/// Every private key is drawn from the injected `RandomSource` so a test can replay a handshake. The one
/// exception is ML-KEM encapsulation on the server, whose randomness swift-crypto draws internally.
enum KeyExchange {
    static let supportedGroups: Set<NamedGroup> = [.x25519, .secp256r1, .secp384r1, .secp521r1, .X25519MLKEM768]

    // Sizes from RFC 8446 §4.2.8.2, RFC 7748 and draft-ietf-tls-ecdhe-mlkem §3.1.
    static let x25519Length = 32
    static let p256PointLength = 65
    static let p384PointLength = 97
    static let p521PointLength = 133
    static let mlkem768SeedLength = 64
    static let mlkem768EncapsulationKeyLength = 1184
    static let mlkem768CiphertextLength = 1088

    static func generateKeyShare(_ group: NamedGroup, random: inout any RandomSource) throws(TLSError)
        -> any KeyShareSecret
    {
        switch group {
        case .x25519:
            return X25519KeyShare(privateKey: try x25519PrivateKey(random: &random))
        case .secp256r1:
            return P256KeyShare(privateKey: try p256PrivateKey(random: &random))
        case .secp384r1:
            return P384KeyShare(privateKey: try p384PrivateKey(random: &random))
        case .secp521r1:
            return P521KeyShare(privateKey: try p521PrivateKey(random: &random))
        case .X25519MLKEM768:
            return X25519MLKEM768KeyShare(
                mlkemKey: try mlkem768PrivateKey(random: &random),
                x25519Key: try x25519PrivateKey(random: &random))
        default:
            throw TLSError(.peerMisbehaved(.unofferedGroup), "unsupported key exchange group \(group)")
        }
    }

    static func respond(_ group: NamedGroup, peerShare: [UInt8], random: inout any RandomSource) throws(TLSError)
        -> (serverShare: [UInt8], sharedSecret: [UInt8])
    {
        switch group {
        case .x25519:
            let key = try x25519PrivateKey(random: &random)
            let secret = try x25519Agreement(key, peerShare: peerShare)
            return (Array(key.publicKey.rawRepresentation), secret)
        case .secp256r1:
            let key = try p256PrivateKey(random: &random)
            let secret = try p256Agreement(key, peerShare: peerShare)
            return (Array(key.publicKey.x963Representation), secret)
        case .secp384r1:
            let key = try p384PrivateKey(random: &random)
            let secret = try p384Agreement(key, peerShare: peerShare)
            return (Array(key.publicKey.x963Representation), secret)
        case .secp521r1:
            let key = try p521PrivateKey(random: &random)
            let secret = try p521Agreement(key, peerShare: peerShare)
            return (Array(key.publicKey.x963Representation), secret)
        case .X25519MLKEM768:
            return try respondX25519MLKEM768(peerShare: peerShare, random: &random)
        default:
            throw TLSError(.peerMisbehaved(.unofferedGroup), "unsupported key exchange group \(group)")
        }
    }

    // MARK: X25519

    static func x25519PrivateKey(random: inout any RandomSource) throws(TLSError)
        -> Curve25519.KeyAgreement.PrivateKey
    {
        do {
            return try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: random.bytes(x25519Length))
        } catch {
            throw .internalError("X25519 key generation failed: \(error)")
        }
    }

    static func x25519Agreement(_ key: Curve25519.KeyAgreement.PrivateKey, peerShare: [UInt8]) throws(TLSError)
        -> [UInt8]
    {
        guard peerShare.count == x25519Length else {
            throw TLSError(.peerMisbehaved(.invalidKeyShare), "X25519 share must be \(x25519Length) bytes, got \(peerShare.count)")
        }
        let secret: [UInt8]
        do {
            let peer = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: peerShare)
            secret = try key.sharedSecretFromKeyAgreement(with: peer).withUnsafeBytes { Array($0) }
        } catch {
            throw TLSError(.peerMisbehaved(.invalidKeyShare), "invalid X25519 share")
        }
        // RFC 8446 §7.4.2: a small-order peer point yields all zeros; such a share must be rejected.
        guard !isAllZero(secret) else {
            throw TLSError(.peerMisbehaved(.invalidKeyShare), "X25519 shared secret is all zeros (small-order peer share)")
        }
        return secret
    }

    // MARK: NIST curves

    /// Retries are for the ~2^-32 (P-256) chance that the random bytes are not a valid scalar (zero or ≥ n).
    private static let maxScalarAttempts = 8

    static func p256PrivateKey(random: inout any RandomSource) throws(TLSError) -> P256.KeyAgreement.PrivateKey {
        for _ in 0..<maxScalarAttempts {
            if let key = try? P256.KeyAgreement.PrivateKey(rawRepresentation: random.bytes(32)) { return key }
        }
        throw .internalError("could not derive a P-256 scalar from the random source")
    }

    static func p384PrivateKey(random: inout any RandomSource) throws(TLSError) -> P384.KeyAgreement.PrivateKey {
        for _ in 0..<maxScalarAttempts {
            if let key = try? P384.KeyAgreement.PrivateKey(rawRepresentation: random.bytes(48)) { return key }
        }
        throw .internalError("could not derive a P-384 scalar from the random source")
    }

    static func p521PrivateKey(random: inout any RandomSource) throws(TLSError) -> P521.KeyAgreement.PrivateKey {
        for _ in 0..<maxScalarAttempts {
            // 66 bytes hold 528 bits; the scalar has 521: clear the top seven so almost every draw is below n.
            var scalar = random.bytes(66)
            scalar[0] &= 0x01
            if let key = try? P521.KeyAgreement.PrivateKey(rawRepresentation: scalar) { return key }
        }
        throw .internalError("could not derive a P-521 scalar from the random source")
    }

    static func p256Agreement(_ key: P256.KeyAgreement.PrivateKey, peerShare: [UInt8]) throws(TLSError) -> [UInt8] {
        try checkUncompressedPoint(peerShare, length: p256PointLength, curve: "P-256")
        do {
            let peer = try P256.KeyAgreement.PublicKey(x963Representation: peerShare)
            return try key.sharedSecretFromKeyAgreement(with: peer).withUnsafeBytes { Array($0) }
        } catch {
            throw TLSError(.peerMisbehaved(.invalidKeyShare), "invalid P-256 point")
        }
    }

    static func p384Agreement(_ key: P384.KeyAgreement.PrivateKey, peerShare: [UInt8]) throws(TLSError) -> [UInt8] {
        try checkUncompressedPoint(peerShare, length: p384PointLength, curve: "P-384")
        do {
            let peer = try P384.KeyAgreement.PublicKey(x963Representation: peerShare)
            return try key.sharedSecretFromKeyAgreement(with: peer).withUnsafeBytes { Array($0) }
        } catch {
            throw TLSError(.peerMisbehaved(.invalidKeyShare), "invalid P-384 point")
        }
    }

    static func p521Agreement(_ key: P521.KeyAgreement.PrivateKey, peerShare: [UInt8]) throws(TLSError) -> [UInt8] {
        try checkUncompressedPoint(peerShare, length: p521PointLength, curve: "P-521")
        do {
            let peer = try P521.KeyAgreement.PublicKey(x963Representation: peerShare)
            return try key.sharedSecretFromKeyAgreement(with: peer).withUnsafeBytes { Array($0) }
        } catch {
            throw TLSError(.peerMisbehaved(.invalidKeyShare), "invalid P-521 point")
        }
    }

    /// RFC 8446 §4.2.8.2: only the uncompressed form (0x04 || X || Y) is allowed; that also excludes
    /// the one-byte encoding of the point at infinity. swift-crypto then checks the point is on the curve.
    private static func checkUncompressedPoint(_ share: [UInt8], length: Int, curve: String) throws(TLSError) {
        guard share.count == length else {
            throw TLSError(.peerMisbehaved(.invalidKeyShare), "\(curve) share must be \(length) bytes, got \(share.count)")
        }
        guard share.first == 0x04 else {
            throw TLSError(.peerMisbehaved(.invalidKeyShare), "\(curve) share is not an uncompressed point")
        }
    }

    // MARK: X25519MLKEM768

    static func mlkem768PrivateKey(random: inout any RandomSource) throws(TLSError) -> MLKEM768.PrivateKey {
        do {
            return try MLKEM768.PrivateKey(seedRepresentation: random.bytes(mlkem768SeedLength), publicKey: nil)
        } catch {
            throw .internalError("ML-KEM-768 key generation failed: \(error)")
        }
    }

    /// Server side: client share = encapsulation key (1184) || X25519 (32); server share = ciphertext (1088) ||
    /// X25519 (32); secret = ML-KEM secret || X25519 secret (draft-ietf-tls-ecdhe-mlkem §3.1).
    private static func respondX25519MLKEM768(peerShare: [UInt8], random: inout any RandomSource) throws(TLSError)
        -> (serverShare: [UInt8], sharedSecret: [UInt8])
    {
        guard peerShare.count == mlkem768EncapsulationKeyLength + x25519Length else {
            throw TLSError(.peerMisbehaved(.invalidKeyShare),
                "X25519MLKEM768 client share must be \(mlkem768EncapsulationKeyLength + x25519Length) bytes, "
                    + "got \(peerShare.count)")
        }
        let encapsulationKey = peerShare[..<mlkem768EncapsulationKeyLength]
        let x25519Share = Array(peerShare[mlkem768EncapsulationKeyLength...])

        // Parsing performs the FIPS 203 §7.2 encapsulation key check; failure is illegal_parameter per the draft.
        let mlkemPublicKey: MLKEM768.PublicKey
        do {
            mlkemPublicKey = try MLKEM768.PublicKey(rawRepresentation: encapsulationKey)
        } catch {
            throw TLSError(.peerMisbehaved(.invalidKeyShare), "invalid ML-KEM-768 encapsulation key")
        }
        let encapsulation: KEM.EncapsulationResult
        do {
            encapsulation = try mlkemPublicKey.encapsulate()
        } catch {
            throw .internalError("ML-KEM-768 encapsulation failed: \(error)")
        }

        let x25519Key = try x25519PrivateKey(random: &random)
        let x25519Secret = try x25519Agreement(x25519Key, peerShare: x25519Share)

        var serverShare = Array(encapsulation.encapsulated)
        serverShare.append(contentsOf: x25519Key.publicKey.rawRepresentation)
        var secret = encapsulation.sharedSecret.withUnsafeBytes { Array($0) }
        secret.append(contentsOf: x25519Secret)
        return (serverShare, secret)
    }

    static func isAllZero(_ bytes: [UInt8]) -> Bool {
        var accumulator: UInt8 = 0
        for byte in bytes { accumulator |= byte }  // no early exit: the secret should not leak through timing
        return accumulator == 0
    }
}

// MARK: Client key shares

struct X25519KeyShare: KeyShareSecret {
    let privateKey: Curve25519.KeyAgreement.PrivateKey
    var group: NamedGroup { .x25519 }
    var publicShare: [UInt8] { Array(privateKey.publicKey.rawRepresentation) }

    func sharedSecret(serverShare: [UInt8]) throws(TLSError) -> [UInt8] {
        try KeyExchange.x25519Agreement(privateKey, peerShare: serverShare)
    }
}

struct P256KeyShare: KeyShareSecret {
    let privateKey: P256.KeyAgreement.PrivateKey
    var group: NamedGroup { .secp256r1 }
    var publicShare: [UInt8] { Array(privateKey.publicKey.x963Representation) }

    func sharedSecret(serverShare: [UInt8]) throws(TLSError) -> [UInt8] {
        try KeyExchange.p256Agreement(privateKey, peerShare: serverShare)
    }
}

struct P384KeyShare: KeyShareSecret {
    let privateKey: P384.KeyAgreement.PrivateKey
    var group: NamedGroup { .secp384r1 }
    var publicShare: [UInt8] { Array(privateKey.publicKey.x963Representation) }

    func sharedSecret(serverShare: [UInt8]) throws(TLSError) -> [UInt8] {
        try KeyExchange.p384Agreement(privateKey, peerShare: serverShare)
    }
}

struct P521KeyShare: KeyShareSecret {
    let privateKey: P521.KeyAgreement.PrivateKey
    var group: NamedGroup { .secp521r1 }
    var publicShare: [UInt8] { Array(privateKey.publicKey.x963Representation) }

    func sharedSecret(serverShare: [UInt8]) throws(TLSError) -> [UInt8] {
        try KeyExchange.p521Agreement(privateKey, peerShare: serverShare)
    }
}

struct X25519MLKEM768KeyShare: KeyShareSecret {
    let mlkemKey: MLKEM768.PrivateKey
    let x25519Key: Curve25519.KeyAgreement.PrivateKey
    let publicShare: [UInt8]

    init(mlkemKey: MLKEM768.PrivateKey, x25519Key: Curve25519.KeyAgreement.PrivateKey) {
        self.mlkemKey = mlkemKey
        self.x25519Key = x25519Key
        var share = Array(mlkemKey.publicKey.rawRepresentation)
        share.append(contentsOf: x25519Key.publicKey.rawRepresentation)
        self.publicShare = share
    }

    var group: NamedGroup { .X25519MLKEM768 }

    func sharedSecret(serverShare: [UInt8]) throws(TLSError) -> [UInt8] {
        let ciphertextLength = KeyExchange.mlkem768CiphertextLength
        guard serverShare.count == ciphertextLength + KeyExchange.x25519Length else {
            throw TLSError(.peerMisbehaved(.invalidKeyShare),
                "X25519MLKEM768 server share must be \(ciphertextLength + KeyExchange.x25519Length) bytes, "
                    + "got \(serverShare.count)")
        }
        let x25519Secret = try KeyExchange.x25519Agreement(
            x25519Key, peerShare: Array(serverShare[ciphertextLength...]))
        // Length is checked above, so a decapsulation failure is ours: internal_error per the draft.
        var secret: [UInt8]
        do {
            secret = try mlkemKey.decapsulate(serverShare[..<ciphertextLength]).withUnsafeBytes { Array($0) }
        } catch {
            throw .internalError("ML-KEM-768 decapsulation failed: \(error)")
        }
        secret.append(contentsOf: x25519Secret)
        return secret
    }
}
