import Foundation
import XCTest

/// The core library stays pure: no git, no file system, no processes (STYLE.md). This test
/// reads the core's sources and fails on any import or use that would break that.
final class ArchitectureTests: XCTestCase {
    func testCoreImportsNoGitFileSystemOrProcess() throws {
        let core = SharedData.packageRoot.appendingPathComponent("Sources/LabcheckCore")
        let files = try XCTUnwrap(FileManager.default.enumerator(at: core, includingPropertiesForKeys: nil)?.allObjects as? [URL])
            .filter { $0.pathExtension == "swift" }
        XCTAssertGreaterThan(files.count, 5)
        let forbidden = ["import LabcheckGit", "import CLibgit2", "import CLibcrypto", "import Foundation", "FileManager", "Process(", "ProcessInfo",
                         "fopen(", "git_"]
        var violations: [String] = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }
                for token in forbidden where code.contains(token) {
                    violations.append("\(file.lastPathComponent):\(n + 1): \(token)")
                }
            }
        }
        XCTAssertEqual(violations, [], "the core must stay free of git, file system and process access")
    }

    func testPackageManifestKeepsTheDependencyDirection() throws {
        let manifest = try String(contentsOf: SharedData.packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        XCTAssertTrue(manifest.contains(".target(name: \"LabcheckCore\", dependencies: [.product(name: \"Yams\", package: \"Yams\")],"),
                      "LabcheckCore depends on nothing but the YAML parser")
        XCTAssertTrue(manifest.contains(".target(name: \"LabcheckGit\", dependencies: [\"LabcheckCore\", \"CLibgit2\", \"CLibcrypto\"])"))
    }
}
