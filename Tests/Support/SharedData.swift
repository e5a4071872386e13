import Foundation

/// Locates `../shared` (beside the clone) for tests that read the shared data sets.
public enum SharedData {
    /// The repository root of this package.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The `shared/` directory beside the clone.
    public static let root: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// The bytes of a file under `shared/`.
    public static func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(relative)))
    }
}
