import LabcheckTOML

/// Everything a run of every check over a whole snapshot found, as the result cache keeps it
/// (keyed by the snapshot's tree id and the diff base's, see `ResultStore`) and as the staged
/// report scope needs it: the report of a touched-files run is this record filtered by
/// `ReportSelection`, so it always equals a full `--all` run's findings filtered to its scope.
public struct RunRecord: Sendable {
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
    /// For a staged snapshot: every path where the index differs from the diff base's tree, with
    /// the index's entry there (`"<mode> <blob id>"`, `"-"` when the index has no such path). A
    /// later run against the same base finds from it what changed since this run
    /// (`IncrementalCheck`). Nil for other snapshots.
    public var indexChanges: [String: String]? = nil
    /// Where the import memo keeps the graph this record's import findings come from
    /// (`ImportGraphState`), if it does: a later staged run whose change edits imports patches
    /// it. Nil when the run built no graph it could store (or no contract is configured).
    public var importKey: String? = nil

    public init(diagnostics: [Diagnostic], suppressed: [SuppressedFinding], touched: [String]?, filesChecked: Int, labFiles: Int,
                pythonFiles: Int, configFiles: Int, pythonNotChecked: Int, configurationInvalid: Bool) {
        self.diagnostics = diagnostics
        self.suppressed = suppressed
        self.touched = touched
        self.filesChecked = filesChecked
        self.labFiles = labFiles
        self.pythonFiles = pythonFiles
        self.configFiles = configFiles
        self.pythonNotChecked = pythonNotChecked
        self.configurationInvalid = configurationInvalid
    }

    public init(_ result: LintResult, touched: Set<String>?) {
        diagnostics = result.diagnostics
        suppressed = result.suppressed
        self.touched = touched.map { $0.sorted() }
        filesChecked = result.filesChecked
        (labFiles, pythonFiles, configFiles) = result.files
        pythonNotChecked = result.pythonNotChecked
        configurationInvalid = result.configurationInvalid
        importKey = result.importKey
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
        copy.indexChanges = nil
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

/// The result cache's encoding of a `RunRecord`: binary, with a table of the distinct strings
/// (file paths, ids, contract and module names repeat across findings), so a record of a
/// thousand findings decodes in about a millisecond (JSON took ~40 ms for sympy's 875 KB).
/// Decoding checks every length and index against the bytes and returns nil on anything that
/// does not decode exactly (the cache file's checksum has been verified before).
public enum RunRecordCodec {
    static let version: UInt8 = 3

    public static func encode(_ record: RunRecord) -> [UInt8] {
        var strings: [String] = []
        var index: [String: Int] = [:]
        var body: [UInt8] = []
        func int(_ v: Int, into out: inout [UInt8]) {
            // LEB128 of the zigzag value: small numbers take one byte.
            var x = (UInt64(bitPattern: Int64(v)) << 1) ^ (v < 0 ? ~UInt64(0) : 0)
            while x >= 0x80 { out.append(UInt8(x & 0x7F) | 0x80); x >>= 7 }
            out.append(UInt8(x))
        }
        func int(_ v: Int) { int(v, into: &body) }
        func str(_ s: String) {
            if let k = index[s] { int(k); return }
            index[s] = strings.count
            int(strings.count)
            strings.append(s)
        }
        func opt(_ s: String?) { if let s { body.append(1); str(s) } else { body.append(0) } }
        func position(_ p: SourcePosition) { int(p.line); int(p.column) }
        func diagnostic(_ d: Diagnostic) {
            str(d.id); str(d.severity.rawValue); str(d.message); str(d.file)
            position(d.start); position(d.end)
            opt(d.sourceLine); int(d.sourceLineFirstColumn); opt(d.help)
            int(d.notes.count); d.notes.forEach(str)
            opt(d.subject)
            if let f = d.importFinding {
                body.append(1)
                str(f.contract); str(f.importer); str(f.imported)
                int(f.chain.count)
                for l in f.chain { str(l.importer); str(l.imported); str(l.file); int(l.line) }
            } else {
                body.append(0)
            }
        }
        int(record.diagnostics.count); record.diagnostics.forEach(diagnostic)
        int(record.suppressed.count)
        for s in record.suppressed { diagnostic(s.diagnostic); str(s.reason) }
        if let touched = record.touched { body.append(1); int(touched.count); touched.forEach(str) } else { body.append(0) }
        for v in [record.filesChecked, record.labFiles, record.pythonFiles, record.configFiles, record.pythonNotChecked] { int(v) }
        body.append(record.configurationInvalid ? 1 : 0)
        if let changes = record.indexChanges {
            body.append(1)
            int(changes.count)
            for (path, entry) in changes.sorted(by: { $0.key < $1.key }) { str(path); str(entry) }
        } else {
            body.append(0)
        }
        opt(record.importKey)
        // The version, the string table, then the body.
        var out: [UInt8] = [version]
        int(strings.count, into: &out)
        for s in strings { int(s.utf8.count, into: &out); out += s.utf8 }
        return out + body
    }

    public static func decode(_ bytes: [UInt8]) -> RunRecord? {
        bytes.withUnsafeBufferPointer { decode($0) }
    }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> RunRecord? {
        var r = ByteReader(bytes: bytes)
        func byte() -> UInt8? { r.byte() }
        /// LEB128 of the zigzag value.
        func int() -> Int? {
            guard let raw = r.int() else { return nil }
            let x = UInt64(bitPattern: Int64(raw))
            return Int(Int64(bitPattern: (x >> 1) ^ (0 &- (x & 1))))
        }
        guard byte() == version, let count = int(), count >= 0, count <= bytes.count else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(count)
        for _ in 0..<count {
            guard let n = int(), let text = r.take(n) else { return nil }
            strings.append(String(decoding: text, as: UTF8.self))
        }
        func str() -> String? { guard let k = int(), k >= 0, k < strings.count else { return nil }; return strings[k] }
        func opt() -> String?? {
            switch byte() { case 0: return .some(nil); case 1: return str().map { .some($0) } ?? nil; default: return nil }
        }
        func position() -> SourcePosition? { guard let l = int(), let c = int() else { return nil }; return SourcePosition(line: l, column: c) }
        func list<T>(_ item: () -> T?) -> [T]? {
            guard let n = int(), n >= 0, n <= r.left else { return nil }
            var out: [T] = []
            for _ in 0..<n { guard let x = item() else { return nil }; out.append(x) }
            return out
        }
        func diagnostic() -> Diagnostic? {
            guard let id = str(), let severity = str().flatMap(Severity.init(rawValue:)), let message = str(), let file = str(),
                  let start = position(), let end = position(), let sourceLine = opt(), let firstColumn = int(), let help = opt(),
                  let notes = list(str), let subject = opt(), let tag = byte() else { return nil }
            var d = Diagnostic(id: id, severity: severity, message: message, file: file, start: start, end: end,
                               sourceLine: sourceLine, help: help, notes: notes)
            d.sourceLineFirstColumn = firstColumn
            d.subject = subject
            if tag == 1 {
                guard let contract = str(), let importer = str(), let imported = str(),
                      let chain = list({ () -> ImportFinding.Link? in
                          guard let a = str(), let b = str(), let f = str(), let l = int() else { return nil }
                          return ImportFinding.Link(importer: a, imported: b, file: f, line: l)
                      }) else { return nil }
                d.importFinding = ImportFinding(contract: contract, importer: importer, imported: imported, chain: chain)
            } else if tag != 0 {
                return nil
            }
            return d
        }
        guard let diagnostics = list(diagnostic),
              let suppressed = list({ () -> SuppressedFinding? in
                  guard let d = diagnostic(), let reason = str() else { return nil }
                  return SuppressedFinding(diagnostic: d, reason: reason)
              }) else { return nil }
        var touched: [String]? = nil
        switch byte() {
        case 0: break
        case 1: guard let t = list(str) else { return nil }; touched = t
        default: return nil
        }
        guard let filesChecked = int(), let lab = int(), let python = int(), let config = int(), let notChecked = int(),
              let invalid = byte(), invalid <= 1 else { return nil }
        var changes: [String: String]? = nil
        switch byte() {
        case 0: break
        case 1:
            guard let pairs = list({ () -> (String, String)? in
                guard let path = str(), let entry = str() else { return nil }
                return (path, entry)
            }) else { return nil }
            var table: [String: String] = [:]
            for (path, entry) in pairs { guard table.updateValue(entry, forKey: path) == nil else { return nil } }
            changes = table
        default: return nil
        }
        guard let importKey = opt() else { return nil }
        guard r.atEnd else { return nil }
        var record = RunRecord(diagnostics: diagnostics, suppressed: suppressed, touched: touched, filesChecked: filesChecked,
                               labFiles: lab, pythonFiles: python, configFiles: config, pythonNotChecked: notChecked,
                               configurationInvalid: invalid == 1)
        record.indexChanges = changes
        record.importKey = importKey
        return record
    }
}
