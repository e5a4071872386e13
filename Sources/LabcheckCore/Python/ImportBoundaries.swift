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
    public static func contracts(config: LabcheckConfig, rules: RuleSet, importLinter: ImportLinterConfig? = nil) -> ([ImportContract], [Diagnostic]) {
        var out: [ImportContract] = importLinter?.contracts ?? []
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
    /// -> report. The state holds the graph, and is what a later run patches (`ImportGraphState`).
    public static func check(_ input: Input, cache: inout ImportScanCache, log: inout [String]) throws
        -> (diagnostics: [Diagnostic], suppressions: [Suppression], modules: Set<String>, state: ImportGraphState) {
        var timer = LapTimer()
        var graph = ImportGraph()
        var suppressions: [Suppression] = []
        let (files, rootProblems) = discover(input, graph: &graph, log: &log)
        let outcomes = try readAndScan(files, input.snapshot, cache: &cache, log: &log, timer: &timer, suppressions: &suppressions)
        let resolutions = resolve(files, outcomes, in: graph)
        let (edgeStart, scanFailures) = buildGraph(&graph, files: files, outcomes: outcomes, resolutions: resolutions)
        let stageProblems = addStageCode(&graph, input, log: &log)
        log.append("python: \(graph.edgeCount) import edge(s), \(graph.unresolved.count) unresolved import(s) of internal packages")
        log.append("python: graph built in \(timer.lap())")
        var state = ImportGraphState(graph: graph, files: files.map(\.module), edgeStart: edgeStart, rootProblems: rootProblems,
                                     scanFailures: scanFailures, stageProblems: stageProblems)
        var diagnostics = conclude(&state, contracts: input.contracts, scope: input.scope, log: &log)
        log.append("python: \(input.contracts.count) contract(s) checked in \(timer.lap())")
        try addSourceLines(&diagnostics, snapshot: input.snapshot, labFiles: input.labFiles)
        return (diagnostics, suppressions, Set(files.map(\.module.file)), state)
    }

    /// The phase from a built (or patched) graph on: the findings of the graph's construction
    /// in scope, then the contracts' (validated against the graph, checked on every core).
    /// Sets the state's `reported` to the result (without source lines).
    static func conclude(_ state: inout ImportGraphState, contracts all: [ImportContract], scope: ReportScope, log: inout [String]) -> [Diagnostic] {
        let graph = state.graph
        var diagnostics = state.rootProblems
        diagnostics += state.scanFailures.map(\.diagnostic).filter { scope.contains($0.file) }
        diagnostics += state.stageProblems.filter { scope.contains($0.file) }
        diagnostics += relativeEscapes(graph, scope: scope)
        let (contracts, problems) = validateExpressions(all, graph: graph, log: &log)
        diagnostics += problems
        diagnostics += undeclaredLayers(contracts, files: state.files, scope: scope)
        let (checked, order) = checkContracts(contracts, graph: graph, scope: scope, rank: state.rank, order: state.edgeOrder)
        state.rank = order.rank
        state.edgeOrder = order
        diagnostics += report(contracts, checked, graph: graph, log: &log)
        state.reported = diagnostics.map(\.bare)
        return diagnostics
    }

    /// The import phase of a whole-snapshot run with a memo: when every module's scan, every
    /// lab stage's code and place, the snapshot's paths and the configuration are what an
    /// earlier run had, its outcome is reused (source lines cut again from the files); else the
    /// phase runs (`loadCache` gives the scan cache only then) and its outcome is stored.
    /// Scans are known by a digest per blob id (`ImportScanDigest`): files without one (the
    /// touched ones) are scanned first, and when many are missing the lookup is skipped.
    /// The key returned names the phase's outcome and graph in the memo (nil when some module's
    /// scan digest is unknown, and nothing was stored).
    public static func checkMemoized(_ input: Input, memo: any ImportMemo, loadCache: () -> ImportScanCache, log: inout [String]) throws
        -> (diagnostics: [Diagnostic], suppressions: [Suppression], modules: Int, cache: ImportScanCache?, key: String?) {
        var quiet: [String] = []
        let (files, _) = discoverModules(input, log: &quiet)
        var digests = [UInt64?](repeating: nil, count: files.count)
        var missing: [Int] = []
        for (k, f) in files.enumerated() {
            if let id = f.contentID, let d = memo.scanDigest(blob: id) { digests[k] = d } else { missing.append(k) }
        }
        if missing.count <= max(64, files.count / 20) {
            var scans = [UInt64](repeating: 0, count: missing.count)
            try scans.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out   // each call writes only its own element `j`
                _ = try input.snapshot.readEach(missing.map { files[$0].module.file }) { j, bytes in
                    out[j] = ImportScanDigest.of(PythonImportScanner.scan(bytes), suppressions: SuppressionCheck.scanCached(bytes))
                }
            }
            for (j, k) in missing.enumerated() { digests[k] = scans[j] }
            let key = memo.key(memoMaterial(input, files: files, digests: digests))
            if let known = memo.outcome(key: key) {
                var diagnostics = known.diagnostics
                try addSourceLines(&diagnostics, snapshot: input.snapshot, labFiles: input.labFiles)
                log.append("python: \(known.modules) module(s); modules, imports, stage code and contracts are as in an earlier run: its import findings reused"
                           + (missing.isEmpty ? "" : " (\(missing.count) changed file(s) scanned to know)"))
                return (diagnostics, known.suppressions, known.modules, nil, key)
            }
        } else {
            log.append("python: \(missing.count) of \(files.count) file(s) not seen before: the import graph is built without looking for an earlier one")
        }
        var cache = loadCache()
        let (diagnostics, suppressions, modules, state) = try check(input, cache: &cache, log: &log)
        var all: [String: UInt64] = [:]
        for (k, f) in files.enumerated() {
            guard let id = f.contentID else { continue }
            // Digests already known (from the memo, or computed above) are the same function of
            // the same scan: only the others are computed (20,000 of them took ~3 % of a run).
            if digests[k] == nil, let outcome = cache[id] { digests[k] = ImportScanDigest.of(outcome, suppressions: cache.suppressions[id] ?? []) }
            if let d = digests[k] { all[id] = d }
        }
        memo.storeScanDigests(all)
        if digests.allSatisfy({ $0 != nil }) {
            let stored = diagnostics.map(\.bare)
            let key = memo.key(memoMaterial(input, files: files, digests: digests))
            memo.store(ImportPhaseOutcome(diagnostics: stored, suppressions: suppressions, modules: modules.count), key: key)
            memo.storeGraphState(state, key: key)
            return (diagnostics, suppressions, modules.count, cache, key)
        }
        return (diagnostics, suppressions, modules.count, cache, nil)
    }

    /// What determines the import phase besides the configuration: every path of the snapshot
    /// (roots, exclusions and module names come from them), each module with its scan digest,
    /// and each lab stage's code with its place in its file.
    static func memoMaterial(_ input: Input, files: [SourceFile], digests: [UInt64?]) -> [UInt8] {
        var m: [UInt8] = Array("labcheck import phase 1\n".utf8)
        func text(_ s: String) { m += s.utf8; m.append(0) }
        func int(_ v: Int) { var x = UInt64(bitPattern: Int64(v)); for _ in 0..<8 { m.append(UInt8(truncatingIfNeeded: x)); x >>= 8 } }
        for path in input.snapshot.paths { text(path) }
        m.append(1)
        for (k, f) in files.enumerated() {
            text(f.module.name); text(f.module.file); text(f.module.root); m.append(f.module.isPackage ? 1 : 0)
            int(Int(bitPattern: UInt(digests[k] ?? 0)))
        }
        m.append(2)
        for file in input.labFiles.sorted(by: { $0.path < $1.path }) {
            text(file.path)
            m += stageCodeMaterial(file, conventions: input.conventions)
        }
        return m
    }

    /// What the import phase takes from one lab file: each code stage's module name, display
    /// name, the code's place (line, column) and its bytes. Two versions of a lab file with the
    /// same material give the same import findings.
    public static func stageCodeMaterial(_ file: LabFile, conventions: StageConventions) -> [UInt8] {
        var m: [UInt8] = []
        func text(_ s: String) { m += s.utf8; m.append(0) }
        func int(_ v: Int) { var x = UInt64(bitPattern: Int64(v)); for _ in 0..<8 { m.append(UInt8(truncatingIfNeeded: x)); x >>= 8 } }
        for stage in file.stages {
            switch stage.kind { case .rawPython, .legacy: break; default: continue }
            guard let code = stage.table[conventions.codeKey], code.string != nil else { continue }
            text(stageModuleName(stage))
            text(stage.displayName)
            let start = file.source.position(of: code.span.start)
            int(start.line); int(start.column)
            m += file.source.bytes[code.span.start..<max(code.span.start, code.span.end)]
            m.append(0)
        }
        return m
    }

    /// The package roots of the snapshot: `[python] roots` as written (each entry must match a
    /// directory; globs such as `src/*/src` expand to the directories they match), `"auto"`
    /// (the roots of every `pyproject.toml`: `<dir>/src` when it holds Python files, the src
    /// layout of setuptools, hatch and uv; else `<dir>`), or the default `["src", "."]`, which
    /// takes what exists. An entry that matches no directory is an LC001 error, never a root
    /// that silently holds nothing.
    static func roots(_ input: Input, log: inout [String]) -> ([String], [Diagnostic]) {
        let config = input.config
        let paths = input.snapshot.paths
        // Every directory of the snapshot, built only for a glob or a root that is missing.
        func allDirectories() -> Set<String> {
            var directories = Set<String>()
            for path in paths {
                var end = path.endIndex
                while let slash = path[..<end].lastIndex(of: "/") {
                    guard directories.insert(String(path[..<slash])).inserted else { break }
                    end = slash
                }
            }
            return directories
        }
        if config.pythonRootsAuto {
            var found: [String] = []
            for path in paths where path == "pyproject.toml" || path.hasSuffix("/pyproject.toml") {
                let dir = String(path.dropLast("pyproject.toml".count))   // "" or "a/b/"
                let src = dir + "src"
                let root = paths.contains(where: { $0.hasPrefix(src + "/") && $0.hasSuffix(".py") }) ? src : (dir.isEmpty ? "." : String(dir.dropLast()))
                found.append(root)
            }
            // Deeper roots first, so a nested project's files are not claimed by an outer one.
            found.sort { ($0.split(separator: "/").count, $0) > ($1.split(separator: "/").count, $1) }
            log.append("python roots: auto: \(found.count) from pyproject.toml files\(found.isEmpty ? "" : ": " + found.joined(separator: ", "))")
            if found.isEmpty {
                return ([], [configProblem(config, "'python.roots' is \"auto\" but the snapshot has no pyproject.toml to discover package roots from", nil)])
            }
            return (found, [])
        }
        guard let written = config.pythonRoots else {
            log.append("python roots: src, . (default; set [python] roots in .labcheck.toml)")
            return (["src", "."], [])
        }
        var roots: [String] = []
        var problems: [Diagnostic] = []
        for (k, entry) in written.enumerated() {
            var root = entry
            while root.hasSuffix("/") { root.removeLast() }
            if root.hasPrefix("./") { root.removeFirst(2) }
            if root.isEmpty || root == "." { roots.append("."); continue }
            let span = k < config.pythonRootSpans.count ? config.pythonRootSpans[k] : nil
            if root.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) {
                let glob = Glob(root)
                let matched = allDirectories().filter { glob.matches($0) }.sorted()
                log.append("python roots: '\(entry)' matches \(matched.count) director\(matched.count == 1 ? "y" : "ies")\(matched.isEmpty ? "" : ": " + matched.joined(separator: ", "))")
                if matched.isEmpty { problems.append(configProblem(config, "'python.roots' entry '\(entry)' matches no directory of the snapshot", span)) }
                roots += matched
            } else if case let prefix = root + "/", paths.contains(where: { $0.hasPrefix(prefix) }) {
                roots.append(root)
            } else {
                let nearest = NearestName.suggestion(for: root, among: allDirectories().sorted())
                problems.append(configProblem(config, "'python.roots' entry '\(entry)' is not a directory of the snapshot", span,
                                              help: nearest.map { "did you mean '\($0)'?" }))
            }
        }
        log.append("python roots: \(roots.joined(separator: ", "))")
        return (roots, problems)
    }

    static func configProblem(_ config: LabcheckConfig, _ message: String, _ span: (start: SourcePosition, end: SourcePosition)?, help: String? = nil) -> Diagnostic {
        let start = span?.start ?? SourcePosition(line: 1, column: 1), end = span?.end ?? start
        return Diagnostic(id: "LC001", severity: .error, message: message, file: LabcheckConfig.fileName, start: start, end: end, help: help)
    }

    /// Phase 1: every `.py` file of the snapshot as a module of the configured roots (a second
    /// file for a module name already taken is skipped, and said).
    static func discover(_ input: Input, graph: inout ImportGraph, log: inout [String]) -> ([SourceFile], [Diagnostic]) {
        let (files, problems) = discoverModules(input, log: &log)
        for f in files { graph.add(module: f.module) }
        return (files, problems)
    }

    /// The modules of the snapshot, without building a graph of them.
    static func discoverModules(_ input: Input, log: inout [String]) -> ([SourceFile], [Diagnostic]) {
        let (roots, problems) = Self.roots(input, log: &log)
        let resolver = ModuleResolver(roots: roots)
        var files: [SourceFile] = []
        var seenNames: [String: String] = [:]
        var duplicates: [Diagnostic] = []
        var excluded = 0, outside = 0
        var candidates: [PythonModule] = []
        for path in input.snapshot.paths where path.hasSuffix(".py") {
            if input.config.pythonExclude.contains(where: { $0.matches(path) }) {
                excluded += 1
                if input.verbose { log.append("python: not checked: \(path) (excluded by [python] exclude)") }
                continue
            }
            guard let module = resolver.module(for: path) else {
                outside += 1
                if input.verbose { log.append("python: not checked: \(path) (outside every root, or its directories are not package names)") }
                continue
            }
            candidates.append(module)
        }
        // Two files giving one module name: the one under the earlier root wins (then by path).
        let rootOrder = Dictionary(resolver.roots.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        // Paths come sorted: with one root the order is already right.
        if resolver.roots.count > 1 { candidates.sort { (rootOrder[$0.root] ?? 0, $0.file) < (rootOrder[$1.root] ?? 0, $1.file) } }
        for module in candidates {
            let path = module.file
            if let first = seenNames[module.name] {
                // Never silently: the file is not checked, and the report says why.
                log.append("python: \(path) would be module \(module.name), already taken by \(first); skipped")
                if input.scope.contains(path) || input.scope.contains(first) {
                    duplicates.append(Diagnostic(id: "LC305", severity: .warning,
                                                 message: "cannot check \(path): its module name \(module.name) is already taken by \(first) (first root wins)",
                                                 file: path, start: SourcePosition(line: 1, column: 1), end: SourcePosition(line: 1, column: 1),
                                                 help: "rename one of them, or adjust [python] roots / exclude in .labcheck.toml so each module has one file"))
                }
                continue
            }
            seenNames[module.name] = path
            files.append(SourceFile(module: module, contentID: input.snapshot.contentID(path)))
        }
        var counts: [String: Int] = [:]
        for f in files { counts[f.module.root, default: 0] += 1 }
        log.append("python: \(files.count) module(s): " + roots.map { "\(counts[$0] ?? 0) from root \($0)" }.joined(separator: ", "))
        log.append("python: \(excluded) file(s) excluded by [python] exclude, \(outside) outside every root or not named as a module")
        if input.verbose {
            for f in files.sorted(by: { $0.module.name < $1.module.name }) { log.append("python: module \(f.module.name) from root \(f.module.root) (\(f.module.file))") }
        }
        return (files, problems + duplicates)
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
    /// scheduling). Returns where each file's edges start (and the end of the last), and an
    /// LC305 finding for each file that could not be scanned.
    static func buildGraph(_ graph: inout ImportGraph, files: [SourceFile], outcomes: [ScanOutcome],
                           resolutions: [ImportGraph.Resolution?]) -> (edgeStart: [Int32], failures: [(file: Int32, diagnostic: Diagnostic)]) {
        var failures: [(file: Int32, diagnostic: Diagnostic)] = []
        var edgeStart: [Int32] = []
        edgeStart.reserveCapacity(files.count + 1)
        for (k, file) in files.enumerated() {
            edgeStart.append(Int32(graph.edgeCount))
            switch outcomes[k] {
            case .success:
                if let resolution = resolutions[k] { graph.add(resolution, of: file.module) }
            case .failure(let e):
                failures.append((Int32(k), scanFailure(file.module.file, e)))
            }
        }
        edgeStart.append(Int32(graph.edgeCount))
        return (edgeStart, failures)
    }

    /// LC305 for a Python file that could not be scanned.
    static func scanFailure(_ file: String, _ e: PythonScanError) -> Diagnostic {
        Diagnostic(id: "LC305", severity: .warning, message: "cannot scan \(file) for imports: \(e.message)",
                   file: file, start: SourcePosition(line: e.line, column: e.column), end: SourcePosition(line: e.line, column: e.column),
                   help: "its imports are not part of the graph until it is valid UTF-8 Python")
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
    /// `rank`: the graph's nodes ranked by name, if known; returned (computed if not).
    static func checkContracts(_ contracts: [ImportContract], graph: ImportGraph, scope: ReportScope, rank: [Int32]? = nil, order: EdgeOrder? = nil)
        -> (checked: [(diagnostics: [Diagnostic], unusedIgnores: [ImportContract.Ignore])], order: EdgeOrder) {
        let checker = ContractChecker(graph: graph, scope: scope, rank: rank, order: order)
        // Contracts without ignores that skip the same kinds of import see the same edges: one
        // view each (built once, only read by the checks).
        var shared: [UInt8: ContractChecker.View] = [:]
        for c in contracts where c.ignores.isEmpty && shared[ContractChecker.skippedFlags(c)] == nil {
            let skipped = ContractChecker.skippedFlags(c)
            shared[skipped] = checker.view(skipping: skipped)
        }
        let views = shared
        var checked = [(diagnostics: [Diagnostic], unusedIgnores: [ImportContract.Ignore])](repeating: ([], []), count: contracts.count)
        checked.withUnsafeMutableBufferPointer { out in
            // Each iteration writes only its own element `k`.
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: contracts.count) { k in
                out[k] = checker.check(contracts[k], shared: views[ContractChecker.skippedFlags(contracts[k])])
            }
        }
        return (checked, checker.edgeOrder)
    }

    /// Phase 5a: never a silent pass. Every module expression of a contract must match a module
    /// of the graph, or name an external package some module imports; an optional layer may be
    /// missing. Otherwise a configuration error (LC001 for `.labcheck.toml`, LC002 for a preset)
    /// at the expression, with the nearest module; such a contract is not checked. `-v` says
    /// how many modules each expression matched.
    static func validateExpressions(_ contracts: [ImportContract], graph: ImportGraph, log: inout [String]) -> ([ImportContract], [Diagnostic]) {
        let modules = graph.moduleNames   // sorted only for a suggestion
        let externals = Set(graph.externalNames)
        var valid: [ImportContract] = []
        var problems: [Diagnostic] = []
        /// How many modules an expression covers (itself and its descendants, or its wildcard matches).
        func count(_ e: String) -> Int {
            e.utf8.contains(0x2A) ? modules.count { ImportContract.Ignore.match(e, $0) } : modules.count { isWithin($0, e) }
        }
        for contract in contracts {
            var ok = true
            for e in contract.expressions {
                let matched = count(e.text)
                let isExternal = matched == 0 && !e.text.contains(".") && externals.contains(e.text)
                log.append("contract '\(contract.name)': \(e.key) '\(e.text)'\(e.optional ? " (optional)" : "") matches "
                           + (isExternal ? "the external package \(e.text)" : "\(matched) module(s)"))
                guard matched == 0 && !isExternal && !e.optional else { continue }
                ok = false
                let top = String(e.text.split(separator: ".").first ?? "")
                let message: String
                var help: String
                if e.text.contains("."), externals.contains(top), !modules.contains(where: { isWithin($0, top) }) {
                    message = "contract '\(contract.name)': \(e.key) '\(e.text)' is a submodule of the external package '\(top)'"
                    help = "the import graph holds external packages by their top-level name (as import-linter's does): write '\(top)'"
                } else {
                    message = "contract '\(contract.name)': \(e.key) '\(e.text)' matches no module of the graph and no external package it imports"
                    let nearest = NearestName.suggestion(for: e.text, among: modules.sorted() + externals.sorted())
                    help = nearest.map { "did you mean '\($0)'?" } ?? "check the spelling and [python] roots (-v lists the modules found)"
                    if e.key == "layers" { help += "; a layer that may be missing is written in parentheses: \"(name)\"" }
                }
                problems.append(Diagnostic(id: contract.problemID, severity: .error, message: message,
                                           file: e.file, start: e.position, end: e.end,
                                           help: help))
            }
            if ok { valid.append(contract) } else { log.append("contract '\(contract.name)': not checked (an expression matches nothing)") }
        }
        return (valid, problems)
    }

    /// `exhaustive = true` on a layers contract: each child of each container (a module or
    /// package directly inside it) must be one of the layers or of `exhaustive_ignores`; each
    /// other child is an LC302 violation at its first file (import-linter's exhaustive layers).
    static func undeclaredLayers(_ contracts: [ImportContract], files: [PythonModule], scope: ReportScope) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for contract in contracts where contract.kind == .layers && contract.exhaustive {
            let declared = Set(contract.layers.flatMap { $0.tails.map(\.name) } + contract.exhaustiveIgnores)
            for container in contract.containers {
                var children: [String: String] = [:]   // child tail -> its first file
                for f in files.sorted(by: { $0.file < $1.file }) where isWithin(f.name, container) && f.name != container {
                    let rest = f.name.dropFirst(container.count + 1)
                    let tail = String(rest.prefix { $0 != "." })
                    // The child's own file (`__init__.py` or `tail.py`) if it has one, else the
                    // first file inside it.
                    if f.name == container + "." + tail { children[tail] = f.file }
                    else if children[tail] == nil { children[tail] = f.file }
                }
                for (tail, file) in children.sorted(by: { $0.key < $1.key }) where !declared.contains(tail) && scope.contains(file) {
                    var d = Diagnostic(id: "LC302", severity: CheckRegistry.severity(of: "LC302"),
                                       message: "\(container).\(tail) is not a layer of contract '\(contract.name)', which is exhaustive: every child of \(container) must be a layer",
                                       file: file, start: SourcePosition(line: 1, column: 1), end: SourcePosition(line: 1, column: 1),
                                       help: "add '\(tail)' to the contract's layers (in parentheses if it is not in every container), or to exhaustive_ignores")
                    d.subject = "exhaustive|\(contract.name)|\(container).\(tail)"
                    out.append(d)
                }
            }
        }
        return out
    }

    /// Phase 6: the violations, and an error for each ignore that matched nothing.
    static func report(_ contracts: [ImportContract], _ checked: [(diagnostics: [Diagnostic], unusedIgnores: [ImportContract.Ignore])],
                       graph: ImportGraph, log: inout [String]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for (contract, (found, unused)) in zip(contracts, checked) {
            diagnostics += found
            log.append("contract '\(contract.name)' (\(contract.kind.rawValue), from \(contract.origin)): \(found.count) violation(s)")
            for ignore in unused where contract.unmatchedIgnores != .none {
                // `unmatched_ignore_imports_alerting = "warn"` makes it a warning (which does
                // not make the configuration invalid); "none" drops it.
                diagnostics.append(Diagnostic(id: contract.problemID,
                                              severity: contract.unmatchedIgnores == .warn ? .warning : .error,
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
