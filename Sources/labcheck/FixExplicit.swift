import Foundation
import LabcheckCore
import LabcheckGit

/// `labcheck --fix-explicit` (= `labcheck check --fix-explicit`): refreshes every stale template
/// stage of HEAD that has a declared migration path and records it as one commit, with the same
/// edits in the index and the work tree (DESIGN §6). `--dry-run` prints the diff and writes
/// nothing; `--no-commit` writes only the index and the work tree, each refreshed on its own.
struct FixExplicit {
    let dryRun: Bool
    let noCommit: Bool
    let partial: Bool
    let output: OutputOptions

    func run() throws -> Int32 {
        let rules = try BundledRules.load(log: output.log)
        let cwd = FileManager.default.currentDirectoryPath
        let repository = try GitRepository(discoverFrom: cwd)
        if repository.headIsUnborn { throw WriteRefused(message: "HEAD has no commit yet: commit the lab files first, then refresh them") }
        // The plan is made on HEAD (what the commit is built from), with HEAD's configuration.
        let head = try Workspace(directory: cwd, request: WorkspaceRequest(mode: .revision("HEAD"), all: true), bundledRules: rules)
        head.log.forEach(output.log)
        try head.requireValidConfiguration()
        let conventions = try head.conventions()
        let configuration = head.configuration
        var files: [PlannedFile] = []
        var refreshes: [(String, StageRefresh)] = []
        var refusals: [(String, RefreshRefusal)] = []
        for path in head.snapshot.paths where configuration.isStageFile(path) {
            let bytes = try head.snapshot.read(path)
            guard case .success(let lab) = LabFileReader.read(path: path, bytes: bytes, conventions: conventions) else {
                refusals.append((path, RefreshRefusal(stage: "(file)", reason: "it does not parse in HEAD (`labcheck check --rev HEAD`)")))
                continue
            }
            let plan = RefreshPlanner.plan(lab, rules: configuration.rules, conventions: conventions)
            refusals += plan.refusals.map { (path, $0) }
            guard let newBytes = plan.bytes else { continue }
            refreshes += plan.refreshes.map { (path, $0) }
            files.append(PlannedFile(path: path, headBytes: bytes, newBytes: newBytes,
                                     replan: Self.replanner(path: path, head: lab, plan: plan, rules: configuration.rules, conventions: conventions)))
        }
        for (path, r) in refusals { print("labcheck: cannot refresh \(TerminalText.sanitize(path)): \(TerminalText.sanitize(r.stage)): \(TerminalText.sanitize(r.reason))") }
        if !refusals.isEmpty && !partial && !dryRun {
            throw WriteRefused(message: "\(refusals.count) stale stage(s) cannot be refreshed (listed above); nothing was written. Fix them by hand, or run with --partial to refresh the others")
        }
        if dryRun {
            for file in files { print(try RefreshWriter.unifiedDiff(path: file.path, old: file.headBytes, new: file.newBytes), terminator: "") }
            print("labcheck: --dry-run: \(refreshes.count) stage(s) would be refreshed; nothing was written")
            return refusals.isEmpty ? ExitStatus.clean : ExitStatus.findings
        }
        if noCommit {
            return try writeCopiesOnly(repository, configuration: configuration, conventions: conventions)
        }
        guard !files.isEmpty else {
            try reportStaleOutsideHead(repository, rules: rules)
            print("labcheck: nothing to refresh in HEAD")
            return ExitStatus.clean
        }
        let lines = refreshes.map { $0.1.line(file: $0.0) }
        let message = "labcheck: refresh \(lines.count) template stage\(lines.count == 1 ? "" : "s")\n\n" + lines.map { $0 + "\n" }.joined()
        let outcome = try RefreshWriter(repository: repository).write(files, message: message, commit: true)
        print("labcheck: refreshed \(lines.count) stage(s) in commit \(outcome.commit?.prefix(12) ?? "?") on \(outcome.ref ?? "?")")
        for line in lines { print("  " + TerminalText.sanitize(line)) }
        if !outcome.indexUpdated.isEmpty { print("  index updated: " + outcome.indexUpdated.joined(separator: ", ")) }
        if !outcome.worktreeUpdated.isEmpty { print("  work tree updated: " + outcome.worktreeUpdated.joined(separator: ", ")) }
        return ExitStatus.clean
    }

    /// Re-plans HEAD's refresh on another copy of the file (the index's or the work tree's):
    /// every refreshed stage must read there exactly as in HEAD (line endings aside), then the
    /// same stages are refreshed on that copy's own bytes, its other changes kept.
    static func replanner(path: String, head: LabFile, plan: FileRefresh, rules: RuleSet, conventions: StageConventions)
        -> ([UInt8]) -> Result<[UInt8], WriteRefused> {
        let names = Set(plan.refreshes.map(\.stage))
        let headRegions = Dictionary(plan.refreshes.map { ($0.stage, LineComparison.normalized(String(decoding: head.source.bytes[$0.region.start..<$0.region.end], as: UTF8.self))) },
                                     uniquingKeysWith: { a, _ in a })
        let headBytes = head.source.bytes
        let newBytes = plan.bytes
        return { copy in
            if copy == headBytes, let newBytes { return .success(newBytes) }
            guard case .success(let lab) = LabFileReader.read(path: path, bytes: copy, conventions: conventions) else {
                return .failure(WriteRefused(message: "it does not parse; fix it or stage HEAD's version first"))
            }
            let replanned = RefreshPlanner.plan(lab, rules: rules, conventions: conventions, only: names)
            for r in replanned.refreshes {
                let text = LineComparison.normalized(String(decoding: copy[r.region.start..<r.region.end], as: UTF8.self))
                if text != headRegions[r.stage] {
                    return .failure(WriteRefused(message: "stage \(r.stage) differs from HEAD there (you edited it); commit or stash that edit, then refresh"))
                }
            }
            let found = Set(replanned.refreshes.map(\.stage))
            if let missing = names.subtracting(found).sorted().first {
                return .failure(WriteRefused(message: "stage \(missing) is not the same stale stage there as in HEAD (you edited it); commit or stash that edit, then refresh"))
            }
            guard let bytes = replanned.bytes else { return .failure(WriteRefused(message: "the refresh cannot be applied there")) }
            return .success(bytes)
        }
    }

    /// `--no-commit`: the index's and the work tree's copies refreshed, each on its own.
    func writeCopiesOnly(_ repository: GitRepository, configuration: RepositoryConfiguration, conventions: StageConventions) throws -> Int32 {
        let writer = RefreshWriter(repository: repository)
        try writer.checkPreconditions(commit: false)
        let staged = try GitSnapshot(repository: repository, mode: .staged)
        var files: [PlannedFile] = []
        var count = 0
        for path in staged.paths where configuration.isStageFile(path) {
            let bytes = try staged.read(path)
            guard case .success(let lab) = LabFileReader.read(path: path, bytes: bytes, conventions: conventions) else { continue }
            let plan = RefreshPlanner.plan(lab, rules: configuration.rules, conventions: conventions)
            guard let newBytes = plan.bytes else { continue }
            count += plan.refreshes.count
            for r in plan.refreshes { print("  " + TerminalText.sanitize(r.line(file: path))) }
            files.append(PlannedFile(path: path, headBytes: bytes, newBytes: newBytes,
                                     replan: Self.replanner(path: path, head: lab, plan: plan, rules: configuration.rules, conventions: conventions)))
        }
        guard !files.isEmpty else { print("labcheck: nothing to refresh in the index"); return ExitStatus.clean }
        let outcome = try writer.write(files, message: "", commit: false)
        print("labcheck: refreshed \(count) stage(s) in the index (\(outcome.indexUpdated.joined(separator: ", "))) and the work tree (\(outcome.worktreeUpdated.joined(separator: ", "))); no commit (--no-commit)")
        return ExitStatus.clean
    }

    /// Says when a stale stage exists only in the index or the work tree (then only
    /// `--no-commit` can refresh it).
    func reportStaleOutsideHead(_ repository: GitRepository, rules: RuleSet) throws {
        let staged = try Workspace(directory: FileManager.default.currentDirectoryPath, request: WorkspaceRequest(mode: .staged, all: true), bundledRules: rules)
        guard let conventions = staged.configuration.conventions else { return }
        for path in staged.snapshot.paths where staged.configuration.isStageFile(path) {
            guard case .success(let lab) = LabFileReader.read(path: path, bytes: try staged.snapshot.read(path), conventions: conventions) else { continue }
            let plan = RefreshPlanner.plan(lab, rules: staged.configuration.rules, conventions: conventions)
            for r in plan.refreshes {
                print("labcheck: \(TerminalText.sanitize(r.line(file: path))) is stale only in the index (not in HEAD): refresh it with --no-commit, then commit")
            }
        }
    }
}
