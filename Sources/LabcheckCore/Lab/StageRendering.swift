/// The Python view of a template stage: its family's render text filled from the stage.
public enum StageRendering {
    /// The values a render may use: every stage field by name; `args.<name>` for each of the
    /// template's own args (the stage's value, else the template's default, else `None` when the
    /// arg is nullable); and `app_args`, the stage args the template does not declare (the app
    /// action's args, in stage order).
    public static func context(for stage: LabStage, family: TemplateFamily, conventions: StageConventions) -> RenderValue {
        var fields: [(String, RenderValue)] = stage.table.entries.filter { $0.key != conventions.argsKey }.map { ($0.key, RenderValue($0.value)) }
        let stageArgs = stage.table[conventions.argsKey]?.table
        var args: [(String, RenderValue)] = []
        for spec in family.args {
            if let v = stageArgs?[spec.name] { args.append((spec.name, RenderValue(v))) }
            else if let d = spec.defaultValue { args.append((spec.name, RenderValue(d))) }
            else if spec.nullable { args.append((spec.name, .null)) }
        }
        let appArgs = (stageArgs?.entries ?? []).filter { family.arg($0.key) == nil }.map { ($0.key, RenderValue($0.value)) }
        fields.append(("args", .table(args)))
        fields.append(("app_args", .table(appArgs)))
        return .table(fields)
    }

    /// Renders a template stage with its family's current render text.
    public static func render(_ stage: LabStage, family: TemplateFamily, conventions: StageConventions) throws -> String {
        guard let text = family.render else {
            throw TemplateRenderer.RenderError(missing: [], problems: ["template '\(family.id)' has no render text (it is a tag-only family)"])
        }
        // The render text starts after the opening ''' line; a leading newline is not part of it.
        let body = text.hasPrefix("\n") ? String(text.dropFirst()) : text
        return try TemplateRenderer.render(body, context: context(for: stage, family: family, conventions: conventions))
    }
}
