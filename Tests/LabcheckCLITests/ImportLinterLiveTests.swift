import Foundation
import XCTest
import LabcheckTestSupport

/// labcheck and `lint-imports` side by side on the same repositories, configured only through
/// `.importlinter` (issue 12, item 5): import-linter is installed from PyPI into a temporary
/// virtualenv. For every contract both tools must agree whether it is kept or broken, and on
/// the direct illegal imports of forbidden contracts and the dependencies acyclic_siblings
/// nominates. Generated packages with random imports, fixed seeds. Needs the network once
/// (like the pre-commit test); `LABCHECK_SKIP_PRECOMMIT=1` skips both locally, CI never does.
final class ImportLinterLiveTests: XCTestCase {
    func testLabcheckAgreesWithLintImportsOnGeneratedPackages() throws {
        if ProcessInfo.processInfo.environment["LABCHECK_SKIP_PRECOMMIT"] == "1" { throw XCTSkip("LABCHECK_SKIP_PRECOMMIT=1") }
        let machine = ProcessInfo.processInfo.environment
        func run(_ args: [String], in dir: URL) throws -> CommandResult {
            try runProcess("/usr/bin/env", args, in: dir, environment: machine)
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("labcheck-importlinter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let venv = work.appendingPathComponent("venv")
        XCTAssertEqual(try run(["python3", "-m", "venv", venv.path], in: work).status, 0)
        let pip = try run([venv.appendingPathComponent("bin/pip").path, "install", "-q", "import-linter==2.17"], in: work)
        XCTAssertEqual(pip.status, 0, "\(pip)")
        let lintImports = venv.appendingPathComponent("bin/lint-imports").path
        var compared = 0, broken = 0, directSeen = 0, breakersSeen = 0
        for seed in 1...6 {
            let f = try GitFixture()
            try f.commit(Self.package(seed: UInt64(seed)))
            let li = try run([lintImports, "--no-cache", "../.importlinter"], in: f.root.appendingPathComponent("src"))
            let lc = try LabcheckBinary.run(["check", "--all", "--format", "json"], in: f.root, environment: f.environment)
            XCTAssertNotEqual(lc.status, 2, "labcheck read the configuration: \(lc)")
            let theirs = Self.parse(lintImports: li.stdout)
            let ours = try Self.parse(labcheck: lc.stdout)
            XCTAssertFalse(theirs.status.isEmpty, "seed \(seed): lint-imports said which contracts it checked: \(li)")
            XCTAssertEqual(ours.status, theirs.status, "seed \(seed): kept/broken per contract\n\(li.stdout)")
            XCTAssertEqual(ours.direct, theirs.direct, "seed \(seed): direct illegal imports of forbidden contracts")
            XCTAssertEqual(ours.breakers, theirs.breakers, "seed \(seed): acyclic_siblings' nominated dependencies")
            compared += theirs.status.count
            directSeen += theirs.direct.count
            breakersSeen += theirs.breakers.count
            broken += theirs.status.values.filter { $0 == "BROKEN" }.count
        }
        XCTAssertGreaterThan(broken, 6, "the generated packages must break contracts, not only keep them")
        XCTAssertGreaterThan(compared - broken, 3, "and keep some")
        XCTAssertGreaterThan(directSeen, 3, "direct forbidden imports were compared")
        XCTAssertGreaterThan(breakersSeen, 3, "nominated cycle breakers were compared")
    }

    /// A package `app` with children high, mid, low, x, y (each with three modules), random
    /// imports between them, and one contract of each kind in `.importlinter`.
    static func package(seed: UInt64) -> [String: String] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int((state >> 33) % UInt64(n)) }
        let children = ["high", "mid", "low", "x", "y"]
        var files: [String: String] = ["src/app/__init__.py": "", ".labcheck.toml": "[python]\nroots = [\"src\"]\n"]
        for child in children {
            files["src/app/\(child)/__init__.py"] = ""
            for m in 0..<3 {
                var lines: [String] = []
                for _ in 0..<next(3) where next(4) > 0 {
                    lines.append("import app.\(children[next(children.count)]).m\(next(3))")
                }
                files["src/app/\(child)/m\(m).py"] = lines.joined(separator: "\n") + "\n"
            }
        }
        files[".importlinter"] = """
        [importlinter]
        root_package = app

        [importlinter:contract:f]
        name = high off y
        type = forbidden
        source_modules =
            app.high
        forbidden_modules =
            app.y

        [importlinter:contract:l]
        name = layered
        type = layers
        layers =
            app.high
            app.mid : app.x
            app.low

        [importlinter:contract:i]
        name = apart
        type = independence
        modules =
            app.x
            app.y

        [importlinter:contract:p]
        name = low.m0 protected
        type = protected
        protected_modules =
            app.low.m0
        allowed_importers =
            app.mid

        [importlinter:contract:a]
        name = acyclic
        type = acyclic_siblings
        ancestors =
            app

        """
        return files
    }

    struct Findings {
        var status: [String: String] = [:]          // contract -> KEPT / BROKEN
        var direct: Set<String> = []                // "contract: importer -> imported"
        var breakers: Set<String> = []              // "importer -> imported (n)" of acyclic_siblings
    }

    static func parse(lintImports out: String) -> Findings {
        var f = Findings()
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let names = ["high off y", "layered", "apart", "low.m0 protected", "acyclic"]
        var current: String? = nil
        var package = ""
        for (k, line) in lines.enumerated() {
            for name in names where line.hasPrefix(name + " KEPT") || line.hasPrefix(name + " BROKEN") {
                f.status[name] = line.contains(" BROKEN") ? "BROKEN" : "KEPT"
            }
            if names.contains(line), k + 1 < lines.count, lines[k + 1].hasPrefix("---") { current = line }
            if current == "high off y", line.hasPrefix("-   "), let arrow = line.range(of: " -> "), let paren = line.range(of: " (l.") {
                f.direct.insert("\(current ?? ""): \(line.dropFirst(4)[..<arrow.lowerBound]) -> \(line[arrow.upperBound..<paren.lowerBound])")
            }
            if line.hasPrefix("No cycles are allowed in ") { package = String(line.dropFirst("No cycles are allowed in ".count).dropLast()) }
            if current == "acyclic", line.hasPrefix("- ."), let arrow = line.range(of: " -> "), let open = line.range(of: " (") {
                let count = line[open.upperBound...].prefix { $0.isNumber }
                f.breakers.insert("\(package)\(line.dropFirst(2)[..<arrow.lowerBound]) -> \(package)\(line[arrow.upperBound..<open.lowerBound]) (\(count))")
            }
        }
        return f
    }

    static func parse(labcheck out: String) throws -> Findings {
        var f = Findings()
        for name in ["high off y", "layered", "apart", "low.m0 protected", "acyclic"] { f.status[name] = "KEPT" }
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        for d in try XCTUnwrap(doc["diagnostics"] as? [[String: Any]]) {
            guard let finding = d["import"] as? [String: Any], let contract = finding["contract"] as? String else { continue }
            f.status[contract] = "BROKEN"
            let id = d["id"] as? String ?? ""
            if id == "LC300" { f.direct.insert("\(contract): \(finding["importer"] ?? "") -> \(finding["imported"] ?? "")") }
            if id == "LC307" { f.breakers.insert("\(finding["importer"] ?? "") -> \(finding["imported"] ?? "") (\((finding["chain"] as? [Any])?.count ?? 0))") }
        }
        return f
    }
}
