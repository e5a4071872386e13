/// Every check labcheck has, one line each. Adding a check is one file (its type, with its
/// descriptions, examples and logic) and one line here; the catalogue, `labcheck explain` and
/// the README's table follow, and the examples test runs its examples.
public enum CheckRegistry {
    /// The registered checks. Lab-file checks run in this order.
    public static let checks: [any Check.Type] = [
        LabcheckConfigCheck.self,
        RulesFileCheck.self,
        SyntaxErrorCheck.self,
        StageLayoutCheck.self,
        StageContentCheck.self,
        UnknownStageKindCheck.self,
        StageSchemaCheck.self,
        StageDependencyCheck.self,
        TemplateVersionCheck.self,
        StoredCodeCheck.self,
        AppContractCheck.self,
        TemplateChangeCheck.self,
        GeneratedSnippetCheck.self,
        ConfigFileCheck.self,
        ImportContractCheck.self,
        SuppressionCheck.self,
    ]

    /// The lab-file checks, instantiated once.
    public static let labFileChecks: [any LabFileCheck] = checks.compactMap { ($0 as? any LabFileCheck.Type)?.init() }

    /// The ids of the checks that compare a file with its diff-base version: a run without a
    /// base reports none of them, so a run's record without a base drops exactly these.
    public static let baseComparingIDs: Set<String> = Set(TemplateChangeCheck.descriptions.map(\.id))

    /// Every description, in id order (the catalogue).
    public static let descriptions: [CheckDescription] = checks.flatMap { $0.descriptions }.sorted { $0.id < $1.id }

    private static let byID: [String: CheckDescription] = Dictionary(descriptions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })

    /// The description of an id (case-insensitive), if registered.
    public static func description(of id: String) -> CheckDescription? { byID[id.uppercased()] }

    /// The default severity of a registered id. Every id a check reports is registered (the
    /// examples test fails otherwise); an unregistered one would be reported as an error.
    public static func severity(of id: String) -> Severity { byID[id]?.severity ?? .error }

    /// `labcheck explain` with no id: one line per check.
    public static var listing: String {
        descriptions.map { d in "\(d.id)  \(pad(d.slug, 34))\(pad(d.severity.rawValue, 8))\(d.summary)\n" }.joined()
    }

    /// The README's check table (Markdown), which a test keeps equal to the registry.
    public static var markdownTable: String {
        "| id | name | severity | what is reported |\n|---|---|---|---|\n"
            + descriptions.map { "| \($0.id) | `\($0.slug)` | \($0.severity.rawValue) | \($0.summary) |\n" }.joined()
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
