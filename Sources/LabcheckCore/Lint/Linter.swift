import Dispatch
import LabcheckTOML

/// Read access to one consistent snapshot of a repository (index, commit tree or work tree).
/// Implemented by the git adapter; tests implement it in memory.
public protocol SnapshotReader {
    /// What was read, for messages: `staged`, `rev:HEAD`, `worktree`.
    var label: String { get }
    /// Every regular file in the snapshot, repository-relative, sorted.
    var paths: [String] { get }
    /// The bytes of a file in the snapshot.
    func read(_ path: String) throws -> [UInt8]
    /// A content hash of a file (a git blob id), for caches; nil when the reader has none.
    func contentID(_ path: String) -> String?
    /// Calls `body(k, bytes)` for each of `paths`, possibly concurrently from several threads,
    /// so that reading and processing overlap. `bytes` is valid only during the call (readers
    /// reuse one buffer per thread). Returns what the reading observed.
    func readEach(_ paths: [String], _ body: @Sendable (Int, UnsafeBufferPointer<UInt8>) -> Void) throws -> ReadObservation
}

/// What one `readEach` observed, returned as a value (the reader keeps no state of it).
public struct ReadObservation: Sendable {
    /// How the bytes were obtained, for `-v`; nil when there is nothing to say.
    public var summary: String?
    /// Paths whose bytes no longer had their `contentID` (a work-tree file edited during the
    /// run): results for them must not be cached under that id.
    public var changed: Set<String>

    public init(summary: String? = nil, changed: Set<String> = []) {
        self.summary = summary
        self.changed = changed
    }
}

extension SnapshotReader {
    public func contentID(_ path: String) -> String? { nil }
    public func readEach(_ paths: [String], _ body: @Sendable (Int, UnsafeBufferPointer<UInt8>) -> Void) throws -> ReadObservation {
        for (k, path) in paths.enumerated() { try read(path).withUnsafeBufferPointer { body(k, $0) } }
        return ReadObservation()
    }
}

/// A snapshot held in memory (for examples and tests).
public struct InMemorySnapshot: SnapshotReader {
    public let label: String
    public let files: [String: [UInt8]]

    public init(label: String = "memory", files: [String: String]) {
        self.label = label
        self.files = files.mapValues { Array($0.utf8) }
    }

    /// Files given as raw bytes (any bytes: invalid UTF-8 included).
    public init(label: String = "memory", bytes: [String: [UInt8]]) {
        self.label = label
        self.files = bytes
    }

    public var paths: [String] { files.keys.sorted() }

    public func read(_ path: String) throws -> [UInt8] {
        guard let bytes = files[path] else { throw MissingFile(path: path) }
        return bytes
    }

    struct MissingFile: Error { let path: String }
}

/// Which files findings are reported for: the touched ones, or all (`--all`). The one place
/// that decides "is this path in the report scope".
public struct ReportScope: Sendable {
    /// Paths added or modified relative to the diff base; nil means every path.
    public let touched: Set<String>?

    public init(touched: Set<String>?) { self.touched = touched }

    /// Every path is in scope.
    public static let all = ReportScope(touched: nil)

    /// Whether findings in `path` are reported.
    public func contains(_ path: String) -> Bool { touched?.contains(path) ?? true }
}

/// Strict mode, resolved once per run from the command line and `.labcheck.toml`; a file can
/// still turn it on for itself (a lab file's `[__meta__] strict = true`, a config file's
/// top-level `strict = true`). Lab and config files ask the same value.
public struct StrictMode: Sendable {
    /// Whether it is on for the whole run, and which source turned it on.
    public let run: (on: Bool, why: String)

    public init(flag: Bool, config: LabcheckConfig) {
        if flag { run = (true, "--strict on the command line") }
        else if config.strict == true { run = (true, "strict = true in .labcheck.toml") }
        else { run = (false, "no --strict, no strict = true in .labcheck.toml or the file") }
    }

    /// Whether it is on for one file that may declare it (`declaration` says where), and why.
    public func forFile(declares: Bool, declaration: String) -> (on: Bool, why: String) {
        if run.on { return run }
        return declares ? (true, declaration) : run
    }
}

/// The repository's configuration as one snapshot holds it: `.labcheck.toml`, the rules in
/// force (bundled plus the repository's own), the stage conventions, and every problem found
/// loading them (LC001, LC002).
public struct RepositoryConfiguration: Sendable {
    public let config: LabcheckConfig
    public let rules: RuleSet
    /// The stage conventions of the rules; nil when none were loaded (then `problems` says so).
    public let conventions: StageConventions?
    public let problems: [Diagnostic]
    /// import-linter's configuration, when `.labcheck.toml` lets it be read and it is found.
    public var importLinter: ImportLinterConfig? = nil
    /// What loading decided, for `-v`.
    public let log: [String]

    /// True when the configuration itself is broken (an LC001 or LC002 error): exit code 2.
    public var isInvalid: Bool { problems.contains { $0.severity == .error && ($0.id == "LC001" || $0.id == "LC002") } }

    /// Loads `.labcheck.toml` and the repository's rules directories from the snapshot.
    public static func load(_ snapshot: any SnapshotReader, bundled: RuleSet) throws -> RepositoryConfiguration {
        var problems: [Diagnostic] = []
        var log: [String] = []
        let paths = snapshot.paths
        var config = LabcheckConfig()
        if paths.contains(LabcheckConfig.fileName) {
            let (loaded, found) = LabcheckConfig.load(bytes: try snapshot.read(LabcheckConfig.fileName))
            config = loaded
            problems += found
        }
        log.append("config: \(config.origin)")
        var rules = bundled
        for directory in config.rules {
            let prefix = directory.hasSuffix("/") ? directory : directory + "/"
            let files = paths.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".toml") }
            if files.isEmpty {
                problems.append(Diagnostic(id: "LC001", severity: .error,
                                           message: "rules directory '\(directory)' named in .labcheck.toml has no .toml files in the \(snapshot.label) snapshot",
                                           file: LabcheckConfig.fileName, start: SourcePosition(line: 1, column: 1), end: SourcePosition(line: 1, column: 1),
                                           help: "rules files go in \(prefix)templates/, apps/, schemas/, contracts/, conventions/ or snippets/"))
                continue
            }
            for path in files {
                rules.load(path: path, bytes: try snapshot.read(path), origin: RuleOrigin(kind: "repository", directory: directory))
            }
            log.append("rules: \(files.count) file(s) from repository directory \(directory) (read from the \(snapshot.label) snapshot)")
        }
        for file in rules.files { if let by = file.replacedBy { log.append("rules: \(file.category) '\(file.id)' from \(file.path) is replaced by \(by)") } }
        problems += rules.diagnostics
        if let conventions = rules.conventions {
            log.append("stage conventions: '\(conventions.id)'")
        } else {
            problems.append(Diagnostic(id: "LC002", severity: .error, message: "no stage conventions are loaded: the rules have no conventions/*.toml file",
                                       file: "rules", start: SourcePosition(line: 1, column: 1), end: SourcePosition(line: 1, column: 1),
                                       help: "labcheck's bundled rules have rules/conventions/agilab.toml; check LABCHECK_RULES or the installation"))
        }
        let importLinter = try ImportLinterConfig.load(setting: config.importLinter, paths: paths, read: snapshot.read)
        if let importLinter {
            problems += importLinter.problems
            log += importLinter.log
        } else {
            log.append(config.importLinter == nil ? "import-linter: not read (import_linter = false)" : "import-linter: no configuration found (\(ImportLinterConfig.searchOrder.joined(separator: ", ")))")
        }
        var configuration = RepositoryConfiguration(config: config, rules: rules, conventions: rules.conventions, problems: problems, log: log)
        configuration.importLinter = importLinter
        return configuration
    }

    /// Whether `path` is a lab stage file.
    public func isStageFile(_ path: String) -> Bool { config.isStageFile(path) }

    /// Whether the configuration is read from `path`: `.labcheck.toml`, any `setup.cfg`,
    /// `.importlinter` or `pyproject.toml` (import-linter's places), import-linter's file at its
    /// configured path, or a file under a repository rules directory. Compared as bytes: a
    /// monorepo asks this of 20,000 paths.
    public func isConfigurationFile(_ path: String) -> Bool {
        let p = path.utf8
        for name in Self.configurationFileNames where p.count >= name.count && p.suffix(name.count).elementsEqual(name) {
            if p.count == name.count || p[p.index(p.endIndex, offsetBy: -name.count - 1)] == UInt8(ascii: "/") { return true }
        }
        if path == importLinter?.path { return true }
        return config.rules.contains { path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    private static let configurationFileNames = [LabcheckConfig.fileName, "setup.cfg", ".importlinter", "pyproject.toml"].map { Array($0.utf8) }
}

/// What to check.
public struct LintRequest {
    public var snapshot: any SnapshotReader
    /// The diff base, for diff-aware checks; nil when there is none yet.
    public var base: (any SnapshotReader)?
    /// Reads the diff base when `base` is nil and a lab file needs it (a large tree is not read
    /// for a run that has no lab file to compare).
    public var baseLoader: (() throws -> any SnapshotReader)?
    /// Which files findings are reported for.
    public var scope: ReportScope
    /// `.labcheck.toml`, the rules and the conventions, loaded from the snapshot.
    public var configuration: RepositoryConfiguration
    /// `--strict` on the command line.
    public var strictFlag: Bool
    /// Import scan results from earlier runs, by content id.
    public var importCache: ImportScanCache
    /// Lab-file findings of earlier runs, by content (nil: every lab file is checked).
    public var memo: (any LintMemo)?
    /// Import-phase outcomes of earlier runs (used by whole-snapshot runs; nil: none).
    public var importMemo: (any ImportMemo)?
    /// Gives the scan cache when the import phase needs it (then `importCache` is ignored); a
    /// run whose import phase is reused never loads it.
    public var importCacheLoader: (() -> ImportScanCache)?
    /// Whether the log should include per-module detail (`-v`).
    public var verbose = true

    public init(snapshot: any SnapshotReader, base: (any SnapshotReader)? = nil, scope: ReportScope,
                configuration: RepositoryConfiguration, strictFlag: Bool, importCache: ImportScanCache = ImportScanCache()) {
        self.snapshot = snapshot
        self.base = base
        self.scope = scope
        self.configuration = configuration
        self.strictFlag = strictFlag
        self.importCache = importCache
    }
}

/// The outcome of a run.
public struct LintResult {
    /// Findings, sorted by file and position.
    public var diagnostics: [Diagnostic]
    /// Files that were checked (lab files and registered config files).
    public var filesChecked: Int
    /// True when the configuration itself is broken (LC001/LC002): exit code 2.
    public var configurationInvalid: Bool
    /// What the run decided and why, for `-v`.
    public var log: [String]
    /// The parsed lab files that were checked.
    public var labFiles: [LabFile]
    /// The import scan cache after this run (write it back when `changed`).
    public var importCache: ImportScanCache
    /// Findings hidden by a `# labcheck: ignore[...] <reason>` comment.
    public var suppressed: [SuppressedFinding] = []
    /// Files checked by kind: lab files, Python files in scope (when contracts are configured),
    /// registered config files.
    public var files: (lab: Int, python: Int, config: Int) = (0, 0, 0)
    /// Python files in scope that are not modules of the graph (outside every root, excluded
    /// by `[python] exclude`, or a module name another file has).
    public var pythonNotChecked = 0
    /// The import graph and the contracts, when contracts are configured (`labcheck graph`).
    public var importGraph: ImportGraph? = nil
    public var contracts: [ImportContract] = []
    /// The import phase's key in the import memo, when it stored (or found) one there: where
    /// its graph is kept for a later incremental run (`RunRecord.importKey`).
    public var importKey: String? = nil
}

/// Runs the checks over a snapshot: select the files in scope, check lab files, check
/// registered config files, check import contracts.
public enum Linter {
    /// Lints the lab files and registered config files of a snapshot that the request selects.
    public static func run(_ request: LintRequest) throws -> LintResult {
        let configuration = request.configuration
        var log: [String] = []   // the configuration's own log is the caller's to show (Workspace shows it)
        var diagnostics = configuration.problems
        guard let conventions = configuration.conventions else {
            return LintResult(diagnostics: diagnostics.sorted(by: Diagnostic.sortKey), filesChecked: 0, configurationInvalid: true,
                              log: log, labFiles: [], importCache: request.importCache)
        }
        let strict = StrictMode(flag: request.strictFlag, config: configuration.config)
        log.append("strict mode: \(strict.run.on ? "on" : "off") (\(strict.run.why))")
        let selection = select(request, log: &log)
        let (labFiles, labDiagnostics) = try checkLabFiles(selection.labs, request, conventions: conventions, strict: strict, log: &log)
        diagnostics += labDiagnostics
        diagnostics += try checkConfigFiles(selection.configs, request, strict: strict, log: &log)
        var importCache = request.importCache
        let pythonScope: ReportScope = configurationTouched(request) ? .all : request.scope
        let (contracts, contractProblems) = ImportBoundaries.contracts(config: configuration.config, rules: configuration.rules, importLinter: configuration.importLinter)
        let (importFindings, pythonSuppressions, pythonModules, importGraph, moduleCount, importKey) = try checkImports(request, contracts: contracts, problems: contractProblems, labFiles: labFiles,
                                                                     allLabPaths: selection.allLabs, conventions: conventions, cache: &importCache, log: &log)
        diagnostics += importFindings
        let (kept, suppressed) = try applySuppressions(diagnostics, request, selection: selection, labFiles: labFiles,
                                                       python: pythonSuppressions.filter { pythonScope.contains($0.file) }, strict: strict, log: &log)
        let configurationInvalid = kept.contains { ($0.id == "LC001" || $0.id == "LC002") && $0.severity == .error }
        var result = LintResult(diagnostics: kept.sorted(by: Diagnostic.sortKey), filesChecked: selection.labs.count + selection.configs.count,
                                configurationInvalid: configurationInvalid, log: log, labFiles: labFiles, importCache: importCache)
        result.suppressed = suppressed
        // Python files in scope: those checked as modules of the graph, and the others (outside
        // every root, excluded, or a module name another file has), which the summary counts.
        let inScope = contracts.isEmpty ? [] : request.snapshot.paths.filter { $0.hasSuffix(".py") && pythonScope.contains($0) }
        let python = moduleCount ?? inScope.count { pythonModules.contains($0) }
        result.files = (selection.labs.count, python, selection.configs.count)
        result.pythonNotChecked = inScope.count - python
        result.importGraph = importGraph
        result.importKey = importKey
        result.contracts = contracts
        return result
    }

    /// Whether the change touches the configuration: `.labcheck.toml`, import-linter's file, or
    /// a repository rules file. Then every file is in scope, lab and Python alike: an edited
    /// contract can break through files nobody touched.
    static func configurationTouched(_ request: LintRequest) -> Bool {
        guard let touched = request.scope.touched else { return false }
        let config = request.configuration.config
        return touched.contains(LabcheckConfig.fileName) || request.configuration.importLinter.map { touched.contains($0.path) } == true
            || touched.contains { path in config.rules.contains { path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") } }
    }

    /// The lab and config files in scope. A change to `.labcheck.toml` or a repository rules
    /// file puts every one in scope (a registry bump makes stages stale without touching them).
    static func select(_ request: LintRequest, log: inout [String]) -> (labs: [String], configs: [String], allLabs: [String]) {
        let config = request.configuration.config
        let paths = request.snapshot.paths
        log.append("lab files: \(config.stageFiles.map(\.pattern).joined(separator: ", "))")
        let labPaths = paths.filter(config.isStageFile)
        let configPaths = paths.filter { p in config.registeredConfigs.contains { $0.matches(p) } && !config.isStageFile(p) }
        guard let touched = request.scope.touched else {
            log.append("lab files: every one of the snapshot is checked (\(labPaths.count))")
            return (labPaths, configPaths, labPaths)
        }
        if configurationTouched(request) {
            log.append("scope: .labcheck.toml or a repository rules file changed, so every lab and config file is checked")
            return (labPaths, configPaths, labPaths)
        }
        let labs = labPaths.filter(touched.contains)
        log.append("scope: \(touched.count) touched file(s) against the diff base; \(labs.count) of \(labPaths.count) lab file(s) touched")
        return (labs, configPaths.filter(touched.contains), labPaths)
    }

    /// Parses and checks each selected lab file (with its diff-base version for diff-aware checks).
    static func checkLabFiles(_ paths: [String], _ request: LintRequest, conventions: StageConventions, strict: StrictMode,
                              log: inout [String]) throws -> ([LabFile], [Diagnostic]) {
        var labFiles: [LabFile] = []
        var diagnostics: [Diagnostic] = []
        var baseSnapshot = request.base
        if baseSnapshot == nil, !paths.isEmpty, let load = request.baseLoader {
            let loaded = try load()
            log.append("diff base: \(loaded.label)")
            baseSnapshot = loaded
        }
        let rules = request.configuration.rules
        let basePaths = Set(baseSnapshot?.paths ?? [])
        var reused = 0
        defer { if reused > 0 { log.append("lab files: \(reused) of \(paths.count) unchanged since an earlier run, their findings reused") } }
        for path in paths {
            switch LabFileReader.read(path: path, bytes: try request.snapshot.read(path), conventions: conventions) {
            case .failure(let error):
                diagnostics.append(error.diagnostic)
            case .success(let file):
                labFiles.append(file)
                let (on, why) = strictness(of: file, strict, conventions: conventions)
                if on && !strict.run.on { log.append("strict mode: on for \(path) (\(why))") }
                let blob = request.snapshot.contentID(path)
                let baseBlob = baseSnapshot.flatMap { basePaths.contains(path) ? $0.contentID(path) : nil }
                if let memo = request.memo, let blob, let known = memo.labFindings(path: path, blob: blob, baseBlob: baseBlob) {
                    diagnostics += known
                    reused += 1
                    continue
                }
                var base: LabFile? = nil
                if let blob, blob == baseBlob {
                    // The same bytes at the diff base: the same model, not parsed twice.
                    base = file
                } else if let baseSnapshot, basePaths.contains(path),
                   case .success(let old) = LabFileReader.read(path: path, bytes: try baseSnapshot.read(path), conventions: conventions) {
                    base = old
                }
                let found = checkLabFile(file, base: base, rules: rules, conventions: conventions, strict: on)
                if let memo = request.memo, let blob { memo.storeLabFindings(found, path: path, blob: blob, baseBlob: baseBlob) }
                diagnostics += found
            }
        }
        return (labFiles, diagnostics)
    }

    /// The findings of every lab-file check in one parsed lab file (`base`: its version at the
    /// diff base, when that parses), each named by the stage it is in.
    /// `concurrently`: whether the checks run side by side (by default, from
    /// `parallelChecksFrom` bytes); tests compare both ways.
    public static func checkLabFile(_ file: LabFile, base: LabFile?, rules: RuleSet, conventions: StageConventions, strict: Bool,
                                    concurrently: Bool? = nil) -> [Diagnostic] {
        let context = CheckContext(rules: rules, strict: strict, conventions: conventions, base: base)
        let checks = CheckRegistry.labFileChecks
        var found: [Diagnostic] = []
        if !(concurrently ?? (file.source.bytes.count >= parallelChecksFrom)) {
            for check in checks { found += check.check(file, context: context) }
        } else {
            // A large file's checks run side by side, one check per task, and their findings
            // join in registry order: the same list as one after the other. Everything they
            // share is immutable once parsed, and the source's lazy line index takes a lock.
            // The checks that read every stage in depth start first (tasks are taken in order),
            // so the short ones fill in beside them instead of delaying one of them.
            var each = [[Diagnostic]](repeating: [], count: checks.count)
            let order = checks.indices.filter { type(of: checks[$0]).readsEveryStageInDepth }
                + checks.indices.filter { !type(of: checks[$0]).readsEveryStageInDepth }
            each.withUnsafeMutableBufferPointer { out in
                // Each iteration writes only its own element `order[t]`, a permutation.
                nonisolated(unsafe) let out = out
                DispatchQueue.concurrentPerform(iterations: order.count) { t in out[order[t]] = checks[order[t]].check(file, context: context) }
            }
            found = each.flatMap { $0 }
        }
        let unnamed = found.indices.filter { found[$0].subject == nil && found[$0].file == file.path }
        for (k, subject) in zip(unnamed, file.subjects(at: unnamed.map { found[$0].start })) { found[k].subject = subject }
        return found
    }

    /// The size (bytes) from which a lab file's checks run concurrently: below it, handing
    /// them to threads costs more than it saves.
    static let parallelChecksFrom = 256 * 1024

    /// Whether a lab file sets strict mode for itself (`[__meta__] strict = true`), and strict
    /// mode for it with the reason.
    static func strictness(of file: LabFile, _ strict: StrictMode, conventions: StageConventions) -> (on: Bool, why: String) {
        let declares = file.meta?.value.table?[conventions.strictKey]?.bool == true
        return strict.forFile(declares: declares, declaration: "[\(conventions.metaKey)] \(conventions.strictKey) = true in \(file.path)")
    }

    /// Checks each selected registered config file against its schema.
    static func checkConfigFiles(_ paths: [String], _ request: LintRequest, strict: StrictMode, log: inout [String]) throws -> [Diagnostic] {
        let config = request.configuration.config, rules = request.configuration.rules
        var diagnostics: [Diagnostic] = []
        for path in paths {
            guard let registration = config.registeredConfigs.first(where: { $0.matches(path) }) else { continue }
            guard let schema = rules.schemas[registration.schema] else {
                diagnostics.append(Diagnostic(id: "LC001", severity: .error,
                                              message: "[[configs]] names schema '\(registration.schema)', which no loaded rules file defines",
                                              file: LabcheckConfig.fileName, start: registration.position, end: registration.position,
                                              help: NearestName.suggestion(for: registration.schema, among: Array(rules.schemas.keys)).map { "did you mean '\($0)'?" }))
                continue
            }
            diagnostics += ConfigFileCheck.check(path: path, bytes: try request.snapshot.read(path), schema: schema, strict: strict, log: &log)
        }
        return diagnostics
    }

    /// Reads the suppressions of every file in scope (lab files, registered config files, and
    /// Python files when contracts are configured) and applies them: suppressed findings are
    /// set aside with their reasons, unused or reason-less suppressions are LC003.
    static func applySuppressions(_ diagnostics: [Diagnostic], _ request: LintRequest, selection: (labs: [String], configs: [String], allLabs: [String]),
                                  labFiles: [LabFile], python: [Suppression], strict: StrictMode,
                                  log: inout [String]) throws -> ([Diagnostic], [SuppressedFinding]) {
        var suppressions: [Suppression] = python
        var sources: [String: SourceText] = [:]
        for file in labFiles {
            suppressions += SuppressionCheck.scan(file.source.bytes, file: file.path)
            sources[file.path] = file.source
        }
        // Registered config files are few: read here. Python files' suppressions come from the
        // import phase (found while scanning, or from the scan cache by blob id).
        for path in selection.configs {
            let bytes = try request.snapshot.read(path)
            let found = SuppressionCheck.scan(bytes, file: path)
            if !found.isEmpty { suppressions += found; sources[path] = SourceText(bytes) }
        }
        // Source lines for LC003 reports in Python files.
        for path in Set(python.map(\.file)) where sources[path] == nil { sources[path] = SourceText(try request.snapshot.read(path)) }
        let (kept, suppressed, problems) = SuppressionCheck.apply(diagnostics, suppressions, strict: strict.run.on, sourceLines: sources)
        for s in suppressed { log.append("suppressed: \(s.diagnostic.file):\(s.diagnostic.start): \(s.diagnostic.id) (\(s.reason))") }
        return (kept + problems, suppressed)
    }

    /// Checks the import contracts over the whole snapshot, stage code of every lab file included.
    static func checkImports(_ request: LintRequest, contracts: [ImportContract], problems: [Diagnostic], labFiles: [LabFile], allLabPaths: [String],
                             conventions: StageConventions, cache: inout ImportScanCache, log: inout [String]) throws
        -> ([Diagnostic], [Suppression], Set<String>, ImportGraph?, Int?, String?) {
        let configuration = request.configuration
        guard !contracts.isEmpty else {
            log.append("imports: no import contracts configured; Python files are not scanned")
            return (problems, [], [], nil, nil, nil)
        }
        var allLabs = labFiles
        let checked = Set(labFiles.map(\.path))
        for path in allLabPaths where !checked.contains(path) {
            if case .success(let file) = LabFileReader.read(path: path, bytes: try request.snapshot.read(path), conventions: conventions) {
                allLabs.append(file)
            }
        }
        let scope: ReportScope = configurationTouched(request) ? .all : request.scope
        if scope.touched == nil && request.scope.touched != nil { log.append("imports: the configuration changed, so every Python file is in scope") }
        let input = ImportBoundaries.Input(snapshot: request.snapshot, config: configuration.config, contracts: contracts, labFiles: allLabs,
                                           conventions: conventions, scope: scope, verbose: request.verbose)
        if let memo = request.importMemo, request.scope.touched == nil {
            let loader = request.importCacheLoader ?? { [cache] in cache }
            let (found, suppressions, count, used, key) = try ImportBoundaries.checkMemoized(input, memo: memo, loadCache: loader, log: &log)
            if let used { cache = used }
            return (problems + found, suppressions, [], nil, count, key)
        }
        if let loader = request.importCacheLoader { cache = loader() }
        let (found, suppressions, modules, state) = try ImportBoundaries.check(input, cache: &cache, log: &log)
        return (problems + found, suppressions, modules, state.graph, nil, nil)
    }
}
