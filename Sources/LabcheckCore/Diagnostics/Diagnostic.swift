import LabcheckTOML

/// How serious a finding is. Only errors make a run fail.
public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable, Codable {
    case error, warning, info

    private var rank: Int { self == .error ? 0 : (self == .warning ? 1 : 2) }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One finding: a violated check at a place in a file.
public struct Diagnostic: Sendable, Hashable, Codable {
    /// The stable check id, e.g. `LC101`.
    public var id: String
    public var severity: Severity
    public var message: String
    /// Repository-relative path with `/` separators.
    public var file: String
    /// First character of the offending text (1-based line and column, columns in characters).
    public var start: SourcePosition
    /// One past the last character of the offending text.
    public var end: SourcePosition
    /// The text of the start line, for reporters that show it (unsanitised; reporters escape
    /// it); for a very long line, a window of it around the start (`SourceText.lineExcerpt`).
    public var sourceLine: String?
    /// The column of `sourceLine`'s first character (1 unless it is a window of a long line).
    public var sourceLineFirstColumn = 1
    /// A suggestion for fixing it.
    public var help: String?
    /// Further context lines ("first defined here: 3:1").
    public var notes: [String]
    /// What the finding is about, without a position: for imports the contract and the
    /// modules, for lab findings the module, stage and key path. The ratchet's and SARIF's
    /// fingerprint is built from it (`DiagnosticFingerprint`); nil when the producer sets none.
    public var subject: String? = nil
    /// For an import-contract finding: the contract, the modules and the chain, as fields (the
    /// JSON output carries them, so tools never parse messages).
    public var importFinding: ImportFinding? = nil

    public init(id: String, severity: Severity, message: String, file: String,
                start: SourcePosition, end: SourcePosition, sourceLine: String? = nil,
                help: String? = nil, notes: [String] = []) {
        self.id = id
        self.severity = severity
        self.message = message
        self.file = file
        self.start = start
        self.end = end
        self.sourceLine = sourceLine
        self.help = help
        self.notes = notes
    }

    /// A diagnostic whose source line is taken from `source` (a window of it for a long line).
    public init(id: String, severity: Severity, message: String, file: String,
                start: SourcePosition, end: SourcePosition, source: SourceText?,
                help: String? = nil, notes: [String] = []) {
        self.init(id: id, severity: severity, message: message, file: file, start: start, end: end, help: help, notes: notes)
        if let source { attachSourceLine(from: source) }
    }

    /// The diagnostic without its source line (as caches keep findings: the line is cut from
    /// the file again when they are reused).
    public var bare: Diagnostic {
        var d = self
        d.sourceLine = nil
        d.sourceLineFirstColumn = 1
        return d
    }

    /// Sets the source line from `source`, at the diagnostic's start.
    public mutating func attachSourceLine(from source: SourceText) {
        (sourceLine, sourceLineFirstColumn) = source.lineExcerpt(start.line, column: start.column)
    }

    /// A diagnostic covering `span` of `source`.
    public init(id: String, severity: Severity, message: String, file: String,
                span: ByteSpan, in source: SourceText, help: String? = nil, notes: [String] = []) {
        let start = source.position(of: span.start)
        let end = source.position(of: max(span.start, span.end))
        self.init(id: id, severity: severity, message: message, file: file, start: start, end: end,
                  source: source, help: help, notes: notes)
    }

    /// Orders diagnostics by file, position, id and message, so output is deterministic.
    public static func sortKey(_ a: Diagnostic, _ b: Diagnostic) -> Bool {
        (a.file, a.start.line, a.start.column, a.id, a.message) < (b.file, b.start.line, b.start.column, b.id, b.message)
    }
}

/// The facts of an import-contract finding.
public struct ImportFinding: Sendable, Hashable, Codable {
    /// One import of a chain: `importer` imports `imported` at `file:line`.
    public struct Link: Sendable, Hashable, Codable {
        public let importer: String
        public let imported: String
        public let file: String
        public let line: Int

        public init(importer: String, imported: String, file: String, line: Int) {
            self.importer = importer
            self.imported = imported
            self.file = file
            self.line = line
        }
    }

    public let contract: String
    /// The module that imports and the module it must not reach (the chain's two ends).
    public let importer: String
    public let imported: String
    /// Every import from `importer` to `imported`, in order: one link for a direct import.
    public let chain: [Link]

    public init(contract: String, importer: String, imported: String, chain: [Link]) {
        self.contract = contract
        self.importer = importer
        self.imported = imported
        self.chain = chain
    }
}

/// Counts of diagnostics by severity.
public struct DiagnosticSummary: Sendable, Equatable {
    public var errors = 0, warnings = 0, infos = 0

    public init(_ diagnostics: [Diagnostic]) {
        for d in diagnostics {
            switch d.severity {
            case .error: errors += 1
            case .warning: warnings += 1
            case .info: infos += 1
            }
        }
    }
}
