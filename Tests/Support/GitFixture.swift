import Foundation

/// The result of running a command.
public struct CommandResult: CustomStringConvertible {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// Runs a program and captures its output. Standard input is empty unless given.
public func runProcess(_ executable: String, _ arguments: [String], in directory: URL,
                       environment: [String: String], stdin: [UInt8] = []) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.environment = environment
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    // Read both pipes concurrently so a chatty child cannot block on a full pipe.
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errBox.data = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    input.fileHandleForWriting.write(Data(stdin))
    try? input.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errBox.data, as: UTF8.self))
}

/// A real git repository in a temporary directory, driven by the `git` command under a sealed
/// environment (no system or user config, fixed identity and dates). Removed on deinit.
public final class GitFixture {
    public let root: URL
    public let home: URL
    private let base: URL
    /// The environment every command in this fixture runs with.
    public private(set) var environment: [String: String]

    /// Creates a repository (`git init -b main`), or an empty directory when `initialize` is false.
    public init(initialize: Bool = true) throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("labcheck-test-\(UUID().uuidString)")
        root = base.appendingPathComponent("repo")
        home = base.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let inherited = ProcessInfo.processInfo.environment
        environment = [
            "PATH": inherited["PATH"] ?? "/usr/bin:/bin",
            "HOME": home.path,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.invalid",
            "GIT_COMMITTER_NAME": "Test Committer", "GIT_COMMITTER_EMAIL": "committer@example.invalid",
            "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
            "LANG": "C", "LC_ALL": "C",
        ]
        if initialize {
            try git("init", "-q", "-b", "main")
            try git("config", "user.name", "Test User")
            try git("config", "user.email", "user@example.invalid")
        }
    }

    deinit { try? FileManager.default.removeItem(at: base) }

    /// Sets an environment variable for every later command.
    public func setEnvironment(_ key: String, _ value: String?) { environment[key] = value }

    /// Runs git in `directory` (default: the repository root). Throws when it fails, unless
    /// `allowFailure`.
    @discardableResult
    public func git(_ arguments: String..., in directory: URL? = nil, extraEnvironment: [String: String] = [:],
                    allowFailure: Bool = false) throws -> CommandResult {
        try git(arguments: arguments, in: directory, extraEnvironment: extraEnvironment, allowFailure: allowFailure)
    }

    /// Runs git with an argument array.
    @discardableResult
    public func git(arguments: [String], in directory: URL? = nil, extraEnvironment: [String: String] = [:],
                    allowFailure: Bool = false) throws -> CommandResult {
        let result = try runProcess("/usr/bin/env", ["git"] + arguments, in: directory ?? root,
                                    environment: environment.merging(extraEnvironment) { $1 })
        if result.status != 0 && !allowFailure {
            throw FixtureError.commandFailed("git \(arguments.joined(separator: " "))", result)
        }
        return result
    }

    /// Writes a file (creating directories) relative to the repository root.
    public func write(_ path: String, _ content: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: url)
    }

    /// Reads a file relative to the repository root.
    public func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// Writes, adds and commits files.
    public func commit(_ files: [String: String], message: String = "commit") throws {
        for (path, content) in files { try write(path, content) }
        try git(arguments: ["add", "--"] + files.keys.sorted())
        try git("commit", "-q", "--no-verify", "-m", message)
    }

    /// A sibling directory of the repository inside the fixture's temp dir.
    public func sibling(_ name: String) -> URL { base.appendingPathComponent(name) }
}

public enum FixtureError: Error, CustomStringConvertible {
    case commandFailed(String, CommandResult)

    public var description: String {
        switch self {
        case .commandFailed(let command, let result): return "\(command) failed: \(result)"
        }
    }
}

/// The built labcheck binary, beside the test bundle in the build products directory.
public enum LabcheckBinary {
    /// `LABCHECK_BINARY` if set (to run the end-to-end tests against a release build), else the
    /// binary `swift test` built beside the tests (the CLI test target depends on it).
    public static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["LABCHECK_BINARY"], !explicit.isEmpty { return explicit }
        let products = Bundle.main.bundleURL
        let candidates = [
            products.appendingPathComponent("labcheck").path,
            products.deletingLastPathComponent().appendingPathComponent("labcheck").path,
        ]
        for c in candidates where FileManager.default.isExecutableFile(atPath: c) { return c }
        return candidates[0]
    }

    /// Runs labcheck in `directory` with the fixture's environment plus `extra`.
    public static func run(_ arguments: [String], in directory: URL, environment: [String: String],
                           stdin: [UInt8] = []) throws -> CommandResult {
        try runProcess(path, arguments, in: directory, environment: environment, stdin: stdin)
    }
}

extension GitFixture {
    /// Removes what labcheck kept of earlier runs' results (run records, the import memo, the
    /// lab-findings memo) but not the scan cache, so the next run computes its findings from
    /// the scan cache.
    public func forgetRunResults() throws {
        let cache = root.appendingPathComponent(".git/labcheck")
        for name in ["runs", "imports", "import-digests-v1", "lab-findings-v1"] {
            let url = cache.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        }
    }
}
