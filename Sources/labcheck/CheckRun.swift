import Foundation
import LabcheckCore
import LabcheckGit

/// The findings one `labcheck check` needs, from the result cache when it has them, else from
/// a run of every check over the whole snapshot:
/// - the snapshot's record: every finding with every file checked, compared with the diff base
///   (key: labcheck's identity, the options, the snapshot's tree, the base's tree);
/// - the base's record, only when some finding lies outside the touched files (or for
///   `--new-only`): the base's findings, checked without a base of its own.
/// A run stores its record twice: as is, and without the base-comparing checks' findings (what
/// the next commit needs as its base). Nothing is opened in full until a record is missing: a
/// repeated run, or one with nothing staged, reads the index and two small files.
final class CheckRun {
    let repository: GitRepository
    let request: WorkspaceRequest
    let bundled: BundledRules.Files
    /// The bundled rules, parsed on first use (a run answered from the cache never needs them),
    /// or on another thread from the start when the index changed (the run will need them, and
    /// libgit2 reads the index meanwhile).
    var rules: RuleSet { parsedRules.value }
    private let parsedRules: Lazy<RuleSet>
    let strict: Bool
    let verbose: Bool
    let identity: RunIdentity?
    let store: ResultStore?
    let cacheDirectory: CacheDirectory?
    let log: (String) -> Void
    private var openedWorkspace: Workspace?
    private var scanCache: ImportScanCache?
    private var memos: (lab: LabMemoStore, imports: ImportMemoStore)?
    /// The earlier staged run's kept import graph, read ahead while libgit2 reads a changed index.
    private let prefetch = GraphPrefetch()

    init(directory: String = FileManager.default.currentDirectoryPath, environment: [String: String] = ProcessInfo.processInfo.environment,
         request: WorkspaceRequest, rules: BundledRules.Files, strict: Bool, verbose: Bool,
         cacheDir: String?, noCache: Bool, log: @escaping (String) -> Void) throws {
        parsedRules = Lazy { rules.parse() }
        // Every check runs: the rules are needed, and parsed meanwhile from the start.
        if noCache { parsedRules.start() }
        let opened = Date()
        repository = try GitRepository(discoverFrom: directory, environment: environment)
        log("timing: repository opened in \(Int(Date().timeIntervalSince(opened) * 1000)) ms")
        log(HugePageHeap.summary)
        self.request = request
        bundled = rules
        self.strict = strict
        self.verbose = verbose
        self.log = log
        if noCache {
            (identity, store, cacheDirectory) = (nil, nil, nil)
            log("cache: off (--no-cache)")
        } else {
            let directory = CacheDirectory(repository: repository, explicit: cacheDir)
            log("cache: \(directory.path) (\(directory.how))")
            cacheDirectory = directory
            store = ResultStore(directory: directory)
            // The bundled rules are parsed on another thread while libgit2 reads a changed index.
            // So is the earlier staged run's kept import graph, which a change that edits imports
            // patches (a change that does not leaves it unused: another core's time, not the run's).
            let earlier: @Sendable (String) -> RunRecord? = { [store, bundled, strict] baseTree in
                Self.earlierRecord(store: store, baseTree: baseTree, key: { Self.key(tree: $0, base: $1, rules: bundled.digest, strict: strict) })?.record
            }
            identity = try RunIdentity(repository: repository, request: request, stamps: IndexStamps(directory: directory, log: log), log: log,
                                       readingIndex: { [parsedRules, prefetch] baseTree in
                parsedRules.start()
                guard case .staged = request.mode, baseTree != RunIdentity.emptyTree else { return }
                prefetch.start {
                    guard let key = earlier(baseTree)?.importKey else { return nil }
                    // The graph's arrays are built on this thread's fresh memory.
                    prefetch.arenaAdvised = HugePageHeap.adviseThisThreadsArena()
                    let memo = ImportMemoStore(directory: directory, configurationIdentity: "patched import graphs", log: { _ in })
                    return (key, IncrementalCheck.KeptGraph.read(key: key, memo: memo))
                }
            })
            if let identity {
                log("result cache: snapshot tree \(identity.snapshotTree.prefix(12)), diff base tree \(identity.baseTree.prefix(12))"
                    + (identity.snapshotTree == identity.baseTree ? " (equal: nothing changed)" : ""))
            } else {
                log("result cache: not used for this snapshot (a work tree has no tree id until every file is hashed)")
            }
        }
    }

    /// The workspace (snapshot, diff base, touched set, configuration), opened on first use.
    func workspace() throws -> Workspace {
        if let openedWorkspace { return openedWorkspace }
        let workspace = try Workspace(repository: repository, request: request, bundledRules: rules)
        workspace.log.forEach(log)
        openedWorkspace = workspace
        return workspace
    }

    /// The key of a record: labcheck's version and binary, the bundled rules, the options, the
    /// snapshot's tree and the base's (nil: checked without a base).
    func key(tree: String, base: String?) -> String { Self.key(tree: tree, base: base, rules: bundled.digest, strict: strict) }

    static func key(tree: String, base: String?, rules: String, strict: Bool) -> String {
        var digest = ownIdentity("labcheck run record 1", rules: rules, strict: strict)
        digest.add(tree)
        digest.add(base ?? "no base")
        return Digest.hex(digest.finish())
    }

    /// A digest begun with what every cached result depends on: its kind, labcheck's version
    /// and binary, the bundled rules and the options.
    private func ownIdentity(_ kind: String) -> Digest { Self.ownIdentity(kind, rules: bundled.digest, strict: strict) }

    private static func ownIdentity(_ kind: String, rules: String, strict: Bool) -> Digest {
        var digest = Digest()
        digest.add(kind)
        digest.add(Labcheck.version)
        digest.add(Self.executableIdentity)
        digest.add(rules)
        digest.add(strict ? "strict" : "not strict")
        return digest
    }

    /// The running binary's device, inode, size and modification time: a rebuilt labcheck never
    /// reads results an earlier build cached.
    static let executableIdentity: String = {
        var info = stat()
        guard stat("/proc/self/exe", &info) == 0 else { return "unknown binary \(UUID())" }
        return "\(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }()

    /// Whether the touched set is known to be empty without opening the workspace.
    var nothingChanged: Bool { identity.map { $0.snapshotTree == $0.baseTree } ?? false }

    /// The snapshot's record (every file checked, against the diff base).
    func snapshotRecord() throws -> RunRecord {
        if let identity, let store {
            if let hit = store.load(key(tree: identity.snapshotTree, base: identity.baseTree), log: log) {
                log("result cache: the snapshot's findings from the cache (`--no-cache -v` shows how they are found)")
                return hit
            }
            // Nothing changed: the snapshot is its own base, so its record without a base is
            // its record (base-comparing checks find nothing when nothing changed).
            if nothingChanged, var hit = store.load(key(tree: identity.snapshotTree, base: nil), log: log) {
                log("result cache: the snapshot's findings from the cache (nothing changed since the diff base)")
                hit.touched = []
                return hit
            }
        }
        if let record = try incrementalRecord() { return record }
        let workspace = try workspace()
        var lint = workspace.lintRequest(strictFlag: strict, importCache: scanCache ?? ImportScanCache())
        useMemos(&lint, workspace.snapshot, configuration: workspace.configuration)
        lint.scope = .all
        lint.verbose = verbose
        let result = try Linter.run(lint)
        ProcessExit.keep(result.labFiles)
        if scanCache != nil { scanCache = result.importCache }
        result.log.forEach(log)
        var record = RunRecord(result, touched: request.all ? nil : workspace.scope.touched)
        if let identity, let store {
            let recordKey = key(tree: identity.snapshotTree, base: identity.baseTree)
            // An `--all` run does not compute the touched set: keep the one a staged run stored.
            if record.touched == nil, let earlier = store.load(recordKey, log: { _ in }) { record.touched = earlier.touched }
            if case .staged = request.mode, identity.baseTree != RunIdentity.emptyTree {
                record.indexChanges = try? repository.indexChanges(againstTree: identity.baseTree)
            }
            save(record, identity, store)
        }
        return record
    }

    /// Stores a snapshot's record (as is, and without the base-comparing checks), and for a
    /// staged snapshot, as the latest staged record against its base (where the next
    /// incremental check starts). Nothing is stored if the index changed during the run.
    private func save(_ record: RunRecord, _ identity: RunIdentity, _ store: ResultStore) {
        guard identity.isCurrent(repository, request) else {
            log("result cache: the index changed during the run; nothing stored")
            return
        }
        store.save(record, key: key(tree: identity.snapshotTree, base: identity.baseTree), log: log)
        store.save(record.withoutBase(), key: key(tree: identity.snapshotTree, base: nil), log: log)
        if record.indexChanges != nil, !store.alias(key(tree: identity.snapshotTree, base: identity.baseTree), as: latestStagedKey(identity)) {
            store.save(record, key: latestStagedKey(identity), log: log)
        }
    }

    /// Where the latest staged record against a base is kept (the key of no tree).
    private func latestStagedKey(_ identity: RunIdentity) -> String { key(tree: "latest staged record", base: identity.baseTree) }

    /// Where an incremental check against a base starts: the latest staged record against it;
    /// else (the first staged run after a commit) the base's own record, checked without a
    /// base: the snapshot the hook checked before the commit, which differs from its base
    /// nowhere. `key` makes a record's key from a tree and a base.
    static func earlierRecord(store: ResultStore?, baseTree: String, key: (String, String?) -> String,
                              log: (String) -> Void = { _ in }) -> (record: RunRecord, origin: String)? {
        guard let store else { return nil }
        if let latest = store.load(key("latest staged record", baseTree), log: log) { return (latest, "the latest staged run's findings") }
        guard var own = store.load(key(baseTree, nil), log: log) else { return nil }
        own.indexChanges = [:]
        return (own, "the diff base's findings")
    }

    /// The snapshot's record from the latest staged record against the same base, when what
    /// changed in between allows it (`IncrementalCheck`); nil when a whole run is needed.
    private func incrementalRecord() throws -> RunRecord? {
        guard let identity, let store, case .staged = request.mode, !nothingChanged, identity.baseTree != RunIdentity.emptyTree else { return nil }
        guard let (earlier, origin) = Self.earlierRecord(store: store, baseTree: identity.baseTree, key: key, log: log) else { return nil }
        let started = Date()
        let staged = try IndexPathsReader(repository: repository)
        let configuration = try RepositoryConfiguration.load(staged, bundled: rules)
        let changes = try repository.indexChanges(againstTree: identity.baseTree)
        let repository = self.repository, baseTree = identity.baseTree
        // Kept graphs are read and stored by key: the earlier record names its graph's, and a
        // patched graph's key is derived from it (which folds in the configuration's identity).
        let graphs = cacheDirectory.map { ImportMemoStore(directory: $0, configurationIdentity: "patched import graphs", log: log) }
        var reader = IncrementalCheck.Reader(baseEntry: { try repository.treeEntry($0, inTree: baseTree) },
                                             bytes: { try repository.blobBytes(ofEntry: $0) },
                                             isRegular: GitRepository.isRegularEntry, snapshot: staged, memo: graphs)
        if prefetch.started { reader.prefetched = { [prefetch] key in prefetch.take(key: key) } }
        switch try IncrementalCheck.run(from: earlier, indexChanges: changes, configuration: configuration, strictFlag: strict, reader: reader) {
        case .wholeRun(let why):
            log("incremental: a whole run is needed (\(why))")
            return nil
        case .record(let record, let changed, let patched, let timings):
            if let timings { log("incremental: \(timings)") }
            if let advised = prefetch.takenArenaAdvised {
                log("incremental: the graph was read ahead on a thread whose heap had " + (advised > 0 ? "\(advised >> 20) MiB advised for transparent huge pages" : "ordinary pages"))
            }
            log("incremental: from \(origin); \(changed.count) file(s) changed since: "
                + changed.prefix(5).joined(separator: ", ") + (changed.count > 5 ? ", ..." : "")
                + (patched.isEmpty ? "" : "; the kept import graph patched with the new imports of \(patched.count) file(s), every contract checked again")
                + " (\(Int(Date().timeIntervalSince(started) * 1000)) ms; `--no-cache` checks everything)")
            save(record, identity, store)
            return record
        }
    }

    /// What the run reports: the snapshot's record, and its findings and suppressed findings
    /// in the report scope (README, "What a commit is checked for"): all of them with `--all`.
    func report() throws -> (record: RunRecord, findings: [Diagnostic], suppressed: [SuppressedFinding]) {
        let record = try snapshotRecord()
        guard !request.all else { return (record, record.diagnostics, record.suppressed) }
        let touched = try touched(record)
        let selection = try ReportSelection.select(record, touched: touched, baseFindings: baseFindings)
        log("scope: \(touched.count) touched file(s); reported: findings in them, configuration errors"
            + (selection.neededBase ? ", and \(selection.newElsewhere) finding(s) elsewhere that are new since the diff base"
               + " (\(selection.alsoAtBase) elsewhere also at the base, not reported)" : " (no finding elsewhere)"))
        return (record, selection.diagnostics, selection.suppressed)
    }

    /// The touched set of a record made without it (by an `--all` run).
    func touched(_ record: RunRecord) throws -> Set<String> {
        if let touched = record.touched { return Set(touched) }
        if nothingChanged { return [] }
        guard let touched = try workspace().scope.touched else { return [] }
        return touched
    }

    /// The diff base's findings, checked without a base of its own.
    func baseFindings() throws -> [Diagnostic] {
        if let identity, let store, let hit = store.load(key(tree: identity.baseTree, base: nil), log: log) {
            log("result cache: the diff base's findings from the cache")
            return hit.diagnostics
        }
        let base = try workspace().diffBase()
        let configuration = try RepositoryConfiguration.load(base, bundled: rules)
        var lint = LintRequest(snapshot: base, scope: .all, configuration: configuration, strictFlag: strict, importCache: scanCache ?? ImportScanCache())
        useMemos(&lint, base, configuration: configuration)
        lint.verbose = false
        let result = try Linter.run(lint)
        ProcessExit.keep(result.labFiles)
        if scanCache != nil { scanCache = result.importCache }
        log("diff base: checked in full (\(base.label)): \(result.diagnostics.count) finding(s)")
        let record = RunRecord(result, touched: nil)
        if let identity, let store { store.save(record, key: key(tree: identity.baseTree, base: nil), log: log) }
        return record.diagnostics
    }

    /// Gives a request the scan cache (loaded only when its import phase runs) and the memos
    /// for its snapshot's configuration: none for a work tree (its files may change while they
    /// are read, and their ids are hashes taken before) or with `--no-cache`.
    private func useMemos(_ lint: inout LintRequest, _ snapshot: any SnapshotReader, configuration: RepositoryConfiguration) {
        lint.importCacheLoader = { [unowned self] in self.loadScanCache() }
        guard let cacheDirectory, snapshot.label != "worktree" else { return }
        // The configuration's identity: labcheck's, the options, and every file the
        // configuration is read from (by blob id).
        var digest = ownIdentity("labcheck configuration 1")
        for path in snapshot.paths where configuration.isConfigurationFile(path) {
            digest.add(path)
            digest.add(snapshot.contentID(path) ?? "unknown \(UUID())")
        }
        let identity = Digest.hex(digest.finish())
        // One pair per configuration: the snapshot's and the base's runs usually share them.
        if memos?.lab.identity != identity {
            saveMemos()
            memos = (LabMemoStore(directory: cacheDirectory, configurationIdentity: identity, log: log),
                     ImportMemoStore(directory: cacheDirectory, configurationIdentity: identity, log: log))
        }
        lint.memo = memos?.lab
        lint.importMemo = memos?.imports
    }

    private func saveMemos() {
        memos?.lab.save(log: log)
        memos?.imports.save(log: log)
    }

    private func loadScanCache() -> ImportScanCache {
        if let scanCache { return scanCache }
        let cache = cacheDirectory.map { ImportCacheStore.load($0, log: log) } ?? ImportScanCache()
        scanCache = cache
        return cache
    }

    /// Writes the scan cache back if a run changed it.
    func finish() {
        saveMemos()
        guard let scanCache, let cacheDirectory else { return }
        ImportCacheStore.save(scanCache, to: cacheDirectory, log: log)
    }
}

/// A kept import graph read on another thread from before the index is read (the earlier
/// record needs only the diff base): by the time the incremental check finds a change that
/// edited imports, the graph is in memory. A run that needs no graph does not wait for the
/// read: the process ends while it runs, without the C library's exit handlers
/// (`ProcessExit.now`), so that none (OpenSSL's cleanup) frees state the reading thread uses.
final class GraphPrefetch: @unchecked Sendable {
    /// Entered while a read runs (`ProcessExit.now` asks whether one does, without waiting).
    static let reads = DispatchGroup()
    // `@unchecked Sendable`: `result` and `arenaAdvised` are written once by the reading thread
    // before `group.leave()` and read only after `group.wait()`; `started` and
    // `takenArenaAdvised` only on the main thread.
    private let group = DispatchGroup()
    private var result: (key: String, graph: IncrementalCheck.KeptGraph)? = nil
    private(set) var started = false
    /// Set by the reading thread before it reads (`HugePageHeap.adviseThisThreadsArena`).
    var arenaAdvised: Int? = nil
    /// `arenaAdvised` once a graph was taken; nil before (or when none was read).
    private(set) var takenArenaAdvised: Int? = nil

    func start(_ read: @escaping @Sendable () -> (String, IncrementalCheck.KeptGraph)?) {
        guard !started else { return }
        started = true
        group.enter()
        Self.reads.enter()
        DispatchQueue.global().async { [self] in
            result = read()
            group.leave()
            Self.reads.leave()
        }
    }

    /// The graph `key` names, if that is what was read; taken (the caller holds the only
    /// reference, and patches it in place).
    func take(key: String) -> IncrementalCheck.KeptGraph? {
        group.wait()
        guard let read = result, read.key == key else { return nil }
        result = nil
        takenArenaAdvised = arenaAdvised
        return read.graph
    }
}
