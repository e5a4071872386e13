import LabcheckTOML

/// What `labcheck convert` does with one stage (DESIGN §2): a recognised generated snippet
/// becomes a template stage (keeping its code as the rendered view), any other legacy stage
/// without a `kind` becomes `raw_python`, and everything else is left as it is, with the reason.
public struct StageConversion: Sendable {
    public enum Outcome: Sendable {
        /// Converts losslessly to this template stage.
        case template(SnippetMatch)
        /// Stays code and gains `kind = "raw_python"`; why it is not a template stage, and the
        /// line of the lab file where its code differs from the closest template, if any.
        case rawPython(reason: String, fileLine: Int?)
        /// Not touched, and why.
        case leftAsIs(reason: String)
    }

    public let file: String
    public let module: String
    /// `module[id]` or `module[#n]`.
    public let stage: String
    public let id: String?
    public let outcome: Outcome
}

/// Plans the conversion of every stage of a lab file. Nothing is written.
public enum ConversionPlanner {
    public static func plan(_ file: LabFile, rules: RuleSet, conventions: StageConventions) -> [StageConversion] {
        file.stages.map { stage in
            StageConversion(file: file.path, module: stage.module, stage: stage.displayName, id: stage.id,
                            outcome: outcome(stage, in: file, rules: rules, conventions: conventions))
        }
    }

    static func outcome(_ stage: LabStage, in file: LabFile, rules: RuleSet, conventions: StageConventions) -> StageConversion.Outcome {
        switch stage.kind {
        case .template: return .leftAsIs(reason: "already a template stage (never touched)")
        case .rawPython: return .leftAsIs(reason: "already raw_python (never touched)")
        case .unknown(let kind): return .leftAsIs(reason: "unknown kind '\(kind)' (LC102): correct the kind first")
        case .legacy(let label):
            if let label { return .leftAsIs(reason: "kind = \(TOMLLiteral.basicString(label)) is a free-form label, kept as it is") }
        }
        if let tag = stage.table[conventions.templateIDKey]?.string {
            return .leftAsIs(reason: "tagged by AGILab with template_id \(TOMLLiteral.basicString(tag)) (its own template tagging), left as it is")
        }
        guard let codeNode = stage.table[conventions.codeKey], let code = codeNode.string else {
            return .leftAsIs(reason: "no code (\(conventions.codeKey)): nothing to convert")
        }
        switch SnippetRecognition.recognize(code, rules: rules, conventions: conventions) {
        case .template(let match):
            return .template(match)
        case .code(let reason, let line):
            var fileLine: Int? = nil
            if let line, let map = TOMLStringSourceMap(source: file.source, span: codeNode.span) {
                fileLine = file.source.position(of: map.sourceOffset(line: line, column: 1)).line
            }
            return .rawPython(reason: reason, fileLine: fileLine)
        }
    }

    /// The report as text: one line per stage, the planned fields under each template stage.
    public static func text(_ plans: [StageConversion]) -> String {
        var out = ""
        var counts = (template: 0, raw: 0, kept: 0)
        for p in plans {
            switch p.outcome {
            case .template(let m):
                counts.template += 1
                let stale = m.version < m.family.version ? ", stale: the registry is at v\(m.family.version)" : ""
                out += "\(p.file): \(p.stage) -> template \(m.family.id) v\(m.version) (\(m.family.shape ?? "?")\(stale))\n"
                out += "    " + m.fields.map { "\($0.0) = \($0.1.toml ?? "?")" }.joined(separator: ", ") + "\n"
                if !m.args.isEmpty { out += "    [args] " + m.args.map { "\(TOMLLiteral.key($0.0)) = \($0.1.toml ?? "?")" }.joined(separator: ", ") + "\n" }
            case .rawPython(let reason, let line):
                counts.raw += 1
                out += "\(p.file): \(p.stage) -> raw_python: \(reason)\(line.map { " (\(p.file):\($0))" } ?? "")\n"
            case .leftAsIs(let reason):
                counts.kept += 1
                out += "\(p.file): \(p.stage) left as is: \(reason)\n"
            }
        }
        return out + "labcheck convert: \(counts.template) to template, \(counts.raw) to raw_python, \(counts.kept) left as is (nothing written)\n"
    }

    /// The report as JSON (schema `labcheck.convert`, version 1; docs/json-output.md).
    public static func json(_ plans: [StageConversion], snapshot: String) -> String {
        func q(_ s: String) -> String { JSONText.quoted(s) }
        func value(_ v: RenderValue) -> String { TemplateRenderer.jsonInOrder(v) }
        let items = plans.map { p -> String in
            var fields = ["\"file\": \(q(p.file))", "\"module\": \(q(p.module))", "\"stage\": \(q(p.stage))", "\"id\": \(p.id.map(q) ?? "null")"]
            switch p.outcome {
            case .template(let m):
                fields += ["\"outcome\": \"template\"", "\"template_id\": \(q(m.family.id))", "\"template_version\": \(m.version)",
                           "\"current_version\": \(m.family.version)", "\"shape\": \(m.family.shape.map(q) ?? "null")",
                           "\"fields\": {" + m.fields.map { "\(q($0.0)): \(value($0.1))" }.joined(separator: ", ") + "}",
                           "\"args\": {" + m.args.map { "\(q($0.0)): \(value($0.1))" }.joined(separator: ", ") + "}"]
            case .rawPython(let reason, let line):
                fields += ["\"outcome\": \"raw_python\"", "\"reason\": \(q(reason))", "\"line\": \(line.map(String.init) ?? "null")"]
            case .leftAsIs(let reason):
                fields += ["\"outcome\": \"left_as_is\"", "\"reason\": \(q(reason))"]
            }
            return "    {" + fields.joined(separator: ", ") + "}"
        }
        return "{\n  \"schema\": \"labcheck.convert\",\n  \"version\": 1,\n  \"snapshot\": \(q(snapshot)),\n  \"stages\": [\n"
            + items.joined(separator: ",\n") + "\n  ]\n}"
    }
}
