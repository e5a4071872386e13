import Foundation
import XCTest
import LabcheckTestSupport

/// The CI outputs from the built binary: SARIF validated against the 2.1.0 schema, GitHub
/// workflow commands escaped against hostile names, GitLab Code Quality, JUnit, `--output`,
/// and text output no line of which can start a workflow command.
final class OutputFormatTests: XCTestCase {
    private func labcheck(_ f: GitFixture, _ args: [String]) throws -> CommandResult {
        try LabcheckBinary.run(args, in: f.root, environment: f.environment)
    }

    /// A lab file in a hostile directory, with a duplicate stage id full of command syntax.
    private func hostileRepository() throws -> GitFixture {
        let f = try GitFixture()
        let lab = "[[flight]]\nid = \"x%0A::error::y,z:w\"\nC = \"import json\"\n\n[[flight]]\nid = \"x%0A::error::y,z:w\"\nC = \"import os\"\n"
        try f.write("::error::dir,a:b/lab_stages.toml", lab)
        try f.git("add", ".")
        return f
    }

    private func python(_ script: String, stdin: String, in f: GitFixture) throws -> CommandResult {
        try runProcess("/usr/bin/env", ["python3", "-c", script], in: f.root, environment: f.environment, stdin: Array(stdin.utf8))
    }

    func testSARIFValidatesAgainstTheSchemaWithRulesFromTheRegistry() throws {
        let f = try hostileRepository()
        let r = try labcheck(f, ["check", "--format", "sarif"])
        XCTAssertEqual(r.status, 1, "\(r)")
        let schema = SharedData.root.appendingPathComponent("schemas/sarif-schema-2.1.0.json").path
        let validate = try python("""
        import json, sys, jsonschema
        doc = json.load(sys.stdin)
        jsonschema.validate(doc, json.load(open(sys.argv[1] if len(sys.argv) > 1 else '\(schema)')))
        run = doc['runs'][0]
        rules = [r['id'] for r in run['tool']['driver']['rules']]
        res = run['results'][0]
        print(len(rules), res['ruleId'], rules[res['ruleIndex']], res['level'], res['locations'][0]['physicalLocation']['artifactLocation']['uri'],
              res['locations'][0]['physicalLocation']['region']['startLine'], len(res['partialFingerprints']['labcheck/v1']))
        """, stdin: r.stdout, in: f)
        XCTAssertEqual(validate.status, 0, "\(validate)")
        XCTAssertEqual(validate.stdout, "31 LC101 LC101 error %3A%3Aerror%3A%3Adir%2Ca%3Ab/lab_stages.toml 6 16\n")
        // The fingerprint does not move with the line: the same finding two lines lower.
        let moved = try hostileRepository()
        try moved.write("::error::dir,a:b/lab_stages.toml", "# one\n# two\n" + (try moved.read("::error::dir,a:b/lab_stages.toml")))
        try moved.git("add", ".")
        func fingerprint(_ out: String) throws -> String {
            let p = try python("import json,sys; print(json.load(sys.stdin)['runs'][0]['results'][0]['partialFingerprints']['labcheck/v1'])", stdin: out, in: f)
            return p.stdout
        }
        XCTAssertEqual(try fingerprint(try labcheck(moved, ["check", "--format", "sarif"]).stdout), try fingerprint(r.stdout))
    }

    func testGitHubCommandsAreEscapedAndFollowedByTheTextReport() throws {
        let f = try hostileRepository()
        let r = try labcheck(f, ["check", "--format", "github"])
        XCTAssertEqual(r.status, 1, "\(r)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let commands = lines.filter { $0.hasPrefix("::") }
        XCTAssertEqual(commands.count, 1, r.stdout)
        XCTAssertTrue(commands[0].hasPrefix("::error file=%3A%3Aerror%3A%3Adir%2Ca%3Ab/lab_stages.toml,line=6,col=6,endLine=6,endColumn="), String(commands[0]))
        XCTAssertTrue(commands[0].contains(",title=LC101::duplicate stage id 'x%250A::error::y,z:w'"), String(commands[0]))
        XCTAssertTrue(r.stdout.contains("error[LC101]"), "the text report follows: \(r.stdout)")
    }

    func testTextOutputNeverStartsALineWithACommand() throws {
        let f = try hostileRepository()
        for args in [["check"], ["status"], ["convert"]] {
            let r = try labcheck(f, args)
            for line in r.stdout.split(separator: "\n") { XCTAssertFalse(line.hasPrefix("::"), "\(args): \(line)") }
            XCTAssertTrue(r.stdout.contains("./::error::dir,a:b/lab_stages.toml"), "\(args): \(r.stdout)")
        }
    }

    func testGitLabJUnitAndOutputFile() throws {
        let f = try hostileRepository()
        let gitlab = try labcheck(f, ["check", "--format", "gitlab"])
        let g = try python("""
        import json, sys
        issues = json.load(sys.stdin)
        i = issues[0]
        print(len(issues), i['check_name'], i['severity'], i['location']['path'], i['location']['lines']['begin'], len(i['fingerprint']))
        """, stdin: gitlab.stdout, in: f)
        XCTAssertEqual(g.stdout, "1 LC101 major ::error::dir,a:b/lab_stages.toml 6 16\n", "\(g)")
        let junit = try labcheck(f, ["check", "--format", "junit"])
        let j = try python("""
        import sys, xml.etree.ElementTree as ET
        root = ET.fromstring(sys.stdin.read())
        suite = root.find('testsuite')
        case = suite.find('testcase')
        print(suite.get('tests'), suite.get('failures'), case.find('failure').get('type'), case.get('classname'))
        """, stdin: junit.stdout, in: f)
        XCTAssertEqual(j.stdout, "1 1 LC101 ::error::dir,a:b/lab_stages.toml\n", "\(j)")
        let file = f.sibling("report.sarif")
        let written = try labcheck(f, ["check", "--format", "sarif", "--output", file.path])
        XCTAssertEqual(written.status, 1)
        XCTAssertTrue(written.stdout.contains("error[LC101]"), "text on the terminal: \(written.stdout)")
        XCTAssertTrue(try String(contentsOf: file, encoding: .utf8).contains("\"version\": \"2.1.0\""))
        let status = try labcheck(f, ["status", "--format", "sarif"])
        XCTAssertEqual(status.status, 2, "\(status)")
    }
}
