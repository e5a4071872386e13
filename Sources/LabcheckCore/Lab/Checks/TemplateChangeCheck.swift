/// LC150 and LC151: diff-aware checks comparing each stage with the same stage in the base
/// snapshot. A stage is the same stage when it has the same module and `id`; a stage without
/// an id is matched by module and position.
public struct TemplateChangeCheck: LabFileCheck {
    public static let descriptions = [
        CheckDescription(
            id: "LC150", slug: "template-version-lowered", severity: .error,
            summary: "template version lowered by this change",
            what: "Reports a template stage whose `template_version` this change lowers, compared with the same stage in the diff base (HEAD for staged checks, `--base` in CI).",
            why: "Lowering a version is almost always a bad merge or a copy from an old lab: it undoes a refresh and reintroduces drift.",
            example: "-template_version = 3\n+template_version = 2",
            fix: "Restore the higher version (and the content it implies), or explain the downgrade in a commit that also changes the registry.",
            triggering: [.lab("[[m]]\nD = 'x'\nid = 'a'\ntemplate_id = 'generic.execute'\ntemplate_version = ↓1\n",
                              base: "[[m]]\nD = 'x'\nid = 'a'\ntemplate_id = 'generic.execute'\ntemplate_version = 2\n")],
            nonTriggering: [.lab("[[m]]\nD = 'x'\nid = 'a'\ntemplate_id = 'generic.execute'\ntemplate_version = 1\n",
                                 base: "[[m]]\nD = 'x'\nid = 'a'\ntemplate_id = 'generic.execute'\ntemplate_version = 1\n")]
        ),
        CheckDescription(
            id: "LC151", slug: "template-stage-made-raw", severity: .warning,
            summary: "stage changed from template to raw_python by this change",
            what: "Warns when this change turns a template stage into a `raw_python` stage.",
            why: "A raw_python stage is never migrated again: the stage leaves the registry's drift checks for good. That can be intended, but should never be accidental.",
            example: "-kind = \"template\"\n+kind = \"raw_python\"",
            fix: "If intended, nothing: the warning does not block. Otherwise restore `kind = \"template\"`.",
            triggering: [.lab("[[m]]\nid = 'a'\nkind = ↓'raw_python'\nC = 'print(1)'\n",
                              base: "[[m]]\nid = 'a'\nkind = 'template'\ntemplate_id = 'pipeline.agi_install.app'\ntemplate_version = 2\napp = 'example_project'\naction = 'install'\n")],
            nonTriggering: [.lab("[[m]]\nid = 'a'\nkind = 'raw_python'\nC = 'print(1)'\n", base: "[[m]]\nid = 'a'\nkind = 'raw_python'\nC = 'print(2)'\n")]
        ),
    ]

    public init() {}

    /// The identity of a stage across snapshots.
    static func identity(_ stage: LabStage) -> String {
        stage.id.map { "\(stage.module)\u{0}id\u{0}\($0)" } ?? "\(stage.module)\u{0}#\u{0}\(stage.index)"
    }

    public func check(_ file: LabFile, context: CheckContext) -> [Diagnostic] {
        // Without a base, or with the base's own model (the same blob), nothing changed.
        guard let base = context.base, base.source !== file.source else { return [] }
        let c = context.conventions
        var before: [String: LabStage] = [:]
        for stage in base.stages { before[Self.identity(stage)] = stage }
        var out: [Diagnostic] = []
        for stage in file.stages {
            guard let old = before[Self.identity(stage)] else { continue }
            if let oldVersion = old.table[c.templateVersionKey]?.integer, let node = stage.table[c.templateVersionKey], let newVersion = node.integer,
               newVersion < oldVersion, old.table[c.templateIDKey]?.string == stage.table[c.templateIDKey]?.string {
                out.append(diagnostic("LC150", file, "this change lowers the template version of \(stage.displayName) from v\(oldVersion) to v\(newVersion)",
                                      node.span, help: "restore v\(oldVersion); a downgrade reintroduces drift"))
            }
            if old.kind.isTemplate && stage.kind.isRawPython {
                let span = stage.table[c.kindKey]?.span ?? stage.span
                out.append(diagnostic("LC151", file, "this change turns template stage \(stage.displayName) into raw_python: it will no longer be migrated",
                                      span, help: "if this is intended, nothing to do; otherwise restore kind = \"template\""))
            }
        }
        return out
    }
}
