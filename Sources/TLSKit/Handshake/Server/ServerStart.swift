import Foundation

/// The server before (and, after a HelloRetryRequest, between) ClientHellos.
struct ServerStart {
    /// The server's configuration, carried through every server state (a client state has none).
    let configuration: TLSServerConfiguration
    /// Set once we sent a HelloRetryRequest: what it fixed, and the transcript so far (message_hash(CH1) + HRR).
    var helloRetry: ServerHelloRetry?
}

struct ServerHelloRetry {
    var suite: TLS13SuiteParameters
    var group: NamedGroup
    var transcript: Transcript
    var cookie: [UInt8]?
    var sentChangeCipherSpec: Bool
}


/// The server's hello phase: before (and, after a HelloRetryRequest, between) ClientHellos.
extension ServerStart {
    /// The version negotiation (RFC 8446 §4.2.1, §D.5; RFC 7507): the ClientHello goes to the TLS 1.3 or TLS 1.2
    /// server, or is refused.
    func handle(_ hello: ClientHello, raw: [UInt8], io: any HandshakePort) throws(TLSError) -> HandshakeState {
        let common = io.common
        let extensions = hello.extensions
        let start = self

        // RFC 8446 §D.5: a ClientHello with legacy_version 0x0300 or less is protocol_version, whatever it offers.
        guard hello.legacyVersion.rawValue > 0x0300 else {
            throw TLSError(.peerIncompatible(.noCommonVersion), "ClientHello legacy_version is \(hello.legacyVersion)")
        }
        // Version negotiation (RFC 8446 §4.2.1; RFC 7507 for the fallback signal). Without supported_versions the
        // client speaks every version from TLS 1.0 up to its legacy_version (RFC 5246 §E.1).
        let clientVersions = extensions.supportedVersionsClient
            ?? [ProtocolVersion.tls12, .tls11, .tls10].filter { $0 <= hello.legacyVersion }
        if start.helloRetry == nil {
            let known = clientVersions.filter { $0 >= .tls10 && $0 <= .tls13 }
            if hello.cipherSuites.contains(.TLS_FALLBACK_SCSV), let clientMax = known.max(), clientMax < common.maximumVersion {
                throw TLSError(.peerIncompatible(.inappropriateFallback), "the client signals a fallback to \(clientMax), but we support \(common.maximumVersion)")
            }
            if !(clientVersions.contains(.tls13) && common.maximumVersion >= .tls13) {
                if clientVersions.contains(.tls12), common.minimumVersion <= .tls12, common.maximumVersion >= .tls12 {
                    return .server12(try Server12State.start(hello, raw: raw, configuration: configuration, io: io))
                }
                // TLS 1.1/1.0: the TLS 1.2 server parameterised by version, only with the insecure opt-in.
                if common.legacyVersionsEnabled, let version = [ProtocolVersion.tls11, .tls10].first(where: {
                    clientVersions.contains($0) && $0 >= common.minimumVersion && $0 <= common.maximumVersion
                }) {
                    if case .required = configuration.clientAuthentication {
                        throw TLSError(.peerIncompatible(.noCommonVersion), "\(version) client authentication is not supported")
                    }
                    return .server12(try Server12State.start(hello, raw: raw, configuration: configuration, version: version, io: io))
                }
                throw TLSError(.peerIncompatible(.noCommonVersion), "no protocol version in common (the client offers \(clientVersions))")
            }
        }
        guard let versions = extensions.supportedVersionsClient, versions.contains(.tls13) else {
            throw TLSError(.peerIncompatible(.noCommonVersion), "the client does not offer TLSv1.3")
        }
        return try Server13State.start(hello, raw: raw, start: start, io: io)
    }
}
