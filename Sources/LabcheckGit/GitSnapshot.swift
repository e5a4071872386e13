import CLibgit2
import Dispatch
import Foundation
import LabcheckCore

/// Which content a run reads (DESIGN §1).
public enum SnapshotMode: Sendable, Equatable {
    /// The index: exactly what would be committed.
    case staged
    /// The tree of a commit.
    case revision(String)
    /// The files on disk (tracked and untracked, not ignored).
    case worktree
}

/// One consistent snapshot of a repository. Reading it never writes or locks anything: the
/// index file is read, not refreshed; blobs are read from the object database.
public final class GitSnapshot: SnapshotReader {
    let repository: GitRepository
    public let label: String
    public let paths: [String]
    private let entries: [String: FileEntry]
    private let worktreeRoot: String?
    /// The index file's mtime when it was read (staged snapshots): entries recorded at or after
    /// it are racily clean and not trusted by stat.
    private let indexTime: timespec?
    /// Work-tree snapshots: the conversions git applies to files before storing them.
    private let conversions: [String: ContentConversion.Kind]

    /// Reads the snapshot for `mode`. Throws `GitError.unmergedPaths` for an index with
    /// conflicts in staged mode.
    public init(repository: GitRepository, mode: SnapshotMode) throws {
        self.repository = repository
        var order: [String]? = nil
        switch mode {
        case .staged:
            label = "staged"
            var indexOrder: [String] = []
            (entries, indexTime) = try GitSnapshot.indexEntriesAndTime(repository, order: &indexOrder)
            order = indexOrder
            worktreeRoot = nil
            conversions = [:]
        case .revision(let rev):
            label = "rev:\(rev)"
            var treeOrder: [String] = []
            entries = try repository.files(inTree: repository.treeID(of: rev), regularOrder: &treeOrder).filter { GitSnapshot.isRegular($0.value.mode) }
            order = treeOrder
            worktreeRoot = nil
            indexTime = nil
            conversions = [:]
        case .worktree:
            guard let workdir = repository.workdir else { throw GitError.bareRepository("work tree") }
            label = "worktree"
            worktreeRoot = workdir
            (entries, conversions) = try GitSnapshot.worktreeEntries(repository, workdir: workdir)
            indexTime = nil
        }
        paths = order.map(PathOrder.sorted) ?? entries.keys.sorted()
    }

    static func isRegular(_ mode: UInt32) -> Bool { mode != fileModeGitlink && mode != fileModeSymlink }

    /// The stage-0 entries of the index with their stat data, and the index file's mtime
    /// (nil if it has no file or cannot be stat'ed: then nothing is trusted by stat).
    static func indexEntriesAndTime(_ repository: GitRepository, order: inout [String]) throws -> ([String: FileEntry], timespec?) {
        // The file's time before its content is read: if the index is rewritten in between, the
        // time is older than the content, which only makes more entries look racy (hashed).
        var time: timespec? = nil
        var info = stat()
        if stat(repository.indexFilePath, &info) == 0 { time = info.st_mtim }
        var indexOrder: [String] = []
        let entries = try repository.withIndex { try indexEntries($0, failOnConflicts: true, keepStat: true, order: &indexOrder) }
        order = indexOrder
        return (entries, time)
    }

    /// The stage-0 entries of the index; regular files only (gitlinks and symlinks skipped).
    static func indexEntries(_ repository: GitRepository, failOnConflicts: Bool) throws -> [String: FileEntry] {
        var order: [String] = []
        return try repository.withIndex { try indexEntries($0, failOnConflicts: failOnConflicts, keepStat: false, order: &order) }
    }

    /// Stat data is kept only where git itself would compare it: not for assume-unchanged or
    /// skip-worktree entries (their work-tree file may differ by design), nor for size 0
    /// (git's mark for a racily clean entry it smudged).
    /// `order` gets the regular files' paths in the index's order (byte order of the paths).
    private static func indexEntries(_ index: OpaquePointer, failOnConflicts: Bool, keepStat: Bool, order: inout [String]) throws -> [String: FileEntry] {
        var files: [String: FileEntry] = [:]
        var conflicted = Set<String>()
        let count = git_index_entrycount(index)
        files.reserveCapacity(count)
        for i in 0..<count {
            guard let entry = git_index_get_byindex(index, i) else { continue }
            let path = String(cString: entry.pointee.path)
            if git_index_entry_stage(entry) != 0 {
                conflicted.insert(path)
                continue
            }
            guard isRegular(entry.pointee.mode) else { continue }
            var file = FileEntry(id: ObjectID(entry.pointee.id), mode: entry.pointee.mode)
            let assumeUnchanged = UInt32(entry.pointee.flags) & GIT_INDEX_ENTRY_VALID.rawValue != 0
            let skipOrIntent = UInt32(entry.pointee.flags_extended) & (GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue | GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue) != 0
            if keepStat && !assumeUnchanged && !skipOrIntent && entry.pointee.file_size != 0 { file.stat = IndexStat(entry.pointee) }
            files[path] = file
            order.append(path)
        }
        if failOnConflicts && !conflicted.isEmpty { throw GitError.unmergedPaths(conflicted.sorted()) }
        return files
    }

    /// Tracked files present on disk (conflicted ones included: their markers are what would
    /// be committed) plus untracked files git does not ignore, each hashed as the blob git
    /// would store, so the touched set can be computed like for the other snapshots. Also
    /// returns the conversions git applies to some of them before storing them.
    static func worktreeEntries(_ repository: GitRepository, workdir: String) throws -> ([String: FileEntry], [String: ContentConversion.Kind]) {
        var candidates = Set<String>()
        let indexPaths = try repository.withIndex { index in
            (0..<git_index_entrycount(index)).compactMap { i -> String? in
                guard let entry = git_index_get_byindex(index, i), isRegular(entry.pointee.mode) else { return nil }
                return String(cString: entry.pointee.path)
            }
        }
        candidates.formUnion(indexPaths)
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "git_status_options_init")
        options.show = GIT_STATUS_SHOW_WORKDIR_ONLY
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        var list: OpaquePointer? = nil
        try check(git_status_list_new(&list, repository.pointer, &options), "git_status_list_new")
        defer { git_status_list_free(list) }
        for i in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, i), entry.pointee.status.rawValue & GIT_STATUS_WT_NEW.rawValue != 0,
                  let delta = entry.pointee.index_to_workdir, let path = delta.pointee.new_file.path else { continue }
            candidates.insert(String(cString: path))
        }
        // Hashed on every core, a few interleaved runs per core with one read buffer each.
        let paths = candidates.sorted()
        var ids = [ObjectID?](repeating: nil, count: paths.count)
        let runs = min(paths.count, 4 * ProcessInfo.processInfo.activeProcessorCount)
        ids.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: runs) { run in
                let buffer = FileBytes.Buffer()
                for k in stride(from: run, to: paths.count, by: runs) {
                    // Regular files only (FileBytes refuses anything else, symlinks included).
                    var info = stat()
                    guard lstat(workdir + paths[k], &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
                          let (bytes, _) = FileBytes.read(workdir + paths[k], into: buffer) else { continue }
                    out[k] = BlobHash.id(of: UnsafeRawBufferPointer(bytes))
                }
            }
        }
        let conversion = try ContentConversion(repository: repository, paths: paths,
                                               possible: ContentConversion.possible(repository: repository, paths: paths, indexPaths: indexPaths))
        var files: [String: FileEntry] = [:]
        for (k, path) in paths.enumerated() {
            guard var id = ids[k] else { continue }
            // Converted by libgit2's own filters: the id of what git would store. A filter
            // only git can run keeps the raw hash; reading such a file is an error.
            if let kind = conversion.kinds[path], kind.libgit2Applies, let bytes = FileBytes.read(workdir + path),
               let cleaned = try ContentConversion.cleaned(bytes, path: path, kind: kind, repository: repository).withUnsafeBytes({ BlobHash.id(of: $0) }) {
                id = cleaned
            }
            files[path] = FileEntry(id: id, mode: 0o100644)
        }
        return (files, conversion.kinds)
    }

    /// Whether git may convert any file of this snapshot on its way in (see
    /// `ContentConversion.possible`), decided once for every read of the run.
    private var conversionPossibleStorage: Bool?
    private func conversionPossible() throws -> Bool {
        if let known = conversionPossibleStorage { return known }
        let possible = try ContentConversion.possible(repository: repository, paths: paths, indexPaths: paths)
        conversionPossibleStorage = possible
        return possible
    }

    /// The bytes of a file in the snapshot.
    public func read(_ path: String) throws -> [UInt8] {
        guard let entry = entries[path] else { throw GitError.libgit2(call: "read", code: -3, message: "\(path) is not in the \(label) snapshot") }
        if let worktreeRoot {
            guard let bytes = FileBytes.read(worktreeRoot + path) else {
                throw GitError.libgit2(call: "read", code: -3, message: "cannot read \(worktreeRoot + path)")
            }
            if let kind = conversions[path] { return try ContentConversion.cleaned(bytes, path: path, kind: kind, repository: repository) }
            return bytes
        }
        if let bytes = try worktreeCopy(path, entry) { return bytes }
        readRoutes.fromObjects += 1
        return try repository.blob(entry.id)
    }

    /// How `read` found its bytes so far (for tests): in the work tree by the index's stat data,
    /// in the work tree by hash, or in the object database.
    private(set) var readRoutes = (byStat: 0, byHash: 0, fromObjects: 0)

    /// Staged snapshots: the work-tree file, when it holds the staged blob's bytes - by the
    /// index's stat data as `git status` decides it (not for a file git converts on its way
    /// in, see `readEach`), else by hashing to the staged blob id. nil otherwise (then the
    /// blob is read). Reading a large lab file from the page cache takes a fraction of
    /// inflating its object (an 8 MB file: ~2 ms against ~18 ms).
    private func worktreeCopy(_ path: String, _ entry: FileEntry) throws -> [UInt8]? {
        // Only an entry with stat data (its recorded size) is looked for on disk: a file of
        // another size is not read.
        guard let indexTime, let workdir = repository.workdir, let recorded = entry.stat,
              let (bytes, after) = FileBytes.readWithStatus(workdir + path, recordedSize: recorded.size) else { return nil }
        if recorded.matches(after, mode: entry.mode, indexTime: indexTime),
           try !conversionPossible() || ContentConversion(repository: repository, paths: [path], possible: true).kinds[path] == nil {
            readRoutes.byStat += 1
            return bytes
        }
        guard bytes.withUnsafeBytes({ BlobHash.id(of: $0) }) == entry.id else { return nil }
        readRoutes.byHash += 1
        return bytes
    }

    public func contentID(_ path: String) -> String? { entries[path]?.id.description }

    /// Calls `body` for every file, concurrently: work-tree bytes that hash to the snapshot's
    /// blob id go straight to `body` on the worker threads; the rest are read from the object
    /// database on this thread (libgit2 object reads stay on one thread) and then processed.
    public func readEach(_ paths: [String], _ body: @Sendable (Int, UnsafeBufferPointer<UInt8>) -> Void) throws -> ReadObservation {
        // Work-tree snapshots read the same files; their ids are the hashes taken when the
        // snapshot was made, so a file changed since then is read again below.
        guard let workdir = worktreeRoot ?? repository.workdir, paths.count > 1 else {
            for (k, path) in paths.enumerated() { try read(path).withUnsafeBufferPointer { body(k, $0) } }
            return ReadObservation()
        }
        // A file is never taken from the work tree by its stat data when git converts it on
        // the way in (a clean filter, end-of-line conversion, working-tree-encoding, ident):
        // the stat data then vouches for the file, not for its bytes being the blob's. Nor is
        // a converted file of a work-tree snapshot taken as is: it is read and converted below.
        let converted = worktreeRoot != nil ? Set(conversions.keys)
            : Set(try ContentConversion(repository: repository, paths: paths, possible: conversionPossible()).kinds.keys)
        let wanted = paths.map { converted.contains($0) && worktreeRoot != nil ? nil : entries[$0] }
        let statTrusted = paths.map { !converted.contains($0) }
        var fromDisk = [UInt8](repeating: 0, count: paths.count)   // 1 verified by stat, 2 by hash
        // A few interleaved runs of files per core, each with one reused read buffer. A file is
        // used when the index's stat data says it is the staged one (as `git status` decides),
        // else when its bytes hash to the staged blob id; otherwise the blob is read.
        let runs = min(paths.count, 4 * ProcessInfo.processInfo.activeProcessorCount)
        let indexTime = self.indexTime
        fromDisk.withUnsafeMutableBufferPointer { done in
            nonisolated(unsafe) let done = done
            DispatchQueue.concurrentPerform(iterations: runs) { run in
                let buffer = FileBytes.Buffer()
                for k in stride(from: run, to: paths.count, by: runs) {
                    guard let want = wanted[k], let (bytes, after) = FileBytes.read(workdir + paths[k], into: buffer, recordedSize: want.stat?.size) else { continue }
                    if let indexTime, statTrusted[k], let stat = want.stat, stat.matches(after, mode: want.mode, indexTime: indexTime) {
                        done[k] = 1
                    } else if BlobHash.id(of: UnsafeRawBufferPointer(bytes)) == want.id {
                        done[k] = 2
                    } else {
                        continue
                    }
                    body(k, bytes)
                }
            }
        }
        let rest = fromDisk.indices.filter { fromDisk[$0] == 0 }
        let blobs = try rest.map { try read(paths[$0]) }
        DispatchQueue.concurrentPerform(iterations: rest.count) { j in blobs[j].withUnsafeBufferPointer { body(rest[j], $0) } }
        let (byStat, byHash) = (fromDisk.count { $0 == 1 }, fromDisk.count { $0 == 2 })
        if worktreeRoot != nil {
            // A work-tree file read again has whatever it holds now, not the snapshot's hash.
            let changed = rest.map { paths[$0] }.filter { !converted.contains($0) }
            let convertedNote = rest.count > changed.count ? "\(rest.count - changed.count) converted as git would store them, " : ""
            return ReadObservation(summary: "\(byHash) file(s) read from the work tree as hashed for the snapshot, \(convertedNote)"
                                   + "\(changed.count) changed since and read again",
                                   changed: Set(changed))
        }
        return ReadObservation(summary: "\(byStat + byHash) file(s) read from the work tree (\(byStat) matched the index's stat data, "
                                   + "\(byHash) their staged blob id by hash), \(rest.count) from the object database")
    }

    /// Paths whose content differs from the base (added, modified, or renamed to here).
    public func touched(against base: DiffBase) -> Set<String> {
        var out = Set<String>()
        for (path, entry) in entries where base.files[path]?.id != entry.id { out.insert(path) }
        return out
    }
}

/// The tree a snapshot is compared with for diff-aware checks and the touched-file set.
public struct DiffBase: SnapshotReader {
    let repository: GitRepository
    /// What the base is, for `-v`: `HEAD (abc1234)`, `empty tree (unborn HEAD)`, `origin/main (...)`.
    public let label: String
    let files: [String: FileEntry]

    /// The base for a mode: the empty tree if `emptyTree`, else `revision` if given (`--base`),
    /// else HEAD, else (unborn HEAD, the first commit) the empty tree.
    public init(repository: GitRepository, revision: String?, emptyTree: Bool = false) throws {
        self.repository = repository
        let found: [String: FileEntry]
        var order: [String] = []
        if emptyTree {
            label = "the empty tree"
            found = [:]
        } else if let revision {
            let tree = try repository.treeID(of: revision)
            label = "\(revision) (\(try repository.commitID(of: revision).prefix(12)))"
            found = try repository.files(inTree: tree, regularOrder: &order).filter { GitSnapshot.isRegular($0.value.mode) }
        } else if repository.headIsUnborn {
            label = "the empty tree (HEAD is unborn: first commit)"
            found = [:]
        } else {
            let tree = try repository.treeID(of: "HEAD")
            label = "HEAD (\(try repository.commitID(of: "HEAD").prefix(12)))"
            found = try repository.files(inTree: tree, regularOrder: &order).filter { GitSnapshot.isRegular($0.value.mode) }
        }
        files = found
        sortedPaths = Lazy { [order] in PathOrder.sorted(order) }
    }

    /// Sorted once, when first asked (a lab check asks for every lab file).
    public var paths: [String] { sortedPaths.value }
    private let sortedPaths: Lazy<[String]>

    public func contentID(_ path: String) -> String? { files[path]?.id.description }

    /// The bytes of a file of the base tree.
    public func read(_ path: String) throws -> [UInt8] {
        guard let entry = files[path] else { throw GitError.libgit2(call: "read", code: -3, message: "\(path) is not in the diff base") }
        return try repository.blob(entry.id)
    }
}

/// A value computed once: on first use, or on another thread from `start()` on (`DiffBase` is
/// a struct shared by copies: the box keeps one computation for all of them; the CLI parses the
/// bundled rules this way while libgit2 reads the index).
/// `@unchecked Sendable`: `stored` and `started` are read and written only while `lock` is
/// held; a started computation is waited for through `group` before `stored` is read.
public final class Lazy<Value>: @unchecked Sendable {
    private let compute: () -> Value
    private var stored: Value?
    private var started = false
    private let lock = NSLock()
    private let group = DispatchGroup()

    public init(_ compute: @escaping () -> Value) { self.compute = compute }

    /// Starts the computation on another thread (once; nothing if it was already computed).
    public func start() {
        lock.lock()
        defer { lock.unlock() }
        guard !started && stored == nil else { return }
        started = true
        group.enter()
        LazyWork.pending.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let value = compute()
            lock.lock()
            stored = value
            lock.unlock()
            group.leave()
            LazyWork.pending.leave()
        }
    }

    /// The value: waits for a computation started on another thread, or computes it here.
    public var value: Value {
        group.wait()
        lock.lock()
        defer { lock.unlock() }
        if let stored { return stored }
        let made = compute()
        stored = made
        return made
    }
}

/// The computations `Lazy.start()` runs on other threads (a generic class has no stored
/// statics): the process must not exit during one.
public enum LazyWork {
    public static let pending = DispatchGroup()
}

/// Paths sorted as `SnapshotReader.paths` promises (Swift's `<`). git hands them over in byte
/// order (the index, a tree walk), which is the same order for any path without a combining
/// character; checking that takes one comparison per path, where a sort of a monorepo's
/// 20,000 paths took ~10 % of a staged run.
enum PathOrder {
    static func sorted(_ paths: [String]) -> [String] {
        var k = 1
        while k < paths.count && paths[k - 1] < paths[k] { k += 1 }
        return k >= paths.count ? paths : paths.sorted()
    }
}
