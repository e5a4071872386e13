import Foundation
import XCTest
import LabcheckCore
import LabcheckTestSupport
import LabcheckTOML

/// Lab file contents used across the end-to-end tests.
enum Labs {
    static let clean = """
    [__meta__]
    schema = "agilab.lab_stages.v1"

    [[flight]]
    id = "load"
    C = "import json"

    """

    /// A duplicate stage id (LC101) on line 9.
    static let duplicateID = clean + """

    [[flight]]
    id = "load"
    C = "import os"

    """
}

/// The built binary, run on real repositories.
final class CLITests: XCTestCase {
    private func labcheck(_ f: GitFixture, _ args: [String], in dir: URL? = nil, env: [String: String] = [:], stdin: [UInt8] = []) throws -> CommandResult {
        try LabcheckBinary.run(args, in: dir ?? f.root, environment: f.environment.merging(env) { $1 }, stdin: stdin)
    }

    func testDemoRunsTheStagedCheckAndShowsRealDiagnostics() throws {
        let f = try GitFixture(initialize: false)
        let r = try labcheck(f, ["demo"])
        XCTAssertEqual(r.status, 0, "\(r)")
        for id in ["error[LC111]", "error[LC105]", "warning[LC121]"] { XCTAssertTrue(r.stdout.contains(id), "missing \(id): \(r)") }
        XCTAssertTrue(r.stdout.contains("lab/lab_stages.toml:30:20: error[LC111]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("rename workers_data_path -> workflow_share_root"), r.stdout)
    }

    /// `labcheck check ARGS` is parsed by the check command alone (LaunchPlan.parse); the same
    /// arguments without `check` go through the root's parse (check is the default
    /// subcommand). Both must give the same run; rejected arguments and help requests go
    /// through the root's parse and its messages.
    func testCheckParsedAloneEqualsTheRootParse() throws {
        let f = try GitFixture()
        try f.commit(["old/lab_stages.toml": Labs.duplicateID, "new/lab_stages.toml": Labs.clean])
        try f.write("new/lab_stages.toml", Labs.duplicateID + "# touched\n")
        try f.git("add", ".")
        for args in [[], ["--all"], ["--format", "json"], ["--all", "--select", "LC1", "--ignore", "LC101"], ["--no-cache", "--exit-zero"], ["--strict", "--worktree"]] {
            let alone = try labcheck(f, ["check"] + args), root = try labcheck(f, args)
            XCTAssertEqual(alone.status, root.status, "\(args): \(alone) \(root)")
            XCTAssertEqual(alone.stdout, root.stdout, "\(args)")
            XCTAssertEqual(alone.stderr, root.stderr, "\(args)")
        }
        let bad = try labcheck(f, ["check", "--format", "nonsense"])
        XCTAssertEqual(bad.status, 2, "\(bad)")
        XCTAssertTrue(bad.stderr.contains("nonsense"), bad.stderr)
        let unknown = try labcheck(f, ["check", "--bogus"])
        XCTAssertEqual(unknown.status, 2, "\(unknown)")
        XCTAssertTrue(unknown.stderr.contains("Unknown option '--bogus'") && unknown.stderr.contains("labcheck check"), unknown.stderr)
        let help = try labcheck(f, ["check", "--help"])
        XCTAssertEqual(help.status, 0, "\(help)")
        XCTAssertTrue(help.stdout.contains("USAGE: labcheck check"), help.stdout)
    }

    /// The command lines a hook or CI job runs are taken without ArgumentParser
    /// (`LaunchPlan.preparsedCheck`); the settings they give must be the ones ArgumentParser's
    /// parse gives, and every other command line must be left to ArgumentParser.
    func testPreparsedCheckSettingsEqualArgumentParsersAndOnlyTheHooksLinesArePreparsed() throws {
        let f = try GitFixture()
        func launch(_ args: [String]) throws -> (preparsed: String, parsed: String) {
            let r = try labcheck(f, ["debug", "launch"] + args)
            XCTAssertEqual(r.status, 0, "\(r)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.count, 2, r.stdout)
            return (lines.first ?? "", lines.last ?? "")
        }
        let flags = ["--staged", "--all", "--no-cache", "--strict", "--new-only", "--exit-zero", "-v", "--verbose"]
        var lines: [[String]] = [[], ["check"]] + flags.map { ["check", $0] }
        lines += [["check", "--all", "--no-cache", "-v"], ["check", "--staged", "--strict", "--new-only", "--exit-zero", "--verbose"],
                  ["check", "--exit-zero", "--all", "--staged"]]
        var settings = Set<String>()
        for args in lines {
            let (preparsed, parsed) = try launch(args)
            XCTAssertTrue(parsed.hasPrefix("parsed: CheckSettings("), "\(args): \(parsed)")
            XCTAssertEqual(preparsed.dropFirst("preparsed: ".count), parsed.dropFirst("parsed: ".count), "\(args)")
            settings.insert(parsed)
        }
        XCTAssertEqual(settings.count, 10, "defaults (with and without --staged), one per other flag (-v = --verbose), three combinations")
        for args in [["--all"], ["check", "--all", "--all"], ["check", "-v", "--verbose"], ["check", "--format", "json"], ["check", "--base", "HEAD"],
                     ["check", "--select", "LC1"], ["status"], ["check", "--help"], ["check", "--worktree"], ["check", "x"]] {
            XCTAssertEqual(try launch(args).preparsed, "preparsed: no", "\(args)")
        }
    }

    /// The main heap is advised for transparent huge pages (HugePageHeap) unless
    /// `LABCHECK_NO_THP` is set; `-v` says which, and the run's output is the same either way.
    func testHugePageHeapIsAdvisedUnlessTurnedOffAndChangesNoOutput() throws {
        let f = try GitFixture()
        try f.commit(["old/lab_stages.toml": Labs.duplicateID])
        try f.write("new/lab_stages.toml", Labs.duplicateID)
        try f.git("add", "-A")
        let advised = try labcheck(f, ["check", "-v"])
        let plain = try labcheck(f, ["check", "-v"], env: ["LABCHECK_NO_THP": "1"])
        XCTAssertEqual(advised.status, 1, "\(advised)")
        XCTAssertEqual(advised.status, plain.status)
        XCTAssertEqual(advised.stdout, plain.stdout)
        XCTAssertTrue(advised.stdout.contains("error[LC101]"), advised.stdout)
        XCTAssertTrue(plain.stderr.contains("labcheck: heap: ordinary pages (LABCHECK_NO_THP is set)"), plain.stderr)
        let mode = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? ""
        if mode.contains("[madvise]") || mode.contains("[always]") {
            XCTAssertTrue(advised.stderr.contains(" MiB advised for transparent huge pages"), "THP mode \(mode): \(advised.stderr)")
        } else {
            XCTAssertTrue(advised.stderr.contains("labcheck: heap: "), advised.stderr)
        }
    }

    func testStagedErrorExitsOneWithFileLineColumnAndCaret() throws {
        let f = try GitFixture()
        try f.commit(["lab/lab_stages.toml": Labs.clean])
        try f.write("lab/lab_stages.toml", Labs.duplicateID)
        try f.git("add", ".")
        let r = try labcheck(f, ["check"])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.stdout.contains("lab/lab_stages.toml:9:6: error[LC101]: duplicate stage id 'load'"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\n9 | id = \"load\"\n  |      ^^^^^^"), r.stdout)
        XCTAssertTrue(r.stdout.contains("= help:"), r.stdout)
        XCTAssertFalse(r.stdout.contains("\u{1B}["), "no colour when not a terminal")
    }

    func testOnlyTouchedFilesAreCheckedUnlessAll() throws {
        let f = try GitFixture()
        try f.commit(["old/lab_stages.toml": Labs.duplicateID, "new/lab_stages.toml": Labs.clean])
        try f.write("new/lab_stages.toml", Labs.clean + "# touched\n")
        try f.git("add", ".")
        let touchedOnly = try labcheck(f, ["check", "--format", "json"])
        XCTAssertEqual(touchedOnly.status, 0, "\(touchedOnly)")
        let all = try labcheck(f, ["check", "--all"])
        XCTAssertEqual(all.status, 1, "\(all)")
        XCTAssertTrue(all.stdout.contains("old/lab_stages.toml:9:6"), all.stdout)
    }

    func testAllReadsTheDiffBaseOnlyWhenALabFileNeedsIt() throws {
        let f = try GitFixture()
        let lab = "[[m]]\nD = 'x'\nid = 'a'\ntemplate_id = 'generic.execute'\ntemplate_version = %d\n"
        try f.commit(["lab_stages.toml": String(format: lab, 2), "other.txt": "x\n"])
        try f.write("lab_stages.toml", String(format: lab, 1))
        try f.git("add", ".")
        // A lab file: the base is read and the diff-aware check still sees the lowered version.
        let r = try LabcheckBinary.run(["check", "--all", "-v"], in: f.root, environment: f.environment)
        XCTAssertTrue(r.stdout.contains("error[LC150]"), "\(r)")
        XCTAssertTrue(r.stderr.contains("diff base: HEAD ("), r.stderr)
        // No lab file: the base tree is never read.
        try f.git("rm", "-q", "--cached", "lab_stages.toml")
        let none = try LabcheckBinary.run(["check", "--all", "-v"], in: f.root, environment: f.environment)
        XCTAssertEqual(none.status, 0, "\(none)")
        XCTAssertTrue(none.stderr.contains("diff base: read only if a lab file needs it (--all)"), none.stderr)
        XCTAssertFalse(none.stderr.contains("diff base: HEAD"), none.stderr)
    }

    func testJSONOutputFollowsTheDocumentedSchema() throws {
        let f = try GitFixture()
        try f.write("lab_stages.toml", Labs.duplicateID)
        try f.git("add", ".")
        let r = try labcheck(f, ["--format", "json"])
        XCTAssertEqual(r.status, 1, "\(r)")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["schema"] as? String, "labcheck.diagnostics")
        XCTAssertEqual(object["version"] as? Int, 1)
        XCTAssertEqual(object["snapshot"] as? String, "staged")
        let diagnostics = try XCTUnwrap(object["diagnostics"] as? [[String: Any]])
        XCTAssertEqual(diagnostics.count, 1)
        XCTAssertEqual(diagnostics[0]["id"] as? String, "LC101")
        XCTAssertEqual(diagnostics[0]["file"] as? String, "lab_stages.toml")
        XCTAssertEqual((diagnostics[0]["start"] as? [String: Int])?["line"], 9)
        XCTAssertEqual((diagnostics[0]["start"] as? [String: Int])?["column"], 6)
        XCTAssertEqual((diagnostics[0]["end"] as? [String: Int])?["column"], 12)
        XCTAssertEqual((object["summary"] as? [String: Int])?["errors"], 1)
    }

    func testRevAndWorktreeSnapshotsAndBase() throws {
        let f = try GitFixture()
        try f.commit(["lab_stages.toml": Labs.clean], message: "clean")
        try f.commit(["lab_stages.toml": Labs.duplicateID], message: "broken")
        XCTAssertEqual(try labcheck(f, ["check", "--rev", "HEAD"]).status, 1)
        XCTAssertEqual(try labcheck(f, ["check", "--rev", "HEAD~1"]).status, 0)
        // The file did not change between HEAD and its own base, so nothing is touched.
        XCTAssertEqual(try labcheck(f, ["check", "--rev", "HEAD", "--base", "HEAD"]).status, 0)
        try f.write("lab_stages.toml", Labs.clean)
        XCTAssertEqual(try labcheck(f, ["check", "--worktree"]).status, 0)
        XCTAssertEqual(try labcheck(f, ["check", "--worktree", "--all"]).status, 0)
    }

    func testRunsFromASubdirectoryWithRepositoryRelativePaths() throws {
        let f = try GitFixture()
        try f.write("labs/a/lab_stages.toml", Labs.duplicateID)
        try f.git("add", ".")
        let r = try labcheck(f, ["check"], in: f.root.appendingPathComponent("labs/a"))
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.stdout.hasPrefix("labs/a/lab_stages.toml:9:6:"), r.stdout)
    }

    func testUsageErrorsExitTwo() throws {
        let f = try GitFixture()
        let r = try labcheck(f, ["check", "--rev", "HEAD", "--worktree"])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stderr.contains("mutually exclusive"), r.stderr)
        XCTAssertEqual(try labcheck(f, ["check", "--format", "yaml"]).status, 2)
        XCTAssertEqual(try labcheck(f, ["--no-such-flag"]).status, 2)
    }

    func testGitFailuresExitThree() throws {
        let f = try GitFixture(initialize: false)
        let r = try labcheck(f, ["check"])
        XCTAssertEqual(r.status, 3, "\(r)")
        XCTAssertTrue(r.stderr.contains("cannot open the git repository"), r.stderr)
    }

    func testUnmergedIndexExitsThreeNamingThePaths() throws {
        let f = try GitFixture()
        try f.commit(["lab_stages.toml": Labs.clean])
        try f.git("checkout", "-q", "-b", "side")
        try f.commit(["lab_stages.toml": Labs.clean + "# side\n"])
        try f.git("checkout", "-q", "main")
        try f.commit(["lab_stages.toml": Labs.clean + "# main\n"])
        try f.git("merge", "-q", "side", allowFailure: true)
        let r = try labcheck(f, ["check"])
        XCTAssertEqual(r.status, 3, "\(r)")
        XCTAssertTrue(r.stderr.contains("unmerged") && r.stderr.contains("  lab_stages.toml"), r.stderr)
    }

    func testConfigurationErrorsExitTwoAndStageFilesAreConfigurable() throws {
        let f = try GitFixture()
        try f.write(".labcheck.toml", "stage_files = [\"pipelines/*.lab.toml\"]\nstrictt = true\n")
        try f.write("pipelines/x.lab.toml", Labs.duplicateID)
        try f.write("lab_stages.toml", Labs.duplicateID)
        try f.git("add", ".")
        let r = try labcheck(f, ["check"])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stdout.contains(".labcheck.toml:2:1: error[LC001]: unknown key 'strictt'"), r.stdout)
        XCTAssertTrue(r.stdout.contains("did you mean 'strict'?"), r.stdout)
        XCTAssertTrue(r.stdout.contains("pipelines/x.lab.toml:9:6: error[LC101]"), r.stdout)
        XCTAssertFalse(r.stdout.contains("\nlab_stages.toml:"), "the default glob no longer applies: \(r.stdout)")
    }

    func testVerboseSaysWhatWasReadAndDecided() throws {
        let f = try GitFixture()
        try f.write("lab_stages.toml", Labs.clean)
        try f.git("add", ".")
        let r = try labcheck(f, ["check", "-v"])
        XCTAssertEqual(r.status, 0, "\(r)")
        for fragment in ["snapshot: staged", "diff base: the empty tree (HEAD is unborn", "config: defaults", "scope: 1 touched"] {
            XCTAssertTrue(r.stderr.contains(fragment), "missing '\(fragment)' in:\n\(r.stderr)")
        }
    }

    func testColourOnlyWhenAskedAndNeverWithNoColor() throws {
        let f = try GitFixture()
        try f.write("lab_stages.toml", Labs.duplicateID)
        try f.git("add", ".")
        XCTAssertTrue(try labcheck(f, ["check", "--color", "always"]).stdout.contains("\u{1B}["))
        XCTAssertFalse(try labcheck(f, ["check", "--color", "always"], env: ["NO_COLOR": "1"]).stdout.contains("\u{1B}["))
    }

    func testControlCharactersFromFilesNeverReachTheTerminalRaw() throws {
        let f = try GitFixture()
        // A stage id with an ANSI escape and a bidi override, written as TOML escapes.
        let hostile = "[[m]]\nid = \"x\\u001b[31mred\\u202e\"\n[[m]]\nid = \"x\\u001b[31mred\\u202e\"\n"
        try f.write("lab_stages.toml", hostile)
        try f.git("add", ".")
        let r = try labcheck(f, ["check", "--color", "never"])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertFalse(r.stdout.contains("\u{1B}"), "raw ESC reached the output")
        XCTAssertFalse(r.stdout.contains("\u{202E}"), "raw bidi override reached the output")
        XCTAssertTrue(r.stdout.contains("\\u{1B}[31mred\\u{202E}"), r.stdout)
    }

    func testDebugTomlJSONFollowsTheTomlTestHarnessContract() throws {
        let f = try GitFixture(initialize: false)
        let ok = try labcheck(f, ["debug", "toml-json"], stdin: Array("a = 1\n[t]\nb = \"x\"\n".utf8))
        XCTAssertEqual(ok.status, 0, "\(ok)")
        let object = try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((object?["a"] as? [String: String])?["value"], "1")
        let bad = try labcheck(f, ["debug", "toml-json"], stdin: Array("a = 1\nb = \n".utf8))
        XCTAssertEqual(bad.status, 1, "\(bad)")
        XCTAssertTrue(bad.stderr.contains("2:5: expected a value"), bad.stderr)
    }

    func testSharedSamplesParseCleanlyThroughTheBinary() throws {
        let f = try GitFixture()
        let samples = SharedSamples.names
        for name in samples {
            try f.write("labs/\(name)", try SharedSamples.text(name))
        }
        try f.write(".labcheck.toml", "stage_files = [\"labs/*.lab_stages.toml\"]\n")
        try f.git("add", ".")
        let r = try labcheck(f, ["check", "--all", "--format", "json"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("\"files_checked\": 3"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\"errors\": 0, \"warnings\": 0"), r.stdout)
    }
}

/// The AGILab samples in `../shared/agilab-samples`.
enum SharedSamples {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/agilab-samples")
    static let names = ["mission_decision.lab_stages.toml", "orchestrate_generated_snippets.lab_stages.toml",
                        "tescia_diagnostic.lab_stages.toml"]

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }
}
