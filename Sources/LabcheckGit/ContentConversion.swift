import CLibgit2
import Foundation

/// How git turns a work-tree file into the blob it stores, as far as labcheck must know it.
///
/// The index's stat data says "the work-tree file is the one that was staged", not "its bytes
/// are the blob's bytes": with a clean filter, end-of-line conversion, `working-tree-encoding`
/// or `ident`, git stores other bytes than the file holds. So a work-tree file stands in for a
/// blob only when no conversion applies to its path (or when its bytes hash to the blob id).
struct ContentConversion {
    /// Why a path's stored bytes may differ from its work-tree bytes.
    enum Kind: Equatable {
        /// A clean filter driver (`filter=NAME`): only git can run it.
        case filterDriver(String)
        /// `working-tree-encoding=ENC`: git re-encodes to UTF-8.
        case workingTreeEncoding(String)
        /// End-of-line conversion or `ident`, which libgit2 applies itself.
        case builtIn

        /// Whether libgit2 can reproduce what git stores.
        var libgit2Applies: Bool { self == .builtIn }

        var attribute: String {
            switch self {
            case .filterDriver(let name): return "filter=\(name)"
            case .workingTreeEncoding(let encoding): return "working-tree-encoding=\(encoding)"
            case .builtIn: return "text/eol/ident"
            }
        }
    }

    /// The conversion for each path that has one; paths not in it are stored byte for byte.
    let kinds: [String: Kind]

    /// Whether git may convert any file of the repository: `core.autocrlf` is on, or an
    /// attribute file could apply to one of `paths`. When not, nothing is looked up per path.
    /// A snapshot asks once (`GitSnapshot.conversionPossible`), not on every read.
    static func possible(repository: GitRepository, paths: [String], indexPaths: [String]) throws -> Bool {
        try convertsEOL(repository) || anyAttributeSource(repository: repository, paths: paths, indexPaths: indexPaths)
    }

    private static func convertsEOL(_ repository: GitRepository) throws -> Bool {
        let autocrlf = (try repository.configString("core.autocrlf"))?.lowercased()
        return autocrlf == "true" || autocrlf == "input"
    }

    /// Looks up the attributes of `paths` (read as `git add` reads them: the work tree's
    /// `.gitattributes` first, then the index's) and `core.autocrlf`; none when `possible` is
    /// false.
    init(repository: GitRepository, paths: [String], possible: Bool) throws {
        guard possible else {
            kinds = [:]
            return
        }
        let convertsEOL = try ContentConversion.convertsEOL(repository)
        let names = ["filter", "working-tree-encoding", "text", "eol", "crlf", "ident"]
        let cNames = names.map { strdup($0) }
        defer { cNames.forEach { free($0) } }
        var kinds: [String: Kind] = [:]
        try cNames.map { UnsafePointer($0) }.withUnsafeBufferPointer { namePointers in
            var values = [UnsafePointer<CChar>?](repeating: nil, count: names.count)
            for path in paths {
                try check(git_attr_get_many(&values, repository.pointer, 0, path, names.count, UnsafeMutablePointer(mutating: namePointers.baseAddress)),
                          "git_attr_get_many(\(path))")
                func state(_ k: Int) -> git_attr_value_t { git_attr_value(values[k]) }
                func string(_ k: Int) -> String? { values[k].map { String(cString: $0) } }
                if state(0) == GIT_ATTR_VALUE_STRING, let driver = string(0) {
                    kinds[path] = .filterDriver(driver)
                } else if state(1) == GIT_ATTR_VALUE_STRING, let encoding = string(1) {
                    kinds[path] = .workingTreeEncoding(encoding)
                } else if state(5) == GIT_ATTR_VALUE_TRUE {
                    kinds[path] = .builtIn
                } else if state(2) == GIT_ATTR_VALUE_FALSE {
                    continue   // -text (and `binary`): no end-of-line conversion
                } else if state(2) != GIT_ATTR_VALUE_UNSPECIFIED || state(3) != GIT_ATTR_VALUE_UNSPECIFIED
                            || state(4) != GIT_ATTR_VALUE_UNSPECIFIED || convertsEOL {
                    kinds[path] = .builtIn
                }
            }
        }
        self.kinds = kinds
    }

    /// Whether any attribute file could apply to `paths`: a `.gitattributes` in the index or in
    /// the work tree in a directory on the way to one of them, `info/attributes`, or the user's
    /// `core.attributesFile` (default `$XDG_CONFIG_HOME/git/attributes`).
    static func anyAttributeSource(repository: GitRepository, paths: [String], indexPaths: [String]) -> Bool {
        if indexPaths.contains(where: { $0 == ".gitattributes" || $0.hasSuffix("/.gitattributes") }) { return true }
        let fm = FileManager.default
        if fm.fileExists(atPath: repository.commonDirectory + "info/attributes") { return true }
        if let configured = try? repository.configString("core.attributesFile"), !configured.isEmpty { return true }
        let environment = ProcessInfo.processInfo.environment
        let xdg = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["HOME"].map { $0 + "/.config" }
        if let xdg, fm.fileExists(atPath: xdg + "/git/attributes") { return true }
        guard let workdir = repository.workdir else { return false }
        var directories: Set<Substring> = [""]
        for path in paths {
            var end = path.endIndex
            while let slash = path[..<end].lastIndex(of: "/") {
                guard directories.insert(path[..<slash]).inserted else { break }
                end = slash
            }
        }
        return directories.contains { fm.fileExists(atPath: workdir + ($0.isEmpty ? "" : $0 + "/") + ".gitattributes") }
    }

    /// The bytes git would store for the work-tree file at `path`, which has conversion `kind`:
    /// libgit2's own filters applied, or an error naming what labcheck cannot reproduce.
    static func cleaned(_ bytes: [UInt8], path: String, kind: Kind, repository: GitRepository) throws -> [UInt8] {
        guard kind.libgit2Applies else { throw GitError.cannotReadAsCommitted(path: path, attribute: kind.attribute) }
        var filters: OpaquePointer? = nil
        try check(git_filter_list_load(&filters, repository.pointer, nil, path, GIT_FILTER_TO_ODB, GIT_FILTER_DEFAULT.rawValue),
                  "git_filter_list_load(\(path))")
        guard let filters else { return bytes }
        defer { git_filter_list_free(filters) }
        var out = git_buf()
        defer { git_buf_dispose(&out) }
        guard !bytes.isEmpty else { return bytes }
        try bytes.withUnsafeBufferPointer { input in
            // libgit2 only reads the input, and only during the call; it is not empty here, so
            // it has an address.
            guard let base = input.baseAddress else { return }
            try base.withMemoryRebound(to: CChar.self, capacity: input.count) {
                _ = try check(git_filter_list_apply_to_buffer(&out, filters, $0, input.count), "git_filter_list_apply_to_buffer(\(path))")
            }
        }
        guard out.size > 0, let pointer = out.ptr else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: out.size))
    }
}
