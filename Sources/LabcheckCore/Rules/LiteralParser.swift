/// Reads the literal values a generated snippet writes: Python literals (strings, numbers,
/// `True`/`False`/`None`, lists, tuples, dicts) and JSON text. Nothing is evaluated: anything
/// else (a name, a call, an operator) is not a literal and ends the read with nil. Nesting is
/// bounded (`maxDepth`), so hostile input cannot exhaust the stack.
///
/// Python's `ast.literal_eval` and `json.loads` are the references for what is accepted; only
/// the forms a generator writes are needed (no bytes, f-strings, triple quotes, complex numbers
/// or sets), and anything outside them is refused, never guessed.
public struct LiteralParser {
    /// Deeper nesting than this is refused.
    public static let maxDepth = 64

    private let b: [UInt8]
    /// The offset of the next byte to read.
    public private(set) var offset: Int

    /// A reader of `bytes` starting at `offset`.
    public init(_ bytes: [UInt8], at offset: Int = 0) {
        b = bytes
        self.offset = offset
    }

    // MARK: Python

    /// A Python literal at the current offset (tuples read as arrays), or nil.
    public mutating func python(depth: Int = 0) -> RenderValue? {
        guard depth < Self.maxDepth, offset < b.count else { return nil }
        switch b[offset] {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return pythonString().map(RenderValue.string)
        case UInt8(ascii: "["), UInt8(ascii: "("):
            let close = b[offset] == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: ")")
            offset += 1
            var items: [RenderValue] = []
            skipSpaces()
            while offset < b.count && b[offset] != close {
                guard let item = python(depth: depth + 1) else { return nil }
                items.append(item)
                skipSpaces()
                if offset < b.count && b[offset] == UInt8(ascii: ",") { offset += 1; skipSpaces() } else { break }
            }
            guard offset < b.count, b[offset] == close else { return nil }
            offset += 1
            return .array(items)
        case UInt8(ascii: "{"):
            offset += 1
            var entries: [(String, RenderValue)] = []
            skipSpaces()
            while offset < b.count && b[offset] != UInt8(ascii: "}") {
                // Only string keys: a TOML table cannot hold others.
                guard let key = pythonString() else { return nil }
                skipSpaces()
                guard offset < b.count, b[offset] == UInt8(ascii: ":") else { return nil }
                offset += 1
                skipSpaces()
                guard let value = python(depth: depth + 1) else { return nil }
                entries.append((key, value))
                skipSpaces()
                if offset < b.count && b[offset] == UInt8(ascii: ",") { offset += 1; skipSpaces() } else { break }
            }
            guard offset < b.count, b[offset] == UInt8(ascii: "}") else { return nil }
            offset += 1
            return .table(entries)
        default:
            if word("True") { return .bool(true) }
            if word("False") { return .bool(false) }
            if word("None") { return .null }
            return number(pythonStyle: true)
        }
    }

    /// A single-line Python string literal in `'...'` or `"..."` with its escapes decoded.
    public mutating func pythonString() -> String? {
        guard offset < b.count, b[offset] == UInt8(ascii: "'") || b[offset] == UInt8(ascii: "\"") else { return nil }
        let quote = b[offset]
        var i = offset + 1
        var out: [UInt8] = []
        while i < b.count {
            let c = b[i]
            if c == quote { offset = i + 1; return String(validating: out, as: UTF8.self) }
            if c == 0x0A || c == 0x0D { return nil }
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            guard i + 1 < b.count else { return nil }
            let e = b[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(e)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "0"): out.append(0)
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let count = e == UInt8(ascii: "x") ? 2 : (e == UInt8(ascii: "u") ? 4 : 8)
                guard let scalar = hexScalar(at: i, count: count) else { return nil }
                out += Array(String(Character(scalar)).utf8)
                i += count
            default: return nil   // an escape a generator does not write: refuse, do not guess
            }
        }
        return nil
    }

    // MARK: JSON

    /// JSON text at the current offset (object keys in their written order), or nil.
    public mutating func json(depth: Int = 0) -> RenderValue? {
        skipJSONSpace()
        guard depth < Self.maxDepth, offset < b.count else { return nil }
        switch b[offset] {
        case UInt8(ascii: "\""):
            return jsonString().map(RenderValue.string)
        case UInt8(ascii: "["):
            offset += 1
            var items: [RenderValue] = []
            skipJSONSpace()
            if offset < b.count && b[offset] == UInt8(ascii: "]") { offset += 1; return .array([]) }
            while true {
                guard let item = json(depth: depth + 1) else { return nil }
                items.append(item)
                skipJSONSpace()
                guard offset < b.count else { return nil }
                if b[offset] == UInt8(ascii: ",") { offset += 1; continue }
                guard b[offset] == UInt8(ascii: "]") else { return nil }
                offset += 1
                return .array(items)
            }
        case UInt8(ascii: "{"):
            offset += 1
            var entries: [(String, RenderValue)] = []
            skipJSONSpace()
            if offset < b.count && b[offset] == UInt8(ascii: "}") { offset += 1; return .table([]) }
            while true {
                skipJSONSpace()
                guard let key = jsonString() else { return nil }
                skipJSONSpace()
                guard offset < b.count, b[offset] == UInt8(ascii: ":") else { return nil }
                offset += 1
                guard let value = json(depth: depth + 1) else { return nil }
                entries.append((key, value))
                skipJSONSpace()
                guard offset < b.count else { return nil }
                if b[offset] == UInt8(ascii: ",") { offset += 1; continue }
                guard b[offset] == UInt8(ascii: "}") else { return nil }
                offset += 1
                return .table(entries)
            }
        default:
            if word("true") { return .bool(true) }
            if word("false") { return .bool(false) }
            if word("null") { return .null }
            return number(pythonStyle: false)
        }
    }

    /// A JSON string with its escapes decoded (surrogate pairs joined).
    mutating func jsonString() -> String? {
        guard offset < b.count, b[offset] == UInt8(ascii: "\"") else { return nil }
        var i = offset + 1
        var out: [UInt8] = []
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") { offset = i + 1; return String(validating: out, as: UTF8.self) }
            if c < 0x20 { return nil }
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            guard i + 1 < b.count else { return nil }
            let e = b[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard var unit = hexDigitsValue(b, at: i, count: 4) else { return nil }
                i += 4
                if (0xD800..<0xDC00).contains(unit) {
                    guard i + 6 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u"),
                          let low = hexDigitsValue(b, at: i + 2, count: 4), (0xDC00..<0xE000).contains(low) else { return nil }
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                guard let scalar = Unicode.Scalar(unit) else { return nil }
                out += Array(String(Character(scalar)).utf8)
            default: return nil
            }
        }
        return nil
    }

    // MARK: Shared

    /// An integer or a float: `-12`, `1.0`, `2.5e-3` (Python also allows `1_000`).
    private mutating func number(pythonStyle: Bool) -> RenderValue? {
        var i = offset
        if i < b.count && b[i] == UInt8(ascii: "-") { i += 1 }
        let digitsStart = i
        var isFloat = false
        func digit(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) || (pythonStyle && c == UInt8(ascii: "_")) }
        while i < b.count && digit(b[i]) { i += 1 }
        guard i > digitsStart else { return nil }
        if i < b.count && b[i] == UInt8(ascii: ".") {
            isFloat = true
            i += 1
            while i < b.count && digit(b[i]) { i += 1 }
        }
        if i < b.count && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            isFloat = true
            i += 1
            if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
            let expStart = i
            while i < b.count && digit(b[i]) { i += 1 }
            guard i > expStart else { return nil }
        }
        // A name continuing the number (`12abc`) is not a literal.
        if i < b.count && (b[i] == UInt8(ascii: "_") || (b[i] | 0x20) >= UInt8(ascii: "a") && (b[i] | 0x20) <= UInt8(ascii: "z")) { return nil }
        let text = String(decoding: b[offset..<i].filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        offset = i
        if isFloat { return Double(text).map(RenderValue.float) }
        return Int64(text).map(RenderValue.integer)
    }

    /// Consumes `w` if it stands here as a whole word.
    private mutating func word(_ w: StaticString) -> Bool {
        let n = w.utf8CodeUnitCount
        guard offset + n <= b.count else { return false }
        let matches = w.withUTF8Buffer { word in (0..<n).allSatisfy { b[offset + $0] == word[$0] } }
        guard matches else { return false }
        if offset + n < b.count {
            let next = b[offset + n]
            if next == UInt8(ascii: "_") || (0x30...0x39).contains(next) || ((next | 0x20) >= UInt8(ascii: "a") && (next | 0x20) <= UInt8(ascii: "z")) { return false }
        }
        offset += n
        return true
    }

    private func hexScalar(at i: Int, count: Int) -> Unicode.Scalar? { hexDigitsValue(b, at: i, count: count).flatMap(Unicode.Scalar.init) }

    /// Skips spaces (not line breaks: a generated literal stands on one line).
    mutating func skipSpaces() { while offset < b.count && b[offset] == 0x20 { offset += 1 } }

    private mutating func skipJSONSpace() {
        while offset < b.count && (b[offset] == 0x20 || b[offset] == 0x09 || b[offset] == 0x0A || b[offset] == 0x0D) { offset += 1 }
    }
}
