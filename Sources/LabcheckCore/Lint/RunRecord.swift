/// Everything a run of every check over a whole snapshot found, as the result cache keeps it
/// (keyed by the snapshot's tree id and the diff base's, see `ResultStore`) and as the staged
/// report scope needs it: the report of a touched-files run is this record filtered by
/// `ReportSelection`, so it always equals a full `--all` run's findings filtered to its scope.
public struct RunRecord: Codable, Sendable {
    /// Every finding of the snapshot, sorted.
    public var diagnostics: [Diagnostic]
    /// Findings hidden by a suppression comment, with their reasons.
    public var suppressed: [SuppressedFinding]
    /// Files whose content differs from the diff base (nil for a run without a base).
    public var touched: [String]?
    /// Lab and registered config files checked.
    public var filesChecked: Int
    public var labFiles: Int
    public var pythonFiles: Int
    public var configFiles: Int
    public var pythonNotChecked: Int
    /// LC001/LC002 errors: the configuration itself is broken (exit 2).
    public var configurationInvalid: Bool

    public init(_ result: LintResult, touched: Set<String>?) {
        diagnostics = result.diagnostics
        suppressed = result.suppressed
        self.touched = touched.map { $0.sorted() }
        filesChecked = result.filesChecked
        (labFiles, pythonFiles, configFiles) = result.files
        pythonNotChecked = result.pythonNotChecked
        configurationInvalid = result.configurationInvalid
    }

    /// The same run seen without a diff base: the findings of checks that compare with the base
    /// (`Check.comparesWithBase`) dropped, which is what a run without a base finds (those
    /// checks find nothing then). Lets one run serve as the next commit's base.
    public func withoutBase() -> RunRecord {
        var copy = self
        let baseChecks = CheckRegistry.baseComparingIDs
        copy.diagnostics.removeAll { baseChecks.contains($0.id) }
        copy.suppressed.removeAll { baseChecks.contains($0.diagnostic.id) }
        copy.touched = nil
        return copy
    }
}

/// The staged report scope (DESIGN §1, README "What a commit is checked for"): every finding in
/// a touched file, every configuration error (LC001/LC002), and every finding anywhere that is
/// absent at the diff base (matched as a multiset of fingerprints, as the ratchet matches), so a
/// change that breaks a contract through files nobody touched still fails the commit.
public enum ReportSelection {
    public struct Outcome {
        public var diagnostics: [Diagnostic]
        public var suppressed: [SuppressedFinding]
        /// Findings outside the touched files that were also at the base (not reported).
        public var alsoAtBase: Int
        /// Findings outside the touched files that are new since the base (reported).
        public var newElsewhere: Int
        /// Whether the base's findings were needed (some finding lies outside the touched files).
        public var neededBase: Bool
    }

    /// Selects from `full` (the snapshot's findings with every file checked). `baseFindings` is
    /// called only when some finding lies outside `touched` and is not a configuration error.
    public static func select(_ full: RunRecord, touched: Set<String>, baseFindings: () throws -> [Diagnostic]) rethrows -> Outcome {
        var reported: [Diagnostic] = []
        var outside: [Diagnostic] = []
        for d in full.diagnostics {
            if touched.contains(d.file) || isConfigurationError(d) { reported.append(d) } else { outside.append(d) }
        }
        let suppressed = full.suppressed.filter { touched.contains($0.diagnostic.file) }
        guard !outside.isEmpty else {
            return Outcome(diagnostics: reported, suppressed: suppressed, alsoAtBase: 0, newElsewhere: 0, neededBase: false)
        }
        let fresh = subtract(outside, base: try baseFindings())
        reported += fresh
        reported.sort(by: Diagnostic.sortKey)
        return Outcome(diagnostics: reported, suppressed: suppressed, alsoAtBase: outside.count - fresh.count,
                       newElsewhere: fresh.count, neededBase: true)
    }

    /// LC001/LC002: a broken configuration is always reported (it means checks did not run).
    public static func isConfigurationError(_ d: Diagnostic) -> Bool { d.id == "LC001" || d.id == "LC002" }

    /// `findings` minus `base` as multisets of fingerprints: a finding that moved is not new,
    /// two of a kind where there was one is. `renames` maps a base path to its path now.
    /// Configuration errors are never subtracted.
    public static func subtract(_ findings: [Diagnostic], base: [Diagnostic], renames: [String: String] = [:]) -> [Diagnostic] {
        var counts: [String: Int] = [:]
        for d in base { counts[DiagnosticFingerprint.of(d, file: renames[d.file] ?? d.file), default: 0] += 1 }
        var out: [Diagnostic] = []
        for d in findings {
            let fingerprint = DiagnosticFingerprint.of(d)
            if let n = counts[fingerprint], n > 0, !isConfigurationError(d) { counts[fingerprint] = n - 1 } else { out.append(d) }
        }
        return out
    }
}
