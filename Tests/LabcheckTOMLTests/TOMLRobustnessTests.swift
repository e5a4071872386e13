import XCTest
@testable import LabcheckTOML
import LabcheckTestSupport

/// Hostile and unusual input: always a clear error with a position, or a correct result;
/// never a crash, a hang, or a stack overflow.
final class TOMLRobustnessTests: XCTestCase {
    private func error(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> TOMLSyntaxError? {
        do {
            _ = try TOMLParser.parse(SourceText(bytes))
            XCTFail("expected an error", file: file, line: line)
            return nil
        } catch let e as TOMLSyntaxError {
            return e
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
            return nil
        }
    }

    func testInvalidUTF8NamesLineAndColumn() {
        let e = error(Array("a = 1\nb = \"".utf8) + [0xC3, 0x28] + Array("\"\n".utf8))
        XCTAssertEqual(e?.position, SourcePosition(line: 2, column: 6))
        XCTAssertTrue(e?.message.contains("UTF-8") ?? false)
    }

    func testNulByteIsRejectedWithItsPosition() {
        let e = error(Array("a = \"x".utf8) + [0] + Array("\"\n".utf8))
        XCTAssertEqual(e?.position, SourcePosition(line: 1, column: 7))
        XCTAssertTrue(e?.message.contains("U+0000") ?? false, e?.message ?? "")
    }

    func testLeadingBOMIsSkippedAndUTF16IsExplained() throws {
        let doc = try TOMLParser.parse(SourceText([0xEF, 0xBB, 0xBF] + Array("a = 1\n".utf8)))
        XCTAssertEqual(doc.root["a"]?.integer, 1)
        XCTAssertTrue(error([0xFF, 0xFE, 0x61, 0x00])?.message.contains("UTF-16") ?? false)
    }

    func testCRLFDocumentsParseAndBareCRIsAnError() throws {
        let doc = try TOMLParser.parse("a = 1\r\n[t]\r\nb = 'x'\r\n")
        XCTAssertEqual(doc.root["t"]?.table?["b"]?.string, "x")
        XCTAssertEqual(error(Array("a = 1\rb = 2\n".utf8))?.position, SourcePosition(line: 1, column: 6))
    }

    func testEmptyFileIsAnEmptyDocument() throws {
        XCTAssertTrue(try TOMLParser.parse(SourceText([])).root.entries.isEmpty)
    }

    func testDeepArrayNestingIsAnErrorNotACrash() {
        let depth = 100_000
        let e = error(Array("a = ".utf8) + [UInt8](repeating: 0x5B, count: depth) + [UInt8](repeating: 0x5D, count: depth))
        XCTAssertTrue(e?.message.contains("nesting deeper than") ?? false, e?.message ?? "")
    }

    func testDeepInlineTableNestingIsAnErrorNotACrash() {
        let depth = 100_000
        let e = error(Array("a = ".utf8) + Array(String(repeating: "{b=", count: depth).utf8) + [0x31] + [UInt8](repeating: 0x7D, count: depth))
        XCTAssertTrue(e?.message.contains("nesting deeper than") ?? false, e?.message ?? "")
    }

    func testDeepDottedKeysAndHeadersAreAnErrorNotACrash() {
        let keys = Array(repeating: "k", count: 100_000).joined(separator: ".")
        XCTAssertTrue(error(Array("\(keys) = 1\n".utf8))?.message.contains("nesting deeper than") ?? false)
        XCTAssertTrue(error(Array("[\(keys)]\n".utf8))?.message.contains("nesting deeper than") ?? false)
    }

    func testNestingWithinTheLimitIsAccepted() throws {
        let depth = 200
        let text = "a = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        var node = try XCTUnwrap(try TOMLParser.parse(text).root["a"])
        var seen = 1
        while let inner = node.array?.items.first { node = inner; seen += 1 }
        XCTAssertEqual(seen, depth)
    }

    func testErrorsSayWhatWasExpected() {
        XCTAssertEqual(error(Array("a = \n".utf8))?.description, "1:5: expected a value (string, number, boolean, date, array or inline table), found end of line")
        XCTAssertEqual(error(Array("a = [1 2]\n".utf8))?.description, "1:8: expected ',' or ']' in the array, found '2'")
        XCTAssertEqual(error(Array("[a\nb = 1\n".utf8))?.description, "1:3: expected ']' to close the table header, found end of line")
        XCTAssertEqual(error(Array("a = 1\na = 2\n".utf8))?.description, "2:1: duplicate key 'a' (an integer, first defined at 1:1)")
        XCTAssertEqual(error(Array("s = \"\\q\"\n".utf8))?.position, SourcePosition(line: 1, column: 6))
        XCTAssertEqual(error(Array("a = 1 b = 2\n".utf8))?.description, "1:7: expected end of line, found 'b'")
    }

    func testTruncatedInputsNeverCrash() throws {
        // Every prefix of a file that uses every construct is either valid or a clean error.
        let full = Array(try SharedData.bytes("toml-test/valid/spec-example-1.toml"))
        for end in 0...full.count {
            _ = try? TOMLParser.parse(SourceText(Array(full[0..<end])))
        }
        XCTAssertNoThrow(try TOMLParser.parse(SourceText(full)))
    }
}
