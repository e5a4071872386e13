/// Results of earlier runs that a run may reuse, by content: the findings of one lab file are a
/// function of its bytes, its diff-base version's bytes and the configuration in force (the
/// rules, `.labcheck.toml`, the options), so a lab file nobody touched is not checked again.
/// The adapter that keeps them (`LabMemoStore` in the git adapter) folds the configuration's
/// identity into every key; the linter asks by path and content ids only.
public protocol LintMemo: AnyObject, Sendable {
    /// The findings stored for a lab file with content `blob` compared with a base version
    /// `baseBlob` (nil: checked without a base), or nil.
    func labFindings(path: String, blob: String, baseBlob: String?) -> [Diagnostic]?
    /// Stores them.
    func storeLabFindings(_ findings: [Diagnostic], path: String, blob: String, baseBlob: String?)
}

/// What the import phase of a whole-snapshot run produced, as the import memo keeps it: its
/// findings (without source lines: they are cut from the files again when reused), the
/// suppression comments of the Python files, and the module count.
public struct ImportPhaseOutcome: Codable, Sendable {
    public var diagnostics: [Diagnostic]
    public var suppressions: [Suppression]
    public var modules: Int

    public init(diagnostics: [Diagnostic], suppressions: [Suppression], modules: Int) {
        self.diagnostics = diagnostics
        self.suppressions = suppressions
        self.modules = modules
    }
}

/// The import phase's results by what determines them (`ImportBoundaries.checkMemoized`): the
/// snapshot's paths, each module's scan (imports and suppression comments, by a digest kept
/// per blob id), the code of every lab stage with its place, and the configuration (whose
/// identity the adapter folds into every key). When a commit changes files but no import, no
/// module and no contract, the graph and the contracts are not built again.
public protocol ImportMemo: AnyObject, Sendable {
    /// The digest of a blob's scan (`ImportScanDigest`), if known.
    func scanDigest(blob: String) -> UInt64?
    /// Records the scan digests of the blobs of a snapshot (the ones kept).
    func storeScanDigests(_ digests: [String: UInt64])
    /// The key for `material` (with the configuration's identity folded in).
    func key(_ material: [UInt8]) -> String
    func outcome(key: String) -> ImportPhaseOutcome?
    func store(_ outcome: ImportPhaseOutcome, key: String)
    /// The graph the phase under `key` built (`ImportGraphState`); why a kept one cannot be
    /// used (damaged, oversized) goes to `log`, a missing one says nothing.
    func graphState(key: String, log: (String) -> Void) -> ImportGraphState?
    func storeGraphState(_ state: ImportGraphState, key: String)
    /// A patched graph (`ImportGraphPatch`) by its key.
    func graphPatch(key: String) -> ImportGraphPatch?
    func storeGraphPatch(_ patch: ImportGraphPatch, key: String)
}

/// A 64-bit digest (FNV-1a) of one file's scan: every import with its place and flags, or the
/// scan error, and the suppression comments. Two files with the same digest give the graph the
/// same edges at the same places, and the same suppressions.
public enum ImportScanDigest {
    public static func of(_ outcome: Result<[PythonImport], PythonScanError>, suppressions: [CachedSuppression]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func byte(_ b: UInt8) { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        func int(_ v: Int) { var x = UInt64(bitPattern: Int64(v)); for _ in 0..<8 { byte(UInt8(truncatingIfNeeded: x)); x >>= 8 } }
        func text(_ s: String?) {
            guard let s else { byte(0xFE); return }
            for b in s.utf8 { byte(b) }
            byte(0xFF)
        }
        switch outcome {
        case .failure(let e):
            byte(1); text(e.message); int(e.line); int(e.column)
        case .success(let imports):
            byte(0)
            int(imports.count)
            for i in imports {
                text(i.kind.rawValue); text(i.module); int(i.level); text(i.name); int(i.line); int(i.column)
                byte((i.typeChecking ? 1 : 0) | (i.guarded ? 2 : 0))
            }
        }
        int(suppressions.count)
        for s in suppressions {
            int(s.line); int(s.column); int(s.ids.count)
            for id in s.ids { text(id) }
            text(s.reason)
        }
        return h
    }
}
