/// Format-preserving edits: byte-range patches on a document's original text.
///
/// A write (a refresh, a conversion) changes only the bytes it must: each edit replaces,
/// inserts or deletes one byte range of the *original* source, every offset referring to the
/// document as parsed. Edits are applied together, so their offsets never shift under one
/// another, and the result is parsed again: an edit set that would produce invalid TOML is an
/// error, never a file written.

/// One patch: the bytes of `range` in the original source become `replacement`.
public struct TOMLEdit: Sendable, Hashable, CustomStringConvertible {
    /// The original bytes replaced; empty for an insertion.
    public let range: ByteSpan
    /// The new bytes; empty for a deletion.
    public let replacement: [UInt8]

    /// Replaces the bytes of `span` with `text`.
    public static func replace(_ span: ByteSpan, with text: String) -> TOMLEdit {
        TOMLEdit(range: span, replacement: Array(text.utf8))
    }

    /// Inserts `text` before the byte at `offset` (at the end when `offset` is the size).
    public static func insert(_ text: String, at offset: Int) -> TOMLEdit {
        TOMLEdit(range: ByteSpan(offset, offset), replacement: Array(text.utf8))
    }

    /// Deletes the bytes of `span`.
    public static func delete(_ span: ByteSpan) -> TOMLEdit {
        TOMLEdit(range: span, replacement: [])
    }

    /// `replace 10..<14 with "v4"`, for messages.
    public var description: String {
        let text = String(decoding: replacement, as: UTF8.self)
        if range.start == range.end { return "insert \(JSONText.quoted(text)) at \(range.start)" }
        if replacement.isEmpty { return "delete \(range.start)..<\(range.end)" }
        return "replace \(range.start)..<\(range.end) with \(JSONText.quoted(text))"
    }
}

/// Why an edit set was not applied. Nothing is changed in any of these cases.
public enum TOMLEditError: Error, Sendable, CustomStringConvertible {
    /// An edit reaches outside the source.
    case outOfBounds(TOMLEdit, sourceSize: Int)
    /// Two edits touch the same bytes (or an insertion falls strictly inside a replaced range).
    case overlapping(TOMLEdit, TOMLEdit)
    /// An edit starts or ends inside a UTF-8 sequence of the source.
    case splitsCharacter(TOMLEdit, offset: Int)
    /// The edited text does not parse; the error's position is in the edited text.
    case resultInvalid(TOMLSyntaxError)

    public var description: String {
        switch self {
        case .outOfBounds(let e, let size): return "edit '\(e)' reaches outside the \(size)-byte source"
        case .overlapping(let a, let b): return "edits '\(a)' and '\(b)' overlap"
        case .splitsCharacter(let e, let offset): return "edit '\(e)' cuts the UTF-8 character at byte \(offset)"
        case .resultInvalid(let error): return "the edited text is not valid TOML: \(error)"
        }
    }
}

extension TOMLDocument {
    /// The document with `edits` applied together and parsed again. Every offset refers to this
    /// document's source. Insertions at the same offset keep their order in `edits`.
    public func applying(_ edits: [TOMLEdit]) throws(TOMLEditError) -> TOMLDocument {
        let bytes = try TOMLEdit.apply(edits, to: source.bytes)
        do {
            return try TOMLParser.parse(SourceText(bytes))
        } catch let error as TOMLSyntaxError {
            throw .resultInvalid(error)
        } catch {
            // TOMLParser.parse throws only TOMLSyntaxError.
            throw .resultInvalid(TOMLSyntaxError(message: "\(error)", offset: 0, position: SourcePosition(line: 1, column: 1)))
        }
    }
}

extension TOMLEdit {
    /// `bytes` with `edits` applied, after checking that every edit lies inside `bytes`, on
    /// character boundaries, and that no two overlap. Does not parse the result.
    public static func apply(_ edits: [TOMLEdit], to bytes: [UInt8]) throws(TOMLEditError) -> [UInt8] {
        func isBoundary(_ offset: Int) -> Bool { offset == bytes.count || bytes[offset] & 0xC0 != 0x80 }
        for edit in edits {
            guard edit.range.start >= 0, edit.range.end <= bytes.count else { throw .outOfBounds(edit, sourceSize: bytes.count) }
            for offset in [edit.range.start, edit.range.end] where !isBoundary(offset) { throw .splitsCharacter(edit, offset: offset) }
        }
        // Sorted by position; among insertions at one offset, by their order in `edits`.
        let ordered = edits.enumerated().sorted { a, b in
            (a.element.range.start, a.element.range.end, a.offset) < (b.element.range.start, b.element.range.end, b.offset)
        }.map(\.element)
        // Sorted by start, no pair overlaps if no neighbours do. Touching ranges are fine, and an
        // insertion may stand at either end of a replaced range, not strictly inside it.
        for (a, b) in zip(ordered, ordered.dropFirst()) where b.range.start < a.range.end {
            throw .overlapping(a, b)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + edits.reduce(0) { $0 + $1.replacement.count })
        var cursor = 0
        for edit in ordered {
            out += bytes[cursor..<edit.range.start]
            out += edit.replacement
            cursor = edit.range.end
        }
        out += bytes[cursor...]
        return out
    }
}

/// TOML text for values written by edits.
public enum TOMLLiteral {
    /// A basic string (`"..."`): the JSON escaping of quotes, backslashes and control
    /// characters is exactly what a TOML basic string needs (both use `\"`, `\\`, `\n`,
    /// `\uXXXX`).
    public static func basicString(_ s: String) -> String { JSONText.quoted(s) }

    /// A key: bare when it is only ASCII letters, digits, `_` and `-`, else a basic string.
    public static func key(_ k: String) -> String {
        let bare = !k.isEmpty && k.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
        return bare ? k : basicString(k)
    }

    /// A multi-line literal string (`'''...'''`) holding `s` exactly, or nil when `s` cannot
    /// be written that way (it contains `'''`, a control character other than tab and line
    /// feed, a CR not before LF, or ends with `'`). A leading newline is added, which TOML
    /// trims, so the text starts on its own line.
    public static func multilineLiteral(_ s: String) -> String? {
        if s.contains("'''") || s.hasSuffix("'") { return nil }
        let scalars = Array(s.unicodeScalars)
        for (k, c) in scalars.enumerated() {
            if c == "\r" { if k + 1 >= scalars.count || scalars[k + 1] != "\n" { return nil } else { continue } }
            if (c.value < 0x20 && c != "\t" && c != "\n") || c.value == 0x7F { return nil }
        }
        return "'''\n" + s + "'''"
    }
}
