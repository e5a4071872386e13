import XCTest
@testable import LabcheckCore

/// Reading generated values back: Python and JSON literals (never evaluated, nesting bounded),
/// render texts read backwards, and migrations of a stage's args.
final class TemplateMatchingTests: XCTestCase {
    private func python(_ s: String) -> RenderValue? {
        var p = LiteralParser(Array(s.utf8))
        guard let v = p.python(), p.offset == s.utf8.count else { return nil }
        return v
    }

    func testPythonLiteralsAreReadNotEvaluated() {
        XCTAssertEqual(python("{'192.168.1.21': 2, 'h': [0, 4]}"), .table([("192.168.1.21", .integer(2)), ("h", .array([.integer(0), .integer(4)]))]))
        XCTAssertEqual(python("\"a\\u00e9\\n\""), .string("aé\n"))
        XCTAssertEqual(python("(1, -2.5e3, None, True)"), .array([.integer(1), .float(-2500), .null, .bool(true)]))
        for notALiteral in ["__import__('os')", "1 + 1", "os.system", "Truex", "'unterminated", "{1: 2}", "'\\q'"] {
            XCTAssertNil(python(notALiteral), notALiteral)
        }
        // Nesting past the bound is refused, not a stack overflow.
        XCTAssertNil(python(String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)))
        XCTAssertNotNil(python(String(repeating: "[", count: 10) + String(repeating: "]", count: 10)))
    }

    func testJSONKeepsKeyOrderAndJoinsSurrogates() {
        var p = LiteralParser(Array("{\"b\": 1, \"a\": [true, null, \"\\ud83d\\ude00\"]}".utf8))
        XCTAssertEqual(p.json(), .table([("b", .integer(1)), ("a", .array([.bool(true), .null, .string("😀")]))]))
    }

    func testRenderTextsReadBackwards() throws {
        let render = "APP = {{ app | literal }}\n# app: {{ app }}\nP = json.loads({{ app_args | json | python }})\ncall({{ app_args | kwargs }}, last={{ args.x | literal }})\n"
        let code = "APP = \"demo\"\n# app: demo\nP = json.loads('{\"a\": 1, \"b\": \"x\"}')\ncall(a=1, b=\"x\", last=None)\n"
        let values = try XCTUnwrap(TemplateMatcher.match(render: render, code: Array(code.utf8)))
        XCTAssertEqual(values["app"], .string("demo"))
        XCTAssertEqual(values["app_args"], .table([("a", .integer(1)), ("b", .string("x"))]))
        XCTAssertEqual(values["args.x"], .null)
        // The same path read twice must agree.
        XCTAssertNil(TemplateMatcher.match(render: render, code: Array(code.replacingOccurrences(of: "# app: demo", with: "# app: other").utf8)))
        // Where the shapes part: the first byte no reading accounts for.
        let changed = code.replacingOccurrences(of: "call(", with: "kall(")
        XCTAssertEqual(TemplateMatcher.divergence(render: render, code: Array(changed.utf8)), Array(changed.utf8).firstIndex(of: UInt8(ascii: "k")))
    }

    func testMigrationsCarryArgsAndRefuseWhatTheyCannotDecide() throws {
        let rules = ExampleRules.load()
        let run = try XCTUnwrap(rules.templates["pipeline.agi_run.single_action"])
        let migrated = try run.migrate([("workers_data_path", .string("/share")), ("time_horizon", .integer(4))], from: 1).get()
        XCTAssertEqual(migrated.map(\.0), ["workflow_share_root", "time_horizon", "rapids_enabled", "benchmark_best_single_node"])
        XCTAssertThrowsError(try run.migrate([], from: 9).get())
        var withChange = RuleSet()
        withChange.load(path: "r/templates/t.toml", bytes: Array("id = 't'\nversion = 2\n[[migrations]]\nfrom = 1\nto = 2\nchange = { host = 'no port' }\n".utf8),
                        origin: RuleOrigin(kind: "repository", directory: "r"))
        let t = try XCTUnwrap(withChange.templates["t"])
        XCTAssertThrowsError(try t.migrate([("host", .string("h:1"))], from: 1).get()) { error in
            XCTAssertTrue("\(error)".contains("changes the meaning of 'host'"), "\(error)")
        }
        XCTAssertEqual(try t.migrate([("other", .integer(1))], from: 1).get().map(\.0), ["other"])
    }
}
