import Foundation
import XCTest

/// Lab texts shared by the core and CLI tests.
public enum LabFixtures {
    /// The template stage of DESIGN §2 (RUN, v3, example_project.reference_allocator).
    public static let designExample = """
    [[pipeline]]
    kind = "template"
    id = "allocate"
    template_id = "pipeline.agi_run.single_action"
    template_version = 3
    app = "example_project"
    action = "reference_allocator"
    engine = "agi.run"
    question = "Compute reference allocations"
    [pipeline.args]
    data_in = "network_sim/pipeline"
    time_horizon = 16

    """
}

/// A repository rules file that pins `pipeline.agi_run.single_action` at a small v3 with two
/// declared migrations, so end-to-end tests about drift do not depend on the bundled registry's
/// current version (`.labcheck.toml`: `rules = ["lab_rules"]`).
public enum RuleFixtures {
    public static let config = "rules = [\"lab_rules\"]\n"
    public static let runFamilyPath = "lab_rules/templates/run.toml"
    public static let runFamilyV3 = """
    id = "pipeline.agi_run.single_action"
    version = 3
    shape = "RUN"

    [args]
    data_in = { type = "string", nullable = true }
    workflow_share_root = { type = "string", nullable = true }
    rapids_enabled = { type = "boolean", default = false }
    benchmark_best_single_node = { type = "boolean", default = false }

    [[migrations]]
    from = 1
    to = 2
    rename = { workers_data_path = "workflow_share_root" }

    [[migrations]]
    from = 2
    to = 3
    add = { rapids_enabled = false, benchmark_best_single_node = false }

    """

    /// The files that pin it.
    public static var pinned: [String: String] { [".labcheck.toml": config, runFamilyPath: runFamilyV3] }

    /// The current version of a bundled template family, read from `rules/templates/<id>.toml`.
    public static func bundledVersion(_ id: String) throws -> Int? {
        let text = try String(contentsOf: SharedData.packageRoot.appendingPathComponent("rules/templates/\(id).toml"), encoding: .utf8)
        return text.split(separator: "\n").first { $0.hasPrefix("version = ") }.flatMap { Int($0.dropFirst("version = ".count)) }
    }
}

/// Golden files: compare output with `directory/name`; `RECORD_SNAPSHOTS=1` re-records them
/// and fails, so a recording run is never mistaken for a passing one.
public func assertGolden(_ actual: String, _ name: String, in directory: URL,
                         file: StaticString = #filePath, line: UInt = #line) throws {
    let url = directory.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(actual.utf8).write(to: url)
        XCTFail("recorded \(name); run again without RECORD_SNAPSHOTS", file: file, line: line)
        return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    XCTAssertEqual(actual, expected, "\(name) differs from its golden file (RECORD_SNAPSHOTS=1 re-records)", file: file, line: line)
}
