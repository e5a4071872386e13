import LabcheckTOML

/// The refresh of one stale template stage: its declared migrations applied, `template_version`
/// set to current, a kept `C` re-rendered, as byte-range edits of its own text only.
public struct StageRefresh: Sendable {
    public let stage: String
    public let module: String
    /// 0-based position in its module (the stage's identity when it has no id).
    public let index: Int
    public let templateID: String
    public let from: Int
    public let to: Int
    public let edits: [TOMLEdit]
    /// The stage's args after the migrations, and its re-rendered code if it keeps one.
    public let args: [(String, RenderValue)]
    public let code: String?
    /// The byte range of the stage's own text in the file the plan was made on (a stage a user
    /// edited elsewhere is recognised by comparing these bytes).
    public let region: ByteSpan

    /// `lab.toml: module[id] v1 -> v5`, the commit message line.
    public func line(file: String) -> String { "\(file): \(stage) v\(from) -> v\(to)" }
}

/// Why a stale stage is not refreshed.
public struct RefreshRefusal: Sendable {
    public let stage: String
    public let reason: String

    public init(stage: String, reason: String) {
        self.stage = stage
        self.reason = reason
    }
}

/// The refresh of one lab file: the stages refreshed, those that cannot be, and the new bytes.
public struct FileRefresh: Sendable {
    public let path: String
    public let refreshes: [StageRefresh]
    public let refusals: [RefreshRefusal]
    /// The file with every refresh applied and verified; nil when nothing is refreshed.
    public let bytes: [UInt8]?
}

/// Plans refreshes as format-preserving edits (`TOMLEdit`): only the bytes of an edited stage
/// change — the version value, renamed and removed arg entries, added arg lines, the `C`
/// value — and new lines use the file's own line ending. The result is parsed again and
/// checked to hold exactly the planned values; anything the planner cannot edit with certainty
/// is a refusal, never a guess.
public enum RefreshPlanner {
    /// Plans every stale template stage of `file` (all of them, or those `only` names).
    public static func plan(_ file: LabFile, rules: RuleSet, conventions c: StageConventions, only: Set<String>? = nil) -> FileRefresh {
        var refreshes: [StageRefresh] = []
        var refusals: [RefreshRefusal] = []
        for stage in file.stages where stage.kind.isTemplate {
            guard let id = stage.table[c.templateIDKey]?.string, let family = rules.templates[id],
                  let saved = StageClassifier.savedVersion(stage.table[c.templateVersionKey]), saved < family.version else { continue }
            if let only, !only.contains(stage.displayName) { continue }
            switch planStage(stage, in: file, family: family, saved: saved, conventions: c) {
            case .success(let r): refreshes.append(r)
            case .failure(let refusal): refusals.append(RefreshRefusal(stage: stage.displayName, reason: refusal.description))
            }
        }
        guard !refreshes.isEmpty else { return FileRefresh(path: file.path, refreshes: [], refusals: refusals, bytes: nil) }
        do {
            let edited = try file.document.applying(refreshes.flatMap(\.edits))
            if let problem = verify(edited, refreshes, conventions: c) {
                return FileRefresh(path: file.path, refreshes: [], refusals: refusals + refreshes.map { RefreshRefusal(stage: $0.stage, reason: problem) }, bytes: nil)
            }
            return FileRefresh(path: file.path, refreshes: refreshes, refusals: refusals, bytes: edited.source.bytes)
        } catch {
            return FileRefresh(path: file.path, refreshes: [], refusals: refusals + refreshes.map { RefreshRefusal(stage: $0.stage, reason: "the edit is not valid: \(error)") }, bytes: nil)
        }
    }

    static func planStage(_ stage: LabStage, in file: LabFile, family: TemplateFamily, saved: Int,
                          conventions c: StageConventions) -> Result<StageRefresh, MigrationRefusal> {
        let t = stage.table
        let editor = StageEditor(file: file, stage: stage, conventions: c)
        guard let versionNode = t[c.templateVersionKey] else { return .failure(MigrationRefusal(description: "no template_version")) }
        var edits: [TOMLEdit] = [.replace(versionNode.span, with: String(family.version))]
        let argsTable = t[c.argsKey]?.table
        let before = (argsTable?.entries ?? []).map { ($0.key, RenderValue($0.value)) }
        let migrated: [(String, RenderValue)]
        switch family.migrate(before, from: saved) {
        case .success(let m): migrated = m
        case .failure(let refusal): return .failure(refusal)
        }
        guard let steps = family.migrationPath(from: saved) else { return .failure(MigrationRefusal(description: "no migration path")) }
        // Renames and removals edit the entries in place; additions are new lines.
        var renamed: [String: String] = [:]
        var removed = Set<String>()
        for step in steps {
            for (old, new) in step.rename {
                let source = renamed.first { $0.value == old }?.key ?? old
                renamed[source] = new
            }
            for name in step.remove { if let k = renamed.first(where: { $0.value == name })?.key { renamed[k] = nil; removed.insert(k) } else { removed.insert(name) } }
        }
        var added: [(String, RenderValue)] = []
        for (name, value) in migrated where !before.contains(where: { $0.0 == name }) && !renamed.values.contains(name) { added.append((name, value)) }
        for entry in argsTable?.entries ?? [] {
            if removed.contains(entry.key) {
                guard let edit = editor.deleteEntry(entry, in: argsTable) else {
                    return .failure(MigrationRefusal(description: "cannot remove arg '\(entry.key)' without touching other text"))
                }
                edits.append(edit)
            } else if let new = renamed[entry.key], new != entry.key {
                if argsTable?[new] != nil { return .failure(MigrationRefusal(description: "args has both '\(entry.key)' and '\(new)'")) }
                edits.append(.replace(entry.keySpan, with: TOMLLiteral.key(new)))
            }
        }
        if !added.isEmpty {
            guard let edit = editor.insertArgs(added, into: argsTable) else {
                return .failure(MigrationRefusal(description: "cannot add args \(added.map(\.0).joined(separator: ", ")) without touching other text"))
            }
            edits.append(edit)
        }
        // A kept code is the rendered view: re-render it at the current version.
        var code: String? = nil
        if let codeNode = t[c.codeKey], case .string(_, let style) = codeNode.value {
            guard let version = family.at(family.version), version.render != nil else {
                return .failure(MigrationRefusal(description: "the stage keeps code, but \(family.id) v\(family.version) has no render text"))
            }
            let fields = t.entries.filter { $0.key != c.argsKey && $0.key != c.templateVersionKey }.map { ($0.key, RenderValue($0.value)) }
                + [(c.templateVersionKey, .integer(Int64(family.version)))]
            guard let rendered = try? StageRendering.render(version, of: family, context: StageRendering.context(fields: fields, args: migrated, version: version)) else {
                return .failure(MigrationRefusal(description: "the render of \(family.id) v\(family.version) is incomplete for this stage"))
            }
            code = rendered
            edits.append(.replace(codeNode.span, with: editor.stringLiteral(rendered, like: style)))
        }
        return .success(StageRefresh(stage: stage.displayName, module: stage.module, index: stage.index, templateID: family.id, from: saved,
                                     to: family.version, edits: edits, args: migrated, code: code, region: editor.region))
    }

    /// Nil when the edited document holds exactly what was planned, else what differs.
    static func verify(_ doc: TOMLDocument, _ refreshes: [StageRefresh], conventions c: StageConventions) -> String? {
        guard case .success(let lab) = LabFileReader.read(path: "edited", bytes: doc.source.bytes, conventions: c) else {
            return "the edited file is not a valid lab file"
        }
        for r in refreshes {
            guard let stage = lab.stages.first(where: { $0.module == r.module && $0.index == r.index }) else { return "the stage is gone after the edit" }
            guard stage.table[c.templateVersionKey]?.integer == Int64(r.to) else { return "template_version is not v\(r.to) after the edit" }
            let args = (stage.table[c.argsKey]?.table?.entries ?? []).map { ($0.key, RenderValue($0.value)) }
            guard args.count == r.args.count, r.args.allSatisfy({ want in args.contains { $0.0 == want.0 && $0.1 == want.1 } }) else {
                return "the args after the edit are not the planned ones"
            }
            if let code = r.code {
                guard let stored = stage.table[c.codeKey]?.string, LineComparison.firstDifference(stored, code) == nil else { return "the code after the edit is not the render" }
            }
        }
        return nil
    }
}

/// Byte-level knowledge of one stage's text: where its lines start and end, its line ending.
struct StageEditor {
    let file: LabFile
    let stage: LabStage
    let conventions: StageConventions
    var bytes: [UInt8] { file.source.bytes }

    /// The file's line ending: CRLF when its first line ends so.
    var eol: String {
        guard let lf = bytes.firstIndex(of: 0x0A) else { return "\n" }
        return lf > 0 && bytes[lf - 1] == 0x0D ? "\r\n" : "\n"
    }

    /// The stage's own text (`LabStage.region`).
    var region: ByteSpan { stage.region(in: file.source.bytes) }

    func lineStart(_ offset: Int) -> Int {
        var i = offset
        while i > 0 && bytes[i - 1] != 0x0A { i -= 1 }
        return i
    }

    /// The offset after the line ending of the line holding `offset` (the file's end if none).
    func lineEnd(_ offset: Int) -> Int {
        var i = offset
        while i < bytes.count && bytes[i] != 0x0A { i += 1 }
        return min(i + 1, bytes.count)
    }

    /// After the value: only blanks and a comment before the line ends.
    func restOfLineIsTrivia(_ offset: Int) -> Bool {
        var i = offset
        while i < bytes.count && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
        return i >= bytes.count || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == UInt8(ascii: "#")
    }

    /// The edit deleting an args entry: its whole line(s) in a header table or as a dotted
    /// key, its `k = v` and one separating comma in an inline table.
    func deleteEntry(_ entry: TOMLEntry, in table: TOMLTable?) -> TOMLEdit? {
        guard let table else { return nil }
        if table.origin == .inline {
            guard let k = table.entries.firstIndex(where: { $0.key == entry.key }) else { return nil }
            if k + 1 < table.entries.count { return .delete(ByteSpan(entry.keySpan.start, table.entries[k + 1].keySpan.start)) }
            if k > 0 { return .delete(ByteSpan(table.entries[k - 1].value.span.end, entry.value.span.end)) }
            return .delete(ByteSpan(entry.keySpan.start, entry.value.span.end))
        }
        let start = lineStart(entry.keySpan.start)
        let prefix = String(decoding: bytes[start..<entry.keySpan.start], as: UTF8.self).trimmingSpaces
        guard prefix.isEmpty || prefix == TOMLLiteral.key(conventions.argsKey) + "." else { return nil }
        guard restOfLineIsTrivia(entry.value.span.end) else { return nil }
        return .delete(ByteSpan(start, lineEnd(entry.value.span.end)))
    }

    /// The edit inserting `args` (each `name = value`): new lines at the end of a header args
    /// table or after the stage's dotted args, entries before an inline table's `}`, or a new
    /// `[module.args]` table after the stage's own lines.
    func insertArgs(_ args: [(String, RenderValue)], into table: TOMLTable?) -> TOMLEdit? {
        var pairs: [String] = []
        for (name, value) in args {
            guard let text = value.toml else { return nil }
            pairs.append("\(TOMLLiteral.key(name)) = \(text)")
        }
        if let table {
            switch table.origin {
            case .inline:
                guard let close = closingBrace(before: table.entries.last?.value.span.end ?? 0, in: stage.table[conventions.argsKey]?.span) else { return nil }
                return .insert((table.entries.isEmpty ? " " : ", ") + pairs.joined(separator: ", ") + (table.entries.isEmpty ? " " : ""), at: close)
            case .header:
                let after = table.entries.map { $0.value.span.end }.max() ?? table.headerSpan?.end
                guard let after, restOfLineIsTrivia(after) else { return nil }
                return .insert(lineBreakIfNeeded(lineEnd(after)) + pairs.map { $0 + eol }.joined(), at: lineEnd(after))
            case .dotted:
                guard let last = table.entries.map({ $0.value.span.end }).max(), restOfLineIsTrivia(last) else { return nil }
                let prefix = TOMLLiteral.key(conventions.argsKey) + "."
                return .insert(lineBreakIfNeeded(lineEnd(last)) + pairs.map { prefix + $0 + eol }.joined(), at: lineEnd(last))
            default:
                return nil
            }
        }
        if stage.table.origin == .inline {
            guard let close = closingBrace(before: stage.table.entries.last?.value.span.end ?? stage.span.start, in: stage.span) else { return nil }
            return .insert(", \(TOMLLiteral.key(conventions.argsKey)) = { " + pairs.joined(separator: ", ") + " }", at: close)
        }
        // A header stage: a new sub-table right after the stage's own key/value lines.
        let direct = stage.table.entries.filter { entry in entry.value.table.map { $0.origin == .inline || $0.origin == .dotted } ?? true }
        let after = direct.map { $0.value.span.end }.max() ?? stage.span.end
        guard restOfLineIsTrivia(after) else { return nil }
        let header = "[" + TOMLLiteral.key(stage.module) + "." + TOMLLiteral.key(conventions.argsKey) + "]" + eol
        return .insert(lineBreakIfNeeded(lineEnd(after)) + header + pairs.map { $0 + eol }.joined(), at: lineEnd(after))
    }

    /// The edit inserting `key = value` fields: lines right after a header stage's header, or
    /// entries right after an inline stage's `{`.
    func insertFields(_ pairs: [(String, String)]) -> TOMLEdit? {
        let text = pairs.map { "\(TOMLLiteral.key($0.0)) = \($0.1)" }
        if stage.table.origin == .inline {
            guard stage.span.start < bytes.count, bytes[stage.span.start] == UInt8(ascii: "{") else { return nil }
            return .insert(" " + text.joined(separator: ", ") + (stage.table.entries.isEmpty ? " " : ","), at: stage.span.start + 1)
        }
        guard restOfLineIsTrivia(stage.span.end) else { return nil }
        let at = lineEnd(stage.span.end)
        return .insert(lineBreakIfNeeded(at) + text.map { $0 + eol }.joined(), at: at)
    }

    /// A line ending to put first when inserting at the end of a file without a final one.
    private func lineBreakIfNeeded(_ offset: Int) -> String {
        offset == bytes.count && offset > 0 && bytes[offset - 1] != 0x0A ? eol : ""
    }

    /// The offset of the `}` closing an inline table whose last content ends at `after`.
    private func closingBrace(before after: Int, in span: ByteSpan?) -> Int? {
        guard let span, span.end >= 1, bytes[span.end - 1] == UInt8(ascii: "}") else { return nil }
        var i = span.end - 1
        while i > after && (bytes[i - 1] == 0x20 || bytes[i - 1] == 0x09) { i -= 1 }
        return i
    }

    /// `text` as a TOML string in the style the old value used, with the file's line ending.
    func stringLiteral(_ text: String, like style: TOMLStringStyle) -> String {
        if style == .multilineLiteral || style == .multilineBasic, let literal = TOMLLiteral.multilineLiteral(text) {
            return eol == "\n" ? literal : literal.replacingOccurrences(of: "\n", with: "\r\n")
        }
        return TOMLLiteral.basicString(text)
    }
}
