import Foundation
import LabcheckCore

/// Installs the pre-commit hook where git will run it.
public enum HookInstaller {
    /// What `install` did.
    public enum Outcome: Equatable, Sendable {
        case installed(path: String)
        case updated(path: String)
        case replacedForeignHook(path: String, backup: String)
    }

    /// What `uninstall` did.
    public enum Removal: Equatable, Sendable {
        case removed(path: String)
        case restored(path: String, from: String)
        case nothing(path: String)
    }

    /// Removes labcheck's hook and puts back the newest backup `--force` kept, if any. A hook
    /// labcheck did not install is never removed.
    public static func uninstall(from repository: GitRepository, hook: String = "pre-commit", marker: String = PreCommitHook.marker) throws -> Removal {
        let directory = try hooksDirectory(repository)
        let path = (directory as NSString).appendingPathComponent(hook)
        let fm = FileManager.default
        guard fm.fileExists(atPath: path) else { return .nothing(path: path) }
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        guard existing.contains(marker) else { throw Failure.notOurs(path: path) }
        var backups = [path + ".labcheck-backup"]
        var n = 2
        while fm.fileExists(atPath: path + ".labcheck-backup-\(n)") { backups.append(path + ".labcheck-backup-\(n)"); n += 1 }
        if let newest = backups.reversed().first(where: { fm.fileExists(atPath: $0) }) {
            guard rename(newest, path) == 0 else { throw Failure.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
            return .restored(path: path, from: newest)
        }
        guard unlink(path) == 0 else { throw Failure.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        return .removed(path: path)
    }

    /// Refusals, each with what to do instead.
    public enum Failure: Error, CustomStringConvertible {
        case foreignHook(path: String)
        case notOurs(path: String)
        case cannotWrite(path: String, reason: String)

        public var description: String {
            switch self {
            case .foreignHook(let path):
                return "a hook that labcheck did not install already exists at \(path); re-run with --force to replace it (it is kept as a backup), or call `labcheck check --staged` from that hook"
            case .notOurs(let path): return "the hook at \(path) was not installed by labcheck; it is left in place"
            case .cannotWrite(let path, let reason): return "cannot write the hook at \(path): \(reason)"
            }
        }
    }

    /// The directory git runs hooks from, as `git rev-parse --git-path hooks` gives it:
    /// `core.hooksPath` (relative to the work tree's top) when set, else `<common dir>/hooks`,
    /// shared by every linked worktree.
    public static func hooksDirectory(_ repository: GitRepository) throws -> String {
        if let configured = try repository.configString("core.hooksPath"), !configured.isEmpty {
            var path = configured
            if path.hasPrefix("~/") { path = NSHomeDirectory() + path.dropFirst() }
            if !path.hasPrefix("/") { path = (repository.workdir ?? repository.commonDirectory) + path }
            return (path as NSString).standardizingPath
        }
        return ((repository.commonDirectory as NSString).appendingPathComponent("hooks") as NSString).standardizingPath
    }

    /// Writes the hook. A hook labcheck installed before is replaced; any other hook is only
    /// replaced with `force`, after copying it to `pre-commit.labcheck-backup[-N]`.
    public static func install(into repository: GitRepository, script: String, force: Bool, hook: String = "pre-commit",
                               marker: String = PreCommitHook.marker) throws -> Outcome {
        let directory = try hooksDirectory(repository)
        let path = (directory as NSString).appendingPathComponent(hook)
        let fm = FileManager.default
        var outcome = Outcome.installed(path: path)
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if fm.fileExists(atPath: path) {
                let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                if existing.contains(marker) {
                    outcome = .updated(path: path)
                } else {
                    guard force else { throw Failure.foreignHook(path: path) }
                    var backup = path + ".labcheck-backup"
                    var n = 1
                    while fm.fileExists(atPath: backup) { n += 1; backup = path + ".labcheck-backup-\(n)" }
                    try fm.copyItem(atPath: path, toPath: backup)
                    outcome = .replacedForeignHook(path: path, backup: backup)
                }
            }
            // Write beside it and rename, so a half-written hook never runs.
            let temporary = path + ".labcheck-tmp-\(getpid())"
            try Data(script.utf8).write(to: URL(fileURLWithPath: temporary))
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temporary)
            if rename(temporary, path) != 0 {
                try? fm.removeItem(atPath: temporary)
                throw Failure.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure.cannotWrite(path: path, reason: "\(error.localizedDescription)")
        }
        return outcome
    }
}
