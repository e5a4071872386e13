import XCTest
import LabcheckTestSupport
import LabcheckTOML
@testable import LabcheckCore

/// The bundled template registry against AGILab's real generator output
/// (`../shared/agilab-samples/generated/`): every file, pasted as a legacy stage in an LF and in a
/// CRLF lab file, is recognised as the right family and version, and rendering the planned stage
/// (written as TOML and read back) at that version reproduces the file. Edited or header-less
/// code stays code. (This tests the bundled data itself, so it reads `rules/`.)
final class GeneratedSnippetTests: XCTestCase {
    /// (date_commit, kind) in the file name -> family and version.
    static let expected: [String: (String, Int)] = [
        "2026-04-27_ee2f01a31__distribute.py": ("pipeline.agi_distribute.check", 1),
        "2026-04-27_ee2f01a31__install.py": ("pipeline.agi_install.app", 1),
        "2026-04-27_ee2f01a31__run.py": ("pipeline.agi_run.single_action", 1),
        "2026-05-08_a5a8df2a8__distribute.py": ("pipeline.agi_distribute.check", 1),
        "2026-05-08_a5a8df2a8__install.py": ("pipeline.agi_install.app", 1),
        "2026-05-08_a5a8df2a8__run.py": ("pipeline.agi_run.single_action", 2),
        "2026-06-02_d34770cdb__run.py": ("pipeline.agi_run.single_action", 3),
        "2026-06-02_d34770cdb__workerless_install.py": ("pipeline.agi_install.workerless", 1),
        "2026-06-02_d34770cdb__workerless_run.py": ("pipeline.agi_run.workerless", 1),
        "2026-06-05_ebf0d7019__install.py": ("pipeline.agi_install.app", 2),
        "2026-07-02_3fce78a19__distribute.py": ("pipeline.agi_distribute.check", 2),
        "2026-07-02_3fce78a19__install.py": ("pipeline.agi_install.app", 3),
        "2026-07-02_3fce78a19__manager_install.py": ("pipeline.agi_install.manager", 1),
        "2026-07-02_3fce78a19__run.py": ("pipeline.agi_run.single_action", 4),
        "2026-07-02_3fce78a19__workerless_install.py": ("pipeline.agi_install.workerless", 2),
        "2026-07-02_3fce78a19__workerless_run.py": ("pipeline.agi_run.workerless", 2),
        "2026-07-28_c14c94d2a__install.py": ("pipeline.agi_install.app", 4),
        "2026-07-28_c14c94d2a__manager_install.py": ("pipeline.agi_install.manager", 2),
        "2026-07-31_37a3333c0__pipeline_safe_service_start.py": ("pipeline.agi_serve.safe_start", 1),
        "2026-07-31_37a3333c0__run.py": ("pipeline.agi_run.single_action", 5),
    ]

    private var rules: RuleSet { BundledRulesForTests.rules }
    private var conventions: StageConventions { BundledRulesForTests.rules.conventions! }

    static func sampleNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: SharedData.root.appendingPathComponent("agilab-samples/generated").path)
            .filter { $0.hasSuffix(".py") }.sorted()
    }

    /// A lab file holding `code` as a legacy stage's `C`, with `eol` line endings throughout.
    static func lab(_ code: String, eol: String) -> String {
        let text = "[[flight]]\nid = \"snippet\"\nD = \"pasted\"\nC = '''\n" + code + "'''\n"
        return eol == "\n" ? text : text.replacingOccurrences(of: "\n", with: eol)
    }

    func testEveryGeneratedSampleIsRecognisedAndRendersBackByteForByte() throws {
        let names = try Self.sampleNames()
        XCTAssertEqual(Set(names), Set(Self.expected.keys), "a sample without an expectation, or an expectation without a sample")
        for name in names {
            let code = String(decoding: try SharedData.bytes("agilab-samples/generated/" + name), as: UTF8.self)
            for eol in ["\n", "\r\n"] {
                let file = try LabFileReader.read(path: "lab_stages.toml", bytes: Array(Self.lab(code, eol: eol).utf8), conventions: conventions).get()
                let stage = try XCTUnwrap(file.stages.first)
                let status = StageClassifier.status(stage, in: file, rules: rules, conventions: conventions)
                let label = "\(name) \(eol == "\n" ? "LF" : "CRLF")"
                XCTAssertEqual(status.stageClass, .legacyGenerated, label)
                let match = try XCTUnwrap(status.conversion, label)
                XCTAssertEqual(match.family.id, Self.expected[name]?.0, label)
                XCTAssertEqual(match.version, Self.expected[name]?.1, label)
                // The planned stage, written as TOML and read back, renders the file at that version.
                let planned = try XCTUnwrap(Self.plannedStage(match), label)
                let converted = try LabFileReader.read(path: "x.toml", bytes: Array(planned.utf8), conventions: conventions).get()
                let rendered = try StageRendering.render(try XCTUnwrap(converted.stages.first), family: match.family, conventions: conventions)
                XCTAssertEqual(rendered, LineComparison.normalized(code), label)
            }
        }
    }

    func testAOneCharacterEditStaysCodeWithItsLineNamed() throws {
        let code = String(decoding: try SharedData.bytes("agilab-samples/generated/2026-07-31_37a3333c0__run.py"), as: UTF8.self)
        let lines = code.split(separator: "\n", omittingEmptySubsequences: false)
        let target = try XCTUnwrap(lines.firstIndex { $0.contains("print(res)") })
        let edited = code.replacingOccurrences(of: "print(res)", with: "print(rez)")
        guard case .code(let reason, let line) = SnippetRecognition.recognize(edited, rules: rules, conventions: conventions) else {
            return XCTFail("an edited snippet must stay code")
        }
        XCTAssertEqual(line, target + 1, reason)
        XCTAssertTrue(reason.contains("pipeline.agi_run.single_action v5"), reason)
    }

    func testHeaderlessCodeStaysCode() throws {
        let code = String(decoding: try SharedData.bytes("agilab-samples/generated/2026-07-31_37a3333c0__run.py"), as: UTF8.self)
        let headerless = code.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("# AGILAB generated snippet") }.joined(separator: "\n")
        guard case .code(let reason, nil) = SnippetRecognition.recognize(headerless, rules: rules, conventions: conventions) else {
            return XCTFail("header-less code must stay code")
        }
        XCTAssertTrue(reason.contains("no generated-snippet header"), reason)
    }

    func testAValueTheGeneratorWouldWriteDifferentlyStaysCode() throws {
        // Single quotes where the generator writes double quotes: the shape matches, the
        // render does not reproduce the text, so the conversion would not be lossless.
        let code = String(decoding: try SharedData.bytes("agilab-samples/generated/2026-07-28_c14c94d2a__install.py"), as: UTF8.self)
        let edited = code.replacingOccurrences(of: "scheduler=\"192.168.1.10\"", with: "scheduler='192.168.1.10'")
        XCTAssertNotEqual(edited, code)
        guard case .code(let reason, let line) = SnippetRecognition.recognize(edited, rules: rules, conventions: conventions) else {
            return XCTFail("a value written differently must stay code")
        }
        XCTAssertNotNil(line, reason)
    }

    /// The TOML stage a conversion writes (what `labcheck convert` reports).
    static func plannedStage(_ match: SnippetMatch) -> String? {
        var text = "[[flight]]\nkind = \"template\"\ntemplate_id = \(TOMLLiteral.basicString(match.family.id))\ntemplate_version = \(match.version)\n"
        for (k, v) in match.fields { guard let t = v.toml else { return nil }; text += "\(TOMLLiteral.key(k)) = \(t)\n" }
        text += "[flight.args]\n"
        for (k, v) in match.args { guard let t = v.toml else { return nil }; text += "\(TOMLLiteral.key(k)) = \(t)\n" }
        return text
    }
}
