import Foundation
import LabcheckCore

/// What a command asks of the repository: which snapshot, compared with which base, and
/// whether every file is in scope (DESIGN §1).
public struct WorkspaceRequest: Sendable, Equatable {
    public var mode: SnapshotMode
    /// `--base REV`; nil for the default base.
    public var baseRevision: String?
    /// `--all`: every file is in scope, and the diff base is read only if a check needs it.
    public var all: Bool

    public init(mode: SnapshotMode, baseRevision: String? = nil, all: Bool = false) {
        self.mode = mode
        self.baseRevision = baseRevision
        self.all = all
    }
}

/// A problem that stops a command before it checks anything (after `GitError`, exit 3).
public enum WorkspaceError: Error {
    /// `.labcheck.toml` or a rules file is invalid (LC001/LC002): exit code 2, with these
    /// diagnostics shown.
    case invalidConfiguration([Diagnostic])
}

/// One repository, opened once, and everything a command reads from it: the snapshot, the
/// diff base (read when first needed), the touched set, `.labcheck.toml` and the rules in force.
/// Every command (check, status, render, rules, and the writers) opens one of these, so all of
/// them find the repository, choose the base and treat a broken configuration the same way.
public final class Workspace {
    public let repository: GitRepository
    public let snapshot: GitSnapshot
    public let request: WorkspaceRequest
    /// `.labcheck.toml`, the rules (bundled plus the repository's) and the conventions, read
    /// from the snapshot, with their problems.
    public let configuration: RepositoryConfiguration
    /// Which files findings are reported for.
    public let scope: ReportScope
    /// What opening decided, for `-v`.
    public private(set) var log: [String] = []
    /// The diff base's revision (nil: HEAD, or the empty tree before the first commit) or the
    /// empty tree (a root commit's base).
    private let baseSpec: (revision: String?, emptyTree: Bool)
    private var loadedBase: DiffBase?

    /// Opens the repository containing `directory` (honouring `GIT_DIR`, `GIT_WORK_TREE` and
    /// `GIT_INDEX_FILE`), reads the snapshot, the touched set (outside `--all`) and the
    /// configuration. Throws `GitError` for anything git cannot give.
    public convenience init(directory: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            request: WorkspaceRequest, bundledRules: RuleSet) throws {
        try self.init(repository: GitRepository(discoverFrom: directory, environment: environment), request: request, bundledRules: bundledRules)
    }

    /// The same, over a repository already opened.
    public init(repository: GitRepository, request: WorkspaceRequest, bundledRules: RuleSet) throws {
        self.request = request
        self.repository = repository
        log += repository.openLog
        snapshot = try GitSnapshot(repository: repository, mode: request.mode)
        log.append("snapshot: \(snapshot.label) (\(snapshot.paths.count) files)")
        let spec = try Self.basePolicy(request, repository)
        if let note = spec.note { log.append(note) }
        baseSpec = (spec.revision, spec.emptyTree)
        if request.all {
            log.append("diff base: read only if a lab file needs it (--all)")
            scope = .all
        } else {
            let base = try DiffBase(repository: repository, revision: baseSpec.revision, emptyTree: baseSpec.emptyTree)
            log.append("diff base: \(base.label)")
            loadedBase = base
            scope = ReportScope(touched: snapshot.touched(against: base))
        }
        configuration = try RepositoryConfiguration.load(snapshot, bundled: bundledRules)
        log += configuration.log
    }

    /// The diff base a request compares with: its revision (nil: HEAD, or the empty tree while
    /// HEAD is unborn), whether it is the empty tree, and what was decided, for `-v`. `--base
    /// REV` means what `git diff REV...TIP` compares with: their merge-base, so work done on
    /// the target branch since is not counted as this change's.
    public static func basePolicy(_ request: WorkspaceRequest, _ repository: GitRepository) throws -> (revision: String?, emptyTree: Bool, note: String?) {
        let spec = baseSpec(request, repository)
        let tip: String = if case .revision(let rev) = request.mode { rev } else { "HEAD" }
        if let base = request.baseRevision, tip != "HEAD" || !repository.headIsUnborn {
            let mergeBase = try repository.mergeBase(base, tip)
            return (mergeBase, false, "diff base: the merge-base of \(base) and \(tip), \(mergeBase.prefix(12))")
        }
        return (spec.revision, spec.emptyTree, nil)
    }

    /// The diff-base policy: `--base REV` if given; for `--rev REV`, its first parent, or the
    /// empty tree for a root commit; otherwise HEAD (the empty tree while HEAD is unborn).
    static func baseSpec(_ request: WorkspaceRequest, _ repository: GitRepository) -> (revision: String?, emptyTree: Bool) {
        if let base = request.baseRevision { return (base, false) }
        guard case .revision(let rev) = request.mode else { return (nil, false) }
        return (try? repository.commitID(of: rev + "^")) != nil ? (rev + "^", false) : (nil, true)
    }

    /// Files renamed between the diff base and the snapshot (old path -> new path), by
    /// libgit2's similarity detection; exact renames only for a work-tree snapshot.
    public func renames() throws -> [String: String] {
        let base = try diffBase()
        switch request.mode {
        case .revision(let rev):
            guard let revision = baseSpec.revision else { return [:] }
            return try repository.renames(from: revision, to: rev)
        case .staged:
            guard let revision = baseSpec.revision ?? (repository.headIsUnborn ? nil : "HEAD") else { return [:] }
            return try repository.renames(from: revision, to: nil)
        case .worktree:
            var out: [String: String] = [:]
            let current = Set(snapshot.paths)
            var byID: [String: String] = [:]
            for path in snapshot.paths where !base.paths.contains(path) { if let id = snapshot.contentID(path) { byID[id] = path } }
            for path in base.paths where !current.contains(path) { if let id = base.contentID(path), let to = byID[id] { out[path] = to } }
            return out
        }
    }

    /// The diff base, read on first use.
    public func diffBase() throws -> DiffBase {
        if let loadedBase { return loadedBase }
        let base = try DiffBase(repository: repository, revision: baseSpec.revision, emptyTree: baseSpec.emptyTree)
        loadedBase = base
        return base
    }

    /// Throws `WorkspaceError.invalidConfiguration` when `.labcheck.toml` or a rules file is
    /// invalid: commands that cannot work with a broken configuration call this first.
    public func requireValidConfiguration() throws {
        if configuration.isInvalid {
            throw WorkspaceError.invalidConfiguration(configuration.problems.filter { $0.severity == .error })
        }
    }

    /// A lint request over this workspace: the base is passed when already read, else read by
    /// the linter only if a lab file needs it.
    public func lintRequest(strictFlag: Bool, importCache: ImportScanCache) -> LintRequest {
        var lint = LintRequest(snapshot: snapshot, base: loadedBase, scope: scope, configuration: configuration,
                               strictFlag: strictFlag, importCache: importCache)
        if loadedBase == nil { lint.baseLoader = { [self] in try diffBase() } }
        return lint
    }

    /// The conventions in force. Only call after `requireValidConfiguration()`, which fails when
    /// there are none.
    public func conventions() throws -> StageConventions {
        guard let conventions = configuration.conventions else {
            throw WorkspaceError.invalidConfiguration(configuration.problems)
        }
        return conventions
    }
}

/// What identifies a run's inputs in the repository, known before anything is read in full:
/// the tree the snapshot would commit (for the index, computed as `git write-tree` would,
/// without writing) and the diff base's tree. With the options and labcheck's own identity it
/// keys the result cache; equal trees mean nothing is staged.
public struct RunIdentity: Sendable, Equatable {
    /// The empty tree's id (the base of a first commit).
    public static let emptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    public let snapshotTree: String
    public let baseTree: String
    /// For a staged snapshot: the index file's stamp (`IndexStamps.stamp`) when its tree was
    /// known, nil if the index changed while it was read. A record is stored only while the
    /// index still has this stamp, so it never lands under another index's tree.
    public let indexStamp: String?

    /// Whether the snapshot is still the one this identity names: for a staged snapshot, the
    /// index file still has the stamp it had when its tree was computed.
    public func isCurrent(_ repository: GitRepository, _ request: WorkspaceRequest) -> Bool {
        guard case .staged = request.mode else { return true }
        return indexStamp != nil && IndexStamps.stamp(repository.indexFilePath) == indexStamp
    }

    /// The identity of a request, or nil when it has none: a work-tree snapshot (its content is
    /// known only by reading every file), or an index git could not write as a tree (conflicts).
    /// `stamps`, when given, knows the trees of index files by their identity on disk.
    /// `readingIndex` is called with the diff base's tree just before a staged snapshot's index
    /// is read to compute its tree (the tree was not known: the run will most likely check
    /// something, and can start work that needs only the base meanwhile).
    public init?(repository: GitRepository, request: WorkspaceRequest, stamps: IndexStamps? = nil, log: (String) -> Void = { _ in },
                 readingIndex: (_ baseTree: String) -> Void = { _ in }) throws {
        if case .worktree = request.mode { return nil }
        let base = try Workspace.basePolicy(request, repository)
        if base.emptyTree {
            baseTree = Self.emptyTree
        } else if let revision = base.revision {
            baseTree = try repository.treeID(of: revision).description
        } else {
            baseTree = repository.headIsUnborn ? Self.emptyTree : try repository.treeID(of: "HEAD").description
        }
        switch request.mode {
        case .worktree: return nil
        case .staged:
            let path = repository.indexFilePath
            let before = IndexStamps.stamp(path)
            if let before, let known = stamps?.tree(for: before) {
                snapshotTree = known
                indexStamp = before
                log("result cache: the index file is unchanged since its tree was computed")
            } else {
                readingIndex(baseTree)
                guard let tree = try? repository.indexTreeID() else { return nil }
                snapshotTree = tree.description
                if let before, IndexStamps.stamp(path) == before {
                    stamps?.record(snapshotTree, for: before, log: log)
                    indexStamp = before
                } else {
                    indexStamp = nil
                }
            }
        case .revision(let rev):
            snapshotTree = try repository.treeID(of: rev).description
            indexStamp = nil
        }
    }
}
