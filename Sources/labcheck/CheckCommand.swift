import ArgumentParser
import Foundation
import LabcheckCore
import LabcheckGit

/// Output options shared by commands that print diagnostics.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: text, json, sarif (2.1.0), github (workflow commands), gitlab (Code Quality), junit.")
    var format: FormatChoice = .text

    @Option(name: .long, help: "Write the chosen format to this file; the text report still goes to the terminal.")
    var output: String?

    @Option(name: .long, help: "Colour: auto (only on a terminal), always, never. NO_COLOR always wins.")
    var color: ColorChoice = .auto

    @Flag(name: [.short, .long], help: "Say what was read and decided (on stderr).")
    var verbose = false

    enum FormatChoice: String, ExpressibleByArgument, CaseIterable { case text, json, sarif, github, gitlab, junit }
    enum ColorChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

    /// The parsed values (what every method here acts on).
    var settings: OutputSettings { OutputSettings(format: format, output: output, color: color, verbose: verbose) }

    var useColor: Bool { settings.useColor }
    func render(_ diagnostics: [Diagnostic], context: RunContext) -> String { settings.render(diagnostics, context: context) }
    func render(_ diagnostics: [Diagnostic], context: RunContext, as format: FormatChoice) -> String { settings.render(diagnostics, context: context, as: format) }
    func emit(_ diagnostics: [Diagnostic], context: RunContext) throws { try settings.emit(diagnostics, context: context) }
    func requireTextOrJSON(_ command: String) throws { try settings.requireTextOrJSON(command) }
    func log(_ line: String) { settings.log(line) }
}

/// `OutputOptions`' values as plain values: made by ArgumentParser's parse, or directly for
/// the hook's command lines (`LaunchPlan.preparsedCheck`).
struct OutputSettings: Equatable, Sendable {
    typealias FormatChoice = OutputOptions.FormatChoice
    var format: FormatChoice = .text
    var output: String? = nil
    var color: OutputOptions.ColorChoice = .auto
    var verbose = false

    /// Whether text output gets ANSI colour.
    var useColor: Bool {
        if let noColor = ProcessInfo.processInfo.environment["NO_COLOR"], !noColor.isEmpty { return false }
        switch color {
        case .always: return true
        case .never: return false
        case .auto: return isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        }
    }

    /// Renders diagnostics in the chosen format.
    func render(_ diagnostics: [Diagnostic], context: RunContext) -> String { render(diagnostics, context: context, as: format) }

    func render(_ diagnostics: [Diagnostic], context: RunContext, as format: FormatChoice) -> String {
        switch format {
        case .text: return TextReporter(color: useColor).render(diagnostics, context: context)
        case .json: return JSONReporter().render(diagnostics, context: context)
        case .sarif: return SARIFReporter(toolVersion: Labcheck.version).render(diagnostics, context: context)
        case .github: return GitHubReporter().render(diagnostics, context: context)
        case .gitlab: return GitLabReporter().render(diagnostics, context: context)
        case .junit: return JUnitReporter().render(diagnostics, context: context)
        }
    }

    /// Prints the report: the chosen format on stdout, or with `--output FILE`, the chosen
    /// format in FILE (written to a temporary file and renamed) and the text report on stdout.
    /// GitHub shows only a few annotations per step, so its format is always followed by the
    /// text report.
    func emit(_ diagnostics: [Diagnostic], context: RunContext) throws {
        if let output {
            let data = Data(render(diagnostics, context: context).utf8)
            let url = URL(fileURLWithPath: output)
            do { try data.write(to: url, options: .atomic) } catch {
                throw CommandFailure(exitCode: ExitStatus.usage, message: "error: cannot write --output \(output): \(error.localizedDescription)")
            }
            print(render(diagnostics, context: context, as: .text), terminator: "")
            return
        }
        print(render(diagnostics, context: context), terminator: "")
        if format == .github { print(render(diagnostics, context: context, as: .text), terminator: "") }
    }

    /// For commands whose output is not a list of findings: only text and JSON, no --output.
    func requireTextOrJSON(_ command: String) throws {
        guard format == .text || format == .json else {
            throw CommandFailure(exitCode: ExitStatus.usage, message: "error: `labcheck \(command)` writes text or json, not \(format.rawValue)")
        }
        guard output == nil else { throw CommandFailure(exitCode: ExitStatus.usage, message: "error: --output goes with `labcheck check`") }
    }

    func log(_ line: String) {
        if verbose { FileHandle.standardError.write(Data("labcheck: \(TerminalText.sanitize(line))\n".utf8)) }
    }
}

/// `labcheck check`: lint one snapshot (the default command).
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a snapshot of the repository (default: the staged content).",
        discussion: """
        Snapshots: --staged (default) reads the index, exactly what would be committed, honouring \
        GIT_INDEX_FILE and GIT_DIR as git sets them for hooks; --rev REV reads a commit's tree \
        (works in bare repositories); --worktree reads the files on disk. Only files touched \
        between the diff base and the snapshot are checked, unless --all. The diff base is HEAD \
        for --staged and --worktree (the empty tree before the first commit), REV's first parent \
        for --rev, or the merge-base of --base REV and the checked commit (as git diff REV...HEAD).
        """
    )

    @OptionGroup var snapshotOptions: SnapshotOptions

    @Flag(name: .long, help: "Do not read or write labcheck's caches (the output is the same).")
    var noCache = false

    @Option(name: .customLong("cache-dir"), help: "Keep labcheck's caches in this directory (also: LABCHECK_CACHE_DIR; default: the git directory's labcheck/), e.g. one CI keeps between runs.")
    var cacheDir: String?

    @Flag(name: .long, help: "Strict mode: unknown keys and args are errors (also: strict = true in .labcheck.toml or [__meta__]).")
    var strict = false

    @Option(name: .long, parsing: .upToNextOption, help: "Report only these checks: ids or prefixes (LC3, LC111). LC001/LC002 are always reported.")
    var select: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: "Do not report these checks: ids or prefixes. LC001/LC002 are always reported.")
    var ignore: [String] = []

    @Flag(name: .long, help: "Report only findings absent at the diff base (matched by fingerprint, not line): adopt labcheck on a repository with existing violations.")
    var newOnly = false

    @Flag(name: .long, help: "Exit 0 even when errors are found (configuration and git failures still exit 2 and 3).")
    var exitZero = false

    @Flag(name: .customLong("fix-explicit"), help: "Refresh every stale template stage of HEAD that has a declared migration path, as one commit (DESIGN §6).")
    var fixExplicit = false

    @Flag(name: .long, help: "With --fix-explicit: print the diff, write nothing.")
    var dryRun = false

    @Flag(name: .long, help: "With --fix-explicit: write only the index and the work tree (no commit; for signed commits).")
    var noCommit = false

    @Flag(name: .long, help: "With --fix-explicit: refresh what can be refreshed even when some stale stages cannot.")
    var partial = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if !fixExplicit && (dryRun || noCommit || partial) {
            throw ValidationError("--dry-run, --no-commit and --partial go with --fix-explicit")
        }
        for pattern in select + ignore where pattern.range(of: #"^LC\d{0,3}$"#, options: [.regularExpression, .caseInsensitive]) == nil {
            throw ValidationError("'\(pattern)' is not a check id or prefix (LC111, LC3)")
        }
        for pattern in select + ignore where !CheckRegistry.descriptions.contains(where: { $0.id.hasPrefix(pattern.uppercased()) }) {
            throw ValidationError("'\(pattern)' matches no check; `labcheck explain` lists them")
        }
    }

    /// The snapshot's label, as `GitSnapshot` names it.
    static func label(_ mode: SnapshotMode) -> String {
        switch mode {
        case .staged: return "staged"
        case .revision(let rev): return "rev:\(rev)"
        case .worktree: return "worktree"
        }
    }

    /// The parsed command line as plain values.
    var settings: CheckSettings {
        CheckSettings(request: snapshotOptions.workspaceRequest, noCache: noCache, cacheDir: cacheDir, strict: strict, select: select,
                      ignore: ignore, newOnly: newOnly, exitZero: exitZero, fixExplicit: fixExplicit, dryRun: dryRun, noCommit: noCommit,
                      partial: partial, output: output.settings)
    }

    func run() throws { try settings.run() }
}

/// What `labcheck check` was asked, as plain values: from ArgumentParser's parse
/// (`CheckCommand.settings`) or, for the command lines a hook runs, from
/// `LaunchPlan.preparsedCheck` without it. Runs the check.
struct CheckSettings: Equatable {
    var request = WorkspaceRequest(mode: .staged)
    var noCache = false
    var cacheDir: String? = nil
    var strict = false
    var select: [String] = []
    var ignore: [String] = []
    var newOnly = false
    var exitZero = false
    var fixExplicit = false
    var dryRun = false
    var noCommit = false
    var partial = false
    var output = OutputSettings()

    /// Whether `--select`/`--ignore` keep a finding (configuration errors are always kept).
    func isSelected(_ d: Diagnostic) -> Bool {
        if d.id == "LC001" || d.id == "LC002" { return true }
        let id = d.id.uppercased()
        if !select.isEmpty && !select.contains(where: { id.hasPrefix($0.uppercased()) }) { return false }
        return !ignore.contains { id.hasPrefix($0.uppercased()) }
    }

    func run() throws {
        if fixExplicit {
            do {
                ProcessExit.now(try FixExplicit(dryRun: dryRun, noCommit: noCommit, partial: partial, output: output).run())
            } catch let refused as WriteRefused {
                throw CommandFailure(exitCode: ExitStatus.usage, message: "refused: \(refused.message)")
            }
        }
        let started = Date()
        // The bundled rules need no git: loading them first overlaps libgit2's start-up, which
        // runs on another thread since the process began.
        let rules = try BundledRules.read(log: output.log)
        let run = try CheckRun(request: request, rules: rules, strict: strict, verbose: output.verbose,
                               cacheDir: cacheDir, noCache: noCache, log: output.log)
        output.log("timing: rules and snapshot identity read in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
        var (record, findings, suppressed) = try run.report()
        output.log("timing: checks done at \(Int(Date().timeIntervalSince(started) * 1000)) ms")
        if newOnly {
            // The ratchet (DESIGN §11): only findings absent at the diff base, matched as a
            // multiset of fingerprints (lab findings by the file after renames).
            let renames = run.nothingChanged ? [:] : try run.workspace().renames()
            let fresh = ReportSelection.subtract(findings, base: try run.baseFindings(), renames: renames)
            output.log("ratchet: \(findings.count - fresh.count) finding(s) also at the diff base\(renames.isEmpty ? "" : " (\(renames.count) rename(s) followed)"), not reported")
            findings = fresh
        }
        run.finish()
        let reported = findings.filter(isSelected)
        if reported.count != findings.count { output.log("filter: \(findings.count - reported.count) finding(s) not reported (--select/--ignore)") }
        var context = RunContext(snapshot: CheckCommand.label(request.mode), filesChecked: record.filesChecked)
        context.suppressed = suppressed
        context.files = (record.labFiles, record.pythonFiles, record.configFiles)
        context.pythonNotChecked = record.pythonNotChecked
        try output.emit(reported, context: context)
        let code = record.configurationInvalid ? ExitStatus.usage
            : (reported.contains { $0.severity == .error } && !exitZero ? ExitStatus.findings : ExitStatus.clean)
        // Everything is printed and the cache is written: exit now rather than spend time
        // freeing the graph and the results.
        ProcessExit.now(code)
    }
}
