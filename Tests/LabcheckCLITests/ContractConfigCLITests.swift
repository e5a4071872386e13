import Foundation
import XCTest
import LabcheckTestSupport

/// Issue 12: contracts that cannot silently pass, and import-linter's layers semantics. Each
/// test states the import-linter (2.x) behaviour it matches, or why labcheck differs.
final class ContractConfigCLITests: XCTestCase {
    /// Packages app.{core,util}, a.{high,low}, b.{high,low}; app.core.net imports requests.
    private static let tree: [String: String] = [
        "src/app/__init__.py": "", "src/app/core/__init__.py": "", "src/app/util/__init__.py": "",
        "src/app/core/net.py": "import requests\n",
        "src/a/__init__.py": "", "src/a/high/__init__.py": "", "src/a/low/__init__.py": "",
        "src/b/__init__.py": "", "src/b/high/__init__.py": "", "src/b/low/__init__.py": "",
    ]

    private func run(_ config: String, extra: [String: String] = [:], args: [String] = ["check", "--all"]) throws -> CommandResult {
        let f = try GitFixture()
        var files = Self.tree.merging(extra) { $1 }
        files[".labcheck.toml"] = config
        try f.commit(files)
        return try LabcheckBinary.run(args, in: f.root, environment: f.environment)
    }

    private func contract(_ body: String, roots: String = "[\"src\"]") -> String {
        "[python]\nroots = \(roots)\n\n[[contracts]]\nname = \"c\"\n\(body)\n"
    }

    // import-linter: a module expression naming no module fails the run ("Module 'x' does not
    // exist"); labcheck: a configuration error at the expression, with the nearest module.
    func testAMisspeltModuleIsAConfigurationErrorNotAPass() throws {
        let r = try run(contract("type = \"forbidden\"\nsource = [\"app.coer\"]\nforbidden = [\"app.util\"]"))
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stdout.contains(".labcheck.toml:7:11: error[LC001]: contract 'c': source 'app.coer' matches no module"), r.stdout)
        XCTAssertTrue(r.stdout.contains("did you mean 'app.core'?"), r.stdout)
    }

    // import-linter: external packages are graph nodes by their top-level name only
    // ("root level external packages (i.e. django, but not django.db.models)").
    func testAnExternalSubmoduleIsAClearErrorAndTheTopLevelPackageWorks() throws {
        let sub = try run(contract("type = \"forbidden\"\nsource = [\"app\"]\nforbidden = [\"requests.adapters\"]"))
        XCTAssertEqual(sub.status, 2, "\(sub)")
        XCTAssertTrue(sub.stdout.contains("'requests.adapters' is a submodule of the external package 'requests'"), sub.stdout)
        let top = try run(contract("type = \"forbidden\"\nsource = [\"app\"]\nforbidden = [\"requests\"]"))
        XCTAssertEqual(top.status, 1, "\(top)")
        XCTAssertTrue(top.stdout.contains("src/app/core/net.py:1:8: error[LC300]: app.core.net imports requests"), top.stdout)
    }

    // import-linter 2.x: `*` stands for one module name component, `**` for any number.
    func testWildcardsMatchModulesAndAWildcardMatchingNothingIsAnError() throws {
        let wild = try run(contract("type = \"forbidden\"\nsource = [\"app.*\"]\nforbidden = [\"requests\"]"))
        XCTAssertEqual(wild.status, 1, "\(wild)")
        XCTAssertTrue(wild.stdout.contains("app.core is forbidden from importing requests"), wild.stdout)
        let none = try run(contract("type = \"forbidden\"\nsource = [\"app.*.deep\"]\nforbidden = [\"requests\"]"))
        XCTAssertEqual(none.status, 2, "\(none)")
        XCTAssertTrue(none.stdout.contains("source 'app.*.deep' matches no module"), none.stdout)
        let partial = try run(contract("type = \"forbidden\"\nsource = [\"app.co*\"]\nforbidden = [\"requests\"]"))
        XCTAssertEqual(partial.status, 2, "\(partial)")
        XCTAssertTrue(partial.stdout.contains("is not a module expression: a wildcard stands for a whole component"), partial.stdout)
    }

    // import-linter: `a : b` siblings may import each other, `a | b` may not; a layer mixing
    // both is invalid ("Layer cannot have a mixture of independent and non-independent elements").
    func testLayerSiblingsIndependentOrNot() throws {
        let mutual = ["src/app/core/x.py": "from app import util\n", "src/app/util/y.py": "from app.core import x\n"]
        let colon = try run(contract("type = \"layers\"\nlayers = [\"app.core : app.util\"]"), extra: mutual)
        XCTAssertEqual(colon.status, 0, "non-independent siblings may import each other: \(colon)")
        let pipe = try run(contract("type = \"layers\"\nlayers = [\"app.core | app.util\"]"), extra: mutual)
        XCTAssertEqual(pipe.status, 1, "\(pipe)")
        XCTAssertEqual(pipe.stdout.components(separatedBy: "error[LC302]").count - 1, 2, pipe.stdout)
        let mixed = try run(contract("type = \"layers\"\nlayers = [\"app.core | app.util : app\"]"))
        XCTAssertEqual(mixed.status, 2, "\(mixed)")
        XCTAssertTrue(mixed.stdout.contains("mixes independent (`|`) and non-independent (`:`) siblings"), mixed.stdout)
    }

    // import-linter: containers are each checked on their own; a layer is required unless
    // written `(name)` ("Missing layer in container 'a': module a.x does not exist").
    func testContainersAreCheckedOneAtATimeAndOptionalLayersMayBeMissing() throws {
        let config = contract("type = \"layers\"\ncontainers = [\"a\", \"b\"]\nlayers = [\"high\", \"low\", \"(absent)\"]")
        let across = try run(config, extra: ["src/b/high/m.py": "from a.low import x\n"])
        XCTAssertEqual(across.status, 0, "b.high -> a.low crosses containers, not layers: \(across)")
        let within = try run(config, extra: ["src/a/low/m.py": "from a.high import x\n"])
        XCTAssertEqual(within.status, 1, "\(within)")
        XCTAssertTrue(within.stdout.contains("a.low.m imports a.high: a.low is in a lower layer and must not import a.high"), within.stdout)
        let required = try run(contract("type = \"layers\"\ncontainers = [\"a\", \"b\"]\nlayers = [\"high\", \"low\", \"absent\"]"))
        XCTAssertEqual(required.status, 2, "\(required)")
        XCTAssertTrue(required.stdout.contains("layers 'a.absent' matches no module"), required.stdout)
        XCTAssertTrue(required.stdout.contains("written in parentheses"), required.stdout)
    }

    // labcheck only: a root that holds nothing is an error; globs expand to directories;
    // "auto" reads pyproject.toml files.
    func testRootsThatMatchNothingGlobsAndAuto() throws {
        let missing = try run(contract("type = \"forbidden\"\nsource = [\"app\"]\nforbidden = [\"requests\"]", roots: "[\"src\", \"lib\"]"))
        XCTAssertEqual(missing.status, 2, "\(missing)")
        XCTAssertTrue(missing.stdout.contains(".labcheck.toml:2:17: error[LC001]: 'python.roots' entry 'lib' is not a directory of the snapshot"), missing.stdout)
        let pkg = ["pkgs/one/src/one/__init__.py": "", "pkgs/one/src/one/m.py": "import requests\n", "pkgs/one/pyproject.toml": "[project]\nname = 'one'\n"]
        let glob = try run(contract("type = \"forbidden\"\nsource = [\"one\"]\nforbidden = [\"requests\"]", roots: "[\"src\", \"pkgs/*/src\"]"), extra: pkg)
        XCTAssertEqual(glob.status, 1, "\(glob)")
        XCTAssertTrue(glob.stdout.contains("pkgs/one/src/one/m.py:1:8: error[LC300]"), glob.stdout)
        let auto = try run(contract("type = \"forbidden\"\nsource = [\"one\"]\nforbidden = [\"requests\"]", roots: "\"auto\""),
                           extra: pkg, args: ["check", "--all", "-v"])
        XCTAssertEqual(auto.status, 1, "\(auto)")
        XCTAssertTrue(auto.stderr.contains("python roots: auto: 1 from pyproject.toml files: pkgs/one/src"), auto.stderr)
        let nothing = try run(contract("type = \"forbidden\"\nsource = [\"app\"]\nforbidden = [\"requests\"]", roots: "[\"src/*/nowhere\"]"))
        XCTAssertEqual(nothing.status, 2, "\(nothing)")
        XCTAssertTrue(nothing.stdout.contains("matches no directory of the snapshot"), nothing.stdout)
    }

    // import-linter has no path excludes (its graph is the packages); labcheck's roots cover
    // the repository, so `[python] exclude` keeps tests and scripts out of the graph.
    func testExcludeKeepsFilesOutOfTheGraph() throws {
        let extra = ["src/app/tests/__init__.py": "", "src/app/tests/test_x.py": "import requests\n"]
        let config = contract("type = \"forbidden\"\nsource = [\"app.tests\", \"app.core\"]\nforbidden = [\"requests\"]")
        let included = try run(config, extra: extra)
        XCTAssertEqual(included.stdout.components(separatedBy: "error[LC300]").count - 1, 2, included.stdout)
        let excluded = try run(config.replacingOccurrences(of: "roots = [\"src\"]", with: "roots = [\"src\"]\nexclude = [\"src/app/core/net.py\"]"), extra: extra)
        XCTAssertEqual(excluded.stdout.components(separatedBy: "error[LC300]").count - 1, 1, excluded.stdout)
        XCTAssertTrue(excluded.stdout.contains("app.tests.test_x imports requests"), excluded.stdout)
    }

    // import-linter's protected contract: only allowed importers (and the protected package
    // itself) may import the protected modules, direct imports only; as_packages = false
    // protects and allows the named modules alone.
    func testProtectedModulesAndAsPackages() throws {
        let extra = ["src/app/core/db.py": "", "src/app/core/repo.py": "from app.core import db\n",
                     "src/app/util/views.py": "import app.core.db\n", "src/a/high/facade.py": "import app.core.db\n",
                     "src/a/high/chain.py": "import a.high.facade\n"]
        let config = contract("type = \"protected\"\nprotected = [\"app.core\"]\nallowed_importers = [\"a.high\"]")
        let r = try run(config, extra: extra)
        XCTAssertEqual(r.status, 1, "\(r)")
        let found = r.stdout.split(separator: "\n").filter { $0.contains("error[LC306]") }
        XCTAssertEqual(found.count, 1, r.stdout)
        XCTAssertTrue(found.first?.contains("src/app/util/views.py:1:8: error[LC306]: app.util.views imports app.core.db: app.core is protected") ?? false, r.stdout)
        // As modules only: app.core.db is not app.core itself, so nothing imports what is protected.
        let modulesOnly = try run(config + "as_packages = false\n", extra: extra)
        XCTAssertEqual(modulesOnly.status, 0, "\(modulesOnly)")
        let direct = try run(contract("type = \"protected\"\nprotected = [\"app.core.db\"]\nallowed_importers = [\"app.core.repo\"]\nas_packages = false"), extra: extra)
        XCTAssertEqual(direct.stdout.components(separatedBy: "error[LC306]").count - 1, 2, "views and facade: \(direct)")
    }

    // import-linter: unmatched_ignore_imports_alerting = "error" (default), "warn" or "none".
    func testUnmatchedIgnoreAlerting() throws {
        let base = contract("type = \"forbidden\"\nsource = [\"app\"]\nforbidden = [\"requests\"]\nignore = [{ import = \"app.core.net -> requests\", reason = \"r\" }, { import = \"app.gone -> requests\", reason = \"r\" }]")
        XCTAssertEqual(try run(base).status, 2)
        let warn = try run(base + "unmatched_ignore_imports_alerting = \"warn\"\n")
        XCTAssertEqual(warn.status, 0, "\(warn)")
        XCTAssertTrue(warn.stdout.contains("warning[LC001]: ignore 'app.gone -> requests'"), warn.stdout)
        let none = try run(base + "unmatched_ignore_imports_alerting = \"none\"\n")
        XCTAssertEqual(none.status, 0, "\(none)")
        XCTAssertFalse(none.stdout.contains("app.gone"), none.stdout)
    }

    // import-linter's graph has a module for every .py file of a package, names that are not
    // identifiers included (Django migrations); two files claiming one module name are reported.
    func testEveryPythonFileIsAModuleAndDuplicateNamesAreReported() throws {
        let extra = ["src/app/migrations/__init__.py": "", "src/app/migrations/0001_initial.py": "import requests\n",
                     "lib/app/core/net.py": "import os\n"]
        let r = try run(contract("type = \"forbidden\"\nsource = [\"app.migrations\"]\nforbidden = [\"requests\"]", roots: "[\"src\", \"lib\"]"), extra: extra)
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.stdout.contains("src/app/migrations/0001_initial.py:1:8: error[LC300]: app.migrations.0001_initial imports requests"), r.stdout)
        XCTAssertTrue(r.stdout.contains("lib/app/core/net.py:1:1: warning[LC305]: cannot check lib/app/core/net.py: its module name app.core.net is already taken by src/app/core/net.py"), r.stdout)
    }

    // import-linter: exhaustive = true (with containers) breaks the contract for every child of
    // a container that is not a layer or in exhaustive_ignores.
    func testExhaustiveLayers() throws {
        let extra = ["src/a/extra.py": "", "src/b/vendored/__init__.py": "", "src/b/vendored/x.py": ""]
        let config = contract("type = \"layers\"\ncontainers = [\"a\", \"b\"]\nlayers = [\"high\", \"low\"]\nexhaustive = true")
        let r = try run(config, extra: extra)
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.stdout.contains("src/a/extra.py:1:1: error[LC302]: a.extra is not a layer of contract 'c', which is exhaustive"), r.stdout)
        XCTAssertTrue(r.stdout.contains("src/b/vendored/__init__.py:1:1: error[LC302]: b.vendored is not a layer"), r.stdout)
        let ignored = try run(config + "exhaustive_ignores = [\"extra\", \"vendored\"]\n", extra: extra)
        XCTAssertEqual(ignored.status, 0, "\(ignored)")
        let noContainers = try run(contract("type = \"layers\"\nlayers = [\"a\", \"b\"]\nexhaustive = true"))
        XCTAssertEqual(noContainers.status, 2, "\(noContainers)")
        XCTAssertTrue(noContainers.stdout.contains("'exhaustive' needs 'containers'"), noContainers.stdout)
    }

    // Beyond import-linter: `guarded = "ignore"` skips optional imports (inside a `try:` that
    // catches ImportError), as `type_checking = "ignore"` skips TYPE_CHECKING ones.
    func testGuardedImportsCanBeIgnored() throws {
        let extra = ["src/app/util/opt.py": "try:\n    import requests\nexcept ImportError:\n    requests = None\n"]
        let config = contract("type = \"forbidden\"\nsource = [\"app.util\"]\nforbidden = [\"requests\"]")
        let included = try run(config, extra: extra)
        XCTAssertEqual(included.status, 1, "\(included)")
        XCTAssertTrue(included.stdout.contains("an optional import, inside a `try:` that catches ImportError"), included.stdout)
        let ignored = try run(config + "guarded = \"ignore\"\n", extra: extra)
        XCTAssertEqual(ignored.status, 0, "\(ignored)")
    }

    // Issue 12, item 6: import findings carry contract, importer, imported and the chain's
    // links as JSON fields.
    func testImportFindingsCarryTheirFactsInJSON() throws {
        let extra = ["src/a/high/run.py": "import a.mid\n", "src/a/mid.py": "import requests\n"]
        let r = try run(contract("type = \"forbidden\"\nsource = [\"a.high\"]\nforbidden = [\"requests\"]"), extra: extra,
                        args: ["check", "--all", "--format", "json"])
        XCTAssertEqual(r.status, 1, "\(r)")
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let findings = try XCTUnwrap(doc["diagnostics"] as? [[String: Any]]).compactMap { $0["import"] as? [String: Any] }
        XCTAssertEqual(findings.count, 1, r.stdout)
        let f = try XCTUnwrap(findings.first)
        XCTAssertEqual(f["contract"] as? String, "c")
        XCTAssertEqual(f["importer"] as? String, "a.high.run")
        XCTAssertEqual(f["imported"] as? String, "requests")
        let chain = try XCTUnwrap(f["chain"] as? [[String: Any]])
        XCTAssertEqual(chain.map { "\($0["importer"] ?? "") -> \($0["imported"] ?? "") \($0["file"] ?? ""):\($0["line"] ?? "")" },
                       ["a.high.run -> a.mid src/a/high/run.py:1", "a.mid -> requests src/a/mid.py:1"])
    }

    // Issue 12, item 2: Python files that are no module of the graph are counted in the
    // summary (and listed with -v), never dropped without a word.
    func testTheSummaryCountsPythonFilesThatAreNotChecked() throws {
        let extra = ["scripts/run.py": "import requests\n", "src/my-tools/x.py": ""]
        let r = try run(contract("type = \"forbidden\"\nsource = [\"app\"]\nforbidden = [\"requests\"]"), extra: extra, args: ["check", "--all", "-v"])
        XCTAssertTrue(r.stdout.contains("in 10 Python files checked, 2 Python files not checked (outside every root, excluded or a duplicate module; -v lists them)"), r.stdout)
        XCTAssertTrue(r.stderr.contains("python: not checked: scripts/run.py (outside every root"), r.stderr)
        XCTAssertTrue(r.stderr.contains("python: not checked: src/my-tools/x.py"), r.stderr)
    }

    // Issue 12, item 7: `labcheck graph` draws the layers as ranks and violations in red.
    func testGraphDrawsLayersAsRanksAndViolationsInRed() throws {
        let extra = ["src/app/util/u.py": "import app.core\n", "src/app/core/c.py": "import app.util\n", "src/b/high/m.py": "import a.low\n"]
        let config = contract("type = \"layers\"\nlayers = [\"app.core | b\", \"app.util\"]")
        let dot = try run(config, extra: extra, args: ["graph", "--depth", "2"])
        XCTAssertEqual(dot.status, 0, "\(dot)")
        // Parse the DOT: node ids to labels, rank groups, edges with attributes.
        var labels: [String: String] = [:]
        var ranks: [[String]] = []
        var edges: [(String, String, String)] = []
        for line in dot.stdout.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let open = line.range(of: " [label=\""), !line.contains("->") {
                labels[String(line[..<open.lowerBound])] = String(line[open.upperBound...].dropLast(3))
            } else if line.hasPrefix("subgraph layer"), let start = line.range(of: "rank=same; "), let end = line.range(of: "; }") {
                ranks.append(line[start.upperBound..<end.lowerBound].components(separatedBy: "; "))
            } else if line.contains(" -> "), !line.contains("invis") {
                let parts = line.components(separatedBy: " -> ")
                let to = parts[1].components(separatedBy: " ")[0]
                edges.append((parts[0], to, parts[1]))
            }
        }
        XCTAssertEqual(ranks.map { $0.compactMap { labels[$0] }.sorted() }, [["app.core", "b"], ["app.util"]], dot.stdout)
        let red = edges.filter { $0.2.contains("color=red") }.map { "\(labels[$0.0] ?? "?") -> \(labels[$0.1] ?? "?")" }
        XCTAssertEqual(red, ["app.util -> app.core"], dot.stdout)
        XCTAssertTrue(edges.contains { labels[$0.0] == "app.core" && labels[$0.1] == "app.util" && !$0.2.contains("red") }, "a higher layer may import a lower one")
        // Mermaid: the same red edge, by its index among the edges.
        let mermaid = try run(config, extra: extra, args: ["graph", "--format", "mermaid"])
        let lines = mermaid.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "flowchart TB")
        let edgeLines = lines.filter { $0.contains("-->") }
        let styled = try XCTUnwrap(lines.first { $0.contains("linkStyle") })
        let indexes = styled.trimmingCharacters(in: .whitespaces).components(separatedBy: " ")[1].components(separatedBy: ",").compactMap(Int.init)
        XCTAssertEqual(indexes.count, 1, mermaid.stdout)
        let redLine = edgeLines[indexes[0]]
        XCTAssertTrue(redLine.contains("1 violation"), redLine)
        let nodeLabel = Dictionary(uniqueKeysWithValues: lines.compactMap { line -> (String, String)? in
            let t = line.trimmingCharacters(in: .whitespaces)
            guard !t.contains("-->"), let open = t.range(of: "[\""), t.hasSuffix("\"]"), !t.hasPrefix("subgraph") else { return nil }
            return (String(t[..<open.lowerBound]), String(t[open.upperBound...].dropLast(2)))
        })
        let ends = redLine.trimmingCharacters(in: .whitespaces).components(separatedBy: " ")
        XCTAssertEqual(nodeLabel[ends[0]], "app.util", mermaid.stdout)
        XCTAssertEqual(nodeLabel[ends.last ?? ""], "app.core", mermaid.stdout)
        // svg needs Graphviz: an SVG when `dot` is installed, a clear error when not.
        let svg = try run(config, extra: extra, args: ["graph", "--format", "svg"])
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/dot") {
            XCTAssertEqual(svg.status, 0, "\(svg)")
            XCTAssertTrue(svg.stdout.contains("<svg"), svg.stdout)
        } else {
            XCTAssertEqual(svg.status, 2, "\(svg)")
            XCTAssertTrue(svg.stderr.contains("needs Graphviz's `dot`, which is not installed"), svg.stderr)
        }
        let unknown = try run(config, extra: extra, args: ["graph", "--contract", "cc"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("no contract named 'cc'; did you mean 'c'?"), unknown.stderr)
    }

    // import-linter's acyclic_siblings: the dependencies grimp nominates to break the cycles
    // among a package's children, for the ancestors and their descendants down to `depth`, not
    // into `skip_descendants`. lint-imports 2.17 on this tree: "No cycles are allowed in app.
    // It could be made acyclic by removing 1 dependency: .core -> .util (1 import)" (the lighter
    // side of the cycle) and "No cycles are allowed in app.core. ... .y -> .x (1 import)". (labcheck's nominations were
    // also compared with grimp's nominate_cycle_breakers on 12 generated packages: identical.)
    func testAcyclicSiblingsNominatesTheDependenciesGrimpDoes() throws {
        let extra = ["src/app/core/x.py": "import app.util.v\nimport app.core.y\n", "src/app/core/y.py": "import app.core.x\n",
                     "src/app/util/v.py": "import app.core.x\nimport app.core.y\n"]
        let config = contract("type = \"acyclic_siblings\"\nancestors = [\"app\"]")
        let r = try run(config, extra: extra, args: ["check", "--all", "--format", "json"])
        XCTAssertEqual(r.status, 1, "\(r)")
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let found = try XCTUnwrap(doc["diagnostics"] as? [[String: Any]]).filter { $0["id"] as? String == "LC307" }.compactMap { d -> String? in
            guard let f = d["import"] as? [String: Any], let chain = f["chain"] as? [Any] else { return nil }
            return "\(f["importer"] ?? "") -> \(f["imported"] ?? "") (\(chain.count))"
        }
        XCTAssertEqual(found.sorted(), ["app.core -> app.util (1)", "app.core.y -> app.core.x (1)"], r.stdout)
        let shallow = try run(config + "depth = 0\n", extra: extra)
        XCTAssertEqual(shallow.stdout.components(separatedBy: "error[LC307]").count - 1, 1, "depth 0: app's children only: \(shallow)")
        let skipped = try run(config + "skip_descendants = [\"app.core\"]\n", extra: extra)
        XCTAssertEqual(skipped.stdout.components(separatedBy: "error[LC307]").count - 1, 1, "\(skipped)")
        let both = try run(config + "skip_descendants = [\"app\"]\n", extra: extra)
        XCTAssertEqual(both.status, 2, "\(both)")
        XCTAssertTrue(both.stdout.contains("cannot skip 'app': it is also an ancestor"), both.stdout)
    }

    // import-linter: ignore_imports accept `*` (one component) and `**` (any number) on either
    // side; an ignore that matches some import is used, one that matches none is an error.
    func testWildcardIgnores() throws {
        let extra = ["src/app/core/deep/__init__.py": "", "src/app/core/deep/net2.py": "import requests\n"]
        let base = "type = \"forbidden\"\nsource = [\"app\"]\nforbidden = [\"requests\"]\n"
        let one = try run(contract(base + "ignore = [{ import = \"app.core.* -> requests\", reason = \"r\" }]"), extra: extra)
        XCTAssertEqual(one.stdout.components(separatedBy: "error[LC300]").count - 1, 1, "`*` is one component: deep.net2 stays: \(one)")
        XCTAssertTrue(one.stdout.contains("app.core.deep.net2 imports requests"), one.stdout)
        let any = try run(contract(base + "ignore = [{ import = \"app.** -> requests\", reason = \"r\" }]"), extra: extra)
        XCTAssertEqual(any.status, 0, "`**` covers both: \(any)")
        let none = try run(contract(base + "ignore = [{ import = \"app.*.gone -> requests\", reason = \"r\" }]"), extra: extra)
        XCTAssertEqual(none.status, 2, "\(none)")
        XCTAssertTrue(none.stdout.contains("ignore 'app.*.gone -> requests' of contract 'c' matches no import"), none.stdout)
    }

    // import-linter's forbidden as_packages = False: source and forbidden modules stand for
    // themselves, not their descendants.
    func testForbiddenAsPackagesFalse() throws {
        let extra = ["src/app/core/__init__.py": "import requests\n"]
        let config = contract("type = \"forbidden\"\nsource = [\"app.core\"]\nforbidden = [\"requests\"]")
        let packages = try run(config, extra: extra)
        XCTAssertEqual(packages.stdout.components(separatedBy: "error[LC300]").count - 1, 2, "app.core and app.core.net: \(packages)")
        let modules = try run(config + "as_packages = false\n", extra: extra)
        XCTAssertEqual(modules.stdout.components(separatedBy: "error[LC300]").count - 1, 1, "app.core itself only: \(modules)")
        XCTAssertTrue(modules.stdout.contains("src/app/core/__init__.py:1:8: error[LC300]"), modules.stdout)
    }
}
