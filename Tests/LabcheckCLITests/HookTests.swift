import Foundation
import XCTest
import LabcheckCore
import LabcheckTestSupport

/// The pre-commit hook, exercised with real `git commit` runs.
final class HookTests: XCTestCase {
    /// A repository with a clean committed lab file and labcheck installed as its hook.
    private func repositoryWithHook() throws -> GitFixture {
        let f = try GitFixture()
        try f.commit(["lab/lab_stages.toml": Labs.clean, "README": "r\n"])
        let r = try LabcheckBinary.run(["install-hook"], in: f.root, environment: f.environment)
        XCTAssertEqual(r.status, 0, "\(r)")
        return f
    }

    private func head(_ f: GitFixture) throws -> String {
        try f.git("rev-parse", "HEAD").stdout
    }

    private func assertCommit(_ f: GitFixture, _ args: [String], blocked: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try head(f)
        let r = try f.git(arguments: ["commit", "-q", "-m", "change"] + args, allowFailure: true)
        if blocked {
            XCTAssertNotEqual(r.status, 0, "commit should be blocked: \(r)", file: file, line: line)
            XCTAssertTrue(r.stdout.contains("error[LC101]") || r.stderr.contains("error[LC101]"), "\(r)", file: file, line: line)
            XCTAssertEqual(try head(f), before, file: file, line: line)
        } else {
            XCTAssertEqual(r.status, 0, "commit should pass: \(r)", file: file, line: line)
            XCTAssertNotEqual(try head(f), before, file: file, line: line)
        }
    }

    func testCheckedInHookFileIsTheScriptLabcheckInstalls() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let checkedIn = try String(contentsOf: root.appendingPathComponent("hooks/pre-commit"), encoding: .utf8)
        XCTAssertEqual(checkedIn, PreCommitHook.script())
    }

    func testStagedErrorBlocksTheCommit() throws {
        let f = try repositoryWithHook()
        try f.write("lab/lab_stages.toml", Labs.duplicateID)
        try f.git("add", ".")
        try assertCommit(f, [], blocked: true)
    }

    func testCleanStageIsLetThrough() throws {
        let f = try repositoryWithHook()
        try f.write("lab/lab_stages.toml", Labs.clean + "# more\n")
        try f.git("add", ".")
        try assertCommit(f, [], blocked: false)
    }

    func testWorktreeOnlyErrorDoesNotBlock() throws {
        let f = try repositoryWithHook()
        try f.write("README", "changed\n")
        try f.git("add", "README")
        try f.write("lab/lab_stages.toml", Labs.duplicateID)
        try assertCommit(f, [], blocked: false)
    }

    func testStagedErrorHiddenByACleanWorktreeCopyStillBlocks() throws {
        let f = try repositoryWithHook()
        try f.write("lab/lab_stages.toml", Labs.duplicateID)
        try f.git("add", ".")
        try f.write("lab/lab_stages.toml", Labs.clean + "# fixed on disk, not staged\n")
        try assertCommit(f, [], blocked: true)
    }

    func testCommitAllChecksTheWorkTreeContentItCommits() throws {
        let f = try repositoryWithHook()
        // Error on disk, clean index: `commit -a` would commit the error.
        try f.write("lab/lab_stages.toml", Labs.duplicateID)
        try assertCommit(f, ["-a"], blocked: true)
        // Error staged, clean on disk: `commit -a` commits the clean copy.
        try f.git("add", ".")
        try f.write("lab/lab_stages.toml", Labs.clean + "# clean\n")
        try assertCommit(f, ["-a"], blocked: false)
    }

    func testCommitWithPathsChecksTheContentItCommits() throws {
        let f = try repositoryWithHook()
        try f.write("lab/lab_stages.toml", Labs.duplicateID)
        try assertCommit(f, ["--", "lab/lab_stages.toml"], blocked: true)
        try f.git("add", ".")
        try f.write("lab/lab_stages.toml", Labs.clean + "# clean\n")
        try assertCommit(f, ["--", "lab/lab_stages.toml"], blocked: false)
    }

    func testHookRunsInALinkedWorktree() throws {
        let f = try repositoryWithHook()
        let linked = f.sibling("linked")
        try f.git("worktree", "add", "-q", "-b", "feature", linked.path)
        try Data(Labs.duplicateID.utf8).write(to: linked.appendingPathComponent("lab/lab_stages.toml"))
        try f.git("add", ".", in: linked)
        let blocked = try f.git("commit", "-q", "-m", "x", in: linked, allowFailure: true)
        XCTAssertNotEqual(blocked.status, 0, "\(blocked)")
        XCTAssertTrue((blocked.stdout + blocked.stderr).contains("lab/lab_stages.toml:9:6: error[LC101]"), "\(blocked)")
        try Data((Labs.clean + "# ok\n").utf8).write(to: linked.appendingPathComponent("lab/lab_stages.toml"))
        try f.git("add", ".", in: linked)
        XCTAssertEqual(try f.git("commit", "-q", "-m", "x", in: linked, allowFailure: true).status, 0)
    }

    func testInstallHonoursCoreHooksPath() throws {
        let f = try GitFixture()
        try f.commit(["lab/lab_stages.toml": Labs.clean])
        try f.git("config", "core.hooksPath", ".githooks")
        let r = try LabcheckBinary.run(["install-hook"], in: f.root, environment: f.environment)
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: f.root.appendingPathComponent(".githooks/pre-commit").path))
        try f.write("lab/lab_stages.toml", Labs.duplicateID)
        try f.git("add", "lab")
        try assertCommit(f, [], blocked: true)
    }

    func testForeignHookIsKeptUnlessForcedAndThenBackedUp() throws {
        let f = try GitFixture()
        try f.commit(["a": "a"])
        let hook = f.root.appendingPathComponent(".git/hooks/pre-commit")
        try Data("#!/bin/sh\necho mine\n".utf8).write(to: hook)
        let refused = try LabcheckBinary.run(["install-hook"], in: f.root, environment: f.environment)
        XCTAssertEqual(refused.status, 1, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("--force"), refused.stderr)
        XCTAssertEqual(try String(contentsOf: hook, encoding: .utf8), "#!/bin/sh\necho mine\n")
        let forced = try LabcheckBinary.run(["install-hook", "--force"], in: f.root, environment: f.environment)
        XCTAssertEqual(forced.status, 0, "\(forced)")
        XCTAssertTrue(try String(contentsOf: hook, encoding: .utf8).contains(PreCommitHook.marker))
        XCTAssertEqual(try String(contentsOf: hook.appendingPathExtension("labcheck-backup"), encoding: .utf8), "#!/bin/sh\necho mine\n")
        // Re-installing over its own hook needs no --force.
        XCTAssertEqual(try LabcheckBinary.run(["install-hook"], in: f.root, environment: f.environment).status, 0)
    }

    func testUninstallRestoresTheReplacedHookAndNeverRemovesAForeignOne() throws {
        let f = try GitFixture()
        try f.commit(["a": "a"])
        let hook = f.root.appendingPathComponent(".git/hooks/pre-commit")
        try Data("#!/bin/sh\necho mine\n".utf8).write(to: hook)
        let refused = try LabcheckBinary.run(["uninstall-hook"], in: f.root, environment: f.environment)
        XCTAssertEqual(refused.status, 1, "\(refused)")
        XCTAssertEqual(try String(contentsOf: hook, encoding: .utf8), "#!/bin/sh\necho mine\n")
        XCTAssertEqual(try LabcheckBinary.run(["install-hook", "--force"], in: f.root, environment: f.environment).status, 0)
        let restored = try LabcheckBinary.run(["uninstall-hook"], in: f.root, environment: f.environment)
        XCTAssertEqual(restored.status, 0, "\(restored)")
        XCTAssertEqual(try String(contentsOf: hook, encoding: .utf8), "#!/bin/sh\necho mine\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: hook.path + ".labcheck-backup"))
    }

    func testTheHookPrefersLabcheckOnPATHAndFallsBackToItsInstallPath() throws {
        let f = try repositoryWithHook()
        let script = try String(contentsOf: f.root.appendingPathComponent(".git/hooks/pre-commit"), encoding: .utf8)
        XCTAssertTrue(script.contains("if command -v labcheck >/dev/null 2>&1; then LABCHECK=labcheck"), script)
        XCTAssertTrue(script.contains("elif [ -x \"\(LabcheckBinary.path)\" ]"), script)
        // A labcheck on PATH is the one that runs.
        let bin = f.sibling("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let fake = bin.appendingPathComponent("labcheck")
        try Data("#!/bin/sh\necho fake labcheck ran >&2\nexit 1\n".utf8).write(to: fake)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        try f.write("README", "x\n")
        try f.git("add", "README")
        let r = try f.git(arguments: ["commit", "-q", "-m", "x"], extraEnvironment: ["PATH": bin.path + ":" + (f.environment["PATH"] ?? "")], allowFailure: true)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("fake labcheck ran"), "\(r)")
    }

    func testPrePushChecksThePushedCommitsAgainstTheRemote() throws {
        let f = try GitFixture()
        try f.commit(["lab/lab_stages.toml": Labs.clean])
        let remote = f.sibling("remote.git")
        try f.git("init", "-q", "--bare", remote.path)
        try f.git("remote", "add", "origin", remote.path)
        try f.git("push", "-q", "origin", "main")
        let installed = try LabcheckBinary.run(["install-hook", "--pre-push"], in: f.root, environment: f.environment)
        XCTAssertEqual(installed.status, 0, "\(installed)")
        try f.write("lab/lab_stages.toml", Labs.duplicateID)
        try f.git("commit", "-q", "-am", "bad")
        let blocked = try f.git("push", "-q", "origin", "main", allowFailure: true)
        XCTAssertNotEqual(blocked.status, 0, "\(blocked)")
        XCTAssertTrue((blocked.stdout + blocked.stderr).contains("error[LC101]"), "\(blocked)")
        try f.write("lab/lab_stages.toml", Labs.clean + "# fixed\n")
        try f.git("commit", "-q", "-am", "fixed")
        XCTAssertEqual(try f.git("push", "-q", "origin", "main", allowFailure: true).status, 0)
        XCTAssertEqual(try LabcheckBinary.run(["uninstall-hook", "--pre-push"], in: f.root, environment: f.environment).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: f.root.appendingPathComponent(".git/hooks/pre-push").path))
    }
}
