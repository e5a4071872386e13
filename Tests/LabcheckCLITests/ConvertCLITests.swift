import Foundation
import XCTest
import LabcheckTestSupport

/// The registry against AGILab's generator end to end: `convert` reports, `render` at the saved
/// and the current version, LC130, and the seed's example under `--strict`.
final class ConvertCLITests: XCTestCase {
    private func labcheck(_ f: GitFixture, _ args: [String]) throws -> CommandResult {
        try LabcheckBinary.run(args, in: f.root, environment: f.environment)
    }

    private func sample(_ name: String) throws -> String {
        String(decoding: try SharedData.bytes("agilab-samples/generated/" + name), as: UTF8.self)
    }

    /// The seed's example stage, as DESIGN §2 quotes it.
    static let seedExample = """
    [[pipeline]]
    kind = "template"
    template_id = "pipeline.agi_run.single_action"   # orchestrator-owned structural shape
    template_version = 3
    app = "example_project"                          # which application
    action = "reference_allocator"                   # or task = "...": exactly one of the two
    engine = "agi.run"
    question = "Compute reference allocations"
    [pipeline.args]
    data_in = "network_sim/pipeline"
    data_out = "routing_reference/pipeline"
    time_horizon = 16
    trajectories_glob = "flight_trajectory/pipeline/*"
    sat_trajectories_glob = "sat_trajectory/pipeline/Trajectory/*.csv"

    """

    func testConvertReportsEachStageAndWritesNothing() throws {
        let f = try GitFixture()
        let install = try sample("2026-07-28_c14c94d2a__install.py")
        let oldRun = try sample("2026-04-27_ee2f01a31__run.py")
        let edited = oldRun.replacingOccurrences(of: "print(res)", with: "print(res, flush=True)")
        let lab = "[[flight]]\nid = \"install\"\nC = '''\n\(install)'''\n\n[[flight]]\nid = \"run\"\nC = '''\n\(oldRun)'''\n\n"
            + "[[flight]]\nid = \"edited\"\nC = '''\n\(edited)'''\n\n[[flight]]\nid = \"custom\"\nC = \"print(1)\"\n\n"
            + "[[flight]]\nid = \"labelled\"\nkind = \"analysis\"\nC = \"print(2)\"\n"
        try f.commit(["lab/lab_stages.toml": lab])
        let before = try f.git("status", "--porcelain=v2", "--untracked-files=all").stdout
        let r = try labcheck(f, ["convert"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("lab/lab_stages.toml: flight[install] -> template pipeline.agi_install.app v4 (INSTALL)\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("flight[run] -> template pipeline.agi_run.single_action v1 (RUN, stale: the registry is at v"), r.stdout)
        XCTAssertTrue(r.stdout.contains("[args] apps_path = \"/home/alice/agilab/apps\", verbose = 1, stages = [{ args = { n = 2 }, name = \"build\" }]"), r.stdout)
        // The edited line of the snippet is named, at its line in the lab file.
        let editedLine = try XCTUnwrap(lab.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("print(res, flush=True)") }) + 1
        XCTAssertTrue(r.stdout.contains("flight[edited] -> raw_python: generated-snippet header present, but the code differs from pipeline.agi_run.single_action v1"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(lab/lab_stages.toml:\(editedLine))"), r.stdout)
        XCTAssertTrue(r.stdout.contains("flight[custom] -> raw_python: no generated-snippet header"), r.stdout)
        XCTAssertTrue(r.stdout.contains("flight[labelled] left as is: kind = \"analysis\" is a free-form label"), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("labcheck convert: 2 to template, 2 to raw_python, 1 left as is (nothing written)\n"), r.stdout)
        XCTAssertEqual(try f.git("status", "--porcelain=v2", "--untracked-files=all").stdout, before, "convert wrote something")

        let json = try labcheck(f, ["convert", "--format", "json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["schema"] as? String, "labcheck.convert")
        let stages = try XCTUnwrap(object["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.map { $0["outcome"] as? String }, ["template", "template", "raw_python", "raw_python", "left_as_is"])
        XCTAssertEqual(stages[0]["template_version"] as? Int, 4)
        XCTAssertEqual((stages[0]["args"] as? [String: Any])?["modes_enabled"] as? Int, 13)
        XCTAssertEqual(stages[2]["line"] as? Int, editedLine)
    }

    func testCheckNotesAConvertibleSnippetWithItsFamilyAndVersion() throws {
        let f = try GitFixture()
        try f.write("lab_stages.toml", "[[flight]]\nid = \"run\"\nC = '''\n\(try sample("2026-06-02_d34770cdb__run.py"))'''\n")
        try f.git("add", ".")
        let r = try labcheck(f, ["check"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("lab_stages.toml:9:1: info[LC130]: stage flight[run] is a generated RUN snippet, convertible to template pipeline.agi_run.single_action v3 (stale: the registry is at v"),
                      r.stdout)
    }

    func testRenderAtTheSavedVersionAndAfterARefresh() throws {
        let f = try GitFixture()
        try f.write("lab_stages.toml", Self.seedExample)
        try f.git("add", ".")
        let saved = try labcheck(f, ["render", "lab_stages.toml", "pipeline[#1]"])
        XCTAssertEqual(saved.status, 0, "\(saved)")
        XCTAssertTrue(saved.stdout.contains("StageRequest(name=stage['name']"), saved.stdout)
        XCTAssertTrue(saved.stdout.contains("from agi_env.snippet_contract import"), saved.stdout)
        XCTAssertTrue(saved.stdout.contains("        workers_data_path=None,\n"), saved.stdout)
        XCTAssertTrue(saved.stdout.contains("RUN_PARAMS = json.loads('{\"sat_trajectories_glob\": \"sat_trajectory/pipeline/Trajectory/*.csv\", \"time_horizon\": 16, \"trajectories_glob\": \"flight_trajectory/pipeline/*\"}')"),
                      saved.stdout)
        let current = try labcheck(f, ["render", "--current", "lab_stages.toml", "pipeline[#1]"])
        XCTAssertEqual(current.status, 0, "\(current)")
        XCTAssertTrue(current.stdout.contains("from agi_env.source.snippet_contract import"), current.stdout)
        XCTAssertTrue(current.stdout.contains("        workflow_share_root=None,\n"), current.stdout)
        XCTAssertFalse(current.stdout.contains("workers_data_path"), current.stdout)
        for text in [saved.stdout, current.stdout] {
            let parsed = try runProcess("/usr/bin/env", ["python3", "-c", "import ast, sys; ast.parse(sys.stdin.read())"],
                                        in: f.root, environment: f.environment, stdin: Array(text.utf8))
            XCTAssertEqual(parsed.status, 0, "render is not valid Python: \(parsed)")
        }
    }

    func testTheSeedExampleRaisesNothingButItsStalenessUnderStrict() throws {
        let f = try GitFixture()
        try f.write("lab_stages.toml", Self.seedExample)
        try f.git("add", ".")
        let r = try labcheck(f, ["check", "--strict", "--format", "json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let ids = try XCTUnwrap(object["diagnostics"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        for id in ["LC100", "LC101", "LC103", "LC104", "LC110", "LC120", "LC121", "LC122"] { XCTAssertFalse(ids.contains(id), "\(id): \(r.stdout)") }
        XCTAssertEqual(ids, ["LC111"], "the example's v3 is older than the bundled RUN family: \(r.stdout)")
    }
}
