import ArgumentParser
import Foundation
import LabcheckCore
import LabcheckGit

/// `labcheck render FILE STAGE`: the Python view of a template stage.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the Python a template stage renders to, at the version it is saved at (--current: after a refresh).",
        discussion: """
        STAGE is a stage id, `module[id]`, or `module[#n]` (1-based position). A template stage \
        renders with its family's text of the version it is saved at, which is what its stored \
        code must equal (LC114); --current applies the declared migrations and renders the \
        registry's current version: what `labcheck --fix-explicit` would write. A raw_python or \
        legacy stage prints its stored code.
        """
    )

    @Argument(help: "The lab file, repository-relative.") var file: String
    @Argument(help: "The stage: id, module[id] or module[#n].") var stage: String
    @OptionGroup var snapshotOptions: SnapshotOptions
    @Flag(name: .long, help: "Render the registry's current version, after applying the declared migrations (what a refresh writes).")
    var current = false
    @Flag(name: [.short, .long], help: "Say what was read (on stderr).") var verbose = false

    func run() throws {
        let log: (String) -> Void = { if verbose { FileHandle.standardError.write(Data("labcheck: \(TerminalText.sanitize($0))\n".utf8)) } }
        let workspace = try snapshotOptions.openWorkspace(bundledRules: try BundledRules.load(log: log), log: log)
        try workspace.requireValidConfiguration()
        let (rules, conventions, snapshot) = (workspace.configuration.rules, try workspace.conventions(), workspace.snapshot)
        let path = file.hasPrefix("./") ? String(file.dropFirst(2)) : file
        guard snapshot.paths.contains(path) else {
            throw CommandFailure(exitCode: ExitStatus.usage, message: "error: \(path) is not in the \(snapshot.label) snapshot")
        }
        let lab: LabFile
        switch LabFileReader.read(path: path, bytes: try snapshot.read(path), conventions: conventions) {
        case .success(let f): lab = f
        case .failure(let e): throw CommandFailure(exitCode: ExitStatus.findings, message: "error: \(e.diagnostic.file):\(e.diagnostic.start): \(e.diagnostic.message)")
        }
        let matches = lab.stages.filter { $0.displayName == stage || $0.id == stage }
        guard matches.count == 1, let target = matches.first else {
            let names = lab.stages.map(\.displayName).joined(separator: ", ")
            throw CommandFailure(exitCode: ExitStatus.usage, message: matches.isEmpty
                ? "error: no stage '\(stage)' in \(path); stages: \(names)"
                : "error: '\(stage)' names \(matches.count) stages in \(path); use module[id]: \(matches.map(\.displayName).joined(separator: ", "))")
        }
        guard target.kind.isTemplate else {
            guard let code = target.table[conventions.codeKey]?.string else {
                throw CommandFailure(exitCode: ExitStatus.findings, message: "error: stage \(target.displayName) is not a template stage and stores no code")
            }
            log("\(target.displayName) is not a template stage: printing its stored code")
            print(code, terminator: code.hasSuffix("\n") ? "" : "\n")
            return
        }
        guard let id = target.table[conventions.templateIDKey]?.string, let family = rules.templates[id] else {
            throw CommandFailure(exitCode: ExitStatus.findings, message: "error: stage \(target.displayName) uses an unknown template; run `labcheck check` for details")
        }
        guard let saved = StageClassifier.savedVersion(target.table[conventions.templateVersionKey]), family.at(saved) != nil || current else {
            throw CommandFailure(exitCode: ExitStatus.findings, message: "error: stage \(target.displayName) is saved at a version \(id) does not declare; run `labcheck check` for details")
        }
        do {
            if !current {
                log("\(target.displayName): \(id) v\(saved), as saved")
                print(try StageRendering.render(target, family: family, version: saved, conventions: conventions), terminator: "")
                return
            }
            let args = (target.table[conventions.argsKey]?.table?.entries ?? []).map { ($0.key, RenderValue($0.value)) }
            let migrated: [(String, RenderValue)]
            switch family.migrate(args, from: saved) {
            case .success(let a): migrated = a
            case .failure(let refusal):
                throw CommandFailure(exitCode: ExitStatus.findings, message: "error: cannot render \(target.displayName) at \(id) v\(family.version): \(refusal)")
            }
            guard let version = family.at(family.version) else {
                throw CommandFailure(exitCode: ExitStatus.findings, message: "error: \(id) declares no render for its current v\(family.version)")
            }
            log("\(target.displayName): \(id) v\(saved) refreshed to v\(family.version)")
            let fields = target.table.entries.filter { $0.key != conventions.argsKey }.map { ($0.key, RenderValue($0.value)) }
            let context = StageRendering.context(fields: fields, args: migrated, version: version)
            print(try StageRendering.render(version, of: family, context: context), terminator: "")
        } catch let error as TemplateRenderer.RenderError {
            throw CommandFailure(exitCode: ExitStatus.findings, message: "error: cannot render \(target.displayName) with \(id): \(error)")
        }
    }
}
