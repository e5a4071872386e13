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
    public let typeChecking: Bool
    public let dynamic: Bool
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

    /// The module of a `.py` path: the first root (in order) that contains it wins.
    public func module(for path: String) -> PythonModule? {
        guard path.hasSuffix(".py") else { return nil }
        for root in roots {
            let relative: Substring
            if root == "." { relative = Substring(path) }
            else if path.hasPrefix(root + "/") { relative = path.dropFirst(root.count + 1) }
            else { continue }
            var parts = relative.dropLast(3).split(separator: "/").map(String.init)
            var isPackage = false
            if parts.last == "__init__" { parts.removeLast(); isPackage = true }
            guard !parts.isEmpty, parts.allSatisfy(Self.isIdentifier) else { return nil }
            return PythonModule(name: parts.joined(separator: "."), file: path, root: root, isPackage: isPackage)
        }
        return nil
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
    module == package || (module.hasPrefix(package) && module.utf8.count > package.utf8.count
        && module.utf8[module.utf8.index(module.utf8.startIndex, offsetBy: package.utf8.count)] == UInt8(ascii: "."))
}

/// The import graph of a snapshot.
public struct ImportGraph: Sendable {
    public private(set) var modules: [String: PythonModule] = [:]
    /// First components of every module name: the snapshot's own top-level packages.
    private var topLevels = Set<String>()
    /// The last name components of each package's submodules, to test `from a import b`
    /// without building the string "a.b" for every imported name.
    private var children: [String: Set<String>] = [:]
    public private(set) var edges: [ImportEdge] = []
    /// Module names by node id (every importer and imported name), and node ids by name.
    public private(set) var nodeNames: [String] = []
    private var nodeIDs: [String: Int32] = [:]
    /// For each edge: importer and imported node ids.
    public private(set) var edgeFrom: [Int32] = []
    public private(set) var edgeTo: [Int32] = []

    private mutating func node(_ name: String) -> Int32 {
        if let id = nodeIDs[name] { return id }
        let id = Int32(nodeNames.count)
        nodeIDs[name] = id
        nodeNames.append(name)
        return id
    }
    /// Relative imports that climb above their top-level package (LC304).
    public private(set) var escapes: [(module: String, site: ImportSite, text: String)] = []
    /// Imports of internal packages that name no module (for `-v`).
    public private(set) var unresolved: [(module: String, site: ImportSite, text: String)] = []

    public init() {}

    public mutating func add(module: PythonModule) {
        modules[module.name] = module
        let name = module.name
        if let dot = name.lastIndex(of: ".") {
            children[String(name[..<dot]), default: []].insert(String(name[name.index(after: dot)...]))
            topLevels.insert(String(name[..<(name.firstIndex(of: ".") ?? name.endIndex)]))
        } else {
            topLevels.insert(name)
        }
    }

    /// One module's imports, resolved against the module table but not yet added.
    public struct Resolution: Sendable {
        var edges: [(imported: String, site: ImportSite, typeChecking: Bool, dynamic: Bool)] = []
        var escapes: [(site: ImportSite, text: String)] = []
        var unresolved: [(site: ImportSite, text: String)] = []
    }

    /// Resolves the scanned imports of `module` and adds their edges. `site` maps a scanned
    /// line and column to the place to report (identity for `.py` files; into the TOML for stages).
    public mutating func addImports(_ imports: [PythonImport], of module: PythonModule, site: (Int, Int) -> ImportSite) {
        add(resolve(imports, of: module, site: site), of: module)
    }

    /// Resolves without changing the graph: safe to call concurrently once every module is added.
    public func resolve(_ imports: [PythonImport], of module: PythonModule, site: (Int, Int) -> ImportSite) -> Resolution {
        var out = Resolution()
        let package = module.isPackage ? module.name : module.name.split(separator: ".").dropLast().joined(separator: ".")
        for i in imports {
            var target: String
            let s = site(i.line, i.column)
            if i.level > 0 {
                var parts = package.isEmpty ? [] : package.split(separator: ".").map(String.init)
                let up = i.level - 1
                let shown = String(repeating: ".", count: i.level) + i.module
                guard module.root != "lab stage", parts.count - up >= 1 else {
                    out.escapes.append((s, shown))
                    continue
                }
                parts.removeLast(up)
                target = parts.joined(separator: ".") + (i.module.isEmpty ? "" : "." + i.module)
            } else {
                target = i.module
            }
            if let name = i.name, name != "*", children[target]?.contains(name) == true {
                target = target + "." + name
            }
            guard let resolved = resolve(target) else {
                out.unresolved.append((s, target))
                continue
            }
            if resolved == module.name { continue }
            out.edges.append((resolved, s, i.typeChecking, i.kind == .dynamic))
        }
        return out
    }

    /// Adds a resolution's edges (in order, so the graph is the same however it was resolved).
    public mutating func add(_ resolution: Resolution, of module: PythonModule) {
        let importerID = node(module.name)
        for e in resolution.edges {
            edges.append(ImportEdge(importer: module.name, imported: e.imported, site: e.site, typeChecking: e.typeChecking, dynamic: e.dynamic))
            edgeFrom.append(importerID)
            edgeTo.append(node(e.imported))
        }
        escapes += resolution.escapes.map { (module.name, $0.site, $0.text) }
        unresolved += resolution.unresolved.map { (module.name, $0.site, $0.text) }
    }

    /// The module an imported name refers to: itself, its parent module (an attribute), or,
    /// for a package that is not in the snapshot, its top-level name (an external package).
    func resolve(_ name: String) -> String? {
        if modules[name] != nil { return name }
        if let dot = name.lastIndex(of: ".") {
            let parent = String(name[..<dot])
            if modules[parent] != nil { return parent }
        }
        let top = String(name[..<(name.firstIndex(of: ".") ?? name.endIndex)])
        if topLevels.contains(top) { return nil }
        return top.isEmpty ? nil : top
    }
}
