import LabcheckTOML

/// The value types rules files can declare for args and config keys.
public enum RuleValueType: String, Sendable, CaseIterable {
    case string, integer, float, boolean, array, table, datetime, any

    /// Whether a TOML value has this type. A float accepts an integer.
    public func accepts(_ value: TOMLValue) -> Bool { accepts(ConfigValueKind(value)) }

    /// Whether a generic config value kind has this type. A float accepts an integer.
    public func accepts(_ kind: ConfigValueKind) -> Bool {
        switch (self, kind) {
        case (.any, _): return true
        case (.string, .string), (.integer, .integer), (.float, .float), (.float, .integer),
             (.boolean, .boolean), (.datetime, .datetime), (.table, .table), (.array, .array): return true
        default: return false
        }
    }
}

/// The declared shape of one arg (of a template or an app action).
public struct ArgSpec: Sendable {
    public let name: String
    public let type: RuleValueType
    /// For arrays: the type of every item, if declared.
    public let items: RuleValueType?
    public let required: Bool
    /// The value a template gives the arg when a stage omits it (and migrations add).
    public let defaultValue: TOMLNode?
    /// Whether an absent value renders as Python `None` / JSON `null`.
    public let nullable: Bool
    public let description: String?
}
