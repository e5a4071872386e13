import Foundation
import LabcheckCore

/// Where the import scan cache lives: `<common git dir>/labcheck/import-scan-cache-v1`, shared by
/// linked worktrees (blob ids are the same in all of them). Written atomically: a temporary
/// file in the same directory, then `rename`, so concurrent runs never see a half-written file.
public enum ImportCacheStore {
    /// The cache file of a repository.
    public static func path(for repository: GitRepository) -> String {
        (repository.commonDirectory as NSString).appendingPathComponent("labcheck/import-scan-cache-v1")
    }

    /// The cache, or an empty one when the file is missing, unreadable, corrupt or foreign.
    public static func load(_ repository: GitRepository, log: (String) -> Void) -> ImportScanCache {
        let file = path(for: repository)
        guard let data = FileManager.default.contents(atPath: file) else { return ImportScanCache() }
        guard let cache = ImportScanCache.decode([UInt8](data)) else {
            log("import cache: \(file) is not a valid labcheck cache; ignored (it will be rewritten)")
            return ImportScanCache()
        }
        return cache
    }

    /// Writes the cache if it changed. Failures are reported to `log`, never fatal: the cache
    /// is only an accelerator.
    public static func save(_ cache: ImportScanCache, to repository: GitRepository, log: (String) -> Void) {
        guard cache.changed else { return }
        let file = path(for: repository)
        let directory = (file as NSString).deletingLastPathComponent
        let temporary = directory + "/.import-scan-cache-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(cache.encode()).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, file) == 0 else {
                try? FileManager.default.removeItem(atPath: temporary)
                log("import cache: cannot rename into \(file): \(String(cString: strerror(errno)))")
                return
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            log("import cache: cannot write \(file): \(error.localizedDescription)")
        }
    }
}
