/// The package's one UTF-8 validator: the TOML parser and the Python import scanner both use it.
/// It builds no String (callers only need to know whether, and where, bytes stop being UTF-8).
/// ASCII is skipped thirty-two bytes per step.
package enum UTF8Check {
    /// The offset of the first byte of the first ill-formed sequence (Unicode 15, table 3-7:
    /// no overlong forms, no surrogates, nothing above U+10FFFF), or nil if `b` is UTF-8.
    package static func firstInvalid(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        let n = b.count
        guard n > 0 else { return nil }
        let raw = UnsafeRawBufferPointer(b)
        let high = Block16.Bytes(repeating: 0x80), zero = Block16.Bytes(repeating: 0)
        var i = 0
        while i < n {
            if i + 32 <= n && (Block16.load(raw, i) | Block16.load(raw, i + 16)) & high == zero { i += 32; continue }
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let length: Int
            var low: UInt8 = 0x80, top: UInt8 = 0xBF   // allowed range of the second byte
            switch c {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; top = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; top = 0x8F
            default: return i
            }
            guard i + length <= n, b[i + 1] >= low, b[i + 1] <= top else { return i }
            for k in 2..<length where b[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }
}
