import Foundation
import XCTest
import LabcheckTestSupport

/// Issue 11: the staged report scope (every finding in a touched file, every configuration
/// error, and every finding anywhere that is absent at the diff base), the result cache that
/// makes it cheap (keyed by the snapshot's and the base's trees), `--cache-dir`, and a cache
/// that is bounded and never trusted blindly. Real repositories, the built binary.
final class ReportScopeCLITests: XCTestCase {
    private static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Differential")

    /// `app.core` must not import `app.ui`. `app.core.x` imports the name `helpers` of
    /// `app.service`, which is a variable until a module `app/service/helpers.py` appears.
    static let repository: [String: String] = [
        ".labcheck.toml": """
        [python]
        roots = ["src"]

        [[contracts]]
        name = "core stays pure"
        type = "forbidden"
        source = ["app.core"]
        forbidden = ["app.ui"]

        """,
        "src/app/__init__.py": "",
        "src/app/core/__init__.py": "",
        "src/app/core/x.py": "from app.service import helpers\n",
        "src/app/service/__init__.py": "helpers = None\n",
        "src/app/ui/__init__.py": "",
        "src/app/ui/view.py": "",
    ]

    private func labcheck(_ f: GitFixture, _ args: [String], environment extra: [String: String] = [:]) throws -> CommandResult {
        try LabcheckBinary.run(args, in: f.root, environment: f.environment.merging(extra) { $1 })
    }

    private func headers(_ out: String) -> [String] {
        out.split(separator: "\n").filter { $0.contains(": error[") || $0.contains(": warning[") }.map {
            let s = String($0)
            return String(s[..<s.range(of: "]: ")!.upperBound].dropLast(2))
        }
    }

    func testANewModuleThatBreaksAContractThroughAnUntouchedFileIsReported() throws {
        let f = try GitFixture()
        try f.commit(Self.repository)
        XCTAssertEqual(try labcheck(f, ["check", "--all"]).status, 0)
        // The new module changes what the untouched `from app.service import helpers` imports.
        try f.write("src/app/service/helpers.py", "import app.ui.view\n")
        try f.git("add", ".")
        for args in [["check"], ["check", "--no-cache"], ["check"]] {
            let r = try labcheck(f, args)
            XCTAssertEqual(r.status, 1, "\(args): \(r)")
            XCTAssertEqual(headers(r.stdout), ["src/app/core/x.py:1:6: error[LC301]"], "\(args): \(r)")
            XCTAssertTrue(r.stdout.contains("app.core.x imports app.ui.view through a chain"), r.stdout)
        }
        // Once committed, the finding is at the diff base: a change elsewhere does not report it
        // again, while `--all` still does.
        try f.git("commit", "-qm", "helpers")
        try f.write("src/app/ui/view.py", "VALUE = 1\n")
        try f.git("add", ".")
        let later = try labcheck(f, ["check", "-v"])
        XCTAssertEqual(later.status, 0, "\(later)")
        XCTAssertTrue(later.stderr.contains("1 elsewhere also at the base, not reported"), later.stderr)
        XCTAssertEqual(headers(try labcheck(f, ["check", "--all"]).stdout), ["src/app/core/x.py:1:6: error[LC301]"])
    }

    /// A staged run starts from the last staged record against the same base (or, first after
    /// a commit, from the base's own) when only files whose change cannot reach elsewhere
    /// changed (IncrementalCheck); otherwise it runs in full and says why. Either way its output
    /// is `--no-cache`'s.
    func testAStagedRunStartsFromTheLastOneOnlyWhenThatIsExact() throws {
        let f = try GitFixture()
        var files = Self.repository
        files["src/app/core/direct.py"] = "import app.ui.view\n"   // a violation, at the base
        files["lab/lab_stages.toml"] = Labs.clean
        files["notes.txt"] = "notes\n"
        try f.commit(files)
        XCTAssertEqual(try labcheck(f, ["check"]).status, 0)   // nothing staged: the base's record
        func step(_ expected: String, also: String? = nil, _ edits: [String: String], status: Int32? = nil, line: UInt = #line) throws {
            for (path, text) in edits { try f.write(path, text) }
            try f.git("add", "-A")
            let run = try labcheck(f, ["check", "-v"]), cold = try labcheck(f, ["check", "--no-cache"])
            for expected in [expected] + (also.map { [$0] } ?? []) {
                XCTAssertTrue(run.stderr.contains(expected), "expected '\(expected)': \(run.stderr)", line: line)
            }
            XCTAssertEqual(run.status, cold.status, "\(run)", line: line)
            XCTAssertEqual(run.stdout, cold.stdout, line: line)
            if let status { XCTAssertEqual(run.status, status, "\(run)", line: line) }
        }
        // Code that imports nothing, and a comment in the lab file. The touched file's
        // violation is reported.
        try step("incremental: from the latest staged run's findings; 2 file(s) changed since",
                 ["src/app/core/direct.py": "import app.ui.view\nVALUE = 1\n", "lab/lab_stages.toml": Labs.clean + "# a note\n"], status: 1)
        // A lab-file finding appears, the stage code is the same.
        try step("incremental: from the latest staged run's findings; 1 file(s) changed since: lab/lab_stages.toml",
                 ["lab/lab_stages.toml": Labs.clean + "\n[[flight]]\nid = \"load\"\nD = \"again\"\n"], status: 1)
        try step("incremental: from the latest staged run's findings", ["src/app/core/direct.py": "import app.ui.view\nVALUE = 2\n"], status: 1)
        // Committed (the hook checked that index): the next run starts from the base's record.
        try f.git("commit", "-qm", "checked")
        try step("incremental: from the diff base's findings; 1 file(s) changed since: notes.txt", ["notes.txt": "more notes\n"], status: 0)
        // New imports: the kept graph is patched, every contract checked again; then the
        // patched graph is patched again (the findings go, then come back).
        try step("the kept import graph patched with the new imports of 1 file(s), every contract checked again",
                 ["src/app/core/direct.py": "import app.ui\nimport app.ui.view\nVALUE = 2\n"], status: 1)
        // The kept graph was read on another thread while the index was read.
        try step("graph read ahead (read in", ["src/app/core/direct.py": "VALUE = 2\n"], status: 0)
        // Its thread's heap was advised for huge pages where the kernel offers them on request
        // (HugePageHeap.adviseThisThreadsArena).
        let mode = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? ""
        try step("the kept import graph patched with the new imports of 1 file(s)",
                 also: mode.contains("[madvise]") || mode.contains("[always]") ? "MiB advised for transparent huge pages\n"
                     : "the graph was read ahead on a thread whose heap had ",
                 ["src/app/core/direct.py": "import app.ui.view\nimport app.ui\nVALUE = 2\n"], status: 1)
        // What can reach other files is a whole run.
        try step("incremental: a whole run is needed (src/app/core/direct.py has a suppression comment)",
                 ["src/app/core/direct.py": "import app.ui  # labcheck: ignore[LC300] kept for now\nimport app.ui.view\nVALUE = 2\n"])
        try step("incremental: a whole run is needed (src/app/service/helpers.py was added, deleted, or changed type)",
                 ["src/app/service/helpers.py": "import app.ui.view\n"], status: 1)
        try step("incremental: a whole run is needed (lab/lab_stages.toml: its stage code changed)",
                 ["lab/lab_stages.toml": Labs.clean.replacingOccurrences(of: "import json", with: "import app.ui.view")], status: 1)
        try step("incremental: a whole run is needed (.labcheck.toml is read for the configuration)",
                 [".labcheck.toml": Self.repository[".labcheck.toml"]! + "\n"], status: 1)
        try step("incremental: from the latest staged run's findings; 1 file(s) changed since: notes.txt", ["notes.txt": "even more notes\n"], status: 1)
    }

    func testAFindingThatOnlyChangesShapeElsewhereIsNewButOneThatStaysIsNot() throws {
        let f = try GitFixture()
        var files = Self.repository
        files["src/app/core/direct.py"] = "import app.ui.view\n"   // an existing violation
        try f.commit(files)
        try f.write("src/app/ui/other.py", "")
        try f.git("add", ".")
        // The existing violation is in an untouched file and at the base: not reported.
        let r = try labcheck(f, ["check", "-v"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(headers(r.stdout), [])
        // A second violation in an untouched file, created by the staged change, is.
        try f.write("src/app/service/helpers.py", "from app.ui import other\n")
        try f.git("add", ".")
        let second = try labcheck(f, ["check"])
        XCTAssertEqual(second.status, 1, "\(second)")
        XCTAssertEqual(headers(second.stdout), ["src/app/core/x.py:1:6: error[LC301]"], "\(second)")
    }

    func testNothingStagedIsAnsweredFromTheIndexAndTheCache() throws {
        let f = try GitFixture()
        var files = Self.repository
        files["src/app/core/direct.py"] = "import app.ui.view\n"
        try f.commit(files)
        let first = try labcheck(f, ["check", "-v"])
        XCTAssertEqual(first.status, 0, "\(first)")
        XCTAssertTrue(first.stderr.contains("(equal: nothing changed)"), first.stderr)
        let second = try labcheck(f, ["check", "-v", "--format", "json"])
        XCTAssertEqual(second.status, 0, "\(second)")
        XCTAssertTrue(second.stderr.contains("the snapshot's findings from the cache"), second.stderr)
        XCTAssertFalse(second.stderr.contains("snapshot: staged ("), "the snapshot must not be read in full: \(second.stderr)")
        // Not even the index is parsed: its checksum trailer says it is the one whose tree is known.
        XCTAssertTrue(second.stderr.contains("the index file is unchanged since its tree was computed"), second.stderr)
        // A staged change rewrites the index: its tree is computed again, and the change is seen.
        try f.write("src/app/service/helpers.py", "import app.ui.view\n")
        try f.git("add", ".")
        let staged = try labcheck(f, ["check", "-v"])
        XCTAssertFalse(staged.stderr.contains("the index file is unchanged"), staged.stderr)
        XCTAssertEqual(staged.status, 1, "\(staged)")
        XCTAssertEqual(try labcheck(f, ["check", "-v"]).stdout, staged.stdout)
        try f.git("reset", "-q")
        let cold = try labcheck(f, ["check", "--no-cache", "--format", "json"])
        XCTAssertEqual(second.stdout, cold.stdout)
        // The configuration broken while nothing else changes: still an error (exit 2), also
        // when the answer comes from the cache.
        try f.write(".labcheck.toml", "[python]\nroots = [\"nope\"]\n\n[[contracts]]\nname = \"c\"\ntype = \"forbidden\"\nsource = [\"app.core\"]\nforbidden = [\"app.ui\"]\n")
        try f.git("commit", "-qam", "broken")
        for args in [["check"], ["check"], ["check", "--no-cache"]] {
            let r = try labcheck(f, args)
            XCTAssertEqual(r.status, 2, "\(args): \(r)")
            XCTAssertTrue(r.stdout.contains("error[LC001]"), r.stdout)
        }
    }

    func testCacheDirectoryOptionAndEnvironment() throws {
        let f = try GitFixture()
        try f.commit(Self.repository)
        try f.write("src/app/service/helpers.py", "import app.ui.view\n")
        try f.git("add", ".")
        let gitCache = f.root.appendingPathComponent(".git/labcheck")
        let option = f.sibling("ci-cache")
        let r = try labcheck(f, ["check", "--cache-dir", option.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: option.appendingPathComponent("import-scan-cache-v1").path))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: option.appendingPathComponent("runs").path).isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: gitCache.path), "nothing in the git directory")
        let fromEnvironment = f.sibling("env-cache")
        let e = try labcheck(f, ["check", "-v"], environment: ["LABCHECK_CACHE_DIR": fromEnvironment.path])
        XCTAssertEqual(e.status, 1)
        XCTAssertTrue(e.stderr.contains("(LABCHECK_CACHE_DIR)"), e.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: fromEnvironment.appendingPathComponent("import-scan-cache-v1").path))
        // A cache kept by CI and restored into a fresh clone serves the same tree.
        let again = try labcheck(f, ["check", "-v", "--cache-dir", option.path])
        XCTAssertTrue(again.stderr.contains("the snapshot's findings from the cache"), again.stderr)
        XCTAssertEqual(again.stdout, r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: gitCache.path))
    }

    func testHugeCorruptAndForeignCacheFilesAreIgnoredWithoutBeingRead() throws {
        let f = try GitFixture()
        try f.commit(Self.repository)
        try f.write("src/app/service/helpers.py", "import app.ui.view\n")
        try f.git("add", ".")
        let expected = try labcheck(f, ["check", "--no-cache"])
        XCTAssertEqual(expected.status, 1)
        XCTAssertEqual(try labcheck(f, ["check"]).stdout, expected.stdout)
        let cache = f.root.appendingPathComponent(".git/labcheck")
        // Every other cache file (run records, memos) corrupted, the scan cache replaced by a
        // 4 GiB (sparse) file.
        let runs = cache.appendingPathComponent("runs")
        let scan = cache.appendingPathComponent("import-scan-cache-v1")
        var corrupted = 0
        for name in try FileManager.default.subpathsOfDirectory(atPath: cache.path) where name != "import-scan-cache-v1" {
            let url = cache.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            var bytes = try [UInt8](Data(contentsOf: url))
            bytes[bytes.count / 2] ^= 0x55
            try Data(bytes).write(to: url)
            corrupted += 1
        }
        XCTAssertGreaterThanOrEqual(corrupted, 4, "run records, import digests, an import outcome")
        try FileManager.default.removeItem(at: scan)
        XCTAssertTrue(FileManager.default.createFile(atPath: scan.path, contents: nil))
        let handle = try FileHandle(forWritingTo: scan)
        try handle.truncate(atOffset: 4 << 30)
        try handle.close()
        let r = try labcheck(f, ["check", "-v"])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertEqual(r.stdout, expected.stdout)
        XCTAssertTrue(r.stderr.contains("over the \(1 << 30)-byte bound; ignored without reading it"), r.stderr)
        XCTAssertTrue(r.stderr.contains("is not a valid labcheck run record; ignored"), r.stderr)
        XCTAssertTrue(r.stderr.contains("import-digests-v1 is not a valid labcheck cache file; ignored"), r.stderr)
        // Peak RSS of a run, from wait4.
        let rss = try runProcess("/usr/bin/env", ["python3", "-c", """
            import os, subprocess, sys
            p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(p.pid, 0)
            print(usage.ru_maxrss)
            """, LabcheckBinary.path, "check"], in: f.root, environment: f.environment)
        let kib = try XCTUnwrap(Int(rss.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(rss)")
        XCTAssertLessThan(kib, 512 * 1024, "a 4 GiB cache file must cost no memory (peak RSS \(kib) KiB)")
        // A foreign file in place of a record: ignored too. The run rewrote a valid record.
        for name in try FileManager.default.contentsOfDirectory(atPath: runs.path) {
            try Data("not labcheck's".utf8).write(to: runs.appendingPathComponent(name))
        }
        let foreign = try labcheck(f, ["check", "-v"])
        XCTAssertEqual(foreign.stdout, expected.stdout)
        XCTAssertTrue(foreign.stderr.contains("is not a valid labcheck run record; ignored"), foreign.stderr)
    }

    /// A staged change that edits imports patches the earlier run's kept graph; a kept graph that
    /// is damaged, oversized or gone is never used: the run is whole, says why, and prints what
    /// `--no-cache` prints.
    func testAKeptGraphThatIsDamagedOrOversizedMeansAWholeRun() throws {
        let f = try GitFixture()
        try f.commit(Self.repository)
        let graphs = f.root.appendingPathComponent(".git/labcheck/graphs")
        var step = 0
        func stage(_ text: String, expect: String?, line: UInt = #line) throws {
            step += 1
            try f.write("src/app/service/helpers.py", text + "VALUE = \(step)\n")
            try f.git("add", ".")
            let run = try labcheck(f, ["check", "-v"]), cold = try labcheck(f, ["check", "--no-cache"])
            if let expect { XCTAssertTrue(run.stderr.contains(expect), "expected '\(expect)': \(run.stderr)", line: line) }
            XCTAssertEqual(run.status, cold.status, "\(run)", line: line)
            XCTAssertEqual(run.stdout, cold.stdout, line: line)
        }
        try stage("import app.ui.view\n", expect: nil)   // the first staged run: whole (no earlier record), keeps its graph
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: graphs.path).isEmpty)
        try stage("import app.core.x\n", expect: "the kept import graph patched with the new imports of 1 file(s)")
        // Damaged: one byte of every kept graph flipped (the checksum no longer matches).
        for name in try FileManager.default.contentsOfDirectory(atPath: graphs.path) {
            let url = graphs.appendingPathComponent(name)
            var bytes = try [UInt8](Data(contentsOf: url))
            bytes[bytes.count - 3] ^= 0x20
            try Data(bytes).write(to: url)
        }
        try stage("import app.ui\n", expect: "is not a valid labcheck cache file; ignored")
        // That whole run kept a graph again: now made oversized (a sparse 2 GiB file).
        for name in try FileManager.default.contentsOfDirectory(atPath: graphs.path) {
            let handle = try FileHandle(forWritingTo: graphs.appendingPathComponent(name))
            try handle.truncate(atOffset: 2 << 30)
            try handle.close()
        }
        try stage("import app.core\n", expect: "over the \(1 << 30)-byte bound; ignored without reading it")
        // Gone: said so.
        try FileManager.default.removeItem(at: graphs)
        try stage("import app.ui.view\nimport app.core\n", expect: "its imports changed, and the earlier run's import graph is not in the cache")
        // And the next one patches the graph that run kept.
        try stage("import app.ui.view\n", expect: "the kept import graph patched with the new imports of 1 file(s)")
    }

    /// The memos of a whole run (a run with no earlier staged record to start from: the first
    /// after a commit the hook did not check, `--rev`, or records pruned): here the run records
    /// are removed before each run, so that the incremental check has nothing to start from.
    func testUnchangedLabFilesAndAnUnchangedImportGraphAreNotCheckedAgain() throws {
        let f = try GitFixture()
        let records = f.root.appendingPathComponent(".git/labcheck/runs")
        func forgetRecords() throws { try FileManager.default.removeItem(at: records) }
        var files = Self.repository
        files["src/app/core/direct.py"] = "import app.ui.view\n"   // an existing violation
        files["labs/a/lab_stages.toml"] = "[[flow]]\nid = \"a\"\nD = \"first\"\nC = \"import app.core.x\\n\"\n"
        files["labs/b/lab_stages.toml"] = "[[flow]]\nid = \"b\"\nD = \"second\"\nC = \"import app.ui.view\\n\"\n"
        try f.commit(files)
        XCTAssertEqual(try labcheck(f, ["check", "--all"]).status, 1)
        // A description and a Python file's body change; no import does.
        try f.write("labs/a/lab_stages.toml", "[[flow]]\nid = \"a\"\nD = \"first, reworded\"\nC = \"import app.core.x\\n\"\n")
        try f.write("src/app/core/x.py", "from app.service import helpers\nVALUE = 1\n")
        try f.git("add", ".")
        try forgetRecords()
        let warm = try labcheck(f, ["check", "--all", "-v"])
        XCTAssertFalse(warm.stderr.contains("incremental: from"), warm.stderr)
        XCTAssertTrue(warm.stderr.contains("lab files: 1 of 2 unchanged since an earlier run, their findings reused"), warm.stderr)
        XCTAssertTrue(warm.stderr.contains("its import findings reused (1 changed file(s) scanned to know)"), warm.stderr)
        XCTAssertFalse(warm.stderr.contains("from the scan cache"), "the scan cache is not even loaded: \(warm.stderr)")
        let cold = try labcheck(f, ["check", "--all", "--no-cache"])
        XCTAssertEqual(warm.stdout, cold.stdout)
        XCTAssertTrue(warm.stdout.contains("src/app/core/direct.py:1:8: error[LC300]"), warm.stdout)
        // The line of a reported import changes but not the import: the finding shows the new line.
        try f.write("src/app/core/direct.py", "import app.ui.view  # still here\n")
        try f.git("add", ".")
        try forgetRecords()
        let comment = try labcheck(f, ["check", "--all", "-v"])
        XCTAssertTrue(comment.stderr.contains("its import findings reused"), comment.stderr)
        XCTAssertTrue(comment.stdout.contains("import app.ui.view  # still here"), comment.stdout)
        XCTAssertEqual(comment.stdout, try labcheck(f, ["check", "--all", "--no-cache"]).stdout)
        // An import changes: the graph is built again.
        try f.write("src/app/core/x.py", "from app.service import helpers\nimport app.ui\n")
        try f.git("add", ".")
        try forgetRecords()
        let changed = try labcheck(f, ["check", "--all", "-v"])
        XCTAssertFalse(changed.stderr.contains("its import findings reused"), changed.stderr)
        XCTAssertTrue(changed.stdout.contains("src/app/core/x.py:2:8: error[LC300]"), changed.stdout)
        XCTAssertEqual(changed.stdout, try labcheck(f, ["check", "--all", "--no-cache"]).stdout)
    }

    func testAnEditedImportLinterFileAtAnyPathIsNotAnsweredFromTheMemo() throws {
        let f = try GitFixture()
        var files = Self.repository
        files[".labcheck.toml"] = "import_linter = \"lint/contracts.ini\"\n\n[python]\nroots = [\"src\"]\n"
        files["src/app/service/helpers.py"] = "import app.ui.view\n"
        func contract(_ source: String) -> String {
            "[importlinter]\nroot_package = app\n\n[importlinter:contract:one]\nname = pure\ntype = forbidden\nsource_modules =\n    \(source)\nforbidden_modules =\n    app.ui\n"
        }
        files["lint/contracts.ini"] = contract("app.core")
        try f.commit(files)
        let first = try labcheck(f, ["check", "--all"])
        XCTAssertEqual(first.status, 1, "\(first)")   // app.core.x -> app.service.helpers -> app.ui.view
        // Only the contract file changes: the service may not import the UI either now.
        try f.write("lint/contracts.ini", contract("app.service"))
        try f.git("add", ".")
        let edited = try labcheck(f, ["check", "--all", "-v"])
        XCTAssertFalse(edited.stderr.contains("its import findings reused"), edited.stderr)
        XCTAssertEqual(edited.stdout, try labcheck(f, ["check", "--all", "--no-cache"]).stdout)
        XCTAssertTrue(edited.stdout.contains("src/app/service/helpers.py:1:8: error[LC300]"), edited.stdout)
    }

    /// The definition, checked over random sequences of edits: each incremental staged run
    /// (with the caches of every earlier step) equals a cold `--all` run's findings filtered to
    /// the report scope (`Tests/Differential/staged_scope_differential.py`).
    func testStagedRunsEqualColdFullRunsFilteredToTheScopeOverRandomEditSequences() throws {
        let f = try GitFixture(initialize: false)
        let seed = ProcessInfo.processInfo.environment["LABCHECK_DIFF_SEED"] ?? "11"
        let r = try runProcess("/usr/bin/env", ["python3", Self.scripts.appendingPathComponent("staged_scope_differential.py").path,
                                                "--labcheck", LabcheckBinary.path, "--seed", seed, "--sequences", "16", "--steps", "8",
                                                "--workdir", f.root.path],
                               in: f.root, environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LANG": "C.UTF-8"])
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
        XCTAssertEqual(r.status, 0, "mismatches: \(summary["problems"] ?? "")")
        XCTAssertEqual(summary["problem_count"] as? Int, 0)
        XCTAssertEqual(summary["comparisons"] as? Int, 16 * 8, "\(summary)")
        // The sequences must have exercised what the scope is about.
        XCTAssertGreaterThan(summary["new_elsewhere"] as? Int ?? 0, 5, "\(summary)")
        XCTAssertGreaterThan(summary["also_at_base"] as? Int ?? 0, 20, "\(summary)")
        XCTAssertGreaterThan(summary["in_touched"] as? Int ?? 0, 20, "\(summary)")
        XCTAssertGreaterThan(summary["nothing_staged"] as? Int ?? 0, 3, "\(summary)")
        XCTAssertGreaterThan(summary["incremental"] as? Int ?? 0, 10, "runs answered from the run before: \(summary)")
        XCTAssertGreaterThan(summary["config_errors"] as? Int ?? 0, 0, "\(summary)")
    }
}
