import ArgumentParser
import Foundation
import LabcheckCore
import LabcheckGit

/// `labcheck graph`: a picture of the architecture from the import graph and the contracts.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw the packages, their dependencies, the layers and the violations (DOT, Mermaid or SVG).",
        discussion: """
        Reads the same snapshot as `check` (default: the staged content), always as a whole. Each layers \
        contract's layers are ranks from the highest down (independent siblings side by side); every \
        dependency that is part of a violation is red, labelled with its count. `--format svg` runs \
        Graphviz's `dot`, which must be installed; `mermaid` pastes into a GitHub comment.
        """
    )

    enum PictureFormat: String, ExpressibleByArgument, CaseIterable { case dot, mermaid, svg }

    @OptionGroup var snapshotOptions: SnapshotOptions
    @Option(name: .long, help: "Draw one contract: its layers and its violations.") var contract: String?
    @Option(name: .long, help: "Module name components per package (default 2).") var depth = 2
    @Option(name: .long, help: "dot, mermaid or svg.") var format: PictureFormat = .dot
    @Flag(name: [.customShort("v"), .long], help: "Say what was read.") var verbose = false

    @Option(name: .customLong("cache-dir"), help: "Where labcheck's caches are (also: LABCHECK_CACHE_DIR; default: the git directory's labcheck/).")
    var cacheDir: String?

    func validate() throws {
        guard depth >= 1 else { throw ValidationError("--depth must be 1 or more") }
    }

    func run() throws {
        let log: (String) -> Void = { message in if verbose { FileHandle.standardError.write(Data("labcheck: \(message)\n".utf8)) } }
        let workspace = try snapshotOptions.openWorkspace(bundledRules: try BundledRules.load(log: log), log: log)
        try workspace.requireValidConfiguration()
        var request = LintRequest(snapshot: workspace.snapshot, scope: .all, configuration: workspace.configuration, strictFlag: false,
                                  importCache: ImportCacheStore.load(CacheDirectory(repository: workspace.repository, explicit: cacheDir), log: log))
        request.verbose = verbose
        let result = try Linter.run(request)
        result.log.forEach(log)
        guard let graph = result.importGraph else {
            throw CommandFailure(exitCode: ExitStatus.usage, message: "error: no import contracts are configured, so there is no import graph to draw; add [[contracts]] to .labcheck.toml")
        }
        if let contract, !result.contracts.contains(where: { $0.name == contract }) {
            let names = result.contracts.map(\.name)
            throw CommandFailure(exitCode: ExitStatus.usage, message: "error: no contract named '\(contract)'"
                                 + (NearestName.suggestion(for: contract, among: names).map { "; did you mean '\($0)'?" } ?? "; contracts: \(names.joined(separator: ", "))"))
        }
        let picture = ImportPicture(graph: graph, contracts: result.contracts, diagnostics: result.diagnostics, depth: depth, contract: contract)
        switch format {
        case .dot: print(picture.dot(), terminator: "")
        case .mermaid: print(picture.mermaid(), terminator: "")
        case .svg: print(try Self.svg(picture.dot()), terminator: "")
        }
    }

    /// Graphviz's rendering of `dot`; a clear error when `dot` is not installed.
    static func svg(_ dot: String) throws -> String {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/dot" }
        guard let executable = paths.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw CommandFailure(exitCode: ExitStatus.usage, message: "error: --format svg needs Graphviz's `dot`, which is not installed (apt-get install graphviz); --format dot or mermaid need nothing")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-Tsvg"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(dot.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CommandFailure(exitCode: ExitStatus.gitOrInternal, message: "error: dot -Tsvg failed (exit \(process.terminationStatus))") }
        return String(decoding: data, as: UTF8.self)
    }
}
