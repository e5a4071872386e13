import Foundation
import LabcheckCore

/// The import scan cache's file: `<cache dir>/import-scan-cache-v1` (see `CacheDirectory` for
/// where that is, the read bound and the atomic write). The file carries its own checksum
/// (`ImportScanCache.decode` refuses anything that does not decode exactly).
public enum ImportCacheStore {
    /// The cache file in a cache directory.
    public static func path(in directory: CacheDirectory) -> String {
        (directory.path as NSString).appendingPathComponent("import-scan-cache-v1")
    }

    /// The cache, or an empty one when the file is missing, too large, unreadable, corrupt or foreign.
    public static func load(_ directory: CacheDirectory, log: (String) -> Void) -> ImportScanCache {
        let file = path(in: directory)
        guard let bytes = CacheDirectory.readBounded(file, limit: CacheDirectory.scanCacheLimit, log: log) else { return ImportScanCache() }
        guard let cache = ImportScanCache.decode(bytes) else {
            log("import cache: \(file) is not a valid labcheck cache; ignored (it will be rewritten)")
            return ImportScanCache()
        }
        return cache
    }

    /// Writes the cache when enough changed (`ImportScanCache.worthWriting`). Failures are
    /// reported to `log`, never fatal.
    public static func save(_ cache: ImportScanCache, to directory: CacheDirectory, log: (String) -> Void) {
        guard cache.worthWriting else {
            if cache.changed { log("import cache: \(cache.changes) change(s) not written yet (written once they add up)") }
            return
        }
        if let problem = CacheDirectory.writeAtomically(cache.encode(), to: path(in: directory)) { log("import cache: \(problem)") }
    }
}
