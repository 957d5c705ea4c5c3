import Foundation

/// A problem loading certificates, private keys or trust roots from configuration.
///
/// These are local configuration errors raised before any connection exists, so they are not TLS alerts.
/// `description` is one line that names the file (or in-memory source) and what was wrong with it.
public struct CertificateLoadingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case fileNotFound
        case unreadableFile
        case noCertificates
        case malformedCertificate
        case malformedPrivateKey
        case encryptedPrivateKey
        case unsupportedKeyType
        case unsupportedKeySize
        case keyMismatch
        case noTrustRoots
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    static func fileNotFound(_ path: String) -> Self { Self(.fileNotFound, "file not found: \(path)") }
    static func unreadable(_ path: String) -> Self { Self(.unreadableFile, "cannot read file: \(path)") }
}

/// Where loaded bytes came from, for error messages.
enum LoadSource {
    static let pemString = "<PEM string>"
    static let derBytes = "<DER bytes>"
}

/// File access shared by the certificate and key loaders.
enum FileLoader {
    static func read(_ path: String) throws(CertificateLoadingError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw .fileNotFound(path)
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        return Array(data)
    }

    enum Encoding {
        case pem(String)
        case der([UInt8])
        /// Neither: text without a BEGIN marker, or an empty file.
        case unknown
    }

    /// PEM when the bytes are text containing a BEGIN marker; DER when they start like an ASN.1 SEQUENCE.
    static func encoding(of bytes: [UInt8]) -> Encoding {
        if let text = String(validating: bytes, as: UTF8.self), text.contains("-----BEGIN ") { return .pem(text) }
        if bytes.first == 0x30 { return .der(bytes) }
        return .unknown
    }
}

/// Error text from swift-asn1 / swift-certificates, kept to one line.
func oneLine(_ error: any Error) -> String {
    String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
}
