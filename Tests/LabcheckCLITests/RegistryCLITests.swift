import Foundation
import XCTest
import LabcheckCore
import LabcheckTestSupport

/// Issue 3 end to end: templates, drift, strict keys and the commands, on real repositories.
final class RegistryCLITests: XCTestCase {
    static let designExample = LabFixtures.designExample

    private func labcheck(_ f: GitFixture, _ args: [String], env: [String: String] = [:], in dir: URL? = nil) throws -> CommandResult {
        try LabcheckBinary.run(args, in: dir ?? f.root, environment: f.environment.merging(env) { $1 })
    }

    private func assertGolden(_ actual: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try LabcheckTestSupport.assertGolden(actual, name, in: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden"),
                                             file: file, line: line)
    }

    func testStaleStageStagedExitsOneAtTheTemplateVersionLine() throws {
        let f = try GitFixture()
        try f.commit(RuleFixtures.pinned.merging(["labs/net/lab_stages.toml": Self.designExample]) { $1 })
        try f.write("labs/net/lab_stages.toml", Self.designExample.replacingOccurrences(of: "template_version = 3", with: "template_version = 1"))
        try f.git("add", ".")
        let r = try labcheck(f, ["check"])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.stdout.hasPrefix("labs/net/lab_stages.toml:5:20: error[LC111]: template stage pipeline[allocate] is stale: saved with pipeline.agi_run.single_action v1, the registry is at v3"), r.stdout)
        XCTAssertTrue(r.stdout.contains("migration path: v1 -> v2 (rename workers_data_path -> workflow_share_root), then v2 -> v3 (add rapids_enabled, add benchmark_best_single_node)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("labcheck --fix-explicit"), r.stdout)
        try assertGolden(r.stdout, "stale-check.txt")
        try assertGolden(try labcheck(f, ["check", "--format", "json"]).stdout, "stale-check.json")
        // LC150: lowering a version against HEAD.
        XCTAssertTrue(r.stdout.contains("error[LC150]: this change lowers the template version of pipeline[allocate] from v3 to v1"), r.stdout)
    }

    func testARegistryBumpStagedAloneChecksTheAffectedLabs() throws {
        let f = try GitFixture()
        try f.commit(RuleFixtures.pinned.merging([
            "lab_rules/apps/example_project.toml": "app = \"example_project\"\n[actions.reference_allocator]\nargs = { time_horizon = \"integer\" }\n",
            "labs/net/lab_stages.toml": Self.designExample]) { $1 })
        XCTAssertEqual(try labcheck(f, ["check", "--all"]).status, 0)
        try f.write(RuleFixtures.runFamilyPath, RuleFixtures.runFamilyV3.replacingOccurrences(of: "version = 3", with: "version = 4") + """
        [[migrations]]
        from = 3
        to = 4
        add = { priority = 0 }
        """)
        try f.git("add", "lab_rules")
        let r = try labcheck(f, ["check", "-v"])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.stdout.contains("labs/net/lab_stages.toml:5:20: error[LC111]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("the registry is at v4"), r.stdout)
        // The lab file is untouched: its finding is reported because the diff base does not have it.
        XCTAssertTrue(r.stderr.contains("and 1 finding(s) elsewhere that are new since the diff base"), r.stderr)
        XCTAssertTrue(r.stderr.contains("is replaced by lab_rules/templates/run.toml"), r.stderr)
        // The bump is only staged: the committed tree still passes.
        XCTAssertEqual(try labcheck(f, ["check", "--rev", "HEAD", "--all"]).status, 0)
    }

    func testUnknownArgWarnsNormallyAndFailsInStrictMode() throws {
        let f = try GitFixture()
        for (path, text) in RuleFixtures.pinned { try f.write(path, text) }
        try f.write("lab_stages.toml", Self.designExample + "time_horizn = 3\n")
        try f.git("add", ".")
        let normal = try labcheck(f, ["check"])
        XCTAssertEqual(normal.status, 0, "\(normal)")
        XCTAssertTrue(normal.stdout.contains("lab_stages.toml:13:1: warning[LC121]: unknown arg 'args.time_horizn'"), normal.stdout)
        XCTAssertTrue(normal.stdout.contains("did you mean 'time_horizon'?"), normal.stdout)
        let strict = try labcheck(f, ["check", "--strict", "-v"])
        XCTAssertEqual(strict.status, 1, "\(strict)")
        XCTAssertTrue(strict.stdout.contains("error[LC121]"), strict.stdout)
        XCTAssertTrue(strict.stderr.contains("strict mode: on (--strict on the command line)"), strict.stderr)
        try f.write(".labcheck.toml", RuleFixtures.config + "strict = true\n")
        try f.git("add", ".")
        let configured = try labcheck(f, ["check", "-v"])
        XCTAssertEqual(configured.status, 1)
        XCTAssertTrue(configured.stderr.contains("strict mode: on (strict = true in .labcheck.toml)"), configured.stderr)
    }

    func testStatusOnTheAGILabSamples() throws {
        let f = try GitFixture()
        for name in SharedSamples.names { try f.write("labs/\(name)", try SharedSamples.text(name)) }
        try f.write("labs/net/lab_stages.toml", Self.designExample)
        try f.write(".labcheck.toml", "stage_files = [\"labs/*.lab_stages.toml\", \"**/lab_stages.toml\"]\n")
        try f.git("add", ".")
        let text = try labcheck(f, ["status"])
        XCTAssertEqual(text.status, 0, "\(text)")
        try assertGolden(text.stdout, "status.txt")
        let json = try labcheck(f, ["status", "--format", "json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let stages = try XCTUnwrap(object["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.count, 12)
        let classes = Dictionary(grouping: stages, by: { $0["class"] as? String ?? "?" }).mapValues(\.count)
        // The design example's v3 is older than the bundled RUN family (rules/README.md): stale.
        let current = try XCTUnwrap(RuleFixtures.bundledVersion("pipeline.agi_run.single_action"))
        XCTAssertEqual(classes, ["legacy": 9, "legacy-generated": 2, current > 3 ? "stale" : "current": 1])
        let allocate = try XCTUnwrap(stages.first { $0["id"] as? String == "allocate" })
        XCTAssertEqual(allocate["saved_version"] as? Int, 3)
        XCTAssertEqual(allocate["current_version"] as? Int, current)
        XCTAssertEqual(allocate["template_id"] as? String, "pipeline.agi_run.single_action")
        for key in ["file", "module", "stage", "kind", "class"] { XCTAssertNotNil(allocate[key], key) }
    }

    func testRenderPrintsValidPython() throws {
        let f = try GitFixture()
        try f.write("labs/lab_stages.toml", Self.designExample)
        try f.git("add", ".")
        let r = try labcheck(f, ["render", "labs/lab_stages.toml", "pipeline[allocate]"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("RUN_PARAMS = json.loads('{\"time_horizon\": 16}')"), r.stdout)
        let parsed = try runProcess("/usr/bin/env", ["python3", "-c", "import ast, sys; ast.parse(sys.stdin.read())"],
                                    in: f.root, environment: f.environment, stdin: Array(r.stdout.utf8))
        XCTAssertEqual(parsed.status, 0, "render is not valid Python: \(parsed)")
        XCTAssertEqual(try labcheck(f, ["render", "labs/lab_stages.toml", "allocate"]).stdout, r.stdout)
        let missing = try labcheck(f, ["render", "labs/lab_stages.toml", "nope"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("stages: pipeline[allocate]"), missing.stderr)
    }

    func testExplainHasEverySectionAndRejectsUnknownIds() throws {
        let f = try GitFixture(initialize: false)
        let r = try labcheck(f, ["explain", "LC111"])
        XCTAssertEqual(r.status, 0)
        for section in ["LC111 stale-template-version (error)", "What it checks", "Why it matters", "Example", "How to fix", "--fix-explicit"] {
            XCTAssertTrue(r.stdout.contains(section), "missing \(section): \(r.stdout)")
        }
        let list = try labcheck(f, ["explain"])
        XCTAssertEqual(list.stdout.split(separator: "\n").count, CheckRegistry.descriptions.count)
        let bad = try labcheck(f, ["explain", "LC11"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("did you mean"), bad.stderr)
    }

    func testRulesJSONFromTheBuildAndFromAnInstalledPrefix() throws {
        let f = try GitFixture(initialize: false)
        let fromBuild = try labcheck(f, ["rules", "--format", "json"])
        XCTAssertEqual(fromBuild.status, 0, "\(fromBuild)")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(fromBuild.stdout.utf8)) as? [String: Any])
        let templates = try XCTUnwrap(object["templates"] as? [[String: Any]])
        let versions = Dictionary(uniqueKeysWithValues: templates.map { ($0["id"] as! String, $0["version"] as! Int) })
        for id in ["pipeline.agi_run.single_action", "pipeline.agi_install.app", "generic.execute"] {
            XCTAssertEqual(versions[id], try RuleFixtures.bundledVersion(id), id)
        }
        let apps = try XCTUnwrap(object["apps"] as? [[String: Any]])
        let example = try XCTUnwrap(apps.first { $0["app"] as? String == "example_project" })
        XCTAssertEqual((example["actions"] as? [[String: Any]])?.map { $0["name"] as? String }, ["reference_allocator"])

        // An installed layout: <prefix>/bin/labcheck and <prefix>/share/labcheck/rules.
        let prefix = f.sibling("prefix")
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("share/labcheck"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: LabcheckBinary.path, toPath: prefix.appendingPathComponent("bin/labcheck").path)
        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("rules")
        try FileManager.default.copyItem(at: rules, to: prefix.appendingPathComponent("share/labcheck/rules"))
        let installed = try runProcess(prefix.appendingPathComponent("bin/labcheck").path, ["rules", "-v"], in: f.root, environment: f.environment)
        XCTAssertEqual(installed.status, 0, "\(installed)")
        XCTAssertTrue(installed.stderr.contains("share/labcheck/rules (installed beside the binary)"), installed.stderr)
        let run = try XCTUnwrap(RuleFixtures.bundledVersion("pipeline.agi_run.single_action"))
        XCTAssertTrue(installed.stdout.contains("pipeline.agi_run.single_action v\(run)"), installed.stdout)
    }

    func testBrokenRepositoryRulesExitTwoNamingFileLineColumn() throws {
        let f = try GitFixture()
        try f.write(".labcheck.toml", "rules = [\"lab_rules\"]\n")
        try f.write("lab_rules/templates/x.toml", "id = \"x\"\nversion = 0\n")
        try f.write("lab_stages.toml", "[[m]]\nid = 'a'\n")
        try f.git("add", ".")
        let r = try labcheck(f, ["check"])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stdout.contains("lab_rules/templates/x.toml:2:11: error[LC002]: 'version' must be a positive integer, found 0"), r.stdout)
    }
}
