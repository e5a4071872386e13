import LabcheckTOML

/// Where a rules file came from.
public struct RuleOrigin: Sendable, Hashable {
    /// `bundled` or `repository`.
    public let kind: String
    /// The directory it was loaded from (a file-system path for bundled rules, a
    /// repository-relative one for repository rules).
    public let directory: String

    public init(kind: String, directory: String) {
        self.kind = kind
        self.directory = directory
    }
}

/// One loaded rules file, for `labcheck rules`.
public struct LoadedRuleFile: Sendable {
    public let path: String
    public let origin: RuleOrigin
    /// `template`, `app`, `schema` or `contract`.
    public let category: String
    /// The id it defines (template id, app name, schema id, contract preset name).
    public let id: String
    /// Set when a later file with the same id replaced this one.
    public var replacedBy: String?
}

/// A declared step from one template version to the next.
public struct TemplateMigration: Sendable {
    public let from: Int
    public let to: Int
    /// Args renamed by this step, old name -> new name, in declaration order.
    public let rename: [(old: String, new: String)]
    /// Args removed by this step.
    public let remove: [String]
    /// Args added by this step, with the value the template declares.
    public let add: [(name: String, value: TOMLNode)]
    /// What changed, in words.
    public let note: String?

    /// `v1 -> v2 (rename workers_data_path -> workflow_share_root)`.
    public var summary: String {
        var parts: [String] = rename.map { "rename \($0.old) -> \($0.new)" }
        parts += remove.map { "remove \($0)" }
        parts += add.map { "add \($0.name)" }
        if parts.isEmpty, let note { parts.append(note) }
        return "v\(from) -> v\(to)" + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
    }
}

/// One template family: its current version, args, render text and migrations.
public struct TemplateFamily: Sendable {
    public let id: String
    public let version: Int
    public let description: String?
    /// The ORCHESTRATE shape it renders (`RUN`, `INSTALL`, `CHECK`), or nil for tag-only families.
    public let shape: String?
    /// An action the template itself defines (`install`), which no app contract needs to list.
    public let builtinAction: String?
    /// The template's own args (orchestration parameters), beside the app action's args.
    public let args: [ArgSpec]
    /// The Python text of the current version, with `{{ placeholder | filter }}` fields.
    public let render: String?
    public let migrations: [TemplateMigration]
    public let path: String

    /// The declared migration from `version`, if any.
    public func migration(from version: Int) -> TemplateMigration? { migrations.first { $0.from == version } }

    /// The chain of migrations from `version` to the current one, or nil where a step is not
    /// declared (then the stage cannot be refreshed automatically).
    public func migrationPath(from version: Int) -> [TemplateMigration]? {
        var steps: [TemplateMigration] = []
        var v = version
        while v < self.version {
            guard let step = migration(from: v) else { return nil }
            steps.append(step)
            v = step.to
        }
        return steps
    }

    /// The spec of a template arg.
    public func arg(_ name: String) -> ArgSpec? { args.first { $0.name == name } }
}

/// An app's contract: its actions and tasks, each with its args.
public struct AppContract: Sendable {
    public let app: String
    public let actions: [String: [ArgSpec]]
    public let tasks: [String: [ArgSpec]]
    public let path: String
}

/// A contract preset file (`rules/contracts/<name>.toml`).
public struct ContractPreset: Sendable {
    public let table: TOMLTable
    public let source: SourceText
    public let path: String
}

/// Everything loaded from `rules/` directories.
public struct RuleSet: Sendable {
    public private(set) var templates: [String: TemplateFamily] = [:]
    public private(set) var apps: [String: AppContract] = [:]
    public private(set) var schemas: [String: KeySchema] = [:]
    /// Contract presets by name: the raw file, read by the import-boundary engine.
    public private(set) var contractPresets: [String: ContractPreset] = [:]
    /// Stage conventions by id (`conventions/`): at most one id may be loaded.
    public private(set) var conventionFiles: [String: StageConventions] = [:]
    /// Generated-snippet recognisers by id (`snippets/`).
    public private(set) var snippetRecognizers: [String: SnippetRecognizer] = [:]
    public private(set) var files: [LoadedRuleFile] = []
    /// LC002 problems found while loading.
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    /// The stage conventions in force, or nil when no `conventions/` file was loaded (the
    /// linter reports that as a configuration error: it never falls back to built-in names).
    public var conventions: StageConventions? { conventionFiles.values.first }

    /// The shape of a generated snippet by any loaded recogniser (in id order), or nil.
    public func generatedShape(of code: String) -> String? {
        for id in snippetRecognizers.keys.sorted() { if let shape = snippetRecognizers[id]?.shape(of: code) { return shape } }
        return nil
    }

    /// Loads one rules file. `path` decides its category by its directory: `templates/`,
    /// `apps/`, `schemas/`, `contracts/`, `conventions/` or `snippets/`; other files are ignored.
    public mutating func load(path: String, bytes: [UInt8], origin: RuleOrigin) {
        let parts = path.split(separator: "/")
        guard parts.count >= 2, path.hasSuffix(".toml") else { return }
        let category = String(parts[parts.count - 2])
        var reader = RuleFileReader(path: path, source: SourceText(bytes))
        guard let root = reader.parse() else { diagnostics += reader.diagnostics; return }
        let whole = ByteSpan(0, 0)
        var id: String? = nil
        switch category {
        case "templates":
            if let t = Self.readTemplate(root, &reader, path: path) { id = t.id; templates[t.id] = t }
        case "apps":
            if let a = Self.readApp(root, &reader, path: path) { id = a.app; apps[a.app] = a }
        case "schemas":
            if let s = KeySchema.read(root, &reader, path: path) { id = s.id; schemas[s.id] = s }
        case "contracts":
            reader.rejectUnknownKeys(root, known: ["name", "description", "contracts"], context: "a contract preset")
            if let name = reader.string(root, "name", required: true, span: whole) {
                id = name
                contractPresets[name] = ContractPreset(table: root, source: reader.source, path: path)
            }
        case "conventions":
            if let c = Self.readConventions(root, &reader, path: path) {
                if let other = conventionFiles.keys.first(where: { $0 != c.id }) {
                    reader.problem("conventions '\(c.id)' conflict with conventions '\(other)' already loaded: one set of stage conventions applies",
                                   root["id"]?.span ?? whole, help: "replace the file by one with id = \"\(other)\", or remove one of them")
                } else {
                    id = c.id
                    conventionFiles[c.id] = c
                }
            }
        case "snippets":
            if let recognizer = Self.readSnippets(root, &reader, path: path) { id = recognizer.id; snippetRecognizers[recognizer.id] = recognizer }
        default:
            return
        }
        diagnostics += reader.diagnostics
        guard let id else { return }
        let singular = ["templates": "template", "apps": "app", "schemas": "schema", "contracts": "contract",
                        "conventions": "conventions", "snippets": "snippets"][category] ?? category
        for i in files.indices where files[i].category == singular && files[i].id == id && files[i].replacedBy == nil {
            files[i].replacedBy = path
        }
        files.append(LoadedRuleFile(path: path, origin: origin, category: singular, id: id))
    }

    static func readTemplate(_ root: TOMLTable, _ r: inout RuleFileReader, path: String) -> TemplateFamily? {
        let whole = ByteSpan(0, 0)
        r.rejectUnknownKeys(root, known: ["id", "version", "description", "shape", "builtin_action", "args", "render", "migrations"],
                            context: "a template file")
        let id = r.string(root, "id", required: true, span: whole)
        let version = r.positiveInteger(root, "version", required: true, span: whole)
        let args = r.table(root, "args").map { r.args($0, context: "template args") } ?? []
        var migrations: [TemplateMigration] = []
        if let node = root["migrations"] {
            if let array = node.array, array.items.allSatisfy({ $0.table != nil }) {
                for item in array.items {
                    let m = item.table!
                    r.rejectUnknownKeys(m, known: ["from", "to", "rename", "remove", "add", "note"], context: "a migration")
                    guard let from = r.positiveInteger(m, "from", required: true, span: item.span),
                          let to = r.positiveInteger(m, "to", required: true, span: item.span) else { continue }
                    if to != from + 1 { r.problem("a migration goes from one version to the next: from \(from) to \(from + 1), not \(to)", m["to"]!.span) }
                    var rename: [(String, String)] = []
                    for e in r.table(m, "rename")?.entries ?? [] {
                        if let new = e.value.string { rename.append((e.key, new)) } else { r.problem("rename '\(e.key)' must name the new arg as a string", e.value.span) }
                    }
                    let add = (r.table(m, "add")?.entries ?? []).map { ($0.key, $0.value) }
                    migrations.append(TemplateMigration(from: from, to: to, rename: rename, remove: r.strings(m, "remove") ?? [],
                                                        add: add, note: r.string(m, "note", span: item.span)))
                }
            } else {
                r.problem("'migrations' must be an array of tables ([[migrations]])", node.span)
            }
        }
        if let version {
            for m in migrations where m.to > version {
                r.problem("migration v\(m.from) -> v\(m.to) goes past the current version \(version)", root["version"]!.span)
            }
            var seen = Set<Int>()
            for m in migrations where !seen.insert(m.from).inserted {
                r.problem("two migrations from version \(m.from)", root["migrations"]!.span)
            }
        }
        let render = r.string(root, "render", span: whole)
        if let render, let renderNode = root["render"] {
            for problem in TemplateRenderer.validate(render) {
                r.problem("render text: \(problem)", renderNode.span)
            }
        }
        guard let id, let version else { return nil }
        return TemplateFamily(id: id, version: version, description: r.string(root, "description", span: whole),
                              shape: r.string(root, "shape", span: whole), builtinAction: r.string(root, "builtin_action", span: whole),
                              args: args, render: render, migrations: migrations, path: path)
    }

    static func readApp(_ root: TOMLTable, _ r: inout RuleFileReader, path: String) -> AppContract? {
        r.rejectUnknownKeys(root, known: ["app", "description", "actions", "tasks"], context: "an app contract")
        let app = r.string(root, "app", required: true, span: ByteSpan(0, 0))
        func entries(_ key: String) -> [String: [ArgSpec]] {
            var out: [String: [ArgSpec]] = [:]
            for e in r.table(root, key)?.entries ?? [] {
                guard let t = e.value.table else { r.problem("\(key).\(e.key) must be a table", e.value.span); continue }
                r.rejectUnknownKeys(t, known: ["args", "description"], context: "\(key).\(e.key)")
                out[e.key] = r.table(t, "args").map { r.args($0, context: "\(key).\(e.key).args") } ?? []
            }
            return out
        }
        let actions = entries("actions"), tasks = entries("tasks")
        guard let app else { return nil }
        return AppContract(app: app, actions: actions, tasks: tasks, path: path)
    }
}

/// LC002: a rules file is invalid. Reported by `RuleSet.load` as each file is read.
public enum RulesFileCheck: Check {
    public static let descriptions = [
        CheckDescription(
            id: "LC002", slug: "invalid-rules-file", severity: .error,
            summary: "a rules file invalid (syntax, unknown key, wrong type, bad migration or render text, no stage conventions)",
            what: "Reports an invalid rules file (bundled or in a repository rules directory): a TOML syntax error, an unknown key, a missing required key, an unknown type name, a migration that does not go from one version to the next, or a render text with an unclosed placeholder or unknown filter. Exit code 2.",
            why: "Rules are data the checks trust: a broken registry would make every stage look stale, or none.",
            example: "# lab_rules/templates/pipeline.x.toml\nid = \"pipeline.x\"\nverison = 2      # did you mean 'version'?",
            fix: "Correct the rules file; its format is in rules/README.md.",
            triggering: [CheckExample(files: [".labcheck.toml": "rules = ['lab_rules']\n", "lab_rules/templates/x.toml": "↓id = 'x'\n↓verison = 1\n"])],
            nonTriggering: [CheckExample(files: [".labcheck.toml": "rules = ['lab_rules']\n", "lab_rules/templates/x.toml": "id = 'x'\nversion = 1\n"])]
        ),
    ]

}
