import XCTest
import LabcheckTestSupport
import LabcheckTOML
@testable import LabcheckCore

/// The kept import graph (`ImportGraphState`): its encoding round-trips and never crashes on
/// damaged bytes, and a staged change that edits imports, answered by patching the kept graph
/// (`IncrementalCheck`), finds exactly what a whole run of the new snapshot finds, over random
/// sequences of edits (each step patches the previous step's patched graph).
final class ImportGraphStateTests: XCTestCase {
    /// The import memo in memory.
    final class Memo: ImportMemo, @unchecked Sendable {
        var digests: [String: UInt64] = [:]
        var outcomes: [String: ImportPhaseOutcome] = [:]
        var states: [String: [UInt8]] = [:]   // encoded, as the cache keeps them
        var patches: [String: ImportGraphPatch] = [:]
        func scanDigest(blob: String) -> UInt64? { digests[blob] }
        func storeScanDigests(_ found: [String: UInt64]) { digests.merge(found) { $1 } }
        func key(_ material: [UInt8]) -> String {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in material { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            return String(h, radix: 16)
        }
        func outcome(key: String) -> ImportPhaseOutcome? { outcomes[key] }
        func store(_ outcome: ImportPhaseOutcome, key: String) { outcomes[key] = outcome }
        func graphState(key: String, log: (String) -> Void) -> ImportGraphState? { states[key].flatMap { ImportGraphStateCodec.decode($0[...]) } }
        func storeGraphState(_ state: ImportGraphState, key: String) { states[key] = ImportGraphStateCodec.encode(state) }
        func graphPatch(key: String) -> ImportGraphPatch? { patches[key] }
        func storeGraphPatch(_ patch: ImportGraphPatch, key: String) { patches[key] = patch }
    }

    /// A snapshot whose files have blob ids (entries), as the index gives them.
    struct Snapshot: SnapshotReader {
        let label = "staged"
        let files: [String: [UInt8]]
        var paths: [String] { files.keys.sorted() }
        func read(_ path: String) throws -> [UInt8] {
            guard let bytes = files[path] else { throw CocoaError(.fileNoSuchFile) }
            return bytes
        }
        func contentID(_ path: String) -> String? { files[path].map(Self.id) }
        static func id(_ bytes: [UInt8]) -> String {
            var h: UInt64 = 0x9e37_79b9_7f4a_7c15
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            return String(repeating: "0", count: 24) + String(h, radix: 16).leftPadded(16)
        }
        func entry(_ path: String) -> String { files[path].map { "100644 " + Self.id($0) } ?? "-" }
    }

    static let config = """
        [python]
        roots = ["src"]

        [[contracts]]
        name = "core stays pure"
        type = "forbidden"
        source = ["app.core"]
        forbidden = ["app.ui", "requests"]

        [[contracts]]
        name = "layers"
        type = "layers"
        layers = ["app.ui", "app.service", "app.core"]

        [[contracts]]
        name = "siblings"
        type = "independence"
        modules = ["app.service.a", "app.service.b"]

        [[contracts]]
        name = "ignores"
        type = "forbidden"
        source = ["app.util"]
        forbidden = ["app.ui"]
        ignore = [{ import = "app.util.m0 -> app.ui.m0", reason = "the old view" }]
        unmatched_ignore_imports_alerting = "warn"

        """

    static let modules = ["app.core.m0", "app.core.m1", "app.core.m2", "app.service.a", "app.service.b", "app.service.c",
                          "app.ui.m0", "app.ui.m1", "app.util.m0", "app.util.m1"]

    /// A random module body: imports of modules, packages, names, externals, relative imports
    /// (some climbing too high), guarded and TYPE_CHECKING imports; sometimes not UTF-8.
    static func body(_ r: inout some RandomNumberGenerator, module: String) -> [UInt8] {
        if Int.random(in: 0..<25, using: &r) == 0 { return Array("import app.core.m0\nx = '".utf8) + [0xFF, 0x27, 0x0A] }
        var lines: [String] = []
        for _ in 0..<Int.random(in: 0...4, using: &r) {
            let target = modules.randomElement(using: &r)!
            let parts = target.split(separator: ".")
            switch Int.random(in: 0..<9, using: &r) {
            case 0: lines.append("import \(target)")
            case 1: lines.append("from \(parts.dropLast().joined(separator: ".")) import \(parts.last!)")
            case 2: lines.append("from \(target) import something")
            case 3: lines.append(["import requests", "import numpy", "from requests import get"].randomElement(using: &r)!)
            case 4: lines.append("from . import \(["m0", "m1", "a", "zz"].randomElement(using: &r)!)")
            case 5: lines.append("from .... import toohigh")
            case 6: lines.append("try:\n    import \(target)\nexcept ImportError:\n    pass")
            case 7: lines.append("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import \(target)")
            default: lines.append("import app.service")
            }
        }
        lines.append("VALUE = \(Int.random(in: 0..<1000, using: &r))")
        _ = module
        return Array(lines.joined(separator: "\n").utf8) + [0x0A]
    }

    static func path(_ module: String) -> String { "src/" + module.replacingOccurrences(of: ".", with: "/") + ".py" }

    func snapshot(_ bodies: [String: [UInt8]]) -> Snapshot {
        var files: [String: [UInt8]] = [".labcheck.toml": Array(Self.config.utf8)]
        for package in ["app", "app/core", "app/service", "app/ui", "app/util"] { files["src/\(package)/__init__.py"] = [] }
        for (m, b) in bodies { files[Self.path(m)] = b }
        return Snapshot(files: files)
    }

    func wholeRun(_ s: Snapshot, memo: Memo?) throws -> RunRecord {
        let configuration = try RepositoryConfiguration.load(s, bundled: TestRules.example)
        var request = LintRequest(snapshot: s, scope: .all, configuration: configuration, strictFlag: false)
        request.importMemo = memo
        return RunRecord(try Linter.run(request), touched: nil)
    }

    func testPatchedGraphsFindWhatAWholeRunFinds() throws {
        var patchedSteps = 0, withFindings = 0
        for seed in 0..<24 {
            var r = SeededGenerator(seed: UInt64(seed))
            var bodies = Dictionary(uniqueKeysWithValues: Self.modules.map { ($0, Self.body(&r, module: $0)) })
            let base = snapshot(bodies)
            let memo = Memo()
            var earlier = try wholeRun(base, memo: memo)
            XCTAssertNotNil(earlier.importKey, "a whole run with a memo keeps its graph")
            earlier.indexChanges = [:]
            var blobs: [String: [UInt8]] = [:]   // every version seen, by entry
            for p in base.paths { blobs[base.entry(p)] = base.files[p] }
            for step in 0..<6 {
                for m in Self.modules.shuffled(using: &r).prefix(Int.random(in: 1...3, using: &r)) { bodies[m] = Self.body(&r, module: m) }
                let now = snapshot(bodies)
                let changes = Dictionary(uniqueKeysWithValues: now.paths.filter { now.files[$0] != base.files[$0] }.map { ($0, now.entry($0)) })
                for p in now.paths { blobs[now.entry(p)] = now.files[p] }
                let reader = IncrementalCheck.Reader(baseEntry: { base.entry($0) }, bytes: { [blobs] in blobs[$0] },
                                                     isRegular: { $0 != "-" }, snapshot: now, memo: memo)
                let configuration = try RepositoryConfiguration.load(now, bundled: TestRules.example)
                let expected = try wholeRun(now, memo: nil)
                switch try IncrementalCheck.run(from: earlier, indexChanges: changes, configuration: configuration, strictFlag: false, reader: reader) {
                case .wholeRun(let why):
                    // A contract naming an external package no module imports any more is a
                    // configuration error: that run is whole, and so is the next.
                    XCTAssertEqual(why, "the configuration was invalid", "seed \(seed) step \(step)")
                    XCTAssertTrue(earlier.configurationInvalid, "seed \(seed) step \(step)")
                    earlier = try wholeRun(now, memo: memo)
                    earlier.indexChanges = changes
                    XCTAssertEqual(earlier.diagnostics, expected.diagnostics)
                case .record(let record, _, let patched, _):
                    XCTAssertEqual(record.diagnostics, expected.diagnostics, "seed \(seed) step \(step)")
                    XCTAssertEqual(record.configurationInvalid, expected.configurationInvalid, "seed \(seed) step \(step)")
                    if !patched.isEmpty { patchedSteps += 1 }
                    if record.diagnostics.contains(where: { $0.id.hasPrefix("LC30") }) { withFindings += 1 }
                    earlier = record
                }
            }
        }
        XCTAssertGreaterThan(patchedSteps, 100, "most steps patch the kept graph")
        XCTAssertGreaterThan(withFindings, 50, "the edits make contract findings")
    }

    /// The contract checks' edge order, made ahead and then patched with the graph file by
    /// file, equals the order made from the patched graph (adding and removing edges, in and
    /// out of order, links merging and splitting); a patch that changes the nodes drops it.
    func testAPatchedEdgeOrderEqualsOneMadeFromThePatchedGraph() throws {
        var patched = 0, dropped = 0
        for seed in 0..<24 {
            var r = SeededGenerator(seed: UInt64(seed) + 1000)
            var bodies = Dictionary(uniqueKeysWithValues: Self.modules.map { ($0, Self.body(&r, module: $0)) })
            let memo = Memo()
            let key = try XCTUnwrap(try wholeRun(snapshot(bodies), memo: memo).importKey)
            var state = try XCTUnwrap(memo.graphState(key: key) { _ in })
            state.prepareEdgeOrder()
            let table = state.resolutionTable()
            for step in 0..<12 {
                let m = try XCTUnwrap(Self.modules.randomElement(using: &r))
                bodies[m] = Self.body(&r, module: m)
                let k = try XCTUnwrap(state.files.firstIndex { $0.file == Self.path(m) })
                state.patch(file: k, scan: PythonImportScanner.scan(try XCTUnwrap(bodies[m])), table: table)
                guard let order = state.edgeOrder else {
                    dropped += 1
                    state.prepareEdgeOrder()
                    continue
                }
                patched += 1
                XCTAssertEqual(order, EdgeOrder(graph: state.graph, rank: state.rank), "seed \(seed) step \(step)")
            }
        }
        XCTAssertGreaterThan(patched, 200, "most patches keep the order")
        XCTAssertGreaterThan(dropped, 0, "a patch that adds or drops an external package drops it")
    }

    /// An order read from the cache is taken only when it is the order made from the graph:
    /// the same order gives an equal EdgeOrder (links, targets and all); any swap of two edges,
    /// a repeated or foreign edge id, or a wrong length gives none.
    func testAnEdgeOrderReadBackIsCheckedAgainstItsGraph() throws {
        var r = SeededGenerator(seed: 11)
        let memo = Memo()
        let key = try XCTUnwrap(try wholeRun(snapshot(Dictionary(uniqueKeysWithValues: Self.modules.map { ($0, Self.body(&r, module: $0)) })), memo: memo).importKey)
        let state = try XCTUnwrap(memo.graphState(key: key) { _ in })
        let made = EdgeOrder(graph: state.graph, rank: state.rank)
        let order = made.order
        XCTAssertGreaterThan(order.count, 10)
        XCTAssertEqual(EdgeOrder(order: order, graph: state.graph, rank: made.rank), made)
        var refused = 0
        for _ in 0..<200 {
            let a = Int.random(in: 0..<order.count, using: &r), b = Int.random(in: 0..<order.count, using: &r)
            guard a != b else { continue }
            var swapped = order
            swapped.swapAt(a, b)
            XCTAssertNil(EdgeOrder(order: swapped, graph: state.graph, rank: made.rank), "edges at \(a) and \(b) swapped")
            refused += 1
        }
        XCTAssertGreaterThan(refused, 150)
        var repeated = order
        repeated[1] = repeated[0]
        XCTAssertNil(EdgeOrder(order: repeated, graph: state.graph, rank: made.rank))
        var foreign = order
        foreign[0] = Int32(order.count)
        XCTAssertNil(EdgeOrder(order: foreign, graph: state.graph, rank: made.rank))
        XCTAssertNil(EdgeOrder(order: Array(order.dropLast()), graph: state.graph, rank: made.rank))
        XCTAssertNil(EdgeOrder(order: order, graph: state.graph, rank: Array(made.rank.dropLast())))
    }

    func testEncodingRoundTripsAndDamagedBytesNeverCrash() throws {
        var r = SeededGenerator(seed: 7)
        let s = snapshot(Dictionary(uniqueKeysWithValues: Self.modules.map { ($0, Self.body(&r, module: $0)) }))
        let memo = Memo()
        let record = try wholeRun(s, memo: memo)
        let key = try XCTUnwrap(record.importKey)
        let bytes = try XCTUnwrap(memo.states[key])
        let state = try XCTUnwrap(ImportGraphStateCodec.decode(bytes[...]))
        XCTAssertEqual(ImportGraphStateCodec.encode(state), bytes)
        // Decoded edge arrays keep room for the edges a patch adds (no reallocation of each).
        let g = state.graph
        for (name, array) in [("from", g.edgeFrom), ("to", g.edgeTo), ("file", g.edgeFile), ("line", g.edgeLine), ("column", g.edgeColumn), ("length", g.edgeLength)] {
            XCTAssertGreaterThanOrEqual(array.capacity, array.count + ImportGraphStateCodec.edgeSlack, name)
        }
        XCTAssertGreaterThanOrEqual(g.edgeFlags.capacity, g.edgeFlags.count + ImportGraphStateCodec.edgeSlack)
        XCTAssertEqual(state.files.count, Self.modules.count + 5)
        XCTAssertGreaterThan(state.graph.edgeCount, 0)
        XCTAssertFalse(state.reported.isEmpty)
        for n in stride(from: 0, to: bytes.count, by: 7) { XCTAssertNil(ImportGraphStateCodec.decode(bytes.prefix(n)), "a prefix of \(n) bytes") }
        XCTAssertNil(ImportGraphStateCodec.decode((bytes + [0])[...]), "trailing bytes")
        for _ in 0..<2000 {
            var altered = bytes
            for _ in 0..<Int.random(in: 1...4, using: &r) { altered[Int.random(in: 0..<altered.count, using: &r)] = UInt8.random(in: 0...255, using: &r) }
            _ = ImportGraphStateCodec.decode(altered[...])   // nil or a state; the test is that it returns
        }
    }
}

/// The tests' SplitMix64 generator, as the standard library's random sources take it.
typealias SeededGenerator = SplitMix64

private extension String {
    func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
