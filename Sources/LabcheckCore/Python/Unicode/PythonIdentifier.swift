/// Python identifiers as Python reads them: NFKC-normalised (PEP 3131), so `import ｂ` and
/// `import b` import the same module. Own code because Core has no Foundation; the tables are
/// generated from Python's `unicodedata` (`NFKCTables.swift`, `generate_nfkc_tables.py`).
enum PythonIdentifier {
    /// Whether every byte of `name` is ASCII: on its contiguous UTF-8 (every native string's)
    /// eight bytes at a time, not through `allSatisfy` on the generic UTF-8 view (a measurable
    /// share of scanning 900 files).
    static func isASCII(_ name: String) -> Bool {
        name.utf8.withContiguousStorageIfAvailable { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            var high: UInt64 = 0
            var at = 0
            while at + 8 <= raw.count {   // loads bytes at..<at+8, inside the buffer
                high |= raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                at += 8
            }
            while at < raw.count { high |= UInt64(raw[at]); at += 1 }
            return high & 0x8080_8080_8080_8080 == 0
        } ?? name.utf8.allSatisfy { $0 < 0x80 }
    }

    /// `name` in NFKC; ASCII names (nearly all) are returned as they are.
    static func normalized(_ name: String) -> String {
        if isASCII(name) { return name }
        return String(String.UnicodeScalarView(NFKC.shared.normalize(Array(name.unicodeScalars.map(\.value))).compactMap(Unicode.Scalar.init)))
    }
}

/// Unicode normalisation form KC: full compatibility decomposition, canonical ordering, then
/// canonical composition (UAX #15), with Hangul syllables handled algorithmically.
final class NFKC: Sendable {
    static let shared = NFKC()

    private let decompositions: [UInt32: [UInt32]]
    private let classes: [UInt32: UInt8]
    private let compositions: [UInt64: UInt32]

    private init() {
        func records(_ text: String) -> [(Substring, Substring)] {
            text.split(separator: ";").compactMap { record in
                let fields = record.split(separator: ":", maxSplits: 1)
                return fields.count == 2 ? (fields[0], fields[1]) : nil
            }
        }
        func hex(_ s: Substring) -> UInt32 { UInt32(s, radix: 16) ?? 0 }
        var d: [UInt32: [UInt32]] = [:]
        for (cp, list) in records(NFKCTables.decompositions) { d[hex(cp)] = list.split(separator: " ").map(hex) }
        var c: [UInt32: UInt8] = [:]
        for (cp, value) in records(NFKCTables.combiningClasses) { c[hex(cp)] = UInt8(truncatingIfNeeded: hex(value)) }
        var p: [UInt64: UInt32] = [:]
        for (pair, composite) in records(NFKCTables.compositions) {
            let two = pair.split(separator: " ").map(hex)
            if two.count == 2 { p[UInt64(two[0]) << 32 | UInt64(two[1])] = hex(composite) }
        }
        decompositions = d
        classes = c
        compositions = p
    }

    private static let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161, tBase: UInt32 = 0x11A7
    private static let lCount: UInt32 = 19, vCount: UInt32 = 21, tCount: UInt32 = 28
    private static let nCount = vCount * tCount, sCount = lCount * nCount

    private func combiningClass(_ cp: UInt32) -> UInt8 { cp < 0x300 ? 0 : classes[cp] ?? 0 }

    func normalize(_ input: [UInt32]) -> [UInt32] {
        // Decompose (the table holds full decompositions: no repeated lookup needed).
        var out: [UInt32] = []
        out.reserveCapacity(input.count)
        for cp in input {
            if cp >= Self.sBase && cp < Self.sBase + Self.sCount {
                let s = cp - Self.sBase
                out.append(Self.lBase + s / Self.nCount)
                out.append(Self.vBase + (s % Self.nCount) / Self.tCount)
                if s % Self.tCount != 0 { out.append(Self.tBase + s % Self.tCount) }
            } else if cp >= 0x80, let d = decompositions[cp] {
                out += d
            } else {
                out.append(cp)
            }
        }
        // Canonical ordering: a stable sort of each run of non-starters by class (runs are short).
        var i = 0
        while i < out.count {
            guard combiningClass(out[i]) != 0 else { i += 1; continue }
            var j = i
            while j < out.count && combiningClass(out[j]) != 0 { j += 1 }
            if j - i > 1 {
                let run = out[i..<j].enumerated().sorted { (combiningClass($0.element), $0.offset) < (combiningClass($1.element), $1.offset) }.map(\.element)
                out.replaceSubrange(i..<j, with: run)
            }
            i = j
        }
        // Canonical composition.
        guard !out.isEmpty else { return out }
        var result: [UInt32] = []
        result.reserveCapacity(out.count)
        var starter: Int? = nil          // index in `result` of the last starter
        var lastClass: Int = -1          // class of the last character appended after it
        for cp in out {
            let cc = Int(combiningClass(cp))
            if let s = starter {
                let first = result[s]
                // Hangul: L + V -> LV, LV + T -> LVT.
                if result.count - 1 == s, first >= Self.lBase, first < Self.lBase + Self.lCount, cp >= Self.vBase, cp < Self.vBase + Self.vCount {
                    result[s] = Self.sBase + ((first - Self.lBase) * Self.vCount + (cp - Self.vBase)) * Self.tCount
                    continue
                }
                if result.count - 1 == s, first >= Self.sBase, first < Self.sBase + Self.sCount, (first - Self.sBase) % Self.tCount == 0,
                   cp > Self.tBase, cp < Self.tBase + Self.tCount {
                    result[s] = first + (cp - Self.tBase)
                    continue
                }
                // Not blocked: nothing between, or everything between has a lower class.
                let blocked = result.count - 1 != s && (lastClass == 0 || lastClass >= cc)
                if !blocked, let composite = compositions[UInt64(first) << 32 | UInt64(cp)] {
                    result[s] = composite
                    continue
                }
            }
            if cc == 0 {
                starter = result.count
                lastClass = -1
            } else {
                lastClass = cc
            }
            result.append(cp)
        }
        return result
    }
}
