/// LC101: a module that is not an array of stage tables, a stage that is not a table, or a
/// stage id used twice in a module. `module = []` is valid (AGILab's editor writes it).
public struct StageLayoutCheck: LabFileCheck {
    public static let descriptions = [
        CheckDescription(
            id: "LC101", slug: "invalid-stage-layout", severity: .error,
            summary: "stage layout: a module that is not an array of stage tables, a non-table stage, a duplicate stage id (`module = []` is valid)",
            what: "Checks the shape of a lab file: every top-level key except `__meta__` is a module holding an array of stage tables (`[[module]]` or `module = [ {...}, ... ]`; an empty `module = []`, which AGILab's editor saves when a module's last stage is deleted, is valid), and stage ids are unique within a module.",
            why: "The orchestrator loads stages by module and addresses them by id: a module written as a plain table, or two stages with one id, make stages disappear or run the wrong one.",
            example: "[flight]            # a table, not [[flight]]\nid = \"load\"",
            fix: "Write stages as `[[module]]` tables or an inline array of tables, and give each stage of a module its own id.",
            triggering: [.lab("[↓m]\nD = 1\n"), .lab("[[m]]\nid = 'a'\n[[m]]\nid = ↓'a'\n"), .lab("m = [{D = 'a'}, ↓3]\n")],
            nonTriggering: [.lab("[[m]]\nid = 'a'\n[[m]]\nid = 'b'\n[[n]]\nid = 'a'\n"), .lab("m = [{ D = 'x', C = 'y' }]\n"), .lab("m = []\n[[n]]\nid = 'a'\n")]
        ),
    ]

    public init() {}

    public func check(_ file: LabFile, context: CheckContext) -> [Diagnostic] {
        file.layoutProblems.map { diagnostic("LC101", file, $0.message, $0.span, help: $0.help, notes: $0.notes) }
    }
}
