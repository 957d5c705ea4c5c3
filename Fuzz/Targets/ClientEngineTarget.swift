import TLSKit

/// Target (c): a client engine fed an arbitrary server byte stream after its ClientHello. Byte 0 picks the client
/// variant (`FuzzFixtures.ClientVariant`), byte 1 the chunk size (0: all at once), the rest is what the server sent.
/// The client's randomness and clock are fixed, so a recorded server stream (the seeds) replays a whole handshake.
public enum ClientEngineTarget {
    public static func run(_ data: [UInt8]) -> String? {
        replay(data).finding
    }

    /// Whether `data` takes the client through a whole handshake without a finding (checks the seeds).
    public static func completesHandshake(_ data: [UInt8]) -> Bool {
        let (client, finding) = replay(data)
        return finding == nil && client?.isHandshakeComplete == true && client?.failure == nil
    }

    static func replay(_ data: [UInt8]) -> (client: TLSConnection?, finding: String?) {
        guard data.count >= 2 else { return (nil, nil) }
        let variant = FuzzFixtures.ClientVariant(rawValue: data[0] & FuzzFixtures.ClientVariant.mask)
        let client: TLSConnection
        do {
            client = try TLSConnection(client: FuzzFixtures.clientConfiguration(variant), serverName: FuzzFixtures.serverName)
        } catch {
            return (nil, "client configuration rejected: \(error)")
        }
        _ = client.takeOutput()   // the ClientHello
        return (client, FuzzFixtures.feed(client, data.dropFirst(2), chunk: Int(data[1])))
    }
}
