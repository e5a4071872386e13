import LabcheckTOML

/// Reads one rules file strictly: every unknown key, missing required key or wrong type is an
/// LC002 diagnostic naming the file, line and column.
struct RuleFileReader {
    let path: String
    let source: SourceText
    private(set) var diagnostics: [Diagnostic] = []

    init(path: String, source: SourceText) {
        self.path = path
        self.source = source
    }

    mutating func problem(_ message: String, _ span: ByteSpan, help: String? = nil) {
        diagnostics.append(Diagnostic(id: "LC002", severity: .error, message: message, file: path,
                                      span: span, in: source, help: help))
    }

    /// Parses the file; nil (with an LC002) when it is not valid TOML.
    mutating func parse() -> TOMLTable? {
        do {
            return try TOMLParser.parse(source).root
        } catch let e as TOMLSyntaxError {
            problem(e.message, ByteSpan(e.offset, min(e.offset + 1, source.bytes.count)))
        } catch {
            problem("\(error)", ByteSpan(0, 0))
        }
        return nil
    }

    mutating func rejectUnknownKeys(_ table: TOMLTable, known: [String], context: String) {
        for e in table.entries where !known.contains(e.key) {
            let help = NearestName.suggestion(for: e.key, among: known).map { "did you mean '\($0)'?" }
                ?? "known keys in \(context): \(known.joined(separator: ", "))"
            problem("unknown key '\(e.key)' in \(context)", e.keySpan, help: help)
        }
    }

    mutating func string(_ table: TOMLTable, _ key: String, required: Bool = false, span: ByteSpan) -> String? {
        guard let node = table[key] else {
            if required { problem("missing required key '\(key)'", span) }
            return nil
        }
        guard let s = node.string else { problem("'\(key)' must be a string, found a \(node.value.typeName)", node.span); return nil }
        return s
    }

    mutating func positiveInteger(_ table: TOMLTable, _ key: String, required: Bool = false, span: ByteSpan) -> Int? {
        guard let node = table[key] else {
            if required { problem("missing required key '\(key)'", span) }
            return nil
        }
        guard let i = node.integer, i >= 1, i <= Int64(Int32.max) else {
            problem("'\(key)' must be a positive integer, found \(node.value.typeName == "integer" ? "\(node.integer!)" : "a \(node.value.typeName)")", node.span)
            return nil
        }
        return Int(i)
    }

    mutating func bool(_ table: TOMLTable, _ key: String) -> Bool? {
        guard let node = table[key] else { return nil }
        guard let b = node.bool else { problem("'\(key)' must be true or false, found a \(node.value.typeName)", node.span); return nil }
        return b
    }

    mutating func table(_ table: TOMLTable, _ key: String) -> TOMLTable? {
        guard let node = table[key] else { return nil }
        guard let t = node.table else { problem("'\(key)' must be a table, found a \(node.value.typeName)", node.span); return nil }
        return t
    }

    mutating func strings(_ table: TOMLTable, _ key: String) -> [String]? {
        guard let node = table[key] else { return nil }
        guard let a = node.array, a.items.allSatisfy({ $0.string != nil }) else {
            problem("'\(key)' must be an array of strings, found a \(node.value.typeName)", node.span)
            return nil
        }
        return a.items.compactMap(\.string)
    }

    mutating func valueType(_ node: TOMLNode, what: String) -> RuleValueType? {
        guard let s = node.string else { problem("\(what) must be a type name string, found a \(node.value.typeName)", node.span); return nil }
        guard let t = RuleValueType(rawValue: s) else {
            let all = RuleValueType.allCases.map(\.rawValue)
            problem("unknown type '\(s)' for \(what)", node.span,
                    help: NearestName.suggestion(for: s, among: all).map { "did you mean '\($0)'?" } ?? "types: \(all.joined(separator: ", "))")
            return nil
        }
        return t
    }

    /// Reads an args table: `name = "type"` or `name = { type, required, default, nullable, items, description }`.
    mutating func args(_ table: TOMLTable, context: String) -> [ArgSpec] {
        var out: [ArgSpec] = []
        for e in table.entries {
            if e.value.string != nil {
                if let t = valueType(e.value, what: "arg '\(e.key)'") {
                    out.append(ArgSpec(name: e.key, type: t, items: nil, required: false, defaultValue: nil, nullable: false, description: nil))
                }
                continue
            }
            guard let spec = e.value.table else {
                problem("arg '\(e.key)' in \(context) must be a type name or a table, found a \(e.value.value.typeName)", e.value.span)
                continue
            }
            rejectUnknownKeys(spec, known: ["type", "required", "default", "nullable", "items", "description"], context: "arg '\(e.key)'")
            guard let typeNode = spec["type"] else { problem("arg '\(e.key)' needs a 'type'", e.keySpan); continue }
            guard let type = valueType(typeNode, what: "arg '\(e.key)'") else { continue }
            let items = spec["items"].flatMap { valueType($0, what: "'items' of arg '\(e.key)'") }
            let defaultValue = spec["default"]
            if let d = defaultValue, !type.accepts(d.value) {
                problem("the default of arg '\(e.key)' is a \(d.value.typeName), not a \(type.rawValue)", d.span)
            }
            out.append(ArgSpec(name: e.key, type: type, items: items, required: bool(spec, "required") ?? false,
                               defaultValue: defaultValue, nullable: bool(spec, "nullable") ?? false,
                               description: string(spec, "description", span: e.keySpan)))
        }
        return out
    }
}
