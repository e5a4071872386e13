import Foundation
import XCTest
import LabcheckTestSupport

/// Suppressions with reasons (DESIGN §10) end to end: on a Python import line, in stage code,
/// without a reason, unused; carried in JSON and SARIF.
final class SuppressionCLITests: XCTestCase {
    private func labcheck(_ f: GitFixture, _ args: [String]) throws -> CommandResult {
        try LabcheckBinary.run(args, in: f.root, environment: f.environment)
    }

    private func repository(run: String, lab: String = "[[m]]\nid = 'a'\nC = 'x = 1'\n") throws -> GitFixture {
        let f = try GitFixture()
        try f.commit([".labcheck.toml": "[[contracts]]\nname = 'kit stays generic'\ntype = 'forbidden'\nsource = ['kit']\nforbidden = ['app']\n",
                      "kit/__init__.py": "", "app/__init__.py": "", "app/impl.py": "", "kit/run.py": run, "lab_stages.toml": lab])
        return f
    }

    func testASuppressionWithAReasonHidesTheFindingAndIsCarriedInJSONAndSARIF() throws {
        let f = try repository(run: "import app.impl  # labcheck: ignore[LC300] removed in 2.0\n")
        let text = try labcheck(f, ["check", "--all", "-v"])
        XCTAssertEqual(text.status, 0, "\(text)")
        XCTAssertFalse(text.stdout.contains("LC300"), text.stdout)
        XCTAssertTrue(text.stderr.contains("suppressed: kit/run.py:1:8: LC300 (removed in 2.0)"), text.stderr)
        let json = try labcheck(f, ["check", "--all", "--format", "json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let suppressed = try XCTUnwrap(object["suppressed"] as? [[String: Any]])
        XCTAssertEqual(suppressed.first?["id"] as? String, "LC300")
        XCTAssertEqual(suppressed.first?["reason"] as? String, "removed in 2.0")
        // A warm run (every file from the scan cache) knows the same suppressions. Without the
        // run records and memos, it recomputes the findings from the scan cache.
        try f.forgetRunResults()
        let warm = try labcheck(f, ["check", "--all", "--format", "json", "-v"])
        XCTAssertTrue(warm.stderr.contains("from the scan cache"), warm.stderr)
        XCTAssertFalse(warm.stderr.contains(" 0 of "), "the second run must be warm: \(warm.stderr)")
        XCTAssertEqual(warm.stdout, json.stdout)
        let sarif = try labcheck(f, ["check", "--all", "--format", "sarif"])
        XCTAssertTrue(sarif.stdout.contains("\"suppressions\": [{\"kind\": \"inSource\", \"justification\": \"removed in 2.0\"}]"), sarif.stdout)
    }

    func testNoReasonOrNothingToSuppressIsLC003AndAnErrorInStrictMode() throws {
        let f = try repository(run: "import app.impl  # labcheck: ignore[LC300]\nimport kit  # labcheck: ignore[LC300] old\n")
        let r = try labcheck(f, ["check", "--all"])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.stdout.contains("kit/run.py:1:8: error[LC300]"), "a reason-less suppression hides nothing: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("kit/run.py:1:18: warning[LC003]: suppression of LC300 has no reason, so it suppresses nothing"), r.stdout)
        XCTAssertTrue(r.stdout.contains("kit/run.py:2:13: warning[LC003]: suppression of LC300 suppresses nothing on this line"), r.stdout)
        let strict = try labcheck(f, ["check", "--all", "--strict"])
        XCTAssertTrue(strict.stdout.contains("error[LC003]"), strict.stdout)
    }

    func testAnIgnoreThatMatchesNothingSuggestsTheNearestImport() throws {
        let f = try repository(run: "import app.impl\n")
        try f.write(".labcheck.toml", "[[contracts]]\nname = 'k'\ntype = 'forbidden'\nsource = ['kit']\nforbidden = ['app']\n"
                    + "ignore = [{ import = 'kit.run -> app.impls', reason = 'legacy' }]\n")
        try f.git("add", ".")
        let r = try labcheck(f, ["check", "--all"])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stdout.contains("ignore 'kit.run -> app.impls' of contract 'k' matches no import"), r.stdout)
        XCTAssertTrue(r.stdout.contains("did you mean 'kit.run -> app.impl'?"), r.stdout)
    }

    func testASuppressionInStageCodePointsAtItsTOMLLine() throws {
        let lab = "[[m]]\nid = 'a'\nC = '''\nimport json\nimport app.impl  # labcheck: ignore[LC300] the demo stage may\n'''\n"
        let contract = "[[contracts]]\nname = 'labs stay generic'\ntype = 'forbidden'\nsource = ['__lab__']\nforbidden = ['app']\n"
        let f = try repository(run: "", lab: lab)
        try f.write(".labcheck.toml", contract)
        try f.git("add", ".")
        let r = try labcheck(f, ["check", "--all", "-v"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stderr.contains("suppressed: lab_stages.toml:5:8: LC300 (the demo stage may)"), r.stderr)
        try f.write("lab_stages.toml", lab.replacingOccurrences(of: "  # labcheck: ignore[LC300] the demo stage may", with: ""))
        try f.git("add", ".")
        XCTAssertTrue(try labcheck(f, ["check", "--all"]).stdout.contains("lab_stages.toml:5:8: error[LC300]"))
    }
}

/// The ratchet (DESIGN §11): `--new-only` against the merge-base, fingerprints without line
/// numbers, renames followed, counted as a multiset.
final class RatchetCLITests: XCTestCase {
    private func labcheck(_ f: GitFixture, _ args: [String]) throws -> CommandResult {
        try LabcheckBinary.run(args, in: f.root, environment: f.environment)
    }

    func testOnlyWhatTheBranchAddsIsReported() throws {
        let dup = "[[m]]\nid = 'a'\nC = 'x = 1'\n[[m]]\nid = 'a'\nC = 'x = 2'\n"
        let f = try GitFixture()
        try f.commit([".labcheck.toml": "[[contracts]]\nname = 'kit stays generic'\ntype = 'forbidden'\nsource = ['kit']\nforbidden = ['app']\n",
                      "kit/__init__.py": "", "app/__init__.py": "", "app/impl.py": "", "app/other.py": "",
                      "kit/old.py": "import app.impl\n", "labs/lab_stages.toml": dup], message: "existing violations")
        try f.git("checkout", "-q", "-b", "feature")
        // The import moved down a line: not new. The lab file renamed with its duplicate id: not
        // new. An import of another module: new. A second duplicate in the lab: new.
        try f.write("kit/old.py", "import os\nimport app.impl\n")
        try FileManager.default.createDirectory(at: f.root.appendingPathComponent("lab"), withIntermediateDirectories: true)
        try f.git("mv", "labs/lab_stages.toml", "lab/lab_stages.toml")
        try f.write("lab/lab_stages.toml", "# moved\n" + dup + "[[n]]\nid = 'b'\nC = 'y'\n[[n]]\nid = 'b'\nC = 'z'\n")
        try f.write("kit/new.py", "import app.other\n")
        try f.git("add", ".")
        try f.git("commit", "-q", "-m", "feature")
        // Meanwhile main fixes the old import: against the merge-base it is still not new.
        try f.git("checkout", "-q", "main")
        try f.write("kit/old.py", "x = 1\n")
        try f.git("add", ".")
        try f.git("commit", "-q", "-m", "fix on main")
        try f.git("checkout", "-q", "feature")
        let all = try labcheck(f, ["check", "--rev", "HEAD", "--base", "main", "--all"])
        XCTAssertEqual(all.stdout.components(separatedBy: "error[LC300]").count - 1, 2, all.stdout)
        XCTAssertEqual(all.stdout.components(separatedBy: "error[LC101]").count - 1, 2, all.stdout)
        let r = try labcheck(f, ["check", "--rev", "HEAD", "--base", "main", "--all", "--new-only", "-v"])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertEqual(r.stdout.components(separatedBy: "error[LC300]").count - 1, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("kit/new.py:1:8: error[LC300]"), r.stdout)
        XCTAssertEqual(r.stdout.components(separatedBy: "error[LC101]").count - 1, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("duplicate stage id 'b'"), r.stdout)
        XCTAssertTrue(r.stderr.contains("diff base: the merge-base of main and HEAD"), r.stderr)
        XCTAssertTrue(r.stderr.contains("ratchet: 2 finding(s) also at the diff base"), r.stderr)
        XCTAssertTrue(r.stderr.contains("1 rename(s) followed"), r.stderr)
    }
}
