/// A 1-based line and column. Columns count Unicode scalars (characters), not bytes.
public struct SourcePosition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    /// `line:column`.
    public var description: String { "\(line):\(column)" }
}

/// The bytes of one file and a lazily built line index that turns byte offsets into positions.
///
/// A reference type so the line index is built once and shared; it is filled on first use and
/// a document is only ever read from one thread at a time.
public final class SourceText: @unchecked Sendable {
    /// The raw bytes, exactly as read from the snapshot.
    public let bytes: [UInt8]
    private var lineStartsStorage: [Int]?

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Creates a source from a Swift string (UTF-8).
    public convenience init(_ text: String) { self.init(Array(text.utf8)) }

    /// Byte offsets at which each line starts (line 1 starts at 0). Lines end at LF.
    public var lineStarts: [Int] {
        if let s = lineStartsStorage { return s }
        var starts = [0]
        bytes.withUnsafeBufferPointer { buf in
            for i in 0..<buf.count where buf[i] == 0x0A { starts.append(i + 1) }
        }
        lineStartsStorage = starts
        return starts
    }

    /// The number of lines (a final line without LF counts).
    public var lineCount: Int { lineStarts.count }

    /// The 0-based line index containing `offset`.
    public func lineIndex(of offset: Int) -> Int {
        let starts = lineStarts
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// The 1-based line and column of a byte offset. Offsets inside a multi-byte character
    /// resolve to that character; offsets past the end resolve to the end.
    public func position(of offset: Int) -> SourcePosition {
        let clamped = min(max(0, offset), bytes.count)
        let li = lineIndex(of: clamped)
        let start = lineStarts[li]
        var column = 1
        var i = start
        while i < clamped {
            // Count scalar starts: every byte that is not a UTF-8 continuation byte.
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        // Inside a multi-byte scalar: point at that scalar, not the next one.
        if clamped < bytes.count, clamped > start, bytes[clamped] & 0xC0 == 0x80 { column -= 1 }
        return SourcePosition(line: li + 1, column: column)
    }

    /// The byte range of a 0-based line's text, without its LF or CRLF.
    public func lineRange(_ lineIndex: Int) -> Range<Int> {
        let start = lineStarts[lineIndex]
        return start..<lineContentEnd(lineIndex)
    }

    private func lineContentEnd(_ lineIndex: Int) -> Int {
        let starts = lineStarts
        // The last line has no LF; any other line ends before its LF, and before a CR right before it.
        guard lineIndex + 1 < starts.count else { return bytes.count }
        let lf = starts[lineIndex + 1] - 1
        return lf > starts[lineIndex] && bytes[lf - 1] == 0x0D ? lf - 1 : lf
    }

    /// The text of a 1-based line, decoded leniently (invalid UTF-8 becomes U+FFFD).
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineCount else { return "" }
        return String(decoding: bytes[lineRange(line - 1)], as: UTF8.self)
    }
}
