import Foundation
import SwiftASN1
import X509

/// A certificate chain to present to the peer: the leaf first, then any intermediates.
///
/// The DER bytes are kept alongside the parsed certificates so the handshake sends exactly what was loaded.
public struct CertificateChain: Sendable, Hashable {
    public let certificates: [Certificate]
    public let derEncoded: [[UInt8]]

    public var leaf: Certificate? { certificates.first }

    /// Reads a PEM bundle (one or more CERTIFICATE blocks, leaf first) or, when the file is not PEM, one DER certificate.
    public init(pemFile path: String) throws(CertificateLoadingError) {
        switch FileLoader.encoding(of: try FileLoader.read(path)) {
        case .pem(let text): try self.init(pemText: text, source: path)
        case .der(let bytes): try self.init(derBytes: [bytes], source: path)
        case .unknown: throw CertificateLoadingError(.noCertificates, "no PEM certificate blocks in \(path)")
        }
    }

    /// Parses a PEM string with one or more CERTIFICATE blocks, leaf first.
    public init(pem string: String) throws(CertificateLoadingError) {
        try self.init(pemText: string, source: LoadSource.pemString)
    }

    /// Reads one DER certificate per file, leaf first.
    public init(derFiles paths: [String]) throws(CertificateLoadingError) {
        var certificates: [Certificate] = []
        var ders: [[UInt8]] = []
        for path in paths {
            let bytes = try FileLoader.read(path)
            certificates.append(try Self.parse(bytes, source: path))
            ders.append(bytes)
        }
        try self.init(checked: certificates, ders, source: paths.first ?? LoadSource.derBytes)
    }

    /// Parses DER certificates, leaf first.
    public init(derBytes: [[UInt8]]) throws(CertificateLoadingError) {
        try self.init(derBytes: derBytes, source: LoadSource.derBytes)
    }

    /// Wraps already-parsed certificates, leaf first.
    public init(certificates: [Certificate]) throws(CertificateLoadingError) {
        var ders: [[UInt8]] = []
        for certificate in certificates {
            var serializer = DER.Serializer()
            do { try serializer.serialize(certificate) } catch {
                throw CertificateLoadingError(.malformedCertificate, "cannot encode certificate: \(oneLine(error))")
            }
            ders.append(serializer.serializedBytes)
        }
        try self.init(checked: certificates, ders, source: "<certificates>")
    }

    init(pemText: String, source: String) throws(CertificateLoadingError) {
        let blocks = try PEMBlocks.parse(pemText, source: source).filter { $0.discriminator == "CERTIFICATE" }
        guard !blocks.isEmpty else {
            throw CertificateLoadingError(.noCertificates, "no PEM certificate blocks in \(source)")
        }
        try self.init(derBytes: blocks.map(\.derBytes), source: source)
    }

    init(derBytes: [[UInt8]], source: String) throws(CertificateLoadingError) {
        var certificates: [Certificate] = []
        for der in derBytes { certificates.append(try Self.parse(der, source: source)) }
        try self.init(checked: certificates, derBytes, source: source)
    }

    private init(checked certificates: [Certificate], _ ders: [[UInt8]], source: String) throws(CertificateLoadingError) {
        guard !certificates.isEmpty else {
            throw CertificateLoadingError(.noCertificates, "no certificates in \(source)")
        }
        self.certificates = certificates
        self.derEncoded = ders
    }

    /// Test seam: a chain kept as raw DER, unparsed, for certificates swift-certificates refuses to parse (RFC 8448's
    /// 1024-bit RSA certificates: swift-crypto rejects RSA keys under 2048 bits). `certificates` stays empty; the
    /// handshake only ever sends `derEncoded`.
    init(unparsedDER: [[UInt8]]) {
        self.certificates = []
        self.derEncoded = unparsedDER
    }

    static func parse(_ der: [UInt8], source: String) throws(CertificateLoadingError) -> Certificate {
        do { return try Certificate(derEncoded: der) } catch {
            throw CertificateLoadingError(.malformedCertificate, "malformed certificate in \(source): \(oneLine(error))")
        }
    }
}

enum PEMBlocks {
    static func parse(_ text: String, source: String) throws(CertificateLoadingError) -> [PEMDocument] {
        do { return try PEMDocument.parseMultiple(pemString: text) } catch {
            throw CertificateLoadingError(.malformedCertificate, "malformed PEM in \(source): \(oneLine(error))")
        }
    }
}
