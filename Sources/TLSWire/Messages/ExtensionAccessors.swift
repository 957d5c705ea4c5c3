// Typed look-ups over an extension block, for the engine. Each returns nil when the extension is
// absent or present in a form that does not match (e.g. `.unknown` in the wrong context).

extension Array where Element == Extension {
    /// The extension of `type`, if present (a decoded block holds each type at most once).
    package func first(_ type: ExtensionType) -> Extension? {
        first { $0.type == type }
    }

    package func contains(_ type: ExtensionType) -> Bool {
        contains { $0.type == type }
    }

    /// The ClientHello host name (server_name).
    package var serverNameValue: String? {
        guard case .serverName(let name)? = first(.serverName) else { return nil }
        return name
    }

    package var supportedVersionsClient: [ProtocolVersion]? {
        guard case .supportedVersionsClient(let v)? = first(.supportedVersions) else { return nil }
        return v
    }

    package var supportedVersionServer: ProtocolVersion? {
        guard case .supportedVersionsServer(let v)? = first(.supportedVersions) else { return nil }
        return v
    }

    package var keyShareClient: [KeyShareEntry]? {
        guard case .keyShareClient(let e)? = first(.keyShare) else { return nil }
        return e
    }

    package var keyShareServer: KeyShareEntry? {
        guard case .keyShareServer(let e)? = first(.keyShare) else { return nil }
        return e
    }

    package var keyShareHelloRetryRequest: NamedGroup? {
        guard case .keyShareHelloRetryRequest(let g)? = first(.keyShare) else { return nil }
        return g
    }

    package var alpnProtocols: [[UInt8]]? {
        guard case .alpn(let p)? = first(.alpn) else { return nil }
        return p
    }

    package var signatureAlgorithms: [SignatureScheme]? {
        guard case .signatureAlgorithms(let s)? = first(.signatureAlgorithms) else { return nil }
        return s
    }

    package var signatureAlgorithmsCert: [SignatureScheme]? {
        guard case .signatureAlgorithmsCert(let s)? = first(.signatureAlgorithmsCert) else { return nil }
        return s
    }

    package var supportedGroups: [NamedGroup]? {
        guard case .supportedGroups(let g)? = first(.supportedGroups) else { return nil }
        return g
    }

    package var cookie: [UInt8]? {
        guard case .cookie(let c)? = first(.cookie) else { return nil }
        return c
    }

    package var pskKeyExchangeModes: [UInt8]? {
        guard case .pskKeyExchangeModes(let m)? = first(.pskKeyExchangeModes) else { return nil }
        return m
    }

    package var preSharedKeyClient: (identities: [PSKIdentity], binders: [[UInt8]])? {
        guard case .preSharedKeyClient(let ids, let binders)? = first(.preSharedKey) else { return nil }
        return (ids, binders)
    }

    package var preSharedKeySelectedIdentity: UInt16? {
        guard case .preSharedKeyServer(let i)? = first(.preSharedKey) else { return nil }
        return i
    }

    /// max_early_data_size from a NewSessionTicket early_data extension.
    package var maxEarlyDataSize: UInt32? {
        guard case .earlyData(let size)? = first(.earlyData) else { return nil }
        return size
    }

    package var recordSizeLimit: UInt16? {
        guard case .recordSizeLimit(let l)? = first(.recordSizeLimit) else { return nil }
        return l
    }

    package var certificateAuthorities: [[UInt8]]? {
        guard case .certificateAuthorities(let n)? = first(.certificateAuthorities) else { return nil }
        return n
    }
}
