import Yams
import LabcheckTOML

/// LC200 and LC201: a registered config file (TOML or YAML) against its key schema.
public enum ConfigFileCheck: Check {
    public static let descriptions = [
        CheckDescription(
            id: "LC200", slug: "unknown-config-key", severity: .warning,
            summary: "unknown key in a registered config file (error in strict mode)",
            what: "Reports a key in a config file registered in `.labcheck.toml` (`[[configs]] files = [...] schema = \"...\"`) that its schema does not know, with the full dotted path and the nearest known key. Subtrees the schema marks free-form (`prompt.stage_configs`, `prompt.extensions.*`) accept any key. A warning normally; an error in strict mode (also turned on by `strict = true` at the top of the config file).",
            why: "Config loaders ignore keys they do not know: `prompt.stage_config` instead of `prompt.stage_configs` silently drops every stage's configuration.",
            example: "[prompt.stage_config]     # did you mean 'prompt.stage_configs'?\nload = { retries = 2 }",
            fix: "Correct the key, or add it to the schema (a repository rules directory's `schemas/<id>.toml`).",
            triggering: [CheckExample(files: [".labcheck.toml": "[[configs]]\nfiles = ['configs/*.toml']\nschema = 'run_config'\n",
                                              "configs/run.toml": "strict = true\n[prompt.↓stage_config]\nload = 1\n"])],
            nonTriggering: [CheckExample(files: [".labcheck.toml": "[[configs]]\nfiles = ['configs/*.toml']\nschema = 'run_config'\n",
                                                 "configs/run.toml": "strict = true\n[prompt.stage_configs.load]\nanything = 1\n[prompt.extensions.x]\ny = 2\n"])]
        ),
        CheckDescription(
            id: "LC201", slug: "invalid-config-type", severity: .error,
            summary: "wrong type in a registered config file, or the file does not parse",
            what: "Reports a value of the wrong type in a registered config file (for example a string where the schema declares an integer), and a registered config file that does not parse.",
            why: "A wrong type is coerced or rejected only when the run starts, far from the edit.",
            example: "[run]\nmode = \"fast\"     # declared integer",
            fix: "Give the value the type the schema declares.",
            triggering: [CheckExample(files: [".labcheck.toml": "[[configs]]\nfiles = ['configs/*.yaml']\nschema = 'run_config'\n",
                                              "configs/run.yaml": "run:\n  mode: ↓fast\n"])],
            nonTriggering: [CheckExample(files: [".labcheck.toml": "[[configs]]\nfiles = ['configs/*.yaml']\nschema = 'run_config'\n",
                                                 "configs/run.yaml": "run:\n  mode: 2\n"])]
        ),
    ]

    /// The diagnostics for one registered config file.
    public static func check(path: String, bytes: [UInt8], schema: KeySchema, strict strictMode: StrictMode,
                             log: inout [String]) -> [Diagnostic] {
        let source = SourceText(bytes)
        let tree: ConfigNode
        let fileStrict: Bool
        do {
            (tree, fileStrict) = try parse(path: path, source: source)
        } catch let error as ConfigParseError {
            return [Diagnostic(id: "LC201", severity: .error, message: "\(path) is not valid \(error.format): \(error.message)", file: path,
                               start: error.position, end: error.position, source: source,
                               help: "a registered config file must parse before its keys can be checked")]
        } catch {
            // Never a silent pass: a file that cannot be read is reported like a parse error.
            return [Diagnostic(id: "LC201", severity: .error, message: "\(path) cannot be read as a config file: \(error)", file: path,
                               start: SourcePosition(line: 1, column: 1), end: SourcePosition(line: 1, column: 1),
                               help: "a registered config file must parse before its keys can be checked")]
        }
        let (strict, why) = strictMode.forFile(declares: fileStrict, declaration: "strict = true at the top of \(path)")
        if strict && !strictMode.run.on { log.append("strict mode: on for \(path) (\(why))") }
        var out: [Diagnostic] = []
        for finding in schema.check(tree) {
            switch finding {
            case .unknown(let dotted, let entry, let suggestion):
                let parent = dotted.split(separator: ".").dropLast().joined(separator: ".")
                let help = suggestion.map { "did you mean '\(parent.isEmpty ? "" : parent + ".")\($0)'?" } ?? "schema '\(schema.id)' (\(schema.path)) has no such key"
                out.append(Diagnostic(id: "LC200", severity: strict ? .error : .warning, message: "unknown key '\(dotted)' in \(path) (schema \(schema.id))",
                                      file: path, start: entry.keyStart, end: entry.keyEnd, source: source, help: help))
            case .wrongType(let dotted, let expected, let found, let node):
                out.append(Diagnostic(id: "LC201", severity: .error, message: "'\(dotted)' must be \(expected.rawValue), found \(found.rawValue)",
                                      file: path, start: node.start, end: node.end, source: source,
                                      help: "declared in \(schema.path)"))
            case .missing(let dotted):
                out.append(Diagnostic(id: "LC201", severity: .error, message: "\(path) is missing required key '\(dotted)'", file: path,
                                      start: SourcePosition(line: 1, column: 1), end: SourcePosition(line: 1, column: 1),
                                      sourceLine: nil, help: "declared required in \(schema.path)"))
            case .notExactlyOne(let group, _):
                out.append(Diagnostic(id: "LC201", severity: .error, message: "\(path) needs exactly one of \(group.joined(separator: ", "))", file: path,
                                      start: SourcePosition(line: 1, column: 1), end: SourcePosition(line: 1, column: 1)))
            }
        }
        return out
    }

    struct ConfigParseError: Error {
        let format: String
        let message: String
        let position: SourcePosition
    }

    /// Parses a TOML (`.toml`) or YAML (anything else) config file into a tree with positions,
    /// and whether it says `strict = true` at its top level.
    static func parse(path: String, source: SourceText) throws -> (ConfigNode, Bool) {
        if path.hasSuffix(".toml") {
            do {
                let doc = try TOMLParser.parse(source)
                return (ConfigNode.from(doc.root, span: ByteSpan(0, source.bytes.count), source: source), doc.root["strict"]?.bool == true)
            } catch let e as TOMLSyntaxError {
                throw ConfigParseError(format: "TOML", message: e.message, position: e.position)
            }
        }
        guard let text = String(validating: source.bytes, as: UTF8.self) else {
            throw ConfigParseError(format: "YAML", message: "the file is not valid UTF-8", position: SourcePosition(line: 1, column: 1))
        }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                return (ConfigNode(kind: .table, start: SourcePosition(line: 1, column: 1), end: SourcePosition(line: 1, column: 1)), false)
            }
            return (yamlTree(node), node["strict"]?.bool == true)
        } catch let e as YamlError {
            var position = SourcePosition(line: 1, column: 1)
            var message = "\(e)"
            switch e {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
                position = SourcePosition(line: mark.line, column: mark.column)
                message = problem
            default: break
            }
            throw ConfigParseError(format: "YAML", message: message, position: position)
        }
    }

    private static func position(_ mark: Mark?) -> SourcePosition {
        SourcePosition(line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private static func yamlTree(_ node: Node) -> ConfigNode {
        let start = position(node.mark)
        switch node {
        case .mapping(let mapping):
            var out = ConfigNode(kind: .table, start: start, end: start)
            for (key, value) in mapping {
                let keyText = key.string ?? "\(key)"
                let keyStart = position(key.mark)
                out.entries.append(ConfigEntry(key: keyText, keyStart: keyStart,
                                               keyEnd: SourcePosition(line: keyStart.line, column: keyStart.column + keyText.count),
                                               node: yamlTree(value)))
            }
            return out
        case .sequence(let sequence):
            var out = ConfigNode(kind: .array, start: start, end: start)
            out.items = sequence.map(yamlTree)
            return out
        case .scalar(let scalar):
            let kind: ConfigValueKind
            switch node.tag.rawValue {
            case Tag.Name.int.rawValue: kind = .integer
            case Tag.Name.float.rawValue: kind = .float
            case Tag.Name.bool.rawValue: kind = .boolean
            case Tag.Name.null.rawValue: kind = .null
            case Tag.Name.timestamp.rawValue: kind = .datetime
            default: kind = .string
            }
            return ConfigNode(kind: kind, start: start, end: SourcePosition(line: start.line, column: start.column + scalar.string.count))
        case .alias:
            return ConfigNode(kind: .string, start: start, end: start)
        }
    }
}
