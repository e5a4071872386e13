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

    @Option(name: .long, help: "The labcheck binary the hook falls back to when labcheck is not on PATH (default: this binary's absolute path).")
    var command: String?

    @Flag(name: .long, help: "Install the pre-push hook (each pushed tip checked against the remote's) instead of the pre-commit hook.")
    var prePush = false

    @Flag(name: .long, help: "The hook blocks only on findings the commit (or push) adds (check --new-only).")
    var newOnly = false

    @Flag(name: .long, help: "Print the hook script instead of installing it.")
    var print = false

    func run() throws {
        let script = prePush ? PreCommitHook.prePushScript(fallback: print ? command : (command ?? Self.currentExecutablePath()), newOnly: newOnly)
            : PreCommitHook.script(fallback: print ? command : (command ?? Self.currentExecutablePath()), newOnly: newOnly)
        if print {
            Swift.print(script, terminator: "")
            return
        }
        let repository = try GitRepository(discoverFrom: FileManager.default.currentDirectoryPath)
        let (hook, marker) = prePush ? ("pre-push", PreCommitHook.prePushMarker) : ("pre-commit", PreCommitHook.marker)
        do {
            switch try HookInstaller.install(into: repository, script: script, force: force, hook: hook, marker: marker) {
            case .installed(let path): Swift.print("labcheck: installed the \(hook) hook at \(path)")
            case .updated(let path): Swift.print("labcheck: updated the labcheck \(hook) hook at \(path)")
            case .replacedForeignHook(let path, let backup):
                Swift.print("labcheck: installed the \(hook) hook at \(path); the previous hook was saved as \(backup)")
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

/// `labcheck uninstall-hook`: removes labcheck's hook and restores the hook `--force` replaced.
struct UninstallHookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall-hook",
        abstract: "Remove labcheck's git hook; the hook install-hook --force replaced is put back."
    )

    @Flag(name: .long, help: "Remove the pre-push hook instead of the pre-commit hook.")
    var prePush = false

    func run() throws {
        let repository = try GitRepository(discoverFrom: FileManager.default.currentDirectoryPath)
        let (hook, marker) = prePush ? ("pre-push", PreCommitHook.prePushMarker) : ("pre-commit", PreCommitHook.marker)
        do {
            switch try HookInstaller.uninstall(from: repository, hook: hook, marker: marker) {
            case .removed(let path): print("labcheck: removed the \(hook) hook at \(path)")
            case .restored(let path, let backup): print("labcheck: removed labcheck's \(hook) hook and put back \(backup) at \(path)")
            case .nothing(let path): print("labcheck: no \(hook) hook at \(path)")
            }
        } catch let failure as HookInstaller.Failure {
            throw CommandFailure(exitCode: ExitStatus.findings, message: "error: \(failure)")
        }
    }
}
