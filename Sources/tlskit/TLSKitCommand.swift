import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

@main
struct TLSKitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tlskit",
        abstract: "TLS 1.3 and 1.2 test server and client built on TLSKit.",
        discussion: """
            Exit status (every command): 0 success; 1 failure at run time (cannot connect or listen, handshake or \
            certificate rejected, unclean close, verify: certificate rejected); 2 usage error (unknown option, bad \
            value, missing argument; verify: unusable input) — reported as one line plus a pointer to the \
            command's --help; 3 scan: the scan found at least one bad verdict.
            """,
        version: TLSKitCommand.version,
        subcommands: [Serve.self, Connect.self, Verify.self, Cert.self, Scan.self]
    )

    /// What `tlskit --version` prints.
    static let version = "tlskit 0.1.0-dev (TLSKit: TLS 1.3 and TLS 1.2)"

    /// ArgumentParser's usual entry point, except for usage errors: one line saying what is wrong, one line naming the
    /// --help to read (as curl does), and exit status 2 (as clap, grep and verify's unusable input do) instead of
    /// ArgumentParser's usage dump and 64.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                for line in usageErrorLines(message: message(for: error), fullMessage: fullMessage(for: error, columns: 1000)) {
                    printError(line)
                }
                Self.exit(withError: ExitCode.usageError)
            }
            exit(withError: error)
        }
    }

    /// "tlskit: error: MESSAGE" and "tlskit: try 'tlskit connect --help' for more information". The help command is
    /// the one ArgumentParser names in its usage text ("See 'tlskit connect --help' …").
    static func usageErrorLines(message: String, fullMessage: String) -> [String] {
        let first = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? "invalid usage"
        var help = "tlskit --help"
        if let start = fullMessage.range(of: "See '"),
           let end = fullMessage.range(of: "'", range: start.upperBound..<fullMessage.endIndex) {
            help = String(fullMessage[start.upperBound..<end.lowerBound])
        }
        return ["tlskit: error: \(first)", "tlskit: try '\(help)' for more information"]
    }
}

extension ExitCode {
    /// Bad options or arguments (documented in `tlskit --help` and the README).
    static let usageError = ExitCode(2)
}

/// Runs a command body so that any failure becomes one line on stderr (`tlskit: error: …`) and exit status 1,
/// never a stack trace. ArgumentParser's own exits (usage errors, --help) pass through untouched.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    // A peer that goes away must not kill us with SIGPIPE while we write to it or to a closed stdout.
    signal(SIGPIPE, SIG_IGN)
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        printError("tlskit: error: \(ErrorText.describe(error))")
        throw ExitCode.failure
    }
}
