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
            let file = TerminalText.linePath(p.file)
            switch p.outcome {
            case .template(let m):
                counts.template += 1
                let stale = m.version < m.family.version ? ", stale: the registry is at v\(m.family.version)" : ""
                out += "\(file): \(p.stage) -> template \(m.family.id) v\(m.version) (\(m.family.shape ?? "?")\(stale))\n"
                out += "    " + m.fields.map { "\($0.0) = \($0.1.toml ?? "?")" }.joined(separator: ", ") + "\n"
                if !m.args.isEmpty { out += "    [args] " + m.args.map { "\(TOMLLiteral.key($0.0)) = \($0.1.toml ?? "?")" }.joined(separator: ", ") + "\n" }
            case .rawPython(let reason, let line):
                counts.raw += 1
                out += "\(file): \(p.stage) -> raw_python: \(reason)\(line.map { " (\(p.file):\($0))" } ?? "")\n"
            case .leftAsIs(let reason):
                counts.kept += 1
                out += "\(file): \(p.stage) left as is: \(reason)\n"
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

/// The conversion of one lab file as format-preserving edits: what changed, and the new bytes.
public struct FileConversion: Sendable {
    public let path: String
    /// `file: module[id] -> template F vN` / `-> raw_python`, one per converted stage.
    public let lines: [String]
    /// Stages whose conversion could not be written, and why.
    public let refusals: [RefreshRefusal]
    /// The regions (in the planned-on bytes) of the converted stages, by display name.
    public let regions: [String: ByteSpan]
    public let bytes: [UInt8]?
}

extension ConversionPlanner {
    /// Writes the plan into the file (DESIGN §2): a recognised snippet's stage gains
    /// `kind = "template"`, its template id, version and fields, and an `[args]` table, and keeps
    /// its code as the rendered view (`dropCode`: the code is removed); any other legacy stage
    /// without a `kind` gains `kind = "raw_python"`. New lines go right after the stage's header
    /// (or inside its inline table) in the file's line ending; nothing else changes. The result
    /// is parsed again, and each template stage must render exactly its kept code.
    public static func rewrite(_ file: LabFile, rules: RuleSet, conventions c: StageConventions, dropCode: Bool = false,
                               only: Set<String>? = nil) -> FileConversion {
        var edits: [TOMLEdit] = []
        var lines: [String] = []
        var refusals: [RefreshRefusal] = []
        var regions: [String: ByteSpan] = [:]
        var converted: [(LabStage, SnippetMatch?)] = []
        for (stage, plan) in zip(file.stages, plan(file, rules: rules, conventions: c)) {
            if let only, !only.contains(stage.displayName) { continue }
            let editor = StageEditor(file: file, stage: stage, conventions: c)
            var pairs: [(String, String)] = []
            var match: SnippetMatch? = nil
            switch plan.outcome {
            case .leftAsIs: continue
            case .rawPython:
                pairs = [(c.kindKey, TOMLLiteral.basicString(c.rawPythonKind))]
            case .template(let m):
                match = m
                pairs = [(c.kindKey, TOMLLiteral.basicString(c.templateKind)), (c.templateIDKey, TOMLLiteral.basicString(m.family.id)),
                         (c.templateVersionKey, String(m.version))]
                for (k, v) in m.fields { pairs.append((k, v.toml ?? "")) }
            }
            if let clash = pairs.map(\.0).first(where: { stage.table[$0] != nil }) ?? (match != nil && stage.table[c.argsKey] != nil ? c.argsKey : nil) {
                refusals.append(RefreshRefusal(stage: stage.displayName, reason: "it already has '\(clash)': convert it by hand"))
                continue
            }
            guard let insert = editor.insertFields(pairs) else {
                refusals.append(RefreshRefusal(stage: stage.displayName, reason: "its layout cannot take new fields without touching other text"))
                continue
            }
            var stageEdits = [insert]
            if let m = match, !m.args.isEmpty {
                guard let args = editor.insertArgs(m.args, into: nil) else {
                    refusals.append(RefreshRefusal(stage: stage.displayName, reason: "cannot add its [args] without touching other text"))
                    continue
                }
                stageEdits.append(args)
            }
            if dropCode, match != nil, let code = stage.table.entry(c.codeKey) {
                guard let delete = editor.deleteEntry(code, in: stage.table) else {
                    refusals.append(RefreshRefusal(stage: stage.displayName, reason: "cannot remove its code without touching other text"))
                    continue
                }
                stageEdits.append(delete)
            }
            edits += stageEdits
            regions[stage.displayName] = editor.region
            converted.append((stage, match))
            lines.append("\(file.path): \(stage.displayName) -> " + (match.map { "template \($0.family.id) v\($0.version)" } ?? c.rawPythonKind))
        }
        guard !edits.isEmpty else { return FileConversion(path: file.path, lines: [], refusals: refusals, regions: [:], bytes: nil) }
        do {
            let doc = try file.document.applying(edits)
            guard case .success(let lab) = LabFileReader.read(path: file.path, bytes: doc.source.bytes, conventions: c) else {
                throw MigrationRefusal(description: "the converted file is not a valid lab file")
            }
            for (old, match) in converted {
                guard let new = lab.stages.first(where: { $0.module == old.module && $0.index == old.index }) else { throw MigrationRefusal(description: "a stage is gone") }
                guard let match else { guard new.kind.isRawPython else { throw MigrationRefusal(description: "\(old.displayName) is not raw_python") }; continue }
                guard new.kind.isTemplate, let code = old.table[c.codeKey]?.string,
                      let rendered = try? StageRendering.render(new, family: match.family, conventions: c),
                      LineComparison.firstDifference(code, rendered) == nil else {
                    throw MigrationRefusal(description: "\(old.displayName) does not render its code after the conversion")
                }
            }
            return FileConversion(path: file.path, lines: lines, refusals: refusals, regions: regions, bytes: doc.source.bytes)
        } catch {
            return FileConversion(path: file.path, lines: [], refusals: refusals + [RefreshRefusal(stage: "(file)", reason: "\(error)")], regions: [:], bytes: nil)
        }
    }
}
