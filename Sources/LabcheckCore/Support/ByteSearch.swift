/// Substring search on bytes, for the prefilter that decides whether a stage's code needs a
/// closer look for a generated-snippet header: a scan for the
/// needle's first byte, then a comparison, so no text is split or decoded for the common "no".
enum ByteSearch {
    /// The offset of the first occurrence of `needle` in `haystack`, if any.
    static func firstOffset(of needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return needle.isEmpty ? 0 : nil }
        let last = haystack.count - needle.count
        var i = 0
        while i <= last {
            if haystack[i] == first {
                var k = 1
                while k < needle.count && haystack[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    static func contains(_ needle: String, in text: String) -> Bool {
        var text = text
        return text.withUTF8 { firstOffset(of: Array(needle.utf8), in: $0) != nil }
    }
}
