import Foundation
import XCTest
import LabcheckTestSupport
import LabcheckTOML
@testable import LabcheckCore

/// Every check's examples are its tests: a triggering example must produce the id exactly at
/// the places its `↓` markers stand, a non-triggering one must not produce it. The registry,
/// `explain` and the README's table agree.
final class CheckExamplesTests: XCTestCase {
    private func run(_ example: CheckExample) throws -> [Diagnostic] {
        try TestRules.lint(example.files, base: example.base, strict: example.strict, rules: ExampleRules.load(example.rules)).diagnostics
    }

    func testRegistryHasOneCompleteDescriptionPerID() {
        let ids = CheckRegistry.descriptions.map(\.id)
        XCTAssertEqual(Set(ids).count, ids.count, "an id is described twice")
        XCTAssertEqual(ids, ids.sorted())
        let slugs = CheckRegistry.descriptions.map(\.slug)
        XCTAssertEqual(Set(slugs).count, slugs.count, "a slug is used twice")
        for d in CheckRegistry.descriptions {
            XCTAssertNotNil(d.id.range(of: #"^LC\d{3}$"#, options: .regularExpression), d.id)
            XCTAssertNotNil(d.slug.range(of: #"^[a-z0-9]+(-[a-z0-9]+)*$"#, options: .regularExpression), "\(d.id): slug '\(d.slug)' is not kebab-case")
            for (name, text) in [("summary", d.summary), ("what", d.what), ("why", d.why), ("example", d.example), ("fix", d.fix)] {
                XCTAssertFalse(text.isEmpty, "\(d.id) has no \(name)")
            }
            XCTAssertFalse(d.triggering.isEmpty, "\(d.id) has no triggering example")
            XCTAssertFalse(d.nonTriggering.isEmpty, "\(d.id) has no non-triggering example")
            XCTAssertEqual(CheckRegistry.description(of: d.id.lowercased())?.slug, d.slug)
            XCTAssertTrue(d.explanation.hasPrefix("\(d.id) \(d.slug) (\(d.severity.rawValue))\n"))
        }
        for check in CheckRegistry.labFileChecks {
            XCTAssertFalse(type(of: check).ids.isEmpty, "\(type(of: check)) describes no id")
        }
    }

    func testTriggeringExamplesReportTheIDExactlyWhereMarkedAndOthersDoNot() throws {
        for d in CheckRegistry.descriptions {
            for (i, example) in d.triggering.enumerated() {
                let found = try run(example).filter { $0.id == d.id }
                XCTAssertFalse(example.expectedStarts.isEmpty, "\(d.id) triggering example \(i + 1) marks no place with ↓")
                let starts = found.map { "\($0.file):\($0.start)" }.sorted()
                let marked = example.expectedStarts.map { "\($0.file):\($0.position)" }.sorted()
                XCTAssertEqual(Set(starts), Set(marked), "\(d.id) triggering example \(i + 1): reported at \(starts), marked at \(marked): \(example.files)")
            }
            for (i, example) in d.nonTriggering.enumerated() {
                let found = try run(example).filter { $0.id == d.id }
                XCTAssertEqual(found.map(\.message), [], "\(d.id) non-triggering example \(i + 1)")
            }
        }
    }

    func testExampleRulesAreValidRules() {
        let rules = ExampleRules.load()
        XCTAssertEqual(rules.diagnostics.map(\.message), [])
        XCTAssertEqual(rules.templates["pipeline.agi_run.single_action"]?.version, 3)
    }

    func testBundledRulesLoadWithoutProblems() {
        XCTAssertEqual(BundledRulesForTests.rules.diagnostics.map(\.message), [])
        XCTAssertNotNil(BundledRulesForTests.rules.conventions)
        XCTAssertFalse(BundledRulesForTests.rules.snippetRecognizers.isEmpty)
    }

    func testTheREADMEsCheckTableIsTheRegistrys() throws {
        let readme = try String(contentsOf: SharedData.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains(CheckRegistry.markdownTable),
                      "README.md's check table differs from the registry; paste `labcheck debug check-table` over it:\n\(CheckRegistry.markdownTable)")
    }
}
