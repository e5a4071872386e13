import Dispatch
import LabcheckTOML

/// The field names and kind values that give a lab file its meaning. The engine reads stage
/// files through this policy value and knows no field letters itself: the values come from a
/// rules file (`rules/conventions/<id>.toml`; AGILab's are bundled), read by
/// `StageConventions.read`, every key required.
public struct StageConventions: Sendable {
    /// The `id` of the conventions file.
    public let id: String
    /// The top-level table holding file metadata.
    public let metaKey: String
    /// The `__meta__` key that turns strict mode on for the file.
    public let strictKey: String
    /// The stage field naming a structured stage's kind.
    public let kindKey: String
    /// The stage field holding a stage's id, unique within its module.
    public let idKey: String
    /// The stage field holding a stage's Python code.
    public let codeKey: String
    /// The `kind` of template stages.
    public let templateKind: String
    /// The `kind` of custom-code stages.
    public let rawPythonKind: String
    /// Fields whose presence makes a stage look structured, so a free-form `kind` label on it
    /// is reported as an unknown kind rather than kept as a label.
    public let structuredMarkers: Set<String>
    /// The key schema (`rules/schemas/<id>.toml`) of each stage kind and of the meta table.
    public let templateSchema: String
    public let rawPythonSchema: String
    public let legacySchema: String
    public let metaSchema: String
    /// The fields that name a stage's dependencies (ids of stages in the same module).
    public let dependencyKeys: [String]
    /// The stage fields of template stages and of partial template tagging.
    public let templateIDKey: String
    public let templateVersionKey: String
    public let appKey: String
    public let actionKey: String
    public let taskKey: String
    public let argsKey: String
    /// The fields AGILab's editor keeps a stage by (`D`, `Q`, `C`): a stage with none of them
    /// is dropped on its next save (LC106).
    public let contentKeys: [String]
}

/// What kind of stage a stage table is (DESIGN §2). Classification against the template
/// registry (`current`, `stale`, ...) refines `template` later.
public enum StageKind: Sendable, Hashable {
    /// `kind = "template"`.
    case template
    /// `kind = "raw_python"`.
    case rawPython
    /// No structured kind: a D/Q/M/C stage. `label` keeps a free-form `kind` value if present.
    case legacy(label: String?)
    /// A `kind` that is neither known nor a plain label (LC102 reports it).
    case unknown(String)

    /// `kind = "template"`. (Pattern matching rather than `==`: Swift 6.3's optimizer crashed
    /// on `==` of this payload-carrying enum in release builds.)
    public var isTemplate: Bool { if case .template = self { return true } else { return false } }
    /// `kind = "raw_python"`.
    public var isRawPython: Bool { if case .rawPython = self { return true } else { return false } }
}

/// One stage of a module. A class: every check walks every stage, and copying a struct of
/// five fields retained each of them (~4 % of checking a large lab file).
public final class LabStage: Sendable {
    /// The module (top-level key) the stage belongs to.
    public let module: String
    /// 0-based position in the module.
    public let index: Int
    /// The stage's fields.
    public let table: TOMLTable
    /// The stage's text: its `[[module]]` header or its inline table.
    public let span: ByteSpan
    public let kind: StageKind
    /// The stage id, when it has a string `id`.
    public let id: String?

    init(module: String, index: Int, table: TOMLTable, span: ByteSpan, kind: StageKind, id: String?) {
        self.module = module
        self.index = index
        self.table = table
        self.span = span
        self.kind = kind
        self.id = id
    }

    /// `module[id]`, or `module[#n]` (1-based) for a stage without an id.
    public var displayName: String { id.map { "\(module)[\($0)]" } ?? "\(module)[#\(index + 1)]" }

    /// The stage's own text in `bytes` (its file): from its header (or inline table) to the end
    /// of its last line. The walk over sub-tables is a loop, not recursion.
    public func region(in bytes: [UInt8]) -> ByteSpan {
        var end = span.end
        var pending = [table]
        while let t = pending.popLast() {
            for e in t.entries {
                end = max(end, e.value.span.end)
                if let sub = e.value.table { pending.append(sub) }
            }
        }
        guard table.origin != .inline else { return ByteSpan(span.start, span.end) }
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        return ByteSpan(span.start, min(end + 1, bytes.count))
    }
}

/// One module: a top-level key whose value is the module's list of stages.
public struct LabModule: Sendable {
    public let name: String
    public let keySpan: ByteSpan
    /// Whether stages were written as `[[module]]` tables or as an inline array.
    public let usesArrayOfTables: Bool
    public let stages: [LabStage]
}

/// A parsed lab stage file.
public struct LabFile: Sendable {
    /// Repository-relative path.
    public let path: String
    public let source: SourceText
    public let document: TOMLDocument
    /// The `__meta__` entry, if present and a table.
    public let meta: TOMLEntry?
    public let modules: [LabModule]
    /// Layout problems found while reading (reported by `StageLayoutCheck`, LC101).
    public let layoutProblems: [LayoutProblem]

    /// Every stage of every module, in file order. Stored: every check walks it, and building
    /// it on each use copied every stage (~10 % of checking a large lab file).
    public let stages: [LabStage]

    init(path: String, source: SourceText, document: TOMLDocument, meta: TOMLEntry?, modules: [LabModule], layoutProblems: [LayoutProblem]) {
        self.path = path
        self.source = source
        self.document = document
        self.meta = meta
        self.modules = modules
        self.layoutProblems = layoutProblems
        stages = modules.flatMap(\.stages)
    }
}

/// A lab file that is not valid TOML, as its LC100 diagnostic.
public struct LabSyntaxError: Error, Sendable {
    public let diagnostic: Diagnostic
}

/// A layout problem: what is wrong, where, and how to fix it.
public struct LayoutProblem: Sendable {
    public let message: String
    public let span: ByteSpan
    public let help: String?
    public let notes: [String]
}

/// Reads lab files into the stage model. A syntax error (LC100) means no model; layout
/// problems are recorded on the model for LC101 and the rest of the file is still read.
public enum LabFileReader {
    /// Parses `bytes` as the lab file at `path`: the model, or the LC100 diagnostic when the
    /// file is not valid TOML.
    /// `concurrently`: whether the file is parsed in two pieces side by side and its top-level
    /// entries read side by side (by default, from `parallelFrom` bytes); tests compare both ways.
    public static func read(path: String, bytes: [UInt8], conventions: StageConventions, concurrently: Bool? = nil) -> Result<LabFile, LabSyntaxError> {
        let source = SourceText(bytes)
        let document: TOMLDocument
        let sideBySide = concurrently ?? (bytes.count >= parallelFrom)
        do {
            if sideBySide, let split = TOMLParser.splitPoint(bytes) {
                // A large file's second half (from a `[[module]]` header) is parsed on another
                // core meanwhile; the parser takes it only where one parse would give the same.
                let piece = PieceBox()
                let group = DispatchGroup()
                DispatchQueue.global().async(group: group) {
                    Self.preparePieceThread?()
                    piece.value = TOMLParser.parsePiece(source, from: split)
                }
                defer { group.wait() }
                document = try TOMLParser.parse(source, joining: { group.wait(); return piece.value }, at: split)
            } else {
                document = try TOMLParser.parse(source)
            }
        } catch let error as TOMLSyntaxError {
            return .failure(LabSyntaxError(diagnostic: SyntaxErrorCheck.diagnostic(error, path: path, source: source)))
        } catch {
            return .failure(LabSyntaxError(diagnostic: SyntaxErrorCheck.diagnostic(
                TOMLSyntaxError(message: "\(error)", offset: 0, position: SourcePosition(line: 1, column: 1)), path: path, source: source)))
        }
        // Each top-level entry is the metadata table, a module, or a layout problem, read on
        // its own: a large file's entries are read side by side and joined in file order, the
        // same model and problems as one after the other (tested both ways).
        let entries = document.root.entries
        var read = [(meta: TOMLEntry?, module: LabModule?, problems: [LayoutProblem])](repeating: (nil, nil, []), count: entries.count)
        if sideBySide && entries.count > 1 {
            read.withUnsafeMutableBufferPointer { out in
                // Each iteration writes only its own element `k`; the parsed document is
                // immutable and the source's lazy line index takes a lock.
                nonisolated(unsafe) let out = out
                DispatchQueue.concurrentPerform(iterations: entries.count) { k in out[k] = readEntry(entries[k], path: path, source: source, conventions: conventions) }
            }
        } else {
            for k in entries.indices { read[k] = readEntry(entries[k], path: path, source: source, conventions: conventions) }
        }
        let meta = read.last { $0.meta != nil }?.meta
        let modules = read.compactMap(\.module)
        let problems = read.flatMap(\.problems)
        return .success(LabFile(path: path, source: source, document: document, meta: meta, modules: modules, layoutProblems: problems))
    }

    /// The size (bytes) from which a lab file is parsed in two pieces and its top-level
    /// entries are read side by side.
    static let parallelFrom = 256 * 1024

    /// Run on the thread that parses a second piece before it parses: the CLI advises that
    /// thread's heap for huge pages there (`HugePageHeap`; a document is built on fresh memory).
    /// Set once at start, before any lab file is read.
    nonisolated(unsafe) public static var preparePieceThread: (@Sendable () -> Void)? = nil

    /// The second piece of a parse, handed from the thread that parsed it.
    private final class PieceBox: @unchecked Sendable {
        // `@unchecked Sendable`: written once by the parsing thread, read after the group's wait.
        var value: TOMLParser.Piece? = nil
    }

    /// One top-level entry of a lab file: the metadata table, a module and its stages, or
    /// neither; with its layout problems in file order.
    private static func readEntry(_ entry: TOMLEntry, path: String, source: SourceText, conventions: StageConventions)
        -> (meta: TOMLEntry?, module: LabModule?, problems: [LayoutProblem]) {
        var problems: [LayoutProblem] = []
        func layout(_ message: String, _ span: ByteSpan, help: String? = nil, notes: [String] = []) {
            problems.append(LayoutProblem(message: message, span: span, help: help, notes: notes))
        }
        if entry.key == conventions.metaKey {
            if entry.value.table != nil { return (entry, nil, []) }
            layout("'\(conventions.metaKey)' must be a table, found a \(entry.value.value.typeName)", entry.keySpan)
            return (nil, nil, problems)
        }
        guard case .array(let array) = entry.value.value else {
            let help = entry.value.table != nil
                ? "write each stage as [[\(entry.key)]] (an array of tables), not [\(entry.key)]"
                : "a top-level key other than '\(conventions.metaKey)' names a module and holds its list of stages"
            layout("module '\(entry.key)' must be an array of stage tables, found a \(entry.value.value.typeName)", entry.keySpan, help: help)
            return (nil, nil, problems)
        }
        // `module = []` is valid: AGILab's editor saves it when a module's last stage is deleted.
        var stages: [LabStage] = []
        stages.reserveCapacity(array.items.count)
        var firstByID: [String: LabStage] = [:]
        firstByID.reserveCapacity(array.items.count)
        for (index, item) in array.items.enumerated() {
            guard let table = item.table else {
                layout("stage \(index + 1) of module '\(entry.key)' must be a table, found a \(item.value.typeName)", item.span)
                continue
            }
            let idNode = table[conventions.idKey]
            let id = idNode?.string
            if let idNode, id == nil {
                layout("stage id must be a string, found a \(idNode.value.typeName)", idNode.span)
            }
            let stage = LabStage(module: entry.key, index: index, table: table, span: item.span,
                                 kind: classify(table, conventions), id: id)
            if let id, let idNode {
                if let first = firstByID[id] {
                    let at = source.position(of: first.table[conventions.idKey]?.span.start ?? first.span.start)
                    layout("duplicate stage id '\(id)' in module '\(entry.key)'", idNode.span,
                           help: "stage ids must be unique within a module; rename one of them",
                           notes: ["first used at \(path):\(at)"])
                } else {
                    firstByID[id] = stage
                }
            }
            stages.append(stage)
        }
        return (nil, LabModule(name: entry.key, keySpan: entry.keySpan, usesArrayOfTables: array.isArrayOfTables, stages: stages), problems)
    }

    /// Classifies a stage by its `kind` field.
    static func classify(_ table: TOMLTable, _ conventions: StageConventions) -> StageKind {
        guard let kindNode = table[conventions.kindKey] else { return .legacy(label: nil) }
        guard let kind = kindNode.string else { return .unknown("<\(kindNode.value.typeName)>") }
        if kind == conventions.templateKind { return .template }
        if kind == conventions.rawPythonKind { return .rawPython }
        let looksStructured = table.entries.contains { conventions.structuredMarkers.contains($0.key) }
        if looksStructured || isNearMiss(kind, conventions) { return .unknown(kind) }
        return .legacy(label: kind)
    }

    /// A misspelling of a structured kind, e.g. `Template`, `raw-python`, `rawpython`, `templat`.
    static func isNearMiss(_ kind: String, _ conventions: StageConventions) -> Bool {
        let squash = { (s: String) in String(s.lowercased().filter { $0 != "_" && $0 != "-" && $0 != " " }) }
        for known in [conventions.templateKind, conventions.rawPythonKind] {
            if squash(kind) == squash(known) || NearestName.distance(kind.lowercased(), known) <= 2 { return true }
        }
        return false
    }
}

extension LabFile {
    /// What a finding at `position` is about, without the position: `lab|module|stage|key.path`
    /// (the stage by id, or `#n`; the key path of the deepest key or value containing it). The
    /// ratchet's fingerprint uses it, so a finding that moves stays the same finding.
    public func subject(at position: SourcePosition) -> String { subjects(at: [position])[0] }

    /// `subject(at:)` for many positions at once, in one pass over the stages and the tables
    /// that hold a position: thousands of findings in one file cost about what one does.
    public func subjects(at positions: [SourcePosition]) -> [String] {
        guard !positions.isEmpty else { return [] }
        let offsets = positions.map { source.offset(of: $0) }
        let order = offsets.indices.sorted { offsets[$0] < offsets[$1] }
        let sorted = order.map { offsets[$0] }
        /// Indices into `order` of the positions in `lo..<hi` (offsets), by binary search.
        func within(_ lo: Int, _ hi: Int, among range: Range<Int>) -> Range<Int> {
            func lowerBound(_ x: Int) -> Int {
                var a = range.lowerBound, b = range.upperBound
                while a < b { let m = (a + b) / 2; if sorted[m] < x { a = m + 1 } else { b = m } }
                return a
            }
            return lowerBound(lo)..<max(lowerBound(lo), lowerBound(hi))
        }
        var stagePart = [String](repeating: "|", count: positions.count)
        var table = [TOMLTable?](repeating: nil, count: positions.count)   // nil: the document's root
        var claimed = [Bool](repeating: false, count: positions.count)
        for stage in stages {
            let region = stage.region(in: source.bytes)
            for k in within(region.start, max(region.end, region.start + 1), among: 0..<sorted.count) where !claimed[k] {
                claimed[k] = true
                stagePart[k] = "\(stage.module)|\(stage.id ?? "#\(stage.index + 1)")"
                table[k] = stage.table
            }
        }
        // The deepest key whose key or value holds each offset: a work list of (table, the
        // sorted positions in it), no recursion; within a table the first entry that holds a
        // position takes it.
        var path = [[String]](repeating: [], count: positions.count)
        var groups: [ObjectIdentifier: (TOMLTable, [Int])] = [:]
        for k in 0..<sorted.count {
            let t = table[k] ?? document.root
            groups[ObjectIdentifier(t), default: (t, [])].1.append(k)
        }
        var work = Array(groups.values)
        while let (t, members) = work.popLast() {
            // `members` are indices into `sorted`, ascending.
            let local = members.map { sorted[$0] }
            var taken = [Bool](repeating: false, count: members.count)
            var deeper: [ObjectIdentifier: (TOMLTable, [Int])] = [:]
            func lowerBound(_ x: Int) -> Int {
                var a = 0, b = local.count
                while a < b { let m = (a + b) / 2; if local[m] < x { a = m + 1 } else { b = m } }
                return a
            }
            for entry in t.entries {
                for span in [entry.keySpan, entry.value.span] where span.end > span.start {
                    var j = lowerBound(span.start)
                    while j < local.count && local[j] < span.end {
                        if !taken[j] {
                            taken[j] = true
                            path[members[j]].append(entry.key)
                            if let sub = entry.value.table { deeper[ObjectIdentifier(sub), default: (sub, [])].1.append(members[j]) }
                        }
                        j += 1
                    }
                }
            }
            for (_, group) in deeper { work.append((group.0, group.1.sorted())) }
        }
        var out = [String](repeating: "", count: positions.count)
        for (k, original) in order.enumerated() {
            out[original] = "lab|\(stagePart[k])|\(path[k].joined(separator: "."))"
        }
        return out
    }
}
