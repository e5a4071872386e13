import LabcheckTOML

/// One import found in Python source.
public struct PythonImport: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// `import a.b [as c]`
        case plain = "import"
        /// `from [.]a import b`
        case from
        /// `importlib.import_module("a.b")`, `__import__("a")` with a literal argument
        case dynamic
    }

    public var kind: Kind
    /// The dotted module as written, without leading dots (empty for `from . import x`).
    public var module: String
    /// Leading dots of a relative import (0 for absolute imports).
    public var level: Int
    /// For `from` imports: the imported name (`*` for a star import); nil otherwise.
    public var name: String?
    /// 1-based line and column (in characters) of the module text in the scanned source.
    public var line: Int
    public var column: Int
    /// Inside an `if TYPE_CHECKING:` / `if typing.TYPE_CHECKING:` block.
    public var typeChecking: Bool
    /// Inside the body of a `try:` one of whose handlers catches ImportError (`except
    /// ImportError`, `ModuleNotFoundError`, `Exception`, `BaseException`, a tuple naming one, or
    /// a bare `except:`): an optional import.
    public var guarded: Bool = false

    public init(kind: Kind, module: String, level: Int, name: String?, line: Int, column: Int, typeChecking: Bool, guarded: Bool = false) {
        self.kind = kind
        self.module = module
        self.level = level
        self.name = name
        self.line = line
        self.column = column
        self.typeChecking = typeChecking
        self.guarded = guarded
    }
}

/// Why a file could not be scanned.
public struct PythonScanError: Error, Sendable, Hashable {
    public let message: String
    public let line: Int
    public let column: Int
}

/// Finds the imports of Python source without running or fully parsing it: a tokenizer that
/// understands strings (every prefix, triple quotes, nested f-string expressions), comments,
/// line continuations and brackets, then reads `import`/`from` only where a statement starts.
public enum PythonImportScanner {
    /// Scans UTF-8 Python source.
    public static func scan(_ bytes: [UInt8]) -> Result<[PythonImport], PythonScanError> {
        bytes.withUnsafeBufferPointer { scan($0) }
    }

    /// Scans UTF-8 Python source in memory the caller owns.
    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[PythonImport], PythonScanError> {
        // Token offsets are 32-bit.
        guard bytes.count < Int(Int32.max) else {
            return .failure(PythonScanError(message: "file too large to scan (\(bytes.count) bytes; the limit is 2 GiB)", line: 1, column: 1))
        }
        switch PythonSourceEncoding.utf8(bytes) {
        case .failure(let error): return .failure(error)
        case .success(let transcoded?):
            // Lines are the same; a column counts characters, one per byte in these codecs.
            return transcoded.withUnsafeBufferPointer { var scanner = Scanner($0); return scanner.run() }
        case .success(nil):
            var scanner = Scanner(bytes)
            return scanner.run()
        }
    }
}

private struct Token {
    enum Kind: UInt8 { case name, op, string, other }
    var kind: Kind
    /// Start and end byte offsets (stored in 32 bits: a token is 32 bytes, not 72; files over
    /// 2 GiB are not Python source this scanner is asked to read).
    private var start32: Int32
    private var end32: Int32
    private var line32: Int32
    /// Byte offset of the start of the token's line (its column is computed only when needed).
    private var lineStart32: Int32
    private var depth32: Int32
    /// For a string literal without an f-prefix: its content's byte range (see `flags`).
    /// Kept as offsets so a token stays a plain value (no reference counting per token).
    private var literalStart32: Int32 = -1
    private var literalEnd32: Int32 = -1
    /// For a string: `Token.bytesLiteral`, `Token.rawLiteral`, `Token.escapes`, `Token.multiline`.
    var flags: UInt8 = 0
    static let bytesLiteral: UInt8 = 1, rawLiteral: UInt8 = 2, escapes: UInt8 = 4, multiline: UInt8 = 8

    init(kind: Kind, start: Int, end: Int, line: Int, lineStart: Int, depth: Int) {
        self.kind = kind
        start32 = Int32(truncatingIfNeeded: start)
        end32 = Int32(truncatingIfNeeded: end)
        line32 = Int32(truncatingIfNeeded: line)
        lineStart32 = Int32(truncatingIfNeeded: lineStart)
        depth32 = Int32(truncatingIfNeeded: depth)
    }

    var start: Int { Int(start32) }
    var end: Int { Int(end32) }
    var line: Int { Int(line32) }
    var lineStart: Int { Int(lineStart32) }
    var depth: Int { Int(depth32) }
    var literalStart: Int {
        get { Int(literalStart32) }
        set { literalStart32 = Int32(truncatingIfNeeded: newValue) }
    }
    var literalEnd: Int {
        get { Int(literalEnd32) }
        set { literalEnd32 = Int32(truncatingIfNeeded: newValue) }
    }
}


/// Byte classes for `Scanner.skim`: 0 ordinary, 1 handled by the main loop (line ends,
/// comment, backslash, NUL), 2 quote, 3 opening bracket, 4 closing bracket, 5 `;`, 6 a byte
/// that may start `__import__` or `importlib`, 7 `:` (ends a compound statement's header).
/// 1 for bytes that start a name (letters, `_`, any byte of a non-ASCII character), 2 for
/// digits (which continue one), 0 otherwise.
nonisolated(unsafe) private let nameBytes: UnsafePointer<UInt8> = {
    let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
    for c in 0..<256 {
        let letter = (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F || c >= 0x80
        table[c] = letter ? 1 : ((c >= 0x30 && c <= 0x39) ? 2 : 0)
    }
    return UnsafePointer(table)
}()

nonisolated(unsafe) private let skimClasses: UnsafePointer<UInt8> = {
    let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
    table.initialize(repeating: 0, count: 256)
    for c: UInt8 in [0x0A, 0x0D, 0x23, 0x5C, 0x00] { table[Int(c)] = 1 }
    for c: UInt8 in [0x22, 0x27] { table[Int(c)] = 2 }
    for c: UInt8 in [0x28, 0x5B, 0x7B] { table[Int(c)] = 3 }
    for c: UInt8 in [0x29, 0x5D, 0x7D] { table[Int(c)] = 4 }
    table[0x3B] = 5
    table[0x3A] = 7
    table[0x5F] = 6
    table[0x69] = 6
    return UnsafePointer(table)
}()

/// `skimClasses` without class 6, for files that never spell `importlib` or `__import__`.
nonisolated(unsafe) private let skimClassesStatic: UnsafePointer<UInt8> = {
    let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
    table.initialize(from: skimClasses, count: 256)
    table[0x5F] = 0
    table[0x69] = 0
    return UnsafePointer(table)
}()

/// Read-only helpers over the scanned bytes. They live outside `Scanner` so that calling
/// them from its mutating methods passes two words, not a copy of the scanner's state.
private struct Source {
    let b: UnsafeBufferPointer<UInt8>
    /// `nameBytes`, read once (a global's every use would check its lazy initialisation).
    let names = nameBytes
    var n: Int { b.count }

    func column(of offset: Int, lineStart: Int) -> Int {
        var c = 1
        var i = lineStart
        while i < offset { if b[i] & 0xC0 != 0x80 { c += 1 }; i += 1 }
        return c
    }

    /// A name token's text as Python reads it: NFKC-normalised (`ｂ` is `b`).
    func text(_ t: Token) -> String { PythonIdentifier.normalized(String(decoding: UnsafeBufferPointer(rebasing: b[t.start..<t.end]), as: UTF8.self)) }

    func isNameStart(_ c: UInt8) -> Bool { names[Int(c)] == 1 }

    func isNameByte(_ c: UInt8) -> Bool { names[Int(c)] != 0 }

    /// Whether the name `b[start..<end]` is a string prefix (r, u, b, f, br, rb, fr, rf in any
    /// case) directly followed by a quote: then whether it is an f-string, a raw string and a
    /// bytes literal.
    func stringPrefix(_ start: Int, _ end: Int) -> (f: Bool, raw: Bool, bytes: Bool)? {
        guard end < n, b[end] == 0x22 || b[end] == 0x27, end - start >= 1, end - start <= 2 else { return nil }
        var f = false, r = false, bytes = false, u = false
        for k in start..<end {
            switch b[k] | 0x20 {
            case 0x66: if f { return nil }; f = true
            case 0x72: if r { return nil }; r = true
            case 0x62: if bytes { return nil }; bytes = true
            case 0x75: if u { return nil }; u = true
            default: return nil
            }
        }
        if u && end - start > 1 { return nil }   // u combines with nothing
        if f && bytes { return nil }             // no fb-strings
        return (f, r, bytes)
    }

    /// Whether the source bytes `start..<end` spell `word`.
    func bytesEqual(_ start: Int, _ end: Int, _ word: StaticString) -> Bool {
        guard end - start == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for k in 0..<word.utf8CodeUnitCount where b[start + k] != w[k] { return false }
        return true
    }

    /// Whether a token is `import`, `from` or a compound-statement keyword (after whose `:` an
    /// import may follow on the same line).
    func startsStatementOfInterest(_ t: Token) -> Bool {
        t.kind == .name && keyword(t.start, t.end) != .none
    }

    enum Keyword { case none, importOrFrom, compound }

    /// Whether the compound keyword at `start..<end` begins a header that is surely not
    /// `if TYPE_CHECKING:` / `if x.TYPE_CHECKING:` (those, and anything unclear, such as a line
    /// continuation, are tokenized in full).
    func headerCannotTestTypeChecking(_ start: Int, _ end: Int) -> Bool {
        // `try` and `except` headers are read in full: they decide which imports are guarded.
        if bytesEqual(start, end, "try") || bytesEqual(start, end, "except") { return false }
        guard bytesEqual(start, end, "if") || bytesEqual(start, end, "elif") else { return true }
        var k = end
        func spaces() { while k < n && (b[k] == 0x20 || b[k] == 0x09 || b[k] == 0x0C) { k += 1 } }
        func name() -> (Int, Int) { let s = k; while k < n && isNameByte(b[k]) { k += 1 }; return (s, k) }
        spaces()
        var (s, e) = name()
        spaces()
        if k < n && b[k] == 0x2E {
            k += 1
            spaces()
            (s, e) = name()
            spaces()
        }
        if k < n && b[k] == 0x5C { return false }                     // a continuation: unclear
        if k < n && b[k] == 0x3A && bytesEqual(s, e, "TYPE_CHECKING") { return false }
        return true
    }

    /// `import`/`from`, a compound-statement keyword, or neither (one switch on the first byte).
    /// The soft keywords `match` and `case` count as compound: when they are plain names, all
    /// that changes is that text after a top-level `:` is read as a statement, and an
    /// annotation or expression there never starts with `import` or `from`.
    func keyword(_ start: Int, _ end: Int) -> Keyword {
        let length = end - start
        guard length >= 2 && length <= 7 else { return .none }
        switch b[start] {
        case 0x69: // i
            if length == 6 && bytesEqual(start, end, "import") { return .importOrFrom }
            return length == 2 && b[start + 1] == 0x66 ? .compound : .none
        case 0x66: // f
            if bytesEqual(start, end, "from") { return .importOrFrom }
            return bytesEqual(start, end, "for") || bytesEqual(start, end, "finally") ? .compound : .none
        case 0x65: // e
            return bytesEqual(start, end, "elif") || bytesEqual(start, end, "else") || bytesEqual(start, end, "except") ? .compound : .none
        case 0x74: return bytesEqual(start, end, "try") ? .compound : .none
        case 0x77: return bytesEqual(start, end, "with") || bytesEqual(start, end, "while") ? .compound : .none
        case 0x64: return bytesEqual(start, end, "def") ? .compound : .none
        case 0x63: return bytesEqual(start, end, "class") || bytesEqual(start, end, "case") ? .compound : .none
        case 0x6D: return bytesEqual(start, end, "match") ? .compound : .none
        case 0x61: return bytesEqual(start, end, "async") ? .compound : .none
        default: return .none
        }
    }

    /// Whether `importlib` or `__import__` occurs anywhere in the bytes (as the scanner reads
    /// dynamic imports, a file without either has none). Finds `im...t` sixteen positions at a
    /// time, then compares.
    func mentionsDynamicImport() -> Bool {
        func at(_ j: Int) -> Bool {
            guard j + 6 <= n, bytesEqual(j, j + 6, "import") else { return false }
            if j + 9 <= n && b[j + 6] == 0x6C && b[j + 7] == 0x69 && b[j + 8] == 0x62 { return true }              // importlib
            return j >= 2 && j + 8 <= n && b[j - 2] == 0x5F && b[j - 1] == 0x5F && b[j + 6] == 0x5F && b[j + 7] == 0x5F  // __import__
        }
        return ByteSearch.anyCandidate(in: b, (0x69, 0), (0x6D, 1), (0x74, 5), verify: at)
    }

    /// Whether a name may begin a dynamic import: `importlib`, `__import__`, or a local alias
    /// of `importlib.import_module`.
    func isDynamicName(_ start: Int, _ end: Int, aliases: Set<String>) -> Bool {
        if bytesEqual(start, end, "importlib") || bytesEqual(start, end, "__import__") { return true }
        if aliases.isEmpty { return false }
        return aliases.contains(PythonIdentifier.normalized(String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self)))
    }

    /// The value of a str literal (escapes decoded), or nil for an f-string, a bytes literal or
    /// an escape this reader does not decode (`\N{...}`).
    func literal(_ t: Token) -> String? {
        guard t.literalStart >= 0, t.flags & Token.bytesLiteral == 0 else { return nil }
        let content = UnsafeBufferPointer(rebasing: b[t.literalStart..<t.literalEnd])
        if t.flags & Token.escapes == 0 || t.flags & Token.rawLiteral != 0 { return String(decoding: content, as: UTF8.self) }
        return PythonStringEscapes.decode(content)
    }

    func isName(_ i: Int, _ word: StaticString, in t: [Token]) -> Bool {
        i < t.count && t[i].kind == .name && bytesEqual(t[i].start, t[i].end, word)
    }

    func col(_ token: Token) -> Int { column(of: token.start, lineStart: token.lineStart) }

    func isOp(_ i: Int, _ op: UInt8, in t: [Token]) -> Bool {
        i < t.count && t[i].kind == .op && t[i].end - t[i].start == 1 && b[t[i].start] == op
    }

    func isCompound(_ t: [Token], _ i: Int) -> Bool {
        i < t.count && t[i].kind == .name && keyword(t[i].start, t[i].end) == .compound
    }

    func isTypeCheckingHeader(_ t: [Token], _ s: Int, _ colon: Int) -> Bool {
        guard isName(s, "if", in: t) || isName(s, "elif", in: t) else { return false }
        let body = colon - s - 1
        if body == 1 { return isName(s + 1, "TYPE_CHECKING", in: t) }
        if body == 3 { return t[s + 1].kind == .name && isOp(s + 2, 0x2E, in: t) && isName(s + 3, "TYPE_CHECKING", in: t) }
        return false
    }

    /// A dotted name starting at `i`: the name and the index after it.
    func dotted(_ t: [Token], _ i: Int, _ end: Int) -> (String, Int)? {
        guard i < end, t[i].kind == .name else { return nil }
        var j = i + 1
        var contiguous = true
        while j + 1 < end && isOp(j, 0x2E, in: t) && t[j + 1].kind == .name {
            contiguous = contiguous && t[j - 1].end == t[j].start && t[j].end == t[j + 1].start
            j += 2
        }
        // Written without spaces (`a.b.c`, nearly always): one string straight from the bytes.
        if contiguous {
            return (PythonIdentifier.normalized(String(decoding: UnsafeBufferPointer(rebasing: b[t[i].start..<t[j - 1].end]), as: UTF8.self)), j)
        }
        return (stride(from: i, to: j, by: 2).map { text(t[$0]) }.joined(separator: "."), j)
    }
}

private struct Scanner {
    let b: UnsafeBufferPointer<UInt8>
    let n: Int
    /// The same bytes, for the pure helpers (a small value: calling them copies no scanner state).
    let src: Source
    var p = 0
    var line = 1
    var lineStart = 0
    var depth = 0
    var tokens: [Token] = []
    var imports: [PythonImport] = []
    /// Open `if TYPE_CHECKING:` blocks by header indentation.
    var typeCheckingBlocks: [Int] = []
    /// Open `try:` statements: the header's indentation, the index in `imports` where the body
    /// starts, and where it ended (at the first `except`/`else`/`finally` of the statement).
    var tryBlocks: [(indent: Int, start: Int, end: Int?)] = []
    /// Local names bound to importlib.import_module.
    var importModuleAliases: Set<String> = []
    /// Local names bound to the importlib module other than `importlib` (`import importlib as il`).
    var importlibAliases: Set<String> = []
    /// Both sets: names that may begin a dynamic import besides `importlib` and `__import__`.
    var dynamicAliases: Set<String> = []
    var logicalIndent = 0
    /// Whether the file spells `importlib` or `__import__` anywhere: if not, no name can start
    /// a dynamic import and `skim` ignores names.
    var mayImportDynamically = true
    /// Skimming the header of a compound statement (`def`, `for`, ...; `if` unless it may be a
    /// TYPE_CHECKING test): its first top-level `:` starts a new statement on the same line.
    var inHeader = false
    var error: PythonScanError? = nil
    /// Whether the current logical line's tokens are kept. A line whose first token is not
    /// `import`, `from` or a compound keyword cannot start an import statement, so its tokens
    /// are only tracked (strings, brackets) until a top-level `;` or a dynamic-import name.
    var lineStarted = false
    var recording = true
    /// On a skipped line: the offset of the previous token when it was a `.` (so that
    /// `x.__import__(...)` is still told apart from `__import__(...)`).
    var lastSkippedDot: Int? = nil

    init(_ b: UnsafeBufferPointer<UInt8>) {
        self.b = b
        n = b.count
        src = Source(b: b)
    }

    mutating func fail(_ message: String, at offset: Int) {
        if error == nil { error = PythonScanError(message: message, line: line, column: src.column(of: offset, lineStart: lineStart)) }
    }

    mutating func fail(_ message: String, line: Int, column: Int) {
        if error == nil { error = PythonScanError(message: message, line: line, column: column) }
    }

    mutating func newline(at offset: Int) {
        line += 1
        lineStart = offset + 1
    }

    mutating func run() -> Result<[PythonImport], PythonScanError> {
        if let bad = Scanner.utf8Problem(b) { return .failure(bad) }
        var atLineStart = true
        mayImportDynamically = src.mentionsDynamicImport()
        let raw = UnsafeRawBufferPointer(b)
        let space = Block16.Bytes(repeating: 0x20)
        while p < n && error == nil {
            if lineStarted && !recording && dynamicAliases.isEmpty {
                if mayImportDynamically { skim(skimClasses, vectors: false) } else { skim(skimClassesStatic, vectors: true) }
                if p >= n || error != nil { break }
            }
            let c = b[p]
            if atLineStart && depth == 0 && tokens.isEmpty {
                // Measure the indentation of a new logical line (tabs to the next multiple of 8).
                var width = 0
                var q = p
                // Spaces sixteen at a time; a tab or form feed goes to the byte loop.
                while q + 16 <= n {
                    let f = Block16.firstSet(Block16.load(raw, q) .!= space)
                    q += f
                    if f < 16 { break }
                }
                // The last bytes of the file, fewer than sixteen, one at a time.
                while q < n && q + 16 > n && b[q] == 0x20 { q += 1 }
                if q >= n || (b[q] != 0x09 && b[q] != 0x0C) {
                    logicalIndent = q - p
                    p = q
                    atLineStart = false
                    continue
                }
                q = p
                while q < n && (b[q] == 0x20 || b[q] == 0x09 || b[q] == 0x0C) {
                    width = b[q] == 0x09 ? (width / 8 + 1) * 8 : width + 1
                    q += 1
                }
                logicalIndent = width
                p = q
                atLineStart = false
                continue
            }
            switch c {
            case 0x0A:
                newline(at: p)
                p += 1
                if depth == 0 { endLogicalLine(); atLineStart = true }
            case 0x0D:
                p += 1
                if p < n && b[p] == 0x0A { continue }
                newline(at: p - 1)
                if depth == 0 { endLogicalLine(); atLineStart = true }
            case 0x20, 0x09, 0x0C:
                p += 1
            case 0x23: // comment
                let raw = UnsafeRawBufferPointer(b)
                let lf = Block16.Bytes(repeating: 0x0A), cr = Block16.Bytes(repeating: 0x0D)
                while p + 16 <= n {
                    let v = Block16.load(raw, p)
                    let f = Block16.firstSet((v .== lf) .| (v .== cr))
                    p += f
                    if f < 16 { break }
                }
                while p < n && b[p] != 0x0A && b[p] != 0x0D { p += 1 }
            case 0x5C: // line continuation
                p += 1
                if p < n && b[p] == 0x0D { p += 1 }
                if p < n && b[p] == 0x0A { newline(at: p); p += 1 } else if p >= n { } else { fail("unexpected character after line continuation", at: p) }
            case 0x22, 0x27:
                scanString(prefixStart: p, isF: false, isRaw: false)
            case 0x00:
                fail("NUL byte in Python source", at: p)
            default:
                if src.isNameStart(c) {
                    let start = p
                    var e = p + 1
                    while e < n && src.isNameByte(b[e]) { e += 1 }
                    p = e
                    if e - start <= 2, let (isF, isRaw, isBytes) = src.stringPrefix(start, e) {
                        scanString(prefixStart: start, isF: isF, isRaw: isRaw, isBytes: isBytes)
                        continue
                    }
                    if !lineStarted {
                        let keyword = src.keyword(start, e)
                        if keyword == .none && !(mayImportDynamically && src.isDynamicName(start, e, aliases: dynamicAliases)) {
                            // The first name of a line that cannot import: skip it without a token.
                            lineStarted = true
                            recording = false
                            lastSkippedDot = nil
                            continue
                        }
                        if keyword == .compound && !mayImportDynamically && src.headerCannotTestTypeChecking(start, e) {
                            // A compound header: it closes TYPE_CHECKING blocks like any
                            // recorded line, then only the statement after its `:` matters.
                            while let last = typeCheckingBlocks.last, logicalIndent <= last { typeCheckingBlocks.removeLast() }
                            lineStarted = true
                            recording = false
                            inHeader = true
                            lastSkippedDot = nil
                            continue
                        }
                    }
                    push(.name, start, e)
                } else if c >= 0x30 && c <= 0x39 {
                    let start = p
                    while p < n && (src.isNameByte(b[p]) || b[p] == 0x2E || ((b[p] == 0x2B || b[p] == 0x2D) && (b[p - 1] == 0x65 || b[p - 1] == 0x45))) { p += 1 }
                    push(.other, start, p)
                } else {
                    let start = p
                    p += 1
                    switch c {
                    case 0x28, 0x5B, 0x7B: depth += 1; push(.op, start, p, depth: depth - 1)
                    case 0x29, 0x5D, 0x7D: depth = max(0, depth - 1); push(.op, start, p)
                    default: push(.op, start, p)
                    }
                }
            }
        }
        if error == nil {
            if depth > 0 { fail("unclosed bracket at end of file", at: n) }
            endLogicalLine()
        }
        if let error { return .failure(error) }
        return .success(imports)
    }

    /// Moves over the rest of a line that cannot start an import (see `recording`) with one
    /// table lookup per byte, stopping where the main loop must take over: a line end, a
    /// comment, a backslash, a NUL, or a statement that may import (after a top-level `;`, or
    /// at `importlib` / `__import__`). Strings and brackets are followed here, so the line's
    /// end is found exactly. Not used once `import_module` has a local alias (any name may
    /// then be a dynamic import).
    mutating func skim(_ classes: UnsafePointer<UInt8>, vectors: Bool) {
        guard let base = b.baseAddress else { return }
        let n = self.n
        let raw = UnsafeRawBufferPointer(b)
        // Sixteen bytes at a time, a superset of the bytes of classes 1-5 (a few ordinary
        // bytes such as tab, `&` and `|` also stop it; the table then says they are ordinary).
        let one = Block16.Bytes(repeating: 0x01), x20 = Block16.Bytes(repeating: 0x20), xF0 = Block16.Bytes(repeating: 0xF0)
        let zero = Block16.Bytes(repeating: 0), hashOrQuote = Block16.Bytes(repeating: 0x23), apostrophe = Block16.Bytes(repeating: 0x27)
        let paren = Block16.Bytes(repeating: 0x29), openBracket = Block16.Bytes(repeating: 0x7B), backslash = Block16.Bytes(repeating: 0x7C)
        let closeBracket = Block16.Bytes(repeating: 0x7D), semicolon = Block16.Bytes(repeating: 0x3B)
        let colon = Block16.Bytes(repeating: inHeader ? 0x3A : 0x3B)
        while p < n {
            var q = p
            if vectors {
                // Brackets (the commonest stops) are counted inside the block; the first other
                // stop ends the search.
                var d = depth
                blocks: while q + 16 <= n {
                    let v = Block16.load(raw, q)
                    let o1 = v | one, o20 = v | x20
                    var m = (v & xF0) .== zero
                    m = m .| (o1 .== hashOrQuote)
                    m = m .| (o1 .== apostrophe)
                    m = m .| (o1 .== paren)
                    m = m .| (o20 .== openBracket)
                    m = m .| (o20 .== backslash)
                    m = m .| (o20 .== closeBracket)
                    m = m .| (v .== semicolon)
                    m = m .| (v .== colon)
                    var bits = Block16.bits(m)
                    while bits != 0 {
                        let k = bits.trailingZeroBitCount
                        let kind = Int(classes[Int(base[q + k])])
                        // Without branches for the brackets: +1 for class 3, -1 for class 4.
                        d = max(0, d + (kind == 3 ? 1 : 0) - (kind == 4 ? 1 : 0))
                        // Classes 1, 2, 5 and 6 stop the search; 7 (`:`) only at the top level.
                        if (0b0110_0110 >> kind) & 1 != 0 || (kind == 7 && d == 0) { q += k; break blocks }
                        bits &= bits &- 1
                    }
                    q += 16
                }
                depth = d
            }
            // Ordinary bytes, in a loop that keeps the offset in a register.
            while q < n && classes[Int(base[q])] == 0 { q += 1 }
            p = q
            guard q < n else { return }
            let c = base[q]
            switch classes[Int(c)] {
            case 1:
                return
            case 2:
                // A quote: its string prefix is the one- or two-byte name right before it.
                var s = p
                while s > 0 && p - s < 3 && src.isNameByte(b[s - 1]) { s -= 1 }
                if p - s >= 1 && p - s <= 2 && (s == 0 || !src.isNameByte(b[s - 1])), let (isF, isRaw, isBytes) = src.stringPrefix(s, p) {
                    scanString(prefixStart: s, isF: isF, isRaw: isRaw, isBytes: isBytes)
                } else {
                    scanString(prefixStart: p, isF: false, isRaw: false)
                }
                if recording || error != nil { return }
            case 3:
                depth += 1
                p += 1
            case 4:
                depth = max(0, depth - 1)
                p += 1
            case 5:
                p += 1
                if depth == 0 {
                    recording = true
                    lastSkippedDot = nil
                    return
                }
            case 7:
                p += 1
                if inHeader && depth == 0 {
                    // The header ends: what follows on the line is a statement of its own.
                    inHeader = false
                    lineStarted = false
                    return
                }
            default:
                // `_` or `i`: only the start of a name can begin `__import__` or `importlib`.
                if p > 0 && src.isNameByte(b[p - 1]) { p += 1; continue }
                let start = p
                var e = p
                while e < n && src.isNameByte(base[e]) { e += 1 }
                p = e
                guard src.isDynamicName(start, p, aliases: importModuleAliases) else { continue }
                recording = true
                var k = start - 1
                while k >= lineStart && (b[k] == 0x20 || b[k] == 0x09) { k -= 1 }
                if k >= lineStart && b[k] == 0x2E {
                    tokens.append(Token(kind: .op, start: k, end: k + 1, line: line, lineStart: lineStart, depth: depth))
                }
                tokens.append(Token(kind: .name, start: start, end: p, line: line, lineStart: lineStart, depth: depth))
                return
            }
        }
    }

    static func utf8Problem(_ b: UnsafeBufferPointer<UInt8>) -> PythonScanError? {
        guard let i = UTF8Check.firstInvalid(b) else { return nil }
        var line = 1, lineStart = 0
        for k in 0..<i where b[k] == 0x0A { line += 1; lineStart = k + 1 }
        return PythonScanError(message: "not valid UTF-8 (byte 0x\(String(b[i], radix: 16, uppercase: true)))", line: line,
                               column: 1 + b[lineStart..<i].filter { $0 & 0xC0 != 0x80 }.count)
    }

    mutating func push(_ kind: Token.Kind, _ start: Int, _ end: Int, depth d: Int? = nil) {
        let tokenDepth = d ?? depth
        if lineStarted && !recording {
            // A skipped line: build no token unless this one switches recording on.
            switch kind {
            case .op:
                if end - start == 1 && b[start] == 0x3B && tokenDepth == 0 {
                    recording = true
                    lastSkippedDot = nil
                    return
                }
                lastSkippedDot = end - start == 1 && b[start] == 0x2E ? start : nil
            case .name:
                if src.isDynamicName(start, end, aliases: dynamicAliases) {
                    recording = true
                    if let dot = lastSkippedDot {
                        tokens.append(Token(kind: .op, start: dot, end: dot + 1, line: line, lineStart: lineStart, depth: tokenDepth))
                    }
                    tokens.append(Token(kind: kind, start: start, end: end, line: line, lineStart: lineStart, depth: tokenDepth))
                }
                lastSkippedDot = nil
            default:
                lastSkippedDot = nil
            }
            return
        }
        append(Token(kind: kind, start: start, end: end, line: line, lineStart: lineStart, depth: tokenDepth))
    }

    /// Keeps or skips a token (see `recording`).
    mutating func append(_ token: Token) {
        if !lineStarted {
            lineStarted = true
            recording = src.startsStatementOfInterest(token)
        }
        if recording { tokens.append(token); return }
        if token.kind == .op && token.depth == 0 && token.end - token.start == 1 && b[token.start] == 0x3B {
            recording = true   // `x = 1; import y`: record from the next statement on
        } else if token.kind == .name && src.isDynamicName(token.start, token.end, aliases: dynamicAliases) {
            recording = true
            tokens.append(token)
        }
        lastSkippedDot = nil
    }

    /// Scans a string literal whose prefix starts at `prefixStart` and whose quote is at `p`.
    mutating func scanString(prefixStart: Int, isF: Bool, isRaw: Bool, isBytes: Bool = false) {
        let startLine = line, startLineStart = lineStart
        var startColumn: Int { src.column(of: prefixStart, lineStart: startLineStart) }
        let q = b[p]
        let triple = p + 2 < n && b[p + 1] == q && b[p + 2] == q
        p += triple ? 3 : 1
        let contentStart = p
        var escapes = false, multiline = false
        let raw = UnsafeRawBufferPointer(b)
        let quote = Block16.Bytes(repeating: q), backslash = Block16.Bytes(repeating: 0x5C), lf = Block16.Bytes(repeating: 0x0A)
        let brace = Block16.Bytes(repeating: isF ? 0x7B : q)
        while p < n {
            // Skip sixteen bytes at a time while none is the quote, a backslash, a newline or (in
            // an f-string) a brace.
            while p + 16 <= n {
                let v = Block16.load(raw, p)
                let f = Block16.firstSet((v .== quote) .| (v .== backslash) .| (v .== lf) .| (v .== brace))
                p += f
                if f < 16 { break }
            }
            guard p < n else { break }
            let c = b[p]
            if c == 0x5C { // backslash escapes the next character, also in raw strings
                escapes = true
                if p + 1 < n && b[p + 1] == 0x0A { newline(at: p + 1); multiline = true }
                p += 2
                continue
            }
            if c == q {
                if !triple { break }
                if p + 2 < n && b[p + 1] == q && b[p + 2] == q { break }
            }
            if c == 0x0A {
                if !triple { fail("unterminated string literal", line: startLine, column: startColumn); return }
                newline(at: p)
                multiline = true
            }
            if isF && c == 0x7B {
                if p + 1 < n && b[p + 1] == 0x7B { p += 2; continue }
                p += 1
                scanFStringExpression()
                continue
            }
            p += 1
        }
        guard p < n else { fail(triple ? "unterminated triple-quoted string" : "unterminated string literal", line: startLine, column: startColumn); return }
        let contentEnd = p
        p += triple ? 3 : 1
        guard lineStarted && recording else {
            // What `append` does with a string it does not keep (a string never starts an
            // import statement), without building the token.
            lineStarted = true
            recording = false
            lastSkippedDot = nil
            return
        }
        var token = Token(kind: .string, start: prefixStart, end: p, line: startLine, lineStart: startLineStart, depth: depth)
        if !isF {
            token.literalStart = contentStart
            token.literalEnd = contentEnd
            token.flags = (isBytes ? Token.bytesLiteral : 0) | (isRaw ? Token.rawLiteral : 0) | (escapes ? Token.escapes : 0) | (multiline ? Token.multiline : 0)
        }
        tokens.append(token)
    }

    /// Skips an f-string replacement field after its `{`, through nested brackets and strings.
    mutating func scanFStringExpression() {
        var braces = 1
        while p < n && error == nil {
            let c = b[p]
            switch c {
            case 0x7B, 0x28, 0x5B: braces += 1; p += 1
            case 0x7D, 0x29, 0x5D:
                braces -= 1
                p += 1
                if braces == 0 { return }
            case 0x22, 0x27:
                let saved = tokens.count
                scanString(prefixStart: p, isF: false, isRaw: false)
                tokens.removeSubrange(saved...)
            case 0x0A: newline(at: p); p += 1
            default:
                if src.isNameStart(c) {
                    let start = p
                    while p < n && src.isNameByte(b[p]) { p += 1 }
                    if let (isF, isRaw, _) = src.stringPrefix(start, p) {
                        let saved = tokens.count
                        scanString(prefixStart: start, isF: isF, isRaw: isRaw)
                        tokens.removeSubrange(saved...)
                    }
                } else {
                    p += 1
                }
            }
        }
    }

    mutating func endLogicalLine() {
        lineStarted = false
        inHeader = false
        lastSkippedDot = nil
        // A skipped line cannot hold an import; TYPE_CHECKING blocks close lazily at the next
        // recorded line (any dedent to a block's level starts with a recorded compound line or
        // an import, since Python needs a compound header before an indented line).
        guard !tokens.isEmpty else { return }
        // Take the buffer (not a copy), and give it back emptied: no allocation per line.
        var t: [Token] = []
        swap(&t, &tokens)
        defer {
            t.removeAll(keepingCapacity: true)
            swap(&t, &tokens)
        }
        while let last = typeCheckingBlocks.last, logicalIndent <= last { typeCheckingBlocks.removeLast() }
        let continuesTry = src.isName(0, "except", in: t) || src.isName(0, "else", in: t) || src.isName(0, "finally", in: t)
        while let last = tryBlocks.last, logicalIndent < last.indent || (logicalIndent == last.indent && !continuesTry) { tryBlocks.removeLast() }
        if continuesTry, let last = tryBlocks.last, last.indent == logicalIndent {
            if last.end == nil { tryBlocks[tryBlocks.count - 1].end = imports.count }
            if src.isName(0, "except", in: t), handlerCatchesImportError(t) {
                for k in last.start..<(last.end ?? imports.count) { imports[k].guarded = true }
            }
        }
        if src.isName(0, "try", in: t) && src.isOp(1, 0x3A, in: t) { tryBlocks.append((logicalIndent, imports.count, nil)) }
        let inTypeChecking = !typeCheckingBlocks.isEmpty
        // Split into statements: at ';' (depth 0) and after a compound header's ':'. Each is
        // handled as soon as it ends (no per-line allocation).
        var start = 0
        var i = 0
        var headerOpen = src.isCompound(t, start)
        var tcForRest = inTypeChecking
        while i < t.count {
            if t[i].depth == 0 && src.isOp(i, 0x3B, in: t) {
                statement(t, start, i, tcForRest)
                start = i + 1
                headerOpen = src.isCompound(t, start)
            } else if headerOpen && t[i].depth == 0 && src.isOp(i, 0x3A, in: t) {
                let isTC = src.isTypeCheckingHeader(t, start, i)
                if i + 1 >= t.count {
                    if isTC { typeCheckingBlocks.append(logicalIndent) }
                } else if isTC {
                    tcForRest = true
                }
                start = i + 1
                headerOpen = src.isCompound(t, start)
            }
            i += 1
        }
        statement(t, start, t.count, tcForRest)
        if mayImportDynamically { findDynamic(t, inTypeChecking || tcForRest) }
    }

    /// Whether an `except` header (`t[0]` is `except`) catches ImportError: bare, or naming
    /// ImportError, ModuleNotFoundError, Exception or BaseException (alone, dotted as
    /// `builtins.X`, or in a tuple), up to its `:` or `as`.
    func handlerCatchesImportError(_ t: [Token]) -> Bool {
        var i = 1
        if src.isOp(i, 0x2A, in: t) { i += 1 }   // except* (exception groups)
        if src.isOp(i, 0x3A, in: t) { return true }
        while i < t.count && !(t[i].depth == 0 && (src.isOp(i, 0x3A, in: t) || src.isName(i, "as", in: t))) {
            if t[i].kind == .name && !src.isOp(i + 1, 0x2E, in: t) {
                switch src.text(t[i]) {
                case "ImportError", "ModuleNotFoundError", "Exception", "BaseException": return true
                default: break
                }
            }
            i += 1
        }
        return false
    }

    mutating func statement(_ t: [Token], _ s: Int, _ e: Int, _ tc: Bool) {
        guard s < e else { return }
        if src.isName(s, "import", in: t) { parseImport(t, s + 1, e, tc) }
        else if src.isName(s, "from", in: t) { parseFrom(t, s + 1, e, tc) }
    }

    mutating func parseImport(_ t: [Token], _ s: Int, _ e: Int, _ tc: Bool) {
        var i = s
        while i < e {
            guard let (name, next) = src.dotted(t, i, e) else { return }
            imports.append(PythonImport(kind: .plain, module: name, level: 0, name: nil, line: t[i].line, column: src.col(t[i]), typeChecking: tc))
            i = next
            if src.isName(i, "as", in: t) {
                if name == "importlib" && i + 1 < e && t[i + 1].kind == .name {
                    importlibAliases.insert(src.text(t[i + 1]))
                    dynamicAliases.insert(src.text(t[i + 1]))
                }
                i += 2
            }
            guard src.isOp(i, 0x2C, in: t) else { return }
            i += 1
        }
    }

    mutating func parseFrom(_ t: [Token], _ s: Int, _ e: Int, _ tc: Bool) {
        var i = s
        var level = 0
        let at = i
        while i < e && t[i].kind == .op && (b[t[i].start] == 0x2E) {
            // `...` may be one token of three dots or three tokens.
            level += t[i].end - t[i].start == 1 ? 1 : 0
            i += 1
        }
        var module = ""
        if !src.isName(i, "import", in: t), let (name, next) = src.dotted(t, i, e) {
            module = name
            i = next
        }
        guard src.isName(i, "import", in: t), at < e else { return }
        i += 1
        if src.isOp(i, 0x28, in: t) { i += 1 }
        let line = t[at].line, column = src.col(t[at])
        while i < e {
            if src.isOp(i, 0x2A, in: t) {
                imports.append(PythonImport(kind: .from, module: module, level: level, name: "*", line: line, column: column, typeChecking: tc))
                return
            }
            guard t[i].kind == .name else { return }
            let name = src.text(t[i])
            imports.append(PythonImport(kind: .from, module: module, level: level, name: name, line: line, column: column, typeChecking: tc))
            if module == "importlib" && level == 0 && name == "import_module" {
                let alias = src.isName(i + 1, "as", in: t) && i + 2 < e ? src.text(t[i + 2]) : name
                importModuleAliases.insert(alias)
                dynamicAliases.insert(alias)
            }
            i += 1
            if src.isName(i, "as", in: t) { i += 2 }
            guard src.isOp(i, 0x2C, in: t) else { return }
            i += 1
        }
    }

    /// `importlib.import_module("a.b")` (also through `import importlib as il`),
    /// `import_module("a")` (imported from importlib) and `__import__("a")` whose first argument
    /// is a str literal: escapes decoded, triple quotes, implicitly concatenated pieces. A bytes
    /// argument is no import (Python raises TypeError), nor is a relative or empty name.
    mutating func findDynamic(_ t: [Token], _ tc: Bool) {
        // Only lines with a string literal can hold a literal dynamic import.
        guard t.contains(where: { $0.kind == .string }) else { return }
        var i = 0
        while i < t.count {
            var argIndex: Int? = nil
            let isImportlib = src.isName(i, "importlib", in: t) || (t[i].kind == .name && !importlibAliases.isEmpty && importlibAliases.contains(src.text(t[i])))
            if isImportlib && src.isOp(i + 1, 0x2E, in: t) && src.isName(i + 2, "import_module", in: t) && src.isOp(i + 3, 0x28, in: t)
                && !(i > 0 && src.isOp(i - 1, 0x2E, in: t)) {
                argIndex = i + 4
            } else if (src.isName(i, "__import__", in: t) || (t[i].kind == .name && !importModuleAliases.isEmpty && importModuleAliases.contains(src.text(t[i]))))
                        && src.isOp(i + 1, 0x28, in: t) && !(i > 0 && src.isOp(i - 1, 0x2E, in: t)) {
                argIndex = i + 2
            }
            if let a = argIndex, a < t.count, t[a].kind == .string {
                // Adjacent literals are one string (`"a" "b"` is `"ab"`).
                var pieces: [String] = []
                var k = a
                var readable = true
                while k < t.count && t[k].kind == .string {
                    if let piece = src.literal(t[k]) { pieces.append(piece) } else { readable = false }
                    k += 1
                }
                let literal = pieces.joined()
                if readable, src.isOp(k, 0x29, in: t) || src.isOp(k, 0x2C, in: t), !literal.isEmpty, !literal.hasPrefix("."),
                   !literal.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                    let quoteAt = (t[a].start..<t[a].end).first { b[$0] == 0x22 || b[$0] == 0x27 } ?? t[a].start
                    let tripled = quoteAt + 2 < n && b[quoteAt + 1] == b[quoteAt] && b[quoteAt + 2] == b[quoteAt] && t[a].end - quoteAt >= 6
                    imports.append(PythonImport(kind: .dynamic, module: literal, level: 0, name: nil, line: t[a].line,
                                                column: src.col(t[a]) + (quoteAt - t[a].start) + (tripled ? 3 : 1), typeChecking: tc))
                }
            }
            i += 1
        }
    }
}
