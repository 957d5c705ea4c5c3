// Extension bodies (RFC 8446 §4.2 and the RFCs that define the legacy extensions).
// Decoding is context dependent: the same extension type has different bodies in different
// messages. Every body must be consumed exactly, and encoding writes the canonical form, so a
// decoded extension re-encodes byte-identically (see `decodeBody` for the few exceptions).

extension Extension {
    /// Writes extension_type, the 2-byte length and the body.
    package func encode(into writer: inout ByteWriter) {
        writer.writeUInt16(type.rawValue)
        writer.writeVector16 { body in encodeBody(into: &body) }
    }

    /// Writes an extension block: `Extension extensions<0..2^16-1>`.
    package static func encodeList(_ extensions: [Extension], into writer: inout ByteWriter) {
        writer.writeVector16 { block in
            for ext in extensions { ext.encode(into: &block) }
        }
    }

    /// Writes only the extension_data (no type, no length).
    package func encodeBody(into w: inout ByteWriter) {
        switch self {
        case .serverName(let name):
            // nil is the empty body servers send to acknowledge SNI.
            guard let name else { return }
            w.writeVector16 { list in
                list.writeUInt8(0)  // host_name
                list.writeVector16(bytes: Array(name.utf8))
            }
        case .supportedGroups(let groups):
            w.writeVector16 { for g in groups { $0.writeUInt16(g.rawValue) } }
        case .signatureAlgorithms(let schemes), .signatureAlgorithmsCert(let schemes):
            w.writeVector16 { for s in schemes { $0.writeUInt16(s.rawValue) } }
        case .alpn(let names):
            w.writeVector16 { list in for n in names { list.writeVector8(bytes: n) } }
        case .supportedVersionsClient(let versions):
            w.writeVector8 { for v in versions { $0.writeUInt16(v.rawValue) } }
        case .supportedVersionsServer(let version):
            w.writeUInt16(version.rawValue)
        case .keyShareClient(let entries):
            w.writeVector16 { list in for e in entries { e.encode(into: &list) } }
        case .keyShareServer(let entry):
            entry.encode(into: &w)
        case .keyShareHelloRetryRequest(let group):
            w.writeUInt16(group.rawValue)
        case .cookie(let cookie):
            w.writeVector16(bytes: cookie)
        case .pskKeyExchangeModes(let modes):
            w.writeVector8(bytes: modes)
        case .preSharedKeyClient(let identities, let binders):
            w.writeVector16 { list in
                for id in identities {
                    list.writeVector16(bytes: id.identity)
                    list.writeUInt32(id.obfuscatedTicketAge)
                }
            }
            w.writeVector16 { list in for b in binders { list.writeVector8(bytes: b) } }
        case .preSharedKeyServer(let selected):
            w.writeUInt16(selected)
        case .earlyData(let maxSize):
            if let maxSize { w.writeUInt32(maxSize) }
        case .recordSizeLimit(let limit):
            w.writeUInt16(limit)
        case .renegotiationInfo(let info):
            w.writeVector8(bytes: info)
        case .extendedMasterSecret, .postHandshakeAuth:
            break
        case .sessionTicket(let body), .statusRequest(let body), .unknown(_, let body):
            w.writeBytes(body)
        case .ecPointFormats(let formats):
            w.writeVector8(bytes: formats)
        case .certificateAuthorities(let names):
            w.writeVector16 { list in for dn in names { list.writeVector16(bytes: dn) } }
        case .padding(let count):
            w.writeBytes(repeatElement(UInt8(0), count: max(0, count)))
        }
    }

    /// Reads an extension block (`Extension extensions<0..2^16-1>`) from `reader`.
    ///
    /// - Duplicate extension types in one block: illegal_parameter (RFC 8446 §4.2).
    /// - Unknown types, GREASE included, become `.unknown(type, body)`.
    /// - In a ClientHello, pre_shared_key must be the last extension: illegal_parameter (§4.2.11).
    package static func decodeList(_ reader: inout ByteReader, context: ExtensionContext) throws(TLSError) -> [Extension] {
        var block = try reader.readVector16Reader()
        var seen = Set<UInt16>()
        var result: [Extension] = []
        while !block.isEmpty {
            let type = ExtensionType(rawValue: try block.readUInt16())
            let body = try block.readVector16()
            guard seen.insert(type.rawValue).inserted else {
                throw TLSError(.peerMisbehaved(.duplicateExtension), "duplicate extension \(type)")
            }
            let ext = try decode(type: type, body: body, context: context)
            if type == .preSharedKey, context == .clientHello, !block.isEmpty {
                throw TLSError(.peerMisbehaved(.pskExtensionNotLast), "pre_shared_key is not the last extension in ClientHello")
            }
            result.append(ext)
        }
        return result
    }

    /// Decodes one extension_data for `type` as it appears in `context`.
    ///
    /// Context-dependent types (supported_versions, key_share, pre_shared_key, early_data) in a
    /// message that does not define them are kept as `.unknown(type, body)`: their `type` still
    /// names the real extension, so the engine can reject them as not permitted there.
    package static func decode(type: ExtensionType, body: [UInt8], context: ExtensionContext) throws(TLSError) -> Extension {
        var r = ByteReader(body)
        let ext = try decodeBody(type: type, reader: &r, body: body, context: context)
        try r.expectEmpty("extension \(type)")
        return ext
    }

    private static func decodeBody(type: ExtensionType, reader r: inout ByteReader, body: [UInt8],
                                   context: ExtensionContext) throws(TLSError) -> Extension {
        switch type {
        case .serverName:
            guard context == .clientHello else {
                // Servers acknowledge SNI with an empty extension_data.
                guard body.isEmpty else { throw .decode("server_name: non-empty body outside ClientHello") }
                return .serverName(nil)
            }
            // A list without a host_name cannot be re-encoded as `.serverName`: keep it raw.
            guard let host = try decodeServerNameList(&r) else { return .unknown(type, body) }
            return .serverName(host)

        case .supportedGroups:
            return .supportedGroups(try readUInt16List(&r, name: "supported_groups").map { NamedGroup(rawValue: $0) })

        case .signatureAlgorithms:
            return .signatureAlgorithms(try readUInt16List(&r, name: "signature_algorithms").map { SignatureScheme(rawValue: $0) })

        case .signatureAlgorithmsCert:
            return .signatureAlgorithmsCert(try readUInt16List(&r, name: "signature_algorithms_cert").map { SignatureScheme(rawValue: $0) })

        case .alpn:
            // RFC 7301: ProtocolName protocol_name_list<2..2^16-1>; ProtocolName<1..2^8-1>.
            var list = try r.readVector16Reader(minimum: 1)
            var names: [[UInt8]] = []
            while !list.isEmpty { names.append(try list.readVector8(minimum: 1)) }
            return .alpn(names)

        case .supportedVersions:
            switch context {
            case .clientHello:
                // ProtocolVersion versions<2..254>
                var list = try r.readVector8Reader(minimum: 2)
                guard list.remaining % 2 == 0 else { throw .decode("supported_versions: odd length") }
                var versions: [ProtocolVersion] = []
                while !list.isEmpty { versions.append(ProtocolVersion(rawValue: try list.readUInt16())) }
                return .supportedVersionsClient(versions)
            case .serverHello, .helloRetryRequest:
                return .supportedVersionsServer(ProtocolVersion(rawValue: try r.readUInt16()))
            default:
                return .unknown(type, r.readRest())
            }

        case .keyShare:
            switch context {
            case .clientHello:
                // client_shares<0..2^16-1>: may be empty (the client asks for an HRR).
                var list = try r.readVector16Reader()
                var entries: [KeyShareEntry] = []
                var groups = Set<UInt16>()
                while !list.isEmpty {
                    let entry = try KeyShareEntry(decoding: &list)
                    // §4.2.8: at most one share per group; servers MAY abort with illegal_parameter.
                    guard groups.insert(entry.group.rawValue).inserted else {
                        throw TLSError(.peerMisbehaved(.duplicateKeyShare), "key_share: two shares for \(entry.group)")
                    }
                    entries.append(entry)
                }
                return .keyShareClient(entries)
            case .serverHello:
                return .keyShareServer(try KeyShareEntry(decoding: &r))
            case .helloRetryRequest:
                return .keyShareHelloRetryRequest(NamedGroup(rawValue: try r.readUInt16()))
            default:
                return .unknown(type, r.readRest())
            }

        case .cookie:
            return .cookie(try r.readVector16(minimum: 1))

        case .pskKeyExchangeModes:
            return .pskKeyExchangeModes(try r.readVector8(minimum: 1))

        case .preSharedKey:
            switch context {
            case .clientHello:
                return try decodeOfferedPSKs(&r)
            case .serverHello:
                return .preSharedKeyServer(selectedIdentity: try r.readUInt16())
            default:
                return .unknown(type, r.readRest())
            }

        case .earlyData:
            switch context {
            case .clientHello, .encryptedExtensions:
                return .earlyData(maxEarlyDataSize: nil)   // body must be empty: checked by the caller
            case .newSessionTicket:
                return .earlyData(maxEarlyDataSize: try r.readUInt32())
            default:
                return .unknown(type, r.readRest())
            }

        case .recordSizeLimit:
            return .recordSizeLimit(try r.readUInt16())

        case .renegotiationInfo:
            return .renegotiationInfo(try r.readVector8())

        case .extendedMasterSecret:
            return .extendedMasterSecret

        case .postHandshakeAuth:
            return .postHandshakeAuth

        case .sessionTicket:
            return .sessionTicket(r.readRest())

        case .statusRequest:
            return .statusRequest(r.readRest())

        case .ecPointFormats:
            return .ecPointFormats(try r.readVector8(minimum: 1))

        case .certificateAuthorities:
            // DistinguishedName authorities<3..2^16-1>; DistinguishedName<1..2^16-1>.
            var list = try r.readVector16Reader(minimum: 1)
            var names: [[UInt8]] = []
            while !list.isEmpty { names.append(try list.readVector16(minimum: 1)) }
            return .certificateAuthorities(names)

        case .padding:
            // RFC 7685 says zeros, but receivers must not care. Non-zero padding is kept raw so
            // that re-encoding still reproduces the peer's bytes.
            let bytes = r.readRest()
            return bytes.allSatisfy { $0 == 0 } ? .padding(bytes.count) : .unknown(type, bytes)

        default:
            return .unknown(type, r.readRest())
        }
    }

    /// RFC 6066 §3 ServerNameList. Only host_name (0) is understood; the first one is returned
    /// (a list naming several is not re-encoded byte-identically, RFC 6066 forbids it anyway).
    private static func decodeServerNameList(_ r: inout ByteReader) throws(TLSError) -> String? {
        var list = try r.readVector16Reader(minimum: 1)
        var hostName: String?
        while !list.isEmpty {
            let nameType = try list.readUInt8()
            // Every name type defined so far is a vector16, so unknown types can be skipped.
            let name = try list.readVector16()
            guard nameType == 0, hostName == nil else { continue }
            guard !name.isEmpty else { throw .decode("server_name: empty host name") }
            // HostName is ASCII (RFC 6066); refusing NUL and 8-bit bytes also makes the String exact.
            guard name.allSatisfy({ $0 != 0 && $0 < 0x80 }) else {
                throw .decode("server_name: host name is not ASCII")
            }
            hostName = String(decoding: name, as: UTF8.self)
        }
        return hostName
    }

    /// RFC 8446 §4.2.11 OfferedPsks.
    private static func decodeOfferedPSKs(_ r: inout ByteReader) throws(TLSError) -> Extension {
        // PskIdentity identities<7..2^16-1>
        var idList = try r.readVector16Reader(minimum: 7)
        var identities: [PSKIdentity] = []
        while !idList.isEmpty {
            let identity = try idList.readVector16(minimum: 1)
            let age = try idList.readUInt32()
            identities.append(PSKIdentity(identity: identity, obfuscatedTicketAge: age))
        }
        // PskBinderEntry binders<33..2^16-1>; PskBinderEntry<32..255>
        var binderList = try r.readVector16Reader(minimum: 33)
        var binders: [[UInt8]] = []
        while !binderList.isEmpty { binders.append(try binderList.readVector8(minimum: 32)) }
        guard identities.count == binders.count else {
            throw .decode("pre_shared_key: \(identities.count) identities but \(binders.count) binders")
        }
        return .preSharedKeyClient(identities: identities, binders: binders)
    }

    /// A non-empty, even-length vector16 of UInt16 (supported_groups, signature_algorithms).
    private static func readUInt16List(_ r: inout ByteReader, name: String) throws(TLSError) -> [UInt16] {
        var list = try r.readVector16Reader(minimum: 2)
        guard list.remaining % 2 == 0 else { throw .decode("\(name): odd length") }
        var values: [UInt16] = []
        values.reserveCapacity(list.remaining / 2)
        while !list.isEmpty { values.append(try list.readUInt16()) }
        return values
    }
}

extension KeyShareEntry {
    /// `NamedGroup group; opaque key_exchange<1..2^16-1>;`
    package init(decoding reader: inout ByteReader) throws(TLSError) {
        let group = NamedGroup(rawValue: try reader.readUInt16())
        let keyExchange = try reader.readVector16(minimum: 1)
        self.init(group: group, keyExchange: keyExchange)
    }

    package func encode(into writer: inout ByteWriter) {
        writer.writeUInt16(group.rawValue)
        writer.writeVector16(bytes: keyExchange)
    }
}
