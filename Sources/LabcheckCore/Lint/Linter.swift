/// Read access to one consistent snapshot of a repository (index, commit tree or work tree).
/// Implemented by the git adapter; tests can implement it in memory.
public protocol SnapshotReader {
    /// What was read, for messages: `staged`, `rev:HEAD`, `worktree`.
    var label: String { get }
    /// Every regular file in the snapshot, repository-relative, sorted.
    var paths: [String] { get }
    /// The bytes of a file in the snapshot.
    func read(_ path: String) throws -> [UInt8]
}

/// What to check.
public struct LintRequest {
    public var snapshot: any SnapshotReader
    /// Paths added or modified relative to the diff base; nil lints every file (`--all`).
    public var touched: Set<String>?
    public var conventions: StageConventions

    public init(snapshot: any SnapshotReader, touched: Set<String>?, conventions: StageConventions = .agilab) {
        self.snapshot = snapshot
        self.touched = touched
        self.conventions = conventions
    }
}

/// The outcome of a run.
public struct LintResult {
    /// Findings, sorted by file and position.
    public var diagnostics: [Diagnostic]
    /// Files that were checked.
    public var filesChecked: Int
    /// True when the configuration itself is broken (LC001/LC002): exit code 2.
    public var configurationInvalid: Bool
    /// What the run decided and why, for `-v`.
    public var log: [String]
}

/// Runs the checks over a snapshot.
public enum Linter {
    /// Lints the lab files of a snapshot that the request selects.
    public static func run(_ request: LintRequest) throws -> LintResult {
        var log: [String] = []
        var diagnostics: [Diagnostic] = []
        let snapshot = request.snapshot
        let paths = snapshot.paths
        var config = LabcheckConfig()
        if paths.contains(LabcheckConfig.fileName) {
            let (loaded, problems) = LabcheckConfig.load(bytes: try snapshot.read(LabcheckConfig.fileName))
            config = loaded
            diagnostics += problems
        }
        log.append("config: \(config.origin)")
        log.append("lab files: \(config.stageFiles.map(\.pattern).joined(separator: ", "))")
        let labFiles = paths.filter(config.isStageFile)
        var selected = labFiles
        if let touched = request.touched {
            let configTouched = touched.contains(LabcheckConfig.fileName)
                || touched.contains { path in config.rules.contains { path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") } }
            if configTouched {
                log.append("scope: .labcheck.toml or a repository rules file changed, so every lab file is checked")
            } else {
                selected = labFiles.filter(touched.contains)
                log.append("scope: \(touched.count) touched file(s) against the diff base; \(selected.count) of \(labFiles.count) lab file(s) touched")
            }
        } else {
            log.append("scope: --all, every lab file in the snapshot (\(labFiles.count))")
        }
        for path in selected {
            let (file, problems) = LabFileReader.read(path: path, bytes: try snapshot.read(path), conventions: request.conventions)
            diagnostics += problems
            if let file {
                for check in LabChecks.all { diagnostics += check.check(file, conventions: request.conventions) }
            }
        }
        diagnostics.sort(by: Diagnostic.sortKey)
        let configurationInvalid = diagnostics.contains { $0.id == "LC001" || $0.id == "LC002" }
        return LintResult(diagnostics: diagnostics, filesChecked: selected.count, configurationInvalid: configurationInvalid, log: log)
    }
}
