import LabcheckTOML

/// LC114: a template stage that also stores code (`C`) whose text differs from the render.
public struct StoredCodeCheck: LabFileCheck {
    public static let descriptions = [
        CheckDescription(
            id: "LC114", slug: "stored-code-differs-from-render", severity: .error,
            summary: "stored `C` of a template stage differs from its render (first differing line, at its exact line in the TOML)",
            what: "For a template stage that also stores code in `C`, compares that code with the render of the template at the version the stage is saved at (`labcheck render FILE STAGE`) and reports the first line that differs, at its exact line and column in the TOML file. Line endings compare as Python reads them (CRLF = LF).",
            why: "A template stage's Python is a rendered view, not source: stored code that differs was edited by hand and will be lost or, worse, run instead of what the stage declares.",
            example: "[[pipeline]]\nkind = \"template\"\n...\nC = '''\nimport asyncio   # hand-edited copy of the render\n'''",
            fix: "Remove `C` from the stage (the render is derived), or move the custom code to a `kind = \"raw_python\"` stage.",
            triggering: [.lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_install.app'\ntemplate_version = 2\napp = 'example_project'\naction = 'install'\nC = '''\n↓import os\n'''\n")],
            nonTriggering: [.lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_install.app'\ntemplate_version = 2\napp = 'example_project'\naction = 'install'\n")]
        ),
    ]

    public init() {}

    public func check(_ file: LabFile, context: CheckContext) -> [Diagnostic] {
        let c = context.conventions
        var out: [Diagnostic] = []
        for stage in file.stages where stage.kind.isTemplate {
            // Compared with the render at the version the stage is saved at (a stale stage's
            // code is the old version's render); LC111-LC113 report the version itself.
            guard let code = stage.table[c.codeKey], let stored = code.string,
                  let id = stage.table[c.templateIDKey]?.string, let family = context.rules.templates[id],
                  let saved = StageClassifier.savedVersion(stage.table[c.templateVersionKey]), family.at(saved)?.render != nil,
                  let rendered = try? StageRendering.render(stage, family: family, version: saved, conventions: c),
                  let (line, found, expected) = LineComparison.firstDifference(stored, rendered) else { continue }
            var span = code.span
            if let map = TOMLStringSourceMap(source: file.source, span: code.span) {
                let start = map.sourceOffset(line: line + 1, column: 1)
                span = ByteSpan(start, start + (found?.utf8.count ?? 0))
            }
            out.append(diagnostic("LC114", file, "stored code of \(stage.displayName) differs from the render of \(id) v\(saved) at code line \(line + 1)",
                                  span, help: "remove `C` (the render is derived from the stage), or make the stage kind = \"raw_python\" to keep custom code",
                                  notes: ["render has \(expected.map { "`\($0)`" } ?? "the end of the code")",
                                          "stored has \(found.map { "`\($0)`" } ?? "the end of the code")"]))
        }
        return out
    }
}
