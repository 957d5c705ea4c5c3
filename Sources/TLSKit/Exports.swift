// `import TLSKit` brings the engine and, on purpose, the few lower-layer types its public API names: from the
// `TLSWire` codec the protocol vocabulary (CipherSuite, NamedGroup, SignatureScheme, ProtocolVersion, AlertLevel,
// AlertDescription, TLSError, and HandshakeType / NewSessionTicket, which `TLSEvent` reports), and from `TLSCrypto`
// the seam an application may implement or pass in (SigningKey and its swift-crypto keys, CryptoProvider and
// SwiftCryptoProvider with the types their requirements name, RandomSource, SystemRandomSource).
//
// Those are the only `public` declarations left in TLSWire and TLSCrypto. Everything else there — handshake message
// structures, extensions, ByteReader/ByteWriter, … — is `package`: visible to this package's targets and tests,
// invisible to code that depends on TLSKit. Making one of them public again makes it TLSKit API; do it on purpose.
@_exported import TLSCrypto
@_exported import TLSWire
