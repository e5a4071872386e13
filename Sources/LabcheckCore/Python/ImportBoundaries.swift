import Dispatch
import LabcheckTOML

/// Scan results cached by content id (a git blob id is a content hash), so unchanged files are
/// never scanned twice. The binary encoding is labcheck's own; a file that does not decode
/// exactly (wrong magic or version, bad checksum, truncated, foreign) is ignored as a whole,
/// never trusted.
public struct ImportScanCache: Sendable {
    public private(set) var entries: [String: Result<[PythonImport], PythonScanError>] = [:]
    /// Whether entries were added or dropped since loading (the caller then writes it back).
    public private(set) var changed = false
    /// The file's first bytes; the byte after `LCISC` is the format version (2: with a string table).
    static let magic: [UInt8] = Array("LCISC\u{2}\n".utf8)

    public init() {}

    public subscript(id: String) -> Result<[PythonImport], PythonScanError>? { entries[id] }

    mutating func store(_ id: String, _ outcome: Result<[PythonImport], PythonScanError>) {
        entries[id] = outcome
        changed = true
    }

    /// Keeps only the given ids (those of the current snapshot).
    public mutating func retain(_ ids: Set<String>) {
        let before = entries.count
        if entries.keys.contains(where: { !ids.contains($0) }) { entries = entries.filter { ids.contains($0.key) } }
        if entries.count != before { changed = true }
    }

    /// The cache file's bytes: magic, a table of the distinct module and name strings, the
    /// records (imports refer to strings by index, so decoding builds each string once), and an
    /// FNV-1a checksum of everything before it.
    public func encode() -> [UInt8] {
        var out = Self.magic
        func int(_ v: Int) { var x = UInt32(truncatingIfNeeded: v).littleEndian; withUnsafeBytes(of: &x) { out += $0 } }
        func str(_ s: String) { int(s.utf8.count); out += s.utf8 }
        let ids = entries.keys.sorted()
        var strings: [String] = []
        var index: [String: Int] = [:]
        func intern(_ s: String) -> Int {
            if let k = index[s] { return k }
            index[s] = strings.count
            strings.append(s)
            return strings.count - 1
        }
        for id in ids {
            guard case .success(let imports) = entries[id]! else { continue }
            for i in imports {
                _ = intern(i.module)
                if let name = i.name { _ = intern(name) }
            }
        }
        int(strings.count)
        for s in strings { str(s) }
        int(ids.count)
        for id in ids {
            str(id)
            switch entries[id]! {
            case .success(let imports):
                out.append(0)
                int(imports.count)
                for i in imports {
                    out.append(i.kind == .plain ? 0 : (i.kind == .from ? 1 : 2))
                    out.append(i.typeChecking ? 1 : 0)
                    int(i.level); int(i.line); int(i.column)
                    int(index[i.module]!)
                    if let name = i.name { out.append(1); int(index[name]!) } else { out.append(0) }
                }
            case .failure(let e):
                out.append(1)
                int(e.line); int(e.column); str(e.message)
            }
        }
        var sum = Self.checksum(out).littleEndian
        withUnsafeBytes(of: &sum) { out += $0 }
        return out
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    static func checksum(_ bytes: [UInt8]) -> UInt64 { checksum(bytes[...]) }

    /// Decodes a cache file; nil for anything that is not exactly a valid cache.
    public static func decode(_ bytes: [UInt8]) -> ImportScanCache? {
        guard bytes.count >= magic.count + 16, Array(bytes.prefix(magic.count)) == magic else { return nil }
        let body = bytes[..<(bytes.count - 8)]
        var stored: UInt64 = 0
        for k in 0..<8 { stored |= UInt64(bytes[bytes.count - 8 + k]) << (8 * UInt64(k)) }
        guard stored == checksum(body) else { return nil }
        var p = magic.count
        let end = body.endIndex
        func int() -> Int? {
            guard p + 4 <= end else { return nil }
            let v = Int(bytes[p]) | Int(bytes[p + 1]) << 8 | Int(bytes[p + 2]) << 16 | Int(bytes[p + 3]) << 24
            p += 4
            return v
        }
        func byte() -> UInt8? { guard p < end else { return nil }; p += 1; return bytes[p - 1] }
        func str() -> String? {
            // The checksum already vouches for the bytes: decode without validating again.
            guard let n = int(), p + n <= end else { return nil }
            let s = String(decoding: bytes[p..<(p + n)], as: UTF8.self)
            p += n
            return s
        }
        guard let stringCount = int(), stringCount <= end - p else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount { guard let s = str() else { return nil }; strings.append(s) }
        func interned() -> String? { guard let k = int(), k < strings.count else { return nil }; return strings[k] }
        guard let count = int() else { return nil }
        var cache = ImportScanCache()
        cache.entries.reserveCapacity(count)
        for _ in 0..<count {
            guard let id = str(), let tag = byte() else { return nil }
            if tag == 1 {
                guard let l = int(), let c = int(), let m = str() else { return nil }
                cache.entries[id] = .failure(PythonScanError(message: m, line: l, column: c))
                continue
            }
            guard tag == 0, let n = int(), n <= end - p else { return nil }
            var imports: [PythonImport] = []
            imports.reserveCapacity(n)
            for _ in 0..<n {
                guard let k = byte(), k <= 2, let tc = byte(), let level = int(), let line = int(), let column = int(),
                      let module = interned(), let hasName = byte() else { return nil }
                var name: String? = nil
                if hasName == 1 { guard let s = interned() else { return nil }; name = s }
                imports.append(PythonImport(kind: k == 0 ? .plain : (k == 1 ? .from : .dynamic), module: module, level: level, name: name,
                                            line: line, column: column, typeChecking: tc == 1))
            }
            cache.entries[id] = .success(imports)
        }
        guard p == end else { return nil }
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
                             touched: Set<String>?, cache: inout ImportScanCache, log: inout [String], verbose: Bool = true) throws -> [Diagnostic] {
        let clock = ContinuousClock()
        var mark = clock.now
        func lap() -> String {
            let now = clock.now
            let d = now - mark
            mark = now
            return "\(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) ms"
        }
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
        if verbose {
            for (m, _) in files.sorted(by: { $0.0.name < $1.0.name }) { log.append("python: module \(m.name) from root \(m.root) (\(m.file))") }
        }

        // Scan what the cache does not have (both cores), then resolve in file order.
        var diagnostics: [Diagnostic] = []
        var outcomes = [Result<[PythonImport], PythonScanError>?](repeating: nil, count: files.count)
        var pending: [Int] = []
        var pendingIDs = Set<String>()
        var hits = 0
        for (k, (_, id)) in files.enumerated() {
            if let id, let cached = cache[id] { outcomes[k] = cached; hits += 1 }
            else if let id, pendingIDs.contains(id) { hits += 1 }
            else { pending.append(k); if let id { pendingIDs.insert(id) } }
        }
        // Read and scan together, on every core.
        var scanned = [Result<[PythonImport], PythonScanError>](repeating: .success([]), count: pending.count)
        var sizes = [Int](repeating: 0, count: pending.count)
        try scanned.withUnsafeMutableBufferPointer { out in
            try sizes.withUnsafeMutableBufferPointer { size in
                nonisolated(unsafe) let out = out
                nonisolated(unsafe) let size = size
                try snapshot.readEach(pending.map { files[$0].0.file }) { j, bytes in
                    size[j] = bytes.count
                    out[j] = PythonImportScanner.scan(bytes)
                }
            }
        }
        log.append("python: read and scanned \(pending.count) file(s) (\(sizes.reduce(0, +)) bytes) in \(lap())")
        if let report = snapshot.readEachReport { log.append("python: \(report)") }
        let changed = snapshot.changedDuringReadEach
        for (j, k) in pending.enumerated() {
            outcomes[k] = scanned[j]
            if let id = files[k].1, !changed.contains(files[k].0.file) { cache.store(id, scanned[j]) }
        }
        var ids = Set<String>()
        for (k, (_, id)) in files.enumerated() {
            if outcomes[k] == nil, let id { outcomes[k] = cache[id] }
            if let id { ids.insert(id) }
        }
        // Resolve every file's imports on every core (the module table is complete and only
        // read), then add them in file order so the graph does not depend on scheduling.
        var resolutions = [ImportGraph.Resolution?](repeating: nil, count: files.count)
        resolutions.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            let table = graph
            let outcomesCopy = outcomes
            let modules = files.map(\.0)
            DispatchQueue.concurrentPerform(iterations: modules.count) { k in
                guard case .success(let imports)? = outcomesCopy[k] else { return }
                let module = modules[k]
                out[k] = table.resolve(imports, of: module)
            }
        }
        for (k, (module, _)) in files.enumerated() {
            switch outcomes[k] ?? .success([]) {
            case .success:
                if let resolution = resolutions[k] { graph.add(resolution, of: module) }
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
        log.append("python: \(graph.edgeCount) import edge(s), \(graph.unresolved.count) unresolved import(s) of internal packages")

        for escape in graph.escapes where touched == nil || touched!.contains(escape.site.file) {
            diagnostics.append(Diagnostic(id: "LC304", severity: .warning,
                                          message: "relative import '\(escape.text)' in \(escape.module) climbs above its top-level package",
                                          file: escape.site.file, start: SourcePosition(line: escape.site.line, column: escape.site.column),
                                          end: SourcePosition(line: escape.site.line, column: escape.site.column + escape.text.count),
                                          help: "use an absolute import"))
        }
        log.append("python: graph built in \(lap())")
        let checker = ContractChecker(graph: graph, touched: touched)
        // Contracts are independent: check them on every core, report them in order.
        var checked = [(diagnostics: [Diagnostic], unusedIgnores: [ImportContract.Ignore])](repeating: ([], []), count: contracts.count)
        checked.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: contracts.count) { k in out[k] = checker.check(contracts[k]) }
        }
        log.append("python: \(contracts.count) contract(s) checked in \(lap())")
        for (contract, (found, unused)) in zip(contracts, checked) {
            diagnostics += found
            log.append("contract '\(contract.name)' (\(contract.kind.rawValue), from \(contract.origin)): \(found.count) violation(s)")
            for ignore in unused {
                diagnostics.append(Diagnostic(id: contract.origin == LabcheckConfig.fileName ? "LC001" : "LC002", severity: .error,
                                              message: "ignore '\(ignore.importer) -> \(ignore.imported)' of contract '\(contract.name)' matches no import",
                                              file: ignore.file, start: ignore.position, end: ignore.position,
                                              help: "remove it: the import it tolerated is gone (ignores must not rot)"))
            }
        }
        try addSourceLines(&diagnostics, snapshot: snapshot, labFiles: labFiles)
        return diagnostics
    }

    /// Fills in the source line of each report (the text output shows it with a caret): from
    /// the lab file for stage code, else by reading the reported Python files of the snapshot.
    static func addSourceLines(_ diagnostics: inout [Diagnostic], snapshot: any SnapshotReader, labFiles: [LabFile]) throws {
        let labs = Dictionary(labFiles.map { ($0.path, $0.source) }, uniquingKeysWith: { first, _ in first })
        var wanted: [String: Set<Int>] = [:]
        for (k, d) in diagnostics.enumerated() where d.sourceLine == nil {
            if let source = labs[d.file] { diagnostics[k].sourceLine = source.lineText(d.start.line) } else { wanted[d.file, default: []].insert(d.start.line) }
        }
        guard !wanted.isEmpty else { return }
        let files = wanted.keys.sorted()
        let lineSets = files.map { wanted[$0]! }
        var byFile = [[Int: String]](repeating: [:], count: files.count)
        try byFile.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out   // each call writes only its own element
            try snapshot.readEach(files) { k, bytes in
                let needed = lineSets[k]
                let last = needed.max()!
                var line = 1, start = 0
                for (offset, byte) in bytes.enumerated() where byte == 0x0A {
                    if needed.contains(line) { out[k][line] = text(bytes, start, offset) }
                    line += 1
                    start = offset + 1
                    if line > last { break }
                }
                if line <= last && needed.contains(line) { out[k][line] = text(bytes, start, bytes.count) }
            }
        }
        let index = Dictionary(uniqueKeysWithValues: files.enumerated().map { ($1, $0) })
        for k in diagnostics.indices where diagnostics[k].sourceLine == nil {
            if let f = index[diagnostics[k].file] { diagnostics[k].sourceLine = byFile[f][diagnostics[k].start.line] }
        }
    }

    /// One line of a file, without its line ending; invalid UTF-8 is replaced, not trusted.
    private static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        var e = end
        if e > start && bytes[e - 1] == 0x0D { e -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<e]), as: UTF8.self)
    }
}
