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
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let installed = dir.appendingPathComponent("share/labcheck/rules")
            if FileManager.default.fileExists(atPath: installed.appendingPathComponent("templates").path) {
                return (installed.path, "installed beside the binary")
            }
            let source = dir.appendingPathComponent("rules")
            if FileManager.default.fileExists(atPath: source.appendingPathComponent("templates").path),
               FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return (source.path, "the source tree the binary was built from")
            }
            dir = dir.deletingLastPathComponent()
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
            let folder = URL(fileURLWithPath: directory).appendingPathComponent(category)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".toml") }.sorted()
            for name in names {
                let url = folder.appendingPathComponent(name)
                guard let data = FileManager.default.contents(atPath: url.path) else { continue }
                files.append((url.path, [UInt8](data)))
                digest.add(category + "/" + name)
                digest.add([UInt8](data))
            }
        }
        return Files(directory: directory, files: files, digest: Digest.hex(digest.finish()))
    }
}
