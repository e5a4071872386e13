/// LC102: a stage's `kind` is neither `template` nor `raw_python`, and the stage looks
/// structured or the value is a near miss. Free-form labels on D/Q/M/C stages are kept.
public struct UnknownStageKindCheck: LabFileCheck {
    public static let descriptions = [
        CheckDescription(
            id: "LC102", slug: "unknown-stage-kind", severity: .error,
            summary: "unknown stage `kind` (only for stages that look structured, or near misses; free-form labels such as `kind = \"analysis\"` are kept)",
            what: "Reports a `kind` that is not a known stage kind on a stage that looks structured (it has `template_id`, `app`, `args`, `action`, ...) or whose value is a near miss of `template` or `raw_python`.",
            why: "A misspelt kind turns a template stage into an unchecked code stage: its version drift and args would never be checked again. Free-form labels that AGILab uses on code stages (`kind = \"analysis\"`) are left alone.",
            example: "[[pipeline]]\nkind = \"templte\"\ntemplate_id = \"pipeline.agi_run.single_action\"",
            fix: "Use `kind = \"template\"` or `kind = \"raw_python\"`; the help line suggests the nearest one.",
            triggering: [.lab("[[m]]\nkind = ↓'Template'\n"), .lab("[[m]]\nkind = ↓'pipeline'\ntemplate_id = 't'\n"), .lab("[[m]]\nkind = ↓3\n")],
            nonTriggering: [.lab("[[m]]\nkind = 'analysis'\nC = 'x'\n"), .lab("[[m]]\nkind = 'raw_python'\nC = 'x'\n")]
        ),
    ]

    public init() {}

    public func check(_ file: LabFile, context: CheckContext) -> [Diagnostic] {
        let conventions = context.conventions
        return file.stages.compactMap { stage in
            guard case .unknown(let kind) = stage.kind, let node = stage.table[conventions.kindKey] else { return nil }
            let known = [conventions.templateKind, conventions.rawPythonKind]
            var help = "a structured stage has kind \"\(conventions.templateKind)\" or \"\(conventions.rawPythonKind)\""
            if let s = NearestName.suggestion(for: kind, among: known) { help = "did you mean \"\(s)\"?" }
            let shown = node.string == nil ? "a \(node.value.typeName)" : "\"\(kind)\""
            return diagnostic("LC102", file, "stage \(stage.displayName) has unknown kind \(shown)", node.span, help: help)
        }
    }
}
