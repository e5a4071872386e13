import LabcheckTOML

/// A value available to a render: TOML values plus `null` for nullable args left out.
public indirect enum RenderValue: Sendable, Equatable {
    case string(String), integer(Int64), float(Double), bool(Bool), null
    case array([RenderValue])
    case table([(String, RenderValue)])

    public static func == (a: RenderValue, b: RenderValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.integer(let x), .integer(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        case (.array(let x), .array(let y)): return x == y
        case (.table(let x), .table(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The render value of a TOML value (dates become their RFC 3339 text).
    public init(_ node: TOMLNode) {
        switch node.value {
        case .string(let s, _): self = .string(s)
        case .integer(let i): self = .integer(i)
        case .float(let d): self = .float(d)
        case .bool(let b): self = .bool(b)
        case .datetime(let d): self = .string(d.rfc3339)
        case .array(let a): self = .array(a.items.map(RenderValue.init))
        case .table(let t): self = .table(t.entries.map { ($0.key, RenderValue($0.value)) })
        }
    }

    /// A short name of the value's kind, for messages.
    public var kindName: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a float"
        case .bool: return "a boolean"
        case .null: return "None"
        case .array: return "an array"
        case .table: return "a table"
        }
    }

    /// The value at a dotted path, if present.
    func lookup(_ path: [Substring]) -> RenderValue? {
        var current = self
        for segment in path {
            guard case .table(let entries) = current, let next = entries.first(where: { $0.0 == segment }) else { return nil }
            current = next.1
        }
        return current
    }
}

/// Renders a template's text: `{{ name }}`, `{{ args.data_in | literal }}`,
/// `{{ app_args | json | python }}`. Pure text substitution; every placeholder must resolve,
/// a missing value is an error (never an empty string).
///
/// Filters, applied left to right, each turning the value into text:
/// - `python`: Python's `repr` (`'text'`, `{'k': 1}`, `True`, `None`);
/// - `literal`: a string as JSON writes it (`"text"`, ASCII with `\uXXXX` escapes), any other
///   value as `python` does (how AGILab's generator writes assignments and keyword values);
/// - `json`: JSON as Python's `json.dumps(..., sort_keys=True)` writes it (keys sorted, `", "`
///   and `": "`, ASCII-only);
/// - `kwargs`: a table as `k=v, k=v` keyword arguments, each value as `literal` writes it.
public enum TemplateRenderer {
    /// The filters a placeholder may apply, left to right.
    public static let filters = ["python", "json", "literal", "kwargs"]

    /// A render that could not complete.
    public struct RenderError: Error, Sendable, CustomStringConvertible {
        /// Placeholders with no value.
        public let missing: [String]
        public let problems: [String]
        public var description: String {
            (missing.map { "no value for {{ \($0) }}" } + problems).joined(separator: "; ")
        }
    }

    struct Placeholder {
        let range: Range<String.Index>
        let path: String
        let filters: [String]
    }

    static func placeholders(_ text: String) -> ([Placeholder], [String]) {
        var out: [Placeholder] = []
        var problems: [String] = []
        var search = text.startIndex
        while let open = text[search...].firstRange(of: "{{") {
            guard let close = text[open.upperBound...].firstRange(of: "}}") else {
                problems.append("'{{' without a closing '}}'")
                break
            }
            let body = text[open.upperBound..<close.lowerBound]
            let parts = body.split(separator: "|").map { String($0).trimmingSpaces }
            let path = parts.first ?? ""
            if path.isEmpty || !path.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) {
                problems.append("placeholder '{{\(body)}}' must name a value such as 'app' or 'args.data_in'")
            }
            let chosen = Array(parts.dropFirst())
            for f in chosen where !filters.contains(f) {
                problems.append("unknown filter '\(f)' in '{{\(body)}}' (filters: \(filters.joined(separator: ", ")))")
            }
            out.append(Placeholder(range: open.lowerBound..<close.upperBound, path: path, filters: chosen))
            search = close.upperBound
        }
        return (out, problems)
    }

    /// Syntax problems of a render text (unclosed placeholders, unknown filters).
    public static func validate(_ text: String) -> [String] { placeholders(text).1 }

    /// Renders `text` with `context` (a table of named values).
    public static func render(_ text: String, context: RenderValue) throws -> String {
        let (found, problems) = placeholders(text)
        var missing: [String] = []
        var more = problems
        var out = ""
        var cursor = text.startIndex
        for p in found {
            out += text[cursor..<p.range.lowerBound]
            cursor = p.range.upperBound
            guard var value = context.lookup(p.path.split(separator: ".")) else { missing.append(p.path); continue }
            for f in p.filters {
                switch f {
                case "json": value = .string(json(value))
                case "literal": value = .string(literal(value))
                case "kwargs":
                    guard case .table(let entries) = value else {
                        more.append("{{ \(p.path) | kwargs }} needs a table, found \(value.kindName)")
                        continue
                    }
                    value = .string(entries.map { "\($0.0)=\(literal($0.1))" }.joined(separator: ", "))
                default: value = .string(python(value))
                }
            }
            switch value {
            case .string(let s): out += s
            case .integer(let i): out += String(i)
            default: more.append("{{ \(p.path) }} is not text: add a filter (| literal, | python or | json)")
            }
        }
        out += text[cursor...]
        if !missing.isEmpty || !more.isEmpty { throw RenderError(missing: missing, problems: more) }
        return out
    }

    /// A Python literal, as Python's `repr` writes it.
    public static func python(_ value: RenderValue) -> String {
        switch value {
        case .string(let s): return pythonString(s)
        case .integer(let i): return String(i)
        case .float(let d):
            if d.isNaN { return "float('nan')" }
            if d.isInfinite { return d < 0 ? "float('-inf')" : "float('inf')" }
            return "\(d)"
        case .bool(let b): return b ? "True" : "False"
        case .null: return "None"
        case .array(let items): return "[" + items.map(python).joined(separator: ", ") + "]"
        case .table(let entries): return "{" + entries.map { pythonString($0.0) + ": " + python($0.1) }.joined(separator: ", ") + "}"
        }
    }

    /// JSON with keys in their order and non-ASCII kept (for labcheck's own JSON output).
    public static func jsonInOrder(_ value: RenderValue) -> String {
        switch value {
        case .string(let s): return JSONText.quoted(s)
        case .array(let items): return "[" + items.map(jsonInOrder).joined(separator: ", ") + "]"
        case .table(let entries): return "{" + entries.map { JSONText.quoted($0.0) + ": " + jsonInOrder($0.1) }.joined(separator: ", ") + "}"
        default: return json(value)
        }
    }

    /// A string as JSON writes it (double quotes, ASCII-only); any other value as `python`.
    public static func literal(_ value: RenderValue) -> String {
        guard case .string(let s) = value else { return python(value) }
        var out = ""
        JSONText.appendString(s, to: &out, asciiOnly: true)
        return out
    }

    /// JSON text as Python's `json.dumps(value, sort_keys=True)` writes it (ASCII-only, `", "`
    /// and `": "`, object keys sorted by code point).
    public static func json(_ value: RenderValue) -> String {
        switch value {
        case .string(let s):
            var out = ""
            JSONText.appendString(s, to: &out, asciiOnly: true)
            return out
        case .integer(let i): return String(i)
        case .float(let d): return d.isNaN ? "NaN" : (d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : "\(d)")
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(json).joined(separator: ", ") + "]"
        case .table(let entries):
            let sorted = entries.sorted { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars, by: { $0.value < $1.value }) }
            return "{" + sorted.map { json(.string($0.0)) + ": " + json($0.1) }.joined(separator: ", ") + "}"
        }
    }

    private static func hex4(_ v: UInt16) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: 4 - h.count) + h
    }

    private static func pythonString(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(u) == quote { out += "\\" + String(quote) }
                else if u.value < 0x20 || u.value == 0x7F { out += "\\x" + String(hex4(UInt16(u.value)).suffix(2)) }
                else { out.unicodeScalars.append(u) }
            }
        }
        return out + String(quote)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
