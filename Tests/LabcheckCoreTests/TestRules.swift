import XCTest
@testable import LabcheckCore

/// The rules Core tests run with: the examples' own small rules (`ExampleRules`), never the
/// bundled `rules/`, so a bump of a bundled template breaks no Core test. (Tests that check the
/// bundled data itself say so and use `BundledRulesForTests`.)
enum TestRules {
    static let example = ExampleRules.load()

    /// The example rules' stage conventions.
    static var conventions: StageConventions {
        guard let c = example.conventions else { preconditionFailure("ExampleRules has a conventions file") }
        return c
    }

    /// The configuration of an in-memory snapshot with these rules as the bundled ones.
    static func configuration(_ snapshot: InMemorySnapshot, rules: RuleSet = example) throws -> RepositoryConfiguration {
        try RepositoryConfiguration.load(snapshot, bundled: rules)
    }

    /// A whole run over in-memory files, every file in scope.
    static func lint(_ files: [String: String], base: [String: String] = [:], strict: Bool = false, rules: RuleSet = example) throws -> LintResult {
        let snapshot = InMemorySnapshot(files: files)
        var request = LintRequest(snapshot: snapshot, scope: .all, configuration: try configuration(snapshot, rules: rules), strictFlag: strict)
        request.base = base.isEmpty ? nil : InMemorySnapshot(label: "base", files: base)
        return try Linter.run(request)
    }

    /// Every lab-file check over one parsed file.
    static func check(_ file: LabFile, rules: RuleSet = example, strict: Bool) -> [Diagnostic] {
        let context = CheckContext(rules: rules, strict: strict, conventions: rules.conventions ?? conventions, base: nil)
        return CheckRegistry.labFileChecks.flatMap { $0.check(file, context: context) }
    }

    /// Reads a lab file with the example conventions.
    static func read(_ path: String, _ text: String) throws -> LabFile {
        try LabFileReader.read(path: path, bytes: Array(text.utf8), conventions: conventions).get()
    }
}
