import Foundation
import XCTest
import LabcheckTestSupport

/// What git would commit, read right in awkward repository states (issue 14, defects 2-4):
/// converted files, conflicts in the work tree, repositories owned by another user.
final class GitStateCLITests: XCTestCase {
    private static let contract = """
    [python]
    roots = ["src"]

    [[contracts]]
    name = "a off b"
    type = "forbidden"
    source = ["a"]
    forbidden = ["b"]

    """

    private func labcheck(_ f: GitFixture, _ args: [String], env: [String: String] = [:]) throws -> CommandResult {
        try LabcheckBinary.run(args, in: f.root, environment: f.environment.merging(env) { $1 })
    }

    /// A repository with the contract, packages a and b, and `src/a/m.py` committed.
    private func repository() throws -> GitFixture {
        let f = try GitFixture()
        try f.commit([".labcheck.toml": Self.contract, "src/a/__init__.py": "", "src/b/__init__.py": "", "src/a/m.py": "import os\n"])
        return f
    }

    /// Stages `content` at `path` so that the index's stat data matches the work-tree file and
    /// is trusted (the file is older than the index, so not racily clean).
    private func stageWithTrustedStat(_ f: GitFixture, _ path: String, _ content: String) throws {
        try f.write(path, content)
        let past = Date(timeIntervalSinceNow: -3600)
        try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: f.root.appendingPathComponent(path).path)
        try f.git("add", path)
    }

    private func violations(_ r: CommandResult) -> Int { r.stdout.components(separatedBy: "error[LC300]").count - 1 }

    // Defect 2: the stat data says the work-tree file is the staged one, but a clean filter
    // stores other bytes. Before the fix, the work-tree bytes were scanned.
    func testCleanFilterThatRemovesAnImportIsNotBypassedByStatData() throws {
        let f = try repository()
        try f.git("config", "filter.rw.clean", "sed s/b/os/")
        try f.git("config", "filter.rw.smudge", "cat")
        try f.write(".gitattributes", "src/a/m.py filter=rw\n")
        try f.git("add", ".gitattributes")
        try stageWithTrustedStat(f, "src/a/m.py", "import b\n")
        XCTAssertEqual(try f.git("show", ":src/a/m.py").stdout, "import os\n", "the filter ran")
        let staged = try labcheck(f, ["check", "--all"])
        XCTAssertEqual(staged.status, 0, "the staged blob imports os only: \(staged)")
        XCTAssertEqual(violations(staged), 0, "\(staged)")
        // The same verdict again from the cache, and for the committed tree.
        XCTAssertEqual(try labcheck(f, ["check", "--all"]).status, 0)
        try f.git("commit", "-qm", "filtered")
        XCTAssertEqual(try labcheck(f, ["check", "--all", "--rev", "HEAD"]).status, 0)
    }

    func testCleanFilterThatAddsAnImportIsSeen() throws {
        let f = try repository()
        try f.git("config", "filter.rw.clean", "sed s/os/b/")
        try f.git("config", "filter.rw.smudge", "cat")
        try f.write(".gitattributes", "src/a/m.py filter=rw\n")
        try f.git("add", ".gitattributes")
        try stageWithTrustedStat(f, "src/a/m.py", "import os\n")
        XCTAssertEqual(try f.git("show", ":src/a/m.py").stdout, "import b\n")
        let staged = try labcheck(f, ["check", "--all"])
        XCTAssertEqual(staged.status, 1, "\(staged)")
        XCTAssertEqual(violations(staged), 1, "\(staged)")
        // --worktree cannot run the filter: a clear error, not the unfiltered bytes.
        let worktree = try labcheck(f, ["check", "--all", "--worktree"])
        XCTAssertEqual(worktree.status, 3, "\(worktree)")
        XCTAssertTrue(worktree.stderr.contains("cannot read src/a/m.py from the work tree as git would commit it: its attribute filter=rw"), worktree.stderr)
    }

    func testWorkingTreeEncodingFileIsCheckedAsTheUTF8BlobGitStores() throws {
        let f = try repository()
        try f.write(".gitattributes", "*.py working-tree-encoding=UTF-16\n")
        try f.git("add", ".gitattributes")
        let path = f.root.appendingPathComponent("src/a/m.py")
        try f.write("src/a/m.py", "")
        try XCTUnwrap("import b\n".data(using: .utf16)).write(to: path)   // a BOM and UTF-16
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: path.path)
        try f.git("add", "src/a/m.py")
        XCTAssertEqual(try f.git("show", ":src/a/m.py").stdout, "import b\n", "git stores UTF-8")
        let staged = try labcheck(f, ["check", "--all"])
        XCTAssertEqual(staged.status, 1, "\(staged)")
        XCTAssertEqual(violations(staged), 1, "\(staged)")
        XCTAssertFalse(staged.stdout.contains("LC305"), "not 'not UTF-8': \(staged)")
        let worktree = try labcheck(f, ["check", "--all", "--worktree"])
        XCTAssertEqual(worktree.status, 3, "\(worktree)")
        XCTAssertTrue(worktree.stderr.contains("working-tree-encoding=UTF-16"), worktree.stderr)
    }

    func testAutocrlfWorkTreeFileIsCheckedAfterConversion() throws {
        let f = try repository()
        try f.git("config", "core.autocrlf", "true")
        try stageWithTrustedStat(f, "src/a/m.py", "import os\r\nimport b\r\n")
        XCTAssertEqual(try f.git("show", ":src/a/m.py").stdout, "import os\nimport b\n")
        for mode in [["--all"], ["--all", "--worktree"], ["--all", "--no-cache"]] {
            let r = try labcheck(f, ["check"] + mode)
            XCTAssertEqual(r.status, 1, "\(mode): \(r)")
            XCTAssertTrue(r.stdout.contains("src/a/m.py:2:8: error[LC300]"), "\(mode): \(r)")
        }
    }

    // Defect 3: a conflicted file is on disk with its markers; --worktree checks it.
    func testWorktreeChecksAFileWithConflictMarkers() throws {
        let f = try GitFixture()
        let lab = "[[flow]]\nid = \"a\"\nC = \"x = 1\"\n"
        try f.commit(["lab/lab_stages.toml": lab])
        try f.git("checkout", "-qb", "other")
        try f.commit(["lab/lab_stages.toml": lab.replacingOccurrences(of: "x = 1", with: "x = 2")])
        try f.git("checkout", "-q", "main")
        try f.commit(["lab/lab_stages.toml": lab.replacingOccurrences(of: "x = 1", with: "x = 3")])
        XCTAssertNotEqual(try f.git("merge", "other", allowFailure: true).status, 0, "the merge conflicts")
        let worktree = try labcheck(f, ["check", "--worktree"])
        XCTAssertEqual(worktree.status, 1, "\(worktree)")
        XCTAssertTrue(worktree.stdout.contains("lab/lab_stages.toml:3:1: error[LC100]"), worktree.stdout)
        XCTAssertTrue(worktree.stdout.contains("1 lab file checked"), worktree.stdout)
        let staged = try labcheck(f, ["check"])
        XCTAssertEqual(staged.status, 3, "the index is unmerged: \(staged)")
    }

    // Defect 4: `safe.directory = *` in the global config lets git use a repository owned by
    // another user; labcheck follows git.
    func testRepositoryOwnedByAnotherUserFollowsSafeDirectory() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to give the repository to another user (CI runs as root)") }
        let f = try repository()
        let chown = try runProcess("/usr/bin/env", ["chown", "-R", "nobody", f.root.path], in: f.root, environment: f.environment)
        XCTAssertEqual(chown.status, 0, "\(chown)")
        let refused = try labcheck(f, ["check", "--all"])
        XCTAssertEqual(refused.status, 3, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("owned by another user"), refused.stderr)
        XCTAssertNotEqual(try f.git("status", allowFailure: true).status, 0, "git refuses it too")
        try "[safe]\n\tdirectory = *\n".write(to: f.home.appendingPathComponent(".gitconfig"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try f.git("status").status, 0, "git accepts it")
        let accepted = try labcheck(f, ["check", "--all", "-v"])
        XCTAssertEqual(accepted.status, 0, "\(accepted)")
        XCTAssertTrue(accepted.stderr.contains("safe.directory = *"), accepted.stderr)
        // An empty value resets the list, as in git.
        try "[safe]\n\tdirectory = *\n\tdirectory =\n".write(to: f.home.appendingPathComponent(".gitconfig"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try labcheck(f, ["check", "--all"]).status, 3)
    }
}
