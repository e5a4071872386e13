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
    /// Args whose value changes meaning, with how (`scheduler`: "the host only, without :port").
    public let change: [(name: String, how: String)]
    /// What changed, in words.
    public let note: String?

    /// `v1 -> v2 (rename workers_data_path -> workflow_share_root)`.
    public var summary: String {
        var parts: [String] = rename.map { "rename \($0.old) -> \($0.new)" }
        parts += remove.map { "remove \($0)" }
        parts += add.map { "add \($0.name)" }
        parts += change.map { "change \($0.name): \($0.how)" }
        if parts.isEmpty, let note { parts.append(note) }
        return "v\(from) -> v\(to)" + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
    }
}

/// One version of a template family: what the generator wrote in that era.
public struct TemplateVersion: Sendable {
    public let version: Int
    /// When the generator started writing it (`2026-04-27`), and the upstream commit.
    public let date: String?
    public let upstream: String?
    /// What changed from the version before, in words.
    public let note: String?
    /// The template's own args at this version (orchestration parameters), beside the app's.
    public let args: [ArgSpec]
    /// The Python text of this version, with `{{ placeholder | filter }}` fields; nil for
    /// tag-only families.
    public let render: String?

    /// The spec of a template arg.
    public func arg(_ name: String) -> ArgSpec? { args.first { $0.name == name } }
}

/// One template family: every version (args and render text), the migrations between them.
public struct TemplateFamily: Sendable {
    public let id: String
    /// The current version.
    public let version: Int
    public let description: String?
    /// The generated shape it renders (`RUN`, `INSTALL`, `CHECK`, ...), or nil for tag-only families.
    public let shape: String?
    /// An action the template itself defines (`install`, `run`), which no app contract needs to
    /// list, and which a converted stage names.
    public let builtinAction: String?
    /// Every declared version, oldest first.
    public let versions: [TemplateVersion]
    public let migrations: [TemplateMigration]
    public let path: String

    /// A declared version.
    public func at(_ version: Int) -> TemplateVersion? { versions.first { $0.version == version } }

    /// The current version's args.
    public var args: [ArgSpec] { at(version)?.args ?? [] }

    /// The current version's render text.
    public var render: String? { at(version)?.render }

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

    /// The spec of a current template arg.
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
        r.rejectUnknownKeys(root, known: ["id", "version", "description", "shape", "builtin_action", "args", "render", "versions", "migrations"],
                            context: "a template file")
        let id = r.string(root, "id", required: true, span: whole)
        let version = r.positiveInteger(root, "version", required: true, span: whole)
        var versions: [TemplateVersion] = []
        if let node = root["versions"] {
            for key in ["render", "args"] where root[key] != nil {
                r.problem("'\(key)' belongs in each [[versions]] entry when the file has [[versions]]", root[key]!.span)
            }
            if let array = node.array, array.items.allSatisfy({ $0.table != nil }) {
                for item in array.items {
                    guard let t = item.table else { continue }
                    r.rejectUnknownKeys(t, known: ["version", "date", "upstream", "note", "render", "args"], context: "a template version")
                    guard let v = r.positiveInteger(t, "version", required: true, span: item.span) else { continue }
                    if versions.contains(where: { $0.version == v }) { r.problem("version \(v) is declared twice", t["version"]?.span ?? item.span); continue }
                    versions.append(readVersion(t, v, &r, span: item.span))
                }
                versions.sort { $0.version < $1.version }
                if let version {
                    let declared = versions.map(\.version)
                    if declared != Array(1...max(1, version)) {
                        r.problem("[[versions]] must declare every version from 1 to the current \(version), found \(declared.map(String.init).joined(separator: ", "))", node.span)
                    }
                }
            } else {
                r.problem("'versions' must be an array of tables ([[versions]])", node.span)
            }
        } else if let version {
            versions = [readVersion(root, version, &r, span: whole)]
        }
        let migrations = readMigrations(root, &r)
        if let version {
            for m in migrations where m.to > version {
                r.problem("migration v\(m.from) -> v\(m.to) goes past the current version \(version)", root["version"]!.span)
            }
            var seen = Set<Int>()
            for m in migrations where !seen.insert(m.from).inserted {
                r.problem("two migrations from version \(m.from)", root["migrations"]!.span)
            }
        }
        guard let id, let version else { return nil }
        return TemplateFamily(id: id, version: version, description: r.string(root, "description", span: whole),
                              shape: r.string(root, "shape", span: whole), builtinAction: r.string(root, "builtin_action", span: whole),
                              versions: versions, migrations: migrations, path: path)
    }

    /// One version's args and render text, from a `[[versions]]` entry or the file's top level.
    private static func readVersion(_ t: TOMLTable, _ version: Int, _ r: inout RuleFileReader, span: ByteSpan) -> TemplateVersion {
        let args = r.table(t, "args").map { r.args($0, context: "template args") } ?? []
        let render = r.string(t, "render", span: span)
        if let render, let renderNode = t["render"] {
            for problem in TemplateRenderer.validate(render) { r.problem("render text: \(problem)", renderNode.span) }
        }
        return TemplateVersion(version: version, date: r.string(t, "date", span: span), upstream: r.string(t, "upstream", span: span),
                               note: r.string(t, "note", span: span), args: args, render: render)
    }

    private static func readMigrations(_ root: TOMLTable, _ r: inout RuleFileReader) -> [TemplateMigration] {
        guard let node = root["migrations"] else { return [] }
        guard let array = node.array, array.items.allSatisfy({ $0.table != nil }) else {
            r.problem("'migrations' must be an array of tables ([[migrations]])", node.span)
            return []
        }
        var migrations: [TemplateMigration] = []
        for item in array.items {
            guard let m = item.table else { continue }
            r.rejectUnknownKeys(m, known: ["from", "to", "rename", "remove", "add", "change", "note"], context: "a migration")
            guard let from = r.positiveInteger(m, "from", required: true, span: item.span),
                  let to = r.positiveInteger(m, "to", required: true, span: item.span) else { continue }
            if to != from + 1, let toNode = m["to"] { r.problem("a migration goes from one version to the next: from \(from) to \(from + 1), not \(to)", toNode.span) }
            var rename: [(String, String)] = []
            for e in r.table(m, "rename")?.entries ?? [] {
                if let new = e.value.string { rename.append((e.key, new)) } else { r.problem("rename '\(e.key)' must name the new arg as a string", e.value.span) }
            }
            var change: [(String, String)] = []
            for e in r.table(m, "change")?.entries ?? [] {
                if let how = e.value.string { change.append((e.key, how)) } else { r.problem("change '\(e.key)' must say how the value changes, as a string", e.value.span) }
            }
            let add = (r.table(m, "add")?.entries ?? []).map { ($0.key, $0.value) }
            migrations.append(TemplateMigration(from: from, to: to, rename: rename, remove: r.strings(m, "remove") ?? [],
                                                add: add, change: change, note: r.string(m, "note", span: item.span)))
        }
        return migrations
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
