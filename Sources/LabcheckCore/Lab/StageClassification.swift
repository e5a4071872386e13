import LabcheckTOML

/// The classes of DESIGN §2's table, shown by `labcheck status`.
public enum StageClass: String, Sendable, CaseIterable {
    case current, stale, ahead
    case unknownTemplate = "unknown-template"
    /// A template version that is missing or not a positive integer (LC113).
    case invalidVersion = "invalid-version"
    case rawPython = "raw_python"
    case legacyGenerated = "legacy-generated"
    case legacy
    /// A `kind` labcheck does not know (LC102).
    case unknownKind = "unknown-kind"
}

/// One row of `labcheck status`.
public struct StageStatus: Sendable {
    public let file: String
    public let module: String
    public let stage: String
    public let id: String?
    /// `template`, `raw_python`, `legacy`, or the unknown kind's text.
    public let kind: String
    public let stageClass: StageClass
    public let templateID: String?
    public let savedVersion: Int?
    public let currentVersion: Int?
    /// For `legacy-generated`: the shape recognised (`RUN`, `INSTALL`, `CHECK`, ...).
    public let generatedShape: String?
    /// For `legacy-generated`: the template stage it converts to, losslessly.
    public let conversion: SnippetMatch?
}

/// Classifies stages against the registry.
public enum StageClassifier {
    public static func status(_ stage: LabStage, in file: LabFile, rules: RuleSet, conventions: StageConventions) -> StageStatus {
        let t = stage.table
        let templateID = t[conventions.templateIDKey]?.string
        let current = templateID.flatMap { rules.templates[$0]?.version }
        let saved = savedVersion(t[conventions.templateVersionKey])
        let kind = kindName(stage.kind, conventions)
        var shape: String? = nil
        var conversion: SnippetMatch? = nil
        var stageClass = baseClass(stage.kind)
        let isTemplate = stage.kind.isTemplate
        if isTemplate || (templateID != nil && stageClass == .legacy) {
            stageClass = versionClass(saved: saved, current: current)
        } else if let match = generatedSnippet(stage, rules: rules, conventions: conventions) {
            (shape, conversion, stageClass) = (match.family.shape, match, .legacyGenerated)
        }
        return StageStatus(file: file.path, module: stage.module, stage: stage.displayName, id: stage.id, kind: kind,
                           stageClass: stageClass, templateID: templateID, savedVersion: saved, currentVersion: current,
                           generatedShape: shape, conversion: conversion)
    }

    /// The template a legacy stage's code converts to, when it is a generated snippet (the
    /// `legacy-generated` class): a legacy stage without a `template_id` whose code is
    /// recognised. Asks nothing else of the stage, for checks that want only this.
    public static func generatedSnippet(_ stage: LabStage, rules: RuleSet, conventions: StageConventions) -> SnippetMatch? {
        guard case .legacy = stage.kind, stage.table[conventions.templateIDKey]?.string == nil,
              let code = stage.table[conventions.codeKey]?.string,
              case .template(let match) = SnippetRecognition.recognize(code, rules: rules, conventions: conventions) else { return nil }
        return match
    }

    /// A saved `template_version` that is a positive integer.
    public static func savedVersion(_ node: TOMLNode?) -> Int? {
        guard let v = node?.integer, v >= 1 else { return nil }
        return Int(clamping: v)
    }

    static func kindName(_ kind: StageKind, _ conventions: StageConventions) -> String {
        switch kind {
        case .template: return conventions.templateKind
        case .rawPython: return conventions.rawPythonKind
        case .legacy: return "legacy"
        case .unknown(let k): return k
        }
    }

    static func baseClass(_ kind: StageKind) -> StageClass {
        switch kind {
        case .template: return .current
        case .rawPython: return .rawPython
        case .legacy: return .legacy
        case .unknown: return .unknownKind
        }
    }

    static func versionClass(saved: Int?, current: Int?) -> StageClass {
        guard let current else { return .unknownTemplate }
        guard let saved else { return .invalidVersion }
        if saved < current { return .stale }
        if saved > current { return .ahead }
        return .current
    }
}
