import LabcheckTOML

/// A check's documentation, shown by `labcheck explain`, in fixed sections.
public struct CheckDocumentation: Sendable {
    public let id: String
    public let what: String
    public let why: String
    public let example: String
    public let fix: String
    /// Inputs that must produce at least one diagnostic with this id.
    public let triggering: [CheckExample]
    /// Inputs that must produce none.
    public let nonTriggering: [CheckExample]
    /// False for catalogue entries whose check is not implemented yet.
    public let implemented: Bool

    public init(id: String, what: String, why: String, example: String, fix: String,
                triggering: [CheckExample] = [], nonTriggering: [CheckExample] = [], implemented: Bool = true) {
        self.id = id
        self.what = what
        self.why = why
        self.example = example
        self.fix = fix
        self.triggering = triggering
        self.nonTriggering = nonTriggering
        self.implemented = implemented
    }
}

/// An input for a check example: files of a snapshot (and of its base), run through the whole
/// linter with the bundled rules.
public struct CheckExample: Sendable {
    public let files: [String: String]
    public let base: [String: String]
    public let strict: Bool

    /// An example with one lab file, `lab_stages.toml`.
    public static func lab(_ text: String, base: String? = nil, strict: Bool = false) -> CheckExample {
        CheckExample(files: ["lab_stages.toml": text], base: base.map { ["lab_stages.toml": $0] } ?? [:], strict: strict)
    }

    public init(files: [String: String], base: [String: String] = [:], strict: Bool = false) {
        self.files = files
        self.base = base
        self.strict = strict
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

    public init(rules: RuleSet, strict: Bool, conventions: StageConventions = .agilab, base: LabFile? = nil) {
        self.rules = rules
        self.strict = strict
        self.conventions = conventions
        self.base = base
    }

    /// Error in strict mode, warning otherwise.
    var strictSeverity: Severity { strict ? .error : .warning }
}

/// A check over one parsed lab file. Each check lives in its own type with its documentation
/// and examples; `LabChecks.all` registers it.
public protocol LabFileCheck: Sendable {
    /// The ids this check reports.
    static var ids: [String] { get }
    /// The diagnostics for one file.
    func check(_ file: LabFile, context: CheckContext) -> [Diagnostic]
}

extension LabFileCheck {
    func diagnostic(_ id: String, _ file: LabFile, _ message: String, _ span: ByteSpan, severity: Severity? = nil,
                    help: String? = nil, notes: [String] = []) -> Diagnostic {
        Diagnostic(id: id, severity: severity ?? Catalogue.info(id)!.severity, message: message, file: file.path,
                   span: span, in: file.source, help: help, notes: notes)
    }
}

