import XCTest
import LabcheckTOML
@testable import LabcheckCore

/// The result cache's binary record: every field survives a round trip, and bytes that are not
/// a record (truncated, altered) decode to nil or to a record, never to a crash.
final class RunRecordTests: XCTestCase {
    private func sample(_ k: Int) -> Diagnostic {
        var d = Diagnostic(id: ["LC101", "LC301", "LC003"][k % 3], severity: [.error, .warning, .info][k % 3],
                           message: "message \(k) ünïcode \u{1F600}", file: "src/f\(k % 4).py",
                           start: SourcePosition(line: k + 1, column: k % 7 + 1), end: SourcePosition(line: k + 1, column: k % 7 + 9),
                           sourceLine: k % 2 == 0 ? "import a.b  # \(k)" : nil, help: k % 3 == 0 ? nil : "help \(k)",
                           notes: (0..<(k % 3)).map { "note \($0)" })
        d.sourceLineFirstColumn = 1 + (k % 5) * 1000
        d.subject = k % 4 == 0 ? nil : "lab|m|s\(k)"
        if k % 2 == 1 {
            d.importFinding = ImportFinding(contract: "c\(k % 2)", importer: "a.b", imported: "x.y",
                                            chain: (0..<(k % 4)).map { ImportFinding.Link(importer: "m\($0)", imported: "m\($0 + 1)", file: "src/m\($0).py", line: $0 * 1_000_000) })
        }
        return d
    }

    func testEveryFieldSurvivesARoundTrip() throws {
        for touched in [nil, [], ["a.py", "b/ü.toml"]] as [[String]?] {
            var record = RunRecord(diagnostics: (0..<40).map(sample), suppressed: [SuppressedFinding(diagnostic: sample(3), reason: "because")],
                                   touched: touched, filesChecked: 3, labFiles: 2, pythonFiles: 20_404, configFiles: 1,
                                   pythonNotChecked: 0, configurationInvalid: touched == nil)
            record.indexChanges = touched.map { Dictionary(uniqueKeysWithValues: $0.enumerated().map { ($1, $0 == 0 ? "-" : "100644 \($0)abc") }) }
            record.importKey = touched.map { "key of \($0.count) files" }
            let decoded = try XCTUnwrap(RunRecordCodec.decode(RunRecordCodec.encode(record)))
            XCTAssertEqual(decoded.diagnostics, record.diagnostics)
            XCTAssertEqual(decoded.suppressed.map(\.diagnostic), record.suppressed.map(\.diagnostic))
            XCTAssertEqual(decoded.suppressed.map(\.reason), ["because"])
            XCTAssertEqual(decoded.touched, touched)
            XCTAssertEqual([decoded.filesChecked, decoded.labFiles, decoded.pythonFiles, decoded.configFiles, decoded.pythonNotChecked], [3, 2, 20_404, 1, 0])
            XCTAssertEqual(decoded.configurationInvalid, touched == nil)
            XCTAssertEqual(decoded.indexChanges, record.indexChanges)
            XCTAssertEqual(decoded.importKey, record.importKey)
        }
    }

    func testTruncatedAndAlteredBytesNeverCrash() {
        var record = RunRecord(diagnostics: (0..<12).map(sample), suppressed: [], touched: ["x"], filesChecked: 1,
                               labFiles: 1, pythonFiles: 1, configFiles: 0, pythonNotChecked: 0, configurationInvalid: false)
        record.indexChanges = ["x": "100644 abc", "y": "-"]
        let bytes = RunRecordCodec.encode(record)
        for n in 0..<bytes.count { XCTAssertNil(RunRecordCodec.decode(Array(bytes.prefix(n))), "a prefix of \(n) bytes is no record") }
        XCTAssertNotNil(RunRecordCodec.decode(bytes))
        XCTAssertNil(RunRecordCodec.decode(bytes + [0]), "trailing bytes")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var altered = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                altered[Int.random(in: 0..<altered.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = RunRecordCodec.decode(altered)   // nil or a record; the test is that it returns
        }
    }
}
