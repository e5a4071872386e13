/// A path glob over repository-relative `/`-separated paths: `**` matches any number of
/// directories (including none), `*` any run of characters within one name, `?` one character,
/// `[abc]`/`[a-z]`/`[!x]` a character class.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let segments: [Segment]

    /// One `/`-separated part of the pattern, classified once.
    private enum Segment: Sendable, Hashable {
        /// `**`
        case anyDirectories
        /// A name without `*`, `?` or `[`: compared as a whole, byte for byte (as `matchName`
        /// compares scalars: no Unicode normalisation).
        case literal(Substring)
        /// A name with wildcards, as scalars for `matchName`.
        case wildcard([Unicode.Scalar])
    }

    public init(_ pattern: String) {
        self.pattern = pattern
        segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map { part in
            if part == "**" { return .anyDirectories }
            if part.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) { return .wildcard(Array(part.unicodeScalars)) }
            return .literal(part)
        }
    }

    public var description: String { pattern }

    /// Whether `path` matches the whole pattern.
    public func matches(_ path: String) -> Bool {
        // A literal last name (`**/lab_stages.toml`) rejects most paths before splitting.
        if case .literal(let last)? = segments.last, !path.utf8.reversed().starts(with: last.utf8.reversed()) { return false }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return match(segments[...], parts[...])
    }

    private func match(_ pattern: ArraySlice<Segment>, _ path: ArraySlice<Substring>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        switch head {
        case .anyDirectories:
            let rest = pattern.dropFirst()
            var p = path
            while true {
                if match(rest, p) { return true }
                if p.isEmpty { return false }
                p = p.dropFirst()
            }
        case .literal(let literal):
            guard let name = path.first, name.utf8.elementsEqual(literal.utf8) else { return false }
        case .wildcard(let scalars):
            guard let name = path.first, Glob.matchName(scalars[...], Array(name.unicodeScalars)[...]) else { return false }
        }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    /// Whether one path component matches a one-component pattern (`*`, `?`, `[...]`).
    public static func matchName(_ pattern: String, _ name: String) -> Bool {
        matchName(Array(pattern.unicodeScalars)[...], Array(name.unicodeScalars)[...])
    }

    private static func matchName(_ p: ArraySlice<Unicode.Scalar>, _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let c = p.first else { return s.isEmpty }
        switch c {
        case "*":
            var rest = s
            while true {
                if matchName(p.dropFirst(), rest) { return true }
                if rest.isEmpty { return false }
                rest = rest.dropFirst()
            }
        case "?":
            return !s.isEmpty && matchName(p.dropFirst(), s.dropFirst())
        case "[":
            guard let ch = s.first, let close = p.dropFirst(2).firstIndex(of: "]") else {
                return !s.isEmpty && s.first == "[" && matchName(p.dropFirst(), s.dropFirst())
            }
            var body = p[(p.startIndex + 1)..<close]
            let negate = body.first == "!" || body.first == "^"
            if negate { body = body.dropFirst() }
            var hit = false
            var i = body.startIndex
            while i < body.endIndex {
                if i + 2 < body.endIndex, body[i + 1] == "-" {
                    if body[i].value <= ch.value && ch.value <= body[i + 2].value { hit = true }
                    i += 3
                } else {
                    if body[i] == ch { hit = true }
                    i += 1
                }
            }
            return hit != negate && matchName(p[(close + 1)...], s.dropFirst())
        default:
            return s.first == c && matchName(p.dropFirst(), s.dropFirst())
        }
    }
}
