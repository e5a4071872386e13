/// A check over one parsed lab file. Each check lives in its own type with its catalogue entry.
public protocol LabFileCheck: Sendable {
    /// The catalogue entry of the diagnostics this check produces.
    static var info: CheckInfo { get }
    /// The diagnostics for one file.
    func check(_ file: LabFile, conventions: StageConventions) -> [Diagnostic]
}

extension LabFileCheck {
    func diagnostic(_ file: LabFile, _ message: String, _ span: ByteSpan, help: String? = nil, notes: [String] = []) -> Diagnostic {
        Diagnostic(id: Self.info.id, severity: Self.info.severity, message: message, file: file.path,
                   span: span, in: file.source, help: help, notes: notes)
    }
}

/// LC102: a stage's `kind` is neither `template` nor `raw_python`, and the stage looks
/// structured or the value is a near miss. Free-form labels on D/Q/M/C stages are kept.
public struct UnknownStageKindCheck: LabFileCheck {
    public static let info = Catalogue.info("LC102")!
    public init() {}

    public func check(_ file: LabFile, conventions: StageConventions) -> [Diagnostic] {
        file.stages.compactMap { stage in
            guard case .unknown(let kind) = stage.kind, let node = stage.table[conventions.kindKey] else { return nil }
            let known = [conventions.templateKind, conventions.rawPythonKind]
            var help = "a structured stage has kind \"\(conventions.templateKind)\" or \"\(conventions.rawPythonKind)\""
            if let s = NearestName.suggestion(for: kind, among: known) { help = "did you mean \"\(s)\"?" }
            let shown = node.string == nil ? "a \(node.value.typeName)" : "\"\(kind)\""
            return diagnostic(file, "stage \(stage.displayName) has unknown kind \(shown)", node.span, help: help)
        }
    }
}

/// LC103: a structured stage lacks a field its kind requires, or has both or neither of a
/// pair that must have exactly one (`action`/`task`).
public struct MissingRequiredFieldCheck: LabFileCheck {
    public static let info = Catalogue.info("LC103")!
    public init() {}

    public func check(_ file: LabFile, conventions: StageConventions) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for stage in file.stages {
            let kindName: String
            switch stage.kind {
            case .template: kindName = conventions.templateKind
            case .rawPython: kindName = conventions.rawPythonKind
            default: continue
            }
            let kindSpan = stage.table[conventions.kindKey]?.span ?? stage.span
            for field in conventions.requiredFields[kindName] ?? [] where stage.table[field] == nil {
                out.append(diagnostic(file, "\(kindName) stage \(stage.displayName) is missing required field '\(field)'",
                                      kindSpan, help: "add `\(field) = ...` to the stage"))
            }
            for group in conventions.exactlyOneOf[kindName] ?? [] {
                let present = group.filter { stage.table[$0] != nil }
                let alternatives = group.map { "'\($0)'" }.joined(separator: " or ")
                if present.isEmpty {
                    out.append(diagnostic(file, "\(kindName) stage \(stage.displayName) needs exactly one of \(alternatives), found none",
                                          kindSpan, help: "add one of them"))
                } else if present.count > 1 {
                    let second = stage.table.entry(present[1])!
                    out.append(diagnostic(file, "\(kindName) stage \(stage.displayName) has both \(present.map { "'\($0)'" }.joined(separator: " and ")); exactly one of \(alternatives) is allowed",
                                          second.keySpan, help: "keep only the one the stage runs"))
                }
            }
        }
        return out
    }
}

/// The checks run on every lab file, in order. Adding a check is one line here.
public enum LabChecks {
    public static let all: [any LabFileCheck] = [
        UnknownStageKindCheck(),
        MissingRequiredFieldCheck(),
    ]
}
