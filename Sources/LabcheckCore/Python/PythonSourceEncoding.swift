/// PEP 263 source encodings: a `# -*- coding: NAME -*-` comment on line 1 or 2 (line 2 only
/// when line 1 is blank or a comment) names the codec Python decodes a file with. labcheck
/// reads UTF-8 (the default), latin-1, cp1252 and ascii; any other declared codec is a clear
/// "cannot scan" naming it, never bytes read as the wrong text.
enum PythonSourceEncoding {
    enum Codec: Equatable { case utf8, latin1, cp1252, ascii }

    /// The file as UTF-8, or nil when it is read as it is (no declaration, or UTF-8 declared).
    static func utf8(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[UInt8]?, PythonScanError> {
        guard let (name, line) = declaration(bytes) else { return .success(nil) }
        guard let codec = codec(named: name) else {
            return .failure(PythonScanError(message: "declares source encoding '\(name)', which labcheck does not read (it reads utf-8, latin-1, cp1252 and ascii)", line: line, column: 1))
        }
        let hasBOM = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        if hasBOM && codec != .utf8 {
            return .failure(PythonScanError(message: "starts with a UTF-8 byte-order mark but declares encoding '\(name)' (Python rejects this)", line: line, column: 1))
        }
        switch codec {
        case .utf8: return .success(nil)
        case .ascii:
            if let i = bytes.firstIndex(where: { $0 >= 0x80 }) { return .failure(error(bytes, at: i, "is not ascii, its declared encoding")) }
            return .success(nil)
        case .latin1, .cp1252:
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + bytes.count / 8)
            for (i, byte) in bytes.enumerated() {
                var scalar = UInt32(byte)
                if codec == .cp1252 && (0x80...0x9F).contains(byte) {
                    let mapped = cp1252High[Int(byte) - 0x80]
                    if mapped == 0 { return .failure(error(bytes, at: i, "is undefined in cp1252, the declared encoding")) }
                    scalar = mapped
                }
                guard let u = Unicode.Scalar(scalar) else { continue }
                out.append(contentsOf: UTF8.encode(u).map(Array.init) ?? [])
            }
            return .success(out)
        }
    }

    /// The declared codec's name and its line, if line 1 or 2 declares one.
    static func declaration(_ bytes: UnsafeBufferPointer<UInt8>) -> (String, Int)? {
        var start = 0
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { start = 3 }
        for line in 1...2 {
            guard start < bytes.count else { return nil }
            var end = start
            while end < bytes.count && bytes[end] != 0x0A && bytes[end] != 0x0D { end += 1 }
            let text = Array(bytes[start..<end])
            if let name = codingName(text) { return (name, line) }
            // Line 2 counts only after a line 1 that is blank or a comment.
            var k = 0
            while k < text.count && (text[k] == 0x20 || text[k] == 0x09 || text[k] == 0x0C) { k += 1 }
            guard k == text.count || text[k] == 0x23 else { return nil }
            start = end
            if start < bytes.count && bytes[start] == 0x0D { start += 1 }
            if start < bytes.count && bytes[start] == 0x0A { start += 1 }
        }
        return nil
    }

    /// `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)` on one line's bytes.
    private static func codingName(_ line: [UInt8]) -> String? {
        var k = 0
        while k < line.count && (line[k] == 0x20 || line[k] == 0x09 || line[k] == 0x0C) { k += 1 }
        guard k < line.count, line[k] == 0x23 else { return nil }
        let word = Array("coding".utf8)
        var i = k + 1
        while i + word.count < line.count {
            if Array(line[i..<(i + word.count)]) == word, line[i + word.count] == 0x3A || line[i + word.count] == 0x3D {
                var j = i + word.count + 1
                while j < line.count && (line[j] == 0x20 || line[j] == 0x09) { j += 1 }
                let nameStart = j
                while j < line.count, line[j] == 0x2D || line[j] == 0x2E || line[j] == 0x5F || (line[j] | 0x20 >= 0x61 && line[j] | 0x20 <= 0x7A) || (0x30...0x39).contains(line[j]) { j += 1 }
                if j > nameStart { return String(decoding: line[nameStart..<j], as: UTF8.self) }
            }
            i += 1
        }
        return nil
    }

    /// Python's codec lookup for the names labcheck reads (lower case, `-` and ` ` as `_`,
    /// then the aliases of Python's `encodings.aliases`).
    static func codec(named name: String) -> Codec? {
        var key = String(name.lowercased().map { $0 == "-" || $0 == " " ? "_" : $0 })
        // The tokenizer's own shortcut: "utf-8-xxx" is utf-8, "latin-1-xxx"/"iso-8859-1-xxx" is latin-1.
        for (prefix, codec) in [("utf_8_", Codec.utf8), ("latin_1_", .latin1), ("iso_8859_1_", .latin1), ("iso_latin_1_", .latin1)] where key.hasPrefix(prefix) {
            return codec
        }
        if key.hasSuffix("_sig") && key.hasPrefix("utf") { key = String(key.dropLast(4)) }
        switch key {
        case "utf_8", "utf8", "u8", "utf", "utf8_ucs2", "utf8_ucs4", "cp65001": return .utf8
        case "latin_1", "latin1", "latin", "l1", "iso8859_1", "iso_8859_1", "8859", "cp819", "ibm819", "iso_ir_100", "csisolatin1", "iso8859", "iso_8859_1:1987", "iso_latin_1":
            return .latin1
        case "cp1252", "windows_1252", "1252": return .cp1252
        case "ascii", "us_ascii", "646", "ansi_x3.4_1968", "ansi_x3_4_1968", "ansi_x3.4_1986", "cp367", "csascii", "ibm367", "iso646_us", "iso_646.irv_1991", "iso_ir_6", "us":
            return .ascii
        default: return nil
        }
    }

    private static func error(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, _ what: String) -> PythonScanError {
        var line = 1, lineStart = 0
        for k in 0..<i where bytes[k] == 0x0A { line += 1; lineStart = k + 1 }
        return PythonScanError(message: "byte 0x\(String(bytes[i], radix: 16, uppercase: true)) \(what)", line: line, column: 1 + (i - lineStart))
    }

    /// cp1252's 0x80-0x9F (0: undefined, a decoding error in Python).
    private static let cp1252High: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]
}
