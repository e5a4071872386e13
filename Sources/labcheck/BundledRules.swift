import Foundation
import LabcheckCore
import LabcheckGit

/// Finds and loads the rules shipped with labcheck, with no flags: `LABCHECK_RULES` if set,
/// else `<prefix>/share/labcheck/rules` beside an installed binary, else the `rules/` of the
/// source tree the binary was built in (`swift run`, `.build/<config>/labcheck`).
enum BundledRules {
    /// The directory the bundled rules are read from, and how it was found.
    static func locate() -> (directory: String, how: String)? {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["LABCHECK_RULES"], !explicit.isEmpty { return (explicit, "LABCHECK_RULES") }
        var dir = PlainFiles.parent(PlainFiles.realPath("/proc/self/exe") ?? PlainFiles.realPath(CommandLine.arguments[0]) ?? CommandLine.arguments[0])
        for _ in 0..<6 {
            let installed = PlainFiles.join(dir, "share/labcheck/rules")
            if PlainFiles.exists(installed + "/templates") {
                return (installed, "installed beside the binary")
            }
            let source = PlainFiles.join(dir, "rules")
            if PlainFiles.exists(source + "/templates"), PlainFiles.exists(PlainFiles.join(dir, "Package.swift")) {
                return (source, "the source tree the binary was built from")
            }
            dir = PlainFiles.parent(dir)
        }
        return nil
    }

    /// Loads every rules file of the bundled directory. Throws a usage failure (exit 2) when
    /// none can be found.
    static func load(log: (String) -> Void) throws -> RuleSet { try read(log: log).parse() }

    /// The bundled rules files' bytes, read but not parsed yet, and a digest of every file (its
    /// path and bytes), which keys the result cache: other rules, other results. A run answered
    /// from the cache never parses them.
    struct Files {
        let directory: String
        let files: [(path: String, bytes: [UInt8])]
        let digest: String

        func parse() -> RuleSet {
            var rules = RuleSet()
            let origin = RuleOrigin(kind: "bundled", directory: directory)
            for file in files { rules.load(path: file.path, bytes: file.bytes, origin: origin) }
            return rules
        }
    }

    static func read(log: (String) -> Void) throws -> Files {
        guard let (directory, how) = locate() else {
            throw CommandFailure(exitCode: ExitStatus.usage,
                                 message: "error: cannot find labcheck's bundled rules (looked for share/labcheck/rules beside the binary and rules/ in its source tree); set LABCHECK_RULES to the rules directory")
        }
        log("rules: bundled rules from \(directory) (\(how))")
        var files: [(path: String, bytes: [UInt8])] = []
        var digest = Digest()
        for category in ["templates", "apps", "schemas", "contracts", "conventions", "snippets"] {
            let folder = PlainFiles.join(directory, category)
            for name in (PlainFiles.names(in: folder) ?? []).filter({ $0.hasSuffix(".toml") }).sorted() {
                let path = PlainFiles.join(folder, name)
                guard let bytes = FileBytes.read(path) else { continue }
                files.append((path, bytes))
                digest.add(category + "/" + name)
                digest.add(bytes)
            }
        }
        return Files(directory: directory, files: files, digest: Digest.hex(digest.finish()))
    }
}

/// The few file operations finding the bundled rules needs, on the C library's calls (their
/// bytes are read with `FileBytes.read`): every run does them before anything else, and Foundation's `URL` and `FileManager`
/// instantiate enough of their types on first use to take ~1.5 ms of a run that takes ~13.
enum PlainFiles {
    /// `directory/name`, without doubling the slash of the root.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The directory holding `path` ("/" for the root and for a path directly below it).
    static func parent(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// The absolute path with every symbolic link resolved, or nil if it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// The names in a directory (without `.` and `..`), or nil if it cannot be read.
    static func names(in directory: String) -> [String]? {
        guard let handle = opendir(directory) else { return nil }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
