/// The value of `count` hexadecimal digits of `bytes` at `i`; nil when there are fewer or one
/// is not a hex digit. Shared by the literal readers (generated snippets, Python escapes).
func hexDigitsValue<C: RandomAccessCollection>(_ bytes: C, at i: Int, count: Int) -> UInt32? where C.Element == UInt8, C.Index == Int {
    guard i >= bytes.startIndex, i + count <= bytes.endIndex else { return nil }
    var v: UInt32 = 0
    for k in i..<(i + count) {
        let c = bytes[k]
        let d: UInt32
        switch c {
        case 0x30...0x39: d = UInt32(c - 0x30)
        case 0x61...0x66: d = UInt32(c - 0x61 + 10)
        case 0x41...0x46: d = UInt32(c - 0x41 + 10)
        default: return nil
        }
        v = v << 4 | d
    }
    return v
}
