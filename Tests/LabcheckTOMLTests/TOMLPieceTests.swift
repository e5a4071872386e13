import Foundation
import XCTest
@testable import LabcheckTOML
import LabcheckTestSupport

/// A large document parsed in two pieces (`TOMLParser.parsePiece` and `parse(_:joining:at:)`)
/// must give the one-piece parse's document, span for span, or its error, message and offset:
/// checked at every line that starts with `[[` of every toml-test case, of crafted documents
/// (the cut inside a multi-line string or an array, a key both pieces define differently, an
/// error on either side, invalid UTF-8, CRLF), and of random lab-like documents.
final class TOMLPieceTests: XCTestCase {
    /// The document as text: every table's origin and header span, every entry's key, key span,
    /// node span and value, arrays with their kind and items.
    private func dump(_ table: TOMLTable, _ out: inout [String], _ indent: String = "") {
        out.append("\(indent)table \(table.origin) \(table.headerSpan.map { "\($0)" } ?? "-")")
        for e in table.entries {
            out.append("\(indent) \(e.key) \(e.keySpan) \(e.value.span)")
            dump(e.value, &out, indent + "  ")
        }
    }

    private func dump(_ node: TOMLNode, _ out: inout [String], _ indent: String) {
        switch node.value {
        case .table(let t): dump(t, &out, indent)
        case .array(let a):
            out.append("\(indent)array \(a.isArrayOfTables)")
            for item in a.items {
                out.append("\(indent) item \(item.span)")
                dump(item, &out, indent + "  ")
            }
        case .string(let s, let style): out.append("\(indent)string \(style) \(s.debugDescription)")
        case .integer(let i): out.append("\(indent)integer \(i)")
        case .float(let f): out.append("\(indent)float \(f.bitPattern)")
        case .bool(let b): out.append("\(indent)bool \(b)")
        case .datetime(let d): out.append("\(indent)datetime \(d)")
        }
    }

    private func outcome(_ parse: () throws -> TOMLDocument) -> [String] {
        do {
            var out: [String] = []
            dump(try parse().root, &out)
            return out
        } catch let error as TOMLSyntaxError {
            return ["error \(error.offset) \(error.position) \(error.message)"]
        } catch {
            return ["other error \(error)"]
        }
    }

    /// Every cut at a line starting with `[[`: the same outcome; returns how many cuts took the
    /// second piece.
    @discardableResult
    private func checkEveryCut(_ bytes: [UInt8], _ name: String, file: StaticString = #filePath, line: UInt = #line) -> Int {
        let source = SourceText(bytes)
        let whole = outcome { try TOMLParser.parse(source) }
        var took = 0
        for i in 1..<max(1, bytes.count - 1) where bytes[i - 1] == 0x0A && bytes[i] == 0x5B && bytes[i + 1] == 0x5B {
            var joined = false
            let two = outcome { try TOMLParser.parse(source, joining: { TOMLParser.parsePiece(source, from: i) }, at: i, joined: &joined) }
            if joined { took += 1 }
            if two != whole {
                XCTFail("\(name), cut at \(i): \(two.prefix(3)) against \(whole.prefix(3))", file: file, line: line)
                return took
            }
        }
        return took
    }

    func testEveryToml0TestCaseCutAtEveryArrayOfTablesHeaderParsesAsOnePiece() throws {
        let list = try String(contentsOf: SharedData.root.appendingPathComponent("toml-test/files-toml-1.0.0"), encoding: .utf8)
        let cases = list.split(separator: "\n").map(String.init).filter { $0.hasSuffix(".toml") }
        XCTAssertEqual(cases.count, 709)
        var cut = 0
        for path in cases {
            let bytes = try SharedData.bytes("toml-test/" + path)
            cut += bytes.indices.dropFirst().filter { $0 + 1 < bytes.count && bytes[$0 - 1] == 0x0A && bytes[$0] == 0x5B && bytes[$0 + 1] == 0x5B }.count
            checkEveryCut(bytes, path)
        }
        XCTAssertGreaterThan(cut, 20, "cases with a line starting with [[")
    }

    func testCraftedCutsTakeTheSecondPieceOnlyWhereOneParseGivesTheSame() {
        let joins: [String] = [
            "[[a]]\nx = 1\n[[b]]\ny = 2\n[[a]]\nz = 3\n",
            "title = 't'\n[meta]\nk = 1\n[[a]]\nx.y = 1\n[[a]]\n[a.sub]\nq = 1\n[[a.list]]\nw = 2\n[[b]]\n",
            "[[a]]\r\nx = 1\r\n\r\n# comment\r\n[[b]]\r\ny = \"\"\"\r\n[[c]]\r\n\"\"\"\r\n",
        ]
        for text in joins { XCTAssertGreaterThan(checkEveryCut(Array(text.utf8), text), 0, text) }
        let fallBack: [String] = [
            "s = '''\n[[a]]\n'''\n",                       // the cut is inside a string
            "x = [\n[[1]],\n]\n",                          // inside an array
            "a = [1]\n[[b]]\n[[a]]\n",                     // a static array, then [[a]]: an error
            "[a]\nk = 1\n[[b]]\n[[a]]\n",                  // a table, then [[a]]: an error
            "[[a]]\n[[c]]\n[a.b]\nq = 1\n",                // [a.b] names the first piece's a
            "[[a]]\n[[c]]\n[[a.b]]\n",                     // [[a.b]] too
            "[x]\n[[c]]\n[x.y]\n",                         // a table of the first piece extended
            "[[a]]\n[[b]]\n[c]\n",                         // a plain table in the second piece
            "[[a]]\n[[b]]\nx = \n",                        // an error in the second piece
            "x = \n[[a]]\n",                               // an error in the first
            "[[a]]\n[[b]]\nx = 1\nx = 2\n",                // a duplicate key in the second
        ]
        for text in fallBack { XCTAssertEqual(checkEveryCut(Array(text.utf8), text), 0, text) }
        // Invalid UTF-8 in the second piece: the one parse's error, from the whole input's check.
        checkEveryCut(Array("[[a]]\nx = 1\n[[b]]\ny = '".utf8) + [0xFF, 0x27, 0x0A], "invalid UTF-8")
    }

    func testRandomLabFilesCutAtEveryHeaderParseAsOnePiece() {
        var rng = SplitMix64(seed: 20261128)
        var joined = 0
        for doc in 0..<60 {
            var text = rng.next() % 3 == 0 ? "[__meta__]\nschema = 1\n\n" : ""
            let modules = ["flow", "train", "report", "a.b", "c"]
            for _ in 0..<(4 + Int(rng.next() % 12)) {
                let m = modules[Int(rng.next() % UInt64(modules.count))]
                text += m.contains(".") ? "[[\(m)]]\n" : "[[\(m)]]\n"
                text += "id = 's\(rng.next() % 50)'\n"
                switch rng.next() % 7 {
                case 0: text += "C = '''\n[[flow]]\nimport os\n'''\n"
                case 1: text += "deps = [\n  'x',\n]\n"
                case 2: text += "[\(m).args]\nk = \(rng.next() % 9)\n"
                case 3: text += "kind = 'template'\nv = \(rng.next() % 5)\n"
                case 4: text += "# note\n\n"
                case 5: text += "x = \(rng.next() % 2 == 0 ? "1" : "")\n"   // sometimes an error
                default: text += "D = \"\"\"\n[[train]]\n\"\"\"\n"
                }
            }
            joined += checkEveryCut(Array(text.utf8), "random document \(doc)")
        }
        XCTAssertGreaterThan(joined, 50, "cuts that took the second piece")
    }
}
