import TLSKit

/// Target (d): certificate chain and private key loading. Byte 0 picks the loader: PEM chain, DER chain (the rest
/// split in two at byte 1), PEM key, DER key; the rest is the input. Only a thrown error is acceptable.
public enum CertificateLoadingTarget {
    public static func run(_ data: [UInt8]) -> String? {
        guard let first = data.first else { return nil }
        let rest = Array(data.dropFirst())
        switch first % 4 {
        case 0:
            _ = try? CertificateChain(pem: String(decoding: rest, as: UTF8.self))
        case 1:
            guard let split = rest.first else { return nil }
            let body = rest.dropFirst()
            let cut = min(Int(split) * 8, body.count)
            let parts = [Array(body.prefix(cut)), Array(body.dropFirst(cut))].filter { !$0.isEmpty }
            _ = try? CertificateChain(derBytes: parts)
        case 2:
            _ = try? PrivateKeyLoader.load(pem: String(decoding: rest, as: UTF8.self))
        default:
            _ = try? PrivateKeyLoader.load(der: rest)
        }
        return nil
    }
}
