import Foundation
import XCTest
import LabcheckTestSupport

/// The layers hold (STYLE.md): CLI -> Git adapter -> Core -> TOML. The core has no git, no file
/// system and no processes; only the git adapter touches libgit2. The test reads every source
/// file's import declarations (not substrings: a module named in a string or a comment is no
/// import) and the manifest's target dependencies.
final class ArchitectureTests: XCTestCase {
    /// The modules each target may import. Anything else is a violation.
    private let allowed: [String: Set<String>] = [
        "LabcheckTOML": ["Synchronization"],
        "LabcheckCore": ["LabcheckTOML", "Yams", "Dispatch"],
        "LabcheckGit": ["LabcheckCore", "LabcheckTOML", "CLibgit2", "CLibcrypto", "Foundation", "Dispatch", "Glibc", "Synchronization"],
        "labcheck": ["LabcheckCore", "LabcheckGit", "LabcheckTOML", "ArgumentParser", "Foundation", "Dispatch", "Glibc"],
    ]

    /// The target dependencies the manifest must declare, exactly.
    private let dependencies: [String: Set<String>] = [
        "LabcheckTOML": [],
        "LabcheckCore": ["LabcheckTOML", "Yams"],
        "LabcheckGit": ["LabcheckCore", "LabcheckTOML", "CLibgit2", "CLibcrypto"],
        "labcheck": ["LabcheckCore", "LabcheckGit", "LabcheckTOML", "ArgumentParser"],
    ]

    func testEveryTargetImportsOnlyTheModulesItsLayerAllows() throws {
        var violations: [String] = []
        for (target, modules) in allowed {
            let dir = SharedData.packageRoot.appendingPathComponent("Sources/\(target)")
            let files = try XCTUnwrap(FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)?.allObjects as? [URL])
                .filter { $0.pathExtension == "swift" }
            XCTAssertFalse(files.isEmpty, "no sources for \(target)")
            for file in files {
                for (line, module) in ImportDeclarations.read(try String(contentsOf: file, encoding: .utf8)) where !modules.contains(module) {
                    violations.append("\(target)/\(file.lastPathComponent):\(line): import \(module)")
                }
            }
        }
        XCTAssertEqual(violations.sorted(), [], "a layer imports what it must not")
    }

    func testImportDeclarationsAreReadNotGrepped() {
        let source = """
        import FoundationEssentials
        @testable import LabcheckCore
        import struct Glibc.stat
        @_exported import Yams.Node
        // import Foundation
        /* import Darwin
           import Darwin */
        let example = \"\"\"
        import json
        \"\"\"
        let inline = "import Foundation"
        """
        XCTAssertEqual(ImportDeclarations.read(source).map(\.module), ["FoundationEssentials", "LabcheckCore", "Glibc", "Yams"])
    }

    func testManifestDeclaresTheDependencyDirection() throws {
        let manifest = try String(contentsOf: SharedData.packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        let declared = ManifestTargets.dependencies(manifest)
        for (target, expected) in dependencies {
            XCTAssertEqual(declared[target], expected, "dependencies of \(target) in Package.swift")
        }
    }
}

/// The modules a Swift file imports, with their line numbers. Skips comments and string
/// literals (multi-line ones included); `import kind Module.Decl` and attributes are understood.
enum ImportDeclarations {
    static func read(_ text: String) -> [(line: Int, module: String)] {
        var out: [(Int, String)] = []
        var inBlockComment = false, inMultilineString = false
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if inBlockComment {
                guard let end = line.range(of: "*/") else { continue }
                inBlockComment = false
                line = line[end.upperBound...]
            }
            if inMultilineString {
                if line.contains("\"\"\"") { inMultilineString = false }
                continue
            }
            if line.components(separatedBy: "\"\"\"").count % 2 == 0 { inMultilineString = true; continue }
            let code = line.trimmingCharacters(in: .whitespaces)
            if code.hasPrefix("/*") && !code.contains("*/") { inBlockComment = true; continue }
            var words = code.split(separator: " ").map(String.init)
            while let first = words.first, first.hasPrefix("@") { words.removeFirst() }
            guard words.first == "import", words.count >= 2 else { continue }
            let kinds: Set<String> = ["typealias", "struct", "class", "enum", "protocol", "let", "var", "func"]
            let path = kinds.contains(words[1]) && words.count >= 3 ? words[2] : words[1]
            out.append((n + 1, String(path.split(separator: ".").first ?? Substring(path))))
        }
        return out
    }
}

/// The `dependencies:` of each `.target`/`.executableTarget` in a manifest: target names and
/// product names.
enum ManifestTargets {
    static func dependencies(_ manifest: String) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        let pattern = #"\.(?:target|executableTarget)\(\s*name:\s*"([^"]+)"(?:,\s*dependencies:\s*\[([\s\S]*?)\]\s*(?:,|\)))?"#
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return out }
        let ns = manifest as NSString
        for match in regex.matches(in: manifest, range: NSRange(location: 0, length: ns.length)) {
            let name = ns.substring(with: match.range(at: 1))
            var deps = Set<String>()
            if match.range(at: 2).location != NSNotFound {
                let list = ns.substring(with: match.range(at: 2))
                let product = try? NSRegularExpression(pattern: #"\.product\(\s*name:\s*"([^"]+)"[^)]*\)"#)
                let plain = try? NSRegularExpression(pattern: #"(?<![:\w])"([^"]+)""#)
                let lns = list as NSString
                for m in product?.matches(in: list, range: NSRange(location: 0, length: lns.length)) ?? [] { deps.insert(lns.substring(with: m.range(at: 1))) }
                let withoutProducts = product?.stringByReplacingMatches(in: list, range: NSRange(location: 0, length: lns.length), withTemplate: "") ?? list
                let wns = withoutProducts as NSString
                for m in plain?.matches(in: withoutProducts, range: NSRange(location: 0, length: wns.length)) ?? [] { deps.insert(wns.substring(with: m.range(at: 1))) }
            }
            out[name] = deps
        }
        return out
    }
}
