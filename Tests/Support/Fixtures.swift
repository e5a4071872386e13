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
