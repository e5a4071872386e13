import LabcheckTOML

/// Everything labcheck says about one check id, in one value that lives in the check's own
/// file: the catalogue, `labcheck explain`, its list, and the README's table derive from it,
/// and its examples are its tests.
public struct CheckDescription: Sendable {
    /// The stable id, e.g. `LC111`.
    public let id: String
    /// Kebab-case name of the problem, e.g. `stale-template-version`.
    public let slug: String
    /// The default severity (strict mode may raise a warning to an error).
    public let severity: Severity
    /// One line saying what is reported (the catalogue and the README's table).
    public let summary: String
    /// What it checks, why it matters, an example, how to fix: `labcheck explain`'s sections.
    public let what: String
    public let why: String
    public let example: String
    public let fix: String
    /// Inputs that must produce this id, at every place marked `↓` in their files.
    public let triggering: [CheckExample]
    /// Inputs that must not produce it.
    public let nonTriggering: [CheckExample]

    public init(id: String, slug: String, severity: Severity, summary: String, what: String, why: String, example: String, fix: String,
                triggering: [CheckExample], nonTriggering: [CheckExample]) {
        self.id = id
        self.slug = slug
        self.severity = severity
        self.summary = summary
        self.what = what
        self.why = why
        self.example = example
        self.fix = fix
        self.triggering = triggering
        self.nonTriggering = nonTriggering
    }

    /// `labcheck explain` text.
    public var explanation: String {
        var out = "\(id) \(slug) (\(severity.rawValue))\n\n"
        out += "What it checks\n  \(what)\n\nWhy it matters\n  \(why)\n\nExample\n"
        out += example.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" }.joined(separator: "\n")
        out += "\n\nHow to fix\n  \(fix)\n"
        return out
    }
}

/// A type that owns one or more checks: their descriptions live in its file, and one line in
/// `CheckRegistry.checks` registers it. Lab-file checks also conform to `LabFileCheck`.
public protocol Check: Sendable {
    /// The descriptions of the ids this type reports.
    static var descriptions: [CheckDescription] { get }
}

/// An input for a check example: files of a snapshot (and of its base), run through the whole
/// linter with the example's own small rules (never the bundled ones, so that bumping a
/// template in `rules/` breaks no example). In a triggering example, `↓` marks each place a
/// diagnostic must start (SwiftLint's convention); the marker is removed before checking.
public struct CheckExample: Sendable {
    /// The marker of an expected diagnostic's start.
    public static let marker: Character = "↓"

    /// The files, markers removed.
    public let files: [String: String]
    public let base: [String: String]
    public let strict: Bool
    /// Rules files (path -> TOML) the example is checked with.
    public let rules: [String: String]
    /// Where the markers stood: file, 1-based line and column (in characters).
    public let expectedStarts: [(file: String, position: SourcePosition)]

    /// An example with one lab file, `lab_stages.toml`.
    public static func lab(_ text: String, base: String? = nil, strict: Bool = false, rules: [String: String] = ExampleRules.standard) -> CheckExample {
        CheckExample(files: ["lab_stages.toml": text], base: base.map { ["lab_stages.toml": $0] } ?? [:], strict: strict, rules: rules)
    }

    public init(files: [String: String], base: [String: String] = [:], strict: Bool = false, rules: [String: String] = ExampleRules.standard) {
        var stripped: [String: String] = [:]
        var starts: [(String, SourcePosition)] = []
        for (path, text) in files {
            var out = "", line = 1, column = 1
            for c in text {
                if c == Self.marker { starts.append((path, SourcePosition(line: line, column: column))); continue }
                out.append(c)
                if c == "\n" { line += 1; column = 1 } else { column += 1 }
            }
            stripped[path] = out
        }
        self.files = stripped
        self.base = base
        self.strict = strict
        self.rules = rules
        self.expectedStarts = starts.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
    }
}

/// What a check sees besides the file.
public struct CheckContext: Sendable {
    public let rules: RuleSet
    /// Whether unknown keys and args are errors.
    public let strict: Bool
    public let conventions: StageConventions
    /// The same file in the diff base, for diff-aware checks.
    public let base: LabFile?

    public init(rules: RuleSet, strict: Bool, conventions: StageConventions, base: LabFile? = nil) {
        self.rules = rules
        self.strict = strict
        self.conventions = conventions
        self.base = base
    }

    /// Error in strict mode, warning otherwise.
    var strictSeverity: Severity { strict ? .error : .warning }
}

/// A check over one parsed lab file. Each check lives in its own type with its descriptions and
/// examples; `CheckRegistry.checks` registers it.
public protocol LabFileCheck: Check {
    init()
    /// The diagnostics for one file.
    func check(_ file: LabFile, context: CheckContext) -> [Diagnostic]
    /// Whether the check reads every stage's fields or code in depth (a schema walk, a code
    /// scan): such checks take most of a large file's checking time, and are started first
    /// when the checks run side by side.
    static var readsEveryStageInDepth: Bool { get }
}

extension LabFileCheck {
    public static var readsEveryStageInDepth: Bool { false }

    /// The ids this check reports.
    static var ids: [String] { descriptions.map(\.id) }

    func diagnostic(_ id: String, _ file: LabFile, _ message: String, _ span: ByteSpan, severity: Severity? = nil,
                    help: String? = nil, notes: [String] = []) -> Diagnostic {
        Diagnostic(id: id, severity: severity ?? CheckRegistry.severity(of: id), message: message, file: file.path,
                   span: span, in: file.source, help: help, notes: notes)
    }
}

