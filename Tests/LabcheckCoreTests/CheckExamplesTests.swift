import XCTest
@testable import LabcheckCore

/// Every check's documented examples are its tests: triggering examples must produce the id,
/// non-triggering ones must not. The catalogue, the registry and the docs must agree.
final class CheckExamplesTests: XCTestCase {
    private func ids(_ example: CheckExample) throws -> [Diagnostic] {
        let snapshot = InMemorySnapshot(files: example.files)
        let base = example.base.isEmpty ? nil : InMemorySnapshot(label: "base", files: example.base)
        let result = try Linter.run(LintRequest(snapshot: snapshot, base: base, touched: nil,
                                                bundledRules: BundledRulesForTests.rules, strictFlag: example.strict))
        return result.diagnostics
    }

    func testEveryCatalogueIdHasDocumentationAndNoIdIsDocumentedTwice() {
        let documented = CheckDocs.all.map(\.id)
        XCTAssertEqual(Set(documented).count, documented.count, "an id is documented twice")
        for info in Catalogue.all {
            let doc = CheckDocs.documentation(info.id)
            XCTAssertNotNil(doc, "\(info.id) has no documentation")
            XCTAssertFalse(doc?.what.isEmpty ?? true)
            XCTAssertFalse(doc?.why.isEmpty ?? true)
            XCTAssertFalse(doc?.fix.isEmpty ?? true)
            XCTAssertNotNil(CheckDocs.explain(info.id))
        }
        XCTAssertEqual(Set(documented), Set(Catalogue.all.map(\.id)), "documentation for an id not in the catalogue")
    }

    func testEveryRegisteredCheckIdIsDocumentedAsImplemented() {
        for check in LabChecks.all {
            for id in type(of: check).ids {
                XCTAssertEqual(CheckDocs.documentation(id)?.implemented, true, "\(id) is registered but not documented as implemented")
            }
        }
    }

    func testImplementedChecksHaveTriggeringAndNonTriggeringExamplesThatHold() throws {
        for doc in CheckDocs.all where doc.implemented {
            XCTAssertFalse(doc.triggering.isEmpty, "\(doc.id) has no triggering example")
            XCTAssertFalse(doc.nonTriggering.isEmpty, "\(doc.id) has no non-triggering example")
            for (i, example) in doc.triggering.enumerated() {
                let found = try ids(example)
                XCTAssertTrue(found.contains { $0.id == doc.id }, "\(doc.id) triggering example \(i + 1) produced \(found.map(\.id)): \(example.files)")
            }
            for (i, example) in doc.nonTriggering.enumerated() {
                let found = try ids(example)
                XCTAssertFalse(found.contains { $0.id == doc.id }, "\(doc.id) non-triggering example \(i + 1) produced \(found.filter { $0.id == doc.id }.map(\.message))")
            }
        }
    }

    func testBundledRulesLoadWithoutProblems() {
        XCTAssertEqual(BundledRulesForTests.rules.diagnostics.map(\.message), [])
        XCTAssertEqual(BundledRulesForTests.rules.templates["pipeline.agi_run.single_action"]?.version, 3)
        XCTAssertEqual(BundledRulesForTests.rules.templates["pipeline.agi_install.app"]?.version, 2)
        for id in ["generic.configure", "generic.execute", "generic.export_evidence", "pipeline.agi_distribute.check"] {
            XCTAssertEqual(BundledRulesForTests.rules.templates[id]?.version, 1, id)
        }
    }
}
