import ArgumentParser
import Foundation
import LabcheckCore
import LabcheckGit

/// `labcheck convert`: what converting older labs does, stage by stage (DESIGN §2); with
/// `--fix-explicit` it writes that as one commit, under the same rules as a refresh.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Report how every legacy stage converts: to a template stage (generated snippets, losslessly) or to raw_python.",
        discussion: """
        Every lab file of the snapshot (default: staged), or the FILEs given. A stage whose code is \
        a generated snippet becomes a template stage when rendering it at the version found \
        reproduces the code byte for byte (line endings compared as Python reads them); any other \
        legacy stage without a kind becomes raw_python, and the report says why (the first line \
        that differs from the closest template); free-form kind labels, tagged, template and \
        raw_python stages are left as they are. Nothing is written unless --fix-explicit, which \
        writes the conversion of HEAD's lab files as one commit (and into the index and the work \
        tree), like `labcheck --fix-explicit`: --dry-run prints the diff, --no-commit writes only \
        the index and the work tree, --drop-code removes the code of converted template stages.
        """
    )

    @Argument(help: "Lab files to report on (repository-relative); default: every lab file.") var files: [String] = []
    @OptionGroup var snapshotOptions: SnapshotOptions
    @Flag(name: .customLong("fix-explicit"), help: "Write the conversion of HEAD's lab files as one commit.")
    var fixExplicit = false
    @Flag(name: .long, help: "With --fix-explicit: print the diff, write nothing.") var dryRun = false
    @Flag(name: .long, help: "With --fix-explicit: write only the index and the work tree.") var noCommit = false
    @Flag(name: .long, help: "With --fix-explicit: write what can be written even when some stages cannot.") var partial = false
    @Flag(name: .long, help: "With --fix-explicit: converted template stages keep no code (the seed's code-less shape).") var dropCode = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if !fixExplicit && (dryRun || noCommit || partial || dropCode) {
            throw ValidationError("--dry-run, --no-commit, --partial and --drop-code go with --fix-explicit")
        }
        if fixExplicit && !files.isEmpty { throw ValidationError("--fix-explicit converts every lab file of HEAD; it takes no FILE") }
    }

    func run() throws {
        try output.requireTextOrJSON("convert")
        if fixExplicit {
            do {
                let job = FixExplicit(job: .convert(dropCode: dropCode), dryRun: dryRun, noCommit: noCommit, partial: partial, output: output.settings)
                ProcessExit.now(try job.run())
            } catch let refused as WriteRefused {
                throw CommandFailure(exitCode: ExitStatus.usage, message: "refused: \(refused.message)")
            }
        }
        let workspace = try snapshotOptions.openWorkspace(bundledRules: try BundledRules.load(log: output.log), log: output.log)
        try workspace.requireValidConfiguration()
        let (configuration, conventions, snapshot) = (workspace.configuration, try workspace.conventions(), workspace.snapshot)
        let wanted = files.map { $0.hasPrefix("./") ? String($0.dropFirst(2)) : $0 }
        for path in wanted where !snapshot.paths.contains(path) {
            throw CommandFailure(exitCode: ExitStatus.usage, message: "error: \(path) is not in the \(snapshot.label) snapshot")
        }
        let paths = wanted.isEmpty ? snapshot.paths.filter(configuration.isStageFile) : wanted
        var plans: [StageConversion] = []
        var unreadable: [Diagnostic] = []
        for path in paths {
            switch LabFileReader.read(path: path, bytes: try snapshot.read(path), conventions: conventions) {
            case .success(let file): plans += ConversionPlanner.plan(file, rules: configuration.rules, conventions: conventions)
            case .failure(let error): unreadable.append(error.diagnostic)
            }
        }
        output.log("convert: \(paths.count) lab file(s), \(plans.count) stage(s)")
        if output.format == .json {
            print(ConversionPlanner.json(plans, snapshot: snapshot.label))
        } else {
            // Names and values come from the lab files: each line is sanitised for the terminal.
            let lines = ConversionPlanner.text(plans).split(separator: "\n", omittingEmptySubsequences: false)
            print(lines.map { TerminalText.sanitize(String($0)) }.joined(separator: "\n"), terminator: "")
        }
        if !unreadable.isEmpty {
            FileHandle.standardError.write(Data(TextReporter(color: false).render(unreadable, context: RunContext(snapshot: snapshot.label, filesChecked: unreadable.count)).utf8))
            throw CommandFailure(exitCode: ExitStatus.findings, message: "error: \(unreadable.count) lab file(s) could not be read; nothing about them is reported")
        }
    }
}
