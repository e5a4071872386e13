/// The value of a Python str literal's content with escapes (not raw, not bytes), as Python's
/// tokenizer reads it, for literal dynamic imports such as `import_module("a\x2eb")`.
enum PythonStringEscapes {
    /// The decoded text, or nil for what this reader does not decode: `\N{...}` (needs the
    /// Unicode name table) and escapes of lone surrogates (not a module name Python can import).
    static func decode(_ content: UnsafeBufferPointer<UInt8>) -> String? {
        var out = String.UnicodeScalarView()
        var bytes: [UInt8] = []   // undecoded run of ordinary bytes
        func flush() {
            if !bytes.isEmpty { out.append(contentsOf: String(decoding: bytes, as: UTF8.self).unicodeScalars); bytes.removeAll(keepingCapacity: true) }
        }
        var i = 0
        while i < content.count {
            let c = content[i]
            guard c == 0x5C, i + 1 < content.count else { bytes.append(c); i += 1; continue }
            flush()
            let e = content[i + 1]
            i += 2
            var scalar: UInt32? = nil
            switch e {
            case 0x0A: continue                                   // backslash-newline: nothing
            case 0x0D: if i < content.count && content[i] == 0x0A { i += 1 }; continue
            case 0x5C, 0x27, 0x22: scalar = UInt32(e)
            case 0x61: scalar = 7
            case 0x62: scalar = 8
            case 0x66: scalar = 12
            case 0x6E: scalar = 10
            case 0x72: scalar = 13
            case 0x74: scalar = 9
            case 0x76: scalar = 11
            case 0x30...0x37:
                var v = UInt32(e - 0x30)
                var digits = 1
                while digits < 3 && i < content.count && (0x30...0x37).contains(content[i]) {
                    v = v * 8 + UInt32(content[i] - 0x30)
                    i += 1
                    digits += 1
                }
                scalar = v
            case 0x78, 0x75, 0x55:
                let count = e == 0x78 ? 2 : (e == 0x75 ? 4 : 8)
                guard let v = hexDigitsValue(content, at: i, count: count) else { return nil }   // Python: a SyntaxError
                i += count
                scalar = v
            case 0x4E: return nil
            default:
                // An unknown escape keeps its backslash (Python warns, and keeps both).
                bytes.append(0x5C)
                continue
            }
            guard let v = scalar, let u = Unicode.Scalar(v) else { return nil }
            out.append(u)
        }
        flush()
        return String(out)
    }
}
