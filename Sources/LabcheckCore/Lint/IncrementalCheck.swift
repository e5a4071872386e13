import Dispatch
import LabcheckTOML

/// A staged snapshot's findings from those of an earlier staged snapshot with the same diff
/// base, when nothing that changed in between can change a finding outside the changed files.
///
/// The earlier record lists where its index differed from the base (`RunRecord.indexChanges`);
/// so does the new index. A path whose entry differs between the two changed in between. The
/// earlier findings carry over, file by file, when every changed path is
/// - a lab file that parses to the same stage code (module names, places, bytes) as before, so
///   the import graph is the same: its lab-file checks run again (against the diff base), and
///   its import findings are kept with their source lines cut again;
/// - a Python file whose imports scan exactly as before (modules, names, lines, columns, guards),
///   so the graph is the same: its findings are kept with their source lines cut again;
/// - a Python file whose imports changed, when the earlier run's import graph is kept
///   (`RunRecord.importKey`, `ImportGraphState`) and no suppression comment is in the
///   snapshot: the kept graph is patched with the file's new imports (the module table is the
///   same: no file was added or deleted), and every import finding is found again on it, the
///   contracts checked on the whole patched graph;
/// - any other file that is neither checked nor read for the configuration.
/// Anything else needs a whole run: a file added, deleted or turned into a symlink (the module
/// set and the lab set change), a configuration file or a registered config file, a
/// suppression comment in a changed file (suppressions are matched across the whole run), an
/// earlier run with a broken configuration. The result must equal a whole run's, finding for
/// finding: the differential test (Tests/Differential/staged_scope_differential.py) compares
/// them over random edit sequences.
public enum IncrementalCheck {
    /// What a caller provides: the files' bytes by entry text, and the base's entries.
    public struct Reader {
        /// The entry at a path in the diff base's tree (`"-"` when absent).
        public let baseEntry: (String) throws -> String
        /// The bytes of the blob an entry names.
        public let bytes: (String) throws -> [UInt8]?
        /// Whether an entry is a regular file.
        public let isRegular: (String) -> Bool
        /// The staged snapshot (source lines of import findings are cut from its files).
        public let snapshot: (any SnapshotReader)?
        /// Where the earlier run's import graph is kept.
        public let memo: (any ImportMemo)?
        /// The kept graph of a key if it was read ahead (on another thread, while the index was
        /// read): waits for that read; nil when none was started or it read another key's.
        public var prefetched: ((String) -> KeptGraph?)? = nil

        public init(baseEntry: @escaping (String) throws -> String, bytes: @escaping (String) throws -> [UInt8]?, isRegular: @escaping (String) -> Bool,
                    snapshot: (any SnapshotReader)? = nil, memo: (any ImportMemo)? = nil) {
            self.baseEntry = baseEntry
            self.bytes = bytes
            self.isRegular = isRegular
            self.snapshot = snapshot
            self.memo = memo
        }
    }

    /// The new record, or why a whole run is needed. `patched`: the Python files whose new
    /// imports were patched into the earlier run's graph, and how long each step took (`-v`).
    public enum Outcome {
        case record(RunRecord, changed: [String], patched: [String], timings: String?)
        case wholeRun(String)
    }

    public static func run(from earlier: RunRecord, indexChanges: [String: String], configuration: RepositoryConfiguration,
                           strictFlag: Bool, reader: Reader) throws -> Outcome {
        var timer = LapTimer()
        guard let before = earlier.indexChanges else { return .wholeRun("the earlier record does not list its index") }
        guard !earlier.configurationInvalid, let conventions = configuration.conventions else { return .wholeRun("the configuration was invalid") }
        // Each path's base entry is looked up once (the comparison, the base version of a lab
        // file and the touched set all ask).
        var baseEntries: [String: String] = [:]
        func baseEntry(_ path: String) throws -> String {
            if let known = baseEntries[path] { return known }
            let entry = try reader.baseEntry(path)
            baseEntries[path] = entry
            return entry
        }
        let config = configuration.config
        let contracts = ImportBoundaries.contracts(config: config, rules: configuration.rules, importLinter: configuration.importLinter).0
        let importsChecked = !contracts.isEmpty
        let strict = StrictMode(flag: strictFlag, config: config)
        var changed: [(path: String, old: String, new: String)] = []
        for path in Set(before.keys).union(indexChanges.keys).sorted() {
            let old = try before[path] ?? baseEntry(path), new = try indexChanges[path] ?? baseEntry(path)
            guard old != new else { continue }
            guard reader.isRegular(old) && reader.isRegular(new) else { return .wholeRun("\(path) was added, deleted, or changed type") }
            changed.append((path, old, new))
        }
        var fresh: [String: [Diagnostic]] = [:]   // per changed file: its new findings
        var kept: [String: [Diagnostic]] = [:]    // per changed file: its import findings carried over
        var newImports: [(path: String, bytes: [UInt8], entry: String)] = []   // Python files whose imports changed
        // Python files first: when one's imports changed, the kept graph is read on another
        // core while the lab files are checked.
        var loading: KeptGraphLoad? = nil
        // A patch needs the earlier graph, and no suppression comment anywhere (suppressions
        // are matched across the run): every one is either used or reported (LC003).
        let canPatch = earlier.importKey != nil && reader.memo != nil && reader.snapshot != nil
            && earlier.suppressed.isEmpty && !earlier.diagnostics.contains(where: { $0.id == "LC003" })
        let pythonFirst = changed.filter { $0.path.hasSuffix(".py") } + changed.filter { !$0.path.hasSuffix(".py") }
        for (path, oldEntry, newEntry) in pythonFirst {
            if loading == nil, reader.prefetched == nil, !newImports.isEmpty, !path.hasSuffix(".py"), canPatch {
                loading = KeptGraphLoad(earlier: earlier, memo: reader.memo)
            }
            if configuration.isConfigurationFile(path) { return .wholeRun("\(path) is read for the configuration") }
            if config.registeredConfigs.contains(where: { $0.matches(path) }) { return .wholeRun("\(path) is a registered config file") }
            let isLab = config.isStageFile(path), isPython = path.hasSuffix(".py")
            guard isLab || (isPython && importsChecked) else {
                // Nothing reads it: it can have no finding.
                if earlier.diagnostics.contains(where: { $0.file == path }) { return .wholeRun("\(path) had findings") }
                continue
            }
            guard let old = try reader.bytes(oldEntry), let new = try reader.bytes(newEntry) else { return .wholeRun("\(path): a blob could not be read") }
            if [old, new].contains(where: { $0.withUnsafeBufferPointer(SuppressionCheck.mentionsMarker) }) {
                return .wholeRun("\(path) has a suppression comment")
            }
            let source = SourceText(new)
            // Findings of the import phase located in the file (in a Python file, all of them),
            // kept with their source lines cut again: the graph is the same.
            kept[path] = earlier.diagnostics.filter { $0.file == path && (isPython || $0.id.hasPrefix("LC3")) }.map { d -> Diagnostic in
                var d = d.bare
                d.attachSourceLine(from: source)
                return d
            }
            // A whole run lists lab-file findings before import findings (ties keep that order).
            var found: [Diagnostic] = []
            if isLab {
                let oldFile = LabFileReader.read(path: path, bytes: old, conventions: conventions)
                let newFile = LabFileReader.read(path: path, bytes: new, conventions: conventions)
                func material(_ r: Result<LabFile, LabSyntaxError>) -> [UInt8] {
                    (try? r.get()).map { ImportBoundaries.stageCodeMaterial($0, conventions: conventions) } ?? []
                }
                if importsChecked && material(oldFile) != material(newFile) { return .wholeRun("\(path): its stage code changed") }
                switch newFile {
                case .failure(let error): found.append(error.diagnostic)
                case .success(let file):
                    var base: LabFile? = nil
                    let baseVersion = try baseEntry(path)
                    if reader.isRegular(baseVersion), let bytes = try reader.bytes(baseVersion),
                       case .success(let parsed) = LabFileReader.read(path: path, bytes: bytes, conventions: conventions) {
                        base = parsed
                    }
                    let on = Linter.strictness(of: file, strict, conventions: conventions).on
                    found += Linter.checkLabFile(file, base: base, rules: configuration.rules, conventions: conventions, strict: on)
                }
            } else if PythonImportScanner.scan(old) != PythonImportScanner.scan(new) {
                newImports.append((path, new, newEntry))
            }
            fresh[path] = found
        }
        var record = earlier
        var patched: [String] = []
        var patchTimings: String? = nil
        if newImports.isEmpty {
            record.diagnostics = (earlier.diagnostics.filter { fresh[$0.file] == nil } + fresh.map { $0.value + (kept[$0.key] ?? []) }.joined())
                .sorted(by: Diagnostic.sortKey)
        } else {
            // The imports changed: the earlier graph, patched, gives every import finding.
            guard let key = earlier.importKey, let memo = reader.memo, let snapshot = reader.snapshot else {
                return .wholeRun("\(newImports[0].path): its imports changed, and no import graph of the earlier run is kept")
            }
            guard earlier.suppressed.isEmpty, !earlier.diagnostics.contains(where: { $0.id == "LC003" }) else {
                return .wholeRun("\(newImports[0].path): its imports changed, and the snapshot has suppression comments")
            }
            // The earlier graph: kept whole, or as a patch of a kept one.
            let compared = timer.lap()
            var kept: KeptGraph
            let readAhead: Bool
            if let ahead = reader.prefetched?(key) {
                (kept, readAhead) = (ahead, true)
            } else {
                (kept, readAhead) = ((loading ?? KeptGraphLoad(earlier: earlier, memo: memo)).take(), false)
            }
            let earlierPatch = kept.patch
            let root = earlierPatch?.root ?? key
            guard var state = kept.state else {
                return .wholeRun("\(newImports[0].path): its imports changed, and the earlier run's import graph "
                                 + (kept.problems.isEmpty ? "is not in the cache" : "cannot be used: " + kept.problems.joined(separator: "; ")))
            }
            // `state` is then the only reference: patching it does not copy the edge arrays.
            kept.state = nil
            // The earlier findings without the import phase's: it must have reported each of them.
            var remaining = earlier.diagnostics.map(\.bare)
            var index: [Diagnostic: [Int]] = [:]
            for (k, d) in remaining.enumerated() { index[d, default: []].append(k) }
            var dropped = [Bool](repeating: false, count: remaining.count)
            for d in earlierPatch?.reported ?? state.reported {
                guard let k = index[d]?.popLast() else { return .wholeRun("the kept import graph does not match the earlier findings") }
                dropped[k] = true
            }
            remaining = earlier.diagnostics.indices.filter { !dropped[$0] }.map { earlier.diagnostics[$0] }
            // Every file patched in since the root (the earlier patch's, then this change's).
            var files = earlierPatch?.files ?? [:]
            for change in newImports { files[change.path] = change.entry }
            // A few paths: looked up by a scan, not a 20,000-path dictionary.
            let fileIndex = files.keys.reduce(into: [String: Int]()) { index, path in index[path] = state.files.firstIndex { $0.file == path } }
            var timings = "changed files compared in \(compared), " + (readAhead ? "graph read ahead (\(kept.took); waited \(timer.lap()) for it)" : "graph read in \(timer.lap())")
            let table = state.resolutionTable()
            for (path, entry) in files.sorted(by: { $0.key < $1.key }) {
                // A file that is no module of the graph (excluded, outside the roots, a taken
                // name) adds nothing to it.
                guard let k = fileIndex[path] else { continue }
                guard let bytes = try newImports.first(where: { $0.path == path })?.bytes ?? reader.bytes(entry) else {
                    return .wholeRun("\(path): a blob could not be read")
                }
                state.patch(file: k, scan: PythonImportScanner.scan(bytes), table: table)
            }
            patched = newImports.map(\.path).filter { fileIndex[$0] != nil }
            var quiet: [String] = []
            timings += ", \(files.count) file(s) patched in \(timer.lap())"
            var found = ImportBoundaries.conclude(&state, contracts: contracts, scope: .all, log: &quiet)
            timings += ", contracts checked in \(timer.lap())"
            try ImportBoundaries.addSourceLines(&found, snapshot: snapshot, labFiles: [])
            record.diagnostics = (remaining.filter { fresh[$0.file] == nil } + fresh.values.joined() + found).sorted(by: Diagnostic.sortKey)
            record.configurationInvalid = record.diagnostics.contains { ReportSelection.isConfigurationError($0) && $0.severity == .error }
            // The patched graph is known by its root's key and the patched files' entries.
            var material = Array("patched import graph 2\n".utf8) + Array(root.utf8)
            for (path, entry) in files.sorted(by: { $0.key < $1.key }) { material += [0] + Array(path.utf8) + [0] + Array(entry.utf8) }
            let patchedKey = memo.key(material)
            memo.storeGraphPatch(ImportGraphPatch(root: root, files: files, reported: state.reported), key: patchedKey)
            patchTimings = timings + ", findings composed and stored in \(timer.lap())"
            record.importKey = patchedKey
        }
        record.touched = try indexChanges.compactMap { path, entry -> String? in
            guard reader.isRegular(entry) else { return nil }
            let base = try baseEntry(path)
            return reader.isRegular(base) && blobID(base) == blobID(entry) ? nil : path
        }.sorted()
        record.indexChanges = indexChanges
        return .record(record, changed: changed.map(\.path), patched: patched, timings: patchTimings)
    }

    /// An earlier run's kept graph: its patch (if it was patched), the graph it is a patch of,
    /// and why a kept graph could not be used.
    public struct KeptGraph: Sendable {
        public var patch: ImportGraphPatch?
        public var state: ImportGraphState?
        public var problems: [String]
        /// How long reading it took (`-v`).
        public var took = ""

        /// Reads the graph an import key names, and makes its edge order (here, on the calling
        /// thread).
        public static func read(key: String, memo: any ImportMemo) -> KeptGraph {
            var timer = LapTimer()
            let patch = memo.graphPatch(key: key)
            var problems: [String] = []
            var state = memo.graphState(key: patch?.root ?? key) { problems.append($0) }
            // The contract checks' edge order too, here on the reading thread: the patch keeps
            // it in step with the edges.
            let read = timer.lap()
            state?.prepareEdgeOrder()
            return KeptGraph(patch: patch, state: state, problems: problems, took: "read in \(read), ordered in \(timer.lap())")
        }
    }

    /// The earlier run's kept graph, read on another thread.
    final class KeptGraphLoad: @unchecked Sendable {
        // `@unchecked Sendable`: `result` is written once by the reading thread before
        // `group.leave()` and read only after `group.wait()`, which orders the two.
        private let group = DispatchGroup()
        private var result = KeptGraph(patch: nil, state: nil, problems: [])

        init(earlier: RunRecord, memo: (any ImportMemo)?) {
            guard let key = earlier.importKey, let memo else { return }
            group.enter()
            DispatchQueue.global().async { [self] in
                result = KeptGraph.read(key: key, memo: memo)
                group.leave()
            }
        }

        /// The graph, once read; taken, so that the caller holds the only reference and patches
        /// it in place (a second reference would make the first patch copy every edge array).
        func take() -> KeptGraph {
            group.wait()
            let taken = result
            result = KeptGraph(patch: nil, state: nil, problems: [])
            return taken
        }
    }

    /// The blob id of an entry text (`"<mode> <id>"`).
    static func blobID(_ entry: String) -> Substring? { entry.split(separator: " ").last }
}
