import TLSKit

/// Target (b): a server engine fed an arbitrary client byte stream. Byte 0 picks the server variant
/// (`FuzzFixtures.ServerVariant`), byte 1 the chunk size (0: the whole stream at once), the rest is what the client
/// sent. Randomness, clock and ticket keys are fixed and verification completes at once, so a recorded client
/// stream (the seeds) replays a whole handshake. The only acceptable failure is a thrown TLSError.
public enum ServerEngineTarget {
    public static func run(_ data: [UInt8]) -> String? {
        replay(data).finding
    }

    /// Whether `data` takes the server through a whole handshake without a finding (checks the seeds).
    public static func completesHandshake(_ data: [UInt8]) -> Bool {
        let (server, finding) = replay(data)
        return finding == nil && server?.isHandshakeComplete == true && server?.failure == nil
    }

    /// The cause of the error that ended the server on `data`, if any (checks the seeds that stop early).
    public static func failureCause(_ data: [UInt8]) -> TLSError.Cause? {
        replay(data).server?.failure?.cause
    }

    static func replay(_ data: [UInt8]) -> (server: TLSConnection?, finding: String?) {
        guard data.count >= 2 else { return (nil, nil) }
        let variant = FuzzFixtures.ServerVariant(rawValue: data[0] & FuzzFixtures.ServerVariant.mask)
        let server: TLSConnection
        do {
            server = try TLSConnection(server: FuzzFixtures.serverConfiguration(variant))
        } catch {
            return (nil, "server configuration rejected: \(error)")
        }
        return (server, FuzzFixtures.feed(server, data.dropFirst(2), chunk: Int(data[1])))
    }
}
