import ArgumentParser
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
        subcommands: [CheckCommand.self, StatusCommand.self, RenderCommand.self, ExplainCommand.self, RulesCommand.self,
                      DemoCommand.self, InstallHookCommand.self, DebugCommand.self],
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
