/// A TOML syntax error: what was expected and where, as a byte offset and a line:column.
public struct TOMLSyntaxError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, phrased as "expected X, found Y" where that fits.
    public let message: String
    /// Byte offset of the offending input.
    public let offset: Int
    /// 1-based line and column of `offset`.
    public let position: SourcePosition

    /// `line:col: message`.
    public var description: String { "\(position): \(message)" }

    /// An error at `offset` (`position` is its line and column).
    public init(message: String, offset: Int, position: SourcePosition) {
        self.message = message
        self.offset = offset
        self.position = position
    }
}

/// A parser for TOML 1.0 that keeps byte spans for every key, header and value.
///
/// It validates UTF-8 up front, skips a leading UTF-8 byte-order mark, accepts LF and CRLF line
/// endings, and rejects nesting deeper than `maxNestingDepth` with an error instead of
/// exhausting the stack.
public enum TOMLParser {
    /// Arrays, inline tables and tables nested deeper than this are rejected.
    public static let maxNestingDepth = 512

    /// Parses a whole document.
    public static func parse(_ source: SourceText) throws -> TOMLDocument {
        try document(source) { parser, _ in try parser.parseDocument() }
    }

    /// A document of `source` with a parser at its start filling its root: `body` runs it, and
    /// its failure becomes a `TOMLSyntaxError` with a line and column.
    private static func document(_ source: SourceText, _ body: (inout ByteParser, TOMLTable) throws -> Void) throws -> TOMLDocument {
        let root = TOMLTable(origin: .root, depth: 0)
        do {
            try source.bytes.withUnsafeBufferPointer { buf in
                var parser = ByteParser(buf, root: root)
                try body(&parser, root)
            }
        } catch let failure as ParseFailure {
            throw TOMLSyntaxError(message: failure.message, offset: failure.offset,
                                  position: source.position(of: failure.offset))
        }
        return TOMLDocument(root: root, source: source)
    }

    /// The second piece of a document parsed in two (`parse(_:joining:at:)`): the tables from
    /// `start` to the end, parsed into a root of their own; nil when that part alone does not
    /// parse (the document is then parsed on from `start` in one piece, which reports the error).
    public final class Piece: @unchecked Sendable {
        // `@unchecked Sendable`: built by one thread, read by another only after it is handed
        // over (the caller's wait orders the two), and never changed after that.
        fileprivate let root: TOMLTable
        fileprivate init(root: TOMLTable) { self.root = root }
    }

    /// Where a large document can be cut in two for `parsePiece` and `parse(_:joining:at:)`: the
    /// first line from the middle on that starts with `[[` (an array-of-tables header, if the
    /// whole parse agrees that a statement starts there), or nil.
    public static func splitPoint(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 8 else { return nil }
        var i = bytes.count / 2
        while i + 2 < bytes.count {
            if bytes[i] == Byte.lf && bytes[i + 1] == Byte.lbracket && bytes[i + 2] == Byte.lbracket { return i + 1 }
            i += 1
        }
        return nil
    }

    /// Parses `source` from `start` (where `splitPoint` cut it) to its end into a root of its
    /// own; nil when the part does not parse alone. Safe to run on another thread while
    /// `parse(_:joining:at:)` parses the first part (the source is immutable).
    public static func parsePiece(_ source: SourceText, from start: Int) -> Piece? {
        let root = TOMLTable(origin: .root, depth: 0)
        let parsed: Bool? = source.bytes.withUnsafeBufferPointer { buf in
            var parser = ByteParser(buf, root: root, start: start)
            return try? parser.parseStatements(until: Int.max)
        }
        return parsed == nil ? nil : Piece(root: root)
    }

    /// Parses `source` in two pieces: up to `split` here, and the rest as `piece()` gives it
    /// (parsed meanwhile on another thread by `parsePiece`). The result is the one-piece
    /// parse's, error for error: the second piece is taken only when a statement of the whole
    /// parse starts exactly at `split` and every key of its root is an array of tables that the
    /// first part either lacks or also holds as an array of tables (its `[[name]]` elements are
    /// then appended in order, as one parse appends them); otherwise the document is parsed on
    /// from `split` as one piece. `piece` is called once, after the first part parsed.
    public static func parse(_ source: SourceText, joining piece: () -> Piece?, at split: Int) throws -> TOMLDocument {
        var joined = false
        return try parse(source, joining: piece, at: split, joined: &joined)
    }

    /// `parse(_:joining:at:)`, saying whether the second piece was taken (`joined`).
    static func parse(_ source: SourceText, joining piece: () -> Piece?, at split: Int, joined: inout Bool) throws -> TOMLDocument {
        var took = false
        defer { joined = took }
        return try document(source) { parser, root in
            try parser.validate()
            guard try parser.parseStatements(until: split) else { return }
            if let other = piece(), Self.joins(other.root, into: root) {
                for entry in other.root.entries {
                    if let pos = root.position(of: entry.key), case .array(let mine) = root.entries[pos].value.value,
                       case .array(let theirs) = entry.value.value {
                        mine.items.append(contentsOf: theirs.items)
                    } else {
                        root.append(entry)
                    }
                }
                took = true
                return
            }
            _ = try parser.parseStatements(until: Int.max)
        }
    }

    /// Whether a second piece's root is arrays of tables only, each absent from `root` or an
    /// array of tables there too.
    private static func joins(_ piece: TOMLTable, into root: TOMLTable) -> Bool {
        piece.entries.allSatisfy { entry in
            guard case .array(let theirs) = entry.value.value, theirs.isArrayOfTables else { return false }
            guard let pos = root.position(of: entry.key) else { return true }
            if case .array(let mine) = root.entries[pos].value.value { return mine.isArrayOfTables }
            return false
        }
    }

    /// Parses UTF-8 text (convenience for tests and small inputs).
    public static func parse(_ text: String) throws -> TOMLDocument {
        try parse(SourceText(text))
    }
}

// MARK: - The value tree's reference types
//
// They live in the parser's file so that `fileprivate` makes the parser their only writer: code
// elsewhere in this module (edits, JSON) and every other module can only read them.

/// A TOML array. A reference type because arrays of tables grow while the document is parsed;
/// it is not mutated after parsing returns: only this file (the parser) can write it, which the
/// compiler enforces with `fileprivate(set)`.
public final class TOMLArray: @unchecked Sendable {
    // Exclusivity is not checked dynamically: the parser is the only writer, on one thread,
    // and these accesses were a measurable share of parse time.
    @exclusivity(unchecked) public fileprivate(set) var items: [TOMLNode] = []
    /// True for `[[name]]` arrays of tables, false for inline `[...]` arrays.
    public let isArrayOfTables: Bool

    fileprivate init(isArrayOfTables: Bool) { self.isArrayOfTables = isArrayOfTables }
}

/// A TOML table with its entries in source order. A reference type because tables are filled
/// in as headers and dotted keys appear; it is not mutated after parsing returns: only this file
/// (the parser) can write it, which the compiler enforces with `fileprivate(set)`.
public final class TOMLTable: @unchecked Sendable {
    /// How the table came to exist; decides which later definitions are legal.
    public enum Origin: Sendable, Hashable {
        /// The document root.
        case root
        /// Defined by a `[header]`.
        case header
        /// Created as a parent of a header (`a` in `[a.b]`), not yet defined itself.
        case implicit
        /// Created by a dotted key (`a` in `a.b = 1`).
        case dotted
        /// An inline table `{ ... }` or one of its dotted sub-tables: closed for extension.
        case inline
        /// An element of an array of tables (`[[name]]`).
        case arrayElement
    }

    @exclusivity(unchecked) public fileprivate(set) var origin: Origin
    /// The `[header]` or `[[header]]` that opened this table, if any.
    public fileprivate(set) var headerSpan: ByteSpan?
    /// Nesting depth from the root (root is 0).
    let depth: Int
    // Not checked dynamically for exclusive access, like TOMLArray.items (parser-only writes).
    @exclusivity(unchecked) public fileprivate(set) var entries: [TOMLEntry] = []
    @exclusivity(unchecked) private var index: [String: Int]? = nil
    /// One bit per key of the table (`Self.bit(of:)`): a key whose bit is clear is absent, with
    /// no comparison. Checks mostly ask stage tables for fields they do not have.
    @exclusivity(unchecked) private var keyBits: UInt64 = 0

    /// The bit of `key` in `keyBits`: from its length and its first byte.
    @inline(__always) static func bit(of key: String) -> UInt64 {
        let utf8 = key.utf8
        let mix = utf8.count &* 7 &+ Int(utf8.first ?? 0) &* 3
        return 1 << UInt64(mix & 63)
    }

    fileprivate init(origin: Origin, depth: Int) {
        self.origin = origin
        self.depth = depth
    }

    /// The position of `key` in `entries`, if present.
    func position(of key: String) -> Int? {
        guard keyBits & Self.bit(of: key) != 0 else { return nil }
        if let index { return index[key] }
        // One access to `entries` for the whole scan (no per-element exclusivity checks).
        return entries.withUnsafeBufferPointer { buffer in
            // Lengths first: a stage's keys mostly differ in length, and that test is inline
            // where `==` of two unequal strings is a call.
            let count = key.utf8.count
            for i in buffer.indices where buffer[i].key.utf8.count == count && buffer[i].key == key { return i }
            return nil
        }
    }

    /// The entry for `key`, if present.
    public func entry(_ key: String) -> TOMLEntry? {
        position(of: key).map { entries[$0] }
    }

    /// The value for `key`, if present.
    public subscript(key: String) -> TOMLNode? { entry(key)?.value }

    /// Whether the table has `key` (no copy of its value).
    public func has(_ key: String) -> Bool { position(of: key) != nil }

    fileprivate func append(_ entry: TOMLEntry) {
        // Stage tables hold about eight fields: grow once, not four times.
        if entries.isEmpty { entries.reserveCapacity(8) }
        entries.append(entry)
        keyBits |= Self.bit(of: entry.key)
        let count = entries.count
        if index != nil {
            index?[entry.key] = count - 1
        } else if count > 12 {
            // Small tables are searched linearly; large ones get a hash index.
            var built: [String: Int] = [:]
            built.reserveCapacity(entries.count * 2)
            for (i, e) in entries.enumerated() { built[e.key] = i }
            index = built
        }
    }

    fileprivate func setValue(at position: Int, _ node: TOMLNode) { entries[position].value = node }
}

/// An error inside the byte parser, before its offset is turned into a line and column.
struct ParseFailure: Error {
    let message: String
    let offset: Int
}

/// One piece of a decoded string's map back to its source: decoded byte offset `decoded`
/// corresponds to source byte `source`; when `verbatim`, the following bytes correspond one to
/// one, otherwise (an escape sequence) all of them correspond to `source`.
struct StringSegment: Sendable {
    var decoded: Int
    var source: Int
    var verbatim: Bool
}

private enum Byte {
    static let tab: UInt8 = 0x09, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D, space: UInt8 = 0x20
    static let quote: UInt8 = 0x22, hash: UInt8 = 0x23, apostrophe: UInt8 = 0x27
    static let plus: UInt8 = 0x2B, comma: UInt8 = 0x2C, minus: UInt8 = 0x2D, dot: UInt8 = 0x2E
    static let colon: UInt8 = 0x3A, equals: UInt8 = 0x3D
    static let lbracket: UInt8 = 0x5B, backslash: UInt8 = 0x5C, rbracket: UInt8 = 0x5D
    static let underscore: UInt8 = 0x5F, lbrace: UInt8 = 0x7B, rbrace: UInt8 = 0x7D, del: UInt8 = 0x7F
}

@inline(__always) private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

/// Bare-key bytes `A-Z a-z 0-9 _ -` as a 128-bit set: bit c of (low, high).
@inline(__always) private func isBareKeyByte(_ c: UInt8) -> Bool {
    let low: UInt64 = 0x03FF200000000000, high: UInt64 = 0x07FFFFFE87FFFFFE
    if c < 64 { return (low >> UInt64(c)) & 1 == 1 }
    if c < 128 { return (high >> UInt64(c - 64)) & 1 == 1 }
    return false
}

/// The parser proper, over the raw bytes.
struct ByteParser {
    private let b: UnsafeBufferPointer<UInt8>
    private let n: Int
    private(set) var p: Int
    private let root: TOMLTable
    private var current: TOMLTable
    private var numberScratch: [UInt8] = []

    init(_ buffer: UnsafeBufferPointer<UInt8>, root: TOMLTable, start: Int = 0) {
        b = buffer
        n = buffer.count
        p = start
        self.root = root
        current = root
    }

    // MARK: Errors

    private func fail(_ message: String, at offset: Int? = nil) -> ParseFailure {
        ParseFailure(message: message, offset: offset ?? p)
    }

    /// Describes the byte at `offset` for an error message.
    private func found(_ offset: Int? = nil) -> String {
        let o = offset ?? p
        guard o < n else { return "end of file" }
        let c = b[o]
        switch c {
        case Byte.lf: return "end of line"
        case Byte.cr: return o + 1 < n && b[o + 1] == Byte.lf ? "end of line" : "a carriage return (U+000D) not followed by a line feed"
        case 0x00..<0x20, Byte.del:
            let hex = String(c, radix: 16, uppercase: true)
            return "control character U+" + String(repeating: "0", count: 4 - hex.count) + hex
        case 0x20..<0x7F: return "'\(Character(Unicode.Scalar(c)))'"
        default:
            var end = o + 1
            while end < n && b[end] & 0xC0 == 0x80 { end += 1 }
            return "'\(String(decoding: UnsafeBufferPointer(rebasing: b[o..<end]), as: UTF8.self))'"
        }
    }

    private func expected(_ what: String) -> ParseFailure { fail("expected \(what), found \(found())") }

    // MARK: Document

    mutating func parseDocument() throws {
        try validate()
        _ = try parseStatements(until: Int.max)
    }

    /// The whole input's UTF-8 checked, and a leading byte-order mark skipped.
    mutating func validate() throws {
        try validateUTF8()
        if n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { p = 3 }
    }

    /// Parses statements from `p` to the end; stops before a statement that starts exactly at
    /// `limit` and returns true, or returns false at the end.
    mutating func parseStatements(until limit: Int) throws -> Bool {
        while true {
            skipSpaces()
            if p == limit { return true }
            guard p < n else { return false }
            switch b[p] {
            case Byte.lf:
                p += 1
                continue
            case Byte.cr:
                try consumeNewline()
                continue
            case Byte.hash:
                try skipComment()
            case Byte.lbracket:
                try parseHeader()
            default:
                try parseKeyValue(into: current, valueDepth: current.depth)
            }
            try expectEndOfLine()
        }
    }

    /// UTF-8 through the package's one validator; the message then says what is wrong at the
    /// first bad byte.
    private mutating func validateUTF8() throws {
        if n >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)) {
            throw fail("the file is UTF-16 (it starts with a UTF-16 byte-order mark); TOML must be UTF-8", at: 0)
        }
        if let i = UTF8Check.firstInvalid(b) { throw fail(Self.describeInvalidUTF8(b, at: i), at: i) }
        // A U+FEFF after the start is an ordinary character (valid in strings and comments;
        // anywhere else the grammar rejects it): only a leading byte-order mark is skipped.
    }

    /// What is wrong with the ill-formed UTF-8 sequence starting at `i`.
    static func describeInvalidUTF8(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> String {
        let c = b[i]
        guard (0xC2...0xF4).contains(c) else { return "invalid UTF-8 byte 0x\(String(c, radix: 16, uppercase: true))" }
        let need = c < 0xE0 ? 1 : (c < 0xF0 ? 2 : 3)
        if i + need >= b.count { return "truncated UTF-8 sequence at end of file" }
        for k in 1...need where b[i + k] & 0xC0 != 0x80 { return "invalid UTF-8 sequence" }
        return "invalid UTF-8 sequence (overlong, surrogate or out of range)"
    }

    @inline(__always) private mutating func skipSpaces() {
        while p < n && (b[p] == Byte.space || b[p] == Byte.tab) { p += 1 }
    }

    private mutating func consumeNewline() throws {
        if p < n && b[p] == Byte.lf { p += 1; return }
        if p + 1 < n && b[p] == Byte.cr && b[p + 1] == Byte.lf { p += 2; return }
        throw expected("end of line")
    }

    /// Skips a comment starting at `#`, up to (not including) the line ending.
    private mutating func skipComment() throws {
        p += 1
        let raw = UnsafeRawBufferPointer(b)
        while p < n {
            while p + 8 <= n && !WordScan.hasControl(raw.loadUnaligned(fromByteOffset: p, as: UInt64.self)) { p += 8 }
            guard p < n else { return }
            let c = b[p]
            if c == Byte.lf { return }
            if c == Byte.cr {
                if p + 1 < n && b[p + 1] == Byte.lf { return }
                throw fail("comments may not contain \(found())")
            }
            if (c < 0x20 && c != Byte.tab) || c == Byte.del { throw fail("comments may not contain \(found())") }
            p += 1
        }
    }

    private mutating func expectEndOfLine() throws {
        skipSpaces()
        if p < n && b[p] == Byte.hash { try skipComment() }
        if p >= n { return }
        if b[p] == Byte.lf || b[p] == Byte.cr { try consumeNewline(); return }
        throw expected("end of line")
    }

    // MARK: Keys

    /// One component of a possibly dotted key.
    private typealias KeyPart = (name: String, span: ByteSpan)

    /// Parses a possibly dotted key: the components before the last dot, and the last one.
    /// A plain key (the common case) allocates no array.
    private mutating func parseKey() throws -> (parents: [KeyPart], last: KeyPart) {
        var parents: [KeyPart] = []
        while true {
            skipSpaces()
            let start = p
            guard p < n else { throw expected("a key") }
            let c = b[p]
            let name: String
            if c == Byte.quote || c == Byte.apostrophe {
                if p + 2 < n && b[p + 1] == c && b[p + 2] == c {
                    throw fail("a multi-line string cannot be used as a key")
                }
                var ignored: [StringSegment]? = nil
                name = try parseString(map: &ignored).0
            } else if isBareKeyByte(c) {
                while p < n && isBareKeyByte(b[p]) { p += 1 }
                name = String(decoding: UnsafeBufferPointer(rebasing: b[start..<p]), as: UTF8.self)
            } else {
                throw expected("a key (letters, digits, '_', '-', or a quoted string)")
            }
            let part = (name: name, span: ByteSpan(start, p))
            skipSpaces()
            if p < n && b[p] == Byte.dot {
                p += 1
                parents.append(part)
                continue
            }
            return (parents, part)
        }
    }

    private func checkDepth(_ depth: Int) throws {
        if depth > TOMLParser.maxNestingDepth {
            throw fail("nesting deeper than \(TOMLParser.maxNestingDepth) levels is not supported")
        }
    }

    /// Where an existing entry was defined, for "first defined at" messages; the byte offset.
    /// `'name' (a string, first defined at 3:1)`: what the existing key is and where.
    private func describe(_ entry: TOMLEntry) -> String {
        let offset = min(entry.keySpan.start, n)
        var line = 1, lineStart = 0
        for i in 0..<offset where b[i] == 0x0A { line += 1; lineStart = i + 1 }
        var column = 1
        for i in lineStart..<offset where b[i] & 0xC0 != 0x80 { column += 1 }
        let type = entry.value.value.typeName
        let article = "aeiou".contains(type.first ?? "x") ? "an" : "a"
        return "'\(entry.key)' (\(article) \(type), first defined at \(line):\(column))"
    }

    // MARK: Headers

    private mutating func parseHeader() throws {
        let start = p
        p += 1
        let isArray = p < n && b[p] == Byte.lbracket
        if isArray { p += 1 }
        let key = try parseKey()
        guard p < n && b[p] == Byte.rbracket else { throw expected(isArray ? "']]' to close the table header" : "']' to close the table header") }
        p += 1
        if isArray {
            guard p < n && b[p] == Byte.rbracket else { throw expected("']]' to close the array-of-tables header") }
            p += 1
        }
        let span = ByteSpan(start, p)
        var table = root
        for part in key.parents {
            table = try descendForHeader(table, part.name, part.span)
        }
        let last = key.last
        try checkDepth(table.depth + 1)
        if isArray {
            let element = TOMLTable(origin: .arrayElement, depth: table.depth + 1)
            element.headerSpan = span
            if let pos = table.position(of: last.name) {
                let entry = table.entries[pos]
                guard case .array(let array) = entry.value.value, array.isArrayOfTables else {
                    throw fail("cannot define [[\(last.name)]]: the key \(describe(entry)) already exists and is not an array of tables", at: last.span.start)
                }
                array.items.append(TOMLNode(value: .table(element), span: span))
            } else {
                let array = TOMLArray(isArrayOfTables: true)
                array.items.append(TOMLNode(value: .table(element), span: span))
                table.append(TOMLEntry(key: last.name, keySpan: last.span, value: TOMLNode(value: .array(array), span: span)))
            }
            current = element
        } else {
            if let pos = table.position(of: last.name) {
                let entry = table.entries[pos]
                guard case .table(let existing) = entry.value.value else {
                    throw fail("cannot define table [\(last.name)]: the key \(describe(entry)) already exists", at: last.span.start)
                }
                switch existing.origin {
                case .implicit:
                    existing.origin = .header
                    existing.headerSpan = span
                    table.setValue(at: pos, TOMLNode(value: .table(existing), span: span))
                case .dotted:
                    throw fail("table '\(last.name)' was already created by a dotted key and cannot be defined again with a header", at: last.span.start)
                case .inline:
                    throw fail("table '\(last.name)' is an inline table and cannot be extended", at: last.span.start)
                case .header, .root, .arrayElement:
                    throw fail("table '\(last.name)' is defined more than once", at: last.span.start)
                }
                current = existing
            } else {
                let created = TOMLTable(origin: .header, depth: table.depth + 1)
                created.headerSpan = span
                table.append(TOMLEntry(key: last.name, keySpan: last.span, value: TOMLNode(value: .table(created), span: span)))
                current = created
            }
        }
    }

    /// Walks one key component of a header, creating an implicit table if needed.
    private func descendForHeader(_ table: TOMLTable, _ name: String, _ span: ByteSpan) throws -> TOMLTable {
        if let pos = table.position(of: name) {
            let entry = table.entries[pos]
            switch entry.value.value {
            case .table(let t):
                if t.origin == .inline { throw fail("'\(name)' is an inline table and cannot be extended", at: span.start) }
                return t
            case .array(let a):
                guard a.isArrayOfTables, let last = a.items.last?.table else {
                    throw fail("'\(name)' is a static array and cannot be extended with a table header", at: span.start)
                }
                return last
            default:
                throw fail("'\(name)' is already a \(entry.value.value.typeName), not a table", at: span.start)
            }
        }
        try checkDepth(table.depth + 1)
        let created = TOMLTable(origin: .implicit, depth: table.depth + 1)
        table.append(TOMLEntry(key: name, keySpan: span, value: TOMLNode(value: .table(created), span: span)))
        return created
    }

    // MARK: Key/value pairs

    private mutating func parseKeyValue(into target: TOMLTable, valueDepth: Int) throws {
        let key = try parseKey()
        var table = target
        for part in key.parents {
            if let pos = table.position(of: part.name) {
                let entry = table.entries[pos]
                guard case .table(let t) = entry.value.value else {
                    throw fail("cannot use '\(part.name)' as a table: it is already a \(entry.value.value.typeName)", at: part.span.start)
                }
                switch t.origin {
                case .dotted: table = t
                case .inline: throw fail("'\(part.name)' is an inline table and cannot be extended", at: part.span.start)
                default: throw fail("cannot add keys to table '\(part.name)' with a dotted key: it was defined by a table header", at: part.span.start)
                }
            } else {
                try checkDepth(table.depth + 1)
                let created = TOMLTable(origin: .dotted, depth: table.depth + 1)
                table.append(TOMLEntry(key: part.name, keySpan: part.span, value: TOMLNode(value: .table(created), span: part.span)))
                table = created
            }
        }
        let last = key.last
        if let existing = table.position(of: last.name) {
            throw fail("duplicate key \(describe(table.entries[existing]))", at: last.span.start)
        }
        guard p < n && b[p] == Byte.equals else { throw expected("'=' after the key") }
        p += 1
        skipSpaces()
        let value = try parseValue(depth: max(valueDepth, table.depth))
        table.append(TOMLEntry(key: last.name, keySpan: last.span, value: value))
    }

    // MARK: Values

    private mutating func parseValue(depth: Int) throws -> TOMLNode {
        guard p < n else { throw expected("a value") }
        let start = p
        let c = b[p]
        switch c {
        case Byte.quote, Byte.apostrophe:
            var ignored: [StringSegment]? = nil
            let (s, style) = try parseString(map: &ignored)
            return TOMLNode(value: .string(s, style), span: ByteSpan(start, p))
        case Byte.lbracket:
            return try parseArray(depth: depth + 1)
        case Byte.lbrace:
            return try parseInlineTable(depth: depth + 1)
        case 0x74: // t
            if matches("true") { p += 4; return TOMLNode(value: .bool(true), span: ByteSpan(start, p)) }
        case 0x66: // f
            if matches("false") { p += 5; return TOMLNode(value: .bool(false), span: ByteSpan(start, p)) }
        default:
            if isDigit(c) || c == Byte.plus || c == Byte.minus || c == 0x69 || c == 0x6E {
                return try parseNumberOrDate()
            }
        }
        throw expected("a value (string, number, boolean, date, array or inline table)")
    }

    private func matches(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard p + count <= n else { return false }
        let w = word.utf8Start
        for i in 0..<count where b[p + i] != w[i] { return false }
        // The word must end here: `trueish` is not `true`.
        return p + count >= n || !isBareKeyByte(b[p + count])
    }

    private mutating func skipArrayTrivia() throws {
        while p < n {
            switch b[p] {
            case Byte.space, Byte.tab, Byte.lf: p += 1
            case Byte.cr: try consumeNewline()
            case Byte.hash: try skipComment()
            default: return
            }
        }
    }

    private mutating func parseArray(depth: Int) throws -> TOMLNode {
        try checkDepth(depth)
        let start = p
        p += 1
        let array = TOMLArray(isArrayOfTables: false)
        while true {
            try skipArrayTrivia()
            guard p < n else { throw expected("']' to close the array opened at byte \(start)") }
            if b[p] == Byte.rbracket { p += 1; break }
            array.items.append(try parseValue(depth: depth))
            try skipArrayTrivia()
            guard p < n else { throw expected("',' or ']' in the array") }
            if b[p] == Byte.comma { p += 1; continue }
            if b[p] == Byte.rbracket { p += 1; break }
            throw expected("',' or ']' in the array")
        }
        return TOMLNode(value: .array(array), span: ByteSpan(start, p))
    }

    private mutating func parseInlineTable(depth: Int) throws -> TOMLNode {
        try checkDepth(depth)
        let start = p
        p += 1
        let table = TOMLTable(origin: .dotted, depth: depth)
        skipSpaces()
        if p < n && b[p] == Byte.rbrace {
            p += 1
        } else {
            while true {
                skipSpaces()
                if p < n && (b[p] == Byte.lf || b[p] == Byte.cr) {
                    throw fail("an inline table must be on one line (TOML 1.0)")
                }
                try parseKeyValue(into: table, valueDepth: depth)
                skipSpaces()
                guard p < n else { throw expected("',' or '}' in the inline table") }
                if b[p] == Byte.comma { p += 1; continue }
                if b[p] == Byte.rbrace { p += 1; break }
                if b[p] == Byte.lf || b[p] == Byte.cr { throw fail("an inline table must be on one line (TOML 1.0)") }
                throw expected("',' or '}' in the inline table")
            }
        }
        seal(table)
        return TOMLNode(value: .table(table), span: ByteSpan(start, p))
    }

    /// Marks an inline table and the tables its dotted keys created as closed for extension.
    private func seal(_ table: TOMLTable) {
        table.origin = .inline
        for entry in table.entries {
            if case .table(let t) = entry.value.value, t.origin == .dotted { seal(t) }
        }
    }

    // MARK: Strings

    /// Parses any of the four string forms at `p`. When `map` is non-nil, records how decoded
    /// offsets correspond to source offsets.
    mutating func parseString(map: inout [StringSegment]?) throws -> (String, TOMLStringStyle) {
        let q = b[p]
        let multiline = p + 2 < n && b[p + 1] == q && b[p + 2] == q
        if q == Byte.apostrophe {
            return multiline ? (try parseMultilineLiteral(map: &map), .multilineLiteral) : (try parseLiteral(map: &map), .literal)
        }
        return multiline ? (try parseMultilineBasic(map: &map), .multilineBasic) : (try parseBasic(map: &map), .basic)
    }

    /// Moves `p` over bytes a multi-line string holds as they are, sixteen at a time: stops at
    /// the first block holding `stop1`, `stop2`, a CR or a control character other than tab
    /// and LF (the caller looks at those byte by byte), or where fewer than sixteen bytes are
    /// left. A code block's lines end in LFs, which an eight-byte word test stopped at.
    @inline(__always) private mutating func skipMultilinePlain(_ stop1: UInt8, _ stop2: UInt8) {
        let raw = UnsafeRawBufferPointer(b)
        let a = Block16.Bytes(repeating: stop1), q = Block16.Bytes(repeating: stop2)
        let space = Block16.Bytes(repeating: 0x20), lf = Block16.Bytes(repeating: Byte.lf)
        let tab = Block16.Bytes(repeating: Byte.tab), del = Block16.Bytes(repeating: Byte.del)
        while p + 16 <= n {   // a load reads bytes p..<p+16, all inside the buffer
            let v = Block16.load(raw, p)
            let stop = (v .== a) .| (v .== q) .| (v .== del) .| ((v .< space) .& (v .!= lf) .& (v .!= tab))
            if Block16.any(stop) { p += Block16.firstSet(stop); return }
            p += 16
        }
    }

    @inline(__always) private func isForbiddenControl(_ c: UInt8) -> Bool {
        (c < 0x20 && c != Byte.tab) || c == Byte.del
    }

    private func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self)
    }

    private mutating func parseLiteral(map: inout [StringSegment]?) throws -> String {
        p += 1
        let start = p
        while p < n {
            let c = b[p]
            if c == Byte.apostrophe {
                map?.append(StringSegment(decoded: 0, source: start, verbatim: true))
                let s = string(start..<p)
                p += 1
                return s
            }
            if isForbiddenControl(c) {
                if c == Byte.lf || c == Byte.cr { throw fail("a literal string must end on the line it starts (found end of line); use ''' for multi-line text") }
                throw fail("literal strings may not contain \(found())")
            }
            p += 1
        }
        throw fail("unterminated literal string: expected a closing \"'\", found end of file")
    }

    private mutating func parseMultilineLiteral(map: inout [StringSegment]?) throws -> String {
        p += 3
        if p < n && b[p] == Byte.lf { p += 1 } else if p + 1 < n && b[p] == Byte.cr && b[p + 1] == Byte.lf { p += 2 }
        let start = p
        while p < n {
            skipMultilinePlain(Byte.apostrophe, Byte.apostrophe)
            guard p < n else { break }
            let c = b[p]
            if c == Byte.apostrophe && p + 2 < n && b[p + 1] == Byte.apostrophe && b[p + 2] == Byte.apostrophe {
                var quotes = 3
                while p + quotes < n && b[p + quotes] == Byte.apostrophe { quotes += 1 }
                if quotes > 5 { throw fail("too many quotes: at most two ' may stand before the closing '''", at: p) }
                let end = p + quotes - 3
                map?.append(StringSegment(decoded: 0, source: start, verbatim: true))
                let s = string(start..<end)
                p += quotes
                return s
            }
            if c == Byte.cr {
                guard p + 1 < n && b[p + 1] == Byte.lf else { throw fail("multi-line strings may not contain \(found())") }
                p += 2
                continue
            }
            if isForbiddenControl(c) && c != Byte.lf { throw fail("multi-line literal strings may not contain \(found())") }
            p += 1
        }
        throw fail("unterminated multi-line literal string: expected ''', found end of file")
    }

    private mutating func parseBasic(map: inout [StringSegment]?) throws -> String {
        p += 1
        let start = p
        // Fast path: no escapes. Skip eight plain bytes at a time.
        let raw = UnsafeRawBufferPointer(b)
        while p < n {
            while p + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: p, as: UInt64.self)
                if WordScan.has(w, Byte.quote) || WordScan.has(w, Byte.backslash) || WordScan.hasControl(w) { break }
                p += 8
            }
            guard p < n else { break }
            let c = b[p]
            if c == Byte.quote {
                map?.append(StringSegment(decoded: 0, source: start, verbatim: true))
                let s = string(start..<p)
                p += 1
                return s
            }
            if c == Byte.backslash { break }
            if isForbiddenControl(c) {
                if c == Byte.lf || c == Byte.cr { throw fail("a basic string must end on the line it starts (found end of line); use \"\"\" for multi-line text, or \\n") }
                throw fail("strings may not contain \(found()); write it as an escape such as \\u0007")
            }
            p += 1
        }
        guard p < n else { throw fail("unterminated string: expected a closing '\"', found end of file") }
        var out: [UInt8] = []
        out.reserveCapacity(p - start + 16)
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<p]))
        map?.append(StringSegment(decoded: 0, source: start, verbatim: true))
        while p < n {
            let c = b[p]
            if c == Byte.quote { p += 1; return String(decoding: out, as: UTF8.self) }
            if c == Byte.backslash {
                try decodeEscape(into: &out, map: &map, multiline: false)
                continue
            }
            if isForbiddenControl(c) {
                if c == Byte.lf || c == Byte.cr { throw fail("a basic string must end on the line it starts (found end of line)") }
                throw fail("strings may not contain \(found()); write it as an escape such as \\u0007")
            }
            // Copy the run up to the next quote, escape or control character in one go.
            let run = p
            p += 1
            while p + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: p, as: UInt64.self)
                if WordScan.has(w, Byte.quote) || WordScan.has(w, Byte.backslash) || WordScan.hasControl(w) { break }
                p += 8
            }
            while p < n {
                let d = b[p]
                if d == Byte.quote || d == Byte.backslash || isForbiddenControl(d) { break }
                p += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[run..<p]))
        }
        throw fail("unterminated string: expected a closing '\"', found end of file")
    }

    private mutating func parseMultilineBasic(map: inout [StringSegment]?) throws -> String {
        p += 3
        if p < n && b[p] == Byte.lf { p += 1 } else if p + 1 < n && b[p] == Byte.cr && b[p + 1] == Byte.lf { p += 2 }
        var out: [UInt8] = []
        map?.append(StringSegment(decoded: 0, source: p, verbatim: true))
        while p < n {
            let c = b[p]
            if c == Byte.quote && p + 2 < n && b[p + 1] == Byte.quote && b[p + 2] == Byte.quote {
                var quotes = 3
                while p + quotes < n && b[p + quotes] == Byte.quote { quotes += 1 }
                if quotes > 5 { throw fail("too many quotes: at most two \" may stand before the closing \"\"\"", at: p) }
                for _ in 0..<(quotes - 3) { out.append(Byte.quote) }
                p += quotes
                return String(decoding: out, as: UTF8.self)
            }
            if c == Byte.backslash {
                try decodeEscape(into: &out, map: &map, multiline: true)
                continue
            }
            if c == Byte.cr {
                guard p + 1 < n && b[p + 1] == Byte.lf else { throw fail("multi-line strings may not contain \(found())") }
                out.append(Byte.cr)
                out.append(Byte.lf)
                p += 2
                continue
            }
            if isForbiddenControl(c) && c != Byte.lf { throw fail("multi-line strings may not contain \(found())") }
            let run = p
            p += 1
            skipMultilinePlain(Byte.quote, Byte.backslash)
            while p < n {
                let d = b[p]
                if d == Byte.quote || d == Byte.backslash || d == Byte.cr || (isForbiddenControl(d) && d != Byte.lf) { break }
                p += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[run..<p]))
        }
        throw fail("unterminated multi-line string: expected \"\"\", found end of file")
    }

    /// Decodes one escape sequence at `p` (a backslash).
    private mutating func decodeEscape(into out: inout [UInt8], map: inout [StringSegment]?, multiline: Bool) throws {
        let escapeStart = p
        guard p + 1 < n else { throw fail("unterminated escape sequence at end of file") }
        let e = b[p + 1]
        var scalarValue: UInt32? = nil
        var produced: UInt8? = nil
        switch e {
        case 0x62: produced = 0x08 // b
        case 0x74: produced = Byte.tab
        case 0x6E: produced = Byte.lf
        case 0x66: produced = 0x0C // f
        case 0x72: produced = Byte.cr
        case Byte.quote: produced = Byte.quote
        case Byte.backslash: produced = Byte.backslash
        case 0x75, 0x55: // u, U
            let digits = e == 0x75 ? 4 : 8
            guard p + 2 + digits <= n else { throw fail("\\\(e == 0x75 ? "u" : "U") needs \(digits) hexadecimal digits") }
            var v: UInt32 = 0
            for i in 0..<digits {
                let h = b[p + 2 + i]
                let d: UInt32
                switch h {
                case 0x30...0x39: d = UInt32(h - 0x30)
                case 0x41...0x46: d = UInt32(h - 0x41 + 10)
                case 0x61...0x66: d = UInt32(h - 0x61 + 10)
                default: throw fail("\\\(e == 0x75 ? "u" : "U") needs \(digits) hexadecimal digits, found \(found(p + 2 + i))", at: p + 2 + i)
                }
                v = v << 4 | d
            }
            guard Unicode.Scalar(v) != nil else {
                throw fail("escape \\\(e == 0x75 ? "u" : "U")\(String(v, radix: 16, uppercase: true)) is not a Unicode scalar value")
            }
            scalarValue = v
        default:
            if multiline && (e == Byte.space || e == Byte.tab || e == Byte.lf || e == Byte.cr) {
                // Line-ending backslash: only whitespace may follow it on its line.
                var q = p + 1
                while q < n && (b[q] == Byte.space || b[q] == Byte.tab) { q += 1 }
                guard q < n && (b[q] == Byte.lf || (b[q] == Byte.cr && q + 1 < n && b[q + 1] == Byte.lf)) else {
                    throw fail("a backslash followed by spaces must end the line (line-ending backslash)", at: escapeStart)
                }
                while q < n && (b[q] == Byte.space || b[q] == Byte.tab || b[q] == Byte.lf || (b[q] == Byte.cr && q + 1 < n && b[q + 1] == Byte.lf)) {
                    q += b[q] == Byte.cr ? 2 : 1
                }
                p = q
                map?.append(StringSegment(decoded: out.count, source: p, verbatim: true))
                return
            }
            throw fail("invalid escape sequence \\\(found(p + 1).trimmingQuotes); valid escapes are \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX", at: escapeStart)
        }
        map?.append(StringSegment(decoded: out.count, source: escapeStart, verbatim: false))
        if let produced {
            out.append(produced)
            p += 2
        } else if let v = scalarValue, let scalar = Unicode.Scalar(v) {
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
            p += 2 + (e == 0x75 ? 4 : 8)
        }
        map?.append(StringSegment(decoded: out.count, source: p, verbatim: true))
    }

    // MARK: Numbers and dates

    /// Reads digits with single underscores between them; returns the digits without underscores.
    private mutating func digitRun(radix: Int, what: String, into digits: inout [UInt8]) throws {
        func isRadixDigit(_ c: UInt8) -> Bool {
            switch radix {
            case 16: return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
            case 8: return c >= 0x30 && c <= 0x37
            case 2: return c == 0x30 || c == 0x31
            default: return isDigit(c)
            }
        }
        guard p < n && isRadixDigit(b[p]) else { throw expected("a digit in \(what)") }
        while p < n {
            let c = b[p]
            if isRadixDigit(c) { digits.append(c); p += 1; continue }
            if c == Byte.underscore {
                guard p + 1 < n && isRadixDigit(b[p + 1]) else { throw fail("an underscore in a number must stand between two digits") }
                p += 1
                continue
            }
            break
        }
    }

    private mutating func parseNumberOrDate() throws -> TOMLNode {
        let start = p
        // Dates start with four digits and '-'; times with two digits and ':'.
        if p + 4 < n && isDigit(b[p]) && isDigit(b[p + 1]) && isDigit(b[p + 2]) && isDigit(b[p + 3]) && b[p + 4] == Byte.minus {
            return try parseDateTime()
        }
        if p + 2 < n && isDigit(b[p]) && isDigit(b[p + 1]) && b[p + 2] == Byte.colon {
            return try parseDateTime()
        }
        var negative = false
        var signed = false
        if b[p] == Byte.plus || b[p] == Byte.minus {
            negative = b[p] == Byte.minus
            signed = true
            p += 1
        }
        if p < n && b[p] == 0x69 { // i
            guard matches("inf") else { throw expected("a number") }
            p += 3
            return TOMLNode(value: .float(negative ? -.infinity : .infinity), span: ByteSpan(start, p))
        }
        if p < n && b[p] == 0x6E { // n
            guard matches("nan") else { throw expected("a number") }
            p += 3
            return TOMLNode(value: .float(.nan), span: ByteSpan(start, p))
        }
        if p + 1 < n && b[p] == 0x30 && (b[p + 1] == 0x78 || b[p + 1] == 0x6F || b[p + 1] == 0x62) {
            if signed { throw fail("hexadecimal, octal and binary integers cannot have a sign", at: start) }
            let radix = b[p + 1] == 0x78 ? 16 : (b[p + 1] == 0x6F ? 8 : 2)
            p += 2
            var digits: [UInt8] = []
            try digitRun(radix: radix, what: "the integer", into: &digits)
            guard let v = Int64(String(decoding: digits, as: UTF8.self), radix: radix) else {
                throw fail("integer does not fit in 64 bits", at: start)
            }
            return TOMLNode(value: .integer(v), span: ByteSpan(start, p))
        }
        let intStart = p
        // Take the scratch buffer (not a copy of it), so it is reused without copy-on-write.
        var text: [UInt8] = []
        swap(&text, &numberScratch)
        text.removeAll(keepingCapacity: true)
        if negative { text.append(Byte.minus) }
        try digitRun(radix: 10, what: "the number", into: &text)
        let intDigits = text.count - (negative ? 1 : 0)
        if intDigits > 1 && text[negative ? 1 : 0] == 0x30 {
            throw fail("leading zeros are not allowed in a decimal number", at: intStart)
        }
        var isFloat = false
        if p < n && b[p] == Byte.dot {
            p += 1
            isFloat = true
            text.append(Byte.dot)
            try digitRun(radix: 10, what: "the fractional part", into: &text)
        }
        if p < n && (b[p] == 0x65 || b[p] == 0x45) {
            p += 1
            isFloat = true
            text.append(0x65)
            if p < n && (b[p] == Byte.plus || b[p] == Byte.minus) { text.append(b[p]); p += 1 }
            try digitRun(radix: 10, what: "the exponent", into: &text)
        }
        numberScratch = text
        if isFloat {
            guard let d = Double(String(decoding: text, as: UTF8.self)) else { throw fail("invalid float", at: start) }
            return TOMLNode(value: .float(d), span: ByteSpan(start, p))
        }
        // Accumulate negatively so Int64.min fits.
        var v: Int64 = 0
        for c in text where c != Byte.minus {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (r, o2) = m.subtractingReportingOverflow(Int64(c - 0x30))
            if o1 || o2 { throw fail("integer does not fit in 64 bits", at: start) }
            v = r
        }
        if !negative {
            guard v != Int64.min else { throw fail("integer does not fit in 64 bits", at: start) }
            v = -v
        }
        return TOMLNode(value: .integer(v), span: ByteSpan(start, p))
    }

    private mutating func fixedDigits(_ count: Int, _ what: String) throws -> Int {
        var v = 0
        for _ in 0..<count {
            guard p < n && isDigit(b[p]) else { throw expected("\(count) digits for the \(what)") }
            v = v * 10 + Int(b[p] - 0x30)
            p += 1
        }
        return v
    }

    private mutating func expectByte(_ c: UInt8, _ what: String) throws {
        guard p < n && b[p] == c else { throw expected(what) }
        p += 1
    }

    private mutating func parseTime(into dt: inout TOMLDateTime) throws {
        let at = p
        dt.hour = try fixedDigits(2, "hour")
        try expectByte(Byte.colon, "':' between hour and minute")
        dt.minute = try fixedDigits(2, "minute")
        try expectByte(Byte.colon, "':' and seconds (TOML 1.0 requires seconds)")
        dt.second = try fixedDigits(2, "second")
        if p < n && b[p] == Byte.dot {
            p += 1
            let fs = p
            while p < n && isDigit(b[p]) { p += 1 }
            guard p > fs else { throw expected("digits after the decimal point of the seconds") }
            dt.fraction = string(fs..<p)
        }
        if dt.hour > 23 || dt.minute > 59 || dt.second > 60 {
            throw fail("time \(string(at..<p)) is out of range (hour 00-23, minute 00-59, second 00-60)", at: at)
        }
    }

    private mutating func parseDateTime() throws -> TOMLNode {
        let start = p
        var dt = TOMLDateTime(kind: .localTime)
        if p + 2 < n && b[p + 2] == Byte.colon {
            try parseTime(into: &dt)
            return TOMLNode(value: .datetime(dt), span: ByteSpan(start, p))
        }
        dt.kind = .localDate
        dt.year = try fixedDigits(4, "year")
        try expectByte(Byte.minus, "'-' between year and month")
        dt.month = try fixedDigits(2, "month")
        try expectByte(Byte.minus, "'-' between month and day")
        dt.day = try fixedDigits(2, "day")
        let leap = (dt.year % 4 == 0 && dt.year % 100 != 0) || dt.year % 400 == 0
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard dt.month >= 1 && dt.month <= 12 && dt.day >= 1 && dt.day <= monthDays[dt.month - 1] else {
            throw fail("date \(string(start..<p)) does not exist", at: start)
        }
        var hasTime = false
        if p < n && (b[p] == 0x54 || b[p] == 0x74) {
            p += 1
            hasTime = true
        } else if p + 3 < n && b[p] == Byte.space && isDigit(b[p + 1]) && isDigit(b[p + 2]) && b[p + 3] == Byte.colon {
            p += 1
            hasTime = true
        }
        guard hasTime else { return TOMLNode(value: .datetime(dt), span: ByteSpan(start, p)) }
        try parseTime(into: &dt)
        dt.kind = .localDateTime
        if p < n && (b[p] == 0x5A || b[p] == 0x7A) {
            p += 1
            dt.kind = .offsetDateTime
        } else if p < n && (b[p] == Byte.plus || b[p] == Byte.minus) {
            let sign = b[p] == Byte.minus ? -1 : 1
            p += 1
            let oh = try fixedDigits(2, "offset hour")
            try expectByte(Byte.colon, "':' in the time offset")
            let om = try fixedDigits(2, "offset minute")
            guard oh <= 23 && om <= 59 else { throw fail("time offset out of range", at: p - 5) }
            dt.offsetMinutes = sign * (oh * 60 + om)
            dt.kind = .offsetDateTime
        }
        return TOMLNode(value: .datetime(dt), span: ByteSpan(start, p))
    }
}

private extension String {
    var trimmingQuotes: String {
        if count >= 2 && first == "'" && last == "'" { return String(dropFirst().dropLast()) }
        return self
    }
}

/// Maps offsets in a decoded string value back to byte offsets in the TOML source, through
/// escapes, line-ending backslashes and multi-line quoting.
public struct TOMLStringSourceMap: Sendable {
    let segments: [StringSegment]
    /// The decoded string, as UTF-8.
    public let decoded: [UInt8]

    /// Builds the map for the string whose literal text (including quotes) is at `span`.
    /// Returns nil if `span` does not hold a valid string.
    public init?(source: SourceText, span: ByteSpan) {
        var segments: [StringSegment]? = []
        var decodedText: String? = nil
        source.bytes.withUnsafeBufferPointer { buf in
            var parser = ByteParser(buf, root: TOMLTable(origin: .root, depth: 0), start: span.start)
            decodedText = try? parser.parseString(map: &segments).0
        }
        guard let decodedText, let segments else { return nil }
        self.segments = segments
        self.decoded = Array(decodedText.utf8)
    }

    /// The source byte offset of a byte offset in the decoded string.
    public func sourceOffset(forDecodedOffset d: Int) -> Int {
        var chosen = segments.first ?? StringSegment(decoded: 0, source: 0, verbatim: true)
        for s in segments where s.decoded <= d { chosen = s }
        return chosen.verbatim ? chosen.source + (d - chosen.decoded) : chosen.source
    }

    /// The source byte offset of a 1-based line and column (in characters) of the decoded text.
    public func sourceOffset(line: Int, column: Int) -> Int {
        var d = 0
        var currentLine = 1
        while currentLine < line && d < decoded.count {
            if decoded[d] == 0x0A { currentLine += 1 }
            d += 1
        }
        var col = 1
        while col < column && d < decoded.count && decoded[d] != 0x0A {
            d += 1
            while d < decoded.count && decoded[d] & 0xC0 == 0x80 { d += 1 }
            col += 1
        }
        return sourceOffset(forDecodedOffset: d)
    }
}
