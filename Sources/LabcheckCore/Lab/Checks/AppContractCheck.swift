/// LC120-LC122: a template stage's app, action/task and args against the app contract
/// (`rules/apps/<app>.toml`) and the template's own args.
public struct AppContractCheck: LabFileCheck {
    public static let descriptions = [
        CheckDescription(
            id: "LC120", slug: "unknown-app-action", severity: .error,
            summary: "unknown app, or unknown action/task for the app",
            what: "Reports a template stage whose `app` has no contract in the loaded rules, or whose `action`/`task` the app's contract does not declare.",
            why: "The orchestrator dispatches a stage by app and action: an unknown one fails only when the lab runs.",
            example: "app = \"example_project\"\naction = \"reference_alocator\"    # did you mean 'reference_allocator'?",
            fix: "Correct the name, or add the app or action to its contract (`rules/apps/<app>.toml`, or a repository rules directory).",
            triggering: [.lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = 3\napp = ↓'nope_project'\naction = 'x'\n"),
                         .lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = 3\napp = 'example_project'\naction = ↓'reference_alocator'\n")],
            nonTriggering: [.lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = 3\napp = 'example_project'\naction = 'reference_allocator'\n[m.args]\ntime_horizon = 16\n"),
                            .lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_install.app'\ntemplate_version = 2\napp = 'example_project'\naction = 'install'\n")]
        ),
        CheckDescription(
            id: "LC121", slug: "unknown-action-arg", severity: .warning,
            summary: "unknown arg for the action (error in strict mode)",
            what: "Reports a key in a template stage's `args` that neither the template (its own orchestration args) nor the app action's contract declares, with the nearest known arg. A warning normally; an error in strict mode.",
            why: "An unknown arg is passed on and ignored, or rejected at run time: a typo (`time_horizn`) silently runs the action with its default.",
            example: "[pipeline.args]\ntime_horizn = 16     # did you mean 'time_horizon'?",
            fix: "Correct the name, or declare the arg in the app contract.",
            triggering: [.lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = 3\napp = 'example_project'\naction = 'reference_allocator'\n[m.args]\ntime_horizon = 1\n↓time_horizn = 16\n"),
                         .lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = 3\napp = 'example_project'\naction = 'reference_allocator'\n[m.args]\ntime_horizon = 1\n↓speed = 2\n", strict: true)],
            nonTriggering: [.lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = 3\napp = 'example_project'\naction = 'reference_allocator'\n[m.args]\ndata_in = 'network_sim/pipeline'\ntime_horizon = 16\n", strict: true)]
        ),
        CheckDescription(
            id: "LC122", slug: "invalid-action-arg", severity: .error,
            summary: "arg of the wrong type, or required arg missing",
            what: "Reports an arg whose value has the wrong type for its declaration (template or app contract), and a required arg that is missing.",
            why: "A wrong type (`time_horizon = \"16\"`) or a missing required arg makes the action fail, or worse, compute with a coerced value.",
            example: "[pipeline.args]\ntime_horizon = \"16\"     # declared integer",
            fix: "Give the value the declared type, and add required args. Declarations are in `rules/apps/<app>.toml` and the template's `[args]`.",
            triggering: [.lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = 3\napp = 'example_project'\naction = 'reference_allocator'\n[m.args]\ntime_horizon = ↓'16'\n"),
                         .lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = 3\napp = 'example_project'\naction = 'reference_allocator'\n[m.args]\nmode = ↓'fast'\ntime_horizon = 1\n"),
                         .lab("[[m]]\nkind = 'template'\ntemplate_id = ↓'pipeline.agi_run.single_action'\ntemplate_version = 3\napp = 'example_project'\naction = 'reference_allocator'\n")],
            nonTriggering: [.lab("[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = 3\napp = 'example_project'\naction = 'reference_allocator'\n[m.args]\ntime_horizon = 16\nmode = 4\n")]
        ),
    ]

    public init() {}

    public func check(_ file: LabFile, context: CheckContext) -> [Diagnostic] {
        let c = context.conventions
        var out: [Diagnostic] = []
        for stage in file.stages where stage.kind.isTemplate {
            let t = stage.table
            let family = t[c.templateIDKey]?.string.flatMap { context.rules.templates[$0] }
            var appSpecs: [ArgSpec]? = nil
            if let appNode = t[c.appKey], let app = appNode.string {
                if let contract = context.rules.apps[app] {
                    let actionNode = t[c.actionKey] ?? t[c.taskKey]
                    let isTask = t[c.actionKey] == nil
                    if let actionNode, let action = actionNode.string {
                        let declared = isTask ? contract.tasks : contract.actions
                        if let specs = declared[action] {
                            appSpecs = specs
                        } else if action == family?.builtinAction {
                            appSpecs = []
                        } else {
                            let candidates = Array(declared.keys) + (family?.builtinAction.map { [$0] } ?? [])
                            let help = NearestName.suggestion(for: action, among: candidates).map { "did you mean '\($0)'?" }
                                ?? "\(isTask ? "tasks" : "actions") of \(app): \(candidates.sorted().joined(separator: ", "))"
                            out.append(diagnostic("LC120", file, "app '\(app)' has no \(isTask ? "task" : "action") '\(action)' (stage \(stage.displayName))",
                                                  actionNode.span, help: help, notes: ["contract: \(contract.path)"]))
                        }
                    }
                } else {
                    let help = NearestName.suggestion(for: app, among: Array(context.rules.apps.keys)).map { "did you mean '\($0)'?" }
                        ?? "add its contract as rules/apps/\(app).toml in a repository rules directory"
                    out.append(diagnostic("LC120", file, "unknown app '\(app)' (stage \(stage.displayName)): no contract in the loaded rules", appNode.span, help: help))
                }
            }
            guard let family else { continue }
            let argsEntry = t.entry(c.argsKey)
            let args = argsEntry?.value.table
            let anchor = argsEntry?.keySpan ?? (t[c.templateIDKey]?.span ?? stage.span)
            // The template args of the version the stage is saved at (a stale stage is checked
            // against its own version; LC111 reports the drift).
            let savedArgs = StageClassifier.savedVersion(t[c.templateVersionKey]).flatMap { family.at($0)?.args } ?? family.args
            let allSpecs = savedArgs + (appSpecs ?? [])
            // A stale stage may still carry args its migrations rename or remove: LC111 reports
            // those, so they are not unknown here.
            var migratedAway = Set<String>()
            if let saved = t[c.templateVersionKey]?.integer, saved >= 1, Int(clamping: saved) < family.version {
                for step in family.migrationPath(from: Int(clamping: saved)) ?? [] {
                    migratedAway.formUnion(step.rename.map(\.old))
                    migratedAway.formUnion(step.remove)
                }
            }
            for entry in args?.entries ?? [] where !migratedAway.contains(entry.key) {
                guard let spec = allSpecs.first(where: { $0.name == entry.key }) else {
                    // Without the app's declarations an app arg cannot be judged unknown.
                    guard appSpecs != nil else { continue }
                    let help = NearestName.suggestion(for: entry.key, among: allSpecs.map(\.name)).map { "did you mean '\($0)'?" }
                        ?? "known args: \(allSpecs.map(\.name).sorted().joined(separator: ", "))"
                    out.append(Diagnostic(id: "LC121", severity: context.strictSeverity,
                                          message: "unknown arg 'args.\(entry.key)' for \(t[c.actionKey] != nil ? "action" : "task") '\((t[c.actionKey] ?? t[c.taskKey])?.string ?? "?")' of \(t[c.appKey]?.string ?? "?") (stage \(stage.displayName))",
                                          file: file.path, span: entry.keySpan, in: file.source, help: help))
                    continue
                }
                if !spec.type.accepts(entry.value.value) {
                    out.append(diagnostic("LC122", file, "arg 'args.\(entry.key)' of stage \(stage.displayName) must be \(article(spec.type.rawValue)), found \(article(entry.value.value.typeName))",
                                          entry.value.span, help: "declared in \(appSpecs?.contains { $0.name == spec.name } == true ? "the app contract" : family.path)"))
                } else if let items = spec.items, let array = entry.value.array {
                    for item in array.items where !items.accepts(item.value) {
                        out.append(diagnostic("LC122", file, "items of arg 'args.\(entry.key)' must be \(items.rawValue)s, found \(article(item.value.typeName))", item.span))
                    }
                }
            }
            for spec in allSpecs where spec.required && args?[spec.name] == nil {
                out.append(diagnostic("LC122", file, "stage \(stage.displayName) is missing required arg '\(spec.name)'", anchor,
                                      help: "add `\(spec.name) = ...` under [\(stage.module).args]"))
            }
        }
        return out
    }

    private func article(_ word: String) -> String {
        (["a", "e", "i", "o", "u"].contains(word.first.map(String.init) ?? "") ? "an " : "a ") + word
    }
}
