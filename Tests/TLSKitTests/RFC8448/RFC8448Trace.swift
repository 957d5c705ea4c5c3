import Foundation
import XCTest

/// The RFC 8448 document, parsed into its trace steps.
///
/// Each section ("3.  Simple 1-RTT Handshake", …) is a list of steps such as
/// `{client}  construct a ClientHello handshake message:`, each with labelled hex blocks such as
/// `ClientHello (196 octets):  01 00 00 c0 …`. Hex blocks may be interrupted by the RFC's page breaks
/// (footer "Thomson … [Page N]", header "RFC 8448 … January 2019", blank lines); those are skipped.
struct RFC8448Trace {
    struct Block {
        var label: String
        var bytes: [UInt8]
    }

    struct Step {
        var role: String      // "client" or "server"
        var action: String    // first line of the step, without the trailing ':'
        var blocks: [Block]
        var line: Int
    }

    struct Section {
        var number: Int
        var title: String
        var steps: [Step]

        /// The bytes labelled `label` in the `occurrence`-th step of `role` whose action starts with `action`.
        func bytes(_ role: String, _ action: String, _ label: String, occurrence: Int = 0,
                   file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
            // Steps that only say "(same as server)" carry no blocks; they are skipped.
            let matching = steps.filter { step in
                step.role == role && step.action.hasPrefix(action) && step.blocks.contains { $0.label == label }
            }
            guard occurrence < matching.count else {
                XCTFail("§\(number): no step #\(occurrence) {\(role)} \"\(action)\" with \"\(label)\"", file: file, line: line)
                throw TraceError.missing("\(role) \(action) #\(occurrence)")
            }
            return matching[occurrence].blocks.first { $0.label == label }!.bytes
        }
    }

    enum TraceError: Error {
        case missing(String)
        case malformed(String)
    }

    let sections: [Int: Section]

    func section(_ number: Int) throws -> Section {
        guard let section = sections[number] else { throw TraceError.missing("section \(number)") }
        return section
    }

    /// The copy of RFC 8448 shipped as a test resource.
    static func load() throws -> RFC8448Trace {
        guard let url = Bundle.module.url(forResource: "rfc8448", withExtension: "txt") else {
            throw TraceError.missing("rfc8448.txt resource")
        }
        return try RFC8448Trace(text: String(contentsOf: url, encoding: .utf8))
    }

    init(text: String) throws {
        var sections: [Int: Section] = [:]
        var section: Section?
        var step: Step?
        // The block being filled: label, expected length, bytes so far.
        var open: (label: String, length: Int, bytes: [UInt8])?

        func closeStep() {
            if let done = step { section?.steps.append(done) }
            step = nil
        }
        func closeSection() {
            closeStep()
            if let done = section { sections[done.number] = done }
            section = nil
        }

        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\u{0C}", with: "")
            let lineNumber = index + 1

            if var current = open {
                // Inside a hex block: page-break lines and blank lines are skipped, hex lines are appended.
                if line.trimmingCharacters(in: .whitespaces).isEmpty || Self.isPageBreak(line) { continue }
                guard let bytes = Self.hexLine(line) else {
                    throw TraceError.malformed("line \(lineNumber): block \"\(current.label)\" ends after \(current.bytes.count) of \(current.length) octets")
                }
                current.bytes += bytes
                guard current.bytes.count <= current.length else {
                    throw TraceError.malformed("line \(lineNumber): block \"\(current.label)\" exceeds \(current.length) octets")
                }
                if current.bytes.count == current.length {
                    step?.blocks.append(Block(label: current.label, bytes: current.bytes))
                    open = nil
                } else {
                    open = current
                }
                continue
            }

            if let heading = Self.sectionHeading(line) {
                closeSection()
                section = Section(number: heading.number, title: heading.title, steps: [])
                continue
            }
            if line.hasPrefix("   {"), let close = line.firstIndex(of: "}") {
                closeStep()
                let role = String(line[line.index(line.startIndex, offsetBy: 4)..<close])
                var action = line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)
                if action.hasSuffix(":") { action.removeLast() }
                step = Step(role: role, action: action, blocks: [], line: lineNumber)
                continue
            }
            // "      label (N octets):  hex…" (or "(empty)" for zero octets).
            if step != nil, line.hasPrefix("      "), let block = Self.blockStart(line) {
                if block.bytes.count == block.length {
                    step?.blocks.append(Block(label: block.label, bytes: block.bytes))
                } else {
                    open = block
                }
            }
        }
        if let open { throw TraceError.malformed("document ends inside block \"\(open.label)\"") }
        closeSection()
        self.sections = sections
    }

    private static func isPageBreak(_ line: String) -> Bool {
        (line.hasPrefix("Thomson ") && line.contains("[Page ")) || (line.hasPrefix("RFC 8448 ") && line.hasSuffix("January 2019"))
    }

    private static func sectionHeading(_ line: String) -> (number: Int, title: String)? {
        guard let dot = line.firstIndex(of: "."), let number = Int(line[..<dot]) else { return nil }
        let rest = line[line.index(after: dot)...]
        guard rest.hasPrefix("  ") else { return nil }
        return (number, rest.trimmingCharacters(in: .whitespaces))
    }

    private static func blockStart(_ line: String) -> (label: String, length: Int, bytes: [UInt8])? {
        guard let marker = line.range(of: " octets):") else { return nil }
        let head = line[..<marker.lowerBound]
        guard let paren = head.lastIndex(of: "("), let length = Int(head[head.index(after: paren)...]) else { return nil }
        let label = head[..<paren].trimmingCharacters(in: .whitespaces)
        let tail = line[marker.upperBound...].trimmingCharacters(in: .whitespaces)
        if tail == "(empty)" { return (label, length, []) }
        guard let bytes = hexLine(tail) else { return nil }
        return (label, length, bytes)
    }

    /// Parses a line made only of space-separated two-digit hex octets.
    private static func hexLine(_ line: String) -> [UInt8]? {
        let tokens = line.split(separator: " ")
        guard !tokens.isEmpty else { return nil }
        var out: [UInt8] = []
        for token in tokens {
            guard token.count == 2, let byte = UInt8(token, radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}
