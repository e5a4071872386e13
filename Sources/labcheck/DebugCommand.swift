import ArgumentParser
import Foundation
import LabcheckCore
import LabcheckTOML

/// `labcheck debug ...`: tools for testing labcheck itself. Hidden from `--help`.
struct DebugCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug",
        abstract: "Developer tools (the toml-test harness contract, the parser and import-scanner benchmarks).",
        shouldDisplay: false,
        subcommands: [TOMLJSON.self, TOMLJSONFiles.self, ScanImports.self, ParseBench.self, ScanBench.self, CheckTable.self, Launch.self]
    )

    /// Prints the README's check table, derived from the check registry (a test keeps the
    /// README equal to it).
    /// `labcheck debug launch ARGS`: the check settings `LaunchPlan.preparsedCheck` takes from
    /// ARGS (or that it leaves them to ArgumentParser), and the settings ArgumentParser's parse
    /// of the same arguments gives (or its error): the two must agree.
    struct Launch: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "launch", abstract: "How ARGS (after labcheck) would be parsed.")
        @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

        func run() throws {
            print("preparsed: \(LaunchPlan.preparsedCheck(arguments).map { String(describing: $0) } ?? "no")")
            do {
                let command = try LaunchPlan.parse(arguments)
                print("parsed: \((command as? CheckCommand).map { String(describing: $0.settings) } ?? "not check")")
            } catch {
                print("parsed: error")
            }
        }
    }

    struct CheckTable: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check-table", abstract: "Print the README's check table from the registry.")

        func run() throws { print(CheckRegistry.markdownTable, terminator: "") }
    }

    /// Reads TOML on stdin and writes toml-test's tagged JSON on stdout; exit 1 with a
    /// `line:col: message` on stderr for invalid input.
    struct TOMLJSON: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "toml-json",
            abstract: "Decode TOML from stdin to toml-test's tagged JSON."
        )

        func run() throws {
            let bytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            do {
                let document = try TOMLParser.parse(SourceText(bytes))
                print(TaggedJSON.encode(document.root))
            } catch let error as TOMLSyntaxError {
                throw CommandFailure(exitCode: 1, message: "<stdin>:\(error.position): \(error.message)")
            }
        }
    }

    /// Decodes many TOML files in one process, one JSON line per file: `{"file": F, "value": tagged}`
    /// or `{"file": F, "error": "line:col: message"}`. For the differential tests against tomllib.
    struct TOMLJSONFiles: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "toml-json-files", abstract: "Decode TOML files to tagged JSON, one line each.")

        @Argument(help: "TOML files.") var files: [String]

        func run() throws {
            try DebugCommand.jsonLines(files) { bytes in
                do {
                    return "\"value\": \(TaggedJSON.encode(try TOMLParser.parse(SourceText(bytes)).root))"
                } catch let error as TOMLSyntaxError {
                    return "\"error\": \(JSONText.quoted("\(error.position): \(error.message)"))"
                }
            }
        }
    }

    /// Scans Python files for imports, one JSON line per file: `{"file": F, "imports": [...]}` or
    /// `{"file": F, "error": ...}`. For the differential tests against Python's `ast`.
    struct ScanImports: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "scan-imports", abstract: "Print the imports the scanner finds in Python files, as JSON lines.")

        @Argument(help: "Python files.") var files: [String]

        func run() throws {
            try DebugCommand.jsonLines(files) { bytes in
                switch PythonImportScanner.scan(bytes) {
                case .success(let imports):
                    let items = imports.map { i in
                        "{\"kind\": \"\(i.kind.rawValue)\", \"module\": \(JSONText.quoted(i.module)), \"level\": \(i.level), "
                            + "\"name\": \(i.name.map(JSONText.quoted) ?? "null"), \"line\": \(i.line), \"column\": \(i.column), "
                            + "\"type_checking\": \(i.typeChecking), \"guarded\": \(i.guarded)}"
                    }
                    return "\"imports\": [\(items.joined(separator: ", "))]"
                case .failure(let error):
                    return "\"error\": \(JSONText.quoted("\(error.line):\(error.column): \(error.message)"))"
                }
            }
        }
    }

    /// One JSON line per file on stdout: `{"file": F, <fields>}`, the fields made by `fields`
    /// from the file's bytes; a file that cannot be read is a usage error.
    static func jsonLines(_ files: [String], _ fields: ([UInt8]) throws -> String) throws {
        var out = ""
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandFailure(exitCode: ExitStatus.usage, message: "error: cannot read \(file)")
            }
            out += "{\"file\": \(JSONText.quoted(file)), \(try fields([UInt8](data)))}\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    /// Parses a file repeatedly and prints the best time as JSON: the labcheck half of
    /// `bench/toml_bench.py`.
    struct ParseBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "parse-bench",
            abstract: "Time the TOML parser on a file (best of N runs)."
        )

        @Argument(help: "The TOML file.") var file: String
        @Option(help: "How many runs.") var runs = 5

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandFailure(exitCode: ExitStatus.usage, message: "error: cannot read \(file)")
            }
            let bytes = [UInt8](data)
            var best = Double.infinity
            var keys = 0
            for _ in 0..<max(1, runs) {
                let source = SourceText(bytes)
                let start = DispatchTime.now().uptimeNanoseconds
                let document = try TOMLParser.parse(source)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                best = min(best, elapsed)
                keys = document.root.entries.count
            }
            print("{\"bytes\": \(bytes.count), \"best_seconds\": \(best), \"top_level_keys\": \(keys)}")
        }
    }

    /// Scans Python files for imports repeatedly on one thread and prints the best time as
    /// JSON: the scanner alone, without reading, hashing or start-up (for tuning the scanner).
    struct ScanBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scan-bench",
            abstract: "Time the Python import scanner on files (best of N runs, one thread)."
        )

        @Argument(help: "Python files, or directories to take every .py file from.") var paths: [String]
        @Option(help: "How many runs.") var runs = 5

        func run() throws {
            var files: [String] = []
            for path in paths {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { files.append(path); continue }
                let found = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".py") } ?? []
                files += found.sorted().map { path + "/" + $0 }
            }
            let sources: [[UInt8]] = try files.map { file in
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CommandFailure(exitCode: ExitStatus.usage, message: "error: cannot read \(file)")
                }
                return [UInt8](data)
            }
            var best = Double.infinity
            var imports = 0, failures = 0
            for _ in 0..<max(1, runs) {
                imports = 0
                failures = 0
                let start = DispatchTime.now().uptimeNanoseconds
                for source in sources {
                    switch PythonImportScanner.scan(source) {
                    case .success(let found): imports += found.count
                    case .failure: failures += 1
                    }
                }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let bytes = sources.reduce(0) { $0 + $1.count }
            print("{\"files\": \(sources.count), \"bytes\": \(bytes), \"imports\": \(imports), \"unscannable\": \(failures), \"best_seconds\": \(best)}")
        }
    }
}
