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

    func testTOMLDecodingAgreesWithTomllib() throws {
        let f = try GitFixture(initialize: false)
        let cases = f.sibling("toml-cases")
        let script = Self.scripts.appendingPathComponent("toml_differential.py").path
        let generated = try run("/usr/bin/env", ["python3", script, "generate", "--seed", seed, "--count", "2500", "--out", cases.path,
                                                 "--seeds", SharedData.root.appendingPathComponent("toml-test").path], in: f.root)
        XCTAssertEqual(generated.status, 0, "\(generated)")
        let files = try FileManager.default.contentsOfDirectory(atPath: cases.path).filter { $0.hasSuffix(".toml") }.sorted().map { cases.appendingPathComponent($0).path }
        XCTAssertEqual(files.count, 5000)
        let decoded = try LabcheckBinary.run(["debug", "toml-json-files"] + files, in: f.root, environment: f.environment)
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        let output = f.sibling("labcheck.jsonl")
        try decoded.stdout.write(to: output, atomically: true, encoding: .utf8)
        let compared = try run("/usr/bin/env", ["python3", script, "compare", "--labcheck-output", output.path, cases.path], in: f.root)
        let s = try summary(compared)
        XCTAssertEqual(compared.status, 0, "differences: \(s["problems"] ?? "")")
        XCTAssertEqual(s["problem_count"] as? Int, 0)
        // The comparison must have had both kinds of input to compare.
        XCTAssertGreaterThan(s["both_accept"] as? Int ?? 0, 1000, "\(s)")
        XCTAssertGreaterThan(s["both_reject"] as? Int ?? 0, 1000, "\(s)")
    }

    func testImportScanningAgreesWithPythonAST() throws {
        let f = try GitFixture(initialize: false)
        let cases = f.sibling("python-cases")
        let script = Self.scripts.appendingPathComponent("imports_differential.py").path
        let generated = try run("/usr/bin/env", ["python3", script, "generate", "--seed", seed, "--count", "1500", "--out", cases.path], in: f.root)
        XCTAssertEqual(generated.status, 0, "\(generated)")
        let files = try FileManager.default.contentsOfDirectory(atPath: cases.path).filter { $0.hasSuffix(".py") }.sorted().map { cases.appendingPathComponent($0).path }
        XCTAssertGreaterThan(files.count, 800)
        let scanned = try LabcheckBinary.run(["debug", "scan-imports"] + files, in: f.root, environment: f.environment)
        XCTAssertEqual(scanned.status, 0, scanned.stderr)
        let output = f.sibling("labcheck.jsonl")
        try scanned.stdout.write(to: output, atomically: true, encoding: .utf8)
        let compared = try run("/usr/bin/env", ["python3", script, "compare", "--labcheck-output", output.path, cases.path], in: f.root)
        let s = try summary(compared)
        XCTAssertEqual(compared.status, 0, "differences: \(s["problems"] ?? "")")
        XCTAssertEqual(s["problem_count"] as? Int, 0)
        for kind in ["imports", "dynamic", "type_checking", "non_ascii", "guarded"] {
            XCTAssertGreaterThan(s[kind] as? Int ?? 0, 200, "the generated files must exercise \(kind): \(s)")
        }
    }
}
