import ArgumentParser
import Foundation
import LabcheckGit
import LabcheckCore

/// The root command: `labcheck` alone runs `check` on the staged snapshot.
struct Labcheck: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "labcheck",
        abstract: "Checks lab pipeline repositories at commit time: stage files, strict keys, import boundaries.",
        discussion: """
        Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage or configuration \
        error (including LC001/LC002), 3 git or internal failure (including an index with \
        unmerged entries).
        """,
        version: version,
        subcommands: [CheckCommand.self, StatusCommand.self, GraphCommand.self, RenderCommand.self, ConvertCommand.self, ExplainCommand.self, RulesCommand.self,
                      DemoCommand.self, InstallHookCommand.self, UninstallHookCommand.self, DebugCommand.self],
        defaultSubcommand: CheckCommand.self
    )
}

/// A failure that ends the run with a specific exit code and message.
struct CommandFailure: Error {
    let exitCode: Int32
    let message: String
}

/// The documented exit codes.
enum ExitStatus {
    static let clean: Int32 = 0
    static let findings: Int32 = 1
    static let usage: Int32 = 2
    static let gitOrInternal: Int32 = 3
}

/// What the process does before it parses its arguments.
enum LaunchPlan {
    /// Subcommands that never open a repository: they do not start libgit2 at all.
    static let withoutRepository: Set<String> = ["explain", "install-hook", "uninstall-hook", "demo", "debug", "help"]

    /// Whether the command line will open a repository, so that starting libgit2 in the
    /// background pays off. A wrong guess costs time, never correctness: libgit2 is initialised
    /// on first use anyway, and exit waits for a background start.
    static func opensRepository(_ arguments: [String]) -> Bool {
        let rest = arguments.dropFirst()
        if rest.contains(where: { $0 == "--version" || $0 == "--help" || $0 == "-h" }) { return false }
        guard let first = rest.first(where: { !$0.hasPrefix("-") }) else { return true }   // `labcheck [--options]` is `check`
        return !withoutRepository.contains(first)
    }
}

extension LaunchPlan {
    /// Parses the command line. `labcheck check ARGS` (what a hook runs) is parsed by
    /// `CheckCommand` alone: the root's parse first reflects over every subcommand's arguments
    /// (~1.5 ms of a run that takes ~20 ms in all when nothing is staged). Anything else, a help or
    /// completion request, or arguments `CheckCommand` rejects, goes through the root's parse,
    /// which is what decides the result and prints its errors: the same command line gives the
    /// same command either way (ArgumentParser's own parser in both, tested).
    static func parse(_ arguments: [String]) throws -> ParsableCommand {
        if arguments.first == "check", !arguments.contains(where: asksForHelp),
           let command = try? CheckCommand.parse(Array(arguments.dropFirst())) {
            return command
        }
        return try Labcheck.parseAsRoot(arguments)
    }

    /// The command lines a hook or CI job runs, taken without ArgumentParser: `labcheck`, or
    /// `labcheck check` with any of `--staged --all --no-cache --strict --new-only --exit-zero
    /// -v/--verbose`, each at most once. ArgumentParser builds a command's arguments by
    /// reflecting over its properties at every start (~3 ms of a run that takes 20 ms when
    /// nothing is staged); these flags need none of it. Anything else (nil here) goes through
    /// `parse`. `labcheck debug launch ARGS` prints both ways' settings (tested equal).
    static func preparsedCheck(_ arguments: [String]) -> CheckSettings? {
        var settings = CheckSettings()
        guard arguments.first == "check" else { return arguments.isEmpty ? settings : nil }
        var seen = Set<String>()
        for argument in arguments.dropFirst() {
            let flag = argument == "-v" ? "--verbose" : argument
            guard seen.insert(flag).inserted else { return nil }
            switch flag {
            case "--staged": settings.request.mode = .staged
            case "--all": settings.request.all = true
            case "--no-cache": settings.noCache = true
            case "--strict": settings.strict = true
            case "--new-only": settings.newOnly = true
            case "--exit-zero": settings.exitZero = true
            case "--verbose": settings.output.verbose = true
            default: return nil
            }
        }
        return settings
    }

    /// Arguments ArgumentParser answers itself (help, version, completion scripts).
    private static func asksForHelp(_ argument: String) -> Bool {
        argument == "-h" || argument == "--help" || argument == "help" || argument == "--version"
            || argument.hasPrefix("--generate-completion-script") || argument.hasPrefix("---completion") || argument == "--experimental-dump-help"
    }
}

/// The one way the process ends.
enum ProcessExit {
    /// Flushes every output stream, waits for a background libgit2 start to finish (exiting
    /// during it corrupts the heap), and exits with `code` without freeing what the run built.
    /// A kept graph still being read ahead that the run did not need is not waited for: the
    /// process ends at once (`_exit`: the C library's exit handlers, OpenSSL's cleanup among
    /// them, do not run under the reading thread; everything labcheck writes is written and
    /// flushed by then, and the read writes nothing but a kept file's time).
    static func now(_ code: Int32) -> Never {
        fflush(nil)
        LibGit2.finishBackgroundStart()
        LazyWork.pending.wait()   // values computed on other threads (`Lazy.start()`)
        if GraphPrefetch.reads.wait(timeout: .now()) == .timedOut { Glibc._exit(code) }
        Foundation.exit(code)
    }

    /// What a run built and nothing reads again, held until `now` exits: freeing a large lab
    /// file's document node by node took ~6 % of a cold check, and exit frees it at once.
    static func keep(_ value: any Sendable) {
        kept.lock.lock()
        kept.values.append(value)
        kept.lock.unlock()
    }

    private final class Kept: @unchecked Sendable {   // `values` only under `lock`
        let lock = NSLock()
        var values: [any Sendable] = []
    }
    private static let kept = Kept()
}
