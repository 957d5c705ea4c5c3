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
        version: TLSKitCommand.version,
        subcommands: [Serve.self, Connect.self, Verify.self]
    )

    /// What `tlskit --version` prints.
    static let version = "tlskit 0.1.0-dev (TLSKit: TLS 1.3 and TLS 1.2)"

    /// ArgumentParser's usual entry point, except that `verify` reports usage errors with exit status 2 like its
    /// other unusable input (status 1 means "verified and rejected"); other commands keep ArgumentParser's 64.
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
            if arguments.first == "verify" && exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                Self.exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
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
