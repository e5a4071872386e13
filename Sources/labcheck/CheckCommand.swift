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

    @Flag(name: .long, help: "Do not read or write labcheck's cache.")
    var noCache = false

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

    /// The ratchet (DESIGN §11): the findings of the snapshot minus those of the diff base,
    /// matched as a multiset of fingerprints (`DiagnosticFingerprint`: no line numbers; lab
    /// findings by the file after renames), so a finding that moved is not new and two of a
    /// kind where there was one is.
    static func onlyNew(_ findings: [Diagnostic], workspace: Workspace, rules: RuleSet, strict: Bool, cache: ImportScanCache,
                        log: (String) -> Void) throws -> [Diagnostic] {
        let base = try workspace.diffBase()
        let configuration = try RepositoryConfiguration.load(base, bundled: rules)
        guard !configuration.isInvalid else {
            log("ratchet: the diff base's configuration is invalid; every finding counts as new")
            return findings
        }
        let baseRun = try Linter.run(LintRequest(snapshot: base, scope: .all, configuration: configuration, strictFlag: strict, importCache: cache))
        let renames = try workspace.renames()
        var counts: [String: Int] = [:]
        for d in baseRun.diagnostics { counts[DiagnosticFingerprint.of(d, file: renames[d.file] ?? d.file), default: 0] += 1 }
        var out: [Diagnostic] = []
        for d in findings {
            let fingerprint = DiagnosticFingerprint.of(d)
            if let n = counts[fingerprint], n > 0, d.id != "LC001", d.id != "LC002" { counts[fingerprint] = n - 1 } else { out.append(d) }
        }
        log("ratchet: \(findings.count - out.count) finding(s) also at the diff base (\(base.label)\(renames.isEmpty ? "" : ", \(renames.count) rename(s) followed")), not reported")
        return out
    }

    /// Whether `--select`/`--ignore` keep a finding (configuration errors are always kept).
    func isSelected(_ d: Diagnostic) -> Bool {
        if d.id == "LC001" || d.id == "LC002" { return true }
        let id = d.id.uppercased()
        if !select.isEmpty && !select.contains(where: { id.hasPrefix($0.uppercased()) }) { return false }
        return !ignore.contains { id.hasPrefix($0.uppercased()) }
    }

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
        let rules = try BundledRules.load(log: output.log)
        let workspace = try snapshotOptions.openWorkspace(bundledRules: rules, log: output.log)
        output.log("timing: rules, snapshot and diff base read in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
        let cache = noCache ? ImportScanCache() : ImportCacheStore.load(workspace.repository, log: output.log)
        var request = workspace.lintRequest(strictFlag: strict, importCache: cache)
        request.verbose = output.verbose
        let result = try Linter.run(request)
        if noCache { output.log("import cache: off (--no-cache)") } else { ImportCacheStore.save(result.importCache, to: workspace.repository, log: output.log) }
        let snapshot = workspace.snapshot
        result.log.forEach(output.log)
        output.log("timing: checks done at \(Int(Date().timeIntervalSince(started) * 1000)) ms")
        var findings = result.diagnostics
        if newOnly { findings = try Self.onlyNew(findings, workspace: workspace, rules: rules, strict: strict, cache: result.importCache, log: output.log) }
        let reported = findings.filter(isSelected)
        if reported.count != result.diagnostics.count { output.log("filter: \(result.diagnostics.count - reported.count) finding(s) not reported (--select/--ignore)") }
        var context = RunContext(snapshot: snapshot.label, filesChecked: result.filesChecked)
        context.suppressed = result.suppressed
        context.files = result.files
        context.pythonNotChecked = result.pythonNotChecked
        try output.emit(reported, context: context)
        let code = result.configurationInvalid ? ExitStatus.usage
            : (reported.contains { $0.severity == .error } && !exitZero ? ExitStatus.findings : ExitStatus.clean)
        // Everything is printed and the cache is written: exit now rather than spend time
        // freeing the graph and the results.
        ProcessExit.now(code)
    }
}
