/// Writes a TOML document as toml-test's tagged JSON: tables as objects, arrays as arrays, and
/// every scalar as `{"type": ..., "value": ...}` with its value as a string.
public enum TaggedJSON {
    /// The tagged JSON text of a document's root table.
    public static func encode(_ table: TOMLTable) -> String {
        var out = ""
        write(.table(table), to: &out)
        return out
    }

    private static func write(_ value: TOMLValue, to out: inout String) {
        switch value {
        case .table(let t):
            out += "{"
            for (i, e) in t.entries.enumerated() {
                if i > 0 { out += "," }
                JSONText.appendString(e.key, to: &out)
                out += ":"
                write(e.value.value, to: &out)
            }
            out += "}"
        case .array(let a):
            out += "["
            for (i, item) in a.items.enumerated() {
                if i > 0 { out += "," }
                write(item.value, to: &out)
            }
            out += "]"
        case .string(let s, _): scalar("string", s, &out)
        case .integer(let i): scalar("integer", String(i), &out)
        case .float(let d): scalar("float", formatFloat(d), &out)
        case .bool(let b): scalar("bool", b ? "true" : "false", &out)
        case .datetime(let dt):
            let type: String
            switch dt.kind {
            case .offsetDateTime: type = "datetime"
            case .localDateTime: type = "datetime-local"
            case .localDate: type = "date-local"
            case .localTime: type = "time-local"
            }
            scalar(type, dt.rfc3339, &out)
        }
    }

    /// A float as toml-test writes it: `nan`, `inf`, `-inf`, or the shortest round-trip text.
    public static func formatFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return "\(d)"
    }

    private static func scalar(_ type: String, _ value: String, _ out: inout String) {
        out += "{\"type\":\"\(type)\",\"value\":"
        JSONText.appendString(value, to: &out)
        out += "}"
    }
}

/// JSON string escaping shared by the JSON writers.
public enum JSONText {
    /// Appends `s` as a quoted JSON string, escaping quotes, backslashes and control characters;
    /// with `asciiOnly`, every non-ASCII character too (as Python's `json.dumps` does).
    public static func appendString(_ s: String, to out: inout String, asciiOnly: Bool = false) {
        out += "\""
        var s = s
        s.withUTF8 { bytes in
            // Runs of bytes that stand for themselves are appended whole; only a byte that
            // starts an escaped character is looked at as a scalar. (Appending scalar by scalar
            // was most of the time of a JSON report with long messages.)
            var run = 0, i = 0
            while i < bytes.count {
                let b = bytes[i]
                if b >= 0x20 && b < 0x7F && b != 0x22 && b != 0x5C { i += 1; continue }
                if b >= 0x80 && !asciiOnly {
                    // Escaped non-ASCII: U+0080-U+009F (C2 80-9F) and U+2028/U+2029 (E2 80 A8/A9).
                    let c1 = b == 0xC2 && i + 1 < bytes.count && bytes[i + 1] < 0xA0
                    let line = b == 0xE2 && i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9)
                    if !c1 && !line { i += 1; continue }
                }
                if i > run { out += String(decoding: UnsafeBufferPointer(rebasing: bytes[run..<i]), as: UTF8.self) }
                let length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
                let end = min(bytes.count, i + length)
                for u in String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<end]), as: UTF8.self).unicodeScalars {
                    appendScalar(u, to: &out, asciiOnly: asciiOnly)
                }
                i = end
                run = end
            }
            if bytes.count > run { out += String(decoding: UnsafeBufferPointer(rebasing: bytes[run...]), as: UTF8.self) }
        }
        out += "\""
    }

    /// One scalar of a JSON string, escaped where JSON (or `asciiOnly`) requires.
    static func appendScalar(_ u: Unicode.Scalar, to out: inout String, asciiOnly: Bool) {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 || u.value == 0x7F || (u.value >= 0x80 && u.value < 0xA0) || u.value == 0x2028 || u.value == 0x2029
                || (asciiOnly && u.value > 0x7E) {
                for unit in String(u).utf16 {
                    let hex = String(unit, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }

    /// `s` as a quoted JSON string.
    public static func quoted(_ s: String) -> String {
        var out = ""
        appendString(s, to: &out)
        return out
    }
}
