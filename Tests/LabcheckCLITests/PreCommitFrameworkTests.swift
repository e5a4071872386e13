import Foundation
import XCTest
import LabcheckTestSupport

/// The pre-commit framework, for real: pre-commit from PyPI in a temporary virtualenv, a
/// repository whose `.pre-commit-config.yaml` points at this checkout (`repo: <path>`,
/// `rev: <commit>`), a commit blocked by a staged error and one let through when clean.
/// pre-commit builds the package itself (`swift build -c release`), with the machine's git and
/// SwiftPM configuration, so this test does not seal its environment. It takes a few minutes;
/// `LABCHECK_SKIP_PRECOMMIT=1` skips it locally (CI never sets it).
final class PreCommitFrameworkTests: XCTestCase {
    func testACommitIsBlockedByAStagedErrorAndLetThroughWhenClean() throws {
        if ProcessInfo.processInfo.environment["LABCHECK_SKIP_PRECOMMIT"] == "1" { throw XCTSkip("LABCHECK_SKIP_PRECOMMIT=1") }
        let root = SharedData.packageRoot
        let machine = ProcessInfo.processInfo.environment
        func run(_ args: [String], in dir: URL, env: [String: String] = [:]) throws -> CommandResult {
            try runProcess("/usr/bin/env", args, in: dir, environment: machine.merging(env) { $1 })
        }
        let rev = try run(["git", "rev-parse", "HEAD"], in: root).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("labcheck-precommit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let repo = work.appendingPathComponent("repo"), venv = work.appendingPathComponent("venv")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        XCTAssertEqual(try run(["python3", "-m", "venv", venv.path], in: work).status, 0)
        let pip = try run([venv.appendingPathComponent("bin/pip").path, "install", "-q", "pre-commit"], in: work)
        XCTAssertEqual(pip.status, 0, "\(pip)")
        let env = ["PRE_COMMIT_HOME": work.appendingPathComponent("cache").path, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                   "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.invalid"]
        let preCommit = venv.appendingPathComponent("bin/pre-commit").path
        XCTAssertEqual(try run(["git", "init", "-q", "-b", "main"], in: repo).status, 0)
        try Data("repos:\n  - repo: \(root.path)\n    rev: \(rev)\n    hooks:\n      - id: labcheck\n".utf8)
            .write(to: repo.appendingPathComponent(".pre-commit-config.yaml"))
        try Data("[[m]]\nid = \"a\"\nC = \"print(1)\"\n".utf8).write(to: repo.appendingPathComponent("lab_stages.toml"))
        XCTAssertEqual(try run([preCommit, "install"], in: repo, env: env).status, 0)
        XCTAssertEqual(try run(["git", "add", "."], in: repo).status, 0)
        let clean = try run(["git", "commit", "-q", "-m", "clean"], in: repo, env: env)
        XCTAssertEqual(clean.status, 0, "a clean commit must pass: \(clean)")
        try Data("[[m]]\nid = \"a\"\nC = \"print(1)\"\n[[m]]\nid = \"a\"\nC = \"print(2)\"\n".utf8).write(to: repo.appendingPathComponent("lab_stages.toml"))
        XCTAssertEqual(try run(["git", "add", "."], in: repo).status, 0)
        let blocked = try run(["git", "commit", "-q", "-m", "duplicate id"], in: repo, env: env)
        XCTAssertNotEqual(blocked.status, 0, "a staged LC101 must block the commit: \(blocked)")
        XCTAssertTrue((blocked.stdout + blocked.stderr).contains("error[LC101]"), "\(blocked)")
        XCTAssertEqual(try run(["git", "rev-list", "--count", "HEAD"], in: repo).stdout, "1\n")
    }
}
