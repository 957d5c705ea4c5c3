import Foundation

// MARK: - Negotiation steps shared by TLS 1.3 and TLS 1.2

extension HandshakePort {
    /// Server: our most preferred ALPN protocol the client offered (RFC 7301 §3.2); nil when either side has none.
    func selectApplicationProtocol(offered: [[UInt8]]?) throws(TLSError) -> String? {
        guard !common.applicationProtocols.isEmpty, let offered else { return nil }
        let offeredNames = offered.compactMap { String(validatingUTF8Bytes: $0) }
        guard let chosen = common.applicationProtocols.first(where: { offeredNames.contains($0) }) else {
            throw TLSError(.peerIncompatible(.noCommonApplicationProtocol), "no ALPN protocol in common (client offered \(offeredNames))")
        }
        return chosen
    }

    /// Client: the server's ALPN answer must be exactly one protocol we offered.
    func acceptedApplicationProtocol(_ names: [[UInt8]]) throws(TLSError) -> String {
        guard names.count == 1, let name = String(validatingUTF8Bytes: names[0]), common.applicationProtocols.contains(name) else {
            throw TLSError(.peerMisbehaved(.unofferedApplicationProtocol), "the server selected an ALPN protocol we did not offer")
        }
        return name
    }


}

extension TLSServerConfiguration {
    /// The identity for the client's server_name (the selector first, then the default certificate).
    func identity(for serverName: String?) throws(TLSError) -> CertifiedKey {
        guard let identity = certificateSelector?(serverName) ?? certificate else {
            throw TLSError(.peerIncompatible(.noCertificateForServerName), "no certificate for server name \(serverName ?? "(none)")")
        }
        return identity
    }
}
