import XCTest
@testable import LabcheckTOML
import LabcheckTestSupport

/// Byte-exact spans, positions, and the decoded-string source maps.
final class TOMLSpanTests: XCTestCase {
    /// Positions found from a hint (ConfigNode's walk) equal the plain search, whatever the
    /// order of the offsets and the hint given: in file order, backwards, random; past the
    /// end; inside multi-byte characters; on long lines.
    func testPositionFromAHintEqualsThePlainSearch() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a = 1\n", "\n", "é", "🙂", "x", String(repeating: "y", count: 9_000) + "\n", "\r\n"]
        for _ in 0..<30 {
            let text = (0..<Int.random(in: 0...400, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
            let source = SourceText(Array(text.utf8))
            let n = source.bytes.count
            var offsets = (0..<300).map { _ in Int.random(in: -3...(n + 3), using: &generator) }
            for order in 0..<3 {
                if order == 0 { offsets.sort() } else if order == 1 { offsets.sort(by: >) } else { offsets.shuffle(using: &generator) }
                var hint = Int.random(in: -2...(source.lineCount + 2), using: &generator)
                for offset in offsets {
                    XCTAssertEqual(source.position(of: offset, hint: &hint), source.position(of: offset), "offset \(offset) of \(n)")
                    XCTAssertTrue(hint >= 0 && hint < source.lineCount)
                }
            }
        }
    }

    /// The vector line index against a byte-by-byte one: LFs at every offset of blocks, runs
    /// of LFs, CRLFs, lengths around the sixteen-byte loads, no LF at all.
    func testLineStartsEqualAPlainScan() {
        var generator = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = [[0x0A], [0x0D, 0x0A], [0x61], Array("abcdefghijklmnopq".utf8), [0x0A, 0x0A, 0x0A], Array("é".utf8)]
        for round in 0..<400 {
            var bytes: [UInt8] = []
            let count = round < 40 ? round : Int.random(in: 0...300, using: &generator)
            while bytes.count < count { bytes += pieces.randomElement(using: &generator) ?? [] }
            var plain = [0]
            for (i, b) in bytes.enumerated() where b == 0x0A { plain.append(i + 1) }
            XCTAssertEqual(SourceText(bytes).lineStarts, plain, "bytes \(bytes)")
        }
    }

    /// JSON string escaping, appended in runs, against the plain definition: every scalar
    /// looked at alone (quotes, backslashes, controls, DEL, C1 controls, U+2028/9, non-ASCII with
    /// and without `asciiOnly`, astral characters as surrogate pairs).
    func testJSONStringsEqualScalarByScalarEscaping() {
        func plain(_ s: String, asciiOnly: Bool) -> String {
            var out = "\""
            for u in s.unicodeScalars { JSONText.appendScalar(u, to: &out, asciiOnly: asciiOnly) }
            return out + "\""
        }
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a", "plain text ", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "\u{80}", "\u{9F}", "\u{A0}",
                      "é", "\u{2028}", "\u{2029}", "\u{2027}", "\u{202A}", "€", "🙂", "\u{FEFF}", "~", " "]
        for _ in 0..<2_000 {
            let s = (0..<Int.random(in: 0...20, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            for asciiOnly in [false, true] {
                var out = "x"
                JSONText.appendString(s, to: &out, asciiOnly: asciiOnly)
                XCTAssertEqual(out, "x" + plain(s, asciiOnly: asciiOnly), "\(s.unicodeScalars.map { String($0.value, radix: 16) })")
            }
        }
    }

    /// Key lookups (the per-table bit filter, the linear search of small tables and the hash
    /// index of large ones) against a plain search of the entries, for present and absent keys.
    func testKeyLookupEqualsAPlainSearch() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abAB_-é1")
        func name() -> String { String((0..<Int.random(in: 1...4, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }) }
        for _ in 0..<200 {
            var keys: [String] = []
            for _ in 0..<Int.random(in: 0...30, using: &generator) { let k = name(); if !keys.contains(k) { keys.append(k) } }
            let text = keys.enumerated().map { "\"\($0.element)\" = \($0.offset)" }.joined(separator: "\n")
            let root = try TOMLParser.parse(text).root
            for probe in keys + (0..<30).map({ _ in name() }) {
                let expected = keys.firstIndex(of: probe)
                XCTAssertEqual(root[probe]?.integer.map { Int($0) }, expected, "key \(probe) in \(keys)")
                XCTAssertEqual(root.has(probe), expected != nil)
                XCTAssertEqual(root.entry(probe)?.key, expected.map { keys[$0] })
            }
        }
    }

    private func text(_ doc: TOMLDocument, _ span: ByteSpan) -> String {
        String(decoding: doc.source.bytes[span.start..<span.end], as: UTF8.self)
    }

    func testKeysValuesAndHeadersKnowTheirSpans() throws {
        let src = "title = \"x\"  # c\n[server . 'alpha']\nip = [1, 2]\n[[fruit]]\nname.first = { a = true }\n"
        let doc = try TOMLParser.parse(src)
        let title = try XCTUnwrap(doc.root.entry("title"))
        XCTAssertEqual(text(doc, title.keySpan), "title")
        XCTAssertEqual(text(doc, title.value.span), "\"x\"")
        let server = try XCTUnwrap(doc.root["server"]?.table)
        XCTAssertNil(server.headerSpan, "server is only implied by the header of its sub-table")
        let alpha = try XCTUnwrap(server.entry("alpha"))
        XCTAssertEqual(text(doc, alpha.keySpan), "'alpha'")
        XCTAssertEqual(text(doc, try XCTUnwrap(alpha.value.table?.headerSpan)), "[server . 'alpha']")
        let ip = try XCTUnwrap(alpha.value.table?.entry("ip"))
        XCTAssertEqual(text(doc, ip.value.span), "[1, 2]")
        XCTAssertEqual(text(doc, try XCTUnwrap(ip.value.array?.items[1].span)), "2")
        XCTAssertEqual(doc.source.position(of: ip.value.span.start), SourcePosition(line: 3, column: 6))
        let fruit = try XCTUnwrap(doc.root["fruit"]?.array?.items.first)
        XCTAssertEqual(text(doc, fruit.span), "[[fruit]]")
        let first = try XCTUnwrap(fruit.table?["name"]?.table?.entry("first"))
        XCTAssertEqual(text(doc, first.keySpan), "first")
        XCTAssertEqual(text(doc, first.value.span), "{ a = true }")
    }

    func testColumnsCountCharactersNotBytes() throws {
        XCTAssertThrowsError(try TOMLParser.parse("\"é\" = \"ü\" x\n")) { error in
            let e = error as! TOMLSyntaxError
            XCTAssertEqual(e.position, SourcePosition(line: 1, column: 11))
        }
    }

    /// A diagnostic at line L column C of Python code inside a string must land on the right
    /// place of the `.toml` file, through escapes and multi-line quoting.
    private func assertMaps(_ toml: String, key: String, codeLine: Int, codeColumn: Int, toLine: Int, column: Int,
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let doc = try TOMLParser.parse(toml)
        let node = try XCTUnwrap(doc.root[key], file: file, line: line)
        let map = try XCTUnwrap(TOMLStringSourceMap(source: doc.source, span: node.span), file: file, line: line)
        XCTAssertEqual(String(decoding: map.decoded, as: UTF8.self), node.string, file: file, line: line)
        let offset = map.sourceOffset(line: codeLine, column: codeColumn)
        XCTAssertEqual(doc.source.position(of: offset), SourcePosition(line: toLine, column: column), file: file, line: line)
    }

    func testMultilineLiteralCodeMapsLineForLine() throws {
        let toml = "x = 1\nC = '''\nimport os\nfrom a.b import (c,\n    d)\n'''\n"
        // Code line 3 column 5 is `d`; the opening newline is trimmed, so it is file line 5.
        try assertMaps(toml, key: "C", codeLine: 3, codeColumn: 5, toLine: 5, column: 5)
        try assertMaps(toml, key: "C", codeLine: 1, codeColumn: 1, toLine: 3, column: 1)
    }

    func testEscapedBasicStringMapsThroughEscapes() throws {
        // Decoded: line 1 `import os`, line 2 `x = "é"; import sys`.
        let toml = "C = \"import os\\nx = \\\"\\u00e9\\\"; import sys\"\n"
        // `import` on decoded line 2 starts at column 10; in the file: after `C = "import os\n`
        // (16 chars) + `x = \"\u00e9\"; ` (16 chars) -> column 1 + 16 + 16 = 33.
        try assertMaps(toml, key: "C", codeLine: 2, codeColumn: 10, toLine: 1, column: 33)
        // Decoded line 2 column 5 is the escaped quote: it maps to its backslash.
        try assertMaps(toml, key: "C", codeLine: 2, codeColumn: 5, toLine: 1, column: 21)
        // The é itself (column 6) maps to the start of its \u escape.
        try assertMaps(toml, key: "C", codeLine: 2, codeColumn: 6, toLine: 1, column: 23)
    }

    func testMultilineBasicWithLineEndingBackslashAndCRLF() throws {
        let toml = "C = \"\"\"\r\nimport a, \\\r\n      b\r\nimport c\"\"\"\r\n"
        // Decoded: "import a, b\r\nimport c": line 1 column 11 is `b` (file line 3 column 7).
        try assertMaps(toml, key: "C", codeLine: 1, codeColumn: 11, toLine: 3, column: 7)
        try assertMaps(toml, key: "C", codeLine: 2, codeColumn: 8, toLine: 4, column: 8)
    }

    func testRealSampleCodeMapsIntoTheTomlFile() throws {
        let bytes = try SharedData.bytes("agilab-samples/mission_decision.lab_stages.toml")
        let doc = try TOMLParser.parse(SourceText(bytes))
        let first = try XCTUnwrap(doc.root["mission_decision"]?.array?.items[0].table?["C"])
        let map = try XCTUnwrap(TOMLStringSourceMap(source: doc.source, span: first.span))
        // Code line 2 is `data_in = 'mission_decision/scenarios'`, after an escaped \n.
        let offset = map.sourceOffset(line: 2, column: 1)
        let after = String(decoding: bytes[offset..<(offset + 7)], as: UTF8.self)
        XCTAssertEqual(after, "data_in")
        XCTAssertEqual(doc.source.position(of: offset).line, 2)
    }

    // Columns on very long lines go through a block index (issue 14, defect 5): they must
    // equal a plain count of characters, and `offset(of:)` must invert `position(of:)`.
    func testPositionsOnVeryLongLinesEqualAPlainCount() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [String] = ["a", "é", "€", "😀", " ", "="]
        var text = "first line\n"
        for _ in 0..<30_000 { text += alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        text += "\nlast\n"
        let source = SourceText(text)
        let bytes = Array(text.utf8)
        var expected: [Int: SourcePosition] = [:]   // every scalar start -> its position
        var line = 1, column = 1
        for (offset, byte) in bytes.enumerated() where byte & 0xC0 != 0x80 {
            expected[offset] = SourcePosition(line: line, column: column)
            if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        for offset in expected.keys.shuffled(using: &generator).prefix(3000) {
            let position = source.position(of: offset)
            XCTAssertEqual(position, expected[offset], "offset \(offset)")
            if bytes[offset] != 0x0A { XCTAssertEqual(source.offset(of: position), offset, "\(position)") }
        }
        // Inside a multi-byte character: that character.
        if let inside = (1..<bytes.count).first(where: { bytes[$0] & 0xC0 == 0x80 && $0 > 5000 }),
           let owner = (0...inside).last(where: { bytes[$0] & 0xC0 != 0x80 }) {
            XCTAssertEqual(source.position(of: inside), expected[owner])
        }
    }
}
