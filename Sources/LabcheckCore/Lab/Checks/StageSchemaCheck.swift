import LabcheckTOML

/// LC103 and LC104: stage fields checked against the key schema of the stage's kind
/// (`rules/schemas/stage.*.toml`), and `__meta__` against `lab.meta`.
public struct StageSchemaCheck: LabFileCheck {
    public static let descriptions = [
        CheckDescription(
            id: "LC103", slug: "missing-required-stage-field", severity: .error,
            summary: "required field missing for the stage's kind; both or neither of `action`/`task`",
            what: "Reports a field that a stage's kind requires but the stage lacks (for template stages: `template_id`, `template_version`, `app`; for raw_python stages: `C`), and a template stage with both or neither of `action` and `task`.",
            why: "A structured stage without its required fields cannot be rendered or run; with both `action` and `task` it is ambiguous which one runs.",
            example: "[[pipeline]]\nkind = \"template\"\ntemplate_id = \"pipeline.agi_run.single_action\"\ntemplate_version = 3\napp = \"example_project\"\naction = \"reference_allocator\"\ntask = \"reference_allocator\"     # both",
            fix: "Add the missing field, or keep exactly one of `action`/`task`. The required fields of each kind are in `rules/schemas/stage.<kind>.toml`.",
            triggering: [.lab("[[m]]\nkind = ↓'raw_python'\n"),
                         .lab("[[m]]\nkind = ↓'template'\ntemplate_id = 'generic.execute'\ntemplate_version = 1\napp = 'example_project'\n"),
                         .lab("[[m]]\nkind = 'template'\ntemplate_id = 'generic.execute'\ntemplate_version = 1\napp = 'example_project'\naction = 'a'\n↓task = 'b'\n")],
            nonTriggering: [.lab("[[m]]\nkind = 'raw_python'\nC = 'print(1)'\n"), .lab("[[m]]\nD = 'legacy stages need nothing'\n")]
        ),
        CheckDescription(
            id: "LC104", slug: "unknown-stage-key", severity: .warning,
            summary: "unknown key in a stage or `__meta__` (error in strict mode)",
            what: "Reports a stage field, or a `__meta__` key, that the schema of the stage's kind does not know, naming the full key and suggesting the nearest known one. A warning normally; an error in strict mode (`--strict`, `strict = true` in `.labcheck.toml`, or `[__meta__] strict = true` in the file).",
            why: "A misspelt field (`dependson`, `tempalte_version`) is silently ignored by the orchestrator, so the stage runs without what its author meant to say.",
            example: "[[flight]]\nid = \"train\"\ndepend_on = [\"load\"]     # did you mean 'depends_on'?",
            fix: "Correct the key name, or, for a field your lab really uses, add it to a repository schema (`rules = [\"lab_rules\"]` in `.labcheck.toml`, then `lab_rules/schemas/stage.legacy.toml`).",
            triggering: [.lab("[[m]]\nid = 'a'\n↓depend_on = ['b']\n"), .lab("[__meta__]\nschema = 'x'\n↓verison = 1\n", strict: true),
                         .lab("[__meta__]\nstrict = true\n[[m]]\nid = 'a'\n↓CC = 'x'\n")],
            nonTriggering: [.lab("[[m]]\nid = 'a'\nNB_cell = 3\n_orchestrate_locked_stage = true\nD = 'x'\n", strict: true),
                            .lab("[__meta__]\nschema = 'x'\nm__sequence = [0]\n[[m]]\nid = 'a'\n", strict: true)]
        ),
    ]

    public init() {}

    public static var readsEveryStageInDepth: Bool { true }

    public func check(_ file: LabFile, context: CheckContext) -> [Diagnostic] {
        let conventions = context.conventions
        var out: [Diagnostic] = []
        if let meta = file.meta, let table = meta.value.table, let schema = context.rules.schemas[conventions.metaSchema], !schema.accepts(table) {
            let tree = ConfigNode.from(table, span: meta.value.span, source: file.source)
            out += report(schema.check(tree), file: file, context: context, what: "'\(conventions.metaKey)'", anchor: meta.keySpan,
                          prefix: conventions.metaKey + ".", table: table)
        }
        // Stages come in file order: each tree's positions are searched from the last one's.
        var hint = 0
        // Each kind's schema looked up once, not once per stage.
        let (templateSchema, rawPythonSchema, legacySchema) = (context.rules.schemas[conventions.templateSchema],
                                                               context.rules.schemas[conventions.rawPythonSchema],
                                                               context.rules.schemas[conventions.legacySchema])
        for stage in file.stages {
            let found: KeySchema?
            let kindName: String
            switch stage.kind {
            case .template: found = templateSchema; kindName = conventions.templateKind
            case .rawPython: found = rawPythonSchema; kindName = conventions.rawPythonKind
            case .legacy: found = legacySchema; kindName = "legacy"
            case .unknown: continue
            }
            guard let schema = found, !schema.accepts(stage.table) else { continue }
            let tree = ConfigNode.from(stage.table, span: stage.span, source: file.source, hint: &hint)
            let anchor = stage.table[conventions.kindKey]?.span ?? stage.span
            out += report(schema.check(tree), file: file, context: context, what: "\(kindName) stage \(stage.displayName)", anchor: anchor,
                          prefix: "", table: stage.table)
        }
        return out
    }

    private func report(_ findings: [KeySchema.Finding], file: LabFile, context: CheckContext, what: String,
                        anchor: ByteSpan, prefix: String, table: TOMLTable) -> [Diagnostic] {
        findings.compactMap { finding in
            switch finding {
            case .unknown(let path, let entry, let suggestion):
                let help = suggestion.map { "did you mean '\(prefix)\($0)'?" } ?? "not a field the schema of this stage kind knows; check the spelling"
                return Diagnostic(id: "LC104", severity: context.strictSeverity, message: "unknown key '\(prefix)\(path)' in \(what)",
                                  file: file.path, start: entry.keyStart, end: entry.keyEnd,
                                  source: file.source, help: help)
            case .missing(let path):
                return diagnostic("LC103", file, "\(what) is missing required field '\(path)'", anchor, help: "add `\(path) = ...` to the stage")
            case .notExactlyOne(let group, let present):
                let names = group.map { "'\($0)'" }.joined(separator: " or ")
                if present.isEmpty {
                    return diagnostic("LC103", file, "\(what) needs exactly one of \(names), found none", anchor, help: "add one of them")
                }
                return diagnostic("LC103", file, "\(what) has \(present.map { "'\($0)'" }.joined(separator: " and ")); exactly one of \(names) is allowed",
                                  table.entry(present[1])?.keySpan ?? anchor, help: "keep only the one the stage runs")
            case .wrongType:
                return nil
            }
        }
    }
}
