/// The documentation of every catalogue id, gathered from the checks that own it.
public enum CheckDocs {
    public static let all: [CheckDocumentation] = [
        LabcheckConfig.documentation,
        RuleSet.documentation,
        SyntaxErrorCheck.documentation,
        StageLayoutCheck.documentation,
        UnknownStageKindCheck.documentation,
        StageSchemaCheck.missingFieldDocumentation,
        StageSchemaCheck.unknownKeyDocumentation,
        StageDependencyCheck.documentation,
        TemplateVersionCheck.unknownTemplateDocumentation,
        TemplateVersionCheck.staleDocumentation,
        TemplateVersionCheck.aheadDocumentation,
        TemplateVersionCheck.invalidVersionDocumentation,
        StoredCodeCheck.documentation,
        AppContractCheck.unknownAppDocumentation,
        AppContractCheck.unknownArgDocumentation,
        AppContractCheck.invalidArgDocumentation,
        GeneratedSnippetCheck.documentation,
        TemplateChangeCheck.loweredDocumentation,
        TemplateChangeCheck.madeRawDocumentation,
        ConfigFileCheck.unknownKeyDocumentation,
        ConfigFileCheck.wrongTypeDocumentation,
    ] + ImportBoundaryDocs.all

    /// The documentation of an id.
    public static func documentation(_ id: String) -> CheckDocumentation? { all.first { $0.id == id.uppercased() } }

    /// `labcheck explain` text for an id.
    public static func explain(_ id: String) -> String? {
        guard let doc = documentation(id), let info = Catalogue.info(doc.id) else { return nil }
        var out = "\(info.id) \(info.name) (\(info.severity.rawValue)\(doc.implemented ? "" : "; not checked yet in this version"))\n\n"
        out += "What it checks\n  \(doc.what)\n\nWhy it matters\n  \(doc.why)\n\nExample\n"
        out += doc.example.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" }.joined(separator: "\n")
        out += "\n\nHow to fix\n  \(doc.fix)\n"
        return out
    }
}

