import Foundation
import LabcheckCore

/// The rules bundled with labcheck (`rules/` of the source tree), loaded once, so the lab-file
/// and snippet targets see the real template registry and conventions.
public let bundledRules: RuleSet = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("rules")
    var files: [String: String] = [:]
    if let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) {
        for case let url as URL in walker where url.pathExtension == "toml" {
            if let text = try? String(contentsOf: url, encoding: .utf8) {
                files[String(url.path.dropFirst(root.path.count + 1))] = text
            }
        }
    }
    precondition(!files.isEmpty, "no rules under \(root.path)")   // a build-tree fact, not fuzz input
    return ExampleRules.load(files)
}()
