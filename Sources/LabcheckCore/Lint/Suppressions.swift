import LabcheckTOML

/// `# labcheck: ignore[LC300] <reason>` at the end of a line (a Python import line, a line of
/// stage code, a TOML or YAML line) suppresses findings of those ids that start on that line.
public struct Suppression: Sendable, Hashable, Codable {
    public let file: String
    public let line: Int
    public let column: Int
    public let ids: [String]
    /// The reason; nil when none is written (then it suppresses nothing, and says so).
    public let reason: String?
}

/// A finding a suppression hid, with its reason: listed by `-v`, carried in JSON and SARIF.
public struct SuppressedFinding: Sendable {
    public let diagnostic: Diagnostic
    public let reason: String
}

/// LC003: a suppression that suppresses nothing, or that gives no reason.
public enum SuppressionCheck: Check {
    public static let descriptions = [
        CheckDescription(
            id: "LC003", slug: "unused-suppression", severity: .warning,
            summary: "a suppression that suppresses nothing, or has no reason (error in strict mode)",
            what: "Reports a `# labcheck: ignore[LCnnn] <reason>` comment that hides no finding on its line, and one without a reason (which hides nothing). A warning normally; an error in strict mode.",
            why: "A suppression outlives the problem it excused: left in place, it would silently hide the next, different problem on that line. A reason says why the exception is acceptable, for the next reader.",
            example: "import app.impl   # labcheck: ignore[LC300] removed in 2.0",
            fix: "Remove the suppression (the finding is gone), correct its id, or write the reason after `]`.",
            triggering: [.lab("[[m]]\nid = 'a'  ↓# labcheck: ignore[LC104] the old loader needs it\n"),
                         .lab("[[m]]\nid = 'a'\nfoo = 1  ↓# labcheck: ignore[LC104]\n")],
            nonTriggering: [.lab("[[m]]\nid = 'a'\nfoo = 1  # labcheck: ignore[LC104] the old loader needs it\n")]
        ),
    ]

    /// Whether `bytes` hold `#labcheck:` or `# labcheck:` anywhere (the fast test before lines
    /// are parsed). Sixteen positions at a time, it looks for an `l` with `k:` seven bytes
    /// later (a comment's `#` is far commoner in code than that pattern), then compares.
    public static func mentionsMarker(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let marker: StaticString = "labcheck:"
        let n = bytes.count
        guard n >= 10, let base = bytes.baseAddress else { return false }
        func at(_ j: Int) -> Bool {
            guard j >= 1, j + 9 <= n else { return false }
            for k in 0..<9 where base[j + k] != marker.utf8Start[k] { return false }
            return base[j - 1] == 0x23 || (j >= 2 && base[j - 1] == 0x20 && base[j - 2] == 0x23)
        }
        return ByteSearch.anyCandidate(in: bytes, (0x6C, 0), (0x6B, 7), (0x3A, 8), verify: at)
    }

    /// The suppressions written in a file's bytes, without its path (for the scan cache).
    public static func scanCached(_ bytes: UnsafeBufferPointer<UInt8>) -> [CachedSuppression] {
        guard mentionsMarker(bytes) else { return [] }
        return scan(Array(bytes), file: "").map { CachedSuppression(line: $0.line, column: $0.column, ids: $0.ids, reason: $0.reason) }
    }

    /// The suppressions written in `bytes` (a file of the snapshot).
    public static func scan(_ bytes: [UInt8], file: String) -> [Suppression] {
        guard bytes.withUnsafeBufferPointer(mentionsMarker) else { return [] }
        var out: [Suppression] = []
        var line = 1, lineStart = 0
        var i = 0
        while i <= bytes.count {
            if i == bytes.count || bytes[i] == 0x0A {
                if let s = parse(bytes[lineStart..<i], file: file, line: line) { out.append(s) }
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        return out
    }

    /// `# labcheck: ignore[ID, ID] reason` in one line, if present.
    static func parse(_ text: ArraySlice<UInt8>, file: String, line: Int) -> Suppression? {
        let s = String(decoding: text, as: UTF8.self)
        guard let hash = s.range(of: "# labcheck: ignore[") ?? s.range(of: "#labcheck: ignore[") else { return nil }
        let rest = s[hash.upperBound...]
        guard let close = rest.firstIndex(of: "]") else { return nil }
        let ids = rest[..<close].split(separator: ",").map { String($0).trimmingSpaces.uppercased() }.filter { !$0.isEmpty }
        var reason = String(rest[rest.index(after: close)...]).trimmingSpaces
        if reason.hasSuffix("\r") { reason.removeLast() }
        reason = reason.trimmingSpaces
        let column = s[..<hash.lowerBound].unicodeScalars.count + 1
        return Suppression(file: file, line: line, column: column, ids: ids, reason: reason.isEmpty ? nil : reason)
    }

    /// Applies suppressions: the findings kept, those suppressed, and LC003 for every
    /// suppression without a reason or that suppressed nothing. Configuration errors
    /// (LC001/LC002) and LC003 itself cannot be suppressed.
    public static func apply(_ diagnostics: [Diagnostic], _ suppressions: [Suppression], strict: Bool,
                             sourceLines: [String: SourceText]) -> (kept: [Diagnostic], suppressed: [SuppressedFinding], problems: [Diagnostic]) {
        var byPlace: [String: [Int: [Suppression]]] = [:]
        for s in suppressions { byPlace[s.file, default: [:]][s.line, default: []].append(s) }
        var used = Set<Suppression>()
        var kept: [Diagnostic] = []
        var suppressed: [SuppressedFinding] = []
        for d in diagnostics {
            let unsuppressable = d.id == "LC001" || d.id == "LC002" || d.id == "LC003"
            if !unsuppressable, let s = byPlace[d.file]?[d.start.line]?.first(where: { $0.ids.contains(d.id) && $0.reason != nil }), let reason = s.reason {
                used.insert(s)
                suppressed.append(SuppressedFinding(diagnostic: d, reason: reason))
            } else {
                kept.append(d)
            }
        }
        var problems: [Diagnostic] = []
        for s in suppressions where !used.contains(s) {
            let message = s.reason == nil
                ? "suppression of \(s.ids.joined(separator: ", ")) has no reason, so it suppresses nothing"
                : "suppression of \(s.ids.joined(separator: ", ")) suppresses nothing on this line"
            let help = s.reason == nil ? "write why after `]`: `# labcheck: ignore[\(s.ids.joined(separator: ","))] <reason>`"
                : "remove it: nothing with \(s.ids.count == 1 ? "that id" : "those ids") is reported here (any more)"
            problems.append(Diagnostic(id: "LC003", severity: strict ? .error : .warning, message: message, file: s.file,
                                       start: SourcePosition(line: s.line, column: s.column), end: SourcePosition(line: s.line, column: s.column + 1),
                                       source: sourceLines[s.file], help: help))
        }
        return (kept, suppressed, problems)
    }
}
