import LabcheckTOML

/// The import phase of a whole-snapshot run (every file in scope), kept in the cache so that a
/// later staged run whose change edits the imports of existing Python files re-resolves only
/// those files and checks the contracts on the patched graph (`IncrementalCheck`), instead of
/// reading, resolving and adding the imports of every module again.
///
/// What a patch may change is what a whole run would compute differently: the edges, relative
/// escapes and unresolved imports of the patched files, their scan failures, the external
/// packages imported, and everything the contracts find. What it keeps is what depends only on
/// the snapshot's paths, the configuration and the stage code (the module table, the roots'
/// problems, duplicate module names, the stage code's edges): the incremental check patches
/// only when none of those changed.
public struct ImportGraphState: Sendable {
    /// The graph: node `k` is `files[k]` for every Python file (they are added first, in
    /// discovery order), then stage modules and external packages. A decoded or patched graph
    /// has no name tables: it is read by the contract checks, never resolved against (a patch
    /// resolves against `resolutionTable()`).
    public internal(set) var graph: ImportGraph
    /// The Python files' modules, in discovery order.
    public internal(set) var files: [PythonModule]
    /// The edges of `files[k]` are `edgeStart[k]..<edgeStart[k + 1]`; stage code's follow.
    var edgeStart: [Int32]
    /// The roots' problems and duplicate module names (LC001, LC305), as the run found them.
    var rootProblems: [Diagnostic]
    /// Files that could not be scanned (LC305), by index into `files`, in that order.
    var scanFailures: [(file: Int32, diagnostic: Diagnostic)]
    /// Stage code that could not be scanned (LC305).
    var stageProblems: [Diagnostic]
    /// Every finding the phase reported, without source lines: what a patched state's findings
    /// replace in a record.
    public internal(set) var reported: [Diagnostic] = []
    /// The Python files' module names by hash: made when the state is first kept (a run that
    /// keeps no graph never makes it), and kept with it.
    var names: ModuleNameIndex?
    /// The graph's nodes ranked by name (`ImportGraph.nameRanks`), while the nodes are those
    /// it was made for: a patch that adds or drops an external package clears it.
    var rank: [Int32]? = nil
    /// The contract checks' order of the graph's edges (`EdgeOrder`): the one the contracts were
    /// checked with, kept with the graph (its edge order only; links are made again when read);
    /// patched with the graph, dropped when a patch changes the nodes.
    var edgeOrder: EdgeOrder? = nil

    init(graph: ImportGraph, files: [PythonModule], edgeStart: [Int32], rootProblems: [Diagnostic],
         scanFailures: [(file: Int32, diagnostic: Diagnostic)], stageProblems: [Diagnostic], names: ModuleNameIndex? = nil) {
        self.graph = graph
        self.files = files
        self.edgeStart = edgeStart
        self.rootProblems = rootProblems
        self.scanFailures = scanFailures
        self.stageProblems = stageProblems
        self.names = names
    }

    /// Makes the contract checks' edge order now (on a thread that has time), so that checking
    /// the contracts after a patch need not.
    public mutating func prepareEdgeOrder() {
        if let edgeOrder, edgeOrder.fits(graph) { return }
        let order = EdgeOrder(graph: graph, rank: rank)
        rank = order.rank
        edgeOrder = order
    }

    /// A table to resolve imports against as a whole run does: the Python files' modules only
    /// (stage modules are added after every file is resolved).
    func resolutionTable() -> ImportGraph {
        let names = files.map(\.name)
        return ImportGraph(resolvingWith: self.names ?? ModuleNameIndex(names), names: names)
    }

    /// Replaces the imports of `files[k]` with those of a new scan of it (the module table is
    /// the same). The edges keep their place in the graph, so edge order equals a whole run's.
    mutating func patch(file k: Int, scan: Result<[PythonImport], PythonScanError>, table: ImportGraph) {
        let module = files[k]
        let range = Int(edgeStart[k])..<Int(edgeStart[k + 1])
        scanFailures.removeAll { $0.file == Int32(k) }
        var resolution = ImportGraph.Resolution()
        resolution.file = module.file
        switch scan {
        case .success(let imports):
            resolution = table.resolve(imports, of: module)
        case .failure(let e):
            scanFailures.append((Int32(k), ImportBoundaries.scanFailure(module.file, e)))
            scanFailures.sort { $0.file < $1.file }
        }
        let (delta, nodesChanged) = graph.replaceEdges(range, importer: Int32(k), moduleName: module.name, with: resolution)
        if nodesChanged { rank = nil }
        if nodesChanged || edgeOrder?.replaceEdges(range, importer: Int32(k), count: range.count + delta, graph: graph) == false { edgeOrder = nil }
        if delta != 0 { for j in (k + 1)..<edgeStart.count { edgeStart[j] += Int32(delta) } }
    }
}

/// A patched graph as the cache keeps it: not the graph (~10 MB for 20,000 modules), but the
/// kept graph it was patched from and the Python files whose imports were patched in, by
/// their index entries, so that it is rebuilt by patching again (a few files); and what the
/// import phase reported on it, which the next patch replaces in the record.
public struct ImportGraphPatch: Sendable, Codable {
    /// The key of the kept graph (`ImportGraphState`) it was patched from.
    public var root: String
    /// Path -> index entry (`"<mode> <blob id>"`) of each file patched in since the root.
    public var files: [String: String]
    /// Every finding of the import phase on the patched graph, without source lines.
    public var reported: [Diagnostic]

    public init(root: String, files: [String: String], reported: [Diagnostic]) {
        self.root = root
        self.files = files
        self.reported = reported
    }
}

extension ImportGraph {
    /// Replaces the edges in `range` (all of one module's, importer `importer`) with a
    /// resolution's, and that module's escapes and unresolved imports with the resolution's.
    /// Returns how many edges were added (negative: removed), and whether the nodes changed
    /// (an external package added, or one no edge imports any more dropped, as a whole run
    /// would never have added it).
    mutating func replaceEdges(_ range: Range<Int>, importer: Int32, moduleName: String, with r: Resolution) -> (added: Int, nodesChanged: Bool) {
        let nodes = nodeNames.count
        var externals: [String: Int32] = [:]
        for (n, module) in isModule.enumerated() where !module { externals[nodeNames[n]] = Int32(n) }
        let file: Int32
        if let first = range.first, fileNames[Int(edgeFile[first])] == r.file { file = edgeFile[first] }
        else if let known = fileNames.firstIndex(of: r.file) { file = Int32(known) }
        else { file = Int32(fileNames.count); fileNames.append(r.file) }
        var to: [Int32] = []
        for target in r.targets {
            switch target {
            case .node(let id): to.append(id)
            case .external(let name):
                if let id = externals[name] { to.append(id); continue }
                let id = Int32(nodeNames.count)
                nodeNames.append(name)
                isModule.append(false)
                externals[name] = id
                to.append(id)
            }
        }
        let n = to.count
        edgeFrom.replaceSubrange(range, with: [Int32](repeating: importer, count: n))
        edgeTo.replaceSubrange(range, with: to)
        edgeFile.replaceSubrange(range, with: [Int32](repeating: file, count: n))
        edgeLine.replaceSubrange(range, with: r.lines)
        edgeColumn.replaceSubrange(range, with: r.columns)
        edgeLength.replaceSubrange(range, with: r.lengths)
        edgeFlags.replaceSubrange(range, with: r.flags)
        escapes.removeAll { $0.module == moduleName }
        escapes += r.escapes.map { (moduleName, $0.site, $0.text) }
        unresolved.removeAll { $0.module == moduleName }
        unresolved += r.unresolved.map { (moduleName, $0.site, $0.text) }
        let dropped = dropUnimportedExternals()
        return (n - range.count, dropped || nodeNames.count != nodes)
    }

    /// Removes external-package nodes that no edge imports, renumbering the nodes after them.
    /// Returns whether it removed any.
    mutating func dropUnimportedExternals() -> Bool {
        var imported = [Bool](repeating: false, count: nodeNames.count)
        for t in edgeTo { imported[Int(t)] = true }
        guard isModule.indices.contains(where: { !isModule[$0] && !imported[$0] }) else { return false }
        var newID = [Int32](repeating: -1, count: nodeNames.count)
        var names: [String] = [], modules: [Bool] = []
        for n in nodeNames.indices where isModule[n] || imported[n] {
            newID[n] = Int32(names.count)
            names.append(nodeNames[n])
            modules.append(isModule[n])
        }
        nodeNames = names
        isModule = modules
        for i in edgeFrom.indices {
            edgeFrom[i] = newID[Int(edgeFrom[i])]
            edgeTo[i] = newID[Int(edgeTo[i])]
        }
        return true
    }
}

/// The cache's encoding of an `ImportGraphState`: integer arrays as little-endian bytes, names
/// length-prefixed, findings in the result cache's encoding (`RunRecordCodec`). Decoding checks
/// every count, id and range against the bytes and returns nil on anything that does not fit.
public enum ImportGraphStateCodec {
    static let version: UInt8 = 5

    public static func encode(_ state: ImportGraphState) -> [UInt8] {
        var w = ByteWriter()
        w.bytes.append(version)
        let g = state.graph
        w.strings(g.nodeNames)
        w.raw(g.isModule.map { $0 ? 1 : 0 })
        w.strings(g.fileNames)
        for a in [g.edgeTo, g.edgeLine, g.edgeColumn, g.edgeLength] { w.int32s(a) }
        // Importers and files come in runs (one module's edges are together): run-length coded.
        w.int32Runs(g.edgeFrom)
        w.int32Runs(g.edgeFile)
        w.raw(g.edgeFlags)
        for list in [g.escapes, g.unresolved] {
            w.int(list.count)
            for e in list { w.string(e.module); w.string(e.site.file); w.int(e.site.line); w.int(e.site.column); w.string(e.text) }
        }
        // Each file's module is its node's name; its path is an index into the edges' file
        // names, followed by the paths of files without edges; its root, into the roots.
        var pathIndex = Dictionary(g.fileNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var morePaths: [String] = []
        var roots: [String] = []
        for m in state.files where pathIndex[m.file] == nil {
            pathIndex[m.file] = g.fileNames.count + morePaths.count
            morePaths.append(m.file)
        }
        for m in state.files where !roots.contains(m.root) { roots.append(m.root) }
        w.strings(morePaths)
        w.strings(roots)
        w.int(state.files.count)
        for m in state.files {
            w.int(pathIndex[m.file] ?? 0)
            w.int((roots.firstIndex(of: m.root) ?? 0) << 1 | (m.isPackage ? 1 : 0))
        }
        w.int32s(state.edgeStart)
        let names = state.names ?? ModuleNameIndex(state.files.map(\.name))
        w.int32s(names.hashes.map { Int32(bitPattern: UInt32(truncatingIfNeeded: $0)) })
        w.int32s(names.hashes.map { Int32(bitPattern: UInt32(truncatingIfNeeded: $0 >> 32)) })
        w.int32s(names.ids)
        w.strings(names.topLevels)
        w.int32s(state.rank ?? [])
        w.int32s(state.rank == nil ? [] : state.edgeOrder?.order ?? [])
        w.int32s(state.scanFailures.map(\.file))
        for list in [state.rootProblems, state.scanFailures.map(\.diagnostic), state.stageProblems, state.reported] {
            let record = RunRecordCodec.encode(RunRecord(diagnostics: list, suppressed: [], touched: nil, filesChecked: 0, labFiles: 0, pythonFiles: 0,
                                                         configFiles: 0, pythonNotChecked: 0, configurationInvalid: false))
            w.int(record.count)
            w.bytes += record
        }
        return w.bytes
    }

    /// Room kept in each decoded edge array (and the edge order's) for edges a staged run's
    /// patch adds: without it the first import added reallocates every one of them, ~12 MB of
    /// fresh pages for 420,000 edges (a patch measured 3-4 ms with the room, 4-22 ms without).
    static let edgeSlack = 4096

    public static func decode(_ bytes: ArraySlice<UInt8>) -> ImportGraphState? {
        bytes.withUnsafeBufferPointer { decode($0) }
    }

    /// Decodes from memory the caller keeps valid for the call (a mapped cache file).
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> ImportGraphState? {
        var r = ByteReader(bytes: bytes)
        guard r.byte() == version, let names = r.strings(), let moduleFlags = r.raw(), moduleFlags.count == names.count,
              let fileNames = r.strings(), let edgeTo = r.int32s(slack: edgeSlack), let edgeLine = r.int32s(slack: edgeSlack),
              let edgeColumn = r.int32s(slack: edgeSlack), let edgeLength = r.int32s(slack: edgeSlack),
              let edgeFrom = r.int32Runs(count: edgeTo.count, slack: edgeSlack), let edgeFile = r.int32Runs(count: edgeTo.count, slack: edgeSlack) else { return nil }
        let arrays = [edgeFrom, edgeTo, edgeFile, edgeLine, edgeColumn, edgeLength]
        guard let flags = r.raw(slack: edgeSlack), arrays.allSatisfy({ $0.count == flags.count }) else { return nil }
        var lists: [[(module: String, site: ImportSite, text: String)]] = []
        for _ in 0..<2 {
            guard let n = r.count() else { return nil }
            var list: [(module: String, site: ImportSite, text: String)] = []
            for _ in 0..<n {
                guard let module = r.string(), let file = r.string(), let line = r.int(), let column = r.int(), let text = r.string() else { return nil }
                list.append((module, ImportSite(file: file, line: line, column: column), text))
            }
            lists.append(list)
        }
        guard let morePaths = r.strings(), let roots = r.strings(), let fileCount = r.count(), fileCount <= names.count else { return nil }
        let paths = fileNames + morePaths
        var files: [PythonModule] = []
        files.reserveCapacity(fileCount)
        for k in 0..<fileCount {
            guard let path = r.int(), path >= 0, path < paths.count, let rootAndKind = r.int(), rootAndKind >= 0, rootAndKind >> 1 < roots.count,
                  moduleFlags[k] == 1 else { return nil }
            files.append(PythonModule(name: names[k], file: paths[path], root: roots[rootAndKind >> 1], isPackage: rootAndKind & 1 == 1))
        }
        guard let edgeStart = r.int32s(), let low = r.int32s(), let high = r.int32s(), low.count == high.count, let ids = r.int32s(),
              let tops = r.strings(), let rank = r.int32s(), rank.isEmpty || Self.isPermutation(rank), let order = r.int32s(slack: edgeSlack),
              let failedFiles = r.int32s() else { return nil }
        let index = ModuleNameIndex(hashes: zip(low, high).map { UInt64(UInt32(bitPattern: $0)) | UInt64(UInt32(bitPattern: $1)) << 32 }, ids: ids, topLevels: tops)
        guard index.isValid(count: files.count) else { return nil }
        var diagnostics: [[Diagnostic]] = []
        for _ in 0..<4 {
            guard let n = r.count(), let slice = r.take(n), let record = RunRecordCodec.decode(slice) else { return nil }
            diagnostics.append(record.diagnostics)
        }
        guard r.atEnd else { return nil }
        // Every id in range, node k is file k, edge ranges in order.
        let nodes = Int32(names.count), fileIDs = Int32(fileNames.count), edges = flags.count
        guard files.count <= names.count, edgeStart.count == files.count + 1, edgeStart.first == 0,
              zip(edgeStart, edgeStart.dropFirst()).allSatisfy({ $0 <= $1 }), let last = edgeStart.last, Int(last) <= edges,
              arrays[0].allSatisfy({ $0 >= 0 && $0 < nodes }), arrays[1].allSatisfy({ $0 >= 0 && $0 < nodes }),
              arrays[2].allSatisfy({ $0 >= 0 && $0 < fileIDs }),
              failedFiles.count == diagnostics[1].count, failedFiles.allSatisfy({ $0 >= 0 && Int($0) < files.count }) else { return nil }
        var graph = ImportGraph()
        graph.nodeNames = names
        graph.isModule = moduleFlags.map { $0 == 1 }
        graph.fileNames = fileNames
        (graph.edgeFrom, graph.edgeTo, graph.edgeFile, graph.edgeLine, graph.edgeColumn, graph.edgeLength) =
            (arrays[0], arrays[1], arrays[2], arrays[3], arrays[4], arrays[5])
        graph.edgeFlags = flags
        graph.escapes = lists[0]
        graph.unresolved = lists[1]
        var state = ImportGraphState(graph: graph, files: files, edgeStart: edgeStart, rootProblems: diagnostics[0],
                                     scanFailures: Array(zip(failedFiles, diagnostics[1])).map { ($0.0, $0.1) }, stageProblems: diagnostics[2],
                                     names: index)
        state.reported = diagnostics[3]
        guard rank.isEmpty || rank.count == names.count else { return nil }
        state.rank = rank.isEmpty ? nil : rank
        if !order.isEmpty {
            guard let edgeOrder = EdgeOrder(order: order, graph: state.graph, rank: rank) else { return nil }
            state.edgeOrder = edgeOrder
        }
        return state
    }

    /// Whether `list` holds each of 0..<count once.
    static func isPermutation(_ list: [Int32]) -> Bool {
        var seen = [Bool](repeating: false, count: list.count)
        for v in list {
            guard v >= 0, Int(v) < list.count, !seen[Int(v)] else { return false }
            seen[Int(v)] = true
        }
        return true
    }
}

/// Bytes out: LEB128 counts, length-prefixed UTF-8, integer arrays as little-endian bytes.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func int(_ v: Int) {
        var x = UInt64(bitPattern: Int64(v))
        while x >= 0x80 { bytes.append(UInt8(x & 0x7F) | 0x80); x >>= 7 }
        bytes.append(UInt8(x))
    }

    mutating func string(_ s: String) { int(s.utf8.count); bytes += s.utf8 }
    mutating func strings(_ list: [String]) { int(list.count); list.forEach { string($0) } }
    mutating func raw(_ list: [UInt8]) { int(list.count); bytes += list }

    /// (value, run length) pairs.
    mutating func int32Runs(_ list: [Int32]) {
        var runs: [Int32] = []
        var k = 0
        while k < list.count {
            var j = k + 1
            while j < list.count && list[j] == list[k] { j += 1 }
            runs.append(list[k])
            runs.append(Int32(j - k))
            k = j
        }
        int32s(runs)
    }

    mutating func int32s(_ list: [Int32]) {
        int(list.count)
        #if _endian(little)
        list.withUnsafeBytes { bytes += $0 }
        #else
        bytes.reserveCapacity(bytes.count + 4 * list.count)
        for v in list {
            let u = UInt32(bitPattern: v)
            bytes.append(UInt8(truncatingIfNeeded: u)); bytes.append(UInt8(truncatingIfNeeded: u >> 8))
            bytes.append(UInt8(truncatingIfNeeded: u >> 16)); bytes.append(UInt8(truncatingIfNeeded: u >> 24))
        }
        #endif
    }
}

/// Bytes in, the reverse of `ByteWriter`: every read is checked against the bytes left.
struct ByteReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var p: Int

    /// `bytes` must stay valid while the reader is used (the decoder's caller keeps them).
    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        p = bytes.startIndex
    }

    var atEnd: Bool { p == bytes.endIndex }
    var left: Int { bytes.endIndex - p }

    mutating func byte() -> UInt8? { guard p < bytes.endIndex else { return nil }; p += 1; return bytes[p - 1] }

    mutating func int() -> Int? {
        var x: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard let b = byte(), shift < 64 else { return nil }
            x |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        return Int(Int64(bitPattern: x))
    }

    /// A count no larger than the bytes left (every counted item takes at least one byte).
    mutating func count() -> Int? { guard let n = int(), n >= 0, n <= left else { return nil }; return n }

    mutating func take(_ n: Int) -> UnsafeBufferPointer<UInt8>? {
        guard n >= 0, n <= left else { return nil }
        p += n
        return UnsafeBufferPointer(rebasing: bytes[(p - n)..<p])
    }

    mutating func string() -> String? { guard let n = count(), let s = take(n) else { return nil }; return String(decoding: s, as: UTF8.self) }

    mutating func strings() -> [String]? {
        guard let n = count() else { return nil }
        var out: [String] = []
        out.reserveCapacity(n)
        for _ in 0..<n { guard let s = string() else { return nil }; out.append(s) }
        return out
    }

    /// `slack`: room for that many more elements without a new buffer (see `edgeSlack`).
    mutating func raw(slack: Int = 0) -> [UInt8]? {
        guard let n = count(), let s = take(n) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(n + slack)
        bytes.append(contentsOf: s)
        return bytes
    }

    mutating func int32s(slack: Int = 0) -> [Int32]? {
        guard let n = int(), n >= 0, n <= left / 4, let s = take(4 * n) else { return nil }
        let raw = UnsafeRawBufferPointer(s)
        #if _endian(little)
        return [Int32](unsafeUninitializedCapacity: n + slack) { buffer, count in
            // `raw` holds exactly 4 * n bytes; the buffer has room for n values.
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            count = n
        }
        #else
        return (0..<n).map { k in
            Int32(bitPattern: UInt32(raw[4 * k]) | UInt32(raw[4 * k + 1]) << 8 | UInt32(raw[4 * k + 2]) << 16 | UInt32(raw[4 * k + 3]) << 24)
        }
        #endif
    }

    /// The reverse of `ByteWriter.int32Runs`: exactly `count` values in all (known from the
    /// arrays before, so damaged run lengths never allocate more than those took).
    mutating func int32Runs(count: Int, slack: Int = 0) -> [Int32]? {
        guard let runs = int32s(), runs.count % 2 == 0 else { return nil }
        var total = 0
        for k in stride(from: 1, to: runs.count, by: 2) {
            guard runs[k] > 0 else { return nil }
            total += Int(runs[k])
            guard total <= count else { return nil }
        }
        guard total == count else { return nil }
        return [Int32](unsafeUninitializedCapacity: total + slack) { buffer, filled in
            // The run lengths add up to `total`, the buffer's capacity.
            var at = 0
            for k in stride(from: 0, to: runs.count, by: 2) {
                let n = Int(runs[k + 1])
                (buffer.baseAddress! + at).initialize(repeating: runs[k], count: n)
                at += n
            }
            filled = at
        }
    }
}
