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

    @Option(name: .long, help: "Compare with this revision (touched files, diff-aware checks). Default: HEAD, or REV's first parent for --rev.")
    var base: String?

    @Flag(name: .long, help: "Every file in the snapshot, not only touched ones.")
    var all = false

    func validate() throws {
        if [staged, rev != nil, worktree].filter({ $0 }).count > 1 {
            throw ValidationError("--staged, --rev and --worktree are mutually exclusive: choose one snapshot")
        }
    }

    var mode: SnapshotMode {
        if let rev { return .revision(rev) }
        return worktree ? .worktree : .staged
    }

    /// The repository, the snapshot, its diff base, and the touched set (nil with --all).
    struct Opened {
        let repository: GitRepository
        let snapshot: GitSnapshot
        /// The diff base, read at once when the touched set needs it; nil with --all, where
        /// `loadBase` reads it only if asked (the lab checks ask when there is a lab file:
        /// reading a large tree costs milliseconds).
        let base: DiffBase?
        let loadBase: (() throws -> DiffBase)?
        let touched: Set<String>?
    }

    func open(log: (String) -> Void) throws -> Opened {
        let repository = try GitRepository(discoverFrom: FileManager.default.currentDirectoryPath)
        repository.openLog.forEach(log)
        let snapshot = try GitSnapshot(repository: repository, mode: mode)
        log("snapshot: \(snapshot.label) (\(snapshot.paths.count) files)")
        var baseRevision = base
        var emptyBase = false
        if baseRevision == nil, let rev {
            // A commit is compared with its first parent; a root commit with the empty tree.
            if (try? repository.commitID(of: rev + "^")) != nil { baseRevision = rev + "^" } else { emptyBase = true }
        }
        let (revision, empty) = (baseRevision, emptyBase)
        if all {
            log("diff base: read only if a lab file needs it (--all)")
            return Opened(repository: repository, snapshot: snapshot, base: nil,
                          loadBase: { try DiffBase(repository: repository, revision: revision, emptyTree: empty) }, touched: nil)
        }
        let diffBase = try DiffBase(repository: repository, revision: revision, emptyTree: empty)
        log("diff base: \(diffBase.label)")
        return Opened(repository: repository, snapshot: snapshot, base: diffBase, loadBase: nil, touched: snapshot.touched(against: diffBase))
    }
}
