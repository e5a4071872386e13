import LabcheckTOML

/// The header of a generator's snippets, read from `rules/snippets/<id>.toml`: the marker lines
/// every snippet it writes carries. A stage's code is only ever recognised as generated when
/// one recogniser's markers are all present; the template families then decide its shape. The
/// engine hard-codes none of it (AGILab's generators are bundled as data).
public struct SnippetRecognizer: Sendable {
    public let id: String
    /// Lines that must all appear in the code, each as a whole line (surrounding blanks ignored).
    public let markers: [String]
    public let path: String

    /// Whether every marker stands as a line of `code`.
    public func marks(_ code: String) -> Bool {
        // Each marker must at least occur in the code: most code has none of them.
        guard markers.allSatisfy({ ByteSearch.contains($0, in: code) }) else { return false }
        let lines = Set(code.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map { String($0).trimmingSpaces })
        return markers.allSatisfy { lines.contains($0) }
    }

    /// The first marker's place in `code` (UTF-8 offsets), for pointing a diagnostic at it.
    public func firstMarkerRange(in code: String) -> Range<Int>? {
        guard let marker = markers.first, let r = code.utf8.firstRange(of: Array(marker.utf8)) else { return nil }
        let start = code.utf8.distance(from: code.utf8.startIndex, to: r.lowerBound)
        return start..<(start + marker.utf8.count)
    }
}

extension RuleSet {
    static func readSnippets(_ root: TOMLTable, _ r: inout RuleFileReader, path: String) -> SnippetRecognizer? {
        let whole = ByteSpan(0, 0)
        r.rejectUnknownKeys(root, known: ["id", "description", "markers"], context: "a snippets file")
        let id = r.string(root, "id", required: true, span: whole)
        let markers = r.strings(root, "markers") ?? []
        if root["markers"] == nil { r.problem("missing required key 'markers'", whole) }
        else if markers.isEmpty, let node = root["markers"] { r.problem("'markers' must name at least one line: without markers any code would be recognised", node.span) }
        guard let id, !markers.isEmpty else { return nil }
        return SnippetRecognizer(id: id, markers: markers, path: path)
    }

    static func readConventions(_ root: TOMLTable, _ r: inout RuleFileReader, path: String) -> StageConventions? {
        let whole = ByteSpan(0, 0)
        r.rejectUnknownKeys(root, known: ["id", "description", "meta_table", "meta_strict_key", "stage", "kinds", "schemas"], context: "a conventions file")
        let stage = r.table(root, "stage"), kinds = r.table(root, "kinds"), schemas = r.table(root, "schemas")
        for (key, table) in [("stage", stage), ("kinds", kinds), ("schemas", schemas)] where table == nil && root[key] == nil {
            r.problem("missing required table [\(key)]", whole)
        }
        let stageKeys = ["kind", "id", "code", "template_id", "template_version", "app", "action", "task", "args", "dependencies", "structured_markers", "content"]
        if let stage { r.rejectUnknownKeys(stage, known: stageKeys, context: "[stage]") }
        if let kinds { r.rejectUnknownKeys(kinds, known: ["template", "raw_python"], context: "[kinds]") }
        if let schemas { r.rejectUnknownKeys(schemas, known: ["template", "raw_python", "legacy", "meta"], context: "[schemas]") }
        func text(_ t: TOMLTable?, _ key: String, _ span: ByteSpan) -> String? { t.flatMap { r.string($0, key, required: true, span: span) } }
        func list(_ t: TOMLTable?, _ key: String, _ span: ByteSpan) -> [String]? {
            guard let t else { return nil }
            if t[key] == nil { r.problem("missing required key '\(key)'", span); return nil }
            return r.strings(t, key)
        }
        let s = stage.flatMap { _ in root["stage"]?.span } ?? whole
        let k = root["kinds"]?.span ?? whole, sc = root["schemas"]?.span ?? whole
        guard let id = r.string(root, "id", required: true, span: whole),
              let meta = r.string(root, "meta_table", required: true, span: whole),
              let strict = r.string(root, "meta_strict_key", required: true, span: whole),
              let kindKey = text(stage, "kind", s), let idKey = text(stage, "id", s), let code = text(stage, "code", s),
              let templateID = text(stage, "template_id", s), let templateVersion = text(stage, "template_version", s),
              let app = text(stage, "app", s), let action = text(stage, "action", s), let task = text(stage, "task", s),
              let args = text(stage, "args", s), let dependencies = list(stage, "dependencies", s),
              let markers = list(stage, "structured_markers", s), let content = list(stage, "content", s),
              let template = text(kinds, "template", k), let raw = text(kinds, "raw_python", k),
              let templateSchema = text(schemas, "template", sc), let rawSchema = text(schemas, "raw_python", sc),
              let legacySchema = text(schemas, "legacy", sc), let metaSchema = text(schemas, "meta", sc) else { return nil }
        return StageConventions(id: id, metaKey: meta, strictKey: strict, kindKey: kindKey, idKey: idKey, codeKey: code,
                                templateKind: template, rawPythonKind: raw, structuredMarkers: Set(markers),
                                templateSchema: templateSchema, rawPythonSchema: rawSchema, legacySchema: legacySchema, metaSchema: metaSchema,
                                dependencyKeys: dependencies, templateIDKey: templateID, templateVersionKey: templateVersion,
                                appKey: app, actionKey: action, taskKey: task, argsKey: args, contentKeys: content)
    }
}
