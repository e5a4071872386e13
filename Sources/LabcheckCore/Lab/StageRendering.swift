import LabcheckTOML

/// The Python view of a template stage: a version's render text filled from the stage.
public enum StageRendering {
    /// The values a render may use: every stage field by name; `args.<name>` for each of the
    /// version's own args (the stage's value, else the template's default, else `None` when the
    /// arg is nullable); and `app_args`, the stage args the version does not declare (the app
    /// action's args, in stage order).
    public static func context(fields: [(String, RenderValue)], args stageArgs: [(String, RenderValue)], version: TemplateVersion) -> RenderValue {
        var args: [(String, RenderValue)] = []
        for spec in version.args {
            if let v = stageArgs.first(where: { $0.0 == spec.name }) { args.append((spec.name, v.1)) }
            else if let d = spec.defaultValue { args.append((spec.name, RenderValue(d))) }
            else if spec.nullable { args.append((spec.name, .null)) }
        }
        let appArgs = stageArgs.filter { version.arg($0.0) == nil }
        return .table(fields + [("args", .table(args)), ("app_args", .table(appArgs))])
    }

    /// The context of a parsed stage.
    public static func context(for stage: LabStage, version: TemplateVersion, conventions: StageConventions) -> RenderValue {
        let fields = stage.table.entries.filter { $0.key != conventions.argsKey }.map { ($0.key, RenderValue($0.value)) }
        let args = (stage.table[conventions.argsKey]?.table?.entries ?? []).map { ($0.key, RenderValue($0.value)) }
        return context(fields: fields, args: args, version: version)
    }

    /// Renders a version's text with a context.
    public static func render(_ version: TemplateVersion, of family: TemplateFamily, context: RenderValue) throws -> String {
        guard let text = version.render else {
            throw TemplateRenderer.RenderError(missing: [], problems: ["template '\(family.id)' v\(version.version) has no render text (a tag-only family)"])
        }
        // The render text starts after the opening ''' line; a leading newline is not part of it.
        let body = text.hasPrefix("\n") ? String(text.dropFirst()) : text
        return try TemplateRenderer.render(body, context: context)
    }

    /// Renders a template stage at `version` (default: the version it is saved at).
    public static func render(_ stage: LabStage, family: TemplateFamily, version: Int? = nil, conventions: StageConventions) throws -> String {
        let wanted = version ?? StageClassifier.savedVersion(stage.table[conventions.templateVersionKey])
        guard let wanted, let declared = family.at(wanted) else {
            throw TemplateRenderer.RenderError(missing: [], problems: ["template '\(family.id)' has no version \(wanted.map(String.init) ?? "(none saved)")"])
        }
        return try render(declared, of: family, context: context(for: stage, version: declared, conventions: conventions))
    }
}

/// Where two texts first differ by line, with line endings compared as Python reads them (CRLF
/// and a lone CR are LF), and a final line ending ignored.
public enum LineComparison {
    /// Text with CRLF and lone CR turned into LF.
    public static func normalized(_ text: String) -> String {
        guard ByteSearch.contains(byte: 0x0D, in: text) else { return text }
        return text.replacingCRLF
    }

    /// The 0-based index of the first differing line and the two lines there (nil past the end),
    /// or nil when the texts are equal.
    public static func firstDifference(_ a: String, _ b: String) -> (line: Int, a: Substring?, b: Substring?)? {
        func lines(_ s: String) -> [Substring] {
            let l = normalized(s).split(separator: "\n", omittingEmptySubsequences: false)
            return l.last == "" ? Array(l.dropLast()) : l
        }
        let x = lines(a), y = lines(b)
        guard x != y else { return nil }
        var k = 0
        while k < x.count && k < y.count && x[k] == y[k] { k += 1 }
        return (k, k < x.count ? x[k] : nil, k < y.count ? y[k] : nil)
    }
}

extension String {
    /// CRLF and lone CR as LF.
    var replacingCRLF: String {
        var out = String.UnicodeScalarView()
        var previousCR = false
        for u in unicodeScalars {
            if u == "\r" { out.append("\n"); previousCR = true; continue }
            if u == "\n" && previousCR { previousCR = false; continue }
            previousCR = false
            out.append(u)
        }
        return String(out)
    }
}

/// Why a stage's args cannot be carried to the current version automatically.
public struct MigrationRefusal: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension TemplateFamily {
    /// `args` (a stage's, in order) carried from `version` to the current one through the
    /// declared migrations: renames keep the position, removals drop, additions append the
    /// declared value unless the stage already has one. A step that is not declared, or that
    /// changes the meaning of a value the stage sets (`change`), is refused: never guessed.
    public func migrate(_ args: [(String, RenderValue)], from version: Int) -> Result<[(String, RenderValue)], MigrationRefusal> {
        guard version <= self.version else { return .failure(MigrationRefusal(description: "v\(version) is newer than the registry's v\(self.version)")) }
        guard let steps = migrationPath(from: version) else {
            let missing = (version..<self.version).first { migration(from: $0) == nil } ?? version
            return .failure(MigrationRefusal(description: "no migration is declared from v\(missing) to v\(missing + 1)"))
        }
        var out = args
        for step in steps {
            for (name, how) in step.change where out.contains(where: { $0.0 == name }) {
                return .failure(MigrationRefusal(description: "v\(step.from) -> v\(step.to) changes the meaning of '\(name)' (\(how)), which the stage sets: update it by hand"))
            }
            for (old, new) in step.rename {
                if let k = out.firstIndex(where: { $0.0 == old }) { out[k].0 = new }
            }
            out.removeAll { step.remove.contains($0.0) }
            for (name, value) in step.add where !out.contains(where: { $0.0 == name }) { out.append((name, RenderValue(value))) }
        }
        return .success(out)
    }
}
