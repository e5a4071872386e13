import CLibcrypto
import Foundation
import LabcheckCore

/// Where labcheck keeps its caches, and how a cache file is read and written. The cache is only
/// an accelerator: every failure to read or write it is logged and ignored, never fatal, and
/// `--no-cache` gives identical output.
///
/// - Location: `--cache-dir DIR`, else `LABCHECK_CACHE_DIR`, else `<common git dir>/labcheck`
///   (shared by linked worktrees: blob and tree ids are the same in all of them). CI keeps the
///   directory between runs with its own cache (e.g. `actions/cache`).
/// - Reading is bounded: a file is opened, `fstat`ed, and read only when it is a regular file
///   no larger than the bound, so a huge or foreign file costs no memory; then its checksum
///   must match, else it is ignored as a whole.
/// - Writing is atomic: a temporary file in the same directory, then `rename`.
public struct CacheDirectory: Sendable {
    public let path: String
    /// How it was chosen, for `-v`.
    public let how: String

    /// The scan cache's largest accepted size (20,000 Python files take ~11 MB).
    public static let scanCacheLimit = 1 << 30
    /// A run record's largest accepted size.
    public static let recordLimit = 256 << 20
    /// How many run records are kept (the newest by modification time).
    public static let recordsKept = 64

    public init(repository: GitRepository, explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let explicit, !explicit.isEmpty {
            (path, how) = (Self.absolute(explicit), "--cache-dir")
        } else if let fromEnvironment = environment["LABCHECK_CACHE_DIR"], !fromEnvironment.isEmpty {
            (path, how) = (Self.absolute(fromEnvironment), "LABCHECK_CACHE_DIR")
        } else {
            (path, how) = ((repository.commonDirectory as NSString).appendingPathComponent("labcheck"), "the git directory")
        }
    }

    static func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(p)
    }

    /// The bytes of a cache file, or nil (with the reason in `log` when it is not simply missing)
    /// when it is missing, not a regular file, larger than `limit`, or unreadable.
    public static func readBounded(_ file: String, limit: Int, log: (String) -> Void) -> [UInt8]? {
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno != ENOENT { log("cache: cannot open \(file): \(String(cString: strerror(errno))); ignored") }
            return nil
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            log("cache: \(file) is not a regular file; ignored")
            return nil
        }
        guard info.st_size <= limit else {
            log("cache: \(file) is \(info.st_size) bytes, over the \(limit)-byte bound; ignored without reading it")
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                log("cache: \(file) could not be read whole; ignored")
                return nil
            }
            done += n
        }
        return bytes
    }

    /// Writes `bytes` to `file` atomically. Returns an error message, or nil on success.
    public static func writeAtomically(_ bytes: [UInt8], to file: String) -> String? {
        let directory = (file as NSString).deletingLastPathComponent
        let temporary = directory + "/.labcheck-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            return "cannot write \(file): \(error.localizedDescription)"
        }
        guard rename(temporary, file) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            return "cannot rename into \(file): \(reason)"
        }
        return nil
    }
}

/// SHA-256 of a sequence of parts (each length-prefixed, so no two sequences collide by
/// concatenation), in lower-case hex: the keys of the result cache and the checksums of its files.
public struct Digest {
    private var context: OpaquePointer?

    public init() {
        context = EVP_MD_CTX_new()
        if let context { EVP_DigestInit_ex(context, EVP_sha256(), nil) }
    }

    public mutating func add(_ bytes: some Collection<UInt8>) {
        var length = UInt64(bytes.count).littleEndian
        withUnsafeBytes(of: &length) { _ = EVP_DigestUpdate(context, $0.baseAddress, 8) }
        let copy = Array(bytes)
        copy.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
    }

    public mutating func add(_ text: String) { add(Array(text.utf8)) }

    /// The digest's 32 bytes (empty if OpenSSL failed: callers then use no cache).
    public mutating func finish() -> [UInt8] {
        guard let context else { return [] }
        defer { EVP_MD_CTX_free(context); self.context = nil }
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &out, &length) == 1, length == 32 else { return [] }
        return out
    }

    public static func hex(_ bytes: [UInt8]) -> String { ObjectID(bytes: bytes).description }

    public static func of(_ bytes: [UInt8]) -> [UInt8] {
        var d = Digest()
        d.add(bytes)
        return d.finish()
    }
}

/// Run records (`RunRecord`) by key, one file each under `<cache dir>/runs/`: magic, the
/// SHA-256 of the payload, the payload. Bounded (`CacheDirectory.recordLimit`), checksummed,
/// written atomically, and pruned to the newest `recordsKept`.
public struct ResultStore {
    public let directory: CacheDirectory
    static let magic: [UInt8] = Array("LCRUN\u{1}\n".utf8)

    public init(directory: CacheDirectory) { self.directory = directory }

    func file(_ key: String) -> String { directory.path + "/runs/" + key }

    /// The record stored under `key`, or nil (logged when a file exists but is not valid).
    public func load(_ key: String, log: (String) -> Void) -> RunRecord? {
        guard let bytes = CacheDirectory.readBounded(file(key), limit: CacheDirectory.recordLimit, log: log) else { return nil }
        let head = Self.magic.count + 32
        guard bytes.count > head, bytes.starts(with: Self.magic),
              Array(bytes[Self.magic.count..<head]) == Digest.of(Array(bytes[head...])),
              let record = try? JSONDecoder().decode(RunRecord.self, from: Data(bytes[head...])) else {
            log("cache: \(file(key)) is not a valid labcheck run record; ignored")
            return nil
        }
        // A hit counts as a use: pruning keeps what is used.
        _ = utimes(file(key), nil)
        return record
    }

    /// Stores `record` under `key`, then prunes the oldest records beyond the bound.
    public func save(_ record: RunRecord, key: String, log: (String) -> Void) {
        // JSON: findings are few, and the file carries its checksum.
        guard let payload = try? [UInt8](JSONEncoder().encode(record)) else { return }
        let checksum = Digest.of(payload)
        guard checksum.count == 32 else { return }
        if let problem = CacheDirectory.writeAtomically(Self.magic + checksum + payload, to: file(key)) {
            log("cache: \(problem)")
            return
        }
        prune()
    }

    func prune() {
        let runs = directory.path + "/runs"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: runs), names.count > CacheDirectory.recordsKept else { return }
        let dated = names.filter { !$0.hasPrefix(".") }.map { name -> (String, Int) in
            var info = stat()
            return (name, stat(runs + "/" + name, &info) == 0 ? Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec) : 0)
        }.sorted { $0.1 > $1.1 }
        for (name, _) in dated.dropFirst(CacheDirectory.recordsKept) { unlink(runs + "/" + name) }
    }
}
