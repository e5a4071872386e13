import ArgumentParser
import Foundation
import LabcheckCore
import LabcheckGit
import LabcheckTOML

/// `labcheck rules`: every loaded rules file and where it came from.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "List the loaded rules: bundled, plus the repository's own (read from the snapshot) when run in a repository."
    )

    @OptionGroup var snapshotOptions: SnapshotOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try output.requireTextOrJSON("rules")
        var rules = try BundledRules.load(log: output.log)
        var problems: [Diagnostic] = []
        var snapshotLabel = "none (not in a git repository)"
        do {
            let workspace = try snapshotOptions.openWorkspace(bundledRules: rules, log: output.log)
            (rules, problems, snapshotLabel) = (workspace.configuration.rules, workspace.configuration.problems, workspace.snapshot.label)
        } catch GitError.notARepository {
            // Only "no repository here" falls back; any other failure is reported as such.
            output.log("not in a git repository: bundled rules only")
        }
        if output.format == .json {
            print(Self.json(rules, snapshot: snapshotLabel))
        } else {
            for file in rules.files {
                var line = "\(file.category.padding(9))\(file.id.padding(34))\(file.origin.kind.padding(11))\(file.path)"
                if file.category == "template", let t = rules.templates[file.id], file.replacedBy == nil {
                    line = "\(file.category.padding(9))\("\(file.id) v\(t.version)".padding(34))\(file.origin.kind.padding(11))\(file.path)"
                }
                if let by = file.replacedBy { line += "  (replaced by \(by))" }
                print(TerminalText.sanitize(line))
            }
        }
        if problems.contains(where: { $0.severity == .error }) { throw WorkspaceError.invalidConfiguration(problems) }
    }

    static func json(_ rules: RuleSet, snapshot: String) -> String {
        func q(_ s: String) -> String { JSONText.quoted(s) }
        func args(_ specs: [ArgSpec]) -> String {
            "[" + specs.map { "{\"name\": \(q($0.name)), \"type\": \(q($0.type.rawValue)), \"required\": \($0.required)}" }.joined(separator: ", ") + "]"
        }
        let files = rules.files.map { f in
            "{\"category\": \(q(f.category)), \"id\": \(q(f.id)), \"path\": \(q(f.path)), \"origin\": \(q(f.origin.kind)), \"replaced_by\": \(f.replacedBy.map(q) ?? "null")}"
        }
        let templates = rules.templates.values.sorted { $0.id < $1.id }.map { t in
            "{\"id\": \(q(t.id)), \"version\": \(t.version), \"shape\": \(t.shape.map(q) ?? "null"), \"path\": \(q(t.path)), \"args\": \(args(t.args)), "
                + "\"migrations\": [" + t.migrations.map { "{\"from\": \($0.from), \"to\": \($0.to), \"summary\": \(q($0.summary))}" }.joined(separator: ", ") + "]}"
        }
        let apps = rules.apps.values.sorted { $0.app < $1.app }.map { a in
            "{\"app\": \(q(a.app)), \"path\": \(q(a.path)), \"actions\": [" + a.actions.keys.sorted().map { "{\"name\": \(q($0)), \"args\": \(args(a.actions[$0]!))}" }.joined(separator: ", ")
                + "], \"tasks\": [" + a.tasks.keys.sorted().map { "{\"name\": \(q($0)), \"args\": \(args(a.tasks[$0]!))}" }.joined(separator: ", ") + "]}"
        }
        let schemas = rules.schemas.values.sorted { $0.id < $1.id }.map { "{\"id\": \(q($0.id)), \"path\": \(q($0.path)), \"keys\": \($0.keys.count)}" }
        let presets = rules.contractPresets.keys.sorted().map(q)
        return "{\n  \"schema\": \"labcheck.rules\",\n  \"version\": 1,\n  \"snapshot\": \(q(snapshot)),\n"
            + "  \"files\": [\n    " + files.joined(separator: ",\n    ") + "\n  ],\n"
            + "  \"templates\": [\n    " + templates.joined(separator: ",\n    ") + "\n  ],\n"
            + "  \"apps\": [\n    " + apps.joined(separator: ",\n    ") + "\n  ],\n"
            + "  \"schemas\": [\n    " + schemas.joined(separator: ",\n    ") + "\n  ],\n"
            + "  \"contract_presets\": [" + presets.joined(separator: ", ") + "]\n}"
    }
}
