import ArgumentParser
import Foundation
import LabcheckCore
import LabcheckGit
import LabcheckTOML

/// `labcheck status`: one row per stage with its class (DESIGN §2).
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every stage of every lab file with its class and template versions.",
        discussion: "Reads the same snapshot as `check` (default: the staged content) and lists all lab files in it."
    )

    @OptionGroup var snapshotOptions: SnapshotOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try output.requireTextOrJSON("status")
        let workspace = try snapshotOptions.openWorkspace(bundledRules: try BundledRules.load(log: output.log), log: output.log)
        try workspace.requireValidConfiguration()
        let (configuration, conventions, snapshot) = (workspace.configuration, try workspace.conventions(), workspace.snapshot)
        var rows: [StageStatus] = []
        var unreadable: [Diagnostic] = []
        for path in snapshot.paths where configuration.isStageFile(path) {
            switch LabFileReader.read(path: path, bytes: try snapshot.read(path), conventions: conventions) {
            case .success(let file): rows += file.stages.map { StageClassifier.status($0, in: file, rules: configuration.rules, conventions: conventions) }
            case .failure(let error): unreadable.append(error.diagnostic)
            }
        }
        if output.format == .json {
            print(Self.json(rows, snapshot: snapshot.label, unreadable: unreadable))
        } else {
            print(Self.table(rows), terminator: "")
            if !unreadable.isEmpty {
                print(output.render(unreadable, context: RunContext(snapshot: snapshot.label, filesChecked: unreadable.count)), terminator: "")
            }
        }
        if !unreadable.isEmpty { throw CommandFailure(exitCode: ExitStatus.findings, message: "") }
    }

    static func table(_ rows: [StageStatus]) -> String {
        let header = ["FILE", "MODULE", "STAGE", "KIND", "CLASS", "TEMPLATE", "SAVED", "CURRENT"]
        let cells = rows.map { r in
            [TerminalText.linePath(r.file), r.module, r.stage, r.kind, r.stageClass.rawValue + (r.generatedShape.map { " (\($0))" } ?? ""),
             r.templateID ?? "-", r.savedVersion.map(String.init) ?? "-", r.currentVersion.map(String.init) ?? "-"]
                .map(TerminalText.sanitize)
        }
        var widths = header.map(\.count)
        for row in cells { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ row: [String]) -> String {
            row.enumerated().map { i, c in i == row.count - 1 ? c : c.padding(widths[i] + 1) }.joined().trimmingTrailingSpaces + "\n"
        }
        return line(header) + cells.map(line).joined() + (rows.isEmpty ? "(no stages)\n" : "")
    }

    static func json(_ rows: [StageStatus], snapshot: String, unreadable: [Diagnostic]) -> String {
        func opt(_ s: String?) -> String { s.map(JSONText.quoted) ?? "null" }
        func opt(_ i: Int?) -> String { i.map(String.init) ?? "null" }
        let items = rows.map { r in
            "    {\"file\": \(JSONText.quoted(r.file)), \"module\": \(JSONText.quoted(r.module)), \"stage\": \(JSONText.quoted(r.stage)), "
                + "\"id\": \(opt(r.id)), \"kind\": \(JSONText.quoted(r.kind)), \"class\": \(JSONText.quoted(r.stageClass.rawValue)), "
                + "\"template_id\": \(opt(r.templateID)), \"saved_version\": \(opt(r.savedVersion)), \"current_version\": \(opt(r.currentVersion)), "
                + "\"generated_shape\": \(opt(r.generatedShape))}"
        }
        let files = unreadable.map { "\(JSONText.quoted($0.file))" }.joined(separator: ", ")
        return "{\n  \"schema\": \"labcheck.status\",\n  \"version\": 1,\n  \"snapshot\": \(JSONText.quoted(snapshot)),\n  \"stages\": [\n"
            + items.joined(separator: ",\n") + "\n  ],\n  \"unreadable_files\": [\(files)]\n}"
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
