/// The registered lab-file checks, in order. Adding a check is one line here.
public enum LabChecks {
    public static let all: [any LabFileCheck] = [
        StageLayoutCheck(),
        UnknownStageKindCheck(),
        StageSchemaCheck(),
        StageDependencyCheck(),
        TemplateVersionCheck(),
        StoredCodeCheck(),
        AppContractCheck(),
        TemplateChangeCheck(),
        GeneratedSnippetCheck(),
    ]
}
