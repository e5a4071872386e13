import ArgumentParser
import Foundation
import LabcheckCore
import LabcheckGit

/// `labcheck install-hook`: installs the pre-commit hook where git will run it.
struct InstallHookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-hook",
        abstract: "Install labcheck as this repository's git pre-commit hook.",
        discussion: """
        The hook goes where git runs hooks from (`git rev-parse --git-path hooks`): core.hooksPath \
        when set, else the common git directory's hooks/, shared by linked worktrees. A hook \
        labcheck did not install is never overwritten without --force, which keeps a backup.
        """
    )

    @Flag(name: .long, help: "Replace a hook labcheck did not install (a backup is kept).")
    var force = false

    @Option(name: .long, help: "The labcheck command the hook runs (default: this binary's absolute path).")
    var command: String?

    @Flag(name: .long, help: "Print the hook script instead of installing it.")
    var print = false

    func run() throws {
        if print {
            Swift.print(PreCommitHook.script(command: command ?? "labcheck"), terminator: "")
            return
        }
        let repository = try GitRepository(discoverFrom: FileManager.default.currentDirectoryPath)
        let binary = command ?? Self.currentExecutablePath()
        do {
            switch try HookInstaller.install(into: repository, script: PreCommitHook.script(command: binary), force: force) {
            case .installed(let path): Swift.print("labcheck: installed the pre-commit hook at \(path)")
            case .updated(let path): Swift.print("labcheck: updated the labcheck pre-commit hook at \(path)")
            case .replacedForeignHook(let path, let backup):
                Swift.print("labcheck: installed the pre-commit hook at \(path); the previous hook was saved as \(backup)")
            }
        } catch let failure as HookInstaller.Failure {
            throw CommandFailure(exitCode: ExitStatus.findings, message: "error: \(failure)")
        }
    }

    /// The absolute path of the running binary.
    static func currentExecutablePath() -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        let arg0 = CommandLine.arguments[0]
        return arg0.hasPrefix("/") ? arg0 : FileManager.default.currentDirectoryPath + "/" + arg0
    }
}
