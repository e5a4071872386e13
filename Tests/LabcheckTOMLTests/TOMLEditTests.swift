import XCTest
import LabcheckTOML

/// Span edits: only the edited bytes change, edits apply together against the original
/// offsets, and a set that is out of bounds, overlapping, splits a character or yields invalid
/// TOML is refused with nothing applied.
final class TOMLEditTests: XCTestCase {
    private let text = """
    # a comment that must survive
    [[pipeline]]
    id = "allocate"   # trailing comment
    template_version = 3
    args = { mode = 0, name = 'x' }

    """

    private func text(_ doc: TOMLDocument) -> String { String(decoding: doc.source.bytes, as: UTF8.self) }

    func testReplacementsAtOriginalOffsetsKeepEveryOtherByte() throws {
        let doc = try TOMLParser.parse(text)
        let stage = try XCTUnwrap(doc.root["pipeline"]?.array?.items.first?.table)
        let version = try XCTUnwrap(stage["template_version"]?.span)
        let id = try XCTUnwrap(stage["id"]?.span)
        // The second edit's offsets refer to the original text although the first edit,
        // earlier in the file, changes its length.
        let edited = try doc.applying([.replace(version, with: "4"), .replace(id, with: TOMLLiteral.basicString("allocate_v\"4\""))])
        XCTAssertEqual(text(edited), text.replacingOccurrences(of: "template_version = 3", with: "template_version = 4")
            .replacingOccurrences(of: "id = \"allocate\"", with: "id = \"allocate_v\\\"4\\\"\""))
        let newStage = try XCTUnwrap(edited.root["pipeline"]?.array?.items.first?.table)
        XCTAssertEqual(newStage["template_version"]?.integer, 4)
        XCTAssertEqual(newStage["id"]?.string, "allocate_v\"4\"")
    }

    func testInsertionsAtOneOffsetKeepTheirOrderAndMayTouchAReplacedRange() throws {
        let doc = try TOMLParser.parse(text)
        let stage = try XCTUnwrap(doc.root["pipeline"]?.array?.items.first?.table)
        let version = try XCTUnwrap(stage["template_version"]?.span)
        let lineEnd = version.end + 1   // after the newline
        let edited = try doc.applying([.insert("app = 'a'\n", at: lineEnd), .insert("action = 'b'\n", at: lineEnd),
                                       .replace(version, with: "5"), .insert("# v", at: version.end)])
        XCTAssertTrue(text(edited).contains("template_version = 5# v\napp = 'a'\naction = 'b'\nargs"), text(edited))
        XCTAssertEqual(edited.root["pipeline"]?.array?.items.first?.table?["action"]?.string, "b")
    }

    func testDeleteRemovesExactlyItsBytes() throws {
        let doc = try TOMLParser.parse("a = 1\nb = 2\nc = 3\n")
        let b = try XCTUnwrap(doc.root.entry("b"))
        let edited = try doc.applying([.delete(ByteSpan(b.keySpan.start, b.value.span.end + 1))])
        XCTAssertEqual(text(edited), "a = 1\nc = 3\n")
        XCTAssertNil(edited.root["b"])
    }

    func testOverlappingEditsAreRefused() throws {
        let doc = try TOMLParser.parse("a = 12345\n")
        XCTAssertThrowsError(try doc.applying([.replace(ByteSpan(4, 7), with: "9"), .replace(ByteSpan(6, 9), with: "9")])) { error in
            guard case .overlapping = error as? TOMLEditError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try doc.applying([.replace(ByteSpan(4, 9), with: "9"), .insert("0", at: 6)])) { error in
            guard case .overlapping = error as? TOMLEditError else { return XCTFail("\(error)") }
        }
    }

    func testOutOfBoundsAndSplitCharactersAreRefused() throws {
        let doc = try TOMLParser.parse("a = \"é\"\n")
        XCTAssertThrowsError(try doc.applying([.insert("x", at: 100)])) { error in
            guard case .outOfBounds = error as? TOMLEditError else { return XCTFail("\(error)") }
        }
        // "é" is two bytes at offsets 5 and 6: offset 6 is inside it.
        XCTAssertThrowsError(try doc.applying([.replace(ByteSpan(6, 7), with: "e")])) { error in
            guard case .splitsCharacter(_, 6) = error as? TOMLEditError else { return XCTFail("\(error)") }
        }
    }

    func testAResultThatIsNotTOMLIsRefusedWithItsPosition() throws {
        let doc = try TOMLParser.parse("a = 1\nb = 2\n")
        let b = try XCTUnwrap(doc.root["b"]?.span)
        XCTAssertThrowsError(try doc.applying([.replace(b, with: "\"unterminated")])) { error in
            guard case .resultInvalid(let syntax) = error as? TOMLEditError else { return XCTFail("\(error)") }
            XCTAssertEqual(syntax.position.line, 2)
        }
        // A duplicate key is invalid TOML too.
        XCTAssertThrowsError(try doc.applying([.insert("a = 3\n", at: doc.source.bytes.count)]))
    }

    func testLiteralsRoundTripThroughTheParser() throws {
        for s in ["plain", "quote \" and \\ backslash", "tab\tnew\nline", "bell \u{7}", "é ü 😀"] {
            let doc = try TOMLParser.parse("v = " + TOMLLiteral.basicString(s) + "\n")
            XCTAssertEqual(doc.root["v"]?.string, s)
        }
        let code = "import json\nprint('x')\n"
        let literal = try XCTUnwrap(TOMLLiteral.multilineLiteral(code))
        XCTAssertEqual(try TOMLParser.parse("C = " + literal + "\n").root["C"]?.string, code)
        XCTAssertNil(TOMLLiteral.multilineLiteral("a '''b"))
        XCTAssertNil(TOMLLiteral.multilineLiteral("ends with quote'"))
        XCTAssertNil(TOMLLiteral.multilineLiteral("lone \r cr"))
    }
}
