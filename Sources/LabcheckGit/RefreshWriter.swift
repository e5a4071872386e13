import CLibgit2
import Foundation
import LabcheckCore

/// A write refused before anything moved (exit 2): the repository, index and work tree are
/// byte-identical to before; `message` says why and what to do.
public struct WriteRefused: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }

    public init(message: String) { self.message = message }
}

/// One file to rewrite: its bytes in HEAD and after the edit, and how to re-plan the edit on
/// another copy of the file (the index's, the work tree's), which may hold other changes.
public struct PlannedFile {
    public let path: String
    public let headBytes: [UInt8]
    public let newBytes: [UInt8]
    /// Plans the same edit on another copy: the new bytes, or nil when the copy changed a
    /// stage the edit touches (then the write is refused). Returns nil for no edit needed.
    public let replan: ([UInt8]) -> Result<[UInt8], WriteRefused>

    public init(path: String, headBytes: [UInt8], newBytes: [UInt8], replan: @escaping ([UInt8]) -> Result<[UInt8], WriteRefused>) {
        self.path = path
        self.headBytes = headBytes
        self.newBytes = newBytes
        self.replan = replan
    }
}

/// What a write did.
public struct WriteOutcome: Sendable {
    /// The new commit, when one was made.
    public let commit: String?
    /// The ref that moved (`refs/heads/main`, or `HEAD` when detached).
    public let ref: String?
    public let indexUpdated: [String]
    public let worktreeUpdated: [String]
}

/// Writes planned edits as one commit on the current branch, and the same edits into the index
/// and the work tree, losing nothing (DESIGN §6, notes/git-facts.md):
/// 1. every precondition is checked first (no merge/rebase/cherry-pick/revert in progress, not
///    bare, HEAD born, no unmerged entries, `index.lock` free, an identity, `commit.gpgsign` off
///    unless only the index and work tree are written);
/// 2. each file's index and work-tree copies are re-planned on their own bytes (a copy whose
///    edited stage differs from HEAD's is a refusal), and every new blob, the tree and the commit
///    are written as unreachable objects;
/// 3. `index.lock` is taken exclusively, the index re-read and checked unchanged;
/// 4. the branch moves by compare-and-swap on the old tip (a commit made meanwhile refuses);
/// 5. the new index is committed from the lock, then each work-tree file is replaced atomically.
/// A failure before 4 leaves only unreachable objects. libgit2 runs no hooks and cannot sign.
public final class RefreshWriter {
    let repository: GitRepository
    let environment: [String: String]

    public init(repository: GitRepository, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.repository = repository
        self.environment = environment
    }

    /// Fault injection for tests, named by `LABCHECK_TEST_FAULT` (never set in normal use):
    /// `after-objects` exits with 86 once the commit object exists, before the lock is taken;
    /// `lock-taken` creates `index.lock` just before labcheck tries to take it; `ref-moved`
    /// commits on the branch just before the compare-and-swap.
    var fault: String? { environment["LABCHECK_TEST_FAULT"] }

    // MARK: Preconditions

    /// Every precondition of a write, checked before anything is written.
    public func checkPreconditions(commit: Bool) throws {
        let repo = repository.pointer
        if repository.isBare { throw WriteRefused(message: "this is a bare repository: there is no index or work tree to refresh; run it in a clone") }
        let state = git_repository_state(repo)
        if state != GIT_REPOSITORY_STATE_NONE.rawValue {
            throw WriteRefused(message: "a \(Self.stateName(state)) is in progress: finish or abort it (`git status` says how), then run labcheck again")
        }
        if repository.headIsUnborn { throw WriteRefused(message: "HEAD has no commit yet: commit the lab files first, then refresh them") }
        let conflicts = try repository.withIndex { git_index_has_conflicts($0) != 0 }
        if conflicts { throw WriteRefused(message: "the index has unmerged entries: resolve them and `git add` the result first") }
        if FileManager.default.fileExists(atPath: repository.indexFilePath + ".lock") {
            throw WriteRefused(message: "\(repository.indexFilePath).lock exists: another git process is running (or crashed); wait for it, or remove the lock if none is running")
        }
        if commit {
            _ = try signature("AUTHOR")
            if try repository.configBool("commit.gpgsign") == true {
                throw WriteRefused(message: "commit.gpgsign is on and libgit2 cannot sign commits: run with --no-commit (the index and work tree are refreshed) and commit with `git commit`")
            }
        }
    }

    static func stateName(_ state: Int32) -> String {
        switch UInt32(bitPattern: state) {
        case GIT_REPOSITORY_STATE_MERGE.rawValue: return "merge"
        case GIT_REPOSITORY_STATE_REVERT.rawValue, GIT_REPOSITORY_STATE_REVERT_SEQUENCE.rawValue: return "revert"
        case GIT_REPOSITORY_STATE_CHERRYPICK.rawValue, GIT_REPOSITORY_STATE_CHERRYPICK_SEQUENCE.rawValue: return "cherry-pick"
        case GIT_REPOSITORY_STATE_BISECT.rawValue: return "bisect"
        default: return "rebase or am"
        }
    }

    /// The author or committer as git decides: `GIT_<ROLE>_NAME`/`_EMAIL`/`_DATE`, then
    /// `user.name`/`user.email` (libgit2 1.5.1's default signature ignores the environment).
    func signature(_ role: String) throws -> UnsafeMutablePointer<git_signature> {
        let configName = try repository.configString("user.name"), configEmail = try repository.configString("user.email")
        let name = environment["GIT_\(role)_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? configName
        let email = environment["GIT_\(role)_EMAIL"].flatMap { $0.isEmpty ? nil : $0 } ?? configEmail ?? environment["EMAIL"]
        guard let name, !name.isEmpty, let email, !email.isEmpty else {
            throw WriteRefused(message: "no identity: set user.name and user.email (`git config user.name ...`), or GIT_\(role)_NAME and GIT_\(role)_EMAIL")
        }
        var sig: UnsafeMutablePointer<git_signature>? = nil
        if let date = environment["GIT_\(role)_DATE"], !date.isEmpty {
            guard let (time, offset) = Self.parseDate(date) else {
                throw WriteRefused(message: "GIT_\(role)_DATE '\(date)' is in a form labcheck does not read: use ISO 8601 (2026-01-01T00:00:00Z) or @<seconds> +hhmm, or unset it")
            }
            try check(git_signature_new(&sig, name, email, time, Int32(offset)), "git_signature_new")
        } else {
            try check(git_signature_now(&sig, name, email), "git_signature_now")
        }
        guard let sig else { throw GitError.libgit2(call: "git_signature_new", code: -1, message: "no signature returned") }
        return sig
    }

    /// `@1700000000 +0100` or ISO 8601: seconds since the epoch and the offset in minutes.
    static func parseDate(_ text: String) -> (Int64, Int)? {
        if text.hasPrefix("@") {
            let parts = text.dropFirst().split(separator: " ")
            guard let seconds = parts.first.flatMap({ Int64($0) }) else { return nil }
            var offset = 0
            if parts.count > 1, let z = Int(parts[1]) { offset = (z / 100) * 60 + (z % 100) }
            return (seconds, offset)
        }
        let formatter = ISO8601DateFormatter()
        guard let date = formatter.date(from: text) else { return nil }
        var offset = 0
        if let plus = text.lastIndex(where: { $0 == "+" || $0 == "-" }), text.distance(from: plus, to: text.endIndex) == 6 {
            let tz = text[text.index(after: plus)...].split(separator: ":").compactMap { Int($0) }
            if tz.count == 2 { offset = (tz[0] * 60 + tz[1]) * (text[plus] == "-" ? -1 : 1) }
        }
        return (Int64(date.timeIntervalSince1970), offset)
    }

    // MARK: The write

    /// Writes `files`: one commit (unless `commit` is false), the index and the work tree.
    public func write(_ files: [PlannedFile], message: String, commit: Bool) throws -> WriteOutcome {
        try checkPreconditions(commit: commit)
        let repo = repository.pointer
        // The copies in the index and the work tree, re-planned on their own bytes.
        let indexEntries = try GitSnapshot.indexEntries(repository, failOnConflicts: true)
        var indexPlans: [(path: String, old: ObjectID, mode: UInt32, bytes: [UInt8])] = []
        var worktreePlans: [(path: String, old: [UInt8], bytes: [UInt8])] = []
        for file in files {
            if let entry = indexEntries[file.path] {
                let bytes = try repository.blob(entry.id)
                switch file.replan(bytes) {
                case .success(let new): if new != bytes { indexPlans.append((file.path, entry.id, entry.mode, new)) }
                case .failure(let refusal): throw WriteRefused(message: "\(file.path) in the index: \(refusal.message)")
                }
            }
            if let workdir = repository.workdir, let bytes = FileBytes.read(workdir + file.path) {
                switch file.replan(bytes) {
                case .success(let new): if new != bytes { worktreePlans.append((file.path, bytes, new)) }
                case .failure(let refusal): throw WriteRefused(message: "\(file.path) in the work tree: \(refusal.message)")
                }
            }
        }
        // Objects first: unreachable until the ref moves.
        var newCommit: ObjectID? = nil
        var refName: String? = nil
        var oldTip: ObjectID? = nil
        if commit {
            (newCommit, refName, oldTip) = try createCommit(files, message: message)
        }
        let indexBlobs = try indexPlans.map { try createBlob($0.bytes) }
        if fault == "after-objects" { exit(86) }
        // Take the index lock, then check nothing moved under us.
        let lockPath = repository.indexFilePath + ".lock"
        if fault == "lock-taken" { FileManager.default.createFile(atPath: lockPath, contents: Data()) }
        let lock = open(lockPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard lock >= 0 else {
            throw WriteRefused(message: "\(lockPath) exists: another git process took the index; nothing was changed (only unreachable objects were written), run labcheck again when it is done")
        }
        var lockHeld = true
        defer { if lockHeld { close(lock); unlink(lockPath) } }
        let current = try GitSnapshot.indexEntries(repository, failOnConflicts: true)
        for plan in indexPlans where current[plan.path]?.id != plan.old {
            throw WriteRefused(message: "\(plan.path) changed in the index while labcheck ran; nothing was changed, run it again")
        }
        let newIndex = indexPlans.isEmpty ? nil : try buildIndex(zip(indexPlans, indexBlobs).map { ($0.0.path, $0.1, $0.0.mode) })
        // A work-tree file saved since it was read would be overwritten: refuse before the ref moves.
        if let workdir = repository.workdir {
            for plan in worktreePlans where FileBytes.read(workdir + plan.path) != plan.old {
                throw WriteRefused(message: "\(plan.path) changed in the work tree while labcheck ran; nothing was changed, run it again")
            }
        }
        // Move the ref: compare-and-swap on the tip the commit was built on.
        if let newCommit, let refName, let oldTip {
            if fault == "ref-moved" { try commitSomethingElse(on: refName, parent: oldTip) }
            var ref: OpaquePointer? = nil
            var id = newCommit.oid, old = oldTip.oid
            let code = git_reference_create_matching(&ref, repo, refName, &id, 1, &old, "labcheck --fix-explicit: refresh")
            if code < 0 {
                throw WriteRefused(message: "\(refName) moved while labcheck ran (a commit was made meanwhile); nothing was changed (only unreachable objects were written), run it again")
            }
            git_reference_free(ref)
        }
        // Commit the index from the lock, then the work-tree files.
        if let newIndex {
            guard write(lock, newIndex), fsync(lock) == 0, close(lock) == 0 else {
                throw GitError.libgit2(call: "write index.lock", code: -1, message: "cannot write \(lockPath): \(String(cString: strerror(errno))); HEAD \(newCommit == nil ? "did not move" : "has the refresh commit") and the index is unchanged")
            }
            lockHeld = false
            guard rename(lockPath, repository.indexFilePath) == 0 else {
                unlink(lockPath)
                throw GitError.libgit2(call: "rename index.lock", code: -1, message: String(cString: strerror(errno)))
            }
        } else {
            close(lock)
            unlink(lockPath)
            lockHeld = false
        }
        var written: [String] = []
        var skipped: [String] = []
        if let workdir = repository.workdir {
            for plan in worktreePlans {
                // Checked once more right before the replace: a save in between is kept as saved.
                guard FileBytes.read(workdir + plan.path) == plan.old else { skipped.append(plan.path); continue }
                try replaceFile(workdir + plan.path, with: plan.bytes)
                written.append(plan.path)
            }
        }
        if !skipped.isEmpty {
            throw GitError.libgit2(call: "refresh the work tree", code: -1,
                                   message: "\(skipped.joined(separator: ", ")) changed in the work tree while labcheck wrote; left as saved. The index\(newCommit == nil ? "" : " and HEAD") have the edit, so `git diff` shows it undone in that file: re-apply it to your version by hand, or take the index's with `git checkout -- FILE` (which drops your save)")
        }
        return WriteOutcome(commit: newCommit?.description, ref: refName, indexUpdated: indexPlans.map(\.path), worktreeUpdated: written)
    }

    /// The refresh commit: HEAD's tree with the new blobs, HEAD as parent, not yet on any ref.
    private func createCommit(_ files: [PlannedFile], message: String) throws -> (ObjectID, String, ObjectID) {
        let repo = repository.pointer
        var head: OpaquePointer? = nil
        try check(git_repository_head(&head, repo), "git_repository_head")
        defer { git_reference_free(head) }
        let refName = git_repository_head_detached(repo) == 1 ? "HEAD" : String(cString: git_reference_name(head))
        var headCommit: OpaquePointer? = nil
        try check(git_reference_peel(&headCommit, head, GIT_OBJECT_COMMIT), "git_reference_peel")
        defer { git_object_free(headCommit) }
        let tip = ObjectID(git_object_id(headCommit).pointee)
        var tree: OpaquePointer? = nil
        try check(git_commit_tree(&tree, headCommit), "git_commit_tree")
        defer { git_tree_free(tree) }
        let headFiles = try repository.files(inTree: ObjectID(git_tree_id(tree).pointee))
        var blobs: [(String, ObjectID, UInt32)] = []
        for file in files {
            guard let entry = headFiles[file.path] else { throw WriteRefused(message: "\(file.path) is not in HEAD") }
            blobs.append((file.path, try createBlob(file.newBytes), entry.mode))
        }
        var newTree = git_oid()
        try withTreeUpdates(blobs) { updates in
            try check(git_tree_create_updated(&newTree, repo, tree, updates.count, updates.baseAddress), "git_tree_create_updated")
        }
        var treeObject: OpaquePointer? = nil
        try check(git_tree_lookup(&treeObject, repo, &newTree), "git_tree_lookup")
        defer { git_tree_free(treeObject) }
        let author = try signature("AUTHOR"), committer = try signature("COMMITTER")
        defer { git_signature_free(author); git_signature_free(committer) }
        var commitID = git_oid()
        var parents: [OpaquePointer?] = [headCommit]
        try parents.withUnsafeMutableBufferPointer { p in
            try check(git_commit_create(&commitID, repo, nil, author, committer, nil, message, treeObject, 1, p.baseAddress), "git_commit_create")
        }
        return (ObjectID(commitID), refName, tip)
    }

    /// Runs `body` with libgit2 tree updates whose path strings live for the call.
    private func withTreeUpdates(_ blobs: [(String, ObjectID, UInt32)], _ body: (UnsafeMutableBufferPointer<git_tree_update>) throws -> Void) throws {
        // strdup'd paths, freed after the call: libgit2 only reads them during it, so the
        // pointers in the updates stay valid for as long as they are used.
        let paths = blobs.map { strdup($0.0) }
        defer { paths.forEach { free($0) } }
        var updates = zip(blobs, paths).map { blob, path in
            git_tree_update(action: GIT_TREE_UPDATE_UPSERT, id: blob.1.oid, filemode: git_filemode_t(rawValue: blob.2), path: UnsafePointer(path))
        }
        try updates.withUnsafeMutableBufferPointer { try body($0) }
    }

    private func createBlob(_ bytes: [UInt8]) throws -> ObjectID {
        var oid = git_oid()
        try bytes.withUnsafeBytes { buf in
            try check(git_blob_create_from_buffer(&oid, repository.pointer, buf.baseAddress, buf.count), "git_blob_create_from_buffer")
        }
        return ObjectID(oid)
    }

    /// The repository's index with the given entries pointing at new blobs and their stat data
    /// zeroed (so git hashes the file again rather than trusting its cache), as file bytes:
    /// written by libgit2 to a private copy, which is then read back.
    private func buildIndex(_ updates: [(String, ObjectID, UInt32)]) throws -> [UInt8] {
        let temp = repository.gitDirectory + "labcheck-index-\(getpid())"
        defer { unlink(temp); unlink(temp + ".lock") }
        guard let current = FileBytes.read(repository.indexFilePath) else {
            throw GitError.libgit2(call: "read index", code: -1, message: "cannot read \(repository.indexFilePath)")
        }
        guard FileManager.default.createFile(atPath: temp, contents: Data(current)) else {
            throw GitError.libgit2(call: "copy index", code: -1, message: "cannot write \(temp)")
        }
        var original = stat()
        guard stat(repository.indexFilePath, &original) == 0 else {
            throw GitError.libgit2(call: "stat index", code: -1, message: String(cString: strerror(errno)))
        }
        var index: OpaquePointer? = nil
        try check(git_index_open(&index, temp), "git_index_open")
        defer { git_index_free(index) }
        try check(git_index_read(index, 1), "git_index_read")
        for (path, id, mode) in updates {
            guard let old = git_index_get_bypath(index, path, 0) else { throw WriteRefused(message: "\(path) left the index while labcheck ran") }
            var entry = old.pointee
            entry.id = id.oid
            entry.mode = mode
            entry.ctime = git_index_time(seconds: 0, nanoseconds: 0)
            entry.mtime = git_index_time(seconds: 0, nanoseconds: 0)
            entry.file_size = 0
            entry.dev = 0
            entry.ino = 0
            try check(git_index_add(index, &entry), "git_index_add")
        }
        // Racily clean entries: recorded in or after the old index file's second, a change to
        // the file within that second cannot be seen from stat data. Git trusted them only because the
        // old index file was that recent; the new one is newer, so mark them (size 0, as git
        // does when it rewrites an index) for git to hash again. Otherwise a user's edit made in
        // that tick would look unchanged, and be hidden.
        for i in 0..<git_index_entrycount(index) {
            guard let e = git_index_get_byindex(index, i) else { continue }
            // Whole seconds, as a git built without nanosecond stat data compares them.
            let racy = Int(e.pointee.mtime.seconds) >= original.st_mtim.tv_sec
            guard racy, e.pointee.file_size != 0, git_index_entry_stage(e) == 0 else { continue }
            var entry = e.pointee
            entry.file_size = 0
            try check(git_index_add(index, &entry), "git_index_add")
        }
        try check(git_index_write(index), "git_index_write")
        guard let bytes = FileBytes.read(temp) else { throw GitError.libgit2(call: "read index copy", code: -1, message: temp) }
        return bytes
    }

    private func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buf in
            // The pointer is only read while `buf` is alive, and only when it holds bytes (a
            // non-empty buffer always has a base address).
            guard let base = buf.baseAddress else { return true }
            var done = 0
            while done < buf.count {
                let n = Foundation.write(fd, base + done, buf.count - done)
                if n <= 0 { return false }
                done += n
            }
            return true
        }
    }

    /// Replaces a work-tree file atomically (a temporary file beside it, renamed over it),
    /// keeping its permission bits.
    private func replaceFile(_ path: String, with bytes: [UInt8]) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw GitError.libgit2(call: "stat", code: -1, message: "\(path): \(String(cString: strerror(errno)))") }
        let temp = (path as NSString).deletingLastPathComponent + "/.labcheck-\(getpid())-" + (path as NSString).lastPathComponent
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, info.st_mode & 0o7777)
        guard fd >= 0 else { throw GitError.libgit2(call: "open", code: -1, message: "\(temp): \(String(cString: strerror(errno)))") }
        let ok = write(fd, bytes) && fchmod(fd, info.st_mode & 0o7777) == 0 && fsync(fd) == 0
        close(fd)
        guard ok, rename(temp, path) == 0 else {
            unlink(temp)
            throw GitError.libgit2(call: "write", code: -1, message: "cannot replace \(path): \(String(cString: strerror(errno))); HEAD and the index have the refresh, the file does not")
        }
    }

    /// Test fault `ref-moved`: another commit on the branch (same tree), as a concurrent
    /// `git commit` would make.
    private func commitSomethingElse(on refName: String, parent: ObjectID) throws {
        let repo = repository.pointer
        var parentCommit: OpaquePointer? = nil
        var p = parent.oid
        try check(git_commit_lookup(&parentCommit, repo, &p), "git_commit_lookup")
        defer { git_commit_free(parentCommit) }
        var tree: OpaquePointer? = nil
        try check(git_commit_tree(&tree, parentCommit), "git_commit_tree")
        defer { git_tree_free(tree) }
        let sig = try signature("COMMITTER")
        defer { git_signature_free(sig) }
        var id = git_oid()
        var parents: [OpaquePointer?] = [parentCommit]
        try parents.withUnsafeMutableBufferPointer { ps in
            try check(git_commit_create(&id, repo, refName, sig, sig, nil, "concurrent commit", tree, 1, ps.baseAddress), "git_commit_create")
        }
    }

    /// A unified diff of `old` and `new` from libgit2's patch API.
    public static func unifiedDiff(path: String, old: [UInt8], new: [UInt8]) throws -> String {
        LibGit2.initialize()
        var patch: OpaquePointer? = nil
        try old.withUnsafeBytes { o in
            try new.withUnsafeBytes { n in
                try check(git_patch_from_buffers(&patch, o.baseAddress, o.count, path, n.baseAddress, n.count, path, nil), "git_patch_from_buffers")
            }
        }
        defer { git_patch_free(patch) }
        var buf = git_buf()
        try check(git_patch_to_buf(&buf, patch), "git_patch_to_buf")
        defer { git_buf_dispose(&buf) }
        guard let ptr = buf.ptr else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: ptr, count: buf.size), as: UTF8.self)
    }
}

extension GitRepository {
    /// A boolean config value, if set (git's spellings: true/yes/on/1, false/no/off/0).
    public func configBool(_ name: String) throws -> Bool? {
        var config: OpaquePointer? = nil
        try check(git_repository_config_snapshot(&config, pointer), "git_repository_config_snapshot")
        defer { git_config_free(config) }
        var value: Int32 = 0
        let code = git_config_get_bool(&value, config, name)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try check(code, "git_config_get_bool(\(name))")
        return value != 0
    }
}
