import LabcheckTOML

/// A generated snippet read as a template stage: which family and version it is, the fields and
/// args it becomes, and the render that reproduces it.
public struct SnippetMatch: Sendable {
    public let family: TemplateFamily
    public let version: Int
    /// Stage fields the conversion adds besides kind, template id and version (`app`, `action`).
    public let fields: [(String, RenderValue)]
    /// The stage's `[args]`: the version's own args as written (a `None` left out, since the
    /// render writes `None` for a nullable arg that is absent), then the app args in order.
    public let args: [(String, RenderValue)]
}

/// What recognising a stage's code found.
public enum SnippetRecognition: Sendable {
    /// Converts losslessly: the render of `match` at its version is the code.
    case template(SnippetMatch)
    /// Not a generated snippet, or not one that converts losslessly; why, and the 1-based code
    /// line that differs when there is one.
    case code(reason: String, line: Int?)

    /// Recognises `code` structurally: a generator's header markers must be present (so
    /// header-less code is never a snippet), then the code must have the shape of a version of a
    /// template family (its literal text byte for byte, its values read as literals), and the
    /// render of the values found must reproduce the code exactly (line endings compared as
    /// Python reads them). Nothing is evaluated.
    public static func recognize(_ code: String, rules: RuleSet, conventions: StageConventions) -> SnippetRecognition {
        let text = LineComparison.normalized(code)
        guard rules.snippetRecognizers.values.contains(where: { $0.marks(text) }) else {
            return .code(reason: "no generated-snippet header (only snippets that carry one are recognised)", line: nil)
        }
        // A missing final line ending is no difference to Python (nor to the lossless rule).
        let bytes = Array(text.utf8) + (text.hasSuffix("\n") || text.isEmpty ? [] : [0x0A])
        var closest: (family: TemplateFamily, version: Int, offset: Int)? = nil
        var refused: SnippetRecognition? = nil
        for family in rules.templates.values.sorted(by: { $0.id < $1.id }) {
            for version in family.versions.reversed() {
                guard let render = version.render else { continue }
                guard let values = TemplateMatcher.match(render: render, code: bytes) else {
                    let offset = TemplateMatcher.divergence(render: render, code: bytes)
                    if offset > (closest?.offset ?? -1) { closest = (family, version.version, offset) }
                    continue
                }
                switch plan(values, family: family, version: version, code: text, conventions: conventions) {
                case .template(let match): return .template(match)
                case let other: if refused == nil { refused = other }
                }
            }
        }
        if let refused { return refused }
        guard let closest else { return .code(reason: "a generated-snippet header, but no template family has a render text", line: nil) }
        let line = bytes[..<min(closest.offset, bytes.count)].count(where: { $0 == 0x0A }) + 1
        return .code(reason: "generated-snippet header present, but the code differs from \(closest.family.id) v\(closest.version) (the closest shape) at code line \(line)",
                     line: line)
    }

    /// The stage a structural match becomes, kept only if its render is the code.
    static func plan(_ values: [String: RenderValue], family: TemplateFamily, version: TemplateVersion, code: String,
                     conventions: StageConventions) -> SnippetRecognition {
        let what = "\(family.id) v\(version.version)"
        guard case .string(let app)? = values["app"] else { return .code(reason: "\(what) matched, but its app is not a string", line: nil) }
        var fields: [(String, RenderValue)] = [(conventions.appKey, .string(app))]
        if let action = family.builtinAction { fields.append((conventions.actionKey, .string(action))) }
        var args: [(String, RenderValue)] = []
        for spec in version.args {
            guard let value = values["args.\(spec.name)"] else { continue }
            if value == .null {
                guard spec.nullable else { return .code(reason: "\(what) matched, but arg '\(spec.name)' is None, which it does not allow", line: nil) }
                continue
            }
            args.append((spec.name, value))
        }
        if case .table(let appArgs)? = values["app_args"] { args += appArgs }
        for (name, value) in args where !value.isTOMLValue {
            return .code(reason: "\(what) matched, but arg '\(name)' holds None inside a list or table, which TOML cannot store", line: nil)
        }
        let context = StageRendering.context(fields: fields, args: args, version: version)
        guard let rendered = try? StageRendering.render(version, of: family, context: context) else {
            return .code(reason: "\(what) matched, but its render is incomplete with the values found", line: nil)
        }
        if let (line, _, _) = LineComparison.firstDifference(code, rendered) {
            return .code(reason: "\(what) matched, but rendering it writes code line \(line + 1) differently (a value is not written the way the generator writes it)",
                         line: line + 1)
        }
        return .template(SnippetMatch(family: family, version: version.version, fields: fields, args: args))
    }
}

extension RenderValue {
    /// Whether TOML can store the value: no `None` anywhere.
    var isTOMLValue: Bool {
        switch self {
        case .null: return false
        case .array(let items): return items.allSatisfy(\.isTOMLValue)
        case .table(let entries): return entries.allSatisfy { $0.1.isTOMLValue }
        default: return true
        }
    }

    /// The value as inline TOML (`"text"`, `[1, 2]`, `{ "a.b" = 1 }`); nil for `None`.
    public var toml: String? {
        switch self {
        case .string(let s): return TOMLLiteral.basicString(s)
        case .integer(let i): return String(i)
        case .float(let d): return d.isNaN ? "nan" : (d.isInfinite ? (d < 0 ? "-inf" : "inf") : "\(d)")
        case .bool(let b): return b ? "true" : "false"
        case .null: return nil
        case .array(let items):
            let parts = items.map(\.toml)
            guard parts.allSatisfy({ $0 != nil }) else { return nil }
            return "[" + parts.compactMap { $0 }.joined(separator: ", ") + "]"
        case .table(let entries):
            var parts: [String] = []
            for (k, v) in entries {
                guard let value = v.toml else { return nil }
                parts.append("\(TOMLLiteral.key(k)) = \(value)")
            }
            return parts.isEmpty ? "{}" : "{ " + parts.joined(separator: ", ") + " }"
        }
    }
}
