import XCTest
@testable import LabcheckCore
import LabcheckTestSupport
import LabcheckTOML

/// Rules loading (LC002), migrations, rendering, key schemas and strict-mode sources.
final class RulesTests: XCTestCase {
    static let designExample = LabFixtures.designExample

    private func load(_ files: [String: String]) -> RuleSet {
        var rules = RuleSet()
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            rules.load(path: path, bytes: Array(text.utf8), origin: RuleOrigin(kind: "repository", directory: "r"))
        }
        return rules
    }

    private func run(_ files: [String: String], strict: Bool = false, base: [String: String] = [:], rules: RuleSet = TestRules.example) throws -> LintResult {
        try TestRules.lint(files, base: base, strict: strict, rules: rules)
    }

    func testBrokenRulesFilesAreLC002WithPositions() {
        let rules = load([
            "r/templates/a.toml": "id = 'a'\nverison = 2\n",
            "r/templates/b.toml": "id = 'b'\nversion = 2\n[args]\nx = 'strng'\n[[migrations]]\nfrom = 1\nto = 3\n",
            "r/templates/c.toml": "id = 'c'\nversion = 1\nrender = 'x = {{ app | yaml }}'\n",
            "r/apps/d.toml": "app = 3\n",
            "r/schemas/e.toml": "id = 'e'\n[keys]\n\"a..b\" = 'string'\n",
            "r/templates/f.toml": "id = [\n",
        ])
        let messages = rules.diagnostics.map { "\($0.file):\($0.start): \($0.message)" }
        XCTAssertTrue(rules.diagnostics.allSatisfy { $0.id == "LC002" })
        for expected in ["r/templates/a.toml:2:1: unknown key 'verison' in a template file",
                         "r/templates/a.toml:1:1: missing required key 'version'",
                         "r/templates/b.toml:4:5: unknown type 'strng' for arg 'x'",
                         "r/templates/b.toml:7:6: a migration goes from one version to the next: from 1 to 2, not 3",
                         "r/apps/d.toml:1:7: 'app' must be a string, found a integer",
                         "r/schemas/e.toml:3:1: key path 'a..b' has an empty segment"] {
            XCTAssertTrue(messages.contains(expected), "missing \(expected) in\n\(messages.joined(separator: "\n"))")
        }
        XCTAssertTrue(messages.contains { $0.hasPrefix("r/templates/c.toml:3:10: render text: unknown filter 'yaml'") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("r/templates/f.toml:2:1: ") }, "\(messages)")
        XCTAssertEqual(rules.diagnostics.first { $0.message.contains("verison") }?.help, "did you mean 'version'?")
    }

    func testRepositoryRulesReplaceBundledOnesById() throws {
        let result = try run([
            ".labcheck.toml": "rules = ['lab_rules']\n",
            "lab_rules/templates/run.toml": "id = 'pipeline.agi_run.single_action'\nversion = 4\n[[migrations]]\nfrom = 3\nto = 4\nnote = 'x'\n",
            "lab_stages.toml": Self.designExample,
        ])
        let rules = try TestRules.configuration(InMemorySnapshot(files: [".labcheck.toml": "rules = ['lab_rules']\n",
                                                                         "lab_rules/templates/run.toml": "id = 'pipeline.agi_run.single_action'\nversion = 4\n"])).rules
        XCTAssertEqual(rules.templates["pipeline.agi_run.single_action"]?.version, 4)
        let replaced = rules.files.first { $0.id == "pipeline.agi_run.single_action" && $0.origin.kind == "example" }
        XCTAssertEqual(replaced?.replacedBy, "lab_rules/templates/run.toml")
        let stale = result.diagnostics.filter { $0.id == "LC111" }
        XCTAssertEqual(stale.count, 1)
        XCTAssertEqual(stale.first?.start, SourcePosition(line: 5, column: 20))
        XCTAssertEqual(stale.first?.notes, ["migration path: v3 -> v4 (x)"])
    }

    func testMigrationPathWithAGapCannotBeRefreshed() throws {
        let result = try run([
            ".labcheck.toml": "rules = ['lab_rules']\n",
            "lab_rules/templates/t.toml": "id = 't.x'\nversion = 3\n[[migrations]]\nfrom = 2\nto = 3\nrename = { a = 'b' }\n",
            "lab_stages.toml": "[[m]]\nD = 'x'\ntemplate_id = 't.x'\ntemplate_version = 1\n",
        ])
        let stale = try XCTUnwrap(result.diagnostics.first { $0.id == "LC111" })
        XCTAssertEqual(stale.notes, ["migration path: v1 -> v2 (not declared), then v2 -> v3"])
        XCTAssertTrue(stale.help?.contains("cannot be refreshed automatically") ?? false)
    }

    func testRenderOfTheDesignExample() throws {
        let lab = try TestRules.read("x", Self.designExample)
        let family = try XCTUnwrap(TestRules.example.templates["pipeline.agi_run.single_action"])
        let python = try StageRendering.render(lab.stages[0], family: family, conventions: TestRules.conventions)
        XCTAssertEqual(python, """
            APP = 'example_project'
            ACTION = 'reference_allocator'
            PARAMS = '{"time_horizon": 16}'
            DATA_IN = '"network_sim/pipeline"'
            SHARE = None
            FLAGS = (False, False)

            """)
        XCTAssertFalse(python.contains("{{"), python)
    }

    func testRenderingNeverFillsAMissingValueWithNothing() {
        XCTAssertThrowsError(try TemplateRenderer.render("a = {{ args.nope | python }}\nb = {{ app }}", context: .table([("app", .string("x"))]))) { error in
            XCTAssertEqual("\(error)", "no value for {{ args.nope }}")
        }
        XCTAssertEqual(TemplateRenderer.python(.table([("k", .array([.bool(true), .null, .string("it's")]))])), "{'k': [True, None, \"it's\"]}")
        XCTAssertEqual(TemplateRenderer.json(.table([("é", .float(1.5))])), "{\"\\u00e9\": 1.5}")
        XCTAssertEqual(TemplateRenderer.python(.string("a\nb'\"")), "'a\\nb\\'\"'")
    }

    /// `KeySchema.accepts` (the check on the TOML table, no tree of positions) says yes exactly
    /// when `check` of the table's tree finds nothing: every bundled schema plus one with an
    /// early glob, nested keys and a required nested key, over random tables of known, glob,
    /// nested, misspelt and unknown keys with values of every kind.
    func testSchemaAcceptsExactlyWhenCheckFindsNothing() throws {
        let extra = load(["r/schemas/x.toml": """
            id = "x"
            exactly_one_of = [["a", "b"]]
            [keys]
            "a*" = "integer"
            a = "string"
            b = "any"
            "t.u" = { type = "integer", required = true }
            "t.v.*" = "string"
            "f" = { type = "table", free = true }
            "g.*.h" = "boolean"
            """])
        var schemas = Array(BundledRulesForTests.rules.schemas.values)
        schemas.append(try XCTUnwrap(extra.schemas["x"]))
        var generator = SystemRandomNumberGenerator()
        let values = ["1", "'s'", "2.5", "true", "1979-05-27", "[1, 2]", "{}", "{ h = true }", "{ u = 1 }", "{ u = 's', v = { w = 'x' } }", "{ q = 1 }"]
        var accepted = 0, refused = 0
        for schema in schemas {
            let names = schema.keys.flatMap(\.path).map { $0.replacingOccurrences(of: "*", with: "zz") } + ["unknown", "kind", "aq", "t", "g"]
            for _ in 0..<300 {
                var lines: [String] = [], used = Set<String>()
                for _ in 0..<Int.random(in: 0...6, using: &generator) {
                    let key = (0..<Int.random(in: 1...2, using: &generator)).map { _ in names.randomElement(using: &generator)! }.joined(separator: ".")
                    guard !used.contains(where: { $0 == key || $0.hasPrefix(key + ".") || key.hasPrefix($0 + ".") }) else { continue }
                    used.insert(key)
                    lines.append("\(key.split(separator: ".").map { "\"\($0)\"" }.joined(separator: ".")) = \(values.randomElement(using: &generator)!)")
                }
                let text = lines.joined(separator: "\n")
                let document = try TOMLParser.parse(text)
                let tree = ConfigNode.from(document.root, span: ByteSpan(0, document.source.bytes.count), source: document.source)
                let clean = schema.check(tree).isEmpty
                XCTAssertEqual(schema.accepts(document.root), clean, "schema \(schema.id), table:\n\(text)")
                if clean { accepted += 1 } else { refused += 1 }
            }
        }
        XCTAssertGreaterThan(accepted, 100, "the random tables must exercise both answers")
        XCTAssertGreaterThan(refused, 100)
    }

    /// The key a one-segment name is answered with (bucketed exact names, the globs before
    /// them decided when the schema is read) is the first key in `keys` whose path matches it,
    /// found by a scan: every bundled schema and one whose glob precedes an exact key it matches.
    func testOneSegmentKeyLookupIsTheFirstMatchingKey() throws {
        let extra = load(["r/schemas/x.toml": """
            id = "x"
            [keys]
            b = "string"
            "a*" = "integer"
            a = "string"
            "?" = "boolean"
            ab = "float"
            "t.u" = "integer"
            """])
        var schemas = Array(BundledRulesForTests.rules.schemas.values)
        schemas.append(try XCTUnwrap(extra.schemas["x"]))
        var compared = 0, globAnswers = 0
        for schema in schemas {
            let names = schema.keys.flatMap(\.path) + schema.keys.flatMap(\.path).map { $0.replacingOccurrences(of: "*", with: "zz") }
                + ["a", "ab", "abc", "b", "c", "", "t", "unknown", "NB_cell", "_orchestrate_x", "Z"]
            for name in Set(names) {
                let expected = schema.keys.firstIndex { $0.matches([name], prefix: false) }
                let found = schema.key(matching: [name])
                XCTAssertEqual(found.map { "\($0.path) \($0.type)" }, expected.map { "\(schema.keys[$0].path) \(schema.keys[$0].type)" },
                               "schema \(schema.id), name '\(name)'")
                if let expected, schema.keys[expected].globs[0] { globAnswers += 1 }
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 50)
        XCTAssertGreaterThan(globAnswers, 3, "names answered by a glob, some before an exact key")
        XCTAssertEqual(extra.schemas["x"]?.key(matching: ["a"])?.type, .integer, "'a*' comes before 'a'")
        XCTAssertEqual(extra.schemas["x"]?.key(matching: ["b"])?.type, .string, "'b' comes before '?'")
        XCTAssertEqual(extra.schemas["x"]?.key(matching: ["c"])?.type, .boolean)
    }

    func testRunConfigSchemaFreeFormSubtreesAndStrictness() throws {
        let registration = ".labcheck.toml"
        let config = "[[configs]]\nfiles = ['configs/**/*.toml', 'configs/**/*.yaml']\nschema = 'run_config'\n"
        let good = "[prompt]\nmodel = 'm'\n[prompt.stage_configs.load]\nanything = { goes = 1 }\n[prompt.extensions.tracing]\nlevel = 2\n"
        let misspelt = "[prompt]\nmodel = 'm'\n[prompt.stage_config.load]\nretries = 2\n"
        XCTAssertEqual(try run([registration: config, "configs/a/run.toml": good], strict: true).diagnostics.map(\.id), [])
        let warned = try run([registration: config, "configs/run.toml": misspelt]).diagnostics
        XCTAssertEqual(warned.map { "\($0.id) \($0.severity) \($0.start)" }, ["LC200 warning 3:9"])
        XCTAssertEqual(warned.first?.help, "did you mean 'prompt.stage_configs'?")
        XCTAssertEqual(warned.first?.message, "unknown key 'prompt.stage_config' in configs/run.toml (schema run_config)")
        let strict = try run([registration: config, "configs/run.toml": "strict = true\n" + misspelt]).diagnostics
        XCTAssertEqual(strict.map { "\($0.id) \($0.severity)" }, ["LC200 error"])
        let yaml = try run([registration: config, "configs/run.yaml": "prompt:\n  model: m\n  stage_config:\n    load: 1\nrun:\n  mode: fast\n"]).diagnostics
        XCTAssertEqual(yaml.map { "\($0.id) \($0.start)" }, ["LC200 3:3", "LC201 6:9"])
        let strictYAML = try run([registration: config, "configs/run.yaml": "strict: true\nprompt:\n  stage_config: {}\n"]).diagnostics
        XCTAssertEqual(strictYAML.map { "\($0.id) \($0.severity) \($0.start)" }, ["LC200 error 3:3"])
        let broken = try run([registration: config, "configs/run.yaml": "prompt: [\n"]).diagnostics
        XCTAssertEqual(broken.map(\.id), ["LC201"])
    }

    func testStrictModeSourcesAndTheirSeverities() throws {
        let lab = "[[m]]\nid = 'a'\nD = 'd'\nDD = 'x'\n"
        XCTAssertEqual(try run(["lab_stages.toml": lab]).diagnostics.map(\.severity), [.warning])
        XCTAssertEqual(try run(["lab_stages.toml": lab], strict: true).diagnostics.map(\.severity), [.error])
        XCTAssertEqual(try run(["lab_stages.toml": lab, ".labcheck.toml": "strict = true\n"]).diagnostics.map(\.severity), [.error])
        let meta = try run(["lab_stages.toml": "[__meta__]\nstrict = true\n" + lab])
        XCTAssertEqual(meta.diagnostics.map(\.severity), [.error])
        XCTAssertTrue(meta.log.contains("strict mode: on for lab_stages.toml ([__meta__] strict = true in lab_stages.toml)"), "\(meta.log)")
    }

    func testSamplesHaveNoUnknownKeysInStrictMode() throws {
        var files: [String: String] = [".labcheck.toml": "stage_files = ['*.lab_stages.toml']\n"]
        for name in ["tescia_diagnostic.lab_stages.toml", "mission_decision.lab_stages.toml", "orchestrate_generated_snippets.lab_stages.toml"] {
            files[name] = String(decoding: try SharedData.bytes("agilab-samples/\(name)"), as: UTF8.self)
        }
        // The bundled rules must accept real AGILab labs.
        let bundled = BundledRulesForTests.rules
        let result = try run(files, strict: true, rules: bundled)
        XCTAssertEqual(result.diagnostics.filter { $0.severity != .info }.map(\.message), [])
        XCTAssertEqual(result.diagnostics.map(\.id), ["LC130", "LC130"])
        let conventions = try XCTUnwrap(bundled.conventions)
        let statuses = result.labFiles.flatMap { f in f.stages.map { StageClassifier.status($0, in: f, rules: bundled, conventions: conventions).stageClass } }
        XCTAssertEqual(statuses.filter { $0 == .legacy }.count, 9)
        XCTAssertEqual(statuses.filter { $0 == .legacyGenerated }.count, 2)
    }

    func testDiffAwareChecksMatchStagesByIdOrPosition() throws {
        let old = "[[m]]\nD = 'x'\ntemplate_id = 'generic.execute'\ntemplate_version = 2\n[[m]]\nid = 'b'\nD = 'y'\n"
        let new = "[[m]]\nid = 'b'\nD = 'y'\n[[m]]\nD = 'x'\ntemplate_id = 'generic.execute'\ntemplate_version = 1\n"
        // The id-less stage moved from position 1 to 2: not the same stage, so no LC150.
        XCTAssertFalse(try run(["lab_stages.toml": new], base: ["lab_stages.toml": old]).diagnostics.contains { $0.id == "LC150" })
        let sameSpot = "[[m]]\nD = 'x'\ntemplate_id = 'generic.execute'\ntemplate_version = 1\n[[m]]\nid = 'b'\nD = 'y'\n"
        XCTAssertTrue(try run(["lab_stages.toml": sameSpot], base: ["lab_stages.toml": old]).diagnostics.contains { $0.id == "LC150" })
    }
}
