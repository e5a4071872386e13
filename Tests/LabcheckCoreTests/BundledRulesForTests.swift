import Foundation
import LabcheckTestSupport
import LabcheckCore

/// The bundled `rules/` of this repository, for the few tests of the bundled data itself (that
/// it loads, that real AGILab labs pass it). Other tests use `TestRules`.
enum BundledRulesForTests {
    static let directory = SharedData.packageRoot.appendingPathComponent("rules")

    static let rules: RuleSet = {
        var rules = RuleSet()
        let origin = RuleOrigin(kind: "bundled", directory: directory.path)
        for category in ["templates", "apps", "schemas", "contracts", "conventions", "snippets"] {
            let folder = directory.appendingPathComponent(category)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".toml") }.sorted()
            for name in names {
                let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) ?? Data()
                rules.load(path: "rules/\(category)/\(name)", bytes: [UInt8](data), origin: origin)
            }
        }
        return rules
    }()
}
