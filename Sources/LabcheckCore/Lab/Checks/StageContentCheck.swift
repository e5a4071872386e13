/// LC106: a stage with none of the fields AGILab's editor keeps a stage by (`D`, `Q`, `C`, from
/// the conventions' `content`). The editor drops such a stage on its next save, with no word;
/// labcheck warns so nobody loses it. Structured stages (`kind = "template"` / `"raw_python"`)
/// are kept by their kind and are not reported.
public struct StageContentCheck: LabFileCheck {
    public static let descriptions = [
        CheckDescription(
            id: "LC106", slug: "stage-without-content", severity: .warning,
            summary: "stage with none of `D`, `Q`, `C` (AGILab's editor drops it on its next save)",
            what: "Reports a code stage (no structured `kind`) that has none of `D` (description), `Q` (question) and `C` (code), the fields AGILab's editor keeps a stage by (`content` in the stage conventions).",
            why: "AGILab's editor silently drops every stage without `D`, `Q` or `C` the next time anyone saves the lab in it: its id, dependencies and settings are lost, and stages that depend on it break.",
            example: "[[flight]]\nid = \"load\"\ndepends_on = [\"fetch\"]",
            fix: "Give the stage a description (`D = \"...\"`), a question (`Q`) or its code (`C`); or delete it if it is no longer needed.",
            triggering: [.lab("↓[[m]]\nid = 'a'\ndepends_on = []\n"), .lab("m = [↓{ id = 'b', M = 'gpt' }]\n")],
            nonTriggering: [.lab("[[m]]\nid = 'a'\nD = 'describe'\n"), .lab("[[m]]\nQ = 'ask'\n"), .lab("m = []\n"),
                            .lab("[[m]]\nkind = 'template'\ntemplate_id = 't'\ntemplate_version = 1\n")]
        ),
    ]

    public init() {}

    public func check(_ file: LabFile, context: CheckContext) -> [Diagnostic] {
        let keys = context.conventions.contentKeys
        guard !keys.isEmpty else { return [] }
        return file.stages.compactMap { stage in
            guard case .legacy = stage.kind, !keys.contains(where: { stage.table.has($0) }) else { return nil }
            let list = keys.count == 1 ? "`\(keys[0])`" : keys.dropLast().map { "`\($0)`" }.joined(separator: ", ") + " or `\(keys[keys.count - 1])`"
            return diagnostic("LC106", file, "stage \(stage.displayName) has none of \(list): AGILab's editor drops it on its next save",
                              stage.span, help: "add one of \(list) (such as `\(keys[0]) = \"...\"`), or delete the stage if it is no longer needed")
        }
    }
}
