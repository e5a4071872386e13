import CLibgit2
import Foundation
import LabcheckCore

/// What the index holds that a tree does not (as `git diff --cached` without rename detection).
/// The incremental check (`IncrementalCheck`) compares two of these to know what changed
/// between two staged snapshots with the same diff base.
extension GitRepository {
    /// Every path where the index differs from the tree `treeID`, with the index's entry there:
    /// `"<mode> <blob id>"` (octal mode), or `"-"` when the index has no file at that path.
    /// Submodules are left out, as every snapshot leaves them out.
    /// When `indexTreeID()` has just written the index's tree (in memory), the two trees are
    /// compared instead (`treeChanges`), which gives the same changes faster.
    public func indexChanges(againstTree treeID: String) throws -> [String: String] {
        let base = ObjectID(bytes: [UInt8](hexBytes: treeID))
        if let scratch = indexTreeScratch { return try Self.treeChanges(from: base, to: scratch.tree, in: scratch.repository) }
        // Without the index's tree in memory: libgit2's tree-to-index diff (it reads every tree).
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        options.flags = GIT_DIFF_INCLUDE_TYPECHANGE.rawValue | GIT_DIFF_IGNORE_SUBMODULES.rawValue
        var tree: OpaquePointer? = nil
        var oid = base.oid
        try check(git_tree_lookup(&tree, pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(tree) }
        return try withIndex { index in
            var diff: OpaquePointer? = nil
            try check(git_diff_tree_to_index(&diff, pointer, tree, index, &options), "git_diff_tree_to_index")
            defer { git_diff_free(diff) }
            return Self.changes(in: diff)
        }
    }

    /// The paths where two trees differ, as `indexChanges` gives them, found by walking both
    /// trees together and not entering subtrees whose ids are equal: only the trees along the
    /// changed paths are read (libgit2 1.5.1's tree-to-tree diff reads every tree of both, ~18 ms
    /// for 20,000 files when they are not in memory yet). Submodules are left out, as every
    /// snapshot leaves them out; a path that changes between file and directory is the file's
    /// deletion or addition and the directory's files'. Iterative: a repository's depth is
    /// bounded only by path length.
    static func treeChanges(from old: ObjectID, to new: ObjectID, in repository: OpaquePointer) throws -> [String: String] {
        struct Entry { let mode: UInt32; let id: ObjectID; let isTree: Bool }
        func entries(_ id: ObjectID?) throws -> [String: Entry] {
            guard let id else { return [:] }
            var tree: OpaquePointer? = nil
            var oid = id.oid
            try check(git_tree_lookup(&tree, repository, &oid), "git_tree_lookup")
            defer { git_tree_free(tree) }
            var out: [String: Entry] = [:]
            for k in 0..<git_tree_entrycount(tree) {
                guard let entry = git_tree_entry_byindex(tree, k), let name = git_tree_entry_name(entry), let entryID = git_tree_entry_id(entry) else { continue }
                let type = git_tree_entry_type(entry)
                guard type == GIT_OBJECT_TREE || type == GIT_OBJECT_BLOB else { continue }   // submodules: left out
                out[String(cString: name)] = Entry(mode: git_tree_entry_filemode(entry).rawValue, id: ObjectID(entryID.pointee), isTree: type == GIT_OBJECT_TREE)
            }
            return out
        }
        var changes: [String: String] = [:]
        var pending: [(prefix: String, old: ObjectID?, new: ObjectID?)] = [("", old, new)]
        while let (prefix, oldTree, newTree) = pending.popLast() {
            let before = try entries(oldTree), after = try entries(newTree)
            for name in Set(before.keys).union(after.keys) {
                let o = before[name], n = after[name]
                if let o, let n, o.mode == n.mode, o.id == n.id { continue }
                let path = prefix + name
                let oldSubtree = o.flatMap { $0.isTree ? $0.id : nil }, newSubtree = n.flatMap { $0.isTree ? $0.id : nil }
                if oldSubtree != nil || newSubtree != nil { pending.append((path + "/", oldSubtree, newSubtree)) }
                if let n, !n.isTree {
                    changes[path] = entryText(mode: n.mode, id: n.id)
                } else if let o, !o.isTree {
                    changes[path] = "-"
                }
            }
        }
        return changes
    }

    /// The changes a diff lists, as `indexChanges` gives them.
    private static func changes(in diff: OpaquePointer?) -> [String: String] {
        var changes: [String: String] = [:]
        for k in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, k) else { continue }
            let file = delta.pointee.status == GIT_DELTA_DELETED ? delta.pointee.old_file : delta.pointee.new_file
            guard let path = file.path else { continue }
            changes[String(cString: path)] = delta.pointee.status == GIT_DELTA_DELETED
                ? "-" : entryText(mode: UInt32(delta.pointee.new_file.mode), id: ObjectID(delta.pointee.new_file.id))
        }
        return changes
    }

    /// The entry at `path` in the tree `treeID`, written as `indexChanges` writes them (`"-"`
    /// when the tree has no file there).
    public func treeEntry(_ path: String, inTree treeID: String) throws -> String {
        var tree: OpaquePointer? = nil
        var oid = ObjectID(bytes: [UInt8](hexBytes: treeID)).oid
        try check(git_tree_lookup(&tree, pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(tree) }
        var entry: OpaquePointer? = nil
        let code = git_tree_entry_bypath(&entry, tree, path)
        if code == GIT_ENOTFOUND.rawValue { return "-" }
        try check(code, "git_tree_entry_bypath")
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB, let id = git_tree_entry_id(entry) else { return "-" }
        return Self.entryText(mode: git_tree_entry_filemode(entry).rawValue, id: ObjectID(id.pointee))
    }

    /// The bytes of the blob an entry text names (nil for `"-"` or text that names no blob).
    public func blobBytes(ofEntry entry: String) throws -> [UInt8]? {
        guard let id = Self.entryParts(entry)?.id else { return nil }
        return try blob(ObjectID(bytes: [UInt8](hexBytes: id)))
    }

    /// The mode and blob id of an entry text, nil for `"-"`.
    public static func entryParts(_ entry: String) -> (mode: UInt32, id: String)? {
        let parts = entry.split(separator: " ")
        guard parts.count == 2, let mode = UInt32(parts[0], radix: 8), parts[1].utf8.count == 40 || parts[1].utf8.count == 64 else { return nil }
        return (mode, String(parts[1]))
    }

    /// Whether an entry text is a regular file (not a symlink, not a submodule).
    public static func isRegularEntry(_ entry: String) -> Bool {
        entryParts(entry).map { GitSnapshot.isRegular($0.mode) } ?? false
    }

    static func entryText(mode: UInt32, id: ObjectID) -> String { String(mode, radix: 8) + " " + id.description }
}

/// The staged snapshot read for its configuration only: its paths in the index's order and
/// its files by path. No table of every entry is built (a monorepo's 20,000 entries and their
/// stat data cost more than the rest of an incremental check).
public final class IndexPathsReader: SnapshotReader {
    let repository: GitRepository
    public let label = "staged"
    public let paths: [String]

    public init(repository: GitRepository) throws {
        self.repository = repository
        paths = PathOrder.sorted(try repository.withIndex { index in
            var out: [String] = []
            let count = git_index_entrycount(index)
            out.reserveCapacity(count)
            for i in 0..<count {
                guard let entry = git_index_get_byindex(index, i), git_index_entry_stage(entry) == 0,
                      GitSnapshot.isRegular(entry.pointee.mode) else { continue }
                out.append(String(cString: entry.pointee.path))
            }
            return out
        })
    }

    public func read(_ path: String) throws -> [UInt8] {
        let id: ObjectID? = try repository.withIndex { index in
            guard let entry = git_index_get_bypath(index, path, 0), GitSnapshot.isRegular(entry.pointee.mode) else { return nil }
            return ObjectID(entry.pointee.id)
        }
        guard let id else { throw GitError.libgit2(call: "read", code: -3, message: "\(path) is not in the staged snapshot") }
        return try repository.blob(id)
    }
}
