import LabcheckTOML

/// Where an import was written: a Python file, or the code of a lab stage inside a TOML file.
public struct ImportSite: Sendable, Hashable {
    /// The file to report (the `.py` file, or the `.toml` lab file for stage code).
    public let file: String
    /// 1-based line and column in `file`.
    public let line: Int
    public let column: Int
}

/// One resolved import edge of the graph.
public struct ImportEdge: Sendable, Hashable {
    public let importer: String
    public let imported: String
    public let site: ImportSite
    /// Characters of the module as written at `site` (`.x`, `a.b`), for the caret.
    public let length: Int
    public let typeChecking: Bool
    public let dynamic: Bool
    /// Inside a `try:` whose handler catches ImportError.
    public var guarded: Bool = false
}

/// A Python module of the snapshot: a `.py` file under a root, or a lab stage's code.
public struct PythonModule: Sendable, Hashable {
    public let name: String
    /// The file it comes from.
    public let file: String
    /// The root it was found under (`src`, `.`), or `lab stage` for stage code.
    public let root: String
    public let isPackage: Bool
}

/// Maps file paths to module names through the configured roots (no PYTHONPATH): regular
/// packages, namespace packages (directories without `__init__.py`) and src layouts alike.
public struct ModuleResolver: Sendable {
    public let roots: [String]

    public init(roots: [String]) {
        self.roots = roots.map { r in
            var r = r
            while r.hasSuffix("/") { r.removeLast() }
            if r.hasPrefix("./") { r.removeFirst(2) }
            return r.isEmpty ? "." : r
        }
    }

    /// The module of a `.py` path: the first root (in order) that contains it wins. Works on
    /// the path's UTF-8 bytes; every directory component must be an identifier (git paths have
    /// no empty components); the file's own name need not be.
    public func module(for path: String) -> PythonModule? {
        let bytes = Array(path.utf8)
        guard bytes.count > 3, bytes.suffix(3).elementsEqual(".py".utf8) else { return nil }
        for root in roots {
            var start = 0
            if root != "." {
                let r = Array(root.utf8)
                guard bytes.count > r.count + 1, bytes.starts(with: r), bytes[r.count] == UInt8(ascii: "/") else { continue }
                start = r.count + 1
            }
            var parts = bytes[start..<(bytes.count - 3)].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            var isPackage = false
            if parts.last?.elementsEqual("__init__".utf8) == true { parts.removeLast(); isPackage = true }
            // Packages (directories) must be identifiers; a module file's name need not be one:
            // `migrations/0001_initial.py` or Streamlit's `pages/2_ORCHESTRATE.py` are modules
            // (importable through importlib, and they import others), as in import-linter's
            // graph. A name with a dot (`a.b.py`) would read as two components: not a module.
            guard let stem = parts.last, !stem.isEmpty, !stem.contains(UInt8(ascii: ".")),
                  isPackage ? Self.isIdentifier(stem) : true, parts.dropLast().allSatisfy(Self.isIdentifier) else { return nil }
            return PythonModule(name: String(decoding: Array(parts.joined(separator: [UInt8(ascii: ".")])), as: UTF8.self),
                                file: path, root: root, isPackage: isPackage)
        }
        return nil
    }

    /// `isIdentifier` for one path component's bytes: ASCII checked here, anything else as text.
    static func isIdentifier(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        if bytes.contains(where: { $0 >= 0x80 }) { return isIdentifier(String(decoding: bytes, as: UTF8.self)) }
        func letter(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F }
        return letter(first) && bytes.dropFirst().allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    static func isIdentifier(_ s: String) -> Bool {
        // ASCII fast path.
        var ascii = true
        for (k, b) in s.utf8.enumerated() {
            if b >= 0x80 { ascii = false; break }
            let letter = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F
            if !(letter || (k > 0 && b >= 0x30 && b <= 0x39)) { return false }
        }
        if ascii { return !s.isEmpty }
        guard let f = s.unicodeScalars.first, f == "_" || f.properties.isXIDStart else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isXIDContinue }
    }
}

/// Whether `module` is `package` or inside it.
@inline(__always) func isWithin(_ module: String, _ package: String) -> Bool {
    let m = module.utf8, p = package.utf8
    let n = p.count
    guard m.count >= n, m.count == n || m[m.index(m.startIndex, offsetBy: n)] == UInt8(ascii: ".") else { return false }
    // Native strings are contiguous UTF-8. Compared from the end: dotted names share their
    // beginnings and differ late.
    let same = m.withContiguousStorageIfAvailable { a in
        p.withContiguousStorageIfAvailable { b -> Bool in
            var k = n
            while k > 0 { k -= 1; if a[k] != b[k] { return false } }
            return true
        }
    }
    return (same ?? nil) ?? m.starts(with: p)
}

/// The import graph of a snapshot. Module names are interned to node ids as they are added;
/// edges are kept as parallel arrays of integers (one import statement naming one module is one
/// edge), and an `ImportEdge` with strings is built only for what is reported.
public struct ImportGraph: Sendable {
    /// First components of every module name: the snapshot's own top-level packages.
    private var topLevels = Set<String>()
    /// The last name components of each package's submodules, to test `from a import b`
    /// without building the string "a.b" for every imported name.
    private var children: [String: Set<String>] = [:]
    /// Module names by node id (every module of the snapshot, then every external package
    /// imported), and node ids by name.
    public internal(set) var nodeNames: [String] = []
    private var nodeIDs: [String: Int32] = [:]
    /// Whether a node is a module of the snapshot (else an external package).
    var isModule: [Bool] = []
    /// Files that hold import sites, by id.
    var fileNames: [String] = []
    private var fileIDs: [String: Int32] = [:]
    /// For each edge: importer and imported node ids, site, and flags (`typeCheckingFlag`,
    /// `dynamicFlag`).
    public internal(set) var edgeFrom: [Int32] = []
    public internal(set) var edgeTo: [Int32] = []
    var edgeFile: [Int32] = []
    var edgeLine: [Int32] = []
    var edgeColumn: [Int32] = []
    var edgeLength: [Int32] = []
    public internal(set) var edgeFlags: [UInt8] = []
    public static let typeCheckingFlag: UInt8 = 1
    public static let dynamicFlag: UInt8 = 2
    public static let guardedFlag: UInt8 = 4

    public var edgeCount: Int { edgeFrom.count }

    /// The snapshot's modules (stage code included) and the external packages imported, by name.
    public var moduleNames: [String] { nodeNames.indices.filter { isModule[$0] }.map { nodeNames[$0] } }
    public var externalNames: [String] { nodeNames.indices.filter { !isModule[$0] }.map { nodeNames[$0] } }

    /// Edge `i` with its names and site.
    public func edge(_ i: Int) -> ImportEdge {
        ImportEdge(importer: nodeNames[Int(edgeFrom[i])], imported: nodeNames[Int(edgeTo[i])],
                   site: ImportSite(file: fileNames[Int(edgeFile[i])], line: Int(edgeLine[i]), column: Int(edgeColumn[i])),
                   length: Int(edgeLength[i]),
                   typeChecking: edgeFlags[i] & Self.typeCheckingFlag != 0, dynamic: edgeFlags[i] & Self.dynamicFlag != 0,
                   guarded: edgeFlags[i] & Self.guardedFlag != 0)
    }

    /// The file of edge `i`'s site.
    public func siteFile(_ i: Int) -> String { fileNames[Int(edgeFile[i])] }

    private mutating func node(_ name: String) -> Int32 {
        if let id = nodeIDs[name] { return id }
        let id = Int32(nodeNames.count)
        nodeIDs[name] = id
        nodeNames.append(name)
        isModule.append(false)
        return id
    }

    private mutating func fileID(_ name: String) -> Int32 {
        if let id = fileIDs[name] { return id }
        let id = Int32(fileNames.count)
        fileIDs[name] = id
        fileNames.append(name)
        return id
    }

    /// Relative imports that climb above their top-level package (LC304).
    public internal(set) var escapes: [(module: String, site: ImportSite, text: String)] = []
    /// Imports of internal packages that name no module (for `-v`).
    public internal(set) var unresolved: [(module: String, site: ImportSite, text: String)] = []

    public init() {}

    /// A table of modules to resolve a few files' imports against, made from a kept index
    /// instead of hashing every name: `names` are the modules (node `k` is `names[k]`).
    init(resolvingWith index: ModuleNameIndex, names: [String]) {
        nodeNames = names
        isModule = [Bool](repeating: true, count: names.count)
        topLevels = Set(index.topLevels)
        nameIndex = index
    }

    /// The kept index names are looked up in (a table made by `init(resolvingWith:names:)`;
    /// `from a import b` then looks `a.b` up by name, as there are no submodule sets).
    private var nameIndex: ModuleNameIndex? = nil

    /// The node of a name.
    @inline(__always) private func lookup(_ name: String) -> Int32? {
        guard let nameIndex else { return nodeIDs[name] }
        return nameIndex.id(of: name, in: nodeNames)
    }

    /// Whether `package.name` is a module of the table.
    private func hasSubmodule(_ package: String, _ name: String, _ submodules: Set<String>?) -> Bool {
        guard nameIndex != nil else { return submodules?.contains(name) == true }
        return lookup(package + "." + name).map { isModule[Int($0)] } ?? false
    }

    public mutating func add(module: PythonModule) {
        isModule[Int(node(module.name))] = true
        let name = module.name
        let utf8 = name.utf8
        if let dot = utf8.lastIndex(of: UInt8(ascii: ".")) {
            children[String(name[..<dot]), default: []].insert(String(name[utf8.index(after: dot)...]))
            topLevels.insert(String(name[..<(utf8.firstIndex(of: UInt8(ascii: ".")) ?? name.endIndex)]))
        } else {
            topLevels.insert(name)
        }
    }

    /// What an import names: a node already in the graph (a module of the snapshot), or an
    /// external package, interned when the resolution is added.
    enum Target: Equatable, Sendable {
        case node(Int32)
        case external(String)
    }

    /// One module's imports, resolved against the module table but not yet added.
    public struct Resolution: Sendable {
        var targets: [Target] = []
        var lines: [Int32] = []
        var columns: [Int32] = []
        var lengths: [Int32] = []
        var flags: [UInt8] = []
        var file: String = ""
        var escapes: [(site: ImportSite, text: String)] = []
        var unresolved: [(site: ImportSite, text: String)] = []
    }

    /// Resolves the scanned imports of `module` and adds their edges. `site` maps a scanned
    /// line and column to the place to report (identity for `.py` files; into the TOML for stages).
    public mutating func addImports(_ imports: [PythonImport], of module: PythonModule, site: (Int, Int) -> ImportSite) {
        let resolution = withoutActuallyEscaping(site) { resolve(imports, of: module, site: $0) }
        add(resolution, of: module)
    }

    /// Resolves without changing the graph: safe to call concurrently once every module is
    /// added. Several names imported by one statement that resolve to the same module are one
    /// edge (one site, one report).
    public func resolve(_ imports: [PythonImport], of module: PythonModule, site mapped: ((Int, Int) -> ImportSite)? = nil) -> Resolution {
        var out = Resolution()
        // Without a mapping, an import is reported where it was scanned, in the module's file.
        func site(_ line: Int, _ column: Int) -> ImportSite { mapped?(line, column) ?? ImportSite(file: module.file, line: line, column: column) }
        out.file = mapped?(1, 1).file ?? module.file
        let selfID = lookup(module.name)
        let package: Substring = module.isPackage ? Substring(module.name)
            : module.name.utf8.lastIndex(of: UInt8(ascii: ".")).map { module.name[..<$0] } ?? ""
        // `from x import a, b, c` gives one scanned import per name: the module part is
        // resolved once, and only the names are looked up among its submodules.
        var last: (text: String, level: Int, target: String, submodules: Set<String>?, resolved: Target?)? = nil
        for i in imports {
            if last == nil || last!.level != i.level || last!.text != i.module {
                let target: String
                if i.level > 0 {
                    var parts = package.isEmpty ? [] : package.split(separator: ".")
                    let up = i.level - 1
                    guard module.root != "lab stage", parts.count - up >= 1 else {
                        out.escapes.append((site(i.line, i.column), String(repeating: ".", count: i.level) + i.module))
                        last = nil
                        continue
                    }
                    parts.removeLast(up)
                    target = parts.joined(separator: ".") + (i.module.isEmpty ? "" : "." + i.module)
                } else {
                    target = i.module
                }
                last = (i.module, i.level, target, children[target], resolveTarget(target))
            }
            let resolved: Target?
            let target: String
            if let name = i.name, name != "*", hasSubmodule(last!.target, name, last!.submodules) {
                target = last!.target + "." + name
                resolved = resolveTarget(target)
            } else {
                target = last!.target
                resolved = last!.resolved
            }
            guard let resolved else {
                out.unresolved.append((site(i.line, i.column), target))
                continue
            }
            if case .node(let id) = resolved, id == selfID { continue }
            let (siteLine, siteColumn) = mapped.map { let s = $0(i.line, i.column); return (s.line, s.column) } ?? (i.line, i.column)
            let flags = (i.typeChecking ? Self.typeCheckingFlag : 0) | (i.kind == .dynamic ? Self.dynamicFlag : 0) | (i.guarded ? Self.guardedFlag : 0)
            let line = Int32(clamping: siteLine), column = Int32(clamping: siteColumn)
            if let k = out.targets.indices.last, out.targets[k] == resolved, out.lines[k] == line, out.columns[k] == column, out.flags[k] == flags {
                continue
            }
            out.targets.append(resolved)
            out.lines.append(line)
            out.columns.append(column)
            out.lengths.append(Int32(clamping: i.level + i.module.count))
            out.flags.append(flags)
        }
        return out
    }

    /// Adds a resolution's edges (in order, so the graph is the same however it was resolved).
    public mutating func add(_ resolution: Resolution, of module: PythonModule) {
        let importerID = node(module.name)
        let file = fileID(resolution.file)
        for (k, target) in resolution.targets.enumerated() {
            edgeFrom.append(importerID)
            switch target {
            case .node(let id): edgeTo.append(id)
            case .external(let name): edgeTo.append(node(name))
            }
            edgeFile.append(file)
            edgeLine.append(resolution.lines[k])
            edgeColumn.append(resolution.columns[k])
            edgeLength.append(resolution.lengths[k])
            edgeFlags.append(resolution.flags[k])
        }
        escapes += resolution.escapes.map { (module.name, $0.site, $0.text) }
        unresolved += resolution.unresolved.map { (module.name, $0.site, $0.text) }
    }

    /// The module an imported name refers to: itself, its parent module (an attribute), or,
    /// for a package that is not in the snapshot, its top-level name (an external package).
    func resolveTarget(_ name: String) -> Target? {
        if let id = lookup(name), isModule[Int(id)] { return .node(id) }
        let utf8 = name.utf8
        if let dot = utf8.lastIndex(of: UInt8(ascii: ".")), let id = lookup(String(name[..<dot])), isModule[Int(id)] { return .node(id) }
        let top = String(name[..<(utf8.firstIndex(of: UInt8(ascii: ".")) ?? name.endIndex)])
        if top.isEmpty || topLevels.contains(top) { return nil }
        return .external(top)
    }
}

extension ImportGraph {
    /// Each node's position among the nodes sorted by name (the order contract checks walk
    /// imports in, so that equal-length chains are chosen deterministically).
    static func nameRanks(_ names: [String]) -> [Int32] {
        var rank = [Int32](repeating: 0, count: names.count)
        for (position, node) in names.indices.sorted(by: { names[$0] < names[$1] }).enumerated() { rank[node] = Int32(position) }
        return rank
    }
}

/// The Python files' module names by a stable 64-bit hash (FNV-1a of the UTF-8 bytes), sorted:
/// kept with a graph (`ImportGraphState`), so that resolving a few changed files' imports looks
/// names up by binary search instead of first hashing 20,000 of them into a dictionary. Every
/// hit is confirmed by comparing the name. Also the top-level names, which decide whether an
/// import names the snapshot's own package or an external one.
public struct ModuleNameIndex: Sendable, Equatable {
    /// Sorted by hash, then id.
    var hashes: [UInt64]
    var ids: [Int32]
    var topLevels: [String]

    init(hashes: [UInt64], ids: [Int32], topLevels: [String]) {
        self.hashes = hashes
        self.ids = ids
        self.topLevels = topLevels
    }

    /// The index of `names` (node `k` is `names[k]`).
    init(_ names: [String]) {
        var pairs = names.enumerated().map { (Self.hash($1), Int32($0)) }
        pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        hashes = pairs.map(\.0)
        ids = pairs.map(\.1)
        var tops = Set<String>()
        for name in names { tops.insert(String(name[..<(name.utf8.firstIndex(of: UInt8(ascii: ".")) ?? name.endIndex)])) }
        topLevels = tops.sorted()
    }

    static func hash(_ name: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// The id of `name`, confirmed against `names`.
    func id(of name: String, in names: [String]) -> Int32? {
        let h = Self.hash(name)
        var low = 0, high = hashes.count
        while low < high {
            let mid = (low + high) / 2
            if hashes[mid] < h { low = mid + 1 } else { high = mid }
        }
        while low < hashes.count && hashes[low] == h {
            let id = ids[low]
            if Int(id) < names.count && names[Int(id)] == name { return id }
            low += 1
        }
        return nil
    }

    /// Whether it is an index of `count` names: hashes sorted, every id once and in range.
    func isValid(count: Int) -> Bool {
        hashes.count == count && ids.count == count && zip(hashes, hashes.dropFirst()).allSatisfy({ $0 <= $1 })
            && ImportGraphStateCodec.isPermutation(ids)
    }
}
