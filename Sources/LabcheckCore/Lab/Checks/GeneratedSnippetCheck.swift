import LabcheckTOML

/// LC130: a legacy stage whose code is a recognisable ORCHESTRATE-generated snippet, which
/// `labcheck convert` can turn into a template stage.
public struct GeneratedSnippetCheck: LabFileCheck {
    public static let descriptions = [
        CheckDescription(
            id: "LC130", slug: "convertible-generated-snippet", severity: .info,
            summary: "a legacy stage holds an ORCHESTRATE-generated snippet, convertible to a template (note)",
            what: "Notes (severity info) a D/Q/M/C stage whose code is a generated snippet that converts losslessly to a template stage: the generator's header markers (`rules/snippets/`) are present, the code has the shape of a version of a template family (its text byte for byte, its values read as literals, never run), and rendering the values found at that version reproduces the code. Names the family and version it becomes.",
            why: "A generated snippet stored as code never gets the orchestrator's updates: as a template stage it would be checked for drift and refreshed.",
            example: "C = '''\n# AGILAB generated snippet\n# generator: agilab.orchestrate\n...\n'''      # becomes pipeline.agi_install.app v5",
            fix: "Convert the stage to a template stage (`labcheck convert`, or by hand: kind = \"template\", the template id of its shape, its args).",
            triggering: [.lab("[[m]]\nC = '''\n↓# AGILAB generated snippet\n# generator: agilab.orchestrate\nAPP = \"demo_project\"\nMODES = 4\n'''\n")],
            nonTriggering: [.lab("[[m]]\nC = '''\nAPP = \"demo_project\"\nMODES = 4\n'''\n"),
                            .lab("[[m]]\nC = '''\n# AGILAB generated snippet\n# generator: agilab.orchestrate\nAPP = \"demo_project\"\nMODES = 4  # edited\n'''\n")]
        ),
    ]

    public init() {}

    public static var readsEveryStageInDepth: Bool { true }

    public func check(_ file: LabFile, context: CheckContext) -> [Diagnostic] {
        file.stages.compactMap { stage in
            guard let match = StageClassifier.generatedSnippet(stage, rules: context.rules, conventions: context.conventions),
                  let code = stage.table[context.conventions.codeKey] else { return nil }
            // Point at the generated-snippet marker inside the code, through the string's escapes.
            var span = code.span
            if let text = code.string, let marker = context.rules.snippetRecognizers.values.lazy.compactMap({ $0.firstMarkerRange(in: text) }).first,
               let map = TOMLStringSourceMap(source: file.source, span: code.span) {
                span = ByteSpan(map.sourceOffset(forDecodedOffset: marker.lowerBound), map.sourceOffset(forDecodedOffset: marker.upperBound))
            }
            let stale = match.version < match.family.version ? " (stale: the registry is at v\(match.family.version))" : ""
            return diagnostic("LC130", file, "stage \(stage.displayName) is a generated \(match.family.shape ?? "") snippet, convertible to template \(match.family.id) v\(match.version)\(stale)",
                              span, help: "`labcheck convert` shows the template stage it becomes; a template stage is checked for drift and refreshed by `labcheck --fix-explicit`")
        }
    }
}
