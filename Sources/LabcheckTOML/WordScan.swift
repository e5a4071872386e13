/// Word-at-a-time byte tests (eight bytes per step), used by the TOML parser; the Python import
/// scanner (in LabcheckCore) and the UTF-8 validator use the sixteen-byte `Block16` below.
/// `package` access: shared by the package's targets, not part of any public API; `@inlinable`
/// so that the scanner's loops inline them across the module boundary.
package enum WordScan {
    /// Whether any of the eight bytes in `w` equals `byte`.
    @inlinable @inline(__always) package static func has(_ w: UInt64, _ byte: UInt8) -> Bool {
        let x = w ^ (0x0101_0101_0101_0101 &* UInt64(byte))
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
    }

    /// Whether any of the eight bytes in `w` is below 0x20 or is 0x7F.
    @inlinable @inline(__always) package static func hasControl(_ w: UInt64) -> Bool {
        ((w &- 0x2020_2020_2020_2020) & ~w & 0x8080_8080_8080_8080 != 0) || has(w, 0x7F)
    }

    /// The eight bytes at `offset` (unaligned).
    @inlinable @inline(__always) package static func load(_ raw: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    }
}

/// Sixteen-byte tests (SSE2 on x86-64, NEON on arm64, through the standard library's SIMD
/// types). `public`, not `package`, although nothing outside the package should use it: Swift
/// 6.3.1 did not inline these `@inlinable package` functions into LabcheckCore's scanner loops
/// (a call per sixteen bytes, ~10 % of a cold import scan, seen in `objdump`); as `public`
/// they are inlined. Constants are built once by the caller, outside its loop: written inline, the
/// comparisons are not vectorised by Swift 6.3.1.
public enum Block16 {
    public typealias Bytes = SIMD16<UInt8>
    public typealias Mask = SIMDMask<SIMD16<Int8>>

    /// The sixteen bytes at `offset` (unaligned).
    @inlinable @inline(__always) public static func load(_ raw: UnsafeRawBufferPointer, _ offset: Int) -> Bytes {
        raw.baseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: Bytes.self)
    }

    /// The index of the first lane set in `m`, or 16 if none is.
    @inlinable @inline(__always) public static func firstSet(_ m: Mask) -> Int {
        let w = unsafeBitCast(m, to: SIMD2<UInt64>.self)
        if w[0] != 0 { return w[0].trailingZeroBitCount >> 3 }
        if w[1] != 0 { return 8 + w[1].trailingZeroBitCount >> 3 }
        return 16
    }

    /// The lanes of `m` as bits (lane k is bit k), for visiting every set lane of a block.
    @inlinable @inline(__always) public static func bits(_ m: Mask) -> UInt32 {
        let w = unsafeBitCast(m, to: SIMD2<UInt64>.self)
        // Gathers the top bit of each byte into the top byte, lane 0 lowest.
        let low = ((w[0] & 0x8080_8080_8080_8080) &* 0x0002_0408_1020_4081) >> 56
        let high = ((w[1] & 0x8080_8080_8080_8080) &* 0x0002_0408_1020_4081) >> 56
        return UInt32(truncatingIfNeeded: low | high << 8)
    }

    /// Whether any lane of `m` is set.
    @inlinable @inline(__always) public static func any(_ m: Mask) -> Bool {
        let w = unsafeBitCast(m, to: SIMD2<UInt64>.self)
        return w[0] | w[1] != 0
    }
}
