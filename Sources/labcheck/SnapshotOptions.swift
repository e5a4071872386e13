import ArgumentParser
import Foundation
import LabcheckCore
import LabcheckGit

/// The snapshot options shared by every command that reads a repository.
struct SnapshotOptions: ParsableArguments {
    @Flag(name: .long, help: "Read the index: what would be committed (default).")
    var staged = false

    @Option(name: .long, help: "Read the tree of this commit (works in bare repositories).")
    var rev: String?

    @Flag(name: .long, help: "Read the files on disk.")
    var worktree = false

    @Option(name: .long, help: "Compare with the merge-base of this revision and the checked commit (touched files, diff-aware checks, --new-only). Default: HEAD, or REV's first parent for --rev.")
    var base: String?

    @Flag(name: .long, help: "Every file in the snapshot, not only touched ones.")
    var all = false

    func validate() throws {
        if [staged, rev != nil, worktree].filter({ $0 }).count > 1 {
            throw ValidationError("--staged, --rev and --worktree are mutually exclusive: choose one snapshot")
        }
    }

    /// What the options ask of the repository.
    var workspaceRequest: WorkspaceRequest {
        WorkspaceRequest(mode: rev.map { .revision($0) } ?? (worktree ? .worktree : .staged), baseRevision: base, all: all)
    }

    /// Opens the repository of the current directory as these options ask (the diff-base policy
    /// lives in `Workspace`), and logs what it decided.
    func openWorkspace(bundledRules: RuleSet, log: (String) -> Void) throws -> Workspace {
        let workspace = try Workspace(directory: FileManager.default.currentDirectoryPath, request: workspaceRequest, bundledRules: bundledRules)
        workspace.log.forEach(log)
        return workspace
    }
}
