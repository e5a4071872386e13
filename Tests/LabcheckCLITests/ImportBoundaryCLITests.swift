import Foundation
import XCTest
import LabcheckCore
import LabcheckTestSupport

/// Issue 4 end to end: the seed case (pipelinekit must not import image_project; image_project
/// layers) on a real repository, through the built binary and real commits.
final class ImportBoundaryCLITests: XCTestCase {
    static let seed: [String: String] = [
        ".labcheck.toml": """
        contract_presets = ["pipelinekit-kernel"]

        [python]
        roots = ["src", "."]

        [[contracts]]
        name = "stage code stays off impl"
        type = "forbidden"
        source = ["__lab__"]
        forbidden = ["image_project.impl"]

        """,
        "src/pipelinekit/__init__.py": "",
        "src/pipelinekit/direct.py": "import os\nimport image_project.impl.engine as engine\n",
        "src/pipelinekit/chain.py": "from pipelinekit_ext import bridge\n",
        "src/pipelinekit_ext/bridge.py": "import image_project.framework.core\n",
        "src/pipelinekit/typing_only.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from image_project.stages import Stage\n",
        "src/pipelinekit/lazy.py": "def load():\n    import image_project.foundation.db\n    return 1\n",
        "src/pipelinekit/plugins.py": "import importlib\nmod = importlib.import_module(\"image_project.impl.plugins\")\n",
        "src/image_project/__init__.py": "",
        "src/image_project/impl/__init__.py": "",
        "src/image_project/impl/engine.py": "from image_project.framework import core\n",
        "src/image_project/impl/plugins.py": "",
        "src/image_project/stages/__init__.py": "class Stage: pass\n",
        "src/image_project/framework/__init__.py": "",
        "src/image_project/framework/core.py": "",
        "src/image_project/foundation/__init__.py": "",
        "src/image_project/foundation/db.py": "from image_project.framework import core\n",
        "labs/lab_stages.toml": "[[flow]]\nid = \"run\"\nC = \"import json\\nimport image_project.impl.engine\\n\"\n",
    ]

    private func labcheck(_ f: GitFixture, _ args: [String]) throws -> CommandResult {
        try LabcheckBinary.run(args, in: f.root, environment: f.environment)
    }

    private func headers(_ out: String) -> [String] {
        out.split(separator: "\n").filter { $0.contains(": error[") || $0.contains(": warning[") }.map {
            let s = String($0)
            return String(s[..<s.range(of: "]: ")!.upperBound].dropLast(2))
        }
    }

    func testSeedCaseGivesExactlyTheExpectedDiagnostics() throws {
        let f = try GitFixture()
        try f.commit(Self.seed)
        let r = try labcheck(f, ["check", "--all", "--no-cache"])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertEqual(headers(r.stdout), [
            "labs/lab_stages.toml:3:26: error[LC300]",                 // stage code, mapped through the \n escape
            "src/image_project/foundation/db.py:1:6: error[LC302]",    // foundation -> framework
            "src/pipelinekit/chain.py:1:6: error[LC301]",              // through the namespace package
            "src/pipelinekit/direct.py:2:8: error[LC300]",
            "src/pipelinekit/lazy.py:2:12: error[LC300]",              // function-level
            "src/pipelinekit/plugins.py:2:32: error[LC300]",           // dynamic
            "src/pipelinekit/typing_only.py:3:10: error[LC300]",       // TYPE_CHECKING
        ], r.stdout)
        XCTAssertTrue(r.stdout.contains("= note: src/pipelinekit/chain.py:1: pipelinekit.chain -> pipelinekit_ext.bridge"), r.stdout)
        XCTAssertTrue(r.stdout.contains("= note: src/pipelinekit_ext/bridge.py:1: pipelinekit_ext.bridge -> image_project.framework.core"), r.stdout)
        XCTAssertTrue(r.stdout.contains("pipelinekit.typing_only imports image_project.stages"), r.stdout)
        XCTAssertTrue(r.stdout.contains("inside `if TYPE_CHECKING:`"), r.stdout)
        XCTAssertTrue(r.stdout.contains("a dynamic import"), r.stdout)
        XCTAssertTrue(r.stdout.contains("__lab__.flow.run imports image_project.impl.engine"), r.stdout)
        // The source line with a caret under the module as written, in .py files and inside a
        // lab file's escaped stage code alike.
        XCTAssertTrue(r.stdout.contains("2 | import image_project.impl.engine as engine\n  |        ^^^^^^^^^^^^^^^^^^^^^^^^^\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("3 | C = \"import json\\nimport image_project.impl.engine\\n\"\n  |                          ^^^^^^^^^^^^^^^^^^^^^^^^^\n"), r.stdout)
        // Deterministic: the same input gives byte-identical output.
        XCTAssertEqual(try labcheck(f, ["check", "--all", "--no-cache"]).stdout, r.stdout)
    }

    func testOneStatementNamingOneModuleTwiceIsReportedOnce() throws {
        // `from m import a, b` is one import of m (one report); `from pkg import m1, m2` of two
        // submodules is two imports (two reports, same place, different modules).
        let f = try GitFixture()
        var files = Self.seed
        files["src/pipelinekit/names.py"] = "from image_project.impl.engine import a, b, c\nfrom image_project.impl import engine, plugins\n"
        try f.commit(files)
        let r = try labcheck(f, ["check", "--all", "--no-cache"])
        let names = r.stdout.split(separator: "\n").filter { $0.hasPrefix("src/pipelinekit/names.py:") }
        XCTAssertEqual(names.map { String($0.prefix(while: { $0 != " " })) }, [
            "src/pipelinekit/names.py:1:6:", "src/pipelinekit/names.py:2:6:", "src/pipelinekit/names.py:2:6:",
        ], r.stdout)
        XCTAssertTrue(names[0].contains("imports image_project.impl.engine"), r.stdout)
        XCTAssertEqual(Set(names[1...].map { $0.contains("imports image_project.impl.engine") ? "engine" : ($0.contains("imports image_project.impl.plugins") ? "plugins" : "?") }),
                       ["engine", "plugins"], r.stdout)
    }

    func testContractOptionsAndIgnores() throws {
        let f = try GitFixture()
        var files = Self.seed
        files[".labcheck.toml"] = """
        [python]
        roots = ["src"]

        [[contracts]]
        name = "kernel"
        type = "forbidden"
        source = ["pipelinekit"]
        forbidden = ["image_project"]
        type_checking = "ignore"
        dynamic = "ignore"
        allow_indirect = true
        ignore = [{ import = "pipelinekit.direct -> image_project.impl.engine", reason = "removed in 2.0" }]

        """
        try f.commit(files)
        let r = try labcheck(f, ["check", "--all"])
        XCTAssertEqual(headers(r.stdout), ["src/pipelinekit/lazy.py:2:12: error[LC300]"], r.stdout)
        // An ignore that matches nothing is a configuration error.
        try f.write("src/pipelinekit/direct.py", "import os\n")
        try f.git("add", ".")
        let rotten = try labcheck(f, ["check", "--all"])
        XCTAssertEqual(rotten.status, 2, "\(rotten)")
        XCTAssertTrue(rotten.stdout.contains(".labcheck.toml:12:11: error[LC001]: ignore 'pipelinekit.direct -> image_project.impl.engine' of contract 'kernel' matches no import"), rotten.stdout)
        // An ignore without a reason is refused.
        try f.write(".labcheck.toml", "[[contracts]]\nname = 'k'\ntype = 'forbidden'\nsource = ['a']\nforbidden = ['b']\nignore = [{ import = 'a -> b' }]\n")
        try f.git("add", ".")
        let noReason = try labcheck(f, ["check"])
        XCTAssertEqual(noReason.status, 2)
        XCTAssertTrue(noReason.stdout.contains("needs a 'reason'"), noReason.stdout)
    }

    func testStagedModeReportsTouchedFilesAndChainsThroughThem() throws {
        let f = try GitFixture()
        try f.commit(Self.seed)
        // Touch only the bridge without changing what it imports: the chain through it was at the
        // diff base already, and lies in an untouched file, so it does not block this commit.
        try f.write("src/pipelinekit_ext/bridge.py", "import image_project.framework.core  # touched\n")
        try f.git("add", ".")
        let same = try labcheck(f, ["check"])
        XCTAssertEqual(same.status, 0, "\(same)")
        XCTAssertEqual(headers(same.stdout), [], same.stdout)
        // Make the bridge reach another forbidden module: a new chain from the untouched
        // chain.py, absent at the diff base, is reported; the untouched direct ones are not.
        try f.write("src/pipelinekit_ext/bridge.py", "import image_project.stages\n")
        try f.git("add", ".")
        let r = try labcheck(f, ["check"])
        XCTAssertEqual(headers(r.stdout), ["src/pipelinekit/chain.py:1:6: error[LC301]"], r.stdout)
        XCTAssertTrue(r.stdout.contains("pipelinekit.chain imports image_project.stages through a chain of 2 imports"), r.stdout)
        // Through a real commit with the hook installed.
        XCTAssertEqual(try labcheck(f, ["install-hook"]).status, 0)
        let blocked = try f.git("commit", "-q", "-m", "touch bridge", allowFailure: true)
        XCTAssertNotEqual(blocked.status, 0, "\(blocked)")
        try f.write("src/pipelinekit_ext/bridge.py", "x = 1\n")
        try f.git("add", ".")
        XCTAssertEqual(try f.git("commit", "-q", "-m", "cut the chain", allowFailure: true).status, 0)
    }

    func testScanCacheIsWrittenAtomicallyReusedAndACorruptOneIsIgnored() throws {
        let f = try GitFixture()
        try f.commit(Self.seed)
        let first = try LabcheckBinary.run(["check", "--all", "-v"], in: f.root, environment: f.environment)
        // Eight of the files are empty: one blob id, scanned once, so seven hits even on a cold run.
        XCTAssertTrue(first.stderr.contains("python: 0 of 16 file(s) from the scan cache, 7 identical to another file and scanned once"), first.stderr)
        let cachePath = f.root.appendingPathComponent(".git/labcheck/import-scan-cache-v1").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: cachePath))
        // Without the run records and memos (which would answer at once), the findings come from
        // the scan cache.
        try f.forgetRunResults()
        let second = try LabcheckBinary.run(["check", "--all", "-v"], in: f.root, environment: f.environment)
        XCTAssertTrue(second.stderr.contains("python: 16 of 16 file(s) from the scan cache"), second.stderr)
        XCTAssertEqual(second.stdout, first.stdout)
        // A corrupt cache (one bit flipped) is ignored, not trusted.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: cachePath)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: cachePath))
        try f.forgetRunResults()
        let third = try LabcheckBinary.run(["check", "--all", "-v"], in: f.root, environment: f.environment)
        XCTAssertTrue(third.stderr.contains("is not a valid labcheck cache; ignored"), third.stderr)
        XCTAssertEqual(third.stdout, first.stdout)
        // --no-cache neither reads nor writes it.
        try FileManager.default.removeItem(atPath: cachePath)
        _ = try LabcheckBinary.run(["check", "--all", "--no-cache"], in: f.root, environment: f.environment)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cachePath))
        // No temporary files are left behind, and no scan cache.
        let cache = f.root.appendingPathComponent(".git/labcheck")
        let left = try FileManager.default.subpathsOfDirectory(atPath: cache.path)
        XCTAssertFalse(left.contains("import-scan-cache-v1"), "\(left)")
        XCTAssertEqual(left.filter { ($0 as NSString).lastPathComponent.hasPrefix(".") }, [])
    }

    func testVerboseShowsWhichRootEachModuleCameFrom() throws {
        let f = try GitFixture()
        var files = Self.seed
        files["tools/helper.py"] = "import pipelinekit\n"
        try f.commit(files)
        let r = try LabcheckBinary.run(["check", "--all", "-v"], in: f.root, environment: f.environment)
        XCTAssertTrue(r.stderr.contains("python: module pipelinekit_ext.bridge from root src (src/pipelinekit_ext/bridge.py)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("python: module tools.helper from root . (tools/helper.py)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("python roots: src, ."), r.stderr)
    }
}
