import LabcheckTOML

/// Substring search on bytes, for the prefilter that decides whether a stage's code needs a
/// closer look for a generated-snippet header: a scan for the
/// needle's first byte, then a comparison, so no text is split or decoded for the common "no".
enum ByteSearch {
    /// The offset of the first occurrence of `needle` in `haystack`, if any.
    static func firstOffset(of needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return needle.isEmpty ? 0 : nil }
        let last = haystack.count - needle.count
        var i = 0
        let raw = UnsafeRawBufferPointer(haystack), firsts = Block16.Bytes(repeating: first)
        while i <= last {
            // Sixteen offsets at a time while none holds the first byte (most code has none);
            // a load reads bytes i..<i+16, all inside the buffer.
            if i + 16 <= haystack.count, !Block16.any(Block16.load(raw, i) .== firsts) { i += 16; continue }
            if haystack[i] == first {
                var k = 1
                while k < needle.count && haystack[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// Whether `text` holds `byte` (a vector scan of its UTF-8; `String.utf8.contains` walks
    /// it a byte at a time through the generic sequence).
    static func contains(byte: UInt8, in text: String) -> Bool {
        var text = text
        return text.withUTF8 { buffer in
            let raw = UnsafeRawBufferPointer(buffer), wanted = Block16.Bytes(repeating: byte)
            var i = 0
            while i + 16 <= buffer.count {   // loads only bytes i..<i+16, inside the buffer
                if Block16.any(Block16.load(raw, i) .== wanted) { return true }
                i += 16
            }
            while i < buffer.count { if buffer[i] == byte { return true }; i += 1 }
            return false
        }
    }

    static func contains(_ needle: String, in text: String) -> Bool {
        var text = text
        var needle = needle   // no copy of a native string: `withUTF8` lends its bytes
        return needle.withUTF8 { n in text.withUTF8 { firstOffset(of: n, in: $0) != nil } }
    }

    /// Whether `verify(j)` holds for some offset `j` of `bytes` at which three bytes of a
    /// pattern sit: `first.byte` at `j + first.at`, and so on. Sixteen offsets are tested at a
    /// time and only candidates are verified; the last offsets, where sixteen-byte loads would
    /// run past the end, are all verified (`verify` checks its own bounds).
    static func anyCandidate(in bytes: UnsafeBufferPointer<UInt8>, _ first: (byte: UInt8, at: Int), _ second: (byte: UInt8, at: Int),
                             _ third: (byte: UInt8, at: Int), verify: (Int) -> Bool) -> Bool {
        let n = bytes.count
        let raw = UnsafeRawBufferPointer(bytes)
        let a = Block16.Bytes(repeating: first.byte), b = Block16.Bytes(repeating: second.byte), c = Block16.Bytes(repeating: third.byte)
        let reach = max(first.at, second.at, third.at) + 16
        var j = 0
        while j + reach <= n {
            let hit = (Block16.load(raw, j + first.at) .== a) .& (Block16.load(raw, j + second.at) .== b) .& (Block16.load(raw, j + third.at) .== c)
            if Block16.any(hit) {
                for q in j..<(j + 16) where verify(q) { return true }
            }
            j += 16
        }
        while j < n { if verify(j) { return true }; j += 1 }
        return false
    }
}
