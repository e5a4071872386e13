/// Scan results cached by content id (a git blob id is a content hash), so unchanged files are
/// never scanned twice. The encoding is labcheck's own; a file that does not decode exactly
/// (wrong header, bad checksum, truncated, foreign) is ignored as a whole, never trusted.
public struct ImportScanCache: Sendable {
    public private(set) var entries: [String: Result<[PythonImport], PythonScanError>] = [:]
    /// Whether entries were added since loading (the caller then writes the cache back).
    public private(set) var changed = false
    static let header = "labcheck-import-scan-cache 1"

    public init() {}

    public subscript(id: String) -> Result<[PythonImport], PythonScanError>? { entries[id] }

    mutating func store(_ id: String, _ outcome: Result<[PythonImport], PythonScanError>) {
        entries[id] = outcome
        changed = true
    }

    /// Keeps only the given ids (those of the current snapshot).
    public mutating func retain(_ ids: Set<String>) {
        let before = entries.count
        entries = entries.filter { ids.contains($0.key) }
        if entries.count != before { changed = true }
    }

    /// The cache file's bytes: a header, one record per line, and an FNV-1a checksum line.
    public func encode() -> [UInt8] {
        var out = Self.header + "\n"
        for id in entries.keys.sorted() {
            switch entries[id]! {
            case .success(let imports):
                out += "F \(id) \(imports.count)\n"
                for i in imports {
                    out += "\(i.kind == .plain ? "i" : (i.kind == .from ? "f" : "d")) \(i.level) \(i.line) \(i.column) \(i.typeChecking ? 1 : 0) \(i.module.isEmpty ? "-" : i.module) \(i.name ?? "-")\n"
                }
            case .failure(let e):
                out += "E \(id) \(e.line) \(e.column) \(e.message.map { $0 == "\n" ? " " : $0 })\n"
            }
        }
        var bytes = Array(out.utf8)
        bytes += Array("checksum \(Self.checksum(bytes))\n".utf8)
        return bytes
    }

    static func checksum(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }

    /// Decodes a cache file; nil for anything that is not exactly a valid cache.
    public static func decode(_ bytes: [UInt8]) -> ImportScanCache? {
        guard let text = String(validating: bytes, as: UTF8.self), text.hasSuffix("\n") else { return nil }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard lines.first.map(String.init) == header, let last = lines.popLast(), last.hasPrefix("checksum ") else { return nil }
        let body = Array(text.utf8.prefix(text.utf8.count - last.utf8.count - 1))
        guard String(last.dropFirst(9)) == checksum(body) else { return nil }
        var cache = ImportScanCache()
        var i = lines.startIndex + 1
        while i < lines.endIndex {
            let f = lines[i].split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false)
            i += 1
            if f.first == "E", f.count == 5, let l = Int(f[2]), let c = Int(f[3]) {
                cache.entries[String(f[1])] = .failure(PythonScanError(message: String(f[4]), line: l, column: c))
                continue
            }
            guard f.first == "F", f.count == 3, let count = Int(f[2]), count >= 0, i + count <= lines.endIndex else { return nil }
            var imports: [PythonImport] = []
            imports.reserveCapacity(count)
            for _ in 0..<count {
                let r = lines[i].split(separator: " ", omittingEmptySubsequences: false)
                i += 1
                guard r.count == 7, let level = Int(r[1]), let line = Int(r[2]), let col = Int(r[3]) else { return nil }
                let kind: PythonImport.Kind
                switch r[0] { case "i": kind = .plain; case "f": kind = .from; case "d": kind = .dynamic; default: return nil }
                imports.append(PythonImport(kind: kind, module: r[5] == "-" ? "" : String(r[5]), level: level, name: r[6] == "-" ? nil : String(r[6]),
                                            line: line, column: col, typeChecking: r[4] == "1"))
            }
            cache.entries[String(f[1])] = .success(imports)
        }
        return cache
    }
}

/// The import-boundary stage of a run: build the graph of the snapshot's Python modules and
/// stage code, then check the contracts.
public enum ImportBoundaries {
    /// The prefix of module names given to lab stage code: `__lab__.<module>.<stage id>`,
    /// or `__lab__.<module>.stage_<n>` (1-based) for a stage without an id.
    public static let stageModulePrefix = "__lab__"

    /// Module name for a stage's code.
    public static func stageModuleName(_ stage: LabStage) -> String {
        let id = stage.id.map { ModuleResolver.isIdentifier($0) ? $0 : sanitize($0) } ?? "stage_\(stage.index + 1)"
        return "\(stageModulePrefix).\(sanitize(stage.module)).\(id)"
    }

    private static func sanitize(_ s: String) -> String {
        let mapped = String(s.unicodeScalars.map { ($0 == "_" || $0.properties.isXIDContinue) ? Character($0) : "_" })
        return ModuleResolver.isIdentifier(mapped) ? mapped : "_" + mapped
    }

    /// Contracts from `.labcheck.toml` and the presets it names. Problems are LC001/LC002.
    public static func contracts(config: LabcheckConfig, rules: RuleSet) -> ([ImportContract], [Diagnostic]) {
        var out: [ImportContract] = []
        var problems: [Diagnostic] = []
        if let doc = config.document, let node = doc.root["contracts"], let array = node.array {
            let (c, p) = ImportContract.read(array.items, file: LabcheckConfig.fileName, source: doc.source, id: "LC001")
            out += c
            problems += p
        }
        for name in config.contractPresets {
            guard let preset = rules.contractPresets[name] else {
                let span = config.document?.root["contract_presets"]?.span ?? ByteSpan(0, 0)
                let known = rules.contractPresets.keys.sorted()
                problems.append(Diagnostic(id: "LC001", severity: .error, message: "unknown contract preset '\(name)'", file: LabcheckConfig.fileName,
                                           span: span, in: config.document?.source ?? SourceText([]),
                                           help: NearestName.suggestion(for: name, among: known).map { "did you mean '\($0)'?" }
                                            ?? "presets: \(known.isEmpty ? "none loaded" : known.joined(separator: ", "))"))
                continue
            }
            let (c, p) = ImportContract.read(preset.table["contracts"]?.array?.items ?? [], file: preset.path, source: preset.source, id: "LC002")
            out += c
            problems += p
        }
        return (out, problems)
    }

    /// Builds the graph and checks every contract.
    public static func check(snapshot: any SnapshotReader, config: LabcheckConfig, contracts: [ImportContract], labFiles: [LabFile],
                             touched: Set<String>?, cache: inout ImportScanCache, log: inout [String]) throws -> [Diagnostic] {
        let roots = config.pythonRoots ?? ["src", "."]
        log.append("python roots: \(roots.joined(separator: ", "))\(config.pythonRoots == nil ? " (default; set [python] roots in .labcheck.toml)" : "")")
        let resolver = ModuleResolver(roots: roots)
        var graph = ImportGraph()
        var files: [(PythonModule, String?)] = []
        var seenNames: [String: String] = [:]
        for path in snapshot.paths where path.hasSuffix(".py") {
            guard let module = resolver.module(for: path) else { continue }
            if let first = seenNames[module.name] {
                log.append("python: \(path) would be module \(module.name), already taken by \(first); skipped")
                continue
            }
            seenNames[module.name] = path
            graph.add(module: module)
            files.append((module, snapshot.contentID(path)))
        }
        var counts: [String: Int] = [:]
        for (m, _) in files { counts[m.root, default: 0] += 1 }
        log.append("python: \(files.count) module(s): " + roots.map { "\(counts[$0] ?? 0) from root \($0)" }.joined(separator: ", "))
        for (m, _) in files.sorted(by: { $0.0.name < $1.0.name }) { log.append("python: module \(m.name) from root \(m.root) (\(m.file))") }

        // Scan (or take from the cache), then resolve.
        var diagnostics: [Diagnostic] = []
        var hits = 0
        var ids = Set<String>()
        for (module, id) in files {
            let outcome: Result<[PythonImport], PythonScanError>
            if let id, let cached = cache[id] {
                outcome = cached
                hits += 1
            } else {
                outcome = PythonImportScanner.scan(try snapshot.read(module.file))
                if let id { cache.store(id, outcome) }
            }
            if let id { ids.insert(id) }
            switch outcome {
            case .success(let imports):
                graph.addImports(imports, of: module) { ImportSite(file: module.file, line: $0, column: $1) }
            case .failure(let e):
                if touched == nil || touched!.contains(module.file) {
                    diagnostics.append(Diagnostic(id: "LC305", severity: .warning, message: "cannot scan \(module.file) for imports: \(e.message)",
                                                  file: module.file, start: SourcePosition(line: e.line, column: e.column),
                                                  end: SourcePosition(line: e.line, column: e.column),
                                                  help: "its imports are not part of the graph until it is valid UTF-8 Python"))
                }
            }
        }
        cache.retain(ids)
        log.append("python: \(hits) of \(files.count) file(s) from the scan cache")

        // Lab stage code, as modules named after their stages.
        var stageCount = 0
        for file in labFiles {
            for stage in file.stages {
                switch stage.kind { case .rawPython, .legacy: break; default: continue }
                guard let code = stage.table[StageConventions.agilab.codeKey], let text = code.string,
                      let map = TOMLStringSourceMap(source: file.source, span: code.span) else { continue }
                let module = PythonModule(name: stageModuleName(stage), file: file.path, root: "lab stage", isPackage: false)
                graph.add(module: module)
                stageCount += 1
                switch PythonImportScanner.scan(Array(text.utf8)) {
                case .success(let imports):
                    graph.addImports(imports, of: module) { line, column in
                        let p = file.source.position(of: map.sourceOffset(line: line, column: column))
                        return ImportSite(file: file.path, line: p.line, column: p.column)
                    }
                case .failure(let e):
                    let p = file.source.position(of: map.sourceOffset(line: e.line, column: e.column))
                    if touched == nil || touched!.contains(file.path) {
                        diagnostics.append(Diagnostic(id: "LC305", severity: .warning, message: "cannot scan the code of stage \(stage.displayName) for imports: \(e.message)",
                                                      file: file.path, start: p, end: p, sourceLine: file.source.lineText(p.line)))
                    }
                }
            }
        }
        if stageCount > 0 { log.append("python: \(stageCount) lab stage(s) scanned as modules \(stageModulePrefix).<module>.<stage>") }
        log.append("python: \(graph.edges.count) import edge(s), \(graph.unresolved.count) unresolved import(s) of internal packages")

        for escape in graph.escapes where touched == nil || touched!.contains(escape.site.file) {
            diagnostics.append(Diagnostic(id: "LC304", severity: .warning,
                                          message: "relative import '\(escape.text)' in \(escape.module) climbs above its top-level package",
                                          file: escape.site.file, start: SourcePosition(line: escape.site.line, column: escape.site.column),
                                          end: SourcePosition(line: escape.site.line, column: escape.site.column + escape.text.count),
                                          help: "use an absolute import"))
        }
        let checker = ContractChecker(graph: graph, touched: touched)
        for contract in contracts {
            let (found, unused) = checker.check(contract)
            diagnostics += found
            log.append("contract '\(contract.name)' (\(contract.kind.rawValue), from \(contract.origin)): \(found.count) violation(s)")
            for ignore in unused {
                diagnostics.append(Diagnostic(id: contract.origin == LabcheckConfig.fileName ? "LC001" : "LC002", severity: .error,
                                              message: "ignore '\(ignore.importer) -> \(ignore.imported)' of contract '\(contract.name)' matches no import",
                                              file: ignore.file, start: ignore.position, end: ignore.position,
                                              help: "remove it: the import it tolerated is gone (ignores must not rot)"))
            }
        }
        return diagnostics
    }
}
