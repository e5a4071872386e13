import Dispatch
import LabcheckTOML

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

    /// What the import check reads.
    public struct Input {
        public let snapshot: any SnapshotReader
        public let config: LabcheckConfig
        public let contracts: [ImportContract]
        /// Every lab file of the snapshot (stage code is part of the graph).
        public let labFiles: [LabFile]
        public let conventions: StageConventions
        public let scope: ReportScope
        /// Per-module detail in the log (`-v`).
        public let verbose: Bool

        public init(snapshot: any SnapshotReader, config: LabcheckConfig, contracts: [ImportContract], labFiles: [LabFile],
                    conventions: StageConventions, scope: ReportScope, verbose: Bool) {
            self.snapshot = snapshot
            self.config = config
            self.contracts = contracts
            self.labFiles = labFiles
            self.conventions = conventions
            self.scope = scope
            self.verbose = verbose
        }
    }

    /// One Python file of the snapshot and its content id (for the scan cache).
    struct SourceFile {
        let module: PythonModule
        let contentID: String?
    }

    typealias ScanOutcome = Result<[PythonImport], PythonScanError>

    /// The phases, in order: discover -> read and scan (cache) -> resolve -> graph -> contracts
    /// -> report.
    public static func check(_ input: Input, cache: inout ImportScanCache, log: inout [String]) throws -> (diagnostics: [Diagnostic], suppressions: [Suppression]) {
        var timer = LapTimer()
        var graph = ImportGraph()
        var suppressions: [Suppression] = []
        let files = discover(input, graph: &graph, log: &log)
        let outcomes = try readAndScan(files, input.snapshot, cache: &cache, log: &log, timer: &timer, suppressions: &suppressions)
        let resolutions = resolve(files, outcomes, in: graph)
        var diagnostics = buildGraph(&graph, files: files, outcomes: outcomes, resolutions: resolutions, scope: input.scope)
        diagnostics += addStageCode(&graph, input, log: &log)
        log.append("python: \(graph.edgeCount) import edge(s), \(graph.unresolved.count) unresolved import(s) of internal packages")
        diagnostics += relativeEscapes(graph, scope: input.scope)
        log.append("python: graph built in \(timer.lap())")
        let checked = checkContracts(input.contracts, graph: graph, scope: input.scope)
        log.append("python: \(input.contracts.count) contract(s) checked in \(timer.lap())")
        diagnostics += report(input.contracts, checked, graph: graph, log: &log)
        try addSourceLines(&diagnostics, snapshot: input.snapshot, labFiles: input.labFiles)
        return (diagnostics, suppressions)
    }

    /// Phase 1: every `.py` file of the snapshot as a module of the configured roots (a second
    /// file for a module name already taken is skipped, and said).
    static func discover(_ input: Input, graph: inout ImportGraph, log: inout [String]) -> [SourceFile] {
        let roots = input.config.pythonRoots ?? ["src", "."]
        log.append("python roots: \(roots.joined(separator: ", "))\(input.config.pythonRoots == nil ? " (default; set [python] roots in .labcheck.toml)" : "")")
        let resolver = ModuleResolver(roots: roots)
        var files: [SourceFile] = []
        var seenNames: [String: String] = [:]
        for path in input.snapshot.paths where path.hasSuffix(".py") {
            guard let module = resolver.module(for: path) else { continue }
            if let first = seenNames[module.name] {
                log.append("python: \(path) would be module \(module.name), already taken by \(first); skipped")
                continue
            }
            seenNames[module.name] = path
            graph.add(module: module)
            files.append(SourceFile(module: module, contentID: input.snapshot.contentID(path)))
        }
        var counts: [String: Int] = [:]
        for f in files { counts[f.module.root, default: 0] += 1 }
        log.append("python: \(files.count) module(s): " + roots.map { "\(counts[$0] ?? 0) from root \($0)" }.joined(separator: ", "))
        if input.verbose {
            for f in files.sorted(by: { $0.module.name < $1.module.name }) { log.append("python: module \(f.module.name) from root \(f.module.root) (\(f.module.file))") }
        }
        return files
    }

    /// Phase 2: the scan of every file, from the cache by content id, else read and scanned on
    /// every core. New results are cached unless the file changed while it was read; entries of
    /// files no longer in the snapshot are dropped.
    static func readAndScan(_ files: [SourceFile], _ snapshot: any SnapshotReader, cache: inout ImportScanCache,
                            log: inout [String], timer: inout LapTimer, suppressions: inout [Suppression]) throws -> [ScanOutcome] {
        var outcomes = [ScanOutcome?](repeating: nil, count: files.count)
        var pending: [Int] = []
        var pendingIDs = Set<String>()
        var hits = 0, twins = 0
        var fresh: [Int: [CachedSuppression]] = [:]
        for (k, file) in files.enumerated() {
            if let id = file.contentID, let cached = cache[id] { outcomes[k] = cached; hits += 1 }
            else if let id = file.contentID, pendingIDs.contains(id) { twins += 1 }
            else { pending.append(k); if let id = file.contentID { pendingIDs.insert(id) } }
        }
        var scanned = [ScanOutcome](repeating: .success([]), count: pending.count)
        var sizes = [Int](repeating: 0, count: pending.count)
        var marks = [[CachedSuppression]](repeating: [], count: pending.count)
        let observation = try scanned.withUnsafeMutableBufferPointer { out in
            try sizes.withUnsafeMutableBufferPointer { size in
                try marks.withUnsafeMutableBufferPointer { mark in
                    // Each call of the body writes only its own element `j`: no two threads share one.
                    nonisolated(unsafe) let out = out
                    nonisolated(unsafe) let size = size
                    nonisolated(unsafe) let mark = mark
                    return try snapshot.readEach(pending.map { files[$0].module.file }) { j, bytes in
                        size[j] = bytes.count
                        out[j] = PythonImportScanner.scan(bytes)
                        mark[j] = SuppressionCheck.scanCached(bytes)
                    }
                }
            }
        }
        log.append("python: read and scanned \(pending.count) file(s) (\(sizes.reduce(0, +)) bytes) in \(timer.lap())")
        if let summary = observation.summary { log.append("python: \(summary)") }
        for (j, k) in pending.enumerated() {
            outcomes[k] = scanned[j]
            if let id = files[k].contentID, !observation.changed.contains(files[k].module.file) { cache.store(id, scanned[j], suppressions: marks[j]) }
            fresh[k] = marks[j]
        }
        var ids = Set<String>()
        for (k, file) in files.enumerated() {
            // A duplicate of a pending file: its twin's result is in the cache now.
            if outcomes[k] == nil, let id = file.contentID { outcomes[k] = cache[id] }
            if let id = file.contentID { ids.insert(id) }
        }
        // Every file's suppression comments: from this scan, else from the cache entry of its blob.
        for (k, file) in files.enumerated() {
            let list = fresh[k] ?? file.contentID.flatMap { cache.suppressions[$0] } ?? []
            suppressions += list.map { $0.at(file.module.file) }
        }
        cache.retain(ids)
        log.append("python: \(hits) of \(files.count) file(s) from the scan cache" + (twins > 0 ? ", \(twins) identical to another file and scanned once" : ""))
        return outcomes.map { $0 ?? .success([]) }
    }

    /// Phase 3: every file's imports resolved against the module table, on every core (the
    /// table is complete and only read).
    static func resolve(_ files: [SourceFile], _ outcomes: [ScanOutcome], in graph: ImportGraph) -> [ImportGraph.Resolution?] {
        var resolutions = [ImportGraph.Resolution?](repeating: nil, count: files.count)
        resolutions.withUnsafeMutableBufferPointer { out in
            // Each iteration writes only its own element `k`.
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: files.count) { k in
                guard case .success(let imports) = outcomes[k] else { return }
                out[k] = graph.resolve(imports, of: files[k].module)
            }
        }
        return resolutions
    }

    /// Phase 4: the resolutions added in file order (so the graph does not depend on
    /// scheduling); a file that could not be scanned is LC305 where in scope.
    static func buildGraph(_ graph: inout ImportGraph, files: [SourceFile], outcomes: [ScanOutcome],
                           resolutions: [ImportGraph.Resolution?], scope: ReportScope) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for (k, file) in files.enumerated() {
            switch outcomes[k] {
            case .success:
                if let resolution = resolutions[k] { graph.add(resolution, of: file.module) }
            case .failure(let e):
                guard scope.contains(file.module.file) else { continue }
                diagnostics.append(Diagnostic(id: "LC305", severity: .warning, message: "cannot scan \(file.module.file) for imports: \(e.message)",
                                              file: file.module.file, start: SourcePosition(line: e.line, column: e.column),
                                              end: SourcePosition(line: e.line, column: e.column),
                                              help: "its imports are not part of the graph until it is valid UTF-8 Python"))
            }
        }
        return diagnostics
    }

    /// Phase 4, continued: the code of raw_python and legacy stages, as modules named after
    /// their stages, with import sites mapped back into the TOML file.
    static func addStageCode(_ graph: inout ImportGraph, _ input: Input, log: inout [String]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var stageCount = 0
        for file in input.labFiles {
            for stage in file.stages {
                switch stage.kind { case .rawPython, .legacy: break; default: continue }
                guard let code = stage.table[input.conventions.codeKey], let text = code.string,
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
                    guard input.scope.contains(file.path) else { continue }
                    let p = file.source.position(of: map.sourceOffset(line: e.line, column: e.column))
                    diagnostics.append(Diagnostic(id: "LC305", severity: .warning, message: "cannot scan the code of stage \(stage.displayName) for imports: \(e.message)",
                                                  file: file.path, start: p, end: p, source: file.source))
                }
            }
        }
        if stageCount > 0 { log.append("python: \(stageCount) lab stage(s) scanned as modules \(stageModulePrefix).<module>.<stage>") }
        return diagnostics
    }

    /// LC304 for relative imports that climb above their top-level package, where in scope.
    static func relativeEscapes(_ graph: ImportGraph, scope: ReportScope) -> [Diagnostic] {
        graph.escapes.filter { scope.contains($0.site.file) }.map { escape in
            Diagnostic(id: "LC304", severity: .warning,
                       message: "relative import '\(escape.text)' in \(escape.module) climbs above its top-level package",
                       file: escape.site.file, start: SourcePosition(line: escape.site.line, column: escape.site.column),
                       end: SourcePosition(line: escape.site.line, column: escape.site.column + escape.text.count),
                       help: "use an absolute import")
        }
    }

    /// Phase 5: every contract, on every core (they are independent), results in contract order.
    static func checkContracts(_ contracts: [ImportContract], graph: ImportGraph, scope: ReportScope)
        -> [(diagnostics: [Diagnostic], unusedIgnores: [ImportContract.Ignore])] {
        let checker = ContractChecker(graph: graph, scope: scope)
        var checked = [(diagnostics: [Diagnostic], unusedIgnores: [ImportContract.Ignore])](repeating: ([], []), count: contracts.count)
        checked.withUnsafeMutableBufferPointer { out in
            // Each iteration writes only its own element `k`.
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: contracts.count) { k in out[k] = checker.check(contracts[k]) }
        }
        return checked
    }

    /// Phase 6: the violations, and an error for each ignore that matched nothing.
    static func report(_ contracts: [ImportContract], _ checked: [(diagnostics: [Diagnostic], unusedIgnores: [ImportContract.Ignore])],
                       graph: ImportGraph, log: inout [String]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for (contract, (found, unused)) in zip(contracts, checked) {
            diagnostics += found
            log.append("contract '\(contract.name)' (\(contract.kind.rawValue), from \(contract.origin)): \(found.count) violation(s)")
            for ignore in unused {
                diagnostics.append(Diagnostic(id: contract.origin == LabcheckConfig.fileName ? "LC001" : "LC002", severity: .error,
                                              message: "ignore '\(ignore.importer) -> \(ignore.imported)' of contract '\(contract.name)' matches no import",
                                              file: ignore.file, start: ignore.position, end: ignore.position,
                                              help: nearestImport(ignore, in: graph).map { "did you mean '\($0)'? Otherwise remove it: the import it tolerated is gone (ignores must not rot)" }
                                                ?? "remove it: the import it tolerated is gone (ignores must not rot)"))
            }
        }
        return diagnostics
    }

    /// The existing import nearest to an ignore that matches nothing: among the imports of its
    /// importer or of its imported module (else of their top-level packages), by edit distance.
    static func nearestImport(_ ignore: ImportContract.Ignore, in graph: ImportGraph) -> String? {
        var exact = Set<String>(), related = Set<String>()
        let tops = (ignore.importer.split(separator: ".").first.map(String.init) ?? "", ignore.imported.split(separator: ".").first.map(String.init) ?? "")
        for i in 0..<graph.edgeCount {
            let e = graph.edge(i)
            if e.importer == ignore.importer || e.imported == ignore.imported { exact.insert("\(e.importer) -> \(e.imported)") }
            else if related.count < 2000, isWithin(e.importer, tops.0) && isWithin(e.imported, tops.1) { related.insert("\(e.importer) -> \(e.imported)") }
        }
        let target = "\(ignore.importer) -> \(ignore.imported)"
        let candidates = exact.isEmpty ? related : exact
        return NearestName.suggestion(for: target, among: Array(candidates).sorted())
    }

    /// Fills in the source line of each report (the text output shows it with a caret): from
    /// the lab file for stage code, else by reading the reported Python files of the snapshot.
    static func addSourceLines(_ diagnostics: inout [Diagnostic], snapshot: any SnapshotReader, labFiles: [LabFile]) throws {
        let labs = Dictionary(labFiles.map { ($0.path, $0.source) }, uniquingKeysWith: { first, _ in first })
        var wanted = Set<String>()
        for (k, d) in diagnostics.enumerated() where d.sourceLine == nil {
            if let source = labs[d.file] { diagnostics[k].attachSourceLine(from: source) } else { wanted.insert(d.file) }
        }
        guard !wanted.isEmpty else { return }
        let files = wanted.sorted()
        // Each reported file read once; its lines are cut from it (a window of a long line).
        var sources = [SourceText?](repeating: nil, count: files.count)
        try sources.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out   // each call writes only its own element
            _ = try snapshot.readEach(files) { k, bytes in out[k] = SourceText(Array(bytes)) }
        }
        let index = Dictionary(uniqueKeysWithValues: files.enumerated().map { ($1, $0) })
        for k in diagnostics.indices where diagnostics[k].sourceLine == nil {
            if let f = index[diagnostics[k].file], let source = sources[f] { diagnostics[k].attachSourceLine(from: source) }
        }
    }
}

/// Milliseconds since the last lap, for `-v` timing lines.
struct LapTimer {
    private let clock = ContinuousClock()
    private var mark: ContinuousClock.Instant

    init() { mark = clock.now }

    /// The time since the previous lap (or the start), as `N ms`, and starts a new lap.
    mutating func lap() -> String {
        let now = clock.now
        let d = now - mark
        mark = now
        return "\(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) ms"
    }
}
