import XCTest
import LabcheckTestSupport
@testable import LabcheckCore
import LabcheckTOML

/// The stage model and the checks LC100-LC103, each with triggering and non-triggering input.
final class LabFileTests: XCTestCase {
    private func diagnostics(_ text: String, strict: Bool = false) -> [Diagnostic] {
        do { return try TestRules.lint(["lab_stages.toml": text], strict: strict).diagnostics } catch {
            XCTFail("the run threw: \(error)")
            return []
        }
    }

    private func ids(_ text: String) -> [String] { diagnostics(text).map(\.id) }

    func testTheThreeAGILabSamplesParseWithNoDiagnostics() throws {
        for name in ["tescia_diagnostic.lab_stages.toml", "mission_decision.lab_stages.toml", "orchestrate_generated_snippets.lab_stages.toml"] {
            let bytes = try SharedData.bytes("agilab-samples/\(name)")
            let lab = try LabFileReader.read(path: name, bytes: bytes, conventions: TestRules.conventions).get()
            XCTAssertEqual(lab.layoutProblems.count, 0, name)
            // The bundled rules must accept real AGILab labs in strict mode.
            let found = TestRules.check(lab, rules: BundledRulesForTests.rules, strict: true)
            XCTAssertEqual(found.filter { $0.severity != .info }, [], "\(name) in strict mode")
            XCTAssertFalse(lab.stages.isEmpty, name)
            XCTAssertNotNil(lab.meta, name)
            for stage in lab.stages { XCTAssertEqual(stage.kind, .legacy(label: nil), "\(name) \(stage.displayName)") }
            // Only the generated snippets get a note (LC130).
            let notes = found.map(\.id)
            XCTAssertEqual(notes, name.hasPrefix("orchestrate") ? ["LC130", "LC130"] : [], name)
        }
    }

    func testBothModuleLayoutsAreRead() throws {
        let aot = try? LabFileReader.read(path: "a", bytes: Array(try SharedData.bytes("agilab-samples/tescia_diagnostic.lab_stages.toml")), conventions: TestRules.conventions).get()
        XCTAssertEqual(aot?.modules.map(\.name), ["tescia_diagnostic"])
        XCTAssertEqual(aot?.modules.first?.usesArrayOfTables, true)
        XCTAssertEqual(aot?.stages.map(\.id), ["load_exercise_cases", "evaluate_answer", "export_classroom_feedback"])
        let inline = try? LabFileReader.read(path: "b", bytes: Array(try SharedData.bytes("agilab-samples/mission_decision.lab_stages.toml")), conventions: TestRules.conventions).get()
        XCTAssertEqual(inline?.modules.first?.usesArrayOfTables, false)
        XCTAssertEqual(inline?.stages.count, 6)
        XCTAssertEqual(inline?.stages[2].displayName, "mission_decision[#3]")
    }

    func testLC100SyntaxErrorNamesThePosition() {
        let d = diagnostics("[[m]]\nid = \"a\nC = 1\n")
        XCTAssertEqual(d.map(\.id), ["LC100"])
        XCTAssertEqual(d.first?.start, SourcePosition(line: 2, column: 8))
        XCTAssertEqual(ids("[[m]]\nid = \"a\"\nD = \"d\"\n"), [])
    }

    func testLC101Layout() {
        XCTAssertEqual(ids("[m]\nD = 1\n"), ["LC101"], "a plain table is not a stage list")
        XCTAssertEqual(ids("m = 3\n"), ["LC101"])
        XCTAssertEqual(ids("m = []\n"), [], "an empty module is what AGILab's editor saves when the last stage is deleted")
        XCTAssertEqual(ids("m = [{D = 'a'}, 3]\n"), ["LC101"], "non-table stage")
        XCTAssertEqual(ids("__meta__ = 1\n"), ["LC101"])
        let dup = diagnostics("[[m]]\nid = 'a'\nD = 1\n[[m]]\nid = 'b'\nD = 1\n[[m]]\nid = 'a'\nD = 1\n")
        XCTAssertEqual(dup.map(\.id), ["LC101"])
        XCTAssertEqual(dup.first?.start, SourcePosition(line: 8, column: 6))
        XCTAssertEqual(dup.first?.notes, ["first used at lab_stages.toml:2:6"])
        XCTAssertEqual(ids("m2 = [{id = 'a', C = ''}]\n[[m]]\nid = 'a'\nC = ''\n[[n]]\nid = 'a'\nC = ''\n"), [], "ids are per module")
    }

    func testLC102UnknownKindOnlyForStructuredStagesOrNearMisses() {
        XCTAssertEqual(ids("[[m]]\nkind = 'analysis'\nC = 'x'\n"), [], "free-form label on a code stage is kept")
        XCTAssertEqual(try? LabFileReader.read(path: "x", bytes: Array("[[m]]\nkind = 'analysis'\n".utf8), conventions: TestRules.conventions).get().stages.first?.kind, .legacy(label: "analysis"))
        XCTAssertEqual(ids("[[m]]\nkind = 'Template'\n"), ["LC102"])
        XCTAssertEqual(ids("[[m]]\nkind = 'raw-python'\nC = 'x'\n"), ["LC102"])
        XCTAssertEqual(ids("[[m]]\nkind = 'pipeline'\ntemplate_id = 't'\n").filter { $0 == "LC102" }, ["LC102"], "structured stage with unknown kind")
        XCTAssertEqual(ids("[[m]]\nkind = 3\n"), ["LC102"])
        let d = diagnostics("[[m]]\nkind = 'templte'\n")
        XCTAssertEqual(d.first?.help, "did you mean \"template\"?")
    }

    func testLC103RequiredFieldsAndExactlyOneOfActionOrTask() {
        let full = "[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_install.app'\ntemplate_version = 2\napp = 'example_project'\n"
        XCTAssertEqual(ids(full + "action = 'install'\n"), [])
        XCTAssertEqual(ids(full), ["LC103"], "neither action nor task")
        let both = diagnostics(full + "action = 'install'\ntask = 'y'\n").filter { $0.id == "LC103" }
        XCTAssertEqual(both.count, 1)
        XCTAssertEqual(both.first?.start.line, 7)
        XCTAssertEqual(ids("[[m]]\nkind = 'template'\naction = 'x'\n").filter { $0 == "LC103" }, ["LC103", "LC103", "LC103"])
        XCTAssertEqual(ids("[[m]]\nkind = 'raw_python'\n"), ["LC103"])
        XCTAssertEqual(ids("[[m]]\nkind = 'raw_python'\nC = 'print(1)'\n"), [])
    }

    /// A large file's top-level entries are read side by side (`LabFileReader.read`); the model
    /// and its layout problems must be those of one entry after the other, in file order: the
    /// metadata table, modules written as arrays of tables and inline, empty ones, and every
    /// layout problem (a module that is a table or a value, a stage that is not a table, an id
    /// that is not a string, a duplicate id), five concurrent reads each, with the metadata
    /// table right and wrong.
    func testEntriesReadSideBySideEqualOneAfterTheOther() throws {
        func describe(_ file: LabFile) -> [String] {
            var out = ["meta \(file.meta.map { "\($0.key) \($0.keySpan)" } ?? "none")"]
            for m in file.modules {
                out.append("module \(m.name) \(m.keySpan) \(m.usesArrayOfTables) \(m.stages.count)")
                for st in m.stages {
                    out.append("  \(st.module) \(st.index) \(st.span) \(st.kind) \(st.id ?? "-") \(ObjectIdentifier(st.table))")
                }
            }
            for p in file.layoutProblems { out.append("problem \(p.message) \(p.span) \(p.help ?? "-") \(p.notes)") }
            return out
        }
        for meta in ["[__meta__]\nstrict = false\n", "__meta__ = 3\n"] {
            // Root keys first (a header opens a table that takes the keys after it).
            var text = meta.hasPrefix("[") ? "" : meta
            for k in 0..<60 {
                switch k % 6 {
                case 0: text += "m\(k) = [{ id = 'a' }, 7, { id = 'a' }, { id = 3 }]\n"
                case 1: text += "m\(k) = []\n"
                case 2: text += "m\(k) = 'not stages'\n"
                default: break
                }
            }
            if meta.hasPrefix("[") { text += meta }
            for k in 0..<60 where k % 6 >= 3 {
                let m = "m\(k)"
                switch k % 6 {
                case 3: text += "[[\(m)]]\nid = 's'\nD = 'x'\n[[\(m)]]\nid = 's'\nkind = 'raw_python'\nC = 'print(1)'\n[[\(m)]]\nkind = 'templat'\n"
                case 4: text += "[\(m)]\nid = 'x'\n"
                default: text += "[[\(m)]]\nid = 'one'\n[[\(m)]]\nid = 'two'\n[[\(m)]]\nid = 'one'\n"
                }
            }
            let source = Array(text.utf8)
            let one = try LabFileReader.read(path: "big/lab_stages.toml", bytes: source, conventions: TestRules.conventions, concurrently: false).get()
            let expected = describe(one).map { $0.replacingOccurrences(of: #"ObjectIdentifier\(0x[0-9a-f]+\)"#, with: "", options: .regularExpression) }
            XCTAssertEqual(one.modules.count, 40, meta)
            XCTAssertEqual(one.layoutProblems.filter { $0.message.hasPrefix("duplicate stage id") }.count, 30, meta)
            XCTAssertEqual(one.layoutProblems.filter { $0.message.contains("must be an array of stage tables") }.count, 20, meta)
            XCTAssertEqual(one.meta == nil, meta.hasPrefix("__meta__ ="), meta)
            for _ in 0..<5 {
                let side = try LabFileReader.read(path: "big/lab_stages.toml", bytes: source, conventions: TestRules.conventions, concurrently: true).get()
                XCTAssertEqual(describe(side).map { $0.replacingOccurrences(of: #"ObjectIdentifier\(0x[0-9a-f]+\)"#, with: "", options: .regularExpression) }, expected, meta)
                // Each stage holds its own module's table of the one parsed document.
                for (a, b) in zip(one.modules.flatMap(\.stages), side.modules.flatMap(\.stages)) {
                    XCTAssertTrue(a.table.entries.map(\.key) == b.table.entries.map(\.key))
                }
            }
        }
    }

    /// A large file's checks run concurrently; their findings must be those of one check after
    /// the other, in the same order, field for field: a file of ~40 KB with findings of most
    /// lab-file checks (unknown keys and kinds, missing fields, unknown and cyclic dependencies,
    /// stale, unknown and lowered template versions, stages without content), five concurrent runs each.
    func testConcurrentChecksEqualSequentialOnes() throws {
        var text = "[__meta__]\nschema = 'x'\nverison = 1\n\n", base = text
        var k = 0
        while text.utf8.count < 40_000 {
            let m = "mod_\(k % 7)"
            let stages = [
                "[[\(m)]]\nid = 'a\(k)'\ndepend_on = ['b']\nD = 'descr\(k)'\n",
                "[[\(m)]]\nid = 'b\(k)'\ndepends_on = ['nope\(k)', 'c\(k)']\nC = 'print(\(k))'\n",
                "[[\(m)]]\nid = 'c\(k)'\ndepends_on = ['b\(k)']\nQ = 'q'\n",
                "[[\(m)]]\nkind = 'raw_python'\nid = 'r\(k)'\n",
                "[[\(m)]]\nkind = 'templat'\nid = 'k\(k)'\n",
                "[[\(m)]]\nid = 'e\(k)'\nM = 'no content'\n",
                "[[\(m)]]\nkind = 'template'\nid = 't\(k)'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = \(1 + k % 3)\napp = 'example_project'\naction = 'a'\n",
                "[[\(m)]]\nkind = 'template'\nid = 'u\(k)'\ntemplate_id = 'no.such.template'\ntemplate_version = 1\napp = 'x'\n",
            ]
            text += stages.joined(separator: "\n") + "\n"
            base += stages.joined(separator: "\n").replacingOccurrences(of: "template_version = \(1 + k % 3)", with: "template_version = 3") + "\n"
            k += 1
        }
        let file = try TestRules.read("big/lab_stages.toml", text)
        let old = try TestRules.read("big/lab_stages.toml", base)
        let rules = TestRules.example, conventions = TestRules.conventions
        for strict in [false, true] {
            let sequential = Linter.checkLabFile(file, base: old, rules: rules, conventions: conventions, strict: strict, concurrently: false)
            XCTAssertGreaterThan(Set(sequential.map(\.id)).count, 7, "findings of many checks: \(Set(sequential.map(\.id)).sorted())")
            XCTAssertGreaterThan(sequential.count, 500)
            for _ in 0..<5 {
                let concurrent = Linter.checkLabFile(file, base: old, rules: rules, conventions: conventions, strict: strict, concurrently: true)
                XCTAssertEqual(concurrent.count, sequential.count)
                XCTAssertTrue(concurrent == sequential, "the concurrent run's findings differ")
            }
        }
    }
}

final class SupportTests: XCTestCase {
    func testGlobs() {
        let g = Glob("**/lab_stages.toml")
        XCTAssertTrue(g.matches("lab_stages.toml"))
        XCTAssertTrue(g.matches("a/b/lab_stages.toml"))
        XCTAssertFalse(g.matches("a/b/lab_stages.toml.bak"))
        XCTAssertFalse(g.matches("a/xlab_stages.toml"))
        XCTAssertTrue(Glob("labs/**/lab_stages.toml").matches("labs/a/lab_stages.toml"))
        XCTAssertFalse(Glob("labs/**/lab_stages.toml").matches("other/labs/lab_stages.toml"))
        // Names compare exactly: a decomposed é is not the precomposed one.
        XCTAssertTrue(Glob("caf\u{E9}.toml").matches("caf\u{E9}.toml"))
        XCTAssertFalse(Glob("caf\u{E9}.toml").matches("cafe\u{301}.toml"))
        XCTAssertTrue(Glob("labs/*.toml").matches("labs/x.toml"))
        XCTAssertFalse(Glob("labs/*.toml").matches("labs/sub/x.toml"))
        XCTAssertTrue(Glob("configs/**/*.yaml").matches("configs/a/b/c.yaml"))
        XCTAssertTrue(Glob("configs/**/*.yaml").matches("configs/c.yaml"))
        XCTAssertTrue(Glob("f?.[ty]oml").matches("fa.toml"))
        XCTAssertFalse(Glob("f[!a].toml").matches("fa.toml"))
    }

    /// An unknown dependency's help lists the module's stage ids, the first twelve of a large
    /// module and how many more.
    func testUnknownDependencyHelpListsAtMostTwelveIds() throws {
        func help(_ stages: Int) throws -> String? {
            var text = (0..<stages).map { "[[m]]\nid = 'stage\($0)'\nD = 'x'\n" }.joined()
            text += "[[m]]\nid = 'last'\ndepends_on = ['qqqqqqqqqqqqqqqq']\nD = 'x'\n"
            return TestRules.check(try TestRules.read("lab_stages.toml", text), strict: false).first { $0.id == "LC105" }?.help
        }
        XCTAssertEqual(try help(2), "stages of module 'm': stage0, stage1, last")
        XCTAssertEqual(try help(40), "stages of module 'm': " + (0..<12).map { "stage\($0)" }.joined(separator: ", ") + " and 29 more")
    }

    /// The suggestion, computed with length bounds and a bounded distance, against the plain
    /// definition (every candidate's full distance, sorted, first closest within the limit),
    /// and the distance itself against the whole table:
    /// random names and candidates with case and `-`/`_` variants, transpositions, non-ASCII.
    func testNearestNameEqualsThePlainDefinition() {
        /// The whole table, every cell: insertions, deletions, substitutions, transpositions.
        func fullDistance(_ a: String, _ b: String) -> Int {
            let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
            var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
            for i in 0...x.count { d[i][0] = i }
            for j in 0...y.count { d[0][j] = j }
            for i in stride(from: 1, through: x.count, by: 1) {
                for j in stride(from: 1, through: y.count, by: 1) {
                    d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                    if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
                }
            }
            return d[x.count][y.count]
        }
        func plain(_ name: String, _ candidates: [String]) -> String? {
            let fold = { (s: String) in String(s.lowercased().map { $0 == "-" ? "_" : $0 }) }
            var best: (String, Int)? = nil
            for c in candidates.sorted() {
                let d = fold(c) == fold(name) ? 0 : fullDistance(name, c)
                if best == nil || d < best!.1 { best = (c, d) }
            }
            guard let (c, d) = best, d <= max(1, min(3, name.count / 3)) else { return nil }
            return c
        }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcAB_-é") + ["İ", "ß"]
        func word() -> String { String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }) }
        func variant(_ w: String) -> String {
            var c = Array(w)
            switch Int.random(in: 0..<5, using: &generator) {
            case 0: return w.uppercased()
            case 1: return w.replacingOccurrences(of: "_", with: "-")
            case 2: if c.count > 1 { let i = Int.random(in: 0..<(c.count - 1), using: &generator); c.swapAt(i, i + 1) }
            case 3: if !c.isEmpty { c.remove(at: Int.random(in: 0..<c.count, using: &generator)) }
            default: c.insert(alphabet.randomElement(using: &generator)!, at: Int.random(in: 0...c.count, using: &generator))
            }
            return String(c)
        }
        var suggested = 0
        for _ in 0..<3_000 {
            let candidates = (0..<Int.random(in: 0...12, using: &generator)).map { _ in word() }
            let name = Bool.random(using: &generator) && !candidates.isEmpty ? variant(candidates.randomElement(using: &generator)!) : word()
            let expected = plain(name, candidates)
            XCTAssertEqual(NearestName.suggestion(for: name, among: candidates), expected, "\(name) among \(candidates)")
            for c in candidates { XCTAssertEqual(NearestName.distance(name, c), fullDistance(name, c), "\(name) to \(c)") }
            if expected != nil { suggested += 1 }
        }
        XCTAssertGreaterThan(suggested, 300)
    }

    func testNearestName() {
        XCTAssertEqual(NearestName.suggestion(for: "strictt", among: ["strict", "rules"]), "strict")
        XCTAssertEqual(NearestName.suggestion(for: "Stage-Files", among: ["stage_files"]), "stage_files")
        XCTAssertNil(NearestName.suggestion(for: "zzzzzz", among: ["strict", "rules"]))
    }

    func testALongDependencyChainAndItsCycleNeedNoRecursion() throws {
        // 20,000 stages each depending on the next, the last on the first: one cycle, found
        // without a stack frame per stage.
        let n = 20_000
        var text = ""
        for k in 0..<n { text += "[[m]]\nid = 's\(k)'\ndepends_on = ['s\((k + 1) % n)']\n" }
        let cycles = try TestRules.lint(["lab_stages.toml": text]).diagnostics.filter { $0.id == "LC105" }
        XCTAssertEqual(cycles.count, 1)
        XCTAssertTrue(cycles.first?.message.hasPrefix("dependency cycle in module 'm': s0 -> s1 -> s2") ?? false)
        XCTAssertEqual(cycles.first?.start.line, 3 * n)
    }

    func testAGILabInputsAreNotBlocked() throws {
        // A lab_steps.toml (AGILab's file name until 2026-05-08) is a lab file by default.
        let steps = try TestRules.lint(["old/lab_steps.toml": "[[m]]\nid = 'a'\nD = 'd'\n[[m]]\nid = 'a'\nD = 'd'\n"])
        XCTAssertEqual(steps.filesChecked, 1)
        XCTAssertEqual(steps.diagnostics.map(\.id), ["LC101"])
        // U+FEFF inside a string or a comment is an ordinary character (only a leading BOM is special).
        let bom = try TestRules.lint(["lab_stages.toml": "[[m]]\nid = 'a\u{FEFF}b'   # note \u{FEFF}\nD = 'd'\n"])
        XCTAssertEqual(bom.diagnostics.map(\.id), [])
    }
}
