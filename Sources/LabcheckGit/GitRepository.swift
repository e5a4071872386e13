import CLibgit2
import Foundation
import LabcheckCore

/// A failure reading a repository. Every case maps to exit code 3.
public enum GitError: Error, CustomStringConvertible, Sendable {
    /// No repository contains the directory.
    case notARepository(path: String)
    /// A libgit2 call failed; `call` names it and `message` is libgit2's own text.
    case libgit2(call: String, code: Int32, message: String)
    /// The repository could not be opened, with the cause in plain words.
    case cannotOpen(path: String, reason: String)
    /// The index has unmerged (conflict) entries at these paths.
    case unmergedPaths([String])
    /// A revision did not resolve.
    case unknownRevision(String)
    /// The snapshot needs a work tree or index the repository does not have.
    case bareRepository(String)
    /// A work-tree file whose stored bytes only git can produce (a clean filter driver, a
    /// working-tree encoding).
    case cannotReadAsCommitted(path: String, attribute: String)

    public var description: String {
        switch self {
        case .libgit2(let call, let code, let message): return "git: \(call) failed (\(code)): \(message)"
        case .notARepository(let path): return "cannot open the git repository at \(path): it is not inside a git repository"
        case .cannotOpen(let path, let reason): return "cannot open the git repository at \(path): \(reason)"
        case .unmergedPaths(let paths):
            return "the index has unmerged (conflicted) entries; resolve them and `git add` the result before checking:\n"
                + paths.map { "  \($0)" }.joined(separator: "\n")
        case .unknownRevision(let rev): return "unknown revision '\(rev)'"
        case .cannotReadAsCommitted(let path, let attribute):
            return "cannot read \(path) from the work tree as git would commit it: its attribute \(attribute) makes git store other bytes, "
                + "and labcheck does not run git's filters; stage it (`git add`) and check the staged snapshot"
        case .bareRepository(let what): return "this is a bare repository: it has no \(what); use --rev REV"
        }
    }
}

/// libgit2's process-wide initialisation, done once, and the rule that makes exit safe.
///
/// `git_libgit2_init` may run on a background thread to overlap argument parsing (Debian's
/// libgit2 sets up its TLS library there: ~1 ms now that it parses no CA bundle, see
/// CertificateBundle.swift; 8-9 ms before). A process
/// that exits while that thread is still inside it runs the C library's and OpenSSL's exit
/// handlers concurrently with the initialisation: heap corruption or SIGSEGV at exit, in about
/// 1-2 % of runs. So every exit goes through `finishBackgroundStart()`, which waits for a
/// background start to end, and the CLI starts one only for commands that open a repository.
public enum LibGit2 {
    private static let ready: Bool = {
        git_libgit2_init()
        // Objects are read as git's own readers (`git diff`, `git cat-file`) read them: not
        // hashed again on every read (fsck's job). libgit2 hashes each with its collision-
        // detecting SHA-1 by default: ~18 % of checking an 8 MB lab file (bench/README.md).
        // zlib's checksum still rejects a damaged object's stream.
        labcheck_git_set_strict_hash_verification(0)
        return true
    }()

    /// Entered when a background start is scheduled, left when it has finished.
    private static let backgroundStart = DispatchGroup()

    /// Initialises libgit2 if it is not yet (waits for a start in the background to finish).
    static func initialize() { _ = ready }

    /// Starts the initialisation on another thread. Every libgit2 use still goes through
    /// `initialize()`; the process must call `finishBackgroundStart()` before it exits.
    public static func initializeInBackground() {
        backgroundStart.enter()
        DispatchQueue.global(qos: .userInitiated).async {
            initialize()
            backgroundStart.leave()
        }
    }

    /// Waits until a background start, if one was scheduled, has finished. Returns at once
    /// when none was.
    public static func finishBackgroundStart() { backgroundStart.wait() }
}

/// Checks a libgit2 return code, reading `git_error_last()` at once.
@discardableResult
func check(_ code: Int32, _ call: String) throws -> Int32 {
    guard code < 0 else { return code }
    var message = "unknown error"
    if let e = git_error_last(), let m = e.pointee.message { message = String(cString: m) }
    throw GitError.libgit2(call: call, code: code, message: message)
}

/// A git object id, copied out of libgit2.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    init(_ oid: git_oid) {
        var copy = oid
        bytes = withUnsafeBytes(of: &copy.id) { Array($0) }
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    var oid: git_oid {
        var o = git_oid()
        withUnsafeMutableBytes(of: &o.id) { dst in for i in 0..<min(dst.count, bytes.count) { dst[i] = bytes[i] } }
        return o
    }

    /// Lower-case hex.
    public var description: String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (k, b) in bytes.enumerated() {
                let high = b >> 4, low = b & 0x0F
                out[2 * k] = high < 10 ? 0x30 + high : 0x57 + high
                out[2 * k + 1] = low < 10 ? 0x30 + low : 0x57 + low
            }
            return bytes.count * 2
        }
    }
}

extension Array where Element == UInt8 {
    /// The bytes of a hex string (two digits a byte).
    init(hexBytes hex: String) {
        let digits = Array(hex.utf8).map { c -> UInt8 in
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return 0
            }
        }
        self = stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
}

/// One file of a tree or index: its blob id and mode.
struct FileEntry: Sendable {
    let id: ObjectID
    let mode: UInt32
    /// The index's record of the work-tree file when the entry was last refreshed (staged
    /// snapshots only; nil where it must not be trusted).
    var stat: IndexStat? = nil
}

/// Stat data an index entry records for its work-tree file (index-format: ctime, mtime, dev,
/// ino, uid, gid, size, each as git stores it).
struct IndexStat: Sendable {
    let ctime: (seconds: Int32, nanoseconds: UInt32)
    let mtime: (seconds: Int32, nanoseconds: UInt32)
    let dev: UInt32, ino: UInt32, uid: UInt32, gid: UInt32, size: UInt32

    init(_ e: git_index_entry) {
        ctime = (e.ctime.seconds, e.ctime.nanoseconds)
        mtime = (e.mtime.seconds, e.mtime.nanoseconds)
        dev = e.dev; ino = e.ino; uid = e.uid; gid = e.gid; size = e.file_size
    }

    /// Whether `info` (an fstat taken after reading the file) is the file this entry recorded:
    /// every field equal, and the entry not racily clean (recorded at or after `indexTime`, the
    /// index file's mtime, a later change within the same clock tick could hide). ctime cannot
    /// be set by tools (`touch -r` sets mtime only), so a rewrite that restores size and mtime
    /// still fails the test.
    func matches(_ info: stat, mode: UInt32, indexTime: timespec) -> Bool {
        guard Int(ctime.seconds) == info.st_ctim.tv_sec, Int(ctime.nanoseconds) == info.st_ctim.tv_nsec,
              Int(mtime.seconds) == info.st_mtim.tv_sec, Int(mtime.nanoseconds) == info.st_mtim.tv_nsec,
              dev == UInt32(truncatingIfNeeded: info.st_dev), ino == UInt32(truncatingIfNeeded: info.st_ino),
              uid == info.st_uid, gid == info.st_gid, size == UInt32(truncatingIfNeeded: info.st_size),
              (info.st_mode & 0o111 != 0) == (mode == 0o100755) else { return false }
        return (Int(mtime.seconds), Int(mtime.nanoseconds)) < (indexTime.tv_sec, indexTime.tv_nsec)
    }
}

let fileModeGitlink: UInt32 = 0o160000
let fileModeSymlink: UInt32 = 0o120000

/// An open repository. The only owner of the `git_repository` pointer, freed in `deinit`.
/// libgit2 is used from one thread at a time.
public final class GitRepository {
    let pointer: OpaquePointer
    /// The index named by `GIT_INDEX_FILE`, when set, and its path.
    /// `GIT_INDEX_FILE`'s index, opened on first use (a run answered from the result cache
    /// never parses it: libgit2 1.5.1 takes ~22 ms for 20,000 entries, most of it verifying the
    /// file's SHA-1 with its collision-detecting implementation).
    private var indexOverride: OpaquePointer? = nil
    /// The in-memory object database `indexTreeID()` wrote the index's trees into (the
    /// repository's objects behind it), and the index's tree: kept so that `indexChanges` can
    /// walk that tree and the base's together, reading only the subtrees that differ.
    private(set) var indexTreeScratch: (repository: OpaquePointer, tree: ObjectID)? = nil
    private let indexOverridePath: String?
    /// What `-v` should say about how the repository and index were found.
    public private(set) var openLog: [String] = []

    /// Opens the repository containing `directory`, honouring `GIT_DIR`, `GIT_WORK_TREE` and
    /// `GIT_INDEX_FILE` exactly as git sets them for hooks.
    public init(discoverFrom directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        LibGit2.initialize()
        var repo: OpaquePointer? = nil
        let cwd = directory
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : (cwd as NSString).appendingPathComponent(p) }
        let explicitGitDir = environment["GIT_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        func open() -> Int32 {
            if let explicitGitDir { return git_repository_open_ext(&repo, absolute(explicitGitDir), GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil) }
            return git_repository_open_ext(&repo, cwd, 0, nil)
        }
        openLog.append(explicitGitDir.map { "repository: GIT_DIR=\($0)" } ?? "repository: discovered from \(cwd)")
        var code = open()
        var message = "no git repository found"
        if code != 0, let e = git_error_last(), let m = e.pointee.message { message = String(cString: m) }
        if code != 0 {
            // libgit2 1.5.1 refuses a repository owned by another user unless safe.directory
            // lists its exact path; git also accepts `*` (the usual CI container setting).
            // Ownership is the cause exactly when the open succeeds without owner validation.
            labcheck_git_set_owner_validation(0)
            code = open()
            if code == 0 {
                if GitRepository.safeDirectoryAllowsAll() {
                    openLog.append("owned by another user: accepted, as git does, because safe.directory = * in the global or system git config")
                } else {
                    if let repo { git_repository_free(repo) }
                    labcheck_git_set_owner_validation(1)
                    throw GitError.cannotOpen(path: explicitGitDir ?? cwd, reason: "it is owned by another user and git's safe.directory does not list it (\(message)); "
                                              + "run `git config --global --add safe.directory <path>` if you trust it")
                }
            } else {
                labcheck_git_set_owner_validation(1)
            }
        }
        if code == GIT_ENOTFOUND.rawValue && explicitGitDir == nil {
            throw GitError.notARepository(path: cwd)
        }
        guard code == 0, let repo else {
            throw GitError.cannotOpen(path: explicitGitDir ?? cwd, reason: GitRepository.explainOpenFailure(message))
        }
        pointer = repo
        if let workTree = environment["GIT_WORK_TREE"], !workTree.isEmpty {
            try check(git_repository_set_workdir(repo, absolute(workTree), 0), "git_repository_set_workdir")
            openLog.append("work tree: GIT_WORK_TREE=\(workTree)")
        }
        if let indexFile = environment["GIT_INDEX_FILE"], !indexFile.isEmpty {
            indexOverridePath = absolute(indexFile)
            openLog.append("index: GIT_INDEX_FILE=\(indexFile)")
        } else {
            indexOverridePath = nil
        }
    }

    deinit {
        if let indexOverride { git_index_free(indexOverride) }
        if let indexTreeScratch { git_repository_free(indexTreeScratch.repository) }
        git_repository_free(pointer)
    }

    /// Whether the global or system git config has `safe.directory = *` in effect (an empty
    /// value resets the list, as in git). The repository's own config is not read: git
    /// ignores safe.directory there.
    static func safeDirectoryAllowsAll() -> Bool {
        var config: OpaquePointer? = nil
        guard git_config_open_default(&config) == 0, let config else { return false }
        defer { git_config_free(config) }
        var iterator: OpaquePointer? = nil
        guard git_config_multivar_iterator_new(&iterator, config, "safe.directory", nil) == 0, let iterator else { return false }
        defer { git_config_iterator_free(iterator) }
        var all = false
        var entry: UnsafeMutablePointer<git_config_entry>? = nil
        while git_config_next(&entry, iterator) == 0, let entry {
            guard let value = entry.pointee.value else { continue }
            switch String(cString: value) {
            case "*": all = true
            case "": all = false
            default: break
            }
        }
        return all
    }

    /// Turns libgit2's message for a repository it cannot open into the cause in plain words.
    static func explainOpenFailure(_ message: String) -> String {
        if message.contains("'link'") { return "its index uses the split-index extension, which libgit2 1.5 cannot read (\(message)); run `git update-index --no-split-index`" }
        if message.contains("'sdir'") { return "its index is a sparse index, which libgit2 1.5 cannot read (\(message)); run `git sparse-checkout disable` or `git config index.sparse false`" }
        if message.lowercased().contains("objectformat") || message.contains("sha256") { return "it uses the SHA-256 object format, which libgit2 1.5 cannot read (\(message))" }
        if message.contains("safe.directory") || message.contains("owner") || message.contains("not owned") { return "it is owned by another user and git's safe.directory does not allow it (\(message))" }
        if message.contains("extension") { return "it uses a repository extension libgit2 1.5 does not support (\(message))" }
        return message
    }

    /// Whether the repository has no work tree.
    public var isBare: Bool { git_repository_is_bare(pointer) == 1 }

    /// The work tree directory, with a trailing `/`, if any.
    public var workdir: String? { git_repository_workdir(pointer).map { String(cString: $0) } }

    /// The git directory (`.git`, or `.git/worktrees/<name>` for a linked worktree).
    public var gitDirectory: String { String(cString: git_repository_path(pointer)) }

    /// The common git directory shared by all worktrees.
    public var commonDirectory: String { String(cString: git_repository_commondir(pointer)) }

    /// The index to read: `GIT_INDEX_FILE`'s if set, else the repository's. Caller frees.
    func withIndex<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        if let path = indexOverridePath {
            if indexOverride == nil {
                var index: OpaquePointer? = nil
                do {
                    try check(git_index_open(&index, path), "git_index_open(\(path))")
                } catch {
                    throw GitError.cannotOpen(path: path, reason: GitRepository.explainOpenFailure("\(error)"))
                }
                indexOverride = index
            } else {
                try check(git_index_read(indexOverride, 0), "git_index_read")
            }
            guard let index = indexOverride else { throw GitError.cannotOpen(path: path, reason: "libgit2 gave no index") }
            return try body(index)
        }
        guard !isBare else { throw GitError.bareRepository("index") }
        var index: OpaquePointer? = nil
        do {
            try check(git_repository_index(&index, pointer), "git_repository_index")
        } catch GitError.libgit2(_, _, let message) {
            throw GitError.cannotOpen(path: gitDirectory + "index", reason: GitRepository.explainOpenFailure(message))
        }
        defer { git_index_free(index) }
        // The repository may hold an index loaded earlier: read it again if the file changed.
        try check(git_index_read(index, 0), "git_index_read")
        return try body(index!)
    }

    /// The id of the tree `git write-tree` would write for the index (what `git commit` would
    /// commit), computed without writing anything to the repository: the trees go to an
    /// in-memory object database (libgit2's mempack) that reads the repository's objects as an
    /// alternate. `IndexTree` writes them from the index's entries (~8 ms for 20,000 files);
    /// libgit2 writes them for an index that is not plain (it reuses the index's cache-tree,
    /// then reads the whole new tree back, ~12 ms). Throws for an index with conflicts.
    public func indexTreeID() throws -> ObjectID {
        var odb: OpaquePointer? = nil
        try check(git_odb_new(&odb), "git_odb_new")
        defer { git_odb_free(odb) }
        var backend: UnsafeMutablePointer<git_odb_backend>? = nil
        try check(git_mempack_new(&backend), "git_mempack_new")
        // The object database owns the backend once added.
        try check(git_odb_add_backend(odb, backend, 1000), "git_odb_add_backend")
        try check(git_odb_add_disk_alternate(odb, (commonDirectory as NSString).appendingPathComponent("objects")), "git_odb_add_disk_alternate")
        var scratch: OpaquePointer? = nil
        try check(git_repository_wrap_odb(&scratch, odb), "git_repository_wrap_odb")
        guard let scratch else { throw GitError.libgit2(call: "git_repository_wrap_odb", code: -1, message: "no repository") }
        do {
            let tree = try withIndex { index in
                if useOwnTreeWriter, let backend, let tree = IndexTree.write(index, into: backend) {
                    indexTreeWrittenByLibgit2 = false
                    return tree
                }
                indexTreeWrittenByLibgit2 = true
                var oid = git_oid()
                try check(git_index_write_tree_to(&oid, index, scratch), "git_index_write_tree_to")
                return ObjectID(oid)
            }
            if let previous = indexTreeScratch { git_repository_free(previous.repository) }
            indexTreeScratch = (scratch, tree)
            return tree
        } catch {
            git_repository_free(scratch)
            throw error
        }
    }

    /// Whether `indexTreeID()` writes the trees itself (`IndexTree`), libgit2 writing them only
    /// for an index that is not plain; off, libgit2 writes every index's (tests compare both).
    var useOwnTreeWriter = true
    /// Whether libgit2 wrote the last index's trees (tests).
    private(set) var indexTreeWrittenByLibgit2 = false

    /// The index file's path (`GIT_INDEX_FILE`, else the git directory's `index`).
    var indexFilePath: String { indexOverridePath ?? gitDirectory + "index" }

    /// Resolves a revision to a tree id.
    func treeID(of revision: String) throws -> ObjectID {
        var object: OpaquePointer? = nil
        let code = git_revparse_single(&object, pointer, revision)
        if code == GIT_ENOTFOUND.rawValue || code == GIT_EAMBIGUOUS.rawValue || code == GIT_EINVALIDSPEC.rawValue {
            throw GitError.unknownRevision(revision)
        }
        try check(code, "git_revparse_single(\(revision))")
        defer { git_object_free(object) }
        var tree: OpaquePointer? = nil
        let peel = git_object_peel(&tree, object, GIT_OBJECT_TREE)
        if peel < 0 { throw GitError.unknownRevision("\(revision) (it does not name a commit or tree)") }
        defer { git_object_free(tree) }
        return ObjectID(git_object_id(tree).pointee)
    }

    /// The id of the commit a revision names, in full hex (for messages).
    public func commitID(of revision: String) throws -> String {
        var object: OpaquePointer? = nil
        let code = git_revparse_single(&object, pointer, revision)
        if code < 0 { throw GitError.unknownRevision(revision) }
        defer { git_object_free(object) }
        return ObjectID(git_object_id(object).pointee).description
    }

    /// The best common ancestor of two revisions (as `git merge-base A B`), in hex.
    public func mergeBase(_ a: String, _ b: String) throws -> String {
        var one = try ObjectID(bytes: Array(hexBytes: commitID(of: a))).oid, two = try ObjectID(bytes: Array(hexBytes: commitID(of: b))).oid
        var out = git_oid()
        let code = git_merge_base(&out, pointer, &one, &two)
        if code == GIT_ENOTFOUND.rawValue { throw GitError.unknownRevision("a common ancestor of \(a) and \(b) (they share no history)") }
        try check(code, "git_merge_base")
        return ObjectID(out).description
    }

    /// Renamed files between two trees, or a tree and the index (`newTree` nil): old path ->
    /// new path, found by libgit2's similarity detection (as `git diff -M`).
    public func renames(from oldTree: String, to newTree: String?) throws -> [String: String] {
        var old: OpaquePointer? = nil
        var oldID = try treeID(of: oldTree).oid
        try check(git_tree_lookup(&old, pointer, &oldID), "git_tree_lookup")
        defer { git_tree_free(old) }
        var diff: OpaquePointer? = nil
        if let newTree {
            var new: OpaquePointer? = nil
            var newID = try treeID(of: newTree).oid
            try check(git_tree_lookup(&new, pointer, &newID), "git_tree_lookup")
            defer { git_tree_free(new) }
            try check(git_diff_tree_to_tree(&diff, pointer, old, new, nil), "git_diff_tree_to_tree")
        } else {
            try withIndex { index in try check(git_diff_tree_to_index(&diff, pointer, old, index, nil), "git_diff_tree_to_index") }
        }
        defer { git_diff_free(diff) }
        var options = git_diff_find_options()
        try check(git_diff_find_options_init(&options, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)), "git_diff_find_options_init")
        options.flags = GIT_DIFF_FIND_RENAMES.rawValue
        try check(git_diff_find_similar(diff, &options), "git_diff_find_similar")
        var out: [String: String] = [:]
        for i in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, i), delta.pointee.status == GIT_DELTA_RENAMED,
                  let from = delta.pointee.old_file.path, let to = delta.pointee.new_file.path else { continue }
            out[String(cString: from)] = String(cString: to)
        }
        return out
    }

    /// Whether HEAD points at a branch with no commit yet.
    public var headIsUnborn: Bool { git_repository_head_unborn(pointer) == 1 }

    /// Every blob of a tree, recursively, by repository-relative path (gitlinks skipped).
    func files(inTree treeID: ObjectID) throws -> [String: FileEntry] {
        var order: [String] = []
        return try files(inTree: treeID, regularOrder: &order)
    }

    /// The same, and the paths of the regular files (not symlinks) in the walk's order: tree
    /// order, which is the paths' byte order (`PathOrder.sorted` then has nothing to sort).
    func files(inTree treeID: ObjectID, regularOrder: inout [String]) throws -> [String: FileEntry] {
        var tree: OpaquePointer? = nil
        var oid = treeID.oid
        try check(git_tree_lookup(&tree, pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(tree) }
        final class Collector { var files: [String: FileEntry] = [:]; var order: [String] = [] }
        let collector = Collector()
        let payload = Unmanaged.passUnretained(collector).toOpaque()
        let code = git_tree_walk(tree, GIT_TREEWALK_PRE, { root, entry, payload in
            guard let entry, let payload, let root else { return 0 }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return 0 }
            let mode = git_tree_entry_filemode(entry).rawValue
            let collector = Unmanaged<Collector>.fromOpaque(payload).takeUnretainedValue()
            let path = String(cString: root) + String(cString: git_tree_entry_name(entry))
            collector.files[path] = FileEntry(id: ObjectID(git_tree_entry_id(entry).pointee), mode: UInt32(mode))
            if GitSnapshot.isRegular(UInt32(mode)) { collector.order.append(path) }
            return 0
        }, payload)
        try check(code, "git_tree_walk")
        regularOrder = collector.order
        return collector.files
    }

    /// The bytes of a blob.
    func blob(_ id: ObjectID) throws -> [UInt8] {
        var blob: OpaquePointer? = nil
        var oid = id.oid
        try check(git_blob_lookup(&blob, pointer, &oid), "git_blob_lookup(\(id))")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }

    /// A string config value, if set.
    public func configString(_ name: String) throws -> String? {
        var config: OpaquePointer? = nil
        try check(git_repository_config_snapshot(&config, pointer), "git_repository_config_snapshot")
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>? = nil
        let code = git_config_get_string(&value, config, name)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try check(code, "git_config_get_string(\(name))")
        return value.map { String(cString: $0) }
    }
}
