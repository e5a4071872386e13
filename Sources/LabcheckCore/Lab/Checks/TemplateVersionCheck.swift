/// LC110-LC113: a stage's template id and version against the registry, for template stages
/// and for AGILab's partial tagging (`template_id`/`template_version` on a D/Q/M/C stage).
public struct TemplateVersionCheck: LabFileCheck {
    public static let descriptions = [
        CheckDescription(
            id: "LC110", slug: "unknown-template", severity: .error,
            summary: "unknown template id (template stages, and AGILab's `template_id` tags on D/Q/M/C stages)",
            what: "Reports a `template_id` that no loaded template family defines.",
            why: "A stage of an unknown template cannot be rendered, checked for drift or refreshed: it was written for a registry this repository does not have, or the id is misspelt.",
            example: "template_id = \"pipeline.agi_run.single_actoin\"",
            fix: "Correct the id (`labcheck rules` lists the known ones), or add the family to a repository rules directory.",
            triggering: [.lab("[[m]]\nD = 'x'\ntemplate_id = ↓'generic.exeute'\ntemplate_version = 1\n")],
            nonTriggering: [.lab("[[m]]\nD = 'x'\ntemplate_id = 'generic.execute'\ntemplate_version = 1\n")]
        ),
        CheckDescription(
            id: "LC111", slug: "stale-template-version", severity: .error,
            summary: "stale template version: drift, with the migration path",
            what: "Reports a stage saved with an older version of its template than the registry's current one (drift), naming the stage, both versions and the migration path.",
            why: "A stale stage runs code the orchestrator no longer generates: renamed arguments (`workers_data_path` -> `workflow_share_root`) and new defaults are missing, so the lab silently diverges from what a fresh ORCHESTRATE export would run.",
            example: "[[pipeline]]\nkind = \"template\"\ntemplate_id = \"pipeline.agi_run.single_action\"\ntemplate_version = 1      # the registry is at 3",
            fix: "Run `labcheck --fix-explicit` to apply the declared migrations and record them as one refresh commit. A step with no declared migration cannot be refreshed automatically: edit the stage by hand and set `template_version` to the current version.",
            triggering: [.lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = ↓1\napp = 'example_project'\naction = 'reference_allocator'\n")],
            nonTriggering: [.lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = 3\napp = 'example_project'\naction = 'reference_allocator'\n[m.args]\ntime_horizon = 4\n")]
        ),
        CheckDescription(
            id: "LC112", slug: "template-version-ahead", severity: .error,
            summary: "template version ahead of the registry",
            what: "Reports a stage whose template version is newer than the registry's current version.",
            why: "The lab was written by a newer orchestrator than the rules this repository checks against; nothing here can render or migrate it correctly.",
            example: "template_version = 9     # the registry is at 3",
            fix: "Update the rules (upgrade labcheck, or bump the repository's template family), or restore the version the registry knows.",
            triggering: [.lab("[[m]]\nD = 'x'\ntemplate_id = 'generic.configure'\ntemplate_version = ↓2\n")],
            nonTriggering: [.lab("[[m]]\nD = 'x'\ntemplate_id = 'generic.configure'\ntemplate_version = 1\n")]
        ),
        CheckDescription(
            id: "LC113", slug: "invalid-template-version", severity: .error,
            summary: "template version not a positive integer",
            what: "Reports a `template_version` that is missing (on a tagged stage) or not a positive integer.",
            why: "Drift is measured by comparing versions; a version of \"3\", 0 or 2.5 cannot be compared, so the stage would escape the drift check.",
            example: "template_version = \"3\"     # a string",
            fix: "Write the version as a positive integer: `template_version = 3`.",
            triggering: [.lab("[[m]]\nD = 'x'\ntemplate_id = 'generic.configure'\ntemplate_version = ↓'1'\n"),
                         .lab("[[m]]\nD = 'x'\ntemplate_id = ↓'generic.configure'\n")],
            nonTriggering: [.lab("[[m]]\nD = 'x'\n")]
        ),
    ]

    public init() {}

    public func check(_ file: LabFile, context: CheckContext) -> [Diagnostic] {
        file.stages.compactMap { diagnose($0, in: file, context: context) }
    }

    /// The version diagnostic of one stage, if any.
    func diagnose(_ stage: LabStage, in file: LabFile, context: CheckContext) -> Diagnostic? {
        let c = context.conventions
        guard let idNode = stage.table[c.templateIDKey], let templateID = idNode.string else { return nil }
        let tagged = !stage.kind.isTemplate
        let what = tagged ? "tagged stage \(stage.displayName)" : "template stage \(stage.displayName)"
        guard let versionNode = stage.table[c.templateVersionKey] else {
            guard tagged else { return nil }
            return diagnostic("LC113", file, "\(what) has template_id '\(templateID)' but no template_version", idNode.span, help: "add `template_version = N`")
        }
        let versionSpan = versionNode.span
        guard let version = StageClassifier.savedVersion(versionNode) else {
            let shown = versionNode.integer.map { String($0) } ?? "a \(versionNode.value.typeName)"
            return diagnostic("LC113", file, "template_version of \(what) must be a positive integer, found \(shown)", versionSpan,
                              help: "write it as `template_version = N`")
        }
        guard let family = context.rules.templates[templateID] else {
            let help = NearestName.suggestion(for: templateID, among: Array(context.rules.templates.keys)).map { "did you mean '\($0)'?" }
                ?? "`labcheck rules` lists the known template ids"
            return diagnostic("LC110", file, "\(what) uses unknown template '\(templateID)'", idNode.span, help: help)
        }
        if version > family.version {
            return diagnostic("LC112", file, "\(what) uses \(templateID) v\(version), newer than the registry's v\(family.version)",
                              versionSpan, help: "the lab was written by a newer orchestrator: update the rules (\(family.path)) or restore v\(family.version)")
        }
        guard version < family.version else { return nil }
        let (path, refreshable) = Self.describePath(family, from: version)
        let help = refreshable
            ? "refresh it with `labcheck --fix-explicit`, which applies the migrations and records them as one refresh commit"
            : "no migration is declared for every step, so it cannot be refreshed automatically: update the stage by hand to v\(family.version)"
        return diagnostic("LC111", file, "\(what) is stale: saved with \(templateID) v\(version), the registry is at v\(family.version)",
                          versionSpan, help: help, notes: ["migration path: " + path])
    }

    /// The migration path from `version` in words, and whether every step is declared.
    static func describePath(_ family: TemplateFamily, from version: Int) -> (String, Bool) {
        if let steps = family.migrationPath(from: version) {
            return (steps.map(\.summary).joined(separator: ", then "), true)
        }
        var parts: [String] = []
        for v in version..<family.version {
            parts.append(family.migration(from: v) == nil ? "v\(v) -> v\(v + 1) (not declared)" : "v\(v) -> v\(v + 1)")
        }
        return (parts.joined(separator: ", then "), false)
    }
}
