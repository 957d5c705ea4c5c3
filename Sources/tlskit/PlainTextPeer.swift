import NIOConcurrencyHelpers
import NIOCore
import TLSKit

/// Sits below the TLS handler and keeps the first bytes the server sent, so that a failed handshake can say "the peer
/// spoke plain HTTP" instead of "record of unknown content type 72". The bytes pass through untouched.
final class FirstBytesRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Enough for "HTTP/1.1 400 Bad Request" or an SSH banner.
    static let keep = 32
    private let box = NIOLockedValueBox<[UInt8]>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        box.withLockedValue { bytes in
            if bytes.count < Self.keep { bytes += buffer.readableBytesView.prefix(Self.keep - bytes.count) }
        }
        context.fireChannelRead(data)
    }

    /// The first bytes received (at most `keep`).
    var firstBytes: [UInt8] { box.withLockedValue { $0 } }
}

enum PlainTextPeer {
    /// What a peer that did not answer with TLS sent, in words, or nil when its first byte could start a TLS record.
    static func describe(_ bytes: [UInt8]) -> String? {
        guard let first = bytes.first, ContentType(rawValue: first) == nil else { return nil }
        let printable = bytes.prefix(while: { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 })
        let text = String(decoding: printable, as: UTF8.self)
        // Only call it text when it starts with a readable run; binary garbage keeps the engine's own message.
        guard printable.count >= 4 else { return nil }
        let quoted = "\"\(text.prefix(24))\(text.count > 24 ? "…" : "")\""
        let lowered = text.lowercased()
        if text.hasPrefix("HTTP/") || lowered.hasPrefix("<!doctype html") || lowered.hasPrefix("<html") {
            return "the peer spoke plain HTTP (it answered \(quoted)), not TLS: is this an http:// port?"
        }
        if text.hasPrefix("SSH-") { return "the peer spoke SSH (\(quoted)), not TLS" }
        if text.hasPrefix("220 ") || text.hasPrefix("220-") || text.hasPrefix("+OK") || text.hasPrefix("* OK") {
            return "the peer sent a plain-text greeting (\(quoted)), not TLS: a mail protocol that needs STARTTLS?"
        }
        return "the peer answered in plain text (\(quoted)), not TLS"
    }
}
