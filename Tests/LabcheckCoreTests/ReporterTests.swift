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

    // Issue 14, defect 5: every diagnostic on a very long line used to carry and escape the
    // whole line, so output time grew with diagnostics x line length. A diagnostic now holds
    // a window of the line, and the text shows the same characters and caret as before.
    func testDiagnosticsOnAVeryLongLineCarryAWindowAndKeepTheirCaret() throws {
        let keys = (0..<300).map { "k\($0) = \"é\"" }.joined(separator: ", ")
        let lab = "flow = [{ id = \"a\", C = \"import os\", \(keys), pad = \"\(String(repeating: "ü", count: 200_000))\" }]\n"
        let file = try TestRules.read("labs/flow/lab_stages.toml", lab)
        let diagnostics = TestRules.check(file, strict: true).filter { $0.id == "LC104" }
        XCTAssertEqual(diagnostics.count, 301, "one per unknown key, pad included")
        let line = Array(lab.unicodeScalars.split(separator: "\n")[0])
        for d in diagnostics {
            let window = try XCTUnwrap(d.sourceLine)
            XCTAssertLessThan(window.unicodeScalars.count, 1100, "a window, not the 200,000-character line")
            // The window is the line's text from its first column on.
            let from = d.sourceLineFirstColumn - 1
            XCTAssertEqual(Array(window.unicodeScalars), Array(line[from..<(from + window.unicodeScalars.count)]))
            let rendered = TextReporter(color: false).render(d).split(separator: "\n").map(String.init)
            // `1 | …text` then `  |  ^^^`: the caret stands under the key the message names.
            let key = String(d.message.split(separator: "'")[1])
            let shown = try XCTUnwrap(rendered.first { $0.hasPrefix("1 | ") })
            let caret = try XCTUnwrap(rendered.last { $0.contains("^") })
            let caretStart = caret.distance(from: caret.startIndex, to: try XCTUnwrap(caret.firstIndex(of: "^")))
            XCTAssertTrue(String(shown.dropFirst(caretStart)).hasPrefix(key), "\(shown)\n\(caret)")
            XCTAssertEqual(caret.filter { $0 == "^" }.count, key.count)
            XCTAssertLessThan(shown.count, 200)
        }
    }
}
