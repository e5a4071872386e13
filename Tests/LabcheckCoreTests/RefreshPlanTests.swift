import XCTest
import LabcheckTestSupport
import LabcheckTOML
@testable import LabcheckCore

/// Refreshes as format-preserving edits: on generated lab files with random refreshable stages
/// (header, dotted and inline args, inline-table stages, kept code, comments, LF and CRLF), only
/// the refreshed stages' bytes change and the result holds exactly the planned values.
final class RefreshPlanTests: XCTestCase {
    /// The tests' deterministic generator.
    typealias Random = SplitMix64

    /// The example rules' RUN family (v1 -> v2 renames workers_data_path, v2 -> v3 adds two
    /// flags) with a render, so kept code is re-rendered.
    let rules = ExampleRules.load()
    var conventions: StageConventions { TestRules.conventions }

    func stage(_ r: inout Random, module: String, n: Int) -> (text: String, stale: Bool) {
        let version = 1 + r.int(3)
        let id = "s\(n)"
        let head = "kind = \"template\"\nid = \"\(id)\"\ntemplate_id = \"pipeline.agi_run.single_action\"\ntemplate_version = \(version)  # saved\napp = \"example_project\"\naction = \"reference_allocator\"\n"
        var args: [String] = ["time_horizon = \(r.int(50))"]
        if version == 1 && r.bool() { args.append("workers_data_path = \"/share/\(n)\"") }
        if r.bool() { args.append("data_in = \"in/\(n)\"  # input") }
        let keepsCode = version == 3 && r.bool()
        switch r.int(4) {
        case 0:   // header table, args as a sub-table
            var t = "[[\(module)]]\n# stage \(n)\n" + head
            if keepsCode { t += "C = '''\nold code\n'''\n" }
            if r.bool() || args.count > 0 { t += "[\(module).args]\n" + args.map { $0 + "\n" }.joined() }
            return (t, version < 3)
        case 1:   // dotted args
            return ("[[\(module)]]\n" + head + args.map { "args." + $0 + "\n" }.joined(), version < 3)
        case 2:   // inline args
            let inline = args.map { $0.replacingOccurrences(of: "  # input", with: "") }.joined(separator: ", ")
            return ("[[\(module)]]\n" + head + "args = { \(inline) }\n", version < 3)
        default:  // no args at all
            return ("[[\(module)]]\n" + head.replacingOccurrences(of: "action = \"reference_allocator\"\n", with: "action = \"reference_allocator\"\n") + "\n", version < 3)
        }
    }

    func testRandomRefreshesChangeOnlyTheirStagesAndHoldThePlannedValues() throws {
        var refreshed = 0, files = 0
        for seed in 0..<150 {
            var r = Random(state: UInt64(seed))
            var text = "[__meta__]\nschema = \"agilab.lab_stages.v1\"   # keep me\n\n"
            var staleCount = 0
            for n in 0..<(1 + r.int(5)) {
                let (s, stale) = stage(&r, module: r.bool() ? "flight" : "net", n: n)
                text += s + "\n"
                if stale { staleCount += 1 }
                if r.bool() { text += "[[other]]\nD = \"untouched \(n)\"   # a comment\n\n" }
            }
            let eol = r.bool() ? "\n" : "\r\n"
            if eol == "\r\n" { text = text.replacingOccurrences(of: "\n", with: "\r\n") }
            let lab = try LabFileReader.read(path: "lab_stages.toml", bytes: Array(text.utf8), conventions: conventions).get()
            let plan = RefreshPlanner.plan(lab, rules: rules, conventions: conventions)
            XCTAssertEqual(plan.refusals.map(\.reason), [], "seed \(seed)")
            XCTAssertEqual(plan.refreshes.count, staleCount, "seed \(seed)")
            files += 1
            guard let bytes = plan.bytes else { XCTAssertEqual(staleCount, 0, "seed \(seed)"); continue }
            refreshed += plan.refreshes.count
            // Every edit lies inside its stage's region.
            for refresh in plan.refreshes {
                for edit in refresh.edits {
                    XCTAssertTrue(refresh.region.start <= edit.range.start && edit.range.end <= refresh.region.end, "seed \(seed): \(edit) outside \(refresh.region)")
                }
            }
            // Outside the regions the bytes are the same, at their shifted places.
            let old = Array(text.utf8)
            var cursor = 0, at = 0
            for refresh in plan.refreshes.sorted(by: { $0.region.start < $1.region.start }) {
                let piece = old[cursor..<refresh.region.start]
                XCTAssertTrue(bytes[at...].starts(with: piece), "seed \(seed): text before \(refresh.stage) changed")
                let delta = refresh.edits.reduce(0) { $0 + $1.replacement.count - ($1.range.end - $1.range.start) }
                at += piece.count + (refresh.region.end - refresh.region.start) + delta
                cursor = refresh.region.end
            }
            XCTAssertEqual(Array(bytes[min(at, bytes.count)...]), Array(old[cursor...]), "seed \(seed): text after the last refreshed stage changed")
            // Line endings: a CRLF file has no bare LF after the refresh.
            if eol == "\r\n" {
                for (i, b) in bytes.enumerated() where b == 0x0A { XCTAssertEqual(bytes[i - 1], 0x0D, "seed \(seed): bare LF at \(i)"); break }
            }
            // The result: every refreshed stage current, its args migrated, other stages unchanged.
            let after = try LabFileReader.read(path: "x", bytes: bytes, conventions: conventions).get()
            XCTAssertEqual(after.stages.count, lab.stages.count)
            for (a, b) in zip(lab.stages, after.stages) {
                if plan.refreshes.contains(where: { $0.module == a.module && $0.index == a.index }) {
                    XCTAssertEqual(b.table["template_version"]?.integer, 3)
                    XCTAssertNil(b.table["args"]?.table?["workers_data_path"])
                    XCTAssertEqual(b.table["args"]?.table?["rapids_enabled"]?.bool, false)
                    XCTAssertEqual(a.table["args"]?.table?["time_horizon"]?.integer, b.table["args"]?.table?["time_horizon"]?.integer)
                } else {
                    XCTAssertEqual(Array(lab.source.bytes[a.span.start..<a.span.end]), Array(after.source.bytes[b.span.start..<b.span.end]))
                }
            }
            XCTAssertNotNil(String(decoding: bytes, as: UTF8.self).range(of: "# keep me"))
        }
        XCTAssertGreaterThan(refreshed, 100, "the generator must produce refreshable stages")
        XCTAssertEqual(files, 150)
    }

    func testKeptCodeIsReRenderedAndARenameKeepsItsPlace() throws {
        let text = "[[m]]\nkind = 'template'\ntemplate_id = 'pipeline.agi_run.single_action'\ntemplate_version = 1\napp = 'example_project'\naction = 'reference_allocator'\nC = '''\nold\n'''\n[m.args]\nworkers_data_path = '/share'   # where\ntime_horizon = 4\n"
        let lab = try LabFileReader.read(path: "l", bytes: Array(text.utf8), conventions: conventions).get()
        let plan = RefreshPlanner.plan(lab, rules: rules, conventions: conventions)
        let out = String(decoding: try XCTUnwrap(plan.bytes), as: UTF8.self)
        XCTAssertTrue(out.contains("template_version = 3\n"), out)
        XCTAssertTrue(out.contains("workflow_share_root = '/share'   # where\ntime_horizon = 4\nrapids_enabled = false\nbenchmark_best_single_node = false\n"), out)
        XCTAssertTrue(out.contains("C = '''\nAPP = 'example_project'\nACTION = 'reference_allocator'\n"), out)
        XCTAssertTrue(out.contains("SHARE = '/share'\n"), out)
        XCTAssertEqual(plan.refreshes.first?.line(file: "l"), "l: m[#1] v1 -> v3")
    }

    func testAStepThatChangesAValueIsRefused() throws {
        let extra = ["r/templates/t.toml": "id = 't'\nversion = 2\n[[migrations]]\nfrom = 1\nto = 2\nchange = { host = 'no port' }\n"]
        let rules = ExampleRules.load(ExampleRules.standard.merging(extra) { $1 })
        let text = "[[m]]\nkind = 'template'\ntemplate_id = 't'\ntemplate_version = 1\napp = 'example_project'\naction = 'reference_allocator'\n[m.args]\nhost = 'h:1'\n"
        let lab = try LabFileReader.read(path: "l", bytes: Array(text.utf8), conventions: conventions).get()
        let plan = RefreshPlanner.plan(lab, rules: rules, conventions: conventions)
        XCTAssertNil(plan.bytes)
        XCTAssertTrue(plan.refusals.first?.reason.contains("changes the meaning of 'host'") ?? false, "\(plan.refusals)")
    }
}
