import Foundation
import XCTest
@testable import LabcheckCore
import LabcheckTestSupport

/// Golden-file tests of the reporters. `RECORD_SNAPSHOTS=1 swift test` re-records the files
/// (and fails, so a recording run is never mistaken for a passing one).
final class ReporterTests: XCTestCase {
    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// Diagnostics from a small lab with several problems, one of them with hostile text.
    private func sampleDiagnostics() -> [Diagnostic] {
        let lab = """
        [[flight]]
        id = "load"
        C = "import json"

        [[flight]]
        id = "load"
        kind = "templte"
        template_id = "pipeline.agi_run.single_action"

        [[flight]]
        id = "bell\\u0007\\u001b[2J"
        kind = "template"
        template_id = "x"
        template_version = 1
        app = "a"
        action = "b"
        task = "c"

        """
        guard let file = try? TestRules.read("labs/flight/lab_stages.toml", lab) else { return [] }
        return TestRules.check(file, strict: false).sorted(by: Diagnostic.sortKey)
    }

    private func assertGolden(_ actual: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try LabcheckTestSupport.assertGolden(actual, name, in: Self.goldenDirectory, file: file, line: line)
    }

    func testTextReporterGolden() throws {
        let context = RunContext(snapshot: "staged", filesChecked: 1)
        try assertGolden(TextReporter(color: false).render(sampleDiagnostics(), context: context), "text.txt")
        try assertGolden(TextReporter(color: true).render(sampleDiagnostics(), context: context), "text-color.txt")
    }

    func testJSONReporterGolden() throws {
        let output = JSONReporter().render(sampleDiagnostics(), context: RunContext(snapshot: "rev:HEAD", filesChecked: 1))
        try assertGolden(output, "diagnostics.json")
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(output.utf8)))
    }

    func testNoRawControlCharactersInTextOutput() {
        let out = TextReporter(color: false).render(sampleDiagnostics(), context: RunContext(snapshot: "staged", filesChecked: 1))
        XCTAssertFalse(out.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, out)
        XCTAssertTrue(out.contains("bell\\u{7}\\u{1B}[2J"), out)
    }
}
