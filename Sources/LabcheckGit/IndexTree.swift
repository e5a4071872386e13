import CLibgit2
import Foundation

/// The trees of an index, written into an object database from the index's entries in one
/// pass: what `git_index_write_tree_to` writes, without what libgit2 1.5.1 does after writing
/// them, which is to read the whole new tree back, every subtree of it, to rebuild the index's
/// cache-tree (13-20 ms for 20,000 files, more than the writing; labcheck never writes that
/// index back). The entries are libgit2's (`git_index_get_byindex`), the tree objects are
/// formatted as git formats them (`<octal mode> <name>\0<20-byte id>`, entries in path order),
/// hashed with OpenSSL's SHA-1 (`BlobHash`) and stored in the caller's in-memory backend.
///
/// Returns nil for any index it does not take as plain, and the caller then lets libgit2
/// write the trees (and fail where libgit2 fails): a conflict or an intent-to-add entry, a
/// mode git writes in no tree, a null id, entries out of byte order, an empty path
/// component, `.`, `..`, a name some file system could take for `.git` or a `.git*` file
/// (any case; followed by dots, spaces or a colon; `git~N`; a backslash or colon anywhere;
/// non-ASCII after a leading dot; a symlink named `.git*`), or a path that is both a file and
/// a directory. Such an index is rare; the fallback is what every index cost before.
enum IndexTree {
    private static let directoryMode = Array("40000".utf8)

    /// The mode's text as a tree entry writes it, for the modes an index entry may have in a
    /// tree (blob, executable, symlink, gitlink).
    private static func modeText(_ mode: UInt32) -> [UInt8]? {
        switch mode {
        case 0o100644: return blobMode
        case 0o100755: return executableMode
        case 0o120000: return linkMode
        case 0o160000: return gitlinkMode
        default: return nil
        }
    }
    private static let blobMode = Array("100644".utf8), executableMode = Array("100755".utf8)
    private static let linkMode = Array("120000".utf8), gitlinkMode = Array("160000".utf8)

    /// The directories being built, outermost first: each one's name and its tree's bytes.
    private struct OpenDirectories {
        var names: [UnsafeBufferPointer<UInt8>] = [UnsafeBufferPointer(start: nil, count: 0)]
        var bodies: [[UInt8]] = [[]]
        let backend: UnsafeMutablePointer<git_odb_backend>

        /// Adds an entry to the innermost directory.
        mutating func append(_ mode: [UInt8], _ name: UnsafeBufferPointer<UInt8>, _ id: UnsafeRawBufferPointer) {
            let k = bodies.count - 1
            bodies[k].append(contentsOf: mode)
            bodies[k].append(0x20)
            bodies[k].append(contentsOf: name)
            bodies[k].append(0)
            bodies[k].append(contentsOf: id)
        }

        /// Writes the innermost directory and adds it to its parent.
        mutating func close() -> Bool {
            let name = names.removeLast(), body = bodies.removeLast()
            guard let id = store(body, backend) else { return false }
            id.bytes.withUnsafeBytes { append(directoryMode, name, $0) }
            return true
        }
    }

    static func write(_ index: OpaquePointer, into backend: UnsafeMutablePointer<git_odb_backend>) -> ObjectID? {
        guard git_index_has_conflicts(index) == 0 else { return nil }
        var open = OpenDirectories(backend: backend)
        var previous: UnsafePointer<CChar>? = nil
        for k in 0..<git_index_entrycount(index) {
            // The entry and its path stay valid while the index is not changed.
            guard let entry = git_index_get_byindex(index, k), let cPath = entry.pointee.path else { return nil }
            let stage = (Int32(entry.pointee.flags) & GIT_INDEX_ENTRY_STAGEMASK) >> GIT_INDEX_ENTRY_STAGESHIFT
            guard stage == 0, Int32(entry.pointee.flags_extended) & Int32(GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue) == 0,
                  let mode = modeText(entry.pointee.mode) else { return nil }
            var id = entry.pointee.id
            guard git_oid_is_zero(&id) == 0 else { return nil }
            // In strictly increasing byte order (strcmp compares bytes as unsigned).
            if let previous, strcmp(previous, cPath) >= 0 { return nil }
            previous = cPath
            let length = strlen(cPath)
            // No backslash or colon anywhere (names NTFS reads otherwise).
            guard memchr(cPath, 0x5C, length) == nil, memchr(cPath, 0x3A, length) == nil else { return nil }
            let path = UnsafeBufferPointer(start: UnsafeRawPointer(cPath).assumingMemoryBound(to: UInt8.self), count: length)
            // Walk the components: the open directories it shares, then the ones it opens.
            var depth = 0, from = 0
            while let found = memchr(cPath + from, 0x2F, length - from) {
                let slash = UnsafeRawPointer(found) - UnsafeRawPointer(cPath)
                let component = UnsafeBufferPointer(rebasing: path[from..<slash])
                depth += 1
                from = slash + 1
                if depth < open.names.count, same(open.names[depth], component) { continue }
                guard isPlainName(component) else { return nil }
                while open.names.count > depth { guard open.close() else { return nil } }
                // A file (or link) already at the directory's path: git refuses such an index.
                var prefix = Array(path[..<(from - 1)])
                prefix.append(0)
                if prefix.withUnsafeBufferPointer({ git_index_get_bypath(index, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), 0) }) != nil {
                    return nil
                }
                open.names.append(component)
                open.bodies.append([])
            }
            while open.names.count > depth + 1 { guard open.close() else { return nil } }
            let leaf = UnsafeBufferPointer(rebasing: path[from...])
            guard isPlainName(leaf), entry.pointee.mode != 0o120000 || !startsWithDotGit(leaf) else { return nil }
            withUnsafeBytes(of: &id.id) { open.append(mode, leaf, $0) }
        }
        while open.names.count > 1 { guard open.close() else { return nil } }
        return store(open.bodies[0], backend)
    }

    /// A tree entry name that no file system git guards against could take for `.git` (the
    /// caller has ruled out backslashes and colons).
    private static func isPlainName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = name.count
        guard n > 0 else { return false }
        if n >= 4, name[3] == 0x7E, lower(name[0]) == 0x67, lower(name[1]) == 0x69, lower(name[2]) == 0x74 { return false }   // `git~`
        guard name[0] == 0x2E else { return true }
        // `.`, `..`, non-ASCII after a leading dot, `.git` itself or followed only by what NTFS
        // drops (dots and spaces).
        guard n > 2 || (n == 2 && name[1] != 0x2E), !name.contains(where: { $0 >= 0x80 }) else { return false }
        return !startsWithDotGit(name) || !name.dropFirst(4).allSatisfy { $0 == 0x2E || $0 == 0x20 }
    }

    private static func startsWithDotGit(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        name.count >= 4 && name[0] == 0x2E && lower(name[1]) == 0x67 && lower(name[2]) == 0x69 && lower(name[3]) == 0x74
    }

    private static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let x = a.baseAddress, let y = b.baseAddress else { return a.count == 0 }
        return memcmp(x, y, a.count) == 0
    }

    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte }

    /// Hashes a tree and stores it in the backend under that id.
    private static func store(_ body: [UInt8], _ backend: UnsafeMutablePointer<git_odb_backend>) -> ObjectID? {
        // The empty tree has no bytes: OpenSSL and libgit2 are still given a valid address.
        let bytes = body.isEmpty ? [0] : body
        return bytes.withUnsafeBytes { raw -> ObjectID? in
            let content = UnsafeRawBufferPointer(rebasing: raw[..<body.count])
            guard let id = BlobHash.id(of: content, tree: true) else { return nil }
            var oid = id.oid
            return labcheck_backend_write_tree(backend, &oid, content.baseAddress, content.count) == 0 ? id : nil
        }
    }
}
