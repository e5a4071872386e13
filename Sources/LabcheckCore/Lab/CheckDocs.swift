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

/// The import-boundary checks (DESIGN §4), documented ahead of their implementation.
public enum ImportBoundaryDocs {
    public static let all: [CheckDocumentation] = [
        CheckDocumentation(id: "LC300", what: "Reports a direct import from a contract's source module of a module the contract forbids.",
                           why: "A kernel package that imports an application package stops being reusable.",
                           example: "# pipelinekit/run.py\nimport image_project.impl", fix: "Move the code, invert the dependency, or add an `ignore` with a reason.",
                           implemented: false),
        CheckDocumentation(id: "LC301", what: "Reports a forbidden import reached through a chain of imports, printing every link with file:line.",
                           why: "An indirect dependency couples packages as surely as a direct one.",
                           example: "pipelinekit.run -> pipelinekit.util -> image_project.impl", fix: "Break one link of the chain.",
                           implemented: false),
        CheckDocumentation(id: "LC302", what: "Reports an import from a lower layer of a `layers` contract into a higher one.",
                           why: "Layers only stay layers if lower ones never reach up.",
                           example: "# image_project/foundation/db.py\nfrom image_project.framework import app", fix: "Move the code down, or pass the dependency in.",
                           implemented: false),
        CheckDocumentation(id: "LC303", what: "Reports an import between modules an `independence` contract keeps apart.",
                           why: "Independent apps must be deployable and testable alone.",
                           example: "# apps/alpha/x.py\nimport apps.beta", fix: "Share through a common lower module instead.",
                           implemented: false),
        CheckDocumentation(id: "LC304", what: "Warns about a relative import that climbs above its top-level package.",
                           why: "Such an import fails at run time or resolves to an unrelated module.",
                           example: "# pkg/a.py\nfrom ... import x", fix: "Use an absolute import.",
                           implemented: false),
    ]
}
