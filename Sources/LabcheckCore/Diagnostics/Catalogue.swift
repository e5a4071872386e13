import LabcheckTOML

/// One entry of the check catalogue: a stable id, a name after the problem, a default severity.
public struct CheckInfo: Sendable, Hashable {
    public let id: String
    /// Kebab-case name of the problem, e.g. `stale-template-version`.
    public let name: String
    public let severity: Severity
    /// One line saying what the check reports.
    public let summary: String
}

/// The check catalogue (DESIGN §9). Ids are stable; they never change meaning.
public enum Catalogue {
    /// Every check labcheck knows, in id order.
    public static let all: [CheckInfo] = [
        CheckInfo(id: "LC001", name: "invalid-labcheck-config", severity: .error, summary: "`.labcheck.toml` is invalid"),
        CheckInfo(id: "LC002", name: "invalid-rules-file", severity: .error, summary: "a rules file is invalid"),
        CheckInfo(id: "LC100", name: "lab-file-syntax-error", severity: .error, summary: "TOML syntax error in a lab file"),
        CheckInfo(id: "LC101", name: "invalid-stage-layout", severity: .error, summary: "stage layout: not an array of stage tables, empty module, duplicate stage id"),
        CheckInfo(id: "LC102", name: "unknown-stage-kind", severity: .error, summary: "unknown stage `kind`"),
        CheckInfo(id: "LC103", name: "missing-required-stage-field", severity: .error, summary: "required field missing for the stage's kind; both or neither of `action`/`task`"),
        CheckInfo(id: "LC104", name: "unknown-stage-key", severity: .warning, summary: "unknown key in a stage or `__meta__` (error in strict mode)"),
        CheckInfo(id: "LC105", name: "unknown-stage-dependency", severity: .error, summary: "`depends_on` names an unknown stage, or dependencies form a cycle"),
        CheckInfo(id: "LC110", name: "unknown-template", severity: .error, summary: "unknown template id"),
        CheckInfo(id: "LC111", name: "stale-template-version", severity: .error, summary: "stale template version (drift)"),
        CheckInfo(id: "LC112", name: "template-version-ahead", severity: .error, summary: "template version ahead of the registry"),
        CheckInfo(id: "LC113", name: "invalid-template-version", severity: .error, summary: "template version not a positive integer"),
        CheckInfo(id: "LC114", name: "stored-code-differs-from-render", severity: .error, summary: "stored code differs from the template's render"),
        CheckInfo(id: "LC120", name: "unknown-app-action", severity: .error, summary: "unknown app, or unknown action/task for the app"),
        CheckInfo(id: "LC121", name: "unknown-action-arg", severity: .warning, summary: "unknown arg for the action (error in strict mode)"),
        CheckInfo(id: "LC122", name: "invalid-action-arg", severity: .error, summary: "arg of the wrong type, or required arg missing"),
        CheckInfo(id: "LC130", name: "convertible-generated-snippet", severity: .info, summary: "legacy generated snippet: convertible to a template"),
        CheckInfo(id: "LC150", name: "template-version-lowered", severity: .error, summary: "template version lowered by this change"),
        CheckInfo(id: "LC151", name: "template-stage-made-raw", severity: .warning, summary: "stage changed from template to raw_python by this change"),
        CheckInfo(id: "LC200", name: "unknown-config-key", severity: .warning, summary: "unknown key in a registered config file (error in strict mode)"),
        CheckInfo(id: "LC201", name: "invalid-config-type", severity: .error, summary: "wrong type in a registered config file"),
        CheckInfo(id: "LC300", name: "forbidden-import", severity: .error, summary: "forbidden import (direct)"),
        CheckInfo(id: "LC301", name: "forbidden-import-chain", severity: .error, summary: "forbidden import through a chain (indirect)"),
        CheckInfo(id: "LC302", name: "layers-violation", severity: .error, summary: "layers contract violated"),
        CheckInfo(id: "LC303", name: "independence-violation", severity: .error, summary: "independence contract violated"),
        CheckInfo(id: "LC304", name: "relative-import-escapes-package", severity: .warning, summary: "relative import escapes its top-level package"),
        CheckInfo(id: "LC305", name: "python-file-not-scanned", severity: .warning, summary: "a Python file (or stage code) that is not valid UTF-8 Python cannot be scanned for imports"),
    ]

    /// The catalogue entry for an id.
    public static func info(_ id: String) -> CheckInfo? { all.first { $0.id == id } }
}
