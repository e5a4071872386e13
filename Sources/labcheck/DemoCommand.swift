import ArgumentParser
import Foundation
import LabcheckCore
import LabcheckGit

/// `labcheck demo`: builds a throw-away repository with a staged change that has real
/// problems, checks the staged snapshot and shows the diagnostics.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the staged check on a built-in throw-away repository and show the result."
    )

    @Flag(name: .long, help: "Keep the demo repository instead of deleting it.")
    var keep = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("labcheck-demo-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(at: directory) } }
        try DemoRepository.create(in: directory.path)
        // The demo repository is self-contained: ignore any GIT_* variables of the caller. It is
        // checked exactly as `labcheck check` checks (same scope), without caches.
        let run = try CheckRun(directory: directory.path, environment: [:], request: WorkspaceRequest(mode: .staged),
                               rules: try BundledRules.read(log: output.log), strict: false, verbose: output.verbose,
                               cacheDir: nil, noCache: true, log: output.log)
        let (record, findings, suppressed) = try run.report()
        var context = RunContext(snapshot: CheckCommand.label(.staged), filesChecked: record.filesChecked)
        context.suppressed = suppressed
        context.files = (record.labFiles, record.pythonFiles, record.configFiles)
        context.pythonNotChecked = record.pythonNotChecked
        let errors = DiagnosticSummary(findings).errors
        if output.format == .json {
            print(output.render(findings, context: context), terminator: "")
            return
        }
        print("""
        labcheck demo: a throw-away git repository at \(directory.path)
          committed:  \(DemoRepository.labPath), a clean lab with two stages
          staged:     a change to it adding a stage copied from an old lab, with real problems
          work tree:  a different, clean version of the file that is NOT staged

        $ labcheck check --staged        # what `git commit` would record

        """)
        print(output.render(findings, context: context))
        print("""
        The copy on disk is clean, but labcheck checks what is staged: as a pre-commit hook it \
        would block this commit (\(errors) error\(errors == 1 ? "" : "s"), exit code \(errors > 0 ? 1 : 0)). \
        \(keep ? "The repository is kept at \(directory.path)." : "Run `labcheck demo --keep` to keep the repository and explore it.")
        """)
    }
}
