/// Makes text from user files safe to print: control characters, ANSI escape sequences and
/// bidirectional overrides are shown as visible escapes instead of reaching the terminal raw.
public enum TerminalText {
    /// Whether a scalar must not be printed raw.
    public static func isUnsafe(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return v < 0x20 || v == 0x7F || (v >= 0x80 && v < 0xA0)
            || (v >= 0x202A && v <= 0x202E) || (v >= 0x2066 && v <= 0x2069)
            || v == 0x200E || v == 0x200F || v == 0x061C || v == 0x2028 || v == 0x2029
    }

    /// A path printed at the start of a line: sanitised, and with `./` before a path that
    /// starts with `:`, so that no line of text output can begin with `::` (GitHub Actions reads
    /// such a line of a job's log as a workflow command).
    public static func linePath(_ path: String) -> String {
        let s = sanitize(path)
        return s.hasPrefix(":") ? "./" + s : s
    }

    /// `s` with every unsafe scalar written as `\t`, `\r` or `\u{XX}`.
    public static func sanitize(_ s: String) -> String {
        // Printable ASCII needs nothing (the common case), checked on bytes.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return s }
        var needs = false
        for u in s.unicodeScalars where isUnsafe(u) { needs = true; break }
        guard needs else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if isUnsafe(u) {
                let escaped: String
                switch u {
                case "\t": escaped = "\\t"
                case "\r": escaped = "\\r"
                case "\n": escaped = "\\n"
                default: escaped = "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
                }
                out.append(contentsOf: escaped.unicodeScalars)
            } else {
                out.append(u)
            }
        }
        return String(out)
    }
}
