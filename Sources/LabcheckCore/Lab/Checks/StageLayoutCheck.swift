/// LC101: a module that is not an array of stage tables, an empty module, a stage that is not
/// a table, or a stage id used twice in a module.
public struct StageLayoutCheck: LabFileCheck {
    public static let descriptions = [
        CheckDescription(
            id: "LC101", slug: "invalid-stage-layout", severity: .error,
            summary: "stage layout: a module that is not an array of stage tables, an empty module, a non-table stage, a duplicate stage id",
            what: "Checks the shape of a lab file: every top-level key except `__meta__` is a module holding a non-empty array of stage tables (`[[module]]` or `module = [ {...}, ... ]`), and stage ids are unique within a module.",
            why: "The orchestrator loads stages by module and addresses them by id: a module written as a plain table, an empty module, or two stages with one id make stages disappear or run the wrong one.",
            example: "[flight]            # a table, not [[flight]]\nid = \"load\"",
            fix: "Write stages as `[[module]]` tables or an inline array of tables, remove empty modules, and give each stage of a module its own id.",
            triggering: [.lab("[↓m]\nD = 1\n"), .lab("m = ↓[]\n"), .lab("[[m]]\nid = 'a'\n[[m]]\nid = ↓'a'\n"), .lab("m = [{D = 'a'}, ↓3]\n")],
            nonTriggering: [.lab("[[m]]\nid = 'a'\n[[m]]\nid = 'b'\n[[n]]\nid = 'a'\n"), .lab("m = [{ D = 'x', C = 'y' }]\n")]
        ),
    ]

    public init() {}

    public func check(_ file: LabFile, context: CheckContext) -> [Diagnostic] {
        file.layoutProblems.map { diagnostic("LC101", file, $0.message, $0.span, help: $0.help, notes: $0.notes) }
    }
}
