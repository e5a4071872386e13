/// Word-at-a-time byte tests (eight bytes per step), shared by the TOML parser and the Python
/// import scanner.
enum WordScan {
    /// Whether any of the eight bytes in `w` equals `byte`.
    @inline(__always) static func has(_ w: UInt64, _ byte: UInt8) -> Bool {
        let x = w ^ (0x0101_0101_0101_0101 &* UInt64(byte))
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
    }

    /// Whether any of the eight bytes in `w` is below 0x20 or is 0x7F.
    @inline(__always) static func hasControl(_ w: UInt64) -> Bool {
        ((w &- 0x2020_2020_2020_2020) & ~w & 0x8080_8080_8080_8080 != 0) || has(w, 0x7F)
    }

    /// The eight bytes at `offset` (unaligned).
    @inline(__always) static func load(_ raw: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    }
}
