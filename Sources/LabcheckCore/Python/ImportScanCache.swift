import Dispatch
import LabcheckTOML

/// Scan results cached by content id (a git blob id is a content hash), so unchanged files are
/// never scanned twice. The binary encoding is labcheck's own; a file that does not decode
/// exactly (wrong magic or version, bad checksum, truncated, foreign) is ignored as a whole,
/// never trusted.
public struct ImportScanCache: Sendable {
    public private(set) var entries: [String: Result<[PythonImport], PythonScanError>] = [:]
    /// The suppression comments of the files that have any, by content id (a file of `entries`
    /// that is not here has none: every scan records them).
    public private(set) var suppressions: [String: [CachedSuppression]] = [:]
    /// Whether entries were added or dropped since loading.
    public private(set) var changed = false
    /// How many entries were added or dropped since loading.
    public private(set) var changes = 0

    /// Whether writing the cache back is worth it: rewriting a cache of 20,000 files costs
    /// ~200 ms, scanning the one file a commit changed costs microseconds, and the result cache
    /// already answers a repeated run. So a few changes wait until they add up (scans not
    /// written are simply made again, entries not dropped are never used); an empty cache with
    /// anything in it is always written.
    public var worthWriting: Bool {
        guard changed else { return false }
        return loadedCount == 0 || changes >= max(64, entries.count / 50)
    }
    /// Entries when loaded.
    private var loadedCount = 0
    /// The file's first bytes; the byte after `LCISC` is the format version (2: with a string
    /// table; 3: with suppression comments; 4: same layout, but scans made by earlier versions
    /// are not trusted: they may have read a converted work-tree file instead of its blob, and
    /// the scanner now normalises identifiers and reads more dynamic-import forms).
    static let magic: [UInt8] = Array("LCISC\u{4}\n".utf8)

    public init() {}

    public subscript(id: String) -> Result<[PythonImport], PythonScanError>? { entries[id] }

    mutating func store(_ id: String, _ outcome: Result<[PythonImport], PythonScanError>, suppressions found: [CachedSuppression]) {
        entries[id] = outcome
        suppressions[id] = found.isEmpty ? nil : found
        changed = true
        changes += 1
    }

    /// The ids of every snapshot this cache served since it was loaded.
    private var served = Set<String>()

    /// Keeps only the given ids (those of the current snapshot) and those of the snapshots it
    /// served before in this process (a staged run may check the diff base too).
    public mutating func retain(_ ids: Set<String>) {
        served.formUnion(ids)
        let ids = served
        let before = entries.count
        if entries.keys.contains(where: { !ids.contains($0) }) {
            entries = entries.filter { ids.contains($0.key) }
            suppressions = suppressions.filter { ids.contains($0.key) }
        }
        if entries.count != before { changed = true; changes += before - entries.count }
    }

    /// The cache file's bytes: magic, a table of the distinct module and name strings, the
    /// records (imports refer to strings by index, so decoding builds each string once), and an
    /// FNV-1a checksum of everything before it.
    public func encode() -> [UInt8] {
        var out = Self.magic
        func int(_ v: Int) { var x = UInt32(truncatingIfNeeded: v).littleEndian; withUnsafeBytes(of: &x) { out += $0 } }
        func str(_ s: String) { int(s.utf8.count); out += s.utf8 }
        let ids = entries.keys.sorted()
        var strings: [String] = []
        var index: [String: Int] = [:]
        func intern(_ s: String) -> Int {
            if let k = index[s] { return k }
            index[s] = strings.count
            strings.append(s)
            return strings.count - 1
        }
        for id in ids {
            guard case .success(let imports) = entries[id]! else { continue }
            for i in imports {
                _ = intern(i.module)
                if let name = i.name { _ = intern(name) }
            }
        }
        int(strings.count)
        for s in strings { str(s) }
        int(ids.count)
        for id in ids {
            str(id)
            switch entries[id]! {
            case .success(let imports):
                out.append(0)
                int(imports.count)
                for i in imports {
                    out.append(i.kind == .plain ? 0 : (i.kind == .from ? 1 : 2))
                    out.append((i.typeChecking ? 1 : 0) | (i.guarded ? 2 : 0))
                    int(i.level); int(i.line); int(i.column)
                    int(index[i.module]!)
                    if let name = i.name { out.append(1); int(index[name]!) } else { out.append(0) }
                }
            case .failure(let e):
                out.append(1)
                int(e.line); int(e.column); str(e.message)
            }
        }
        let marked = suppressions.keys.sorted().filter { entries[$0] != nil }
        int(marked.count)
        for id in marked {
            str(id)
            let list = suppressions[id] ?? []
            int(list.count)
            for sup in list {
                int(sup.line); int(sup.column); int(sup.ids.count)
                for x in sup.ids { str(x) }
                if let reason = sup.reason { out.append(1); str(reason) } else { out.append(0) }
            }
        }
        var sum = Self.checksum(out).littleEndian
        withUnsafeBytes(of: &sum) { out += $0 }
        return out
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    static func checksum(_ bytes: [UInt8]) -> UInt64 { checksum(bytes[...]) }

    /// Decodes a cache file; nil for anything that is not exactly a valid cache.
    public static func decode(_ bytes: [UInt8]) -> ImportScanCache? {
        guard bytes.count >= magic.count + 16, Array(bytes.prefix(magic.count)) == magic else { return nil }
        let body = bytes[..<(bytes.count - 8)]
        var stored: UInt64 = 0
        for k in 0..<8 { stored |= UInt64(bytes[bytes.count - 8 + k]) << (8 * UInt64(k)) }
        guard stored == checksum(body) else { return nil }
        var p = magic.count
        let end = body.endIndex
        func int() -> Int? {
            guard p + 4 <= end else { return nil }
            let v = Int(bytes[p]) | Int(bytes[p + 1]) << 8 | Int(bytes[p + 2]) << 16 | Int(bytes[p + 3]) << 24
            p += 4
            return v
        }
        func byte() -> UInt8? { guard p < end else { return nil }; p += 1; return bytes[p - 1] }
        func str() -> String? {
            // The checksum already vouches for the bytes: decode without validating again.
            guard let n = int(), p + n <= end else { return nil }
            let s = String(decoding: bytes[p..<(p + n)], as: UTF8.self)
            p += n
            return s
        }
        guard let stringCount = int(), stringCount <= end - p else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount { guard let s = str() else { return nil }; strings.append(s) }
        func interned() -> String? { guard let k = int(), k < strings.count else { return nil }; return strings[k] }
        guard let count = int() else { return nil }
        var cache = ImportScanCache()
        cache.entries.reserveCapacity(count)
        for _ in 0..<count {
            guard let id = str(), let tag = byte() else { return nil }
            if tag == 1 {
                guard let l = int(), let c = int(), let m = str() else { return nil }
                cache.entries[id] = .failure(PythonScanError(message: m, line: l, column: c))
                continue
            }
            guard tag == 0, let n = int(), n <= end - p else { return nil }
            var imports: [PythonImport] = []
            imports.reserveCapacity(n)
            for _ in 0..<n {
                guard let k = byte(), k <= 2, let tc = byte(), tc <= 3, let level = int(), let line = int(), let column = int(),
                      let module = interned(), let hasName = byte() else { return nil }
                var name: String? = nil
                if hasName == 1 { guard let s = interned() else { return nil }; name = s }
                imports.append(PythonImport(kind: k == 0 ? .plain : (k == 1 ? .from : .dynamic), module: module, level: level, name: name,
                                            line: line, column: column, typeChecking: tc & 1 != 0, guarded: tc & 2 != 0))
            }
            cache.entries[id] = .success(imports)
        }
        guard let markedCount = int(), markedCount <= end - p else { return nil }
        for _ in 0..<markedCount {
            guard let id = str(), let n = int(), n <= end - p else { return nil }
            var list: [CachedSuppression] = []
            for _ in 0..<n {
                guard let line = int(), let column = int(), let idCount = int(), idCount <= end - p else { return nil }
                var ids: [String] = []
                for _ in 0..<idCount { guard let x = str() else { return nil }; ids.append(x) }
                guard let hasReason = byte() else { return nil }
                var reason: String? = nil
                if hasReason == 1 { guard let r = str() else { return nil }; reason = r }
                list.append(CachedSuppression(line: line, column: column, ids: ids, reason: reason))
            }
            cache.suppressions[id] = list
        }
        guard p == end else { return nil }
        cache.loadedCount = cache.entries.count
        return cache
    }
}

/// A suppression comment of a file, without the file's path (a cached blob may stand at
/// several paths).
public struct CachedSuppression: Sendable, Hashable {
    public let line: Int
    public let column: Int
    public let ids: [String]
    public let reason: String?

    /// At `path`.
    public func at(_ path: String) -> Suppression { Suppression(file: path, line: line, column: column, ids: ids, reason: reason) }
}
