import Foundation
import XCTest
import LabcheckTestSupport

/// Issue 12, item 5: import-linter's own configuration, read as it is.
final class ImportLinterConfigTests: XCTestCase {
    private static let tree: [String: String] = [
        ".labcheck.toml": "[python]\nroots = [\"src\"]\n",
        "src/app/__init__.py": "", "src/app/core/__init__.py": "", "src/app/util/__init__.py": "", "src/app/db/__init__.py": "",
        "src/app/core/net.py": "import requests\n", "src/app/core/x.py": "from app import util\n", "src/app/util/v.py": "import app.db\n",
    ]

    static let importlinter = """
    [importlinter]
    root_package = app
    include_external_packages = True

    [importlinter:contract:one]
    name = core off util
    type = forbidden
    source_modules =
        app.core
    forbidden_modules =
        app.util
        requests
    ignore_imports =
        app.core.net -> requests

    [importlinter:contract:two]
    name = layered
    type = layers
    layers=
        app.core
        app.util
        app.db

    """

    private func run(_ extra: [String: String], args: [String] = ["check", "--all"]) throws -> CommandResult {
        let f = try GitFixture()
        try f.commit(Self.tree.merging(extra) { $1 })
        return try LabcheckBinary.run(args, in: f.root, environment: f.environment)
    }

    private func headers(_ out: String) -> [String] {
        out.split(separator: "\n").map(String.init).filter { $0.contains(": error[") || $0.contains(": warning[") }
    }

    // The findings lint-imports 2.17 gives on this project (`lint-imports --config .importlinter`
    // run from src/: "core off util" broken by app.core.x -> app.util (l.1), "layered" kept).
    func testAnImportlinterFileGivesImportLintersFindings() throws {
        let r = try run([".importlinter": Self.importlinter], args: ["check", "--all", "-v"])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertEqual(headers(r.stdout), ["src/app/core/x.py:1:6: error[LC300]: app.core.x imports app.util: app.core is forbidden from importing app.util (contract 'core off util')"])
        XCTAssertTrue(r.stderr.contains("import-linter: 2 contract(s) from .importlinter"), r.stderr)
    }

    func testSetupCfgComesFirstAndPyprojectIsRead() throws {
        let setup = Self.importlinter.replacingOccurrences(of: "core off util", with: "from setup.cfg")
        let both = try run([".importlinter": Self.importlinter, "setup.cfg": "[metadata]\nname = x\n\n" + setup])
        XCTAssertTrue(both.stdout.contains("(contract 'from setup.cfg')"), both.stdout)
        let pyproject = """
        [tool.importlinter]
        root_package = "app"

        [[tool.importlinter.contracts]]
        name = "toml contract"
        type = "forbidden"
        source_modules = ["app.core"]
        forbidden_modules = ["app.util"]

        """
        let toml = try run(["pyproject.toml": pyproject])
        XCTAssertEqual(toml.status, 1, "\(toml)")
        XCTAssertTrue(toml.stdout.contains("(contract 'toml contract')"), toml.stdout)
        // `import_linter = false` in .labcheck.toml turns the reading off.
        let off = try run(["pyproject.toml": pyproject, ".labcheck.toml": "import_linter = false\n[python]\nroots = [\"src\"]\n"])
        XCTAssertEqual(off.status, 0, "\(off)")
    }

    func testProblemsPointIntoTheImportLinterFile() throws {
        let typo = Self.importlinter.replacingOccurrences(of: "source_modules =\n    app.core", with: "source_modules =\n    app.coer")
        let r = try run([".importlinter": typo])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stdout.contains(".importlinter:9:5: error[LC001]: contract 'core off util': source 'app.coer' matches no module"), r.stdout)
        XCTAssertTrue(r.stdout.contains("did you mean 'app.core'?"), r.stdout)
        let unknown = try run([".importlinter": Self.importlinter + "[importlinter:contract:three]\nname = odd\ntype = forbidden\nsource_modules = app\nforbidden_modules = requests\nsource_modulez = app\n"])
        XCTAssertEqual(unknown.status, 2, "\(unknown)")
        XCTAssertTrue(unknown.stdout.contains("option 'source_modulez' is not one labcheck reads"), unknown.stdout)
        XCTAssertTrue(unknown.stdout.contains("did you mean 'source_modules'?"), unknown.stdout)
    }

    // import-linter's exclude_type_checking_imports = True leaves TYPE_CHECKING imports out.
    func testExcludeTypeCheckingImports() throws {
        let typing = ["src/app/core/x.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app import util\n"]
        let counted = try run([".importlinter": Self.importlinter].merging(typing) { $1 })
        XCTAssertEqual(counted.status, 1, "\(counted)")
        let config = Self.importlinter.replacingOccurrences(of: "include_external_packages = True", with: "include_external_packages = True\nexclude_type_checking_imports = True")
        let excluded = try run([".importlinter": config].merging(typing) { $1 })
        XCTAssertEqual(excluded.status, 0, "\(excluded)")
    }

    // A change to import-linter's file is a configuration change: the staged run checks
    // everything, as for .labcheck.toml.
    func testAChangeToTheImportLinterFileWidensTheStagedScope() throws {
        let f = try GitFixture()
        try f.commit(Self.tree.merging([".importlinter": Self.importlinter.replacingOccurrences(of: "    app.util\n    requests\n", with: "    requests\n")]) { $1 })
        XCTAssertEqual(try LabcheckBinary.run(["check"], in: f.root, environment: f.environment).status, 0)
        try f.write(".importlinter", Self.importlinter)
        try f.git("add", ".importlinter")
        let r = try LabcheckBinary.run(["check", "-v"], in: f.root, environment: f.environment)
        XCTAssertEqual(r.status, 1, "the untouched app/core/x.py now breaks the edited contract: \(r)")
        XCTAssertTrue(r.stdout.contains("src/app/core/x.py:1:6: error[LC300]"), r.stdout)
    }

    // Never a silent pass: a named file without an import-linter section, and a pyproject.toml
    // that mentions import-linter but does not parse, are configuration errors, not "no contracts".
    func testUnreadableImportLinterConfigurationIsAnError() throws {
        let named = try run(["lint.ini": "[other]\nx = 1\n", ".labcheck.toml": "import_linter = \"lint.ini\"\n[python]\nroots = [\"src\"]\n"])
        XCTAssertEqual(named.status, 2, "\(named)")
        XCTAssertTrue(named.stdout.contains("lint.ini has no import-linter section"), named.stdout)
        let broken = try run(["pyproject.toml": "[tool.importlinter]\nroot_package = \"app\n"])
        XCTAssertEqual(broken.status, 2, "\(broken)")
        XCTAssertTrue(broken.stdout.contains("pyproject.toml:2:"), broken.stdout)
        XCTAssertTrue(broken.stdout.contains("so its import-linter contracts cannot be read"), broken.stdout)
        let unrelated = try run(["pyproject.toml": "[project\nname = 'x'\n"])
        XCTAssertEqual(unrelated.status, 0, "a broken pyproject without import-linter is not labcheck's: \(unrelated)")
    }
}
