import LabcheckTOML

/// One `[[configs]]` entry: config files (TOML or YAML) checked against a key schema.
public struct ConfigRegistration: Sendable {
    public let globs: [Glob]
    public let schema: String
    /// Where the registration names its schema in `.labcheck.toml`.
    public let position: SourcePosition

    public func matches(_ path: String) -> Bool { globs.contains { $0.matches(path) } }
}

/// The repository's `.labcheck.toml` (DESIGN §6a), read from the snapshot being checked.
/// Every key is optional; an unknown key is an LC001 error whatever the strict setting.
public struct LabcheckConfig: Sendable {
    /// The file name, at the repository root.
    public static let fileName = ".labcheck.toml"
    /// The default lab stage file glob.
    /// AGILab's stage file names: `lab_stages.toml`, and `lab_steps.toml` (its name until
    /// 2026-05-08, which AGILab still reads).
    public static let defaultStageFiles = ["**/lab_stages.toml", "**/lab_steps.toml"]

    /// `strict`, if set.
    public var strict: Bool? = nil
    /// Globs naming lab stage files.
    public var stageFiles: [Glob] = defaultStageFiles.map(Glob.init)
    /// Repository-local rules directories.
    public var rules: [String] = []
    /// Import contract presets to use.
    public var contractPresets: [String] = []
    /// `[python] roots`, if set as a list, and where each entry is written.
    public var pythonRoots: [String]? = nil
    public var pythonRootSpans: [(start: SourcePosition, end: SourcePosition)] = []
    /// `[python] roots = "auto"`: package roots discovered from `pyproject.toml` files.
    public var pythonRootsAuto = false
    /// `[python] exclude`: globs of Python files that are not modules of the graph (tests,
    /// scripts).
    public var pythonExclude: [Glob] = []
    /// `import_linter`: "auto" (the default: import-linter's own configuration is read when
    /// found), a path, or nil (`import_linter = false`).
    public var importLinter: String? = "auto"
    /// `[[configs]]`: config files checked against a key schema.
    public var registeredConfigs: [ConfigRegistration] = []
    /// The parsed document, for sections later checks read (`contracts`).
    public var document: TOMLDocument? = nil
    /// Where the configuration came from, for `-v`.
    public var origin: String = "defaults (no .labcheck.toml in the snapshot)"

    public init() {}

    /// LC001's documentation.

    static let topLevelKeys = ["strict", "stage_files", "rules", "contract_presets", "python", "contracts", "configs", "import_linter"]
    static let pythonKeys = ["roots", "exclude"]
    static let contractKeys = ["name", "type", "source", "forbidden", "allow_indirect", "type_checking", "dynamic",
                               "ignore", "layers", "containers", "modules", "protected", "allowed_importers", "as_packages",
                               "unmatched_ignore_imports_alerting", "exhaustive", "exhaustive_ignores", "guarded", "ancestors", "depth", "skip_descendants"]
    static let configKeys = ["files", "schema"]

    /// Reads `.labcheck.toml`. Problems are LC001 diagnostics; the defaults stand for any value
    /// that could not be read.
    public static func load(bytes: [UInt8], path: String = fileName) -> (LabcheckConfig, [Diagnostic]) {
        var config = LabcheckConfig()
        config.origin = "\(path) in the snapshot"
        let source = SourceText(bytes)
        var diagnostics: [Diagnostic] = []
        func problem(_ message: String, _ span: ByteSpan, help: String? = nil) {
            diagnostics.append(Diagnostic(id: "LC001", severity: .error, message: message, file: path,
                                          span: span, in: source, help: help))
        }
        let document: TOMLDocument
        do {
            document = try TOMLParser.parse(source)
        } catch let error as TOMLSyntaxError {
            problem(error.message, ByteSpan(error.offset, min(error.offset + 1, bytes.count)))
            return (config, diagnostics)
        } catch {
            problem("\(error)", ByteSpan(0, 0))
            return (config, diagnostics)
        }
        config.document = document
        func unknownKeys(_ table: TOMLTable, known: [String], prefix: String) {
            for e in table.entries where !known.contains(e.key) {
                var help = "known keys here: \(known.joined(separator: ", "))"
                if let s = NearestName.suggestion(for: e.key, among: known) { help = "did you mean '\(prefix)\(s)'?" }
                problem("unknown key '\(prefix)\(e.key)' in \(path)", e.keySpan, help: help)
            }
        }
        func strings(_ key: String, in table: TOMLTable, prefix: String = "") -> [String]? {
            guard let node = table[key] else { return nil }
            guard let array = node.array, array.items.allSatisfy({ $0.string != nil }) else {
                problem("'\(prefix)\(key)' must be an array of strings, found a \(node.value.typeName)", node.span)
                return nil
            }
            return array.items.compactMap(\.string)
        }
        let root = document.root
        unknownKeys(root, known: topLevelKeys, prefix: "")
        if let node = root["strict"] {
            if let b = node.bool { config.strict = b } else { problem("'strict' must be true or false, found a \(node.value.typeName)", node.span) }
        }
        if let globs = strings("stage_files", in: root) {
            if globs.isEmpty, let node = root["stage_files"] {
                problem("'stage_files' is empty: no file would be checked as a lab file", node.span, help: "remove the key to use the default [\"**/lab_stages.toml\"]")
            } else {
                config.stageFiles = globs.map(Glob.init)
            }
        }
        config.rules = strings("rules", in: root) ?? []
        if let node = root["import_linter"] {
            if node.bool == false { config.importLinter = nil }
            else if let text = node.string, !text.isEmpty { config.importLinter = text }
            else { problem("'import_linter' must be \"auto\", the path of import-linter's configuration, or false", node.span) }
        }
        config.contractPresets = strings("contract_presets", in: root) ?? []
        if let python = root["python"] {
            if let t = python.table {
                unknownKeys(t, known: pythonKeys, prefix: "python.")
                if let node = t["roots"], let text = node.string {
                    if text == "auto" { config.pythonRootsAuto = true }
                    else { problem("'python.roots' must be a list of directories (globs allowed) or \"auto\", found \"\(text)\"", node.span) }
                } else {
                    config.pythonRoots = strings("roots", in: t, prefix: "python.")
                    if config.pythonRoots != nil, let items = t["roots"]?.array?.items {
                        config.pythonRootSpans = items.map { (source.position(of: $0.span.start), source.position(of: $0.span.end)) }
                    }
                    if config.pythonRoots?.isEmpty == true, let node = t["roots"] {
                        problem("'python.roots' is empty: no Python file would be checked", node.span, help: "remove the key for the default [\"src\", \".\"], or write \"auto\"")
                    }
                }
                config.pythonExclude = (strings("exclude", in: t, prefix: "python.") ?? []).map(Glob.init)
            } else {
                problem("'python' must be a table, found a \(python.value.typeName)", python.span)
            }
        }
        for (section, known) in [("contracts", contractKeys), ("configs", configKeys)] {
            guard let node = root[section] else { continue }
            guard let array = node.array, array.items.allSatisfy({ $0.table != nil }) else {
                problem("'\(section)' must be an array of tables ([[\(section)]]), found a \(node.value.typeName)", node.span)
                continue
            }
            for item in array.items {
                let table = item.table!
                unknownKeys(table, known: known, prefix: "\(section).")
                guard section == "configs" else { continue }
                let files = strings("files", in: table, prefix: "configs.")
                let schemaNode = table["schema"]
                if files == nil && table["files"] == nil { problem("[[configs]] needs 'files' (globs of the config files)", item.span) }
                guard let schemaNode else { problem("[[configs]] needs 'schema' (the id of a key schema)", item.span); continue }
                guard let schema = schemaNode.string else { problem("'configs.schema' must be a string", schemaNode.span); continue }
                if let files {
                    config.registeredConfigs.append(ConfigRegistration(globs: files.map(Glob.init), schema: schema,
                                                                       position: source.position(of: schemaNode.span.start)))
                }
            }
        }
        return (config, diagnostics)
    }

    /// Whether `path` is a lab stage file under this configuration.
    public func isStageFile(_ path: String) -> Bool { stageFiles.contains { $0.matches(path) } }
}

/// LC001: the repository's `.labcheck.toml` is invalid. Reported by `LabcheckConfig.load`.
public enum LabcheckConfigCheck: Check {
    public static let descriptions = [
        CheckDescription(
            id: "LC001", slug: "invalid-labcheck-config", severity: .error,
            summary: "`.labcheck.toml` invalid (syntax, unknown key, wrong type, unknown schema, empty rules dir, an ignore that matches nothing)",
            what: "Reports an invalid `.labcheck.toml`: a TOML syntax error, an unknown key (with the nearest known key), a value of the wrong type, a rules directory with no rules files, or a `[[configs]]` entry naming an unknown schema. Exit code 2, whatever the strict setting.",
            why: "A misspelt setting (`strictt = true`) would otherwise be ignored, and the checks the team believes are on would silently be off.",
            example: "strictt = true      # did you mean 'strict'?",
            fix: "Correct the key or value; the known keys are listed in the README's configuration section and DESIGN §6a.",
            triggering: [CheckExample(files: [".labcheck.toml": "↓strictt = true\n"]), CheckExample(files: [".labcheck.toml": "stage_files = ↓'x'\n"])],
            nonTriggering: [CheckExample(files: [".labcheck.toml": "strict = false\nstage_files = ['**/lab_stages.toml']\n"])]
        ),
    ]

}
