import LabcheckTOML

/// The kind of a value in a configuration tree, whatever its file format.
public enum ConfigValueKind: String, Sendable {
    case string, integer, float, boolean, datetime, array, table, null

    /// The kind of a TOML value.
    public init(_ value: TOMLValue) {
        switch value {
        case .string: self = .string
        case .integer: self = .integer
        case .float: self = .float
        case .bool: self = .boolean
        case .datetime: self = .datetime
        case .array: self = .array
        case .table: self = .table
        }
    }
}

/// A format-neutral tree (TOML or YAML) with positions, checked against key schemas.
public struct ConfigNode: Sendable {
    public var kind: ConfigValueKind
    public var entries: [ConfigEntry] = []
    public var items: [ConfigNode] = []
    public var start: SourcePosition
    public var end: SourcePosition

    /// The tree of a TOML table.
    public static func from(_ table: TOMLTable, span: ByteSpan, source: SourceText) -> ConfigNode {
        var hint = 0
        return from(table, span: span, source: source, hint: &hint)
    }

    /// The tree of a TOML value.
    public static func from(_ value: TOMLNode, source: SourceText) -> ConfigNode {
        var hint = 0
        return from(value, source: source, hint: &hint)
    }

    /// The same, with positions taken in file order where the tree allows (`hint`: the line of
    /// the last one, kept across the stages of a file), so a stage of a large lab file costs no
    /// search of the whole file per key. Depth is bounded by the TOML parser's nesting limit.
    public static func from(_ table: TOMLTable, span: ByteSpan, source: SourceText, hint: inout Int) -> ConfigNode {
        let start = source.position(of: span.start, hint: &hint)
        var node = ConfigNode(kind: .table, start: start, end: start)
        node.entries.reserveCapacity(table.entries.count)
        for e in table.entries {
            let keyStart = source.position(of: e.keySpan.start, hint: &hint), keyEnd = source.position(of: e.keySpan.end, hint: &hint)
            node.entries.append(ConfigEntry(key: e.key, keyStart: keyStart, keyEnd: keyEnd, node: from(e.value, source: source, hint: &hint)))
        }
        node.end = source.position(of: span.end, hint: &hint)
        return node
    }

    private static func from(_ value: TOMLNode, source: SourceText, hint: inout Int) -> ConfigNode {
        switch value.value {
        case .table(let t): return from(t, span: value.span, source: source, hint: &hint)
        case .array(let a):
            let start = source.position(of: value.span.start, hint: &hint)
            var node = ConfigNode(kind: .array, start: start, end: start)
            node.items = a.items.map { from($0, source: source, hint: &hint) }
            node.end = source.position(of: value.span.end, hint: &hint)
            return node
        default:
            let start = source.position(of: value.span.start, hint: &hint)
            return ConfigNode(kind: ConfigValueKind(value.value), start: start, end: source.position(of: value.span.end, hint: &hint))
        }
    }
}

/// One key of a configuration table.
public struct ConfigEntry: Sendable {
    public var key: String
    public var keyStart: SourcePosition
    public var keyEnd: SourcePosition
    public var node: ConfigNode
}

/// A key schema (`rules/schemas/<id>.toml`): the known keys of a stage kind, `__meta__`, or a
/// config format, as dotted paths whose segments may be globs (`NB_*`, `extensions.*`); a key
/// marked `free` accepts anything beneath it.
public struct KeySchema: Sendable {
    /// One declared key.
    public struct Key: Sendable {
        public let path: [String]
        public let type: RuleValueType
        public let required: Bool
        public let free: Bool
        /// Whether each segment of `path` is a glob (`*` or `?`), decided once: a large lab
        /// file asks for every key of every stage.
        let globs: [Bool]
        public var dotted: String { path.joined(separator: ".") }

        init(path: [String], type: RuleValueType, required: Bool, free: Bool) {
            self.path = path
            self.type = type
            self.required = required
            self.free = free
            globs = path.map { $0.utf8.contains(where: { $0 == 0x2A || $0 == 0x3F }) }
        }

        /// Whether `names` is this key's path (or, `prefix`, the start of it), segment by segment.
        func matches(_ names: [String], prefix: Bool) -> Bool {
            guard prefix ? path.count > names.count : path.count == names.count else { return false }
            for (k, name) in names.enumerated() where !(globs[k] ? Glob.matchName(path[k], name) : path[k] == name) { return false }
            return true
        }
    }

    public let id: String
    public let description: String?
    public let keys: [Key]
    /// Groups of keys of which exactly one must be present.
    public let exactlyOneOf: [[String]]
    public let path: String
    /// The paths of required keys without a `*` segment (those `check` looks up), decided once.
    private let requiredPaths: [[String]]
    /// For one-segment paths, decided once: the positions of one-segment glob keys, and for
    /// every name some exact one-segment key has, the key `key(matching:)` answers for it (the
    /// first exact key, or an earlier glob that matches the name). A stage's fields are all
    /// one-segment paths and nearly all of them such names: they are found in `exactByShape`'s
    /// bucket of their length and first byte by comparing a few strings, with no hashing.
    private let singleGlobs: [Int]
    private let exactByShape: [[(name: String, key: Int)]]

    /// The bucket of `name` in `exactByShape`.
    @inline(__always) private static func shape(of name: String) -> Int {
        let utf8 = name.utf8
        return (utf8.count &* 7 &+ Int(utf8.first ?? 0) &* 3) & 63
    }

    init(id: String, description: String?, keys: [Key], exactlyOneOf: [[String]], path: String) {
        self.id = id
        self.description = description
        self.keys = keys
        self.exactlyOneOf = exactlyOneOf
        self.path = path
        requiredPaths = keys.filter { $0.required && !$0.path.contains(where: { $0.utf8.contains(0x2A) }) }.map(\.path)
        var exact: [String: Int] = [:], globs: [Int] = []
        for (i, k) in keys.enumerated() where k.path.count == 1 {
            if k.globs[0] { globs.append(i) } else if exact[k.path[0]] == nil { exact[k.path[0]] = i }
        }
        singleGlobs = globs
        var buckets = [[(name: String, key: Int)]](repeating: [], count: 64)
        for (name, first) in exact.sorted(by: { $0.value < $1.value }) {
            let answer = globs.first { $0 < first && Glob.matchName(keys[$0].path[0], name) } ?? first
            buckets[KeySchema.shape(of: name)].append((name, answer))
        }
        exactByShape = buckets
    }

    /// A problem found by `check`.
    public enum Finding: Sendable {
        case unknown(path: String, entry: ConfigEntry, suggestion: String?)
        case wrongType(path: String, expected: RuleValueType, found: ConfigValueKind, node: ConfigNode)
        case missing(path: String)
        case notExactlyOne(group: [String], present: [String])
    }

    static func read(_ root: TOMLTable, _ r: inout RuleFileReader, path: String) -> KeySchema? {
        r.rejectUnknownKeys(root, known: ["id", "description", "keys", "exactly_one_of"], context: "a key schema")
        let id = r.string(root, "id", required: true, span: ByteSpan(0, 0))
        var keys: [Key] = []
        for e in r.table(root, "keys")?.entries ?? [] {
            let segments = e.key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if segments.contains(where: \.isEmpty) { r.problem("key path '\(e.key)' has an empty segment", e.keySpan); continue }
            if e.value.string != nil {
                if let t = r.valueType(e.value, what: "key '\(e.key)'") { keys.append(Key(path: segments, type: t, required: false, free: false)) }
                continue
            }
            guard let spec = e.value.table else {
                r.problem("key '\(e.key)' must be a type name or a table, found a \(e.value.value.typeName)", e.value.span)
                continue
            }
            r.rejectUnknownKeys(spec, known: ["type", "required", "free", "description"], context: "schema key '\(e.key)'")
            guard let typeNode = spec["type"], let t = r.valueType(typeNode, what: "key '\(e.key)'") else {
                if spec["type"] == nil { r.problem("schema key '\(e.key)' needs a 'type'", e.keySpan) }
                continue
            }
            let free = r.bool(spec, "free") ?? false
            if free && t != .table && t != .any { r.problem("only a table or 'any' key can be free-form", spec["free"]!.span) }
            keys.append(Key(path: segments, type: t, required: r.bool(spec, "required") ?? false, free: free))
        }
        var groups: [[String]] = []
        if let node = root["exactly_one_of"] {
            if let a = node.array, a.items.allSatisfy({ $0.array?.items.allSatisfy { $0.string != nil } ?? false }) {
                groups = a.items.map { $0.array!.items.compactMap(\.string) }
            } else {
                r.problem("'exactly_one_of' must be an array of arrays of key names", node.span)
            }
        }
        guard let id else { return nil }
        return KeySchema(id: id, description: r.string(root, "description", span: ByteSpan(0, 0)), keys: keys, exactlyOneOf: groups, path: path)
    }

    private static func segmentMatches(_ pattern: String, _ name: String) -> Bool {
        pattern.utf8.contains(where: { $0 == 0x2A || $0 == 0x3F }) ? Glob.matchName(pattern, name) : pattern == name   // * or ?, on bytes: Foundation's contains is slow
    }

    func key(matching path: [String]) -> Key? {
        guard path.count == 1 else { return keys.first { $0.matches(path, prefix: false) } }
        return key(named: path[0])
    }

    /// `key(matching: [name])`: the first key in `keys` whose one-segment path matches `name`.
    private func key(named name: String) -> Key? {
        for entry in exactByShape[KeySchema.shape(of: name)] where entry.name == name { return keys[entry.key] }
        // No exact key has the name: the first glob that matches it, if any.
        for i in singleGlobs where Glob.matchName(keys[i].path[0], name) { return keys[i] }
        return nil
    }

    private func isIntermediate(_ path: [String]) -> Bool {
        keys.contains { $0.matches(path, prefix: true) }
    }

    /// Checks a table against the schema.
    public func check(_ table: ConfigNode) -> [Finding] {
        var findings: [Finding] = []
        walk(table, prefix: [], into: &findings)
        for path in requiredPaths where lookup(table, path) == nil {
            findings.append(.missing(path: path.joined(separator: ".")))
        }
        for group in exactlyOneOf {
            let present = group.filter { lookup(table, [$0]) != nil }
            if present.count != 1 { findings.append(.notExactlyOne(group: group, present: present)) }
        }
        return findings
    }

    /// Whether `check` finds nothing in the tree of `table` (`ConfigNode.from(table, ...)`),
    /// decided on the TOML table itself with no tree of positions built: nearly every stage of
    /// a large lab file is clean, and only one this refuses pays for its tree and `check`.
    /// Mirrors `walk`, the required keys and the groups; depth is bounded by the parser's
    /// nesting limit.
    public func accepts(_ table: TOMLTable) -> Bool {
        var path: [String] = []
        path.reserveCapacity(4)
        guard accepts(table, path: &path) else { return false }
        for required in requiredPaths {
            var current: TOMLTable? = table
            var node: TOMLNode? = nil
            for segment in required {
                node = current?[segment]
                current = node?.table
            }
            if node == nil { return false }
        }
        for group in exactlyOneOf where group.count(where: { table.has($0) }) != 1 { return false }
        return true
    }

    private func accepts(_ table: TOMLTable, path: inout [String]) -> Bool {
        // Entries read in place (a copy of each would retain its value).
        table.entries.withUnsafeBufferPointer { entries in
            for i in entries.indices {
                path.append(entries[i].key)
                defer { path.removeLast() }
                let kind = ConfigValueKind(entries[i].value.value)
                if let k = path.count == 1 ? key(named: entries[i].key) : key(matching: path) {
                    guard k.type.accepts(kind) else { return false }
                    if kind == .table && !k.free && k.type != .any, let sub = entries[i].value.table, !accepts(sub, path: &path) { return false }
                } else if isIntermediate(path), kind == .table, let sub = entries[i].value.table {
                    if !accepts(sub, path: &path) { return false }
                } else {
                    return false
                }
            }
            return true
        }
    }

    private func lookup(_ node: ConfigNode, _ path: [String]) -> ConfigNode? {
        var current = node
        for segment in path {
            guard let next = current.entries.first(where: { $0.key == segment }) else { return nil }
            current = next.node
        }
        return current
    }

    private func walk(_ table: ConfigNode, prefix: [String], into findings: inout [Finding]) {
        for entry in table.entries {
            let path = prefix + [entry.key]
            let dotted = path.joined(separator: ".")
            if let k = key(matching: path) {
                if !k.type.accepts(entry.node.kind) {
                    findings.append(.wrongType(path: dotted, expected: k.type, found: entry.node.kind, node: entry.node))
                } else if entry.node.kind == .table && !k.free && k.type != .any {
                    walk(entry.node, prefix: path, into: &findings)
                }
            } else if isIntermediate(path) {
                if entry.node.kind == .table {
                    walk(entry.node, prefix: path, into: &findings)
                } else {
                    findings.append(.wrongType(path: dotted, expected: .table, found: entry.node.kind, node: entry.node))
                }
            } else {
                let siblings = keys.filter { $0.path.count == path.count && zip($0.path.dropLast(), prefix).allSatisfy { Self.segmentMatches($0, $1) } }
                    .map { $0.path.last! }.filter { !$0.utf8.contains(0x2A) }
                findings.append(.unknown(path: dotted, entry: entry, suggestion: NearestName.suggestion(for: entry.key, among: siblings)))
            }
        }
    }
}
