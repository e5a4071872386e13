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
    /// reuse one buffer per thread).
    func readEach(_ paths: [String], _ body: @Sendable (Int, UnsafeBufferPointer<UInt8>) -> Void) throws
    /// How the last `readEach` got its bytes, for `-v` (nil when there is nothing to say).
    var readEachReport: String? { get }
    /// Paths whose bytes in the last `readEach` no longer had their `contentID` (a work-tree
    /// file edited during the run): their results must not be cached under that id.
    var changedDuringReadEach: Set<String> { get }
}

extension SnapshotReader {
    public func contentID(_ path: String) -> String? { nil }
    public var readEachReport: String? { nil }
    public var changedDuringReadEach: Set<String> { [] }
    public func readEach(_ paths: [String], _ body: @Sendable (Int, UnsafeBufferPointer<UInt8>) -> Void) throws {
        for (k, path) in paths.enumerated() { try read(path).withUnsafeBufferPointer { body(k, $0) } }
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

    public var paths: [String] { files.keys.sorted() }

    public func read(_ path: String) throws -> [UInt8] {
        guard let bytes = files[path] else { throw MissingFile(path: path) }
        return bytes
    }

    struct MissingFile: Error { let path: String }
}

/// What to check.
public struct LintRequest {
    public var snapshot: any SnapshotReader
    /// The diff base, for diff-aware checks; nil when there is none (`--all` without a base).
    public var base: (any SnapshotReader)?
    /// Reads the diff base when `base` is nil and a lab file needs it (a large tree is not read
    /// for a run that has no lab file to compare).
    public var baseLoader: (() throws -> any SnapshotReader)?
    /// Paths added or modified relative to the diff base; nil checks every file (`--all`).
    public var touched: Set<String>?
    /// The bundled rules (repository rules are added from the snapshot).
    public var bundledRules: RuleSet
    /// `--strict` on the command line.
    public var strictFlag: Bool
    public var conventions: StageConventions
    /// Import scan results from earlier runs, by content id.
    public var importCache: ImportScanCache
    /// Whether the log should include per-module detail (`-v`).
    public var verbose = true

    public init(snapshot: any SnapshotReader, base: (any SnapshotReader)? = nil, touched: Set<String>?,
                bundledRules: RuleSet, strictFlag: Bool = false, conventions: StageConventions = .agilab,
                importCache: ImportScanCache = ImportScanCache()) {
        self.importCache = importCache
        self.snapshot = snapshot
        self.base = base
        self.touched = touched
        self.bundledRules = bundledRules
        self.strictFlag = strictFlag
        self.conventions = conventions
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
    /// The rules in force (bundled plus repository rules).
    public var rules: RuleSet
    /// The parsed lab files that were checked.
    public var labFiles: [LabFile]
    public var config: LabcheckConfig
    /// The import scan cache after this run (write it back when `changed`).
    public var importCache: ImportScanCache
}

/// Runs the checks over a snapshot.
public enum Linter {
    /// Loads the configuration and the repository's rules from the snapshot.
    public static func loadConfiguration(_ snapshot: any SnapshotReader, bundled: RuleSet, log: inout [String])
        throws -> (LabcheckConfig, RuleSet, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        let paths = snapshot.paths
        var config = LabcheckConfig()
        if paths.contains(LabcheckConfig.fileName) {
            let (loaded, problems) = LabcheckConfig.load(bytes: try snapshot.read(LabcheckConfig.fileName))
            config = loaded
            diagnostics += problems
        }
        log.append("config: \(config.origin)")
        var rules = bundled
        for directory in config.rules {
            let prefix = directory.hasSuffix("/") ? directory : directory + "/"
            let files = paths.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".toml") }
            if files.isEmpty {
                diagnostics.append(Diagnostic(id: "LC001", severity: .error,
                                              message: "rules directory '\(directory)' named in .labcheck.toml has no .toml files in the \(snapshot.label) snapshot",
                                              file: LabcheckConfig.fileName, start: SourcePosition(line: 1, column: 1), end: SourcePosition(line: 1, column: 1),
                                              help: "rules files go in \(prefix)templates/, apps/, schemas/ or contracts/"))
                continue
            }
            for path in files {
                rules.load(path: path, bytes: try snapshot.read(path), origin: RuleOrigin(kind: "repository", directory: directory))
            }
            log.append("rules: \(files.count) file(s) from repository directory \(directory) (read from the \(snapshot.label) snapshot)")
        }
        for file in rules.files where file.replacedBy != nil {
            log.append("rules: \(file.category) '\(file.id)' from \(file.path) is replaced by \(file.replacedBy!)")
        }
        diagnostics += rules.diagnostics
        return (config, rules, diagnostics)
    }

    /// Whether strict mode is on for a file, and which source turned it on.
    public static func strictMode(flag: Bool, config: LabcheckConfig, fileMeta: TOMLTable?, metaStrictKey: String, path: String) -> (Bool, String) {
        if flag { return (true, "--strict on the command line") }
        if config.strict == true { return (true, "strict = true in .labcheck.toml") }
        if fileMeta?[metaStrictKey]?.bool == true { return (true, "[__meta__] strict = true in \(path)") }
        return (false, "off (no --strict, no strict = true in .labcheck.toml or the file)")
    }

    /// Lints the lab files and registered config files of a snapshot that the request selects.
    public static func run(_ request: LintRequest) throws -> LintResult {
        var log: [String] = []
        let snapshot = request.snapshot
        let paths = snapshot.paths
        var (config, rules, diagnostics) = try loadConfiguration(snapshot, bundled: request.bundledRules, log: &log)
        let (strictNow, strictWhy) = strictMode(flag: request.strictFlag, config: config, fileMeta: nil, metaStrictKey: "", path: "")
        log.append("strict mode: \(strictNow ? "on" : "off") (\(strictWhy))")
        log.append("lab files: \(config.stageFiles.map(\.pattern).joined(separator: ", "))")
        let labPaths = paths.filter(config.isStageFile)
        let configPaths = paths.filter { p in config.registeredConfigs.contains { $0.matches(p) } && !config.isStageFile(p) }
        var selectedLabs = labPaths
        var selectedConfigs = configPaths
        if let touched = request.touched {
            let rulesTouched = touched.contains(LabcheckConfig.fileName)
                || touched.contains { path in config.rules.contains { path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") } }
            if rulesTouched {
                log.append("scope: .labcheck.toml or a repository rules file changed, so every lab and config file is checked")
            } else {
                selectedLabs = labPaths.filter(touched.contains)
                selectedConfigs = configPaths.filter(touched.contains)
                log.append("scope: \(touched.count) touched file(s) against the diff base; \(selectedLabs.count) of \(labPaths.count) lab file(s) touched")
            }
        } else {
            log.append("scope: --all, every lab file in the snapshot (\(labPaths.count))")
        }
        var labFiles: [LabFile] = []
        var baseSnapshot = request.base
        if baseSnapshot == nil, !selectedLabs.isEmpty, let load = request.baseLoader {
            let loaded = try load()
            log.append("diff base: \(loaded.label)")
            baseSnapshot = loaded
        }
        for path in selectedLabs {
            switch LabFileReader.read(path: path, bytes: try snapshot.read(path), conventions: request.conventions) {
            case .failure(let error):
                diagnostics.append(error.diagnostic)
            case .success(let file):
                labFiles.append(file)
                let (strict, why) = strictMode(flag: request.strictFlag, config: config, fileMeta: file.meta?.value.table,
                                               metaStrictKey: request.conventions.strictKey, path: path)
                if strict && !strictNow { log.append("strict mode: on for \(path) (\(why))") }
                var base: LabFile? = nil
                if let baseSnapshot, baseSnapshot.paths.contains(path),
                   case .success(let old) = LabFileReader.read(path: path, bytes: try baseSnapshot.read(path), conventions: request.conventions) {
                    base = old
                }
                let context = CheckContext(rules: rules, strict: strict, conventions: request.conventions, base: base)
                for check in LabChecks.all { diagnostics += check.check(file, context: context) }
            }
        }
        for path in selectedConfigs {
            guard let registration = config.registeredConfigs.first(where: { $0.matches(path) }) else { continue }
            guard let schema = rules.schemas[registration.schema] else {
                diagnostics.append(Diagnostic(id: "LC001", severity: .error,
                                              message: "[[configs]] names schema '\(registration.schema)', which no loaded rules file defines",
                                              file: LabcheckConfig.fileName, start: registration.position, end: registration.position,
                                              help: NearestName.suggestion(for: registration.schema, among: Array(rules.schemas.keys)).map { "did you mean '\($0)'?" }))
                continue
            }
            diagnostics += ConfigFileCheck.check(path: path, bytes: try snapshot.read(path), schema: schema, strictFlag: request.strictFlag, config: config, log: &log)
        }
        var importCache = request.importCache
        let (contracts, contractProblems) = ImportBoundaries.contracts(config: config, rules: rules)
        diagnostics += contractProblems
        if contracts.isEmpty {
            log.append("imports: no import contracts configured; Python files are not scanned")
        } else {
            // The graph covers the whole snapshot, including stage code of every lab file.
            var allLabs = labFiles
            let checked = Set(labFiles.map(\.path))
            for path in labPaths where !checked.contains(path) {
                if case .success(let file) = LabFileReader.read(path: path, bytes: try snapshot.read(path), conventions: request.conventions) {
                    allLabs.append(file)
                }
            }
            diagnostics += try ImportBoundaries.check(snapshot: snapshot, config: config, contracts: contracts, labFiles: allLabs,
                                                      touched: request.touched, cache: &importCache, log: &log, verbose: request.verbose)
        }
        diagnostics.sort(by: Diagnostic.sortKey)
        let configurationInvalid = diagnostics.contains { $0.id == "LC001" || $0.id == "LC002" }
        return LintResult(diagnostics: diagnostics, filesChecked: selectedLabs.count + selectedConfigs.count,
                          configurationInvalid: configurationInvalid, log: log, rules: rules, labFiles: labFiles, config: config,
                          importCache: importCache)
    }
}
