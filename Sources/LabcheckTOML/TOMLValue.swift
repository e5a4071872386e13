/// The TOML document model: every key, header and value carries its byte span in the source.
///
/// labcheck has its own TOML 1.0 implementation because no Swift library keeps byte-exact spans
/// for keys, headers and values, maps decoded string offsets back to source positions, or
/// supports format-preserving edits; all three are what diagnostics and refresh commits need.

/// A half-open byte range `[start, end)` in a source buffer.
public struct ByteSpan: Hashable, Sendable, Comparable {
    /// Offset of the first byte.
    public var start: Int
    /// Offset one past the last byte.
    public var end: Int

    /// Creates a span; `end` must not be before `start`.
    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = max(start, end)
    }

    /// Orders spans by start, then end.
    public static func < (a: ByteSpan, b: ByteSpan) -> Bool {
        (a.start, a.end) < (b.start, b.end)
    }
}

/// How a string value was written, which decides how its source maps to its decoded text.
public enum TOMLStringStyle: Sendable, Hashable {
    case basic, literal, multilineBasic, multilineLiteral
}

/// A TOML date, time or date-time, kept as written (no time-zone arithmetic at parse time).
public struct TOMLDateTime: Sendable, Hashable {
    /// Which of TOML's four date/time types this is.
    public enum Kind: Sendable, Hashable { case offsetDateTime, localDateTime, localDate, localTime }
    public var kind: Kind
    public var year = 0, month = 0, day = 0
    public var hour = 0, minute = 0, second = 0
    /// Fractional-second digits as written (may be empty).
    public var fraction: String = ""
    /// Offset from UTC in minutes, for `offsetDateTime`; `Z` is 0.
    public var offsetMinutes: Int = 0

    /// RFC 3339 text with `T` and `Z`, fractional seconds padded to at least milliseconds.
    public var rfc3339: String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        func four(_ v: Int) -> String { String(repeating: "0", count: max(0, 4 - String(v).count)) + String(v) }
        let date = "\(four(year))-\(two(month))-\(two(day))"
        var frac = fraction
        if !frac.isEmpty { while frac.count < 3 { frac += "0" } ; frac = "." + frac }
        let time = "\(two(hour)):\(two(minute)):\(two(second))\(frac)"
        switch kind {
        case .localDate: return date
        case .localTime: return time
        case .localDateTime: return "\(date)T\(time)"
        case .offsetDateTime:
            if offsetMinutes == 0 { return "\(date)T\(time)Z" }
            let sign = offsetMinutes < 0 ? "-" : "+"
            let m = abs(offsetMinutes)
            return "\(date)T\(time)\(sign)\(two(m / 60)):\(two(m % 60))"
        }
    }
}

/// A decoded TOML value.
public enum TOMLValue: Sendable {
    case string(String, TOMLStringStyle)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    /// Boxed (`indirect`): inline, its nine fields made every value, node and entry of a
    /// document 80 bytes larger, and a large lab file's checks are bound by memory traffic.
    indirect case datetime(TOMLDateTime)
    case array(TOMLArray)
    case table(TOMLTable)

    /// A short name of the value's type, as used in messages ("string", "integer", ...).
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .bool: return "boolean"
        case .datetime: return "datetime"
        case .array(let a): return a.isArrayOfTables ? "array of tables" : "array"
        case .table: return "table"
        }
    }
}

/// A value together with the span of its text in the source.
public struct TOMLNode: Sendable {
    public internal(set) var value: TOMLValue
    /// The value's text: for a string, including its quotes; for a header-defined table, the header.
    public internal(set) var span: ByteSpan

    /// The string value, if this node is a string.
    public var string: String? { if case .string(let s, _) = value { return s } else { return nil } }
    /// The integer value, if this node is an integer.
    public var integer: Int64? { if case .integer(let i) = value { return i } else { return nil } }
    /// The boolean value, if this node is a boolean.
    public var bool: Bool? { if case .bool(let b) = value { return b } else { return nil } }
    /// The table, if this node is a table.
    public var table: TOMLTable? { if case .table(let t) = value { return t } else { return nil } }
    /// The array, if this node is an array.
    public var array: TOMLArray? { if case .array(let a) = value { return a } else { return nil } }
}

/// One key of a table with its value.
public struct TOMLEntry: Sendable {
    /// The decoded key (one component; dotted keys create nested tables).
    public internal(set) var key: String
    /// The span of this key component in the source (the first place it was written).
    public internal(set) var keySpan: ByteSpan
    public internal(set) var value: TOMLNode
}

/// A parsed TOML document: the root table plus the source it was parsed from.
public struct TOMLDocument: Sendable {
    public let root: TOMLTable
    public let source: SourceText
}
