import Foundation
import LabcheckCore
import LabcheckGit
import LabcheckTOML

/// `labcheck --fix-explicit` (= `labcheck check --fix-explicit`): refreshes every stale template
/// stage of HEAD that has a declared migration path and records it as one commit, with the same
/// edits in the index and the work tree (DESIGN §6). `--dry-run` prints the diff and writes
/// nothing; `--no-commit` writes only the index and the work tree, each refreshed on its own.
struct FixExplicit {
    /// What is written: refreshes of stale template stages, or the conversion of legacy stages.
    enum Job {
        case refresh
        case convert(dropCode: Bool)
    }

    /// One file's plan on some copy of it: the stages it edits (their regions in that copy, by
    /// name), the new bytes, the message lines, and the stages that cannot be written.
    struct Plan {
        let names: Set<String>
        let regions: [String: ByteSpan]
        let bytes: [UInt8]?
        let lines: [String]
        let refusals: [RefreshRefusal]
    }

    var job: Job = .refresh
    let dryRun: Bool
    let noCommit: Bool
    let partial: Bool
    let output: OutputSettings

    /// The job's plan for one parsed copy (only the stages named in `only`, when given).
    func plan(_ lab: LabFile, rules: RuleSet, conventions: StageConventions, only: Set<String>?) -> Plan {
        switch job {
        case .refresh:
            let p = RefreshPlanner.plan(lab, rules: rules, conventions: conventions, only: only)
            return Plan(names: Set(p.refreshes.map(\.stage)), regions: Dictionary(p.refreshes.map { ($0.stage, $0.region) }, uniquingKeysWith: { a, _ in a }),
                        bytes: p.bytes, lines: p.refreshes.map { $0.line(file: lab.path) }, refusals: p.refusals)
        case .convert(let dropCode):
            let c = ConversionPlanner.rewrite(lab, rules: rules, conventions: conventions, dropCode: dropCode, only: only)
            return Plan(names: Set(c.regions.keys), regions: c.regions, bytes: c.bytes, lines: c.lines, refusals: c.refusals)
        }
    }

    var verb: String { if case .refresh = job { return "refresh" } else { return "convert" } }

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
        var lines: [String] = []
        var refusals: [(String, RefreshRefusal)] = []
        for path in head.snapshot.paths where configuration.isStageFile(path) {
            let bytes = try head.snapshot.read(path)
            guard case .success(let lab) = LabFileReader.read(path: path, bytes: bytes, conventions: conventions) else {
                refusals.append((path, RefreshRefusal(stage: "(file)", reason: "it does not parse in HEAD (`labcheck check --rev HEAD`)")))
                continue
            }
            let p = plan(lab, rules: configuration.rules, conventions: conventions, only: nil)
            refusals += p.refusals.map { (path, $0) }
            guard let newBytes = p.bytes else { continue }
            lines += p.lines
            files.append(PlannedFile(path: path, headBytes: bytes, newBytes: newBytes,
                                     replan: replanner(path: path, head: lab, plan: p, rules: configuration.rules, conventions: conventions)))
        }
        for (path, r) in refusals { print("labcheck: cannot \(verb) \(TerminalText.sanitize(path)): \(TerminalText.sanitize(r.stage)): \(TerminalText.sanitize(r.reason))") }
        if !refusals.isEmpty && !partial && !dryRun {
            throw WriteRefused(message: "\(refusals.count) stage(s) cannot be written (listed above); nothing was written. Fix them by hand, or run with --partial to write the others")
        }
        if dryRun {
            for file in files { print(try RefreshWriter.unifiedDiff(path: file.path, old: file.headBytes, new: file.newBytes), terminator: "") }
            print("labcheck: --dry-run: \(lines.count) stage(s) would be written (\(verb)); nothing was written")
            return refusals.isEmpty ? ExitStatus.clean : ExitStatus.findings
        }
        if noCommit {
            return try writeCopiesOnly(repository, configuration: configuration, conventions: conventions)
        }
        guard !files.isEmpty else {
            if case .refresh = job { try reportStaleOutsideHead(repository, rules: rules) }
            print("labcheck: nothing to \(verb) in HEAD")
            return ExitStatus.clean
        }
        let subject = job.isRefresh ? "refresh \(lines.count) template stage\(lines.count == 1 ? "" : "s")" : "convert \(lines.count) legacy stage\(lines.count == 1 ? "" : "s")"
        let message = "labcheck: \(subject)\n\n" + lines.map { $0 + "\n" }.joined()
        let outcome = try RefreshWriter(repository: repository).write(files, message: message, commit: true)
        print("labcheck: \(job.isRefresh ? "refreshed" : "converted") \(lines.count) stage(s) in commit \(outcome.commit?.prefix(12) ?? "?") on \(outcome.ref ?? "?")")
        for line in lines { print("  " + TerminalText.sanitize(line)) }
        if !outcome.indexUpdated.isEmpty { print("  index updated: " + outcome.indexUpdated.joined(separator: ", ")) }
        if !outcome.worktreeUpdated.isEmpty { print("  work tree updated: " + outcome.worktreeUpdated.joined(separator: ", ")) }
        return ExitStatus.clean
    }

    /// Re-plans HEAD's edit on another copy of the file (the index's, the work tree's): every
    /// edited stage must read there exactly as in HEAD (line endings aside), then the same
    /// stages are edited on that copy's own bytes, its other changes kept.
    func replanner(path: String, head: LabFile, plan: Plan, rules: RuleSet, conventions: StageConventions)
        -> ([UInt8]) -> Result<[UInt8], WriteRefused> {
        let names = plan.names
        func text(_ bytes: [UInt8], _ region: ByteSpan) -> String { LineComparison.normalized(String(decoding: bytes[region.start..<region.end], as: UTF8.self)) }
        let headRegions = plan.regions.mapValues { text(head.source.bytes, $0) }
        let headBytes = head.source.bytes
        let newBytes = plan.bytes
        return { copy in
            if copy == headBytes, let newBytes { return .success(newBytes) }
            guard case .success(let lab) = LabFileReader.read(path: path, bytes: copy, conventions: conventions) else {
                return .failure(WriteRefused(message: "it does not parse; fix it or stage HEAD's version first"))
            }
            let replanned = self.plan(lab, rules: rules, conventions: conventions, only: names)
            for (name, region) in replanned.regions where text(copy, region) != headRegions[name] {
                return .failure(WriteRefused(message: "stage \(name) differs from HEAD there (you edited it); commit or stash that edit, then run labcheck again"))
            }
            if let missing = names.subtracting(replanned.names).sorted().first {
                return .failure(WriteRefused(message: "stage \(missing) is not the same there as in HEAD (you edited it); commit or stash that edit, then run labcheck again"))
            }
            guard let bytes = replanned.bytes else { return .failure(WriteRefused(message: "the edit cannot be applied there")) }
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
            let p = plan(lab, rules: configuration.rules, conventions: conventions, only: nil)
            guard let newBytes = p.bytes else { continue }
            count += p.lines.count
            for line in p.lines { print("  " + TerminalText.sanitize(line)) }
            files.append(PlannedFile(path: path, headBytes: bytes, newBytes: newBytes,
                                     replan: replanner(path: path, head: lab, plan: p, rules: configuration.rules, conventions: conventions)))
        }
        guard !files.isEmpty else { print("labcheck: nothing to \(verb) in the index"); return ExitStatus.clean }
        let outcome = try writer.write(files, message: "", commit: false)
        print("labcheck: \(job.isRefresh ? "refreshed" : "converted") \(count) stage(s) in the index (\(outcome.indexUpdated.joined(separator: ", "))) and the work tree (\(outcome.worktreeUpdated.joined(separator: ", "))); no commit (--no-commit)")
        return ExitStatus.clean
    }

    /// Says when a stale stage exists only in the index or the work tree (then only
    /// `--no-commit` can refresh it).
    func reportStaleOutsideHead(_ repository: GitRepository, rules: RuleSet) throws {
        let staged = try Workspace(directory: FileManager.default.currentDirectoryPath, request: WorkspaceRequest(mode: .staged, all: true), bundledRules: rules)
        guard let conventions = staged.configuration.conventions else { return }
        for path in staged.snapshot.paths where staged.configuration.isStageFile(path) {
            guard case .success(let lab) = LabFileReader.read(path: path, bytes: try staged.snapshot.read(path), conventions: conventions) else { continue }
            for r in RefreshPlanner.plan(lab, rules: staged.configuration.rules, conventions: conventions).refreshes {
                print("labcheck: \(TerminalText.sanitize(r.line(file: path))) is stale only in the index (not in HEAD): refresh it with --no-commit, then commit")
            }
        }
    }
}

extension FixExplicit.Job {
    var isRefresh: Bool { if case .refresh = self { return true } else { return false } }
}
