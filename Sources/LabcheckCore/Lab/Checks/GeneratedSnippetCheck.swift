import LabcheckTOML

/// LC130: a legacy stage whose code is a recognisable ORCHESTRATE-generated snippet, which
/// `labcheck convert` can turn into a template stage.
public struct GeneratedSnippetCheck: LabFileCheck {
    public static let descriptions = [
        CheckDescription(
            id: "LC130", slug: "convertible-generated-snippet", severity: .info,
            summary: "a legacy stage holds an ORCHESTRATE-generated snippet, convertible to a template (note)",
            what: "Notes (severity info) a D/Q/M/C stage whose code carries ORCHESTRATE's generated-snippet header (`# AGILAB generated snippet`, `# generator: agilab.orchestrate`) and exactly one AGI call (`AGI.install`, `AGI.get_distrib`, or `AGI.run` with a `RunRequest`). Recognition is structural; nothing is run.",
            why: "A generated snippet stored as code never gets the orchestrator's updates: as a template stage it would be checked for drift and refreshed.",
            example: "C = \"...# AGILAB generated snippet\\n# generator: agilab.orchestrate\\n...await AGI.install(app_env, ...)...\"",
            fix: "Convert the stage to a template stage (`labcheck convert`, or by hand: kind = \"template\", the template id of its shape, its args).",
            triggering: [.lab("[[m]]\nC = \"↓# AGILAB generated snippet\\n# generator: agilab.orchestrate\\nres = await AGI.install(app_env)\"\n")],
            nonTriggering: [.lab("[[m]]\nC = \"res = await AGI.install(app_env)\"\n")]
        ),
    ]

    public init() {}

    public func check(_ file: LabFile, context: CheckContext) -> [Diagnostic] {
        file.stages.compactMap { stage in
            let status = StageClassifier.status(stage, in: file, rules: context.rules, conventions: context.conventions)
            guard status.stageClass == .legacyGenerated, let shape = status.generatedShape,
                  let code = stage.table[context.conventions.codeKey] else { return nil }
            let family = context.rules.templates.values.filter { $0.shape == shape }.map(\.id).sorted().first
            // Point at the generated-snippet marker inside the code, through the string's escapes.
            var span = code.span
            if let text = code.string, let marker = context.rules.snippetRecognizers.values.lazy.compactMap({ $0.firstMarkerRange(in: text) }).first,
               let map = TOMLStringSourceMap(source: file.source, span: code.span) {
                span = ByteSpan(map.sourceOffset(forDecodedOffset: marker.lowerBound), map.sourceOffset(forDecodedOffset: marker.upperBound))
            }
            return diagnostic("LC130", file, "stage \(stage.displayName) is a generated \(shape) snippet" + (family.map { ", convertible to template \($0)" } ?? ""),
                              span, help: "convert it to a template stage so that drift is checked and refreshes apply")
        }
    }
}
