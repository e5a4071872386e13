import Foundation
import XCTest
import LabcheckTestSupport

/// labcheck against the reference implementations, on generated and mutated inputs (issue 14):
/// the TOML decoder against Python's `tomllib`, the import scanner against Python's `ast`.
/// The generators and comparators are `Tests/Differential/*.py`; the documented differences
/// are listed in their docstrings. Seeds are fixed (set `LABCHECK_DIFF_SEED` to explore), and
/// each run is bounded (a few thousand inputs, seconds).
final class DifferentialTests: XCTestCase {
    private static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Differential")
    private var seed: String { ProcessInfo.processInfo.environment["LABCHECK_DIFF_SEED"] ?? "20261127" }

    private func run(_ executable: String, _ arguments: [String], in directory: URL) throws -> CommandResult {
        try runProcess(executable, arguments, in: directory, environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LANG": "C.UTF-8"])
    }

    private func summary(_ result: CommandResult) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    /// Generates the cases with `script generate ARGS --out DIR`, runs `labcheck TOOL` on every
    /// file of DIR ending in `suffix`, and returns `script compare`'s JSON summary (asserting
    /// that it found no difference).
    private func differential(_ scriptName: String, generate: [String], tool: [String], suffix: String,
                              minimumFiles: Int, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let f = try GitFixture(initialize: false)
        let cases = f.sibling("cases")
        let script = Self.scripts.appendingPathComponent(scriptName).path
        let generated = try run("/usr/bin/env", ["python3", script, "generate", "--seed", seed] + generate + ["--out", cases.path], in: f.root)
        XCTAssertEqual(generated.status, 0, "\(generated)", file: file, line: line)
        let files = try FileManager.default.contentsOfDirectory(atPath: cases.path).filter { $0.hasSuffix(suffix) }.sorted().map { cases.appendingPathComponent($0).path }
        XCTAssertGreaterThanOrEqual(files.count, minimumFiles, file: file, line: line)
        let ours = try LabcheckBinary.run(tool + files, in: f.root, environment: f.environment)
        XCTAssertEqual(ours.status, 0, ours.stderr, file: file, line: line)
        let output = f.sibling("labcheck.jsonl")
        try ours.stdout.write(to: output, atomically: true, encoding: .utf8)
        let compared = try run("/usr/bin/env", ["python3", script, "compare", "--labcheck-output", output.path, cases.path], in: f.root)
        let s = try summary(compared)
        XCTAssertEqual(compared.status, 0, "differences: \(s["problems"] ?? "")", file: file, line: line)
        XCTAssertEqual(s["problem_count"] as? Int, 0, file: file, line: line)
        return s
    }

    func testTOMLDecodingAgreesWithTomllib() throws {
        let s = try differential("toml_differential.py", generate: ["--count", "2500", "--seeds", SharedData.root.appendingPathComponent("toml-test").path],
                                 tool: ["debug", "toml-json-files"], suffix: ".toml", minimumFiles: 5000)
        // The comparison must have had both kinds of input to compare.
        XCTAssertGreaterThan(s["both_accept"] as? Int ?? 0, 1000, "\(s)")
        XCTAssertGreaterThan(s["both_reject"] as? Int ?? 0, 1000, "\(s)")
    }

    func testImportScanningAgreesWithPythonAST() throws {
        let s = try differential("imports_differential.py", generate: ["--count", "1500"], tool: ["debug", "scan-imports"], suffix: ".py", minimumFiles: 800)
        for kind in ["imports", "dynamic", "type_checking", "non_ascii", "guarded"] {
            XCTAssertGreaterThan(s[kind] as? Int ?? 0, 200, "the generated files must exercise \(kind): \(s)")
        }
    }
}
