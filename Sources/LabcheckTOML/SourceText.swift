import Synchronization

/// A 1-based line and column. Columns count Unicode scalars (characters), not bytes.
public struct SourcePosition: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
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
/// A reference type so the line index is built once and shared. The indexes are filled on
/// first use under a lock: the checks of a large lab file run on several threads at once.
public final class SourceText: Sendable {
    /// The raw bytes, exactly as read from the snapshot.
    public let bytes: [UInt8]
    private struct Indexes {
        var lineStarts: [Int]?
        /// Scalars before each block of `blockSize` bytes, built on the first position asked for
        /// far from its line's start: columns on very long lines cost one block's walk, not the line's.
        var scalarsBeforeBlock: [Int]?
    }
    private let indexes = Mutex(Indexes())
    private static let blockSize = 4096

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Creates a source from a Swift string (UTF-8).
    public convenience init(_ text: String) { self.init(Array(text.utf8)) }

    /// Byte offsets at which each line starts (line 1 starts at 0). Lines end at LF.
    public var lineStarts: [Int] {
        indexes.withLock { state in
            if let s = state.lineStarts { return s }
            let starts = Self.lineStarts(of: bytes)
            state.lineStarts = starts
            return starts
        }
    }

    private static func lineStarts(of bytes: [UInt8]) -> [Int] {
        var starts = [0]
        starts.reserveCapacity(bytes.count / 32 + 1)
        bytes.withUnsafeBufferPointer { buf in
            // Sixteen bytes at a time, visiting only the lanes that hold a LF; a load reads
            // bytes i..<i+16, all inside the buffer.
            let raw = UnsafeRawBufferPointer(buf), lf = Block16.Bytes(repeating: 0x0A)
            var i = 0
            while i + 16 <= buf.count {
                var lanes = Block16.bits(Block16.load(raw, i) .== lf)
                while lanes != 0 {
                    starts.append(i + lanes.trailingZeroBitCount + 1)
                    lanes &= lanes - 1
                }
                i += 16
            }
            while i < buf.count { if buf[i] == 0x0A { starts.append(i + 1) }; i += 1 }
        }
        return starts
    }

    /// The number of lines (a final line without LF counts).
    public var lineCount: Int { lineStarts.count }

    /// The 0-based line index containing `offset`.
    public func lineIndex(of offset: Int) -> Int { Self.lineIndex(of: offset, in: lineStarts) }

    private static func lineIndex(of offset: Int, in starts: [Int]) -> Int {
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
        let starts = lineStarts
        return position(clamped, line: Self.lineIndex(of: clamped, in: starts), starts: starts)
    }

    /// The same, for a walk that asks for offsets mostly in file order (a table's keys and
    /// values): `hint` is the line index of the previous answer, and the line is searched for
    /// from there (doubling steps forward, or a binary search behind it), so each position
    /// costs about the distance from the last one instead of a search of the whole file.
    public func position(of offset: Int, hint: inout Int) -> SourcePosition {
        let clamped = min(max(0, offset), bytes.count)
        let starts = lineStarts
        var lo = 0, hi = starts.count - 1
        if hint >= 0 && hint < starts.count && starts[hint] <= clamped {
            // Forward from the hint, doubling the step while line starts stay at or before the
            // offset; the line is then between `lo` and the last step's end.
            lo = hint
            var step = 1
            while lo + step < starts.count && starts[lo + step] <= clamped { lo += step; step *= 2 }
            hi = min(starts.count - 1, lo + step - 1)
        } else if hint > 0 && hint < starts.count {
            hi = hint - 1   // the hint's line starts after the offset
        }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= clamped { lo = mid } else { hi = mid - 1 }
        }
        hint = lo
        return position(clamped, line: lo, starts: starts)
    }

    /// The position of `clamped` (within the bytes), on the line at index `li`.
    private func position(_ clamped: Int, line li: Int, starts: [Int]) -> SourcePosition {
        let start = starts[li]
        var column = 1
        if clamped - start > 2 * Self.blockSize {
            column += scalars(upTo: clamped) - scalars(upTo: start)
        } else {
            column += scalarStarts(start, clamped)
        }
        // Inside a multi-byte scalar: point at that scalar, not the next one.
        if clamped < bytes.count, clamped > start, bytes[clamped] & 0xC0 == 0x80 { column -= 1 }
        return SourcePosition(line: li + 1, column: column)
    }

    /// Scalar starts (bytes that are not UTF-8 continuation bytes) in `from..<to`.
    private func scalarStarts(_ from: Int, _ to: Int) -> Int {
        var n = 0
        bytes.withUnsafeBufferPointer { buf in
            for i in from..<to where buf[i] & 0xC0 != 0x80 { n += 1 }
        }
        return n
    }

    /// Scalar starts in `0..<offset`, through the block index.
    private func scalars(upTo offset: Int) -> Int {
        let index = blockIndex
        let block = offset / Self.blockSize
        return index[block] + scalarStarts(block * Self.blockSize, offset)
    }

    private var blockIndex: [Int] {
        indexes.withLock { state in
            if let index = state.scalarsBeforeBlock { return index }
            let index = blockIndex(of: bytes)
            state.scalarsBeforeBlock = index
            return index
        }
    }

    private func blockIndex(of bytes: [UInt8]) -> [Int] {
        var index = [0]
        index.reserveCapacity(bytes.count / Self.blockSize + 1)
        var total = 0
        var from = 0
        while from + Self.blockSize <= bytes.count {
            total += scalarStarts(from, from + Self.blockSize)
            from += Self.blockSize
            index.append(total)
        }
        return index
    }

    /// The byte offset of a 1-based line and column (the line's end if it is shorter, the
    /// text's end past the last line); the inverse of `position(of:)`.
    public func offset(of position: SourcePosition) -> Int {
        guard position.line >= 1, position.line <= lineCount else { return bytes.count }
        return offset(ofColumn: max(1, position.column), lineIndex: position.line - 1)
    }

    /// The byte offset of a 1-based column of a 0-based line (its end if the line is shorter).
    private func offset(ofColumn column: Int, lineIndex: Int) -> Int {
        let range = lineRange(lineIndex)
        var remaining = column - 1
        var i = range.lowerBound
        if range.count > 2 * Self.blockSize {
            // Jump to the last block that starts before the wanted scalar.
            let index = blockIndex
            let target = scalars(upTo: range.lowerBound) + remaining
            var lo = range.lowerBound / Self.blockSize, hi = min(index.count - 1, range.upperBound / Self.blockSize)
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if index[mid] <= target { lo = mid } else { hi = mid - 1 }
            }
            let blockStart = lo * Self.blockSize
            if blockStart > i {
                remaining = target - index[lo]
                i = blockStart
                while i < range.upperBound && bytes[i] & 0xC0 == 0x80 { i += 1 }   // a block may start inside a scalar
            }
        }
        while i < range.upperBound {
            if bytes[i] & 0xC0 != 0x80 {
                if remaining == 0 { return i }
                remaining -= 1
            }
            i += 1
        }
        return range.upperBound
    }

    /// The text of a 1-based line to show with a diagnostic at `column`, and the column its
    /// first character has: the whole line, or, for a line longer than `limit` bytes, a window
    /// of about `before` characters before the column and `after` from it. Costs the window,
    /// not the line, so thousands of diagnostics on one long line stay cheap.
    public func lineExcerpt(_ line: Int, column: Int, limit: Int = 2048, before: Int = 256, after: Int = 768) -> (text: String, firstColumn: Int) {
        guard line >= 1, line <= lineCount else { return ("", 1) }
        let range = lineRange(line - 1)
        guard range.count > limit else { return (lineText(line), 1) }
        let at = offset(ofColumn: max(1, column), lineIndex: line - 1)
        var start = at, back = 0
        while start > range.lowerBound && back < before {
            start -= 1
            if bytes[start] & 0xC0 != 0x80 { back += 1 }
        }
        var end = at, forward = 0
        while end < range.upperBound && forward <= after {
            end += 1
            if end == range.upperBound || bytes[end] & 0xC0 != 0x80 { forward += 1 }
        }
        let firstColumn = start == range.lowerBound ? 1 : max(1, column - back)
        return (String(decoding: bytes[start..<end], as: UTF8.self), firstColumn)
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
