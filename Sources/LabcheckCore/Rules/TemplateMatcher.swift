/// Reads a render text backwards: does `code` have the shape of `render`, and which values
/// fill its placeholders? The literal text between placeholders must match byte for byte; each
/// placeholder's text is read as its filters wrote it (a Python literal for `python` and
/// `literal`, JSON for `json`, `k=v, ...` for `kwargs`, the rest of the line for a bare
/// `{{ name }}`). Nothing is evaluated. A match is only a candidate: the caller renders the
/// values again and keeps the match only if that reproduces `code` exactly.
public enum TemplateMatcher {
    /// More placeholders than this in one render text are not matched (the search backtracks
    /// per placeholder, so its depth is bounded by it).
    static let maxPlaceholders = 256

    /// One part of a render text.
    enum Segment {
        case text([UInt8])
        case value(path: String, filters: [String])
    }

    /// The values of `render`'s placeholders in `code` (line endings already LF), by path, or
    /// nil when the shape differs. A path that appears twice must read the same value twice.
    public static func match(render: String, code: [UInt8]) -> [String: RenderValue]? {
        let body = render.hasPrefix("\n") ? String(render.dropFirst()) : render
        let (placeholders, problems) = TemplateRenderer.placeholders(body)
        guard problems.isEmpty, placeholders.count <= maxPlaceholders else { return nil }
        let segments = split(body, placeholders)
        var values: [String: RenderValue] = [:]
        var furthest = 0
        return search(segments, 0, code, 0, &values, &furthest) ? values : nil
    }

    /// How far into `code` the literal text of `render` matched before the shapes parted: the
    /// offset of the first byte no reading of the template accounts for (for reporting the first
    /// line that differs). `code.count` when it matches.
    public static func divergence(render: String, code: [UInt8]) -> Int {
        let body = render.hasPrefix("\n") ? String(render.dropFirst()) : render
        let (placeholders, problems) = TemplateRenderer.placeholders(body)
        guard problems.isEmpty, placeholders.count <= maxPlaceholders else { return 0 }
        let segments = split(body, placeholders)
        var values: [String: RenderValue] = [:]
        var furthest = 0
        return search(segments, 0, code, 0, &values, &furthest) ? code.count : furthest
    }

    private static func split(_ body: String, _ placeholders: [TemplateRenderer.Placeholder]) -> [Segment] {
        var segments: [Segment] = []
        var cursor = body.startIndex
        for p in placeholders {
            if cursor < p.range.lowerBound { segments.append(.text(Array(body[cursor..<p.range.lowerBound].utf8))) }
            segments.append(.value(path: p.path, filters: p.filters))
            cursor = p.range.upperBound
        }
        if cursor < body.endIndex { segments.append(.text(Array(body[cursor...].utf8))) }
        return segments
    }

    /// Matches `segments[k...]` against `code[at...]`, trying each way a placeholder can end.
    private static func search(_ segments: [Segment], _ k: Int, _ code: [UInt8], _ at: Int, _ values: inout [String: RenderValue],
                               _ furthest: inout Int) -> Bool {
        furthest = max(furthest, at)
        guard k < segments.count else { return at == code.count }
        switch segments[k] {
        case .text(let literal):
            var same = 0
            while same < literal.count && at + same < code.count && code[at + same] == literal[same] { same += 1 }
            furthest = max(furthest, at + same)
            guard same == literal.count else { return false }
            return search(segments, k + 1, code, at + literal.count, &values, &furthest)
        case .value(let path, let filters):
            let next: [UInt8]? = if k + 1 < segments.count, case .text(let t) = segments[k + 1] { t } else { nil }
            for (value, end) in candidates(filters, code, at, next: next) {
                if let seen = values[path] {
                    guard seen == value else { continue }
                    if search(segments, k + 1, code, end, &values, &furthest) { return true }
                } else {
                    values[path] = value
                    if search(segments, k + 1, code, end, &values, &furthest) { return true }
                    values[path] = nil
                }
            }
            return false
        }
    }

    /// The readings of a placeholder starting at `at`, longest first: (value, end offset).
    private static func candidates(_ filters: [String], _ code: [UInt8], _ at: Int, next: [UInt8]?) -> [(RenderValue, Int)] {
        guard let last = filters.last else {
            // A bare placeholder: text up to where the following literal text starts, on this line.
            guard let next, let first = next.first else { return [] }
            var i = at
            while i < code.count && code[i] != 0x0A {
                if code[i] == first && code[i...].starts(with: next) { break }
                i += 1
            }
            guard i > at, let s = String(validating: code[at..<i], as: UTF8.self) else { return [] }
            return [(.string(s), i)]
        }
        var found: [(RenderValue, Int)] = []
        switch last {
        case "python", "literal":
            var p = LiteralParser(code, at: at)
            if let v = p.python() { found = [(v, p.offset)] }
        case "json":
            var p = LiteralParser(code, at: at)
            if let v = p.json() { found = [(v, p.offset)] }
        case "kwargs":
            found = kwargs(code, at)
        default:
            return []
        }
        // Earlier filters wrote text that the later ones quoted: read it back, whole.
        return found.compactMap { value, end in
            var v = value
            for f in filters.dropLast().reversed() {
                guard case .string(let text) = v else { return nil }
                let bytes = Array(text.utf8)
                var p = LiteralParser(bytes)
                switch f {
                case "json": guard let inner = p.json() else { return nil }; v = inner
                case "python", "literal": guard let inner = p.python() else { return nil }; v = inner
                default: return nil
                }
                guard p.offset == bytes.count else { return nil }
            }
            return (v, end)
        }
    }

    /// `k=v, k=v` readings: every prefix of the list, longest first (the text after the
    /// placeholder decides which one the template meant).
    private static func kwargs(_ code: [UInt8], _ at: Int) -> [(RenderValue, Int)] {
        var out: [(RenderValue, Int)] = [(.table([]), at)]
        var entries: [(String, RenderValue)] = []
        var i = at
        while true {
            var j = i
            if !entries.isEmpty {
                guard j + 1 < code.count, code[j] == UInt8(ascii: ","), code[j + 1] == 0x20 else { break }
                j += 2
            }
            let nameStart = j
            while j < code.count && (code[j] == UInt8(ascii: "_") || (0x30...0x39).contains(code[j]) || ((code[j] | 0x20) >= 0x61 && (code[j] | 0x20) <= 0x7A)) { j += 1 }
            guard j > nameStart, j < code.count, code[j] == UInt8(ascii: "="), !(0x30...0x39).contains(code[nameStart]) else { break }
            var p = LiteralParser(code, at: j + 1)
            guard let value = p.python() else { break }
            entries.append((String(decoding: code[nameStart..<j], as: UTF8.self), value))
            i = p.offset
            out.append((.table(entries), i))
        }
        return out.reversed()
    }
}
