import Foundation
import XCTest
import LabcheckTestSupport

/// `labcheck --fix-explicit` on real repositories: one refresh commit, the same edit in the
/// index and the work tree, the user's own changes kept, and every refusal or injected fault
/// leaving HEAD, the index and the work tree as they were.
final class FixExplicitTests: XCTestCase {
    private func labcheck(_ f: GitFixture, _ args: [String], env: [String: String] = [:]) throws -> CommandResult {
        try LabcheckBinary.run(args, in: f.root, environment: f.environment.merging(env) { $1 })
    }

    /// A stale stage (v3 of the bundled RUN family, which renames workers_data_path later) and
    /// an untouched code stage.
    static let lab = """
    # a lab kept by hand
    [[pipeline]]
    kind = "template"
    id = "allocate"
    template_id = "pipeline.agi_run.single_action"
    template_version = 3   # saved by the orchestrator
    app = "example_project"
    action = "reference_allocator"
    [pipeline.args]
    workers_data_path = "/share"
    time_horizon = 16

    [[pipeline]]
    id = "other"
    C = "print(1)"

    """

    /// Everything a write could change: HEAD, the index, the work tree, the user's diffs.
    struct State: Equatable {
        let head, index, status, diff, cached: String
        let files: [String: String]
    }

    /// Read without writing: the index file's bytes themselves, and git commands that take no
    /// optional lock (so git does not refresh the index's stat data while looking).
    private func state(_ f: GitFixture, _ paths: [String]) throws -> State {
        let quiet = ["GIT_OPTIONAL_LOCKS": "0"]
        let index = try Data(contentsOf: f.root.appendingPathComponent(".git/index")).base64EncodedString()
        return State(head: try f.git("rev-parse", "HEAD").stdout, index: index,
                     status: try f.git(arguments: ["status", "--porcelain=v2"], extraEnvironment: quiet).stdout,
                     diff: try f.git(arguments: ["diff"], extraEnvironment: quiet).stdout,
                     cached: try f.git(arguments: ["diff", "--cached"], extraEnvironment: quiet).stdout,
                     files: Dictionary(uniqueKeysWithValues: try paths.map { ($0, try f.read($0)) }))
    }

    func testOneRefreshCommitKeepsTheUsersStagedAndUnstagedWork() throws {
        let f = try GitFixture()
        try f.commit(["labs/lab_stages.toml": Self.lab, "src/app.py": "x = 1\n", "notes.txt": "a\n"])
        // The user's own work: a staged edit elsewhere, an unstaged edit in another stage of the
        // same file, an unstaged edit in another file.
        try f.write("src/app.py", "x = 2\n")
        try f.git("add", "src/app.py")
        try f.write("labs/lab_stages.toml", Self.lab.replacingOccurrences(of: "C = \"print(1)\"", with: "C = \"print(2)\""))
        try f.write("notes.txt", "b\n")
        let userDiff = try f.git("diff", "--", "notes.txt").stdout, userCached = try f.git("diff", "--cached").stdout

        let dry = try labcheck(f, ["--fix-explicit", "--dry-run"])
        XCTAssertEqual(dry.status, 0, "\(dry)")
        XCTAssertTrue(dry.stdout.contains("-template_version = 3   # saved by the orchestrator\n+template_version = 5   # saved by the orchestrator\n"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("-workers_data_path = \"/share\"\n+workflow_share_root = \"/share\"\n"), dry.stdout)
        XCTAssertEqual(try f.git("rev-parse", "HEAD~0").stdout, try f.git("rev-parse", "HEAD").stdout)
        XCTAssertEqual(try f.git("log", "--oneline").stdout.split(separator: "\n").count, 1, "--dry-run committed")

        let r = try labcheck(f, ["--fix-explicit"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("labs/lab_stages.toml: pipeline[allocate] v3 -> v5"), r.stdout)
        // One commit whose diff is only the refresh.
        XCTAssertEqual(try f.git("log", "-1", "--format=%s%n%n%b").stdout, "labcheck: refresh 1 template stage\n\nlabs/lab_stages.toml: pipeline[allocate] v3 -> v5\n\n")
        XCTAssertEqual(try f.git("log", "-1", "--format=%an <%ae>|%cn <%ce>").stdout, "Test Author <author@example.invalid>|Test Committer <committer@example.invalid>\n")
        XCTAssertEqual(try f.git("diff", "--stat", "HEAD~1", "HEAD").stdout, " labs/lab_stages.toml | 4 ++--\n 1 file changed, 2 insertions(+), 2 deletions(-)\n")
        XCTAssertEqual(try f.git("show", "HEAD:labs/lab_stages.toml").stdout,
                       Self.lab.replacingOccurrences(of: "template_version = 3", with: "template_version = 5").replacingOccurrences(of: "workers_data_path", with: "workflow_share_root"))
        // The user's work is exactly as it was: the staged edit, the unstaged edits.
        XCTAssertEqual(try f.git("diff", "--cached").stdout, userCached)
        XCTAssertEqual(try f.git("diff", "--", "notes.txt").stdout, userDiff)
        XCTAssertEqual(try f.git("diff", "--", "labs/lab_stages.toml").stdout.split(separator: "\n").filter { $0.hasPrefix("+") || $0.hasPrefix("-") },
                       ["--- a/labs/lab_stages.toml", "+++ b/labs/lab_stages.toml", "-C = \"print(1)\"", "+C = \"print(2)\""])
        XCTAssertTrue(try f.read("labs/lab_stages.toml").contains("template_version = 5"))
        // And the tree is clean to labcheck.
        XCTAssertEqual(try labcheck(f, ["check", "--rev", "HEAD", "--all"]).status, 0)
    }

    func testRefusalsAndFaultsChangeNothing() throws {
        let paths = ["labs/lab_stages.toml", "other.txt"]
        func fixture() throws -> GitFixture {
            let f = try GitFixture()
            try f.commit(["labs/lab_stages.toml": Self.lab, "other.txt": "1\n"])
            try f.write("other.txt", "2\n")
            return f
        }
        // Each case: how to set it up, the exit code, what the message must say.
        let cases: [(String, (GitFixture) throws -> Void, [String: String], Int32, String)] = [
            ("concurrent commit", { _ in }, ["LABCHECK_TEST_FAULT": "ref-moved"], 2, "moved while labcheck ran"),
            ("index.lock taken mid-run", { _ in }, ["LABCHECK_TEST_FAULT": "lock-taken"], 2, "another git process took the index"),
            ("crash after the commit object", { _ in }, ["LABCHECK_TEST_FAULT": "after-objects"], 86, ""),
            ("index.lock held", { f in try f.write(".git/index.lock", "") }, [:], 2, "index.lock exists"),
            ("gpgsign", { f in try f.git("config", "commit.gpgsign", "true") }, [:], 2, "commit.gpgsign is on"),
            ("merge in progress", { f in try f.write(".git/MERGE_HEAD", try f.git("rev-parse", "HEAD").stdout) }, [:], 2, "a merge is in progress"),
            ("stage edited in the work tree", { f in try f.write("labs/lab_stages.toml", Self.lab.replacingOccurrences(of: "time_horizon = 16", with: "time_horizon = 17")) },
             [:], 2, "stage pipeline[allocate] differs from HEAD there"),
            ("stage edited in the index", { f in
                try f.write("labs/lab_stages.toml", Self.lab.replacingOccurrences(of: "time_horizon = 16", with: "time_horizon = 18"))
                try f.git("add", "labs/lab_stages.toml")
                try f.write("labs/lab_stages.toml", Self.lab)
            }, [:], 2, "in the index: stage pipeline[allocate] differs from HEAD"),
        ]
        for (name, setUp, env, status, message) in cases {
            let f = try fixture()
            try setUp(f)
            let before = try state(f, paths)
            let r = try labcheck(f, ["--fix-explicit"], env: env)
            XCTAssertEqual(r.status, status, "\(name): \(r)")
            if !message.isEmpty { XCTAssertTrue(r.stderr.contains(message), "\(name): \(r.stderr)") }
            if name == "crash after the commit object" {
                // The repository holds the refresh commit only as an unreachable object.
                let unreachable = try f.git("fsck", "--unreachable", "--no-reflogs").stdout
                XCTAssertTrue(unreachable.contains("unreachable commit"), "\(name): \(unreachable)")
            }
            if name == "concurrent commit" {
                // The concurrent commit landed; labcheck's did not, and nothing else moved.
                XCTAssertEqual(try f.git("log", "-1", "--format=%s").stdout, "concurrent commit\n", name)
                XCTAssertEqual(try f.git("diff", "HEAD~1", "HEAD").stdout, "", name)
                XCTAssertEqual(try Data(contentsOf: f.root.appendingPathComponent(".git/index")).base64EncodedString(), before.index, name)
                XCTAssertEqual(try f.read("labs/lab_stages.toml"), before.files["labs/lab_stages.toml"], name)
                continue
            }
            if name == "index.lock taken mid-run" { try FileManager.default.removeItem(at: f.root.appendingPathComponent(".git/index.lock")) }
            XCTAssertEqual(try state(f, paths), before, "\(name): something changed")
        }
    }

    func testIdentityUnbornAndBareAreRefusedBeforeAnything() throws {
        let f = try GitFixture()
        try f.write("lab_stages.toml", Self.lab)
        var r = try labcheck(f, ["--fix-explicit"])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stderr.contains("HEAD has no commit yet"), r.stderr)
        try f.commit(["lab_stages.toml": Self.lab])
        try f.git("config", "--unset", "user.name")
        r = try labcheck(f, ["--fix-explicit"], env: ["GIT_AUTHOR_NAME": "", "GIT_COMMITTER_NAME": ""])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stderr.contains("no identity"), r.stderr)
        let bare = f.sibling("bare.git")
        try f.git("clone", "-q", "--bare", f.root.path, bare.path)
        r = try LabcheckBinary.run(["--fix-explicit"], in: bare, environment: f.environment)
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stderr.contains("bare repository"), r.stderr)
    }

    func testCRLFExecutableBitSubdirectoryDetachedHeadAndNoCommit() throws {
        let f = try GitFixture()
        let crlf = Self.lab.replacingOccurrences(of: "\n", with: "\r\n")
        try f.commit(["deep/er/lab_stages.toml": crlf])
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: f.root.appendingPathComponent("deep/er/lab_stages.toml").path)
        try f.git("add", "deep/er/lab_stages.toml")
        try f.git("commit", "-q", "-m", "exec")
        try f.git("checkout", "-q", "--detach")
        let r = try labcheck(f, ["--fix-explicit"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("on HEAD"), r.stdout)
        let committed = try f.git("show", "HEAD:deep/er/lab_stages.toml").stdout
        XCTAssertTrue(committed.contains("template_version = 5   # saved by the orchestrator\r\n"), committed)
        XCTAssertFalse(committed.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "a bare LF in a CRLF file")
        XCTAssertEqual(try f.git("ls-files", "-s", "deep/er/lab_stages.toml").stdout.prefix(6), "100755")
        XCTAssertEqual(try f.git("status", "--porcelain").stdout, "")

        // --no-commit: the index and the work tree only.
        let g = try GitFixture()
        try g.commit(["lab_stages.toml": Self.lab])
        try g.git("config", "commit.gpgsign", "true")
        let head = try g.git("rev-parse", "HEAD").stdout
        let n = try labcheck(g, ["--fix-explicit", "--no-commit"])
        XCTAssertEqual(n.status, 0, "\(n)")
        XCTAssertEqual(try g.git("rev-parse", "HEAD").stdout, head)
        XCTAssertTrue(try g.git("diff", "--cached").stdout.contains("+template_version = 5"))
        XCTAssertEqual(try g.git("diff").stdout, "", "the work tree matches the index")
    }

    func testARenamedLabFileAndACleanFilter() throws {
        let f = try GitFixture()
        try f.commit(["old/lab_stages.toml": Self.lab])
        try FileManager.default.createDirectory(at: f.root.appendingPathComponent("new"), withIntermediateDirectories: true)
        try f.git("mv", "old/lab_stages.toml", "new/lab_stages.toml")
        try f.git("commit", "-q", "-m", "rename")
        // A clean filter that strips trailing blanks: the work-tree copy has them, the blob not.
        try f.write(".gitattributes", "*.toml filter=strip\n")
        try f.git("config", "filter.strip.clean", "sed -e 's/[ ]*$//'")
        try f.git("config", "filter.strip.smudge", "cat")
        try f.write("new/lab_stages.toml", Self.lab.replacingOccurrences(of: "id = \"other\"", with: "id = \"other\"   "))
        try f.git("add", ".")
        try f.git("commit", "-q", "-m", "filter")
        try f.write("new/lab_stages.toml", Self.lab.replacingOccurrences(of: "id = \"other\"", with: "id = \"other\"   "))
        let r = try labcheck(f, ["--fix-explicit"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("new/lab_stages.toml: pipeline[allocate] v3 -> v5"), r.stdout)
        XCTAssertTrue(try f.read("new/lab_stages.toml").contains("id = \"other\"   \n"), "the work tree's own bytes are kept")
        XCTAssertTrue(try f.read("new/lab_stages.toml").contains("template_version = 5"))
        XCTAssertEqual(try f.git("status", "--porcelain").stdout, "", "git sees no change left")
    }

    func testConvertTheOldestGenerationThenRefreshItToCurrent() throws {
        let code = String(decoding: try SharedData.bytes("agilab-samples/generated/2026-04-27_ee2f01a31__run.py"), as: UTF8.self)
        for eol in ["\n", "\r\n"] {
            let f = try GitFixture()
            var lab = "# flight lab\n[[flight]]\nid = \"run\"\nD = \"Run the app\"\nC = '''\n" + code + "'''\n\n[[flight]]\nid = \"custom\"\nC = \"print(1)\"\n"
            if eol == "\r\n" { lab = lab.replacingOccurrences(of: "\n", with: "\r\n") }
            try f.commit(["lab_stages.toml": lab])
            let dry = try labcheck(f, ["convert", "--fix-explicit", "--dry-run"])
            XCTAssertEqual(dry.status, 0, "\(dry)")
            XCTAssertTrue(dry.stdout.contains("+kind = \"template\"" + eol + "+template_id = \"pipeline.agi_run.single_action\"" + eol + "+template_version = 1"), dry.stdout)
            XCTAssertEqual(try f.git("log", "--oneline").stdout.split(separator: "\n").count, 1)
            let converted = try labcheck(f, ["convert", "--fix-explicit"])
            XCTAssertEqual(converted.status, 0, "\(converted)")
            XCTAssertEqual(try f.git("log", "-1", "--format=%B").stdout,
                           "labcheck: convert 2 legacy stages\n\nlab_stages.toml: flight[run] -> template pipeline.agi_run.single_action v1\nlab_stages.toml: flight[custom] -> raw_python\n\n")
            // Converted, the stage is a stale template stage whose kept code is its v1 render.
            let afterConvert = try labcheck(f, ["check", "--rev", "HEAD", "--all", "--strict", "--format", "json"])
            let ids = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(afterConvert.stdout.utf8)) as? [String: Any])?["diagnostics"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            XCTAssertEqual(ids, ["LC111"], afterConvert.stdout)
            let refreshed = try labcheck(f, ["--fix-explicit"])
            XCTAssertEqual(refreshed.status, 0, "\(refreshed)")
            XCTAssertTrue(refreshed.stdout.contains("lab_stages.toml: flight[run] v1 -> v5"), refreshed.stdout)
            // Current, with no finding (LC114 holds: the code is the v5 render), nothing left over.
            let final = try labcheck(f, ["check", "--rev", "HEAD", "--all", "--strict"])
            XCTAssertEqual(final.status, 0, "\(final)")
            XCTAssertEqual(try f.git("status", "--porcelain").stdout, "")
            let text = try f.git("show", "HEAD:lab_stages.toml").stdout
            XCTAssertTrue(text.contains("workflow_share_root = \"/mnt/clustershare/agi\"" + eol), text)
            XCTAssertTrue(text.contains("        workflow_share_root=\"/mnt/clustershare/agi\"," + eol), text)
            XCTAssertTrue(text.hasPrefix("# flight lab" + eol), text)
            if eol == "\r\n" { XCTAssertFalse(text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "a bare LF in a CRLF file") }
        }
    }

    func testConvertDropCodeAndAnUnmergedIndexIsRefused() throws {
        let code = String(decoding: try SharedData.bytes("agilab-samples/generated/2026-07-28_c14c94d2a__install.py"), as: UTF8.self)
        let f = try GitFixture()
        try f.commit(["lab_stages.toml": "[[flight]]\nid = \"install\"\nC = '''\n" + code + "'''\n"])
        let r = try labcheck(f, ["convert", "--fix-explicit", "--drop-code"])
        XCTAssertEqual(r.status, 0, "\(r)")
        let text = try f.git("show", "HEAD:lab_stages.toml").stdout
        XCTAssertFalse(text.contains("C = "), text)
        XCTAssertEqual(try labcheck(f, ["check", "--rev", "HEAD", "--all", "--strict"]).status, 0)
        // An index with unmerged entries: refused, nothing written.
        let g = try GitFixture()
        try g.commit(["lab_stages.toml": Self.lab])
        let blob = try g.git("rev-parse", "HEAD:lab_stages.toml").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let info = "0 0000000000000000000000000000000000000000\tother.txt\n100644 \(blob) 1\tother.txt\n100644 \(blob) 2\tother.txt\n"
        let added = try runProcess("/usr/bin/env", ["git", "update-index", "--index-info"], in: g.root, environment: g.environment, stdin: Array(info.utf8))
        XCTAssertEqual(added.status, 0, "\(added)")
        let head = try g.git("rev-parse", "HEAD").stdout
        let refused = try labcheck(g, ["--fix-explicit"])
        XCTAssertEqual(refused.status, 2, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("unmerged"), refused.stderr)
        XCTAssertEqual(try g.git("rev-parse", "HEAD").stdout, head)
    }

    func testRandomUserEditsSurviveARefresh() throws {
        // Two stale stages and a code stage in one file, two other files; each round makes a
        // random mix of staged and unstaged edits to the code stage and the other files, then
        // refreshes: the user's diffs (work tree vs index, index vs HEAD) are the same before and
        // after, and the refresh commit holds only the refresh.
        let lab = Self.lab + Self.lab.replacingOccurrences(of: "id = \"allocate\"", with: "id = \"second\"").replacingOccurrences(of: "id = \"other\"", with: "id = \"other2\"")
        var rounds = 0
        for seed in 0..<12 {
            var r = seed &* 2_654_435_761 &+ 1
            func coin() -> Bool { r = (r &* 1_103_515_245 &+ 12_345) & 0x7FFF_FFFF; return (r >> 16) & 1 == 1 }
            let f = try GitFixture()
            try f.commit(["labs/lab_stages.toml": lab, "a.txt": "a\n", "b/c.txt": "c\n"])
            var labText = lab
            if coin() { labText = labText.replacingOccurrences(of: "print(1)", with: "print(\(seed))"); try f.write("labs/lab_stages.toml", labText); if coin() { try f.git("add", "labs/lab_stages.toml") } }
            if coin() { try f.write("a.txt", "a\(seed)\n"); if coin() { try f.git("add", "a.txt") } }
            if coin() { try f.write("b/c.txt", "c\(seed)\n"); try f.git("add", "b/c.txt"); if coin() { try f.write("b/c.txt", "c\(seed) again\n") } }
            if coin() { labText += "# a note\n"; try f.write("labs/lab_stages.toml", labText) }
            // The diffs without their `index <blob>..<blob>` lines: the blobs on both sides now
            // carry the refresh, the changes between them must be the same.
            func changes(_ args: String...) throws -> String {
                try f.git(arguments: args).stdout.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("index ") }.joined(separator: "\n")
            }
            let diff = try changes("diff"), cached = try changes("diff", "--cached")
            let result = try labcheck(f, ["--fix-explicit"])
            XCTAssertEqual(result.status, 0, "seed \(seed): \(result)")
            XCTAssertEqual(try changes("diff"), diff, "seed \(seed): unstaged changes")
            XCTAssertEqual(try changes("diff", "--cached"), cached, "seed \(seed): staged changes")
            XCTAssertEqual(try f.git("diff", "--stat", "HEAD~1", "HEAD").stdout, " labs/lab_stages.toml | 8 ++++----\n 1 file changed, 4 insertions(+), 4 deletions(-)\n", "seed \(seed)")
            rounds += 1
        }
        XCTAssertEqual(rounds, 12)
    }

    func testAStageThatCannotBeRefreshedBlocksTheWriteUnlessPartial() throws {
        // A repository family with a gap (no migration from v1): that stage cannot be refreshed.
        let f = try GitFixture()
        let gap = "id = \"gap.family\"\nversion = 3\n[[migrations]]\nfrom = 2\nto = 3\nnote = \"x\"\n"
        let stale = "\n[[pipeline]]\nkind = \"template\"\nid = \"gappy\"\ntemplate_id = \"gap.family\"\ntemplate_version = 1\napp = \"example_project\"\naction = \"reference_allocator\"\n"
        try f.commit([".labcheck.toml": "rules = [\"lab_rules\"]\n", "lab_rules/templates/gap.toml": gap, "lab_stages.toml": Self.lab + stale])
        let head = try f.git("rev-parse", "HEAD").stdout
        let blocked = try labcheck(f, ["--fix-explicit"])
        XCTAssertEqual(blocked.status, 2, "\(blocked)")
        XCTAssertTrue(blocked.stdout.contains("cannot refresh lab_stages.toml: pipeline[gappy]: no migration is declared from v1 to v2"), blocked.stdout)
        XCTAssertTrue(blocked.stderr.contains("--partial"), blocked.stderr)
        XCTAssertEqual(try f.git("rev-parse", "HEAD").stdout, head)
        XCTAssertEqual(try f.git("status", "--porcelain").stdout, "")
        let partial = try labcheck(f, ["--fix-explicit", "--partial"])
        XCTAssertEqual(partial.status, 0, "\(partial)")
        XCTAssertEqual(try f.git("log", "-1", "--format=%B").stdout, "labcheck: refresh 1 template stage\n\nlab_stages.toml: pipeline[allocate] v3 -> v5\n\n")
        XCTAssertTrue(try f.git("show", "HEAD:lab_stages.toml").stdout.contains("template_version = 1\napp = \"example_project\""), "the other stage is untouched")
    }
}
